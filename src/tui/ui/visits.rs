//! The 走访 screen: every finalized visit, newest first, searchable; beside it the visit in full.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row};

use super::leads::split;
use super::parts::{DIM, LABEL, detail, field, list_table, search_line};
use crate::i18n::Lang;
use crate::model::Visit;
use crate::model::amount::format_wan;
use crate::text::truncate;
use crate::tui::state::{Mode, State};

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let [list, pane] = split(area);
    draw_list(frame, list, state);
    draw_detail(frame, pane, state);
}

fn when(visit: &Visit, format: &str) -> String {
    crate::clock::local(visit.at, format)
}

fn draw_list(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let list = &state.visit_list;
    let [line, table_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    search_line(
        frame,
        line,
        state,
        list,
        format!("{}/{}", list.rows.len(), state.visits.len()),
    );
    let widths = [
        Constraint::Length(11),
        Constraint::Length(8),
        Constraint::Length(12),
        Constraint::Fill(1),
    ];
    let inner = table_area.width.saturating_sub(2);
    let cols = Layout::horizontal(widths)
        .spacing(1)
        .split(Rect::new(0, 0, inner, 1));
    let col = |i: usize| usize::from(cols.get(i).map_or(0, |r| r.width));
    let visible = usize::from(table_area.height.saturating_sub(3));
    let rows: Vec<Row> = list
        .window(visible)
        .filter_map(|pos| Some((pos, state.visits.get(pos)?)))
        .map(|(pos, v)| {
            let creditor = state.lead_of_visit(pos).map_or_else(
                || std::borrow::Cow::Borrowed(state.lead_id_of_visit(pos).unwrap_or_default()),
                |l| state.creditor_shown(l),
            );
            let corrected = state.is_corrected(state.visits.id(pos));
            // In words as well: a terminal without strikethrough shows both alike.
            let finding = format!(
                "{}{}",
                if corrected { superseded_word(lang) } else { "" },
                v.finding.map(|f| f.label(lang)).unwrap_or_default()
            );
            let style = if corrected {
                DIM.add_modifier(Modifier::CROSSED_OUT)
            } else {
                Style::new()
            };
            Row::new(vec![
                Cell::from(crate::clock::local(v.at, "%m-%d %H:%M")),
                Cell::from(truncate(v.kind.label(lang), col(1))),
                Cell::from(truncate(&finding, col(2))),
                Cell::from(truncate(&creditor, col(3))),
            ])
            .style(style)
        })
        .collect();
    let header = Row::new(vec![
        lang.pick("时间", "when"),
        lang.pick("类型", "kind"),
        lang.pick("结果", "finding"),
        lang.pick("债权人", "creditor"),
    ]);
    let focused = matches!(state.mode, Mode::List | Mode::Search);
    let title = (lang.pick(" 走访记录 ", " Visits ").to_string(), focused);
    let empty = if state.loading {
        lang.pick("正在读取走访记录……", "Reading the visits…")
    } else if state.visits.is_empty() {
        lang.pick(
            "还没有走访记录：在“线索”页签选中线索，按 v 新建实地核查。",
            "No visits yet: on the Leads tab, select a lead and press v.",
        )
    } else {
        lang.pick("（没有找到）", "(nothing found)")
    };
    list_table(
        frame,
        table_area,
        list,
        title,
        (header, rows, widths.to_vec()),
        empty,
    );
}

fn draw_detail(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let title = lang.pick(" 详情 ", " Detail ").to_string();
    let focused = state.mode == Mode::Detail;
    let Some(v) = state.selected_visit() else {
        // Read from the store when selected: only a record the store cannot give is missing.
        let line = match state.visit_list.current() {
            Some(i) => Line::from(Span::styled(
                format!(
                    "{}{}",
                    lang.pick("无法读取这条走访记录：", "This visit cannot be read: "),
                    state.visits.id(i)
                ),
                DIM,
            )),
            None => Line::default(),
        };
        detail(frame, area, title, focused, vec![line], 0);
        return;
    };
    let w = if lang == Lang::Zh { 8 } else { 10 };
    let raw = |t: String| vec![Span::raw(t)];
    let none = || "—".to_string();
    let wan = |y: Option<i64>| {
        y.map_or_else(none, |y| {
            format!("{} {}", format_wan(y), lang.pick("万元", "×10k yuan"))
        })
    };
    let lead = state.lead(&v.lead);
    let creditor = lead.map_or(String::new(), |l| state.creditor_shown(l).into_owned());
    // A confidential creditor named in the visit's own text is masked there too.
    let shown =
        |text: &str| lead.map_or(text.to_string(), |l| state.text_shown(l, text).into_owned());
    let mut lines = vec![
        Line::from(Span::styled(
            creditor,
            Style::new().add_modifier(Modifier::BOLD),
        )),
        field(lang.pick("类型", "kind"), w, raw(v.kind.label(lang).into())),
        field(lang.pick("时间", "time"), w, raw(when(v, "%Y-%m-%d %H:%M"))),
        field(
            lang.pick("检查员", "inspector"),
            w,
            raw(match &state.opened.visit_author {
                Some(name) => name.clone(),
                None => format!(
                    "{}{}",
                    v.inspector,
                    lang.pick("（未核实）", " (not verified)")
                ),
            }),
        ),
        field(
            lang.pick("核查结果", "finding"),
            w,
            raw(v
                .finding
                .map(|f| f.label(lang).to_string())
                .unwrap_or_else(none)),
        ),
        field(
            lang.pick("线索状态", "lead"),
            w,
            raw(format!(
                "{} → {}",
                v.status_before.map_or("—", |s| s.label(lang)),
                v.status_after.map_or("—", |s| s.label(lang))
            )),
        ),
        field(
            lang.pick("确认金额", "confirmed"),
            w,
            raw(wan(v.amount_yuan)),
        ),
        field(lang.pick("已偿还", "paid"), w, raw(wan(v.paid_yuan))),
        field(
            lang.pick("系统原因", "cause"),
            w,
            raw(v
                .cause
                .map(|c| c.label(lang).to_string())
                .unwrap_or_else(none)),
        ),
        field(
            lang.pick("下一步", "next"),
            w,
            raw(v.next.as_ref().map_or_else(none, |n| {
                format!(
                    "{} {}",
                    shown(&n.text),
                    n.due.map(|d| d.to_string()).unwrap_or_default()
                )
                .trim()
                .to_string()
            })),
        ),
        Line::from(Span::styled(lang.pick("见到的人", "people met"), LABEL)),
    ];
    lines.extend(
        v.met
            .iter()
            .map(|p| Line::from(format!("  {} {} {}", p.name, p.role, p.phone))),
    );
    lines.push(Line::from(Span::styled(
        lang.pick("证据", "evidence"),
        LABEL,
    )));
    lines.extend(v.evidence.iter().map(|e| {
        Line::from(format!(
            "  {} {} {}",
            e.kind.label(lang),
            e.reference,
            e.note
        ))
    }));
    if !v.notes.is_empty() {
        lines.push(Line::from(Span::styled(lang.pick("备注", "notes"), LABEL)));
        lines.extend(
            shown(&v.notes)
                .lines()
                .map(|l| Line::from(format!("  {l}"))),
        );
    }
    if let Some(old) = &v.supersedes {
        lines.push(field(
            lang.pick("更正了", "corrects"),
            w,
            vec![Span::styled(old.clone(), DIM)],
        ));
        if !v.reason.is_empty() {
            lines.push(field(
                lang.pick("更正原因", "why"),
                w,
                vec![Span::raw(shown(&v.reason).to_string())],
            ));
        }
    }
    lines.push(field(
        lang.pick("编号", "id"),
        w,
        vec![Span::styled(v.id.clone(), DIM)],
    ));
    detail(frame, area, title, focused, lines, state.detail_scroll);
}

/// The word that marks a visit a correction superseded.
pub fn superseded_word(lang: Lang) -> &'static str {
    lang.pick("[已更正] ", "[corrected] ")
}

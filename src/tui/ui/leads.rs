//! The 线索 screen: the ledger table and, beside it, the selected lead in full with whom to call.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row};

use super::parts::{DIM, LABEL, block, detail, field, list_table, marked, positions, search_line};
use crate::i18n::Lang;
use crate::model::amount::format_wan;
use crate::model::channel::phones_text;
use crate::model::{Channel, Lead};
use crate::search::FieldMatch;
use crate::search::key::Field;
use crate::text::width;
use crate::tui::state::{Mode, State};

/// How many days ahead a deadline shows as due soon (yellow).
const DUE_SOON_DAYS: i64 = 7;

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let [list, detail] = split(area);
    draw_list(frame, list, state);
    draw_detail(frame, detail, state);
}

/// The list and the detail pane side by side.
pub fn split(area: Rect) -> [Rect; 2] {
    let list = if area.width >= 110 { 60 } else { 58 };
    Layout::horizontal([Constraint::Percentage(list), Constraint::Fill(1)]).areas(area)
}

/// The style of a deadline: red when overdue, yellow when due within a week.
pub fn deadline_style(lead: &Lead, state: &State) -> Style {
    if lead.is_overdue(state.today) {
        LATE
    } else if lead.is_due_within(state.today, DUE_SOON_DAYS) {
        SOON
    } else {
        Style::new()
    }
}

const LATE: Style = Style::new().fg(Color::Red).add_modifier(Modifier::BOLD);
const SOON: Style = Style::new().fg(Color::Yellow);

/// The style of the date the list shows for the lead at `pos` (`State::due_shown`): red when
/// it is late (deadline or next step), yellow when what it waits for is due within a week.
fn due_style(state: &State, pos: usize) -> Style {
    let Some(lead) = state.leads.get(pos) else {
        return Style::new();
    };
    let waited = crate::model::due::pending(lead, state.next_steps.due(pos));
    if state.is_late(pos) {
        LATE
    } else if waited.is_some_and(|(d, _)| (d - state.today).num_days() <= DUE_SOON_DAYS) {
        SOON
    } else {
        Style::new()
    }
}

fn days_word(n: i64, lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => " 天",
        Lang::En if n == 1 => " day",
        Lang::En => " days",
    }
}

/// A date and how far it is from today: "逾期 3 天", "还有 5 天", "今天".
fn from_today(date: chrono::NaiveDate, state: &State, waited: bool) -> String {
    let lang = state.lang;
    let days = (date - state.today).num_days();
    match days {
        _ if !waited => date.to_string(),
        0 => format!("{date}  {}", lang.pick("今天", "today")),
        d if d < 0 => format!(
            "{date}  {}{}{}",
            lang.pick("逾期 ", "overdue by "),
            -d,
            days_word(-d, lang)
        ),
        d => format!(
            "{date}  {}{d}{}",
            lang.pick("还有 ", "in "),
            days_word(d, lang)
        ),
    }
}

fn draw_list(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let list = &state.lead_list;
    let [line, table_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let order = if list.ranked.is_some() {
        lang.pick("匹配度", "match")
    } else {
        state.sort.label(lang)
    };
    let summary = match lang {
        Lang::Zh => format!(
            "{}/{} · 筛选:{} · 排序:{order}",
            list.rows.len(),
            state.leads.len(),
            state.filter.label(lang)
        ),
        Lang::En => format!(
            "{}/{} · {} · by {order}",
            list.rows.len(),
            state.leads.len(),
            state.filter.label(lang)
        ),
    };
    search_line(frame, line, state, list, summary);

    let inner = table_area.width.saturating_sub(2);
    let wide = inner >= 62;
    // At 200 columns and more: the debtor, the next step and the assignee too.
    let wider = inner >= 100;
    let mut widths = vec![
        Constraint::Length(2),
        Constraint::Length(crate::model::Status::short_cells(lang)),
        Constraint::Length(if wide { 10 } else { 8 }),
        // The creditor is what the list is read by: twice the debtor's share when both show.
        Constraint::Fill(2),
        Constraint::Length(if wide { 10 } else { 6 }),
    ];
    if wide {
        widths.push(Constraint::Length(8));
    }
    if wider {
        widths.extend([
            Constraint::Fill(1),
            Constraint::Length(22),
            Constraint::Length(8),
        ]);
    }
    let cols = Layout::horizontal(widths.clone())
        .spacing(1)
        .split(Rect::new(0, 0, inner, 1));
    let col = |i: usize| usize::from(cols.get(i).map_or(0, |r| r.width));
    let mut header = vec![
        lang.pick("督", "S"),
        lang.pick("状态", "status"),
        lang.pick("期限", "due"),
        lang.pick("债权人", "creditor"),
        if wide {
            lang.pick("属地", "district")
        } else {
            lang.pick("属地", "dist.")
        },
    ];
    if wide {
        header.push(lang.pick("万元", "10k ¥"));
    }
    if wider {
        header.extend([
            lang.pick("债务人", "debtor"),
            lang.pick("下一步", "next step"),
            lang.pick("分派", "assignee"),
        ]);
    }
    // Only the rows in the window are built: drawing costs the same for 3 leads or a million.
    let visible = usize::from(table_area.height.saturating_sub(3));
    let rows: Vec<Row> = list
        .window(visible)
        .map(|pos| {
            let lead = &state.leads[pos];
            let matches = list.matches(pos);
            let due = state.due_shown(pos).map_or_else(
                || "—".to_string(),
                |d| {
                    if wide {
                        d.to_string()
                    } else {
                        d.format("%y-%m-%d").to_string()
                    }
                },
            );
            let mut cells = vec![
                // 督 rather than a star: a CJK character's width is the same on every terminal.
                Cell::from(if lead.supervised {
                    lang.pick("督", "S")
                } else {
                    ""
                })
                .style(Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)),
                // Marked for attention (a re-verification disagreed): the state in red.
                Cell::from(lead.status.short_label(lang)).style(if lead.attention {
                    Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD)
                } else {
                    Style::new()
                }),
                Cell::from(due).style(due_style(state, pos)),
                Cell::from(creditor_cell(state, lead, matches, col(3))),
                Cell::from(marked(
                    &lead.district,
                    positions(matches, Field::District),
                    col(4),
                    Style::new(),
                )),
            ];
            if wide {
                let amount = lead.amount_yuan.map_or_else(|| "—".into(), format_wan);
                cells.push(Cell::from(Line::from(amount).right_aligned()));
            }
            if wider {
                let debtor = lead.debtor.as_deref().unwrap_or("—");
                let next = state
                    .next_steps
                    .of_lead(pos)
                    .filter(|_| lead.status != crate::model::Status::Closed)
                    .map_or(std::borrow::Cow::Borrowed("—"), |n| {
                        state.text_shown(lead, &n.text)
                    });
                let assignee = lead.assignee.as_deref().unwrap_or("—");
                cells.extend([
                    Cell::from(crate::text::truncate(debtor, col(6))),
                    Cell::from(crate::text::truncate(&next, col(7))),
                    Cell::from(crate::text::truncate(assignee, col(8))),
                ]);
            }
            Row::new(cells)
        })
        .collect();
    let focused = matches!(state.mode, Mode::List | Mode::Search);
    let title = (lang.pick(" 线索 ", " Leads ").to_string(), focused);
    let empty = if state.loading {
        lang.pick("正在读取线索……", "Reading the leads…")
    } else {
        lang.pick("（没有符合条件的线索）", "(no leads match)")
    };
    list_table(
        frame,
        table_area,
        list,
        title,
        (Row::new(header), rows, widths),
        empty,
    );
}

fn draw_detail(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let focused = state.mode == Mode::Detail;
    let title = lang.pick(" 详情 ", " Detail ").to_string();
    let Some(lead) = state.selected_lead() else {
        frame.render_widget(block(title, focused), area);
        return;
    };
    let matches = state
        .lead_list
        .current()
        .map_or(&[][..], |pos| state.lead_list.matches(pos));
    let lines = detail_lines(
        lead,
        &state.contacts_of(lead),
        matches,
        state,
        usize::from(area.width.saturating_sub(2)),
    );
    detail(frame, area, title, focused, lines, state.detail_scroll);
}

/// 下一步: the next step the lead's latest visit set, by when (red when past due while the lead
/// is not closed).
fn next_line(lead: &Lead, state: &State, w: usize) -> Line<'static> {
    let lang = state.lang;
    let label = lang.pick("下一步", "next step");
    let next = state
        .lead_position(&lead.id)
        .and_then(|p| state.next_steps.of_lead(p));
    let Some(next) = next else {
        return field(label, w, vec![Span::styled("—", DIM)]);
    };
    let waited = lead.status != crate::model::Status::Closed;
    let mut spans = vec![Span::raw(state.text_shown(lead, &next.text).into_owned())];
    if let Some(due) = next.due {
        let style = if crate::model::due::next_step_late(lead.status, Some(due), state.today) {
            LATE
        } else {
            Style::new()
        };
        spans.push(Span::raw(lang.pick("，期限 ", ", by ")));
        spans.push(Span::styled(from_today(due, state, waited), style));
    }
    field(label, w, spans)
}

fn yes_no(b: bool, lang: Lang) -> &'static str {
    match (b, lang) {
        (true, Lang::Zh) => "是",
        (false, Lang::Zh) => "否",
        (true, Lang::En) => "yes",
        (false, Lang::En) => "no",
    }
}

fn detail_lines(
    lead: &Lead,
    contacts: &[&Channel],
    matches: &[crate::search::FieldMatch],
    state: &State,
    cells: usize,
) -> Vec<Line<'static>> {
    let lang = state.lang;
    let w = if lang == Lang::Zh { 6 } else { 10 };
    let value = |text: String| vec![Span::raw(text)];
    // A handled lead has nothing left to do by its deadline.
    let due = lead
        .deadline
        .map_or_else(|| "—".into(), |d| from_today(d, state, lead.is_open()));
    let flags = format!(
        "{}  {} {}",
        yes_no(lead.supervised, lang),
        lang.pick("保密", "confidential"),
        yes_no(lead.confidential, lang)
    );
    let mut lines = vec![
        marked_creditor(state, lead, matches, cells, Style::new().bold(), 0),
        field(
            lang.pick("编号", "id"),
            w,
            vec![Span::styled(lead.id.clone(), DIM)],
        ),
        field(
            lang.pick("状态", "status"),
            w,
            value(lead.status.label(lang).into()),
        ),
        field(
            lang.pick("期限", "deadline"),
            w,
            vec![Span::styled(due, deadline_style(lead, state))],
        ),
        next_line(lead, state, w),
        field(
            lang.pick("属地", "district"),
            w,
            marked(
                &lead.district,
                positions(matches, Field::District),
                cells,
                Style::new(),
            )
            .spans,
        ),
        field(
            lang.pick("金额", "amount"),
            w,
            value(lead.amount_yuan.map_or_else(
                || lang.pick("不详", "unknown").into(),
                |y| format!("{} {}", format_wan(y), lang.pick("万元", "×10k yuan")),
            )),
        ),
        field(
            lang.pick("债务人", "debtor"),
            w,
            value(
                lead.debtor
                    .clone()
                    .unwrap_or_else(|| lang.pick("不详", "unknown").into()),
            ),
        ),
        field(
            lang.pick("联系人", "contact"),
            w,
            value(state.contact_shown(lead).unwrap_or_else(|| "—".into())),
        ),
        field(lang.pick("督办", "supervised"), w, value(flags)),
        field(
            lang.pick("分派", "assignee"),
            w,
            value(lead.assignee.clone().unwrap_or_else(|| "—".into())),
        ),
        Line::from(Span::styled(lang.pick("事项", "matter"), LABEL)),
    ];
    // The matter keeps its line breaks; highlights index the whole text.
    let hits = positions(matches, Field::Matter);
    let mut offset = 0;
    let matter = state.matter_shown(lead);
    for paragraph in matter.split('\n') {
        let count = paragraph.chars().count();
        let here: Vec<usize> = hits
            .iter()
            .filter(|&&p| p >= offset && p < offset + count)
            .map(|p| p - offset)
            .collect();
        let mut line = marked(paragraph, &here, usize::MAX, Style::new());
        line.spans.insert(0, Span::raw("  "));
        lines.push(line);
        offset += count + 1;
    }
    lines.push(Line::from(Span::styled(
        lang.pick("走访记录", "visits"),
        LABEL,
    )));
    if state.drafts.contains_key(&lead.id) {
        lines.push(Line::from(Span::styled(
            lang.pick(
                "  草稿未定稿（按 d 继续）",
                "  an unfinished draft (d to go on)",
            ),
            Style::new().fg(Color::Yellow),
        )));
    }
    let history = state.visits_of(&lead.id);
    if history.is_empty() && !state.drafts.contains_key(&lead.id) {
        lines.push(Line::from(Span::styled(
            lang.pick("  尚无（按 v 新建）", "  none yet (v for a new one)"),
            DIM,
        )));
    }
    for &i in history.iter().rev() {
        let Some(v) = state.visits.get(i) else {
            continue;
        };
        let at = crate::clock::local(v.at, "%Y-%m-%d %H:%M");
        let finding = v.finding.map(|f| f.label(lang)).unwrap_or_default();
        let corrected = state.is_corrected(state.visits.id(i));
        let style = if corrected {
            DIM.add_modifier(Modifier::CROSSED_OUT)
        } else {
            Style::new()
        };
        let word = if corrected {
            super::visits::superseded_word(lang)
        } else {
            ""
        };
        lines.push(Line::from(Span::styled(
            format!("  {at} {word}{} {finding}", v.kind.label(lang)),
            style,
        )));
    }
    lines.push(Line::from(Span::styled(
        lang.pick("联系渠道", "whom to call"),
        LABEL,
    )));
    if contacts.is_empty() {
        lines.push(Line::from(Span::styled(
            lang.pick(
                "  名录中没有这个属地",
                "  this district is not in the directory",
            ),
            DIM,
        )));
    }
    let name_cells = contacts.iter().map(|c| width(&c.name)).max().unwrap_or(0);
    for c in contacts {
        lines.push(Line::from(vec![
            Span::raw("  "),
            Span::raw(crate::text::pad(&c.name, name_cells)).bold(),
            Span::raw("  "),
            Span::raw(phones_text(&c.phones, lang)),
        ]));
    }
    lines
}

/// A lead's creditor in the list: a confidential one marked 密 and masked unless revealed (`u`);
/// a name too long for the column loses its province (`重庆`), which every lead of a notice
/// shares, before its distinctive end.
pub(super) fn creditor_cell(
    state: &State,
    lead: &Lead,
    matches: &[FieldMatch],
    cells: usize,
) -> Line<'static> {
    let tag = if lead.confidential {
        width(state.lang.pick("密 ", "C "))
    } else {
        0
    };
    let shown = state.creditor_shown(lead);
    let dropped = crate::model::region::PROVINCES
        .iter()
        .map(|(_, _, p)| *p)
        .find(|p| lead.creditor.starts_with(p))
        .filter(|_| width(&shown) + tag > cells)
        .map_or(0, |p| p.chars().count());
    marked_creditor(state, lead, matches, cells, Style::new(), dropped)
}

/// The creditor with the search's hits marked, its first `dropped` characters left out; a
/// confidential lead's starts with 密 and is masked (its hits not marked: they would point into
/// the hidden part) unless revealed.
fn marked_creditor(
    state: &State,
    lead: &Lead,
    matches: &[FieldMatch],
    cells: usize,
    base: Style,
    dropped: usize,
) -> Line<'static> {
    let hits: Vec<usize> = positions(matches, Field::Creditor)
        .iter()
        .filter(|&&p| p >= dropped)
        .map(|p| p - dropped)
        .collect();
    let shown = state.creditor_shown(lead);
    let text: String = shown.chars().skip(dropped).collect();
    if !lead.confidential {
        return marked(&text, &hits, cells, base);
    }
    let tag = state.lang.pick("密 ", "C ");
    let rest = cells.saturating_sub(width(tag));
    let hits = if state.is_revealed(lead) {
        hits
    } else {
        Vec::new()
    };
    let mut line = marked(&text, &hits, rest, base);
    let style = Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD);
    line.spans.insert(0, Span::styled(tag, style));
    line
}

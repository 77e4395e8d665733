//! The 名录 screen: the complaint channels and, beside them, one channel in full with the leads
//! its district answers for.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Row};

use super::leads::split;
use super::parts::{DIM, LABEL, block, detail, field, list_table, marked, positions, search_line};
use crate::i18n::Lang;
use crate::search::key::{Field, Record};
use crate::tui::state::{Mode, State};

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let [list, detail] = split(area);
    draw_list(frame, list, state);
    draw_detail(frame, detail, state);
}

fn draw_list(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let list = &state.channel_list;
    let [line, table_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let summary = format!("{}/{}", list.rows.len(), state.channels.len());
    search_line(frame, line, state, list, summary);

    let inner = table_area.width.saturating_sub(2);
    let widths = [
        Constraint::Length(12),
        Constraint::Length(4),
        Constraint::Fill(1),
    ];
    let cols = Layout::horizontal(widths)
        .spacing(1)
        .split(Rect::new(0, 0, inner, 1));
    let col = |i: usize| usize::from(cols.get(i).map_or(0, |r| r.width));
    // Only the rows in the window are built: drawing costs the same for 3 leads or a million.
    let visible = usize::from(table_area.height.saturating_sub(3));
    let rows: Vec<Row> = list
        .window(visible)
        .map(|pos| {
            let c = &state.channels[pos];
            let matches = list.matches(pos);
            // The text search matched, faxes marked 传真, so highlights land.
            let numbers = Record::Channel(c).field_text(Field::Phones);
            Row::new(vec![
                Cell::from(marked(
                    &c.name,
                    positions(matches, Field::Name),
                    col(0),
                    Style::new(),
                )),
                Cell::from(c.scope.short_label(lang)),
                Cell::from(marked(
                    &numbers,
                    positions(matches, Field::Phones),
                    col(2),
                    Style::new(),
                )),
            ])
        })
        .collect();
    let focused = matches!(state.mode, Mode::List | Mode::Search);
    let header = Row::new(vec![
        lang.pick("名称", "name"),
        lang.pick("范围", "area"),
        lang.pick("电话", "phones"),
    ]);
    let title = (lang.pick(" 投诉渠道 ", " Channels ").to_string(), focused);
    let empty = lang.pick("（没有找到）", "(nothing found)");
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
    let focused = state.mode == Mode::Detail;
    let title = lang.pick(" 详情 ", " Detail ").to_string();
    let Some(channel) = state.selected_channel() else {
        frame.render_widget(block(title, focused), area);
        return;
    };
    let matches = state
        .channel_list
        .current()
        .map_or(&[][..], |pos| state.channel_list.matches(pos));
    let cells = usize::from(area.width.saturating_sub(2));
    let w = if lang == Lang::Zh { 4 } else { 7 };
    // Each field is shown as search matched it, so every highlight lands (e-mails, URLs…).
    let record = Record::Channel(channel);
    let shown = |f: Field| -> Vec<Span<'static>> {
        let text = record.field_text(f);
        if text.is_empty() {
            vec![Span::styled("—", DIM)]
        } else {
            marked(&text, positions(matches, f), usize::MAX, Style::new()).spans
        }
    };
    let mut lines = vec![
        marked(
            &channel.name,
            positions(matches, Field::Name),
            cells,
            Style::new().bold(),
        ),
        field(
            lang.pick("编号", "id"),
            w,
            vec![Span::styled(channel.id.clone(), DIM)],
        ),
        field(
            lang.pick("范围", "scope"),
            w,
            vec![Span::raw(channel.scope.label(lang))],
        ),
        field(lang.pick("电话", "phones"), w, shown(Field::Phones)),
        field(lang.pick("邮箱", "emails"), w, shown(Field::Emails)),
        field(lang.pick("网址", "URLs"), w, shown(Field::Urls)),
        field(lang.pick("备注", "remarks"), w, shown(Field::Remarks)),
    ];
    lines.push(Line::from(Span::styled(
        lang.pick("负责的线索", "leads it answers for"),
        LABEL,
    )));
    let leads = state.leads_of(channel);
    if leads.is_empty() {
        lines.push(Line::from(Span::styled("  —", DIM)));
    }
    // As many as fit below what is shown already (borders and the last line kept free), more
    // as the pane scrolls, then how many more there are.
    let room =
        usize::from(area.height).saturating_sub(lines.len() + 3) + usize::from(state.detail_scroll);
    for lead in leads.iter().take(room).filter_map(|&i| state.leads.get(i)) {
        lines.push(Line::from(vec![
            Span::raw("  "),
            Span::raw(state.creditor_shown(lead).into_owned()),
            Span::raw("  "),
            Span::styled(lead.status.label(lang), DIM).italic(),
        ]));
    }
    if leads.len() > room {
        let more = leads.len() - room;
        let text = match lang {
            crate::i18n::Lang::Zh => format!("  ……另有 {more} 条（线索页按属地筛选）"),
            crate::i18n::Lang::En => format!("  … {more} more (filter the lead list by district)"),
        };
        lines.push(Line::from(Span::styled(text, DIM)));
    }
    detail(frame, area, title, focused, lines, state.detail_scroll);
}

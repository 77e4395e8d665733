//! The 今日 tab: what is due today and this week, overdue first, each item's lead in a row.

use chrono::Datelike;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row};

use super::leads::creditor_cell;
use super::parts::{DIM, list_table};
use crate::i18n::Lang;
use crate::model::Status;
use crate::model::due::Waiting;
use crate::text::truncate;
use crate::tui::agenda::{When, week_end};
use crate::tui::state::State;

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let [line, table_area] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
    let [late, today, week] = state.agenda_counts();
    let end = week_end(state.today).format("%m-%d");
    let summary = match lang {
        Lang::Zh => format!(
            " {} · 逾期 {late} · 今天 {today} · 本周（至 {end}）{week}",
            state.today
        ),
        Lang::En => format!(
            " {} · overdue {late} · today {today} · this week (to {end}) {week}",
            state.today
        ),
    };
    frame.render_widget(Paragraph::new(summary).style(DIM), line);

    let inner = table_area.width.saturating_sub(2);
    let wide = inner >= 100;
    let widths = vec![
        Constraint::Length(if lang == Lang::Zh { 4 } else { 9 }),
        Constraint::Length(2),
        Constraint::Length(Status::short_cells(lang)),
        Constraint::Length(if wide { 10 } else { 8 }),
        Constraint::Fill(1),
        Constraint::Fill(1),
        Constraint::Length(if wide { 10 } else { 6 }),
    ];
    let cols = Layout::horizontal(widths.clone())
        .spacing(1)
        .split(Rect::new(0, 0, inner, 1));
    let col = |i: usize| usize::from(cols.get(i).map_or(0, |r| r.width));
    let header = Row::new(vec![
        lang.pick("", ""),
        lang.pick("督", "S"),
        lang.pick("状态", "status"),
        lang.pick("日期", "date"),
        lang.pick("待办", "to do"),
        lang.pick("债权人", "creditor"),
        if wide {
            lang.pick("属地", "district")
        } else {
            lang.pick("属地", "dist.")
        },
    ]);
    let visible = usize::from(table_area.height.saturating_sub(3));
    let rows: Vec<Row> = state
        .agenda_list
        .window(visible)
        .filter_map(|i| state.agenda.get(i))
        .filter_map(|item| {
            let lead = state.leads.get(item.lead)?;
            let when = match item.when {
                When::Overdue => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                When::Today => Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
                When::ThisWeek => Style::new(),
            };
            // Without its year only in this year.
            let date = if wide {
                item.date.to_string()
            } else if item.date.year() == state.today.year() {
                item.date.format("%m-%d").to_string()
            } else {
                item.date.format("%y-%m-%d").to_string()
            };
            let todo = match item.waiting {
                Waiting::NextStep => {
                    let text = state
                        .next_steps
                        .of_lead(item.lead)
                        .map(|n| state.text_shown(lead, &n.text).into_owned())
                        .unwrap_or_default();
                    let first = text.lines().next().unwrap_or_default().to_string();
                    Line::from(truncate(&first, col(4)))
                }
                Waiting::Deadline => Line::from(Span::styled(
                    lang.pick("反馈期限", "feedback deadline"),
                    DIM,
                )),
            };
            Some(Row::new(vec![
                Cell::from(item.when.label(lang)).style(when),
                Cell::from(if lead.supervised {
                    lang.pick("督", "S")
                } else {
                    ""
                })
                .style(Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)),
                Cell::from(lead.status.short_label(lang)),
                Cell::from(date).style(when),
                Cell::from(todo),
                Cell::from(creditor_cell(state, lead, &[], col(5))),
                Cell::from(truncate(&lead.district, col(6))),
            ]))
        })
        .collect();
    let title = (lang.pick(" 今日 ", " Agenda ").to_string(), true);
    let empty = if state.loading {
        lang.pick("正在读取线索……", "Reading the leads…")
    } else {
        lang.pick(
            "（今天和本周没有到期的事项，也没有逾期的）",
            "(nothing due today or this week, and nothing overdue)",
        )
    };
    list_table(
        frame,
        table_area,
        &state.agenda_list,
        title,
        (header, rows, widths),
        empty,
    );
}

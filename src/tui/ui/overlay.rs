//! Boxes drawn over a screen: the help (every key of the current screen) and the state picker.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::parts::{DIM, block};
use crate::text::{pad, truncate, width};
use crate::tui::keymap;
use crate::tui::state::{Picker, State};

/// Clears `rect` and a column either side of it (within `area`): a wide character just left of
/// a box would otherwise cover its left border.
pub(super) fn clear(frame: &mut Frame, rect: Rect, area: Rect) {
    let x = rect.x.saturating_sub(1).max(area.x);
    let right = (rect.right() + 1).min(area.right());
    let wider = Rect {
        x,
        width: right.saturating_sub(x),
        ..rect
    };
    frame.render_widget(Clear, wider);
}

pub(super) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let [row] = Layout::vertical([Constraint::Length(h.min(area.height))])
        .flex(Flex::Center)
        .areas(area);
    let [rect] = Layout::horizontal([Constraint::Length(w.min(area.width))])
        .flex(Flex::Center)
        .areas(row);
    rect
}

pub fn help(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let keys = keymap::help(state.before_help, state.tab, lang);
    let key_cells = keys.iter().map(|(k, _)| width(k)).max().unwrap_or(0);
    let entry = |(k, what): &(&str, &str), cells: usize| {
        vec![
            Span::styled(pad(k, key_cells), Style::new().fg(Color::Cyan)),
            Span::raw("  "),
            Span::raw(pad(&truncate(what, cells), cells)),
        ]
    };
    // Borders, the blank line and the closing hint take four rows; when the keys need more than
    // are left, they go in two columns, side by side, each cut to half the width.
    let room = usize::from(area.height.saturating_sub(4));
    let mut lines: Vec<Line> = if keys.len() <= room {
        let cells = keys.iter().map(|(_, w)| width(w)).max().unwrap_or(0);
        keys.iter().map(|k| Line::from(entry(k, cells))).collect()
    } else {
        let rows = keys.len().div_ceil(2);
        let half = usize::from(area.width.saturating_sub(6)) / 2;
        let cells = half.saturating_sub(key_cells + 3);
        (0..rows)
            .map(|r| {
                let mut spans = entry(&keys[r], cells);
                if let Some(right) = keys.get(r + rows) {
                    spans.push(Span::raw("  "));
                    spans.extend(entry(right, cells));
                }
                Line::from(spans)
            })
            .collect()
    };
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        lang.pick("按 Esc 或 ? 关闭", "Esc or ? closes"),
        DIM,
    )));
    let title = format!(
        " {} — {} ",
        lang.pick("帮助", "Help"),
        state.tab.title(lang)
    );
    popup(frame, area, title, lines);
}

pub fn picker(frame: &mut Frame, area: Rect, state: &State, picker: &Picker) {
    let lang = state.lang;
    let Some(lead) = state.leads.get(picker.lead) else {
        return;
    };
    let mut lines = vec![Line::from(vec![
        Span::raw(lang.pick("当前：", "now: ")),
        Span::styled(
            lead.status.label(lang),
            Style::new().add_modifier(Modifier::BOLD),
        ),
    ])];
    for (i, status) in picker.options.iter().enumerate() {
        let chosen = i == picker.selected;
        let style = if chosen {
            Style::new()
                .bg(Color::DarkGray)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        lines.push(Line::from(Span::styled(
            format!("{} {}", if chosen { ">" } else { " " }, status.label(lang)),
            style,
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        lang.pick(
            "办结、协商和结案须通过走访记录（规则1-5）。",
            "Resolving, negotiating and closing come from visits (rules 1-5).",
        ),
        DIM,
    )));
    let title = format!(" {} ", lang.pick("改变状态", "Change status"));
    popup(frame, area, title, lines);
}

/// A box sized to its lines, centred over `area`.
fn popup(frame: &mut Frame, area: Rect, title: String, lines: Vec<Line>) {
    let widest = lines.iter().map(Line::width).max().unwrap_or(20);
    let w = u16::try_from(widest + 4).unwrap_or(u16::MAX);
    let h = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let rect = centered(area, w, h);
    frame.render_widget(Clear, rect);
    let paragraph = Paragraph::new(lines)
        .block(block(title, true))
        .wrap(Wrap { trim: false });
    frame.render_widget(paragraph, rect);
}

//! The visit form, drawn over the lead screen: one row per field (more for multi-line fields),
//! the problems of a field in red beside it.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::parts::{DIM, block, form_label, form_text};
use crate::i18n::Lang;
use crate::tui::form::{Field, Form, Shown};
use crate::tui::state::State;

/// Rows a field takes, given how tall the form is: two for a one-line field with problems, so
/// the reason fits beside it.
fn rows(form: &Form, field: Field, tall: bool) -> u16 {
    match (field, tall) {
        (Field::Notes, true) => 5,
        (Field::Met | Field::Evidence, true) => 4,
        (f, false) if f.multiline() => 3,
        _ if !form.problems_of(field).is_empty() => 3,
        _ => 1,
    }
}

/// The rows of each field within `room`: where they do not all fit, the fields of several lines
/// that have no problem to show give up rows first (down to two, then one), so that the problems
/// keep the room to be read.
fn fit(form: &Form, tall: bool, room: u16) -> Vec<u16> {
    let fields = form.fields();
    let mut heights: Vec<u16> = fields.iter().map(|f| rows(form, *f, tall)).collect();
    for floor in [2, 1] {
        for (i, field) in fields.iter().enumerate() {
            if heights.iter().sum::<u16>() <= room {
                return heights;
            }
            if field.multiline() && form.problems_of(*field).is_empty() && heights[i] > floor {
                heights[i] = floor;
            }
        }
    }
    heights
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State, form: &Form) {
    let lang = state.lang;
    let Some(lead) = state.leads.get(form.lead) else {
        return;
    };
    let correcting = if form.supersedes.is_some() {
        lang.pick("更正 ", "correcting ")
    } else {
        ""
    };
    let title = format!(
        " {correcting}{} · {} ",
        form.kind.label(lang),
        state.creditor_shown(lead)
    );
    let outer = block(title, true);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let tall = inner.height >= 26;
    let heights = fit(form, tall, inner.height.saturating_sub(1));
    let mut constraints: Vec<Constraint> = vec![Constraint::Length(1)];
    constraints.extend(heights.into_iter().map(Constraint::Length));
    constraints.push(Constraint::Min(0));
    let areas = Layout::vertical(constraints).split(inner);
    let status = format!(
        "{} {}  {} {}  {}",
        lang.pick("线索状态", "lead"),
        lead.status.label(lang),
        lang.pick("期限", "due"),
        lead.deadline.map_or("—".to_string(), |d| d.to_string()),
        lang.pick(
            "草稿自动保存 · Ctrl-S 定稿 · Esc 放弃",
            "autosaved draft · Ctrl-S finalizes · Esc discards"
        ),
    );
    frame.render_widget(Paragraph::new(Span::styled(status, DIM)), areas[0]);
    for (i, field) in form.fields().iter().enumerate() {
        draw_field(frame, areas[i + 1], form, *field, lang);
    }
}

fn draw_field(frame: &mut Frame, area: Rect, form: &Form, field: Field, lang: Lang) {
    let focused = form.focus == field;
    let label_cells = if lang == Lang::Zh { 10 } else { 12 };
    let problems = form.problems_of(field);
    let [label, value, note] = Layout::horizontal([
        Constraint::Length(label_cells),
        Constraint::Fill(if problems.is_empty() { 1 } else { 2 }),
        Constraint::Fill(if problems.is_empty() { 0 } else { 3 }),
    ])
    .spacing(1)
    .areas(area);
    form_label(
        frame,
        label,
        field.label(lang),
        usize::from(label_cells),
        focused,
    );
    if field.pick_list() {
        frame.render_widget(Paragraph::new(pick_line(form, field, focused, lang)), value);
    } else if let Some(text) = form.text(field) {
        form_text(frame, value, text, field.hint(lang), focused);
    }
    if !problems.is_empty() {
        let lines: Vec<Line> = problems
            .iter()
            .map(|p| Line::from(Span::styled(p.message(lang), Style::new().fg(Color::Red))))
            .collect();
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), note);
    }
}

fn pick_line(form: &Form, field: Field, focused: bool, lang: Lang) -> Line<'static> {
    let chosen = match field {
        Field::Kind => Some(form.kind.label(lang)),
        Field::Finding => form.finding.map(|f| f.label(lang)),
        Field::Cause => form.cause.map(|c| c.label(lang)),
        _ => None,
    };
    let text = chosen.map_or_else(
        || lang.pick("（未选）", "(none)").to_string(),
        str::to_string,
    );
    let style = if focused {
        Style::new().add_modifier(Modifier::REVERSED)
    } else {
        Style::new()
    };
    let mut spans = vec![Span::styled(format!("< {text} >"), style)];
    if focused {
        spans.push(Span::styled(format!("  {}", field.hint(lang)), DIM));
    }
    Line::from(spans)
}

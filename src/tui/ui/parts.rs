//! Pieces the screens share: styles, highlighted text, the search line, label–value lines.

use ratatui::Frame;
use ratatui::layout::Constraint;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style, Stylize};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Paragraph, Row, Table, TableState, Wrap};

use crate::search::FieldMatch;
use crate::search::key::Field;
use crate::text::{marked_runs, pad, truncate, truncate_start, width};
use crate::tui::state::{ListView, Mode, State};

pub const MATCH: Style = Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD);
pub const DIM: Style = Style::new().fg(Color::DarkGray);
pub const LABEL: Style = Style::new().fg(Color::Cyan);

/// A bordered block, its border brighter when it has the focus.
pub fn block(title: String, focused: bool) -> Block<'static> {
    let block = Block::bordered()
        .border_type(BorderType::Rounded)
        .title(title);
    if focused {
        block.border_style(Style::new().fg(Color::Cyan))
    } else {
        block.border_style(DIM)
    }
}

/// A list as a table: a bold header, the selected row highlighted (its place in the window),
/// and `empty` said inside when there are no rows.
pub fn list_table(
    frame: &mut Frame,
    area: Rect,
    list: &ListView,
    (title, focused): (String, bool),
    (header, rows, widths): (Row<'static>, Vec<Row<'static>>, Vec<Constraint>),
    empty: &str,
) {
    let table = Table::new(rows, widths)
        .header(header.style(Style::new().add_modifier(Modifier::BOLD)))
        .column_spacing(1)
        .block(block(title, focused))
        .row_highlight_style(
            Style::new()
                .bg(Color::DarkGray)
                .add_modifier(Modifier::BOLD),
        );
    let mut state = TableState::default().with_selected(
        list.current()
            .map(|_| list.selected.saturating_sub(list.offset)),
    );
    frame.render_stateful_widget(table, area, &mut state);
    if list.rows.is_empty() {
        let rect =
            Rect::new(area.x + 2, area.y + 2, area.width.saturating_sub(4), 2).intersection(area);
        frame.render_widget(
            Paragraph::new(empty.to_string())
                .style(DIM)
                .wrap(Wrap { trim: true }),
            rect,
        );
    }
}

/// The detail pane: its lines wrapped in a bordered block, scrolled by `scroll` rows.
pub fn detail(
    frame: &mut Frame,
    area: Rect,
    title: String,
    focused: bool,
    lines: Vec<Line>,
    scroll: u16,
) {
    let paragraph = Paragraph::new(lines)
        .block(block(title, focused))
        .wrap(Wrap { trim: false })
        .scroll((scroll, 0));
    frame.render_widget(paragraph, area);
}

/// The positions matched in one field of a record, if any.
pub fn positions(matches: &[FieldMatch], field: Field) -> &[usize] {
    matches
        .iter()
        .find(|m| m.field == field)
        .map_or(&[], |m| m.positions.as_slice())
}

/// `text` cut to `cells`, with matched characters highlighted.
pub fn marked(text: &str, positions: &[usize], cells: usize, base: Style) -> Line<'static> {
    let spans: Vec<Span> = marked_runs(text, positions, cells)
        .into_iter()
        .map(|(run, hit)| Span::styled(run, if hit { base.patch(MATCH) } else { base }))
        .collect();
    Line::from(spans)
}

/// `label  value` with the label padded to `cells` and styled as a label.
pub fn field(label: &str, cells: usize, value: Vec<Span<'static>>) -> Line<'static> {
    let mut spans = vec![Span::styled(pad(label, cells), LABEL), Span::raw(" ")];
    spans.extend(value);
    Line::from(spans)
}

/// The search line above a list: the query (its end, when long) with a cursor while typing,
/// and on the right what the list shows.
pub fn search_line(frame: &mut Frame, area: Rect, state: &State, list: &ListView, summary: String) {
    let lang = state.lang;
    let typing = state.mode == Mode::Search;
    let cells = usize::from(area.width);
    let summary = truncate(&summary, cells.saturating_sub(8));
    let room = cells.saturating_sub(width(&summary) + 3);
    let idle = list.query.is_empty() && !typing;
    let (prompt, query) = if idle {
        let hint = lang.pick("按 / 搜索", "press / to search");
        (Span::raw(""), Span::styled(truncate(hint, room), DIM))
    } else {
        let query = truncate_start(&list.query, room.saturating_sub(3));
        (Span::styled("/ ", LABEL), Span::raw(query).bold())
    };
    let used = prompt.width() + query.width();
    let gap = cells.saturating_sub(used + width(&summary));
    let line = Line::from(vec![
        prompt,
        query,
        Span::raw(" ".repeat(gap)),
        Span::styled(summary, DIM),
    ]);
    frame.render_widget(Paragraph::new(line), area);
    if typing {
        // The cursor sits after the query, counted in cells (CJK characters take two).
        let x = area
            .x
            .saturating_add(u16::try_from(used).unwrap_or(u16::MAX));
        frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
    }
}

/// A form field's label, `> ` before it while it has the focus, padded to `cells`.
pub fn form_label(frame: &mut Frame, area: Rect, label: &str, cells: usize, focused: bool) {
    let style = if focused {
        Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
    } else {
        LABEL
    };
    let marker = if focused { "> " } else { "  " };
    let text = format!("{marker}{}", pad(label, cells.saturating_sub(2)));
    frame.render_widget(Paragraph::new(Span::styled(text, style)), area);
}

/// A form's text field: its hint while empty, the cursor only while it has the focus.
pub fn form_text(
    frame: &mut Frame,
    area: Rect,
    text: &ratatui_textarea::TextArea<'static>,
    hint: &str,
    focused: bool,
) {
    // An empty field out of focus shows its hint where its text would start (the text area
    // draws its placeholder one cell on, after the cursor's place).
    if !focused && text.is_empty() {
        frame.render_widget(Paragraph::new(Span::styled(hint.to_string(), DIM)), area);
        return;
    }
    let mut shown = text.clone();
    shown.set_placeholder_text(hint);
    shown.set_placeholder_style(DIM);
    shown.set_cursor_line_style(Style::new());
    if !focused {
        shown.set_cursor_style(Style::new());
    }
    frame.render_widget(&shown, area);
}

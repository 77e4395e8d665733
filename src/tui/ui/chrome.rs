//! The tab bar, the status bar, and the "terminal too small" notice.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Tabs, Wrap};

use super::parts::DIM;
use crate::i18n::Lang;
use crate::text::{truncate, truncate_start, width};
use crate::tui::keymap;
use crate::tui::state::{MIN_HEIGHT, MIN_WIDTH};
use crate::tui::state::{State, Tab};

pub fn tabs(frame: &mut Frame, area: Rect, state: &State) {
    let titles: Vec<Line> = Tab::ALL
        .iter()
        .enumerate()
        .map(|(i, t)| Line::from(format!("{} {}", i + 1, t.title(state.lang))))
        .collect();
    let tabs = Tabs::new(titles)
        .select(state.tab.index())
        .style(DIM)
        .highlight_style(
            Style::new()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
        .divider("·");
    frame.render_widget(tabs, area);
    let name = Span::styled(" fieldcheck ", Style::new().bold());
    let name_width = u16::try_from(width(" fieldcheck ")).unwrap_or(0);
    if area.width > name_width + 40 {
        let right = Rect {
            x: area.right() - name_width,
            width: name_width,
            ..area
        };
        frame.render_widget(Paragraph::new(name), right);
    }
}

/// Two lines: the message, the long work under way or the keys that work now; then store,
/// inspector, language.
pub fn status(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let cells = usize::from(area.width);
    let first = match &state.message {
        Some(m) if m.error => Line::from(Span::styled(
            truncate(&m.text, cells),
            Style::new().fg(Color::Red).bold(),
        )),
        Some(m) => Line::from(Span::styled(
            truncate(&m.text, cells),
            Style::new().fg(Color::Green),
        )),
        None => match &state.busy {
            Some(busy) => Line::from(Span::styled(
                truncate(&busy.line(lang), cells),
                Style::new().fg(Color::Yellow),
            )),
            None => keys_line(state, cells),
        },
    };
    let language = lang.pick("中文", "English");
    let who = format!(
        "{} {} · {} · {}{} · ",
        lang.pick("检查员", "inspector"),
        state.info.inspector,
        language,
        lang.pick("未导出 ", "unexported "),
        state.sync.status.unexported
    );
    // The store path goes last and gives way first, keeping its end (the file name).
    let label = format!("{} ", lang.pick("数据库", "store"));
    let room = cells.saturating_sub(width(&who) + width(&label));
    let path = truncate_start(&state.info.store, room);
    let second = Line::from(vec![
        Span::styled(who, DIM),
        Span::styled(label + &path, DIM),
    ]);
    frame.render_widget(Paragraph::new(vec![first, second]), area);
}

/// A message longer than the status line, in full: wrapped in a box at the foot of the body
/// (the status line shows its start). Any key clears it, as it clears every message.
pub fn long_message(frame: &mut Frame, body: Rect, status: Rect, state: &State) {
    let Some(m) = &state.message else {
        return;
    };
    if width(&m.text) <= usize::from(status.width) {
        return;
    }
    let inner = usize::from(body.width.saturating_sub(2)).max(1);
    // Wrapping at words can take a line more than the cells alone would.
    let lines = width(&m.text).div_ceil(inner) + 1;
    let height = u16::try_from(lines + 2)
        .unwrap_or(u16::MAX)
        .min(body.height / 2)
        .max(3);
    let rect = Rect {
        y: body.bottom().saturating_sub(height),
        height,
        ..body
    };
    let colour = if m.error { Color::Red } else { Color::Green };
    let title = state
        .lang
        .pick(" 消息（按任意键关闭） ", " Message (any key closes) ");
    frame.render_widget(ratatui::widgets::Clear, rect);
    frame.render_widget(
        Paragraph::new(m.text.clone())
            .wrap(Wrap { trim: true })
            .block(
                ratatui::widgets::Block::bordered()
                    .border_type(ratatui::widgets::BorderType::Rounded)
                    .border_style(Style::new().fg(colour))
                    .title(title),
            ),
        rect,
    );
}

/// The keys of the current mode and tab, as many as fit, always ending with the help key.
fn keys_line(state: &State, cells: usize) -> Line<'static> {
    let item = |key: &str, what: &str| {
        // Short form for the bar: the text before any colon or parenthesis.
        let what = what
            .split(['：', '（', ':', '('])
            .next()
            .unwrap_or(what)
            .trim();
        format!("{key} {what}  ")
    };
    let keys = keymap::help(state.mode, state.tab, state.lang);
    let (pinned, rest): (Vec<_>, Vec<_>) = keys.into_iter().partition(|(key, _)| *key == "?");
    let tail: String = pinned.iter().map(|(k, w)| item(k, w)).collect();
    let mut used = width(&tail);
    let mut spans = Vec::new();
    let mut full = false;
    for (key, what) in rest.iter().chain(pinned.iter()) {
        let text = item(key, what);
        if *key != "?" {
            full = full || used + width(&text) > cells;
            if full {
                continue;
            }
            used += width(&text);
        }
        let (k, w) = text.split_at(key.len());
        spans.push(Span::styled(k.to_string(), Style::new().fg(Color::Cyan)));
        spans.push(Span::raw(w.to_string()));
    }
    Line::from(spans)
}

pub fn too_small(frame: &mut Frame, area: Rect, lang: Lang) {
    let text = match lang {
        Lang::Zh => format!(
            "终端太小：至少需要 {MIN_WIDTH}×{MIN_HEIGHT}，当前 {}×{}。请放大窗口；按 q 退出。",
            area.width, area.height
        ),
        Lang::En => format!(
            "The terminal is too small: fieldcheck needs {MIN_WIDTH}×{MIN_HEIGHT}, this one is {}×{}. Enlarge it; q quits.",
            area.width, area.height
        ),
    };
    let top = area.height / 2;
    let rect = Rect {
        y: area.y + top.saturating_sub(1),
        height: area.height.saturating_sub(top.saturating_sub(1)),
        ..area
    };
    frame.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        rect,
    );
}

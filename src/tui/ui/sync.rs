//! The 同步 screen: this device, unexported changes and the last export, the devices seen with
//! their missing idx ranges, and the conflicts waiting for a person; the import prompt and the
//! conflict dialog.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::parts::{DIM, LABEL, block, field};
use crate::i18n::Lang;
use crate::store::Head;
use crate::text::{truncate, truncate_start};
use crate::tui::state::{Mode, State};

fn end(id: &str) -> &str {
    id.get(id.len().saturating_sub(8)..).unwrap_or(id)
}

/// A value with who wrote it: the author this store verified for the device, never the
/// change's own claim.
fn head_text(
    h: &Head,
    in_effect: &Head,
    authors: &std::collections::BTreeMap<String, String>,
    lang: Lang,
) -> String {
    let who = authors.get(&h.device).map_or(
        lang.pick("未核实的设备", "unverified device"),
        String::as_str,
    );
    let value = crate::tui::labels::value_label(&h.value, lang);
    let now = if h.id == in_effect.id {
        lang.pick("，现行", ", in effect")
    } else {
        ""
    };
    format!("{value}（{who} {}{now}）", end(&h.device))
}

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let sync = &state.sync;
    let w = if lang == Lang::Zh { 10 } else { 12 };
    let cells = usize::from(area.width.saturating_sub(4));
    let mut lines = vec![
        field(
            lang.pick("本机", "this laptop"),
            w,
            vec![Span::raw(format!(
                "{}（{}）",
                state.info.device,
                end(&state.info.device_id)
            ))],
        ),
        field(
            lang.pick("本机指纹", "fingerprint"),
            w,
            vec![
                Span::styled(
                    state.info.fingerprint.clone(),
                    Style::new().add_modifier(Modifier::BOLD),
                ),
                Span::styled(
                    lang.pick("  K 完整密钥和二维码", "  K: the key and its QR code"),
                    DIM,
                ),
            ],
        ),
        field(
            lang.pick("未导出变更", "unexported"),
            w,
            vec![Span::styled(
                sync.status.unexported.to_string(),
                Style::new().add_modifier(Modifier::BOLD),
            )],
        ),
        field(
            lang.pick("上次导出", "last export"),
            w,
            vec![Span::raw(truncate_start(
                &sync
                    .status
                    .last_export
                    .as_deref()
                    .map_or_else(|| "—".to_string(), crate::clock::shown_note),
                cells.saturating_sub(w + 1),
            ))],
        ),
        field(
            lang.pick("变更包目录", "bundles"),
            w,
            vec![Span::styled(
                truncate_start(&sync.bundles_dir, cells.saturating_sub(w + 1)),
                DIM,
            )],
        ),
        Line::from(""),
        Line::from(Span::styled(
            lang.pick(
                "见过的设备（最高序号 · 缺失）",
                "devices seen (highest idx · missing)",
            ),
            LABEL,
        )),
    ];
    if sync.status.devices.is_empty() {
        lines.push(Line::from(Span::styled(
            lang.pick("  还没有变更", "  no changes yet"),
            DIM,
        )));
    }
    for d in &sync.status.devices {
        let gaps: Vec<String> = d
            .gaps
            .iter()
            .map(|g| format!("#{}–#{}", g.from, g.to))
            .collect();
        let missing = if gaps.is_empty() {
            lang.pick("无", "none").to_string()
        } else {
            gaps.join(", ")
        };
        let style = if d.gaps.is_empty() {
            Style::new()
        } else {
            Style::new().fg(Color::Yellow)
        };
        let who = sync.authors.get(&d.device).map_or(
            lang.pick("未核实的设备", "unverified device"),
            String::as_str,
        );
        lines.push(Line::from(Span::styled(
            format!("  {}  {who}  #{}  {missing}", end(&d.device), d.highest),
            style,
        )));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        format!(
            "{}（{}）",
            lang.pick(
                "冲突：两台设备同时改成不同的值",
                "conflicts: two devices changed a field at once"
            ),
            sync.conflicts.len()
        ),
        LABEL,
    )));
    if sync.conflicts.is_empty() {
        lines.push(Line::from(Span::styled(lang.pick("  无", "  none"), DIM)));
    }
    for (i, c) in sync.conflicts.iter().enumerate() {
        let chosen = i == state.conflict;
        let values: Vec<String> = c
            .heads
            .iter()
            .map(|h| head_text(h, &c.current, &state.sync.authors, lang))
            .collect();
        let text = format!(
            "{} {} {}  {}",
            if chosen { ">" } else { " " },
            conflict_lead(state, &c.entity),
            crate::tui::labels::field_label(&c.field, lang),
            values.join(" / ")
        );
        let style = if chosen {
            Style::new()
                .bg(Color::DarkGray)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        lines.push(Line::from(Span::styled(truncate(&text, cells), style)));
    }
    let focused = state.mode == Mode::List;
    frame.render_widget(
        Paragraph::new(lines).block(block(format!(" {} ", lang.pick("同步", "Sync")), focused)),
        area,
    );
    if let Some(prompt) = &state.prompt {
        draw_prompt(frame, area, state, prompt);
    }
    if state.mode == Mode::Resolve
        && let Some(c) = state.selected_conflict()
    {
        draw_resolve(frame, area, state, c);
    }
}

fn draw_prompt(frame: &mut Frame, area: Rect, state: &State, prompt: &crate::tui::state::Prompt) {
    let lang = state.lang;
    let rect = Rect {
        y: area.bottom().saturating_sub(5),
        height: 4.min(area.height),
        ..area
    };
    let inner_cells = usize::from(rect.width.saturating_sub(4));
    let text = truncate_start(&prompt.text, inner_cells.saturating_sub(1));
    let bundles = prompt
        .candidates
        .iter()
        .filter(|c| c.ends_with(".fcb"))
        .count();
    let hint = match bundles {
        _ if prompt.export => lang
            .pick(
                "Enter 导出到这个文件夹 · Tab 补全文件夹 · Esc 取消",
                "Enter exports into this folder · Tab completes folders · Esc cancels",
            )
            .to_string(),
        0 => lang
            .pick(
                "这个文件夹里没有 .fcb 文件；可输入完整路径，Tab 补全文件夹",
                "no .fcb files in this folder; type a full path (Tab completes folders)",
            )
            .to_string(),
        n => match lang {
            Lang::Zh => format!("Tab 补全（目录里有 {n} 个变更包）· Enter 导入 · Esc 取消"),
            Lang::En => {
                format!("Tab completes ({n} bundles in the folder) · Enter imports · Esc cancels")
            }
        },
    };
    let drives = (prompt.export && !prompt.drives.is_empty()).then(|| {
        let list = prompt.drives.join("  ");
        let line = format!(
            "{}{list}",
            lang.pick("F2 可移动盘：", "F2 removable drives: ")
        );
        Line::from(Span::styled(crate::text::truncate(&line, inner_cells), DIM))
    });
    let rect = if drives.is_some() {
        Rect {
            y: rect.y.saturating_sub(1),
            height: rect.height + 1,
            ..rect
        }
    } else {
        rect
    };
    frame.render_widget(Clear, rect);
    let mut body = vec![
        Line::from(text.clone()),
        Line::from(Span::styled(hint, DIM)),
    ];
    body.extend(drives);
    frame.render_widget(
        Paragraph::new(body).block(block(
            format!(
                " {} ",
                if prompt.export {
                    lang.pick("导出到文件夹", "Export to a folder")
                } else {
                    lang.pick("导入变更包", "Import a bundle")
                }
            ),
            true,
        )),
        rect,
    );
    let x = rect.x + 1 + u16::try_from(crate::text::width(&text)).unwrap_or(0);
    frame.set_cursor_position((x.min(rect.right().saturating_sub(2)), rect.y + 1));
}

fn draw_resolve(frame: &mut Frame, area: Rect, state: &State, c: &crate::store::Conflict) {
    let lang = state.lang;
    let own = c.heads.iter().find(|h| h.device == state.info.device_id);
    let mine_id = own.unwrap_or(&c.current).id.clone();
    // Without a value of its own, "mine" is the value shown now.
    let mine = if own.is_some() {
        lang.pick("m 本机", "m mine")
    } else {
        lang.pick("m 当前", "m shown")
    };
    let mut lines = vec![
        Line::from(format!(
            "{} · {}",
            conflict_lead(state, &c.entity),
            crate::tui::labels::field_label(&c.field, lang)
        )),
        Line::from(""),
    ];
    for h in &c.heads {
        let label = if h.id == mine_id {
            mine
        } else {
            lang.pick("t 对方", "t theirs")
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{label}  "), LABEL),
            Span::raw(head_text(h, &c.current, &state.sync.authors, lang)),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        lang.pick(
            "保留的值会作为一条新变更同步到其他设备。Esc 暂不处理。",
            "The kept value syncs to the other devices as a new change. Esc: not now.",
        ),
        DIM,
    )));
    let [rect] = Layout::vertical([Constraint::Length(
        u16::try_from(lines.len() + 2).unwrap_or(10),
    )])
    .flex(ratatui::layout::Flex::Center)
    .areas(area);
    let rect = Rect {
        x: rect.x + 2,
        width: rect.width.saturating_sub(4),
        ..rect
    };
    super::overlay::clear(frame, rect, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(
                format!(" {} ", lang.pick("处理冲突", "Resolve a conflict")),
                true,
            )),
        rect,
    );
}

/// The lead a conflict is about, by its creditor as the screen shows it (masked when
/// confidential), or its id when this store does not hold it.
fn conflict_lead(state: &State, entity: &str) -> String {
    let id = entity.trim_start_matches("lead:");
    state
        .lead(id)
        .map_or_else(|| id.to_string(), |l| state.creditor_shown(l).into_owned())
}

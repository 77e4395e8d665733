//! The 走访 and 同步 tabs: what they will hold, plainly, and the real facts there are so far.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::parts::{DIM, LABEL, block};
use crate::i18n::Lang;
use crate::tui::state::State;

pub fn visits(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let text = match lang {
        Lang::Zh => vec![
            Line::from(Span::styled("走访记录", LABEL)),
            Line::from(""),
            Line::from(
                "这里将列出每一次实地核查、回访和复核：时间、检查员、见到的人、核查结果、证据、系统性原因和下一步措施，并可从线索直接新建走访。",
            ),
            Line::from(""),
            Line::from(Span::styled(
                "此功能尚未提供，目前还没有任何走访记录。现在可以在“线索”页签改变状态（s）、挂牌督办（!）、保密（c）和分派（a）。",
                DIM,
            )),
        ],
        Lang::En => vec![
            Line::from(Span::styled("Visits", LABEL)),
            Line::from(""),
            Line::from(
                "This tab will list every on-site check, revisit and re-verification: when, who, the people met, the finding, the evidence, systemic causes and the next step; new visits will start from a lead.",
            ),
            Line::from(""),
            Line::from(Span::styled(
                "Not available yet, and no visits are recorded. On the Leads tab you can already change a lead's status (s), supervision (!), confidentiality (c) and assignee (a).",
                DIM,
            )),
        ],
    };
    frame.render_widget(
        Paragraph::new(text)
            .block(block(format!(" {} ", lang.pick("走访", "Visits")), false))
            .wrap(Wrap { trim: false }),
        area,
    );
}

pub fn sync(frame: &mut Frame, area: Rect, state: &State) {
    let lang = state.lang;
    let info = &state.info;
    let text = match lang {
        Lang::Zh => vec![
            Line::from(Span::styled("同步", LABEL)),
            Line::from(""),
            Line::from(format!(
                "本机：{}（设备编号 {}）",
                info.device, info.device_id
            )),
            Line::from(format!("检查员：{}", info.inspector)),
            Line::from(format!("本机变更日志：{} 条，尚未导出。", state.changes)),
            Line::from(""),
            Line::from("这里将导出签名的变更包交总部汇总、导入总部下发的变更包，并处理冲突。"),
            Line::from(Span::styled(
                "导出和导入尚未提供；所有变更都已记入本机变更日志，提供后即可导出。",
                DIM,
            )),
        ],
        Lang::En => vec![
            Line::from(Span::styled("Sync", LABEL)),
            Line::from(""),
            Line::from(format!(
                "This laptop: {} (device {})",
                info.device, info.device_id
            )),
            Line::from(format!("Inspector: {}", info.inspector)),
            Line::from(format!(
                "Local change log: {} changes, not yet exported.",
                state.changes
            )),
            Line::from(""),
            Line::from(
                "This tab will export signed change bundles for headquarters, import the bundles it sends back, and resolve conflicts.",
            ),
            Line::from(Span::styled(
                "Export and import are not available yet; every change is already in the local log, ready to export.",
                DIM,
            )),
        ],
    };
    frame.render_widget(
        Paragraph::new(text)
            .block(block(format!(" {} ", lang.pick("同步", "Sync")), false))
            .wrap(Wrap { trim: false }),
        area,
    );
}

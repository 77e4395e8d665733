//! The 走访 and 同步 tabs: what they will hold, plainly, and the real facts there are so far.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::parts::{DIM, LABEL, block};
use crate::i18n::Lang;
use crate::tui::state::State;

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

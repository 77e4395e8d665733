//! Two boxes of the 同步 screen about keys: this laptop's own key in full with a QR code (for
//! headquarters to enrol it from a phone's photo), and the question asked when a bundle was
//! refused because its packer is not trusted.

use qrcode::{EcLevel, QrCode};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::overlay::centered;
use super::parts::{DIM, LABEL, block};
use crate::tui::state::{State, TrustAsk};

/// Light modules around the code (the terminal's own background may be dark).
const QUIET: usize = 1;

/// The QR code of `text` as rows of half blocks, two modules a row, drawn in black and white
/// whatever the terminal's colours. In upper case the key is alphanumeric, which makes the
/// code small enough for 80×24 (the key's parts are case-insensitive: `trust add` takes it).
fn qr_lines(text: &str) -> Option<Vec<Line<'static>>> {
    let code = QrCode::with_error_correction_level(text.to_ascii_uppercase(), EcLevel::L).ok()?;
    let n = code.width();
    let colors = code.to_colors();
    let side = n + 2 * QUIET;
    let dark = |x: usize, y: usize| -> bool {
        let inside = (QUIET..QUIET + n).contains(&x) && (QUIET..QUIET + n).contains(&y);
        inside && colors[(y - QUIET) * n + (x - QUIET)] == qrcode::Color::Dark
    };
    let shade = |d: bool| if d { Color::Black } else { Color::White };
    let lines = (0..side.div_ceil(2))
        .map(|row| {
            let spans: Vec<Span> = (0..side)
                .map(|x| {
                    let (top, bottom) =
                        (dark(x, 2 * row), 2 * row + 1 < side && dark(x, 2 * row + 1));
                    Span::styled("▀", Style::new().fg(shade(top)).bg(shade(bottom)))
                })
                .collect();
            Line::from(spans)
        })
        .collect();
    Some(lines)
}

/// This laptop's key: the QR code where it fits, the fingerprint and the key as text, in the
/// body; where the body is too low for both (80×24), the code alone over the whole screen with
/// the fingerprint under it.
pub fn own_key(frame: &mut Frame, whole: Rect, area: Rect, state: &State) {
    let lang = state.lang;
    let info = &state.info;
    let qr = qr_lines(&info.public_key).unwrap_or_default();
    let qr_rows = u16::try_from(qr.len()).unwrap_or(u16::MAX);
    let text_rows = 2 + u16::try_from(info.public_key.len()).unwrap_or(0) / area.width.max(1) + 2;
    if qr_rows + text_rows > area.height.saturating_sub(2) && qr_rows + 2 <= whole.height {
        let mut lines = qr;
        lines.push(Line::from(vec![
            Span::styled(lang.pick("指纹 ", "fingerprint "), LABEL),
            Span::styled(
                info.fingerprint.clone(),
                Style::new().add_modifier(Modifier::BOLD),
            ),
        ]));
        lines.push(Line::from(Span::styled(
            lang.pick(
                "Esc 关闭 · 终端更高时同时显示密钥全文（或 fieldcheck identity）",
                "Esc closes · a taller terminal shows the key as text too (or fieldcheck identity)",
            ),
            DIM,
        )));
        frame.render_widget(Clear, whole);
        frame.render_widget(Paragraph::new(lines), whole);
        return;
    }
    let mut lines = vec![
        Line::from(vec![
            Span::styled(lang.pick("指纹 ", "fingerprint "), LABEL),
            Span::styled(
                info.fingerprint.clone(),
                Style::new().add_modifier(Modifier::BOLD),
            ),
        ]),
        Line::from(Span::raw(info.public_key.clone())),
    ];
    let fits = qr_rows + text_rows <= area.height.saturating_sub(2);
    let mut shown = Vec::new();
    if fits {
        shown.extend(qr);
    } else {
        lines.push(Line::from(Span::styled(
            lang.pick(
                "（终端再高几行即可显示二维码）",
                "(a few more rows and the QR code shows)",
            ),
            DIM,
        )));
    }
    shown.extend(lines);
    shown.push(Line::from(Span::styled(
        lang.pick(
            "总部用 fieldcheck trust add <密钥> 登记本机（可拍下二维码）；请当面或电话核对指纹。Esc 关闭",
            "HQ enrols this laptop with fieldcheck trust add <key> (the QR code holds it); compare the fingerprint in person or by phone. Esc closes",
        ),
        DIM,
    )));
    let title = format!(
        " {} · {} ",
        lang.pick("本机密钥", "This laptop's key"),
        info.device
    );
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(shown)
            .wrap(Wrap { trim: false })
            .block(block(title, true)),
        area,
    );
}

/// Asks whether to trust the packer of a refused bundle: its fingerprint, to be compared with
/// the other side's, and the name to trust it by.
pub fn trust(frame: &mut Frame, area: Rect, state: &State, ask: &TrustAsk) {
    let lang = state.lang;
    let rect = centered(area, 76, 14);
    let hq = if ask.hq {
        lang.pick("[x] 对方是总部（Tab 切换）", "[x] it is headquarters (Tab)")
    } else {
        lang.pick("[ ] 对方是总部（Tab 切换）", "[ ] it is headquarters (Tab)")
    };
    let lines = vec![
        Line::from(Span::styled(ask.who.path.clone(), DIM)),
        Line::from(vec![
            Span::styled(lang.pick("打包者指纹  ", "packer's fingerprint  "), LABEL),
            Span::styled(
                ask.who.fingerprint.clone(),
                Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            ),
        ]),
        Line::from(""),
        Line::from(lang.pick(
            "请当面或电话请对方读出其指纹（同步页 K）。一致才信任；不一致就不要导入。",
            "Ask the other side to read out its fingerprint (Sync tab, K), in person or by phone. Trust it only if they match.",
        )),
        Line::from(""),
        Line::from(vec![
            Span::styled(lang.pick("设备名称  ", "device name  "), LABEL),
            Span::raw(ask.name.clone()),
            Span::styled("▏", Style::new().fg(Color::Cyan)),
        ]),
        Line::from(hq),
        Line::from(""),
        Line::from(Span::styled(
            lang.pick(
                "Enter 信任并导入 · Esc 不信任、不导入",
                "Enter trusts and imports · Esc: neither",
            ),
            DIM,
        )),
    ];
    super::overlay::clear(frame, rect, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(
                format!(
                    " {} ",
                    lang.pick("未受信任的变更包", "A bundle from an untrusted device")
                ),
                true,
            )),
        rect,
    );
}

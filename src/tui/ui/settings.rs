//! The identity screen, drawn over the current tab: who writes the changes, on which laptop.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::Span;
use ratatui::widgets::{Paragraph, Wrap};

use super::overlay::centered;
use super::parts::{DIM, block, form_label, form_text};
use crate::i18n::Lang;
use crate::tui::settings::{Part, Purpose, Settings};
use crate::tui::state::State;

pub fn draw(frame: &mut Frame, area: Rect, state: &State, settings: &Settings) {
    let lang = state.lang;
    // Two rows a field (one where that does not fit), three of explanation, two for a problem
    // and the keys, the frame.
    let parts = u16::try_from(settings.parts.len()).unwrap_or(3);
    let per_field = if 2 * parts + 8 <= area.height { 2 } else { 1 };
    let fields_rows = per_field * parts;
    let rect = centered(area, 76, fields_rows + 8);
    super::overlay::clear(frame, rect, area);
    let title = match &settings.purpose {
        Purpose::Identity => lang
            .pick(" 本机身份 ", " This laptop's identity ")
            .to_string(),
        Purpose::Facts(id) => {
            let name = state
                .lead(id)
                .map_or_else(|| id.clone(), |l| state.creditor_shown(l).into_owned());
            format!(" {} · {name} ", lang.pick("现场核实", "Found on site"))
        }
        Purpose::NewLead => lang
            .pick(" 新线索（现场收到） ", " New lead (received on site) ")
            .to_string(),
    };
    let outer = block(title, true);
    let inner = outer.inner(rect);
    frame.render_widget(outer, rect);
    let [intro, fields, problem, keys] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Length(fields_rows),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    let why = if settings.purpose == Purpose::NewLead {
        lang.pick(
            "现场收到的新投诉：记为本机编号的线索（site-…），导出后同步到总部。",
            "A complaint received on site: recorded as a lead numbered by this laptop (site-…), synced to HQ on export.",
        )
    } else if matches!(settings.purpose, Purpose::Facts(_)) {
        lang.pick(
            "通知中不详的债务人和金额、企业联系人和电话，按现场核实填写；保存后作为变更同步到总部。",
            "The debtor and amount the notice did not give, the enterprise's contact and phone, as found on site; saved as changes that sync to HQ.",
        )
    } else if settings.first {
        lang.pick(
            "第一次使用：每条走访、分派和冲突都记在这些名字下，请确认或修改（已按登录名和主机名预填）。",
            "First start: every visit, assignment and conflict is written under these names. Check them (filled in from the login and host names).",
        )
    } else {
        lang.pick(
            "每条新的走访、分派和冲突都记在这些名字下；已记录的不变。",
            "New visits, assignments and conflicts are written under these names; those recorded keep theirs.",
        )
    };
    frame.render_widget(Paragraph::new(why).wrap(Wrap { trim: true }), intro);
    let rows =
        Layout::vertical(vec![Constraint::Length(per_field); settings.parts.len()]).split(fields);
    for (part, row) in settings.parts.iter().zip(rows.iter()) {
        field(frame, *row, settings, *part, lang);
    }
    if let Some((part, zh, en)) = settings.problem {
        let text = format!(
            "{}{}{}",
            part.label(lang),
            lang.pick("：", ": "),
            lang.pick(zh, en)
        );
        frame.render_widget(
            Paragraph::new(Span::styled(text, Style::new().fg(Color::Red)))
                .wrap(Wrap { trim: true }),
            problem,
        );
    }
    let hint = lang.pick(
        "Ctrl-S 保存 · Tab 下一栏 · Esc 关闭",
        "Ctrl-S saves · Tab next field · Esc closes",
    );
    frame.render_widget(Paragraph::new(Span::styled(hint, DIM)), keys);
}

fn field(frame: &mut Frame, area: Rect, settings: &Settings, part: Part, lang: Lang) {
    let focused = settings.focus == part;
    let [label, value] = Layout::horizontal([Constraint::Length(14), Constraint::Fill(1)])
        .spacing(1)
        .areas(area);
    form_label(frame, label, part.label(lang), 14, focused);
    form_text(frame, value, settings.text(part), part.hint(lang), focused);
}

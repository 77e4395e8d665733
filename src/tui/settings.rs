//! The identity screen (`I`, and at the first start): the inspector's name, this laptop's name
//! and the inspector's district, which every change, assignment and conflict is written with.
//! Its keys go to the field in focus; `update` saves it through `Effect::SaveIdentity`.

use ratatui::crossterm::event::KeyEvent;
use ratatui_textarea::{CursorMove, TextArea};

use crate::i18n::Lang;

/// The fields, in the order Tab visits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Inspector,
    Device,
    District,
}

pub const PARTS: [Part; 3] = [Part::Inspector, Part::Device, Part::District];

impl Part {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Part::Inspector => lang.pick("检查员姓名", "inspector"),
            Part::Device => lang.pick("本机名称", "device name"),
            Part::District => lang.pick("所在辖区", "district"),
        }
    }

    pub fn hint(self, lang: Lang) -> &'static str {
        match self {
            Part::Inspector => lang.pick("如 张明", "like Zhang Ming"),
            Part::Device => lang.pick("如 北碚区-笔记本2", "like beibei-laptop-2"),
            Part::District => lang.pick(
                "如 北碚区（可留空：“本辖区”筛选不可用）",
                "like 北碚区 (may be empty: no “my district” filter)",
            ),
        }
    }
}

/// The identity screen as typed so far.
#[derive(Debug, Clone)]
pub struct Settings {
    texts: [TextArea<'static>; 3],
    pub focus: Part,
    /// Opened by the app at the first start (Esc keeps the names and asks again next time).
    pub first: bool,
    /// The field that must change, and why (after Ctrl-S).
    pub problem: Option<(Part, &'static str, &'static str)>,
}

fn area(text: &str) -> TextArea<'static> {
    let mut area = TextArea::new(vec![text.to_string()]);
    area.move_cursor(CursorMove::End);
    area
}

impl Settings {
    /// Prefilled with the names the store has (at the first start: the login and host names).
    pub fn new(inspector: &str, device: &str, district: Option<&str>, first: bool) -> Settings {
        Settings {
            texts: [
                area(inspector),
                area(device),
                area(district.unwrap_or_default()),
            ],
            focus: Part::Inspector,
            first,
            problem: None,
        }
    }

    fn index(part: Part) -> usize {
        PARTS.iter().position(|p| *p == part).unwrap_or(0)
    }

    pub fn text(&self, part: Part) -> &TextArea<'static> {
        &self.texts[Self::index(part)]
    }

    /// A field's value, trimmed.
    pub fn value(&self, part: Part) -> String {
        self.text(part).lines().concat().trim().to_string()
    }

    /// Moves the focus by `by` fields, round.
    pub fn step(&mut self, by: isize) {
        let n = PARTS.len() as isize;
        let at = (Self::index(self.focus) as isize + by).rem_euclid(n);
        self.focus = PARTS[at.unsigned_abs()];
    }

    /// A key typed into the field in focus (one line: Enter is not text here).
    pub fn key(&mut self, key: KeyEvent) {
        let focus = Self::index(self.focus);
        self.texts[focus].input(key);
        if self.problem.is_some_and(|(p, ..)| p == self.focus) {
            self.problem = None;
        }
    }

    /// Pasted text, on one line.
    pub fn paste(&mut self, text: &str) {
        let line = text.replace(['\r', '\n'], " ");
        let focus = Self::index(self.focus);
        self.texts[focus].insert_str(line);
    }

    /// The names to save, or the first field that must change (set as `problem`).
    pub fn checked(&mut self) -> Option<(String, String, String)> {
        let (inspector, device) = (self.value(Part::Inspector), self.value(Part::Device));
        let problem = if inspector.is_empty() {
            Some((
                Part::Inspector,
                "请填写检查员姓名",
                "type the inspector's name",
            ))
        } else if device.is_empty() {
            Some((
                Part::Device,
                "请填写本机名称",
                "type a name for this laptop",
            ))
        } else {
            None
        };
        if let Some((part, ..)) = problem {
            self.focus = part;
            self.problem = problem;
            return None;
        }
        Some((inspector, device, self.value(Part::District)))
    }
}

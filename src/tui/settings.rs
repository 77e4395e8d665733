//! Two small forms of text fields: the identity screen (`I`, and at the first start: the
//! inspector's name, this laptop's name and the inspector's district, which every change,
//! assignment and conflict is written with), and a lead's facts found on site (`D`: debtor and
//! amount, synced fields). Keys go to the field in focus; `update` saves through effects.

use ratatui::crossterm::event::KeyEvent;
use ratatui_textarea::{CursorMove, TextArea};

use crate::i18n::Lang;

/// The fields, in the order Tab visits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Inspector,
    Device,
    District,
    Debtor,
    Amount,
}

/// The identity screen's fields.
pub const PARTS: [Part; 3] = [Part::Inspector, Part::Device, Part::District];

/// A lead's facts.
pub const FACTS: [Part; 2] = [Part::Debtor, Part::Amount];

/// What the form is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    Identity,
    /// The facts of this lead (its id).
    Facts(String),
}

/// What a checked form asks to save.
#[derive(Debug, Clone, PartialEq)]
pub enum Checked {
    Identity {
        inspector: String,
        device: String,
        district: String,
    },
    Facts {
        lead: String,
        fields: [crate::sync::LeadField; 2],
    },
}

impl Part {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Part::Inspector => lang.pick("检查员姓名", "inspector"),
            Part::Device => lang.pick("本机名称", "device name"),
            Part::District => lang.pick("所在辖区", "district"),
            Part::Debtor => lang.pick("债务人", "debtor"),
            Part::Amount => lang.pick("欠款（万元）", "owed (万元)"),
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
            Part::Debtor => lang.pick("拖欠方名称（留空：不详）", "who owes (empty: unknown)"),
            Part::Amount => lang.pick("如 76.6（留空：不详）", "like 76.6 (empty: unknown)"),
        }
    }
}

/// The identity screen as typed so far.
#[derive(Debug, Clone)]
pub struct Settings {
    pub purpose: Purpose,
    pub parts: &'static [Part],
    texts: Vec<TextArea<'static>>,
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
            purpose: Purpose::Identity,
            parts: &PARTS,
            texts: vec![
                area(inspector),
                area(device),
                area(district.unwrap_or_default()),
            ],
            focus: Part::Inspector,
            first,
            problem: None,
        }
    }

    /// A lead's facts, prefilled with what the lead holds (an amount in 万元).
    pub fn facts(lead: &crate::model::Lead) -> Settings {
        let amount = lead
            .amount_yuan
            .map(crate::model::amount::format_wan)
            .unwrap_or_default();
        Settings {
            purpose: Purpose::Facts(lead.id.clone()),
            parts: &FACTS,
            texts: vec![
                area(lead.debtor.as_deref().unwrap_or_default()),
                area(&amount),
            ],
            focus: Part::Debtor,
            first: false,
            problem: None,
        }
    }

    fn index(&self, part: Part) -> usize {
        self.parts.iter().position(|p| *p == part).unwrap_or(0)
    }

    pub fn text(&self, part: Part) -> &TextArea<'static> {
        &self.texts[self.index(part)]
    }

    /// A field's value, trimmed.
    pub fn value(&self, part: Part) -> String {
        self.text(part).lines().concat().trim().to_string()
    }

    /// Moves the focus by `by` fields, round.
    pub fn step(&mut self, by: isize) {
        let n = self.parts.len() as isize;
        let at = (self.index(self.focus) as isize + by).rem_euclid(n);
        self.focus = self.parts[at.unsigned_abs()];
    }

    /// A key typed into the field in focus (one line: Enter is not text here).
    pub fn key(&mut self, key: KeyEvent) {
        let focus = self.index(self.focus);
        self.texts[focus].input(key);
        if self.problem.is_some_and(|(p, ..)| p == self.focus) {
            self.problem = None;
        }
    }

    /// Pasted text, on one line.
    pub fn paste(&mut self, text: &str) {
        let line = text.replace(['\r', '\n'], " ");
        let focus = self.index(self.focus);
        self.texts[focus].insert_str(line);
    }

    /// Is the focus on the last field (where Enter saves)?
    pub fn on_last(&self) -> bool {
        self.parts.last() == Some(&self.focus)
    }

    /// What to save, or `None` with the first field that must change set as `problem`.
    pub fn checked(&mut self) -> Option<Checked> {
        let (checked, problem) = match &self.purpose {
            Purpose::Identity => {
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
                let district = self.value(Part::District);
                (
                    Checked::Identity {
                        inspector,
                        device,
                        district,
                    },
                    problem,
                )
            }
            Purpose::Facts(lead) => {
                use crate::sync::LeadField;
                let debtor = LeadField::typed_debtor(&self.value(Part::Debtor));
                let amount = LeadField::typed_amount_wan(&self.value(Part::Amount));
                let problem = match (&debtor, &amount) {
                    (None, _) => Some((
                        Part::Debtor,
                        "名称太长（最多 200 字）",
                        "too long (200 characters at most)",
                    )),
                    (_, None) => Some((
                        Part::Amount,
                        "请写万元数，如 76.6（最多 4 位小数），或留空",
                        "write 万元, like 76.6 (4 decimals at most), or leave it empty",
                    )),
                    _ => None,
                };
                match (debtor, amount) {
                    (Some(d), Some(a)) => (
                        Checked::Facts {
                            lead: lead.clone(),
                            fields: [d, a],
                        },
                        problem,
                    ),
                    _ => {
                        self.refuse(problem);
                        return None;
                    }
                }
            }
        };
        if problem.is_some() {
            self.refuse(problem);
            return None;
        }
        Some(checked)
    }

    fn refuse(&mut self, problem: Option<(Part, &'static str, &'static str)>) {
        if let Some((part, ..)) = problem {
            self.focus = part;
        }
        self.problem = problem;
    }
}

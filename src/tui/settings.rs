//! Two small forms of text fields: the identity screen (`I`, and at the first start: the
//! inspector's name, this laptop's name and the inspector's district, which every change,
//! assignment and conflict is written with), and a lead's facts found on site (`D`: debtor,
//! amount, contact person and phone, synced fields), and a new lead received on site (`N`). Keys go to the field in focus; `update` saves through effects.

use ratatui::crossterm::event::KeyEvent;
use ratatui_textarea::{CursorMove, TextArea};

use crate::i18n::Lang;
use crate::model::site_lead::{NewLead, NewLeadProblem};

/// The fields, in the order Tab visits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Inspector,
    Device,
    District,
    Debtor,
    Amount,
    Contact,
    Phone,
    Creditor,
    LeadDistrict,
    Kind,
    Matter,
    Deadline,
}

/// The identity screen's fields.
pub const PARTS: [Part; 3] = [Part::Inspector, Part::Device, Part::District];

/// A lead's facts.
pub const FACTS: [Part; 4] = [Part::Debtor, Part::Amount, Part::Contact, Part::Phone];

/// A new lead's fields.
pub const NEW_LEAD: [Part; 9] = [
    Part::Creditor,
    Part::LeadDistrict,
    Part::Kind,
    Part::Matter,
    Part::Deadline,
    Part::Debtor,
    Part::Amount,
    Part::Contact,
    Part::Phone,
];

/// What the form is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    Identity,
    /// The facts of this lead (its id).
    Facts(String),
    /// A new lead received on site.
    NewLead,
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
        fields: Vec<crate::sync::LeadField>,
    },
    NewLead(Box<NewLead>),
}

impl Part {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Part::Inspector => lang.pick("检查员姓名", "inspector"),
            Part::Device => lang.pick("本机名称", "device name"),
            Part::District => lang.pick("所在辖区", "district"),
            Part::Debtor => lang.pick("债务人", "debtor"),
            Part::Amount => lang.pick("欠款（万元）", "owed (万元)"),
            Part::Contact => lang.pick("联系人", "contact"),
            Part::Phone => lang.pick("联系电话", "phone"),
            Part::Creditor => lang.pick("企业名称", "enterprise"),
            Part::LeadDistrict => lang.pick("问题归属", "district"),
            Part::Kind => lang.pick("类别", "kind"),
            Part::Matter => lang.pick("反映事项", "matter"),
            Part::Deadline => lang.pick("核实期限", "deadline"),
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
            Part::Contact => lang.pick("企业联系人姓名", "the enterprise's contact person"),
            Part::Phone => lang.pick("如 023-68860760 或 13800000000", "like 023-68860760"),
            Part::Creditor => lang.pick(
                "反映问题的企业（被拖欠方）",
                "the enterprise that complains",
            ),
            Part::LeadDistrict => lang.pick("如 北碚区", "like 北碚区"),
            Part::Kind => lang.pick("清欠 或 减负", "清欠 (arrears) or 减负 (burden)"),
            Part::Matter => lang.pick("企业反映的情况", "what the enterprise reported"),
            Part::Deadline => lang.pick("2022-02-10、today 或 +15", "2022-02-10, today or +15"),
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
    /// Opened from the visit form (Ctrl-D): closing goes back to it.
    pub over_form: bool,
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
            over_form: false,
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
                area(lead.contact.as_deref().unwrap_or_default()),
                area(lead.phone.as_deref().unwrap_or_default()),
            ],
            focus: Part::Debtor,
            first: false,
            problem: None,
            over_form: false,
        }
    }

    /// A new lead received on site: its district prefilled with the inspector's, a deadline
    /// fifteen days on (rule 4: every lead has one).
    pub fn new_lead(district: Option<&str>, lang: Lang) -> Settings {
        let texts = NEW_LEAD
            .iter()
            .map(|part| {
                area(match part {
                    Part::LeadDistrict => district.unwrap_or_default(),
                    Part::Kind => lang.pick("清欠", "arrears"),
                    Part::Deadline => "+15",
                    _ => "",
                })
            })
            .collect();
        Settings {
            purpose: Purpose::NewLead,
            parts: &NEW_LEAD,
            texts,
            focus: Part::Creditor,
            first: false,
            problem: None,
            over_form: false,
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
    pub fn checked(&mut self, today: chrono::NaiveDate) -> Option<Checked> {
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
                let read = [
                    (Part::Debtor, "debtor", NewLeadProblem::Debtor),
                    (Part::Amount, "amount_yuan", NewLeadProblem::Amount),
                    (Part::Contact, "contact", NewLeadProblem::Contact),
                    (Part::Phone, "phone", NewLeadProblem::Phone),
                ];
                let mut fields = Vec::with_capacity(read.len());
                for (part, field, problem) in read {
                    match LeadField::typed_fact(field, &self.value(part)) {
                        Some(field) => fields.push(field),
                        None => {
                            let why = (problem.message(Lang::Zh), problem.message(Lang::En));
                            self.refuse(Some((part, why.0, why.1)));
                            return None;
                        }
                    }
                }
                (
                    Checked::Facts {
                        lead: lead.clone(),
                        fields,
                    },
                    None,
                )
            }
            Purpose::NewLead => {
                let typed = NewLead {
                    creditor: self.value(Part::Creditor),
                    district: self.value(Part::LeadDistrict),
                    kind: self.value(Part::Kind),
                    matter: self.value(Part::Matter),
                    deadline: self.value(Part::Deadline),
                    debtor: self.value(Part::Debtor),
                    amount_wan: self.value(Part::Amount),
                    contact: self.value(Part::Contact),
                    phone: self.value(Part::Phone),
                };
                // The store numbers it; the fields are judged here the same way first.
                let problem = typed.parse("site-", 1, today).err().map(|p| {
                    let (zh, en) = (p.message(Lang::Zh), p.message(Lang::En));
                    (part_of(p), zh, en)
                });
                (Checked::NewLead(Box::new(typed)), problem)
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

/// The field a new lead's problem is about.
fn part_of(problem: NewLeadProblem) -> Part {
    match problem {
        NewLeadProblem::Creditor => Part::Creditor,
        NewLeadProblem::District => Part::LeadDistrict,
        NewLeadProblem::Kind => Part::Kind,
        NewLeadProblem::Matter => Part::Matter,
        NewLeadProblem::Deadline => Part::Deadline,
        NewLeadProblem::Debtor => Part::Debtor,
        NewLeadProblem::Amount => Part::Amount,
        NewLeadProblem::Contact => Part::Contact,
        NewLeadProblem::Phone => Part::Phone,
    }
}

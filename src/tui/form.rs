//! The visit form: pick lists for kind, finding and cause, text fields (ratatui-textarea, so
//! Chinese input and the cursor are counted in display cells) for the rest. It converts to and
//! from `VisitForm`, the shape drafts are stored in; checking it uses the core's rules.

use chrono::{DateTime, NaiveDate, Utc};
use ratatui::crossterm::event::KeyEvent;
use ratatui_textarea::{CursorMove, TextArea};

use crate::i18n::Lang;
use crate::model::form::{Context, Problem, VisitForm};
use crate::model::rules::{Violation, check, findings_for};
use crate::model::{Cause, EvidenceKind, Finding, Lead, LeadKind, VisitKind};

/// The form's fields are the parts of a visit; problems name the part they are about.
pub use crate::model::rules::Part as Field;

/// How the form shows each part.
pub trait Shown {
    fn pick_list(self) -> bool;
    fn multiline(self) -> bool;
    fn label(self, lang: Lang) -> &'static str;
    fn hint(self, lang: Lang) -> &'static str;
}

/// The fields in the order Tab visits them: a correction's reason first, then the visit's (all a
/// new visit has).
const CORRECTION_FIELDS: [Field; 12] = [
    Field::Reason,
    Field::Kind,
    Field::Finding,
    Field::At,
    Field::Met,
    Field::Amount,
    Field::Paid,
    Field::Evidence,
    Field::Cause,
    Field::Next,
    Field::Due,
    Field::Notes,
];

impl Shown for Field {
    fn pick_list(self) -> bool {
        matches!(self, Field::Kind | Field::Finding | Field::Cause)
    }

    /// Fields that take several lines (Enter starts a new one).
    fn multiline(self) -> bool {
        matches!(self, Field::Met | Field::Evidence | Field::Notes)
    }

    fn label(self, lang: Lang) -> &'static str {
        match self {
            Field::Kind => lang.pick("类型", "kind"),
            Field::Finding => lang.pick("核查结果", "finding"),
            Field::At => lang.pick("时间", "time"),
            Field::Met => lang.pick("见到的人", "people met"),
            Field::Amount => lang.pick("确认金额", "confirmed"),
            Field::Paid => lang.pick("已偿还", "paid"),
            Field::Evidence => lang.pick("证据", "evidence"),
            Field::Cause => lang.pick("系统原因", "cause"),
            Field::Next => lang.pick("下一步", "next step"),
            Field::Due => lang.pick("期限", "due"),
            Field::Notes => lang.pick("备注", "notes"),
            Field::Reason => lang.pick("更正原因", "reason"),
        }
    }

    /// What to type, shown in an empty field.
    fn hint(self, lang: Lang) -> &'static str {
        match self {
            Field::At => lang.pick(
                "留空为现在；2022-01-28 14:30",
                "empty: now; 2022-01-28 14:30",
            ),
            Field::Met => lang.pick("每行一人：姓名,职务,电话", "one a line: name,role,phone"),
            Field::Amount | Field::Paid => lang.pick("万元，如 76.6", "万元 (10k yuan), like 76.6"),
            Field::Evidence => lang.pick(
                "每行一项：种类:编号[:说明]，Ctrl-K 换种类",
                "one a line: kind:ref[:note]; Ctrl-K changes the kind",
            ),
            Field::Next => lang.pick(
                "协商、调解、诉讼或再次联系…",
                "negotiate, mediate, sue, call again…",
            ),
            Field::Due => lang.pick("2022-02-10、today 或 +7", "2022-02-10, today or +7"),
            Field::Notes => lang.pick("可多行", "several lines allowed"),
            Field::Reason => lang.pick(
                "原记录哪里有误，如 时间记错",
                "what was wrong, e.g. wrong time",
            ),
            Field::Kind | Field::Finding | Field::Cause => lang.pick("←→ 选择", "←→ to choose"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Form {
    /// The lead's position in `State::leads`, and what the form needs of it.
    pub lead: usize,
    pub lead_id: String,
    pub lead_kind: LeadKind,
    pub kind: VisitKind,
    pub finding: Option<Finding>,
    pub cause: Option<Cause>,
    texts: Vec<(Field, TextArea<'static>)>,
    pub focus: Field,
    /// The problems found at the last Ctrl-S (kept up to date after it).
    pub problems: Vec<Problem>,
    pub checked: bool,
    /// Esc was pressed: asking whether to discard.
    pub confirm: bool,
    /// Something was typed or chosen (or the form came from a draft): Esc asks before closing.
    pub touched: bool,
    pub supersedes: Option<String>,
    /// A correction's time as the form shows it (to the minute) and the corrected visit's exact
    /// time: left as shown, the correction keeps the exact time, as `visit correct` does.
    pub kept_at: Option<(String, String)>,
}

fn text_area(text: &str) -> TextArea<'static> {
    let lines: Vec<String> = if text.is_empty() {
        vec![String::new()]
    } else {
        text.split('\n').map(str::to_string).collect()
    };
    let mut area = TextArea::new(lines);
    area.move_cursor(CursorMove::Bottom);
    area.move_cursor(CursorMove::End);
    area
}

impl Form {
    /// A form for a lead, from a draft or prefilled form, or empty with `kind`.
    pub fn new(lead_pos: usize, lead: &Lead, kind: VisitKind, from: Option<&VisitForm>) -> Form {
        let empty = VisitForm::default();
        let f = from.unwrap_or(&empty);
        let kind = VisitKind::parse(&f.kind).unwrap_or(kind);
        let texts = vec![
            (Field::At, text_area(&f.at)),
            (Field::Met, text_area(&f.met.join("\n"))),
            (Field::Amount, text_area(&f.amount_wan)),
            (Field::Paid, text_area(&f.paid_wan)),
            (Field::Evidence, text_area(&f.evidence.join("\n"))),
            (Field::Next, text_area(&f.next)),
            (Field::Due, text_area(&f.due)),
            (Field::Notes, text_area(&f.notes)),
            (Field::Reason, text_area(&f.reason)),
        ];
        Form {
            lead: lead_pos,
            lead_id: lead.id.clone(),
            lead_kind: lead.kind,
            kind,
            finding: Finding::parse(&f.finding),
            cause: Cause::parse(&f.cause),
            texts,
            // A correction starts where it must be explained.
            focus: if f.supersedes.is_some() {
                Field::Reason
            } else {
                Field::Finding
            },
            problems: Vec::new(),
            checked: false,
            confirm: false,
            touched: false,
            supersedes: f.supersedes.clone(),
            kept_at: None,
        }
    }

    pub fn text(&self, field: Field) -> Option<&TextArea<'static>> {
        self.texts.iter().find(|(f, _)| *f == field).map(|(_, t)| t)
    }

    fn text_mut(&mut self, field: Field) -> Option<&mut TextArea<'static>> {
        self.texts
            .iter_mut()
            .find(|(f, _)| *f == field)
            .map(|(_, t)| t)
    }

    fn value(&self, field: Field) -> String {
        self.text(field)
            .map(|t| t.lines().join("\n"))
            .unwrap_or_default()
    }

    fn lines(&self, field: Field) -> Vec<String> {
        self.text(field)
            .map(|t| {
                t.lines()
                    .iter()
                    .filter(|l| !l.trim().is_empty())
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The form as stored in a draft.
    pub fn to_visit_form(&self) -> VisitForm {
        VisitForm {
            lead: self.lead_id.clone(),
            kind: self.kind.code().into(),
            finding: self
                .finding
                .map(|f| f.code().to_string())
                .unwrap_or_default(),
            at: match &self.kept_at {
                Some((shown, exact)) if self.value(Field::At) == *shown => exact.clone(),
                _ => self.value(Field::At),
            },
            inspector: String::new(),
            met: self.lines(Field::Met),
            amount_wan: self.value(Field::Amount),
            paid_wan: self.value(Field::Paid),
            evidence: self.lines(Field::Evidence),
            cause: self.cause.map(|c| c.code().to_string()).unwrap_or_default(),
            next: self.value(Field::Next),
            due: self.value(Field::Due),
            notes: self.value(Field::Notes),
            supersedes: self.supersedes.clone(),
            reason: self.value(Field::Reason),
        }
    }

    /// The fields shown, in the order Tab visits them (a correction's reason first).
    pub fn fields(&self) -> &'static [Field] {
        if self.supersedes.is_some() {
            &CORRECTION_FIELDS
        } else {
            &CORRECTION_FIELDS[1..]
        }
    }

    /// Moves the focus by `delta` fields, wrapping around.
    pub fn step(&mut self, delta: isize) {
        let fields = self.fields();
        let n = fields.len() as isize;
        let at = fields.iter().position(|f| *f == self.focus).unwrap_or(0) as isize;
        self.focus = fields[(at + delta).rem_euclid(n) as usize];
    }

    /// Cycles the focused pick list; returns whether anything changed.
    pub fn cycle(&mut self, delta: isize) -> bool {
        fn next<T: Copy + PartialEq>(
            options: &[Option<T>],
            now: Option<T>,
            delta: isize,
        ) -> Option<T> {
            let n = options.len() as isize;
            let at = options.iter().position(|o| *o == now).unwrap_or(0) as isize;
            options[(at + delta).rem_euclid(n) as usize]
        }
        match self.focus {
            Field::Kind => {
                let options: Vec<Option<VisitKind>> =
                    VisitKind::ALL.iter().copied().map(Some).collect();
                self.kind = next(&options, Some(self.kind), delta).unwrap_or(self.kind);
                if self
                    .finding
                    .is_some_and(|f| !findings_for(self.kind, self.lead_kind).contains(&f))
                {
                    self.finding = None;
                }
            }
            Field::Finding => {
                let mut options: Vec<Option<Finding>> = vec![None];
                options.extend(
                    findings_for(self.kind, self.lead_kind)
                        .iter()
                        .copied()
                        .map(Some),
                );
                self.finding = next(&options, self.finding, delta);
            }
            Field::Cause => {
                let mut options: Vec<Option<Cause>> = vec![None];
                options.extend(Cause::ALL.iter().copied().map(Some));
                self.cause = next(&options, self.cause, delta);
            }
            _ => return false,
        }
        true
    }

    /// Gives a key to the focused text field; returns whether its text changed.
    pub fn edit(&mut self, key: KeyEvent) -> bool {
        let focus = self.focus;
        match self.text_mut(focus) {
            Some(area) => {
                let before = area.lines().to_vec();
                area.input(key);
                area.lines() != before.as_slice()
            }
            None => false,
        }
    }

    /// Pasted text into the focused text field, as text: line breaks kept in a field of several
    /// lines, made spaces in a field of one. Nothing in a pick list.
    pub fn paste(&mut self, text: &str) -> bool {
        let focus = self.focus;
        let text = if focus.multiline() {
            text.replace("\r\n", "\n").replace('\r', "\n")
        } else {
            one_line(text)
        };
        match self.text_mut(focus) {
            Some(area) if !text.is_empty() => area.insert_str(text),
            _ => false,
        }
    }

    /// Replaces the evidence kind at the start of the current evidence line with the next one.
    pub fn cycle_evidence_kind(&mut self, lang: Lang) -> bool {
        if self.focus != Field::Evidence {
            return false;
        }
        let Some(area) = self.text_mut(Field::Evidence) else {
            return false;
        };
        let row = area.cursor().0;
        let line = area.lines().get(row).cloned().unwrap_or_default();
        let (head, rest) = match line.split_once([':', '：']) {
            Some((head, rest)) => (head.to_string(), format!(":{rest}")),
            None => (String::new(), format!(":{line}")),
        };
        let at =
            EvidenceKind::parse(&head).and_then(|k| EvidenceKind::ALL.iter().position(|x| *x == k));
        let kind = EvidenceKind::ALL[at.map_or(0, |i| (i + 1) % EvidenceKind::ALL.len())];
        area.move_cursor(CursorMove::Head);
        area.delete_line_by_end();
        area.insert_str(format!("{}{rest}", kind.label(lang)));
        true
    }

    /// Every problem the form has now: unreadable fields, then the rules it breaks on `lead`.
    pub fn problems_on(&self, lead: &Lead, now: DateTime<Utc>, today: NaiveDate) -> Vec<Problem> {
        let ctx = Context {
            now,
            today,
            inspector: String::new(),
            id: String::new(),
        };
        match self.to_visit_form().parse(&ctx) {
            Err(problems) => problems.into_iter().map(Problem::Form).collect(),
            // "Later than now" is the store's to say, against the clock when finalizing: the
            // form's day may be behind it (an app left open past midnight, a `--today`).
            Ok(visit) => check(lead, &visit, now)
                .into_iter()
                .filter(|v| *v != Violation::InFuture)
                .map(Problem::Rule)
                .collect(),
        }
    }

    /// The problems shown next to a field.
    pub fn problems_of(&self, field: Field) -> Vec<&Problem> {
        self.problems.iter().filter(|p| p.part() == field).collect()
    }
}

/// Pasted text for a field of one line: line breaks and tabs become spaces.
pub fn one_line(text: &str) -> String {
    text.trim_end_matches(['\r', '\n'])
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

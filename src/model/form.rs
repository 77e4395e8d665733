//! A visit as typed: every field as text, as the form and the command line take it. Drafts are
//! stored in this shape, so nothing typed is lost even when it does not parse yet. `parse` turns
//! it into a `Visit`, naming every field it cannot read.

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::amount::{YUAN_PER_WAN, parse_amount};
use super::rules::{Part, Violation};
use super::visit::{Cause, Evidence, EvidenceKind, Finding, NextAction, Person, Visit, VisitKind};
use crate::clock::china;
use crate::i18n::Lang;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitForm {
    pub lead: String,
    /// `onsite`, `revisit`, `reverify` (or 实地核查…).
    pub kind: String,
    pub finding: String,
    /// `2022-01-28 14:30` (China time), `2022-01-28`, RFC 3339; empty: now.
    pub at: String,
    /// Empty: the store's inspector.
    pub inspector: String,
    /// One person a line: `name,role,phone`.
    pub met: Vec<String>,
    pub amount_wan: String,
    pub paid_wan: String,
    /// One item a line: `kind:ref[:note]`.
    pub evidence: Vec<String>,
    pub cause: String,
    pub next: String,
    /// `2022-01-28`, `today`, `+7`.
    pub due: String,
    pub notes: String,
    pub supersedes: Option<String>,
    /// Why the visit `supersedes` names is corrected.
    #[serde(default)]
    pub reason: String,
}

/// A field that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormProblem {
    Kind(String),
    Finding(String),
    At(String),
    Person(String),
    Amount { part: Part, text: String },
    Evidence(String),
    Cause(String),
    Due(String),
}

/// Why a visit cannot be finalized: a field that cannot be read, or a rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Form(FormProblem),
    Rule(Violation),
}

/// What parsing needs from outside: the clock, the inspector, and the new visit's id.
pub struct Context {
    pub now: DateTime<Utc>,
    pub today: NaiveDate,
    pub inspector: String,
    pub id: String,
}

/// `2022-01-28`, `today`/`今天`, `tomorrow`/`明天`, or `+N` days from today.
pub fn parse_date(text: &str, today: NaiveDate) -> Option<NaiveDate> {
    let text = text.trim();
    match text {
        "today" | "今天" => return Some(today),
        "tomorrow" | "明天" => return today.checked_add_days(Days::new(1)),
        _ => {}
    }
    if let Some(days) = text.strip_prefix('+') {
        return today.checked_add_days(Days::new(days.trim().parse().ok()?));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// A visit time: empty or `now` is now; a date or date and time is China time; or RFC 3339.
pub fn parse_time(text: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() || text == "now" || text == "现在" {
        return Some(now);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .map(|d| d.and_time(NaiveTime::MIN))
        })?;
    china()
        .from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

fn non_empty(lines: &[String]) -> impl Iterator<Item = &str> {
    lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty())
}

impl VisitForm {
    /// The visit this form describes, or every field that cannot be read.
    pub fn parse(&self, ctx: &Context) -> Result<Visit, Vec<FormProblem>> {
        let mut problems = Vec::new();
        let kind = VisitKind::parse(&self.kind).unwrap_or_else(|| {
            problems.push(FormProblem::Kind(self.kind.clone()));
            VisitKind::Onsite
        });
        let finding = match self.finding.trim() {
            "" => None,
            text => Finding::parse(text).or_else(|| {
                problems.push(FormProblem::Finding(text.into()));
                None
            }),
        };
        let at = parse_time(&self.at, ctx.now).unwrap_or_else(|| {
            problems.push(FormProblem::At(self.at.clone()));
            ctx.now
        });
        let met = non_empty(&self.met)
            .filter_map(|line| {
                let mut parts = line.splitn(3, [',', '，']).map(str::trim);
                let name = parts.next().unwrap_or_default();
                if name.is_empty() {
                    problems.push(FormProblem::Person(line.into()));
                    return None;
                }
                Some(Person {
                    name: name.into(),
                    role: parts.next().unwrap_or_default().into(),
                    phone: parts.next().unwrap_or_default().into(),
                })
            })
            .collect();
        let mut wan = |text: &str, part: Part| match parse_amount(text, YUAN_PER_WAN) {
            Ok(v) => v,
            Err(_) => {
                problems.push(FormProblem::Amount {
                    part,
                    text: text.into(),
                });
                None
            }
        };
        let amount_yuan = wan(&self.amount_wan, Part::Amount);
        let paid_yuan = wan(&self.paid_wan, Part::Paid);
        let evidence = non_empty(&self.evidence)
            .filter_map(|line| {
                let mut parts = line.splitn(3, [':', '：']).map(str::trim);
                let kind = parts.next().and_then(EvidenceKind::parse);
                let reference = parts.next().unwrap_or_default();
                match kind {
                    Some(kind) if !reference.is_empty() => Some(Evidence {
                        kind,
                        reference: reference.into(),
                        note: parts.next().unwrap_or_default().into(),
                    }),
                    _ => {
                        problems.push(FormProblem::Evidence(line.into()));
                        None
                    }
                }
            })
            .collect();
        let cause = match self.cause.trim() {
            "" => None,
            text => Cause::parse(text).or_else(|| {
                problems.push(FormProblem::Cause(text.into()));
                None
            }),
        };
        let due = match self.due.trim() {
            "" => None,
            text => parse_date(text, ctx.today).or_else(|| {
                problems.push(FormProblem::Due(text.into()));
                None
            }),
        };
        let next = (!self.next.trim().is_empty() || due.is_some()).then(|| NextAction {
            text: self.next.trim().into(),
            due,
        });
        if !problems.is_empty() {
            return Err(problems);
        }
        let inspector = match self.inspector.trim() {
            "" => ctx.inspector.clone(),
            name => name.into(),
        };
        Ok(Visit {
            id: ctx.id.clone(),
            lead: self.lead.clone(),
            kind,
            finding,
            at,
            inspector,
            met,
            amount_yuan,
            paid_yuan,
            evidence,
            cause,
            next,
            notes: self.notes.clone(),
            supersedes: self.supersedes.clone(),
            status_before: None,
            status_after: None,
            attention_before: false,
            reason: self.reason.trim().into(),
        })
    }

    /// A form for a visit like `visit` (a revisit prefilled from the last visit, a correction).
    pub fn from_visit(visit: &Visit) -> VisitForm {
        let wan = |v: Option<i64>| v.map(super::amount::format_wan).unwrap_or_default();
        VisitForm {
            lead: visit.lead.clone(),
            kind: visit.kind.code().into(),
            finding: visit
                .finding
                .map(|f| f.code().to_string())
                .unwrap_or_default(),
            at: String::new(),
            inspector: String::new(),
            met: visit
                .met
                .iter()
                .map(|p| format!("{},{},{}", p.name, p.role, p.phone))
                .collect(),
            amount_wan: wan(visit.amount_yuan),
            paid_wan: wan(visit.paid_yuan),
            evidence: visit
                .evidence
                .iter()
                .map(|e| format!("{}:{}:{}", e.kind.code(), e.reference, e.note))
                .collect(),
            cause: visit
                .cause
                .map(|c| c.code().to_string())
                .unwrap_or_default(),
            next: visit
                .next
                .as_ref()
                .map(|n| n.text.clone())
                .unwrap_or_default(),
            due: visit
                .next
                .as_ref()
                .and_then(|n| n.due)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            notes: visit.notes.clone(),
            supersedes: None,
            reason: String::new(),
        }
    }
}

impl Problem {
    pub fn part(&self) -> Part {
        match self {
            Problem::Rule(v) => v.part(),
            Problem::Form(f) => match f {
                FormProblem::Kind(_) => Part::Kind,
                FormProblem::Finding(_) => Part::Finding,
                FormProblem::At(_) => Part::At,
                FormProblem::Person(_) => Part::Met,
                FormProblem::Amount { part, .. } => *part,
                FormProblem::Evidence(_) => Part::Evidence,
                FormProblem::Cause(_) => Part::Cause,
                FormProblem::Due(_) => Part::Due,
            },
        }
    }

    /// What is wrong and what to do, naming the rule where one applies.
    pub fn message(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        match self {
            Problem::Form(f) => form_message(f, lang),
            Problem::Rule(v) => {
                let text = violation_message(*v, lang);
                match (v.rule(), zh) {
                    (0, _) => text,
                    (n, true) => format!("规则{n}：{text}"),
                    (n, false) => format!("rule {n}: {text}"),
                }
            }
        }
    }
}

fn codes<T: Copy>(all: &[T], code: impl Fn(T) -> &'static str) -> String {
    all.iter().map(|v| code(*v)).collect::<Vec<_>>().join(", ")
}

fn form_message(problem: &FormProblem, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    match problem {
        FormProblem::Kind(t) => {
            let list = codes(VisitKind::ALL, VisitKind::code);
            if zh {
                format!("走访类型“{t}”不存在，可选：{list}")
            } else {
                format!("no visit kind “{t}”; use {list}")
            }
        }
        FormProblem::Finding(t) => {
            let list = codes(Finding::ALL, Finding::code);
            if zh {
                format!("核查结果“{t}”不存在，可选：{list}")
            } else {
                format!("no finding “{t}”; use {list}")
            }
        }
        FormProblem::At(t) => {
            if zh {
                format!("时间“{t}”无法读取，请写 2022-01-28 14:30 或 2022-01-28")
            } else {
                format!("time “{t}” cannot be read; write 2022-01-28 14:30 or 2022-01-28")
            }
        }
        FormProblem::Person(t) => {
            if zh {
                format!("“{t}”缺少姓名，请写 姓名,职务,电话")
            } else {
                format!("“{t}” has no name; write name,role,phone")
            }
        }
        FormProblem::Amount { text, .. } => {
            if zh {
                format!("金额“{text}”无法读取，请写万元数，如 76.6")
            } else {
                format!("amount “{text}” cannot be read; write 万元 (10k yuan), like 76.6")
            }
        }
        FormProblem::Evidence(t) => {
            let list = codes(EvidenceKind::ALL, EvidenceKind::code);
            if zh {
                format!("证据“{t}”应写成 种类:编号或文件名[:说明]，种类可选：{list}")
            } else {
                format!("evidence “{t}” should be kind:ref[:note], kind one of {list}")
            }
        }
        FormProblem::Cause(t) => {
            let list = codes(Cause::ALL, Cause::code);
            if zh {
                format!("原因“{t}”不存在，可选：{list}")
            } else {
                format!("no cause “{t}”; use {list}")
            }
        }
        FormProblem::Due(t) => {
            if zh {
                format!("日期“{t}”无法读取，请写 2022-01-28、today 或 +7")
            } else {
                format!("date “{t}” cannot be read; write 2022-01-28, today or +7")
            }
        }
    }
}

fn violation_message(v: Violation, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    match v {
        Violation::NoFinding => lang.pick("请选择核查结果", "choose a finding").into(),
        Violation::FindingNotFor { finding, kind, lead } => {
            let list = codes(super::rules::findings_for(kind, lead), |f| f.label(lang));
            if zh {
                format!("“{}”不是这类线索的{}结果；可选：{list}", finding.label(lang), kind.label(lang))
            } else {
                format!("“{}” is not a finding of a {} on this kind of lead; choose from: {list}", finding.label(lang), kind.label(lang))
            }
        }
        Violation::WrongStage { kind, status } => {
            let stages = codes(super::rules::stages_for(kind), |s| s.label(Lang::Zh));
            if zh {
                format!("线索状态为“{}”，不能做{}（适用于：{stages}）；办结须经回访确认", status.label(lang), kind.label(lang))
            } else {
                format!("the lead is “{}”: a {} does not apply (it applies to {}); handled leads are closed by a revisit", status.label(lang), kind.label(lang), codes(super::rules::stages_for(kind), |s| s.code()))
            }
        }
        Violation::NeedsEvidence(f) => {
            if zh {
                format!("“{}”须有外部或书面证据（确属拖欠或存在分歧的，应有外部或书面证据），请至少添加一项证据", f.label(lang))
            } else {
                format!("“{}” needs written or external evidence: add at least one item", f.label(lang))
            }
        }
        Violation::NeedsNextAction(Finding::Disputed) => lang
            .pick(
                "有分歧不得置之不理：请写明协商、调解或法律途径的下一步措施和期限",
                "a dispute is never left alone: give a negotiation, mediation or legal next step with a due date",
            )
            .into(),
        Violation::NeedsNextAction(f) => {
            if zh {
                format!("不得以“{}”为由敷衍了事：请写明下一步措施和期限，线索保持未办结", f.label(lang))
            } else {
                format!("“{}” never closes a lead: give a next action with a due date", f.label(lang))
            }
        }
        Violation::NeedsDue(f) => {
            if zh {
                format!("“{}”的下一步须有期限：请在“期限”中写日期，如 2022-02-15 或 +7", f.label(lang))
            } else {
                format!("the next step of “{}” needs a due date: write one under due, like 2022-02-15 or +7", f.label(lang))
            }
        }
        Violation::NeedsWithdrawalLetter => lang
            .pick(
                "企业撤回须有书面撤回申请：请添加证据 withdrawal:文件名或编号",
                "a withdrawal stands on the enterprise's written withdrawal: add evidence withdrawal:file or number",
            )
            .into(),
        Violation::CorrectionNeedsReason => lang
            .pick(
                "更正须写明原因：原记录哪里有误（如 时间记错、结果选错）",
                "a correction states its reason: what was wrong with the visit it replaces (wrong time, wrong finding…)",
            )
            .into(),
        Violation::DueBeforeVisit => lang
            .pick(
                "期限早于走访日期：下一步的期限须在走访当天或之后",
                "the due date is before the visit: a next step is due on the visit's day or later",
            )
            .into(),
        Violation::InFuture => lang
            .pick(
                "走访时间晚于现在：请写走访实际发生的时间（留空为现在）",
                "the visit time is later than now: write when the visit took place (empty: now)",
            )
            .into(),
        Violation::RevisitNeedsPerson => lang
            .pick(
                "回访须写明回访对象：请在“走访对象”中写 姓名,职务,电话",
                "a revisit names whom it spoke to: add them under people met as name,role,phone",
            )
            .into(),
        Violation::NeedsReason => lang
            .pick(
                "回访未确认须写明原因：请在“备注”中说明企业为何不认可",
                "a revisit that does not confirm says why: write the reason in the notes",
            )
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            now: Utc.with_ymd_and_hms(2022, 1, 28, 2, 0, 0).unwrap(),
            today: NaiveDate::from_ymd_opt(2022, 1, 28).unwrap(),
            inspector: "张三".into(),
            id: "v1".into(),
        }
    }

    #[test]
    fn dates_accept_iso_today_and_offsets() {
        let today = NaiveDate::from_ymd_opt(2022, 1, 28).unwrap();
        assert_eq!(
            parse_date("2022-02-03", today),
            NaiveDate::from_ymd_opt(2022, 2, 3)
        );
        assert_eq!(parse_date("today", today), Some(today));
        assert_eq!(parse_date("+7", today), NaiveDate::from_ymd_opt(2022, 2, 4));
        assert_eq!(
            parse_date("明天", today),
            NaiveDate::from_ymd_opt(2022, 1, 29)
        );
        assert_eq!(parse_date("soon", today), None);
    }

    #[test]
    fn times_are_china_time() {
        let t = parse_time("2022-01-28 14:30", ctx().now).unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2022, 1, 28, 6, 30, 0).unwrap());
        assert_eq!(parse_time("", ctx().now), Some(ctx().now));
    }

    #[test]
    fn a_full_form_parses() {
        let form = VisitForm {
            lead: "l".into(),
            kind: "onsite".into(),
            finding: "disputed".into(),
            met: vec!["王五,财务,023-1".into(), " ".into()],
            amount_wan: "76.6".into(),
            evidence: vec![
                "contract:HT-2021-07:采购合同".into(),
                "invoice：FP-1".into(),
            ],
            cause: "funds".into(),
            next: "约双方协商".into(),
            due: "+7".into(),
            ..VisitForm::default()
        };
        let v = form.parse(&ctx()).unwrap();
        assert_eq!(v.amount_yuan, Some(766_000));
        assert_eq!(v.met[0].role, "财务");
        assert_eq!(v.evidence.len(), 2);
        assert_eq!(v.evidence[1].reference, "FP-1");
        assert_eq!(v.next.unwrap().due, NaiveDate::from_ymd_opt(2022, 2, 4));
        assert_eq!(v.inspector, "张三");
        assert_eq!(
            VisitForm::from_visit(&form.parse(&ctx()).unwrap()).evidence[0],
            "contract:HT-2021-07:采购合同"
        );
    }

    #[test]
    fn every_unreadable_field_is_named() {
        let form = VisitForm {
            kind: "visit".into(),
            finding: "ok".into(),
            at: "yesterday".into(),
            met: vec![",boss".into()],
            amount_wan: "lots".into(),
            evidence: vec!["photo:1".into(), "contract".into()],
            cause: "bad luck".into(),
            due: "soon".into(),
            ..VisitForm::default()
        };
        let problems = form.parse(&ctx()).unwrap_err();
        assert_eq!(problems.len(), 9, "{problems:?}");
    }
}

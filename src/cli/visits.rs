//! `visit add|list|show|correct`, `lead set` and `report`.

use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;

use super::args::{ReportFormat, VisitFields};
use super::render::json;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::model::amount::format_wan;
use crate::model::form::{VisitForm, parse_date};
use crate::model::visit::effective;
use crate::model::{Status, Visit};
use crate::progress::Stage;
use crate::report;
use crate::store::{Finalized, Store};
use crate::sync::LeadField;

/// Applies the flags given to a form (a new one, or one copied from the visit being corrected).
fn fill(mut form: VisitForm, fields: &VisitFields) -> VisitForm {
    let set = |slot: &mut String, value: &Option<String>| {
        if let Some(v) = value {
            slot.clone_from(v);
        }
    };
    set(&mut form.kind, &fields.kind);
    set(&mut form.finding, &fields.finding);
    set(&mut form.at, &fields.at);
    set(&mut form.amount_wan, &fields.amount_wan);
    set(&mut form.paid_wan, &fields.paid_wan);
    set(&mut form.cause, &fields.cause);
    set(&mut form.next, &fields.next);
    set(&mut form.due, &fields.due);
    set(&mut form.notes, &fields.note);
    if !fields.met.is_empty() {
        form.met.clone_from(&fields.met);
    }
    if !fields.evidence.is_empty() {
        form.evidence.clone_from(&fields.evidence);
    }
    form
}

pub fn add(
    store: &Store,
    lead: &str,
    fields: &VisitFields,
    draft: bool,
    today: NaiveDate,
    lang: Lang,
    as_json: bool,
) -> Result<String> {
    let lead = store.lead(lead)?;
    let form = fill(
        VisitForm {
            lead: lead.id.clone(),
            ..VisitForm::default()
        },
        fields,
    );
    if draft {
        // A draft may break rules, but its pick-list values must be ones the form knows.
        check_codes(&form)?;
        let replaced = store.draft(&lead.id)?.is_some();
        store.save_draft(&form)?;
        if replaced && !as_json {
            return Ok(lang
                .pick(
                    "草稿已保存，替换了这条线索原有的草稿（未定稿）。\n",
                    "Draft saved, replacing the lead's earlier draft (not final).\n",
                )
                .into());
        }
        if as_json {
            return json(&form);
        }
        return Ok(lang
            .pick(
                "草稿已保存（未定稿）：在终端界面选中这条线索按 d 继续填写。\n",
                "Draft saved (not final): select the lead in the terminal app and press d to go on.\n",
            )
            .into());
    }
    let done = store.finalize(&form, crate::clock::now_on(today), today, false)?;
    recorded(&done, lang, as_json)
}

/// The kind, finding and cause of a form, when given, must be known codes or labels.
fn check_codes(form: &VisitForm) -> Result<()> {
    use crate::model::form::{FormProblem, Problem};
    use crate::model::{Cause, Finding, VisitKind};
    let mut problems = Vec::new();
    if VisitKind::parse(&form.kind).is_none() {
        problems.push(Problem::Form(FormProblem::Kind(form.kind.clone())));
    }
    if !form.finding.trim().is_empty() && Finding::parse(&form.finding).is_none() {
        problems.push(Problem::Form(FormProblem::Finding(form.finding.clone())));
    }
    if !form.cause.trim().is_empty() && Cause::parse(&form.cause).is_none() {
        problems.push(Problem::Form(FormProblem::Cause(form.cause.clone())));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::VisitRejected { problems })
    }
}

pub struct Correction<'a> {
    pub id: &'a str,
    pub reason: Option<&'a str>,
    pub fields: &'a VisitFields,
}

pub fn correct(
    store: &Store,
    correction: &Correction<'_>,
    today: NaiveDate,
    lang: Lang,
    as_json: bool,
) -> Result<String> {
    let Correction { id, reason, fields } = *correction;
    let old = store.visit(id)?;
    let mut form = fill(VisitForm::from_visit(&old), fields);
    form.supersedes = Some(old.id.clone());
    form.reason = reason.unwrap_or_default().into();
    form.at = fields.at.clone().unwrap_or_else(|| old.at.to_rfc3339());
    let done = store.finalize(&form, crate::clock::now_on(today), today, false)?;
    recorded(&done, lang, as_json)
}

fn recorded(done: &Finalized, lang: Lang, as_json: bool) -> Result<String> {
    if as_json {
        return json(&done.visit);
    }
    let v = &done.visit;
    let finding = v.finding.map(|f| f.label(lang)).unwrap_or_default();
    let before = v.status_before.map(|s| s.label(lang)).unwrap_or_default();
    let after = done.lead.status.label(lang);
    Ok(match lang {
        Lang::Zh => format!(
            "已记录{}（{finding}）· 线索 {} {before} → {after} · 走访编号 {} · 变更 {} 条\n",
            v.kind.label(lang),
            v.lead,
            v.id,
            done.changes.len()
        ),
        Lang::En => format!(
            "Recorded a {} ({finding}) · lead {} {before} → {after} · visit {} · {} changes\n",
            v.kind.label(lang),
            v.lead,
            v.id,
            done.changes.len()
        ),
    })
}

/// Who recorded a visit: the author this store verified for the device that signed it, or the
/// visit's own claim, marked as not verified.
pub(super) fn recorded_by(inspector: &str, verified: Option<&String>, lang: Lang) -> String {
    match verified {
        Some(name) => name.clone(),
        None => format!(
            "{}{}",
            inspector,
            lang.pick("（未核实）", " (not verified)")
        ),
    }
}

pub(super) fn local(at: chrono::DateTime<chrono::Utc>) -> String {
    crate::clock::local(at, "%Y-%m-%d %H:%M")
}

pub fn show(store: &Store, id: &str, lang: Lang, as_json: bool) -> Result<String> {
    let v = store.visit(id)?;
    if as_json {
        return json(&v);
    }
    let none = || "—".to_string();
    let wan = |y: Option<i64>| {
        y.map_or_else(none, |y| {
            format!("{} {}", format_wan(y), lang.pick("万元", "×10k yuan"))
        })
    };
    let people: Vec<String> = v
        .met
        .iter()
        .map(|p| {
            format!("{} {} {}", p.name, p.role, p.phone)
                .trim()
                .to_string()
        })
        .collect();
    let evidence: Vec<String> = v
        .evidence
        .iter()
        .map(|e| {
            format!("{} {} {}", e.kind.label(lang), e.reference, e.note)
                .trim()
                .to_string()
        })
        .collect();
    let list = |items: Vec<String>| {
        if items.is_empty() {
            none()
        } else {
            items.join("\n    ")
        }
    };
    let rows = [
        (lang.pick("编号", "id"), v.id.clone()),
        (lang.pick("线索", "lead"), v.lead.clone()),
        (lang.pick("类型", "kind"), v.kind.label(lang).into()),
        (lang.pick("时间", "time"), local(v.at)),
        (
            lang.pick("检查员", "inspector"),
            recorded_by(&v.inspector, store.visit_author(&v.id)?.as_ref(), lang),
        ),
        (
            lang.pick("结果", "finding"),
            v.finding
                .map(|f| f.label(lang).to_string())
                .unwrap_or_else(none),
        ),
        (
            lang.pick("状态", "status"),
            format!(
                "{} → {}",
                label(v.status_before, lang),
                label(v.status_after, lang)
            ),
        ),
        (lang.pick("见到", "met"), list(people)),
        (lang.pick("确认金额", "confirmed"), wan(v.amount_yuan)),
        (lang.pick("已偿还", "paid"), wan(v.paid_yuan)),
        (lang.pick("证据", "evidence"), list(evidence)),
        (
            lang.pick("系统原因", "cause"),
            v.cause
                .map(|c| c.label(lang).to_string())
                .unwrap_or_else(none),
        ),
        (
            lang.pick("下一步", "next"),
            v.next.as_ref().map_or_else(none, |n| {
                format!(
                    "{} {}",
                    n.text,
                    n.due.map(|d| d.to_string()).unwrap_or_default()
                )
                .trim()
                .to_string()
            }),
        ),
        (
            lang.pick("更正", "corrects"),
            v.supersedes.clone().unwrap_or_else(none),
        ),
        (
            lang.pick("更正原因", "why corrected"),
            if v.reason.is_empty() {
                none()
            } else {
                v.reason.clone()
            },
        ),
        (
            lang.pick("备注", "notes"),
            if v.notes.is_empty() {
                none()
            } else {
                v.notes.clone()
            },
        ),
    ];
    Ok(super::render::fields(&rows))
}

fn label(status: Option<Status>, lang: Lang) -> &'static str {
    status.map_or("—", |s| s.label(lang))
}

/// What `lead set` was asked to change.
pub struct LeadChanges<'a> {
    pub status: Option<&'a str>,
    pub supervised: Option<bool>,
    pub confidential: Option<bool>,
    pub assignee: Option<&'a str>,
    pub deadline: Option<&'a str>,
    pub attention: Option<bool>,
    pub debtor: Option<&'a str>,
    pub amount_wan: Option<&'a str>,
    pub contact: Option<&'a str>,
    pub phone: Option<&'a str>,
}

pub fn set(
    store: &Store,
    id: &str,
    asked: &LeadChanges,
    today: NaiveDate,
    lang: Lang,
    as_json: bool,
) -> Result<String> {
    let lead = store.lead(id)?;
    // Read every value before writing any, so a bad one changes nothing.
    let mut fields = Vec::new();
    if let Some(s) = asked.status {
        fields.push(LeadField::Status(
            Status::parse(s).ok_or_else(|| Error::BadStatus { text: s.into() })?,
        ));
    }
    if let Some(d) = asked.deadline {
        let date = match d.trim() {
            "none" | "" => None,
            text => {
                Some(parse_date(text, today).ok_or_else(|| Error::BadDate { text: text.into() })?)
            }
        };
        fields.push(LeadField::Deadline(date));
    }
    fields.extend(asked.supervised.map(LeadField::Supervised));
    fields.extend(asked.confidential.map(LeadField::Confidential));
    if let Some(a) = asked.assignee {
        fields.push(LeadField::Assignee(
            (!a.trim().is_empty()).then(|| a.trim().to_string()),
        ));
    }
    fields.extend(asked.attention.map(LeadField::Attention));
    let facts = [
        (asked.debtor, "debtor"),
        (asked.amount_wan, "amount_yuan"),
        (asked.contact, "contact"),
        (asked.phone, "phone"),
    ];
    for (typed, field) in facts {
        if let Some(text) = typed {
            let bad = || Error::BadLeadFact {
                text: text.into(),
                field,
            };
            fields.push(LeadField::typed_fact(field, text).ok_or_else(bad)?);
        }
    }
    if fields.is_empty() {
        return Err(Error::NothingToSet);
    }
    let (saved, changes) = store.set_lead_fields(&lead.id, &fields)?;
    let logged = changes.len();
    if as_json {
        return json(&saved);
    }
    Ok(match lang {
        Lang::Zh => format!(
            "已保存 {}：{} 项变更（状态 {}）\n",
            saved.id,
            logged,
            saved.status.label(lang)
        ),
        Lang::En => format!(
            "Saved {}: {} changes (status {})\n",
            saved.id,
            logged,
            saved.status.label(lang)
        ),
    })
}

/// Visit facts a lead's JSON carries.
#[derive(Debug, Clone, Serialize)]
pub struct VisitSummary {
    pub visits: usize,
    pub last_finding: Option<crate::model::Finding>,
}

/// The summary of one lead's visits (`visits` are that lead's, as `by_lead` gives them).
pub fn summary(visits: &[Visit]) -> VisitSummary {
    let done = effective(visits);
    VisitSummary {
        visits: visits.len(),
        last_finding: done.last().and_then(|v| v.finding),
    }
}

/// What `report` was asked for.
pub struct ReportAsked<'a> {
    pub format: ReportFormat,
    pub district: Option<&'a str>,
    pub show_confidential: bool,
    /// The file to write; the standard output without one.
    pub out: Option<&'a Path>,
}

pub fn report(
    store: &Store,
    asked: &ReportAsked,
    today: NaiveDate,
    lang: Lang,
    stdout: &mut dyn Write,
) -> Result<String> {
    let (format, out) = (asked.format, asked.out);
    let (district, show_confidential) = (asked.district, asked.show_confidential);
    if matches!(format, ReportFormat::Xlsx) && out.is_none() {
        return Err(Error::Write {
            path: "-".into(),
            detail: lang
                .pick("xlsx 需要 --out 文件", "xlsx needs --out FILE")
                .into(),
        });
    }
    let built = report::read(store, today, district, show_confidential)?;
    if matches!(format, ReportFormat::Xlsx) {
        report::fits_a_worksheet(built.rows.len())?;
    }
    let mut meter = store.meter(Stage::Reporting, built.rows.len() as u64);
    let text = |w: &mut dyn Write, meter: &mut crate::progress::Meter| match format {
        ReportFormat::Md => report::markdown(&built, lang, today, w),
        _ => report::csv(&built, lang, meter, w),
    };
    let Some(path) = out else {
        return text(stdout, &mut meter)
            .map_err(|e| Error::output(&e))
            .map(|()| String::new());
    };
    // Whole or not at all (a full disk leaves no half report), owner-only (it names companies
    // and amounts), with the disk's message.
    crate::files::write_private_with(path, |file| match format {
        ReportFormat::Xlsx => report::xlsx(&built, lang, &mut meter, file),
        _ => {
            let mut w = std::io::BufWriter::new(file);
            text(&mut w, &mut meter)?;
            w.flush()
        }
    })
    .map_err(|e| Error::writing(path, &e))?;
    Ok(match lang {
        Lang::Zh => format!(
            "台账已写入 {}（{} 条线索）\n",
            path.display(),
            built.rows.len()
        ),
        Lang::En => format!(
            "Report written to {} ({} leads)\n",
            path.display(),
            built.rows.len()
        ),
    })
}

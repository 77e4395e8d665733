//! Visits as the store holds them (`visits_v3`, schema 11): postcard bytes, not JSON. The visit
//! list, the report and the terminal app read every visit, and decoding two million visits' JSON
//! was most of their time. `visits_v2` (schema 10) held the same rows without a correction's
//! reason; `upgrade_v2` moves one across.
//!
//! The bytes are those of `Row`, a mirror of `Visit` whose text is borrowed from the stored bytes,
//! so the listings read a visit's summary without copying any of it, and the time and due date
//! are numbers instead of text to parse. postcard is not self-describing: a field is found by its
//! place, an enum variant by its index. So `Row`'s fields, and the variants of the enums it holds
//! (`VisitKind`, `Finding`, `EvidenceKind`, `Cause`, `Status`), may only be reordered, added or
//! removed with a new table and a migration; `stored_variants_keep_their_places` pins them.

use std::borrow::Cow;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::visit::{Cause, Evidence, EvidenceKind, Finding, NextAction, Person, VisitKind};
use crate::model::visit_summary::{
    EvidenceFacts, MetSummary, NextSummary, VisitFacts, VisitSummary,
};
use crate::model::{Status, Visit};

/// A stored visit: `Visit`'s fields in its order, text borrowed, `at` as seconds and nanoseconds
/// since 1970 (UTC), a due date as days since 1 January of year 1. `R` is the last field, the
/// reason of a correction: `&str` now, `()` (no bytes at all in postcard) for schema 10's rows.
#[derive(Serialize, Deserialize)]
struct Row<'a, R = &'a str> {
    id: &'a str,
    lead: &'a str,
    kind: VisitKind,
    finding: Option<Finding>,
    at: (i64, u32),
    inspector: &'a str,
    #[serde(borrow)]
    met: Vec<PersonRow<'a>>,
    amount_yuan: Option<i64>,
    paid_yuan: Option<i64>,
    #[serde(borrow)]
    evidence: Vec<EvidenceRow<'a>>,
    cause: Option<Cause>,
    #[serde(borrow)]
    next: Option<(&'a str, Option<i32>)>,
    notes: &'a str,
    #[serde(borrow)]
    supersedes: Option<&'a str>,
    status_before: Option<Status>,
    status_after: Option<Status>,
    attention_before: bool,
    reason: R,
}

#[derive(Serialize, Deserialize)]
struct PersonRow<'a> {
    name: &'a str,
    role: &'a str,
    phone: &'a str,
}

#[derive(Serialize, Deserialize)]
struct EvidenceRow<'a> {
    kind: EvidenceKind,
    reference: &'a str,
    note: &'a str,
}

/// A visit's stored bytes.
pub(super) fn encode(v: &Visit) -> Result<Vec<u8>> {
    let row = Row {
        id: &v.id,
        lead: &v.lead,
        kind: v.kind,
        finding: v.finding,
        at: (v.at.timestamp(), v.at.timestamp_subsec_nanos()),
        inspector: &v.inspector,
        met: v
            .met
            .iter()
            .map(|p| PersonRow {
                name: &p.name,
                role: &p.role,
                phone: &p.phone,
            })
            .collect(),
        amount_yuan: v.amount_yuan,
        paid_yuan: v.paid_yuan,
        evidence: v
            .evidence
            .iter()
            .map(|e| EvidenceRow {
                kind: e.kind,
                reference: &e.reference,
                note: &e.note,
            })
            .collect(),
        cause: v.cause,
        next: v
            .next
            .as_ref()
            .map(|n| (n.text.as_str(), n.due.map(|d| d.num_days_from_ce()))),
        notes: &v.notes,
        supersedes: v.supersedes.as_deref(),
        status_before: v.status_before,
        status_after: v.status_after,
        attention_before: v.attention_before,
        reason: &v.reason,
    };
    postcard::to_allocvec(&row).map_err(|e| Error::Store {
        detail: format!("visit {} cannot be stored: {e}", v.id),
    })
}

/// The visit stored under `key` (counted like every record read, `records_decoded`).
pub(super) fn decode(key: &str, bytes: &[u8]) -> Result<Visit> {
    let row = read(key, bytes)?;
    Ok(Visit {
        id: row.id.to_string(),
        lead: row.lead.to_string(),
        kind: row.kind,
        finding: row.finding,
        at: time(key, row.at)?,
        inspector: row.inspector.to_string(),
        met: row
            .met
            .iter()
            .map(|p| Person {
                name: p.name.to_string(),
                role: p.role.to_string(),
                phone: p.phone.to_string(),
            })
            .collect(),
        amount_yuan: row.amount_yuan,
        paid_yuan: row.paid_yuan,
        evidence: row
            .evidence
            .iter()
            .map(|e| Evidence {
                kind: e.kind,
                reference: e.reference.to_string(),
                note: e.note.to_string(),
            })
            .collect(),
        cause: row.cause,
        next: row.next.map(|n| next_action(key, n)).transpose()?,
        notes: row.notes.to_string(),
        supersedes: row.supersedes.map(str::to_string),
        status_before: row.status_before,
        status_after: row.status_after,
        attention_before: row.attention_before,
        reason: row.reason.to_string(),
    })
}

/// A row of schema 10 (`visits_v2`, no reason) as this schema stores it (an empty reason).
pub(super) fn upgrade_v2(key: &str, bytes: &[u8]) -> Result<Vec<u8>> {
    let old: Row<'_, ()> = postcard::from_bytes(bytes).map_err(|e| Error::Store {
        detail: format!("record {key} cannot be read: {e}"),
    })?;
    let row = Row {
        id: old.id,
        lead: old.lead,
        kind: old.kind,
        finding: old.finding,
        at: old.at,
        inspector: old.inspector,
        met: old.met,
        amount_yuan: old.amount_yuan,
        paid_yuan: old.paid_yuan,
        evidence: old.evidence,
        cause: old.cause,
        next: old.next,
        notes: old.notes,
        supersedes: old.supersedes,
        status_before: old.status_before,
        status_after: old.status_after,
        attention_before: old.attention_before,
        reason: "",
    };
    postcard::to_allocvec(&row).map_err(|e| Error::Store {
        detail: format!("visit {key} cannot be stored: {e}"),
    })
}

/// What lists need of the visit stored under `key`, its text borrowed from `bytes`.
pub(super) fn summary<'a>(key: &str, bytes: &'a [u8]) -> Result<VisitSummary<'a>> {
    let row = read(key, bytes)?;
    Ok(VisitSummary {
        id: Cow::Borrowed(row.id),
        lead: Cow::Borrowed(row.lead),
        kind: row.kind,
        finding: row.finding,
        at: time(key, row.at)?,
        inspector: Cow::Borrowed(row.inspector),
        met: row
            .met
            .iter()
            .map(|p| MetSummary {
                name: Cow::Borrowed(p.name),
                role: Cow::Borrowed(p.role),
            })
            .collect(),
        next: row
            .next
            .map(|(text, due)| {
                Ok::<_, Error>(NextSummary {
                    text: Cow::Borrowed(text),
                    due: due.map(|d| day(key, d)).transpose()?,
                })
            })
            .transpose()?,
        notes: Cow::Borrowed(row.notes),
        supersedes: row.supersedes.map(Cow::Borrowed),
        evidence: row.evidence.len(),
    })
}

/// What the report reads of the visit stored under `key`, its text borrowed from `bytes`.
pub(super) fn facts<'a>(key: &str, bytes: &'a [u8]) -> Result<VisitFacts<'a>> {
    let row = read(key, bytes)?;
    Ok(VisitFacts {
        lead: Cow::Borrowed(row.lead),
        finding: row.finding,
        paid_yuan: row.paid_yuan,
        evidence: row
            .evidence
            .iter()
            .map(|e| EvidenceFacts {
                kind: e.kind,
                reference: Cow::Borrowed(e.reference),
            })
            .collect(),
        cause: row.cause,
        next: row.next.map(|n| next_action(key, n)).transpose()?,
        supersedes: row.supersedes.map(Cow::Borrowed),
    })
}

fn read<'a>(key: &str, bytes: &'a [u8]) -> Result<Row<'a>> {
    super::records::count_decoded();
    postcard::from_bytes(bytes).map_err(|e| Error::Store {
        detail: format!("record {key} cannot be read: {e}"),
    })
}

fn time(key: &str, (secs, nanos): (i64, u32)) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp(secs, nanos).ok_or_else(|| out_of_range(key, "time"))
}

fn next_action(key: &str, (text, due): (&str, Option<i32>)) -> Result<NextAction> {
    Ok(NextAction {
        text: text.to_string(),
        due: due.map(|d| day(key, d)).transpose()?,
    })
}

/// A due date stored as days from the common era.
fn day(key: &str, days: i32) -> Result<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(days).ok_or_else(|| out_of_range(key, "due date"))
}

fn out_of_range(key: &str, what: &str) -> Error {
    Error::Store {
        detail: format!("record {key} cannot be read: its {what} is out of range"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit() -> Visit {
        Visit {
            id: "0190a8f0-7c1e-7000-8000-000000000001".into(),
            lead: "cq-jfb-2022-3/a3/1".into(),
            kind: VisitKind::Revisit,
            finding: Some(Finding::PartlyPaid),
            at: DateTime::from_timestamp(1_642_645_800, 123_456_789).unwrap(),
            inspector: "张三".into(),
            met: vec![Person {
                name: "李四".into(),
                role: "财务".into(),
                phone: "13800000000".into(),
            }],
            amount_yuan: Some(1_234_500),
            paid_yuan: Some(500_000),
            evidence: vec![Evidence {
                kind: EvidenceKind::BankRecord,
                reference: "回单 \"2022-018\"".into(),
                note: "首期".into(),
            }],
            cause: Some(Cause::Funds),
            next: Some(NextAction {
                text: "复查余款".into(),
                due: NaiveDate::from_ymd_opt(2022, 3, 31),
            }),
            notes: "已付一半".into(),
            supersedes: Some("0190a8f0-7c1e-7000-8000-000000000000".into()),
            status_before: Some(Status::Verifying),
            status_after: Some(Status::Negotiating),
            attention_before: true,
            reason: "时间记错".into(),
        }
    }

    #[test]
    fn a_visit_reads_back_as_it_was_stored() {
        let v = visit();
        let bytes = encode(&v).unwrap();
        assert_eq!(decode("k", &bytes).unwrap(), v);
        let bare = Visit {
            finding: None,
            met: Vec::new(),
            evidence: Vec::new(),
            next: None,
            supersedes: None,
            status_before: None,
            status_after: None,
            ..v.clone()
        };
        assert_eq!(decode("k", &encode(&bare).unwrap()).unwrap(), bare);
        let json = serde_json::to_vec(&v).unwrap();
        assert!(
            bytes.len() * 2 < json.len(),
            "{} vs {}",
            bytes.len(),
            json.len()
        );
    }

    #[test]
    fn a_row_of_schema_10_reads_as_a_visit_with_no_reason() {
        let v = Visit {
            reason: String::new(),
            ..visit()
        };
        let new = encode(&v).unwrap();
        // Schema 10's bytes: the same without the last byte (an empty reason's length, 0).
        let old = &new[..new.len() - 1];
        assert_eq!(new.last(), Some(&0));
        assert_eq!(decode("k", &upgrade_v2("k", old).unwrap()).unwrap(), v);
        assert!(upgrade_v2("k", &old[..old.len() - 2]).is_err());
    }

    #[test]
    fn summaries_and_facts_say_what_the_whole_visit_says() {
        let v = visit();
        let bytes = encode(&v).unwrap();
        let s = summary("k", &bytes).unwrap();
        assert_eq!(
            (s.id.as_ref(), s.lead.as_ref()),
            (v.id.as_str(), v.lead.as_str())
        );
        assert_eq!((s.kind, s.finding, s.at), (v.kind, v.finding, v.at));
        assert_eq!(s.inspector, "张三");
        assert_eq!(
            (s.met[0].name.as_ref(), s.met[0].role.as_ref()),
            ("李四", "财务")
        );
        assert_eq!(s.next.map(|n| n.text), Some("复查余款".into()));
        assert_eq!((s.notes.as_ref(), s.evidence), ("已付一半", 1));
        assert_eq!(s.supersedes.as_deref(), v.supersedes.as_deref());
        assert!(matches!(s.id, Cow::Borrowed(_)), "text is borrowed");
        assert_eq!(facts("k", &bytes).unwrap(), VisitFacts::from(&v));
    }

    /// The stored layout, byte for byte: a field or variant moved changes these bytes, and needs
    /// a new table and a migration.
    #[test]
    fn the_stored_layout_does_not_change_unnoticed() {
        let bytes = encode(&visit()).unwrap();
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        insta::assert_snapshot!(hex);
    }

    /// Each variant's name and its stored bytes, as `name=byte`.
    fn places<T: Serialize>(all: &[T]) -> String {
        let place = |v: &T| {
            let name = serde_json::to_string(v).unwrap();
            let bytes = postcard::to_allocvec(v).unwrap();
            format!("{}={bytes:?}", name.trim_matches('"'))
        };
        all.iter().map(place).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn stored_variants_keep_their_places() {
        let stored = [
            places(VisitKind::ALL),
            places(Finding::ALL),
            places(EvidenceKind::ALL),
            places(Cause::ALL),
            places(&Status::ALL),
        ];
        insta::assert_snapshot!(stored.join("\n"));
    }

    #[test]
    fn damaged_bytes_are_an_error_naming_the_record() {
        let bytes = encode(&visit()).unwrap();
        for cut in [&bytes[..bytes.len() / 2], &bytes[..3], &[][..]] {
            let err = decode("visit-7", cut).unwrap_err();
            assert!(err.to_string().contains("visit-7"), "{err}");
            assert!(summary("visit-7", cut).is_err());
            assert!(facts("visit-7", cut).is_err());
        }
    }
}

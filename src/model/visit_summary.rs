//! What lists of visits need of each one (its time, kind, finding, lead, the visit it corrects
//! and the texts searched, people met among them), read straight from a stored visit's bytes,
//! borrowing its text (`store/visit_rows.rs`): a list of two million visits is read without
//! copying their evidence, amounts or anything else.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use super::visit::{Cause, EvidenceKind, Finding, NextAction, Visit, VisitKind};

/// A stored visit, in part.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitSummary<'a> {
    pub id: Cow<'a, str>,
    pub lead: Cow<'a, str>,
    pub kind: VisitKind,
    pub finding: Option<Finding>,
    pub at: DateTime<Utc>,
    pub inspector: Cow<'a, str>,
    pub met: Vec<MetSummary<'a>>,
    pub next: Option<NextSummary<'a>>,
    pub notes: Cow<'a, str>,
    pub supersedes: Option<Cow<'a, str>>,
    /// How many evidence items it holds (their text is not read).
    pub evidence: usize,
}

/// The part of a stored visit the report reads: what its lead's row is folded from.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitFacts<'a> {
    pub lead: Cow<'a, str>,
    pub finding: Option<Finding>,
    pub paid_yuan: Option<i64>,
    pub evidence: Vec<EvidenceFacts<'a>>,
    pub cause: Option<Cause>,
    pub next: Option<NextAction>,
    pub supersedes: Option<Cow<'a, str>>,
}

impl<'a> From<&'a Visit> for VisitFacts<'a> {
    fn from(v: &'a Visit) -> Self {
        VisitFacts {
            lead: Cow::Borrowed(&v.lead),
            finding: v.finding,
            paid_yuan: v.paid_yuan,
            evidence: v
                .evidence
                .iter()
                .map(|e| EvidenceFacts {
                    kind: e.kind,
                    reference: Cow::Borrowed(&e.reference),
                })
                .collect(),
            cause: v.cause,
            next: v.next.clone(),
            supersedes: v.supersedes.as_deref().map(Cow::Borrowed),
        }
    }
}

/// An evidence item's kind and reference (its note is not read).
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceFacts<'a> {
    pub kind: EvidenceKind,
    pub reference: Cow<'a, str>,
}

/// A person met: name and role (their phone is not searched).
#[derive(Debug, Clone, PartialEq)]
pub struct MetSummary<'a> {
    pub name: Cow<'a, str>,
    pub role: Cow<'a, str>,
}

/// A visit's next step: its text and by when.
#[derive(Debug, Clone, PartialEq)]
pub struct NextSummary<'a> {
    pub text: Cow<'a, str>,
    pub due: Option<chrono::NaiveDate>,
}

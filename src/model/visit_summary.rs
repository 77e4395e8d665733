//! What lists of visits need of each one (its time, kind, finding, lead, the visit it corrects
//! and the texts searched, people met among them), read straight from a stored visit's JSON,
//! borrowing its text: a list of two million visits is read without decoding their evidence,
//! amounts or anything else.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::visit::{Cause, EvidenceKind, Finding, NextAction, Visit, VisitKind};

/// A stored visit, in part. The same JSON as `Visit`; the fields not named here are skipped.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VisitSummary<'a> {
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    #[serde(borrow)]
    pub lead: Cow<'a, str>,
    pub kind: VisitKind,
    pub finding: Option<Finding>,
    pub at: DateTime<Utc>,
    #[serde(borrow)]
    pub inspector: Cow<'a, str>,
    #[serde(borrow, default)]
    pub met: Vec<MetSummary<'a>>,
    #[serde(borrow)]
    pub next: Option<NextSummary<'a>>,
    #[serde(borrow, default)]
    pub notes: Cow<'a, str>,
    #[serde(borrow)]
    pub supersedes: Option<Cow<'a, str>>,
    /// How many evidence items it holds (their text is not read).
    #[serde(default, deserialize_with = "count")]
    pub evidence: usize,
}

/// The part of a stored visit the report reads: what its lead's row is folded from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct VisitFacts<'a> {
    #[serde(borrow)]
    pub lead: Cow<'a, str>,
    pub finding: Option<Finding>,
    pub paid_yuan: Option<i64>,
    #[serde(default, borrow)]
    pub evidence: Vec<EvidenceFacts<'a>>,
    pub cause: Option<Cause>,
    pub next: Option<NextAction>,
    #[serde(borrow)]
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
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EvidenceFacts<'a> {
    pub kind: EvidenceKind,
    #[serde(rename = "ref", borrow)]
    pub reference: Cow<'a, str>,
}

/// The length of a JSON array, its items skipped.
fn count<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<usize, D::Error> {
    struct Count;
    impl<'de> serde::de::Visitor<'de> for Count {
        type Value = usize;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an array")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
            let mut n = 0;
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                n += 1;
            }
            Ok(n)
        }
    }
    deserializer.deserialize_seq(Count)
}

/// A person met: name and role (their phone is not searched).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MetSummary<'a> {
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    #[serde(borrow, default)]
    pub role: Cow<'a, str>,
}

/// The text of a visit's next step.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NextSummary<'a> {
    #[serde(borrow)]
    pub text: Cow<'a, str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_a_full_visit_holds() {
        let json = r#"{"id":"v1","lead":"n/a3/1","kind":"onsite","finding":"paid","at":"2022-01-20T02:30:00Z",
            "inspector":"张三","met":[{"name":"李四","role":"财务","phone":""}],"amount_yuan":null,
            "paid_yuan":null,"evidence":[],"cause":null,"next":{"text":"复查 \"回单\"","due":null},
            "notes":"已付","supersedes":"v0"}"#;
        let s: VisitSummary = serde_json::from_str(json).unwrap();
        assert_eq!((s.id.as_ref(), s.lead.as_ref()), ("v1", "n/a3/1"));
        assert_eq!(
            (s.kind, s.finding),
            (VisitKind::Onsite, Some(Finding::Paid))
        );
        assert_eq!(s.inspector, "张三");
        assert_eq!(
            (s.met[0].name.as_ref(), s.met[0].role.as_ref()),
            ("李四", "财务")
        );
        // Escaped text is unescaped (owned), plain text borrowed.
        assert_eq!(s.next.unwrap().text, "复查 \"回单\"");
        assert!(matches!(s.notes, Cow::Borrowed("已付")));
        assert_eq!(s.supersedes.as_deref(), Some("v0"));
        assert_eq!(s.evidence, 0);
        let two = json.replace(
            r#""evidence":[]"#,
            r#""evidence":[{"kind":"contract","ref":"a"},{"kind":"invoice","ref":"b"}]"#,
        );
        let s: VisitSummary = serde_json::from_str(&two).unwrap();
        assert_eq!(s.evidence, 2);
    }
}

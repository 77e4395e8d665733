//! What lists of visits need of each one (its time, kind, finding, lead, the visit it corrects
//! and the texts searched, people met among them), read straight from a stored visit's JSON,
//! borrowing its text: a list of two million visits is read without decoding their evidence,
//! amounts or anything else.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::visit::{Finding, VisitKind};

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
    }
}

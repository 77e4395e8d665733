//! Domain types and the notice's rules. No I/O here.

pub mod amount;
pub mod channel;
pub mod form;
pub mod lead;
pub mod lifecycle;
pub mod notice;
pub mod phone;
pub mod region;
pub mod rules;
pub mod visit;

pub use channel::{Channel, Phone, Scope};
pub use lead::{Lead, LeadKind, Status};
pub use notice::{Contact, Notice, NoticeMeta};
pub use visit::{Cause, Evidence, EvidenceKind, Finding, NextAction, Person, Visit, VisitKind};

/// The two kinds of record the directory and ledger hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RecordKind {
    Lead,
    Channel,
}

/// What notices write for "nothing here": `—`, `/`, `无`, `不详`… or nothing at all.
pub fn is_empty_mark(text: &str) -> bool {
    matches!(
        text.trim(),
        "" | "—" | "——" | "/" | "／" | "-" | "－" | "无" | "不详" | "未知"
    )
}

/// Whom to call about a lead: the channel of its district (附件2), then the provincial channel
/// (附件1) of the province its notice is from (重庆 for 渝… notices).
pub fn contacts_for<'a>(lead: &Lead, channels: &'a [Channel]) -> Vec<&'a Channel> {
    let province = region::province_of(&lead.notice);
    let district = channels
        .iter()
        .filter(|c| c.scope == Scope::Chongqing && c.name == lead.district);
    let provincial = channels
        .iter()
        .filter(move |c| c.scope == Scope::National && Some(c.name.as_str()) == province);
    district.chain(provincial).collect()
}

/// The leads a channel answers for: a district's own leads, or a province's (the leads of its
/// notices) for a provincial channel — the inverse of `contacts_for`.
pub fn leads_of<'a>(channel: &Channel, leads: &'a [Lead]) -> Vec<&'a Lead> {
    leads
        .iter()
        .filter(|l| match channel.scope {
            Scope::Chongqing => l.district == channel.name,
            Scope::National => region::province_of(&l.notice) == Some(channel.name.as_str()),
        })
        .collect()
}

/// Orders ids naturally, so `…/a2/9` comes before `…/a2/10`.
pub fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    let mut x = a.split('/');
    let mut y = b.split('/');
    loop {
        match (x.next(), y.next()) {
            (None, None) => return std::cmp::Ordering::Equal,
            (None, Some(_)) => return std::cmp::Ordering::Less,
            (Some(_), None) => return std::cmp::Ordering::Greater,
            (Some(p), Some(q)) => {
                let order = match (p.parse::<u64>(), q.parse::<u64>()) {
                    (Ok(m), Ok(n)) => m.cmp(&n),
                    _ => p.cmp(q),
                };
                if order.is_ne() {
                    return order;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_sort_naturally() {
        let mut ids = vec!["n/a2/10", "n/a2/9", "n/a1/31", "n/a3/1"];
        ids.sort_by(|a, b| super::id_order(a, b));
        assert_eq!(ids, ["n/a1/31", "n/a2/9", "n/a2/10", "n/a3/1"]);
    }
}

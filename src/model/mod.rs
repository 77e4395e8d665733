//! Domain types and the notice's rules. No I/O here.

pub mod amount;
pub mod channel;
pub mod due;
pub mod form;
mod id_sort;
pub mod lead;
pub mod lifecycle;
pub mod notice;
pub mod phone;
pub mod region;
pub mod rules;
pub mod site_lead;
pub mod visit;
pub mod visit_summary;

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

/// An id taken apart once for sorting: its `/` segments, each with its number if it is one.
/// Compares exactly as `id_order` does, so `sort_by_cached_key(|x| IdKey::of(&x.id))` sorts a
/// million ids without splitting and parsing each one at every comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdKey<'a>(Vec<(Option<u64>, &'a str)>);

impl<'a> IdKey<'a> {
    pub fn of(id: &'a str) -> IdKey<'a> {
        IdKey(id.split('/').map(|p| (p.parse().ok(), p)).collect())
    }
}

impl Ord for IdKey<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        for (p, q) in self.0.iter().zip(&other.0) {
            let order = match (p.0, q.0) {
                (Some(m), Some(n)) => m.cmp(&n),
                _ => p.1.cmp(q.1),
            };
            if order.is_ne() {
                return order;
            }
        }
        self.0.len().cmp(&other.0.len())
    }
}

impl PartialOrd for IdKey<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Sorts records into natural id order (`id_sort.rs`: packed into integers where the ids allow,
/// else each id taken apart once), stably.
pub fn sort_by_id<T>(records: &mut [T], id: impl Fn(&T) -> &str) {
    let ids: Vec<&str> = records.iter().map(&id).collect();
    let order = id_sort::id_sorted_order(&ids);
    drop(ids);
    permute(records, order);
}

/// Puts `records[order[k]]` at `k`, in place.
pub(crate) fn permute<T>(records: &mut [T], mut order: Vec<usize>) {
    for start in 0..records.len() {
        // Follow the cycle through `start`, swapping each element into its place.
        let mut at = start;
        while order[at] != start {
            let from = order[at];
            records.swap(at, from);
            order[at] = at;
            at = from;
        }
        order[at] = at;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_key_sorts_as_id_order_does() {
        let ids = [
            "n/a2/10", "n/a2/9", "n/a1/31", "n/a3/1", "n/a3", "m/a3/1", "n/a10/2", "n/b/1",
            "n/10x", "n/9", "n", "",
        ];
        for a in ids {
            for b in ids {
                assert_eq!(
                    super::IdKey::of(a).cmp(&super::IdKey::of(b)),
                    super::id_order(a, b),
                    "{a} vs {b}"
                );
            }
        }
        let mut sorted: Vec<String> = ids.iter().rev().map(|s| s.to_string()).collect();
        super::sort_by_id(&mut sorted, |s| s.as_str());
        let mut expected: Vec<&str> = ids.to_vec();
        expected.sort_by(|a, b| super::id_order(a, b));
        assert_eq!(sorted, expected);
    }

    #[test]
    fn ids_sort_naturally() {
        let mut ids = vec!["n/a2/10", "n/a2/9", "n/a1/31", "n/a3/1"];
        ids.sort_by(|a, b| super::id_order(a, b));
        assert_eq!(ids, ["n/a1/31", "n/a2/9", "n/a2/10", "n/a3/1"]);
    }
}

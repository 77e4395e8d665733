//! What the app derives from the list of visits, once, where the visits are read (off the UI
//! thread): each visit's lead, each lead's visits, the Visits tab's newest-first order, and the
//! visits a correction replaced. Kept up to date one visit at a time when a visit is finalized.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::visit_rows::{Strings, VisitRows};
use crate::model::{Lead, Visit};

/// A visit whose lead this store does not hold.
const NO_LEAD: u32 = u32::MAX;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct VisitIndex {
    /// Each visit's lead, as its position in the leads.
    lead_of: Vec<u32>,
    /// Positions in the visits by the position of their lead, oldest first.
    by_lead: HashMap<u32, Vec<usize>>,
    /// The lead ids of the visits whose lead this store does not hold, by position.
    orphans: HashMap<usize, String>,
    /// Every position, newest first (by time, then the later finalized first).
    pub newest_first: Vec<usize>,
    /// The ids of visits a correction replaced.
    pub corrected: HashSet<String>,
}

impl VisitIndex {
    /// The index of `rows`, whose lead ids are `lead_ids`, over `leads` (in natural id order),
    /// with the visits a correction replaced.
    pub fn of(
        rows: &VisitRows,
        leads: &[Arc<Lead>],
        lead_ids: &Strings,
        corrected: HashSet<String>,
    ) -> VisitIndex {
        let lead_of = lead_positions(leads, lead_ids);
        let mut by_lead: HashMap<u32, Vec<usize>> = HashMap::new();
        let mut orphans = HashMap::new();
        for (i, &lead) in lead_of.iter().enumerate() {
            if lead == NO_LEAD {
                orphans.insert(i, lead_ids.get(i).to_string());
            } else {
                by_lead.entry(lead).or_default().push(i);
            }
        }
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_unstable_by_key(|&i| {
            let listed = rows.get(i).map(|r| super::visit_rows::listed_minute(r.at));
            std::cmp::Reverse((listed, i))
        });
        VisitIndex {
            lead_of,
            by_lead,
            orphans,
            newest_first: order,
            corrected,
        }
    }

    /// The index of whole visits (in `VisitRows` order) over `leads`.
    pub fn of_visits(visits: &[Visit], leads: &[Arc<Lead>]) -> VisitIndex {
        let mut lead_ids = Strings::default();
        for v in visits {
            lead_ids.push(&v.lead);
        }
        let corrected = crate::model::visit::corrected_ids(visits)
            .into_iter()
            .map(String::from)
            .collect();
        VisitIndex::of(&VisitRows::of(visits), leads, &lead_ids, corrected)
    }

    /// The visit just pushed last onto `rows`, of the lead `lead_id`, correcting `supersedes`.
    pub fn add(
        &mut self,
        rows: &VisitRows,
        leads: &[Arc<Lead>],
        lead_id: &str,
        supersedes: Option<&str>,
    ) {
        let Some(i) = rows.len().checked_sub(1) else {
            return;
        };
        let lead = leads
            .binary_search_by(|l| crate::model::id_order(&l.id, lead_id))
            .ok()
            .and_then(|p| u32::try_from(p).ok())
            .unwrap_or(NO_LEAD);
        self.lead_of.push(lead);
        if lead == NO_LEAD {
            self.orphans.insert(i, lead_id.to_string());
        } else {
            self.by_lead.entry(lead).or_default().push(i);
        }
        if let Some(old) = supersedes {
            self.corrected.insert(old.to_string());
        }
        let listed = |j: usize| rows.get(j).map(|r| super::visit_rows::listed_minute(r.at));
        let key = (listed(i), i);
        let at = self.newest_first.partition_point(|&j| (listed(j), j) > key);
        self.newest_first.insert(at, i);
    }

    /// The position of visit `i`'s lead in the leads, if it is held.
    pub fn lead_of(&self, i: usize) -> Option<usize> {
        self.lead_of
            .get(i)
            .filter(|&&p| p != NO_LEAD)
            .map(|&p| p as usize)
    }

    /// The lead id of visit `i` when its lead is not held here.
    pub fn orphan_lead(&self, i: usize) -> Option<&str> {
        self.orphans.get(&i).map(String::as_str)
    }

    /// Each visit's lead, as its position in the leads (`u32::MAX` where it is not held).
    pub fn lead_positions(&self) -> &[u32] {
        &self.lead_of
    }

    /// The positions of the visits of the lead at position `lead`, oldest first.
    pub fn visits_of(&self, lead: usize) -> &[usize] {
        u32::try_from(lead)
            .ok()
            .and_then(|p| self.by_lead.get(&p))
            .map_or(&[], Vec::as_slice)
    }
}

/// Where each lead id is among `leads` (in natural id order), `NO_LEAD` where it is not held.
fn lead_positions(leads: &[Arc<Lead>], lead_ids: &Strings) -> Vec<u32> {
    let place: HashMap<&str, u32> = leads
        .iter()
        .enumerate()
        .map(|(i, l)| (l.id.as_str(), u32::try_from(i).unwrap_or(NO_LEAD)))
        .collect();
    (0..lead_ids.len())
        .map(|i| place.get(lead_ids.get(i)).copied().unwrap_or(NO_LEAD))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(n: usize, lead: &str, minute: i64, supersedes: Option<&str>) -> Visit {
        let mut v: Visit = serde_json::from_value(serde_json::json!({
            "id": format!("v{n}"), "lead": lead, "kind": "onsite",
            "at": "2022-01-25T09:00:00Z", "inspector": "i"
        }))
        .unwrap();
        v.at += chrono::Duration::minutes(minute);
        v.supersedes = supersedes.map(Into::into);
        v
    }

    #[test]
    fn adding_one_visit_keeps_the_index_as_building_it_again_would() {
        // The seed's three leads, in id order: a3/1, a3/2, a3/3.
        let leads: Vec<Arc<Lead>> = crate::store::Store::memory(&Default::default())
            .unwrap()
            .leads()
            .unwrap()
            .into_iter()
            .map(Arc::new)
            .collect();
        let id = |n: usize| leads[n].id.clone();
        let (a, b, c) = (id(0), id(1), id(2));
        let mut visits = vec![
            visit(0, &a, 5, None),
            visit(1, &b, 1, None),
            visit(2, &a, 5, None),
        ];
        let mut index = VisitIndex::of_visits(&visits, &leads);
        assert_eq!(index.newest_first, [2, 0, 1]);
        for (n, (lead, minute, old)) in [(&b, 3, Some("v1")), (&c, 9, None), (&a, 0, None)]
            .into_iter()
            .enumerate()
        {
            visits.push(visit(3 + n, lead, minute, old));
            index.add(&VisitRows::of(&visits), &leads, lead, old);
            assert_eq!(index, VisitIndex::of_visits(&visits, &leads));
        }
        assert!(index.corrected.contains("v1"));
        assert_eq!(index.visits_of(0), [0, 2, 5]);
        assert_eq!(index.lead_of(4), Some(2));
    }

    /// A correction made in the form keeps the minute of the visit it corrects but not its
    /// seconds: it is still listed as the newer, as the list shows both at the same minute.
    #[test]
    fn a_correction_in_the_same_minute_is_listed_first() {
        let leads: Vec<Arc<Lead>> = crate::store::Store::memory(&Default::default())
            .unwrap()
            .leads()
            .unwrap()
            .into_iter()
            .map(Arc::new)
            .collect();
        let mut old = visit(0, &leads[0].id, 4, None);
        old.at += chrono::Duration::seconds(37);
        let fix = visit(1, &leads[0].id, 4, Some("v0"));
        let visits = vec![old, fix];
        let mut index = VisitIndex::of_visits(&visits, &leads);
        assert_eq!(index.newest_first, [1, 0]);
        let one = vec![visits[0].clone()];
        index = VisitIndex::of_visits(&one, &leads);
        index.add(&VisitRows::of(&visits), &leads, &leads[0].id, Some("v0"));
        assert_eq!(index.newest_first, [1, 0], "added one by one alike");
    }
}

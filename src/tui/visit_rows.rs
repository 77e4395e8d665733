//! What the app keeps of every finalized visit: its id, time, kind and finding (what the lists
//! show and sort by), a few dozen bytes each, with the ids one after another in one string. The
//! whole visit is read from the store when it is opened (`State::opened`); two million visits
//! decoded in full took over a gigabyte and most of the start.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::model::visit_summary::VisitSummary;
use crate::model::{Finding, Visit, VisitKind};

/// A visit as the lists show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisitRow {
    pub at: DateTime<Utc>,
    pub kind: VisitKind,
    pub finding: Option<Finding>,
}

impl VisitRow {
    pub fn of(visit: &Visit) -> VisitRow {
        VisitRow {
            at: visit.at,
            kind: visit.kind,
            finding: visit.finding,
        }
    }
}

/// Strings one after another in one allocation: the `i`th ends at `ends[i]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Strings {
    text: String,
    ends: Vec<usize>,
}

impl Strings {
    /// The `i`th string (empty past the end).
    pub fn get(&self, i: usize) -> &str {
        let start = i.checked_sub(1).map_or(0, |p| self.ends[p]);
        self.ends.get(i).map_or("", |&end| &self.text[start..end])
    }

    pub fn push(&mut self, s: &str) {
        self.text.push_str(s);
        self.ends.push(self.text.len());
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// Every finalized visit, oldest first (by time, then id): the positions every other part of
/// the app uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VisitRows {
    rows: Vec<VisitRow>,
    ids: Strings,
}

impl VisitRows {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<&VisitRow> {
        self.rows.get(i)
    }

    /// The id of the visit at `i` (empty past the end).
    pub fn id(&self, i: usize) -> &str {
        self.ids.get(i)
    }

    pub fn push(&mut self, id: &str, row: VisitRow) {
        self.ids.push(id);
        self.rows.push(row);
    }

    /// The rows of visits already in order (as `Store::visits` gives them).
    pub fn of(visits: &[Visit]) -> VisitRows {
        let mut rows = VisitRows::default();
        for v in visits {
            rows.push(&v.id, VisitRow::of(v));
        }
        rows
    }
}

/// The visits as read from the store for the app, before the leads they belong to are known:
/// the rows, each visit's lead id and searched texts, and the visits a correction replaced.
#[derive(Debug, Default)]
pub struct Scanned {
    pub rows: VisitRows,
    /// Each visit's lead id.
    pub leads: Strings,
    /// Each visit's own texts for the Visits tab's search, lowercased (`visit_search::own_text`).
    pub own: Vec<Box<str>>,
    /// Each visit's next step.
    pub next: Vec<Option<super::next_steps::NextStep>>,
    pub corrected: HashSet<String>,
}

impl Scanned {
    /// Reads every visit's summary, then puts them in time order.
    pub fn read(store: &crate::store::Store) -> crate::error::Result<Scanned> {
        let mut read = Scanned::default();
        store.visit_summaries(|s| read.add(&s))?;
        Ok(read.in_time_order())
    }

    fn add(&mut self, s: &VisitSummary<'_>) {
        let row = VisitRow {
            at: s.at,
            kind: s.kind,
            finding: s.finding,
        };
        self.rows.push(&s.id, row);
        self.leads.push(&s.lead);
        let next = s.next.as_ref().map_or("", |n| n.text.as_ref());
        let met: Vec<&str> = s
            .met
            .iter()
            .flat_map(|p| [p.name.as_ref(), p.role.as_ref()])
            .collect();
        self.own.push(super::visit_search::own_text(
            &s.lead,
            &s.inspector,
            &met,
            next,
            &s.notes,
        ));
        self.next
            .push(s.next.as_ref().map(|n| super::next_steps::NextStep {
                text: n.text.as_ref().into(),
                due: n.due,
            }));
        if let Some(old) = &s.supersedes {
            self.corrected.insert(old.to_string());
        }
    }

    /// The store gives visits in id order; the app's is time to the minute (as the list shows
    /// it), then id (the order they were finalized): a correction made in the form keeps the
    /// minute of the visit it corrects, not its seconds, and is still listed as the newer.
    fn in_time_order(mut self) -> Scanned {
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        let minute = |i: usize| listed_minute(self.rows.rows[i].at);
        order.sort_unstable_by(|&a, &b| {
            (minute(a), self.rows.id(a)).cmp(&(minute(b), self.rows.id(b)))
        });
        if order.iter().enumerate().all(|(k, &i)| k == i) {
            return self;
        }
        let mut sorted = Scanned {
            corrected: std::mem::take(&mut self.corrected),
            ..Scanned::default()
        };
        let mut own: Vec<Option<Box<str>>> = std::mem::take(&mut self.own)
            .into_iter()
            .map(Some)
            .collect();
        let mut next = std::mem::take(&mut self.next);
        for i in order {
            let row = self.rows.rows[i];
            sorted.rows.push(self.rows.id(i), row);
            sorted.leads.push(self.leads.get(i));
            sorted.own.push(own[i].take().unwrap_or_default());
            sorted.next.push(next.get_mut(i).and_then(Option::take));
        }
        sorted
    }
}

/// The minute a visit is listed at (the lists order by it, then by finalization).
pub fn listed_minute(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_back_as_pushed_and_nothing_past_the_end() {
        let mut rows = VisitRows::default();
        let row = VisitRow {
            at: DateTime::UNIX_EPOCH,
            kind: VisitKind::Onsite,
            finding: None,
        };
        for id in ["a", "", "长的编号-3"] {
            rows.push(id, row);
        }
        assert_eq!(
            (rows.id(0), rows.id(1), rows.id(2)),
            ("a", "", "长的编号-3")
        );
        assert_eq!(rows.id(3), "");
        assert_eq!(rows.len(), 3);
    }
}

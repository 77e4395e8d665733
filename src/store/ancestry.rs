//! Does one change build on another? The register merge asks it of every new value against the
//! heads it meets (`merge::merge_register`).
//!
//! A change builds on the changes its `base` and `merges` name, on every change those build on,
//! and on its own device's earlier changes (a device's log is sequential). The search walks those
//! links back from the later change and never below the earlier one's clock (hybrid logical
//! clocks: a change is dated after everything it builds on).
//!
//! Alone, that search costs the length of the chain it walks, and a register that one device
//! writes again and again beside another device's concurrent value asks it at every write: the
//! whole chain each time, quadratic (1,500 such changes read 2.25M records; a hostile laptop can
//! send 100,000). So what a search finds not to build on an ancestor is remembered for the rest
//! of the import (or of one register's replay in `verify`): a later search for the same ancestor
//! stops where it meets such a change. A change that arrives where a remembered change's
//! ancestry may reach it (below a held change of its device, or under an id a search looked for
//! and did not find) is searched from before the memory is used again; if it builds on the
//! ancestor, that memory is dropped.

use std::collections::{HashMap, HashSet, VecDeque};

use redb::{ReadableTable, WriteTransaction};

use super::merge::Head;
use super::records::decode;
use super::{db_err, tables};
use crate::error::Result;
use crate::sync::Change;

/// What merging a register needs of the log: the changes held so far. The store's own log is
/// one (`WriteTransaction`); `verify` reads its log as it stood when each change was replayed.
pub(super) trait Log {
    /// The change with this id, if held.
    fn held(&self, id: &str) -> Result<Option<Change>>;
    /// The id of the device's nearest change held before `idx`.
    fn held_before(&self, device: &str, idx: u64) -> Result<Option<String>>;
}

impl Log for WriteTransaction {
    fn held(&self, id: &str) -> Result<Option<Change>> {
        let ids = self.open_table(tables::CHANGE_IDS).map_err(db_err)?;
        let Some(at) = ids.get(id).map_err(db_err)? else {
            return Ok(None);
        };
        let (device, idx) = at.value();
        let changes = self.open_table(tables::CHANGES).map_err(db_err)?;
        let json = changes.get((device, idx)).map_err(db_err)?;
        json.map(|j| decode(id, j.value())).transpose()
    }

    fn held_before(&self, device: &str, idx: u64) -> Result<Option<String>> {
        if idx <= 1 {
            return Ok(None);
        }
        let changes = self.open_table(tables::CHANGES).map_err(db_err)?;
        let mut range = changes.range((device, 0)..(device, idx)).map_err(db_err)?;
        let Some(entry) = range.next_back() else {
            return Ok(None);
        };
        let (k, v) = entry.map_err(db_err)?;
        let change: Change = decode(&format!("{device}/{}", k.value().1), v.value())?;
        Ok(Some(change.id))
    }
}

/// What the searches of one import (or one register's replay) have found so far.
#[derive(Default)]
pub(super) struct Ancestry {
    /// Per ancestor (by id): the changes whose ancestry, as the log held it, does not reach it.
    apart: HashMap<String, Apart>,
    /// Changes that became held where a remembered change's ancestry may reach them, in order.
    arrivals: Vec<String>,
    /// Ids a search looked for and the log did not hold.
    missing: HashSet<String>,
    /// Of those, the ones not handed out by `newly_missing` yet.
    unreported: Vec<String>,
}

struct Apart {
    changes: HashSet<String>,
    /// How many of the arrivals these changes have been checked against.
    checked: usize,
}

impl Ancestry {
    /// Does it remember anything? Only then do arrivals need telling.
    pub(super) fn remembers(&self) -> bool {
        !self.apart.is_empty()
    }

    /// Did a search look for this id and not find it?
    pub(super) fn missed(&self, id: &str) -> bool {
        self.missing.contains(id)
    }

    /// The ids searches missed since the last call.
    pub(super) fn newly_missing(&mut self) -> Vec<String> {
        std::mem::take(&mut self.unreported)
    }

    /// A change became held where a remembered change's ancestry may reach it: below a held
    /// change of its device, or under an id a search missed.
    pub(super) fn arrived(&mut self, id: &str) {
        if self.remembers() {
            self.arrivals.push(id.to_string());
        }
    }

    /// Does `descendant` build, through `base` and `merges`, on `ancestor`? A device's log is
    /// sequential, so its later changes build on its earlier ones, even when a change between
    /// them has not arrived yet.
    pub(super) fn descends(
        &mut self,
        log: &impl Log,
        descendant: &Head,
        ancestor: &Head,
    ) -> Result<bool> {
        if descendant.device == ancestor.device {
            return Ok(descendant.idx > ancestor.idx);
        }
        if descendant.clock <= ancestor.clock {
            return Ok(false);
        }
        let fresh = || Apart {
            changes: HashSet::new(),
            checked: 0,
        };
        let mut apart = self.apart.remove(&ancestor.id).unwrap_or_else(fresh);
        if apart.changes.is_empty() {
            apart.checked = self.arrivals.len();
        }
        // What arrived since: searched from first, against what is remembered.
        while apart.checked < self.arrivals.len() {
            let from = self.arrivals[apart.checked].clone();
            apart.checked += 1;
            let mut walk = Walk::default();
            if walk.reaches(log, &from, ancestor, &apart.changes, self)? {
                apart = fresh();
                apart.checked = self.arrivals.len();
                break;
            }
            apart.changes.extend(walk.expanded);
        }
        let mut walk = Walk::default();
        let found = walk.reaches(log, &descendant.id, ancestor, &apart.changes, self)?;
        if !found {
            apart.changes.extend(walk.expanded);
        }
        if !apart.changes.is_empty() {
            self.apart.insert(ancestor.id.clone(), apart);
        }
        Ok(found)
    }

    /// Does `change` (held in memory) build on `ancestor`? Its own links are read first, so the
    /// usual case — it builds directly on the value it replaced — needs no lookup.
    pub(super) fn builds_on(
        &mut self,
        log: &impl Log,
        change: &Change,
        ancestor: &Head,
    ) -> Result<bool> {
        // A device's log is sequential: its later change replaces its earlier one, whatever
        // their clocks say (a wall clock set back between the two).
        if change.device == ancestor.device {
            return Ok(change.idx > ancestor.idx);
        }
        if change.clock <= ancestor.clock {
            return Ok(false);
        }
        if change
            .base
            .iter()
            .chain(&change.merges)
            .any(|parent| *parent == ancestor.id)
        {
            return Ok(true);
        }
        self.descends(log, &Head::of(change), ancestor)
    }

    fn miss(&mut self, id: String) {
        if self.missing.insert(id.clone()) {
            self.unreported.push(id);
        }
    }
}

/// One search, breadth first.
#[derive(Default)]
struct Walk {
    seen: HashSet<String>,
    /// The held changes it looked at (none of which reaches the ancestor, if it finds nothing).
    expanded: Vec<String>,
}

impl Walk {
    fn reaches(
        &mut self,
        log: &impl Log,
        from: &str,
        ancestor: &Head,
        apart: &HashSet<String>,
        ancestry: &mut Ancestry,
    ) -> Result<bool> {
        let mut queue: VecDeque<String> = VecDeque::from([from.to_string()]);
        while let Some(id) = queue.pop_front() {
            if apart.contains(&id) || !self.seen.insert(id.clone()) {
                continue;
            }
            let Some(change) = log.held(&id)? else {
                ancestry.miss(id);
                continue;
            };
            self.expanded.push(id);
            if change.clock <= ancestor.clock {
                continue;
            }
            if change.device == ancestor.device && change.idx > ancestor.idx {
                return Ok(true);
            }
            for parent in change.base.iter().chain(&change.merges) {
                if *parent == ancestor.id {
                    return Ok(true);
                }
                queue.push_back(parent.clone());
            }
            // A device's log is sequential: its nearest earlier change held is an ancestor too,
            // even when the change between them (that links them) has not arrived.
            if let Some(earlier) = log.held_before(&change.device, change.idx)? {
                queue.push_back(earlier);
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    //! What is remembered must never change an answer: after every arrival, in any order, with
    //! any clocks and links (hostile ones too), a search that remembers answers as a fresh one.

    use super::*;
    use crate::sync::Hlc;
    use proptest::prelude::*;

    #[derive(Default)]
    struct Held {
        by_id: HashMap<String, Change>,
    }

    impl Log for Held {
        fn held(&self, id: &str) -> Result<Option<Change>> {
            Ok(self.by_id.get(id).cloned())
        }

        fn held_before(&self, device: &str, idx: u64) -> Result<Option<String>> {
            Ok(self
                .by_id
                .values()
                .filter(|c| c.device == device && c.idx < idx)
                .max_by_key(|c| c.idx)
                .map(|c| c.id.clone()))
        }
    }

    /// (device, clock, links to earlier changes by position or to ids never held).
    type Made = (u8, u64, Vec<(bool, usize)>);

    fn log(made: &[Made]) -> Vec<Change> {
        let mut next = [0u64; 3];
        let mut out: Vec<Change> = Vec::new();
        for (i, (device, ms, links)) in made.iter().enumerate() {
            let d = usize::from(*device % 3);
            next[d] += 1;
            let mut parents: Vec<String> = links
                .iter()
                .map(|(real, at)| match (*real, i) {
                    (true, i) if i > 0 => out[at % i].id.clone(),
                    _ => format!("never-{at}"),
                })
                .collect();
            let base = (!parents.is_empty()).then(|| parents.remove(0));
            out.push(Change {
                id: format!("c{i}"),
                device: format!("d{d}"),
                idx: next[d],
                author: String::new(),
                clock: Hlc { ms: *ms, n: 0 },
                entity: "lead:x".into(),
                field: "attention".into(),
                value: serde_json::Value::Null,
                base,
                merges: parents,
                prev: None,
                sig: String::new(),
            });
        }
        out
    }

    proptest! {
        #[test]
        fn remembering_never_changes_an_answer(
            made in prop::collection::vec(
                (0u8..3, 0u64..40, prop::collection::vec((any::<bool>(), 0usize..64), 0..3)),
                1..40,
            ),
            order in prop::collection::vec(any::<prop::sample::Index>(), 40),
            asks in prop::collection::vec(
                (any::<prop::sample::Index>(), any::<prop::sample::Index>()), 120),
        ) {
            let mut changes = log(&made);
            // Arrival order: a shuffle of the log.
            for (i, pick) in order.iter().enumerate().take(changes.len()) {
                let j = i + pick.index(changes.len() - i);
                changes.swap(i, j);
            }
            let mut held = Held::default();
            let mut highest: HashMap<String, u64> = HashMap::new();
            let mut ancestry = Ancestry::default();
            let mut asks = asks.iter();
            for change in &changes {
                let top = highest.entry(change.device.clone()).or_insert(0);
                let late = change.idx < *top;
                *top = (*top).max(change.idx);
                held.by_id.insert(change.id.clone(), change.clone());
                if ancestry.missed(&change.id) || late {
                    ancestry.arrived(&change.id);
                }
                let mut ids: Vec<&Change> = held.by_id.values().collect();
                ids.sort_by(|a, b| a.id.cmp(&b.id));
                for (a, b) in asks.by_ref().take(3) {
                    let (x, y) = (Head::of(ids[a.index(ids.len())]), Head::of(ids[b.index(ids.len())]));
                    let remembered = ancestry.descends(&held, &x, &y).unwrap();
                    let fresh = Ancestry::default().descends(&held, &x, &y).unwrap();
                    prop_assert_eq!(remembered, fresh, "{} on {}", x.id, y.id);
                }
            }
        }
    }
}

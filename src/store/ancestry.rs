//! Does one change build on another? The register merge asks it of every new value against the
//! heads it meets (`merge::merge_register`).
//!
//! A change builds on the changes its `base` and `merges` name, on every change those build on,
//! and on its own device's earlier changes (a device's log is sequential). The search walks those
//! links back from the later change and never below the earlier one's clock (hybrid logical
//! clocks: a change is dated after everything it builds on), nor through a change of the earlier
//! one's device from before it (a device's change never builds on its own later one).
//!
//! Alone, that search costs the length of the chain it walks, and a register that one device
//! writes again and again beside another device's concurrent value asks it at every write: the
//! whole chain each time, quadratic (1,500 such changes read 2.25M records; a hostile laptop can
//! send 100,000). So what a search finds not to reach an ancestor is remembered for the rest of
//! the import (or of one register's replay in `verify`), per device of the ancestors: a change
//! that does not reach a device's value reaches none of that device's later values dated no
//! earlier, so a later search for any of them stops where it meets such a change. A change that
//! arrives where a remembered change's ancestry may reach it (below a remembered change of its
//! device, or under an id a remembered search looked for and did not find) is searched from
//! before the memory is used again; if it reaches the earliest value asked about, that device's
//! memory is dropped. Taking a change out of the log can make a search that stopped at it (dated
//! before the ancestor) go further: the import forgets all it remembers when it takes changes
//! back, or stores a change over another. What is remembered holds for ancestors the log holds:
//! asked about a head a dispute has taken out (whose register is rebuilt at the end of the
//! import), it may answer otherwise than a fresh search, and that answer is rebuilt away.

use std::collections::{HashMap, HashSet, VecDeque};

use redb::{ReadableTable, WriteTransaction};

use super::heads::Head;
use super::records::decode;
use super::{db_err, tables};
use crate::error::Result;
use crate::sync::{Change, Hlc};

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
    /// Per device of the ancestors asked about: the changes whose ancestry, as the log held it,
    /// does not reach them.
    apart: HashMap<String, Apart>,
    /// Changes that became held where a remembered change's ancestry may reach them, in order:
    /// (id, device, idx).
    arrivals: Vec<(String, String, u64)>,
    /// Ids a search looked for and the log did not hold.
    missing: HashSet<String>,
    /// Of those, the ones not handed out by `newly_missing` yet.
    unreported: Vec<String>,
}

/// What is known not to reach the ancestors of one device. A change that does not reach one
/// (idx a, clock c) reaches none of the device's later ones dated later (idx > a, clock > c): a
/// path to such a later one would meet the device after `a`, or the later one itself, through
/// changes dated after both. So each change keeps the earliest such (a, c) pairs, and
/// what was learnt asking about one value serves every later value of the device.
#[derive(Default)]
struct Apart {
    /// Per change: the (idx, clock) pairs of the ancestors it does not reach, none below another.
    changes: HashMap<String, Vec<(u64, Hlc)>>,
    /// The earliest ancestor asked about (by idx), against which arrivals are searched; and
    /// whether every ancestor asked about is itself or covered by it (`covers`).
    earliest: Option<Head>,
    ordered: bool,
    /// Per device, the highest idx among `changes`: an arrival below it may be reached.
    top: HashMap<String, u64>,
    /// The ids the searches behind `changes` looked for and did not find.
    missed: HashSet<String>,
    /// How many of the arrivals these changes have been checked against.
    checked: usize,
}

impl Apart {
    fn new(checked: usize) -> Apart {
        Apart {
            ordered: true,
            checked,
            ..Apart::default()
        }
    }

    /// Is this change known not to reach `ancestor`?
    fn holds(&self, id: &str, ancestor: (u64, Hlc)) -> bool {
        self.changes
            .get(id)
            .is_some_and(|pairs| pairs.iter().any(|pair| covers(*pair, ancestor)))
    }

    /// Notes the ancestor asked about.
    fn asked(&mut self, ancestor: &Head) {
        let (at, asked) = match &self.earliest {
            None => {
                self.earliest = Some(ancestor.clone());
                return;
            }
            Some(e) => ((e.idx, e.clock), (ancestor.idx, ancestor.clock)),
        };
        if asked.0 < at.0 {
            self.ordered &= covers(asked, at);
            self.earliest = Some(ancestor.clone());
        } else {
            self.ordered &= covers(at, asked);
        }
    }

    /// Takes in what a search that did not reach `ancestor` looked at.
    fn learn(&mut self, walk: Walk, ancestor: (u64, Hlc)) {
        for (id, device, idx) in walk.expanded {
            let top = self.top.entry(device).or_insert(0);
            *top = (*top).max(idx);
            let pairs = self.changes.entry(id).or_default();
            pairs.retain(|pair| !covers(ancestor, *pair));
            pairs.push(ancestor);
        }
        self.missed.extend(walk.missed);
    }

    /// Can a remembered change's ancestry reach this change?
    fn may_reach(&self, id: &str, device: &str, idx: u64) -> bool {
        self.missed.contains(id) || self.top.get(device).is_some_and(|top| *top > idx)
    }
}

/// Does not reaching the ancestor at `known` (idx, clock) mean not reaching the one at `asked`
/// (of the same device)? For itself, and for a later one dated strictly later: dated alike, the
/// later one would be cut off below the earlier one's clock by the search for the earlier one,
/// and so not seen to reach it.
fn covers(known: (u64, Hlc), asked: (u64, Hlc)) -> bool {
    known == asked || (known.0 < asked.0 && known.1 < asked.1)
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
    pub(super) fn arrived(&mut self, id: &str, device: &str, idx: u64) {
        if self.remembers() {
            self.arrivals
                .push((id.to_string(), device.to_string(), idx));
        }
    }

    /// Forgets everything (changes were taken out of the log).
    pub(super) fn forget(&mut self) {
        self.apart.clear();
        self.arrivals.clear();
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
        let arrived = self.arrivals.len();
        let mut apart = self
            .apart
            .remove(&ancestor.device)
            .unwrap_or_else(|| Apart::new(arrived));
        // What arrived since where a remembered change may reach it: searched from first,
        // against the earliest ancestor asked about (what reaches none of it reaches no later
        // one either); if it reaches it, or the ancestors are not in order, all is forgotten.
        while apart.checked < arrived {
            let (id, device, idx) = self.arrivals[apart.checked].clone();
            apart.checked += 1;
            if !apart.may_reach(&id, &device, idx) {
                continue;
            }
            let earliest = match (&apart.earliest, apart.ordered) {
                (Some(e), true) => e.clone(),
                _ => {
                    apart = Apart::new(arrived);
                    break;
                }
            };
            let at = (earliest.idx, earliest.clock);
            let mut walk = Walk::default();
            if walk.reaches(log, &id, &earliest, &apart, self)? {
                apart = Apart::new(arrived);
                break;
            }
            apart.learn(walk, at);
        }
        apart.asked(ancestor);
        let mut walk = Walk::default();
        let found = walk.reaches(log, &descendant.id, ancestor, &apart, self)?;
        if !found {
            apart.learn(walk, (ancestor.idx, ancestor.clock));
        }
        self.apart.insert(ancestor.device.clone(), apart);
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

    fn miss(&mut self, id: &str) {
        if self.missing.insert(id.to_string()) {
            self.unreported.push(id.to_string());
        }
    }
}

/// One search, breadth first.
#[derive(Default)]
struct Walk {
    seen: HashSet<String>,
    /// The held changes it looked at (none of which reaches the ancestor, if it finds nothing):
    /// (id, device, idx).
    expanded: Vec<(String, String, u64)>,
    /// The ids it looked for and the log did not hold.
    missed: Vec<String>,
}

impl Walk {
    fn reaches(
        &mut self,
        log: &impl Log,
        from: &str,
        ancestor: &Head,
        apart: &Apart,
        ancestry: &mut Ancestry,
    ) -> Result<bool> {
        let at = (ancestor.idx, ancestor.clock);
        let mut queue: VecDeque<String> = VecDeque::from([from.to_string()]);
        while let Some(id) = queue.pop_front() {
            if apart.holds(&id, at) || !self.seen.insert(id.clone()) {
                continue;
            }
            let Some(change) = log.held(&id)? else {
                ancestry.miss(&id);
                self.missed.push(id);
                continue;
            };
            self.expanded.push((id, change.device.clone(), change.idx));
            if change.clock <= ancestor.clock {
                continue;
            }
            if change.device == ancestor.device {
                // A device's later change builds on its earlier ones, and (as `descends` answers
                // for such a pair) never the other way round, whatever links say.
                if change.idx > ancestor.idx {
                    return Ok(true);
                }
                if change.idx < ancestor.idx {
                    continue;
                }
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
        // Cheap (a few ms a hundred cases), and the memory's rules are subtle: many cases.
        #![proptest_config(ProptestConfig::with_cases(3000))]
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
                    ancestry.arrived(&change.id, &change.device, change.idx);
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

//! What the report keeps of one lead's visits, folded from them one at a time: a province's
//! report keeps this much per lead, never its visits. The visits are read from both ends of
//! the store's table at once, so a lead's may arrive in id order (`fold`), in reverse
//! (`fold_earlier`), or in two runs to be joined (`merge`); all three agree with folding the
//! effective visits in id order, the order `model::visit::effective` puts them in.

use crate::model::visit::{EvidenceKind, NextAction};
use crate::model::visit_summary::VisitFacts;
use crate::model::{Cause, Finding};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// How many visits were folded in.
    visits: u32,
    /// The latest visit's finding and next step: an older one was overtaken.
    pub finding: Option<Finding>,
    pub next: Option<NextAction>,
    /// Distinct items, by a hash of kind and reference (a revisit carries the evidence of the
    /// visit before it): only counted, so 8 bytes an item instead of its text — a province's
    /// report keeps two of these per lead while it reads. Two items alike by a 64-bit hash and
    /// not otherwise would count once: about one chance in 10^18 per pair.
    evidence: Vec<u64>,
    /// The latest amount paid that a visit recorded.
    pub paid_yuan: Option<i64>,
    /// In the order they were first found.
    causes: Causes,
}

/// The causes a lead's visits named, in the order first found: at most one of each, kept in
/// place rather than in a list of its own (a province's report holds two `Facts` a lead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Causes([Option<Cause>; CAUSES]);

const CAUSES: usize = Cause::ALL.len();

impl Default for Causes {
    fn default() -> Causes {
        Causes([None; CAUSES])
    }
}

impl Causes {
    /// Adds a cause found after those held (if not held yet).
    fn push(&mut self, cause: Cause) {
        if self.0.contains(&Some(cause)) {
            return;
        }
        if let Some(free) = self.0.iter_mut().find(|c| c.is_none()) {
            *free = Some(cause);
        }
    }

    /// Puts a cause found before those held first.
    fn put_first(&mut self, cause: Cause) {
        let mut out = [None; CAUSES];
        out[0] = Some(cause);
        let others = self.0.iter().flatten().filter(|c| **c != cause);
        for (slot, c) in out.iter_mut().skip(1).zip(others) {
            *slot = Some(*c);
        }
        self.0 = out;
    }

    fn list(&self) -> Vec<Cause> {
        self.0.iter().flatten().copied().collect()
    }
}

impl Facts {
    /// How many distinct evidence items the visits hold.
    pub fn evidence(&self) -> usize {
        self.evidence.len()
    }

    /// The causes the visits named, in the order first found.
    pub fn causes(&self) -> Vec<Cause> {
        self.causes.list()
    }

    /// Takes in a visit later than every one folded so far.
    pub fn fold(&mut self, visit: VisitFacts<'_>) {
        self.visits += 1;
        self.add_evidence(&visit);
        self.finding = visit.finding;
        self.next = visit.next;
        if visit.paid_yuan.is_some() {
            self.paid_yuan = visit.paid_yuan;
        }
        if let Some(cause) = visit.cause {
            self.causes.push(cause);
        }
    }

    /// Takes in a visit earlier than every one folded so far.
    pub fn fold_earlier(&mut self, visit: VisitFacts<'_>) {
        if self.visits == 0 {
            self.finding = visit.finding;
            self.next.clone_from(&visit.next);
        }
        self.visits += 1;
        if self.paid_yuan.is_none() {
            self.paid_yuan = visit.paid_yuan;
        }
        self.add_evidence(&visit);
        // Found first here now: to the front.
        if let Some(cause) = visit.cause {
            self.causes.put_first(cause);
        }
    }

    /// Takes in `later`, folded from visits later than every one folded here.
    pub fn merge(&mut self, later: Facts) {
        if later.visits == 0 {
            return;
        }
        self.visits += later.visits;
        self.finding = later.finding;
        self.next = later.next;
        self.paid_yuan = later.paid_yuan.or(self.paid_yuan);
        for item in later.evidence {
            if !self.evidence.contains(&item) {
                self.evidence.push(item);
            }
        }
        for cause in later.causes.list() {
            self.causes.push(cause);
        }
    }

    fn add_evidence(&mut self, visit: &VisitFacts<'_>) {
        for e in &visit.evidence {
            let item = item_hash(e.kind, &e.reference);
            if !self.evidence.contains(&item) {
                self.evidence.push(item);
            }
        }
    }
}

/// An evidence item's hash (SipHash with fixed keys: the same in every run).
fn item_hash(kind: EvidenceKind, reference: &str) -> u64 {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    kind.hash(&mut h);
    reference.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use proptest::prelude::*;

    use super::*;
    use crate::model::visit_summary::EvidenceFacts;

    /// A visit of few enough values that folds repeat and overtake them.
    fn visit() -> impl Strategy<Value = VisitFacts<'static>> {
        (
            prop::option::of(0..3usize),
            prop::option::of(1..4i64),
            prop::collection::vec(0..4usize, 0..3),
            prop::option::of(0..Cause::ALL.len()),
            prop::option::of(0..3u8),
        )
            .prop_map(|(finding, paid, evidence, cause, next)| VisitFacts {
                lead: Cow::Borrowed("l"),
                finding: finding.map(|f| Finding::ALL[f]),
                paid_yuan: paid,
                evidence: evidence
                    .into_iter()
                    .map(|e| EvidenceFacts {
                        kind: EvidenceKind::ALL[e % 2],
                        reference: Cow::Owned(format!("r{}", e / 2)),
                    })
                    .collect(),
                cause: cause.map(|c| Cause::ALL[c]),
                next: next.map(|n| NextAction {
                    text: format!("n{n}"),
                    due: None,
                }),
                supersedes: None,
            })
    }

    proptest! {
        #[test]
        fn folding_from_both_ends_is_folding_in_order(
            visits in prop::collection::vec(visit(), 0..8),
            split in 0..9usize,
        ) {
            let split = split.min(visits.len());
            let mut in_order = Facts::default();
            for v in visits.clone() {
                in_order.fold(v);
            }
            let mut front = Facts::default();
            for v in visits[..split].iter().cloned() {
                front.fold(v);
            }
            let mut back = Facts::default();
            for v in visits[split..].iter().rev().cloned() {
                back.fold_earlier(v);
            }
            front.merge(back);
            // The evidence is counted, not listed: its order may differ.
            prop_assert_eq!(front.evidence(), in_order.evidence());
            front.evidence.clear();
            in_order.evidence.clear();
            prop_assert_eq!(front, in_order);
        }
    }
}

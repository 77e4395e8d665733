//! Keeping the best `limit` matches while streaming through every key: a bounded heap, so a
//! search over a million records holds only `limit` candidates and allocates only for them.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::model::{RecordKind, id_order};

/// A record that matched, best first when sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked {
    pub kind: RecordKind,
    pub id: String,
    pub score: i64,
}

/// Channels before leads on equal scores (the directory is shorter and answers "whom to call"),
/// then natural id order: the tie order.
pub(super) fn kind_rank(kind: RecordKind) -> u8 {
    match kind {
        RecordKind::Channel => 0,
        RecordKind::Lead => 1,
    }
}

/// Better matches order first: higher score, then channel before lead, then natural id order.
fn order(score: i64, kind: RecordKind, id: &str, other: &Ranked) -> Ordering {
    other
        .score
        .cmp(&score)
        .then(kind_rank(kind).cmp(&kind_rank(other.kind)))
        .then_with(|| id_order(id, &other.id))
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        order(self.score, self.kind, &self.id, other)
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Collects the best `limit` candidates offered to it.
pub struct Ranker {
    limit: usize,
    /// A max-heap under `Ord` above, so its top is the worst candidate kept.
    heap: BinaryHeap<Ranked>,
}

impl Ranker {
    pub fn new(limit: usize) -> Ranker {
        Ranker {
            limit,
            heap: BinaryHeap::with_capacity(limit.min(4096) + 1),
        }
    }

    pub fn offer(&mut self, kind: RecordKind, id: &str, score: i64) {
        if self.limit == 0 {
            return;
        }
        if self.heap.len() < self.limit {
            self.heap.push(Ranked {
                kind,
                id: id.to_string(),
                score,
            });
        } else if let Some(mut worst) = self.heap.peek_mut()
            && order(score, kind, id, &worst) == Ordering::Less
        {
            *worst = Ranked {
                kind,
                id: id.to_string(),
                score,
            };
        }
    }

    /// Once `limit` candidates are kept, the score a new one must exceed to get in if it comes
    /// after all of them in the tie order (a tie then loses): cheaper than `floor`, which
    /// compares ids.
    pub fn bar(&self) -> Option<i64> {
        if self.heap.len() < self.limit {
            return None;
        }
        self.heap.peek().map(|worst| worst.score)
    }

    /// Once `limit` candidates are kept: the score a record must exceed to be kept if offered
    /// now (the worst kept's, or one less if the record would win a tie with it).
    pub fn floor(&self, kind: RecordKind, id: &str) -> Option<i64> {
        if self.heap.len() < self.limit {
            return None;
        }
        let worst = self.heap.peek()?;
        Some(match order(worst.score, kind, id, worst) {
            Ordering::Less => worst.score - 1,
            _ => worst.score,
        })
    }

    /// Offers every candidate another ranker kept.
    pub fn absorb(&mut self, other: Ranker) {
        for r in other.heap {
            self.offer(r.kind, &r.id, r.score);
        }
    }

    /// The kept candidates, best first.
    pub fn finish(self) -> Vec<Ranked> {
        self.heap.into_sorted_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_best_in_order_with_natural_id_ties() {
        let mut r = Ranker::new(3);
        for (id, score) in [
            ("n/a/10", 5),
            ("n/a/2", 5),
            ("n/a/1", 1),
            ("n/a/3", 9),
            ("n/a/9", 5),
        ] {
            r.offer(RecordKind::Lead, id, score);
        }
        r.offer(RecordKind::Channel, "n/b/7", 5);
        let ids: Vec<(String, i64)> = r.finish().into_iter().map(|c| (c.id, c.score)).collect();
        assert_eq!(
            ids,
            [
                ("n/a/3".to_string(), 9),
                ("n/b/7".to_string(), 5),
                ("n/a/2".to_string(), 5)
            ]
        );
    }

    #[test]
    fn a_limit_of_zero_keeps_nothing() {
        let mut r = Ranker::new(0);
        r.offer(RecordKind::Lead, "x", 1);
        assert!(r.finish().is_empty());
    }
}

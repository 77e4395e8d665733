//! The terminal app's live search: every stored key in memory, ranked on every keystroke.
//!
//! Three things keep a keystroke cheap without changing what it finds (tests below: the same
//! hits in the same order as scoring every key):
//! - **Narrowing**: when the query only grew (each term extended, or terms added), the records
//!   that can match are among those that passed the in-order prefilter last time, so only those
//!   are looked at again.
//! - **A bound before scoring**: the keys are held in the ranking's tie order, so once the best
//!   `limit` are kept, a record whose best possible score (`bound.rs`) cannot beat the worst kept
//!   is skipped unscored. The bound is tight where the best matches are (a term typed at the
//!   start of a name), which is what makes the first keystrokes, matching nearly everything,
//!   cheap.
//! - **Both cores**: the records are split into one contiguous run per core, each ranked on its
//!   own, and the runs' best merged.

use std::thread;

use super::rank::kind_rank;
use super::{Prefilter, Query, Ranked, Ranker, Scope, could_exceed, score_segments};
use crate::error::Result;
use crate::model::RecordKind;
use crate::store::Store;

/// Below this many records one thread is quicker than starting another.
const PARALLEL_FROM: usize = 20_000;

/// At most this many threads score one keystroke.
const MAX_THREADS: usize = 4;

/// Every stored key held in memory, in the ranking's tie order.
pub struct Index {
    entries: Vec<Entry>,
    /// The records that passed the prefilter for the last query, for narrowing.
    last: Option<Narrowed>,
    /// From how many records a keystroke is scored on more than one thread.
    parallel_from: usize,
}

struct Entry {
    kind: RecordKind,
    id: String,
    key: String,
}

struct Narrowed {
    query: Query,
    scope: Scope,
    /// Positions in `entries`, ascending.
    candidates: Vec<u32>,
}

impl Index {
    /// Reads the stored keys (no pinyin is computed here).
    pub fn load(store: &Store) -> Result<Index> {
        let mut entries = Vec::new();
        for kind in [RecordKind::Channel, RecordKind::Lead] {
            store.scan_search_keys(kind, |id, key| {
                entries.push(Entry {
                    kind,
                    id: id.to_string(),
                    key: String::from_utf8_lossy(key).into_owned(),
                })
            })?;
        }
        Ok(Index::new(entries))
    }

    fn new(mut entries: Vec<Entry>) -> Index {
        // The tie order: each id taken apart once (a comparator splitting both ids at each of
        // the twenty million comparisons of a million keys took seconds), then by kind, stably.
        crate::model::sort_by_id(&mut entries, |e| &e.id);
        entries.sort_by_key(|e| kind_rank(e.kind));
        Index {
            entries,
            last: None,
            parallel_from: PARALLEL_FROM,
        }
    }

    /// How many keys it holds.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Does it hold no keys?
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The best `limit` matches, best first.
    pub fn rank(&mut self, query: &Query, scope: Scope, limit: usize) -> Vec<Ranked> {
        if query.is_empty() {
            return Vec::new();
        }
        let all: Vec<u32>;
        let candidates: &[u32] = match &self.last {
            Some(last) if last.scope == scope && query.narrows(&last.query) => &last.candidates,
            _ => {
                all = (0..self.entries.len())
                    .filter(|&i| scope.covers(self.entries[i].kind))
                    .filter_map(|i| u32::try_from(i).ok())
                    .collect();
                &all
            }
        };
        let threads = if candidates.len() < self.parallel_from {
            1
        } else {
            thread::available_parallelism()
                .map_or(1, usize::from)
                .clamp(1, MAX_THREADS)
        };
        let run = candidates.len().div_ceil(threads).max(1);
        let entries = &self.entries;
        let parts: Vec<(Ranker, Vec<u32>)> = thread::scope(|scope| {
            let workers: Vec<_> = candidates
                .chunks(run)
                .map(|part| scope.spawn(move || rank_run(entries, part, query, limit)))
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        let mut ranker = Ranker::new(limit);
        let mut passed = Vec::new();
        for (part, survivors) in parts {
            ranker.absorb(part);
            passed.extend(survivors);
        }
        self.last = Some(Narrowed {
            query: query.clone(),
            scope,
            candidates: passed,
        });
        ranker.finish()
    }
}

/// Ranks one contiguous run of records (in tie order); returns its best and which of them
/// passed the prefilter.
fn rank_run(entries: &[Entry], run: &[u32], query: &Query, limit: usize) -> (Ranker, Vec<u32>) {
    let bound = query.bound();
    let prefilter = Prefilter::new(query);
    let mut ranker = Ranker::new(limit);
    let mut passed = Vec::new();
    for &i in run {
        let Some(e) = entries.get(i as usize) else {
            continue;
        };
        if !prefilter.passes(e.key.as_bytes()) {
            continue;
        }
        passed.push(i);
        // A record that could not be kept even at its best is not scored: first the query's
        // bound, then (a pass over the key, no scoring) this record's. Everything kept came
        // earlier in tie order, so a record that can at best tie loses.
        if let Some(bar) = ranker.bar()
            && (bound <= bar || !could_exceed(e.kind, &e.key, query, bar))
        {
            continue;
        }
        if let Some(score) = score_segments(e.kind, &e.key, query) {
            ranker.offer(e.kind, &e.id, score);
        }
    }
    (ranker, passed)
}

impl Query {
    /// Was `self` typed by extending `earlier` (each of its terms grown at the end, maybe more
    /// terms after them)? Then whatever passes the prefilter for `self` passed it for `earlier`.
    fn narrows(&self, earlier: &Query) -> bool {
        self.terms.len() >= earlier.terms.len()
            && earlier
                .terms
                .iter()
                .zip(&self.terms)
                .all(|(old, new)| new.text.starts_with(&old.text))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::model::Lead;
    use crate::search::in_order;
    use crate::search::key::lead_key;

    /// What the fast paths must agree with: every key scored, all sorted, the first `limit`.
    fn reference(index: &Index, query: &Query, scope: Scope, limit: usize) -> Vec<Ranked> {
        let mut ranker = Ranker::new(usize::MAX);
        for e in index.entries.iter().filter(|e| scope.covers(e.kind)) {
            let passes = query.terms.iter().all(|t| in_order(&e.key, &t.text));
            if let Some(score) = passes
                .then(|| score_segments(e.kind, &e.key, query))
                .flatten()
            {
                ranker.offer(e.kind, &e.id, score);
            }
        }
        let mut all = ranker.finish();
        all.truncate(limit);
        all
    }

    fn lead(i: usize, creditor: String, debtor: String, amount: i64) -> Lead {
        Lead {
            id: format!("t/a3/{i}"),
            seq: 1,
            creditor,
            debtor: Some(debtor),
            district: "北碚区".into(),
            amount_yuan: Some(amount),
            matter: "拖欠货款".into(),
            deadline: None,
            status: crate::model::Status::New,
            supervised: false,
            confidential: false,
            notice: "t".into(),
            assignee: None,
            kind: crate::model::LeadKind::default(),
            attention: false,
            contact: None,
            phone: None,
        }
    }

    /// Few characters, so names share them, ties are common and prefixes overlap.
    fn name() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[重庆北碚区长寿朋昆a-d 0-9]{1,8}").expect("regex")
    }

    /// A query word, repeated characters included (`beibei`).
    fn word() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[重庆北碚区abcd123]{1,4}").expect("regex")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn fast_ranking_equals_scoring_every_key(
            rows in proptest::collection::vec((name(), name(), 0i64..2_000_000), 1..300),
            typed in proptest::collection::vec(word(), 1..3),
            erased in 1usize..6,
            retyped in word(),
            limit in 1usize..20,
            parallel in any::<bool>(),
        ) {
            let entries = rows
                .into_iter()
                .enumerate()
                .map(|(i, (c, d, p))| {
                    let l = lead(i, c, d, p);
                    Entry { kind: RecordKind::Lead, id: l.id.clone(), key: lead_key(&l) }
                })
                .collect();
            let mut index = Index::new(entries);
            if parallel {
                // Even a few records are split across threads.
                index.parallel_from = 2;
            }
            // Type the query one character at a time, as the app does (every step narrows), then
            // erase some of it and type something else (steps that must not narrow).
            let text = typed.join(" ");
            let mut steps: Vec<String> = Vec::new();
            let mut sofar = String::new();
            for c in text.chars() {
                sofar.push(c);
                steps.push(sofar.clone());
            }
            for _ in 0..erased {
                sofar.pop();
                steps.push(sofar.clone());
            }
            for c in retyped.chars() {
                sofar.push(c);
                steps.push(sofar.clone());
            }
            for step in steps {
                let query = Query::new(&step);
                if query.is_empty() {
                    prop_assert!(index.rank(&query, Scope::Leads, limit).is_empty());
                    continue;
                }
                let fast = index.rank(&query, Scope::Leads, limit);
                prop_assert_eq!(fast, reference(&index, &query, Scope::Leads, limit), "{}", step);
            }
        }
    }
}

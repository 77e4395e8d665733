//! Per device, what of its log the store holds: the highest idx and the ranges below it not held
//! (`device_logs_v1`), kept as changes enter and leave the log, so that `sync status` and an
//! import's gaps cost the number of devices, not the size of the log. `verify` checks it against
//! the log's keys.

use redb::{ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::records::{decode, encode};
use super::sync::{DeviceSeen, Gap};
use super::{db_err, tables};
use crate::error::Result;

/// What of one device's log is held: every idx from 1 to `highest` but those in `gaps`
/// (inclusive ranges, ascending, apart from each other).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogSpan {
    pub highest: u64,
    pub gaps: Vec<(u64, u64)>,
}

impl LogSpan {
    /// From the indices held, ascending.
    pub fn of(idxs: impl IntoIterator<Item = u64>) -> LogSpan {
        let mut span = LogSpan::default();
        for idx in idxs {
            span.add(idx);
        }
        span
    }

    pub fn holds(&self, idx: u64) -> bool {
        idx >= 1 && idx <= self.highest && !self.gaps.iter().any(|(a, b)| *a <= idx && idx <= *b)
    }

    /// Notes `idx` held (a no-op if it was).
    pub fn add(&mut self, idx: u64) {
        if idx == 0 || self.holds(idx) {
            return;
        }
        if idx > self.highest {
            if idx > self.highest + 1 {
                self.gaps.push((self.highest + 1, idx - 1));
            }
            self.highest = idx;
            return;
        }
        let Some(at) = self.gaps.iter().position(|(a, b)| *a <= idx && idx <= *b) else {
            return;
        };
        let (a, b) = self.gaps[at];
        match (idx == a, idx == b) {
            (true, true) => {
                self.gaps.remove(at);
            }
            (true, false) => self.gaps[at].0 = idx + 1,
            (false, true) => self.gaps[at].1 = idx - 1,
            (false, false) => {
                self.gaps[at].1 = idx - 1;
                self.gaps.insert(at + 1, (idx + 1, b));
            }
        }
    }

    /// Notes `idx` no longer held (a no-op if it was not).
    pub fn remove(&mut self, idx: u64) {
        if !self.holds(idx) {
            return;
        }
        if idx == self.highest {
            // The new highest is the nearest held below: below a gap that ends here, its start.
            self.highest = idx - 1;
            if let Some(&(a, b)) = self.gaps.last()
                && b == self.highest
            {
                self.gaps.pop();
                self.highest = a - 1;
            }
            return;
        }
        let at = self.gaps.partition_point(|(_, b)| *b < idx);
        let joins_before = at > 0 && self.gaps[at - 1].1 + 1 == idx;
        let joins_after = at < self.gaps.len() && self.gaps[at].0 == idx + 1;
        match (joins_before, joins_after) {
            (true, true) => {
                self.gaps[at - 1].1 = self.gaps[at].1;
                self.gaps.remove(at);
            }
            (true, false) => self.gaps[at - 1].1 = idx,
            (false, true) => self.gaps[at].0 = idx,
            (false, false) => self.gaps.insert(at, (idx, idx)),
        }
    }

    pub fn seen(&self, device: &str) -> DeviceSeen {
        DeviceSeen {
            device: device.to_string(),
            highest: self.highest,
            gaps: self
                .gaps
                .iter()
                .map(|(from, to)| Gap {
                    device: device.to_string(),
                    from: *from,
                    to: *to,
                })
                .collect(),
        }
    }
}

fn read<T: ReadableTable<&'static str, &'static str>>(table: &T, device: &str) -> Result<LogSpan> {
    let value = table.get(device).map_err(db_err)?;
    value.map_or(Ok(LogSpan::default()), |v| decode(device, v.value()))
}

/// Changes `device`'s span by `edit` (a span left empty is not kept).
fn edit(tx: &WriteTransaction, device: &str, edit: impl FnOnce(&mut LogSpan)) -> Result<()> {
    let mut table = tx.open_table(tables::DEVICE_LOGS).map_err(db_err)?;
    let mut span = read(&table, device)?;
    let before = span.clone();
    edit(&mut span);
    if span == before {
        return Ok(());
    }
    if span.highest == 0 {
        table.remove(device).map_err(db_err)?;
    } else {
        table
            .insert(device, encode(&span)?.as_str())
            .map_err(db_err)?;
    }
    Ok(())
}

/// Notes a change stored in the log.
pub(super) fn stored(tx: &WriteTransaction, device: &str, idx: u64) -> Result<()> {
    edit(tx, device, |span| span.add(idx))
}

/// Notes a change taken out of the log.
pub(super) fn removed(tx: &WriteTransaction, device: &str, idx: u64) -> Result<()> {
    edit(tx, device, |span| span.remove(idx))
}

/// Every device's span, by device id.
pub(super) fn all<T: ReadableTable<&'static str, &'static str>>(
    table: &T,
) -> Result<Vec<(String, LogSpan)>> {
    let mut out = Vec::new();
    for entry in table.iter().map_err(db_err)? {
        let (k, v) = entry.map_err(db_err)?;
        out.push((k.value().to_string(), decode(k.value(), v.value())?));
    }
    Ok(out)
}

/// One device's span.
pub(super) fn of<T: ReadableTable<&'static str, &'static str>>(
    table: &T,
    device: &str,
) -> Result<LogSpan> {
    read(table, device)
}

/// Every device's span as the log's keys make it (the migration that adds the table, and
/// `verify`'s check of it).
pub(super) fn from_log<T: ReadableTable<(&'static str, u64), &'static str>>(
    changes: &T,
) -> Result<Vec<(String, LogSpan)>> {
    let mut out: Vec<(String, LogSpan)> = Vec::new();
    for entry in changes.iter().map_err(db_err)? {
        let (k, _) = entry.map_err(db_err)?;
        let (device, idx) = k.value();
        match out.last_mut() {
            Some((d, span)) if d == device => span.add(idx),
            _ => out.push((device.to_string(), LogSpan::of([idx]))),
        }
    }
    Ok(out)
}

/// Fills `device_logs_v1` from the log (migration 8).
pub(super) fn fill(tx: &WriteTransaction) -> Result<()> {
    let spans = from_log(&tx.open_table(tables::CHANGES).map_err(db_err)?)?;
    let mut table = tx.open_table(tables::DEVICE_LOGS).map_err(db_err)?;
    for (device, span) in spans {
        table
            .insert(device.as_str(), encode(&span)?.as_str())
            .map_err(db_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    /// The span of a set of indices, computed the slow way.
    fn model(held: &BTreeSet<u64>) -> LogSpan {
        let highest = held.last().copied().unwrap_or(0);
        let mut gaps: Vec<(u64, u64)> = Vec::new();
        for i in (1..=highest).filter(|i| !held.contains(i)) {
            match gaps.last_mut() {
                Some((_, b)) if *b + 1 == i => *b = i,
                _ => gaps.push((i, i)),
            }
        }
        LogSpan { highest, gaps }
    }

    #[test]
    fn gaps_are_the_ranges_below_the_highest_not_held() {
        let span = LogSpan::of([1, 2, 5, 9]);
        assert_eq!(span.highest, 9);
        assert_eq!(span.gaps, vec![(3, 4), (6, 8)]);
        let mut span = span;
        span.add(7);
        assert_eq!(span.gaps, vec![(3, 4), (6, 6), (8, 8)]);
        span.remove(9);
        assert_eq!((span.highest, span.gaps.clone()), (7, vec![(3, 4), (6, 6)]));
        span.remove(7);
        assert_eq!((span.highest, span.gaps.clone()), (5, vec![(3, 4)]));
        span.remove(5);
        assert_eq!((span.highest, span.gaps), (2, vec![]));
    }

    proptest! {
        /// Any sequence of adds and removes leaves the span the held set makes.
        #[test]
        fn edits_keep_the_span_of_what_is_held(
            edits in proptest::collection::vec((any::<bool>(), 1u64..40), 0..120)
        ) {
            let mut held = BTreeSet::new();
            let mut span = LogSpan::default();
            for (add, idx) in edits {
                if add {
                    held.insert(idx);
                    span.add(idx);
                } else {
                    held.remove(&idx);
                    span.remove(idx);
                }
                prop_assert_eq!(&span, &model(&held));
                for i in 1..42 {
                    prop_assert_eq!(span.holds(i), held.contains(&i));
                }
            }
        }
    }
}

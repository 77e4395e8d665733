//! `verify`'s replay of the log, one entity at a time and without writing anything.
//!
//! Replaying the whole log into a second store (as `verify` once did) spent its time writing that
//! store: at 1M leads, 5.6M changes took 817 s, most of it B-tree inserts. But what a change does
//! depends only on its own entity and on the log as it stood when it was applied: a visit or a
//! row is its first carrier in the replay order (clock, device, idx), a register merges its
//! changes in that order, asking the log which changes descend from which. So the log is read
//! once for each change's entity and place in the replay order (`LogIndex`, 40 bytes a change),
//! and each entity is rebuilt from its own changes when its stored row is compared, its
//! registers merged by the same `merge_register` that imports use, against the log restricted to
//! what came before in the replay order (`Earlier`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use redb::{ReadOnlyTable, ReadableTable, ReadableTableMetadata};

use super::log_spans::LogSpan;
use super::merge::{Head, Log, merge_register, replay_key};
use super::records::decode;
use super::rows::Row;
use super::{db_err, tables};
use crate::error::{Error, Result};
use crate::model::Visit;
use crate::progress::Meter;
use crate::sync::{Change, Hlc, is_register};

type Changes = ReadOnlyTable<(&'static str, u64), &'static str>;
type Ids = ReadOnlyTable<&'static str, (&'static str, u64)>;

/// A change's entity (hashed) and its place in the replay order; sorted, an entity's changes lie
/// together in that order. Devices are numbered in id order, so the numbers sort as the ids.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Slot {
    entity: u64,
    clock: Hlc,
    device: u32,
    idx: u64,
}

/// What a change's first reading needs: its entity and clock.
#[derive(serde::Deserialize)]
struct Place<'a> {
    #[serde(borrow)]
    entity: Cow<'a, str>,
    clock: Hlc,
}

/// A change of the log, read (its key named only when it cannot be).
fn read<'a, T: serde::Deserialize<'a>>(device: &str, idx: u64, json: &'a str) -> Result<T> {
    super::records::count_decoded();
    serde_json::from_str(json).map_err(|e| Error::Store {
        detail: format!("record {device}/{idx} cannot be read: {e}"),
    })
}

fn hash(entity: &str) -> u64 {
    let mut h = DefaultHasher::new();
    entity.hash(&mut h);
    h.finish()
}

/// What one entity's changes rebuild: the row its first carrier in the replay order brings (a
/// visit, or a `created` change's lead, channel or notice) and each register's heads.
#[derive(Default)]
pub(super) struct Rebuilt {
    pub first: Option<Carried>,
    pub registers: BTreeMap<String, Vec<Head>>,
}

/// A row a change carries.
pub(super) enum Carried {
    Visit(Visit),
    Row(Row),
}

/// The log, read for replay: every change's entity and place, each device's span.
pub(super) struct Replay {
    changes: Changes,
    ids: Ids,
    devices: Vec<String>,
    slots: Vec<Slot>,
    /// Each slot's entity hash, apart: the binary search over them stays in the cache.
    hashes: Vec<u64>,
    /// The slots whose entity has been rebuilt (two threads compare at once).
    done: Vec<AtomicBool>,
    spans: BTreeMap<String, LogSpan>,
    meter: Mutex<Meter>,
}

impl Replay {
    /// Reads the log once: `reading` counts the changes read, `meter` then the changes replayed.
    pub(super) fn read(
        tx: &redb::ReadTransaction,
        mut reading: Meter,
        meter: Meter,
    ) -> Result<Replay> {
        let changes = tx.open_table(tables::CHANGES).map_err(db_err)?;
        let ids = tx.open_table(tables::CHANGE_IDS).map_err(db_err)?;
        let mut devices: Vec<String> = Vec::new();
        let mut slots = Vec::with_capacity(changes.len().map_err(db_err)? as usize);
        let mut spans: BTreeMap<String, LogSpan> = BTreeMap::new();
        for entry in changes.iter().map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            let (device, idx) = k.value();
            let place: Place = read(device, idx, v.value())?;
            if devices.last().is_none_or(|d| d != device) {
                devices.push(device.to_string());
            }
            spans.entry(device.to_string()).or_default().add(idx);
            slots.push(Slot {
                entity: hash(&place.entity),
                clock: place.clock,
                device: u32::try_from(devices.len() - 1).unwrap_or(u32::MAX),
                idx,
            });
            reading.add(1);
        }
        slots.sort_unstable();
        let hashes = slots.iter().map(|s| s.entity).collect();
        let done = slots.iter().map(|_| AtomicBool::new(false)).collect();
        Ok(Replay {
            changes,
            ids,
            devices,
            slots,
            hashes,
            done,
            spans,
            meter: Mutex::new(meter),
        })
    }

    /// Each device's span of the log held, as the log's keys say.
    pub(super) fn spans(&self) -> &BTreeMap<String, LogSpan> {
        &self.spans
    }

    /// The slots of the entity hashed `h` (and of any other entity hashed alike).
    fn run(&self, h: u64) -> std::ops::Range<usize> {
        let start = self.hashes.partition_point(|e| *e < h);
        let len = self.hashes[start..].iter().take_while(|e| **e == h).count();
        start..start + len
    }

    fn load(&self, at: usize) -> Result<Change> {
        let slot = self.slots[at];
        let device = self.devices[slot.device as usize].as_str();
        let row = self
            .changes
            .get((device, slot.idx))
            .map_err(db_err)?
            .ok_or_else(|| Error::Store {
                detail: format!(
                    "change {device}/{} left the log while it was read",
                    slot.idx
                ),
            })?;
        read(device, slot.idx, row.value())
    }

    /// Does the log hold changes of `entity`?
    pub(super) fn holds(&self, entity: &str) -> bool {
        !self.run(hash(entity)).is_empty()
    }

    /// What `entity`'s changes rebuild, as a replay of the whole log would have.
    pub(super) fn entity(&self, entity: &str) -> Result<Rebuilt> {
        let mut mine = Vec::new();
        for at in self.run(hash(entity)) {
            let change = self.load(at)?;
            if change.entity == entity {
                self.done[at].store(true, Ordering::Relaxed);
                mine.push(change);
            }
        }
        if let Ok(mut meter) = self.meter.lock() {
            meter.add(mine.len() as u64);
        }
        self.rebuild(mine)
    }

    /// Every entity of the log not rebuilt yet (those without a stored row), each rebuilt once.
    pub(super) fn rest(&self, mut each: impl FnMut(String, Rebuilt) -> Result<()>) -> Result<()> {
        for at in 0..self.slots.len() {
            if self.done[at].load(Ordering::Relaxed) {
                continue;
            }
            let entity = self.load(at)?.entity;
            let rebuilt = self.entity(&entity)?;
            each(entity, rebuilt)?;
        }
        Ok(())
    }

    /// Applies one entity's changes, in the replay order, as `merge::apply` does.
    fn rebuild(&self, changes: Vec<Change>) -> Result<Rebuilt> {
        let mut out = Rebuilt::default();
        let mut registers: BTreeMap<String, Vec<Change>> = BTreeMap::new();
        for change in changes {
            let kind = change.entity.split_once(':').map_or("", |(kind, _)| kind);
            let bad = |what: &str| Error::Store {
                detail: format!("change {} has {what}", change.id),
            };
            let carried = match (kind, change.field.as_str()) {
                ("visit", "visit") => Carried::Visit(
                    serde_json::from_value(change.value.clone())
                        .map_err(|_| bad("an unreadable visit"))?,
                ),
                ("lead" | "channel" | "notice", "created") => match Row::read(&change)? {
                    Some(row) => Carried::Row(row),
                    None => continue,
                },
                ("lead", field) if is_register(field) => {
                    registers.entry(field.to_string()).or_default().push(change);
                    continue;
                }
                _ => {
                    return Err(bad(&format!(
                        "an unknown entity or field ({} {})",
                        change.entity, change.field
                    )));
                }
            };
            if out.first.is_none() {
                out.first = Some(carried);
            }
        }
        for (field, changes) in registers {
            let mut heads = Vec::new();
            for change in &changes {
                let earlier = Earlier {
                    replay: self,
                    limit: replay_key(change),
                };
                heads = merge_register(&earlier, heads, change)?;
            }
            out.registers.insert(field, heads);
        }
        Ok(out)
    }
}

/// The log as it stood when the change at `limit` was replayed: the changes up to it in the
/// replay order.
struct Earlier<'r> {
    replay: &'r Replay,
    limit: (Hlc, &'r str, u64),
}

impl Log for Earlier<'_> {
    fn held(&self, id: &str) -> Result<Option<Change>> {
        let Some(at) = self.replay.ids.get(id).map_err(db_err)? else {
            return Ok(None);
        };
        let (device, idx) = at.value();
        let Some(row) = self.replay.changes.get((device, idx)).map_err(db_err)? else {
            return Ok(None);
        };
        let change: Change = decode(id, row.value())?;
        Ok((replay_key(&change) <= self.limit).then_some(change))
    }

    fn held_before(&self, device: &str, idx: u64) -> Result<Option<String>> {
        let range = self
            .replay
            .changes
            .range((device, 0)..(device, idx))
            .map_err(db_err)?;
        for entry in range.rev() {
            let (k, v) = entry.map_err(db_err)?;
            let change: Change = read(device, k.value().1, v.value())?;
            if replay_key(&change) <= self.limit {
                return Ok(Some(change.id));
            }
        }
        Ok(None)
    }
}

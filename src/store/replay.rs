//! `verify`'s replay of the log, one entity at a time and without writing anything.
//!
//! Replaying the whole log into a second store (as `verify` once did) spent its time writing that
//! store: at 1M leads, 5.6M changes took 817 s, most of it B-tree inserts. But what a change does
//! depends only on its own entity and on the log as it stood when it was applied: a visit or a
//! row is its first carrier in the replay order (clock, device, idx), a register merges its
//! changes in that order, asking the log which changes descend from which. So the log is read
//! once for each change's entity and place in the replay order (about 50 bytes a change),
//! and each entity is rebuilt from its own changes when its stored row is compared, its
//! registers merged by the same `merge_register` that imports use, against the log restricted to
//! what came before in the replay order (`Earlier`).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use redb::ReadOnlyTable;

use super::ancestry::{Ancestry, Log};
use super::heads::Head;
use super::log_spans::LogSpan;
use super::merge::{merge_register, replay_key};
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

/// A change read for its entity's rebuild: the row it carries, or (a register's) all of it.
enum Loaded {
    Carried(Carried),
    Register(Change),
}

/// A change as its row holds it, its text borrowed and its value left unparsed: read as strictly
/// as `Change` (a row `Change` cannot read is an error here too), made a `Change` only where the
/// merge needs one.
#[derive(serde::Deserialize)]
struct Raw<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    device: Cow<'a, str>,
    idx: u64,
    #[serde(borrow)]
    author: Cow<'a, str>,
    clock: Hlc,
    #[serde(borrow)]
    entity: Cow<'a, str>,
    #[serde(borrow)]
    field: Cow<'a, str>,
    #[serde(borrow)]
    value: &'a serde_json::value::RawValue,
    #[serde(default)]
    base: Option<String>,
    #[serde(default)]
    merges: Vec<String>,
    #[serde(default)]
    prev: Option<String>,
    #[serde(default, borrow)]
    sig: Cow<'a, str>,
}

impl Raw<'_> {
    fn owned(self) -> Result<Change> {
        let value = serde_json::from_str(self.value.get()).map_err(|e| Error::Store {
            detail: format!("change {} cannot be read: {e}", self.id),
        })?;
        Ok(Change {
            id: self.id.into_owned(),
            device: self.device.into_owned(),
            idx: self.idx,
            author: self.author.into_owned(),
            clock: self.clock,
            entity: self.entity.into_owned(),
            field: self.field.into_owned(),
            value,
            base: self.base,
            merges: self.merges,
            prev: self.prev,
            sig: self.sig.into_owned(),
        })
    }
}

/// A change's id and clock (a device's earlier change, looked for by the merge).
#[derive(serde::Deserialize)]
struct Stamp {
    id: String,
    clock: Hlc,
}

/// What a change's first reading needs: its entity and clock, and where it says it belongs (and
/// its id, for finding its place in the replay order by id).
#[derive(serde::Deserialize)]
struct Place<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    entity: Cow<'a, str>,
    clock: Hlc,
    #[serde(borrow)]
    device: Cow<'a, str>,
    idx: u64,
}

/// What one thread's reading of part of the log found: its devices in key order, each change's
/// slot (devices numbered in this part), each device's span.
#[derive(Default)]
struct Part {
    devices: Vec<String>,
    slots: Vec<Slot>,
    spans: BTreeMap<String, LogSpan>,
    /// Changes stored under another device's or idx's key than their own.
    misplaced: Vec<Misplaced>,
    /// Devices whose clock does not rise with their idx.
    wayward: BTreeSet<String>,
}

/// A change stored under a key that is not its own: the key, and where the change says it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(super) struct Misplaced {
    pub key: (String, u64),
    pub says: (String, u64),
}

fn read_part<'k>(
    changes: &Changes,
    range: impl std::ops::RangeBounds<(&'k str, u64)>,
    reading: &Mutex<Meter>,
) -> Result<Part> {
    let mut part = Part::default();
    let mut span = LogSpan::default();
    let mut counted = 0;
    for entry in changes.range(range).map_err(db_err)? {
        let (k, v) = entry.map_err(db_err)?;
        let (device, idx) = k.value();
        let place: Place = read(device, idx, v.value())?;
        if place.device != device || place.idx != idx {
            part.misplaced.push(Misplaced {
                key: (device.to_string(), idx),
                says: (place.device.to_string(), place.idx),
            });
        }
        if part.devices.last().is_none_or(|d| d != device) {
            if let Some(last) = part.devices.last() {
                part.spans.insert(last.clone(), std::mem::take(&mut span));
            }
            part.devices.push(device.to_string());
        } else if part.slots.last().is_some_and(|s| s.clock >= place.clock) {
            part.wayward.insert(device.to_string());
        }
        span.add(idx);
        part.slots.push(Slot {
            entity: hash(&place.entity),
            clock: place.clock,
            device: u32::try_from(part.devices.len() - 1).unwrap_or(u32::MAX),
            idx,
        });
        counted += 1;
        if counted == 4096 {
            if let Ok(mut meter) = reading.lock() {
                meter.add(counted);
            }
            counted = 0;
        }
    }
    if let Some(last) = part.devices.last() {
        part.spans.insert(last.clone(), span);
    }
    if let Ok(mut meter) = reading.lock() {
        meter.add(counted);
    }
    Ok(part)
}

/// The device at which the log's first half (by the devices' summaries) ends, if any.
fn middle_device(tx: &redb::ReadTransaction) -> Result<Option<String>> {
    let table = tx.open_table(tables::DEVICE_LOGS).map_err(db_err)?;
    let spans = super::log_spans::all(&table)?;
    let total: u64 = spans.iter().map(|(_, s)| s.highest).sum();
    let mut seen = 0;
    for (device, span) in spans {
        if seen >= total / 2 && seen > 0 {
            return Ok(Some(device));
        }
        seen += span.highest;
    }
    Ok(None)
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
    /// Each slot's entity hash, apart: the binary search over them stays in the cache longer.
    hashes: Vec<u64>,
    /// The slots whose entity has been rebuilt (two threads compare at once).
    done: Vec<AtomicBool>,
    spans: BTreeMap<String, LogSpan>,
    misplaced: Vec<Misplaced>,
    /// Each wayward device's (idx, clock), in idx order.
    wayward: HashMap<String, Vec<(u64, Hlc)>>,
    /// The changes of wayward devices replayed after a later change of their device, by their
    /// place in the replay order.
    late: Vec<(Hlc, String, u64)>,
    meter: Mutex<Meter>,
}

impl Replay {
    /// Reads the log once: `reading` counts the changes read, `meter` then the changes replayed.
    pub(super) fn read(tx: &redb::ReadTransaction, reading: Meter, meter: Meter) -> Result<Replay> {
        let changes = tx.open_table(tables::CHANGES).map_err(db_err)?;
        let ids = tx.open_table(tables::CHANGE_IDS).map_err(db_err)?;
        // Read on two threads, split between two devices where the summaries of the devices'
        // logs say the log's middle is (a wrong summary only makes the halves uneven: every key
        // is read by one of them).
        let split = middle_device(tx)?;
        let reading = Mutex::new(reading);
        let (low, high) = std::thread::scope(|s| {
            let high = s.spawn(|| match &split {
                Some(d) => read_part(&changes, (d.as_str(), 0).., &reading),
                None => Ok(Part::default()),
            });
            let low = match &split {
                Some(d) => read_part(&changes, ..(d.as_str(), 0), &reading),
                None => read_part(&changes, .., &reading),
            };
            let high = high.join().unwrap_or_else(|_| {
                Err(Error::Store {
                    detail: "the reading of the log stopped".into(),
                })
            });
            (low, high)
        });
        let (mut all, high) = (low?, high?);
        // The high half's devices all sort after the low half's: numbered after them.
        let offset = u32::try_from(all.devices.len()).unwrap_or(u32::MAX);
        all.slots.extend(high.slots.into_iter().map(|s| Slot {
            device: s.device.saturating_add(offset),
            ..s
        }));
        all.devices.extend(high.devices);
        all.spans.extend(high.spans);
        all.misplaced.extend(high.misplaced);
        all.wayward.extend(high.wayward);
        // The clocks of wayward devices by idx: the merge asks for their earlier changes held
        // at a point of the replay, which on such a device are not simply the previous one.
        let mut wayward: HashMap<String, Vec<(u64, Hlc)>> = HashMap::new();
        for s in &all.slots {
            let device = &all.devices[s.device as usize];
            if all.wayward.contains(device) {
                wayward
                    .entry(device.clone())
                    .or_default()
                    .push((s.idx, s.clock));
            }
        }
        let late = late_changes(&wayward);
        let mut slots = all.slots;
        slots.sort_unstable();
        let hashes: Vec<u64> = slots.iter().map(|s| s.entity).collect();
        let done = slots.iter().map(|_| AtomicBool::new(false)).collect();
        Ok(Replay {
            changes,
            ids,
            devices: all.devices,
            slots,
            hashes,
            done,
            spans: all.spans,
            misplaced: all.misplaced,
            wayward,
            late,
            meter: Mutex::new(meter),
        })
    }

    /// The changes stored under a key not their own.
    pub(super) fn misplaced(&self) -> &[Misplaced] {
        &self.misplaced
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

    /// The change at `at`, read as what its entity's rebuild needs, if it is `entity`'s (`None`
    /// for another entity's change in the same run: their hashes collide).
    fn load(&self, at: usize, entity: Option<&str>) -> Result<Option<(String, Loaded)>> {
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
        let text = row.value();
        let peek: Raw = read(device, slot.idx, text)?;
        if entity.is_some_and(|e| e != peek.entity) {
            return Ok(None);
        }
        let kind = peek.entity.split_once(':').map_or("", |(kind, _)| kind);
        let bad = |what: &str| Error::Store {
            detail: format!("change {} has {what}", peek.id),
        };
        let loaded = match (kind, peek.field.as_ref()) {
            ("visit", "visit") => Loaded::Carried(Carried::Visit(
                serde_json::from_str(peek.value.get()).map_err(|_| bad("an unreadable visit"))?,
            )),
            ("lead" | "channel" | "notice", "created") => {
                Loaded::Carried(Carried::Row(Row::parse(&peek.id, kind, peek.value.get())?))
            }
            // A register's change takes part in the merge whole (its links, its device).
            ("lead", field) if is_register(field) => {
                let entity = peek.entity.to_string();
                return Ok(Some((entity, Loaded::Register(peek.owned()?))));
            }
            _ => {
                return Err(bad(&format!(
                    "an unknown entity or field ({} {})",
                    peek.entity, peek.field
                )));
            }
        };
        Ok(Some((peek.entity.into_owned(), loaded)))
    }

    /// Does the log hold changes of `entity`?
    pub(super) fn holds(&self, entity: &str) -> Result<bool> {
        for at in self.run(hash(entity)) {
            if self.load(at, Some(entity))?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// What `entity`'s changes rebuild, as a replay of the whole log would have.
    pub(super) fn entity(&self, entity: &str) -> Result<Rebuilt> {
        let mut mine = Vec::new();
        for at in self.run(hash(entity)) {
            if let Some((_, loaded)) = self.load(at, Some(entity))? {
                self.done[at].store(true, Ordering::Relaxed);
                mine.push(loaded);
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
            let Some((entity, _)) = self.load(at, None)? else {
                continue;
            };
            let rebuilt = self.entity(&entity)?;
            each(entity, rebuilt)?;
        }
        Ok(())
    }

    /// Applies one entity's changes, in the replay order, as `merge::apply` does: the first row
    /// carried stands, each register merges its changes.
    fn rebuild(&self, changes: Vec<Loaded>) -> Result<Rebuilt> {
        let mut out = Rebuilt::default();
        let mut registers: BTreeMap<String, Vec<Change>> = BTreeMap::new();
        for change in changes {
            match change {
                Loaded::Carried(carried) => {
                    if out.first.is_none() {
                        out.first = Some(carried);
                    }
                }
                Loaded::Register(change) => registers
                    .entry(change.field.clone())
                    .or_default()
                    .push(change),
            }
        }
        for (field, changes) in registers {
            let mut heads = Vec::new();
            let mut ancestry = Ancestry::default();
            let mut pending = BTreeMap::new();
            let mut since = None;
            for change in &changes {
                let limit = replay_key(change);
                if let Some(since) = since.filter(|_| ancestry.remembers()) {
                    self.arrivals(&mut ancestry, &mut pending, since, limit)?;
                }
                let earlier = Earlier {
                    replay: self,
                    limit,
                };
                heads = merge_register(&earlier, &mut ancestry, heads, change)?;
                for id in ancestry.newly_missing() {
                    if let Some(key) = self.key_of(&id)?.filter(|key| key_ref(key) > limit) {
                        pending.insert(key, id);
                    }
                }
                since = Some(limit);
            }
            out.registers.insert(field, heads);
        }
        Ok(out)
    }

    /// Tells the ancestry search what became held between two points of the replay where a
    /// change it remembers may reach it: a wayward device's change replayed after a later one of
    /// its device, or a change under an id a search missed.
    fn arrivals(
        &self,
        ancestry: &mut Ancestry,
        pending: &mut BTreeMap<(Hlc, String, u64), String>,
        since: (Hlc, &str, u64),
        limit: (Hlc, &str, u64),
    ) -> Result<()> {
        let from = self.late.partition_point(|k| key_ref(k) <= since);
        // (A change stored under another key than its own can put the limits out of order.)
        let to = self.late.partition_point(|k| key_ref(k) <= limit).max(from);
        for (_, device, idx) in &self.late[from..to] {
            if let Some(row) = self.changes.get((device.as_str(), *idx)).map_err(db_err)? {
                let stamp: Stamp = read(device, *idx, row.value())?;
                ancestry.arrived(&stamp.id, device, *idx);
            }
        }
        while let Some(entry) = pending.first_entry() {
            if key_ref(entry.key()) > limit {
                break;
            }
            let ((_, device, idx), id) = entry.remove_entry();
            ancestry.arrived(&id, &device, idx);
        }
        Ok(())
    }

    /// The place in the replay order of the change with this id, if the log holds it.
    fn key_of(&self, id: &str) -> Result<Option<(Hlc, String, u64)>> {
        let Some(at) = self.ids.get(id).map_err(db_err)? else {
            return Ok(None);
        };
        let (device, idx) = at.value();
        let Some(row) = self.changes.get((device, idx)).map_err(db_err)? else {
            return Ok(None);
        };
        // Its place as the change itself says, as `Earlier::held` judges it.
        let own: Place = read(device, idx, row.value())?;
        Ok((own.id == id).then(|| (own.clock, own.device.to_string(), own.idx)))
    }
}

fn key_ref(key: &(Hlc, String, u64)) -> (Hlc, &str, u64) {
    (key.0, key.1.as_str(), key.2)
}

/// The changes of wayward devices that the replay reaches after a later change of their device
/// (one dated before them), sorted by their place in the replay order.
fn late_changes(wayward: &HashMap<String, Vec<(u64, Hlc)>>) -> Vec<(Hlc, String, u64)> {
    let mut late = Vec::new();
    for (device, log) in wayward {
        let mut earliest_after: Option<Hlc> = None;
        for (idx, clock) in log.iter().rev() {
            if earliest_after.is_some_and(|e| e < *clock) {
                late.push((*clock, device.clone(), *idx));
            }
            earliest_after = Some(earliest_after.map_or(*clock, |e| e.min(*clock)));
        }
    }
    late.sort();
    late
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
        // The id of a change kept apart stays taken, naming the slot of the one applied there.
        Ok((change.id == id && replay_key(&change) <= self.limit).then_some(change))
    }

    fn held_before(&self, device: &str, idx: u64) -> Result<Option<String>> {
        let held = |i: u64, clock: Hlc| (clock, device, i) <= self.limit;
        let found = match self.replay.wayward.get(device) {
            Some(log) => {
                let end = log.partition_point(|(i, _)| *i < idx);
                log[..end]
                    .iter()
                    .rev()
                    .find(|(i, c)| held(*i, *c))
                    .map(|(i, _)| *i)
            }
            // Its clock rises with its idx: the nearest earlier change is held whenever a later
            // one is.
            None => self
                .replay
                .changes
                .range((device, 0)..(device, idx))
                .map_err(db_err)?
                .next_back()
                .transpose()
                .map_err(db_err)?
                .map(|(k, _)| k.value().1),
        };
        let Some(i) = found else {
            return Ok(None);
        };
        let Some(row) = self.replay.changes.get((device, i)).map_err(db_err)? else {
            return Ok(None);
        };
        let stamp: Stamp = read(device, i, row.value())?;
        Ok(held(i, stamp.clock).then_some(stamp.id))
    }
}

//! Recording a change — made here or imported — and bringing the state up to date with it. The
//! same code serves local writes, bundle imports and `verify`'s replay, so all three agree.
//!
//! - `lead:`/`channel:`/`notice:` + `created`: the row, if the store does not hold it yet.
//! - `visit:` + `visit`: the visit (visits merge by union; they are never edited).
//! - a lead's register fields (`is_register`): last writer wins by (clock, device). The field's
//!   heads are the changes no other held change descends from (through `base`/`merges`); the
//!   value is the latest head's. Two heads with different values are a conflict for a person.

use std::collections::{HashSet, VecDeque};

use redb::{ReadableMultimapTable, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::records::{decode, encode};
use super::rows::{Row, create_row};
use super::{db_err, lead_rows, tables, visit_rows};
use super::{heads, log_spans};
use crate::error::{Error, Result};
use crate::model::Visit;
use crate::sync::{Change, Hlc, LeadField, is_register};

/// One concurrent latest value of a register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub id: String,
    pub clock: Hlc,
    pub device: String,
    /// The change's idx in its device's log.
    #[serde(default)]
    pub idx: u64,
    pub author: String,
    pub value: serde_json::Value,
}

impl Head {
    fn of(change: &Change) -> Head {
        Head {
            id: change.id.clone(),
            clock: change.clock,
            device: change.device.clone(),
            idx: change.idx,
            author: change.author.clone(),
            value: change.value.clone(),
        }
    }
}

/// The key of a register in `heads_v1`.
pub fn head_key(entity: &str, field: &str) -> String {
    format!("{entity}\u{1f}{field}")
}

/// The winner among heads: the latest by (clock, device).
pub fn winner(heads: &[Head]) -> Option<&Head> {
    heads
        .iter()
        .max_by(|a, b| (a.clock, &a.device).cmp(&(b.clock, &b.device)))
}

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

/// Does `descendant` build, through `base` and `merges`, on `ancestor`? A change's clock is
/// always later than those of the changes it builds on (hybrid logical clocks: local ticks
/// follow every clock seen), so the search never goes below the ancestor's clock.
/// A device's log is sequential, so its later changes build on its earlier ones, even when a
/// change between them has not arrived yet.
fn descends(log: &impl Log, descendant: &Head, ancestor: &Head) -> Result<bool> {
    if descendant.device == ancestor.device {
        return Ok(descendant.idx > ancestor.idx);
    }
    if descendant.clock <= ancestor.clock {
        return Ok(false);
    }
    let mut queue: VecDeque<String> = VecDeque::from([descendant.id.clone()]);
    let mut seen: HashSet<String> = HashSet::new();
    while let Some(id) = queue.pop_front() {
        if !seen.insert(id.clone()) {
            continue;
        }
        let Some(change) = log.held(&id)? else {
            continue;
        };
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

/// Does `change` (held in memory) build on `ancestor`? Its own links are read first, so the
/// usual case — it builds directly on the value it replaced — needs no lookup.
fn builds_on(log: &impl Log, change: &Change, ancestor: &Head) -> Result<bool> {
    // A device's log is sequential: its later change replaces its earlier one, whatever their
    // clocks say (a wall clock set back between the two).
    if change.device == ancestor.device {
        return Ok(change.idx > ancestor.idx);
    }
    if change.clock <= ancestor.clock {
        return Ok(false);
    }
    for parent in change.base.iter().chain(&change.merges) {
        if *parent == ancestor.id {
            return Ok(true);
        }
    }
    descends(log, &Head::of(change), ancestor)
}

/// Stores a change in the log (by device and idx, and by id) and applies it to the state.
pub(super) fn record(tx: &WriteTransaction, change: &Change) -> Result<()> {
    let mut batch = Batch::default();
    batch.record(tx, change)?;
    batch.finish(tx)
}

/// Many changes in one transaction (an import, a replay): each register's lead field is set
/// once, at the end, from its final heads.
#[derive(Default)]
pub(super) struct Batch {
    unsettled: std::collections::BTreeSet<String>,
}

impl Batch {
    pub(super) fn record(&mut self, tx: &WriteTransaction, change: &Change) -> Result<()> {
        store_change(tx, change)?;
        self.reapply(tx, change)
    }

    /// Applies a change the log holds already (rebuilding a register).
    pub(super) fn reapply(&mut self, tx: &WriteTransaction, change: &Change) -> Result<()> {
        if let Some(key) = apply(tx, change)? {
            self.unsettled.insert(key);
        }
        Ok(())
    }

    /// Sets every lead field whose register changed, from its heads as they are now.
    pub(super) fn finish(self, tx: &WriteTransaction) -> Result<()> {
        for key in self.unsettled {
            let heads = heads::read(tx, &key)?;
            let (entity, field) = key.split_once('\u{1f}').unwrap_or((key.as_str(), ""));
            settle(tx, entity, field, &heads)?;
        }
        Ok(())
    }
}

/// The one order in which changes are applied, by import and by `verify`'s replay alike: by
/// clock, then device, then idx. A change's clock is later than those it builds on, so ancestors
/// come first.
pub fn replay_order(changes: &mut [Change]) {
    changes.sort_by(|a, b| replay_key(a).cmp(&replay_key(b)));
}

/// Removes a visit or a created row (lead, channel, notice) that no applied change carries any
/// more. Rows of the built-in notice are every store's common ground and stay.
pub(super) fn remove_row(tx: &WriteTransaction, entity: &str) -> Result<()> {
    let (kind, id) = entity.split_once(':').unwrap_or(("", ""));
    match kind {
        "visit" => {
            let lead = {
                let mut visits = tx.open_table(tables::VISITS).map_err(db_err)?;
                let removed = visits.remove(id).map_err(db_err)?;
                removed
                    .map(|v| visit_rows::decode(id, v.value()))
                    .transpose()?
            };
            if let Some(visit) = lead {
                tx.open_multimap_table(tables::LEAD_VISITS)
                    .map_err(db_err)?
                    .remove(visit.lead.as_str(), id)
                    .map_err(db_err)?;
            }
            tx.open_table(tables::VISIT_DEVICES)
                .map_err(db_err)?
                .remove(id)
                .map_err(db_err)?;
        }
        "lead" | "channel" | "notice" => {
            if crate::notice::in_seed(entity)? {
                return Ok(());
            }
            tx.open_table(tables::CREATED_BY)
                .map_err(db_err)?
                .remove(entity)
                .map_err(db_err)?;
            let search = match kind {
                "lead" => {
                    tx.open_table(tables::LEADS)
                        .map_err(db_err)?
                        .remove(id)
                        .map_err(db_err)?;
                    Some(tables::LEAD_SEARCH)
                }
                "channel" => {
                    tx.open_table(tables::CHANNELS)
                        .map_err(db_err)?
                        .remove(id)
                        .map_err(db_err)?;
                    Some(tables::CHANNEL_SEARCH)
                }
                _ => {
                    tx.open_table(tables::NOTICES)
                        .map_err(db_err)?
                        .remove(id)
                        .map_err(db_err)?;
                    None
                }
            };
            if let Some(search) = search {
                tx.open_table(search)
                    .map_err(db_err)?
                    .remove(id)
                    .map_err(db_err)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn store_change(tx: &WriteTransaction, change: &Change) -> Result<()> {
    tx.open_table(tables::CHANGES)
        .map_err(db_err)?
        .insert(
            (change.device.as_str(), change.idx),
            encode(change)?.as_str(),
        )
        .map_err(db_err)?;
    tx.open_table(tables::CHANGE_IDS)
        .map_err(db_err)?
        .insert(change.id.as_str(), (change.device.as_str(), change.idx))
        .map_err(db_err)?;
    if let Some(visit) = change.entity.strip_prefix("visit:") {
        tx.open_multimap_table(tables::VISIT_CHANGES)
            .map_err(db_err)?
            .insert(visit, (change.device.as_str(), change.idx))
            .map_err(db_err)?;
    }
    log_spans::stored(tx, &change.device, change.idx)
}

/// Takes a change out of the log (the indexes of what it carries with it; its id stays taken).
pub(super) fn remove_change(tx: &WriteTransaction, change: &Change) -> Result<()> {
    let slot = (change.device.as_str(), change.idx);
    tx.open_table(tables::CHANGES)
        .map_err(db_err)?
        .remove(slot)
        .map_err(db_err)?;
    if let Some(visit) = change.entity.strip_prefix("visit:") {
        tx.open_multimap_table(tables::VISIT_CHANGES)
            .map_err(db_err)?
            .remove(visit, slot)
            .map_err(db_err)?;
    }
    log_spans::removed(tx, &change.device, change.idx)
}

/// The applied changes that carry visit `id`.
pub(super) fn visit_carriers(tx: &WriteTransaction, id: &str) -> Result<Vec<Change>> {
    let slots: Vec<(String, u64)> = {
        let index = tx
            .open_multimap_table(tables::VISIT_CHANGES)
            .map_err(db_err)?;
        let mut out = Vec::new();
        for slot in index.get(id).map_err(db_err)? {
            let slot = slot.map_err(db_err)?;
            let (device, idx) = slot.value();
            out.push((device.to_string(), idx));
        }
        out
    };
    let table = tx.open_table(tables::CHANGES).map_err(db_err)?;
    let mut out = Vec::new();
    for (device, idx) in slots {
        if let Some(v) = table.get((device.as_str(), idx)).map_err(db_err)? {
            out.push(decode(&format!("{device}/{idx}"), v.value())?);
        }
    }
    Ok(out)
}

/// A change's place in the replay order.
pub(super) fn replay_key(c: &Change) -> (Hlc, &str, u64) {
    (c.clock, c.device.as_str(), c.idx)
}

/// Brings the state up to date with one change already in the log. A register change returns
/// its key: the caller sets the lead field from its heads (`settle`).
fn apply(tx: &WriteTransaction, change: &Change) -> Result<Option<String>> {
    let kind = change.entity.split_once(':').map_or("", |(kind, _)| kind);
    let bad = |what: &str| Error::Store {
        detail: format!("change {} has {what}", change.id),
    };
    match (kind, change.field.as_str()) {
        ("visit", "visit") => {
            let visit: Visit = serde_json::from_value(change.value.clone())
                .map_err(|_| bad("an unreadable visit"))?;
            let mut visits = tx.open_table(tables::VISITS).map_err(db_err)?;
            if visits.get(visit.id.as_str()).map_err(db_err)?.is_none() {
                visits
                    .insert(visit.id.as_str(), visit_rows::encode(&visit)?.as_slice())
                    .map_err(db_err)?;
                tx.open_multimap_table(tables::LEAD_VISITS)
                    .map_err(db_err)?
                    .insert(visit.lead.as_str(), visit.id.as_str())
                    .map_err(db_err)?;
            }
            // Who brought it: the signing device (import keeps a visit carried by a second device
            // apart; a replay of such a log keeps the lowest id).
            let mut by = tx.open_table(tables::VISIT_DEVICES).map_err(db_err)?;
            let held = by
                .get(visit.id.as_str())
                .map_err(db_err)?
                .map(|v| v.value().to_string());
            if held.as_deref().is_none_or(|d| change.device.as_str() < d) {
                by.insert(visit.id.as_str(), change.device.as_str())
                    .map_err(db_err)?;
            }
        }
        ("lead" | "channel" | "notice", "created") => {
            if let Some(row) = Row::read(change)? {
                create_row(tx, change, &row)?;
            }
        }
        ("lead", field) if is_register(field) => {
            let key = head_key(&change.entity, field);
            let heads = merge_register(tx, heads::read(tx, &key)?, change)?;
            heads::write(tx, &key, &heads)?;
            return Ok(Some(key));
        }
        _ => {
            return Err(bad(&format!(
                "an unknown entity or field ({} {})",
                change.entity, change.field
            )));
        }
    }
    Ok(None)
}

/// A register's heads once `change` joins them: it replaces the heads it builds on, unless a held
/// value builds on it already (it arrived late), in id order. `log` holds `change`.
pub(super) fn merge_register(
    log: &impl Log,
    heads: Vec<Head>,
    change: &Change,
) -> Result<Vec<Head>> {
    let new = Head::of(change);
    let mut older = false;
    for h in &heads {
        if descends(log, h, &new)? {
            older = true;
            break;
        }
    }
    let mut kept: Vec<Head> = if older {
        // Held values already build on this change; it may still link an older head to a newer
        // one (it arrived late): a head this change builds on is superseded by the head that
        // builds on this change, and the heads are rechecked among themselves.
        let mut kept = Vec::new();
        for h in &heads {
            let mut superseded = builds_on(log, change, h)?;
            for other in heads.iter().filter(|o| o.id != h.id) {
                if superseded {
                    break;
                }
                superseded = descends(log, other, h)?;
            }
            if !superseded {
                kept.push(h.clone());
            }
        }
        kept
    } else {
        // The usual case: the new change replaces the heads it builds on.
        let mut kept = Vec::new();
        for h in heads {
            if !builds_on(log, change, &h)? {
                kept.push(h);
            }
        }
        kept.push(new);
        kept
    };
    kept.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(kept)
}

/// Sets every register field of the leads `ids` from its heads (a migration that moved leads).
pub(super) fn settle_leads(tx: &WriteTransaction, ids: &[String]) -> Result<()> {
    for id in ids {
        settle_lead(tx, &format!("lead:{id}"))?;
    }
    Ok(())
}

/// Sets every register field of one lead from its heads.
pub(super) fn settle_lead(tx: &WriteTransaction, entity: &str) -> Result<()> {
    for field in crate::sync::REGISTERS {
        let heads = heads::read(tx, &head_key(entity, field))?;
        settle(tx, entity, field, &heads)?;
    }
    Ok(())
}

/// Sets a lead's register field to the value of its winning head.
fn settle(tx: &WriteTransaction, entity: &str, field: &str, heads: &[Head]) -> Result<()> {
    let Some(win) = winner(heads) else {
        return Ok(());
    };
    let value = LeadField::from_change(field, &win.value).ok_or_else(|| Error::Store {
        detail: format!("change {} sets {field} to an unreadable value", win.id),
    })?;
    set_field(tx, entity.trim_start_matches("lead:"), &value)
}

/// Sets one field of the lead `id`, if the store holds it.
pub(super) fn set_field(tx: &WriteTransaction, id: &str, value: &LeadField) -> Result<()> {
    let Some(mut lead) = tx
        .open_table(tables::LEADS)
        .map_err(db_err)?
        .get(id)
        .map_err(db_err)?
        .map(|v| lead_rows::decode(id, v.value()))
        .transpose()?
    else {
        return Ok(());
    };
    value.apply(&mut lead);
    lead_rows::write_changed(tx, &lead, value)
}

//! Recording a change — made here or imported — and bringing the state up to date with it. The
//! same code serves local writes, bundle imports and `verify`'s replay, so all three agree.
//!
//! - `lead:`/`channel:`/`notice:` + `created`: the row, if the store does not hold it yet.
//! - `visit:` + `visit`: the visit (visits merge by union; they are never edited).
//! - a lead's register fields (`is_register`): last writer wins by (clock, device). The field's
//!   heads are the changes no other held change descends from (through `base`/`merges`); the
//!   value is the latest head's. Two heads with different values are a conflict for a person.

use redb::{ReadableMultimapTable, ReadableTable, WriteTransaction};

use super::ancestry::{Ancestry, Log};
use super::heads::{self, Head};
use super::log_spans;
use super::records::{decode, encode};
use super::rows::{Row, create_row};
use super::{db_err, lead_rows, placement, tables, visit_rows};
use crate::error::{Error, Result};
use crate::model::Visit;
use crate::sync::{Change, Hlc, LeadField, is_register};

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
    ancestry: Ancestry,
    /// Per device, the highest idx stored (read once; never lowered, so a change taken back
    /// only makes more arrivals told than needed).
    highest: std::collections::HashMap<String, u64>,
}

impl Batch {
    pub(super) fn record(&mut self, tx: &WriteTransaction, change: &Change) -> Result<()> {
        let highest = match self.highest.get(&change.device) {
            Some(h) => *h,
            None => highest_held(tx, &change.device)?,
        };
        self.highest
            .insert(change.device.clone(), highest.max(change.idx));
        // A change stored over another at its slot (a signed one over an unsigned one of before
        // signatures) takes that one out of the log.
        if change.idx <= highest
            && self.ancestry.remembers()
            && placement::held_at(tx, &change.device, change.idx)?.is_some()
        {
            self.ancestry.forget();
        }
        store_change(tx, change)?;
        if self.ancestry.missed(&change.id) || change.idx < highest {
            self.ancestry
                .arrived(&change.id, &change.device, change.idx);
        }
        self.reapply(tx, change)
    }

    /// Changes were taken out of the log: what the ancestry search remembers may no longer hold.
    pub(super) fn taken_out(&mut self) {
        self.ancestry.forget();
    }

    /// Applies a change the log holds already (rebuilding a register).
    pub(super) fn reapply(&mut self, tx: &WriteTransaction, change: &Change) -> Result<()> {
        if let Some(key) = apply(tx, change, &mut self.ancestry)? {
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

/// The highest idx of the device's changes held (0: none).
fn highest_held(tx: &WriteTransaction, device: &str) -> Result<u64> {
    let table = tx.open_table(tables::CHANGES).map_err(db_err)?;
    let mut held = table
        .range((device, 0)..=(device, u64::MAX))
        .map_err(db_err)?;
    Ok(match held.next_back() {
        Some(entry) => entry.map_err(db_err)?.0.value().1,
        None => 0,
    })
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
fn apply(
    tx: &WriteTransaction,
    change: &Change,
    ancestry: &mut Ancestry,
) -> Result<Option<String>> {
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
            let heads = merge_register(tx, ancestry, heads::read(tx, &key)?, change)?;
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
    ancestry: &mut Ancestry,
    heads: Vec<Head>,
    change: &Change,
) -> Result<Vec<Head>> {
    let new = Head::of(change);
    let mut older = false;
    for h in &heads {
        if ancestry.descends(log, h, &new)? {
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
            let mut superseded = ancestry.builds_on(log, change, h)?;
            for other in heads.iter().filter(|o| o.id != h.id) {
                if superseded {
                    break;
                }
                superseded = ancestry.descends(log, other, h)?;
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
            if !ancestry.builds_on(log, change, &h)? {
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

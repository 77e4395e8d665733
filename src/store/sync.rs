//! Sync on the store: export bundles, import them (checked before anything is written, applied
//! in one transaction), conflicts and their resolution, status, trust, and `verify`.

use redb::ReadableDatabase;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::changes::append_merging;
use super::heads::Head;
use super::merge::{Batch, winner};
use super::quarantine::{Dispute, Quarantined};
use super::records::decode;
use super::{Store, db_err, heads, log_spans, tables, tables::meta};
use crate::error::{Error, Result};
use crate::sync::Change;

/// Idx ranges of a device's log not seen yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub device: String,
    pub from: u64,
    pub to: u64,
}

/// A register with concurrent different values, waiting for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Conflict {
    /// Stable across stores: from the entity and field.
    pub id: String,
    pub entity: String,
    pub field: String,
    /// The value shown now (the latest by clock and device).
    pub current: Head,
    pub heads: Vec<Head>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// This device's value (or, if it wrote none, the one shown now).
    Mine,
    Theirs,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceSeen {
    pub device: String,
    pub highest: u64,
    pub gaps: Vec<Gap>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncStatus {
    pub unexported: u64,
    pub last_export: Option<String>,
    pub devices: Vec<DeviceSeen>,
    pub conflicts: usize,
    /// Changes kept apart for a person (`fieldcheck quarantine`).
    pub kept_apart: usize,
    pub disputes: Vec<Dispute>,
}

pub(super) fn conflict_id(key: &str) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..4])
}

impl Store {
    /// Per device: the highest idx held and the ranges below it not held (read from the
    /// devices' summaries, `device_logs_v1`, not from the log).
    pub fn devices_seen(&self) -> Result<Vec<DeviceSeen>> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::DEVICE_LOGS).map_err(db_err)?;
        Ok(log_spans::all(&table)?
            .into_iter()
            .map(|(device, span)| span.seen(&device))
            .collect())
    }

    /// The gaps in the logs of `devices` only: what an import reports.
    pub(super) fn gaps_of<'a>(
        &self,
        devices: impl IntoIterator<Item = &'a str>,
    ) -> Result<Vec<Gap>> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::DEVICE_LOGS).map_err(db_err)?;
        let mut gaps = Vec::new();
        for device in devices {
            gaps.extend(log_spans::of(&table, device)?.seen(device).gaps);
        }
        Ok(gaps)
    }

    /// Every register with concurrent different values (those `conflicts_v1` names).
    pub fn conflicts(&self) -> Result<Vec<Conflict>> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let keys = heads::conflict_keys(&tx.open_table(tables::CONFLICTS).map_err(db_err)?)?;
        let table = tx.open_table(tables::HEADS).map_err(db_err)?;
        let mut out = Vec::new();
        for key in keys {
            let value = table.get(key.as_str()).map_err(db_err)?;
            if let Some(v) = value {
                out.extend(conflict_of(&key, v.value())?);
            }
        }
        Ok(out)
    }

    /// How many registers are in conflict.
    pub fn conflict_count(&self) -> Result<usize> {
        let tx = self.db.begin_read().map_err(db_err)?;
        heads::conflict_count(&tx.open_table(tables::CONFLICTS).map_err(db_err)?)
    }

    /// Keeps one value of a conflict: a new change that replaces every concurrent value (and
    /// syncs like any other).
    pub fn resolve(&self, id: &str, keep: Keep) -> Result<Change> {
        let writer = self.writer()?;
        let identity = &writer.identity;
        let conflict = self
            .conflicts()?
            .into_iter()
            .find(|c| c.id.starts_with(id) && !id.is_empty())
            .ok_or_else(|| Error::UnknownConflict { id: id.into() })?;
        // Mine: this device's latest value (or, if it wrote none, the one shown); theirs: the
        // latest of the others.
        let latest = |heads: Vec<&Head>| {
            heads
                .into_iter()
                .max_by_key(|h| (h.clock, h.device.clone()))
                .cloned()
        };
        let mine = latest(
            conflict
                .heads
                .iter()
                .filter(|h| h.device == identity.device_id)
                .collect(),
        )
        .unwrap_or_else(|| conflict.current.clone());
        let value = match keep {
            Keep::Mine => mine.value,
            Keep::Theirs => latest(conflict.heads.iter().filter(|h| h.id != mine.id).collect())
                .map_or(mine.value.clone(), |h| h.value),
        };
        let tx = self.db.begin_write().map_err(db_err)?;
        let change = append_merging(
            &tx,
            &writer,
            conflict.entity.clone(),
            &conflict.field,
            value,
            true,
        )?;
        tx.commit().map_err(db_err)?;
        Ok(change)
    }

    pub fn sync_status(&self) -> Result<SyncStatus> {
        let next: u64 = self
            .meta(meta::NEXT_IDX)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        let (kept_apart, disputes) = self.quarantine()?;
        Ok(SyncStatus {
            unexported: next.saturating_sub(1).saturating_sub(self.exported_idx()?),
            last_export: self.meta(meta::LAST_EXPORT)?,
            devices: self.devices_seen()?,
            conflicts: self.conflict_count()?,
            kept_apart: kept_apart.len(),
            disputes,
        })
    }

    /// The changes kept apart for a person, and the equivocations found.
    pub fn quarantine(&self) -> Result<(Vec<Quarantined>, Vec<Dispute>)> {
        let tx = self.db.begin_read().map_err(db_err)?;
        super::quarantine::list(&tx)
    }

    /// Replays `changes` on this store (for `verify`: a fresh store rebuilt from a log).
    pub fn replay(&self, changes: &[Change]) -> Result<()> {
        let mut changes = changes.to_vec();
        super::merge::replay_order(&mut changes);
        let tx = self.db.begin_write().map_err(db_err)?;
        let mut batch = Batch::default();
        for change in &changes {
            batch.record(&tx, change)?;
        }
        batch.finish(&tx)?;
        tx.commit().map_err(db_err)
    }
}

/// The conflict a register's heads (`heads_v1` key and JSON) hold, if they hold one.
pub(super) fn conflict_of(key: &str, json: &str) -> Result<Option<Conflict>> {
    let heads: Vec<Head> = decode(key, json)?;
    Ok(conflict_from(key, heads))
}

/// The conflict a register's heads hold, if they hold one.
pub(super) fn conflict_from(key: &str, heads: Vec<Head>) -> Option<Conflict> {
    if !is_conflict(&heads) {
        return None;
    }
    let (entity, field) = key.split_once('\u{1f}').unwrap_or((key, ""));
    winner(&heads).cloned().map(|current| Conflict {
        id: conflict_id(key),
        entity: entity.into(),
        field: field.into(),
        current,
        heads,
    })
}

pub(super) fn is_conflict(heads: &[Head]) -> bool {
    heads.iter().any(|h| h.value != heads[0].value)
}

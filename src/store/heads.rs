//! A register's heads (`heads_v1`) and the set of registers in conflict (`conflicts_v1`), written
//! together here and nowhere else, so that the set always says which heads disagree.

use redb::{ReadableTable, ReadableTableMetadata, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::records::{decode, encode};
use super::sync::is_conflict;
use super::{db_err, tables};
use crate::error::Result;
use crate::sync::{Change, Hlc};

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
    pub(super) fn of(change: &Change) -> Head {
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

pub(super) fn read(tx: &WriteTransaction, key: &str) -> Result<Vec<Head>> {
    let table = tx.open_table(tables::HEADS).map_err(db_err)?;
    let value = table.get(key).map_err(db_err)?;
    value.map_or(Ok(Vec::new()), |v| decode(key, v.value()))
}

/// Sets a register's heads, and whether it is in conflict.
pub(super) fn write(tx: &WriteTransaction, key: &str, heads: &[Head]) -> Result<()> {
    tx.open_table(tables::HEADS)
        .map_err(db_err)?
        .insert(key, encode(&heads)?.as_str())
        .map_err(db_err)?;
    mark(tx, key, is_conflict(heads))
}

/// Forgets a register's heads (a rebuild replays them).
pub(super) fn remove(tx: &WriteTransaction, key: &str) -> Result<()> {
    tx.open_table(tables::HEADS)
        .map_err(db_err)?
        .remove(key)
        .map_err(db_err)?;
    mark(tx, key, false)
}

fn mark(tx: &WriteTransaction, key: &str, conflict: bool) -> Result<()> {
    let mut set = tx.open_table(tables::CONFLICTS).map_err(db_err)?;
    if conflict {
        set.insert(key, "").map_err(db_err)?;
    } else {
        set.remove(key).map_err(db_err)?;
    }
    Ok(())
}

/// The keys of the registers in conflict, in key order.
pub(super) fn conflict_keys<T: ReadableTable<&'static str, &'static str>>(
    set: &T,
) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for entry in set.iter().map_err(db_err)? {
        out.push(entry.map_err(db_err)?.0.value().to_string());
    }
    Ok(out)
}

/// How many registers are in conflict.
pub(super) fn conflict_count<T: ReadableTableMetadata>(set: &T) -> Result<usize> {
    let n = set.len().map_err(db_err)?;
    Ok(usize::try_from(n).unwrap_or(usize::MAX))
}

/// Fills `conflicts_v1` from every register's heads (migration 8).
pub(super) fn fill_conflicts(tx: &WriteTransaction) -> Result<()> {
    let keys: Vec<String> = {
        let heads = tx.open_table(tables::HEADS).map_err(db_err)?;
        let mut out = Vec::new();
        for entry in heads.iter().map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            let held: Vec<Head> = decode(k.value(), v.value())?;
            if is_conflict(&held) {
                out.push(k.value().to_string());
            }
        }
        out
    };
    let mut set = tx.open_table(tables::CONFLICTS).map_err(db_err)?;
    for key in keys {
        set.insert(key.as_str(), "").map_err(db_err)?;
    }
    Ok(())
}

//! Schema versions and named migrations. A store records the version it was last migrated to
//! in `meta_v1`; opening runs every newer migration in one write transaction, and refuses a
//! store whose version is newer than this build knows.

use redb::{
    Database, ReadableDatabase, ReadableTable, TableDefinition, TableError, WriteTransaction,
};

use super::db_err;
use super::tables::{self, meta};

/// One step of the schema: `apply` moves a store from `version - 1` to `version`.
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub apply: fn(&WriteTransaction) -> crate::error::Result<()>,
}

/// Every migration, oldest first. Append new ones; never change a released one.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "directory, leads, notices and their search keys",
        apply: create_v1_tables,
    },
    Migration {
        version: 2,
        name: "change log",
        apply: create_change_log,
    },
    Migration {
        version: 3,
        name: "visits and drafts",
        apply: create_visits,
    },
    Migration {
        version: 4,
        name: "sync: change ids, register heads, trusted devices",
        apply: create_sync,
    },
    Migration {
        version: 5,
        name: "search keys as bytes",
        apply: search_keys_as_bytes,
    },
    Migration {
        version: 6,
        name: "signed changes: devices, quarantine, disputes; hand-trusted keys dropped",
        apply: create_devices,
    },
    Migration {
        version: 7,
        name: "indexes: the changes carrying each visit and each created row, the quarantine by visit and change id",
        apply: create_indexes,
    },
    Migration {
        version: 8,
        name: "summaries: each device's log span and gaps, the registers in conflict",
        apply: create_summaries,
    },
    Migration {
        version: 9,
        name: "leads as postcard bytes (leads_v2), not JSON",
        apply: leads_as_bytes,
    },
    Migration {
        version: 10,
        name: "visits as postcard bytes (visits_v2), not JSON",
        apply: visits_as_bytes,
    },
    Migration {
        version: 11,
        name: "lead contact and phone (leads_v3), a correction's reason (visits_v3)",
        apply: contact_and_reason,
    },
];

/// The table of hand-trusted public keys (schema 4 and 5).
const TRUSTED_V1: TableDefinition<&str, &str> = TableDefinition::new("trusted_v1");

/// Adds the tables of signed sync. The keys trusted by hand cannot check signed changes (they
/// name no device and no encryption key): dropped, so the peers exchange their peer keys anew.
/// The store's own log is signed when it is next opened with its key (`devices::enrol_self`).
fn create_devices(tx: &WriteTransaction) -> crate::error::Result<()> {
    tx.open_table(tables::DEVICES).map_err(db_err)?;
    tx.open_table(tables::QUARANTINE).map_err(db_err)?;
    tx.open_table(tables::DISPUTES).map_err(db_err)?;
    tx.open_table(tables::KEPT_VISITS).map_err(db_err)?;
    tx.delete_table(TRUSTED_V1).map_err(db_err)?;
    // Who recorded each visit held: the device whose change brought it.
    let mut by = tx.open_table(tables::VISIT_DEVICES).map_err(db_err)?;
    let changes = tx.open_table(tables::CHANGES).map_err(db_err)?;
    for entry in changes.iter().map_err(db_err)? {
        let (k, v) = entry.map_err(db_err)?;
        let change: crate::sync::Change = super::records::decode("change", v.value())?;
        if let Some(visit) = change.entity.strip_prefix("visit:") {
            let device = k.value().0;
            let held = by
                .get(visit)
                .map_err(db_err)?
                .map(|d| d.value().to_string());
            if held.as_deref().is_none_or(|d| device < d) {
                by.insert(visit, device).map_err(db_err)?;
            }
        }
    }
    Ok(())
}

/// Fills the indexes that let a dispute or a second `created` row be handled without reading
/// the whole log or quarantine (`visit_changes_v1`, `created_by_v1`, `quarantine_by_v1`).
fn create_indexes(tx: &WriteTransaction) -> crate::error::Result<()> {
    let mut changes: Vec<crate::sync::Change> = Vec::new();
    {
        let table = tx.open_table(tables::CHANGES).map_err(db_err)?;
        for entry in table.iter().map_err(db_err)? {
            let (_, v) = entry.map_err(db_err)?;
            changes.push(super::records::decode("change", v.value())?);
        }
    }
    super::merge::replay_order(&mut changes);
    let mut visits = tx
        .open_multimap_table(tables::VISIT_CHANGES)
        .map_err(db_err)?;
    let mut created = tx.open_table(tables::CREATED_BY).map_err(db_err)?;
    for change in &changes {
        let slot = (change.device.as_str(), change.idx);
        if let Some(visit) = change.entity.strip_prefix("visit:") {
            visits.insert(visit, slot).map_err(db_err)?;
        } else if change.field == "created"
            && !crate::notice::in_seed(&change.entity)?
            && created
                .get(change.entity.as_str())
                .map_err(db_err)?
                .is_none()
        {
            created
                .insert(change.entity.as_str(), slot)
                .map_err(db_err)?;
        }
    }
    drop((visits, created));
    tx.open_multimap_table(tables::QUARANTINE_BY)
        .map_err(db_err)?;
    let mut kept = Vec::new();
    {
        let table = tx.open_table(tables::QUARANTINE).map_err(db_err)?;
        for entry in table.iter().map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            let q: super::quarantine::Quarantined = super::records::decode(k.value(), v.value())?;
            kept.push((k.value().to_string(), q.change));
        }
    }
    for (key, change) in &kept {
        super::quarantine::index(tx, key, change)?;
    }
    Ok(())
}

/// The leads of schema versions 1 to 8 (JSON values).
const LEADS_V1: TableDefinition<&str, &str> = TableDefinition::new("leads_v1");

/// Moves every lead from its JSON row into `leads_v2`, and drops `leads_v1`. A lead the earlier
/// migrations of this same run wrote (migration 4 replays the log into the new table) is kept as
/// written; when migration 4 ran in this run, its settling of lead fields went to `leads_v2` before
/// the leads were there, so the moved leads' fields are settled again from their registers.
fn leads_as_bytes(tx: &WriteTransaction) -> crate::error::Result<()> {
    let before = {
        let meta = tx.open_table(tables::META).map_err(db_err)?;
        let version = meta.get(meta::SCHEMA_VERSION).map_err(db_err)?;
        version
            .and_then(|v| v.value().parse::<u32>().ok())
            .unwrap_or(0)
    };
    let moved = move_rows(tx, LEADS_V1, tables::LEADS, |key, json| {
        super::lead_rows::encode(&super::records::decode(key, json)?)
    })?;
    if before < 4 {
        super::merge::settle_leads(tx, &moved)?;
    }
    Ok(())
}

/// The search-key tables of schema versions 1 to 4 (text values).
const CHANNEL_SEARCH_V1: TableDefinition<&str, &str> = TableDefinition::new("channel_search_v1");
const LEAD_SEARCH_V1: TableDefinition<&str, &str> = TableDefinition::new("lead_search_v1");

/// The visits of schema versions 3 to 9 (JSON).
const VISITS_V1: TableDefinition<&str, &str> = TableDefinition::new("visits_v1");

/// Moves every visit from its JSON in `visits_v1` to bytes in `visits_v2` and drops the JSON
/// table. Visits a migration before this one in the same open already wrote as bytes (the
/// replay of schema 4) are kept as they are.
fn visits_as_bytes(tx: &WriteTransaction) -> crate::error::Result<()> {
    move_rows(tx, VISITS_V1, tables::VISITS, |key, json| {
        super::visit_rows::encode(&super::records::decode(key, json)?)
    })?;
    Ok(())
}

/// The leads and visits of schema versions 9 and 10 (postcard bytes of the older layouts).
const LEADS_V2: TableDefinition<&str, &[u8]> = TableDefinition::new("leads_v2");
const VISITS_V2: TableDefinition<&str, &[u8]> = TableDefinition::new("visits_v2");

/// Moves the leads of `leads_v2` to `leads_v3` (no contact person, no phone yet) and the visits of
/// `visits_v2` to `visits_v3` (no reason), and drops the old tables. Rows an earlier migration of
/// the same open wrote in the new layout (the replay of schema 4, the moves of 9 and 10) stay.
fn contact_and_reason(tx: &WriteTransaction) -> crate::error::Result<()> {
    move_rows(tx, LEADS_V2, tables::LEADS, super::lead_rows::upgrade_v2)?;
    move_rows(tx, VISITS_V2, tables::VISITS, super::visit_rows::upgrade_v2)?;
    rekey_found_facts(tx)
}

/// Schema 10 did not rewrite a lead's search key when a debtor or an amount found on site was
/// set: the leads with such a register get theirs now (the registers, not every lead).
fn rekey_found_facts(tx: &WriteTransaction) -> crate::error::Result<()> {
    let ids: Vec<String> = {
        let heads = tx.open_table(tables::HEADS).map_err(db_err)?;
        let mut ids = Vec::new();
        for entry in heads.iter().map_err(db_err)? {
            let (key, _) = entry.map_err(db_err)?;
            let key = key.value();
            let found = key
                .strip_suffix("\u{1f}debtor")
                .or_else(|| key.strip_suffix("\u{1f}amount_yuan"));
            if let Some(id) = found.and_then(|e| e.strip_prefix("lead:")) {
                ids.push(id.to_string());
            }
        }
        ids
    };
    let leads = tx.open_table(tables::LEADS).map_err(db_err)?;
    let mut keys = tx.open_table(tables::LEAD_SEARCH).map_err(db_err)?;
    for id in ids {
        if let Some(row) = leads.get(id.as_str()).map_err(db_err)? {
            let lead = super::lead_rows::decode(&id, row.value())?;
            keys.insert(id.as_str(), crate::search::key::lead_key(&lead).as_bytes())
                .map_err(db_err)?;
        }
    }
    Ok(())
}

/// Moves every row of `old` into the byte table `new` (each encoded by `bytes` from its key and
/// old value), keeps the rows `new` already holds as they are, drops `old`, and returns the keys
/// moved.
fn move_rows<V: redb::Value + 'static>(
    tx: &WriteTransaction,
    old: TableDefinition<&str, V>,
    new: TableDefinition<&str, &[u8]>,
    bytes: impl Fn(&str, V::SelfType<'_>) -> crate::error::Result<Vec<u8>>,
) -> crate::error::Result<Vec<String>> {
    let mut moved = Vec::new();
    {
        let from = tx.open_table(old).map_err(db_err)?;
        let mut to = tx.open_table(new).map_err(db_err)?;
        for entry in from.iter().map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            if to.get(k.value()).map_err(db_err)?.is_some() {
                continue;
            }
            to.insert(k.value(), bytes(k.value(), v.value())?.as_slice())
                .map_err(db_err)?;
            moved.push(k.value().to_string());
        }
    }
    tx.delete_table(old).map_err(db_err)?;
    Ok(moved)
}

/// The schema version this build writes.
pub fn latest(migrations: &[Migration]) -> u32 {
    migrations.last().map_or(0, |m| m.version)
}

fn create_v1_tables(tx: &WriteTransaction) -> crate::error::Result<()> {
    tx.open_table(tables::NOTICES).map_err(db_err)?;
    tx.open_table(tables::CHANNELS).map_err(db_err)?;
    tx.open_table(LEADS_V1).map_err(db_err)?;
    tx.open_table(CHANNEL_SEARCH_V1).map_err(db_err)?;
    tx.open_table(LEAD_SEARCH_V1).map_err(db_err)?;
    Ok(())
}

/// Copies every search key into the byte tables and drops the text ones.
fn search_keys_as_bytes(tx: &WriteTransaction) -> crate::error::Result<()> {
    for (old, new) in [
        (CHANNEL_SEARCH_V1, tables::CHANNEL_SEARCH),
        (LEAD_SEARCH_V1, tables::LEAD_SEARCH),
    ] {
        let from = tx.open_table(old).map_err(db_err)?;
        let mut to = tx.open_table(new).map_err(db_err)?;
        for entry in from.iter().map_err(db_err)? {
            let (id, key) = entry.map_err(db_err)?;
            to.insert(id.value(), key.value().as_bytes())
                .map_err(db_err)?;
        }
        drop(from);
        tx.delete_table(old).map_err(db_err)?;
    }
    Ok(())
}

fn create_change_log(tx: &WriteTransaction) -> crate::error::Result<()> {
    tx.open_table(tables::CHANGES).map_err(db_err)?;
    Ok(())
}

fn create_visits(tx: &WriteTransaction) -> crate::error::Result<()> {
    tx.open_table(VISITS_V1).map_err(db_err)?;
    tx.open_multimap_table(tables::LEAD_VISITS)
        .map_err(db_err)?;
    tx.open_table(tables::DRAFTS).map_err(db_err)?;
    Ok(())
}

/// Adds the sync tables and indexes the changes already logged: their ids, and the heads of
/// every register they set.
fn create_sync(tx: &WriteTransaction) -> crate::error::Result<()> {
    tx.open_table(tables::CHANGE_IDS).map_err(db_err)?;
    tx.open_table(tables::HEADS).map_err(db_err)?;
    tx.open_table(TRUSTED_V1).map_err(db_err)?;
    let logged: Vec<crate::sync::Change> = {
        let table = tx.open_table(tables::CHANGES).map_err(db_err)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(db_err)? {
            let (_, v) = entry.map_err(db_err)?;
            out.push(super::records::decode("change", v.value())?);
        }
        out
    };
    for change in &logged {
        super::merge::record(tx, change)?;
    }
    Ok(())
}

/// The schema version stored in the file (0 for a new, empty file).
pub fn stored_version(db: &Database) -> Result<u32, redb::Error> {
    let tx = db.begin_read()?;
    let table = match tx.open_table(tables::META) {
        Ok(t) => t,
        Err(TableError::TableDoesNotExist(_)) => return Ok(0),
        Err(e) => return Err(e.into()),
    };
    let version = table
        .get(meta::SCHEMA_VERSION)?
        .and_then(|v| v.value().parse().ok())
        .unwrap_or(0);
    Ok(version)
}

/// What opening found.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Already at the latest version.
    Current,
    /// Migrated from the first version to the second.
    Migrated(u32, u32),
    /// The file is newer than these migrations: untouched.
    Newer(u32),
}

/// Brings the store up to the last of `migrations`, all in one transaction.
pub fn run(db: &Database, migrations: &[Migration]) -> crate::error::Result<Outcome> {
    let from = stored_version(db).map_err(db_err)?;
    let to = latest(migrations);
    if from > to {
        return Ok(Outcome::Newer(from));
    }
    if from == to {
        return Ok(Outcome::Current);
    }
    let tx = db.begin_write().map_err(db_err)?;
    for migration in migrations.iter().filter(|m| m.version > from) {
        (migration.apply)(&tx)?;
    }
    {
        let mut table = tx.open_table(tables::META).map_err(db_err)?;
        table
            .insert(meta::SCHEMA_VERSION, to.to_string().as_str())
            .map_err(db_err)?;
    }
    tx.commit().map_err(db_err)?;
    Ok(Outcome::Migrated(from, to))
}

/// Adds the summaries that `sync status` and `conflicts` read instead of the whole log and every
/// register: each device's span of the log, and the registers whose heads disagree.
fn create_summaries(tx: &WriteTransaction) -> crate::error::Result<()> {
    super::log_spans::fill(tx)?;
    super::heads::fill_conflicts(tx)
}

//! Schema versions and named migrations. A store records the version it was last migrated to
//! in `meta_v1`; opening runs every newer migration in one write transaction, and refuses a
//! store whose version is newer than this build knows.

use redb::{Database, ReadableDatabase, TableError, WriteTransaction};

use super::tables::{self, meta};

/// One step of the schema: `apply` moves a store from `version - 1` to `version`.
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub apply: fn(&WriteTransaction) -> Result<(), redb::Error>,
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
];

/// The schema version this build writes.
pub fn latest(migrations: &[Migration]) -> u32 {
    migrations.last().map_or(0, |m| m.version)
}

fn create_v1_tables(tx: &WriteTransaction) -> Result<(), redb::Error> {
    tx.open_table(tables::NOTICES)?;
    tx.open_table(tables::CHANNELS)?;
    tx.open_table(tables::LEADS)?;
    tx.open_table(tables::CHANNEL_SEARCH)?;
    tx.open_table(tables::LEAD_SEARCH)?;
    Ok(())
}

fn create_change_log(tx: &WriteTransaction) -> Result<(), redb::Error> {
    tx.open_table(tables::CHANGES)?;
    Ok(())
}

fn create_visits(tx: &WriteTransaction) -> Result<(), redb::Error> {
    tx.open_table(tables::VISITS)?;
    tx.open_multimap_table(tables::LEAD_VISITS)?;
    tx.open_table(tables::DRAFTS)?;
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
pub fn run(db: &Database, migrations: &[Migration]) -> Result<Outcome, redb::Error> {
    let from = stored_version(db)?;
    let to = latest(migrations);
    if from > to {
        return Ok(Outcome::Newer(from));
    }
    if from == to {
        return Ok(Outcome::Current);
    }
    let tx = db.begin_write()?;
    for migration in migrations.iter().filter(|m| m.version > from) {
        (migration.apply)(&tx)?;
    }
    {
        let mut table = tx.open_table(tables::META)?;
        table.insert(meta::SCHEMA_VERSION, to.to_string().as_str())?;
    }
    tx.commit()?;
    Ok(Outcome::Migrated(from, to))
}

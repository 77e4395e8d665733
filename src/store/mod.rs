//! The redb store: open or create, migrate, seed, read and write records.

mod migrate;
pub mod tables;

use std::path::{Path, PathBuf};

use redb::backends::InMemoryBackend;
use redb::{
    Database, DatabaseError, ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use migrate::{MIGRATIONS, Migration, Outcome, latest, run as migrate_with};

use crate::error::{Error, RecordKind, Result};
use crate::model::{Channel, Lead, Notice, NoticeMeta};
use crate::notice;
use crate::search::key;
use tables::meta;

/// Who this store belongs to, set at `init`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub device_id: String,
    pub device_name: String,
    pub inspector: String,
    pub created: String,
}

/// Names given to `init`; `None` keeps what the store has (or a default for a new store).
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    pub inspector: Option<String>,
    pub device: Option<String>,
}

/// What importing a notice did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    pub notice: String,
    pub number: String,
    pub channels_added: usize,
    pub leads_added: usize,
    /// Rows whose id the store already holds: left as they are (their local state is kept).
    pub already_present: usize,
}

pub struct Store {
    db: Database,
    path: PathBuf,
}

/// Converts any redb error into ours.
fn db_err<E: Into<redb::Error>>(e: E) -> Error {
    Error::Store {
        detail: e.into().to_string(),
    }
}

impl Store {
    /// Opens the store at `path`, creating, migrating and seeding it as needed.
    pub fn open(path: &Path, init: &InitOptions) -> Result<Store> {
        let open_err = |detail: String| Error::StoreOpen {
            path: path.to_path_buf(),
            detail,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| open_err(e.to_string()))?;
        }
        if path.is_dir() {
            return Err(open_err("it is a folder".into()));
        }
        let db = Database::builder().create(path).map_err(|e| match e {
            DatabaseError::DatabaseAlreadyOpen => Error::StoreInUse {
                path: path.to_path_buf(),
            },
            DatabaseError::Storage(redb::StorageError::Io(io))
                if io.kind() != std::io::ErrorKind::InvalidData =>
            {
                open_err(io.to_string())
            }
            other => Error::StoreDamaged {
                path: path.to_path_buf(),
                detail: other.to_string(),
            },
        })?;
        Store::prepare(db, path.to_path_buf(), init)
    }

    /// A store held in memory only (tests, previews), seeded like a new file.
    pub fn memory(init: &InitOptions) -> Result<Store> {
        let db = Database::builder()
            .create_with_backend(InMemoryBackend::new())
            .map_err(db_err)?;
        Store::prepare(db, PathBuf::from(":memory:"), init)
    }

    fn migrate(db: &Database, path: &Path, migrations: &[Migration]) -> Result<Outcome> {
        match migrate::run(db, migrations).map_err(db_err)? {
            Outcome::Newer(found) => Err(Error::StoreNewer {
                path: path.to_path_buf(),
                found,
                supported: latest(migrations),
            }),
            outcome => Ok(outcome),
        }
    }

    fn prepare(db: Database, path: PathBuf, init: &InitOptions) -> Result<Store> {
        Store::migrate(&db, &path, MIGRATIONS)?;
        let store = Store { db, path };
        store.initialise(init)?;
        Ok(store)
    }

    /// Gives a new store its identity and the seed notice; applies names given to `init`.
    fn initialise(&self, init: &InitOptions) -> Result<()> {
        let identity = self.identity_opt()?;
        let renames = identity.as_ref().is_some_and(|id| {
            init.inspector.as_ref().is_some_and(|n| *n != id.inspector)
                || init.device.as_ref().is_some_and(|n| *n != id.device_name)
        });
        if identity.is_some() && !renames {
            return Ok(());
        }
        let seed = if identity.is_none() {
            Some(notice::seed()?)
        } else {
            None
        };
        let tx = self.db.begin_write().map_err(db_err)?;
        {
            let mut table = tx.open_table(tables::META).map_err(db_err)?;
            let mut set = |k: &str, v: &str| table.insert(k, v).map(|_| ()).map_err(db_err);
            if identity.is_none() {
                set(meta::DEVICE_ID, &uuid::Uuid::now_v7().to_string())?;
                set(meta::CREATED, &chrono::Utc::now().to_rfc3339())?;
                set(
                    meta::INSPECTOR,
                    init.inspector.as_deref().unwrap_or(&default_inspector()),
                )?;
                set(
                    meta::DEVICE_NAME,
                    init.device.as_deref().unwrap_or(&default_device()),
                )?;
            } else {
                if let Some(name) = &init.inspector {
                    set(meta::INSPECTOR, name)?;
                }
                if let Some(name) = &init.device {
                    set(meta::DEVICE_NAME, name)?;
                }
            }
        }
        if let Some(seed) = &seed {
            write_notice(&tx, seed)?;
        }
        tx.commit().map_err(db_err)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn identity_opt(&self) -> Result<Option<Identity>> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::META).map_err(db_err)?;
        let get = |k: &str| -> Result<Option<String>> {
            Ok(table.get(k).map_err(db_err)?.map(|v| v.value().to_string()))
        };
        let Some(device_id) = get(meta::DEVICE_ID)? else {
            return Ok(None);
        };
        Ok(Some(Identity {
            device_id,
            device_name: get(meta::DEVICE_NAME)?.unwrap_or_default(),
            inspector: get(meta::INSPECTOR)?.unwrap_or_default(),
            created: get(meta::CREATED)?.unwrap_or_default(),
        }))
    }

    /// The store's device id, device name and inspector.
    pub fn identity(&self) -> Result<Identity> {
        self.identity_opt()?.ok_or_else(|| Error::Store {
            detail: "the store has no identity".into(),
        })
    }

    /// The schema version written in the file.
    pub fn schema_version(&self) -> Result<u32> {
        migrate::stored_version(&self.db).map_err(db_err)
    }

    /// Adds a parsed notice's channels and leads in one transaction. Rows already held (same
    /// id) are left as they are, so importing the same notice twice changes nothing.
    pub fn import_notice(&self, notice: &Notice) -> Result<ImportSummary> {
        let tx = self.db.begin_write().map_err(db_err)?;
        let summary = write_notice(&tx, notice)?;
        tx.commit().map_err(db_err)?;
        Ok(summary)
    }

    pub fn notices(&self) -> Result<Vec<NoticeMeta>> {
        self.all(tables::NOTICES)
    }

    /// Every channel, in notice and table order.
    pub fn channels(&self) -> Result<Vec<Channel>> {
        let mut channels: Vec<Channel> = self.all(tables::CHANNELS)?;
        channels.sort_by(|a, b| crate::model::id_order(&a.id, &b.id));
        Ok(channels)
    }

    /// Every lead, in notice and table order.
    pub fn leads(&self) -> Result<Vec<Lead>> {
        let mut leads: Vec<Lead> = self.all(tables::LEADS)?;
        leads.sort_by(|a, b| crate::model::id_order(&a.id, &b.id));
        Ok(leads)
    }

    /// A channel by id, or by a unique id suffix such as `a2/15`.
    pub fn channel(&self, id: &str) -> Result<Channel> {
        self.one(tables::CHANNELS, RecordKind::Channel, id)
    }

    /// A lead by id, or by a unique id suffix such as `a3/1`.
    pub fn lead(&self, id: &str) -> Result<Lead> {
        self.one(tables::LEADS, RecordKind::Lead, id)
    }

    /// The stored search keys of one kind of record, as (id, key) pairs.
    pub fn search_keys(&self, kind: RecordKind) -> Result<Vec<(String, String)>> {
        let def = match kind {
            RecordKind::Lead => tables::LEAD_SEARCH,
            RecordKind::Channel => tables::CHANNEL_SEARCH,
        };
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(def).map_err(db_err)?;
        table
            .iter()
            .map_err(db_err)?
            .map(|entry| {
                let (k, v) = entry.map_err(db_err)?;
                Ok((k.value().to_string(), v.value().to_string()))
            })
            .collect()
    }

    fn all<T: DeserializeOwned>(&self, def: TableDefinition<&str, &str>) -> Result<Vec<T>> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(def).map_err(db_err)?;
        table
            .iter()
            .map_err(db_err)?
            .map(|entry| {
                let (k, v) = entry.map_err(db_err)?;
                decode(k.value(), v.value())
            })
            .collect()
    }

    fn one<T: DeserializeOwned>(
        &self,
        def: TableDefinition<&str, &str>,
        kind: RecordKind,
        id: &str,
    ) -> Result<T> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(def).map_err(db_err)?;
        if let Some(v) = table.get(id).map_err(db_err)? {
            return decode(id, v.value());
        }
        let suffix = format!("/{}", id.trim_start_matches('/'));
        let mut found = Vec::new();
        for entry in table.iter().map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            if !id.is_empty() && k.value().ends_with(&suffix) {
                found.push((k.value().to_string(), v.value().to_string()));
            }
        }
        match found.len() {
            1 => decode(&found[0].0, &found[0].1),
            0 => Err(Error::UnknownId {
                kind,
                id: id.to_string(),
            }),
            _ => Err(Error::AmbiguousId {
                kind,
                id: id.to_string(),
                candidates: found.into_iter().map(|(k, _)| k).collect(),
            }),
        }
    }
}

fn decode<T: DeserializeOwned>(key: &str, json: &str) -> Result<T> {
    serde_json::from_str(json).map_err(|e| Error::Store {
        detail: format!("record {key} cannot be read: {e}"),
    })
}

fn encode<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Store {
        detail: e.to_string(),
    })
}

/// Writes a notice's metadata and every row not yet held, with its search key.
fn write_notice(tx: &WriteTransaction, notice: &Notice) -> Result<ImportSummary> {
    let mut summary = ImportSummary {
        notice: notice.meta.id.clone(),
        number: notice.meta.number.clone(),
        channels_added: 0,
        leads_added: 0,
        already_present: 0,
    };
    let mut notices = tx.open_table(tables::NOTICES).map_err(db_err)?;
    if notices
        .get(notice.meta.id.as_str())
        .map_err(db_err)?
        .is_none()
    {
        notices
            .insert(notice.meta.id.as_str(), encode(&notice.meta)?.as_str())
            .map_err(db_err)?;
    }
    let mut channels = tx.open_table(tables::CHANNELS).map_err(db_err)?;
    let mut channel_keys = tx.open_table(tables::CHANNEL_SEARCH).map_err(db_err)?;
    for channel in &notice.channels {
        let id = channel.id.as_str();
        if channels.get(id).map_err(db_err)?.is_some() {
            summary.already_present += 1;
            continue;
        }
        channels
            .insert(id, encode(channel)?.as_str())
            .map_err(db_err)?;
        channel_keys
            .insert(id, key::channel_key(channel).as_str())
            .map_err(db_err)?;
        summary.channels_added += 1;
    }
    let mut leads = tx.open_table(tables::LEADS).map_err(db_err)?;
    let mut lead_keys = tx.open_table(tables::LEAD_SEARCH).map_err(db_err)?;
    for lead in &notice.leads {
        let id = lead.id.as_str();
        if leads.get(id).map_err(db_err)?.is_some() {
            summary.already_present += 1;
            continue;
        }
        leads.insert(id, encode(lead)?.as_str()).map_err(db_err)?;
        lead_keys
            .insert(id, key::lead_key(lead).as_str())
            .map_err(db_err)?;
        summary.leads_added += 1;
    }
    Ok(summary)
}

/// The login name, else a neutral placeholder.
fn default_inspector() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "inspector".into())
}

fn default_device() -> String {
    gethostname::gethostname().to_string_lossy().into_owned()
}

/// Where the store lives when neither `--store` nor `FIELDCHECK_STORE` says.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "fieldcheck").map(|d| d.data_dir().join("store.redb"))
}

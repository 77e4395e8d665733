//! The redb store: open or create, migrate, seed, read and write records.

mod ancestry;
mod backup;
mod changes;
mod devices;
mod digest;
mod export;
mod heads;
mod import;
mod lead_rows;
mod log_spans;
mod merge;
mod migrate;
mod placement;
pub mod private;
mod quarantine;
mod rebuild;
mod records;
mod replay;
mod roster;
mod rows;
mod site_leads;
mod sync;
pub mod tables;
mod verdict;
mod verify;
mod visit_rows;
mod visits;

use std::path::{Path, PathBuf};

use redb::backends::InMemoryBackend;
use redb::{Database, DatabaseError, ReadableDatabase};
use serde::Serialize;

pub use backup::{Copied, restore};
pub use devices::{Device, TrustOptions, Vouch};
pub use export::{ExportOptions, Exported};
pub use heads::Head;
pub use import::{ImportOptions, Imported};
pub use merge::winner;
pub use migrate::{MIGRATIONS, Migration, Outcome, latest, run as migrate_with};
pub use quarantine::{Dispute, Quarantined, Reason};
pub use records::records_decoded;
pub use sync::{Conflict, DeviceSeen, Gap, Keep, SyncStatus};
pub use verify::Difference;
pub use visits::Finalized;

use crate::error::{DiskFault, Error, Result, Target};
use crate::notice;
use crate::sync::keys;
use tables::meta;

/// Who this store belongs to, set at `init`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub device_id: String,
    pub device_name: String,
    pub inspector: String,
    pub created: String,
    /// The inspector's own district, for the "my district" filter.
    pub district: Option<String>,
    /// This device's peer key (`fc1:<device id>:<ed25519 hex>:<age1…>`): what another store's
    /// `trust add` takes.
    pub public_key: String,
    /// The peer key's fingerprint, for people to compare.
    pub fingerprint: String,
}

/// Names given to `init`; `None` keeps what the store has (or a default for a new store).
#[derive(Debug, Clone, Default)]
pub struct InitOptions {
    pub inspector: Option<String>,
    pub device: Option<String>,
    pub district: Option<String>,
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
    /// The private keys, read from the key file when first needed (a store in memory makes them
    /// at once and keeps them only here).
    keys: std::sync::OnceLock<std::sync::Arc<keys::Keys>>,
    /// The wall clock, milliseconds since the epoch: injected so that tests can set it.
    wall: WallClock,
    /// Where long work (import, export, verify, a notice) reports its progress, if anywhere.
    progress: std::sync::RwLock<Option<crate::progress::Sink>>,
}

/// The progress sink taken from a store while other work reports through it; given back on drop.
pub(crate) struct Hushed<'a> {
    store: &'a Store,
    pub sink: Option<crate::progress::Sink>,
}

impl Drop for Hushed<'_> {
    fn drop(&mut self) {
        if let Ok(mut slot) = self.store.progress.write() {
            *slot = self.sink.take();
        }
    }
}

/// A source of wall-clock time in milliseconds since the epoch.
pub type WallClock = std::sync::Arc<dyn Fn() -> u64 + Send + Sync>;

/// redb's page cache: enough for the working set of a laptop's store, small enough that a search
/// over a million leads does not hold the whole file in memory.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// The page cache of a command that reads tables through once (a listing, a report): its scans
/// gain nothing from a larger one (1M leads, 2M visits: `visit list` 352–355 MB with 64 MiB,
/// 300–303 MB with 16 MiB, as fast).
const READ_THROUGH_CACHE_BYTES: usize = 16 * 1024 * 1024;

/// The path a store in memory reports.
const MEMORY: &str = ":memory:";

/// Converts any redb error into ours; a full, read-only or forbidden disk is named as such.
fn db_err<E: Into<redb::Error>>(e: E) -> Error {
    let e = e.into();
    if let redb::Error::Io(io) = &e
        && let Some(fault) = DiskFault::of(io)
    {
        return Error::Disk {
            fault,
            target: Target::Store(None),
        };
    }
    Error::Store {
        detail: e.to_string(),
    }
}

/// An I/O error creating or opening the store at `path`.
fn open_err(path: &Path, e: std::io::Error) -> Error {
    match DiskFault::of(&e) {
        Some(fault) => Error::Disk {
            fault,
            target: Target::Store(Some(path.to_path_buf())),
        },
        None => Error::StoreOpen {
            path: path.to_path_buf(),
            detail: e.to_string(),
        },
    }
}

impl Store {
    /// Opens the store at `path`, creating, migrating and seeding it as needed.
    pub fn open(path: &Path, init: &InitOptions) -> Result<Store> {
        Store::open_with(path, init, CACHE_BYTES)
    }

    /// Opens the store at `path` as `open` does, for a command that reads its tables through
    /// once (a listing, a report): with a smaller page cache.
    pub fn open_to_read_through(path: &Path) -> Result<Store> {
        Store::open_with(path, &InitOptions::default(), READ_THROUGH_CACHE_BYTES)
    }

    fn open_with(path: &Path, init: &InitOptions, cache: usize) -> Result<Store> {
        let open_err = |e| open_err(path, e);
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            private::create_dir(parent).map_err(open_err)?;
        }
        if path.is_dir() {
            return Err(Error::StoreIsFolder {
                path: path.to_path_buf(),
            });
        }
        // A new store starts as an empty owner-only file; redb initialises an empty file.
        let new = !path.exists();
        let key_was_there = keys::key_path(path).exists();
        if new {
            private::open_append(path).map_err(open_err)?;
        }
        let opened = Store::open_file(path, init, cache);
        // A store that could not be made (a full disk, say) is removed with the key made for it,
        // so the next try starts afresh instead of finding a broken file. Not when another
        // process holds it: that process made it and is using it.
        if new && matches!(&opened, Err(e) if !matches!(e, Error::StoreInUse { .. })) {
            let _ = std::fs::remove_file(path);
            if !key_was_there {
                let _ = std::fs::remove_file(keys::key_path(path));
            }
        }
        opened
    }

    /// Opens (or initialises) the store file at `path`, which exists.
    fn open_file(path: &Path, init: &InitOptions, cache: usize) -> Result<Store> {
        let db = Database::builder()
            .set_cache_size(cache)
            .create(path)
            .map_err(|e| match e {
                DatabaseError::DatabaseAlreadyOpen => Error::StoreInUse {
                    path: path.to_path_buf(),
                },
                DatabaseError::Storage(redb::StorageError::Io(io))
                    if io.kind() != std::io::ErrorKind::InvalidData =>
                {
                    open_err(path, io)
                }
                other => Error::StoreDamaged {
                    path: path.to_path_buf(),
                    detail: other.to_string(),
                },
            })?;
        let store = Store::prepare(db, path.to_path_buf(), init)?;
        backup::finish_interrupted_restore(&store);
        Ok(store)
    }

    /// A store held in memory only (tests, previews), seeded like a new file.
    pub fn memory(init: &InitOptions) -> Result<Store> {
        let db = Database::builder()
            .create_with_backend(InMemoryBackend::new())
            .map_err(db_err)?;
        Store::prepare(db, PathBuf::from(MEMORY), init)
    }

    fn migrate(db: &Database, path: &Path, migrations: &[Migration]) -> Result<Outcome> {
        match migrate::run(db, migrations)? {
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
        let store = Store {
            db,
            path,
            keys: std::sync::OnceLock::new(),
            wall: std::sync::Arc::new(crate::sync::clock::now_ms),
            progress: std::sync::RwLock::new(None),
        };
        store.initialise(init)?;
        store.ensure_keys()?;
        Ok(store)
    }

    fn in_memory(&self) -> bool {
        self.path.as_os_str() == MEMORY
    }

    /// Gives the store its keys if it has none yet (a new store, or one from before sync), and
    /// brings a store from before signed changes up to date: its peer key, its own device entry,
    /// and a signature on every change of its own log.
    fn ensure_keys(&self) -> Result<()> {
        if self.meta(meta::PUBLIC_KEY)?.is_none() {
            let fresh = keys::Keys::generate()?;
            if !self.in_memory() {
                keys::save(&keys::key_path(&self.path), &fresh, None)?;
            }
            let tx = self.db.begin_write().map_err(db_err)?;
            tx.open_table(tables::META)
                .map_err(db_err)?
                .insert(meta::PUBLIC_KEY, keys::public_hex(&fresh.signing).as_str())
                .map_err(db_err)?;
            tx.commit().map_err(db_err)?;
            let _ = self.keys.set(std::sync::Arc::new(fresh));
        }
        if self.meta(meta::PEER_KEY)?.is_none() {
            devices::enrol_self(self)?;
        }
        Ok(())
    }

    /// This store's private keys (a protected key file is unlocked with `FIELDCHECK_PASSPHRASE`).
    pub fn keys(&self) -> Result<std::sync::Arc<keys::Keys>> {
        if let Some(k) = self.keys.get() {
            return Ok(k.clone());
        }
        let loaded = std::sync::Arc::new(keys::load(&keys::key_path(&self.path))?);
        let public = self.meta(meta::PUBLIC_KEY)?.unwrap_or_default();
        if keys::public_hex(&loaded.signing) != public {
            return Err(Error::KeyMismatch {
                path: keys::key_path(&self.path),
            });
        }
        Ok(self.keys.get_or_init(|| loaded).clone())
    }

    /// Rewrites the key file sealed with `passphrase` (age's scrypt), or plain with `None`.
    pub fn protect_key(&self, passphrase: Option<&str>) -> Result<()> {
        let keys = self.keys()?;
        if self.in_memory() {
            return Ok(());
        }
        keys::save(&keys::key_path(&self.path), &keys, passphrase)
    }

    /// This device's private signing key.
    pub fn signing_key(&self) -> Result<ed25519_dalek::SigningKey> {
        Ok(self.keys()?.signing.clone())
    }

    /// Uses `wall` as the wall clock (milliseconds since the epoch) from now on.
    pub fn with_wall_clock(mut self, wall: impl Fn() -> u64 + Send + Sync + 'static) -> Store {
        self.wall = std::sync::Arc::new(wall);
        self
    }

    /// Sends the progress of long work to `sink` from now on (the command line's bar, the
    /// terminal app's status line).
    pub fn report_progress(&self, sink: crate::progress::Sink) {
        if let Ok(mut slot) = self.progress.write() {
            *slot = Some(sink);
        }
    }

    /// A meter of `total` units of `stage`, told to the sink if there is one.
    pub(crate) fn meter(
        &self,
        stage: crate::progress::Stage,
        total: u64,
    ) -> crate::progress::Meter {
        let sink = self.progress.read().ok().and_then(|s| s.clone());
        crate::progress::Meter::new(sink, stage, total)
    }

    /// Takes the progress sink away until the guard is dropped: work made of other reported
    /// work (`dev generate`'s imports) reports only its own progress, through the guard's sink.
    pub(crate) fn hush(&self) -> Hushed<'_> {
        let sink = self.progress.write().ok().and_then(|mut s| s.take());
        Hushed { store: self, sink }
    }

    /// The wall clock now, in milliseconds since the epoch.
    pub fn now_ms(&self) -> u64 {
        (self.wall)()
    }

    /// A value of the meta table.
    pub(crate) fn meta(&self, key: &str) -> Result<Option<String>> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::META).map_err(db_err)?;
        let value = table.get(key).map_err(db_err)?;
        Ok(value.map(|v| v.value().to_string()))
    }

    /// Gives a new store its identity and the seed notice; applies names given to `init`.
    fn initialise(&self, init: &InitOptions) -> Result<()> {
        let identity = self.identity_opt()?;
        let renames = identity.as_ref().is_some_and(|id| {
            init.inspector.as_ref().is_some_and(|n| *n != id.inspector)
                || init.device.as_ref().is_some_and(|n| *n != id.device_name)
                || init.district.is_some() && init.district != id.district
        });
        let names_given =
            init.inspector.is_some() || init.device.is_some() || init.district.is_some();
        let confirms = names_given && !self.identity_set()?;
        if identity.is_some() && !renames && !confirms {
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
            if let Some(district) = &init.district {
                set(meta::DISTRICT, district)?;
            }
            if names_given {
                set(meta::IDENTITY_SET, "yes")?;
            }
        }
        if let Some(seed) = &seed {
            // The built-in notice is every store's common ground: not logged.
            records::write_notice(
                &tx,
                seed,
                &mut crate::progress::Meter::new(None, crate::progress::Stage::Applying, 0),
            )?;
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
            district: get(meta::DISTRICT)?,
            fingerprint: get(meta::PEER_KEY)?
                .map(|k| keys::fingerprint(&k))
                .unwrap_or_default(),
            public_key: get(meta::PEER_KEY)?.unwrap_or_default(),
        }))
    }

    /// Were the inspector's and the device's names chosen (`init` with a name, or the app's
    /// identity screen), rather than taken from the login and host names?
    pub fn identity_set(&self) -> Result<bool> {
        Ok(self.meta(meta::IDENTITY_SET)?.is_some())
    }

    /// Sets the names this store writes its changes with, as the app's identity screen chose
    /// them: the inspector and the device must not be empty; an empty district clears it.
    pub fn set_identity(&self, inspector: &str, device: &str, district: &str) -> Result<()> {
        let (inspector, device, district) = (inspector.trim(), device.trim(), district.trim());
        if inspector.is_empty() || device.is_empty() {
            return Err(Error::Store {
                detail: "the inspector's and the device's names must not be empty".into(),
            });
        }
        let tx = self.db.begin_write().map_err(db_err)?;
        {
            let mut table = tx.open_table(tables::META).map_err(db_err)?;
            table.insert(meta::INSPECTOR, inspector).map_err(db_err)?;
            table.insert(meta::DEVICE_NAME, device).map_err(db_err)?;
            if district.is_empty() {
                table.remove(meta::DISTRICT).map_err(db_err)?;
            } else {
                table.insert(meta::DISTRICT, district).map_err(db_err)?;
            }
            table.insert(meta::IDENTITY_SET, "yes").map_err(db_err)?;
        }
        tx.commit().map_err(db_err)
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

/// Where the terminal app writes its log.
pub fn log_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "fieldcheck")
        .map(|d| d.data_dir().join("fieldcheck.log"))
}

/// Where the store lives when neither `--store` nor `FIELDCHECK_STORE` says.
pub fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "fieldcheck").map(|d| d.data_dir().join("store.redb"))
}

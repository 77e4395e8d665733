//! Backup and restore: a copy of the store file and its private key, made while this process
//! holds the store (so nothing writes meanwhile), and checked by opening the copy and replaying
//! its change log before it counts.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{InitOptions, Store};
use crate::error::{Error, Result};
use crate::sync::keys::{self, key_path};

/// A checked copy: where it is and what it holds.
#[derive(Debug, Clone, Serialize)]
pub struct Copied {
    pub path: String,
    pub bytes: u64,
    pub leads: usize,
    pub visits: usize,
    pub changes: u64,
}

impl Store {
    /// Copies this store to `out` and its key to `out.key`, checks the copy under a staged
    /// name, and only then puts it in place. An existing `out` is replaced only with `force`.
    pub fn backup(&self, out: &Path, force: bool) -> Result<Copied> {
        refuse_existing(out, force)?;
        let key = key_path(self.path());
        let protect = if keys::is_protected(&key) || !key.exists() {
            None
        } else {
            // Never a plain key beside a plain copy: the copy's key is sealed with a passphrase.
            let passphrase =
                std::env::var(keys::PASSPHRASE_ENV).map_err(|_| Error::BackupNeedsPassphrase)?;
            Some((self.keys()?, passphrase))
        };
        let copied = staged_copy(
            self.path(),
            out,
            protect.as_ref().map(|(k, p)| (&**k, p.as_str())),
        )?;
        place(&sibling(out, "staging"), out)?;
        Ok(copied)
    }
}

/// Replaces the store at `to` (and its key) with the backup at `from`, after checking the
/// backup. An existing store is replaced only with `force`, and never while another process
/// has it open; a damaged one can be replaced.
pub fn restore(from: &Path, to: &Path, force: bool) -> Result<Copied> {
    if !from.is_file() {
        return Err(Error::NoStoreAt {
            path: from.to_path_buf(),
        });
    }
    refuse_existing(to, force)?;
    // Held until replaced, so no other process opens the old file meanwhile.
    let current = match to.exists() {
        true => match Store::open(to, &InitOptions::default()) {
            Ok(store) => Some(store),
            Err(e @ Error::StoreInUse { .. }) => return Err(e),
            Err(_) => None,
        },
        false => None,
    };
    let copied = staged_copy(from, to, None).map_err(|e| naming(e, from))?;
    place(&sibling(to, "staging"), to)?;
    drop(current);
    Ok(copied)
}

/// Copies `from` and its key beside `to` under a staged name and checks the copy; on any
/// failure the staged files are removed. The result names `to`.
fn staged_copy(from: &Path, to: &Path, protect: Option<(&keys::Keys, &str)>) -> Result<Copied> {
    let staged = sibling(to, "staging");
    let result = copy_with_key(from, &staged, protect).and_then(|()| checked(&staged));
    if result.is_err() {
        let _ = std::fs::remove_file(&staged);
        let _ = std::fs::remove_file(key_path(&staged));
    }
    Ok(Copied {
        path: to.display().to_string(),
        ..result?
    })
}

/// Puts the key of a restore that stopped between its two renames into place. The store was
/// renamed first, so a staged key without a staged store beside it is the new store's key: it
/// is moved beside the store if it is the key the store's identity names (otherwise it is not
/// this store's and is left alone). Runs whenever a store is opened.
pub(super) fn finish_interrupted_restore(store: &Store) {
    let staged = sibling(store.path(), "staging");
    let staged_key = key_path(&staged);
    if staged.exists() || !staged_key.exists() {
        return;
    }
    let ours = keys::load(&staged_key).is_ok_and(|key| {
        store
            .identity()
            .is_ok_and(|id| id.public_key == key.peer(&id.device_id).to_string())
    });
    if !ours {
        return;
    }
    match std::fs::rename(&staged_key, key_path(store.path())) {
        Ok(()) => {
            sync_folder(store.path());
            tracing::info!(store = %store.path().display(), "finished an interrupted restore: key put in place");
        }
        Err(e) => tracing::warn!(error = %e, "could not finish an interrupted restore"),
    }
}

/// Renames the staged store and key into place: the store first, then its key, each atomic.
/// Stopped between the two, the store is the new one and its key waits under the staged name;
/// the next open of the store finishes the job (`finish_interrupted_restore`).
fn place(staged: &Path, to: &Path) -> Result<()> {
    let fail = write_error(to);
    std::fs::rename(staged, to).map_err(&fail)?;
    match std::fs::rename(key_path(staged), key_path(to)) {
        // Another process opened the new store in between and put its key in place.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && key_path(to).exists() => {}
        other => other.map_err(&fail)?,
    }
    sync_folder(to);
    Ok(())
}

/// The error about the staged copy, told of the backup it came from.
fn naming(error: Error, from: &Path) -> Error {
    let path = from.to_path_buf();
    match error {
        Error::StoreDamaged { detail, .. } => Error::StoreDamaged { path, detail },
        Error::StoreNewer {
            found, supported, ..
        } => Error::StoreNewer {
            path,
            found,
            supported,
        },
        other => other,
    }
}

fn refuse_existing(path: &Path, force: bool) -> Result<()> {
    if path.exists() && !force {
        return Err(Error::WouldReplace {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// Opens the copy, checks that its key is the one its identity names, replays its log and
/// compares; counts what it holds.
fn checked(path: &Path) -> Result<Copied> {
    let store = Store::open(path, &InitOptions::default())?;
    match store.keys() {
        Ok(_) => {}
        Err(e @ Error::KeyLocked { .. }) => return Err(e),
        Err(_) => {
            return Err(Error::StoreDamaged {
                path: path.to_path_buf(),
                detail: "its private key (.key beside it) is missing or belongs to another store"
                    .into(),
            });
        }
    }
    let differences = store.verify()?;
    if !differences.is_empty() {
        return Err(Error::Inconsistent {
            entities: differences.into_iter().map(|d| d.entity).collect(),
        });
    }
    Ok(Copied {
        path: path.display().to_string(),
        bytes: std::fs::metadata(path).map_err(write_error(path))?.len(),
        leads: store.leads()?.len(),
        visits: store.visits(None)?.len(),
        changes: store.change_count()?,
    })
}

/// Copies `from` to `to` and `from`'s key (if any) to `to`'s, each owner-only through a synced
/// temporary file renamed into place, so a crash leaves the old file or the whole new one.
fn copy_with_key(from: &Path, to: &Path, protect: Option<(&keys::Keys, &str)>) -> Result<()> {
    let copy = |from: &Path, to: &Path| {
        crate::files::copy_private(from, to)
            .map(|_| ())
            .map_err(write_error(to))
    };
    copy(from, to)?;
    let key = key_path(from);
    match protect {
        Some((keys, passphrase)) => keys::save(&key_path(to), keys, Some(passphrase))?,
        None if key.exists() => copy(&key, &key_path(to))?,
        None => {}
    }
    Ok(())
}

/// `.<name>.<suffix>` beside `path`.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.{suffix}"))
}

fn sync_folder(path: &Path) {
    #[cfg(unix)]
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty())
        && let Ok(dir) = std::fs::File::open(folder)
    {
        let _ = dir.sync_all();
    }
}

fn write_error(path: &Path) -> impl Fn(std::io::Error) -> Error {
    let path = path.to_path_buf();
    move |e| Error::writing(&path, &e)
}

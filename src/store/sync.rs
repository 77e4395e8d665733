//! Sync on the store: export bundles, import them (checked before anything is written, applied
//! in one transaction), conflicts and their resolution, status, trust, and `verify`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use redb::{ReadableDatabase, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::changes::append_merging;
use super::merge::{Batch, Head, head_key, read_heads, winner};
use super::records::{decode, encode};
use super::{Store, db_err, tables, tables::meta};
use crate::error::{Error, Result};
use crate::sync::bundle::{self, Problem};
use crate::sync::{Change, Hlc};

/// A device whose bundles this store accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trusted {
    pub key: String,
    pub name: String,
    pub added: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exported {
    pub path: PathBuf,
    pub changes: usize,
    pub devices: usize,
}

/// Idx ranges of a device's log not seen yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gap {
    pub device: String,
    pub from: u64,
    pub to: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Imported {
    pub applied: usize,
    pub duplicates: usize,
    /// Registers this bundle touched that now hold concurrent different values.
    pub conflicts: usize,
    pub gaps: Vec<Gap>,
    /// Changes dated more than a day ahead of this machine's clock (accepted: the sender's
    /// clock is probably wrong), and the latest of their times.
    pub ahead: usize,
    pub ahead_until: Option<String>,
}

impl Imported {
    /// The warning for changes dated far ahead, if there were any.
    pub fn ahead_warning(&self, lang: crate::i18n::Lang) -> Option<String> {
        let until = self.ahead_until.as_deref()?;
        Some(match lang {
            crate::i18n::Lang::Zh => format!(
                "注意：{} 条变更的时间比本机时钟晚一天以上（最晚 {until}），已接受；发送设备的时钟可能有误，请核对后校正。",
                self.ahead
            ),
            crate::i18n::Lang::En => format!(
                "note: {} changes are dated more than a day ahead of this machine's clock (latest {until}); they were accepted. The sending device's clock is probably wrong: check and correct it.",
                self.ahead
            ),
        })
    }
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
}

fn conflict_id(key: &str) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..4])
}

impl Store {
    /// Where bundles go by default: `bundles/` beside the store.
    pub fn bundles_dir(&self) -> PathBuf {
        self.path.parent().unwrap_or(Path::new(".")).join("bundles")
    }

    fn own_changes(&self, after: u64) -> Result<Vec<Change>> {
        let device = self.identity()?.device_id;
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::CHANGES).map_err(db_err)?;
        let mut out = Vec::new();
        for entry in table
            .range((device.as_str(), after + 1)..=(device.as_str(), u64::MAX))
            .map_err(db_err)?
        {
            let (k, v) = entry.map_err(db_err)?;
            out.push(decode(&k.value().1.to_string(), v.value())?);
        }
        Ok(out)
    }

    fn exported_idx(&self) -> Result<u64> {
        Ok(self
            .meta(meta::EXPORTED_IDX)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Writes the changes not exported yet (or, with `all`, every change held, from every device)
    /// to a signed bundle: a temp file, fsynced, renamed; only then does the watermark move.
    /// `None` when there is nothing to export.
    pub fn export(
        &self,
        all: bool,
        out: Option<&Path>,
        today: chrono::NaiveDate,
    ) -> Result<Option<Exported>> {
        let identity = self.identity()?;
        let changes = if all {
            self.changes()?
        } else {
            self.own_changes(self.exported_idx()?)?
        };
        if changes.is_empty() {
            return Ok(None);
        }
        let bytes = bundle::write(
            &changes,
            &identity.device_id,
            &identity.inspector,
            &self.signing_key()?,
        );
        let own: Vec<u64> = changes
            .iter()
            .filter(|c| c.device == identity.device_id)
            .map(|c| c.idx)
            .collect();
        let path = match out {
            Some(p) => p.to_path_buf(),
            None => {
                let date = today.format("%Y%m%d");
                let name = if all {
                    format!("{}-{date}-all-{}.fcb", identity.device_id, changes.len())
                } else {
                    let first = own.first().copied().unwrap_or(0);
                    let last = own.last().copied().unwrap_or(0);
                    format!("{}-{date}-{first}-{last}.fcb", identity.device_id)
                };
                self.bundles_dir().join(name)
            }
        };
        write_bundle(&path, &bytes, &identity.device_id)?;
        let tx = self.db.begin_write().map_err(db_err)?;
        {
            let mut table = tx.open_table(tables::META).map_err(db_err)?;
            if let Some(last) = own.iter().max() {
                let before: u64 = table
                    .get(meta::EXPORTED_IDX)
                    .map_err(db_err)?
                    .and_then(|v| v.value().parse().ok())
                    .unwrap_or(0);
                table
                    .insert(meta::EXPORTED_IDX, before.max(*last).to_string().as_str())
                    .map_err(db_err)?;
            }
            let note = format!("{} {}", chrono::Utc::now().to_rfc3339(), path.display());
            table
                .insert(meta::LAST_EXPORT, note.as_str())
                .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)?;
        let devices = changes
            .iter()
            .map(|c| c.device.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        Ok(Some(Exported {
            path,
            changes: changes.len(),
            devices,
        }))
    }

    /// Checks a bundle (format, version, checksum, signature, trust) and applies all of it in one
    /// transaction, or nothing. `trust_new` trusts an unknown signer (its key is in the result's
    /// error otherwise).
    pub fn import(&self, bytes: &[u8], file: &str, trust_new: bool) -> Result<Imported> {
        let refuse = |problem: Problem| Error::Bundle {
            file: file.to_string(),
            problem,
        };
        let (header, mut changes) = bundle::read(bytes).map_err(refuse)?;
        if let Some(bad) = changes.iter().find(|c| !c.is_valid()) {
            return Err(refuse(Problem::Invalid {
                change: bad.id.clone(),
            }));
        }
        // Causal order: a change's clock is later than what it builds on, so applying by clock
        // sees ancestors first (and ancestry searches stay short).
        changes.sort_by(|a, b| (a.clock, &a.device, a.idx).cmp(&(b.clock, &b.device, b.idx)));
        let identity = self.identity()?;
        let trusted = header.signer == identity.public_key
            || self.trusted()?.iter().any(|t| t.key == header.signer);
        if !trusted && !trust_new {
            return Err(refuse(Problem::Untrusted {
                signer: header.signer.clone(),
                device: header.device.clone(),
                author: header.author.clone(),
            }));
        }
        let tx = self.db.begin_write().map_err(db_err)?;
        if !trusted {
            add_trusted(
                &tx,
                &header.signer,
                &format!("{}@{}", header.author, header.device),
            )?;
        }
        let mut applied = 0;
        let mut duplicates = 0;
        let (now, mut ahead, mut latest_ahead) = (crate::sync::clock::now_ms(), 0, 0);
        let mut batch = Batch::default();
        let mut touched = std::collections::BTreeSet::new();
        let mut clock = self
            .meta(meta::CLOCK)?
            .and_then(|v| Hlc::decode(&v))
            .unwrap_or_default();
        for change in &changes {
            let held = tx
                .open_table(tables::CHANGE_IDS)
                .map_err(db_err)?
                .get(change.id.as_str())
                .map_err(db_err)?
                .map(|v| {
                    let (d, i) = v.value();
                    (d.to_string(), i)
                });
            if let Some((device, idx)) = held {
                let table = tx.open_table(tables::CHANGES).map_err(db_err)?;
                let stored: Option<Change> = table
                    .get((device.as_str(), idx))
                    .map_err(db_err)?
                    .map(|v| decode(&change.id, v.value()))
                    .transpose()?;
                if stored.as_ref() != Some(change) {
                    return Err(refuse(Problem::Tampered {
                        change: change.id.clone(),
                    }));
                }
                duplicates += 1;
                continue;
            }
            // A new id at a (device, idx) already held: two logs claim one slot (a copied store,
            // or tampering). Changes of this very device that it does not hold: the same.
            let slot_taken = tx
                .open_table(tables::CHANGES)
                .map_err(db_err)?
                .get((change.device.as_str(), change.idx))
                .map_err(db_err)?
                .is_some();
            if slot_taken {
                return Err(refuse(Problem::Tampered {
                    change: change.id.clone(),
                }));
            }
            if change.device == identity.device_id {
                return Err(refuse(Problem::OwnDevice {
                    change: change.id.clone(),
                }));
            }
            batch.record(&tx, change)?;
            touched.insert(head_key(&change.entity, &change.field));
            clock = clock.max(change.clock);
            if change.clock.ahead_of(now).is_some() {
                ahead += 1;
                latest_ahead = latest_ahead.max(change.clock.ms);
            }
            applied += 1;
        }
        batch.finish(&tx)?;
        tx.open_table(tables::META)
            .map_err(db_err)?
            .insert(meta::CLOCK, clock.encode().as_str())
            .map_err(db_err)?;
        let mut conflicts = 0;
        for key in &touched {
            if is_conflict(&read_heads(&tx, key)?) {
                conflicts += 1;
            }
        }
        tx.commit().map_err(db_err)?;
        let gaps = self
            .devices_seen()?
            .into_iter()
            .flat_map(|d| d.gaps)
            .collect();
        let ahead_until = (ahead > 0)
            .then(|| i64::try_from(latest_ahead).ok())
            .flatten()
            .and_then(chrono::DateTime::from_timestamp_millis)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        Ok(Imported {
            applied,
            duplicates,
            conflicts,
            gaps,
            ahead,
            ahead_until,
        })
    }

    /// Per device: the highest idx held and the ranges below it not held.
    pub fn devices_seen(&self) -> Result<Vec<DeviceSeen>> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::CHANGES).map_err(db_err)?;
        let mut seen: BTreeMap<String, Vec<u64>> = BTreeMap::new();
        for entry in table.iter().map_err(db_err)? {
            let (k, _) = entry.map_err(db_err)?;
            let (device, idx) = k.value();
            seen.entry(device.to_string()).or_default().push(idx);
        }
        Ok(seen
            .into_iter()
            .map(|(device, idxs)| {
                let mut gaps = Vec::new();
                let mut expected = 1;
                for idx in &idxs {
                    if *idx > expected {
                        gaps.push(Gap {
                            device: device.clone(),
                            from: expected,
                            to: idx - 1,
                        });
                    }
                    expected = idx.saturating_add(1);
                }
                DeviceSeen {
                    highest: idxs.last().copied().unwrap_or(0),
                    device,
                    gaps,
                }
            })
            .collect())
    }

    /// Every register with concurrent different values.
    pub fn conflicts(&self) -> Result<Vec<Conflict>> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::HEADS).map_err(db_err)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            let heads: Vec<Head> = decode(k.value(), v.value())?;
            if !is_conflict(&heads) {
                continue;
            }
            let (entity, field) = k.value().split_once('\u{1f}').unwrap_or((k.value(), ""));
            if let Some(current) = winner(&heads).cloned() {
                out.push(Conflict {
                    id: conflict_id(k.value()),
                    entity: entity.into(),
                    field: field.into(),
                    current,
                    heads,
                });
            }
        }
        Ok(out)
    }

    /// Keeps one value of a conflict: a new change that replaces every concurrent value (and
    /// syncs like any other).
    pub fn resolve(&self, id: &str, keep: Keep) -> Result<Change> {
        let identity = self.identity()?;
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
            &identity,
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
        Ok(SyncStatus {
            unexported: next.saturating_sub(1).saturating_sub(self.exported_idx()?),
            last_export: self.meta(meta::LAST_EXPORT)?,
            devices: self.devices_seen()?,
            conflicts: self.conflicts()?.len(),
        })
    }

    pub fn trusted(&self) -> Result<Vec<Trusted>> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::TRUSTED).map_err(db_err)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            out.push(decode(k.value(), v.value())?);
        }
        Ok(out)
    }

    pub fn trust(&self, key: &str, name: &str) -> Result<Trusted> {
        if crate::sync::keys::parse_public(key).is_none() {
            return Err(Error::BadKey { key: key.into() });
        }
        let tx = self.db.begin_write().map_err(db_err)?;
        let trusted = add_trusted(&tx, key.trim(), name)?;
        tx.commit().map_err(db_err)?;
        Ok(trusted)
    }

    pub fn distrust(&self, key: &str) -> Result<()> {
        let tx = self.db.begin_write().map_err(db_err)?;
        let removed = tx
            .open_table(tables::TRUSTED)
            .map_err(db_err)?
            .remove(key.trim())
            .map_err(db_err)?
            .is_some();
        if !removed {
            return Err(Error::BadKey { key: key.into() });
        }
        tx.commit().map_err(db_err)
    }

    /// Replays `changes` on this store (for `verify`: a fresh store rebuilt from a log).
    pub fn replay(&self, changes: &[Change]) -> Result<()> {
        let tx = self.db.begin_write().map_err(db_err)?;
        let mut batch = Batch::default();
        for change in changes {
            batch.record(&tx, change)?;
        }
        batch.finish(&tx)?;
        tx.commit().map_err(db_err)
    }
}

fn is_conflict(heads: &[Head]) -> bool {
    heads.iter().any(|h| h.value != heads[0].value)
}

fn add_trusted(tx: &WriteTransaction, key: &str, name: &str) -> Result<Trusted> {
    let trusted = Trusted {
        key: key.into(),
        name: name.into(),
        added: chrono::Utc::now().to_rfc3339(),
    };
    tx.open_table(tables::TRUSTED)
        .map_err(db_err)?
        .insert(key, encode(&trusted)?.as_str())
        .map_err(db_err)?;
    Ok(trusted)
}

/// Writes a file so that it is either complete under its name or not there: a temp file in the
/// same folder, fsynced, renamed, and the folder fsynced. On failure (a full disk, say) the temp
/// file is removed, so a failed write leaves nothing behind.
pub fn write_durably(path: &Path, bytes: &[u8]) -> Result<()> {
    write_via(path, bytes, "tmp")
}

/// Writes a bundle like `write_durably`, through the temporary file `.<name>.<device>.tmp`. An
/// export killed before its rename leaves that file behind, and the next export seldom has the
/// same final name (its idx range, another `--out`), so such files are removed first: only this
/// store writes this device's bundles, and it holds the store, so a file of this device's in the
/// folder is from an export that did not finish.
fn write_bundle(path: &Path, bytes: &[u8], device: &str) -> Result<()> {
    let ours = format!(".{device}.tmp");
    if let Ok(entries) = std::fs::read_dir(folder_of(path)) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') && name.ends_with(&ours) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
    write_via(path, bytes, &format!("{device}.tmp"))
}

fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// `write_durably` through the temporary file `.<name>.<suffix>` beside `path`.
fn write_via(path: &Path, bytes: &[u8], suffix: &str) -> Result<()> {
    use std::io::Write;
    let fail = |e: std::io::Error| Error::writing(path, &e);
    let folder = folder_of(path);
    super::private::create_dir(folder).map_err(fail)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = folder.join(format!(".{name}.{suffix}"));
    let written = std::fs::File::create(&temp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, path)
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(fail(e));
    }
    #[cfg(unix)]
    if let Ok(dir) = std::fs::File::open(folder) {
        let _ = dir.sync_all();
    }
    Ok(())
}

//! Exporting bundles: this device's changes not exported yet (a laptop's bundle for its HQ), or,
//! with `all`, every signed change held (how HQ redistributes), each change carrying its own
//! device's signature unchanged. Signed by this store as packer, encrypted to its recipients,
//! split into parts that `import` accepts, and written owner-only and atomically; the watermark
//! moves only after every part is in place.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use redb::{ReadableDatabase, ReadableTable};
use serde::Serialize;

use super::devices::Device;
use super::roster::relayed_roster;
use super::{Store, db_err, tables, tables::meta};
use crate::error::{Error, Result};
use crate::sync::bundle::{self, Line, Packer};
use crate::sync::seal;

/// What `export` is asked for.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Every signed change held, from every device (HQ's redistribution).
    pub all: bool,
    /// Where to write (parts get `-part-N-of-M` before the extension); default `bundles/`.
    pub out: Option<PathBuf>,
    /// For whom (device ids or fingerprints); empty: this store's HQs if it pinned any, else
    /// every device it trusts.
    pub to: Vec<String>,
    /// Not encrypted (both stores must agree: see `ImportOptions::allow_plain`).
    pub plain: bool,
    /// The largest plain body of one part.
    pub part_bytes: usize,
}

impl Default for ExportOptions {
    fn default() -> ExportOptions {
        ExportOptions {
            all: false,
            out: None,
            to: Vec::new(),
            plain: false,
            part_bytes: bundle::PART_BYTES,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exported {
    /// The (first) file written.
    pub path: PathBuf,
    /// Every file written: more than one when the export was split into parts.
    pub parts: Vec<PathBuf>,
    pub changes: usize,
    pub devices: usize,
    /// The devices it is encrypted to (this one included); empty when plain.
    pub recipients: Vec<String>,
}

impl Store {
    /// Where bundles go by default: `bundles/` beside the store.
    pub fn bundles_dir(&self) -> PathBuf {
        self.path.parent().unwrap_or(Path::new(".")).join("bundles")
    }

    /// This device's changes after idx `after`, as the log stores them (each signed at the
    /// time it was made): passed into the bundle without being decoded and encoded again.
    fn own_lines(&self, after: u64) -> Result<Vec<Line>> {
        let device = self.identity()?.device_id;
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::CHANGES).map_err(db_err)?;
        let mut out = Vec::new();
        for entry in table
            .range((device.as_str(), after + 1)..=(device.as_str(), u64::MAX))
            .map_err(db_err)?
        {
            let (k, v) = entry.map_err(db_err)?;
            out.push(Line {
                device: device.clone(),
                idx: k.value().1,
                json: v.value().as_bytes().to_vec(),
            });
        }
        Ok(out)
    }

    pub(super) fn exported_idx(&self) -> Result<u64> {
        Ok(self
            .meta(meta::EXPORTED_IDX)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// The devices a bundle is encrypted to, this one first.
    fn recipients(&self, options: &ExportOptions, devices: &[Device]) -> Result<Vec<Device>> {
        let own = self.identity()?.device_id;
        let mut out: Vec<Device> = devices
            .iter()
            .filter(|d| d.device == own)
            .cloned()
            .collect();
        // Never to a device whose key is disputed: its recipient may be an impostor's.
        let live = |d: &&Device| {
            d.device != own && !d.removed && d.revoked_from.is_none() && d.disputed.is_empty()
        };
        if !options.to.is_empty() {
            for which in &options.to {
                out.push(self.find_device(which)?);
            }
        } else if !options.all && devices.iter().filter(live).any(|d| d.hq) {
            out.extend(devices.iter().filter(live).filter(|d| d.hq).cloned());
        } else {
            out.extend(devices.iter().filter(live).cloned());
        }
        if out.len() < 2 {
            return Err(Error::NoRecipients);
        }
        Ok(out)
    }

    /// Writes the changes not exported yet (or, with `all`, every signed change held) as signed
    /// bundles encrypted to their recipients. `None` when there is nothing to export.
    pub fn export(
        &self,
        options: &ExportOptions,
        today: chrono::NaiveDate,
    ) -> Result<Option<Exported>> {
        let identity = self.identity()?;
        let changes: Vec<Line> = if options.all {
            // Changes from before signing cannot be checked by anyone else: not relayed.
            self.changes()?
                .iter()
                .filter(|c| !c.sig.is_empty())
                .map(Line::of)
                .collect()
        } else {
            self.own_lines(self.exported_idx()?)?
        };
        if changes.is_empty() {
            return Ok(None);
        }
        let devices = self.devices()?;
        let recipients = if options.plain {
            Vec::new()
        } else {
            self.recipients(options, &devices)?
        };
        let keys = self.keys()?;
        let peer = keys.peer(&identity.device_id);
        let packer = Packer {
            key: &peer,
            signing: &keys.signing,
        };
        let roster = relayed_roster(&devices, &identity.device_id);
        let plains = bundle::write_line_parts(&changes, &roster, &packer, options.part_bytes);
        let to: Vec<String> = recipients.iter().map(|d| d.recipient.clone()).collect();
        let own: Vec<u64> = changes
            .iter()
            .filter(|c| c.device == identity.device_id)
            .map(|c| c.idx)
            .collect();
        let base = match &options.out {
            Some(p) => p.clone(),
            None => {
                let date = today.format("%Y%m%d");
                let name = if options.all {
                    format!("{}-{date}-all-{}.fcb", identity.device_id, changes.len())
                } else {
                    let first = own.first().copied().unwrap_or(0);
                    let last = own.last().copied().unwrap_or(0);
                    format!("{}-{date}-{first}-{last}.fcb", identity.device_id)
                };
                self.bundles_dir().join(name)
            }
        };
        // Only this store writes this device's bundles, and it holds the store: a temporary file
        // of this device's in the folder is from an export killed before its rename.
        crate::files::remove_leftovers(
            base.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
            &identity.device_id,
        );
        let of = plains.len();
        let mut parts = Vec::with_capacity(of);
        for (n, plain) in plains.into_iter().enumerate() {
            let bytes = if options.plain {
                plain
            } else {
                seal::seal(&plain, &to).map_err(|e| Error::Store {
                    detail: format!("could not encrypt the bundle: {e:?}"),
                })?
            };
            let path = if of > 1 {
                part_path(&base, n + 1, of)
            } else {
                base.clone()
            };
            crate::files::write_private_tagged(&path, &bytes, &identity.device_id)
                .map_err(|e| Error::writing(&path, &e))?;
            parts.push(path);
        }
        let tx = self.db.begin_write().map_err(db_err)?;
        {
            let mut table = tx.open_table(tables::META).map_err(db_err)?;
            // Only a bundle of this device's own new changes for its usual recipients moves the
            // watermark: `--all` or `--to` a colleague must not skip them for headquarters.
            let to_hq = !options.all && options.to.is_empty();
            if let Some(last) = own.iter().max().filter(|_| to_hq) {
                let before: u64 = table
                    .get(meta::EXPORTED_IDX)
                    .map_err(db_err)?
                    .and_then(|v| v.value().parse().ok())
                    .unwrap_or(0);
                table
                    .insert(meta::EXPORTED_IDX, before.max(*last).to_string().as_str())
                    .map_err(db_err)?;
            }
            let note = format!("{} {}", chrono::Utc::now().to_rfc3339(), base.display());
            table
                .insert(meta::LAST_EXPORT, note.as_str())
                .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)?;
        let devices = changes
            .iter()
            .map(|c| c.device.as_str())
            .collect::<BTreeSet<_>>()
            .len();
        Ok(Some(Exported {
            path: parts.first().cloned().unwrap_or(base),
            parts,
            changes: changes.len(),
            devices,
            recipients: recipients.into_iter().map(|d| d.device).collect(),
        }))
    }
}

/// `name.fcb` → `name-part-2-of-3.fcb`.
fn part_path(base: &Path, n: usize, of: usize) -> PathBuf {
    let stem = base
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = base
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    base.with_file_name(format!("{stem}-part-{n}-of-{of}{ext}"))
}

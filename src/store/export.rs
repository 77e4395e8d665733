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
    /// Where to write (parts get `-part-N-of-M` before the extension): a file, or a folder to
    /// write the bundle into under its usual name; default `bundles/`.
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
        let devices = self.devices()?;
        let roster = relayed_roster(&devices, &identity.device_id);
        let tx = self.db.begin_read().map_err(db_err)?;
        let log = tx.open_table(tables::CHANGES).map_err(db_err)?;
        let source = if options.all {
            Source::All
        } else {
            Source::Own {
                device: &identity.device_id,
                after: self.exported_idx()?,
            }
        };
        let plan = Plan::of(&log, &source, &roster, options.part_bytes)?;
        if plan.count == 0 {
            return Ok(None);
        }
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
        let to: Vec<String> = recipients.iter().map(|d| d.recipient.clone()).collect();
        let name = || {
            let date = today.format("%Y%m%d");
            if options.all {
                format!("{}-{date}-all-{}.fcb", identity.device_id, plan.count)
            } else {
                let (first, last) = plan.own.unwrap_or((0, 0));
                format!("{}-{date}-{first}-{last}.fcb", identity.device_id)
            }
        };
        // A folder given (a USB stick) gets the bundle under its usual name.
        let base = match &options.out {
            Some(p) if p.is_dir() => p.join(name()),
            Some(p) => p.clone(),
            None => self.bundles_dir().join(name()),
        };
        // Only this store writes this device's bundles, and it holds the store: a temporary file
        // of this device's in the folder is from an export killed before its rename.
        crate::files::remove_leftovers(
            base.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
            &identity.device_id,
        );
        let of = u32::try_from(plan.parts.len()).unwrap_or(u32::MAX);
        let mut parts = Vec::with_capacity(plan.parts.len());
        let mut entries = source.entries(&log)?;
        let mut meter = self.meter(crate::progress::Stage::Writing, plan.count as u64);
        // One part in memory at a time: its lines, its plain bundle, its sealed bytes.
        for (n, count) in plan.parts.iter().enumerate() {
            let lines = entries.next_lines(*count)?;
            let plain = bundle::assemble(&lines, &roster, &packer, bundle::part_of(n, of));
            drop(lines);
            let bytes = if options.plain {
                plain
            } else {
                seal::seal(&plain, &to).map_err(|e| Error::Store {
                    detail: format!("could not encrypt the bundle: {e:?}"),
                })?
            };
            let path = if of > 1 {
                part_path(&base, n + 1, plan.parts.len())
            } else {
                base.clone()
            };
            crate::files::write_private_tagged(&path, &bytes, &identity.device_id)
                .map_err(|e| Error::writing(&path, &e))?;
            parts.push(path);
            meter.add(*count as u64);
        }
        drop(entries);
        drop(log);
        drop(tx);
        let tx = self.db.begin_write().map_err(db_err)?;
        {
            let mut table = tx.open_table(tables::META).map_err(db_err)?;
            // Only a bundle of this device's own new changes for its usual recipients moves the
            // watermark: `--all` or `--to` a colleague must not skip them for headquarters.
            let to_hq = !options.all && options.to.is_empty();
            if let Some((_, last)) = plan.own.filter(|_| to_hq) {
                let before: u64 = table
                    .get(meta::EXPORTED_IDX)
                    .map_err(db_err)?
                    .and_then(|v| v.value().parse().ok())
                    .unwrap_or(0);
                table
                    .insert(meta::EXPORTED_IDX, before.max(last).to_string().as_str())
                    .map_err(db_err)?;
            }
            let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let note = format!("{now} {}", base.display());
            table
                .insert(meta::LAST_EXPORT, note.as_str())
                .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)?;
        Ok(Some(Exported {
            path: parts.first().cloned().unwrap_or(base),
            parts,
            changes: plan.count,
            devices: plan.devices.len(),
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

type Log<'t> = redb::ReadOnlyTable<(&'static str, u64), &'static str>;

/// The log entries a bundle carries: every signed change (`--all`; changes from before signing
/// cannot be checked by anyone else, so they are not relayed), or this device's after an idx.
enum Source<'a> {
    All,
    Own { device: &'a str, after: u64 },
}

impl Source<'_> {
    fn entries<'t>(&self, log: &'t Log<'t>) -> Result<Entries<'t>> {
        let range = match self {
            Source::All => log.iter(),
            Source::Own { device, after } => log.range((*device, after + 1)..=(*device, u64::MAX)),
        }
        .map_err(db_err)?;
        Ok(Entries {
            range,
            signed_only: matches!(self, Source::All),
        })
    }
}

/// The log's JSON of each change, passed into the bundle without being decoded and encoded again.
struct Entries<'t> {
    range: redb::Range<'t, (&'static str, u64), &'static str>,
    signed_only: bool,
}

impl Entries<'_> {
    /// `f` of the next change the bundle carries: its device, idx and JSON.
    fn next_with<T>(&mut self, f: impl FnOnce(&str, u64, &[u8]) -> T) -> Result<Option<T>> {
        for entry in self.range.by_ref() {
            let (k, v) = entry.map_err(db_err)?;
            let json = v.value().as_bytes();
            if self.signed_only && !is_signed(json) {
                continue;
            }
            let (device, idx) = k.value();
            return Ok(Some(f(device, idx, json)));
        }
        Ok(None)
    }

    fn next_line(&mut self) -> Result<Option<Line>> {
        self.next_with(|device, idx, json| Line {
            device: device.to_string(),
            idx,
            json: json.to_vec(),
        })
    }

    fn next_lines(&mut self, count: usize) -> Result<Vec<Line>> {
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            match self.next_line()? {
                Some(line) => out.push(line),
                None => break,
            }
        }
        Ok(out)
    }
}

/// Does the log's JSON of a change carry a signature? Its last field is `sig`, so a signed
/// change's JSON ends with `"sig":"` and 128 hex digits (nothing in a value can end it so); one
/// from before signing has an empty signature or none at all.
fn is_signed(json: &[u8]) -> bool {
    const HEAD: &[u8] = b"\"sig\":\"";
    let Some(tail) = json
        .len()
        .checked_sub(HEAD.len() + 128 + 2)
        .map(|at| &json[at..])
    else {
        return false;
    };
    tail.starts_with(HEAD)
        && tail.ends_with(b"\"}")
        && tail[HEAD.len()..HEAD.len() + 128]
            .iter()
            .all(u8::is_ascii_hexdigit)
}

/// A first pass over what a bundle carries: how many changes go in each part, how many there are,
/// from which devices, and the first and last idx of this device's own.
struct Plan {
    parts: Vec<usize>,
    count: usize,
    devices: BTreeSet<String>,
    own: Option<(u64, u64)>,
}

impl Plan {
    fn of(
        log: &Log<'_>,
        source: &Source,
        roster: &[crate::sync::roster::RosterEntry],
        part_bytes: usize,
    ) -> Result<Plan> {
        let mut parts = bundle::PartPlan::new(roster, part_bytes);
        let (mut count, mut devices, mut own) = (0, BTreeSet::new(), None);
        let mut entries = source.entries(log)?;
        let own_only = matches!(source, Source::Own { .. });
        while let Some(()) = entries.next_with(|device, idx, json| {
            parts.push(json.len());
            count += 1;
            if own_only {
                own = Some(own.map_or((idx, idx), |(first, _)| (first, idx)));
            }
            if !devices.contains(device) {
                devices.insert(device.to_string());
            }
        })? {}
        Ok(Plan {
            parts: parts.finish(),
            count,
            devices,
            own,
        })
    }
}

//! Importing a bundle. Checked in the order that keeps a hostile file cheap and the store
//! unchanged until everything holds: decrypt (a bundle for another store says so), the header and
//! its packer's signature, the packer's trust, then the body (checksum, lines, counts, ranges,
//! values), the roster entries it carries, and the signature of every change against the key of
//! the device it names (a bad one on a change of the packer's own device refuses the bundle).
//! Then, in one write transaction and in the one replay order: duplicates skipped; changes of
//! unknown, removed or revoked devices, of devices whose key is disputed, changes whose
//! signature does not hold, changes dated far ahead, and equivocations (two histories of one
//! device, a visit id with two contents) kept apart for a person; everything else applied.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

use redb::{ReadableTable, WriteTransaction};
use serde::Serialize;

use super::devices::{self, Device, Vouch};
use super::heads;
use super::merge::{Batch, head_key};
use super::placement::{Outcome, Placed, Placer, held_at};
use super::quarantine::{self, Reason};
use super::roster::{self, RosterRefused};
use super::sync::{Gap, is_conflict};
use super::verdict::{Verdict, verify_all};
use super::{Store, db_err, tables, tables::meta};
use crate::error::{Error, Result};
use crate::progress::Stage;
use crate::sync::bundle::{self, Problem};
use crate::sync::keys::PeerKey;
use crate::sync::{Change, Hlc, seal};

/// What `import` may take beyond the default.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Trust the packer if this store does not know it (its fingerprint is in the result).
    pub trust_new: bool,
    /// Take a bundle that is not encrypted although this store pinned an HQ.
    pub allow_plain: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Imported {
    pub applied: usize,
    pub duplicates: usize,
    /// Registers this bundle touched that now hold concurrent different values.
    pub conflicts: usize,
    /// Gaps in the logs of the devices this bundle carried.
    pub gaps: Vec<Gap>,
    /// Changes kept apart for a person (not applied), this import.
    pub kept_apart: usize,
    /// Of those, dated more than a day ahead of this machine's clock, and the latest time.
    pub ahead: usize,
    pub ahead_until: Option<String>,
    /// Devices found to have two histories (their changes from the fork on are kept apart).
    pub forked: Vec<String>,
    /// Visit ids found with two contents.
    pub disputed_visits: Vec<String>,
    /// Changes kept apart because their signatures do not hold for their devices' keys (relayed
    /// by the packer, who cannot have signed them).
    pub bad_signatures: usize,
    /// Devices whose key is disputed (two keys vouched for one device id) that this import
    /// touched: none of their changes is applied until the operator settles the key.
    pub key_disputed: Vec<String>,
    /// The packer's device id and, when this import trusted it on first use, its fingerprint.
    pub packer: String,
    pub trusted_new: Option<String>,
}

impl Imported {
    /// The warning for changes kept apart, if there were any.
    pub fn warning(&self, lang: crate::i18n::Lang) -> Option<String> {
        if self.kept_apart == 0 {
            return None;
        }
        let zh = lang == crate::i18n::Lang::Zh;
        let mut out = if zh {
            format!(
                "注意：{} 条变更未应用，已单独保存待人工核查（`fieldcheck quarantine` 查看）",
                self.kept_apart
            )
        } else {
            format!(
                "note: {} changes were not applied and are kept apart for a person (see `fieldcheck quarantine`)",
                self.kept_apart
            )
        };
        if let Some(until) = &self.ahead_until {
            out.push_str(&if zh {
                format!(
                    "；其中 {} 条的时间比本机时钟晚一天以上（最晚 {until}），发送设备的时钟有误，请核对后校正",
                    self.ahead
                )
            } else {
                format!(
                    "; {} of them are dated more than a day ahead of this machine's clock (latest {until}): the sending device's clock is wrong, check and correct it",
                    self.ahead
                )
            });
        }
        for device in &self.forked {
            out.push_str(&if zh {
                format!("；设备 {device} 有两份不同的历史（同一序号两条不同变更），其后的变更均未应用")
            } else {
                format!(
                    "; device {device} has two different histories (two changes at one idx): its changes from there on were not applied"
                )
            });
        }
        if self.bad_signatures > 0 {
            out.push_str(&if zh {
                format!(
                    "；其中 {} 条的签名与它所称设备的密钥不符（伪造或转交途中被改动），不是打包者 {} 所签，请向其核实",
                    self.bad_signatures, self.packer
                )
            } else {
                format!(
                    "; {} of them have a signature that does not hold for the key of the device they name (forged, or altered on the way): relayed by {}, check with it",
                    self.bad_signatures, self.packer
                )
            });
        }
        for device in &self.key_disputed {
            out.push_str(&if zh {
                format!(
                    "；设备 {device} 的密钥有争议（两个总部或首次信任给出了不同密钥），它的变更均未应用：核实后用 `fieldcheck trust add 正确的公钥 --name 名称` 选定，或用 `fieldcheck trust remove` 移除登记了错误密钥的总部（`fieldcheck trust list` 列出两把密钥）"
                )
            } else {
                format!(
                    "; device {device} has a disputed key (two HQs, or a first use and an HQ, gave it different keys): none of its changes is applied. Check which is right, then `fieldcheck trust add THE-RIGHT-KEY --name NAME`, or `fieldcheck trust remove` the HQ that vouched for the wrong one (`fieldcheck trust list` shows both keys)"
                )
            });
        }
        for visit in &self.disputed_visits {
            out.push_str(&if zh {
                format!("；走访 {visit} 有两份不同内容，两份都未应用")
            } else {
                format!("; visit {visit} came with two different contents: neither is applied")
            });
        }
        out.push_str(if zh { "。" } else { "." });
        Some(out)
    }
}

impl Store {
    /// Checks a bundle and applies all of it in one transaction, or nothing (see the module
    /// comment for the order of the checks).
    pub fn import(&self, bytes: &[u8], file: &str, options: &ImportOptions) -> Result<Imported> {
        let refuse = |problem: Problem| Error::Bundle {
            file: file.to_string(),
            problem,
        };
        let plain: Cow<[u8]> = if seal::is_sealed(bytes) {
            let keys = self.keys()?;
            let opened = seal::open(bytes, &keys.enc, bundle::MAX_BUNDLE_BYTES);
            Cow::Owned(opened.map_err(|e| {
                refuse(match e {
                    seal::SealError::NotForUs => Problem::NotForUs,
                    seal::SealError::TooLarge => Problem::TooLarge,
                    _ => Problem::SealDamaged,
                })
            })?)
        } else {
            if !options.allow_plain && self.has_hq()? {
                return Err(refuse(Problem::Plain));
            }
            Cow::Borrowed(bytes)
        };
        let (header, packer, body) = bundle::read_header(&plain).map_err(refuse)?;
        let identity = self.identity()?;
        let own = identity.device_id.clone();
        let known: HashMap<String, Device> = self
            .devices()?
            .into_iter()
            .map(|d| (d.device.clone(), d))
            .collect();
        let untrusted = || {
            refuse(Problem::Untrusted {
                key: packer.to_string(),
                fingerprint: packer.fingerprint(),
            })
        };
        let packer_key = packer.to_string();
        let packer_trusted = match known.get(&packer.device) {
            // A device whose key is disputed packs with either key: what it carries of its own
            // is kept apart until the key is settled.
            Some(d) if (d.key == packer_key || d.disputed.contains(&packer_key)) && !d.removed => {
                true
            }
            // A known device id with another key, or one removed from trust, is never trusted on
            // first use: the operator's decision stands until `trust add`.
            Some(_) => return Err(untrusted()),
            None => false,
        };
        if !packer_trusted && !options.trust_new {
            return Err(untrusted());
        }
        let (roster, changes) = bundle::read_body(&header, body).map_err(refuse)?;
        if let Some(bad) = changes.iter().find(|c| !c.is_valid()) {
            return Err(refuse(Problem::Invalid {
                change: bad.id.clone(),
            }));
        }
        let tx = self.db.begin_write().map_err(db_err)?;
        let mut result = Imported {
            applied: 0,
            duplicates: 0,
            conflicts: 0,
            gaps: Vec::new(),
            kept_apart: 0,
            ahead: 0,
            ahead_until: None,
            forked: Vec::new(),
            disputed_visits: Vec::new(),
            bad_signatures: 0,
            key_disputed: Vec::new(),
            packer: packer.device.clone(),
            trusted_new: None,
        };
        if !packer_trusted {
            first_use(&tx, &packer, &identity.inspector)?;
            result.trusted_new = Some(packer.fingerprint());
        }
        let taken = roster::receive_roster(&tx, &own, &roster).map_err(|e| match e {
            RosterRefused::Forged { device } => refuse(Problem::Forged {
                change: format!("roster:{device}"),
                device,
            }),
            RosterRefused::Store(e) => e,
        })?;
        for (device, from, reason) in taken {
            if reason == Reason::KeyDisputed && !result.key_disputed.contains(&device) {
                result.key_disputed.push(device.clone());
            }
            quarantine::take_back(&tx, &device, from, reason)?;
        }
        let mut incoming = changes;
        let fresh = incoming.len();
        // Changes kept apart only for want of a key (or of trust) or for a clock ahead: looked at
        // again, and released from the quarantine if they apply now. A bundle's copy of one is
        // looked at as that retry, not as a duplicate or a newly kept change.
        let mut retried = BTreeSet::new();
        let waiting = quarantine::waiting(&tx)?;
        if !waiting.is_empty() {
            let mut in_bundle = std::collections::HashSet::new();
            let waiting_hashes: std::collections::HashSet<String> =
                waiting.iter().map(Change::hash).collect();
            for (i, change) in incoming.iter().enumerate() {
                let hash = change.hash();
                if waiting_hashes.contains(&hash) {
                    retried.insert(i);
                }
                in_bundle.insert(hash);
            }
            for change in waiting {
                if !in_bundle.contains(&change.hash()) {
                    retried.insert(incoming.len());
                    incoming.push(change);
                }
            }
        }
        let (signed, hashes) = signed_and_hashed(&incoming);
        let total = incoming.len() as u64;
        let verdicts = verify_all(&tx, &incoming, &signed, self.meter(Stage::Checking, total))?;
        // The packer signed the bundle: a change of its own device that its key did not sign
        // is a forgery by the packer (a relay's is kept apart, below).
        let forged = |i: &usize| {
            matches!(verdicts[*i], Verdict::Bad) && incoming[*i].device == packer.device
        };
        if let Some(i) = (0..fresh).find(forged) {
            return Err(refuse(Problem::Forged {
                change: incoming[i].id.clone(),
                device: incoming[i].device.clone(),
            }));
        }
        let mut order: Vec<usize> = (0..incoming.len()).collect();
        order.sort_by(|a, b| {
            let (a, b) = (&incoming[*a], &incoming[*b]);
            (a.clock, &a.device, a.idx).cmp(&(b.clock, &b.device, b.idx))
        });
        let mut placer = Placer::new(&tx, &own, devices::latest_acceptable(self.now_ms()))?;
        let mut clock = read_clock(&tx)?;
        let mut applied_here = Vec::new();
        let mut batch = Batch::default();
        let mut touched = BTreeSet::new();
        let mut take_backs = 0;
        let mut meter = self.meter(Stage::Applying, total);
        for i in order {
            meter.add(1);
            let change = &incoming[i];
            let verdict = &verdicts[i];
            let retry = retried.contains(&i);
            let outcome =
                placer
                    .place(change, &hashes[i], verdict, retry)
                    .map_err(|e| match e {
                        Placed::Refused(problem) => refuse(problem),
                        Placed::Store(e) => e,
                    })?;
            if placer.take_backs != take_backs {
                take_backs = placer.take_backs;
                batch.taken_out();
            }
            if retry && !matches!(outcome, Outcome::Kept(_)) {
                quarantine::release(&tx, change, &hashes[i])?;
            }
            match outcome {
                Outcome::Duplicate if retry => {}
                Outcome::Duplicate => result.duplicates += 1,
                Outcome::Kept(reason) => {
                    if !retry {
                        result.kept_apart += 1;
                    }
                    match reason {
                        Reason::Ahead if !retry => {
                            result.ahead += 1;
                            let until = chrono::DateTime::from_timestamp_millis(
                                i64::try_from(change.clock.ms).unwrap_or(i64::MAX),
                            )
                            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
                            result.ahead_until = result.ahead_until.max(until);
                        }
                        Reason::Forked if !result.forked.contains(&change.device) => {
                            result.forked.push(change.device.clone());
                        }
                        Reason::VisitDisputed { visit }
                            if !result.disputed_visits.contains(&visit) =>
                        {
                            result.disputed_visits.push(visit);
                        }
                        Reason::BadSignature if !retry => result.bad_signatures += 1,
                        Reason::KeyDisputed if !result.key_disputed.contains(&change.device) => {
                            result.key_disputed.push(change.device.clone());
                        }
                        _ => {}
                    }
                }
                Outcome::Apply => {
                    batch.record(&tx, change)?;
                    placer.applied(change, hashes[i].clone());
                    touched.insert(head_key(&change.entity, &change.field));
                    clock = clock.max(change.clock);
                    result.applied += 1;
                    applied_here.push(i);
                }
            }
        }
        // A dispute or fork found later in this import may have taken back changes applied
        // earlier in it: they count as kept apart, not applied.
        if placer.take_backs > 0 {
            for i in applied_here {
                let change = &incoming[i];
                let still = held_at(&tx, &change.device, change.idx)?
                    .is_some_and(|held| held.same_content(change));
                if !still {
                    result.applied -= 1;
                    result.kept_apart += 1;
                }
            }
        }
        batch.finish(&tx)?;
        placer.finish()?;
        tx.open_table(tables::META)
            .map_err(db_err)?
            .insert(meta::CLOCK, clock.encode().as_str())
            .map_err(db_err)?;
        for key in &touched {
            if is_conflict(&heads::read(&tx, key)?) {
                result.conflicts += 1;
            }
        }
        tx.commit().map_err(db_err)?;
        // Gaps in the logs of the devices this bundle carried (a scan of the whole log here made
        // every import cost the size of the store).
        let carried: BTreeSet<&str> = incoming.iter().map(|c| c.device.as_str()).collect();
        result.gaps = self.gaps_of(carried)?;
        Ok(result)
    }
}

/// Each change's signed bytes and hash, on both cores for a large bundle.
fn signed_and_hashed(changes: &[Change]) -> (Vec<Vec<u8>>, Vec<String>) {
    let run = |part: &[Change]| -> Vec<(Vec<u8>, String)> {
        part.iter()
            .map(|c| {
                let bytes = c.signed_bytes();
                let hash = crate::sync::change::hash_of(&bytes);
                (bytes, hash)
            })
            .collect()
    };
    let both: Vec<(Vec<u8>, String)> = if changes.len() < 4096 {
        run(changes)
    } else {
        let (a, b) = changes.split_at(changes.len() / 2);
        std::thread::scope(|s| {
            let other = s.spawn(|| run(b));
            let mut out = run(a);
            // A thread that panicked computed nothing: compute its half here.
            out.extend(other.join().unwrap_or_else(|_| run(b)));
            out
        })
    };
    both.into_iter().unzip()
}

fn read_clock(tx: &WriteTransaction) -> Result<Hlc> {
    let table = tx.open_table(tables::META).map_err(db_err)?;
    let value = table.get(meta::CLOCK).map_err(db_err)?;
    Ok(value
        .and_then(|v| Hlc::decode(v.value()))
        .unwrap_or_default())
}

/// Trusts a bundle's packer on first use, recording who did and when; the name people see is the
/// fingerprint until the operator names it (`trust add`), never the sender's own word.
fn first_use(tx: &WriteTransaction, packer: &PeerKey, by: &str) -> Result<()> {
    let fingerprint = packer.fingerprint();
    let device = Device {
        device: packer.device.clone(),
        key: packer.to_string(),
        fingerprint: fingerprint.clone(),
        signing: packer.signing.clone(),
        recipient: packer.recipient.clone(),
        name: fingerprint,
        inspector: String::new(),
        district: None,
        hq: false,
        vouch: Vouch::FirstUse { by: by.into() },
        revoked_from: None,
        removed: false,
        added: chrono::Utc::now().to_rfc3339(),
        entry: None,
        vouched_by: Default::default(),
        disputed: Vec::new(),
    };
    devices::put(tx, &device)
}

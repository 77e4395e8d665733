//! Importing a bundle. Checked in the order that keeps a hostile file cheap and the store
//! unchanged until everything holds: decrypt (a bundle for another store says so), the header and
//! its packer's signature, the packer's trust, then the body (checksum, lines, counts, ranges,
//! values), the roster entries it carries, and the signature of every change against the key of
//! the device it names. Then, in one write transaction and in the one replay order: duplicates
//! skipped; changes of unknown, removed or revoked devices, changes dated far ahead, and
//! equivocations (two histories of one device, a visit id with two contents) kept apart for a
//! person; everything else applied.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

use redb::{ReadableTable, WriteTransaction};
use serde::Serialize;

use super::devices::{self, Device, RosterRefused, Vouch};
use super::merge::{Batch, head_key, read_heads};
use super::quarantine::{self, Dispute, Reason};
use super::records::decode;
use super::sync::{Gap, is_conflict};
use super::{Store, db_err, tables, tables::meta};
use crate::error::{Error, Result};
use crate::sync::bundle::{self, Problem};
use crate::sync::keys::PeerKey;
use crate::sync::{Change, Hlc, seal};
use ed25519_dalek::VerifyingKey;

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

/// A change's verdict against the devices this store knows.
enum Verdict {
    Verified,
    Unknown,
    Removed,
    Bad,
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
        let packer_trusted = match known.get(&packer.device) {
            Some(d) if d.key == packer.to_string() && !d.removed => true,
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
            packer: packer.device.clone(),
            trusted_new: None,
        };
        if !packer_trusted {
            first_use(&tx, &packer, &identity.inspector)?;
            result.trusted_new = Some(packer.fingerprint());
        }
        let revoked = devices::receive_roster(&tx, &own, &roster).map_err(|e| match e {
            RosterRefused::Forged { device } => refuse(Problem::Forged {
                change: format!("roster:{device}"),
                device,
            }),
            RosterRefused::Store(e) => e,
        })?;
        for (device, from) in revoked {
            quarantine::take_back(&tx, &device, from, Reason::Revoked)?;
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
        let signed: Vec<Vec<u8>> = incoming.iter().map(Change::signed_bytes).collect();
        let verdicts = verify_all(&tx, &incoming, &signed)?;
        if let Some(i) = (0..fresh).find(|i| matches!(verdicts[*i], Verdict::Bad)) {
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
        let hashes: Vec<String> = signed
            .iter()
            .map(|b| crate::sync::change::hash_of(b))
            .collect();
        let mut placer = Placer::new(&tx, &own, devices::latest_acceptable(self.now_ms()))?;
        let mut clock = read_clock(&tx)?;
        let mut applied_here = Vec::new();
        let mut batch = Batch::default();
        let mut touched = BTreeSet::new();
        for i in order {
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
        if placer.took_back {
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
        tx.open_table(tables::META)
            .map_err(db_err)?
            .insert(meta::CLOCK, clock.encode().as_str())
            .map_err(db_err)?;
        for key in &touched {
            if is_conflict(&read_heads(&tx, key)?) {
                result.conflicts += 1;
            }
        }
        tx.commit().map_err(db_err)?;
        result.gaps = self
            .devices_seen()?
            .into_iter()
            .flat_map(|d| d.gaps)
            .collect();
        Ok(result)
    }
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
    };
    devices::put(tx, &device)
}

/// Checks every change's signature against its device's key (`signed` holds each change's
/// signed bytes), on both cores for large imports. A device vouched for only by an HQ this store
/// no longer trusts counts as removed.
fn verify_all(
    tx: &WriteTransaction,
    changes: &[Change],
    signed: &[Vec<u8>],
) -> Result<Vec<Verdict>> {
    let mut keys: HashMap<&str, Option<(bool, Option<VerifyingKey>)>> = HashMap::new();
    for change in changes {
        if keys.contains_key(change.device.as_str()) {
            continue;
        }
        let found = match devices::get(tx, &change.device)? {
            None => None,
            Some(d) => {
                let issuer_gone = match &d.vouch {
                    Vouch::Roster { issuer } => {
                        devices::get(tx, issuer)?.is_none_or(|hq| hq.removed || !hq.hq)
                    }
                    _ => false,
                };
                Some((
                    d.removed || issuer_gone,
                    crate::sync::keys::parse_public(&d.signing),
                ))
            }
        };
        keys.insert(&change.device, found);
    }
    let mut verdicts = Vec::with_capacity(changes.len());
    let mut to_check = Vec::new();
    for (i, change) in changes.iter().enumerate() {
        match keys.get(change.device.as_str()).and_then(Option::as_ref) {
            None => verdicts.push(Verdict::Unknown),
            Some((true, _)) => verdicts.push(Verdict::Removed),
            Some((false, None)) => verdicts.push(Verdict::Bad),
            Some((false, Some(key))) => {
                verdicts.push(Verdict::Verified);
                to_check.push((i, *key));
            }
        }
    }
    for i in check_signatures(changes, signed, &to_check) {
        verdicts[i] = Verdict::Bad;
    }
    Ok(verdicts)
}

/// The indices among `to_check` whose signatures do not hold, each checked on its own with
/// strict verification, split over both cores. Not ed25519 batch verification: its equation is
/// cofactorless with coefficients drawn from the whole batch, so a signature its own device made
/// with a small-order component in R passes in some batches and not in others — two stores
/// holding the same changes could then disagree on what they accept.
fn check_signatures(
    changes: &[Change],
    signed: &[Vec<u8>],
    to_check: &[(usize, VerifyingKey)],
) -> Vec<usize> {
    let run = |part: &[(usize, VerifyingKey)]| -> Vec<usize> {
        part.iter()
            .filter(|(i, key)| {
                crate::sync::keys::parse_signature(&changes[*i].sig)
                    .is_none_or(|sig| key.verify_strict(&signed[*i], &sig).is_err())
            })
            .map(|(i, _)| *i)
            .collect()
    };
    if to_check.len() < 1024 {
        return run(to_check);
    }
    let (a, b) = to_check.split_at(to_check.len() / 2);
    std::thread::scope(|s| {
        let other = s.spawn(|| run(b));
        let mut bad = run(a);
        bad.extend(
            other
                .join()
                .unwrap_or_else(|_| b.iter().map(|(i, _)| *i).collect()),
        );
        bad
    })
}

enum Outcome {
    Duplicate,
    Kept(Reason),
    Apply,
}

enum Placed {
    Refused(Problem),
    Store(Error),
}

impl From<Error> for Placed {
    fn from(e: Error) -> Placed {
        Placed::Store(e)
    }
}

fn held_at(tx: &WriteTransaction, device: &str, idx: u64) -> Result<Option<Change>> {
    let table = tx.open_table(tables::CHANGES).map_err(db_err)?;
    let value = table.get((device, idx)).map_err(db_err)?;
    value
        .map(|v| decode(&format!("{device}/{idx}"), v.value()))
        .transpose()
}

/// Decides what each verified (or unverifiable) change does to the store, and does it for all
/// but `Apply`. Keeps in memory what it reads per device, the hashes of the changes it let
/// through, which devices have changes kept apart and whether any equivocation was ever found,
/// so that the usual bundle — new changes of honest devices, in order — costs two lookups a
/// change besides applying it.
struct Placer<'a> {
    tx: &'a WriteTransaction,
    own: &'a str,
    latest: Hlc,
    devices: HashMap<String, Option<Device>>,
    /// (device, idx) → hash, of changes applied in this import.
    hashes: HashMap<(String, u64), String>,
    /// Devices with changes kept apart (only theirs need the quarantine looked at).
    kept_devices: BTreeSet<String>,
    /// Does `disputes_v1` hold anything?
    any_dispute: bool,
    /// Did a dispute or a fork in this import take applied changes back?
    took_back: bool,
    /// Per device, the highest idx held in the log (as far as this import knows: never lower).
    highest: HashMap<String, u64>,
}

impl<'a> Placer<'a> {
    fn new(tx: &'a WriteTransaction, own: &'a str, latest: Hlc) -> Result<Placer<'a>> {
        let mut placer = Placer {
            tx,
            own,
            latest,
            devices: HashMap::new(),
            hashes: HashMap::new(),
            kept_devices: BTreeSet::new(),
            any_dispute: false,
            took_back: false,
            highest: HashMap::new(),
        };
        placer.look_again()?;
        Ok(placer)
    }

    /// Reads again which devices have changes kept apart and whether any dispute is recorded
    /// (after a fork or a dispute took changes back, possibly of other devices).
    fn look_again(&mut self) -> Result<()> {
        let (devices, any) = quarantine::overview(self.tx)?;
        self.kept_devices = devices;
        self.any_dispute = any;
        self.hashes.clear();
        Ok(())
    }

    fn device(&mut self, id: &str) -> Result<Option<&Device>> {
        if !self.devices.contains_key(id) {
            let device = devices::get(self.tx, id)?;
            self.devices.insert(id.to_string(), device);
        }
        Ok(self.devices.get(id).and_then(Option::as_ref))
    }

    fn highest(&mut self, device: &str) -> Result<u64> {
        if let Some(h) = self.highest.get(device) {
            return Ok(*h);
        }
        let table = self.tx.open_table(tables::CHANGES).map_err(db_err)?;
        let last = table
            .range((device, 0)..=(device, u64::MAX))
            .map_err(db_err)?
            .next_back()
            .transpose()
            .map_err(db_err)?
            .map_or(0, |(k, _)| k.value().1);
        self.highest.insert(device.to_string(), last);
        Ok(last)
    }

    /// The hash of the change held at (device, idx), if it is signed.
    fn held_hash(&self, device: &str, idx: u64) -> Result<Option<String>> {
        if let Some(h) = self.hashes.get(&(device.to_string(), idx)) {
            return Ok(Some(h.clone()));
        }
        Ok(held_at(self.tx, device, idx)?
            .filter(|c| !c.sig.is_empty())
            .map(|c| c.hash()))
    }

    /// The versions of a device's change at `idx` kept apart with their signatures checked.
    fn kept_versions(&self, device: &str, idx: u64) -> Result<Vec<Change>> {
        if !self.kept_devices.contains(device) {
            return Ok(Vec::new());
        }
        quarantine::verified_versions(self.tx, device, idx)
    }

    /// Marks a change as applied.
    fn applied(&mut self, change: &Change, hash: String) {
        let highest = self.highest.entry(change.device.clone()).or_insert(0);
        *highest = (*highest).max(change.idx);
        self.hashes
            .insert((change.device.clone(), change.idx), hash);
    }

    fn keep(&mut self, change: &Change, reason: Reason) -> std::result::Result<Outcome, Placed> {
        quarantine::keep(self.tx, change, reason.clone())?;
        self.kept_devices.insert(change.device.clone());
        Ok(Outcome::Kept(reason))
    }

    fn disputed(&self, dispute: &Dispute) -> Result<bool> {
        Ok(self.any_dispute && quarantine::disputed(self.tx, dispute)?)
    }

    fn place(
        &mut self,
        change: &Change,
        hash: &str,
        verdict: &Verdict,
        retry: bool,
    ) -> std::result::Result<Outcome, Placed> {
        let tx = self.tx;
        // A change held already is a duplicate, whatever has become of its device since.
        let held = held_at(tx, &change.device, change.idx)?;
        if held.as_ref().is_some_and(|h| h.same_content(change)) {
            return Ok(Outcome::Duplicate);
        }
        match verdict {
            Verdict::Unknown => return self.keep(change, Reason::UnknownDevice),
            Verdict::Removed => return self.keep(change, Reason::Removed),
            // Only a change retried from the quarantine gets here: it stays there.
            Verdict::Bad => return self.keep(change, Reason::UnknownDevice),
            Verdict::Verified => {}
        }
        if !retry
            && self.kept_devices.contains(&change.device)
            && quarantine::holds(tx, change, hash)?
        {
            return Ok(Outcome::Duplicate);
        }
        if change.device == self.own {
            return Err(Placed::Refused(Problem::OwnDevice {
                change: change.id.clone(),
            }));
        }
        // Every change whose signature holds is judged as evidence of equivocation (a fork, a
        // reused change id, a visit id with two contents) before anything else keeps it apart, so
        // that what is found depends only on the changes held, not on their order.
        let forked = self.fork_evidence(change, hash, held.as_ref())?;
        let reused = self.id_elsewhere(change)?;
        let visit = (change.field == "visit").then(|| change.entity.trim_start_matches("visit:"));
        let visit_twice = match visit {
            Some(v) => visit_differs(tx, v, change)?,
            None => false,
        };
        if reused {
            quarantine::dispute_id(tx, &change.id)?;
        }
        if let Some(v) = visit.filter(|_| visit_twice) {
            quarantine::dispute_visit(tx, v)?;
        }
        if let Some(from) = forked {
            // The versions applied are taken back by the fork; those kept apart stay there.
            quarantine::fork(tx, &change.device, from, &[change])?;
        }
        if reused || visit_twice || forked.is_some() {
            self.took_back = true;
            self.look_again()?;
        }
        // The reasons in the order of their strength (`Reason::rank`).
        if forked.is_some() {
            return Ok(Outcome::Kept(Reason::Forked));
        }
        if self.any_dispute
            && quarantine::fork_point(tx, &change.device)?.is_some_and(|f| change.idx >= f)
        {
            return self.keep(change, Reason::Forked);
        }
        let id = Dispute::Id {
            id: change.id.clone(),
        };
        if reused || self.disputed(&id)? {
            return self.keep(
                change,
                Reason::IdReused {
                    id: change.id.clone(),
                },
            );
        }
        if let Some(v) = visit {
            let dispute = Dispute::Visit { visit: v.into() };
            if visit_twice || self.disputed(&dispute)? {
                return self.keep(change, Reason::VisitDisputed { visit: v.into() });
            }
        }
        if self
            .device(&change.device)?
            .is_some_and(|d| !d.accepts(change.idx))
        {
            return self.keep(change, Reason::Revoked);
        }
        if change.clock > self.latest {
            return self.keep(change, Reason::Ahead);
        }
        Ok(Outcome::Apply)
    }

    /// Is this change's id taken by a change at another slot (applied, or kept apart with its
    /// signature checked)?
    fn id_elsewhere(&self, change: &Change) -> Result<bool> {
        let ids = self.tx.open_table(tables::CHANGE_IDS).map_err(db_err)?;
        let at = ids.get(change.id.as_str()).map_err(db_err)?;
        Ok(at.is_some_and(|v| {
            let (device, idx) = v.value();
            device != change.device || idx != change.idx
        }))
    }

    /// Evidence that the device has two histories, from the versions of its changes at this idx
    /// and its neighbours (applied — `held` is the one at this idx — or kept apart with their
    /// signatures checked): a version before it this change does not link to, another version at
    /// this idx, or a version after it that does not link to this change. Returns the idx the
    /// histories part at. Every pair is judged when its second member arrives, whichever it is,
    /// so the fork point does not depend on the order of arrival.
    fn fork_evidence(
        &mut self,
        change: &Change,
        hash: &str,
        held: Option<&Change>,
    ) -> Result<Option<u64>> {
        let (device, idx) = (change.device.as_str(), change.idx);
        if idx > 1 {
            let mut before: Vec<String> = self
                .kept_versions(device, idx - 1)?
                .iter()
                .map(Change::hash)
                .collect();
            before.extend(self.held_hash(device, idx - 1)?);
            if before
                .iter()
                .any(|h| change.prev.as_deref() != Some(h.as_str()))
            {
                return Ok(Some(idx - 1));
            }
        }
        let mut here = self.kept_versions(device, idx)?;
        here.extend(held.filter(|c| !c.sig.is_empty()).cloned());
        if here.iter().any(|other| other.hash() != hash) {
            return Ok(Some(idx));
        }
        let mut after = self.kept_versions(device, idx + 1)?;
        if self.highest(device)? > idx {
            after.extend(held_at(self.tx, device, idx + 1)?.filter(|c| !c.sig.is_empty()));
        }
        if after.iter().any(|next| next.prev.as_deref() != Some(hash)) {
            return Ok(Some(idx));
        }
        Ok(None)
    }
}

/// Does the store hold visit `id` in another version than `change` carries (another content, or
/// carried by another device): applied, or carried by a change kept apart whose signature was
/// checked?
fn visit_differs(tx: &WriteTransaction, id: &str, change: &Change) -> Result<bool> {
    let incoming = quarantine::visit_hash(&change.device, &change.value);
    let applied = {
        let table = tx.open_table(tables::VISITS).map_err(db_err)?;
        let held = table.get(id).map_err(db_err)?;
        let content = held.map(|v| v.value().to_string());
        let by = tx.open_table(tables::VISIT_DEVICES).map_err(db_err)?;
        let device = by.get(id).map_err(db_err)?.map(|v| v.value().to_string());
        match (content, device) {
            (Some(content), Some(device)) => {
                let value: serde_json::Value =
                    serde_json::from_str(&content).map_err(|e| Error::Store {
                        detail: format!("visit {id}: {e}"),
                    })?;
                Some(quarantine::visit_hash(&device, &value))
            }
            _ => None,
        }
    };
    let mut seen: Vec<Option<String>> = applied.into_iter().collect();
    seen.extend(quarantine::kept_visit_hashes(tx, id)?.into_iter().map(Some));
    Ok(seen.iter().any(|h| *h != incoming))
}

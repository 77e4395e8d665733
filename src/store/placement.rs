//! Where each change of an import goes: a duplicate, kept apart (and why), or applied. Every
//! change whose signature holds is judged for equivocation against every version held before
//! anything else, so the outcome depends only on the changes held.

use std::collections::HashMap;

use redb::{ReadableTable, WriteTransaction};

use super::devices::{self, Device};
use super::quarantine::{self, Dispute, Reason, Rebuild};
use super::records::decode;
use super::verdict::Verdict;
use super::{db_err, tables, visit_rows};
use crate::error::{Error, Result};
use crate::sync::bundle::Problem;
use crate::sync::{Change, Hlc};

pub(super) enum Outcome {
    Duplicate,
    Kept(Reason),
    Apply,
}

pub(super) enum Placed {
    Refused(Problem),
    Store(Error),
}

impl From<Error> for Placed {
    fn from(e: Error) -> Placed {
        Placed::Store(e)
    }
}

pub(super) fn held_at(tx: &WriteTransaction, device: &str, idx: u64) -> Result<Option<Change>> {
    let table = tx.open_table(tables::CHANGES).map_err(db_err)?;
    let value = table.get((device, idx)).map_err(db_err)?;
    value
        .map(|v| decode(&format!("{device}/{idx}"), v.value()))
        .transpose()
}

/// Decides what each verified (or unverifiable) change does to the store, and does it for all
/// but `Apply`. Keeps in memory what it reads per device, the hashes of the changes it let
/// through and whether any equivocation was ever found, so that the usual bundle — new changes
/// of honest devices, in order — costs a few lookups a change besides applying it; a dispute
/// costs lookups in indexes, and what disputes take out of the log is rebuilt once, at the end
/// (`finish`).
pub(super) struct Placer<'a> {
    tx: &'a WriteTransaction,
    own: &'a str,
    latest: Hlc,
    devices: HashMap<String, Option<Device>>,
    /// (device, idx) → hash, of changes applied in this import.
    hashes: HashMap<(String, u64), String>,
    /// What disputes took out of the log, rebuilt at the end.
    rebuild: Rebuild,
    /// Per device, does the quarantine hold any change of it (only then is it looked in)?
    kept: HashMap<String, bool>,
    /// Does `disputes_v1` hold anything?
    any_dispute: bool,
    /// How many times a dispute or a fork in this import took applied changes back.
    pub(super) take_backs: usize,
    /// Per device, the highest idx held in the log (as far as this import knows: never lower).
    highest: HashMap<String, u64>,
}

impl<'a> Placer<'a> {
    pub(super) fn new(tx: &'a WriteTransaction, own: &'a str, latest: Hlc) -> Result<Placer<'a>> {
        let mut placer = Placer {
            tx,
            own,
            latest,
            devices: HashMap::new(),
            hashes: HashMap::new(),
            rebuild: Rebuild::default(),
            kept: HashMap::new(),
            any_dispute: false,
            take_backs: 0,
            highest: HashMap::new(),
        };
        placer.look_again()?;
        Ok(placer)
    }

    /// Reads again whether any dispute is recorded (after a fork or a dispute took changes
    /// back, possibly of other devices, whose hashes are forgotten).
    fn look_again(&mut self) -> Result<()> {
        self.any_dispute = quarantine::any_dispute(self.tx)?;
        self.hashes.clear();
        self.kept.clear();
        Ok(())
    }

    /// Does the quarantine hold any change of `device`? (Read once per device and import.)
    fn has_kept(&mut self, device: &str) -> Result<bool> {
        if let Some(kept) = self.kept.get(device) {
            return Ok(*kept);
        }
        let kept = quarantine::holds_any(self.tx, device)?;
        self.kept.insert(device.to_string(), kept);
        Ok(kept)
    }

    /// Rebuilds what disputes took out of the log.
    pub(super) fn finish(self) -> Result<()> {
        self.rebuild.finish(self.tx)
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
    fn kept_versions(&mut self, device: &str, idx: u64) -> Result<Vec<Change>> {
        if !self.has_kept(device)? {
            return Ok(Vec::new());
        }
        quarantine::verified_versions(self.tx, device, idx)
    }

    /// Is this very change kept apart with its signature checked?
    fn kept_checked(&self, change: &Change, hash: &str) -> Result<bool> {
        let versions = quarantine::verified_versions(self.tx, &change.device, change.idx)?;
        Ok(versions.iter().any(|v| v.hash() == hash))
    }

    /// Marks a change as applied.
    pub(super) fn applied(&mut self, change: &Change, hash: String) {
        let highest = self.highest.entry(change.device.clone()).or_insert(0);
        *highest = (*highest).max(change.idx);
        self.hashes
            .insert((change.device.clone(), change.idx), hash);
    }

    fn keep(&mut self, change: &Change, reason: Reason) -> std::result::Result<Outcome, Placed> {
        quarantine::keep(self.tx, change, reason.clone())?;
        self.kept.insert(change.device.clone(), true);
        Ok(Outcome::Kept(reason))
    }

    fn disputed(&self, dispute: &Dispute) -> Result<bool> {
        Ok(self.any_dispute && quarantine::disputed(self.tx, dispute)?)
    }

    pub(super) fn place(
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
        // No key, or none this store can check against: kept apart, evidence of nothing (a bad
        // signature gets here only from another device than the packer's, or from the quarantine).
        if let Some(reason) = verdict.kept_apart() {
            return self.keep(change, reason);
        }
        if !retry && self.has_kept(&change.device)? && quarantine::holds(tx, change, hash)? {
            if self.kept_checked(change, hash)? {
                return Ok(Outcome::Duplicate);
            }
            // Another copy, kept apart earlier in this import with a signature that did not
            // hold: this one, checked, takes its place.
            quarantine::release(tx, change, hash)?;
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
            quarantine::dispute_id(tx, &change.id, &mut self.rebuild)?;
        }
        if let Some(v) = visit.filter(|_| visit_twice) {
            quarantine::dispute_visit(tx, v, &mut self.rebuild)?;
        }
        if let Some(from) = forked {
            // The versions applied are taken back by the fork; those kept apart stay there.
            quarantine::fork(tx, &change.device, from, &[change])?;
        }
        if reused || visit_twice || forked.is_some() {
            self.take_backs += 1;
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
            // Kept apart before its signature could be checked, it now waits for the clock only:
            // it is kept again as a checked change (a weaker reason would not replace the one it
            // has).
            if retry && !self.kept_checked(change, hash)? {
                quarantine::release(tx, change, hash)?;
            }
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
    let kept = quarantine::kept_visit_hashes(tx, id)?;
    let held = {
        let table = tx.open_table(tables::VISITS).map_err(db_err)?;
        let held = table.get(id).map_err(db_err)?;
        held.map(|v| visit_rows::decode(id, v.value()))
            .transpose()?
    };
    // A visit id new to this store (the usual case) is no dispute: nothing to hash.
    if held.is_none() && kept.is_empty() {
        return Ok(false);
    }
    let incoming = quarantine::visit_hash(&change.device, &change.value);
    let applied = {
        let by = tx.open_table(tables::VISIT_DEVICES).map_err(db_err)?;
        let device = by.get(id).map_err(db_err)?.map(|v| v.value().to_string());
        match (held, device) {
            (Some(visit), Some(device)) => Some(quarantine::hash_visit(&device, &visit)),
            _ => None,
        }
    };
    let mut seen: Vec<Option<String>> = applied.into_iter().collect();
    seen.extend(kept.into_iter().map(Some));
    Ok(seen.iter().any(|h| *h != incoming))
}

//! Changes kept apart for a person (`quarantine_v1`) and the equivocations found
//! (`disputes_v1`). A kept-apart change is not in the log and not in the state; taking applied
//! changes back out (a revocation, a fork found late, a visit id with two contents) rebuilds what
//! they touched from the changes that remain, so the state stays a function of the changes
//! applied, whatever order they came in.

use redb::{ReadableMultimapTable, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::merge;
pub(super) use super::rebuild::Rebuild;
use super::records::{decode, encode};
use super::{db_err, tables};
use crate::error::Result;
use crate::sync::Change;

/// Why a change is kept apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Reason {
    /// No device this store trusts has this id (no key to check it against).
    UnknownDevice,
    /// The device was removed from this store's trust.
    Removed,
    /// The device is revoked from an idx at or before this change's.
    Revoked,
    /// Dated more than a day ahead of this machine's clock: its sender's clock is wrong. Taken in
    /// by a later import once the wall clock is within a day of it.
    Ahead,
    /// The device has two histories from an idx at or before this change's (two changes at one
    /// idx, or a hash link that does not match).
    Forked,
    /// The visit id it carries is held with other content.
    VisitDisputed { visit: String },
    /// Its change id is carried by another change too.
    IdReused { id: String },
    /// Its signature does not hold for the key this store holds for its device (forged, or
    /// altered on the way by a relay; the packer's own changes refuse the bundle instead). Looked
    /// at again on every import: it holds if the device's key this store settles on is the one
    /// that signed it.
    BadSignature,
    /// Its device's key is disputed: pinned HQs' roster entries (or a first-use binding and one)
    /// give the device two keys. Nothing of the device is applied until the operator settles it
    /// (`trust add` the right key, or `trust remove` the HQ that vouched the other).
    KeyDisputed,
}

impl Reason {
    /// Was the change's signature checked before it was kept apart? (Only such changes count as
    /// evidence of a fork.)
    fn verified(&self) -> bool {
        !matches!(
            self,
            Reason::UnknownDevice | Reason::Removed | Reason::BadSignature | Reason::KeyDisputed
        )
    }

    /// Which reason a change kept apart for several shows: the strongest, so that what a person
    /// sees does not depend on the order in which the reasons were found.
    fn rank(&self) -> u8 {
        match self {
            Reason::UnknownDevice => 0,
            Reason::Ahead => 1,
            // Above `Ahead`: a change whose key is in doubt is never kept as verified.
            Reason::KeyDisputed => 2,
            Reason::BadSignature => 3,
            Reason::Removed => 4,
            Reason::Revoked => 5,
            Reason::VisitDisputed { .. } => 6,
            Reason::IdReused { .. } => 7,
            Reason::Forked => 8,
        }
    }

    /// Kept apart only until a key arrives or is settled (or the device is trusted again) or the
    /// wall clock catches up: looked at again on every import.
    pub fn waits(&self) -> bool {
        matches!(
            self,
            Reason::UnknownDevice
                | Reason::Removed
                | Reason::Ahead
                | Reason::BadSignature
                | Reason::KeyDisputed
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantined {
    pub change: Change,
    pub reason: Reason,
    /// When it was kept apart (RFC 3339).
    pub at: String,
}

/// Equivocation found, for a person to look into.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Dispute {
    /// The device's log forks at `from`: everything of it from there on is kept apart.
    Fork { device: String, from: u64 },
    /// A visit id carried with different contents.
    Visit { visit: String },
    /// A change id carried by two different changes.
    Id { id: String },
}

fn key(change: &Change) -> String {
    key_with(change, &change.hash())
}

fn key_with(change: &Change, hash: &str) -> String {
    format!("{}\u{1f}{:020}\u{1f}{hash}", change.device, change.idx)
}

/// Keeps `change` apart (not applied). A change kept already keeps its time, and its reason
/// unless this one is stronger (`Reason::rank`).
pub(super) fn keep(tx: &WriteTransaction, change: &Change, reason: Reason) -> Result<()> {
    let k = key(change);
    let existing: Option<Quarantined> = {
        let table = tx.open_table(tables::QUARANTINE).map_err(db_err)?;
        let value = table.get(k.as_str()).map_err(db_err)?;
        value.map(|v| decode(&k, v.value())).transpose()?
    };
    if existing
        .as_ref()
        .is_some_and(|q| q.reason.rank() >= reason.rank())
    {
        return Ok(());
    }
    if reason.verified() && change.field == "visit" {
        note_kept_visit(tx, change)?;
    }
    if reason.verified() {
        // Its id stays taken: a change reusing it is seen whether this one is applied or not.
        let mut ids = tx.open_table(tables::CHANGE_IDS).map_err(db_err)?;
        if ids.get(change.id.as_str()).map_err(db_err)?.is_none() {
            ids.insert(change.id.as_str(), (change.device.as_str(), change.idx))
                .map_err(db_err)?;
        }
    } else {
        // Kept for a reason whose signature is not (or no longer) vouched for — taken back for a
        // key in doubt, say: it is evidence of nothing, as if it had been kept so at once.
        forget(tx, change)?;
    }
    if existing.is_none() {
        index(tx, &k, change)?;
    }
    let entry = Quarantined {
        change: change.clone(),
        reason,
        at: existing.map_or_else(|| chrono::Utc::now().to_rfc3339(), |q| q.at),
    };
    tx.open_table(tables::QUARANTINE)
        .map_err(db_err)?
        .insert(k.as_str(), encode(&entry)?.as_str())
        .map_err(db_err)?;
    Ok(())
}

/// Takes a change's id and visit content out of what counts as held (`change_ids_v1`,
/// `kept_visits_v1`).
fn forget(tx: &WriteTransaction, change: &Change) -> Result<()> {
    let ids = tx.open_table(tables::CHANGE_IDS).map_err(db_err)?;
    let at = ids.get(change.id.as_str()).map_err(db_err)?.map(|v| {
        let (d, i) = v.value();
        (d.to_string(), i)
    });
    drop(ids);
    if let Some((d, i)) = at.filter(|(d, i)| *d == change.device && *i == change.idx) {
        // The slot may hold another change under this id — the real one, applied, of which
        // this is an altered copy signed by someone else: its id stays held.
        let applied_other = super::placement::held_at(tx, &d, i)?
            .is_some_and(|held| held.id == change.id && held.hash() != change.hash());
        if !applied_other {
            tx.open_table(tables::CHANGE_IDS)
                .map_err(db_err)?
                .remove(change.id.as_str())
                .map_err(db_err)?;
        }
    }
    let Some(visit) = change.entity.strip_prefix("visit:") else {
        return Ok(());
    };
    let Some(hash) = visit_hash(&change.device, &change.value) else {
        return Ok(());
    };
    let mut hashes = kept_visit_hashes(tx, visit)?;
    if hashes.contains(&hash) {
        hashes.retain(|h| *h != hash);
        let mut table = tx.open_table(tables::KEPT_VISITS).map_err(db_err)?;
        if hashes.is_empty() {
            table.remove(visit).map_err(db_err)?;
        } else {
            table
                .insert(visit, encode(&hashes)?.as_str())
                .map_err(db_err)?;
        }
    }
    Ok(())
}

/// The `quarantine_by_v1` keys a kept change is found under: its change id, and its visit id.
fn index_keys(change: &Change) -> Vec<String> {
    let mut keys = vec![format!("id\u{1f}{}", change.id)];
    if let Some(visit) = change.entity.strip_prefix("visit:") {
        keys.push(format!("visit\u{1f}{visit}"));
    }
    keys
}

/// Indexes a change kept apart under `key` (`quarantine_by_v1`).
pub(super) fn index(tx: &WriteTransaction, key: &str, change: &Change) -> Result<()> {
    let mut by = tx
        .open_multimap_table(tables::QUARANTINE_BY)
        .map_err(db_err)?;
    for k in index_keys(change) {
        by.insert(k.as_str(), key).map_err(db_err)?;
    }
    Ok(())
}

/// Which changes kept apart a relabelling is for: those carrying a visit id or a change id
/// (found through `quarantine_by_v1`), or a device's from an idx to before another (a range of
/// keys).
enum Pick<'a> {
    Indexed(String),
    Device { device: &'a str, from: u64, to: u64 },
}

/// Gives every change kept apart with its signature checked that `pick` selects the reason
/// `reason`, where that is stronger than its own.
fn relabel(tx: &WriteTransaction, pick: &Pick, reason: &Reason) -> Result<()> {
    let chosen: Vec<Change> = {
        let table = tx.open_table(tables::QUARANTINE).map_err(db_err)?;
        let mut found: Vec<Quarantined> = Vec::new();
        match pick {
            Pick::Indexed(k) => {
                let by = tx
                    .open_multimap_table(tables::QUARANTINE_BY)
                    .map_err(db_err)?;
                for key in by.get(k.as_str()).map_err(db_err)? {
                    let key = key.map_err(db_err)?;
                    if let Some(v) = table.get(key.value()).map_err(db_err)? {
                        found.push(decode(key.value(), v.value())?);
                    }
                }
            }
            Pick::Device { device, from, to } => {
                let start = format!("{device}\u{1f}{from:020}");
                let end = format!("{device}\u{1f}{to:020}");
                for entry in table.range(start.as_str()..end.as_str()).map_err(db_err)? {
                    let (k, v) = entry.map_err(db_err)?;
                    found.push(decode(k.value(), v.value())?);
                }
            }
        }
        found
            .into_iter()
            .filter(|q| q.reason.verified() && q.reason.rank() < reason.rank())
            .map(|q| q.change)
            .collect()
    };
    for change in &chosen {
        keep(tx, change, reason.clone())?;
    }
    Ok(())
}

/// What makes a visit the one it is: the device that carried it and its content (SHA-256 of the
/// device id and the visit's JSON as fieldcheck writes it). A visit id carried by another
/// device, even with the same content, is a second visit under that id (a device cannot take
/// over another's visit by copying it).
pub(super) fn visit_hash(device: &str, value: &serde_json::Value) -> Option<String> {
    let visit: crate::model::Visit = serde_json::from_value(value.clone()).ok()?;
    hash_visit(device, &visit)
}

/// `visit_hash` of a visit read.
pub(super) fn hash_visit(device: &str, visit: &crate::model::Visit) -> Option<String> {
    let mut bytes = device.as_bytes().to_vec();
    bytes.push(0);
    bytes.extend(serde_json::to_vec(visit).ok()?);
    Some(crate::sync::change::hash_of(&bytes))
}

/// Records the content of a visit whose change is kept apart (`kept_visits_v1`).
fn note_kept_visit(tx: &WriteTransaction, change: &Change) -> Result<()> {
    let Some(hash) = visit_hash(&change.device, &change.value) else {
        return Ok(());
    };
    let visit = change.entity.trim_start_matches("visit:");
    let mut hashes = kept_visit_hashes(tx, visit)?;
    // Two versions make the visit disputed whatever comes next (every newcomer differs from one
    // of them): more are not recorded, so one visit in many contents costs each one lookup.
    if hashes.len() < 2 && !hashes.contains(&hash) {
        hashes.push(hash);
        tx.open_table(tables::KEPT_VISITS)
            .map_err(db_err)?
            .insert(visit, encode(&hashes)?.as_str())
            .map_err(db_err)?;
    }
    Ok(())
}

/// The versions (`visit_hash`) of visit `id` carried by changes kept apart whose signatures were
/// checked.
pub(super) fn kept_visit_hashes(tx: &WriteTransaction, id: &str) -> Result<Vec<String>> {
    let table = tx.open_table(tables::KEPT_VISITS).map_err(db_err)?;
    let value = table.get(id).map_err(db_err)?;
    value.map_or(Ok(Vec::new()), |v| decode(id, v.value()))
}

/// Is any dispute recorded?
pub(super) fn any_dispute(tx: &WriteTransaction) -> Result<bool> {
    let disputes = tx.open_table(tables::DISPUTES).map_err(db_err)?;
    Ok(disputes.first().map_err(db_err)?.is_some())
}

/// Does the quarantine hold any change of `device`?
pub(super) fn holds_any(tx: &WriteTransaction, device: &str) -> Result<bool> {
    let table = tx.open_table(tables::QUARANTINE).map_err(db_err)?;
    let from = format!("{device}\u{1f}");
    let to = format!("{device}\u{1f}\u{7f}");
    let mut range = table.range(from.as_str()..to.as_str()).map_err(db_err)?;
    Ok(range.next().is_some())
}

/// Is this very change (whose hash is `hash`) kept apart already?
pub(super) fn holds(tx: &WriteTransaction, change: &Change, hash: &str) -> Result<bool> {
    let table = tx.open_table(tables::QUARANTINE).map_err(db_err)?;
    let k = key_with(change, hash);
    Ok(table.get(k.as_str()).map_err(db_err)?.is_some())
}

/// Every change kept apart only for want of a key or for a clock ahead (`Reason::waits`), left
/// where it is: an import looks at them again and `release`s those it applies.
pub(super) fn waiting(tx: &WriteTransaction) -> Result<Vec<Change>> {
    let table = tx.open_table(tables::QUARANTINE).map_err(db_err)?;
    let mut out = Vec::new();
    for entry in table.iter().map_err(db_err)? {
        let (k, v) = entry.map_err(db_err)?;
        let q: Quarantined = decode(k.value(), v.value())?;
        if q.reason.waits() {
            out.push(q.change);
        }
    }
    Ok(out)
}

/// Takes a change (whose hash is `hash`) out of the quarantine: it was applied after all.
pub(super) fn release(tx: &WriteTransaction, change: &Change, hash: &str) -> Result<()> {
    let k = key_with(change, hash);
    tx.open_table(tables::QUARANTINE)
        .map_err(db_err)?
        .remove(k.as_str())
        .map_err(db_err)?;
    let mut by = tx
        .open_multimap_table(tables::QUARANTINE_BY)
        .map_err(db_err)?;
    for i in index_keys(change) {
        by.remove(i.as_str(), k.as_str()).map_err(db_err)?;
    }
    Ok(())
}

/// The versions kept apart at a device's idx whose signatures were checked.
pub(super) fn verified_versions(
    tx: &WriteTransaction,
    device: &str,
    idx: u64,
) -> Result<Vec<Change>> {
    let table = tx.open_table(tables::QUARANTINE).map_err(db_err)?;
    let from = format!("{device}\u{1f}{idx:020}\u{1f}");
    let to = format!("{device}\u{1f}{idx:020}\u{1f}\u{7f}");
    let mut out = Vec::new();
    for entry in table.range(from.as_str()..to.as_str()).map_err(db_err)? {
        let (k, v) = entry.map_err(db_err)?;
        let q: Quarantined = decode(k.value(), v.value())?;
        if q.reason.verified() {
            out.push(q.change);
        }
    }
    Ok(out)
}

pub(super) fn dispute_key(dispute: &Dispute) -> String {
    match dispute {
        Dispute::Fork { device, .. } => format!("fork\u{1f}{device}"),
        Dispute::Visit { visit } => format!("visit\u{1f}{visit}"),
        Dispute::Id { id } => format!("id\u{1f}{id}"),
    }
}

/// The idx a device's log forks at, if it does.
pub(super) fn fork_point(tx: &WriteTransaction, device: &str) -> Result<Option<u64>> {
    let table = tx.open_table(tables::DISPUTES).map_err(db_err)?;
    let k = format!("fork\u{1f}{device}");
    let Some(v) = table.get(k.as_str()).map_err(db_err)? else {
        return Ok(None);
    };
    Ok(match decode(&k, v.value())? {
        Dispute::Fork { from, .. } => Some(from),
        Dispute::Visit { .. } | Dispute::Id { .. } => None,
    })
}

/// Is this dispute (a visit id, a change id) recorded?
pub(super) fn disputed(tx: &WriteTransaction, dispute: &Dispute) -> Result<bool> {
    let table = tx.open_table(tables::DISPUTES).map_err(db_err)?;
    let k = dispute_key(dispute);
    Ok(table.get(k.as_str()).map_err(db_err)?.is_some())
}

fn record_dispute(tx: &WriteTransaction, dispute: &Dispute) -> Result<()> {
    tx.open_table(tables::DISPUTES)
        .map_err(db_err)?
        .insert(dispute_key(dispute).as_str(), encode(dispute)?.as_str())
        .map_err(db_err)?;
    Ok(())
}

/// A device's log forks at `from` (evidence: `versions`, which are kept apart): from there on
/// every change of it is kept apart, those already applied taken back.
pub(super) fn fork(
    tx: &WriteTransaction,
    device: &str,
    from: u64,
    versions: &[&Change],
) -> Result<()> {
    let before = fork_point(tx, device)?;
    // Changes from the earlier fork point on were taken back and relabelled when it was found:
    // only the stretch the fork point moves back over is (so a bundle of many versions of one
    // device's history costs each change once).
    if before.is_none_or(|f| from < f) {
        record_dispute(
            tx,
            &Dispute::Fork {
                device: device.into(),
                from,
            },
        )?;
        take_back(tx, device, from, Reason::Forked)?;
        let to = before.unwrap_or(u64::MAX);
        relabel(tx, &Pick::Device { device, from, to }, &Reason::Forked)?;
    }
    for version in versions {
        keep(tx, version, Reason::Forked)?;
    }
    Ok(())
}

/// A visit id arrived with a second content: the dispute is recorded and the changes applied with
/// it taken out of the log (the caller keeps the newcomer apart); what they touched is rebuilt
/// by `Rebuild::finish`.
pub(super) fn dispute_visit(
    tx: &WriteTransaction,
    visit: &str,
    rebuild: &mut Rebuild,
) -> Result<()> {
    let dispute = Dispute::Visit {
        visit: visit.into(),
    };
    // Found before: what it took back and relabelled then stays so, and every change carrying
    // the visit since has been kept with it (a bundle of many versions costs one relabelling).
    if disputed(tx, &dispute)? {
        return Ok(());
    }
    record_dispute(tx, &dispute)?;
    let reason = Reason::VisitDisputed {
        visit: visit.into(),
    };
    let held = merge::visit_carriers(tx, visit)?;
    for change in &held {
        keep(tx, change, reason.clone())?;
    }
    rebuild.take_out(tx, &held)?;
    relabel(tx, &Pick::Indexed(format!("visit\u{1f}{visit}")), &reason)
}

/// A change id arrived on a second change: the dispute is recorded and the change applied under
/// it taken back (the caller keeps the newcomer apart), so a device cannot block another's
/// changes by reusing their ids, and the outcome does not depend on which came first. What it
/// touched is rebuilt by `Rebuild::finish`.
pub(super) fn dispute_id(tx: &WriteTransaction, id: &str, rebuild: &mut Rebuild) -> Result<()> {
    let dispute = Dispute::Id { id: id.into() };
    // Found before: see `dispute_visit`.
    if disputed(tx, &dispute)? {
        return Ok(());
    }
    record_dispute(tx, &dispute)?;
    let reason = Reason::IdReused { id: id.into() };
    let held: Vec<Change> = {
        let ids = tx.open_table(tables::CHANGE_IDS).map_err(db_err)?;
        let at = ids.get(id).map_err(db_err)?.map(|v| {
            let (d, i) = v.value();
            (d.to_string(), i)
        });
        drop(ids);
        match at {
            Some((device, idx)) => {
                let table = tx.open_table(tables::CHANGES).map_err(db_err)?;
                let value = table.get((device.as_str(), idx)).map_err(db_err)?;
                value
                    .map(|v| decode::<Change>(id, v.value()))
                    .transpose()?
                    .into_iter()
                    .filter(|c| c.id == id)
                    .collect()
            }
            None => Vec::new(),
        }
    };
    for change in &held {
        keep(tx, change, reason.clone())?;
    }
    rebuild.take_out(tx, &held)?;
    relabel(tx, &Pick::Indexed(format!("id\u{1f}{id}")), &reason)
}

/// Takes a device's applied changes at or after `from` out of the log and the state, keeping
/// them apart with `reason`.
pub(super) fn take_back(
    tx: &WriteTransaction,
    device: &str,
    from: u64,
    reason: Reason,
) -> Result<()> {
    let taken: Vec<Change> = {
        let table = tx.open_table(tables::CHANGES).map_err(db_err)?;
        let mut out = Vec::new();
        for entry in table
            .range((device, from)..=(device, u64::MAX))
            .map_err(db_err)?
        {
            let (k, v) = entry.map_err(db_err)?;
            out.push(decode::<Change>(&k.value().1.to_string(), v.value())?);
        }
        out
    };
    if taken.is_empty() {
        return Ok(());
    }
    for change in &taken {
        keep(tx, change, reason.clone())?;
    }
    let mut rebuild = Rebuild::default();
    rebuild.take_out(tx, &taken)?;
    rebuild.finish(tx)
}

/// Every applied change that `pick` selects, in replay order.
pub(super) fn applied(
    tx: &WriteTransaction,
    pick: impl Fn(&Change) -> bool,
) -> Result<Vec<Change>> {
    let table = tx.open_table(tables::CHANGES).map_err(db_err)?;
    let mut out = Vec::new();
    for entry in table.iter().map_err(db_err)? {
        let (k, v) = entry.map_err(db_err)?;
        let (device, idx) = k.value();
        let change: Change = decode(&format!("{device}/{idx}"), v.value())?;
        if pick(&change) {
            out.push(change);
        }
    }
    merge::replay_order(&mut out);
    Ok(out)
}

/// Everything kept apart, and the disputes, for `quarantine` and `sync status`.
pub(super) fn list(tx: &redb::ReadTransaction) -> Result<(Vec<Quarantined>, Vec<Dispute>)> {
    let table = tx.open_table(tables::QUARANTINE).map_err(db_err)?;
    let mut kept = Vec::new();
    for entry in table.iter().map_err(db_err)? {
        let (k, v) = entry.map_err(db_err)?;
        kept.push(decode(k.value(), v.value())?);
    }
    let table = tx.open_table(tables::DISPUTES).map_err(db_err)?;
    let mut disputes = Vec::new();
    for entry in table.iter().map_err(db_err)? {
        let (k, v) = entry.map_err(db_err)?;
        disputes.push(decode(k.value(), v.value())?);
    }
    Ok((kept, disputes))
}

//! Roster entries received and relayed: what each pinned HQ says about a device, and what that
//! settles. Every pinned HQ's latest entry for a device (for each key it named) is kept
//! (`Device::vouched_by`), so the outcome depends on the entries held and on the operator's
//! decisions, never on the order the entries came in: a device vouched for only by rosters takes
//! its key and names from the live pinned HQ with the lowest device id, counts as removed when no
//! live pinned HQ vouches for it, and is disputed when live vouchers (or a first-use binding and
//! one) name two keys. No roster re-keys a known device.

use std::collections::BTreeSet;

use redb::WriteTransaction;

use super::devices::{self, Device, Vouch, get, put};
use super::quarantine::Reason;
use crate::error::{Error, Result};
use crate::sync::roster::RosterEntry;

/// A device's applied changes to take back from an idx on, and why.
pub(super) type TakeBack = (String, u64, Reason);

/// Takes in the roster entries a bundle carries: those signed by a pinned HQ (or by this store,
/// coming back) update the devices they name; others are ignored. Returns what to take back: a
/// revocation that moved earlier (revocations from any pinned HQ count, the earliest wins, and
/// none is undone), a device whose key became disputed, or one whose key changed. A pinned HQ's
/// entry whose signature does not hold refuses the bundle.
pub(super) fn receive_roster(
    tx: &WriteTransaction,
    own: &str,
    roster: &[RosterEntry],
) -> std::result::Result<Vec<TakeBack>, RosterRefused> {
    let mut out = Vec::new();
    let mut live = None;
    for entry in roster {
        let issuer = if entry.issuer == own {
            get(tx, own)?
        } else {
            get(tx, &entry.issuer)?.filter(|d| d.hq && !d.removed)
        };
        let Some(issuer) = issuer else {
            continue;
        };
        if !entry.verify(&issuer.signing) {
            return Err(RosterRefused::Forged {
                device: entry.device.clone(),
            });
        }
        let Some(peer) = entry.peer().filter(|_| entry.device != own) else {
            continue;
        };
        let known = get(tx, &entry.device)?;
        let mut device = match known.clone() {
            Some(d) => d,
            None if entry.issuer == own => continue,
            None => Device::new(
                &peer,
                &entry.name,
                &entry.inspector,
                Vouch::Roster {
                    issuer: entry.issuer.clone(),
                },
            ),
        };
        // This store's own word (an operator's enrolment, an entry it issued) stands: an entry
        // for another key is ignored, one for the same key only adds its revocation.
        let operator = entry.issuer == own || matches!(device.vouch, Vouch::Operator { .. });
        if operator && device.key != entry.key {
            continue;
        }
        let before = device.revoked_from;
        // One HQ cannot revoke another this store pinned: only this store's operator can
        // (`trust revoke`), so a compromised HQ cannot shut the honest one out for good.
        let pinned = device.hq && entry.issuer != own;
        if let Some(from) = entry.revoked_from.filter(|_| !pinned) {
            device.revoked_from = Some(before.map_or(from, |b| b.min(from)));
        }
        if device.revoked_from != before
            && let Some(from) = device.revoked_from
        {
            out.push((device.device.clone(), from, Reason::Revoked));
        }
        if entry.issuer != own {
            vouch(&mut device, entry);
            let live = match &live {
                Some(l) => l,
                None => live.insert(live_hqs(tx)?),
            };
            if let Some(reason) = settle(&mut device, live) {
                out.push((device.device.clone(), 0, reason));
            }
        }
        // The usual case, an entry held already, writes nothing.
        if known.as_ref() != Some(&device) {
            put(tx, &device)?;
        }
    }
    Ok(out)
}

/// Records a pinned HQ's entry: the latest of its issuer's for the key it names.
fn vouch(device: &mut Device, entry: &RosterEntry) {
    let said = device.vouched_by.entry(entry.issuer.clone()).or_default();
    match said.iter_mut().find(|e| e.key == entry.key) {
        Some(e) if (e.seq, &e.sig) < (entry.seq, &entry.sig) => *e = entry.clone(),
        Some(_) => {}
        None => {
            said.push(entry.clone());
            said.sort_by(|a, b| a.key.cmp(&b.key));
        }
    }
}

/// Why a bundle's roster was refused.
pub(super) enum RosterRefused {
    Forged { device: String },
    Store(Error),
}

impl From<Error> for RosterRefused {
    fn from(e: Error) -> RosterRefused {
        RosterRefused::Store(e)
    }
}

/// The ids of the HQs this store pinned and has not removed.
fn live_hqs(tx: &WriteTransaction) -> Result<BTreeSet<String>> {
    Ok(devices::all(tx)?
        .into_iter()
        .filter(|d| d.hq && !d.removed)
        .map(|d| d.device)
        .collect())
}

/// Settles every device again after the pinned HQs changed (one pinned, or removed), and takes
/// back what that calls for.
pub(super) fn settle_all(tx: &WriteTransaction, own: &str) -> Result<()> {
    let live = live_hqs(tx)?;
    for mut device in devices::all(tx)? {
        if device.device == own {
            continue;
        }
        let before = device.clone();
        let reason = settle(&mut device, &live);
        if device != before {
            put(tx, &device)?;
        }
        if let Some(reason) = reason {
            super::quarantine::take_back(tx, &device.device, 0, reason)?;
        }
    }
    Ok(())
}

/// What a device's vouchers (its `vouched_by` issuers in `live`) decide: a device vouched for
/// only by rosters takes key, names and relayed entry from the latest entry of the voucher with
/// the lowest device id; its key is disputed when the keys the vouchers named (and, for a device
/// trusted on first use, that key) are not one — so no roster ever re-keys a known device. The
/// operator's own enrolment is never settled by a roster. Returns the reason to take the
/// device's applied changes back with: a dispute that starts, or a new key, under which their
/// signatures no longer hold.
fn settle(device: &mut Device, live: &BTreeSet<String>) -> Option<Reason> {
    let vouchers: Vec<&Vec<RosterEntry>> = device
        .vouched_by
        .iter()
        .filter(|(issuer, _)| live.contains(*issuer))
        .map(|(_, said)| said)
        .collect();
    let mut claims: BTreeSet<String> = vouchers
        .iter()
        .flat_map(|said| said.iter())
        .map(|e| e.key.clone())
        .collect();
    let deciding = vouchers
        .first()
        .and_then(|said| {
            said.iter()
                .max_by(|a, b| (a.seq, &a.sig).cmp(&(b.seq, &b.sig)))
        })
        .cloned();
    let (key_before, was_disputed) = (device.key.clone(), !device.disputed.is_empty());
    match device.vouch {
        Vouch::Own | Vouch::Operator { .. } => claims.clear(),
        Vouch::FirstUse { .. } => {
            claims.insert(key_before.clone());
        }
        Vouch::Roster { .. } => {}
    }
    if matches!(device.vouch, Vouch::Roster { .. })
        && let Some(entry) = deciding
    {
        adopt(device, &entry);
    }
    device.disputed = if claims.len() > 1 {
        claims.into_iter().collect()
    } else {
        Vec::new()
    };
    match (device.disputed.is_empty(), was_disputed) {
        (false, false) => Some(Reason::KeyDisputed),
        (true, _) if device.key != key_before => Some(Reason::BadSignature),
        _ => None,
    }
}

/// A roster-vouched device as `entry` describes it.
fn adopt(device: &mut Device, entry: &RosterEntry) {
    if let Some(peer) = entry.peer() {
        device.set_key(&peer);
    }
    device.name.clone_from(&entry.name);
    device.inspector.clone_from(&entry.inspector);
    device.district.clone_from(&entry.district);
    device.vouch = Vouch::Roster {
        issuer: entry.issuer.clone(),
    };
    device.entry = Some(entry.clone());
}

/// The roster entries this store relays: those it issued and every live pinned HQ's latest one,
/// for the devices it has not removed from its trust (or removed after revoking them).
pub(super) fn relayed_roster(devices: &[Device], own: &str) -> Vec<RosterEntry> {
    let hqs: BTreeSet<&str> = devices
        .iter()
        .filter(|d| d.hq && !d.removed)
        .map(|d| d.device.as_str())
        .collect();
    devices
        .iter()
        // A removed device's entries travel only to carry its revocation.
        .filter(|d| !d.removed || d.revoked_from.is_some())
        .flat_map(|d| {
            let issued = d.entry.iter().filter(|e| e.issuer == own);
            let vouched = d
                .vouched_by
                .values()
                .flatten()
                .filter(|e| hqs.contains(e.issuer.as_str()));
            issued.chain(vouched).cloned()
        })
        .collect()
}

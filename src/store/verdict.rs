//! Each change's signature checked against the key of the device it names, before anything
//! of an import is placed.

use std::collections::HashMap;

use ed25519_dalek::VerifyingKey;
use redb::WriteTransaction;

use super::devices::{self, Vouch};
use super::quarantine::Reason;
use crate::error::Result;
use crate::sync::Change;

/// A change's verdict against the devices this store knows.
pub(super) enum Verdict {
    Verified,
    Unknown,
    Removed,
    /// Its device's key is disputed: not checked against either.
    KeyDisputed,
    Bad,
}

impl Verdict {
    /// Why a change with this verdict is kept apart before anything else is looked at, if it is.
    pub(super) fn kept_apart(&self) -> Option<Reason> {
        match self {
            Verdict::Verified => None,
            Verdict::Unknown => Some(Reason::UnknownDevice),
            Verdict::Removed => Some(Reason::Removed),
            Verdict::KeyDisputed => Some(Reason::KeyDisputed),
            Verdict::Bad => Some(Reason::BadSignature),
        }
    }
}

/// What a device's changes are checked against.
enum Standing {
    Removed,
    Disputed,
    Key(Option<VerifyingKey>),
}

/// Checks every change's signature against its device's key (`signed` holds each change's
/// signed bytes), on both cores for large imports. A device vouched for only by rosters, none of
/// whose issuers is a live pinned HQ, counts as removed; one whose key is disputed is not
/// checked.
pub(super) fn verify_all(
    tx: &WriteTransaction,
    changes: &[Change],
    signed: &[Vec<u8>],
    meter: crate::progress::Meter,
) -> Result<Vec<Verdict>> {
    let mut standings: HashMap<&str, Option<Standing>> = HashMap::new();
    let mut live_hq: HashMap<String, bool> = HashMap::new();
    for change in changes {
        if standings.contains_key(change.device.as_str()) {
            continue;
        }
        let found = match devices::get(tx, &change.device)? {
            None => None,
            Some(d) => {
                let vouched = match d.vouch {
                    Vouch::Roster { .. } => any_live(tx, &mut live_hq, d.vouched_by.keys())?,
                    _ => true,
                };
                Some(if d.removed || !vouched {
                    Standing::Removed
                } else if !d.disputed.is_empty() {
                    Standing::Disputed
                } else {
                    Standing::Key(crate::sync::keys::parse_public(&d.signing))
                })
            }
        };
        standings.insert(&change.device, found);
    }
    let mut verdicts = Vec::with_capacity(changes.len());
    let mut to_check = Vec::new();
    for (i, change) in changes.iter().enumerate() {
        match standings
            .get(change.device.as_str())
            .and_then(Option::as_ref)
        {
            None => verdicts.push(Verdict::Unknown),
            Some(Standing::Removed) => verdicts.push(Verdict::Removed),
            Some(Standing::Disputed) => verdicts.push(Verdict::KeyDisputed),
            Some(Standing::Key(None)) => verdicts.push(Verdict::Bad),
            Some(Standing::Key(Some(key))) => {
                verdicts.push(Verdict::Verified);
                to_check.push((i, *key));
            }
        }
    }
    let meter = std::sync::Mutex::new(meter);
    for i in check_signatures(changes, signed, &to_check, &meter)? {
        verdicts[i] = Verdict::Bad;
    }
    Ok(verdicts)
}

/// Is any of `issuers` a pinned HQ this store has not removed? (`live` keeps the answers.)
fn any_live<'a>(
    tx: &WriteTransaction,
    live: &mut HashMap<String, bool>,
    issuers: impl Iterator<Item = &'a String>,
) -> Result<bool> {
    for issuer in issuers {
        let yes = match live.get(issuer) {
            Some(yes) => *yes,
            None => {
                let yes = devices::get(tx, issuer)?.is_some_and(|hq| hq.hq && !hq.removed);
                live.insert(issuer.clone(), yes);
                yes
            }
        };
        if yes {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The indices among `to_check` whose signatures do not hold, by ed25519 batch verification
/// (`keys::Batch`) in chunks split over both cores; a chunk that fails is checked one signature at
/// a time to find which. The rules are ZIP-215's, under which a batch and each signature alone
/// decide alike, so the grouping never changes what a store accepts.
fn check_signatures(
    changes: &[Change],
    signed: &[Vec<u8>],
    to_check: &[(usize, VerifyingKey)],
    meter: &std::sync::Mutex<crate::progress::Meter>,
) -> Result<Vec<usize>> {
    const CHUNK: usize = 256;
    crate::sync::keys::check_randomness().map_err(|detail| crate::error::Error::Store {
        detail: format!("no randomness for checking signatures: {detail}"),
    })?;
    let run = |part: &[(usize, VerifyingKey)]| -> Vec<usize> {
        let mut bad = Vec::new();
        for chunk in part.chunks(CHUNK) {
            let mut batch = crate::sync::keys::Batch::default();
            for (i, key) in chunk {
                if !batch.queue(*i, key, &signed[*i], &changes[*i].sig) {
                    bad.push(*i);
                }
            }
            bad.extend(batch.failed());
            if let Ok(mut meter) = meter.lock() {
                meter.add(chunk.len() as u64);
            }
        }
        bad
    };
    if to_check.len() < 2 * CHUNK {
        return Ok(run(to_check));
    }
    let (a, b) = to_check.split_at(to_check.len() / 2);
    Ok(std::thread::scope(|s| {
        let other = s.spawn(|| run(b));
        let mut bad = run(a);
        bad.extend(
            other
                .join()
                .unwrap_or_else(|_| b.iter().map(|(i, _)| *i).collect()),
        );
        bad
    }))
}

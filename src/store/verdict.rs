//! Each change's signature checked against the key of the device it names, before anything
//! of an import is placed.

use std::collections::HashMap;

use ed25519_dalek::VerifyingKey;
use redb::WriteTransaction;

use super::devices::{self, Vouch};
use crate::error::Result;
use crate::sync::Change;

/// A change's verdict against the devices this store knows.
pub(super) enum Verdict {
    Verified,
    Unknown,
    Removed,
    Bad,
}

/// Checks every change's signature against its device's key (`signed` holds each change's
/// signed bytes), on both cores for large imports. A device vouched for only by an HQ this store
/// no longer trusts counts as removed.
pub(super) fn verify_all(
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
    for i in check_signatures(changes, signed, &to_check)? {
        verdicts[i] = Verdict::Bad;
    }
    Ok(verdicts)
}

/// The indices among `to_check` whose signatures do not hold, by ed25519 batch verification
/// (`keys::Batch`) in chunks split over both cores; a chunk that fails is checked one signature at
/// a time to find which. The rules are ZIP-215's, under which a batch and each signature alone
/// decide alike, so the grouping never changes what a store accepts.
fn check_signatures(
    changes: &[Change],
    signed: &[Vec<u8>],
    to_check: &[(usize, VerifyingKey)],
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

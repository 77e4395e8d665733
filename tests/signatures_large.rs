//! An import checks signatures in chunks (batch verification, split over both cores). A forgery
//! by the packer deep in a large bundle (far past the first chunk; placed first in one case, last
//! in the other) refuses the whole bundle, naming the first forged change in the bundle, with
//! nothing written; a relayed change whose signature fails late in the bundle is kept apart and
//! the rest applied.

mod common;

use common::peers::{DAY_MS, LEADS, bundle_of, change, device, enrol, id, now_ms, signed};
use fieldcheck::error::Error;
use fieldcheck::store::{ImportOptions, Store};
use fieldcheck::sync::Change;
use fieldcheck::sync::bundle::Problem;
use serde_json::json;

const CHANGES: u64 = 1_200;

/// `device`'s log of `CHANGES` attention changes on the third lead, each building on the last.
fn log_of(store: &Store, start: u64) -> Vec<Change> {
    let mut log: Vec<Change> = Vec::new();
    for idx in 1..=CHANGES {
        let mut made = change(&id(store), idx, log.last(), start + idx * 1_000);
        made.value = json!(idx % 2 == 0);
        made.base = log.last().map(|c| c.id.clone());
        log.push(signed(made, store));
    }
    log
}

/// The other attention mark than the change sets.
fn flipped(change: &Change) -> serde_json::Value {
    json!(change.value != json!(true))
}

fn refused(store: &Store, bytes: &[u8]) -> Problem {
    let before = store.digest().unwrap();
    let options = ImportOptions {
        allow_plain: true,
        ..ImportOptions::default()
    };
    let problem = match store.import(bytes, "bad.fcb", &options) {
        Err(Error::Bundle { problem, .. }) => problem,
        other => panic!("expected a refusal, got {:?}", other.map(|r| r.applied)),
    };
    assert_eq!(
        store.digest().unwrap(),
        before,
        "{problem:?} changed the store"
    );
    problem
}

#[test]
fn a_forgery_deep_in_a_large_bundle_refuses_it_whole() {
    let (hq, b) = (device("HQ"), device("B"));
    enrol(&hq, &b, false);
    let log = log_of(&b, now_ms() - DAY_MS);
    // Altered after signing: B's own signature no longer holds, and B packed the bundle.
    let mut late = log.clone();
    late[1_100].value = flipped(&late[1_100]);
    assert_eq!(
        refused(&hq, &bundle_of(&b, &late)),
        Problem::Forged {
            change: late[1_100].id.clone(),
            device: id(&b),
        }
    );
    // Two forgeries: the one placed first (its clock set early, re-signed by nobody) is not the
    // first in the bundle; the refusal names the first in the bundle.
    let mut two = log.clone();
    two[700].value = flipped(&two[700]);
    two[1_150].clock.ms = two[0].clock.ms - 1;
    assert_eq!(
        refused(&hq, &bundle_of(&b, &two)),
        Problem::Forged {
            change: two[700].id.clone(),
            device: id(&b),
        }
    );
}

#[test]
fn a_relayed_change_whose_signature_fails_late_in_the_bundle_is_kept_apart() {
    let (hq, b, c) = (device("HQ"), device("B"), device("C"));
    enrol(&hq, &b, false);
    enrol(&hq, &c, false);
    let mut relayed = log_of(&c, now_ms() - DAY_MS);
    relayed[1_000].value = flipped(&relayed[1_000]);
    let imported = common::peers::import(&hq, &bundle_of(&b, &relayed));
    assert_eq!(imported.bad_signatures, 1, "{imported:?}");
    // Every other change applies (the kept one leaves a gap in C's log); the lead shows C's
    // last value (idx 1200, even: true).
    assert_eq!(imported.applied, CHANGES as usize - 1, "{imported:?}");
    assert_eq!(imported.kept_apart, 1, "{imported:?}");
    assert!(hq.lead(LEADS[2]).unwrap().attention);
}

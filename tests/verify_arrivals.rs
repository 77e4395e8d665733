//! `verify` remembers, within one register's replay, which changes it found not to build on a
//! value; a change that becomes held later in the replay can link such a change to that value.
//! Each case is a log in which a remembered change is linked to the value only by a change
//! replayed after it was remembered: the import settles the register (no conflict), and `verify`
//! must agree with it. Forgetting to look at such a change makes `verify` report a conflict
//! the store rightly does not hold. The last case is the import's: a change taken out of the
//! log in the middle of an import.

mod common;

use common::peers::{DAY_MS, LEADS, bundle_of, change, device, enrol, id, import, now_ms, signed};
use fieldcheck::store::Store;
use fieldcheck::sync::Change;
use serde_json::json;

fn stores() -> (Store, Store, Store) {
    let (hq, b, c) = (device("HQ"), device("B"), device("C"));
    enrol(&hq, &b, false);
    enrol(&hq, &c, false);
    (hq, b, c)
}

fn settled_and_verified(hq: &Store, packer: &Store, log: &[Change]) {
    let imported = import(hq, &bundle_of(packer, log));
    assert_eq!(imported.applied, log.len());
    assert_eq!(imported.conflicts, 0, "{imported:?}");
    assert_eq!(hq.verify().unwrap(), Vec::new());
}

#[test]
fn a_change_of_a_device_whose_clock_ran_back_links_a_remembered_change() {
    let (hq, b, c) = stores();
    let t = now_ms() - DAY_MS;
    let a = signed(change(&id(&c), 1, None, t), &c);
    // B's first change (another lead) builds on C's value, but is dated after B's second:
    // replayed after it, it links B's second (and so B's third) to C's value.
    let mut b1 = change(&id(&b), 1, None, t + 3_000);
    b1.entity = format!("lead:{}", LEADS[1]);
    b1.base = Some(a.id.clone());
    let b1 = signed(b1, &b);
    let mut b2 = change(&id(&b), 2, Some(&b1), t + 1_000);
    b2.value = json!(false);
    let b2 = signed(b2, &b);
    let mut b3 = change(&id(&b), 3, Some(&b2), t + 5_000);
    b3.value = json!(false);
    let b3 = signed(b3, &b);
    settled_and_verified(&hq, &b, &[a, b1, b2, b3]);
}

#[test]
fn a_change_a_search_looked_for_arrives_later_in_the_replay() {
    let (hq, b, c) = stores();
    let t = now_ms() - DAY_MS;
    let a = signed(change(&id(&c), 1, None, t), &c);
    // C's second change (another lead) builds on its first; B's first names it as its base but
    // is dated before it, so the replay meets B's first while C's second is not held yet.
    let mut c2 = change(&id(&c), 2, Some(&a), t + 3_000);
    c2.entity = format!("lead:{}", LEADS[1]);
    c2.base = Some(a.id.clone());
    let c2 = signed(c2, &c);
    let mut b1 = change(&id(&b), 1, None, t + 1_000);
    b1.value = json!(false);
    b1.base = Some(c2.id.clone());
    let b1 = signed(b1, &b);
    let mut b2 = change(&id(&b), 2, Some(&b1), t + 5_000);
    b2.value = json!(false);
    let b2 = signed(b2, &b);
    settled_and_verified(&hq, &b, &[a, c2, b1, b2]);
}

/// A change taken back in the middle of an import (its id reused) was where a remembered search
/// stopped (dated before the value searched for); once it is out of the log, the device's later
/// change reaches the value through the change before it. (Found by a review of the memory.)
#[test]
fn a_change_taken_back_mid_import_lets_a_search_go_further() {
    let (hq, b, c) = stores();
    let t = now_ms() - DAY_MS;
    let a = signed(change(&id(&c), 1, None, t), &c); // R = LEADS[2]
    let mut b1 = change(&id(&b), 1, None, t + 3_000);
    b1.entity = format!("lead:{}", LEADS[1]);
    b1.base = Some(a.id.clone());
    let b1 = signed(b1, &b);
    // Dated before `a`: a dead end (clock pruning) between b3 and b1.
    let mut b2 = change(&id(&b), 2, Some(&b1), t - 1_000);
    b2.entity = format!("lead:{}", LEADS[0]);
    let b2 = signed(b2, &b);
    let mut b3 = change(&id(&b), 3, Some(&b2), t + 5_000);
    b3.value = json!(false);
    let b3 = signed(b3, &b);
    // Reuses b2's id: the id dispute takes b2 back out of the log, mid-import.
    let mut b4 = change(&id(&b), 4, Some(&b3), t + 6_000);
    b4.entity = format!("lead:{}", LEADS[0]);
    b4.id = b2.id.clone();
    let b4 = signed(b4, &b);
    let mut b5 = change(&id(&b), 5, Some(&b4), t + 7_000);
    b5.value = json!(false);
    b5.base = Some(b3.id.clone());
    let b5 = signed(b5, &b);
    let imported = import(&hq, &bundle_of(&b, &[a, b1, b2, b3, b4, b5]));
    assert_eq!(imported.kept_apart, 2, "{imported:?}");
    assert_eq!(imported.conflicts, 0, "{imported:?}");
    assert_eq!(hq.verify().unwrap(), Vec::new());
}

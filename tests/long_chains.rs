//! A laptop that writes one register again and again beside another device's concurrent value —
//! an honest laptop that never synced, or a hostile one sending 100,000 such changes, its clock
//! running forwards or backwards along its log — must cost `import` and `verify` reads in
//! proportion to its log, not to its square: the ancestry search once walked the whole chain at
//! every change (2.25M records read for 1,500 changes). Counted in records read, not seconds.
//! (This test binary runs one test: the count of records read is global to the process.)

mod common;

use common::peers::{DAY_MS, LEADS, bundle_of, change, device, enrol, id, import, now_ms, signed};
use fieldcheck::store::{Store, records_decoded};
use fieldcheck::sync::{Change, LeadField};
use serde_json::json;

const CHANGES: u64 = 1_500;
const N: u64 = 800;

fn stores() -> (Store, Store, Store) {
    let (hq, b, c) = (device("HQ"), device("B"), device("C"));
    enrol(&hq, &b, false);
    enrol(&hq, &c, false);
    (hq, b, c)
}

#[derive(Clone, Copy, Debug)]
enum Chain {
    /// Each change dated after the one it follows.
    Forwards,
    /// Each change dated before the one it follows (a hostile laptop).
    Backwards,
    /// Backwards, its changes alternating between two leads' registers.
    BackwardsOnTwo,
}

fn chain(shape: Chain) {
    let (hq, b) = (device("HQ"), device("B"));
    enrol(&hq, &b, false);
    for lead in [LEADS[1], LEADS[2]] {
        hq.set_lead_field(lead, &LeadField::Attention(true))
            .unwrap();
    }
    // All after HQ's own changes, none linked to them: HQ's values stay concurrent heads.
    let start = now_ms() + DAY_MS / 2;
    let mut log: Vec<Change> = Vec::new();
    for idx in 1..=CHANGES {
        let ms = match shape {
            Chain::Forwards => start - (CHANGES + 1 - idx) * 1_000,
            Chain::Backwards | Chain::BackwardsOnTwo => start - idx * 1_000,
        };
        let mut made = change(&id(&b), idx, log.last(), ms);
        made.value = json!(false);
        if matches!(shape, Chain::BackwardsOnTwo) && idx % 2 == 0 {
            made.entity = format!("lead:{}", LEADS[1]);
        }
        // Each builds on the device's previous change of its register, as a laptop's would.
        made.base = log
            .iter()
            .rev()
            .find(|c| c.entity == made.entity)
            .map(|c| c.id.clone());
        log.push(signed(made, &b));
    }
    let before = records_decoded();
    let imported = import(&hq, &bundle_of(&b, &log));
    let import_reads = records_decoded() - before;
    assert_eq!(imported.applied, CHANGES as usize, "{shape:?}");
    // The registers end in conflict: HQ's value beside B's latest (by its log).
    assert!(imported.conflicts >= 1, "{shape:?}: {imported:?}");
    let before = records_decoded();
    assert_eq!(hq.verify().unwrap(), Vec::new(), "{shape:?}");
    let verify_reads = records_decoded() - before;
    for (what, read) in [("import", import_reads), ("verify", verify_reads)] {
        assert!(
            read < 20 * CHANGES,
            "{shape:?}: {what} read {read} records for a log of {CHANGES} changes"
        );
    }
}

/// A chain beside another device's value, and that device's changes arriving late (its clock
/// running back) in between: each arrival is the value's own device, after it. (Found by a
/// review: each such arrival dropped what was remembered, and the chain was walked again.)
fn late_changes_of_the_other_device() -> (u64, u64) {
    let (hq, b, c) = stores();
    let t0 = now_ms() - DAY_MS;
    let mut log = vec![signed(change(&id(&c), 1, None, t0), &c)];
    let mut last_b: Option<Change> = None;
    for i in 1..=N {
        let mut x = change(&id(&b), i, last_b.as_ref(), t0 + 10 * i);
        x.value = json!(false);
        x.base = last_b.as_ref().map(|p| p.id.clone());
        let x = signed(x, &b);
        last_b = Some(x.clone());
        log.push(x);
    }
    // C's log runs backwards, interleaved with B's: every change but the last is "late",
    // and (same device as the ancestor, later idx) reaches it.
    let mut last_c = log[0].clone();
    for j in 2..=N + 1 {
        let mut x = change(&id(&c), j, Some(&last_c), t0 + 10 * (N + 2 - j) + 5);
        x.entity = format!("lead:{}", LEADS[1]);
        let x = signed(x, &c);
        last_c = x.clone();
        log.push(x);
    }
    let before = records_decoded();
    let imported = import(&hq, &bundle_of(&b, &log));
    let import_reads = records_decoded() - before;
    assert_eq!(imported.applied, log.len());
    let before = records_decoded();
    assert_eq!(hq.verify().unwrap(), Vec::new());
    (import_reads, records_decoded() - before)
}

/// Changes dated before a long history that a value (HQ's) builds on: the new change is the
/// ancestor asked about each time, so nothing remembered helps; the search stops at the new
/// change's own device's earlier changes. (Found by a review; as costly before the memory.)
fn dated_before_a_long_history() -> u64 {
    let (hq, b, _c) = stores();
    let t0 = now_ms() - DAY_MS;
    let mut log: Vec<Change> = Vec::new();
    for i in 1..=N {
        let mut x = change(&id(&b), i, log.last(), t0 + 10 * i);
        x.value = json!(false);
        x.base = log.last().map(|p| p.id.clone());
        log.push(signed(x, &b));
    }
    import(&hq, &bundle_of(&b, &log));
    // HQ settles the register: its value builds on B's last.
    hq.set_lead_field(LEADS[2], &LeadField::Attention(true))
        .unwrap();
    let mut more: Vec<Change> = Vec::new();
    for k in 1..=N {
        let prev = more.last().or(log.last());
        let mut x = change(&id(&b), N + k, prev, t0 - DAY_MS / 2 + 10 * k);
        x.value = json!(k % 2 == 0);
        more.push(signed(x, &b));
    }
    let before = records_decoded();
    let imported = import(&hq, &bundle_of(&b, &more));
    assert_eq!(imported.applied, more.len());
    records_decoded() - before
}

/// Many ancestors: C's values on K registers (of leads that need not exist), then B's chain
/// writing those registers in turn. B's whole log is in each of its changes' ancestry, so memory
/// kept per ancestor had to take in every B change for each of them (282,207 reads for 800
/// changes over 200 registers); kept per ancestor's device, what one of C's values taught
/// serves C's later ones. (Found by a review.) `verify` keeps its memory per register: there it
/// still costs N·K/2 (docs/performance.md).
fn many_ancestors() -> u64 {
    const K: u64 = 200;
    let (hq, b, c) = stores();
    let t0 = now_ms() - DAY_MS;
    let mut log: Vec<Change> = Vec::new();
    let mut last_c: Option<Change> = None;
    for r in 1..=K {
        let mut x = change(&id(&c), r, last_c.as_ref(), t0 + r);
        x.entity = format!("lead:fake-{r}");
        let x = signed(x, &c);
        last_c = Some(x.clone());
        log.push(x);
    }
    let mut bs: Vec<Change> = Vec::new();
    for i in 1..=N {
        let r = (i - 1) % K + 1;
        let mut x = change(&id(&b), i, bs.last(), t0 + 10 * K + 10 * i);
        x.entity = format!("lead:fake-{r}");
        x.value = json!(false);
        x.base = bs
            .iter()
            .rev()
            .find(|p| p.entity == x.entity)
            .map(|p| p.id.clone());
        bs.push(signed(x, &b));
    }
    log.extend(bs);
    let before = records_decoded();
    let imported = import(&hq, &bundle_of(&b, &log));
    let import_reads = records_decoded() - before;
    assert_eq!(imported.applied, log.len());
    assert_eq!(hq.verify().unwrap(), Vec::new());
    import_reads
}

#[test]
fn a_long_chain_beside_a_concurrent_value_costs_reads_in_proportion_to_it() {
    for shape in [Chain::Forwards, Chain::Backwards, Chain::BackwardsOnTwo] {
        chain(shape);
    }
    let (import, verify) = late_changes_of_the_other_device();
    let before = dated_before_a_long_history();
    let many = many_ancestors();
    for (what, read) in [
        ("many ancestors: import", many),
        ("late changes of the other device: import", import),
        ("late changes of the other device: verify", verify),
        ("dated before a long history: import", before),
    ] {
        assert!(
            read < 20 * N,
            "{what}: {read} records read for {} changes",
            2 * N
        );
    }
}

//! A laptop that writes one register again and again beside another device's concurrent value —
//! an honest laptop that never synced, or a hostile one sending 100,000 such changes, its clock
//! running forwards or backwards along its log — must cost `import` and `verify` reads in
//! proportion to its log, not to its square: the ancestry search once walked the whole chain at
//! every change (2.25M records read for 1,500 changes). Counted in records read, not seconds.
//! (This test binary runs one test: the count of records read is global to the process.)

mod common;

use common::peers::{DAY_MS, LEADS, bundle_of, change, device, enrol, id, import, now_ms, signed};
use fieldcheck::store::records_decoded;
use fieldcheck::sync::{Change, LeadField};

const CHANGES: u64 = 1_500;

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
        made.value = serde_json::json!(false);
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

#[test]
fn a_long_chain_beside_a_concurrent_value_costs_reads_in_proportion_to_it() {
    for shape in [Chain::Forwards, Chain::Backwards, Chain::BackwardsOnTwo] {
        chain(shape);
    }
}

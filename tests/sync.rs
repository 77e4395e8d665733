//! Sync: stores converge whatever order bundles arrive in (property test on three devices),
//! conflicts appear exactly for concurrent different writes, and bad bundles change nothing.

use chrono::{NaiveDate, Utc};
use fieldcheck::error::Error;
use fieldcheck::model::form::VisitForm;
use fieldcheck::model::{Lead, Visit};
use fieldcheck::store::{InitOptions, Keep, Store};
use fieldcheck::sync::bundle::{self, Problem};
use fieldcheck::sync::{Change, LeadField};
use proptest::prelude::*;

const LEADS: [&str; 3] = [
    "cq-jfb-2022-3/a3/1",
    "cq-jfb-2022-3/a3/2",
    "cq-jfb-2022-3/a3/3",
];

fn device(name: &str) -> Store {
    Store::memory(&InitOptions {
        inspector: Some(name.into()),
        device: Some(name.into()),
        ..InitOptions::default()
    })
    .unwrap()
}

/// Devices that trust each other.
fn devices(names: &[&str]) -> Vec<Store> {
    let stores: Vec<Store> = names.iter().map(|n| device(n)).collect();
    for a in &stores {
        for b in &stores {
            let key = b.identity().unwrap().public_key;
            if a.identity().unwrap().public_key != key {
                a.trust(&key, "peer").unwrap();
            }
        }
    }
    stores
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, 28).unwrap()
}

/// A bundle of these changes, signed by `store`.
fn bundle_of(store: &Store, changes: &[Change]) -> Vec<u8> {
    let id = store.identity().unwrap();
    bundle::write(
        changes,
        &id.device_id,
        &id.inspector,
        &store.signing_key().unwrap(),
    )
}

/// Leads, visits by id, and conflicts (id, head ids): what converging stores must agree on.
type State = (Vec<Lead>, Vec<Visit>, Vec<(String, Vec<String>)>);

fn state(store: &Store) -> State {
    let mut visits = store.visits(None).unwrap();
    visits.sort_by(|a, b| a.id.cmp(&b.id));
    let conflicts = store
        .conflicts()
        .unwrap()
        .into_iter()
        .map(|c| (c.id, c.heads.into_iter().map(|h| h.id).collect()))
        .collect();
    (store.leads().unwrap(), visits, conflicts)
}

fn visit(store: &Store, lead: &str, finding: &str) {
    let form = VisitForm {
        lead: lead.into(),
        kind: "onsite".into(),
        finding: finding.into(),
        evidence: vec!["contract:HT-1".into()],
        next: "再联系".into(),
        due: "+7".into(),
        ..VisitForm::default()
    };
    // A visit the rules refuse at this stage is simply not made.
    let _ = store.finalize(&form, Utc::now(), today(), false);
}

#[derive(Debug, Clone)]
enum Op {
    Supervise(usize, usize, bool),
    Assign(usize, usize, bool),
    Visit(usize, usize, bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..3usize, 0..3usize, any::<bool>()).prop_map(|(d, l, b)| Op::Supervise(d, l, b)),
        (0..3usize, 0..3usize, any::<bool>()).prop_map(|(d, l, b)| Op::Assign(d, l, b)),
        (0..3usize, 0..3usize, any::<bool>()).prop_map(|(d, l, b)| Op::Visit(d, l, b)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Random work on three laptops; every laptop's changes cut into bundles; two headquarters
    /// stores import them in different orders (one imports some twice): same state, no visit
    /// lost, the same conflicts.
    #[test]
    fn stores_that_saw_the_same_changes_agree(
        ops in prop::collection::vec(op(), 1..25),
        cut in 1usize..4,
        order in Just(()).prop_perturb(|_, mut rng| { let mut v: Vec<usize> = (0..12).collect(); for i in (1..v.len()).rev() { v.swap(i, (rng.next_u32() as usize) % (i + 1)); } v }),
    ) {
        let laptops = devices(&["A", "B", "C"]);
        for op in &ops {
            match *op {
                Op::Supervise(d, l, b) => { laptops[d].set_lead_field(LEADS[l], &LeadField::Supervised(b)).unwrap(); }
                Op::Assign(d, l, b) => {
                    let who = if b { Some(format!("insp{d}")) } else { None };
                    laptops[d].set_lead_field(LEADS[l], &LeadField::Assignee(who)).unwrap();
                }
                Op::Visit(d, l, paid) => visit(&laptops[d], LEADS[l], if paid { "paid" } else { "unreachable" }),
            }
        }
        // Each laptop's log, cut into up to `cut` bundles.
        let mut bundles = Vec::new();
        for laptop in &laptops {
            let changes = laptop.changes().unwrap();
            let size = changes.len().div_ceil(cut).max(1);
            for part in changes.chunks(size) {
                bundles.push(bundle_of(laptop, part));
            }
        }
        let hq = devices(&["HQ1", "HQ2"]);
        for h in &hq {
            for laptop in &laptops {
                h.trust(&laptop.identity().unwrap().public_key, "laptop").unwrap();
            }
        }
        for b in &bundles {
            hq[0].import(b, "b", false).unwrap();
        }
        let shuffled: Vec<&Vec<u8>> = order.iter().filter(|i| **i < bundles.len()).map(|i| &bundles[*i]).collect();
        for b in shuffled.iter().chain(shuffled.iter().take(2)) {
            hq[1].import(b, "b", false).unwrap();
        }
        let first = state(&hq[0]);
        prop_assert_eq!(&first, &state(&hq[1]));
        // No visit lost.
        let made: usize = laptops.iter().map(|l| l.visits(None).unwrap().len()).sum();
        prop_assert_eq!(first.1.len(), made);
        prop_assert!(hq[0].verify().unwrap().is_empty());
        // A conflict is exactly a register with concurrent different values.
        for (_, heads) in &first.2 {
            prop_assert!(heads.len() >= 2);
        }
        // Headquarters sends everything back: every laptop converges too.
        let all = bundle_of(&hq[0], &hq[0].changes().unwrap());
        for laptop in &laptops {
            laptop.trust(&hq[0].identity().unwrap().public_key, "hq").unwrap();
            laptop.import(&all, "all", false).unwrap();
            prop_assert_eq!(&state(laptop), &first);
        }
    }
}

#[test]
fn concurrent_different_writes_conflict_and_sequential_ones_do_not() {
    let s = devices(&["A", "B"]);
    let (a, b) = (&s[0], &s[1]);
    let lead = LEADS[0];
    // Sequential: B saw A's value before changing it.
    a.set_lead_field(lead, &LeadField::Supervised(true))
        .unwrap();
    b.import(&bundle_of(a, &a.changes().unwrap()), "a", false)
        .unwrap();
    b.set_lead_field(lead, &LeadField::Supervised(false))
        .unwrap();
    a.import(&bundle_of(b, &b.changes().unwrap()), "b", false)
        .unwrap();
    assert!(a.conflicts().unwrap().is_empty());
    assert!(!a.lead(lead).unwrap().supervised);
    // Concurrent, same value: no conflict.
    a.set_lead_field(LEADS[1], &LeadField::Confidential(true))
        .unwrap();
    b.set_lead_field(LEADS[1], &LeadField::Confidential(true))
        .unwrap();
    // Concurrent, different values: one conflict, on both sides, resolved once for all.
    a.set_lead_field(LEADS[2], &LeadField::Assignee(Some("张三".into())))
        .unwrap();
    b.set_lead_field(LEADS[2], &LeadField::Assignee(Some("李四".into())))
        .unwrap();
    a.import(&bundle_of(b, &b.changes().unwrap()), "b", false)
        .unwrap();
    b.import(&bundle_of(a, &a.changes().unwrap()), "a", false)
        .unwrap();
    let ca = a.conflicts().unwrap();
    assert_eq!(ca.len(), 1);
    assert_eq!(ca[0].field, "assignee");
    assert_eq!(
        b.conflicts()
            .unwrap()
            .iter()
            .map(|c| c.id.clone())
            .collect::<Vec<_>>(),
        [ca[0].id.clone()]
    );
    assert_eq!(
        a.lead(LEADS[2]).unwrap().assignee,
        b.lead(LEADS[2]).unwrap().assignee
    );
    a.resolve(&ca[0].id, Keep::Mine).unwrap();
    assert_eq!(a.lead(LEADS[2]).unwrap().assignee.as_deref(), Some("张三"));
    assert!(a.conflicts().unwrap().is_empty());
    b.import(&bundle_of(a, &a.changes().unwrap()), "a", false)
        .unwrap();
    assert!(b.conflicts().unwrap().is_empty(), "the resolution syncs");
    assert_eq!(b.lead(LEADS[2]).unwrap().assignee.as_deref(), Some("张三"));
}

fn refused(store: &Store, bytes: &[u8]) -> Problem {
    let before = store.digest().unwrap();
    let problem = match store.import(bytes, "bad.fcb", false) {
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
fn bad_bundles_are_refused_each_with_its_reason_and_change_nothing() {
    let s = devices(&["A", "HQ"]);
    let (a, hq) = (&s[0], &s[1]);
    a.set_lead_field(LEADS[0], &LeadField::Supervised(true))
        .unwrap();
    visit(a, LEADS[1], "paid");
    let good = bundle_of(a, &a.changes().unwrap());
    for tenth in 1..10 {
        let cut = good.len() * tenth / 10;
        let problem = refused(hq, &good[..cut]);
        assert!(
            matches!(problem, Problem::NotABundle | Problem::Checksum),
            "cut at {tenth}/10: {problem:?}"
        );
    }
    let header_end = good.iter().position(|b| *b == b'\n').unwrap();
    // A flipped bit in a header field the signature covers (the creation time's last digit).
    let created = String::from_utf8_lossy(&good)
        .find(r#""created":""#)
        .unwrap()
        + 20;
    let mut flipped = good.clone();
    flipped[created] ^= 0x01;
    assert_eq!(refused(hq, &flipped), Problem::BadSignature);
    let mut flipped = good.clone();
    flipped[header_end + 20] ^= 0x01;
    assert_eq!(refused(hq, &flipped), Problem::Checksum);
    let text = String::from_utf8(good.clone()).unwrap();
    assert_eq!(
        refused(
            hq,
            text.replacen(r#""version":1"#, r#""version":9"#, 1)
                .as_bytes()
        ),
        Problem::Version(9)
    );
    let signature = text
        .split(r#""signature":""#)
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        refused(hq, text.replacen(&signature, "", 1).as_bytes()),
        Problem::Unsigned
    );
    // Signed by a key HQ does not trust.
    let stranger = device("X");
    assert!(matches!(
        refused(
            hq,
            &bundle_of(&stranger, &stranger.changes().unwrap_or_default())
        ),
        Problem::Untrusted { .. }
    ));
    // A known change id with other content, properly signed by a trusted device.
    hq.import(&good, "good", false).unwrap();
    let mut altered = a.changes().unwrap();
    altered[0].value = serde_json::json!(false);
    assert!(matches!(
        refused(hq, &bundle_of(a, &altered)),
        Problem::Tampered { .. }
    ));
    // The same bundle again: nothing new.
    let again = hq.import(&good, "good", false).unwrap();
    assert_eq!(
        (again.applied, again.duplicates),
        (0, good.iter().filter(|b| **b == b'\n').count() - 1)
    );
}

#[test]
fn gaps_name_the_missing_idx_ranges() {
    let s = devices(&["A", "HQ"]);
    let (a, hq) = (&s[0], &s[1]);
    for b in [true, false, true, false] {
        a.set_lead_field(LEADS[0], &LeadField::Supervised(b))
            .unwrap();
    }
    let changes = a.changes().unwrap();
    let result = hq
        .import(&bundle_of(a, &changes[2..]), "late", false)
        .unwrap();
    assert_eq!(result.gaps.len(), 1);
    assert_eq!((result.gaps[0].from, result.gaps[0].to), (1, 2));
    let result = hq
        .import(&bundle_of(a, &changes[..2]), "early", false)
        .unwrap();
    assert!(result.gaps.is_empty());
    assert!(
        !hq.lead(LEADS[0]).unwrap().supervised,
        "the latest write wins whatever the order"
    );
    assert!(hq.verify().unwrap().is_empty());
}

#[test]
fn a_copied_store_cannot_slip_a_second_log_into_a_slot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/s.redb");
    let a = Store::open(&path, &InitOptions::default()).unwrap();
    drop(a);
    // Copy the store folder (key included) to a second laptop.
    std::fs::create_dir_all(dir.path().join("copy")).unwrap();
    for name in ["s.redb", "s.redb.key"] {
        std::fs::copy(
            dir.path().join("a").join(name),
            dir.path().join("copy").join(name),
        )
        .unwrap();
    }
    let a = Store::open(&path, &InitOptions::default()).unwrap();
    let copy = Store::open(&dir.path().join("copy/s.redb"), &InitOptions::default()).unwrap();
    a.set_lead_field(LEADS[0], &LeadField::Assignee(Some("张".into())))
        .unwrap();
    copy.set_lead_field(LEADS[0], &LeadField::Assignee(Some("李".into())))
        .unwrap();
    let hq = device("HQ");
    hq.trust(&a.identity().unwrap().public_key, "A").unwrap();
    hq.import(&bundle_of(&a, &a.changes().unwrap()), "a", false)
        .unwrap();
    assert!(matches!(
        refused(&hq, &bundle_of(&copy, &copy.changes().unwrap())),
        Problem::Tampered { .. }
    ));
    // And the original refuses its copy's changes as its own.
    assert!(matches!(
        refused(&a, &bundle_of(&copy, &copy.changes().unwrap())),
        Problem::Tampered { .. }
    ));
}

#[test]
fn changes_of_this_device_it_does_not_hold_are_refused() {
    let a = device("A");
    let mut forged = Change {
        id: uuid::Uuid::now_v7().to_string(),
        device: a.identity().unwrap().device_id,
        idx: 7,
        author: "A".into(),
        clock: fieldcheck::sync::Hlc { ms: 1, n: 0 },
        entity: format!("lead:{}", LEADS[0]),
        field: "supervised".into(),
        value: serde_json::json!(true),
        base: None,
        merges: Vec::new(),
    };
    assert!(matches!(
        refused(&a, &bundle_of(&a, std::slice::from_ref(&forged))),
        Problem::OwnDevice { .. }
    ));
    // A value its field cannot hold is refused before anything is written.
    let b = device("B");
    forged.device = b.identity().unwrap().device_id;
    forged.field = "status".into();
    forged.value = serde_json::json!("bogus");
    a.trust(&b.identity().unwrap().public_key, "B").unwrap();
    assert!(matches!(
        refused(&a, &bundle_of(&b, &[forged])),
        Problem::Invalid { .. }
    ));
}

#[test]
fn a_huge_claimed_count_is_refused_without_a_panic() {
    let stranger = device("X");
    let bytes = bundle_of(&stranger, &[]);
    let text = String::from_utf8(bytes).unwrap();
    let header: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let mut header: fieldcheck::sync::bundle::Header = serde_json::from_value(header).unwrap();
    header.count = usize::MAX;
    header.signature.clear();
    let unsigned = serde_json::to_vec(&header).unwrap();
    header.signature = fieldcheck::sync::keys::sign(&stranger.signing_key().unwrap(), &unsigned);
    let mut forged = serde_json::to_vec(&header).unwrap();
    forged.push(b'\n');
    assert!(matches!(
        bundle::read(&forged),
        Err(Problem::Corrupt { .. })
    ));
}

#[test]
fn an_edit_during_a_conflict_settles_it_and_a_missing_bundle_is_no_conflict() {
    let s = devices(&["A", "B"]);
    let (a, b) = (&s[0], &s[1]);
    a.set_lead_field(LEADS[0], &LeadField::Assignee(Some("a1".into())))
        .unwrap();
    b.set_lead_field(LEADS[0], &LeadField::Assignee(Some("b1".into())))
        .unwrap();
    a.import(&bundle_of(b, &b.changes().unwrap()), "b", false)
        .unwrap();
    assert_eq!(a.conflicts().unwrap().len(), 1);
    a.set_lead_field(LEADS[0], &LeadField::Assignee(Some("a2".into())))
        .unwrap();
    assert!(
        a.conflicts().unwrap().is_empty(),
        "an edit made while the conflict shows settles it"
    );
    // A's x, y, z with y's bundle missing: x and z are one device's sequence, not a conflict.
    let hq = device("HQ");
    hq.trust(&a.identity().unwrap().public_key, "A").unwrap();
    for v in ["x", "y", "z"] {
        a.set_lead_field(LEADS[1], &LeadField::Assignee(Some(v.into())))
            .unwrap();
    }
    let log: Vec<Change> = a
        .changes()
        .unwrap()
        .into_iter()
        .filter(|c| c.entity.ends_with(LEADS[1]))
        .collect();
    hq.import(
        &bundle_of(a, &[log[0].clone(), log[2].clone()]),
        "gap",
        false,
    )
    .unwrap();
    assert!(hq.conflicts().unwrap().is_empty());
    assert_eq!(hq.lead(LEADS[1]).unwrap().assignee.as_deref(), Some("z"));
}

#[test]
fn redistributed_logs_of_two_devices_taking_turns_import_quickly_and_agree() {
    let s = devices(&["A", "B", "HQ"]);
    let (a, b, hq) = (&s[0], &s[1], &s[2]);
    for round in 0..150 {
        a.set_lead_field(LEADS[0], &LeadField::Assignee(Some(format!("a{round}"))))
            .unwrap();
        b.import(&bundle_of(a, &a.changes().unwrap()), "a", false)
            .unwrap();
        b.set_lead_field(LEADS[0], &LeadField::Assignee(Some(format!("b{round}"))))
            .unwrap();
        a.import(&bundle_of(b, &b.changes().unwrap()), "b", false)
            .unwrap();
    }
    let mut all = a.changes().unwrap();
    all.sort_by(|x, y| (&x.device, x.idx).cmp(&(&y.device, y.idx)));
    let start = std::time::Instant::now();
    hq.import(&bundle_of(a, &all), "all", false).unwrap();
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert!(hq.conflicts().unwrap().is_empty());
    assert_eq!(hq.lead(LEADS[0]).unwrap().assignee.as_deref(), Some("b149"));
}

/// `a`'s changes with every clock moved to `ms`, signed by `a`.
fn dated(a: &Store, ms: u64) -> Vec<u8> {
    let mut changes = a.changes().unwrap();
    for c in &mut changes {
        c.clock.ms = ms;
    }
    bundle_of(a, &changes)
}

#[test]
fn changes_from_the_future_are_accepted_flagged_and_do_not_freeze_the_receiver() {
    let [a, hq] = <[Store; 2]>::try_from(devices(&["A", "HQ"])).ok().unwrap();
    a.set_lead_field(LEADS[0], &LeadField::Supervised(true))
        .unwrap();
    let a_year_ahead = fieldcheck::sync::clock::now_ms() + 365 * 24 * 60 * 60 * 1000;
    let r = hq.import(&dated(&a, a_year_ahead), "a.fcb", false).unwrap();
    assert_eq!((r.applied, r.ahead), (1, 1));
    let until = r.ahead_until.clone().unwrap();
    assert!(
        until.starts_with(
            &(Utc::now().format("%Y").to_string().parse::<i32>().unwrap() + 1).to_string()
        ),
        "{until}"
    );
    assert!(
        r.ahead_warning(fieldcheck::i18n::Lang::En)
            .unwrap()
            .contains(&until)
    );
    assert!(hq.lead(LEADS[0]).unwrap().supervised);
    // Headquarters still writes, and its later change is the one shown.
    hq.set_lead_field(LEADS[0], &LeadField::Supervised(false))
        .unwrap();
    assert!(!hq.lead(LEADS[0]).unwrap().supervised);
    assert!(hq.conflicts().unwrap().is_empty());
    // Changes within a day of now are not flagged.
    let b = device("B");
    hq.trust(&b.identity().unwrap().public_key, "B").unwrap();
    b.set_lead_field(LEADS[1], &LeadField::Supervised(true))
        .unwrap();
    let r = hq
        .import(&bundle_of(&b, &b.changes().unwrap()), "b.fcb", false)
        .unwrap();
    assert_eq!((r.applied, r.ahead, r.ahead_until), (1, 0, None));
}

#[test]
fn a_change_dated_past_the_year_9999_is_refused() {
    let [a, hq] = <[Store; 2]>::try_from(devices(&["A", "HQ"])).ok().unwrap();
    a.set_lead_field(LEADS[0], &LeadField::Supervised(true))
        .unwrap();
    assert!(matches!(
        refused(&hq, &dated(&a, u64::MAX)),
        Problem::Invalid { .. }
    ));
}

#[test]
fn an_oversized_change_is_refused_before_it_is_read() {
    let [a, hq] = <[Store; 2]>::try_from(devices(&["A", "HQ"])).ok().unwrap();
    a.set_lead_field(LEADS[0], &LeadField::Assignee(Some("张三".into())))
        .unwrap();
    let mut changes = a.changes().unwrap();
    changes[0].value = serde_json::json!("张".repeat(bundle::MAX_LINE_BYTES / 3 + 1));
    let problem = refused(&hq, &bundle_of(&a, &changes));
    assert_eq!(problem, Problem::Oversized { line: 2 });
    let message = Error::Bundle {
        file: "a.fcb".into(),
        problem,
    }
    .message(fieldcheck::i18n::Lang::En);
    assert!(
        message.contains("line 2 is longer than 256 KB"),
        "{message}"
    );
    // A long but ordinary value is read like any other.
    changes[0].value = serde_json::json!("张".repeat(1000));
    hq.import(&bundle_of(&a, &changes), "a.fcb", false).unwrap();
}

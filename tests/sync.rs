//! Sync: stores converge whatever order bundles arrive in (property test on three devices),
//! conflicts appear exactly for concurrent different writes, bad bundles change nothing, and
//! every change carries its device's signature: a relay cannot alter it, a trusted device cannot
//! write in another's name, and equivocations, clocks far ahead and revoked devices' changes are
//! kept apart the same way whatever the order.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{NaiveDate, Utc};
use fieldcheck::error::Error;
use fieldcheck::model::form::VisitForm;
use fieldcheck::model::{Lead, Visit};
use fieldcheck::store::{
    Dispute, ExportOptions, ImportOptions, Imported, InitOptions, Keep, Reason, Store, TrustOptions,
};
use fieldcheck::sync::bundle::{self, Header, Packer, Problem};
use fieldcheck::sync::{Change, Hlc, LeadField, keys, seal};
use proptest::prelude::*;
use sha2::Digest;

const LEADS: [&str; 3] = [
    "cq-jfb-2022-3/a3/1",
    "cq-jfb-2022-3/a3/2",
    "cq-jfb-2022-3/a3/3",
];

const DAY_MS: u64 = 24 * 60 * 60 * 1000;

fn device(name: &str) -> Store {
    Store::memory(&InitOptions {
        inspector: Some(name.into()),
        device: Some(name.into()),
        ..InitOptions::default()
    })
    .unwrap()
}

fn id(store: &Store) -> String {
    store.identity().unwrap().device_id
}

/// `store` enrols `other` (a signed roster entry issued by `store`).
fn trust(store: &Store, other: &Store, name: &str) {
    store
        .trust(
            &other.identity().unwrap().public_key,
            &TrustOptions {
                name: name.into(),
                ..Default::default()
            },
        )
        .unwrap();
}

/// `laptop` pins `hq` as its headquarters.
fn pin_hq(laptop: &Store, hq: &Store) {
    laptop
        .trust(
            &hq.identity().unwrap().public_key,
            &TrustOptions {
                name: "HQ".into(),
                hq: true,
                ..Default::default()
            },
        )
        .unwrap();
}

/// Devices that trust each other.
fn devices(names: &[&str]) -> Vec<Store> {
    let stores: Vec<Store> = names.iter().map(|n| device(n)).collect();
    for a in &stores {
        for b in &stores {
            if id(a) != id(b) {
                trust(a, b, "peer");
            }
        }
    }
    stores
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, 28).unwrap()
}

/// A plain bundle of these changes (each keeping its own signature), packed and signed by
/// `store`.
fn bundle_of(store: &Store, changes: &[Change]) -> Vec<u8> {
    let keys = store.keys().unwrap();
    let peer = keys.peer(&id(store));
    bundle::write(
        changes,
        &[],
        &Packer {
            key: &peer,
            signing: &keys.signing,
        },
        None,
    )
}

fn import(store: &Store, bytes: &[u8]) -> Imported {
    store
        .import(bytes, "b.fcb", &ImportOptions::default())
        .unwrap()
}

/// HQ's `export --all`, read back: `plain`, or encrypted to the devices it trusts. `None`
/// when HQ holds no change.
fn try_export_all(hq: &Store, plain: bool) -> Option<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("all.fcb");
    let exported = hq
        .export(
            &ExportOptions {
                all: true,
                out: Some(path.clone()),
                plain,
                ..Default::default()
            },
            today(),
        )
        .unwrap()?;
    assert_eq!(exported.parts, std::slice::from_ref(&path));
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(seal::is_sealed(&bytes), !plain);
    Some(bytes)
}

fn export_all(hq: &Store, plain: bool) -> Vec<u8> {
    try_export_all(hq, plain).expect("HQ holds changes")
}

/// A change of `store`'s device made by hand, linked to `prev` and signed with `key`.
#[allow(clippy::too_many_arguments)]
fn change_by_hand(
    store: &Store,
    idx: u64,
    prev: Option<&Change>,
    ms: u64,
    entity: String,
    field: &str,
    value: serde_json::Value,
    key: &ed25519_dalek::SigningKey,
) -> Change {
    let identity = store.identity().unwrap();
    let mut change = Change {
        id: uuid::Uuid::now_v7().to_string(),
        device: identity.device_id,
        idx,
        author: identity.inspector,
        clock: Hlc { ms, n: 0 },
        entity,
        field: field.into(),
        value,
        base: None,
        merges: Vec::new(),
        prev: prev.map(Change::hash),
        sig: String::new(),
    };
    change.sign(key);
    change
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

/// What is kept apart: (device, idx, hash, reason), sorted; and the disputes.
type Kept = (Vec<(String, u64, String, Reason)>, Vec<Dispute>);

fn kept(store: &Store) -> Kept {
    let (quarantined, disputes) = store.quarantine().unwrap();
    let mut out: Vec<_> = quarantined
        .into_iter()
        .map(|q| {
            (
                q.change.device.clone(),
                q.change.idx,
                q.change.hash(),
                q.reason,
            )
        })
        .collect();
    out.sort_by(|a, b| (&a.0, a.1, &a.2).cmp(&(&b.0, b.1, &b.2)));
    (out, disputes)
}

fn entry(change: &Change, reason: Reason) -> (String, u64, String, Reason) {
    (change.device.clone(), change.idx, change.hash(), reason)
}

fn sorted(mut entries: Vec<(String, u64, String, Reason)>) -> Vec<(String, u64, String, Reason)> {
    entries.sort_by(|a, b| (&a.0, a.1, &a.2).cmp(&(&b.0, b.1, &b.2)));
    entries
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
    let _ = store.finalize(&form, fieldcheck::clock::now_on(today()), today(), false);
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
    /// lost, the same conflicts. HQ's `export --all` relays every laptop's changes, each with
    /// its own signature, and every laptop converges.
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
                trust(h, laptop, "laptop");
            }
        }
        for b in &bundles {
            let r = import(&hq[0], b);
            prop_assert_eq!(r.kept_apart, 0);
        }
        let shuffled: Vec<&Vec<u8>> = order.iter().filter(|i| **i < bundles.len()).map(|i| &bundles[*i]).collect();
        for b in shuffled.iter().chain(shuffled.iter().take(2)) {
            let r = import(&hq[1], b);
            prop_assert_eq!(r.kept_apart, 0);
        }
        let first = state(&hq[0]);
        prop_assert_eq!(&first, &state(&hq[1]));
        // No visit lost.
        let made: usize = laptops.iter().map(|l| l.visits(None).unwrap().len()).sum();
        prop_assert_eq!(first.1.len(), made);
        prop_assert!(hq[0].verify().unwrap().is_empty());
        prop_assert!(hq[1].verify().unwrap().is_empty());
        // A conflict is exactly a register with concurrent different values.
        for (_, heads) in &first.2 {
            prop_assert!(heads.len() >= 2);
        }
        // Headquarters sends everything back (`export --all`, packed by HQ1, each change with
        // its device's signature): every laptop converges too.
        // (Nothing to send when no op changed anything: every store is still as new.)
        let all = try_export_all(&hq[0], true);
        prop_assert_eq!(all.is_none(), hq[0].changes().unwrap().is_empty());
        if let Some(all) = &all {
            let (_, _, relayed) = bundle::read(all).unwrap();
            prop_assert_eq!(&relayed, &hq[0].changes().unwrap());
        }
        for laptop in &laptops {
            trust(laptop, &hq[0], "hq");
            if let Some(all) = &all {
                let r = import(laptop, all);
                prop_assert_eq!(r.kept_apart, 0);
            }
            prop_assert_eq!(&state(laptop), &first);
            prop_assert!(laptop.verify().unwrap().is_empty());
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
    import(b, &bundle_of(a, &a.changes().unwrap()));
    b.set_lead_field(lead, &LeadField::Supervised(false))
        .unwrap();
    import(a, &bundle_of(b, &b.changes().unwrap()));
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
    import(a, &bundle_of(b, &b.changes().unwrap()));
    import(b, &bundle_of(a, &a.changes().unwrap()));
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
    import(b, &bundle_of(a, &a.changes().unwrap()));
    assert!(b.conflicts().unwrap().is_empty(), "the resolution syncs");
    assert_eq!(b.lead(LEADS[2]).unwrap().assignee.as_deref(), Some("张三"));
    assert!(a.verify().unwrap().is_empty());
    assert!(b.verify().unwrap().is_empty());
}

/// Imports `bytes` expecting a refusal; returns its problem after checking that the store did
/// not change at all.
fn refused(store: &Store, bytes: &[u8]) -> Problem {
    let before = store.digest().unwrap();
    let problem = match store.import(bytes, "bad.fcb", &ImportOptions::default()) {
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

/// The header line and the body of a plain bundle.
fn split(bytes: &[u8]) -> (Header, Vec<u8>) {
    let end = bytes.iter().position(|b| *b == b'\n').unwrap();
    (
        serde_json::from_slice(&bytes[..end]).unwrap(),
        bytes[end + 1..].to_vec(),
    )
}

/// `header` (edited by the caller) signed again by `store` as packer, followed by `body`: a
/// bundle whose header signature holds, whatever it claims.
fn repacked(store: &Store, mut header: Header, body: &[u8]) -> Vec<u8> {
    header.signature.clear();
    let mut signed = b"fieldcheck bundle v2\n".to_vec();
    signed.extend(serde_json::to_vec(&header).unwrap());
    header.signature = keys::sign(&store.signing_key().unwrap(), &signed);
    let mut out = serde_json::to_vec(&header).unwrap();
    out.push(b'\n');
    out.extend(body);
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn bad_bundles_are_refused_each_with_its_reason_and_change_nothing() {
    let s = devices(&["A", "HQ"]);
    let (a, hq) = (&s[0], &s[1]);
    a.set_lead_field(LEADS[0], &LeadField::Supervised(true))
        .unwrap();
    visit(a, LEADS[1], "paid");
    a.set_lead_field(LEADS[2], &LeadField::Assignee(Some("张三".into())))
        .unwrap();
    let log = a.changes().unwrap();
    assert!(log.len() >= 4, "the visit was made");
    let good = bundle_of(a, &log);
    bundle::read(&good).unwrap();
    for tenth in 1..10 {
        let cut = good.len() * tenth / 10;
        let problem = refused(hq, &good[..cut]);
        assert!(
            matches!(problem, Problem::NotABundle | Problem::Checksum),
            "cut at {tenth}/10: {problem:?}"
        );
    }
    let header_end = good.iter().position(|b| *b == b'\n').unwrap();
    assert!(good.len() / 10 < header_end, "some cuts fall in the header");
    // A flipped bit in a header field the signature covers (a digit of the creation time).
    let created = String::from_utf8_lossy(&good)
        .find(r#""created":""#)
        .unwrap()
        + 20;
    assert!(good[created].is_ascii_digit());
    let mut flipped = good.clone();
    flipped[created] ^= 0x01;
    assert_eq!(refused(hq, &flipped), Problem::BadSignature);
    // A flipped bit in the body: the header's checksum, checked before any line is read.
    let mut flipped = good.clone();
    flipped[header_end + 20] ^= 0x01;
    assert_eq!(refused(hq, &flipped), Problem::Checksum);
    let text = String::from_utf8(good.clone()).unwrap();
    // A change's value edited in place (not packed again): the checksum fails before any
    // change's signature is looked at.
    assert!(text.contains(r#""value":true"#));
    assert_eq!(
        refused(
            hq,
            text.replacen(r#""value":true"#, r#""value":false"#, 1)
                .as_bytes()
        ),
        Problem::Checksum
    );
    assert!(text.contains(r#""version":2"#));
    assert_eq!(
        refused(
            hq,
            text.replacen(r#""version":2"#, r#""version":9"#, 1)
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
    assert_eq!(signature.len(), 128);
    assert_eq!(
        refused(hq, text.replacen(&signature, "", 1).as_bytes()),
        Problem::Unsigned
    );
    // Packed by a key HQ does not trust.
    let stranger = device("X");
    stranger
        .set_lead_field(LEADS[0], &LeadField::Supervised(true))
        .unwrap();
    let stranger_key = stranger.identity().unwrap().public_key;
    assert_eq!(
        refused(hq, &bundle_of(&stranger, &stranger.changes().unwrap())),
        Problem::Untrusted {
            key: stranger_key.clone(),
            fingerprint: keys::fingerprint(&stranger_key),
        }
    );
    // Packed by a key claiming A's device id: never trusted, not even on first use.
    let stranger_keys = stranger.keys().unwrap();
    let posing = stranger_keys.peer(&id(a));
    let posing_bundle = bundle::write(
        &log,
        &[],
        &Packer {
            key: &posing,
            signing: &stranger_keys.signing,
        },
        None,
    );
    assert!(matches!(
        refused(hq, &posing_bundle),
        Problem::Untrusted { .. }
    ));
    let before = hq.digest().unwrap();
    assert!(matches!(
        hq.import(
            &posing_bundle,
            "posing.fcb",
            &ImportOptions {
                trust_new: true,
                ..Default::default()
            }
        ),
        Err(Error::Bundle {
            problem: Problem::Untrusted { .. },
            ..
        })
    ));
    assert_eq!(hq.digest().unwrap(), before);
    // Signed headers whose body does not hold what they claim: the lines, the counts, the
    // per-device ranges.
    let (header, body) = split(&good);
    let mut junk = body.clone();
    junk.extend(b"not a change\n");
    let lying = Header {
        count: header.count + 1,
        body_sha256: sha256_hex(&junk),
        ..header.clone()
    };
    assert_eq!(
        refused(hq, &repacked(a, lying, &junk)),
        Problem::Corrupt {
            line: log.len() + 2
        }
    );
    let lying = Header {
        count: header.count + 1,
        ..header.clone()
    };
    assert_eq!(
        refused(hq, &repacked(a, lying, &body)),
        Problem::Corrupt {
            line: log.len() + 2
        }
    );
    let mut ranges = header.ranges.clone();
    ranges.get_mut(&id(a)).unwrap().1 += 1;
    let lying = Header {
        ranges,
        ..header.clone()
    };
    assert_eq!(refused(hq, &repacked(a, lying, &body)), Problem::Ranges);
    // The untouched header, signed again: taken (the edits above were the only fault).
    let again = repacked(a, header.clone(), &body);
    assert_eq!(bundle::read(&again).unwrap().2, log);

    hq.import(&good, "good", &ImportOptions::default()).unwrap();
    // The same bundle again: nothing new.
    let again = import(hq, &good);
    assert_eq!(
        (again.applied, again.duplicates, again.kept_apart),
        (0, log.len(), 0)
    );
    let held = state(hq);
    // A known change with other content, re-packed by a trusted device: its own signature no
    // longer holds.
    let mut altered = log.clone();
    altered[0].value = serde_json::json!(false);
    assert_eq!(
        refused(hq, &bundle_of(a, &altered)),
        Problem::Forged {
            change: altered[0].id.clone(),
            device: id(a),
        }
    );
    // A second version of A's last change (same id, other value) signed by A itself: A
    // equivocated. Not a refusal: a fork of A at that idx, both versions kept apart, the held one
    // taken back out of the state.
    let last = log.last().unwrap();
    let mut second = last.clone();
    second.value = serde_json::json!("李四");
    second.sign(&a.signing_key().unwrap());
    assert!(second.verify(&keys::public_hex(&a.signing_key().unwrap())));
    let r = import(hq, &bundle_of(a, &[second.clone()]));
    assert_eq!(
        (r.applied, r.kept_apart, r.duplicates, r.forked.clone()),
        (0, 1, 0, vec![id(a)])
    );
    assert!(r.warning(fieldcheck::i18n::Lang::En).is_some());
    assert_eq!(
        kept(hq),
        (
            sorted(vec![
                entry(last, Reason::Forked),
                entry(&second, Reason::Forked)
            ]),
            vec![Dispute::Fork {
                device: id(a),
                from: last.idx
            }]
        )
    );
    // The state is what A's other changes make: the forked field shows the notice's value.
    let expected = device("E");
    trust(&expected, a, "A");
    import(&expected, &bundle_of(a, &log[..log.len() - 1]));
    assert_eq!(state(hq), state(&expected));
    assert_ne!(state(hq), held);
    assert_eq!(hq.lead(LEADS[2]).unwrap().assignee, None);
    assert!(hq.lead(LEADS[0]).unwrap().supervised);
    assert_eq!(hq.visits(None).unwrap().len(), 1);
    assert_eq!(hq.changes().unwrap(), log[..log.len() - 1]);
    assert!(hq.verify().unwrap().is_empty());
    // Either version again changes nothing more.
    let r = import(hq, &good);
    assert_eq!((r.applied, r.kept_apart), (0, 0));
    let r = import(hq, &bundle_of(a, &[second]));
    assert_eq!((r.applied, r.kept_apart), (0, 0));
    assert_eq!(state(hq), state(&expected));
    assert_eq!(kept(hq).0.len(), 2);
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
    let result = import(hq, &bundle_of(a, &changes[2..]));
    assert_eq!(result.gaps.len(), 1);
    assert_eq!((result.gaps[0].from, result.gaps[0].to), (1, 2));
    let result = import(hq, &bundle_of(a, &changes[..2]));
    assert!(result.gaps.is_empty());
    assert_eq!((result.applied, result.kept_apart), (2, 0));
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
    assert_eq!(id(&a), id(&copy));
    a.set_lead_field(LEADS[0], &LeadField::Assignee(Some("张".into())))
        .unwrap();
    copy.set_lead_field(LEADS[0], &LeadField::Assignee(Some("李".into())))
        .unwrap();
    let hq = device("HQ");
    trust(&hq, &a, "A");
    import(&hq, &bundle_of(&a, &a.changes().unwrap()));
    assert_eq!(hq.lead(LEADS[0]).unwrap().assignee.as_deref(), Some("张"));
    // The copy's change at the same slot, signed with the same key: two histories of one
    // device. HQ keeps both apart and shows neither.
    let (original, copied) = (a.changes().unwrap(), copy.changes().unwrap());
    let r = import(&hq, &bundle_of(&copy, &copied));
    assert_eq!(
        (r.applied, r.kept_apart, r.forked.clone()),
        (0, 1, vec![id(&a)])
    );
    assert_eq!(
        kept(&hq),
        (
            sorted(vec![
                entry(&original[0], Reason::Forked),
                entry(&copied[0], Reason::Forked)
            ]),
            vec![Dispute::Fork {
                device: id(&a),
                from: 1
            }]
        )
    );
    assert_eq!(hq.lead(LEADS[0]).unwrap().assignee, None);
    assert!(hq.changes().unwrap().is_empty());
    assert_eq!(state(&hq), state(&device("E")));
    assert!(hq.verify().unwrap().is_empty());
    // And the original refuses its copy's changes as its own.
    assert_eq!(
        refused(&a, &bundle_of(&copy, &copied)),
        Problem::OwnDevice {
            change: copied[0].id.clone()
        }
    );
}

#[test]
fn changes_of_this_device_it_does_not_hold_are_refused() {
    let a = device("A");
    let a_key = a.signing_key().unwrap();
    let mut forged = change_by_hand(
        &a,
        7,
        None,
        1,
        format!("lead:{}", LEADS[0]),
        "supervised",
        serde_json::json!(true),
        &a_key,
    );
    // (Linked to an idx 6 this store never wrote.)
    forged.prev = Some("00".repeat(32));
    forged.sign(&a_key);
    assert_eq!(
        refused(&a, &bundle_of(&a, std::slice::from_ref(&forged))),
        Problem::OwnDevice {
            change: forged.id.clone()
        }
    );
    // A value its field cannot hold is refused before anything is written, properly signed or
    // not.
    let b = device("B");
    trust(&a, &b, "B");
    let b_key = b.signing_key().unwrap();
    let mut bad = change_by_hand(
        &b,
        1,
        None,
        1,
        format!("lead:{}", LEADS[0]),
        "status",
        serde_json::json!("bogus"),
        &b_key,
    );
    assert_eq!(
        refused(&a, &bundle_of(&b, std::slice::from_ref(&bad))),
        Problem::Invalid {
            change: bad.id.clone()
        }
    );
    bad.sig.clear();
    assert_eq!(
        refused(&a, &bundle_of(&b, std::slice::from_ref(&bad))),
        Problem::Invalid {
            change: bad.id.clone()
        }
    );
    // A change claiming B's id, signed with A's key (and packed by B): forged.
    let claimed = change_by_hand(
        &b,
        1,
        None,
        1,
        format!("lead:{}", LEADS[0]),
        "supervised",
        serde_json::json!(true),
        &a_key,
    );
    assert_eq!(
        refused(&a, &bundle_of(&b, std::slice::from_ref(&claimed))),
        Problem::Forged {
            change: claimed.id.clone(),
            device: id(&b)
        }
    );
    // The same change signed by B is taken.
    let mut genuine = claimed;
    genuine.sign(&b_key);
    let r = import(&a, &bundle_of(&b, &[genuine]));
    assert_eq!((r.applied, r.kept_apart), (1, 0));
    assert!(a.lead(LEADS[0]).unwrap().supervised);
}

#[test]
fn a_huge_claimed_count_is_refused_without_a_panic() {
    let stranger = device("X");
    let (mut header, body) = split(&bundle_of(&stranger, &[]));
    header.count = usize::MAX;
    let forged = repacked(&stranger, header, &body);
    assert_eq!(bundle::read(&forged), Err(Problem::Corrupt { line: 2 }));
    // And at a store that trusts the packer: refused, nothing written.
    let hq = device("HQ");
    trust(&hq, &stranger, "X");
    assert_eq!(refused(&hq, &forged), Problem::Corrupt { line: 2 });
}

#[test]
fn an_edit_during_a_conflict_settles_it_and_a_missing_bundle_is_no_conflict() {
    let s = devices(&["A", "B"]);
    let (a, b) = (&s[0], &s[1]);
    a.set_lead_field(LEADS[0], &LeadField::Assignee(Some("a1".into())))
        .unwrap();
    b.set_lead_field(LEADS[0], &LeadField::Assignee(Some("b1".into())))
        .unwrap();
    import(a, &bundle_of(b, &b.changes().unwrap()));
    assert_eq!(a.conflicts().unwrap().len(), 1);
    a.set_lead_field(LEADS[0], &LeadField::Assignee(Some("a2".into())))
        .unwrap();
    assert!(
        a.conflicts().unwrap().is_empty(),
        "an edit made while the conflict shows settles it"
    );
    // A's x, y, z with y's bundle missing: x and z are one device's sequence, not a conflict.
    let hq = device("HQ");
    trust(&hq, a, "A");
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
    let r = import(&hq, &bundle_of(a, &[log[0].clone(), log[2].clone()]));
    assert_eq!((r.applied, r.kept_apart), (2, 0));
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
        import(b, &bundle_of(a, &a.changes().unwrap()));
        b.set_lead_field(LEADS[0], &LeadField::Assignee(Some(format!("b{round}"))))
            .unwrap();
        import(a, &bundle_of(b, &b.changes().unwrap()));
    }
    let mut all = a.changes().unwrap();
    assert_eq!(all.len(), 300);
    all.sort_by(|x, y| (&x.device, x.idx).cmp(&(&y.device, y.idx)));
    let start = std::time::Instant::now();
    let r = import(hq, &bundle_of(a, &all));
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!((r.applied, r.kept_apart), (300, 0));
    assert!(hq.conflicts().unwrap().is_empty());
    assert_eq!(hq.lead(LEADS[0]).unwrap().assignee.as_deref(), Some("b149"));
}

/// `a`'s own changes with every clock moved to `ms`, linked and signed again by `a` (as a
/// device with a wrong clock would have made them), packed by `a`.
fn dated(a: &Store, ms: u64) -> Vec<u8> {
    let key = a.signing_key().unwrap();
    let mut changes = a.changes().unwrap();
    let mut prev = None;
    for (i, c) in changes.iter_mut().enumerate() {
        assert_eq!((c.device.as_str(), c.idx), (id(a).as_str(), i as u64 + 1));
        c.clock.ms = ms;
        c.prev = prev.take();
        c.sign(&key);
        prev = Some(c.hash());
    }
    bundle_of(a, &changes)
}

#[test]
fn changes_from_the_future_are_kept_apart_flagged_and_do_not_freeze_the_receiver() {
    let [a, hq] = <[Store; 2]>::try_from(devices(&["A", "HQ"])).ok().unwrap();
    a.set_lead_field(LEADS[0], &LeadField::Supervised(true))
        .unwrap();
    let a_year_ahead = fieldcheck::sync::clock::now_ms() + 365 * DAY_MS;
    let r = hq
        .import(&dated(&a, a_year_ahead), "a.fcb", &ImportOptions::default())
        .unwrap();
    assert_eq!((r.applied, r.kept_apart, r.ahead), (0, 1, 1));
    let until = r.ahead_until.clone().unwrap();
    assert!(
        until.starts_with(
            &(Utc::now().format("%Y").to_string().parse::<i32>().unwrap() + 1).to_string()
        ),
        "{until}"
    );
    assert!(
        r.warning(fieldcheck::i18n::Lang::En)
            .unwrap()
            .contains(&until)
    );
    assert!(!hq.lead(LEADS[0]).unwrap().supervised, "not applied");
    let (quarantined, _) = hq.quarantine().unwrap();
    assert_eq!(quarantined.len(), 1);
    assert_eq!(quarantined[0].reason, Reason::Ahead);
    assert_eq!(quarantined[0].change.clock.ms, a_year_ahead);
    // Headquarters still writes, dated by its own clock, and its change is the one shown.
    let (_, mine) = hq
        .set_lead_field(LEADS[0], &LeadField::Supervised(true))
        .unwrap();
    assert!(mine.unwrap().clock.ms <= fieldcheck::sync::clock::now_ms());
    hq.set_lead_field(LEADS[0], &LeadField::Supervised(false))
        .unwrap();
    assert!(!hq.lead(LEADS[0]).unwrap().supervised);
    assert!(hq.conflicts().unwrap().is_empty());
    // Changes within a day of now are not flagged; the one kept apart stays apart, not counted
    // again.
    let b = device("B");
    trust(&hq, &b, "B");
    b.set_lead_field(LEADS[1], &LeadField::Supervised(true))
        .unwrap();
    let r = hq
        .import(
            &bundle_of(&b, &b.changes().unwrap()),
            "b.fcb",
            &ImportOptions::default(),
        )
        .unwrap();
    assert_eq!(
        (r.applied, r.kept_apart, r.ahead, r.ahead_until),
        (1, 0, 0, None)
    );
    assert_eq!(hq.quarantine().unwrap().0.len(), 1);
    assert!(hq.verify().unwrap().is_empty());
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
    changes[0].sign(&a.signing_key().unwrap());
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
    let long = "张".repeat(1000);
    changes[0].value = serde_json::json!(long);
    changes[0].sign(&a.signing_key().unwrap());
    let r = import(&hq, &bundle_of(&a, &changes));
    assert_eq!((r.applied, r.kept_apart), (1, 0));
    assert_eq!(hq.lead(LEADS[0]).unwrap().assignee, Some(long));
}

#[test]
fn a_relayed_change_keeps_its_signature_and_an_altered_one_is_kept_apart() {
    let s = devices(&["A", "B", "HQ"]);
    let (a, b, hq) = (&s[0], &s[1], &s[2]);
    let (_, made) = a
        .set_lead_field(LEADS[0], &LeadField::Assignee(Some("张三".into())))
        .unwrap();
    let made = made.unwrap();
    import(hq, &bundle_of(a, &a.changes().unwrap()));
    // HQ relays A's change in a bundle it packs and signs: the change is A's, signature and
    // all.
    let relayed = bundle_of(hq, &hq.changes().unwrap());
    let (header, _, carried) = bundle::read(&relayed).unwrap();
    assert_eq!(header.packer, hq.identity().unwrap().public_key);
    assert_eq!(carried, std::slice::from_ref(&made));
    // The same bundle with the value altered by HQ, re-packed and signed by HQ as packer: the
    // header holds, the change's own signature does not. Not the packer's own change, so not a
    // reason to refuse what else the bundle brings: the altered change is kept apart, nothing of
    // it applied.
    let mut altered = hq.changes().unwrap();
    altered[0].value = serde_json::json!("李四");
    let forged = bundle_of(hq, &altered);
    bundle::read(&forged).unwrap();
    let before = state(b);
    let r = import(b, &forged);
    assert_eq!((r.applied, r.kept_apart, r.bad_signatures), (0, 1, 1));
    assert!(r.warning(fieldcheck::i18n::Lang::En).is_some());
    // Nor does signing the altered change with HQ's own key make it A's: the same change (its
    // hash covers what is signed, not the signature), looked at again, still apart.
    let mut resigned = altered.clone();
    resigned[0].sign(&hq.signing_key().unwrap());
    let r = import(b, &bundle_of(hq, &resigned));
    assert_eq!((r.applied, r.kept_apart), (0, 0));
    assert_eq!(state(b), before);
    assert_eq!(b.lead(LEADS[0]).unwrap().assignee, None);
    assert!(b.changes().unwrap().is_empty());
    let apart = vec![entry(&altered[0], Reason::BadSignature)];
    assert_eq!(kept(b), (apart.clone(), Vec::new()));
    // The genuine relay is taken; the altered version stays apart, evidence of no fork.
    let r = import(b, &relayed);
    assert_eq!((r.applied, r.kept_apart, r.packer.clone()), (1, 0, id(hq)));
    assert_eq!(b.lead(LEADS[0]).unwrap().assignee.as_deref(), Some("张三"));
    assert_eq!(b.changes().unwrap(), [made]);
    assert_eq!(kept(b), (apart, Vec::new()));
    assert!(b.verify().unwrap().is_empty());
}

#[test]
fn a_trusted_laptop_cannot_write_in_another_devices_name() {
    let s = devices(&["A", "B", "HQ"]);
    let (a, b, hq) = (&s[0], &s[1], &s[2]);
    let (_, first) = a
        .set_lead_field(LEADS[0], &LeadField::Supervised(true))
        .unwrap();
    let first = first.unwrap();
    import(hq, &bundle_of(a, std::slice::from_ref(&first)));
    // B writes A's next change (A's id, idx, author, linked to A's last), signs it with its own
    // key and packs it: HQ trusts B as a packer, but not as A. Kept apart, never applied.
    let in_as_name = change_by_hand(
        a,
        2,
        Some(&first),
        first.clock.ms + 1,
        format!("lead:{}", LEADS[1]),
        "assignee",
        serde_json::json!("B 写的"),
        &b.signing_key().unwrap(),
    );
    assert_eq!(in_as_name.author, "A");
    let before = state(hq);
    let r = import(hq, &bundle_of(b, std::slice::from_ref(&in_as_name)));
    assert_eq!((r.applied, r.kept_apart, r.bad_signatures), (0, 1, 1));
    assert_eq!(state(hq), before);
    let apart = (vec![entry(&in_as_name, Reason::BadSignature)], Vec::new());
    assert_eq!(kept(hq), apart);
    // Hidden among B's own genuine changes, the same: B's are taken, the forgery stays apart.
    b.set_lead_field(LEADS[2], &LeadField::Supervised(true))
        .unwrap();
    let mut mixed = b.changes().unwrap();
    mixed.push(in_as_name.clone());
    let r = import(hq, &bundle_of(b, &mixed));
    assert_eq!(r.applied, 1);
    assert!(hq.lead(LEADS[2]).unwrap().supervised);
    assert_eq!(hq.lead(LEADS[1]).unwrap().assignee, None);
    assert_eq!(kept(hq), apart);
    // But a change of B's own that B's key did not sign refuses B's bundle: B packed it.
    let mut own_forged = change_by_hand(
        b,
        2,
        mixed.first(),
        first.clock.ms + 2,
        format!("lead:{}", LEADS[1]),
        "assignee",
        serde_json::json!("冒名"),
        &a.signing_key().unwrap(),
    );
    assert_eq!(
        refused(hq, &bundle_of(b, std::slice::from_ref(&own_forged))),
        Problem::Forged {
            change: own_forged.id.clone(),
            device: id(b),
        }
    );
    own_forged.sig.clear();
    assert!(matches!(
        refused(hq, &bundle_of(b, &[own_forged])),
        Problem::Forged { .. }
    ));
    // The very same change signed by A may be relayed by B.
    let mut genuine = in_as_name;
    genuine.sign(&a.signing_key().unwrap());
    let r = import(hq, &bundle_of(b, &[genuine]));
    assert_eq!((r.applied, r.kept_apart), (1, 0));
    assert_eq!(
        hq.lead(LEADS[1]).unwrap().assignee.as_deref(),
        Some("B 写的")
    );
    // It is the forgery's content, so the forgery kept apart is released: nothing stays apart.
    assert_eq!(kept(hq), (Vec::new(), Vec::new()));
    assert!(hq.verify().unwrap().is_empty());
}

#[test]
fn equivocation_is_kept_apart_whatever_the_order() {
    let a = device("A");
    let (_, first) = a
        .set_lead_field(LEADS[0], &LeadField::Supervised(true))
        .unwrap();
    let first = first.unwrap();
    let key = a.signing_key().unwrap();
    let ms = first.clock.ms;
    let assign = |who: &str, ms: u64| {
        change_by_hand(
            &a,
            2,
            Some(&first),
            ms,
            format!("lead:{}", LEADS[1]),
            "assignee",
            serde_json::json!(who),
            &key,
        )
    };
    // A signs two different changes at idx 2, and goes on from the first.
    let (x2, y2) = (assign("张三", ms + 1), assign("李四", ms + 2));
    let x3 = change_by_hand(
        &a,
        3,
        Some(&x2),
        ms + 3,
        format!("lead:{}", LEADS[2]),
        "supervised",
        serde_json::json!(true),
        &key,
    );
    let x4 = change_by_hand(
        &a,
        4,
        Some(&x3),
        ms + 4,
        format!("lead:{}", LEADS[2]),
        "assignee",
        serde_json::json!("王五"),
        &key,
    );
    let x = bundle_of(&a, &[first.clone(), x2.clone(), x3.clone(), x4.clone()]);
    let y = bundle_of(&a, &[first.clone(), y2.clone()]);
    let hqs = [device("HQ1"), device("HQ2"), device("HQ3")];
    for hq in &hqs {
        trust(hq, &a, "A");
    }
    let r = import(&hqs[0], &x);
    assert_eq!((r.applied, r.kept_apart), (4, 0));
    let r = import(&hqs[0], &y);
    assert_eq!(
        (r.applied, r.kept_apart, r.forked.clone()),
        (0, 1, vec![id(&a)])
    );
    let r = import(&hqs[1], &y);
    assert_eq!((r.applied, r.kept_apart), (2, 0));
    // (x4 links to x3 as it should: kept apart as past the fork point.)
    let r = import(&hqs[1], &x);
    assert_eq!(
        (r.applied, r.kept_apart, r.forked.clone()),
        (0, 3, vec![id(&a)])
    );
    // HQ3 first gets X without x2: y2 then cannot both be A's idx 2 and precede x3 (x3 links to
    // x2), a fork found by the hash link alone.
    let r = import(&hqs[2], &bundle_of(&a, &[first.clone(), x3.clone()]));
    assert_eq!((r.applied, r.kept_apart), (2, 0));
    let r = import(&hqs[2], &y);
    assert_eq!(
        (r.applied, r.kept_apart, r.forked.clone()),
        (0, 1, vec![id(&a)])
    );
    let r = import(&hqs[2], &x);
    assert_eq!((r.applied, r.kept_apart, r.duplicates), (0, 2, 2));
    let fresh = device("E");
    for hq in &hqs {
        // Neither version, nor what followed one of them: the fields show the notice's values;
        // A's change before the fork stays.
        assert_eq!(
            hq.lead(LEADS[1]).unwrap().assignee,
            fresh.lead(LEADS[1]).unwrap().assignee
        );
        assert_eq!(
            hq.lead(LEADS[2]).unwrap().supervised,
            fresh.lead(LEADS[2]).unwrap().supervised
        );
        assert_eq!(
            hq.lead(LEADS[2]).unwrap().assignee,
            fresh.lead(LEADS[2]).unwrap().assignee
        );
        assert!(hq.lead(LEADS[0]).unwrap().supervised);
        assert_eq!(hq.changes().unwrap(), std::slice::from_ref(&first));
        assert_eq!(
            kept(hq),
            (
                sorted(vec![
                    entry(&x2, Reason::Forked),
                    entry(&y2, Reason::Forked),
                    entry(&x3, Reason::Forked),
                    entry(&x4, Reason::Forked)
                ]),
                vec![Dispute::Fork {
                    device: id(&a),
                    from: 2
                }]
            )
        );
        assert!(hq.verify().unwrap().is_empty());
    }
    assert_eq!(state(&hqs[0]), state(&hqs[1]));
    assert_eq!(state(&hqs[0]), state(&hqs[2]));
}

#[test]
fn one_visit_id_with_two_contents_is_kept_apart_whatever_the_order() {
    let a = device("A");
    a.set_lead_field(LEADS[0], &LeadField::Supervised(true))
        .unwrap();
    visit(&a, LEADS[1], "paid");
    let made = a.visits(None).unwrap();
    assert_eq!(made.len(), 1, "the visit was made");
    let log = a.changes().unwrap();
    let original = log.iter().find(|c| c.field == "visit").unwrap().clone();
    let last = log.last().unwrap();
    // A's next change carries the same visit id with other content, properly linked and signed.
    let mut other = original.value.clone();
    other["notes"] = serde_json::json!("另一份记录");
    let second = change_by_hand(
        &a,
        last.idx + 1,
        Some(last),
        last.clock.ms + 1,
        original.entity.clone(),
        "visit",
        other,
        &a.signing_key().unwrap(),
    );
    assert!(second.is_valid());
    let x = bundle_of(&a, &log);
    let y = bundle_of(&a, std::slice::from_ref(&second));
    let hqs = [device("HQ1"), device("HQ2")];
    for hq in &hqs {
        trust(hq, &a, "A");
    }
    let r = import(&hqs[0], &x);
    assert_eq!((r.applied, r.kept_apart), (log.len(), 0));
    let r = import(&hqs[0], &y);
    assert_eq!(
        (r.applied, r.kept_apart, r.disputed_visits.clone()),
        (0, 1, vec![made[0].id.clone()])
    );
    let r = import(&hqs[1], &y);
    assert_eq!((r.applied, r.kept_apart), (1, 0));
    assert_eq!(hqs[1].visits(None).unwrap().len(), 1);
    let r = import(&hqs[1], &x);
    assert_eq!(
        (r.applied, r.kept_apart, r.disputed_visits.clone()),
        (log.len() - 1, 1, vec![made[0].id.clone()])
    );
    for hq in &hqs {
        assert!(hq.visits(None).unwrap().is_empty(), "neither content shown");
        assert!(hq.lead(LEADS[0]).unwrap().supervised);
        assert_eq!(
            kept(hq),
            (
                sorted(vec![
                    entry(
                        &original,
                        Reason::VisitDisputed {
                            visit: made[0].id.clone()
                        }
                    ),
                    entry(
                        &second,
                        Reason::VisitDisputed {
                            visit: made[0].id.clone()
                        }
                    )
                ]),
                vec![Dispute::Visit {
                    visit: made[0].id.clone()
                }]
            )
        );
        let held: Vec<Change> = log
            .iter()
            .filter(|c| c.id != original.id)
            .cloned()
            .collect();
        assert_eq!(hq.changes().unwrap(), held);
        assert!(hq.verify().unwrap().is_empty());
    }
    assert_eq!(state(&hqs[0]), state(&hqs[1]));
}

#[test]
fn a_clock_far_ahead_is_kept_apart_and_does_not_drag_the_store_clock() {
    const FIXED: u64 = 1_900_000_000_000;
    let wall = Arc::new(AtomicU64::new(FIXED));
    let clock = wall.clone();
    let hq = device("HQ").with_wall_clock(move || clock.load(Ordering::SeqCst));
    assert_eq!(hq.now_ms(), FIXED);
    let s = devices(&["A", "B"]);
    let (a, b) = (&s[0], &s[1]);
    trust(&hq, a, "A");
    trust(&hq, b, "B");
    let ahead = change_by_hand(
        a,
        1,
        None,
        FIXED + 30 * DAY_MS,
        format!("lead:{}", LEADS[0]),
        "assignee",
        serde_json::json!("张三"),
        &a.signing_key().unwrap(),
    );
    let from_a = bundle_of(a, std::slice::from_ref(&ahead));
    let r = import(&hq, &from_a);
    assert_eq!((r.applied, r.kept_apart, r.ahead), (0, 1, 1));
    assert_eq!(kept(&hq), (vec![entry(&ahead, Reason::Ahead)], Vec::new()));
    assert_eq!(hq.lead(LEADS[0]).unwrap().assignee, None);
    // A bundle refused meanwhile leaves the change kept apart as it was.
    let mut altered = ahead.clone();
    altered.value = serde_json::json!("李四");
    assert_eq!(
        refused(&hq, &bundle_of(a, &[altered])),
        Problem::Forged {
            change: ahead.id.clone(),
            device: id(a)
        }
    );
    // B's change half a day ahead is taken, and HQ's clock follows it (HQ's next change comes
    // after it), but not A's: HQ's own change stays within a day of its wall clock, so it is
    // the later write and no conflict.
    let near = change_by_hand(
        b,
        1,
        None,
        FIXED + DAY_MS / 2,
        format!("lead:{}", LEADS[1]),
        "supervised",
        serde_json::json!(true),
        &b.signing_key().unwrap(),
    );
    let r = import(&hq, &bundle_of(b, std::slice::from_ref(&near)));
    assert_eq!((r.applied, r.kept_apart, r.ahead), (1, 0, 0));
    let (_, own) = hq
        .set_lead_field(LEADS[1], &LeadField::Supervised(false))
        .unwrap();
    let own = own.unwrap();
    assert!(own.clock > near.clock, "{:?} {:?}", own.clock, near.clock);
    assert!(own.clock.ms <= FIXED + DAY_MS, "{:?}", own.clock);
    assert!(!hq.lead(LEADS[1]).unwrap().supervised);
    assert!(hq.conflicts().unwrap().is_empty());
    assert!(hq.verify().unwrap().is_empty());
    // A store whose wall clock has reached that date takes the change.
    let later = device("HQ2").with_wall_clock(|| FIXED + 31 * DAY_MS);
    trust(&later, a, "A");
    let r = import(&later, &from_a);
    assert_eq!((r.applied, r.kept_apart, r.ahead), (1, 0, 0));
    assert_eq!(
        later.lead(LEADS[0]).unwrap().assignee.as_deref(),
        Some("张三")
    );
    // So does HQ, at its next import once its own clock gets there.
    wall.store(FIXED + 31 * DAY_MS, Ordering::SeqCst);
    let r = import(&hq, &bundle_of(b, &[]));
    assert_eq!((r.applied, r.kept_apart), (1, 0));
    assert_eq!(hq.lead(LEADS[0]).unwrap().assignee.as_deref(), Some("张三"));
    assert_eq!(kept(&hq), (Vec::new(), Vec::new()));
    assert!(hq.verify().unwrap().is_empty());
    // Should its wall clock step back a month, HQ does not date its own changes after what it
    // took in: they stay within a day of the wall clock.
    wall.store(FIXED, Ordering::SeqCst);
    let (_, own) = hq
        .set_lead_field(LEADS[2], &LeadField::Supervised(true))
        .unwrap();
    assert!(own.unwrap().clock.ms <= FIXED + DAY_MS);
}

#[test]
fn a_revoked_devices_changes_are_taken_back_and_refused_when_relayed() {
    let hq = device("HQ");
    let [a, b, c, d, e] = ["A", "B", "C", "D", "E"].map(device);
    for laptop in [&a, &b, &c, &d, &e] {
        trust(&hq, laptop, "laptop");
    }
    for laptop in [&c, &d, &e] {
        pin_hq(laptop, &hq);
    }
    // B knows A directly (it will relay A's changes).
    trust(&b, &a, "A");
    for v in ["a1", "a2", "a3"] {
        a.set_lead_field(LEADS[0], &LeadField::Assignee(Some(v.into())))
            .unwrap();
    }
    let a_log = a.changes().unwrap();
    assert_eq!(a_log.len(), 3);
    let r = import(&hq, &bundle_of(&a, &a_log));
    assert_eq!((r.applied, r.kept_apart), (3, 0));
    import(&b, &bundle_of(&a, &a_log));
    // D takes HQ's export before the revocation: A vouched for by HQ's roster, all three
    // applied.
    let r = import(&d, &export_all(&hq, false));
    assert_eq!((r.applied, r.kept_apart), (3, 0));
    assert_eq!(d.lead(LEADS[0]).unwrap().assignee.as_deref(), Some("a3"));

    hq.revoke(&id(&a), 2).unwrap();
    assert_eq!(hq.lead(LEADS[0]).unwrap().assignee.as_deref(), Some("a1"));
    assert_eq!(hq.changes().unwrap(), a_log[..1]);
    let revoked = sorted(vec![
        entry(&a_log[1], Reason::Revoked),
        entry(&a_log[2], Reason::Revoked),
    ]);
    assert_eq!(kept(&hq), (revoked.clone(), Vec::new()));
    assert!(hq.verify().unwrap().is_empty());
    // A's later change is kept apart too; the ones kept already are not counted again.
    a.set_lead_field(LEADS[0], &LeadField::Assignee(Some("a4".into())))
        .unwrap();
    let a_all = a.changes().unwrap();
    let r = import(&hq, &bundle_of(&a, &a_all));
    assert_eq!((r.applied, r.duplicates, r.kept_apart), (0, 3, 1));
    assert_eq!(hq.lead(LEADS[0]).unwrap().assignee.as_deref(), Some("a1"));
    let revoked = sorted(vec![
        entry(&a_log[1], Reason::Revoked),
        entry(&a_log[2], Reason::Revoked),
        entry(&a_all[3], Reason::Revoked),
    ]);
    assert_eq!(kept(&hq), (revoked.clone(), Vec::new()));

    // HQ's export after the revocation, encrypted to its live devices (not to A).
    let after = export_all(&hq, false);
    assert!(seal::open(&after, &c.keys().unwrap().enc, bundle::MAX_BUNDLE_BYTES).is_ok());
    assert!(seal::open(&after, &a.keys().unwrap().enc, bundle::MAX_BUNDLE_BYTES).is_err());
    // D held A's 2 and 3: the roster's revocation takes them back out.
    let r = import(&d, &after);
    assert_eq!((r.applied, r.duplicates), (0, 1));
    assert_eq!(d.lead(LEADS[0]).unwrap().assignee.as_deref(), Some("a1"));
    assert_eq!(d.changes().unwrap(), a_log[..1]);
    assert!(d.verify().unwrap().is_empty());
    // C learns of A only from it: A's change 1 applied, A revoked from 2.
    let r = import(&c, &after);
    assert_eq!((r.applied, r.kept_apart), (1, 0));
    assert_eq!(c.lead(LEADS[0]).unwrap().assignee.as_deref(), Some("a1"));
    // B relays A's whole log to C (encrypted to C): 2, 3 and 4 are kept apart there too.
    let relay = seal::seal(&bundle_of(&b, &a_all), &[c.keys().unwrap().enc.recipient()]).unwrap();
    let r = import(&c, &relay);
    assert_eq!(
        (r.applied, r.duplicates, r.kept_apart, r.packer.clone()),
        (0, 1, 3, id(&b))
    );
    assert_eq!(c.lead(LEADS[0]).unwrap().assignee.as_deref(), Some("a1"));
    assert_eq!(c.changes().unwrap(), a_log[..1]);
    assert_eq!(kept(&c), (revoked.clone(), Vec::new()));
    assert!(c.verify().unwrap().is_empty());
    // The same relay at D: nothing comes back.
    let relay_d = seal::seal(&bundle_of(&b, &a_all), &[d.keys().unwrap().enc.recipient()]).unwrap();
    let r = import(&d, &relay_d);
    assert_eq!((r.applied, r.kept_apart), (0, 1));
    assert_eq!(kept(&d), (revoked.clone(), Vec::new()));
    // E gets A's changes from HQ before any roster: A unknown, all kept apart; HQ's roster
    // then vouches for A (revoked from 2), and they are looked at again.
    let early = seal::seal(
        &bundle_of(&hq, &a_all),
        &[e.keys().unwrap().enc.recipient()],
    )
    .unwrap();
    let r = import(&e, &early);
    assert_eq!((r.applied, r.kept_apart), (0, 4));
    assert!(kept(&e).0.iter().all(|k| k.3 == Reason::UnknownDevice));
    let r = import(&e, &after);
    assert_eq!((r.applied, r.kept_apart), (1, 0));
    assert_eq!(kept(&e), (revoked, Vec::new()));
    assert!(e.verify().unwrap().is_empty());
    for laptop in [&c, &d, &e] {
        assert_eq!(state(laptop), state(&hq));
    }
}

#[test]
fn equivocation_with_one_version_dated_ahead_is_found_whatever_the_order() {
    let a = device("A");
    let (_, first) = a
        .set_lead_field(LEADS[0], &LeadField::Supervised(true))
        .unwrap();
    let first = first.unwrap();
    let key = a.signing_key().unwrap();
    let assign = |who: &str, ms: u64| {
        change_by_hand(
            &a,
            2,
            Some(&first),
            ms,
            format!("lead:{}", LEADS[1]),
            "assignee",
            serde_json::json!(who),
            &key,
        )
    };
    // Two versions of A's idx 2; the second dated a month ahead.
    let x2 = assign("张三", first.clock.ms + 1);
    let y2 = assign("李四", first.clock.ms + 30 * DAY_MS);
    let x = bundle_of(&a, &[first.clone(), x2.clone()]);
    let y = bundle_of(&a, &[first.clone(), y2.clone()]);
    let hqs = [device("HQ1"), device("HQ2")];
    for hq in &hqs {
        trust(hq, &a, "A");
    }
    import(&hqs[0], &x);
    let r = import(&hqs[0], &y);
    assert_eq!(r.forked, [id(&a)], "X then Y: the fork is found");
    import(&hqs[1], &y);
    let r = import(&hqs[1], &x);
    assert_eq!(
        hqs[1].lead(LEADS[1]).unwrap().assignee,
        hqs[0].lead(LEADS[1]).unwrap().assignee,
        "Y then X: x2 applied ({r:?})"
    );
    assert_eq!(kept(&hqs[0]), kept(&hqs[1]));
    assert_eq!(
        kept(&hqs[0]).1,
        [Dispute::Fork {
            device: id(&a),
            from: 2
        }]
    );
    assert_eq!(
        hqs[0].lead(LEADS[1]).unwrap().assignee,
        device("E").lead(LEADS[1]).unwrap().assignee
    );
    assert_eq!(state(&hqs[0]), state(&hqs[1]));
    assert!(hqs[1].verify().unwrap().is_empty());
}

/// A device HQ revoked and then removed packs its own bundle; the operator imports it with
/// `--trust-new`. The device must stay removed and revoked (refused as untrusted, or its changes
/// kept apart): first use is for devices this store does not know.
#[test]
fn trust_new_does_not_trust_again_a_removed_and_revoked_device() {
    let s = devices(&["A", "HQ"]);
    let (a, hq) = (&s[0], &s[1]);
    for v in ["a1", "a2"] {
        a.set_lead_field(LEADS[0], &LeadField::Assignee(Some(v.into())))
            .unwrap();
    }
    import(hq, &bundle_of(a, &a.changes().unwrap()));
    hq.revoke(&id(a), 2).unwrap();
    hq.distrust(&id(a)).unwrap();
    assert_eq!(hq.lead(LEADS[0]).unwrap().assignee.as_deref(), Some("a1"));
    a.set_lead_field(LEADS[0], &LeadField::Assignee(Some("a3".into())))
        .unwrap();
    let _ = hq.import(
        &bundle_of(a, &a.changes().unwrap()),
        "a.fcb",
        &ImportOptions {
            trust_new: true,
            ..Default::default()
        },
    );
    let device = hq.find_device(&id(a)).unwrap();
    assert_eq!(
        (device.removed, device.revoked_from),
        (true, Some(2)),
        "{device:?}"
    );
    assert_eq!(hq.lead(LEADS[0]).unwrap().assignee.as_deref(), Some("a1"));
}

/// A removed device's changes relayed while it was removed are kept apart; once the operator
/// trusts it again, the same changes relayed again must be taken (they are not held: only the
/// quarantine has them).
#[test]
fn a_device_trusted_again_has_its_changes_taken() {
    let s = devices(&["A", "B", "HQ"]);
    let (a, b, hq) = (&s[0], &s[1], &s[2]);
    hq.distrust(&id(a)).unwrap();
    a.set_lead_field(LEADS[0], &LeadField::Supervised(true))
        .unwrap();
    let relay = bundle_of(b, &a.changes().unwrap());
    let r = import(hq, &relay);
    assert_eq!((r.applied, r.kept_apart), (0, 1));
    assert_eq!(kept(hq).0[0].3, Reason::Removed);
    trust(hq, a, "A again");
    let r = import(hq, &relay);
    assert_eq!((r.applied, r.kept_apart, r.duplicates), (1, 0, 0));
    assert!(hq.lead(LEADS[0]).unwrap().supervised);
}

/// A device's change id reused at another slot of the same device (properly signed and linked):
/// both changes carrying it are kept apart, the one applied taken back.
#[test]
fn a_change_id_reused_at_another_slot_is_kept_apart_with_the_change_it_copies() {
    let s = devices(&["A", "HQ"]);
    let (a, hq) = (&s[0], &s[1]);
    a.set_lead_field(LEADS[0], &LeadField::Supervised(true))
        .unwrap();
    a.set_lead_field(LEADS[1], &LeadField::Supervised(true))
        .unwrap();
    let log = a.changes().unwrap();
    import(hq, &bundle_of(a, &log));
    let last = log.last().unwrap();
    let mut moved = log[0].clone();
    moved.idx = last.idx + 1;
    moved.prev = Some(last.hash());
    moved.clock.ms = last.clock.ms + 1;
    moved.entity = format!("lead:{}", LEADS[2]);
    moved.sign(&a.signing_key().unwrap());
    let r = import(hq, &bundle_of(a, &[moved.clone()]));
    assert_eq!((r.applied, r.kept_apart), (0, 1));
    let reason = Reason::IdReused {
        id: log[0].id.clone(),
    };
    assert_eq!(
        kept(hq),
        (
            sorted(vec![entry(&log[0], reason.clone()), entry(&moved, reason)]),
            vec![Dispute::Id {
                id: log[0].id.clone()
            }]
        )
    );
    assert!(!hq.lead(LEADS[0]).unwrap().supervised);
    assert!(hq.lead(LEADS[1]).unwrap().supervised);
    assert!(!hq.lead(LEADS[2]).unwrap().supervised);
    assert_eq!(hq.changes().unwrap(), log[1..]);
    assert!(hq.verify().unwrap().is_empty());
}

/// A device re-signs a second version of a change it made (same change id, other content), and
/// goes on from the first. Whichever version a store sees first, it must end the same: here HQ1
/// gets the first version and the next change, then the second version; HQ2 the other way
/// round.
#[test]
fn a_second_version_with_the_same_change_id_ends_the_same_whatever_the_order() {
    let a = device("A");
    let key = a.signing_key().unwrap();
    let (_, v1) = a
        .set_lead_field(LEADS[0], &LeadField::Supervised(true))
        .unwrap();
    let v1 = v1.unwrap();
    let (_, next) = a
        .set_lead_field(LEADS[1], &LeadField::Supervised(true))
        .unwrap();
    let next = next.unwrap();
    let mut v2 = v1.clone();
    v2.field = "attention".into();
    v2.sign(&key);
    let hqs = [device("HQ1"), device("HQ2")];
    for hq in &hqs {
        trust(hq, &a, "A");
    }
    import(&hqs[0], &bundle_of(&a, &[v1.clone(), next.clone()]));
    import(&hqs[0], &bundle_of(&a, &[v2.clone()]));
    import(&hqs[1], &bundle_of(&a, &[v2.clone()]));
    import(&hqs[1], &bundle_of(&a, &[v1.clone(), next.clone()]));
    assert_eq!(
        hqs[0].lead(LEADS[1]).unwrap().supervised,
        hqs[1].lead(LEADS[1]).unwrap().supervised,
        "A's change after the equivocation"
    );
    assert_eq!(kept(&hqs[0]), kept(&hqs[1]));
    assert_eq!(
        kept(&hqs[0]).1,
        [Dispute::Fork {
            device: id(&a),
            from: v1.idx
        }]
    );
    assert_eq!(state(&hqs[0]), state(&hqs[1]));
    assert!(!hqs[0].lead(LEADS[1]).unwrap().supervised);
    assert!(hqs[0].verify().unwrap().is_empty());
    assert!(hqs[1].verify().unwrap().is_empty());
}

/// A change kept apart for want of its device's key is looked at again on every import; once the
/// key is known and the change is kept apart for another reason (here: the device is revoked
/// from its idx), the quarantine must say so, and stop waiting for a key.
#[test]
fn a_change_kept_for_want_of_a_key_shows_its_new_reason_once_the_key_arrives() {
    let s = devices(&["B", "L"]);
    let (b, l) = (&s[0], &s[1]);
    let a = device("A");
    trust(b, &a, "A");
    for v in [true, false] {
        a.set_lead_field(LEADS[0], &LeadField::Supervised(v))
            .unwrap();
    }
    a.set_lead_field(LEADS[1], &LeadField::Supervised(true))
        .unwrap();
    let a_log = a.changes().unwrap();
    let relay = bundle_of(b, &a_log);
    let r = import(l, &relay);
    assert_eq!((r.applied, r.kept_apart), (0, 3));
    trust(l, &a, "A");
    l.revoke(&id(&a), 2).unwrap();
    let r = import(l, &bundle_of(b, &[]));
    assert_eq!(r.applied, 1);
    assert_eq!(
        kept(l).0,
        sorted(vec![
            entry(&a_log[1], Reason::Revoked),
            entry(&a_log[2], Reason::Revoked)
        ])
    );
}

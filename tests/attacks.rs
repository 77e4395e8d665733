//! Attacks on signed sync, with the real binary and real files: one test per row of the threat
//! table (docs/security.md). The test code plays the attacker: it opens the attacker's own store
//! with the library (only while no binary runs on it) for its keys and changes, builds hostile
//! changes and bundles by hand, encrypts them like a real export, and hands the file to the real
//! binary's `import`. Each attack must be refused (or kept apart) with its own message, leave
//! every store as it was, and `verify` must pass on every store afterwards.

use std::io::Write;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fieldcheck::store::{InitOptions, Store as Lib};
use fieldcheck::sync::bundle::{self, Header, Packer};
use fieldcheck::sync::keys::{self, Keys};
use fieldcheck::sync::roster::RosterEntry;
use fieldcheck::sync::{Change, Hlc, seal};
use predicates::str::contains;
use serde_json::{Value, json};

mod common;
use common::{Bin, DISPUTED};

const DAY_MS: u64 = 24 * 60 * 60 * 1000;
const A1: &str = "cq-jfb-2022-3/a3/1";
const A2: &str = "cq-jfb-2022-3/a3/2";
const A3: &str = "cq-jfb-2022-3/a3/3";

/// One store on disk, driven through the real binary.
struct Store {
    bin: Bin,
}

impl Deref for Store {
    type Target = Bin;
    fn deref(&self) -> &Bin {
        &self.bin
    }
}

/// What must not change under a refused attack: leads, visits (by id), conflicts, and the
/// digest of every table of the store file.
#[derive(Debug, Clone, PartialEq)]
struct Snapshot {
    state: State,
    digest: String,
}

type State = (Value, Vec<Value>, Value);

impl Store {
    fn new(dir: &Path, name: &str) -> Store {
        let s = Store {
            bin: Bin::dated(dir.join(name).join("s.redb"), "2022-01-28"),
        };
        s.ok(&["init", "--inspector", name, "--device", name]);
        s
    }

    fn key(&self) -> String {
        self.json(&["identity"])["public_key"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn device(&self) -> String {
        self.json(&["identity"])["device_id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The age recipient of this store: the 4th `:`-field of its peer key.
    fn recipient(&self) -> String {
        recipient_of(&self.key())
    }

    fn trusts(&self, other: &Store, name: &str) {
        self.ok(&["trust", "add", &other.key(), "--name", name]);
    }

    fn pins(&self, hq: &Store, name: &str) {
        self.ok(&["trust", "add", &hq.key(), "--name", name, "--hq"]);
    }

    fn export(&self, extra: &[&str]) -> String {
        let out = self.json(&[&["export"], extra].concat());
        out["path"].as_str().unwrap().to_string()
    }

    /// `import --json` of one file: its result.
    fn import(&self, file: &str) -> Value {
        self.json(&["import", file])[0].clone()
    }

    /// `import` of one file, its human output in English.
    fn import_text(&self, file: &str) -> String {
        self.ok(&["--lang", "en", "import", file])
    }

    /// Runs `args` in English, asserts exit 1 with `message` on stderr; returns stderr.
    fn refuses(&self, args: &[&str], message: &str) -> String {
        let out = self
            .cmd()
            .args(["--lang", "en"])
            .args(args)
            .assert()
            .code(1)
            .stderr(contains(message));
        String::from_utf8(out.get_output().stderr.clone()).unwrap()
    }

    fn state(&self) -> State {
        let mut visits: Vec<Value> = self.json(&["visit", "list"]).as_array().unwrap().clone();
        visits.sort_by_key(|v| v["id"].as_str().unwrap().to_string());
        (self.json(&["leads"]), visits, self.json(&["conflicts"]))
    }

    /// The store opened with the library (no binary may run on it meanwhile).
    fn open(&self) -> Lib {
        Lib::open(&self.store, &InitOptions::default()).unwrap()
    }

    fn digest(&self) -> String {
        self.open().digest().unwrap()
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            state: self.state(),
            digest: self.digest(),
        }
    }

    fn verified(&self) {
        let out = self.ok(&["--lang", "en", "verify"]);
        assert!(out.contains("Consistent"), "{out}");
    }

    fn quarantine(&self) -> Value {
        self.json(&["quarantine"])
    }

    /// The ids of the changes kept apart, sorted, with their reasons.
    fn kept_apart(&self) -> Vec<(String, String)> {
        let q = self.quarantine();
        let mut out: Vec<(String, String)> = q["kept_apart"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                (
                    k["change"]["id"].as_str().unwrap().to_string(),
                    k["reason"]["kind"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        out.sort();
        out
    }

    fn lead(&self, id: &str) -> Value {
        self.json(&["lead", "show", id])
    }

    /// This store's changes (opened with the library).
    fn changes(&self) -> Vec<Change> {
        self.open().changes().unwrap()
    }

    /// This store's own changes, in idx order.
    fn own_changes(&self) -> Vec<Change> {
        let device = self.device();
        self.changes()
            .into_iter()
            .filter(|c| c.device == device)
            .collect()
    }

    /// The age identity (`AGE-SECRET-KEY-1…`) the binary prints.
    fn age_secret(&self) -> String {
        self.ok(&["identity", "--age-secret"]).trim().to_string()
    }
}

fn recipient_of(peer_key: &str) -> String {
    peer_key.split(':').nth(3).unwrap().to_string()
}

fn now_ms() -> u64 {
    fieldcheck::sync::clock::now_ms()
}

fn entity(lead: &str) -> String {
    format!("lead:{lead}")
}

/// A change that follows `last` in its device's log: next idx, linked to it, a later clock.
/// Unsigned: the caller signs it with whichever key the attack uses.
fn after(last: &Change, entity: &str, field: &str, value: Value) -> Change {
    Change {
        id: uuid::Uuid::now_v7().to_string(),
        device: last.device.clone(),
        idx: last.idx + 1,
        author: last.author.clone(),
        clock: Hlc {
            ms: now_ms().max(last.clock.ms + 1),
            n: 0,
        },
        entity: entity.into(),
        field: field.into(),
        value,
        base: None,
        merges: Vec::new(),
        prev: Some(last.hash()),
        sig: String::new(),
    }
}

fn signed(mut change: Change, key: &ed25519_dalek::SigningKey) -> Change {
    change.sign(key);
    change
}

/// A plain bundle of `changes` and `roster`, packed and signed by the store `packer` (opened
/// with the library).
fn pack(packer: &Lib, changes: &[Change], roster: &[RosterEntry]) -> Vec<u8> {
    let keys = packer.keys().unwrap();
    let peer = keys.peer(&packer.identity().unwrap().device_id);
    let packer = Packer {
        key: &peer,
        signing: &keys.signing,
    };
    bundle::write(changes, roster, &packer, None)
}

/// `pack`, then encrypted to `to` (age recipients), written to `path`.
fn hostile(path: &Path, packer: &Lib, changes: &[Change], to: &[String]) -> String {
    let sealed = seal::seal(&pack(packer, changes, &[]), to).unwrap();
    std::fs::write(path, sealed).unwrap();
    path.display().to_string()
}

// 1. A trusted laptop forging another laptop's change.
#[test]
fn a_laptop_cannot_forge_another_laptops_changes() {
    let dir = tempfile::tempdir().unwrap();
    let a = Store::new(dir.path(), "A");
    let b = Store::new(dir.path(), "B");
    let hq = Store::new(dir.path(), "HQ");
    hq.trusts(&a, "A");
    hq.trusts(&b, "B");
    a.pins(&hq, "HQ");
    b.pins(&hq, "HQ");
    a.ok(&["lead", "set", "a3/2", "--supervised", "true"]);
    hq.import(&a.export(&[]));
    // B's own, honest work, which B will pack together with its forgeries.
    b.ok(&[
        "visit",
        "add",
        "a3/1",
        "--kind",
        "onsite",
        "--finding",
        "paid",
        "--evidence",
        "bank-record:LS-1",
        "--paid-wan",
        "76.6",
    ]);
    let a_last = a.own_changes().pop().unwrap();
    let a_device = a.device();
    let to = [hq.recipient(), b.recipient()];
    let b_lib = b.open();
    let b_key = b_lib.signing_key().unwrap();
    let b_changes = b_lib.changes().unwrap();
    let b_visit = b_changes.iter().find(|c| c.field == "visit").unwrap();
    // (a) A's next change, closing 朋昆's lead with no visit at all, signed by B.
    let closed = signed(
        after(&a_last, &entity(A1), "status", json!("closed")),
        &b_key,
    );
    // (b) A "paid" visit in A's name at a slot HQ already holds from A: were it not checked
    // first, it would pass for A equivocating and take A's real history out of the state.
    let mut paid = b_visit.clone();
    paid.id = uuid::Uuid::now_v7().to_string();
    paid.device = a_device.clone();
    paid.idx = a_last.idx;
    paid.prev = a_last.prev.clone();
    paid.author = a_last.author.clone();
    paid.value["inspector"] = json!("A");
    let paid = signed(paid, &b_key);
    // (c) A's change with no signature at all.
    let mut unsigned = after(&a_last, &entity(A3), "attention", json!(true));
    unsigned.sig.clear();
    let files: Vec<(String, &Change)> = [&closed, &paid, &unsigned]
        .into_iter()
        .enumerate()
        .map(|(n, forged)| {
            let mut changes = b_changes.clone();
            changes.push(forged.clone());
            let path = dir.path().join(format!("forged-{n}.fcb"));
            (hostile(&path, &b_lib, &changes, &to), forged)
        })
        .collect();
    drop(b_lib);

    // B's own changes go in with the first bundle; each forgery is kept apart, named in the
    // warning with the packer that brought it, and nothing of it is applied.
    let a_before = hq
        .changes()
        .into_iter()
        .filter(|c| c.device == a_device)
        .collect::<Vec<_>>();
    for (n, (file, forged)) in files.iter().enumerate() {
        let out = hq.import_text(file);
        assert!(
            out.contains("does not hold for the key of the device they name")
                && out.contains(&b.device()),
            "{out}"
        );
        let applied = if n == 0 { b_changes.len() } else { 0 };
        assert!(out.contains(&format!("{applied} applied")), "{out}");
        let kept = hq.kept_apart();
        assert!(
            kept.contains(&(forged.id.clone(), "bad-signature".into())),
            "{kept:?}"
        );
        assert_eq!(kept.len(), n + 1, "{kept:?}");
    }
    let q = hq.quarantine();
    assert_eq!(q["disputes"], json!([]), "A is not accused of a fork: {q}");
    let a_after: Vec<Change> = hq
        .changes()
        .into_iter()
        .filter(|c| c.device == a_device)
        .collect();
    assert_eq!(a_after, a_before, "A's history as A wrote it");
    // 朋昆's lead as B's paid visit left it (awaiting a revisit), not closed by the forgery.
    assert_eq!(hq.lead("a3/1")["status"], "resolved");
    let held: Vec<String> = hq.changes().into_iter().map(|c| c.id).collect();
    assert!(files.iter().all(|(_, forged)| !held.contains(&forged.id)));

    // B's honest bundle of the same changes: nothing new.
    let honest = hq.import(&b.export(&[]));
    assert_eq!(honest["applied"], 0);
    for s in [&a, &b, &hq] {
        s.verified();
    }
}

// 2. HQ (or anyone relaying) altering a change it passes on.
#[test]
fn a_relay_cannot_alter_the_changes_it_passes_on() {
    let dir = tempfile::tempdir().unwrap();
    let a = Store::new(dir.path(), "A");
    let c = Store::new(dir.path(), "C");
    let hq = Store::new(dir.path(), "HQ");
    hq.trusts(&a, "A");
    hq.trusts(&c, "C");
    a.pins(&hq, "HQ");
    c.pins(&hq, "HQ");
    a.ok(DISPUTED);
    a.ok(&["lead", "set", "a3/2", "--supervised", "true"]);
    hq.import(&a.export(&[]));
    let all = hq.export(&["--all"]);

    // C's age identity opens the bundle HQ sent it.
    let secret = seal::EncKey::parse(&c.age_secret()).unwrap();
    let plain = seal::open(
        &std::fs::read(&all).unwrap(),
        &secret,
        bundle::MAX_BUNDLE_BYTES,
    )
    .unwrap();
    let (_, roster, changes) = bundle::read(&plain).unwrap();
    let a_device = a.device();
    assert!(
        roster.iter().any(|e| e.device == a_device),
        "A's key travels"
    );
    // Two alterations: A's supervision turned off, and A's disputed visit turned into a payment.
    let mut turned_off = changes.clone();
    let i = turned_off
        .iter()
        .position(|ch| ch.device == a_device && ch.field == "supervised")
        .unwrap();
    turned_off[i].value = json!(false);
    let mut paid = changes.clone();
    let j = paid
        .iter()
        .position(|ch| ch.device == a_device && ch.field == "visit")
        .unwrap();
    paid[j].value["finding"] = json!("paid");
    paid[j].value["paid_yuan"] = json!(766000);
    let to = [c.recipient(), hq.recipient()];
    let hq_lib = hq.open();
    let files: Vec<(String, Change)> = [(turned_off, i), (paid, j)]
        .into_iter()
        .enumerate()
        .map(|(n, (altered, at))| {
            // Re-packed and re-signed as HQ: the bundle's own signature holds.
            let plain = pack(&hq_lib, &altered, &roster);
            assert!(bundle::read(&plain).is_ok());
            let path = dir.path().join(format!("altered-{n}.fcb"));
            std::fs::write(&path, seal::seal(&plain, &to).unwrap()).unwrap();
            (path.display().to_string(), altered[at].clone())
        })
        .collect();
    drop(hq_lib);

    // Each altered bundle is taken but for its altered change, which is kept apart (the warning
    // names the packer that relayed it) and never applied; A's other changes in it, with their
    // signatures intact, are applied.
    for (file, altered) in &files {
        let out = c.import_text(file);
        assert!(
            out.contains("does not hold for the key of the device they name")
                && out.contains(&hq.device()),
            "{out}"
        );
        let kept = c.kept_apart();
        assert!(
            kept.contains(&(altered.id.clone(), "bad-signature".into())),
            "{kept:?}"
        );
        assert!(
            !c.changes().iter().any(|ch| ch.hash() == altered.hash()),
            "an altered change held"
        );
    }
    // Neither alteration shows: between them the two bundles carried every change unaltered
    // once, so C shows what HQ shows — a3/2 supervised, the visit a dispute, not a payment.
    assert_eq!(c.state(), hq.state());
    assert_eq!(c.lead("a3/2")["supervised"], true);
    assert!(c.state().1.iter().all(|v| v["finding"] != "paid"));

    // The bundle as HQ wrote it brings nothing new; the altered versions stay apart.
    let done = c.import(&all);
    assert_eq!(done["applied"], 0);
    assert_eq!(done["duplicates"], changes.len());
    assert_eq!(c.kept_apart().len(), 2);
    assert_eq!(c.state(), hq.state());
    for s in [&a, &c, &hq] {
        s.verified();
    }
}

// 3. Replay of old bundles.
#[test]
fn old_bundles_replayed_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = Store::new(dir.path(), "A");
    let b = Store::new(dir.path(), "B");
    let hq = Store::new(dir.path(), "HQ");
    hq.trusts(&a, "A");
    hq.trusts(&b, "B");
    a.pins(&hq, "HQ");
    b.pins(&hq, "HQ");

    a.ok(&["lead", "set", "a3/2", "--supervised", "true"]);
    let first = a.export(&[]);
    hq.import(&first);
    let old_all = hq.export(&["--all"]);
    b.import(&old_all);

    // Newer work everywhere: A revisits its change, HQ changes a lead, A's roster entry is
    // reissued under a new name (a newer seq).
    a.ok(&["lead", "set", "a3/2", "--supervised", "false"]);
    a.ok(DISPUTED);
    let second = a.export(&[]);
    hq.import(&second);
    hq.ok(&["lead", "set", "a3/3", "--attention", "true"]);
    hq.ok(&["trust", "add", &a.key(), "--name", "A-renamed"]);
    let new_all = hq.export(&["--all"]);
    let done = b.import(&new_all);
    assert!(done["applied"].as_u64().unwrap() >= 3, "{done}");
    assert_eq!(b.state(), hq.state());

    let hq_before = hq.snapshot();
    let b_before = b.snapshot();
    for file in [&first, &second, &first] {
        let again = hq.import(file);
        assert_eq!(again["applied"], 0, "{again}");
        assert_eq!(again["kept_apart"], 0, "{again}");
        assert!(again["duplicates"].as_u64().unwrap() >= 1);
        assert_eq!(hq.snapshot(), hq_before);
    }
    for file in [&old_all, &new_all, &old_all] {
        let again = b.import(file);
        assert_eq!(again["applied"], 0, "{again}");
        assert_eq!(again["kept_apart"], 0, "{again}");
        assert_eq!(
            b.snapshot(),
            b_before,
            "an old --all after a newer one changes nothing"
        );
    }
    // The old roster entry did not take back A's new name.
    let list = b.json(&["trust", "list"]);
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device"] == a.device().as_str())
        .unwrap();
    assert_eq!(entry["name"], "A-renamed");
    assert_eq!(b.lead("a3/2")["supervised"], false);
    for s in [&a, &b, &hq] {
        s.verified();
    }
}

// 4. Equivocation: one device's key signing two histories, in two bundles, in either order.
#[test]
fn equivocation_is_kept_apart_whatever_the_order() {
    let dir = tempfile::tempdir().unwrap();
    let a = Store::new(dir.path(), "A");
    let b = Store::new(dir.path(), "B");
    let hq1 = Store::new(dir.path(), "HQ1");
    let hq2 = Store::new(dir.path(), "HQ2");
    for (hq, name) in [(&hq1, "HQ1"), (&hq2, "HQ2")] {
        hq.trusts(&a, "A");
        hq.trusts(&b, "B");
        a.pins(hq, name);
        b.pins(hq, name);
    }
    let to = [hq1.recipient(), hq2.recipient()];
    a.ok(&["lead", "set", "a3/1", "--supervised", "true"]);
    let base = a.export(&[]);
    hq1.import(&base);
    hq2.import(&base);
    // A: history X, the one A's binary wrote (idx 2 and 3), and history Y, signed with A's key
    // too: another change at idx 2.
    a.ok(&["lead", "set", "a3/2", "--supervised", "true"]);
    a.ok(&["lead", "set", "a3/3", "--attention", "true"]);
    let x = a.export(&[]);
    let a_lib = a.open();
    let a_key = a_lib.signing_key().unwrap();
    let a_log = a_lib.changes().unwrap();
    let y2 = signed(
        after(&a_log[0], &entity(A2), "assignee", json!("李四")),
        &a_key,
    );
    assert_eq!(y2.idx, 2);
    let y = hostile(
        &dir.path().join("y.fcb"),
        &a_lib,
        std::slice::from_ref(&y2),
        &to,
    );
    drop(a_lib);
    // B: its real idx 1 in P; in Q only idx 2 of another history, whose hash link does not
    // match the real idx 1 (the fork shows in the link, whichever of the two comes first).
    b.ok(&["lead", "set", "a3/3", "--assignee", "王五"]);
    let p = b.export(&[]);
    let b_lib = b.open();
    let b_key = b_lib.signing_key().unwrap();
    let b1 = b_lib.changes().unwrap().pop().unwrap();
    let mut other_1 = b1.clone();
    other_1.id = uuid::Uuid::now_v7().to_string();
    other_1.value = json!("赵六");
    let other_1 = signed(other_1, &b_key);
    let other_2 = signed(
        after(&other_1, &entity(A1), "attention", json!(true)),
        &b_key,
    );
    let q = hostile(
        &dir.path().join("q.fcb"),
        &b_lib,
        std::slice::from_ref(&other_2),
        &to,
    );
    drop(b_lib);

    let mut outs = Vec::new();
    assert_eq!(hq1.import(&x)["applied"], 2);
    outs.push(hq1.import_text(&y));
    assert_eq!(hq1.import(&p)["applied"], 1);
    outs.push(hq1.import_text(&q));
    assert_eq!(hq2.import(&y)["applied"], 1);
    outs.push(hq2.import_text(&x));
    assert_eq!(
        hq2.import(&q)["applied"],
        1,
        "no neighbour to compare with yet"
    );
    outs.push(hq2.import_text(&p));
    for (out, device) in outs.iter().zip([a.device(), b.device()].iter().cycle()) {
        assert!(out.contains("two different histories"), "{out}");
        assert!(out.contains(device.as_str()), "{out}");
        assert!(out.contains("kept apart"), "{out}");
    }

    let mut expected: Vec<(String, String)> = a_log[1..]
        .iter()
        .chain([&y2, &b1, &other_2])
        .map(|c| (c.id.clone(), "forked".to_string()))
        .collect();
    expected.sort();
    let mut forks = vec![
        json!({"kind": "fork", "device": a.device(), "from": 2}),
        json!({"kind": "fork", "device": b.device(), "from": 1}),
    ];
    forks.sort_by_key(|f| f["device"].as_str().unwrap().to_string());
    for hq in [&hq1, &hq2] {
        assert_eq!(hq.kept_apart(), expected, "both histories kept apart");
        let mut disputes = hq.quarantine()["disputes"].as_array().unwrap().clone();
        disputes.sort_by_key(|f| f["device"].as_str().unwrap().to_string());
        assert_eq!(disputes, forks);
        // Neither history is in the state; what came before the fork is.
        let lead = hq.lead("a3/2");
        assert_eq!(
            (&lead["supervised"], &lead["assignee"]),
            (&json!(false), &Value::Null)
        );
        let lead = hq.lead("a3/3");
        assert_eq!(
            (&lead["attention"], &lead["assignee"]),
            (&json!(false), &Value::Null)
        );
        let lead = hq.lead("a3/1");
        assert_eq!(
            (&lead["supervised"], &lead["attention"]),
            (&json!(true), &json!(false))
        );
        hq.verified();
    }
    assert_eq!(hq1.state(), hq2.state());
    // Seeing either history again changes nothing.
    let before = hq1.snapshot();
    for file in [&x, &y, &p, &q] {
        assert_eq!(hq1.import(file)["applied"], 0);
    }
    assert_eq!(hq1.snapshot(), before);
    a.verified();
    b.verified();
}

// 5. Clocks: an absurd one refused, one far ahead kept apart without dragging HQ's clock.
#[test]
fn clocks_far_ahead_are_kept_apart_and_absurd_ones_refused() {
    let dir = tempfile::tempdir().unwrap();
    let b = Store::new(dir.path(), "B");
    let c = Store::new(dir.path(), "C");
    let hq = Store::new(dir.path(), "HQ");
    hq.trusts(&b, "B");
    hq.trusts(&c, "C");
    b.pins(&hq, "HQ");
    c.pins(&hq, "HQ");
    b.ok(&["lead", "set", "a3/1", "--supervised", "true"]);
    hq.import(&b.export(&[]));

    let b_lib = b.open();
    let key = b_lib.signing_key().unwrap();
    let last = b_lib.changes().unwrap().pop().unwrap();
    let dated = |ms: u64, prev: &Change, lead: &str| {
        let mut change = after(prev, &entity(lead), "supervised", json!(true));
        change.clock = Hlc { ms, n: 0 };
        signed(change, &key)
    };
    // 9999-12-31T23:59:59.999Z: no honest clock.
    let absurd = dated(253_402_300_799_999, &last, A2);
    let absurd_file = hostile(
        &dir.path().join("absurd.fcb"),
        &b_lib,
        std::slice::from_ref(&absurd),
        &[hq.recipient()],
    );
    // Thirty days ahead: a wrong clock, but a real change.
    let ahead = dated(now_ms() + 30 * DAY_MS, &last, A2);
    let ahead_file = hostile(
        &dir.path().join("ahead.fcb"),
        &b_lib,
        std::slice::from_ref(&ahead),
        &[hq.recipient()],
    );
    drop(b_lib);

    let before = hq.snapshot();
    let err = hq.refuses(
        &["import", &absurd_file],
        "has a value its field cannot hold",
    );
    assert!(err.contains(&absurd.id), "{err}");
    assert_eq!(hq.snapshot(), before);

    let out = hq.import_text(&ahead_file);
    assert!(out.contains("0 applied"), "{out}");
    assert!(out.contains("dated more than a day ahead"), "{out}");
    assert_eq!(hq.state(), before.state, "nothing applied");
    assert_eq!(
        hq.kept_apart(),
        vec![(ahead.id.clone(), "ahead".to_string())]
    );

    // HQ's own next change is dated now, not thirty days ahead…
    let started = now_ms();
    hq.ok(&["lead", "set", "a3/3", "--attention", "true"]);
    let own = hq.own_changes().pop().unwrap();
    assert!(
        own.clock.ms >= started - 60_000 && own.clock.ms <= now_ms() + 60_000,
        "HQ's clock was dragged: {:?}",
        own.clock
    );
    // …so its next export is taken in by a laptop as it is.
    let all = hq.export(&["--all"]);
    for laptop in [&c, &b] {
        let done = laptop.import(&all);
        assert_eq!(
            (&done["kept_apart"], &done["ahead"]),
            (&json!(0), &json!(0)),
            "{done}"
        );
        assert_eq!(laptop.lead("a3/3")["attention"], true);
        assert_eq!(laptop.lead("a3/2")["supervised"], false);
    }
    for s in [&b, &c, &hq] {
        s.verified();
    }
}

// 6. A revoked device's changes, relayed by another.
#[test]
fn a_revoked_laptops_changes_stay_out_whoever_relays_them() {
    let dir = tempfile::tempdir().unwrap();
    let a = Store::new(dir.path(), "A");
    let b = Store::new(dir.path(), "B");
    let c = Store::new(dir.path(), "C");
    let hq = Store::new(dir.path(), "HQ");
    for (laptop, name) in [(&a, "A"), (&b, "B"), (&c, "C")] {
        hq.trusts(laptop, name);
        laptop.pins(&hq, "HQ");
    }
    a.ok(&["lead", "set", "a3/1", "--supervised", "true"]);
    a.ok(&["lead", "set", "a3/2", "--supervised", "true"]);
    a.ok(&["lead", "set", "a3/3", "--attention", "true"]);
    hq.import(&a.export(&[]));
    let first_all = hq.export(&["--all"]);
    c.import(&first_all);
    b.import(&first_all);
    assert_eq!(c.lead("a3/2")["supervised"], true);

    // A's laptop is lost after its first change; whoever has it goes on writing with it.
    a.ok(&["lead", "set", "a3/1", "--assignee", "小偷"]);
    let a_device = a.device();
    hq.ok(&["trust", "revoke", &a_device, "--from", "2"]);
    assert_eq!(hq.lead("a3/2")["supervised"], false, "taken back at HQ");
    assert_eq!(
        hq.lead("a3/1")["supervised"],
        true,
        "before the revocation: stays"
    );
    let before = hq.snapshot();

    // B relays A's changes (the new one and a revoked one it holds), packed and signed by B.
    let a_log = a.own_changes();
    let to = [hq.recipient(), b.recipient()];
    let b_lib = b.open();
    let relayed = hostile(
        &dir.path().join("relayed.fcb"),
        &b_lib,
        &[a_log[1].clone(), a_log[3].clone()],
        &to,
    );
    drop(b_lib);
    let out = hq.import_text(&relayed);
    assert!(out.contains("0 applied"), "{out}");
    assert!(out.contains("kept apart"), "{out}");
    assert_eq!(hq.state(), before.state);
    assert_eq!(hq.lead("a3/1")["assignee"], Value::Null);
    let kept = hq.kept_apart();
    let revoked: Vec<(String, String)> = {
        let mut v: Vec<(String, String)> = a_log[1..]
            .iter()
            .map(|ch| (ch.id.clone(), "revoked".to_string()))
            .collect();
        v.sort();
        v
    };
    assert_eq!(kept, revoked, "A's changes from idx 2 on, none applied");

    // C, which applied A's changes 2 and 3, takes them back on HQ's next --all.
    let done = c.import(&hq.export(&["--all"]));
    assert_eq!(done["applied"], 0, "{done}");
    assert_eq!(c.lead("a3/2")["supervised"], false);
    assert_eq!(c.lead("a3/3")["attention"], false);
    assert_eq!(c.lead("a3/1")["supervised"], true);
    assert_eq!(c.state(), hq.state());
    let mut taken_back: Vec<(String, String)> = a_log[1..3]
        .iter()
        .map(|ch| (ch.id.clone(), "revoked".to_string()))
        .collect();
    taken_back.sort();
    assert_eq!(c.kept_apart(), taken_back);
    let list = c.json(&["trust", "list"]);
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["device"] == a_device.as_str())
        .unwrap();
    assert_eq!(entry["revoked_from"], 2);
    // An old --all from before the revocation does not bring them back.
    let c_before = c.snapshot();
    assert_eq!(c.import(&first_all)["applied"], 0);
    assert_eq!(c.snapshot(), c_before);
    for s in [&a, &b, &c, &hq] {
        s.verified();
    }
}

// 7. A stranger's huge file, and a FIFO.
#[test]
fn a_strangers_huge_file_is_refused_before_its_body_is_read() {
    use sha2::Digest;
    let dir = tempfile::tempdir().unwrap();
    let hq = Store::new(dir.path(), "HQ");
    let before = hq.snapshot();

    // A header that holds (format, version, the packer's signature) by a key nobody trusts,
    // over a 250 MB body of nested arrays whose checksum matches.
    let stranger = Keys::generate().unwrap();
    let device = uuid::Uuid::now_v7().to_string();
    let peer = stranger.peer(&device);
    let mut line = vec![b'['; 100_000 - 1];
    line.push(b'\n');
    let lines = 2_500;
    let mut body_hash = sha2::Sha256::new();
    for _ in 0..lines {
        body_hash.update(&line);
    }
    let mut header = Header {
        format: bundle::FORMAT.into(),
        version: bundle::VERSION,
        bundle: uuid::Uuid::now_v7().to_string(),
        packer: peer.to_string(),
        created: "2022-01-28T00:00:00+00:00".into(),
        ranges: [(device.clone(), (1, lines as u64))].into_iter().collect(),
        count: lines,
        roster: 0,
        part: None,
        body_sha256: hex::encode(body_hash.finalize()),
        signature: String::new(),
    };
    let mut signed_part = b"fieldcheck bundle v2\n".to_vec();
    signed_part.extend(serde_json::to_vec(&header).unwrap());
    header.signature = keys::sign(&stranger.signing, &signed_part);
    let mut head = serde_json::to_vec(&header).unwrap();
    head.push(b'\n');
    assert!(
        bundle::read_header(&head).is_ok(),
        "the header itself holds"
    );
    let huge = dir.path().join("huge.fcb");
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&huge).unwrap());
        file.write_all(&head).unwrap();
        for _ in 0..lines {
            file.write_all(&line).unwrap();
        }
        file.flush().unwrap();
    }
    let size = std::fs::metadata(&huge).unwrap().len();
    assert!(
        size > 250_000_000 && size < bundle::MAX_BUNDLE_BYTES,
        "{size}"
    );

    let time = Path::new("/usr/bin/time");
    let mut cmd = if time.exists() {
        let mut cmd = std::process::Command::new(time);
        cmd.arg("-v").arg(env!("CARGO_BIN_EXE_fieldcheck"));
        cmd
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_fieldcheck"))
    };
    cmd.env_remove("FIELDCHECK_STORE")
        .arg("--store")
        .arg(&hq.store)
        .args(["--lang", "en", "import"])
        .arg(&huge);
    let started = Instant::now();
    let out = cmd.output().unwrap();
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("its packer is not trusted"), "{stderr}");
    assert!(stderr.contains(&peer.fingerprint()), "{stderr}");
    assert!(took < Duration::from_secs(10), "took {took:?}");
    if time.exists() {
        let kb: u64 = stderr
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("Maximum resident set size (kbytes): ")
            })
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(kb < 700 * 1024, "peak resident {} MB", kb / 1024);
        println!(
            "250 MB stranger's file: refused in {took:?}, peak {} MB",
            kb / 1024
        );
    } else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "GNU time is missing (apt-get install -y time)"
        );
        println!("SKIPPED: the memory check (no /usr/bin/time; apt-get install -y time)");
    }
    std::fs::remove_file(&huge).unwrap();
    assert_eq!(hq.snapshot(), before);

    // A FIFO given to import returns at once, with exit 1.
    #[cfg(unix)]
    {
        let fifo = dir.path().join("pipe.fcb");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let mut child = hq
            .process()
            .args(["--lang", "en", "import"])
            .arg(&fifo)
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > Duration::from_secs(10) {
                child.kill().unwrap();
                child.wait().unwrap();
                panic!("import blocked on a FIFO");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut stderr = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
        assert_eq!(status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("is a named pipe (FIFO), not a regular file"),
            "{stderr}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(hq.snapshot(), before);
    }
    hq.verified();
}

// 8. A swapped key file.
#[test]
fn a_swapped_key_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = Store::new(dir.path(), "A");
    let b = Store::new(dir.path(), "B");
    a.trusts(&b, "B");
    a.ok(&["lead", "set", "a3/2", "--supervised", "true"]);
    let a_before = a.snapshot();
    let b_before = b.snapshot();
    let own_key = std::fs::read(keys::key_path(&a.store)).unwrap();
    std::fs::copy(keys::key_path(&b.store), keys::key_path(&a.store)).unwrap();

    let (b_key, b_device) = (b.key(), b.device());
    let attempts: Vec<Vec<&str>> = vec![
        vec!["lead", "set", "a3/1", "--supervised", "true"],
        DISPUTED.to_vec(),
        vec!["export"],
        vec!["export", "--plain"],
        vec!["trust", "add", &b_key, "--name", "B2"],
        vec!["trust", "revoke", &b_device, "--from", "1"],
    ];
    for args in &attempts {
        let err = a.refuses(args, "is not this store's key");
        assert!(err.contains("The store was not changed"), "{err}");
    }
    assert!(!dir.path().join("A/bundles").exists(), "no bundle written");
    assert_eq!(a.snapshot(), a_before);
    assert_eq!(b.snapshot(), b_before);
    a.verified();
    // With its own key back, A works again.
    std::fs::write(keys::key_path(&a.store), own_key).unwrap();
    a.ok(&["lead", "set", "a3/1", "--supervised", "true"]);
    for s in [&a, &b] {
        s.verified();
    }
}

// 9. A stolen bundle, read without a recipient's key.
#[test]
fn a_stolen_bundle_reveals_nothing_without_a_recipients_key() {
    let dir = tempfile::tempdir().unwrap();
    let a = Store::new(dir.path(), "A");
    let hq = Store::new(dir.path(), "HQ");
    let thief = Store::new(dir.path(), "T");
    hq.trusts(&a, "A");
    a.pins(&hq, "HQ");
    thief.trusts(&a, "A");
    let creditor = a.lead("a3/1")["creditor"].as_str().unwrap().to_string();
    let (reference, phone) = ("HT-2021-07-SECRET-4471", "13987654321");
    let met = format!("王会计,财务,{phone}");
    let evidence = format!("contract:{reference}:采购合同");
    let note = format!("与{creditor}财务核对");
    a.ok(&[
        "visit",
        "add",
        "a3/1",
        "--kind",
        "onsite",
        "--finding",
        "disputed",
        "--evidence",
        &evidence,
        "--met",
        &met,
        "--note",
        &note,
        "--next",
        "约双方到区经信委协商",
        "--due",
        "+7",
    ]);
    a.ok(&["lead", "set", "a3/1", "--confidential", "true"]);
    let file = a.export(&[]);
    let bytes = std::fs::read(&file).unwrap();
    let has = |hay: &[u8], needle: &str| hay.windows(needle.len()).any(|w| w == needle.as_bytes());
    for secret in [
        creditor.as_str(),
        reference,
        phone,
        "王会计",
        "fieldcheck-bundle",
        A1,
    ] {
        assert!(!has(&bytes, secret), "{secret} in plain text in {file}");
    }

    let before = thief.snapshot();
    thief.refuses(&["import", &file], "encrypted for other stores");
    assert_eq!(thief.snapshot(), before);

    // The reference age command, with HQ's identity, reads it.
    let identity = dir.path().join("hq-identity.txt");
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&identity).unwrap();
        writeln!(f, "{}", hq.age_secret()).unwrap();
    }
    match std::process::Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&identity)
        .arg(&file)
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let plain = out.stdout;
            assert!(
                plain.starts_with(br#"{"format":"fieldcheck-bundle""#),
                "{}",
                String::from_utf8_lossy(&plain[..plain.len().min(200)])
            );
            // What the encryption hides is really in the bundle.
            for secret in [creditor.as_str(), reference, phone, "王会计", A1] {
                assert!(has(&plain, secret), "{secret} not in the bundle at all");
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "the reference `age` command is missing (apt-get install -y age)"
            );
            println!("SKIPPED: the reference age check (no `age` command; apt-get install -y age)");
        }
        Err(e) => panic!("running age: {e}"),
    }
    let done = hq.import(&file);
    assert_eq!(done["applied"], 3, "{done}");
    for s in [&a, &hq, &thief] {
        s.verified();
    }
}

// 10. Files written are owner-only.
#[cfg(unix)]
#[test]
fn files_written_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let world_readable = |p: &Path| {
        std::fs::write(p, b"old").unwrap();
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644)).unwrap();
    };
    let dir = tempfile::tempdir().unwrap();
    let a = Store::new(dir.path(), "A");
    let hq = Store::new(dir.path(), "HQ");
    hq.trusts(&a, "A");
    a.pins(&hq, "HQ");
    assert_eq!(mode(&a.store), 0o600, "the store");
    assert_eq!(mode(&keys::key_path(&a.store)), 0o600, "its key");

    a.ok(&["lead", "set", "a3/2", "--supervised", "true"]);
    let default = PathBuf::from(a.export(&[]));
    assert_eq!(mode(&default), 0o600, "{}", default.display());
    assert_eq!(mode(default.parent().unwrap()), 0o700, "bundles/");
    a.ok(&["lead", "set", "a3/3", "--attention", "true"]);
    let out = dir.path().join("usb").join("to-hq.fcb");
    let written = a.export(&["--out", out.to_str().unwrap()]);
    assert_eq!(PathBuf::from(&written), out);
    assert_eq!(mode(&out), 0o600);
    assert_eq!(mode(out.parent().unwrap()), 0o700, "a folder export made");
    // Over a file that was readable by all.
    hq.import(&written);
    let plain = dir.path().join("plain.fcb");
    world_readable(&plain);
    hq.ok(&["export", "--all", "--out", plain.to_str().unwrap()]);
    assert_eq!(mode(&plain), 0o600);

    for name in ["report.md", "report.csv"] {
        let report = dir.path().join(name);
        let format = name.rsplit('.').next().unwrap();
        a.ok(&[
            "report",
            "--format",
            format,
            "--out",
            report.to_str().unwrap(),
        ]);
        assert_eq!(mode(&report), 0o600, "{name}");
        world_readable(&report);
        a.ok(&[
            "report",
            "--format",
            format,
            "--out",
            report.to_str().unwrap(),
        ]);
        assert_eq!(mode(&report), 0o600, "{name} replaced");
    }

    let backup = dir.path().join("usb").join("a-backup.redb");
    a.cmd()
        .env("FIELDCHECK_PASSPHRASE", "correct horse battery staple")
        .args(["backup", backup.to_str().unwrap()])
        .assert()
        .success();
    assert_eq!(mode(&backup), 0o600, "backup");
    assert_eq!(mode(&keys::key_path(&backup)), 0o600, "backup key");
    for s in [&a, &hq] {
        s.verified();
    }
    // Nothing of this test was left readable by others.
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                assert_eq!(mode(&p) & 0o077, 0, "{}", p.display());
            }
        }
    }
}

// Found while attacking row 1's threat (a trusted laptop acting against another): a change id
// held at another device's slot used to refuse the bundle as "tampered", so a laptop that saw
// another laptop's bundle before headquarters did (district colleagues: `export --to`) could claim
// its change ids in changes of its own, signed with its own key, and headquarters then refused the
// honest bundle for good. Now both changes carrying the id are kept apart for a person.
#[test]
fn a_laptop_cannot_block_anothers_bundle_by_reusing_its_change_ids() {
    let dir = tempfile::tempdir().unwrap();
    let a = Store::new(dir.path(), "A");
    let b = Store::new(dir.path(), "B");
    let hq = Store::new(dir.path(), "HQ");
    hq.trusts(&a, "A");
    hq.trusts(&b, "B");
    a.pins(&hq, "HQ");
    b.pins(&hq, "HQ");
    // District colleagues: A sends its work to HQ and to B.
    a.trusts(&b, "B");
    b.trusts(&a, "A");
    a.ok(&["lead", "set", "a3/2", "--supervised", "true"]);
    let from_a = a.export(&["--to", &hq.device(), "--to", &b.device()]);
    b.import(&from_a);

    // B reuses A's change id in a change of its own, properly signed and linked.
    let a_change = a.own_changes().pop().unwrap();
    let to = [hq.recipient()];
    let b_lib = b.open();
    let mut squat = Change {
        id: a_change.id.clone(),
        device: b_lib.identity().unwrap().device_id,
        idx: 1,
        author: "B".into(),
        clock: Hlc { ms: now_ms(), n: 0 },
        entity: entity(A3),
        field: "attention".into(),
        value: json!(true),
        base: None,
        merges: Vec::new(),
        prev: None,
        sig: String::new(),
    };
    squat.sign(&b_lib.signing_key().unwrap());
    let squatting = hostile(&dir.path().join("squat.fcb"), &b_lib, &[squat], &to);
    drop(b_lib);
    hq.import(&squatting);

    // A's real bundle must still reach HQ: its change applied, or kept apart for a person.
    let out = hq
        .cmd()
        .args(["--lang", "en", "import", &from_a])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "A's honest bundle refused: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let held = hq.changes().iter().any(|c| c.device == a_change.device);
    let kept = hq.kept_apart().iter().any(|(id, _)| *id == a_change.id);
    assert!(held || kept, "A's change lost");
    hq.verified();
}

// Found while attacking row 2's threat (HQ altering what it relays): HQ cannot alter a change,
// but it can replace the key of the device that made it. A store's device id and signing key are
// made together by `init`; a new key is a new store and a new device id (the v1→v2 key upgrade
// keeps the signing key), so a laptop never needs to accept another signing key for a device id
// it knows — yet a newer roster entry from its HQ replaced it silently. Now the second key makes
// the device's key disputed: nothing of the device applies until C's operator settles it.
#[test]
fn a_roster_entry_cannot_change_a_known_devices_signing_key() {
    let dir = tempfile::tempdir().unwrap();
    let a = Store::new(dir.path(), "A");
    let c = Store::new(dir.path(), "C");
    let hq = Store::new(dir.path(), "HQ");
    hq.trusts(&a, "A");
    hq.trusts(&c, "C");
    a.pins(&hq, "HQ");
    c.pins(&hq, "HQ");
    a.ok(&["lead", "set", "a3/1", "--supervised", "true"]);
    hq.import(&a.export(&[]));
    c.import(&hq.export(&["--all"]));
    let a_key = a.key();
    let a_at_c = |c: &Store| -> Value {
        c.json(&["trust", "list"])
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["device"] == a.device().as_str())
            .unwrap()
            .clone()
    };
    let key_at_c = |c: &Store| a_at_c(c)["key"].clone();
    assert_eq!(key_at_c(&c), a_key.as_str());
    let before = c.snapshot();

    // HQ's operator cannot enrol another key under A's device id: a device's key never changes.
    let fake = Keys::generate().unwrap();
    hq.cmd()
        .args(["--lang", "en", "trust", "add"])
        .arg(fake.peer(&a.device()).to_string())
        .args(["--name", "A"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("never change"));
    // A compromised HQ signs such a roster entry itself, and A's "next change" with the new key.
    let a_last = a.own_changes().pop().unwrap();
    let forged = signed(
        after(&a_last, &entity(A1), "status", json!("closed")),
        &fake.signing,
    );
    let to = [c.recipient()];
    let hq_lib = hq.open();
    let mut entry = RosterEntry {
        device: a.device(),
        key: fake.peer(&a.device()).to_string(),
        name: "A".into(),
        inspector: "张三".into(),
        district: None,
        revoked_from: None,
        seq: 99,
        issued: "2026-12-01T00:00:00Z".into(),
        issuer: hq_lib.identity().unwrap().device_id,
        sig: String::new(),
    };
    entry.sign(&hq_lib.keys().unwrap().signing);
    let roster = vec![entry];
    let forged_id = forged.id.clone();
    let plain = pack(&hq_lib, &[forged], &roster);
    drop(hq_lib);
    let file = dir.path().join("rekeyed.fcb");
    std::fs::write(&file, seal::seal(&plain, &to).unwrap()).unwrap();
    let out = c.import_text(&file.display().to_string());
    assert!(out.contains("has a disputed key"), "{out}");

    // Two keys for one device id: disputed, neither trusted. Nothing signed by the new key
    // applies, and A's own change is taken back too (C cannot tell which key is A's), kept apart
    // to wait for the operator's word.
    let fake_key = fake.peer(&a.device()).to_string();
    let mut both = vec![a_key.clone(), fake_key];
    both.sort();
    assert_eq!(a_at_c(&c)["disputed"], json!(both));
    assert_eq!(
        c.lead("a3/1")["status"],
        "new",
        "a change A never signed applied"
    );
    assert_eq!(c.lead("a3/1")["supervised"], false);
    let kept = c.kept_apart();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(
        kept.iter().all(|(_, why)| why == "key-disputed"),
        "{kept:?}"
    );
    let list = c.ok(&["--lang", "en", "trust", "list"]);
    assert!(
        list.contains("key disputed") && list.contains(&a_key) && list.contains("trust add"),
        "{list}"
    );
    let q = c.ok(&["--lang", "en", "quarantine"]);
    assert!(q.contains("the device's key is disputed"), "{q}");
    // C's operator compares A's fingerprint and settles the dispute: A's key stands, against
    // every roster from now on, and the next import applies A's change again.
    c.trusts(&a, "A");
    assert_eq!(key_at_c(&c), a_key.as_str());
    assert_eq!(a_at_c(&c).get("disputed"), None);
    c.import(&hq.export(&["--all"]));
    assert_eq!(c.state(), before.state);
    assert_eq!(
        c.kept_apart(),
        vec![(forged_id, "bad-signature".to_string())]
    );
    c.verified();
}

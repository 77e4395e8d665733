//! Sync end to end with the real binary and real files: two laptops seeded independently, two
//! headquarters importing in opposite orders, redistribution, and re-imports that change
//! nothing.

use std::path::Path;

use predicates::str::contains;
use serde_json::Value;

mod common;
use common::Bin;

struct Store {
    bin: Bin,
}

impl std::ops::Deref for Store {
    type Target = Bin;
    fn deref(&self) -> &Bin {
        &self.bin
    }
}

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

    fn import(&self, files: &[&str]) -> Value {
        self.json(&[&["import"], files].concat())
    }

    /// What must agree between stores: leads, visits (by id) and conflicts.
    fn state(&self) -> (Value, Vec<Value>, Value) {
        let mut visits: Vec<Value> = self.json(&["visit", "list"]).as_array().unwrap().clone();
        visits.sort_by_key(|v| v["id"].as_str().unwrap().to_string());
        (self.json(&["leads"]), visits, self.json(&["conflicts"]))
    }
}

#[test]
fn two_laptops_two_headquarters_converge() {
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
    // Both laptops visit 朋昆's lead and change its state, without seeing each other.
    a.ok(&[
        "visit",
        "add",
        "a3/1",
        "--kind",
        "onsite",
        "--finding",
        "disputed",
        "--evidence",
        "contract:HT-1",
        "--next",
        "协商",
        "--due",
        "+7",
    ]);
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
    let from_a = a.export(&[]);
    let from_b = b.export(&[]);
    assert!(Path::new(&from_a).starts_with(dir.path().join("A").join("bundles")));
    assert!(from_a.ends_with("-1-2.fcb"), "{from_a}");

    let first = hq1.import(&[&from_a]);
    assert_eq!(
        (first[0]["applied"].as_u64(), first[0]["conflicts"].as_u64()),
        (Some(2), Some(0))
    );
    let second = hq1.import(&[&from_b]);
    assert_eq!(second[0]["conflicts"], 1);
    hq2.import(&[&from_b, &from_a]);
    let state = hq1.state();
    assert_eq!(state, hq2.state(), "the order of import does not matter");
    assert_eq!(state.1.len(), 2, "both visits");
    assert_eq!(
        state.2.as_array().unwrap().len(),
        1,
        "one conflict: the lead's state"
    );
    assert_eq!(state.2[0]["field"], "status");
    assert!(hq1.ok(&["verify"]).contains("一致"));

    // Headquarters redistributes; A now shows B's visit, signed by B and vouched for by HQ1.
    let all = hq1.export(&["--all"]);
    a.import(&[&all]);
    let visits = a.json(&["visit", "list", "a3/1"]);
    assert_eq!(visits.as_array().unwrap().len(), 2);
    assert!(
        visits
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["finding"] == "paid")
    );
    assert_eq!(a.state(), state);

    // Re-importing anything changes nothing.
    for (store, file) in [(&hq1, &from_a), (&hq2, &from_b), (&a, &all)] {
        let again = store.import(&[file]);
        assert_eq!(again[0]["applied"], 0);
    }
    assert_eq!(hq1.state(), state);

    // The conflict is resolved once, and the resolution travels.
    let id = state.2[0]["id"].as_str().unwrap().to_string();
    hq1.ok(&["conflicts", "resolve", &id, "--keep", "theirs"]);
    assert_eq!(hq1.json(&["conflicts"]).as_array().unwrap().len(), 0);
    let update = hq1.export(&["--all"]);
    a.import(&[&update]);
    assert_eq!(a.json(&["conflicts"]).as_array().unwrap().len(), 0);
    assert_eq!(
        a.json(&["lead", "show", "a3/1"])["status"],
        hq1.json(&["lead", "show", "a3/1"])["status"]
    );
}

#[test]
fn export_moves_the_watermark_and_status_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    let a = Store::new(dir.path(), "A");
    a.ok(&["lead", "set", "a3/2", "--supervised", "true"]);
    assert_eq!(a.json(&["sync", "status"])["unexported"], 1);
    let path = a.export(&["--plain"]);
    assert!(Path::new(&path).exists());
    assert_eq!(a.json(&["sync", "status"])["unexported"], 0);
    assert!(a.ok(&["export"]).contains("没有需要导出"));
    // No temp file is left beside the bundle.
    let names: Vec<String> = std::fs::read_dir(dir.path().join("A/bundles"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| n.ends_with(".fcb")), "{names:?}");
}

#[test]
fn export_into_a_folder_names_the_bundle_as_usual() {
    let dir = tempfile::tempdir().unwrap();
    let a = Store::new(dir.path(), "A");
    a.ok(&["lead", "set", "a3/2", "--supervised", "true"]);
    let stick = dir.path().join("U盘");
    std::fs::create_dir_all(&stick).unwrap();
    let path = a.export(&["--plain", "--out", stick.to_str().unwrap()]);
    let written = Path::new(&path);
    assert_eq!(written.parent().unwrap(), stick);
    let name = written.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.ends_with("-1-1.fcb") && name.contains("20220128"),
        "{name}"
    );
    assert!(written.is_file());
}

#[test]
fn untrusted_signers_are_refused_unless_trusted_on_the_spot() {
    let dir = tempfile::tempdir().unwrap();
    let a = Store::new(dir.path(), "A");
    let hq = Store::new(dir.path(), "HQ");
    a.ok(&["lead", "set", "a3/2", "--supervised", "true"]);
    // Two stores without an HQ: the sender writes a plain bundle, the receiver trusts it.
    let file = a.export(&["--plain"]);
    let before = hq.state();
    hq.cmd()
        .args(["--lang", "en", "import", &file])
        .assert()
        .code(1)
        .stderr(contains("not trusted"))
        .stderr(contains(a.key()));
    assert_eq!(hq.state(), before);
    let out = hq.ok(&["--lang", "en", "import", "--trust-new", &file]);
    let fingerprint = a.json(&["identity"])["fingerprint"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(out.contains(&fingerprint), "{out}");
    let list = hq.json(&["trust", "list"]);
    let trusted: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["vouch"]["kind"] == "first-use")
        .collect();
    assert_eq!(trusted.len(), 1);
    assert_eq!(trusted[0]["key"], a.key());
    assert_eq!(
        trusted[0]["vouch"]["by"], "HQ",
        "who trusted it is recorded"
    );
    assert_eq!(
        trusted[0]["name"],
        fingerprint.as_str(),
        "never the sender's own name"
    );
    let broken = dir.path().join("broken.fcb");
    std::fs::write(&broken, &std::fs::read(&file).unwrap()[..40]).unwrap();
    hq.cmd()
        .args(["import", broken.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(contains("不是 fieldcheck 变更包"));
    hq.cmd().args(["trust", "remove", "nope"]).assert().code(1);
}

/// An export over the part size is split into parts, each a whole bundle within the import limit;
/// headquarters takes them in any order and ends exactly where one bundle would have taken it.
#[test]
fn an_export_in_parts_imports_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    let a = Store::new(dir.path(), "A");
    let hq1 = Store::new(dir.path(), "HQ1");
    let hq2 = Store::new(dir.path(), "HQ2");
    for hq in [&hq1, &hq2] {
        hq.trusts(&a, "A");
        a.pins(hq, "HQ");
    }
    for lead in ["a3/1", "a3/2", "a3/3"] {
        a.ok(&["lead", "set", lead, "--supervised", "true"]);
        a.ok(&["lead", "set", lead, "--assignee", "张三"]);
        a.ok(&["lead", "set", lead, "--supervised", "false"]);
    }
    let out = dir.path().join("a.fcb");
    let parts = a.json(&[
        "export",
        "--out",
        out.to_str().unwrap(),
        "--part-size",
        "2000",
    ]);
    let files: Vec<String> = parts["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    assert!(files.len() >= 3, "{parts}");
    let of = files.len();
    for (n, file) in files.iter().enumerate() {
        assert!(
            file.ends_with(&format!("a-part-{}-of-{of}.fcb", n + 1)),
            "{file}"
        );
    }
    let mut reversed: Vec<&str> = files.iter().map(String::as_str).collect();
    reversed.reverse();
    hq1.import(&reversed);
    for file in &files {
        hq2.import(&[file]);
    }
    assert_eq!(hq1.state(), hq2.state());
    assert_eq!(hq1.state().0, a.state().0, "every change arrived");
    assert_eq!(
        hq1.json(&["sync", "status"])["devices"],
        a.json(&["sync", "status"])["devices"]
    );
    assert!(hq1.ok(&["verify"]).contains("一致"));
}

/// Who recorded a visit is the author headquarters verified for the signing device (its enrolment),
/// never the name the laptop wrote into the visit.
#[test]
fn visits_show_the_verified_author_not_the_claimed_one() {
    let dir = tempfile::tempdir().unwrap();
    let b = Store::new(dir.path(), "B");
    let hq = Store::new(dir.path(), "HQ");
    // B's own store calls its inspector 张三; headquarters enrolled the laptop for 李四.
    b.ok(&["init", "--inspector", "张三"]);
    hq.ok(&[
        "trust",
        "add",
        &b.key(),
        "--name",
        "laptop-B",
        "--inspector",
        "李四",
    ]);
    b.pins(&hq, "HQ");
    b.ok(&[
        "visit",
        "add",
        "a3/2",
        "--kind",
        "onsite",
        "--finding",
        "no-arrears",
        "--evidence",
        "statement:DZ-1",
    ]);
    hq.import(&[&b.export(&[])]);
    let id = hq.json(&["visit", "list"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        hq.json(&["visit", "show", &id])["inspector"],
        "张三",
        "the claim, as written"
    );
    let list = hq.ok(&["visit", "list"]);
    assert!(
        list.contains("李四@laptop-B") && !list.contains("张三"),
        "{list}"
    );
    let shown = hq.ok(&["visit", "show", &id]);
    assert!(shown.contains("李四@laptop-B"), "{shown}");
    // A store that trusted the laptop's key on first use, without naming who uses it, marks the
    // claim as not verified.
    let c = Store::new(dir.path(), "C");
    let plain = dir.path().join("b-plain.fcb");
    b.ok(&[
        "export",
        "--all",
        "--plain",
        "--out",
        plain.to_str().unwrap(),
    ]);
    c.ok(&["import", "--trust-new", plain.to_str().unwrap()]);
    let list = c.ok(&["--lang", "en", "visit", "list"]);
    assert!(list.contains("张三 (not verified)"), "{list}");
}

/// Revoking a device beyond the changes held warns that the ones in between would still be taken,
/// and the revocation takes back exactly the changes from its idx on.
#[test]
fn a_revocation_past_what_is_held_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let a = Store::new(dir.path(), "A");
    let hq = Store::new(dir.path(), "HQ");
    hq.trusts(&a, "A");
    a.pins(&hq, "HQ");
    a.ok(&["lead", "set", "a3/1", "--supervised", "true"]);
    a.ok(&["lead", "set", "a3/2", "--supervised", "true"]);
    hq.import(&[&a.export(&[])]);
    let device = a.json(&["identity"])["device_id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = hq.ok(&["--lang", "en", "trust", "revoke", &device, "--from", "5"]);
    assert!(out.contains("#3 to #4 would still be taken"), "{out}");
    let out = hq.ok(&["--lang", "en", "trust", "revoke", &device, "--from", "2"]);
    assert!(!out.contains("would still be taken"), "{out}");
    assert_eq!(hq.json(&["lead", "show", "a3/2"])["supervised"], false);
    assert_eq!(hq.json(&["lead", "show", "a3/1"])["supervised"], true);
    assert_eq!(
        hq.json(&["quarantine"])["kept_apart"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(hq.ok(&["verify"]).contains("一致"));
}

//! `backup` and `restore` with the real binary: a checked copy with its key, refusals that
//! change nothing, and a round trip that brings back exactly what was saved.

use std::path::Path;

use predicates::str::contains;
use serde_json::Value;

mod common;
use common::{Bin, DISPUTED};

fn laptop(dir: &Path) -> Bin {
    let bin = Bin::dated(dir.join("s.redb"), "2022-01-28");
    bin.ok(&["init", "--inspector", "张三"]);
    bin.ok(DISPUTED);
    bin
}

/// What a restore must bring back: identity, leads, visits, the change log's size.
fn saved(bin: &Bin) -> (Value, Value, Value, Value) {
    let status = bin.json(&["sync", "status"]);
    (
        bin.json(&["identity"]),
        bin.json(&["leads"]),
        bin.json(&["visit", "list"]),
        status["devices"].clone(),
    )
}

#[test]
fn a_backup_restores_exactly_what_was_saved() {
    let dir = tempfile::tempdir().unwrap();
    let a = laptop(dir.path());
    let before = saved(&a);
    let out = dir.path().join("usb").join("b.redb");
    let copied = a.json(&["backup", out.to_str().unwrap()]);
    assert_eq!(
        (copied["leads"].as_u64(), copied["visits"].as_u64()),
        (Some(3), Some(1))
    );
    assert!(
        out.with_extension("redb.key").is_file(),
        "the key is backed up"
    );
    // ... sealed with the passphrase, never plain beside a plain copy.
    let sealed = std::fs::read(out.with_extension("redb.key")).unwrap();
    assert!(fieldcheck::sync::seal::is_protected(&sealed));
    let plain_key = std::fs::read(dir.path().join("s.redb.key")).unwrap();
    assert!(!fieldcheck::sync::seal::is_protected(&plain_key));
    let secret = String::from_utf8_lossy(&plain_key).into_owned();
    let signing = secret.lines().find(|l| l.starts_with("signing ")).unwrap();
    assert!(
        !String::from_utf8_lossy(&sealed).contains(&signing[8..]),
        "the signing key does not appear in the backup's key file"
    );
    // Later work, then the backup comes back over it.
    a.ok(&[&DISPUTED[..2], &["a3/2"], &DISPUTED[3..]].concat());
    a.ok(&["restore", out.to_str().unwrap(), "--force"]);
    assert_eq!(saved(&a), before);
    a.cmd().arg("verify").assert().success();
    // Onto a new machine: same device, same key.
    let fresh = Bin::dated(dir.path().join("new").join("s.redb"), "2022-01-28");
    fresh.ok(&["restore", out.to_str().unwrap()]);
    assert_eq!(saved(&fresh), before);
}

#[test]
fn refusals_name_the_file_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = laptop(dir.path());
    let before = saved(&a);
    let out = dir.path().join("b.redb");
    std::fs::write(&out, "an older file").unwrap();
    a.cmd()
        .args(["--lang", "en", "backup", out.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(contains("exists and was left as it is. Add --force"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "an older file");
    a.cmd()
        .args(["--lang", "en", "restore", out.to_str().unwrap(), "--force"])
        .assert()
        .code(1)
        .stderr(contains(format!(
            "{} is not a readable fieldcheck store",
            out.display()
        )));
    assert_eq!(saved(&a), before);
    let good = dir.path().join("good.redb");
    a.ok(&["backup", good.to_str().unwrap()]);
    a.cmd()
        .args(["--lang", "en", "restore", good.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(contains("s.redb exists and was left as it is"));
    let missing = Bin::new(dir.path().join("none.redb"));
    missing
        .cmd()
        .args([
            "--lang",
            "en",
            "backup",
            dir.path().join("x.redb").to_str().unwrap(),
        ])
        .assert()
        .code(1)
        .stderr(contains("there is no store file at"));
    assert!(!missing.store.exists() && !dir.path().join("x.redb").exists());
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with('.')),
        "no staged or temporary files left: {names:?}"
    );
}

#[test]
fn a_store_in_use_is_not_restored_over() {
    let dir = tempfile::tempdir().unwrap();
    let a = laptop(dir.path());
    let out = dir.path().join("b.redb");
    a.ok(&["backup", out.to_str().unwrap()]);
    let held = fieldcheck::store::Store::open(&a.store, &Default::default()).unwrap();
    a.cmd()
        .args(["--lang", "en", "restore", out.to_str().unwrap(), "--force"])
        .assert()
        .code(1)
        .stderr(contains("is in use by another fieldcheck process"));
    drop(held);
}

#[test]
fn a_damaged_store_is_replaced_with_force_and_a_backup_without_its_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let a = laptop(dir.path());
    let before = saved(&a);
    let out = dir.path().join("b.redb");
    a.ok(&["backup", out.to_str().unwrap()]);
    std::fs::write(&a.store, b"not a store any more").unwrap();
    a.ok(&["restore", out.to_str().unwrap(), "--force"]);
    assert_eq!(saved(&a), before);
    std::fs::remove_file(out.with_extension("redb.key")).unwrap();
    a.cmd()
        .args(["--lang", "en", "restore", out.to_str().unwrap(), "--force"])
        .assert()
        .code(1)
        .stderr(contains("private key (.key beside it) is missing"));
    assert_eq!(saved(&a), before);
}

/// A restore renames the store, then its key. Stopped between the two (power lost), the store
/// is the backup's while the key beside it is still the old one; the next open puts the
/// backup's key, waiting under its staged name, in place. A staged key that is not the store's
/// is left alone.
#[test]
fn a_restore_stopped_between_its_renames_is_finished_on_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let a = laptop(dir.path());
    let out = dir.path().join("usb").join("b.redb");
    a.ok(&["backup", out.to_str().unwrap()]);
    let backup_key = std::fs::read(out.with_extension("redb.key")).unwrap();
    let other = Bin::dated(dir.path().join("other").join("s.redb"), "2022-01-28");
    other.ok(&["init", "--inspector", "李四"]);
    let store = dir.path().join("other").join("s.redb");
    let key = dir.path().join("other").join("s.redb.key");
    let staged_key = dir.path().join("other").join(".s.redb.staging.key");
    let old_key = std::fs::read(&key).unwrap();
    // The state the first rename leaves.
    std::fs::copy(&out, &store).unwrap();
    std::fs::copy(out.with_extension("redb.key"), &staged_key).unwrap();
    other.cmd().arg("verify").assert().success();
    assert_eq!(std::fs::read(&key).unwrap(), backup_key);
    assert!(!staged_key.exists());
    assert_ne!(old_key, backup_key);
    // The key signs and decrypts again: an export the laptop's headquarters accepts.
    let hq = Bin::dated(dir.path().join("hq").join("s.redb"), "2022-01-28");
    hq.ok(&["init", "--inspector", "总部"]);
    let key_of = |bin: &Bin| {
        bin.json(&["identity"])["public_key"]
            .as_str()
            .unwrap()
            .to_string()
    };
    hq.ok(&["trust", "add", &key_of(&a), "--name", "laptop"]);
    other.ok(&["trust", "add", &key_of(&hq), "--name", "HQ", "--hq"]);
    other.ok(&[
        "export",
        "--all",
        "--out",
        dir.path().join("x.fcb").to_str().unwrap(),
    ]);
    hq.ok(&["import", dir.path().join("x.fcb").to_str().unwrap()]);
    // Someone else's key under the staged name stays where it is.
    std::fs::write(&staged_key, &old_key).unwrap();
    other.cmd().arg("verify").assert().success();
    assert_eq!(std::fs::read(&key).unwrap(), backup_key);
    assert!(staged_key.exists());
}

/// Without a passphrase a backup is refused before anything is written (it would put a plain key
/// beside a plain copy); a store restored from a sealed key needs the passphrase to sign, and
/// `key unprotect` writes the key plain again.
#[test]
fn a_backup_needs_a_passphrase_and_the_restored_key_asks_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let a = laptop(dir.path());
    let out = dir.path().join("usb").join("b.redb");
    a.cmd()
        .env_remove("FIELDCHECK_PASSPHRASE")
        .args(["--lang", "en", "backup", out.to_str().unwrap()])
        .assert()
        .code(1)
        .stderr(contains("never puts a plain key beside a plain copy"));
    assert!(!out.exists() && !out.with_extension("redb.key").exists());
    a.ok(&["backup", out.to_str().unwrap()]);
    let restored = Bin::dated(dir.path().join("new").join("s.redb"), "2022-01-28");
    restored.ok(&["restore", out.to_str().unwrap()]);
    restored
        .cmd()
        .env_remove("FIELDCHECK_PASSPHRASE")
        .args([
            "--lang",
            "en",
            "lead",
            "set",
            "a3/1",
            "--supervised",
            "true",
        ])
        .assert()
        .code(1)
        .stderr(contains("protected by a passphrase"));
    restored
        .cmd()
        .env("FIELDCHECK_PASSPHRASE", "wrong")
        .args([
            "--lang",
            "en",
            "lead",
            "set",
            "a3/1",
            "--supervised",
            "true",
        ])
        .assert()
        .code(1)
        .stderr(contains("protected by a passphrase"));
    restored.ok(&["key", "unprotect"]);
    restored
        .cmd()
        .env_remove("FIELDCHECK_PASSPHRASE")
        .args(["lead", "set", "a3/1", "--supervised", "true"])
        .assert()
        .success();
    restored.cmd().arg("verify").assert().success();
}

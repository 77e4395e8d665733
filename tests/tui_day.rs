//! An inspector's whole day in the real terminal app, in a pseudo-terminal, typed at as a
//! person would: set who they are at the first start, find a lead by pinyin, record a disputed
//! visit with evidence, correct it, see its next step on the Agenda, take the lead, import a
//! colleague's bundle after trusting the colleague's laptop in the app, resolve the conflict
//! the bundle brought, export to a folder (a USB stick) — then the store, read through the
//! command line's JSON, holds all of it.

#![cfg(target_os = "linux")]

use std::path::PathBuf;

mod common;
use common::Bin;
use common::pty::App;

const BACKSPACE: &str = "\x7f";
const RIGHT: &str = "\x1b[C";
const CTRL_S: &str = "\x13";

fn erase(app: &mut App, n: usize) {
    app.press(&BACKSPACE.repeat(n));
}

#[test]
fn a_whole_day_in_the_terminal_app() {
    let dir = tempfile::tempdir().unwrap();
    let (a_path, b_path): (PathBuf, PathBuf) =
        (dir.path().join("a.redb"), dir.path().join("b.redb"));
    let (a, b) = (
        Bin::dated(a_path.clone(), "2022-01-28"),
        Bin::dated(b_path.clone(), "2022-01-28"),
    );
    // This laptop, created without names; a colleague's, which pinned it as its HQ and took
    // the same lead for its own inspector.
    a.ok(&["init"]);
    let a_key = a.json(&["identity"])["public_key"]
        .as_str()
        .unwrap()
        .to_string();
    b.ok(&["init", "--inspector", "李四", "--device", "laptop-B"]);
    b.ok(&["trust", "add", &a_key, "--name", "A", "--hq"]);
    b.ok(&["lead", "set", "a3/1", "--assignee", "李四"]);
    let b_bundle = dir.path().join("from-b.fcb");
    b.ok(&["export", "--out", b_bundle.to_str().unwrap()]);
    let usb = dir.path().join("usb");
    std::fs::create_dir(&usb).unwrap();

    let home = dir.path().join("home");
    let mut app = App::start(&a_path, &home, &["--lang", "en", "--today", "2022-01-28"]);
    // The first start asks who this is.
    app.wait_for("This laptop's identity");
    erase(&mut app, 40);
    app.press("王芳\t");
    erase(&mut app, 60);
    app.press("laptop-A\t北碚区");
    app.press(CTRL_S);
    app.wait_for("saved: inspector 王芳");

    // Find 朋昆 by its pinyin initials and keep the result.
    app.press("/cqpk\r");
    app.wait_for("1/3");
    // A disputed on-site check: people met, a contract, what comes next and by when.
    app.press("v");
    app.wait_for("autosaved draft");
    app.press(&format!("{RIGHT}{RIGHT}"));
    app.press("\t\t王五,财务,023-1\t\t\tcontract:HT-2021-07\t\tmediate at the district office\t+1");
    app.press(CTRL_S);
    app.wait_for("Final: on-site check (disputed)");
    // Corrected: the form opens with the visit's fields, at its reason.
    app.press("C");
    app.wait_for("correcting");
    app.press("time was wrong");
    app.press(CTRL_S);
    app.wait_for("Final: on-site check (disputed)");

    // The Agenda shows the next step due tomorrow.
    app.press("5");
    app.wait_for("mediate at the district office");
    // Back on the ledger: take the lead (asked, then y).
    app.press("1a");
    app.wait_for("y: yes");
    app.press("y");
    app.wait_for("王芳");

    // The colleague's bundle: refused as untrusted, trusted here after comparing fingerprints.
    app.press("4i");
    app.wait_for("import");
    erase(&mut app, 200);
    app.press(&format!("{}\r", b_bundle.display()));
    app.wait_for("A bundle from an untrusted device");
    app.press("laptop-B\r");
    app.wait_for("Imported");
    // The lead's assignee now has two values: keep this laptop's.
    app.press("\r");
    app.wait_for("Resolve a conflict");
    app.press("m");
    app.wait_for("Resolved");

    // Everything of the day onto the USB stick.
    app.press("E");
    app.wait_for("Enter exports into this folder");
    erase(&mut app, 200);
    app.press(&format!("{}/\r", usb.display()));
    app.wait_for("Exported");
    app.press("q");
    app.wait();

    // The store, as the command line reads it.
    let id = a.json(&["identity"]);
    assert_eq!(id["inspector"], "王芳");
    assert_eq!(id["device_name"], "laptop-A");
    assert_eq!(id["district"], "北碚区");
    let visits = a.json(&["visit", "list", "a3/1"]);
    let visits = visits.as_array().unwrap();
    assert_eq!(visits.len(), 2, "{visits:?}");
    assert!(
        visits
            .iter()
            .any(|v| v["supersedes"].is_string() && v["reason"] == "time was wrong"),
        "{visits:?}"
    );
    assert!(visits.iter().all(|v| v["finding"] == "disputed"));
    assert!(visits.iter().all(|v| v["inspector"] == "王芳"));
    let lead = a.json(&["lead", "show", "a3/1"]);
    assert_eq!(lead["assignee"], "王芳", "{lead}");
    assert_eq!(lead["status"], "negotiating");
    assert_eq!(a.json(&["conflicts"]).as_array().unwrap().len(), 0);
    let trusted = a.json(&["trust", "list"]);
    assert!(
        trusted
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["name"] == "laptop-B"),
        "{trusted}"
    );
    let exported: Vec<_> = std::fs::read_dir(&usb)
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "fcb"))
        .collect();
    assert_eq!(exported.len(), 1, "one bundle on the stick");
    a.cmd().arg("verify").assert().success();
}

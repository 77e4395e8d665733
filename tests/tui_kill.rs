//! Drafts survive a kill of the terminal app itself. The real app runs in a pseudo-terminal
//! (`script`, as in `tests/tui_panic.rs`); a visit form is opened on a lead and text typed into
//! it; once a snapshot of the store file holds that text as the lead's draft (the app saves
//! the form as it is typed), the app is killed with SIGKILL. The store then opens, verifies and
//! holds the draft, and the app started again offers it and shows the text.

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use fieldcheck::store::{InitOptions, Store};
use fieldcheck::sync::keys::key_path;

mod common;
use common::Bin;
use common::pty::{App, PATIENCE};

/// Typed into the form: letters unlikely to stand in the same cells on the screen before, so
/// the app's frame diff writes them in one run.
const MARKER: &str = "zqx7kw9vj";

/// The creditor of the ledger's last row, shown once the leads are loaded.
const LAST_ROW: &str = "重庆安宝清洁服务有限公司";

/// Does a copy of the store file, taken now, hold a draft with `text`? The copy is what the
/// disk holds at this instant (opened like a store after a crash), so the app's autosave is
/// seen without waiting for it to let go of the store.
fn snapshot_has_draft(store: &Path, snapshot: &Path, text: &str) -> bool {
    if std::fs::copy(store, snapshot).is_err()
        || std::fs::copy(key_path(store), key_path(snapshot)).is_err()
    {
        return false;
    }
    let Ok(copy) = Store::open(snapshot, &InitOptions::default()) else {
        return false;
    };
    copy.drafts()
        .is_ok_and(|d| d.values().any(|f| format!("{f:?}").contains(text)))
}

fn draft_with(store: &Store, text: &str) -> Option<(String, String)> {
    store
        .drafts()
        .unwrap()
        .into_iter()
        .find(|(_, f)| format!("{f:?}").contains(text))
        .map(|(lead, f)| (lead, f.next))
}

#[test]
fn a_draft_typed_in_the_terminal_app_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("s.redb");
    let bin = Bin::dated(path.clone(), "2022-01-28");
    bin.ok(&["init", "--inspector", "张三"]);
    let home = dir.path().join("home");

    let mut app = App::start(&path, &home, &["--lang", "en", "--today", "2022-01-28"]);
    // The ledger is loaded behind the first frame: wait for its last row.
    app.wait_for(LAST_ROW);
    app.press("v");
    app.wait_for("autosaved draft");
    // The focus starts on the finding; seven fields on is the next step, a text field.
    app.press(&"\t".repeat(7));
    app.press(MARKER);
    let snapshot = dir.path().join("snapshot.redb");
    let start = Instant::now();
    while !snapshot_has_draft(&path, &snapshot, MARKER) {
        assert!(
            start.elapsed() < PATIENCE,
            "the typed text never reached the store as a draft: is the form still autosaved?"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = app.app_pid();
    let killed = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success(), "kill -KILL {pid}");
    app.wait();

    // The killed app let go of the store: it opens, verifies and holds the draft.
    bin.cmd().arg("verify").assert().success();
    {
        let store = Store::open(&path, &InitOptions::default()).unwrap();
        let (lead, next) = draft_with(&store, MARKER).expect("the draft survived the kill");
        assert_eq!(lead, "cq-jfb-2022-3/a3/1");
        assert_eq!(next, MARKER);
    }

    // The app started again offers the draft on its lead, and `d` shows the text.
    let mut again = App::start(&path, &home, &["--lang", "en", "--today", "2022-01-28"]);
    again.wait_for(LAST_ROW);
    again.wait_for("an unfinished draft (d to go on)");
    again.press("d");
    again.wait_for(MARKER);
    again.press("\x03");
    again.wait();
}

//! Drafts survive a kill of the terminal app itself. The real app runs in a pseudo-terminal
//! (`script`, as in `tests/tui_panic.rs`); a visit form is opened on a lead and text typed into
//! it; once a snapshot of the store file holds that text as the lead's draft (the app saves
//! the form as it is typed), the app is killed with SIGKILL. The store then opens, verifies and
//! holds the draft, and the app started again offers it and shows the text.

#![cfg(unix)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fieldcheck::store::{InitOptions, Store};
use fieldcheck::sync::keys::key_path;

mod common;
use common::Bin;

/// Typed into the form: letters unlikely to stand in the same cells on the screen before, so
/// the app's frame diff writes them in one run.
const MARKER: &str = "zqx7kw9vj";

/// The creditor of the ledger's last row, shown once the leads are loaded.
const LAST_ROW: &str = "重庆安宝清洁服务有限公司";

const PATIENCE: Duration = Duration::from_secs(20);

/// The app in a 120×40 pseudo-terminal, its screen output collected as it comes.
struct App {
    script: Child,
    keys: ChildStdin,
    screen: Arc<Mutex<Vec<u8>>>,
}

impl App {
    fn start(store: &Path, home: &Path) -> App {
        let app = format!(
            "stty rows 40 cols 120; exec {} --lang en --today 2022-01-28 --store {}",
            env!("CARGO_BIN_EXE_fieldcheck"),
            store.display()
        );
        let mut script = Command::new("script")
            .args(["-qec", &app, "/dev/null"])
            .env("HOME", home)
            .env_remove("XDG_DATA_HOME")
            .env_remove("FIELDCHECK_STORE")
            .env("TERM", "xterm-256color")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("`script` (util-linux) runs the app in a pseudo-terminal");
        let keys = script.stdin.take().unwrap();
        let mut out = script.stdout.take().unwrap();
        let screen = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        App {
            script,
            keys,
            screen,
        }
    }

    /// Waits until the screen shows `text` (compared without spaces: the frame diff moves the
    /// cursor over blank cells instead of writing them).
    fn wait_for(&self, text: &str) {
        let wanted: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let start = Instant::now();
        loop {
            let shown = visible(&self.screen.lock().unwrap());
            if shown.contains(&wanted) {
                return;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "the screen never showed {text:?}; it shows {shown:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types `keys` one at a time, as a person would.
    fn press(&mut self, keys: &str) {
        for c in keys.chars() {
            let mut buf = [0u8; 4];
            self.keys
                .write_all(c.encode_utf8(&mut buf).as_bytes())
                .unwrap();
            self.keys.flush().unwrap();
            std::thread::sleep(Duration::from_millis(15));
        }
    }

    /// The app's own process: the child of `script` that the shell became (`exec`).
    fn app_pid(&self) -> u32 {
        let start = Instant::now();
        loop {
            for entry in std::fs::read_dir("/proc").unwrap().flatten() {
                let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                    continue;
                };
                let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
                // `pid (comm) state ppid …`: the comm may hold spaces, so read after it.
                let ppid = stat
                    .rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                    .and_then(|p| p.parse::<u32>().ok());
                let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
                if ppid == Some(self.script.id()) && comm.trim() == "fieldcheck" {
                    return pid;
                }
            }
            assert!(
                start.elapsed() < PATIENCE,
                "the app's process never appeared"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for `script` to end (it ends with the app).
    fn wait(&mut self) {
        let start = Instant::now();
        while self.script.try_wait().unwrap().is_none() {
            if start.elapsed() > PATIENCE {
                let _ = self.script.kill();
                panic!("the app did not end");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A test that fails midway leaves no app behind: `script` killed, the app sees its terminal
/// hang up and ends.
impl Drop for App {
    fn drop(&mut self) {
        let _ = self.script.kill();
        let _ = self.script.wait();
    }
}

/// The text of terminal output without escape sequences and blanks.
fn visible(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\x1b' {
            if !c.is_whitespace() && !c.is_control() {
                out.push(c);
            }
            continue;
        }
        match chars.next() {
            // CSI: parameters up to a final byte in @..~.
            Some('[') => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            // OSC: up to BEL or ESC \.
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\x07' || (c == '\x1b' && chars.next_if_eq(&'\\').is_some()) {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

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

    let mut app = App::start(&path, &home);
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
    let mut again = App::start(&path, &home);
    again.wait_for(LAST_ROW);
    again.wait_for("an unfinished draft (d to go on)");
    again.press("d");
    again.wait_for(MARKER);
    again.press("\x03");
    again.wait();
}

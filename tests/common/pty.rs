//! The real app in a pseudo-terminal (`script`, util-linux), typed at as a person would, its
//! output kept as the screen a terminal would show (the `vt100` crate).

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const PATIENCE: Duration = Duration::from_secs(20);

/// The app in a 120×40 pseudo-terminal, its screen output collected as it comes.
pub struct App {
    script: Child,
    keys: ChildStdin,
    screen: Arc<Mutex<vt100::Parser>>,
}

impl App {
    /// The app on `store` with these options before `--store`, `HOME` at `home`.
    pub fn start(store: &Path, home: &Path, options: &[&str]) -> App {
        let app = format!(
            "stty rows 40 cols 120; exec {} {} --store {}",
            env!("CARGO_BIN_EXE_fieldcheck"),
            options.join(" "),
            store.display()
        );
        let mut script = Command::new("script")
            .args(["-qec", &app, "/dev/null"])
            .env("HOME", home)
            .env_remove("XDG_DATA_HOME")
            .env_remove("FIELDCHECK_STORE")
            .env("TERM", "xterm-256color")
            .env("FIELDCHECK_PASSPHRASE", super::PASSPHRASE)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("`script` (util-linux) runs the app in a pseudo-terminal");
        let keys = script.stdin.take().unwrap();
        let mut out = script.stdout.take().unwrap();
        let size = |n| std::num::NonZeroU16::new(n).unwrap();
        let screen = Arc::new(Mutex::new(vt100::Parser::new(size(40), size(120), 0)));
        let sink = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().process(&buf[..n]);
            }
        });
        App {
            script,
            keys,
            screen,
        }
    }

    /// The screen as a terminal shows it now.
    pub fn screen(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    /// Waits until the screen shows `text` (compared without spaces, which wide characters and
    /// padding put in different places).
    pub fn wait_for(&mut self, text: &str) {
        let squeeze = |t: &str| -> String { t.chars().filter(|c| !c.is_whitespace()).collect() };
        let wanted = squeeze(text);
        let start = Instant::now();
        loop {
            let shown = self.screen();
            if squeeze(&shown).contains(&wanted) {
                return;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "the screen never showed {text:?}; it shows\n{shown}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types `keys` one at a time, as a person would; an escape sequence (an arrow key) goes
    /// in one write, as a terminal sends it, or the app would read a lone Esc.
    pub fn press(&mut self, keys: &str) {
        let mut chars = keys.chars().peekable();
        while let Some(c) = chars.next() {
            let mut key = String::from(c);
            if c == '\x1b' && chars.next_if_eq(&'[').is_some() {
                key.push('[');
                for p in chars.by_ref() {
                    key.push(p);
                    if ('@'..='~').contains(&p) {
                        break;
                    }
                }
            }
            self.keys.write_all(key.as_bytes()).unwrap();
            self.keys.flush().unwrap();
            std::thread::sleep(Duration::from_millis(15));
        }
    }

    /// The app's own process: the child of `script` that the shell became (`exec`).
    pub fn app_pid(&self) -> u32 {
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
    pub fn wait(&mut self) {
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

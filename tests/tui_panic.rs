//! A panic in the terminal app, in a real terminal (`script` gives the app a pseudo-terminal):
//! the terminal is restored, one short line names the log, and the log holds the details.

use std::process::Command;

mod common;
use common::Bin;

#[cfg(unix)]
#[test]
fn a_panic_restores_the_terminal_and_names_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let bin = Bin::dated(dir.path().join("s.redb"), "2022-01-28");
    bin.ok(&["init", "--inspector", "张三"]);
    let home = dir.path().join("home");
    let app = format!(
        "{} --lang en --store {}",
        env!("CARGO_BIN_EXE_fieldcheck"),
        bin.store.display()
    );
    let out = Command::new("script")
        .args(["-qec", &app, "/dev/null"])
        .env("HOME", &home)
        .env_remove("XDG_DATA_HOME")
        .env("FIELDCHECK_TEST_PANIC", "1")
        .env("TERM", "xterm-256color")
        .output()
        .expect("`script` (util-linux) runs the app in a pseudo-terminal");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(101), "{screen}");
    let log = home.join(".local/share/fieldcheck/fieldcheck.log");
    let line = format!("the details are in {}", log.display());
    let left = screen
        .find("\x1b[?1049l")
        .expect("the alternate screen is left");
    let said = screen.find(&line).expect("the message names the log");
    assert!(
        left < said,
        "the message comes after the terminal is restored: {screen:?}"
    );
    assert!(
        !screen.contains("panicked at"),
        "no raw panic text on screen: {screen:?}"
    );
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(logged.contains("the terminal app panicked"), "{logged}");
    assert!(logged.contains("FIELDCHECK_TEST_PANIC is set"), "{logged}");
}

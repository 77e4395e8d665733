//! Long commands show a progress bar on a terminal's standard error and nothing anywhere else.

use assert_cmd::Command;

const PASSPHRASE: &str = "progress";

fn fieldcheck(store: &std::path::Path) -> Command {
    let mut cmd = Command::cargo_bin("fieldcheck").unwrap();
    cmd.env("FIELDCHECK_PASSPHRASE", PASSPHRASE).args([
        "--store",
        store.to_str().unwrap(),
        "--lang",
        "en",
    ]);
    cmd
}

/// A store of generated leads and visits from two laptops, through the log.
fn generated(dir: &std::path::Path) -> std::path::PathBuf {
    let store = dir.join("gen.redb");
    fieldcheck(&store)
        .args([
            "dev",
            "generate",
            "--leads",
            "300",
            "--visits",
            "600",
            "--devices",
            "2",
        ])
        .assert()
        .success();
    store
}

#[test]
fn a_pipe_gets_no_progress() {
    let dir = tempfile::tempdir().unwrap();
    let store = generated(dir.path());
    let all = dir.path().join("all.fcb");
    let csv = dir.path().join("r.csv");
    for args in [
        vec!["verify"],
        vec!["export", "--all", "--plain", "--out", all.to_str().unwrap()],
        vec!["report", "--format", "csv", "--out", csv.to_str().unwrap()],
    ] {
        let out = fieldcheck(&store).args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            out.stderr.is_empty(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The screen a command draws under `script`, which gives it a terminal (None where there is
/// no `script`).
fn on_a_terminal(store: &std::path::Path, args: &str) -> Option<String> {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("no `script` here (util-linux): skipped");
        return None;
    }
    let bin = assert_cmd::cargo::cargo_bin("fieldcheck");
    let line = format!(
        "{} --store {} --lang en {args}",
        bin.display(),
        store.display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("FIELDCHECK_PASSPHRASE", PASSPHRASE)
        .output()
        .unwrap();
    assert!(out.status.success());
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// `verify` draws its stages and clears the bar before the result.
#[cfg(target_os = "linux")]
#[test]
fn a_terminal_sees_each_stage_then_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let store = generated(dir.path());
    let Some(screen) = on_a_terminal(&store, "verify") else {
        return;
    };
    let replay = screen.find("replaying the log").expect(&screen);
    let compare = screen.find("comparing").expect(&screen);
    assert!(replay < compare, "{screen}");
    // The bar is cleared (erase line) before the verdict is printed.
    let verdict = screen.rfind("Consistent").expect(&screen);
    let cleared = screen.rfind("\x1b[2K").expect(&screen);
    assert!(cleared < verdict, "{screen}");
}

/// A report reads the records, then writes its rows, each with its bar.
#[cfg(target_os = "linux")]
#[test]
fn a_report_shows_its_reading_and_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let store = generated(dir.path());
    let out = dir.path().join("r.xlsx");
    let args = format!("report --format xlsx --out {}", out.display());
    let Some(screen) = on_a_terminal(&store, &args) else {
        return;
    };
    let reading = screen.find("reading records").expect(&screen);
    let rows = screen.find("writing the report").expect(&screen);
    assert!(reading < rows, "{screen}");
    // The 300 generated leads and the built-in notice's 3, each row counted.
    assert!(
        screen.contains("writing the report [==============================] 303/303"),
        "{screen}"
    );
    let done = screen.rfind("Report written").expect(&screen);
    assert!(screen.rfind("\x1b[2K").expect(&screen) < done, "{screen}");
}

/// A listing written to the same terminal as the bar starts on a line of its own, and the bar
/// is not drawn again between its lines (more than the 64 KB written at a time).
#[cfg(target_os = "linux")]
#[test]
fn a_listing_on_the_terminal_is_not_drawn_over() {
    let dir = tempfile::tempdir().unwrap();
    let store = generated(dir.path());
    let Some(screen) = on_a_terminal(&store, "visit list --json") else {
        return;
    };
    let start = screen.find("[\r\n  {").expect(&screen);
    assert!(screen.len() - start > 64 * 1024, "too short to tell");
    let before = &screen[..start];
    assert!(
        before.is_empty() || before.ends_with("\x1b[2K") || before.ends_with('\n'),
        "{before}"
    );
    let listing = &screen[start..];
    assert!(
        !listing.contains('\x1b') && !listing.contains("reading records"),
        "the bar inside the listing"
    );
}

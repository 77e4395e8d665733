//! Inputs that are not notices (a FIFO, a device, a folder, a file over the cap) are refused at
//! once with the store unchanged; the report is written owner-only and whole. The real binary.

use std::path::Path;
use std::time::{Duration, Instant};

use predicates::str::contains;
use serde_json::Value;

mod common;
use common::Bin;

/// A seeded store in a temporary folder.
fn seeded() -> (tempfile::TempDir, Bin) {
    let dir = tempfile::tempdir().unwrap();
    let bin = Bin::new(dir.path().join("store.redb"));
    bin.json(&["init"]);
    (dir, bin)
}

/// Everything the store shows.
fn snapshot(bin: &Bin) -> [Value; 3] {
    [
        bin.json(&["notices"]),
        bin.json(&["directory"]),
        bin.json(&["leads"]),
    ]
}

/// Runs `import-notice file` in `lang`, which must fail with exit code 1 within 10 s (killed
/// otherwise), and returns its standard error.
fn refused(bin: &Bin, file: &Path, lang: &str) -> String {
    let started = Instant::now();
    let out = bin
        .cmd()
        .args(["--lang", lang, "import-notice"])
        .arg(file)
        .timeout(Duration::from_secs(10))
        .assert()
        .code(1);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "not refused at once"
    );
    String::from_utf8(out.get_output().stderr.clone()).unwrap()
}

#[cfg(unix)]
#[test]
fn import_notice_refuses_a_fifo_at_once_and_leaves_the_store() {
    let (dir, bin) = seeded();
    let fifo = dir.path().join("notice.txt");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let before = snapshot(&bin);
    let en = refused(&bin, &fifo, "en");
    assert!(en.contains(&fifo.display().to_string()), "{en}");
    assert!(
        en.contains("is a named pipe (FIFO), not a regular file"),
        "{en}"
    );
    assert!(en.contains("the store was not changed"), "{en}");
    let zh = refused(&bin, &fifo, "zh");
    assert!(zh.contains(&fifo.display().to_string()), "{zh}");
    assert!(zh.contains("是命名管道（FIFO），不是普通文件"), "{zh}");
    assert_eq!(snapshot(&bin), before);
}

#[cfg(unix)]
#[test]
fn import_notice_refuses_a_device_without_creating_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let bin = Bin::new(dir.path().join("store.redb"));
    let err = refused(&bin, Path::new("/dev/null"), "en");
    assert!(
        err.contains("/dev/null is a device, not a regular file"),
        "{err}"
    );
    assert!(!bin.store.exists());
}

#[test]
fn import_notice_refuses_a_folder() {
    let (dir, bin) = seeded();
    let folder = dir.path().join("notices");
    std::fs::create_dir(&folder).unwrap();
    let before = snapshot(&bin);
    let err = refused(&bin, &folder, "en");
    assert!(err.contains("is a folder, not a regular file"), "{err}");
    assert!(err.contains(&folder.display().to_string()), "{err}");
    assert!(refused(&bin, &folder, "zh").contains("是文件夹"));
    assert_eq!(snapshot(&bin), before);
}

#[test]
fn import_notice_refuses_a_notice_over_the_cap_before_reading_it() {
    let (dir, bin) = seeded();
    let huge = dir.path().join("huge.txt");
    // Sparse: no disk used.
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(fieldcheck::notice::MAX_NOTICE_BYTES + 1)
        .unwrap();
    #[cfg(unix)]
    {
        // Unreadable too: refused for its length before it is opened (root reads it anyway,
        // and the length still refuses it).
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&huge, std::fs::Permissions::from_mode(0o000)).unwrap();
    }
    let before = snapshot(&bin);
    let err = refused(&bin, &huge, "en");
    assert!(err.contains("is larger than 64 MB"), "{err}");
    assert!(err.contains("nothing was imported"), "{err}");
    assert!(refused(&bin, &huge, "zh").contains("超过 64 MB"));
    assert_eq!(snapshot(&bin), before);
    // A notice within the cap still imports.
    bin.cmd()
        .args(["import-notice", "tests/fixtures/other-notice.txt"])
        .assert()
        .success();
    assert_ne!(snapshot(&bin), before);
}

#[test]
fn report_out_replaces_a_file_whole_and_owner_only() {
    let (_dir, bin) = seeded();
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("台账.csv");
    std::fs::write(
        &out,
        "an older report, longer than the new one ".repeat(100),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    bin.cmd()
        .args(["--lang", "en", "report", "--format", "csv", "--out"])
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("Report written to"));
    let printed = bin.ok(&["--lang", "en", "report", "--format", "csv"]);
    assert_eq!(std::fs::read(&out).unwrap(), printed.as_bytes());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    let names: Vec<_> = std::fs::read_dir(out_dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["台账.csv"], "a temporary file was left");
}

//! Fault injection with the real binary. A full disk and a read-only folder are made with a small
//! tmpfs (mounting needs root or CAP_SYS_ADMIN; without it those tests say why and pass): every
//! write is refused with exit 1 and a message that says what failed and what to do, and once the
//! disk is freed or writable again the store holds exactly what it held and passes `verify`.
//! A file larger than the bundle cap is refused before it is read (a sparse file: no mount).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

mod common;
use common::{Bin, DISPUTED};

const TODAY: &str = "2022-01-28";

/// A tmpfs mounted on a fresh temporary folder, unmounted when dropped (also when a test fails).
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (like "8m"), or says why it cannot and gives `None`.
    fn mount(size: &str, test: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .output();
        match out {
            Ok(out) if out.status.success() => Some(Tmpfs { dir }),
            Ok(out) => {
                let stderr = String::from_utf8_lossy(&out.stderr);
                let why = stderr.lines().next().unwrap_or("").trim();
                eprintln!(
                    "SKIPPED {test}: cannot mount a tmpfs ({why}); it needs root or CAP_SYS_ADMIN"
                );
                None
            }
            Err(e) => {
                eprintln!("SKIPPED {test}: cannot run mount ({e})");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Remounts read-only (`ro`) or writable (`rw`).
    fn remount(&self, mode: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(self.path())
            .status()
            .unwrap();
        assert!(status.success(), "remount {mode}");
    }

    /// Fills the disk with a file of zeros until it is full; returns the file.
    fn fill(&self) -> PathBuf {
        let path = self.path().join("filler");
        let mut file = std::fs::File::create(&path).unwrap();
        let block = vec![0u8; 64 * 1024];
        loop {
            match file.write(&block) {
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
                Err(e) => panic!("filling the disk: {e}"),
            }
        }
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let path = self.dir.path();
        let _ = Command::new("mount")
            .args(["-o", "remount,rw"])
            .arg(path)
            .status();
        let unmounted = Command::new("umount").arg(path).status();
        if !unmounted.is_ok_and(|s| s.success()) {
            let _ = Command::new("umount").arg("-l").arg(path).status();
        }
    }
}

/// A visit on lead `lead` that the rules accept.
fn visit(lead: &str) -> Vec<&str> {
    [&DISPUTED[..2], &[lead], &DISPUTED[3..]].concat()
}

/// What must survive a fault: visits, leads, and the sync status (unexported changes and the
/// last export: the watermark).
fn held(bin: &Bin) -> (Value, Value, Value) {
    (
        bin.json(&["visit", "list"]),
        bin.json(&["leads"]),
        bin.json(&["sync", "status"]),
    )
}

/// Every file under `dir` (recursively), relative, sorted.
fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                folders.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap();
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

/// Runs `args` in English; asserts exit 1, a message that says `said` and that nothing was
/// changed, and no panic or raw system error. Returns the message.
fn refused(bin: &Bin, args: &[&str], said: &str) -> String {
    let out = bin
        .cmd()
        .args(["--lang", "en"])
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert!(err.contains(said), "{args:?} should say {said:?}: {err}");
    assert!(err.contains("Nothing was changed"), "{args:?}: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("os error"),
        "{args:?}: {err}"
    );
    assert!(out.stdout.is_empty(), "{args:?} printed an answer");
    err
}

/// A laptop whose finalized visit was exported, plus one visit not exported yet; and a real
/// bundle from another laptop, outside `disk`.
fn laptop_and_bundle(disk: &Path, outside: &Path) -> (Bin, PathBuf) {
    let b = Bin::dated(outside.join("b").join("s.redb"), TODAY);
    b.ok(&["init", "--inspector", "李四", "--device", "B"]);
    b.ok(&visit("a3/3"));
    let bundle = outside.join("b.fcb");
    b.ok(&["export", "--plain", "--out", bundle.to_str().unwrap()]);
    let a = Bin::dated(disk.join("a").join("s.redb"), TODAY);
    a.ok(&["init", "--inspector", "张三", "--device", "A"]);
    a.ok(DISPUTED);
    a.ok(&["export", "--plain"]);
    a.ok(&visit("a3/2"));
    (a, bundle)
}

/// After a fault is gone: `verify` passes and the store holds exactly what it held; returns
/// how many of the visits held before are missing (must be 0).
fn lost(bin: &Bin, before: &(Value, Value, Value)) -> usize {
    bin.cmd().arg("verify").assert().success();
    let now = held(bin);
    let ids = |list: &Value| -> Vec<String> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap().to_string())
            .collect()
    };
    let kept = ids(&now.0);
    let missing = ids(&before.0)
        .iter()
        .filter(|id| !kept.contains(id))
        .count();
    assert_eq!(&now, before, "the store changed");
    missing
}

#[test]
fn a_full_disk_refuses_every_write_clearly_and_loses_nothing() {
    let Some(disk) = Tmpfs::mount("8m", "a_full_disk_refuses_every_write") else {
        return;
    };
    let outside = tempfile::tempdir().unwrap();
    let (a, bundle) = laptop_and_bundle(disk.path(), outside.path());
    let before = held(&a);
    assert_eq!(before.0.as_array().unwrap().len(), 2);
    assert_eq!(before.2["unexported"], 2, "one visit not exported yet");
    let filler = disk.fill();
    let files_before = files(disk.path());

    let full = "the disk is full";
    let free = "Free some space on that disk";
    let mut faults = 0;
    for args in [
        visit("a3/3"),
        vec!["export", "--plain"],
        vec!["export", "--all", "--plain"],
        vec!["import", "--trust-new", bundle.to_str().unwrap()],
    ] {
        let err = refused(&a, &args, full);
        assert!(err.contains(free), "{err}");
        faults += 1;
    }
    let out = disk.path().join("out.fcb");
    let err = refused(
        &a,
        &["export", "--plain", "--out", out.to_str().unwrap()],
        full,
    );
    assert!(
        err.contains(&format!("cannot write {}", out.display())),
        "{err}"
    );
    let backup = disk.path().join("backup.redb");
    refused(&a, &["backup", backup.to_str().unwrap()], full);
    let new = Bin::dated(disk.path().join("new").join("s.redb"), TODAY);
    let err = refused(&new, &["init"], full);
    assert!(err.contains(&new.store.display().to_string()), "{err}");
    // A report is written whole or not at all.
    let report = disk.path().join("report.xlsx");
    let args = [
        "report",
        "--format",
        "xlsx",
        "--out",
        report.to_str().unwrap(),
    ];
    refused(&a, &args, full);
    faults += 4;
    // In Chinese too.
    let zh = a.cmd().args(visit("a3/3")).output().unwrap();
    assert!(String::from_utf8_lossy(&zh.stderr).contains("磁盘已满"));
    faults += 1;
    // Reading still works on a full disk.
    assert_eq!(held(&a), before);
    a.ok(&["search", "bbq"]);
    a.cmd().arg("verify").assert().success();
    // No partial bundle, backup, new store or temporary file was left behind.
    assert_eq!(files(disk.path()), files_before);

    std::fs::remove_file(filler).unwrap();
    let lost = lost(&a, &before);
    assert_eq!(lost, 0);
    // The store is fully usable again, and a new store can be made where one failed.
    a.ok(&visit("a3/3"));
    a.ok(&["export", "--plain"]);
    a.ok(&["import", "--trust-new", bundle.to_str().unwrap()]);
    a.ok(&["backup", backup.to_str().unwrap()]);
    new.ok(&["init"]);
    a.ok(&args);
    a.cmd().arg("verify").assert().success();
    eprintln!("full disk: {faults} faults injected, {lost} records lost");
}

#[test]
fn a_read_only_folder_refuses_writes_clearly_and_loses_nothing() {
    let Some(disk) = Tmpfs::mount("8m", "a_read_only_folder_refuses_writes") else {
        return;
    };
    let outside = tempfile::tempdir().unwrap();
    let (a, bundle) = laptop_and_bundle(disk.path(), outside.path());
    // A bundle and a backup kept on the disk, to read from it once it is read-only.
    let kept_bundle = disk.path().join("kept.fcb");
    std::fs::copy(&bundle, &kept_bundle).unwrap();
    let kept_backup = disk.path().join("kept.redb");
    a.ok(&["backup", kept_backup.to_str().unwrap()]);
    let before = held(&a);
    let files_before = files(disk.path());
    disk.remount("ro");

    // The store in the read-only folder: fieldcheck opens its store for writing, so every
    // command, reading ones included, is refused with what to do.
    let ro = "its disk or folder is read-only";
    let mut faults = 0;
    for args in [
        visit("a3/3"),
        vec!["export", "--plain"],
        vec!["import", "--trust-new", bundle.to_str().unwrap()],
        vec!["backup", outside.path().join("c.redb").to_str().unwrap()],
        vec!["search", "bbq"],
        vec!["leads"],
        vec!["verify"],
    ] {
        let err = refused(&a, &args, ro);
        assert!(err.contains("Remount the disk writable"), "{err}");
        assert!(err.contains("--store"), "{err}");
        faults += 1;
    }
    // A writable store elsewhere: writing into the read-only folder is refused ...
    let c = Bin::dated(outside.path().join("c").join("s.redb"), TODAY);
    c.ok(&["init", "--inspector", "王五", "--device", "C"]);
    c.ok(DISPUTED);
    let c_before = held(&c);
    let out = disk.path().join("c.fcb");
    let err = refused(
        &c,
        &["export", "--plain", "--out", out.to_str().unwrap()],
        ro,
    );
    assert!(err.contains("Choose a writable place"), "{err}");
    let backup = disk.path().join("c.redb");
    refused(&c, &["backup", backup.to_str().unwrap()], ro);
    faults += 2;
    assert_eq!(held(&c), c_before, "a refused export moved the watermark");
    // ... and reading from it works: a bundle imported, a backup restored.
    c.ok(&["import", "--trust-new", kept_bundle.to_str().unwrap()]);
    let restored = Bin::dated(outside.path().join("r").join("s.redb"), TODAY);
    restored.ok(&["restore", kept_backup.to_str().unwrap()]);
    assert_eq!(restored.json(&["visit", "list"]), before.0);

    disk.remount("rw");
    assert_eq!(files(disk.path()), files_before);
    let lost = lost(&a, &before);
    assert_eq!(lost, 0);
    a.ok(&visit("a3/3"));
    a.ok(&["export", "--plain"]);
    a.cmd().arg("verify").assert().success();
    eprintln!("read-only folder: {faults} faults injected, {lost} records lost");
}

#[test]
fn a_file_over_the_bundle_cap_is_refused_before_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let a = Bin::dated(dir.path().join("s.redb"), TODAY);
    a.ok(&["init", "--inspector", "张三"]);
    a.ok(DISPUTED);
    let before = held(&a);
    // Sparse: one byte over the cap costs no disk.
    let huge = dir.path().join("huge.fcb");
    let file = std::fs::File::create(&huge).unwrap();
    file.set_len(fieldcheck::sync::bundle::MAX_BUNDLE_BYTES + 1)
        .unwrap();
    let out = a
        .cmd()
        .args(["--lang", "en", "import", "--trust-new"])
        .arg(&huge)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("bundle {} refused", huge.display()))
            && err.contains("larger than 256 MB")
            && err.contains("The store was not changed"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(held(&a), before);
    // A real bundle still goes through.
    let small = dir.path().join("small.fcb");
    a.ok(&[
        "export",
        "--all",
        "--plain",
        "--out",
        small.to_str().unwrap(),
    ]);
    a.ok(&["import", small.to_str().unwrap()]);
}

/// Without mount: a store file and folder its user may not write. Root ignores permissions, so
/// this runs only for other users (the read-only tmpfs test covers root).
#[cfg(unix)]
#[test]
fn a_store_without_write_permission_is_refused_clearly() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("a");
    let a = Bin::dated(folder.join("s.redb"), TODAY);
    a.ok(&["init", "--inspector", "张三"]);
    a.ok(DISPUTED);
    let before = held(&a);
    let mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    mode(&a.store, 0o400);
    mode(&folder, 0o500);
    if std::fs::File::options().write(true).open(&a.store).is_ok() {
        mode(&folder, 0o700);
        eprintln!(
            "SKIPPED a_store_without_write_permission: running as root, which ignores permissions"
        );
        return;
    }
    for args in [visit("a3/2"), vec!["leads"]] {
        let err = refused(&a, &args, "no permission to write the store");
        assert!(err.contains("Check the owner and permissions"), "{err}");
    }
    mode(&folder, 0o700);
    mode(&a.store, 0o600);
    assert_eq!(lost(&a, &before), 0);
}

/// Listings are written as they are read: a full standard output (`> /dev/full`) is said, a
/// reader that stops reading (`| head`) is not an error.
#[cfg(target_os = "linux")]
#[test]
fn a_full_or_closed_standard_output_is_said_or_let_be() {
    let dir = tempfile::tempdir().unwrap();
    let a = Bin::dated(dir.path().join("s.redb"), TODAY);
    a.ok(DISPUTED);
    // Enough rows (over 64 KB) that writes fail before the last flush, inside the CSV writer.
    a.ok(&["dev", "generate", "--leads", "1000", "--visits", "1000"]);
    let lists: [&[&str]; 5] = [
        &["leads"],
        &["visit", "list"],
        &["report"],
        &["report", "--format", "csv"],
        &["leads", "--json"],
    ];
    for args in lists {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = a
            .process()
            .arg("--lang")
            .arg("en")
            .args(args)
            .stdout(full)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("cannot write the output") && err.contains("Nothing in the store"),
            "{args:?}: {err}"
        );
    }
    // A reader gone before the first line: exit 0, nothing on standard error.
    for args in lists {
        let mut child = a
            .process()
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && err.is_empty(), "{args:?}: {err}");
    }
}

//! Crash safety: the real binary recording finalized visits is killed with SIGKILL at random
//! moments. Every visit whose command reported success must still be there, and the store must
//! still equal the replay of its change log (`verify`).

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

mod common;
use common::{Bin, DISPUTED};

/// A small deterministic generator, so a failing run can be repeated from its seed.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// Runs `rounds` kills; returns (visits reported, processes killed before reporting).
fn kill_rounds(rounds: usize, seed: u64) -> (usize, usize) {
    let dir = tempfile::tempdir().unwrap();
    let bin = Bin::dated(dir.path().join("s.redb"), "2022-01-28");
    bin.ok(&["init", "--inspector", "张三"]);
    // How long one uninterrupted `visit add` takes here: kills land across 0..1.5× of it.
    let t = Instant::now();
    let first = bin.json(DISPUTED);
    let span = t.elapsed().as_micros() as u64 * 3 / 2;
    let mut reported = vec![first["id"].as_str().unwrap().to_string()];
    let mut killed = 0;
    let mut rng = XorShift(seed);
    for round in 0..rounds {
        let mut child = bin
            .process()
            .args(DISPUTED)
            .arg("--json")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(span)));
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        if out.status.success() {
            let v: Value = serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|e| panic!("round {round} (seed {seed}): reported {e}"));
            reported.push(v["id"].as_str().unwrap().to_string());
        } else {
            killed += 1;
        }
    }
    let stored: Vec<Value> = serde_json::from_value(bin.json(&["visit", "list"])).unwrap();
    let ids: Vec<&str> = stored.iter().filter_map(|v| v["id"].as_str()).collect();
    for id in &reported {
        assert!(
            ids.contains(&id.as_str()),
            "seed {seed}: reported visit {id} was lost"
        );
    }
    bin.cmd().arg("verify").assert().success();
    (reported.len() - 1, killed)
}

#[test]
fn visits_survive_sigkill_at_random_moments() {
    let (reported, killed) = kill_rounds(50, 0x5eed_0001);
    eprintln!("50 rounds: {reported} reported, {killed} killed before reporting, 0 lost");
    // The kills must land both before and after the commit, or the test proves nothing.
    assert!(
        reported > 0 && killed > 0,
        "reported {reported}, killed {killed}"
    );
}

#[test]
#[ignore = "long: 1,000 rounds, run with --ignored (see docs/reliability.md)"]
fn visits_survive_a_thousand_sigkills() {
    let (reported, killed) = kill_rounds(1000, 0x5eed_0002);
    eprintln!("1000 rounds: {reported} reported, {killed} killed before reporting, 0 lost");
}

/// Spawns `args` on `bin`, kills it after a random part of `span` microseconds, and says
/// whether it finished with success before the kill.
fn run_and_kill(bin: &Bin, args: &[&str], span: u64, rng: &mut XorShift) -> bool {
    let mut child = bin
        .process()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_micros(rng.below(span)));
    let _ = child.kill();
    child.wait().unwrap().success()
}

/// Microseconds one uninterrupted run of `args` takes, times 1.5.
fn span_of(bin: &Bin, args: &[&str]) -> u64 {
    let t = Instant::now();
    bin.ok(args);
    t.elapsed().as_micros() as u64 * 3 / 2
}

fn visit_ids(bin: &Bin) -> Vec<String> {
    let list = bin.json(&["visit", "list"]);
    let mut ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

fn bundles(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "fcb"));
    files.sort();
    files
}

/// A laptop and a headquarters that trusts it, in one temporary folder.
fn laptop_and_hq(dir: &std::path::Path) -> (Bin, Bin) {
    let a = Bin::dated(dir.join("a").join("s.redb"), "2022-01-28");
    let hq = Bin::dated(dir.join("hq").join("s.redb"), "2022-01-28");
    a.ok(&["init", "--inspector", "张三", "--device", "A"]);
    hq.ok(&["init", "--inspector", "总部", "--device", "HQ"]);
    let key = a.json(&["identity"])["public_key"]
        .as_str()
        .unwrap()
        .to_string();
    hq.ok(&["trust", "add", &key, "--name", "A"]);
    let hq_key = hq.json(&["identity"])["public_key"]
        .as_str()
        .unwrap()
        .to_string();
    a.ok(&["trust", "add", &hq_key, "--name", "HQ", "--hq"]);
    (a, hq)
}

/// Export killed at random moments: every bundle under its final name is whole (headquarters
/// imports each one), and the watermark never skips a change: importing them all gives
/// headquarters every visit the laptop holds.
#[test]
fn export_killed_at_random_moments_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (a, hq) = laptop_and_hq(dir.path());
    a.ok(DISPUTED);
    let span = span_of(&a, &["export"]);
    let mut rng = XorShift(0x5eed_0003);
    let mut finished = 0;
    for _ in 0..50 {
        a.ok(DISPUTED);
        finished += usize::from(run_and_kill(&a, &["export"], span, &mut rng));
        let status = a.json(&["sync", "status"]);
        if let Some(last) = status["last_export"].as_str() {
            let path = last.split_once(' ').unwrap().1;
            assert!(
                std::path::Path::new(path).exists(),
                "watermark names {path}, which is missing"
            );
        }
    }
    a.ok(&["export"]);
    assert!(
        finished > 0 && finished < 50,
        "{finished} of 50 exports finished"
    );
    // Each export first removes the temporary files kills left (their names, from the idx
    // range, are not the next export's).
    let folder = dir.path().join("a").join("bundles");
    let temps: Vec<String> = names(&folder)
        .into_iter()
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(temps.is_empty(), "temporary files left behind: {temps:?}");
    let files = bundles(&folder);
    let paths: Vec<&str> = files.iter().map(|p| p.to_str().unwrap()).collect();
    hq.ok(&[&["import"], &paths[..]].concat());
    assert_eq!(visit_ids(&hq), visit_ids(&a));
    hq.cmd().arg("verify").assert().success();
}

/// Import killed at random moments: all of the bundle or none of it, and the store verifies.
#[test]
fn import_killed_at_random_moments_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (a, hq) = laptop_and_hq(dir.path());
    for _ in 0..30 {
        a.ok(DISPUTED);
    }
    let path = a.json(&["export"])["path"].as_str().unwrap().to_string();
    let empty = visit_ids(&hq);
    let all = visit_ids(&a);
    let pristine = dir.path().join("pristine.redb");
    std::fs::copy(&hq.store, &pristine).unwrap();
    let span = span_of(&hq, &["import", &path]);
    let mut rng = XorShift(0x5eed_0004);
    let mut finished = 0;
    for round in 0..30 {
        std::fs::copy(&pristine, &hq.store).unwrap();
        let done = run_and_kill(&hq, &["import", &path], span, &mut rng);
        finished += usize::from(done);
        let ids = visit_ids(&hq);
        assert!(
            ids == empty || ids == all,
            "round {round}: {} of {} visits",
            ids.len(),
            all.len()
        );
        if done {
            assert_eq!(ids, all, "round {round}: import reported success");
        }
        hq.cmd().arg("verify").assert().success();
    }
    assert!(
        finished > 0 && finished < 30,
        "{finished} of 30 imports finished"
    );
}

/// What the kills of `export --out` left, round by round.
#[derive(Debug, Default)]
struct ExportOut {
    /// The command finished and reported success.
    finished: usize,
    /// Killed before it wrote anything.
    nothing: usize,
    /// Killed while the bundle was still under its temporary name.
    temp_left: usize,
    /// Killed after the rename, before the watermark moved.
    renamed: usize,
    /// Killed after the watermark moved, before the process ended.
    moved: usize,
}

fn unexported(bin: &Bin) -> u64 {
    bin.json(&["sync", "status"])["unexported"]
        .as_u64()
        .unwrap()
}

/// The names in `dir`.
fn names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `export --out PATH` killed at random moments. After a crash the inspector runs the command
/// again, to the same path or (half the time) to another. After every kill: the final name
/// holds nothing or a whole bundle (headquarters imports it at once); the watermark has not
/// moved unless that bundle exists; the folder holds only the bundles and temporary files named
/// after a bundle not written and this laptop (`.b7.fcb.<device>.tmp`), and none at all after
/// an export that finished, which removes those a kill left. At the end headquarters holds
/// every visit and both stores verify.
fn export_out_rounds(rounds: usize, seed: u64) -> ExportOut {
    let dir = tempfile::tempdir().unwrap();
    let (a, hq) = laptop_and_hq(dir.path());
    let device = a.json(&["identity"])["device_id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = dir.path().join("usb");
    a.ok(DISPUTED);
    let first = out.join("b0.fcb");
    let span = span_of(&a, &["export", "--out", first.to_str().unwrap()]);
    hq.ok(&["import", first.to_str().unwrap()]);
    let mut written = std::collections::BTreeSet::from([0]);
    let mut n = 1;
    let mut rng = XorShift(seed);
    let mut seen = ExportOut::default();
    for round in 0..rounds {
        a.ok(DISPUTED);
        let before = unexported(&a);
        let path = out.join(format!("b{n}.fcb"));
        let path_str = path.to_str().unwrap();
        let done = run_and_kill(&a, &["export", "--out", path_str], span, &mut rng);
        let after = unexported(&a);
        let at = format!("round {round} (seed {seed:#x})");
        if path.exists() {
            // Whole: headquarters imports it (a cut or partial bundle is refused).
            hq.ok(&["import", path_str]);
            assert!(
                after == 0 || after == before,
                "{at}: {after} unexported, {before} before"
            );
            if done {
                assert_eq!(after, 0, "{at}: exported, yet the watermark did not move");
                seen.finished += 1;
            } else if after == 0 {
                seen.moved += 1;
            } else {
                seen.renamed += 1;
            }
            written.insert(n);
        } else {
            assert!(!done, "{at}: reported success without {path_str}");
            assert_eq!(
                after, before,
                "{at}: the watermark moved without {path_str}"
            );
        }
        let mut temp_here = false;
        for name in names(&out) {
            let bundle = |name: &str| {
                name.strip_prefix('b')
                    .and_then(|s| s.strip_suffix(".fcb"))
                    .and_then(|k| k.parse::<usize>().ok())
            };
            if let Some(k) = bundle(&name) {
                assert!(written.contains(&k), "{at}: {name} was never reported");
                continue;
            }
            // `.<bundle>.<device>.<random>.tmp`
            let temp_of = name
                .strip_prefix('.')
                .and_then(|s| s.strip_suffix(".tmp"))
                .and_then(|s| s.rsplit_once('.'))
                .and_then(|(s, _random)| s.strip_suffix(&format!(".{device}")))
                .and_then(bundle);
            let Some(k) = temp_of else {
                panic!("{at}: a stray file {name}");
            };
            assert!(!written.contains(&k), "{at}: {name} beside its bundle");
            assert!(!done, "{at}: {name} left after an export that finished");
            temp_here |= k == n;
        }
        if !path.exists() {
            if temp_here {
                seen.temp_left += 1;
            } else {
                seen.nothing += 1;
            }
        }
        if let Some(last) = a.json(&["sync", "status"])["last_export"].as_str() {
            let named = last.split_once(' ').unwrap().1;
            assert!(
                std::path::Path::new(named).exists(),
                "{at}: the watermark names {named}, which is missing"
            );
        }
        // The next round writes to a new path after a bundle, and after a kill half the time.
        if written.contains(&n) || rng.below(2) == 0 {
            n += 1;
        }
    }
    // One more export finishes whatever the last kill left.
    if unexported(&a) > 0 {
        let path = out.join(format!("b{n}.fcb"));
        a.ok(&["export", "--out", path.to_str().unwrap()]);
        hq.ok(&["import", path.to_str().unwrap()]);
    }
    let temps: Vec<String> = names(&out)
        .into_iter()
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(temps.is_empty(), "temporary files left behind: {temps:?}");
    assert_eq!(visit_ids(&hq), visit_ids(&a));
    a.cmd().arg("verify").assert().success();
    hq.cmd().arg("verify").assert().success();
    seen
}

#[test]
fn export_out_killed_at_random_moments_never_leaves_a_partial_file() {
    let seen = export_out_rounds(50, 0x5eed_0005);
    eprintln!("50 rounds of export --out: {seen:?}, 0 lost");
    assert!(
        seen.finished > 0 && seen.finished < 50,
        "{seen:?}: the kills must land both before and after the export"
    );
}

#[test]
#[ignore = "long: 1,000 rounds, run with --ignored (see docs/reliability.md)"]
fn export_out_survives_a_thousand_sigkills() {
    let seen = export_out_rounds(1000, 0x5eed_0006);
    eprintln!("1000 rounds of export --out: {seen:?}, 0 lost");
}

/// The cleanup a killed export relies on, without the randomness: an export removes the
/// temporary files this laptop's killed exports left in its folder, whatever their final name
/// was, and leaves every other file alone — another device's temporary file, any other file.
#[test]
fn an_export_removes_only_its_own_devices_leftover_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _hq) = laptop_and_hq(dir.path());
    let device = a.json(&["identity"])["device_id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = dir.path().join("usb");
    std::fs::create_dir_all(&out).unwrap();
    let ours = [
        format!(".old.fcb.{device}.tmp"),
        format!(".old.fcb.{device}.x7Qe2a.tmp"),
        format!(".{device}-20220127-1-3.fcb.{device}.tmp"),
    ];
    let others = [
        ".old.fcb.01a21e00-0000-7000-8000-000000000000.tmp".to_string(),
        ".old.fcb.tmp".to_string(),
        "notes.txt".to_string(),
    ];
    for name in ours.iter().chain(&others) {
        std::fs::write(out.join(name), b"partial").unwrap();
    }
    a.ok(DISPUTED);
    a.ok(&["export", "--out", out.join("new.fcb").to_str().unwrap()]);
    let mut expected: Vec<String> = others.to_vec();
    expected.push("new.fcb".into());
    expected.sort();
    assert_eq!(names(&out), expected);
}

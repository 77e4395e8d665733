//! `fieldcheck dev generate`: deterministic, realistic, searchable.

use fieldcheck::generate::generate;
use fieldcheck::search::{Scope, search};
use fieldcheck::store::{InitOptions, Store};

fn lines(seed: u64, leads: usize) -> (Store, String) {
    let store = Store::memory(&InitOptions::default()).unwrap();
    let mut out = Vec::new();
    let done = generate(&store, leads, 20, seed, Some(&mut out)).unwrap();
    assert_eq!((done.leads, done.visits), (leads, 20));
    (store, String::from_utf8(out).unwrap())
}

#[test]
fn the_same_seed_gives_the_same_data() {
    let (_, a) = lines(7, 300);
    let (_, b) = lines(7, 300);
    let (_, c) = lines(8, 300);
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(a.lines().count(), 300);
}

#[test]
fn generated_leads_use_the_seed_districts_and_are_searchable() {
    let (store, text) = lines(3, 400);
    let districts: Vec<String> = store
        .channels()
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    for line in text.lines() {
        let cells: Vec<&str> = line.split(" | ").collect();
        assert_eq!(cells.len(), 5, "{line}");
        assert!(cells[0].ends_with("有限公司"), "{line}");
        assert!(districts.iter().any(|d| d == cells[2]), "{line}");
        assert!(cells[4].starts_with("023-"), "{line}");
    }
    assert_eq!(store.leads().unwrap().len(), 3 + 400);
    assert_eq!(store.visits(None).unwrap().len(), 20);
    let first = text
        .lines()
        .next()
        .unwrap()
        .split(" | ")
        .next()
        .unwrap()
        .to_string();
    let hits = search(&store, &first, Scope::Leads, 5).unwrap();
    assert!(hits.iter().any(|h| h.title.starts_with(&first)), "{first}");
}

/// `dev type` types a query one character at a time against the terminal app's search and
/// reports each keystroke: what was typed so far, its time and how many hits it ranked.
#[test]
fn dev_type_reports_every_keystroke() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.redb");
    let run = |args: &[&str]| {
        let out = assert_cmd::Command::cargo_bin("fieldcheck")
            .unwrap()
            .arg("--store")
            .arg(&store)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    run(&["init"]);
    let out = run(&["dev", "type", "bbq", "--rounds", "2"]);
    let rows: Vec<Vec<&str>> = out
        .lines()
        .skip(1)
        .map(|l| l.split('\t').collect())
        .collect();
    let typed: Vec<&str> = rows.iter().map(|r| r[0]).collect();
    assert_eq!(typed, ["b", "bb", "bbq"], "{out}");
    assert!(rows.iter().all(|r| r[1].ends_with(" ms")), "{out}");
    assert_eq!(rows[2][2], "2 hits", "北碚区's two leads: {out}");
    assert!(out.starts_with("loaded 80 keys"), "{out}");
}

/// Through the change log: the leads are this store's own signed changes, the visits arrive from
/// enrolled laptops in signed bundles; `verify` passes, every change verifies against its
/// device's key, and `export --all` into a fresh headquarters that pins this one gives the same
/// leads and visits.
#[test]
fn generated_logged_data_went_through_the_log_and_syncs() {
    use fieldcheck::generate::{Devices, generate_logged};
    use fieldcheck::store::{ExportOptions, ImportOptions, TrustOptions};
    let store = Store::memory(&InitOptions::default()).unwrap();
    let done = generate_logged(
        &store,
        400,
        &Devices {
            devices: 3,
            visits: 800,
        },
        5,
        None,
    )
    .unwrap();
    assert_eq!(done.leads, 400);
    assert!(done.visits > 400 && done.visits <= 800, "{}", done.visits);
    assert_eq!(store.visits(None).unwrap().len(), done.visits);
    // Every visit is one the rules accept on its lead as it stood: revisits name whom they
    // spoke to, unconfirmed ones say why, next steps fall due after the visit.
    let leads: std::collections::HashMap<String, fieldcheck::model::Lead> = store
        .leads()
        .unwrap()
        .into_iter()
        .map(|l| (l.id.clone(), l))
        .collect();
    for visit in store.visits(None).unwrap() {
        let lead = fieldcheck::model::Lead {
            status: visit.status_before.unwrap(),
            ..leads[&visit.lead].clone()
        };
        let broken = fieldcheck::model::rules::check(&lead, &visit, visit.at);
        assert!(broken.is_empty(), "{broken:?}: {visit:?}");
    }
    assert!(store.verify().unwrap().is_empty());
    let devices = store.devices().unwrap();
    assert_eq!(devices.len(), 4, "this store and three laptops");
    let keys: std::collections::HashMap<String, String> = devices
        .iter()
        .map(|d| (d.device.clone(), d.signing.clone()))
        .collect();
    let changes = store.changes().unwrap();
    assert!(changes.len() > 400 + 800, "{}", changes.len());
    assert!(changes.iter().all(|c| c.verify(&keys[&c.device])));
    assert!(store.quarantine().unwrap().0.is_empty());
    let statuses: std::collections::BTreeSet<String> = store
        .leads()
        .unwrap()
        .iter()
        .map(|l| l.status.code().to_string())
        .collect();
    assert!(
        statuses.len() >= 4,
        "a lifecycle, not one state: {statuses:?}"
    );

    let fresh = Store::memory(&InitOptions::default()).unwrap();
    let pin = TrustOptions {
        name: "HQ".into(),
        hq: true,
        ..TrustOptions::default()
    };
    fresh
        .trust(&store.identity().unwrap().public_key, &pin)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("all.fcb");
    let options = ExportOptions {
        all: true,
        out: Some(out.clone()),
        plain: true,
        ..ExportOptions::default()
    };
    let today = chrono::NaiveDate::from_ymd_opt(2022, 6, 1).unwrap();
    store.export(&options, today).unwrap().unwrap();
    let bytes = std::fs::read(&out).unwrap();
    let plain = ImportOptions {
        allow_plain: true,
        ..ImportOptions::default()
    };
    let imported = fresh.import(&bytes, "all.fcb", &plain).unwrap();
    assert_eq!((imported.applied, imported.kept_apart), (changes.len(), 0));
    assert_eq!(fresh.leads().unwrap(), store.leads().unwrap());
    let mut a = store.visits(None).unwrap();
    let mut b = fresh.visits(None).unwrap();
    a.sort_by(|x, y| x.id.cmp(&y.id));
    b.sort_by(|x, y| x.id.cmp(&y.id));
    assert_eq!(a, b);
    assert!(fresh.verify().unwrap().is_empty());
}

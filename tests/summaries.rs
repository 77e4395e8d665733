//! The summaries of schema 8 that `sync status` and `conflicts` read instead of the whole log and
//! every register (`device_logs_v1`: each device's highest idx and gaps; `conflicts_v1`: the
//! registers in conflict): kept through imports, gaps filled, forks taken back and conflicts
//! resolved; filled by the migration from a schema-7 store; and checked by `verify`.

mod common;

use common::peers::{LEADS, bundle_of, change, device, id, import, now_ms, signed, trust};
use fieldcheck::store::{DeviceSeen, Gap, InitOptions, Keep, Store};
use fieldcheck::sync::{Change, LeadField};
use redb::{ReadableTable, TableDefinition};

const DEVICE_LOGS: TableDefinition<&str, &str> = TableDefinition::new("device_logs_v1");
const CONFLICTS: TableDefinition<&str, &str> = TableDefinition::new("conflicts_v1");
const META: TableDefinition<&str, &str> = TableDefinition::new("meta_v1");

/// Six changes in `h`'s log (the leads' attention marks set, then cleared).
fn six_changes(h: &Store) -> Vec<Change> {
    for n in 0..6 {
        h.set_lead_field(LEADS[n % 3], &LeadField::Attention(n < 3))
            .unwrap();
    }
    let log = h.changes().unwrap();
    assert_eq!(log.len(), 6);
    log
}

/// What `sync status` says of `device`.
fn seen(store: &Store, device: &str) -> Option<DeviceSeen> {
    store
        .sync_status()
        .unwrap()
        .devices
        .into_iter()
        .find(|d| d.device == device)
}

fn gap(device: &str, from: u64, to: u64) -> Gap {
    Gap {
        device: device.into(),
        from,
        to,
    }
}

#[test]
fn gaps_follow_the_log_as_changes_arrive_and_are_taken_back() {
    let (a, h) = (device("A"), device("H"));
    trust(&a, &h, "H");
    let log = six_changes(&h);
    let hid = id(&h);
    let pick = |idxs: &[u64]| -> Vec<Change> {
        log.iter()
            .filter(|c| idxs.contains(&c.idx))
            .cloned()
            .collect()
    };
    let r = import(&a, &bundle_of(&h, &pick(&[1, 2, 6])));
    assert_eq!(r.gaps, vec![gap(&hid, 3, 5)]);
    let s = seen(&a, &hid).unwrap();
    assert_eq!((s.highest, s.gaps), (6, vec![gap(&hid, 3, 5)]));
    // A change in the middle of a gap splits it; the import reports what is left.
    let r = import(&a, &bundle_of(&h, &pick(&[4])));
    assert_eq!(r.gaps, vec![gap(&hid, 3, 3), gap(&hid, 5, 5)]);
    import(&a, &bundle_of(&h, &pick(&[3, 5])));
    let s = seen(&a, &hid).unwrap();
    assert_eq!((s.highest, s.gaps), (6, vec![]));
    assert_eq!(a.verify().unwrap(), Vec::new());
    // A second history from idx 4: H's changes from there are taken out of the log.
    let mut other = change(&hid, 4, Some(&log[2]), now_ms());
    other.value = serde_json::json!(false);
    let r = import(&a, &bundle_of(&h, &[signed(other, &h)]));
    assert_eq!(r.forked, vec![hid.clone()]);
    let s = seen(&a, &hid).unwrap();
    assert_eq!((s.highest, s.gaps), (3, vec![]));
    assert_eq!(a.verify().unwrap(), Vec::new());
}

#[test]
fn a_conflict_is_counted_until_it_is_resolved() {
    let (a, b, h) = (device("A"), device("B"), device("H"));
    trust(&a, &b, "B");
    trust(&a, &h, "H");
    b.set_lead_field(LEADS[0], &LeadField::Assignee(Some("王".into())))
        .unwrap();
    h.set_lead_field(LEADS[0], &LeadField::Assignee(Some("李".into())))
        .unwrap();
    import(&a, &bundle_of(&b, &b.changes().unwrap()));
    assert_eq!(a.conflict_count().unwrap(), 0);
    let r = import(&a, &bundle_of(&h, &h.changes().unwrap()));
    assert_eq!(r.conflicts, 1);
    assert_eq!(a.conflict_count().unwrap(), 1);
    assert_eq!(a.sync_status().unwrap().conflicts, 1);
    let listed = a.conflicts().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].field, "assignee");
    a.resolve(&listed[0].id, Keep::Theirs).unwrap();
    assert_eq!(a.conflict_count().unwrap(), 0);
    assert_eq!(a.conflicts().unwrap(), Vec::new());
    assert_eq!(a.verify().unwrap(), Vec::new());
}

/// A file store holding H's changes with a gap, and a conflict between B and H.
fn store_with_gap_and_conflict(path: &std::path::Path) -> (Store, String) {
    let a = Store::open(
        path,
        &InitOptions {
            inspector: Some("A".into()),
            device: Some("A".into()),
            ..InitOptions::default()
        },
    )
    .unwrap();
    let (b, h) = (device("B"), device("H"));
    trust(&a, &b, "B");
    trust(&a, &h, "H");
    let log = six_changes(&h);
    let without_3: Vec<Change> = log.into_iter().filter(|c| c.idx != 3).collect();
    import(&a, &bundle_of(&h, &without_3));
    b.set_lead_field(LEADS[2], &LeadField::Attention(true))
        .unwrap();
    import(&a, &bundle_of(&b, &b.changes().unwrap()));
    assert_eq!(a.conflict_count().unwrap(), 1);
    (a, id(&h))
}

#[test]
fn a_schema_7_store_gets_its_summaries_filled() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let (before, status, hid) = {
        let (a, hid) = store_with_gap_and_conflict(&path);
        (a.digest().unwrap(), a.sync_status().unwrap(), hid)
    };
    {
        let db = redb::Database::open(&path).unwrap();
        let tx = db.begin_write().unwrap();
        assert!(tx.delete_table(DEVICE_LOGS).unwrap());
        assert!(tx.delete_table(CONFLICTS).unwrap());
        tx.open_table(META)
            .unwrap()
            .insert("schema_version", "7")
            .unwrap();
        tx.commit().unwrap();
    }
    let a = Store::open(&path, &InitOptions::default()).unwrap();
    assert_eq!(
        a.schema_version().unwrap(),
        fieldcheck::store::latest(fieldcheck::store::MIGRATIONS)
    );
    assert_eq!(
        a.digest().unwrap(),
        before,
        "the migration filled them otherwise"
    );
    assert_eq!(a.sync_status().unwrap(), status);
    assert_eq!(seen(&a, &hid).unwrap().gaps, vec![gap(&hid, 3, 3)]);
    assert_eq!(a.conflict_count().unwrap(), 1);
    assert_eq!(a.verify().unwrap(), Vec::new());
}

#[test]
fn verify_finds_summaries_that_disagree_with_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let hid = store_with_gap_and_conflict(&path).1;
    {
        let db = redb::Database::open(&path).unwrap();
        let tx = db.begin_write().unwrap();
        {
            // The gap hidden from `sync status`, and the conflict from `conflicts`.
            let mut logs = tx.open_table(DEVICE_LOGS).unwrap();
            let span = logs.get(hid.as_str()).unwrap().unwrap().value().to_string();
            assert!(span.contains("[3,3]"), "{span}");
            logs.insert(hid.as_str(), r#"{"highest":6,"gaps":[]}"#)
                .unwrap();
            let mut conflicts = tx.open_table(CONFLICTS).unwrap();
            let key = conflicts.first().unwrap().unwrap().0.value().to_string();
            conflicts.remove(key.as_str()).unwrap();
        }
        tx.commit().unwrap();
    }
    let a = Store::open(&path, &InitOptions::default()).unwrap();
    let found: Vec<String> = a
        .verify()
        .unwrap()
        .into_iter()
        .map(|d| d.entity.split(':').next().unwrap().to_string())
        .collect();
    assert_eq!(found, vec!["conflict-index", "device-log"]);
}

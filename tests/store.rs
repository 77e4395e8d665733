//! The redb store: seeding, identity, idempotent import, agreement between stores, migrations,
//! and clear refusals.

mod common;

use fieldcheck::error::Error;
use fieldcheck::model::RecordKind;
use fieldcheck::model::Status;
use fieldcheck::model::lifecycle::Refusal;
use fieldcheck::notice;
use fieldcheck::search::key;
use fieldcheck::store::{InitOptions, MIGRATIONS, Migration, Outcome, Store, migrate_with, tables};
use fieldcheck::sync::LeadField;
use redb::{ReadableDatabase, ReadableTableMetadata, TableDefinition, WriteTransaction};

fn open(path: &std::path::Path) -> Store {
    Store::open(path, &InitOptions::default()).expect("store opens")
}

#[test]
fn a_new_store_is_seeded_with_an_identity() {
    let dir = tempfile::tempdir().unwrap();
    let init = InitOptions {
        inspector: Some("张三".into()),
        device: Some("laptop-7".into()),
        ..InitOptions::default()
    };
    let store = Store::open(&dir.path().join("s.redb"), &init).unwrap();
    assert_eq!(store.channels().unwrap().len(), 77);
    assert_eq!(store.leads().unwrap().len(), 3);
    assert_eq!(store.notices().unwrap()[0].number, "渝减负办〔2022〕3号");
    let id = store.identity().unwrap();
    assert_eq!(
        (id.inspector.as_str(), id.device_name.as_str()),
        ("张三", "laptop-7")
    );
    let uuid = uuid::Uuid::parse_str(&id.device_id).unwrap();
    assert_eq!(uuid.get_version_num(), 7);
    assert_eq!(
        store.schema_version().unwrap(),
        fieldcheck::store::latest(MIGRATIONS)
    );
}

#[test]
fn reopening_keeps_the_identity_and_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/folder/s.redb");
    let first = open(&path).identity().unwrap();
    let store = open(&path);
    assert_eq!(store.identity().unwrap(), first);
    assert_eq!(store.leads().unwrap().len(), 3);
    drop(store);
    let renamed = Store::open(
        &path,
        &InitOptions {
            inspector: Some("李四".into()),
            ..InitOptions::default()
        },
    )
    .unwrap();
    let id = renamed.identity().unwrap();
    assert_eq!(
        (id.device_id.as_str(), id.inspector.as_str()),
        (first.device_id.as_str(), "李四")
    );
}

#[test]
fn importing_the_same_notice_twice_changes_nothing() {
    let store = Store::memory(&InitOptions::default()).unwrap();
    let before = (store.channels().unwrap(), store.leads().unwrap());
    let summary = store.import_notice(&notice::seed().unwrap()).unwrap();
    assert_eq!(
        (
            summary.channels_added,
            summary.leads_added,
            summary.already_present
        ),
        (0, 0, 80)
    );
    assert_eq!((store.channels().unwrap(), store.leads().unwrap()), before);

    let other = notice::parse(include_str!("fixtures/other-notice.txt"), "other")
        .unwrap()
        .notice;
    let summary = store.import_notice(&other).unwrap();
    assert_eq!((summary.channels_added, summary.leads_added), (3, 2));
    let summary = store.import_notice(&other).unwrap();
    assert_eq!(
        (
            summary.channels_added,
            summary.leads_added,
            summary.already_present
        ),
        (0, 0, 5)
    );
    assert_eq!(store.leads().unwrap().len(), 5);
}

#[test]
fn two_independently_seeded_stores_agree_on_every_record() {
    let a = Store::memory(&InitOptions::default()).unwrap();
    let b = Store::memory(&InitOptions::default()).unwrap();
    assert_ne!(
        a.identity().unwrap().device_id,
        b.identity().unwrap().device_id
    );
    assert_eq!(a.channels().unwrap(), b.channels().unwrap());
    assert_eq!(a.leads().unwrap(), b.leads().unwrap());
}

#[test]
fn search_keys_are_stored_with_each_record() {
    let store = Store::memory(&InitOptions::default()).unwrap();
    let mut keys = Vec::new();
    store
        .scan_search_keys(RecordKind::Lead, |id, k| {
            keys.push((id.to_string(), String::from_utf8(k.to_vec()).unwrap()))
        })
        .unwrap();
    assert_eq!(keys.len(), 3);
    for (id, stored) in keys {
        assert_eq!(stored, key::lead_key(&store.lead(&id).unwrap()));
    }
    let mut channels = 0;
    store
        .scan_search_keys(RecordKind::Channel, |_, _| channels += 1)
        .unwrap();
    assert_eq!(channels, 77);
}

#[test]
fn ids_resolve_exactly_or_by_a_unique_suffix() {
    let store = Store::memory(&InitOptions::default()).unwrap();
    assert_eq!(store.lead("cq-jfb-2022-3/a3/2").unwrap().seq, 2);
    assert_eq!(store.lead("a3/2").unwrap().seq, 2);
    assert_eq!(store.channel("a2/15").unwrap().name, "北碚区");
    assert!(matches!(store.channel("1"), Err(Error::AmbiguousId { .. })));
    assert!(matches!(store.lead("a3/9"), Err(Error::UnknownId { .. })));
    assert!(matches!(store.lead(""), Err(Error::UnknownId { .. })));
}

const EXTRA: TableDefinition<&str, u64> = TableDefinition::new("test_extra_v2");

fn add_extra_table(tx: &WriteTransaction) -> fieldcheck::error::Result<()> {
    // A later schema adds a table and fills it from existing data.
    let fail = |e: redb::Error| Error::Store {
        detail: e.to_string(),
    };
    let count = tx
        .open_table(tables::LEADS)
        .map_err(|e| fail(e.into()))?
        .len()
        .map_err(|e| fail(e.into()))?;
    tx.open_table(EXTRA)
        .map_err(|e| fail(e.into()))?
        .insert("leads", count)
        .map_err(|e| fail(e.into()))?;
    Ok(())
}

#[test]
fn migrations_upgrade_an_existing_store_and_newer_stores_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let before = open(&path).leads().unwrap();

    let mut next: Vec<Migration> = MIGRATIONS
        .iter()
        .map(|m| Migration {
            version: m.version,
            name: m.name,
            apply: m.apply,
        })
        .collect();
    let v2 = fieldcheck::store::latest(MIGRATIONS) + 1;
    next.push(Migration {
        version: v2,
        name: "test: extra table",
        apply: add_extra_table,
    });
    {
        let db = redb::Database::create(&path).unwrap();
        assert_eq!(
            migrate_with(&db, &next).unwrap(),
            Outcome::Migrated(v2 - 1, v2)
        );
        assert_eq!(migrate_with(&db, &next).unwrap(), Outcome::Current);
        let tx = db.begin_read().unwrap();
        let extra = tx.open_table(EXTRA).unwrap();
        assert_eq!(extra.get("leads").unwrap().map(|v| v.value()), Some(3));
    }
    // This build knows only up to v2 - 1: it refuses the file and leaves it as it is.
    match Store::open(&path, &InitOptions::default()) {
        Err(Error::StoreNewer {
            found, supported, ..
        }) => assert_eq!((found, supported), (v2, v2 - 1)),
        other => panic!("expected StoreNewer, got {:?}", other.map(|_| ())),
    }
    let db = redb::Database::create(&path).unwrap();
    assert_eq!(migrate_with(&db, &next).unwrap(), Outcome::Current);
    let tx = db.begin_read().unwrap();
    assert_eq!(
        tx.open_table(tables::LEADS).unwrap().len().unwrap(),
        before.len() as u64
    );
}

#[test]
fn a_store_open_elsewhere_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let _held = open(&path);
    match Store::open(&path, &InitOptions::default()) {
        Err(e @ Error::StoreInUse { .. }) => {
            assert!(
                e.message(fieldcheck::i18n::Lang::En)
                    .contains("in use by another fieldcheck process")
            )
        }
        other => panic!("expected StoreInUse, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn files_that_are_not_stores_and_unwritable_places_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.redb");
    std::fs::write(
        &junk,
        "this is not a database, just some text that is long enough".repeat(100),
    )
    .unwrap();
    assert!(matches!(
        Store::open(&junk, &InitOptions::default()),
        Err(Error::StoreDamaged { .. })
    ));
    // A path whose parent is a file cannot be created.
    let blocked = junk.join("s.redb");
    assert!(matches!(
        Store::open(&blocked, &InitOptions::default()),
        Err(Error::StoreOpen { .. })
    ));
    assert!(matches!(
        Store::open(dir.path(), &InitOptions::default()),
        Err(Error::StoreIsFolder { .. })
    ));
}

#[test]
fn a_store_from_schema_1_is_migrated_and_keeps_its_data() {
    // Written by the first release (schema 1, no change log), committed as a fixture.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.redb");
    std::fs::copy("tests/fixtures/store-v1.redb", &path).unwrap();
    let store = open(&path);
    assert_eq!(
        store.schema_version().unwrap(),
        fieldcheck::store::latest(MIGRATIONS)
    );
    let id = store.identity().unwrap();
    assert_eq!(
        (id.inspector.as_str(), id.device_name.as_str()),
        ("旧版检查员", "old-laptop")
    );
    assert_eq!(store.leads().unwrap().len(), 3);
    assert_eq!(store.leads().unwrap()[0].assignee, None);
    let (_, change) = store
        .set_lead_field("cq-jfb-2022-3/a3/1", &LeadField::Status(Status::Verifying))
        .unwrap();
    assert_eq!(change.map(|c| c.idx), Some(1));
}

#[test]
fn a_field_set_by_hand_is_logged_with_its_state_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let init = InitOptions {
        inspector: Some("张三".into()),
        ..InitOptions::default()
    };
    let lead = "cq-jfb-2022-3/a3/1";
    {
        let store = Store::open(&path, &init).unwrap();
        let device = store.identity().unwrap().device_id;
        let (saved, change) = store
            .set_lead_field(lead, &LeadField::Supervised(true))
            .unwrap();
        assert!(saved.supervised);
        let change = change.expect("a change");
        assert_eq!(
            (change.idx, change.author.as_str(), change.device.as_str()),
            (1, "张三", device.as_str())
        );
        assert_eq!(
            (change.entity.as_str(), change.field.as_str()),
            ("lead:cq-jfb-2022-3/a3/1", "supervised")
        );
        assert_eq!(change.value, serde_json::json!(true));
        store
            .set_lead_field(lead, &LeadField::Status(Status::Verifying))
            .unwrap();
        store
            .set_lead_field(lead, &LeadField::Assignee(Some("张三".into())))
            .unwrap();
        // Setting a value it already has logs nothing.
        let (_, none) = store
            .set_lead_field(lead, &LeadField::Supervised(true))
            .unwrap();
        assert!(none.is_none());
    }
    let store = open(&path);
    let saved = store.lead(lead).unwrap();
    assert!(saved.supervised);
    assert_eq!(saved.status, Status::Verifying);
    assert_eq!(saved.assignee.as_deref(), Some("张三"));
    let changes = store.changes().unwrap();
    let idx: Vec<u64> = changes.iter().map(|c| c.idx).collect();
    assert_eq!(idx, [1, 2, 3]);
    assert!(changes.windows(2).all(|w| w[0].clock < w[1].clock));
    let ids: std::collections::HashSet<&str> = changes.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids.len(), 3);
}

#[test]
fn a_status_change_the_rules_forbid_changes_nothing() {
    let store = Store::memory(&InitOptions::default()).unwrap();
    let lead = "cq-jfb-2022-3/a3/2";
    for to in [Status::Resolved, Status::Closed, Status::Negotiating] {
        match store.set_lead_field(lead, &LeadField::Status(to)) {
            Err(Error::Rule { refusal, .. }) => assert_ne!(refusal, Refusal::Unchanged),
            other => panic!("expected a rule refusal, got {:?}", other.map(|_| ())),
        }
    }
    assert_eq!(store.lead(lead).unwrap().status, Status::New);
    assert!(store.changes().unwrap().is_empty());
    assert!(matches!(
        store.set_lead_field("cq-jfb-2022-3/a3/9", &LeadField::Supervised(true)),
        Err(Error::UnknownId { .. })
    ));
}

#[test]
fn a_different_notice_with_the_same_id_is_refused() {
    let store = Store::memory(&InitOptions::default()).unwrap();
    // 渝建发办 has the same initials as 渝减负办: same id, different notice.
    let clash = notice::SEED.replace("渝减负办〔2022〕3号", "渝建发办〔2022〕3号");
    let clash = notice::parse(&clash, "clash").unwrap().notice;
    assert_eq!(clash.meta.id, "cq-jfb-2022-3");
    match store.import_notice(&clash) {
        Err(Error::NoticeIdTaken { held, new, .. }) => {
            assert_eq!(
                (held.as_str(), new.as_str()),
                ("渝减负办〔2022〕3号", "渝建发办〔2022〕3号")
            )
        }
        other => panic!("expected NoticeIdTaken, got {:?}", other.map(|_| ())),
    }
    assert_eq!(store.notices().unwrap().len(), 1);
}

/// A store written by the last release before signed changes (schema 5; committed as a fixture
/// with its key): its own log of 3 changes, and one change received from laptop B with the old
/// trust-on-first-use. Opening it migrates it: its own changes are signed and hash-chained with
/// its own key (kept), B's change stays applied but unsigned — vouched for only by the bundle that
/// brought it — and is not relayed by `export --all`; the hand-trusted key is dropped; the old key
/// file gains an encryption key; `verify` passes.
#[test]
fn a_store_from_before_signed_changes_signs_its_own_log_on_migration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v5.redb");
    std::fs::copy("tests/fixtures/store-v5.redb", &path).unwrap();
    std::fs::copy(
        "tests/fixtures/store-v5.redb.key",
        dir.path().join("v5.redb.key"),
    )
    .unwrap();
    let old_key = std::fs::read_to_string(dir.path().join("v5.redb.key")).unwrap();
    let store = open(&path);
    assert_eq!(
        store.schema_version().unwrap(),
        fieldcheck::store::latest(MIGRATIONS)
    );
    let id = store.identity().unwrap();
    assert_eq!(id.device_id, "01a23207-ce94-71b1-9bd5-6efd3d605079");
    let keys = store.keys().unwrap();
    assert_eq!(
        hex::encode(keys.signing.to_bytes()),
        old_key.trim(),
        "the same signing key"
    );
    assert!(id.public_key.starts_with(&format!("fc1:{}:", id.device_id)));
    let public = fieldcheck::sync::keys::public_hex(&keys.signing);
    let changes = store.changes().unwrap();
    let (own, others): (Vec<_>, Vec<_>) = changes.iter().partition(|c| c.device == id.device_id);
    assert_eq!((own.len(), others.len()), (3, 1));
    let mut prev = None;
    for change in &own {
        assert!(
            change.verify(&public),
            "own change {} is signed",
            change.idx
        );
        assert_eq!(change.prev, prev, "own change {} links", change.idx);
        prev = Some(change.hash());
    }
    assert!(others[0].sig.is_empty(), "B's change stays as it came");
    assert!(store.verify().unwrap().is_empty());
    // Only itself is known: the old hand-trusted key of B could check no signed change.
    let devices = store.devices().unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].device, id.device_id);
    // Redistribution carries the signed changes only.
    let out = dir.path().join("all.fcb");
    let options = fieldcheck::store::ExportOptions {
        all: true,
        out: Some(out.clone()),
        plain: true,
        ..Default::default()
    };
    let today = chrono::NaiveDate::from_ymd_opt(2022, 1, 28).unwrap();
    let exported = store.export(&options, today).unwrap().unwrap();
    assert_eq!(exported.changes, 3);
    drop(store);
    // Opened again: nothing is signed twice, the key file is version 2 now.
    let again = open(&path);
    assert_eq!(again.changes().unwrap(), changes);
    let text = std::fs::read_to_string(dir.path().join("v5.redb.key")).unwrap();
    assert!(text.starts_with("fieldcheck-key 2"), "{text}");
}

/// Schema 9 keeps the leads as postcard bytes (`leads_v2`): a store of schema 8, its leads JSON in
/// `leads_v1`, is migrated on opening to the same leads, byte for byte as a new store writes them,
/// and its state still follows from its log.
#[test]
fn a_store_of_schema_8_moves_its_leads_from_json_to_bytes() {
    const LEADS_V1: TableDefinition<&str, &str> = TableDefinition::new("leads_v1");
    // The bytes as this build writes them (schema 11's `leads_v3`; schema 9 wrote `leads_v2`).
    const LEADS_V2: TableDefinition<&str, &[u8]> = tables::LEADS;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v8.redb");
    let (before, leads) = {
        let store = open(&path);
        store
            .set_lead_fields(
                "cq-jfb-2022-3/a3/2",
                &[
                    LeadField::Supervised(false),
                    LeadField::Assignee(Some("李四".into())),
                ],
            )
            .unwrap();
        (store.digest().unwrap(), store.leads().unwrap())
    };
    {
        let db = redb::Database::open(&path).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let bytes = tx.open_table(LEADS_V2).unwrap();
            let mut json = tx.open_table(LEADS_V1).unwrap();
            for entry in redb::ReadableTable::iter(&bytes).unwrap() {
                let (k, v) = entry.unwrap();
                let lead: fieldcheck::model::Lead = postcard::from_bytes(v.value()).unwrap();
                json.insert(k.value(), serde_json::to_string(&lead).unwrap().as_str())
                    .unwrap();
            }
        }
        assert!(tx.delete_table(LEADS_V2).unwrap());
        tx.open_table(tables::META)
            .unwrap()
            .insert("schema_version", "8")
            .unwrap();
        tx.commit().unwrap();
    }
    let store = open(&path);
    assert_eq!(store.schema_version().unwrap(), 11);
    assert_eq!(store.leads().unwrap(), leads);
    assert_eq!(store.digest().unwrap(), before, "the leads moved otherwise");
    assert_eq!(store.verify().unwrap(), Vec::new());
    let lead = store.lead("a3/2").unwrap();
    assert_eq!(
        (lead.supervised, lead.assignee.as_deref()),
        (false, Some("李四"))
    );
    drop(store);
    let db = redb::Database::open(&path).unwrap();
    let tx = db.begin_read().unwrap();
    assert!(
        tx.open_table(LEADS_V1).is_err(),
        "leads_v1 is dropped once moved"
    );
}

/// Schema 10 keeps the visits as postcard bytes (`visits_v2`): a store of schema 9, its visits
/// JSON in `visits_v1`, is migrated on opening to the same visits, byte for byte as a new store
/// writes them, and its state still follows from its log.
#[test]
fn a_store_of_schema_9_moves_its_visits_from_json_to_bytes() {
    const VISITS_V1: TableDefinition<&str, &str> = TableDefinition::new("visits_v1");
    // The bytes as this build writes them (schema 11's `visits_v3`; schema 10 wrote `visits_v2`).
    const VISITS_V2: TableDefinition<&str, &[u8]> = tables::VISITS;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v9.redb");
    let today = chrono::NaiveDate::from_ymd_opt(2022, 1, 28).unwrap();
    let (before, visits) = {
        let store = open(&path);
        let form = fieldcheck::model::form::VisitForm {
            notes: "门卫说财务不在".into(),
            ..common::peers::visit_form("cq-jfb-2022-3/a3/1")
        };
        store
            .finalize(&form, fieldcheck::clock::now_on(today), today, false)
            .unwrap();
        let second = fieldcheck::model::form::VisitForm {
            lead: "cq-jfb-2022-3/a3/2".into(),
            ..form
        };
        store
            .finalize(&second, fieldcheck::clock::now_on(today), today, false)
            .unwrap();
        (store.digest().unwrap(), store.visits(None).unwrap())
    };
    assert_eq!(visits.len(), 2);
    {
        let db = redb::Database::open(&path).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let mut json = tx.open_table(VISITS_V1).unwrap();
            for v in &visits {
                json.insert(v.id.as_str(), serde_json::to_string(v).unwrap().as_str())
                    .unwrap();
            }
        }
        assert!(tx.delete_table(VISITS_V2).unwrap());
        tx.open_table(tables::META)
            .unwrap()
            .insert("schema_version", "9")
            .unwrap();
        tx.commit().unwrap();
    }
    let store = open(&path);
    assert_eq!(store.schema_version().unwrap(), 11);
    assert_eq!(store.visits(None).unwrap(), visits);
    assert_eq!(
        store.digest().unwrap(),
        before,
        "the visits moved otherwise"
    );
    assert_eq!(store.verify().unwrap(), Vec::new());
    let one = store.visits(Some("cq-jfb-2022-3/a3/1")).unwrap();
    assert_eq!(one[0].notes, "门卫说财务不在");
    drop(store);
    let db = redb::Database::open(&path).unwrap();
    let tx = db.begin_read().unwrap();
    assert!(
        tx.open_table(VISITS_V1).is_err(),
        "visits_v1 is dropped once moved"
    );
}

/// Schema 11 adds a lead's contact person and phone (`leads_v3`) and a correction's reason
/// (`visits_v3`): a store of schema 10, its rows in the older layouts of `leads_v2` and
/// `visits_v2`, is migrated on opening to the same leads and visits (no contact, no reason), and
/// its state still follows from its log.
#[test]
fn a_store_of_schema_10_gains_contacts_and_reasons() {
    const LEADS_V2: TableDefinition<&str, &[u8]> = TableDefinition::new("leads_v2");
    const VISITS_V2: TableDefinition<&str, &[u8]> = TableDefinition::new("visits_v2");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v10.redb");
    let today = chrono::NaiveDate::from_ymd_opt(2022, 1, 28).unwrap();
    let (before, leads, visits) = {
        let store = open(&path);
        let form = fieldcheck::model::form::VisitForm {
            notes: "门卫说财务不在".into(),
            ..common::peers::visit_form("cq-jfb-2022-3/a3/1")
        };
        store
            .finalize(&form, fieldcheck::clock::now_on(today), today, false)
            .unwrap();
        store
            .set_lead_field(
                "cq-jfb-2022-3/a3/2",
                &LeadField::Debtor(Some("某区城建公司".into())),
            )
            .unwrap();
        (
            store.digest().unwrap(),
            store.leads().unwrap(),
            store.visits(None).unwrap(),
        )
    };
    {
        let db = redb::Database::open(&path).unwrap();
        let tx = db.begin_write().unwrap();
        // Schema 10's bytes are this build's without the trailing fields: two `None`s (a byte
        // each) on a lead, an empty reason (one byte) on a visit.
        let old = |new: TableDefinition<&str, &[u8]>, old: TableDefinition<&str, &[u8]>, cut| {
            let rows: Vec<(String, Vec<u8>)> =
                redb::ReadableTable::iter(&tx.open_table(new).unwrap())
                    .unwrap()
                    .map(|e| {
                        let (k, v) = e.unwrap();
                        let v = v.value();
                        (k.value().to_string(), v[..v.len() - cut].to_vec())
                    })
                    .collect();
            let mut table = tx.open_table(old).unwrap();
            for (k, v) in &rows {
                table.insert(k.as_str(), v.as_slice()).unwrap();
            }
            rows.len()
        };
        assert!(old(tables::LEADS, LEADS_V2, 2) >= 3);
        // Schema 10 left a lead's search key as it was when a debtor was set later.
        let stale = fieldcheck::model::Lead {
            debtor: None,
            ..leads[1].clone()
        };
        tx.open_table(tables::LEAD_SEARCH)
            .unwrap()
            .insert(stale.id.as_str(), key::lead_key(&stale).as_bytes())
            .unwrap();
        assert_eq!(old(tables::VISITS, VISITS_V2, 1), 1);
        assert!(tx.delete_table(tables::LEADS).unwrap());
        assert!(tx.delete_table(tables::VISITS).unwrap());
        tx.open_table(tables::META)
            .unwrap()
            .insert("schema_version", "10")
            .unwrap();
        tx.commit().unwrap();
    }
    let store = open(&path);
    assert_eq!(store.schema_version().unwrap(), 11);
    assert_eq!(store.leads().unwrap(), leads);
    assert_eq!(store.visits(None).unwrap(), visits);
    assert_eq!(store.digest().unwrap(), before, "the rows moved otherwise");
    assert_eq!(store.verify().unwrap(), Vec::new());
    assert_eq!(
        store.lead("a3/2").unwrap().debtor.as_deref(),
        Some("某区城建公司")
    );
    let hits =
        fieldcheck::search::search(&store, "城建", fieldcheck::search::Scope::Leads, 3).unwrap();
    assert_eq!(
        hits.first().map(|h| h.id.as_str()),
        Some("cq-jfb-2022-3/a3/2"),
        "the debtor found on site is searchable after the migration"
    );
    drop(store);
    let db = redb::Database::open(&path).unwrap();
    let tx = db.begin_read().unwrap();
    assert!(
        tx.open_table(LEADS_V2).is_err(),
        "leads_v2 is dropped once moved"
    );
    assert!(
        tx.open_table(VISITS_V2).is_err(),
        "visits_v2 is dropped once moved"
    );
}

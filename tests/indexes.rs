//! The indexes of schema 7 (`visit_changes_v1`, `created_by_v1`, `quarantine_by_v1`): filled by
//! the migration from a schema-6 store, and what they decide — which `created` row a lead keeps —
//! agreeing with `verify`'s replay whatever the order of arrival.

mod common;

use chrono::NaiveDate;
use common::peers::{DAY_MS, LEADS, bundle_of, change, device, id, import, now_ms, signed, trust};
use fieldcheck::model::form::VisitForm;
use fieldcheck::notice;
use fieldcheck::store::{InitOptions, Store};
use fieldcheck::sync::Change;
use redb::{MultimapTableDefinition, TableDefinition};

fn other_notice() -> fieldcheck::model::Notice {
    notice::parse(include_str!("fixtures/other-notice.txt"), "other")
        .unwrap()
        .notice
}

fn visit_form(lead: &str, notes: &str) -> VisitForm {
    VisitForm {
        lead: lead.into(),
        kind: "onsite".into(),
        finding: "unreachable".into(),
        evidence: vec!["contract:HT-1".into()],
        next: "再联系".into(),
        due: "+7".into(),
        notes: notes.into(),
        ..VisitForm::default()
    }
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, 28).unwrap()
}

/// A `created` change of `store`'s device for lead `lead` (as `template` is, supervised or not).
fn created(store: &Store, template: &fieldcheck::model::Lead, supervised: bool, ms: u64) -> Change {
    let mut c = change(&id(store), 1, None, ms);
    let mut lead = template.clone();
    lead.supervised = supervised;
    c.entity = format!("lead:{}", lead.id);
    c.field = "created".into();
    c.value = serde_json::to_value(&lead).unwrap();
    signed(c, store)
}

#[test]
fn a_schema_6_store_gets_the_indexes_filled_and_the_same_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let init = InitOptions {
        inspector: Some("A".into()),
        device: Some("A".into()),
        ..InitOptions::default()
    };
    let h = device("H");
    let before = {
        let a = Store::open(&path, &init).unwrap();
        trust(&a, &h, "H");
        a.import_notice(&other_notice()).unwrap();
        a.finalize(
            &visit_form(LEADS[0], "A's"),
            fieldcheck::clock::now_on(today()),
            today(),
            false,
        )
        .unwrap();
        // H's visit id with two contents: both kept apart (the quarantine is indexed too).
        let v = h
            .finalize(
                &visit_form(LEADS[1], "one"),
                fieldcheck::clock::now_on(today()),
                today(),
                false,
            )
            .unwrap();
        let mut log = h.changes().unwrap();
        let last = log.last().unwrap();
        let mut second = change(&id(&h), last.idx + 1, Some(last), now_ms());
        let mut visit = v.visit.clone();
        visit.notes = "two".into();
        second.entity = format!("visit:{}", visit.id);
        second.field = "visit".into();
        second.value = serde_json::to_value(&visit).unwrap();
        log.push(signed(second, &h));
        let r = import(&a, &bundle_of(&h, &log));
        assert_eq!(r.disputed_visits.len(), 1);
        a.digest().unwrap()
    };
    {
        let db = redb::Database::open(&path).unwrap();
        let tx = db.begin_write().unwrap();
        let kept: MultimapTableDefinition<&str, &str> =
            MultimapTableDefinition::new("quarantine_by_v1");
        assert!(tx.delete_multimap_table(kept).unwrap());
        let carriers: MultimapTableDefinition<&str, (&str, u64)> =
            MultimapTableDefinition::new("visit_changes_v1");
        assert!(tx.delete_multimap_table(carriers).unwrap());
        let by: TableDefinition<&str, (&str, u64)> = TableDefinition::new("created_by_v1");
        assert!(tx.delete_table(by).unwrap());
        let meta: TableDefinition<&str, &str> = TableDefinition::new("meta_v1");
        tx.open_table(meta)
            .unwrap()
            .insert("schema_version", "6")
            .unwrap();
        tx.commit().unwrap();
    }
    let a = Store::open(&path, &init).unwrap();
    assert_eq!(
        a.schema_version().unwrap(),
        fieldcheck::store::latest(fieldcheck::store::MIGRATIONS)
    );
    assert_eq!(
        a.digest().unwrap(),
        before,
        "the migration rebuilt other indexes"
    );
    assert_eq!(a.verify().unwrap(), Vec::new());
}

#[test]
fn a_lead_keeps_the_first_created_row_in_replay_order_as_verify_does() {
    let (a, b, x) = (device("A"), device("B"), device("X"));
    trust(&a, &b, "B");
    trust(&a, &x, "X");
    a.import_notice(&other_notice()).unwrap();
    let lead = a
        .leads()
        .unwrap()
        .into_iter()
        .find(|l| !l.id.starts_with("cq-jfb-2022-3"))
        .unwrap();
    // B made the same lead a day earlier, supervised: its row is the first in replay order.
    let earlier = created(&b, &lead, !lead.supervised, now_ms() - DAY_MS);
    import(&a, &bundle_of(&b, std::slice::from_ref(&earlier)));
    let held = a
        .leads()
        .unwrap()
        .into_iter()
        .find(|l| l.id == lead.id)
        .unwrap();
    assert_eq!(held.supervised, !lead.supervised, "the earlier row is kept");
    assert_eq!(a.verify().unwrap(), Vec::new());
    // X reuses the id of B's change: B's row is taken back, A's own row comes back.
    let mut squat = change(&id(&x), 1, None, now_ms());
    squat.id = earlier.id.clone();
    import(&a, &bundle_of(&x, &[signed(squat, &x)]));
    let held = a
        .leads()
        .unwrap()
        .into_iter()
        .find(|l| l.id == lead.id)
        .unwrap();
    assert_eq!(held.supervised, lead.supervised, "A's own row is back");
    assert_eq!(a.verify().unwrap(), Vec::new());
}

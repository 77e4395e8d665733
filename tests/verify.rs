//! `verify` against a store whose tables were changed behind the log's back: every record that
//! differs from the replay is found (a field, a missing visit, a row no change made), and nothing
//! else.

mod common;

use chrono::NaiveDate;
use fieldcheck::model::Lead;

use fieldcheck::store::{InitOptions, Store};
use fieldcheck::sync::LeadField;
use redb::{ReadableTable, TableDefinition};

const LEADS: TableDefinition<&str, &[u8]> = fieldcheck::store::tables::LEADS;
const VISITS: TableDefinition<&str, &[u8]> = fieldcheck::store::tables::VISITS;

#[test]
fn verify_finds_each_record_changed_behind_the_logs_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let init = InitOptions::default();
    let (visit, kept) = {
        let store = Store::open(&path, &init).unwrap();
        let form = common::peers::visit_form("cq-jfb-2022-3/a3/1");
        let today = NaiveDate::from_ymd_opt(2022, 1, 28).unwrap();
        let made = store
            .finalize(&form, fieldcheck::clock::now_on(today), today, false)
            .unwrap();
        let again = store
            .finalize(&form, fieldcheck::clock::now_on(today), today, false)
            .unwrap();
        store
            .set_lead_field("cq-jfb-2022-3/a3/2", &LeadField::Supervised(true))
            .unwrap();
        assert_eq!(store.verify().unwrap(), Vec::new());
        (made.visit.id, again.visit.id)
    };
    {
        let db = redb::Database::open(&path).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let mut leads = tx.open_table(LEADS).unwrap();
            let id = "cq-jfb-2022-3/a3/2";
            let read = |leads: &redb::Table<&str, &[u8]>, id: &str| -> Lead {
                postcard::from_bytes(leads.get(id).unwrap().unwrap().value()).unwrap()
            };
            let mut row = read(&leads, id);
            assert!(row.supervised);
            row.supervised = false;
            leads
                .insert(id, postcard::to_allocvec(&row).unwrap().as_slice())
                .unwrap();
            let mut seed = read(&leads, "cq-jfb-2022-3/a3/3");
            seed.id = "cq-jfb-2022-3/a3/99".into();
            leads
                .insert(
                    "cq-jfb-2022-3/a3/99",
                    postcard::to_allocvec(&seed).unwrap().as_slice(),
                )
                .unwrap();
            tx.open_table(VISITS)
                .unwrap()
                .remove(visit.as_str())
                .unwrap();
        }
        tx.commit().unwrap();
    }
    let store = Store::open(&path, &init).unwrap();
    let mut found: Vec<String> = store
        .verify()
        .unwrap()
        .into_iter()
        .map(|d| d.entity)
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            "lead:cq-jfb-2022-3/a3/2".to_string(),
            "lead:cq-jfb-2022-3/a3/99".to_string(),
            format!("visit:{visit}"),
        ]
    );
    assert!(store.visits(None).unwrap().iter().any(|v| v.id == kept));
}

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

/// Rows lost behind the log's back are found as the log rebuilds them: a lead recorded on site, a
/// lead of the built-in notice with the field set on it since, a channel of the notice no change
/// touches; and a register's heads dropped show as its conflict lost.
#[test]
fn verify_finds_the_rows_and_the_conflict_the_store_lost() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.redb");
    let init = InitOptions {
        inspector: Some("A".into()),
        device: Some("A".into()),
        ..InitOptions::default()
    };
    let today = NaiveDate::from_ymd_opt(2022, 1, 28).unwrap();
    let (seeded, disputed) = ("cq-jfb-2022-3/a3/2", "cq-jfb-2022-3/a3/1");
    let site = {
        let a = Store::open(&path, &init).unwrap();
        let b = common::peers::device("B");
        common::peers::enrol(&a, &b, false);
        common::peers::enrol(&b, &a, false);
        let new = fieldcheck::model::site_lead::NewLead {
            creditor: "重庆某某建材有限公司".into(),
            district: "北碚区".into(),
            kind: "清欠".into(),
            matter: "反映某工程拖欠货款约 30 万元".into(),
            deadline: "+15".into(),
            ..Default::default()
        };
        let site = a.add_site_lead(&new, today).unwrap();
        a.set_lead_field(seeded, &LeadField::Supervised(true))
            .unwrap();
        a.set_lead_field(disputed, &LeadField::Assignee(Some("张三".into())))
            .unwrap();
        b.set_lead_field(disputed, &LeadField::Assignee(Some("李四".into())))
            .unwrap();
        common::peers::send(&b, &a);
        assert_eq!(a.conflicts().unwrap().len(), 1);
        assert_eq!(a.verify().unwrap(), Vec::new());
        site.id
    };
    let channel = fieldcheck::notice::seed().unwrap().channels[0].id.clone();
    {
        let db = redb::Database::open(&path).unwrap();
        let tx = db.begin_write().unwrap();
        {
            let mut leads = tx.open_table(LEADS).unwrap();
            leads.remove(site.as_str()).unwrap();
            leads.remove(seeded).unwrap();
            let mut channels = tx.open_table(fieldcheck::store::tables::CHANNELS).unwrap();
            channels.remove(channel.as_str()).unwrap();
            let mut heads = tx.open_table(fieldcheck::store::tables::HEADS).unwrap();
            heads
                .remove(format!("lead:{disputed}\u{1f}assignee").as_str())
                .unwrap();
        }
        tx.commit().unwrap();
    }
    let store = Store::open(&path, &init).unwrap();
    let found = store.verify().unwrap();
    let entities: Vec<&str> = found.iter().map(|d| d.entity.as_str()).collect();
    assert_eq!(entities.len(), 5, "{entities:?}");
    assert_eq!(
        &entities[..3],
        [
            format!("lead:{seeded}").as_str(),
            format!("lead:{site}").as_str(),
            format!("channel:{channel}").as_str(),
        ]
    );
    assert!(entities[3].starts_with("conflict-index:"), "{entities:?}");
    assert!(entities[4].starts_with("conflict:"), "{entities:?}");
    assert!(
        found
            .iter()
            .all(|d| d.stored.is_none() || d.entity.starts_with("conflict"))
    );
    // Rebuilt with the field set since the notice.
    assert_eq!(found[0].rebuilt.as_ref().unwrap()["supervised"], true);
    assert_eq!(
        found[4].rebuilt.as_ref().unwrap()["heads"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

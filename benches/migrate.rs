//! Schema 11's migration (a lead's contact and phone, a correction's reason: every lead and
//! visit rewritten once) on a store of LEADS leads and twice as many visits, as schema 10 wrote
//! them. Run: `cargo bench --bench migrate` (`FIELDCHECK_BENCH_LEADS` to change the size; the
//! numbers go to docs/performance.md). Plain timing, one run: a migration runs once per store.

use std::time::Instant;

use fieldcheck::store::{InitOptions, Store, tables};
use redb::{ReadableTable, TableDefinition};

const LEADS_V2: TableDefinition<&str, &[u8]> = TableDefinition::new("leads_v2");
const VISITS_V2: TableDefinition<&str, &[u8]> = TableDefinition::new("visits_v2");

/// Rewrites a table's rows as schema 10 held them: this build's bytes without the `cut`
/// trailing bytes (two `None`s on a lead, an empty reason on a visit), under the old name.
fn downgrade(
    tx: &redb::WriteTransaction,
    new: TableDefinition<&str, &[u8]>,
    old: TableDefinition<&str, &[u8]>,
    cut: usize,
) -> usize {
    let table = tx.open_table(new).expect("table");
    let mut to = tx.open_table(old).expect("old table");
    let mut n = 0;
    for entry in table.iter().expect("rows") {
        let (k, v) = entry.expect("row");
        let v = v.value();
        to.insert(k.value(), &v[..v.len() - cut]).expect("insert");
        n += 1;
    }
    n
}

fn main() {
    let leads: usize = std::env::var("FIELDCHECK_BENCH_LEADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("s.redb");
    {
        let store = Store::open(&path, &InitOptions::default()).expect("store");
        let started = Instant::now();
        fieldcheck::generate::generate(&store, leads, 2 * leads, 7, None).expect("generate");
        println!(
            "generated {leads} leads, {} visits in {:.1?}",
            2 * leads,
            started.elapsed()
        );
    }
    {
        let db = redb::Database::open(&path).expect("db");
        let tx = db.begin_write().expect("tx");
        let moved = (
            downgrade(&tx, tables::LEADS, LEADS_V2, 2),
            downgrade(&tx, tables::VISITS, VISITS_V2, 1),
        );
        tx.delete_table(tables::LEADS).expect("drop");
        tx.delete_table(tables::VISITS).expect("drop");
        tx.open_table(tables::META)
            .expect("meta")
            .insert("schema_version", "10")
            .expect("version");
        tx.commit().expect("commit");
        println!("as schema 10: {} leads, {} visits", moved.0, moved.1);
    }
    let started = Instant::now();
    let store = Store::open(&path, &InitOptions::default()).expect("migrated");
    let took = started.elapsed();
    assert_eq!(store.schema_version().expect("version"), 11);
    assert_eq!(
        store.leads().expect("leads").len(),
        leads + 3,
        "the seed's three too"
    );
    println!("migration 10 → 11: {took:.2?}");
}

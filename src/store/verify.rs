//! Checking a store: `verify` (the state against its change log) and a digest of every table.

use std::collections::BTreeMap;

use redb::{
    MultimapTableHandle, ReadableDatabase, ReadableMultimapTable, ReadableTable, TableHandle,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::log_spans::LogSpan;
use super::merge::Batch;
use super::{Store, db_err, lead_rows, tables, visit_rows};
use crate::error::{Error, Result};
use crate::model::{Channel, NoticeMeta};
use crate::sync::{Change, Hlc};

/// Something the stored state and the state rebuilt from the log disagree on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub entity: String,
    pub stored: Option<serde_json::Value>,
    pub rebuilt: Option<serde_json::Value>,
}

/// Changes replayed in one write transaction of the rebuilt store.
const REPLAY_CHUNK: usize = 20_000;

impl Store {
    /// Rebuilds the state from the built-in notice and the change log, in a scratch store on
    /// disk, and lists every record where it differs from the stored state (empty: the store is
    /// consistent). Streamed: the log is read in replay order a chunk at a time (only each
    /// change's place in that order is held for all of them), and the two states are compared
    /// table by table in key order, so memory does not grow with the store.
    pub fn verify(&self) -> Result<Vec<Difference>> {
        let rebuilt = Store::scratch()?;
        self.replay_into(&rebuilt, REPLAY_CHUNK)?;
        let mut out = Vec::new();
        let (a, b) = (
            self.db.begin_read().map_err(db_err)?,
            rebuilt.db.begin_read().map_err(db_err)?,
        );
        let mut meter = self.meter(crate::progress::Stage::Comparing, 6);
        compare(&mut out, "lead", &a, &b, tables::LEADS, lead_rows::decode)?;
        meter.add(1);
        compare(
            &mut out,
            "channel",
            &a,
            &b,
            tables::CHANNELS,
            json::<Channel>,
        )?;
        meter.add(1);
        compare(
            &mut out,
            "notice",
            &a,
            &b,
            tables::NOTICES,
            json::<NoticeMeta>,
        )?;
        meter.add(1);
        compare(
            &mut out,
            "visit",
            &a,
            &b,
            tables::VISITS,
            visit_rows::decode,
        )?;
        meter.add(1);
        compare_conflicts(&mut out, &a, &b)?;
        meter.add(1);
        compare(
            &mut out,
            "device-log",
            &a,
            &b,
            tables::DEVICE_LOGS,
            json::<LogSpan>,
        )?;
        meter.add(1);
        Ok(out)
    }

    /// Replays this store's log on `target` in the replay order (clock, device, idx), `chunk`
    /// changes to a transaction.
    fn replay_into(&self, target: &Store, chunk: usize) -> Result<()> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::CHANGES).map_err(db_err)?;
        let mut devices: Vec<String> = Vec::new();
        let mut order: Vec<(Hlc, u32, u64)> = Vec::new();
        for entry in table.iter().map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            let (device, idx) = k.value();
            let clock: ClockOnly = super::records::decode(&format!("{device}/{idx}"), v.value())?;
            if devices.last().is_none_or(|d| d != device) {
                devices.push(device.to_string());
            }
            let n = u32::try_from(devices.len() - 1).unwrap_or(u32::MAX);
            order.push((clock.clock, n, idx));
        }
        // Devices are read in key order, so their numbers sort as their ids do.
        order.sort_unstable();
        let mut meter = self.meter(crate::progress::Stage::Replaying, order.len() as u64);
        for chunk in order.chunks(chunk) {
            meter.add(chunk.len() as u64);
            let mut write = target.db.begin_write().map_err(db_err)?;
            // A scratch store is thrown away: nothing of it needs to reach the disk.
            write
                .set_durability(redb::Durability::None)
                .map_err(db_err)?;
            let mut batch = Batch::default();
            for (_, n, idx) in chunk {
                let device = devices[*n as usize].as_str();
                let Some(v) = table.get((device, *idx)).map_err(db_err)? else {
                    continue;
                };
                let change: Change = super::records::decode(&format!("{device}/{idx}"), v.value())?;
                batch.record(&write, &change)?;
            }
            batch.finish(&write)?;
            write.commit().map_err(db_err)?;
        }
        Ok(())
    }
}

/// A JSON row decoded (the tables other than the leads').
fn json<T: serde::de::DeserializeOwned>(key: &str, row: &str) -> Result<T> {
    super::records::decode(key, row)
}

/// Only the clock of a change (to order the log without holding it).
#[derive(serde::Deserialize)]
struct ClockOnly {
    clock: Hlc,
}

/// Compares one table of the stored and the rebuilt state in key order. Rows written the same
/// are the same; others are compared as the records they hold (a row written by an older
/// version, with a field it lacked taking its default, is the same record).
fn compare<V: redb::Value + 'static, T: Serialize>(
    out: &mut Vec<Difference>,
    kind: &str,
    stored: &redb::ReadTransaction,
    rebuilt: &redb::ReadTransaction,
    def: redb::TableDefinition<&str, V>,
    decode: impl for<'a> Fn(&str, V::SelfType<'a>) -> Result<T>,
) -> Result<()> {
    let json = |key: &str, row: Option<&[u8]>| -> Result<Option<serde_json::Value>> {
        row.map(|row| {
            let record: T = decode(key, V::from_bytes(row))?;
            serde_json::to_value(record).map_err(|e| Error::Store {
                detail: e.to_string(),
            })
        })
        .transpose()
    };
    let (a, b) = (
        stored.open_table(def).map_err(db_err)?,
        rebuilt.open_table(def).map_err(db_err)?,
    );
    let (mut a, mut b) = (
        a.iter().map_err(db_err)?.peekable(),
        b.iter().map_err(db_err)?.peekable(),
    );
    loop {
        let next = |it: &mut std::iter::Peekable<redb::Range<&str, V>>| -> Result<Option<String>> {
            match it.peek() {
                None => Ok(None),
                Some(Ok((k, _))) => Ok(Some(k.value().to_string())),
                Some(Err(_)) => match it.next() {
                    Some(Err(e)) => Err(db_err(e)),
                    _ => Ok(None),
                },
            }
        };
        let (ka, kb) = (next(&mut a)?, next(&mut b)?);
        let key = match (&ka, &kb) {
            (None, None) => return Ok(()),
            (Some(x), Some(y)) => x.min(y).clone(),
            (Some(x), None) | (None, Some(x)) => x.clone(),
        };
        let take = |it: &mut std::iter::Peekable<redb::Range<&str, V>>, k: &Option<String>| {
            if k.as_deref() == Some(key.as_str()) {
                it.next()
                    .and_then(|entry| entry.ok())
                    .map(|(_, v)| V::as_bytes(&v.value()).as_ref().to_vec())
            } else {
                None
            }
        };
        let (x, y) = (take(&mut a, &ka), take(&mut b, &kb));
        if x == y {
            continue;
        }
        let (x, y) = (json(&key, x.as_deref())?, json(&key, y.as_deref())?);
        if x != y {
            out.push(Difference {
                entity: format!("{kind}:{key}"),
                stored: x,
                rebuilt: y,
            });
        }
    }
}

/// The registers' conflicts must follow from the log: compared register by register.
fn compare_conflicts(
    out: &mut Vec<Difference>,
    stored: &redb::ReadTransaction,
    rebuilt: &redb::ReadTransaction,
) -> Result<()> {
    let conflicts = |tx: &redb::ReadTransaction| -> Result<BTreeMap<String, serde_json::Value>> {
        let table = tx.open_table(tables::HEADS).map_err(db_err)?;
        let mut found = BTreeMap::new();
        for entry in table.iter().map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            if let Some(c) = super::sync::conflict_of(k.value(), v.value())? {
                let json = serde_json::to_value(&c).map_err(|e| Error::Store {
                    detail: e.to_string(),
                })?;
                found.insert(c.id, json);
            }
        }
        Ok(found)
    };
    // Conflicts are few (a person resolves each): these two maps stay small.
    let (a, b) = (conflicts(stored)?, conflicts(rebuilt)?);
    // The registers `conflicts` and `sync status` read as in conflict must be those whose heads
    // disagree.
    let indexed =
        super::heads::conflict_keys(&stored.open_table(tables::CONFLICTS).map_err(db_err)?)?;
    let indexed: std::collections::BTreeSet<String> = indexed
        .iter()
        .map(|k| super::sync::conflict_id(k))
        .collect();
    for id in indexed.symmetric_difference(&a.keys().cloned().collect()) {
        out.push(Difference {
            entity: format!("conflict-index:{id}"),
            stored: Some(serde_json::Value::Bool(indexed.contains(id))),
            rebuilt: Some(serde_json::Value::Bool(a.contains_key(id))),
        });
    }
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for key in keys {
        let (x, y) = (a.get(key), b.get(key));
        if x != y {
            out.push(Difference {
                entity: format!("conflict:{key}"),
                stored: x.cloned(),
                rebuilt: y.cloned(),
            });
        }
    }
    Ok(())
}

impl Store {
    /// A SHA-256 over every entry of every table, to show that a refused operation changed
    /// nothing.
    pub fn digest(&self) -> Result<String> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let mut hash = Sha256::new();
        let mut feed = |name: &str, k: &str, v: &[u8]| {
            hash.update(name.as_bytes());
            hash.update(k.as_bytes());
            hash.update([0]);
            hash.update(v);
            hash.update([0]);
        };
        for def in [
            tables::META,
            tables::NOTICES,
            tables::CHANNELS,
            tables::DRAFTS,
            tables::HEADS,
            tables::DEVICES,
            tables::QUARANTINE,
            tables::DISPUTES,
            tables::KEPT_VISITS,
            tables::VISIT_DEVICES,
            tables::DEVICE_LOGS,
            tables::CONFLICTS,
        ] {
            let table = tx.open_table(def).map_err(db_err)?;
            for entry in table.iter().map_err(db_err)? {
                let (k, v) = entry.map_err(db_err)?;
                feed(def.name(), k.value(), v.value().as_bytes());
            }
        }
        for def in [
            tables::LEADS,
            tables::VISITS,
            tables::CHANNEL_SEARCH,
            tables::LEAD_SEARCH,
        ] {
            let table = tx.open_table(def).map_err(db_err)?;
            for entry in table.iter().map_err(db_err)? {
                let (k, v) = entry.map_err(db_err)?;
                feed(def.name(), k.value(), v.value());
            }
        }
        let changes = tx.open_table(tables::CHANGES).map_err(db_err)?;
        for entry in changes.iter().map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            let (d, i) = k.value();
            feed("changes", &format!("{d}/{i}"), v.value().as_bytes());
        }
        let ids = tx.open_table(tables::CHANGE_IDS).map_err(db_err)?;
        for entry in ids.iter().map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            let (d, i) = v.value();
            feed("change_ids", k.value(), format!("{d}/{i}").as_bytes());
        }
        let created = tx.open_table(tables::CREATED_BY).map_err(db_err)?;
        for entry in created.iter().map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            let (d, i) = v.value();
            feed("created_by", k.value(), format!("{d}/{i}").as_bytes());
        }
        for def in [tables::LEAD_VISITS, tables::QUARANTINE_BY] {
            let index = tx.open_multimap_table(def).map_err(db_err)?;
            for entry in index.iter().map_err(db_err)? {
                let (k, values) = entry.map_err(db_err)?;
                for v in values {
                    feed(def.name(), k.value(), v.map_err(db_err)?.value().as_bytes());
                }
            }
        }
        let carriers = tx
            .open_multimap_table(tables::VISIT_CHANGES)
            .map_err(db_err)?;
        for entry in carriers.iter().map_err(db_err)? {
            let (k, values) = entry.map_err(db_err)?;
            for v in values {
                let v = v.map_err(db_err)?;
                let (d, i) = v.value();
                feed("visit_changes", k.value(), format!("{d}/{i}").as_bytes());
            }
        }
        Ok(hex::encode(hash.finalize()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::LeadField;

    /// Replayed a change to a transaction or all in one, the log rebuilds the same state.
    #[test]
    fn a_replay_in_chunks_rebuilds_what_one_transaction_does() {
        let store = Store::memory(&crate::store::InitOptions::default()).unwrap();
        let leads = ["cq-jfb-2022-3/a3/1", "cq-jfb-2022-3/a3/2"];
        for n in 0..30 {
            let field = match n % 3 {
                0 => LeadField::Supervised(n % 2 == 0),
                1 => LeadField::Attention(n % 4 == 1),
                _ => LeadField::Assignee(Some(format!("检查员{n}"))),
            };
            store.set_lead_field(leads[n % 2], &field).unwrap();
        }
        let (one, chunked) = (Store::scratch().unwrap(), Store::scratch().unwrap());
        store.replay_into(&one, REPLAY_CHUNK).unwrap();
        store.replay_into(&chunked, 1).unwrap();
        let (a, b) = (
            one.db.begin_read().unwrap(),
            chunked.db.begin_read().unwrap(),
        );
        let mut out = Vec::new();
        compare(&mut out, "lead", &a, &b, tables::LEADS, lead_rows::decode).unwrap();
        compare_conflicts(&mut out, &a, &b).unwrap();
        assert_eq!(out, Vec::new());
        assert_eq!(one.leads().unwrap(), store.leads().unwrap());
        assert_ne!(
            one.leads().unwrap(),
            Store::scratch().unwrap().leads().unwrap(),
            "the changes changed nothing: the test compares seeds"
        );
    }
}

//! A digest of every table, to show that a refused operation changed nothing.

use redb::{
    MultimapTableHandle, ReadableDatabase, ReadableMultimapTable, ReadableTable, TableHandle,
};
use sha2::{Digest, Sha256};

use super::{Store, db_err, tables};
use crate::error::Result;

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

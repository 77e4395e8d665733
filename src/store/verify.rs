//! Checking a store: `verify` (the state against its change log) and a digest of every table.

use std::collections::BTreeMap;

use redb::{
    MultimapTableHandle, ReadableDatabase, ReadableMultimapTable, ReadableTable, TableHandle,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{Store, db_err, tables};
use crate::error::{Error, Result};

/// Something the stored state and the state rebuilt from the log disagree on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub entity: String,
    pub stored: Option<serde_json::Value>,
    pub rebuilt: Option<serde_json::Value>,
}

impl Store {
    /// Rebuilds the state from the built-in notice and the change log, in memory, and lists
    /// every record where it differs from the stored state (empty: the store is consistent).
    pub fn verify(&self) -> Result<Vec<Difference>> {
        let rebuilt = Store::memory(&super::InitOptions::default())?;
        rebuilt.replay(&self.changes()?)?;
        let mut out = Vec::new();
        compare(&mut out, "lead", self.leads()?, rebuilt.leads()?, |l| {
            l.id.clone()
        })?;
        compare(
            &mut out,
            "channel",
            self.channels()?,
            rebuilt.channels()?,
            |c| c.id.clone(),
        )?;
        compare(
            &mut out,
            "notice",
            self.notices()?,
            rebuilt.notices()?,
            |n| n.id.clone(),
        )?;
        compare(
            &mut out,
            "visit",
            self.visits(None)?,
            rebuilt.visits(None)?,
            |v| v.id.clone(),
        )?;
        // Conflicts too: the registers' heads must follow from the log.
        compare(
            &mut out,
            "conflict",
            self.conflicts()?,
            rebuilt.conflicts()?,
            |c| c.id.clone(),
        )?;
        Ok(out)
    }
}

fn compare<T: Serialize>(
    out: &mut Vec<Difference>,
    kind: &str,
    stored: Vec<T>,
    rebuilt: Vec<T>,
    id: impl Fn(&T) -> String,
) -> Result<()> {
    let json = |v: &T| {
        serde_json::to_value(v).map_err(|e| Error::Store {
            detail: e.to_string(),
        })
    };
    let mut a: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for v in &stored {
        a.insert(id(v), json(v)?);
    }
    let mut b: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    for v in &rebuilt {
        b.insert(id(v), json(v)?);
    }
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for key in keys {
        let (x, y) = (a.get(key), b.get(key));
        if x != y {
            out.push(Difference {
                entity: format!("{kind}:{key}"),
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
            tables::LEADS,
            tables::VISITS,
            tables::DRAFTS,
            tables::HEADS,
            tables::DEVICES,
            tables::QUARANTINE,
            tables::DISPUTES,
            tables::KEPT_VISITS,
            tables::VISIT_DEVICES,
        ] {
            let table = tx.open_table(def).map_err(db_err)?;
            for entry in table.iter().map_err(db_err)? {
                let (k, v) = entry.map_err(db_err)?;
                feed(def.name(), k.value(), v.value().as_bytes());
            }
        }
        for def in [tables::CHANNEL_SEARCH, tables::LEAD_SEARCH] {
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

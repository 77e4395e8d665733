//! Reading and writing the directory, the leads and notices.

use redb::{
    ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{ImportSummary, Store, db_err, lead_rows, tables, visit_rows};
use crate::error::{Error, RecordKind, Result};
use crate::model::{Channel, Lead, Notice, NoticeMeta};
use crate::progress::{Meter, Stage};
use crate::search::key;

impl Store {
    /// Adds a parsed notice's channels and leads in one transaction. Rows already held (same
    /// id) are left as they are, so importing the same notice twice changes nothing.
    pub fn import_notice(&self, notice: &Notice) -> Result<ImportSummary> {
        let writer = self.writer()?;
        let tx = self.db.begin_write().map_err(db_err)?;
        let rows = (notice.leads.len() + notice.channels.len()) as u64;
        let mut meter = self.meter(crate::progress::Stage::Applying, 2 * rows);
        let (summary, created) = write_notice(&tx, notice, &mut meter)?;
        // New rows are changes too, so headquarters' notices reach every laptop.
        for (entity, value) in created {
            super::changes::append(&tx, &writer, entity, "created", value)?;
            meter.add(1);
        }
        tx.commit().map_err(db_err)?;
        Ok(summary)
    }

    /// Writes generated rows without logging them (`dev generate`: local test data that never
    /// syncs).
    pub fn insert_unlogged(&self, notice: &Notice) -> Result<ImportSummary> {
        let tx = self.db.begin_write().map_err(db_err)?;
        let (summary, _) = write_notice(&tx, notice, &mut Meter::new(None, Stage::Applying, 0))?;
        tx.commit().map_err(db_err)?;
        Ok(summary)
    }

    /// Writes generated visits without logging them.
    pub fn insert_visits_unlogged(&self, visits: &[crate::model::Visit]) -> Result<()> {
        let tx = self.db.begin_write().map_err(db_err)?;
        {
            let mut table = tx.open_table(tables::VISITS).map_err(db_err)?;
            let mut index = tx
                .open_multimap_table(tables::LEAD_VISITS)
                .map_err(db_err)?;
            for v in visits {
                table
                    .insert(v.id.as_str(), visit_rows::encode(v)?.as_slice())
                    .map_err(db_err)?;
                index
                    .insert(v.lead.as_str(), v.id.as_str())
                    .map_err(db_err)?;
            }
        }
        tx.commit().map_err(db_err)
    }

    pub fn notices(&self) -> Result<Vec<NoticeMeta>> {
        self.all(tables::NOTICES, owned)
    }

    /// Every channel, in notice and table order.
    pub fn channels(&self) -> Result<Vec<Channel>> {
        let mut channels: Vec<Channel> = self.all(tables::CHANNELS, owned)?;
        crate::model::sort_by_id(&mut channels, |c| &c.id);
        Ok(channels)
    }

    /// Every lead, in notice and table order.
    pub fn leads(&self) -> Result<Vec<Lead>> {
        let mut leads: Vec<Lead> = self.all(tables::LEADS, lead_rows::decode)?;
        crate::model::sort_by_id(&mut leads, |l| &l.id);
        Ok(leads)
    }

    /// A channel by id, or by a unique id suffix such as `a2/15`.
    pub fn channel(&self, id: &str) -> Result<Channel> {
        self.one(tables::CHANNELS, owned, RecordKind::Channel, id)
    }

    /// A lead by id, or by a unique id suffix such as `a3/1`.
    pub fn lead(&self, id: &str) -> Result<Lead> {
        self.one(tables::LEADS, lead_rows::decode, RecordKind::Lead, id)
    }

    /// Calls `visit(id, key)` for every stored search key of one kind of record (its UTF-8
    /// bytes, unchecked), without copying them: a search streams through the table.
    pub fn scan_search_keys(
        &self,
        kind: RecordKind,
        mut visit: impl FnMut(&str, &[u8]),
    ) -> Result<()> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(search_table(kind)).map_err(db_err)?;
        for entry in table.iter().map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            visit(k.value(), v.value());
        }
        Ok(())
    }

    /// Like `scan_search_keys`, on two threads: `front` sees the entries from the first on,
    /// `back` from the last backwards, until between them they have seen each entry once.
    pub fn scan_search_keys_from_both_ends(
        &self,
        kind: RecordKind,
        mut front: impl FnMut(&str, &[u8]) + Send,
        mut back: impl FnMut(&str, &[u8]) + Send,
    ) -> Result<()> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(search_table(kind)).map_err(db_err)?;
        from_both_ends(
            &table,
            &mut Meter::new(None, Stage::Reading, 0),
            |k, v| {
                front(k, v);
                Ok(())
            },
            |k, v| {
                back(k, v);
                Ok(())
            },
        )
    }

    /// Like `each_lead`, on two threads: `front` gets the leads from the table's first on,
    /// `back` from its last backwards, until between them they have had each lead once.
    pub fn each_lead_from_both_ends(
        &self,
        mut front: impl FnMut(Lead) -> Result<()> + Send,
        mut back: impl FnMut(Lead) -> Result<()> + Send,
    ) -> Result<()> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::LEADS).map_err(db_err)?;
        let mut meter = self.meter(Stage::Reading, table.len().map_err(db_err)?);
        from_both_ends(
            &table,
            &mut meter,
            |k, v| front(lead_rows::decode(k, v)?),
            |k, v| back(lead_rows::decode(k, v)?),
        )
    }

    /// Every record of a table, decoded, with the progress of reading them.
    fn all<V: redb::Value + 'static, T>(
        &self,
        def: TableDefinition<&str, V>,
        decode: impl for<'a> Fn(&str, V::SelfType<'a>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        self.each(def, decode, |record| {
            out.push(record);
            Ok(())
        })?;
        Ok(out)
    }

    /// Calls `each` with every lead, in the table's order (not natural id order), decoded one
    /// at a time: a listing of a million leads never holds them all.
    pub fn each_lead(&self, each: impl FnMut(Lead) -> Result<()>) -> Result<()> {
        self.each(tables::LEADS, lead_rows::decode, each)
    }

    /// Calls `f` with every record of a table, decoded, with the progress of reading them.
    fn each<V: redb::Value + 'static, T>(
        &self,
        def: TableDefinition<&str, V>,
        decode: impl for<'a> Fn(&str, V::SelfType<'a>) -> Result<T>,
        mut f: impl FnMut(T) -> Result<()>,
    ) -> Result<()> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(def).map_err(db_err)?;
        let mut meter = self.meter(Stage::Reading, table.len().map_err(db_err)?);
        for entry in table.iter().map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            f(decode(k.value(), v.value())?)?;
            meter.add(1);
        }
        Ok(())
    }

    fn one<V: redb::Value + 'static, T>(
        &self,
        def: TableDefinition<&str, V>,
        decode: impl for<'a> Fn(&str, V::SelfType<'a>) -> Result<T>,
        kind: RecordKind,
        id: &str,
    ) -> Result<T> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(def).map_err(db_err)?;
        if let Some(v) = table.get(id).map_err(db_err)? {
            return decode(id, v.value());
        }
        let suffix = format!("/{}", id.trim_start_matches('/'));
        let mut found = Vec::new();
        for entry in table.iter().map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            if !id.is_empty() && k.value().ends_with(&suffix) {
                found.push((k.value().to_string(), decode(k.value(), v.value())?));
            }
        }
        match found.len() {
            1 => Ok(found.remove(0).1),
            0 => Err(Error::UnknownId {
                kind,
                id: id.to_string(),
            }),
            _ => Err(Error::AmbiguousId {
                kind,
                id: id.to_string(),
                candidates: found.into_iter().map(|(k, _)| k).collect(),
            }),
        }
    }
}

/// Records decoded from the store since the process started (every read of a record goes through
/// `decode`): what `tests/linear.rs` counts to show that a command reads in proportion to the
/// store, not to its square.
static DECODED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many records this process has decoded from its stores.
pub fn records_decoded() -> u64 {
    DECODED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Reads `table` on two threads: `front` sees the entries from the first on, `back` from the
/// last backwards, until between them they have seen each entry once (so every key `front`
/// sees is below every key `back` sees). The progress is told from `front`'s thread.
pub(super) fn from_both_ends<V: redb::Value + Send + Sync + 'static>(
    table: &redb::ReadOnlyTable<&'static str, V>,
    meter: &mut Meter,
    mut front: impl for<'a> FnMut(&str, V::SelfType<'a>) -> Result<()> + Send,
    mut back: impl for<'a> FnMut(&str, V::SelfType<'a>) -> Result<()> + Send,
) -> Result<()> {
    use std::sync::atomic::{AtomicU64, Ordering};
    /// Entries claimed at a time: few enough atomic operations, an even split at the end.
    const CLAIM: u64 = 512;
    let total = table.len().map_err(db_err)?;
    let taken = AtomicU64::new(0);
    // Each side claims entries before reading them, so together they read each one once.
    let side = |entries: &mut dyn Iterator<Item = redb::Result<_>>,
                visit: &mut dyn for<'a> FnMut(&str, V::SelfType<'a>) -> Result<()>,
                mut told: Option<&mut Meter>|
     -> Result<()> {
        let mut last = 0;
        loop {
            let from = taken.fetch_add(CLAIM, Ordering::Relaxed);
            if let Some(meter) = told.as_deref_mut() {
                // Both sides' claims so far.
                let now = from.min(total);
                meter.add(now.saturating_sub(last));
                last = now;
            }
            if from >= total {
                return Ok(());
            }
            for _ in 0..CLAIM.min(total - from) {
                let Some(entry) = entries.next() else {
                    return Ok(());
                };
                let (k, v): (redb::AccessGuard<&str>, redb::AccessGuard<V>) =
                    entry.map_err(db_err)?;
                visit(k.value(), v.value())?;
            }
        }
    };
    let mut forward = table.iter().map_err(db_err)?;
    let mut backward = table.iter().map_err(db_err)?.rev();
    let (a, b) = std::thread::scope(|scope| {
        let back_side = scope.spawn(|| side(&mut backward, &mut back, None));
        let a = side(&mut forward, &mut front, Some(meter));
        (a, back_side.join())
    });
    a?;
    match b {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// A JSON record decoded into an owned value (for the readers that take any table's decoder).
fn owned<T: DeserializeOwned>(key: &str, json: &str) -> Result<T> {
    decode(key, json)
}

/// Counts one record read (`records_decoded`).
pub(super) fn count_decoded() {
    DECODED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

pub(super) fn decode<'a, T: serde::Deserialize<'a>>(key: &str, json: &'a str) -> Result<T> {
    count_decoded();
    serde_json::from_str(json).map_err(|e| Error::Store {
        detail: format!("record {key} cannot be read: {e}"),
    })
}

pub(super) fn encode<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Store {
        detail: e.to_string(),
    })
}

/// Writes a notice's metadata and every row not yet held, with its search key.
fn json<T: Serialize>(value: &T) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| Error::Store {
        detail: e.to_string(),
    })
}

/// A row written by `write_notice`: its entity (`lead:<id>`…) and its JSON, for the change log.
pub(super) type Created = (String, serde_json::Value);

pub(super) fn write_notice(
    tx: &WriteTransaction,
    notice: &Notice,
    meter: &mut Meter,
) -> Result<(ImportSummary, Vec<Created>)> {
    let mut created: Vec<Created> = Vec::new();
    let mut summary = ImportSummary {
        notice: notice.meta.id.clone(),
        number: notice.meta.number.clone(),
        channels_added: 0,
        leads_added: 0,
        already_present: 0,
    };
    let mut notices = tx.open_table(tables::NOTICES).map_err(db_err)?;
    let held = notices
        .get(notice.meta.id.as_str())
        .map_err(db_err)?
        .map(|v| decode::<NoticeMeta>(&notice.meta.id, v.value()))
        .transpose()?;
    match held {
        Some(held) if held.number != notice.meta.number => {
            return Err(Error::NoticeIdTaken {
                id: notice.meta.id.clone(),
                held: held.number,
                new: notice.meta.number.clone(),
            });
        }
        Some(_) => {}
        None => {
            notices
                .insert(notice.meta.id.as_str(), encode(&notice.meta)?.as_str())
                .map_err(db_err)?;
            created.push((format!("notice:{}", notice.meta.id), json(&notice.meta)?));
        }
    }
    let mut channels = tx.open_table(tables::CHANNELS).map_err(db_err)?;
    let mut channel_keys = tx.open_table(tables::CHANNEL_SEARCH).map_err(db_err)?;
    for channel in &notice.channels {
        let id = channel.id.as_str();
        if channels.get(id).map_err(db_err)?.is_some() {
            summary.already_present += 1;
            continue;
        }
        channels
            .insert(id, encode(channel)?.as_str())
            .map_err(db_err)?;
        channel_keys
            .insert(id, key::channel_key(channel).as_bytes())
            .map_err(db_err)?;
        created.push((format!("channel:{id}"), json(channel)?));
        summary.channels_added += 1;
        meter.add(1);
    }
    let mut leads = tx.open_table(tables::LEADS).map_err(db_err)?;
    let mut lead_keys = tx.open_table(tables::LEAD_SEARCH).map_err(db_err)?;
    for lead in &notice.leads {
        let id = lead.id.as_str();
        if leads.get(id).map_err(db_err)?.is_some() {
            summary.already_present += 1;
            continue;
        }
        leads
            .insert(id, lead_rows::encode(lead)?.as_slice())
            .map_err(db_err)?;
        lead_keys
            .insert(id, key::lead_key(lead).as_bytes())
            .map_err(db_err)?;
        created.push((format!("lead:{id}"), json(lead)?));
        summary.leads_added += 1;
        meter.add(1);
    }
    Ok((summary, created))
}

/// The table of one kind of record's search keys.
fn search_table(kind: RecordKind) -> TableDefinition<'static, &'static str, &'static [u8]> {
    match kind {
        RecordKind::Lead => tables::LEAD_SEARCH,
        RecordKind::Channel => tables::CHANNEL_SEARCH,
    }
}

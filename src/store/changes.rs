//! Local changes: a lead field set by the inspector is written together with its entry in this
//! device's change log, in one transaction (DESIGN.md's sync model).

use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, WriteTransaction};

use super::merge;
use super::records::decode;
use super::{Store, db_err, lead_rows, tables, tables::meta};
use crate::error::{Error, RecordKind, Result};
use crate::model::Lead;
use crate::model::lifecycle::check_manual;
use crate::sync::{Change, Hlc, LeadField, is_register};

impl Store {
    /// Sets one field of a lead by hand and logs the change (see `set_lead_fields`).
    pub fn set_lead_field(
        &self,
        lead_id: &str,
        field: &LeadField,
    ) -> Result<(Lead, Option<Change>)> {
        let (lead, mut changes) = self.set_lead_fields(lead_id, std::slice::from_ref(field))?;
        Ok((lead, changes.pop()))
    }

    /// Sets fields of a lead by hand, all in one transaction or none, logging a change for each
    /// that changes. A status change must be one the rules allow by hand
    /// (`lifecycle::check_manual`); a deadline cannot be removed (rule 4).
    pub fn set_lead_fields(
        &self,
        lead_id: &str,
        fields: &[LeadField],
    ) -> Result<(Lead, Vec<Change>)> {
        let writer = self.writer()?;
        let tx = self.db.begin_write().map_err(db_err)?;
        let mut lead: Lead = {
            let leads = tx.open_table(tables::LEADS).map_err(db_err)?;
            let json = leads
                .get(lead_id)
                .map_err(db_err)?
                .ok_or_else(|| Error::UnknownId {
                    kind: RecordKind::Lead,
                    id: lead_id.to_string(),
                })?;
            lead_rows::decode(lead_id, json.value())?
        };
        let mut changes = Vec::new();
        for field in fields {
            match field {
                LeadField::Status(to) => {
                    check_manual(lead.status, *to).map_err(|refusal| Error::Rule {
                        refusal,
                        from: lead.status,
                        to: *to,
                    })?
                }
                LeadField::Deadline(None) => return Err(Error::DeadlineRequired),
                _ => {}
            }
            let before = lead.clone();
            field.apply(&mut lead);
            if lead == before {
                continue;
            }
            lead_rows::write_changed(&tx, &lead, field)?;
            changes.push(append(
                &tx,
                &writer,
                LeadField::entity(lead_id),
                field.name(),
                field.value(),
            )?);
        }
        tx.commit().map_err(db_err)?;
        Ok((lead, changes))
    }

    /// How many changes the store holds.
    pub fn change_count(&self) -> Result<u64> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::CHANGES).map_err(db_err)?;
        table.len().map_err(db_err)
    }

    /// Every change the store holds, by device then idx.
    pub fn changes(&self) -> Result<Vec<Change>> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::CHANGES).map_err(db_err)?;
        table
            .iter()
            .map_err(db_err)?
            .map(|entry| {
                let (k, v) = entry.map_err(db_err)?;
                let (device, idx) = k.value();
                decode(&format!("{device}/{idx}"), v.value())
            })
            .collect()
    }
}

/// What a local change needs: who makes it, the key that signs it, and the wall clock.
pub(super) struct Writer {
    pub identity: super::Identity,
    pub signing: ed25519_dalek::SigningKey,
    pub now_ms: u64,
}

impl Store {
    pub(super) fn writer(&self) -> Result<Writer> {
        Ok(Writer {
            identity: self.identity()?,
            signing: self.signing_key()?,
            now_ms: self.now_ms(),
        })
    }
}

/// Appends a change to this device's log (next idx, next clock tick) and applies it. A register
/// change builds on the value shown and replaces every concurrent value too: whoever sets a
/// field here has seen what it shows (so an edit during a conflict settles it).
pub(super) fn append(
    tx: &WriteTransaction,
    writer: &Writer,
    entity: String,
    field: &str,
    value: serde_json::Value,
) -> Result<Change> {
    append_merging(tx, writer, entity, field, value, true)
}

pub(super) fn append_merging(
    tx: &WriteTransaction,
    writer: &Writer,
    entity: String,
    field: &str,
    value: serde_json::Value,
    merge_all: bool,
) -> Result<Change> {
    let (base, merges) = if is_register(field) {
        let heads = super::heads::read(tx, &merge::head_key(&entity, field))?;
        let win = merge::winner(&heads).map(|h| h.id.clone());
        let others = if merge_all {
            heads
                .iter()
                .map(|h| h.id.clone())
                .filter(|id| Some(id) != win.as_ref())
                .collect()
        } else {
            Vec::new()
        };
        (win, others)
    } else {
        (None, Vec::new())
    };
    let (idx, clock) = {
        let mut meta_table = tx.open_table(tables::META).map_err(db_err)?;
        let read = |k: &str| -> Result<Option<String>> {
            Ok(meta_table
                .get(k)
                .map_err(db_err)?
                .map(|v| v.value().to_string()))
        };
        let idx: u64 = read(meta::NEXT_IDX)?
            .and_then(|v| v.parse().ok())
            .unwrap_or(1);
        let last = read(meta::CLOCK)?
            .and_then(|v| Hlc::decode(&v))
            .unwrap_or_default();
        let clock = Hlc::tick(last, writer.now_ms);
        meta_table
            .insert(meta::NEXT_IDX, (idx + 1).to_string().as_str())
            .map_err(db_err)?;
        meta_table
            .insert(meta::CLOCK, clock.encode().as_str())
            .map_err(db_err)?;
        (idx, clock)
    };
    let identity = &writer.identity;
    let prev = match idx.checked_sub(1).filter(|i| *i > 0) {
        Some(before) => {
            let held = tx
                .open_table(tables::CHANGES)
                .map_err(db_err)?
                .get((identity.device_id.as_str(), before))
                .map_err(db_err)?
                .map(|v| decode::<Change>(&before.to_string(), v.value()))
                .transpose()?;
            // Taken back by a dispute another device caused, it is still this log's link.
            let held = match held {
                Some(c) => Some(c),
                None => super::quarantine::verified_versions(tx, &identity.device_id, before)?
                    .into_iter()
                    .next(),
            };
            held.map(|c| c.hash())
        }
        None => None,
    };
    let mut change = Change {
        id: uuid::Uuid::now_v7().to_string(),
        device: identity.device_id.clone(),
        idx,
        author: identity.inspector.clone(),
        clock,
        entity,
        field: field.to_string(),
        value,
        base,
        merges,
        prev,
        sig: String::new(),
    };
    change.sign(&writer.signing);
    merge::record(tx, &change)?;
    Ok(change)
}

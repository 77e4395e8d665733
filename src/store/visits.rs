//! Visits: drafts saved as typed, finalizing (rules checked, then the visit, the lead's new
//! state and the change records in one transaction), corrections, history.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDate, Utc};
use redb::{ReadableDatabase, ReadableMultimapTable, ReadableTable, WriteTransaction};

use super::changes::append;
use super::records::{decode, encode};
use super::{Store, db_err, lead_rows, tables, visit_rows};
use crate::error::{CorrectWhy, Error, RecordKind, Result};
use crate::model::form::{Context, Problem, VisitForm};
use crate::model::rules::{check, transition};
use crate::model::visit::latest;
use crate::model::visit_summary::{VisitFacts, VisitSummary};
use crate::model::{Lead, Visit};
use crate::sync::{Change, LeadField};

/// The largest visit (as JSON) that can be finalized: a quarter of the longest line a bundle may
/// hold, so that its change, signature and links always fit. A note of some 20,000 Chinese
/// characters; a real visit is a few kilobytes.
pub const MAX_VISIT_BYTES: usize = crate::sync::bundle::MAX_LINE_BYTES / 4;

/// What finalizing wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finalized {
    pub visit: Visit,
    pub lead: Lead,
    pub changes: Vec<Change>,
}

impl Store {
    /// Saves the form typed so far for its lead (one draft per lead); drafts may break rules.
    pub fn save_draft(&self, form: &VisitForm) -> Result<()> {
        let tx = self.db.begin_write().map_err(db_err)?;
        read_lead(&tx, &form.lead)?;
        tx.open_table(tables::DRAFTS)
            .map_err(db_err)?
            .insert(form.lead.as_str(), encode(form)?.as_str())
            .map_err(db_err)?;
        tx.commit().map_err(db_err)
    }

    /// The draft waiting for a lead, if any.
    pub fn draft(&self, lead: &str) -> Result<Option<VisitForm>> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::DRAFTS).map_err(db_err)?;
        let value = table.get(lead).map_err(db_err)?;
        value.map(|v| decode(lead, v.value())).transpose()
    }

    /// Every draft, by lead id.
    pub fn drafts(&self) -> Result<std::collections::HashMap<String, VisitForm>> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::DRAFTS).map_err(db_err)?;
        let mut out = std::collections::HashMap::new();
        for entry in table.iter().map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            out.insert(k.value().to_string(), decode(k.value(), v.value())?);
        }
        Ok(out)
    }

    pub fn discard_draft(&self, lead: &str) -> Result<()> {
        let tx = self.db.begin_write().map_err(db_err)?;
        tx.open_table(tables::DRAFTS)
            .map_err(db_err)?
            .remove(lead)
            .map_err(db_err)?;
        tx.commit().map_err(db_err)
    }

    /// Checks a form against every rule and, if it passes, writes in one transaction the visit,
    /// the lead's new state and the change records, and removes the lead's draft when
    /// `from_draft`. A correction (`form.supersedes`) moves the lead only when it corrects the
    /// lead's latest visit, and then from the state before that visit.
    pub fn finalize(
        &self,
        form: &VisitForm,
        now: DateTime<Utc>,
        today: NaiveDate,
        from_draft: bool,
    ) -> Result<Finalized> {
        let writer = self.writer()?;
        let identity = &writer.identity;
        let tx = self.db.begin_write().map_err(db_err)?;
        let lead = read_lead(&tx, &form.lead)?;
        let context = Context {
            now,
            today,
            inspector: identity.inspector.clone(),
            id: uuid::Uuid::now_v7().to_string(),
        };
        let mut visit = form
            .parse(&context)
            .map_err(|problems| Error::VisitRejected {
                problems: problems.into_iter().map(Problem::Form).collect(),
            })?;
        // Its change must stay a line every store takes (`bundle::MAX_LINE_BYTES`).
        let bytes = serde_json::to_vec(&visit).map_or(0, |b| b.len());
        if bytes > MAX_VISIT_BYTES {
            return Err(Error::VisitTooLarge {
                bytes,
                limit: MAX_VISIT_BYTES,
            });
        }
        let history = lead_visits(&tx, &lead.id)?;
        // A correction replaces the lead's latest visit: it is judged, and moves the lead, from
        // the state before that visit. An older visit cannot be corrected (what followed it
        // built on it).
        let (base, attention) = match &visit.supersedes {
            None => (lead.status, lead.attention),
            Some(old) => {
                let corrected = history
                    .iter()
                    .find(|v| v.id == *old)
                    .ok_or_else(|| Error::UnknownVisit { id: old.clone() })?;
                if history.iter().any(|v| v.supersedes.as_deref() == Some(old)) {
                    return Err(Error::CannotCorrect {
                        id: old.clone(),
                        why: CorrectWhy::Superseded,
                    });
                }
                if latest(&history).map(|v| v.id.as_str()) != Some(old.as_str()) {
                    return Err(Error::CannotCorrect {
                        id: old.clone(),
                        why: CorrectWhy::NotLatest,
                    });
                }
                (
                    corrected.status_before.unwrap_or(lead.status),
                    corrected.attention_before,
                )
            }
        };
        let judged = Lead {
            status: base,
            ..lead.clone()
        };
        // "Later than now" against the real clock too: a `--today` in the past stamps noon of
        // that day, and a visit that afternoon is not in the future.
        let wall = i64::try_from(self.now_ms())
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .unwrap_or(now);
        let violations = check(&judged, &visit, now.max(wall));
        let Some(finding) = visit.finding.filter(|_| violations.is_empty()) else {
            return Err(Error::VisitRejected {
                problems: violations.into_iter().map(Problem::Rule).collect(),
            });
        };
        let outcome = transition(base, attention, finding);
        visit.status_before = Some(base);
        visit.status_after = Some(outcome.status);
        visit.attention_before = attention;
        let mut changes = Vec::new();
        let mut saved = lead.clone();
        tx.open_table(tables::VISITS)
            .map_err(db_err)?
            .insert(visit.id.as_str(), visit_rows::encode(&visit)?.as_slice())
            .map_err(db_err)?;
        tx.open_multimap_table(tables::LEAD_VISITS)
            .map_err(db_err)?
            .insert(lead.id.as_str(), visit.id.as_str())
            .map_err(db_err)?;
        let json = serde_json::to_value(&visit).map_err(|e| Error::Store {
            detail: e.to_string(),
        })?;
        changes.push(append(
            &tx,
            &writer,
            format!("visit:{}", visit.id),
            "visit",
            json,
        )?);
        for field in [
            LeadField::Status(outcome.status),
            LeadField::Attention(outcome.attention),
        ] {
            let before = saved.clone();
            field.apply(&mut saved);
            if saved != before {
                changes.push(append(
                    &tx,
                    &writer,
                    LeadField::entity(&lead.id),
                    field.name(),
                    field.value(),
                )?);
            }
        }
        if saved != lead {
            tx.open_table(tables::LEADS)
                .map_err(db_err)?
                .insert(lead.id.as_str(), lead_rows::encode(&saved)?.as_slice())
                .map_err(db_err)?;
        }
        if from_draft {
            tx.open_table(tables::DRAFTS)
                .map_err(db_err)?
                .remove(lead.id.as_str())
                .map_err(db_err)?;
        }
        tx.commit().map_err(db_err)?;
        Ok(Finalized {
            visit,
            lead: saved,
            changes,
        })
    }

    /// A visit by id or by the start of its id.
    pub fn visit(&self, id: &str) -> Result<Visit> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::VISITS).map_err(db_err)?;
        if let Some(v) = table.get(id).map_err(db_err)? {
            return visit_rows::decode(id, v.value());
        }
        let mut found = Vec::new();
        if !id.is_empty() {
            for entry in table.range(id..).map_err(db_err)? {
                let (k, v) = entry.map_err(db_err)?;
                if !k.value().starts_with(id) {
                    break;
                }
                found.push(visit_rows::decode(k.value(), v.value())?);
            }
        }
        match found.len() {
            1 => Ok(found.remove(0)),
            0 => Err(Error::UnknownVisit { id: id.into() }),
            _ => Err(Error::AmbiguousId {
                kind: RecordKind::Lead,
                id: id.into(),
                candidates: found.into_iter().map(|v| v.id).collect(),
            }),
        }
    }

    /// Every finalized visit (of one lead, if given: read through the visits-by-lead index),
    /// oldest first.
    pub fn visits(&self, lead: Option<&str>) -> Result<Vec<Visit>> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::VISITS).map_err(db_err)?;
        let mut visits: Vec<Visit> = Vec::new();
        match lead {
            Some(lead) => {
                let index = tx
                    .open_multimap_table(tables::LEAD_VISITS)
                    .map_err(db_err)?;
                visits_of(&index, &table, lead, |id, bytes| {
                    visits.push(visit_rows::decode(id, bytes)?);
                    Ok(())
                })?;
            }
            None => {
                let total = redb::ReadableTableMetadata::len(&table).map_err(db_err)?;
                let mut meter = self.meter(crate::progress::Stage::Reading, total);
                for entry in table.iter().map_err(db_err)? {
                    let (k, v) = entry.map_err(db_err)?;
                    visits.push(visit_rows::decode(k.value(), v.value())?);
                    meter.add(1);
                }
            }
        }
        visits.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
        Ok(visits)
    }

    /// Calls `each` with each of the leads `ids` names (exactly, in that order) and its
    /// finalized visits, in one read of the store. An id that names no lead is an error.
    pub fn leads_with_visits<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a str>,
        mut each: impl FnMut(Lead, Vec<Visit>) -> Result<()>,
    ) -> Result<()> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let leads = tx.open_table(tables::LEADS).map_err(db_err)?;
        let table = tx.open_table(tables::VISITS).map_err(db_err)?;
        let index = tx
            .open_multimap_table(tables::LEAD_VISITS)
            .map_err(db_err)?;
        for id in ids {
            let lead = leads
                .get(id)
                .map_err(db_err)?
                .ok_or_else(|| Error::UnknownId {
                    kind: RecordKind::Lead,
                    id: id.to_string(),
                })?;
            let lead = lead_rows::decode(id, lead.value())?;
            let mut visits = Vec::new();
            visits_of(&index, &table, id, |visit, bytes| {
                visits.push(visit_rows::decode(visit, bytes)?);
                Ok(())
            })?;
            each(lead, visits)?;
        }
        Ok(())
    }

    /// Calls `each` with what a listing needs of each finalized visit of `lead` and the device
    /// whose change wrote it, if this store knows it.
    pub fn lead_visit_rows(
        &self,
        lead: &str,
        mut each: impl FnMut(VisitSummary<'_>, Option<&str>) -> Result<()>,
    ) -> Result<()> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::VISITS).map_err(db_err)?;
        let devices = tx.open_table(tables::VISIT_DEVICES).map_err(db_err)?;
        let index = tx
            .open_multimap_table(tables::LEAD_VISITS)
            .map_err(db_err)?;
        visits_of(&index, &table, lead, |id, bytes| {
            let device = devices.get(id).map_err(db_err)?;
            each(
                visit_rows::summary(id, bytes)?,
                device.as_ref().map(|d| d.value()),
            )
        })
    }

    /// `lead_visit_rows` for every finalized visit, on two threads: `front` from the first
    /// visit in id order on, `back` from the last backwards, until between them they have had
    /// each once. The devices are read beside the visits, in the same direction (both tables
    /// are in visit id order), not looked up.
    pub fn visit_rows_from_both_ends(
        &self,
        mut front: impl FnMut(VisitSummary<'_>, Option<&str>) -> Result<()> + Send,
        mut back: impl FnMut(VisitSummary<'_>, Option<&str>) -> Result<()> + Send,
    ) -> Result<()> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::VISITS).map_err(db_err)?;
        let devices = tx.open_table(tables::VISIT_DEVICES).map_err(db_err)?;
        let total = redb::ReadableTableMetadata::len(&table).map_err(db_err)?;
        let mut meter = self.meter(crate::progress::Stage::Reading, total);
        let mut ahead = Beside::new(devices.iter().map_err(db_err)?, Ordering::Less);
        let mut behind = Beside::new(devices.iter().map_err(db_err)?.rev(), Ordering::Greater);
        super::records::from_both_ends(
            &table,
            &mut meter,
            |k, v| front(visit_rows::summary(k, v)?, ahead.device_of(k)?.as_deref()),
            |k, v| back(visit_rows::summary(k, v)?, behind.device_of(k)?.as_deref()),
        )
    }

    /// Calls `each` with each finalized visit `ids` names, in that order, in one read of the
    /// store (an id it does not hold is skipped).
    pub fn visits_by_id<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a str>,
        mut each: impl FnMut(Visit) -> Result<()>,
    ) -> Result<()> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::VISITS).map_err(db_err)?;
        for id in ids {
            if let Some(v) = table.get(id).map_err(db_err)? {
                each(visit_rows::decode(id, v.value())?)?;
            }
        }
        Ok(())
    }

    /// Calls `front` and `back` with what the report reads of every finalized visit, on two
    /// threads: `front` from the first visit in id order on, `back` from the last backwards,
    /// until between them they have had each visit once. Their text is borrowed.
    pub fn visit_facts_from_both_ends(
        &self,
        mut front: impl FnMut(VisitFacts<'_>) -> Result<()> + Send,
        mut back: impl FnMut(VisitFacts<'_>) -> Result<()> + Send,
    ) -> Result<()> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::VISITS).map_err(db_err)?;
        let total = redb::ReadableTableMetadata::len(&table).map_err(db_err)?;
        let mut meter = self.meter(crate::progress::Stage::Reading, total);
        super::records::from_both_ends(
            &table,
            &mut meter,
            |k, v| front(visit_rows::facts(k, v)?),
            |k, v| back(visit_rows::facts(k, v)?),
        )
    }

    /// Calls `each` with what lists need of every finalized visit, in id order, without
    /// decoding the rest of it (people met, evidence, amounts).
    pub fn visit_summaries(&self, mut each: impl FnMut(VisitSummary<'_>)) -> Result<()> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::VISITS).map_err(db_err)?;
        for entry in table.iter().map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            each(visit_rows::summary(k.value(), v.value())?);
        }
        Ok(())
    }
}

/// Calls `each` with the id and stored bytes of each finalized visit of `lead`, through the
/// by-lead index.
fn visits_of(
    index: &redb::ReadOnlyMultimapTable<&'static str, &'static str>,
    table: &redb::ReadOnlyTable<&'static str, &'static [u8]>,
    lead: &str,
    mut each: impl FnMut(&str, &[u8]) -> Result<()>,
) -> Result<()> {
    for id in index.get(lead).map_err(db_err)? {
        let id = id.map_err(db_err)?;
        if let Some(v) = table.get(id.value()).map_err(db_err)? {
            each(id.value(), v.value())?;
        }
    }
    Ok(())
}

/// The devices of visits, read in step with the visits in one direction: `past` is how a
/// device's visit id compares with the visit asked for when that device row is behind it.
struct Beside<I: Iterator> {
    devices: std::iter::Peekable<I>,
    past: Ordering,
}

type DeviceRow<'a> = (
    redb::AccessGuard<'a, &'static str>,
    redb::AccessGuard<'a, &'static str>,
);

impl<'a, I> Beside<I>
where
    I: Iterator<Item = redb::Result<DeviceRow<'a>>>,
{
    fn new(devices: I, past: Ordering) -> Self {
        Beside {
            devices: devices.peekable(),
            past,
        }
    }

    /// The device of visit `id`, the rows of visits passed skipped (a device may name a visit
    /// since taken back). Ids must come in the direction the devices are read.
    fn device_of(&mut self, id: &str) -> Result<Option<String>> {
        while let Some(next) = self.devices.peek() {
            let passed = match next {
                Ok((visit, _)) => visit.value().cmp(id) == self.past,
                Err(_) => true,
            };
            if !passed {
                return Ok(match self.devices.peek() {
                    Some(Ok((visit, device))) if visit.value() == id => {
                        Some(device.value().to_string())
                    }
                    _ => None,
                });
            }
            self.devices.next().transpose().map_err(db_err)?;
        }
        Ok(None)
    }
}

fn read_lead(tx: &WriteTransaction, id: &str) -> Result<Lead> {
    let leads = tx.open_table(tables::LEADS).map_err(db_err)?;
    let row = leads
        .get(id)
        .map_err(db_err)?
        .ok_or_else(|| Error::UnknownId {
            kind: RecordKind::Lead,
            id: id.to_string(),
        })?;
    lead_rows::decode(id, row.value())
}

/// A lead's finalized visits, in the order they were finalized.
fn lead_visits(tx: &WriteTransaction, lead: &str) -> Result<Vec<Visit>> {
    let index = tx
        .open_multimap_table(tables::LEAD_VISITS)
        .map_err(db_err)?;
    let visits = tx.open_table(tables::VISITS).map_err(db_err)?;
    let mut out = Vec::new();
    for id in index.get(lead).map_err(db_err)? {
        let id = id.map_err(db_err)?;
        if let Some(v) = visits.get(id.value()).map_err(db_err)? {
            out.push(visit_rows::decode(id.value(), v.value())?);
        }
    }
    Ok(out)
}

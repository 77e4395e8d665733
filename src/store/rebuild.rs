//! Rebuilding what a take-back undid: the registers and rows of the entities whose changes were
//! taken back, replayed from the changes still applied, once at the end of an import.

use std::collections::{BTreeMap, BTreeSet};

use redb::WriteTransaction;

use super::heads;
use super::merge::{self, head_key};
use super::quarantine::applied;
use super::rows;
use crate::error::Result;
use crate::model::{Lead, Notice};
use crate::sync::{Change, LeadField, is_register};

/// What changes taken out of the log touched, rebuilt from the changes that remain once, at the
/// end (an import that finds many disputes reads the log once, not once for each): each register
/// from its remaining changes (or the lead's original value), each row from the first remaining
/// change that carries it, removed where none does.
#[derive(Default)]
pub(super) struct Rebuild {
    registers: BTreeSet<(String, String)>,
    rows: BTreeSet<String>,
}

impl Rebuild {
    /// Takes `taken` out of the log (their ids stay in `change_ids_v1`: they are kept apart,
    /// still taken, see `keep`), noting what they touched.
    pub(super) fn take_out(&mut self, tx: &WriteTransaction, taken: &[Change]) -> Result<()> {
        for change in taken {
            merge::remove_change(tx, change)?;
            if is_register(&change.field) {
                self.registers
                    .insert((change.entity.clone(), change.field.clone()));
            } else if change.field == "created" || change.field == "visit" {
                self.rows.insert(change.entity.clone());
            }
        }
        Ok(())
    }

    pub(super) fn finish(self, tx: &WriteTransaction) -> Result<()> {
        if self.registers.is_empty() && self.rows.is_empty() {
            return Ok(());
        }
        let entities: BTreeSet<&str> = self
            .registers
            .iter()
            .map(|(e, _)| e.as_str())
            .chain(self.rows.iter().map(String::as_str))
            .collect();
        let remaining = applied(tx, |c| entities.contains(c.entity.as_str()))?;
        let mut by_register: BTreeMap<(&str, &str), Vec<&Change>> = BTreeMap::new();
        let mut carriers: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
        for change in &remaining {
            if change.field == "created" || change.field == "visit" {
                carriers.entry(&change.entity).or_default().push(change);
            } else {
                by_register
                    .entry((&change.entity, &change.field))
                    .or_default()
                    .push(change);
            }
        }
        for entity in &self.rows {
            if crate::notice::in_seed(entity)? {
                // A row of the built-in notice stays as it is.
                continue;
            }
            match carriers.get(entity.as_str()).and_then(|c| c.first()) {
                None => merge::remove_row(tx, entity)?,
                Some(first) => rows::record_again(tx, first)?,
            }
        }
        let seed = crate::notice::seed()?;
        for (entity, field) in &self.registers {
            let key = head_key(entity, field);
            heads::remove(tx, &key)?;
            let mut batch = merge::Batch::default();
            for change in by_register
                .get(&(entity.as_str(), field.as_str()))
                .into_iter()
                .flatten()
            {
                batch.reapply(tx, change)?;
            }
            batch.finish(tx)?;
            if heads::read(tx, &key)?.is_empty() {
                let created = carriers.get(entity.as_str()).and_then(|c| c.first());
                restore_original(tx, &seed, entity, field, created.copied())?;
            }
        }
        Ok(())
    }
}

/// Sets a lead field back to its value in the notice the lead came from: the built-in notice, or
/// the first `created` change that brought it (`created`).
fn restore_original(
    tx: &WriteTransaction,
    seed: &Notice,
    entity: &str,
    field: &str,
    created: Option<&Change>,
) -> Result<()> {
    let id = entity.trim_start_matches("lead:");
    // A lead of the built-in notice is its seed row (a `created` change for it is never
    // applied); another lead is as the first `created` change brought it.
    let original: Option<Lead> = match seed.leads.iter().find(|l| l.id == id) {
        Some(lead) => Some(lead.clone()),
        None => created.and_then(|c| serde_json::from_value(c.value.clone()).ok()),
    };
    // The field's value as the lead came, read back like a change's value.
    let value = original
        .and_then(|lead| serde_json::to_value(lead).ok())
        .and_then(|json| LeadField::from_change(field, &json[field]));
    match value {
        Some(value) => merge::set_field(tx, id, &value),
        None => Ok(()),
    }
}

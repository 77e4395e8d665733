//! The rows `created` changes bring (a lead, a channel, a notice): which `created` change a row is
//! made from, writing it, and making it anew when that change leaves the log.

use redb::{ReadableTable, WriteTransaction};

use super::merge::{replay_key, settle_lead};
use super::records::{decode, encode};
use super::{db_err, lead_rows, tables};
use crate::error::{Error, Result};
use crate::model::{Channel, Lead, NoticeMeta};
use crate::search::key;
use crate::sync::Change;

/// A row a `created` change brings: a lead, a channel or a notice.
pub(super) enum Row {
    Lead(Lead),
    Channel(Channel),
    Notice(NoticeMeta),
}

impl Row {
    /// The row `change` carries (`None` for a change that creates no row).
    pub(super) fn read(change: &Change) -> Result<Option<Row>> {
        let bad = |what: &str| Error::Store {
            detail: format!("change {} has an unreadable {what}", change.id),
        };
        let value = change.value.clone();
        Ok(Some(match change.entity.split_once(':').map(|(k, _)| k) {
            Some("lead") => Row::Lead(serde_json::from_value(value).map_err(|_| bad("lead"))?),
            Some("channel") => {
                Row::Channel(serde_json::from_value(value).map_err(|_| bad("channel"))?)
            }
            Some("notice") => {
                Row::Notice(serde_json::from_value(value).map_err(|_| bad("notice"))?)
            }
            _ => return Ok(None),
        }))
    }

    /// The row of `kind` (`lead`, `channel`, `notice`) in a `created` change's JSON value.
    pub(super) fn parse(change: &str, kind: &str, json: &str) -> Result<Row> {
        let bad = |what: &str| Error::Store {
            detail: format!("change {change} has an unreadable {what}"),
        };
        Ok(match kind {
            "lead" => Row::Lead(serde_json::from_str(json).map_err(|_| bad("lead"))?),
            "channel" => Row::Channel(serde_json::from_str(json).map_err(|_| bad("channel"))?),
            _ => Row::Notice(serde_json::from_str(json).map_err(|_| bad("notice"))?),
        })
    }

    fn write(&self, tx: &WriteTransaction, id: &str) -> Result<()> {
        match self {
            Row::Lead(lead) => {
                tx.open_table(tables::LEADS)
                    .map_err(db_err)?
                    .insert(id, lead_rows::encode(lead)?.as_slice())
                    .map_err(db_err)?;
                tx.open_table(tables::LEAD_SEARCH)
                    .map_err(db_err)?
                    .insert(id, key::lead_key(lead).as_bytes())
                    .map_err(db_err)?;
            }
            Row::Channel(channel) => {
                tx.open_table(tables::CHANNELS)
                    .map_err(db_err)?
                    .insert(id, encode(channel)?.as_str())
                    .map_err(db_err)?;
                tx.open_table(tables::CHANNEL_SEARCH)
                    .map_err(db_err)?
                    .insert(id, key::channel_key(channel).as_bytes())
                    .map_err(db_err)?;
            }
            Row::Notice(meta) => {
                tx.open_table(tables::NOTICES)
                    .map_err(db_err)?
                    .insert(id, encode(meta)?.as_str())
                    .map_err(db_err)?;
            }
        }
        Ok(())
    }
}

fn row_exists(tx: &WriteTransaction, entity: &str) -> Result<bool> {
    let (kind, id) = entity.split_once(':').unwrap_or(("", ""));
    let held = match kind {
        "lead" => tx
            .open_table(tables::LEADS)
            .map_err(db_err)?
            .get(id)
            .map_err(db_err)?
            .is_some(),
        "channel" => tx
            .open_table(tables::CHANNELS)
            .map_err(db_err)?
            .get(id)
            .map_err(db_err)?
            .is_some(),
        _ => tx
            .open_table(tables::NOTICES)
            .map_err(db_err)?
            .get(id)
            .map_err(db_err)?
            .is_some(),
    };
    Ok(held)
}

/// Makes a row from a `created` change: the row is the first `created` change's in replay order
/// (`created_by_v1`), whatever order they arrive in, so that import and `verify` keep the same
/// one. A row the store holds with no `created` change is the built-in notice's and stays.
pub(super) fn create_row(tx: &WriteTransaction, change: &Change, row: &Row) -> Result<()> {
    let entity = change.entity.as_str();
    let by: Option<(String, u64)> = {
        let table = tx.open_table(tables::CREATED_BY).map_err(db_err)?;
        let value = table.get(entity).map_err(db_err)?;
        value.map(|v| {
            let (d, i) = v.value();
            (d.to_string(), i)
        })
    };
    let rewrite = match &by {
        // A row of the built-in notice stays; one written with its own `created` change
        // (`import-notice`) is that change's.
        None if crate::notice::in_seed(entity)? => return Ok(()),
        None => !row_exists(tx, entity)?,
        Some((d, i)) if *d == change.device && *i == change.idx => return Ok(()),
        Some((d, i)) => {
            let first = tx
                .open_table(tables::CHANGES)
                .map_err(db_err)?
                .get((d.as_str(), *i))
                .map_err(db_err)?
                .map(|v| decode::<Change>(entity, v.value()))
                .transpose()?;
            match first {
                Some(first) if replay_key(&first) < replay_key(change) => return Ok(()),
                Some(first) => first.value != change.value,
                None => true,
            }
        }
    };
    tx.open_table(tables::CREATED_BY)
        .map_err(db_err)?
        .insert(entity, (change.device.as_str(), change.idx))
        .map_err(db_err)?;
    if rewrite {
        recreate(tx, entity, row)?;
    }
    Ok(())
}

/// Writes a row anew and, for a lead, sets its fields from their registers' heads (field changes
/// that arrived before the lead, or that replaced the row's values).
pub(super) fn recreate(tx: &WriteTransaction, entity: &str, row: &Row) -> Result<()> {
    let id = entity.split_once(':').map_or("", |(_, id)| id);
    row.write(tx, id)?;
    if matches!(row, Row::Lead(_)) {
        settle_lead(tx, entity)?;
    }
    Ok(())
}

/// Makes a row anew from a `created` change that remains when the one it was made from was taken
/// out of the log (a visit's row stays: the changes that carry one visit agree on it).
pub(super) fn record_again(tx: &WriteTransaction, change: &Change) -> Result<()> {
    let Some(row) = Row::read(change)? else {
        return Ok(());
    };
    tx.open_table(tables::CREATED_BY)
        .map_err(db_err)?
        .insert(change.entity.as_str(), (change.device.as_str(), change.idx))
        .map_err(db_err)?;
    recreate(tx, &change.entity, &row)
}

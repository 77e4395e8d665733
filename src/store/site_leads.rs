//! Leads recorded on site (`model::site_lead`): written with their search key and their `created`
//! change in one transaction, numbered in this device's own namespace.

use redb::{ReadableTable, WriteTransaction};

use super::{Store, db_err, lead_rows, tables};
use crate::error::{Error, Result};
use crate::model::Lead;
use crate::model::site_lead::{NewLead, namespace};
use crate::search::key;

impl Store {
    /// Records a new lead found on site as this device's next in its namespace
    /// (`site-…/1`, `/2`…), or refuses it naming the field that must change (nothing written).
    pub fn add_site_lead(&self, typed: &NewLead, today: chrono::NaiveDate) -> Result<Lead> {
        let writer = self.writer()?;
        let space = namespace(&writer.identity.device_id);
        let tx = self.db.begin_write().map_err(db_err)?;
        let seq = next_seq(&tx, &space)?;
        let lead = typed
            .parse(&space, seq, today)
            .map_err(|problem| Error::BadNewLead { problem })?;
        tx.open_table(tables::LEADS)
            .map_err(db_err)?
            .insert(lead.id.as_str(), lead_rows::encode(&lead)?.as_slice())
            .map_err(db_err)?;
        tx.open_table(tables::LEAD_SEARCH)
            .map_err(db_err)?
            .insert(lead.id.as_str(), key::lead_key(&lead).as_bytes())
            .map_err(db_err)?;
        let value = serde_json::to_value(&lead).map_err(|e| Error::Store {
            detail: format!("lead {} cannot be logged: {e}", lead.id),
        })?;
        super::changes::append(&tx, &writer, format!("lead:{}", lead.id), "created", value)?;
        tx.commit().map_err(db_err)?;
        Ok(lead)
    }
}

/// One more than the highest number this namespace holds (leads of it may have come back from
/// HQ after a restore, so the store is asked, not a counter).
fn next_seq(tx: &WriteTransaction, space: &str) -> Result<u32> {
    let leads = tx.open_table(tables::LEADS).map_err(db_err)?;
    let (from, to) = (format!("{space}/"), format!("{space}0"));
    let mut highest = 0;
    for entry in leads.range(from.as_str()..to.as_str()).map_err(db_err)? {
        let (id, _) = entry.map_err(db_err)?;
        if let Some(n) = id
            .value()
            .rsplit('/')
            .next()
            .and_then(|n| n.parse::<u32>().ok())
        {
            highest = highest.max(n);
        }
    }
    highest.checked_add(1).ok_or_else(|| Error::Store {
        detail: format!("the namespace {space} holds no more numbers"),
    })
}

//! Leads as the store holds them (`leads_v3`, schema 11; `leads_v2` from schema 9 held them
//! without the contact person and phone, `upgrade_v2`): postcard bytes, not JSON. Every listing,
//! the report and the terminal app read every lead, and decoding a million leads' JSON was most
//! of their time; postcard rows are about half the size and several times cheaper to decode.
//!
//! postcard is not self-describing: a field is found by its place, an enum variant by its index.
//! So `Lead`'s fields and the variants of its enums may only be reordered, added or removed with
//! a new table and a migration (which `#[serde(default)]` cannot replace here).

use redb::WriteTransaction;
use serde::Deserialize;

use super::{db_err, tables};
use crate::error::{Error, Result};
use crate::model::{Lead, LeadKind, Status};
use crate::search::key;
use crate::sync::LeadField;

/// Writes a lead after `field` changed it, and its search key too when the field is one a search
/// reads (a debtor or an amount found on site is searched like the notice's).
pub(super) fn write_changed(tx: &WriteTransaction, lead: &Lead, field: &LeadField) -> Result<()> {
    tx.open_table(tables::LEADS)
        .map_err(db_err)?
        .insert(lead.id.as_str(), encode(lead)?.as_slice())
        .map_err(db_err)?;
    if matches!(field, LeadField::Debtor(_) | LeadField::Amount(_)) {
        tx.open_table(tables::LEAD_SEARCH)
            .map_err(db_err)?
            .insert(lead.id.as_str(), key::lead_key(lead).as_bytes())
            .map_err(db_err)?;
    }
    Ok(())
}

/// A lead's stored bytes.
pub(super) fn encode(lead: &Lead) -> Result<Vec<u8>> {
    postcard::to_allocvec(lead).map_err(|e| Error::Store {
        detail: format!("lead {} cannot be stored: {e}", lead.id),
    })
}

/// The lead stored under `key` (counted like every record read, `records_decoded`).
pub(super) fn decode(key: &str, bytes: &[u8]) -> Result<Lead> {
    super::records::count_decoded();
    postcard::from_bytes(bytes).map_err(|e| Error::Store {
        detail: format!("record {key} cannot be read: {e}"),
    })
}

/// A lead as schema 9 and 10 stored it (`leads_v2`): `Lead` without its last two fields.
#[derive(Deserialize)]
struct LeadV2 {
    id: String,
    seq: u32,
    creditor: String,
    debtor: Option<String>,
    district: String,
    amount_yuan: Option<i64>,
    matter: String,
    deadline: Option<chrono::NaiveDate>,
    status: Status,
    supervised: bool,
    confidential: bool,
    notice: String,
    assignee: Option<String>,
    kind: LeadKind,
    attention: bool,
}

/// A row of `leads_v2` as this schema stores it (no contact person, no phone).
pub(super) fn upgrade_v2(key: &str, bytes: &[u8]) -> Result<Vec<u8>> {
    let old: LeadV2 = postcard::from_bytes(bytes).map_err(|e| Error::Store {
        detail: format!("record {key} cannot be read: {e}"),
    })?;
    encode(&Lead {
        id: old.id,
        seq: old.seq,
        creditor: old.creditor,
        debtor: old.debtor,
        district: old.district,
        amount_yuan: old.amount_yuan,
        matter: old.matter,
        deadline: old.deadline,
        status: old.status,
        supervised: old.supervised,
        confidential: old.confidential,
        notice: old.notice,
        assignee: old.assignee,
        kind: old.kind,
        attention: old.attention,
        contact: None,
        phone: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{LeadKind, Status};

    fn lead() -> Lead {
        Lead {
            id: "cq-jfb-2022-3/a3/1".into(),
            seq: 1,
            creditor: "重庆朋昆科技有限公司".into(),
            debtor: None,
            district: "北碚区".into(),
            amount_yuan: Some(1_234_500),
            matter: "拖欠货款".into(),
            deadline: chrono::NaiveDate::from_ymd_opt(2022, 3, 31),
            status: Status::Verifying,
            supervised: true,
            confidential: false,
            notice: "cq-jfb-2022-3".into(),
            assignee: Some("检查员1".into()),
            kind: LeadKind::default(),
            attention: true,
            contact: Some("王会计".into()),
            phone: Some("023-68860760".into()),
        }
    }

    #[test]
    fn a_row_of_schema_10_reads_as_a_lead_with_no_contact() {
        let lead = Lead {
            contact: None,
            phone: None,
            ..lead()
        };
        let new = encode(&lead).unwrap();
        // Schema 10's bytes: the same, without the two trailing `None`s.
        let old = &new[..new.len() - 2];
        assert_eq!(decode("k", &upgrade_v2("k", old).unwrap()).unwrap(), lead);
        assert!(upgrade_v2("k", &old[..old.len() / 2]).is_err());
    }

    #[test]
    fn a_lead_reads_back_as_it_was_stored() {
        let lead = lead();
        let bytes = encode(&lead).unwrap();
        assert_eq!(decode("k", &bytes).unwrap(), lead);
        let json = serde_json::to_vec(&lead).unwrap();
        assert!(
            bytes.len() * 3 < json.len() * 2,
            "{} vs {}",
            bytes.len(),
            json.len()
        );
    }

    #[test]
    fn damaged_bytes_are_an_error_naming_the_record() {
        let bytes = encode(&lead()).unwrap();
        let err = decode("cq/a3/1", &bytes[..bytes.len() / 2]).unwrap_err();
        assert!(err.to_string().contains("cq/a3/1"), "{err}");
    }
}

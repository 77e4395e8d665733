//! Leads as the store holds them (`leads_v2`, schema 9): postcard bytes, not JSON. Every listing,
//! the report and the terminal app read every lead, and decoding a million leads' JSON was most
//! of their time; postcard rows are about half the size and several times cheaper to decode.
//!
//! postcard is not self-describing: a field is found by its place, an enum variant by its index.
//! So `Lead`'s fields and the variants of its enums may only be reordered, added or removed with
//! a new table and a migration (which `#[serde(default)]` cannot replace here).

use crate::error::{Error, Result};
use crate::model::Lead;

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
        }
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

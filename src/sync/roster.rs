//! Enrolment: a roster entry, signed by the store that enrolled a device (headquarters, HQ),
//! binds the device's id to its keys and to the names people see (device name, inspector,
//! district), and says from which idx on the device is revoked. Entries travel in bundles, so
//! a laptop that pinned its HQ accepts every device HQ vouches for without trusting each by
//! hand; names shown come from here, never from a bundle's header.

use serde::{Deserialize, Serialize};

use super::keys::{self, PeerKey};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    pub device: String,
    /// The device's peer key (`fc1:…`).
    pub key: String,
    pub name: String,
    pub inspector: String,
    #[serde(default)]
    pub district: Option<String>,
    /// Changes of the device from this idx on are refused and kept apart (a lost laptop).
    #[serde(default)]
    pub revoked_from: Option<u64>,
    /// The issuer's version of this entry: a higher one replaces a lower one.
    pub seq: u64,
    /// RFC 3339, UTC.
    pub issued: String,
    /// The device id of the store that signed the entry.
    pub issuer: String,
    /// The issuer's ed25519 signature over `signed_bytes`, hex.
    pub sig: String,
}

/// The prefix of every roster entry's signed bytes.
pub const ROSTER_DOMAIN: &[u8] = b"fieldcheck roster v2\n";

impl RosterEntry {
    pub fn signed_bytes(&self) -> Vec<u8> {
        let unsigned = RosterEntry {
            sig: String::new(),
            ..self.clone()
        };
        let mut out = ROSTER_DOMAIN.to_vec();
        out.extend(serde_json::to_vec(&unsigned).unwrap_or_default());
        out
    }

    pub fn sign(&mut self, key: &ed25519_dalek::SigningKey) {
        self.sig = keys::sign(key, &self.signed_bytes());
    }

    /// Does the signature hold for the issuer's signing key (hex), and is the entry's key a
    /// peer key of the device it names?
    pub fn verify(&self, issuer_signing: &str) -> bool {
        self.peer().is_some() && keys::verify(issuer_signing, &self.signed_bytes(), &self.sig)
    }

    /// The device's peer key, if the entry's key is one for its device.
    pub fn peer(&self) -> Option<PeerKey> {
        PeerKey::parse(&self.key).filter(|p| p.device == self.device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_verifies_only_unaltered_and_for_its_issuer() {
        let hq = keys::Keys::generate().unwrap();
        let laptop = keys::Keys::generate().unwrap();
        let device = uuid::Uuid::now_v7().to_string();
        let mut entry = RosterEntry {
            device: device.clone(),
            key: laptop.peer(&device).to_string(),
            name: "laptop-7".into(),
            inspector: "张三".into(),
            district: Some("北碚区".into()),
            revoked_from: None,
            seq: 1,
            issued: "2026-12-01T00:00:00Z".into(),
            issuer: "hq".into(),
            sig: String::new(),
        };
        entry.sign(&hq.signing);
        let hq_public = keys::public_hex(&hq.signing);
        assert!(entry.verify(&hq_public));
        assert!(!entry.verify(&keys::public_hex(&laptop.signing)));
        let renamed = RosterEntry {
            inspector: "李四".into(),
            ..entry.clone()
        };
        assert!(!renamed.verify(&hq_public));
        let other_device = RosterEntry {
            device: uuid::Uuid::now_v7().to_string(),
            ..entry.clone()
        };
        assert!(other_device.peer().is_none());
    }
}

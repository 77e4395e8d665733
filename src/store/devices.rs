//! The devices a store knows the keys of (`devices_v1`): itself, the HQs it pinned, devices it
//! enrolled (`trust add`, a signed roster entry issued here), devices its pinned HQs vouch for
//! (roster entries received, see `roster.rs`), and devices trusted on first use. Every change
//! received is checked against the key of the device it names, found here.

use std::collections::BTreeMap;

use redb::{ReadableDatabase, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use super::quarantine::{self, Reason};
use super::records::{decode, encode};
use super::{Store, db_err, roster, tables, tables::meta};
use crate::error::{Error, Result};
use crate::sync::keys::PeerKey;
use crate::sync::roster::RosterEntry;
use crate::sync::{Change, Hlc};

/// How this store came to trust a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Vouch {
    /// This store itself.
    Own,
    /// Added here by `trust add`, by the inspector named.
    Operator { by: String },
    /// Trusted on first use (`import --trust-new`) by the inspector named, after the fingerprint
    /// was shown.
    FirstUse { by: String },
    /// A roster entry signed by a pinned HQ (device id).
    Roster { issuer: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub device: String,
    /// Its peer key, `fc1:…`.
    pub key: String,
    pub fingerprint: String,
    /// ed25519, hex.
    pub signing: String,
    /// age X25519 recipient.
    pub recipient: String,
    pub name: String,
    pub inspector: String,
    #[serde(default)]
    pub district: Option<String>,
    /// A headquarters this store pinned: its bundles are encrypted to it, its roster trusted.
    #[serde(default)]
    pub hq: bool,
    pub vouch: Vouch,
    /// Changes from this idx on are refused and kept apart.
    #[serde(default)]
    pub revoked_from: Option<u64>,
    /// Removed by `trust remove`: its changes are kept apart, whoever relays them.
    #[serde(default)]
    pub removed: bool,
    /// When this store added it (RFC 3339).
    pub added: String,
    /// The signed roster entry that vouches for it: issued here, or that of the live pinned HQ
    /// with the lowest device id among `vouched_by` (its names are the ones shown).
    #[serde(default)]
    pub entry: Option<RosterEntry>,
    /// What each pinned HQ said of the device (by issuer): its latest roster entry (the highest
    /// seq) for each key it named — one, unless it tried to re-key the device. A device vouched
    /// for only by rosters counts as removed when none of these issuers is a live pinned HQ.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub vouched_by: BTreeMap<String, Vec<RosterEntry>>,
    /// The peer keys claimed for the device when they disagree (live pinned HQs' entries, and a
    /// first-use binding), sorted; empty when they agree. None of its changes is applied until
    /// the operator settles it: `trust add` the right key, or `trust remove` the HQ that vouched
    /// for the other.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disputed: Vec<String>,
}

impl Device {
    pub(super) fn new(peer: &PeerKey, name: &str, inspector: &str, vouch: Vouch) -> Device {
        Device {
            device: peer.device.clone(),
            key: peer.to_string(),
            fingerprint: peer.fingerprint(),
            signing: peer.signing.clone(),
            recipient: peer.recipient.clone(),
            name: name.into(),
            inspector: inspector.into(),
            district: None,
            hq: false,
            vouch,
            revoked_from: None,
            removed: false,
            added: chrono::Utc::now().to_rfc3339(),
            entry: None,
            vouched_by: BTreeMap::new(),
            disputed: Vec::new(),
        }
    }

    /// May changes of this device at `idx` be applied?
    pub fn accepts(&self, idx: u64) -> bool {
        !self.removed && self.revoked_from.is_none_or(|from| idx < from)
    }

    /// Takes the key a peer key names (its fingerprint, signing key and age recipient).
    pub(super) fn set_key(&mut self, peer: &PeerKey) {
        self.key = peer.to_string();
        self.fingerprint = peer.fingerprint();
        self.signing = peer.signing.clone();
        self.recipient = peer.recipient.clone();
    }
}

/// A device as stored. One stored before devices kept every pinned HQ's entry has its one
/// voucher's entry in `entry` only.
fn read(id: &str, json: &str) -> Result<Device> {
    let mut device: Device = decode(id, json)?;
    if let (Vouch::Roster { issuer }, Some(entry), true) =
        (&device.vouch, &device.entry, device.vouched_by.is_empty())
        && entry.issuer == *issuer
    {
        device
            .vouched_by
            .insert(issuer.clone(), vec![entry.clone()]);
    }
    Ok(device)
}

pub(super) fn get(tx: &WriteTransaction, device: &str) -> Result<Option<Device>> {
    let table = tx.open_table(tables::DEVICES).map_err(db_err)?;
    let value = table.get(device).map_err(db_err)?;
    value.map(|v| read(device, v.value())).transpose()
}

/// Every device this store knows, as stored.
pub(super) fn all(tx: &WriteTransaction) -> Result<Vec<Device>> {
    let table = tx.open_table(tables::DEVICES).map_err(db_err)?;
    let mut out = Vec::new();
    for entry in table.iter().map_err(db_err)? {
        let (k, v) = entry.map_err(db_err)?;
        out.push(read(k.value(), v.value())?);
    }
    Ok(out)
}

pub(super) fn put(tx: &WriteTransaction, device: &Device) -> Result<()> {
    tx.open_table(tables::DEVICES)
        .map_err(db_err)?
        .insert(device.device.as_str(), encode(device)?.as_str())
        .map_err(db_err)?;
    Ok(())
}

/// Gives a store its peer key and its own device entry, and signs its own change log (a store
/// from before signed changes: each own change gets its hash link and signature; changes from
/// other devices stay as they are, vouched for only by the bundle that brought them).
pub(super) fn enrol_self(store: &Store) -> Result<()> {
    let identity = store.identity()?;
    let keys = store.keys()?;
    let peer = keys.peer(&identity.device_id);
    let tx = store.db.begin_write().map_err(db_err)?;
    put(
        &tx,
        &Device::new(
            &peer,
            &identity.device_name,
            &identity.inspector,
            Vouch::Own,
        ),
    )?;
    tx.open_table(tables::META)
        .map_err(db_err)?
        .insert(meta::PEER_KEY, peer.to_string().as_str())
        .map_err(db_err)?;
    let own: Vec<Change> = {
        let table = tx.open_table(tables::CHANGES).map_err(db_err)?;
        let device = identity.device_id.as_str();
        let mut out = Vec::new();
        for entry in table
            .range((device, 0)..=(device, u64::MAX))
            .map_err(db_err)?
        {
            let (k, v) = entry.map_err(db_err)?;
            out.push(decode::<Change>(&k.value().1.to_string(), v.value())?);
        }
        out
    };
    let mut prev: Option<String> = None;
    let mut table = tx.open_table(tables::CHANGES).map_err(db_err)?;
    for mut change in own {
        change.prev = prev.take();
        change.sign(&keys.signing);
        prev = Some(change.hash());
        table
            .insert(
                (change.device.as_str(), change.idx),
                encode(&change)?.as_str(),
            )
            .map_err(db_err)?;
    }
    drop(table);
    tx.commit().map_err(db_err)
}

/// What `trust add` was asked to do.
#[derive(Debug, Clone, Default)]
pub struct TrustOptions {
    pub name: String,
    /// The inspector who uses the device (else the one a roster entry named, if any).
    pub inspector: Option<String>,
    pub district: Option<String>,
    /// Pin the key as this store's headquarters.
    pub hq: bool,
}

impl Store {
    /// Every device this store knows, itself included (with the names its identity has now).
    pub fn devices(&self) -> Result<Vec<Device>> {
        let identity = self.identity()?;
        let tx = self.db.begin_read().map_err(db_err)?;
        let table = tx.open_table(tables::DEVICES).map_err(db_err)?;
        let mut out = Vec::new();
        for entry in table.iter().map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            let mut device = read(k.value(), v.value())?;
            if device.device == identity.device_id {
                device.name = identity.device_name.clone();
                device.inspector = identity.inspector.clone();
                device.district = identity.district.clone();
            }
            out.push(device);
        }
        Ok(out)
    }

    /// Has this store pinned a headquarters?
    pub fn has_hq(&self) -> Result<bool> {
        Ok(self.devices()?.iter().any(|d| d.hq && !d.removed))
    }

    /// Trusts (enrols) the device whose peer key is `key`: a device entry, and a roster entry
    /// signed by this store that travels in its bundles (a laptop that pinned this store as its
    /// HQ then accepts the device too). With `hq`, the key is pinned as this store's HQ.
    ///
    /// A device's id and key are made together: a device this store itself enrolled with another
    /// key is refused. One known only through rosters or a first use (a disputed one among them)
    /// takes the operator's choice, which then stands against every roster; its changes applied
    /// under the other key are taken back (they wait for a signature that holds).
    pub fn trust(&self, key: &str, options: &TrustOptions) -> Result<Device> {
        // As typed or read from a QR code (which holds it in upper case): every part of a key
        // is written in lower case.
        let peer = PeerKey::parse(&key.to_ascii_lowercase())
            .ok_or_else(|| Error::BadKey { key: key.into() })?;
        let writer = self.writer()?;
        let own = writer.identity.device_id.clone();
        if peer.device == own {
            return Err(Error::BadKey { key: key.into() });
        }
        let tx = self.db.begin_write().map_err(db_err)?;
        let existing = get(&tx, &peer.device)?;
        let key = peer.to_string();
        let rekeyed = existing.as_ref().is_some_and(|d| d.key != key);
        if rekeyed
            && existing
                .as_ref()
                .is_some_and(|d| matches!(d.vouch, Vouch::Own | Vouch::Operator { .. }))
        {
            return Err(Error::KeyChanged {
                device: peer.device.clone(),
            });
        }
        let inspector = options.inspector.clone().unwrap_or_else(|| {
            existing
                .as_ref()
                .and_then(|d| {
                    if d.key == key {
                        return Some(d.inspector.clone());
                    }
                    let vouched = d.vouched_by.values().flatten().find(|e| e.key == key);
                    vouched.map(|e| e.inspector.clone())
                })
                .unwrap_or_default()
        });
        let mut device = Device::new(
            &peer,
            &options.name,
            &inspector,
            Vouch::Operator {
                by: writer.identity.inspector.clone(),
            },
        );
        device.district = options.district.clone();
        device.hq = options.hq;
        let hqs_change = options.hq || existing.as_ref().is_some_and(|d| d.hq);
        if let Some(old) = existing {
            // A revocation is never undone; what each pinned HQ said stays on record.
            device.revoked_from = old.revoked_from;
            device.added = old.added;
            device.vouched_by = old.vouched_by;
        }
        device.entry = Some(issue(&tx, &writer, &device)?);
        put(&tx, &device)?;
        if rekeyed {
            quarantine::take_back(&tx, &device.device, 0, Reason::BadSignature)?;
        }
        if hqs_change {
            roster::settle_all(&tx, &own)?;
        }
        tx.commit().map_err(db_err)?;
        Ok(device)
    }

    /// Stops trusting a device (by device id, peer key or fingerprint): its changes not yet
    /// held are kept apart from now on, whoever relays them; those already applied stay
    /// (revoke from an idx to take them back). A pinned HQ removed no longer vouches for
    /// anything: what its roster decided is settled again without it.
    pub fn distrust(&self, which: &str) -> Result<Device> {
        let mut device = self.find_device(which)?;
        let was_hq = device.hq && !device.removed;
        device.removed = true;
        device.hq = false;
        let tx = self.db.begin_write().map_err(db_err)?;
        put(&tx, &device)?;
        if was_hq {
            roster::settle_all(&tx, &self.identity()?.device_id)?;
        }
        tx.commit().map_err(db_err)?;
        Ok(device)
    }

    /// Revokes a device from `from` on (a lost laptop): its changes at or after that idx are
    /// taken out of the state and kept apart, here and, through the signed roster entry, at
    /// every store that trusts this one as its HQ. Changes before it stay.
    pub fn revoke(&self, which: &str, from: u64) -> Result<Device> {
        let mut device = self.find_device(which)?;
        let writer = self.writer()?;
        device.revoked_from = Some(device.revoked_from.map_or(from, |r| r.min(from)));
        let tx = self.db.begin_write().map_err(db_err)?;
        device.entry = Some(issue(&tx, &writer, &device)?);
        put(&tx, &device)?;
        quarantine::take_back(&tx, &device.device, from, Reason::Revoked)?;
        tx.commit().map_err(db_err)?;
        Ok(device)
    }

    /// The device named by an id, a peer key or a fingerprint (or a unique start of one).
    pub fn find_device(&self, which: &str) -> Result<Device> {
        let which = which.trim();
        let own = self.identity()?.device_id;
        let found: Vec<Device> = self
            .devices()?
            .into_iter()
            .filter(|d| d.device != own && !which.is_empty())
            .filter(|d| {
                d.device.starts_with(which) || d.key == which || d.fingerprint.starts_with(which)
            })
            .collect();
        match <[Device; 1]>::try_from(found) {
            Ok([d]) => Ok(d),
            Err(_) => Err(Error::BadKey { key: which.into() }),
        }
    }

    /// Who recorded `visit`, as this store verified it: the name of the device whose signed
    /// change brought it (`None` for a device it knows nothing verified of).
    pub fn visit_author(&self, visit: &str) -> Result<Option<String>> {
        let device = {
            let tx = self.db.begin_read().map_err(db_err)?;
            let table = tx.open_table(tables::VISIT_DEVICES).map_err(db_err)?;
            let value = table.get(visit).map_err(db_err)?;
            value.map(|v| v.value().to_string())
        };
        match device {
            Some(d) => self.verified_author(&d),
            None => Ok(None),
        }
    }

    /// `verified_author` for every device this store knows.
    pub fn verified_authors(&self) -> Result<std::collections::BTreeMap<String, String>> {
        Ok(self
            .devices()?
            .into_iter()
            .filter_map(|d| shown_name(&d).map(|name| (d.device.clone(), name)))
            .collect())
    }

    /// The name people see for a device's changes: its inspector and device name as this store
    /// verified them (own identity, the operator, or a pinned HQ's roster), or `None` for a
    /// device it knows nothing verified of.
    pub fn verified_author(&self, device: &str) -> Result<Option<String>> {
        Ok(self
            .devices()?
            .iter()
            .find(|d| d.device == device)
            .and_then(shown_name))
    }
}

/// `inspector@device name`, or whichever of the two is known; nothing for a device trusted on
/// first use that nobody named (its key is known, not who uses it).
fn shown_name(d: &Device) -> Option<String> {
    match (d.inspector.is_empty(), d.name.is_empty()) {
        (false, false) => Some(format!("{}@{}", d.inspector, d.name)),
        (false, true) => Some(d.inspector.clone()),
        (true, _) if matches!(d.vouch, Vouch::FirstUse { .. }) => None,
        (true, _) => Some(d.name.clone()),
    }
}

/// A roster entry for `device`, signed by this store, with the next seq.
fn issue(
    tx: &WriteTransaction,
    writer: &super::changes::Writer,
    device: &Device,
) -> Result<RosterEntry> {
    let mut table = tx.open_table(tables::META).map_err(db_err)?;
    let seq: u64 = table
        .get(meta::ROSTER_SEQ)
        .map_err(db_err)?
        .and_then(|v| v.value().parse().ok())
        .unwrap_or(0)
        + 1;
    table
        .insert(meta::ROSTER_SEQ, seq.to_string().as_str())
        .map_err(db_err)?;
    let mut entry = RosterEntry {
        device: device.device.clone(),
        key: device.key.clone(),
        name: device.name.clone(),
        inspector: device.inspector.clone(),
        district: device.district.clone(),
        revoked_from: device.revoked_from,
        seq,
        issued: chrono::Utc::now().to_rfc3339(),
        issuer: writer.identity.device_id.clone(),
        sig: String::new(),
    };
    entry.sign(&writer.signing);
    Ok(entry)
}

/// A device's clock is the sender's word: the latest clock this store will take in.
pub(super) fn latest_acceptable(now_ms: u64) -> Hlc {
    Hlc {
        ms: now_ms.saturating_add(crate::sync::clock::AHEAD_REPORTED_MS),
        n: u32::MAX,
    }
}

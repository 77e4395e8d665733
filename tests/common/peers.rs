//! Stores as peers, for the sync tests: in-memory devices, trust between them, bundles of chosen
//! changes (each keeping its own signature) and changes made by hand.

use fieldcheck::store::{ImportOptions, Imported, InitOptions, Store, TrustOptions};
use fieldcheck::sync::bundle::{self, Packer};
use fieldcheck::sync::{Change, Hlc};
use serde_json::json;

/// The leads of the built-in notice.
pub const LEADS: [&str; 3] = [
    "cq-jfb-2022-3/a3/1",
    "cq-jfb-2022-3/a3/2",
    "cq-jfb-2022-3/a3/3",
];

pub const DAY_MS: u64 = 24 * 60 * 60 * 1000;

/// An in-memory store whose inspector and device are both called `name`.
pub fn device(name: &str) -> Store {
    Store::memory(&InitOptions {
        inspector: Some(name.into()),
        device: Some(name.into()),
        ..InitOptions::default()
    })
    .unwrap()
}

pub fn id(store: &Store) -> String {
    store.identity().unwrap().device_id
}

/// `store` enrols `other` under `name`.
pub fn trust(store: &Store, other: &Store, name: &str) {
    store
        .trust(
            &other.identity().unwrap().public_key,
            &TrustOptions {
                name: name.into(),
                ..Default::default()
            },
        )
        .unwrap();
}

/// A plain bundle of `changes` (each keeping its own signature), packed by `store`.
pub fn bundle_of(store: &Store, changes: &[Change]) -> Vec<u8> {
    let keys = store.keys().unwrap();
    let peer = keys.peer(&id(store));
    bundle::write(
        changes,
        &[],
        &Packer {
            key: &peer,
            signing: &keys.signing,
        },
        None,
    )
}

pub fn try_import(store: &Store, bytes: &[u8]) -> fieldcheck::error::Result<Imported> {
    store.import(
        bytes,
        "b.fcb",
        &ImportOptions {
            allow_plain: true,
            ..ImportOptions::default()
        },
    )
}

pub fn import(store: &Store, bytes: &[u8]) -> Imported {
    try_import(store, bytes).unwrap()
}

/// A change of device `device` made by hand (not signed): it sets the attention mark of the
/// third lead.
pub fn change(device: &str, idx: u64, prev: Option<&Change>, ms: u64) -> Change {
    Change {
        id: uuid::Uuid::now_v7().to_string(),
        device: device.into(),
        idx,
        author: "x".into(),
        clock: Hlc { ms, n: 0 },
        entity: format!("lead:{}", LEADS[2]),
        field: "attention".into(),
        value: json!(true),
        base: None,
        merges: Vec::new(),
        prev: prev.map(Change::hash),
        sig: String::new(),
    }
}

/// `change` signed with `store`'s key.
pub fn signed(mut change: Change, store: &Store) -> Change {
    change.sign(&store.signing_key().unwrap());
    change
}

pub fn now_ms() -> u64 {
    fieldcheck::sync::clock::now_ms()
}

/// `a` enrols `b` (with `b`'s names); with `hq`, `a` pins `b` as its headquarters.
pub fn enrol(a: &Store, b: &Store, hq: bool) {
    let id = b.identity().unwrap();
    let options = fieldcheck::store::TrustOptions {
        name: id.device_name,
        inspector: Some(id.inspector),
        hq,
        ..Default::default()
    };
    a.trust(&id.public_key, &options).unwrap();
}

/// An on-site visit to `lead` that the rules accept: written evidence, a next step, a deadline.
pub fn visit_form(lead: &str) -> fieldcheck::model::form::VisitForm {
    fieldcheck::model::form::VisitForm {
        lead: lead.into(),
        kind: "onsite".into(),
        finding: "unreachable".into(),
        evidence: vec!["contract:HT-1".into()],
        next: "再联系".into(),
        due: "+7".into(),
        ..fieldcheck::model::form::VisitForm::default()
    }
}

/// `from`'s changes not exported yet, sealed to the devices it trusts, imported into `to`.
pub fn send(from: &Store, to: &Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.fcb");
    let options = fieldcheck::store::ExportOptions {
        out: Some(path.clone()),
        ..fieldcheck::store::ExportOptions::default()
    };
    let today = chrono::NaiveDate::from_ymd_opt(2022, 1, 28).unwrap();
    from.export(&options, today).unwrap().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    to.import(&bytes, "b.fcb", &ImportOptions::default())
        .unwrap();
}

//! Every redb table of a fieldcheck store, in one place. Names carry a version suffix: a change
//! to a table's key or value layout gets a new name and a migration (see `migrate.rs`).
//!
//! | table | key | value | meaning |
//! |---|---|---|---|
//! | `meta_v1` | setting name | text | schema version, device id (UUIDv7), inspector, device name, created, district, next idx, clock |
//! | `notices_v1` | notice id (`cq-jfb-2022-3`) | JSON `NoticeMeta` | notices imported, with number, date, contact, feedback deadline |
//! | `channels_v1` | channel id (`cq-jfb-2022-3/a2/15`) | JSON `Channel` | the complaint-channel directory |
//! | `leads_v3` | lead id (`cq-jfb-2022-3/a3/1`, `site-…/1` for a lead recorded on site) | postcard bytes of `Lead` (`lead_rows.rs`) | leads and their current state; JSON in `leads_v1` until schema 9, without contact and phone in `leads_v2` until schema 11 |
//! | `channel_search_v2` | channel id | search key, UTF-8 bytes | per-channel search key (text, pinyin, digits), written with the channel |
//! | `lead_search_v2` | lead id | search key, UTF-8 bytes | per-lead search key, written with the lead; bytes so that a search reads them without checking a million of them are UTF-8 (it checks only those that pass its prefilter) |
//! | `changes_v1` | (device id, idx) | JSON `Change` | every device's change log, idx 1, 2, 3… per device |
//! | `visits_v3` | visit id (UUIDv7) | postcard bytes of `Visit` (`visit_rows.rs`) | finalized visits; never edited (a correction is a new visit, with its reason); JSON in `visits_v1` until schema 10, without a reason in `visits_v2` until schema 11 |
//! | `lead_visits_v1` | lead id | visit ids (multimap) | each lead's visits |
//! | `drafts_v1` | lead id | JSON `VisitForm` | the visit being typed for a lead, saved on every change |
//! | `change_ids_v1` | change id | (device id, idx) | every change held, by id (duplicates, ancestry) |
//! | `heads_v1` | `entity` U+001F `field` | JSON `[Head]` | the concurrent latest values of a last-writer-wins field; more than one with different values is a conflict |
//! | `devices_v1` | device id | JSON `Device` | every device this store knows the keys of: itself, pinned HQs, devices enrolled here or vouched for by pinned HQs (the signed roster entry shown, and every pinned HQ's latest entry for each key it named, `vouched_by`), devices trusted on first use; revocations, removals and key disputes (`disputed`: the keys claimed, when they disagree) |
//! | `quarantine_v1` | device id U+001F idx (20 digits) U+001F change hash | JSON `Quarantined` | changes kept apart for a person, not applied: from a revoked, removed or unknown device, dated far ahead, or equivocating |
//! | `visit_devices_v1` | visit id | device id | the device whose signed change brought the visit: who recorded it, as verified |
//! | `kept_visits_v1` | visit id | JSON `[hash]` | content hashes (SHA-256 of the visit's JSON) of the visits carried by changes kept apart whose signatures were checked: a visit id with two contents is found whichever is applied |
//! | `visit_changes_v1` | visit id | (device id, idx) (multimap) | the applied changes that carry each visit: a visit found with two contents is taken back without reading the log |
//! | `created_by_v1` | entity (`lead:…`, `channel:…`, `notice:…`) | (device id, idx) | the applied `created` change a row was made from: the first in replay order, so that import and `verify` keep the same row; none for the rows of the built-in notice |
//! | `quarantine_by_v1` | `visit` U+001F visit id, or `id` U+001F change id | `quarantine_v1` key (multimap) | the changes kept apart that carry a visit id or a change id: a dispute relabels them without reading the whole quarantine |
//! | `device_logs_v1` | device id | JSON `{"highest": idx, "gaps": [[from, to], …]}` | per device, the highest idx the log holds and the ranges below it it does not: kept as changes enter and leave the log, so that `sync status` and an import's gaps cost the devices, not the log |
//! | `conflicts_v1` | `entity` U+001F `field` | empty | the registers whose heads hold different values (a conflict for a person): kept with `heads_v1`, so that listing and counting conflicts reads the conflicts, not every register |
//! | `disputes_v1` | `fork` U+001F device, or `visit` U+001F visit id | JSON `Dispute` | equivocation found: a device with two histories from an idx on, a visit id with two contents |
//!
//! `trusted_v1` (public keys trusted by hand, schema 4 and 5) is dropped by migration 6: its
//! keys cannot check signed changes, and the peers must exchange their new peer keys.

use redb::{MultimapTableDefinition, TableDefinition};

pub const META: TableDefinition<&str, &str> = TableDefinition::new("meta_v1");
pub const NOTICES: TableDefinition<&str, &str> = TableDefinition::new("notices_v1");
pub const CHANNELS: TableDefinition<&str, &str> = TableDefinition::new("channels_v1");
pub const LEADS: TableDefinition<&str, &[u8]> = TableDefinition::new("leads_v3");
pub const CHANNEL_SEARCH: TableDefinition<&str, &[u8]> = TableDefinition::new("channel_search_v2");
pub const LEAD_SEARCH: TableDefinition<&str, &[u8]> = TableDefinition::new("lead_search_v2");
pub const CHANGES: TableDefinition<(&str, u64), &str> = TableDefinition::new("changes_v1");
pub const VISITS: TableDefinition<&str, &[u8]> = TableDefinition::new("visits_v3");
pub const LEAD_VISITS: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("lead_visits_v1");
pub const DRAFTS: TableDefinition<&str, &str> = TableDefinition::new("drafts_v1");
pub const CHANGE_IDS: TableDefinition<&str, (&str, u64)> = TableDefinition::new("change_ids_v1");
pub const HEADS: TableDefinition<&str, &str> = TableDefinition::new("heads_v1");
pub const DEVICES: TableDefinition<&str, &str> = TableDefinition::new("devices_v1");
pub const QUARANTINE: TableDefinition<&str, &str> = TableDefinition::new("quarantine_v1");
pub const DISPUTES: TableDefinition<&str, &str> = TableDefinition::new("disputes_v1");
pub const KEPT_VISITS: TableDefinition<&str, &str> = TableDefinition::new("kept_visits_v1");
pub const VISIT_DEVICES: TableDefinition<&str, &str> = TableDefinition::new("visit_devices_v1");
pub const VISIT_CHANGES: MultimapTableDefinition<&str, (&str, u64)> =
    MultimapTableDefinition::new("visit_changes_v1");
pub const CREATED_BY: TableDefinition<&str, (&str, u64)> = TableDefinition::new("created_by_v1");
pub const DEVICE_LOGS: TableDefinition<&str, &str> = TableDefinition::new("device_logs_v1");
pub const CONFLICTS: TableDefinition<&str, &str> = TableDefinition::new("conflicts_v1");
pub const QUARANTINE_BY: MultimapTableDefinition<&str, &str> =
    MultimapTableDefinition::new("quarantine_by_v1");

/// Keys of the `meta_v1` table.
pub mod meta {
    pub const SCHEMA_VERSION: &str = "schema_version";
    pub const DEVICE_ID: &str = "device_id";
    pub const DEVICE_NAME: &str = "device_name";
    pub const INSPECTOR: &str = "inspector";
    pub const CREATED: &str = "created";
    /// The inspector's own district (for the "my district" filter), if set.
    pub const DISTRICT: &str = "district";
    /// Present once someone chose the names (`init` with a name, or the app's identity screen):
    /// until then the terminal app asks for them at start.
    pub const IDENTITY_SET: &str = "identity_set";
    /// The idx the next local change gets.
    pub const NEXT_IDX: &str = "next_idx";
    /// The last hybrid-logical-clock value issued, `ms.n`.
    pub const CLOCK: &str = "clock";
    /// This device's ed25519 public key, hex.
    pub const PUBLIC_KEY: &str = "public_key";
    /// This device's peer key (`fc1:…`: id, signing key, encryption recipient).
    pub const PEER_KEY: &str = "peer_key";
    /// The seq of the last roster entry this store issued.
    pub const ROSTER_SEQ: &str = "roster_seq";
    /// The highest own idx written to a bundle.
    pub const EXPORTED_IDX: &str = "exported_idx";
    /// The last export: `time path`.
    pub const LAST_EXPORT: &str = "last_export";
}

//! `verify`: the stored state against the state its change log rebuilds.

use std::collections::{BTreeMap, BTreeSet};

use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};
use serde::Serialize;

use super::log_spans::LogSpan;
use super::merge::{head_key, winner};
use super::records::{decode, encode};
use super::replay::{Carried, Rebuilt, Replay};
use super::rows::Row;
use super::sync::{conflict_from, conflict_of, is_conflict};
use super::{Store, db_err, lead_rows, tables, visit_rows};
use crate::error::{Error, Result};
use crate::model::{Channel, Lead, Notice, NoticeMeta, Visit};
use crate::progress::Stage;
use crate::sync::LeadField;

/// Something the stored state and the state rebuilt from the log disagree on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    pub entity: String,
    pub stored: Option<serde_json::Value>,
    pub rebuilt: Option<serde_json::Value>,
}

impl Store {
    /// Rebuilds the state from the built-in notice and the change log and lists every record
    /// where it differs from the stored state (empty: the store is consistent). Streamed: the
    /// log is read once for each change's entity and place in the replay order, then each stored
    /// row is compared, in key order, with what its entity's changes rebuild (`replay.rs`), and
    /// the entities no stored row has are rebuilt last. Nothing is written.
    pub fn verify(&self) -> Result<Vec<Difference>> {
        let tx = self.db.begin_read().map_err(db_err)?;
        let total = tx
            .open_table(tables::CHANGES)
            .map_err(db_err)?
            .len()
            .map_err(db_err)?;
        let replay = Replay::read(
            &tx,
            self.meter(Stage::Reading, total),
            self.meter(Stage::Replaying, total),
        )?;
        let seed = crate::notice::seed()?;
        // The leads (with the directory and the notices) on one core, the visits on the other.
        let (leads, visits) = std::thread::scope(|s| {
            let leads = s.spawn(|| {
                let mut check = Check::new(&replay, &seed);
                check.leads(&tx)?;
                check.json_rows(&tx, "channel", tables::CHANNELS)?;
                check.json_rows(&tx, "notice", tables::NOTICES)?;
                Ok::<_, Error>(check)
            });
            let mut check = Check::new(&replay, &seed);
            let visits = check.visits(&tx).map(|()| check);
            let leads = leads.join().unwrap_or_else(|_| {
                Err(Error::Store {
                    detail: "the check of the leads stopped".into(),
                })
            });
            (leads, visits)
        });
        let mut check = leads?;
        check.absorb(visits?);
        check.rest()?;
        check.seed_rows(&tx)?;
        let mut meter = self.meter(Stage::Comparing, 2);
        let Check {
            conflicts, mut out, ..
        } = check;
        compare_conflicts(&mut out, &tx, &conflicts)?;
        meter.add(1);
        compare_spans(&mut out, &tx, replay.spans())?;
        for m in replay.misplaced() {
            out.push(Difference {
                entity: format!("change:{}/{}", m.key.0, m.key.1),
                stored: Some(json(&m.key)?),
                rebuilt: Some(json(&m.says)?),
            });
        }
        meter.add(1);
        let rank = |d: &Difference| {
            let kind = d.entity.split_once(':').map_or("", |(k, _)| k);
            [
                "lead",
                "channel",
                "notice",
                "visit",
                "conflict-index",
                "conflict",
            ]
            .iter()
            .position(|k| *k == kind)
            .unwrap_or(6)
        };
        out.sort_by(|a, b| (rank(a), &a.entity).cmp(&(rank(b), &b.entity)));
        Ok(out)
    }
}

/// A comparison under way: the replay, what it found, and the conflicts its registers hold.
struct Check<'r> {
    replay: &'r Replay,
    seed: &'r Notice,
    out: Vec<Difference>,
    conflicts: BTreeMap<String, serde_json::Value>,
}

impl<'r> Check<'r> {
    fn new(replay: &'r Replay, seed: &'r Notice) -> Check<'r> {
        Check {
            replay,
            seed,
            out: Vec::new(),
            conflicts: BTreeMap::new(),
        }
    }

    /// Takes in what another comparison found.
    fn absorb(&mut self, other: Check) {
        self.out.extend(other.out);
        self.conflicts.extend(other.conflicts);
    }

    fn leads(&mut self, tx: &redb::ReadTransaction) -> Result<()> {
        let table = tx.open_table(tables::LEADS).map_err(db_err)?;
        for entry in table.iter().map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            let entity = format!("lead:{}", k.value());
            let rebuilt = self.replay.entity(&entity)?;
            let row = self.lead(&entity, rebuilt)?;
            let rebuilt = row.as_ref().map(lead_rows::encode).transpose()?;
            self.differ(&entity, Some(v.value()), rebuilt.as_deref(), |key, row| {
                json(&lead_rows::decode(key, row)?)
            })?;
        }
        Ok(())
    }

    fn visits(&mut self, tx: &redb::ReadTransaction) -> Result<()> {
        let table = tx.open_table(tables::VISITS).map_err(db_err)?;
        for entry in table.iter().map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            let entity = format!("visit:{}", k.value());
            let rebuilt = visit(self.replay.entity(&entity)?);
            let rebuilt = rebuilt.as_ref().map(visit_rows::encode).transpose()?;
            self.differ(&entity, Some(v.value()), rebuilt.as_deref(), visit_json)?;
        }
        Ok(())
    }

    /// The channels' or the notices' rows (JSON).
    fn json_rows(
        &mut self,
        tx: &redb::ReadTransaction,
        kind: &str,
        def: redb::TableDefinition<&str, &str>,
    ) -> Result<()> {
        let table = tx.open_table(def).map_err(db_err)?;
        for entry in table.iter().map_err(db_err)? {
            let (k, v) = entry.map_err(db_err)?;
            let entity = format!("{kind}:{}", k.value());
            let rebuilt = self.replay.entity(&entity)?;
            let rebuilt = self.row_json(&entity, rebuilt)?;
            self.differ(
                &entity,
                Some(v.value().as_bytes()),
                rebuilt.as_deref().map(str::as_bytes),
                |key, row| row_json(kind, key, row),
            )?;
        }
        Ok(())
    }

    /// The entities of the log no stored row has: any row they rebuild is missing.
    fn rest(&mut self) -> Result<()> {
        let replay = self.replay;
        replay.rest(|entity, rebuilt| {
            let row: Option<serde_json::Value> = match entity.split_once(':').map(|(k, _)| k) {
                Some("lead") => self
                    .lead(&entity, rebuilt)?
                    .as_ref()
                    .map(json)
                    .transpose()?,
                Some("visit") => visit(rebuilt).as_ref().map(json).transpose()?,
                _ => self
                    .row_json(&entity, rebuilt)?
                    .map(|row| serde_json::from_str(&row))
                    .transpose()
                    .map_err(|e| Error::Store {
                        detail: e.to_string(),
                    })?,
            };
            if let Some(row) = row {
                self.out.push(Difference {
                    entity,
                    stored: None,
                    rebuilt: Some(row),
                });
            }
            Ok(())
        })
    }

    /// Rows of the built-in notice that the store lost and no change touches.
    fn seed_rows(&mut self, tx: &redb::ReadTransaction) -> Result<()> {
        let leads = tx.open_table(tables::LEADS).map_err(db_err)?;
        let channels = tx.open_table(tables::CHANNELS).map_err(db_err)?;
        let notices = tx.open_table(tables::NOTICES).map_err(db_err)?;
        let mut lost: Vec<(String, serde_json::Value)> = Vec::new();
        for lead in &self.seed.leads {
            if leads.get(lead.id.as_str()).map_err(db_err)?.is_none() {
                lost.push((format!("lead:{}", lead.id), json(lead)?));
            }
        }
        for channel in &self.seed.channels {
            if channels.get(channel.id.as_str()).map_err(db_err)?.is_none() {
                lost.push((format!("channel:{}", channel.id), json(channel)?));
            }
        }
        let meta = &self.seed.meta;
        if notices.get(meta.id.as_str()).map_err(db_err)?.is_none() {
            lost.push((format!("notice:{}", meta.id), json(meta)?));
        }
        for (entity, row) in lost {
            // One that changes touch was rebuilt with them (`rest`).
            if !self.replay.holds(&entity)? {
                self.out.push(Difference {
                    entity,
                    stored: None,
                    rebuilt: Some(row),
                });
            }
        }
        Ok(())
    }

    /// A lead as its changes rebuild it: the built-in notice's row or its first `created`
    /// change's, with each register's winning value. Its registers' conflicts are noted.
    fn lead(&mut self, entity: &str, rebuilt: Rebuilt) -> Result<Option<Lead>> {
        let id = entity.trim_start_matches("lead:");
        let mut lead = match self.seed.leads.iter().find(|l| l.id == id) {
            Some(lead) => Some(lead.clone()),
            None => match rebuilt.first {
                Some(Carried::Row(Row::Lead(lead))) => Some(lead),
                _ => None,
            },
        };
        for (field, heads) in &rebuilt.registers {
            // Most registers hold one head: only a conflict's heads are copied.
            if is_conflict(heads)
                && let Some(conflict) = conflict_from(&head_key(entity, field), heads.clone())
            {
                self.conflicts.insert(conflict.id.clone(), json(&conflict)?);
            }
            let Some(win) = winner(heads) else {
                continue;
            };
            let value = LeadField::from_change(field, &win.value).ok_or_else(|| Error::Store {
                detail: format!("change {} sets {field} to an unreadable value", win.id),
            })?;
            if let Some(lead) = &mut lead {
                value.apply(lead);
            }
        }
        Ok(lead)
    }

    /// A channel's or a notice's row (JSON) as its changes rebuild it.
    fn row_json(&self, entity: &str, rebuilt: Rebuilt) -> Result<Option<String>> {
        let (kind, id) = entity.split_once(':').unwrap_or(("", entity));
        match kind {
            "channel" => match self.seed.channels.iter().find(|c| c.id == id) {
                Some(seed) => encode(seed).map(Some),
                None => match rebuilt.first {
                    Some(Carried::Row(Row::Channel(c))) => encode(&c).map(Some),
                    _ => Ok(None),
                },
            },
            _ if self.seed.meta.id == id => encode(&self.seed.meta).map(Some),
            _ => match rebuilt.first {
                Some(Carried::Row(Row::Notice(n))) => encode(&n).map(Some),
                _ => Ok(None),
            },
        }
    }

    /// Notes a difference where the stored and the rebuilt row differ: rows written the same are
    /// the same; others are compared as the records they hold (a row written by an older
    /// version, with a field it lacked taking its default, is the same record).
    fn differ(
        &mut self,
        entity: &str,
        stored: Option<&[u8]>,
        rebuilt: Option<&[u8]>,
        read: impl Fn(&str, &[u8]) -> Result<serde_json::Value>,
    ) -> Result<()> {
        if stored == rebuilt {
            return Ok(());
        }
        let key = entity.split_once(':').map_or(entity, |(_, id)| id);
        let (x, y) = (
            stored.map(|row| read(key, row)).transpose()?,
            rebuilt.map(|row| read(key, row)).transpose()?,
        );
        if x != y {
            self.out.push(Difference {
                entity: entity.to_string(),
                stored: x,
                rebuilt: y,
            });
        }
        Ok(())
    }
}

fn visit(rebuilt: Rebuilt) -> Option<Visit> {
    match rebuilt.first {
        Some(Carried::Visit(v)) => Some(v),
        _ => None,
    }
}

fn json<T: Serialize>(record: &T) -> Result<serde_json::Value> {
    serde_json::to_value(record).map_err(|e| Error::Store {
        detail: e.to_string(),
    })
}

fn visit_json(key: &str, row: &[u8]) -> Result<serde_json::Value> {
    json(&visit_rows::decode(key, row)?)
}

fn row_json(kind: &str, key: &str, row: &[u8]) -> Result<serde_json::Value> {
    let text = std::str::from_utf8(row).map_err(|e| Error::Store {
        detail: format!("record {key} cannot be read: {e}"),
    })?;
    match kind {
        "channel" => json(&decode::<Channel>(key, text)?),
        _ => json(&decode::<NoticeMeta>(key, text)?),
    }
}

/// The registers' conflicts must follow from the log: compared register by register, and the
/// set of registers in conflict (`conflicts_v1`) with the stored heads.
fn compare_conflicts(
    out: &mut Vec<Difference>,
    tx: &redb::ReadTransaction,
    rebuilt: &BTreeMap<String, serde_json::Value>,
) -> Result<()> {
    let table = tx.open_table(tables::HEADS).map_err(db_err)?;
    // Conflicts are few (a person resolves each): these maps stay small.
    let mut stored = BTreeMap::new();
    for entry in table.iter().map_err(db_err)? {
        let (k, v) = entry.map_err(db_err)?;
        if let Some(c) = conflict_of(k.value(), v.value())? {
            stored.insert(c.id.clone(), json(&c)?);
        }
    }
    let indexed = super::heads::conflict_keys(&tx.open_table(tables::CONFLICTS).map_err(db_err)?)?;
    let indexed: BTreeSet<String> = indexed
        .iter()
        .map(|k| super::sync::conflict_id(k))
        .collect();
    for id in indexed.symmetric_difference(&stored.keys().cloned().collect()) {
        out.push(Difference {
            entity: format!("conflict-index:{id}"),
            stored: Some(serde_json::Value::Bool(indexed.contains(id))),
            rebuilt: Some(serde_json::Value::Bool(stored.contains_key(id))),
        });
    }
    let keys: BTreeSet<&String> = stored.keys().chain(rebuilt.keys()).collect();
    for key in keys {
        let (x, y) = (stored.get(key), rebuilt.get(key));
        if x != y {
            out.push(Difference {
                entity: format!("conflict:{key}"),
                stored: x.cloned(),
                rebuilt: y.cloned(),
            });
        }
    }
    Ok(())
}

/// Each device's summary of its log held (`device_logs_v1`) against the log's keys.
fn compare_spans(
    out: &mut Vec<Difference>,
    tx: &redb::ReadTransaction,
    rebuilt: &BTreeMap<String, LogSpan>,
) -> Result<()> {
    let table = tx.open_table(tables::DEVICE_LOGS).map_err(db_err)?;
    let mut stored = BTreeMap::new();
    for entry in table.iter().map_err(db_err)? {
        let (k, v) = entry.map_err(db_err)?;
        let span: LogSpan = decode(k.value(), v.value())?;
        stored.insert(k.value().to_string(), span);
    }
    let devices: BTreeSet<&String> = stored.keys().chain(rebuilt.keys()).collect();
    for device in devices {
        let (x, y) = (stored.get(device), rebuilt.get(device));
        if x != y {
            out.push(Difference {
                entity: format!("device-log:{device}"),
                stored: x.map(json).transpose()?,
                rebuilt: y.map(json).transpose()?,
            });
        }
    }
    Ok(())
}

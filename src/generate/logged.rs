//! `dev generate --devices D`: data that went through the log, as a headquarters holds it after
//! a year of work. The notice's leads are imported here (`import_notice`: this store's own
//! signed changes); D laptops, enrolled here with their districts, visit the leads of their
//! districts along the lifecycle — on-site checks (some disputed, some paid, some unreachable),
//! revisits that confirm or reopen, assignments — each change signed by its laptop and chained,
//! and arrive as the laptops' signed bundles through `import`, every check included. Now and
//! then two laptops assign one lead at once: a conflict. `verify` passes on the result and
//! `export --all` carries all of it.

use chrono::NaiveDate;
use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha256};

use super::{BATCH, Rng, districts, leads_batch, notice_meta};
use crate::error::Result;
use crate::model::rules::transition;
use crate::model::{Channel, Evidence, EvidenceKind, Finding, Notice, Status, Visit, VisitKind};
use crate::store::{ImportOptions, Store, TrustOptions};
use crate::sync::bundle::{self, Packer};
use crate::sync::keys::{Keys, PeerKey};
use crate::sync::seal::EncKey;
use crate::sync::{Change, Hlc};

/// How many laptops, and how many visits in all (spread 1–3 a lead along the lifecycle).
pub struct Devices {
    pub devices: usize,
    pub visits: usize,
}

/// One generated laptop: its keys, its log so far, and the changes not delivered yet.
struct Laptop {
    peer: PeerKey,
    signing: SigningKey,
    inspector: String,
    next_idx: u64,
    prev: Option<String>,
    pending: Vec<Change>,
}

impl Laptop {
    fn new(seed: u64, k: usize) -> Laptop {
        let secret: [u8; 32] = Sha256::digest(format!("fieldcheck dev generate {seed} {k}")).into();
        let signing = SigningKey::from_bytes(&secret);
        let id = uuid::Builder::from_unix_timestamp_millis(
            1_646_100_000_000 + k as u64,
            &secret[..10].try_into().unwrap_or([0; 10]),
        )
        .into_uuid()
        .to_string();
        let keys = Keys {
            signing,
            enc: EncKey::generate(),
        };
        Laptop {
            peer: keys.peer(&id),
            signing: keys.signing,
            inspector: format!("检查员{}", k + 1),
            next_idx: 1,
            prev: None,
            pending: Vec::new(),
        }
    }

    /// Appends a signed change to this laptop's log.
    fn write(
        &mut self,
        clock: Hlc,
        entity: String,
        field: &str,
        value: serde_json::Value,
        base: Option<String>,
    ) -> String {
        let digest = Sha256::digest(format!("{} {}", self.peer.device, self.next_idx));
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        let mut change = Change {
            id: uuid::Uuid::from_bytes(bytes).to_string(),
            device: self.peer.device.clone(),
            idx: self.next_idx,
            author: self.inspector.clone(),
            clock,
            entity,
            field: field.into(),
            value,
            base,
            merges: Vec::new(),
            prev: self.prev.take(),
            sig: String::new(),
        };
        change.sign(&self.signing);
        self.prev = Some(change.hash());
        self.next_idx += 1;
        let id = change.id.clone();
        self.pending.push(change);
        id
    }
}

/// A lead's registers as the laptops last saw them: value and the change that set it.
#[derive(Default)]
struct Seen {
    status: Option<String>,
    assignee: Option<String>,
    attention: Option<String>,
}

/// Fills the store like `generate`, but through the change log (see the module comment).
pub fn generate_logged(
    store: &Store,
    leads: usize,
    devices: &Devices,
    seed: u64,
    mut lines: Option<&mut dyn std::io::Write>,
) -> Result<super::Generated> {
    let mut rng = Rng::new(seed);
    let channels: Vec<Channel> = store.channels()?;
    let districts = districts(&channels);
    let (meta, date) = notice_meta(seed);
    let mut laptops: Vec<Laptop> = (0..devices.devices.max(1))
        .map(|k| Laptop::new(seed, k))
        .collect();
    for (k, laptop) in laptops.iter().enumerate() {
        store.trust(
            &laptop.peer.to_string(),
            &TrustOptions {
                name: format!("生成-{}", k + 1),
                inspector: Some(laptop.inspector.clone()),
                district: districts
                    .get(k % districts.len().max(1))
                    .map(|c| c.name.clone()),
                hq: false,
            },
        )?;
    }
    let mut clock = Hlc {
        ms: 1_646_100_000_000,
        n: 0,
    };
    let mut visits_left = devices.visits;
    let mut made = 0;
    // The imports that deliver the laptops' bundles stay quiet: only the leads made are told.
    let hushed = store.hush();
    let mut meter = crate::progress::Meter::new(
        hushed.sink.clone(),
        crate::progress::Stage::Applying,
        leads as u64,
    );
    while made < leads {
        let count = BATCH.min(leads - made);
        let batch = leads_batch(
            &mut rng, &districts, &meta.id, date, made, count, &mut lines,
        )?;
        store.import_notice(&Notice {
            meta: meta.clone(),
            channels: Vec::new(),
            leads: batch.clone(),
        })?;
        for lead in &batch {
            if visits_left == 0 {
                break;
            }
            let home = districts
                .iter()
                .position(|d| d.name == lead.district)
                .unwrap_or(0);
            let k = home % laptops.len();
            let n = (1 + rng.below(3)).min(visits_left);
            let mut seen = Seen::default();
            let mut status = lead.status;
            let mut attention = lead.attention;
            for v in 0..n {
                if status == Status::Closed {
                    break;
                }
                clock.ms += 60_000;
                let (kind, finding) = if status == Status::Resolved {
                    let ok = rng.below(4) > 0;
                    (
                        VisitKind::Revisit,
                        if ok {
                            Finding::Confirmed
                        } else {
                            Finding::NotConfirmed
                        },
                    )
                } else {
                    let f = *rng.pick(&[
                        Finding::Disputed,
                        Finding::Paid,
                        Finding::Paid,
                        Finding::ArrearsUndisputed,
                        Finding::Unreachable,
                        Finding::NoArrears,
                    ]);
                    (VisitKind::Onsite, f)
                };
                let outcome = transition(status, attention, finding);
                let step = Step {
                    kind,
                    finding,
                    before: status,
                    after: outcome.status,
                    attention,
                };
                let visit = visit_of(
                    &mut rng,
                    lead.id.as_str(),
                    &laptops[k].inspector,
                    &step,
                    date,
                    clock,
                );
                let laptop = &mut laptops[k];
                if v == 0 {
                    seen.assignee = Some(laptop.write(
                        clock,
                        format!("lead:{}", lead.id),
                        "assignee",
                        laptop.inspector.clone().into(),
                        seen.assignee.take(),
                    ));
                    // Now and then a colleague takes the lead at the same time: a conflict.
                    if rng.below(200) == 0 && laptops.len() > 1 {
                        let other = (k + 1) % laptops.len();
                        let name = laptops[other].inspector.clone();
                        laptops[other].write(
                            clock,
                            format!("lead:{}", lead.id),
                            "assignee",
                            name.into(),
                            None,
                        );
                    }
                }
                let laptop = &mut laptops[k];
                clock.n += 1;
                laptop.write(
                    clock,
                    format!("visit:{}", visit.id),
                    "visit",
                    serde_json::to_value(&visit).unwrap_or_default(),
                    None,
                );
                if outcome.status != status {
                    clock.n += 1;
                    seen.status = Some(laptop.write(
                        clock,
                        format!("lead:{}", lead.id),
                        "status",
                        outcome.status.code().into(),
                        seen.status.take(),
                    ));
                }
                if outcome.attention != attention {
                    clock.n += 1;
                    seen.attention = Some(laptop.write(
                        clock,
                        format!("lead:{}", lead.id),
                        "attention",
                        outcome.attention.into(),
                        seen.attention.take(),
                    ));
                }
                clock.n = 0;
                status = outcome.status;
                attention = outcome.attention;
                visits_left -= 1;
            }
        }
        deliver(store, &mut laptops)?;
        made += count;
        meter.add(count as u64);
    }
    Ok(super::Generated {
        leads,
        visits: devices.visits - visits_left,
    })
}

/// Each laptop's pending changes, as its signed bundle, imported here like any other.
fn deliver(store: &Store, laptops: &mut [Laptop]) -> Result<()> {
    for laptop in laptops.iter_mut() {
        if laptop.pending.is_empty() {
            continue;
        }
        let packer = Packer {
            key: &laptop.peer,
            signing: &laptop.signing,
        };
        for part in bundle::write_parts(&laptop.pending, &[], &packer, bundle::PART_BYTES) {
            store.import(&part, "dev generate", &ImportOptions::default())?;
        }
        laptop.pending.clear();
    }
    Ok(())
}

/// One visit's place in a lead's lifecycle.
struct Step {
    kind: VisitKind,
    finding: Finding,
    before: Status,
    after: Status,
    attention: bool,
}

/// A visit the rules accept for its finding: evidence where a finding needs it, a next step
/// where one must follow, whom a revisit spoke to and why one did not confirm.
fn visit_of(
    rng: &mut Rng,
    lead: &str,
    inspector: &str,
    step: &Step,
    date: NaiveDate,
    clock: Hlc,
) -> Visit {
    let Step {
        kind,
        finding,
        before,
        after,
        attention,
    } = *step;
    let next =
        crate::model::rules::needs_next_action(finding).then(|| crate::model::visit::NextAction {
            text: "约双方协商".into(),
            due: date.checked_add_days(chrono::Days::new(7)),
        });
    Visit {
        id: format!("gen-{}-{lead}", clock.ms),
        lead: lead.into(),
        kind,
        finding: Some(finding),
        at: chrono::DateTime::from_timestamp_millis(i64::try_from(clock.ms).unwrap_or(0))
            .unwrap_or_default(),
        inspector: inspector.into(),
        // A revisit names whom it spoke to (rule 5).
        met: if kind == VisitKind::Revisit {
            vec![crate::model::visit::Person {
                name: "企业负责人".into(),
                role: "负责人".into(),
                phone: String::new(),
            }]
        } else {
            Vec::new()
        },
        amount_yuan: None,
        paid_yuan: None,
        evidence: vec![Evidence {
            kind: *rng.pick(EvidenceKind::ALL),
            reference: format!("DOC-{}", clock.ms),
            note: String::new(),
        }],
        cause: None,
        next,
        notes: if finding == Finding::NotConfirmed {
            "企业称尚有尾款未付".into()
        } else {
            String::new()
        },
        supersedes: None,
        status_before: Some(before),
        status_after: Some(after),
        attention_before: attention,
        reason: String::new(),
    }
}

//! Carries out what `update` asks for: saves go to the store (their outcome comes back as an
//! action), searches go to the search worker, long work (import, export, a resolution) to the
//! work thread, whose outcome comes back as `Action::WorkDone`.

use std::sync::mpsc::Sender;

use super::action::{Action, Records, SyncDone};
use super::searcher::{Job, Request};
use super::update::Effect;
use crate::i18n::Lang;
use crate::store::Store;

pub struct Runner<'a> {
    pub store: &'a Store,
    pub searches: Sender<Job>,
    pub lang: Lang,
    /// The date taken as today (relative due dates like `+7` count from it).
    pub today: chrono::NaiveDate,
    /// Where long work goes (the work thread, see `work_thread`); without one it runs here.
    pub worker: Option<Sender<Effect>>,
    /// `today` was the real date when the app started (no `--today` in the past): visits are
    /// stamped by the wall clock, also after midnight; otherwise at noon of `today`.
    pub live: bool,
}

/// Runs the long work sent to it, one at a time, and sends back what each ended with, until the
/// app drops its end of the channel (the work under way is finished first: an import is one
/// transaction, and never left half done).
pub fn work_thread(
    runner: &Runner,
    work: std::sync::mpsc::Receiver<Effect>,
    done: impl Fn(Action) -> bool,
) {
    while let Ok(effect) = work.recv() {
        let (what, began) = (effect.work(), std::time::Instant::now());
        let action = runner.run(effect);
        if let Some(work) = what {
            let ms = began.elapsed().as_secs_f64() * 1000.0;
            tracing::info!(ms, ?work, "work finished");
        }
        if let Some(action) = action
            && !done(action)
        {
            return;
        }
    }
}

/// What a sync operation changes of what the app shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reload {
    /// Nothing (an export).
    No,
    /// Records (a resolution).
    Records,
    /// Records and the rows the search holds (an import).
    AndReindex,
}

impl Runner<'_> {
    /// Runs a sync operation and reports it with the Sync tab's new state and, where it changed
    /// them (`reload`), the records read again; after an import, the search worker gets new
    /// keys and the same records.
    /// The time to stamp a visit with (see `live`).
    fn stamp(&self) -> chrono::DateTime<chrono::Utc> {
        if self.live {
            chrono::Utc::now()
        } else {
            crate::clock::now_on(self.today)
        }
    }

    /// Imports the bundle at `path` (trusting `trust`'s key first, if given). A refusal because
    /// its packer is not trusted names the packer, for the app to ask about.
    fn import(&self, path: &str, trust: Option<(&str, &crate::store::TrustOptions)>) -> Action {
        let untrusted = std::cell::RefCell::new(None);
        let mut action = self.sync(Reload::AndReindex, |store, lang| {
            if let Some((key, options)) = trust {
                store.trust(key, options)?;
            }
            // The same size cap as the command line's import.
            let bytes = crate::sync::bundle::read_file(std::path::Path::new(path))?;
            let r = store
                .import(&bytes, path, &crate::store::ImportOptions::default())
                .inspect_err(|e| {
                    if let crate::error::Error::Bundle {
                        problem: crate::sync::bundle::Problem::Untrusted { key, fingerprint },
                        ..
                    } = e
                    {
                        *untrusted.borrow_mut() = Some(super::action::Untrusted {
                            path: path.to_string(),
                            key: key.clone(),
                            fingerprint: fingerprint.clone(),
                        });
                    }
                })?;
            let mut text = match lang {
                Lang::Zh => format!(
                    "已导入：应用 {} 条，重复 {} 条，冲突 {} 处，缺失 {} 段",
                    r.applied,
                    r.duplicates,
                    r.conflicts,
                    r.gaps.len()
                ),
                Lang::En => format!(
                    "Imported: {} applied, {} duplicates, {} conflicts, {} gaps",
                    r.applied,
                    r.duplicates,
                    r.conflicts,
                    r.gaps.len()
                ),
            };
            if let Some(warning) = r.warning(lang) {
                text.push_str(lang.pick("。", ". "));
                text.push_str(&warning);
            }
            Ok((text, false))
        });
        if let Action::SyncDone(done) = &mut action {
            done.untrusted = untrusted.into_inner();
        }
        action
    }

    /// Writes a bundle of the changes not exported yet into the bundles folder, or to `out` (a
    /// folder such as a USB stick, or a file).
    fn export(&self, out: Option<std::path::PathBuf>) -> Action {
        self.sync(Reload::No, |store, lang| {
            let options = crate::store::ExportOptions {
                out,
                ..crate::store::ExportOptions::default()
            };
            Ok(match store.export(&options, self.today)? {
                None => (
                    lang.pick("没有需要导出的变更。", "Nothing to export.")
                        .into(),
                    false,
                ),
                Some(e) => (
                    match lang {
                        Lang::Zh => format!("已导出 {} 条变更：{}", e.changes, e.path.display()),
                        Lang::En => format!("Exported {} changes: {}", e.changes, e.path.display()),
                    },
                    false,
                ),
            })
        })
    }

    fn sync(
        &self,
        reload: Reload,
        work: impl FnOnce(&Store, Lang) -> crate::error::Result<(String, bool)>,
    ) -> Action {
        let (message, error, done) = match work(self.store, self.lang) {
            Ok((message, error)) => (message, error, true),
            Err(e) => (e.message(self.lang), true, false),
        };
        let fresh = || -> crate::error::Result<SyncDone> {
            let mut records = match reload {
                Reload::No => None,
                _ if !done => None,
                Reload::Records | Reload::AndReindex => {
                    Some(Records::read(self.store, self.today, self.lang)?)
                }
            };
            if let (Reload::AndReindex, Some(records)) = (reload, &mut records) {
                self.reindex(records);
            }
            Ok(SyncDone {
                message: message.clone(),
                error,
                snapshot: super::sync_snapshot(self.store)?,
                reload: records,
                untrusted: None,
                select: None,
            })
        };
        match fresh() {
            Ok(done) => Action::SyncDone(Box::new(done)),
            Err(e) => self.failed(e),
        }
    }

    /// New search keys after an import brought new leads or channels, over the records the app
    /// is about to show (in the store's order, which is the app's).
    fn reindex(&self, records: &mut Records) {
        if let Ok(index) = crate::search::Index::load(self.store) {
            // `Records::read` always makes them; read the visits again only if it did not.
            let texts = match records.texts.take() {
                Some(texts) => *texts,
                None => match self.store.visits(None) {
                    Ok(visits) => {
                        super::visit_search::VisitTexts::new(&records.leads, &visits, self.lang)
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "reading the visits to search failed");
                        return;
                    }
                },
            };
            let searcher = super::searcher::Searcher::new(
                index,
                records.leads.clone(),
                records.channels.clone(),
                texts,
            );
            let _ = self.searches.send(Job::Reindex(Box::new(searcher)));
        }
    }

    fn failed(&self, e: crate::error::Error) -> Action {
        tracing::warn!(error = %e, "a store operation failed");
        Action::Failed(e.message(self.lang))
    }

    /// Runs one effect; returns the action it results in right away, if any. Long work goes to
    /// the worker if there is one.
    pub fn run(&self, effect: Effect) -> Option<Action> {
        if let (Effect::Release(_), Some(worker)) = (&effect, &self.worker) {
            let _ = worker.send(effect);
            return None;
        }
        if effect.work().is_some() {
            if let Some(worker) = &self.worker {
                // The worker only stops when the app does.
                let _ = worker.send(effect);
                return None;
            }
            return self
                .now(effect)
                .map(|done| Action::WorkDone(Box::new(done)));
        }
        self.now(effect)
    }

    fn now(&self, effect: Effect) -> Option<Action> {
        match effect {
            Effect::Release(records) => {
                drop(records);
                None
            }
            Effect::Open { visit, lead } => {
                // A few records by key: well under a millisecond, so on the UI thread. What
                // cannot be read shows as not found (the detail pane says so), and is logged.
                let visit = visit.map(|id| {
                    let found = self.store.visit(&id).inspect_err(|e| {
                        tracing::warn!(visit = %id, error = %e, "reading a visit failed");
                    });
                    (id, found.ok())
                });
                let visit_author = match &visit {
                    Some((id, Some(_))) => self.store.visit_author(id).unwrap_or_else(|e| {
                        tracing::warn!(visit = %id, error = %e, "reading who recorded a visit failed");
                        None
                    }),
                    _ => None,
                };
                let lead = lead.map(|id| {
                    let found = self.store.visits(Some(&id)).inspect_err(|e| {
                        tracing::warn!(lead = %id, error = %e, "reading a lead's visits failed");
                    });
                    (id, found.unwrap_or_default())
                });
                Some(Action::Opened(Box::new(super::state_visits::Opened {
                    visit,
                    visit_author,
                    lead,
                })))
            }
            Effect::Search {
                generation,
                tab,
                query,
            } => {
                let request = Request {
                    generation,
                    tab,
                    query,
                };
                // The worker only stops when the app does.
                let _ = self.searches.send(Job::Search(request));
                None
            }
            Effect::SaveDraft(form) => self.store.save_draft(&form).err().map(|e| self.failed(e)),
            Effect::SaveIdentity {
                inspector,
                device,
                district,
            } => Some(
                match self.store.set_identity(&inspector, &device, &district) {
                    Ok(()) => Action::IdentitySaved {
                        inspector,
                        device,
                        district: Some(district).filter(|d| !d.is_empty()),
                    },
                    Err(e) => self.failed(e),
                },
            ),
            Effect::DiscardDraft(lead) => self
                .store
                .discard_draft(&lead)
                .err()
                .map(|e| self.failed(e)),
            Effect::Finalize(form) => Some(
                match self.store.finalize(&form, self.stamp(), self.today, true) {
                    Ok(done) => Action::Finalized(Box::new(done)),
                    Err(crate::error::Error::VisitRejected { problems }) => {
                        Action::Rejected(problems)
                    }
                    Err(e) => self.failed(e),
                },
            ),
            Effect::Export => Some(self.export(None)),
            Effect::ExportTo(path) => Some(self.export(Some(path.into()))),
            Effect::ListBundles(folder) => {
                let dir = folder.unwrap_or_else(|| {
                    let mut d = self.store.bundles_dir().display().to_string();
                    d.push(std::path::MAIN_SEPARATOR);
                    d
                });
                let files = bundles_in(&dir);
                Some(Action::PromptReady { dir, files })
            }
            Effect::ListDrives => Some(Action::DrivesReady(
                crate::drives::removable()
                    .into_iter()
                    .map(|p| {
                        let mut d = p.display().to_string();
                        if !d.ends_with(std::path::MAIN_SEPARATOR) {
                            d.push(std::path::MAIN_SEPARATOR);
                        }
                        d
                    })
                    .collect(),
            )),
            Effect::Import(path) => Some(self.import(&path, None)),
            Effect::TrustAndImport {
                path,
                key,
                name,
                hq,
            } => {
                let options = crate::store::TrustOptions {
                    name,
                    hq,
                    ..crate::store::TrustOptions::default()
                };
                Some(self.import(&path, Some((&key, &options))))
            }
            Effect::Resolve { id, keep } => Some(self.sync(Reload::Records, |store, lang| {
                let change = store.resolve(&id, keep)?;
                Ok((
                    match lang {
                        crate::i18n::Lang::Zh => {
                            format!("已解决：{} 保留为 {}", change.field, change.value)
                        }
                        crate::i18n::Lang::En => {
                            format!("Resolved: {} is {}", change.field, change.value)
                        }
                    },
                    false,
                ))
            })),
            Effect::AddLead(typed) => {
                let mut added = None;
                let mut action = self.sync(Reload::AndReindex, |store, lang| {
                    let lead = store.add_site_lead(&typed, self.today)?;
                    let text = match lang {
                        Lang::Zh => format!("已记录新线索 {}：{}", lead.id, lead.creditor),
                        Lang::En => format!("New lead recorded: {} {}", lead.id, lead.creditor),
                    };
                    added = Some(lead.id);
                    Ok((text, false))
                });
                if let Action::SyncDone(done) = &mut action {
                    done.select = added;
                }
                Some(action)
            }
            Effect::SetLeadField { lead_id, field } => {
                Some(match self.store.set_lead_field(&lead_id, &field) {
                    Ok((lead, change)) => Action::Saved {
                        lead: Box::new(lead),
                        change: change.map(Box::new),
                    },
                    Err(e) => {
                        tracing::warn!(lead = %lead_id, error = %e, "saving a lead field failed");
                        Action::Failed(e.message(self.lang))
                    }
                })
            }
        }
    }
}

/// The `.fcb` files and the subfolders (`name/`) of a folder as typed (empty: the current
/// one), sorted, folders first; nothing for a folder that cannot be read.
fn bundles_in(dir: &str) -> Vec<String> {
    let path = if dir.is_empty() { "." } else { dir };
    let mut out: Vec<(bool, String)> = std::fs::read_dir(path)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let folder = e.file_type().is_ok_and(|t| t.is_dir());
                    if folder {
                        Some((false, format!("{name}{}", std::path::MAIN_SEPARATOR)))
                    } else {
                        name.ends_with(".fcb").then_some((true, name))
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out.into_iter().map(|(_, name)| name).collect()
}

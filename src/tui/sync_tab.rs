//! The part of `update` for the Sync tab: export, the import path prompt with completion of
//! bundles in the bundles folder, and keeping one value of a conflict. Pure: the work is done
//! by effects.

use super::action::{Action, SyncDone};
use super::state::{Message, Mode, Prompt, State, Tab, TrustAsk};
use super::update::Effect;
use crate::store::Keep;

pub fn act(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Export => return vec![Effect::Export],
        Action::OpenImport => return vec![Effect::ListBundles(None)],
        Action::PromptReady { dir, files } => match state.prompt.as_mut() {
            // The folder typed was listed: complete in it now.
            Some(p) => {
                p.listed = dir;
                p.candidates = files;
                p.cycle = 0;
                return complete(state);
            }
            None => {
                state.prompt = Some(Prompt {
                    text: dir.clone(),
                    listed: dir,
                    candidates: files,
                    cycle: 0,
                    stem: String::new(),
                    export: false,
                    drives: Vec::new(),
                });
                state.mode = Mode::Prompt;
            }
        },
        Action::ExportTo => {
            // Opens at the bundles folder; Tab lists and completes whatever folder is typed.
            let mut dir = state.sync.bundles_dir.clone();
            dir.push(std::path::MAIN_SEPARATOR);
            state.prompt = Some(Prompt {
                text: dir,
                listed: String::new(),
                candidates: Vec::new(),
                cycle: 0,
                stem: String::new(),
                export: true,
                drives: Vec::new(),
            });
            state.mode = Mode::Prompt;
            return vec![Effect::ListDrives];
        }
        Action::DrivesReady(drives) => {
            if let Some(p) = state.prompt.as_mut().filter(|p| p.export) {
                p.drives = drives;
            }
        }
        Action::PromptDrive => {
            if let Some(p) = state.prompt.as_mut().filter(|p| !p.drives.is_empty()) {
                // The drive after the one the text names now, round; the first otherwise.
                let at = p.drives.iter().position(|d| *d == p.text);
                let next = at.map_or(0, |i| (i + 1) % p.drives.len());
                p.text = p.drives[next].clone();
                p.cycle = 0;
            }
        }
        Action::PromptInput(c) => {
            if let Some(p) = state.prompt.as_mut() {
                p.text.push(c);
                p.cycle = 0;
            }
        }
        Action::ShowKey => state.mode = Mode::Key,
        Action::CloseKey => state.mode = Mode::List,
        Action::TrustInput(c) => {
            if let Some(t) = state.trust.as_mut() {
                t.name.push(c);
            }
        }
        Action::Paste(text) if state.mode == Mode::Trust => {
            if let Some(t) = state.trust.as_mut() {
                t.name.push_str(&super::form::one_line(&text));
            }
        }
        Action::TrustBackspace => {
            if let Some(t) = state.trust.as_mut() {
                t.name.pop();
            }
        }
        Action::TrustToggleHq => {
            if let Some(t) = state.trust.as_mut() {
                t.hq = !t.hq;
            }
        }
        Action::TrustCancel => {
            state.trust = None;
            state.mode = Mode::List;
            state.message = Some(Message {
                text: state
                    .lang
                    .pick(
                        "未信任，未导入：什么都没有改变。",
                        "not trusted, not imported: nothing changed.",
                    )
                    .into(),
                error: false,
            });
        }
        Action::TrustAccept => return trust(state),
        Action::Paste(text) => {
            if let Some(p) = state.prompt.as_mut() {
                p.text.push_str(&super::form::one_line(&text));
                p.cycle = 0;
            }
        }
        Action::PromptBackspace => {
            if let Some(p) = state.prompt.as_mut() {
                p.text.pop();
                p.cycle = 0;
            }
        }
        Action::PromptComplete => return complete(state),
        Action::PromptCancel => close_prompt(state),
        Action::PromptAccept => {
            let (path, export) = state
                .prompt
                .as_ref()
                .map(|p| (p.text.trim().to_string(), p.export))
                .unwrap_or_default();
            close_prompt(state);
            if !path.is_empty() {
                return vec![if export {
                    Effect::ExportTo(path)
                } else {
                    Effect::Import(path)
                }];
            }
        }
        Action::OpenConflict if state.selected_conflict().is_some() => state.mode = Mode::Resolve,
        Action::KeepMine | Action::KeepTheirs => {
            state.mode = Mode::List;
            if let Some(c) = state.selected_conflict() {
                let keep = if action == Action::KeepMine {
                    Keep::Mine
                } else {
                    Keep::Theirs
                };
                return vec![Effect::Resolve {
                    id: c.id.clone(),
                    keep,
                }];
            }
        }
        Action::SyncDone(done) => return finished(state, *done),
        _ => {}
    }
    Vec::new()
}

/// Enter on the question about an untrusted packer: with a name, trust it and import.
fn trust(state: &mut State) -> Vec<Effect> {
    let Some(ask) = state.trust.as_ref() else {
        return Vec::new();
    };
    let name = ask.name.trim().to_string();
    if name.is_empty() {
        state.message = Some(Message {
            text: state
                .lang
                .pick(
                    "请先输入对方设备的名称（如 总部、北碚区-笔记本2），再按 Enter。",
                    "type a name for the other device first (like HQ, beibei-laptop-2), then Enter.",
                )
                .into(),
            error: true,
        });
        return Vec::new();
    }
    let Some(TrustAsk { who, hq, .. }) = state.trust.take() else {
        return Vec::new();
    };
    state.mode = Mode::List;
    vec![Effect::TrustAndImport {
        path: who.path,
        key: who.key,
        name,
        hq,
    }]
}

fn close_prompt(state: &mut State) {
    state.prompt = None;
    state.mode = Mode::List;
}

/// Tab: the bundles and subfolders of the folder typed that start with what is typed after
/// it, in turn; a folder not listed yet is listed first (an effect), and completion goes on
/// when its entries arrive.
fn complete(state: &mut State) -> Vec<Effect> {
    let Some(p) = state.prompt.as_mut() else {
        return Vec::new();
    };
    let (folder, typed) = split_folder(&p.text);
    if folder != p.listed {
        return vec![Effect::ListBundles(Some(folder.to_string()))];
    }
    let (folder, typed) = (folder.to_string(), typed.to_string());
    if p.cycle == 0 {
        p.stem = typed;
    }
    let matching: Vec<&String> = p
        .candidates
        .iter()
        .filter(|c| c.starts_with(&p.stem))
        .collect();
    if let Some(choice) = matching.get(p.cycle % matching.len().max(1)) {
        p.text = format!("{folder}{choice}");
        p.cycle += 1;
    }
    Vec::new()
}

/// A typed path as its folder (up to and with the last separator: `/`, and `\\` too where it
/// is one) and the name being typed after it.
pub fn split_folder(text: &str) -> (&str, &str) {
    match text.rfind(std::path::is_separator) {
        Some(i) => text.split_at(i + 1),
        None => ("", text),
    }
}

/// Shows the outcome; records read again replace the lists, and the searches typed before are
/// asked again on them (new rows move positions, so the old results no longer point right).
fn finished(state: &mut State, done: SyncDone) -> Vec<Effect> {
    // Its message replaces a triage question: the question is dropped, so a later `y` cannot
    // make a change no longer on screen.
    if let Some(asked) = state.asked.take() {
        state.mode = asked.return_to;
    }
    state.sync = done.snapshot;
    state.conflict = state
        .conflict
        .min(state.sync.conflicts.len().saturating_sub(1));
    let mut effects = Vec::new();
    if let Some(records) = done.reload {
        for (tab, list) in [
            (Tab::Leads, &mut state.lead_list),
            (Tab::Directory, &mut state.channel_list),
            (Tab::Visits, &mut state.visit_list),
        ] {
            list.ranked = None;
            if !list.query.trim().is_empty() {
                state.generation += 1;
                list.generation = state.generation;
                effects.push(Effect::Search {
                    generation: state.generation,
                    tab,
                    query: list.query.clone(),
                });
            }
        }
        // Fresher than what the start-up read may still bring (that is then ignored).
        effects.push(Effect::Release(Box::new(state.loaded(records))));
        if let Some(pos) = done
            .select
            .as_deref()
            .and_then(|id| state.lead_position(id))
        {
            state.show_lead(pos);
        }
    }
    state.message = Some(Message {
        text: done.message,
        error: done.error,
    });
    // Asked at once unless a form or another question has the keys (then the message stands).
    if let Some(who) = done
        .untrusted
        .filter(|_| matches!(state.mode, Mode::List | Mode::Detail))
    {
        // The refusal's remedy, asked here: the fingerprint to compare, a name to trust it by.
        state.message = Some(Message {
            text: state
                .lang
                .pick(
                    "未导入：打包者不受信任。",
                    "not imported: its packer is not trusted.",
                )
                .into(),
            error: true,
        });
        state.trust = Some(TrustAsk {
            who,
            name: String::new(),
            hq: false,
        });
        state.mode = Mode::Trust;
        state.tab = Tab::Sync;
    }
    effects
}

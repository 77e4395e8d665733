//! The part of `update` for the Sync tab: export, the import path prompt with completion of
//! bundles in the bundles folder, and keeping one value of a conflict. Pure: the work is done
//! by effects.

use super::action::{Action, SyncDone};
use super::state::{Message, Mode, Prompt, State, Tab};
use super::update::Effect;
use crate::store::Keep;

pub fn act(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Export => return vec![Effect::Export],
        Action::OpenImport => return vec![Effect::ListBundles],
        Action::PromptReady { dir, files } => {
            state.prompt = Some(Prompt {
                text: format!("{dir}/"),
                candidates: files,
                cycle: 0,
                stem: String::new(),
            });
            state.mode = Mode::Prompt;
        }
        Action::PromptInput(c) => {
            if let Some(p) = state.prompt.as_mut() {
                p.text.push(c);
                p.cycle = 0;
            }
        }
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
        Action::PromptComplete => complete(state),
        Action::PromptCancel => close_prompt(state),
        Action::PromptAccept => {
            let path = state
                .prompt
                .as_ref()
                .map(|p| p.text.trim().to_string())
                .unwrap_or_default();
            close_prompt(state);
            if !path.is_empty() {
                return vec![Effect::Import(path)];
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

fn close_prompt(state: &mut State) {
    state.prompt = None;
    state.mode = Mode::List;
}

/// Tab: the candidates that start with what is typed after the folder, in turn.
fn complete(state: &mut State) {
    let Some(p) = state.prompt.as_mut() else {
        return;
    };
    let (folder, typed) = match p.text.rfind('/') {
        Some(i) => (p.text[..=i].to_string(), p.text[i + 1..].to_string()),
        None => (String::new(), p.text.clone()),
    };
    let stem = if p.cycle > 0 { String::new() } else { typed };
    let matching: Vec<&String> = p
        .candidates
        .iter()
        .filter(|c| c.starts_with(&stem))
        .collect();
    if let Some(choice) = matching.get(p.cycle % matching.len().max(1)) {
        p.text = format!("{folder}{choice}");
        p.cycle += 1;
    }
}

/// Shows the outcome; records read again replace the lists, and the searches typed before are
/// asked again on them (new rows move positions, so the old results no longer point right).
fn finished(state: &mut State, done: SyncDone) -> Vec<Effect> {
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
    }
    state.message = Some(Message {
        text: done.message,
        error: done.error,
    });
    effects
}

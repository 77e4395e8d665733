//! What the small forms' keys do (identity, a lead's facts, a new lead): move between their
//! fields, type, save, close.

use ratatui::crossterm::event::KeyCode;

use super::action::Action;
use super::settings::{Checked, Settings};
use super::state::{Message, Mode, State};
use super::update::Effect;

pub fn act(state: &mut State, action: Action) -> Vec<Effect> {
    let lang = state.lang;
    match action {
        Action::OpenSettings => {
            let info = &state.info;
            let shown = Settings::new(
                &info.inspector,
                &info.device,
                info.district.as_deref(),
                false,
            );
            state.settings = Some(shown);
            state.mode = Mode::Settings;
        }
        Action::NewLead => {
            state.settings = Some(Settings::new_lead(state.info.district.as_deref(), lang));
            state.mode = Mode::Settings;
        }
        Action::SettingsNext => step(state, 1),
        Action::SettingsPrev => step(state, -1),
        Action::EditFacts => {
            // From the visit form (Ctrl-D): the form's lead, and back to the form after.
            let in_form = state.mode == Mode::Form;
            let lead = match state.form.as_ref().filter(|_| in_form) {
                Some(form) => state.leads.get(form.lead).map(|l| &**l),
                None => state.selected_lead(),
            };
            // Rule 8: a confidential lead's contact is shown in the form only once revealed.
            if lead.is_some_and(|l| l.confidential && !state.is_revealed(l)) {
                state.message = Some(Message {
                    text: lang
                        .pick(
                            "保密线索：先按 u 显示（仅当前线索），再核实债务人和联系人。",
                            "a confidential lead: press u to reveal it (this lead only), then set its facts.",
                        )
                        .into(),
                    error: true,
                });
                return Vec::new();
            }
            if let Some(lead) = lead {
                let mut shown = Settings::facts(lead);
                shown.over_form = in_form;
                state.settings = Some(shown);
                state.mode = Mode::Settings;
            }
        }
        Action::SettingsKey(key) if key.code == KeyCode::Enter => {
            // Enter goes on to the next field, and saves on the last.
            if state.settings.as_ref().is_some_and(Settings::on_last) {
                return save(state);
            }
            step(state, 1);
        }
        Action::SettingsKey(key) => {
            if let Some(settings) = state.settings.as_mut() {
                settings.key(key);
            }
        }
        Action::SettingsSave => return save(state),
        Action::SettingsEsc => {
            let closed = state.settings.take();
            state.mode = back(closed.as_ref());
            if closed.is_some_and(|s| s.first) {
                state.message = Some(Message {
                    text: lang
                        .pick(
                            "姓名未保存：变更仍记在登录名下，下次启动时会再问（I 可随时设置）。",
                            "names not saved: changes are still written under the login name; asked again at the next start (I sets them any time).",
                        )
                        .into(),
                    error: false,
                });
            }
        }
        Action::IdentitySaved {
            inspector,
            device,
            district,
        } => {
            state.message = Some(Message {
                text: format!(
                    "{} {inspector} · {} {device}{}",
                    lang.pick("已保存：检查员", "saved: inspector"),
                    lang.pick("本机", "device"),
                    district
                        .as_deref()
                        .map(|d| format!(" · {} {d}", lang.pick("辖区", "district")))
                        .unwrap_or_default(),
                ),
                error: false,
            });
            state.info.inspector = inspector;
            state.info.device = device;
            state.info.district = district;
            if state.settings.take().is_some() && state.mode == Mode::Settings {
                state.mode = Mode::List;
            }
        }
        _ => {}
    }
    Vec::new()
}

/// Where closing a small form goes: back to the visit form it was opened from, else the list.
fn back(settings: Option<&Settings>) -> Mode {
    if settings.is_some_and(|s| s.over_form) {
        Mode::Form
    } else {
        Mode::List
    }
}

fn step(state: &mut State, by: isize) {
    if let Some(settings) = state.settings.as_mut() {
        settings.step(by);
    }
}

/// The form checked and sent to the store; what must change is marked on its field instead.
/// The identity screen closes when the store has the names; a lead's facts close at once, each
/// changed field saved (and logged) as the triage keys' are.
fn save(state: &mut State) -> Vec<Effect> {
    let today = state.today;
    match state.settings.as_mut().and_then(|s| s.checked(today)) {
        None => Vec::new(),
        Some(Checked::NewLead(typed)) => {
            state.settings = None;
            state.mode = Mode::List;
            vec![Effect::AddLead(typed)]
        }
        Some(Checked::Identity {
            inspector,
            device,
            district,
        }) => vec![Effect::SaveIdentity {
            inspector,
            device,
            district,
        }],
        Some(Checked::Facts { lead, fields }) => {
            state.mode = back(state.settings.take().as_ref());
            let Some(now) = state.lead(&lead).cloned() else {
                return Vec::new();
            };
            fields
                .into_iter()
                .filter(|field| {
                    let mut changed = now.clone();
                    field.apply(&mut changed);
                    changed != now
                })
                .map(|field| Effect::SetLeadField {
                    lead_id: lead.clone(),
                    field,
                })
                .collect()
        }
    }
}

//! What the identity screen's keys do: move between its fields, type, save, close.

use ratatui::crossterm::event::KeyCode;

use super::action::Action;
use super::settings::{Part, Settings};
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
        Action::SettingsNext => step(state, 1),
        Action::SettingsPrev => step(state, -1),
        Action::SettingsKey(key) if key.code == KeyCode::Enter => {
            // Enter goes on to the next field, and saves on the last.
            if state
                .settings
                .as_ref()
                .is_some_and(|s| s.focus == Part::District)
            {
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
            if state.settings.take().is_some_and(|s| s.first) {
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
            state.mode = Mode::List;
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

fn step(state: &mut State, by: isize) {
    if let Some(settings) = state.settings.as_mut() {
        settings.step(by);
    }
}

/// The names, checked and sent to the store; a missing one is marked on its field instead.
fn save(state: &mut State) -> Vec<Effect> {
    let Some((inspector, device, district)) = state.settings.as_mut().and_then(Settings::checked)
    else {
        return Vec::new();
    };
    vec![Effect::SaveIdentity {
        inspector,
        device,
        district,
    }]
}

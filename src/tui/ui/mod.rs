//! Views: each draws part of `&State` and nothing else.

mod agenda;
mod chrome;
mod directory;
mod form;
mod leads;
mod overlay;
mod parts;
mod settings;
mod sync;
mod sync_key;
mod visits;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};

use super::state::{Mode, State, Tab};

pub fn draw(frame: &mut Frame, state: &State) {
    let area = frame.area();
    if area.width < super::state::MIN_WIDTH || area.height < super::state::MIN_HEIGHT {
        chrome::too_small(frame, area, state.lang);
        return;
    }
    let [tabs, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(2),
    ])
    .areas(area);
    chrome::tabs(frame, tabs, state);
    match (state.tab, &state.form) {
        (Tab::Leads, Some(f)) if state.mode == Mode::Form || state.before_help == Mode::Form => {
            form::draw(frame, body, state, f)
        }
        (Tab::Leads, _) => leads::draw(frame, body, state),
        (Tab::Directory, _) => directory::draw(frame, body, state),
        (Tab::Visits, _) => visits::draw(frame, body, state),
        (Tab::Sync, _) => sync::draw(frame, body, state),
        (Tab::Agenda, _) => agenda::draw(frame, body, state),
    }
    chrome::status(frame, status, state);
    if let Some(picker) = &state.picker {
        overlay::picker(frame, area, state, picker);
    }
    if state.tab == Tab::Sync && state.mode == Mode::Key {
        sync_key::own_key(frame, area, body, state);
    }
    if let Some(ask) = &state.trust
        && state.tab == Tab::Sync
        && (state.mode == Mode::Trust || state.before_help == Mode::Trust)
    {
        sync_key::trust(frame, body, state, ask);
    }
    if let Some(settings) = &state.settings
        && (state.mode == Mode::Settings || state.before_help == Mode::Settings)
    {
        settings::draw(frame, body, state, settings);
    }
    chrome::long_message(frame, body, status, state);
    if state.mode == Mode::Help {
        overlay::help(frame, area, state);
    }
}

//! The terminal app driven through the real keymap, `update` and effect runner, on a seeded
//! in-memory store; searches are answered by the real searcher as soon as they are asked for.

use std::sync::mpsc::{self, Receiver, Sender};

use chrono::NaiveDate;
use fieldcheck::i18n::Lang;
use fieldcheck::search::Index;
use fieldcheck::store::{InitOptions, Store};
use fieldcheck::tui::action::Action;
use fieldcheck::tui::effects::Runner;
use fieldcheck::tui::searcher::{Job, Searcher};
use fieldcheck::tui::state::State;
use fieldcheck::tui::{dispatch, keymap, load};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub const PENGKUN: &str = "cq-jfb-2022-3/a3/1";
pub const JIATENG: &str = "cq-jfb-2022-3/a3/2";
pub const ANBAO: &str = "cq-jfb-2022-3/a3/3";

pub struct App {
    pub store: Store,
    pub state: State,
    pub searcher: Searcher,
    pub requests: Receiver<Job>,
    pub sender: Sender<Job>,
}

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, 25).unwrap()
}

pub fn app_with(init: InitOptions) -> App {
    App::over(Store::memory(&init).unwrap())
}

impl App {
    pub fn over(store: Store) -> App {
        let state = load(&store, Lang::Zh, today()).unwrap();
        let searcher = Searcher::new(
            Index::load(&store).unwrap(),
            state.leads.clone(),
            state.channels.clone(),
            fieldcheck::tui::visit_search::VisitTexts::new(
                &state.leads,
                &store.visits(None).unwrap(),
                state.lang,
            ),
        );
        let (sender, requests) = mpsc::channel();
        App {
            store,
            state,
            searcher,
            requests,
            sender,
        }
    }
}

/// A seeded store whose names were confirmed (as the app's first start asks): the app opens on
/// the ledger.
pub fn store() -> Store {
    let store = Store::memory(&InitOptions::default()).unwrap();
    let id = store.identity().unwrap();
    let district = id.district.unwrap_or_default();
    store
        .set_identity(&id.inspector, &id.device_name, &district)
        .unwrap();
    store
}

pub fn app() -> App {
    App::over(store())
}

impl App {
    pub fn act(&mut self, action: Option<Action>) {
        let runner = Runner {
            store: &self.store,
            searches: self.sender.clone(),
            lang: Lang::Zh,
            today: self.state.today,
            worker: None,
            live: false,
        };
        dispatch(&mut self.state, &runner, action);
        while let Ok(job) = self.requests.try_recv() {
            match job {
                Job::Search(request) => dispatch(
                    &mut self.state,
                    &runner,
                    Some(self.searcher.answer(&request)),
                ),
                // New search keys after the records changed, as the searcher thread takes them.
                Job::Reindex(fresh) => self.searcher = *fresh,
            }
        }
    }

    /// Finalizes an on-site visit finding `lead` paid in full (`wan` 万元), meeting `person`,
    /// as the store does, and tells the app.
    pub fn paid(&mut self, lead: &str, person: &str, wan: &str) {
        let form = fieldcheck::model::form::VisitForm {
            lead: lead.into(),
            kind: "onsite".into(),
            finding: "paid".into(),
            met: vec![person.into()],
            amount_wan: wan.into(),
            paid_wan: wan.into(),
            evidence: vec!["bank-record:LS-1".into()],
            ..Default::default()
        };
        let done = self
            .store
            .finalize(&form, fieldcheck::clock::now_on(today()), today(), false)
            .unwrap();
        self.act(Some(Action::Finalized(Box::new(done))));
    }

    /// The status bar's message now (empty without one).
    pub fn said(&self) -> String {
        self.state
            .message
            .as_ref()
            .map(|m| m.text.clone())
            .unwrap_or_default()
    }

    pub fn key(&mut self, code: KeyCode) -> &mut App {
        let event = KeyEvent::new(code, KeyModifiers::NONE);
        let action = keymap::action(self.state.mode, self.state.tab, &event);
        self.act(action);
        self
    }

    pub fn typed(&mut self, text: &str) -> &mut App {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
        self
    }

    pub fn lead_rows(&self) -> Vec<&str> {
        self.state
            .lead_list
            .rows
            .iter()
            .map(|&i| self.state.leads[i].id.as_str())
            .collect()
    }

    pub fn channel_rows(&self) -> Vec<&str> {
        self.state
            .channel_list
            .rows
            .iter()
            .map(|&i| self.state.channels[i].name.as_str())
            .collect()
    }

    pub fn selected(&self) -> &str {
        self.state
            .selected_lead()
            .map(|l| l.id.as_str())
            .unwrap_or("")
    }
}

pub fn ctrl(app: &mut App, c: char) {
    let event = KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
    let action = keymap::action(app.state.mode, app.state.tab, &event);
    app.act(action);
}

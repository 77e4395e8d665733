//! The terminal app: state, actions, a pure keymap and update, an effect runner on the store,
//! and views that draw `&State`. The loop is generic over the ratatui `Backend`, so tests drive
//! it on a `TestBackend`.

pub mod action;
pub mod agenda;
mod busy;
pub mod effect;
pub mod effects;
pub mod form;
pub mod keymap;
pub mod labels;
pub mod lead_groups;
mod lead_order;
mod list_view;
pub mod next_steps;
mod panic;
mod records;
pub mod searcher;
pub mod settings;
mod settings_act;
mod shown;
pub mod state;
pub mod state_visits;
mod sync_tab;
pub mod ui;
pub mod update;
mod visit_form;
pub mod visit_index;
pub mod visit_rows;
pub mod visit_search;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Instant;

use chrono::NaiveDate;
use ratatui::crossterm::event::{self, Event, KeyEvent};
use ratatui::{Terminal, backend::Backend};

use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::search::Index;
use crate::store::Store;
use action::{Action, Records};
use effects::Runner;
use searcher::Searcher;
use state::{Info, State};

/// What the loop waits for: a key, a resize, or the result of work done elsewhere.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// Text pasted (bracketed paste): text, never keys.
    Paste(String),
    Resize(u16, u16),
    Done(Action),
    /// The terminal stopped delivering input: the app ends rather than wait forever.
    Closed,
}

/// The app's state over a store, as of `today`, with every record read.
pub fn load(store: &Store, lang: Lang, today: NaiveDate) -> Result<State> {
    let mut state = shell(store, lang, today)?;
    // Nothing was shown before: the records replaced are empty.
    let _empty = state.loaded(Records::read(store, today, lang)?);
    Ok(state)
}

/// The app's state without the leads and visits (`loading`): what the first frame needs,
/// read in a few milliseconds at any number of leads.
pub fn shell(store: &Store, lang: Lang, today: NaiveDate) -> Result<State> {
    let identity = store.identity()?;
    let info = Info {
        store: store.path().display().to_string(),
        inspector: identity.inspector,
        device: identity.device_name,
        device_id: identity.device_id,
        district: identity.district,
        public_key: identity.public_key,
        fingerprint: identity.fingerprint,
    };
    let mut state = State::new(
        info,
        Vec::new(),
        store.channels()?,
        store.drafts()?,
        store.change_count()?,
        sync_snapshot(store)?,
        today,
        lang,
    );
    state.loading = true;
    if !store.identity_set()? {
        // The first start: who is this, on which laptop? (Prefilled with the login and host.)
        let info = &state.info;
        let shown = settings::Settings::new(
            &info.inspector,
            &info.device,
            info.district.as_deref(),
            true,
        );
        state.settings = Some(shown);
        state.mode = state::Mode::Settings;
    }
    Ok(state)
}

/// The Sync tab's facts, read from the store.
pub fn sync_snapshot(store: &Store) -> Result<state::SyncSnapshot> {
    Ok(state::SyncSnapshot {
        status: store.sync_status()?,
        conflicts: store.conflicts()?,
        authors: store.verified_authors()?,
        bundles_dir: store.bundles_dir().display().to_string(),
    })
}

/// What the loading worker needs besides the store.
pub struct Loading<'a> {
    pub lang: Lang,
    /// The date the ledger is sorted for.
    pub today: NaiveDate,
    /// When the process started: the log says how long after it the records were shown.
    pub started: Instant,
    /// Set when the app quits: loading stops after the step under way.
    pub stop: &'a AtomicBool,
}

/// Reads the leads and visits, hands them to the app (`Action::Loaded`), then loads the search
/// keys and serves searches (those queued meanwhile too, answered after the records arrive)
/// until the app goes away. Quitting never waits for more than the step under way.
pub fn load_and_serve(
    store: &Store,
    Loading {
        lang,
        today,
        started,
        stop,
    }: Loading,
    jobs: Receiver<searcher::Job>,
    messages: Sender<Msg>,
) {
    let (results, answers) = mpsc::channel::<Action>();
    std::thread::spawn(move || {
        while let Ok(action) = answers.recv() {
            if messages.send(Msg::Done(action)).is_err() {
                return;
            }
        }
    });
    let searcher = (|| -> Result<Option<Searcher>> {
        let mut records = Records::read(store, today, lang)?;
        if stop.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let (leads, channels) = (records.leads.clone(), records.channels.clone());
        let visits = records.texts.take();
        let _ = results.send(Action::Loaded(Box::new(records)));
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(leads = leads.len(), ms, "records loaded");
        if stop.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let visits = match visits {
            Some(texts) => *texts,
            None => visit_search::VisitTexts::new(&leads, &[], lang),
        };
        let searcher = Searcher::new(Index::load(store)?, leads, channels, visits);
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(ms, "search ready");
        Ok(Some(searcher))
    })();
    match searcher {
        Ok(Some(searcher)) => searcher::serve(searcher, jobs, results),
        Ok(None) => {}
        Err(e) => {
            tracing::error!(error = %e, "loading the records failed");
            let _ = results.send(Action::LoadFailed(e.message(lang)));
        }
    }
}

/// Runs the app in the terminal until the user quits. The terminal is restored on quit, on
/// error and on panic (ratatui's hook).
pub fn run(store: &Store, lang: Lang, today: NaiveDate, started: Instant) -> Result<()> {
    let mut state = shell(store, lang, today)?;
    let live = today == crate::clock::today();
    let (messages, inbox) = mpsc::channel();
    let input = messages.clone();
    std::thread::spawn(move || {
        loop {
            let msg = match event::read() {
                Ok(Event::Key(key)) => Msg::Key(key),
                Ok(Event::Paste(text)) => Msg::Paste(text),
                Ok(Event::Resize(w, h)) => Msg::Resize(w, h),
                Ok(_) => continue,
                Err(e) => {
                    tracing::error!(error = %e, "reading the terminal failed");
                    Msg::Closed
                }
            };
            let closed = matches!(msg, Msg::Closed);
            if input.send(msg).is_err() || closed {
                return;
            }
        }
    });
    tracing::info!(store = %store.path().display(), "terminal app started");
    // The app measures its own start: process start to the first finished frame, in the log.
    let first_frame = || {
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        tracing::info!(ms, "first frame drawn");
        panic::test_trigger();
    };
    panic::install(lang);
    let stop = AtomicBool::new(false);
    // Long work reports its progress to the status bar.
    let progress = messages.clone();
    store.report_progress(std::sync::Arc::new(move |step| {
        let _ = progress.send(Msg::Done(Action::Progress(step)));
    }));
    let result = std::thread::scope(|scope| {
        let (searches, jobs) = mpsc::channel();
        let (work, to_do) = mpsc::channel();
        let worker = Runner {
            store,
            searches: searches.clone(),
            lang,
            today,
            worker: None,
            live,
        };
        let answers = messages.clone();
        scope.spawn(move || {
            effects::work_thread(&worker, to_do, |done| answers.send(Msg::Done(done)).is_ok())
        });
        // The records load behind the first frame; quitting waits for the step under way.
        let loading = Loading {
            lang,
            today,
            started,
            stop: &stop,
        };
        scope.spawn(move || load_and_serve(store, loading, jobs, messages));
        let runner = Runner {
            store,
            searches,
            lang,
            today,
            worker: Some(work),
            live,
        };
        // Pasted text arrives as one event, not as keys (a paste of `ok!` into the list would
        // toggle 挂牌督办); a terminal without bracketed paste ignores the request.
        let result = ratatui::run(|terminal| {
            use ratatui::crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
            let _ = ratatui::crossterm::execute!(std::io::stdout(), EnableBracketedPaste);
            let result = event_loop(terminal, &mut state, &runner, &inbox, first_frame);
            let _ = ratatui::crossterm::execute!(std::io::stdout(), DisableBracketedPaste);
            result
        });
        stop.store(true, Ordering::Relaxed);
        result
    });
    tracing::info!("terminal app stopped");
    result.map_err(|e| Error::Terminal {
        detail: e.to_string(),
    })
}

/// Draws, waits for a message, handles it and everything queued behind it, and draws again,
/// until the state says quit. `first_frame` runs once, when the first frame is drawn.
pub fn event_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    state: &mut State,
    runner: &Runner,
    inbox: &Receiver<Msg>,
    first_frame: impl FnOnce(),
) -> std::result::Result<(), B::Error> {
    let size = terminal.size()?;
    (state.width, state.height) = (size.width, size.height);
    terminal.draw(|frame| ui::draw(frame, state))?;
    first_frame();
    // The longest the loop went without reading the next message (handling what came and
    // drawing), and what it handled then: logged when the app quits, and each time over 50 ms.
    let mut longest = (std::time::Duration::ZERO, String::new());
    loop {
        if state.quit {
            let ms = longest.0.as_secs_f64() * 1000.0;
            tracing::info!(ms, handled = %longest.1, "longest time keys waited");
            return Ok(());
        }
        let Ok(first) = inbox.recv() else {
            return Ok(());
        };
        let began = Instant::now();
        let handled = handle(state, runner, first);
        while !state.quit
            && let Ok(next) = inbox.try_recv()
        {
            handle(state, runner, next);
        }
        terminal.draw(|frame| ui::draw(frame, state))?;
        let took = began.elapsed();
        if took > std::time::Duration::from_millis(50) {
            let ms = took.as_secs_f64() * 1000.0;
            tracing::info!(ms, handled = %handled, "keys waited");
        }
        if took > longest.0 {
            longest = (took, handled);
        }
    }
}

impl Msg {
    /// What the message is, for the log.
    fn name(&self) -> &'static str {
        match self {
            Msg::Key(_) => "key",
            Msg::Paste(_) => "paste",
            Msg::Resize(..) => "resize",
            Msg::Closed => "closed",
            Msg::Done(action) => action.name(),
        }
    }
}

/// Handles one message; returns what it was, for the log.
fn handle(state: &mut State, runner: &Runner, msg: Msg) -> String {
    let name = msg.name();
    let action = match msg {
        Msg::Key(key) => keymap::action(state.mode, state.tab, &key),
        Msg::Paste(text) => Some(Action::Paste(text)),
        Msg::Resize(width, height) => Some(Action::Resize(width, height)),
        Msg::Closed => Some(Action::Quit),
        Msg::Done(action) => Some(action),
    };
    let what = match (&action, name) {
        // A key's action is small: its name says which key it was.
        (Some(action), "key") => format!("key {action:?}"),
        _ => name.to_string(),
    };
    dispatch(state, runner, action);
    what
}

/// Applies an action and every action its effects lead to.
pub fn dispatch(state: &mut State, runner: &Runner, action: Option<Action>) {
    let mut pending: VecDeque<Action> = action.into_iter().collect();
    while let Some(action) = pending.pop_front() {
        for effect in update::update(state, action) {
            pending.extend(runner.run(effect));
        }
    }
}

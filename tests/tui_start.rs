//! The terminal app starts without waiting for the records: the first frame comes from a shell
//! state (`loading`), the worker reads the leads and visits behind it, and a search typed
//! meanwhile is answered after the records arrive, against the right rows.

use std::sync::atomic::AtomicBool;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use fieldcheck::i18n::Lang;
use fieldcheck::store::{InitOptions, Store};
use fieldcheck::tui::action::{Action, Records, SyncDone};
use fieldcheck::tui::effects::Runner;
use fieldcheck::tui::state::{State, Tab};
use fieldcheck::tui::{Loading, Msg, dispatch, keymap, load_and_serve, shell, sync_snapshot, ui};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn store() -> Store {
    Store::memory(&InitOptions {
        inspector: Some("张三".into()),
        ..InitOptions::default()
    })
    .unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, 25).unwrap()
}

fn screen(state: &State) -> String {
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| ui::draw(f, state)).unwrap();
    terminal.backend().to_string()
}

fn type_keys(state: &mut State, runner: &Runner, keys: &str) {
    for c in keys.chars() {
        let key = KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
        let action = keymap::action(state.mode, state.tab, &key);
        dispatch(state, runner, action);
    }
}

/// The next message from the worker, as an action.
fn next(inbox: &mpsc::Receiver<Msg>) -> Action {
    match inbox.recv_timeout(Duration::from_secs(10)) {
        Ok(Msg::Done(action)) => action,
        other => panic!("expected an action from the worker, got {other:?}"),
    }
}

#[test]
fn the_first_frame_shows_the_directory_and_says_the_leads_are_loading() {
    let store = store();
    let mut state = shell(&store, Lang::Zh, today()).unwrap();
    assert!(state.loading);
    assert!(state.leads.is_empty() && state.visits.is_empty());
    assert_eq!(state.channels.len(), 77, "the directory is there at once");
    let first = screen(&state);
    assert!(first.contains("正在读取线索"), "{first}");
    state.tab = Tab::Directory;
    state.refresh_channels();
    let directory = screen(&state);
    assert!(directory.contains(&state.channels[0].name), "{directory}");
}

#[test]
fn a_search_typed_while_loading_is_answered_after_the_records_arrive() {
    let store = store();
    let mut state = shell(&store, Lang::Zh, today()).unwrap();
    let (searches, jobs) = mpsc::channel();
    let runner = Runner {
        store: &store,
        searches,
        lang: Lang::Zh,
        today: today(),
        worker: None,
        live: false,
    };
    // Typed before the worker has read anything: the requests wait in its queue.
    type_keys(&mut state, &runner, "/bbq");
    let (messages, inbox) = mpsc::channel();
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let loading = Loading {
            lang: Lang::Zh,
            today: today(),
            started: Instant::now(),
            stop: &stop,
        };
        let store = &store;
        scope.spawn(move || load_and_serve(store, loading, jobs, messages));
        let loaded = next(&inbox);
        assert!(matches!(loaded, Action::Loaded(_)), "records come first");
        dispatch(&mut state, &runner, Some(loaded));
        assert!(!state.loading);
        assert_eq!(state.leads.len(), 3);
        let answer = next(&inbox);
        assert!(matches!(answer, Action::SearchDone { generation: 3, .. }));
        dispatch(&mut state, &runner, Some(answer));
        // 北碚区's two leads (bbq), by their positions in the rows that just arrived.
        let shown: Vec<&str> = state
            .lead_list
            .rows
            .iter()
            .map(|&i| state.leads[i].district.as_str())
            .collect();
        assert_eq!(shown, ["北碚区", "北碚区"]);
        drop(runner);
    });
    assert!(screen(&state).contains("2/3"));
}

#[test]
fn records_from_the_start_never_replace_fresher_ones_from_an_import() {
    let store = store();
    let mut state = shell(&store, Lang::Zh, today()).unwrap();
    let (searches, _jobs) = mpsc::channel();
    let runner = Runner {
        store: &store,
        searches,
        lang: Lang::Zh,
        today: today(),
        worker: None,
        live: false,
    };
    let fresh = Records::read(&store, today(), Lang::Zh).unwrap();
    let done = SyncDone {
        message: "imported".into(),
        error: false,
        snapshot: sync_snapshot(&store).unwrap(),
        reload: Some(fresh.clone()),
        untrusted: None,
        select: None,
    };
    dispatch(&mut state, &runner, Some(Action::SyncDone(Box::new(done))));
    assert!(!state.loading);
    let stale = Action::Loaded(Box::new(Records {
        leads: fresh.leads[..1].to_vec(),
        ..fresh
    }));
    dispatch(&mut state, &runner, Some(stale));
    assert_eq!(state.leads.len(), 3, "the late start-up read is ignored");
}

#[test]
fn a_failed_load_stops_saying_loading_and_says_why() {
    let store = store();
    let mut state = shell(&store, Lang::En, today()).unwrap();
    let (searches, _jobs) = mpsc::channel();
    let runner = Runner {
        store: &store,
        searches,
        lang: Lang::En,
        today: today(),
        worker: None,
        live: false,
    };
    let failed = Action::LoadFailed("the store could not be read".into());
    dispatch(&mut state, &runner, Some(failed));
    assert!(!state.loading);
    let shown = screen(&state);
    assert!(shown.contains("the store could not be read"), "{shown}");
    assert!(!shown.contains("Reading the leads"), "{shown}");
}

#[test]
fn quitting_while_loading_ends_the_worker_without_serving() {
    let store = store();
    let (_searches, jobs) = mpsc::channel();
    let (messages, inbox) = mpsc::channel();
    let stop = AtomicBool::new(true);
    // The job sender stays open: the worker ends only because the app has quit.
    load_and_serve(
        &store,
        Loading {
            lang: Lang::Zh,
            today: today(),
            started: Instant::now(),
            stop: &stop,
        },
        jobs,
        messages,
    );
    assert!(
        inbox.recv_timeout(Duration::from_secs(1)).is_err(),
        "nothing is sent after the quit"
    );
}

//! Long work runs on the work thread: while an import is under way the app keeps reading keys,
//! shows how far it has come, refuses a second long job, and afterwards keeps the searches the
//! user had typed. Real stores, a real bundle, real threads.

use std::sync::mpsc;

mod common;

use chrono::NaiveDate;
use common::peers::enrol;
use fieldcheck::i18n::Lang;
use fieldcheck::search::Index;
use fieldcheck::store::{ExportOptions, InitOptions, Store};
use fieldcheck::sync::LeadField;
use fieldcheck::tui::action::Action;
use fieldcheck::tui::effects::{Runner, work_thread};
use fieldcheck::tui::searcher::{Job, Searcher};
use fieldcheck::tui::state::{State, Tab, Work};
use fieldcheck::tui::{dispatch, keymap, load, ui};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn open(dir: &std::path::Path, name: &str) -> Store {
    let options = InitOptions {
        inspector: Some(name.into()),
        device: Some(name.into()),
        ..InitOptions::default()
    };
    Store::open(&dir.join(name).join("s.redb"), &options).unwrap()
}

/// The keys, through the keymap and update, with searches answered as the search worker would.
struct Keys<'a> {
    runner: Runner<'a>,
    jobs: mpsc::Receiver<Job>,
    searcher: Searcher,
}

impl Keys<'_> {
    fn send(&mut self, state: &mut State, action: Option<Action>) {
        dispatch(state, &self.runner, action);
        while let Ok(job) = self.jobs.try_recv() {
            match job {
                Job::Search(request) => {
                    dispatch(state, &self.runner, Some(self.searcher.answer(&request)))
                }
                Job::Reindex(fresh) => self.searcher = *fresh,
            }
        }
    }

    fn press(&mut self, state: &mut State, codes: &[KeyCode]) {
        for code in codes {
            let key = KeyEvent::new(*code, KeyModifiers::NONE);
            let action = keymap::action(state.mode, state.tab, &key);
            self.send(state, action);
        }
    }
}

fn screen(state: &State) -> String {
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| ui::draw(f, state)).unwrap();
    terminal.backend().to_string()
}

#[test]
fn an_import_runs_off_the_ui_thread_with_progress_and_keeps_the_searches() {
    let dir = tempfile::tempdir().unwrap();
    let (laptop, hq) = (open(dir.path(), "A"), open(dir.path(), "HQ"));
    enrol(&hq, &laptop, false);
    enrol(&laptop, &hq, true);
    laptop
        .set_lead_field(
            "cq-jfb-2022-3/a3/2",
            &LeadField::Assignee(Some("张三".into())),
        )
        .unwrap();
    std::fs::create_dir_all(hq.bundles_dir()).unwrap();
    let options = ExportOptions {
        out: Some(hq.bundles_dir().join("1-a.fcb")),
        ..ExportOptions::default()
    };
    let today = NaiveDate::from_ymd_opt(2022, 1, 28).unwrap();
    laptop.export(&options, today).unwrap().unwrap();

    let mut state = load(&hq, Lang::Zh, today).unwrap();
    let (done, answers) = mpsc::channel::<Action>();
    let progress = done.clone();
    hq.report_progress(std::sync::Arc::new(move |step| {
        let _ = progress.send(Action::Progress(step));
    }));
    let (searches, jobs) = mpsc::channel();
    let (work, to_do) = mpsc::channel();
    let worker = Runner {
        store: &hq,
        searches: searches.clone(),
        lang: Lang::Zh,
        today,
        worker: None,
        live: false,
    };
    std::thread::scope(|scope| {
        scope.spawn(move || work_thread(&worker, to_do, |a| done.send(a).is_ok()));
        let mut keys = Keys {
            runner: Runner {
                store: &hq,
                searches,
                lang: Lang::Zh,
                today,
                worker: Some(work),
                live: false,
            },
            jobs,
            searcher: Searcher::new(
                Index::load(&hq).unwrap(),
                state.leads.clone(),
                state.channels.clone(),
                fieldcheck::tui::visit_search::VisitTexts::new(
                    &state.leads,
                    &hq.visits(None).unwrap(),
                    state.lang,
                ),
            ),
        };
        // A search typed on the lead list, then the import from the Sync tab.
        keys.press(&mut state, &[KeyCode::Char('/')]);
        for c in "pk".chars() {
            keys.press(&mut state, &[KeyCode::Char(c)]);
        }
        keys.press(&mut state, &[KeyCode::Enter]);
        let found = state.lead_list.rows.len();
        assert!(found >= 1 && found < state.leads.len(), "{found}");
        keys.press(
            &mut state,
            &[KeyCode::Char('4'), KeyCode::Char('i'), KeyCode::Tab],
        );
        keys.press(&mut state, &[KeyCode::Enter]);

        // Handed to the worker: the app is busy with it, and says so, until its answer is
        // handled here (which this test holds back).
        assert_eq!(state.busy.as_ref().map(|b| b.work), Some(Work::Import));
        assert!(screen(&state).contains("正在导入"), "{}", screen(&state));
        // Keys still act, and a second long job is refused rather than queued behind it.
        keys.press(&mut state, &[KeyCode::Char('1')]);
        assert_eq!(state.tab, Tab::Leads);
        keys.press(&mut state, &[KeyCode::Char('4'), KeyCode::Char('e')]);
        let refusal = state.message.clone().unwrap();
        assert!(
            refusal.error && refusal.text.contains("正在导入"),
            "{refusal:?}"
        );
        // The next key clears the refusal: the status bar shows the work again.
        keys.press(&mut state, &[KeyCode::Char('1')]);

        let mut steps = Vec::new();
        loop {
            let action = answers
                .recv_timeout(std::time::Duration::from_secs(60))
                .unwrap();
            let finished = matches!(action, Action::WorkDone(_));
            if let Action::Progress(step) = &action {
                steps.push(*step);
            }
            keys.send(&mut state, Some(action));
            if finished {
                break;
            }
            // Between reports the status bar shows the last one.
            if let Some(step) = steps.last() {
                assert!(screen(&state).contains(&step.line(Lang::Zh)));
            }
        }
        assert!(
            steps
                .iter()
                .any(|s| s.stage == fieldcheck::progress::Stage::Applying && s.done == s.total),
            "{steps:?}"
        );
        assert_eq!(state.busy, None);
        assert!(
            state.message.as_ref().unwrap().text.contains("应用 1 条"),
            "{:?}",
            state.message
        );
        // The records were read again (the assignee came in) and the search typed before the
        // import still filters the list.
        let lead = state
            .leads
            .iter()
            .find(|l| l.id == "cq-jfb-2022-3/a3/2")
            .unwrap();
        assert_eq!(lead.assignee.as_deref(), Some("张三"));
        assert_eq!(state.lead_list.query, "pk");
        assert_eq!(state.lead_list.rows.len(), found);

        // An export changes no record: nothing is read again, the search stays as it was.
        keys.press(&mut state, &[KeyCode::Char('4'), KeyCode::Char('e')]);
        let action = answers
            .recv_timeout(std::time::Duration::from_secs(60))
            .unwrap();
        let Action::WorkDone(inner) = &action else {
            // Progress of the export first.
            panic!("{action:?}")
        };
        let Action::SyncDone(sync) = inner.as_ref() else {
            panic!("{inner:?}")
        };
        assert_eq!(sync.reload, None);
        keys.send(&mut state, Some(action));
        assert_eq!(state.lead_list.rows.len(), found);
    });
}

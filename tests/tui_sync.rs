//! The Sync tab, driven by keys through the real keymap, update and effect runner on file
//! stores: import with the path prompt and Tab completion, the conflict dialog, export.

use std::sync::mpsc;

mod common;

use chrono::NaiveDate;
use common::peers::enrol;
use fieldcheck::i18n::Lang;
use fieldcheck::search::Index;
use fieldcheck::store::{ExportOptions, InitOptions, Store};
use fieldcheck::sync::LeadField;
use fieldcheck::tui::effects::Runner;
use fieldcheck::tui::searcher::{Job, Searcher};
use fieldcheck::tui::state::{Mode, State, Tab};
use fieldcheck::tui::{dispatch, keymap, load, ui};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn open(dir: &std::path::Path, name: &str) -> Store {
    Store::open(
        &dir.join(name).join("s.redb"),
        &InitOptions {
            inspector: Some(name.into()),
            device: Some(name.into()),
            ..InitOptions::default()
        },
    )
    .unwrap()
}

fn export_to(store: &Store, out: std::path::PathBuf, all: bool) {
    let options = ExportOptions {
        all,
        out: Some(out),
        ..ExportOptions::default()
    };
    let today = NaiveDate::from_ymd_opt(2022, 1, 28).unwrap();
    store.export(&options, today).unwrap().unwrap();
}

fn press(store: &Store, state: &mut State, keys: &[KeyCode]) {
    let mut searcher = Searcher::new(
        Index::load(store).unwrap(),
        state.leads.clone(),
        state.channels.clone(),
        fieldcheck::tui::visit_search::VisitTexts::new(
            &state.leads,
            &store.visits(None).unwrap(),
            state.lang,
        ),
    );
    let (sender, jobs) = mpsc::channel::<Job>();
    let runner = Runner {
        store,
        searches: sender,
        lang: state.lang,
        today: state.today,
        worker: None,
        live: false,
    };
    for code in keys {
        let action = keymap::action(
            state.mode,
            state.tab,
            &KeyEvent::new(*code, KeyModifiers::NONE),
        );
        dispatch(state, &runner, action);
        while let Ok(job) = jobs.try_recv() {
            match job {
                Job::Search(request) => dispatch(state, &runner, Some(searcher.answer(&request))),
                // As the worker does: an import's new records replace the old.
                Job::Reindex(fresh) => searcher = *fresh,
            }
        }
    }
}

fn screen(state: &State) -> String {
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    terminal.draw(|f| ui::draw(f, state)).unwrap();
    terminal.backend().to_string()
}

#[test]
fn import_by_prompt_then_resolve_the_conflict_then_export() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, hq) = (
        open(dir.path(), "A"),
        open(dir.path(), "B"),
        open(dir.path(), "HQ"),
    );
    let lead = "cq-jfb-2022-3/a3/2";
    a.set_lead_field(lead, &LeadField::Assignee(Some("张三".into())))
        .unwrap();
    b.set_lead_field(lead, &LeadField::Assignee(Some("李四".into())))
        .unwrap();
    std::fs::create_dir_all(hq.bundles_dir()).unwrap();
    for (laptop, name) in [(&a, "1-a.fcb"), (&b, "2-b.fcb")] {
        enrol(&hq, laptop, false);
        enrol(laptop, &hq, true);
        export_to(laptop, hq.bundles_dir().join(name), false);
    }
    let mut state = load(&hq, Lang::Zh, NaiveDate::from_ymd_opt(2022, 1, 28).unwrap()).unwrap();
    press(&hq, &mut state, &[KeyCode::Char('4'), KeyCode::Char('i')]);
    assert_eq!(state.tab, Tab::Sync);
    assert_eq!(state.mode, Mode::Prompt);
    // Tab completes to the bundles in the folder, one after the other.
    press(&hq, &mut state, &[KeyCode::Tab]);
    assert!(state.prompt.as_ref().unwrap().text.ends_with("/1-a.fcb"));
    press(&hq, &mut state, &[KeyCode::Enter]);
    assert!(
        state.message.as_ref().unwrap().text.contains("应用 1 条"),
        "{:?}",
        state.message
    );
    press(
        &hq,
        &mut state,
        &[
            KeyCode::Char('i'),
            KeyCode::Char('2'),
            KeyCode::Tab,
            KeyCode::Enter,
        ],
    );
    assert_eq!(state.sync.conflicts.len(), 1);
    let sync = screen(&state);
    assert!(sync.contains("冲突：两台设备同时改成不同的值（1）"));
    // The row names the company and the field in words, and which value is in effect.
    let row = sync
        .lines()
        .find(|l| l.contains("分派"))
        .unwrap_or_else(|| panic!("{sync}"));
    assert!(row.contains("重庆嘉腾机器人"), "{row}");
    assert!(!row.contains("a3/2") && !row.contains("assignee"), "{row}");
    assert_eq!(row.matches("现行").count(), 1, "{row}");
    // Enter shows both values; t keeps the other one.
    press(&hq, &mut state, &[KeyCode::Enter]);
    assert_eq!(state.mode, Mode::Resolve);
    let dialog = screen(&state);
    assert!(
        dialog.contains("张三") && dialog.contains("李四"),
        "{dialog}"
    );
    press(&hq, &mut state, &[KeyCode::Char('t')]);
    assert!(state.sync.conflicts.is_empty());
    assert!(hq.conflicts().unwrap().is_empty());
    assert_eq!(
        state.sync.status.unexported, 1,
        "the resolution is a change to export"
    );
    press(&hq, &mut state, &[KeyCode::Char('e')]);
    assert!(state.message.as_ref().unwrap().text.contains(".fcb"));
    assert_eq!(state.sync.status.unexported, 0);
    let after = screen(&state);
    assert!(after.contains("未导出 0"));
    // The last export in China time to the minute, not raw UTC.
    let last = after.lines().find(|l| l.contains("上次导出")).unwrap();
    let shown: String = last
        .split("上次导出")
        .nth(1)
        .unwrap()
        .trim_start()
        .chars()
        .take(16)
        .collect();
    assert!(
        chrono::NaiveDateTime::parse_from_str(&shown, "%Y-%m-%d %H:%M").is_ok(),
        "{last}"
    );
    assert!(!last.contains("+00:00"), "{last}");
}

#[test]
fn a_bad_path_is_reported_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let hq = open(dir.path(), "HQ");
    let before = hq.digest().unwrap();
    let mut state = load(&hq, Lang::En, NaiveDate::from_ymd_opt(2022, 1, 28).unwrap()).unwrap();
    press(
        &hq,
        &mut state,
        &[
            KeyCode::Char('4'),
            KeyCode::Char('i'),
            KeyCode::Char('x'),
            KeyCode::Enter,
        ],
    );
    let message = state.message.clone().unwrap();
    assert!(
        message.error && message.text.contains("cannot read"),
        "{message:?}"
    );
    assert_eq!(hq.digest().unwrap(), before);
    press(&hq, &mut state, &[KeyCode::Char('e')]);
    assert!(
        state
            .message
            .as_ref()
            .unwrap()
            .text
            .contains("Nothing to export")
    );
}

/// An import that brings new channels: the directory shows them, and a search of the directory
/// afterwards finds them at the positions the search worker uses (it once indexed the new list
/// while the app kept the old one, and drawing a hit past its end panicked).
#[test]
fn an_import_with_new_channels_updates_the_directory_and_its_search() {
    let dir = tempfile::tempdir().unwrap();
    let (hq, laptop) = (open(dir.path(), "HQ"), open(dir.path(), "L"));
    let other = fieldcheck::notice::parse(
        include_str!("fixtures/other-notice.txt"),
        "other-notice.txt",
    )
    .unwrap();
    hq.import_notice(&other.notice).unwrap();
    let today = NaiveDate::from_ymd_opt(2022, 1, 28).unwrap();
    enrol(&hq, &laptop, false);
    enrol(&laptop, &hq, true);
    export_to(&hq, laptop.bundles_dir().join("hq.fcb"), true);
    let mut state = load(&laptop, Lang::Zh, today).unwrap();
    let before = state.channels.len();
    press(
        &laptop,
        &mut state,
        &[
            KeyCode::Char('4'),
            KeyCode::Char('i'),
            KeyCode::Tab,
            KeyCode::Enter,
        ],
    );
    assert!(
        !state.message.as_ref().unwrap().error,
        "{:?}",
        state.message
    );
    assert_eq!(state.channels, laptop.channels().unwrap());
    assert!(state.channels.len() > before, "the notice brought channels");
    let added = state.channels.last().unwrap().name.clone();
    let query: Vec<KeyCode> = std::iter::once(KeyCode::Char('2'))
        .chain(std::iter::once(KeyCode::Char('/')))
        .chain(added.chars().map(KeyCode::Char))
        .collect();
    press(&laptop, &mut state, &query);
    let first = state.selected_channel().unwrap();
    assert_eq!(first.name, added);
    assert!(screen(&state).contains(&added));
}

/// The Visits tab names who recorded the selected visit as the store verified it, read with the
/// visit when it is selected (not from a map of every visit's author read before the first
/// frame): a visit imported from an enrolled laptop shows its inspector and device.
#[test]
fn the_selected_visit_names_the_device_that_signed_it() {
    let dir = tempfile::tempdir().unwrap();
    let (a, hq) = (open(dir.path(), "A"), open(dir.path(), "HQ"));
    let form = common::peers::visit_form("cq-jfb-2022-3/a3/1");
    let today = NaiveDate::from_ymd_opt(2022, 1, 28).unwrap();
    a.finalize(&form, fieldcheck::clock::now_on(today), today, false)
        .unwrap();
    enrol(&hq, &a, false);
    enrol(&a, &hq, true);
    let bundle = dir.path().join("a.fcb");
    export_to(&a, bundle.clone(), false);
    hq.import(
        &std::fs::read(&bundle).unwrap(),
        "a.fcb",
        &Default::default(),
    )
    .unwrap();
    let mut state = load(&hq, Lang::Zh, today).unwrap();
    assert_eq!(state.opened.visit_author, None);
    press(&hq, &mut state, &[KeyCode::Char('3')]);
    assert_eq!(state.opened.visit_author.as_deref(), Some("A@A"));
    let shown = screen(&state);
    assert!(shown.contains("A@A"), "{shown}");
    assert!(!shown.contains("未核实"), "{shown}");
}

/// Tab completes in the folder typed, not in the bundles folder: the other store's bundle on
/// a stick, and folders on the way to it.
#[test]
fn tab_completes_in_the_folder_typed_folders_too() {
    let dir = tempfile::tempdir().unwrap();
    let hq = open(dir.path(), "HQ");
    std::fs::create_dir_all(hq.bundles_dir()).unwrap();
    std::fs::write(hq.bundles_dir().join("own.fcb"), b"x").unwrap();
    let stick = dir.path().join("usb stick 盘");
    std::fs::create_dir_all(stick.join("2022-01")).unwrap();
    std::fs::write(stick.join("2022-01").join("laptop-b.fcb"), b"x").unwrap();
    std::fs::write(stick.join("notes.txt"), b"x").unwrap();
    let mut state = load(&hq, Lang::Zh, NaiveDate::from_ymd_opt(2022, 1, 28).unwrap()).unwrap();
    press(&hq, &mut state, &[KeyCode::Char('4'), KeyCode::Char('i')]);
    // The prompt opens in the bundles folder.
    press(&hq, &mut state, &[KeyCode::Tab]);
    assert!(state.prompt.as_ref().unwrap().text.ends_with("own.fcb"));
    // Another folder typed: Tab lists it and completes there, a folder first.
    let typed = format!("{}{}", stick.display(), std::path::MAIN_SEPARATOR);
    state.prompt.as_mut().unwrap().text.clear();
    let keys: Vec<KeyCode> = typed.chars().map(KeyCode::Char).collect();
    press(&hq, &mut state, &keys);
    press(&hq, &mut state, &[KeyCode::Tab]);
    let sep = std::path::MAIN_SEPARATOR;
    assert_eq!(
        state.prompt.as_ref().unwrap().text,
        format!("{typed}2022-01{sep}"),
        "the folder, not notes.txt nor this store's own bundle"
    );
    press(&hq, &mut state, &[KeyCode::Tab]);
    assert_eq!(
        state.prompt.as_ref().unwrap().text,
        format!("{typed}2022-01{sep}laptop-b.fcb")
    );
}

/// `E` exports into a folder chosen in the prompt (a USB stick), under the bundle's usual name.
#[test]
fn e_exports_into_a_chosen_folder() {
    let dir = tempfile::tempdir().unwrap();
    let (laptop, hq) = (open(dir.path(), "A"), open(dir.path(), "HQ"));
    enrol(&laptop, &hq, true);
    laptop
        .set_lead_field("cq-jfb-2022-3/a3/1", &LeadField::Supervised(true))
        .unwrap();
    let stick = dir.path().join("U盘 E");
    std::fs::create_dir_all(&stick).unwrap();
    let mut state = load(
        &laptop,
        Lang::Zh,
        NaiveDate::from_ymd_opt(2022, 1, 28).unwrap(),
    )
    .unwrap();
    press(
        &laptop,
        &mut state,
        &[KeyCode::Char('4'), KeyCode::Char('E')],
    );
    assert_eq!(state.mode, Mode::Prompt);
    assert!(screen(&state).contains("导出到文件夹"));
    state.prompt.as_mut().unwrap().text.clear();
    let typed = format!("{}{}", stick.display(), std::path::MAIN_SEPARATOR);
    let keys: Vec<KeyCode> = typed.chars().map(KeyCode::Char).collect();
    press(&laptop, &mut state, &keys);
    press(&laptop, &mut state, &[KeyCode::Enter]);
    let written: Vec<_> = std::fs::read_dir(&stick)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(written.len(), 1, "{written:?} {:?}", state.message);
    // HQ takes it from the stick as from any bundle.
    enrol(&hq, &laptop, false);
    let bytes = std::fs::read(stick.join(&written[0])).unwrap();
    let imported = hq.import(&bytes, &written[0], &Default::default()).unwrap();
    assert_eq!(imported.applied, 1);
    assert!(written[0].ends_with(".fcb"), "{written:?}");
    assert_eq!(state.sync.status.unexported, 0);
    assert!(state.message.as_ref().unwrap().text.contains("U盘 E"));
}

/// The export prompt lists the removable drives the system mounted; F2 puts each in turn as the
/// folder, and the list is shown under the prompt. (The drives are what `drives::removable`
/// read when the prompt opened; here a folder stands for the stick.)
#[test]
fn f2_picks_a_removable_drive_for_the_export() {
    let dir = tempfile::tempdir().unwrap();
    let (laptop, hq) = (open(dir.path(), "A"), open(dir.path(), "HQ"));
    enrol(&laptop, &hq, true);
    laptop
        .set_lead_field("cq-jfb-2022-3/a3/1", &LeadField::Supervised(true))
        .unwrap();
    let mut state = load(
        &laptop,
        Lang::Zh,
        NaiveDate::from_ymd_opt(2022, 1, 28).unwrap(),
    )
    .unwrap();
    press(
        &laptop,
        &mut state,
        &[KeyCode::Char('4'), KeyCode::Char('E')],
    );
    assert_eq!(state.mode, Mode::Prompt);
    let sep = std::path::MAIN_SEPARATOR;
    let sticks: Vec<String> = ["KINGSTON", "U盘 2"]
        .iter()
        .map(|n| {
            let p = dir.path().join(n);
            std::fs::create_dir_all(&p).unwrap();
            format!("{}{sep}", p.display())
        })
        .collect();
    fieldcheck::tui::update::update(
        &mut state,
        fieldcheck::tui::action::Action::DrivesReady(sticks.clone()),
    );
    let text = screen(&state);
    assert!(text.contains("F2 可移动盘"), "{text}");
    press(&laptop, &mut state, &[KeyCode::F(2)]);
    assert_eq!(state.prompt.as_ref().unwrap().text, sticks[0]);
    press(&laptop, &mut state, &[KeyCode::F(2)]);
    assert_eq!(state.prompt.as_ref().unwrap().text, sticks[1]);
    press(&laptop, &mut state, &[KeyCode::F(2)]);
    assert_eq!(state.prompt.as_ref().unwrap().text, sticks[0], "round");
    press(&laptop, &mut state, &[KeyCode::F(2), KeyCode::Enter]);
    let written = std::fs::read_dir(dir.path().join("U盘 2")).unwrap().count();
    assert_eq!(written, 1, "{:?}", state.message);
    // An import prompt has no drives to pick: F2 changes nothing there.
    press(&laptop, &mut state, &[KeyCode::Char('i')]);
    let before = state.prompt.as_ref().map(|p| p.text.clone());
    press(&laptop, &mut state, &[KeyCode::F(2)]);
    assert_eq!(state.prompt.as_ref().map(|p| p.text.clone()), before);
}

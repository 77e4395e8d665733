//! Who writes the changes: the app asks for the inspector's, the laptop's and the district's
//! names at the first start (prefilled from the login and host names), keeps them in the store,
//! and lets them be changed later (`I`). A store named at `init` opens straight on the ledger.

use fieldcheck::store::{InitOptions, Store};
use fieldcheck::tui::settings::Part;
use fieldcheck::tui::state::{Filter, Mode};
use ratatui::crossterm::event::KeyCode;

mod common;
use common::app::*;

fn unnamed() -> App {
    App::over(Store::memory(&InitOptions::default()).unwrap())
}

/// Deletes what the field in focus holds.
fn clear(app: &mut App) {
    for _ in 0..64 {
        app.key(KeyCode::Backspace);
    }
}

#[test]
fn the_first_start_asks_for_the_names_prefilled_and_keeps_them() {
    let mut app = unnamed();
    let before = app.store.identity().unwrap();
    assert_eq!(
        app.state.mode,
        Mode::Settings,
        "a store nobody named asks first"
    );
    let settings = app.state.settings.as_ref().unwrap();
    assert!(settings.first);
    assert_eq!(
        settings.value(Part::Inspector),
        before.inspector,
        "the login name"
    );
    assert_eq!(
        settings.value(Part::Device),
        before.device_name,
        "the host name"
    );

    clear(&mut app);
    app.typed("李四").key(KeyCode::Enter);
    clear(&mut app);
    app.typed("北碚-笔记本2").key(KeyCode::Tab).typed("北碚区");
    // Enter on the last field saves.
    app.key(KeyCode::Enter);
    assert_eq!(app.state.mode, Mode::List, "{}", app.said());
    assert!(app.said().contains("李四"), "{}", app.said());
    let id = app.store.identity().unwrap();
    assert_eq!(
        (id.inspector.as_str(), id.device_name.as_str()),
        ("李四", "北碚-笔记本2")
    );
    assert_eq!(id.district.as_deref(), Some("北碚区"));
    assert_eq!(id.device_id, before.device_id, "the same device, renamed");
    assert!(app.store.identity_set().unwrap());

    // What the app writes from now on carries the new name.
    app.key(KeyCode::Char('a')).key(KeyCode::Char('y'));
    let lead = app.store.lead(PENGKUN).unwrap();
    assert_eq!(lead.assignee.as_deref(), Some("李四"));
    // And "my district" now has a district to filter by.
    app.key(KeyCode::Char('f'));
    while app.state.filter != Filter::MyDistrict {
        app.key(KeyCode::Char('f'));
    }
    assert!(!app.lead_rows().is_empty());

    // Opened again, the app does not ask.
    let again = App::over(app.store);
    assert_eq!(again.state.mode, Mode::List);
    assert_eq!(again.state.info.inspector, "李四");
}

#[test]
fn esc_at_the_first_start_keeps_the_names_and_asks_again_next_time() {
    let mut app = unnamed();
    app.key(KeyCode::Esc);
    assert_eq!(app.state.mode, Mode::List);
    assert!(app.said().contains("下次启动时会再问"), "{}", app.said());
    assert!(!app.store.identity_set().unwrap());
    let again = App::over(app.store);
    assert_eq!(again.state.mode, Mode::Settings);
}

#[test]
fn an_empty_name_is_refused_on_its_field_and_nothing_is_saved() {
    let mut app = app();
    let before = app.store.identity().unwrap();
    app.key(KeyCode::Char('I'));
    assert_eq!(app.state.mode, Mode::Settings);
    assert!(!app.state.settings.as_ref().unwrap().first);
    app.key(KeyCode::Down);
    clear(&mut app);
    ctrl(&mut app, 's');
    let settings = app.state.settings.as_ref().unwrap();
    assert_eq!(app.state.mode, Mode::Settings, "still asking");
    assert_eq!(settings.problem.map(|p| p.0), Some(Part::Device));
    assert_eq!(settings.focus, Part::Device, "the field that must change");
    assert_eq!(app.store.identity().unwrap(), before);
    // Typing into it clears the problem; Esc leaves everything as it was.
    app.typed("x");
    assert!(app.state.settings.as_ref().unwrap().problem.is_none());
    app.key(KeyCode::Esc);
    assert_eq!(app.state.mode, Mode::List);
    assert_eq!(app.said(), "", "no first-start note when opened by I");
    assert_eq!(app.store.identity().unwrap(), before);
}

#[test]
fn an_emptied_district_is_cleared() {
    let mut app = app_with(InitOptions {
        inspector: Some("张三".into()),
        district: Some("北碚区".into()),
        ..InitOptions::default()
    });
    assert_eq!(app.state.mode, Mode::List, "named at init: no question");
    app.key(KeyCode::Char('I'))
        .key(KeyCode::Up)
        .key(KeyCode::Char(' '));
    clear(&mut app);
    ctrl(&mut app, 's');
    assert_eq!(app.state.mode, Mode::List, "{}", app.said());
    assert_eq!(app.store.identity().unwrap().district, None);
    assert_eq!(app.state.info.district, None);
}

#[test]
fn init_with_a_name_counts_as_chosen_and_without_one_does_not() {
    let named = Store::memory(&InitOptions {
        device: Some("laptop-7".into()),
        ..InitOptions::default()
    })
    .unwrap();
    assert!(named.identity_set().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let plain = Store::open(&path, &InitOptions::default()).unwrap();
    assert!(!plain.identity_set().unwrap());
    drop(plain);
    // Naming an existing store with the names it already has still counts.
    let id = {
        let store = Store::open(&path, &InitOptions::default()).unwrap();
        store.identity().unwrap()
    };
    let again = Store::open(
        &path,
        &InitOptions {
            inspector: Some(id.inspector.clone()),
            ..InitOptions::default()
        },
    )
    .unwrap();
    assert!(again.identity_set().unwrap());
    assert_eq!(again.identity().unwrap().inspector, id.inspector);
    assert!(
        again.set_identity(" ", "laptop", "").is_err(),
        "the store refuses an empty name too"
    );
}

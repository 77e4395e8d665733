//! Trust in the app: the Sync tab shows this laptop's fingerprint, `K` its whole key with a QR
//! code; a bundle refused because its packer is not trusted asks, showing the packer's
//! fingerprint, and trusts and imports it under a typed name — or changes nothing.

use fieldcheck::store::{ExportOptions, Store};
use fieldcheck::sync::LeadField;
use fieldcheck::tui::action::Action;
use fieldcheck::tui::state::{Mode, Tab};
use fieldcheck::tui::ui;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;

mod common;
use common::app::*;
use common::peers::{device, enrol};

/// Laptop A, which pinned `hq` as its headquarters (so its bundle is sealed to it), made `lead`
/// supervised and exported that into `dir`; the bundle's path.
fn bundle_from(a: &Store, hq: &Store, dir: &std::path::Path) -> String {
    enrol(a, hq, true);
    a.set_lead_field(PENGKUN, &LeadField::Supervised(true))
        .unwrap();
    let out = dir.join("a.fcb");
    let options = ExportOptions {
        out: Some(out.clone()),
        ..ExportOptions::default()
    };
    a.export(&options, today()).unwrap().unwrap();
    out.display().to_string()
}

/// The app on `store`, on the Sync tab, importing `path` through the prompt.
fn import(app: &mut App, path: &str) {
    app.key(KeyCode::Char('4'));
    app.act(Some(Action::PromptReady {
        dir: String::new(),
        files: Vec::new(),
    }));
    assert_eq!(app.state.mode, Mode::Prompt);
    app.typed(path).key(KeyCode::Enter);
}

fn screen(app: &App, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| ui::draw(f, &app.state)).unwrap();
    terminal.backend().to_string()
}

#[test]
fn a_refused_packer_is_shown_by_fingerprint_and_trusted_by_name_then_imported() {
    let dir = tempfile::tempdir().unwrap();
    let a = device("A");
    let mut app = App::over(device("HQ"));
    let path = bundle_from(&a, &app.store, dir.path());
    let changes = app.store.change_count().unwrap();
    import(&mut app, &path);
    assert_eq!(app.state.mode, Mode::Trust, "{}", app.said());
    let fingerprint = a.identity().unwrap().fingerprint;
    let asked = app.state.trust.as_ref().unwrap();
    assert_eq!(asked.who.fingerprint, fingerprint);
    assert!(
        screen(&app, 80, 24).contains(&fingerprint),
        "shown to compare"
    );
    assert_eq!(app.store.change_count().unwrap(), changes, "nothing yet");

    // A name is needed; Enter without one asks for it and stays.
    app.key(KeyCode::Enter);
    assert_eq!(app.state.mode, Mode::Trust);
    assert!(app.said().contains("名称"), "{}", app.said());
    app.typed("北碚-笔记本A").key(KeyCode::Enter);
    assert_eq!(app.state.mode, Mode::List, "{}", app.said());
    assert!(app.said().starts_with("已导入"), "{}", app.said());
    let trusted = app.store.devices().unwrap();
    let a_id = a.identity().unwrap().device_id;
    let entry = trusted.iter().find(|d| d.device == a_id).unwrap();
    assert_eq!(entry.name, "北碚-笔记本A");
    assert!(!entry.hq);
    assert!(
        app.store.lead(PENGKUN).unwrap().supervised,
        "A's change applied"
    );
    assert!(app.state.lead(PENGKUN).unwrap().supervised, "and shown");
}

#[test]
fn esc_trusts_nothing_and_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let a = device("A");
    let mut app = App::over(device("HQ"));
    let path = bundle_from(&a, &app.store, dir.path());
    let (devices, changes) = (
        app.store.devices().unwrap().len(),
        app.store.change_count().unwrap(),
    );
    import(&mut app, &path);
    app.typed("x").key(KeyCode::Tab);
    assert!(app.state.trust.as_ref().unwrap().hq, "Tab: as headquarters");
    app.key(KeyCode::Esc);
    assert_eq!(app.state.mode, Mode::List);
    assert!(app.state.trust.is_none());
    assert!(app.said().contains("未信任"), "{}", app.said());
    assert_eq!(app.store.devices().unwrap().len(), devices);
    assert_eq!(app.store.change_count().unwrap(), changes);
    assert!(!app.store.lead(PENGKUN).unwrap().supervised);
}

#[test]
fn the_sync_tab_shows_the_fingerprint_and_k_the_key_with_its_qr_code() {
    let mut app = app();
    let id = app.store.identity().unwrap();
    app.key(KeyCode::Char('4'));
    assert!(screen(&app, 80, 24).contains(&id.fingerprint));
    app.key(KeyCode::Char('K'));
    assert_eq!((app.state.mode, app.state.tab), (Mode::Key, Tab::Sync));
    let tall = screen(&app, 120, 40);
    assert!(tall.contains(&id.fingerprint), "{tall}");
    assert!(
        tall.contains(&id.public_key[..60]),
        "the key as text: {tall}"
    );
    let blocks = tall.lines().filter(|l| l.matches('▀').count() > 20).count();
    assert!(blocks >= 15, "a QR code is drawn: {tall}");
    let small = screen(&app, 80, 24);
    assert!(small.contains(&id.fingerprint), "{small}");
    app.key(KeyCode::Esc);
    assert_eq!(app.state.mode, Mode::List);
}

/// The QR code holds the key in upper case (alphanumeric: a smaller code); `trust add` and the
/// store take it as the same key.
#[test]
fn a_key_read_in_upper_case_is_the_same_key() {
    let (hq, a) = (device("HQ"), device("A"));
    let key = a.identity().unwrap().public_key;
    let options = fieldcheck::store::TrustOptions {
        name: "A".into(),
        ..Default::default()
    };
    let trusted = hq.trust(&key.to_ascii_uppercase(), &options).unwrap();
    assert_eq!(trusted.key, key);
    let listed = hq.devices().unwrap();
    assert!(listed.iter().any(|d| d.key == key));
}

/// A message longer than the status line is shown whole, wrapped in a box above it.
#[test]
fn a_long_message_is_shown_whole() {
    let mut app = app();
    let key = app.store.identity().unwrap().public_key;
    let refusal = fieldcheck::error::Error::Bundle {
        file: "/media/usb/a.fcb".into(),
        problem: fieldcheck::sync::bundle::Problem::Untrusted {
            key: key.clone(),
            fingerprint: "9a0b 77c1 e2f4 0d35".into(),
        },
    };
    for lang in [fieldcheck::i18n::Lang::Zh, fieldcheck::i18n::Lang::En] {
        let text = refusal.message(lang);
        app.state.message = Some(fieldcheck::tui::state::Message {
            text: text.clone(),
            error: true,
        });
        let shown: String = screen(&app, 80, 24)
            .lines()
            .map(|l| {
                let inner = l.split('"').nth(1).unwrap_or("");
                inner.trim_matches(|c| c == '│' || c == ' ').to_string()
            })
            .collect::<Vec<_>>()
            .join("");
        let squeezed: String = shown.split_whitespace().collect();
        for part in [&key[..40], "9a0b", "--trust-new"] {
            assert!(squeezed.contains(part), "{part} not shown: {shown}");
        }
        // Any key clears it.
        app.key(KeyCode::Char('j'));
        assert!(app.state.message.is_none());
    }
}

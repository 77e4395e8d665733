//! Correcting a visit from the Visits tab: `C` on the lead's latest visit opens the correction
//! form on the Leads tab; an older or already corrected visit is refused at once, by name.

use fieldcheck::tui::state::{Mode, Tab};
use ratatui::crossterm::event::KeyCode;

mod common;
use common::app::*;

#[test]
fn c_on_the_visits_tab_corrects_the_latest_visit_and_refuses_an_older_one() {
    let mut app = app();
    app.paid(PENGKUN, "王五,财务,023-1", "76.6");
    app.paid(JIATENG, "赵六,出纳,023-2", "10");
    let pengkun = app.store.visits(Some(PENGKUN)).unwrap().remove(0);
    app.key(KeyCode::Char('3'));
    assert_eq!(app.state.tab, Tab::Visits);
    // Newest first: 嘉腾's visit, then 朋昆's.
    app.key(KeyCode::Down);
    app.key(KeyCode::Char('C'));
    assert_eq!(app.state.mode, Mode::Form, "{}", app.said());
    assert_eq!(app.state.tab, Tab::Leads, "the form opens on the lead");
    assert_eq!(app.selected(), PENGKUN);
    let form = app.state.form.as_mut().unwrap();
    assert_eq!(form.supersedes.as_deref(), Some(pengkun.id.as_str()));
    assert_eq!(form.to_visit_form().paid_wan, "76.6", "prefilled");
    form.finding = Some(fieldcheck::model::Finding::PartlyPaid);
    app.act(Some(fieldcheck::tui::action::Action::Paste(
        "只付了一部分".into(),
    )));
    ctrl(&mut app, 's');
    assert_eq!(app.state.mode, Mode::List, "{}", app.said());
    let visits = app.store.visits(Some(PENGKUN)).unwrap();
    assert_eq!(visits.len(), 2);
    assert!(app.state.is_corrected(&pengkun.id));

    // The correction is listed as the newest (it keeps the corrected visit's minute, not its
    // seconds), the corrected visit the oldest.
    app.key(KeyCode::Char('3')).key(KeyCode::Home);
    let first = app.state.visit_list.current().unwrap();
    assert_eq!(
        app.state.visits.id(first),
        visits[1].id,
        "the correction comes first"
    );
    // The corrected visit cannot be corrected again: refused on the spot, no form.
    app.key(KeyCode::End);
    let last = app.state.visit_list.current().unwrap();
    assert_eq!(
        app.state.visits.id(last),
        pengkun.id,
        "the oldest, at the end"
    );
    app.key(KeyCode::Char('C'));
    assert_eq!(app.state.mode, Mode::List);
    assert_eq!(app.state.tab, Tab::Visits);
    assert!(app.said().contains("只能更正"), "{}", app.said());
}

/// A correction whose time is left as the form shows it (to the minute) keeps the corrected
/// visit's exact time, as `fieldcheck visit correct` does: both front ends list it alike.
#[test]
fn a_correction_keeps_the_exact_time_left_as_shown() {
    let store = store();
    let form = fieldcheck::model::form::VisitForm {
        at: "2022-01-28T03:30:37Z".into(),
        ..common::peers::visit_form(PENGKUN)
    };
    let today = today();
    let old = store
        .finalize(&form, fieldcheck::clock::now_on(today), today, false)
        .unwrap()
        .visit;
    let mut app = App::over(store);
    app.key(KeyCode::Down)
        .key(KeyCode::Up)
        .key(KeyCode::Char('C'));
    assert_eq!(app.state.mode, Mode::Form, "{}", app.said());
    app.act(Some(fieldcheck::tui::action::Action::Paste(
        "结果选错".into(),
    )));
    ctrl(&mut app, 's');
    assert_eq!(app.state.mode, Mode::List, "{}", app.said());
    let visits = app.store.visits(Some(PENGKUN)).unwrap();
    assert_eq!(visits[1].supersedes.as_deref(), Some(old.id.as_str()));
    assert_eq!(visits[1].at, old.at);
}

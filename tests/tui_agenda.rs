//! Next steps in the app: the ledger's dates and overdue marks follow each lead's latest next
//! step as well as its deadline, after a restart too, and so does the report; the 今日 tab lists
//! what is due.

use chrono::NaiveDate;
use fieldcheck::i18n::Lang;
use fieldcheck::model::due::Waiting;
use fieldcheck::model::form::VisitForm;
use fieldcheck::tui::action::Action;
use fieldcheck::tui::agenda::When;
use fieldcheck::tui::load;
use fieldcheck::tui::state::{Filter, Mode, Tab};
use ratatui::crossterm::event::KeyCode;

mod common;
use common::app::*;

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, d).unwrap()
}

impl App {
    /// Finalizes a disputed on-site visit to `lead` whose next step is `next`, due `due`.
    fn disputed(&mut self, lead: &str, next: &str, due: &str) {
        let form = VisitForm {
            lead: lead.into(),
            kind: "onsite".into(),
            finding: "disputed".into(),
            met: vec!["王五,财务,023-1".into()],
            evidence: vec!["contract:HT-1".into()],
            next: next.into(),
            due: due.into(),
            ..Default::default()
        };
        let done = self
            .store
            .finalize(&form, fieldcheck::clock::now_on(today()), today(), false)
            .unwrap();
        self.act(Some(Action::Finalized(Box::new(done))));
    }

    fn pos(&self, id: &str) -> usize {
        self.state.leads.iter().position(|l| l.id == id).unwrap()
    }
}

#[test]
fn a_next_step_past_due_makes_its_lead_overdue_in_the_ledger_and_the_report() {
    let mut app = app();
    let deadline = app.state.leads[app.pos(JIATENG)].deadline.unwrap();
    assert!(deadline > day(28), "the seed's deadline is after the step");
    app.disputed(JIATENG, "约双方到区经信委协商", "2022-01-27");
    let at = app.pos(JIATENG);
    let next = app.state.next_steps.of_lead(at).unwrap();
    assert_eq!(
        (&*next.text, next.due),
        ("约双方到区经信委协商", Some(day(27)))
    );
    // The list shows the earlier date the lead waits for, not yet late.
    assert_eq!(app.state.due_shown(at), Some(day(27)));
    assert!(!app.state.is_late(at));

    // Three days later, after a restart: late by its next step, not by its deadline.
    let mut state = load(&app.store, Lang::Zh, day(28)).unwrap();
    let at = state.leads.iter().position(|l| l.id == JIATENG).unwrap();
    assert!(!state.leads[at].is_overdue(day(28)));
    assert!(state.is_late(at));
    assert_eq!(state.next_steps.due(at), Some(day(27)));
    let first_unsupervised = state
        .lead_list
        .rows
        .iter()
        .copied()
        .find(|&i| !state.leads[i].supervised);
    assert_eq!(first_unsupervised, Some(at), "among the overdue, first");
    state.filter = Filter::Overdue;
    state.refresh_leads();
    assert!(state.lead_list.rows.contains(&at));
    assert!(
        state.lead_list.rows.iter().all(|&i| state.is_late(i)),
        "the filter keeps only late leads"
    );

    let report = fieldcheck::report::read(&app.store, day(28), None, false).unwrap();
    let row = report.rows.iter().find(|r| r.id == JIATENG).unwrap();
    assert!(row.overdue, "the report says overdue too");
    assert_eq!(row.due, Some(day(27)));
    assert!(app.state.leads.iter().all(|l| !l.supervised));
    assert_eq!(report.rows[0].id, JIATENG, "and orders it first");
}

#[test]
fn a_later_visit_without_a_next_step_clears_it() {
    let mut app = app();
    app.disputed(PENGKUN, "补交验收单", "2022-01-26");
    let at = app.pos(PENGKUN);
    assert!(app.state.next_steps.of_lead(at).is_some());
    app.paid(PENGKUN, "王五,财务,023-1", "76.6");
    assert_eq!(
        app.state.next_steps.of_lead(at),
        None,
        "the latest visit set none"
    );
    let state = load(&app.store, Lang::Zh, day(28)).unwrap();
    assert_eq!(state.next_steps.of_lead(at), None, "after a restart too");
}

/// What each agenda row is: the lead and whether it is its next step (else its deadline).
fn agenda(state: &fieldcheck::tui::state::State) -> Vec<(String, bool, When)> {
    state
        .agenda_list
        .rows
        .iter()
        .map(|&i| {
            let it = &state.agenda[i];
            let id = state.leads[it.lead].id.clone();
            (id, it.waiting == Waiting::NextStep, it.when)
        })
        .collect()
}

#[test]
fn the_agenda_lists_what_is_due_by_day_supervised_first_and_opens_its_lead() {
    let mut app = app();
    // 2022-01-25 is a Tuesday; the seed's deadlines are on Sunday the 30th, this week.
    app.store
        .set_lead_field(ANBAO, &fieldcheck::sync::LeadField::Supervised(true))
        .unwrap();
    app.disputed(JIATENG, "约双方到区经信委协商", "2022-01-25");
    app.disputed(PENGKUN, "补交验收单", "2022-02-03");
    let mut app = App::over(app.store);
    app.key(KeyCode::Char('5'));
    assert_eq!(app.state.tab, Tab::Agenda);
    let want = |id: &str, step, when| (id.to_string(), step, when);
    assert_eq!(
        agenda(&app.state),
        vec![
            want(JIATENG, true, When::Today),
            want(ANBAO, false, When::ThisWeek),
            want(PENGKUN, false, When::ThisWeek),
            want(JIATENG, false, When::ThisWeek),
        ],
        "today first; supervised first within a day; next week's step not shown"
    );
    assert_eq!(app.state.agenda_counts(), [0, 1, 3]);

    // A day later the step is overdue and comes first; the week is the same.
    app.state.today = day(26);
    app.key(KeyCode::Char('1')).key(KeyCode::Char('5'));
    assert_eq!(agenda(&app.state)[0], want(JIATENG, true, When::Overdue));

    // Enter opens the lead in the detail pane, clearing a search that hid it.
    app.key(KeyCode::Char('1'))
        .key(KeyCode::Char('/'))
        .typed("安宝");
    app.key(KeyCode::Enter);
    assert_eq!(app.lead_rows(), vec![ANBAO]);
    app.key(KeyCode::Char('5')).key(KeyCode::Enter);
    assert_eq!((app.state.tab, app.state.mode), (Tab::Leads, Mode::Detail));
    assert_eq!(app.selected(), JIATENG);
    assert!(app.state.lead_list.query.is_empty());
    assert!(app.said().contains("已清除搜索"), "{}", app.said());
    // Down then Enter opens the next item's lead.
    app.key(KeyCode::Char('5'))
        .key(KeyCode::Down)
        .key(KeyCode::Enter);
    assert_eq!(app.selected(), ANBAO);
}

#[test]
fn a_resolved_lead_without_a_next_step_is_not_on_the_agenda() {
    let mut app = app();
    app.paid(PENGKUN, "王五,财务,023-1", "76.6");
    app.key(KeyCode::Char('5'));
    let before = agenda(&app.state);
    assert!(
        before.iter().all(|(id, _, _)| id != PENGKUN),
        "a resolved lead's deadline is met: {before:?}"
    );
    assert_eq!(before.len(), 2);
}

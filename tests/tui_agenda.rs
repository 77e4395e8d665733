//! Next steps in the app: the ledger's dates and overdue marks follow each lead's latest next
//! step as well as its deadline, after a restart too, and so does the report.

use chrono::NaiveDate;
use fieldcheck::i18n::Lang;
use fieldcheck::model::form::VisitForm;
use fieldcheck::tui::action::Action;
use fieldcheck::tui::load;
use fieldcheck::tui::state::Filter;

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

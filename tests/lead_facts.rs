//! Facts found on site — the debtor, the amount owed, the enterprise's contact person and phone —
//! are synced fields of a lead: set on one laptop, they reach the others; set differently on two
//! at once, they conflict like any other field; a hostile value (an endless name, a negative
//! amount, a terminal escape in a name, letters for a phone) is refused with its bundle.

use fieldcheck::store::Store;
use fieldcheck::sync::LeadField;
use serde_json::json;

mod common;
use common::peers::{LEADS, bundle_of, change, device, enrol, send, signed, try_import};

fn pair() -> (Store, Store) {
    let (a, b) = (device("A"), device("B"));
    enrol(&a, &b, false);
    enrol(&b, &a, false);
    (a, b)
}

#[test]
fn a_debtor_and_an_amount_found_on_site_reach_the_other_laptop() {
    let (a, b) = pair();
    let lead = LEADS[0];
    a.set_lead_fields(
        lead,
        &[
            LeadField::Debtor(Some("重庆某某建设集团有限公司".into())),
            LeadField::Amount(Some(802_500)),
        ],
    )
    .unwrap();
    send(&a, &b);
    let there = b.lead(lead).unwrap();
    assert_eq!(there.debtor.as_deref(), Some("重庆某某建设集团有限公司"));
    assert_eq!(there.amount_yuan, Some(802_500));
    assert!(b.verify().unwrap().is_empty(), "the log rebuilds the facts");
    // The debtor found on site is searched like the notice's text, here and there.
    for store in [&a, &b] {
        let hits =
            fieldcheck::search::search(store, "mmjs", fieldcheck::search::Scope::Leads, 5).unwrap();
        assert_eq!(hits.first().map(|h| h.id.as_str()), Some(lead));
    }
    a.set_lead_fields(
        lead,
        &[
            LeadField::Contact(Some("王会计".into())),
            LeadField::Phone(Some("023-68860760".into())),
        ],
    )
    .unwrap();
    send(&a, &b);
    let there = b.lead(lead).unwrap();
    assert_eq!(
        (there.contact.as_deref(), there.phone.as_deref()),
        (Some("王会计"), Some("023-68860760"))
    );
    assert!(b.verify().unwrap().is_empty());
    // Cleared again, the clearing syncs too.
    a.set_lead_field(lead, &LeadField::Debtor(None)).unwrap();
    send(&a, &b);
    assert_eq!(b.lead(lead).unwrap().debtor, None);
}

#[test]
fn two_debtors_written_at_once_are_a_conflict() {
    let (a, b) = pair();
    let lead = LEADS[1];
    a.set_lead_field(lead, &LeadField::Debtor(Some("甲公司".into())))
        .unwrap();
    b.set_lead_field(lead, &LeadField::Debtor(Some("乙公司".into())))
        .unwrap();
    send(&a, &b);
    let conflicts = b.conflicts().unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(conflicts[0].field, "debtor");
}

#[test]
fn a_hostile_debtor_or_amount_is_refused_with_its_bundle() {
    let (a, b) = pair();
    let lead = LEADS[2];
    let before = b.lead(lead).unwrap();
    for (field, value) in [
        ("debtor", json!("债".repeat(201))),
        ("debtor", json!("")),
        ("amount_yuan", json!(-1)),
        ("amount_yuan", json!(1_000_000_000_001_i64)),
        ("amount_yuan", json!("76.6")),
        ("debtor", json!("甲公司\u{1b}[2J")),
        ("contact", json!("王\u{1b}]0;pwned\u{7}")),
        ("contact", json!("人".repeat(51))),
        ("contact", json!(7)),
        ("phone", json!("call me")),
        ("phone", json!("12")),
        ("phone", json!("1".repeat(41))),
    ] {
        let mut c = change(&common::peers::id(&a), 1, None, common::peers::now_ms());
        c.entity = format!("lead:{lead}");
        c.field = field.into();
        c.value = value.clone();
        let c = signed(c, &a);
        let refused = try_import(&b, &bundle_of(&a, &[c]));
        assert!(refused.is_err(), "{field} = {value} was taken");
        assert_eq!(b.lead(lead).unwrap(), before);
    }
    // The same change with a sound value is taken: the refusals were the values'.
    let mut c = change(&common::peers::id(&a), 1, None, common::peers::now_ms());
    c.entity = format!("lead:{lead}");
    c.field = "debtor".into();
    c.value = json!("丙公司");
    try_import(&b, &bundle_of(&a, &[signed(c, &a)])).unwrap();
    assert_eq!(b.lead(lead).unwrap().debtor.as_deref(), Some("丙公司"));
}

#[test]
fn typed_facts_are_read_or_refused() {
    assert_eq!(
        LeadField::typed_amount_wan("76.6"),
        Some(LeadField::Amount(Some(766_000)))
    );
    assert_eq!(
        LeadField::typed_amount_wan("none"),
        Some(LeadField::Amount(None))
    );
    assert_eq!(LeadField::typed_amount_wan("七十"), None);
    assert_eq!(LeadField::typed_amount_wan("1.23456"), None);
    assert_eq!(LeadField::typed_debtor(" "), Some(LeadField::Debtor(None)));
    assert_eq!(LeadField::typed_debtor(&"x".repeat(201)), None);
    assert_eq!(
        LeadField::typed_phone("023—6886 0760转12"),
        Some(LeadField::Phone(Some("023-6886 0760转12".into())))
    );
    assert_eq!(LeadField::typed_phone("none"), Some(LeadField::Phone(None)));
    assert_eq!(LeadField::typed_phone("找王会计"), None);
    assert_eq!(
        LeadField::typed_contact(" 王会计 "),
        Some(LeadField::Contact(Some("王会计".into())))
    );
    assert_eq!(LeadField::typed_contact("王\u{1b}[2J"), None);
}

mod in_the_app {
    use super::common::app::*;
    use fieldcheck::tui::settings::{Part, Purpose};
    use fieldcheck::tui::state::Mode;
    use ratatui::crossterm::event::KeyCode;

    #[test]
    fn d_sets_the_debtor_and_amount_found_on_site() {
        let mut app = app();
        assert_eq!(app.selected(), PENGKUN);
        let changes = app.store.change_count().unwrap();
        app.key(KeyCode::Char('D'));
        assert_eq!(app.state.mode, Mode::Settings);
        let form = app.state.settings.as_ref().unwrap();
        assert_eq!(form.purpose, Purpose::Facts(PENGKUN.into()));
        assert_eq!(
            form.value(Part::Amount),
            "76.6",
            "prefilled from the notice"
        );
        app.typed("重庆某某建设集团有限公司").key(KeyCode::Enter);
        for _ in 0..8 {
            app.key(KeyCode::Backspace);
        }
        // Not an amount, not a phone: refused on the first field that must change, nothing saved.
        app.typed("七十").key(KeyCode::Enter);
        app.typed("王会计").key(KeyCode::Enter);
        app.typed("023－６８８６０７６０").key(KeyCode::Enter);
        let form = app.state.settings.as_ref().unwrap();
        assert_eq!(form.problem.map(|p| p.0), Some(Part::Amount));
        assert_eq!(form.focus, Part::Amount);
        assert_eq!(app.store.change_count().unwrap(), changes);
        app.key(KeyCode::Backspace).key(KeyCode::Backspace);
        app.typed("80.25");
        ctrl(&mut app, 's');
        assert_eq!(app.state.mode, Mode::List, "{}", app.said());
        let lead = app.store.lead(PENGKUN).unwrap();
        assert_eq!(lead.debtor.as_deref(), Some("重庆某某建设集团有限公司"));
        assert_eq!(lead.amount_yuan, Some(802_500));
        assert_eq!(lead.contact.as_deref(), Some("王会计"));
        assert_eq!(
            lead.phone.as_deref(),
            Some("023-68860760"),
            "full-width digits and dashes read as typed"
        );
        assert_eq!(
            app.store.change_count().unwrap(),
            changes + 4,
            "four changes"
        );
        assert_eq!(
            app.state.lead(PENGKUN).unwrap().debtor.as_deref(),
            Some("重庆某某建设集团有限公司"),
            "shown at once"
        );
        // Saved as it stands: no change at all.
        app.key(KeyCode::Char('D'))
            .key(KeyCode::Enter)
            .key(KeyCode::Enter);
        assert_eq!(
            app.state.mode,
            Mode::Settings,
            "Enter moves on until the last field"
        );
        ctrl(&mut app, 's');
        assert_eq!(app.state.mode, Mode::List);
        assert_eq!(app.store.change_count().unwrap(), changes + 4);
    }

    /// Ctrl-D in the visit form opens the same facts for the form's lead; saving or Esc goes
    /// back to the form, whose typing is kept.
    #[test]
    fn ctrl_d_in_the_visit_form_sets_the_facts_and_returns() {
        use ratatui::crossterm::event::{KeyEvent, KeyModifiers};
        let mut app = app();
        app.key(KeyCode::Char('v'));
        assert_eq!(app.state.mode, Mode::Form);
        app.state.form.as_mut().unwrap().focus = fieldcheck::tui::form::Field::Notes;
        app.typed("门卫说财务不在");
        let ctrl_d = KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL);
        app.act(fieldcheck::tui::keymap::action(
            app.state.mode,
            app.state.tab,
            &ctrl_d,
        ));
        assert_eq!(app.state.mode, Mode::Settings);
        let facts = app.state.settings.as_ref().unwrap();
        assert_eq!(facts.purpose, Purpose::Facts(PENGKUN.into()));
        app.typed("重庆某某建设集团有限公司");
        ctrl(&mut app, 's');
        assert_eq!(app.state.mode, Mode::Form, "back to the form");
        assert_eq!(
            app.store.lead(PENGKUN).unwrap().debtor.as_deref(),
            Some("重庆某某建设集团有限公司")
        );
        let form = app.state.form.as_ref().unwrap().to_visit_form();
        assert_eq!(form.notes, "门卫说财务不在", "the form kept what was typed");
        // Esc from the facts goes back to the form too.
        app.act(fieldcheck::tui::keymap::action(
            app.state.mode,
            app.state.tab,
            &ctrl_d,
        ));
        app.key(KeyCode::Esc);
        assert_eq!(app.state.mode, Mode::Form);
    }

    /// Rule 8: the facts form shows a contact in clear, so on a confidential lead it opens only
    /// once the lead is revealed (`u`, this lead only).
    #[test]
    fn d_on_a_confidential_lead_asks_to_reveal_it_first() {
        let mut app = app();
        app.key(KeyCode::Char('c')).key(KeyCode::Char('y'));
        assert!(app.store.lead(PENGKUN).unwrap().confidential);
        app.key(KeyCode::Char('D'));
        assert_eq!(app.state.mode, Mode::List);
        assert!(app.said().contains("保密线索"), "{}", app.said());
        app.key(KeyCode::Char('u')).key(KeyCode::Char('D'));
        assert_eq!(app.state.mode, Mode::Settings);
    }
}

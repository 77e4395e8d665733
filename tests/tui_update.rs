//! Key sequences through the real keymap, `update` and effect runner, on a seeded in-memory
//! store; searches are answered by the real searcher as soon as they are asked for.

use chrono::NaiveDate;
use fieldcheck::i18n::Lang;
use fieldcheck::model::Status;
use fieldcheck::store::InitOptions;
use fieldcheck::tui::action::Action;
use fieldcheck::tui::searcher::Request;
use fieldcheck::tui::state::{Filter, Mode, Sort, State, Tab};
use fieldcheck::tui::{keymap, load, update};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

mod common;
use common::app::*;

#[test]
fn search_narrows_on_every_key_and_widens_on_backspace() {
    let mut app = app();
    assert_eq!(app.lead_rows().len(), 3);
    app.key(KeyCode::Char('/'));
    assert_eq!(app.state.mode, Mode::Search);
    app.typed("b");
    let one = app.lead_rows().len();
    app.typed("b");
    let two = app.lead_rows().len();
    app.typed("q");
    assert_eq!(app.lead_rows(), [PENGKUN, JIATENG]);
    // "b" matches all three (重庆… has b in 安宝, 北碚), "bb" fewer or as many, "bbq" two.
    assert_eq!(one, 3);
    assert!(one >= two && two >= 2, "{one} {two}");
    // Highlights come with the results: 北碚区 is matched in the district.
    let pos = app.state.lead_list.rows[0];
    assert_eq!(app.state.lead_list.matches(pos)[0].positions, [0, 1, 2]);
    app.typed("x");
    assert!(app.lead_rows().is_empty());
    app.key(KeyCode::Backspace);
    assert_eq!(app.lead_rows(), [PENGKUN, JIATENG]);
    // Enter keeps the filter and returns to the list; Esc there clears it.
    app.key(KeyCode::Enter);
    assert_eq!((app.state.mode, app.lead_rows().len()), (Mode::List, 2));
    app.key(KeyCode::Esc);
    assert_eq!(
        (app.state.lead_list.query.as_str(), app.lead_rows().len()),
        ("", 3)
    );
}

#[test]
fn esc_in_the_search_line_clears_it() {
    let mut app = app();
    app.key(KeyCode::Char('/')).typed("cqpk");
    assert_eq!(app.lead_rows(), [PENGKUN]);
    assert_eq!(app.selected(), PENGKUN);
    app.key(KeyCode::Esc);
    assert_eq!((app.state.mode, app.lead_rows().len()), (Mode::List, 3));
}

#[test]
fn pinyin_and_digits_search_the_directory() {
    let mut app = app();
    app.key(KeyCode::Char('2'));
    assert_eq!(app.state.tab, Tab::Directory);
    assert_eq!(app.channel_rows().len(), 77);
    app.key(KeyCode::Char('/')).typed("beibei");
    assert_eq!(app.channel_rows()[0], "北碚区");
    app.key(KeyCode::Esc).key(KeyCode::Char('/')).typed("68860");
    assert_eq!(app.channel_rows(), ["北碚区"]);
    // Each list keeps its own query.
    app.key(KeyCode::Enter).key(KeyCode::Char('1'));
    assert_eq!(app.lead_rows().len(), 3);
}

#[test]
fn stale_search_results_are_dropped() {
    let mut app = app();
    app.key(KeyCode::Char('/'));
    let old = Request {
        generation: 0,
        tab: Tab::Leads,
        query: String::new(),
    };
    app.typed("安宝");
    let newest = app.state.lead_list.generation;
    let stale = app.searcher.answer(&Request {
        generation: newest - 1,
        query: "朋".into(),
        ..old
    });
    update::update(&mut app.state, stale);
    assert_eq!(app.lead_rows(), [ANBAO]);
}

#[test]
fn tabs_switch_by_tab_shift_tab_and_number() {
    let mut app = app();
    app.key(KeyCode::Tab);
    assert_eq!(app.state.tab, Tab::Directory);
    app.key(KeyCode::Tab).key(KeyCode::Tab).key(KeyCode::Tab);
    assert_eq!(app.state.tab, Tab::Agenda);
    app.key(KeyCode::Tab);
    assert_eq!(app.state.tab, Tab::Leads);
    app.key(KeyCode::BackTab);
    assert_eq!(app.state.tab, Tab::Agenda);
    app.key(KeyCode::Char('4'));
    assert_eq!(app.state.tab, Tab::Sync);
    app.key(KeyCode::Char('3'));
    assert_eq!(app.state.tab, Tab::Visits);
    // Lead keys do nothing off the leads tab.
    app.key(KeyCode::Char('!'));
    assert_eq!(app.store.change_count().unwrap(), 0);
}

#[test]
fn status_changes_only_to_states_the_rules_allow_and_are_stored() {
    let mut app = app();
    app.key(KeyCode::Char('s'));
    assert_eq!(app.state.mode, Mode::PickStatus);
    assert_eq!(
        app.state.picker.as_ref().unwrap().options,
        [Status::Verifying]
    );
    app.key(KeyCode::Enter);
    assert_eq!(app.state.mode, Mode::List);
    let id = app.selected().to_string();
    assert_eq!(app.store.lead(&id).unwrap().status, Status::Verifying);
    assert!(app.state.message.as_ref().unwrap().text.contains("核查中"));
    assert_eq!(app.state.changes, 1);
    // From 核查中 the only manual move is back to 待核查; Esc cancels without a change.
    app.key(KeyCode::Char('s'));
    assert_eq!(app.state.picker.as_ref().unwrap().options, [Status::New]);
    app.key(KeyCode::Esc);
    assert_eq!(
        (app.state.mode, app.store.change_count().unwrap()),
        (Mode::List, 1)
    );
}

#[test]
fn a_closed_lead_cannot_be_moved_by_hand() {
    let mut app = app();
    app.state
        .leads
        .iter_mut()
        .for_each(|l| std::sync::Arc::make_mut(l).status = Status::Closed);
    app.key(KeyCode::Char('s'));
    assert_eq!(app.state.mode, Mode::List);
    let message = app.state.message.clone().unwrap();
    assert!(
        message.error && message.text.contains("规则5"),
        "{}",
        message.text
    );
}

#[test]
fn triage_keys_are_saved_as_changes_and_survive_a_restart() {
    let mut app = app_with(InitOptions {
        inspector: Some("张三".into()),
        ..InitOptions::default()
    });
    app.key(KeyCode::Down).key(KeyCode::Down);
    assert_eq!(app.selected(), ANBAO);
    // Each triage key asks first; any key but y leaves the lead as it is.
    app.key(KeyCode::Char('!'));
    assert_eq!(app.state.mode, Mode::Confirm);
    let question = app.said();
    assert!(
        question.contains("挂牌督办 → 是")
            && question.contains("安宝")
            && question.contains("待核查"),
        "{question}"
    );
    app.key(KeyCode::Char('k'));
    assert_eq!((app.state.mode, app.state.changes), (Mode::List, 0));
    assert_eq!(
        app.selected(),
        ANBAO,
        "the other key did not move the selection"
    );
    app.key(KeyCode::Char('!')).key(KeyCode::Char('y'));
    // Supervised leads come first: 安宝 moves to the top and stays selected.
    assert_eq!(app.lead_rows()[0], ANBAO);
    assert_eq!(app.selected(), ANBAO);
    app.key(KeyCode::Char('c'))
        .key(KeyCode::Char('y'))
        .key(KeyCode::Char('a'))
        .key(KeyCode::Char('y'));
    assert_eq!(app.state.changes, 3);
    assert!(app.state.message.as_ref().unwrap().text.contains("张三"));
    let reloaded = load(&app.store, Lang::Zh, today()).unwrap();
    let lead = reloaded.leads.iter().find(|l| l.id == ANBAO).unwrap();
    assert!(lead.supervised && lead.confidential);
    assert_eq!(lead.assignee.as_deref(), Some("张三"));
    assert_eq!(reloaded.changes, 3);
    let changes = app.store.changes().unwrap();
    assert!(
        changes
            .iter()
            .all(|c| c.author == "张三" && c.entity == format!("lead:{ANBAO}"))
    );
    // `a` again unassigns.
    app.key(KeyCode::Char('a')).key(KeyCode::Char('y'));
    assert_eq!(app.store.lead(ANBAO).unwrap().assignee, None);
}

#[test]
fn filters_and_sorts_cycle() {
    let mut app = app();
    app.key(KeyCode::Char('f'));
    assert_eq!(app.state.filter, Filter::Overdue);
    assert!(
        app.lead_rows().is_empty(),
        "nothing is overdue on 2022-01-25"
    );
    app.key(KeyCode::Char('f'));
    assert_eq!(
        (app.state.filter, app.lead_rows().len()),
        (Filter::Status(Status::New), 3)
    );
    for _ in 0..5 {
        app.key(KeyCode::Char('f'));
    }
    assert_eq!(app.state.filter, Filter::MyDistrict);
    assert!(
        app.state
            .message
            .as_ref()
            .unwrap()
            .text
            .contains("--district")
    );
    app.key(KeyCode::Char('f'));
    assert_eq!(app.state.filter, Filter::All);
    app.key(KeyCode::Char('o'));
    assert_eq!(app.state.sort, Sort::Amount);
    assert_eq!(app.lead_rows(), [JIATENG, PENGKUN, ANBAO]);
    app.key(KeyCode::Char('o'));
    assert_eq!(app.lead_rows(), [PENGKUN, JIATENG, ANBAO]);
}

#[test]
fn my_district_filter_uses_the_inspector_district() {
    let mut app = app_with(InitOptions {
        district: Some("渝北区".into()),
        ..InitOptions::default()
    });
    for _ in 0..7 {
        app.key(KeyCode::Char('f'));
    }
    assert_eq!(app.state.filter, Filter::MyDistrict);
    assert_eq!(app.lead_rows(), [ANBAO]);
}

#[test]
fn overdue_filter_follows_the_injected_clock() {
    let mut app = app();
    app.state.today = NaiveDate::from_ymd_opt(2022, 2, 1).unwrap();
    app.key(KeyCode::Char('f'));
    assert_eq!(app.lead_rows().len(), 3);
}

#[test]
fn help_opens_over_any_mode_and_returns_to_it() {
    let mut app = app();
    app.key(KeyCode::Enter);
    assert_eq!(app.state.mode, Mode::Detail);
    app.key(KeyCode::Char('?'));
    assert_eq!(
        (app.state.mode, app.state.before_help),
        (Mode::Help, Mode::Detail)
    );
    // Keys other than the help's own do nothing while it is open.
    app.key(KeyCode::Char('!'));
    assert_eq!(app.store.change_count().unwrap(), 0);
    app.key(KeyCode::Char('?'));
    assert_eq!(app.state.mode, Mode::Detail);
    let help = keymap::help(Mode::List, Tab::Leads, Lang::Zh);
    for key in ["/", "Enter", "s", "!", "c", "a", "f", "o", "?", "q Ctrl-C"] {
        assert!(help.iter().any(|(k, _)| *k == key), "help lacks {key}");
    }
}

#[test]
fn detail_focus_scrolls_and_moving_keeps_to_the_list() {
    let mut app = app();
    app.state.height = 24;
    app.key(KeyCode::Enter)
        .key(KeyCode::Char('j'))
        .key(KeyCode::Char('j'));
    assert_eq!((app.state.detail_scroll, app.selected()), (2, PENGKUN));
    app.key(KeyCode::Esc).key(KeyCode::End);
    assert_eq!((app.state.detail_scroll, app.selected()), (0, ANBAO));
    app.key(KeyCode::PageUp);
    assert_eq!(app.selected(), PENGKUN);
    app.key(KeyCode::PageDown);
    assert_eq!(app.selected(), ANBAO);
}

#[test]
fn q_quits_but_types_in_the_search_line() {
    let mut app = app();
    app.key(KeyCode::Char('/')).typed("q");
    assert!(!app.state.quit);
    assert_eq!(app.state.lead_list.query, "q");
    app.key(KeyCode::Enter).key(KeyCode::Char('q'));
    assert!(app.state.quit);
}

#[test]
fn supervised_leads_come_first_in_search_results_too() {
    let mut app = app();
    app.key(KeyCode::Char('/')).typed("bbq").key(KeyCode::Enter);
    assert_eq!(app.lead_rows(), [PENGKUN, JIATENG]);
    app.key(KeyCode::Down)
        .key(KeyCode::Char('!'))
        .key(KeyCode::Char('y'));
    assert_eq!(app.lead_rows(), [JIATENG, PENGKUN]);
    assert_eq!(app.selected(), JIATENG);
}

#[test]
fn keys_do_nothing_but_quit_while_the_terminal_is_too_small() {
    let mut app = app();
    app.act(Some(Action::Resize(70, 20)));
    app.key(KeyCode::Char('c'))
        .key(KeyCode::Char('!'))
        .key(KeyCode::Char('2'));
    assert_eq!(
        (app.state.tab, app.store.change_count().unwrap()),
        (Tab::Leads, 0)
    );
    app.act(Some(Action::Resize(120, 40)));
    app.key(KeyCode::Char('2'));
    assert_eq!(app.state.tab, Tab::Directory);
    app.act(Some(Action::Resize(70, 20)));
    app.key(KeyCode::Char('q'));
    assert!(app.state.quit);
}

#[test]
fn a_lead_leaving_the_filter_takes_the_detail_back_to_the_list() {
    let mut app = app();
    app.key(KeyCode::Char('f')).key(KeyCode::Char('f'));
    assert_eq!(app.state.filter, Filter::Status(Status::New));
    app.key(KeyCode::Enter)
        .key(KeyCode::Char('s'))
        .key(KeyCode::Enter);
    assert_eq!(app.state.mode, Mode::List, "not the detail of another lead");
    assert!(
        app.state
            .message
            .as_ref()
            .unwrap()
            .text
            .contains("不在当前筛选")
    );
    assert_eq!(app.lead_rows().len(), 2);
}

#[test]
fn help_also_opens_over_the_status_picker_and_tabs_switch_from_the_detail() {
    let mut app = app();
    app.key(KeyCode::Char('s')).key(KeyCode::Char('?'));
    assert_eq!(
        (app.state.mode, app.state.before_help),
        (Mode::Help, Mode::PickStatus)
    );
    app.key(KeyCode::Esc).key(KeyCode::Esc);
    assert_eq!(app.state.mode, Mode::List);
    app.key(KeyCode::Enter).key(KeyCode::Char('2'));
    assert_eq!(
        (app.state.tab, app.state.mode),
        (Tab::Directory, Mode::List)
    );
}

#[test]
fn a_visit_is_typed_saved_as_a_draft_on_every_change_and_finalized() {
    let mut app = app();
    app.key(KeyCode::Char('v'));
    assert_eq!(app.state.mode, Mode::Form);
    // Finding: ←→ pick among the on-site findings of an arrears lead.
    app.key(KeyCode::Right).key(KeyCode::Right);
    assert_eq!(
        app.store.draft(PENGKUN).unwrap().unwrap().finding,
        "disputed"
    );
    // Ctrl-S shows every broken rule beside its field, and finalizes nothing.
    ctrl(&mut app, 's');
    let form = app.state.form.as_ref().unwrap();
    let parts: Vec<_> = form.problems.iter().map(|p| p.part()).collect();
    assert_eq!(
        parts,
        [
            fieldcheck::tui::form::Field::Evidence,
            fieldcheck::tui::form::Field::Next,
            fieldcheck::tui::form::Field::Due
        ],
        "a missing next step and its missing date each sit on their own field"
    );
    assert_eq!(
        form.focus,
        fieldcheck::tui::form::Field::Evidence,
        "the first problem gets the focus"
    );
    assert!(app.store.visits(None).unwrap().is_empty());
    // Evidence: Ctrl-K picks the kind, the rest is typed (Chinese included).
    ctrl(&mut app, 'k');
    app.typed("HT-2021-07:采购合同");
    assert_eq!(
        app.state.form.as_ref().unwrap().problems.len(),
        2,
        "problems update as they are fixed"
    );
    app.key(KeyCode::Tab)
        .key(KeyCode::Tab)
        .typed("约双方协商")
        .key(KeyCode::Tab)
        .typed("+7");
    let draft = app.store.draft(PENGKUN).unwrap().unwrap();
    assert_eq!(
        (draft.evidence[0].as_str(), draft.due.as_str()),
        ("合同:HT-2021-07:采购合同", "+7")
    );
    ctrl(&mut app, 's');
    assert_eq!(app.state.mode, Mode::List);
    assert_eq!(app.store.lead(PENGKUN).unwrap().status, Status::Negotiating);
    assert_eq!(app.store.draft(PENGKUN).unwrap(), None);
    assert_eq!(app.state.visits.len(), 1);
    assert!(app.state.message.as_ref().unwrap().text.contains("协商中"));
    app.key(KeyCode::Char('3'));
    assert_eq!(app.state.visit_list.rows.len(), 1);
}

#[test]
fn a_revisit_starts_from_the_last_visit() {
    let mut app = app();
    app.paid(PENGKUN, "王五,财务,023-1", "76.6");
    app.key(KeyCode::Char('r'));
    let revisit = app.state.form.as_ref().unwrap().to_visit_form();
    assert_eq!(revisit.kind, "revisit");
    assert_eq!(
        (
            revisit.met.clone(),
            revisit.amount_wan.as_str(),
            revisit.paid_wan.as_str()
        ),
        (vec!["王五,财务,023-1".to_string()], "76.6", "76.6")
    );
    assert_eq!(
        revisit.evidence,
        ["银行流水:LS-1:"],
        "kinds in the words of the screen"
    );
    assert_eq!(revisit.finding, "", "the finding is the revisit's own");
}

#[test]
fn a_visit_that_does_not_apply_at_the_leads_stage_is_refused_at_once() {
    let mut app = app();
    // A new lead takes no revisit and no re-verification: said at once, no form opened.
    for key in ['r', 'R'] {
        app.key(KeyCode::Char(key));
        assert_eq!(app.state.mode, Mode::List, "{key}");
        assert!(app.state.form.is_none());
        let message = app.state.message.clone().unwrap();
        assert!(message.error, "{key}");
        assert!(
            message.text.contains("规则5") && message.text.contains("待核查"),
            "{}",
            message.text
        );
    }
    assert!(app.store.draft(PENGKUN).unwrap().is_none(), "no draft made");
    // Once resolved, the revisit opens and an on-site check is refused instead.
    app.paid(PENGKUN, "王五,财务,023-1", "76.6");
    app.key(KeyCode::Char('v'));
    assert_eq!(app.state.mode, Mode::List);
    assert!(app.said().contains("已办结待回访"));
    app.key(KeyCode::Char('r'));
    assert_eq!(app.state.mode, Mode::Form);
}

#[test]
fn esc_asks_then_discards_or_keeps_the_draft_and_d_resumes_it() {
    let mut app = app();
    app.key(KeyCode::Char('v'))
        .key(KeyCode::Tab)
        .typed("2022-01-27");
    assert!(app.store.draft(PENGKUN).unwrap().is_some());
    app.key(KeyCode::Esc);
    assert_eq!(app.state.mode, Mode::Form, "Esc asks first");
    app.key(KeyCode::Char('n'));
    assert_eq!(app.state.mode, Mode::Form);
    app.key(KeyCode::Esc).key(KeyCode::Char('k'));
    assert_eq!(app.state.mode, Mode::List);
    // The lead offers its draft back instead of a new form.
    app.key(KeyCode::Char('v'));
    assert_eq!(app.state.mode, Mode::List);
    app.key(KeyCode::Char('d'));
    assert_eq!(
        app.state.form.as_ref().unwrap().to_visit_form().at,
        "2022-01-27"
    );
    app.key(KeyCode::Esc).key(KeyCode::Char('y'));
    assert_eq!(app.store.draft(PENGKUN).unwrap(), None);
    assert!(!app.state.drafts.contains_key(PENGKUN));
}

#[test]
fn a_key_other_than_an_answer_drops_the_question_and_types() {
    let mut app = app();
    app.key(KeyCode::Char('v'));
    // Nothing typed: Esc closes at once.
    app.key(KeyCode::Esc);
    assert_eq!(app.state.mode, Mode::List);
    app.key(KeyCode::Char('v'))
        .key(KeyCode::Tab)
        .typed("2022-01-27");
    app.key(KeyCode::Esc);
    assert!(app.state.form.as_ref().unwrap().confirm);
    app.key(KeyCode::Char('x'));
    let form = app.state.form.as_ref().unwrap();
    assert!(!form.confirm);
    assert_eq!(
        form.to_visit_form().at,
        "2022-01-27x",
        "the key is typed, not swallowed"
    );
}

/// The Visits tab's search (on the search worker) reads each visit's lead (creditor, district):
/// a query on the creditor or the district finds the visit, in characters or in pinyin (initials,
/// whole syllables, both mixed), as does one on the people met; another finds nothing, an empty
/// one shows all.
#[test]
fn the_visits_search_finds_a_visit_by_its_leads_creditor_and_district() {
    let store = common::app::store();
    let form = fieldcheck::model::form::VisitForm {
        lead: PENGKUN.into(),
        kind: "onsite".into(),
        finding: "disputed".into(),
        evidence: vec!["contract:HT-1".into()],
        next: "协商".into(),
        due: "+7".into(),
        met: vec!["李四，财务主管，13800000000".into()],
        ..Default::default()
    };
    store
        .finalize(&form, fieldcheck::clock::now_on(today()), today(), false)
        .unwrap();
    let creditor = store.lead(PENGKUN).unwrap().creditor;
    let district = store.lead(PENGKUN).unwrap().district;
    let mut app = App::over(store);
    app.key(KeyCode::Char('3'));
    assert_eq!(
        (creditor.as_str(), district.as_str()),
        ("重庆朋昆电子有限公司", "北碚区")
    );
    for (query, rows) in [
        (creditor.as_str(), 1),
        (district.as_str(), 1),
        ("没有这样的企业", 0),
        ("cqpk", 1),
        ("pk", 1),
        ("pengkun", 1),
        ("chongqingpk", 1),
        ("BBQ", 1),
        ("beibei", 1),
        ("pk bbq", 1),
        // The people met, by name and by role (their phone is not searched).
        ("李四", 1),
        ("财务主管", 1),
        ("13800000000", 0),
        // Another lead's name, the initials out of order, a run across the two names.
        ("jiateng", 0),
        ("pkcq", 0),
        ("sibei", 0),
        ("", 1),
    ] {
        app.key(KeyCode::Char('/')).typed(query);
        assert_eq!(app.state.visit_list.rows.len(), rows, "{query}");
        app.key(KeyCode::Esc);
    }
}

/// The list's sorts, whose keys are computed per row, order as the ledger's comparator (and the
/// plain comparisons for amount and district) do, on generated leads with every mix of
/// supervised, overdue, missing deadlines and amounts, and ids whose natural order is not their
/// text order (`…/9` before `…/10`).
#[test]
fn each_sort_orders_as_its_comparator_does() {
    let store = common::app::store();
    fieldcheck::generate::generate(&store, 1_500, 0, 7, None).unwrap();
    let today = NaiveDate::from_ymd_opt(2022, 3, 20).unwrap();
    let mut state = load(&store, Lang::Zh, today).unwrap();
    // Some supervised and some without a deadline, so every part of the key decides somewhere.
    for (i, lead) in state.leads.iter_mut().enumerate() {
        let lead = std::sync::Arc::make_mut(lead);
        lead.supervised = i % 7 == 0;
        if i % 5 == 0 {
            lead.deadline = None;
        }
    }
    let ids = |state: &State| -> Vec<String> {
        state
            .lead_list
            .rows
            .iter()
            .map(|&i| state.leads[i].id.clone())
            .collect()
    };
    state.leads_changed();
    let mut expected: Vec<_> = state.leads.iter().map(|l| (**l).clone()).collect();
    state.refresh_leads();
    fieldcheck::model::lead::ledger_order(&mut expected, today);
    assert!(expected.iter().any(|l| l.is_overdue(today)));
    assert!(
        expected
            .iter()
            .any(|l| !l.is_overdue(today) && l.deadline.is_some())
    );
    let want: Vec<String> = expected.iter().map(|l| l.id.clone()).collect();
    assert_eq!(ids(&state), want);
    let id = |a: &fieldcheck::model::Lead, b: &fieldcheck::model::Lead| {
        fieldcheck::model::id_order(&a.id, &b.id)
    };
    state.sort = Sort::Amount;
    state.refresh_leads();
    expected.sort_by(|a, b| {
        b.supervised
            .cmp(&a.supervised)
            .then(b.amount_yuan.cmp(&a.amount_yuan))
            .then_with(|| id(a, b))
    });
    assert_eq!(
        ids(&state),
        expected.iter().map(|l| l.id.clone()).collect::<Vec<_>>()
    );
    state.sort = Sort::District;
    state.refresh_leads();
    expected.sort_by(|a, b| {
        b.supervised
            .cmp(&a.supervised)
            .then(a.district.cmp(&b.district))
            .then_with(|| id(a, b))
    });
    assert_eq!(
        ids(&state),
        expected.iter().map(|l| l.id.clone()).collect::<Vec<_>>()
    );
}

/// The Visits tab's search answers as the rule says (every word in one of the visit's texts,
/// ignoring case), newest first, through words added and taken back; a visit finalized after the
/// worker was given the visits is found too, in its place.
#[test]
fn the_visits_search_on_the_worker_finds_what_the_rule_says() {
    let store = common::app::store();
    fieldcheck::generate::generate(&store, 400, 1_500, 3, None).unwrap();
    let mut app = App::over(store);
    let district = app.state.leads[0].district.clone();
    let first: String = district.chars().take(1).collect();
    // In the app's order of visits (time, then id), as the store lists them.
    let mut all = app.store.visits(None).unwrap();
    assert_eq!(all.len(), app.state.visits.len());
    let rule = |state: &State, all: &[fieldcheck::model::Visit], query: &str| -> Vec<usize> {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        let mut rows: Vec<usize> = (0..all.len())
            .filter(|&i| {
                let v = &all[i];
                let lead = state.lead(&v.lead).unwrap();
                let mut texts = vec![
                    v.lead.clone(),
                    lead.creditor.clone(),
                    lead.district.clone(),
                    v.kind.label(Lang::Zh).into(),
                    v.finding.map_or("", |f| f.label(Lang::Zh)).into(),
                    v.inspector.clone(),
                    v.notes.clone(),
                ];
                texts.extend(v.met.iter().flat_map(|p| [p.name.clone(), p.role.clone()]));
                let spelled = fieldcheck::tui::visit_search::lead_spelled(lead);
                words.iter().all(|w| {
                    texts.iter().any(|t| t.to_lowercase().contains(w.as_str()))
                        || fieldcheck::search::spelled::spells(&spelled, w)
                })
            })
            .collect();
        rows.sort_by_key(|&i| std::cmp::Reverse((all[i].at, i)));
        rows
    };
    // The district in pinyin: its first character's first reading, the next one's initial.
    let spelled = fieldcheck::search::spelled::spelled(&district);
    let mut chars = spelled.split(' ').map(|c| c.split('/').next().unwrap());
    let pinyin = format!("{}{}", chars.next().unwrap(), &chars.next().unwrap()[..1]);
    app.key(KeyCode::Char('3'));
    let mut sizes = Vec::new();
    for query in [
        pinyin.clone(),
        first.clone(),
        district.clone(),
        format!("{district} 存在"),
        format!("{district} 存在分歧"),
        "GEN-3".into(),
        String::new(),
    ] {
        app.key(KeyCode::Char('/')).typed(&query);
        assert_eq!(
            app.state.visit_list.rows,
            rule(&app.state, &all, &query),
            "{query:?}"
        );
        sizes.push(app.state.visit_list.rows.len());
        // Taking the last word back answers again, not from the narrower rows.
        app.key(KeyCode::Backspace);
        let shorter: String = query
            .chars()
            .take(query.chars().count().saturating_sub(1))
            .collect();
        assert_eq!(
            app.state.visit_list.rows,
            rule(&app.state, &all, &shorter),
            "{shorter:?}"
        );
        app.key(KeyCode::Esc);
    }
    // Each query found something and more words found fewer: the rule was tried, not vacuous.
    assert!(sizes[0] > 0, "{pinyin}: {sizes:?}");
    let sizes = &sizes[1..];
    assert!(sizes[0] > sizes[1] && sizes[1] > sizes[2], "{sizes:?}");
    assert!(
        sizes[3] > 0 && sizes[4] > 0 && sizes[5] == 1_500,
        "{sizes:?}"
    );
    // A visit finalized now: newer than all, of the first lead, so the district finds it first.
    let mut visit = all[0].clone();
    visit.id = "new-visit".into();
    visit.lead = app.state.leads[0].id.clone();
    visit.at = all.iter().map(|v| v.at).max().unwrap() + chrono::Duration::minutes(1);
    all.push(visit.clone());
    app.state.add_visit(visit);
    app.key(KeyCode::Char('/')).typed(&district);
    let new = app.state.visits.len() - 1;
    assert_eq!(app.state.visit_list.rows.first(), Some(&new));
    assert_eq!(app.state.visit_list.rows, rule(&app.state, &all, &district));
}

/// A lead changed by a triage key moves within the list kept without a search, to where sorting
/// everything again puts it, and leaves it when the filter no longer keeps it.
#[test]
fn one_changed_lead_moves_to_where_a_full_sort_puts_it() {
    let store = common::app::store();
    fieldcheck::generate::generate(&store, 600, 0, 5, None).unwrap();
    let today = NaiveDate::from_ymd_opt(2022, 3, 20).unwrap();
    let mut state = load(&store, Lang::Zh, today).unwrap();
    let full = |state: &State| {
        let mut fresh = state.clone();
        fresh.leads_changed();
        fresh.refresh_leads();
        fresh.lead_list.rows
    };
    for (n, sort) in [
        (17, Sort::Deadline),
        (250, Sort::Amount),
        (421, Sort::District),
    ] {
        state.sort = sort;
        state.refresh_leads();
        let mut lead = (*state.leads[n]).clone();
        lead.supervised = !lead.supervised;
        lead.amount_yuan = Some(1);
        lead.deadline = None;
        state.replace_lead(lead);
        state.refresh_leads();
        assert_eq!(state.lead_list.rows, full(&state), "{sort:?}");
    }
    state.filter = Filter::Status(Status::New);
    state.refresh_leads();
    let mut lead = (*state.leads[3]).clone();
    lead.status = Status::Closed;
    state.replace_lead(lead);
    state.refresh_leads();
    assert!(!state.lead_list.rows.contains(&3));
    assert_eq!(state.lead_list.rows, full(&state));
}

/// A district's channel with hundreds of leads lists as many as its pane shows and says how
/// many more there are, instead of laying out every lead on every frame.
#[test]
fn a_channels_detail_lists_what_fits_and_counts_the_rest() {
    let store = common::app::store();
    fieldcheck::generate::generate(&store, 3_000, 0, 11, None).unwrap();
    let mut app = App::over(store);
    app.key(KeyCode::Char('2'));
    // The channel of the district with the most leads.
    let (pos, count) = (0..app.state.channels.len())
        .map(|i| (i, app.state.leads_of(&app.state.channels[i]).len()))
        .max_by_key(|(_, n)| *n)
        .unwrap();
    assert!(count > 100, "{count}");
    let row = app
        .state
        .channel_list
        .rows
        .iter()
        .position(|&r| r == pos)
        .unwrap();
    for _ in 0..row {
        app.key(KeyCode::Down);
    }
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    terminal
        .draw(|f| fieldcheck::tui::ui::draw(f, &app.state))
        .unwrap();
    let screen = terminal.backend().to_string();
    assert!(screen.contains("另有"), "{screen}");
    let shown = screen.matches("待核查").count() + screen.matches("核查中").count();
    assert!(shown < 40, "{shown} leads drawn");
}

/// The app keeps rows of every visit; the one selected on the Visits tab is read whole from
/// the store, again when the selection moves.
#[test]
fn the_visits_tab_reads_the_selected_visit_whole_from_the_store() {
    let mut app = app();
    for (lead, person) in [(PENGKUN, "王五,财务,023-1"), (ANBAO, "赵六,出纳,023-2")] {
        app.paid(lead, person, "1");
    }
    app.key(KeyCode::Char('3')).key(KeyCode::Home);
    let mut seen = Vec::new();
    for _ in 0..2 {
        let at = app.state.visit_list.current().unwrap();
        let shown = app.state.selected_visit().cloned().unwrap();
        assert_eq!(shown.id, app.state.visits.id(at));
        assert_eq!(shown, app.store.visit(&shown.id).unwrap());
        seen.push(shown.met[0].name.clone());
        app.key(KeyCode::Down);
    }
    // Newest first: the second visit finalized, then the first.
    assert_eq!(seen, ["赵六", "王五"]);
}

/// Bracketed paste: pasted text is text where text is typed and is never read as keys.
#[test]
fn pasted_text_is_typed_where_text_goes_and_never_acts_as_keys() {
    use fieldcheck::tui::form::Field;
    let mut app = app();
    let changes = app.store.change_count().unwrap();
    // `ok!` pasted into the list: no key pressed, nothing toggled, nothing logged.
    app.act(Some(Action::Paste("ok!".into())));
    assert_eq!(app.state.mode, Mode::List);
    assert_eq!(app.store.change_count().unwrap(), changes);
    assert!(app.store.leads().unwrap().iter().all(|l| !l.supervised));
    assert!(app.said().contains("粘贴"));
    // Into the search line, at once, a line break made a space.
    app.key(KeyCode::Char('/'));
    app.act(Some(Action::Paste("朋昆\n".into())));
    assert_eq!(app.state.lead_list.query, "朋昆");
    assert_eq!(app.state.selected_lead().unwrap().id, PENGKUN);
    app.key(KeyCode::Esc);
    // Into the form: the notes keep their lines, the next step gets one.
    app.key(KeyCode::Char('v'));
    app.state.form.as_mut().unwrap().focus = Field::Notes;
    app.act(Some(Action::Paste("电话无人接听\r\n明天再去".into())));
    app.state.form.as_mut().unwrap().focus = Field::Next;
    app.act(Some(Action::Paste("约双方\n协商".into())));
    let draft = app.store.draft(PENGKUN).unwrap().expect("saved as typed");
    assert_eq!(draft.notes, "电话无人接听\n明天再去");
    assert_eq!(draft.next, "约双方 协商");
    // Into a pick list: nothing.
    app.state.form.as_mut().unwrap().focus = Field::Finding;
    app.act(Some(Action::Paste("paid".into())));
    assert_eq!(app.store.draft(PENGKUN).unwrap().unwrap().finding, "");
}

/// `C` corrects the lead's latest visit in the form, judged from the state before it.
#[test]
fn a_finalized_visit_is_corrected_in_the_app() {
    let mut app = app();
    app.key(KeyCode::Char('C'));
    assert_eq!(app.state.mode, Mode::List, "nothing to correct yet");
    assert!(app.said().contains("无可更正"));
    app.paid(PENGKUN, "王五,财务,023-1", "76.6");
    assert_eq!(app.store.lead(PENGKUN).unwrap().status, Status::Resolved);
    let old = app.store.visits(Some(PENGKUN)).unwrap().remove(0);
    // The lead's visits in full are read when it is selected.
    app.key(KeyCode::Down).key(KeyCode::Up);
    app.key(KeyCode::Char('C'));
    assert_eq!(app.state.mode, Mode::Form);
    let form = app.state.form.as_mut().unwrap();
    assert_eq!(form.supersedes.as_deref(), Some(old.id.as_str()));
    assert_eq!(
        form.to_visit_form().paid_wan,
        "76.6",
        "prefilled from the visit"
    );
    // Only part was paid after all: judged from before the visit (new), as the store does.
    form.finding = Some(fieldcheck::model::Finding::PartlyPaid);
    assert_eq!(
        form.focus,
        fieldcheck::tui::form::Field::Reason,
        "a correction starts at its reason"
    );
    ctrl(&mut app, 's');
    let form = app.state.form.as_ref().expect("no reason: the form stays");
    assert_eq!(
        form.problems_of(fieldcheck::tui::form::Field::Reason).len(),
        1
    );
    assert_eq!(app.store.visits(Some(PENGKUN)).unwrap().len(), 1);
    app.act(Some(Action::Paste("只付了一部分".into())));
    ctrl(&mut app, 's');
    assert_eq!(
        app.state.mode,
        Mode::List,
        "{:?}",
        app.state.form.as_ref().map(|f| &f.problems)
    );
    assert_eq!(app.store.lead(PENGKUN).unwrap().status, Status::Verifying);
    let visits = app.store.visits(Some(PENGKUN)).unwrap();
    assert_eq!(visits.len(), 2, "both stay in the history");
    assert_eq!(visits[1].supersedes.as_deref(), Some(old.id.as_str()));
    assert_eq!(visits[1].reason, "只付了一部分");
    assert_eq!(
        visits[1].at, old.at,
        "the time left as shown keeps its seconds"
    );
    assert!(app.state.is_corrected(&old.id));
    assert!(app.store.verify().unwrap().is_empty());
    // Superseded in words too, in the Visits tab and the lead's history.
    for tab in ['3', '1'] {
        app.key(KeyCode::Char(tab));
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
        terminal
            .draw(|f| fieldcheck::tui::ui::draw(f, &app.state))
            .unwrap();
        let screen = terminal.backend().to_string();
        assert_eq!(screen.matches("[已更正]").count(), 1, "{tab}: {screen}");
    }
}

/// A triage question is answered only by `y`: a paste, an import finishing or Ctrl-C answer
/// no (Ctrl-C quits), also in a terminal too small to draw.
#[test]
fn a_triage_question_is_never_answered_by_accident() {
    let mut app = app();
    app.key(KeyCode::Char('!'));
    app.act(Some(Action::Paste("y".into())));
    assert_eq!(app.state.mode, Mode::List);
    app.key(KeyCode::Char('y'));
    assert_eq!(
        app.store.change_count().unwrap(),
        0,
        "the paste answered no"
    );
    app.key(KeyCode::Char('!'));
    app.act(Some(Action::Resize(70, 20)));
    app.key(KeyCode::Char('q'));
    assert_eq!(
        app.state.mode,
        Mode::List,
        "q answers no even when too small"
    );
    app.key(KeyCode::Char('q'));
    assert!(app.state.quit);
    let mut app = self::app();
    app.key(KeyCode::Char('!'));
    let event = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    let action = keymap::action(app.state.mode, app.state.tab, &event);
    app.act(action);
    assert!(app.state.quit, "Ctrl-C quits from the question");
    assert_eq!(app.store.change_count().unwrap(), 0);
}

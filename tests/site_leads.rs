//! A lead recorded on site (a complaint received during a visit): numbered in its laptop's own
//! namespace, refused with the field that must change, searched and synced like a notice's lead;
//! a bundle that brings a lead in another laptop's name, or one carrying terminal escapes, is
//! refused whole.

use fieldcheck::model::site_lead::{NewLead, NewLeadProblem, namespace};
use fieldcheck::store::Store;
use fieldcheck::sync::Change;
use serde_json::json;

mod common;
use common::peers::{bundle_of, change, device, enrol, id, now_ms, send, signed, try_import};

fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2022, 1, 28).unwrap()
}

fn typed() -> NewLead {
    NewLead {
        creditor: "重庆某某建材有限公司".into(),
        district: "北碚区".into(),
        kind: "清欠".into(),
        matter: "反映某工程拖欠货款约 30 万元".into(),
        deadline: "+15".into(),
        contact: "李经理".into(),
        phone: "13800000000".into(),
        ..NewLead::default()
    }
}

#[test]
fn a_lead_found_on_site_is_numbered_searched_and_synced() {
    let (a, b) = (device("A"), device("B"));
    enrol(&a, &b, false);
    enrol(&b, &a, false);
    let space = namespace(&id(&a));
    let first = a.add_site_lead(&typed(), today()).unwrap();
    let second = a.add_site_lead(&typed(), today()).unwrap();
    assert_eq!(
        (first.id.as_str(), second.id.as_str()),
        (format!("{space}/1").as_str(), format!("{space}/2").as_str())
    );
    assert_eq!(first.deadline, chrono::NaiveDate::from_ymd_opt(2022, 2, 12));
    let hits = fieldcheck::search::search(&a, "mmjc", fieldcheck::search::Scope::Leads, 5).unwrap();
    assert_eq!(hits.first().map(|h| h.id.as_str()), Some(first.id.as_str()));
    // B numbers its own in its own namespace: the two never collide.
    let theirs = b.add_site_lead(&typed(), today()).unwrap();
    assert_ne!(namespace(&id(&b)), space);
    assert!(theirs.id.ends_with("/1"));
    send(&a, &b);
    assert_eq!(b.lead(&first.id).unwrap(), first);
    assert_eq!(
        b.lead(&second.id).unwrap().contact.as_deref(),
        Some("李经理")
    );
    assert!(b.verify().unwrap().is_empty());
    assert!(a.verify().unwrap().is_empty());
}

#[test]
fn a_new_lead_with_a_field_to_change_writes_nothing() {
    let a = device("A");
    let before = (a.leads().unwrap().len(), a.change_count().unwrap());
    for (spoil, problem) in [
        (
            NewLead {
                deadline: "2022-01-27".into(),
                ..typed()
            },
            NewLeadProblem::Deadline,
        ),
        (
            NewLead {
                creditor: String::new(),
                ..typed()
            },
            NewLeadProblem::Creditor,
        ),
        (
            NewLead {
                amount_wan: "三十".into(),
                ..typed()
            },
            NewLeadProblem::Amount,
        ),
    ] {
        match a.add_site_lead(&spoil, today()) {
            Err(fieldcheck::error::Error::BadNewLead { problem: p }) => assert_eq!(p, problem),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        (a.leads().unwrap().len(), a.change_count().unwrap()),
        before
    );
}

/// A's signed `created` change for a lead: as A would write it, then spoiled by `spoil`.
fn created_by(a: &Store, spoil: impl Fn(&mut serde_json::Value) -> String) -> Change {
    let mut lead =
        serde_json::to_value(typed().parse(&namespace(&id(a)), 1, today()).unwrap()).unwrap();
    let lead_id = spoil(&mut lead);
    let mut c = change(&id(a), 1, None, now_ms());
    c.entity = format!("lead:{lead_id}");
    c.field = "created".into();
    c.value = lead;
    signed(c, a)
}

#[test]
fn a_lead_in_another_laptops_name_or_with_escapes_is_refused() {
    let (a, b) = (device("A"), device("B"));
    enrol(&a, &b, false);
    enrol(&b, &a, false);
    let victim = namespace(&id(&b));
    let id_b = id(&b);
    let leads = b.leads().unwrap().len();
    type Spoil = Box<dyn Fn(&mut serde_json::Value) -> String>;
    let hostile: [(&str, Spoil); 7] = [
        (
            "B's next number, taken by A",
            Box::new(move |l| {
                let taken = format!("{victim}/1");
                l["id"] = json!(taken);
                l["notice"] = json!(victim);
                taken
            }),
        ),
        (
            "a terminal escape in the creditor",
            Box::new(|l| {
                l["creditor"] = json!("重庆\u{1b}]0;owned\u{7}公司");
                l["id"].as_str().unwrap().to_string()
            }),
        ),
        (
            "its own id under another notice",
            Box::new(|l| {
                l["notice"] = json!("cq-jfb-2022-3");
                l["id"].as_str().unwrap().to_string()
            }),
        ),
        (
            "a number that is not its seq",
            Box::new(|l| {
                let id = l["id"].as_str().unwrap().replace("/1", "/4294967295");
                l["id"] = json!(id);
                id
            }),
        ),
        (
            "B's namespace in upper case",
            Box::new(move |l| {
                let taken = format!("{}/1", namespace(&id_b).to_uppercase());
                l["id"] = json!(taken);
                taken
            }),
        ),
        (
            "a notice's lead with an escape in its contact",
            Box::new(|l| {
                l["id"] = json!("cq-jfb-2022-3/a3/77");
                l["notice"] = json!("cq-jfb-2022-3");
                l["contact"] = json!("王\u{1b}[2J");
                "cq-jfb-2022-3/a3/77".into()
            }),
        ),
        (
            "a notice's lead with an endless debtor",
            Box::new(|l| {
                l["id"] = json!("cq-jfb-2022-3/a3/78");
                l["notice"] = json!("cq-jfb-2022-3");
                l["debtor"] = json!("债".repeat(201));
                "cq-jfb-2022-3/a3/78".into()
            }),
        ),
    ];
    for (what, spoil) in hostile {
        let c = created_by(&a, spoil);
        assert!(
            try_import(&b, &bundle_of(&a, &[c])).is_err(),
            "{what} was taken"
        );
        assert_eq!(b.leads().unwrap().len(), leads, "{what}");
    }
    // As A writes it, the same change is taken: the refusals were the spoils'.
    let sound = created_by(&a, |l| l["id"].as_str().unwrap().to_string());
    try_import(&b, &bundle_of(&a, &[sound])).unwrap();
    assert_eq!(b.leads().unwrap().len(), leads + 1);
    // B's own numbering is untouched.
    assert!(
        b.add_site_lead(&typed(), today())
            .unwrap()
            .id
            .ends_with("/1")
    );
}

mod in_the_app {
    use super::common::app::*;
    use fieldcheck::tui::settings::{Part, Purpose};
    use fieldcheck::tui::state::{Mode, Tab};
    use ratatui::crossterm::event::KeyCode;

    /// `N` opens the new-lead form (district and a deadline prefilled); a field that must change
    /// is refused on it; Ctrl-S records the lead, and the app shows it, searchable at once.
    #[test]
    fn n_records_a_complaint_received_on_site() {
        let mut app = app();
        let leads = app.store.leads().unwrap().len();
        app.key(KeyCode::Char('N'));
        assert_eq!(app.state.mode, Mode::Settings);
        let form = app.state.settings.as_ref().unwrap();
        assert_eq!(form.purpose, Purpose::NewLead);
        assert_eq!(form.value(Part::Deadline), "+15");
        // Nothing typed: refused on the enterprise's name, nothing written.
        ctrl(&mut app, 's');
        let form = app.state.settings.as_ref().unwrap();
        assert_eq!(form.problem.map(|p| p.0), Some(Part::Creditor));
        assert_eq!(app.store.leads().unwrap().len(), leads);
        app.typed("重庆某某建材有限公司").key(KeyCode::Enter);
        app.typed("北碚区").key(KeyCode::Enter);
        app.key(KeyCode::Enter);
        app.typed("反映某工程拖欠货款约30万元").key(KeyCode::Enter);
        // A deadline in the past: rule 4 on its field.
        for _ in 0..3 {
            app.key(KeyCode::Backspace);
        }
        app.typed("2022-01-01");
        ctrl(&mut app, 's');
        let form = app.state.settings.as_ref().unwrap();
        assert_eq!(form.problem.map(|p| p.0), Some(Part::Deadline));
        assert_eq!(form.focus, Part::Deadline);
        for _ in 0..10 {
            app.key(KeyCode::Backspace);
        }
        app.typed("+10");
        for _ in 0..3 {
            app.key(KeyCode::Enter);
        }
        app.typed("李经理").key(KeyCode::Enter);
        app.typed("13800000000");
        ctrl(&mut app, 's');
        assert_eq!(app.state.mode, Mode::Detail, "{}", app.said());
        let stored = app.store.leads().unwrap();
        assert_eq!(stored.len(), leads + 1);
        let new = stored.iter().find(|l| l.id.starts_with("site-")).unwrap();
        assert_eq!(new.contact.as_deref(), Some("李经理"));
        assert_eq!(new.deadline, Some(today() + chrono::Duration::days(10)));
        assert_eq!(app.state.tab, Tab::Leads);
        assert_eq!(app.selected(), new.id, "the new lead is shown");
        assert!(app.said().contains(&new.id), "{}", app.said());
        // Searchable at once, by initials.
        app.key(KeyCode::Esc).key(KeyCode::Char('/'));
        app.typed("mmjc");
        assert_eq!(app.selected(), new.id);
    }
}

/// A correction's reason carried by a bundle is text to show: a terminal escape in it, or an
/// endless one, is refused with the bundle.
#[test]
fn a_hostile_correction_reason_is_refused() {
    let (a, b) = (device("A"), device("B"));
    enrol(&a, &b, false);
    enrol(&b, &a, false);
    let visit = |reason: &str| {
        let visit_id = uuid::Uuid::now_v7().to_string();
        let mut c = change(&id(&a), 1, None, now_ms());
        c.entity = format!("visit:{visit_id}");
        c.field = "visit".into();
        c.value = json!({
            "id": visit_id, "lead": "cq-jfb-2022-3/a3/1", "kind": "onsite", "finding": "unreachable",
            "at": "2022-01-25T09:00:00Z", "inspector": "i", "amount_yuan": null,
            "paid_yuan": null, "cause": null, "next": {"text": "再联系", "due": "2022-02-01"},
            "supersedes": "01a23bc1-b6c4-73d4-80a2-03eacf535251", "reason": reason
        });
        signed(c, &a)
    };
    for reason in ["记错\u{1b}[2J".to_string(), "错".repeat(501)] {
        assert!(try_import(&b, &bundle_of(&a, &[visit(&reason)])).is_err());
    }
    assert!(b.visits(None).unwrap().is_empty());
    try_import(&b, &bundle_of(&a, &[visit("时间记错")])).unwrap();
    assert_eq!(b.visits(None).unwrap()[0].reason, "时间记错");
}

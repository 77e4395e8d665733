//! The notice's rules for visits, each in a test that fails if the rule is removed; the state
//! machine under random sequences; corrections; drafts surviving a killed process.

use chrono::{NaiveDate, TimeZone, Utc};
use fieldcheck::error::Error;
use fieldcheck::i18n::Lang;
use fieldcheck::model::form::{Problem, VisitForm};
use fieldcheck::model::rules::{Part, Violation, check, transition};
use fieldcheck::model::{Finding, Lead, LeadKind, Status, Visit, VisitKind};
use fieldcheck::store::{InitOptions, Store};
use proptest::prelude::*;

const PENGKUN: &str = "cq-jfb-2022-3/a3/1";

fn store() -> Store {
    Store::memory(&InitOptions {
        inspector: Some("张三".into()),
        ..InitOptions::default()
    })
    .unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, 28).unwrap()
}

/// A form of this kind and finding with what the rules ask of every such visit whatever else it
/// holds: a revisit names whom it spoke to, an unconfirmed one says why, a withdrawal carries
/// the letter (`the_rules_of_revisits_and_withdrawals_are_enforced` checks them).
fn form(kind: &str, finding: &str) -> VisitForm {
    let mut f = VisitForm {
        lead: PENGKUN.into(),
        kind: kind.into(),
        finding: finding.into(),
        ..VisitForm::default()
    };
    if kind == "revisit" {
        f.met = vec!["王会计,财务,023-68860000".into()];
    }
    if finding == "not-confirmed" {
        f.notes = "企业称尚有尾款未付".into();
    }
    if finding == "withdrawn" {
        f.evidence = vec!["withdrawal:撤回申请书-2022-01".into()];
    }
    f
}

fn with_evidence(mut f: VisitForm) -> VisitForm {
    f.evidence.push("contract:HT-2021-07:采购合同".into());
    f
}

fn with_next(mut f: VisitForm) -> VisitForm {
    f.next = "约双方到区经信委协商".into();
    f.due = "+7".into();
    f
}

fn finalize(store: &Store, f: &VisitForm) -> Result<fieldcheck::store::Finalized, Error> {
    store.finalize(
        f,
        Utc.with_ymd_and_hms(2022, 1, 28, 2, 0, 0).unwrap(),
        today(),
        false,
    )
}

/// The rules a refused visit broke.
fn refused(store: &Store, f: &VisitForm) -> Vec<Violation> {
    let before = (store.leads().unwrap(), store.change_count().unwrap());
    let violations = match finalize(store, f) {
        Err(Error::VisitRejected { problems }) => problems
            .into_iter()
            .filter_map(|p| match p {
                Problem::Rule(v) => Some(v),
                Problem::Form(_) => None,
            })
            .collect(),
        other => panic!(
            "expected a refusal, got {:?}",
            other.map(|d| d.visit.finding)
        ),
    };
    assert_eq!(
        (store.leads().unwrap(), store.change_count().unwrap()),
        before,
        "a refusal changes nothing"
    );
    violations
}

fn status(store: &Store) -> Status {
    store.lead(PENGKUN).unwrap().status
}

#[test]
fn rule_1_confirmed_arrears_disputes_payment_and_no_arrears_need_evidence() {
    for finding in ["arrears-undisputed", "disputed", "paid", "no-arrears"] {
        let store = store();
        let f = with_next(form("onsite", finding));
        assert_eq!(
            refused(&store, &f),
            [Violation::NeedsEvidence(Finding::parse(finding).unwrap())],
            "{finding}"
        );
        finalize(&store, &with_evidence(f)).unwrap();
    }
}

#[test]
fn rule_1_confirmed_burdens_need_evidence() {
    let store = store();
    burden_lead(&store);
    let f = VisitForm {
        lead: "cq-jfb-2022-9/a1/1".into(),
        ..form("onsite", "burden-confirmed")
    };
    assert_eq!(
        refused(&store, &f),
        [Violation::NeedsEvidence(Finding::BurdenConfirmed)]
    );
    // Arrears findings do not apply to a burden lead.
    let wrong = VisitForm {
        lead: "cq-jfb-2022-9/a1/1".into(),
        ..with_evidence(form("onsite", "paid"))
    };
    assert!(matches!(
        refused(&store, &wrong)[..],
        [Violation::FindingNotFor { .. }]
    ));
    let done = finalize(&store, &with_evidence(f)).unwrap();
    assert_eq!(done.lead.status, Status::Verifying);
}

#[test]
fn rule_2_unreachable_and_no_documents_need_a_next_action_and_never_resolve() {
    for finding in ["unreachable", "no-documents"] {
        let store = store();
        let f = form("onsite", finding);
        let found = Finding::parse(finding).unwrap();
        assert_eq!(
            refused(&store, &f),
            [
                Violation::NeedsNextAction(found),
                Violation::NeedsDue(found)
            ]
        );
        // A next action without a due date is not enough, and the refusal sits on the date.
        let mut half = f.clone();
        half.next = "再联系".into();
        assert_eq!(refused(&store, &half), [Violation::NeedsDue(found)]);
        assert_eq!(Violation::NeedsDue(found).part(), Part::Due);
        assert_eq!(Violation::NeedsNextAction(found).part(), Part::Next);
        let done = finalize(&store, &with_next(f)).unwrap();
        assert_eq!(
            done.lead.status,
            Status::Verifying,
            "{finding} keeps the lead open"
        );
    }
}

#[test]
fn rule_3_a_dispute_moves_to_negotiation_with_a_next_step_and_never_closes() {
    let store = store();
    let f = with_evidence(form("onsite", "disputed"));
    assert_eq!(
        refused(&store, &f),
        [
            Violation::NeedsNextAction(Finding::Disputed),
            Violation::NeedsDue(Finding::Disputed)
        ]
    );
    let done = finalize(&store, &with_next(f)).unwrap();
    assert_eq!(done.lead.status, Status::Negotiating);
    // A revisit cannot close a lead under negotiation.
    assert!(matches!(
        refused(&store, &form("revisit", "confirmed"))[..],
        [Violation::WrongStage { .. }]
    ));
}

#[test]
fn rule_5_resolving_findings_wait_for_a_revisit_and_only_confirmed_closes() {
    for finding in ["paid", "no-arrears", "withdrawn"] {
        let store = store();
        finalize(&store, &with_evidence(form("onsite", finding))).unwrap();
        assert_eq!(status(&store), Status::Resolved, "{finding}");
        finalize(&store, &form("revisit", "not-confirmed")).unwrap();
        assert_eq!(
            status(&store),
            Status::Verifying,
            "a failed revisit reopens"
        );
        finalize(&store, &with_evidence(form("onsite", "paid"))).unwrap();
        let done = finalize(&store, &form("revisit", "confirmed")).unwrap();
        assert_eq!(done.lead.status, Status::Closed);
        // Nothing but a re-verification applies to a closed lead.
        assert!(matches!(
            refused(&store, &with_evidence(form("onsite", "paid")))[..],
            [Violation::WrongStage { .. }]
        ));
        assert!(matches!(
            refused(&store, &form("revisit", "confirmed"))[..],
            [Violation::WrongStage { .. }]
        ));
    }
}

#[test]
fn rule_5_corrected_and_no_burden_findings_resolve_a_burden_lead() {
    for finding in ["burden-corrected", "no-burden"] {
        let store = store();
        let lead = burden_lead(&store);
        let f = VisitForm {
            lead: lead.clone(),
            ..form("onsite", finding)
        };
        let done = finalize(&store, &f).unwrap();
        assert_eq!(done.lead.status, Status::Resolved, "{finding}");
        let revisit = VisitForm {
            lead,
            ..form("revisit", "confirmed")
        };
        assert_eq!(
            finalize(&store, &revisit).unwrap().lead.status,
            Status::Closed
        );
    }
}

#[test]
fn the_rules_of_revisits_and_withdrawals_are_enforced() {
    let store = store();
    // A withdrawal without the enterprise's letter, even with other paper, resolves nothing.
    let mut bare = with_evidence(form("onsite", "withdrawn"));
    bare.evidence.retain(|e| !e.starts_with("withdrawal:"));
    assert_eq!(refused(&store, &bare), [Violation::NeedsWithdrawalLetter]);
    assert_eq!(Violation::NeedsWithdrawalLetter.part(), Part::Evidence);
    assert_eq!(status(&store), Status::New);
    finalize(&store, &form("onsite", "withdrawn")).unwrap();
    assert_eq!(status(&store), Status::Resolved);
    // A revisit names whom it spoke to; one that does not confirm says why.
    let mut nobody = form("revisit", "confirmed");
    nobody.met.clear();
    assert_eq!(refused(&store, &nobody), [Violation::RevisitNeedsPerson]);
    assert_eq!(Violation::RevisitNeedsPerson.part(), Part::Met);
    let mut why = form("revisit", "not-confirmed");
    why.notes = "  ".into();
    assert_eq!(refused(&store, &why), [Violation::NeedsReason]);
    assert_eq!(Violation::NeedsReason.part(), Part::Notes);
    assert_eq!(status(&store), Status::Resolved, "nothing was written");
    let message = fieldcheck::model::form::Problem::Rule(Violation::NeedsReason).message(Lang::Zh);
    assert!(
        message.starts_with("规则5") && message.contains("备注"),
        "{message}"
    );
}

#[test]
fn a_next_step_falls_due_after_the_visit_and_a_visit_is_not_in_the_future() {
    // The wall clock at 2022-01-28 10:00 China time, as finalize() is told.
    let store = store().with_wall_clock(|| 1_643_335_200_000);
    // finalize() runs at 2022-01-28 10:00 China time.
    let mut early = with_next(with_evidence(form("onsite", "disputed")));
    early.at = "2022-01-27 15:00".into();
    early.due = "2022-01-26".into();
    assert_eq!(refused(&store, &early), [Violation::DueBeforeVisit]);
    assert_eq!(Violation::DueBeforeVisit.part(), Part::Due);
    let mut later = with_evidence(form("onsite", "paid"));
    later.at = "2030-01-01 09:00".into();
    assert_eq!(refused(&store, &later), [Violation::InFuture]);
    assert_eq!(Violation::InFuture.part(), Part::At);
    later.at = "2022-01-28 10:30".into();
    assert_eq!(refused(&store, &later), [Violation::InFuture]);
    assert_eq!(status(&store), Status::New, "nothing was written");
    // Minutes of a clock that runs behind another's are let be.
    later.at = "2022-01-28 10:05".into();
    finalize(&store, &later).unwrap();
    // A day taken as today in the past (`--today`: noon of it) refuses nothing later that day
    // that the real clock has passed.
    let backfill = self::store();
    let mut afternoon = with_evidence(form("onsite", "paid"));
    afternoon.at = "2022-01-28 15:00".into();
    assert_eq!(
        finalize(&backfill, &afternoon).unwrap().lead.status,
        Status::Resolved
    );
    // A next step due on the visit's own day is allowed.
    let other = self::store();
    early.due = "2022-01-27".into();
    assert_eq!(
        finalize(&other, &early).unwrap().lead.status,
        Status::Negotiating
    );
}

fn burden_lead(store: &Store) -> String {
    let mut notice = fieldcheck::notice::seed().unwrap();
    notice.meta.id = "cq-jfb-2022-9".into();
    notice.meta.number = "渝减负办〔2022〕9号".into();
    notice.channels.clear();
    notice.leads.truncate(1);
    notice.leads[0].id = "cq-jfb-2022-9/a1/1".into();
    notice.leads[0].kind = LeadKind::Burden;
    store.import_notice(&notice).unwrap();
    "cq-jfb-2022-9/a1/1".into()
}

#[test]
fn only_the_latest_visit_can_be_corrected() {
    let store = store();
    let paid = finalize(&store, &with_evidence(form("onsite", "paid"))).unwrap();
    finalize(&store, &form("revisit", "confirmed")).unwrap();
    // Correcting the payment behind a closed lead into "unreachable" would close a lead on
    // rule 2's grounds: refused, the lead stays as it is.
    let mut fix = with_next(VisitForm::from_visit(&paid.visit));
    fix.finding = "unreachable".into();
    fix.supersedes = Some(paid.visit.id.clone());
    fix.reason = "记错了".into();
    match finalize(&store, &fix) {
        Err(Error::CannotCorrect { why, .. }) => {
            assert_eq!(why, fieldcheck::error::CorrectWhy::NotLatest)
        }
        other => panic!("{:?}", other.map(|d| d.visit.id)),
    }
    assert_eq!(status(&store), Status::Closed);
}

#[test]
fn a_correction_restores_the_attention_mark() {
    let store = store();
    finalize(&store, &with_evidence(form("onsite", "paid"))).unwrap();
    finalize(&store, &form("revisit", "confirmed")).unwrap();
    let disagree = finalize(&store, &form("reverify", "disagree")).unwrap();
    assert!(disagree.lead.attention);
    let mut fix = VisitForm::from_visit(&disagree.visit);
    fix.finding = "agree".into();
    fix.supersedes = Some(disagree.visit.id.clone());
    fix.reason = "记错了".into();
    let done = finalize(&store, &fix).unwrap();
    assert_eq!(
        (done.lead.status, done.lead.attention),
        (Status::Closed, false)
    );
    assert!(store.verify().unwrap().is_empty());
}

#[test]
fn a_disagreeing_reverification_reopens_and_marks_for_attention() {
    let store = store();
    finalize(&store, &with_evidence(form("onsite", "paid"))).unwrap();
    finalize(&store, &form("revisit", "confirmed")).unwrap();
    finalize(&store, &form("reverify", "agree")).unwrap();
    assert_eq!(status(&store), Status::Closed);
    let done = finalize(&store, &form("reverify", "disagree")).unwrap();
    assert_eq!(
        (done.lead.status, done.lead.attention),
        (Status::Verifying, true)
    );
    let fields: Vec<&str> = done.changes.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["visit", "status", "attention"]);
}

#[test]
fn finalizing_writes_visit_state_and_changes_in_one_go() {
    let store = store();
    let f = with_next(with_evidence(form("onsite", "disputed")));
    let done = finalize(&store, &f).unwrap();
    assert_eq!(
        store.visits(Some(PENGKUN)).unwrap(),
        std::slice::from_ref(&done.visit)
    );
    assert_eq!(done.visit.inspector, "张三");
    assert_eq!(
        (done.visit.status_before, done.visit.status_after),
        (Some(Status::New), Some(Status::Negotiating))
    );
    let changes = store.changes().unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0].entity, format!("visit:{}", done.visit.id));
    assert_eq!(changes[1].value, serde_json::json!("negotiating"));
}

#[test]
fn a_correction_supersedes_and_recomputes_from_before_the_corrected_visit() {
    let store = store();
    let wrong = finalize(&store, &with_evidence(form("onsite", "paid"))).unwrap();
    assert_eq!(status(&store), Status::Resolved);
    // It was only partly paid: the correction replaces the visit's effect.
    let mut fix = VisitForm::from_visit(&wrong.visit);
    fix.finding = "partly-paid".into();
    fix.supersedes = Some(wrong.visit.id.clone());
    fix.reason = "记错了".into();
    let done = finalize(&store, &fix).unwrap();
    assert_eq!(done.lead.status, Status::Verifying);
    let history = store.visits(Some(PENGKUN)).unwrap();
    assert_eq!(history.len(), 2, "both stay in the history");
    assert_eq!(
        history[1].supersedes.as_deref(),
        Some(wrong.visit.id.as_str())
    );
    // The same visit cannot be corrected twice.
    match finalize(&store, &fix) {
        Err(Error::CannotCorrect { .. }) => {}
        other => panic!("{:?}", other.map(|d| d.visit.id)),
    }
}

#[test]
fn drafts_may_break_rules_and_finalizing_from_a_draft_removes_it() {
    let store = store();
    let draft = form("onsite", "disputed");
    store.save_draft(&draft).unwrap();
    assert_eq!(store.draft(PENGKUN).unwrap(), Some(draft.clone()));
    let done = store
        .finalize(
            &with_next(with_evidence(draft)),
            Utc.with_ymd_and_hms(2022, 1, 28, 2, 0, 0).unwrap(),
            today(),
            true,
        )
        .unwrap();
    assert_eq!(done.lead.status, Status::Negotiating);
    assert_eq!(store.draft(PENGKUN).unwrap(), None);
    assert!(matches!(
        store.save_draft(&VisitForm {
            lead: "nope".into(),
            ..form("onsite", "")
        }),
        Err(Error::UnknownId { .. })
    ));
}

/// A draft is durable once saved: a child process saves one and is killed with SIGKILL before
/// it can exit; the draft is there when the store is opened again.
#[cfg(unix)]
#[test]
fn a_draft_survives_the_process_being_killed() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    if let Ok(path) = std::env::var("FIELDCHECK_DRAFT_CHILD") {
        let store = Store::open(std::path::Path::new(&path), &InitOptions::default()).unwrap();
        let mut f = form("onsite", "unreachable");
        f.notes = "电话无人接听，明天再去现场".into();
        store.save_draft(&f).unwrap();
        println!("saved");
        loop {
            std::thread::park();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.redb");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_draft_survives_the_process_being_killed",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("FIELDCHECK_DRAFT_CHILD", &path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let saved = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|l| l.contains("saved"));
    assert!(saved, "the child saved a draft");
    child.kill().unwrap();
    child.wait().unwrap();
    let store = Store::open(&path, &InitOptions::default()).unwrap();
    let draft = store.draft(PENGKUN).unwrap().expect("the draft survived");
    assert_eq!(draft.notes, "电话无人接听，明天再去现场");
}

fn lead_at(status: Status, kind: LeadKind) -> Lead {
    let mut lead = fieldcheck::notice::seed().unwrap().leads.remove(0);
    lead.status = status;
    lead.kind = kind;
    lead
}

proptest! {
    /// Random visits on a lead: whatever passes the rules never closes it without a confirmed
    /// revisit, and unreachable/no-documents never resolve it.
    #[test]
    fn random_visit_sequences_keep_the_lifecycle(
        steps in prop::collection::vec(
            (0usize..3, 0usize..15, any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
            1..40,
        ),
        burden in any::<bool>(),
    ) {
        let kind = if burden { LeadKind::Burden } else { LeadKind::Arrears };
        let mut lead = lead_at(Status::New, kind);
        let base = form("onsite", "");
        for (k, f, evidence, next, met, letter) in steps {
            let mut vf = base.clone();
            vf.kind = ["onsite", "revisit", "reverify"][k].into();
            vf.finding = Finding::ALL[f].code().into();
            if evidence { vf = with_evidence(vf); }
            if next { vf = with_next(vf); }
            if met { vf.met = vec!["王会计,财务,13800000000".into()]; }
            if letter {
                vf.evidence.push("withdrawal:撤回申请-01".into());
                vf.notes = "企业称尚有尾款未付".into();
            }
            let ctx = fieldcheck::model::form::Context { now: Utc::now(), today: today(), inspector: "x".into(), id: "v".into() };
            let visit: Visit = vf.parse(&ctx).unwrap();
            if !check(&lead, &visit, ctx.now).is_empty() {
                continue;
            }
            let finding = visit.finding.unwrap();
            let out = transition(lead.status, lead.attention, finding);
            if out.status == Status::Closed && lead.status != Status::Closed {
                prop_assert_eq!((visit.kind, finding), (VisitKind::Revisit, Finding::Confirmed));
            }
            if matches!(finding, Finding::Unreachable | Finding::NoDocuments) {
                prop_assert!(!matches!(out.status, Status::Resolved | Status::Closed));
            }
            if fieldcheck::model::rules::needs_evidence(finding) {
                prop_assert!(evidence || letter, "{:?} passed without evidence", finding);
            }
            if matches!(finding, Finding::Unreachable | Finding::NoDocuments | Finding::Disputed) {
                prop_assert!(next, "{:?} passed without a next action", finding);
            }
            if finding == Finding::Withdrawn {
                prop_assert!(letter, "a withdrawal passed without the letter");
            }
            if visit.kind == VisitKind::Revisit {
                prop_assert!(met, "a revisit passed naming nobody");
            }
            if finding == Finding::NotConfirmed {
                prop_assert!(letter, "an unconfirmed revisit passed without a reason");
            }
            lead.status = out.status;
            lead.attention = out.attention;
        }
    }
}

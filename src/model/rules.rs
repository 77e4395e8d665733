//! The notice's rules for visits (DESIGN.md 1–5), and the one state machine that moves a lead
//! when a visit is finalized. docs/lifecycle.md has the same table.

use chrono::{DateTime, Utc};

use super::visit::{EvidenceKind, Finding, Visit, VisitKind};
use super::{Lead, LeadKind, Status};

/// A part of a visit: where the form shows it, and which part a problem is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    Kind,
    Finding,
    At,
    Met,
    Amount,
    Paid,
    Evidence,
    Cause,
    Next,
    Due,
    Notes,
    /// Why a correction corrects (only in a correction).
    Reason,
}

/// A rule a visit breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// No finding chosen.
    NoFinding,
    /// The finding does not belong to this kind of visit or lead.
    FindingNotFor {
        finding: Finding,
        kind: VisitKind,
        lead: LeadKind,
    },
    /// The lead is not at a stage where this kind of visit applies.
    WrongStage { kind: VisitKind, status: Status },
    /// Rule 1: arrears, disputes, payment, no arrears and confirmed burdens need written or
    /// external evidence.
    NeedsEvidence(Finding),
    /// Rule 1 for a withdrawal: it stands on the enterprise's written withdrawal.
    NeedsWithdrawalLetter,
    /// Rule 2 (unreachable, no documents) and rule 3 (disputed): a next action…
    NeedsNextAction(Finding),
    /// …with a due date.
    NeedsDue(Finding),
    /// A next step due before the visit took place.
    DueBeforeVisit,
    /// A visit recorded as taking place later than now.
    InFuture,
    /// Rule 5: a revisit names whom it spoke to.
    RevisitNeedsPerson,
    /// Rule 5: a revisit that does not confirm the outcome says why (in the notes).
    NeedsReason,
    /// A correction states why the visit it replaces was wrong.
    CorrectionNeedsReason,
}

/// How far ahead of the clock a visit's time may be (clocks of two laptops disagree by minutes).
pub const FUTURE_SLACK_MINUTES: i64 = 10;

impl Violation {
    /// The notice rule this enforces (0: not one of the numbered rules).
    pub fn rule(self) -> u8 {
        match self {
            Violation::NeedsEvidence(_) | Violation::NeedsWithdrawalLetter => 1,
            Violation::NeedsNextAction(Finding::Disputed)
            | Violation::NeedsDue(Finding::Disputed) => 3,
            Violation::NeedsNextAction(_) | Violation::NeedsDue(_) => 2,
            Violation::WrongStage { .. }
            | Violation::RevisitNeedsPerson
            | Violation::NeedsReason => 5,
            Violation::NoFinding
            | Violation::FindingNotFor { .. }
            | Violation::DueBeforeVisit
            | Violation::InFuture
            | Violation::CorrectionNeedsReason => 0,
        }
    }

    pub fn part(self) -> Part {
        match self {
            Violation::NoFinding | Violation::FindingNotFor { .. } => Part::Finding,
            Violation::WrongStage { .. } => Part::Kind,
            Violation::NeedsEvidence(_) | Violation::NeedsWithdrawalLetter => Part::Evidence,
            Violation::NeedsNextAction(_) => Part::Next,
            Violation::NeedsDue(_) | Violation::DueBeforeVisit => Part::Due,
            Violation::InFuture => Part::At,
            Violation::RevisitNeedsPerson => Part::Met,
            Violation::NeedsReason => Part::Notes,
            Violation::CorrectionNeedsReason => Part::Reason,
        }
    }
}

/// The findings a visit of this kind may record on a lead of this kind.
pub fn findings_for(kind: VisitKind, lead: LeadKind) -> &'static [Finding] {
    use Finding as F;
    match (kind, lead) {
        (VisitKind::Onsite, LeadKind::Arrears) => &[
            F::ArrearsUndisputed,
            F::Disputed,
            F::NoArrears,
            F::Paid,
            F::PartlyPaid,
            F::Unreachable,
            F::NoDocuments,
            F::Withdrawn,
        ],
        (VisitKind::Onsite, LeadKind::Burden) => &[
            F::BurdenConfirmed,
            F::BurdenCorrected,
            F::NoBurden,
            F::Unreachable,
            F::Withdrawn,
        ],
        (VisitKind::Revisit, _) => &[F::Confirmed, F::NotConfirmed],
        (VisitKind::Reverify, _) => &[F::Agree, F::Disagree],
    }
}

/// The stages at which a kind of visit applies: checks while the lead is open, revisits once it
/// is resolved (rule 5), re-verifications of handled leads.
pub fn stages_for(kind: VisitKind) -> &'static [Status] {
    match kind {
        VisitKind::Onsite => &[Status::New, Status::Verifying, Status::Negotiating],
        VisitKind::Revisit => &[Status::Resolved],
        VisitKind::Reverify => &[Status::Resolved, Status::Closed],
    }
}

/// Rule 1.
pub fn needs_evidence(finding: Finding) -> bool {
    matches!(
        finding,
        Finding::ArrearsUndisputed
            | Finding::Disputed
            | Finding::Paid
            | Finding::NoArrears
            | Finding::BurdenConfirmed
    )
}

/// Rules 2 and 3.
pub fn needs_next_action(finding: Finding) -> bool {
    matches!(
        finding,
        Finding::Unreachable | Finding::NoDocuments | Finding::Disputed
    )
}

/// The lead after a visit: its state, and whether it is marked for attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub status: Status,
    pub attention: bool,
}

/// The state machine: where a finding moves a lead in `status`. Only called on visits that pass
/// `check`.
pub fn transition(status: Status, attention: bool, finding: Finding) -> Outcome {
    use Finding as F;
    let to = |status| Outcome { status, attention };
    match finding {
        F::Disputed => to(Status::Negotiating),
        F::NoArrears | F::Paid | F::Withdrawn | F::BurdenCorrected | F::NoBurden => {
            to(Status::Resolved)
        }
        // Confirmed debts and burdens stay open until paid or corrected; a partial payment, an
        // unreachable party or missing documents never resolve a lead (rule 2).
        F::ArrearsUndisputed
        | F::BurdenConfirmed
        | F::PartlyPaid
        | F::Unreachable
        | F::NoDocuments => to(if status == Status::New {
            Status::Verifying
        } else {
            status
        }),
        F::Confirmed => to(Status::Closed),
        F::NotConfirmed => to(Status::Verifying),
        F::Agree => to(status),
        F::Disagree => Outcome {
            status: Status::Verifying,
            attention: true,
        },
    }
}

/// Every rule a visit breaks on this lead, finalized at `now`; empty when it may be finalized.
pub fn check(lead: &Lead, visit: &Visit, now: DateTime<Utc>) -> Vec<Violation> {
    let mut out = Vec::new();
    if !stages_for(visit.kind).contains(&lead.status) {
        out.push(Violation::WrongStage {
            kind: visit.kind,
            status: lead.status,
        });
    }
    if visit.at > now + chrono::Duration::minutes(FUTURE_SLACK_MINUTES) {
        out.push(Violation::InFuture);
    }
    let due = visit.next.as_ref().and_then(|n| n.due);
    if due.is_some_and(|d| d < visit.at.with_timezone(&crate::clock::china()).date_naive()) {
        out.push(Violation::DueBeforeVisit);
    }
    if visit.supersedes.is_some() && visit.reason.trim().is_empty() {
        out.push(Violation::CorrectionNeedsReason);
    }
    if visit.kind == VisitKind::Revisit && visit.met.is_empty() {
        out.push(Violation::RevisitNeedsPerson);
    }
    let Some(finding) = visit.finding else {
        out.push(Violation::NoFinding);
        return out;
    };
    if !findings_for(visit.kind, lead.kind).contains(&finding) {
        out.push(Violation::FindingNotFor {
            finding,
            kind: visit.kind,
            lead: lead.kind,
        });
    }
    if needs_evidence(finding) && visit.evidence.is_empty() {
        out.push(Violation::NeedsEvidence(finding));
    }
    let letter = visit
        .evidence
        .iter()
        .any(|e| e.kind == EvidenceKind::Withdrawal);
    if finding == Finding::Withdrawn && !letter {
        out.push(Violation::NeedsWithdrawalLetter);
    }
    if needs_next_action(finding) {
        let said = visit
            .next
            .as_ref()
            .is_some_and(|n| !n.text.trim().is_empty());
        if !said {
            out.push(Violation::NeedsNextAction(finding));
        }
        if due.is_none() {
            out.push(Violation::NeedsDue(finding));
        }
    }
    if finding == Finding::NotConfirmed && visit.notes.trim().is_empty() {
        out.push(Violation::NeedsReason);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_finding_has_a_visit_kind() {
        for f in Finding::ALL {
            let somewhere = [VisitKind::Onsite, VisitKind::Revisit, VisitKind::Reverify]
                .iter()
                .any(|k| {
                    [LeadKind::Arrears, LeadKind::Burden]
                        .iter()
                        .any(|l| findings_for(*k, *l).contains(f))
                });
            assert!(somewhere, "{f:?}");
        }
    }

    #[test]
    fn unreachable_never_resolves_and_only_confirmed_closes() {
        for status in Status::ALL {
            for f in Finding::ALL {
                let out = transition(status, false, *f);
                // Onsite findings only apply to open leads (stages_for).
                let open = stages_for(VisitKind::Onsite).contains(&status);
                if open
                    && matches!(
                        f,
                        Finding::Unreachable | Finding::NoDocuments | Finding::Disputed
                    )
                {
                    assert!(
                        !matches!(out.status, Status::Resolved | Status::Closed),
                        "{f:?}"
                    );
                }
                if out.status == Status::Closed && status != Status::Closed {
                    assert_eq!(*f, Finding::Confirmed);
                }
            }
        }
    }
}

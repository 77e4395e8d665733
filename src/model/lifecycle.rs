//! The lead lifecycle: which state changes an inspector may make by hand. Resolving, moving to
//! negotiation and closing follow from visits and their evidence (rules 1–5), never from a key.

use super::Status;

/// Why a state change is refused: the notice's rule it would break.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Resolving needs an on-site check with written or external evidence (rules 1, 2).
    ResolveNeedsVisit,
    /// Negotiation starts from a disputed finding with a next step and due date (rule 3).
    NegotiateNeedsDispute,
    /// Only a revisit that confirms the outcome closes a lead (rule 5).
    CloseNeedsRevisit,
    /// A closed lead is reopened only by a re-verification that disagrees (rule 5).
    ClosedIsFinal,
    /// Back to 待核查 only from 核查中 (a check started by mistake).
    NewOnlyFromVerifying,
    /// The lead is already in that state.
    Unchanged,
}

/// The states a lead in `from` may be moved to by hand.
pub fn manual_targets(from: Status) -> &'static [Status] {
    match from {
        Status::New => &[Status::Verifying],
        Status::Verifying => &[Status::New],
        Status::Negotiating | Status::Resolved => &[Status::Verifying],
        Status::Closed => &[],
    }
}

/// Checks a change of state made by hand.
pub fn check_manual(from: Status, to: Status) -> Result<(), Refusal> {
    if manual_targets(from).contains(&to) {
        return Ok(());
    }
    Err(match (from, to) {
        (f, t) if f == t => Refusal::Unchanged,
        (Status::Closed, _) => Refusal::ClosedIsFinal,
        (_, Status::Resolved) => Refusal::ResolveNeedsVisit,
        (_, Status::Negotiating) => Refusal::NegotiateNeedsDispute,
        (_, Status::Closed) => Refusal::CloseNeedsRevisit,
        // Every move to 核查中 from an open state is allowed above.
        (_, Status::New | Status::Verifying) => Refusal::NewOnlyFromVerifying,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_resolved_or_closed_by_hand() {
        for from in Status::ALL {
            assert!(check_manual(from, Status::Resolved).is_err());
            assert!(check_manual(from, Status::Closed).is_err());
            assert!(check_manual(from, Status::Negotiating).is_err());
        }
        assert_eq!(
            check_manual(Status::New, Status::Closed),
            Err(Refusal::CloseNeedsRevisit)
        );
        assert_eq!(
            check_manual(Status::Closed, Status::Verifying),
            Err(Refusal::ClosedIsFinal)
        );
    }

    #[test]
    fn starting_and_reopening_are_allowed() {
        assert_eq!(check_manual(Status::New, Status::Verifying), Ok(()));
        assert_eq!(check_manual(Status::Resolved, Status::Verifying), Ok(()));
        assert_eq!(check_manual(Status::Negotiating, Status::Verifying), Ok(()));
        assert_eq!(
            check_manual(Status::New, Status::New),
            Err(Refusal::Unchanged)
        );
        assert_eq!(check_manual(Status::Verifying, Status::New), Ok(()));
        assert_eq!(
            check_manual(Status::Resolved, Status::New),
            Err(Refusal::NewOnlyFromVerifying)
        );
    }
}

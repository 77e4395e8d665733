//! What a lead waits for next, and by when: its feedback deadline (rule 4) while it is open, and
//! the next step its latest visit set while it is not closed (a resolved lead waits for its
//! revisit). "Overdue" covers both, in the app's ledger and in the report alike.

use chrono::NaiveDate;

use super::{Lead, Status};

/// Which date a lead waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// The notice's feedback deadline.
    Deadline,
    /// The next step of its latest visit.
    NextStep,
}

/// Is a next step due before `today` still waited for? Only a closed lead waits for nothing.
pub fn next_step_late(status: Status, due: Option<NaiveDate>, today: NaiveDate) -> bool {
    status != Status::Closed && due.is_some_and(|d| d < today)
}

/// The earlier of the dates the lead still waits for (the deadline on a tie), if any.
pub fn pending(lead: &Lead, next_due: Option<NaiveDate>) -> Option<(NaiveDate, Waiting)> {
    let deadline = lead
        .deadline
        .filter(|_| lead.is_open())
        .map(|d| (d, Waiting::Deadline));
    let next = next_due
        .filter(|_| lead.status != Status::Closed)
        .map(|d| (d, Waiting::NextStep));
    match (deadline, next) {
        (Some(a), Some(b)) => Some(if b.0 < a.0 { b } else { a }),
        (a, b) => a.or(b),
    }
}

/// Past its deadline while open, or past its next step's due date while not closed.
pub fn is_late(lead: &Lead, next_due: Option<NaiveDate>, today: NaiveDate) -> bool {
    lead.is_overdue(today) || next_step_late(lead.status, next_due, today)
}

/// The date the ledger shows and sorts a lead by: what it waits for, else its deadline.
pub fn shown_due(lead: &Lead, next_due: Option<NaiveDate>) -> Option<NaiveDate> {
    pending(lead, next_due).map(|(d, _)| d).or(lead.deadline)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(status: Status, deadline: Option<NaiveDate>) -> Lead {
        Lead {
            id: "n/a3/1".into(),
            seq: 1,
            creditor: "c".into(),
            debtor: None,
            district: "d".into(),
            amount_yuan: None,
            matter: String::new(),
            deadline,
            status,
            supervised: false,
            confidential: false,
            notice: "n".into(),
            assignee: None,
            kind: super::super::LeadKind::Arrears,
            attention: false,
            contact: None,
            phone: None,
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
    }

    #[test]
    fn the_earlier_date_waited_for_counts_and_a_closed_lead_waits_for_none() {
        let open = lead(Status::Verifying, Some(day(20)));
        assert_eq!(
            pending(&open, Some(day(5))),
            Some((day(5), Waiting::NextStep))
        );
        assert_eq!(
            pending(&open, Some(day(25))),
            Some((day(20), Waiting::Deadline))
        );
        assert_eq!(
            pending(&open, Some(day(20))),
            Some((day(20), Waiting::Deadline))
        );
        assert!(is_late(&open, Some(day(1)), day(2)), "a next step past due");
        assert!(!is_late(&open, Some(day(3)), day(2)));
        // Resolved: the deadline is met, the revisit is still waited for.
        let resolved = lead(Status::Resolved, Some(day(1)));
        assert_eq!(pending(&resolved, None), None);
        assert_eq!(
            pending(&resolved, Some(day(9))),
            Some((day(9), Waiting::NextStep))
        );
        assert!(is_late(&resolved, Some(day(9)), day(10)));
        assert!(
            !is_late(&resolved, None, day(10)),
            "its deadline no longer counts"
        );
        let closed = lead(Status::Closed, Some(day(1)));
        assert_eq!(pending(&closed, Some(day(1))), None);
        assert!(!is_late(&closed, Some(day(1)), day(10)));
        assert_eq!(shown_due(&closed, Some(day(9))), Some(day(1)));
    }
}

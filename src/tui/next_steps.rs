//! Each lead's next step as its latest visit set it (text and due date), by the lead's position:
//! what the ledger's dates and overdue marks and the 今日 tab read. The latest visit is the last
//! finalized (the greatest id: a correction's id is always later than the visit it replaces).

use chrono::NaiveDate;

use super::visit_index::VisitIndex;
use super::visit_rows::VisitRows;

/// A visit's next step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextStep {
    pub text: Box<str>,
    pub due: Option<NaiveDate>,
}

impl NextStep {
    pub fn of(next: &crate::model::NextAction) -> NextStep {
        NextStep {
            text: next.text.as_str().into(),
            due: next.due,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NextSteps {
    by_lead: Vec<Option<NextStep>>,
}

impl NextSteps {
    /// The next step of each of `leads` leads, from `next` (each visit's, by its place in
    /// `rows`), taken out.
    pub fn of(
        leads: usize,
        rows: &VisitRows,
        index: &VisitIndex,
        mut next: Vec<Option<NextStep>>,
    ) -> NextSteps {
        let by_lead = (0..leads)
            .map(|lead| {
                let latest = index
                    .visits_of(lead)
                    .iter()
                    .copied()
                    .max_by(|&a, &b| rows.id(a).cmp(rows.id(b)))?;
                next.get_mut(latest).and_then(Option::take)
            })
            .collect();
        NextSteps { by_lead }
    }

    /// The next step of the lead at `lead`, if its latest visit set one.
    pub fn of_lead(&self, lead: usize) -> Option<&NextStep> {
        self.by_lead.get(lead).and_then(Option::as_ref)
    }

    pub fn due(&self, lead: usize) -> Option<NaiveDate> {
        self.of_lead(lead).and_then(|n| n.due)
    }

    /// A visit of the lead at `lead` was finalized: its next step (or none) is the lead's now.
    pub fn set(&mut self, lead: usize, next: Option<NextStep>) {
        if self.by_lead.len() <= lead {
            self.by_lead.resize(lead + 1, None);
        }
        self.by_lead[lead] = next;
    }
}

//! Carries out what `update` asks for: saves go to the store (their outcome comes back as an
//! action), searches go to the search worker.

use std::sync::mpsc::Sender;

use super::action::Action;
use super::searcher::Request;
use super::update::Effect;
use crate::i18n::Lang;
use crate::store::Store;

pub struct Runner<'a> {
    pub store: &'a Store,
    pub searches: Sender<Request>,
    pub lang: Lang,
    /// The date taken as today (relative due dates like `+7` count from it).
    pub today: chrono::NaiveDate,
}

impl Runner<'_> {
    fn failed(&self, e: crate::error::Error) -> Action {
        tracing::warn!(error = %e, "a store operation failed");
        Action::Failed(e.message(self.lang))
    }

    /// Runs one effect; returns the action it results in right away, if any.
    pub fn run(&self, effect: Effect) -> Option<Action> {
        match effect {
            Effect::Search {
                generation,
                tab,
                query,
            } => {
                let request = Request {
                    generation,
                    tab,
                    query,
                };
                // The worker only stops when the app does.
                let _ = self.searches.send(request);
                None
            }
            Effect::SaveDraft(form) => self.store.save_draft(&form).err().map(|e| self.failed(e)),
            Effect::DiscardDraft(lead) => self
                .store
                .discard_draft(&lead)
                .err()
                .map(|e| self.failed(e)),
            Effect::Finalize(form) => Some(
                match self
                    .store
                    .finalize(&form, chrono::Utc::now(), self.today, true)
                {
                    Ok(done) => Action::Finalized(Box::new(done)),
                    Err(crate::error::Error::VisitRejected { problems }) => {
                        Action::Rejected(problems)
                    }
                    Err(e) => self.failed(e),
                },
            ),
            Effect::SetLeadField { lead_id, field } => {
                Some(match self.store.set_lead_field(&lead_id, &field) {
                    Ok((lead, change)) => Action::Saved {
                        lead: Box::new(lead),
                        change: change.map(Box::new),
                    },
                    Err(e) => {
                        tracing::warn!(lead = %lead_id, error = %e, "saving a lead field failed");
                        Action::Failed(e.message(self.lang))
                    }
                })
            }
        }
    }
}

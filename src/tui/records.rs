//! Every record the lists show, read from the store in one go off the UI thread, with what the
//! app derives from them: the leads in full (shared with the search worker), the visits as rows
//! (`visit_rows.rs`), each visit's lead, the ledger order and the channels' leads.

use std::sync::Arc;

use super::lead_groups::LeadGroups;
use super::lead_order::{Sort, sort_lead_rows};
use super::next_steps::NextSteps;
use super::visit_index::VisitIndex;
use super::visit_rows::{Scanned, VisitRows};
use super::visit_search::VisitTexts;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::model::{Channel, Lead};
use crate::store::Store;

#[derive(Debug, Clone, PartialEq)]
pub struct Records {
    /// In natural id order, as the store gives them (the search worker's positions).
    pub leads: Vec<Arc<Lead>>,
    pub channels: Vec<Channel>,
    pub visits: VisitRows,
    pub index: VisitIndex,
    /// Lead positions in the ledger order as of the day read (the list without a search,
    /// filter or other sort).
    pub ledger: Vec<usize>,
    /// The leads each channel answers for.
    pub groups: LeadGroups,
    /// Each lead's next step, as its latest visit set it.
    pub next: NextSteps,
    /// The visits' texts for the search worker, taken out before the records go to the app.
    pub texts: Option<Box<VisitTexts>>,
}

impl Records {
    /// Reads the visits' summaries on a second thread while the leads and channels are read
    /// here; then, again on two threads, sorts the ledger as of `today` and groups the leads by
    /// channel there, and here finds each visit's lead, indexes the visits and makes their
    /// texts for searches in `lang`.
    pub fn read(store: &Store, today: chrono::NaiveDate, lang: Lang) -> Result<Records> {
        let (leads, channels, scanned) = std::thread::scope(|s| {
            let scanned = s.spawn(|| Scanned::read(store));
            let leads = store
                .leads()
                .map(|l| l.into_iter().map(Arc::new).collect::<Vec<_>>());
            let channels = store.channels();
            let scanned = scanned.join().unwrap_or_else(|_| {
                Err(Error::Store {
                    detail: "reading the visits stopped unexpectedly".into(),
                })
            });
            (leads, channels, scanned)
        });
        let (leads, scanned) = (leads?, scanned?);
        let Scanned {
            rows,
            leads: lead_ids,
            own,
            next,
            corrected,
        } = scanned;
        // The ledger's order needs each lead's next step, which needs each visit's lead.
        let index = VisitIndex::of(&rows, &leads, &lead_ids, corrected);
        drop(lead_ids);
        let next = NextSteps::of(leads.len(), &rows, &index, next);
        let ((ledger, groups), texts) = std::thread::scope(|s| {
            let sorting = s.spawn(|| ordered(&leads, &next, today));
            let texts = VisitTexts::of(&leads, &rows, &index, own, lang);
            let ordered = sorting
                .join()
                .unwrap_or_else(|_| ordered(&leads, &next, today));
            (ordered, texts)
        });
        Ok(Records {
            ledger,
            index,
            groups,
            next,
            texts: Some(Box::new(texts)),
            leads,
            channels: channels?,
            visits: rows,
        })
    }
}

/// The ledger order as of `today` and the leads each channel answers for.
fn ordered(
    leads: &[Arc<Lead>],
    next: &NextSteps,
    today: chrono::NaiveDate,
) -> (Vec<usize>, LeadGroups) {
    let mut ledger: Vec<usize> = (0..leads.len()).collect();
    sort_lead_rows(leads, next, &mut ledger, Sort::Deadline, today);
    (ledger, LeadGroups::of(leads))
}

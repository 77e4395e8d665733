//! Search off the input path: a worker thread holds the search keys and answers the newest
//! query of each list; results come back to the event loop as actions, and results of a
//! superseded query are dropped by `update` (they carry an older generation).

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};

use super::action::Action;
use super::state::{SearchHit, Tab};
use super::visit_search::{Spells, VisitTexts};
use crate::model::{Channel, Lead, RecordKind};
use crate::search::key::Record;
use crate::search::{Index, Query, Scope, highlights};

/// How many hits a list shows at most while searching.
pub const MAX_HITS: usize = 1000;

/// A query for one list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub generation: u64,
    pub tab: Tab,
    pub query: String,
}

/// Work for the search worker.
pub enum Job {
    Search(Request),
    /// New keys and records (after a bundle brought new leads): the old ones go.
    Reindex(Box<Searcher>),
}

/// The search keys and the records (for highlights), in the app's order (natural id order: a
/// hit's position is found by binary search), and the texts of the visits. The leads are the
/// app's own, shared, not a copy.
pub struct Searcher {
    index: Index,
    visits: VisitTexts,
    /// What the Visits tab's last words did not spell (`VisitTexts::find`).
    spells: Spells,
    leads: Vec<Arc<Lead>>,
    channels: Vec<Channel>,
}

impl Searcher {
    /// `leads` and `channels` in the order of `State::leads` and `State::channels`; `visits`
    /// made of the app's leads and visits.
    pub fn new(
        index: Index,
        leads: Vec<Arc<Lead>>,
        channels: Vec<Channel>,
        visits: VisitTexts,
    ) -> Searcher {
        Searcher {
            index,
            visits,
            spells: Spells::default(),
            leads,
            channels,
        }
    }

    /// The ranked hits of a query in one list, with what matched.
    pub fn run(&mut self, tab: Tab, query: &str) -> Vec<SearchHit> {
        if tab == Tab::Visits {
            let hits = self.visits.find(query, &mut self.spells).into_iter();
            return hits
                .map(|pos| SearchHit {
                    pos,
                    matches: Vec::new(),
                })
                .collect();
        }
        let query = Query::new(query);
        let scope = match tab {
            Tab::Directory => Scope::Directory,
            _ => Scope::Leads,
        };
        self.index
            .rank(&query, scope, MAX_HITS)
            .into_iter()
            .filter_map(|r| {
                let (pos, record) = match r.kind {
                    RecordKind::Lead => {
                        let pos = position(&self.leads, |l| &l.id, &r.id)?;
                        (pos, Record::Lead(&self.leads[pos]))
                    }
                    RecordKind::Channel => {
                        let pos = position(&self.channels, |c| &c.id, &r.id)?;
                        (pos, Record::Channel(&self.channels[pos]))
                    }
                };
                Some(SearchHit {
                    pos,
                    matches: highlights(&record, &query),
                })
            })
            .collect()
    }

    pub fn answer(&mut self, request: &Request) -> Action {
        Action::SearchDone {
            generation: request.generation,
            tab: request.tab,
            hits: self.run(request.tab, &request.query),
        }
    }
}

/// Where the record with this id is among records in natural id order.
fn position<T>(records: &[T], id_of: impl Fn(&T) -> &str, id: &str) -> Option<usize> {
    records
        .binary_search_by(|r| crate::model::id_order(id_of(r), id))
        .ok()
}

/// Serves requests until the app goes away. Requests that queued up while a search ran are
/// skipped but the newest of each list.
pub fn serve(mut searcher: Searcher, jobs: Receiver<Job>, results: Sender<Action>) {
    while let Ok(first) = jobs.recv() {
        let mut newest: Vec<Request> = Vec::new();
        for job in std::iter::once(first).chain(std::iter::from_fn(|| jobs.try_recv().ok())) {
            match job {
                Job::Reindex(fresh) => searcher = *fresh,
                Job::Search(next) => {
                    newest.retain(|r| r.tab != next.tab);
                    newest.push(next);
                }
            }
        }
        for request in newest {
            if results.send(searcher.answer(&request)).is_err() {
                return;
            }
        }
    }
}

//! The visits part of the app's state: the Visits tab's rows, a lead's visits, the visits
//! finalized since the records were read, and the whole records of what is selected, read from
//! the store (`Opened`) since the app keeps only rows of every visit.

use super::state::{State, Tab, reselect};
use super::update::Effect;
use super::visit_rows::VisitRow;
use crate::model::{Lead, Visit};

/// What was asked of the store for the selection, and what it gave (`None`: nothing found, or
/// it could not be read; asked once, not again on every key).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Opened {
    /// The visit selected on the Visits tab, by id.
    pub visit: Option<(String, Option<Visit>)>,
    /// Who recorded that visit, as this store verified it (`None`: an unverified device), read
    /// with it: a map of every visit's author, read before the first frame, took 3 s and
    /// hundreds of MB at 1M visits.
    pub visit_author: Option<String>,
    /// The visits of the lead selected on the lead list, oldest first, by lead id.
    pub lead: Option<(String, Vec<Visit>)>,
}

impl State {
    /// The selected visit in full, once the store has given it.
    pub fn selected_visit(&self) -> Option<&Visit> {
        let id = self.visits.id(self.visit_list.current()?);
        match &self.opened.visit {
            Some((asked, visit)) if asked == id => visit.as_ref(),
            _ => None,
        }
    }

    /// The visits in full of the lead `lead`, if it is the one opened.
    pub fn opened_visits(&self, lead: &str) -> Option<&[Visit]> {
        match &self.opened.lead {
            Some((asked, visits)) if asked == lead => Some(visits),
            _ => None,
        }
    }

    /// What the store must still be asked for the visit and lead now selected, if anything.
    pub fn to_open(&self) -> Option<Effect> {
        let visit = (self.tab == Tab::Visits)
            .then(|| self.visit_list.current())
            .flatten()
            .map(|i| self.visits.id(i))
            .filter(|id| {
                self.opened
                    .visit
                    .as_ref()
                    .is_none_or(|(asked, _)| asked != id)
            })
            .map(String::from);
        let lead = (self.tab == Tab::Leads)
            .then(|| self.lead_list.current())
            .flatten()
            .and_then(|i| self.leads.get(i))
            .map(|l| l.id.as_str())
            .filter(|id| {
                self.opened
                    .lead
                    .as_ref()
                    .is_none_or(|(asked, _)| asked != id)
            })
            .map(String::from);
        (visit.is_some() || lead.is_some()).then_some(Effect::Open { visit, lead })
    }

    /// A lead's finalized visits, oldest first, as positions in `visits`.
    pub fn visits_of(&self, lead: &str) -> &[usize] {
        self.lead_position(lead)
            .map(|p| self.visit_index.visits_of(p))
            .unwrap_or_default()
    }

    /// The lead of the visit at position `i`.
    pub fn lead_of_visit(&self, i: usize) -> Option<&Lead> {
        self.visit_index
            .lead_of(i)
            .and_then(|p| self.leads.get(p))
            .map(|l| &**l)
    }

    /// The id of the lead of the visit at `i`, also when this store does not hold it.
    pub fn lead_id_of_visit(&self, i: usize) -> Option<&str> {
        self.lead_of_visit(i)
            .map(|l| l.id.as_str())
            .or_else(|| self.visit_index.orphan_lead(i))
    }

    /// The visits shown on the Visits tab, newest first: all of them without a query, else the
    /// search worker's answer (`ranked`) and those of the visits finalized since it was given
    /// the visits that match here; nothing while the first answer over these visits is awaited
    /// (a query typed on keeps the last answer until the next arrives).
    pub fn refresh_visits(&mut self) {
        let keep = self.visit_list.current();
        let words: Vec<String> = self
            .visit_list
            .query
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let rows: Vec<usize> = match &self.visit_list.ranked {
            _ if words.is_empty() => self.visit_index.newest_first.clone(),
            None => Vec::new(),
            Some(hits) => {
                let mut rows: Vec<usize> = hits.iter().map(|h| h.pos).collect();
                let at = |i: usize| {
                    self.visits
                        .get(i)
                        .map(|r| super::visit_rows::listed_minute(r.at))
                };
                for i in self.visits_searched..self.visits.len() {
                    if self.visit_matches(i, &words) {
                        let key = (at(i), i);
                        let place = rows.partition_point(|&j| (at(j), j) > key);
                        rows.insert(place, i);
                    }
                }
                rows
            }
        };
        self.visit_list.rows = rows;
        reselect(&mut self.visit_list, keep);
    }

    /// Does every word occur in one of the visit's texts (lead id, creditor, district, kind,
    /// finding, inspector, next step, notes), ignoring case, or spell the lead's creditor or
    /// district in pinyin? The rule of
    /// `visit_search::VisitTexts::find`, for the few visits finalized since it was made.
    fn visit_matches(&self, i: usize, words: &[String]) -> bool {
        let Some(row) = self.visits.get(i) else {
            return false;
        };
        let own = i
            .checked_sub(self.visits_searched)
            .and_then(|k| self.visits_added.get(k))
            .map_or("", |t| t);
        let lead = self.lead_of_visit(i);
        let texts = [
            own.to_string(),
            lead.map_or(String::new(), |l| l.creditor.to_lowercase()),
            lead.map_or(String::new(), |l| l.district.to_lowercase()),
            row.kind.label(self.lang).to_lowercase(),
            row.finding
                .map_or(String::new(), |f| f.label(self.lang).to_lowercase()),
        ];
        let spelled = lead.map(super::visit_search::lead_spelled);
        words.iter().all(|w| {
            texts.iter().any(|t| t.contains(w.as_str()))
                || spelled
                    .as_deref()
                    .is_some_and(|s| crate::search::spelled::spells(s, w))
        })
    }

    /// Has a correction replaced this visit?
    pub fn is_corrected(&self, visit: &str) -> bool {
        self.visit_index.corrected.contains(visit)
    }

    /// A visit was finalized: it joins the rows and their index.
    pub fn add_visit(&mut self, visit: Visit) {
        if let Some(pos) = self.lead_position(&visit.lead) {
            let next = visit.next.as_ref().map(super::next_steps::NextStep::of);
            self.next_steps.set(pos, next);
        }
        self.visits.push(&visit.id, VisitRow::of(&visit));
        self.visit_index.add(
            &self.visits,
            &self.leads,
            &visit.lead,
            visit.supersedes.as_deref(),
        );
        let next = visit.next.as_ref().map_or("", |n| n.text.as_str());
        self.visits_added.push(super::visit_search::own_text(
            &visit.lead,
            &visit.inspector,
            &super::visit_search::met_texts(&visit.met),
            next,
            &visit.notes,
        ));
        // The lead's visits opened are one short now.
        if self
            .opened
            .lead
            .as_ref()
            .is_some_and(|(lead, _)| *lead == visit.lead)
        {
            self.opened.lead = None;
        }
    }
}

//! The Visits tab's search, on the search worker: each visit's own text (lead id, inspector, next
//! step, notes) and its lead's (creditor, district), lowercased once when the worker starts;
//! kinds and findings matched by their labels. A query is answered newest first without the UI
//! thread, which only filters the visits finalized since (`State::visit_matches`, the same rule).

use std::sync::Arc;

use super::visit_index::VisitIndex;
use super::visit_rows::VisitRows;
use crate::i18n::Lang;
use crate::model::{Finding, Lead, Visit, VisitKind};

/// Texts within one record are joined by this: a word (split at whitespace) cannot span two.
const APART: &str = "\n";

#[derive(Debug, Clone, PartialEq)]
pub struct VisitTexts {
    lang: Lang,
    /// Per lead: creditor and district.
    leads: Vec<Box<str>>,
    /// Per visit: lead id, inspector, next step, notes.
    own: Vec<Box<str>>,
    lead_of: Vec<u32>,
    kind: Vec<VisitKind>,
    finding: Vec<Option<Finding>>,
    /// Every visit, newest first.
    newest_first: Vec<u32>,
}

/// A visit's own texts as searched: lead id, inspector, next step and notes, lowercased.
pub fn own_text(lead: &str, inspector: &str, next: &str, notes: &str) -> Box<str> {
    [lead, inspector, next, notes]
        .join(APART)
        .to_lowercase()
        .into_boxed_str()
}

impl VisitTexts {
    /// The texts of whole visits (in `VisitRows` order).
    pub fn new(leads: &[Arc<Lead>], visits: &[Visit], lang: Lang) -> VisitTexts {
        let own = visits
            .iter()
            .map(|v| {
                let next = v.next.as_ref().map_or("", |n| n.text.as_str());
                own_text(&v.lead, &v.inspector, next, &v.notes)
            })
            .collect();
        let index = VisitIndex::of_visits(visits, leads);
        VisitTexts::of(leads, &VisitRows::of(visits), &index, own, lang)
    }

    /// The texts of the visits at `rows`, indexed by `index`, whose own texts are `own`.
    pub fn of(
        leads: &[Arc<Lead>],
        rows: &VisitRows,
        index: &VisitIndex,
        own: Vec<Box<str>>,
        lang: Lang,
    ) -> VisitTexts {
        let row = |i: usize| rows.get(i);
        VisitTexts {
            lang,
            leads: leads
                .iter()
                .map(|l| {
                    [l.creditor.as_str(), l.district.as_str()]
                        .join(APART)
                        .to_lowercase()
                        .into_boxed_str()
                })
                .collect(),
            own,
            lead_of: index.lead_positions().to_vec(),
            kind: (0..rows.len())
                .filter_map(|i| row(i).map(|r| r.kind))
                .collect(),
            finding: (0..rows.len())
                .filter_map(|i| row(i).map(|r| r.finding))
                .collect(),
            newest_first: index
                .newest_first
                .iter()
                .filter_map(|&i| u32::try_from(i).ok())
                .collect(),
        }
    }

    /// The positions of the visits whose texts hold every word of `query` (ignoring case),
    /// newest first.
    pub fn find(&self, query: &str) -> Vec<usize> {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        // Which kinds and findings each word names, worked out once per query.
        let kinds: Vec<Vec<VisitKind>> = words
            .iter()
            .map(|w| {
                VisitKind::ALL
                    .iter()
                    .copied()
                    .filter(|k| k.label(self.lang).to_lowercase().contains(w.as_str()))
                    .collect()
            })
            .collect();
        let findings: Vec<Vec<Finding>> = words
            .iter()
            .map(|w| {
                Finding::ALL
                    .iter()
                    .copied()
                    .filter(|f| f.label(self.lang).to_lowercase().contains(w.as_str()))
                    .collect()
            })
            .collect();
        self.newest_first
            .iter()
            .map(|&i| i as usize)
            .filter(|&i| {
                words.iter().enumerate().all(|(n, w)| {
                    self.own[i].contains(w.as_str())
                        || self
                            .leads
                            .get(self.lead_of[i] as usize)
                            .is_some_and(|t| t.contains(w.as_str()))
                        || kinds[n].contains(&self.kind[i])
                        || self.finding[i].is_some_and(|f| findings[n].contains(&f))
                })
            })
            .collect()
    }

    /// How many visits this holds: later ones are the UI's to filter.
    pub fn count(&self) -> usize {
        self.own.len()
    }
}

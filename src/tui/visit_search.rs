//! The Visits tab's search, on the search worker: each visit's own text (lead id, inspector, next
//! step, notes) and its lead's (creditor, district), lowercased once when the worker starts;
//! kinds and findings matched by their labels. A query is answered newest first without the UI
//! thread, which only filters the visits finalized since (`State::visit_matches`, the same rule).

use std::collections::HashMap;
use std::sync::Arc;

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

impl VisitTexts {
    pub fn new(leads: &[Arc<Lead>], visits: &[Visit], lang: Lang) -> VisitTexts {
        let place: HashMap<&str, u32> = leads
            .iter()
            .enumerate()
            .map(|(i, l)| (l.id.as_str(), i as u32))
            .collect();
        let lower = |parts: &[&str]| parts.join(APART).to_lowercase().into_boxed_str();
        let mut newest: Vec<u32> = (0..visits.len() as u32).collect();
        newest.sort_unstable_by_key(|&i| std::cmp::Reverse((visits[i as usize].at, i)));
        VisitTexts {
            lang,
            leads: leads
                .iter()
                .map(|l| lower(&[&l.creditor, &l.district]))
                .collect(),
            own: visits
                .iter()
                .map(|v| {
                    let next = v.next.as_ref().map_or("", |n| n.text.as_str());
                    lower(&[&v.lead, &v.inspector, next, &v.notes])
                })
                .collect(),
            lead_of: visits
                .iter()
                .map(|v| place.get(v.lead.as_str()).copied().unwrap_or(u32::MAX))
                .collect(),
            kind: visits.iter().map(|v| v.kind).collect(),
            finding: visits.iter().map(|v| v.finding).collect(),
            newest_first: newest,
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

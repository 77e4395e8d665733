//! The Visits tab's search, on the search worker: each visit's own text (lead id, inspector, next
//! step, notes) and its lead's (creditor, district), lowercased once when the worker starts, and
//! the lead's names spelled in pinyin (`search::spelled`: whole syllables, initials or both, so
//! `cqpk`, `bbq` and `beibei` find 重庆朋昆… in 北碚区); kinds and findings matched by their labels. A query is answered newest first without the UI
//! thread, which only filters the visits finalized since (`State::visit_matches`, the same rule).

use std::sync::{Arc, OnceLock};

use super::visit_index::VisitIndex;
use super::visit_rows::VisitRows;
use crate::i18n::Lang;
use crate::model::{Finding, Lead, Visit, VisitKind};
use crate::search::spelled;

/// Texts within one record are joined by this: a word (split at whitespace) cannot span two.
const APART: &str = "\n";

#[derive(Debug, Clone, PartialEq)]
pub struct VisitTexts {
    lang: Lang,
    /// Per lead: creditor and district.
    leads: Vec<Box<str>>,
    /// The leads, for their names spelled (`spelled::spelled`) the first time a word in Latin
    /// letters is searched, on the search worker: not at start, where it would delay the ledger.
    sources: Vec<Arc<Lead>>,
    spelled: OnceLock<Vec<Box<str>>>,
    /// Per visit: lead id, inspector, next step, notes.
    own: Vec<Box<str>>,
    lead_of: Vec<u32>,
    kind: Vec<VisitKind>,
    finding: Vec<Option<Finding>>,
    /// Every visit, newest first.
    newest_first: Vec<u32>,
}

/// A visit's own texts as searched: lead id, inspector, the people met (names and roles), next
/// step and notes, lowercased.
pub fn own_text(lead: &str, inspector: &str, met: &[&str], next: &str, notes: &str) -> Box<str> {
    let mut texts = vec![lead, inspector];
    texts.extend_from_slice(met);
    texts.extend([next, notes]);
    texts.join(APART).to_lowercase().into_boxed_str()
}

/// The names and roles of the people met at a visit, as `own_text` takes them.
pub fn met_texts(met: &[crate::model::visit::Person]) -> Vec<&str> {
    met.iter()
        .flat_map(|p| [p.name.as_str(), p.role.as_str()])
        .collect()
}

/// A lead's creditor and district spelled, as the Visits tab's words are matched against them.
pub fn lead_spelled(lead: &Lead) -> String {
    format!(
        "{}{}{}",
        spelled::spelled(&lead.creditor),
        spelled::NAME,
        spelled::spelled(&lead.district)
    )
}

impl VisitTexts {
    /// The texts of whole visits (in `VisitRows` order).
    pub fn new(leads: &[Arc<Lead>], visits: &[Visit], lang: Lang) -> VisitTexts {
        let own = visits
            .iter()
            .map(|v| {
                let next = v.next.as_ref().map_or("", |n| n.text.as_str());
                own_text(&v.lead, &v.inspector, &met_texts(&v.met), next, &v.notes)
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
            sources: leads.to_vec(),
            spelled: OnceLock::new(),
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

    /// The positions of the visits whose texts hold every word of `query` (ignoring case), or
    /// whose lead's names spell it, newest first. `spells` keeps, from one keystroke to the next,
    /// which leads' names do not spell a word: a longer word cannot spell them either.
    pub fn find(&self, query: &str, spells: &mut Spells) -> Vec<usize> {
        let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
        let finders: Vec<memchr::memmem::Finder> = words
            .iter()
            .map(|w| memchr::memmem::Finder::new(w.as_bytes()))
            .collect();
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
        let spelled: &[Box<str>] = if words.iter().any(|w| w.is_ascii()) {
            self.spelled.get_or_init(|| {
                self.sources
                    .iter()
                    .map(|l| lead_spelled(l).into_boxed_str())
                    .collect()
            })
        } else {
            &[]
        };
        spells.start(&words, spelled.len());
        self.newest_first
            .iter()
            .map(|&i| i as usize)
            .filter(|&i| {
                let lead = self.lead_of[i] as usize;
                words.iter().enumerate().all(|(n, w)| {
                    let holds = |text: &str| finders[n].find(text.as_bytes()).is_some();
                    holds(&self.own[i])
                        || self.leads.get(lead).is_some_and(|t| holds(t))
                        || kinds[n].contains(&self.kind[i])
                        || self.finding[i].is_some_and(|f| findings[n].contains(&f))
                        || spells.of(n, lead, || {
                            spelled.get(lead).is_some_and(|s| spelled::spells(s, w))
                        })
                })
            })
            .collect()
    }

    /// How many visits this holds: later ones are the UI's to filter.
    pub fn count(&self) -> usize {
        self.own.len()
    }
}

/// Per word of the last query and per lead: not asked yet, spelled, or not spelled.
#[derive(Debug, Default)]
pub struct Spells {
    words: Vec<(String, Vec<Spelled>)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spelled {
    Unknown,
    Yes,
    No,
}

impl Spells {
    /// Gets ready for `words` over `leads` leads: what a word's beginning did not spell stays
    /// not spelled; the rest is asked again.
    fn start(&mut self, words: &[String], leads: usize) {
        let mut last = std::mem::take(&mut self.words);
        last.resize_with(words.len(), Default::default);
        self.words = words
            .iter()
            .zip(last)
            .map(|(word, (before, mut known))| {
                if !word.is_ascii() {
                    // Only pinyin is spelled: nothing to keep for a word of characters.
                    return (word.clone(), Vec::new());
                }
                if !before.is_empty() && word.starts_with(&before) {
                    for k in &mut known {
                        if *k == Spelled::Yes {
                            *k = Spelled::Unknown;
                        }
                    }
                } else {
                    known = Vec::new();
                }
                known.resize(leads, Spelled::Unknown);
                (word.clone(), known)
            })
            .collect();
    }

    /// Does word `n` spell lead `lead`'s names (`ask` finds out, once)?
    fn of(&mut self, n: usize, lead: usize, ask: impl FnOnce() -> bool) -> bool {
        let Some((word, known)) = self.words.get_mut(n) else {
            return false;
        };
        if !word.is_ascii() {
            return false;
        }
        match known.get(lead).copied() {
            Some(Spelled::Yes) => true,
            Some(Spelled::No) | None => false,
            Some(Spelled::Unknown) => {
                let yes = ask();
                known[lead] = if yes { Spelled::Yes } else { Spelled::No };
                yes
            }
        }
    }
}

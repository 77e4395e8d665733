//! Fuzzy, pinyin-aware search over leads and channels (docs/search.md).
//!
//! Scoring reads only the stored keys (`key.rs`): each query term is matched with SkimMatcherV2
//! against every suitable segment of a key, the best segment counts, and a record matches when
//! every term does. Only the top hits are then rebuilt from their records to find the matched
//! characters for highlighting.

pub mod key;
mod rank;

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::phone::{digits, is_phone_like};
use crate::model::{RecordKind, amount::fullwidth_to_ascii};
use crate::store::Store;
use key::{Derivation, Field, Record, SEP};
pub use rank::{Ranked, Ranker};

/// Which records a search covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Leads,
    Directory,
    All,
}

impl Scope {
    fn covers(self, kind: RecordKind) -> bool {
        match self {
            Scope::All => true,
            Scope::Leads => kind == RecordKind::Lead,
            Scope::Directory => kind == RecordKind::Channel,
        }
    }
}

/// One word of the query, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    text: String,
    /// Only ASCII: may match pinyin and digit segments too.
    ascii: bool,
    /// Digits with dashes stripped: matched against phone digits.
    phone: bool,
}

/// A parsed query: terms separated by white space, all of which must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    terms: Vec<Term>,
}

impl Query {
    pub fn new(text: &str) -> Query {
        let terms = text
            .split_whitespace()
            .map(|word| {
                let word: String = word
                    .chars()
                    .map(|c| fullwidth_to_ascii(c).to_ascii_lowercase())
                    .collect();
                let phone = is_phone_like(&word);
                let text = if phone { digits(&word) } else { word };
                Term {
                    ascii: text.is_ascii(),
                    phone,
                    text,
                }
            })
            .collect();
        Query { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }
}

impl Term {
    /// Whether this term is worth matching against a segment of this derivation.
    fn suits(&self, derivation: Derivation) -> bool {
        match derivation {
            Derivation::Text => true,
            Derivation::Pinyin | Derivation::Initials => self.ascii && !self.phone,
            Derivation::Digits => self.phone,
        }
    }

    /// Digits are matched as a run, not scattered: `68860` must appear in a number as typed.
    fn admits(&self, segment: &str) -> bool {
        !self.phone || segment.contains(&self.text)
    }
}

/// Every stored key held in memory (the terminal app's live search).
pub struct Index {
    entries: Vec<Entry>,
}

struct Entry {
    kind: RecordKind,
    id: String,
    key: String,
}

impl Index {
    /// Reads the stored keys (no pinyin is computed here).
    pub fn load(store: &Store) -> Result<Index> {
        let mut entries = Vec::new();
        for kind in [RecordKind::Channel, RecordKind::Lead] {
            store.scan_search_keys(kind, |id, key| {
                entries.push(Entry {
                    kind,
                    id: id.to_string(),
                    key: key.to_string(),
                })
            })?;
        }
        Ok(Index { entries })
    }

    /// The best `limit` matches, best first.
    pub fn rank(&self, query: &Query, scope: Scope, limit: usize) -> Vec<Ranked> {
        let matcher = matcher();
        let mut ranker = Ranker::new(limit);
        if !query.is_empty() {
            for e in self.entries.iter().filter(|e| scope.covers(e.kind)) {
                if let Some(score) = score_key(&matcher, e.kind, &e.key, query) {
                    ranker.offer(e.kind, &e.id, score);
                }
            }
        }
        ranker.finish()
    }
}

fn matcher() -> SkimMatcherV2 {
    // Keys and queries are lower-cased already.
    SkimMatcherV2::default().respect_case()
}

/// Do the characters of `term` appear in `text` in order? (What a fuzzy match needs; keys and
/// terms are both lower-cased.)
pub fn in_order(text: &str, term: &str) -> bool {
    let mut rest = text;
    for c in term.chars() {
        match rest.find(c) {
            Some(at) => rest = &rest[at + c.len_utf8()..],
            None => return false,
        }
    }
    true
}

/// The parts of a segment a term is matched against, with their character offsets: each
/// spelling of the initials on its own (a match never strays from one spelling into the next),
/// any other segment whole.
fn spellings(derivation: Derivation, segment: &str) -> impl Iterator<Item = (usize, &str)> {
    let separator = if derivation == Derivation::Initials {
        ' '
    } else {
        SEP
    };
    let mut offset = 0;
    segment.split(separator).map(move |part| {
        let at = offset;
        offset += part.chars().count() + 1;
        (at, part)
    })
}

/// Sum over terms of each term's best segment score; `None` if a term matches nowhere.
fn score_key(matcher: &SkimMatcherV2, kind: RecordKind, key: &str, query: &Query) -> Option<i64> {
    // A term matches a text exactly when its characters appear in it in order: one scan of the
    // whole key rejects most records before any scoring.
    if !query.terms.iter().all(|t| in_order(key, &t.text)) {
        return None;
    }
    let layout = key::layout(kind);
    let mut total = 0;
    for term in &query.terms {
        let best = key
            .split(SEP)
            .zip(layout)
            .filter(|(segment, (_, derivation))| term.suits(*derivation) && term.admits(segment))
            .flat_map(|(segment, (field, derivation))| {
                spellings(*derivation, segment).filter_map(|(_, text)| {
                    if !in_order(text, &term.text) {
                        return None;
                    }
                    matcher
                        .fuzzy_match(text, &term.text)
                        .map(|s| s + field.bonus())
                })
            })
            .max()?;
        total += best;
    }
    Some(total)
}

/// The characters a query matched in one field of a record (indices into `field_text`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldMatch {
    pub field: Field,
    /// The field's text, as `Record::field_text` gives it.
    pub text: String,
    pub positions: Vec<usize>,
}

/// Which characters of which fields a query matched in a record, for highlighting.
pub fn highlights(record: &Record, query: &Query) -> Vec<FieldMatch> {
    let matcher = &matcher();
    let segments = key::segments(record);
    let mut out: Vec<FieldMatch> = Vec::new();
    for term in &query.terms {
        let best = segments
            .iter()
            .filter(|s| term.suits(s.derivation) && term.admits(&s.text))
            .flat_map(|s| {
                spellings(s.derivation, &s.text).filter_map(move |(offset, text)| {
                    matcher.fuzzy_indices(text, &term.text).map(|(score, idx)| {
                        let idx: Vec<usize> = idx.into_iter().map(|i| i + offset).collect();
                        (score + s.field.bonus(), s, idx)
                    })
                })
            })
            .fold(
                None,
                |best: Option<(i64, &key::Segment, Vec<usize>)>, hit| match best {
                    Some(b) if b.0 >= hit.0 => Some(b),
                    _ => Some(hit),
                },
            );
        let Some((_, segment, indices)) = best else {
            continue;
        };
        let positions = indices
            .into_iter()
            .filter_map(|i| segment.map.get(i).copied());
        match out.iter_mut().find(|m| m.field == segment.field) {
            Some(m) => m.positions.extend(positions),
            None => out.push(FieldMatch {
                field: segment.field,
                text: record.field_text(segment.field),
                positions: positions.collect(),
            }),
        }
    }
    for m in &mut out {
        m.positions.sort_unstable();
        m.positions.dedup();
    }
    out
}

/// A search result with what the user sees of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    pub kind: RecordKind,
    pub id: String,
    pub score: i64,
    pub title: String,
    pub matches: Vec<FieldMatch>,
}

/// Searches the store: streams through the stored keys keeping the best `limit`, then loads
/// those records for titles and highlights.
pub fn search(store: &Store, query: &str, scope: Scope, limit: usize) -> Result<Vec<Hit>> {
    let query = Query::new(query);
    if query.is_empty() {
        return Err(Error::EmptyQuery);
    }
    let matcher = matcher();
    let mut ranker = Ranker::new(limit);
    for kind in [RecordKind::Channel, RecordKind::Lead] {
        if scope.covers(kind) {
            store.scan_search_keys(kind, |id, key| {
                if let Some(score) = score_key(&matcher, kind, key, &query) {
                    ranker.offer(kind, id, score);
                }
            })?;
        }
    }
    ranker
        .finish()
        .into_iter()
        .map(|ranked| hit(store, ranked, &query))
        .collect()
}

fn hit(store: &Store, ranked: Ranked, query: &Query) -> Result<Hit> {
    let (title, matches) = match ranked.kind {
        RecordKind::Lead => {
            let lead = store.lead(&ranked.id)?;
            let title = format!("{}（{}）", lead.creditor, lead.district);
            (title, highlights(&Record::Lead(&lead), query))
        }
        RecordKind::Channel => {
            let channel = store.channel(&ranked.id)?;
            let matches = highlights(&Record::Channel(&channel), query);
            (channel.name, matches)
        }
    };
    Ok(Hit {
        kind: ranked.kind,
        id: ranked.id,
        score: ranked.score,
        title,
        matches,
    })
}

//! Fuzzy, pinyin-aware search over leads and channels (docs/search.md).
//!
//! Scoring reads only the stored keys (`key.rs`): each query term is matched with SkimMatcherV2
//! against every suitable segment of a key, the best segment counts, and a record matches when
//! every term does. Only the top hits are then rebuilt from their records to find the matched
//! characters for highlighting.

pub mod key;

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use serde::Serialize;

use crate::error::Result;
use crate::model::phone::{digits, is_phone_like};
use crate::model::{RecordKind, amount::fullwidth_to_ascii, id_order};
use crate::store::Store;
use key::{Derivation, Field, Record, SEP};

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

/// The stored keys of every record, in notice order, ready to be scored.
pub struct Index {
    entries: Vec<Entry>,
}

struct Entry {
    kind: RecordKind,
    id: String,
    key: String,
}

/// A record that matched, before its details are loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked {
    pub kind: RecordKind,
    pub id: String,
    pub score: i64,
}

impl Index {
    /// Reads the stored keys (no pinyin is computed here).
    pub fn load(store: &Store) -> Result<Index> {
        let mut entries = Vec::new();
        for kind in [RecordKind::Channel, RecordKind::Lead] {
            let mut keys = store.search_keys(kind)?;
            keys.sort_by(|a, b| id_order(&a.0, &b.0));
            entries.extend(keys.into_iter().map(|(id, key)| Entry { kind, id, key }));
        }
        Ok(Index { entries })
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The best `limit` matches, best first; ties keep directory-then-ledger, notice order.
    pub fn rank(&self, query: &Query, scope: Scope, limit: usize) -> Vec<Ranked> {
        if query.is_empty() || limit == 0 {
            return Vec::new();
        }
        let matcher = SkimMatcherV2::default().respect_case();
        let mut scored: Vec<(i64, usize)> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| scope.covers(e.kind))
            .filter_map(|(i, e)| score_key(&matcher, e.kind, &e.key, query).map(|s| (s, i)))
            .collect();
        let order = |a: &(i64, usize), b: &(i64, usize)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
        if scored.len() > limit {
            scored.select_nth_unstable_by(limit - 1, order);
            scored.truncate(limit);
        }
        scored.sort_unstable_by(order);
        scored
            .into_iter()
            .map(|(score, i)| Ranked {
                kind: self.entries[i].kind,
                id: self.entries[i].id.clone(),
                score,
            })
            .collect()
    }
}

/// Sum over terms of each term's best segment score; `None` if a term matches nowhere.
fn score_key(matcher: &SkimMatcherV2, kind: RecordKind, key: &str, query: &Query) -> Option<i64> {
    let layout = key::layout(kind);
    let mut total = 0;
    for term in &query.terms {
        let best = key
            .split(SEP)
            .zip(layout)
            .filter(|(segment, (_, derivation))| term.suits(*derivation) && term.admits(segment))
            .filter_map(|(segment, (field, _))| {
                matcher
                    .fuzzy_match(segment, &term.text)
                    .map(|s| s + field.bonus())
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
    let matcher = SkimMatcherV2::default().respect_case();
    let segments = key::segments(record);
    let mut out: Vec<FieldMatch> = Vec::new();
    for term in &query.terms {
        let best = segments
            .iter()
            .filter(|s| term.suits(s.derivation) && term.admits(&s.text))
            .filter_map(|s| {
                matcher
                    .fuzzy_indices(&s.text, &term.text)
                    .map(|(score, idx)| (score + s.field.bonus(), s, idx))
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

/// Searches the store: ranks the stored keys, then loads the top records for titles and
/// highlights.
pub fn search(store: &Store, query: &str, scope: Scope, limit: usize) -> Result<Vec<Hit>> {
    let query = Query::new(query);
    let index = Index::load(store)?;
    index
        .rank(&query, scope, limit)
        .into_iter()
        .map(|ranked| {
            let (title, matches) = match ranked.kind {
                RecordKind::Lead => {
                    let lead = store.lead(&ranked.id)?;
                    let title = format!("{}（{}）", lead.creditor, lead.district);
                    (title, highlights(&Record::Lead(&lead), &query))
                }
                RecordKind::Channel => {
                    let channel = store.channel(&ranked.id)?;
                    let matches = highlights(&Record::Channel(&channel), &query);
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
        })
        .collect()
}

//! Fuzzy, pinyin-aware search over leads and channels (docs/search.md).
//!
//! Scoring reads only the stored keys (`key.rs`): each query term is matched with SkimMatcherV2
//! against every suitable segment of a key, the best segment counts, and a record matches when
//! every term does. Only the top hits are then rebuilt from their records to find the matched
//! characters for highlighting.

mod bound;
mod index;
pub mod key;
mod rank;
pub mod spelled;

use fuzzy_matcher::FuzzyMatcher;
use fuzzy_matcher::skim::SkimMatcherV2;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::phone::{digits, is_phone_like};
use crate::model::{RecordKind, amount::fullwidth_to_ascii};
use crate::store::Store;
pub use index::Index;
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
    /// What its characters after the first can score at most (`bound::rest`), worked out once.
    rest: i64,
    /// Its characters are all different (`bound::distinct`).
    distinct: bool,
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
                    rest: bound::rest(&text),
                    distinct: bound::distinct(&text),
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

/// A new matcher. Keys and queries are lower-cased already.
fn matcher() -> SkimMatcherV2 {
    SkimMatcherV2::default().respect_case()
}

thread_local! {
    /// A matcher kept for the thread's calls (a new one costs as much as a match).
    static KEPT: SkimMatcherV2 = matcher();
}

/// The score of `pattern` in `text`, if it matches. SkimMatcherV2 keeps its score matrix
/// between calls, and when a pattern repeats a character it reads a bonus the previous call
/// left there: the same text could score differently depending on what was matched before. So
/// such a pattern gets a new matcher; a pattern of distinct characters never reads a cell this
/// call did not write (`bound.rs`; a test compares the two on random text) and uses the kept
/// one. A score depends on the text and the pattern alone.
fn fuzzy_score(text: &str, term: &Term) -> Option<i64> {
    if term.distinct {
        KEPT.with(|m| m.fuzzy_match(text, &term.text))
    } else {
        matcher().fuzzy_match(text, &term.text)
    }
}

/// Do the characters of `term` appear in `text` in order? (What a fuzzy match needs; keys and
/// terms are both lower-cased.) Searched as bytes: a character's encoding starts with a byte no
/// other character's continues with, so finding it among the bytes finds it among the characters.
pub fn in_order(text: &str, term: &str) -> bool {
    let mut rest = text.as_bytes();
    let mut buf = [0u8; 4];
    for c in term.chars() {
        let needle = c.encode_utf8(&mut buf).as_bytes();
        match find(rest, needle) {
            Some(at) => rest = &rest[at + needle.len()..],
            None => return false,
        }
    }
    true
}

/// Where `needle` (one character's encoding) first occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, tail) = needle.split_first()?;
    let mut from = 0;
    while let Some(at) = memchr::memchr(first, hay.get(from..)?) {
        let start = from + at;
        // By hand: a call to memcmp for two bytes costs more than the compare.
        let next = hay.get(start + 1..start + needle.len())?;
        if next.iter().zip(tail).all(|(a, b)| a == b) {
            return Some(start);
        }
        from = start + 1;
    }
    None
}

/// The parts of a segment a term is matched against, with their character offsets: each
/// spelling of the initials on its own (a match never strays from one spelling into the next),
/// any other segment whole.
fn spellings(derivation: Derivation, segment: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = 0;
    spelled(derivation, segment).map(move |part| {
        let at = offset;
        offset += part.chars().count() + 1;
        (at, part)
    })
}

/// `spellings` without the offsets (scoring needs none).
fn spelled(derivation: Derivation, segment: &str) -> std::str::Split<'_, char> {
    let separator = if derivation == Derivation::Initials {
        ' '
    } else {
        SEP
    };
    segment.split(separator)
}

/// Do all terms appear in order in the whole key? A term matches a text exactly when its
/// characters appear in it in order, so one scan of the key rejects most records before any
/// scoring (and it is all the narrowing of the live search relies on). Its searchers are built
/// once per query; it reads the key's bytes, unchecked.
struct Prefilter {
    /// Per term, a searcher for each character's encoding.
    terms: Vec<Vec<memchr::memmem::Finder<'static>>>,
}

impl Prefilter {
    fn new(query: &Query) -> Prefilter {
        let mut buf = [0u8; 4];
        let terms = query
            .terms
            .iter()
            .map(|t| {
                t.text
                    .chars()
                    .map(|c| memchr::memmem::Finder::new(c.encode_utf8(&mut buf)).into_owned())
                    .collect()
            })
            .collect();
        Prefilter { terms }
    }

    fn passes(&self, key: &[u8]) -> bool {
        self.terms.iter().all(|chars| {
            let mut rest = key;
            for finder in chars {
                match finder.find(rest) {
                    Some(at) => rest = &rest[at + finder.needle().len()..],
                    None => return false,
                }
            }
            true
        })
    }
}

/// The spellings of a key a term may match (in a segment of a field `wanted` that suits it, its
/// characters in order), with their field.
fn candidates<'k>(
    kind: RecordKind,
    key: &'k str,
    term: &'k Term,
    wanted: impl Fn(Field) -> bool + 'k,
) -> impl Iterator<Item = (&'k str, Field)> + 'k {
    key.split(SEP)
        .zip(key::layout(kind))
        .filter(move |(segment, (field, derivation))| {
            wanted(*field) && term.suits(*derivation) && term.admits(segment)
        })
        .flat_map(|(segment, (field, derivation))| {
            spelled(*derivation, segment).map(|text| (text, *field))
        })
        .filter(|(text, _)| in_order(text, &term.text))
}

/// Sum over terms of each term's best segment score, for a key that passes the prefilter;
/// `None` if a term matches no segment.
fn score_segments(kind: RecordKind, key: &str, query: &Query) -> Option<i64> {
    let mut total = 0;
    let mut spellings: Vec<(i64, &str, i64)> = Vec::new();
    for term in &query.terms {
        // The spellings that may score most first; once the best so far reaches the next one's
        // bound, no later one can beat it and none is scored.
        spellings.clear();
        spellings.extend(candidates(kind, key, term, |_| true).map(|(text, field)| {
            let bonus = field.bonus();
            (bound::spelling(text, term) + bonus, text, bonus)
        }));
        spellings.sort_by_key(|&(at_most, _, _)| std::cmp::Reverse(at_most));
        let mut best: Option<i64> = None;
        for &(at_most, text, bonus) in &spellings {
            if best.is_some_and(|b| at_most <= b) {
                break;
            }
            if let Some(score) = fuzzy_score(text, term) {
                best = Some(best.map_or(score + bonus, |b| b.max(score + bonus)));
            }
        }
        total += best?;
    }
    Some(total)
}

/// Could the key score more than `floor`? Decided from the bounds alone, without scoring, and
/// looking only at segments that could matter: a term that scores at most `need` in this key
/// (what it must exceed for the sum to pass `floor` when every other term scores its most)
/// cannot lift the key over `floor`, so segments whose field cannot lift the term over `need`
/// are not read at all.
fn could_exceed(kind: RecordKind, key: &str, query: &Query, floor: i64) -> bool {
    let all = query.bound();
    let mut total = 0;
    for term in &query.terms {
        let pattern = bound::term(term);
        let need = floor - (all - (pattern + key::MAX_BONUS));
        let best = candidates(kind, key, term, move |field| pattern + field.bonus() > need)
            .map(|(text, field)| {
                // The quick bound settles most spellings; the closer one only those it cannot.
                let quick = bound::quick(text, term) + field.bonus();
                if quick <= need {
                    quick
                } else {
                    bound::spelling(text, term) + field.bonus()
                }
            })
            .max();
        match best {
            Some(best) if best > need => total += best,
            _ => return false,
        }
    }
    total > floor
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
    let segments = key::segments(record);
    let mut out: Vec<FieldMatch> = Vec::new();
    for term in &query.terms {
        let best = segments
            .iter()
            .filter(|s| term.suits(s.derivation) && term.admits(&s.text))
            .flat_map(|s| {
                spellings(s.derivation, &s.text).filter_map(move |(offset, text)| {
                    matcher()
                        .fuzzy_indices(text, &term.text)
                        .map(|(score, idx)| {
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
    let prefilter = Prefilter::new(&query);
    let bound = query.bound();
    let mut ranker = Ranker::new(limit);
    for kind in [RecordKind::Channel, RecordKind::Lead] {
        if scope.covers(kind) {
            // Both ends of the table at once, each keeping its own best; then the two merged.
            let mut front = Ranker::new(limit);
            let mut back = Ranker::new(limit);
            // Only keys that pass the prefilter are checked to be UTF-8, and only those that
            // could be kept at their best (the bounds of the live search) are scored.
            let offer = |ranker: &mut Ranker, id: &str, key: &[u8]| {
                if !prefilter.passes(key) {
                    return;
                }
                let floor = ranker.floor(kind, id);
                if floor.is_some_and(|f| bound <= f) {
                    return;
                }
                if let Ok(key) = std::str::from_utf8(key)
                    && floor.is_none_or(|f| could_exceed(kind, key, &query, f))
                    && let Some(score) = score_segments(kind, key, &query)
                {
                    ranker.offer(kind, id, score);
                }
            };
            store.scan_search_keys_from_both_ends(
                kind,
                |id, key| offer(&mut front, id, key),
                |id, key| offer(&mut back, id, key),
            )?;
            ranker.absorb(front);
            ranker.absorb(back);
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

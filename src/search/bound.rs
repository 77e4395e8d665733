//! The most SkimMatcherV2 (fuzzy-matcher 0.3.7, `build_score_matrix`) can score a pattern,
//! read off its scoring, so the live search can skip records that cannot make the top.
//!
//! Per character it adds the match (16) and a bonus. The first character's bonus is the one its
//! place in the text earns: 16 at the very start (the word-start bonus doubled), 8 at most after
//! a separator or at an upper-case letter, 0 inside a word; its row starts from a gap of 1. A
//! further character matched right after the one before it earns the bonus the cell before it
//! carries; every value that cell can hold in one call comes from the same two characters of
//! the text, which are then the pattern's own two, so that bonus depends on the pattern alone:
//! 4 (consecutive), or 8 at most where the pattern itself starts a word. A gap before a
//! character costs at least 4 and the bonus after it is at most 8, which is no more; inside a
//! word (no bonus) a character after a gap adds at most 16 - 4 = 12. So in a given text, a
//! character whose pair with the one before it never occurs there, and which never starts a
//! word there, adds at most 12: full pinyin typed against syllables (`cho` in `cheng du ... long`)
//! is bounded tightly. A pattern of distinct characters uses a kept matcher, which scores as a
//! new one (`super::fuzzy_score`). Two quirks of the matrix (its first row starts from -1, and
//! with two rows a column left of a row's first match still holds values of two rows earlier)
//! act as skipped characters, which the bound covers; a third reads the score of all but the
//! last two characters as the result (`aligned`). The tests check the bounds against the
//! matcher on random text, and fail if any constant is lowered by one.

use super::key::MAX_BONUS;
use super::{Query, Term};

impl Query {
    /// No record scores more than this for the query: per term, the matcher's most for it plus
    /// the largest field bonus.
    pub(super) fn bound(&self) -> i64 {
        self.terms.iter().map(|t| term(t) + MAX_BONUS).sum()
    }
}

/// The first character at the start of the text: -1 + 16 + 16.
const FIRST_AT_START: i64 = 31;

/// The first character elsewhere, before its word-start bonus: -1 + 16.
const FIRST_ELSEWHERE: i64 = 15;

/// The largest word-start bonus away from the start (after a separator: 8).
const WORD_START: i64 = 8;

/// A further character matched right after the one before it: 16 + 4 ...
const NEXT_USUAL: i64 = 20;

/// ... or where the pattern starts a word there: 16 + 8.
const NEXT_WORD_START: i64 = 24;

/// A further character after a gap, inside a word of the text: 16 - 4.
const NEXT_AFTER_GAP: i64 = 12;

/// Are all of `pattern`'s characters different?
pub(super) fn distinct(pattern: &str) -> bool {
    pattern
        .char_indices()
        .all(|(at, c)| !pattern[..at].contains(c))
}

/// Would the matcher see `c` after `prev` as the start of a word (or an upper-case letter)?
/// Generous: any ASCII punctuation or white space counts as a separator.
fn starts_word(prev: char, c: char) -> bool {
    prev.is_ascii_punctuation() || prev.is_whitespace() || c.is_ascii_uppercase()
}

/// What the characters after the first can add at most.
pub(super) fn rest(pattern: &str) -> i64 {
    let chars: Vec<char> = pattern.chars().collect();
    chars
        .windows(2)
        .map(|w| {
            if starts_word(w[0], w[1]) {
                NEXT_WORD_START
            } else {
                NEXT_USUAL
            }
        })
        .sum()
}

/// The most `pattern` can score in any text.
#[cfg(test)]
fn pattern(pattern: &str) -> i64 {
    if pattern.is_empty() {
        return 0;
    }
    FIRST_AT_START + rest(pattern)
}

/// The most a term can score in any text (`pattern`, worked out when the query was read).
pub(super) fn term(term: &Term) -> i64 {
    if term.text.is_empty() {
        return 0;
    }
    FIRST_AT_START + term.rest
}

/// The most the first character of a pattern can score in `text`, from its best place there.
fn first_in(text: &str, first: char) -> Option<i64> {
    text.match_indices(first)
        .map(|(at, _)| match text[..at].chars().next_back() {
            None => FIRST_AT_START,
            Some(prev) if starts_word(prev, first) => FIRST_ELSEWHERE + WORD_START,
            Some(_) => FIRST_ELSEWHERE,
        })
        .max()
}

/// A quick bound of a term in `text`: its first character's best place there, the rest as in
/// any text. Not in the text at all: 0, below any score of a match.
pub(super) fn quick(text: &str, term: &Term) -> i64 {
    let first = term.text.chars().next();
    first
        .and_then(|c| first_in(text, c))
        .map_or(0, |b| b + term.rest)
}

/// The most a term can score in `text`. For letters and digits in ASCII text (pinyin,
/// initials, numbers) it follows the matcher's alignment through the text (`aligned`);
/// otherwise the first character's best place there, and for each further one what the text
/// allows (`paired`). (Patterns with separators can gain a point or so through quirks of the
/// matrix that `aligned` does not model: one case in a million random ones; `paired` covers them.)
pub(super) fn spelling(text: &str, term: &Term) -> i64 {
    if text.is_ascii() && term.text.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return aligned(text.as_bytes(), term.text.as_bytes());
    }
    paired(text, term)
}

/// The matcher's own recurrence, kept only where the text holds the pattern's characters: per
/// pattern character, the best score of a match ending at each place it occurs. A character
/// matched right after the previous one adds 20 (24 where the pattern starts a word); after a
/// gap, 12 (20 where the text starts a word there) less one for each character skipped beyond
/// the first, on top of an earlier match further back. "An earlier match" is of any earlier
/// pattern character, or none (scored as a first character): the matcher's two-row matrix
/// leaves a row's first column holding the values of two rows before, through which a match
/// can follow a character two back, as if the one between were skipped.
fn aligned(text: &[u8], pattern: &[u8]) -> i64 {
    /// No match ends here (far below any score, and safe to add to).
    const NONE: i64 = i64::MIN / 4;
    let n = text.len();
    let bonus = |j: usize| -> i64 {
        match j.checked_sub(1).and_then(|i| text.get(i)) {
            None => 16,
            Some(&prev) if starts_word(char::from(prev), char::from(text[j])) => WORD_START,
            Some(_) => 0,
        }
    };
    let Some((&first, rest)) = pattern.split_first() else {
        return 0;
    };
    // One allocation: the best score of the pattern so far ending at each place of the text
    // (`row`), the next character's (`next`), and per place the best of every row so far
    // (`earlier`: the sources a gap may start from).
    let mut cells = vec![NONE; 3 * n];
    let (row, tail) = cells.split_at_mut(n);
    let (next, earlier) = tail.split_at_mut(n);
    for (j, &c) in text.iter().enumerate() {
        if c == first {
            row[j] = FIRST_ELSEWHERE + bonus(j);
        }
    }
    earlier.copy_from_slice(row);
    // The matcher reads its result from the last row starting one column left of the last
    // character's first place, a cell the row two before last wrote: there a match of all but
    // the last two characters, ending before that place, is read as the score.
    let mut result = NONE;
    let shortened = pattern.len().checked_sub(2).filter(|&k| k > 0);
    let last_first = first_places(text, pattern).last().copied().unwrap_or(0);
    let mut take = |row: &[i64], done: usize| {
        if shortened == Some(done) {
            result = row[..last_first].iter().copied().fold(NONE, i64::max);
        }
    };
    take(row, 1);
    let mut prev_char = first;
    for (done, &c) in (2..).zip(rest) {
        let consecutive = if starts_word(char::from(prev_char), char::from(c)) {
            NEXT_WORD_START
        } else {
            NEXT_USUAL
        };
        // The best of the earlier rows at least two places before `j`, each plus its place (so
        // that a longer gap costs more).
        let mut before = NONE;
        for j in 0..n {
            let at = i64::try_from(j).unwrap_or(i64::MAX / 4);
            if j >= 2 {
                before = before.max(earlier[j - 2] + at - 2);
            }
            next[j] = if text[j] == c {
                let after = j.checked_sub(1).map_or(NONE, |i| row[i] + consecutive);
                let gapped = before - (at - 2) + NEXT_AFTER_GAP + bonus(j);
                let alone = FIRST_ELSEWHERE + bonus(j);
                after.max(gapped).max(alone)
            } else {
                NONE
            };
        }
        for (e, &x) in earlier.iter_mut().zip(next.iter()) {
            *e = (*e).max(x);
        }
        row.copy_from_slice(next);
        take(row, done);
        prev_char = c;
    }
    let best = row.iter().copied().fold(result, i64::max);
    if best > NONE / 2 { best } else { 0 }
}

/// Where the matcher first finds each character of `pattern` in `text`, in order.
fn first_places(text: &[u8], pattern: &[u8]) -> Vec<usize> {
    let mut wanted = pattern.iter().peekable();
    text.iter()
        .enumerate()
        .filter(|&(_, c)| wanted.next_if(|&w| w == c).is_some())
        .map(|(j, _)| j)
        .collect()
}

/// `spelling` for any text: the first character's best place there, and for each further
/// character 20 or 24 if it follows the one before somewhere in the text, 20 if it starts a word
/// there, else 12.
fn paired(text: &str, term: &Term) -> i64 {
    let Some(best) = term.text.chars().next().and_then(|c| first_in(text, c)) else {
        return 0;
    };
    let mut pair = [0u8; 8];
    let chars = term.text.chars();
    let rest: i64 = chars
        .clone()
        .zip(chars.skip(1))
        .map(|(prev, c)| {
            let n = prev.encode_utf8(&mut pair).len();
            let m = c.encode_utf8(&mut pair[n..]).len();
            let together = std::str::from_utf8(&pair[..n + m]).is_ok_and(|p| text.contains(p));
            if together {
                if starts_word(prev, c) {
                    NEXT_WORD_START
                } else {
                    NEXT_USUAL
                }
            } else if starts_a_word_in(text, c) {
                NEXT_USUAL
            } else {
                NEXT_AFTER_GAP
            }
        })
        .sum();
    best + rest
}

/// Does `c` start a word somewhere in `text` (or stand first, or in upper case)?
fn starts_a_word_in(text: &str, c: char) -> bool {
    text.match_indices(c).any(|(at, _)| {
        text[..at]
            .chars()
            .next_back()
            .is_none_or(|p| starts_word(p, c))
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use fuzzy_matcher::FuzzyMatcher;

    use super::*;
    use crate::search::fuzzy_score;

    /// A query term of exactly this text.
    fn term_of(text: &str) -> Term {
        Term {
            text: text.to_string(),
            ascii: text.is_ascii(),
            phone: false,
            rest: rest(text),
            distinct: distinct(text),
        }
    }

    /// Text the matcher sees in keys: CJK, pinyin, digits, separators, upper case.
    fn text() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[重庆北碚aeibcqA-C0-9 /|.:_-]{0,24}").expect("regex")
    }

    fn pattern_text() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[重庆北碚aeibcqA-C0-9/|.:_-]{1,6}").expect("regex")
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        #[test]
        fn no_text_scores_above_either_bound(text in text(), p in pattern_text()) {
            let t = term_of(&p);
            if let Some(score) = fuzzy_score(&text, &t) {
                let here = spelling(&text, &t);
                prop_assert!(score <= here, "{p:?} in {text:?}: {score} > {here}");
                prop_assert!(here <= pattern(&p), "{p:?} in {text:?}: {here} > any text's");
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]
        /// The kept matcher, after any number of other calls, scores a pattern of distinct
        /// characters as a new one does.
        #[test]
        fn a_kept_matcher_scores_distinct_patterns_as_a_new_one(
            texts in proptest::collection::vec(text(), 1..12),
            patterns in proptest::collection::vec(pattern_text(), 1..12),
        ) {
            let kept = crate::search::matcher();
            for (text, p) in texts.iter().zip(patterns.iter().cycle()) {
                let fresh = crate::search::matcher().fuzzy_match(text, p);
                let reused = kept.fuzzy_match(text, p);
                if distinct(p) {
                    prop_assert_eq!(reused, fresh, "{:?} in {:?}", p, text);
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// Pinyin-like text (few letters, so they repeat; spaces, separators, upper case).
        #[test]
        fn no_ascii_text_scores_above_its_alignment_bound(
            text in proptest::string::string_regex("[aghinoqz0-3 ./B-]{0,30}").expect("regex"),
            p in proptest::string::string_regex("[aghinoqzB0-3]{1,7}").expect("regex"),
        ) {
            let t = term_of(&p);
            if let Some(score) = fuzzy_score(&text, &t) {
                let here = spelling(&text, &t);
                prop_assert!(score <= here, "{p:?} in {text:?}: {score} > {here}");
                prop_assert!(here <= pattern(&p), "{p:?} in {text:?}: {here} > any text's");
            }
        }
    }

    /// `fuzzy_score` depends on the text and the pattern alone: over many calls in a row (which
    /// leave state in a kept matcher), every score equals a new matcher's. Patterns with a
    /// repeated character do differ on a kept matcher within the first few thousand of these.
    #[test]
    fn scores_do_not_depend_on_earlier_calls() {
        let mut seed = 12_345u64;
        let mut pick = |n: usize| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap() % n
        };
        let alphabet = ['a', 'b', '/', 'B', '-'];
        for _ in 0..20_000 {
            let text: String = (0..pick(12)).map(|_| alphabet[pick(5)]).collect();
            let p: String = (0..=pick(5)).map(|_| alphabet[pick(5)]).collect();
            let fresh = crate::search::matcher().fuzzy_match(&text, &p);
            assert_eq!(fuzzy_score(&text, &term_of(&p)), fresh, "{p:?} in {text:?}");
        }
    }

    /// Found by the random test: the matcher reads `gB` at the end (45) as the score of `gBoq`,
    /// whose own best alignment scores 42.
    #[test]
    fn the_result_read_from_two_rows_earlier_stays_within_the_bound() {
        let (text, t) = ("qga0 ha-a0-0aBaBzo /gBq", term_of("gBoq"));
        assert_eq!(fuzzy_score(text, &t), Some(45));
        assert!(spelling(text, &t) >= 45);
    }

    #[test]
    fn full_pinyin_is_bounded_by_where_it_can_follow() {
        // `cho` cannot run on after `ch` at the start of `cheng`: its `o` comes 13 characters
        // later, a gap that costs all the 12 it could add.
        let cho = term_of("cho");
        assert_eq!(spelling("cheng du xing long", &cho), 31 + 20);
        assert!(
            spelling("cheng du xing long", &cho)
                >= fuzzy_score("cheng du xing long", &cho).unwrap()
        );
        assert!(
            spelling("zhong chong qing", &cho) >= fuzzy_score("zhong chong qing", &cho).unwrap()
        );
    }

    #[test]
    fn a_pattern_at_the_start_of_a_name_reaches_the_bound() {
        for (text, p) in [("重庆朋昆", "重庆"), ("cqpk", "cq"), ("beibei", "beibei")] {
            assert_eq!(
                fuzzy_score(text, &term_of(p)),
                Some(pattern(p)),
                "{p} in {text}"
            );
        }
    }
}

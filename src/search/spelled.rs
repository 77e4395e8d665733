//! A name's spellings kept apart by character, for filters that say yes or no rather than rank
//! (the Visits tab): `北碚区` is `bei bei/pei qu`, each character's readings between spaces, so
//! a word is found where it spells a run of characters: whole syllables (`beibei`), initials
//! (`bbq`) or both mixed (`beibq`), the last syllable possibly begun only (`beib`). Unlike the
//! search key's pinyin segment, which runs every reading together, a heteronym's other readings
//! do not come between two characters (`长寿` is `chang/zhang shou`: `changshou` is found).

use pinyin::ToPinyinMulti;

/// Separates characters; `/` separates one character's readings; `\n` separates names (a word
/// never spans two).
const CHAR: char = ' ';
const READING: char = '/';
pub const NAME: char = '\n';

/// The spelling of `source`: per Chinese character its distinct plain readings, per ASCII letter
/// or digit itself, lower-cased; other characters end a run (a word does not span them).
pub fn spelled(source: &str) -> String {
    let mut out = String::new();
    let sep = |out: &mut String, c: char| {
        if !out.is_empty() && !out.ends_with([CHAR, NAME]) {
            out.push(c);
        }
    };
    for c in source.chars() {
        if let Some(readings) = c.to_pinyin_multi() {
            sep(&mut out, CHAR);
            let mut first = true;
            let mut seen: Vec<&str> = Vec::new();
            for r in readings {
                let plain = r.plain();
                if seen.contains(&plain) {
                    continue;
                }
                seen.push(plain);
                if !first {
                    out.push(READING);
                }
                out.push_str(plain);
                first = false;
            }
        } else if c.is_ascii_alphanumeric() {
            sep(&mut out, CHAR);
            out.push(c.to_ascii_lowercase());
        } else {
            sep(&mut out, NAME);
        }
    }
    out
}

/// Does `word` (lower-case ASCII) spell a run of characters of `spelled`? Each character gives
/// one of its readings whole or only its first letter; the last may be given only in part.
/// Allocates nothing for usual names (the Visits tab asks this of every lead per keystroke).
pub fn spells(spelled: &str, word: &str) -> bool {
    if word.is_empty() || !word.is_ascii() {
        return false;
    }
    let word = word.as_bytes();
    spelled.split(NAME).any(|name| {
        let count = name.bytes().filter(|b| *b == CHAR as u8).count() + 1;
        let mut failed = Failed::new(count, word.len());
        let mut at = 0;
        for (i, token) in name.split(CHAR).enumerate() {
            let here = &name[at..];
            at += token.len() + 1;
            let begins = token
                .split(READING)
                .any(|r| r.as_bytes().first() == word.first());
            if begins && from(here, i, word, 0, &mut failed) {
                return true;
            }
        }
        false
    })
}

/// Positions (character, offset in the word) found not to lead to a match, so that none is
/// walked twice: bits on the stack for usual names (32 characters, words under 64 letters),
/// else on the heap.
struct Failed {
    bits: [u64; 32],
    large: Vec<bool>,
    width: usize,
}

impl Failed {
    fn new(chars: usize, len: usize) -> Failed {
        let small = chars <= 32 && len < 64;
        Failed {
            bits: [0; 32],
            large: if small {
                Vec::new()
            } else {
                vec![false; chars * (len + 1)]
            },
            width: len + 1,
        }
    }

    fn get(&self, i: usize, k: usize) -> bool {
        if self.large.is_empty() {
            self.bits[i] >> k & 1 == 1
        } else {
            self.large[i * self.width + k]
        }
    }

    fn set(&mut self, i: usize, k: usize) {
        if self.large.is_empty() {
            self.bits[i] |= 1 << k;
        } else {
            self.large[i * self.width + k] = true;
        }
    }
}

/// Does `word[k..]` spell characters from the start of `name` on (the `i`th of its name)?
fn from(name: &str, i: usize, word: &[u8], k: usize, failed: &mut Failed) -> bool {
    if k == word.len() {
        return true;
    }
    if name.is_empty() || failed.get(i, k) {
        return false;
    }
    let (token, next) = name.split_once(CHAR).unwrap_or((name, ""));
    let rest = &word[k..];
    for reading in token.split(READING).map(str::as_bytes) {
        // Begun only: the rest of the word is the start of this reading.
        if reading.starts_with(rest) {
            return true;
        }
        if rest.starts_with(reading) && from(next, i + 1, word, k + reading.len(), failed) {
            return true;
        }
        if reading.first() == rest.first() && from(next, i + 1, word, k + 1, failed) {
            return true;
        }
    }
    failed.set(i, k);
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reading_of_a_character_stays_with_it() {
        let s = spelled("长寿区");
        assert!(
            s.starts_with("chang/zhang shou") || s.starts_with("zhang/chang shou"),
            "{s}"
        );
        assert_eq!(spelled("AB-1 号"), "a b\n1\nhao/xiao");
    }

    #[test]
    fn syllables_initials_and_both_mixed_spell_a_run() {
        let s = spelled("重庆朋昆机械有限公司\n北碚区");
        for word in [
            "cqpk",
            "pk",
            "chongqing",
            "chongqingpengkun",
            "pengk",
            "cqpengkun",
            "bbq",
        ] {
            assert!(spells(&s, word), "{word} in {s}");
        }
        assert!(spells(&spelled("长寿区"), "changshou"));
        assert!(spells(&spelled("北碚区"), "beibei"));
        // Not a run, nor across two names, nor letters that spell nothing here.
        for word in ["cqjx", "qubei", "zhangqu", "xyz", "北碚", ""] {
            assert!(!spells(&s, word), "{word} in {s}");
        }
        assert!(!spells(&spelled("长寿区"), "zhangqu"));
    }

    #[test]
    fn a_long_word_on_a_long_name_stays_quick() {
        // Every character with several readings: the failed positions are not walked again.
        let name = "行".repeat(60);
        let s = spelled(&name);
        let started = std::time::Instant::now();
        assert!(!spells(&s, &format!("{}z", "hang".repeat(30))));
        assert!(started.elapsed() < std::time::Duration::from_millis(200));
    }
}

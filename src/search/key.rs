//! Search keys: per record, the text of each searchable field plus its pinyin (every reading of
//! every character) and, for phones, the digits alone. Built when a record is written and stored
//! beside it, so searching never recomputes pinyin.
//!
//! A key is its segments joined by `SEP`; the segment at position `i` is `layout(kind)[i]`.
//! For highlighting, `segments` rebuilds a record's segments with a map from each key character
//! back to the character of the field it came from.

use pinyin::ToPinyinMulti;
use serde::Serialize;

use crate::model::amount::format_wan;
use crate::model::{Channel, Lead, RecordKind};

/// Separates segments in a stored key.
pub const SEP: char = '\u{1f}';

/// The largest `Field::bonus`.
pub const MAX_BONUS: i64 = 16;

/// A searchable field of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    Creditor,
    Debtor,
    District,
    Amount,
    Matter,
    Name,
    Phones,
    Emails,
    Urls,
    Remarks,
}

impl Field {
    pub fn label(self, lang: crate::i18n::Lang) -> &'static str {
        let (zh, en) = match self {
            Field::Creditor => ("债权人", "creditor"),
            Field::Debtor => ("债务人", "debtor"),
            Field::District => ("属地", "district"),
            Field::Amount => ("金额", "amount"),
            Field::Matter => ("事项", "matter"),
            Field::Name => ("名称", "name"),
            Field::Phones => ("电话", "phones"),
            Field::Emails => ("邮箱", "emails"),
            Field::Urls => ("网址", "URLs"),
            Field::Remarks => ("备注", "remarks"),
        };
        lang.pick(zh, en)
    }

    /// Added to a term's score when it matches this field: a name is what people search for,
    /// so `cq` ranks 重庆 above an e-mail address that happens to start with `cq`.
    pub fn bonus(self) -> i64 {
        match self {
            Field::Name | Field::Creditor | Field::Debtor | Field::District => MAX_BONUS,
            _ => 0,
        }
    }
}

/// How a segment is derived from its field's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Derivation {
    /// The text itself, ASCII lower-cased.
    Text,
    /// Every pinyin reading of each character, syllables separated by spaces.
    Pinyin,
    /// The first letter of every reading of each character, run together (`重庆` → `zcq`), so
    /// initials such as `cq` match contiguously and rank above scattered letters.
    Initials,
    /// Only the digits (phone numbers regardless of dashes).
    Digits,
}

const LEAD_LAYOUT: [(Field, Derivation); 11] = [
    (Field::Creditor, Derivation::Text),
    (Field::Creditor, Derivation::Pinyin),
    (Field::Creditor, Derivation::Initials),
    (Field::Debtor, Derivation::Text),
    (Field::Debtor, Derivation::Pinyin),
    (Field::Debtor, Derivation::Initials),
    (Field::District, Derivation::Text),
    (Field::District, Derivation::Pinyin),
    (Field::District, Derivation::Initials),
    (Field::Amount, Derivation::Text),
    (Field::Matter, Derivation::Text),
];

const CHANNEL_LAYOUT: [(Field, Derivation); 8] = [
    (Field::Name, Derivation::Text),
    (Field::Name, Derivation::Pinyin),
    (Field::Name, Derivation::Initials),
    (Field::Phones, Derivation::Text),
    (Field::Phones, Derivation::Digits),
    (Field::Emails, Derivation::Text),
    (Field::Urls, Derivation::Text),
    (Field::Remarks, Derivation::Text),
];

/// The segments of a key of this kind, in order.
pub fn layout(kind: RecordKind) -> &'static [(Field, Derivation)] {
    match kind {
        RecordKind::Lead => &LEAD_LAYOUT,
        RecordKind::Channel => &CHANNEL_LAYOUT,
    }
}

/// A record whose fields can be searched.
pub enum Record<'a> {
    Lead(&'a Lead),
    Channel(&'a Channel),
}

impl Record<'_> {
    pub fn kind(&self) -> RecordKind {
        match self {
            Record::Lead(_) => RecordKind::Lead,
            Record::Channel(_) => RecordKind::Channel,
        }
    }

    /// The text of a field as shown to the user; highlight positions index its characters.
    pub fn field_text(&self, field: Field) -> String {
        match (self, field) {
            (Record::Lead(l), Field::Creditor) => l.creditor.clone(),
            (Record::Lead(l), Field::Debtor) => l.debtor.clone().unwrap_or_default(),
            (Record::Lead(l), Field::District) => l.district.clone(),
            (Record::Lead(l), Field::Amount) => l.amount_yuan.map(format_wan).unwrap_or_default(),
            (Record::Lead(l), Field::Matter) => l.matter.clone(),
            (Record::Channel(c), Field::Name) => c.name.clone(),
            (Record::Channel(c), Field::Phones) => {
                let numbers: Vec<String> = c
                    .phones
                    .iter()
                    .map(|p| {
                        if p.fax {
                            format!("{}（传真）", p.number)
                        } else {
                            p.number.clone()
                        }
                    })
                    .collect();
                numbers.join(" ")
            }
            (Record::Channel(c), Field::Emails) => c.emails.join(" "),
            (Record::Channel(c), Field::Urls) => c.urls.join(" "),
            (Record::Channel(c), Field::Remarks) => c.remarks.join(" "),
            _ => String::new(),
        }
    }
}

/// One segment of a key, with each of its characters' position in the field's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub field: Field,
    pub derivation: Derivation,
    pub text: String,
    pub map: Vec<usize>,
}

/// Builds the segments of a record's key.
pub fn segments(record: &Record) -> Vec<Segment> {
    layout(record.kind())
        .iter()
        .map(|&(field, derivation)| {
            let source = record.field_text(field);
            let (text, map) = derive(&source, derivation);
            Segment {
                field,
                derivation,
                text,
                map,
            }
        })
        .collect()
}

/// The stored key of a lead.
pub fn lead_key(lead: &Lead) -> String {
    join(&segments(&Record::Lead(lead)))
}

/// The stored key of a channel.
pub fn channel_key(channel: &Channel) -> String {
    join(&segments(&Record::Channel(channel)))
}

fn join(segments: &[Segment]) -> String {
    let texts: Vec<&str> = segments.iter().map(|s| s.text.as_str()).collect();
    texts.join(&SEP.to_string())
}

/// At most this many spellings of a name's initials are stored.
const MAX_INITIALS: usize = 8;

/// The initials of a name, once per combination of its characters' readings (`重庆` →
/// `zq cq tq`), so each reading's initials match contiguously. When the combinations exceed
/// `MAX_INITIALS`, spelling k takes each character's k-th reading (or its last).
fn initials(source: &str) -> (String, Vec<usize>) {
    // Per source character: its position and the distinct initials of its readings.
    let mut letters: Vec<(usize, Vec<char>)> = Vec::new();
    for (i, c) in source.chars().enumerate() {
        if let Some(readings) = c.to_pinyin_multi() {
            let mut firsts: Vec<char> = Vec::new();
            for r in readings {
                if let Some(f) = r.first_letter().chars().next()
                    && !firsts.contains(&f)
                {
                    firsts.push(f);
                }
            }
            letters.push((i, firsts));
        } else if c.is_ascii_alphanumeric() {
            letters.push((i, vec![c.to_ascii_lowercase()]));
        }
    }
    let combinations = letters
        .iter()
        .try_fold(1usize, |n, (_, f)| n.checked_mul(f.len().max(1)))
        .unwrap_or(usize::MAX);
    let spellings: Vec<Vec<usize>> = if combinations <= MAX_INITIALS {
        (0..combinations)
            .map(|mut k| {
                letters
                    .iter()
                    .map(|(_, f)| {
                        let pick = k % f.len().max(1);
                        k /= f.len().max(1);
                        pick
                    })
                    .collect()
            })
            .collect()
    } else {
        let widest = letters.iter().map(|(_, f)| f.len()).max().unwrap_or(1);
        (0..widest.min(MAX_INITIALS))
            .map(|k| {
                letters
                    .iter()
                    .map(|(_, f)| k.min(f.len().saturating_sub(1)))
                    .collect()
            })
            .collect()
    };
    let mut text = String::new();
    let mut map = Vec::new();
    for picks in spellings {
        if !text.is_empty() {
            text.push(' ');
            map.push(map.last().copied().unwrap_or(0));
        }
        for ((at, firsts), pick) in letters.iter().zip(picks) {
            if let Some(c) = firsts.get(pick) {
                text.push(*c);
                map.push(*at);
            }
        }
    }
    (text, map)
}

/// Derives a segment's text from a field's text, with the source position of each character.
pub fn derive(source: &str, derivation: Derivation) -> (String, Vec<usize>) {
    let mut text = String::new();
    let mut map = Vec::new();
    let mut push = |c: char, at: usize, text: &mut String| {
        text.push(c);
        map.push(at);
    };
    match derivation {
        Derivation::Text => {
            for (i, c) in source.chars().enumerate() {
                let c = if c == SEP || c.is_control() { ' ' } else { c };
                push(c.to_ascii_lowercase(), i, &mut text);
            }
        }
        Derivation::Digits => {
            for (i, c) in source.chars().enumerate() {
                if c.is_ascii_digit() || (c == ' ' && !text.ends_with(' ')) {
                    push(c, i, &mut text);
                }
            }
        }
        Derivation::Initials => return initials(source),
        Derivation::Pinyin => {
            for (i, c) in source.chars().enumerate() {
                if let Some(readings) = c.to_pinyin_multi() {
                    let mut seen: Vec<&str> = Vec::new();
                    for reading in readings {
                        let plain = reading.plain();
                        if seen.contains(&plain) {
                            continue;
                        }
                        seen.push(plain);
                        if !text.is_empty() && !text.ends_with(' ') {
                            push(' ', i, &mut text);
                        }
                        for p in plain.chars() {
                            push(p, i, &mut text);
                        }
                    }
                    push(' ', i, &mut text);
                } else if c.is_ascii_alphanumeric() {
                    push(c.to_ascii_lowercase(), i, &mut text);
                } else if !text.is_empty() && !text.ends_with(' ') {
                    push(' ', i, &mut text);
                }
            }
            if text.ends_with(' ') {
                text.pop();
                map.pop();
            }
        }
    }
    (text, map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinyin_keeps_every_reading() {
        let (text, map) = derive("重庆", Derivation::Pinyin);
        assert!(text.contains("zhong") && text.contains("chong"), "{text}");
        assert!(text.ends_with("qing"));
        assert_eq!(text.chars().count(), map.len());
        assert_eq!(map.last(), Some(&1));
        let (text, _) = derive("长寿区", Derivation::Pinyin);
        assert!(text.contains("chang") && text.contains("zhang"), "{text}");
    }

    #[test]
    fn pinyin_of_mixed_text() {
        let (text, map) = derive("A座北碚", Derivation::Pinyin);
        assert_eq!(text, "a zuo bei bei");
        assert_eq!(map, [0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3]);
    }

    #[test]
    fn initials_once_per_reading() {
        let (text, map) = derive("重庆A", Derivation::Initials);
        let spellings: Vec<&str> = text.split(' ').collect();
        assert!(
            spellings.contains(&"zqa") && spellings.contains(&"cqa"),
            "{text}"
        );
        assert_eq!(text.chars().count(), map.len());
        assert_eq!(map[..3], [0, 1, 2]);
        let (text, _) = derive("长寿区", Derivation::Initials);
        assert!(text.split(' ').any(|s| s == "csq"), "{text}");
    }

    #[test]
    fn long_names_keep_a_bounded_number_of_spellings() {
        let (text, map) = derive(
            "重庆嘉腾机器人自动化有限公司重庆长寿区",
            Derivation::Initials,
        );
        assert!(text.split(' ').count() <= MAX_INITIALS, "{text}");
        assert!(text.split(' ').any(|s| s.starts_with("zq")), "{text}");
        assert!(text.split(' ').any(|s| s.starts_with("cq")), "{text}");
        assert_eq!(text.chars().count(), map.len());
    }

    #[test]
    fn digits_drop_dashes() {
        let (text, map) = derive("023-68860760 023-12345", Derivation::Digits);
        assert_eq!(text, "02368860760 02312345");
        assert_eq!(map[3], 4);
    }
}

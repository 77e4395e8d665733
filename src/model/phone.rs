//! Phone numbers and e-mail addresses as typeset in notices: `010—12345` means `010-12345`.

use super::amount::fullwidth_to_ascii;

/// Is `c` a dash a typesetter may have put where `-` was meant?
pub fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '—' | '–' | '－' | '‐' | '‑' | '‒' | '―' | '─' | '﹣' | '⁃'
    )
}

/// Replaces every typographic dash with ASCII `-`, full-width digits with ASCII digits, and
/// trims surrounding white space: `０１０—１２３４５` → `010-12345`.
pub fn normalize_dashes(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| {
            if is_dash(c) {
                '-'
            } else {
                fullwidth_to_ascii(c)
            }
        })
        .collect()
}

/// The digits of a number alone, for matching regardless of dashes: `023-68860760` → `02368860760`.
pub fn digits(number: &str) -> String {
    number
        .chars()
        .map(fullwidth_to_ascii)
        .filter(char::is_ascii_digit)
        .collect()
}

/// Does this text look like (part of) a phone number: digits, with dashes or spaces between?
pub fn is_phone_like(text: &str) -> bool {
    let mut has_digit = false;
    for c in text.chars().map(fullwidth_to_ascii) {
        if c.is_ascii_digit() {
            has_digit = true;
        } else if !(is_dash(c) || c == ' ') {
            return false;
        }
    }
    has_digit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn em_dashes_become_hyphens() {
        assert_eq!(normalize_dashes("010—12345"), "010-12345");
        assert_eq!(normalize_dashes("400—01—56871"), "400-01-56871");
        assert_eq!(
            normalize_dashes(" bj—jianfu@bjeit.gov.cn "),
            "bj-jianfu@bjeit.gov.cn"
        );
        assert_eq!(normalize_dashes("０２３－６８８６０７６０"), "023-68860760");
    }

    #[test]
    fn digits_ignore_dashes() {
        assert_eq!(digits("023-68860760"), "02368860760");
        assert!(is_phone_like("023-6886"));
        assert!(is_phone_like("68860"));
        assert!(!is_phone_like("bbq"));
        assert!(!is_phone_like("--"));
    }
}

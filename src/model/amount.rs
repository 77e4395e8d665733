//! Amounts: the notice writes 万元 (10,000 yuan) with decimals; we store integer yuan.

/// Yuan per 万元.
pub const YUAN_PER_WAN: i64 = 10_000;

/// Why an amount could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AmountError {
    /// Not a decimal number.
    NotANumber,
    /// More decimals than the unit allows (万元 has 4: one yuan).
    TooPrecise,
    /// Larger than fieldcheck can hold.
    TooLarge,
}

/// Parses an amount cell. `/`, `—`, `-` or an empty cell mean "unknown" (`Ok(None)`).
/// `unit` is how many yuan one unit of the cell is worth (10,000 for 万元, 1 for 元).
pub fn parse_amount(cell: &str, unit: i64) -> Result<Option<i64>, AmountError> {
    let text: String = cell
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ',' && *c != '，')
        .map(fullwidth_to_ascii)
        .collect();
    if super::is_empty_mark(&text) {
        return Ok(None);
    }
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i, f),
        None => (text.as_str(), ""),
    };
    let digits_ok = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if int_part.is_empty() && frac_part.is_empty() || !digits_ok(int_part) || !digits_ok(frac_part)
    {
        return Err(AmountError::NotANumber);
    }
    let scale = decimals_of(unit);
    let frac_trimmed = frac_part.trim_end_matches('0');
    if frac_trimmed.len() > scale {
        return Err(AmountError::TooPrecise);
    }
    let whole: i64 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().map_err(|_| AmountError::TooLarge)?
    };
    let mut frac: i64 = 0;
    for (i, c) in frac_trimmed.chars().enumerate() {
        let digit = i64::from(c.to_digit(10).unwrap_or(0));
        frac += digit * 10_i64.pow((scale - 1 - i) as u32);
    }
    whole
        .checked_mul(unit)
        .and_then(|w| w.checked_add(frac))
        .map(Some)
        .ok_or(AmountError::TooLarge)
}

/// How many decimal places a unit worth `unit` yuan allows (10,000 → 4, 1 → 0).
fn decimals_of(unit: i64) -> usize {
    let mut n = 0;
    let mut u = unit;
    while u >= 10 {
        u /= 10;
        n += 1;
    }
    n
}

/// Formats yuan as 万元 without trailing zeros: 766000 → "76.6", 3826000 → "382.6".
pub fn format_wan(yuan: i64) -> String {
    let sign = if yuan < 0 { "-" } else { "" };
    let abs = yuan.unsigned_abs();
    let whole = abs / YUAN_PER_WAN as u64;
    let frac = abs % YUAN_PER_WAN as u64;
    if frac == 0 {
        format!("{sign}{whole}")
    } else {
        let frac = format!("{frac:04}");
        format!("{sign}{whole}.{}", frac.trim_end_matches('0'))
    }
}

/// Maps full-width digits, letters, `．` and `＠` (as typed with a Chinese input method) to
/// ASCII; other characters unchanged.
pub fn fullwidth_to_ascii(c: char) -> char {
    match c {
        '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' | '．' | '＠' => {
            char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
        }
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_seed_amounts() {
        assert_eq!(parse_amount("76.6", YUAN_PER_WAN), Ok(Some(766_000)));
        assert_eq!(parse_amount("382.6", YUAN_PER_WAN), Ok(Some(3_826_000)));
        assert_eq!(parse_amount("/", YUAN_PER_WAN), Ok(None));
        assert_eq!(parse_amount(" 1,200 ", YUAN_PER_WAN), Ok(Some(12_000_000)));
        assert_eq!(parse_amount("0.0001", YUAN_PER_WAN), Ok(Some(1)));
        assert_eq!(parse_amount("１２.５", YUAN_PER_WAN), Ok(Some(125_000)));
        assert_eq!(parse_amount("1500", 1), Ok(Some(1500)));
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        assert_eq!(
            parse_amount("约76万", YUAN_PER_WAN),
            Err(AmountError::NotANumber)
        );
        assert_eq!(
            parse_amount(".", YUAN_PER_WAN),
            Err(AmountError::NotANumber)
        );
        assert_eq!(
            parse_amount("1.2.3", YUAN_PER_WAN),
            Err(AmountError::NotANumber)
        );
        assert_eq!(
            parse_amount("0.00001", YUAN_PER_WAN),
            Err(AmountError::TooPrecise)
        );
        assert_eq!(parse_amount("1.5", 1), Err(AmountError::TooPrecise));
        assert_eq!(
            parse_amount("99999999999999999999", YUAN_PER_WAN),
            Err(AmountError::TooLarge)
        );
    }

    #[test]
    fn formats_wan() {
        assert_eq!(format_wan(766_000), "76.6");
        assert_eq!(format_wan(3_826_000), "382.6");
        assert_eq!(format_wan(10_000), "1");
        assert_eq!(format_wan(1), "0.0001");
        assert_eq!(format_wan(-15_000), "-1.5");
    }

    #[test]
    fn fullwidth_letters_and_digits_become_ascii() {
        let text: String = "ＢＢＱ１２ａ＠．".chars().map(fullwidth_to_ascii).collect();
        assert_eq!(text, "BBQ12a@.");
    }
}

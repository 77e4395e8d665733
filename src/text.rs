//! Display width of text in terminal cells: CJK characters take two. Every column, truncation
//! and cursor computation goes through here.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Cells `text` takes on a terminal.
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` followed by spaces up to `cells` (unchanged if already wider).
pub fn pad(text: &str, cells: usize) -> String {
    let mut out = text.to_string();
    out.extend(std::iter::repeat_n(' ', cells.saturating_sub(width(text))));
    out
}

/// The end of `text` in at most `cells`, starting with `…` when cut (a long query or path:
/// its end matters most).
pub fn truncate_start(text: &str, cells: usize) -> String {
    if width(text) <= cells {
        return text.to_string();
    }
    let mut kept: Vec<char> = Vec::new();
    let mut used = 0;
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > cells {
            break;
        }
        kept.push(c);
        used += w;
    }
    let mut out = String::from(if cells > 0 { "…" } else { "" });
    out.extend(kept.into_iter().rev());
    out
}

/// `text` cut to at most `cells`, ending in `…` when cut; never splits a wide character.
pub fn truncate(text: &str, cells: usize) -> String {
    if width(text) <= cells {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > cells {
            break;
        }
        out.push(c);
        used += w;
    }
    if cells > 0 {
        out.push('…');
    }
    out
}

/// `text` cut to at most `cells` (ending in `…` when cut), split into runs of characters that
/// are / are not at `positions` (character indices, as search returns them). Line breaks and
/// other control characters become spaces, so a run is always one line.
pub fn marked_runs(text: &str, positions: &[usize], cells: usize) -> Vec<(String, bool)> {
    let fits = width(text) <= cells;
    let room = if fits { cells } else { cells.saturating_sub(1) };
    let mut runs: Vec<(String, bool)> = Vec::new();
    let mut used = 0;
    for (i, c) in text.chars().enumerate() {
        let c = if c.is_control() { ' ' } else { c };
        let w = c.width().unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        let hit = positions.contains(&i);
        match runs.last_mut() {
            Some((run, marked)) if *marked == hit => run.push(c),
            _ => runs.push((c.to_string(), hit)),
        }
    }
    if !fits && cells > 0 {
        runs.push(("…".into(), false));
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_is_two_cells() {
        assert_eq!(width("北碚区"), 6);
        assert_eq!(width("a北"), 3);
        assert_eq!(pad("北碚", 6), "北碚  ");
    }

    #[test]
    fn truncation_respects_wide_characters() {
        assert_eq!(truncate("重庆朋昆电子", 7), "重庆朋…");
        assert_eq!(truncate("重庆朋昆电子", 8), "重庆朋…");
        assert_eq!(truncate("重庆", 4), "重庆");
        assert!(width(&truncate("重庆朋昆电子有限公司", 9)) <= 9);
    }

    #[test]
    fn marked_runs_follow_characters_not_bytes_or_cells() {
        let runs = marked_runs("重庆朋昆电子", &[2, 3], 20);
        assert_eq!(
            runs,
            [
                ("重庆".into(), false),
                ("朋昆".into(), true),
                ("电子".into(), false)
            ]
        );
        // Cut to 7 cells: three wide characters and the ellipsis; the match is cut with them.
        let runs = marked_runs("重庆朋昆电子", &[2, 3], 7);
        assert_eq!(
            runs,
            [
                ("重庆".into(), false),
                ("朋".into(), true),
                ("…".into(), false)
            ]
        );
        let total: usize = runs.iter().map(|(t, _)| width(t)).sum();
        assert!(total <= 7);
        assert_eq!(marked_runs("a\nb", &[], 5), [("a b".into(), false)]);
    }

    #[test]
    fn truncation_from_the_start_keeps_the_end() {
        assert_eq!(truncate_start("/home/北碚/store.redb", 12), "…/store.redb");
        assert_eq!(truncate_start("重庆朋昆电子", 7), "…昆电子");
        assert_eq!(truncate_start("abc", 3), "abc");
        assert!(width(&truncate_start("重庆朋昆电子有限公司", 9)) <= 9);
    }
}

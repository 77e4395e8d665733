//! Property tests: phone and amount normalisation, and a parser that never panics.

use fieldcheck::model::amount::{YUAN_PER_WAN, format_wan, parse_amount};
use fieldcheck::model::phone::{digits, normalize_dashes};
use fieldcheck::notice;
use proptest::prelude::*;

const DASHES: [char; 6] = ['-', '—', '–', '－', '‐', '―'];

proptest! {
    #[test]
    fn any_dash_between_digit_groups_becomes_a_hyphen(
        groups in prop::collection::vec("[0-9]{1,8}", 1..5),
        dash in prop::sample::select(DASHES.to_vec()),
    ) {
        let typed = groups.join(&dash.to_string());
        prop_assert_eq!(normalize_dashes(&typed), groups.join("-"));
        prop_assert_eq!(digits(&typed), groups.concat());
    }

    #[test]
    fn amounts_round_trip_through_wan(yuan in 0i64..1_000_000_000_000) {
        prop_assert_eq!(parse_amount(&format_wan(yuan), YUAN_PER_WAN), Ok(Some(yuan)));
    }

    #[test]
    fn decimal_wan_is_exact_integer_yuan(whole in 0i64..10_000_000, frac in "[0-9]{0,4}") {
        let text = if frac.is_empty() { whole.to_string() } else { format!("{whole}.{frac}") };
        let padded = format!("{frac:0<4}");
        let expected = whole * YUAN_PER_WAN + padded.parse::<i64>().unwrap_or(0);
        prop_assert_eq!(parse_amount(&text, YUAN_PER_WAN), Ok(Some(expected)));
    }

    #[test]
    fn parse_never_panics_on_arbitrary_text(text in ".{0,400}") {
        let _ = notice::parse(&text, "arbitrary");
    }

    #[test]
    fn parse_never_panics_on_notice_like_text(
        tokens in prop::collection::vec(prop::sample::select(vec![
            "\t", "\n", "\n\n", "序号", "省份", "区县（部门）", "电话", "邮箱", "网址", "备注",
            "债权人名称", "债务人名称", "问题归属", "欠款金额（万元）", "事项", "—", "/", "（传真）",
            "附件1", "附件3", "1", "2", "76.6", "023—68860760", "渝减负办〔2022〕3号",
            "2022年1月19日", "于1月30日之前反馈", "联系人：甲，联系电话：1，电子邮箱：a@b.c",
        ]), 0..300),
    ) {
        let _ = notice::parse(&tokens.concat(), "tokens");
    }

    #[test]
    fn parse_never_panics_on_a_damaged_seed(
        cuts in prop::collection::vec((0usize..600, 0usize..3), 1..12),
    ) {
        let mut lines: Vec<&str> = notice::SEED.lines().collect();
        for (at, op) in cuts {
            let at = at % lines.len().max(1);
            match op {
                0 => { lines.remove(at); }
                1 => { let l = lines[at]; lines.insert(at, l); }
                _ => { lines.insert(at, "\t"); }
            }
            if lines.is_empty() { break; }
        }
        // A damaged seed either parses or is refused with a located error; never a panic.
        if let Err(e) = notice::parse(&lines.join("\n"), "damaged") {
            let located = matches!(e, fieldcheck::error::Error::Notice { line, .. } if line >= 1);
            prop_assert!(located, "unexpected error {:?}", e);
        }
    }
}

proptest! {
    /// The search prefilter is exact: a term appears in order in a text exactly when the fuzzy
    /// matcher finds it, so filtering first changes no result.
    #[test]
    fn the_in_order_prefilter_agrees_with_the_fuzzy_matcher(
        text in "[a-e北碚区 0-9-]{0,30}",
        term in "[a-e北碚区0-9]{1,5}",
    ) {
        use fuzzy_matcher::FuzzyMatcher;
        let matcher = fuzzy_matcher::skim::SkimMatcherV2::default().respect_case();
        prop_assert_eq!(
            fieldcheck::search::in_order(&text, &term),
            matcher.fuzzy_match(&text, &term).is_some()
        );
    }
}

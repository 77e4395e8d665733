//! Search over the seed: Chinese, full pinyin, initials, polyphones, digits with and without
//! dashes, scopes, several terms, and highlight positions in characters.

use fieldcheck::model::RecordKind;
use fieldcheck::search::key::Field;
use fieldcheck::search::{Hit, Scope, search};
use fieldcheck::store::{InitOptions, Store};

const BEIBEI: &str = "cq-jfb-2022-3/a2/15";
const PENGKUN: &str = "cq-jfb-2022-3/a3/1";
const JIATENG: &str = "cq-jfb-2022-3/a3/2";
const ANBAO: &str = "cq-jfb-2022-3/a3/3";
const CHONGQING: &str = "cq-jfb-2022-3/a1/22";
const CHANGSHOU: &str = "cq-jfb-2022-3/a2/18";

fn store() -> Store {
    Store::memory(&InitOptions::default()).expect("memory store")
}

fn ids(hits: &[Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.id.as_str()).collect()
}

fn find(query: &str, scope: Scope, limit: usize) -> Vec<Hit> {
    search(&store(), query, scope, limit).expect("search runs")
}

#[test]
fn initials_bbq_find_beibei_channel_and_both_leads_first() {
    let hits = find("bbq", Scope::All, 20);
    let mut top: Vec<&str> = ids(&hits)[..3].to_vec();
    top.sort();
    assert_eq!(top, [BEIBEI, PENGKUN, JIATENG]);
    assert!(hits[3..].iter().all(|h| h.score < hits[2].score));
}

#[test]
fn full_pinyin_and_chinese_find_the_same() {
    for q in ["beibei", "北碚", "北碚区", "beibeiqu"] {
        let hits = find(q, Scope::All, 20);
        let mut top: Vec<&str> = ids(&hits)[..3].to_vec();
        top.sort();
        assert_eq!(top, [BEIBEI, PENGKUN, JIATENG], "query {q}");
    }
}

#[test]
fn mixed_pinyin_and_initials() {
    assert_eq!(ids(&find("cqpk", Scope::All, 5))[0], PENGKUN);
    assert_eq!(ids(&find("chongqingpk", Scope::All, 5))[0], PENGKUN);
    assert_eq!(ids(&find("beibq", Scope::Directory, 5))[0], BEIBEI);
    assert_eq!(ids(&find("anbao", Scope::Leads, 5))[0], ANBAO);
}

#[test]
fn every_reading_of_a_polyphone_counts() {
    // 重 is zhong or chong; 长 is chang or zhang.
    for q in ["cq", "zq", "chongqing", "zhongqing"] {
        let hits = find(q, Scope::Directory, 5);
        assert_eq!(ids(&hits)[0], CHONGQING, "{q} should find 重庆 first");
        let leads = find(q, Scope::Leads, 10);
        assert_eq!(leads.len(), 3, "{q} should reach all three 重庆… creditors");
    }
    for q in ["csq", "changshou", "zhangshou"] {
        assert_eq!(ids(&find(q, Scope::Directory, 5))[0], CHANGSHOU, "{q}");
    }
}

#[test]
fn chinese_queries_match_chinese_text() {
    let hits = find("朋昆", Scope::All, 5);
    assert_eq!(ids(&hits), [PENGKUN]);
    let m = &hits[0].matches[0];
    assert_eq!(
        (m.field, m.positions.as_slice()),
        (Field::Creditor, &[2, 3][..])
    );
    assert_eq!(ids(&find("安宝", Scope::All, 5)), [ANBAO]);
}

#[test]
fn phone_digits_match_with_or_without_dashes() {
    for q in ["68860", "023-68860760", "02368860760", "023—6886"] {
        let hits = find(q, Scope::All, 5);
        assert_eq!(ids(&hits), [BEIBEI], "query {q}");
        let m = &hits[0].matches[0];
        assert_eq!(m.field, Field::Phones);
        assert_eq!(m.text, "023-68860760");
    }
    let hits = find("68860", Scope::All, 5);
    assert_eq!(hits[0].matches[0].positions, [4, 5, 6, 7, 8]);
    // 023-12345 is listed by several channels.
    assert!(find("12345", Scope::Directory, 20).len() >= 5);
}

#[test]
fn emails_urls_remarks_and_amounts_are_searchable() {
    assert_eq!(
        ids(&find("bj-jianfu", Scope::All, 1)),
        ["cq-jfb-2022-3/a1/1"]
    );
    assert_eq!(ids(&find("smehlj", Scope::All, 1)), ["cq-jfb-2022-3/a1/8"]);
    assert_eq!(
        ids(&find("劳动报酬", Scope::All, 1)),
        ["cq-jfb-2022-3/a2/5"]
    );
    assert_eq!(ids(&find("382.6", Scope::Leads, 1)), [JIATENG]);
}

#[test]
fn scopes_and_several_terms() {
    let leads = find("bbq", Scope::Leads, 20);
    assert!(leads.iter().all(|h| h.kind == RecordKind::Lead));
    let channels = find("bbq", Scope::Directory, 20);
    assert!(channels.iter().all(|h| h.kind == RecordKind::Channel));
    assert_eq!(ids(&find("cqpk 北碚", Scope::All, 5)), [PENGKUN]);
    assert_eq!(ids(&find("重庆 渝北", Scope::Leads, 5)), [ANBAO]);
}

#[test]
fn nothing_matches_nonsense_and_limits_hold() {
    assert!(find("xqxqxqxq", Scope::All, 20).is_empty());
    assert_eq!(find("q", Scope::All, 4).len(), 4);
    let hits = find("区", Scope::All, 100);
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn fullwidth_queries_from_a_chinese_input_method_work() {
    assert_eq!(ids(&find("ｂｂｑ", Scope::Directory, 1)), [BEIBEI]);
    assert_eq!(ids(&find("６８８６０", Scope::All, 1)), [BEIBEI]);
}

#[test]
fn an_empty_query_is_an_error() {
    assert!(matches!(
        search(&store(), "  ", Scope::All, 5),
        Err(fieldcheck::error::Error::EmptyQuery)
    ));
}

#[test]
fn titles_name_the_record() {
    let hits = find("朋昆", Scope::All, 1);
    assert_eq!(hits[0].title, "重庆朋昆电子有限公司（北碚区）");
    assert_eq!(find("68860", Scope::All, 1)[0].title, "北碚区");
}

/// The command line's search (the table read from both ends on two threads) and the terminal
/// app's (keys in memory: narrowing, bounds, threads) find the same records in the same order,
/// on enough generated leads that both ends and every shortcut take part.
#[test]
fn the_command_line_and_the_live_search_rank_alike() {
    let store = store();
    fieldcheck::generate::generate(&store, 6_000, 0, 7, None).expect("generate");
    let mut index = fieldcheck::search::Index::load(&store).expect("index");
    for typed in [
        "重庆朋昆",
        "cqpk",
        "68860",
        "北碚区",
        "beibei",
        "b",
        "jiang",
    ] {
        let mut sofar = String::new();
        for c in typed.chars() {
            sofar.push(c);
            let cli: Vec<(String, i64)> = search(&store, &sofar, Scope::Leads, 200)
                .expect("search")
                .into_iter()
                .map(|h| (h.id, h.score))
                .collect();
            let live: Vec<(String, i64)> = index
                .rank(&fieldcheck::search::Query::new(&sofar), Scope::Leads, 200)
                .into_iter()
                .map(|r| (r.id, r.score))
                .collect();
            assert_eq!(cli, live, "{sofar}");
            if sofar.chars().count() == 1 {
                assert!(cli.len() == 200, "{sofar} finds plenty");
            }
        }
    }
}

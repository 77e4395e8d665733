//! In-process latency (the scale issue): typing a query one character at a time against 100k
//! and 1M generated leads (full ranked top 100 per keystroke, as the terminal app's search
//! worker does), and the durable write of one finalized visit. Run: `cargo bench --bench
//! latency`; numbers in docs/performance.md.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use fieldcheck::generate::generate;
use fieldcheck::i18n::Lang;
use fieldcheck::model::form::VisitForm;
use fieldcheck::search::{Index, Query, Scope};
use fieldcheck::store::{InitOptions, Store};
use fieldcheck::tui::visit_search::{Spells, VisitTexts};

fn percentile(times: &mut [Duration], p: usize) -> Duration {
    times.sort();
    times[(times.len() * p / 100).min(times.len() - 1)]
}

fn keystrokes(leads: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("s.redb"), &InitOptions::default()).expect("store");
    generate(&store, leads, 0, 1, None).expect("generate");
    let mut index = Index::load(&store).expect("index");
    let mut times = Vec::new();
    for query in ["重庆朋昆", "cqpk", "68860", "北碚区教委", "beibei"] {
        let mut typed = String::new();
        for c in query.chars() {
            typed.push(c);
            let start = Instant::now();
            let hits = index.rank(&Query::new(&typed), Scope::Leads, 100);
            std::hint::black_box(hits);
            times.push(start.elapsed());
        }
    }
    let p50 = percentile(&mut times, 50);
    let p99 = percentile(&mut times, 99);
    println!(
        "keystroke, {leads} leads: p50 {:.1} ms, p99 {:.1} ms over {} keystrokes",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        times.len()
    );
}

fn durable_visits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("s.redb"), &InitOptions::default()).expect("store");
    let today = NaiveDate::from_ymd_opt(2022, 1, 28).expect("date");
    let mut times = Vec::new();
    for n in 0..1000 {
        let form = VisitForm {
            lead: "cq-jfb-2022-3/a3/1".into(),
            kind: "onsite".into(),
            finding: "unreachable".into(),
            next: format!("第 {n} 次再联系"),
            due: "+7".into(),
            ..VisitForm::default()
        };
        let start = Instant::now();
        store
            .finalize(&form, Utc::now(), today, false)
            .expect("finalize");
        times.push(start.elapsed());
    }
    let p50 = percentile(&mut times, 50);
    let p99 = percentile(&mut times, 99);
    println!(
        "durable write of one finalized visit (redb commit, fsync): p50 {:.2} ms, p99 {:.2} ms over 1000",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3
    );
}

/// The Visits tab's search (every visit filtered, its lead's names spelled in pinyin), on
/// `leads` leads with twice as many visits: the time to build its texts, and per keystroke.
fn visit_keystrokes(leads: usize) {
    let store = Store::memory(&InitOptions::default()).expect("store");
    generate(&store, leads, 2 * leads, 1, None).expect("generate");
    let all: Vec<std::sync::Arc<fieldcheck::model::Lead>> = store
        .leads()
        .expect("leads")
        .into_iter()
        .map(std::sync::Arc::new)
        .collect();
    let visits = store.visits(None).expect("visits");
    let start = Instant::now();
    let texts = VisitTexts::new(&all, &visits, Lang::Zh);
    let built = start.elapsed();
    let mut times = Vec::new();
    let mut spells = Spells::default();
    for query in ["北碚", "cqpk", "beibei", "bbq", "chongqing"] {
        let mut typed = String::new();
        for c in query.chars() {
            typed.push(c);
            let start = Instant::now();
            std::hint::black_box(texts.find(&typed, &mut spells));
            times.push(start.elapsed());
            if std::env::var_os("PER_KEY").is_some() {
                println!("  {typed}: {:.0} ms", start.elapsed().as_secs_f64() * 1e3);
            }
        }
    }
    println!(
        "visits tab, {leads} leads, {} visits: texts built in {:.2} s; keystroke p50 {:.0} ms, p99 {:.0} ms over {} keystrokes",
        visits.len(),
        built.as_secs_f64(),
        percentile(&mut times, 50).as_secs_f64() * 1e3,
        percentile(&mut times, 99).as_secs_f64() * 1e3,
        times.len()
    );
}

fn main() {
    let only_visits = std::env::args().any(|a| a == "visits");
    if !only_visits {
        durable_visits();
        keystrokes(100_000);
        keystrokes(1_000_000);
    }
    visit_keystrokes(100_000);
}

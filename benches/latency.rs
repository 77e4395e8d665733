//! In-process latency (the scale issue): typing a query one character at a time against 100k
//! and 1M generated leads (full ranked top 100 per keystroke, as the terminal app's search
//! worker does), and the durable write of one finalized visit. Run: `cargo bench --bench
//! latency`; numbers in docs/performance.md.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use fieldcheck::generate::generate;
use fieldcheck::model::form::VisitForm;
use fieldcheck::search::{Index, Query, Scope};
use fieldcheck::store::{InitOptions, Store};

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

fn main() {
    durable_visits();
    keystrokes(100_000);
    keystrokes(1_000_000);
}

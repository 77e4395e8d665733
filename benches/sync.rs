//! Export and import of 100,000 changes (issue: export ≤ 0.5 s, import ≤ 1 s on a 2-core
//! machine, import in one transaction). Run: `cargo bench --bench sync`. Plain timing, median
//! of a few runs; the numbers go to docs/sync.md.

use std::time::{Duration, Instant};

use fieldcheck::store::{InitOptions, Store};
use fieldcheck::sync::{Change, Hlc};

const CHANGES: u64 = 100_000;
const RUNS: usize = 3;

/// A laptop's log: register changes on the seed's leads, each building on the one before.
fn log(device: &str) -> Vec<Change> {
    let leads = [
        "cq-jfb-2022-3/a3/1",
        "cq-jfb-2022-3/a3/2",
        "cq-jfb-2022-3/a3/3",
    ];
    let fields = ["supervised", "confidential", "assignee"];
    let mut last: std::collections::HashMap<(usize, usize), String> = Default::default();
    (1..=CHANGES)
        .map(|idx| {
            let (l, f) = ((idx % 3) as usize, ((idx / 3) % 3) as usize);
            let value = match fields[f] {
                "assignee" => serde_json::json!(format!("检查员{}", idx % 7)),
                _ => serde_json::json!(idx % 2 == 0),
            };
            let id = uuid::Uuid::now_v7().to_string();
            let base = last.insert((l, f), id.clone());
            Change {
                id,
                device: device.into(),
                idx,
                author: "张三".into(),
                clock: Hlc {
                    ms: 1_700_000_000_000 + idx,
                    n: 0,
                },
                entity: format!("lead:{}", leads[l]),
                field: fields[f].into(),
                value,
                base,
                merges: Vec::new(),
            }
        })
        .collect()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let mut export_times = Vec::new();
    let mut import_times = Vec::new();
    let mut bundle_bytes = 0;
    for _ in 0..RUNS {
        let dir = tempfile::tempdir().expect("temp dir");
        let laptop = Store::open(&dir.path().join("laptop/s.redb"), &InitOptions::default())
            .expect("laptop");
        let device = laptop.identity().expect("identity").device_id;
        laptop.replay(&log(&device)).expect("log");
        let today = chrono::NaiveDate::from_ymd_opt(2022, 1, 28).expect("date");

        let start = Instant::now();
        let exported = laptop
            .export(false, None, today)
            .expect("export")
            .expect("something to export");
        export_times.push(start.elapsed());
        bundle_bytes = std::fs::metadata(&exported.path)
            .map(|m| m.len())
            .unwrap_or(0);

        let hq = Store::open(&dir.path().join("hq/s.redb"), &InitOptions::default()).expect("hq");
        hq.trust(&laptop.identity().expect("identity").public_key, "laptop")
            .expect("trust");
        let bytes = std::fs::read(&exported.path).expect("bundle");
        let start = Instant::now();
        let result = hq.import(&bytes, "bench", false).expect("import");
        import_times.push(start.elapsed());
        assert_eq!(result.applied as u64, CHANGES);
    }
    let (export, import) = (median(export_times), median(import_times));
    println!(
        "changes: {CHANGES}, bundle: {:.1} MB, runs: {RUNS}",
        bundle_bytes as f64 / 1e6
    );
    println!(
        "export (read log, sign, write, fsync, rename, watermark): median {:.3} s (goal ≤ 0.5 s)",
        export.as_secs_f64()
    );
    println!(
        "import (check, verify signature, apply in one transaction): median {:.3} s (goal ≤ 1 s)",
        import.as_secs_f64()
    );
}

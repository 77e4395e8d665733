//! Export and import of 100,000 signed changes (goals: export ≤ 0.5 s, import ≤ 2.5 s with every
//! signature verified, on a 2-core machine, import in one transaction), the cost of signing and
//! verifying one change, and how an import's time splits between decrypting, reading, verifying
//! and applying. Run: `cargo bench --bench sync`. Plain timing, median of a few runs; the numbers
//! go to docs/performance.md and docs/sync.md.

use std::time::{Duration, Instant};

use fieldcheck::store::{ExportOptions, ImportOptions, InitOptions, Store, TrustOptions};
use fieldcheck::sync::{Change, Hlc, bundle, seal};

const CHANGES: u64 = 100_000;
const RUNS: usize = 3;

/// A laptop's log: register changes on the seed's leads, each building on the one before, each
/// signed and linked to the one before like the laptop's own.
fn log(device: &str, key: &ed25519_dalek::SigningKey) -> Vec<Change> {
    let leads = [
        "cq-jfb-2022-3/a3/1",
        "cq-jfb-2022-3/a3/2",
        "cq-jfb-2022-3/a3/3",
    ];
    let fields = ["supervised", "confidential", "assignee"];
    let mut last: std::collections::HashMap<(usize, usize), String> = Default::default();
    let mut prev: Option<String> = None;
    (1..=CHANGES)
        .map(|idx| {
            let (l, f) = ((idx % 3) as usize, ((idx / 3) % 3) as usize);
            let value = match fields[f] {
                "assignee" => serde_json::json!(format!("检查员{}", idx % 7)),
                _ => serde_json::json!(idx % 2 == 0),
            };
            let id = uuid::Uuid::now_v7().to_string();
            let base = last.insert((l, f), id.clone());
            let mut change = Change {
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
                prev: prev.take(),
                sig: String::new(),
            };
            change.sign(key);
            prev = Some(change.hash());
            change
        })
        .collect()
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn main() {
    let mut export_times = Vec::new();
    let mut import_times = Vec::new();
    let mut phases: Vec<[Duration; 4]> = Vec::new();
    let mut bundle_bytes = 0;
    let mut sign_per_change = Duration::ZERO;
    let mut verify_per_change = Duration::ZERO;
    for _ in 0..RUNS {
        let dir = tempfile::tempdir().expect("temp dir");
        let laptop = Store::open(&dir.path().join("laptop/s.redb"), &InitOptions::default())
            .expect("laptop");
        let hq = Store::open(&dir.path().join("hq/s.redb"), &InitOptions::default()).expect("hq");
        let trust = |name: &str, hq_flag: bool| TrustOptions {
            name: name.into(),
            hq: hq_flag,
            ..TrustOptions::default()
        };
        hq.trust(
            &laptop.identity().expect("id").public_key,
            &trust("laptop", false),
        )
        .expect("enrol");
        laptop
            .trust(&hq.identity().expect("id").public_key, &trust("HQ", true))
            .expect("pin");
        let device = laptop.identity().expect("identity").device_id;
        let key = laptop.signing_key().expect("key");
        let start = Instant::now();
        let changes = log(&device, &key);
        sign_per_change = start.elapsed() / CHANGES as u32;
        let public = key.verifying_key();
        let start = Instant::now();
        assert!(changes.iter().all(|c| {
            fieldcheck::sync::keys::parse_signature(&c.sig)
                .is_some_and(|sig| fieldcheck::sync::keys::holds(&public, &c.signed_bytes(), &sig))
        }));
        verify_per_change = start.elapsed() / CHANGES as u32;
        laptop.replay(&changes).expect("log");
        let today = chrono::NaiveDate::from_ymd_opt(2022, 1, 28).expect("date");

        let start = Instant::now();
        let exported = laptop
            .export(&ExportOptions::default(), today)
            .expect("export")
            .expect("something to export");
        export_times.push(start.elapsed());
        bundle_bytes = std::fs::metadata(&exported.path)
            .map(|m| m.len())
            .unwrap_or(0);

        let bytes = std::fs::read(&exported.path).expect("bundle");
        // The phases, each on its own: decrypt, read (header, checksum, lines), verify.
        let start = Instant::now();
        let plain = seal::open(
            &bytes,
            &hq.keys().expect("keys").enc,
            bundle::MAX_BUNDLE_BYTES,
        )
        .expect("decrypt");
        let decrypt = start.elapsed();
        let start = Instant::now();
        let (_, _, read) = bundle::read(&plain).expect("read");
        let parse = start.elapsed();
        let start = Instant::now();
        // As import does: signed bytes, then batches of 256.
        let signed: Vec<Vec<u8>> = read.iter().map(Change::signed_bytes).collect();
        for (chunk, bytes) in read.chunks(256).zip(signed.chunks(256)) {
            let mut batch = fieldcheck::sync::keys::Batch::default();
            for (n, (change, message)) in chunk.iter().zip(bytes).enumerate() {
                assert!(batch.queue(n, &public, message, &change.sig));
            }
            assert!(batch.failed().is_empty(), "a signature failed");
        }
        let verify = start.elapsed();

        let start = Instant::now();
        let result = hq
            .import(&bytes, "bench", &ImportOptions::default())
            .expect("import");
        let whole = start.elapsed();
        import_times.push(whole);
        assert_eq!(result.applied as u64, CHANGES);
        phases.push([
            decrypt,
            parse,
            verify,
            // Import verifies on both cores.
            whole.saturating_sub(decrypt + parse + verify / 2),
        ]);
    }
    let (export, import) = (median(export_times), median(import_times));
    let phase = |i: usize| median(phases.iter().map(|p| p[i]).collect());
    println!(
        "changes: {CHANGES}, bundle: {:.1} MB (encrypted), runs: {RUNS}",
        bundle_bytes as f64 / 1e6
    );
    println!(
        "sign one change: {:.1} µs; verify one change alone (key read each time): {:.1} µs",
        sign_per_change.as_secs_f64() * 1e6,
        verify_per_change.as_secs_f64() * 1e6
    );
    println!(
        "export (read log, pack, sign, encrypt, write, fsync, rename, watermark): median {:.3} s (goal ≤ 0.5 s)",
        secs(export)
    );
    println!(
        "import (decrypt, check, verify every signature, apply in one transaction): median {:.3} s (goal ≤ 2.5 s)",
        secs(import)
    );
    println!(
        "  of which: decrypt {:.3} s, read {:.3} s, verify (signed bytes and batches of 256, one core; import splits it over two) {:.3} s, the rest (trust, classify, apply, commit; total minus half the verification) {:.3} s",
        secs(phase(0)),
        secs(phase(1)),
        secs(phase(2)),
        secs(phase(3))
    );
}

//! Every command reads in proportion to the store, not to its square: the records each one
//! decodes (`records_decoded`), on a generated store of a year's shape (visits twice the leads,
//! through the log from several laptops) at n and 4n leads. Linear work grows 4×; the
//! scans this guards against (every visit for every lead, the whole log for every dispute) grow
//! 16×; `sync status` and `conflicts` read the summaries kept on import, so theirs do not grow
//! with the store at all. Counted, not timed, so a busy machine cannot fail it.

use clap::Parser;
use fieldcheck::cli::args::Cli;
use fieldcheck::store::records_decoded;

const SMALL: usize = 250;

/// Records decoded by one command on `store`.
fn decoded(store: &std::path::Path, args: &[&str]) -> u64 {
    let mut argv = vec![
        "fieldcheck",
        "--store",
        store.to_str().unwrap(),
        "--today",
        "2022-01-25",
    ];
    argv.extend_from_slice(args);
    let before = records_decoded();
    fieldcheck::cli::run(&Cli::parse_from(&argv), &mut std::io::sink())
        .unwrap_or_else(|e| panic!("{args:?}: {e:?}"));
    records_decoded() - before
}

/// The records each command decodes on a store of `leads` leads.
fn counts(dir: &std::path::Path, leads: usize) -> Vec<(String, u64)> {
    let store = dir.join(format!("{leads}.redb"));
    let visits = (2 * leads).to_string();
    let n = leads.to_string();
    decoded(
        &store,
        &[
            "dev",
            "generate",
            "--leads",
            &n,
            "--visits",
            &visits,
            "--devices",
            "3",
        ],
    );
    let out = dir.join(format!("out-{leads}"));
    std::fs::create_dir_all(&out).unwrap();
    let all = out.join("all.fcb");
    let csv = dir.join(format!("{leads}.csv"));
    let key = fieldcheck::store::Store::open(&store, &Default::default())
        .unwrap()
        .identity()
        .unwrap()
        .public_key;
    let hq = dir.join(format!("hq-{leads}.redb"));
    decoded(&hq, &["trust", "add", &key, "--name", "HQ", "--hq"]);
    let commands: Vec<Vec<&str>> = vec![
        vec!["leads"],
        vec!["leads", "--json"],
        vec!["leads", "--district", "北碚区", "--json"],
        vec!["lead", "show", "cq-gen-1/a1/1", "--json"],
        vec!["visit", "list"],
        vec!["visit", "list", "--json"],
        vec!["report"],
        vec!["report", "--format", "csv", "--out", csv.to_str().unwrap()],
        vec!["sync", "status"],
        vec!["conflicts"],
        vec!["verify"],
        vec!["export", "--all", "--plain", "--out", all.to_str().unwrap()],
    ];
    let mut found: Vec<(String, u64)> = commands
        .iter()
        .map(|c| (c.join(" "), decoded(&store, c)))
        .collect();
    // The terminal app's start: every record the lists show, read once.
    let app = fieldcheck::store::Store::open(&store, &Default::default()).unwrap();
    let before = records_decoded();
    let today = chrono::NaiveDate::from_ymd_opt(2022, 1, 25).unwrap();
    fieldcheck::tui::load(&app, fieldcheck::i18n::Lang::Zh, today).unwrap();
    found.push((
        "the terminal app's records".into(),
        records_decoded() - before,
    ));
    let conflicts = app.conflict_count().unwrap() as u64;
    drop(app);
    found.push((
        "import into a fresh HQ".into(),
        decoded(&hq, &["import", "--allow-plain", all.to_str().unwrap()]),
    ));
    found.push(("(registers in conflict)".into(), conflicts));
    found
}

#[test]
fn every_command_reads_in_proportion_to_the_store() {
    // SAFETY of the environment: this test binary runs this one test only.
    unsafe { std::env::set_var("FIELDCHECK_PASSPHRASE", "linear") };
    let dir = tempfile::tempdir().unwrap();
    let small = counts(dir.path(), SMALL);
    let large = counts(dir.path(), 4 * SMALL);
    let held = |found: &[(String, u64)]| found.last().map(|(_, n)| *n).unwrap();
    let (small_conflicts, large_conflicts) = (held(&small), held(&large));
    assert!(large_conflicts > 0, "the larger store holds no conflict");
    for ((what, a), (_, b)) in small.iter().zip(&large) {
        match what.as_str() {
            "(registers in conflict)" => {}
            // Read from the summaries kept on import: the devices, whatever the log's size.
            "sync status" => assert_eq!(a, b, "{what}: reads grow with the store"),
            // The registers in conflict (their heads, their devices' names), nothing else.
            "conflicts" => assert!(
                *a <= 16 * small_conflicts && *b <= 16 * large_conflicts,
                "{what}: {a} and {b} records read for {small_conflicts} and {large_conflicts} conflicts"
            ),
            _ => {
                assert!(*a > 0 || *b == 0, "{what}: reads nothing at {SMALL} leads");
                assert!(
                    *b <= 8 * (*a).max(1),
                    "{what}: {a} records read at {SMALL} leads, {b} at {} (more than linear)",
                    4 * SMALL
                );
            }
        }
    }
}

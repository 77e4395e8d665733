//! Broken and hostile input, by mutation: the real seed notice and a real signed bundle, edited
//! at random (bytes flipped, cut, inserted, lines duplicated and swapped, pieces of the format
//! spliced in). Every case must end quickly, without a panic, either in a clear error or — when
//! the edit left the input meaning the same — in the same result; a refused bundle changes
//! nothing in the store. About 1,000 cases per target here; 10,000 with `--ignored`.

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use fieldcheck::error::Error;
use fieldcheck::i18n::Lang;
use fieldcheck::model::form::VisitForm;
use fieldcheck::store::{InitOptions, Store};
use fieldcheck::sync::bundle;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const SEED: &str = include_str!("../seeds/notice-cq-jfb-2022-3.txt");

/// Pieces of the two formats, so that edits reach past the first check.
const SPLICES: &[&str] = &[
    "\n",
    "|",
    "｜",
    "\t",
    "附件",
    "序号",
    "万元",
    "023-",
    "\"",
    "{",
    "}",
    ":",
    ",",
    "null",
    "\"count\":",
    "\"ranges\":",
    "-1",
    "99999999999999999999",
    "\u{0}",
    "、",
    "2022年1月30日",
];

#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Cut(usize, usize),
    Insert(usize, Vec<u8>),
    Splice(usize, usize),
    Truncate(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Edit::Flip(at, b)),
        (any::<usize>(), 1..64usize).prop_map(|(at, n)| Edit::Cut(at, n)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, b)| Edit::Insert(at, b)),
        (any::<usize>(), 0..SPLICES.len()).prop_map(|(at, s)| Edit::Splice(at, s)),
        any::<usize>().prop_map(Edit::Truncate),
        any::<usize>().prop_map(Edit::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
    ]
}

fn apply(bytes: &mut Vec<u8>, edit: &Edit) {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
    match edit {
        Edit::Flip(i, b) if !bytes.is_empty() => {
            let i = i % bytes.len();
            bytes[i] ^= b | 1;
        }
        Edit::Flip(..) => {}
        Edit::Cut(i, n) => {
            let start = at(*i, bytes.len());
            let end = (start + n).min(bytes.len());
            bytes.drain(start..end);
        }
        Edit::Insert(i, b) => {
            let i = at(*i, bytes.len());
            bytes.splice(i..i, b.iter().copied());
        }
        Edit::Splice(i, s) => {
            let i = at(*i, bytes.len());
            bytes.splice(i..i, SPLICES[*s].bytes());
        }
        Edit::Truncate(i) => bytes.truncate(at(*i, bytes.len())),
        Edit::DuplicateLine(i) | Edit::SwapLines(i, _) => {
            let mut lines: Vec<Vec<u8>> =
                bytes.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
            let a = i % lines.len();
            match edit {
                Edit::SwapLines(_, j) => {
                    let b = j % lines.len();
                    lines.swap(a, b);
                }
                _ => lines.insert(a, lines[a].clone()),
            }
            *bytes = lines.join(&b'\n');
        }
    }
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    prop::collection::vec(edit(), 1..6)
}

/// Runs `check` on `cases` random edit lists, failing on the first error or panic.
fn fuzz(cases: u32, check: impl Fn(&[Edit]) -> Result<(), TestCaseError>) {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new(config)
        .run(&edits(), |e| check(&e))
        .unwrap();
}

const QUICK: Duration = Duration::from_secs(2);

fn notice_case(edits: &[Edit]) -> Result<(), TestCaseError> {
    let mut bytes = SEED.as_bytes().to_vec();
    for e in edits {
        apply(&mut bytes, e);
    }
    let text = String::from_utf8_lossy(&bytes);
    let start = Instant::now();
    let result = fieldcheck::notice::parse(&text, "fuzz.txt");
    prop_assert!(
        start.elapsed() < QUICK,
        "parsing took {:?}",
        start.elapsed()
    );
    match result {
        Ok(parsed) => prop_assert!(!parsed.notice.meta.id.is_empty()),
        Err(e @ Error::Notice { line, .. }) => {
            prop_assert!(line >= 1);
            let message = e.message(Lang::En);
            prop_assert!(message.contains("fuzz.txt"), "{}", message);
        }
        Err(other) => prop_assert!(false, "not a notice error: {:?}", other),
    }
    Ok(())
}

#[test]
fn the_notice_parser_survives_edited_notices() {
    fuzz(1_000, notice_case);
}

#[test]
#[ignore = "long: 10,000 cases, run with --ignored (see docs/reliability.md)"]
fn the_notice_parser_survives_ten_thousand_edited_notices() {
    fuzz(10_000, notice_case);
}

fn store(name: &str) -> Store {
    Store::memory(&InitOptions {
        inspector: Some(name.into()),
        device: Some(name.into()),
        ..InitOptions::default()
    })
    .unwrap()
}

/// What an import may change: the leads and the visits.
fn records(store: &Store) -> String {
    let visits: Vec<String> = store
        .visits(None)
        .unwrap()
        .iter()
        .map(|v| format!("{v:?}"))
        .collect();
    format!("{:?} {visits:?}", store.leads().unwrap())
}

/// A laptop's real signed bundle with two visits, and a headquarters that trusts the laptop,
/// with the records headquarters has after importing the bundle as it is.
fn bundle_and_hq() -> (Vec<u8>, Store, String) {
    let a = store("A");
    for lead in ["cq-jfb-2022-3/a3/1", "cq-jfb-2022-3/a3/2"] {
        let form = VisitForm {
            lead: lead.into(),
            kind: "onsite".into(),
            finding: "disputed".into(),
            evidence: vec!["contract:HT-1".into()],
            next: "再联系".into(),
            due: "+7".into(),
            ..VisitForm::default()
        };
        let today = NaiveDate::from_ymd_opt(2022, 1, 28).unwrap();
        a.finalize(&form, Utc::now(), today, false).unwrap();
    }
    let id = a.identity().unwrap();
    let bytes = bundle::write(
        &a.changes().unwrap(),
        &id.device_id,
        &id.inspector,
        &a.signing_key().unwrap(),
    );
    let reference = store("HQ");
    reference.trust(&id.public_key, "A").unwrap();
    reference.import(&bytes, "a.fcb", false).unwrap();
    let hq = store("HQ");
    hq.trust(&id.public_key, "A").unwrap();
    (bytes, hq, records(&reference))
}

fn bundle_cases(cases: u32) {
    let (original, hq, imported) = bundle_and_hq();
    fuzz(cases, |edits| {
        let mut bytes = original.clone();
        for e in edits {
            apply(&mut bytes, e);
        }
        let before = hq.digest().unwrap();
        let start = Instant::now();
        let result = hq.import(&bytes, "fuzz.fcb", false);
        prop_assert!(start.elapsed() < QUICK, "import took {:?}", start.elapsed());
        let after = hq.digest().unwrap();
        match result {
            Err(e @ Error::Bundle { .. }) => {
                prop_assert_eq!(&after, &before, "a refused bundle changed the store");
                let message = e.message(Lang::En);
                prop_assert!(message.contains("fuzz.fcb"), "{}", message);
            }
            Err(other) => prop_assert!(false, "not a bundle refusal: {:?}", other),
            // Only an edit that left the bundle meaning the same may be accepted.
            Ok(_) => prop_assert_eq!(
                records(&hq),
                imported.clone(),
                "an edited bundle was accepted with other content"
            ),
        }
        Ok(())
    });
}

#[test]
fn the_bundle_reader_survives_edited_bundles() {
    bundle_cases(1_000);
}

#[test]
#[ignore = "long: 10,000 cases, run with --ignored (see docs/reliability.md)"]
fn the_bundle_reader_survives_ten_thousand_edited_bundles() {
    bundle_cases(10_000);
}

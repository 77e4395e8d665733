//! `dev type`: the terminal app's search, timed per keystroke on a real store.

use std::fmt::Write;
use std::time::Instant;

use crate::error::Result;
use crate::search::{Index, Query, Scope};
use crate::store::Store;

/// Loads the search keys as the app does, then types `query` one character at a time, `rounds`
/// times over; prints each keystroke of the last round: the text so far, milliseconds, hits.
pub fn type_query(store: &Store, query: &str, limit: usize, rounds: u32) -> Result<String> {
    let loading = Instant::now();
    let mut index = Index::load(store)?;
    let mut out = format!(
        "loaded {} keys in {:.1} ms\n",
        index.len(),
        loading.elapsed().as_secs_f64() * 1e3
    );
    let mut last = Vec::new();
    for _ in 0..rounds.max(1) {
        last.clear();
        let mut typed = String::new();
        for c in query.chars() {
            typed.push(c);
            let start = Instant::now();
            let hits = index.rank(&Query::new(&typed), Scope::Leads, limit).len();
            last.push((typed.clone(), start.elapsed().as_secs_f64() * 1e3, hits));
        }
    }
    for (typed, ms, hits) in &last {
        let _ = writeln!(out, "{typed}\t{ms:.2} ms\t{hits} hits");
    }
    Ok(out)
}

//! The lead list's orders without a search, by keys computed once per row.

use std::cmp::Ordering;
use std::sync::Arc;

use chrono::NaiveDate;

use super::next_steps::NextSteps;
use crate::i18n::Lang;
use crate::model::Lead;
use crate::model::due::{is_late, shown_due};

/// How the lead list is ordered without a search (`o`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// The ledger order: supervised, overdue, deadline.
    Deadline,
    /// Largest amount first (unknown last).
    Amount,
    District,
}

impl Sort {
    pub fn next(self) -> Sort {
        match self {
            Sort::Deadline => Sort::Amount,
            Sort::Amount => Sort::District,
            Sort::District => Sort::Deadline,
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Sort::Deadline => lang.pick("期限", "deadline"),
            Sort::Amount => lang.pick("金额", "amount"),
            Sort::District => lang.pick("属地", "district"),
        }
    }
}

/// Sorts lead rows into the list's order without a search; supervised leads first in every
/// order. `leads` are in natural id order, so a row's index is its id's place: each row's key is
/// computed once (a million leads are not read again at every comparison, which cost seconds in
/// cache misses) and never by taking ids apart (the ledger order of `model::lead::ledger_cmp`,
/// which `tests/tui_update.rs` holds this to).
pub fn sort_lead_rows(
    leads: &[Arc<Lead>],
    next: &NextSteps,
    rows: &mut [usize],
    sort: Sort,
    today: NaiveDate,
) {
    match sort {
        Sort::Deadline => rows.sort_by_cached_key(|&i| deadline_key(leads, next, today, i)),
        Sort::Amount => rows.sort_by_cached_key(|&i| amount_key(leads, i)),
        Sort::District => rows.sort_by_cached_key(|&i| district_key(leads, i)),
    }
}

/// How rows `a` and `b` compare in the order of `sort_lead_rows`.
pub(super) fn row_order(
    (leads, next): (&[Arc<Lead>], &NextSteps),
    sort: Sort,
    today: NaiveDate,
    a: usize,
    b: usize,
) -> Ordering {
    match sort {
        Sort::Deadline => {
            deadline_key(leads, next, today, a).cmp(&deadline_key(leads, next, today, b))
        }
        Sort::Amount => amount_key(leads, a).cmp(&amount_key(leads, b)),
        Sort::District => district_key(leads, a).cmp(&district_key(leads, b)),
    }
}

type DeadlineKey = (bool, bool, (bool, Option<NaiveDate>), usize);

/// Supervised first, then overdue (a next step past due too), then by the date shown (what the
/// lead waits for, else its deadline; none last): the ledger order of `model::lead::ledger_cmp`
/// where no visit set a next step.
fn deadline_key(leads: &[Arc<Lead>], next: &NextSteps, today: NaiveDate, i: usize) -> DeadlineKey {
    let l = &leads[i];
    let due = next.due(i);
    let date = shown_due(l, due).map_or((true, None), |d| (false, Some(d)));
    (!l.supervised, !is_late(l, due, today), date, i)
}

fn amount_key(leads: &[Arc<Lead>], i: usize) -> (bool, std::cmp::Reverse<Option<i64>>, usize) {
    let l = &leads[i];
    (!l.supervised, std::cmp::Reverse(l.amount_yuan), i)
}

fn district_key(leads: &[Arc<Lead>], i: usize) -> (bool, &str, usize) {
    let l = &leads[i];
    (!l.supervised, l.district.as_str(), i)
}

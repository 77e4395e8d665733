//! Reading the report from the store: the visits once and the leads once, each from both ends
//! of its table on two threads, never a lead's or a visit's list held whole.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::{Facts, Report, Row};
use crate::error::Result;
use crate::model::lead::{LedgerRank, ledger_positions, ledger_rank};
use crate::model::visit::effective;
use crate::model::visit_summary::VisitFacts;
use crate::store::Store;

/// What one side of a read of the visits found: each row's facts, by the row's place.
struct Folded {
    facts: Vec<Facts>,
    /// The rows of leads with a correction among their visits.
    corrected: HashSet<usize>,
}

impl Folded {
    fn new(rows: usize) -> Folded {
        Folded {
            facts: vec![Facts::default(); rows],
            corrected: HashSet::new(),
        }
    }
}

/// The report of the store's leads (those of `district`, if given) in ledger order: each
/// lead's row, in one read of the leads, then what its visits came to, in one read of every
/// visit (borrowing its text; the visits of leads not in the report are skipped). Both reads
/// go from both ends of their tables on two threads. While reading, which visits a correction
/// replaced is not yet known, so a lead with a correction among its visits is folded again from
/// its own visits, the replaced ones left out: corrections are few.
pub fn read(
    store: &Store,
    today: NaiveDate,
    district: Option<&str>,
    show_confidential: bool,
) -> Result<Report> {
    let mut front: (Vec<Row>, Vec<LedgerRank>) = Default::default();
    let mut back: (Vec<Row>, Vec<LedgerRank>) = Default::default();
    let side = |rows: &mut (Vec<Row>, Vec<LedgerRank>), lead: crate::model::Lead| {
        if district.is_none_or(|d| lead.district.contains(d)) {
            rows.1.push(ledger_rank(&lead, today));
            rows.0.push(Row::of(lead, today, show_confidential));
        }
        Ok(())
    };
    store.each_lead_from_both_ends(|l| side(&mut front, l), |l| side(&mut back, l))?;
    let (mut rows, mut ranks) = front;
    rows.extend(back.0);
    ranks.extend(back.1);
    let facts = {
        let place: HashMap<&str, usize> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.as_str(), i))
            .collect();
        let (mut early, mut late) = (Folded::new(rows.len()), Folded::new(rows.len()));
        let take =
            |side: &mut Folded, visit: VisitFacts<'_>, fold: fn(&mut Facts, VisitFacts<'_>)| {
                if let Some(&i) = place.get(visit.lead.as_ref()) {
                    if visit.supersedes.is_some() {
                        side.corrected.insert(i);
                    }
                    fold(&mut side.facts[i], visit);
                }
                Ok(())
            };
        store.visit_facts_from_both_ends(
            |visit| take(&mut early, visit, Facts::fold),
            |visit| take(&mut late, visit, Facts::fold_earlier),
        )?;
        let mut facts = early.facts;
        for (f, later) in facts.iter_mut().zip(late.facts) {
            f.merge(later);
        }
        for i in early.corrected.into_iter().chain(late.corrected) {
            let visits = store.visits(Some(&rows[i].id))?;
            let mut f = Facts::default();
            for visit in effective(&visits) {
                f.fold(VisitFacts::from(visit));
            }
            facts[i] = f;
        }
        facts
    };
    for ((row, rank), f) in rows.iter_mut().zip(ranks.iter_mut()).zip(facts) {
        row.take(f, today);
        // A next step past due puts the lead among the overdue ones.
        rank.1 = !row.overdue;
    }
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let order = ledger_positions(&ranks, &ids);
    drop(ids);
    crate::model::permute(&mut rows, order);
    Ok(Report::of(rows))
}

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

/// What one side of a read of the visits found.
#[derive(Default)]
struct Folded {
    facts: HashMap<String, Facts>,
    /// Leads with a correction among their visits.
    corrected: HashSet<String>,
}

impl Folded {
    fn take(&mut self, visit: VisitFacts<'_>, fold: fn(&mut Facts, VisitFacts<'_>)) {
        if visit.supersedes.is_some() && !self.corrected.contains(visit.lead.as_ref()) {
            self.corrected.insert(visit.lead.to_string());
        }
        match self.facts.get_mut(visit.lead.as_ref()) {
            Some(f) => fold(f, visit),
            None => {
                let lead = visit.lead.to_string();
                let mut f = Facts::default();
                fold(&mut f, visit);
                self.facts.insert(lead, f);
            }
        }
    }
}

/// The report of the store's leads (those of `district`, if given) in ledger order: what each
/// lead's visits came to, in one read of every visit (borrowing its text), then each lead's
/// row, in one read of the leads. While reading, which visits a correction replaced is not yet
/// known, so a lead with a correction among its visits is folded again from its own visits,
/// the replaced ones left out: corrections are few.
pub fn read(
    store: &Store,
    today: NaiveDate,
    district: Option<&str>,
    show_confidential: bool,
) -> Result<Report> {
    let (mut early, mut late) = (Folded::default(), Folded::default());
    store.visit_facts_from_both_ends(
        |visit| {
            early.take(visit, Facts::fold);
            Ok(())
        },
        |visit| {
            late.take(visit, Facts::fold_earlier);
            Ok(())
        },
    )?;
    let mut facts = early.facts;
    for (lead, later) in late.facts {
        match facts.get_mut(&lead) {
            Some(f) => f.merge(later),
            None => {
                facts.insert(lead, later);
            }
        }
    }
    for lead in early.corrected.into_iter().chain(late.corrected) {
        let visits = store.visits(Some(&lead))?;
        let mut f = Facts::default();
        for visit in effective(&visits) {
            f.fold(VisitFacts::from(visit));
        }
        facts.insert(lead, f);
    }
    let mut front: (Vec<Row>, Vec<LedgerRank>) = Default::default();
    let mut back: (Vec<Row>, Vec<LedgerRank>) = Default::default();
    let side = |rows: &mut (Vec<Row>, Vec<LedgerRank>), lead: crate::model::Lead| {
        if district.is_none_or(|d| lead.district.contains(d)) {
            rows.1.push(ledger_rank(&lead, today));
            rows.0.push(Row::of(&lead, today, show_confidential));
        }
        Ok(())
    };
    store.each_lead_from_both_ends(|l| side(&mut front, l), |l| side(&mut back, l))?;
    let (mut rows, mut ranks) = front;
    rows.extend(back.0);
    ranks.extend(back.1);
    for row in &mut rows {
        if let Some(f) = facts.remove(&row.id) {
            row.take(f);
        }
    }
    drop(facts);
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let order = ledger_positions(&ranks, &ids);
    drop(ids);
    crate::model::permute(&mut rows, order);
    Ok(Report::of(rows))
}

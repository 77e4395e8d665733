//! `fieldcheck leads`: the ledger, read one lead at a time and written as it is laid out. Only
//! what the order needs (each lead's rank and id) and the laid-out rows are kept, so a million
//! leads cost their text, not a million decoded records.

use std::io::Write;

use chrono::NaiveDate;

use super::render::{JsonArray, LeadJson, amount, deadline};
use super::visits::summary;
use crate::columns::Columns;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::model::lead::{LedgerRank, ledger_positions, ledger_rank};
use crate::model::{Lead, Status};
use crate::store::Store;

/// Which leads a listing shows.
pub struct Filter<'a> {
    pub status: Option<Status>,
    /// Part of the district's name.
    pub district: Option<&'a str>,
    pub overdue: bool,
}

impl Filter<'_> {
    fn admits(&self, lead: &Lead, today: NaiveDate) -> bool {
        self.status.is_none_or(|s| lead.status == s)
            && self.district.is_none_or(|d| lead.district.contains(d))
            && (!self.overdue || lead.is_overdue(today))
    }
}

/// The ledger in ledger order; as JSON, each lead with the summary of its visits.
pub fn leads(
    store: &Store,
    filter: &Filter,
    today: NaiveDate,
    lang: Lang,
    as_json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    if as_json {
        return leads_json(store, filter, today, out);
    }
    let header = [
        lang.pick("督办", "sup."),
        lang.pick("编号", "id"),
        lang.pick("状态", "status"),
        lang.pick("期限", "deadline"),
        lang.pick("债权人", "creditor"),
        lang.pick("属地", "district"),
        lang.pick("金额（万元）", "amount (10k yuan)"),
    ];
    // Read from both ends of the table on two threads, each side laying out its own rows.
    let mut front = (Columns::new(&header), Vec::<LedgerRank>::new());
    let mut back = front.clone();
    let side = |(table, ranks): &mut (Columns, Vec<LedgerRank>), lead: Lead| {
        if filter.admits(&lead, today) {
            ranks.push(ledger_rank(&lead, today));
            table.push(&cells(&lead, today, lang));
        }
        Ok(())
    };
    store.each_lead_from_both_ends(|l| side(&mut front, l), |l| side(&mut back, l))?;
    let (mut table, mut ranks) = front;
    table.append(back.0);
    ranks.extend(back.1);
    let ids: Vec<&str> = (0..table.len())
        .map(|row| table.row(row).nth(1).unwrap_or_default())
        .collect();
    let order = ledger_positions(&ranks, &ids);
    drop(ids);
    let none = lang.pick("（没有符合条件的线索）\n", "(no leads match)\n");
    table
        .write_or(out, order.into_iter().map(|row| (row, "")), none)
        .map_err(|e| Error::output(&e))
}

/// A lead's row in the ledger.
fn cells(lead: &Lead, today: NaiveDate, lang: Lang) -> [String; 7] {
    let status = if lead.attention {
        format!(
            "{}{}",
            lead.status.label(lang),
            lang.pick("（需关注）", " (attention)")
        )
    } else {
        lead.status.label(lang).into()
    };
    [
        if lead.supervised { "★" } else { "" }.into(),
        lead.id.clone(),
        status,
        deadline(lead, today, lang),
        lead.creditor.clone(),
        lead.district.clone(),
        amount(lead, lang),
    ]
}

/// The ledger as JSON: the leads' ranks and ids first, then each lead again with its visits,
/// in ledger order, one at a time.
fn leads_json(store: &Store, filter: &Filter, today: NaiveDate, out: &mut dyn Write) -> Result<()> {
    let mut front: (Vec<LedgerRank>, Vec<String>) = Default::default();
    let mut back = front.clone();
    let side = |(ranks, ids): &mut (Vec<LedgerRank>, Vec<String>), lead: Lead| {
        if filter.admits(&lead, today) {
            ranks.push(ledger_rank(&lead, today));
            ids.push(lead.id);
        }
        Ok(())
    };
    store.each_lead_from_both_ends(|l| side(&mut front, l), |l| side(&mut back, l))?;
    let (mut ranks, mut ids) = front;
    ranks.extend(back.0);
    ids.extend(back.1);
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let order = ledger_positions(&ranks, &ids);
    let mut array = JsonArray::new(out);
    store.leads_with_visits(order.iter().map(|&i| ids[i]), |lead, visits| {
        array.push(&LeadJson {
            lead: &lead,
            overdue: lead.is_overdue(today),
            visits: summary(&visits),
        })
    })?;
    array.finish()
}

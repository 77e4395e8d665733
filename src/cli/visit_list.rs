//! `fieldcheck visit list`: every finalized visit (or one lead's), newest first, read once in
//! the store's order and written as it is laid out. Only the laid-out rows, each visit's time
//! and the ids corrections replaced are kept, never two million decoded visits.

use std::collections::HashSet;
use std::io::Write;

use chrono::{DateTime, Utc};

use super::render::JsonArray;
use super::visits::{local, recorded_by};
use crate::columns::Columns;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::model::visit_summary::VisitSummary;
use crate::store::Store;

pub fn list(
    store: &Store,
    lead: Option<&str>,
    lang: Lang,
    as_json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let lead = lead.map(|l| store.lead(l)).transpose()?;
    let lead = lead.as_ref().map(|l| l.id.as_str());
    if as_json {
        return list_json(store, lead, out);
    }
    let verified = store.verified_authors()?;
    let header = [
        lang.pick("时间", "time"),
        lang.pick("编号", "id"),
        lang.pick("线索", "lead"),
        lang.pick("类型", "kind"),
        lang.pick("结果", "finding"),
        lang.pick("证据", "evidence"),
        lang.pick("检查员", "inspector"),
        "",
    ];
    let mut front = Side::new(&header);
    let mut back = Side::new(&header);
    let side = |side: &mut Side, v: VisitSummary<'_>, device: Option<&str>| {
        if let Some(replaced) = &v.supersedes {
            side.corrected.insert(replaced.to_string());
        }
        side.times.push(v.at);
        side.table.push(&[
            local(v.at),
            v.id.to_string(),
            v.lead.to_string(),
            v.kind.label(lang).into(),
            v.finding.map(|f| f.label(lang)).unwrap_or_default().into(),
            v.evidence.to_string(),
            recorded_by(&v.inspector, device.and_then(|d| verified.get(d)), lang),
        ]);
        Ok(())
    };
    match lead {
        Some(lead) => store.lead_visit_rows(lead, |v, d| side(&mut front, v, d))?,
        None => store.visit_rows_from_both_ends(
            |v, d| side(&mut front, v, d),
            |v, d| side(&mut back, v, d),
        )?,
    }
    let Side {
        mut table,
        mut times,
        mut corrected,
    } = front;
    table.append(back.table);
    times.extend(back.times);
    corrected.extend(back.corrected);
    // By time, then (only for visits at the same minute and second) by id: no list of ids.
    let id = |row: usize| table.row(row).nth(1).unwrap_or_default();
    let mut order: Vec<usize> = (0..table.len()).collect();
    order.sort_unstable_by(|&a, &b| times[b].cmp(&times[a]).then_with(|| id(b).cmp(id(a))));
    let mark = lang.pick("已更正", "corrected");
    let rows = order.into_iter().map(|row| {
        let extra = if corrected.contains(id(row)) {
            mark
        } else {
            ""
        };
        (row, extra)
    });
    let none = lang.pick("（还没有走访记录）\n", "(no visits yet)\n");
    table
        .write_or(out, rows, none)
        .map_err(|e| Error::output(&e))
}

/// What one side of a read of the visits laid out.
struct Side {
    table: Columns,
    times: Vec<DateTime<Utc>>,
    /// The ids of visits a correction replaced.
    corrected: HashSet<String>,
}

impl Side {
    fn new(header: &[&str]) -> Side {
        Side {
            table: Columns::new(header),
            times: Vec::new(),
            corrected: HashSet::new(),
        }
    }
}

/// The positions of visits newest first: by time, then by id, both descending.
fn newest_first(times: &[DateTime<Utc>], ids: &[&str]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..times.len()).collect();
    order.sort_unstable_by(|&a, &b| (times[b], ids[b]).cmp(&(times[a], ids[a])));
    order
}

/// The visits as JSON, newest first: their times and ids read first, then each visit again,
/// one at a time.
fn list_json(store: &Store, lead: Option<&str>, out: &mut dyn Write) -> Result<()> {
    let mut front: (Vec<DateTime<Utc>>, Vec<String>) = Default::default();
    let mut back = front.clone();
    let side = |(times, ids): &mut (Vec<DateTime<Utc>>, Vec<String>), v: VisitSummary<'_>| {
        times.push(v.at);
        ids.push(v.id.into_owned());
        Ok(())
    };
    match lead {
        Some(lead) => store.lead_visit_rows(lead, |v, _| side(&mut front, v))?,
        None => store
            .visit_rows_from_both_ends(|v, _| side(&mut front, v), |v, _| side(&mut back, v))?,
    }
    let (mut times, mut ids) = front;
    times.extend(back.0);
    ids.extend(back.1);
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let order = newest_first(&times, &ids);
    let mut array = JsonArray::new(out);
    store.visits_by_id(order.iter().map(|&i| ids[i]), |visit| array.push(&visit))?;
    array.finish()
}

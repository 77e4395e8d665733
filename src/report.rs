//! The feedback report (台账): every lead with its latest finding, evidence, payments, next step
//! and systemic causes, then totals by district and state and counts of causes (举一反三).
//! Confidential creditors are masked unless asked (rule 8).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::{self, Write};

use chrono::NaiveDate;

use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::model::amount::format_wan;
use crate::model::region::PROVINCES;
use crate::model::{Cause, Finding, Lead, Status};
use crate::progress::Meter;

mod facts;
mod read;

pub use facts::Facts;
pub use read::read;

/// One lead in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: String,
    pub creditor: String,
    pub debtor: Option<String>,
    pub district: String,
    pub amount_yuan: Option<i64>,
    pub status: Status,
    pub latest_finding: Option<Finding>,
    pub evidence: usize,
    pub paid_yuan: Option<i64>,
    pub next: Option<String>,
    pub due: Option<NaiveDate>,
    pub overdue: bool,
    /// A re-verification disagreed.
    pub attention: bool,
    pub causes: Vec<Cause>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub leads: usize,
    pub amount_yuan: i64,
    pub paid_yuan: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub rows: Vec<Row>,
    pub by_district: BTreeMap<String, Totals>,
    pub by_status: Vec<(Status, usize)>,
    pub causes: Vec<(Cause, usize)>,
}

/// `重庆安宝清洁服务有限公司` → `重庆安宝********`: a province prefix and two characters stay.
pub fn mask(name: &str) -> String {
    let prefix = PROVINCES
        .iter()
        .map(|(_, _, p)| *p)
        .find(|p| name.starts_with(p))
        .map_or(0, |p| p.chars().count());
    let keep = prefix + 2;
    name.chars()
        .enumerate()
        .map(|(i, c)| if i < keep { c } else { '*' })
        .collect()
}

/// A person's name as a masked lead shows it: the family name, the rest starred (王会计 → 王**).
pub fn mask_person(name: &str) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| if i == 0 { c } else { '*' })
        .collect()
}

/// A phone number as a masked lead shows it: every digit but the last four starred.
pub fn mask_phone(number: &str) -> String {
    let digits = number.chars().filter(char::is_ascii_digit).count();
    let mut seen = 0;
    number
        .chars()
        .map(|c| {
            if !c.is_ascii_digit() {
                return c;
            }
            seen += 1;
            if seen + 4 > digits { c } else { '*' }
        })
        .collect()
}

impl Row {
    /// A lead's row, before what its visits came to (its text moved, not copied).
    pub fn of(lead: Lead, today: NaiveDate, show_confidential: bool) -> Row {
        Row {
            overdue: lead.is_overdue(today),
            creditor: if lead.confidential && !show_confidential {
                mask(&lead.creditor)
            } else {
                lead.creditor
            },
            id: lead.id,
            debtor: lead.debtor,
            district: lead.district,
            amount_yuan: lead.amount_yuan,
            status: lead.status,
            latest_finding: None,
            evidence: 0,
            paid_yuan: None,
            next: None,
            due: None,
            attention: lead.attention,
            causes: Vec::new(),
        }
    }

    /// Fills in what the lead's visits came to; a next step past due as of `today` makes the
    /// lead overdue too (`model::due`).
    pub fn take(&mut self, facts: Facts, today: NaiveDate) {
        self.latest_finding = facts.finding;
        self.evidence = facts.evidence();
        self.paid_yuan = facts.paid_yuan;
        self.causes = facts.causes();
        (self.next, self.due) = facts.next.map_or((None, None), |n| (Some(n.text), n.due));
        self.overdue |= crate::model::due::next_step_late(self.status, self.due, today);
    }
}

impl Report {
    /// The report of `rows` (in ledger order) with its totals.
    pub fn of(rows: Vec<Row>) -> Report {
        let mut by_district: BTreeMap<String, Totals> = BTreeMap::new();
        for row in &rows {
            let t = by_district.entry(row.district.clone()).or_default();
            t.leads += 1;
            t.amount_yuan += row.amount_yuan.unwrap_or(0);
            t.paid_yuan += row.paid_yuan.unwrap_or(0);
        }
        let by_status = Status::ALL
            .iter()
            .map(|s| (*s, rows.iter().filter(|r| r.status == *s).count()))
            .collect();
        let causes = Cause::ALL
            .iter()
            .map(|c| (*c, rows.iter().filter(|r| r.causes.contains(c)).count()))
            .collect();
        Report {
            rows,
            by_district,
            by_status,
            causes,
        }
    }
}

fn headers(lang: Lang) -> [&'static str; 14] {
    [
        lang.pick("编号", "id"),
        lang.pick("债权人", "creditor"),
        lang.pick("债务人", "debtor"),
        lang.pick("属地", "district"),
        lang.pick("金额（万元）", "amount (10k yuan)"),
        lang.pick("状态", "status"),
        lang.pick("最新核查结果", "latest finding"),
        lang.pick("证据数", "evidence"),
        lang.pick("已偿还（万元）", "paid (10k yuan)"),
        lang.pick("下一步措施", "next action"),
        lang.pick("期限", "due"),
        lang.pick("逾期", "overdue"),
        lang.pick("需关注", "attention"),
        lang.pick("系统性原因", "systemic causes"),
    ]
}

/// A row's cells, borrowing its text: a million rows are written without copying it.
fn cells(row: &Row, lang: Lang) -> [Cow<'_, str>; 14] {
    let wan = |v: Option<i64>| v.map_or(Cow::Borrowed(""), |v| Cow::Owned(format_wan(v)));
    let yes = |b: bool| Cow::Borrowed(if b { lang.pick("是", "yes") } else { "" });
    let causes = match row.causes.as_slice() {
        [] => Cow::Borrowed(""),
        [one] => Cow::Borrowed(one.label(lang)),
        many => Cow::Owned(
            many.iter()
                .map(|c| c.label(lang))
                .collect::<Vec<_>>()
                .join("、"),
        ),
    };
    [
        Cow::Borrowed(row.id.as_str()),
        Cow::Borrowed(row.creditor.as_str()),
        Cow::Borrowed(row.debtor.as_deref().unwrap_or_default()),
        Cow::Borrowed(row.district.as_str()),
        wan(row.amount_yuan),
        Cow::Borrowed(row.status.label(lang)),
        Cow::Borrowed(row.latest_finding.map_or("", |f| f.label(lang))),
        Cow::Owned(row.evidence.to_string()),
        wan(row.paid_yuan),
        Cow::Borrowed(row.next.as_deref().unwrap_or_default()),
        row.due
            .map_or(Cow::Borrowed(""), |d| Cow::Owned(d.to_string())),
        yes(row.overdue),
        yes(row.attention),
        causes,
    ]
}

/// The totals as (title, header, rows) tables, shared by every format.
fn summaries(report: &Report, lang: Lang) -> Vec<(String, Vec<String>, Vec<Vec<String>>)> {
    let district = report
        .by_district
        .iter()
        .map(|(d, t)| {
            vec![
                d.clone(),
                t.leads.to_string(),
                format_wan(t.amount_yuan),
                format_wan(t.paid_yuan),
            ]
        })
        .collect();
    let status = report
        .by_status
        .iter()
        .map(|(s, n)| vec![s.label(lang).to_string(), n.to_string()])
        .collect();
    let causes = report
        .causes
        .iter()
        .map(|(c, n)| vec![c.label(lang).to_string(), n.to_string()])
        .collect();
    let h = |names: &[&str]| names.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        (
            lang.pick("按属地合计", "Totals by district").into(),
            h(&[
                lang.pick("属地", "district"),
                lang.pick("线索数", "leads"),
                lang.pick("金额（万元）", "amount (10k yuan)"),
                lang.pick("已偿还（万元）", "paid (10k yuan)"),
            ]),
            district,
        ),
        (
            lang.pick("按状态合计", "Totals by status").into(),
            h(&[lang.pick("状态", "status"), lang.pick("线索数", "leads")]),
            status,
        ),
        (
            lang.pick("系统性原因（举一反三）", "Systemic causes")
                .into(),
            h(&[lang.pick("原因", "cause"), lang.pick("线索数", "leads")]),
            causes,
        ),
    ]
}

fn md_header(header: &[String], out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "| {} |\n|{}|",
        header.join(" | "),
        vec!["---"; header.len()].join("|")
    )
}

fn md_row<S: AsRef<str>>(row: &[S], out: &mut dyn Write) -> io::Result<()> {
    let esc = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let cells: Vec<String> = row.iter().map(|c| esc(c.as_ref())).collect();
    writeln!(out, "| {} |", cells.join(" | "))
}

/// The report as Markdown, written row by row.
pub fn markdown(
    report: &Report,
    lang: Lang,
    today: NaiveDate,
    out: &mut dyn Write,
) -> io::Result<()> {
    let header: Vec<String> = headers(lang).iter().map(|s| s.to_string()).collect();
    write!(
        out,
        "# {}（{today}）\n\n",
        lang.pick("问题线索台账", "Ledger of leads")
    )?;
    md_header(&header, out)?;
    for row in &report.rows {
        md_row(&cells(row, lang), out)?;
    }
    for (title, header, rows) in summaries(report, lang) {
        write!(out, "\n## {title}\n\n")?;
        md_header(&header, out)?;
        for row in rows {
            md_row(&row, out)?;
        }
    }
    Ok(())
}

/// CSV with a UTF-8 byte-order mark, so Excel and WPS read the Chinese text.
pub fn csv(report: &Report, lang: Lang, meter: &mut Meter, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut writer = csv::WriterBuilder::new().flexible(true).from_writer(out);
    writer.write_record(headers(lang)).map_err(io_error)?;
    for row in &report.rows {
        writer
            .write_record(cells(row, lang).iter().map(|c| c.as_bytes()))
            .map_err(io_error)?;
        meter.add(1);
    }
    for (title, header, rows) in summaries(report, lang) {
        writer.write_record([""]).map_err(io_error)?;
        writer.write_record([title]).map_err(io_error)?;
        writer.write_record(&header).map_err(io_error)?;
        for row in rows {
            writer.write_record(&row).map_err(io_error)?;
        }
    }
    writer.flush()
}

/// The writer's own error when it is one (a closed pipe, a full disk keep their kind).
fn io_error(e: csv::Error) -> io::Error {
    let text = e.to_string();
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        _ => io::Error::other(text),
    }
}

/// The most rows of leads a worksheet holds: Excel's 1,048,576 rows less the header.
pub const XLSX_MAX_ROWS: usize = 1_048_575;

/// Refuses more rows of leads than a worksheet holds, before anything is written.
pub fn fits_a_worksheet(rows: usize) -> Result<()> {
    if rows > XLSX_MAX_ROWS {
        return Err(Error::TooManyRows {
            rows,
            limit: XLSX_MAX_ROWS,
        });
    }
    Ok(())
}

/// An xlsx workbook: the ledger (header row frozen, columns sized) and a sheet of totals. The
/// ledger is written in rust_xlsxwriter's constant-memory mode (each row goes to a temporary
/// file as it is written), so a nation's report does not hold a million rows of cells. A report
/// with more rows than a worksheet holds is refused by `fits_a_worksheet` before this.
pub fn xlsx(report: &Report, lang: Lang, meter: &mut Meter, out: &mut dyn Write) -> io::Result<()> {
    use rust_xlsxwriter::{Format, Workbook, XlsxError};
    // A full disk (the constant-memory rows go to temporary files) keeps its kind.
    let fail = |e: XlsxError| match e {
        XlsxError::IoError(e) => e,
        e => io::Error::other(e.to_string()),
    };
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let ledger = book.add_worksheet_with_constant_memory().map_err(fail)?;
    ledger.set_name(lang.pick("台账", "Ledger")).map_err(fail)?;
    // One width per column: the array's type makes the compiler count them.
    let widths: [f64; 14] = [
        22.0, 30.0, 20.0, 10.0, 12.0, 14.0, 20.0, 8.0, 12.0, 30.0, 12.0, 6.0, 8.0, 20.0,
    ];
    for (col, (title, width)) in headers(lang).iter().zip(widths).enumerate() {
        let col = u16::try_from(col).unwrap_or(u16::MAX);
        ledger
            .write_string_with_format(0, col, *title, &bold)
            .map_err(fail)?;
        ledger.set_column_width(col, width).map_err(fail)?;
    }
    ledger.set_freeze_panes(1, 0).map_err(fail)?;
    // Amounts and counts as numbers, so they can be summed.
    const NUMBERS: [usize; 3] = [4, 7, 8];
    for (r, row) in report.rows.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (col, value) in cells(row, lang).iter().enumerate() {
            let c = u16::try_from(col).unwrap_or(u16::MAX);
            match value.parse::<f64>() {
                Ok(n) if NUMBERS.contains(&col) => ledger.write_number(r, c, n).map_err(fail)?,
                _ => ledger.write_string(r, c, value.as_ref()).map_err(fail)?,
            };
        }
        meter.add(1);
    }
    let totals = book.add_worksheet();
    totals.set_name(lang.pick("合计", "Totals")).map_err(fail)?;
    totals.set_column_width(0, 24.0).map_err(fail)?;
    let mut r: u32 = 0;
    for (title, header, rows) in summaries(report, lang) {
        totals
            .write_string_with_format(r, 0, &title, &bold)
            .map_err(fail)?;
        r += 1;
        for (col, h) in header.iter().enumerate() {
            totals
                .write_string_with_format(r, u16::try_from(col).unwrap_or(0), h, &bold)
                .map_err(fail)?;
        }
        r += 1;
        for row in rows {
            for (col, value) in row.iter().enumerate() {
                totals
                    .write_string(r, u16::try_from(col).unwrap_or(0), value)
                    .map_err(fail)?;
            }
            r += 1;
        }
        r += 1;
    }
    // Zipped in memory (a nation's is about 50 MB): a zip that fails half written to its
    // file complains on standard error as it is dropped.
    let bytes = book.save_to_buffer().map_err(fail)?;
    out.write_all(&bytes)
}

#[cfg(test)]
mod tests {
    use super::mask;

    #[test]
    fn a_worksheet_takes_excels_rows_less_the_header_and_no_more() {
        assert!(super::fits_a_worksheet(super::XLSX_MAX_ROWS).is_ok());
        let refused = super::fits_a_worksheet(super::XLSX_MAX_ROWS + 1).unwrap_err();
        let text = refused.message(crate::i18n::Lang::En);
        assert!(
            text.contains("1048575") && text.contains("--district"),
            "{text}"
        );
        assert_eq!(
            super::XLSX_MAX_ROWS + 1,
            1 << 20,
            "Excel's row limit, header included"
        );
    }

    #[test]
    fn confidential_creditors_keep_their_province_and_two_characters() {
        assert_eq!(mask("重庆安宝清洁服务有限公司"), "重庆安宝********");
        assert_eq!(mask("绵阳长虹配件厂"), "绵阳*****");
        assert_eq!(mask("甲"), "甲");
    }
}

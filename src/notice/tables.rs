//! What a table means, found from its header row: a channel directory (序号 / 省份 or
//! 区县（部门） / 电话 / 邮箱 / 网址 / 备注) or a list of leads (序号 / 债权人名称 / 债务人名称 /
//! 问题归属 / 欠款金额（万元） / 事项). Columns may come in any order; optional ones may be absent.

use std::collections::HashSet;

use chrono::NaiveDate;

use super::layout::{Cell, Row, Table};
use crate::error::NoticeProblem;
use crate::model::amount::{YUAN_PER_WAN, parse_amount};
use crate::model::phone::normalize_dashes;
use crate::model::{Channel, Lead, LeadKind, Phone, Scope, Status, is_empty_mark};

/// A problem and the line it is on.
pub type Located = (usize, NoticeProblem);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Seq,
    Name(Scope),
    Phones,
    Emails,
    Urls,
    Remarks,
    Creditor,
    Debtor,
    District,
    /// Amount, with the yuan one unit is worth (万元 → 10,000).
    Amount(i64),
    Matter,
    Other,
}

fn column_of(cell: &Cell) -> Column {
    let name: String = cell
        .joined()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let starts = |p: &str| name.starts_with(p);
    if name == "序号" {
        Column::Seq
    } else if starts("省份") || starts("省（区、市）") || starts("省区市") {
        Column::Name(Scope::National)
    } else if ["区县", "市（州）", "市州", "地区", "单位", "部门", "名称"]
        .iter()
        .any(|p| starts(p))
    {
        Column::Name(Scope::Chongqing)
    } else if name.contains("电话") {
        Column::Phones
    } else if name.contains("邮箱") {
        Column::Emails
    } else if starts("网址") || starts("网站") {
        Column::Urls
    } else if starts("备注") {
        Column::Remarks
    } else if starts("债权人") {
        Column::Creditor
    } else if starts("债务人") {
        Column::Debtor
    } else if starts("问题归属") || starts("属地") {
        Column::District
    } else if starts("欠款金额") || starts("金额") {
        let unit = if name.contains("万元") {
            YUAN_PER_WAN
        } else {
            1
        };
        Column::Amount(unit)
    } else if starts("事项") || starts("问题描述") {
        Column::Matter
    } else {
        Column::Other
    }
}

/// A table recognised by its header.
pub enum Kind {
    Channels,
    Leads,
}

/// The header's columns, in order, once the table is known to be one of ours.
pub struct Header {
    columns: Vec<Column>,
    pub kind: Kind,
}

/// Reads a header row; `None` when it is not a table fieldcheck knows (it is then ignored).
pub fn header(table: &Table) -> Result<Option<Header>, Located> {
    let columns: Vec<Column> = table.header.cells.iter().map(column_of).collect();
    let has = |c: Column| columns.contains(&c);
    let line = table.header.line;
    if !has(Column::Seq) {
        return Ok(None);
    }
    let name = columns.iter().any(|c| matches!(c, Column::Name(_)));
    let kind = if has(Column::Creditor) {
        if !has(Column::District) {
            return Err((
                line,
                NoticeProblem::MissingColumn {
                    column: "问题归属"
                },
            ));
        }
        Kind::Leads
    } else if name {
        if !has(Column::Phones) {
            return Err((line, NoticeProblem::MissingColumn { column: "电话" }));
        }
        Kind::Channels
    } else {
        return Ok(None);
    };
    Ok(Some(Header { columns, kind }))
}

/// Checks the shape of every row and its 序号: right cell count, a number, no repeats.
fn rows<'a>(table: &'a Table, header: &Header) -> Result<Vec<(u32, &'a Row)>, Located> {
    let mut seen = HashSet::new();
    let seq_col = header
        .columns
        .iter()
        .position(|c| *c == Column::Seq)
        .unwrap_or(0);
    table
        .rows
        .iter()
        .map(|row| {
            if row.cells.len() != header.columns.len() {
                let problem = NoticeProblem::CellCount {
                    expected: header.columns.len(),
                    found: row.cells.len(),
                };
                return Err((row.line, problem));
            }
            let cell = &row.cells[seq_col];
            let text = cell.joined();
            let seq: u32 = text
                .parse()
                .map_err(|_| (cell.line, NoticeProblem::BadSeq { text }))?;
            if !seen.insert(seq) {
                return Err((cell.line, NoticeProblem::DuplicateSeq { seq }));
            }
            Ok((seq, row))
        })
        .collect()
}

fn cell<'a>(header: &Header, row: &'a Row, want: Column) -> Option<&'a Cell> {
    header
        .columns
        .iter()
        .position(|c| *c == want)
        .map(|i| &row.cells[i])
}

fn lines(cell: Option<&Cell>) -> &[String] {
    cell.map(|c| c.lines.as_slice()).unwrap_or_default()
}

/// Keeps the first of equal items, in order.
fn unique<T: PartialEq>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut out = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// Splits a cell into items on line breaks and list separators, dropping empty marks.
fn items(cell: Option<&Cell>) -> Vec<String> {
    unique(
        lines(cell)
            .iter()
            .flat_map(|line| line.split(['，', ',', '；', ';', '、', ' ', '\u{3000}']))
            .map(normalize_dashes)
            .filter(|item| !is_empty_mark(item)),
    )
}

const FAX_MARKS: [&str; 4] = ["（传真）", "(传真)", "传真：", "传真:"];

/// Phone cells: one number per line or separated by `、`/`，`; `（传真）` marks the number
/// before it (or on its own line after it) as a fax. A number listed once as phone and once as
/// fax keeps both roles.
fn phones(cell: Option<&Cell>) -> Vec<Phone> {
    let mut out: Vec<Phone> = Vec::new();
    for line in lines(cell) {
        for part in line.split(['，', ',', '；', ';', '、']) {
            let mut text = part.trim().to_string();
            let mut fax = false;
            for mark in FAX_MARKS {
                if text.contains(mark) {
                    fax = true;
                    text = text.replace(mark, "");
                }
            }
            let number = normalize_dashes(&text);
            if is_empty_mark(&number) {
                if fax && let Some(last) = out.last_mut() {
                    last.fax = true;
                }
                continue;
            }
            out.push(Phone { number, fax });
        }
    }
    unique(out)
}

fn remarks(cell: Option<&Cell>) -> Vec<String> {
    unique(
        lines(cell)
            .iter()
            .map(|line| line.trim().to_string())
            .filter(|line| !is_empty_mark(line)),
    )
}

fn required(cell: Option<&Cell>, column: &'static str, line: usize) -> Result<String, Located> {
    let text = cell.map(Cell::joined).unwrap_or_default();
    if is_empty_mark(&text) {
        return Err((
            cell.map_or(line, |c| c.line),
            NoticeProblem::EmptyCell { column },
        ));
    }
    Ok(text)
}

/// The rows of a channel table.
pub fn channels(
    table: &Table,
    header: &Header,
    prefix: &str,
    notice: &str,
) -> Result<Vec<Channel>, Located> {
    let scope = header
        .columns
        .iter()
        .find_map(|c| match c {
            Column::Name(s) => Some(*s),
            _ => None,
        })
        .unwrap_or(Scope::Chongqing);
    rows(table, header)?
        .into_iter()
        .map(|(seq, row)| {
            let name = required(cell(header, row, Column::Name(scope)), "名称", row.line)?;
            Ok(Channel {
                id: format!("{prefix}/{seq}"),
                scope,
                seq,
                name,
                phones: phones(cell(header, row, Column::Phones)),
                emails: items(cell(header, row, Column::Emails)),
                urls: items(cell(header, row, Column::Urls)),
                remarks: remarks(cell(header, row, Column::Remarks)),
                notice: notice.to_string(),
            })
        })
        .collect()
}

/// The rows of a lead table; each lead's deadline is the notice's feedback deadline.
pub fn leads(
    table: &Table,
    header: &Header,
    prefix: &str,
    notice: &str,
    deadline: Option<NaiveDate>,
) -> Result<Vec<Lead>, Located> {
    let amount_col = header
        .columns
        .iter()
        .copied()
        .find(|c| matches!(c, Column::Amount(_)));
    rows(table, header)?
        .into_iter()
        .map(|(seq, row)| {
            let creditor = required(cell(header, row, Column::Creditor), "债权人名称", row.line)?;
            let district = required(cell(header, row, Column::District), "问题归属", row.line)?;
            let debtor = cell(header, row, Column::Debtor)
                .map(Cell::joined)
                .filter(|d| !is_empty_mark(d));
            let amount_yuan = match amount_col {
                Some(col @ Column::Amount(unit)) => {
                    let c = cell(header, row, col);
                    let text = c.map(Cell::joined).unwrap_or_default();
                    parse_amount(&text, unit).map_err(|why| {
                        (
                            c.map_or(row.line, |c| c.line),
                            NoticeProblem::BadAmount { text, why },
                        )
                    })?
                }
                _ => None,
            };
            let matter = cell(header, row, Column::Matter)
                .map(|c| c.lines.join("\n"))
                .unwrap_or_default();
            Ok(Lead {
                id: format!("{prefix}/{seq}"),
                seq,
                creditor,
                debtor,
                district,
                amount_yuan,
                matter,
                deadline,
                status: Status::New,
                supervised: false,
                confidential: false,
                notice: notice.to_string(),
                assignee: None,
                // A table with an amount column lists arrears (清欠); one without, burdens (减负).
                kind: if amount_col.is_some() {
                    LeadKind::Arrears
                } else {
                    LeadKind::Burden
                },
                attention: false,
                contact: None,
                phone: None,
            })
        })
        .collect()
}

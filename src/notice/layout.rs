//! The text layout of a notice (DESIGN.md): table cells start with a tab; a cell continues on
//! lines without a tab; a blank line followed by a tab line starts a new row; an `附件N` heading,
//! a new `序号` header, or two blank lines after a complete row end the table.

/// One cell: its first line number (1-based) and its non-blank lines, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub line: usize,
    pub lines: Vec<String>,
}

impl Cell {
    /// The cell's lines joined without separator, for one-line values such as names.
    pub fn joined(&self) -> String {
        self.lines.concat()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub line: usize,
    pub cells: Vec<Cell>,
}

/// A tab-led table: its header row, its rows, and the `附件N` heading it stands under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub attachment: Option<u32>,
    pub header: Row,
    pub rows: Vec<Row>,
}

/// The notice split into its body (lines outside tables, with their numbers) and its tables.
#[derive(Debug, Default)]
pub struct Layout {
    pub body: Vec<(usize, String)>,
    pub tables: Vec<Table>,
}

/// `附件3` alone on a line (not `附件：1.…` in the body).
pub fn attachment_heading(line: &str) -> Option<u32> {
    let rest = line.trim().strip_prefix("附件")?.trim();
    rest.parse().ok()
}

/// Splits text into body lines and tables. Never fails: what the tables mean is checked later.
pub fn scan(text: &str) -> Layout {
    let mut layout = Layout::default();
    let mut table: Option<Table> = None;
    let mut heading: Option<u32> = None;
    let mut blanks = 0usize;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text
        .lines()
        .map(|raw| raw.strip_suffix('\r').unwrap_or(raw))
        .collect();
    for (index, &line) in lines.iter().enumerate() {
        let number = index + 1;
        if let Some(cell_text) = line.strip_prefix('\t') {
            let cell = new_cell(number, cell_text);
            match table.as_mut() {
                None => table = Some(new_table(heading, number, cell)),
                Some(t) if cell.joined() == "序号" && (blanks > 0 || !t.rows.is_empty()) => {
                    // A new header: the next table starts, even without a blank line before it.
                    layout.tables.extend(table.take());
                    table = Some(new_table(heading, number, cell));
                }
                Some(t) if blanks > 0 => t.rows.push(Row {
                    line: number,
                    cells: vec![cell],
                }),
                Some(t) => current_row(t).cells.push(cell),
            }
            blanks = 0;
        } else if line.trim().is_empty() {
            blanks += 1;
        } else {
            if let Some(t) = table.as_mut() {
                if !ends_table(t, blanks, line, &lines[index + 1..]) {
                    if let Some(cell) = current_row(t).cells.last_mut() {
                        cell.lines.push(line.trim().to_string());
                    }
                    blanks = 0;
                    continue;
                }
                layout.tables.extend(table.take());
            }
            if let Some(n) = attachment_heading(line) {
                heading = Some(n);
            }
            layout.body.push((number, line.trim_end().to_string()));
            blanks = 0;
        }
    }
    layout.tables.extend(table);
    layout
}

/// Does this non-tab line end the table? An `附件N` heading does; inside an incomplete row, or
/// right after a cell line, it continues the cell. After a complete row and one blank line, a
/// phone, e-mail, URL or fax mark continues the last cell, and other text does only when another
/// row of the table follows; after two blank lines the table has ended.
fn ends_table(table: &Table, blanks: usize, line: &str, rest: &[&str]) -> bool {
    if attachment_heading(line).is_some() {
        return true;
    }
    if !row_complete(table) || blanks == 0 {
        return false;
    }
    if blanks >= 2 {
        return true;
    }
    !(looks_like_list_item(line) || next_row_follows(rest))
}

/// A line that can only belong to a phone, e-mail or URL cell.
fn looks_like_list_item(line: &str) -> bool {
    let text = line.trim();
    let bare = text
        .replace("（传真）", "")
        .replace("(传真)", "")
        .replace("传真", "");
    if bare.trim().is_empty() {
        return !text.is_empty();
    }
    let phone = bare.chars().all(|c| {
        c.is_ascii_digit()
            || ('０'..='９').contains(&c)
            || crate::model::phone::is_dash(c)
            || " ()（）+转".contains(c)
    });
    let email = bare.contains('@') && !bare.contains(char::is_whitespace);
    let url = bare.starts_with("http") || bare.starts_with("www.");
    phone || email || url
}

/// Is the next tab line the first cell (a 序号) of another row, with no heading before it?
fn next_row_follows(rest: &[&str]) -> bool {
    for line in rest {
        if let Some(cell) = line.strip_prefix('\t') {
            return cell.trim().parse::<u32>().is_ok();
        }
        if attachment_heading(line).is_some() {
            return false;
        }
    }
    false
}

fn new_table(attachment: Option<u32>, line: usize, first: Cell) -> Table {
    Table {
        attachment,
        header: Row {
            line,
            cells: vec![first],
        },
        rows: Vec::new(),
    }
}

fn new_cell(line: usize, text: &str) -> Cell {
    let text = text.trim();
    Cell {
        line,
        lines: if text.is_empty() {
            Vec::new()
        } else {
            vec![text.to_string()]
        },
    }
}

fn current_row(table: &mut Table) -> &mut Row {
    let Table { header, rows, .. } = table;
    rows.last_mut().unwrap_or(header)
}

/// Has the row being read as many cells as the header (so a non-tab line may end the table)?
fn row_complete(table: &Table) -> bool {
    table
        .rows
        .last()
        .is_none_or(|row| row.cells.len() >= table.header.cells.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_rows_and_multiline_cells() {
        let text = "附件1\n\n标题\n\t序号\n\t名称\n（说明）\n\t电话\n\n\t1\n\t甲\n\t010—1\n\n010—2\n\n（传真）\n\n\t2\n\t乙\n\t—\n\n\n附件2\n";
        let layout = scan(text);
        assert_eq!(layout.tables.len(), 1);
        let t = &layout.tables[0];
        assert_eq!(t.attachment, Some(1));
        assert_eq!(t.header.cells.len(), 3);
        assert_eq!(t.header.cells[1].lines, ["名称", "（说明）"]);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].cells[2].lines, ["010—1", "010—2", "（传真）"]);
        assert_eq!(t.rows[1].line, 17);
        assert_eq!(
            layout.body.last().map(|(n, l)| (*n, l.as_str())),
            Some((22, "附件2"))
        );
    }

    #[test]
    fn a_note_after_the_last_row_is_not_part_of_the_table() {
        let layout = scan("\t序号\n\t事项\n\n\t1\n\t甲\n\n注：以核实为准。\n");
        assert_eq!(layout.tables[0].rows[0].cells[1].lines, ["甲"]);
        assert_eq!(layout.body[0].1, "注：以核实为准。");
    }

    #[test]
    fn a_second_paragraph_continues_when_another_row_follows() {
        let layout = scan("\t序号\n\t事项\n\n\t1\n\t甲\n\n乙\n\n\t2\n\t丙\n");
        let t = &layout.tables[0];
        assert_eq!(t.rows[0].cells[1].lines, ["甲", "乙"]);
        assert_eq!(t.rows.len(), 2);
    }

    #[test]
    fn phones_continue_the_last_cell_after_a_blank_line() {
        let layout = scan("\t序号\n\t电话\n\n\t1\n\t010—1\n\n010—2\n\n（传真）\n");
        assert_eq!(
            layout.tables[0].rows[0].cells[1].lines,
            ["010—1", "010—2", "（传真）"]
        );
    }

    #[test]
    fn empty_cells_and_crlf() {
        let layout = scan("\t序号\r\n\t备注\r\n\r\n\t1\r\n\t\r\n");
        let t = &layout.tables[0];
        assert_eq!(t.rows[0].cells.len(), 2);
        assert!(t.rows[0].cells[1].lines.is_empty());
    }
}

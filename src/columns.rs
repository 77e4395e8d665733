//! A listing laid out in columns, padded to each column's widest cell (in terminal cells: CJK
//! characters take two), kept compactly while it is read and then written in any order: a
//! million rows are one string and one offset each, never a `Vec<String>` per row.

use std::io::{self, Write};

use crate::text::width;

/// Between two cells of a row in `text`; a cell never holds it (it is a control character).
const SEP: char = '\u{1f}';

#[derive(Debug, Clone, Default)]
pub struct Columns {
    header: Vec<String>,
    widths: Vec<usize>,
    /// Every row's cells, separated by `SEP`, rows one after another.
    text: String,
    /// Where each row ends in `text`.
    ends: Vec<usize>,
}

impl Columns {
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| h.to_string()).collect(),
            widths: header.iter().map(|h| width(h)).collect(),
            text: String::new(),
            ends: Vec::new(),
        }
    }

    /// Adds a row; its number (0, 1, …) is what `write` takes.
    pub fn push<S: AsRef<str>>(&mut self, cells: &[S]) -> usize {
        for (i, cell) in cells.iter().enumerate() {
            let cell = cell.as_ref();
            if i > 0 {
                self.text.push(SEP);
            }
            if cell.contains(SEP) {
                self.text.push_str(&cell.replace(SEP, " "));
            } else {
                self.text.push_str(cell);
            }
            if let Some(w) = self.widths.get_mut(i) {
                *w = (*w).max(width(cell));
            }
        }
        self.ends.push(self.text.len());
        self.ends.len() - 1
    }

    /// Adds `other`'s rows after these (the same header).
    pub fn append(&mut self, other: Columns) {
        let offset = self.text.len();
        self.text.push_str(&other.text);
        self.ends.extend(other.ends.iter().map(|end| end + offset));
        for (w, o) in self.widths.iter_mut().zip(other.widths) {
            *w = (*w).max(o);
        }
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The cells of row `row`.
    pub fn row(&self, row: usize) -> impl Iterator<Item = &str> {
        let start = if row == 0 { 0 } else { self.ends[row - 1] };
        self.text[start..self.ends[row]].split(SEP)
    }

    /// The header, then the rows in `order`, each followed by its cell in `extra` (the last
    /// column, which is not padded, so it may be known only once every row is read).
    pub fn write<'a>(
        &self,
        out: &mut dyn Write,
        order: impl IntoIterator<Item = (usize, &'a str)>,
    ) -> io::Result<()> {
        let mut line = String::new();
        self.line(&mut line, self.header.iter().map(String::as_str));
        out.write_all(line.as_bytes())?;
        for (row, extra) in order {
            self.line(&mut line, self.row(row).chain(std::iter::once(extra)));
            out.write_all(line.as_bytes())?;
        }
        Ok(())
    }

    /// The whole listing in row order, as text.
    pub fn text(&self) -> String {
        let mut out = Vec::new();
        // Writing to memory cannot fail.
        let _ = self.write(&mut out, (0..self.len()).map(|r| (r, "")));
        String::from_utf8_lossy(&out).into_owned()
    }

    /// One line: every cell but the last padded to its column, ends trimmed.
    fn line<'a>(&self, line: &mut String, cells: impl Iterator<Item = &'a str>) {
        line.clear();
        let cells: Vec<&str> = cells.collect();
        // The header's count: a row's `extra` cell is the header's last.
        let last = self.header.len().max(1) - 1;
        for (i, cell) in cells.iter().enumerate().take(self.header.len().max(1)) {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            if i != last && i != cells.len() - 1 {
                let cells = self.widths[i].saturating_sub(width(cell));
                line.extend(std::iter::repeat_n(' ', cells));
            }
        }
        line.truncate(line.trim_end().len());
        line.push('\n');
    }
}

/// `rows` under `header`, laid out (the last column is not padded).
pub fn columns(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut table = Columns::new(header);
    for row in rows {
        table.push(row);
    }
    table.text()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_align_by_cells_in_the_order_asked() {
        let mut table = Columns::new(&["名称", "电话", ""]);
        let a = table.push(&["北碚区", "1"]);
        let b = table.push(&["ab", "2"]);
        let mut out = Vec::new();
        table.write(&mut out, [(b, "已更正"), (a, "")]).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines, ["名称    电话", "ab      2     已更正", "北碚区  1"]);
    }

    #[test]
    fn appended_rows_follow_with_the_widest_cells() {
        let mut front = Columns::new(&["a", "b"]);
        front.push(&["x", "1"]);
        let mut back = Columns::new(&["a", "b"]);
        back.push(&["北碚区", "2"]);
        back.push(&["", "3"]);
        front.append(back);
        assert_eq!(front.len(), 3);
        assert_eq!(front.row(1).collect::<Vec<_>>(), ["北碚区", "2"]);
        assert_eq!(front.text(), "a       b\nx       1\n北碚区  2\n        3\n");
    }

    #[test]
    fn a_cell_holding_the_separator_stays_one_cell() {
        let mut table = Columns::new(&["a", "b"]);
        table.push(&["x\u{1f}y", "z"]);
        assert_eq!(table.row(0).collect::<Vec<_>>(), ["x y", "z"]);
        assert_eq!(table.text(), "a    b\nx y  z\n");
    }
}

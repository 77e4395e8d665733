//! A listing laid out in columns, padded to each column's widest cell (in terminal cells: CJK
//! characters take two), kept compactly while it is read and then written in any order: a
//! million rows are their text and one offset each, never a `Vec<String>` per row.

use std::io::{self, Write};

use crate::text::width;

/// Between two cells of a row; a cell never holds it (it is a control character).
const SEP: char = '\u{1f}';

/// The text is kept in chunks of about this many bytes: two halves read apart join without
/// copying either (a copy would hold both twice at its peak), and the text grows without
/// moving what it holds.
const CHUNK: usize = 1 << 20;

#[derive(Debug, Clone, Default)]
pub struct Columns {
    header: Vec<String>,
    widths: Vec<usize>,
    /// Every row's cells, separated by `SEP`, rows one after another; a row never spans two.
    chunks: Vec<String>,
    /// Each row's chunk and where it ends there (it starts where the row before it ended, or
    /// at the chunk's start).
    rows: Vec<(u32, u32)>,
}

impl Columns {
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| h.to_string()).collect(),
            widths: header.iter().map(|h| width(h)).collect(),
            chunks: Vec::new(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; its number (0, 1, …) is what `write` takes. (A row's text is far below the
    /// 4 GiB an offset holds: a record is at most a bundle's 256 MB.)
    pub fn push<S: AsRef<str>>(&mut self, cells: &[S]) -> usize {
        let len: usize = cells.iter().map(|c| c.as_ref().len() + 1).sum();
        let room = self.chunks.last().map_or(0, |c| c.capacity() - c.len());
        if self.chunks.is_empty() || room < len {
            self.chunks.push(String::with_capacity(CHUNK.max(len)));
        }
        let chunk = self.chunks.len() - 1;
        let text = &mut self.chunks[chunk];
        for (i, cell) in cells.iter().enumerate() {
            let cell = cell.as_ref();
            if i > 0 {
                text.push(SEP);
            }
            if cell.contains(SEP) {
                text.push_str(&cell.replace(SEP, " "));
            } else {
                text.push_str(cell);
            }
            if let Some(w) = self.widths.get_mut(i) {
                *w = (*w).max(width(cell));
            }
        }
        let end = u32::try_from(text.len()).unwrap_or(u32::MAX);
        self.rows
            .push((u32::try_from(chunk).unwrap_or(u32::MAX), end));
        self.rows.len() - 1
    }

    /// Adds `other`'s rows after these (the same header), moving its text, not copying it.
    pub fn append(&mut self, other: Columns) {
        let offset = u32::try_from(self.chunks.len()).unwrap_or(u32::MAX);
        self.chunks.extend(other.chunks);
        self.rows
            .extend(other.rows.iter().map(|&(chunk, end)| (chunk + offset, end)));
        for (w, o) in self.widths.iter_mut().zip(other.widths) {
            *w = (*w).max(o);
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The cells of row `row`.
    pub fn row(&self, row: usize) -> impl Iterator<Item = &str> {
        let (chunk, end) = self.rows[row];
        let start = match row.checked_sub(1).map(|r| self.rows[r]) {
            Some((before, at)) if before == chunk => at as usize,
            _ => 0,
        };
        self.chunks[chunk as usize][start..end as usize].split(SEP)
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

    /// `write`, or the header and `none` when there are no rows.
    pub fn write_or<'a>(
        &self,
        out: &mut dyn Write,
        order: impl IntoIterator<Item = (usize, &'a str)>,
        none: &str,
    ) -> io::Result<()> {
        self.write(out, order)?;
        if self.is_empty() {
            out.write_all(none.as_bytes())?;
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
    fn rows_past_a_chunk_stay_whole() {
        let mut table = Columns::new(&["n", "text"]);
        let long = "长".repeat(40);
        let rows = 3 * CHUNK / long.len();
        for n in 0..rows {
            table.push(&[n.to_string(), long.clone()]);
        }
        let mut more = Columns::new(&["n", "text"]);
        more.push(&["x", "y"]);
        table.append(more);
        table.push::<&str>(&[]);
        assert!(table.chunks.len() >= 4);
        for n in 0..rows {
            assert_eq!(
                table.row(n).collect::<Vec<_>>(),
                [n.to_string(), long.clone()]
            );
        }
        assert_eq!(table.row(rows).collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(table.row(rows + 1).collect::<Vec<_>>(), [""]);
    }

    #[test]
    fn a_cell_holding_the_separator_stays_one_cell() {
        let mut table = Columns::new(&["a", "b"]);
        table.push(&["x\u{1f}y", "z"]);
        assert_eq!(table.row(0).collect::<Vec<_>>(), ["x y", "z"]);
        assert_eq!(table.text(), "a    b\nx y  z\n");
    }
}

//! One list of the app (leads, directory, visits): its query, search results and the window
//! that follows the selection.

use crate::search::FieldMatch;

/// A search result: the record's position in `State::leads` or `State::channels`, and what
/// matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    pub pos: usize,
    pub matches: Vec<FieldMatch>,
}

/// One list (leads or directory): its query, search results and selection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListView {
    pub query: String,
    /// The ranked results of `query`, once they arrive; `None` without a query.
    pub ranked: Option<Vec<SearchHit>>,
    /// Positions of the records shown, in order.
    pub rows: Vec<usize>,
    pub selected: usize,
    /// The first row shown: the window follows the selection.
    pub offset: usize,
    /// The search generation this list waits for.
    pub generation: u64,
}

impl ListView {
    /// Moves the window of `visible` rows so the selection is in it and no space is wasted.
    pub fn follow(&mut self, visible: usize) {
        let visible = visible.max(1);
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + visible {
            self.offset = self.selected + 1 - visible;
        }
        self.offset = self.offset.min(self.rows.len().saturating_sub(visible));
    }

    /// The records in the window of `visible` rows.
    pub fn window(&self, visible: usize) -> impl Iterator<Item = usize> + '_ {
        self.rows.iter().copied().skip(self.offset).take(visible)
    }

    /// The position of the selected record, if the list is not empty.
    pub fn current(&self) -> Option<usize> {
        self.rows.get(self.selected).copied()
    }

    /// What matched in a record shown (for highlighting).
    pub fn matches(&self, pos: usize) -> &[FieldMatch] {
        self.ranked
            .as_ref()
            .and_then(|r| r.iter().find(|h| h.pos == pos))
            .map_or(&[], |h| h.matches.as_slice())
    }
}

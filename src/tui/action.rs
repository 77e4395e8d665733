//! What a key (or a finished effect) asks the app to do.

use super::state::{SearchHit, Tab};
use crate::model::Lead;
use crate::sync::Change;

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Quit,
    NextTab,
    PrevTab,
    GoTab(Tab),
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    /// Enter on a list: move focus to the detail pane.
    FocusDetail,
    /// Esc (or Enter) in the detail pane: back to the list.
    Back,
    OpenSearch,
    SearchInput(char),
    SearchBackspace,
    /// Esc in the search line: clear the query, show everything.
    SearchClear,
    /// Enter in the search line: keep the filter, back to the list.
    SearchAccept,
    CycleFilter,
    CycleSort,
    /// `s`: pick a new state among those the rules allow.
    ChangeStatus,
    ToggleSupervised,
    ToggleConfidential,
    AssignToMe,
    PickConfirm,
    PickCancel,
    ToggleHelp,
    /// Results of a search run off the input path; ignored if a newer search was started.
    SearchDone {
        generation: u64,
        tab: Tab,
        hits: Vec<SearchHit>,
    },
    /// A lead field was saved (with its change, unless nothing changed).
    Saved {
        lead: Box<Lead>,
        change: Option<Box<Change>>,
    },
    /// An effect failed; the message is in the user's language.
    Failed(String),
    /// The terminal's new size: columns, rows.
    Resize(u16, u16),
}

//! What a key (or a finished effect) asks the app to do.

use ratatui::crossterm::event::KeyEvent;

use super::state::{SearchHit, SyncSnapshot, Tab};
use crate::model::form::Problem;
use crate::model::{Lead, VisitKind};
use crate::store::Finalized;
use crate::sync::Change;

pub use super::records::Records;

/// The outcome of a sync effect.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncDone {
    pub message: String,
    pub error: bool,
    pub snapshot: SyncSnapshot,
    /// The records again, when an import or a resolution changed them.
    pub reload: Option<Records>,
    /// An import refused because its packer is not trusted: whom to ask about.
    pub untrusted: Option<Untrusted>,
    /// The lead to show once the records are read again (a lead just recorded on site).
    pub select: Option<String>,
}

/// The packer of a bundle this store does not trust, as the refusal named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untrusted {
    /// The bundle, to import once its packer is trusted.
    pub path: String,
    pub key: String,
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// What the store gave for `Effect::Open` (only what was asked is `Some`).
    Opened(Box<super::state_visits::Opened>),
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
    /// Open the lead of the 今日 item selected.
    OpenItem,
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
    /// Show a confidential lead's creditor in full, or hide it again.
    Reveal,
    /// `C`: correct the lead's latest visit.
    CorrectVisit,
    /// `C` on the Visits tab: correct the selected visit (its lead's latest).
    CorrectSelected,
    /// `I`: open the identity screen.
    OpenSettings,
    /// `D` on a lead: its debtor and amount as found on site.
    EditFacts,
    /// `N` on the Leads tab: a new lead received on site.
    NewLead,
    SettingsNext,
    SettingsPrev,
    /// Ctrl-S (or Enter on the last field): check and save the names.
    SettingsSave,
    SettingsEsc,
    /// Any other key on the identity screen: typed into the field in focus.
    SettingsKey(KeyEvent),
    /// The names were saved: inspector, device, district (`None`: cleared).
    IdentitySaved {
        inspector: String,
        device: String,
        district: Option<String>,
    },
    /// `y` to the change asked about; any other key: leave it.
    ConfirmYes,
    ConfirmNo,
    AssignToMe,
    PickConfirm,
    PickCancel,
    /// `v`, `r`, `R` on a lead: a new visit of this kind (a revisit starts from the last visit).
    NewVisit(VisitKind),
    /// `d`: go on with the lead's draft.
    ResumeDraft,
    FormNext,
    FormPrev,
    FormLeft,
    FormRight,
    FormUp,
    FormDown,
    FormEnter,
    /// Ctrl-K in the evidence field: the next evidence kind for the current line.
    FormEvidenceKind,
    /// Ctrl-S: check every rule and, if none is broken, finalize.
    FormSave,
    /// Esc: ask before discarding.
    FormEsc,
    /// Any other key in the form: typed into the focused field (or answers the Esc question).
    FormKey(KeyEvent),
    /// Text pasted into the terminal (bracketed paste): typed into the search line, a form
    /// field or the path prompt; never read as keys.
    Paste(String),
    /// `e` on the Sync tab.
    Export,
    /// `i` on the Sync tab: ask for a bundle's path.
    OpenImport,
    PromptInput(char),
    PromptBackspace,
    /// Tab: complete to the next bundle in the folder.
    PromptComplete,
    PromptAccept,
    PromptCancel,
    /// `E`: ask for a folder (a USB stick) to export to.
    ExportTo,
    /// `K` on the Sync tab: this laptop's key in full and as a QR code; any of Esc, K, Enter,
    /// q closes it.
    ShowKey,
    CloseKey,
    /// On the question about an untrusted packer: the device's name typed, Tab (headquarters
    /// or not), Enter (trust and import), Esc (do not).
    TrustInput(char),
    TrustBackspace,
    TrustToggleHq,
    TrustAccept,
    TrustCancel,
    /// Enter on a conflict: show both values.
    OpenConflict,
    /// Keep this device's value (`m`) or the other one (`t`).
    KeepMine,
    KeepTheirs,
    /// A folder's bundles and subfolders (`name/`), for the path prompt: `dir` is the folder as
    /// the prompt spells it, ending in a separator. Opens the prompt at it, or completes in it.
    PromptReady {
        dir: String,
        files: Vec<String>,
    },
    /// The removable drives mounted, for the export prompt (F2 picks one).
    DrivesReady(Vec<String>),
    /// F2 in the export prompt: the next removable drive as the folder.
    PromptDrive,
    /// An export, import or resolution finished: what to say, and the state to show now.
    SyncDone(Box<SyncDone>),
    ToggleHelp,
    /// Results of a search run off the input path; ignored if a newer search was started.
    SearchDone {
        generation: u64,
        tab: Tab,
        hits: Vec<SearchHit>,
    },
    /// The records, read after the first frame was drawn.
    Loaded(Box<Records>),
    /// Reading them failed: what to say (in the user's language).
    LoadFailed(String),
    /// A lead field was saved (with its change, unless nothing changed).
    Saved {
        lead: Box<Lead>,
        change: Option<Box<Change>>,
    },
    /// An effect failed; the message is in the user's language.
    Failed(String),
    /// A visit was finalized.
    Finalized(Box<Finalized>),
    /// The store refused to finalize a visit.
    Rejected(Vec<Problem>),
    /// The terminal's new size: columns, rows.
    Resize(u16, u16),
    /// How far the long work under way has come (import, export, resolution).
    Progress(crate::progress::Step),
    /// The long work run off the UI thread finished with this action.
    WorkDone(Box<Action>),
}

impl Action {
    /// What finished, for the log (the results of work; a key's action is logged as a key).
    pub fn name(&self) -> &'static str {
        match self {
            Action::Loaded(_) => "records loaded",
            Action::LoadFailed(_) => "loading failed",
            Action::SearchDone { .. } => "search results",
            Action::SyncDone(_) => "sync done",
            Action::WorkDone(_) => "work done",
            Action::Progress(_) => "progress",
            Action::Saved { .. } => "saved",
            Action::Finalized(_) => "finalized",
            Action::Rejected(_) => "rejected",
            Action::PromptReady { .. } => "prompt ready",
            Action::DrivesReady(_) => "drives ready",
            Action::Failed(_) => "failed",
            Action::IdentitySaved { .. } => "identity saved",
            _ => "other",
        }
    }
}

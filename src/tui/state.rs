//! Everything the app shows, in one value. `update` changes it; views only read it.

use chrono::NaiveDate;

use crate::i18n::Lang;
use std::collections::HashMap;
use std::sync::Arc;

pub use super::busy::{Busy, Work};
use super::form::Form;
pub use super::lead_order::Sort;
use super::lead_order::{row_order, sort_lead_rows};
pub use super::list_view::{ListView, SearchHit};
use crate::model::form::VisitForm;
use crate::model::{Channel, Lead, Status, sort_by_id};

/// The smallest terminal the app draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tab {
    Leads,
    Directory,
    Visits,
    Sync,
    /// 今日: what is due today and this week.
    Agenda,
}

impl Tab {
    pub const ALL: [Tab; 5] = [
        Tab::Leads,
        Tab::Directory,
        Tab::Visits,
        Tab::Sync,
        Tab::Agenda,
    ];

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    pub fn title(self, lang: Lang) -> &'static str {
        match self {
            Tab::Leads => lang.pick("线索", "Leads"),
            Tab::Directory => lang.pick("名录", "Directory"),
            Tab::Visits => lang.pick("走访", "Visits"),
            Tab::Sync => lang.pick("同步", "Sync"),
            Tab::Agenda => lang.pick("今日", "Agenda"),
        }
    }
}

/// Where keys go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    List,
    Detail,
    Search,
    Help,
    PickStatus,
    /// Filling in a visit.
    Form,
    /// Typing a bundle's path to import.
    Prompt,
    /// Choosing which value of a conflict to keep.
    Resolve,
    /// A triage key asked for `y` before it changes a synced field (`State::asked`).
    Confirm,
    /// The identity screen (`State::settings`).
    Settings,
    /// This laptop's key shown in full, with its QR code.
    Key,
    /// Asking whether to trust the packer of a refused bundle (`State::trust`).
    Trust,
}

/// The question about a refused bundle's packer: its fingerprint shown, a name typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustAsk {
    pub who: super::action::Untrusted,
    pub name: String,
    /// Pin the packer as this store's headquarters.
    pub hq: bool,
}

/// A change of a lead's synced field waiting for `y`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    pub lead_id: String,
    pub field: crate::sync::LeadField,
    /// The mode to return to.
    pub return_to: Mode,
}

/// Which leads the list shows (`f`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    All,
    Overdue,
    Status(Status),
    MyDistrict,
}

impl Filter {
    /// All → overdue → each state → my district → all.
    pub fn next(self) -> Filter {
        match self {
            Filter::All => Filter::Overdue,
            Filter::Overdue => Filter::Status(Status::ALL[0]),
            Filter::Status(s) => {
                let i = Status::ALL.iter().position(|x| *x == s).unwrap_or(0);
                Status::ALL
                    .get(i + 1)
                    .map_or(Filter::MyDistrict, |n| Filter::Status(*n))
            }
            Filter::MyDistrict => Filter::All,
        }
    }

    pub fn label(self, lang: Lang) -> String {
        match self {
            Filter::All => lang.pick("全部", "all").into(),
            Filter::Overdue => lang.pick("逾期", "overdue").into(),
            Filter::Status(s) => s.label(lang).into(),
            Filter::MyDistrict => lang.pick("本辖区", "my district").into(),
        }
    }
}

/// The states the selected lead may be moved to, while the picker is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    pub lead: usize,
    pub options: Vec<Status>,
    pub selected: usize,
    /// The mode the picker was opened from.
    pub return_to: Mode,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub error: bool,
}

/// What the Sync tab shows, as read from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSnapshot {
    pub status: crate::store::SyncStatus,
    pub conflicts: Vec<crate::store::Conflict>,
    /// Per device, who wrote its changes as this store verified it (never a change's own claim).
    pub authors: std::collections::BTreeMap<String, String>,
    pub bundles_dir: String,
}

/// The path being typed for an import, with the bundles it can complete to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub text: String,
    /// The folder `candidates` were listed from, as typed (ending in a separator).
    pub listed: String,
    pub candidates: Vec<String>,
    /// How many times Tab was pressed in a row (which candidate it shows).
    pub cycle: usize,
    /// The path is where to export to (`E`), not a bundle to import.
    pub export: bool,
    /// What was typed before the first Tab: the candidates it starts.
    pub stem: String,
    /// The removable drives mounted (for an export), each ending in a separator.
    pub drives: Vec<String>,
}

/// Facts about the store shown in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    pub store: String,
    pub inspector: String,
    pub device: String,
    pub device_id: String,
    pub district: Option<String>,
    /// This laptop's peer key (what HQ's `trust add` takes) and its fingerprint.
    pub public_key: String,
    pub fingerprint: String,
}

/// The lead list without a search for one filter and sort, kept so that clearing a search or
/// changing one lead does not sort a million leads again.
#[derive(Debug, Clone)]
struct Plain {
    filter: Filter,
    sort: Sort,
    rows: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct State {
    pub lang: Lang,
    /// The injected clock: deadlines are compared with this date.
    pub today: NaiveDate,
    pub tab: Tab,
    pub mode: Mode,
    /// The mode to return to when the help closes.
    pub before_help: Mode,
    /// Shared with the search worker, which highlights from them: a lead changed here is
    /// replaced, not changed in place.
    pub leads: Vec<Arc<Lead>>,
    /// The leads and visits are still being read (the app starts without waiting for them).
    pub loading: bool,
    pub channels: Vec<Channel>,
    pub lead_list: ListView,
    pub channel_list: ListView,
    /// Finalized visits as the lists show them, oldest first; the Visits tab lists them newest
    /// first.
    pub visits: super::visit_rows::VisitRows,
    /// Each lead's visits, their newest-first order, the corrected ones.
    pub(super) visit_index: super::visit_index::VisitIndex,
    /// Each lead's next step, as its latest visit set it.
    pub next_steps: super::next_steps::NextSteps,
    /// How many of the visits the search worker holds (those after are searched here).
    pub visits_searched: usize,
    /// The texts searched of the visits finalized since (`visit_search::own_text`).
    pub(super) visits_added: Vec<Box<str>>,
    /// The whole records of the visit and the lead selected, read from the store.
    pub opened: super::state_visits::Opened,
    plain: Option<Plain>,
    /// The leads each channel answers for.
    groups: super::lead_groups::LeadGroups,
    pub visit_list: ListView,
    /// The 今日 tab's items (`agenda.rs`), made when it is shown; its list's rows index them.
    pub agenda: Vec<super::agenda::Item>,
    pub agenda_list: ListView,
    /// Drafts by lead id, as saved in the store.
    pub drafts: HashMap<String, VisitForm>,
    /// The visit being filled in.
    pub form: Option<Form>,
    pub filter: Filter,
    pub sort: Sort,
    pub picker: Option<Picker>,
    pub detail_scroll: u16,
    pub message: Option<Message>,
    /// Long work running on the worker (one at a time), and how far it has come.
    pub busy: Option<Busy>,
    pub info: Info,
    /// Changes in this store's log.
    pub changes: u64,
    pub sync: SyncSnapshot,
    /// The conflict selected on the Sync tab.
    pub conflict: usize,
    pub prompt: Option<Prompt>,
    /// The last search generation handed out.
    pub generation: u64,
    /// The terminal's size, for page-sized moves and the too-small check.
    pub width: u16,
    pub height: u16,
    pub quit: bool,
    /// The confidential lead whose creditor `u` shows in full, while it is the current lead.
    pub revealed: Option<String>,
    /// The triage change asked about (`Mode::Confirm`).
    pub asked: Option<Asked>,
    /// The identity screen, while it is open.
    pub settings: Option<super::settings::Settings>,
    /// The question about an untrusted packer, while it is asked.
    pub trust: Option<TrustAsk>,
}

impl State {
    /// The app's state over a store's leads, channels, visits and drafts.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        info: Info,
        mut leads: Vec<Arc<Lead>>,
        mut channels: Vec<Channel>,
        drafts: HashMap<String, VisitForm>,
        changes: u64,
        sync: SyncSnapshot,
        today: NaiveDate,
        lang: Lang,
    ) -> State {
        sort_by_id(&mut leads, |l| &l.id);
        sort_by_id(&mut channels, |c| &c.id);
        let mut state = State {
            lang,
            today,
            tab: Tab::Leads,
            mode: Mode::List,
            before_help: Mode::List,
            leads,
            loading: false,
            channels,
            lead_list: ListView::default(),
            channel_list: ListView::default(),
            visits: Default::default(),
            visit_index: super::visit_index::VisitIndex::default(),
            next_steps: Default::default(),
            visits_searched: 0,
            visits_added: Vec::new(),
            opened: Default::default(),
            plain: None,
            groups: super::lead_groups::LeadGroups::default(),
            visit_list: ListView::default(),
            agenda: Vec::new(),
            agenda_list: ListView::default(),
            drafts,
            form: None,
            filter: Filter::All,
            sort: Sort::Deadline,
            picker: None,
            detail_scroll: 0,
            message: None,
            busy: None,
            info,
            changes,
            sync,
            conflict: 0,
            prompt: None,
            generation: 0,
            width: 80,
            height: 24,
            quit: false,
            revealed: None,
            asked: None,
            settings: None,
            trust: None,
        };
        state.groups = super::lead_groups::LeadGroups::of(&state.leads);
        state.refresh_leads();
        state.refresh_channels();
        state.refresh_visits();
        state
    }

    /// The records read after the first frame (or again after an import): shown from now on,
    /// in the order the search worker uses for its positions. A search typed meanwhile is
    /// answered after this (its results arrive behind the records).
    /// Returns the records it replaced, to be freed off the UI thread (freeing two million
    /// visits takes seconds).
    pub fn loaded(&mut self, records: super::action::Records) -> super::action::Records {
        let super::action::Records {
            leads,
            channels,
            visits,
            index,
            ledger,
            groups,
            next,
            texts: _,
        } = records;
        // Already in natural id order (the store's), which `lead` relies on.
        let old = super::action::Records {
            leads: std::mem::replace(&mut self.leads, leads),
            channels: std::mem::replace(&mut self.channels, channels),
            visits: std::mem::replace(&mut self.visits, visits),
            index: std::mem::replace(&mut self.visit_index, index),
            groups: std::mem::replace(&mut self.groups, groups),
            next: std::mem::replace(&mut self.next_steps, next),
            ledger: self.plain.take().map(|p| p.rows).unwrap_or_default(),
            texts: None,
        };
        self.visits_searched = self.visits.len();
        self.visits_added.clear();
        // Read again for what is selected once the lists are refreshed.
        self.opened = Default::default();
        self.loading = false;
        // The ledger order was sorted where the records were read.
        self.plain = (ledger.len() == self.leads.len()).then_some(Plain {
            filter: Filter::All,
            sort: Sort::Deadline,
            rows: ledger,
        });
        self.refresh_leads();
        self.refresh_channels();
        self.refresh_visits();
        if self.tab == Tab::Agenda {
            self.refresh_agenda();
        }
        old
    }

    /// Is the terminal below 80×24 (the app then shows only a notice)?
    pub fn too_small(&self) -> bool {
        self.width < MIN_WIDTH || self.height < MIN_HEIGHT
    }

    /// How many list rows fit: the terminal less the tab bar, status bar, search line, borders
    /// and table header.
    pub fn visible_rows(&self) -> usize {
        usize::from(self.height.saturating_sub(7)).max(1)
    }

    /// The list of the current tab, if it has one.
    pub fn list(&self) -> Option<&ListView> {
        match self.tab {
            Tab::Leads => Some(&self.lead_list),
            Tab::Directory => Some(&self.channel_list),
            Tab::Visits => Some(&self.visit_list),
            Tab::Agenda => Some(&self.agenda_list),
            Tab::Sync => None,
        }
    }

    pub fn list_mut(&mut self) -> Option<&mut ListView> {
        match self.tab {
            Tab::Leads => Some(&mut self.lead_list),
            Tab::Directory => Some(&mut self.channel_list),
            Tab::Visits => Some(&mut self.visit_list),
            Tab::Agenda => Some(&mut self.agenda_list),
            Tab::Sync => None,
        }
    }

    pub fn selected_conflict(&self) -> Option<&crate::store::Conflict> {
        self.sync.conflicts.get(self.conflict)
    }

    /// A lead by id, by binary search (the leads are held in natural id order).
    pub fn lead(&self, id: &str) -> Option<&Lead> {
        self.lead_position(id).map(|i| &*self.leads[i])
    }

    pub(super) fn lead_position(&self, id: &str) -> Option<usize> {
        self.leads
            .binary_search_by(|l| crate::model::id_order(&l.id, id))
            .ok()
    }

    /// The lead as the store holds it now, in its place.
    /// The list without a search moves only this lead: out of its row, and back in where its
    /// key now goes if the filter still keeps it.
    pub fn replace_lead(&mut self, lead: Lead) {
        let Ok(i) = self
            .leads
            .binary_search_by(|l| crate::model::id_order(&l.id, &lead.id))
        else {
            return;
        };
        self.leads[i] = Arc::new(lead);
        let keeps = self.keeps(i);
        let (leads, sort, today) = ((&self.leads[..], &self.next_steps), self.sort, self.today);
        if let Some(plain) = self.plain.as_mut() {
            plain.rows.retain(|&r| r != i);
            if keeps {
                let at = plain
                    .rows
                    .partition_point(|&j| row_order(leads, sort, today, j, i).is_lt());
                plain.rows.insert(at, i);
            }
        }
    }

    pub fn selected_lead(&self) -> Option<&Lead> {
        self.lead_list
            .current()
            .and_then(|i| self.leads.get(i))
            .map(|l| &**l)
    }

    pub fn selected_channel(&self) -> Option<&Channel> {
        self.channel_list
            .current()
            .and_then(|i| self.channels.get(i))
    }

    /// Is the lead at `pos` past its deadline while open, or past its next step's due date while
    /// not closed (`model::due`)?
    pub fn is_late(&self, pos: usize) -> bool {
        self.leads
            .get(pos)
            .is_some_and(|l| crate::model::due::is_late(l, self.next_steps.due(pos), self.today))
    }

    /// The date the ledger shows for the lead at `pos`: what it waits for, else its deadline.
    pub fn due_shown(&self, pos: usize) -> Option<NaiveDate> {
        self.leads
            .get(pos)
            .and_then(|l| crate::model::due::shown_due(l, self.next_steps.due(pos)))
    }

    fn keeps(&self, pos: usize) -> bool {
        let lead = &self.leads[pos];
        match self.filter {
            Filter::All => true,
            Filter::Overdue => self.is_late(pos),
            Filter::Status(s) => lead.status == s,
            Filter::MyDistrict => self.info.district.as_deref() == Some(lead.district.as_str()),
        }
    }

    /// Recomputes the lead rows from the search results (ranked, supervised first) or the sort,
    /// then the filter; keeps the same lead selected when it is still shown.
    pub fn refresh_leads(&mut self) {
        let keep = self.lead_list.current();
        let rows: Vec<usize> = match &self.lead_list.ranked {
            Some(hits) => {
                let mut rows: Vec<usize> = hits
                    .iter()
                    .map(|h| h.pos)
                    .filter(|&i| self.keeps(i))
                    .collect();
                // Rule 6: supervised leads first in every list, search results too (stable:
                // the rank order holds within each group).
                rows.sort_by_key(|&i| !self.leads[i].supervised);
                rows
            }
            None => match &self.plain {
                Some(p) if p.filter == self.filter && p.sort == self.sort => p.rows.clone(),
                _ => {
                    let mut rows: Vec<usize> =
                        (0..self.leads.len()).filter(|&i| self.keeps(i)).collect();
                    sort_lead_rows(
                        &self.leads,
                        &self.next_steps,
                        &mut rows,
                        self.sort,
                        self.today,
                    );
                    self.plain = Some(Plain {
                        filter: self.filter,
                        sort: self.sort,
                        rows: rows.clone(),
                    });
                    rows
                }
            },
        };
        self.lead_list.rows = rows;
        reselect(&mut self.lead_list, keep);
    }

    /// The leads were changed in place: the list without a search is sorted again when next
    /// shown.
    pub fn leads_changed(&mut self) {
        self.plain = None;
    }

    pub fn refresh_channels(&mut self) {
        let keep = self.channel_list.current();
        self.channel_list.rows = match &self.channel_list.ranked {
            Some(hits) => hits.iter().map(|h| h.pos).collect(),
            None => (0..self.channels.len()).collect(),
        };
        reselect(&mut self.channel_list, keep);
    }

    /// The positions of the leads a channel answers for.
    pub fn leads_of(&self, channel: &Channel) -> &[usize] {
        self.groups.of_channel(channel)
    }

    /// Whom to call about a lead.
    pub fn contacts_of(&self, lead: &Lead) -> Vec<&Channel> {
        crate::model::contacts_for(lead, &self.channels)
    }
}

pub(super) fn reselect(list: &mut ListView, keep: Option<usize>) {
    list.selected = keep
        .and_then(|pos| list.rows.iter().position(|&r| r == pos))
        .unwrap_or(0);
}

//! Everything the app shows, in one value. `update` changes it; views only read it.

use std::cmp::Ordering;

use chrono::NaiveDate;

use crate::i18n::Lang;
use crate::model::lead::ledger_cmp;
use std::collections::HashMap;

use super::form::Form;
use crate::model::form::VisitForm;
use crate::model::{Channel, Lead, Status, Visit, id_order};
use crate::search::FieldMatch;

/// The smallest terminal the app draws in.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tab {
    Leads,
    Directory,
    Visits,
    Sync,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Leads, Tab::Directory, Tab::Visits, Tab::Sync];

    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    pub fn title(self, lang: Lang) -> &'static str {
        match self {
            Tab::Leads => lang.pick("线索", "Leads"),
            Tab::Directory => lang.pick("名录", "Directory"),
            Tab::Visits => lang.pick("走访", "Visits"),
            Tab::Sync => lang.pick("同步", "Sync"),
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

/// How the lead list is ordered without a search (`o`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// The ledger order: supervised, overdue, deadline.
    Deadline,
    /// Largest amount first (unknown last).
    Amount,
    District,
}

impl Sort {
    pub fn next(self) -> Sort {
        match self {
            Sort::Deadline => Sort::Amount,
            Sort::Amount => Sort::District,
            Sort::District => Sort::Deadline,
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Sort::Deadline => lang.pick("期限", "deadline"),
            Sort::Amount => lang.pick("金额", "amount"),
            Sort::District => lang.pick("属地", "district"),
        }
    }
}

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
    /// Per visit, who recorded it as this store verified it (`None`: an unverified device).
    pub visit_authors: std::collections::HashMap<String, Option<String>>,
    pub bundles_dir: String,
}

/// The path being typed for an import, with the bundles it can complete to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub text: String,
    pub candidates: Vec<String>,
    /// How many times Tab was pressed in a row (which candidate it shows).
    pub cycle: usize,
    /// What was typed before the first Tab: the candidates it starts.
    pub stem: String,
}

/// Facts about the store shown in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    pub store: String,
    pub inspector: String,
    pub device: String,
    pub device_id: String,
    pub district: Option<String>,
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
    pub leads: Vec<Lead>,
    /// The leads and visits are still being read (the app starts without waiting for them).
    pub loading: bool,
    pub channels: Vec<Channel>,
    pub lead_list: ListView,
    pub channel_list: ListView,
    /// Finalized visits, oldest first; the Visits tab lists them newest first.
    pub visits: Vec<Visit>,
    /// Positions in `visits` by lead id (made again by `refresh_visits`).
    visits_by_lead: HashMap<String, Vec<usize>>,
    pub visit_list: ListView,
    /// Drafts by lead id, as saved in the store.
    pub drafts: HashMap<String, VisitForm>,
    /// The visit being filled in.
    pub form: Option<Form>,
    pub filter: Filter,
    pub sort: Sort,
    pub picker: Option<Picker>,
    pub detail_scroll: u16,
    pub message: Option<Message>,
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
}

impl State {
    /// The app's state over a store's leads, channels, visits and drafts.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        info: Info,
        mut leads: Vec<Lead>,
        mut channels: Vec<Channel>,
        visits: Vec<Visit>,
        drafts: HashMap<String, VisitForm>,
        changes: u64,
        sync: SyncSnapshot,
        today: NaiveDate,
        lang: Lang,
    ) -> State {
        leads.sort_by(|a, b| id_order(&a.id, &b.id));
        channels.sort_by(|a, b| id_order(&a.id, &b.id));
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
            visits,
            visits_by_lead: HashMap::new(),
            visit_list: ListView::default(),
            drafts,
            form: None,
            filter: Filter::All,
            sort: Sort::Deadline,
            picker: None,
            detail_scroll: 0,
            message: None,
            info,
            changes,
            sync,
            conflict: 0,
            prompt: None,
            generation: 0,
            width: 80,
            height: 24,
            quit: false,
        };
        state.refresh_leads();
        state.refresh_channels();
        state.refresh_visits();
        state
    }

    /// The records read after the first frame (or again after an import): shown from now on,
    /// in the order the search worker uses for its positions. A search typed meanwhile is
    /// answered after this (its results arrive behind the records).
    pub fn loaded(&mut self, records: super::action::Records) {
        let super::action::Records {
            mut leads,
            mut channels,
            visits,
        } = records;
        leads.sort_by(|a, b| id_order(&a.id, &b.id));
        channels.sort_by(|a, b| id_order(&a.id, &b.id));
        self.leads = leads;
        self.channels = channels;
        self.visits = visits;
        self.loading = false;
        self.refresh_leads();
        self.refresh_channels();
        self.refresh_visits();
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
            Tab::Sync => None,
        }
    }

    pub fn list_mut(&mut self) -> Option<&mut ListView> {
        match self.tab {
            Tab::Leads => Some(&mut self.lead_list),
            Tab::Directory => Some(&mut self.channel_list),
            Tab::Visits => Some(&mut self.visit_list),
            Tab::Sync => None,
        }
    }

    pub fn selected_conflict(&self) -> Option<&crate::store::Conflict> {
        self.sync.conflicts.get(self.conflict)
    }

    pub fn selected_visit(&self) -> Option<&Visit> {
        self.visit_list.current().and_then(|i| self.visits.get(i))
    }

    /// A lead's finalized visits, oldest first.
    pub fn visits_of(&self, lead: &str) -> Vec<&Visit> {
        self.visits_by_lead
            .get(lead)
            .into_iter()
            .flatten()
            .filter_map(|i| self.visits.get(*i))
            .collect()
    }

    /// The visits shown on the Visits tab: newest first, those whose text contains every word
    /// of the query (creditor, district, kind, finding, inspector, next step, notes).
    pub fn refresh_visits(&mut self) {
        self.visits_by_lead.clear();
        for (i, visit) in self.visits.iter().enumerate() {
            self.visits_by_lead
                .entry(visit.lead.clone())
                .or_default()
                .push(i);
        }
        let keep = self.visit_list.current();
        let words: Vec<String> = self
            .visit_list
            .query
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        // Each visit's lead by id, found once (a scan of every lead per visit made this
        // visits × leads: minutes at a province's size).
        let leads: std::collections::HashMap<&str, &Lead> = if words.is_empty() {
            std::collections::HashMap::new()
        } else {
            self.leads.iter().map(|l| (l.id.as_str(), l)).collect()
        };
        let mut rows: Vec<usize> = (0..self.visits.len())
            .filter(|&i| {
                if words.is_empty() {
                    return true;
                }
                let v = &self.visits[i];
                let lead = leads.get(v.lead.as_str());
                let text = format!(
                    "{} {} {} {} {} {} {} {}",
                    v.lead,
                    lead.map_or("", |l| l.creditor.as_str()),
                    lead.map_or("", |l| l.district.as_str()),
                    v.kind.label(self.lang),
                    v.finding.map_or("", |f| f.label(self.lang)),
                    v.inspector,
                    v.next.as_ref().map_or("", |n| n.text.as_str()),
                    v.notes
                )
                .to_lowercase();
                words.iter().all(|w| text.contains(w))
            })
            .collect();
        rows.sort_by(|&a, &b| self.visits[b].at.cmp(&self.visits[a].at).then(b.cmp(&a)));
        self.visit_list.rows = rows;
        reselect(&mut self.visit_list, keep);
    }

    pub fn selected_lead(&self) -> Option<&Lead> {
        self.lead_list.current().and_then(|i| self.leads.get(i))
    }

    pub fn selected_channel(&self) -> Option<&Channel> {
        self.channel_list
            .current()
            .and_then(|i| self.channels.get(i))
    }

    fn keeps(&self, lead: &Lead) -> bool {
        match self.filter {
            Filter::All => true,
            Filter::Overdue => lead.is_overdue(self.today),
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
                    .filter(|&i| self.keeps(&self.leads[i]))
                    .collect();
                // Rule 6: supervised leads first in every list, search results too (stable:
                // the rank order holds within each group).
                rows.sort_by_key(|&i| !self.leads[i].supervised);
                rows
            }
            None => {
                let mut rows: Vec<usize> = (0..self.leads.len())
                    .filter(|&i| self.keeps(&self.leads[i]))
                    .collect();
                rows.sort_by(|&a, &b| self.compare(&self.leads[a], &self.leads[b]));
                rows
            }
        };
        self.lead_list.rows = rows;
        reselect(&mut self.lead_list, keep);
    }

    /// The order of the lead list without a search; supervised leads first in every order.
    fn compare(&self, a: &Lead, b: &Lead) -> Ordering {
        let by = match self.sort {
            Sort::Deadline => return ledger_cmp(a, b, self.today),
            Sort::Amount => b.amount_yuan.cmp(&a.amount_yuan),
            Sort::District => a.district.cmp(&b.district),
        };
        b.supervised
            .cmp(&a.supervised)
            .then(by)
            .then_with(|| id_order(&a.id, &b.id))
    }

    pub fn refresh_channels(&mut self) {
        let keep = self.channel_list.current();
        self.channel_list.rows = match &self.channel_list.ranked {
            Some(hits) => hits.iter().map(|h| h.pos).collect(),
            None => (0..self.channels.len()).collect(),
        };
        reselect(&mut self.channel_list, keep);
    }

    /// The leads a channel's district is responsible for.
    pub fn leads_of(&self, channel: &Channel) -> Vec<&Lead> {
        crate::model::leads_of(channel, &self.leads)
    }

    /// Whom to call about a lead.
    pub fn contacts_of(&self, lead: &Lead) -> Vec<&Channel> {
        crate::model::contacts_for(lead, &self.channels)
    }
}

fn reselect(list: &mut ListView, keep: Option<usize>) {
    list.selected = keep
        .and_then(|pos| list.rows.iter().position(|&r| r == pos))
        .unwrap_or(0);
}

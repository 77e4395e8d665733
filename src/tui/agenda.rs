//! The 今日 tab: what the leads wait for today and this week (next steps, revisits, feedback
//! deadlines), overdue ones first, supervised first within each group; each opens its lead.
//! Made from the leads and their next steps in one pass when the tab is shown.

use chrono::{Datelike, NaiveDate};

use super::state::{ListView, Message, Mode, State, Tab, reselect};
use crate::i18n::Lang;
use crate::model::due::{Waiting, pending};

/// When an item is due, relative to today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum When {
    Overdue,
    Today,
    /// Later this week (to Sunday).
    ThisWeek,
}

impl When {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            When::Overdue => lang.pick("逾期", "overdue"),
            When::Today => lang.pick("今天", "today"),
            When::ThisWeek => lang.pick("本周", "this week"),
        }
    }
}

/// One lead on the agenda: the date it waits for and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    /// The lead's position in `State::leads`.
    pub lead: usize,
    pub date: NaiveDate,
    pub waiting: Waiting,
    pub when: When,
}

/// The last day of `today`'s week (Monday to Sunday).
pub fn week_end(today: NaiveDate) -> NaiveDate {
    let left = 6 - i64::from(today.weekday().num_days_from_monday());
    today + chrono::Duration::days(left)
}

impl State {
    /// Makes the agenda again as of `today`, keeping the same lead selected if it is still on.
    pub fn refresh_agenda(&mut self) {
        let keep = self.selected_item().map(|it| (it.lead, it.waiting));
        let end = week_end(self.today);
        let today = self.today;
        let mut items: Vec<Item> = Vec::new();
        for (i, lead) in self.leads.iter().enumerate() {
            // The deadline and the next step each on their own: a lead long past its deadline
            // still shows the step due today.
            let deadline = pending(lead, None);
            let step = self
                .next_steps
                .due(i)
                .filter(|_| lead.status != crate::model::Status::Closed)
                .map(|d| (d, Waiting::NextStep));
            for (date, waiting) in deadline.into_iter().chain(step) {
                let when = match date {
                    d if d < today => When::Overdue,
                    d if d == today => When::Today,
                    d if d <= end => When::ThisWeek,
                    _ => continue,
                };
                items.push(Item {
                    lead: i,
                    date,
                    waiting,
                    when,
                });
            }
        }
        // Leads are in natural id order: their position breaks ties.
        items.sort_by_key(|it| {
            let step = it.waiting == Waiting::NextStep;
            (
                it.when,
                !self.leads[it.lead].supervised,
                it.date,
                it.lead,
                step,
            )
        });
        self.agenda = items;
        self.agenda_list = ListView {
            rows: (0..self.agenda.len()).collect(),
            ..ListView::default()
        };
        let at = keep.and_then(|k| self.agenda.iter().position(|it| (it.lead, it.waiting) == k));
        reselect(&mut self.agenda_list, at);
    }

    /// The agenda item selected.
    pub fn selected_item(&self) -> Option<&Item> {
        self.agenda_list.current().and_then(|i| self.agenda.get(i))
    }

    /// How many items are overdue, due today and later this week.
    pub fn agenda_counts(&self) -> [usize; 3] {
        let count = |w| self.agenda.iter().filter(|it| it.when == w).count();
        [
            count(When::Overdue),
            count(When::Today),
            count(When::ThisWeek),
        ]
    }

    /// `Enter` on the agenda: the item's lead on the Leads tab, in the detail pane. A search or
    /// filter that hides it is cleared, and the status bar says so.
    pub fn open_item(&mut self) {
        if let Some(lead) = self.selected_item().map(|it| it.lead) {
            self.show_lead(lead);
        }
    }

    /// Shows the lead at position `lead` in the Leads tab's detail, clearing a search or filter
    /// that hides it (and saying so).
    pub fn show_lead(&mut self, lead: usize) {
        let lang = self.lang;
        let mut cleared = false;
        if !self.lead_list.rows.contains(&lead) {
            cleared = true;
            self.lead_list.query.clear();
            self.lead_list.ranked = None;
            self.filter = super::state::Filter::All;
            self.refresh_leads();
        }
        if let Some(row) = self.lead_list.rows.iter().position(|&r| r == lead) {
            self.lead_list.selected = row;
        }
        self.tab = Tab::Leads;
        self.mode = Mode::Detail;
        self.detail_scroll = 0;
        if cleared {
            self.message = Some(Message {
                text: lang
                    .pick(
                        "已清除搜索和筛选，以便显示该线索。",
                        "the search and filter were cleared to show this lead.",
                    )
                    .into(),
                error: false,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_ends_on_sunday() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        // 2026-11-30 is a Monday.
        assert_eq!(
            week_end(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()).day(),
            6
        );
        assert_eq!(week_end(day(29)), day(29), "a Sunday ends its own week");
        assert_eq!(week_end(day(26)), day(29));
    }
}

//! 问题线索: a complaint to verify on site.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// Where a lead is in its life (DESIGN.md: 待核查 → 核查中 → 协商中 → 已办结待回访 → 已回访办结).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    New,
    Verifying,
    Negotiating,
    Resolved,
    Closed,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::New,
        Status::Verifying,
        Status::Negotiating,
        Status::Resolved,
        Status::Closed,
    ];

    /// The code name used in JSON and on the command line.
    pub fn code(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Verifying => "verifying",
            Status::Negotiating => "negotiating",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => match self {
                Status::New => "待核查",
                Status::Verifying => "核查中",
                Status::Negotiating => "协商中",
                Status::Resolved => "已办结待回访",
                Status::Closed => "已回访办结",
            },
            Lang::En => match self {
                Status::New => "new",
                Status::Verifying => "verifying",
                Status::Negotiating => "negotiating",
                Status::Resolved => "resolved",
                Status::Closed => "closed",
            },
        }
    }

    /// A label short enough for a table column (`short_cells` wide): in Chinese three-character
    /// forms of the two long states (待回访, 已结案); in English the words the detail uses (an abbreviation
    /// such as `negot.` beside `negotiating` in the detail reads as another state).
    pub fn short_label(self, lang: Lang) -> &'static str {
        match (lang, self) {
            (Lang::Zh, Status::Resolved) => "待回访",
            (Lang::Zh, Status::Closed) => "已结案",
            _ => self.label(lang),
        }
    }

    /// The cells of the widest `short_label` in a language.
    pub fn short_cells(lang: Lang) -> u16 {
        let widest = Status::ALL
            .iter()
            .map(|s| crate::text::width(s.short_label(lang)))
            .max()
            .unwrap_or(6);
        u16::try_from(widest).unwrap_or(6)
    }

    /// Reads a code name (`verifying`) or a Chinese label (`核查中`).
    pub fn parse(text: &str) -> Option<Status> {
        let text = text.trim();
        Status::ALL
            .into_iter()
            .find(|s| s.code().eq_ignore_ascii_case(text) || s.label(Lang::Zh) == text)
    }
}

/// 清欠 (arrears owed to an enterprise) or 减负 (an illegal burden put on one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LeadKind {
    #[default]
    Arrears,
    Burden,
}

/// Stored as postcard bytes (`store/lead_rows.rs`): fields and enum variants are found by their
/// place, so reordering, adding or removing one needs a new table and a migration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lead {
    /// `<notice>/a<attachment>/<seq>`, e.g. `cq-jfb-2022-3/a3/1`.
    pub id: String,
    pub seq: u32,
    /// 债权人（被拖欠方）: who is owed.
    pub creditor: String,
    /// 债务人（拖欠方）: who owes; `None` where the notice writes `/`.
    pub debtor: Option<String>,
    /// 问题归属: the district responsible.
    pub district: String,
    /// Integer yuan; `None` where the notice gives no amount.
    pub amount_yuan: Option<i64>,
    /// 事项: what the enterprise reported.
    pub matter: String,
    /// Feedback deadline (限期核实处理), from the notice's body.
    pub deadline: Option<NaiveDate>,
    pub status: Status,
    /// 挂牌督办.
    pub supervised: bool,
    pub confidential: bool,
    /// The notice this lead comes from, e.g. `cq-jfb-2022-3`.
    pub notice: String,
    /// The inspector the lead is assigned to.
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default)]
    pub kind: LeadKind,
    /// Marked for attention by a re-verification that disagreed.
    #[serde(default)]
    pub attention: bool,
    /// The enterprise's contact person, as found on site (a notice does not name one).
    #[serde(default)]
    pub contact: Option<String>,
    /// The contact's phone number, as found on site.
    #[serde(default)]
    pub phone: Option<String>,
}

impl Lead {
    /// Days from `today` to the deadline (negative when past), if there is one.
    pub fn days_left(&self, today: NaiveDate) -> Option<i64> {
        self.deadline.map(|d| (d - today).num_days())
    }

    /// Not yet handled: new, being verified or negotiated.
    pub fn is_open(&self) -> bool {
        matches!(
            self.status,
            Status::New | Status::Verifying | Status::Negotiating
        )
    }

    /// Open and due within `days` days from today (today included).
    pub fn is_due_within(&self, today: NaiveDate, days: i64) -> bool {
        self.is_open()
            && self
                .days_left(today)
                .is_some_and(|d| (0..=days).contains(&d))
    }

    /// Past its deadline and not yet handled (resolved or closed leads are never overdue).
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.is_open() && self.deadline.is_some_and(|d| d < today)
    }
}

/// Ledger order (rules 4 and 6): supervised first, then overdue, then by deadline (none last),
/// then by notice and row.
pub fn ledger_cmp(a: &Lead, b: &Lead, today: NaiveDate) -> std::cmp::Ordering {
    b.supervised
        .cmp(&a.supervised)
        .then(b.is_overdue(today).cmp(&a.is_overdue(today)))
        .then(match (a.deadline, b.deadline) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        })
        .then_with(|| super::id_order(&a.id, &b.id))
}

/// What ledger order (`ledger_cmp`) sorts by before the id: supervised first, then overdue,
/// then by deadline, none last.
pub type LedgerRank = (bool, bool, bool, Option<NaiveDate>);

pub fn ledger_rank(lead: &Lead, today: NaiveDate) -> LedgerRank {
    (
        !lead.supervised,
        !lead.is_overdue(today),
        lead.deadline.is_none(),
        lead.deadline,
    )
}

/// The positions that put leads (given by their ranks and ids) into ledger order: natural id
/// order first (each id taken apart once), then the ranks, the id's place breaking ties. A
/// comparator reading two leads and splitting both ids at each comparison took most of
/// `leads` and of the report at a million leads.
pub fn ledger_positions(ranks: &[LedgerRank], ids: &[&str]) -> Vec<usize> {
    let by_id = super::id_sort::id_sorted_order(ids);
    let mut place = vec![0; by_id.len()];
    for (k, &i) in by_id.iter().enumerate() {
        place[i] = k;
    }
    let mut order: Vec<usize> = (0..ranks.len()).collect();
    order.sort_unstable_by_key(|&i| (ranks[i], place[i]));
    order
}

/// Sorts leads into ledger order (`ledger_cmp`).
pub fn ledger_order(leads: &mut [Lead], today: NaiveDate) {
    let ranks: Vec<LedgerRank> = leads.iter().map(|l| ledger_rank(l, today)).collect();
    let ids: Vec<&str> = leads.iter().map(|l| l.id.as_str()).collect();
    let order = ledger_positions(&ranks, &ids);
    drop(ids);
    super::permute(leads, order);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lead(id: &str, deadline: Option<NaiveDate>, supervised: bool) -> Lead {
        Lead {
            id: id.into(),
            seq: 1,
            creditor: "c".into(),
            debtor: None,
            district: "d".into(),
            amount_yuan: None,
            matter: String::new(),
            deadline,
            status: Status::New,
            supervised,
            confidential: false,
            notice: "n".into(),
            assignee: None,
            kind: LeadKind::Arrears,
            attention: false,
            contact: None,
            phone: None,
        }
    }

    #[test]
    fn supervised_then_overdue_then_deadline() {
        let day = |d| NaiveDate::from_ymd_opt(2022, 1, d);
        let today = NaiveDate::from_ymd_opt(2022, 1, 20).unwrap_or_default();
        let mut leads = vec![
            lead("n/a3/1", day(30), false),
            lead("n/a3/2", None, false),
            lead("n/a3/3", day(10), false),
            lead("n/a3/4", day(31), true),
            lead("n/a3/10", day(25), false),
        ];
        ledger_order(&mut leads, today);
        let ids: Vec<_> = leads.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["n/a3/4", "n/a3/3", "n/a3/10", "n/a3/1", "n/a3/2"]);
    }

    #[test]
    fn ledger_order_is_the_order_of_ledger_cmp() {
        let today = NaiveDate::from_ymd_opt(2022, 1, 20).unwrap_or_default();
        // Ids out of order, deadlines tied, past and missing, some supervised, some handled.
        let mut leads: Vec<Lead> = (0..300u32)
            .map(|n| {
                let seq = (n * 7919) % 301;
                let day =
                    (n % 5 != 0).then(|| today + chrono::Duration::days(i64::from(n % 9) - 4));
                let mut l = lead(&format!("n{}/a{}/{seq}", n % 3, n % 4), day, n % 11 == 0);
                if n % 13 == 0 {
                    l.status = Status::Closed;
                }
                l
            })
            .collect();
        let mut expected = leads.clone();
        expected.sort_by(|a, b| ledger_cmp(a, b, today));
        ledger_order(&mut leads, today);
        let ids = |l: &[Lead]| l.iter().map(|l| l.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&leads), ids(&expected));
    }

    #[test]
    fn handled_leads_are_not_overdue() {
        let today = NaiveDate::from_ymd_opt(2022, 2, 1).unwrap_or_default();
        let mut l = lead("x", NaiveDate::from_ymd_opt(2022, 1, 30), false);
        assert!(l.is_overdue(today));
        l.status = Status::Resolved;
        assert!(!l.is_overdue(today));
    }

    #[test]
    fn status_parses_codes_and_labels() {
        assert_eq!(Status::parse("verifying"), Some(Status::Verifying));
        assert_eq!(Status::parse("已办结待回访"), Some(Status::Resolved));
        assert_eq!(Status::parse("done"), None);
    }
}

//! 走访: an on-site check, a revisit or a re-verification of one lead, with what was found and
//! the evidence for it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// Declares a closed set of code names with Chinese and English labels.
macro_rules! coded {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $code:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $code)] $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The code name used in JSON and on the command line.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)+ }
            }

            pub fn label(self, lang: Lang) -> &'static str {
                match self { $($name::$variant => lang.pick($zh, $en),)+ }
            }

            /// Reads a code name or a Chinese label.
            pub fn parse(text: &str) -> Option<$name> {
                let text = text.trim();
                // The code, or the label in either language (what the forms show and insert).
                $name::ALL.iter().copied().find(|v| {
                    v.code().eq_ignore_ascii_case(text)
                        || v.label(Lang::Zh) == text
                        || v.label(Lang::En).eq_ignore_ascii_case(text)
                })
            }
        }
    };
}

coded! {
    /// What kind of visit.
    VisitKind {
        Onsite = "onsite", "实地核查", "on-site check";
        Revisit = "revisit", "回访", "revisit";
        Reverify = "reverify", "复核", "re-verification";
    }
}

coded! {
    /// What the visit found.
    Finding {
        ArrearsUndisputed = "arrears-undisputed", "确属拖欠（无分歧）", "arrears, undisputed";
        Disputed = "disputed", "存在分歧", "disputed";
        NoArrears = "no-arrears", "不存在拖欠", "no arrears";
        Paid = "paid", "已偿还", "paid";
        PartlyPaid = "partly-paid", "部分偿还", "partly paid";
        Unreachable = "unreachable", "无法联系", "unreachable";
        NoDocuments = "no-documents", "未提交付款资料", "no payment documents";
        Withdrawn = "withdrawn", "企业撤回", "withdrawn";
        BurdenConfirmed = "burden-confirmed", "确属违规增加负担", "burden confirmed";
        BurdenCorrected = "burden-corrected", "已纠正", "burden corrected";
        NoBurden = "no-burden", "不存在违规负担", "no burden";
        Confirmed = "confirmed", "回访确认办结", "confirmed";
        NotConfirmed = "not-confirmed", "回访未确认", "not confirmed";
        Agree = "agree", "复核同意", "agree";
        Disagree = "disagree", "复核不同意", "disagree";
    }
}

coded! {
    /// Written or external evidence (外部或书面证据).
    EvidenceKind {
        Contract = "contract", "合同", "contract";
        Invoice = "invoice", "发票", "invoice";
        Acceptance = "acceptance", "验收记录", "acceptance record";
        Statement = "statement", "对账单", "statement";
        BankRecord = "bank-record", "银行流水", "bank record";
        Court = "court", "法院文书", "court document";
        OtherWritten = "other-written", "其他书面材料", "other written";
        External = "external", "外部证据", "external";
        Withdrawal = "withdrawal", "撤回申请书", "withdrawal letter";
    }
}

coded! {
    /// A systemic cause found (举一反三, rule 7).
    Cause {
        Rules = "rules", "制度规定", "rules";
        Practice = "practice", "工作机制", "practice";
        Contract = "contract", "合同签订", "contract";
        Funds = "funds", "资金管理", "funds";
    }
}

/// Someone the inspector met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
    #[serde(default)]
    pub role: String,
    #[serde(default)]
    pub phone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub kind: EvidenceKind,
    /// A file name, document number or similar.
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(default)]
    pub note: String,
}

/// What happens next, by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextAction {
    pub text: String,
    pub due: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    /// UUIDv7.
    pub id: String,
    pub lead: String,
    pub kind: VisitKind,
    pub finding: Option<Finding>,
    /// When the visit took place (UTC; shown in Asia/Shanghai).
    pub at: DateTime<Utc>,
    pub inspector: String,
    #[serde(default)]
    pub met: Vec<Person>,
    pub amount_yuan: Option<i64>,
    pub paid_yuan: Option<i64>,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
    pub cause: Option<Cause>,
    pub next: Option<NextAction>,
    #[serde(default)]
    pub notes: String,
    /// The finalized visit this one corrects.
    pub supersedes: Option<String>,
    /// The lead's state before and after this visit was finalized (none for drafts).
    #[serde(default)]
    pub status_before: Option<super::Status>,
    #[serde(default)]
    pub status_after: Option<super::Status>,
    /// Whether the lead was marked for attention before this visit (what a correction restores).
    #[serde(default)]
    pub attention_before: bool,
    /// Why the visit this one supersedes was corrected (a correction states it; empty otherwise,
    /// and then left out of the JSON, so a visit's JSON and its content hash stay as they were).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// Visits grouped by their lead, in one pass (never a scan of every visit per lead), moved.
pub fn by_lead(visits: Vec<Visit>) -> std::collections::HashMap<String, Vec<Visit>> {
    let mut out: std::collections::HashMap<String, Vec<Visit>> = std::collections::HashMap::new();
    for visit in visits {
        out.entry(visit.lead.clone()).or_default().push(visit);
    }
    out
}

/// The ids of visits a correction replaced.
pub fn corrected_ids<'a>(
    visits: impl IntoIterator<Item = &'a Visit>,
) -> std::collections::HashSet<&'a str> {
    visits
        .into_iter()
        .filter_map(|v| v.supersedes.as_deref())
        .collect()
}

/// The last visit finalized and not corrected: the one a correction may replace, whose finding
/// and next step are the lead's latest.
pub fn latest(visits: &[Visit]) -> Option<&Visit> {
    effective(visits).pop()
}

/// The visits not superseded by a correction, in the order they were finalized (their ids are
/// UUIDv7s): the order the lead's state machine saw them, whatever times they record.
pub fn effective(visits: &[Visit]) -> Vec<&Visit> {
    let corrected = corrected_ids(visits);
    let mut out: Vec<&Visit> = visits
        .iter()
        .filter(|v| !corrected.contains(v.id.as_str()))
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

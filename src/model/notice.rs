//! A notice (通知) as data: its metadata and the rows of its tables.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Channel, Lead};

/// 联系人 line of the notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeMeta {
    /// Stable slug from the number, e.g. `cq-jfb-2022-3`; prefix of every row id.
    pub id: String,
    /// 文号 as printed, e.g. `渝减负办〔2022〕3号`.
    pub number: String,
    pub issuer: Option<String>,
    pub title: Option<String>,
    pub date: NaiveDate,
    pub contact: Option<Contact>,
    /// 办理结果于…之前反馈: the deadline of this notice's leads.
    pub feedback_deadline: Option<NaiveDate>,
}

/// Everything one notice file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub meta: NoticeMeta,
    pub channels: Vec<Channel>,
    pub leads: Vec<Lead>,
}

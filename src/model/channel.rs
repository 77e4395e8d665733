//! 投诉渠道: a row of the complaint-channel directory.

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// Whose complaints a channel takes: a province (附件1) or a Chongqing district/department (附件2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    National,
    Chongqing,
}

impl Scope {
    /// At most 4 cells, for table columns.
    pub fn short_label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Scope::National, Lang::Zh) => "全国",
            (Scope::National, Lang::En) => "natl",
            (Scope::Chongqing, Lang::Zh) => "重庆",
            (Scope::Chongqing, Lang::En) => "CQ",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Scope::National, Lang::Zh) => "全国",
            (Scope::National, Lang::En) => "national",
            (Scope::Chongqing, Lang::Zh) => "重庆",
            (Scope::Chongqing, Lang::En) => "Chongqing",
        }
    }
}

/// One phone number; `fax` when the notice marks it （传真）.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone {
    /// ASCII digits and dashes, e.g. `023-68860760`.
    pub number: String,
    pub fax: bool,
}

/// Phone numbers as shown to people: `023-76895600, 023-76895600（传真）`.
pub fn phones_text(phones: &[Phone], lang: Lang) -> String {
    let list: Vec<String> = phones
        .iter()
        .map(|p| {
            if p.fax {
                format!("{}{}", p.number, lang.pick("（传真）", " (fax)"))
            } else {
                p.number.clone()
            }
        })
        .collect();
    list.join(", ")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Channel {
    /// `<notice>/a<attachment>/<seq>`, e.g. `cq-jfb-2022-3/a2/15`.
    pub id: String,
    pub scope: Scope,
    /// 序号 in its table.
    pub seq: u32,
    pub name: String,
    pub phones: Vec<Phone>,
    pub emails: Vec<String>,
    pub urls: Vec<String>,
    pub remarks: Vec<String>,
    /// The notice this row comes from, e.g. `cq-jfb-2022-3`.
    pub notice: String,
}

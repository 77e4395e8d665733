//! A lead recorded on site: a complaint an inspector receives during a visit, not a row of any
//! notice. Its id is this device's own (`site-<device id>/<n>`), so two laptops never pick the
//! same one, and a bundle cannot bring a lead in another device's name
//! (`Change::is_valid` checks the prefix against the change's device).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::form::parse_date;
use super::{Lead, LeadKind, Status};
use crate::i18n::Lang;
use crate::sync::LeadField;

/// The longest creditor's name or matter a lead recorded on site may have, in characters.
pub const MAX_CREDITOR_CHARS: usize = 200;
pub const MAX_MATTER_CHARS: usize = 2000;

/// The namespace of the leads a device records on site: `site-` and its id (a UUIDv7, lower
/// case; the roster keeps one device per id, so no other device can claim it).
pub fn namespace(device_id: &str) -> String {
    format!("site-{}", device_id.to_ascii_lowercase())
}

/// Is `lead_id` a lead recorded on site by some device (`site-…/n`, in any case: a bundle's
/// `SITE-…` is judged as one)?
pub fn is_site_lead(lead_id: &str) -> bool {
    lead_id
        .get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("site-"))
}

/// A new lead as typed: every field as text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewLead {
    pub creditor: String,
    pub district: String,
    /// `清欠`/`arrears` or `减负`/`burden`.
    pub kind: String,
    pub matter: String,
    /// `2022-02-10`, `today`, `+15`.
    pub deadline: String,
    pub debtor: String,
    pub amount_wan: String,
    pub contact: String,
    pub phone: String,
}

/// A field of a new lead that must change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewLeadProblem {
    Creditor,
    District,
    Kind,
    Matter,
    /// Missing, unreadable or before today (rule 4: every lead keeps a deadline).
    Deadline,
    Debtor,
    Amount,
    Contact,
    Phone,
}

impl NewLeadProblem {
    pub fn message(self, lang: Lang) -> &'static str {
        match self {
            NewLeadProblem::Creditor => lang.pick(
                "请填写反映问题的企业名称（最多 200 字，不含控制字符）",
                "type the enterprise's name (200 characters at most, no control characters)",
            ),
            NewLeadProblem::District => lang.pick(
                "请填写问题归属的区县，如 北碚区",
                "type the district responsible, like 北碚区",
            ),
            NewLeadProblem::Kind => {
                lang.pick("请写 清欠 或 减负", "write arrears (清欠) or burden (减负)")
            }
            NewLeadProblem::Matter => lang.pick(
                "请写明企业反映的事项（最多 2000 字）",
                "say what the enterprise reported (2000 characters at most)",
            ),
            NewLeadProblem::Deadline => lang.pick(
                "规则4：每条线索须有核实期限，不早于今天：写 2022-02-10 或 +15",
                "rule 4: every lead has a deadline, today or later: write 2022-02-10 or +15",
            ),
            NewLeadProblem::Debtor => lang.pick(
                "名称太长（最多 200 字）或含控制字符",
                "too long (200 characters at most) or holds control characters",
            ),
            NewLeadProblem::Amount => lang.pick(
                "请写万元数，如 76.6（最多 4 位小数），或留空",
                "write 万元, like 76.6 (4 decimals at most), or leave it empty",
            ),
            NewLeadProblem::Contact => lang.pick(
                "姓名太长（最多 50 字）或含控制字符",
                "too long (50 characters at most) or holds control characters",
            ),
            NewLeadProblem::Phone => lang.pick(
                "请写电话号码（数字，可带 - 或 转），或留空",
                "write a phone number (digits, - or 转 between), or leave it empty",
            ),
        }
    }
}

fn is_text(text: &str, max: usize) -> bool {
    !text.trim().is_empty() && text.chars().count() <= max && !text.chars().any(char::is_control)
}

/// 清欠/arrears or 减负/burden.
pub fn parse_kind(text: &str) -> Option<LeadKind> {
    match text.trim() {
        "清欠" | "arrears" => Some(LeadKind::Arrears),
        "减负" | "burden" => Some(LeadKind::Burden),
        _ => None,
    }
}

impl NewLead {
    /// The lead this describes, numbered `seq` in the namespace `space` (`namespace`), or the
    /// first field that must change. The matter may span lines; other text is one line.
    pub fn parse(&self, space: &str, seq: u32, today: NaiveDate) -> Result<Lead, NewLeadProblem> {
        let creditor = self.creditor.trim();
        if !is_text(creditor, MAX_CREDITOR_CHARS) {
            return Err(NewLeadProblem::Creditor);
        }
        let district = self.district.trim();
        if !is_text(district, 50) {
            return Err(NewLeadProblem::District);
        }
        let kind = parse_kind(&self.kind).ok_or(NewLeadProblem::Kind)?;
        let matter = self.matter.trim();
        let sound_matter = !matter.is_empty()
            && matter.chars().count() <= MAX_MATTER_CHARS
            && !matter.chars().any(|c| c.is_control() && c != '\n');
        if !sound_matter {
            return Err(NewLeadProblem::Matter);
        }
        let deadline = parse_date(&self.deadline, today)
            .filter(|d| *d >= today)
            .ok_or(NewLeadProblem::Deadline)?;
        let fact =
            |field: &str, text: &str, problem| LeadField::typed_fact(field, text).ok_or(problem);
        let mut lead = Lead {
            id: format!("{space}/{seq}"),
            seq,
            creditor: creditor.into(),
            debtor: None,
            district: district.into(),
            amount_yuan: None,
            matter: matter.into(),
            deadline: Some(deadline),
            status: Status::New,
            supervised: false,
            confidential: false,
            notice: space.into(),
            assignee: None,
            kind,
            attention: false,
            contact: None,
            phone: None,
        };
        for field in [
            fact("debtor", &self.debtor, NewLeadProblem::Debtor)?,
            fact("amount_yuan", &self.amount_wan, NewLeadProblem::Amount)?,
            fact("contact", &self.contact, NewLeadProblem::Contact)?,
            fact("phone", &self.phone, NewLeadProblem::Phone)?,
        ] {
            field.apply(&mut lead);
        }
        Ok(lead)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed() -> NewLead {
        NewLead {
            creditor: "重庆某某建材有限公司".into(),
            district: "北碚区".into(),
            kind: "清欠".into(),
            matter: "反映某工程拖欠货款\n约 30 万元".into(),
            deadline: "+15".into(),
            contact: "李经理".into(),
            phone: "13800000000".into(),
            ..NewLead::default()
        }
    }

    #[test]
    fn a_typed_lead_becomes_a_lead_of_its_device() {
        let today = NaiveDate::from_ymd_opt(2022, 1, 28).unwrap();
        let space = namespace("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
        assert_eq!(space, "site-0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
        let lead = typed().parse(&space, 3, today).unwrap();
        assert_eq!(lead.id, "site-0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/3");
        assert!(is_site_lead("SITE-x/1"));
        assert_eq!(lead.deadline, NaiveDate::from_ymd_opt(2022, 2, 12));
        assert_eq!(lead.kind, LeadKind::Arrears);
        assert_eq!(lead.contact.as_deref(), Some("李经理"));
        assert_eq!(lead.status, Status::New);
        assert!(is_site_lead(&lead.id));
    }

    #[test]
    fn each_field_that_must_change_is_named() {
        let today = NaiveDate::from_ymd_opt(2022, 1, 28).unwrap();
        type Spoil = fn(&mut NewLead);
        let cases: [(Spoil, NewLeadProblem); 7] = [
            (|f| f.creditor = " ".into(), NewLeadProblem::Creditor),
            (
                |f| f.creditor = "甲\u{1b}[2J".into(),
                NewLeadProblem::Creditor,
            ),
            (|f| f.kind = "其他".into(), NewLeadProblem::Kind),
            (|f| f.matter = String::new(), NewLeadProblem::Matter),
            (
                |f| f.deadline = "2022-01-27".into(),
                NewLeadProblem::Deadline,
            ),
            (|f| f.deadline = String::new(), NewLeadProblem::Deadline),
            (|f| f.phone = "找李经理".into(), NewLeadProblem::Phone),
        ];
        for (spoil, problem) in cases {
            let mut f = typed();
            spoil(&mut f);
            assert_eq!(f.parse("site-x", 1, today), Err(problem), "{f:?}");
        }
    }
}

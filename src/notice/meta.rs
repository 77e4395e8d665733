//! The notice's metadata, read from its body text: number, issuer, title, date, contact, and the
//! feedback deadline (`办理结果于1月30日之前反馈`).

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use pinyin::ToPinyin;
use regex::Regex;

use crate::error::NoticeProblem;
use crate::model::phone::normalize_dashes;
use crate::model::{Contact, NoticeMeta, region};

/// How many non-empty lines from the top may hold the number, issuer and title.
const HEAD_LINES: usize = 8;

static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(\S+?)\s*[〔［\[【（(]\s*(\d{4})\s*[〕］\]】）)]\s*(\d+)\s*号\s*$")
        .expect("number pattern")
});
static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$").expect("date pattern")
});
static DEADLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"于\s*(?:(\d{4})\s*年)?\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*(?:之前|以前|前)\s*(?:反馈|报送|上报|报)",
    )
    .expect("deadline pattern")
});
static CONTACT_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"联系人\s*[：:]\s*([^，,；;。\s]+)").expect("name pattern"));
static CONTACT_PHONE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"电话\s*[：:]\s*([0-9０-９][0-9０-９—\-－–]*[0-9０-９])").expect("phone pattern")
});
static CONTACT_EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"邮箱\s*[：:]\s*([A-Za-z0-9._%+\-—]+@[A-Za-z0-9.\-—]*[A-Za-z0-9])")
        .expect("email pattern")
});

/// Reads the metadata from the body lines (line number, text). Errors carry the line to report.
pub fn read(body: &[(usize, String)]) -> Result<NoticeMeta, (usize, NoticeProblem)> {
    let head: Vec<&(usize, String)> = body
        .iter()
        .filter(|(_, l)| !l.trim().is_empty())
        .take(HEAD_LINES)
        .collect();
    let (number_at, caps) = head
        .iter()
        .enumerate()
        .find_map(|(i, (_, l))| NUMBER.captures(l).map(|c| (i, c)))
        .ok_or((1, NoticeProblem::NoNumber))?;
    let number = caps[0].trim().to_string();
    let id = slug(&caps[1], &caps[2], &caps[3]);

    let after: Vec<&str> = head[number_at + 1..]
        .iter()
        .map(|(_, l)| l.trim())
        .collect();
    let title_at = after.iter().position(|l| is_title(l));
    let title = title_at.map(|i| after[i].to_string());
    let issuer = match title_at {
        Some(i) if i > 0 => Some(after[0].to_string()),
        _ => None,
    };

    // The date is the last date-only line of the body before the first attachment.
    let last_line = body.last().map_or(1, |(n, _)| *n);
    let date = body
        .iter()
        .filter_map(|(_, l)| DATE.captures(l))
        .filter_map(|c| ymd(&c[1], &c[2], &c[3]))
        .next_back()
        .ok_or((last_line, NoticeProblem::NoDate))?;

    let text: String = body
        .iter()
        .map(|(_, l)| l.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let feedback_deadline = DEADLINE.captures(&text).and_then(|c| {
        let day = ymd(
            c.get(1).map_or(&date.year().to_string(), |y| y.as_str()),
            &c[2],
            &c[3],
        )?;
        // `1月30日` in a December notice means next January.
        if c.get(1).is_none() && day < date {
            day.with_year(day.year() + 1)
        } else {
            Some(day)
        }
    });
    Ok(NoticeMeta {
        id,
        number,
        issuer,
        title,
        date,
        contact: contact(body),
        feedback_deadline,
    })
}

fn is_title(line: &str) -> bool {
    line.starts_with("关于")
        || ["通知", "通报", "意见", "办法", "方案", "函"]
            .iter()
            .any(|end| line.ends_with(end))
}

fn ymd(y: &str, m: &str, d: &str) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

fn contact(body: &[(usize, String)]) -> Option<Contact> {
    body.iter().find_map(|(_, line)| {
        let name = CONTACT_NAME.captures(line)?[1].to_string();
        Some(Contact {
            name,
            phone: CONTACT_PHONE
                .captures(line)
                .map(|c| normalize_dashes(&c[1])),
            email: CONTACT_EMAIL
                .captures(line)
                .map(|c| normalize_dashes(&c[1])),
        })
    })
}

/// `渝减负办`, `2022`, `3` → `cq-jfb-2022-3`: the province code, the pinyin initials of the
/// issuing office's abbreviation, the year and the number.
pub fn slug(prefix: &str, year: &str, seq: &str) -> String {
    let mut chars = prefix.chars().peekable();
    let mut parts = Vec::new();
    if let Some(code) = chars.peek().and_then(|c| region::code_of(*c)) {
        parts.push(code.to_string());
        chars.next();
    }
    let office: String = chars
        .filter_map(|c| match c.to_pinyin() {
            Some(p) => Some(p.first_letter().to_string()),
            None if c.is_ascii_alphanumeric() => Some(c.to_ascii_lowercase().to_string()),
            None => None,
        })
        .collect();
    if !office.is_empty() {
        parts.push(office);
    }
    parts.push(year.to_string());
    parts.push(seq.to_string());
    parts.join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(lines: &[&str]) -> Vec<(usize, String)> {
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| (i + 1, l.to_string()))
            .collect()
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("渝减负办", "2022", "3"), "cq-jfb-2022-3");
        assert_eq!(slug("川经信", "2023", "12"), "sc-jx-2023-12");
        assert_eq!(slug("工信部", "2021", "1"), "gxb-2021-1");
    }

    #[test]
    fn december_notice_deadline_rolls_into_next_year() {
        let meta = read(&body(&[
            "川经信〔2023〕12号",
            "四川省经济和信息化厅",
            "关于核查欠款的通知",
            "请于1月5日之前反馈。",
            "2023年12月20日",
        ]));
        let meta = meta.map_err(|e| e.1);
        assert_eq!(
            meta.map(|m| m.feedback_deadline),
            Ok(NaiveDate::from_ymd_opt(2024, 1, 5))
        );
    }

    #[test]
    fn missing_number_and_date_are_reported() {
        assert_eq!(
            read(&body(&["通知", "2022年1月1日"])).err().map(|e| e.1),
            Some(NoticeProblem::NoNumber)
        );
        assert_eq!(
            read(&body(&["渝减负办〔2022〕3号", "关于的通知"]))
                .err()
                .map(|e| e.1),
            Some(NoticeProblem::NoDate)
        );
    }
}

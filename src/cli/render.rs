//! What the commands print: aligned tables (CJK-width aware) or the DESIGN.md JSON shapes.

use std::io::Write;

use chrono::NaiveDate;
use serde::Serialize;

use super::visits::{VisitSummary, summary};
use crate::columns::columns;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::model::amount::format_wan;
use crate::model::channel::phones_text;
use crate::model::{Channel, Lead, NoticeMeta, RecordKind, Visit};
use crate::notice::Warning;
use crate::search::{FieldMatch, Hit};
use crate::store::{ImportSummary, Store};
use crate::text::{truncate, width};

pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string_pretty(value)
        .map(|s| s + "\n")
        .map_err(|e| Error::Store {
            detail: e.to_string(),
        })
}

/// A JSON array written one element at a time, laid out as `json` lays out a whole one: a
/// listing of a province is never held whole.
pub struct JsonArray<'a> {
    out: &'a mut dyn Write,
    count: usize,
    element: Vec<u8>,
}

impl<'a> JsonArray<'a> {
    pub fn new(out: &'a mut dyn Write) -> Self {
        Self {
            out,
            count: 0,
            element: Vec::new(),
        }
    }

    pub fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.element.clear();
        serde_json::to_writer_pretty(&mut self.element, value).map_err(|e| Error::Store {
            detail: e.to_string(),
        })?;
        let out = &mut *self.out;
        let write = |out: &mut dyn Write, bytes: &[u8]| out.write_all(bytes);
        (|| {
            write(out, if self.count == 0 { b"[\n" } else { b",\n" })?;
            // Each line of the element one level in: no line break is raw inside a JSON string.
            for (i, line) in self.element.split(|&b| b == b'\n').enumerate() {
                write(out, if i == 0 { b"  " } else { b"\n  " })?;
                write(out, line)?;
            }
            Ok(())
        })()
        .map_err(|e: std::io::Error| Error::output(&e))?;
        self.count += 1;
        Ok(())
    }

    pub fn finish(self) -> Result<()> {
        let end: &[u8] = if self.count == 0 { b"[]\n" } else { b"\n]\n" };
        self.out.write_all(end).map_err(|e| Error::output(&e))
    }
}

/// A lead as JSON: the stored fields, whether it is overdue today, its visit count and latest
/// finding.
#[derive(Serialize)]
pub(super) struct LeadJson<'a> {
    #[serde(flatten)]
    pub lead: &'a Lead,
    pub overdue: bool,
    #[serde(flatten)]
    pub visits: VisitSummary,
}

pub(super) fn amount(lead: &Lead, lang: Lang) -> String {
    lead.amount_yuan
        .map(format_wan)
        .unwrap_or_else(|| lang.pick("不详", "unknown").into())
}

pub(super) fn deadline(lead: &Lead, today: NaiveDate, lang: Lang) -> String {
    match lead.deadline {
        Some(d) if lead.is_overdue(today) => format!("{d} {}", lang.pick("逾期", "overdue")),
        Some(d) => d.to_string(),
        None => "—".into(),
    }
}

pub fn overview(store: &Store, lang: Lang) -> Result<String> {
    let id = store.identity()?;
    let (channels, leads) = (store.channels()?.len(), store.leads()?.len());
    let path = store.path().display();
    Ok(match lang {
        Lang::Zh => format!(
            "fieldcheck 数据库 {path}\n检查员 {}，设备 {}\n投诉渠道 {channels} 条，问题线索 {leads} 条。\n\n\
             常用命令：fieldcheck leads · directory · search 关键词 · lead show 编号 · --help\n",
            id.inspector, id.device_name
        ),
        Lang::En => format!(
            "fieldcheck store {path}\ninspector {}, device {}\n{channels} channels, {leads} leads.\n\n\
             Try: fieldcheck leads · directory · search QUERY · lead show ID · --help\n",
            id.inspector, id.device_name
        ),
    })
}

#[derive(Serialize)]
struct InitJson<'a> {
    store: String,
    schema_version: u32,
    #[serde(flatten)]
    identity: &'a crate::store::Identity,
    channels: usize,
    leads: usize,
}

pub fn init(store: &Store, lang: Lang, as_json: bool) -> Result<String> {
    let identity = store.identity()?;
    let out = InitJson {
        store: store.path().display().to_string(),
        schema_version: store.schema_version()?,
        identity: &identity,
        channels: store.channels()?.len(),
        leads: store.leads()?.len(),
    };
    if as_json {
        return json(&out);
    }
    let rows = [
        (lang.pick("数据库", "store"), out.store.clone()),
        (
            lang.pick("结构版本", "schema"),
            out.schema_version.to_string(),
        ),
        (
            lang.pick("设备", "device"),
            format!("{} ({})", identity.device_name, identity.device_id),
        ),
        (lang.pick("检查员", "inspector"), identity.inspector.clone()),
        (lang.pick("投诉渠道", "channels"), out.channels.to_string()),
        (lang.pick("问题线索", "leads"), out.leads.to_string()),
    ];
    Ok(fields(&rows))
}

/// `label  value` lines with the labels padded to one width.
pub fn fields(rows: &[(&str, String)]) -> String {
    let w = rows.iter().map(|(l, _)| width(l)).max().unwrap_or(0);
    rows.iter()
        .map(|(label, value)| format!("{}  {value}\n", crate::text::pad(label, w)))
        .collect()
}

#[derive(Serialize)]
struct ImportedJson<'a> {
    #[serde(flatten)]
    summary: &'a ImportSummary,
    warnings: Vec<String>,
}

pub fn imported(
    summary: &ImportSummary,
    warnings: &[Warning],
    lang: Lang,
    as_json: bool,
) -> Result<String> {
    let warnings: Vec<String> = warnings.iter().map(|w| w.message(lang)).collect();
    if as_json {
        return json(&ImportedJson { summary, warnings });
    }
    let s = summary;
    let mut out = match lang {
        Lang::Zh => format!(
            "已导入 {}（{}）：新增投诉渠道 {} 条、问题线索 {} 条；已有 {} 条保持不变。\n",
            s.number, s.notice, s.channels_added, s.leads_added, s.already_present
        ),
        Lang::En => format!(
            "Imported {} ({}): {} channels and {} leads added; {} already held, left as they were.\n",
            s.number, s.notice, s.channels_added, s.leads_added, s.already_present
        ),
    };
    for w in warnings {
        out.push_str(&format!("{}{w}\n", lang.pick("注意：", "note: ")));
    }
    Ok(out)
}

pub fn notices(notices: &[NoticeMeta], lang: Lang, as_json: bool) -> Result<String> {
    if as_json {
        return json(notices);
    }
    let none = || "—".to_string();
    let mut out = String::new();
    for n in notices {
        let contact = n.contact.as_ref().map_or_else(none, |c| {
            let parts: Vec<&str> = [
                Some(c.name.as_str()),
                c.phone.as_deref(),
                c.email.as_deref(),
            ]
            .into_iter()
            .flatten()
            .collect();
            parts.join(" ")
        });
        let rows = [
            (
                lang.pick("文号", "number"),
                format!("{}（{}）", n.number, n.id),
            ),
            (
                lang.pick("标题", "title"),
                n.title.clone().unwrap_or_else(none),
            ),
            (
                lang.pick("发文单位", "issuer"),
                n.issuer.clone().unwrap_or_else(none),
            ),
            (lang.pick("成文日期", "date"), n.date.to_string()),
            (lang.pick("联系人", "contact"), contact),
            (
                lang.pick("反馈期限", "feedback by"),
                n.feedback_deadline.map_or_else(none, |d| d.to_string()),
            ),
        ];
        out.push_str(&fields(&rows));
        out.push('\n');
    }
    Ok(out)
}

pub fn directory(channels: &[Channel], lang: Lang, as_json: bool) -> Result<String> {
    if as_json {
        return json(channels);
    }
    let header = [
        lang.pick("编号", "id"),
        lang.pick("范围", "scope"),
        lang.pick("名称", "name"),
        lang.pick("电话", "phones"),
        lang.pick("邮箱", "emails"),
    ];
    let rows: Vec<Vec<String>> = channels
        .iter()
        .map(|c| {
            vec![
                c.id.clone(),
                c.scope.label(lang).into(),
                c.name.clone(),
                phones_text(&c.phones, lang),
                c.emails.join(", "),
            ]
        })
        .collect();
    Ok(columns(&header, &rows))
}

/// A field's text with its matched characters in brackets, cut to about `cells` around the
/// first match.
fn marked(m: &FieldMatch, cells: usize) -> String {
    let chars: Vec<char> = m.text.chars().collect();
    let start = m.positions.first().map_or(0, |p| p.saturating_sub(6));
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut open = false;
    for (i, c) in chars.iter().enumerate().skip(start) {
        let hit = m.positions.binary_search(&i).is_ok();
        if hit != open {
            out.push(if hit { '[' } else { ']' });
            open = hit;
        }
        // One line per hit: a matter's line breaks become spaces.
        out.push(if c.is_control() { ' ' } else { *c });
    }
    if open {
        out.push(']');
    }
    truncate(&out, cells)
}

pub fn hits(hits: &[Hit], lang: Lang, as_json: bool) -> Result<String> {
    if as_json {
        return json(hits);
    }
    let header = [
        lang.pick("类型", "kind"),
        lang.pick("编号", "id"),
        lang.pick("得分", "score"),
        lang.pick("名称", "title"),
        lang.pick("匹配", "matched"),
    ];
    let rows: Vec<Vec<String>> = hits
        .iter()
        .map(|h| {
            let kind = match h.kind {
                RecordKind::Lead => lang.pick("线索", "lead"),
                RecordKind::Channel => lang.pick("渠道", "channel"),
            };
            let matched: Vec<String> = h
                .matches
                .iter()
                .map(|m| format!("{}: {}", m.field.label(lang), marked(m, 40)))
                .collect();
            vec![
                kind.into(),
                h.id.clone(),
                h.score.to_string(),
                h.title.clone(),
                matched.join("; "),
            ]
        })
        .collect();
    let mut out = columns(&header, &rows);
    if hits.is_empty() {
        out.push_str(lang.pick("（没有找到）\n", "(nothing found)\n"));
    }
    Ok(out)
}

#[derive(Serialize)]
struct LeadShowJson<'a> {
    #[serde(flatten)]
    lead: LeadJson<'a>,
    contacts: &'a [&'a Channel],
    history: &'a [Visit],
}

pub fn lead(
    lead: &Lead,
    contacts: &[&Channel],
    history: &[Visit],
    today: NaiveDate,
    lang: Lang,
    as_json: bool,
) -> Result<String> {
    if as_json {
        return json(&LeadShowJson {
            lead: LeadJson {
                lead,
                overdue: lead.is_overdue(today),
                visits: summary(history),
            },
            contacts,
            history,
        });
    }
    let yes_no = |b: bool| lang.pick(if b { "是" } else { "否" }, if b { "yes" } else { "no" });
    let rows = [
        (lang.pick("编号", "id"), lead.id.clone()),
        (
            lang.pick("债权人（被拖欠方）", "creditor (owed)"),
            lead.creditor.clone(),
        ),
        (
            lang.pick("债务人（拖欠方）", "debtor (owes)"),
            lead.debtor
                .clone()
                .unwrap_or_else(|| lang.pick("不详", "unknown").into()),
        ),
        (
            lang.pick("企业联系人", "contact"),
            [lead.contact.as_deref(), lead.phone.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("  "),
        ),
        (lang.pick("问题归属", "district"), lead.district.clone()),
        (
            lang.pick("欠款金额（万元）", "amount (10k yuan)"),
            amount(lead, lang),
        ),
        (lang.pick("状态", "status"), lead.status.label(lang).into()),
        (
            lang.pick("反馈期限", "deadline"),
            deadline(lead, today, lang),
        ),
        (
            lang.pick("挂牌督办", "supervised"),
            yes_no(lead.supervised).into(),
        ),
        (
            lang.pick("保密", "confidential"),
            yes_no(lead.confidential).into(),
        ),
        (lang.pick("事项", "matter"), lead.matter.clone()),
    ];
    let mut out = fields(&rows);
    out.push_str(lang.pick("\n联系渠道\n", "\nWhom to call\n"));
    let w = contacts.iter().map(|c| width(&c.name)).max().unwrap_or(0);
    for c in contacts {
        let name = crate::text::pad(&c.name, w);
        out.push_str(&format!("  {name}  {}\n", phones_text(&c.phones, lang)));
    }
    out.push_str(lang.pick("\n走访记录\n", "\nVisits\n"));
    if history.is_empty() {
        out.push_str("  —\n");
    }
    let superseded = crate::model::visit::corrected_ids(history);
    for v in history {
        let at = crate::clock::local(v.at, "%Y-%m-%d %H:%M");
        let finding = v.finding.map(|f| f.label(lang)).unwrap_or_default();
        let mark = if superseded.contains(&v.id.as_str()) {
            lang.pick("（已更正）", " (corrected)")
        } else {
            ""
        };
        out.push_str(&format!(
            "  {at}  {}  {finding}{mark}  {}\n",
            v.kind.label(lang),
            v.id
        ));
    }
    Ok(out)
}

#[derive(Serialize)]
struct ChannelShowJson<'a> {
    #[serde(flatten)]
    channel: &'a Channel,
    leads: Vec<&'a str>,
}

pub fn channel(channel: &Channel, leads: &[&Lead], lang: Lang, as_json: bool) -> Result<String> {
    if as_json {
        return json(&ChannelShowJson {
            channel,
            leads: leads.iter().map(|l| l.id.as_str()).collect(),
        });
    }
    let none = || "—".to_string();
    let list = |items: &[String]| {
        if items.is_empty() {
            none()
        } else {
            items.join("\n    ")
        }
    };
    let rows = [
        (lang.pick("编号", "id"), channel.id.clone()),
        (lang.pick("名称", "name"), channel.name.clone()),
        (lang.pick("范围", "scope"), channel.scope.label(lang).into()),
        (
            lang.pick("电话", "phones"),
            phones_text(&channel.phones, lang),
        ),
        (lang.pick("邮箱", "emails"), list(&channel.emails)),
        (lang.pick("网址", "URLs"), list(&channel.urls)),
        (lang.pick("备注", "remarks"), list(&channel.remarks)),
    ];
    let mut out = fields(&rows);
    out.push_str(lang.pick("\n本地线索\n", "\nLeads of this district\n"));
    if leads.is_empty() {
        out.push_str("  —\n");
    }
    for l in leads {
        out.push_str(&format!(
            "  {}  {}  {}\n",
            l.id,
            l.creditor,
            l.status.label(lang)
        ));
    }
    Ok(out)
}

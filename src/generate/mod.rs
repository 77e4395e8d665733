//! `fieldcheck dev generate`: a province of realistic, deterministic data for scale checks —
//! Chinese company names, every Chongqing district of the seed directory, amounts, matters,
//! deadlines, and visits with evidence. The same seed gives the same data. Written either as
//! bare rows (fast, local test data that never syncs), or through the real change log as a
//! headquarters would hold it (`logged`: a notice imported here, visits from enrolled devices
//! arriving in signed bundles).

mod logged;
pub use logged::{Devices, generate_logged};

use chrono::{Days, NaiveDate};

use crate::error::Result;
use crate::model::channel::Scope;
use crate::model::{
    Channel, Evidence, EvidenceKind, Finding, Lead, LeadKind, Notice, NoticeMeta, Status, Visit,
    VisitKind,
};
use crate::store::Store;

/// SplitMix64: a small, fixed generator, so a seed means the same data on every build.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const PLACES: [&str; 8] = [
    "重庆",
    "重庆市",
    "四川",
    "成都",
    "贵州",
    "湖北",
    "陕西",
    "云南",
];
const WORDS: [&str; 40] = [
    "朋昆", "嘉腾", "安宝", "长江", "华宇", "鑫达", "恒通", "金桥", "瑞丰", "永利", "宏图", "泰和",
    "兴隆", "盛世", "海川", "天成", "博远", "新锐", "众联", "明辉", "远航", "巨力", "德信", "汇川",
    "蓝天", "绿源", "启明", "中科", "凯旋", "晨光", "万达", "合力", "同心", "正大", "昌盛", "锦程",
    "和美", "鼎盛", "佳禾", "渝兴",
];
const TRADES: [&str; 16] = [
    "电子",
    "机器人自动化",
    "清洁服务",
    "建筑工程",
    "物流",
    "机械制造",
    "软件",
    "汽车配件",
    "食品",
    "印务",
    "环保科技",
    "劳务",
    "建材",
    "医疗器械",
    "信息技术",
    "装饰工程",
];
/// Public bodies of a district that owe money (the district's name goes before them).
const BODIES: [&str; 6] = [
    "住房城乡建委",
    "教委",
    "卫生健康委",
    "城市管理局",
    "交通局",
    "水利局",
];

fn company(rng: &mut Rng) -> String {
    format!(
        "{}{}{}有限公司",
        rng.pick(&PLACES),
        rng.pick(&WORDS),
        rng.pick(&TRADES)
    )
}

/// What `generate` wrote.
pub struct Generated {
    pub leads: usize,
    pub visits: usize,
}

/// Adds `leads` generated leads (and `visits` visits) to the store, in batches of one
/// transaction each; returns the lines for fzf when asked.
pub fn generate(
    store: &Store,
    leads: usize,
    visits: usize,
    seed: u64,
    mut lines: Option<&mut dyn std::io::Write>,
) -> Result<Generated> {
    let mut rng = Rng::new(seed);
    let channels = store.channels()?;
    let districts = districts(&channels);
    let (meta, date) = notice_meta(seed);
    let notice_id = meta.id.clone();
    let mut made = 0;
    let mut meter = store.meter(crate::progress::Stage::Applying, leads as u64);
    while made < leads {
        let count = BATCH.min(leads - made);
        let batch = leads_batch(
            &mut rng, &districts, &notice_id, date, made, count, &mut lines,
        )?;
        let notice = Notice {
            meta: meta.clone(),
            channels: Vec::new(),
            leads: batch,
        };
        store.insert_unlogged(&notice)?;
        made += count;
        meter.add(count as u64);
    }
    let mut written = Vec::with_capacity(visits);
    for n in 0..visits {
        let lead = rng.below(leads.max(1)) + 1;
        written.push(Visit {
            id: format!("gen-{seed}-visit-{n:08}"),
            lead: format!("{notice_id}/a1/{lead}"),
            kind: VisitKind::Onsite,
            finding: Some(*rng.pick(&[
                Finding::Unreachable,
                Finding::Disputed,
                Finding::ArrearsUndisputed,
            ])),
            at: chrono::DateTime::from_timestamp(1_646_100_000 + n as i64 * 60, 0)
                .unwrap_or_default(),
            inspector: "生成".into(),
            met: Vec::new(),
            amount_yuan: None,
            paid_yuan: None,
            evidence: vec![Evidence {
                kind: *rng.pick(EvidenceKind::ALL),
                reference: format!("DOC-{n}"),
                note: String::new(),
            }],
            cause: None,
            next: None,
            notes: String::new(),
            supersedes: None,
            status_before: None,
            status_after: None,
            attention_before: false,
            reason: String::new(),
        });
    }
    store.insert_visits_unlogged(&written)?;
    Ok(Generated { leads, visits })
}

/// Leads are written in batches of this many, one transaction each.
const BATCH: usize = 50_000;

/// `count` generated leads, numbered from `from + 1`; their lines for fzf go to `lines`.
fn leads_batch(
    rng: &mut Rng,
    districts: &[&Channel],
    notice_id: &str,
    date: NaiveDate,
    from: usize,
    count: usize,
    lines: &mut Option<&mut dyn std::io::Write>,
) -> Result<Vec<Lead>> {
    let mut batch = Vec::with_capacity(count);
    for n in from..from + count {
        let district = rng.pick(districts);
        let creditor = company(rng);
        let debtor = match rng.below(3) {
            0 => None,
            1 => Some(format!("{}{}", district.name, rng.pick(&BODIES))),
            _ => Some(company(rng)),
        };
        let amount_yuan = (rng.below(10) > 0).then(|| (rng.below(50_000) as i64 + 1) * 1000);
        let months = rng.below(24) + 1;
        let wan = amount_yuan.map_or("若干".to_string(), crate::model::amount::format_wan);
        let lead = Lead {
            id: format!("{notice_id}/a1/{}", n + 1),
            seq: u32::try_from(n + 1).unwrap_or(u32::MAX),
            matter: format!("{creditor}反映，被拖欠账款约{wan}万元，被拖欠时间约{months}个月。"),
            creditor,
            debtor,
            district: district.name.clone(),
            amount_yuan,
            deadline: date.checked_add_days(Days::new(7 + rng.below(60) as u64)),
            status: Status::New,
            supervised: rng.below(50) == 0,
            confidential: rng.below(40) == 0,
            notice: notice_id.to_string(),
            assignee: None,
            kind: LeadKind::Arrears,
            attention: false,
            contact: None,
            phone: None,
        };
        if let Some(out) = lines.as_deref_mut() {
            let phone = district.phones.first().map_or("", |p| p.number.as_str());
            let amount = lead
                .amount_yuan
                .map(crate::model::amount::format_wan)
                .unwrap_or_default();
            writeln!(
                out,
                "{} | {} | {} | {} | {}",
                lead.creditor,
                lead.debtor.as_deref().unwrap_or("/"),
                lead.district,
                amount,
                phone
            )
            .map_err(|e| {
                crate::error::Error::writing(std::path::Path::new("--export-lines"), &e)
            })?;
        }
        batch.push(lead);
    }
    Ok(batch)
}

/// The district channels of the directory (Chongqing's 区 and 县): where generated leads belong.
fn districts(channels: &[Channel]) -> Vec<&Channel> {
    channels
        .iter()
        .filter(|c| {
            c.scope == Scope::Chongqing && (c.name.ends_with('区') || c.name.ends_with('县'))
        })
        .collect()
}

/// The generated notice for `seed`, and its date.
fn notice_meta(seed: u64) -> (NoticeMeta, NaiveDate) {
    let date = NaiveDate::from_ymd_opt(2022, 3, 1).unwrap_or_default();
    let meta = NoticeMeta {
        id: format!("cq-gen-{seed}"),
        number: format!("渝生成〔{seed}〕1号"),
        issuer: Some("fieldcheck dev generate".into()),
        title: Some("生成的测试线索".into()),
        date,
        contact: None,
        feedback_deadline: None,
    };
    (meta, date)
}

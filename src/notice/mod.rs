//! Parser for notices in the seed's layout (DESIGN.md). Tables are found by their header rows,
//! not by attachment number or position, so other notices in the same layout import too.

mod layout;
mod meta;
mod tables;

use crate::error::{Error, NoticeProblem, Result};
use crate::i18n::Lang;
use crate::model::Notice;

/// The notice every store is seeded from, compiled in.
pub const SEED: &str = include_str!("../../seeds/notice-cq-jfb-2022-3.txt");
/// The name the seed is reported under in messages.
pub const SEED_NAME: &str = "seeds/notice-cq-jfb-2022-3.txt";

/// The largest notice file `import-notice` reads. The parser holds the whole text and what it
/// parsed in memory, so a cap keeps a wrong file (a disk image, a video) from exhausting it.
/// The seed is 12 KB and its three lead rows take about 220 bytes each, so a province-sized
/// notice of 100,000 leads is some 25 MB; 64 MiB is over twice that.
pub const MAX_NOTICE_BYTES: u64 = 64 * 1024 * 1024;

/// A parsed notice and what the reader should know about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub notice: Notice,
    pub warnings: Vec<Warning>,
}

/// Something in a notice that was read but deserves a look: nothing is skipped silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// A tab-led table that is neither a channel nor a lead table; not imported.
    SkippedTable { line: usize, header: String },
    /// A recognised table with a header and no rows.
    EmptyTable { line: usize },
    /// The notice has leads but states no feedback deadline (rule 4).
    NoDeadline { leads: usize },
}

impl Warning {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Warning::SkippedTable { line, header }, Lang::Zh) => {
                format!("第 {line} 行的表格（表头 {header}）不是投诉渠道表或线索表，未导入")
            }
            (Warning::SkippedTable { line, header }, Lang::En) => format!(
                "the table at line {line} (header {header}) is neither a channel nor a lead table; not imported"
            ),
            (Warning::EmptyTable { line }, Lang::Zh) => format!("第 {line} 行的表格没有数据行"),
            (Warning::EmptyTable { line }, Lang::En) => {
                format!("the table at line {line} has no rows")
            }
            (Warning::NoDeadline { leads }, Lang::Zh) => format!(
                "通知正文没有反馈期限（如“于1月30日之前反馈”），{leads} 条线索没有期限，请尽快设定"
            ),
            (Warning::NoDeadline { leads }, Lang::En) => format!(
                "the notice states no feedback deadline (like 于1月30日之前反馈): {leads} leads have none; set one soon"
            ),
        }
    }
}

/// Parses the built-in seed notice.
pub fn seed() -> Result<Notice> {
    parse(SEED, SEED_NAME).map(|p| p.notice)
}

/// Is `entity` (`lead:…`, `channel:…`, `notice:…`) a row of the built-in notice? (Its ids are
/// read once per process.)
pub fn in_seed(entity: &str) -> Result<bool> {
    static IDS: std::sync::OnceLock<std::collections::HashSet<String>> = std::sync::OnceLock::new();
    let ids = match IDS.get() {
        Some(ids) => ids,
        None => {
            let seed = seed()?;
            let ids = std::iter::once(format!("notice:{}", seed.meta.id))
                .chain(seed.leads.iter().map(|l| format!("lead:{}", l.id)))
                .chain(seed.channels.iter().map(|c| format!("channel:{}", c.id)))
                .collect();
            IDS.get_or_init(|| ids)
        }
    };
    Ok(ids.contains(entity))
}

/// Reads and parses a notice file: only a regular file of at most `MAX_NOTICE_BYTES` (a FIFO,
/// a device or a folder is refused at once, a larger file before it is read).
pub fn read_file(path: &std::path::Path) -> Result<Parsed> {
    let bytes = crate::files::read_input(path, MAX_NOTICE_BYTES)
        .map_err(|e| crate::files::input_error(path, e, crate::files::InputKind::Notice))?;
    let name = path.display().to_string();
    let text = String::from_utf8(bytes).map_err(|_| Error::Notice {
        file: name.clone(),
        line: 1,
        problem: NoticeProblem::NotText,
    })?;
    parse(&text, &name)
}

/// Parses notice text. `file` names it in error messages. All or nothing: any malformed row
/// is an error with its line; nothing is skipped without a warning.
pub fn parse(text: &str, file: &str) -> Result<Parsed> {
    let located = |(line, problem): (usize, NoticeProblem)| Error::Notice {
        file: file.to_string(),
        line,
        problem,
    };
    let layout = layout::scan(text);
    // The metadata is in the body before the first table (attachments may carry dates too).
    let first_table = layout.tables.first().map_or(usize::MAX, |t| t.header.line);
    let body: Vec<(usize, String)> = layout
        .body
        .iter()
        .filter(|(n, _)| *n < first_table)
        .cloned()
        .collect();
    let meta = meta::read(&body).map_err(located)?;
    let mut channels = Vec::new();
    let mut leads = Vec::new();
    let mut warnings = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    for (ordinal, table) in layout.tables.iter().enumerate() {
        let Some(header) = tables::header(table).map_err(located)? else {
            if table.header.cells.len() >= 2 {
                let names: Vec<String> = table.header.cells.iter().map(|c| c.joined()).collect();
                warnings.push(Warning::SkippedTable {
                    line: table.header.line,
                    header: names.join("/"),
                });
            }
            continue;
        };
        if table.rows.is_empty() {
            warnings.push(Warning::EmptyTable {
                line: table.header.line,
            });
        }
        let mut part = match table.attachment {
            Some(n) => format!("a{n}"),
            None => format!("t{}", ordinal + 1),
        };
        // A second table under the same heading gets its own ids: a1, a1-2, a1-3…
        let base = part.clone();
        let mut k = 1;
        while prefixes.contains(&part) {
            k += 1;
            part = format!("{base}-{k}");
        }
        prefixes.push(part.clone());
        let prefix = format!("{}/{part}", meta.id);
        match header.kind {
            tables::Kind::Channels => channels
                .extend(tables::channels(table, &header, &prefix, &meta.id).map_err(located)?),
            tables::Kind::Leads => leads.extend(
                tables::leads(table, &header, &prefix, &meta.id, meta.feedback_deadline)
                    .map_err(located)?,
            ),
        }
    }
    if prefixes.is_empty() {
        let line = layout.body.last().map_or(1, |(n, _)| *n);
        return Err(located((line, NoticeProblem::NoTable)));
    }
    if meta.feedback_deadline.is_none() && !leads.is_empty() {
        warnings.push(Warning::NoDeadline { leads: leads.len() });
    }
    Ok(Parsed {
        notice: Notice {
            meta,
            channels,
            leads,
        },
        warnings,
    })
}

//! Parser for notices in the seed's layout (DESIGN.md). Tables are found by their header rows,
//! not by attachment number or position, so other notices in the same layout import too.

mod layout;
mod meta;
mod tables;

use crate::error::{Error, NoticeProblem, Result};
use crate::model::Notice;

/// The notice every store is seeded from, compiled in.
pub const SEED: &str = include_str!("../../seeds/notice-cq-jfb-2022-3.txt");
/// The name the seed is reported under in messages.
pub const SEED_NAME: &str = "seeds/notice-cq-jfb-2022-3.txt";

/// Parses the built-in seed notice.
pub fn seed() -> Result<Notice> {
    parse(SEED, SEED_NAME)
}

/// Reads and parses a notice file.
pub fn read_file(path: &std::path::Path) -> Result<Notice> {
    let bytes = std::fs::read(path).map_err(|source| Error::ReadFile {
        path: path.to_path_buf(),
        source,
    })?;
    let name = path.display().to_string();
    let text = String::from_utf8(bytes).map_err(|_| Error::Notice {
        file: name.clone(),
        line: 1,
        problem: NoticeProblem::NotText,
    })?;
    parse(&text, &name)
}

/// Parses notice text. `file` names it in error messages. All or nothing: any malformed row
/// is an error with its line; nothing is skipped.
pub fn parse(text: &str, file: &str) -> Result<Notice> {
    let located = |(line, problem): (usize, NoticeProblem)| Error::Notice {
        file: file.to_string(),
        line,
        problem,
    };
    let layout = layout::scan(text);
    let meta = meta::read(&layout.body).map_err(located)?;
    let mut channels = Vec::new();
    let mut leads = Vec::new();
    let mut known_tables = 0;
    for (ordinal, table) in layout.tables.iter().enumerate() {
        let Some(header) = tables::header(table).map_err(located)? else {
            continue;
        };
        known_tables += 1;
        let part = match table.attachment {
            Some(n) => format!("a{n}"),
            None => format!("t{}", ordinal + 1),
        };
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
    if known_tables == 0 {
        let line = layout.body.last().map_or(1, |(n, _)| *n);
        return Err(located((line, NoticeProblem::NoTable)));
    }
    Ok(Notice {
        meta,
        channels,
        leads,
    })
}

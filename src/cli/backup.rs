//! Output of `backup` and `restore`.

use super::render::json;
use crate::error::Result;
use crate::i18n::Lang;
use crate::store::Copied;

/// One line: what was done, where, and what the checked copy holds.
pub fn copied(copied: &Copied, restored: bool, lang: Lang, as_json: bool) -> Result<String> {
    if as_json {
        return json(copied);
    }
    let Copied {
        path,
        bytes,
        leads,
        visits,
        changes,
    } = copied;
    let mb = *bytes as f64 / 1_048_576.0;
    Ok(match (lang, restored) {
        (Lang::Zh, false) => format!(
            "已备份到 {path}（{mb:.1} MB，含密钥 .key）：线索 {leads} 条，走访 {visits} 条，变更 {changes} 条；已按变更日志核验。\n"
        ),
        (Lang::Zh, true) => format!(
            "已恢复到 {path}（{mb:.1} MB）：线索 {leads} 条，走访 {visits} 条，变更 {changes} 条；已按变更日志核验。\n"
        ),
        (Lang::En, false) => format!(
            "backed up to {path} ({mb:.1} MB, with its .key): {leads} leads, {visits} visits, {changes} changes; checked against its change log.\n"
        ),
        (Lang::En, true) => format!(
            "restored to {path} ({mb:.1} MB): {leads} leads, {visits} visits, {changes} changes; checked against its change log.\n"
        ),
    })
}

//! `export`, `import`, `conflicts`, `sync status`, `verify`.

use std::path::PathBuf;

use serde::Serialize;

use super::args::KeepArg;
use super::render::{fields, json};
use crate::columns::columns;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::store::{ExportOptions, Exported, Gap, ImportOptions, Imported, Keep, Store};

pub fn export(
    store: &Store,
    options: &ExportOptions,
    today: chrono::NaiveDate,
    lang: Lang,
    as_json: bool,
) -> Result<String> {
    let done = store.export(options, today)?;
    if as_json {
        return json(&done);
    }
    Ok(match (done, lang) {
        (None, _) => lang
            .pick("没有需要导出的变更。\n", "Nothing to export.\n")
            .into(),
        (Some(e), Lang::Zh) => format!(
            "已导出 {} 条变更（{} 台设备）到 {}{}\n",
            e.changes,
            e.devices,
            paths(&e.parts),
            sealed(&e, lang)
        ),
        (Some(e), Lang::En) => format!(
            "Exported {} changes ({} devices) to {}{}\n",
            e.changes,
            e.devices,
            paths(&e.parts),
            sealed(&e, lang)
        ),
    })
}

fn paths(parts: &[PathBuf]) -> String {
    parts
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn sealed(e: &Exported, lang: Lang) -> String {
    match (e.recipients.len(), lang) {
        (0, _) => lang.pick("（未加密）", " (not encrypted)").into(),
        (n, Lang::Zh) => format!("，已加密给 {} 个接收方（含本机）", n),
        (n, Lang::En) => format!(", encrypted to {n} recipients (this store included)"),
    }
}

#[derive(Serialize)]
struct ImportedFile<'a> {
    file: String,
    #[serde(flatten)]
    result: &'a Imported,
}

fn gaps_text(gaps: &[Gap], lang: Lang) -> String {
    let list: Vec<String> = gaps
        .iter()
        .map(|g| format!("{} #{}–#{}", short(&g.device), g.from, g.to))
        .collect();
    if list.is_empty() {
        lang.pick("无", "none").into()
    } else {
        list.join(", ")
    }
}

/// The end of a device id: UUIDv7s of devices made the same day share their start.
pub(super) fn short(device: &str) -> &str {
    device
        .get(device.len().saturating_sub(8)..)
        .unwrap_or(device)
}

/// Imports each file in turn; each is all or nothing, and the first refusal stops the rest.
pub fn import(
    store: &Store,
    files: &[PathBuf],
    options: &ImportOptions,
    lang: Lang,
    as_json: bool,
) -> Result<String> {
    let mut results = Vec::new();
    for file in files {
        let bytes = crate::sync::bundle::read_file(file)?;
        results.push((
            file.display().to_string(),
            store.import(&bytes, &file.display().to_string(), options)?,
        ));
    }
    if as_json {
        let out: Vec<ImportedFile> = results
            .iter()
            .map(|(file, result)| ImportedFile {
                file: file.clone(),
                result,
            })
            .collect();
        return json(&out);
    }
    let mut out = String::new();
    for (file, r) in &results {
        out.push_str(&match lang {
            Lang::Zh => format!(
                "{file}：应用 {} 条，重复 {} 条，冲突 {} 处；缺失：{}\n",
                r.applied,
                r.duplicates,
                r.conflicts,
                gaps_text(&r.gaps, lang)
            ),
            Lang::En => format!(
                "{file}: {} applied, {} duplicates, {} conflicts; missing: {}\n",
                r.applied,
                r.duplicates,
                r.conflicts,
                gaps_text(&r.gaps, lang)
            ),
        });
        if let Some(fingerprint) = &r.trusted_new {
            out.push_str(&match lang {
                Lang::Zh => format!(
                    "已在首次导入时信任打包者 {}，指纹 {fingerprint}：请与对方核对；用 fieldcheck trust add 给它起名\n",
                    r.packer
                ),
                Lang::En => format!(
                    "trusted the packer {} on first use, fingerprint {fingerprint}: compare it with the sender; name it with fieldcheck trust add\n",
                    r.packer
                ),
            });
        }
        if let Some(warning) = r.warning(lang) {
            out.push_str(&format!("{warning}\n"));
        }
    }
    Ok(out)
}

/// Who wrote a device's changes, as this store verified it (never the change's own claim).
fn author(store: &Store, device: &str, lang: Lang) -> String {
    match store.verified_author(device) {
        Ok(Some(name)) => format!("{name} {}", short(device)),
        _ => format!(
            "{} {}",
            lang.pick("未核实设备", "unverified device"),
            short(device)
        ),
    }
}

pub fn conflicts(store: &Store, lang: Lang, as_json: bool) -> Result<String> {
    let list = store.conflicts()?;
    if as_json {
        return json(&list);
    }
    // A province's thousands of conflicts come from a few dozen devices: each named once.
    let mut names: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            let values: Vec<String> = c
                .heads
                .iter()
                .map(|h| {
                    let name = names
                        .entry(h.device.as_str())
                        .or_insert_with(|| author(store, &h.device, lang));
                    format!("{}（{name}）", h.value)
                })
                .collect();
            vec![
                c.id.clone(),
                c.entity.clone(),
                c.field.clone(),
                c.current.value.to_string(),
                values.join(" / "),
            ]
        })
        .collect();
    let mut out = columns(
        &[
            lang.pick("编号", "id"),
            lang.pick("对象", "entity"),
            lang.pick("字段", "field"),
            lang.pick("当前", "shown"),
            lang.pick("并存的值", "concurrent values"),
        ],
        &rows,
    );
    if list.is_empty() {
        out.push_str(lang.pick("（没有冲突）\n", "(no conflicts)\n"));
    } else {
        out.push_str(lang.pick(
            "用 fieldcheck conflicts resolve 编号 --keep mine|theirs 保留一个值。\n",
            "Keep one value with fieldcheck conflicts resolve ID --keep mine|theirs.\n",
        ));
    }
    Ok(out)
}

pub fn resolve(
    store: &Store,
    id: &str,
    keep: KeepArg,
    lang: Lang,
    as_json: bool,
) -> Result<String> {
    let keep = match keep {
        KeepArg::Mine => Keep::Mine,
        KeepArg::Theirs => Keep::Theirs,
    };
    let change = store.resolve(id, keep)?;
    if as_json {
        return json(&change);
    }
    Ok(match lang {
        Lang::Zh => format!(
            "已解决：{} 的 {} 保留为 {}（变更 #{}）\n",
            change.entity, change.field, change.value, change.idx
        ),
        Lang::En => format!(
            "Resolved: {} {} is now {} (change #{})\n",
            change.entity, change.field, change.value, change.idx
        ),
    })
}

pub fn status(store: &Store, lang: Lang, as_json: bool) -> Result<String> {
    let s = store.sync_status()?;
    if as_json {
        return json(&s);
    }
    let mut out = fields(&[
        (
            lang.pick("未导出变更", "unexported changes"),
            s.unexported.to_string(),
        ),
        (
            lang.pick("上次导出", "last export"),
            s.last_export
                .as_deref()
                .map_or_else(|| "—".into(), crate::clock::shown_note),
        ),
        (lang.pick("冲突", "conflicts"), s.conflicts.to_string()),
        (
            lang.pick("单独保存", "kept apart"),
            s.kept_apart.to_string(),
        ),
    ]);
    let rows: Vec<Vec<String>> = s
        .devices
        .iter()
        .map(|d| {
            vec![
                d.device.clone(),
                d.highest.to_string(),
                gaps_text(&d.gaps, lang),
            ]
        })
        .collect();
    out.push('\n');
    out.push_str(&columns(
        &[
            lang.pick("设备", "device"),
            lang.pick("最高序号", "highest idx"),
            lang.pick("缺失", "missing"),
        ],
        &rows,
    ));
    Ok(out)
}

/// `verify`: exit 1 when the state and the log disagree.
pub fn verify(store: &Store, lang: Lang, as_json: bool) -> Result<String> {
    let differences = store.verify()?;
    if as_json && differences.is_empty() {
        return json(&differences);
    }
    if differences.is_empty() {
        return Ok(lang
            .pick(
                "一致：由变更日志重建的状态与数据库相同。\n",
                "Consistent: the state rebuilt from the change log equals the store.\n",
            )
            .into());
    }
    Err(Error::Inconsistent {
        entities: differences.into_iter().map(|d| d.entity).collect(),
    })
}

//! `identity`, `trust add|list|remove|revoke`, `quarantine`: who this store is, whom it trusts,
//! and what it kept apart.

use serde::Serialize;

use super::args::{KeyCommand, TrustCommand};
use super::render::{fields, json};
use super::sync::short;
use crate::columns::columns;
use crate::error::Result;
use crate::i18n::Lang;
use crate::store::{Device, Reason, Store, TrustOptions, Vouch};
use crate::sync::keys::PeerKey;

pub fn identity(store: &Store, age_secret: bool, lang: Lang, as_json: bool) -> Result<String> {
    let id = store.identity()?;
    if age_secret {
        return Ok(format!("{}\n", store.keys()?.enc.secret()));
    }
    if as_json {
        return json(&id);
    }
    Ok(fields(&[
        (
            lang.pick("设备", "device"),
            format!("{} ({})", id.device_name, id.device_id),
        ),
        (lang.pick("检查员", "inspector"), id.inspector),
        (lang.pick("公钥", "peer key"), id.public_key),
        (lang.pick("指纹", "fingerprint"), id.fingerprint),
    ]))
}

pub fn run(store: &Store, command: &TrustCommand, lang: Lang) -> Result<String> {
    match command {
        TrustCommand::Add {
            key,
            name,
            inspector,
            district,
            hq,
            json: as_json,
        } => {
            let options = TrustOptions {
                name: name.clone(),
                inspector: inspector.clone(),
                district: district.clone(),
                hq: *hq,
            };
            let d = store.trust(key, &options)?;
            if as_json.json {
                return json(&d);
            }
            let what = match (hq, lang) {
                (true, Lang::Zh) => "已登记为总部",
                (true, Lang::En) => "pinned as headquarters",
                (false, Lang::Zh) => "已信任并登记",
                (false, Lang::En) => "trusted and enrolled",
            };
            Ok(match lang {
                Lang::Zh => format!(
                    "{what}：{}（设备 {}，指纹 {}）\n",
                    d.name, d.device, d.fingerprint
                ),
                Lang::En => format!(
                    "{what}: {} (device {}, fingerprint {})\n",
                    d.name, d.device, d.fingerprint
                ),
            })
        }
        TrustCommand::List { json: as_json } => list(store, lang, as_json.json),
        TrustCommand::Remove { device } => {
            let d = store.distrust(device)?;
            Ok(match lang {
                Lang::Zh => format!(
                    "已不再信任 {}（{}）：今后它的变更一律单独保存，不应用。\n",
                    d.name, d.device
                ),
                Lang::En => format!(
                    "No longer trusted: {} ({}); its changes are kept apart from now on.\n",
                    d.name, d.device
                ),
            })
        }
        TrustCommand::Revoke { device, from } => {
            let d = store.revoke(device, *from)?;
            let highest = store
                .devices_seen()?
                .into_iter()
                .find(|s| s.device == d.device)
                .map_or(0, |s| s.highest);
            // Changes between the last one held and the revocation would still be taken.
            let warning = match (*from > highest + 1, lang) {
                (false, _) => String::new(),
                (true, Lang::Zh) => format!(
                    "注意：本库只收到该设备到第 {highest} 条的变更；第 {} 至 {} 条若日后送达仍会被接受。丢失的电脑请从第 {} 条起吊销。\n",
                    highest + 1,
                    from - 1,
                    highest + 1
                ),
                (true, Lang::En) => format!(
                    "note: this store holds the device's changes up to #{highest} only; #{} to #{} would still be taken if they arrive. For a lost laptop, revoke from #{}.\n",
                    highest + 1,
                    from - 1,
                    highest + 1
                ),
            };
            Ok(warning
                + &match lang {
                    Lang::Zh => format!(
                        "已吊销 {}（{}）自第 {from} 条起的变更：已撤回并单独保存；本库作为总部导出时，吊销随登记一同下发。\n",
                        d.name, d.device
                    ),
                    Lang::En => format!(
                        "Revoked {} ({}) from change #{from}: those changes were taken back and kept apart; the revocation travels in this store's bundles.\n",
                        d.name, d.device
                    ),
                })
        }
    }
}

pub fn key(store: &Store, command: &KeyCommand, lang: Lang) -> Result<String> {
    match command {
        KeyCommand::Protect => {
            let passphrase = std::env::var(crate::sync::keys::PASSPHRASE_ENV)
                .ok()
                .filter(|p| !p.is_empty())
                .ok_or(crate::error::Error::PassphraseMissing)?;
            store.protect_key(Some(&passphrase))?;
            Ok(lang
                .pick(
                    "密钥文件已用口令加密；今后签名、解密和备份都需要设置 FIELDCHECK_PASSPHRASE。\n",
                    "The key file is sealed with the passphrase; signing, decrypting and backing up now need FIELDCHECK_PASSPHRASE.\n",
                )
                .into())
        }
        KeyCommand::Unprotect => {
            store.protect_key(None)?;
            Ok(lang
                .pick(
                    "密钥文件已改为不加口令。\n",
                    "The key file is plain again.\n",
                )
                .into())
        }
    }
}

fn how(device: &Device, lang: Lang) -> String {
    match (&device.vouch, lang) {
        (Vouch::Own, _) => lang.pick("本机", "this store").into(),
        (Vouch::Operator { by }, Lang::Zh) => format!("{by} 手动登记"),
        (Vouch::Operator { by }, Lang::En) => format!("added by {by}"),
        (Vouch::FirstUse { by }, Lang::Zh) => format!("{by} 首次导入时信任"),
        (Vouch::FirstUse { by }, Lang::En) => format!("trusted on first use by {by}"),
        (Vouch::Roster { issuer }, Lang::Zh) => format!("总部 {} 登记", short(issuer)),
        (Vouch::Roster { issuer }, Lang::En) => format!("enrolled by HQ {}", short(issuer)),
    }
}

fn list(store: &Store, lang: Lang, as_json: bool) -> Result<String> {
    let list = store.devices()?;
    if as_json {
        return json(&list);
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|d| {
            let mut state = Vec::new();
            if d.hq {
                state.push(lang.pick("总部", "HQ").to_string());
            }
            if d.removed {
                state.push(lang.pick("已移除", "removed").to_string());
            }
            if let Some(from) = d.revoked_from {
                state.push(format!("{}#{from}", lang.pick("吊销自", "revoked from ")));
            }
            if !d.disputed.is_empty() {
                state.push(lang.pick("密钥有争议", "key disputed").to_string());
            }
            let fingerprint = if d.disputed.is_empty() {
                d.fingerprint.clone()
            } else {
                lang.pick("（有争议，见下）", "(disputed, see below)")
                    .into()
            };
            vec![
                d.name.clone(),
                d.inspector.clone(),
                d.device.clone(),
                fingerprint,
                how(d, lang),
                state.join(" "),
            ]
        })
        .collect();
    let mut out = columns(
        &[
            lang.pick("名称", "name"),
            lang.pick("检查员", "inspector"),
            lang.pick("设备", "device"),
            lang.pick("指纹", "fingerprint"),
            lang.pick("来由", "how"),
            lang.pick("状态", "state"),
        ],
        &rows,
    );
    for d in list.iter().filter(|d| !d.disputed.is_empty()) {
        out.push_str(&dispute(d, &list, lang));
    }
    Ok(out)
}

/// A disputed device's keys, who vouches for each, and what the operator can do.
fn dispute(d: &Device, all: &[Device], lang: Lang) -> String {
    let live_hq = |id: &str| all.iter().find(|x| x.device == id && x.hq && !x.removed);
    let mut out = match lang {
        Lang::Zh => format!(
            "\n设备 {}（{}）的密钥有争议，它的变更一律单独保存、不应用：\n",
            d.name, d.device
        ),
        Lang::En => format!(
            "\nDevice {} ({}) has a disputed key; its changes are kept apart, not applied:\n",
            d.name, d.device
        ),
    };
    for key in &d.disputed {
        let mut by: Vec<String> = d
            .vouched_by
            .values()
            .flatten()
            .filter(|e| &e.key == key)
            .filter_map(|e| live_hq(&e.issuer))
            .map(|hq| {
                format!(
                    "{} {} ({})",
                    lang.pick("总部", "HQ"),
                    hq.name,
                    short(&hq.device)
                )
            })
            .collect();
        if matches!(d.vouch, Vouch::FirstUse { .. }) && &d.key == key {
            by.push(lang.pick("首次导入时信任", "trusted on first use").into());
        }
        let fingerprint = PeerKey::parse(key)
            .map(|p| p.fingerprint())
            .unwrap_or_default();
        out.push_str(&format!(
            "  {key}\n    {} {fingerprint}; {} {}\n",
            lang.pick("指纹", "fingerprint"),
            lang.pick("来自", "vouched for by"),
            by.join(", ")
        ));
    }
    out.push_str(lang.pick(
        "请当面或电话与检查员核对指纹，然后用 `fieldcheck trust add 正确的公钥 --name 名称` 选定；或用 `fieldcheck trust remove 总部` 移除登记了错误密钥的总部。下次导入时会重新核对它的变更。\n",
        "Compare the fingerprints with the inspector in person or by phone, then run `fieldcheck trust add THE-RIGHT-KEY --name NAME`, or `fieldcheck trust remove HQ` for the HQ that vouched for the wrong key. The next import checks its changes again.\n",
    ));
    out
}

fn reason(reason: &Reason, lang: Lang) -> String {
    match (reason, lang) {
        (Reason::UnknownDevice, _) => lang.pick("设备未登记", "unknown device").into(),
        (Reason::Removed, _) => lang.pick("设备已移除", "device removed").into(),
        (Reason::Revoked, _) => lang.pick("设备已吊销", "device revoked").into(),
        (Reason::Ahead, _) => lang
            .pick("时间比本机时钟晚一天以上", "dated over a day ahead")
            .into(),
        (Reason::Forked, _) => lang
            .pick("设备有两份历史", "device has two histories")
            .into(),
        (Reason::VisitDisputed { visit }, Lang::Zh) => format!("走访 {visit} 有两份内容"),
        (Reason::VisitDisputed { visit }, Lang::En) => format!("visit {visit} has two contents"),
        (Reason::IdReused { id }, Lang::Zh) => format!("变更编号 {id} 被两条变更使用"),
        (Reason::IdReused { id }, Lang::En) => format!("change id {id} used by two changes"),
        (Reason::BadSignature, _) => lang
            .pick(
                "签名与设备密钥不符",
                "signature does not hold for the device's key",
            )
            .into(),
        (Reason::KeyDisputed, _) => lang
            .pick("设备密钥有争议", "the device's key is disputed")
            .into(),
    }
}

/// What to do about the reasons that wait for the operator's word on a key.
fn hints(kept: &[crate::store::Quarantined], lang: Lang) -> String {
    let mut out = String::new();
    if kept.iter().any(|q| q.reason == Reason::KeyDisputed) {
        out.push_str(lang.pick(
            "密钥有争议：两个总部（或首次信任与总部）给同一设备登记了不同密钥，`fieldcheck trust list` 列出两把。核实后用 `fieldcheck trust add 正确的公钥 --name 名称` 选定，或用 `fieldcheck trust remove` 移除登记了错误密钥的总部；下次导入时这些变更会重新核对。\n",
            "key disputed: two HQs (or a first use and an HQ) gave the device different keys; `fieldcheck trust list` shows both. Check which is right, then `fieldcheck trust add THE-RIGHT-KEY --name NAME`, or `fieldcheck trust remove` the HQ that vouched for the wrong one; the next import checks these changes again.\n",
        ));
    }
    if kept.iter().any(|q| q.reason == Reason::BadSignature) {
        out.push_str(lang.pick(
            "签名不符：这些变更不是其设备的密钥所签（伪造，或转交途中被改动），不会应用；若该设备的密钥后来更正，下次导入会重新核对。\n",
            "signature does not hold: these changes were not signed with their device's key (forged, or altered on the way) and are not applied; if the device's key is settled otherwise later, the next import checks them again.\n",
        ));
    }
    out
}

#[derive(Serialize)]
struct Listing<'a> {
    kept_apart: &'a [crate::store::Quarantined],
    disputes: &'a [crate::store::Dispute],
}

pub fn quarantine(store: &Store, lang: Lang, as_json: bool) -> Result<String> {
    let (kept, disputes) = store.quarantine()?;
    if as_json {
        return json(&Listing {
            kept_apart: &kept,
            disputes: &disputes,
        });
    }
    let rows: Vec<Vec<String>> = kept
        .iter()
        .map(|q| {
            vec![
                format!("{}#{}", short(&q.change.device), q.change.idx),
                q.change.entity.clone(),
                q.change.field.clone(),
                reason(&q.reason, lang),
            ]
        })
        .collect();
    let mut out = columns(
        &[
            lang.pick("变更", "change"),
            lang.pick("对象", "entity"),
            lang.pick("字段", "field"),
            lang.pick("原因", "why"),
        ],
        &rows,
    );
    if kept.is_empty() {
        out.push_str(lang.pick("（没有单独保存的变更）\n", "(nothing kept apart)\n"));
    }
    out.push_str(&hints(&kept, lang));
    Ok(out)
}

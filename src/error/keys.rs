//! Messages about this store's keys and the recipients of its bundles.

use super::Error;
use crate::i18n::Lang;

pub(super) fn message(error: &Error, lang: Lang) -> String {
    let zh = lang == Lang::Zh;
    match error {
        Error::KeyLocked { path } => {
            let p = path.display();
            if zh {
                format!(
                    "密钥文件 {p} 有口令保护，但没有给出口令或口令不对。请设置环境变量 FIELDCHECK_PASSPHRASE 为口令后重试。数据库未被改动。"
                )
            } else {
                format!(
                    "the key file {p} is protected by a passphrase, and none was given or it is wrong. Set FIELDCHECK_PASSPHRASE to the passphrase and try again. The store was not changed."
                )
            }
        }
        Error::KeyMismatch { path } => {
            let p = path.display();
            if zh {
                format!(
                    "密钥文件 {p} 不是本库的密钥（可能被换成了另一个库的）。请放回本库自己的密钥文件，或从备份恢复；丢失时请总部为本检查员登记新密钥。数据库未被改动。"
                )
            } else {
                format!(
                    "the key file {p} is not this store's key (it may have been swapped with another store's). Put this store's own key file back or restore it from a backup; if it is lost, have headquarters enrol a new key for this inspector. The store was not changed."
                )
            }
        }
        Error::NoRecipients => lang
            .pick(
                "没有可加密发送的对象：请先用 `fieldcheck trust add 公钥 --name 名称 --hq` 登记总部（或信任一台设备）；双方都同意时可用 --plain 导出不加密的变更包。未写出任何文件。",
                "nobody to encrypt the bundle to: pin headquarters first with `fieldcheck trust add KEY --name NAME --hq` (or trust a device); where both sides agree, --plain writes an unencrypted bundle. Nothing was written.",
            )
            .into(),
        Error::BackupNeedsPassphrase => lang
            .pick(
                "备份不会把未加密的密钥放在未加密的副本旁边：请设置环境变量 FIELDCHECK_PASSPHRASE 为一个口令（副本的密钥将用它加密，恢复后使用时也要它），或先用 `fieldcheck key protect` 给本机密钥加口令。未写出任何文件。",
                "a backup never puts a plain key beside a plain copy: set FIELDCHECK_PASSPHRASE to a passphrase (the copy's key is sealed with it, and the restored store needs it), or protect this store's key first with `fieldcheck key protect`. Nothing was written.",
            )
            .into(),
        Error::PassphraseMissing => lang
            .pick(
                "没有给出口令：请设置环境变量 FIELDCHECK_PASSPHRASE 为新口令后重试。密钥未被改动。",
                "no passphrase given: set FIELDCHECK_PASSPHRASE to the new passphrase and try again. The key was not changed.",
            )
            .into(),
        Error::KeyChanged { device } => {
            if zh {
                format!(
                    "本库已知设备 {device} 用的是另一把密钥：一台设备的编号和密钥同时生成，永不更换。若它的密钥丢失或被盗，请先吊销旧设备（trust revoke），再为检查员新建库（fieldcheck init，会得到新编号）并登记新公钥。未作改动。"
                )
            } else {
                format!(
                    "this store knows device {device} with another key: a device's id and key are made together and never change. If its key was lost or stolen, revoke the old device (trust revoke), have the inspector make a new store (fieldcheck init, which gives a new id) and enrol its key. Nothing was changed."
                )
            }
        }
        _ => String::new(),
    }
}

//! Everything that can go wrong, each with a message that says what, where, and what to do.

use std::path::PathBuf;

use crate::i18n::Lang;
pub use crate::model::RecordKind;
use crate::model::Status;
use crate::model::form::Problem;
use crate::model::lifecycle::Refusal;

pub type Result<T, E = Error> = std::result::Result<T, E>;

mod disk;
mod keys;
mod texts;
pub use disk::{DiskFault, Target};
pub use texts::NoticeProblem;
use texts::{bundle_message, kind_words, not_a_file};

/// Why a visit cannot be corrected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrectWhy {
    Superseded,
    /// Not the lead's latest visit: what came after built on it.
    NotLatest,
}

#[derive(Debug)]
pub enum Error {
    /// An input file could not be read.
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    /// An input (a notice, a bundle) that is not a regular file: refused before it is read.
    NotAFile {
        path: PathBuf,
        /// One of the kinds in `crate::files` (`FOLDER`, `FIFO`…).
        kind: &'static str,
        what: crate::files::InputKind,
    },
    /// A notice file larger than `crate::notice::MAX_NOTICE_BYTES`: refused before it is read.
    NoticeTooLarge {
        path: PathBuf,
        limit: u64,
    },
    /// The notice file is not in the expected layout.
    Notice {
        file: String,
        line: usize,
        problem: NoticeProblem,
    },
    UnknownId {
        kind: RecordKind,
        id: String,
    },
    AmbiguousId {
        kind: RecordKind,
        id: String,
        candidates: Vec<String>,
    },
    /// A lead state that does not exist.
    BadStatus {
        text: String,
    },
    /// A date that cannot be read.
    BadDate {
        text: String,
    },
    /// A lead's fact as typed (its register `field`: debtor, amount, contact, phone) cannot be
    /// taken.
    BadLeadFact {
        text: String,
        field: &'static str,
    },
    /// Rule 4: every lead keeps a deadline.
    DeadlineRequired,
    /// A spreadsheet report with more rows than a worksheet holds.
    TooManyRows {
        rows: usize,
        limit: usize,
    },
    /// `lead set` without anything to set.
    NothingToSet,
    /// A lead recorded on site with a field that must change.
    BadNewLead {
        problem: crate::model::site_lead::NewLeadProblem,
    },
    /// Standard output could not be written (a full disk behind a redirect, say).
    Output {
        detail: String,
    },
    /// Whatever read standard output stopped reading (`| head`): not worth a message.
    OutputClosed,
    /// An output file could not be written.
    Write {
        path: PathBuf,
        detail: String,
    },
    /// A state change the notice's rules forbid.
    Rule {
        refusal: Refusal,
        from: Status,
        to: Status,
    },
    /// Another process holds the store's lock.
    StoreInUse {
        path: PathBuf,
    },
    /// The store was written by a newer fieldcheck.
    StoreNewer {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    /// The file exists but is not a readable fieldcheck store.
    StoreDamaged {
        path: PathBuf,
        detail: String,
    },
    /// The store could not be created or opened (permissions, missing folder, full disk).
    StoreOpen {
        path: PathBuf,
        detail: String,
    },
    /// The store path names a folder.
    StoreIsFolder {
        path: PathBuf,
    },
    /// No `--store`, no `FIELDCHECK_STORE`, and the system has no data folder.
    NoDataFolder,
    /// Another notice with a different number already has this id.
    NoticeIdTaken {
        id: String,
        held: String,
        new: String,
    },
    /// A search without anything to search for.
    EmptyQuery,
    /// No visit has this id (or id start).
    UnknownVisit {
        id: String,
    },
    /// A visit that cannot be finalized: what cannot be read, and the rules it breaks.
    VisitRejected {
        problems: Vec<Problem>,
    },
    /// A correction of a visit that is not final, belongs to another lead or was corrected.
    CannotCorrect {
        id: String,
        why: CorrectWhy,
    },
    /// The terminal could not be used.
    Terminal {
        detail: String,
    },
    /// A bundle refused before anything was written.
    Bundle {
        file: String,
        problem: crate::sync::bundle::Problem,
    },
    UnknownConflict {
        id: String,
    },
    /// Not a public key (64 hex digits), or not trusted.
    BadKey {
        key: String,
    },
    /// `verify` found records where the state and the change log disagree.
    Inconsistent {
        entities: Vec<String>,
    },
    /// Backup or restore would replace an existing file without `--force`.
    WouldReplace {
        path: PathBuf,
    },
    /// There is no store file where one is needed (to back up, or to restore from).
    NoStoreAt {
        path: PathBuf,
    },
    /// The key file is sealed with a passphrase and `FIELDCHECK_PASSPHRASE` is missing or wrong.
    KeyLocked {
        path: PathBuf,
    },
    /// The key file beside the store is not the store's own key (swapped with another store's).
    KeyMismatch {
        path: PathBuf,
    },
    /// An export with nobody to encrypt it to: no HQ pinned, no device trusted.
    NoRecipients,
    /// A backup of a store whose key is not protected, without a passphrase to seal the copy's.
    BackupNeedsPassphrase,
    /// A visit too large for a bundle line: its notes and lists are too long.
    VisitTooLarge {
        bytes: usize,
        limit: usize,
    },
    /// `key protect` without `FIELDCHECK_PASSPHRASE`.
    PassphraseMissing,
    /// `trust add` of a key for a device this store knows with another key.
    KeyChanged {
        device: String,
    },
    /// A read or write inside an open store failed.
    Store {
        detail: String,
    },
    /// The disk refused a write: full, read-only, or not permitted.
    Disk {
        fault: DiskFault,
        target: Target,
    },
}

impl Error {
    /// The message shown to the user, in their language.
    pub fn message(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        match self {
            Error::ReadFile { path, source } => {
                let p = path.display();
                let why = disk::read_failure(source, lang);
                if zh {
                    format!("无法读取文件 {p}：{why}。请检查路径和权限。")
                } else {
                    format!("cannot read {p}: {why}. Check the path and its permissions.")
                }
            }
            Error::NotAFile { path, kind, what } => not_a_file(path, kind, *what, lang),
            Error::NoticeTooLarge { path, limit } => {
                let (p, mb) = (path.display(), limit / (1024 * 1024));
                if zh {
                    format!(
                        "{p} 超过 {mb} MB，比任何通知都大（10 万条线索的全省通知约 25 MB），未读取，未导入任何内容。请确认这是通知文件（.txt）。"
                    )
                } else {
                    format!(
                        "{p} is larger than {mb} MB, more than any notice (a province-sized one with 100,000 leads is about 25 MB), and was not read; nothing was imported. Check that this is the notice file (.txt)."
                    )
                }
            }
            Error::Notice {
                file,
                line,
                problem,
            } => {
                let what = problem.message(lang);
                if zh {
                    format!("{file}:{line}: {what}。未导入任何内容，请修正文件后重试。")
                } else {
                    format!(
                        "{file}:{line}: {what}. Nothing was imported; fix the file and try again."
                    )
                }
            }
            Error::UnknownId { kind, id } => {
                let (zk, ek, cmd) = kind_words(*kind);
                if zh {
                    format!("没有编号为 {id} 的{zk}。用 `fieldcheck {cmd}` 查看所有编号。")
                } else {
                    format!("no {ek} has the id {id}. Run `fieldcheck {cmd}` to list the ids.")
                }
            }
            Error::AmbiguousId {
                kind,
                id,
                candidates,
            } => {
                let (zk, ek, _) = kind_words(*kind);
                let list = candidates.join(", ");
                if zh {
                    format!("{id} 可指多条{zk}：{list}。请写出完整编号。")
                } else {
                    format!("{id} matches several {ek}s: {list}. Give the full id.")
                }
            }
            Error::BadStatus { text } => {
                let codes: Vec<String> = crate::model::Status::ALL
                    .iter()
                    .map(|s| format!("{} ({})", s.code(), s.label(Lang::Zh)))
                    .collect();
                let codes = codes.join(", ");
                if zh {
                    format!("没有“{text}”这种线索状态。可用：{codes}。")
                } else {
                    format!("there is no lead state “{text}”. Use one of: {codes}.")
                }
            }
            Error::Output { detail } => {
                if zh {
                    format!("无法写出结果：{detail}。存储未被改动。")
                } else {
                    format!("cannot write the output: {detail}. Nothing in the store was changed.")
                }
            }
            Error::OutputClosed => String::new(),
            Error::Write { path, detail } => {
                let p = path.display();
                if zh {
                    format!("无法写入 {p}：{detail}。请换一个可写的位置。")
                } else {
                    format!("cannot write {p}: {detail}. Choose a writable place.")
                }
            }
            Error::TooManyRows { rows, limit } => {
                if zh {
                    format!(
                        "xlsx 的一张工作表最多容纳 {limit} 行线索，这份报告有 {rows} 行：请用 --district 按区县分开导出，或用 --format csv。未写入任何文件。"
                    )
                } else {
                    format!(
                        "an xlsx worksheet holds at most {limit} rows of leads and this report has {rows}: export it by district (--district) or as --format csv. No file was written."
                    )
                }
            }
            Error::DeadlineRequired => lang
                .pick(
                    "规则4：每条线索都要有反馈期限，不能删除；可改为新的日期。",
                    "rule 4: every lead keeps a feedback deadline; it cannot be removed, only moved.",
                )
                .into(),
            Error::NothingToSet => lang
                .pick(
                    "没有要修改的内容：请给出 --status、--supervised、--confidential、--assignee、--deadline、--attention、--debtor、--amount-wan、--contact 或 --phone。",
                    "nothing to set: give --status, --supervised, --confidential, --assignee, --deadline, --attention, --debtor, --amount-wan, --contact or --phone.",
                )
                .into(),
            Error::BadNewLead { problem } => {
                if zh {
                    format!("新线索未记录：{}。未做任何改动。", problem.message(lang))
                } else {
                    format!("The new lead was not recorded: {}. Nothing was changed.", problem.message(lang))
                }
            }
            Error::BadLeadFact { text, field } => texts::bad_lead_fact(text, field, lang),
            Error::BadDate { text } => {
                if zh {
                    format!("日期“{text}”无法读取，请写 2022-02-10、today、+7 或 none。")
                } else {
                    format!("date “{text}” cannot be read; write 2022-02-10, today, +7 or none.")
                }
            }
            Error::Rule { refusal, from, to } => {
                let (f, t) = (from.label(lang), to.label(lang));
                let why = refusal.message(lang);
                if zh {
                    format!("不能把线索从“{f}”改为“{t}”：{why}")
                } else {
                    format!("cannot move the lead from “{f}” to “{t}”: {why}")
                }
            }
            Error::StoreInUse { path } => {
                let p = path.display();
                if zh {
                    format!(
                        "数据库 {p} 正被另一个 fieldcheck 进程使用。请先关闭它，或用 --store 指定另一个数据库。"
                    )
                } else {
                    format!(
                        "store {p} is in use by another fieldcheck process. Close that one first, or pick another store with --store."
                    )
                }
            }
            Error::StoreNewer {
                path,
                found,
                supported,
            } => {
                let p = path.display();
                if zh {
                    format!(
                        "数据库 {p} 由更新版本的 fieldcheck 写入（结构版本 {found}，本程序只认识到 {supported}）。请升级 fieldcheck；数据库未被改动。"
                    )
                } else {
                    format!(
                        "store {p} was written by a newer fieldcheck (schema {found}; this one knows up to {supported}). Upgrade fieldcheck; the store was not changed."
                    )
                }
            }
            Error::StoreDamaged { path, detail } => {
                let p = path.display();
                if zh {
                    format!(
                        "{p} 不是可读的 fieldcheck 数据库（{detail}）。请检查 --store 路径，或从备份恢复。"
                    )
                } else {
                    format!(
                        "{p} is not a readable fieldcheck store ({detail}). Check the --store path, or restore a backup."
                    )
                }
            }
            Error::StoreOpen { path, detail } => {
                let p = path.display();
                if zh {
                    format!(
                        "无法打开或创建数据库 {p}：{detail}。请用 --store 或 FIELDCHECK_STORE 指定一个可写的位置。"
                    )
                } else {
                    format!(
                        "cannot open or create store {p}: {detail}. Pick a writable place with --store or FIELDCHECK_STORE."
                    )
                }
            }
            Error::StoreIsFolder { path } => {
                let p = path.display();
                if zh {
                    format!("{p} 是一个文件夹，不是数据库文件。请给 --store 一个文件路径，如 {p}/store.redb。")
                } else {
                    format!("{p} is a folder, not a store file. Give --store a file path, like {p}/store.redb.")
                }
            }
            Error::NoDataFolder => lang
                .pick(
                    "这个系统没有用户数据文件夹。请用 --store 或 FIELDCHECK_STORE 指定数据库文件。",
                    "this system has no user data folder. Name a store file with --store or FIELDCHECK_STORE.",
                )
                .into(),
            Error::NoticeIdTaken { id, held, new } => {
                if zh {
                    format!("通知 {new} 的编号 {id} 已被数据库中的另一份通知 {held} 使用，未导入任何内容。请联系开发者处理编号冲突。")
                } else {
                    format!("notice {new} would get the id {id}, which the store already gives to notice {held}; nothing was imported. Report this id clash to the developers.")
                }
            }
            Error::EmptyQuery => lang
                .pick(
                    "搜索需要关键词，例如 fieldcheck search 北碚 或 search bbq。",
                    "search needs something to look for, e.g. fieldcheck search 北碚 or search bbq.",
                )
                .into(),
            Error::UnknownVisit { id } => {
                if zh {
                    format!("没有编号为 {id} 的走访记录。用 `fieldcheck visit list` 查看。")
                } else {
                    format!("no visit has the id {id}. Run `fieldcheck visit list` to see them.")
                }
            }
            Error::VisitRejected { problems } => {
                let list: Vec<String> = problems.iter().map(|p| format!("\n  - {}", p.message(lang))).collect();
                if zh {
                    format!("走访记录未保存，请补正：{}", list.concat())
                } else {
                    format!("the visit was not saved; fix:{}", list.concat())
                }
            }
            Error::CannotCorrect { id, why } => {
                let reason = match why {
                    CorrectWhy::Superseded => lang.pick("它已被更正过，请更正最新的那条", "it was corrected already; correct the newest one"),
                    CorrectWhy::NotLatest => lang.pick(
                        "只能更正这条线索最近的一次走访（之后的走访以它为依据）；请记录一次新的走访",
                        "only the lead's latest visit can be corrected (later visits built on it); record a new visit instead",
                    ),
                };
                if zh {
                    format!("不能更正走访 {id}：{reason}。")
                } else {
                    format!("cannot correct visit {id}: {reason}.")
                }
            }
            e @ (Error::KeyLocked { .. }
            | Error::KeyMismatch { .. }
            | Error::NoRecipients
            | Error::BackupNeedsPassphrase
            | Error::PassphraseMissing
            | Error::KeyChanged { .. }) => {
                keys::message(e, lang)
            }
            Error::Bundle { file, problem } => {
                let why = bundle_message(problem, lang);
                if zh {
                    format!("拒绝导入变更包 {file}：{why}。数据库未被改动。")
                } else {
                    format!("bundle {file} refused: {why}. The store was not changed.")
                }
            }
            Error::UnknownConflict { id } => {
                if zh {
                    format!("没有编号为 {id} 的冲突。用 `fieldcheck conflicts` 查看。")
                } else {
                    format!("no conflict has the id {id}. Run `fieldcheck conflicts` to see them.")
                }
            }
            Error::BadKey { key } => {
                if zh {
                    format!("“{key}”不是受信任列表中的公钥，或不是公钥（64 位十六进制）。对方可用 `fieldcheck identity` 查看。")
                } else {
                    format!("“{key}” is not a public key (64 hex digits) or not in the trusted list. The other device shows it with `fieldcheck identity`.")
                }
            }
            Error::WouldReplace { path } => {
                let p = path.display();
                if zh {
                    format!("{p} 已存在，未作改动。如确要替换它，请加 --force。")
                } else {
                    format!("{p} exists and was left as it is. Add --force to replace it.")
                }
            }
            Error::NoStoreAt { path } => {
                let p = path.display();
                if zh {
                    format!("{p} 处没有数据库文件。请检查路径（备份用 --store 指定数据库）。")
                } else {
                    format!("there is no store file at {p}. Check the path (name the store to back up with --store).")
                }
            }
            Error::Inconsistent { entities } => {
                // At most this many named: a broken province-sized store differs in millions.
                const SHOWN: usize = 20;
                let mut list = entities
                    .iter()
                    .take(SHOWN)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ");
                let (n, more) = (entities.len(), entities.len().saturating_sub(SHOWN));
                if more > 0 {
                    list.push_str(&if zh {
                        format!(" 等（共 {n} 条，另有 {more} 条未列出）")
                    } else {
                        format!(" and {more} more ({n} in all)")
                    });
                }
                if zh {
                    format!("不一致：以下记录与变更日志重建的结果不同：{list}。请从备份恢复，或把数据库交给开发者检查。")
                } else {
                    format!("inconsistent: these records differ from the state rebuilt from the change log: {list}. Restore a backup, or hand the store to the developers.")
                }
            }
            Error::VisitTooLarge { bytes, limit } => {
                let (kb, most) = (bytes / 1024, limit / 1024);
                if zh {
                    format!("这条走访记录有 {kb} KB，超过上限 {most} KB（其他设备无法接收）：请缩短备注或拆成几条记录。未保存。")
                } else {
                    format!("this visit takes {kb} KB, over the {most} KB a visit may (other stores could not take it): shorten its notes or split it into several visits. Nothing was saved.")
                }
            }
            Error::Terminal { detail } => {
                if zh {
                    format!("终端出错：{detail}。请在真正的终端里运行 fieldcheck，或使用命令行子命令（fieldcheck --help）。")
                } else {
                    format!("terminal error: {detail}. Run fieldcheck in a real terminal, or use a subcommand (fieldcheck --help).")
                }
            }
            Error::Store { detail } => {
                if zh {
                    format!("数据库读写失败：{detail}。未做任何改动。")
                } else {
                    format!("store read/write failed: {detail}. Nothing was changed.")
                }
            }
            Error::Disk { fault, target } => disk::message(*fault, target, lang),
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inconsistent_store_names_at_most_twenty_records_and_the_count() {
        let entities: Vec<String> = (0..25_000).map(|i| format!("lead:x/{i}")).collect();
        let en = Error::Inconsistent { entities }.message(Lang::En);
        assert!(
            en.contains("lead:x/19,") || en.contains("lead:x/19 "),
            "{en}"
        );
        assert!(
            !en.contains("lead:x/20,") && !en.contains("lead:x/20 "),
            "{en}"
        );
        assert!(en.contains("and 24980 more (25000 in all)"), "{en}");
        assert!(en.len() < 1_000, "{}", en.len());
        let few = Error::Inconsistent {
            entities: vec!["lead:a".into(), "visit:b".into()],
        };
        let zh = few.message(Lang::Zh);
        assert!(zh.contains("lead:a, visit:b") && !zh.contains("共"), "{zh}");
    }
}

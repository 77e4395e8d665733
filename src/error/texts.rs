//! The words of errors that have many cases: problems in notice files, bundle refusals, and
//! the rules a state change would break.

use super::RecordKind;
use crate::i18n::Lang;
use crate::model::amount::AmountError;
use crate::model::lifecycle::Refusal;

/// A problem found in a notice file, at a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeProblem {
    NotText,
    NoNumber,
    NoDate,
    NoTable,
    MissingColumn { column: &'static str },
    CellCount { expected: usize, found: usize },
    BadSeq { text: String },
    DuplicateSeq { seq: u32 },
    EmptyCell { column: &'static str },
    BadAmount { text: String, why: AmountError },
}

impl NoticeProblem {
    pub fn message(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        match self {
            NoticeProblem::NotText => lang
                .pick(
                    "文件不是 UTF-8 文本（请另存为 UTF-8 的 .txt）",
                    "the file is not UTF-8 text (save it as UTF-8 .txt)",
                )
                .into(),
            NoticeProblem::NoNumber => lang
                .pick(
                    "开头几行没有文号（如 渝减负办〔2022〕3号）",
                    "no notice number (like 渝减负办〔2022〕3号) on the first lines",
                )
                .into(),
            NoticeProblem::NoDate => lang
                .pick(
                    "正文后没有成文日期（如 2022年1月19日）",
                    "no issue date (like 2022年1月19日) after the body",
                )
                .into(),
            NoticeProblem::NoTable => lang
                .pick(
                    "没有可识别的表格：需要以制表符开头的表头行 序号/省份或区县（部门）/电话…，或 序号/债权人名称/…/问题归属",
                    "no recognisable table: expected a tab-led header row 序号/省份 or 区县（部门）/电话…, or 序号/债权人名称/…/问题归属",
                )
                .into(),
            NoticeProblem::MissingColumn { column } => {
                if zh {
                    format!("表头缺少“{column}”列")
                } else {
                    format!("the header row has no “{column}” column")
                }
            }
            NoticeProblem::CellCount { expected, found } => {
                if zh {
                    format!("这一行有 {found} 个单元格，表头有 {expected} 个")
                } else {
                    format!("this row has {found} cells; the header has {expected}")
                }
            }
            NoticeProblem::BadSeq { text } => {
                if zh {
                    format!("序号“{text}”不是数字")
                } else {
                    format!("序号 “{text}” is not a number")
                }
            }
            NoticeProblem::DuplicateSeq { seq } => {
                if zh {
                    format!("序号 {seq} 在同一表格中出现了两次")
                } else {
                    format!("序号 {seq} appears twice in the same table")
                }
            }
            NoticeProblem::EmptyCell { column } => {
                if zh {
                    format!("“{column}”不能为空")
                } else {
                    format!("“{column}” must not be empty")
                }
            }
            NoticeProblem::BadAmount { text, why } => {
                let reason = match why {
                    AmountError::NotANumber => lang.pick("不是数字", "not a number"),
                    AmountError::TooPrecise => lang.pick("小数位过多", "too many decimals"),
                    AmountError::TooLarge => lang.pick("数额过大", "too large"),
                };
                if zh {
                    format!("欠款金额“{text}”无法读取：{reason}（未知金额请写 /）")
                } else {
                    format!("amount “{text}” cannot be read: {reason} (write / for unknown)")
                }
            }
        }
    }
}

pub(super) fn bundle_message(problem: &crate::sync::bundle::Problem, lang: Lang) -> String {
    use crate::sync::bundle::Problem as P;
    let zh = lang == Lang::Zh;
    match problem {
        P::NotABundle => lang
            .pick(
                "不是 fieldcheck 变更包（或文件头已损坏）",
                "not a fieldcheck bundle (or its header is damaged)",
            )
            .into(),
        P::Version(v) => {
            if zh {
                let known = crate::sync::bundle::VERSION;
                format!("变更包版本为 {v}，本程序只认识版本 {known}；请让双方使用同一版本的 fieldcheck")
            } else {
                let known = crate::sync::bundle::VERSION;
                format!(
                    "bundle version {v}; this fieldcheck knows version {known} only: use the same fieldcheck version on both sides"
                )
            }
        }
        P::Checksum => lang
            .pick(
                "校验和不符：文件不完整或被改动，请重新拷贝",
                "checksum mismatch: the file is incomplete or altered; copy it again",
            )
            .into(),
        P::Unsigned => lang.pick("没有签名", "it is not signed").into(),
        P::BadSignature => lang
            .pick(
                "签名无效：文件头被改动，或不是签名者写的",
                "the signature does not match: the header was altered",
            )
            .into(),
        P::Untrusted { key, fingerprint } => {
            if zh {
                format!(
                    "打包者不受信任（指纹 {fingerprint}）。请与对方当面或电话核对指纹后，用 `fieldcheck trust add {key} --name 名称` 信任它（总部则登记它），或用 `import --trust-new`"
                )
            } else {
                format!(
                    "its packer is not trusted (fingerprint {fingerprint}). Compare the fingerprint with the other side in person or by phone, then run `fieldcheck trust add {key} --name NAME` (at headquarters: enrol it), or `import --trust-new`"
                )
            }
        }
        P::Ranges => lang
            .pick(
                "文件头所列各设备的序号范围与内容不符：变更包被改动",
                "the header's per-device idx ranges do not match the changes in it: the bundle was altered",
            )
            .into(),
        P::Forged { change, device } => {
            if zh {
                format!(
                    "变更 {change} 的签名与它所称的设备 {device} 的密钥不符：它是伪造的，或在转交途中被改动。整个变更包未导入；请向打包者核实"
                )
            } else {
                format!(
                    "the signature of change {change} does not hold for the key of the device it names ({device}): it was forged, or altered on the way. Nothing of the bundle was imported; check with whoever packed it"
                )
            }
        }
        P::NotForUs => lang
            .pick(
                "变更包是加密给别的库的，不是给本库的：请让发送方把本库登记为接收方（总部用 trust add 登记本机的公钥），再重新导出",
                "it is encrypted for other stores, not this one: have the sender add this store as a recipient (headquarters enrols this laptop's key with trust add) and export again",
            )
            .into(),
        P::SealDamaged => lang
            .pick(
                "加密内容已损坏（文件不完整或被改动），请重新拷贝",
                "its encryption is damaged (the file is incomplete or altered); copy it again",
            )
            .into(),
        P::Plain => lang
            .pick(
                "变更包没有加密，而本库已登记总部，只接受加密的变更包。若双方确已同意使用未加密的变更包，请加 --allow-plain",
                "it is not encrypted, and this store has pinned its headquarters, so it takes encrypted bundles only. If both sides agreed to plain bundles, add --allow-plain",
            )
            .into(),
        P::Corrupt { line } => {
            if zh {
                format!("第 {line} 行不是一条变更（或条数不符）")
            } else {
                format!("line {line} is not a change (or the count is wrong)")
            }
        }
        P::OwnDevice { change } => {
            if zh {
                format!(
                    "变更 {change} 出自本设备，但本库没有它：这是本库的复制品写的。每台电脑要用自己的数据库（fieldcheck init）"
                )
            } else {
                format!(
                    "change {change} comes from this device, but this store does not hold it: a copy of this store wrote it. Every laptop needs its own store (fieldcheck init)"
                )
            }
        }
        P::Invalid { change } => {
            if zh {
                format!("变更 {change} 的值不符合其字段")
            } else {
                format!("change {change} has a value its field cannot hold")
            }
        }
        P::Oversized { line } => {
            let kb = crate::sync::bundle::MAX_LINE_BYTES / 1024;
            if zh {
                format!("第 {line} 行超过 {kb} KB，没有这么大的变更：变更包已损坏或被改动")
            } else {
                format!(
                    "line {line} is longer than {kb} KB, which no change is: the bundle is damaged or was tampered with"
                )
            }
        }
        P::TooLarge => {
            let mb = crate::sync::bundle::MAX_BUNDLE_BYTES / (1024 * 1024);
            if zh {
                format!(
                    "文件超过 {mb} MB，比任何变更包都大（10 万条签名变更约 49 MB），未读取：这不是 fieldcheck 写出的变更包，或已损坏。请核对文件"
                )
            } else {
                format!(
                    "the file is larger than {mb} MB, more than any bundle (100,000 signed changes take about 49 MB), and was not read: it is not a bundle fieldcheck wrote, or it is damaged. Check the file"
                )
            }
        }
    }
}

impl Refusal {
    /// The rule, in the user's language.
    pub fn message(self, lang: Lang) -> &'static str {
        match self {
            Refusal::ResolveNeedsVisit => lang.pick(
                "办结须有附外部或书面证据的实地核查记录（规则1、2）。",
                "resolving takes an on-site check with written or external evidence (rules 1, 2).",
            ),
            Refusal::NegotiateNeedsDispute => lang.pick(
                "转入协商须记录有分歧的核查结果，并写明下一步措施和期限（规则3）。",
                "negotiation starts from a disputed finding with a next step and a due date (rule 3).",
            ),
            Refusal::CloseNeedsRevisit => lang.pick(
                "只有确认办结的回访才能结案（规则5）。",
                "only a revisit that confirms the outcome closes a lead (rule 5).",
            ),
            Refusal::ClosedIsFinal => lang.pick(
                "已回访办结的线索只能由复核重新打开（规则5）。",
                "a closed lead is reopened only by a re-verification (rule 5).",
            ),
            Refusal::NewOnlyFromVerifying => lang.pick(
                "只有“核查中”的线索可以退回“待核查”。",
                "only a lead being verified can go back to new.",
            ),
            Refusal::Unchanged => lang.pick("线索已是这个状态。", "the lead is already in that state."),
        }
    }
}

/// An input that is not a regular file: what it is, that nothing was read, what to give.
pub(super) fn not_a_file(
    path: &std::path::Path,
    kind: &str,
    what: crate::files::InputKind,
    lang: Lang,
) -> String {
    use crate::files::{self, InputKind};
    let p = path.display();
    if lang == Lang::Zh {
        let is = match kind {
            files::FOLDER => "是文件夹，",
            files::FIFO => "是命名管道（FIFO），",
            files::DEVICE => "是设备文件，",
            files::SOCKET => "是套接字，",
            _ => "",
        };
        let give = match what {
            InputKind::Notice => "通知文件（.txt）",
            InputKind::Bundle => "变更包文件（.fcb）",
        };
        format!("{p} {is}不是普通文件，未读取，数据库未被改动。请给出{give}的路径。")
    } else {
        let is = match kind {
            files::OTHER => String::from("is not a regular file"),
            kind => format!("is {kind}, not a regular file,"),
        };
        let give = match what {
            InputKind::Notice => "a notice file (.txt)",
            InputKind::Bundle => "a bundle file (.fcb)",
        };
        format!("{p} {is} and was not read; the store was not changed. Give the path of {give}.")
    }
}

/// A record kind's words: Chinese, English, and the command that lists them.
pub(super) fn kind_words(kind: RecordKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        RecordKind::Lead => ("线索", "lead", "leads"),
        RecordKind::Channel => ("投诉渠道", "channel", "directory"),
    }
}

/// A lead's fact as typed (its register `field`) that cannot be taken, and what to write.
pub fn bad_lead_fact(text: &str, field: &str, lang: Lang) -> String {
    use crate::sync::change::{MAX_CONTACT_CHARS, MAX_DEBTOR_CHARS};
    let zh = lang == Lang::Zh;
    let (zh_what, en_what) = match field {
        "amount_yuan" => (
            "金额：请写万元数（如 76.6，最多 4 位小数）".to_string(),
            "amount: write 万元 (like 76.6, at most 4 decimals)".to_string(),
        ),
        "contact" => (
            format!("联系人：请写姓名（最多 {MAX_CONTACT_CHARS} 字，不含控制字符）"),
            format!("contact: write a name (at most {MAX_CONTACT_CHARS} characters, no control characters)"),
        ),
        "phone" => (
            "联系电话：请写号码（至少 3 位数字，可带 - + ( ) 空格或 转，最多 40 字）".to_string(),
            "phone: write a number (3 digits at least; - + ( ), spaces or 转 between; 40 characters at most)".to_string(),
        ),
        _ => (
            format!("债务人：请写名称（最多 {MAX_DEBTOR_CHARS} 字，不含控制字符）"),
            format!("debtor: write a name (at most {MAX_DEBTOR_CHARS} characters, no control characters)"),
        ),
    };
    if zh {
        format!("“{text}”无法作为线索的{zh_what}；none 清除。未做任何改动。")
    } else {
        format!("“{text}” cannot be a lead's {en_what}; none clears it. Nothing was changed.")
    }
}

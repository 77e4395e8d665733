//! The parser is driven by header rows, not by attachment numbers or positions: a second notice
//! with other attachments, rows, column orders and optional columns imports correctly; broken
//! files are refused with the line at fault.

use chrono::NaiveDate;
use fieldcheck::error::{Error, NoticeProblem};
use fieldcheck::model::{Phone, Scope};
use fieldcheck::notice;

const OTHER: &str = include_str!("fixtures/other-notice.txt");

fn problem(text: &str) -> (usize, NoticeProblem) {
    match notice::parse(text, "t.txt") {
        Err(Error::Notice { line, problem, .. }) => (line, problem),
        other => panic!("expected a notice error, got {other:?}"),
    }
}

#[test]
fn another_notice_in_the_same_layout() {
    let parsed = notice::parse(OTHER, "other").expect("parses");
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let n = parsed.notice;
    assert_eq!(n.meta.id, "sc-jx-2023-12");
    assert_eq!(n.meta.number, "川经信〔2023〕12号");
    assert_eq!(n.meta.issuer.as_deref(), Some("四川省经济和信息化厅"));
    assert_eq!(n.meta.date, NaiveDate::from_ymd_opt(2023, 1, 20).unwrap());
    assert_eq!(
        n.meta.feedback_deadline,
        NaiveDate::from_ymd_opt(2023, 2, 15)
    );
    let contact = n.meta.contact.clone().expect("contact");
    assert_eq!(contact.phone.as_deref(), Some("028-86000000"));
    assert_eq!(contact.email.as_deref(), Some("sc-qq@example.cn"));

    // Leads come first here (附件1), with the columns in another order.
    assert_eq!(n.leads.len(), 2);
    let first = &n.leads[0];
    assert_eq!(first.id, "sc-jx-2023-12/a1/1");
    assert_eq!(first.district, "成都市");
    assert_eq!(first.creditor, "四川蜀光电子有限公司");
    assert_eq!(first.debtor.as_deref(), Some("某建设集团有限公司"));
    assert_eq!(first.amount_yuan, Some(1_205_000));
    assert_eq!(first.matter, "反映被拖欠货款120.5万元，\n已多次催要。");
    assert_eq!(first.deadline, NaiveDate::from_ymd_opt(2023, 2, 15));
    let second = &n.leads[1];
    assert_eq!((second.amount_yuan, second.debtor.as_deref()), (None, None));

    // A provincial table with its columns reordered, then a local one under 附件4 with no
    // 邮箱/网址 columns and the phones last.
    assert_eq!(n.channels.len(), 3);
    let sichuan = &n.channels[0];
    assert_eq!(
        (sichuan.id.as_str(), sichuan.scope),
        ("sc-jx-2023-12/a2/1", Scope::National)
    );
    assert_eq!(sichuan.emails, ["sc-jf@example.cn"]);
    assert_eq!(
        sichuan.phones,
        [
            Phone {
                number: "028-86648143".into(),
                fax: false
            },
            Phone {
                number: "028-86264820".into(),
                fax: true
            }
        ]
    );
    assert_eq!(
        sichuan.urls,
        ["https://sc.example.cn/a", "https://sc.example.cn/b"]
    );
    let chengdu = &n.channels[1];
    assert_eq!(
        (chengdu.id.as_str(), chengdu.scope),
        ("sc-jx-2023-12/a4/1", Scope::Chongqing)
    );
    assert_eq!(chengdu.remarks, ["工作日受理"]);
    assert_eq!(
        chengdu.phones,
        [
            Phone {
                number: "028-12345".into(),
                fax: false
            },
            Phone {
                number: "028-86000001".into(),
                fax: true
            }
        ]
    );
    assert!(n.channels[2].remarks.is_empty());
}

#[test]
fn a_row_with_a_missing_cell_is_reported_with_its_line() {
    // Drop 绵阳长虹配件厂's amount cell (line 33 of the fixture holds row 2's 序号).
    let broken = OTHER.replacen("\t—\n\t/\n", "\t/\n", 1);
    let (line, p) = problem(&broken);
    assert_eq!(
        p,
        NoticeProblem::CellCount {
            expected: 6,
            found: 5
        }
    );
    let row_line = OTHER.lines().position(|l| l == "\t2").map(|i| i + 1);
    assert_eq!(Some(line), row_line);
}

#[test]
fn a_bad_amount_is_reported_not_skipped() {
    let broken = notice::SEED.replace("\t76.6\n", "\t约76.6\n");
    let (line, p) = problem(&broken);
    assert!(matches!(p, NoticeProblem::BadAmount { .. }), "{p:?}");
    let at = notice::SEED
        .lines()
        .position(|l| l == "\t76.6")
        .map(|i| i + 1);
    assert_eq!(Some(line), at);
}

#[test]
fn a_non_numeric_or_repeated_seq_is_refused() {
    let (_, p) = problem(&notice::SEED.replacen("\t15\n\t北碚区", "\t十五\n\t北碚区", 1));
    assert_eq!(
        p,
        NoticeProblem::BadSeq {
            text: "十五".into()
        }
    );
    let (_, p) = problem(&notice::SEED.replacen("\t16\n\t渝北区", "\t15\n\t渝北区", 1));
    assert_eq!(p, NoticeProblem::DuplicateSeq { seq: 15 });
}

#[test]
fn text_without_tables_or_number_is_refused() {
    let body: String = notice::SEED.lines().take(25).collect::<Vec<_>>().join("\n");
    assert_eq!(problem(&body).1, NoticeProblem::NoTable);
    assert_eq!(problem("hello\nworld\n").1, NoticeProblem::NoNumber);
    let no_date = notice::SEED.replace("2022年1月19日", "");
    assert_eq!(problem(&no_date).1, NoticeProblem::NoDate);
}

#[test]
fn a_lead_table_without_a_district_column_is_refused() {
    let broken = notice::SEED.replace("\t问题归属\n", "\t归口\n");
    let (_, p) = problem(&broken);
    assert_eq!(
        p,
        NoticeProblem::MissingColumn {
            column: "问题归属"
        }
    );
}

#[test]
fn windows_line_endings_and_a_bom_parse_the_same() {
    let crlf = format!("\u{feff}{}", notice::SEED.replace('\n', "\r\n"));
    let a = notice::parse(&crlf, "crlf").expect("parses").notice;
    let b = notice::seed().expect("parses");
    assert_eq!(a, b);
}

#[test]
fn non_utf8_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gbk.txt");
    std::fs::write(&path, [0xd6, 0xd8, 0xc7, 0xec, 0xff]).unwrap();
    match notice::read_file(&path) {
        Err(Error::Notice { problem, .. }) => assert_eq!(problem, NoticeProblem::NotText),
        other => panic!("{other:?}"),
    }
}

#[test]
fn two_tables_under_one_heading_get_distinct_ids() {
    let text =
        notice::SEED.to_string() + "\t序号\n\t债权人名称\n\t问题归属\n\n\t1\n\t乙公司\n\t渝北区\n";
    let n = notice::parse(&text, "two").expect("parses").notice;
    let ids: Vec<&str> = n.leads.iter().map(|l| l.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "cq-jfb-2022-3/a3/1",
            "cq-jfb-2022-3/a3/2",
            "cq-jfb-2022-3/a3/3",
            "cq-jfb-2022-3/a3-2/1"
        ]
    );
}

#[test]
fn unknown_tables_empty_tables_and_missing_deadlines_are_reported() {
    let text = OTHER.replace("请成都市、绵阳市于2月15日前报送核查结果。", "")
        + "\n\n附件5\n\n\t编号\n\t单位\n\n\t1\n\t甲\n\n\n附件6\n\n\t序号\n\t债权人名称\n\t问题归属\n";
    let parsed = notice::parse(&text, "t").expect("parses");
    assert_eq!(parsed.notice.leads.len(), 2);
    let kinds: Vec<String> = parsed
        .warnings
        .iter()
        .map(|w| w.message(fieldcheck::i18n::Lang::En))
        .collect();
    assert_eq!(kinds.len(), 3, "{kinds:?}");
    assert!(kinds[0].contains("(header 编号/单位)"), "{kinds:?}");
    assert!(kinds[1].contains("has no rows"), "{kinds:?}");
    assert!(kinds[2].contains("2 leads have none"), "{kinds:?}");
    assert!(parsed.notice.leads.iter().all(|l| l.deadline.is_none()));
}

#[test]
fn dates_inside_attachments_do_not_become_the_notice_date() {
    let text = notice::SEED.replace("附件3\n", "附件3\n2023年6月1日\n");
    let meta = notice::parse(&text, "t").expect("parses").notice.meta;
    assert_eq!(meta.date, NaiveDate::from_ymd_opt(2022, 1, 19).unwrap());
    assert_eq!(meta.feedback_deadline, NaiveDate::from_ymd_opt(2022, 1, 30));
}

#[test]
fn a_note_after_a_table_stays_out_of_the_last_cell() {
    let text = notice::SEED.replace(
        "不敢通过公开途径要回账款。\n",
        "不敢通过公开途径要回账款。\n\n注：金额以核实为准。\n",
    );
    let n = notice::parse(&text, "t").expect("parses").notice;
    assert_eq!(
        n.leads[2].matter,
        "重庆安宝清洁服务有限公司反映，为维持长期合作关系，不敢通过公开途径要回账款。"
    );
}

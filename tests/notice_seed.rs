//! The built-in notice 渝减负办〔2022〕3号, parsed: every row of all three tables (golden
//! snapshot, reviewed by hand against the text) and the values the issue names.

use chrono::NaiveDate;
use fieldcheck::model::{Notice, Phone, Scope, Status};
use fieldcheck::notice;

fn seed() -> Notice {
    notice::seed().expect("the seed parses")
}

fn phone(number: &str, fax: bool) -> Phone {
    Phone {
        number: number.into(),
        fax,
    }
}

#[test]
fn every_row_of_every_table_matches_the_golden_file() {
    insta::assert_json_snapshot!("seed_notice", seed());
}

#[test]
fn metadata() {
    let meta = seed().meta;
    assert_eq!(meta.id, "cq-jfb-2022-3");
    assert_eq!(meta.number, "渝减负办〔2022〕3号");
    assert_eq!(
        meta.issuer.as_deref(),
        Some("重庆市减轻企业负担联席会议办公室")
    );
    assert_eq!(
        meta.title.as_deref(),
        Some("关于进一步加大减轻企业负担和清理拖欠中小企业账款工作力度的通知")
    );
    assert_eq!(meta.date, NaiveDate::from_ymd_opt(2022, 1, 19).unwrap());
    let contact = meta.contact.expect("contact");
    assert_eq!(contact.name, "包能");
    assert_eq!(contact.phone.as_deref(), Some("63899272"));
    assert_eq!(contact.email.as_deref(), Some("cqjxwyxj@163.com"));
    assert_eq!(meta.feedback_deadline, NaiveDate::from_ymd_opt(2022, 1, 30));
}

#[test]
fn table_sizes_and_scopes() {
    let n = seed();
    let national = n
        .channels
        .iter()
        .filter(|c| c.scope == Scope::National)
        .count();
    let chongqing = n
        .channels
        .iter()
        .filter(|c| c.scope == Scope::Chongqing)
        .count();
    assert_eq!((national, chongqing, n.leads.len()), (31, 46, 3));
    assert!(
        n.channels
            .iter()
            .filter(|c| c.scope == Scope::National)
            .all(|c| c.id.contains("/a1/"))
    );
    assert!(
        n.channels
            .iter()
            .filter(|c| c.scope == Scope::Chongqing)
            .all(|c| c.id.contains("/a2/"))
    );
}

#[test]
fn the_examples_the_issue_names() {
    let n = seed();
    let ch = |name: &str| {
        n.channels
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    let beijing = ch("北京");
    assert_eq!(beijing.id, "cq-jfb-2022-3/a1/1");
    assert_eq!(
        beijing.phones,
        [
            phone("010-12345", false),
            phone("010-55578188", false),
            phone("010-55578300", false),
            phone("010-55578522", false)
        ]
    );
    assert_eq!(beijing.emails, ["bj-jianfu@bjeit.gov.cn"]);
    assert!(beijing.urls.is_empty());
    assert_eq!(ch("河北").phones[2], phone("0311-87801583", true));
    assert_eq!(ch("河北").phones.iter().filter(|p| p.fax).count(), 1);
    assert_eq!(ch("湖南").urls.len(), 2);
    assert_eq!(
        ch("秀山县").phones,
        [
            phone("023-76895600", false),
            phone("023-76895393", false),
            phone("023-76895600", true)
        ]
    );
    assert_eq!(
        ch("万州区").remarks,
        ["非法增加企业负担投诉，保障中小企业款项支付投诉，违约拖欠中小企业款项登记（投诉）"]
    );
    assert_eq!(ch("内蒙古").phones, [phone("400-01-56871", false)]);
    let beibei = ch("北碚区");
    assert_eq!(beibei.id, "cq-jfb-2022-3/a2/15");
    assert_eq!(beibei.phones, [phone("023-68860760", false)]);

    let pengkun = &n.leads[0];
    assert_eq!(pengkun.id, "cq-jfb-2022-3/a3/1");
    assert_eq!(pengkun.creditor, "重庆朋昆电子有限公司");
    assert_eq!(pengkun.amount_yuan, Some(766_000));
    assert_eq!(pengkun.district, "北碚区");
    assert_eq!(pengkun.debtor, None);
    assert_eq!(n.leads[1].amount_yuan, Some(3_826_000));
    let anbao = &n.leads[2];
    assert_eq!(anbao.creditor, "重庆安宝清洁服务有限公司");
    assert_eq!(anbao.amount_yuan, None);
    assert_eq!(anbao.district, "渝北区");
    for lead in &n.leads {
        assert_eq!(lead.deadline, NaiveDate::from_ymd_opt(2022, 1, 30));
        assert_eq!(lead.status, Status::New);
        assert!(!lead.supervised && !lead.confidential);
    }
}

#[test]
fn no_value_keeps_a_typographic_dash_or_an_empty_mark() {
    let n = seed();
    for c in &n.channels {
        let values = c
            .phones
            .iter()
            .map(|p| &p.number)
            .chain(&c.emails)
            .chain(&c.urls)
            .chain(&c.remarks);
        for v in values {
            assert!(
                !v.contains('—') && !v.is_empty() && v != "/",
                "{}: {v:?}",
                c.id
            );
        }
        for p in &c.phones {
            assert!(
                p.number.chars().all(|ch| ch.is_ascii_digit() || ch == '-'),
                "{p:?}"
            );
        }
    }
}

#[test]
fn parsing_twice_gives_the_same_ids() {
    let a = seed();
    let b = notice::parse(notice::SEED, "copy").expect("parses");
    assert_eq!(a, b.notice);
    assert!(b.warnings.is_empty(), "{:?}", b.warnings);
}

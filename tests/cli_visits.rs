//! `visit add|list|show|correct`, `lead set` and `report`, run as a user would.

use predicates::str::contains;
use serde_json::Value;

mod common;
use common::Bin;

struct Env {
    dir: tempfile::TempDir,
    bin: Bin,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let bin = Bin::dated(dir.path().join("s.redb"), "2022-01-28");
    let e = Env { dir, bin };
    e.ok(&["init", "--inspector", "张三"]);
    e
}

impl std::ops::Deref for Env {
    type Target = Bin;
    fn deref(&self) -> &Bin {
        &self.bin
    }
}

impl Env {
    fn state(&self) -> (Value, Value) {
        (self.json(&["leads"]), self.json(&["visit", "list"]))
    }
}

const DISPUTE: &[&str] = &[
    "visit",
    "add",
    "a3/1",
    "--kind",
    "onsite",
    "--finding",
    "disputed",
    "--at",
    "2022-01-27 10:30",
    "--met",
    "王五,财务,023-68860000",
    "--amount-wan",
    "76.6",
    "--evidence",
    "contract:HT-2021-07:采购合同",
    "--evidence",
    "statement:DZ-2022-01",
    "--cause",
    "funds",
    "--next",
    "约双方到区经信委协商",
    "--due",
    "+7",
    "--note",
    "对方认可部分欠款",
];

#[test]
fn visit_add_records_a_visit_with_every_field() {
    let e = env();
    let v = e.json(DISPUTE);
    assert_eq!(v["lead"], "cq-jfb-2022-3/a3/1");
    assert_eq!(
        (v["kind"].as_str(), v["finding"].as_str()),
        (Some("onsite"), Some("disputed"))
    );
    assert_eq!(v["at"], "2022-01-27T02:30:00Z");
    assert_eq!(v["inspector"], "张三");
    assert_eq!(
        v["met"][0],
        serde_json::json!({"name": "王五", "role": "财务", "phone": "023-68860000"})
    );
    assert_eq!(v["amount_yuan"], 766000);
    assert_eq!(v["paid_yuan"], Value::Null);
    assert_eq!(
        v["evidence"][0],
        serde_json::json!({"kind": "contract", "ref": "HT-2021-07", "note": "采购合同"})
    );
    assert_eq!(v["cause"], "funds");
    assert_eq!(
        v["next"],
        serde_json::json!({"text": "约双方到区经信委协商", "due": "2022-02-04"})
    );
    assert_eq!(v["notes"], "对方认可部分欠款");
    assert_eq!(v["supersedes"], Value::Null);
    let lead = e.json(&["lead", "show", "a3/1"]);
    assert_eq!(
        (lead["status"].as_str(), lead["visits"].as_u64()),
        (Some("negotiating"), Some(1))
    );
    assert_eq!(lead["last_finding"], "disputed");
    assert_eq!(lead["history"].as_array().unwrap().len(), 1);
}

#[test]
fn a_visit_that_breaks_a_rule_is_refused_and_changes_nothing() {
    let e = env();
    let before = e.state();
    e.cmd()
        .args([
            "visit",
            "add",
            "a3/1",
            "--kind",
            "onsite",
            "--finding",
            "unreachable",
        ])
        .assert()
        .code(1)
        .stderr(contains("规则2"));
    e.cmd()
        .args([
            "--lang",
            "en",
            "visit",
            "add",
            "a3/1",
            "--kind",
            "revisit",
            "--finding",
            "confirmed",
        ])
        .assert()
        .code(1)
        .stderr(contains("does not apply"));
    e.cmd()
        .args([
            "visit",
            "add",
            "a3/1",
            "--kind",
            "onsite",
            "--finding",
            "paid",
            "--evidence",
            "photo",
        ])
        .assert()
        .code(1)
        .stderr(contains("种类:编号"));
    e.cmd()
        .args(["visit", "add", "a3/9", "--kind", "onsite"])
        .assert()
        .code(1)
        .stderr(contains("a3/9"));
    assert_eq!(e.state(), before);
}

#[test]
fn drafts_are_saved_without_rules() {
    let e = env();
    e.ok(&[
        "visit",
        "add",
        "a3/2",
        "--kind",
        "onsite",
        "--finding",
        "unreachable",
        "--draft",
    ]);
    assert_eq!(e.json(&["visit", "list"]).as_array().unwrap().len(), 0);
    assert_eq!(e.json(&["lead", "show", "a3/2"])["status"], "new");
}

#[test]
fn list_show_and_correct() {
    let e = env();
    let first = e.json(DISPUTE);
    let id = first["id"].as_str().unwrap();
    let shown = e.ok(&["visit", "show", &id[..13]]);
    assert!(
        shown.contains("约双方到区经信委协商") && shown.contains("待核查 → 协商中"),
        "{shown}"
    );
    // A correction states its reason; without one it is refused and nothing is written.
    e.cmd()
        .args(["visit", "correct", id, "--amount-wan", "70"])
        .assert()
        .code(1)
        .stderr(contains("更正须写明原因"));
    assert_eq!(
        e.json(&["visit", "list", "a3/1"]).as_array().unwrap().len(),
        1
    );
    let fixed = e.json(&[
        "visit",
        "correct",
        id,
        "--amount-wan",
        "70",
        "--reason",
        "金额记错",
    ]);
    assert_eq!(fixed["supersedes"], id);
    assert_eq!(fixed["reason"], "金额记错");
    assert!(
        e.ok(&["visit", "show", &fixed["id"].as_str().unwrap()[..13]])
            .contains("金额记错")
    );
    assert_eq!(fixed["amount_yuan"], 700000);
    assert_eq!(
        fixed["evidence"].as_array().unwrap().len(),
        2,
        "copied from the corrected visit"
    );
    assert_eq!(fixed["at"], "2022-01-27T02:30:00Z");
    let list = e.json(&["visit", "list", "a3/1"]);
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(e.ok(&["visit", "list"]).contains("已更正"));
    e.cmd()
        .args(["visit", "correct", id, "--reason", "再改"])
        .assert()
        .code(1)
        .stderr(contains("已被更正"));
    e.cmd()
        .args(["visit", "show", "nope"])
        .assert()
        .code(1)
        .stderr(contains("visit list"));
}

#[test]
fn lead_set_follows_the_rules() {
    let e = env();
    let lead = e.json(&[
        "lead",
        "set",
        "a3/3",
        "--status",
        "verifying",
        "--supervised",
        "true",
        "--confidential",
        "true",
        "--assignee",
        "李四",
        "--deadline",
        "2022-02-15",
    ]);
    assert_eq!(lead["status"], "verifying");
    assert_eq!(
        (lead["supervised"].as_bool(), lead["confidential"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(
        (lead["assignee"].as_str(), lead["deadline"].as_str()),
        (Some("李四"), Some("2022-02-15"))
    );
    let before = e.json(&["leads"]);
    e.cmd()
        .args([
            "lead",
            "set",
            "a3/3",
            "--status",
            "closed",
            "--supervised",
            "false",
        ])
        .assert()
        .code(1)
        .stderr(contains("规则5"));
    e.cmd()
        .args(["lead", "set", "a3/3", "--deadline", "soon"])
        .assert()
        .code(1)
        .stderr(contains("soon"));
    assert_eq!(e.json(&["leads"]), before);
    assert_eq!(
        e.json(&["leads"])[0]["id"],
        "cq-jfb-2022-3/a3/3",
        "supervised first"
    );
}

fn reported(e: &Env) {
    e.ok(&["lead", "set", "a3/3", "--confidential", "true"]);
    e.ok(DISPUTE);
    e.ok(&[
        "visit",
        "add",
        "a3/2",
        "--kind",
        "onsite",
        "--finding",
        "paid",
        "--paid-wan",
        "382.6",
        "--evidence",
        "bank-record:LS-2022-001",
        "--cause",
        "contract",
        "--at",
        "2022-01-27",
    ]);
}

#[test]
fn report_markdown_masks_confidential_creditors() {
    let e = env();
    reported(&e);
    let md = e.ok(&["report"]);
    insta::assert_snapshot!("report_md", md);
    assert!(md.contains("重庆安宝********") && !md.contains("重庆安宝清洁"));
    let open = e.ok(&["report", "--show-confidential", "--district", "渝北"]);
    assert!(open.contains("重庆安宝清洁服务有限公司") && !open.contains("朋昆"));
}

#[test]
fn report_csv_starts_with_a_bom() {
    let e = env();
    reported(&e);
    let path = e.dir.path().join("r.csv");
    e.ok(&["report", "--format", "csv", "--out", path.to_str().unwrap()]);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    insta::assert_snapshot!(
        "report_csv",
        String::from_utf8(bytes[3..].to_vec()).unwrap()
    );
}

#[test]
fn report_xlsx_reads_back() {
    use calamine::{Reader, Xlsx, open_workbook};
    let e = env();
    reported(&e);
    let path = e.dir.path().join("r.xlsx");
    e.ok(&[
        "--lang",
        "en",
        "report",
        "--format",
        "xlsx",
        "--out",
        path.to_str().unwrap(),
    ]);
    let mut book: Xlsx<_> = open_workbook(&path).unwrap();
    assert_eq!(book.sheet_names(), ["Ledger", "Totals"]);
    let ledger = book.worksheet_range("Ledger").unwrap();
    let cell = |r: u32, c: u32| {
        ledger
            .get_value((r, c))
            .map(|v| v.to_string())
            .unwrap_or_default()
    };
    assert_eq!(cell(0, 0), "id");
    assert_eq!(cell(0, 13), "systemic causes");
    assert_eq!(ledger.height(), 4);
    let rows: Vec<Vec<String>> = (1..4)
        .map(|r| (0..14).map(|c| cell(r, c)).collect())
        .collect();
    let anbao = rows.iter().find(|r| r[0] == "cq-jfb-2022-3/a3/3").unwrap();
    assert_eq!(anbao[1], "重庆安宝********");
    let jiateng = rows.iter().find(|r| r[0] == "cq-jfb-2022-3/a3/2").unwrap();
    assert_eq!(
        (
            jiateng[5].as_str(),
            jiateng[6].as_str(),
            jiateng[8].as_str(),
            jiateng[13].as_str()
        ),
        ("resolved", "paid", "382.6", "contract")
    );
    // Amounts are numbers, so a spreadsheet can sum them.
    assert!(matches!(
        ledger.get_value((1, 4)),
        Some(calamine::Data::Float(_))
    ));
    let totals = book.worksheet_range("Totals").unwrap();
    assert_eq!(
        totals.get_value((0, 0)).map(|v| v.to_string()),
        Some("Totals by district".into())
    );
    e.cmd()
        .args(["report", "--format", "xlsx"])
        .assert()
        .code(1)
        .stderr(contains("--out"));
}

#[test]
fn lead_set_keeps_a_deadline_needs_something_and_clears_attention() {
    let e = env();
    e.cmd()
        .args(["lead", "set", "a3/1", "--deadline", "none"])
        .assert()
        .code(1)
        .stderr(contains("规则4"));
    e.cmd()
        .args(["lead", "set", "a3/1"])
        .assert()
        .code(1)
        .stderr(contains("--status"));
    let lead = e.json(&[
        "lead",
        "set",
        "a3/1",
        "--attention",
        "true",
        "--deadline",
        "+3",
    ]);
    assert_eq!(
        (lead["attention"].as_bool(), lead["deadline"].as_str()),
        (Some(true), Some("2022-01-31"))
    );
    assert!(e.ok(&["leads"]).contains("需关注"));
    assert_eq!(
        e.json(&["lead", "set", "a3/1", "--attention", "false"])["attention"],
        false
    );
}

#[test]
fn a_draft_with_unknown_codes_is_refused() {
    let e = env();
    e.cmd()
        .args([
            "visit",
            "add",
            "a3/1",
            "--kind",
            "onsite",
            "--finding",
            "ok",
            "--draft",
        ])
        .assert()
        .code(1)
        .stderr(contains("核查结果“ok”不存在"));
    e.ok(&[
        "visit",
        "add",
        "a3/1",
        "--kind",
        "onsite",
        "--finding",
        "paid",
        "--draft",
    ]);
    assert!(
        e.ok(&["visit", "add", "a3/1", "--kind", "onsite", "--draft"])
            .contains("替换")
    );
}

#[test]
fn evidence_carried_into_a_revisit_is_counted_once() {
    let e = env();
    e.ok(&[
        "visit",
        "add",
        "a3/2",
        "--kind",
        "onsite",
        "--finding",
        "paid",
        "--evidence",
        "bank-record:LS-1",
    ]);
    e.ok(&[
        "visit",
        "add",
        "a3/2",
        "--kind",
        "revisit",
        "--finding",
        "confirmed",
        "--met",
        "王会计,财务,",
        "--evidence",
        "bank-record:LS-1",
    ]);
    let csv = e.ok(&["report", "--format", "csv"]);
    let row = csv
        .lines()
        .find(|l| l.starts_with("cq-jfb-2022-3/a3/2"))
        .unwrap();
    assert_eq!(row.split(',').nth(7), Some("1"), "{row}");
}

#[test]
fn a_corrected_visit_leaves_the_report() {
    let e = env();
    let first = e.json(&[
        "visit",
        "add",
        "a3/2",
        "--kind",
        "onsite",
        "--finding",
        "paid",
        "--paid-wan",
        "10",
        "--evidence",
        "bank-record:LS-1",
    ]);
    let id = first["id"].as_str().unwrap();
    // The correction replaces the evidence: the report counts the correction's only.
    let fixed = e.json(&[
        "visit",
        "correct",
        id,
        "--evidence",
        "bank-record:LS-2",
        "--reason",
        "流水号记错",
    ]);
    assert_eq!(fixed["evidence"].as_array().unwrap().len(), 1, "{fixed}");
    let csv = e.ok(&["report", "--format", "csv"]);
    let row = csv
        .lines()
        .find(|l| l.starts_with("cq-jfb-2022-3/a3/2"))
        .unwrap();
    let cells: Vec<&str> = row.split(',').collect();
    assert_eq!((cells[7], cells[8]), ("1", "10"), "{row}");
}

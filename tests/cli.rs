//! The command line, run as a user would: the real binary on temporary store files.

use std::path::Path;

use fieldcheck::text::width;
use predicates::str::contains;
use serde_json::Value;

mod common;
use common::Bin;

const OTHER: &str = "tests/fixtures/other-notice.txt";

struct Env {
    _dir: tempfile::TempDir,
    bin: Bin,
}

fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let bin = Bin::new(dir.path().join("store.redb"));
    Env { _dir: dir, bin }
}

impl std::ops::Deref for Env {
    type Target = Bin;
    fn deref(&self) -> &Bin {
        &self.bin
    }
}

impl Env {
    /// Everything the store shows: directory and ledger.
    fn snapshot(&self) -> (Value, Value) {
        (self.json(&["directory"]), self.json(&["leads"]))
    }

    fn dir(&self) -> &Path {
        self.store.parent().unwrap()
    }
}

#[test]
fn init_creates_a_seeded_store_and_is_idempotent() {
    let e = env();
    let first = e.json(&["init", "--inspector", "张三", "--device", "lt-1"]);
    assert_eq!(first["inspector"], "张三");
    assert_eq!(first["device_name"], "lt-1");
    assert_eq!(first["channels"], 77);
    assert_eq!(first["leads"], 3);
    assert_eq!(first["schema_version"], 11);
    let again = e.json(&["init"]);
    assert_eq!(again["device_id"], first["device_id"]);
    assert_eq!(again["inspector"], "张三");
    e.cmd()
        .arg("init")
        .assert()
        .success()
        .stdout(contains("张三"));
}

#[test]
fn any_command_creates_the_store_on_first_use_and_the_env_var_picks_it() {
    let e = env();
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("fieldcheck");
    cmd.env("FIELDCHECK_STORE", &e.store)
        .arg("leads")
        .assert()
        .success();
    assert!(e.store.exists());
    e.cmd().assert().success().stdout(contains("77"));
}

#[test]
fn directory_json_has_the_contract_shape() {
    let e = env();
    let dir = e.json(&["directory"]);
    let list = dir.as_array().unwrap();
    assert_eq!(list.len(), 77);
    let beibei = list.iter().find(|c| c["name"] == "北碚区").unwrap();
    assert_eq!(beibei["id"], "cq-jfb-2022-3/a2/15");
    assert_eq!(beibei["scope"], "chongqing");
    assert_eq!(beibei["seq"], 15);
    assert_eq!(
        beibei["phones"],
        serde_json::json!([{"number": "023-68860760", "fax": false}])
    );
    assert_eq!(list[0]["scope"], "national");
    assert_eq!(
        list[0]["emails"],
        serde_json::json!(["bj-jianfu@bjeit.gov.cn"])
    );
    let xiushan = list.iter().find(|c| c["name"] == "秀山县").unwrap();
    assert_eq!(xiushan["phones"].as_array().unwrap().len(), 3);
}

#[test]
fn leads_are_filtered_and_in_ledger_order() {
    let e = env();
    let leads = e.json(&["leads"]);
    let ids: Vec<&str> = leads
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "cq-jfb-2022-3/a3/1",
            "cq-jfb-2022-3/a3/2",
            "cq-jfb-2022-3/a3/3"
        ]
    );
    let first = &leads[0];
    assert_eq!(first["creditor"], "重庆朋昆电子有限公司");
    assert_eq!(first["debtor"], Value::Null);
    assert_eq!(first["amount_yuan"], 766000);
    assert_eq!(first["deadline"], "2022-01-30");
    assert_eq!(first["status"], "new");
    assert_eq!(first["supervised"], false);
    assert_eq!(first["confidential"], false);
    assert_eq!(first["overdue"], true);
    assert_eq!(leads[2]["amount_yuan"], Value::Null);

    assert_eq!(
        e.json(&["leads", "--district", "北碚"])
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        e.json(&["leads", "--district", "渝北区"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        e.json(&["leads", "--status", "new"])
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        e.json(&["leads", "--status", "待核查"])
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        e.json(&["leads", "--status", "closed"])
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(e.json(&["leads", "--overdue"]).as_array().unwrap().len(), 3);

    // A notice due in the future is not overdue.
    let future = std::fs::read_to_string(OTHER)
        .unwrap()
        .replace("2023年1月20日", "2099年1月20日");
    let path = e.dir().join("future.txt");
    std::fs::write(&path, future).unwrap();
    e.cmd().arg("import-notice").arg(&path).assert().success();
    assert_eq!(e.json(&["leads"]).as_array().unwrap().len(), 5);
    assert_eq!(e.json(&["leads", "--overdue"]).as_array().unwrap().len(), 3);
}

#[test]
fn search_bbq_lists_beibei_channel_and_both_leads() {
    let e = env();
    let hits = e.json(&["search", "bbq"]);
    let top: Vec<(&str, &str)> = hits.as_array().unwrap()[..3]
        .iter()
        .map(|h| (h["kind"].as_str().unwrap(), h["id"].as_str().unwrap()))
        .collect();
    assert!(top.contains(&("channel", "cq-jfb-2022-3/a2/15")));
    assert!(top.contains(&("lead", "cq-jfb-2022-3/a3/1")));
    assert!(top.contains(&("lead", "cq-jfb-2022-3/a3/2")));
    assert!(hits[0]["score"].as_i64().unwrap() > 0);
    assert!(hits[0]["title"].as_str().unwrap().contains("北碚区"));

    let text = e.ok(&["search", "bbq"]);
    assert!(text.contains("[北碚区]"), "{text}");
    let leads_only = e.json(&["search", "bbq", "--in", "leads", "--limit", "1"]);
    assert_eq!(leads_only.as_array().unwrap().len(), 1);
    assert_eq!(leads_only[0]["kind"], "lead");
}

#[test]
fn lead_and_channel_show() {
    let e = env();
    let lead = e.json(&["lead", "show", "a3/1"]);
    assert_eq!(lead["id"], "cq-jfb-2022-3/a3/1");
    let contacts: Vec<&str> = lead["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(contacts, ["北碚区", "重庆"]);
    let text = e.ok(&["lead", "show", "cq-jfb-2022-3/a3/1"]);
    assert!(
        text.contains("023-68860760") && text.contains("76.6"),
        "{text}"
    );

    let channel = e.json(&["channel", "show", "cq-jfb-2022-3/a2/15"]);
    assert_eq!(
        channel["leads"],
        serde_json::json!(["cq-jfb-2022-3/a3/1", "cq-jfb-2022-3/a3/2"])
    );
    let text = e.ok(&["--lang", "en", "channel", "show", "a2/41"]);
    assert!(text.contains("023-76895600 (fax)"), "{text}");
}

#[test]
fn tables_align_chinese_columns_by_display_width() {
    let e = env();
    let text = e.ok(&["leads"]);
    let lines: Vec<&str> = text.lines().collect();
    let column_at = |line: &str, needle: &str| line.find(needle).map(|i| width(&line[..i]));
    let header = column_at(lines[0], "属地").unwrap();
    for line in &lines[1..] {
        let at = column_at(line, "北碚区").or_else(|| column_at(line, "渝北区"));
        assert_eq!(at, Some(header), "misaligned: {line}");
    }
}

#[test]
fn import_notice_adds_rows_once() {
    let e = env();
    let out = e.json(&["import-notice", OTHER]);
    assert_eq!(
        (out["channels_added"].as_u64(), out["leads_added"].as_u64()),
        (Some(3), Some(2))
    );
    let again = e.json(&["import-notice", OTHER]);
    assert_eq!(
        (
            again["channels_added"].as_u64(),
            again["already_present"].as_u64()
        ),
        (Some(0), Some(5))
    );
    e.cmd()
        .args(["import-notice", OTHER])
        .assert()
        .success()
        .stdout(contains("川经信〔2023〕12号"));
    let seed = std::fs::canonicalize("seeds/notice-cq-jfb-2022-3.txt").unwrap();
    let seed_again = e.json(&["import-notice", seed.to_str().unwrap()]);
    assert_eq!(seed_again["already_present"], 80);
}

#[test]
fn bad_notice_files_fail_clearly_and_change_nothing() {
    let e = env();
    let before = e.snapshot();
    let missing = e.dir().join("missing.txt");
    e.cmd()
        .arg("import-notice")
        .arg(&missing)
        .assert()
        .code(1)
        .stderr(contains("missing.txt"));

    let broken = std::fs::read_to_string(OTHER)
        .unwrap()
        .replacen("\t—\n\t/\n", "\t/\n", 1);
    let path = e.dir().join("broken.txt");
    std::fs::write(&path, broken).unwrap();
    let line = std::fs::read_to_string(OTHER)
        .unwrap()
        .lines()
        .position(|l| l == "\t2")
        .unwrap()
        + 1;
    e.cmd()
        .arg("--lang")
        .arg("en")
        .arg("import-notice")
        .arg(&path)
        .assert()
        .code(1)
        .stderr(contains(format!(
            "broken.txt:{line}: this row has 5 cells; the header has 6"
        )))
        .stderr(contains("Nothing was imported"));

    let no_table = e.dir().join("prose.txt");
    std::fs::write(
        &no_table,
        "渝减负办〔2022〕9号\n关于某事的通知\n正文。\n2022年3月1日\n",
    )
    .unwrap();
    e.cmd()
        .arg("import-notice")
        .arg(&no_table)
        .assert()
        .code(1)
        .stderr(contains("没有可识别的表格"));
    assert_eq!(e.snapshot(), before);
}

#[test]
fn a_failed_import_does_not_create_a_store() {
    let e = env();
    e.cmd()
        .args(["import-notice", "no/such/file.txt"])
        .assert()
        .code(1);
    assert!(!e.store.exists());
}

#[test]
fn unknown_ids_and_states_fail_with_exit_1() {
    let e = env();
    e.cmd()
        .args(["lead", "show", "cq-jfb-2022-3/a3/99"])
        .assert()
        .code(1)
        .stderr(contains("fieldcheck leads"));
    e.cmd()
        .args(["--lang", "en", "channel", "show", "nope"])
        .assert()
        .code(1)
        .stderr(contains("no channel has the id nope"));
    e.cmd()
        .args(["channel", "show", "1"])
        .assert()
        .code(1)
        .stderr(contains("cq-jfb-2022-3/a1/1"));
    e.cmd()
        .args(["leads", "--status", "done"])
        .assert()
        .code(1)
        .stderr(contains("verifying"));
}

#[test]
fn unusable_store_paths_fail_clearly() {
    let e = env();
    let file = e.dir().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("fieldcheck");
    cmd.env_remove("FIELDCHECK_STORE")
        .args(["--lang", "en", "--store"])
        .arg(file.join("store.redb"))
        .arg("leads")
        .assert()
        .code(1)
        .stderr(contains("cannot open or create store"));
}

#[test]
fn a_store_in_use_is_refused_by_name() {
    let e = env();
    e.cmd().arg("init").assert().success();
    let held = fieldcheck::store::Store::open(&e.store, &Default::default()).unwrap();
    e.cmd()
        .args(["--lang", "en", "leads"])
        .assert()
        .code(1)
        .stderr(contains("is in use by another fieldcheck process"))
        .stderr(contains("store.redb"));
    drop(held);
    e.cmd().arg("leads").assert().success();
}

#[test]
fn a_store_from_a_newer_fieldcheck_is_refused_untouched() {
    let e = env();
    e.cmd().arg("init").assert().success();
    {
        let db = redb::Database::create(&e.store).unwrap();
        let tx = db.begin_write().unwrap();
        tx.open_table(fieldcheck::store::tables::META)
            .unwrap()
            .insert("schema_version", "99")
            .unwrap();
        tx.commit().unwrap();
    }
    e.cmd()
        .args(["--lang", "en", "directory"])
        .assert()
        .code(1)
        .stderr(contains("newer fieldcheck (schema 99"));
}

#[test]
fn today_can_be_given_for_overdue_marks() {
    let e = env();
    let before = e.json(&["--today", "2022-01-25", "leads", "--overdue"]);
    assert_eq!(before.as_array().unwrap().len(), 0);
    let leads = e.json(&["--today", "2022-01-31", "leads"]);
    assert!(
        leads
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["overdue"] == true)
    );
    let text = e.ok(&["--today", "2022-01-25", "leads"]);
    assert!(!text.contains("逾期"), "{text}");
}

#[test]
fn usage_errors_and_empty_searches_exit_1() {
    let e = env();
    e.cmd().arg("--bogus").assert().code(1);
    e.cmd()
        .args(["search", "bbq", "--limit", "0"])
        .assert()
        .code(1);
    e.cmd()
        .args(["search", "  "])
        .assert()
        .code(1)
        .stderr(contains("search 北碚"));
    e.cmd().arg("--help").assert().success();
}

#[test]
fn an_empty_store_variable_falls_back_to_the_data_folder() {
    let e = env();
    let home = e.dir().join("home");
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("fieldcheck");
    cmd.env("FIELDCHECK_STORE", "")
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .args(["init", "--json"])
        .assert()
        .success()
        .stdout(contains("store.redb"));
    assert!(home.join("data/fieldcheck/store.redb").exists());
}

#[test]
fn notices_show_their_metadata_and_other_provinces_get_their_own_contacts() {
    let e = env();
    let text = e.ok(&["notices"]);
    assert!(
        text.contains("渝减负办〔2022〕3号") && text.contains("包能 63899272 cqjxwyxj@163.com"),
        "{text}"
    );
    assert!(text.contains("2022-01-30"), "{text}");
    e.json(&["import-notice", OTHER]);
    assert_eq!(e.json(&["notices"]).as_array().unwrap().len(), 2);
    let lead = e.json(&["lead", "show", "sc-jx-2023-12/a1/1"]);
    let contacts: Vec<&str> = lead["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    // The seed's 附件1 row for 四川 and the Sichuan notice's own provincial row.
    assert_eq!(contacts, ["成都市", "四川", "四川"]);
}

#[test]
fn import_warnings_are_printed() {
    let e = env();
    let text =
        std::fs::read_to_string(OTHER).unwrap() + "\n\n附件5\n\n\t编号\n\t单位\n\n\t1\n\t甲\n";
    let path = e.dir().join("extra.txt");
    std::fs::write(&path, text).unwrap();
    e.cmd()
        .arg("import-notice")
        .arg(&path)
        .assert()
        .success()
        .stdout(contains("注意：第"))
        .stdout(contains("编号/单位"));
    let out = e.json(&["import-notice", path.to_str().unwrap()]);
    assert_eq!(out["warnings"].as_array().unwrap().len(), 1);
}

/// What fieldcheck creates is owner-only: the store's new folder, the store, the key, and the
/// bundles folder.
#[cfg(unix)]
#[test]
fn new_store_files_and_folders_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("new");
    let bin = Bin::dated(folder.join("s.redb"), "2022-01-28");
    bin.ok(&["init", "--inspector", "张三"]);
    bin.ok(&["lead", "set", "a3/1", "--supervised", "true"]);
    bin.ok(&["export", "--plain"]);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&folder), 0o700);
    assert_eq!(mode(&folder.join("bundles")), 0o700);
    for entry in std::fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
}

//! The full listings read their tables from both ends on two threads and join each visit with
//! the device that wrote it by reading both tables side by side: on a store large enough that
//! both threads take part, every row must say what the one-lead listing (read by lookups) says.

mod common;

use common::Bin;

#[test]
fn the_full_visit_list_agrees_with_each_leads_own() {
    let dir = tempfile::tempdir().unwrap();
    let a = Bin::dated(dir.path().join("s.redb"), "2022-06-01");
    // Through the log from three laptops: visits with and without a known device.
    a.ok(&[
        "dev",
        "generate",
        "--leads",
        "1000",
        "--visits",
        "2000",
        "--devices",
        "3",
    ]);
    let all = a.ok(&["visit", "list"]);
    // Cells, whatever each listing's column widths.
    let cells = |row: &str| row.split_whitespace().collect::<Vec<_>>().join(" ");
    let rows: Vec<&str> = all.lines().skip(1).collect();
    let full: std::collections::HashSet<String> = rows.iter().map(|r| cells(r)).collect();
    assert!(
        rows.len() > 1100,
        "{} visits: too few for both threads",
        rows.len()
    );
    // Every 37th visit's lead, across the whole table.
    let mut leads: Vec<&str> = rows
        .iter()
        .step_by(37)
        .filter_map(|r| r.split_whitespace().nth(3))
        .collect();
    leads.sort_unstable();
    leads.dedup();
    for lead in leads {
        let own = a.ok(&["visit", "list", lead]);
        for row in own.lines().skip(1) {
            assert!(
                full.contains(&cells(row)),
                "{lead}: {row:?} is not in the full list"
            );
        }
    }
    // Newest first.
    let times: Vec<&str> = rows.iter().map(|r| &r[..16]).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]));
}

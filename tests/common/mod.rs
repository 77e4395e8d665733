//! The real `fieldcheck` binary on one store file, shared by the command-line tests.
#![allow(dead_code)] // each test binary uses its own part of this

pub mod app;
pub mod peers;
#[cfg(unix)]
pub mod pty;

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

/// A disputed on-site visit to 朋昆's lead (a3/1) that the rules accept: written evidence, a
/// next step and a deadline.
pub const DISPUTED: &[&str] = &[
    "visit",
    "add",
    "a3/1",
    "--kind",
    "onsite",
    "--finding",
    "disputed",
    "--evidence",
    "contract:HT-2021-07:采购合同",
    "--next",
    "约双方到区经信委协商",
    "--due",
    "+7",
];

/// The passphrase every command of the tests gets (`FIELDCHECK_PASSPHRASE`).
pub const PASSPHRASE: &str = "correct horse battery staple";

/// Runs the binary on `store`, with `--today` fixed when the test needs a calendar.
pub struct Bin {
    pub store: PathBuf,
    today: Option<&'static str>,
}

impl Bin {
    pub fn new(store: PathBuf) -> Bin {
        Bin { store, today: None }
    }

    pub fn dated(store: PathBuf, today: &'static str) -> Bin {
        Bin {
            store,
            today: Some(today),
        }
    }

    /// A command on this store that ignores any `FIELDCHECK_STORE` of the caller.
    pub fn cmd(&self) -> Command {
        Command::from_std(self.process())
    }

    /// The same command as a plain process, for tests that spawn and kill it.
    pub fn process(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_fieldcheck"));
        cmd.env_remove("FIELDCHECK_STORE");
        // Backups seal the copy's key with it; a restored store needs it to sign.
        cmd.env("FIELDCHECK_PASSPHRASE", PASSPHRASE);
        if let Some(today) = self.today {
            cmd.args(["--today", today]);
        }
        cmd.arg("--store").arg(&self.store);
        cmd
    }

    /// Runs `args`, asserts success and returns standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).assert().success();
        String::from_utf8(out.get_output().stdout.clone()).expect("UTF-8 output")
    }

    /// Runs `args` with `--json`, asserts success and parses the output.
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.cmd().args(args).arg("--json").assert().success();
        serde_json::from_slice(&out.get_output().stdout).expect("valid JSON")
    }
}

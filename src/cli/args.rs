//! The command line (DESIGN.md contract), as clap definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::i18n::Lang;
use crate::search::Scope;

#[derive(Debug, Parser)]
#[command(
    name = "fieldcheck",
    version,
    about = "Verify SME-arrears (清欠) and enterprise-burden (减负) complaints on site, offline."
)]
pub struct Cli {
    /// The store file [env: FIELDCHECK_STORE] (default: store.redb in the platform data folder).
    #[arg(long, global = true, value_name = "PATH")]
    pub store: Option<PathBuf>,
    /// Take this date as today (for overdue marks), e.g. 2022-01-25; default: today in China.
    #[arg(long, global = true, value_name = "DATE")]
    pub today: Option<chrono::NaiveDate>,
    /// Language of labels and messages.
    #[arg(long, global = true, value_enum, default_value = "zh")]
    pub lang: LangArg,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LangArg {
    Zh,
    En,
}

impl From<LangArg> for Lang {
    fn from(arg: LangArg) -> Lang {
        match arg {
            LangArg::Zh => Lang::Zh,
            LangArg::En => Lang::En,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ScopeArg {
    Leads,
    Directory,
    All,
}

impl From<ScopeArg> for Scope {
    fn from(arg: ScopeArg) -> Scope {
        match arg {
            ScopeArg::Leads => Scope::Leads,
            ScopeArg::Directory => Scope::Directory,
            ScopeArg::All => Scope::All,
        }
    }
}

/// `--json`: print JSON instead of a table.
#[derive(Debug, Clone, Copy, Args)]
pub struct Json {
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the store, seeded from the built-in notice (idempotent).
    Init {
        /// Inspector name recorded with every change.
        #[arg(long)]
        inspector: Option<String>,
        /// A name for this laptop.
        #[arg(long)]
        device: Option<String>,
        /// The inspector's own district (for the "my district" filter), e.g. 北碚区.
        #[arg(long)]
        district: Option<String>,
        #[command(flatten)]
        json: Json,
    },
    /// Import a notice in the seed's layout: add its channels and leads.
    ImportNotice {
        file: PathBuf,
        #[command(flatten)]
        json: Json,
    },
    /// The notices imported: number, title, date, contact, feedback deadline.
    Notices {
        #[command(flatten)]
        json: Json,
    },
    /// The complaint-channel directory.
    Directory {
        #[command(flatten)]
        json: Json,
    },
    /// The ledger of leads: supervised first, then overdue, then by deadline.
    Leads {
        /// Only leads in this state (new, verifying, negotiating, resolved, closed, or 待核查…).
        #[arg(long)]
        status: Option<String>,
        /// Only leads of this district (e.g. 北碚区, or 北碚).
        #[arg(long)]
        district: Option<String>,
        /// Only leads past their deadline.
        #[arg(long)]
        overdue: bool,
        #[command(flatten)]
        json: Json,
    },
    /// Fuzzy search (Chinese, pinyin, initials, phone digits), best first.
    Search {
        query: String,
        /// What to search.
        #[arg(long = "in", value_enum, default_value = "all")]
        scope: ScopeArg,
        /// How many hits at most (1 or more).
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
        limit: u32,
        #[command(flatten)]
        json: Json,
    },
    /// One lead.
    #[command(subcommand)]
    Lead(LeadCommand),
    /// One channel.
    #[command(subcommand)]
    Channel(ChannelCommand),
}

#[derive(Debug, Subcommand)]
pub enum LeadCommand {
    /// Every field of a lead, and whom to call about it.
    Show {
        /// The lead's id, or a unique end of it (`a3/1`).
        id: String,
        #[command(flatten)]
        json: Json,
    },
}

#[derive(Debug, Subcommand)]
pub enum ChannelCommand {
    /// Every field of a channel, and the leads of its district.
    Show {
        /// The channel's id, or a unique end of it (`a2/15`).
        id: String,
        #[command(flatten)]
        json: Json,
    },
}

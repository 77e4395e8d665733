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
    /// Record and look at visits (on-site checks, revisits, re-verifications).
    #[command(subcommand)]
    Visit(VisitCommand),
    /// This device: id, inspector, peer key and its fingerprint (give the key to whoever
    /// imports your bundles; compare the fingerprint with them).
    Identity {
        /// Print this store's age X25519 identity (AGE-SECRET-KEY-1…), with which the reference
        /// `age -d -i` decrypts bundles sent to this store. Keep it secret.
        #[arg(long)]
        age_secret: bool,
        #[command(flatten)]
        json: Json,
    },
    /// Changes kept apart for a person (unknown, removed or revoked devices, clocks far ahead,
    /// equivocation), and the equivocations found.
    Quarantine {
        #[command(flatten)]
        json: Json,
    },
    /// This store's private key file: seal it with a passphrase (FIELDCHECK_PASSPHRASE), or not.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Devices whose changes this store accepts: enrol, pin headquarters, revoke, remove.
    #[command(subcommand)]
    Trust(TrustCommand),
    /// Write a signed, encrypted bundle of the changes not exported yet (or of every change,
    /// with --all), for this store's HQ (or, with --all, every trusted device).
    Export {
        /// The bundle file, or a folder to write it into under its usual name (default:
        /// bundles/ beside the store).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Every change the store holds, from every device (headquarters redistributing).
        #[arg(long)]
        all: bool,
        /// Encrypt to this device only (id, or fingerprint); may be repeated.
        #[arg(long, value_name = "DEVICE")]
        to: Vec<String>,
        /// Write it unencrypted (the receiver must agree, with import --allow-plain).
        #[arg(long)]
        plain: bool,
        /// Split into parts whose content stays under this many bytes (default 64 MiB).
        #[arg(long, value_name = "BYTES")]
        part_size: Option<usize>,
        #[command(flatten)]
        json: Json,
    },
    /// Check and apply bundles (or parts of one, in any order), each all or nothing.
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Trust the packer if unknown (its fingerprint is shown and recorded).
        #[arg(long)]
        trust_new: bool,
        /// Take a bundle that is not encrypted, although this store pinned an HQ.
        #[arg(long)]
        allow_plain: bool,
        #[command(flatten)]
        json: Json,
    },
    /// Fields two devices changed concurrently to different values.
    Conflicts {
        #[command(subcommand)]
        command: Option<ConflictCommand>,
        #[command(flatten)]
        json: Json,
    },
    /// Sync state.
    #[command(subcommand)]
    Sync(SyncCommand),
    /// Rebuild the state from the change log and compare it with the stored state.
    Verify {
        #[command(flatten)]
        json: Json,
    },
    /// Copy the store and its key to OUT (and OUT.key), then check the copy.
    Backup {
        /// Where the copy goes, e.g. /media/usb/fieldcheck-2022-01-28.redb.
        out: PathBuf,
        /// Replace OUT if it exists.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        json: Json,
    },
    /// Replace the store with a backup made by `backup`, after checking the backup.
    Restore {
        /// The backup file.
        from: PathBuf,
        /// Replace the store if it exists (its current contents are lost).
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        json: Json,
    },
    /// Developer tools.
    #[command(subcommand, hide = true)]
    Dev(DevCommand),
    /// The feedback report (台账): every lead, then totals.
    Report {
        /// md (default), csv (with a UTF-8 BOM) or xlsx.
        #[arg(long, value_enum, default_value = "md")]
        format: ReportFormat,
        /// Only leads of this district.
        #[arg(long)]
        district: Option<String>,
        /// Do not mask confidential creditors.
        #[arg(long)]
        show_confidential: bool,
        /// Write to this file (xlsx needs one); default: standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// One channel.
    #[command(subcommand)]
    Channel(ChannelCommand),
}

#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Fill the store with generated leads and visits (deterministic for a seed; not logged).
    Generate {
        #[arg(long)]
        leads: usize,
        #[arg(long, default_value_t = 0)]
        visits: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Through the change log, as headquarters holds it: the notice imported here, and
        /// at most VISITS visits along the lifecycle from this many enrolled laptops, in their
        /// signed bundles (0: bare rows, never synced).
        #[arg(long, default_value_t = 0)]
        devices: usize,
        /// Also write one line per lead: creditor | debtor | district | amount | phone (for fzf).
        #[arg(long)]
        export_lines: Option<PathBuf>,
    },
    /// Type QUERY one character at a time against the terminal app's search, as the app does,
    /// and print each keystroke's time (for benchmarks and profiles).
    Type {
        query: String,
        /// Hits ranked per keystroke.
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Type it this many times (the times printed are the last round's).
        #[arg(long, default_value_t = 1)]
        rounds: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Seal the key file with the passphrase in FIELDCHECK_PASSPHRASE; from then on every
    /// command that signs, decrypts or backs up needs it.
    Protect,
    /// Write the key file plain again (unlocked with FIELDCHECK_PASSPHRASE).
    Unprotect,
}

#[derive(Debug, Subcommand)]
pub enum TrustCommand {
    /// Trust (enrol) a device by its peer key (`fc1:…`, from its `fieldcheck identity`); the
    /// entry is signed by this store and travels in its bundles. With --hq: pin it as this
    /// store's headquarters.
    Add {
        key: String,
        #[arg(long)]
        name: String,
        /// The inspector who uses the device (shown as the author of its changes).
        #[arg(long)]
        inspector: Option<String>,
        /// The device's district.
        #[arg(long)]
        district: Option<String>,
        /// This is headquarters: encrypt bundles to it, accept the devices it enrols.
        #[arg(long)]
        hq: bool,
        #[command(flatten)]
        json: Json,
    },
    List {
        #[command(flatten)]
        json: Json,
    },
    /// Stop trusting a device (id, peer key or fingerprint): its changes are kept apart from now
    /// on, whoever relays them.
    Remove { device: String },
    /// Revoke a device from an idx on (a lost laptop): its changes from there are taken back
    /// and kept apart, here and wherever this store is HQ.
    Revoke {
        device: String,
        #[arg(long, value_name = "IDX")]
        from: u64,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConflictCommand {
    /// Keep one value: mine (this device's, or the one shown) or theirs.
    Resolve {
        id: String,
        #[arg(long, value_enum)]
        keep: KeepArg,
        #[command(flatten)]
        json: Json,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KeepArg {
    Mine,
    Theirs,
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Unexported changes, the last export, devices seen and their gaps, conflicts.
    Status {
        #[command(flatten)]
        json: Json,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    Md,
    Csv,
    Xlsx,
}

/// The fields of a lead recorded on site, as flags.
#[derive(Debug, Clone, Args)]
pub struct NewLeadFields {
    /// The enterprise that complains (债权人, who is owed).
    #[arg(long)]
    pub creditor: String,
    /// The district responsible (问题归属), like 北碚区.
    #[arg(long)]
    pub district: String,
    /// arrears (清欠) or burden (减负).
    #[arg(long, default_value = "arrears")]
    pub kind: String,
    /// What the enterprise reported (事项).
    #[arg(long)]
    pub matter: String,
    /// The deadline to verify it by (rule 4): 2022-02-10, today or +15.
    #[arg(long)]
    pub deadline: String,
    /// Who owes, if known.
    #[arg(long, default_value = "")]
    pub debtor: String,
    /// The amount owed in 万元, if known.
    #[arg(long = "amount-wan", default_value = "")]
    pub amount_wan: String,
    /// The enterprise's contact person.
    #[arg(long, default_value = "")]
    pub contact: String,
    /// The contact's phone number.
    #[arg(long, default_value = "")]
    pub phone: String,
}

/// The fields of a visit, as flags.
#[derive(Debug, Clone, Args)]
pub struct VisitFields {
    /// onsite (实地核查), revisit (回访) or reverify (复核).
    #[arg(long)]
    pub kind: Option<String>,
    /// What was found, e.g. disputed, paid, unreachable, confirmed, agree.
    #[arg(long)]
    pub finding: Option<String>,
    /// When: `2022-01-28 14:30` (China time) or `2022-01-28`; default now.
    #[arg(long)]
    pub at: Option<String>,
    /// Someone met: "name,role,phone" (repeat for several).
    #[arg(long)]
    pub met: Vec<String>,
    /// Confirmed amount in 万元.
    #[arg(long = "amount-wan")]
    pub amount_wan: Option<String>,
    /// Paid so far in 万元.
    #[arg(long = "paid-wan")]
    pub paid_wan: Option<String>,
    /// Evidence: KIND:REF[:NOTE], KIND one of contract, invoice, acceptance, statement,
    /// bank-record, court, other-written, external, withdrawal (repeat for several).
    #[arg(long)]
    pub evidence: Vec<String>,
    /// Systemic cause: rules, practice, contract or funds.
    #[arg(long)]
    pub cause: Option<String>,
    /// The next action.
    #[arg(long)]
    pub next: Option<String>,
    /// Its due date: 2022-02-10, today or +7.
    #[arg(long)]
    pub due: Option<String>,
    /// Notes.
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum VisitCommand {
    /// Record a visit (checked against the notice's rules), or save it as a draft.
    Add {
        /// The lead's id, or a unique end of it (`a3/1`).
        lead: String,
        #[command(flatten)]
        fields: VisitFields,
        /// Save as a draft instead (rules are checked when it is finalized).
        #[arg(long)]
        draft: bool,
        #[command(flatten)]
        json: Json,
    },
    /// Visits, newest first (of one lead, if given).
    List {
        lead: Option<String>,
        #[command(flatten)]
        json: Json,
    },
    /// One visit in full.
    Show {
        /// The visit's id, or its first characters.
        id: String,
        #[command(flatten)]
        json: Json,
    },
    /// Correct a finalized visit: a new visit supersedes it; both stay in the history.
    Correct {
        id: String,
        /// Why: what was wrong with the visit (required; kept with the correction).
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        fields: VisitFields,
        #[command(flatten)]
        json: Json,
    },
}

#[derive(Debug, Subcommand)]
pub enum LeadCommand {
    /// Record a new lead received on site (its id is this laptop's: site-…/N); it syncs as a
    /// created row, like a notice's.
    Add {
        #[command(flatten)]
        fields: NewLeadFields,
        #[command(flatten)]
        json: Json,
    },
    /// Every field of a lead, its visits, and whom to call about it.
    Show {
        /// The lead's id, or a unique end of it (`a3/1`).
        id: String,
        #[command(flatten)]
        json: Json,
    },
    /// Set fields of a lead by hand (status only as the rules allow).
    Set {
        id: String,
        /// new ↔ verifying, negotiating/resolved → verifying (others come from visits).
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        supervised: Option<bool>,
        #[arg(long)]
        confidential: Option<bool>,
        /// An inspector's name; "" to unassign.
        #[arg(long)]
        assignee: Option<String>,
        /// 2022-02-10, today or +7 (a lead always keeps a deadline: rule 4).
        #[arg(long)]
        deadline: Option<String>,
        /// Marked for attention (set by a disagreeing re-verification); false clears it.
        #[arg(long)]
        attention: Option<bool>,
        /// Who owes, as found on site; none clears it (synced like the other fields).
        #[arg(long)]
        debtor: Option<String>,
        /// The amount owed in 万元 (76.6), as found on site; none clears it.
        #[arg(long)]
        amount_wan: Option<String>,
        /// The enterprise's contact person, as found on site; none clears it.
        #[arg(long)]
        contact: Option<String>,
        /// The contact's phone number (023-68860760); none clears it.
        #[arg(long)]
        phone: Option<String>,
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

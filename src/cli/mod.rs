//! Command runners: each reads the store and returns what to print.

pub mod args;
mod backup;
mod dev;
mod ledger;
mod progress;
mod render;
mod sync;
mod trust;
mod visit_list;
mod visits;

use std::io::Write;
use std::path::PathBuf;

use crate::clock;
use crate::error::{Error, Result};
use crate::i18n::Lang;
use crate::model::{Status, contacts_for, leads_of};
use crate::notice;
use crate::search;
use crate::store::{self, InitOptions, Store};
use args::{
    ChannelCommand, Cli, Command, ConflictCommand, DevCommand, LeadCommand, SyncCommand,
    VisitCommand,
};

/// Where the store is: `--store`, else a non-empty `FIELDCHECK_STORE`, else the data folder.
pub fn store_path(cli: &Cli) -> Result<PathBuf> {
    cli.store
        .clone()
        .or_else(|| {
            std::env::var_os("FIELDCHECK_STORE")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .or_else(store::default_path)
        .ok_or(Error::NoDataFolder)
}

/// The date taken as today: `--today`, else today in China.
pub fn today(cli: &Cli) -> chrono::NaiveDate {
    cli.today.unwrap_or_else(clock::today)
}

/// Opens (creating and seeding on first use) the store the command line names.
pub fn open_store(cli: &Cli) -> Result<Store> {
    Store::open(&store_path(cli)?, &InitOptions::default())
}

/// Runs a subcommand (or, without one, prints an overview), writing its output to `out`.
/// Listings of a province are written as they are read, never held whole.
pub fn run(cli: &Cli, out: &mut dyn Write) -> Result<()> {
    let bar = progress::Bar::on_terminal(cli.lang.into());
    // Output written while the bar is drawn goes out with the bar hidden, never on its line.
    let mut out = bar.around(out);
    let text = answer(cli, &bar, &mut out);
    // The bar's work is done: cleared before the answer, which may follow it on the terminal.
    bar.clear();
    let text = text?;
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::output(&e))
}

/// What `run` prints: returned, or (a long listing) written to `out` as it is read.
fn answer(cli: &Cli, bar: &progress::Bar, out: &mut dyn Write) -> Result<String> {
    let lang: Lang = cli.lang.into();
    let today = today(cli);
    let path = store_path(cli)?;
    let open = |init: &InitOptions| {
        let store = Store::open(&path, init)?;
        bar.attach(&store);
        Ok::<Store, Error>(store)
    };
    // A listing or a report reads its tables through once.
    let open_to_read = || {
        let store = Store::open_to_read_through(&path)?;
        bar.attach(&store);
        Ok::<Store, Error>(store)
    };
    let Some(command) = &cli.command else {
        let store = open(&InitOptions::default())?;
        return render::overview(&store, lang);
    };
    match command {
        Command::Init {
            inspector,
            device,
            district,
            json,
        } => {
            let init = InitOptions {
                inspector: inspector.clone(),
                device: device.clone(),
                district: district.clone(),
            };
            let store = open(&init)?;
            render::init(&store, lang, json.json)
        }
        Command::ImportNotice { file, json } => {
            // Parse first: a bad file never touches (or creates) the store.
            let parsed = notice::read_file(file)?;
            let store = open(&InitOptions::default())?;
            let summary = store.import_notice(&parsed.notice)?;
            render::imported(&summary, &parsed.warnings, lang, json.json)
        }
        Command::Notices { json } => {
            let store = open(&InitOptions::default())?;
            render::notices(&store.notices()?, lang, json.json)
        }
        Command::Directory { json } => {
            let store = open(&InitOptions::default())?;
            render::directory(&store.channels()?, lang, json.json)
        }
        Command::Leads {
            status,
            district,
            overdue,
            json,
        } => {
            let status = status
                .as_deref()
                .map(|s| Status::parse(s).ok_or_else(|| Error::BadStatus { text: s.into() }))
                .transpose()?;
            let store = open_to_read()?;
            let filter = ledger::Filter {
                status,
                district: district.as_deref(),
                overdue: *overdue,
            };
            ledger::leads(&store, &filter, today, lang, json.json, out)?;
            Ok(String::new())
        }
        Command::Search {
            query,
            scope,
            limit,
            json,
        } => {
            let store = open(&InitOptions::default())?;
            let limit = usize::try_from(*limit).unwrap_or(usize::MAX);
            let hits = search::search(&store, query, (*scope).into(), limit)?;
            render::hits(&hits, lang, json.json)
        }
        Command::Lead(LeadCommand::Add { fields, json }) => {
            let store = open(&InitOptions::default())?;
            let typed = crate::model::site_lead::NewLead {
                creditor: fields.creditor.clone(),
                district: fields.district.clone(),
                kind: fields.kind.clone(),
                matter: fields.matter.clone(),
                deadline: fields.deadline.clone(),
                debtor: fields.debtor.clone(),
                amount_wan: fields.amount_wan.clone(),
                contact: fields.contact.clone(),
                phone: fields.phone.clone(),
            };
            let lead = store.add_site_lead(&typed, today)?;
            if json.json {
                return render::json(&lead);
            }
            Ok(match lang {
                Lang::Zh => format!(
                    "已记录新线索 {}：{}（{}）\n",
                    lead.id, lead.creditor, lead.district
                ),
                Lang::En => format!(
                    "New lead recorded: {} {} ({})\n",
                    lead.id, lead.creditor, lead.district
                ),
            })
        }
        Command::Lead(LeadCommand::Show { id, json }) => {
            let store = open(&InitOptions::default())?;
            let lead = store.lead(id)?;
            let channels = store.channels()?;
            let contacts = contacts_for(&lead, &channels);
            let history = store.visits(Some(&lead.id))?;
            render::lead(&lead, &contacts, &history, today, lang, json.json)
        }
        Command::Lead(LeadCommand::Set {
            id,
            status,
            supervised,
            confidential,
            assignee,
            deadline,
            attention,
            debtor,
            amount_wan,
            contact,
            phone,
            json,
        }) => {
            let store = open(&InitOptions::default())?;
            let asked = visits::LeadChanges {
                debtor: debtor.as_deref(),
                amount_wan: amount_wan.as_deref(),
                contact: contact.as_deref(),
                phone: phone.as_deref(),
                status: status.as_deref(),
                supervised: *supervised,
                confidential: *confidential,
                assignee: assignee.as_deref(),
                deadline: deadline.as_deref(),
                attention: *attention,
            };
            visits::set(&store, id, &asked, today, lang, json.json)
        }
        Command::Visit(command) => {
            let store = match command {
                VisitCommand::List { .. } => open_to_read()?,
                _ => open(&InitOptions::default())?,
            };
            match command {
                VisitCommand::Add {
                    lead,
                    fields,
                    draft,
                    json,
                } => visits::add(&store, lead, fields, *draft, today, lang, json.json),
                VisitCommand::List { lead, json } => {
                    visit_list::list(&store, lead.as_deref(), lang, json.json, out)?;
                    Ok(String::new())
                }
                VisitCommand::Show { id, json } => visits::show(&store, id, lang, json.json),
                VisitCommand::Correct {
                    id,
                    reason,
                    fields,
                    json,
                } => {
                    let correction = visits::Correction {
                        id,
                        reason: reason.as_deref(),
                        fields,
                    };
                    visits::correct(&store, &correction, today, lang, json.json)
                }
            }
        }
        Command::Identity { age_secret, json } => {
            let store = open(&InitOptions::default())?;
            trust::identity(&store, *age_secret, lang, json.json)
        }
        Command::Quarantine { json } => {
            trust::quarantine(&open(&InitOptions::default())?, lang, json.json)
        }
        Command::Trust(command) => trust::run(&open(&InitOptions::default())?, command, lang),
        Command::Key(command) => trust::key(&open(&InitOptions::default())?, command, lang),
        Command::Export {
            out,
            all,
            to,
            plain,
            part_size,
            json,
        } => {
            let store = open(&InitOptions::default())?;
            let options = crate::store::ExportOptions {
                all: *all,
                out: out.clone(),
                to: to.clone(),
                plain: *plain,
                part_bytes: part_size.unwrap_or(crate::sync::bundle::PART_BYTES),
            };
            sync::export(&store, &options, today, lang, json.json)
        }
        Command::Import {
            files,
            trust_new,
            allow_plain,
            json,
        } => {
            let store = open(&InitOptions::default())?;
            let options = crate::store::ImportOptions {
                trust_new: *trust_new,
                allow_plain: *allow_plain,
            };
            sync::import(&store, files, &options, lang, json.json)
        }
        Command::Conflicts { command, json } => {
            let store = open(&InitOptions::default())?;
            match command {
                None => sync::conflicts(&store, lang, json.json),
                Some(ConflictCommand::Resolve { id, keep, json }) => {
                    sync::resolve(&store, id, *keep, lang, json.json)
                }
            }
        }
        Command::Sync(SyncCommand::Status { json }) => {
            sync::status(&open(&InitOptions::default())?, lang, json.json)
        }
        Command::Verify { json } => sync::verify(&open(&InitOptions::default())?, lang, json.json),
        Command::Backup { out, force, json } => {
            if !path.is_file() {
                return Err(Error::NoStoreAt { path });
            }
            let copied = open(&InitOptions::default())?.backup(out, *force)?;
            backup::copied(&copied, false, lang, json.json)
        }
        Command::Restore { from, force, json } => {
            let copied = crate::store::restore(from, &path, *force)?;
            backup::copied(&copied, true, lang, json.json)
        }
        Command::Dev(DevCommand::Generate {
            leads,
            visits,
            seed,
            devices,
            export_lines,
        }) => {
            let store = open(&InitOptions::default())?;
            let mut file = match export_lines {
                Some(path) => Some(std::io::BufWriter::new(
                    crate::files::create_private(path).map_err(|e| Error::writing(path, &e))?,
                )),
                None => None,
            };
            let start = std::time::Instant::now();
            let lines = file.as_mut().map(|f| f as &mut dyn std::io::Write);
            let done = if *devices > 0 {
                let devices = crate::generate::Devices {
                    devices: *devices,
                    visits: *visits,
                };
                crate::generate::generate_logged(&store, *leads, &devices, *seed, lines)?
            } else {
                crate::generate::generate(&store, *leads, *visits, *seed, lines)?
            };
            if let (Some(mut f), Some(path)) = (file, export_lines) {
                std::io::Write::flush(&mut f).map_err(|e| Error::writing(path, &e))?;
            }
            Ok(format!(
                "{} {} leads, {} visits in {:.1} s\n",
                lang.pick("已生成", "generated"),
                done.leads,
                done.visits,
                start.elapsed().as_secs_f64()
            ))
        }
        Command::Dev(DevCommand::Type {
            query,
            limit,
            rounds,
        }) => dev::type_query(&open(&InitOptions::default())?, query, *limit, *rounds),
        Command::Report {
            format,
            district,
            show_confidential,
            out: file,
        } => {
            let store = open_to_read()?;
            let asked = visits::ReportAsked {
                format: *format,
                district: district.as_deref(),
                show_confidential: *show_confidential,
                out: file.as_deref(),
            };
            visits::report(&store, &asked, today, lang, out)
        }
        Command::Channel(ChannelCommand::Show { id, json }) => {
            let store = open(&InitOptions::default())?;
            let channel = store.channel(id)?;
            let leads = store.leads()?;
            render::channel(&channel, &leads_of(&channel, &leads), lang, json.json)
        }
    }
}

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;
use fieldcheck::cli::{self, args::Cli};
use fieldcheck::i18n::Lang;

fn main() -> ExitCode {
    let started = std::time::Instant::now();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version are answers; anything else is bad input (exit 1, DESIGN.md).
            let _ = e.print();
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => ExitCode::SUCCESS,
                _ => ExitCode::FAILURE,
            };
        }
    };
    let lang: Lang = cli.lang.into();
    let interactive = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    let result = if cli.command.is_none() && interactive {
        start_log();
        cli::open_store(&cli)
            .and_then(|store| fieldcheck::tui::run(&store, lang, cli::today(&cli), started))
    } else {
        let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        cli::run(&cli, &mut out)
    };
    match result {
        // A closed pipe (`| head`) is not an error worth reporting.
        Ok(()) | Err(fieldcheck::error::Error::OutputClosed) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fieldcheck: {}", e.message(lang));
            ExitCode::FAILURE
        }
    }
}

/// The terminal app logs to `fieldcheck.log` in the data folder, never to the screen. Without
/// a writable data folder it runs without a log.
fn start_log() {
    let Some(path) = fieldcheck::store::log_path() else {
        return;
    };
    let file = path
        .parent()
        .map(fieldcheck::store::private::create_dir)
        .and_then(|_| fieldcheck::store::private::open_append(&path).ok());
    if let Some(file) = file {
        let _ = tracing_subscriber::fmt()
            .with_writer(std::sync::Mutex::new(file))
            .with_ansi(false)
            .try_init();
    }
}

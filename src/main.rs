use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use fieldcheck::cli::{self, args::Cli};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli::run(&cli) {
        Ok(out) => {
            // A closed pipe (`| head`) is not an error worth reporting.
            let _ = std::io::stdout().write_all(out.as_bytes());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("fieldcheck: {}", e.message(cli.lang.into()));
            ExitCode::FAILURE
        }
    }
}

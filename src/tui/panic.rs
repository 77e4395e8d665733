//! What a panic in the terminal app leaves behind: ratatui's hook restores the terminal first,
//! then this hook writes the details to the log and one short line to the screen.

use crate::i18n::Lang;

/// Set before the terminal is taken over, so that ratatui's own hook (installed then) runs
/// first and this one prints on a restored terminal. A panic on any thread (the search worker
/// too) ends the process: the terminal is no longer the app's.
pub fn install(lang: Lang) {
    std::panic::set_hook(Box::new(move |info| {
        let backtrace = std::backtrace::Backtrace::force_capture();
        tracing::error!(%info, %backtrace, "the terminal app panicked");
        // ratatui's hook restored the screen; bracketed paste is the app's own to turn off.
        let _ = ratatui::crossterm::execute!(
            std::io::stdout(),
            ratatui::crossterm::event::DisableBracketedPaste
        );
        let log = crate::store::log_path().filter(|p| p.exists());
        eprintln!("{}", message(lang, log.as_deref()));
        std::process::exit(101);
    }));
}

/// The line shown after a panic: what happened, that saved work is safe, where the details are.
pub fn message(lang: Lang, log: Option<&std::path::Path>) -> String {
    let log = log.map(|p| p.display().to_string());
    match (lang, log) {
        (Lang::Zh, Some(log)) => format!(
            "fieldcheck 因程序错误意外退出。已保存的记录和草稿不受影响；详情见日志 {log}，请将其报告给维护人员。"
        ),
        (Lang::Zh, None) => {
            "fieldcheck 因程序错误意外退出。已保存的记录和草稿不受影响（没有日志文件夹）。".into()
        }
        (Lang::En, Some(log)) => format!(
            "fieldcheck stopped on a bug. Saved records and drafts are safe; the details are in {log}, please report it."
        ),
        (Lang::En, None) => {
            "fieldcheck stopped on a bug. Saved records and drafts are safe (no log folder).".into()
        }
    }
}

/// The hidden test trigger: with `FIELDCHECK_TEST_PANIC` set, the app panics right after its
/// first frame, so tests can check what a panic leaves behind in a real terminal.
pub fn test_trigger() {
    if std::env::var_os("FIELDCHECK_TEST_PANIC").is_some() {
        panic!("FIELDCHECK_TEST_PANIC is set: panicking on purpose after the first frame");
    }
}

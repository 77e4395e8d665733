//! The progress bar of long commands, drawn on standard error when it is a terminal (nothing is
//! drawn when it is not: a pipe or a file gets only the command's output).

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::i18n::Lang;
use crate::progress::{Stage, Step};
use crate::store::Store;

/// A bar for one command, cleared when the command ends.
pub struct Bar {
    bar: Option<ProgressBar>,
    lang: Lang,
}

impl Bar {
    /// A bar if standard error is a terminal, else nothing.
    pub fn on_terminal(lang: Lang) -> Bar {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {eta}")
                .map(|s| s.progress_chars("=> "))
                .unwrap_or_else(|_| ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Bar { bar, lang }
    }

    /// `out`, which takes this bar off the terminal when output begins: a listing on the same
    /// terminal never lands on the bar's line (a bar drawn again between two writes would sit
    /// in the middle of a line and be erased with it).
    pub fn around<'a>(&'a self, out: &'a mut dyn Write) -> Around<'a> {
        Around {
            bar: self.bar.as_ref(),
            out,
        }
    }

    /// Shows the long work of `store` on this bar.
    pub fn attach(&self, store: &Store) {
        let Some(bar) = self.bar.clone() else {
            return;
        };
        let lang = self.lang;
        // A new stage, or the same stage over other units (the leads, then the visits), starts
        // the bar again.
        let stage: Mutex<Option<(Stage, u64)>> = Mutex::new(None);
        store.report_progress(Arc::new(move |step: Step| {
            if let Ok(mut current) = stage.lock()
                && *current != Some((step.stage, step.total))
            {
                *current = Some((step.stage, step.total));
                bar.reset();
                bar.set_message(step.stage.label(lang));
                bar.set_length(step.total);
            }
            bar.set_position(step.done);
        }));
    }
}

/// A writer that takes the bar off the terminal before its first write (`Bar::around`).
pub struct Around<'a> {
    bar: Option<&'a ProgressBar>,
    out: &'a mut dyn Write,
}

impl Around<'_> {
    fn clear(&self) {
        if let Some(bar) = self.bar
            && !bar.is_finished()
        {
            bar.finish_and_clear();
        }
    }
}

impl Write for Around<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.clear();
        self.out.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.clear();
        self.out.flush()
    }
}

impl Bar {
    /// Takes the bar off the terminal (for good: it is not drawn again).
    pub fn clear(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        self.clear();
    }
}

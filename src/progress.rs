//! Progress of long work (an import, an export, `verify`, a notice, `dev generate`), told to
//! whoever shows it: the command line draws a bar on a terminal, the terminal app a line in its
//! status bar. The core only reports steps; it never draws.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::i18n::Lang;

/// What the work is doing now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Checking the signatures of a bundle's changes.
    Checking,
    /// Applying changes (an import) or records (a notice, `dev generate`).
    Applying,
    /// Writing a bundle.
    Writing,
    /// Replaying the log, one entity at a time (`verify`).
    Replaying,
    /// Comparing the replay with the store (`verify`).
    Comparing,
    /// Reading every lead or visit (a report, a listing, the terminal app's records).
    Reading,
    /// Writing the rows of a report.
    Reporting,
}

impl Stage {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Stage::Checking => lang.pick("校验签名", "checking signatures"),
            Stage::Applying => lang.pick("写入", "applying"),
            Stage::Writing => lang.pick("写出变更包", "writing the bundle"),
            Stage::Replaying => lang.pick("重放变更日志", "replaying the log"),
            Stage::Comparing => lang.pick("比对", "comparing"),
            Stage::Reading => lang.pick("读取记录", "reading records"),
            Stage::Reporting => lang.pick("写出台账", "writing the report"),
        }
    }
}

/// One report: `done` of `total` units of `stage`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub stage: Stage,
    pub done: u64,
    pub total: u64,
}

impl Step {
    /// `写入 12000 / 557647`: the line the terminal app shows.
    pub fn line(&self, lang: Lang) -> String {
        format!("{} {} / {}", self.stage.label(lang), self.done, self.total)
    }
}

/// Where steps go.
pub type Sink = Arc<dyn Fn(Step) + Send + Sync>;

/// How often a meter tells its sink at most: often enough to look alive, rarely enough that a
/// million steps cost nothing.
const EVERY: Duration = Duration::from_millis(100);

/// Counts the units of one stage and tells the sink now and then, and always at the start and
/// the end.
pub struct Meter {
    sink: Option<Sink>,
    stage: Stage,
    total: u64,
    done: u64,
    told: Instant,
}

impl Meter {
    pub fn new(sink: Option<Sink>, stage: Stage, total: u64) -> Meter {
        let meter = Meter {
            sink,
            stage,
            total,
            done: 0,
            told: Instant::now(),
        };
        meter.tell();
        meter
    }

    /// `n` more units done.
    pub fn add(&mut self, n: u64) {
        self.done = self.done.saturating_add(n).min(self.total);
        if self.sink.is_some() && (self.done == self.total || self.told.elapsed() >= EVERY) {
            self.told = Instant::now();
            self.tell();
        }
    }

    fn tell(&self) {
        if let Some(sink) = &self.sink {
            sink(Step {
                stage: self.stage,
                done: self.done,
                total: self.total,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn a_meter_tells_the_start_and_the_end_and_little_between() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let into = seen.clone();
        let sink: Sink = Arc::new(move |step| into.lock().unwrap().push(step));
        let mut meter = Meter::new(Some(sink), Stage::Applying, 1_000_000);
        for _ in 0..1_000_000 {
            meter.add(1);
        }
        let seen = seen.lock().unwrap();
        assert_eq!(seen.first().map(|s| s.done), Some(0));
        assert_eq!(seen.last().map(|s| s.done), Some(1_000_000));
        assert!(
            seen.len() < 1_000,
            "{} reports for a million steps",
            seen.len()
        );
        assert!(seen.windows(2).all(|w| w[0].done <= w[1].done));
    }
}

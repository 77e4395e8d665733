//! The long work the terminal app runs off its UI thread, and the status line while it runs.

use crate::i18n::Lang;

/// The long work that runs off the UI thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Work {
    Import,
    Export,
    Resolve,
    AddLead,
}

impl Work {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Work::Import => lang.pick("正在导入", "Importing"),
            Work::Export => lang.pick("正在导出", "Exporting"),
            Work::Resolve => lang.pick("正在解决冲突", "Resolving"),
            Work::AddLead => lang.pick("正在记录新线索", "Recording the new lead"),
        }
    }
}

/// Long work under way: what it is and its last progress report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Busy {
    pub work: Work,
    pub step: Option<crate::progress::Step>,
}

impl Busy {
    /// `正在导入……写入 12000 / 557647`: the status bar's line while it runs.
    pub fn line(&self, lang: Lang) -> String {
        let mut text = format!("{}{}", self.work.label(lang), lang.pick("……", "… "));
        if let Some(step) = &self.step {
            text.push_str(&step.line(lang));
        }
        text
    }
}

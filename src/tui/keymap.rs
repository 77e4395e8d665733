//! Keys to actions, per mode: one table, so the help overlay lists exactly what works and a
//! test can check that no key means two things in one mode.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::Action;
use super::state::{Mode, Tab};
use crate::i18n::Lang;
use crate::model::VisitKind;

/// A key as bound: code and the modifiers that matter (Shift is ignored for characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn key(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}

const fn ch(c: char) -> Key {
    key(KeyCode::Char(c))
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: true,
    }
}

const CTRL_C: Key = ctrl('c');

/// Which tabs a binding works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum On {
    AllTabs,
    /// The tabs with a list (线索, 名录, 走访).
    Lists,
    /// The tabs whose rows are moved through: the lists and 今日.
    Rows,
    Leads,
    Sync,
    Agenda,
    Visits,
}

impl On {
    pub fn covers(self, tab: Tab) -> bool {
        match self {
            On::AllTabs => true,
            On::Lists => matches!(tab, Tab::Leads | Tab::Directory | Tab::Visits),
            On::Rows => On::Lists.covers(tab) || tab == Tab::Agenda,
            On::Leads => tab == Tab::Leads,
            On::Sync => tab == Tab::Sync,
            On::Agenda => tab == Tab::Agenda,
            On::Visits => tab == Tab::Visits,
        }
    }
}

pub struct Binding {
    /// The modes the key works in.
    pub modes: &'static [Mode],
    pub on: On,
    pub key: Key,
    pub action: Action,
    /// How the key is written in the help (`↑/k`); empty for a key described with another.
    pub label: &'static str,
    pub help: (&'static str, &'static str),
}

const fn bind(
    modes: &'static [Mode],
    on: On,
    key: Key,
    action: Action,
    label: &'static str,
    help: (&'static str, &'static str),
) -> Binding {
    Binding {
        modes,
        on,
        key,
        action,
        label,
        help,
    }
}

use Action as A;
use KeyCode as K;
use Mode as M;
use On::{Agenda, AllTabs, Leads, Lists, Rows, Sync, Visits};

const LIST: &[Mode] = &[M::List];
const DETAIL: &[Mode] = &[M::Detail];
const BOTH: &[Mode] = &[M::List, M::Detail];
const SEARCH: &[Mode] = &[M::Search];
const HELP: &[Mode] = &[M::Help];
const PICK: &[Mode] = &[M::PickStatus];
const FORM: &[Mode] = &[M::Form];
const PROMPT: &[Mode] = &[M::Prompt];
const RESOLVE: &[Mode] = &[M::Resolve];
const CONFIRM: &[Mode] = &[M::Confirm];
const SETTINGS: &[Mode] = &[M::Settings];
const KEY: &[Mode] = &[M::Key];
const TRUST: &[Mode] = &[M::Trust];

/// Every binding, one per line (a table: kept unformatted). Keys in the search line that are
/// not listed here type text.
#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    // The list, and the tabs without one.
    bind(LIST, Lists, ch('/'), A::OpenSearch, "/", ("搜索（拼音、首字母、电话）", "search (pinyin, initials, phone)")),
    bind(LIST, Lists, key(K::Enter), A::FocusDetail, "Enter", ("查看详情", "focus the detail")),
    bind(LIST, Lists, key(K::Esc), A::SearchClear, "Esc", ("清除搜索", "clear the search")),
    bind(DETAIL, Lists, key(K::Esc), A::Back, "Esc Enter", ("回到列表", "back to the list")),
    bind(DETAIL, Lists, key(K::Enter), A::Back, "", ("", "")),
    // Lead keys work on the list and in the detail pane alike.
    bind(BOTH, Leads, ch('v'), A::NewVisit(VisitKind::Onsite), "v", ("新建实地核查", "new on-site check")),
    bind(BOTH, Leads, ch('r'), A::NewVisit(VisitKind::Revisit), "r", ("回访（沿用上次的人员、金额、证据）", "revisit (people, amounts, evidence from the last visit)")),
    bind(BOTH, Leads, ch('R'), A::NewVisit(VisitKind::Reverify), "R", ("复核", "re-verification")),
    bind(BOTH, Leads, ch('d'), A::ResumeDraft, "d", ("继续填写草稿", "go on with the draft")),
    bind(BOTH, Leads, ch('s'), A::ChangeStatus, "s", ("改变状态", "change status")),
    bind(BOTH, Leads, ch('!'), A::ToggleSupervised, "!", ("挂牌督办 开/关", "supervised on/off")),
    bind(BOTH, Leads, ch('c'), A::ToggleConfidential, "c", ("保密 开/关", "confidential on/off")),
    bind(BOTH, Leads, ch('u'), A::Reveal, "u", ("显示/隐藏本条保密线索的名称", "show/hide this confidential lead's name")),
    bind(BOTH, Leads, ch('C'), A::CorrectVisit, "C", ("更正最近一次走访", "correct the latest visit")),
    bind(BOTH, Leads, ch('N'), A::NewLead, "N", ("新线索（现场收到的投诉）", "new lead (a complaint received on site)")),
    bind(BOTH, Leads, ch('D'), A::EditFacts, "D", ("债务人、金额、联系人（现场核实）", "debtor, amount, contact (found on site)")),
    bind(BOTH, Leads, ch('a'), A::AssignToMe, "a", ("分派给我 / 取消", "assign to me / unassign")),
    bind(LIST, Leads, ch('f'), A::CycleFilter, "f", ("筛选：全部/逾期/状态/本辖区", "filter: all/overdue/status/my district")),
    bind(LIST, Leads, ch('o'), A::CycleSort, "o", ("排序：期限/金额/属地", "sort: deadline/amount/district")),
    bind(BOTH, Visits, ch('C'), A::CorrectSelected, "C", ("更正所选走访（须为该线索最近一次）", "correct the selected visit (its lead's latest)")),
    bind(LIST, Agenda, key(K::Enter), A::OpenItem, "Enter", ("打开该线索", "open its lead")),
    bind(LIST, Rows, key(K::Up), A::Up, "↑↓ j k", ("上下移动", "move up and down")),
    bind(LIST, Rows, ch('k'), A::Up, "", ("", "")),
    bind(LIST, Rows, key(K::Down), A::Down, "", ("", "")),
    bind(LIST, Rows, ch('j'), A::Down, "", ("", "")),
    bind(LIST, Rows, key(K::PageUp), A::PageUp, "PgUp PgDn", ("翻页", "page up and down")),
    bind(LIST, Rows, key(K::PageDown), A::PageDown, "", ("", "")),
    bind(LIST, Rows, key(K::Home), A::Home, "Home End", ("第一条 / 最后一条", "first / last")),
    bind(LIST, Rows, key(K::End), A::End, "", ("", "")),
    bind(BOTH, AllTabs, key(K::Tab), A::NextTab, "Tab 1-5", ("切换页签（Shift-Tab 向前）", "switch tabs (Shift-Tab back)")),
    bind(BOTH, AllTabs, key(K::BackTab), A::PrevTab, "", ("", "")),
    bind(BOTH, AllTabs, ch('1'), A::GoTab(Tab::Leads), "", ("", "")),
    bind(BOTH, AllTabs, ch('2'), A::GoTab(Tab::Directory), "", ("", "")),
    bind(BOTH, AllTabs, ch('3'), A::GoTab(Tab::Visits), "", ("", "")),
    bind(BOTH, AllTabs, ch('4'), A::GoTab(Tab::Sync), "", ("", "")),
    bind(BOTH, AllTabs, ch('5'), A::GoTab(Tab::Agenda), "", ("", "")),
    // The Sync tab.
    bind(LIST, Sync, ch('e'), A::Export, "e", ("导出变更包", "export a bundle")),
    bind(LIST, Sync, ch('i'), A::OpenImport, "i", ("导入变更包（Tab 补全路径）", "import a bundle (Tab completes the path)")),
    bind(LIST, Sync, ch('E'), A::ExportTo, "E", ("导出到选定的文件夹（如U盘）", "export to a chosen folder (a USB stick)")),
    bind(LIST, Sync, ch('K'), A::ShowKey, "K", ("本机密钥和二维码（交给总部登记）", "this laptop's key and QR code (for HQ to enrol)")),
    bind(LIST, Sync, key(K::Enter), A::OpenConflict, "Enter", ("处理所选冲突", "resolve the selected conflict")),
    bind(LIST, Sync, key(K::Up), A::Up, "↑↓ j k", ("选择冲突", "choose a conflict")),
    bind(LIST, Sync, ch('k'), A::Up, "", ("", "")),
    bind(LIST, Sync, key(K::Down), A::Down, "", ("", "")),
    bind(LIST, Sync, ch('j'), A::Down, "", ("", "")),
    // The import path prompt.
    bind(PROMPT, Sync, key(K::Enter), A::PromptAccept, "Enter", ("导入 / 导出到这里", "import / export here")),
    bind(PROMPT, Sync, key(K::Tab), A::PromptComplete, "Tab", ("补全文件夹和 .fcb 文件名", "complete a folder or a .fcb name")),
    bind(PROMPT, Sync, key(K::F(2)), A::PromptDrive, "F2", ("可移动盘（导出时）", "removable drive (export)")),
    bind(PROMPT, Sync, key(K::Backspace), A::PromptBackspace, "Backspace", ("删除一个字", "delete a character")),
    bind(PROMPT, Sync, key(K::Esc), A::PromptCancel, "Esc", ("取消", "cancel")),
    bind(PROMPT, Sync, CTRL_C, A::Quit, "Ctrl-C", ("退出", "quit")),
    // This laptop's key.
    bind(KEY, Sync, key(K::Esc), A::CloseKey, "Esc K Enter q", ("关闭", "close")),
    bind(KEY, Sync, ch('K'), A::CloseKey, "", ("", "")),
    bind(KEY, Sync, key(K::Enter), A::CloseKey, "", ("", "")),
    bind(KEY, Sync, ch('q'), A::CloseKey, "", ("", "")),
    bind(KEY, Sync, CTRL_C, A::Quit, "Ctrl-C", ("退出", "quit")),
    // Trusting the packer of a refused bundle.
    bind(TRUST, Sync, key(K::Enter), A::TrustAccept, "Enter", ("指纹一致：信任并导入", "the fingerprints match: trust and import")),
    bind(TRUST, Sync, key(K::Tab), A::TrustToggleHq, "Tab", ("对方是总部：是/否", "it is headquarters: yes/no")),
    bind(TRUST, Sync, key(K::Backspace), A::TrustBackspace, "Backspace", ("删除一个字", "delete a character")),
    bind(TRUST, Sync, key(K::Esc), A::TrustCancel, "Esc", ("不信任，不导入", "do not trust, do not import")),
    bind(TRUST, Sync, CTRL_C, A::Quit, "Ctrl-C", ("退出", "quit")),
    // Resolving a conflict.
    bind(RESOLVE, Sync, ch('m'), A::KeepMine, "m", ("保留本机的值", "keep mine")),
    bind(RESOLVE, Sync, ch('t'), A::KeepTheirs, "t", ("保留对方的值", "keep theirs")),
    bind(RESOLVE, Sync, key(K::Esc), A::Back, "Esc", ("暂不处理", "not now")),
    bind(RESOLVE, Sync, CTRL_C, A::Quit, "Ctrl-C", ("退出", "quit")),
    // A triage change asked about.
    bind(CONFIRM, Leads, ch('y'), A::ConfirmYes, "y", ("确认更改", "make the change")),
    bind(CONFIRM, Leads, CTRL_C, A::Quit, "Ctrl-C", ("退出", "quit")),
    bind(CONFIRM, Leads, key(K::Esc), A::ConfirmNo, "Esc", ("不改（任何其他键同样）", "leave it (so does any other key)")),
    // The detail pane.
    bind(DETAIL, Lists, key(K::Up), A::Up, "↑↓ j k", ("滚动详情", "scroll the detail")),
    bind(DETAIL, Lists, ch('k'), A::Up, "", ("", "")),
    bind(DETAIL, Lists, key(K::Down), A::Down, "", ("", "")),
    bind(DETAIL, Lists, ch('j'), A::Down, "", ("", "")),
    bind(DETAIL, Lists, key(K::PageUp), A::PageUp, "PgUp PgDn", ("翻页", "page up and down")),
    bind(DETAIL, Lists, key(K::PageDown), A::PageDown, "", ("", "")),
    bind(DETAIL, Lists, key(K::Home), A::Home, "Home End", ("顶部 / 底部", "top / bottom")),
    bind(DETAIL, Lists, key(K::End), A::End, "", ("", "")),
    // Both.
    bind(BOTH, AllTabs, ch('?'), A::ToggleHelp, "?", ("帮助：本页全部按键", "help: every key here")),
    bind(BOTH, AllTabs, ch('q'), A::Quit, "q Ctrl-C", ("退出", "quit")),
    bind(BOTH, AllTabs, CTRL_C, A::Quit, "", ("", "")),
    bind(BOTH, AllTabs, ch('I'), A::OpenSettings, "I", ("本机身份：检查员、本机名称、辖区", "identity: inspector, laptop, district")),
    // The search line.
    bind(SEARCH, Lists, key(K::Enter), A::SearchAccept, "Enter", ("保留结果，回到列表", "keep the results, back to the list")),
    bind(SEARCH, Lists, key(K::Esc), A::SearchClear, "Esc", ("清除搜索", "clear the search")),
    bind(SEARCH, Lists, key(K::Backspace), A::SearchBackspace, "Backspace", ("删除一个字", "delete a character")),
    bind(SEARCH, Lists, key(K::Up), A::Up, "↑↓", ("在结果中移动", "move in the results")),
    bind(SEARCH, Lists, key(K::Down), A::Down, "", ("", "")),
    bind(SEARCH, Lists, CTRL_C, A::Quit, "Ctrl-C", ("退出", "quit")),
    // The help overlay.
    bind(HELP, AllTabs, key(K::Esc), A::ToggleHelp, "Esc ? q", ("关闭帮助", "close the help")),
    bind(HELP, AllTabs, ch('?'), A::ToggleHelp, "", ("", "")),
    bind(HELP, AllTabs, ch('q'), A::ToggleHelp, "", ("", "")),
    bind(HELP, AllTabs, key(K::F(1)), A::ToggleHelp, "", ("", "")),
    bind(HELP, AllTabs, CTRL_C, A::Quit, "Ctrl-C", ("退出", "quit")),
    // The visit form.
    bind(FORM, Leads, ctrl('s'), A::FormSave, "Ctrl-S", ("检查规则并定稿", "check the rules and finalize")),
    bind(FORM, Leads, key(K::Tab), A::FormNext, "Tab Shift-Tab", ("下一栏 / 上一栏", "next / previous field")),
    bind(FORM, Leads, key(K::BackTab), A::FormPrev, "", ("", "")),
    bind(FORM, Leads, key(K::Left), A::FormLeft, "←→", ("选择（选项栏）/ 移动光标", "choose (pick fields) / move the cursor")),
    bind(FORM, Leads, key(K::Right), A::FormRight, "", ("", "")),
    bind(FORM, Leads, key(K::Up), A::FormUp, "↑↓", ("上一栏 / 下一栏（多行栏内换行）", "previous / next field (lines in multi-line fields)")),
    bind(FORM, Leads, key(K::Down), A::FormDown, "", ("", "")),
    bind(FORM, Leads, key(K::Enter), A::FormEnter, "Enter", ("下一栏（多行栏内换行）", "next field (new line in multi-line fields)")),
    bind(FORM, Leads, ctrl('d'), A::EditFacts, "Ctrl-D", ("债务人、金额、联系人（现场核实）", "debtor, amount, contact (found on site)")),
    bind(FORM, Leads, ctrl('k'), A::FormEvidenceKind, "Ctrl-K", ("证据栏：换证据种类", "evidence: change the kind")),
    bind(FORM, Leads, key(K::Esc), A::FormEsc, "Esc", ("放弃前询问", "ask, then discard")),
    bind(FORM, Leads, key(K::F(1)), A::ToggleHelp, "F1", ("帮助", "help")),
    bind(FORM, Leads, CTRL_C, A::Quit, "Ctrl-C", ("退出（草稿已保存）", "quit (the draft is saved)")),
    // The identity screen.
    bind(SETTINGS, AllTabs, ctrl('s'), A::SettingsSave, "Ctrl-S", ("保存", "save")),
    bind(SETTINGS, AllTabs, key(K::Tab), A::SettingsNext, "Tab ↑↓", ("下一栏 / 上一栏（Enter 下一栏，末栏 Enter 保存）", "next / previous field (Enter: next; on the last, save)")),
    bind(SETTINGS, AllTabs, key(K::BackTab), A::SettingsPrev, "", ("", "")),
    bind(SETTINGS, AllTabs, key(K::Down), A::SettingsNext, "", ("", "")),
    bind(SETTINGS, AllTabs, key(K::Up), A::SettingsPrev, "", ("", "")),
    bind(SETTINGS, AllTabs, key(K::Esc), A::SettingsEsc, "Esc", ("关闭，不保存", "close without saving")),
    bind(SETTINGS, AllTabs, key(K::F(1)), A::ToggleHelp, "F1", ("帮助", "help")),
    bind(SETTINGS, AllTabs, CTRL_C, A::Quit, "Ctrl-C", ("退出", "quit")),
    // Picking a lead's new state.
    bind(PICK, Leads, key(K::Enter), A::PickConfirm, "Enter", ("确定", "confirm")),
    bind(PICK, Leads, key(K::Esc), A::PickCancel, "Esc", ("取消", "cancel")),
    bind(PICK, Leads, key(K::Up), A::Up, "↑↓ j k", ("选择", "choose")),
    bind(PICK, Leads, ch('k'), A::Up, "", ("", "")),
    bind(PICK, Leads, key(K::Down), A::Down, "", ("", "")),
    bind(PICK, Leads, ch('j'), A::Down, "", ("", "")),
    bind(PICK, Leads, ch('?'), A::ToggleHelp, "?", ("帮助", "help")),
    bind(PICK, Leads, CTRL_C, A::Quit, "Ctrl-C", ("退出", "quit")),
];

/// The key as bound: Shift folded into the character, Ctrl kept.
pub fn normalise(event: &KeyEvent) -> Key {
    Key {
        code: event.code,
        ctrl: event.modifiers.contains(KeyModifiers::CONTROL),
    }
}

/// What a key press means in this mode on this tab (`None`: nothing).
pub fn action(mode: Mode, tab: Tab, event: &KeyEvent) -> Option<Action> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    let key = normalise(event);
    if let Some(b) = BINDINGS
        .iter()
        .find(|b| b.modes.contains(&mode) && b.on.covers(tab) && b.key == key)
    {
        return Some(b.action.clone());
    }
    match (mode, key.code) {
        (Mode::Search, KeyCode::Char(c)) if !key.ctrl => Some(Action::SearchInput(c)),
        (Mode::Form, _) if tab == Tab::Leads => Some(Action::FormKey(*event)),
        (Mode::Prompt, KeyCode::Char(c)) if !key.ctrl => Some(Action::PromptInput(c)),
        (Mode::Trust, KeyCode::Char(c)) if !key.ctrl => Some(Action::TrustInput(c)),
        (Mode::Confirm, _) => Some(Action::ConfirmNo),
        (Mode::Settings, _) => Some(Action::SettingsKey(*event)),
        _ => None,
    }
}

/// The help lines for a mode and tab: (keys, what they do).
pub fn help(mode: Mode, tab: Tab, lang: Lang) -> Vec<(&'static str, &'static str)> {
    BINDINGS
        .iter()
        .filter(|b| b.modes.contains(&mode) && b.on.covers(tab) && !b.label.is_empty())
        .map(|b| (b.label, lang.pick(b.help.0, b.help.1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_means_two_things_in_one_mode_and_tab() {
        for (i, a) in BINDINGS.iter().enumerate() {
            for b in &BINDINGS[i + 1..] {
                let tabs = Tab::ALL.iter().any(|t| a.on.covers(*t) && b.on.covers(*t));
                let modes = a.modes.iter().any(|m| b.modes.contains(m));
                assert!(
                    !(modes && a.key == b.key && tabs),
                    "{:?} is bound twice in {:?}",
                    a.key,
                    a.modes
                );
            }
        }
    }

    #[test]
    fn every_labelled_binding_has_help_in_both_languages() {
        for b in BINDINGS.iter().filter(|b| !b.label.is_empty()) {
            assert!(!b.help.0.is_empty() && !b.help.1.is_empty(), "{}", b.label);
        }
    }

    #[test]
    fn typing_in_search_is_text_but_ctrl_c_quits() {
        let press = |code, mods| KeyEvent::new(code, mods);
        let q = press(KeyCode::Char('q'), KeyModifiers::NONE);
        assert_eq!(
            action(Mode::Search, Tab::Leads, &q),
            Some(Action::SearchInput('q'))
        );
        assert_eq!(action(Mode::List, Tab::Leads, &q), Some(Action::Quit));
        let ctrl_c = press(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(
            action(Mode::Search, Tab::Leads, &ctrl_c),
            Some(Action::Quit)
        );
        let bang = press(KeyCode::Char('!'), KeyModifiers::SHIFT);
        assert_eq!(
            action(Mode::List, Tab::Leads, &bang),
            Some(Action::ToggleSupervised)
        );
        assert_eq!(action(Mode::List, Tab::Directory, &bang), None);
    }
}

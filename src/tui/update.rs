//! `update(state, action) → effects`: all of the app's behaviour, with no I/O. Effects (saving,
//! searching) are carried out by `effects.rs`, whose results come back as actions.

use super::action::Action;
pub use super::effect::Effect;
use super::labels::{field_label, value_label};
use super::state::{Asked, Busy, Filter, Message, Mode, Picker, State, Tab};
use super::{sync_tab, visit_form};
use crate::i18n::Lang;
use crate::model::lifecycle::{Refusal, manual_targets};
use crate::sync::LeadField;

/// How far the detail pane may be scrolled.
const MAX_SCROLL: isize = 60;

/// Rows a page key moves: a window less one row, so one row stays in view.
fn page(state: &State) -> usize {
    state.visible_rows().saturating_sub(1).max(1)
}

pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    let effects = update_inner(state, action);
    // A revealed creditor stays shown only while its lead stays the current one on the Leads
    // tab: moving away, or to another tab, hides it again.
    if state.revealed.is_some()
        && (state.tab != Tab::Leads
            || state.selected_lead().map(|l| l.id.as_str()) != state.revealed.as_deref())
    {
        state.revealed = None;
    }
    effects
}

fn update_inner(state: &mut State, action: Action) -> Vec<Effect> {
    let action = match action {
        Action::WorkDone(done) => {
            state.busy = None;
            *done
        }
        Action::Progress(step) => {
            if let Some(busy) = state.busy.as_mut() {
                busy.step = Some(step);
            }
            return Vec::new();
        }
        action => action,
    };
    let from_user = !matches!(
        action,
        Action::SearchDone { .. }
            | Action::Loaded(_)
            | Action::LoadFailed(_)
            | Action::Saved { .. }
            | Action::Failed(_)
            | Action::Resize(..)
            | Action::Finalized(_)
            | Action::Rejected(_)
            | Action::PromptReady { .. }
            | Action::DrivesReady(_)
            | Action::SyncDone(_)
            | Action::Opened(_)
            | Action::IdentitySaved { .. }
    );
    // While the terminal is too small nothing is drawn, so no key but quit may act.
    if from_user && state.too_small() && !matches!(action, Action::Quit | Action::ConfirmNo) {
        return Vec::new();
    }
    if from_user {
        state.message = None;
    }
    let mut effects = apply(state, action);
    if let Some(work) = effects.iter().find_map(Effect::work) {
        match &state.busy {
            // One long work at a time: the next waits until this one is done.
            Some(busy) => {
                let text = format!(
                    "{}{}",
                    busy.work.label(state.lang),
                    state
                        .lang
                        .pick("，请稍候再试。", "; try again when it is done.")
                );
                effects.retain(|e| e.work().is_none());
                say(state, text, true);
            }
            None => state.busy = Some(Busy { work, step: None }),
        }
    }
    let visible = state.visible_rows();
    state.lead_list.follow(visible);
    state.channel_list.follow(visible);
    state.visit_list.follow(visible);
    state.agenda_list.follow(visible);
    effects.extend(state.to_open());
    effects
}

fn apply(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Opened(opened) => {
            let super::state_visits::Opened {
                visit,
                visit_author,
                lead,
            } = *opened;
            if visit.is_some() {
                state.opened.visit = visit;
                state.opened.visit_author = visit_author;
            }
            if lead.is_some() {
                state.opened.lead = lead;
            }
        }
        Action::Quit => state.quit = true,
        Action::NextTab => switch(state, (state.tab.index() + 1) % Tab::ALL.len()),
        Action::PrevTab => switch(
            state,
            (state.tab.index() + Tab::ALL.len() - 1) % Tab::ALL.len(),
        ),
        Action::GoTab(tab) => switch(state, tab.index()),
        Action::Up => step(state, -1),
        Action::Down => step(state, 1),
        Action::PageUp => step(state, -(page(state) as isize)),
        Action::PageDown => step(state, page(state) as isize),
        Action::Home => step(state, isize::MIN / 2),
        Action::End => step(state, isize::MAX / 2),
        Action::OpenItem => state.open_item(),
        Action::FocusDetail => {
            if state.list().and_then(|l| l.current()).is_some() {
                state.mode = Mode::Detail;
                state.detail_scroll = 0;
            }
        }
        Action::Back => state.mode = Mode::List,
        Action::OpenSearch => state.mode = Mode::Search,
        Action::SearchInput(c) => {
            if let Some(list) = state.list_mut() {
                list.query.push(c);
            }
            return search(state);
        }
        Action::Paste(text) => return paste(state, text),
        Action::SearchBackspace => {
            if let Some(list) = state.list_mut() {
                list.query.pop();
            }
            return search(state);
        }
        Action::SearchClear => {
            if let Some(list) = state.list_mut() {
                list.query.clear();
            }
            state.mode = Mode::List;
            return search(state);
        }
        Action::SearchAccept => state.mode = Mode::List,
        Action::CycleFilter => {
            state.filter = state.filter.next();
            state.refresh_leads();
            let lang = state.lang;
            let mut text = format!(
                "{}{}",
                lang.pick("筛选：", "filter: "),
                state.filter.label(lang)
            );
            if state.filter == Filter::MyDistrict && state.info.district.is_none() {
                text.push_str(lang.pick(
                    "（未设置本辖区：fieldcheck init --district 北碚区）",
                    " (no district set: fieldcheck init --district 北碚区)",
                ));
            }
            say(state, text, false);
        }
        Action::CycleSort => {
            state.sort = state.sort.next();
            state.refresh_leads();
            let lang = state.lang;
            let mut text = format!(
                "{}{}",
                lang.pick("排序：", "sort: "),
                state.sort.label(lang)
            );
            if state.lead_list.ranked.is_some() {
                text.push_str(lang.pick("（清除搜索后生效）", " (after the search is cleared)"));
            }
            say(state, text, false);
        }
        Action::ChangeStatus => open_picker(state),
        Action::PickConfirm => {
            if let Some(picker) = state.picker.take() {
                state.mode = picker.return_to;
                if let (Some(lead), Some(to)) = (
                    state.leads.get(picker.lead),
                    picker.options.get(picker.selected),
                ) {
                    return vec![Effect::SetLeadField {
                        lead_id: lead.id.clone(),
                        field: LeadField::Status(*to),
                    }];
                }
            }
        }
        Action::PickCancel => {
            if let Some(picker) = state.picker.take() {
                state.mode = picker.return_to;
            }
        }
        Action::ToggleSupervised => ask(state, |l, _| LeadField::Supervised(!l.supervised)),
        Action::ToggleConfidential => ask(state, |l, _| LeadField::Confidential(!l.confidential)),
        Action::Reveal => reveal(state),
        Action::CorrectVisit => visit_form::correct(state),
        Action::CorrectSelected => visit_form::correct_selected(state),
        Action::AssignToMe => ask(state, |l, me| {
            if l.assignee.as_deref() == Some(me) {
                LeadField::Assignee(None)
            } else {
                LeadField::Assignee(Some(me.to_string()))
            }
        }),
        Action::ConfirmYes => {
            if let Some(asked) = state.asked.take() {
                state.mode = asked.return_to;
                state.message = None;
                return vec![Effect::SetLeadField {
                    lead_id: asked.lead_id,
                    field: asked.field,
                }];
            }
        }
        Action::ConfirmNo => {
            if let Some(asked) = state.asked.take() {
                state.mode = asked.return_to;
                let lang = state.lang;
                state.message = Some(Message {
                    text: lang.pick("未更改。", "nothing changed.").into(),
                    error: false,
                });
            }
        }
        Action::ToggleHelp => {
            if state.mode == Mode::Help {
                state.mode = state.before_help;
            } else {
                state.before_help = state.mode;
                state.mode = Mode::Help;
            }
        }
        Action::SearchDone {
            generation,
            tab,
            hits,
        } => {
            let list = match tab {
                Tab::Leads => &mut state.lead_list,
                Tab::Directory => &mut state.channel_list,
                Tab::Visits => &mut state.visit_list,
                Tab::Sync | Tab::Agenda => return Vec::new(),
            };
            if list.generation != generation || list.query.trim().is_empty() {
                return Vec::new();
            }
            list.ranked = Some(hits);
            list.rows.clear();
            refresh(state, tab);
        }
        Action::Loaded(records) => {
            // An import finished while loading already showed newer records.
            if state.loading {
                return vec![Effect::Release(Box::new(state.loaded(*records)))];
            }
        }
        Action::LoadFailed(text) => {
            // The lists stay empty; the message says why and stays until a key is pressed.
            state.loading = false;
            state.message = Some(Message { text, error: true });
        }
        Action::Saved { lead, change } => {
            let lang = state.lang;
            let id = lead.id.clone();
            state.replace_lead(*lead);
            state.refresh_leads();
            // A lead the filter no longer shows: leave the detail rather than show another lead.
            let gone = state.selected_lead().is_none_or(|l| l.id != id);
            if gone && state.mode == Mode::Detail {
                state.mode = Mode::List;
            }
            let text = match change {
                Some(change) => {
                    state.changes += 1;
                    state.sync.status.unexported += 1;
                    format!(
                        "{}{} → {}{}{}",
                        lang.pick("已保存：", "saved: "),
                        field_label(&change.field, lang),
                        value_label(&change.value, lang),
                        lang.pick("（变更 #", " (change #"),
                        format_args!("{}{}", change.idx, lang.pick("）", ")")),
                    )
                }
                None => lang.pick("没有变化。", "nothing changed.").into(),
            };
            let text = if gone {
                format!(
                    "{text}{}",
                    lang.pick(
                        "；该线索已不在当前筛选中",
                        "; the lead has left the current filter"
                    )
                )
            } else {
                text
            };
            say(state, text, false);
        }
        Action::Failed(text) => say(state, text, true),
        Action::NewVisit(kind) => visit_form::open(state, kind),
        Action::ResumeDraft => visit_form::resume(state),
        Action::Finalized(done) => visit_form::finalized(state, *done),
        Action::Rejected(problems) => visit_form::rejected(state, problems),
        action @ (Action::Export
        | Action::ShowKey
        | Action::CloseKey
        | Action::TrustInput(_)
        | Action::TrustBackspace
        | Action::TrustToggleHq
        | Action::TrustAccept
        | Action::TrustCancel
        | Action::ExportTo
        | Action::OpenImport
        | Action::PromptInput(_)
        | Action::PromptBackspace
        | Action::PromptComplete
        | Action::PromptAccept
        | Action::PromptCancel
        | Action::OpenConflict
        | Action::KeepMine
        | Action::KeepTheirs
        | Action::PromptReady { .. }
        | Action::DrivesReady(_)
        | Action::PromptDrive
        | Action::SyncDone(_)) => return sync_tab::act(state, action),
        action @ (Action::FormNext
        | Action::FormPrev
        | Action::FormLeft
        | Action::FormRight
        | Action::FormUp
        | Action::FormDown
        | Action::FormEnter
        | Action::FormEvidenceKind
        | Action::FormSave
        | Action::FormEsc
        | Action::FormKey(_)) => return visit_form::act(state, action),
        action @ (Action::OpenSettings
        | Action::EditFacts
        | Action::NewLead
        | Action::SettingsNext
        | Action::SettingsPrev
        | Action::SettingsSave
        | Action::SettingsEsc
        | Action::SettingsKey(_)
        | Action::IdentitySaved { .. }) => return super::settings_act::act(state, action),
        Action::Resize(width, height) => {
            state.width = width;
            state.height = height;
        }
        // Taken apart by `update` before this.
        Action::Progress(_) | Action::WorkDone(_) => {}
    }
    Vec::new()
}

fn say(state: &mut State, text: String, error: bool) {
    state.message = Some(Message { text, error });
}

fn switch(state: &mut State, index: usize) {
    state.tab = Tab::ALL[index];
    state.mode = Mode::List;
    state.detail_scroll = 0;
    if state.tab == Tab::Agenda {
        state.refresh_agenda();
    }
}

/// Moves the selection (list, search) or scrolls the detail, by `delta` rows.
fn step(state: &mut State, delta: isize) {
    match state.mode {
        Mode::Detail => {
            // The pane stops at its last line when drawn; this bound keeps Up from End short.
            let to = (state.detail_scroll as isize).saturating_add(delta);
            state.detail_scroll = u16::try_from(to.clamp(0, MAX_SCROLL)).unwrap_or(0);
        }
        Mode::PickStatus => {
            if let Some(p) = state.picker.as_mut() {
                let last = p.options.len().saturating_sub(1) as isize;
                p.selected = (p.selected as isize).saturating_add(delta).clamp(0, last) as usize;
            }
        }
        Mode::List if state.tab == Tab::Sync => {
            let last = state.sync.conflicts.len().saturating_sub(1) as isize;
            state.conflict = (state.conflict as isize)
                .saturating_add(delta)
                .clamp(0, last) as usize;
        }
        Mode::List | Mode::Search => {
            if let Some(list) = state.list_mut() {
                let last = list.rows.len().saturating_sub(1) as isize;
                list.selected = (list.selected as isize)
                    .saturating_add(delta)
                    .clamp(0, last) as usize;
                state.detail_scroll = 0;
            }
        }
        Mode::Help
        | Mode::Form
        | Mode::Prompt
        | Mode::Resolve
        | Mode::Confirm
        | Mode::Settings
        | Mode::Key
        | Mode::Trust => {}
    }
}

/// Starts a search for the current list's query (or clears the results when it is empty).
fn search(state: &mut State) -> Vec<Effect> {
    let tab = state.tab;
    state.generation += 1;
    let generation = state.generation;
    let Some(list) = state.list_mut() else {
        return Vec::new();
    };
    list.generation = generation;
    if list.query.trim().is_empty() {
        list.ranked = None;
        refresh(state, tab);
        return Vec::new();
    }
    vec![Effect::Search {
        generation,
        tab,
        query: list.query.clone(),
    }]
}

fn refresh(state: &mut State, tab: Tab) {
    match tab {
        Tab::Leads => state.refresh_leads(),
        Tab::Directory => state.refresh_channels(),
        Tab::Visits => state.refresh_visits(),
        Tab::Agenda => state.refresh_agenda(),
        Tab::Sync => {}
    }
}

fn open_picker(state: &mut State) {
    let Some(pos) = state.lead_list.current() else {
        return;
    };
    let status = state.leads[pos].status;
    let options = manual_targets(status).to_vec();
    if options.is_empty() {
        let text = Refusal::ClosedIsFinal.message(state.lang).to_string();
        say(state, text, true);
        return;
    }
    state.picker = Some(Picker {
        lead: pos,
        options,
        selected: 0,
        return_to: state.mode,
    });
    state.mode = Mode::PickStatus;
}

/// Asks before setting a synced field of the selected lead (computed from the lead and the
/// inspector's name): the question names the change and the lead, `y` makes it, any other key
/// leaves it. One keystroke more, so that a stray key (or `End` then `!` on a closed lead) does
/// not change and sync a lead unseen.
fn ask(state: &mut State, field: impl Fn(&crate::model::Lead, &str) -> LeadField) {
    if state.tab != Tab::Leads {
        return;
    }
    let Some(lead) = state.selected_lead() else {
        return;
    };
    let lang = state.lang;
    let field = field(lead, &state.info.inspector);
    let what = format!(
        "{} → {}",
        field_label(field.name(), lang),
        value_label(&field.value(), lang)
    );
    let text = match lang {
        Lang::Zh => format!(
            "{what}：{}（{}）？ y 确认 · 其他键取消",
            state.creditor_shown(lead),
            lead.status.label(lang)
        ),
        Lang::En => format!(
            "{what}: {} ({})? y: yes · any other key: no",
            state.creditor_shown(lead),
            lead.status.label(lang)
        ),
    };
    state.asked = Some(Asked {
        lead_id: lead.id.clone(),
        field,
        return_to: state.mode,
    });
    state.mode = Mode::Confirm;
    state.message = Some(Message { text, error: false });
}

/// `u`: shows or hides the current confidential lead's creditor in full (that lead only; moving
/// away hides it again).
fn reveal(state: &mut State) {
    let lang = state.lang;
    let Some(lead) = state.selected_lead() else {
        return;
    };
    let (id, confidential, shown) = (lead.id.clone(), lead.confidential, state.is_revealed(lead));
    if !confidential {
        state.message = Some(Message {
            text: lang
                .pick(
                    "这条线索不保密，名称已全部显示。",
                    "this lead is not confidential: its name is shown in full.",
                )
                .into(),
            error: false,
        });
        return;
    }
    state.revealed = (!shown).then_some(id);
}

/// Pasted text goes where text is typed, all at once (one search, one draft save); anywhere
/// else it is dropped with a word, never read as keys (`ok!` pasted into the list would
/// otherwise toggle 挂牌督办 and log a change).
fn paste(state: &mut State, text: String) -> Vec<Effect> {
    match state.mode {
        Mode::Search => {
            if let Some(list) = state.list_mut() {
                list.query.push_str(&super::form::one_line(&text));
            }
            search(state)
        }
        Mode::Form => visit_form::act(state, Action::Paste(text)),
        Mode::Prompt | Mode::Trust => sync_tab::act(state, Action::Paste(text)),
        Mode::Settings => {
            if let Some(settings) = state.settings.as_mut() {
                settings.paste(&text);
            }
            Vec::new()
        }
        // Not a `y`: the question is answered no, as by any other key.
        Mode::Confirm => update_inner(state, Action::ConfirmNo),
        _ => {
            let lang = state.lang;
            state.message = Some(Message {
                text: lang
                    .pick(
                        "粘贴的文字没有当作按键：要搜索请先按 / 再粘贴。",
                        "the pasted text was not taken as keys: press / first to search for it.",
                    )
                    .into(),
                error: false,
            });
            Vec::new()
        }
    }
}

//! The part of `update` that opens, edits, saves and closes the visit form. Pure: drafts are
//! saved and visits finalized by effects.

use chrono::{TimeZone, Utc};

use super::action::Action;
use super::form::{Form, Shown};
use super::state::{Message, Mode, State};
use super::update::Effect;
use crate::model::VisitKind;
use crate::model::form::{Problem, VisitForm};
use crate::model::rules::{Violation, stages_for};
use crate::model::visit::effective;

fn say(state: &mut State, text: String, error: bool) {
    state.message = Some(Message { text, error });
}

/// `v`, `r`, `R`: a new visit on the selected lead; a revisit starts from the last visit's
/// people, amounts and evidence. A lead with a draft offers the draft instead; a lead that
/// cannot take this kind of visit at its stage says so at once (rule 5) and opens no form.
pub fn open(state: &mut State, kind: VisitKind) {
    let lang = state.lang;
    let Some(pos) = state.lead_list.current() else {
        return;
    };
    let lead = &state.leads[pos];
    if state.drafts.contains_key(&lead.id) {
        say(
            state,
            lang.pick(
                "这条线索有未完成的草稿：按 d 继续填写（在草稿中按 Esc 可放弃）。",
                "this lead has an unfinished draft: press d to go on (Esc in it discards it).",
            )
            .into(),
            false,
        );
        return;
    }
    if !stages_for(kind).contains(&lead.status) {
        // Said now, not after the form is filled in and Ctrl-S pressed.
        let refusal = Problem::Rule(Violation::WrongStage {
            kind,
            status: lead.status,
        });
        say(state, refusal.message(lang), true);
        return;
    }
    let prefill = (kind == VisitKind::Revisit)
        .then(|| {
            // The lead's visits in full were read from the store when it was selected.
            let own = state.opened_visits(&lead.id).unwrap_or_default();
            effective(own).last().map(|last| VisitForm {
                evidence: evidence_lines(last, lang),
                finding: String::new(),
                cause: String::new(),
                next: String::new(),
                due: String::new(),
                notes: String::new(),
                kind: kind.code().into(),
                ..VisitForm::from_visit(last)
            })
        })
        .flatten();
    let form = Form::new(pos, lead, kind, prefill.as_ref());
    start(state, form);
}

/// A visit's evidence as the form's lines, kinds in the user's words as Ctrl-K writes them
/// (`银行流水:LS-1`), not their codes.
fn evidence_lines(visit: &crate::model::Visit, lang: crate::i18n::Lang) -> Vec<String> {
    visit
        .evidence
        .iter()
        .map(|e| format!("{}:{}:{}", e.kind.label(lang), e.reference, e.note))
        .collect()
}

/// `d`: the lead's draft, as it was saved.
pub fn resume(state: &mut State) {
    let Some(pos) = state.lead_list.current() else {
        return;
    };
    let lead = &state.leads[pos];
    match state.drafts.get(&lead.id) {
        Some(draft) => {
            let mut form = Form::new(pos, lead, VisitKind::Onsite, Some(draft));
            // A draft is kept in the store: Esc asks before deleting it.
            form.touched = true;
            start(state, form);
        }
        None => {
            let text = state.lang.pick(
                "这条线索没有草稿：按 v 新建走访。",
                "no draft for this lead: press v for a new visit.",
            );
            say(state, text.into(), false);
        }
    }
}

/// The lead as the form's visit is judged: a correction from the state before the visit it
/// corrects (as `Store::finalize` judges it), any other visit from the lead as it is.
fn judged(state: &State, form: &Form) -> crate::model::Lead {
    let lead = &state.leads[form.lead];
    let corrected = form.supersedes.as_deref().and_then(|old| {
        state
            .opened_visits(&lead.id)
            .and_then(|visits| visits.iter().find(|v| v.id == old))
    });
    match corrected {
        Some(v) => crate::model::Lead {
            status: v.status_before.unwrap_or(lead.status),
            attention: v.attention_before,
            ..(**lead).clone()
        },
        None => (**lead).clone(),
    }
}

/// `C`: corrects the lead's latest visit: the form opens with that visit's fields, and the
/// visit finalized from it supersedes the old one (both stay in the history). Only the latest
/// can be corrected (what followed an older one built on it), as the store says too.
pub fn correct(state: &mut State) {
    let lang = state.lang;
    let Some(pos) = state.lead_list.current() else {
        return;
    };
    let lead = &state.leads[pos];
    if state.drafts.contains_key(&lead.id) {
        let text = lang.pick(
            "这条线索有未完成的草稿：按 d 继续填写，或在草稿中按 Esc 放弃后再更正。",
            "this lead has an unfinished draft: press d to go on, or discard it (Esc in it) to correct.",
        );
        say(state, text.into(), false);
        return;
    }
    let latest = state
        .opened_visits(&lead.id)
        .and_then(|own| effective(own).last().copied().cloned());
    let Some(old) = latest else {
        let text = lang.pick(
            "这条线索还没有走访记录，无可更正（按 v 新建）。",
            "this lead has no visit to correct yet (v: a new one).",
        );
        say(state, text.into(), false);
        return;
    };
    open_correction(state, pos, &old);
}

/// `C` on the Visits tab: correct the selected visit, if it is its lead's latest (the lead is
/// shown in the Leads tab, where the form opens).
pub fn correct_selected(state: &mut State) {
    let lang = state.lang;
    let Some(old) = state.selected_visit().cloned() else {
        let text = lang.pick(
            "正在读取这条走访，请稍候再按 C。",
            "still reading this visit: press C again in a moment.",
        );
        say(state, text.into(), false);
        return;
    };
    let Some(pos) = state.lead_position(&old.lead) else {
        let text = lang.pick(
            "本机没有这条走访的线索，无法更正。",
            "this store does not hold the visit's lead: it cannot be corrected here.",
        );
        say(state, text.into(), true);
        return;
    };
    let latest = state
        .visits_of(&old.lead)
        .iter()
        .map(|&p| state.visits.id(p))
        .filter(|id| !state.is_corrected(id))
        .max();
    if latest != Some(old.id.as_str()) {
        let text = lang.pick(
            "只能更正这条线索最近的一次走访；已被更正的走访不能再更正。",
            "only the lead's latest visit can be corrected; a corrected visit cannot be corrected again.",
        );
        say(state, text.into(), true);
        return;
    }
    if state.drafts.contains_key(&old.lead) {
        let text = lang.pick(
            "这条线索有未完成的草稿：在线索页按 d 继续填写，或在草稿中按 Esc 放弃后再更正。",
            "this lead has an unfinished draft: press d on the Leads tab to go on, or discard it (Esc in it) to correct.",
        );
        say(state, text.into(), false);
        return;
    }
    state.show_lead(pos);
    open_correction(state, pos, &old);
}

/// The correction form of `old`, a visit of the lead at `pos`, prefilled with its fields.
fn open_correction(state: &mut State, pos: usize, old: &crate::model::Visit) {
    let lang = state.lang;
    let Some(lead) = state.leads.get(pos).cloned() else {
        return;
    };
    let mut prefill = VisitForm::from_visit(old);
    prefill.evidence = evidence_lines(old, lang);
    prefill.at = crate::clock::local(old.at, "%Y-%m-%d %H:%M");
    prefill.supersedes = Some(old.id.clone());
    let mut form = Form::new(pos, &lead, old.kind, Some(&prefill));
    form.kept_at = Some((prefill.at.clone(), old.at.to_rfc3339()));
    start(state, form);
    let text = lang.pick(
        "更正：先写原因；Ctrl-S 定稿后新记录取代旧记录，两条都保留。",
        "correcting: say why first; Ctrl-S supersedes the old visit (both kept).",
    );
    say(state, text.into(), false);
}

fn start(state: &mut State, form: Form) {
    state.form = Some(form);
    state.mode = Mode::Form;
}

/// A key or command in the form.
pub fn act(state: &mut State, action: Action) -> Vec<Effect> {
    let lang = state.lang;
    let Some(form) = state.form.as_mut() else {
        return Vec::new();
    };
    if form.confirm {
        match answer(state, &action) {
            Some(effects) => return effects,
            // Any other key: the question is dropped and the key works as usual.
            None => return act(state, action),
        }
    }
    let focus = form.focus;
    let changed = match action {
        Action::FormNext => {
            form.step(1);
            false
        }
        Action::FormPrev => {
            form.step(-1);
            false
        }
        Action::FormLeft | Action::FormRight if focus.pick_list() => {
            form.cycle(if action == Action::FormLeft { -1 } else { 1 })
        }
        Action::FormUp | Action::FormDown | Action::FormEnter if !focus.multiline() => {
            form.step(if action == Action::FormUp { -1 } else { 1 });
            false
        }
        Action::FormEvidenceKind => form.cycle_evidence_kind(lang),
        Action::FormEsc if !form.touched => {
            // Nothing typed: nothing to lose.
            close(state);
            return Vec::new();
        }
        Action::FormEsc => {
            form.confirm = true;
            let text = lang.pick(
                "放弃这次走访？y 放弃并删除草稿 · k 保留草稿，稍后按 d 继续 · n 继续填写",
                "Discard this visit? y: discard and delete the draft · k: keep the draft for later (d) · n: go on",
            );
            say(state, text.into(), false);
            return Vec::new();
        }
        Action::FormSave => return save(state),
        Action::Paste(text) => form.paste(&text),
        other => match key_of(&other) {
            Some(key) => form.edit(key),
            None => false,
        },
    };
    if !changed {
        return Vec::new();
    }
    form.touched = true;
    recheck(state);
    let Some(form) = state.form.as_ref() else {
        return Vec::new();
    };
    let draft = form.to_visit_form();
    state.drafts.insert(draft.lead.clone(), draft.clone());
    vec![Effect::SaveDraft(draft)]
}

/// The key an editing action stands for in a text field.
fn key_of(action: &Action) -> Option<ratatui::crossterm::event::KeyEvent> {
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let code = match action {
        Action::FormKey(key) => return Some(*key),
        Action::FormLeft => KeyCode::Left,
        Action::FormRight => KeyCode::Right,
        Action::FormUp => KeyCode::Up,
        Action::FormDown => KeyCode::Down,
        Action::FormEnter => KeyCode::Enter,
        _ => return None,
    };
    Some(KeyEvent::new(code, KeyModifiers::NONE))
}

/// The answer to "discard this visit?"; `None` for a key that is not an answer (the question
/// is then dropped).
fn answer(state: &mut State, action: &Action) -> Option<Vec<Effect>> {
    use ratatui::crossterm::event::KeyCode;
    let choice = match action {
        Action::FormKey(key) => match key.code {
            KeyCode::Char(c) => Some(c.to_ascii_lowercase()),
            _ => None,
        },
        Action::FormEsc => Some('n'),
        _ => None,
    };
    let form = state.form.as_mut()?;
    let lang = state.lang;
    match choice {
        Some('y') => {
            let lead = form.lead_id.clone();
            close(state);
            state.drafts.remove(&lead);
            say(
                state,
                lang.pick("已放弃，草稿已删除。", "Discarded; the draft is deleted.")
                    .into(),
                false,
            );
            Some(vec![Effect::DiscardDraft(lead)])
        }
        Some('k') => {
            close(state);
            say(
                state,
                lang.pick(
                    "草稿已保留：按 d 继续填写。",
                    "Draft kept: press d to go on.",
                )
                .into(),
                false,
            );
            Some(Vec::new())
        }
        Some('n') => {
            form.confirm = false;
            state.message = None;
            Some(Vec::new())
        }
        _ => {
            form.confirm = false;
            state.message = None;
            None
        }
    }
}

fn close(state: &mut State) {
    state.form = None;
    state.mode = Mode::List;
}

/// A fixed "now" for checking while typing (`update` reads no clock): the last second of today
/// in China, so a time later today is not called future here; finalizing checks against the
/// clock itself.
fn checking_now(state: &State) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&state.today.and_hms_opt(15, 59, 59).unwrap_or_default())
}

/// Keeps the shown problems current once Ctrl-S has shown them.
fn recheck(state: &mut State) {
    let now = checking_now(state);
    let today = state.today;
    let Some(form) = state.form.as_ref() else {
        return;
    };
    if !form.checked {
        return;
    }
    let problems = form.problems_on(&judged(state, form), now, today);
    if let Some(form) = state.form.as_mut() {
        form.problems = problems;
    }
}

/// Ctrl-S: show every problem beside its field, or finalize.
fn save(state: &mut State) -> Vec<Effect> {
    let lang = state.lang;
    let now = checking_now(state);
    let today = state.today;
    let Some(form) = state.form.as_ref() else {
        return Vec::new();
    };
    let problems = form.problems_on(&judged(state, form), now, today);
    let Some(form) = state.form.as_mut() else {
        return Vec::new();
    };
    form.checked = true;
    if problems.is_empty() {
        form.problems.clear();
        return vec![Effect::Finalize(form.to_visit_form())];
    }
    let count = problems.len();
    if let Some(first) = problems.first() {
        form.focus = first.part();
    }
    form.problems = problems;
    let text = match lang {
        crate::i18n::Lang::Zh => format!("还不能定稿：{count} 处需要补正（红字在栏旁）。"),
        crate::i18n::Lang::En => {
            format!("Not final yet: problems to fix: {count} (in red beside the fields).")
        }
    };
    say(state, text, true);
    Vec::new()
}

/// The store finalized the visit: close the form and show the lead's new state.
pub fn finalized(state: &mut State, done: crate::store::Finalized) {
    let lang = state.lang;
    let visit = done.visit;
    let before = visit
        .status_before
        .map(|s| s.label(lang))
        .unwrap_or_default();
    let text = match lang {
        crate::i18n::Lang::Zh => format!(
            "已定稿：{}（{}）· {before} → {} · 变更 {} 条",
            visit.kind.label(lang),
            visit.finding.map(|f| f.label(lang)).unwrap_or_default(),
            done.lead.status.label(lang),
            done.changes.len()
        ),
        crate::i18n::Lang::En => format!(
            "Final: {} ({}) · {before} → {} · {} changes",
            visit.kind.label(lang),
            visit.finding.map(|f| f.label(lang)).unwrap_or_default(),
            done.lead.status.label(lang),
            done.changes.len()
        ),
    };
    state.changes += done.changes.len() as u64;
    state.sync.status.unexported += done.changes.len() as u64;
    state.drafts.remove(&done.lead.id);
    // The visit first: the lead's place in the ledger depends on its next step.
    state.add_visit(visit);
    state.replace_lead(done.lead);
    close(state);
    state.refresh_leads();
    state.refresh_visits();
    say(state, text, false);
}

/// The store refused (the lead changed meanwhile, or a rule it checks again): show why.
pub fn rejected(state: &mut State, problems: Vec<crate::model::form::Problem>) {
    let lang = state.lang;
    let text = problems
        .first()
        .map(|p| p.message(lang))
        .unwrap_or_else(|| lang.pick("未能定稿", "not finalized").into());
    if let Some(form) = state.form.as_mut() {
        form.problems = problems;
        form.checked = true;
    }
    say(state, text, true);
}

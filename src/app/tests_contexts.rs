//! The context list and copying, without a terminal: `C` lists the contexts, Enter asks
//! the runtime to switch, an unusable context says why; `y`/`Y` copy what is selected.

use crossterm::event::KeyCode;

use super::contexts::{ContextEntry, MAX_COPY_BYTES};
use super::dlq_fixtures::{dead_letters_app, press, press_served};
use super::fixtures::app_after;
use super::*;

fn entry(name: &str, read_only: bool, unavailable: Option<&str>) -> ContextEntry {
    ContextEntry {
        name: name.into(),
        target: format!("redis://{name}:6379"),
        read_only,
        unavailable: unavailable.map(str::to_string),
    }
}

fn with_contexts() -> App {
    let mut app = app_after(30);
    app.set_contexts(
        Some("staging".into()),
        vec![
            entry("dev", false, None),
            entry("prod", true, None),
            entry("staging", false, None),
            entry(
                "vault",
                false,
                Some("password_env names VAULT_PW, which is not set"),
            ),
        ],
    );
    app
}

#[test]
fn c_lists_the_contexts_with_the_current_one_selected() {
    let mut app = with_contexts();
    assert!(press(&mut app, KeyCode::Char('C')).is_empty());
    assert_eq!(app.mode, Mode::Contexts);
    assert_eq!(app.context_list.as_ref().map(|l| l.row), Some(2));
    // Esc closes and changes nothing.
    press(&mut app, KeyCode::Esc);
    assert_eq!(
        (app.mode, app.context.as_deref()),
        (Mode::Dashboard, Some("staging"))
    );
}

#[test]
fn enter_asks_to_switch_and_the_current_context_is_no_switch() {
    let mut app = with_contexts();
    press(&mut app, KeyCode::Char('C'));
    press(&mut app, KeyCode::Up);
    let effects = press(&mut app, KeyCode::Enter);
    assert_eq!(effects, vec![Effect::SwitchContext("prod".into())]);
    assert_eq!(app.mode, Mode::Dashboard);
    press(&mut app, KeyCode::Char('C'));
    assert!(
        press(&mut app, KeyCode::Enter).is_empty(),
        "staging is in use"
    );
    assert_eq!(app.mode, Mode::Dashboard);
}

#[test]
fn an_unusable_context_says_why_and_stays_in_the_list() {
    let mut app = with_contexts();
    press(&mut app, KeyCode::Char('C'));
    press(&mut app, KeyCode::Char('j'));
    assert!(press(&mut app, KeyCode::Enter).is_empty());
    assert_eq!(app.mode, Mode::Contexts);
    let notice = app.context_list.as_ref().and_then(|l| l.notice.clone());
    assert_eq!(
        notice.as_deref(),
        Some("vault cannot be used: password_env names VAULT_PW, which is not set")
    );
}

#[test]
fn without_contexts_c_is_not_bound() {
    let mut app = app_after(30);
    press(&mut app, KeyCode::Char('C'));
    assert_eq!(app.mode, Mode::Dashboard);
    assert!(!app
        .keymap
        .help(Mode::Dashboard)
        .iter()
        .any(|e| e.command == Command::Contexts));
    let app = with_contexts();
    assert!(app
        .keymap
        .help(Mode::Dashboard)
        .iter()
        .any(|e| e.command == Command::Contexts && e.keys == "C"));
}

#[test]
fn y_copies_the_selected_queue_or_worker_name() {
    let mut app = app_after(30);
    let queue = app.selected.clone().map(|k| k.name).unwrap_or_default();
    assert_eq!(
        press(&mut app, KeyCode::Char('y')),
        vec![Effect::Copy(queue.to_string())]
    );
    assert_eq!(
        app.flash(),
        Some(format!("copied queue {queue} (OSC 52)").as_str())
    );
    press(&mut app, KeyCode::Tab);
    let worker = app.worker_rows().first().map(|w| w.name.clone());
    let worker = worker.unwrap_or_else(|| panic!("the fixture has workers"));
    assert_eq!(
        press(&mut app, KeyCode::Char('y')),
        vec![Effect::Copy(worker)]
    );
    // The confirmation goes after a few seconds.
    app.update(Action::Tick(app.now_ms + 5_000));
    assert_eq!(app.flash(), None);
}

#[test]
fn y_and_shift_y_copy_a_failed_jobs_id_and_json() {
    let mut app = dead_letters_app(120, 40);
    press_served(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::DeadLetterDetail);
    let id = app
        .dead_letters
        .as_ref()
        .and_then(|d| d.detail.as_ref())
        .map(|d| d.id.clone())
        .unwrap_or_default();
    assert_eq!(
        press(&mut app, KeyCode::Char('y')),
        vec![Effect::Copy(id.clone())]
    );
    let effects = press(&mut app, KeyCode::Char('Y'));
    let Some(Effect::Copy(json)) = effects.first() else {
        panic!("no copy: {effects:?}")
    };
    let parsed: serde_json::Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed["id"], id.as_str());
    assert!(parsed["stacktrace"].is_array(), "{parsed}");
    assert!(json.len() <= MAX_COPY_BYTES);
}

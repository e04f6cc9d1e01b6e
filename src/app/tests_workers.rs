//! Worker controls from the workers pane, key → state → effect, without a terminal or
//! Redis: asked first, sent only on `y`, refused under --read-only and for systems (or
//! workers) without that control, with the reason in the status line.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixtures_mixed::mixed_app_after;
use super::worker_controls::{ControlDone, ControlRequest};
use super::*;
use crate::model::System;

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// The mixed dashboard with the workers pane focused on the worker named `name`.
fn on_worker(name: &str) -> App {
    let mut app = mixed_app_after(30, false);
    app.update(Action::Resize(160, 48));
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Pane::Workers);
    let index = app
        .worker_rows()
        .iter()
        .position(|r| r.name == name)
        .unwrap_or_else(|| panic!("no worker {name}"));
    for _ in 0..index {
        press(&mut app, KeyCode::Down);
    }
    assert_eq!(app.selected_worker().map(|r| r.name.as_str()), Some(name));
    app
}

fn note(app: &App) -> String {
    app.status_note()
        .map(|n| n.text.clone())
        .unwrap_or_default()
}

#[test]
fn quiet_asks_first_and_y_sends_it_to_the_selected_sidekiq_process() {
    let mut app = on_worker("app-1:4100:0a1b2c3d4e5f");
    assert!(press(&mut app, KeyCode::Char('Q')).is_empty());
    assert_eq!(app.mode, Mode::Confirm);
    let question = app.confirm.as_ref().map(|c| c.question.clone());
    assert_eq!(
        question.as_deref(),
        Some(
            "Quiet sidekiq worker app-1:4100:0a1b2c3d4e5f (app-1 pid 4100): it stops fetching \
             jobs and finishes the running ones"
        )
    );
    let effects = press(&mut app, KeyCode::Char('y'));
    assert_eq!(app.mode, Mode::Dashboard);
    let [Effect::WorkerControl(request)] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    let ControlRequest { worker, control } = request.as_ref();
    assert_eq!(*control, WorkerControl::Quiet);
    assert_eq!(worker.system, System::Sidekiq);
    assert_eq!(worker.name, "app-1:4100:0a1b2c3d4e5f");
    // The outcome comes back and is shown in the status line.
    app.update(Action::WorkerControlDone(ControlDone {
        worker: worker.name.clone(),
        control: *control,
        result: Ok("TSTP queued for app-1:4100:0a1b2c3d4e5f".into()),
    }));
    assert_eq!(note(&app), "TSTP queued for app-1:4100:0a1b2c3d4e5f");
    // It fades after a few seconds.
    app.update(Action::Tick(app.now_ms + 10_000));
    assert_eq!(app.status_note(), None);
}

#[test]
fn anything_but_y_cancels_and_sends_nothing() {
    let mut app = on_worker("app-1:4100:0a1b2c3d4e5f");
    press(&mut app, KeyCode::Char('K'));
    assert_eq!(app.mode, Mode::Confirm);
    assert!(press(&mut app, KeyCode::Char('n')).is_empty());
    assert_eq!(app.mode, Mode::Dashboard);
    assert!(app.confirm.is_none());
    assert_eq!(
        note(&app),
        "cancelled: nothing sent to app-1:4100:0a1b2c3d4e5f"
    );
}

#[test]
fn read_only_refuses_with_the_reason_and_no_dialog() {
    let mut app = on_worker("app-1:4100:0a1b2c3d4e5f");
    app.read_only = true;
    assert!(press(&mut app, KeyCode::Char('Q')).is_empty());
    assert_eq!(app.mode, Mode::Dashboard);
    assert!(app.confirm.is_none());
    assert!(
        note(&app).starts_with("read-only: quiet is disabled"),
        "{}",
        note(&app)
    );
    assert!(app.status_note().is_some_and(|n| n.error));
    assert_eq!(
        app.unavailable(Command::WorkerControl(WorkerControl::Quiet)),
        Some("read-only")
    );
}

#[test]
fn bullmq_workers_take_no_commands_and_the_status_line_says_so() {
    let mut app = on_worker("w-orders");
    for key in ['Q', 'K', 'J', '>', '<'] {
        assert!(press(&mut app, KeyCode::Char(key)).is_empty());
        assert_eq!(app.mode, Mode::Dashboard, "{key}");
        assert!(
            note(&app).contains("take no commands through Redis"),
            "{key}: {}",
            note(&app)
        );
    }
    assert_eq!(
        app.unavailable(Command::WorkerControl(WorkerControl::Stop)),
        Some("BullMQ workers take no remote commands")
    );
}

#[test]
fn only_the_controls_of_the_worker_s_system_are_offered() {
    // RQ: stop and stop-job, no quiet.
    let mut app = on_worker("py-1.5200");
    press(&mut app, KeyCode::Char('Q'));
    assert_eq!(app.mode, Mode::Dashboard);
    assert_eq!(note(&app), "rq workers cannot be asked to quiet");
    assert_eq!(
        app.unavailable(Command::WorkerControl(WorkerControl::Quiet)),
        Some("not for RQ")
    );
    assert_eq!(
        app.unavailable(Command::WorkerControl(WorkerControl::StopJob)),
        None
    );
    press(&mut app, KeyCode::Char('J'));
    assert_eq!(app.mode, Mode::Confirm);
    let question = app.confirm.as_ref().map(|c| c.question.clone());
    assert!(
        question
            .as_deref()
            .is_some_and(|q| q
                .starts_with("Stop the job of rq worker py-1.5200 (py-1 pid 5200), job 3f2a9c")),
        "{question:?}"
    );
    let effects = press(&mut app, KeyCode::Char('y'));
    assert!(matches!(
        effects.as_slice(),
        [Effect::WorkerControl(request)] if request.control == WorkerControl::StopJob
    ));
    // Sidekiq: no stop-job, no grow.
    let app = on_worker("app-2:4170:9f8e7d6c5b4a");
    for control in [WorkerControl::StopJob, WorkerControl::Grow] {
        assert_eq!(
            app.unavailable(Command::WorkerControl(control)),
            Some("not for Sidekiq")
        );
    }
}

#[test]
fn the_queues_pane_has_no_worker_to_control() {
    let mut app = mixed_app_after(30, false);
    assert_eq!(app.focus, Pane::Queues);
    assert!(press(&mut app, KeyCode::Char('K')).is_empty());
    assert_eq!(app.mode, Mode::Dashboard);
    assert!(note(&app).contains("select a worker in the workers pane"));
}

#[test]
fn help_lists_the_control_keys_from_the_keymap() {
    let app = mixed_app_after(3, false);
    let help = app.keymap.help(Mode::Dashboard);
    for (keys, control) in [
        ("Q", WorkerControl::Quiet),
        ("K", WorkerControl::Stop),
        ("J", WorkerControl::StopJob),
        (">", WorkerControl::Grow),
        ("<", WorkerControl::Shrink),
    ] {
        assert!(
            help.iter()
                .any(|e| e.keys == keys && e.command == Command::WorkerControl(control)),
            "{keys}"
        );
    }
}

#[test]
fn the_demo_keeps_its_kill_and_stop_keys() {
    let mut app = super::fixtures::demo_app_after(60);
    let effects = press(&mut app, KeyCode::Char('k'));
    assert_eq!(effects, vec![Effect::Demo(demo::DemoOp::KillWorker)]);
    // Its Redis holds only qtop's own workers: no remote controls to offer.
    assert_eq!(
        app.keymap.lookup(
            Mode::Dashboard,
            &KeyEvent::new(KeyCode::Char('K'), KeyModifiers::SHIFT)
        ),
        None
    );
}

#[test]
fn the_status_bar_offers_the_selected_workers_own_controls_first() {
    let labels = |app: &App| -> Vec<String> {
        app.status_keys()
            .iter()
            .map(|e| format!("{} {}", e.keys, e.text))
            .collect()
    };
    let sidekiq = labels(&on_worker("app-1:4100:0a1b2c3d4e5f"));
    assert_eq!(sidekiq[..2], ["Q quiet", "K stop"], "{sidekiq:?}");
    assert!(!sidekiq
        .iter()
        .any(|l| l.contains("stop job") || l.contains("pool")));
    // The queues pane: no worker selected, no control offered.
    let mut app = on_worker("app-1:4100:0a1b2c3d4e5f");
    press(&mut app, KeyCode::Tab);
    assert!(!labels(&app).iter().any(|l| l.contains("quiet")));
}

//! The demo's keys, the advisor's target wait, --scale-cmd's confirmation and the
//! autoscaler, as key → effect and report → effect, without a terminal or an engine.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::demo::{DemoOp, BURST};
use super::fixtures::{app_after, demo_app_after, demo_status, key, report, T0_MS};
use super::*;
use crate::actions::scale_cmd::ScaleCommand;

fn press(app: &mut App, c: char) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

fn enter(app: &mut App) {
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));
}

fn demo_op(app: &mut App, c: char) -> DemoOp {
    match press(app, c).as_slice() {
        [Effect::Demo(op)] => op.clone(),
        other => panic!("{c}: {other:?}"),
    }
}

#[test]
fn demo_keys_become_engine_commands_and_zoom_stays_on_z() {
    let mut app = demo_app_after(60);
    assert_eq!(demo_op(&mut app, ']'), DemoOp::RateUp);
    assert_eq!(demo_op(&mut app, '['), DemoOp::RateDown);
    assert_eq!(demo_op(&mut app, 'b'), DemoOp::Burst(BURST));
    assert_eq!(demo_op(&mut app, '+'), DemoOp::SpawnWorker);
    assert_eq!(demo_op(&mut app, '-'), DemoOp::StopWorker);
    assert_eq!(demo_op(&mut app, 'k'), DemoOp::KillWorker);
    assert_eq!(demo_op(&mut app, 'x'), DemoOp::TogglePoison);
    // Cycles start from what the engine reports: 2 % → 10 %, c4 → c8, 50 ms → 100 ms.
    assert_eq!(demo_op(&mut app, 'f'), DemoOp::SetFailRate(0.10));
    assert_eq!(demo_op(&mut app, 'c'), DemoOp::SetConcurrency(8));
    assert_eq!(demo_op(&mut app, 'w'), DemoOp::SetWorkMs(100.0));
    // The demo starts on a one-minute window; z and Z still zoom.
    assert_eq!(app.window_ms(), 60_000);
    assert!(press(&mut app, 'Z').is_empty());
    assert_eq!(app.window_ms(), 300_000);
    assert!(press(&mut app, 'z').is_empty());
    assert_eq!(app.window_ms(), 60_000);
    // Help tells the truth: + starts a worker, zoom is on z.
    let help = app.keymap.help(Mode::Dashboard);
    assert!(help
        .iter()
        .any(|e| e.keys == "+" && e.text == "demo: start a worker"));
    let zoom = help.iter().find(|e| e.text.starts_with("zoom in"));
    assert_eq!(zoom.map(|e| e.keys.as_str()), Some("z ="));
    let up = help.iter().find(|e| e.text == "select the previous row");
    assert_eq!(
        up.map(|e| e.keys.as_str()),
        Some("↑"),
        "k kills in the demo"
    );
}

#[test]
fn cycles_wrap_around() {
    let mut app = demo_app_after(60);
    let mut status = demo_status();
    status.settings.fail_rate = Some(0.30);
    status.concurrency = 16;
    status.settings.work_ms_mean = Some(500.0);
    app.update(Action::DemoStatus(Box::new(status)));
    assert_eq!(demo_op(&mut app, 'f'), DemoOp::SetFailRate(0.0));
    assert_eq!(demo_op(&mut app, 'c'), DemoOp::SetConcurrency(1));
    assert_eq!(demo_op(&mut app, 'w'), DemoOp::SetWorkMs(20.0));
}

#[test]
fn without_the_demo_its_keys_keep_their_dashboard_meaning() {
    let mut app = app_after(5);
    assert!(press(&mut app, '+').is_empty());
    assert_eq!(app.window_ms(), 60_000);
    assert!(press(&mut app, 'a').is_empty());
    assert!(app.chart_all);
    assert!(press(&mut app, ']').is_empty());
}

#[test]
fn a_toggles_the_autoscaler_and_v_the_all_queues_charts() {
    let mut app = demo_app_after(60);
    assert!(press(&mut app, 'a').is_empty());
    assert!(app.demo.as_ref().is_some_and(|d| d.autoscaler.is_some()));
    assert!(!app.chart_all, "a no longer toggles the charts in the demo");
    assert_eq!(
        app.log.latest(1).next().map(|l| l.text.as_str()),
        Some("autoscale on")
    );
    press(&mut app, 'v');
    assert!(app.chart_all);
    press(&mut app, 'a');
    assert!(app.demo.as_ref().is_some_and(|d| d.autoscaler.is_none()));
    let help = app.keymap.help(Mode::Dashboard);
    let all = help
        .iter()
        .find(|e| e.text.starts_with("charts: selected queue"));
    assert_eq!(all.map(|e| e.keys.as_str()), Some("v"));
}

#[test]
fn the_autoscaler_scales_the_growing_demo_queue_and_runs_the_scale_cmd() {
    let mut app = demo_app_after(60);
    app.scale_cmd = ScaleCommand::parse("echo {n}").ok();
    press(&mut app, 'a');
    let mut decisions = Vec::new();
    for n in 60..70 {
        app.update(Action::Tick(T0_MS + n as i64 * 1000));
        let effects = app.update(Action::Source(SourceEvent::Report(Box::new(report(n)))));
        if !effects.is_empty() {
            decisions.push(effects);
        }
    }
    // thumbnails: 1000+ jobs waiting on 2 workers × 4: scale up at once (capped at +4).
    let first = decisions.first().cloned().unwrap_or_default();
    assert_eq!(
        first,
        vec![
            Effect::Demo(DemoOp::ScaleTo { from: 2, to: 6 }),
            Effect::RunScaleCmd { workers: 6 }
        ]
    );
    let demo = app
        .demo
        .as_ref()
        .map(|d| d.markers.clone())
        .unwrap_or_default();
    assert!(demo.iter().any(|m| m.label == "2→6"), "{demo:?}");
    assert!(app
        .log
        .lines
        .iter()
        .any(|l| l.text.starts_with("autoscale 2 → 6 workers")));

    // Read-only: the pool still scales, the command does not run.
    let mut app = demo_app_after(60);
    app.scale_cmd = ScaleCommand::parse("echo {n}").ok();
    app.read_only = true;
    press(&mut app, 'a');
    let effects: Vec<Effect> = (60..70)
        .flat_map(|n| app.update(Action::Source(SourceEvent::Report(Box::new(report(n))))))
        .collect();
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Demo(DemoOp::ScaleTo { .. }))));
    assert!(!effects
        .iter()
        .any(|e| matches!(e, Effect::RunScaleCmd { .. })));
}

#[test]
fn t_and_big_t_halve_and_double_the_target_wait_within_bounds() {
    let mut app = app_after(5);
    // The advisor's keys are the queue view's, where its panel is.
    assert!(press(&mut app, 't').is_empty());
    assert_eq!(app.target_wait_ms, 2_000.0);
    enter(&mut app);
    assert_eq!(app.mode, Mode::Queue);
    press(&mut app, 't');
    assert_eq!(app.target_wait_ms, 1_000.0);
    press(&mut app, 'T');
    press(&mut app, 'T');
    assert_eq!(app.target_wait_ms, 4_000.0);
    for _ in 0..20 {
        press(&mut app, 't');
    }
    assert_eq!(app.target_wait_ms, 10.0);
    assert!(app
        .advisor()
        .is_some_and(|a| a.advice.target_wait_ms == 10.0));
}

#[test]
fn the_advisor_reads_arrivals_service_time_backlog_and_estimates_partial_capacity() {
    let mut app = app_after(30);
    // orders: 3 connections and 1 heartbeat: the capacity is an estimate.
    app.selected = Some(key("orders"));
    let orders = app.advisor().map(|a| a.advice).unwrap_or_default();
    assert!(orders.capacity_estimated);
    assert!((orders.arrival_per_s - 40.0).abs() < 1e-9);
    assert!(orders.service_time_ms > 100.0);
    assert_eq!(orders.backlog, 12 + 29 % 7);
}

#[test]
fn scale_cmd_is_refused_in_read_only_and_without_one() {
    let mut app = app_after(30);
    enter(&mut app);
    assert!(press(&mut app, '!').is_empty());
    assert_eq!(app.mode, Mode::Queue);
    assert!(app
        .log
        .lines
        .iter()
        .any(|l| l.text.contains("no --scale-cmd")));
    app.scale_cmd = ScaleCommand::parse("kubectl scale --replicas={n}").ok();
    app.read_only = true;
    assert!(press(&mut app, '!').is_empty());
    assert_eq!(app.mode, Mode::Queue);
    assert!(app.confirm.is_none());
    assert!(app.log.lines.iter().any(|l| l.text.contains("read-only")));
}

#[test]
fn scale_cmd_asks_first_and_runs_only_on_yes() {
    let mut app = app_after(30);
    app.scale_cmd = ScaleCommand::parse("kubectl scale --replicas={n}").ok();
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::NONE,
    )));
    assert_eq!(app.mode, Mode::Queue);
    let n = app
        .advisor()
        .and_then(|a| a.recommended_workers)
        .unwrap_or(0);
    assert!(n > 0);
    assert!(press(&mut app, '!').is_empty());
    assert_eq!(app.mode, Mode::Confirm);
    let question = app
        .confirm
        .as_ref()
        .map(|c| c.question.clone())
        .unwrap_or_default();
    assert!(
        question.contains(&format!("kubectl scale --replicas={n}")),
        "{question}"
    );
    // Other keys do nothing while asking; `n` cancels.
    assert!(press(&mut app, '+').is_empty());
    assert!(press(&mut app, 'n').is_empty());
    assert_eq!((app.mode, app.confirm.is_none()), (Mode::Queue, true));
    press(&mut app, '!');
    assert_eq!(
        press(&mut app, 'y'),
        vec![Effect::RunScaleCmd { workers: n }]
    );
    assert_eq!(app.mode, Mode::Queue);
    app.update(Action::ScaleCmdDone {
        workers: n,
        result: Ok((Some(0), "scaled".into())),
    });
    let last = app.log.latest(1).next().map(|l| l.text.clone());
    assert_eq!(last, Some(format!("scale-cmd n={n}: exit 0 · scaled")));
}

#[test]
fn the_demo_queue_is_selected_when_it_appears_and_events_are_logged() {
    let app = demo_app_after(60);
    assert_eq!(app.selected, Some(key("thumbnails")));
    let log: Vec<&str> = app.log.lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(
        log,
        vec![
            "worker qtop-h-102 started (pid 102)",
            "rate 60.0 jobs/s",
            "worker qtop-h-101 killed (SIGKILL, pid 101)"
        ]
    );
    let markers = app.demo.as_ref().map(|d| d.markers.len());
    assert_eq!(markers, Some(3));
}

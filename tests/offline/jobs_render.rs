//! The job views from a fixed state and clock (UTC): what the job pane and the schedulers
//! pane draw, and no panic at any size.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use qtop::app::fixtures::app_after;
use qtop::app::{Action, App, Effect, Mode};
use qtop::model::clock::Zone;
use qtop::model::failures::Payload;
use qtop::model::jobs::{Attempts, ChildNode, Children, JobDetail, JobRef};
use qtop::model::schedulers::{Scheduler, SchedulerKind, SchedulerList};
use qtop::source::job_task::{JobAnswer, JobWant};
use qtop::ui::render_to_string;

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn seq(effects: &[Effect]) -> u64 {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::WantJobs(JobWant { seq, .. }) => Some(*seq),
            _ => None,
        })
        .unwrap()
}

fn app(width: u16, height: u16) -> App {
    let mut app = app_after(3);
    app.zone = Zone::Utc;
    app.update(Action::Resize(width, height));
    app
}

fn detail() -> JobDetail {
    let t0 = 1_795_856_400_000;
    JobDetail {
        prefix: "bull".into(),
        queue: "thumbnails".into(),
        id: "42".into(),
        name: Some("render".into()),
        state: "failed".into(),
        timestamp: Some(t0),
        processed_on: Some(t0 + 1_000),
        finished_on: Some(t0 + 2_000),
        attempts: Attempts {
            made: 3,
            started: Some(3),
            stalled: Some(0),
            max: Some(3),
        },
        failed_reason: Some("card declined".into()),
        stacktrace: vec!["Error: card declined\n    at Worker.processor (w.js:1:1)".into()],
        data: Payload::TooLarge { bytes: 5_242_880 },
        children: Some(Children {
            processed: 1,
            nodes: vec![ChildNode {
                job: JobRef {
                    key: "bull:kids:7".into(),
                    queue: "bull:kids".into(),
                    id: "7".into(),
                    name: Some("part".into()),
                    state: "completed".into(),
                },
                dependency: "processed",
                return_value: Some(Payload::Json {
                    text: "{\"ok\":true}".into(),
                }),
                ..ChildNode::default()
            }],
            ..Children::default()
        }),
        ..JobDetail::default()
    }
}

fn job_screen(width: u16, height: u16) -> App {
    let mut app = app(width, height);
    press(&mut app, KeyCode::Char('o'));
    press(&mut app, KeyCode::Char('4'));
    press(&mut app, KeyCode::Char('2'));
    let effects = press(&mut app, KeyCode::Enter);
    app.update(Action::Jobs(JobAnswer::Job {
        seq: seq(&effects),
        detail: Some(Box::new(detail())),
    }));
    app
}

#[test]
fn the_prompt_and_the_job_pane() {
    let mut app = app(100, 30);
    press(&mut app, KeyCode::Char('o'));
    press(&mut app, KeyCode::Char('7'));
    let text = render_to_string(&app, 100, 30);
    assert!(text.contains("job id in bull:thumbnails: 7▏"), "{text}");
    assert!(text.contains("Enter  open"), "{text}");

    let app = job_screen(100, 40);
    let text = render_to_string(&app, 100, 40);
    for expected in [
        "job 42 · bull:thumbnails",
        "state       failed",
        "attempts    3 made of 3, 3 started",
        "reason      card declined",
        "(5242880 bytes: not loaded)",
        "── stack trace 1 of 1",
        "── children (1 processed)",
        "└─ bull:kids:7 (part) completed [processed] → { \"ok\": true }",
    ] {
        assert!(text.contains(expected), "{expected}\n{text}");
    }
    assert_eq!(app.mode, Mode::Job);
}

#[test]
fn the_schedulers_pane() {
    let mut app = app(120, 20);
    let effects = press(&mut app, KeyCode::Char('c'));
    let text = render_to_string(&app, 120, 20);
    assert!(text.contains("reading the job schedulers"), "{text}");
    let now = app.now_ms;
    app.update(Action::Jobs(JobAnswer::Schedulers {
        seq: seq(&effects),
        list: Some(SchedulerList {
            total: 2,
            schedulers: vec![
                Scheduler {
                    id: "every-5s".into(),
                    name: Some("tick".into()),
                    every: Some(5_000),
                    next_run: Some(now + 3_000),
                    iteration_count: Some(12),
                    template_data: Payload::Json {
                        text: "{\"source\": \"every\"}".into(),
                    },
                    ..Scheduler::default()
                },
                Scheduler {
                    id: "nightly".into(),
                    kind: SchedulerKind::Repeatable,
                    name: Some("report".into()),
                    pattern: Some("0 3 * * *".into()),
                    tz: Some("Europe/Paris".into()),
                    next_run: Some(now + 3_600_000),
                    ..Scheduler::default()
                },
            ],
            ..SchedulerList::default()
        }),
    }));
    let text = render_to_string(&app, 120, 20);
    for expected in [
        "job schedulers · bull:thumbnails · 2",
        "every-5s",
        "every 5s",
        "in 3s",
        "{\"source\": \"every\"}",
        "(legacy) nightly",
        "cron 0 3 * * * (Europ",
        "Enter  next job",
    ] {
        assert!(text.contains(expected), "{expected}\n{text}");
    }
}

#[test]
fn every_size_renders_without_panicking() {
    for (w, h) in [(1, 1), (20, 5), (40, 12), (80, 24), (200, 60)] {
        let mut app = job_screen(w, h);
        render_to_string(&app, w, h);
        press(&mut app, KeyCode::End);
        render_to_string(&app, w, h);
        press(&mut app, KeyCode::Esc);
        press(&mut app, KeyCode::Char('c'));
        render_to_string(&app, w, h);
    }
}

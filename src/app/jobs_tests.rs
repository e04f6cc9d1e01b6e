//! The job views without a terminal or Redis: keys → wants, answers → text, navigation.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::super::fixtures::{app_after, key, report};
use super::super::{Action, App, Effect, Mode};
use super::*;
use crate::model::jobs::JobDetail;
use crate::model::schedulers::{Scheduler, SchedulerList};
use crate::source::SourceEvent;

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn type_str(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn want(effects: &[Effect]) -> Option<&JobWant> {
    effects.iter().find_map(|e| match e {
        Effect::WantJobs(want) => Some(want),
        _ => None,
    })
}

fn screen_text(app: &App) -> String {
    let pane = app.jobs.as_ref().and_then(|v| v.job.as_ref());
    pane.map(|p| {
        p.text
            .lines(0, p.text.len())
            .map(|(_, l)| l.clone())
            .collect::<Vec<_>>()
            .join("\n")
    })
    .unwrap_or_default()
}

#[test]
fn o_asks_for_an_id_and_opens_that_job() {
    let mut app = app_after(3);
    let queue = app.selected.clone();
    press(&mut app, KeyCode::Char('o'));
    assert_eq!(app.mode, Mode::JobPrompt);
    // Letters bound elsewhere (q quits, j moves) are part of the id here.
    type_str(&mut app, "qj-42x");
    press(&mut app, KeyCode::Backspace);
    let effects = press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Job);
    let asked = want(&effects).cloned().unwrap_or_default();
    assert_eq!(asked.what, JobWhat::Job("qj-42".into()));
    assert_eq!(asked.queue, queue);
    assert!(screen_text(&app).contains("reading job qj-42"));

    // An answer to an older want is dropped; the current one is shown.
    let detail = JobDetail {
        id: "qj-42".into(),
        name: Some("welcome".into()),
        state: "waiting".into(),
        ..JobDetail::default()
    };
    app.update(Action::Jobs(JobAnswer::Job {
        seq: asked.seq - 1,
        detail: Some(Box::new(detail.clone())),
    }));
    assert!(screen_text(&app).contains("reading"));
    app.update(Action::Jobs(JobAnswer::Job {
        seq: asked.seq,
        detail: Some(Box::new(detail)),
    }));
    assert!(
        screen_text(&app).contains("qj-42 (welcome)"),
        "{}",
        screen_text(&app)
    );

    // Each report reads it again, one read at a time.
    let effects = app.update(Action::Source(SourceEvent::Report(Box::new(report(4)))));
    let again = want(&effects).cloned().unwrap_or_default();
    assert_eq!(again.what, JobWhat::Job("qj-42".into()));
    assert!(again.seq > asked.seq);
    let effects = app.update(Action::Source(SourceEvent::Report(Box::new(report(5)))));
    assert_eq!(want(&effects), None, "a read is still out");
    app.update(Action::Jobs(JobAnswer::Job {
        seq: again.seq,
        detail: None,
    }));
    assert!(screen_text(&app).contains("no job qj-42"));

    let effects = press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Dashboard);
    assert!(app.jobs.is_none());
    assert_eq!(
        want(&effects),
        Some(&JobWant::default()),
        "the reader stops"
    );
}

#[test]
fn an_empty_or_cancelled_prompt_goes_back() {
    let mut app = app_after(3);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Queue);
    press(&mut app, KeyCode::Char('o'));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Queue);
    press(&mut app, KeyCode::Char('o'));
    let effects = press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Queue);
    assert!(app.jobs.is_none());
    assert_eq!(want(&effects), Some(&JobWant::default()));
}

#[test]
fn c_lists_schedulers_and_enter_opens_the_next_job() {
    let mut app = app_after(3);
    let effects = press(&mut app, KeyCode::Char('c'));
    assert_eq!(app.mode, Mode::Schedulers);
    let asked = want(&effects).cloned().unwrap_or_default();
    assert_eq!(asked.what, JobWhat::Schedulers);
    let scheduler = |id: &str, next: i64| Scheduler {
        id: id.into(),
        next_run: Some(next),
        ..Scheduler::default()
    };
    app.update(Action::Jobs(JobAnswer::Schedulers {
        seq: asked.seq,
        list: Some(SchedulerList {
            total: 2,
            schedulers: vec![scheduler("soon", 1_000), scheduler("later", 9_000)],
            ..SchedulerList::default()
        }),
    }));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    let effects = press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Job);
    assert_eq!(
        want(&effects).map(|w| w.what.clone()),
        Some(JobWhat::Job("repeat:later:9000".into()))
    );
    // Esc: back to the schedulers (read again), then out.
    let effects = press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Schedulers);
    assert_eq!(
        want(&effects).map(|w| w.what.clone()),
        Some(JobWhat::Schedulers)
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Dashboard);
}

#[test]
fn errors_are_kept_until_the_next_answer() {
    let mut app = app_after(3);
    let effects = press(&mut app, KeyCode::Char('c'));
    let seq = want(&effects).map_or(0, |w| w.seq);
    app.update(Action::Jobs(JobAnswer::Error {
        seq,
        message: "connection refused".into(),
    }));
    assert_eq!(
        app.jobs.as_ref().and_then(|v| v.error.clone()).as_deref(),
        Some("connection refused")
    );
    assert_eq!(app.selected, Some(key("thumbnails")));
}

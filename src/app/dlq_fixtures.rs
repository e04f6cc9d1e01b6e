//! Dead letters for tests: a fixed failed set of `billing`, and a stand-in for the reader
//! task that answers what the pane wants, so tests drive `App::update` exactly as the
//! runtime does.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixtures::{app_after, key};
use super::{Action, App, Effect};
use crate::model::clock::Zone;
use crate::model::failures::{group_failures, FailedJob, FailedJobDetail, Payload};
use crate::source::bullmq::dlq::FailedPage;
use crate::source::dlq_task::{DlqAnswer, DlqWant};

/// Failed jobs in the fixture's set.
pub const FAILED_TOTAL: u64 = 57;

/// The `n`th newest failed job (0 = newest): ids count down from 1057.
pub fn failed_job(n: u64, now_ms: i64) -> FailedJob {
    let finished = now_ms - 90_000 - n as i64 * 61_000;
    FailedJob {
        id: (1_000 + FAILED_TOTAL - n).to_string(),
        name: if n % 4 == 3 { "refund" } else { "charge" }.to_string(),
        failed_reason: if n % 3 == 2 {
            "timeout after 30000ms".to_string()
        } else {
            format!("card declined for order {}\nmore detail", 1234 + n)
        },
        attempts_made: 3,
        finished_on: Some(finished),
        timestamp: Some(finished - 5_000),
        processed_on: Some(finished - 400),
        description: None,
    }
}

pub fn failed_page(offset: u64, limit: u64, total: u64, now_ms: i64) -> FailedPage {
    FailedPage {
        total,
        offset,
        jobs: (offset..(offset + limit).min(total))
            .map(|n| failed_job(n, now_ms))
            .collect(),
    }
}

/// A job with a huge payload (not loaded) and a stack trace per attempt.
pub fn failed_detail(id: &str, now_ms: i64) -> FailedJobDetail {
    let n = id
        .parse::<u64>()
        .map_or(0, |id| (1_000 + FAILED_TOTAL).saturating_sub(id));
    let trace = |attempt: u32| {
        format!(
            "Error: card declined for order {}\n    at Worker.processor (/srv/billing/worker.js:{}:15)\n    at Worker.processJob (/srv/node_modules/bullmq/dist/cjs/classes/worker.js:455:34)",
            1234 + n,
            10 + attempt
        )
    };
    FailedJobDetail {
        job: failed_job(n, now_ms),
        attempts_started: Some(3),
        stalled_count: Some(0),
        processed_by: Some("w-billing".into()),
        data: Payload::TooLarge { bytes: 5_242_880 },
        opts: Payload::Json {
            text: r#"{"attempts":3,"backoff":{"type":"fixed","delay":10}}"#.into(),
        },
        stacktrace: (1..=3).map(trace).collect(),
        stacktrace_unreadable: false,
        logs: vec!["charging card".into(), "gateway said: declined".into()],
    }
}

/// What the reader task would answer to `want`, from the fixed set of `total` jobs.
pub fn answers(want: &DlqWant, total: u64, now_ms: i64) -> Vec<DlqAnswer> {
    let Some(queue) = want.queue.clone() else {
        return Vec::new();
    };
    let mut out = vec![DlqAnswer::Page {
        seq: want.seq,
        queue: queue.clone(),
        page: failed_page(want.offset, want.limit, total, now_ms),
    }];
    if let Some(id) = &want.detail {
        out.push(DlqAnswer::Detail {
            seq: want.seq,
            queue: queue.clone(),
            detail: Some(Box::new(failed_detail(id, now_ms))),
        });
    }
    if want.groups {
        let jobs: Vec<FailedJob> = (0..total).map(|n| failed_job(n, now_ms)).collect();
        out.push(DlqAnswer::Groups {
            seq: want.seq,
            queue,
            groups: group_failures(&jobs),
            scanned: total,
        });
    }
    out
}

/// Feed the answers to every `WantDeadLetters` in `effects` back into `app`.
pub fn serve(app: &mut App, effects: Vec<Effect>, total: u64) -> Vec<Effect> {
    let mut rest = Vec::new();
    for effect in effects {
        match effect {
            Effect::WantDeadLetters(want) => {
                for answer in answers(&want, total, app.now_ms) {
                    let more = app.update(Action::DeadLetters(answer));
                    rest.extend(serve(app, more, total));
                }
            }
            other => rest.push(other),
        }
    }
    rest
}

pub fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// Press a key and answer what it asks of the reader; returns the other effects.
pub fn press_served(app: &mut App, code: KeyCode) -> Vec<Effect> {
    let effects = press(app, code);
    serve(app, effects, FAILED_TOTAL)
}

/// The dashboard at `width`×`height`, UTC clock, `billing` selected and its dead letters
/// open with the first page read.
pub fn dead_letters_app(width: u16, height: u16) -> App {
    let mut app = app_after(120);
    app.zone = Zone::Utc;
    app.update(Action::Resize(width, height));
    app.selected = Some(key("billing"));
    press_served(&mut app, KeyCode::Char('d'));
    app
}

//! The dashboard's poller leaves out the readings that did not change since its last
//! report: the table drawn from such reports is the table drawn from whole ones, a queue
//! that changed comes alone, and a queue whose keys are gone leaves the table.

use crate::common;

use std::time::Duration;

use common::RedisServer;
use qtop::app::{Action, App};
use qtop::model::{PollReport, QueueKey};
use qtop::source::{Poller, PollerConfig, RedisTarget, SourceEvent};

const T0_MS: i64 = 1_795_856_400_000;

fn poller(redis: &RedisServer, omit_unchanged: bool) -> Poller {
    let target = RedisTarget::parse(&redis.url(), false).unwrap();
    Poller::new(
        target,
        PollerConfig {
            omit_unchanged,
            // Every queue re-read every poll: a manual LPUSH (no event) is seen at once.
            reconcile_every: 1,
            discovery_every: Duration::ZERO,
            ..PollerConfig::default()
        },
    )
}

fn names(report: &PollReport) -> Vec<&str> {
    let mut names: Vec<&str> = report.queues.iter().map(|q| q.key.name.as_str()).collect();
    names.sort_unstable();
    names
}

/// One report into `app` at `t_ms` (both apps see the same clock).
fn feed(app: &mut App, mut report: PollReport, t_ms: i64) {
    report.taken_at_ms = t_ms;
    app.update(Action::Tick(t_ms));
    app.update(Action::Source(SourceEvent::Report(Box::new(report))));
}

/// A poll of each poller, fed to its app; the omitting poller's report is returned after
/// the two tables are checked alike.
async fn round(
    omitting: &mut Poller,
    whole: &mut Poller,
    apps: &mut (App, App),
    t_ms: i64,
) -> PollReport {
    let partial = omitting.poll().await.unwrap();
    let full = whole.poll().await.unwrap();
    assert!(partial.unchanged_omitted);
    assert!(!full.unchanged_omitted && full.gone.is_empty());
    feed(&mut apps.0, partial.clone(), t_ms);
    feed(&mut apps.1, full, t_ms);
    assert_eq!(apps.0.view.rows, apps.1.view.rows, "at {t_ms}");
    assert_eq!(apps.0.visible, apps.1.visible);
    partial
}

#[tokio::test]
async fn unchanged_readings_are_left_out_and_the_table_reads_the_same() {
    let redis = RedisServer::start();
    redis.cmd(&[
        "EVAL",
        "for i = 1, 3 do \
           local q = 'bull:q' .. i .. ':' \
           redis.call('HSET', q .. 'meta', 'version', 'bullmq:6.7.0') \
           redis.call('XADD', q .. 'events', '*', 'event', 'drained') \
           for j = 1, i do redis.call('LPUSH', q .. 'wait', 'w' .. j) end \
         end return 1",
        "0",
    ]);
    let (mut omitting, mut whole) = (poller(&redis, true), poller(&redis, false));
    let new_app = || App::new("redis://x:1", Duration::from_secs(1), T0_MS);
    let mut apps = (new_app(), new_app());
    let mut t = T0_MS;

    // The first report is whole.
    let first = round(&mut omitting, &mut whole, &mut apps, t).await;
    assert_eq!(names(&first), ["q1", "q2", "q3"]);
    assert_eq!(apps.0.view.rows.len(), 3);

    // Nothing changes: within a few polls, none is sent, and the table still lists all.
    let mut quiet = false;
    for _ in 0..5 {
        t += 1000;
        let report = round(&mut omitting, &mut whole, &mut apps, t).await;
        if report.queues.is_empty() {
            quiet = true;
            break;
        }
    }
    assert!(quiet, "an idle queue's reading was sent on every poll");
    assert_eq!(apps.0.view.rows.len(), 3);
    // Rates of unchanged queues read as if every reading had come (0/s, not unknown).
    let q1 = apps
        .0
        .view
        .rows
        .iter()
        .find(|r| r.key().name == "q1")
        .unwrap();
    assert_eq!(q1.rates.added_per_s, Some(0.0));

    // One queue changes: it comes alone, with its new count.
    redis.cmd(&["LPUSH", "bull:q2:wait", "late"]);
    t += 1000;
    let report = round(&mut omitting, &mut whole, &mut apps, t).await;
    assert_eq!(names(&report), ["q2"]);
    let q2 = apps
        .0
        .view
        .rows
        .iter()
        .find(|r| r.key().name == "q2")
        .unwrap();
    assert_eq!(q2.counts().unwrap().waiting, Some(3));

    // A queue's keys go: once discovery has dropped it, the report says it is gone.
    redis.cmd(&["DEL", "bull:q3:meta", "bull:q3:events", "bull:q3:wait"]);
    let listed = |p: &Poller| p.queue_ids().any(|q| q.name == "q3");
    let mut steps = 0;
    while listed(&omitting) || listed(&whole) {
        omitting.discovery_step().await.unwrap();
        whole.discovery_step().await.unwrap();
        steps += 1;
        assert!(steps < 100, "discovery never dropped q3");
    }
    t += 1000;
    let report = round(&mut omitting, &mut whole, &mut apps, t).await;
    assert_eq!(report.gone, [QueueKey::bullmq("bull", "q3")]);
    let left: Vec<&str> = apps
        .0
        .view
        .rows
        .iter()
        .map(|r| r.key().name.as_str())
        .collect();
    assert_eq!(left, ["q1", "q2"]);

    // After a reconnection the next report is whole again.
    omitting.disconnect();
    whole.disconnect();
    t += 1000;
    let report = round(&mut omitting, &mut whole, &mut apps, t).await;
    assert_eq!(names(&report), ["q1", "q2"]);
}

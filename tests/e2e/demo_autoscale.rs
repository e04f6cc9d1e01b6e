//! The autoscaler in the demo, at library level: the real engine (its own redis-server,
//! `qtop worker` processes), the real poller, and the dashboard's `App` without a terminal
//! turning each report into an observation and each decision into `scale_to` on the engine.
//! Producing at three times the pool's capacity, the backlog comes down with a bounded
//! number of scale changes, and the pool never scales up again after scaling down.

use crate::common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{Conn, Resp};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use qtop::app::demo::DemoOp;
use qtop::app::{Action, App, Effect};
use qtop::demo::scale::scale_to;
use qtop::demo::{Demo, DemoConfig, ProducerSettings, WorkDist};
use qtop::model::QueueKey;
use qtop::source::{spawn_poller, PollerConfig, RedisTarget};
use tokio_util::sync::CancellationToken;

fn waiting(conn: &mut Conn) -> i64 {
    match conn.call(&["LLEN", "bull:scaled:wait"]).unwrap() {
        Resp::Int(n) => n,
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autoscaling_drains_the_backlog_without_oscillating() {
    // One worker of concurrency 2 at 100 ms a job: 20 jobs/s; the producer adds 60/s.
    let config = DemoConfig {
        redis_url: None,
        prefix: "bull".into(),
        queue: "scaled".into(),
        initial_workers: 1,
        concurrency: 2,
        lock_duration: Duration::from_secs(4),
        stalled_interval: Duration::from_secs(2),
        settings: ProducerSettings {
            rate_per_s: 60.0,
            work_ms_mean: Some(100.0),
            work_dist: Some(WorkDist::Fixed),
            fail_rate: Some(0.0),
            ..ProducerSettings::default()
        },
        qtop_exe: Some(PathBuf::from(env!("CARGO_BIN_EXE_qtop"))),
    };
    let (demo, mut events) = Demo::start(config).await.unwrap();
    let status = demo.status();
    let socket = status
        .redis_url
        .strip_prefix("unix://")
        .unwrap()
        .to_string();
    let mut conn = Conn::connect(std::path::Path::new(&socket)).unwrap();
    let cancel = CancellationToken::new();
    let target = RedisTarget::parse(&status.redis_url, false).unwrap();
    let poller_config = PollerConfig {
        prefixes: vec!["bull".into()],
        queues: vec!["scaled".into()],
        ..PollerConfig::default()
    };
    let interval = Duration::from_millis(500);
    let (poller, mut source) = spawn_poller(target, poller_config, interval, cancel.clone());

    let mut app = App::new(status.redis_url.clone(), interval, qtop::demo::now_ms());
    app.enable_demo(QueueKey::bullmq("bull", "scaled"));
    app.update(Action::DemoStatus(Box::new(status)));
    let mut status_rx = demo.watch_status();

    // Let a backlog build before turning the autoscaler on.
    let start = Instant::now();
    let mut decisions: Vec<(u32, u32)> = Vec::new();
    let mut peak = 0;
    let mut tail = Vec::new();
    let mut autoscale_on = false;
    while start.elapsed() < Duration::from_secs(50) {
        tokio::select! {
            Some(event) = source.recv() => {
                for effect in app.update(Action::Source(event)) {
                    if let Effect::Demo(DemoOp::ScaleTo { from, to }) = effect {
                        decisions.push((from, to));
                        scale_to(&demo, from, to);
                    }
                }
                let backlog = waiting(&mut conn);
                peak = peak.max(backlog);
                if start.elapsed() > Duration::from_secs(40) {
                    tail.push(backlog);
                }
            }
            Ok(()) = status_rx.changed() => {
                let status = status_rx.borrow_and_update().clone();
                app.update(Action::DemoStatus(Box::new(status)));
            }
            Some(event) = events.recv() => {
                app.update(Action::DemoEvent(event));
            }
        }
        if !autoscale_on && start.elapsed() > Duration::from_secs(4) {
            let key = KeyEvent::new(KeyCode::Char('a'), KeyModifiers::NONE);
            assert!(app.update(Action::Key(key)).is_empty());
            autoscale_on = true;
        }
    }
    cancel.cancel();
    let _ = poller.await;
    let workers = demo.status().workers.len();
    demo.shutdown().await;
    let log: Vec<String> = app.log.lines.iter().map(|l| l.text.clone()).collect();

    assert!(peak >= 60, "no backlog built up (peak {peak})");
    assert!(!decisions.is_empty(), "never scaled: {log:#?}");
    assert!(decisions.len() <= 6, "too many changes: {decisions:?}");
    assert!(
        decisions[0].1 > decisions[0].0,
        "first change scales up: {decisions:?}"
    );
    // No oscillation: once it scales down, it never scales up again.
    let first_down = decisions
        .iter()
        .position(|(from, to)| to < from)
        .unwrap_or(decisions.len());
    assert!(
        decisions[first_down..].iter().all(|(from, to)| to < from),
        "oscillates: {decisions:?}"
    );
    // Enough capacity for 60 jobs/s (20 per worker), and the backlog drained.
    assert!(
        workers >= 3,
        "{workers} workers for 60 jobs/s; {decisions:?}"
    );
    assert!(
        tail.iter().all(|&b| b < 60),
        "backlog did not come down (peak {peak}): {tail:?}; {log:#?}"
    );
    // Every decision is in the event log and on the charts.
    let marked = app.demo.as_ref().map_or(0, |d| {
        d.markers
            .iter()
            .filter(|m| m.kind == qtop::app::demo::MarkerKind::Autoscale)
            .count()
    });
    assert_eq!(marked, decisions.len());
    eprintln!("peak backlog {peak}, decisions {decisions:?}, tail {tail:?}");
}

//! The `Demo` engine end to end, as the UI drives it: its own redis-server, a producer above
//! one worker's capacity (the backlog grows), more workers (it drains), live settings, a
//! kill, and a shutdown that leaves no process behind.

use crate::common;

use std::path::PathBuf;
use std::time::Duration;

use common::{pid_alive, wait_for_async, wait_until_async, Conn, Resp};
use qtop::demo::{
    Demo, DemoConfig, DemoEvent, DemoEventKind, DemoHandle, ProducerSettings, WorkDist,
};
use tokio::sync::mpsc;

fn waiting(conn: &mut Conn) -> i64 {
    match conn.call(&["LLEN", "bull:engine:wait"]).unwrap() {
        Resp::Int(n) => n,
        other => panic!("{other:?}"),
    }
}

/// Waits until `check` holds (`common::wait_for_async`), keeping the events seen meanwhile.
async fn eventually(
    what: &str,
    timeout: Duration,
    events: &mut mpsc::Receiver<DemoEvent>,
    seen: &mut Vec<DemoEvent>,
    mut check: impl FnMut(&[DemoEvent]) -> bool,
) {
    wait_for_async(what, timeout, || {
        while let Ok(event) = events.try_recv() {
            seen.push(event);
        }
        if check(seen) {
            Ok(())
        } else {
            Err(format!("events so far: {seen:#?}"))
        }
    })
    .await;
}

fn count(seen: &[DemoEvent], pred: impl Fn(&DemoEventKind) -> bool) -> usize {
    seen.iter().filter(|e| pred(&e.kind)).count()
}

fn live_worker_pids(handle: &DemoHandle) -> Vec<u32> {
    handle.status().workers.iter().map(|w| w.pid).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backlog_grows_then_drains_and_shutdown_leaves_nothing() {
    let config = DemoConfig {
        redis_url: None,
        prefix: "bull".into(),
        queue: "engine".into(),
        initial_workers: 1,
        concurrency: 1,
        lock_duration: Duration::from_secs(2),
        stalled_interval: Duration::from_secs(1),
        // One worker does 10 jobs/s (100 ms each, one at a time); we add 30/s.
        settings: ProducerSettings {
            rate_per_s: 30.0,
            work_ms_mean: Some(100.0),
            work_dist: Some(WorkDist::Fixed),
            fail_rate: Some(0.0),
            ..ProducerSettings::default()
        },
        qtop_exe: Some(PathBuf::from(env!("CARGO_BIN_EXE_qtop"))),
    };
    let (demo, mut events) = Demo::start(config).await.unwrap();
    let status = demo.status();
    let redis_pid = status
        .redis_pid
        .expect("the demo started its own redis-server");
    let socket = status
        .redis_url
        .strip_prefix("unix://")
        .unwrap()
        .to_string();
    let mut conn = Conn::connect(std::path::Path::new(&socket)).unwrap();
    assert_eq!(status.workers.len(), 1);
    let mut seen = Vec::new();

    eventually(
        "a backlog",
        Duration::from_secs(10),
        &mut events,
        &mut seen,
        |_| waiting(&mut conn) >= 30,
    )
    .await;

    // Scale out: 3 more workers of concurrency 8 (the first keeps concurrency 1).
    demo.set_concurrency(8);
    for _ in 0..3 {
        demo.spawn_worker();
    }
    eventually(
        "4 workers",
        Duration::from_secs(20),
        &mut events,
        &mut seen,
        |_| demo.status().workers.len() == 4,
    )
    .await;
    assert_eq!(
        demo.status()
            .workers
            .iter()
            .map(|w| w.concurrency)
            .collect::<Vec<_>>(),
        vec![1, 8, 8, 8]
    );
    eventually(
        "the backlog to drain",
        Duration::from_secs(20),
        &mut events,
        &mut seen,
        |_| waiting(&mut conn) == 0,
    )
    .await;

    // Live settings reach the status and the event log.
    demo.rate_up();
    demo.toggle_poison();
    demo.burst(50);
    let produced_before = demo.status().produced;
    eventually(
        "settings applied",
        Duration::from_secs(10),
        &mut events,
        &mut seen,
        |_| {
            let s = demo.status();
            s.settings.rate_per_s == 45.0 && s.settings.poison && s.produced >= produced_before + 50
        },
    )
    .await;

    // A kill: the process is gone and reported as ended by a signal.
    demo.kill_worker();
    eventually(
        "a killed worker's exit",
        Duration::from_secs(10),
        &mut events,
        &mut seen,
        |seen| {
            count(seen, |k| {
                matches!(k, DemoEventKind::WorkerExited { code: None, .. })
            }) == 1
        },
    )
    .await;
    assert_eq!(demo.status().workers.len(), 3);

    let pids = live_worker_pids(&demo);
    assert!(pids.iter().all(|pid| pid_alive(*pid)));
    demo.shutdown().await;
    while let Some(event) = events.recv().await {
        seen.push(event);
    }
    for pid in pids.iter().chain([&redis_pid]) {
        assert!(!pid_alive(*pid), "process {pid} outlived the demo");
    }
    let status = demo.status();
    assert!(status.stopped && status.workers.is_empty(), "{status:?}");

    // The first worker's event was sent during `start`, before the others.
    assert_eq!(
        count(&seen, |k| matches!(k, DemoEventKind::WorkerSpawned { .. })),
        4
    );
    assert_eq!(
        count(&seen, |k| matches!(k, DemoEventKind::WorkerKilled { .. })),
        1
    );
    assert_eq!(
        count(
            &seen,
            |k| matches!(k, DemoEventKind::RateChanged { rate } if *rate == 45.0)
        ),
        1
    );
    assert_eq!(
        count(&seen, |k| matches!(k, DemoEventKind::Burst { n: 50 })),
        1
    );
    // The three survivors stopped gracefully.
    assert_eq!(
        count(&seen, |k| matches!(
            k,
            DemoEventKind::WorkerExited { code: Some(0), .. }
        )),
        3
    );
    assert!(count(&seen, |k| matches!(k, DemoEventKind::Produced { .. })) > 3);
    assert!(
        seen.windows(2).all(|w| w[0].at_ms <= w[1].at_ms),
        "timestamps in order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pool_stops_gracefully_kills_and_cleans_up_when_dropped() {
    use qtop::demo::job::WorkDefaults;
    use qtop::demo::{PoolConfig, WorkerPool, WorkerState};

    let redis = common::RedisServer::start();
    let mut pool = WorkerPool::new(PoolConfig {
        exe: PathBuf::from(env!("CARGO_BIN_EXE_qtop")),
        redis_url: redis.url(),
        prefix: "bull".into(),
        queue: "pool".into(),
        concurrency: 2,
        lock_duration: Duration::from_secs(2),
        stalled_interval: Duration::from_secs(1),
        defaults: WorkDefaults {
            work_ms: 10.0,
            work_dist: WorkDist::Fixed,
            fail_rate: 0.0,
        },
    });
    let mut pids = Vec::new();
    for _ in 0..3 {
        let worker = pool.spawn().await.unwrap();
        assert!(worker.name.starts_with("qtop-") && pid_alive(worker.pid));
        pids.push(worker.pid);
    }
    assert_eq!(pool.len(), 3);

    let stopped = pool.stop_one().unwrap();
    assert_eq!(
        (stopped.pid, stopped.state),
        (pids[2], WorkerState::Stopping)
    );
    assert_eq!(pool.len(), 2, "a stopping worker no longer counts");
    let exit = tokio::time::timeout(Duration::from_secs(10), pool.next_exit())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((exit.pid, exit.code), (pids[2], Some(0)), "{exit:?}");

    let killed = pool.kill_one().unwrap();
    assert_eq!(killed.pid, pids[0], "the oldest is killed");
    let exit = tokio::time::timeout(Duration::from_secs(10), pool.next_exit())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((exit.pid, exit.code), (pids[0], None), "{exit:?}");

    // Changing concurrency applies to new workers only.
    pool.set_concurrency(5);
    let newer = pool.spawn().await.unwrap();
    let concurrencies: Vec<u32> = pool.workers().iter().map(|w| w.concurrency).collect();
    assert_eq!(concurrencies, vec![2, 5]);

    // Dropped without a shutdown: the survivors still stop (stdin closes, then SIGKILL).
    drop(pool);
    wait_until_async(
        "the workers to end with their pool",
        Duration::from_secs(10),
        || [pids[1], newer.pid].iter().all(|p| !pid_alive(*p)),
    )
    .await;
}

//! A Redis restart in the middle of the demo: the producer and the workers reconnect, and
//! every job produced is accounted for (completed + failed = produced, give or take the
//! batch of adds in flight when the server went down; nothing stuck).
//! The server keeps an append-only file, as a production Redis for queues would.

use crate::common;

use std::path::PathBuf;
use std::time::Duration;

use common::{wait_for_async, wait_until_async, Conn, RedisServer, Resp};
use qtop::demo::{Demo, DemoConfig, DemoEventKind, ProducerSettings, WorkDist};

/// Deadline for what takes a second or two: generous, only a hang reaches it.
const T: Duration = Duration::from_secs(30);

fn number(conn: &mut Conn, args: &[&str]) -> i64 {
    match conn.call(args) {
        Ok(Resp::Int(n)) => n,
        other => panic!("{args:?}: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_job_is_accounted_for_across_a_redis_restart() {
    let mut redis =
        RedisServer::start_with_args(&["--appendonly", "yes", "--appendfsync", "always"]);
    let config = DemoConfig {
        redis_url: Some(redis.url()),
        prefix: "bull".into(),
        queue: "restart".into(),
        initial_workers: 2,
        concurrency: 4,
        lock_duration: Duration::from_secs(2),
        stalled_interval: Duration::from_secs(1),
        settings: ProducerSettings {
            rate_per_s: 50.0,
            work_ms_mean: Some(20.0),
            work_dist: Some(WorkDist::Fixed),
            fail_rate: Some(0.0),
            ..ProducerSettings::default()
        },
        qtop_exe: Some(PathBuf::from(env!("CARGO_BIN_EXE_qtop"))),
    };
    let (demo, mut events) = Demo::start(config).await.unwrap();
    wait_until_async("jobs to flow before the restart", T, || {
        demo.status().produced > 50
    })
    .await;
    let before = demo.status().produced;
    // Only an error from after the stop counts.
    while events.try_recv().is_ok() {}

    redis.stop();
    // The outage lasts until the producer has felt it (an add failed), however long that is.
    // The failed batch (`adding N jobs`) is the one that may have been applied uncounted.
    let in_flight = wait_for_async("the producer to report the outage", T, || {
        while let Ok(event) = events.try_recv() {
            if let DemoEventKind::Error { message } = &event.kind {
                if message.starts_with("producer") {
                    return Ok(batch_size(message));
                }
            }
        }
        Err(demo.status().produced)
    })
    .await;
    redis.start_again();
    // Production resumes after the restart.
    wait_for_async("production to resume", T, || {
        let produced = demo.status().produced;
        if produced >= before + 100 {
            Ok(())
        } else {
            Err(produced)
        }
    })
    .await;
    demo.set_rate(0.0);

    let mut conn = Conn::connect(&redis.socket_path()).unwrap();
    wait_for_async("every job to finish", Duration::from_secs(60), || {
        let in_system = number(&mut conn, &["LLEN", "bull:restart:wait"])
            + number(&mut conn, &["LLEN", "bull:restart:active"])
            + number(&mut conn, &["ZCARD", "bull:restart:delayed"]);
        if in_system == 0 {
            Ok(())
        } else {
            Err(format!("{in_system} jobs in the system"))
        }
    })
    .await;
    // Read only now: the add in flight when the rate went to 0 has long been counted (its
    // job had to be processed for the queue to drain), and nothing is added after it.
    let produced = demo.status().produced;
    let completed = number(&mut conn, &["ZCARD", "bull:restart:completed"]);
    let failed = number(&mut conn, &["ZCARD", "bull:restart:failed"]);
    // Nothing acknowledged is lost. A batch whose reply died with the server may have been
    // applied all the same (the producer did not count it): at most the one in flight.
    let finished = completed + failed;
    assert!(
        (produced as i64..=produced as i64 + in_flight).contains(&finished),
        "completed {completed} + failed {failed} vs produced {produced}, {in_flight} in flight"
    );
    assert_eq!(
        demo.status().produced,
        produced,
        "production stopped at rate 0"
    );
    demo.shutdown().await;
}

/// The jobs of the failed batch, from `producer: adding N jobs: …`.
fn batch_size(message: &str) -> i64 {
    message
        .split_once("adding ")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no batch size in {message:?}"))
}

//! A Redis restart in the middle of the demo: the producer and the workers reconnect, and
//! every job produced is accounted for (completed + failed = produced, give or take the one
//! add in flight when the server went down; nothing stuck).
//! The server keeps an append-only file, as a production Redis for queues would.

use crate::common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{Conn, RedisServer, Resp};
use qtop::demo::{Demo, DemoConfig, ProducerSettings, WorkDist};

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
    let (demo, _events) = Demo::start(config).await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = demo.status().produced;
    assert!(before > 50, "jobs flowed before the restart: {before}");

    redis.stop();
    tokio::time::sleep(Duration::from_secs(2)).await;
    redis.start_again();
    // Production resumes after the restart.
    let deadline = Instant::now() + Duration::from_secs(30);
    while demo.status().produced < before + 100 {
        assert!(
            Instant::now() < deadline,
            "production did not resume: {}",
            demo.status().produced
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    demo.set_rate(0.0);
    let produced = {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        demo.status().produced
    };

    let mut conn = Conn::connect(&redis.socket_path()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let in_system = number(&mut conn, &["LLEN", "bull:restart:wait"])
            + number(&mut conn, &["LLEN", "bull:restart:active"])
            + number(&mut conn, &["ZCARD", "bull:restart:delayed"]);
        if in_system == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{in_system} jobs never finished");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let completed = number(&mut conn, &["ZCARD", "bull:restart:completed"]);
    let failed = number(&mut conn, &["ZCARD", "bull:restart:failed"]);
    // Nothing acknowledged is lost. An add whose reply died with the server may have been
    // applied all the same (the producer did not count it): at most the one in flight.
    let finished = completed + failed;
    assert!(
        (produced as i64..=produced as i64 + 1).contains(&finished),
        "completed {completed} + failed {failed} vs produced {produced}"
    );
    demo.shutdown().await;
}

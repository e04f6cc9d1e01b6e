//! `qtop produce` and `qtop worker` as real processes on a private redis-server: a queue is
//! drained completely, failures retry and land in `failed` with a stack trace, heartbeats
//! appear and go, and SIGKILLed workers lose no job (stalled recovery + idempotency).

use crate::common;

use std::time::{Duration, Instant};

use common::demo::{counts, heartbeat, qtop_run, stat, wait_finished, QtopProcess};
use common::{assert_holds, pid_alive, wait_for, RedisServer, Resp};
use qtop::model::Heartbeat;

const EXIT_TIMEOUT: Duration = Duration::from_secs(15);

#[test]
fn qtop_workers_drain_what_qtop_produce_added() {
    let redis = RedisServer::start();
    let out = qtop_run(
        &redis,
        &[
            "--queue",
            "drain",
            "produce",
            "--count",
            "1500",
            "--work-ms",
            "2",
            "--fail-rate",
            "0.3",
            "--backoff-ms",
            "20",
        ],
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("added 1500 jobs to bull:drain"),
        "{out:?}"
    );
    assert_eq!(counts(&redis, "drain").waiting, 1500);

    let flags = ["--concurrency", "4"];
    let mut workers: Vec<QtopProcess> = (0..3)
        .map(|_| QtopProcess::worker(&redis, "drain", &flags))
        .collect();
    let end = wait_finished(&redis, "drain", 1500, Duration::from_secs(40));
    assert_eq!((end.waiting, end.active, end.delayed), (0, 0, 0), "{end:?}");
    assert_eq!(end.finished(), 1500);
    // 0.3³ of 1500 ≈ 40 exhaust their 3 attempts; the rest complete.
    assert!(end.failed > 5 && end.failed < 120, "{end:?}");

    // Each live worker beats: indexed, parseable, named qtop-<host>-<pid>.
    let index = redis.cmd_resp(&["ZRANGE", "bull:drain:qtop:workers", "0", "-1"]);
    let Resp::Array(names) = index else {
        panic!("{index:?}")
    };
    assert_eq!(names.len(), 3, "{names:?}");
    for worker in &workers {
        let name = format!("qtop-{}-{}", qtop::demo::worker::host_name(), worker.pid());
        let text = redis.cmd(&["GET", &format!("bull:drain:qtop:hb:{name}")]);
        let beat = Heartbeat::parse(&text).unwrap_or_else(|| panic!("heartbeat {text:?}"));
        assert_eq!(
            (beat.pid, beat.concurrency, beat.beat_ms),
            (worker.pid(), 4, 1000)
        );
    }

    // A job that exhausted its attempts: one trace entry per attempt, and the reason.
    let failed_id = redis.cmd(&["ZRANGE", "bull:drain:failed", "0", "0"]);
    let job = format!("bull:drain:{failed_id}");
    assert_eq!(
        redis.cmd(&["HGET", &job, "failedReason"]),
        "simulated failure (fail rate 0.3)"
    );
    let trace: Vec<String> =
        serde_json::from_str(&redis.cmd(&["HGET", &job, "stacktrace"])).unwrap();
    assert_eq!(trace.len(), 3, "{trace:?}");
    assert!(trace
        .iter()
        .all(|t| t.starts_with("Error: simulated failure")));
    assert_eq!(redis.cmd(&["HGET", &job, "atm"]), "3");

    // Graceful stop: exit 0 with a summary, and the heartbeats are gone at once.
    let mut done = 0;
    for worker in &mut workers {
        assert!(worker.stop(EXIT_TIMEOUT).success(), "{}", worker.stderr());
        let summary = worker.wait_for_line("STOPPED ", EXIT_TIMEOUT);
        let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
        done += summary["done"].as_u64().unwrap();
    }
    assert_eq!(done as i64, end.completed, "workers' own completed counts");
    assert_eq!(redis.cmd(&["EXISTS", "bull:drain:qtop:workers"]), "0");
    assert_eq!(stat(&redis, "drain", "duplicates_suppressed"), 0);
}

#[test]
fn killed_workers_lose_no_job_and_redeliveries_are_suppressed() {
    let redis = RedisServer::start();
    let queue = "crash";
    // 2 s locks, 1 s stalled checks: a dead worker's jobs come back within ~4 s.
    // Fixed 200 ms jobs whose side effect commits at 100 ms: a kill catches some jobs after
    // the commit, and their redelivery must be recognised as a duplicate.
    let flags = [
        "--concurrency",
        "8",
        "--work-ms",
        "200",
        "--work-dist",
        "fixed",
        "--lock-duration",
        "2s",
        "--stalled-interval",
        "1s",
    ];
    let mut producer = QtopProcess::spawn(
        &redis,
        &[
            "--queue",
            queue,
            "produce",
            "--rate",
            "80",
            "--duration",
            "8s",
        ],
    );
    let mut workers: Vec<QtopProcess> = (0..3)
        .map(|_| QtopProcess::worker(&redis, queue, &flags))
        .collect();
    let mut killed = Vec::new();
    let mut completed_at_last_kill = 0;
    for _ in 0..4 {
        // Kill the oldest worker while it holds jobs, once the pool has made progress since
        // the last kill (80 jobs: a second of production), so the kills spread over the run.
        let victim_name = workers[0].name.clone().expect("a worker's name");
        wait_for(
            "the next victim to hold jobs after progress",
            Duration::from_secs(30),
            || {
                let completed = counts(&redis, queue).completed;
                let holding = heartbeat(&redis, queue, &victim_name).map(|b| b.current.len());
                if completed >= completed_at_last_kill + 80 && holding.unwrap_or(0) > 0 {
                    Ok(())
                } else {
                    Err((completed, holding))
                }
            },
        );
        completed_at_last_kill = counts(&redis, queue).completed;
        let mut victim = workers.remove(0);
        victim.kill();
        killed.push(victim.pid());
        workers.push(QtopProcess::worker(&redis, queue, &flags));
    }
    let added = producer.wait_for_line("added ", Duration::from_secs(20));
    assert!(added.starts_with("640 jobs"), "{added}");
    assert!(producer.wait_exit(EXIT_TIMEOUT).success());

    let started = Instant::now();
    let end = wait_finished(&redis, queue, 640, Duration::from_secs(30));
    assert_eq!((end.waiting, end.active, end.delayed), (0, 0, 0), "{end:?}");
    assert!(killed.iter().all(|pid| !pid_alive(*pid)));
    let duplicates = stat(&redis, queue, "duplicates_suppressed");
    assert!(duplicates > 0, "no redelivered job was recognised as done");
    eprintln!(
        "recovered in {:?} after production ended: {end:?}, {duplicates} duplicates suppressed",
        started.elapsed()
    );
    // Nothing stays stuck: still nothing active over a stalled interval and more.
    assert_holds("nothing active", Duration::from_millis(1200), || {
        counts(&redis, queue).active == 0
    });
    for worker in &mut workers {
        assert!(worker.stop(EXIT_TIMEOUT).success(), "{}", worker.stderr());
    }
}

#[test]
fn a_worker_stops_when_its_stdin_closes_and_fails_fast_without_redis() {
    let redis = RedisServer::start();
    let mut worker = QtopProcess::worker(&redis, "lifeline", &[]);
    worker.close_stdin();
    assert!(
        worker.wait_exit(EXIT_TIMEOUT).success(),
        "{}",
        worker.stderr()
    );

    let started = Instant::now();
    let out = std::process::Command::new(common::demo::QTOP)
        .args([
            "--redis",
            "unix:///nonexistent/redis.sock",
            "--queue",
            "q",
            "worker",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot connect to Redis"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );

    let out = std::process::Command::new(common::demo::QTOP)
        .args(["--redis", &redis.url(), "worker"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("needs a queue: pass --queue NAME"),
        "{stderr}"
    );
}

#[test]
fn a_graceful_stop_finishes_the_jobs_in_hand_on_stop_or_sigterm() {
    let redis = RedisServer::start();
    let flags = [
        "--concurrency",
        "2",
        "--work-ms",
        "800",
        "--work-dist",
        "fixed",
    ];
    for how in ["stop line", "SIGTERM"] {
        let queue = if how == "SIGTERM" { "term" } else { "stopline" };
        let mut worker = QtopProcess::worker(&redis, queue, &flags);
        qtop_run(&redis, &["--queue", queue, "produce", "--count", "2"]);
        common::wait_until("2 active jobs", Duration::from_secs(5), || {
            counts(&redis, queue).active == 2
        });
        let asked = Instant::now();
        let status = if how == "SIGTERM" {
            common::signal("TERM", worker.pid());
            worker.wait_exit(EXIT_TIMEOUT)
        } else {
            worker.stop(EXIT_TIMEOUT)
        };
        assert!(status.success(), "{how}: {status} {}", worker.stderr());
        let end = counts(&redis, queue);
        assert_eq!((end.completed, end.active), (2, 0), "{how}: {end:?}");
        assert!(
            asked.elapsed() < Duration::from_secs(5),
            "{how}: {:?}",
            asked.elapsed()
        );
    }
}

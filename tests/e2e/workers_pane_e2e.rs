//! Worker controls from the workers pane of the real `qtop` binary in a real terminal
//! (tmux), on a real `sidekiq` process (Debian's ruby-sidekiq) and a private redis-server:
//! `Q` + `y` makes the process quiet (Sidekiq's own API agrees, the pane says `quiet`),
//! `K` + `y` makes it exit; under `--read-only` the same keys change nothing and say why.

use crate::common;

use std::time::Duration;

use common::sidekiq::{inspect, Sidekiq};
use common::{qtop_in_tmux, wait_until, RedisServer, Tmux};

const LONG: Duration = Duration::from_secs(30);

/// qtop in tmux with the workers pane focused on the Sidekiq process (the only worker).
fn on_the_sidekiq_process(redis: &RedisServer, extra: &[&str]) -> Tmux {
    let tmux = Tmux::start(160, 48, &qtop_in_tmux(&redis.url(), extra));
    tmux.wait_for("the sidekiq process in the workers pane", |s| {
        s.contains(" sidekiq ") && s.contains("default")
    });
    tmux.send(&["Tab"]);
    tmux
}

fn quiet_flag(redis: &RedisServer) -> String {
    inspect(redis, "")["processes"][0]["quiet"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn quiet_then_stop_a_real_sidekiq_process_from_the_pane() {
    let redis = RedisServer::start();
    let mut worker = Sidekiq::start(&redis, "", &["default"], 2);
    wait_until("the process's first heartbeat", LONG, || {
        inspect(&redis, "")["processes"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
    });
    let tmux = on_the_sidekiq_process(&redis, &[]);

    tmux.send(&["Q"]);
    let question = tmux.wait_for("the question", |s| {
        s.contains("Quiet sidekiq worker") && s.contains("y/N")
    });
    assert!(
        question.contains(&format!("pid {}", worker.pid())),
        "{question}"
    );
    // Nothing is sent before the answer.
    assert_eq!(quiet_flag(&redis), "false");
    tmux.send(&["y"]);
    tmux.wait_for("the outcome in the status line", |s| {
        s.lines()
            .last()
            .is_some_and(|l| l.contains("TSTP queued for"))
    });
    wait_until("Sidekiq's own quiet flag", LONG, || {
        quiet_flag(&redis) == "true"
    });
    tmux.wait_for("the pane to say quiet", |s| {
        s.lines()
            .any(|l| l.contains(" sidekiq ") && l.contains(" quiet "))
    });

    tmux.send(&["K"]);
    tmux.wait_for("the question", |s| {
        s.contains("Stop sidekiq worker") && s.contains("y/N")
    });
    tmux.send(&["y"]);
    assert!(worker.wait_exit(LONG).success(), "{}", worker.stderr());
    tmux.wait_for("the pane to show it gone", |s| {
        s.lines()
            .any(|l| l.contains(" sidekiq ") && l.contains(" gone "))
    });
    tmux.send(&["q"]);
    let after = tmux.wait_for("qtop to exit", |s| s.contains("QTOP_EXIT="));
    assert!(after.contains("QTOP_EXIT=0"), "{after}");
}

#[test]
fn read_only_refuses_the_controls_and_the_process_stays_as_it_was() {
    let redis = RedisServer::start();
    let _worker = Sidekiq::start(&redis, "", &["default"], 2);
    wait_until("the process's first heartbeat", LONG, || {
        inspect(&redis, "")["processes"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
    });
    let tmux = on_the_sidekiq_process(&redis, &["--read-only"]);
    tmux.send(&["Q"]);
    let screen = tmux.wait_for("the refusal", |s| {
        s.lines()
            .last()
            .is_some_and(|l| l.contains("read-only: quiet is disabled"))
    });
    assert!(!screen.contains("y/N"), "{screen}");
    // A heartbeat later (Sidekiq 6: every 5 s) it is still not quiet.
    let beat = |redis: &RedisServer| inspect(redis, "")["processes"][0]["beat"].to_string();
    let first = beat(&redis);
    wait_until("a heartbeat after the refusal", LONG, || {
        beat(&redis) != first
    });
    assert_eq!(quiet_flag(&redis), "false");
}

fn zcard(redis: &RedisServer, key: &str) -> u64 {
    redis.cmd(&["ZCARD", key]).parse().unwrap_or(0)
}

/// A real `rq worker` (RQ 2.12 from PyPI, in the tests' virtualenv): `J` + `y` stops the
/// job it runs (RQ's stop-job command: the job lands in the failed registry, the worker
/// goes on), `K` + `y` shuts it down; `Q` is not RQ's and says so.
#[test]
fn stop_the_job_then_the_worker_of_a_real_rq_worker_from_the_pane() {
    use common::rq::{enqueue, RqWorker};
    let redis = RedisServer::start();
    let url = redis.url();
    let mut worker = RqWorker::start(&url, "stopper", &["long"], &[]);
    let job = enqueue(&url, "long", "tasks.slow", &["600"], &[]);
    wait_until("the job to start", LONG, || {
        zcard(&redis, "rq:wip:long") == 1
    });
    let tmux = Tmux::start(160, 48, &qtop_in_tmux(&url, &[]));
    tmux.wait_for("the RQ worker busy in the workers pane", |s| {
        s.lines()
            .any(|l| l.contains("stopper") && l.contains(" busy ") && l.contains("1/1"))
    });
    tmux.send(&["Tab"]);

    tmux.send(&["Q"]);
    tmux.wait_for("the refusal", |s| {
        s.lines()
            .last()
            .is_some_and(|l| l.contains("rq workers cannot be asked to quiet"))
    });

    tmux.send(&["J"]);
    let question = tmux.wait_for("the question", |s| {
        s.contains("Stop the job of rq worker stopper") && s.contains("y/N")
    });
    assert!(question.contains(&format!("job {}", job[0])), "{question}");
    tmux.send(&["y"]);
    wait_until("the stopped job in the failed registry", LONG, || {
        zcard(&redis, "rq:failed:long") == 1
    });
    assert!(
        worker.exited().is_none(),
        "stop-job leaves the worker running"
    );

    tmux.send(&["K"]);
    tmux.wait_for("the question", |s| {
        s.contains("Stop rq worker stopper") && s.contains("y/N")
    });
    tmux.send(&["y"]);
    let status = worker.wait_exit(LONG);
    assert!(status.success(), "{status:?}: {}", worker.log());
    tmux.wait_for("the outcome in the status line", |s| {
        s.lines()
            .last()
            .is_some_and(|l| l.contains("shutdown sent to RQ worker stopper"))
    });
}

//! The job views of the real `qtop` binary in a real pseudo-terminal (tmux), against a
//! private redis-server filled by real BullMQ (`tests/node/jobs.js`): `o` + an id shows the
//! job as `getState()` says and follows it when it moves; `c` lists the job schedulers and
//! Enter opens a scheduler's next job.

use crate::common;

use std::time::Duration;

use common::{qtop_in_tmux, NodeScript, RedisServer, Tmux};

const T: Duration = Duration::from_secs(60);

/// Select `queue` by filtering the table down to it (Esc first clears an earlier filter).
fn select(tmux: &Tmux, queue: &str) {
    tmux.send(&["Escape"]);
    tmux.wait_for("the queues table", |s| s.contains(&format!("│{queue} ")));
    tmux.send(&["/"]);
    for c in queue.chars() {
        tmux.send(&[&c.to_string()]);
    }
    tmux.send(&["Enter"]);
}

#[test]
fn a_job_opened_by_id_follows_its_state_and_schedulers_open_their_next_job() {
    let redis = RedisServer::start();
    let mut fixture = NodeScript::new("jobs.js")
        .args(["--redis", &redis.url()])
        .spawn();
    let truth = fixture.wait_for_json("READY", T);
    let active = truth["jobs"]
        .as_object()
        .unwrap()
        .values()
        .find(|j| j["state"] == "active")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let tmux = Tmux::start(120, 40, &qtop_in_tmux(&redis.url(), &[]));
    select(&tmux, "jobs");
    tmux.send(&["o"]);
    tmux.wait_for("the id prompt", |s| s.contains("job id in bull:jobs:"));
    tmux.send(&[&active, "Enter"]);
    let screen = tmux.wait_for("the active job", |s| {
        s.contains(&format!("job {active} · bull:jobs")) && s.contains("state       active")
    });
    assert!(screen.contains("lock        "), "{screen}");
    assert!(screen.contains("worker      w-jobs"), "{screen}");

    // The fixture releases the job: the open view follows it to completed.
    fixture.close_stdin();
    tmux.wait_for("the job completed", |s| {
        s.contains("state       completed") && s.contains("── return value")
    });
    assert!(fixture.wait_exit(T).success());

    tmux.send(&["Escape"]);
    select(&tmux, "sched");
    tmux.send(&["c"]);
    let screen = tmux.wait_for("the schedulers", |s| {
        s.contains("job schedulers · bull:sched · 3") && s.contains("every-5s")
    });
    assert!(screen.contains("cron 0 3 * * *"), "{screen}");
    // The soonest first: Enter opens its next job, which BullMQ named after it.
    tmux.send(&["Enter"]);
    let screen = tmux.wait_for("the scheduler's next job", |s| {
        s.contains("job repeat:") && s.contains("scheduler   ")
    });
    assert!(screen.contains("state       "), "{screen}");
    tmux.send(&["Escape"]);
    tmux.wait_for("the schedulers again", |s| {
        s.contains("job schedulers · bull:sched")
    });
}

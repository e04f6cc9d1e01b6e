//! Defect 2 of bullmq-official 1.4.4 (shared/bullmq-official-notes.md), shown with the real
//! crate on a private redis-server, and qtop's workaround: a panicking processor wedges its
//! job in `active` for good, unless `isolated` catches the panic and fails the job.

use crate::common;

use std::time::Duration;

use bullmq::options::RedisConnectionOptions;
use bullmq::{Job, Queue, QueueOptions, Worker, WorkerOptions};
use common::{assert_holds_async, wait_until_async, RedisServer};
use qtop::demo::processor::isolated;

async fn queue_with_one_job(redis: &RedisServer, name: &str) -> Queue {
    let options = QueueOptions::new().connection(RedisConnectionOptions::new().url(redis.url()));
    let queue = Queue::with_options(name, options).await.unwrap();
    queue
        .add("boom", serde_json::json!({}))
        .attempts(1)
        .await
        .unwrap();
    queue
}

fn worker_options(redis: &RedisServer) -> WorkerOptions {
    // Short locks and checks: a stalled job would be recovered within ~2 s.
    WorkerOptions::new()
        .connection(RedisConnectionOptions::new().url(redis.url()))
        .lock_duration(Duration::from_secs(1))
        .stalled_interval(Duration::from_millis(500))
        .drain_delay(Duration::from_secs(1))
}

fn panicking_body() -> Result<serde_json::Value, String> {
    if std::hint::black_box(true) {
        panic!("bug in a processor (expected by this test)");
    }
    Ok(serde_json::Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_processor_wedges_its_job_unless_isolated() {
    let redis = RedisServer::start();

    // The defect: the job stays active, its lock renewed, long after stalled recovery
    // would have acted on a dead worker.
    let _queue = queue_with_one_job(&redis, "wedged").await;
    let worker = Worker::with_options(
        "wedged",
        |_job: Job, _cancel| async move { panicking_body().map_err(bullmq::Error::ProcessingError) },
        worker_options(&redis),
    )
    .await
    .unwrap();
    wait_until_async("the job to be taken", Duration::from_secs(10), || {
        redis.cmd(&["LLEN", "bull:wedged:active"]) == "1"
    })
    .await;
    // Four lock durations, eight stalled checks: what must not happen (the job failing or
    // coming back) would have happened by then; the job stays active, its lock alive.
    assert_holds_async("the wedged job", Duration::from_secs(4), || {
        redis.cmd(&["LLEN", "bull:wedged:active"]) == "1"
            && redis.cmd(&["EXISTS", "bull:wedged:1:lock"]) == "1"
            && redis.cmd(&["ZCARD", "bull:wedged:failed"]) == "0"
    })
    .await;
    drop(worker);

    // The workaround: the panic becomes an ordinary failure.
    let _queue = queue_with_one_job(&redis, "isolated").await;
    let _worker = Worker::with_options(
        "isolated",
        |_job: Job, _cancel| async move {
            isolated(async { panicking_body() })
                .await
                .map_err(bullmq::Error::ProcessingError)
        },
        worker_options(&redis),
    )
    .await
    .unwrap();
    common::wait_until("the job to fail", Duration::from_secs(10), || {
        redis.cmd(&["ZCARD", "bull:isolated:failed"]) == "1"
    });
    assert_eq!(redis.cmd(&["LLEN", "bull:isolated:active"]), "0");
    let reason = redis.cmd(&["HGET", "bull:isolated:1", "failedReason"]);
    assert!(reason.starts_with("processor panicked"), "{reason}");
}

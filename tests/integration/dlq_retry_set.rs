//! The dashboard's dead-letter machinery on Sidekiq's retry set (its second view, `v` in the
//! pane), against a real `sidekiq` process: the background reader serves the retry set when
//! asked for it (and the dead set otherwise), and the pane's actions act on the set they
//! were asked for: a delete from the retry set removes exactly that job, read-only refuses.

use crate::common;

use std::time::Duration;

use common::sidekiq::{inspect, push, Sidekiq};
use common::{wait_until, RedisServer};
use qtop::actions::dlq_op::{self, DlqOp, DlqRequest, DlqResult, DlqScope};
use qtop::model::{QueueKey, System};
use qtop::source::dead_letters::DlqSet;
use qtop::source::dlq_task::{spawn_dlq_reader, DlqAnswer, DlqWant};
use qtop::source::RedisTarget;

const LONG: Duration = Duration::from_secs(60);

async fn next(answers: &mut tokio::sync::mpsc::Receiver<DlqAnswer>) -> DlqAnswer {
    tokio::time::timeout(Duration::from_secs(10), answers.recv())
        .await
        .unwrap()
        .unwrap()
}

fn count(redis: &RedisServer, set: &str) -> u64 {
    inspect(redis, "")[set]["default"].as_u64().unwrap_or(0)
}

#[test]
fn the_pane_reads_and_acts_on_sidekiq_s_retry_set() {
    let redis = RedisServer::start();
    let _worker = Sidekiq::start(&redis, "", &["default"], 2);
    let retrying = push(&redis, "", "RetryJob", "default", 2, r#"["r$i"]"#);
    let dead = push(&redis, "", "DeadJob", "default", 1, r#"["d"]"#);
    wait_until("two retries and a dead job", LONG, || {
        count(&redis, "retry") == 2 && count(&redis, "dead") == 1
    });
    let target = RedisTarget::parse(&redis.url(), false).unwrap();
    let queue = QueueKey::new(System::Sidekiq, "", "default");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let cancel = tokio_util::sync::CancellationToken::new();
        let (task, want, mut answers) = spawn_dlq_reader(target.clone(), cancel.clone());
        let page = |seq: u64, set: DlqSet| DlqWant {
            seq,
            queue: Some(queue.clone()),
            offset: 0,
            limit: 10,
            set,
            ..DlqWant::default()
        };
        want.send_replace(page(1, DlqSet::Retry));
        let DlqAnswer::Page {
            seq, page: read, ..
        } = next(&mut answers).await
        else {
            panic!("a page")
        };
        assert_eq!((seq, read.total), (1, 2));
        let mut ids: Vec<String> = read.jobs.iter().map(|j| j.id.clone()).collect();
        ids.sort();
        let mut want_ids = retrying.clone();
        want_ids.sort();
        assert_eq!(ids, want_ids);
        // The same queue's dead set: the reader reopens for it.
        want.send_replace(page(2, DlqSet::Dead));
        let DlqAnswer::Page {
            seq, page: read, ..
        } = next(&mut answers).await
        else {
            panic!("a page")
        };
        assert_eq!((seq, read.total), (2, 1));
        assert_eq!(read.jobs[0].id, dead[0]);
        cancel.cancel();
        let _ = task.await;

        let delete = DlqRequest {
            queue: queue.clone(),
            op: DlqOp::Delete(DlqScope::Jobs(vec![retrying[0].clone()])),
            set: DlqSet::Retry,
        };
        let refused = dlq_op::run(target.clone(), true, delete.clone()).await;
        assert!(
            refused
                .result
                .as_ref()
                .is_err_and(|e| e.contains("read-only")),
            "{refused:?}"
        );
        let done = dlq_op::run(target.clone(), false, delete).await;
        let Ok(DlqResult::Changed(outcome)) = done.result else {
            panic!("{done:?}")
        };
        assert_eq!((outcome.requested, outcome.done), (1, 1));
    });
    // Exactly that job left the retry set; the dead set is untouched.
    assert_eq!(count(&redis, "retry"), 1);
    assert_eq!(count(&redis, "dead"), 1);
}

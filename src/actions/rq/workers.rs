//! Remote control of RQ workers as `rq.command` does it: a JSON command PUBLISHed on the
//! worker's channel `rq:pubsub:<name>`, which every `rq worker` subscribes to. Commands are
//! fire-and-forget: PUBLISH answers how many subscribers heard it, and 0 means nobody did
//! (the worker is gone, or not an RQ worker listening for commands), which qtop reports
//! as a failure.

use anyhow::{bail, Context};
use redis::aio::MultiplexedConnection;

use super::connect;
use crate::actions::workers::ControlOutcome;
use crate::actions::Writer;
use crate::model::{System, WorkerControl, WorkerInfo};
use crate::source::rq::keys;

/// `json.dumps({"command": …, …})` as Python writes it.
fn payload(command: &str, job_id: Option<&str>) -> String {
    let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
    match job_id {
        Some(id) => format!(
            "{{\"command\": {}, \"job_id\": {}}}",
            quote(command),
            quote(id)
        ),
        None => format!("{{\"command\": {}}}", quote(command)),
    }
}

async fn publish(
    conn: &mut MultiplexedConnection,
    worker: &str,
    message: &str,
) -> anyhow::Result<u64> {
    let heard: i64 = redis::cmd("PUBLISH")
        .arg(keys::pubsub(worker))
        .arg(message)
        .query_async(conn)
        .await?;
    Ok(heard.max(0) as u64)
}

fn nobody(worker: &str, what: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{what} reached nobody: no process listens on {} (the worker is gone, or exited \
         meanwhile); nothing was changed",
        keys::pubsub(worker)
    )
}

/// Send `control` to the RQ worker `worker`.
pub async fn control(
    writer: &Writer,
    worker: &WorkerInfo,
    control: WorkerControl,
) -> anyhow::Result<ControlOutcome> {
    let name = worker.name.as_str();
    let mut conn = connect(writer).await?;
    let message = match control {
        // `send_shutdown_command`: a warm shutdown (the current job finishes first).
        WorkerControl::Stop => {
            let heard = publish(&mut conn, name, &payload("shutdown", None)).await?;
            if heard == 0 {
                return Err(nobody(name, "the shutdown command"));
            }
            tracing::info!(worker = name, heard, "RQ shutdown command sent");
            format!(
                "shutdown sent to RQ worker {name} ({heard} listener{}): it finishes its \
                 current job, if any, then exits",
                if heard == 1 { "" } else { "s" }
            )
        }
        // `send_stop_job_command` for the job the worker runs now.
        WorkerControl::StopJob => {
            let current: Option<String> = redis::cmd("HGET")
                .arg(keys::worker(name))
                .arg("current_job")
                .query_async(&mut conn)
                .await?;
            let Some(job) = current.filter(|j| !j.is_empty()) else {
                bail!("RQ worker {name} is running no job now: nothing to stop");
            };
            // As RQ: the job names the worker that runs it.
            let runner: Option<String> = redis::cmd("HGET")
                .arg(keys::job(&job))
                .arg("worker_name")
                .query_async(&mut conn)
                .await?;
            let runner = runner
                .filter(|w| !w.is_empty())
                .with_context(|| format!("job {job} has no worker: it is not running"))?;
            let heard = publish(&mut conn, &runner, &payload("stop-job", Some(&job))).await?;
            if heard == 0 {
                return Err(nobody(&runner, "the stop-job command"));
            }
            tracing::info!(worker = %runner, job = %job, "RQ stop-job command sent");
            format!(
                "stop-job sent for job {job} on RQ worker {runner}: its work horse is killed \
                 and the job goes to the failed registry (status stopped); the worker goes on"
            )
        }
        other => bail!("RQ workers cannot be asked to {}", other.name()),
    };
    Ok(ControlOutcome {
        worker: name.to_string(),
        system: System::Rq,
        control,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_what_python_json_dumps_writes() {
        assert_eq!(payload("shutdown", None), r#"{"command": "shutdown"}"#);
        assert_eq!(
            payload("stop-job", Some("abc-1")),
            r#"{"command": "stop-job", "job_id": "abc-1"}"#
        );
    }
}

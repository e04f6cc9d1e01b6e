//! Celery's remote control over the pidbox: one PUBLISH on `/<db>.celery.pidbox` of kombu's
//! envelope around `{"method", "arguments", "destination", "ticket", "reply_to", …}`, as
//! `celery control` sends it. For grow and shrink qtop waits for the worker's reply the way
//! kombu's client does, on a private reply list it binds for the occasion and removes
//! after: the binding member, a BRPOP on the list, then SREM and DEL. `shutdown` gets no
//! reply (as with `celery control shutdown`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use base64::Engine;
use redis::aio::MultiplexedConnection;
use serde_json::{json, Value as Json};

use crate::actions::workers::ControlOutcome;
use crate::actions::Writer;
use crate::model::{System, WorkerControl, WorkerInfo};
use crate::source::celery::keys;
use crate::source::celery::message::parse_envelope;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a worker has to act on the message (its `expires` header) and to reply.
const REPLY_TIMEOUT: Duration = Duration::from_secs(3);

/// A uuid4-shaped random id (kombu's tickets and reply routing keys are uuids).
fn uuid4() -> String {
    let a = fastrand::u64(..);
    let b = fastrand::u64(..);
    let hex = format!("{a:016x}{b:016x}");
    format!(
        "{}-{}-4{}-{:x}{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        8 + (b >> 62),
        &hex[17..20],
        &hex[20..32]
    )
}

fn now_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The envelope `celery control` publishes for `method` to `destination`.
pub fn control_message(
    method: &str,
    arguments: &Json,
    destination: &str,
    reply_to: Option<&str>,
    expires_s: f64,
) -> String {
    let body = json!({
        "method": method,
        "arguments": arguments,
        "destination": [destination],
        "pattern": null,
        "matcher": null,
        "ticket": uuid4(),
        "reply_to": reply_to.map(|id| json!({
            "exchange": keys::REPLY_EXCHANGE,
            "routing_key": id,
        })),
    });
    let encoded = base64::engine::general_purpose::STANDARD.encode(body.to_string());
    json!({
        "body": encoded,
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": {"clock": 1, "expires": expires_s},
        "properties": {
            "delivery_mode": 2,
            "delivery_info": {"exchange": keys::PIDBOX_EXCHANGE, "routing_key": ""},
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": uuid4(),
        }
    })
    .to_string()
}

/// A worker's reply envelope: its `{"<node>": <reply>}` body's reply for `node`.
pub fn reply_of(bytes: &[u8], node: &str) -> Option<Json> {
    parse_envelope(bytes)?.body.get(node).cloned()
}

async fn connect(writer: &Writer) -> anyhow::Result<(MultiplexedConnection, i64)> {
    let target = writer.target();
    let db = target.client()?.get_connection_info().redis_settings().db();
    Ok((target.connect(CONNECT_TIMEOUT).await?, db))
}

/// Send `control` to the Celery worker `worker` (`by` processes for grow and shrink).
pub async fn control(
    writer: &Writer,
    worker: &WorkerInfo,
    control: WorkerControl,
    by: u32,
) -> anyhow::Result<ControlOutcome> {
    let node = worker.name.as_str();
    let (mut conn, db) = connect(writer).await?;
    let channel = keys::fanout_channel(db, keys::PIDBOX_EXCHANGE);
    let expires = now_s() + REPLY_TIMEOUT.as_secs_f64();
    let message = match control {
        WorkerControl::Stop => {
            let message = control_message("shutdown", &json!({}), node, None, expires);
            let heard: i64 = redis::cmd("PUBLISH")
                .arg(&channel)
                .arg(message)
                .query_async(&mut conn)
                .await?;
            if heard <= 0 {
                bail!(
                    "shutdown reached nobody: no Celery worker listens on {channel}; nothing \
                     was changed"
                );
            }
            format!(
                "shutdown sent to Celery worker {node}: a warm shutdown (it stops consuming, \
                 finishes its running tasks, then exits)"
            )
        }
        WorkerControl::Grow | WorkerControl::Shrink => {
            let method = if control == WorkerControl::Grow {
                "pool_grow"
            } else {
                "pool_shrink"
            };
            let reply = ask(&mut conn, &channel, method, &json!({"n": by}), node).await?;
            let words = reply
                .as_ref()
                .and_then(|r| r.get("ok").or_else(|| r.get("error")))
                .and_then(Json::as_str)
                .map(str::to_string);
            if let Some(error) = reply.as_ref().and_then(|r| r.get("error")) {
                bail!("Celery worker {node} refused {method}: {error}");
            }
            match words {
                Some(words) => format!("{method} {by} sent to Celery worker {node}: {words}"),
                None => bail!(
                    "{method} sent, but Celery worker {node} did not reply within {} s (is it \
                     alive? `qtop workers list` shows its last heartbeat)",
                    REPLY_TIMEOUT.as_secs()
                ),
            }
        }
        other => bail!("Celery workers cannot be asked to {}", other.name()),
    };
    Ok(ControlOutcome {
        worker: node.to_string(),
        system: System::Celery,
        control,
        message,
    })
}

/// Publish `method` to `node` with a reply list, wait for its reply, clean up.
async fn ask(
    conn: &mut MultiplexedConnection,
    channel: &str,
    method: &str,
    arguments: &Json,
    node: &str,
) -> anyhow::Result<Option<Json>> {
    let client_id = uuid4();
    let reply_queue = keys::reply_queue(&client_id);
    let binding = keys::binding(keys::REPLY_EXCHANGE);
    let member = format!("{client_id}{sep}{sep}{reply_queue}", sep = keys::SEP);
    redis::cmd("SADD")
        .arg(&binding)
        .arg(&member)
        .query_async::<i64>(conn)
        .await
        .context("binding the reply list")?;
    let expires = now_s() + REPLY_TIMEOUT.as_secs_f64();
    let message = control_message(method, arguments, node, Some(&client_id), expires);
    let published: anyhow::Result<i64> = redis::cmd("PUBLISH")
        .arg(channel)
        .arg(message)
        .query_async(conn)
        .await
        .map_err(Into::into);
    let reply = match published {
        Ok(heard) if heard > 0 => {
            let popped: redis::RedisResult<Option<(String, Vec<u8>)>> = redis::cmd("BRPOP")
                .arg(&reply_queue)
                .arg(REPLY_TIMEOUT.as_secs_f64())
                .query_async(conn)
                .await;
            popped
                .ok()
                .flatten()
                .and_then(|(_, bytes)| reply_of(&bytes, node))
        }
        _ => None,
    };
    // Remove the binding and every priority list of the reply queue, as kombu does.
    let mut cleanup = redis::pipe();
    cleanup.cmd("SREM").arg(&binding).arg(&member).ignore();
    for step in keys::PRIORITY_STEPS {
        cleanup
            .cmd("DEL")
            .arg(keys::queue_list(&reply_queue, step))
            .ignore();
    }
    cleanup.query_async::<()>(conn).await?;
    let heard = published?;
    if heard <= 0 {
        bail!(
            "{method} reached nobody: no Celery worker listens on {channel}; nothing was changed"
        );
    }
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_kombu_envelopes_a_worker_reads() {
        let text = control_message("pool_grow", &json!({"n": 2}), "w1@vm", Some("r-1"), 10.0);
        let envelope = parse_envelope(text.as_bytes()).unwrap_or_default();
        assert_eq!(envelope.body["method"], "pool_grow");
        assert_eq!(envelope.body["arguments"]["n"], 2);
        assert_eq!(envelope.body["destination"], json!(["w1@vm"]));
        assert_eq!(envelope.body["reply_to"]["routing_key"], "r-1");
        assert_eq!(envelope.headers["expires"], 10.0);
        assert_eq!(
            envelope.properties["delivery_info"]["exchange"],
            "celery.pidbox"
        );
        let shutdown = control_message("shutdown", &json!({}), "w1@vm", None, 10.0);
        let envelope = parse_envelope(shutdown.as_bytes()).unwrap_or_default();
        assert_eq!(envelope.body["reply_to"], Json::Null);
        let id = uuid4();
        assert_eq!(id.len(), 36);
        assert_eq!(id.as_bytes()[14], b'4');
    }

    #[test]
    fn replies_are_read_for_the_node() {
        let body = base64::engine::general_purpose::STANDARD
            .encode(br#"{"w1@vm": {"ok": "pool will grow"}}"#);
        let reply = format!(
            r#"{{"body": "{body}", "content-type": "application/json", "properties": {{"body_encoding": "base64"}}}}"#
        );
        assert_eq!(
            reply_of(reply.as_bytes(), "w1@vm"),
            Some(json!({"ok": "pool will grow"}))
        );
        assert_eq!(reply_of(reply.as_bytes(), "w2@vm"), None);
        assert_eq!(reply_of(b"junk", "w1@vm"), None);
    }
}

//! Load shared by the benches: queues as BullMQ leaves them, and busy queues written in
//! BullMQ's layout. Included with `#[path]`.

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use tokio_util::sync::CancellationToken;

/// Create `n` queues as BullMQ leaves them on the Redis at `url`; returns a connection to it.
pub async fn setup_queues(url: &str, n: u64) -> MultiplexedConnection {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let now = chrono::Utc::now().timestamp_millis().to_string();
    let _: i64 = redis::Script::new(SETUP)
        .arg(n)
        .arg(&now)
        .invoke_async(&mut conn)
        .await
        .unwrap();
    conn
}

/// Creates `n` queues as BullMQ leaves them: meta, an events stream, an id counter and
/// five waiting jobs each.
pub const SETUP: &str = r#"
local n = tonumber(ARGV[1])
for i = 1, n do
  local q = 'bull:q' .. i .. ':'
  redis.call('HSET', q .. 'meta', 'opts.maxLenEvents', '10000', 'version', 'bullmq:6.7.0')
  redis.call('XADD', q .. 'events', 'MAXLEN', '~', '10000', '*', 'event', 'drained')
  redis.call('SET', q .. 'id', '5')
  for j = 1, 5 do
    redis.call('HSET', q .. j, 'name', 'job', 'data', '{}', 'opts', '{}', 'timestamp', ARGV[2])
    redis.call('LPUSH', q .. 'wait', j)
  end
end
return n
"#;

/// `rate` job lifecycles per second on each of the first `busy` queues, written as BullMQ writes
/// them (a job hash; added, waiting, active and completed events; the completed set), in
/// plain pipelined commands so the load's own cost is small and steady.
pub fn start_load(
    url: String,
    busy: u64,
    rate: u64,
    cancel: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = redis::Client::open(url.as_str()).unwrap();
        let mut conn = client.get_multiplexed_async_connection().await.unwrap();
        let mut tick = tokio::time::interval(Duration::from_millis(1000 / rate.max(1)));
        let mut next_id = 1000u64;
        while !cancel.is_cancelled() {
            tick.tick().await;
            let now = chrono::Utc::now().timestamp_millis();
            let mut pipe = redis::pipe();
            for i in 1..=busy {
                next_id += 1;
                let (q, id) = (format!("bull:q{i}:"), next_id.to_string());
                pipe.cmd("INCR").arg(format!("{q}id")).ignore();
                pipe.cmd("HSET")
                    .arg(format!("{q}{id}"))
                    .arg(
                        &[
                            ("name", "job".to_string()),
                            ("data", "{}".to_string()),
                            ("opts", "{}".to_string()),
                            ("timestamp", now.to_string()),
                            ("processedOn", now.to_string()),
                            ("finishedOn", (now + 5).to_string()),
                            ("atm", "1".to_string()),
                        ][..],
                    )
                    .ignore();
                for (event, prev) in [
                    ("added", ""),
                    ("waiting", ""),
                    ("active", "waiting"),
                    ("completed", "active"),
                ] {
                    let mut xadd = redis::cmd("XADD");
                    xadd.arg(format!("{q}events"))
                        .arg("MAXLEN")
                        .arg("~")
                        .arg(10000)
                        .arg("*")
                        .arg("event")
                        .arg(event)
                        .arg("jobId")
                        .arg(&id);
                    if !prev.is_empty() {
                        xadd.arg("prev").arg(prev);
                    }
                    pipe.add_command(xadd).ignore();
                }
                pipe.cmd("ZADD")
                    .arg(format!("{q}completed"))
                    .arg(now)
                    .arg(&id)
                    .ignore();
            }
            let _: redis::RedisResult<()> = pipe.query_async(&mut conn).await;
        }
    })
}

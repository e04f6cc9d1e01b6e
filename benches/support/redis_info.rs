//! Reading redis-server's own counters for the cost benches: one `INFO` section, a field of
//! it, and the time spent per command from `INFO commandstats`.

use redis::aio::MultiplexedConnection;

/// The text of `INFO <section>`.
pub async fn info(conn: &mut MultiplexedConnection, section: &str) -> String {
    redis::cmd("INFO")
        .arg(section)
        .query_async(conn)
        .await
        .expect("INFO")
}

/// A numeric `name:value` field of an `INFO` text; 0 when absent.
pub fn field(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(':')))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// Microseconds each command has taken (`cmdstat_<name>:…,usec=N,…`).
#[allow(dead_code)]
pub fn usec_by_command(commandstats: &str) -> Vec<(String, f64)> {
    calls_and_usec_by_command(commandstats)
        .into_iter()
        .map(|(name, (_, usec))| (name, usec))
        .collect()
}

/// Calls and microseconds of each command (`cmdstat_<name>:calls=N,usec=M,…`).
pub fn calls_and_usec_by_command(commandstats: &str) -> Vec<(String, (f64, f64))> {
    commandstats
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let value = |key: &str| {
                rest.split(',')
                    .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))?
                    .parse()
                    .ok()
            };
            Some((name.to_string(), (value("calls")?, value("usec")?)))
        })
        .collect()
}

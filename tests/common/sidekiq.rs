//! Real Sidekiq for the tests: `sidekiq` processes (Debian's `ruby-sidekiq`) running the
//! app in `tests/ruby/app.rb` on a private redis-server, and Sidekiq's own API
//! (`tests/ruby/client.rb`) to enqueue jobs and read the figures qtop must equal.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::common::{NodeChild, RedisServer};

pub fn ruby_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("ruby")
}

/// A running `sidekiq` process; TERM and KILL on drop.
pub struct Sidekiq {
    child: NodeChild,
}

impl Sidekiq {
    /// `sidekiq -r app.rb -c CONCURRENCY -q Q… -t 1` on `redis`, in `namespace` ("" for none).
    pub fn start(redis: &RedisServer, namespace: &str, queues: &[&str], concurrency: u32) -> Self {
        let mut command = Command::new("sidekiq");
        command
            .arg("-r")
            .arg(ruby_dir().join("app.rb"))
            .args(["-c", &concurrency.to_string(), "-t", "1"])
            .env("REDIS_URL", redis.url())
            .env("SIDEKIQ_NAMESPACE", namespace)
            .current_dir(ruby_dir());
        for queue in queues {
            command.args(["-q", queue]);
        }
        Sidekiq {
            child: NodeChild::spawn_command("sidekiq".to_string(), command),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// Waits for the process to exit by itself (after a stop), panicking on timeout.
    pub fn wait_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        self.child.wait_exit(timeout)
    }

    pub fn stderr(&self) -> String {
        self.child.stderr()
    }
}

impl Drop for Sidekiq {
    fn drop(&mut self) {
        crate::common::signal("TERM", self.child.pid());
        std::thread::sleep(Duration::from_millis(50));
        self.child.kill();
    }
}

/// `ruby client.rb ARGS…` on `redis`: Sidekiq's own client and API. Its JSON output.
pub fn ruby(redis: &RedisServer, namespace: &str, args: &[&str]) -> serde_json::Value {
    let output = Command::new("ruby")
        .arg(ruby_dir().join("client.rb"))
        .args(args)
        .env("REDIS_URL", redis.url())
        .env("SIDEKIQ_NAMESPACE", namespace)
        .output()
        .expect("run ruby");
    assert!(
        output.status.success(),
        "ruby client.rb {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "client.rb {args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// `Sidekiq::Client.push` of `count` jobs; `"$i"` in `args` becomes the job's index.
pub fn push(
    redis: &RedisServer,
    namespace: &str,
    class: &str,
    queue: &str,
    count: u32,
    args: &str,
) -> Vec<String> {
    let jids = ruby(
        redis,
        namespace,
        &["push", class, queue, &count.to_string(), args],
    );
    jids.as_array()
        .unwrap()
        .iter()
        .map(|j| j.as_str().unwrap().to_string())
        .collect()
}

/// The same, scheduled `in_s` seconds from now (the scheduled set).
pub fn push_in(
    redis: &RedisServer,
    namespace: &str,
    class: &str,
    queue: &str,
    count: u32,
    args: &str,
    in_s: u32,
) -> Vec<String> {
    let jids = ruby(
        redis,
        namespace,
        &[
            "push",
            class,
            queue,
            &count.to_string(),
            args,
            &in_s.to_string(),
        ],
    );
    jids.as_array()
        .unwrap()
        .iter()
        .map(|j| j.as_str().unwrap().to_string())
        .collect()
}

/// What Sidekiq's API says now (see client.rb `inspect`).
pub fn inspect(redis: &RedisServer, namespace: &str) -> serde_json::Value {
    ruby(redis, namespace, &["inspect"])
}

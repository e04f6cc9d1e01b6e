//! qtop's poller in the test's own process, for tests that look at a poll's report (its
//! round trips, commands, readings) rather than at the binary's output.

use qtop::model::{PollReport, System};
use qtop::source::{Poller, PollerConfig, RedisTarget};

/// A one-thread runtime to drive an in-process poller.
pub fn one_thread_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A poller of one queue system (`system`) on `url`, as `--system` would read it.
pub fn system_poller(url: &str, system: System) -> Poller {
    let config = PollerConfig {
        systems: vec![system],
        ..PollerConfig::default()
    };
    Poller::new(RedisTarget::parse(url, false).unwrap(), config)
}

/// One poll; a poll that fails fails the test.
pub fn poll(runtime: &tokio::runtime::Runtime, poller: &mut Poller) -> PollReport {
    runtime.block_on(poller.poll()).unwrap()
}

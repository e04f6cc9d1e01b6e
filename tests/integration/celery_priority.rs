//! Celery's priority lists (kombu keeps priorities 3, 6 and 9 in lists of their own beside
//! the queue's): qtop probes the ones it last saw empty together, many queues in one
//! `EXISTS`, and a list that real Celery creates in a later poll is counted in that same
//! poll, whichever probe group its queue is in.

use crate::common;

use crate::common::celery::{broker_depth, send};
use crate::common::poller::{one_thread_runtime, poll, system_poller};
use common::{RedisServer, Resp};
use qtop::model::{PollReport, System};

const QUEUES: usize = 40;

/// Every queue's waiting count in `report` equals the broker's lists.
fn assert_depths(redis: &RedisServer, report: &PollReport) {
    assert_eq!(report.queues.len(), QUEUES, "{:?}", report.queues);
    for reading in &report.queues {
        let name = reading.key.name.as_str();
        let waiting = reading.counts.as_ref().and_then(|c| c.waiting);
        assert_eq!(waiting, Some(broker_depth(redis, name)), "{name}");
    }
}

#[test]
fn priority_lists_probed_together_are_counted_the_poll_they_appear() {
    let redis = RedisServer::start_tcp();
    let url = redis.tcp_url();
    // Celery's default queue as a publish leaves it; the others copied from it.
    send(&url, "celery", "tasks.nap", 1, Some("0"), None);
    let Resp::Bulk(message) = redis.cmd_resp(&["LINDEX", "celery", "-1"]) else {
        panic!("no message in celery");
    };
    for i in 1..QUEUES {
        let name = format!("q{i}");
        let member = format!("{name}\x06\x16\x06\x16{name}");
        redis.cmd(&["SADD", &format!("_kombu.binding.{name}"), &member]);
        redis.cmd(&["LPUSH", &name, &message]);
    }
    let runtime = one_thread_runtime();
    let mut poller = system_poller(&url, System::Celery);
    poll(&runtime, &mut poller);
    // Every priority list is now known empty: each poll probes the 120 together.
    let report = poll(&runtime, &mut poller);
    assert_depths(&redis, &report);
    let queues = QUEUES as u64;
    // HLEN and HKEYS of `unacked`, LLEN and LINDEX of each step-0 list, and 2 EXISTS
    // (one a queue would be 40).
    assert_eq!(
        report.poll.commands,
        2 + 2 * queues + 2,
        "{:?}",
        report.poll
    );
    assert_eq!(report.poll.round_trips, 1);

    // Real Celery publishes at priorities 9 and 3 to a queue of each probe group.
    send(&url, "q2", "tasks.nap", 1, Some("0"), Some(3));
    send(&url, "q37", "tasks.nap", 2, Some("0"), Some(9));
    assert_eq!(broker_depth(&redis, "q2"), 2);
    assert_eq!(broker_depth(&redis, "q37"), 3);
    let report = poll(&runtime, &mut poller);
    assert_depths(&redis, &report);
    assert_eq!(report.poll.round_trips, 2, "the found lists' LLEN");
    let report = poll(&runtime, &mut poller);
    assert_depths(&redis, &report);
    assert_eq!(report.poll.round_trips, 1, "they are read by LLEN now");
}

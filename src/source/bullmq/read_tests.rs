//! A queue's refresh replies parsed into counts, candidates, rate limits and job timings.

#[test]
fn the_lock_check_reads_lock_check_max_ids() {
    assert_eq!(LOCK_CHECK_LAST, (LOCK_CHECK_MAX - 1).to_string());
}

use super::*;
use crate::source::bullmq::meta::Meta;

fn bulk(text: &str) -> Value {
    Value::BulkString(text.as_bytes().to_vec())
}

fn list(items: &[&str]) -> Value {
    Value::Array(items.iter().map(|s| bulk(s)).collect())
}

#[test]
fn a_refresh_reply_parses_into_counts_and_candidates() {
    let queue = QueueId::new("bull", "q");
    let replies = vec![
        Value::Int(5),
        Value::Int(1),
        Value::Int(2),
        Value::Int(4),
        Value::Int(3),
        Value::Int(100),
        Value::Int(7),
        Value::Int(1),
        // The limiter: 2 jobs in the window, 800 ms left; meta: at most 2 per second.
        bulk("2"),
        Value::Int(800),
        Value::Array(vec![
            bulk("1"),
            bulk("bullmq:6.7.0"),
            Value::Nil,
            Value::Nil,
            bulk("3"),
            bulk("2"),
            bulk("1000"),
        ]),
        Value::Int(4),
        bulk("131"),
        list(&["9", "0:0", "7"]),
        list(&["p1"]),
        list(&["legacy"]),
        list(&["20", "21"]),
    ];
    let refresh = parse_refresh(&queue, &RefreshPlan::FULL, &replies, None);
    assert_eq!(refresh.counts.waiting, 6);
    assert_eq!(refresh.counts.backlog(), 13);
    assert!(refresh.meta.paused);
    assert_eq!(refresh.meta.library.as_deref(), Some("bullmq:6.7.0"));
    assert_eq!(refresh.id_counter, Some(131));
    assert!(refresh.saw_markers);
    assert!(!refresh.oldest_candidates().contains(&"0:0"));
    assert!(refresh.oldest_candidates().contains(&"legacy"));
    assert_eq!(*refresh.active_ids, ["20", "21"]);
    assert!(refresh.problems.is_empty());
    assert_eq!(refresh.limits().global_concurrency, Some(3));
    assert_eq!(
        refresh.limits().global_rate_limit,
        Some(crate::model::RateLimit {
            max: 2,
            duration_ms: 1000
        })
    );
    assert_eq!(refresh.limits().rate_limited_ms, Some(800));
    assert_eq!(refresh.meta.schedulers, Some(4));
}

#[test]
fn the_rate_limit_ttl_is_what_bullmq_answers() {
    // A global limit: limited only once the count reached max.
    assert_eq!(rate_limit_ttl(Some(2), Some(2), Some(700)), 700);
    assert_eq!(rate_limit_ttl(Some(2), Some(1), Some(700)), 0);
    // No global limit: the key's TTL (a worker-side limiter, worker.rateLimit()).
    assert_eq!(rate_limit_ttl(None, Some(1), Some(700)), 700);
    // No key (-2), no TTL (-1), garbage: not limited.
    assert_eq!(rate_limit_ttl(None, None, Some(-2)), 0);
    assert_eq!(rate_limit_ttl(None, None, Some(-1)), 0);
    assert_eq!(rate_limit_ttl(Some(5), None, None), 0);
}

#[test]
fn an_idle_queue_reads_only_what_it_has() {
    let previous = Refresh {
        counts: JobCounts {
            waiting: 3,
            ..JobCounts::default()
        },
        ..Refresh::default()
    };
    let plan = RefreshPlan::after(Some(&previous), false, true);
    assert_eq!(
        plan,
        RefreshPlan {
            meta: true,
            id_counter: true,
            wait_head: true,
            prioritized_head: false,
            paused_head: false,
            active_ids: false
        }
    );
    let mut pipe = redis::pipe();
    assert_eq!(
        push_refresh(&mut pipe, &QueueId::new("bull", "q"), &plan),
        14
    );
    assert_eq!(RefreshPlan::after(None, false, false), RefreshPlan::FULL);

    // Once its id counter and its oldest candidates are known, a quiet queue reads its
    // counts and meta only and keeps the rest (every add or take writes an event); a
    // changed queue reads them again.
    let known = Refresh {
        id_counter: Some(41),
        heads: crate::source::bullmq::heads::Heads::new([vec!["3".into()], vec![], vec![]]),
        ..previous
    };
    let quiet = RefreshPlan::after(Some(&known), false, true);
    assert!(!quiet.id_counter && !quiet.wait_head);
    let mut pipe = redis::pipe();
    assert_eq!(
        push_refresh(&mut pipe, &QueueId::new("bull", "q"), &quiet),
        12
    );
    let mut replies: Vec<Value> = (0..8).map(|_| Value::Int(0)).collect();
    replies[0] = Value::Int(3);
    replies.extend([Value::Nil, Value::Int(-2)]);
    replies.push(Value::Array(vec![Value::Nil, Value::Nil, Value::Nil]));
    replies.push(Value::Int(0));
    let refresh = parse_refresh(&QueueId::new("bull", "q"), &quiet, &replies, Some(&known));
    assert_eq!(refresh.id_counter, Some(41));
    assert_eq!(refresh.oldest_candidates(), vec!["3"]);
    assert!(RefreshPlan::after(Some(&known), true, true).id_counter);
}

#[test]
fn a_busy_queue_forgets_the_heads_it_no_longer_has() {
    // Seen live: the candidates of every earlier poll were kept while the queue had a
    // backlog, so the oldest age counted from when the backlog began. A re-read head
    // replaces the old one; a list that emptied drops its head.
    let queue = QueueId::new("bull", "q");
    let counts = |waiting: i64, prioritized: i64| -> Vec<Value> {
        let mut replies = vec![Value::Int(waiting), Value::Int(0), Value::Int(0)];
        replies.push(Value::Int(prioritized));
        replies.extend((0..4).map(|_| Value::Int(0)));
        replies.extend([Value::Nil, Value::Int(-2)]);
        replies
    };
    let first = RefreshPlan {
        meta: false,
        id_counter: false,
        wait_head: true,
        prioritized_head: true,
        paused_head: false,
        active_ids: false,
    };
    let mut replies = counts(500, 1);
    replies.push(list(&["3", "2", "1"]));
    replies.push(list(&["p1"]));
    let before = parse_refresh(&queue, &first, &replies, None);
    assert_eq!(before.oldest_candidates(), vec!["1", "2", "3", "p1"]);
    // Changed: the wait head is read again (the legacy paused head is not: no such list).
    let plan = RefreshPlan {
        meta: false,
        ..RefreshPlan::after(Some(&before), true, false)
    };
    assert!(plan.wait_head && plan.prioritized_head && plan.active_ids && !plan.paused_head);
    let mut replies = counts(500, 0);
    replies.push(bulk("0")); // the id counter
    replies.push(list(&["9", "8", "7"])); // wait head
    replies.push(list(&[])); // prioritized head
    replies.push(list(&[])); // active ids
    let after = parse_refresh(&queue, &plan, &replies, Some(&before));
    assert_eq!(after.oldest_candidates(), vec!["7", "8", "9"]);
    // Quiet: heads not re-read keep theirs, only while their list holds jobs.
    let quiet = RefreshPlan::after(Some(&after), false, false);
    assert!(!quiet.wait_head);
    let kept = parse_refresh(&queue, &quiet, &counts(500, 0), Some(&after));
    assert_eq!(kept.oldest_candidates(), vec!["7", "8", "9"]);
    let drained = parse_refresh(&queue, &quiet, &counts(0, 0), Some(&after));
    assert!(drained.oldest_candidates().is_empty());
}

#[test]
fn a_refresh_without_the_meta_hash_keeps_what_it_said() {
    let queue = QueueId::new("bull", "q");
    let previous = Refresh {
        meta: std::sync::Arc::new(Meta {
            paused: true,
            library: Some("bullmq:6.7.0".into()),
            max_len_events: Some(500),
            problem: Some("bull:q meta: unreadable (WRONGTYPE)".into()),
            ..Meta::default()
        }),
        id_counter: Some(7),
        ..Refresh::default()
    };
    let plan = RefreshPlan::after(Some(&previous), false, false);
    assert!(!plan.meta);
    // The eight counts (exactly what getJobCounts reads) and the limiter's two.
    let mut pipe = redis::pipe();
    assert_eq!(push_refresh(&mut pipe, &queue, &plan), 10);
    let replies: Vec<Value> = (0..10).map(|_| Value::Int(0)).collect();
    let refresh = parse_refresh(&queue, &plan, &replies, Some(&previous));
    assert!(refresh.meta.paused);
    assert_eq!(refresh.meta.library.as_deref(), Some("bullmq:6.7.0"));
    assert_eq!(refresh.meta.max_len_events, Some(500));
    assert_eq!(*refresh.problems, ["bull:q meta: unreadable (WRONGTYPE)"]);

    // Read again, the meta hash says what it says now, and the problem is gone.
    let plan = RefreshPlan { meta: true, ..plan };
    let mut replies: Vec<Value> = (0..10).map(|_| Value::Int(0)).collect();
    replies.push(Value::Array(vec![
        Value::Nil,
        Value::Nil,
        Value::Nil,
        Value::Nil,
    ]));
    let refresh = parse_refresh(&queue, &plan, &replies, Some(&previous));
    assert!(!refresh.meta.paused);
    assert_eq!(refresh.meta.library, None);
    assert!(refresh.problems.is_empty());
    assert_eq!(refresh.id_counter, Some(7));
}

#[test]
fn garbage_and_short_replies_do_not_panic() {
    let queue = QueueId::new("bull", "q");
    let refresh = parse_refresh(
        &queue,
        &RefreshPlan::FULL,
        &[bulk("not a number"), Value::Nil],
        None,
    );
    assert_eq!(refresh.counts, JobCounts::default());
    assert!(!refresh.meta.paused);
}

//! Every Celery (kombu Redis transport) key and channel name, in one place
//! (../shared/celery-model.md §1, §5, §6). kombu's `global_keyprefix` (empty by default) is
//! not supported: keys are read as kombu names them without it.

/// kombu's separator inside binding members and priority list names (`\x06\x16`).
pub const SEP: &str = "\x06\x16";

/// The prefix of every exchange's binding set (`_kombu.binding.<exchange>`).
pub const BINDING_PREFIX: &str = "_kombu.binding.";

/// kombu's hash of fetched, unacknowledged messages: delivery_tag → `[envelope, exchange,
/// routing_key]`.
pub const UNACKED: &str = "unacked";

/// The default task queue's binding: created by the first publish and by every worker that
/// consumes `celery`.
pub const DEFAULT_BINDING: &str = "_kombu.binding.celery";
/// Every worker's remote-control binding (one member per node).
pub const PIDBOX_BINDING: &str = "_kombu.binding.celery.pidbox";
/// Every worker's event (gossip) queue binding.
pub const EVENTS_BINDING: &str = "_kombu.binding.celeryev";

/// The exchange of Celery's remote-control broadcasts.
pub const PIDBOX_EXCHANGE: &str = "celery.pidbox";
/// The exchange replies to a control client go to.
pub const REPLY_EXCHANGE: &str = "reply.celery.pidbox";

/// kombu's priority steps on Redis, in the order workers serve them: step 0 is the bare
/// queue name, the others are `<queue>` SEP `<step>`.
pub const PRIORITY_STEPS: [u8; 4] = [0, 3, 6, 9];

/// The list holding a queue's messages at priority `step`.
pub fn queue_list(queue: &str, step: u8) -> String {
    if step == 0 {
        queue.to_string()
    } else {
        format!("{queue}{SEP}{step}")
    }
}

pub fn binding(exchange: &str) -> String {
    format!("{BINDING_PREFIX}{exchange}")
}

/// The exchange a binding set belongs to; `None` for other keys.
pub fn binding_exchange(key: &str) -> Option<&str> {
    key.strip_prefix(BINDING_PREFIX).filter(|e| !e.is_empty())
}

/// Exchanges that carry Celery's plumbing (remote control, replies, events), not tasks.
pub fn is_plumbing_exchange(exchange: &str) -> bool {
    exchange.ends_with(".pidbox") || exchange == "celeryev"
}

/// A binding member `routing_key SEP pattern SEP queue`: `(routing_key, queue)`.
pub fn parse_binding(member: &str) -> Option<(&str, &str)> {
    let mut fields = member.split(SEP);
    let routing_key = fields.next()?;
    let _pattern = fields.next()?;
    let queue = fields.next()?;
    if queue.is_empty() || fields.next().is_some() {
        return None;
    }
    Some((routing_key, queue))
}

/// Queues of Celery's plumbing (a worker's event queue, a control client's reply list).
pub fn is_plumbing_queue(queue: &str) -> bool {
    queue.starts_with("celeryev.") || queue.ends_with(".pidbox")
}

/// The pub/sub channel a fanout exchange publishes on: kombu prefixes it with the broker
/// db (`fanout_prefix`), because Redis pub/sub ignores the db.
pub fn fanout_channel(db: i64, exchange: &str) -> String {
    format!("/{db}.{exchange}")
}

/// The pattern every worker and task event matches (`/<db>.celeryev/worker.heartbeat`,
/// `/<db>.celeryev/task.multi`, …).
pub fn events_pattern(db: i64) -> String {
    format!("/{db}.celeryev/*")
}

/// The private reply list of a control client (`<uuid>.reply.celery.pidbox`).
pub fn reply_queue(client_id: &str) -> String {
    format!("{client_id}.{REPLY_EXCHANGE}")
}

/// Result-backend metadata of a task (`celery-task-meta-<id>`).
pub const TASK_META_PREFIX: &str = "celery-task-meta-";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_give_queue_names_and_plumbing_is_recognised() {
        assert_eq!(
            parse_binding("celery\x06\x16\x06\x16celery"),
            Some(("celery", "celery"))
        );
        assert_eq!(parse_binding("rk\x06\x16*\x06\x16q.x"), Some(("rk", "q.x")));
        assert_eq!(parse_binding("garbage"), None);
        assert_eq!(parse_binding("a\x06\x16b\x06\x16"), None);
        assert_eq!(binding_exchange(&binding("low")), Some("low"));
        assert_eq!(binding_exchange("celery"), None);
        assert!(is_plumbing_exchange("celery.pidbox"));
        assert!(is_plumbing_exchange("reply.celery.pidbox"));
        assert!(is_plumbing_exchange("celeryev"));
        assert!(!is_plumbing_exchange("celery"));
        assert!(is_plumbing_queue("celeryev.4b5e"));
        assert!(is_plumbing_queue("w1@vm.celery.pidbox"));
        assert_eq!(queue_list("q", 0), "q");
        assert_eq!(queue_list("q", 9), "q\x06\x169");
        assert_eq!(fanout_channel(2, PIDBOX_EXCHANGE), "/2.celery.pidbox");
        assert_eq!(events_pattern(0), "/0.celeryev/*");
    }
}

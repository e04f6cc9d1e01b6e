//! Every RQ key name, in one place (../shared/rq-model.md §1). RQ hard-codes the `rq:`
//! prefix in class attributes, so there is no namespace to configure. Queues and
//! registries hold job ids only; a job is the hash `rq:job:<id>`.

/// The set of every queue's full key (`rq:queue:<name>`), SADDed on every enqueue and kept
/// when the queue empties.
pub const QUEUES: &str = "rq:queues";
/// The set of every live worker's full key (`rq:worker:<name>`).
pub const WORKERS: &str = "rq:workers";
/// Present while `rq suspend` holds every worker from fetching.
pub const SUSPENDED: &str = "rq:suspended";

const QUEUE_PREFIX: &str = "rq:queue:";
const WORKER_PREFIX: &str = "rq:worker:";

/// The queue's list of waiting job ids (LINDEX 0 is the next to run).
pub fn queue(name: &str) -> String {
    format!("{QUEUE_PREFIX}{name}")
}

/// StartedJobRegistry: `<job_id>:<execution_id>` members in 2.x, bare ids in 1.x; the
/// score is the entry's expiry (int s).
pub fn started(name: &str) -> String {
    format!("rq:wip:{name}")
}

/// FinishedJobRegistry: score = expiry (now + `result_ttl`, or `inf`).
pub fn finished(name: &str) -> String {
    format!("rq:finished:{name}")
}

/// FailedJobRegistry, the dead-letter set: score = expiry (now + `failure_ttl`).
pub fn failed(name: &str) -> String {
    format!("rq:failed:{name}")
}

/// ScheduledJobRegistry: score = run-at (int s).
pub fn scheduled(name: &str) -> String {
    format!("rq:scheduled:{name}")
}

/// DeferredJobRegistry: jobs waiting on dependencies.
pub fn deferred(name: &str) -> String {
    format!("rq:deferred:{name}")
}

/// Workers listening on queue `name`.
pub fn queue_workers(name: &str) -> String {
    format!("rq:workers:{name}")
}

pub fn job(id: &str) -> String {
    format!("rq:job:{id}")
}

/// The set of jobs waiting on this one.
pub fn job_dependents(id: &str) -> String {
    format!("rq:job:{id}:dependents")
}

/// Misspelt by RQ itself (a double colon, job.py), and deleted by its `Job.delete`.
pub fn job_dependencies(id: &str) -> String {
    format!("rq:job::{id}:dependencies")
}

/// The executions of a job (2.x).
pub fn job_executions(id: &str) -> String {
    format!("rq:executions:{id}")
}

/// One execution of a job (2.x).
pub fn execution(job_id: &str, execution_id: &str) -> String {
    format!("rq:execution:{job_id}:{execution_id}")
}

/// The results stream (1.12+): one entry per recorded execution.
pub fn results(id: &str) -> String {
    format!("rq:results:{id}")
}

/// A job group's set of job ids (2.x).
pub fn group(name: &str) -> String {
    format!("rq:group:{name}")
}

pub fn worker(name: &str) -> String {
    format!("{WORKER_PREFIX}{name}")
}

/// The channel a worker listens on for commands (`shutdown`, `stop-job`, `kill-horse`).
pub fn pubsub(worker_name: &str) -> String {
    format!("rq:pubsub:{worker_name}")
}

/// The queue name in a member of `rq:queues`; `None` for anything else.
pub fn queue_name(key: &str) -> Option<&str> {
    key.strip_prefix(QUEUE_PREFIX)
        .filter(|name| !name.is_empty())
}

/// The worker name in a member of `rq:workers`; `None` for anything else.
pub fn worker_name(key: &str) -> Option<&str> {
    key.strip_prefix(WORKER_PREFIX)
        .filter(|name| !name.is_empty())
}

/// The job id in a StartedJobRegistry member: `<job_id>:<execution_id>` (2.x; job ids
/// cannot hold a colon since 2.0) or a bare id (1.x).
pub fn started_job_id(member: &str) -> &str {
    member.split_once(':').map_or(member, |(id, _)| id)
}

/// An RQ time (`YYYY-MM-DDTHH:MM:SS.ffffffZ`, UTC; the fraction optional) as epoch ms.
/// `None` for empty or unreadable text.
pub fn parse_time_ms(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let body = text.strip_suffix('Z').unwrap_or(text);
    chrono::NaiveDateTime::parse_from_str(body, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc().timestamp_millis())
        .or_else(|| {
            chrono::DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|t| t.timestamp_millis())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_back_from_the_sets_members() {
        assert_eq!(queue_name(&queue("emails")), Some("emails"));
        assert_eq!(queue_name("rq:queue:a:b"), Some("a:b"));
        assert_eq!(queue_name("rq:queue:"), None);
        assert_eq!(queue_name("bull:emails:wait"), None);
        assert_eq!(worker_name(&worker("w-1")), Some("w-1"));
        assert_eq!(worker_name("rq:workers:default"), None);
    }

    #[test]
    fn started_members_of_both_layouts_give_the_job_id() {
        assert_eq!(started_job_id("abc:0f1e"), "abc");
        assert_eq!(started_job_id("abc"), "abc");
        assert_eq!(started_job_id(""), "");
    }

    #[test]
    fn rq_times_parse_with_and_without_a_fraction() {
        assert_eq!(
            parse_time_ms("2026-12-04T10:00:01.250000Z"),
            Some(1_796_378_401_250)
        );
        assert_eq!(
            parse_time_ms("2026-12-04T10:00:01Z"),
            Some(1_796_378_401_000)
        );
        assert_eq!(
            parse_time_ms("2026-12-04T10:00:01+00:00"),
            Some(1_796_378_401_000)
        );
        assert_eq!(parse_time_ms(""), None);
        assert_eq!(parse_time_ms("yesterday"), None);
    }
}

//! Any job of a queue, whatever its state: everything qtop shows about one job (`qtop job
//! show`), the summaries a search returns (`qtop job search`), and a flow's tree around a
//! job. JSON field names are a contract (assets/schema/job-show.schema.json): add fields,
//! never rename one.

use serde::Serialize;

use super::failures::Payload;
use super::system::System;

/// Everything qtop shows about one job.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct JobDetail {
    pub system: System,
    pub prefix: String,
    pub queue: String,
    pub id: String,
    pub name: Option<String>,
    /// The system's own word: for BullMQ what `job.getState()` answers (`waiting`,
    /// `active`, `prioritized`, `delayed`, `completed`, `failed`, `waiting-children`,
    /// `unknown`).
    pub state: String,
    /// Jobs that will run before it (waiting, prioritized, delayed); `null` otherwise.
    pub ahead: Option<u64>,
    /// Epoch ms: created.
    pub timestamp: Option<i64>,
    /// Epoch ms when it is (or was) due to run: a delayed job's place in the delayed set,
    /// else its creation plus its `delay` option; `null` for a job without a delay.
    pub due: Option<i64>,
    /// Epoch ms: start of the latest attempt.
    pub processed_on: Option<i64>,
    /// Epoch ms: entered the completed or failed set.
    pub finished_on: Option<i64>,
    /// The job's current delay in ms (a backoff's after a retry; 0 once promoted).
    pub delay: Option<i64>,
    pub priority: Option<i64>,
    pub attempts: Attempts,
    /// The worker that took the latest attempt (BullMQ's `pb`).
    pub processed_by: Option<String>,
    pub failed_reason: Option<String>,
    /// A failure the next worker must apply without running the job (BullMQ's `defa`).
    pub deferred_failure: Option<String>,
    /// One entry per failed attempt that the system kept, oldest first.
    pub stacktrace: Vec<String>,
    /// The stack traces were present but not a JSON array of strings.
    pub stacktrace_unreadable: bool,
    pub data: Payload,
    pub opts: Payload,
    pub return_value: Payload,
    pub progress: Payload,
    /// The job scheduler that made it (BullMQ's `rjk`).
    pub scheduler_id: Option<String>,
    /// Its deduplication id (BullMQ's `deid`).
    pub deduplication_id: Option<String>,
    /// For an active job: ms left on its lock; `-2` when the lock is gone (its worker
    /// died: the stalled check will put it back).
    pub lock_ttl_ms: Option<i64>,
    /// The last lines of its log, oldest first, and how many there are in all.
    pub logs: Vec<String>,
    pub logs_total: u64,
    /// Its flow parents, nearest first (bounded; see `parents_truncated`).
    pub parents: Vec<JobRef>,
    pub parents_truncated: bool,
    /// Its flow children as a tree; `null` when it has none.
    pub children: Option<Children>,
    /// What could not be read, in words (garbage in the job hash, keys on another node).
    pub problems: Vec<String>,
}

/// What the system keeps of a job's attempts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Attempts {
    /// Attempts that finished (completed or failed), retried ones included.
    pub made: u64,
    /// Attempts started (a stalled attempt counts, though it never finished).
    pub started: Option<u64>,
    /// Times a stalled attempt was taken back from a dead worker.
    pub stalled: Option<u64>,
    /// Attempts allowed (its `attempts` option).
    pub max: Option<u64>,
}

/// Another job of a flow (a parent), briefly.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct JobRef {
    /// The job's full key (`bull:emails:42`).
    pub key: String,
    /// Its queue as `prefix:name`.
    pub queue: String,
    pub id: String,
    pub name: Option<String>,
    /// As `getState()` says; `missing` when its job hash is gone.
    pub state: String,
}

/// A job's children, by what became of them, as BullMQ's `getDependencies()` sorts them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Children {
    /// Not finished yet (`:dependencies`).
    pub unprocessed: u64,
    /// Completed (`:processed`, with their return values).
    pub processed: u64,
    /// Failed, and ignored by the parent (`:failed`, with their reasons).
    pub ignored: u64,
    /// Failed, and counted against the parent (`:unsuccessful`).
    pub failed: u64,
    /// The children read (at most `max_children` per kind), in those four groups.
    pub nodes: Vec<ChildNode>,
    /// Some children were left out (more than `max_children` of a kind, or the tree's size
    /// limit).
    pub truncated: bool,
}

impl Children {
    pub fn total(&self) -> u64 {
        self.unprocessed + self.processed + self.ignored + self.failed
    }
}

/// One child in the tree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChildNode {
    #[serde(flatten)]
    pub job: JobRef,
    /// `unprocessed`, `processed`, `ignored` or `failed` (the group it is listed in).
    pub dependency: &'static str,
    /// A processed child's return value, as its parent stored it.
    pub return_value: Option<Payload>,
    /// An ignored child's failure, as its parent stored it.
    pub failed_reason: Option<String>,
    /// Its own children (`null` when it has none); below the depth limit they are counted,
    /// not listed (`truncated`).
    pub children: Option<Children>,
}

/// How much of a job to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShowLimits {
    /// Payload fields larger than this are reported by size, not loaded.
    pub max_payload: u64,
    /// Log lines read (the newest).
    pub log_lines: u64,
    /// Levels of children read below the job.
    pub depth: u32,
    /// Children read per kind per job.
    pub max_children: u64,
    /// Jobs read in the whole tree.
    pub max_nodes: usize,
}

impl Default for ShowLimits {
    fn default() -> Self {
        Self {
            max_payload: 1 << 20,
            log_lines: 100,
            depth: 3,
            max_children: 50,
            max_nodes: 500,
        }
    }
}

/// One job as a search lists it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct JobSummary {
    pub id: String,
    pub name: Option<String>,
    pub timestamp: Option<i64>,
    pub processed_on: Option<i64>,
    pub finished_on: Option<i64>,
    pub attempts_made: u64,
    pub failed_reason: Option<String>,
}

/// What to look for among one state's jobs. Filters combine (all must match); matching is
/// by substring.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchQuery {
    /// The system's word for the state (`failed`, `waiting`, …).
    pub state: String,
    pub name: Option<String>,
    pub id: Option<String>,
    pub reason: Option<String>,
    pub data: Option<String>,
    pub ignore_case: bool,
    /// Most matches returned.
    pub limit: u64,
    /// Most jobs examined: the search stops there and says so.
    pub max_examined: u64,
    /// Jobs whose data is larger than this are not searched (counted in `skipped_large`).
    pub max_payload: u64,
}

impl SearchQuery {
    /// Whether the search must read job hashes (not only ids).
    pub fn reads_jobs(&self) -> bool {
        self.name.is_some() || self.reason.is_some() || self.data.is_some()
    }

    /// Does `text` contain `needle` (as the query's case rule says)?
    pub fn contains(&self, text: &str, needle: &str) -> bool {
        if self.ignore_case {
            text.to_lowercase().contains(&needle.to_lowercase())
        } else {
            text.contains(needle)
        }
    }
}

/// Why a search stopped before the end of the state's jobs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchStop {
    /// `limit` matches were found.
    Limit,
    /// `max_examined` jobs were examined.
    MaxExamined,
}

/// A search's answer: the matches and how much was examined to find them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SearchResult {
    pub system: System,
    pub prefix: String,
    pub queue: String,
    pub state: String,
    /// Jobs in the state when the search began.
    pub total: u64,
    /// Jobs examined.
    pub examined: u64,
    /// Why it stopped early; `null` when every job of the state was examined.
    pub stopped: Option<SearchStop>,
    /// Jobs whose data was too large to search.
    pub skipped_large: u64,
    /// Ids listed in the state whose job hash is gone.
    pub missing: u64,
    pub matches: Vec<JobSummary>,
}

/// Progress of a search that reads job hashes: examined so far, of how many.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SearchProgress {
    pub examined: u64,
    pub total: u64,
    pub matches: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substring_matching_follows_the_case_rule() {
        let mut query = SearchQuery::default();
        assert!(query.contains("card Declined", "Declined"));
        assert!(!query.contains("card Declined", "declined"));
        query.ignore_case = true;
        assert!(query.contains("card Declined", "DECLINED"));
        assert!(query.contains("ünïcödé", "ÜNÏ"));
    }

    #[test]
    fn only_name_reason_and_data_need_job_hashes() {
        let mut query = SearchQuery {
            id: Some("12".into()),
            ..SearchQuery::default()
        };
        assert!(!query.reads_jobs());
        query.name = Some("x".into());
        assert!(query.reads_jobs());
    }
}

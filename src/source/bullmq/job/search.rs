//! Searching one state's jobs by name, id, failure reason or data. SCAN-free: the ids come
//! from the state's own list or sorted set in ranged pages (`LRANGE`/`ZRANGE`), job hashes
//! are read only when a filter needs them (two pipelined round trips per page, data above
//! the payload limit left unsearched), and the search stops at a limit of matches or of
//! jobs examined, and says which.

use std::collections::HashSet;

use redis::aio::MultiplexedConnection;
use redis::{RedisResult, Value};

use super::super::keys::QueueId;
use super::fields::{number, read_fields, Field, FieldRequest, SMALL_FIELD, UNBOUNDED};
use crate::model::jobs::{JobSummary, SearchProgress, SearchQuery, SearchResult, SearchStop};
use crate::model::System;
use crate::source::value::{as_array, as_i64, as_string};

/// Ids read per round trip.
pub const PAGE: u64 = 500;

/// The states a search can walk, as `getState()` names them (and `wait`, as BullMQ's
/// `getJobs` types name it).
pub const STATES: [&str; 7] = [
    "waiting",
    "active",
    "prioritized",
    "delayed",
    "completed",
    "failed",
    "waiting-children",
];

/// Where a state's ids are, in the order a search walks them.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Source {
    /// A list; `head_first` walks from the right end, where workers take jobs.
    List { key: String, head_first: bool },
    /// A sorted set; `newest_first` walks from the highest score.
    Zset { key: String, newest_first: bool },
}

/// The sources of `state` (the next to run first; finished jobs newest first), or why the
/// state is not one.
fn sources(queue: &QueueId, state: &str) -> Result<Vec<Source>, String> {
    let list = |key| Source::List {
        key,
        head_first: true,
    };
    let zset = |key, newest_first| Source::Zset { key, newest_first };
    Ok(match state {
        "waiting" | "wait" => vec![list(queue.wait()), list(queue.paused())],
        "active" => vec![list(queue.active())],
        "prioritized" => vec![zset(queue.prioritized(), false)],
        "delayed" => vec![zset(queue.delayed(), false)],
        "completed" => vec![zset(queue.completed(), true)],
        "failed" => vec![zset(queue.failed(), true)],
        "waiting-children" | "waiting_children" => vec![zset(queue.waiting_children(), false)],
        other => {
            return Err(format!(
                "unknown state '{other}': BullMQ's are {}",
                STATES.join(", ")
            ))
        }
    })
}

/// The canonical name of a state a search accepts (`wait` → `waiting`), or why not.
pub fn check_state(state: &str) -> Result<&'static str, String> {
    let probe = QueueId::new("p", "q");
    sources(&probe, state)?;
    Ok(match state {
        "wait" => "waiting",
        "waiting_children" => "waiting-children",
        other => STATES
            .iter()
            .find(|s| **s == other)
            .copied()
            .unwrap_or("waiting"),
    })
}

/// Fields read for each match (and each examined job when a filter needs them).
const SUMMARY: [&str; 7] = [
    "name",
    "timestamp",
    "processedOn",
    "finishedOn",
    "atm",
    "attemptsMade",
    "failedReason",
];

/// Search `queue`'s jobs in `query.state`. `progress` hears after each page of job hashes.
pub async fn search(
    conn: &mut MultiplexedConnection,
    queue: &QueueId,
    query: &SearchQuery,
    mut progress: impl FnMut(SearchProgress),
) -> RedisResult<Result<SearchResult, String>> {
    let sources = match sources(queue, &query.state) {
        Ok(sources) => sources,
        Err(why) => return Ok(Err(why)),
    };
    let state = check_state(&query.state).unwrap_or("waiting");
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    for source in &sources {
        match source {
            Source::List { key, .. } => pipe.cmd("LLEN").arg(key),
            Source::Zset { key, .. } => pipe.cmd("ZCARD").arg(key),
        };
    }
    let sizes: Vec<Value> = pipe.query_async(conn).await?;
    let sizes: Vec<u64> = sizes
        .iter()
        .map(|v| as_i64(v).unwrap_or(0).max(0) as u64)
        .collect();
    let mut result = SearchResult {
        system: System::Bullmq,
        prefix: queue.prefix.to_string(),
        queue: queue.name.to_string(),
        state: state.to_string(),
        total: sizes.iter().sum(),
        ..SearchResult::default()
    };
    let mut seen = HashSet::new();
    'sources: for (n, (source, size)) in sources.iter().zip(&sizes).enumerate() {
        let mut offset = 0;
        while offset < *size {
            if result.examined >= query.max_examined {
                result.stopped = Some(SearchStop::MaxExamined);
                break 'sources;
            }
            let count = PAGE.min(query.max_examined - result.examined).max(1);
            let ids = page(conn, source, offset, count).await?;
            if ids.is_empty() {
                break;
            }
            offset += ids.len() as u64;
            let mut candidates = Vec::new();
            for id in ids {
                // v3–v4 wait-list markers are not jobs; a job moved mid-walk is seen once.
                if id.starts_with("0:") || !seen.insert(id.clone()) {
                    continue;
                }
                result.examined += 1;
                let id_matches = query
                    .id
                    .as_deref()
                    .is_none_or(|needle| query.contains(&id, needle));
                if id_matches {
                    candidates.push(id);
                }
            }
            let room = (query.limit - result.matches.len() as u64) as usize;
            let matched = examine(conn, queue, query, candidates, room, &mut result).await?;
            result.matches.extend(matched);
            if query.reads_jobs() {
                progress(SearchProgress {
                    examined: result.examined,
                    total: result.total,
                    matches: result.matches.len() as u64,
                });
            }
            if result.matches.len() as u64 >= query.limit {
                let more = offset < *size || sizes[n + 1..].iter().any(|s| *s > 0);
                if more {
                    result.stopped = Some(SearchStop::Limit);
                }
                break 'sources;
            }
        }
    }
    Ok(Ok(result))
}

/// Ids `offset .. offset + count` of a source, in its walking order.
async fn page(
    conn: &mut MultiplexedConnection,
    source: &Source,
    offset: u64,
    count: u64,
) -> RedisResult<Vec<String>> {
    let (offset, count) = (offset as i64, count as i64);
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    let reverse = match source {
        Source::List { key, head_first } => {
            if *head_first {
                pipe.cmd("LRANGE")
                    .arg(key)
                    .arg(-(offset + count))
                    .arg(-(offset + 1));
            } else {
                pipe.cmd("LRANGE")
                    .arg(key)
                    .arg(offset)
                    .arg(offset + count - 1);
            }
            *head_first
        }
        Source::Zset { key, newest_first } => {
            let command = if *newest_first { "ZREVRANGE" } else { "ZRANGE" };
            pipe.cmd(command)
                .arg(key)
                .arg(offset)
                .arg(offset + count - 1);
            false
        }
    };
    let replies: Vec<Value> = pipe.query_async(conn).await?;
    let mut ids: Vec<String> = replies
        .first()
        .and_then(as_array)
        .unwrap_or_default()
        .iter()
        .filter_map(as_string)
        .collect();
    if reverse {
        ids.reverse();
    }
    Ok(ids)
}

/// The candidates that match, as summaries (at most `room`).
async fn examine(
    conn: &mut MultiplexedConnection,
    queue: &QueueId,
    query: &SearchQuery,
    candidates: Vec<String>,
    room: usize,
    result: &mut SearchResult,
) -> RedisResult<Vec<JobSummary>> {
    if candidates.is_empty() || room == 0 {
        return Ok(Vec::new());
    }
    // Without a filter on the hash, the first `room` candidates match: read only theirs.
    let candidates: Vec<String> = if query.reads_jobs() {
        candidates
    } else {
        candidates.into_iter().take(room).collect()
    };
    let reason_limit = if query.reason.is_some() {
        query.max_payload
    } else {
        SMALL_FIELD
    };
    let mut fields: Vec<(&str, u64)> = SUMMARY
        .iter()
        .map(|f| {
            let limit = match *f {
                "failedReason" => reason_limit,
                "name" => SMALL_FIELD,
                _ => UNBOUNDED,
            };
            (*f, limit)
        })
        .collect();
    if query.data.is_some() {
        fields.push(("data", query.max_payload));
    }
    let requests: Vec<FieldRequest> = candidates
        .iter()
        .map(|id| FieldRequest::new(queue.job(id), &fields))
        .collect();
    let read = read_fields(conn, &requests).await?;
    let mut matches = Vec::new();
    for (id, job) in candidates.into_iter().zip(read) {
        if job.iter().all(|f| matches!(f, Field::Absent)) {
            result.missing += 1;
            continue;
        }
        let text = |i: usize| job.get(i).and_then(Field::text);
        let mut large = false;
        let mut field_matches = |i: usize, needle: &Option<String>| match needle {
            None => true,
            Some(needle) => match job.get(i) {
                Some(Field::TooLarge(_)) => {
                    large = true;
                    false
                }
                Some(field) => field
                    .text()
                    .is_some_and(|text| query.contains(&text, needle)),
                None => false,
            },
        };
        let ok = field_matches(0, &query.name)
            && field_matches(6, &query.reason)
            && field_matches(SUMMARY.len(), &query.data);
        if large {
            result.skipped_large += 1;
        }
        if !ok || matches.len() >= room {
            continue;
        }
        let num = |i: usize| job.get(i).and_then(|f| number("", f).ok().flatten());
        matches.push(JobSummary {
            id,
            name: text(0),
            timestamp: num(1),
            processed_on: num(2),
            finished_on: num(3),
            attempts_made: num(4).or(num(5)).unwrap_or(0).max(0) as u64,
            failed_reason: text(6),
        });
    }
    Ok(matches)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_have_their_sources_and_names() {
        let q = QueueId::new("bull", "q");
        assert_eq!(sources(&q, "waiting").map(|s| s.len()), Ok(2));
        assert_eq!(check_state("wait"), Ok("waiting"));
        assert_eq!(check_state("waiting_children"), Ok("waiting-children"));
        assert_eq!(check_state("failed"), Ok("failed"));
        let refused = check_state("done");
        assert!(refused.is_err_and(|e| e.contains("waiting-children")));
        assert_eq!(
            sources(&q, "failed"),
            Ok(vec![Source::Zset {
                key: "bull:q:failed".into(),
                newest_first: true
            }])
        );
    }
}

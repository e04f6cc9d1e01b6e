//! A job's flow: its parents up to the root, and its children as a tree, as BullMQ's
//! `getDependencies()` sorts them (unprocessed, processed, ignored, failed). Bounded: a
//! depth, a number of children per kind per job (`SRANDMEMBER`/`HRANDFIELD`/`ZRANGE` with a
//! count, never a whole set), a number of jobs in the tree. Each level costs four round
//! trips, whatever its width.

use std::collections::HashSet;

use redis::aio::MultiplexedConnection;
use redis::{RedisResult, Value};

use super::super::keys::{job_from_key, queue_from_queue_key, QueueId};
use super::fields::{read_fields, Field, FieldRequest, SMALL_FIELD};
use super::state::{parse_probe, push_probe, PROBE_LEN};
use crate::model::failures::Payload;
use crate::model::jobs::{ChildNode, Children, JobRef, ShowLimits};
use crate::source::value::{as_array, as_i64, as_string, server_error};

/// Most parents followed up a flow (flows are rarely deeper than a few levels).
pub const MAX_PARENTS: usize = 16;

/// Where a job's parent is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParentLink {
    pub queue: QueueId,
    pub id: String,
}

impl ParentLink {
    /// From a job's `parent` (`{"id","queueKey"}`) or, failing that, its `parentKey`.
    pub fn from_fields(
        own: &QueueId,
        parent: Option<String>,
        parent_key: Option<String>,
    ) -> Option<Self> {
        let from_json = parent.and_then(|text| {
            let value: serde_json::Value = serde_json::from_str(&text).ok()?;
            let id = value.get("id")?.as_str()?.to_string();
            let queue = queue_from_queue_key(value.get("queueKey")?.as_str()?)?;
            (!id.is_empty()).then_some(Self { queue, id })
        });
        from_json.or_else(|| {
            let (queue, id) = job_from_key(&parent_key?, &own.prefix)?;
            Some(Self { queue, id })
        })
    }

    fn key(&self) -> String {
        self.queue.job(&self.id)
    }
}

/// The parents of a job, nearest first, and whether the chain went on past the limit.
pub async fn parent_chain(
    conn: &mut MultiplexedConnection,
    first: ParentLink,
    _limits: &ShowLimits,
) -> RedisResult<(Vec<JobRef>, bool)> {
    let mut parents = Vec::new();
    let mut seen = HashSet::new();
    let mut next = Some(first);
    while let Some(link) = next.take() {
        if parents.len() >= MAX_PARENTS {
            return Ok((parents, true));
        }
        if !seen.insert(link.key()) {
            break;
        }
        let mut job = probe_jobs(conn, &[(link.queue.clone(), link.id.clone())]).await?;
        let mut fields = read_fields(
            conn,
            &[FieldRequest::new(
                link.key(),
                &[
                    ("name", SMALL_FIELD),
                    ("parent", SMALL_FIELD),
                    ("parentKey", SMALL_FIELD),
                ],
            )],
        )
        .await?;
        let fields = fields.pop().unwrap_or_default();
        let text = |i: usize| fields.get(i).and_then(Field::text);
        let mut parent = job.pop().unwrap_or_default();
        parent.name = text(0);
        next = ParentLink::from_fields(&link.queue, text(1), text(2));
        parents.push(parent);
    }
    Ok((parents, false))
}

/// A job's state and identity (name not read), for each `(queue, id)`, in one round trip.
async fn probe_jobs(
    conn: &mut MultiplexedConnection,
    jobs: &[(QueueId, String)],
) -> RedisResult<Vec<JobRef>> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    for (queue, id) in jobs {
        pipe.cmd("TYPE").arg(queue.job(id));
        push_probe(&mut pipe, queue, id);
    }
    let replies: Vec<Value> = pipe.query_async(conn).await?;
    Ok(jobs
        .iter()
        .enumerate()
        .map(|(n, (queue, id))| {
            let at = n * (1 + PROBE_LEN);
            let slice = replies.get(at..at + 1 + PROBE_LEN).unwrap_or_default();
            let type_reply = slice.first().unwrap_or(&Value::Nil);
            let probe = parse_probe(slice.get(1..).unwrap_or_default());
            let state = if server_error(type_reply).is_some() || !probe.problems.is_empty() {
                "unreadable".to_string()
            } else if as_string(type_reply).as_deref() == Some("none") {
                "missing".to_string()
            } else {
                probe.state.to_string()
            };
            JobRef {
                key: queue.job(id),
                queue: queue.to_string(),
                id: id.clone(),
                name: None,
                state,
            }
        })
        .collect())
}

/// The four kinds of children, in the order they are shown.
const KINDS: [&str; 4] = ["unprocessed", "processed", "ignored", "failed"];

/// A job of the tree while it is read level by level (an arena: nodes point to their
/// parent and children by index).
struct Node {
    /// Where the job is, when its key could be split.
    queue: Option<QueueId>,
    id: String,
    /// Read its children: false for a key seen before (a cycle in garbage).
    follow: bool,
    parent: usize,
    job: JobRef,
    dependency: &'static str,
    return_value: Option<Payload>,
    failed_reason: Option<String>,
    children: Option<Children>,
    kids: Vec<usize>,
}

impl Node {
    fn key(&self) -> String {
        match &self.queue {
            Some(q) => q.job(&self.id),
            None => self.id.clone(),
        }
    }
}

/// The children of job `id` as a tree (`None` when it has none). Children below the depth
/// limit are counted, not listed (`truncated`).
pub async fn children_tree(
    conn: &mut MultiplexedConnection,
    queue: &QueueId,
    id: &str,
    limits: &ShowLimits,
    problems: &mut Vec<String>,
) -> RedisResult<Option<Children>> {
    let mut arena = vec![Node {
        queue: Some(queue.clone()),
        id: id.to_string(),
        follow: true,
        parent: 0,
        job: JobRef::default(),
        dependency: "",
        return_value: None,
        failed_reason: None,
        children: None,
        kids: Vec::new(),
    }];
    let mut seen: HashSet<String> = HashSet::from([queue.job(id)]);
    let mut frontier = vec![0usize];
    let per_kind = limits.max_children.min(10_000);
    for depth in 0..=limits.depth {
        let listing = depth < limits.depth && per_kind > 0;
        let parents: Vec<usize> = frontier
            .iter()
            .copied()
            .filter(|&n| arena[n].follow && arena[n].queue.is_some())
            .collect();
        if parents.is_empty() {
            break;
        }
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        for &n in &parents {
            let Some(q) = &arena[n].queue else { continue };
            let id = &arena[n].id;
            pipe.cmd("SCARD").arg(q.dependencies(id));
            pipe.cmd("HLEN").arg(q.processed(id));
            pipe.cmd("HLEN").arg(q.ignored_children(id));
            pipe.cmd("ZCARD").arg(q.unsuccessful(id));
            if listing {
                pipe.cmd("SRANDMEMBER")
                    .arg(q.dependencies(id))
                    .arg(per_kind);
                pipe.cmd("HRANDFIELD").arg(q.processed(id)).arg(per_kind);
                pipe.cmd("HRANDFIELD")
                    .arg(q.ignored_children(id))
                    .arg(per_kind);
                pipe.cmd("ZRANGE")
                    .arg(q.unsuccessful(id))
                    .arg(0)
                    .arg(per_kind - 1);
            }
        }
        let replies: Vec<Value> = pipe.query_async(conn).await?;
        let per_parent = if listing { 8 } else { 4 };
        let mut next = Vec::new();
        for (p, &n) in parents.iter().enumerate() {
            let slice = replies
                .get(p * per_parent..(p + 1) * per_parent)
                .unwrap_or_default();
            for reply in slice {
                if let Some(error) = server_error(reply) {
                    problems.push(format!("children of {}: {error}", arena[n].key()));
                }
            }
            let count = |k: usize| slice.get(k).and_then(as_i64).unwrap_or(0).max(0) as u64;
            let counts = [count(0), count(1), count(2), count(3)];
            let mut children = Children {
                unprocessed: counts[0],
                processed: counts[1],
                ignored: counts[2],
                failed: counts[3],
                ..Children::default()
            };
            if children.total() == 0 {
                continue;
            }
            if !listing {
                children.truncated = true;
                arena[n].children = Some(children);
                continue;
            }
            let own_prefix = arena[n]
                .queue
                .as_ref()
                .map(|q| q.prefix.clone())
                .unwrap_or_default();
            for (k, kind) in KINDS.iter().enumerate() {
                let mut keys: Vec<String> = slice
                    .get(4 + k)
                    .and_then(as_array)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(as_string)
                    .collect();
                keys.sort();
                if (keys.len() as u64) < counts[k] {
                    children.truncated = true;
                }
                for key in keys {
                    if arena.len() > limits.max_nodes {
                        children.truncated = true;
                        break;
                    }
                    let parsed = job_from_key(&key, &own_prefix);
                    let index = arena.len();
                    arena.push(Node {
                        queue: parsed.as_ref().map(|(q, _)| q.clone()),
                        id: parsed
                            .as_ref()
                            .map(|(_, id)| id.clone())
                            .unwrap_or_else(|| key.clone()),
                        // A key seen before (a cycle in garbage) is listed, not followed.
                        follow: seen.insert(key.clone()),
                        parent: n,
                        job: JobRef {
                            queue: parsed
                                .as_ref()
                                .map(|(q, _)| q.to_string())
                                .unwrap_or_default(),
                            id: parsed.map(|(_, id)| id).unwrap_or_else(|| key.clone()),
                            key,
                            name: None,
                            state: "unreadable".to_string(),
                        },
                        dependency: kind,
                        return_value: None,
                        failed_reason: None,
                        children: None,
                        kids: Vec::new(),
                    });
                    arena[n].kids.push(index);
                    next.push(index);
                }
            }
            arena[n].children = Some(children);
        }
        fill_children(conn, &mut arena, &next, limits).await?;
        frontier = next;
    }
    Ok(assemble(&mut arena, 0))
}

/// States, names, and what each child left in its parent (return value or reason): two
/// more round trips for the whole level.
async fn fill_children(
    conn: &mut MultiplexedConnection,
    arena: &mut [Node],
    nodes: &[usize],
    limits: &ShowLimits,
) -> RedisResult<()> {
    let readable: Vec<usize> = nodes
        .iter()
        .copied()
        .filter(|&n| arena[n].queue.is_some())
        .collect();
    let jobs: Vec<(QueueId, String)> = readable
        .iter()
        .filter_map(|&n| Some((arena[n].queue.clone()?, arena[n].id.clone())))
        .collect();
    let probed = probe_jobs(conn, &jobs).await?;
    let mut requests = Vec::new();
    for (&n, job) in readable.iter().zip(probed) {
        arena[n].job.state = job.state;
        requests.push(FieldRequest::new(arena[n].key(), &[("name", SMALL_FIELD)]));
    }
    let mut stored = Vec::new();
    for &n in nodes {
        let parent = &arena[arena[n].parent];
        let Some(q) = &parent.queue else { continue };
        let field = arena[n].job.key.as_str();
        let request = match arena[n].dependency {
            "processed" => {
                FieldRequest::new(q.processed(&parent.id), &[(field, limits.max_payload)])
            }
            "ignored" => FieldRequest::new(q.ignored_children(&parent.id), &[(field, SMALL_FIELD)]),
            _ => continue,
        };
        stored.push(n);
        requests.push(request);
    }
    let read = read_fields(conn, &requests).await?;
    for (&n, fields) in readable.iter().zip(&read) {
        arena[n].job.name = fields.first().and_then(Field::text);
    }
    for (&n, fields) in stored.iter().zip(read.iter().skip(readable.len())) {
        let field = fields.first().unwrap_or(&Field::Absent);
        if arena[n].dependency == "processed" {
            arena[n].return_value = Some(field.payload());
        } else {
            arena[n].failed_reason = match field {
                Field::TooLarge(size) => Some(format!("({size} bytes: not loaded)")),
                other => other.text(),
            };
        }
    }
    Ok(())
}

/// The tree below arena node `n`, built from the leaves up.
fn assemble(arena: &mut [Node], n: usize) -> Option<Children> {
    let mut children = arena[n].children.take()?;
    for kid in std::mem::take(&mut arena[n].kids) {
        let grandchildren = assemble(arena, kid);
        let node = &mut arena[kid];
        children.nodes.push(ChildNode {
            job: std::mem::take(&mut node.job),
            dependency: node.dependency,
            return_value: node.return_value.take(),
            failed_reason: node.failed_reason.take(),
            children: grandchildren,
        });
    }
    Some(children)
}

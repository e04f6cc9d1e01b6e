//! Workers from `CLIENT LIST`: BullMQ's only liveness signal is the connection itself
//! (bullmq-model.md §5).

use std::collections::BTreeMap;

use super::clients::{classify, ClientRole, NameForm};
use crate::model::{System, WorkerInfo, WorkerLibrary};
use crate::source::client_list::ClientEntry;

/// Worker names that qtop's own `qtop worker` processes use.
pub const QTOP_WORKER_NAME_PREFIX: &str = "qtop-";

/// One entry per worker instance. Node names only its blocking connection, so each named
/// connection is a worker (told apart by its client id: over a unix socket every address is
/// `path:0`). Python names all of a worker's connections alike; they are grouped by queue,
/// worker name and client host, and the group holds as many workers as it has blocking
/// connections (each Python Worker has one, and one more for its commands).
pub fn workers_from_clients(
    clients: &[ClientEntry],
    prefixes: &[String],
    is_known_queue: impl Fn(&str, &str) -> bool,
) -> Vec<WorkerInfo> {
    let mut grouped: BTreeMap<(String, String, String, String), Group> = BTreeMap::new();
    for client in clients {
        if client.name.is_empty() {
            continue;
        }
        let Some(bull) = classify(&client.name, prefixes, &is_known_queue) else {
            continue;
        };
        let ClientRole::Worker { name } = bull.role else {
            continue;
        };
        let name = name.unwrap_or_default();
        let library = match bull.form {
            NameForm::Plain => WorkerLibrary::Python,
            NameForm::Base64 if name.starts_with(QTOP_WORKER_NAME_PREFIX) => WorkerLibrary::Qtop,
            NameForm::Base64 => WorkerLibrary::Node,
        };
        let group = match library {
            WorkerLibrary::Python => host_of(&client.addr).to_string(),
            _ if client.id.is_empty() => client.addr.clone(),
            _ => format!("id {}", client.id),
        };
        let key = (bull.prefix.clone(), bull.queue.clone(), name.clone(), group);
        let blocking = is_blocking(&client.cmd);
        grouped
            .entry(key)
            .and_modify(|group| {
                let worker = &mut group.worker;
                worker.connections = Some(worker.connections.unwrap_or(0) + 1);
                worker.age_s = worker.age_s.max(client.age_s);
                worker.idle_s = worker.idle_s.min(Some(client.idle_s));
                group.blocking += u32::from(blocking);
            })
            .or_insert_with(|| Group {
                worker: WorkerInfo {
                    system: System::Bullmq,
                    prefix: bull.prefix,
                    queue: bull.queue,
                    name,
                    addr: client.addr.clone(),
                    age_s: client.age_s,
                    idle_s: Some(client.idle_s),
                    library,
                    connections: Some(1),
                    ..WorkerInfo::default()
                },
                blocking: u32::from(blocking),
            });
    }
    grouped
        .into_values()
        .flat_map(|group| {
            let worker = group.worker;
            if worker.library != WorkerLibrary::Python {
                return vec![worker];
            }
            // Python: its blocking connections count the workers; until they have blocked
            // once, two connections a worker.
            let count = if group.blocking > 0 {
                group.blocking
            } else {
                worker.connections.unwrap_or(1).div_ceil(2)
            }
            .max(1);
            let connections = worker.connections.map(|n| n.div_ceil(count));
            (0..count)
                .map(|_| WorkerInfo {
                    connections,
                    ..worker.clone()
                })
                .collect()
        })
        .collect()
}

struct Group {
    worker: WorkerInfo,
    /// Connections whose last command was a blocking pop.
    blocking: u32,
}

/// A worker's blocking fetch (`bzpopmin` on the marker in v5+, `brpoplpush`/`blmove` before).
fn is_blocking(cmd: &str) -> bool {
    matches!(
        cmd,
        "bzpopmin" | "brpoplpush" | "blmove" | "brpop" | "blpop" | "bzpopmax"
    )
}

/// `1.2.3.4:5678` → `1.2.3.4`, `[::1]:5678` → `[::1]`, a unix socket path stays whole.
fn host_of(addr: &str) -> &str {
    match addr.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => addr,
    }
}

/// Per queue, the workers of the node that lists the most of them (one list per node).
pub fn busiest_node_per_queue(lists: Vec<Vec<WorkerInfo>>) -> Vec<WorkerInfo> {
    if lists.len() == 1 {
        return lists.into_iter().next().unwrap_or_default();
    }
    let mut best: BTreeMap<(String, String), Vec<WorkerInfo>> = BTreeMap::new();
    for list in lists {
        let mut by_queue: BTreeMap<(String, String), Vec<WorkerInfo>> = BTreeMap::new();
        for worker in list {
            by_queue
                .entry((worker.prefix.clone(), worker.queue.clone()))
                .or_default()
                .push(worker);
        }
        for (queue, workers) in by_queue {
            let slot = best.entry(queue).or_default();
            if workers.len() > slot.len() {
                *slot = workers;
            }
        }
    }
    best.into_values().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(name: &str, addr: &str, idle: u64) -> ClientEntry {
        ClientEntry {
            name: name.to_string(),
            addr: addr.to_string(),
            age_s: 10,
            idle_s: idle,
            ..ClientEntry::default()
        }
    }

    fn conn(id: u32, name: &str, addr: &str, cmd: &str) -> ClientEntry {
        ClientEntry {
            id: id.to_string(),
            cmd: cmd.to_string(),
            ..client(name, addr, 0)
        }
    }

    #[test]
    fn workers_are_grouped_per_instance() {
        let clients = vec![
            client("bull:ZGVtbw==:w:a", "127.0.0.1:1000", 0),
            client("bull:ZGVtbw==:w:a", "127.0.0.1:1001", 2),
            client("bull:ZGVtbw==:w:qtop-host-42", "127.0.0.1:1002", 1),
            client("bull:ZGVtbw==:qe", "127.0.0.1:1003", 1),
            client("bull:demo:w:py", "10.0.0.5:2000", 5),
            client("bull:demo:w:py", "10.0.0.5:2001", 3),
            client("unrelated", "127.0.0.1:1004", 0),
            client("", "127.0.0.1:1005", 0),
        ];
        let prefixes = vec!["bull".to_string()];
        let workers = workers_from_clients(&clients, &prefixes, |_, q| q == "demo");
        assert_eq!(workers.len(), 4, "{workers:#?}");
        let python: Vec<_> = workers
            .iter()
            .filter(|w| w.library == WorkerLibrary::Python)
            .collect();
        // Two connections, none blocked yet: one Python worker.
        assert_eq!(python.len(), 1);
        assert_eq!(python[0].connections, Some(2));
        assert_eq!(python[0].idle_s, Some(3));
        assert_eq!(
            workers
                .iter()
                .filter(|w| w.library == WorkerLibrary::Qtop)
                .count(),
            1
        );
        assert!(workers.iter().all(|w| w.queue == "demo"));
    }

    #[test]
    fn workers_on_a_unix_socket_are_counted_one_by_one() {
        // Seen live: 5 Node workers of one name showed as 2, 3 unnamed Python worker
        // processes as 1, because every unix-socket client's address is `path:0`.
        let sock = "/tmp/r.sock:0";
        let mut clients: Vec<ClientEntry> = (1..=5)
            .map(|id| conn(id, "bull:ZGVtbw==:w:same", sock, "bzpopmin"))
            .collect();
        // Each Python worker: one connection for commands, one blocking (CLIENT LIST as
        // measured with bullmq 3.4.4).
        for id in 10..13 {
            clients.push(conn(id, "bull:demo", sock, "evalsha"));
            clients.push(conn(id + 10, "bull:demo", sock, "bzpopmin"));
        }
        let prefixes = vec!["bull".to_string()];
        let workers = workers_from_clients(&clients, &prefixes, |_, q| q == "demo");
        let count = |library| workers.iter().filter(|w| w.library == library).count();
        assert_eq!(count(WorkerLibrary::Node), 5, "{workers:#?}");
        assert_eq!(count(WorkerLibrary::Python), 3, "{workers:#?}");
    }

    #[test]
    fn hosts_are_taken_from_addresses() {
        assert_eq!(host_of("1.2.3.4:5678"), "1.2.3.4");
        assert_eq!(host_of("[::1]:5678"), "[::1]");
        assert_eq!(host_of("/tmp/redis.sock:0"), "/tmp/redis.sock");
    }

    #[test]
    fn on_a_cluster_each_queue_takes_the_node_listing_most_workers() {
        let worker = |queue: &str, name: &str, addr: &str| WorkerInfo {
            prefix: "{bull}".into(),
            queue: queue.into(),
            name: name.into(),
            addr: addr.into(),
            age_s: 1,
            idle_s: Some(0),
            library: WorkerLibrary::Node,
            connections: Some(1),
            ..WorkerInfo::default()
        };
        // One process seen on three nodes, and two processes seen on one node only.
        let lists = vec![
            vec![worker("a", "w1", "c:1"), worker("b", "x1", "c:4")],
            vec![
                worker("a", "w1", "c:2"),
                worker("b", "x1", "c:5"),
                worker("b", "x2", "c:6"),
            ],
            vec![worker("a", "w1", "c:3")],
        ];
        let merged = busiest_node_per_queue(lists);
        let names: Vec<(&str, &str)> = merged
            .iter()
            .map(|w| (w.queue.as_str(), w.name.as_str()))
            .collect();
        assert_eq!(names, [("a", "w1"), ("b", "x1"), ("b", "x2")]);
    }
}

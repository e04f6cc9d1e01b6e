//! The workers pane as data: every system's workers (BullMQ's connections from `CLIENT
//! LIST`, the processes of systems that write heartbeats), qtop heartbeats matched to their
//! connections, and workers that went away kept for a while so their disappearance is
//! visible.

use crate::model::{Heartbeat, PollReport, QueueKey, QueueReading, WorkerInfo, WorkerLibrary};

/// Whether CLIENT LIST could be read (BullMQ's workers are its connections).
pub use crate::model::ClientList as WorkersStatus;

/// A worker connection idle this long while its queue has nothing active and completes
/// nothing is probably stuck: an idle BullMQ worker re-issues its blocking pop every few
/// seconds. (A busy Node worker's named connection idles legitimately: it only blocks when
/// the queue is empty; so does a rate-limited one, which waits out the limiter instead.)
pub const STALE_IDLE_S: u64 = 60;
/// How long a vanished worker stays in the pane.
pub const VANISHED_KEEP_MS: i64 = 60_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerHealth {
    Ok,
    Stale,
    Vanished,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WorkerRow {
    /// Its system, prefix and (first) queue.
    pub key: QueueKey,
    /// Every queue it serves, where the system records them.
    pub queues: Vec<String>,
    pub name: String,
    pub addr: String,
    pub age_s: Option<u64>,
    pub idle_s: Option<u64>,
    pub library: WorkerLibrary,
    pub connections: Option<u32>,
    pub heartbeat: Option<Heartbeat>,
    /// Jobs running, capacity and heartbeat age, where the system knows them.
    pub busy: Option<u32>,
    pub concurrency: Option<u32>,
    pub beat_age_s: Option<f64>,
    /// The system's own word for its state (`quiet`, `suspended`…).
    pub state: Option<String>,
    pub health: WorkerHealth,
    pub last_seen_ms: i64,
    /// The worker as its system reported it (what a remote control is sent to); `None` for
    /// a qtop worker known only from its heartbeat.
    pub info: Option<WorkerInfo>,
}

impl WorkerRow {
    /// Whether it serves `key`'s queue.
    pub fn serves(&self, key: &QueueKey) -> bool {
        self.key.system == key.system
            && self.key.prefix == key.prefix
            && (self.key.name == key.name || self.queues.iter().any(|q| *q == key.name))
    }

    /// Whether it takes new jobs: not a quiet Sidekiq process, not a suspended RQ worker.
    pub fn fetches(&self) -> bool {
        crate::model::workers::state_fetches(self.state.as_deref())
    }

    fn identity(&self) -> (&QueueKey, &str, &str) {
        (&self.key, &self.name, &self.addr)
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct WorkersView {
    pub status: WorkersStatus,
    pub rows: Vec<WorkerRow>,
}

fn from_info(
    info: &WorkerInfo,
    heartbeat: Option<&Heartbeat>,
    queue_moving: bool,
    now_ms: i64,
) -> WorkerRow {
    let stale_beat = heartbeat.is_some_and(|h| h.is_stale(now_ms)) || info.stale;
    let stuck = info.idle_s.is_some_and(|idle| idle >= STALE_IDLE_S) && !queue_moving;
    let health = if stale_beat || stuck {
        WorkerHealth::Stale
    } else {
        WorkerHealth::Ok
    };
    WorkerRow {
        key: QueueKey::new(info.system, info.prefix.clone(), info.queue.clone()),
        queues: info.queues.clone(),
        name: info.name.clone(),
        addr: info.addr.clone(),
        age_s: Some(info.age_s),
        idle_s: info.idle_s,
        library: info.library,
        connections: info.connections,
        heartbeat: heartbeat.cloned(),
        // A qtop worker's connection: its heartbeat says what the connection cannot.
        busy: info
            .busy
            .or_else(|| heartbeat.map(|h| h.current.len() as u32)),
        concurrency: info.concurrency.or(heartbeat.map(|h| h.concurrency)),
        beat_age_s: info.beat_age_s.or_else(|| {
            heartbeat.map(|h| now_ms.saturating_sub(h.last_beat_ms).max(0) as f64 / 1000.0)
        }),
        state: info.state.clone(),
        health,
        last_seen_ms: now_ms,
        info: Some(info.clone()),
    }
}

fn from_heartbeat(key: &QueueKey, beat: &Heartbeat, now_ms: i64) -> WorkerRow {
    WorkerRow {
        key: key.clone(),
        queues: Vec::new(),
        name: beat.worker.clone(),
        addr: format!("{} pid {}", beat.host, beat.pid),
        age_s: (beat.started_ms > 0)
            .then(|| (now_ms.saturating_sub(beat.started_ms).max(0) / 1000) as u64),
        idle_s: None,
        library: WorkerLibrary::Qtop,
        connections: None,
        heartbeat: Some(beat.clone()),
        busy: Some(beat.current.len() as u32),
        concurrency: Some(beat.concurrency),
        beat_age_s: Some(now_ms.saturating_sub(beat.last_beat_ms).max(0) as f64 / 1000.0),
        state: None,
        health: if beat.is_stale(now_ms) {
            WorkerHealth::Stale
        } else {
            WorkerHealth::Ok
        },
        last_seen_ms: now_ms,
        info: None,
    }
}

impl WorkersView {
    /// The view after `report`, given the previous one (for workers that vanished).
    pub fn next(previous: &WorkersView, report: &PollReport) -> WorkersView {
        let queues: Vec<&QueueReading> = report.queues.iter().collect();
        Self::next_with(previous, report, &queues)
    }

    /// The same, where `queues` are the queues' latest readings (a report that leaves
    /// unchanged ones out does not have them all).
    pub fn next_with(
        previous: &WorkersView,
        report: &PollReport,
        queues: &[&QueueReading],
    ) -> WorkersView {
        let now_ms = report.taken_at_ms;
        let status = report.client_list.clone();
        let beat_for = |info: &WorkerInfo| {
            report
                .heartbeats
                .iter()
                .find(|(k, h)| {
                    k.system == info.system
                        && k.prefix == info.prefix
                        && k.name == info.queue
                        && h.worker == info.name
                })
                .map(|(_, h)| h)
        };
        // Jobs running or finishing in its queue: someone is working it.
        let moving = |info: &WorkerInfo| {
            queues
                .iter()
                .find(|q| info.serves(q.key.system, &q.key.prefix, &q.key.name))
                .is_some_and(|q| {
                    q.finished_in_interval > 0 || q.counts.is_some_and(|c| c.active_or_zero() > 0)
                })
        };
        let mut rows: Vec<WorkerRow> = report
            .workers
            .iter()
            .map(|info| from_info(info, beat_for(info), moving(info), now_ms))
            .collect();
        // qtop workers whose connection CLIENT LIST did not show (or could not list).
        for (key, beat) in &report.heartbeats {
            if !rows.iter().any(|r| &r.key == key && r.name == beat.worker) {
                rows.push(from_heartbeat(key, beat, now_ms));
            }
        }
        // A failed CLIENT LIST says nothing about which BullMQ workers left.
        let listed = status == WorkersStatus::Listed;
        for old in &previous.rows {
            if old.key.system.workers_from_client_list() && !listed {
                continue;
            }
            // A killed qtop worker's connection leaves CLIENT LIST before its heartbeat
            // expires: its heartbeat row is the same worker, not a second one.
            let gone = !rows.iter().any(|r| {
                r.identity() == old.identity()
                    || (old.library == WorkerLibrary::Qtop
                        && r.key == old.key
                        && r.name == old.name)
            });
            if gone && now_ms - old.last_seen_ms <= VANISHED_KEEP_MS {
                rows.push(WorkerRow {
                    health: WorkerHealth::Vanished,
                    ..old.clone()
                });
            }
        }
        rows.sort_by(|a, b| {
            (&a.key, &a.name, &a.addr, a.health == WorkerHealth::Vanished).cmp(&(
                &b.key,
                &b.name,
                &b.addr,
                b.health == WorkerHealth::Vanished,
            ))
        });
        WorkersView { status, rows }
    }

    /// Workers serving `key`'s queue, as `snapshot --json` counts them (quiet and suspended
    /// ones included: `resting_for` counts those); `None` when they cannot be listed (an ACL
    /// forbids CLIENT LIST, which BullMQ's workers are known from).
    pub fn count_for(&self, key: &QueueKey) -> Option<usize> {
        if key.system.workers_from_client_list() && self.status != WorkersStatus::Listed {
            return None;
        }
        // Live workers whose queues their system does not say (Celery's heartbeats carry
        // none) cannot be counted per queue: unknown, as `snapshot --json` says (null).
        let queues_unknown = !key.system.workers_from_client_list()
            && self.rows.iter().any(|r| {
                r.key.system == key.system
                    && r.health == WorkerHealth::Ok
                    && r.key.name.is_empty()
                    && r.queues.is_empty()
            });
        if queues_unknown {
            return None;
        }
        Some(
            self.rows
                .iter()
                .filter(|r| r.serves(key) && r.health != WorkerHealth::Vanished)
                .count(),
        )
    }
    /// Workers listed for `key`'s queue that fetch no jobs now (quiet, suspended).
    pub fn resting_for(&self, key: &QueueKey) -> usize {
        self.rows
            .iter()
            .filter(|r| r.serves(key) && r.health != WorkerHealth::Vanished && !r.fetches())
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::System;

    #[test]
    fn workers_whose_queues_are_unknown_make_the_count_unknown_not_zero() {
        let celery = |name: &str, queue: &str| WorkerInfo {
            system: System::Celery,
            name: name.into(),
            queue: queue.into(),
            ..WorkerInfo::default()
        };
        let key = QueueKey::new(System::Celery, "", "emails");
        let unknown = report(0, vec![celery("w1@h", "")]);
        let view = WorkersView::next(&WorkersView::default(), &unknown);
        assert_eq!(view.count_for(&key), None);
        let known = report(0, vec![celery("w1@h", "emails")]);
        let view = WorkersView::next(&WorkersView::default(), &known);
        assert_eq!(view.count_for(&key), Some(1));
    }

    fn info(name: &str, idle_s: u64) -> WorkerInfo {
        WorkerInfo {
            prefix: "bull".into(),
            queue: "q".into(),
            name: name.into(),
            addr: "127.0.0.1:5000".into(),
            age_s: 100,
            idle_s: Some(idle_s),
            library: WorkerLibrary::Node,
            connections: Some(2),
            ..WorkerInfo::default()
        }
    }

    fn report(t: i64, workers: Vec<WorkerInfo>) -> PollReport {
        PollReport {
            taken_at_ms: t,
            workers,
            ..PollReport::default()
        }
    }

    #[test]
    fn stale_and_vanished_workers_are_marked_then_forgotten() {
        let v1 = WorkersView::next(
            &WorkersView::default(),
            &report(0, vec![info("a", 1), info("b", 600)]),
        );
        let health: Vec<_> = v1.rows.iter().map(|r| r.health).collect();
        assert_eq!(health, vec![WorkerHealth::Ok, WorkerHealth::Stale]);
        let v2 = WorkersView::next(&v1, &report(1000, vec![info("b", 601)]));
        assert_eq!(v2.rows[0].name, "a");
        assert_eq!(v2.rows[0].health, WorkerHealth::Vanished);
        assert_eq!(v2.count_for(&v2.rows[0].key), Some(1));
        let v3 = WorkersView::next(&v2, &report(61_001, vec![info("b", 601)]));
        assert_eq!(v3.rows.len(), 1);
    }

    #[test]
    fn heartbeats_attach_to_their_connection_or_stand_alone() {
        let key = QueueKey::bullmq("bull", "q");
        let beat = |worker: &str, last: i64| Heartbeat {
            worker: worker.into(),
            concurrency: 4,
            last_beat_ms: last,
            beat_ms: 1000,
            ..Heartbeat::default()
        };
        let mut r = report(
            10_000,
            vec![WorkerInfo {
                library: WorkerLibrary::Qtop,
                ..info("qtop-h-1", 0)
            }],
        );
        r.heartbeats = vec![
            (key.clone(), beat("qtop-h-1", 9_500)),
            (key, beat("qtop-h-2", 1_000)),
        ];
        let v = WorkersView::next(&WorkersView::default(), &r);
        assert_eq!(v.rows.len(), 2);
        assert_eq!(v.rows[0].heartbeat.as_ref().map(|h| h.concurrency), Some(4));
        assert_eq!(v.rows[0].health, WorkerHealth::Ok);
        assert_eq!(v.rows[1].health, WorkerHealth::Stale);
        assert_eq!(v.rows[1].library, WorkerLibrary::Qtop);
    }

    #[test]
    fn a_killed_qtop_worker_is_one_row_while_its_heartbeat_lives() {
        let key = QueueKey::bullmq("bull", "q");
        let qtop = WorkerInfo {
            library: WorkerLibrary::Qtop,
            ..info("qtop-h-1", 0)
        };
        let beat = Heartbeat {
            worker: "qtop-h-1".into(),
            last_beat_ms: 1_000,
            beat_ms: 1000,
            ..Heartbeat::default()
        };
        let mut listed = report(1_000, vec![qtop]);
        listed.heartbeats = vec![(key.clone(), beat.clone())];
        let before = WorkersView::next(&WorkersView::default(), &listed);
        // Killed: gone from CLIENT LIST, its heartbeat still there (stale soon).
        let mut killed = report(5_000, vec![]);
        killed.heartbeats = vec![(key, beat)];
        let after = WorkersView::next(&before, &killed);
        assert_eq!(after.rows.len(), 1, "{:#?}", after.rows);
        assert_eq!(after.rows[0].health, WorkerHealth::Stale);
    }
}

//! Celery workers as their heartbeats describe them, and the tasks they finished since the
//! last poll, placed in queues where that can be known.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use super::events::{Drained, WorkerBeat};
use crate::model::{System, WorkerInfo, WorkerLibrary};

/// A worker for the report. `queue`: the one queue it serves, where that is known (a single
/// Celery queue on this broker).
pub fn worker_info(beat: &WorkerBeat, queue: Option<&str>, now: Instant) -> WorkerInfo {
    let beat_age_s = now.saturating_duration_since(beat.last_beat).as_secs_f64();
    let stale = beat_age_s > beat.expires_after_s();
    let host = beat
        .hostname
        .split_once('@')
        .map_or(beat.hostname.as_str(), |(_, host)| host);
    WorkerInfo {
        system: System::Celery,
        prefix: String::new(),
        queue: queue.unwrap_or_default().to_string(),
        queues: queue.map(|q| vec![q.to_string()]).unwrap_or_default(),
        name: beat.hostname.clone(),
        addr: host.to_string(),
        // Heartbeats carry no start time: seconds since qtop first heard it.
        age_s: now.saturating_duration_since(beat.first_seen).as_secs(),
        library: WorkerLibrary::Celery,
        busy: beat.active,
        beat_age_s: Some((beat_age_s * 10.0).round() / 10.0),
        host: Some(host.to_string()),
        pid: beat.pid,
        state: beat
            .active
            .map(|n| if n > 0 { "busy" } else { "idle" }.to_string()),
        stale,
        processed: beat.processed,
        loadavg: beat.loadavg.clone(),
        ..WorkerInfo::default()
    }
}

/// Tasks that finished in one interval, for one queue.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Finished {
    pub succeeded: u64,
    pub failed: u64,
    pub runtimes_ms: Vec<u64>,
}

/// What qtop learned of where tasks come from: by task id (messages seen at a list's head
/// or in `unacked`), by task name (`None`: seen in several queues).
#[derive(Debug, Default)]
pub struct Origins {
    pub by_id: HashMap<String, String>,
    pub by_name: HashMap<String, Option<String>>,
}

/// Task ids remembered with their queue.
const MAX_IDS: usize = 100_000;

impl Origins {
    pub fn learn(&mut self, id: Option<&str>, name: Option<&str>, queue: &str) {
        if let Some(id) = id {
            if self.by_id.len() >= MAX_IDS {
                self.by_id.clear();
            }
            self.by_id.insert(id.to_string(), queue.to_string());
        }
        if let Some(name) = name {
            match self.by_name.get(name) {
                None => {
                    self.by_name
                        .insert(name.to_string(), Some(queue.to_string()));
                }
                Some(Some(known)) if known != queue => {
                    self.by_name.insert(name.to_string(), None);
                }
                _ => {}
            }
        }
    }

    fn by_name(&self, name: Option<&String>) -> Option<String> {
        name.and_then(|n| self.by_name.get(n).cloned().flatten())
    }
}

/// Place drained task events in queues: the only queue there is; else the queue qtop saw
/// the task's message in; else the one queue its task name was seen in. Returns the
/// per-queue figures and how many could not be placed.
pub fn place(
    drained: Drained,
    queues: &[String],
    origins: &mut Origins,
) -> (BTreeMap<String, Finished>, u64) {
    let only = match queues {
        [one] => Some(one.clone()),
        _ => None,
    };
    let mut placed: BTreeMap<String, Finished> = BTreeMap::new();
    let mut unplaced = 0;
    for task in drained.finished {
        let queue = only
            .clone()
            .or_else(|| origins.by_id.remove(&task.id))
            .or_else(|| origins.by_name(task.name.as_ref()));
        let Some(queue) = queue else {
            unplaced += 1;
            continue;
        };
        let finished = placed.entry(queue).or_default();
        if task.failed {
            finished.failed += 1;
        } else {
            finished.succeeded += 1;
        }
        finished.runtimes_ms.extend(task.runtime_ms);
    }
    for (name, counts) in drained.overflow {
        match only.clone().or_else(|| origins.by_name(name.as_ref())) {
            Some(queue) => {
                let finished = placed.entry(queue).or_default();
                finished.succeeded += counts.succeeded;
                finished.failed += counts.failed;
            }
            None => unplaced += counts.succeeded + counts.failed,
        }
    }
    (placed, unplaced)
}

/// Tasks the workers' pools accepted since the last poll, from their `processed` counters
/// (a restarted worker starts again from 0; a new worker is a baseline).
/// Workers whose pools took tasks since `last` (their `processed` grew) while they sent
/// no task event within `quiet`: started without `-E`, their tasks are in no task event.
pub fn silent_workers(
    last: &HashMap<String, u64>,
    beats: &BTreeMap<String, WorkerBeat>,
    now: Instant,
    quiet: std::time::Duration,
) -> Vec<String> {
    beats
        .iter()
        .filter(|(host, beat)| {
            let took = match (last.get(*host), beat.processed) {
                (Some(before), Some(now)) => now > *before,
                _ => false,
            };
            let sends = beat
                .task_events_at
                .is_some_and(|at| now.saturating_duration_since(at) < quiet);
            took && !sends
        })
        .map(|(host, _)| host.clone())
        .collect()
}

/// The workers counted as silent now: those `taking` tasks without task events in this
/// poll, and those seen so within `quiet` that have sent no task event since. A worker's
/// `processed` moves only with its heartbeat (every 2 s), so most polls between two beats
/// see no growth: without memory a silent worker was named, then forgotten, poll after
/// poll, and the rates flipped between counted and estimated.
pub fn remember_silent(
    seen: &mut BTreeMap<String, Instant>,
    taking: Vec<String>,
    beats: &BTreeMap<String, WorkerBeat>,
    now: Instant,
    quiet: std::time::Duration,
) -> Vec<String> {
    for host in taking {
        seen.insert(host, now);
    }
    seen.retain(|host, at| {
        beats.get(host).is_some_and(|beat| {
            let sent_since = beat.task_events_at.is_some_and(|events| events > *at);
            !sent_since && now.saturating_duration_since(*at) < quiet
        })
    });
    seen.keys().cloned().collect()
}

pub fn processed_since(
    last: &mut HashMap<String, u64>,
    beats: &BTreeMap<String, WorkerBeat>,
) -> u64 {
    let mut taken = 0;
    for (host, beat) in beats {
        let Some(now) = beat.processed else { continue };
        if let Some(before) = last.insert(host.clone(), now) {
            taken += if now >= before { now - before } else { now };
        }
    }
    last.retain(|host, _| beats.contains_key(host));
    taken
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::celery::events::{FinishedTask, TaskCounts};
    use std::time::Duration;

    fn beat(host: &str, active: u32, processed: u64, at: Instant) -> WorkerBeat {
        WorkerBeat {
            hostname: host.to_string(),
            pid: Some(42),
            active: Some(active),
            processed: Some(processed),
            loadavg: vec![],
            freq: 2.0,
            sw_ver: None,
            last_beat: at,
            first_seen: at,
            task_events_at: None,
        }
    }

    #[test]
    fn a_silent_worker_stays_named_between_its_beats_until_it_sends_events_or_rests() {
        let t0 = Instant::now();
        let quiet = Duration::from_secs(10);
        let mut beats: BTreeMap<String, WorkerBeat> =
            [("quiet@vm".to_string(), beat("quiet@vm", 1, 7, t0))].into();
        let mut seen = BTreeMap::new();
        let at = |s: u64| t0 + Duration::from_secs(s);
        assert_eq!(
            remember_silent(&mut seen, vec!["quiet@vm".into()], &beats, at(0), quiet),
            ["quiet@vm"]
        );
        // The next polls see no growth (no beat yet): still silent.
        assert_eq!(
            remember_silent(&mut seen, vec![], &beats, at(1), quiet),
            ["quiet@vm"]
        );
        // Taking no task for `quiet`: no longer counted as missing tasks.
        assert!(remember_silent(&mut seen, vec![], &beats, at(10), quiet).is_empty());
        // Named again, then it sends task events (restarted with -E): exact again.
        remember_silent(&mut seen, vec!["quiet@vm".into()], &beats, at(11), quiet);
        if let Some(beat) = beats.get_mut("quiet@vm") {
            beat.task_events_at = Some(at(12));
        }
        assert!(remember_silent(&mut seen, vec![], &beats, at(13), quiet).is_empty());
        // A worker gone from the beats is forgotten.
        remember_silent(&mut seen, vec!["quiet@vm".into()], &beats, at(14), quiet);
        assert!(remember_silent(&mut seen, vec![], &BTreeMap::new(), at(15), quiet).is_empty());
    }

    #[test]
    fn a_worker_taking_tasks_without_task_events_is_silent() {
        let t0 = Instant::now();
        let mut with_events = beat("ev@vm", 1, 10, t0);
        with_events.task_events_at = Some(t0);
        let beats: BTreeMap<String, WorkerBeat> = [
            ("ev@vm".to_string(), with_events),
            ("quiet@vm".to_string(), beat("quiet@vm", 1, 7, t0)),
            ("idle@vm".to_string(), beat("idle@vm", 0, 3, t0)),
        ]
        .into();
        let last: HashMap<String, u64> = [
            ("ev@vm".to_string(), 4),
            ("quiet@vm".to_string(), 5),
            ("idle@vm".to_string(), 3),
        ]
        .into();
        let quiet = Duration::from_secs(10);
        assert_eq!(silent_workers(&last, &beats, t0, quiet), ["quiet@vm"]);
        // Never read before: nothing to compare yet.
        assert!(silent_workers(&HashMap::new(), &beats, t0, quiet).is_empty());
        // Events long ago count as none.
        let later = t0 + Duration::from_secs(30);
        assert_eq!(
            silent_workers(&last, &beats, later, quiet),
            ["ev@vm", "quiet@vm"]
        );
    }

    #[test]
    fn a_worker_is_stale_after_celerys_expiry() {
        let t0 = Instant::now();
        let worker = worker_info(
            &beat("w1@vm", 2, 9, t0),
            Some("celery"),
            t0 + Duration::from_secs(3),
        );
        assert!(!worker.stale);
        assert_eq!(worker.busy, Some(2));
        assert_eq!(worker.host.as_deref(), Some("vm"));
        assert!(worker.serves(System::Celery, "", "celery"));
        let late = worker_info(&beat("w1@vm", 2, 9, t0), None, t0 + Duration::from_secs(5));
        assert!(late.stale);
        assert_eq!(late.queue, "");
    }

    #[test]
    fn events_go_to_the_only_queue_else_by_task_id_else_by_name() {
        let task = |id: &str, name: Option<&str>, failed: bool| FinishedTask {
            id: id.to_string(),
            name: name.map(str::to_string),
            failed,
            runtime_ms: (!failed).then_some(10),
        };
        let drained = || Drained {
            finished: vec![
                task("1", Some("a"), false),
                task("2", Some("a"), true),
                task("3", Some("b"), false),
                task("4", None, false),
            ],
            overflow: BTreeMap::from([(
                Some("a".to_string()),
                TaskCounts {
                    succeeded: 2,
                    failed: 0,
                },
            )]),
        };
        let one = vec!["celery".to_string()];
        let (placed, unplaced) = place(drained(), &one, &mut Origins::default());
        assert_eq!(placed["celery"].succeeded, 5);
        assert_eq!(placed["celery"].failed, 1);
        assert_eq!(unplaced, 0);

        let two = vec!["celery".to_string(), "low".to_string()];
        let mut origins = Origins::default();
        origins.learn(Some("3"), Some("b"), "low");
        origins.learn(Some("x"), Some("b"), "celery");
        origins.learn(Some("4"), None, "celery");
        origins.learn(None, Some("a"), "low");
        let (placed, unplaced) = place(drained(), &two, &mut origins);
        // a: by name (low); 3: by id although b is ambiguous; 4: by id.
        assert_eq!(placed["low"].succeeded, 4);
        assert_eq!(placed["low"].failed, 1);
        assert_eq!(placed["low"].runtimes_ms, vec![10, 10]);
        assert_eq!(placed["celery"].succeeded, 1);
        assert_eq!(unplaced, 0);
        assert!(!origins.by_id.contains_key("3"), "placed ids are forgotten");
    }

    #[test]
    fn processed_counters_survive_restarts() {
        let t0 = Instant::now();
        let mut last = HashMap::new();
        let mut beats = BTreeMap::new();
        beats.insert("w1".to_string(), beat("w1", 0, 10, t0));
        assert_eq!(processed_since(&mut last, &beats), 0, "baseline");
        beats.insert("w1".to_string(), beat("w1", 0, 15, t0));
        beats.insert("w2".to_string(), beat("w2", 0, 100, t0));
        assert_eq!(processed_since(&mut last, &beats), 5);
        beats.insert("w1".to_string(), beat("w1", 0, 2, t0));
        assert_eq!(processed_since(&mut last, &beats), 2, "w1 restarted");
    }
}

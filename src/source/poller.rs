//! The monitor's poll: one shared connection, one reader per queue system, one report.
//!
//! Each system's reader adds its queues, workers and heartbeats to the poll's report in a
//! small constant number of pipelined round trips of its own, however many queues it has;
//! a system that is not present costs nothing after discovery. Readers never write.
//!
//! Adding a system: a reader under `source/<system>/` with `discover`, `discovery_step`,
//! `read_events` (if it tails anything between polls) and `poll(conn, report)`, and one
//! line in each method below.

use std::time::Instant;

use super::bullmq::{BullReader, QueueId};
use super::celery::CeleryReader;
use super::config::PollerConfig;
use super::conn::Conn;
use super::connect::{ConnectError, RedisTarget};
use super::rq::RqReader;
use super::sidekiq::SidekiqReader;
use crate::model::{PollReport, PollStats, System};

pub struct Poller {
    conn: Conn,
    bullmq: Option<BullReader>,
    sidekiq: Option<SidekiqReader>,
    rq: Option<RqReader>,
    celery: Option<CeleryReader>,
}

impl Poller {
    pub fn new(target: RedisTarget, config: PollerConfig) -> Self {
        let conn = Conn::new(target, config.timeout);
        Self {
            bullmq: config
                .reads(System::Bullmq)
                .then(|| BullReader::new(config.clone())),
            sidekiq: config
                .reads(System::Sidekiq)
                .then(|| SidekiqReader::new(config.clone())),
            rq: config
                .reads(System::Rq)
                .then(|| RqReader::new(config.clone())),
            celery: config
                .reads(System::Celery)
                .then(|| CeleryReader::new(config.clone())),
            conn,
        }
    }

    pub fn target(&self) -> &RedisTarget {
        self.conn.target()
    }

    pub fn redis_version(&self) -> &str {
        self.conn.redis_version()
    }

    pub fn is_connected(&self) -> bool {
        self.conn.is_connected()
    }

    /// The BullMQ queues found so far.
    pub fn queue_ids(&self) -> impl Iterator<Item = &QueueId> {
        self.bullmq.iter().flat_map(BullReader::queue_ids)
    }

    /// Connect (or reconnect); every reader discovers again on the next poll.
    pub async fn connect(&mut self) -> Result<(), ConnectError> {
        self.conn.connect().await?;
        if let Some(reader) = self.bullmq.as_mut() {
            reader.reconnected();
        }
        if let Some(reader) = self.sidekiq.as_mut() {
            reader.reconnected();
        }
        if let Some(reader) = self.rq.as_mut() {
            reader.reconnected();
        }
        if let Some(reader) = self.celery.as_mut() {
            reader.reconnected();
        }
        Ok(())
    }

    /// Drop the connection after an error so the next call reconnects.
    pub fn disconnect(&mut self) {
        self.conn.disconnect();
    }

    /// Find every queue of every system now (used at (re)connection; later passes run a
    /// step at a time between polls).
    pub async fn discover(&mut self) -> Result<(), ConnectError> {
        if let Some(reader) = self.bullmq.as_mut() {
            reader.discover(&mut self.conn).await?;
        }
        if let Some(reader) = self.sidekiq.as_mut() {
            reader.discover(&mut self.conn).await?;
        }
        if let Some(reader) = self.rq.as_mut() {
            reader.discover(&mut self.conn).await?;
        }
        if let Some(reader) = self.celery.as_mut() {
            reader.discover(&mut self.conn).await?;
        }
        Ok(())
    }

    /// Advance the periodic discovery passes by one step (called between polls).
    pub async fn discovery_step(&mut self) -> Result<(), ConnectError> {
        if let Some(reader) = self.bullmq.as_mut() {
            reader.discovery_step(&mut self.conn).await?;
        }
        if let Some(reader) = self.sidekiq.as_mut() {
            reader.discovery_step(&mut self.conn).await?;
        }
        if let Some(reader) = self.rq.as_mut() {
            reader.discovery_step(&mut self.conn).await?;
        }
        if let Some(reader) = self.celery.as_mut() {
            reader.discovery_step(&mut self.conn).await?;
        }
        Ok(())
    }

    /// Start a discovery pass now (advanced by [`Self::discovery_step`]): `snapshot` and
    /// `advise` look for queues created during their window.
    pub fn begin_discovery_pass(&mut self) {
        if let Some(reader) = self.bullmq.as_mut() {
            reader.begin_pass();
        }
        if let Some(reader) = self.celery.as_mut() {
            reader.begin_pass();
        }
    }

    /// Finish the discovery pass under way.
    pub async fn finish_discovery_pass(&mut self) -> Result<(), ConnectError> {
        if let Some(reader) = self.bullmq.as_mut() {
            reader.finish_pass(&mut self.conn).await?;
        }
        if let Some(reader) = self.celery.as_mut() {
            reader.finish_pass(&mut self.conn).await?;
        }
        Ok(())
    }

    /// One-shot commands: wait until systems heard only through events (Celery's
    /// heartbeats) have had time to be heard, so that one more poll lists their workers.
    /// Returns whether it waited.
    pub async fn settle(&mut self) -> bool {
        match self.celery.as_ref().and_then(CeleryReader::settle_left) {
            Some(left) => {
                tokio::time::sleep(left).await;
                true
            }
            None => false,
        }
    }

    /// Between polls: read what must not wait for the next poll (busy events streams).
    pub async fn read_events(&mut self) -> Result<(), ConnectError> {
        if let Some(reader) = self.bullmq.as_mut() {
            reader.read_events(&mut self.conn).await?;
        }
        Ok(())
    }

    /// One full poll of every system. Reconnects and rediscovers as needed.
    pub async fn poll(&mut self) -> Result<PollReport, ConnectError> {
        if !self.conn.is_connected() {
            self.connect().await?;
        }
        if self
            .bullmq
            .as_ref()
            .is_some_and(BullReader::needs_discovery)
            || self
                .sidekiq
                .as_ref()
                .is_some_and(SidekiqReader::needs_discovery)
            || self.rq.as_ref().is_some_and(RqReader::needs_discovery)
            || self
                .celery
                .as_ref()
                .is_some_and(CeleryReader::needs_discovery)
        {
            self.discover().await?;
        }
        // Discovery is periodic background work: its cost is not part of the poll's.
        self.conn.take_cost();
        let started = Instant::now();
        let mut report = PollReport::default();
        if let Some(reader) = self.bullmq.as_mut() {
            reader.poll(&mut self.conn, &mut report).await?;
        }
        if let Some(reader) = self.sidekiq.as_mut() {
            reader.poll(&mut self.conn, &mut report).await?;
        }
        if let Some(reader) = self.rq.as_mut() {
            reader.poll(&mut self.conn, &mut report).await?;
        }
        if let Some(reader) = self.celery.as_mut() {
            reader.poll(&mut self.conn, &mut report).await?;
        }
        let cost = self.conn.take_cost();
        report.taken_at_ms = chrono::Utc::now().timestamp_millis();
        report.redis_version = self.conn.redis_version().to_string();
        report.poll = PollStats {
            round_trips: cost.round_trips,
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            commands: cost.commands,
            largest_pipeline: cost.largest,
        };
        report.cluster = self.conn.cluster_reading();
        self.conn.remember_nodes();
        self.conn.release_spare();
        Ok(report)
    }
}

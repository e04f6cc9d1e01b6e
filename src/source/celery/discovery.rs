//! Finding Celery and its queues: three EXISTS while it is absent (every 5 s between
//! polls), then SCAN `_kombu.binding.*` a step at a time and read the binding sets found
//! (each member `routing_key SEP pattern SEP queue`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use super::keys;
use super::reader::{CeleryReader, ScanPass, ABSENT_RECHECK, FIRST_PASS_STEPS, SCAN_COUNT};
use crate::source::conn::Conn;
use crate::source::connect::ConnectError;
use crate::source::value::{as_array, as_i64, as_string};

impl CeleryReader {
    /// Whether Celery is here (its default bindings), and its queues when it is.
    pub async fn discover(&mut self, conn: &mut Conn) -> Result<(), ConnectError> {
        self.checked_at = Some(Instant::now());
        if conn.is_cluster() {
            // kombu's Redis transport does not run on a Redis Cluster.
            self.present = false;
            return Ok(());
        }
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        pipe.cmd("EXISTS")
            .arg(keys::DEFAULT_BINDING)
            .arg(keys::PIDBOX_BINDING)
            .arg(keys::EVENTS_BINDING);
        pipe.cmd("HLEN").arg(keys::UNACKED);
        let replies = conn.run(&pipe).await?;
        let found = replies.first().and_then(as_i64).unwrap_or(0) > 0;
        self.unacked.len = replies.get(1).and_then(as_i64).map(|n| n.max(0) as u64);
        self.present = found || self.present;
        if self.present && self.last_pass_at.is_none() {
            self.pass = Some(ScanPass::default());
            for _ in 0..FIRST_PASS_STEPS {
                if self.pass.is_none() {
                    break;
                }
                self.scan_step(conn).await?;
            }
        }
        Ok(())
    }

    /// Between polls: look for an absent Celery every 5 s; advance the periodic pass over
    /// the binding sets by one SCAN step.
    pub async fn discovery_step(&mut self, conn: &mut Conn) -> Result<(), ConnectError> {
        if !self.present {
            if self
                .checked_at
                .is_none_or(|at| at.elapsed() >= ABSENT_RECHECK)
            {
                self.discover(conn).await?;
            }
            return Ok(());
        }
        if self.pass.is_none()
            && self
                .last_pass_at
                .is_none_or(|at| at.elapsed() >= self.config.discovery_every)
        {
            self.pass = Some(ScanPass::default());
        }
        if self.pass.is_some() {
            self.scan_step(conn).await?;
        }
        Ok(())
    }

    /// One SCAN step over `_kombu.binding.*`; at the end of the pass, read the sets found.
    async fn scan_step(&mut self, conn: &mut Conn) -> Result<(), ConnectError> {
        let Some(pass) = self.pass.as_mut() else {
            return Ok(());
        };
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        pipe.cmd("SCAN")
            .arg(pass.cursor)
            .arg("MATCH")
            .arg(format!("{}*", keys::BINDING_PREFIX))
            .arg("COUNT")
            .arg(SCAN_COUNT);
        let replies = conn.run(&pipe).await?;
        let reply = replies.first().and_then(as_array).unwrap_or_default();
        let cursor = reply.first().and_then(as_i64).unwrap_or(0);
        for key in reply.get(1).and_then(as_array).unwrap_or_default() {
            if let Some(key) = as_string(key) {
                if keys::binding_exchange(&key).is_some_and(|e| !keys::is_plumbing_exchange(e)) {
                    pass.found.insert(key);
                }
            }
        }
        pass.cursor = cursor.max(0) as u64;
        if cursor <= 0 {
            let found = self.pass.take().map(|p| p.found).unwrap_or_default();
            self.read_bindings(conn, found).await?;
            self.last_pass_at = Some(Instant::now());
        }
        Ok(())
    }

    async fn read_bindings(
        &mut self,
        conn: &mut Conn,
        mut found: BTreeSet<String>,
    ) -> Result<(), ConnectError> {
        found.insert(keys::DEFAULT_BINDING.to_string());
        let found: Vec<String> = found.into_iter().collect();
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        for key in &found {
            pipe.cmd("SMEMBERS").arg(key);
        }
        let replies = conn.run(&pipe).await?;
        let mut routes = BTreeMap::new();
        for (key, reply) in found.iter().zip(&replies) {
            let Some(exchange) = keys::binding_exchange(key) else {
                continue;
            };
            for member in as_array(reply).unwrap_or_default() {
                let Some(member) = as_string(member) else {
                    continue;
                };
                if let Some((routing_key, queue)) = keys::parse_binding(&member) {
                    if !keys::is_plumbing_queue(queue) {
                        routes.insert(
                            (exchange.to_string(), routing_key.to_string()),
                            queue.to_string(),
                        );
                    }
                }
            }
        }
        let names: BTreeSet<String> = routes
            .values()
            .filter(|q| self.config.queues.is_empty() || self.config.queues.contains(q))
            .cloned()
            .collect();
        self.routes = routes;
        self.queues.retain(|name, _| names.contains(name));
        for name in names {
            self.queues.entry(name).or_default();
        }
        Ok(())
    }

    /// Start a pass over the binding sets now (`snapshot` looks for queues created during
    /// its window).
    pub fn begin_pass(&mut self) {
        if self.present && self.pass.is_none() {
            self.pass = Some(ScanPass::default());
        }
    }

    /// Finish the pass under way (bounded, as a first discovery).
    pub async fn finish_pass(&mut self, conn: &mut Conn) -> Result<(), ConnectError> {
        for _ in 0..FIRST_PASS_STEPS {
            if self.pass.is_none() {
                break;
            }
            self.scan_step(conn).await?;
        }
        Ok(())
    }
}

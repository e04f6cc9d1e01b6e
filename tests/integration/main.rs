//! Tests against real parts, in one binary (each test binary links tokio, redis, ratatui
//! and rustls; one binary per file meant 31 such links): a private redis-server
//! per test, the real `qtop` binary, the real BullMQ packages (Node, Python). Each test
//! takes seconds. The slow suites (clusters, demo worker pools, tmux screens) are in
//! `tests/e2e`; the tests without any process in `tests/offline`.
//!
//! A new test file goes beside this one and gets its `mod` line below
//! (`offline::layout` fails on a test file that no binary declares).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;

mod advise;
mod bullmq_truth;
mod celery;
mod celery_priority;
mod connect_errors;
mod dedup_rates;
mod discovery;
mod dlq;
mod dlq_retry_set;
mod exporter;
mod faults_data;
mod faults_source;
mod harness;
mod jobs;
mod lean_events;
mod lean_tls;
mod legacy_layouts;
mod many_queues;
mod monitor_bullmq;
mod monitor_tolerance;
mod python_interop;
mod read_only;
mod rq;
mod rq_layouts;
mod sidekiq;
mod tls;
mod toolbox;
mod unchanged_readings;

//! The slow suites, one binary: whole systems of real processes (Redis Clusters of six
//! nodes, `qtop demo` with its worker pool, the dashboard in a real terminal under tmux),
//! each test running for seconds to a minute.
//!
//! A new test file goes beside this one and gets its `mod` line below
//! (`offline::layout` fails on a test file that no binary declares).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;

mod cluster;
mod cluster_harness;
mod dashboard_e2e;
mod demo_autoscale;
mod demo_e2e;
mod demo_engine;
mod demo_hygiene;
mod demo_interop;
mod demo_workarounds;
mod demo_workers;
mod dlq_pane_e2e;
mod faults_demo_restart;
mod jobs_pane_e2e;
mod terminal_restore;
mod toolbox_tty;
mod workers_pane_e2e;

//! Tests that start no process and touch no Redis, one binary: whole screens rendered from
//! a fixed state (insta snapshots in `snapshots/`), the parsers against random input, the
//! lean RESP reader against redis-rs's parser, the JSON schemas against qtop's own output
//! types, the import graph of src/ (architecture), and the layout of the test binaries.
//! All of it runs in seconds.
//!
//! A new test file goes beside this one and gets its `mod` line below (`layout` fails on a
//! test file that no binary declares).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../common/mod.rs"]
mod common;

mod architecture;
mod dashboard_render;
mod demo_render;
mod dlq_render;
mod jobs_render;
mod json_contract;
mod layout;
mod mixed_render;
mod parsers_random;
mod resp_differential;

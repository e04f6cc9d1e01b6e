//! One file per subcommand that runs without a terminal UI.

pub mod advise;
pub mod config;
pub mod demo;
pub mod dlq;
pub mod produce;
pub mod progress;
pub mod shell;
pub mod snapshot;
pub mod worker;

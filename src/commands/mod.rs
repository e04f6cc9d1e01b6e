//! One file per subcommand that runs without a terminal UI.

pub mod advise;
pub mod dlq;
mod dlq_export;
pub mod snapshot;

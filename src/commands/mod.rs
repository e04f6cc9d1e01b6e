//! One file per subcommand that runs without a terminal UI.

pub mod snapshot;

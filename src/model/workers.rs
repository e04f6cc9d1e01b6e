//! Connected workers, one entry per worker instance.

use serde::Serialize;

/// Which library a worker runs on, as far as its connection tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkerLibrary {
    /// Node bullmq (or another client that base64-encodes the queue name).
    Node,
    Python,
    /// qtop's own worker (`qtop worker`), recognised by its name.
    Qtop,
}

impl WorkerLibrary {
    pub fn label(self) -> &'static str {
        match self {
            Self::Node => "node",
            Self::Python => "python",
            Self::Qtop => "qtop",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WorkerInfo {
    pub prefix: String,
    pub queue: String,
    /// The worker's name, or `""` when it set none.
    pub name: String,
    pub addr: String,
    pub age_s: u64,
    pub idle_s: u64,
    pub library: WorkerLibrary,
    /// Connections grouped into this worker (Python names all of its connections).
    pub connections: u32,
}

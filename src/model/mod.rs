//! Pure data: counts, rates from counters, latency windows, workers. No I/O; time is
//! passed in, so everything here is tested with tables of cases.

pub mod advisor;
pub mod autoscale;
pub mod capacity;
pub mod clock;
pub mod counts;
pub mod failures;
pub mod heartbeat;
pub mod history;
pub mod jobs;
pub mod latency;
pub mod rate;
pub mod reading;
pub mod schedulers;
pub mod series;
pub mod snapshot;
pub mod system;
pub mod workers;

pub use counts::QueueCounts;
pub use heartbeat::Heartbeat;
pub use history::{QueueHistory, QueueStats};
pub use latency::LatencySummary;
pub use reading::{
    ClientList, ClusterNodeReading, ClusterReading, EventTotals, JobTiming, PollReport, PollStats,
    QueueKey, QueueLimits, QueueReading, RateLimit, RateSource,
};
pub use system::{State, System, WorkerControl};
pub use workers::{WorkerInfo, WorkerLibrary};

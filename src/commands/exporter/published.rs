//! What a scrape serves: the figures of one poll, as the exporter's state publishes them
//! for the encoder (`metrics.rs`), and the formats it can be encoded in.

use super::counters::QueueCounters;

/// The OpenMetrics text format that prometheus-client writes.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// The Prometheus text format.
pub const PROMETHEUS_CONTENT_TYPE: &str =
    prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Prometheus,
    OpenMetrics,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Prometheus => PROMETHEUS_CONTENT_TYPE,
            Self::OpenMetrics => OPENMETRICS_CONTENT_TYPE,
        }
    }
}

/// Everything a scrape serves, built once per poll (a scrape never touches Redis).
#[derive(Debug, Default)]
pub struct Published {
    /// Changes with every poll and every change of connection state.
    pub seq: u64,
    /// The last poll succeeded.
    pub redis_up: bool,
    /// How long the last poll took; absent while Redis is down.
    pub poll_duration_s: Option<f64>,
    pub queues: Vec<QueueSeries>,
    pub busy_workers: Vec<WorkerBusy>,
}

#[derive(Debug)]
pub struct QueueSeries {
    pub system: &'static str,
    pub prefix: String,
    pub queue: String,
    /// Totals and histograms: kept while Redis is down (they are what was counted).
    pub counters: QueueCounters,
    /// Figures of the last poll; `None` while Redis is down (they would be stale).
    pub gauges: Option<QueueGauges>,
}

#[derive(Debug, Default)]
pub struct QueueGauges {
    /// Jobs per state the system has, as `(qtop state, BullMQ's name for it, count)`;
    /// empty until the queue's keys could be read.
    pub jobs: Vec<JobState>,
    pub oldest_waiting_age_s: Option<f64>,
    /// Absent when `CLIENT LIST` could not be read.
    pub workers: Option<u64>,
    pub paused: Option<bool>,
    /// The advisor's recommendation; absent without a measured service time.
    pub recommended_workers: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobState {
    /// The state in `qtop_queue_jobs` (the `counts` field of `qtop snapshot --json`).
    pub state: &'static str,
    /// The state in `bullmq_job_count`, as BullMQ's `exportPrometheusMetrics` spells it;
    /// `None` for a state BullMQ does not have.
    pub bullmq_state: Option<&'static str>,
    pub count: u64,
}

#[derive(Debug, PartialEq, Eq)]
pub struct WorkerBusy {
    pub system: &'static str,
    pub name: String,
    /// Jobs the worker is processing now, as it says itself (its heartbeat).
    pub busy: u64,
}

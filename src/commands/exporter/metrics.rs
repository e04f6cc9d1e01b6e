//! The metrics of one poll as prometheus-client encodes them: a `Collector` over the
//! published state, encoded in the Prometheus text format (0.0.4) or OpenMetrics.
//!
//! Names and labels are a contract (issue 17). A figure that is not known is left out,
//! never exported as 0. prometheus-client has no `_created` sample for counters or
//! histograms, so each has a gauge family `<name>_created` beside it, as Prometheus text
//! clients write it; the series Prometheus stores is the same name in both formats.

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

use super::counters::{Buckets, QueueCounters};

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

/// Encode `published` in `format`.
pub fn encode(published: Arc<Published>, format: Format) -> Result<String, std::fmt::Error> {
    // About 7 kB per queue (two histograms of 21 buckets dominate).
    let mut out = String::with_capacity(2048 + published.queues.len() * 7 * 1024);
    let mut registry = Registry::default();
    registry.register_collector(Box::new(PublishedCollector(published)));
    match format {
        Format::Prometheus => {
            prometheus_client::encoding::prometheus_text::encode(&mut out, &registry)?
        }
        Format::OpenMetrics => prometheus_client::encoding::text::encode(&mut out, &registry)?,
    }
    Ok(out)
}

#[derive(Debug)]
struct PublishedCollector(Arc<Published>);

type QueueLabels<'a> = [(&'static str, &'a str); 3];

fn queue_labels(q: &QueueSeries) -> QueueLabels<'_> {
    [
        ("system", q.system),
        ("prefix", q.prefix.as_str()),
        ("queue", q.queue.as_str()),
    ]
}

/// BullMQ's own labels (`queue`), plus the prefix.
fn bullmq_labels(q: &QueueSeries) -> [(&'static str, &str); 2] {
    [("queue", q.queue.as_str()), ("prefix", q.prefix.as_str())]
}

fn is_bullmq(q: &QueueSeries) -> bool {
    q.system == "bullmq"
}

impl Collector for PublishedCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let p = &*self.0;
        let queues = &p.queues;
        let with_gauges = || {
            queues
                .iter()
                .filter_map(|q| q.gauges.as_ref().map(|g| (q, g)))
        };
        let bullmq = || with_gauges().filter(|(q, _)| is_bullmq(q));

        // BullMQ's `Queue.exportPrometheusMetrics`, so its dashboards keep working.
        let rows: Vec<_> = bullmq()
            .flat_map(|(q, g)| {
                g.jobs
                    .iter()
                    .filter_map(move |j| j.bullmq_state.map(|state| (q, state, j.count)))
            })
            .collect();
        family(
            &mut encoder,
            "bullmq_job_count",
            "Number of jobs in the queue by state",
            None,
            MetricType::Gauge,
            &rows,
            |e, (q, state, count)| {
                let labels = [
                    ("queue", q.queue.as_str()),
                    ("state", state),
                    ("prefix", q.prefix.as_str()),
                ];
                e.encode_family(&labels)?.encode_gauge(count)
            },
        )?;
        let bull: Vec<&QueueSeries> = queues.iter().filter(|q| is_bullmq(q)).collect();
        counter_family(&mut encoder, "bullmq_job_completed", "Total number of completed jobs (counted from the queue's events, whether or not workers enable BullMQ's metrics)", &bull, |q| q.counters.exported.completed, bullmq_labels)?;
        counter_family(
            &mut encoder,
            "bullmq_job_failed",
            "Total number of failed jobs (final failures, counted from the queue's events)",
            &bull,
            |q| q.counters.exported.failed,
            bullmq_labels,
        )?;

        let rows: Vec<_> = with_gauges()
            .flat_map(|(q, g)| g.jobs.iter().map(move |j| (q, j)))
            .collect();
        family(
            &mut encoder,
            "qtop_queue_jobs",
            "Jobs in the queue by state, as the queue system counts them",
            None,
            MetricType::Gauge,
            &rows,
            |e, (q, j)| {
                let [system, prefix, queue] = queue_labels(q);
                e.encode_family(&[system, prefix, queue, ("state", j.state)])?
                    .encode_gauge(&j.count)
            },
        )?;
        let all: Vec<&QueueSeries> = queues.iter().collect();
        counter_family(
            &mut encoder,
            "qtop_jobs_added",
            "Jobs added, counted from the queue's events since qtop started watching it",
            &all,
            |q| q.counters.exported.added,
            queue_labels,
        )?;
        counter_family(
            &mut encoder,
            "qtop_jobs_completed",
            "Jobs completed, counted from the queue's events since qtop started watching it",
            &all,
            |q| q.counters.exported.completed,
            queue_labels,
        )?;
        counter_family(
            &mut encoder,
            "qtop_jobs_failed",
            "Jobs that failed for good (entered the failed set), counted from the queue's events",
            &all,
            |q| q.counters.exported.failed,
            queue_labels,
        )?;
        histogram_family(&mut encoder, "qtop_job_wait", "Time jobs waited before a worker started them (processedOn - timestamp), of the jobs timed", &all, |c| &c.wait)?;
        histogram_family(
            &mut encoder,
            "qtop_job_processing",
            "Time workers took to process jobs (finishedOn - processedOn), of the jobs timed",
            &all,
            |c| &c.processing,
        )?;

        let rows: Vec<_> = with_gauges()
            .filter_map(|(q, g)| g.oldest_waiting_age_s.map(|age| (q, age)))
            .collect();
        family(
            &mut encoder,
            "qtop_queue_oldest_waiting_age",
            "Age of the oldest job waiting to run (the lag); 0 when nothing waits",
            Some(&Unit::Seconds),
            MetricType::Gauge,
            &rows,
            |e, (q, age)| e.encode_family(&queue_labels(q))?.encode_gauge(age),
        )?;
        let rows: Vec<_> = with_gauges()
            .filter_map(|(q, g)| g.workers.map(|n| (q, n)))
            .collect();
        family(
            &mut encoder,
            "qtop_queue_workers",
            "Workers connected to the queue",
            None,
            MetricType::Gauge,
            &rows,
            |e, (q, n)| e.encode_family(&queue_labels(q))?.encode_gauge(n),
        )?;
        let rows: Vec<_> = with_gauges()
            .filter_map(|(q, g)| g.paused.map(|paused| (q, u64::from(paused))))
            .collect();
        family(
            &mut encoder,
            "qtop_queue_paused",
            "1 when the queue is paused",
            None,
            MetricType::Gauge,
            &rows,
            |e, (q, paused)| e.encode_family(&queue_labels(q))?.encode_gauge(paused),
        )?;
        let rows: Vec<_> = with_gauges()
            .filter_map(|(q, g)| g.recommended_workers.map(|n| (q, n)))
            .collect();
        family(&mut encoder, "qtop_queue_recommended_workers", "Workers the advisor recommends for the target wait (M/M/c, Erlang C), as qtop advise computes it", None, MetricType::Gauge, &rows, |e, (q, n)| {
            e.encode_family(&queue_labels(q))?.encode_gauge(n)
        })?;
        family(
            &mut encoder,
            "qtop_worker_busy",
            "Jobs a worker is processing now, for workers that say (qtop workers' heartbeats)",
            None,
            MetricType::Gauge,
            &p.busy_workers,
            |e, w| {
                e.encode_family(&[("system", w.system), ("name", w.name.as_str())])?
                    .encode_gauge(&w.busy)
            },
        )?;

        family(
            &mut encoder,
            "qtop_redis_up",
            "1 when the last poll of Redis succeeded",
            None,
            MetricType::Gauge,
            &[u64::from(p.redis_up)],
            |e, up| e.encode_gauge(up),
        )?;
        let duration: Vec<f64> = p.poll_duration_s.into_iter().collect();
        family(
            &mut encoder,
            "qtop_poll_duration",
            "How long the last poll of Redis took",
            Some(&Unit::Seconds),
            MetricType::Gauge,
            &duration,
            |e, s| e.encode_gauge(s),
        )?;
        family(
            &mut encoder,
            "qtop_build",
            "qtop's version",
            None,
            MetricType::Info,
            &[env!("CARGO_PKG_VERSION")],
            |e, version| e.encode_info(&[("version", *version)]),
        )?;
        Ok(())
    }
}

/// One metric family with a sample per row; nothing at all when there are no rows.
fn family<T>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    metric_type: MetricType,
    rows: &[T],
    mut sample: impl FnMut(&mut MetricEncoder, &T) -> Result<(), std::fmt::Error>,
) -> Result<(), std::fmt::Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let mut metric = encoder.encode_descriptor(name, help, unit, metric_type)?;
    for row in rows {
        sample(&mut metric, row)?;
    }
    Ok(())
}

/// A counter family (`<name>_total`) and its `<name>_created`.
fn counter_family<'q, L: EncodeLabelSet>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    queues: &[&'q QueueSeries],
    value: impl Fn(&QueueSeries) -> u64,
    labels: impl Fn(&'q QueueSeries) -> L,
) -> Result<(), std::fmt::Error> {
    family(
        encoder,
        name,
        help,
        None,
        MetricType::Counter,
        queues,
        |e, q| {
            e.encode_family(&labels(q))?
                .encode_counter::<NoLabelSet, _, u64>(&value(q), None)
        },
    )?;
    created_family(encoder, name, queues, |q| q.counters.created_s, labels)
}

fn created_family<'q, L: EncodeLabelSet>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    queues: &[&'q QueueSeries],
    created_s: impl Fn(&QueueSeries) -> f64,
    labels: impl Fn(&'q QueueSeries) -> L,
) -> Result<(), std::fmt::Error> {
    let created = format!("{name}_created");
    let help = format!("When qtop started counting {name} (seconds since the epoch)");
    family(
        encoder,
        &created,
        &help,
        None,
        MetricType::Gauge,
        queues,
        |e, q| e.encode_family(&labels(q))?.encode_gauge(&created_s(q)),
    )
}

/// A histogram family in seconds (`<name>_seconds`) and its `<name>_seconds_created`, for
/// the queues that have had a job timed: an idle queue's 21 empty buckets would be most
/// of the exposition (a thousand idle queues: 6 MB instead of 2) and of Prometheus's series.
fn histogram_family(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    queues: &[&QueueSeries],
    buckets: impl Fn(&QueueCounters) -> &Buckets,
) -> Result<(), std::fmt::Error> {
    let timed: Vec<&QueueSeries> = queues
        .iter()
        .copied()
        .filter(|q| buckets(&q.counters).count > 0)
        .collect();
    family(
        encoder,
        name,
        help,
        Some(&Unit::Seconds),
        MetricType::Histogram,
        &timed,
        |e, q| {
            let b = buckets(&q.counters);
            e.encode_family(&queue_labels(q))?
                .encode_histogram::<NoLabelSet>(b.sum_s, b.count, &b.pairs(), None)
        },
    )?;
    created_family(
        encoder,
        &format!("{name}_seconds"),
        &timed,
        |q| q.counters.created_s,
        queue_labels,
    )
}

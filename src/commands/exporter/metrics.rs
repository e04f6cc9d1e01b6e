//! The metrics of one poll as prometheus-client encodes them: a `Collector` over the
//! published state, encoded in the Prometheus text format (0.0.4) or OpenMetrics.
//!
//! Names and labels are a contract (issue 17). A figure that is not known is left out,
//! never exported as 0. prometheus-client has no `_created` sample for counters or
//! histograms, so each has a gauge family `<name>_created` beside it, as Prometheus text
//! clients write it; the series Prometheus stores is the same name in both formats.

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeGaugeValue, EncodeLabelSet, MetricEncoder, NoLabelSet,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

use super::counters::{Buckets, QueueCounters};
use super::published::{Format, JobState, Published, QueueGauges, QueueSeries};

/// Encode `published` in `format`.
pub fn encode(published: Arc<Published>, format: Format) -> Result<String, std::fmt::Error> {
    // About 2 kB per queue, 7 with its histograms.
    let mut out = String::with_capacity(2048 + published.queues.len() * 4 * 1024);
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
        let read: Vec<(&QueueSeries, &QueueGauges)> = p
            .queues
            .iter()
            .filter_map(|q| q.gauges.as_ref().map(|g| (q, g)))
            .collect();
        encode_bullmq(&mut encoder, p, &read)?;
        encode_queue_jobs(&mut encoder, &read)?;
        encode_counters(&mut encoder, p)?;
        encode_queue_gauges(&mut encoder, &read)?;
        encode_process(&mut encoder, p)
    }
}

/// BullMQ's `Queue.exportPrometheusMetrics`, so that dashboards built on it keep working.
fn encode_bullmq(
    encoder: &mut DescriptorEncoder,
    p: &Published,
    read: &[(&QueueSeries, &QueueGauges)],
) -> Result<(), std::fmt::Error> {
    let rows: Vec<(&QueueSeries, &str, u64)> = read
        .iter()
        .filter(|(q, _)| is_bullmq(q))
        .flat_map(|(q, g)| {
            g.jobs
                .iter()
                .filter_map(move |j| j.bullmq_state.map(|state| (*q, state, j.count)))
        })
        .collect();
    let help = "Number of jobs in the queue by state";
    family(
        encoder,
        "bullmq_job_count",
        help,
        None,
        MetricType::Gauge,
        &rows,
        |e, row| {
            let (q, state, count) = *row;
            let labels = [
                ("queue", q.queue.as_str()),
                ("state", state),
                ("prefix", q.prefix.as_str()),
            ];
            e.encode_family(&labels)?.encode_gauge(&count)
        },
    )?;
    let bull: Vec<&QueueSeries> = p
        .queues
        .iter()
        .filter(|q| is_bullmq(q) && q.counters.counted)
        .collect();
    let help = "Total number of completed jobs (counted from the queue's events)";
    let completed = |q: &QueueSeries| q.counters.exported.completed;
    counter_family(
        encoder,
        "bullmq_job_completed",
        help,
        &bull,
        completed,
        bullmq_labels,
    )?;
    let help = "Total number of failed jobs (final failures, counted from the queue's events)";
    let failed = |q: &QueueSeries| q.counters.exported.failed;
    counter_family(
        encoder,
        "bullmq_job_failed",
        help,
        &bull,
        failed,
        bullmq_labels,
    )
}

fn encode_queue_jobs(
    encoder: &mut DescriptorEncoder,
    read: &[(&QueueSeries, &QueueGauges)],
) -> Result<(), std::fmt::Error> {
    let rows: Vec<(&QueueSeries, &JobState)> = read
        .iter()
        .flat_map(|(q, g)| g.jobs.iter().map(move |j| (*q, j)))
        .collect();
    let help = "Jobs in the queue by state, as the queue system counts them";
    family(
        encoder,
        "qtop_queue_jobs",
        help,
        None,
        MetricType::Gauge,
        &rows,
        |e, (q, j)| {
            let [system, prefix, queue] = queue_labels(q);
            e.encode_family(&[system, prefix, queue, ("state", j.state)])?
                .encode_gauge(&j.count)
        },
    )
}

/// Which count of a queue a counter exports.
type Count = fn(&QueueSeries) -> u64;

/// Counters and histograms: every queue, whether or not Redis can be read now.
fn encode_counters(encoder: &mut DescriptorEncoder, p: &Published) -> Result<(), std::fmt::Error> {
    let all: Vec<&QueueSeries> = p.queues.iter().collect();
    let counters: [(&str, &str, Count); 6] = [
        (
            "qtop_jobs_added",
            "Jobs added, counted from the queue's events since qtop started watching it",
            |q| q.counters.exported.added,
        ),
        (
            "qtop_jobs_completed",
            "Jobs completed, counted from the queue's events since qtop started watching it",
            |q| q.counters.exported.completed,
        ),
        (
            "qtop_jobs_failed",
            "Jobs that failed for good (entered the failed set), from the queue's events",
            |q| q.counters.exported.failed,
        ),
        (
            "qtop_jobs_deduplicated",
            "Adds dropped as duplicates of a job the queue keeps (BullMQ deduplication and debounce: `deduplicated` events); not in qtop_jobs_added",
            |q| q.counters.exported.deduplicated,
        ),
        (
            "qtop_jobs_debounced",
            "BullMQ 5 producers' `debounced` events: the same dropped adds as qtop_jobs_deduplicated, named again",
            |q| q.counters.exported.debounced,
        ),
        (
            "qtop_jobs_duplicated",
            "Adds of a job id that already existed (`duplicated` events): nothing was added; not in qtop_jobs_added",
            |q| q.counters.exported.duplicated,
        ),
    ];
    let counted: Vec<&QueueSeries> = all.iter().copied().filter(|q| q.counters.counted).collect();
    for (name, help, value) in counters {
        counter_family(encoder, name, help, &counted, value, queue_labels)?;
    }
    let help = "Time jobs waited until a worker started them (processedOn - timestamp)";
    histogram_family(encoder, "qtop_job_wait", help, &all, |c| &c.wait)?;
    let help = "Time workers took to process jobs (finishedOn - processedOn)";
    histogram_family(encoder, "qtop_job_processing", help, &all, |c| {
        &c.processing
    })
}

fn encode_queue_gauges(
    encoder: &mut DescriptorEncoder,
    read: &[(&QueueSeries, &QueueGauges)],
) -> Result<(), std::fmt::Error> {
    let help = "Age of the oldest job waiting to run (the lag); 0 when nothing waits";
    let name = "qtop_queue_oldest_waiting_age";
    queue_gauge(encoder, name, help, Some(&Unit::Seconds), read, |g| {
        g.oldest_waiting_age_s
    })?;
    let help = "Workers connected to the queue";
    queue_gauge(encoder, "qtop_queue_workers", help, None, read, |g| {
        g.workers
    })?;
    let help = "1 when the queue is paused";
    queue_gauge(encoder, "qtop_queue_paused", help, None, read, |g| {
        g.paused.map(u64::from)
    })?;
    let help = "Workers the advisor recommends for the target wait (M/M/c), as qtop advise does";
    let name = "qtop_queue_recommended_workers";
    queue_gauge(encoder, name, help, None, read, |g| g.recommended_workers)
}

/// The exporter itself: its workers' view, Redis, the last poll, its version.
fn encode_process(encoder: &mut DescriptorEncoder, p: &Published) -> Result<(), std::fmt::Error> {
    let help = "Jobs a worker is processing now, for workers that say (qtop workers' heartbeats)";
    let busy = &p.busy_workers;
    family(
        encoder,
        "qtop_worker_busy",
        help,
        None,
        MetricType::Gauge,
        busy,
        |e, w| {
            e.encode_family(&[("system", w.system), ("name", w.name.as_str())])?
                .encode_gauge(&w.busy)
        },
    )?;
    let help = "1 when the last poll of Redis succeeded";
    let up = [u64::from(p.redis_up)];
    family(
        encoder,
        "qtop_redis_up",
        help,
        None,
        MetricType::Gauge,
        &up,
        |e, up| e.encode_gauge(up),
    )?;
    let help = "How long the last poll of Redis took";
    let duration: Vec<f64> = p.poll_duration_s.into_iter().collect();
    let seconds = Some(&Unit::Seconds);
    family(
        encoder,
        "qtop_poll_duration",
        help,
        seconds,
        MetricType::Gauge,
        &duration,
        |e, s| e.encode_gauge(s),
    )?;
    let version = [env!("CARGO_PKG_VERSION")];
    family(
        encoder,
        "qtop_build",
        "qtop's version",
        None,
        MetricType::Info,
        &version,
        |e, v| e.encode_info(&[("version", *v)]),
    )
}

/// A gauge per queue, for the queues where `value` is known.
fn queue_gauge<V: EncodeGaugeValue>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    unit: Option<&Unit>,
    read: &[(&QueueSeries, &QueueGauges)],
    value: impl Fn(&QueueGauges) -> Option<V>,
) -> Result<(), std::fmt::Error> {
    let rows: Vec<(&QueueSeries, V)> = read
        .iter()
        .filter_map(|(q, g)| value(g).map(|v| (*q, v)))
        .collect();
    family(
        encoder,
        name,
        help,
        unit,
        MetricType::Gauge,
        &rows,
        |e, (q, v)| e.encode_family(&queue_labels(q))?.encode_gauge(v),
    )
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

//! `qtop produce`: add demo jobs, a fixed count at once or paced at a rate.

use std::time::Instant;

use anyhow::Result;

use crate::cli::{GlobalArgs, ProduceArgs};
use crate::demo::connect_checked;
use crate::demo::lifeline::stop_requests;
use crate::demo::pace::Pace;
use crate::demo::producer::{Producer, ProducerSettings};
use crate::source::link::check_hash_tag;

use crate::cli::{first_prefix, first_queue};

pub async fn run(global: &GlobalArgs, args: &ProduceArgs) -> Result<()> {
    let prefix = first_prefix(global);
    let queue = first_queue(global, "qtop produce")?;
    let target = global.target()?;
    // A clear error now; the crate itself would wait long on a dead Redis.
    let mut conn = connect_checked(&target).await?;
    let cluster = conn.is_cluster();
    if cluster {
        check_hash_tag(&target, &prefix, &queue)?;
    }
    let settings = ProducerSettings {
        rate_per_s: args.rate.unwrap_or(0.0),
        work_ms_mean: args.work_ms,
        work_dist: None,
        fail_rate: args.fail_rate,
        poison: false,
        attempts: args.attempts,
        backoff_ms: args.backoff_ms,
    };
    let mut producer = Producer::open(global.redis_url(), cluster, &prefix, &queue).await?;
    let id = crate::source::bullmq::QueueId::new(prefix.clone(), queue.clone());
    crate::demo::stamp_library(&mut conn, &id).await?;
    let started = Instant::now();
    let result = match (args.count, args.rate) {
        (Some(count), _) => producer.add(count, &settings).await,
        (None, Some(rate)) => paced(&mut producer, &settings, rate, args).await,
        (None, None) => Ok(()),
    };
    let added = producer.produced();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "added {added} jobs to {prefix}:{queue} in {seconds:.2} s ({:.0} jobs/s)",
        added as f64 / seconds.max(1e-9)
    );
    producer.close().await;
    result
}

/// Paced adds until `--duration` is over (exactly round(rate × duration) jobs) or a stop.
async fn paced(
    producer: &mut Producer,
    settings: &ProducerSettings,
    rate: f64,
    args: &ProduceArgs,
) -> Result<()> {
    let limit = args
        .duration
        .map(|d| (rate * d.as_secs_f64()).round() as u64);
    let mut stop = stop_requests(false)?;
    let mut pace = Pace::new(Instant::now(), rate, limit);
    while !pace.is_finished() {
        tokio::select! {
            _ = stop.recv() => break,
            _ = tokio::time::sleep_until(pace.next_wake().into()) => {
                let due = pace.take_due(Instant::now());
                producer.add(due, settings).await?;
            }
        }
    }
    Ok(())
}

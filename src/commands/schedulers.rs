//! `qtop schedulers`: a queue's job schedulers (and legacy repeatable jobs).

use std::io::Write;
use std::time::Duration;

use anyhow::{bail, Result};

use super::one_queue;
use crate::cli::{GlobalArgs, SchedulersArgs};
use crate::model::clock::{age_text, Zone};
use crate::model::schedulers::{SchedulerKind, SchedulerList};
use crate::source::jobs::JobReader;

const TIMEOUT: Duration = Duration::from_secs(10);

/// Template data above this is reported by size.
const MAX_TEMPLATE: u64 = 1 << 20;

pub async fn run(global: &GlobalArgs, args: &SchedulersArgs) -> Result<()> {
    let queue = one_queue(global, "qtop schedulers")?;
    let target = global.target()?;
    let mut reader = JobReader::open(&target, &queue, TIMEOUT).await?;
    let Some(list) = reader.schedulers(args.limit, MAX_TEMPLATE).await? else {
        bail!("{} has no job schedulers", queue.system);
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &list)?;
        writeln!(out)?;
        return Ok(());
    }
    let now = chrono::Utc::now().timestamp_millis();
    for line in lines(&list, Zone::Local, now) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// The list as a table: one line per scheduler, problems under it.
pub fn lines(list: &SchedulerList, zone: Zone, now_ms: i64) -> Vec<String> {
    let mut out = vec![format!(
        "{} job schedulers in {}:{}{}",
        list.total,
        list.prefix,
        list.queue,
        if list.truncated {
            format!(" (the soonest {} shown)", list.schedulers.len())
        } else {
            String::new()
        }
    )];
    if list.schedulers.is_empty() {
        return out;
    }
    out.push(format!(
        "{:<24} {:<9} {:<24} {:<28} {:>9} {:<20} DATA",
        "ID", "KIND", "SCHEDULE", "NEXT RUN", "RUNS", "NAME"
    ));
    for s in &list.schedulers {
        let next = match s.next_run {
            Some(t) if t >= now_ms => format!(
                "{} (in {})",
                zone.format(Some(t), "%m-%d %H:%M:%S"),
                age_text((t - now_ms) as f64 / 1000.0)
            ),
            Some(t) => format!(
                "{} ({} ago)",
                zone.format(Some(t), "%m-%d %H:%M:%S"),
                age_text((now_ms - t) as f64 / 1000.0)
            ),
            None => "-".to_string(),
        };
        let runs = match (s.iteration_count, s.limit) {
            (Some(n), Some(limit)) => format!("{n}/{limit}"),
            (Some(n), None) => n.to_string(),
            (None, Some(limit)) => format!("?/{limit}"),
            (None, None) => "-".to_string(),
        };
        let kind = match s.kind {
            SchedulerKind::Scheduler => "scheduler",
            SchedulerKind::Repeatable => "legacy",
            SchedulerKind::Orphan => "orphan",
        };
        out.push(format!(
            "{:<24} {:<9} {:<24} {:<28} {:>9} {:<20} {}",
            clip(&s.id, 24),
            kind,
            clip(&s.schedule_text(), 24),
            next,
            runs,
            clip(s.name.as_deref().unwrap_or("?"), 20),
            clip(&s.data_summary(), 60)
        ));
        for problem in &s.problems {
            out.push(format!("    problem: {problem}"));
        }
    }
    out
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let kept: String = text.chars().take(width.saturating_sub(1)).collect();
    format!("{kept}…")
}

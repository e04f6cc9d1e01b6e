//! The workers pane's columns: title, sizing and text, one line each (`app::columns` lays
//! them out). Columns that no listed worker has a figure for are left out (RSS without
//! Sidekiq, CONN IDLE without BullMQ, SYSTEM with one system), and words (state, library,
//! system) are never cut: narrower than the word, the column goes.
//!
//! BullMQ's workers are Redis connections: their only idle time is the connection's
//! (`CLIENT LIST`), which a busy worker's blocking connection shows too, so it is titled
//! CONN IDLE, not the worker's. Heartbeat systems' liveness is BEAT (the last beat's age).

use super::columns::{self, Column, Cut, Fitted, Sizing};
use super::format;
use super::rows::queue_label;
use super::workers::{WorkerHealth, WorkerRow};
use crate::model::QueueKey;
use crate::text;

/// What a cell's text needs besides its row.
pub struct Context {
    pub now_ms: i64,
}

type WorkerColumn = Column<WorkerRow, Context>;

const fn sized(min: u16, max: u16, priority: u8, cut: Cut) -> Sizing {
    Sizing::new(min, max, priority, cut)
}

const NAME: WorkerColumn = Column::new("NAME", sized(12, 40, 0, Cut::Middle), |r, _| {
    display_name(r)
});
const SYSTEM: WorkerColumn = Column::new("SYSTEM", sized(6, 7, 3, Cut::End), |r, _| {
    r.key.system.name().into()
});
const STATE: WorkerColumn = Column::new("STATE", sized(5, 9, 1, Cut::End), |r, _| state(r));
const BUSY: WorkerColumn = Column::new("BUSY", sized(4, 9, 4, Cut::End), |r, _| busy(r));
const QUEUES: WorkerColumn = Column::new("QUEUES", sized(6, 30, 2, Cut::End), |r, _| queues(r));
const BEAT: WorkerColumn = Column::new("BEAT", sized(5, 6, 5, Cut::End), |r, _| {
    r.beat_age_s.map_or(String::new(), format::age_s)
});
const CONN_IDLE: WorkerColumn = Column::new("CONN IDLE", sized(9, 9, 7, Cut::End), |r, _| {
    r.idle_s.map_or(String::new(), |s| format::age_s(s as f64))
});
const RSS: WorkerColumn = Column::new("RSS", sized(4, 6, 6, Cut::End).right(), |r, _| {
    rss(r).unwrap_or_default()
});
const LIB: WorkerColumn = Column::new("LIB", sized(6, 7, 8, Cut::End), |r, _| {
    r.library.label().into()
});
const AGE: WorkerColumn = Column::new("AGE", sized(6, 6, 9, Cut::End), |r, _| {
    r.age_s.map_or("-".into(), |s| format::age_s(s as f64))
});
const ADDR: WorkerColumn =
    Column::new("ADDR", sized(9, 28, 11, Cut::Middle), |r, _| r.addr.clone());
const HEARTBEAT: WorkerColumn =
    Column::new("HEARTBEAT", sized(12, 48, 10, Cut::Words), heartbeat_text);

/// The columns for `rows`, in display order.
pub fn columns(rows: &[&WorkerRow]) -> Vec<WorkerColumn> {
    let systems = rows.first().map(|first| first.key.system);
    let several_systems = rows.iter().any(|r| Some(r.key.system) != systems);
    let any = |f: fn(&WorkerRow) -> bool| rows.iter().any(|r| f(r));
    // A word column is as narrow as its widest word, never cut mid-word.
    let words = |column: WorkerColumn| -> WorkerColumn {
        let context = Context { now_ms: 0 };
        let widest = rows
            .iter()
            .map(|r| text::width(&(column.text)(r, &context)))
            .chain([text::width(column.title)])
            .max()
            .unwrap_or(0) as u16;
        let mut column = column;
        column.sizing.min = widest.min(column.sizing.max);
        column
    };
    let mut out = vec![NAME];
    if several_systems {
        out.push(words(SYSTEM));
    }
    out.push(words(STATE));
    if any(|r| r.busy.is_some() || r.concurrency.is_some()) {
        out.push(BUSY);
    }
    out.push(QUEUES);
    if any(|r| r.beat_age_s.is_some()) {
        out.push(BEAT);
    }
    if any(|r| r.idle_s.is_some()) {
        out.push(CONN_IDLE);
    }
    if any(|r| rss(r).is_some()) {
        out.push(RSS);
    }
    out.push(words(LIB));
    out.push(AGE);
    out.push(ADDR);
    if any(|r| r.heartbeat.is_some()) {
        out.push(HEARTBEAT);
    }
    out
}

/// The table of `rows` in `width` columns.
pub fn fit(rows: &[&WorkerRow], now_ms: i64, width: u16) -> Fitted {
    columns::fit(&columns(rows), rows, &Context { now_ms }, width)
}

/// Columns the table wants with every column at its content's width.
pub fn wanted_width(rows: &[&WorkerRow], now_ms: i64) -> u16 {
    columns::wanted_width(&columns(rows), rows, &Context { now_ms })
}

fn display_name(row: &WorkerRow) -> String {
    if row.name.is_empty() {
        "(unnamed)".to_string()
    } else {
        row.name.clone()
    }
}

/// `stale` and `gone` first; else the system's own word (`busy`, `idle`, `quiet`,
/// `suspended`), `ok` where it has none.
fn state(row: &WorkerRow) -> String {
    match row.health {
        WorkerHealth::Stale => "stale".into(),
        WorkerHealth::Vanished => "gone".into(),
        WorkerHealth::Ok => row.state.clone().unwrap_or_else(|| "ok".into()),
    }
}

/// `3/10`: jobs running of how many it runs at once; blank where the system does not say.
fn busy(row: &WorkerRow) -> String {
    match (row.busy, row.concurrency) {
        (None, None) => String::new(),
        (busy, concurrency) => format!(
            "{}/{}",
            busy.map_or("-".into(), |b| b.to_string()),
            concurrency.map_or("-".into(), |c| c.to_string())
        ),
    }
}

/// Every queue it serves (`default,mailers`), each as the queues table names it.
fn queues(row: &WorkerRow) -> String {
    if row.queues.is_empty() {
        return queue_label(&row.key);
    }
    row.queues
        .iter()
        .map(|q| {
            queue_label(&QueueKey::new(
                row.key.system,
                row.key.prefix.clone(),
                q.clone(),
            ))
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Resident memory where the worker reports it: `210M`, `1.4G`.
fn rss(row: &WorkerRow) -> Option<String> {
    let kb = row.info.as_ref()?.rss_kb?;
    let mb = kb as f64 / 1024.0;
    Some(if mb < 1024.0 {
        format!("{mb:.0}M")
    } else {
        format!("{:.1}G", mb / 1024.0)
    })
}

/// A qtop worker's heartbeat: `c4 done 857 job 1201 +1 beat 0s ago` (its first current job
/// and how many more); empty for others. The beat's age in whole seconds (stale is three
/// missed beats), so the text keeps its width from frame to frame.
fn heartbeat_text(row: &WorkerRow, context: &Context) -> String {
    let Some(beat) = &row.heartbeat else {
        return String::new();
    };
    let current = match beat.current.as_slice() {
        [] => "idle".to_string(),
        [only] => format!("job {}", text::fit_middle(only, 12)),
        [first, rest @ ..] => format!("job {} +{}", text::fit_middle(first, 12), rest.len()),
    };
    let since_s = context.now_ms.saturating_sub(beat.last_beat_ms).max(0) / 1000;
    format!(
        "c{} done {} {} beat {} ago",
        beat.concurrency,
        format::count(beat.done),
        current,
        format::age_s(since_s as f64)
    )
}

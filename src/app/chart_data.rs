//! What a chart draws from a series window: rates smoothed over a few seconds (per-second
//! counts jitter with poll timing), then at most one point per plotted column (more points
//! than columns draw as a zigzag of vertical strokes, not a line). View logic: the series
//! (`model::series`) keeps the buckets as measured.

use crate::model::series::{Percentiles, Point, Window};

/// Rate charts show trailing means over this long when buckets are shorter.
pub const SMOOTH_MS: i64 = 5_000;

/// How many buckets `smoothed` averages for a window of `step_ms` buckets (1: none).
pub fn smooth_over(step_ms: i64) -> usize {
    (SMOOTH_MS / step_ms.max(1)).max(1) as usize
}

/// Rates and error rate as trailing means over up to `k` buckets, never across a gap:
/// per-second counts jitter with poll timing, and a chart of raw buckets is mostly noise.
/// The error rate is Σfailed / Σfinished over those buckets, not a mean of ratios.
pub fn smoothed(points: &[Option<Point>], k: usize) -> Vec<Option<Point>> {
    let k = k.max(1);
    let mut out = Vec::with_capacity(points.len());
    for (i, point) in points.iter().enumerate() {
        let Some(point) = point else {
            out.push(None);
            continue;
        };
        let recent: Vec<&Point> = points[..=i]
            .iter()
            .rev()
            .take(k)
            .map_while(Option::as_ref)
            .collect();
        let mean = |read: fn(&Point) -> Option<f32>| {
            let values: Vec<f32> = recent.iter().filter_map(|p| read(p)).collect();
            (!values.is_empty()).then(|| values.iter().sum::<f32>() / values.len() as f32)
        };
        let (failed, finished) = recent.iter().fold((0.0f32, 0.0f32), |(f, n), p| {
            match (p.failed_per_s, p.completed_per_s) {
                (Some(failed), Some(done)) => (f + failed, n + failed + done),
                _ => (f, n),
            }
        });
        out.push(Some(Point {
            added_per_s: mean(|p| p.added_per_s),
            completed_per_s: mean(|p| p.completed_per_s),
            failed_per_s: mean(|p| p.failed_per_s),
            error_rate: (finished > 0.0).then(|| failed / finished),
            ..*point
        }));
    }
    out
}

/// At most `columns` points: consecutive buckets merged, counted from the newest so the last
/// point stays at the window's end. A merged point is a gap if any of its buckets is (an
/// outage never disappears into its neighbours); gauges and latencies take the highest of
/// the buckets (a spike stays visible), rates their mean, the error rate Σfailed / Σfinished.
pub fn downsampled(window: &Window, columns: usize) -> Window {
    let n = window.points.len();
    let per = n.div_ceil(columns.max(1)).max(1);
    if per == 1 {
        return window.clone();
    }
    let groups = n.div_ceil(per);
    // The first group may be shorter: it holds what is left at the oldest end.
    let first_len = n - (groups - 1) * per;
    let mut points = Vec::with_capacity(groups);
    let mut start = 0;
    for g in 0..groups {
        let len = if g == 0 { first_len } else { per };
        points.push(merge(&window.points[start..start + len]));
        start += len;
    }
    let step_ms = window.step_ms * per as i64;
    Window {
        // Each merged point sits at its newest bucket.
        start_ms: window.start_ms + (first_len as i64 - 1) * window.step_ms,
        step_ms,
        points,
    }
}

fn merge(buckets: &[Option<Point>]) -> Option<Point> {
    let points: Vec<&Point> = buckets.iter().map(Option::as_ref).collect::<Option<_>>()?;
    let mean = |read: fn(&Point) -> Option<f32>| {
        let values: Vec<f32> = points.iter().filter_map(|p| read(p)).collect();
        (!values.is_empty()).then(|| values.iter().sum::<f32>() / values.len() as f32)
    };
    let highest = |read: fn(&Point) -> Option<Percentiles>| {
        points
            .iter()
            .filter_map(|p| read(p))
            .reduce(|a, b| Percentiles {
                p50: a.p50.max(b.p50),
                p90: a.p90.max(b.p90),
                p99: a.p99.max(b.p99),
            })
    };
    let failed = mean(|p| p.failed_per_s);
    let completed = mean(|p| p.completed_per_s);
    Some(Point {
        backlog: points.iter().map(|p| p.backlog).fold(0.0, f32::max),
        active: points.iter().map(|p| p.active).fold(0.0, f32::max),
        added_per_s: mean(|p| p.added_per_s),
        completed_per_s: completed,
        failed_per_s: failed,
        error_rate: match (failed, completed) {
            (Some(f), Some(c)) if f + c > 0.0 => Some(f / (f + c)),
            _ => None,
        },
        wait_ms: highest(|p| p.wait_ms),
        processing_ms: highest(|p| p.processing_ms),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoothing_averages_within_segments_only() {
        let p = |added: f32, completed: f32, failed: f32| {
            Some(Point {
                added_per_s: Some(added),
                completed_per_s: Some(completed),
                failed_per_s: Some(failed),
                ..Point::default()
            })
        };
        let points = vec![p(10.0, 9.0, 1.0), p(20.0, 0.0, 0.0), None, p(4.0, 3.0, 1.0)];
        let s = smoothed(&points, 5);
        assert_eq!(s[0].and_then(|p| p.added_per_s), Some(10.0));
        assert_eq!(s[1].and_then(|p| p.added_per_s), Some(15.0));
        assert_eq!(s[1].and_then(|p| p.error_rate), Some(0.1));
        assert_eq!(s[2], None);
        // After the gap, nothing from before it.
        assert_eq!(s[3].and_then(|p| p.added_per_s), Some(4.0));
        assert_eq!(s[3].and_then(|p| p.error_rate), Some(0.25));
    }

    fn backlog(b: f32) -> Option<Point> {
        Some(Point {
            backlog: b,
            added_per_s: Some(b),
            ..Point::default()
        })
    }

    #[test]
    fn downsampling_keeps_the_newest_point_at_the_end_and_every_gap() {
        let window = Window {
            start_ms: 0,
            step_ms: 1000,
            points: vec![
                backlog(1.0),
                backlog(9.0),
                backlog(2.0),
                None,
                backlog(4.0),
                backlog(5.0),
                backlog(6.0),
            ],
        };
        let d = downsampled(&window, 3);
        // Seven buckets in threes from the newest: [0], [1, 2, 3], [4, 5, 6].
        assert_eq!(d.step_ms, 3000);
        assert_eq!(d.start_ms, 0);
        assert_eq!(d.points.len(), 3);
        assert_eq!(d.points[0].map(|p| p.backlog), Some(1.0));
        // A gap inside a group makes the group a gap.
        assert_eq!(d.points[1], None);
        // Gauges keep their highest, rates their mean.
        assert_eq!(d.points[2].map(|p| p.backlog), Some(6.0));
        assert_eq!(d.points[2].and_then(|p| p.added_per_s), Some(5.0));
        // The last point is at the last bucket's time.
        let last = d.start_ms + (d.points.len() as i64 - 1) * d.step_ms;
        assert_eq!(last, 6000);
        // Enough columns: nothing changes.
        assert_eq!(downsampled(&window, 7), window);
    }

    #[test]
    fn merged_error_rate_weighs_by_volume_and_latency_keeps_spikes() {
        let p = |failed: f32, done: f32, p99: f32| {
            Some(Point {
                completed_per_s: Some(done),
                failed_per_s: Some(failed),
                processing_ms: Some(Percentiles {
                    p50: 1.0,
                    p90: 2.0,
                    p99,
                }),
                ..Point::default()
            })
        };
        let window = Window {
            start_ms: 0,
            step_ms: 1000,
            points: vec![p(1.0, 9.0, 40.0), p(0.0, 90.0, 900.0)],
        };
        let d = downsampled(&window, 1);
        let point = d.points[0].unwrap_or_default();
        assert_eq!(point.error_rate, Some(0.01));
        assert_eq!(point.processing_ms.map(|l| l.p99), Some(900.0));
    }
}

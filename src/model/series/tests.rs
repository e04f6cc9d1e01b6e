//! The series against tables of cases: rates across resets and gaps, tiers, bounds.

use super::*;
use crate::model::reading::{EventTotals, JobTiming};

fn config() -> SeriesConfig {
    SeriesConfig::for_interval(1000)
}

fn sample(t_ms: i64, backlog: u64, added: u64, completed: u64, failed: u64) -> Sample<'static> {
    Sample {
        t_ms,
        backlog,
        active: 1,
        totals: Some(EventTotals {
            added,
            completed,
            failed,
            ..EventTotals::default()
        }),
        timings: &[],
    }
}

#[test]
fn config_scales_with_the_interval() {
    let c = SeriesConfig::for_interval(1000);
    assert_eq!((c.fine_step_ms, c.fine_len), (1000, 300));
    assert_eq!((c.coarse_step_ms, c.coarse_len), (10_000, 360));
    let c = SeriesConfig::for_interval(200);
    assert_eq!(c.fine_step_ms, 1000);
    let c = SeriesConfig::for_interval(5000);
    assert_eq!((c.fine_step_ms, c.fine_len), (5000, 60));
    assert_eq!(c.coarse_step_ms, 20_000);
}

#[test]
fn rates_come_from_counter_differences() {
    let mut s = Series::new(&config());
    s.record(sample(0, 5, 0, 0, 0));
    s.record(sample(1000, 6, 10, 8, 2));
    s.record(sample(2000, 7, 20, 16, 2));
    let w = s.window(2000, 3000);
    assert_eq!(w.step_ms, 1000);
    assert_eq!(w.start_ms, 0);
    let p: Vec<_> = w.points.iter().map(|p| p.map(|p| p.added_per_s)).collect();
    // The first reading has no rate: unknown, not zero.
    assert_eq!(p, vec![Some(None), Some(Some(10.0)), Some(Some(10.0))]);
    assert_eq!(w.points[1].and_then(|p| p.error_rate), Some(0.2));
    assert_eq!(w.points[2].and_then(|p| p.error_rate), Some(0.0));
}

#[test]
fn outages_are_gaps_not_zeros() {
    let mut s = Series::new(&config());
    s.record(sample(0, 5, 0, 0, 0));
    s.record(sample(1000, 5, 1, 1, 0));
    s.mark_gap();
    s.record(sample(5000, 9, 50, 40, 0));
    s.record(sample(6000, 9, 52, 41, 0));
    let w = s.window(6000, 7000);
    let present: Vec<bool> = w.points.iter().map(Option::is_some).collect();
    assert_eq!(present, vec![true, true, false, false, false, true, true]);
    // No rate across the outage.
    assert_eq!(w.points[5].and_then(|p| p.added_per_s), None);
    assert_eq!(w.points[6].and_then(|p| p.added_per_s), Some(2.0));
}

#[test]
fn a_long_silence_is_a_gap_and_jitter_is_filled() {
    let mut s = Series::new(&config());
    s.record(sample(0, 1, 0, 0, 0));
    // One bucket skipped by jitter: filled.
    s.record(sample(2100, 1, 0, 0, 0));
    // Ten seconds without a reading: a gap.
    s.record(sample(12_000, 1, 0, 0, 0));
    let w = s.window(12_000, 13_000);
    let present: Vec<bool> = w.points.iter().map(Option::is_some).collect();
    assert_eq!(&present[..4], &[true, true, true, false]);
    assert!(present[12]);
}

#[test]
fn counter_resets_give_no_rate() {
    let mut s = Series::new(&config());
    s.record(sample(0, 0, 100, 100, 0));
    s.record(sample(1000, 0, 3, 3, 0));
    s.record(sample(2000, 0, 5, 5, 0));
    let w = s.window(2000, 3000);
    assert_eq!(w.points[1].and_then(|p| p.added_per_s), None);
    assert_eq!(w.points[2].and_then(|p| p.added_per_s), Some(2.0));
}

#[test]
fn coarse_tier_serves_long_windows_with_max_gauges() {
    let mut s = Series::new(&config());
    for t in 0..120 {
        let backlog = if t == 33 { 500 } else { 10 };
        s.record(sample(t * 1000, backlog, t as u64 * 4, t as u64 * 4, 0));
    }
    let w = s.window(119_000, 3_600_000);
    assert_eq!(w.step_ms, 10_000);
    assert_eq!(w.points.len(), 360);
    let recent: Vec<Point> = w.points.iter().flatten().copied().collect();
    assert_eq!(recent.len(), 12);
    assert_eq!(recent[3].backlog, 500.0);
    assert_eq!(recent[5].added_per_s, Some(4.0));
}

#[test]
fn latency_percentiles_per_bucket() {
    let timings: Vec<JobTiming> = (1..=100)
        .map(|ms| JobTiming {
            wait_ms: Some(ms),
            processing_ms: None,
        })
        .collect();
    let mut s = Series::new(&config());
    s.record(Sample {
        timings: &timings,
        ..sample(0, 0, 0, 0, 0)
    });
    let w = s.window(0, 1000);
    let p = w.points[0].and_then(|p| p.wait_ms).unwrap_or_default();
    assert!((49.0..=51.0).contains(&p.p50), "{p:?}");
    assert!((98.0..=100.0).contains(&p.p99), "{p:?}");
    assert_eq!(w.points[0].and_then(|p| p.processing_ms), None);
}

/// A chart bucket reads timings from 1 ms to an hour as the table's window does (issue 14:
/// the charts clamped everything above 255 ms to ~2 ms).
#[test]
fn chart_latencies_from_a_millisecond_to_an_hour_match_the_table() {
    use crate::model::latency::LatencyWindow;
    for value in [1u64, 255, 256, 800, 4_000, 60_000, 3_600_000] {
        let timings: Vec<JobTiming> = (0..100)
            .map(|i| JobTiming {
                wait_ms: Some(if i == 0 { 1 } else { value }),
                processing_ms: Some(value),
            })
            .collect();
        let mut s = Series::new(&config());
        s.record(Sample {
            timings: &timings,
            ..sample(0, 0, 0, 0, 0)
        });
        let point = s.window(0, 1000).points[0].unwrap_or_default();
        let wait = point.wait_ms.unwrap_or_default();
        let processing = point.processing_ms.unwrap_or_default();
        let mut table = LatencyWindow::new(1000, 10_000);
        timings
            .iter()
            .filter_map(|t| t.wait_ms)
            .for_each(|ms| table.record(0, ms));
        let summary = table.summary(0, 1000);
        let close = |got: f32, want: u64| (got as f64 - want as f64).abs() <= want as f64 * 0.01;
        assert!(close(wait.p50, value), "wait p50 {} for {value}", wait.p50);
        assert!(close(wait.p99, value), "wait p99 {} for {value}", wait.p99);
        assert!(close(processing.p99, value), "processing {processing:?}");
        assert_eq!(wait.p50, summary.p50 as f32, "chart and table differ");
        assert_eq!(wait.p99, summary.p99 as f32, "chart and table differ");
    }
}

#[test]
fn an_idle_queue_costs_one_run_per_tier() {
    let mut s = Series::new(&config());
    for t in 0..7200 {
        s.record(sample(t * 1000, 3, 7, 7, 0));
    }
    assert!(s.fine.runs.len() <= 2, "{}", s.fine.runs.len());
    assert!(s.coarse.runs.len() <= 2, "{}", s.coarse.runs.len());
    assert!(s.approx_bytes() < 2048, "{}", s.approx_bytes());
    // Evicted down to the tier's length.
    let kept: i64 = s.fine.runs.iter().map(|r| r.len).sum();
    assert!(kept <= 300, "{kept}");
}

#[test]
fn a_busy_queue_stays_bounded() {
    let mut s = Series::new(&config());
    let timings = [JobTiming {
        wait_ms: Some(5),
        processing_ms: Some(40),
    }; 50];
    for t in 0..7200i64 {
        s.record(Sample {
            t_ms: t * 1000,
            backlog: (t % 97) as u64,
            active: (t % 7) as u64,
            totals: Some(EventTotals {
                added: (t * t) as u64,
                completed: (t * t) as u64,
                failed: t as u64,
                ..EventTotals::default()
            }),
            timings: &timings,
        });
    }
    assert!(s.fine.runs.len() <= 300);
    assert!(s.coarse.runs.len() <= 360);
    // 100 busy queues must fit comfortably in a 25 MB process.
    assert!(s.approx_bytes() < 80_000, "{}", s.approx_bytes());
}

#[test]
fn windows_before_any_data_are_all_gaps() {
    let s = Series::new(&config());
    let w = s.window(1_000_000, 60_000);
    assert_eq!(w.points.len(), 60);
    assert!(w.points.iter().all(Option::is_none));
}

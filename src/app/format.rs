//! Short human forms for numbers, rates and durations; `-` for unknown, never `0`. Shared
//! by the panes (`ui`) and the tables laid out here (cells are sized from these texts).

/// `999`, `1.2k`, `34k`, `5.6M`.
pub fn count(n: u64) -> String {
    match n {
        0..=9_999 => n.to_string(),
        10_000..=999_999 => format!("{:.0}k", n as f64 / 1e3),
        1_000_000..=9_999_999 => format!("{:.1}M", n as f64 / 1e6),
        10_000_000..=999_999_999 => format!("{:.0}M", n as f64 / 1e6),
        _ => format!("{:.1}G", n as f64 / 1e9),
    }
}

pub fn opt_count(n: Option<u64>) -> String {
    n.map_or_else(|| "-".into(), count)
}

/// Rates per second: `0`, `0.4`, `12.3`, `1.2k`.
pub fn rate(r: Option<f64>) -> String {
    match r {
        None => "-".into(),
        Some(r) if !r.is_finite() => "-".into(),
        Some(0.0) => "0".into(),
        Some(r) if r < 100.0 => format!("{r:.1}"),
        Some(r) if r < 10_000.0 => format!("{r:.0}"),
        Some(r) => format!("{:.1}k", r / 1e3),
    }
}

pub fn percent(fraction: Option<f64>) -> String {
    match fraction {
        None => "-".into(),
        Some(0.0) => "0".into(),
        Some(f) if f < 0.1 => format!("{:.1}", f * 100.0),
        Some(f) => format!("{:.0}", f * 100.0),
    }
}

/// `45s`, `3m12s`, `2h05m`, `3d04h`.
pub use crate::model::clock::age_text as age_s;

/// `850ms`, `1.2s`, `45s`, `3m12s`.
pub fn millis(ms: f64) -> String {
    if !ms.is_finite() || ms < 0.0 {
        "-".into()
    } else if ms < 1000.0 {
        format!("{ms:.0}ms")
    } else if ms < 10_000.0 {
        format!("{:.1}s", ms / 1000.0)
    } else {
        age_s(ms / 1000.0)
    }
}

/// A chart window: `1m`, `5m`, `1h`.
pub fn window(ms: i64) -> String {
    if ms % 3_600_000 == 0 {
        format!("{}h", ms / 3_600_000)
    } else if ms % 60_000 == 0 {
        format!("{}m", ms / 60_000)
    } else {
        format!("{}s", ms / 1000)
    }
}

/// Cut `text` to `width` terminal columns (a CJK character or an emoji takes two), marking
/// the cut with `…`.
pub use crate::text::fit;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(count(9_999), "9999");
        assert_eq!(count(12_345), "12k");
        assert_eq!(count(5_600_000), "5.6M");
        assert_eq!(rate(None), "-");
        assert_eq!(rate(Some(0.0)), "0");
        assert_eq!(rate(Some(12.34)), "12.3");
        assert_eq!(rate(Some(12_345.0)), "12.3k");
        assert_eq!(percent(Some(0.25)), "25");
        assert_eq!(percent(Some(0.004)), "0.4");
        assert_eq!(age_s(75.0), "1m15s");
        assert_eq!(age_s(7_300.0), "2h01m");
        assert_eq!(millis(850.0), "850ms");
        assert_eq!(millis(1_250.0), "1.2s");
        assert_eq!(window(300_000), "5m");
        assert_eq!(window(3_600_000), "1h");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("ab", 4), "ab");
        assert_eq!(fit("ab", 0), "");
        // Display columns, not chars: each of 队, 列 and 📦 takes two.
        assert_eq!(fit("队列-📦", 7), "队列-📦");
        assert_eq!(fit("队列-📦", 5), "队列…");
    }
}

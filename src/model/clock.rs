//! Showing epoch milliseconds as wall-clock time. The zone is a value, so the dashboard
//! shows local time and its rendering tests pin UTC.

use chrono::DateTime;

/// The zone timestamps are shown in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Zone {
    #[default]
    Local,
    Utc,
}

impl Zone {
    /// `ms` formatted with a chrono `pattern`, or `-` when unknown or out of range.
    pub fn format(self, ms: Option<i64>, pattern: &str) -> String {
        let Some(t) = ms.and_then(DateTime::from_timestamp_millis) else {
            return "-".to_string();
        };
        match self {
            Zone::Local => t.with_timezone(&chrono::Local).format(pattern).to_string(),
            Zone::Utc => t.format(pattern).to_string(),
        }
    }

    /// `2026-11-28 09:00:00`, or `-`.
    pub fn datetime(self, ms: Option<i64>) -> String {
        self.format(ms, "%Y-%m-%d %H:%M:%S")
    }
}

/// A duration as the screens show ages: `45s`, `3m12s`, `2h05m`, `3d04h`; `-` when unknown.
pub fn age_text(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "-".into();
    }
    let s = seconds as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3_599 => format!("{}m{:02}s", s / 60, s % 60),
        3_600..=86_399 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_format_or_say_unknown() {
        assert_eq!(
            Zone::Utc.datetime(Some(1_795_856_400_000)),
            "2026-11-28 09:00:00"
        );
        assert_eq!(Zone::Utc.datetime(None), "-");
        assert_eq!(Zone::Utc.datetime(Some(i64::MAX)), "-");
        assert_eq!(Zone::Utc.format(Some(0), "%H:%M"), "00:00");
    }
}

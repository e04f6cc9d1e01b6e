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

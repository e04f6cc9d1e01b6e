//! Value parsers for flags: numbers, probabilities, durations, scale commands.

use std::time::Duration;

fn parse_number(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number"))?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(format!("'{text}' is not a finite number"))
    }
}

/// A number ≥ 0.
pub fn parse_non_negative(text: &str) -> Result<f64, String> {
    let value = parse_number(text)?;
    if value < 0.0 {
        return Err(format!("'{text}' must not be negative"));
    }
    Ok(value)
}

/// A number > 0.
pub fn parse_positive(text: &str) -> Result<f64, String> {
    let value = parse_number(text)?;
    if value <= 0.0 {
        return Err(format!("'{text}' must be greater than 0"));
    }
    Ok(value)
}

/// A probability in [0, 1].
pub fn parse_probability(text: &str) -> Result<f64, String> {
    let value = parse_number(text)?;
    if !(0.0..=1.0).contains(&value) {
        return Err(format!("'{text}' must be between 0 and 1"));
    }
    Ok(value)
}

/// `bullmq`, `sidekiq`, `rq` or `celery`.
pub fn parse_system(text: &str) -> Result<crate::model::System, String> {
    text.parse()
}

pub(super) fn parse_scale_cmd(
    text: &str,
) -> Result<crate::actions::scale_cmd::ScaleCommand, String> {
    crate::actions::scale_cmd::ScaleCommand::parse(text)
}

/// Parse `500ms`, `5s`, `2m`, `1h`, `1.5s` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration (try 500ms, 5s, 2m, 1h)"))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => {
            return Err(format!(
                "unknown unit '{other}' in '{text}' (use ms, s, m or h)"
            ))
        }
    };
    if !seconds.is_finite() || !(0.0..=365.0 * 86400.0).contains(&seconds) {
        return Err(format!("'{text}' is out of range"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

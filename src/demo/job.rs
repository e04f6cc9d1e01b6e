//! The demo job contract, shared by `qtop produce`, `qtop worker` and the Node/Python scripts
//! in `demo/`: job data `{idempotency_key, work_ms?, work_dist?, fail_rate?, poison?}`.
//! Every field but the key is optional; a worker uses its own settings for missing ones.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::random::Random;

/// BullMQ job name of demo jobs.
pub const DEMO_JOB_NAME: &str = "demo";

/// How long a simulated job takes around its mean.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum WorkDist {
    /// Always the mean.
    Fixed,
    /// Exponential around the mean: many short jobs, a few long ones (like real traffic).
    #[default]
    Exp,
}

impl WorkDist {
    pub fn toggled(self) -> Self {
        match self {
            Self::Fixed => Self::Exp,
            Self::Exp => Self::Fixed,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fixed => "fixed",
            Self::Exp => "exp",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DemoJobData {
    /// Unique per logical job: a worker that finds it already done skips the work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_dist: Option<WorkDist>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_rate: Option<f64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub poison: bool,
}

impl DemoJobData {
    /// Read the contract from any job's data, field by field: a job from another producer,
    /// or a field of the wrong type, just falls back to the worker's settings.
    pub fn from_value(value: &serde_json::Value) -> Self {
        let text = |k: &str| value.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let number = |k: &str| {
            value
                .get(k)
                .and_then(serde_json::Value::as_f64)
                .filter(|n| n.is_finite() && *n >= 0.0)
        };
        Self {
            idempotency_key: text("idempotency_key").filter(|k| !k.is_empty()),
            work_ms: number("work_ms"),
            work_dist: match text("work_dist").as_deref() {
                Some("fixed") => Some(WorkDist::Fixed),
                Some("exp") => Some(WorkDist::Exp),
                _ => None,
            },
            fail_rate: number("fail_rate").map(|p| p.min(1.0)),
            poison: value.get("poison").and_then(serde_json::Value::as_bool) == Some(true),
        }
    }
}

/// What a worker does when a job does not say.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorkDefaults {
    pub work_ms: f64,
    pub work_dist: WorkDist,
    pub fail_rate: f64,
}

/// One attempt, decided up front: how long it works and whether it fails.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkPlan {
    pub duration: Duration,
    /// `Some(reason)` when this attempt fails.
    pub failure: Option<String>,
}

/// Exponential draws are capped at this many means, so one unlucky draw cannot hold a
/// worker (and a graceful stop) for minutes.
const EXP_CAP_MEANS: f64 = 20.0;
/// No simulated job works longer than this, whatever its data says (`work_ms: 1e300` would
/// not even fit a `Duration`).
pub const MAX_WORK: Duration = Duration::from_secs(600);

pub fn plan_attempt(data: &DemoJobData, defaults: &WorkDefaults, random: &mut Random) -> WorkPlan {
    let mean = data.work_ms.unwrap_or(defaults.work_ms).max(0.0);
    let ms = match data.work_dist.unwrap_or(defaults.work_dist) {
        WorkDist::Fixed => mean,
        WorkDist::Exp => random.exponential(mean).min(mean * EXP_CAP_MEANS),
    };
    let fail_rate = data.fail_rate.unwrap_or(defaults.fail_rate);
    let failure = if data.poison {
        Some("poison job: this job always fails".to_string())
    } else if random.chance(fail_rate) {
        Some(format!("simulated failure (fail rate {fail_rate})"))
    } else {
        None
    };
    WorkPlan {
        duration: Duration::try_from_secs_f64(ms / 1000.0)
            .unwrap_or(MAX_WORK)
            .min(MAX_WORK),
        failure,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DEFAULTS: WorkDefaults = WorkDefaults {
        work_ms: 10.0,
        work_dist: WorkDist::Fixed,
        fail_rate: 0.0,
    };

    #[test]
    fn job_data_is_read_tolerantly() {
        let cases = [
            (
                json!({"idempotency_key": "k1"}),
                DemoJobData {
                    idempotency_key: Some("k1".into()),
                    ..DemoJobData::default()
                },
            ),
            (
                json!({"idempotency_key": 5, "work_ms": "x", "fail_rate": 7, "poison": "yes"}),
                DemoJobData {
                    fail_rate: Some(1.0),
                    ..DemoJobData::default()
                },
            ),
            (
                json!({"work_ms": 25, "work_dist": "exp", "poison": true}),
                DemoJobData {
                    work_ms: Some(25.0),
                    work_dist: Some(WorkDist::Exp),
                    poison: true,
                    ..DemoJobData::default()
                },
            ),
            (json!([1, 2]), DemoJobData::default()),
            (json!(null), DemoJobData::default()),
            (json!({"work_ms": -3}), DemoJobData::default()),
        ];
        for (value, expected) in cases {
            assert_eq!(DemoJobData::from_value(&value), expected, "{value}");
        }
    }

    #[test]
    fn serialized_data_omits_unset_fields() {
        let data = DemoJobData {
            idempotency_key: Some("r-1".into()),
            work_dist: Some(WorkDist::Fixed),
            ..DemoJobData::default()
        };
        let text = serde_json::to_string(&data).unwrap_or_default();
        assert_eq!(text, r#"{"idempotency_key":"r-1","work_dist":"fixed"}"#);
        assert_eq!(DemoJobData::from_value(&serde_json::json!(data)), data);
    }

    #[test]
    fn plans_follow_job_data_over_defaults() {
        let mut random = Random::new(1);
        let plan = plan_attempt(&DemoJobData::default(), &DEFAULTS, &mut random);
        assert_eq!(
            plan,
            WorkPlan {
                duration: Duration::from_millis(10),
                failure: None
            }
        );
        let poison = DemoJobData {
            poison: true,
            work_ms: Some(0.0),
            ..DemoJobData::default()
        };
        let plan = plan_attempt(&poison, &DEFAULTS, &mut random);
        assert_eq!(plan.duration, Duration::ZERO);
        assert!(plan.failure.is_some_and(|r| r.starts_with("poison")));
        let always = DemoJobData {
            fail_rate: Some(1.0),
            ..DemoJobData::default()
        };
        assert!(plan_attempt(&always, &DEFAULTS, &mut random)
            .failure
            .is_some());
        let huge = DemoJobData {
            work_ms: Some(1e300),
            ..DemoJobData::default()
        };
        assert_eq!(
            plan_attempt(&huge, &DEFAULTS, &mut random).duration,
            MAX_WORK
        );
        let exp = DemoJobData {
            work_dist: Some(WorkDist::Exp),
            ..DemoJobData::default()
        };
        for _ in 0..1000 {
            let plan = plan_attempt(&exp, &DEFAULTS, &mut random);
            assert!(plan.duration <= Duration::from_millis(200));
        }
    }
}

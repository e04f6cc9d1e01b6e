//! The capacity advisor: size a worker pool with queueing theory (M/M/c, Erlang C) from
//! measured signals, and compare with what KEDA's Redis list scaler would do.

use serde::Serialize;

/// What the advisor measured and how far to trust it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AdvisorInputs {
    /// λ: arrivals per second.
    pub arrival_per_s: f64,
    /// S: mean processing time of one job, in ms.
    pub service_time_ms: f64,
    /// c: job slots (workers × concurrency).
    pub capacity: u64,
    /// `true` when c is the most jobs seen active at once, not what workers declared.
    pub capacity_estimated: bool,
    /// Jobs waiting to start (waiting + prioritized + due delayed are counted by the caller).
    pub backlog: u64,
    /// Jobs whose processing time was measured.
    pub samples: u64,
    pub target_wait_ms: f64,
    /// The queue's own cap on jobs running at once (BullMQ's global concurrency).
    pub global_concurrency: Option<u64>,
    /// The queue's own cap on starts per second: its global rate limit when known, else
    /// the throughput measured while the limiter held it back (`rate_limit_estimated`).
    pub rate_limit_per_s: Option<f64>,
    pub rate_limit_estimated: bool,
}

/// What limits the queue's throughput.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bottleneck {
    /// The job slots the workers bring: adding workers helps.
    #[default]
    Workers,
    /// The queue's global concurrency: more workers will not run more jobs at once.
    GlobalConcurrency,
    /// The queue's rate limit: more workers will not start jobs faster.
    RateLimit,
}

/// The advisor's answer. JSON field names are a contract (`qtop advise --json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Advice {
    pub arrival_per_s: f64,
    pub service_time_ms: f64,
    pub capacity: u64,
    pub capacity_estimated: bool,
    /// ρ = λ / (c·μ); ≥ 1 means the queue grows without bound.
    pub utilisation: f64,
    /// Erlang C: probability that a job waits at all (1 when saturated).
    pub p_wait: f64,
    /// Mean wait in the queue, ms; `None` when saturated (it grows without bound).
    pub expected_wait_ms: Option<f64>,
    /// Mean jobs waiting; `None` when saturated.
    pub expected_queue_length: Option<f64>,
    /// The smallest c whose expected wait meets the target; `None` without a service time.
    pub recommended_capacity: Option<u64>,
    pub backlog: u64,
    /// backlog / (c·μ − λ), s; `None` when the backlog never drains (c·μ ≤ λ).
    pub drain_time_s: Option<f64>,
    /// KEDA's Redis list scaler: ceil(backlog / jobs per replica).
    pub keda_replicas: u64,
    pub keda_jobs_per_replica: u64,
    pub target_wait_ms: f64,
    /// What limits throughput: `workers`, `global_concurrency` or `rate_limit`.
    pub bottleneck: Bottleneck,
    /// The most jobs per second the queue's own limits allow (`null` when only workers
    /// limit it).
    pub throughput_cap_per_s: Option<f64>,
    /// Why the figures may not be trustworthy, and what limits the queue; empty when the
    /// figures are sound and workers are the only limit.
    pub warnings: Vec<String>,
}

/// Fewer measured jobs than this make the service time a guess.
pub const MIN_SAMPLES: u64 = 30;
/// KEDA's default `listLength` target.
pub const KEDA_DEFAULT_JOBS_PER_REPLICA: u64 = 5;
/// The recommendation search stops here.
const MAX_CAPACITY: u64 = 100_000;

/// Erlang C: probability of waiting in an M/M/c queue with offered load `a = λ/μ` Erlangs.
/// Uses the Erlang B recursion, stable for large c. 1 when `a ≥ c` (saturated).
pub fn erlang_c(c: u64, a: f64) -> f64 {
    if c == 0 || !a.is_finite() || a >= c as f64 {
        return 1.0;
    }
    if a <= 0.0 {
        return 0.0;
    }
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    let c = c as f64;
    c * b / (c - a * (1.0 - b))
}

/// Mean wait in queue (ms) for M/M/c: C / (cμ − λ); `None` when saturated.
pub fn expected_wait_ms(c: u64, arrival_per_s: f64, service_time_ms: f64) -> Option<f64> {
    if service_time_ms <= 0.0 {
        return Some(0.0);
    }
    let mu = 1000.0 / service_time_ms;
    let spare = c as f64 * mu - arrival_per_s;
    if spare <= 0.0 {
        return None;
    }
    Some(erlang_c(c, arrival_per_s / mu) / spare * 1000.0)
}

/// The smallest c ≥ 1 whose expected wait is at most `target_wait_ms`.
pub fn recommended_capacity(
    arrival_per_s: f64,
    service_time_ms: f64,
    target_wait_ms: f64,
) -> Option<u64> {
    if service_time_ms <= 0.0 || !arrival_per_s.is_finite() {
        return None;
    }
    let a = arrival_per_s * service_time_ms / 1000.0;
    // Below ⌈a⌉ the queue is saturated: start the search there.
    let start = (a.floor() as u64 + 1).max(1);
    (start..=MAX_CAPACITY).find(|&c| {
        expected_wait_ms(c, arrival_per_s, service_time_ms).is_some_and(|w| w <= target_wait_ms)
    })
}

pub fn advise(inputs: &AdvisorInputs) -> Advice {
    let AdvisorInputs {
        arrival_per_s: lambda,
        service_time_ms: s,
        capacity: slots,
        ..
    } = *inputs;
    // The queue's own global concurrency caps the slots the workers bring.
    let c = match inputs.global_concurrency {
        Some(global) => slots.min(global),
        None => slots,
    };
    let mu = if s > 0.0 { 1000.0 / s } else { f64::INFINITY };
    let slot_rate = c as f64 * mu;
    // A rate limit caps the service rate, whatever the slots.
    let rate_cap = inputs
        .rate_limit_per_s
        .filter(|r| r.is_finite() && *r >= 0.0);
    let service_rate = match rate_cap {
        Some(cap) => slot_rate.min(cap),
        None => slot_rate,
    };
    let utilisation = if service_rate > 0.0 {
        lambda / service_rate
    } else if lambda > 0.0 {
        f64::INFINITY
    } else {
        0.0
    };
    // An estimated cap (the throughput while limited) counts only well below what the
    // slots could do: workers busy at their capacity look "limited" too.
    let margin = if inputs.rate_limit_estimated {
        0.8
    } else {
        1.0
    };
    let rate_bound = rate_cap.is_some_and(|cap| cap < slot_rate * margin);
    // Under a rate limit M/M/c does not hold: no expected wait, only whether it drains.
    let wait = expected_wait_ms(c, lambda, s).filter(|_| c > 0 && !rate_bound);
    let spare = service_rate - lambda;
    let drain_time_s = if inputs.backlog == 0 {
        Some(0.0)
    } else if spare > 0.0 && spare.is_finite() {
        Some(inputs.backlog as f64 / spare)
    } else {
        None
    };
    let mut warnings = Vec::new();
    if inputs.samples < MIN_SAMPLES {
        warnings.push(format!(
            "only {} jobs measured (need {MIN_SAMPLES}): the service time is a guess",
            inputs.samples
        ));
    }
    if lambda <= 0.0 {
        warnings.push("no arrivals in the window".to_string());
    }
    if inputs.capacity_estimated {
        warnings.push("capacity estimated from the most jobs seen active at once".to_string());
    }
    if c == 0 && slots == 0 {
        warnings.push("no capacity: nobody is consuming this queue".to_string());
    }
    let recommended = recommended_capacity(lambda, s, inputs.target_wait_ms);
    let mut bottleneck = Bottleneck::Workers;
    let mut throughput_cap_per_s = None;
    let drain_words = |drain: Option<f64>| match drain {
        Some(d) => format!("the backlog of {} drains in {d:.0} s", inputs.backlog),
        None if inputs.backlog > 0 => {
            format!(
                "the backlog of {} never drains at this rate",
                inputs.backlog
            )
        }
        None => "arrivals exceed it: a backlog will grow".to_string(),
    };
    if let Some(cap) = rate_cap.filter(|_| rate_bound) {
        bottleneck = Bottleneck::RateLimit;
        throughput_cap_per_s = Some(cap);
        warnings.push(format!(
            "the queue's rate limit{} caps it at {cap:.1} jobs/s: more workers will not help;              {}",
            if inputs.rate_limit_estimated {
                " (estimated from the throughput while limited)"
            } else {
                ""
            },
            drain_words(drain_time_s)
        ));
    } else if let Some(global) = inputs
        .global_concurrency
        .filter(|g| *g < slots || recommended.is_some_and(|r| r > *g))
    {
        bottleneck = Bottleneck::GlobalConcurrency;
        throughput_cap_per_s = Some(global as f64 * mu).filter(|r| r.is_finite());
        warnings.push(format!(
            "the queue's global concurrency {global} caps jobs running at once{}: more workers              will not help{}; {}",
            if slots > global {
                format!(" (the workers bring {slots} slots)")
            } else {
                String::new()
            },
            match recommended {
                Some(r) if r > global => format!(", raise it to {r}"),
                _ => String::new(),
            },
            drain_words(drain_time_s)
        ));
    }
    Advice {
        arrival_per_s: lambda,
        service_time_ms: s,
        capacity: c,
        capacity_estimated: inputs.capacity_estimated,
        utilisation,
        p_wait: if c == 0 {
            1.0
        } else {
            erlang_c(c, if mu.is_finite() { lambda / mu } else { 0.0 })
        },
        expected_wait_ms: wait,
        expected_queue_length: wait.map(|w| lambda * w / 1000.0),
        recommended_capacity: recommended,
        backlog: inputs.backlog,
        drain_time_s,
        keda_replicas: inputs.backlog.div_ceil(KEDA_DEFAULT_JOBS_PER_REPLICA),
        keda_jobs_per_replica: KEDA_DEFAULT_JOBS_PER_REPLICA,
        target_wait_ms: inputs.target_wait_ms,
        bottleneck,
        throughput_cap_per_s,
        warnings,
    }
}

#[cfg(test)]
#[path = "capacity_tests.rs"]
mod tests;

//! Erlang C against published values, the advice's waits and warnings, and a simulated queue.

use super::*;

#[test]
fn erlang_c_matches_published_values() {
    // (c, a, P(wait)): M/M/1 gives ρ; the others are textbook and call-centre table values.
    let cases = [
        (1, 0.5, 0.5),
        (2, 1.0, 1.0 / 3.0),
        (3, 2.0, 4.0 / 9.0),
        (2, 1.5, 0.642857),
        (11, 10.0, 0.682118),
        (12, 10.0, 0.449388),
        (20, 15.0, 0.160429),
    ];
    for (c, a, expected) in cases {
        let got = erlang_c(c, a);
        assert!(
            (got - expected).abs() < 1e-5,
            "C({c}, {a}) = {got}, expected {expected}"
        );
    }
    assert_eq!(erlang_c(3, 3.0), 1.0);
    assert_eq!(erlang_c(0, 1.0), 1.0);
    assert_eq!(erlang_c(4, 0.0), 0.0);
}

#[test]
fn waits_and_recommendations() {
    // M/M/1, λ = 5/s, S = 100 ms: ρ = 0.5, Wq = ρ/(μ−λ) = 0.5/5 s = 100 ms.
    let wait = expected_wait_ms(1, 5.0, 100.0).unwrap_or(f64::NAN);
    assert!((wait - 100.0).abs() < 1e-9, "{wait}");
    assert_eq!(expected_wait_ms(1, 10.0, 100.0), None, "saturated");
    // 100/s at 50 ms needs more than 5 slots; the first c meeting 10 ms is the answer.
    let c = recommended_capacity(100.0, 50.0, 10.0).unwrap_or(0);
    assert!(c > 5);
    assert!(expected_wait_ms(c, 100.0, 50.0).unwrap_or(f64::MAX) <= 10.0);
    assert!(expected_wait_ms(c - 1, 100.0, 50.0).is_none_or(|w| w > 10.0));
}

#[test]
fn advice_says_when_the_backlog_never_drains() {
    let inputs = AdvisorInputs {
        arrival_per_s: 100.0,
        service_time_ms: 50.0,
        capacity: 4,
        backlog: 1000,
        samples: 500,
        target_wait_ms: 2000.0,
        ..AdvisorInputs::default()
    };
    let advice = advise(&inputs);
    // 4 slots × 20/s = 80/s < 100/s.
    assert!((advice.utilisation - 1.25).abs() < 1e-9);
    assert_eq!(advice.drain_time_s, None);
    assert_eq!(advice.expected_wait_ms, None);
    assert_eq!(advice.p_wait, 1.0);
    assert!(advice.recommended_capacity.unwrap_or(0) >= 6);
    assert_eq!(advice.keda_replicas, 200);
    assert!(advice.warnings.is_empty());

    let more = advise(&AdvisorInputs {
        capacity: 10,
        ..inputs.clone()
    });
    // 10 × 20/s − 100/s = 100/s spare: 1000 jobs drain in 10 s.
    assert_eq!(more.drain_time_s, Some(10.0));
    assert!(more.utilisation < 1.0);
}

#[test]
fn thin_inputs_are_flagged() {
    let advice = advise(&AdvisorInputs {
        samples: 3,
        capacity_estimated: true,
        ..AdvisorInputs::default()
    });
    assert_eq!(advice.warnings.len(), 4, "{:?}", advice.warnings);
}

#[test]
fn a_rate_limited_queue_is_not_blamed_on_its_workers() {
    // 2 jobs/s allowed, 5/s arriving, 4 workers at 100 ms could do 40/s.
    let inputs = AdvisorInputs {
        arrival_per_s: 5.0,
        service_time_ms: 100.0,
        capacity: 4,
        backlog: 300,
        samples: 200,
        target_wait_ms: 2000.0,
        rate_limit_per_s: Some(2.0),
        ..AdvisorInputs::default()
    };
    let advice = advise(&inputs);
    assert_eq!(advice.bottleneck, Bottleneck::RateLimit);
    assert_eq!(advice.throughput_cap_per_s, Some(2.0));
    assert!(advice.utilisation > 1.0, "{}", advice.utilisation);
    assert_eq!(advice.drain_time_s, None, "5/s in, 2/s out never drains");
    assert!(advice
        .warnings
        .iter()
        .any(|w| w.contains("more workers will not help")));
    // Under the limit the backlog drains at the limit's pace: 300 / (2 − 1) s.
    let slow = advise(&AdvisorInputs {
        arrival_per_s: 1.0,
        ..inputs.clone()
    });
    assert_eq!(slow.drain_time_s, Some(300.0));
    // A limit above what the workers can do leaves the workers the bottleneck.
    let loose = advise(&AdvisorInputs {
        rate_limit_per_s: Some(100.0),
        ..inputs
    });
    assert_eq!(loose.bottleneck, Bottleneck::Workers);
}

#[test]
fn global_concurrency_caps_capacity_and_says_so() {
    // setGlobalConcurrency(1) with 3 workers: 1 job at a time at 100 ms = 10/s < 15/s.
    let advice = advise(&AdvisorInputs {
        arrival_per_s: 15.0,
        service_time_ms: 100.0,
        capacity: 3,
        backlog: 500,
        samples: 200,
        target_wait_ms: 2000.0,
        global_concurrency: Some(1),
        ..AdvisorInputs::default()
    });
    assert_eq!(advice.capacity, 1);
    assert_eq!(advice.bottleneck, Bottleneck::GlobalConcurrency);
    assert!(advice.utilisation >= 1.0);
    assert_eq!(advice.drain_time_s, None);
    // It needs 2+ slots: the advice is to raise the global concurrency, not to remove a
    // worker.
    assert!(advice.recommended_capacity.unwrap_or(0) >= 2);
    assert!(
        advice.warnings.iter().any(|w| w.contains("raise it to")),
        "{:?}",
        advice.warnings
    );
}

/// A seeded discrete-event simulation of M/M/c: exponential arrivals and services,
/// c servers, FIFO. Returns (share of jobs that waited, mean wait in s).
fn simulate(c: usize, lambda: f64, mu: f64, jobs: usize, seed: u64) -> (f64, f64) {
    let mut state = seed;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut exp = |rate: f64| -(1.0 - uniform()).ln() / rate;
    let mut free_at = vec![0.0f64; c];
    let (mut t, mut waited, mut total_wait) = (0.0, 0usize, 0.0);
    for _ in 0..jobs {
        t += exp(lambda);
        let (slot, &free) = free_at
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(b.1))
            .unwrap_or((0, &0.0));
        let start = free.max(t);
        if start > t {
            waited += 1;
            total_wait += start - t;
        }
        free_at[slot] = start + exp(mu);
    }
    (waited as f64 / jobs as f64, total_wait / jobs as f64)
}

#[test]
fn the_model_agrees_with_a_simulated_queue() {
    for (c, lambda, mu) in [(1, 8.0, 10.0), (4, 30.0, 10.0), (10, 85.0, 10.0)] {
        let (p_wait, mean_wait_s) = simulate(c, lambda, mu, 400_000, 42 + c as u64);
        let advice = advise(&AdvisorInputs {
            arrival_per_s: lambda,
            service_time_ms: 1000.0 / mu,
            capacity: c as u64,
            samples: 1000,
            target_wait_ms: 1000.0,
            ..AdvisorInputs::default()
        });
        let expected_wait = advice.expected_wait_ms.unwrap_or(f64::NAN) / 1000.0;
        assert!(
            (p_wait - advice.p_wait).abs() < 0.02,
            "c={c}: P(wait) sim {p_wait} vs {}",
            advice.p_wait
        );
        assert!(
            (mean_wait_s - expected_wait).abs() < 0.1 * expected_wait,
            "c={c}: wait sim {mean_wait_s} vs {expected_wait}"
        );
    }
}

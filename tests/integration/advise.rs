//! `qtop advise` against a real BullMQ worker with a known service time.

use crate::common;

use std::time::Duration;

use common::{load_script, qtop_json, RedisServer};
use serde_json::Value;

fn advise(redis: &RedisServer, queue: &str) -> Value {
    let url = redis.url();
    qtop_json(&[
        "--redis", &url, "--queue", queue, "advise", "--json", "--window", "4s",
    ])
}

#[test]
fn an_overloaded_queue_is_told_how_many_slots_it_needs() {
    let redis = RedisServer::start();
    // 30 jobs/s of 100 ms each is 3 Erlangs of work: 2 slots can never keep up.
    let mut load = load_script(&redis.url(), "slow", "30", "8")
        .args(["--work-ms", "100", "--concurrency", "2"])
        .spawn();
    load.wait_for_line("STARTED", Duration::from_secs(60));
    let a = advise(&redis, "slow");
    assert_eq!(a["queue"], "slow");
    let lambda = a["arrival_per_s"].as_f64().unwrap();
    let service = a["service_time_ms"].as_f64().unwrap();
    assert!((lambda - 30.0).abs() < 3.0, "{a:#}");
    assert!((100.0..150.0).contains(&service), "{a:#}");
    assert_eq!(a["capacity"], 2);
    assert_eq!(a["capacity_estimated"], true);
    assert!(a["utilisation"].as_f64().unwrap() > 1.0);
    assert_eq!(a["p_wait"], 1.0);
    assert!(a["expected_wait_ms"].is_null());
    assert!(
        a["drain_time_s"].is_null(),
        "the backlog never drains at 2 slots"
    );
    // By hand: a = λ·S ≈ 3.1 Erlangs, so at least 4 slots.
    let recommended = a["recommended_capacity"].as_u64().unwrap();
    assert!((4..=6).contains(&recommended), "{a:#}");
    load.kill();
}

/// Erlang C from the textbook formula with factorials: an independent hand calculation.
fn erlang_c_by_hand(c: u64, a: f64) -> f64 {
    let factorial = |n: u64| (1..=n).map(|k| k as f64).product::<f64>();
    let top = a.powi(c as i32) / factorial(c) * c as f64 / (c as f64 - a);
    let sum: f64 = (0..c).map(|k| a.powi(k as i32) / factorial(k)).sum();
    top / (sum + top)
}

#[test]
fn figures_match_a_hand_calculation_from_the_shown_inputs() {
    let redis = RedisServer::start();
    let mut load = load_script(&redis.url(), "ok", "20", "8")
        .args(["--work-ms", "150", "--concurrency", "8"])
        .spawn();
    load.wait_for_line("STARTED", Duration::from_secs(60));
    let a = advise(&redis, "ok");
    let lambda = a["arrival_per_s"].as_f64().unwrap();
    let s_ms = a["service_time_ms"].as_f64().unwrap();
    let c = a["capacity"].as_u64().unwrap();
    assert!(c >= 1 && s_ms >= 150.0, "{a:#}");
    let mu = 1000.0 / s_ms;
    let rho = lambda / (c as f64 * mu);
    assert!(
        (a["utilisation"].as_f64().unwrap() - rho).abs() < 1e-9,
        "{a:#}"
    );
    if rho < 1.0 {
        let p_wait = erlang_c_by_hand(c, lambda / mu);
        let wait_ms = p_wait / (c as f64 * mu - lambda) * 1000.0;
        assert!(
            (a["p_wait"].as_f64().unwrap() - p_wait).abs() < 1e-9,
            "{a:#}"
        );
        assert!(
            (a["expected_wait_ms"].as_f64().unwrap() - wait_ms).abs() < 1e-6,
            "{a:#}"
        );
    } else {
        assert_eq!(a["p_wait"], 1.0);
        assert!(a["expected_wait_ms"].is_null());
    }
    // The recommendation is the smallest c that meets the 2 s target, checked by hand.
    let recommended = a["recommended_capacity"].as_u64().unwrap();
    let meets = |c: u64| {
        let a_erl = lambda / mu;
        (c as f64) > a_erl
            && erlang_c_by_hand(c, a_erl) / (c as f64 * mu - lambda) * 1000.0 <= 2000.0
    };
    assert!(meets(recommended), "{a:#}");
    assert!(recommended == 1 || !meets(recommended - 1), "{a:#}");
    load.wait_for_line("DONE", Duration::from_secs(60));
}

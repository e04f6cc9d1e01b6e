//! The demo pool's autoscaler: scale on the queue (backlog per slot, oldest wait), with
//! hysteresis (a condition must hold for several observations) and cooldowns, and never
//! below what the measured load needs, so it settles instead of oscillating.

use serde::Serialize;

#[derive(Clone, Debug, PartialEq)]
pub struct AutoscalePolicy {
    pub min_workers: u32,
    pub max_workers: u32,
    /// Scale up when more jobs than this wait per slot…
    pub target_backlog_per_slot: f64,
    /// …or the oldest job has waited longer than this.
    pub target_oldest_wait_s: f64,
    /// Scale down only when both are below this share of their targets.
    pub low_water: f64,
    /// Observations in a row that must agree before acting.
    pub up_after: u32,
    pub down_after: u32,
    pub up_cooldown_ms: i64,
    pub down_cooldown_ms: i64,
    /// Most workers added in one decision.
    pub max_step_up: u32,
    /// Keep the pool's utilisation (λ·S / slots) at or below this when scaling down.
    pub max_utilisation: f64,
}

impl Default for AutoscalePolicy {
    fn default() -> Self {
        Self {
            min_workers: 1,
            max_workers: 16,
            target_backlog_per_slot: 10.0,
            target_oldest_wait_s: 5.0,
            low_water: 0.2,
            up_after: 2,
            down_after: 8,
            up_cooldown_ms: 3_000,
            down_cooldown_ms: 10_000,
            max_step_up: 4,
            max_utilisation: 0.8,
        }
    }
}

/// What the autoscaler sees at one observation.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Observation {
    pub now_ms: i64,
    pub workers: u32,
    pub concurrency: u32,
    pub backlog: u64,
    pub oldest_wait_s: f64,
    /// Measured λ (jobs/s) and S (ms), when known.
    pub arrival_per_s: Option<f64>,
    pub service_time_ms: Option<f64>,
}

/// A scaling decision, for the pool and for a chart marker.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScaleDecision {
    pub at_ms: i64,
    pub from: u32,
    pub to: u32,
    pub reason: String,
}

#[derive(Clone, Debug, Default)]
pub struct Autoscaler {
    pub policy: AutoscalePolicy,
    high_streak: u32,
    low_streak: u32,
    last_change_ms: Option<i64>,
}

impl Autoscaler {
    pub fn new(policy: AutoscalePolicy) -> Self {
        Self {
            policy,
            ..Self::default()
        }
    }

    /// Workers needed so the measured load keeps utilisation at or below the policy's cap.
    fn needed_for_load(&self, o: &Observation) -> Option<u32> {
        let (lambda, s) = (o.arrival_per_s?, o.service_time_ms?);
        let slots = lambda * s / 1000.0 / self.policy.max_utilisation;
        Some((slots / o.concurrency.max(1) as f64).ceil() as u32)
    }

    pub fn observe(&mut self, o: &Observation) -> Option<ScaleDecision> {
        let p = &self.policy;
        let slots = (o.workers.max(1) * o.concurrency.max(1)) as f64;
        let per_slot = o.backlog as f64 / slots;
        let high = per_slot > p.target_backlog_per_slot || o.oldest_wait_s > p.target_oldest_wait_s;
        let low = per_slot < p.target_backlog_per_slot * p.low_water
            && o.oldest_wait_s < p.target_oldest_wait_s * p.low_water;
        self.high_streak = if high { self.high_streak + 1 } else { 0 };
        self.low_streak = if low { self.low_streak + 1 } else { 0 };
        let since = self.last_change_ms.map_or(i64::MAX, |t| o.now_ms - t);

        let target = if o.workers < p.min_workers {
            Some((
                p.min_workers,
                format!("below the minimum of {}", p.min_workers),
            ))
        } else if high
            && self.high_streak >= p.up_after
            && since >= p.up_cooldown_ms
            && o.workers < p.max_workers
        {
            // Enough slots for the backlog at the target depth, and for the measured load.
            let for_backlog =
                (o.backlog as f64 / p.target_backlog_per_slot / o.concurrency.max(1) as f64).ceil()
                    as u32;
            let wanted = for_backlog.max(self.needed_for_load(o).unwrap_or(0));
            let to = wanted
                .clamp(o.workers + 1, o.workers + p.max_step_up)
                .min(p.max_workers);
            Some((
                to,
                format!(
                    "{per_slot:.0} jobs waiting per slot, oldest {:.1}s",
                    o.oldest_wait_s
                ),
            ))
        } else if low
            && self.low_streak >= p.down_after
            && since >= p.down_cooldown_ms
            && o.workers > p.min_workers
        {
            let floor = self.needed_for_load(o).unwrap_or(0).max(p.min_workers);
            (o.workers > floor).then(|| (o.workers - 1, format!("backlog {} is low", o.backlog)))
        } else {
            None
        };
        let (to, reason) = target?;
        if to == o.workers {
            return None;
        }
        self.last_change_ms = Some(o.now_ms);
        self.high_streak = 0;
        self.low_streak = 0;
        Some(ScaleDecision {
            at_ms: o.now_ms,
            from: o.workers,
            to,
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fluid model of the demo: each second λ jobs arrive and the workers finish up to
    /// slots·μ of the backlog; new workers take one second to start.
    #[test]
    fn a_step_up_in_load_is_absorbed_without_oscillation() {
        let (service_ms, concurrency) = (50.0, 2);
        let per_worker = concurrency as f64 * 1000.0 / service_ms; // 40 jobs/s
        let mut scaler = Autoscaler::new(AutoscalePolicy::default());
        let (mut workers, mut starting) = (2u32, Vec::<(i64, u32)>::new());
        let mut backlog = 0.0f64;
        let mut decisions = Vec::new();
        let mut backlog_tail = Vec::new();
        for second in 0..300i64 {
            let lambda = if second < 30 { 50.0 } else { 200.0 };
            starting.retain(|&(ready_at, n)| {
                if ready_at <= second {
                    workers = n;
                    false
                } else {
                    true
                }
            });
            backlog = (backlog + lambda - workers as f64 * per_worker).max(0.0);
            let oldest = backlog / (workers as f64 * per_worker);
            let observation = Observation {
                now_ms: second * 1000,
                workers,
                concurrency,
                backlog: backlog as u64,
                oldest_wait_s: oldest,
                arrival_per_s: Some(lambda),
                service_time_ms: Some(service_ms),
            };
            if let Some(decision) = scaler.observe(&observation) {
                decisions.push(decision.clone());
                starting.push((second + 1, decision.to));
            }
            if second >= 240 {
                backlog_tail.push(backlog);
            }
        }
        let ups = decisions.iter().filter(|d| d.to > d.from).count();
        let downs = decisions.len() - ups;
        assert!(decisions.len() <= 8, "too many changes: {decisions:#?}");
        // Direction changes: at most up … then down, never back up.
        let first_down = decisions
            .iter()
            .position(|d| d.to < d.from)
            .unwrap_or(decisions.len());
        assert!(
            decisions[first_down..].iter().all(|d| d.to < d.from),
            "oscillates: {decisions:#?}"
        );
        assert!(ups >= 1 && downs <= 4, "{decisions:#?}");
        // Settled: enough capacity for 200/s and an empty backlog for the last minute.
        assert!(workers as f64 * per_worker >= 200.0, "{workers} workers");
        assert!(
            backlog_tail.iter().all(|&b| b < 1.0),
            "backlog did not settle: {backlog_tail:?}"
        );
    }

    #[test]
    fn hysteresis_and_cooldown_hold_back_reactions() {
        let mut scaler = Autoscaler::new(AutoscalePolicy::default());
        let busy = |t: i64, workers: u32| Observation {
            now_ms: t,
            workers,
            concurrency: 1,
            backlog: 1000,
            oldest_wait_s: 30.0,
            ..Observation::default()
        };
        assert_eq!(
            scaler.observe(&busy(0, 1)),
            None,
            "one observation is not enough"
        );
        let first = scaler.observe(&busy(1000, 1));
        assert!(first.is_some_and(|d| d.to == 5), "step is capped at 4");
        assert_eq!(scaler.observe(&busy(2000, 5)), None);
        assert_eq!(scaler.observe(&busy(3000, 5)), None, "cooldown");
        assert!(scaler.observe(&busy(4000, 5)).is_some());
    }

    #[test]
    fn the_minimum_is_restored_at_once() {
        let mut scaler = Autoscaler::new(AutoscalePolicy::default());
        let decision = scaler.observe(&Observation {
            workers: 0,
            concurrency: 1,
            ..Observation::default()
        });
        assert_eq!(decision.map(|d| d.to), Some(1));
    }
}

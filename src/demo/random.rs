//! A tiny seeded PRNG for simulated work: job durations and failure draws.
//! Statistical quality is all the demo needs, so no dependency for it.

use std::time::{SystemTime, UNIX_EPOCH};

/// SplitMix64 (Steele, Lea, Flood 2014): small, fast, good enough for simulations.
#[derive(Clone, Debug)]
pub struct Random {
    state: u64,
}

impl Random {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// Seeded from the clock and the pid, so concurrent workers draw different sequences.
    pub fn from_entropy() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Self::new(nanos ^ (u64::from(std::process::id()) << 32))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p` (clamped to [0, 1]).
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.next_f64() < p.min(1.0)
    }

    /// Exponentially distributed with the given mean (inverse-CDF sampling).
    pub fn exponential(&mut self, mean: f64) -> f64 {
        // 1 - u is in (0, 1], so the logarithm is finite.
        -mean * (1.0 - self.next_f64()).ln()
    }

    /// 16 hex digits, for run ids.
    pub fn hex_id(&mut self) -> String {
        format!("{:016x}", self.next_u64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_have_the_expected_means() {
        let mut random = Random::new(7);
        let n = 100_000;
        let uniform: f64 = (0..n).map(|_| random.next_f64()).sum::<f64>() / n as f64;
        assert!((uniform - 0.5).abs() < 0.01, "{uniform}");
        let exp: f64 = (0..n).map(|_| random.exponential(40.0)).sum::<f64>() / n as f64;
        assert!((exp - 40.0).abs() < 1.0, "{exp}");
        let hits = (0..n).filter(|_| random.chance(0.1)).count() as f64 / n as f64;
        assert!((hits - 0.1).abs() < 0.01, "{hits}");
        assert!(!random.chance(0.0));
        assert!(random.chance(1.0));
    }
}

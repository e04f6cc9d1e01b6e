//! The priority lists that were empty at the last poll, probed together: one `EXISTS` over
//! the lists of many queues (most queues never use priorities, so nearly every probe finds
//! none). When a group's count is not 0, every list of that group is read by `LLEN` in a
//! second round trip: exact, and rare.
//!
//! At 1,000 queues that use no priorities a poll is 2,032 commands instead of 2,999 with one
//! `EXISTS` a queue, and costs Redis ~10 % less (benches/RESULTS.md, round 4).

use redis::Value;

use crate::source::value::as_i64;

/// Lists in one `EXISTS`: a group that finds a list costs at most this many `LLEN`.
pub const PROBE_KEYS: usize = 96;

/// One `EXISTS`: the queues and the priority-step indices of their lists it asks about.
pub type ProbeGroup = Vec<(String, Vec<usize>)>;

#[derive(Debug, Default)]
pub struct Probes {
    groups: Vec<ProbeGroup>,
    /// Lists in the last group.
    filled: usize,
}

impl Probes {
    /// Probe `lists` of `queue` (nothing when empty). A queue's lists stay in one group.
    pub fn add(&mut self, queue: &str, lists: &[usize]) {
        if lists.is_empty() {
            return;
        }
        if self.groups.is_empty() || self.filled + lists.len() > PROBE_KEYS {
            self.groups.push(Vec::new());
            self.filled = 0;
        }
        if let Some(group) = self.groups.last_mut() {
            group.push((queue.to_string(), lists.to_vec()));
            self.filled += lists.len();
        }
    }

    pub fn groups(&self) -> &[ProbeGroup] {
        &self.groups
    }
}

/// Whether an `EXISTS` reply says none of its lists exists (an error or anything but a
/// count is not taken as none).
pub fn none_exist(reply: &Value) -> bool {
    as_i64(reply) == Some(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_hold_at_most_probe_keys_lists_and_keep_a_queue_whole() {
        let mut probes = Probes::default();
        probes.add("none", &[]);
        assert!(probes.groups().is_empty());
        for q in 0..40 {
            probes.add(&format!("q{q}"), &[1, 2, 3]);
        }
        probes.add("last", &[2]);
        let groups = probes.groups();
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].len(), PROBE_KEYS / 3);
        let lists = |g: &ProbeGroup| g.iter().map(|(_, l)| l.len()).sum::<usize>();
        assert!(groups.iter().all(|g| lists(g) <= PROBE_KEYS));
        assert_eq!(groups.iter().map(lists).sum::<usize>(), 40 * 3 + 1);
        assert_eq!(groups[1].last(), Some(&("last".to_string(), vec![2])));
    }

    #[test]
    fn only_a_count_of_zero_means_none_exist() {
        assert!(none_exist(&Value::Int(0)));
        for reply in [
            Value::Int(1),
            Value::Nil,
            Value::BulkString(b"garbage".to_vec()),
        ] {
            assert!(!none_exist(&reply), "{reply:?}");
        }
    }
}

//! How often the poller re-reads what events do not announce.

/// A quiet queue with active jobs is re-read at least once per this many polls.
pub(super) const ACTIVE_RECONCILE_EVERY: u64 = 5;

/// A quiet queue's meta hash is re-read in its turn once per this many polls (see
/// [`meta_due`]).
pub(super) const META_EVERY: u64 = 10;

/// Whether a quiet refresh re-reads the meta hash, `age` polls after it was last read.
/// Pause and resume write events (a queue with events always reads it) and the version,
/// library and `maxLenEvents` change rarely, so a quiet queue reads it once per
/// `META_EVERY` polls, in turns by slot so every poll reads a slice. A change made without
/// an event (a manual `HSET`/`HDEL` of `paused`) is therefore seen within `2·META_EVERY`
/// polls, or at the queue's next reconciliation after that when reconciliations are rarer
/// (then every reconciliation reads it, as before).
pub(super) fn meta_due(age: u64, slot: u64, poll_index: u64) -> bool {
    age >= 2 * META_EVERY || (age >= META_EVERY && slot % META_EVERY == poll_index % META_EVERY)
}

#[cfg(test)]
mod tests {
    use super::{meta_due, META_EVERY};

    #[test]
    fn a_quiet_queue_reads_its_meta_in_its_turn_and_never_too_late() {
        // (age, slot, poll) → due
        let cases = [
            (0, 3, 13, false),
            (META_EVERY - 1, 3, 13, false),
            (META_EVERY, 3, 13, true),
            (META_EVERY, 4, 13, false),
            (2 * META_EVERY - 1, 4, 13, false),
            (2 * META_EVERY, 4, 13, true),
            (60, 7, 120, true),
        ];
        for (age, slot, poll, due) in cases {
            assert_eq!(
                meta_due(age, slot, poll),
                due,
                "age {age} slot {slot} poll {poll}"
            );
        }
    }

    #[test]
    fn every_poll_reads_a_slice_of_the_quiet_queues_meta() {
        // Reconciling every queue on every poll, all read once at poll 1: from then on each
        // queue reads its meta every META_EVERY polls, a tenth of them per poll.
        let queues = 1000u64;
        let mut read_at = vec![1u64; queues as usize];
        for poll in 2..=100u64 {
            let mut reads = 0;
            for (slot, at) in read_at.iter_mut().enumerate() {
                let age = poll - *at;
                assert!(age <= 2 * META_EVERY, "slot {slot} poll {poll}");
                if meta_due(age, slot as u64, poll) {
                    *at = poll;
                    reads += 1;
                }
            }
            if poll > 2 * META_EVERY {
                assert_eq!(reads, queues / META_EVERY, "poll {poll}");
            }
        }
    }
}

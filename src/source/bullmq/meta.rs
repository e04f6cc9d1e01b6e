//! What a queue's meta hash (and its scheduler count) says, and the book that lets queues
//! alike share one copy: most queues of an app are written by one library version and set
//! no limits, so 10,000 of them hold a handful of these instead of 10,000 (1.1 MB).

use std::collections::HashSet;
use std::sync::Arc;

use compact_str::CompactString;

use crate::model::RateLimit;

/// The meta hash's fields qtop reads, and the queue's job schedulers; `problem` says why
/// the hash could not be read. Kept, like a whole, while it is not re-read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Meta {
    pub paused: bool,
    /// The library that writes the queue (`bullmq:6.7.0`, …).
    pub library: Option<CompactString>,
    /// `opts.maxLenEvents`, when set.
    pub max_len_events: Option<u64>,
    /// `setGlobalConcurrency`.
    pub global_concurrency: Option<u64>,
    /// `setGlobalRateLimit`.
    pub global_rate_limit: Option<RateLimit>,
    /// Job schedulers and repeatable jobs (`repeat`).
    pub schedulers: Option<u64>,
    pub problem: Option<String>,
}

/// Metas in use, one copy of each.
#[derive(Debug, Default)]
pub struct MetaBook {
    known: HashSet<Arc<Meta>>,
}

impl MetaBook {
    /// The shared copy of `meta` (it becomes the shared one when it is new).
    pub fn share(&mut self, meta: Arc<Meta>) -> Arc<Meta> {
        if let Some(known) = self.known.get(&meta) {
            return Arc::clone(known);
        }
        self.known.insert(Arc::clone(&meta));
        meta
    }

    /// Forget the metas no queue holds any more.
    pub fn forget_unused(&mut self) {
        self.known.retain(|meta| Arc::strong_count(meta) > 1);
    }

    pub fn len(&self) -> usize {
        self.known.len()
    }

    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queues_alike_share_one_copy_and_unused_ones_are_forgotten() {
        let mut book = MetaBook::default();
        let meta = |library: &str| {
            Arc::new(Meta {
                library: Some(library.into()),
                ..Meta::default()
            })
        };
        let a = book.share(meta("bullmq:6.7.0"));
        let b = book.share(meta("bullmq:6.7.0"));
        let c = book.share(meta("bullmq:5.1.0"));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(book.len(), 2);
        drop(c);
        book.forget_unused();
        assert_eq!(book.len(), 1);
        drop((a, b));
        book.forget_unused();
        assert!(book.is_empty());
    }
}

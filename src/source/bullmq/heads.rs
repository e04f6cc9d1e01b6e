//! The job ids last read at the heads of a queue's `wait`, `prioritized` and legacy
//! `paused` lists, in one allocation of their exact size: three vectors were 72 bytes in
//! every queue's refresh and a heap block per list.

use compact_str::CompactString;

/// Which list: `wait`, `prioritized`, legacy `paused`.
pub const LISTS: usize = 3;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Heads {
    ids: Box<[CompactString]>,
    /// Where each list's ids end in `ids`.
    ends: [u8; LISTS],
}

impl Heads {
    /// At most 255 ids a list are kept (a head read is three).
    pub fn new(lists: [Vec<CompactString>; LISTS]) -> Self {
        let mut ids = Vec::with_capacity(lists.iter().map(|l| l.len().min(255)).sum());
        let mut ends = [0u8; LISTS];
        for (list, end) in lists.into_iter().zip(ends.iter_mut()) {
            ids.extend(list.into_iter().take(255));
            *end = u8::try_from(ids.len()).unwrap_or(u8::MAX);
        }
        Self {
            ids: ids.into_boxed_slice(),
            ends,
        }
    }

    /// List `list`'s ids (none for a list past the last).
    pub fn get(&self, list: usize) -> &[CompactString] {
        let start = match list {
            0 => 0,
            _ => self.ends.get(list - 1).copied().unwrap_or(u8::MAX),
        };
        let end = self.ends.get(list).copied().unwrap_or(0);
        self.ids
            .get(usize::from(start)..usize::from(end))
            .unwrap_or_default()
    }

    /// Every list's ids, in order.
    pub fn all(&self) -> &[CompactString] {
        &self.ids
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<CompactString> {
        list.iter().map(|id| CompactString::from(*id)).collect()
    }

    #[test]
    fn each_list_gets_back_its_own_ids() {
        let heads = Heads::new([ids(&["1", "2", "3"]), ids(&[]), ids(&["p9"])]);
        assert_eq!(heads.get(0), ids(&["1", "2", "3"]).as_slice());
        assert!(heads.get(1).is_empty());
        assert_eq!(heads.get(2), ids(&["p9"]).as_slice());
        assert!(heads.get(3).is_empty());
        assert_eq!(heads.all().len(), 4);
        assert!(!heads.is_empty());
        assert!(Heads::default().is_empty());
        assert!(Heads::default().get(1).is_empty());
    }
}

//! The job ids last read at the heads of a queue's `wait`, `prioritized` and legacy
//! `paused` lists, in one string: each id written after its length (`1:51:41:3` holds
//! `5`, `4` and `3`). Up to 24 bytes sit inline, so the heads of a queue with short
//! (numeric) ids need no heap block at all; a boxed slice of ids was an 80-byte block
//! in every queue's refresh, and one more for each id longer than 24 bytes.

use std::borrow::Cow;
use std::fmt::Write;

use compact_str::CompactString;

/// Which list: `wait`, `prioritized`, legacy `paused`.
pub const LISTS: usize = 3;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Heads {
    /// Every list's ids in order, each after its length in decimal and a `:`.
    text: CompactString,
    /// How many ids the lists up to each one hold (`ends[1]`: `wait`'s and `prioritized`'s).
    ends: [u8; LISTS],
}

impl Heads {
    /// At most 255 ids a list are kept (a head read is three).
    pub fn new(lists: [Vec<Cow<'_, str>>; LISTS]) -> Self {
        let mut text = String::new();
        let mut ends = [0u8; LISTS];
        let mut count = 0u8;
        for (list, end) in lists.iter().zip(ends.iter_mut()) {
            for id in list.iter().take(255) {
                let _ = write!(text, "{}:{id}", id.len());
                count = count.saturating_add(1);
            }
            *end = count;
        }
        Self {
            // A copy of its exact size (inline up to 24 bytes).
            text: CompactString::from(text.as_str()),
            ends,
        }
    }

    /// List `list`'s ids (none for a list past the last).
    pub fn get(&self, list: usize) -> impl Iterator<Item = &str> {
        let start = match list {
            0 => 0,
            _ => self.ends.get(list - 1).copied().unwrap_or(u8::MAX),
        };
        let end = self.ends.get(list).copied().unwrap_or(0);
        self.all()
            .skip(usize::from(start))
            .take(usize::from(end.saturating_sub(start)))
    }

    /// Every list's ids, in order.
    pub fn all(&self) -> impl Iterator<Item = &str> {
        let mut rest = self.text.as_str();
        std::iter::from_fn(move || {
            let (len, tail) = rest.split_once(':')?;
            let id = tail.get(..len.parse::<usize>().ok()?)?;
            rest = &tail[id.len()..];
            Some(id)
        })
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids<'a>(list: &[&'a str]) -> Vec<Cow<'a, str>> {
        list.iter().map(|id| Cow::Borrowed(*id)).collect()
    }

    fn got<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
        ids.collect()
    }

    #[test]
    fn each_list_gets_back_its_own_ids() {
        let heads = Heads::new([ids(&["1", "2", "3"]), ids(&[]), ids(&["p9"])]);
        assert_eq!(got(heads.get(0)), ["1", "2", "3"]);
        assert!(got(heads.get(1)).is_empty());
        assert_eq!(got(heads.get(2)), ["p9"]);
        assert!(got(heads.get(3)).is_empty());
        assert_eq!(got(heads.all()), ["1", "2", "3", "p9"]);
        assert!(!heads.is_empty());
        assert!(Heads::default().is_empty());
        assert!(got(Heads::default().get(1)).is_empty());
    }

    #[test]
    fn any_id_comes_back_whole() {
        // Ids holding the separator, digits, multi-byte text, nothing at all, or long
        // enough to leave the inline room.
        let long = "x".repeat(300);
        let odd = ["12:34", "", "3:abc", "队列-📦", long.as_str(), "0"];
        let heads = Heads::new([ids(&odd[..2]), ids(&odd[2..5]), ids(&odd[5..])]);
        assert_eq!(got(heads.get(0)), odd[..2]);
        assert_eq!(got(heads.get(1)), odd[2..5]);
        assert_eq!(got(heads.get(2)), odd[5..]);
        assert_eq!(got(heads.all()), odd);
    }

    #[test]
    fn short_numeric_heads_take_no_heap_block() {
        let heads = Heads::new([ids(&["100001", "100002", "100003"]), ids(&[]), ids(&[])]);
        assert!(!heads.text.is_heap_allocated());
        assert_eq!(got(heads.all()), ["100001", "100002", "100003"]);
    }
}

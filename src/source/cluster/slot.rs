//! Redis Cluster key slots: CRC16 of the key (or of its hash tag) modulo 16384.

/// Slots in a Redis Cluster.
pub const SLOTS: usize = 16384;

/// CRC16-CCITT (XMODEM), the checksum Redis Cluster hashes keys with.
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The part of a key that is hashed: the text between the first `{` and the next `}` when
/// that is not empty, else the whole key.
pub fn hash_tag(key: &[u8]) -> Option<&[u8]> {
    let open = key.iter().position(|&b| b == b'{')?;
    let rest = &key[open + 1..];
    let close = rest.iter().position(|&b| b == b'}')?;
    (close > 0).then(|| &rest[..close])
}

/// The slot a key lives in.
pub fn key_slot(key: &[u8]) -> u16 {
    let hashed = hash_tag(key).unwrap_or(key);
    crc16(hashed) % SLOTS as u16
}

/// Whether every key of a BullMQ queue lands in one slot, which BullMQ's Lua scripts need
/// on a cluster: true when the prefix or the queue name carries a hash tag.
pub fn queue_keys_share_a_slot(prefix: &str, name: &str) -> bool {
    let a = format!("{prefix}:{name}:wait");
    let b = format!("{prefix}:{name}:meta");
    let c = format!("{prefix}:{name}:1");
    hash_tag(a.as_bytes()).is_some()
        && key_slot(a.as_bytes()) == key_slot(b.as_bytes())
        && key_slot(a.as_bytes()) == key_slot(c.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_matches_the_reference_check_value() {
        // The check value of CRC-16/XMODEM, as in the Redis Cluster specification.
        assert_eq!(crc16(b"123456789"), 0x31C3);
    }

    #[test]
    fn slots_match_what_redis_computes() {
        // Values from `CLUSTER KEYSLOT` on redis-server 7.0.
        let cases: [(&str, u16); 6] = [
            ("foo", 12182),
            ("bar", 5061),
            ("{bull}:emails:wait", 9263),
            ("{user1000}.following", 3443),
            ("foo{}{bar}", 8363),
            ("foo{{bar}}zap", 4015),
        ];
        for (key, slot) in cases {
            assert_eq!(key_slot(key.as_bytes()), slot, "{key}");
        }
    }

    #[test]
    fn hash_tags_follow_the_first_brace_pair() {
        assert_eq!(hash_tag(b"{bull}:q:wait"), Some(&b"bull"[..]));
        assert_eq!(hash_tag(b"bull:{emails}:wait"), Some(&b"emails"[..]));
        assert_eq!(hash_tag(b"foo{}{bar}"), None);
        assert_eq!(hash_tag(b"foo{bar"), None);
        assert_eq!(hash_tag(b"plain"), None);
    }

    #[test]
    fn a_queue_needs_a_tag_in_its_prefix_or_name() {
        assert!(queue_keys_share_a_slot("{bull}", "emails"));
        assert!(queue_keys_share_a_slot("bull", "{emails}"));
        assert!(!queue_keys_share_a_slot("bull", "emails"));
        assert!(!queue_keys_share_a_slot("bull{}", "emails"));
    }
}

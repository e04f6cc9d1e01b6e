//! The cluster's shape from `CLUSTER NODES`: which nodes exist, which are masters, which are
//! up, and which master owns each slot. Parsing tolerates lines it does not understand.

use super::slot::SLOTS;

/// One node as `CLUSTER NODES` describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterNode {
    pub id: String,
    /// `host:port` clients connect to.
    pub addr: String,
    pub master: bool,
    /// For a replica: its master's id.
    pub master_id: Option<String>,
    /// Not flagged failing (`fail`, `fail?`), in handshake or without address, and its
    /// link is connected.
    pub up: bool,
    /// Slot ranges served (masters only), inclusive.
    pub slots: Vec<(u16, u16)>,
}

impl ClusterNode {
    pub fn slot_count(&self) -> usize {
        self.slots
            .iter()
            .map(|(from, to)| usize::from(to.saturating_sub(*from)) + 1)
            .sum()
    }
}

/// The nodes and the slot → master table.
#[derive(Clone, Debug, Default)]
pub struct Topology {
    pub nodes: Vec<ClusterNode>,
    /// Index into `nodes` of each slot's master.
    owners: Vec<Option<usize>>,
}

impl Topology {
    /// Build from the text of `CLUSTER NODES`.
    pub fn parse(text: &str) -> Self {
        let mut nodes: Vec<ClusterNode> = text.lines().filter_map(parse_line).collect();
        nodes.sort_by(|a, b| a.addr.cmp(&b.addr));
        let mut owners = vec![None; SLOTS];
        for (index, node) in nodes.iter().enumerate() {
            if !node.master {
                continue;
            }
            for &(from, to) in &node.slots {
                for slot in from..=to.min(SLOTS as u16 - 1) {
                    if let Some(owner) = owners.get_mut(usize::from(slot)) {
                        *owner = Some(index);
                    }
                }
            }
        }
        Self { nodes, owners }
    }

    /// The master serving a slot.
    pub fn owner(&self, slot: u16) -> Option<&ClusterNode> {
        let index = (*self.owners.get(usize::from(slot))?)?;
        self.nodes.get(index)
    }

    /// Masters that serve at least one slot, by address.
    pub fn masters(&self) -> impl Iterator<Item = &ClusterNode> {
        self.nodes
            .iter()
            .filter(|n| n.master && !n.slots.is_empty())
    }

    /// Slots that no master serves (the cluster is then degraded).
    pub fn uncovered_slots(&self) -> usize {
        self.owners.iter().filter(|o| o.is_none()).count()
    }
}

fn parse_line(line: &str) -> Option<ClusterNode> {
    let mut fields = line.split_whitespace();
    let id = fields.next()?.to_string();
    let address = fields.next()?;
    let flags: Vec<&str> = fields.next()?.split(',').collect();
    let master_field = fields.next()?;
    let _ping_sent = fields.next()?;
    let _pong_received = fields.next()?;
    let _epoch = fields.next()?;
    let link_state = fields.next()?;
    // `ip:port@cport[,hostname]`
    let addr = address.split(['@', ',']).next().unwrap_or_default();
    let no_address = addr.is_empty() || addr.starts_with(':') || flags.contains(&"noaddr");
    let failing = flags
        .iter()
        .any(|f| matches!(*f, "fail" | "fail?" | "handshake" | "noaddr"));
    let master = flags.contains(&"master");
    let slots = if master {
        fields.filter_map(parse_slot_range).collect()
    } else {
        Vec::new()
    };
    Some(ClusterNode {
        id,
        addr: addr.to_string(),
        master,
        master_id: (master_field != "-").then(|| master_field.to_string()),
        up: !failing && !no_address && link_state == "connected",
        slots,
    })
}

/// `0-5460` or `42`; `[slot->-node]` / `[slot-<-node]` (migrating, importing) are skipped.
fn parse_slot_range(field: &str) -> Option<(u16, u16)> {
    if field.starts_with('[') {
        return None;
    }
    let (from, to) = match field.split_once('-') {
        Some((from, to)) => (from.parse().ok()?, to.parse().ok()?),
        None => {
            let slot = field.parse().ok()?;
            (slot, slot)
        }
    };
    (from <= to && usize::from(to) < SLOTS).then_some((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NODES: &str = "\
07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:30004@31004,host-4 slave e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 0 1426238317239 4 connected
67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 127.0.0.1:30002@31002 master - 0 1426238316232 2 connected 5461-10922
292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 127.0.0.1:30003@31003 master - 0 1426238318243 3 connected 10923-16383
6ec23923021cf3ffec47632106199cb7f496ce01 127.0.0.1:30005@31005 slave 67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1 0 1426238316232 5 connected
824fe116063bc5fcf9f4ffd895bc17aee7731ac3 127.0.0.1:30006@31006 slave,fail 292f8b365bb7edb5e285caf0b7e6ddc7265d2f4f 0 1426238317741 6 disconnected
e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:30001@31001 myself,master - 0 0 1 connected 0-5460 [5461->-67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1]
";

    #[test]
    fn masters_own_their_slots() {
        let topology = Topology::parse(NODES);
        assert_eq!(topology.nodes.len(), 6);
        let masters: Vec<&str> = topology.masters().map(|n| n.addr.as_str()).collect();
        assert_eq!(
            masters,
            ["127.0.0.1:30001", "127.0.0.1:30002", "127.0.0.1:30003"]
        );
        let owner = |slot| topology.owner(slot).map(|n| n.addr.as_str());
        assert_eq!(owner(0), Some("127.0.0.1:30001"));
        assert_eq!(owner(5460), Some("127.0.0.1:30001"));
        assert_eq!(owner(5461), Some("127.0.0.1:30002"));
        assert_eq!(owner(16383), Some("127.0.0.1:30003"));
        assert_eq!(topology.uncovered_slots(), 0);
        assert_eq!(
            topology.masters().map(|m| m.slot_count()).sum::<usize>(),
            SLOTS
        );
    }

    #[test]
    fn failing_nodes_are_down_and_replicas_know_their_master() {
        let topology = Topology::parse(NODES);
        let node = |addr: &str| topology.nodes.iter().find(|n| n.addr == addr);
        assert_eq!(node("127.0.0.1:30006").map(|n| n.up), Some(false));
        assert_eq!(node("127.0.0.1:30004").map(|n| n.up), Some(true));
        assert_eq!(
            node("127.0.0.1:30005").and_then(|n| n.master_id.clone()),
            Some("67ed2db8d677e59ec4a4cefb06858cf2a1a89fa1".to_string())
        );
    }

    #[test]
    fn garbage_and_gaps_do_not_panic() {
        for text in [
            "",
            "garbage",
            "a b c d e f g h 99999-1 x-y 5-3 [1-<-z]",
            "id :0@0 master,noaddr - 0 0 0 disconnected 0-100",
        ] {
            let topology = Topology::parse(text);
            assert!(!topology.owner(0).map(|n| n.up).unwrap_or(false));
        }
        let half = Topology::parse("x 10.0.0.1:7000@17000 master - 0 0 1 connected 0-8191");
        assert_eq!(half.uncovered_slots(), SLOTS - 8192);
        assert!(half.owner(9000).is_none());
    }
}

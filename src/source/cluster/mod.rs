//! Redis Cluster: key slots, the topology from `CLUSTER NODES`, and a link that sends one
//! pipeline to every master in parallel. BullMQ on a cluster keeps each queue's keys in one
//! slot (a hash tag in the prefix or the queue name), so per-queue reads stay on one node.

pub mod link;
pub mod route;
pub mod slot;
pub mod topology;

pub use link::{ClusterLink, LinkError};
pub use slot::{key_slot, queue_keys_share_a_slot};
pub use topology::{ClusterNode, Topology};

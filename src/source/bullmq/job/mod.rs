//! Any BullMQ job, not only failed ones: one job in full with its flow (`detail`, `flow`),
//! a state's jobs searched (`search`), the queue's job schedulers (`schedulers`). Read-only,
//! bounded, SCAN-free.

pub mod detail;
pub mod fields;
pub mod flow;
pub mod schedulers;
pub mod search;
pub mod state;

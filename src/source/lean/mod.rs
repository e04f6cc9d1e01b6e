//! The lean events path: a plain RESP2 connection and a reader that looks only at what
//! qtop uses of an events stream (see `conn.rs` for why).

pub mod conn;
pub mod resp;
pub mod xread;

pub use conn::{Batch, LeanConn};

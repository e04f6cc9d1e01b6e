//! The lean read path: a plain RESP2 connection and readers that look only at what qtop
//! uses (see `conn.rs` for why).

pub mod conn;
pub mod resp;
pub mod tls;
pub mod value;

pub use conn::{Batch, LeanConn, Replies};

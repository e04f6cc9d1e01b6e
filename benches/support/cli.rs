//! What every cost bench's `main` starts with: the queue counts to run (its arguments, or
//! a default) and the two-thread runtime the benches measure on.

/// The sizes given as arguments (anything else is skipped), or `default` when none is.
pub fn sizes<T: std::str::FromStr + Clone>(default: &[T]) -> Vec<T> {
    let sizes: Vec<T> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    if sizes.is_empty() {
        default.to_vec()
    } else {
        sizes
    }
}

/// A tokio runtime of two worker threads (this machine's two cores).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

//! Applying a scaling decision to the demo's pool: start or gracefully stop workers until
//! there are `to` (shared by the dashboard and the tests that drive the engine directly).

use super::DemoHandle;

pub fn scale_to(handle: &DemoHandle, from: u32, to: u32) {
    for _ in to..from {
        handle.stop_worker();
    }
    for _ in from..to {
        handle.spawn_worker();
    }
}

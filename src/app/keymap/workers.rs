//! The workers pane's remote controls: one key per `WorkerControl`, acting on the selected
//! worker (asked first, refused under --read-only; help and the status bar dim a key the
//! selected worker's system does not have, with the reason). None of these keys is taken by
//! the demo's layer, whose `k` and `-` still kill and stop qtop's own workers.

use super::{ch, Binding, BROWSE};
use crate::app::Command;
use crate::model::WorkerControl;

const fn control(
    keys: &'static [super::Key],
    control: WorkerControl,
    help: &'static str,
) -> Binding {
    Binding {
        keys,
        command: Command::WorkerControl(control),
        modes: BROWSE,
        help,
        status: None,
    }
}

pub const WORKERS: &[Binding] = &[
    control(&[ch('Q')], WorkerControl::Quiet, "worker: quiet (Sidekiq)"),
    control(&[ch('K')], WorkerControl::Stop, "worker: stop (shut down)"),
    control(
        &[ch('J')],
        WorkerControl::StopJob,
        "worker: stop its job (RQ)",
    ),
    control(&[ch('>')], WorkerControl::Grow, "worker: pool +1 (Celery)"),
    control(
        &[ch('<')],
        WorkerControl::Shrink,
        "worker: pool -1 (Celery)",
    ),
];

//! Key layers beyond the base dashboard: the advisor and its confirmation (always on), and
//! the demo's (`qtop demo`), which sits in front and takes `+ - k a` from the base layer.

use super::{ch, Binding, BROWSE, QUEUE};
use crate::app::demo::DemoCommand;
use crate::app::Command;

/// The advisor panel (queue view only, where it is drawn) and --scale-cmd (its question
/// uses the dead letters' `Mode::Confirm` bindings: `y` runs, anything else cancels).
pub const ADVISOR: &[Binding] = &[
    Binding {
        keys: &[ch('A')],
        command: Command::ToggleAdvisor,
        modes: QUEUE,
        help: "advisor panel on / off",
        status: None,
    },
    Binding {
        keys: &[ch('t')],
        command: Command::TargetWaitDown,
        modes: QUEUE,
        help: "advisor: halve the target wait",
        status: None,
    },
    Binding {
        keys: &[ch('T')],
        command: Command::TargetWaitUp,
        modes: QUEUE,
        help: "advisor: double the target wait",
        status: None,
    },
    Binding {
        keys: &[ch('!')],
        command: Command::ApplyScale,
        modes: QUEUE,
        help: "advisor: run --scale-cmd with its workers (asks)",
        status: None,
    },
];

const fn demo(
    keys: &'static [super::Key],
    command: DemoCommand,
    help: &'static str,
    status: Option<&'static str>,
) -> Binding {
    Binding {
        keys,
        command: Command::Demo(command),
        modes: BROWSE,
        help,
        status,
    }
}

/// `qtop demo`'s keys, in front of the dashboard's. Zoom stays on `z`/`Z`, selection on
/// the arrows, and the all-queues chart toggle moves from `a` to `v`.
pub const DEMO: &[Binding] = &[
    demo(
        &[ch(']')],
        DemoCommand::RateUp,
        "demo: rate × 1.5",
        Some("rate"),
    ),
    demo(&[ch('[')], DemoCommand::RateDown, "demo: rate ÷ 1.5", None),
    demo(
        &[ch('b')],
        DemoCommand::Burst,
        "demo: burst of 500 jobs",
        None,
    ),
    demo(
        &[ch('+')],
        DemoCommand::SpawnWorker,
        "demo: start a worker",
        Some("worker"),
    ),
    demo(
        &[ch('-')],
        DemoCommand::StopWorker,
        "demo: stop a worker (gracefully)",
        None,
    ),
    demo(
        &[ch('k')],
        DemoCommand::KillWorker,
        "demo: SIGKILL a worker",
        Some("kill"),
    ),
    demo(
        &[ch('f')],
        DemoCommand::CycleFailRate,
        "demo: failure rate 0/2/10/30 %",
        None,
    ),
    demo(
        &[ch('x')],
        DemoCommand::TogglePoison,
        "demo: poison jobs on / off",
        None,
    ),
    demo(
        &[ch('c')],
        DemoCommand::CycleConcurrency,
        "demo: concurrency of new workers",
        None,
    ),
    demo(
        &[ch('w')],
        DemoCommand::CycleWorkTime,
        "demo: work time of new jobs",
        None,
    ),
    demo(
        &[ch('a')],
        DemoCommand::ToggleAutoscale,
        "demo: autoscaler on / off",
        Some("autoscale"),
    ),
    Binding {
        keys: &[ch('v')],
        command: Command::ToggleAllQueues,
        modes: BROWSE,
        help: "charts: selected queue / all queues",
        status: None,
    },
];

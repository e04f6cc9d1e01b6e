//! A yes/no question before something with effects outside the screen: a bulk or
//! destructive dead-letter action, running --scale-cmd, or a worker's remote control. `Mode::Confirm` has the keys;
//! `y` runs `on_yes`, anything else cancels.

use super::worker_controls::ControlRequest;
use crate::actions::dlq_op::DlqRequest;

#[derive(Clone, Debug, PartialEq)]
pub struct Confirm {
    /// What will happen, in words (shown in the dialog).
    pub question: String,
    pub on_yes: OnYes,
}

/// What "yes" starts.
#[derive(Clone, Debug, PartialEq)]
pub enum OnYes {
    DeadLetters(DlqRequest),
    RunScaleCmd {
        workers: u32,
    },
    /// A remote control of a worker (`app::worker_controls`).
    WorkerControl(Box<ControlRequest>),
}

//! A yes/no question before something with effects outside the screen: a bulk or
//! destructive dead-letter action, or running --scale-cmd. `Mode::Confirm` has the keys;
//! `y` runs `on_yes`, anything else cancels.

use crate::actions::dlq_op::DlqRequest;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirm {
    /// What will happen, in words (shown in the dialog).
    pub question: String,
    pub on_yes: OnYes,
}

/// What "yes" starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OnYes {
    DeadLetters(DlqRequest),
    RunScaleCmd { workers: u32 },
}

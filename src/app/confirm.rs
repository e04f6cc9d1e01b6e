//! A yes/no question before something with effects outside qtop (running --scale-cmd).
//! Generic: the question and the effect to run on "yes"; `Mode::Confirm` has the keys.

use super::Effect;

#[derive(Clone, Debug, PartialEq)]
pub struct Confirm {
    /// What will happen, in words (shown in the dialog).
    pub question: String,
    /// Run on "yes"; nothing happens on "no".
    pub on_yes: Vec<Effect>,
}

impl Confirm {
    pub fn new(question: impl Into<String>, on_yes: Vec<Effect>) -> Self {
        Self {
            question: question.into(),
            on_yes,
        }
    }
}

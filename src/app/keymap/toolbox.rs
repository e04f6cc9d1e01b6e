//! The operator's toolbox: copying to the clipboard (always on) and the context list
//! (`C`, added by `App::set_contexts` when the config file has contexts).

use super::{ch, ctrl, key, Binding, BROWSE};
use crate::app::{Command, Mode};
use crossterm::event::KeyCode;

const CONTEXTS_MODE: &[Mode] = &[Mode::Contexts];

/// `y`/`Y`: copy through the terminal (OSC 52).
pub const COPY: &[Binding] = &[
    Binding {
        keys: &[ch('y')],
        command: Command::Copy,
        modes: BROWSE,
        help: "copy the selected queue's or worker's name (OSC 52)",
        status: None,
    },
    Binding {
        keys: &[ch('y')],
        command: Command::Copy,
        modes: &[Mode::DeadLetterDetail],
        help: "copy the job's id (OSC 52)",
        status: None,
    },
    Binding {
        keys: &[ch('Y')],
        command: Command::CopyJson,
        modes: &[Mode::DeadLetterDetail],
        help: "copy the job as JSON (OSC 52)",
        status: None,
    },
];

/// The context list and the key that opens it.
pub const CONTEXTS: &[Binding] = &[
    Binding {
        keys: &[ch('C')],
        command: Command::Contexts,
        modes: BROWSE,
        help: "contexts: switch to another context of the config file",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::Up), ch('k')],
        command: Command::Up,
        modes: CONTEXTS_MODE,
        help: "previous context",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::Down), ch('j')],
        command: Command::Down,
        modes: CONTEXTS_MODE,
        help: "next context",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::Enter)],
        command: Command::Focus,
        modes: CONTEXTS_MODE,
        help: "switch to this context (its history starts afresh)",
        status: Some("switch"),
    },
    Binding {
        keys: &[key(KeyCode::Esc), ch('C')],
        command: Command::Back,
        modes: CONTEXTS_MODE,
        help: "close the list",
        status: Some("close"),
    },
    Binding {
        keys: &[ch('q'), ctrl('c')],
        command: Command::Quit,
        modes: CONTEXTS_MODE,
        help: "quit",
        status: Some("quit"),
    },
];

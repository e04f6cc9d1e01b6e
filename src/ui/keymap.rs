//! The one keymap: the dispatcher, the help overlay and the status bar all read these
//! tables, so help can never drift from behaviour.
//!
//! A `Keymap` is a stack of layers; the first layer that binds a key in the current mode
//! wins, and a binding hidden that way disappears from help and the status bar too. The
//! demo plugs in with `Keymap::dashboard().with_layer(DEMO)`, where its layer binds
//! `[ ] b + - k` to `Command::Demo(…)`: `+`/`-` then drive the demo and zoom stays on
//! `z`/`Z`, which the base layer binds as well for exactly that reason.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub use super::keymap_layers::{ADVISOR, DEMO};
use crate::app::{Command, Mode};

/// A key as bindings name it. Shift is ignored for characters (`?` and `Z` arrive with or
/// without SHIFT depending on the terminal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

pub(super) const fn key(code: KeyCode) -> Key {
    Key {
        code,
        mods: KeyModifiers::NONE,
    }
}

pub(super) const fn ch(c: char) -> Key {
    key(KeyCode::Char(c))
}

pub(super) const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: KeyModifiers::CONTROL,
    }
}

impl Key {
    pub fn matches(&self, event: &KeyEvent) -> bool {
        let relevant = |m: KeyModifiers| m & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code_matches = match (self.code, event.code) {
            (KeyCode::Char(a), KeyCode::Char(b)) => a == b,
            (a, b) => a == b,
        };
        code_matches && relevant(self.mods) == relevant(event.modifiers)
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::Backspace => "Bksp".into(),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{}", base.to_uppercase())
        } else {
            base
        }
    }
}

/// Keys → one command, in some modes, with the words help and the status bar show.
#[derive(Clone, Copy, Debug)]
pub struct Binding {
    pub keys: &'static [Key],
    pub command: Command,
    pub modes: &'static [Mode],
    pub help: &'static str,
    /// Short label for the status bar; `None` keeps the binding out of it.
    pub status: Option<&'static str>,
}

const BROWSE: &[Mode] = &[Mode::Dashboard, Mode::Queue];
const ALL_BUT_FILTER: &[Mode] = &[
    Mode::Dashboard,
    Mode::Queue,
    Mode::Help,
    Mode::DeadLetters,
    Mode::DeadLetterDetail,
    Mode::DeadLetterGroups,
];
const DLQ_LIST: &[Mode] = &[Mode::DeadLetters];
const DETAIL_AND_GROUPS: &[Mode] = &[Mode::DeadLetterDetail, Mode::DeadLetterGroups];
const DLQ_LIST_AND_GROUPS: &[Mode] = &[Mode::DeadLetters, Mode::DeadLetterGroups];

/// The plain dashboard.
pub const BASE: &[Binding] = &[
    Binding {
        keys: &[ch('q'), ctrl('c')],
        command: Command::Quit,
        modes: ALL_BUT_FILTER,
        help: "quit",
        status: Some("quit"),
    },
    Binding {
        keys: &[ctrl('c')],
        command: Command::Quit,
        modes: &[Mode::Filter],
        help: "quit",
        status: None,
    },
    Binding {
        keys: &[ch('?')],
        command: Command::Help,
        modes: ALL_BUT_FILTER,
        help: "show or hide this help",
        status: Some("help"),
    },
    Binding {
        keys: &[ctrl('c')],
        command: Command::Quit,
        modes: &[Mode::Confirm],
        help: "quit",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::Up), ch('k')],
        command: Command::Up,
        modes: BROWSE,
        help: "select the previous row",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::Down), ch('j')],
        command: Command::Down,
        modes: BROWSE,
        help: "select the next row",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::PageUp), ctrl('u')],
        command: Command::PageUp,
        modes: BROWSE,
        help: "up a page",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::PageDown), ctrl('d')],
        command: Command::PageDown,
        modes: BROWSE,
        help: "down a page",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::Home), ch('g')],
        command: Command::Top,
        modes: BROWSE,
        help: "first row",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::End), ch('G')],
        command: Command::Bottom,
        modes: BROWSE,
        help: "last row",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::Tab), key(KeyCode::Right), ch('l')],
        command: Command::NextPane,
        modes: BROWSE,
        help: "next pane (queues, workers)",
        status: Some("pane"),
    },
    Binding {
        keys: &[key(KeyCode::BackTab), key(KeyCode::Left), ch('h')],
        command: Command::PrevPane,
        modes: BROWSE,
        help: "previous pane",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::Enter)],
        command: Command::Focus,
        modes: &[Mode::Dashboard],
        help: "focus the selected queue",
        status: Some("focus"),
    },
    Binding {
        keys: &[key(KeyCode::Esc)],
        command: Command::Back,
        modes: &[Mode::Queue, Mode::Help],
        help: "back",
        status: Some("back"),
    },
    Binding {
        keys: &[key(KeyCode::Esc)],
        command: Command::ClearFilter,
        modes: &[Mode::Dashboard],
        help: "clear the filter",
        status: None,
    },
    Binding {
        keys: &[ch('/')],
        command: Command::Filter,
        modes: BROWSE,
        help: "filter queues by name",
        status: Some("filter"),
    },
    Binding {
        keys: &[ch('s')],
        command: Command::CycleSort,
        modes: BROWSE,
        help: "sort by the next column",
        status: Some("sort"),
    },
    Binding {
        keys: &[ch('S')],
        command: Command::ReverseSort,
        modes: BROWSE,
        help: "reverse the sort order",
        status: None,
    },
    Binding {
        keys: &[ch('a')],
        command: Command::ToggleAllQueues,
        modes: BROWSE,
        help: "charts: selected queue / all queues",
        status: Some("all"),
    },
    Binding {
        // `z` second: with the demo's layer taking `+`, the status bar shows `z`.
        keys: &[ch('+'), ch('z'), ch('=')],
        command: Command::ZoomIn,
        modes: BROWSE,
        help: "zoom in (shorter chart window)",
        status: Some("zoom"),
    },
    Binding {
        keys: &[ch('-'), ch('Z')],
        command: Command::ZoomOut,
        modes: BROWSE,
        help: "zoom out (longer chart window, up to 1 h)",
        status: None,
    },
    Binding {
        keys: &[ch('p'), ch(' ')],
        command: Command::Freeze,
        modes: BROWSE,
        help: "freeze / unfreeze the display (data keeps being recorded)",
        status: Some("freeze"),
    },
    Binding {
        keys: &[key(KeyCode::Enter)],
        command: Command::FilterAccept,
        modes: &[Mode::Filter],
        help: "keep the filter",
        status: Some("keep"),
    },
    Binding {
        keys: &[key(KeyCode::Esc)],
        command: Command::FilterCancel,
        modes: &[Mode::Filter],
        help: "clear the filter",
        status: Some("clear"),
    },
    Binding {
        keys: &[key(KeyCode::Backspace)],
        command: Command::FilterBackspace,
        modes: &[Mode::Filter],
        help: "delete a character",
        status: None,
    },
];

/// The dead-letter screens (`d` on a queue) and the confirm dialog.
pub const DEAD_LETTERS: &[Binding] = &[
    Binding {
        keys: &[ch('d')],
        command: Command::DeadLetters,
        modes: BROWSE,
        help: "dead letters (failed jobs) of the selected queue",
        status: Some("dead letters"),
    },
    Binding {
        keys: &[key(KeyCode::Up), ch('k')],
        command: Command::Up,
        modes: DLQ_LIST,
        help: "previous job (past the top: the previous page, read from Redis)",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::Down), ch('j')],
        command: Command::Down,
        modes: DLQ_LIST,
        help: "next job (past the bottom: the next page, read from Redis)",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::PageUp), ctrl('u')],
        command: Command::PageUp,
        modes: DLQ_LIST,
        help: "previous page (newer jobs)",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::PageDown), ctrl('d')],
        command: Command::PageDown,
        modes: DLQ_LIST,
        help: "next page (older jobs)",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::Home)],
        command: Command::Top,
        modes: DLQ_LIST,
        help: "first page (newest)",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::End)],
        command: Command::Bottom,
        modes: DLQ_LIST,
        help: "last page (oldest)",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::Up), ch('k')],
        command: Command::Up,
        modes: DETAIL_AND_GROUPS,
        help: "up",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::Down), ch('j')],
        command: Command::Down,
        modes: DETAIL_AND_GROUPS,
        help: "down",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::PageUp), ctrl('u')],
        command: Command::PageUp,
        modes: DETAIL_AND_GROUPS,
        help: "up a page",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::PageDown), ctrl('d')],
        command: Command::PageDown,
        modes: DETAIL_AND_GROUPS,
        help: "down a page",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::Home)],
        command: Command::Top,
        modes: DETAIL_AND_GROUPS,
        help: "top",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::End)],
        command: Command::Bottom,
        modes: DETAIL_AND_GROUPS,
        help: "bottom",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::Enter)],
        command: Command::Focus,
        modes: DLQ_LIST,
        help: "open the failed job: data, opts, stack traces, logs",
        status: Some("open"),
    },
    Binding {
        keys: &[ch(' ')],
        command: Command::Mark,
        modes: DLQ_LIST,
        help: "mark / unmark the job (r and x then act on the marked jobs)",
        status: None,
    },
    Binding {
        keys: &[ch('r')],
        command: Command::Retry,
        modes: DLQ_LIST,
        help: "retry the marked jobs, else the selected one",
        status: Some("retry"),
    },
    Binding {
        keys: &[ch('r')],
        command: Command::Retry,
        modes: &[Mode::DeadLetterDetail],
        help: "retry this job",
        status: Some("retry"),
    },
    Binding {
        keys: &[ch('r')],
        command: Command::Retry,
        modes: &[Mode::DeadLetterGroups],
        help: "retry every job of the selected group",
        status: Some("retry"),
    },
    Binding {
        keys: &[ch('R')],
        command: Command::RetryAll,
        modes: DLQ_LIST_AND_GROUPS,
        help: "retry every failed job of the queue",
        status: None,
    },
    Binding {
        keys: &[ch('x'), key(KeyCode::Delete)],
        command: Command::Delete,
        modes: DLQ_LIST,
        help: "delete the marked jobs, else the selected one",
        status: Some("delete"),
    },
    Binding {
        keys: &[ch('x'), key(KeyCode::Delete)],
        command: Command::Delete,
        modes: &[Mode::DeadLetterDetail],
        help: "delete this job",
        status: Some("delete"),
    },
    Binding {
        keys: &[ch('x'), key(KeyCode::Delete)],
        command: Command::Delete,
        modes: &[Mode::DeadLetterGroups],
        help: "delete every job of the selected group",
        status: Some("delete"),
    },
    Binding {
        keys: &[ch('X')],
        command: Command::DeleteAll,
        modes: DLQ_LIST_AND_GROUPS,
        help: "delete every failed job of the queue",
        status: None,
    },
    Binding {
        keys: &[ch('e')],
        command: Command::Export,
        modes: DLQ_LIST_AND_GROUPS,
        help: "export every failed job as JSON lines to a file in the current directory",
        status: Some("export"),
    },
    Binding {
        keys: &[ch('g')],
        command: Command::ToggleGroups,
        modes: DLQ_LIST_AND_GROUPS,
        help: "failure groups / list",
        status: Some("groups"),
    },
    Binding {
        keys: &[ch('/')],
        command: Command::Filter,
        modes: DLQ_LIST,
        help: "filter this page by name or reason (other pages: PgUp/PgDn)",
        status: Some("filter"),
    },
    Binding {
        keys: &[key(KeyCode::Esc)],
        command: Command::Back,
        modes: DLQ_LIST,
        help: "clear the filter, else leave the dead letters",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::Esc)],
        command: Command::Back,
        modes: DETAIL_AND_GROUPS,
        help: "back to the list",
        status: Some("back"),
    },
    Binding {
        keys: &[ch('y')],
        command: Command::ConfirmYes,
        modes: &[Mode::Confirm],
        help: "yes, do it",
        status: Some("yes"),
    },
    Binding {
        keys: &[ch('n'), key(KeyCode::Esc), key(KeyCode::Enter)],
        command: Command::ConfirmNo,
        modes: &[Mode::Confirm],
        help: "no, change nothing",
        status: Some("no"),
    },
];

/// One line of help or one status bar item. `command` lets the screen show a binding as
/// unavailable (a write in read-only mode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub keys: String,
    pub text: &'static str,
    pub command: Command,
}

/// Layers of bindings, first match wins.
#[derive(Clone, Debug)]
pub struct Keymap {
    layers: Vec<&'static [Binding]>,
}

impl Default for Keymap {
    fn default() -> Self {
        Self::dashboard()
    }
}

impl Keymap {
    pub fn dashboard() -> Self {
        Self {
            layers: vec![BASE, DEAD_LETTERS, super::keymap_layers::ADVISOR],
        }
    }

    /// Put `layer` in front: its bindings win over the existing ones for the same key.
    pub fn with_layer(mut self, layer: &'static [Binding]) -> Self {
        self.layers.insert(0, layer);
        self
    }

    fn bindings(&self) -> impl Iterator<Item = &Binding> {
        self.layers.iter().flat_map(|layer| layer.iter())
    }

    pub fn lookup(&self, mode: Mode, event: &KeyEvent) -> Option<Command> {
        self.bindings()
            .find(|b| b.modes.contains(&mode) && b.keys.iter().any(|k| k.matches(event)))
            .map(|b| b.command)
    }

    /// The keys of `binding` that still reach it in `mode` (not taken by an earlier layer).
    fn live_keys(&self, mode: Mode, binding: &Binding) -> Vec<Key> {
        binding
            .keys
            .iter()
            .filter(|k| {
                let probe = KeyEvent::new(k.code, k.mods);
                self.bindings()
                    .find(|b| b.modes.contains(&mode) && b.keys.iter().any(|x| x.matches(&probe)))
                    .is_some_and(|b| std::ptr::eq(b, binding))
            })
            .copied()
            .collect()
    }

    /// Every live binding of `mode`, in table order, with all its keys.
    pub fn help(&self, mode: Mode) -> Vec<Entry> {
        self.bindings()
            .filter(|b| b.modes.contains(&mode))
            .filter_map(|b| {
                let keys = self.live_keys(mode, b);
                (!keys.is_empty()).then(|| Entry {
                    keys: join(&keys),
                    text: b.help,
                    command: b.command,
                })
            })
            .collect()
    }

    /// The status bar of `mode`: first key and short label of the bindings that have one.
    pub fn status(&self, mode: Mode) -> Vec<Entry> {
        self.bindings()
            .filter(|b| b.modes.contains(&mode))
            .filter_map(|b| {
                let label = b.status?;
                let keys = self.live_keys(mode, b);
                keys.first().map(|k| Entry {
                    keys: k.label(),
                    text: label,
                    command: b.command,
                })
            })
            .collect()
    }
}

fn join(keys: &[Key]) -> String {
    keys.iter().map(Key::label).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn base_bindings_dispatch_per_mode() {
        let map = Keymap::dashboard();
        assert_eq!(
            map.lookup(Mode::Dashboard, &press('s')),
            Some(Command::CycleSort)
        );
        assert_eq!(map.lookup(Mode::Filter, &press('s')), None);
        assert_eq!(
            map.lookup(Mode::Dashboard, &press('+')),
            Some(Command::ZoomIn)
        );
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        for mode in [Mode::Dashboard, Mode::Queue, Mode::Filter, Mode::Help] {
            assert_eq!(map.lookup(mode, &ctrl_c), Some(Command::Quit), "{mode:?}");
        }
        // Shift does not matter for characters.
        let shifted = KeyEvent::new(KeyCode::Char('?'), KeyModifiers::SHIFT);
        assert_eq!(map.lookup(Mode::Dashboard, &shifted), Some(Command::Help));
    }

    #[test]
    fn no_key_is_bound_twice_in_one_mode_of_a_layer() {
        let modes = [
            Mode::Dashboard,
            Mode::Queue,
            Mode::Filter,
            Mode::Help,
            Mode::DeadLetters,
            Mode::DeadLetterDetail,
            Mode::DeadLetterGroups,
            Mode::Confirm,
        ];
        for layer in [BASE, DEAD_LETTERS] {
            for mode in modes {
                let mut seen: Vec<Key> = Vec::new();
                for b in layer.iter().filter(|b| b.modes.contains(&mode)) {
                    for k in b.keys {
                        assert!(!seen.contains(k), "{mode:?}: {} bound twice", k.label());
                        seen.push(*k);
                    }
                }
            }
        }
    }

    #[test]
    fn dead_letter_keys_dispatch_per_screen() {
        let map = Keymap::dashboard();
        assert_eq!(
            map.lookup(Mode::Dashboard, &press('d')),
            Some(Command::DeadLetters)
        );
        assert_eq!(map.lookup(Mode::Dashboard, &press('g')), Some(Command::Top));
        assert_eq!(
            map.lookup(Mode::DeadLetters, &press('g')),
            Some(Command::ToggleGroups)
        );
        assert_eq!(
            map.lookup(Mode::DeadLetters, &press('q')),
            Some(Command::Quit)
        );
        assert_eq!(map.lookup(Mode::Confirm, &press('q')), None);
        assert_eq!(
            map.lookup(Mode::Confirm, &press('y')),
            Some(Command::ConfirmYes)
        );
        let delete = KeyEvent::new(KeyCode::Delete, KeyModifiers::NONE);
        assert_eq!(
            map.lookup(Mode::DeadLetterGroups, &delete),
            Some(Command::Delete)
        );
    }

    const OVERRIDE: &[Binding] = &[Binding {
        keys: &[ch('+')],
        command: Command::Quit,
        modes: &[Mode::Dashboard],
        help: "a demo key",
        status: Some("demo"),
    }];

    #[test]
    fn a_layer_in_front_takes_keys_and_help_follows() {
        let map = Keymap::dashboard().with_layer(OVERRIDE);
        assert_eq!(
            map.lookup(Mode::Dashboard, &press('+')),
            Some(Command::Quit)
        );
        assert_eq!(
            map.lookup(Mode::Dashboard, &press('z')),
            Some(Command::ZoomIn)
        );
        let help = map.help(Mode::Dashboard);
        let zoom = help.iter().find(|e| e.text.starts_with("zoom in"));
        assert_eq!(zoom.map(|e| e.keys.as_str()), Some("z ="));
        assert!(help.iter().any(|e| e.keys == "+" && e.text == "a demo key"));
        let status = map.status(Mode::Dashboard);
        assert!(status.iter().any(|e| e.keys == "z" && e.text == "zoom"));
    }
}

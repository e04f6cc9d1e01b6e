//! The one keymap (the engine here; the tables in `base`, `dead_letters`, `layers`): the dispatcher, the help overlay and the status bar all read these
//! tables, so help can never drift from behaviour.
//!
//! A `Keymap` is a stack of layers; the first layer that binds a key in the current mode
//! wins, and a binding hidden that way disappears from help and the status bar too. The
//! demo plugs in with `Keymap::demo()` (DEMO in front), where its layer binds
//! `[ ] b + - k` to `Command::Demo(…)`: `+`/`-` then drive the demo and zoom stays on
//! `z`/`Z`, which the base layer binds as well for exactly that reason.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

mod base;
mod dead_letters;
mod jobs;
mod layers;
mod toolbox;
mod workers;

pub use base::BASE;
pub use dead_letters::DEAD_LETTERS;
pub use jobs::JOBS;
pub use layers::{ADVISOR, DEMO};
pub use toolbox::{CONTEXTS, COPY};
pub use workers::WORKERS;

use super::{Command, Mode};

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

// Mode sets the tables share.
pub(super) const BROWSE: &[Mode] = &[Mode::Dashboard, Mode::Queue];
pub(super) const ALL_BUT_FILTER: &[Mode] = &[
    Mode::Dashboard,
    Mode::Queue,
    Mode::Help,
    Mode::DeadLetters,
    Mode::DeadLetterDetail,
    Mode::DeadLetterGroups,
];
pub(super) const DLQ_LIST: &[Mode] = &[Mode::DeadLetters];
pub(super) const DETAIL_AND_GROUPS: &[Mode] = &[Mode::DeadLetterDetail, Mode::DeadLetterGroups];
pub(super) const DLQ_LIST_AND_GROUPS: &[Mode] = &[Mode::DeadLetters, Mode::DeadLetterGroups];

pub(super) const QUEUE: &[Mode] = &[Mode::Queue];

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
            // JOBS binds no key the others bind; first, its two dashboard keys sit high in
            // help, which keeps the demo's two-column help as wide as before.
            layers: vec![JOBS, BASE, DEAD_LETTERS, ADVISOR, COPY, WORKERS],
        }
    }

    /// `qtop demo`'s: the demo's keys in front, and no remote worker controls (its Redis
    /// holds only qtop's own BullMQ workers, which the demo's keys stop and kill).
    pub fn demo() -> Self {
        Self {
            layers: vec![DEMO, JOBS, BASE, DEAD_LETTERS, ADVISOR, COPY],
        }
    }

    /// Put `layer` last: it takes only keys no other layer binds in a mode.
    pub fn with_last_layer(mut self, layer: &'static [Binding]) -> Self {
        self.layers.push(layer);
        self
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
            Mode::Contexts,
        ];
        for layer in [BASE, DEAD_LETTERS, COPY, CONTEXTS] {
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

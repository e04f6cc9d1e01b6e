//! The job views' layer: `o` opens a job by id, `c` the job schedulers, and their keys.

use super::{ch, ctrl, key, Binding, BROWSE};
use crate::app::{Command, Mode};
use crossterm::event::KeyCode;

const VIEWS: &[Mode] = &[Mode::Job, Mode::Schedulers];
const PROMPT: &[Mode] = &[Mode::JobPrompt];

/// The job views (`o`, `c` on a queue).
pub const JOBS: &[Binding] = &[
    Binding {
        keys: &[ch('o')],
        command: Command::OpenJob,
        modes: BROWSE,
        help: "open a job of the selected queue by its id (any state)",
        status: None,
    },
    Binding {
        keys: &[ch('c')],
        command: Command::Schedulers,
        modes: BROWSE,
        help: "job schedulers (repeatable jobs) of the selected queue",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::Enter)],
        command: Command::JobIdAccept,
        modes: PROMPT,
        help: "open the job",
        status: Some("open"),
    },
    Binding {
        keys: &[key(KeyCode::Esc)],
        command: Command::JobIdCancel,
        modes: PROMPT,
        help: "cancel",
        status: Some("cancel"),
    },
    Binding {
        keys: &[key(KeyCode::Backspace)],
        command: Command::JobIdBackspace,
        modes: PROMPT,
        help: "delete a character",
        status: None,
    },
    Binding {
        keys: &[ctrl('c')],
        command: Command::Quit,
        modes: PROMPT,
        help: "quit",
        status: None,
    },
    Binding {
        keys: &[ch('q'), ctrl('c')],
        command: Command::Quit,
        modes: VIEWS,
        help: "quit",
        status: Some("quit"),
    },
    Binding {
        keys: &[ch('?')],
        command: Command::Help,
        modes: VIEWS,
        help: "show or hide this help",
        status: Some("help"),
    },
    Binding {
        keys: &[key(KeyCode::Esc)],
        command: Command::Back,
        modes: VIEWS,
        help: "back",
        status: Some("back"),
    },
    Binding {
        keys: &[key(KeyCode::Enter)],
        command: Command::Focus,
        modes: &[Mode::Schedulers],
        help: "open the scheduler's next job",
        status: Some("next job"),
    },
    Binding {
        keys: &[key(KeyCode::Up), ch('k')],
        command: Command::Up,
        modes: VIEWS,
        help: "up",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::Down), ch('j')],
        command: Command::Down,
        modes: VIEWS,
        help: "down",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::PageUp), ctrl('u')],
        command: Command::PageUp,
        modes: VIEWS,
        help: "up a page",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::PageDown), ctrl('d')],
        command: Command::PageDown,
        modes: VIEWS,
        help: "down a page",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::Home), ch('g')],
        command: Command::Top,
        modes: VIEWS,
        help: "top",
        status: None,
    },
    Binding {
        keys: &[key(KeyCode::End), ch('G')],
        command: Command::Bottom,
        modes: VIEWS,
        help: "bottom",
        status: None,
    },
    Binding {
        keys: &[ch('o')],
        command: Command::OpenJob,
        modes: VIEWS,
        help: "open another job",
        status: Some("job"),
    },
    Binding {
        keys: &[ch('c')],
        command: Command::Schedulers,
        modes: &[Mode::Job],
        help: "job schedulers",
        status: Some("schedulers"),
    },
];

#[cfg(test)]
mod tests {
    use super::super::Keymap;
    use super::*;
    use crossterm::event::{KeyEvent, KeyModifiers};

    fn press(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn job_keys_dispatch_and_the_prompt_takes_letters() {
        let map = Keymap::dashboard();
        assert_eq!(
            map.lookup(Mode::Dashboard, &press('o')),
            Some(Command::OpenJob)
        );
        assert_eq!(
            map.lookup(Mode::Queue, &press('c')),
            Some(Command::Schedulers)
        );
        // In the prompt, letters are the id (q too); Ctrl-C still quits.
        for c in ['q', 'o', 'c', 'j', '?'] {
            assert_eq!(map.lookup(Mode::JobPrompt, &press(c)), None, "{c}");
        }
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(map.lookup(Mode::JobPrompt, &ctrl_c), Some(Command::Quit));
        assert_eq!(map.lookup(Mode::Job, &press('q')), Some(Command::Quit));
        assert_eq!(
            map.lookup(Mode::Schedulers, &press('j')),
            Some(Command::Down)
        );
        let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
        assert_eq!(map.lookup(Mode::Schedulers, &enter), Some(Command::Focus));
        assert_eq!(
            map.lookup(Mode::JobPrompt, &enter),
            Some(Command::JobIdAccept)
        );
    }

    #[test]
    fn no_key_is_bound_twice_in_one_mode() {
        for mode in [
            Mode::Dashboard,
            Mode::Queue,
            Mode::JobPrompt,
            Mode::Job,
            Mode::Schedulers,
        ] {
            let mut seen = Vec::new();
            for b in JOBS.iter().filter(|b| b.modes.contains(&mode)) {
                for k in b.keys {
                    assert!(!seen.contains(k), "{mode:?}: {} bound twice", k.label());
                    seen.push(*k);
                }
            }
        }
    }
}

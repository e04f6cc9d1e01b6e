//! The operator's toolbox in the dashboard: the context list (`C`), to switch to another
//! context of the config file without restarting, and copying to the clipboard (`y`,
//! `Y`) through the terminal (OSC 52).
//!
//! The switch itself is the runtime's (a new poller for the new target, a fresh `App`, so
//! the old context's history is dropped); here are the list, its selection and the
//! request, as an `Effect`.

use super::{App, Command, Effect, Mode, Pane};

/// The most a copy sends: terminals cap OSC 52 (xterm and tmux accept about 100 kB of
/// base64, some far less), so a larger text is refused with a way to get it.
pub const MAX_COPY_BYTES: usize = 74_000;

/// How long a copy's confirmation stays in the header.
const FLASH_MS: i64 = 4_000;

/// One context of the file, as the list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextEntry {
    pub name: String,
    /// The Redis it watches (never with a password), or why it cannot be used.
    pub target: String,
    pub read_only: bool,
    /// Why switching to it would fail now (a `password_env` that is not set, say).
    pub unavailable: Option<String>,
}

/// The context list's state while it is open.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContextList {
    pub row: usize,
    /// Why the last choice could not be made.
    pub notice: Option<String>,
}

impl App {
    /// The contexts of the file and the one in force; the list's key (`C`) comes with them.
    pub fn set_contexts(&mut self, current: Option<String>, entries: Vec<ContextEntry>) {
        if !entries.is_empty() && self.contexts.is_empty() {
            self.keymap = self.keymap.clone().with_last_layer(super::keymap::CONTEXTS);
        }
        self.context = current;
        self.contexts = entries;
    }

    /// The context in force, as the list describes it.
    pub fn current_context(&self) -> Option<&ContextEntry> {
        let name = self.context.as_deref()?;
        self.contexts.iter().find(|c| c.name == name)
    }

    /// A short confirmation in the header, for a few seconds.
    pub fn flash(&self) -> Option<&str> {
        self.flash_note
            .as_ref()
            .filter(|(_, until)| self.now_ms < *until)
            .map(|(text, _)| text.as_str())
    }

    /// The toolbox's commands; `None` leaves `command` to the others.
    pub(super) fn on_toolbox_command(&mut self, command: Command) -> Option<Vec<Effect>> {
        match (self.mode, command) {
            (Mode::Dashboard | Mode::Queue, Command::Contexts) => {
                if !self.contexts.is_empty() {
                    let row = self
                        .contexts
                        .iter()
                        .position(|c| Some(&c.name) == self.context.as_ref())
                        .unwrap_or(0);
                    self.context_list = Some(ContextList { row, notice: None });
                    self.back = self.mode;
                    self.mode = Mode::Contexts;
                }
                Some(Vec::new())
            }
            (Mode::Contexts, Command::Contexts | Command::Back) => {
                self.close_contexts();
                Some(Vec::new())
            }
            (Mode::Contexts, Command::Up | Command::Down) => {
                let last = self.contexts.len().saturating_sub(1);
                if let Some(list) = self.context_list.as_mut() {
                    list.row = match command {
                        Command::Up => list.row.saturating_sub(1),
                        _ => (list.row + 1).min(last),
                    };
                    list.notice = None;
                }
                Some(Vec::new())
            }
            (Mode::Contexts, Command::Focus) => Some(self.choose_context()),
            (Mode::Contexts, Command::Quit) => None,
            (Mode::Contexts, _) => Some(Vec::new()),
            (_, Command::Copy) => Some(self.copy(false)),
            (Mode::DeadLetterDetail, Command::CopyJson) => Some(self.copy(true)),
            _ => None,
        }
    }

    /// A switch the runtime could not make (the context's settings do not work now).
    pub fn note_context_error(&mut self, name: &str, why: &str) {
        self.flash_note = Some((
            format!("cannot switch to {name}: {why}"),
            self.now_ms + FLASH_MS,
        ));
    }

    fn close_contexts(&mut self) {
        self.context_list = None;
        self.mode = self.back;
    }

    fn choose_context(&mut self) -> Vec<Effect> {
        let row = self.context_list.as_ref().map_or(0, |l| l.row);
        let Some(entry) = self.contexts.get(row).cloned() else {
            return Vec::new();
        };
        if let Some(why) = &entry.unavailable {
            if let Some(list) = self.context_list.as_mut() {
                list.notice = Some(format!("{} cannot be used: {why}", entry.name));
            }
            return Vec::new();
        }
        self.close_contexts();
        if Some(&entry.name) == self.context.as_ref() {
            return Vec::new();
        }
        vec![Effect::SwitchContext(entry.name)]
    }

    /// `y`: the selected worker's name, queue's name or failed job's id; `Y` (`json`): the
    /// failed job as JSON (what `qtop dlq show ID --json` prints).
    fn copy(&mut self, json: bool) -> Vec<Effect> {
        let picked = match self.mode {
            Mode::DeadLetterDetail => self.copy_job(json),
            Mode::Dashboard | Mode::Queue => match self.focus {
                Pane::Workers => {
                    let rows = self.worker_rows();
                    rows.get(self.worker_selected)
                        .map(|w| (format!("worker {}", w.name), w.name.clone()))
                }
                Pane::Queues => self
                    .selected
                    .as_ref()
                    .map(|key| (format!("queue {}", key.name), key.name.to_string())),
            },
            _ => None,
        };
        let Some((what, text)) = picked else {
            return Vec::new();
        };
        if text.len() > MAX_COPY_BYTES {
            let note = format!(
                "{what} is {} bytes, more than a terminal's clipboard takes ({MAX_COPY_BYTES}); use qtop dlq show ID --json",
                text.len()
            );
            self.say(note, true);
            return Vec::new();
        }
        self.say(format!("copied {what} (OSC 52)"), false);
        vec![Effect::Copy(text)]
    }

    fn copy_job(&self, json: bool) -> Option<(String, String)> {
        let detail = self.dead_letters.as_ref()?.detail.as_ref()?;
        if !json {
            return Some((format!("job id {}", detail.id), detail.id.clone()));
        }
        let job = detail.answer.as_ref()?.as_ref()?;
        let text = serde_json::to_string_pretty(job).ok()?;
        Some((format!("job {} as JSON", detail.id), text))
    }

    /// A notice where the screen shows them: the dead-letter pane's line, else the header.
    fn say(&mut self, text: String, error: bool) {
        if super::is_dlq_mode(self.mode) {
            self.dlq_notice(text, error);
        } else {
            self.flash_note = Some((text, self.now_ms + FLASH_MS));
        }
    }
}

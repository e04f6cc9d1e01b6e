//! Dead-letter actions from the keyboard: what `r`, `x`, `R`, `X` and `e` act on, the
//! confirm dialog for bulk or destructive ones (`Mode::Confirm`, stating how many jobs),
//! and the request handed to the runtime as `Effect::DeadLetterAction`.

use super::dlq::{failed_jobs, Confirm, OnYes};
use super::{App, Command, Effect, Mode};
use crate::actions::dlq_op::{DlqOp, DlqRequest, DlqScope};
use crate::source::dead_letters::DlqSet;

impl App {
    /// `r`/`x`: the detail's job, the selected group, the marked jobs or the selected one.
    pub(super) fn act_on_selection(&mut self, retry: bool) -> Vec<Effect> {
        let mode = self.mode;
        let Some(dl) = self.dead_letters.as_ref() else {
            return Vec::new();
        };
        let queue = dl.queue.clone();
        let set = dl.set;
        let (scope, count, about) = match mode {
            Mode::DeadLetterDetail => match &dl.detail {
                Some(view) => (DlqScope::Jobs(vec![view.id.clone()]), 1, None),
                None => return Vec::new(),
            },
            Mode::DeadLetterGroups => match dl.selected_group() {
                Some(group) => (
                    DlqScope::Group {
                        id: group.id.clone(),
                    },
                    group.count,
                    Some(format!(" (group: {})", group.reason)),
                ),
                None => return Vec::new(),
            },
            _ if !dl.marks.is_empty() => {
                let ids: Vec<String> = dl.marks.iter().cloned().collect();
                let n = ids.len() as u64;
                (DlqScope::Jobs(ids), n, Some(" (marked)".to_string()))
            }
            _ => match dl.selected_job() {
                Some(job) => (DlqScope::Jobs(vec![job.id.clone()]), 1, None),
                None => return Vec::new(),
            },
        };
        // One retry is ordinary; several jobs, a group, or any delete is asked first.
        let ask = !retry || count > 1 || matches!(scope, DlqScope::Group { .. });
        let question = match (&scope, count) {
            (DlqScope::Jobs(ids), 1) => format!(
                "{} failed job {} of {queue}{}",
                capital(retry),
                ids.first().map_or("", String::as_str),
                in_set(set)
            ),
            _ => format!(
                "{} {} of {queue}{}{}",
                capital(retry),
                failed_jobs(count),
                in_set(set),
                about.unwrap_or_default()
            ),
        };
        let op = if retry {
            DlqOp::Retry(scope)
        } else {
            DlqOp::Delete(scope)
        };
        self.ask_or_start(ask, question, DlqRequest { queue, op, set })
    }

    /// `R`/`X`: every failed job of the queue, always asked first.
    pub(super) fn act_on_all(&mut self, retry: bool) -> Vec<Effect> {
        let Some(dl) = self.dead_letters.as_ref() else {
            return Vec::new();
        };
        let total = dl.total().unwrap_or(0);
        if total == 0 {
            self.dlq_notice("no failed jobs: nothing to do", false);
            return Vec::new();
        }
        let queue = dl.queue.clone();
        let set = dl.set;
        let question = format!(
            "{} all {} of {queue}{}",
            capital(retry),
            failed_jobs(total),
            in_set(set)
        );
        let op = if retry {
            DlqOp::Retry(DlqScope::All)
        } else {
            DlqOp::Delete(DlqScope::All)
        };
        self.ask_or_start(true, question, DlqRequest { queue, op, set })
    }

    pub(super) fn export(&mut self) -> Vec<Effect> {
        let Some(dl) = self.dead_letters.as_ref() else {
            return Vec::new();
        };
        let queue = dl.queue.clone();
        let set = dl.set;
        let file = export_file_name(&queue.name, self.now_ms);
        let op = DlqOp::Export { file: file.into() };
        self.dlq_start(DlqRequest { queue, op, set })
    }

    fn ask_or_start(&mut self, ask: bool, question: String, request: DlqRequest) -> Vec<Effect> {
        if !ask {
            return self.dlq_start(request);
        }
        self.confirm = Some(Confirm {
            question,
            on_yes: OnYes::DeadLetters(request),
        });
        self.back = self.mode;
        self.mode = Mode::Confirm;
        Vec::new()
    }

    pub(super) fn on_confirm(&mut self, command: Command) -> Vec<Effect> {
        match command {
            Command::ConfirmYes => {
                self.mode = self.back;
                match self.confirm.take().map(|c| c.on_yes) {
                    Some(OnYes::DeadLetters(request)) => self.dlq_start(request),
                    Some(OnYes::RunScaleCmd { workers }) => vec![Effect::RunScaleCmd { workers }],
                    Some(OnYes::WorkerControl(request)) => vec![Effect::WorkerControl(request)],
                    None => Vec::new(),
                }
            }
            Command::ConfirmNo => {
                self.mode = self.back;
                self.confirm = None;
                self.dlq_notice("cancelled: nothing changed", false);
                Vec::new()
            }
            Command::Quit => vec![Effect::Quit],
            _ => Vec::new(),
        }
    }
}

/// ` in its retry set` when acting on Sidekiq's retry set; nothing for the dead letters.
fn in_set(set: DlqSet) -> &'static str {
    match set {
        DlqSet::Dead => "",
        DlqSet::Retry => " in its retry set",
    }
}

fn capital(retry: bool) -> &'static str {
    if retry {
        "Retry"
    } else {
        "Delete"
    }
}

/// `qtop-dlq-<queue>-<UTC timestamp>.jsonl`, with characters a file name should not hold
/// replaced by `_`.
pub fn export_file_name(queue: &str, now_ms: i64) -> String {
    let safe: String = queue
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let stamp = crate::model::clock::Zone::Utc.format(Some(now_ms), "%Y%m%dT%H%M%SZ");
    format!("qtop-dlq-{safe}-{stamp}.jsonl")
}

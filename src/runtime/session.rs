//! One dashboard session: the settings, the `App`, its poller task and its other tasks,
//! for one target. Switching context ends the session (its poller cancelled, its history
//! dropped with its `App`) and starts another for the new target, in the same terminal.
//!
//! At start a first contact with Redis decides what an error means: a permanent one
//! (wrong password, ACL denial, TLS, not Redis, a bad URL or host) ends qtop with one line
//! and status 1; a transient one (refused, no answer, no socket yet) is retried with the
//! banner, since a monitor is often started before Redis is back.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::tasks::Tasks;
use crate::app::contexts::ContextEntry;
use crate::app::App;
use crate::cli::setup::{process_env, Choice, Resolved};
use crate::cli::{poller_config, GlobalArgs, Setup};
use crate::source::{spawn_poller, ConnectError, PollerConfig, RedisTarget, SourceEvent};

/// How long the first contact waits for an answer (the poller's own timeout).
const FIRST_CONTACT_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) struct Session {
    pub app: App,
    pub tasks: Tasks,
    pub source: mpsc::Receiver<SourceEvent>,
    poller: JoinHandle<()>,
    cancel: CancellationToken,
}

impl Session {
    /// Start polling `target` for `app`.
    pub fn start(global: &GlobalArgs, target: RedisTarget, app: App, tasks: Tasks) -> Self {
        let cancel = CancellationToken::new();
        // The dashboard keeps every queue's latest reading: unchanged ones need not come
        // again.
        let config = PollerConfig {
            omit_unchanged: true,
            ..poller_config(global)
        };
        let (poller, source) = spawn_poller(target, config, global.interval, cancel.clone());
        Session {
            app,
            tasks,
            source,
            poller,
            cancel,
        }
    }

    /// Cancel the poller and the tasks; a running dead-letter action gets `grace` to end.
    pub async fn stop(self, grace: Duration) {
        let Session {
            app,
            tasks,
            poller,
            cancel,
            ..
        } = self;
        drop(app);
        cancel.cancel();
        let _ = tokio::time::timeout(grace, async {
            let _ = poller.await;
            tasks.shutdown(grace).await;
        })
        .await;
    }
}

/// Open one connection to `target` (any seed) and report a permanent error, if that is
/// what every seed gave; transient errors are the poller's to retry.
pub(super) fn first_contact(target: RedisTarget) -> oneshot::Receiver<ConnectError> {
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let mut permanent = None;
        for seed in target.seeds() {
            match check(&seed).await {
                Ok(()) => return,
                Err(error) if !error.is_transient() => permanent = Some(error),
                Err(_) => {}
            }
        }
        if let Some(error) = permanent {
            let _ = tx.send(error);
        }
    });
    rx
}

/// Connect and ask what the poller asks first (an ACL that denies it is permanent too).
async fn check(seed: &RedisTarget) -> Result<(), ConnectError> {
    let mut conn = seed.connect(FIRST_CONTACT_TIMEOUT).await?;
    let info: redis::RedisResult<String> = redis::cmd("INFO")
        .arg("server")
        .query_async(&mut conn)
        .await;
    info.map(|_| ()).map_err(|e| seed.classify(&e))
}

/// The config file's contexts, for the dashboard's list and its switches.
pub(super) struct Switcher {
    choices: Vec<Choice>,
    pub entries: Vec<ContextEntry>,
    pub current: Option<String>,
}

impl Switcher {
    pub fn new(setup: &Setup) -> Self {
        let choices = setup.choices(&process_env);
        let entries = choices.iter().map(entry).collect();
        Switcher {
            choices,
            entries,
            current: setup.context_name().map(str::to_string),
        }
    }

    /// Fill `app`'s list and name the context in force.
    pub fn fill(&self, app: &mut App) {
        app.set_contexts(self.current.clone(), self.entries.clone());
    }

    /// The settings and target of context `name`, or why it cannot be used.
    pub fn resolve(&self, name: &str) -> Result<(Resolved, RedisTarget), String> {
        let choice = self
            .choices
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| format!("no context '{name}'"))?;
        let resolved = choice.resolved.clone()?;
        let target = resolved.global.target().map_err(|e| e.to_string())?;
        Ok((resolved, target))
    }
}

fn entry(choice: &Choice) -> ContextEntry {
    let resolved = choice
        .resolved
        .clone()
        .and_then(|r| r.global.target().map(|t| (r, t)).map_err(|e| e.to_string()));
    match resolved {
        Ok((resolved, target)) => ContextEntry {
            name: choice.name.clone(),
            target: target.display().to_string(),
            read_only: resolved.global.read_only,
            unavailable: None,
        },
        Err(why) => ContextEntry {
            name: choice.name.clone(),
            target: String::new(),
            read_only: false,
            unavailable: Some(why),
        },
    }
}

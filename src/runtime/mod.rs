//! The one event loop of the dashboard (and of `qtop demo`, which adds its engine).
//!
//! ```text
//! poller task ──SourceEvent──┐
//! dlq reader ───DlqAnswer────┤
//! job reader ───JobAnswer────┤
//! dlq actions ──DlqDone──────┤
//! demo engine ──DemoEvent, status──┼─▶ select! { input, source, dlq, actions, demo,
//! scale-cmd, demo counters ──Action┤             tasks, signals, frame tick, cancel }
//! terminal   ───key/mouse────┘      event → Action → App::update → effects → tasks
//!                                   frame due and dirty → terminal.draw(|f| ui::render(f, &app))
//! ```
//! Every pending event is drained before a frame is drawn; a frame is drawn only when
//! something changed, or once a second so countdowns and ages move. Effects never block
//! the loop: they queue a command for the demo engine or spawn a task whose result comes
//! back as an `Action`.

mod demo;
mod frames;
mod session;
mod tasks;
mod terminal;

use std::io::{self, IsTerminal, Stdout, Write};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::app::{Action, App, Connection, Effect};
use crate::cli::{DashboardArgs, GlobalArgs, Setup};
use crate::demo::{DemoEvent, DemoStatus};
use crate::source::{ConnectError, RedisTarget};
use crate::ui;
pub use demo::run_demo;
use frames::{draw_now, ready_input, INPUT_FRAME};
use session::{first_contact, Session, Switcher};
use tasks::Tasks;
use terminal::TerminalGuard;

/// How long quitting waits for the poller task to stop.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn run(global: &GlobalArgs, args: &DashboardArgs, setup: &Setup) -> Result<()> {
    require_terminal("for a one-off reading use `qtop snapshot` (or `qtop snapshot --json`)")?;
    let target = global.target()?;
    let mut app = new_app(global, args, &target);
    let switcher = Switcher::new(setup);
    switcher.fill(&mut app);
    let tasks = Tasks::new(global, target.clone());
    let contact = first_contact(target.clone());
    let session = Session::start(global, target, app, tasks);
    dashboard(args, session, None, Some(switcher), Some(contact)).await
}

fn require_terminal(hint: &str) -> Result<()> {
    if !io::stdout().is_terminal() {
        anyhow::bail!("the dashboard needs a terminal, and stdout is not one; {hint}");
    }
    Ok(())
}

fn new_app(global: &GlobalArgs, args: &DashboardArgs, target: &RedisTarget) -> App {
    let mut app = App::new(target.display(), global.interval, now_ms());
    app.color = ui::theme::Theme::color_from_env();
    app.target_wait_ms = args.target_wait.as_secs_f64() * 1000.0;
    app.read_only = global.read_only;
    app.scale_cmd = global.scale_cmd.clone();
    app
}

/// The demo engine's outputs, for the loop.
struct DemoFeeds {
    events: mpsc::Receiver<DemoEvent>,
    status: watch::Receiver<DemoStatus>,
}

/// How the event loop ended.
enum Exit {
    Quit,
    /// The user chose another context in the list.
    Switch(String),
}

/// Draw and poll `session`, run its effects, switch contexts when asked, until quit, a
/// signal or an error. The terminal is restored before this returns. `contact` is the
/// first contact's verdict: a permanent error before any data ends qtop with it.
async fn dashboard(
    args: &DashboardArgs,
    mut session: Session,
    mut demo: Option<DemoFeeds>,
    switcher: Option<Switcher>,
    mut contact: Option<oneshot::Receiver<ConnectError>>,
) -> Result<()> {
    let mut stopping: Vec<JoinHandle<()>> = Vec::new();
    // Whether any session reached Redis (quitting after a switch to a dead context is no
    // start failure).
    let mut reached = false;
    let result = {
        let mut guard = TerminalGuard::enter()?;
        let size = guard.terminal.size()?;
        session.app.update(Action::Resize(size.width, size.height));
        loop {
            let exit = event_loop(
                &mut guard.terminal,
                &mut session,
                &mut demo,
                &mut contact,
                args.fps,
            )
            .await;
            let Ok(Exit::Switch(name)) = exit else {
                break exit;
            };
            let Some(switcher) = &switcher else { continue };
            reached |= session.app.redis_version.is_some();
            match switcher.resolve(&name) {
                Ok((resolved, target)) => {
                    let mut app = new_app(&resolved.global, &resolved.dashboard, &target);
                    app.zone = session.app.zone;
                    app.color = session.app.color;
                    app.set_contexts(Some(name), switcher.entries.clone());
                    app.update(Action::Resize(session.app.size.0, session.app.size.1));
                    let tasks = Tasks::new(&resolved.global, target.clone());
                    let next = Session::start(&resolved.global, target, app, tasks);
                    let old = std::mem::replace(&mut session, next);
                    tracing::info!(context = %old.app.context.as_deref().unwrap_or("-"), "leaving context");
                    stopping.push(tokio::spawn(old.stop(SHUTDOWN_TIMEOUT)));
                }
                Err(why) => session.app.note_context_error(&name, &why),
            }
        }
        // The guard drops here: the terminal is restored before anything is printed.
    };
    let never_connected = never_connected(&session.app, reached || demo.is_some());
    // The poller and the reader only sleep or await Redis; they end at the next await. A
    // running dead-letter action gets the same time to finish.
    let _ = tokio::time::timeout(SHUTDOWN_TIMEOUT, async {
        session.stop(SHUTDOWN_TIMEOUT).await;
        for old in stopping {
            let _ = old.await;
        }
    })
    .await;
    match result {
        Ok(_) => never_connected.map_or(Ok(()), Err),
        Err(error) => Err(error),
    }
}

/// Quitting before Redis was ever reached is a failure (status 1), with the last error.
/// `exempt`: a demo, or an earlier context was reached.
fn never_connected(app: &App, exempt: bool) -> Option<anyhow::Error> {
    if exempt || app.redis_version.is_some() || app.has_data {
        return None;
    }
    match &app.connection {
        Connection::Disconnected { error, .. } => Some(anyhow::anyhow!(
            "quit before Redis could be reached: {error}"
        )),
        _ => None,
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The sequence that asks the terminal to put `text` on the clipboard (OSC 52).
fn osc52(text: &str) -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    format!("\x1b]52;c;{encoded}\x07")
}

async fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    session: &mut Session,
    demo: &mut Option<DemoFeeds>,
    contact: &mut Option<oneshot::Receiver<ConnectError>>,
    fps: u16,
) -> Result<Exit> {
    let Session {
        app, tasks, source, ..
    } = session;
    let (mut demo_events, mut demo_status) = match demo {
        Some(feeds) => (Some(&mut feeds.events), Some(&mut feeds.status)),
        None => (None, None),
    };
    // Quit on SIGTERM and SIGHUP (the terminal went away) like on `q`: the caller cleans up.
    let mut terminate = signal(SignalKind::terminate()).context("installing SIGTERM")?;
    let mut hangup = signal(SignalKind::hangup()).context("installing SIGHUP")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("installing SIGINT")?;
    let mut input = EventStream::new();
    let frame_every = Duration::from_secs_f64(1.0 / f64::from(fps.clamp(1, 60)));
    let mut frames = tokio::time::interval(frame_every);
    frames.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    // Input not drawn yet.
    let mut typed = false;
    let mut last_draw = Instant::now();
    let mut source_open = true;
    if let Some(status) = &demo_status {
        let first = status.borrow().clone();
        app.update(Action::DemoStatus(Box::new(first)));
    }
    loop {
        let mut actions: Vec<Action> = Vec::new();
        let mut ticked = false;
        tokio::select! {
            _ = terminate.recv() => return Ok(Exit::Quit),
            _ = hangup.recv() => return Ok(Exit::Quit),
            _ = interrupt.recv() => return Ok(Exit::Quit),
            event = input.next() => match event {
                Some(Ok(event)) => {
                    panic_if_asked(&event);
                    let action = action_for(event);
                    typed |= action.is_some();
                    actions.extend(action);
                }
                Some(Err(error)) => return Err(error).context("reading the terminal"),
                None => return Ok(Exit::Quit),
            },
            event = source.recv(), if source_open => match event {
                Some(event) => actions.push(Action::Source(event)),
                None => source_open = false,
            },
            verdict = recv_once(contact) => {
                if let Some(error) = verdict {
                    if app.redis_version.is_none() {
                        return Err(error.into());
                    }
                }
            }
            Some(event) = recv_opt_ref(&mut demo_events) => actions.push(Action::DemoEvent(event)),
            Some(status) = changed_opt_ref(&mut demo_status) => {
                actions.push(Action::DemoStatus(Box::new(status)));
            }
            Some(action) = tasks.results.recv() => actions.push(action),
            Some(answer) = tasks.dlq_answers.recv() => {
                actions.push(Action::DeadLetters(answer));
            }
            Some(answer) = tasks.job_answers.recv() => actions.push(Action::Jobs(answer)),
            Some(joined) = tasks.actions.join_next_with_id(), if !tasks.actions.is_empty() => {
                actions.extend(tasks.done(joined));
            }
            // Input came too soon after a frame to draw at once: draw it as soon as it may.
            _ = tokio::time::sleep_until((last_draw + INPUT_FRAME).into()), if typed => {}
            _ = frames.tick() => {
                ticked = true;
                actions.push(Action::Tick(now_ms()));
            }
        }
        // Drain whatever else is already waiting, so a burst (a wheel spin, reports queued
        // behind a slow frame) costs one frame. Polled with this task's waker: crossterm
        // keeps the waker of the first poll that finds nothing, and after a key that was
        // the no-op one of `now_or_never`, so the next key waited for the frame tick.
        while let Some(Ok(event)) = ready_input(&mut input).await {
            let action = action_for(event);
            typed |= action.is_some();
            actions.extend(action);
        }
        while let Ok(event) = source.try_recv() {
            actions.push(Action::Source(event));
        }
        while let Ok(answer) = tasks.dlq_answers.try_recv() {
            actions.push(Action::DeadLetters(answer));
        }
        while let Ok(answer) = tasks.job_answers.try_recv() {
            actions.push(Action::Jobs(answer));
        }
        if let Some(events) = &mut demo_events {
            while let Ok(event) = events.try_recv() {
                actions.push(Action::DemoEvent(event));
            }
        }
        for action in actions {
            let is_tick = matches!(action, Action::Tick(_));
            for effect in app.update(action) {
                match effect {
                    Effect::Quit => return Ok(Exit::Quit),
                    Effect::SwitchContext(name) => return Ok(Exit::Switch(name)),
                    Effect::Copy(text) => {
                        // Best effort: a terminal that ignores OSC 52 ignores it silently.
                        let backend = terminal.backend_mut();
                        let _ = backend.write_all(osc52(&text).as_bytes());
                        let _ = backend.flush();
                    }
                    effect => tasks.run(effect),
                }
            }
            dirty |= !is_tick;
        }
        if draw_now(typed, ticked, dirty, last_draw.elapsed()) {
            app.update(Action::Tick(now_ms()));
            terminal.draw(|frame| ui::render(frame, app))?;
            dirty = false;
            typed = false;
            last_draw = Instant::now();
        }
    }
}

/// The first contact's verdict once; pending forever after it, or without one.
async fn recv_once(rx: &mut Option<oneshot::Receiver<ConnectError>>) -> Option<ConnectError> {
    match rx.as_mut() {
        Some(receiver) => {
            let verdict = receiver.await.ok();
            *rx = None;
            verdict
        }
        None => std::future::pending().await,
    }
}

/// A test seam, and nothing else: with `QTOP_TEST_PANIC_ON_KEY=<char>` in the environment,
/// that key panics, so `tests/terminal_restore.rs` can prove that a panic restores the
/// terminal and reports itself.
fn panic_if_asked(event: &Event) {
    use crossterm::event::KeyCode;
    let Event::Key(key) = event else { return };
    let KeyCode::Char(pressed) = key.code else {
        return;
    };
    let asked = std::env::var("QTOP_TEST_PANIC_ON_KEY").ok();
    if asked.is_some_and(|asked| asked.starts_with(pressed)) {
        panic!("test panic requested with QTOP_TEST_PANIC_ON_KEY");
    }
}

/// The next item of an optional channel; pending forever without one or once it closed.
async fn recv_opt_ref<T>(rx: &mut Option<&mut mpsc::Receiver<T>>) -> Option<T> {
    match rx {
        Some(channel) => match channel.recv().await {
            Some(item) => Some(item),
            None => {
                *rx = None;
                std::future::pending().await
            }
        },
        None => std::future::pending().await,
    }
}

/// The next value of an optional watch; pending forever without one or once it closed.
async fn changed_opt_ref<T: Clone>(rx: &mut Option<&mut watch::Receiver<T>>) -> Option<T> {
    match rx {
        Some(watch) => match watch.changed().await {
            Ok(()) => Some(watch.borrow_and_update().clone()),
            Err(_) => {
                *rx = None;
                std::future::pending().await
            }
        },
        None => std::future::pending().await,
    }
}

fn action_for(event: Event) -> Option<Action> {
    match event {
        // Key releases and repeats (kitty protocol) are not presses.
        Event::Key(key) if key.kind == KeyEventKind::Press => Some(Action::Key(key)),
        Event::Mouse(mouse) => Some(Action::Mouse(mouse)),
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        _ => None,
    }
}

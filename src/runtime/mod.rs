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
mod tasks;
mod terminal;

use std::io::{self, IsTerminal, Stdout};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures_util::{FutureExt, StreamExt};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use crate::app::{Action, App, Effect};
use crate::cli::poller_config;
use crate::cli::{DashboardArgs, GlobalArgs};
use crate::demo::{DemoEvent, DemoStatus};
use crate::source::{spawn_poller, RedisTarget, SourceEvent};
use crate::ui;
pub use demo::run_demo;
use tasks::Tasks;
use terminal::TerminalGuard;

/// How long quitting waits for the poller task to stop.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(2);
/// Redraw at least this often when nothing happens (countdowns, ages).
const IDLE_REDRAW: Duration = Duration::from_secs(1);

pub async fn run(global: &GlobalArgs, args: &DashboardArgs) -> Result<()> {
    require_terminal("for a one-off reading use `qtop snapshot` (or `qtop snapshot --json`)")?;
    let target = global.target()?;
    let app = new_app(global, args, &target);
    let tasks = Tasks::new(global, target.clone());
    dashboard(global, args, target, app, tasks, None).await
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

/// Poll `target`, draw `app`, run effects with `tasks`, until quit, a signal or an error.
/// The terminal is restored before this returns.
async fn dashboard(
    global: &GlobalArgs,
    args: &DashboardArgs,
    target: RedisTarget,
    mut app: App,
    mut tasks: Tasks,
    demo: Option<DemoFeeds>,
) -> Result<()> {
    let cancel = CancellationToken::new();
    let (poller, source) = spawn_poller(
        target,
        poller_config(global),
        global.interval,
        cancel.clone(),
    );
    let result = {
        let mut guard = TerminalGuard::enter()?;
        let size = guard.terminal.size()?;
        app.update(Action::Resize(size.width, size.height));
        let inputs = Inputs {
            source,
            demo,
            fps: args.fps,
        };
        event_loop(&mut guard.terminal, &mut app, inputs, &mut tasks, &cancel).await
        // The guard drops here: the terminal is restored before anything is printed.
    };
    cancel.cancel();
    // The poller and the reader only sleep or await Redis; they end at the next await. A
    // running dead-letter action gets the same time to finish.
    let _ = tokio::time::timeout(SHUTDOWN_TIMEOUT, async {
        let _ = poller.await;
        tasks.shutdown(SHUTDOWN_TIMEOUT).await;
    })
    .await;
    result
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

struct Inputs {
    source: mpsc::Receiver<SourceEvent>,
    demo: Option<DemoFeeds>,
    fps: u16,
}

async fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    app: &mut App,
    inputs: Inputs,
    tasks: &mut Tasks,
    cancel: &CancellationToken,
) -> Result<()> {
    let Inputs {
        mut source,
        demo,
        fps,
    } = inputs;
    let (mut demo_events, mut demo_status) = match demo {
        Some(feeds) => (Some(feeds.events), Some(feeds.status)),
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
    let mut last_draw = Instant::now();
    let mut source_open = true;
    if let Some(status) = &demo_status {
        let first = status.borrow().clone();
        app.update(Action::DemoStatus(Box::new(first)));
    }
    loop {
        let mut actions: Vec<Action> = Vec::new();
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            _ = terminate.recv() => return Ok(()),
            _ = hangup.recv() => return Ok(()),
            _ = interrupt.recv() => return Ok(()),
            event = input.next() => match event {
                Some(Ok(event)) => {
                    panic_if_asked(&event);
                    actions.extend(action_for(event));
                }
                Some(Err(error)) => return Err(error).context("reading the terminal"),
                None => return Ok(()),
            },
            event = source.recv(), if source_open => match event {
                Some(event) => actions.push(Action::Source(event)),
                None => source_open = false,
            },
            Some(event) = recv_opt(&mut demo_events) => actions.push(Action::DemoEvent(event)),
            Some(status) = changed_opt(&mut demo_status) => {
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
            _ = frames.tick() => {
                actions.push(Action::Tick(now_ms()));
            }
        }
        // Drain whatever else is already waiting, so a burst (a wheel spin, reports queued
        // behind a slow frame) costs one frame.
        while let Some(Some(Ok(event))) = input.next().now_or_never() {
            actions.extend(action_for(event));
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
                if effect == Effect::Quit {
                    return Ok(());
                }
                tasks.run(effect);
            }
            dirty |= !is_tick;
        }
        let frame_due = last_draw.elapsed() >= frame_every;
        if frame_due && (dirty || last_draw.elapsed() >= IDLE_REDRAW) {
            app.update(Action::Tick(now_ms()));
            terminal.draw(|frame| ui::render(frame, app))?;
            dirty = false;
            last_draw = Instant::now();
        }
    }
}

/// The next item of an optional channel; pending forever without one or once it closed.
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

async fn recv_opt<T>(rx: &mut Option<mpsc::Receiver<T>>) -> Option<T> {
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
async fn changed_opt<T: Clone>(rx: &mut Option<watch::Receiver<T>>) -> Option<T> {
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

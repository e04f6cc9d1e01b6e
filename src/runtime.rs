//! The one event loop of the dashboard.
//!
//! ```text
//! poller task ──SourceEvent──┐
//! dlq reader ───DlqAnswer────┤
//! dlq actions ──DlqDone──────┼─▶ select! { input, source, dlq, actions, frame tick, cancel }
//! terminal   ───key/mouse────┘      event → Action → App::update → effects → tasks
//!                                   frame due and dirty → terminal.draw(|f| ui::render(f, &app))
//! ```
//! Effects start work and never wait for it: a `DlqWant` replaces what the dead-letter
//! reader reads next, a `DlqRequest` runs in its own task whose result comes back as
//! `Action::ActionDone`.
//! Every pending event is drained before a frame is drawn; a frame is drawn only when
//! something changed, or once a second so countdowns and ages move.

use std::collections::HashMap;
use std::io::{self, IsTerminal, Stdout, Write};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event, EventStream, KeyEventKind};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{cursor, execute};
use futures_util::{FutureExt, StreamExt};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::actions::dlq_op::{self, DlqDone, DlqRequest};
use crate::app::{Action, App, Effect};
use crate::cli::{DashboardArgs, GlobalArgs};
use crate::commands::snapshot::poller_config;
use crate::source::dlq_task::{spawn_dlq_reader, DlqAnswer, DlqWant};
use crate::source::{spawn_poller, RedisTarget, SourceEvent};
use crate::ui;

/// How long quitting waits for the poller task to stop.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(2);
/// Redraw at least this often when nothing happens (countdowns, ages).
const IDLE_REDRAW: Duration = Duration::from_secs(1);

pub async fn run(global: &GlobalArgs, args: &DashboardArgs) -> Result<()> {
    if !io::stdout().is_terminal() {
        anyhow::bail!(
            "the dashboard needs a terminal, and stdout is not one; \
             for a one-off reading use `qtop snapshot` (or `qtop snapshot --json`)"
        );
    }
    let target = global.target()?;
    let cancel = CancellationToken::new();
    let (poller, source) = spawn_poller(
        target.clone(),
        poller_config(global),
        global.interval,
        cancel.clone(),
    );
    let (dlq_reader, dlq_want, dlq_answers) = spawn_dlq_reader(target.clone(), cancel.clone());
    let mut app = App::new(target.display(), global.interval, now_ms());
    app.color = ui::theme::Theme::color_from_env();
    app.read_only = global.read_only;
    let mut tasks = Tasks {
        target,
        read_only: global.read_only,
        source,
        dlq_want,
        dlq_answers,
        actions: JoinSet::new(),
        running: HashMap::new(),
    };

    let result = {
        let mut guard = TerminalGuard::enter()?;
        let size = guard.terminal.size()?;
        app.update(Action::Resize(size.width, size.height));
        event_loop(&mut guard.terminal, &mut app, &mut tasks, args.fps, &cancel).await
        // The guard drops here: the terminal is restored before anything is printed.
    };
    cancel.cancel();
    // The poller and the reader only sleep or await Redis; they end at the next await. A
    // running action (a retry half done) gets the same time to finish.
    let _ = tokio::time::timeout(SHUTDOWN_TIMEOUT, async {
        let _ = poller.await;
        let _ = dlq_reader.await;
        while tasks.actions.join_next().await.is_some() {}
    })
    .await;
    result
}

/// The loop's side of the background tasks.
struct Tasks {
    target: RedisTarget,
    read_only: bool,
    source: mpsc::Receiver<SourceEvent>,
    dlq_want: watch::Sender<DlqWant>,
    dlq_answers: mpsc::Receiver<DlqAnswer>,
    actions: JoinSet<DlqDone>,
    /// The request of each running action, to answer for it even if its task panics.
    running: HashMap<tokio::task::Id, DlqRequest>,
}

impl Tasks {
    /// Start what an effect asks for; never waits for it.
    fn run(&mut self, effect: Effect) {
        match effect {
            Effect::Quit => {}
            Effect::WantDeadLetters(want) => {
                self.dlq_want.send_replace(want);
            }
            Effect::DeadLetterAction(request) => {
                let target = self.target.clone();
                let read_only = self.read_only;
                let task = request.clone();
                let handle = self
                    .actions
                    .spawn(async move { dlq_op::run(target, read_only, task).await });
                self.running.insert(handle.id(), request);
            }
        }
    }

    /// A finished action task as an action; a panicked one still answers, as an error.
    fn done(
        &mut self,
        joined: Result<(tokio::task::Id, DlqDone), tokio::task::JoinError>,
    ) -> Option<Action> {
        match joined {
            Ok((id, done)) => {
                self.running.remove(&id);
                Some(Action::ActionDone(done))
            }
            Err(error) => {
                let request = self.running.remove(&error.id())?;
                Some(Action::ActionDone(DlqDone {
                    request,
                    result: Err(format!("the action stopped: {error}")),
                }))
            }
        }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

async fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<Stdout>>,
    app: &mut App,
    tasks: &mut Tasks,
    fps: u16,
    cancel: &CancellationToken,
) -> Result<()> {
    let mut input = EventStream::new();
    let frame_every = Duration::from_secs_f64(1.0 / f64::from(fps.clamp(1, 60)));
    let mut frames = tokio::time::interval(frame_every);
    frames.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut dirty = true;
    let mut last_draw = Instant::now();
    let mut source_open = true;
    loop {
        let mut actions: Vec<Action> = Vec::new();
        tokio::select! {
            _ = cancel.cancelled() => return Ok(()),
            event = input.next() => match event {
                Some(Ok(event)) => actions.extend(action_for(event)),
                Some(Err(error)) => return Err(error).context("reading the terminal"),
                None => return Ok(()),
            },
            event = tasks.source.recv(), if source_open => match event {
                Some(event) => actions.push(Action::Source(event)),
                None => source_open = false,
            },
            Some(answer) = tasks.dlq_answers.recv() => {
                actions.push(Action::DeadLetters(answer));
            }
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
        while let Ok(event) = tasks.source.try_recv() {
            actions.push(Action::Source(event));
        }
        while let Ok(answer) = tasks.dlq_answers.try_recv() {
            actions.push(Action::DeadLetters(answer));
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

fn action_for(event: Event) -> Option<Action> {
    match event {
        // Key releases and repeats (kitty protocol) are not presses.
        Event::Key(key) if key.kind == KeyEventKind::Press => Some(Action::Key(key)),
        Event::Mouse(mouse) => Some(Action::Mouse(mouse)),
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        _ => None,
    }
}

/// Raw mode, alternate screen and mouse capture for as long as it lives; restored on
/// drop, and by a panic hook (chained to the previous one) if something panics first.
struct TerminalGuard {
    terminal: Terminal<CrosstermBackend<Stdout>>,
}

fn restore() {
    let _ = disable_raw_mode();
    let mut stdout = io::stdout();
    let _ = execute!(
        stdout,
        DisableMouseCapture,
        LeaveAlternateScreen,
        cursor::Show
    );
    let _ = stdout.flush();
}

impl TerminalGuard {
    fn enter() -> Result<Self> {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
        enable_raw_mode().context("switching the terminal to raw mode")?;
        let mut stdout = io::stdout();
        if let Err(error) = execute!(stdout, EnterAlternateScreen, EnableMouseCapture) {
            restore();
            return Err(error).context("entering the alternate screen");
        }
        match Terminal::new(CrosstermBackend::new(stdout)) {
            Ok(mut terminal) => {
                let _ = terminal.hide_cursor();
                Ok(Self { terminal })
            }
            Err(error) => {
                restore();
                Err(error).context("starting the terminal")
            }
        }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

//! Whole-screen rendering from a fixed state and clock: insta snapshots of `TestBackend`
//! output at 80×24 and 160×48, and no panic at any small size.
//!
//! State is built by feeding `App::update` real `PollReport`s (`qtop::app::fixtures`),
//! exactly as the poller task would.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use qtop::app::fixtures::{app_after, T0_MS};
use qtop::app::{Action, App};
use qtop::source::SourceEvent;
use qtop::ui::render_to_string;

fn press(app: &mut App, code: KeyCode) {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn sized(mut app: App, width: u16, height: u16) -> App {
    app.update(Action::Resize(width, height));
    app
}

#[test]
fn dashboard_80x24() {
    let app = sized(app_after(120), 80, 24);
    insta::assert_snapshot!(render_to_string(&app, 80, 24));
}

#[test]
fn dashboard_160x48() {
    let app = sized(app_after(120), 160, 48);
    insta::assert_snapshot!(render_to_string(&app, 160, 48));
}

#[test]
fn queue_mode_160x48() {
    let mut app = sized(app_after(120), 160, 48);
    // Second row (sorted by waiting): orders.
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    insta::assert_snapshot!(render_to_string(&app, 160, 48));
}

#[test]
fn queue_mode_80x24_zoomed_in() {
    let mut app = sized(app_after(120), 80, 24);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('+'));
    insta::assert_snapshot!(render_to_string(&app, 80, 24));
}

#[test]
fn help_overlay_80x24() {
    let mut app = sized(app_after(10), 80, 24);
    press(&mut app, KeyCode::Char('?'));
    insta::assert_snapshot!(render_to_string(&app, 80, 24));
}

#[test]
fn filter_and_frozen_80x24() {
    let mut app = sized(app_after(30), 80, 24);
    press(&mut app, KeyCode::Char('p'));
    press(&mut app, KeyCode::Char('/'));
    for c in "e".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    insta::assert_snapshot!(render_to_string(&app, 80, 24));
}

#[test]
fn splash_before_the_first_data_80x24() {
    let app = sized(
        App::new("redis://cache.internal:6379", Duration::from_secs(1), T0_MS),
        80,
        24,
    );
    insta::assert_snapshot!(render_to_string(&app, 80, 24));
}

#[test]
fn splash_when_redis_cannot_be_reached_80x24() {
    let mut app = sized(
        App::new("redis://cache.internal:6379", Duration::from_secs(1), T0_MS),
        80,
        24,
    );
    app.update(Action::Source(SourceEvent::Disconnected {
        error: "cannot connect to Redis at redis://cache.internal:6379: connection refused".into(),
        retry_in: Duration::from_secs(8),
    }));
    app.update(Action::Tick(T0_MS + 2_500));
    insta::assert_snapshot!(render_to_string(&app, 80, 24));
}

#[test]
fn outage_banner_and_gap_80x24() {
    let mut app = sized(app_after(120), 80, 24);
    app.update(Action::Source(SourceEvent::Disconnected {
        error: "connection reset by peer".into(),
        retry_in: Duration::from_secs(4),
    }));
    app.update(Action::Tick(T0_MS + 119_000 + 1_200));
    insta::assert_snapshot!(render_to_string(&app, 80, 24));
}

#[test]
fn the_password_is_never_drawn() {
    let target = qtop::source::RedisTarget::parse("redis://admin:hunter2@db:6379", false)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut app = App::new(target.display(), Duration::from_secs(1), T0_MS);
    app.update(Action::Resize(120, 30));
    let screen = render_to_string(&app, 120, 30);
    assert!(screen.contains("db:6379"), "{screen}");
    assert!(!screen.contains("hunter2"), "{screen}");
}

#[test]
fn every_small_size_renders_without_panicking() {
    let states: Vec<(&str, App)> = vec![
        (
            "empty",
            App::new("redis://x:1", Duration::from_secs(1), T0_MS),
        ),
        ("busy", app_after(30)),
        (
            "mixed systems",
            qtop::app::fixtures_mixed::mixed_app_after(30, true),
        ),
        ("mixed, workers focused", {
            let mut app = qtop::app::fixtures_mixed::mixed_app_after(30, false);
            press(&mut app, KeyCode::Tab);
            press(&mut app, KeyCode::Down);
            app
        }),
        ("queue", {
            let mut app = app_after(30);
            press(&mut app, KeyCode::Enter);
            app
        }),
        ("help", {
            let mut app = app_after(30);
            press(&mut app, KeyCode::Char('?'));
            app
        }),
    ];
    for (name, mut app) in states {
        for width in 1..=40u16 {
            for height in 1..=12u16 {
                app.update(Action::Resize(width, height));
                let screen = render_to_string(&app, width, height);
                assert_eq!(
                    screen.lines().count(),
                    height as usize,
                    "{name} {width}x{height}"
                );
            }
        }
        // And a few odd ones beyond.
        for (width, height) in [(200, 3), (3, 200), (41, 13), (79, 23), (300, 100)] {
            app.update(Action::Resize(width, height));
            render_to_string(&app, width, height);
        }
    }
}

fn draw(app: &App, width: u16, height: u16) -> ratatui::buffer::Buffer {
    let backend = ratatui::backend::TestBackend::new(width, height);
    let mut terminal = ratatui::Terminal::new(backend).unwrap_or_else(|e| panic!("{e}"));
    terminal
        .draw(|frame| qtop::ui::render(frame, app))
        .unwrap_or_else(|e| panic!("{e}"));
    terminal.backend().buffer().clone()
}

#[test]
fn no_color_means_no_colour_and_colour_means_the_16_basic_ones() {
    use ratatui::style::Color;
    let mut app = sized(app_after(120), 160, 48);
    app.color = false;
    let plain = draw(&app, 160, 48);
    assert!(
        plain
            .content()
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
        "a colour was drawn with NO_COLOR"
    );
    app.color = true;
    let coloured = draw(&app, 160, 48);
    let basic = |c: Color| !matches!(c, Color::Rgb(..) | Color::Indexed(_));
    assert!(coloured
        .content()
        .iter()
        .all(|c| basic(c.fg) && basic(c.bg)));
    assert!(coloured.content().iter().any(|c| c.fg == Color::Red));
}

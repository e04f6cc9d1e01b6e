//! `qtop demo`'s screen and the advisor panel from a fixed state and clock: the demo strip
//! (status line, event log), the chart markers, the advisor and the confirmation, as insta
//! snapshots at 80×24 and 160×48.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use qtop::actions::scale_cmd::ScaleCommand;
use qtop::app::fixtures::{app_after, demo_app_after, T0_MS};
use qtop::app::{Action, App};
use qtop::ui::render_to_string;

fn press(app: &mut App, code: KeyCode) {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn sized(mut app: App, width: u16, height: u16) -> App {
    app.update(Action::Resize(width, height));
    app.color = false;
    app
}

#[test]
fn demo_dashboard_80x24() {
    let app = sized(demo_app_after(120), 80, 24);
    let screen = render_to_string(&app, 80, 24);
    assert!(
        screen.contains("autoscale off") || screen.contains("auto off"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn demo_queue_view_with_advisor_and_autoscale_160x48() {
    let mut app = sized(demo_app_after(120), 160, 48);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('a'));
    // Two more reports of a growing backlog: the autoscaler decides, a marker and a log line.
    for n in 120..122 {
        app.update(Action::Tick(T0_MS + n as i64 * 1000));
        let report = Box::new(qtop::app::fixtures::report(n));
        app.update(Action::Source(qtop::source::SourceEvent::Report(report)));
    }
    let screen = render_to_string(&app, 160, 48);
    // Too close to the kill for its full label: the decision's glyph marks it.
    assert!(screen.contains("k   A│"), "{screen}");
    assert!(screen.contains("autoscale 2 → 6 workers"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn demo_queue_view_80x24() {
    let mut app = sized(demo_app_after(120), 80, 24);
    press(&mut app, KeyCode::Enter);
    insta::assert_snapshot!(render_to_string(&app, 80, 24));
}

#[test]
fn advisor_read_only_80x24() {
    let mut app = sized(app_after(120), 80, 24);
    app.scale_cmd = ScaleCommand::parse("kubectl scale deploy/worker --replicas={n}").ok();
    app.read_only = true;
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    let screen = render_to_string(&app, 80, 24);
    assert!(screen.contains("unavailable (--read-only)"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn advisor_confirm_160x48() {
    let mut app = sized(app_after(120), 160, 48);
    app.scale_cmd = ScaleCommand::parse("kubectl scale deploy/worker --replicas={n}").ok();
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('t'));
    press(&mut app, KeyCode::Char('!'));
    insta::assert_snapshot!(render_to_string(&app, 160, 48));
}

#[test]
fn demo_help_lists_the_demo_keys_80x24() {
    let mut app = sized(demo_app_after(60), 80, 24);
    press(&mut app, KeyCode::Char('?'));
    let screen = render_to_string(&app, 80, 24);
    for text in [
        "demo: start a worker",
        "demo: autoscaler on / off",
        "z =",
        "Esc or ? closes this help",
    ] {
        assert!(screen.contains(text), "{text}:\n{screen}");
    }
    insta::assert_snapshot!(screen);
}

#[test]
fn demo_screens_render_at_every_small_size() {
    let mut app = demo_app_after(60);
    press(&mut app, KeyCode::Enter);
    for width in 1..=50u16 {
        for height in 1..=16u16 {
            app.update(Action::Resize(width, height));
            let screen = render_to_string(&app, width, height);
            assert_eq!(screen.lines().count(), height as usize, "{width}x{height}");
        }
    }
}

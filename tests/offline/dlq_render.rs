//! The dead-letter screens from a fixed state and clock (UTC): insta snapshots of
//! `TestBackend` output at 80×24 and 160×48 of the list, the detail (stack traces, a payload
//! too large to load), the failure groups and the confirm dialog; no panic at small sizes.
use crossterm::event::KeyCode;
use qtop::app::dlq_fixtures::{dead_letters_app, press, press_served};
use qtop::app::{Action, App};
use qtop::ui::render_to_string;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn screen(app: &App) -> String {
    render_to_string(app, app.size.0, app.size.1)
}

fn marked_list(width: u16, height: u16) -> App {
    let mut app = dead_letters_app(width, height);
    press_served(&mut app, KeyCode::Down);
    press_served(&mut app, KeyCode::Char(' '));
    press_served(&mut app, KeyCode::Char(' '));
    app
}

#[test]
fn list() {
    for (w, h) in SIZES {
        let app = marked_list(w, h);
        insta::assert_snapshot!(format!("list_{w}x{h}"), screen(&app));
    }
}

#[test]
fn detail() {
    for (w, h) in SIZES {
        let mut app = dead_letters_app(w, h);
        press_served(&mut app, KeyCode::Enter);
        let text = screen(&app);
        assert!(text.contains("5242880 bytes: not loaded"), "{text}");
        // 80×24 shows the stack traces further down (see the scrolled snapshot).
        if h >= 48 {
            assert!(text.contains("at Worker.processor"), "{text}");
        }
        insta::assert_snapshot!(format!("detail_{w}x{h}"), text);
    }
}

#[test]
fn detail_scrolled_to_the_end_80x24() {
    let mut app = dead_letters_app(80, 24);
    press_served(&mut app, KeyCode::Enter);
    press_served(&mut app, KeyCode::End);
    let text = screen(&app);
    assert!(text.contains("at Worker.processor"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn groups() {
    for (w, h) in SIZES {
        let mut app = dead_letters_app(w, h);
        press_served(&mut app, KeyCode::Char('g'));
        insta::assert_snapshot!(format!("groups_{w}x{h}"), screen(&app));
    }
}

#[test]
fn confirm() {
    for (w, h) in SIZES {
        let mut app = marked_list(w, h);
        press(&mut app, KeyCode::Char('x'));
        let text = screen(&app);
        assert!(
            text.contains("Delete 2 failed jobs of bull:billing (marked)? y/N"),
            "{text}"
        );
        insta::assert_snapshot!(format!("confirm_{w}x{h}"), text);
    }
}

#[test]
fn read_only_dims_the_writes_and_says_why() {
    let mut app = dead_letters_app(160, 48);
    app.read_only = true;
    press(&mut app, KeyCode::Char('r'));
    let text = screen(&app);
    assert!(text.contains("retry (read-only)"), "{text}");
    assert!(text.contains("read-only: retry is disabled"), "{text}");
    insta::assert_snapshot!(text);
    press(&mut app, KeyCode::Char('?'));
    let help = screen(&app);
    assert!(help.contains("keys — dead letters"), "{help}");
    assert!(
        help.contains("retry every failed job of the queue (read-only)"),
        "{help}"
    );
    insta::assert_snapshot!("read_only_help_160x48", help);
}

#[test]
fn small_sizes_do_not_panic() {
    let setups: [fn(&mut App); 4] = [
        |_| {},
        |app| {
            press_served(app, KeyCode::Enter);
        },
        |app| {
            press_served(app, KeyCode::Char('g'));
        },
        |app| {
            press(app, KeyCode::Char('X'));
        },
    ];
    for setup in setups {
        let mut app = dead_letters_app(80, 24);
        setup(&mut app);
        for (w, h) in [(1, 1), (2, 2), (10, 3), (20, 5), (39, 11), (0, 0), (200, 4)] {
            app.update(Action::Resize(w, h));
            let _ = render_to_string(&app, w, h);
        }
    }
}

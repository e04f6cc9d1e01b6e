//! Key → action → state, without a terminal: sorting, filter, selection, zoom, freeze,
//! help, quit, outages.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};

use super::fixtures::{app_after, key, report, T0_MS};
use super::rows::Column;
use super::*;

fn press(app: &mut App, code: KeyCode) -> Vec<Effect> {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn type_str(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn names(app: &App) -> Vec<String> {
    app.visible
        .iter()
        .map(|&i| app.view.rows[i].key().name.to_string())
        .collect()
}

#[test]
fn rows_are_sorted_most_backed_up_first_and_s_cycles_columns() {
    let mut app = app_after(30);
    assert_eq!(names(&app)[0], "thumbnails");
    assert_eq!(app.selected, Some(key("thumbnails")));
    press(&mut app, KeyCode::Char('s'));
    assert_eq!(app.sort.column, Column::Active);
    assert_eq!(names(&app)[0], "orders");
    // Around to the name column: A→Z.
    while app.sort.column != Column::Name {
        press(&mut app, KeyCode::Char('s'));
    }
    assert_eq!(
        names(&app),
        vec!["billing", "emails", "orders", "paused-q", "thumbnails"]
    );
    press(&mut app, KeyCode::Char('S'));
    assert_eq!(names(&app)[0], "thumbnails");
    // The selection stays on the same queue through re-sorting.
    assert_eq!(app.selected, Some(key("thumbnails")));
}

#[test]
fn filter_types_live_and_esc_clears() {
    let mut app = app_after(5);
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(app.mode, Mode::Filter);
    type_str(&mut app, "or");
    assert_eq!(app.filter, "or");
    assert_eq!(names(&app), vec!["orders"]);
    assert_eq!(app.selected, Some(key("orders")));
    // In filter mode, `q` is text, not quit.
    assert!(press(&mut app, KeyCode::Char('q')).is_empty());
    assert!(names(&app).is_empty());
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Dashboard);
    assert_eq!(names(&app), vec!["orders"]);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.filter, "");
    assert_eq!(names(&app).len(), 5);
    press(&mut app, KeyCode::Char('/'));
    type_str(&mut app, "zz");
    press(&mut app, KeyCode::Esc);
    assert_eq!((app.mode, app.filter.as_str()), (Mode::Dashboard, ""));
}

#[test]
fn selection_moves_with_arrows_and_vim_keys_and_stops_at_the_ends() {
    let mut app = app_after(5);
    let order = names(&app);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.selected, Some(key(&order[1])));
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(app.selected, Some(key(&order[2])));
    press(&mut app, KeyCode::Char('k'));
    assert_eq!(app.selected, Some(key(&order[1])));
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(app.selected, Some(key(&order[4])));
    press(&mut app, KeyCode::Down);
    assert_eq!(app.selected, Some(key(&order[4])));
    press(&mut app, KeyCode::Home);
    press(&mut app, KeyCode::Up);
    assert_eq!(app.selected, Some(key(&order[0])));
}

#[test]
fn enter_focuses_a_queue_and_esc_goes_back() {
    let mut app = app_after(5);
    press(&mut app, KeyCode::Down);
    let selected = app.selected.clone();
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Queue);
    assert_eq!(
        app.chart_series().1,
        selected.map(|k| k.name).unwrap_or_default()
    );
    assert!(app
        .worker_rows()
        .iter()
        .all(|w| Some(&w.key) == app.selected.as_ref()));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Dashboard);
}

#[test]
fn tab_switches_panes_and_arrows_then_move_in_the_workers() {
    let mut app = app_after(5);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Pane::Workers);
    let queue_before = app.selected.clone();
    press(&mut app, KeyCode::Down);
    assert_eq!(app.worker_selected, 1);
    assert_eq!(app.selected, queue_before);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Pane::Queues);
}

#[test]
fn zoom_steps_between_one_minute_and_one_hour() {
    let mut app = app_after(1);
    assert_eq!(app.window_ms(), 300_000);
    press(&mut app, KeyCode::Char('+'));
    assert_eq!(app.window_ms(), 60_000);
    press(&mut app, KeyCode::Char('z'));
    assert_eq!(app.window_ms(), 60_000);
    for _ in 0..10 {
        press(&mut app, KeyCode::Char('-'));
    }
    assert_eq!(app.window_ms(), 3_600_000);
    press(&mut app, KeyCode::Char('z'));
    assert_eq!(app.window_ms(), 1_800_000);
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('Z'),
        KeyModifiers::SHIFT,
    )));
    assert_eq!(app.window_ms(), 3_600_000);
}

#[test]
fn freeze_keeps_the_picture_while_data_keeps_coming() {
    let mut app = app_after(10);
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(app.frozen_at_ms, Some(T0_MS + 9_000));
    let before = app.view.rows.clone();
    for n in 10..20 {
        app.update(Action::Tick(T0_MS + n as i64 * 1000));
        app.update(Action::Source(SourceEvent::Report(Box::new(report(n)))));
    }
    assert_eq!(app.view.rows, before);
    assert_eq!(app.view_now_ms(), T0_MS + 9_000);
    press(&mut app, KeyCode::Char('p'));
    assert_eq!(app.frozen_at_ms, None);
    assert_ne!(app.view.rows, before);
    let thumbs = app.view.rows.iter().find(|r| *r.key() == key("thumbnails"));
    assert_eq!(
        thumbs.and_then(|r| r.counts()).and_then(|c| c.waiting),
        Some(100 + 15 * 19)
    );
}

#[test]
fn help_opens_over_any_screen_and_closes_back_to_it() {
    let mut app = app_after(2);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('?'));
    assert_eq!((app.mode, app.back), (Mode::Help, Mode::Queue));
    press(&mut app, KeyCode::Char('?'));
    assert_eq!(app.mode, Mode::Queue);
    press(&mut app, KeyCode::Char('?'));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Queue);
}

#[test]
fn q_and_ctrl_c_quit_from_everywhere_ctrl_c_even_while_typing() {
    let mut app = app_after(1);
    assert_eq!(press(&mut app, KeyCode::Char('q')), vec![Effect::Quit]);
    press(&mut app, KeyCode::Char('/'));
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(app.update(Action::Key(ctrl_c)), vec![Effect::Quit]);
    assert_eq!(app.filter, "");
}

#[test]
fn before_data_there_are_no_rows_and_no_selection() {
    let mut app = App::new("redis://x:1", Duration::from_secs(1), T0_MS);
    assert!(!app.has_data);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::Dashboard);
    assert_eq!(app.selected, None);
}

#[test]
fn an_outage_keeps_history_shows_a_countdown_and_leaves_a_gap() {
    let mut app = app_after(20);
    app.update(Action::Source(SourceEvent::Disconnected {
        error: "connection refused".into(),
        retry_in: Duration::from_secs(4),
    }));
    assert_eq!(
        app.connection,
        Connection::Disconnected {
            error: "connection refused".into(),
            retry_at_ms: T0_MS + 19_000 + 4_000
        }
    );
    // Retrying does not hide the banner; only a connection does.
    app.update(Action::Source(SourceEvent::Connecting { attempt: 2 }));
    assert!(matches!(app.connection, Connection::Disconnected { .. }));
    assert_eq!(app.view.rows.len(), 5);
    for n in 30..32 {
        app.update(Action::Tick(T0_MS + n as i64 * 1000));
        app.update(Action::Source(SourceEvent::Report(Box::new(report(n)))));
    }
    assert_eq!(app.connection, Connection::Connected);
    let (series, _) = app.chart_series();
    let window = series.window(T0_MS + 31_000, 60_000);
    let present: Vec<bool> = window.points.iter().map(Option::is_some).collect();
    // The window starts at second -28: readings 0..19 are at 28..47, the outage (seconds
    // 20..29) at 48..57 is a hole, not zeros, and readings 30, 31 follow.
    assert!(present[28..48].iter().all(|p| *p));
    assert!(present[48..58].iter().all(|p| !p));
    assert!(present[58] && present[59]);
}

#[test]
fn workers_show_stale_vanished_and_heartbeats() {
    let app = app_after(70);
    let rows = &app.view.workers.rows;
    let find = |name: &str| rows.iter().find(|r| r.name == name);
    assert_eq!(
        find("w-billing").map(|r| r.health),
        Some(workers::WorkerHealth::Stale)
    );
    assert_eq!(
        find("w-thumbs-2").map(|r| r.health),
        Some(workers::WorkerHealth::Vanished)
    );
    let qtop = find("qtop-h-42");
    assert_eq!(
        qtop.and_then(|r| r.heartbeat.as_ref())
            .map(|h| h.concurrency),
        Some(8)
    );
    let emails = app.view.rows.iter().find(|r| *r.key() == key("emails"));
    assert!(emails.is_some_and(|r| r.unconsumed()));
    let paused = app.view.rows.iter().find(|r| *r.key() == key("paused-q"));
    assert!(paused.is_some_and(|r| !r.unconsumed()));
}

#[test]
fn mouse_click_selects_the_row_under_it_and_the_wheel_scrolls() {
    let mut app = app_after(5);
    app.update(Action::Resize(100, 30));
    let table = super::layout::layout(&app, app.size)
        .table
        .unwrap_or_default();
    let click = |row: u16| MouseEvent {
        kind: MouseEventKind::Down(crossterm::event::MouseButton::Left),
        column: table.x + 3,
        row,
        modifiers: KeyModifiers::NONE,
    };
    // Border and header first: the third visible row is two below the first.
    app.update(Action::Mouse(click(table.y + 2 + 2)));
    assert_eq!(app.selected_index(), Some(2));
    app.update(Action::Mouse(MouseEvent {
        kind: MouseEventKind::ScrollDown,
        ..click(table.y + 3)
    }));
    assert_eq!(app.selected_index(), Some(3));
}

#[test]
fn rates_latency_and_growth_in_the_table() {
    let app = app_after(30);
    let orders = app.view.rows.iter().find(|r| *r.key() == key("orders"));
    let orders = orders.cloned().unwrap_or_default();
    assert_eq!(orders.rates.added_per_s, Some(40.0));
    assert_eq!(orders.rates.completed_per_s, Some(38.0));
    assert_eq!(orders.rates.error_rate, Some(0.05));
    assert!(orders.rates.p99_processing_ms.is_some_and(|ms| ms >= 120));
    assert_eq!(orders.workers, Some(3));
    assert!(!orders.growing);
    let thumbs = app.view.rows.iter().find(|r| *r.key() == key("thumbnails"));
    assert!(thumbs.is_some_and(|r| r.growing));
}

//! A Redis with BullMQ, Sidekiq and RQ queues (and Celery's) in one dashboard: insta
//! snapshots of the queues table with its SYSTEM, RETRY and RESV columns, blanks where a
//! system lacks a figure, `~` on estimated rates and `>` on a lower-bound OLDEST; the
//! workers pane with every system's processes.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use qtop::app::fixtures_mixed::mixed_app_after;
use qtop::app::{Action, App};
use qtop::ui::render_to_string;

fn press(app: &mut App, code: KeyCode) {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn sized(mut app: App, width: u16, height: u16) -> App {
    app.update(Action::Resize(width, height));
    app
}

#[test]
fn mixed_dashboard_160x48() {
    let app = sized(mixed_app_after(120, false), 160, 48);
    let screen = render_to_string(&app, 160, 48);
    // Queues of every system, RQ's and Sidekiq's without a leading `:`.
    assert!(screen.contains("SYSTEM"), "{screen}");
    assert!(
        screen.contains("queues (11: 6 bullmq, 3 sidekiq, 2 rq)"),
        "{screen}"
    );
    assert!(screen.contains("RETRY"), "{screen}");
    assert!(!screen.contains(":default") || screen.contains("myapp:default"));
    assert!(!screen.contains(" :high"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn mixed_dashboard_with_celery_200x50() {
    let app = sized(mixed_app_after(120, true), 200, 50);
    let screen = render_to_string(&app, 200, 50);
    assert!(screen.contains("RESV"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[test]
fn mixed_dashboard_80x24() {
    let app = sized(mixed_app_after(120, false), 80, 24);
    insta::assert_snapshot!(render_to_string(&app, 80, 24));
}

#[test]
fn mixed_queue_focus_on_an_rq_queue_160x48() {
    let mut app = sized(mixed_app_after(120, false), 160, 48);
    press(&mut app, KeyCode::Char('/'));
    for c in "high".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    insta::assert_snapshot!(render_to_string(&app, 160, 48));
}

#[test]
fn one_system_has_no_system_column() {
    let app = sized(qtop::app::fixtures::app_after(30), 160, 48);
    let screen = render_to_string(&app, 160, 48);
    assert!(!screen.contains("SYSTEM"), "{screen}");
    assert!(!screen.contains("RETRY"), "{screen}");
}

#[test]
fn flags_in_the_table_and_spelled_out_in_the_focus_view_160x48() {
    let mut app = sized(mixed_app_after(120, false), 160, 48);
    let table = render_to_string(&app, 160, 48);
    // payments: global concurrency, global rate limit, schedulers, a crashed worker's job;
    // rate-limited at odd readings (the 120th is #119).
    let payments = table
        .lines()
        .find(|l| l.contains("payments"))
        .unwrap_or_default();
    assert!(payments.contains(" LCRSX "), "{payments}");
    press(&mut app, KeyCode::Char('/'));
    for c in "payments".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    let screen = render_to_string(&app, 160, 48);
    assert!(
        screen.contains("rate-limited, 650ms left · global concurrency 2 · global rate limit 2 per 1.0s · 2 job schedulers · 1 active job without a lock"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

/// The workers pane focused on the worker named `name`.
fn on_worker(mut app: App, name: &str) -> App {
    press(&mut app, KeyCode::Tab);
    let index = app
        .worker_rows()
        .iter()
        .position(|r| r.name == name)
        .unwrap_or_else(|| panic!("no worker {name}"));
    for _ in 0..index {
        press(&mut app, KeyCode::Down);
    }
    app
}

#[test]
fn quiet_a_sidekiq_process_asks_first_160x48() {
    let mut app = on_worker(
        sized(mixed_app_after(120, false), 160, 48),
        "app-1:4100:0a1b2c3d4e5f",
    );
    press(&mut app, KeyCode::Char('Q'));
    let screen = render_to_string(&app, 160, 48);
    assert!(
        screen.contains("Quiet sidekiq worker app-1:4100:0a1b2c3d4e5f"),
        "{screen}"
    );
    insta::assert_snapshot!(screen);
}

#[test]
fn a_bullmq_worker_s_refusal_in_the_status_line_80x24() {
    let mut app = on_worker(sized(mixed_app_after(120, false), 80, 24), "w-orders");
    press(&mut app, KeyCode::Char('K'));
    let screen = render_to_string(&app, 80, 24);
    let status = screen.lines().last().unwrap_or_default().to_string();
    assert!(status.contains("BullMQ worker"), "{status}");
    insta::assert_snapshot!(screen);
}

#[test]
fn a_sidekiq_queue_s_retry_set_in_the_dead_letter_pane_120x30() {
    use qtop::app::dlq_fixtures::{press_served, FAILED_TOTAL};
    let mut app = sized(mixed_app_after(120, false), 120, 30);
    app.zone = qtop::model::clock::Zone::Utc;
    app.selected = Some(qtop::model::QueueKey::new(
        qtop::model::System::Sidekiq,
        "",
        "default",
    ));
    press_served(&mut app, KeyCode::Char('d'));
    assert!(render_to_string(&app, 120, 30).contains("dead letters · sidekiq:default"));
    press_served(&mut app, KeyCode::Char('v'));
    let screen = render_to_string(&app, 120, 30);
    assert!(
        screen.contains("retry set · sidekiq:default · 1–"),
        "{screen}"
    );
    assert!(screen.contains(&format!("of {FAILED_TOTAL}")), "{screen}");
    insta::assert_snapshot!(screen);
}

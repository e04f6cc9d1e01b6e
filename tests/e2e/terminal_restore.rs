//! A panic in the dashboard restores the terminal (main screen, cooked mode) and reports
//! itself; a resize storm down to 1×1 and back does not bring the dashboard down; a Redis
//! restart shows the outage, keeps what was read, and reconnects.

use crate::common;

use common::{qtop_bin, RedisServer, Tmux};

#[test]
fn a_panic_restores_the_terminal_and_says_so() {
    let redis = RedisServer::start();
    redis.cmd(&["LPUSH", "bull:q:wait", "1"]);
    let command = format!(
        "env -u REDIS_URL RUST_BACKTRACE=0 QTOP_TEST_PANIC_ON_KEY=P '{}' --redis '{}'; echo QTOP_EXIT=$?; stty -a | tr ' ' '\\n' | grep -x -- '-\\?icanon'; sleep 60",
        qtop_bin(),
        redis.url()
    );
    let tmux = Tmux::start(100, 30, &command);
    tmux.wait_for("the dashboard", |s| s.contains("queues (1)"));
    assert!(tmux.alternate_screen_on());
    // Press until it takes: a key can be lost while the terminal is still settling.
    for _ in 0..10 {
        tmux.send(&["P"]);
        std::thread::sleep(std::time::Duration::from_millis(300));
        if tmux.screen().contains("QTOP_EXIT=") {
            break;
        }
    }
    let screen = tmux.wait_for("the exit", |s| s.contains("QTOP_EXIT="));
    assert!(screen.contains("QTOP_EXIT=101"), "{screen}");
    assert!(
        screen.contains("panicked") && screen.contains("QTOP_TEST_PANIC_ON_KEY"),
        "{screen}"
    );
    assert!(!tmux.alternate_screen_on(), "back on the main screen");
    // Cooked mode again: canonical input on.
    let mode = tmux.wait_for("stty", |s| {
        s.lines()
            .any(|l| l.trim() == "icanon" || l.trim() == "-icanon")
    });
    assert!(mode.lines().any(|l| l.trim() == "icanon"), "{mode}");
}

#[test]
fn a_resize_storm_down_to_one_cell_is_survived() {
    let redis = RedisServer::start();
    redis.cmd(&["LPUSH", "bull:stormy:wait", "1"]);
    let command = format!(
        "env -u REDIS_URL '{}' --redis '{}'; echo QTOP_EXIT=$?; sleep 60",
        qtop_bin(),
        redis.url()
    );
    let tmux = Tmux::start(100, 30, &command);
    tmux.wait_for("the dashboard", |s| s.contains("stormy"));
    for (w, h) in [
        (1, 1),
        (200, 2),
        (2, 50),
        (40, 12),
        (7, 3),
        (160, 48),
        (1, 1),
        (80, 24),
    ] {
        tmux.run(&["resize-window", "-x", &w.to_string(), "-y", &h.to_string()]);
        std::thread::sleep(std::time::Duration::from_millis(80));
    }
    tmux.run(&["resize-window", "-x", "100", "-y", "30"]);
    let screen = tmux.wait_for("the dashboard after the storm", |s| s.contains("stormy"));
    assert!(!screen.contains("QTOP_EXIT"), "qtop exited: {screen}");
    tmux.send(&["q"]);
    let screen = tmux.wait_for("the exit", |s| s.contains("QTOP_EXIT="));
    assert!(screen.contains("QTOP_EXIT=0"), "{screen}");
}

#[test]
fn a_redis_restart_shows_the_outage_and_the_dashboard_comes_back() {
    let mut redis = RedisServer::start();
    redis.cmd(&["LPUSH", "bull:survivor:wait", "1"]);
    let command = format!(
        "env -u REDIS_URL NO_COLOR=1 '{}' --redis '{}' --interval 300ms; echo QTOP_EXIT=$?; sleep 60",
        qtop_bin(),
        redis.url()
    );
    let tmux = Tmux::start(100, 30, &command);
    tmux.wait_for("the dashboard", |s| {
        s.contains("survivor") && s.contains("connected")
    });
    redis.stop();
    // The outage is shown with a countdown, and what was read before stays on screen.
    let outage = tmux.wait_for("the outage banner", |s| s.contains("retrying"));
    assert!(
        outage.contains("survivor"),
        "history kept during the outage:\n{outage}"
    );
    redis.start_again();
    redis.cmd(&["LPUSH", "bull:newcomer:wait", "1"]);
    let back = tmux.wait_for("reconnection", |s| {
        s.contains("newcomer") && !s.contains("retrying")
    });
    assert!(back.contains("connected"), "{back}");
    tmux.send(&["q"]);
    let screen = tmux.wait_for("the exit", |s| s.contains("QTOP_EXIT="));
    assert!(screen.contains("QTOP_EXIT=0"), "{screen}");
}

//! The toolbox on a real terminal (tmux): switching context in the dashboard, copying
//! through OSC 52, what the dashboard does with each kind of error at start, and the
//! progress line of `snapshot` on a terminal.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::{qtop_bin, qtop_in_tmux, wait_until, RedisServer, Tmux};

/// A queue BullMQ would have left: its meta hash and id counter (discovery finds them).
fn queue(redis: &RedisServer, name: &str) {
    redis.cmd(&[
        "HSET",
        &format!("bull:{name}:meta"),
        "opts.maxLenEvents",
        "10000",
    ]);
    redis.cmd(&["SET", &format!("bull:{name}:id"), "3"]);
}

/// qtop in the pane with a private HOME and `args`, its exit status printed after.
fn qtop_with_home(home: &Path, args: &str) -> String {
    format!(
        "env -u REDIS_URL -u QTOP_READ_ONLY -u QTOP_CONTEXT -u XDG_CONFIG_HOME HOME='{}' NO_COLOR=1 '{}' {args}; echo QTOP_EXIT=$?; sleep 60",
        home.display(),
        qtop_bin()
    )
}

/// The names of qtop's connections to `redis` (`qtop:monitor`, `qtop:poll`…).
fn qtop_clients(redis: &RedisServer) -> Vec<String> {
    redis
        .cmd(&["CLIENT", "LIST"])
        .lines()
        .filter_map(|l| l.split(' ').find_map(|f| f.strip_prefix("name=")))
        .filter(|name| name.starts_with("qtop"))
        .map(str::to_string)
        .collect()
}

fn header(screen: &str) -> &str {
    screen.lines().next().unwrap_or_default()
}

#[test]
fn the_context_list_switches_to_another_redis_without_restarting() {
    let a = RedisServer::start();
    let b = RedisServer::start();
    queue(&a, "alpha");
    queue(&b, "beta");
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join(".config/qtop");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "default_context = \"a\"\n\
             [contexts.a]\nredis = \"{}\"\ninterval = \"500ms\"\n\
             [contexts.b]\nredis = \"{}\"\ninterval = \"500ms\"\nread_only = true\n\
             [contexts.c]\nredis = \"redis://127.0.0.1:1\"\npassword_env = \"QTOP_TEST_UNSET_PW\"\n",
            a.url(),
            b.url()
        ),
    )
    .unwrap();
    let tmux = Tmux::start(120, 32, &qtop_with_home(home.path(), ""));
    let screen = tmux.wait_for("context a and its queue", |s| {
        header(s).contains("context a") && s.contains("│alpha")
    });
    assert!(!header(&screen).contains("read-only"), "{screen}");
    wait_until("qtop connected to a", Duration::from_secs(20), || {
        !qtop_clients(&a).is_empty()
    });

    tmux.send(&["C"]);
    let screen = tmux.wait_for("the context list", |s| s.contains("contexts"));
    assert!(
        screen.contains("* a"),
        "the current one is marked: {screen}"
    );
    assert!(screen.contains("read-only"), "b is read-only: {screen}");
    assert!(
        screen.contains("c  cannot be used: password_env names QTOP_TEST_UNSET_PW"),
        "{screen}"
    );
    // c cannot be chosen: the list stays, saying why.
    tmux.send(&["j", "j", "Enter"]);
    tmux.wait_for("why c cannot be used", |s| {
        s.contains("c cannot be used: password_env")
    });
    tmux.send(&["k", "Enter"]);
    let screen = tmux.wait_for("context b and its queue", |s| {
        header(s).contains("context b (read-only)") && s.contains("│beta")
    });
    assert!(!screen.contains("alpha"), "a's queues are gone: {screen}");
    // The old context's poller stopped: a has no qtop connection left, b has them.
    wait_until("qtop left a", Duration::from_secs(20), || {
        qtop_clients(&a).is_empty()
    });
    assert!(!qtop_clients(&b).is_empty());
    // And back, with a fresh history.
    tmux.send(&["C"]);
    tmux.wait_for("the list again", |s| s.contains("* b"));
    tmux.send(&["k", "Enter"]);
    tmux.wait_for("context a again", |s| {
        header(s).contains("context a") && s.contains("│alpha") && !s.contains("│beta")
    });
    tmux.send(&["q"]);
    tmux.wait_for("exit 0", |s| s.contains("QTOP_EXIT=0"));
}

#[test]
fn y_copies_through_osc_52() {
    let redis = RedisServer::start();
    queue(&redis, "invoices");
    let tmux = Tmux::start(120, 30, &qtop_in_tmux(&redis.url(), &[]));
    // tmux takes OSC 52 into its paste buffer when set-clipboard is on.
    assert!(tmux
        .run(&["set-option", "-g", "set-clipboard", "on"])
        .status
        .success());
    tmux.wait_for("the queue", |s| s.contains("│invoices"));
    tmux.send(&["y"]);
    tmux.wait_for("the confirmation", |s| {
        header(s).contains("copied queue invoices (OSC 52)")
    });
    wait_until("tmux's buffer", Duration::from_secs(10), || {
        let out = tmux.run(&["show-buffer"]);
        String::from_utf8_lossy(&out.stdout) == "invoices"
    });
}

#[test]
fn a_permanent_error_at_start_is_one_line_and_status_1() {
    let redis = RedisServer::start_with_args(&["--requirepass", "right-one"]);
    let url = format!("unix://:wrong-one@{}", redis.socket_path().display());
    let tmux = Tmux::start(220, 20, &qtop_in_tmux(&url, &[]));
    let screen = tmux.wait_for("the exit", |s| s.contains("QTOP_EXIT="));
    assert!(screen.contains("QTOP_EXIT=1"), "{screen}");
    let said: Vec<&str> = screen
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("QTOP_EXIT"))
        .collect();
    assert_eq!(said.len(), 1, "one line: {screen}");
    assert!(said[0].contains("refused the credentials"), "{screen}");
    assert!(
        !screen.contains("wrong-one"),
        "the password shown: {screen}"
    );
}

#[test]
fn a_transient_error_at_start_is_retried_with_the_banner() {
    let mut redis = RedisServer::start_tcp();
    let url = redis.tcp_url();
    redis.stop();
    // Quit while Redis is away: status 1 and the reason.
    let tmux = Tmux::start(100, 20, &qtop_in_tmux(&url, &[]));
    tmux.wait_for("the retry", |s| {
        s.contains("connection refused") && s.contains("retrying")
    });
    tmux.send(&["q"]);
    let screen = tmux.wait_for("the exit", |s| s.contains("QTOP_EXIT="));
    assert!(screen.contains("QTOP_EXIT=1"), "{screen}");
    assert!(
        screen.contains("quit before Redis could be reached"),
        "{screen}"
    );
    drop(tmux);
    // Redis comes back while qtop retries: it connects, and quitting is status 0.
    let tmux = Tmux::start(100, 20, &qtop_in_tmux(&url, &[]));
    tmux.wait_for("the retry", |s| s.contains("connection refused"));
    redis.start_again();
    // (The server keeps nothing across a restart: the queue is made now.)
    queue(&redis, "late");
    tmux.wait_for("the queue once Redis is back", |s| s.contains("│late"));
    tmux.send(&["q"]);
    tmux.wait_for("exit 0", |s| s.contains("QTOP_EXIT=0"));
}

#[test]
fn snapshot_shows_its_progress_on_a_terminal_and_erases_it() {
    let redis = RedisServer::start();
    queue(&redis, "slow");
    let home = tempfile::tempdir().unwrap();
    let args = format!("--redis '{}' snapshot --window 6s", redis.url());
    let tmux = Tmux::start(120, 20, &qtop_with_home(home.path(), &args));
    tmux.wait_for("the progress line", |s| {
        s.contains("qtop: measuring,") && s.contains(" s left, ") && s.contains("polls done")
    });
    let screen = tmux.wait_for("the result", |s| s.contains("QTOP_EXIT="));
    assert!(screen.contains("QTOP_EXIT=0"), "{screen}");
    assert!(screen.contains("slow"), "{screen}");
    assert!(
        !screen.contains("measuring"),
        "the progress line stayed: {screen}"
    );
}

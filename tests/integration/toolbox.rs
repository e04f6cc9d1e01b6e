//! The operator's toolbox, through the real binary: contexts (errors with status 2 and
//! nothing started, precedence flag > env > context > default, read-only contexts that
//! refuse writes against a real redis-server, password_env, redaction), completions and
//! the man page checked by the real tools, `--version`, the connection causes named at
//! start, and no progress line when stderr is not a terminal.

use crate::common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{qtop_bin, NodeScript, RedisServer};

const T: Duration = Duration::from_secs(60);

/// A private HOME (so no real config file is read) holding `config.toml`.
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn new(config: &str) -> Home {
        let dir = tempfile::tempdir().unwrap();
        let home = Home { dir };
        std::fs::create_dir_all(home.config_path().parent().unwrap()).unwrap();
        std::fs::write(home.config_path(), config).unwrap();
        home.chmod(0o600);
        home
    }

    fn config_path(&self) -> PathBuf {
        self.dir.path().join(".config/qtop/config.toml")
    }

    fn chmod(&self, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(self.config_path(), std::fs::Permissions::from_mode(mode))
            .unwrap();
    }

    /// qtop with this HOME, the variables qtop reads cleared, then `env` set.
    fn qtop(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(qtop_bin());
        command
            .args(args)
            .env("HOME", self.dir.path())
            .env_remove("XDG_CONFIG_HOME");
        for var in [
            "REDIS_URL",
            "QTOP_CONTEXT",
            "QTOP_READ_ONLY",
            "QTOP_CLUSTER",
            "QTOP_SCALE_CMD",
        ] {
            command.env_remove(var);
        }
        for (name, value) in env {
            command.env(name, value);
        }
        run(command)
    }
}

/// Run to the end (killed after `T`), stdin closed, stdout and stderr captured.
fn run(mut command: Command) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + T;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{command:?} did not finish within {T:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Connections the server has accepted so far.
fn connections(redis: &RedisServer) -> u64 {
    let info = redis.cmd(&["INFO", "stats"]);
    info.lines()
        .find_map(|l| l.strip_prefix("total_connections_received:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap()
}

#[test]
fn config_errors_are_one_line_exit_2_and_start_nothing() {
    let redis = RedisServer::start();
    let url = redis.url();
    let good = format!("[contexts.dev]\nredis = \"{url}\"\n");
    // (the file, the arguments, what the line says)
    let cases: Vec<(String, Vec<&str>, &str)> = vec![
        (
            good.clone(),
            vec!["--context", "nope", "snapshot"],
            "unknown context 'nope' (--context)",
        ),
        (
            good.clone(),
            vec!["--context", "nope", "--queue", "q", "dlq", "list"],
            "known: dev",
        ),
        (
            format!("[contexts.dev]\nredis = \"{url}\"\nredsi = 1\n"),
            vec!["--context", "dev", "snapshot"],
            "config.toml:3:1: unknown field `redsi`",
        ),
        (
            format!("[contexts.dev]\nredis = \"{url}\"\ninterval = [\n"),
            vec!["snapshot"],
            "config.toml:3:",
        ),
        (
            format!("[contexts.dev]\nredis = \"{url}\"\npassword_env = \"QTOP_TEST_UNSET_PW\"\n"),
            vec!["--context", "dev", "snapshot"],
            "context 'dev': password_env names QTOP_TEST_UNSET_PW, which is not set",
        ),
        (
            "default_context = \"prod\"\n".to_string(),
            vec!["snapshot"],
            "default_context = \"prod\" names no context",
        ),
    ];
    let before = connections(&redis);
    for (file, args, says) in &cases {
        let home = Home::new(file);
        let out = home.qtop(args, &[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // QTOP_CONTEXT names an unknown context the same way.
    let home = Home::new(&good);
    let out = home.qtop(&["snapshot"], &[("QTOP_CONTEXT", "staging")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown context 'staging' (QTOP_CONTEXT)"));
    // --config naming a file that is not there.
    let out = home.qtop(&["--config", "/nonexistent/qtop.toml", "snapshot"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read the config file /nonexistent/qtop.toml"));
    // Nothing connected to Redis (the INFO calls above are one connection each).
    assert_eq!(
        connections(&redis),
        before + 1,
        "qtop connected despite the error"
    );
}

#[test]
fn config_show_tells_each_setting_and_where_it_came_from() {
    let home = Home::new(
        "default_context = \"staging\"\n\
         [contexts.staging]\nredis = \"redis://:s3cret-pw@staging:6379\"\nprefix = [\"bull\", \"{jobs}\"]\ninterval = \"2s\"\n\
         [contexts.prod]\nredis = \"redis://monitor@prod:6379\"\npassword_env = \"QTOP_TEST_PROD_PW\"\nread_only = true\n",
    );
    let show = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = args.to_vec();
        all.extend(["config", "show"]);
        let out = home.qtop(&all, env);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        (text(&out.stdout), text(&out.stderr))
    };
    let line = |shown: &str, key: &str| {
        let found = shown.lines().find(|l| l.starts_with(&format!("{key} = ")));
        found
            .unwrap_or_else(|| panic!("no {key} in\n{shown}"))
            .to_string()
    };
    let value_and_origin = |shown: &str, key: &str| {
        let l = line(shown, key);
        let (value, origin) = l.split_once("  # ").unwrap();
        let value = value
            .trim_start_matches(&format!("{key} = "))
            .trim()
            .to_string();
        (value, origin.to_string())
    };
    // The default context; nothing given: the context's values, the defaults.
    let (shown, _) = show(&[], &[]);
    assert!(
        shown.contains("# context: staging (chosen by default_context)"),
        "{shown}"
    );
    assert_eq!(
        value_and_origin(&shown, "redis"),
        (r#"["redis://:***@staging:6379"]"#.into(), "context".into())
    );
    assert!(!shown.contains("s3cret-pw"), "a password shown:\n{shown}");
    assert_eq!(
        value_and_origin(&shown, "interval"),
        (r#""2s""#.into(), "context".into())
    );
    assert_eq!(
        value_and_origin(&shown, "target_wait"),
        (r#""2s""#.into(), "default".into())
    );
    // The environment beats the context; a flag beats both.
    let env = [("REDIS_URL", "redis://from-env:1")];
    let (shown, _) = show(&[], &env);
    assert_eq!(
        value_and_origin(&shown, "redis"),
        (r#"["redis://from-env:1"]"#.into(), "environment".into())
    );
    let (shown, _) = show(
        &["--redis", "redis://from-flag:1", "--interval", "3s"],
        &env,
    );
    assert_eq!(
        value_and_origin(&shown, "redis"),
        (r#"["redis://from-flag:1"]"#.into(), "flag".into())
    );
    assert_eq!(
        value_and_origin(&shown, "interval"),
        (r#""3s""#.into(), "flag".into())
    );
    // A read-only context stays read-only with QTOP_READ_ONLY=0.
    let env = [("QTOP_TEST_PROD_PW", "pr0d-pw"), ("QTOP_READ_ONLY", "0")];
    let (shown, _) = show(&["--context", "prod"], &env);
    assert!(
        line(&shown, "read_only").starts_with("read_only = true"),
        "{shown}"
    );
    assert!(line(&shown, "read_only").contains("a flag cannot turn it off"));
    assert_eq!(
        value_and_origin(&shown, "redis").0,
        r#"["redis://monitor:***@prod:6379"]"#
    );
    assert!(!shown.contains("pr0d-pw"), "{shown}");
    // A file with a password that others can read is warned about.
    home.chmod(0o644);
    let (_, stderr) = show(&[], &[]);
    assert!(
        stderr.contains("other users can read it (mode 644)"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret-pw"));
}

/// A private Redis where Node BullMQ failed 4 jobs of `billing`.
fn failed_by_node() -> RedisServer {
    let redis = RedisServer::start();
    let mut scenario = NodeScript::new("scenario.js")
        .args(["--redis", &redis.url()])
        .spawn();
    scenario.wait_for_json("READY", T);
    assert!(scenario.stop(T).success());
    redis
}

#[test]
fn a_read_only_context_refuses_writes_end_to_end() {
    let redis = failed_by_node();
    let url = redis.url();
    let home = Home::new(&format!(
        "[contexts.prod]\nredis = \"{url}\"\nqueue = \"billing\"\nread_only = true\n\
         [contexts.ops]\nredis = \"{url}\"\nqueue = \"billing\"\n"
    ));
    let failed = || redis.cmd(&["ZCARD", "bull:billing:failed"]);
    assert_eq!(failed(), "4");
    let ids = redis.cmd(&["ZRANGE", "bull:billing:failed", "0", "-1"]);
    let id = ids.lines().next().unwrap().to_string();
    let writes: [&[&str]; 4] = [
        &["dlq", "retry", "--all", "--yes"],
        &["dlq", "retry", &id, "--yes"],
        &["dlq", "delete", &id, "--yes"],
        &["produce", "--count", "5"],
    ];
    for write in writes {
        for env in [&[][..], &[("QTOP_READ_ONLY", "0")][..]] {
            let mut args = vec!["--context", "prod"];
            args.extend_from_slice(write);
            let out = home.qtop(&args, env);
            let stderr = text(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{args:?} {env:?}: {stderr}");
            assert!(stderr.contains("read-only mode"), "{stderr}");
            assert!(
                stderr.contains("read_only = true in the context"),
                "{stderr}"
            );
        }
    }
    assert_eq!(failed(), "4", "a refused write changed the failed set");
    assert_eq!(redis.cmd(&["EXISTS", &format!("bull:billing:{id}")]), "1");
    assert_eq!(redis.cmd(&["LLEN", "bull:billing:wait"]), "0");
    // Reading still works in the read-only context.
    let out = home.qtop(&["--context", "prod", "dlq", "list", "--json"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The same write through a context that is not read-only goes through: the refusal
    // above was the context's doing.
    let out = home.qtop(&["--context", "ops", "dlq", "delete", &id, "--yes"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(failed(), "3");
}

#[test]
fn password_env_and_a_unix_socket_password_reach_redis_and_never_the_output() {
    let redis = RedisServer::start_with_args(&["--requirepass", "Sock3t/pw@x"]);
    let path = redis.socket_path().display().to_string();
    let home = Home::new(&format!(
        "[contexts.env]\nredis = \"unix://{path}\"\npassword_env = \"QTOP_TEST_PW\"\n\
         [contexts.url]\nredis = \"unix://:Sock3t%2Fpw%40x@{path}\"\n\
         [contexts.none]\nredis = \"unix://{path}\"\n"
    ));
    home.chmod(0o600);
    let env = [("QTOP_TEST_PW", "Sock3t/pw@x")];
    for context in ["env", "url"] {
        let out = home.qtop(
            &["--context", context, "snapshot", "--json", "--window", "0s"],
            &env,
        );
        let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
        assert!(out.status.success(), "{context}: {all}");
        assert!(
            !all.contains("Sock3t"),
            "{context}: the password shown: {all}"
        );
    }
    // Without a password: the hint names the unix form too.
    let out = home.qtop(&["--context", "none", "snapshot", "--window", "0s"], &[]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("unix://:PASSWORD@/path/to/socket"),
        "{stderr}"
    );
}

#[test]
fn connection_causes_are_named() {
    let home = Home::new("");
    let plain = RedisServer::start_tcp();
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("gone.sock").display().to_string();
    let cases = [
        (
            format!("rediss://127.0.0.1:{}", plain.port()),
            "the server answers plain Redis, without TLS (use redis:// instead of rediss://)"
                .to_string(),
        ),
        (
            format!("unix://{socket}"),
            format!("there is no socket file at {socket}"),
        ),
        (
            "redis://qtop-no-such-host.invalid:6379".to_string(),
            "the host name 'qtop-no-such-host.invalid' does not resolve".to_string(),
        ),
    ];
    for (url, says) in cases {
        let out = home.qtop(&["--redis", &url, "snapshot", "--window", "0s"], &[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{url}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{url}: {stderr}");
        assert!(stderr.contains(&says), "{url}: {stderr}");
    }
}

#[test]
fn no_progress_line_when_stderr_is_not_a_terminal() {
    let redis = RedisServer::start();
    let home = Home::new("");
    let out = home.qtop(
        &["--redis", &redis.url(), "snapshot", "--window", "2s"],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("qtop snapshot"));
    assert_eq!(text(&out.stderr), "", "stderr was written to while piped");
}

fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `tool ARGS FILE` succeeds, with nothing on stderr.
fn accepted_by(tool: &str, args: &[&str], file: &Path) {
    let out = Command::new(tool).args(args).arg(file).output().unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "{tool} {args:?} rejects {}: {}",
        file.display(),
        text(&out.stderr)
    );
}

#[test]
fn completion_scripts_parse_in_their_shells() {
    let home = Home::new("");
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = home.qtop(&["completions", shell], &[]);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        for word in ["snapshot", "dlq", "context", "completions"] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
        let file = dir.path().join(format!("qtop.{shell}"));
        std::fs::write(&file, &script).unwrap();
        match shell {
            "bash" => accepted_by("bash", &["-n"], &file),
            "zsh" if have("zsh") => accepted_by("zsh", &["-n"], &file),
            "fish" if have("fish") => accepted_by("fish", &["--no-execute"], &file),
            _ => {}
        }
    }
    // bash loads it and completes the subcommands.
    let probe = format!(
        "source {}; COMP_WORDS=(qtop con); COMP_CWORD=1; COMP_LINE='qtop con'; COMP_POINT=8; _qtop qtop con qtop; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        dir.path().join("qtop.bash").display()
    );
    let out = Command::new("bash").args(["-c", &probe]).output().unwrap();
    let words = text(&out.stdout);
    assert!(
        words.lines().any(|w| w == "config"),
        "{words}{}",
        text(&out.stderr)
    );
    assert!(!words.lines().any(|w| w == "snapshot"), "{words}");
}

#[test]
fn the_man_page_renders_with_man() {
    let home = Home::new("");
    let out = home.qtop(&["man"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("qtop.1");
    std::fs::write(&page, &out.stdout).unwrap();
    let rendered = Command::new("man")
        .args(["--warnings", "-l"])
        .arg(&page)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .output()
        .unwrap();
    let shown = text(&rendered.stdout);
    assert!(rendered.status.success(), "{}", text(&rendered.stderr));
    assert_eq!(text(&rendered.stderr), "", "groff warnings");
    for part in [
        "NAME",
        "SYNOPSIS",
        "--context",
        "--tls-ca",
        "QTOP SNAPSHOT",
        "--window",
        "QTOP DLQ",
        "qtop dlq retry",
        "FILES",
        "config.toml",
        "EXIT STATUS",
    ] {
        assert!(shown.contains(part), "no {part} in the page:\n{shown}");
    }
}

#[test]
fn version_names_the_commit_when_built_from_git() {
    let home = Home::new("");
    let out = home.qtop(&["--version"], &[]);
    let version = text(&out.stdout);
    assert!(version.starts_with(&format!("qtop {}", env!("CARGO_PKG_VERSION"))));
    let head = Command::new("git")
        .args([
            "-C",
            env!("CARGO_MANIFEST_DIR"),
            "rev-parse",
            "--short=12",
            "HEAD",
        ])
        .output();
    match head {
        Ok(head) if head.status.success() => {
            let head = text(&head.stdout).trim().to_string();
            assert!(
                version.contains(&format!("(git {head}")),
                "{version} vs HEAD {head}"
            );
        }
        // Built outside git: the version alone.
        _ => assert!(!version.contains("git"), "{version}"),
    }
}

//! Precedence: a flag beats the environment, which beats the context, which beats the
//! default; `read_only = true` in a context holds whatever is given.

use std::time::Duration;

use super::*;
use crate::cli::Cli;

const FILE: &str = r#"
default_context = "staging"

[contexts.staging]
redis = "redis://staging:6379"
prefix = ["bull", "{jobs}"]
interval = "2s"
target_wait = "750ms"

[contexts.prod]
redis = "redis://monitor@prod:6379"
password_env = "PROD_PW"
read_only = true
queue = ["billing"]
tls_ca = "ca.pem"
"#;

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.path().join("config.toml"), FILE).unwrap_or_else(|e| panic!("{e}"));
        Fixture { dir }
    }

    fn config(&self) -> String {
        self.dir.path().join("config.toml").display().to_string()
    }

    /// `qtop --config FILE ARGS…` prepared; `env_given` are (clap id, value) pairs as if
    /// they came from their environment variables.
    fn prepare(&self, args: &[&str], env_given: &[(&str, &str)]) -> Result<Cli, ConfigError> {
        let config = self.config();
        let mut argv = vec!["qtop", "--config", config.as_str()];
        argv.extend_from_slice(args);
        let mut cli = Cli::try_parse_args_from(argv).unwrap_or_else(|e| panic!("{e}"));
        for (id, value) in env_given {
            cli.setup.given.0.insert(id.to_string(), Origin::Env);
            match *id {
                "redis" => cli.global.redis = vec![value.to_string()],
                "read_only" => cli.global.read_only = *value == "1",
                "context" => cli.global.context = Some(value.to_string()),
                other => panic!("no such env in this test: {other}"),
            }
        }
        let env = |name: &str| (name == "PROD_PW").then(|| "pw".to_string());
        prepare(&mut cli, &env)?;
        Ok(cli)
    }
}

fn ok(result: Result<Cli, ConfigError>) -> Cli {
    result.unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn each_setting_comes_from_the_strongest_source() {
    let fixture = Fixture::new();
    // (args, env, expected redis, its origin, expected interval, its origin)
    type Case<'a> = (
        &'a [&'a str],
        &'a [(&'a str, &'a str)],
        &'a str,
        Origin,
        u64,
        Origin,
    );
    let cases: &[Case] = &[
        // The default context, nothing given.
        (
            &[],
            &[],
            "redis://staging:6379",
            Origin::Context,
            2000,
            Origin::Context,
        ),
        // A flag beats the context.
        (
            &["--redis", "redis://flag:1", "--interval", "3s"],
            &[],
            "redis://flag:1",
            Origin::Flag,
            3000,
            Origin::Flag,
        ),
        // The environment beats the context.
        (
            &[],
            &[("redis", "redis://env:1")],
            "redis://env:1",
            Origin::Env,
            2000,
            Origin::Context,
        ),
        // A flag beats the environment (clap itself: the env value is not read).
        (
            &["--redis", "redis://flag:1"],
            &[],
            "redis://flag:1",
            Origin::Flag,
            2000,
            Origin::Context,
        ),
        // A context that does not set a value leaves the default.
        (
            &["--context", "prod"],
            &[],
            "redis://monitor:pw@prod:6379",
            Origin::Context,
            1000,
            Origin::Default,
        ),
    ];
    for (args, env, redis, redis_origin, interval_ms, interval_origin) in cases {
        let cli = ok(fixture.prepare(args, env));
        let what = format!("{args:?} {env:?}");
        assert_eq!(cli.global.redis, vec![redis.to_string()], "{what}");
        assert_eq!(cli.setup.origins.get("redis"), Some(redis_origin), "{what}");
        assert_eq!(
            cli.global.interval,
            Duration::from_millis(*interval_ms),
            "{what}"
        );
        assert_eq!(
            cli.setup.origins.get("interval"),
            Some(interval_origin),
            "{what}"
        );
    }
}

#[test]
fn lists_are_replaced_whole_and_defaults_stay_defaults() {
    let fixture = Fixture::new();
    let cli = ok(fixture.prepare(&[], &[]));
    assert_eq!(cli.global.prefixes, ["bull", "{jobs}"]);
    assert!(cli.global.queues.is_empty());
    assert_eq!(cli.setup.origins.get("queue"), Some(&Origin::Default));
    let cli = ok(fixture.prepare(&["--prefix", "x", "--queue", "q"], &[]));
    assert_eq!(cli.global.prefixes, ["x"]);
    assert_eq!(cli.global.queues, ["q"]);
    let cli = ok(fixture.prepare(&["--context", "prod"], &[]));
    assert_eq!(cli.global.prefixes, ["bull"]);
    assert_eq!(cli.global.queues, ["billing"]);
    // A relative TLS path is relative to the config file.
    assert_eq!(cli.global.tls_ca, Some(fixture.dir.path().join("ca.pem")));
}

#[test]
fn a_read_only_context_cannot_be_made_writable() {
    let fixture = Fixture::new();
    for (args, env) in [
        (&["--context", "prod"][..], &[][..]),
        (&["--context", "prod", "--read-only"][..], &[][..]),
        // QTOP_READ_ONLY=0 does not undo the context.
        (&["--context", "prod"][..], &[("read_only", "0")][..]),
        (&[][..], &[("context", "prod"), ("read_only", "0")][..]),
    ] {
        let cli = ok(fixture.prepare(args, env));
        assert!(cli.global.read_only, "{args:?} {env:?}");
        assert_eq!(cli.setup.origins.get("read_only"), Some(&Origin::Context));
    }
    // A context without read_only: the flag and the environment still turn it on.
    let cli = ok(fixture.prepare(&["--read-only"], &[]));
    assert!(cli.global.read_only);
    assert_eq!(cli.setup.origins.get("read_only"), Some(&Origin::Flag));
    let cli = ok(fixture.prepare(&[], &[("read_only", "1")]));
    assert!(cli.global.read_only);
    let cli = ok(fixture.prepare(&[], &[]));
    assert!(!cli.global.read_only);
}

#[test]
fn the_context_is_chosen_by_flag_env_or_default() {
    let fixture = Fixture::new();
    let chosen = |cli: &Cli| cli.setup.chosen.clone().map(|c| (c.name, c.by));
    let cli = ok(fixture.prepare(&[], &[]));
    assert_eq!(chosen(&cli), Some(("staging".into(), "default_context")));
    let cli = ok(fixture.prepare(&["--context", "prod"], &[]));
    assert_eq!(chosen(&cli), Some(("prod".into(), "--context")));
    let cli = ok(fixture.prepare(&[], &[("context", "prod")]));
    assert_eq!(chosen(&cli), Some(("prod".into(), "QTOP_CONTEXT")));
    // QTOP_CONTEXT= (empty) is unset: the default applies.
    let cli = ok(fixture.prepare(&[], &[("context", "")]));
    assert_eq!(chosen(&cli), Some(("staging".into(), "default_context")));
    let error = fixture.prepare(&["--context", "nope"], &[]).err();
    let error = error.map(|e| e.0).unwrap_or_default();
    assert!(
        error.starts_with("unknown context 'nope' (--context)")
            && error.contains("known: prod, staging"),
        "{error}"
    );
}

#[test]
fn the_target_wait_reaches_the_dashboard_and_advise_unless_given() {
    let fixture = Fixture::new();
    let cli = ok(fixture.prepare(&[], &[]));
    assert_eq!(cli.dashboard.target_wait, Duration::from_millis(750));
    let cli = ok(fixture.prepare(&["--target-wait", "5s"], &[]));
    assert_eq!(cli.dashboard.target_wait, Duration::from_secs(5));
    let advise_wait = |cli: &Cli| match &cli.command {
        Some(crate::cli::Command::Advise(args)) => args.target_wait,
        _ => panic!("not advise"),
    };
    let cli = ok(fixture.prepare(&["advise"], &[]));
    assert_eq!(advise_wait(&cli), Duration::from_millis(750));
    let cli = ok(fixture.prepare(&["advise", "--target-wait", "9s"], &[]));
    assert_eq!(advise_wait(&cli), Duration::from_secs(9));
}

#[test]
fn no_file_and_no_context_is_plain_flags() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let home = dir.path().display().to_string();
    let env = move |name: &str| (name == "HOME").then(|| home.clone());
    let mut cli =
        Cli::try_parse_args_from(["qtop", "--interval", "3s"]).unwrap_or_else(|e| panic!("{e}"));
    prepare(&mut cli, &env).unwrap_or_else(|e| panic!("{e}"));
    assert!(cli.setup.loaded.is_none() && cli.setup.chosen.is_none());
    assert_eq!(cli.global.interval, Duration::from_secs(3));
    assert_eq!(cli.setup.origins.get("interval"), Some(&Origin::Flag));
    let mut cli =
        Cli::try_parse_args_from(["qtop", "--context", "prod"]).unwrap_or_else(|e| panic!("{e}"));
    let error = prepare(&mut cli, &env)
        .err()
        .map(|e| e.0)
        .unwrap_or_default();
    assert!(error.contains("there is no config file at"), "{error}");
}

#[test]
fn the_dashboard_lists_every_context_applied_to_the_same_command_line() {
    let fixture = Fixture::new();
    let cli = ok(fixture.prepare(&["--queue", "emails"], &[]));
    let no_password = |_: &str| None;
    let choices = cli.setup.choices(&no_password);
    let names: Vec<&str> = choices.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["prod", "staging"]);
    // prod's password is not in this environment: listed, with why it cannot be used.
    let prod = choices[0]
        .resolved
        .as_ref()
        .err()
        .cloned()
        .unwrap_or_default();
    assert_eq!(prod, "password_env names PROD_PW, which is not set");
    let staging = choices[1]
        .resolved
        .as_ref()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(staging.global.redis, ["redis://staging:6379"]);
    // The --queue given on the command line still wins over every context.
    assert_eq!(staging.global.queues, ["emails"]);
}

//! The loader against tables of good and bad files.

use std::path::Path;
use std::time::Duration;

use super::*;

fn parsed(text: &str) -> Result<ConfigFile, String> {
    let file = parse(text)?;
    check(&file)?;
    Ok(file)
}

fn context<'a>(file: &'a ConfigFile, name: &str) -> &'a Context {
    file.contexts
        .get(name)
        .unwrap_or_else(|| panic!("no context {name}"))
}

#[test]
fn good_files_load_as_written() {
    type Check = fn(&ConfigFile);
    let cases: &[(&str, &str, Check)] = &[
        ("an empty file", "", |f| {
            assert_eq!(f, &ConfigFile::default());
        }),
        (
            "one URL, a list of prefixes, a default",
            "default_context = \"dev\"\n[contexts.dev]\nredis = \"redis://127.0.0.1:6379\"\nprefix = [\"bull\", \"{jobs}\"]\n",
            |f| {
                assert_eq!(f.default_context.as_deref(), Some("dev"));
                let dev = context(f, "dev");
                assert_eq!(dev.redis, Some(vec!["redis://127.0.0.1:6379".to_string()]));
                assert_eq!(dev.prefix, Some(vec!["bull".into(), "{jobs}".into()]));
                assert_eq!(dev.read_only, None);
            },
        ),
        (
            "cluster seeds and a single prefix as a string",
            "[contexts.c]\nredis = [\"redis://10.0.0.5:7000\", \"redis://10.0.0.6:7000\"]\nprefix = \"{bull}\"\ncluster = true\n",
            |f| {
                let c = context(f, "c");
                assert_eq!(c.redis.as_ref().map(Vec::len), Some(2));
                assert_eq!(c.prefix, Some(vec!["{bull}".to_string()]));
                assert_eq!(c.cluster, Some(true));
            },
        ),
        (
            "every key",
            r#"[contexts.prod]
redis = "rediss://monitor@redis.prod:6380"
password_env = "PROD_PW"
prefix = ["bull"]
system = ["bullmq", "sidekiq", "rq", "celery"]
queue = ["emails", "billing"]
interval = "500ms"
read_only = true
cluster = false
tls_ca = "ca.pem"
tls_cert = "/etc/qtop/client.pem"
tls_key = "~/client.key"
insecure = false
scale_cmd = "kubectl scale deploy/worker --replicas={n}"
target_wait = "1.5s"
"#,
            |f| {
                let p = context(f, "prod");
                assert_eq!(p.password_env.as_deref(), Some("PROD_PW"));
                assert_eq!(
                    p.system,
                    Some(vec![System::Bullmq, System::Sidekiq, System::Rq, System::Celery])
                );
                assert_eq!(p.queue, Some(vec!["emails".into(), "billing".into()]));
                assert_eq!(p.interval, Some(Duration::from_millis(500)));
                assert_eq!(p.read_only, Some(true));
                assert_eq!(p.tls_ca.as_deref(), Some(Path::new("ca.pem")));
                assert_eq!(
                    p.scale_cmd.as_ref().map(|c| c.argv(3)),
                    Some(vec![
                        "kubectl".to_string(),
                        "scale".into(),
                        "deploy/worker".into(),
                        "--replicas=3".into()
                    ])
                );
                assert_eq!(p.target_wait, Some(Duration::from_millis(1500)));
            },
        ),
        (
            "durations as numbers of seconds",
            "[contexts.a]\ninterval = 2\ntarget_wait = 0.25\n",
            |f| {
                let a = context(f, "a");
                assert_eq!(a.interval, Some(Duration::from_secs(2)));
                assert_eq!(a.target_wait, Some(Duration::from_millis(250)));
            },
        ),
        (
            "a unix socket with a password, an empty context",
            "[contexts.local]\nredis = \"unix://:pw@/run/redis.sock\"\n[contexts.empty]\n",
            |f| {
                assert!(holds_password(f));
                assert_eq!(context(f, "empty"), &Context::default());
            },
        ),
    ];
    for (what, text, check) in cases {
        match parsed(text) {
            Ok(file) => check(&file),
            Err(e) => panic!("{what}: {e}"),
        }
    }
}

#[test]
fn bad_files_say_where_and_why_in_one_line() {
    // (what, file, the error starts with, and contains)
    let cases = [
        (
            "an unknown key in a context",
            "[contexts.a]\nredis = \"redis://h:1\"\nredsi = \"x\"\n",
            "3:1:",
            "unknown field `redsi`",
        ),
        (
            "an unknown top-level key",
            "default = \"a\"\n",
            "1:1:",
            "unknown field `default`",
        ),
        ("not TOML", "[contexts.a\nredis = 1\n", "1:", ""),
        (
            "a duration that is not one",
            "[contexts.a]\ninterval = \"5 parsecs\"\n",
            "2:12:",
            "unknown unit",
        ),
        (
            "a negative duration",
            "[contexts.a]\ninterval = -1\n",
            "2:12:",
            "",
        ),
        (
            "a wrong type",
            "[contexts.a]\nread_only = \"yes\"\n",
            "2:13:",
            "invalid type",
        ),
        (
            "an unknown system",
            "[contexts.a]\nsystem = [\"bullmq\", \"resque\"]\n",
            "2:",
            "unknown variant `resque`",
        ),
        (
            "a scale command without {n}",
            "[contexts.a]\nscale_cmd = \"scale up\"\n",
            "2:13:",
            "no {n}",
        ),
        (
            "a default that names no context",
            "default_context = \"prod\"\n[contexts.dev]\n",
            "default_context",
            "known: dev",
        ),
        (
            "a URL of another scheme",
            "[contexts.a]\nredis = \"http://h:1\"\n",
            "context 'a': redis: invalid Redis URL",
            "",
        ),
        (
            "an empty list of URLs",
            "[contexts.a]\nredis = []\n",
            "context 'a': redis is an empty list",
            "",
        ),
        (
            "a certificate without its key",
            "[contexts.a]\ntls_cert = \"c.pem\"\n",
            "context 'a': tls_cert needs tls_key",
            "",
        ),
        (
            "a password twice",
            "[contexts.a]\nredis = \"redis://:pw@h:1\"\npassword_env = \"PW\"\n",
            "context 'a': a password in the redis URL and password_env",
            "",
        ),
        (
            "a queue name BullMQ cannot have",
            "[contexts.a]\nqueue = \"a:b\"\n",
            "context 'a': queue: invalid queue name",
            "",
        ),
    ];
    for (what, text, starts, contains) in cases {
        let error = match parsed(text) {
            Ok(file) => panic!("{what}: loaded as {file:?}"),
            Err(e) => e,
        };
        assert!(error.starts_with(starts), "{what}: {error}");
        assert!(error.contains(contains), "{what}: {error}");
        assert_eq!(error.lines().count(), 1, "{what}: one line: {error}");
        assert!(!error.contains("pw@"), "{what}: a password shown: {error}");
    }
}

#[test]
fn the_file_is_found_where_xdg_says() {
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    };
    type Vars = &'static [(&'static str, &'static str)];
    let cases: [(Vars, Option<&str>); 4] = [
        (
            &[("XDG_CONFIG_HOME", "/x"), ("HOME", "/h")],
            Some("/x/qtop/config.toml"),
        ),
        (&[("HOME", "/h")], Some("/h/.config/qtop/config.toml")),
        // A relative XDG_CONFIG_HOME is ignored, as the spec says.
        (
            &[("XDG_CONFIG_HOME", "rel"), ("HOME", "/h")],
            Some("/h/.config/qtop/config.toml"),
        ),
        (&[], None),
    ];
    for (vars, expected) in cases {
        let found = default_path(&env(vars));
        assert_eq!(found.as_deref(), expected.map(Path::new), "{vars:?}");
    }
}

#[test]
fn load_tells_a_missing_default_file_from_a_missing_named_one() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("config.toml");
    assert_eq!(load(&path, false), Ok(None));
    let error = load(&path, true).err().map(|e| e.0).unwrap_or_default();
    assert!(error.contains("cannot read the config file"), "{error}");
    std::fs::write(&path, "[contexts.a]\nredsi = 1\n").unwrap_or_else(|e| panic!("{e}"));
    let error = load(&path, false).err().map(|e| e.0).unwrap_or_default();
    assert_eq!(
        error.split(": unknown").next(),
        Some(format!("{}:2:1", path.display()).as_str()),
        "{error}"
    );
}

#[test]
fn a_readable_file_with_a_password_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("config.toml");
    let with_password = "[contexts.a]\nredis = \"redis://:s3cret@h:1\"\n";
    let without = "[contexts.a]\nredis = \"redis://h:1\"\npassword_env = \"PW\"\n";
    for (text, mode, warned) in [
        (with_password, 0o644, true),
        (with_password, 0o640, true),
        (with_password, 0o600, false),
        (without, 0o644, false),
    ] {
        std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .unwrap_or_else(|e| panic!("{e}"));
        let loaded = load(&path, true)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("loaded"));
        let warning = mode_warning(&loaded);
        assert_eq!(warning.is_some(), warned, "{mode:o}: {warning:?}");
        if let Some(warning) = warning {
            assert!(warning.contains(&format!("mode {mode:o}")), "{warning}");
            assert!(!warning.contains("s3cret"), "{warning}");
        }
    }
}

#[test]
fn password_env_goes_into_each_url_encoded() {
    let env = |name: &str| (name == "PW").then(|| "p@ss w/rd".to_string());
    let cases = [
        ("redis://h:1", "redis://:p%40ss%20w%2Frd@h:1"),
        (
            "redis://monitor@h:1/2",
            "redis://monitor:p%40ss%20w%2Frd@h:1/2",
        ),
        ("rediss://h:6380", "rediss://:p%40ss%20w%2Frd@h:6380"),
        (
            "unix:///run/r.sock",
            "unix:///run/r.sock?pass=p%40ss%20w%2Frd",
        ),
        (
            "unix:///run/r.sock?db=2",
            "unix:///run/r.sock?db=2&pass=p%40ss%20w%2Frd",
        ),
    ];
    for (url, expected) in cases {
        let context = Context {
            redis: Some(vec![url.to_string()]),
            password_env: Some("PW".into()),
            ..Context::default()
        };
        let urls = urls_with_password(&context, &env).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(urls, Some(vec![expected.to_string()]), "{url}");
        // The URL redis-rs gets is one it accepts.
        RedisTarget::parse(expected, false).unwrap_or_else(|e| panic!("{url}: {e}"));
    }
    let unset = Context {
        redis: Some(vec!["redis://h:1".into()]),
        password_env: Some("NOT_THERE".into()),
        ..Context::default()
    };
    let error = urls_with_password(&unset, &env).err().unwrap_or_default();
    assert_eq!(error, "password_env names NOT_THERE, which is not set");
}

#[test]
fn tls_paths_resolve_against_the_file_and_home() {
    let env = |name: &str| (name == "HOME").then(|| "/home/op".to_string());
    let dir = Path::new("/etc/qtop");
    for (path, expected) in [
        ("ca.pem", "/etc/qtop/ca.pem"),
        ("certs/ca.pem", "/etc/qtop/certs/ca.pem"),
        ("/abs/ca.pem", "/abs/ca.pem"),
        ("~/ca.pem", "/home/op/ca.pem"),
    ] {
        assert_eq!(
            resolve_path(Path::new(path), dir, &env),
            Path::new(expected),
            "{path}"
        );
    }
}

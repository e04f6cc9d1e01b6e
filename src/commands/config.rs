//! `qtop config path` and `qtop config show`: where the contexts file is, and what the
//! context in force sets, each setting with where it came from (flag, environment,
//! context, default). Passwords are shown as `***`.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::Result;

use crate::cli::contexts::{self, ConfigError, System};
use crate::cli::setup::{process_env, Origin};
use crate::cli::{Cli, GlobalArgs, Setup};
use crate::source::connect::redact;

/// Print the file's path, whether it exists or not (`$EDITOR "$(qtop config path)"`).
pub fn path(global: &GlobalArgs) -> Result<()> {
    let path = global
        .config
        .clone()
        .or_else(|| contexts::default_path(&process_env))
        .ok_or_else(|| {
            ConfigError("no config path: neither XDG_CONFIG_HOME nor HOME is set".to_string())
        })?;
    writeln!(std::io::stdout().lock(), "{}", path.display())?;
    if !path.exists() {
        eprintln!("qtop: there is no file there yet (the README has an annotated example)");
    }
    Ok(())
}

/// Warnings about the file, on stderr before anything starts.
pub fn warnings(setup: &Setup) {
    if let Some(warning) = setup.loaded.as_deref().and_then(contexts::mode_warning) {
        eprintln!("qtop: warning: {warning}");
    }
}

/// The settings in force, as TOML with the origin of each value in a comment.
pub fn show(cli: &Cli) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(render(cli).as_bytes())?;
    Ok(())
}

pub fn render(cli: &Cli) -> String {
    let setup = &cli.setup;
    let global = &cli.global;
    let mut text = String::new();
    let file = match (&setup.path, &setup.loaded) {
        (_, Some(loaded)) => loaded.path.display().to_string(),
        (Some(path), None) => format!("{} (not there)", path.display()),
        (None, None) => "none (neither XDG_CONFIG_HOME nor HOME is set)".to_string(),
    };
    text.push_str(&format!("# file: {file}\n"));
    match &setup.chosen {
        Some(chosen) => text.push_str(&format!(
            "# context: {} (chosen by {})\n",
            chosen.name, chosen.by
        )),
        None => text.push_str("# context: none (no --context, QTOP_CONTEXT or default_context)\n"),
    }
    if let Some(loaded) = &setup.loaded {
        text.push_str(&format!(
            "# contexts in the file: {}\n",
            contexts::known(&loaded.file)
        ));
    }
    let redis: Vec<String> = if global.redis.is_empty() {
        vec![crate::cli::DEFAULT_REDIS_URL.to_string()]
    } else {
        global.redis.iter().map(|url| redact(url).0).collect()
    };
    let systems: Vec<&str> = if setup.systems.is_empty() {
        vec![System::Bullmq.name()]
    } else {
        setup.systems.iter().map(|s| s.name()).collect()
    };
    let path = |p: &Option<std::path::PathBuf>| p.as_deref().map(path_value);
    let rows: Vec<(&str, Option<String>)> = vec![
        ("redis", Some(list(&redis))),
        ("cluster", Some(global.cluster.to_string())),
        ("prefix", Some(list(&global.prefixes))),
        ("system", Some(list(&systems))),
        (
            "queue",
            (!global.queues.is_empty()).then(|| list(&global.queues)),
        ),
        ("interval", Some(duration(global.interval))),
        ("read_only", Some(global.read_only.to_string())),
        ("insecure", Some(global.insecure.to_string())),
        ("tls_ca", path(&global.tls_ca)),
        ("tls_cert", path(&global.tls_cert)),
        ("tls_key", path(&global.tls_key)),
        (
            "scale_cmd",
            global.scale_cmd.as_ref().map(|c| string(&c.template())),
        ),
        ("target_wait", Some(duration(cli.dashboard.target_wait))),
        ("password_env", password_env(setup).map(|var| string(&var))),
    ];
    // Comments line up, unless a long value (several URLs) would push them all far out.
    let width = rows
        .iter()
        .filter_map(|(key, value)| value.as_ref().map(|v| key.len() + v.len()))
        .filter(|width| *width <= 48)
        .max()
        .unwrap_or(0);
    for (key, value) in rows {
        let origin = setup.origins.get(key).copied().unwrap_or(Origin::Default);
        let note = match (key, origin) {
            ("read_only", Origin::Context) => "context (a flag cannot turn it off)".to_string(),
            ("queue", Origin::Default) => "default: discovered with SCAN".to_string(),
            ("system", _) => format!("{}; BullMQ only so far", origin.label()),
            ("password_env", _) => match password_env(setup).and_then(|v| process_env(&v)) {
                Some(_) => "context; the variable is set".to_string(),
                None => "context; the variable is NOT set".to_string(),
            },
            _ => origin.label().to_string(),
        };
        match value {
            Some(value) => {
                let pad = width.saturating_sub(key.len() + value.len());
                text.push_str(&format!("{key} = {value}{}  # {note}\n", " ".repeat(pad)));
            }
            None => text.push_str(&format!("# {key}: not set\n")),
        }
    }
    text
}

fn password_env(setup: &Setup) -> Option<String> {
    let name = setup.context_name()?;
    let loaded = setup.loaded.as_ref()?;
    loaded.file.contexts.get(name)?.password_env.clone()
}

/// A TOML basic string (JSON's escaping is a subset of TOML's).
fn string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| format!("\"{text}\""))
}

fn list<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<String> = items.iter().map(|s| string(s.as_ref())).collect();
    format!("[{}]", items.join(", "))
}

fn path_value(path: &Path) -> String {
    string(&path.display().to_string())
}

/// `"500ms"`, `"2s"`, `"1.5s"`, `"2m"`: the form the file and the flags take.
fn duration(duration: Duration) -> String {
    let ms = duration.as_millis();
    let text = if ms >= 60_000 && ms.is_multiple_of(60_000) {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else if ms > 1000 {
        format!("{}s", duration.as_secs_f64())
    } else {
        format!("{ms}ms")
    };
    string(&text)
}

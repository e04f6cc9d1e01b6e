//! The contexts file: named sets of what the global flags hold, as kubectl and k9s keep
//! them, so an operator types `--context prod` instead of a URL, prefixes and TLS files.
//!
//! ```toml
//! default_context = "staging"
//! [contexts.prod]
//! redis = "rediss://monitor@redis.prod:6380"
//! password_env = "QTOP_PROD_PASSWORD"
//! read_only = true
//! ```
//!
//! Unknown keys are errors, and every error is one line naming the file, line and column.
//! What the file says is checked here once (URLs, durations, scale commands, TLS pairs);
//! what depends on the environment (`password_env`, TLS files) is checked when a context
//! is used, so a prod password missing from the shell never stops a staging session.

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::de::{self, IntoDeserializer, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::parse::parse_duration;
use crate::actions::scale_cmd::ScaleCommand;
use crate::source::connect::redact;
use crate::source::RedisTarget;

/// A problem with the contexts file or the chosen context: one line, exit status 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

/// The whole file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The context used when neither `--context` nor `QTOP_CONTEXT` names one.
    pub default_context: Option<String>,
    #[serde(default)]
    pub contexts: BTreeMap<String, Context>,
}

/// One `[contexts.NAME]` table: the global flags' settings, each optional.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Context {
    /// A URL, or a list of seed nodes of a Redis Cluster.
    #[serde(default, deserialize_with = "one_or_many")]
    pub redis: Option<Vec<String>>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub prefix: Option<Vec<String>>,
    /// The queue systems to read (`--system`).
    #[serde(default, deserialize_with = "one_or_many")]
    pub system: Option<Vec<System>>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub queue: Option<Vec<String>>,
    #[serde(default, deserialize_with = "duration")]
    pub interval: Option<Duration>,
    /// `true` cannot be undone by a flag: a production context stays read-only.
    pub read_only: Option<bool>,
    pub cluster: Option<bool>,
    pub tls_ca: Option<PathBuf>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub insecure: Option<bool>,
    #[serde(default, deserialize_with = "scale_cmd")]
    pub scale_cmd: Option<ScaleCommand>,
    #[serde(default, deserialize_with = "duration")]
    pub target_wait: Option<Duration>,
    /// The environment variable holding the Redis password, kept out of the file.
    pub password_env: Option<String>,
}

/// A queue system qtop reads (`bullmq`, `sidekiq`, `rq`, `celery`).
pub use crate::model::System;

/// The file as read, with what the file-mode check needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    pub path: PathBuf,
    pub file: ConfigFile,
}

/// `$XDG_CONFIG_HOME/qtop/config.toml`, else `~/.config/qtop/config.toml`. A relative
/// XDG_CONFIG_HOME is ignored, as the XDG spec asks.
pub fn default_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let xdg = env("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let base = xdg.or_else(|| {
        env("HOME")
            .filter(|h| !h.is_empty())
            .map(|home| Path::new(&home).join(".config"))
    })?;
    Some(base.join("qtop").join("config.toml"))
}

/// Read and check the file. A missing file is `None` unless it was named with --config.
pub fn load(path: &Path, named: bool) -> Result<Option<Loaded>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !named => return Ok(None),
        Err(e) => {
            return Err(ConfigError(format!(
                "cannot read the config file {}: {e}",
                path.display()
            )))
        }
    };
    let file = parse(&text).map_err(|e| ConfigError(format!("{}:{e}", path.display())))?;
    check(&file).map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
    Ok(Some(Loaded {
        path: path.to_path_buf(),
        file,
    }))
}

/// Parse the text; an error reads `LINE:COL: message`.
pub fn parse(text: &str) -> Result<ConfigFile, String> {
    toml::from_str::<ConfigFile>(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map_or((1, 1), |span| line_and_column(text, span.start));
        let message = e.message().split_whitespace().collect::<Vec<_>>();
        format!("{line}:{column}: {}", message.join(" "))
    })
}

/// 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// What the file says that can be checked without the environment.
pub fn check(file: &ConfigFile) -> Result<(), String> {
    if let Some(default) = &file.default_context {
        if !file.contexts.contains_key(default) {
            return Err(format!(
                "default_context = \"{default}\" names no context (known: {})",
                known(file)
            ));
        }
    }
    for (name, context) in &file.contexts {
        check_context(context).map_err(|e| format!("context '{name}': {e}"))?;
    }
    Ok(())
}

fn check_context(context: &Context) -> Result<(), String> {
    for (key, list) in [
        ("redis", context.redis.as_ref().map(Vec::len)),
        ("prefix", context.prefix.as_ref().map(Vec::len)),
        ("system", context.system.as_ref().map(Vec::len)),
    ] {
        if list == Some(0) {
            return Err(format!("{key} is an empty list"));
        }
    }
    for url in context.redis.iter().flatten() {
        RedisTarget::parse(url, false).map_err(|e| format!("redis: {e}"))?;
        if context.password_env.is_some() && redact(url).1.is_some() {
            return Err(
                "a password in the redis URL and password_env: keep one (password_env keeps it out of the file)"
                    .to_string(),
            );
        }
    }
    for queue in context.queue.iter().flatten() {
        crate::source::bullmq::keys::check_queue_name(queue).map_err(|e| format!("queue: {e}"))?;
    }
    match (&context.tls_cert, &context.tls_key) {
        (Some(_), None) => return Err("tls_cert needs tls_key".to_string()),
        (None, Some(_)) => return Err("tls_key needs tls_cert".to_string()),
        _ => {}
    }
    if context.password_env.as_deref() == Some("") {
        return Err("password_env is empty: name an environment variable".to_string());
    }
    Ok(())
}

/// The contexts' names, for error messages.
pub fn known(file: &ConfigFile) -> String {
    if file.contexts.is_empty() {
        return "none".to_string();
    }
    file.contexts.keys().cloned().collect::<Vec<_>>().join(", ")
}

/// Whether any URL in the file carries a password (the file's mode then matters).
pub fn holds_password(file: &ConfigFile) -> bool {
    file.contexts
        .values()
        .flat_map(|c| c.redis.iter().flatten())
        .any(|url| redact(url).1.is_some())
}

/// The warning to print when the file holds a password and others may read it.
pub fn mode_warning(loaded: &Loaded) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    if !holds_password(&loaded.file) {
        return None;
    }
    let mode = std::fs::metadata(&loaded.path).ok()?.permissions().mode() & 0o777;
    (mode & 0o044 != 0).then(|| {
        format!(
            "{} holds a Redis password and other users can read it (mode {mode:o}); run chmod 600 {0} or use password_env",
            loaded.path.display()
        )
    })
}

/// The Redis URLs of `context` with the password from `password_env` put in:
/// `redis://user:PW@host`, `unix:///path?pass=PW` (percent-encoded).
pub fn urls_with_password(
    context: &Context,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Vec<String>>, String> {
    let Some(urls) = &context.redis else {
        return Ok(None);
    };
    let Some(var) = &context.password_env else {
        return Ok(Some(urls.clone()));
    };
    let password = env(var)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| format!("password_env names {var}, which is not set"))?;
    Ok(Some(
        urls.iter()
            .map(|url| with_password(url, &password))
            .collect(),
    ))
}

fn with_password(url: &str, password: &str) -> String {
    let encoded = percent_encode(password);
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    if scheme == "unix" || scheme == "redis+unix" {
        let sep = if rest.contains('?') { '&' } else { '?' };
        return format!("{url}{sep}pass={encoded}");
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://{}:{encoded}{}", &rest[..at], &rest[at..]),
        None => format!("{scheme}://:{encoded}@{rest}"),
    }
}

/// Everything but RFC 3986's unreserved characters as `%XX`.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A TLS file named in the file: `~/` is the home directory, a relative path is relative
/// to the config file's directory (as kubectl resolves its kubeconfig's paths).
pub fn resolve_path(
    path: &Path,
    config_dir: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> PathBuf {
    if let Ok(rest) = path.strip_prefix("~") {
        if let Some(home) = env("HOME") {
            return Path::new(&home).join(rest);
        }
    }
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        config_dir.join(path)
    }
}

// Deserializers: the errors they return are placed at the value by toml (line, column).

fn one_or_many<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct OneOrMany<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for OneOrMany<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string or a list of strings")
        }
        fn visit_str<E: de::Error>(self, value: &str) -> Result<Vec<T>, E> {
            T::deserialize(value.into_deserializer()).map(|one| vec![one])
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut all = Vec::new();
            while let Some(one) = seq.next_element()? {
                all.push(one);
            }
            Ok(all)
        }
    }
    deserializer
        .deserialize_any(OneOrMany(PhantomData))
        .map(Some)
}

fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
    struct Seconds;
    impl Visitor<'_> for Seconds {
        type Value = Duration;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a duration such as \"500ms\", \"5s\", \"2m\" or a number of seconds")
        }
        fn visit_str<E: de::Error>(self, value: &str) -> Result<Duration, E> {
            parse_duration(value).map_err(E::custom)
        }
        fn visit_i64<E: de::Error>(self, value: i64) -> Result<Duration, E> {
            parse_duration(&value.to_string()).map_err(E::custom)
        }
        fn visit_f64<E: de::Error>(self, value: f64) -> Result<Duration, E> {
            parse_duration(&value.to_string()).map_err(E::custom)
        }
    }
    deserializer.deserialize_any(Seconds).map(Some)
}

fn scale_cmd<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<ScaleCommand>, D::Error> {
    let template = String::deserialize(deserializer)?;
    ScaleCommand::parse(&template)
        .map(Some)
        .map_err(de::Error::custom)
}

#[cfg(test)]
#[path = "contexts_tests.rs"]
mod tests;

//! Which context applies, and how it meets the command line: a flag beats the
//! environment, which beats the context, which beats the default. `read_only = true` in
//! a context holds whatever else is given: it is only ever added to, never taken away.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::parser::ValueSource;
use clap::ArgMatches;

use super::contexts::{self, ConfigError, Context, Loaded, System};
use super::{Cli, Command, DashboardArgs, GlobalArgs};

/// Where a setting's value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Env,
    Context,
    Default,
}

impl Origin {
    pub fn label(self) -> &'static str {
        match self {
            Origin::Flag => "flag",
            Origin::Env => "environment",
            Origin::Context => "context",
            Origin::Default => "default",
        }
    }
}

/// The arguments given on the command line or through their environment variables, by
/// clap id (`advise.target_wait` for a subcommand's).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Given(BTreeMap<String, Origin>);

impl Given {
    pub fn from_matches(matches: &ArgMatches) -> Self {
        let mut given = Given::default();
        given.collect(matches, "");
        given
    }

    fn collect(&mut self, matches: &ArgMatches, scope: &str) {
        for id in matches.ids() {
            let origin = match matches.value_source(id.as_str()) {
                Some(ValueSource::CommandLine) => Origin::Flag,
                Some(ValueSource::EnvVariable) => Origin::Env,
                _ => continue,
            };
            self.0.insert(format!("{scope}{id}"), origin);
        }
        if let Some((name, sub)) = matches.subcommand() {
            self.collect(sub, &format!("{name}."));
        }
    }

    /// How `id` was given, if it was.
    pub fn origin(&self, id: &str) -> Option<Origin> {
        self.0.get(id).copied()
    }
}

/// How the context in force was chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chosen {
    pub name: String,
    /// `--context`, `QTOP_CONTEXT` or `default_context`.
    pub by: &'static str,
}

/// What `run` knows about contexts: the file, the one in force, and the command line as
/// given (to apply another context to when the dashboard switches).
#[derive(Clone, Debug, Default)]
pub struct Setup {
    pub given: Given,
    /// The file looked for (named with --config, or the default place).
    pub path: Option<PathBuf>,
    pub loaded: Option<Arc<Loaded>>,
    pub chosen: Option<Chosen>,
    /// The settings in force and where each came from (`config show`).
    pub origins: BTreeMap<&'static str, Origin>,
    pub systems: Vec<System>,
    as_given: Option<Arc<(GlobalArgs, DashboardArgs)>>,
}

/// Global and dashboard settings with a context applied.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub global: GlobalArgs,
    pub dashboard: DashboardArgs,
    pub systems: Vec<System>,
    pub origins: BTreeMap<&'static str, Origin>,
}

/// The process environment, as the loader reads it.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Load the file, choose the context, apply it to `cli`. Errors: exit status 2.
pub fn prepare(cli: &mut Cli, env: &dyn Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
    let named = cli.global.config.clone();
    let path = named.clone().or_else(|| contexts::default_path(env));
    let loaded = match &path {
        Some(path) => contexts::load(path, named.is_some())?.map(Arc::new),
        None => None,
    };
    let chosen = choose(
        &cli.setup.given,
        cli.global.context.as_deref(),
        loaded.as_deref(),
        &path,
    )?;
    let as_given = Arc::new((cli.global.clone(), cli.dashboard.clone()));
    let context = match (&chosen, &loaded) {
        (Some(chosen), Some(loaded)) => loaded.file.contexts.get(&chosen.name),
        _ => None,
    };
    let resolved = resolve(&as_given, &cli.setup.given, context, loaded.as_deref(), env)
        .map_err(|e| in_context(&chosen, &loaded, e))?;
    if let Some(context) = context {
        apply_to_command(&mut cli.command, context, &cli.setup.given);
    }
    cli.global = resolved.global;
    cli.dashboard = resolved.dashboard;
    cli.setup = Setup {
        given: cli.setup.given.clone(),
        path,
        loaded,
        chosen,
        origins: resolved.origins,
        systems: resolved.systems,
        as_given: Some(as_given),
    };
    Ok(())
}

fn in_context(chosen: &Option<Chosen>, loaded: &Option<Arc<Loaded>>, error: String) -> ConfigError {
    match (chosen, loaded) {
        (Some(chosen), Some(loaded)) => ConfigError(format!(
            "{}: context '{}': {error}",
            loaded.path.display(),
            chosen.name
        )),
        _ => ConfigError(error),
    }
}

fn choose(
    given: &Given,
    named: Option<&str>,
    loaded: Option<&Loaded>,
    path: &Option<PathBuf>,
) -> Result<Option<Chosen>, ConfigError> {
    // An empty name (`QTOP_CONTEXT=`) is no name: the default applies.
    let named = named.filter(|name| !name.is_empty());
    let by = match given.origin("context") {
        Some(Origin::Env) => "QTOP_CONTEXT",
        _ => "--context",
    };
    let Some(loaded) = loaded else {
        return match named {
            Some(name) => Err(ConfigError(format!(
                "unknown context '{name}' ({by}): there is no config file at {}",
                path.as_deref()
                    .map_or("(no HOME or XDG_CONFIG_HOME)".into(), |p| p
                        .display()
                        .to_string())
            ))),
            None => Ok(None),
        };
    };
    if let Some(name) = named {
        if !loaded.file.contexts.contains_key(name) {
            return Err(ConfigError(format!(
                "unknown context '{name}' ({by}) in {} (known: {})",
                loaded.path.display(),
                contexts::known(&loaded.file)
            )));
        }
        return Ok(Some(Chosen {
            name: name.to_string(),
            by,
        }));
    }
    Ok(loaded.file.default_context.clone().map(|name| Chosen {
        name,
        by: "default_context",
    }))
}

/// `as_given` with `context` applied under the precedence rules.
pub fn resolve(
    as_given: &(GlobalArgs, DashboardArgs),
    given: &Given,
    context: Option<&Context>,
    loaded: Option<&Loaded>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Resolved, String> {
    let (mut global, mut dashboard) = as_given.clone();
    let mut origins = BTreeMap::new();
    let empty = Context::default();
    let context = context.unwrap_or(&empty);
    let dir = loaded
        .and_then(|l| l.path.parent())
        .unwrap_or(Path::new("."));
    // One setting: the flag or environment if given, else the context's, else the default.
    macro_rules! setting {
        ($key:literal, $id:literal, $target:expr, $value:expr) => {{
            let origin = match given.origin($id) {
                Some(origin) => origin,
                None => match $value {
                    Some(value) => {
                        $target = value;
                        Origin::Context
                    }
                    None => Origin::Default,
                },
            };
            origins.insert($key, origin);
        }};
    }
    let urls = contexts::urls_with_password(context, env)?;
    setting!("redis", "redis", global.redis, urls);
    setting!("cluster", "cluster", global.cluster, context.cluster);
    setting!(
        "prefix",
        "prefixes",
        global.prefixes,
        context.prefix.clone()
    );
    setting!("queue", "queues", global.queues, context.queue.clone());
    setting!("interval", "interval", global.interval, context.interval);
    setting!("insecure", "insecure", global.insecure, context.insecure);
    let path = |p: &PathBuf| Some(contexts::resolve_path(p, dir, env));
    setting!(
        "tls_ca",
        "tls_ca",
        global.tls_ca,
        context.tls_ca.as_ref().map(path)
    );
    setting!(
        "tls_cert",
        "tls_cert",
        global.tls_cert,
        context.tls_cert.as_ref().map(path)
    );
    setting!(
        "tls_key",
        "tls_key",
        global.tls_key,
        context.tls_key.as_ref().map(path)
    );
    let scale_cmd = context.scale_cmd.clone().map(Some);
    setting!("scale_cmd", "scale_cmd", global.scale_cmd, scale_cmd);
    setting!(
        "target_wait",
        "target_wait",
        dashboard.target_wait,
        context.target_wait
    );
    // A read-only context stays read-only: a flag or the environment can only add to it.
    let origin = if context.read_only == Some(true) {
        global.read_only = true;
        Origin::Context
    } else {
        given.origin("read_only").unwrap_or(Origin::Default)
    };
    origins.insert("read_only", origin);
    setting!("system", "systems", global.systems, context.system.clone());
    let systems = global.systems.clone();
    Ok(Resolved {
        global,
        dashboard,
        systems,
        origins,
    })
}

/// A subcommand's own flags that a context also sets: the advisor's target wait.
fn apply_to_command(command: &mut Option<Command>, context: &Context, given: &Given) {
    let Some(wait) = context.target_wait else {
        return;
    };
    match command {
        Some(Command::Advise(args)) if given.origin("advise.target_wait").is_none() => {
            args.target_wait = wait;
        }
        Some(Command::Demo(args)) if args.target_wait.is_none() => args.target_wait = Some(wait),
        _ => {}
    }
}

/// One context of the file, for the dashboard's list: its settings, or why it cannot be
/// used now (a `password_env` that is not set, say).
#[derive(Clone, Debug)]
pub struct Choice {
    pub name: String,
    pub resolved: Result<Resolved, String>,
}

impl Setup {
    /// Every context of the file, each applied to the command line as given.
    pub fn choices(&self, env: &dyn Fn(&str) -> Option<String>) -> Vec<Choice> {
        let (Some(loaded), Some(as_given)) = (&self.loaded, &self.as_given) else {
            return Vec::new();
        };
        loaded
            .file
            .contexts
            .iter()
            .map(|(name, context)| Choice {
                name: name.clone(),
                resolved: resolve(as_given, &self.given, Some(context), Some(loaded), env),
            })
            .collect()
    }

    pub fn context_name(&self) -> Option<&str> {
        self.chosen.as_ref().map(|c| c.name.as_str())
    }
}

#[cfg(test)]
#[path = "setup_tests.rs"]
mod tests;

//! `qtop completions SHELL` and `qtop man`: generated from the same clap definitions that
//! parse the command line, so they cannot drift from it.

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;

use crate::cli::Cli;

/// A completion script for `shell` on stdout.
pub fn completions(shell: clap_complete::Shell) -> Result<()> {
    let mut command = Cli::command();
    // Into a buffer first: the generators panic on a write error (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, "qtop", &mut script);
    std::io::stdout().lock().write_all(&script)?;
    Ok(())
}

/// The man page (roff) on stdout: the global flags, every subcommand with its own flags,
/// the files, environment and exit statuses.
pub fn man() -> Result<()> {
    let mut page = Vec::new();
    let command = Cli::command();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_subcommand(&mut page, sub)?;
    }
    page.extend_from_slice(TAIL.as_bytes());
    std::io::stdout().lock().write_all(&page)?;
    Ok(())
}

/// `.SH "QTOP SNAPSHOT"`, what it does, its flags and its own subcommands.
fn write_subcommand(page: &mut Vec<u8>, sub: &clap::Command) -> Result<()> {
    let name = sub.get_name();
    writeln!(page, ".SH \"QTOP {}\"", name.to_uppercase())?;
    let about = sub
        .get_long_about()
        .or(sub.get_about())
        .map(|a| a.to_string())
        .unwrap_or_default();
    writeln!(page, "{}", escape(&about))?;
    let man = clap_mangen::Man::new(sub.clone());
    let mut options = Vec::new();
    man.render_options_section(&mut options)?;
    // The options of a subcommand go under its heading, not under a second OPTIONS.
    let options = String::from_utf8_lossy(&options).replace(".SH OPTIONS\n", "");
    page.extend_from_slice(options.as_bytes());
    for nested in sub.get_subcommands().filter(|s| !s.is_hide_set()) {
        let about = nested
            .get_about()
            .map(|a| a.to_string())
            .unwrap_or_default();
        writeln!(
            page,
            ".TP\n\\fBqtop {name} {}\\fR\n{}",
            nested.get_name(),
            escape(&about)
        )?;
    }
    Ok(())
}

/// Text in roff: a leading dot or quote would be a request, a backslash an escape.
fn escape(text: &str) -> String {
    text.lines()
        .map(|line| {
            let line = line.replace('\\', "\\e");
            if line.starts_with('.') || line.starts_with('\'') {
                format!("\\&{line}")
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const TAIL: &str = r#".SH FILES
.TP
\fI$XDG_CONFIG_HOME/qtop/config.toml\fR, else \fI~/.config/qtop/config.toml\fR
Named contexts: \fB[contexts.NAME]\fR tables with \fBredis\fR, \fBprefix\fR, \fBsystem\fR, \fBqueue\fR, \fBinterval\fR, \fBread_only\fR, \fBcluster\fR, \fBtls_ca\fR, \fBtls_cert\fR, \fBtls_key\fR, \fBinsecure\fR, \fBscale_cmd\fR, \fBtarget_wait\fR and \fBpassword_env\fR, and a top-level \fBdefault_context\fR. Flags and their environment variables win over the context; \fBread_only = true\fR always holds. \fBqtop config path\fR prints the path, \fBqtop config show\fR what a context sets.
.SH ENVIRONMENT
.TP
\fBREDIS_URL\fR, \fBQTOP_CONTEXT\fR, \fBQTOP_READ_ONLY\fR, \fBQTOP_CLUSTER\fR, \fBQTOP_SCALE_CMD\fR, \fBQTOP_LOG\fR
The same as \fB\-\-redis\fR, \fB\-\-context\fR, \fB\-\-read\-only\fR, \fB\-\-cluster\fR, \fB\-\-scale\-cmd\fR and \fB\-\-log\-file\fR.
.TP
\fBNO_COLOR\fR
Draw without colours.
.SH EXIT STATUS
.TP
0
Success, or the dashboard was quit after it had connected.
.TP
1
Redis cannot be used (wrong password, ACL denial, TLS verification, not a Redis server, invalid URL, unknown host), a command failed, or the dashboard was quit before it ever connected.
.TP
2
A usage error, or a problem with the config file or the chosen context.
"#;

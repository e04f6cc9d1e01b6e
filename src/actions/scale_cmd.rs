//! `--scale-cmd 'CMD {n}'`: a user's command (an orchestrator's scale command, say) run
//! with the new worker count. The template is split into words once, like a shell would
//! split it, but no shell ever runs: `{n}` is replaced inside words by a number, so nothing
//! read from Redis or typed later can inject a command.

use std::process::Stdio;

use tokio::process::Command;

use super::ReadOnlyRefusal;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScaleCommand {
    argv: Vec<String>,
}

impl ScaleCommand {
    /// Split `template` into words: whitespace separates, '…' and "…" quote, \ escapes.
    pub fn parse(template: &str) -> Result<Self, String> {
        let argv = split_words(template)?;
        if argv.is_empty() {
            return Err("--scale-cmd is empty".to_string());
        }
        if !argv.iter().any(|word| word.contains("{n}")) {
            return Err(format!(
                "--scale-cmd '{template}' has no {{n}} where the worker count goes"
            ));
        }
        Ok(Self { argv })
    }

    /// The argument vector for `workers`.
    pub fn argv(&self, workers: u32) -> Vec<String> {
        let n = workers.to_string();
        self.argv
            .iter()
            .map(|word| word.replace("{n}", &n))
            .collect()
    }

    /// The command line for `workers` as a person reads it (words with spaces quoted).
    pub fn display(&self, workers: u32) -> String {
        quoted(&self.argv(workers))
    }

    /// The template as a person reads it, `{n}` in place.
    pub fn template(&self) -> String {
        quoted(&self.argv)
    }

    /// Run it for `workers` (refused in read-only mode); returns the exit code and the
    /// first line of its output, for the event log.
    pub async fn run(
        &self,
        workers: u32,
        read_only: bool,
    ) -> Result<(Option<i32>, String), anyhow::Error> {
        if read_only {
            return Err(ReadOnlyRefusal {
                action: "run --scale-cmd".to_string(),
            }
            .into());
        }
        let argv = self.argv(workers);
        let output = Command::new(&argv[0])
            .args(&argv[1..])
            .stdin(Stdio::null())
            .output()
            .await?;
        let text = if output.stdout.is_empty() {
            &output.stderr
        } else {
            &output.stdout
        };
        let first = String::from_utf8_lossy(text)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        Ok((output.status.code(), first))
    }
}

/// Words joined with spaces, a word that has whitespace (or is empty) in single quotes.
fn quoted(argv: &[String]) -> String {
    argv.iter()
        .map(|word| {
            if word.is_empty() || word.contains(char::is_whitespace) {
                format!("'{word}'")
            } else {
                word.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn split_words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(q) => word.push(q),
                        None => return Err("unterminated ' in --scale-cmd".to_string()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e) => word.push(e),
                            None => return Err("trailing \\ in --scale-cmd".to_string()),
                        },
                        Some(q) => word.push(q),
                        None => return Err("unterminated \" in --scale-cmd".to_string()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(e) => word.push(e),
                    None => return Err("trailing \\ in --scale-cmd".to_string()),
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_like_a_shell_without_one() {
        let cmd = ScaleCommand::parse("kubectl scale deploy/worker --replicas={n}")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            cmd.argv(7),
            ["kubectl", "scale", "deploy/worker", "--replicas=7"]
        );
        let quoted = ScaleCommand::parse(r#"sh -c 'echo "$0"' "a b" x\ y {n}"#)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            quoted.argv(2),
            ["sh", "-c", "echo \"$0\"", "a b", "x y", "2"]
        );
        // Shell syntax is just text: no expansion, no chaining.
        let inert =
            ScaleCommand::parse("echo {n}; rm -rf / $(id)").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(inert.argv(1), ["echo", "1;", "rm", "-rf", "/", "$(id)"]);
    }

    #[test]
    fn bad_templates_are_refused() {
        assert!(ScaleCommand::parse("").is_err());
        assert!(ScaleCommand::parse("scale --to 3").is_err(), "no {{n}}");
        assert!(ScaleCommand::parse("echo 'open {n}").is_err());
    }

    #[tokio::test]
    async fn it_runs_the_program_directly_and_never_in_read_only() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let marker = dir.path().join("pwned");
        // Were this run by a shell, `touch` would create the marker.
        let template = format!("echo scale-to-{{n}} ; touch {}", marker.display());
        let cmd = ScaleCommand::parse(&template).unwrap_or_else(|e| panic!("{e}"));
        let (code, first) = cmd.run(4, false).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(code, Some(0));
        assert!(first.starts_with("scale-to-4 ; touch"), "{first}");
        assert!(!marker.exists());
        assert!(cmd.run(4, true).await.is_err());
    }
}

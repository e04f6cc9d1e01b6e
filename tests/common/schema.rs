//! The JSON contract: each JSON output of qtop has a schema in `assets/schema/` (draft
//! 2020-12). The helpers that run qtop and read its JSON (`run_qtop`, `qtop_json`,
//! `snapshot_json`, `read_export`) check every document against its schema, so a test
//! cannot read qtop's JSON without checking it.

use std::path::PathBuf;
use std::sync::OnceLock;

use serde_json::Value;

/// One of qtop's JSON outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Contract {
    /// `qtop snapshot --json`
    Snapshot,
    /// `qtop advise --json`
    Advise,
    /// `qtop dlq list --json`
    DlqList,
    /// `qtop dlq show ID --json`
    DlqShow,
    /// `qtop dlq groups --json`
    DlqGroups,
    /// `qtop dlq retry … --json`, `qtop dlq delete … --json`
    DlqOutcome,
    /// One line of `qtop dlq export` (and of the dashboard's `e`).
    DlqExport,
    /// `qtop job show ID --json`
    JobShow,
    /// `qtop job search … --json`
    JobSearch,
    /// `qtop schedulers --json`
    Schedulers,
}

impl Contract {
    pub const ALL: [Contract; 10] = [
        Contract::Snapshot,
        Contract::Advise,
        Contract::DlqList,
        Contract::DlqShow,
        Contract::DlqGroups,
        Contract::DlqOutcome,
        Contract::DlqExport,
        Contract::JobShow,
        Contract::JobSearch,
        Contract::Schedulers,
    ];

    /// The schema's file name in `assets/schema/`.
    pub fn file(self) -> &'static str {
        match self {
            Contract::Snapshot => "snapshot.schema.json",
            Contract::Advise => "advise.schema.json",
            Contract::DlqList => "dlq-list.schema.json",
            Contract::DlqShow => "dlq-show.schema.json",
            Contract::DlqGroups => "dlq-groups.schema.json",
            Contract::DlqOutcome => "dlq-outcome.schema.json",
            Contract::DlqExport => "dlq-export.schema.json",
            Contract::JobShow => "job-show.schema.json",
            Contract::JobSearch => "job-search.schema.json",
            Contract::Schedulers => "schedulers.schema.json",
        }
    }

    /// What `qtop args…` prints on stdout when it succeeds, if that is JSON (`dlq export`
    /// without `--out` prints JSON lines, one `DlqExport` each).
    pub fn of_args(args: &[&str]) -> Option<Contract> {
        let words = positionals(args);
        let json = args.contains(&"--json");
        match words.as_slice() {
            ["snapshot", ..] if json => Some(Contract::Snapshot),
            ["advise", ..] if json => Some(Contract::Advise),
            ["dlq", "list", ..] if json => Some(Contract::DlqList),
            ["dlq", "show", ..] if json => Some(Contract::DlqShow),
            ["dlq", "groups", ..] if json => Some(Contract::DlqGroups),
            ["dlq", "retry" | "delete", ..] if json => Some(Contract::DlqOutcome),
            ["dlq", "export", ..] if !args.contains(&"--out") => Some(Contract::DlqExport),
            ["job", "show", ..] if json => Some(Contract::JobShow),
            ["job", "search", ..] if json => Some(Contract::JobSearch),
            ["schedulers", ..] if json => Some(Contract::Schedulers),
            _ => None,
        }
    }
}

/// Flags of qtop that take a value as the next argument, read from qtop's own clap
/// definitions (every subcommand's too), so a new flag can never be taken for a word.
fn value_flags() -> &'static [String] {
    static FLAGS: OnceLock<Vec<String>> = OnceLock::new();
    FLAGS.get_or_init(|| {
        use clap::CommandFactory;
        fn walk(command: &clap::Command, out: &mut Vec<String>) {
            for arg in command.get_arguments() {
                if arg.get_action().takes_values() {
                    if let Some(long) = arg.get_long() {
                        out.push(format!("--{long}"));
                    }
                    if let Some(short) = arg.get_short() {
                        out.push(format!("-{short}"));
                    }
                }
            }
            for sub in command.get_subcommands() {
                walk(sub, out);
            }
        }
        let mut out = Vec::new();
        walk(&qtop::cli::Cli::command(), &mut out);
        out.sort();
        out.dedup();
        out
    })
}

/// The words of a command line that are not flags or flag values (`dlq`, `list`, an id…).
fn positionals<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut words = Vec::new();
    let mut skip_value = false;
    for arg in args {
        if skip_value {
            skip_value = false;
        } else if value_flags().iter().any(|f| f == arg) {
            skip_value = true;
        } else if !arg.starts_with("--") {
            words.push(*arg);
        }
    }
    words
}

pub fn schema_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("assets")
        .join("schema")
}

/// The committed schema of `contract`, parsed.
pub fn schema(contract: Contract) -> Value {
    let path = schema_dir().join(contract.file());
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The compiled validators, built once per test binary. Formats (`date-time`) are checked,
/// not only annotated.
fn validator(contract: Contract) -> &'static jsonschema::Validator {
    static VALIDATORS: OnceLock<Vec<jsonschema::Validator>> = OnceLock::new();
    let all = VALIDATORS.get_or_init(|| {
        Contract::ALL
            .iter()
            .map(|&contract| {
                jsonschema::draft202012::options()
                    .should_validate_formats(true)
                    .build(&schema(contract))
                    .unwrap_or_else(|e| {
                        panic!(
                            "assets/schema/{} is not a valid schema: {e}",
                            contract.file()
                        )
                    })
            })
            .collect()
    });
    let index = Contract::ALL
        .iter()
        .position(|c| *c == contract)
        .expect("every contract is in ALL");
    &all[index]
}

/// Every way `doc` breaks `contract`'s schema (`path: message`); empty when it conforms.
pub fn violations(contract: Contract, doc: &Value) -> Vec<String> {
    validator(contract)
        .iter_errors(doc)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect()
}

/// Panics, naming the schema and each violation, unless `doc` conforms to `contract`.
pub fn assert_conforms(contract: Contract, doc: &Value, what: &str) {
    let broken = violations(contract, doc);
    assert!(
        broken.is_empty(),
        "{what} breaks assets/schema/{}:\n  {}\ndocument: {doc:#}",
        contract.file(),
        broken.join("\n  ")
    );
}

/// Parses qtop's output for `contract` (JSON lines for `DlqExport`, one document
/// otherwise) and checks every document. Returns the documents.
pub fn parse_checked(contract: Contract, text: &str, what: &str) -> Vec<Value> {
    let docs: Vec<Value> = if contract == Contract::DlqExport {
        text.lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("{what}: a line is not JSON ({e}): {line}"))
            })
            .collect()
    } else {
        vec![serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("{what} did not print JSON ({e}):\n{text}"))]
    };
    for doc in &docs {
        assert_conforms(contract, doc, what);
    }
    docs
}

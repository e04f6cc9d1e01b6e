//! BullMQ connection names in `CLIENT LIST` (bullmq-model.md §5).
//!
//! Node (and bullmq-official) name a worker's blocking connection `P:<base64(Q)>[:w:<name>]`;
//! Python names every connection of a worker `P:Q[:w:<name>]`, unencoded. `:qe` is a
//! QueueEvents listener and `:qs` a v1 QueueScheduler: connected, but not consumers.

use base64::Engine;

/// What a named connection is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientRole {
    Worker { name: Option<String> },
    QueueEvents,
    Scheduler,
}

/// Which client library named the connection, as far as the name tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NameForm {
    /// `P:<base64(Q)>`: Node bullmq, bullmq-official (qtop's own workers) and Elixir.
    Base64,
    /// `P:Q`: Python bullmq.
    Plain,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BullClient {
    pub prefix: String,
    pub queue: String,
    pub role: ClientRole,
    pub form: NameForm,
}

/// Classify a connection name. `is_known_queue(prefix, name)` says whether discovery found
/// that queue; it settles the rare name that reads both as base64 and as a plain queue name.
pub fn classify(
    client_name: &str,
    prefixes: &[String],
    is_known_queue: impl Fn(&str, &str) -> bool,
) -> Option<BullClient> {
    // Longest prefix first, so `bull` does not shadow `bull:eu`.
    let mut sorted: Vec<&String> = prefixes.iter().collect();
    sorted.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for prefix in sorted {
        let Some(rest) = client_name
            .strip_prefix(prefix.as_str())
            .and_then(|r| r.strip_prefix(':'))
        else {
            continue;
        };
        let (queue_part, role) = split_role(rest);
        if queue_part.is_empty() {
            continue;
        }
        let decoded = decode_base64_name(queue_part);
        let (queue, form) = match decoded {
            Some(name) if is_known_queue(prefix, &name) => (name, NameForm::Base64),
            _ if is_known_queue(prefix, queue_part) => (queue_part.to_string(), NameForm::Plain),
            Some(name) => (name, NameForm::Base64),
            None => (queue_part.to_string(), NameForm::Plain),
        };
        return Some(BullClient {
            prefix: prefix.clone(),
            queue,
            role,
            form,
        });
    }
    None
}

fn split_role(rest: &str) -> (&str, ClientRole) {
    if let Some((queue, worker_name)) = rest.split_once(":w:") {
        return (
            queue,
            ClientRole::Worker {
                name: Some(worker_name.to_string()),
            },
        );
    }
    if let Some(queue) = rest.strip_suffix(":qe") {
        return (queue, ClientRole::QueueEvents);
    }
    if let Some(queue) = rest.strip_suffix(":qs") {
        return (queue, ClientRole::Scheduler);
    }
    (rest, ClientRole::Worker { name: None })
}

/// Standard base64 with padding that decodes to a valid queue name (UTF-8, no `:`).
fn decode_base64_name(text: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    let name = String::from_utf8(bytes).ok()?;
    if name.is_empty() || name.contains(':') || name.chars().any(char::is_control) {
        return None;
    }
    Some(name)
}

/// The name a Node/bullmq-official worker gives its blocking connection.
pub fn worker_connection_name(prefix: &str, queue: &str, worker_name: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(queue);
    format!("{prefix}:{encoded}:w:{worker_name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefixes() -> Vec<String> {
        vec!["bull".to_string(), "bull:eu".to_string()]
    }

    fn known(prefix: &str, name: &str) -> bool {
        prefix == "bull" && ["demo", "emails"].contains(&name)
    }

    /// prefix, queue, role, form
    type Expected<'a> = Option<(&'a str, &'a str, ClientRole, NameForm)>;

    #[test]
    fn names_of_every_client_library_are_recognised() {
        let cases: [(&str, Expected); 9] = [
            (
                "bull:ZGVtbw==:w:w1",
                Some((
                    "bull",
                    "demo",
                    ClientRole::Worker {
                        name: Some("w1".into()),
                    },
                    NameForm::Base64,
                )),
            ),
            (
                "bull:ZGVtbw==",
                Some((
                    "bull",
                    "demo",
                    ClientRole::Worker { name: None },
                    NameForm::Base64,
                )),
            ),
            (
                "bull:ZGVtbw==:qe",
                Some(("bull", "demo", ClientRole::QueueEvents, NameForm::Base64)),
            ),
            (
                "bull:ZGVtbw==:qs",
                Some(("bull", "demo", ClientRole::Scheduler, NameForm::Base64)),
            ),
            (
                "bull:emails:w:py-1",
                Some((
                    "bull",
                    "emails",
                    ClientRole::Worker {
                        name: Some("py-1".into()),
                    },
                    NameForm::Plain,
                )),
            ),
            (
                "bull:eu:ZW1haWxz",
                Some((
                    "bull:eu",
                    "emails",
                    ClientRole::Worker { name: None },
                    NameForm::Base64,
                )),
            ),
            ("other:ZGVtbw==", None),
            ("bull:", None),
            ("redis-cli", None),
        ];
        for (name, expected) in cases {
            let got = classify(name, &prefixes(), known);
            let expected = expected.map(|(p, q, role, form)| BullClient {
                prefix: p.into(),
                queue: q.into(),
                role,
                form,
            });
            assert_eq!(got, expected, "client name {name}");
        }
    }

    #[test]
    fn worker_connection_name_round_trips() {
        let name = worker_connection_name("bull", "demo", "qtop-1");
        assert_eq!(name, "bull:ZGVtbw==:w:qtop-1");
        let parsed = classify(&name, &prefixes(), known).map(|c| c.queue);
        assert_eq!(parsed.as_deref(), Some("demo"));
    }
}

//! The committed JSON schemas (`assets/schema/`) against qtop's own output types, without
//! Redis: each schema is a valid draft 2020-12 schema, what qtop's serde types print
//! conforms to it (so a renamed or retyped field fails here first), and the check can fail:
//! a document missing a required field, with a wrong type or an unknown enum value is
//! rejected, while an added field is accepted (fields may be added, never renamed).

use std::collections::BTreeMap;

use qtop::actions::dead_letters::{Outcome, Skipped};
use qtop::app::dlq_fixtures::{failed_detail, failed_page};
use qtop::app::fixtures::{report, T0_MS};
use qtop::commands::advise::QueueAdvice;
use qtop::model::capacity::{advise, AdvisorInputs};
use qtop::model::failures::{group_failures, Payload};
use qtop::model::jobs::{
    Attempts, ChildNode, Children, JobDetail, JobRef, JobSummary, SearchResult, SearchStop,
};
use qtop::model::reading::{ClusterNodeReading, ClusterReading, RateSource};
use qtop::model::schedulers::{Scheduler, SchedulerKind, SchedulerList};
use qtop::model::snapshot::snapshot_doc;
use qtop::model::{ClientList, QueueHistory, QueueKey, System};
use qtop::source::bullmq::dlq_export::export_line;
use serde_json::{json, Value};

use crate::common::schema::{assert_conforms, schema, violations, Contract};

/// `qtop snapshot --json` as `measure` builds it: 121 readings one second apart, a cluster.
fn snapshot() -> Value {
    let mut histories: BTreeMap<QueueKey, QueueHistory> = BTreeMap::new();
    for n in 0..=120 {
        let reading = report(n);
        for queue in &reading.queues {
            histories
                .entry(queue.key.clone())
                .or_insert_with(|| QueueHistory::new(1000, 3_600_000))
                .record(queue, reading.taken_at_ms);
        }
    }
    let mut last = report(120);
    last.queues[0].rate_source = RateSource::CountDeltas;
    last.queues[0].node = Some("10.0.0.5:7000".into());
    last.cluster = Some(ClusterReading {
        nodes: vec![
            ClusterNodeReading {
                addr: "10.0.0.5:7000".into(),
                role: "master".into(),
                up: true,
                slots: 16384,
                replica_of: None,
            },
            ClusterNodeReading {
                addr: "10.0.0.6:7000".into(),
                role: "replica".into(),
                up: false,
                slots: 0,
                replica_of: Some("10.0.0.5:7000".into()),
            },
        ],
        uncovered_slots: 0,
    });
    serde_json::to_value(snapshot_doc(&last, &histories, 60_000)).unwrap()
}

fn advice(inputs: AdvisorInputs) -> QueueAdvice {
    QueueAdvice {
        system: System::Bullmq,
        queue: "emails".into(),
        prefix: "bull".into(),
        advice: advise(&inputs),
    }
}

/// Every JSON output, from the types qtop serialises, in the shapes that matter: nulls,
/// each payload kind, a saturated queue (infinite utilisation prints as null).
fn documents() -> Vec<(Contract, &'static str, Value)> {
    let now = T0_MS;
    let page = failed_page(0, 20, 57, now);
    let mut not_permitted = report(3);
    not_permitted.workers.clear();
    not_permitted.client_list = ClientList::NotPermitted;
    let healthy = advice(AdvisorInputs {
        arrival_per_s: 20.0,
        service_time_ms: 150.0,
        capacity: 8,
        backlog: 40,
        samples: 300,
        target_wait_ms: 2000.0,
        ..AdvisorInputs::default()
    });
    let nobody = advice(AdvisorInputs {
        arrival_per_s: 5.0,
        capacity_estimated: true,
        backlog: 12,
        target_wait_ms: 2000.0,
        ..AdvisorInputs::default()
    });
    let mut raw_detail = failed_detail("1057", now);
    raw_detail.data = Payload::Raw {
        text: "not json".into(),
    };
    raw_detail.opts = Payload::Missing;
    raw_detail.processed_by = None;
    raw_detail.attempts_started = None;
    let fields = vec![
        ("data".to_string(), br#"{"order":1234}"#.to_vec()),
        ("opts".to_string(), b"not json".to_vec()),
        ("stacktrace".to_string(), br#"["Error: declined"]"#.to_vec()),
        ("ats".to_string(), b"3".to_vec()),
        ("pb".to_string(), b"w-billing".to_vec()),
    ];
    vec![
        (Contract::Snapshot, "a cluster snapshot", snapshot()),
        (
            Contract::Snapshot,
            "a snapshot without CLIENT LIST",
            serde_json::to_value(snapshot_doc(&not_permitted, &BTreeMap::new(), 0)).unwrap(),
        ),
        (
            Contract::Advise,
            "one queue's advice",
            serde_json::to_value(&healthy).unwrap(),
        ),
        (
            Contract::Advise,
            "advice for several queues, one with no capacity",
            serde_json::to_value([&healthy, &nobody]).unwrap(),
        ),
        (
            Contract::DlqList,
            "a page of failed jobs",
            serde_json::to_value(&page.jobs).unwrap(),
        ),
        (
            Contract::DlqShow,
            "a job with a payload too large to load",
            serde_json::to_value(failed_detail("1050", now)).unwrap(),
        ),
        (
            Contract::DlqShow,
            "a job with raw data and no opts",
            serde_json::to_value(&raw_detail).unwrap(),
        ),
        (
            Contract::DlqGroups,
            "failure groups",
            serde_json::to_value(group_failures(&page.jobs)).unwrap(),
        ),
        (
            Contract::DlqOutcome,
            "a retry that skipped a job",
            serde_json::to_value(Outcome {
                requested: 3,
                done: 2,
                skipped: vec![Skipped {
                    id: "7".into(),
                    reason: "not in the failed set".into(),
                }],
            })
            .unwrap(),
        ),
        (
            Contract::DlqExport,
            "an export line",
            export_line(&page.jobs[0], &fields),
        ),
        (
            Contract::DlqExport,
            "an export line of a job with no hash left",
            export_line(&page.jobs[1], &[]),
        ),
        (
            Contract::JobShow,
            "a flow parent with a child's return value and a payload too large",
            serde_json::to_value(job_detail(now)).unwrap(),
        ),
        (
            Contract::JobShow,
            "a job whose hash holds garbage",
            serde_json::to_value(JobDetail {
                id: "x".into(),
                state: "unknown".into(),
                problems: vec!["timestamp is not a number: abc".into()],
                stacktrace_unreadable: true,
                ..JobDetail::default()
            })
            .unwrap(),
        ),
        (
            Contract::JobSearch,
            "a search stopped at --max-examined",
            serde_json::to_value(SearchResult {
                prefix: "bull".into(),
                queue: "billing".into(),
                state: "failed".into(),
                total: 100_000,
                examined: 10_000,
                stopped: Some(SearchStop::MaxExamined),
                skipped_large: 1,
                matches: vec![JobSummary {
                    id: "17".into(),
                    name: Some("charge".into()),
                    timestamp: Some(now),
                    attempts_made: 3,
                    failed_reason: Some("timeout".into()),
                    ..JobSummary::default()
                }],
                ..SearchResult::default()
            })
            .unwrap(),
        ),
        (
            Contract::Schedulers,
            "a scheduler, a legacy repeatable job and an orphan",
            serde_json::to_value(SchedulerList {
                prefix: "bull".into(),
                queue: "sched".into(),
                total: 3,
                schedulers: vec![
                    Scheduler {
                        id: "every-5s".into(),
                        name: Some("tick".into()),
                        every: Some(5_000),
                        next_run: Some(now),
                        iteration_count: Some(3),
                        template_data: Payload::Json { text: "{}".into() },
                        ..Scheduler::default()
                    },
                    Scheduler {
                        id: "nightly:::Europe/Paris:0 3 * * *".into(),
                        kind: SchedulerKind::Repeatable,
                        pattern: Some("0 3 * * *".into()),
                        tz: Some("Europe/Paris".into()),
                        ..Scheduler::default()
                    },
                    Scheduler {
                        id: "gone".into(),
                        kind: SchedulerKind::Orphan,
                        problems: vec!["its definition (repeat:<id>) is gone".into()],
                        ..Scheduler::default()
                    },
                ],
                truncated: false,
                ..SchedulerList::default()
            })
            .unwrap(),
        ),
    ]
}

/// A flow parent: one child read with its return value, one more counted below the limit.
fn job_detail(now: i64) -> JobDetail {
    let child = |id: &str| JobRef {
        key: format!("bull:kids:{id}"),
        queue: "bull:kids".into(),
        id: id.into(),
        name: Some("part".into()),
        state: "completed".into(),
    };
    JobDetail {
        prefix: "bull".into(),
        queue: "flows".into(),
        id: "root".into(),
        name: Some("root".into()),
        state: "waiting-children".into(),
        timestamp: Some(now),
        attempts: Attempts {
            made: 0,
            started: Some(0),
            stalled: Some(0),
            max: Some(3),
        },
        data: Payload::TooLarge { bytes: 5_242_880 },
        opts: Payload::Json {
            text: "{\"attempts\":3}".into(),
        },
        logs: vec!["step 1".into()],
        logs_total: 4,
        parents: vec![child("up")],
        children: Some(Children {
            processed: 1,
            unprocessed: 1,
            nodes: vec![ChildNode {
                job: child("7"),
                dependency: "processed",
                return_value: Some(Payload::Json {
                    text: "{\"ok\":true}".into(),
                }),
                failed_reason: None,
                children: Some(Children {
                    unprocessed: 2,
                    truncated: true,
                    ..Children::default()
                }),
            }],
            truncated: true,
            ..Children::default()
        }),
        ..JobDetail::default()
    }
}

#[test]
fn every_schema_is_a_valid_draft_2020_12_schema() {
    for contract in Contract::ALL {
        let schema = schema(contract);
        assert!(
            jsonschema::draft202012::meta::is_valid(&schema),
            "assets/schema/{} is not a valid draft 2020-12 schema",
            contract.file()
        );
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema",
            "{}",
            contract.file()
        );
    }
}

#[test]
fn what_qtop_prints_conforms_to_its_schema() {
    let documents = documents();
    for contract in Contract::ALL {
        assert!(
            documents.iter().any(|(c, _, _)| *c == contract),
            "no document for {contract:?}"
        );
    }
    for (contract, what, doc) in &documents {
        assert_conforms(*contract, doc, what);
    }
    // The shapes above really are there: a null utilisation, a cluster, a not_permitted.
    let several = &documents[3].2;
    assert!(several[1]["utilisation"].is_null(), "{several:#}");
    assert_eq!(
        documents[0].2["queues"][0]["rates"]["source"],
        "count_deltas"
    );
    assert_eq!(documents[1].2["workers_status"], "not_permitted");
}

/// Each mutation of a valid document must be rejected, and the violation must point at
/// the place that was broken.
#[test]
fn the_validator_rejects_a_missing_field_a_wrong_type_and_an_unknown_value() {
    let valid = snapshot();
    assert!(violations(Contract::Snapshot, &valid).is_empty());
    let mut missing = valid.clone();
    missing.as_object_mut().unwrap().remove("workers_status");
    let mut missing_nested = valid.clone();
    missing_nested["queues"][0]["rates"]
        .as_object_mut()
        .unwrap()
        .remove("completed_per_s");
    let mut wrong_type = valid.clone();
    wrong_type["queues"][0]["counts"]["waiting"] = json!("12");
    let mut negative = valid.clone();
    negative["queues"][0]["unlocked_active"] = json!(-1);
    let mut unknown_enum = valid.clone();
    unknown_enum["queues"][0]["rates"]["source"] = json!("guessed");
    let mut bad_time = valid.clone();
    bad_time["taken_at"] = json!("yesterday");
    let mut not_null = valid.clone();
    not_null["queues"][0]["latency_ms"]["wait"]["p99"] = Value::Null;
    for (what, doc, at) in [
        ("workers_status removed", missing, "workers_status"),
        ("completed_per_s removed", missing_nested, "completed_per_s"),
        (
            "a count as a string",
            wrong_type,
            "/queues/0/counts/waiting",
        ),
        ("a negative count", negative, "/queues/0/unlocked_active"),
        (
            "an unknown rates.source",
            unknown_enum,
            "/queues/0/rates/source",
        ),
        ("a time that is not RFC 3339", bad_time, "/taken_at"),
        (
            "null where a number is due",
            not_null,
            "/queues/0/latency_ms/wait/p99",
        ),
    ] {
        let broken = violations(Contract::Snapshot, &doc);
        assert!(
            broken.iter().any(|v| v.contains(at)),
            "{what}: expected a violation at {at}, got {broken:?}"
        );
    }

    let mut outcome = json!({"requested": 1, "done": 1, "skipped": []});
    outcome.as_object_mut().unwrap().remove("done");
    assert!(!violations(Contract::DlqOutcome, &outcome).is_empty());
    let mut payload = serde_json::to_value(failed_detail("1057", T0_MS)).unwrap();
    payload["data"] = json!({"kind": "too_large", "bytes": "big"});
    assert!(!violations(Contract::DlqShow, &payload).is_empty());
    assert!(!violations(Contract::DlqList, &json!({"id": "1"})).is_empty());
}

#[test]
fn an_added_field_is_accepted() {
    let mut doc = snapshot();
    doc["added_later"] = json!({"anything": [1, 2]});
    doc["queues"][0]["added_later"] = json!(true);
    doc["queues"][0]["latency_ms"]["wait"]["p999"] = json!(12);
    assert_conforms(Contract::Snapshot, &doc, "a snapshot with added fields");
}

#[test]
fn the_contract_of_a_command_line_is_found() {
    for (args, contract) in [
        (
            &["--redis", "x", "snapshot", "--json"][..],
            Some(Contract::Snapshot),
        ),
        (&["snapshot", "--window", "0s"], None),
        (
            &["--queue", "dlq", "advise", "--json"],
            Some(Contract::Advise),
        ),
        (
            &["--queue", "q", "dlq", "list", "--json"],
            Some(Contract::DlqList),
        ),
        (
            &["--queue", "q", "dlq", "show", "7", "--json"],
            Some(Contract::DlqShow),
        ),
        (
            &["--queue", "q", "dlq", "groups", "--json"],
            Some(Contract::DlqGroups),
        ),
        (
            &["--queue", "q", "dlq", "retry", "--all", "--json"],
            Some(Contract::DlqOutcome),
        ),
        (
            &["--queue", "q", "dlq", "delete", "3", "--json"],
            Some(Contract::DlqOutcome),
        ),
        (
            &["--queue", "q", "dlq", "export"],
            Some(Contract::DlqExport),
        ),
        (&["--queue", "q", "dlq", "export", "--out", "f"], None),
        (&["--queue", "q", "dlq", "list"], None),
    ] {
        assert_eq!(Contract::of_args(args), contract, "{args:?}");
    }
}

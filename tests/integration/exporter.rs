//! `qtop exporter` against real parts: a private redis-server, real BullMQ producers and
//! workers (tests/node), the real qtop binary, and a real Prometheus scraping it every
//! second and answering queries over its HTTP API. (Longer than most files: the first test
//! walks the whole issue once, on one Prometheus, because starting the parts is the cost.)

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{
    ensure_node_modules, http_get, load_script, qtop_bin, run_qtop, snapshot_json, spawn_node,
    wait_until, HttpResponse, NodeChild, Prometheus, RedisServer, SCENARIO_QUEUES,
};

const STARTUP: Duration = Duration::from_secs(30);
/// Prometheus lags a poll and a scrape behind Redis, and the exporter backs off up to
/// 10 s between reconnections: generous, the waits end as soon as the condition holds.
const SETTLE: Duration = Duration::from_secs(60);

/// The real binary as `qtop --redis URL … exporter --listen 127.0.0.1:0`, killed on Drop.
struct Exporter {
    child: NodeChild,
    addr: String,
}

impl Exporter {
    fn start(redis_url: &str, extra: &[&str]) -> Exporter {
        let mut command = Command::new(qtop_bin());
        command
            .args(["--redis", redis_url, "--interval", "1s"])
            .args(extra)
            .args(["exporter", "--listen", "127.0.0.1:0"])
            .env_remove("REDIS_URL")
            .env_remove("QTOP_READ_ONLY");
        let mut child = NodeChild::spawn_command("qtop exporter".into(), command);
        let rest = child.wait_for_line("qtop exporter: serving http://", STARTUP);
        let addr = rest.split('/').next().unwrap_or_default().to_string();
        Exporter { child, addr }
    }

    fn get(&self, path: &str, headers: &[(&str, &str)]) -> HttpResponse {
        http_get(&self.addr, path, headers).unwrap_or_else(|| {
            panic!(
                "the exporter did not answer {path}; stderr: {}",
                self.child.stderr()
            )
        })
    }

    /// `/metrics` in the Prometheus text format (no Accept header).
    fn metrics(&self) -> String {
        let response = self.get("/metrics", &[]);
        assert_eq!(response.status, 200, "{}", response.body);
        response.body
    }
}

fn alerts_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/prometheus/alerts.yml")
}

fn dashboard_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/grafana/qtop.json")
}

/// `--queue` for each name.
fn queue_flags<'a>(names: &[&'a str]) -> Vec<&'a str> {
    names.iter().flat_map(|name| ["--queue", *name]).collect()
}

/// The samples of `metric` in a text exposition, keyed by their labels (`k=v` pairs,
/// sorted, without `prefix`). Enough of a parser for the label values used here.
fn samples_of(text: &str, metric: &str) -> BTreeMap<Vec<String>, f64> {
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(metric)?.strip_prefix('{')?;
            let (labels, value) = rest.rsplit_once("} ")?;
            let mut labels: Vec<String> = labels
                .split(',')
                .map(|pair| pair.trim().replace('"', ""))
                .filter(|pair| !pair.starts_with("prefix="))
                .collect();
            labels.sort();
            Some((labels, value.parse().ok()?))
        })
        .collect()
}

/// How many times Prometheus has scraped the exporter within the last hour.
fn scrapes(prometheus: &Prometheus) -> f64 {
    prometheus
        .value("count_over_time(qtop_redis_up[1h])")
        .unwrap_or(0.0)
}

/// Wait until Prometheus has scraped `n` more times (each scrape is of a newer poll: the
/// exporter polls every second too).
fn wait_for_scrapes(prometheus: &Prometheus, n: f64) {
    let start = scrapes(prometheus);
    wait_until(&format!("{n} more scrapes"), SETTLE, || {
        scrapes(prometheus) >= start + n
    });
}

#[test]
fn prometheus_counts_every_job_and_sees_bullmqs_own_figures() {
    ensure_node_modules();
    let redis = RedisServer::start();
    let url = redis.url();
    // Queues in every state BullMQ has, held there while the test runs.
    let mut scenario = spawn_node("scenario.js", &["--redis", &url]);
    scenario.wait_for_json("READY ", Duration::from_secs(60));
    let mut queues: Vec<&str> = SCENARIO_QUEUES.to_vec();
    queues.push("jobs");
    let exporter = Exporter::start(&url, &queue_flags(&queues));
    let alerts = alerts_path();
    let prometheus = Prometheus::start(&[&exporter.addr], &[alerts.as_path()]);

    let series =
        |metric: &str| format!(r#"{metric}{{system="bullmq",prefix="bull",queue="jobs"}}"#);
    let completed_total = series("qtop_jobs_completed_total");
    let failed_total = series("qtop_jobs_failed_total");
    let added_total = series("qtop_jobs_added_total");
    let bullmq_completed = r#"bullmq_job_completed_total{prefix="bull",queue="jobs"}"#;
    let processing_count = series("qtop_job_processing_seconds_count");
    let wait_count = series("qtop_job_wait_seconds_count");
    wait_until("Prometheus to scrape the exporter", SETTLE, || {
        prometheus.value(&completed_total).is_some()
    });
    let value = |promql: &str| prometheus.value(promql).unwrap_or(f64::NAN);
    let before: Vec<f64> = [&completed_total, &failed_total, &added_total]
        .iter()
        .map(|q| value(q))
        .collect();
    // No job of `jobs` timed yet: no histogram (rather than 21 empty buckets).
    assert_eq!(prometheus.value(&processing_count), None);

    // Real BullMQ: 150 jobs, a tenth failing for good (one attempt each), completed jobs
    // deleted at once (removeOnComplete), so the completed count stays 0 while the counter
    // must count every one.
    let done = load_script(&url, "jobs", "50", "3")
        .args(["--fail-rate", "0.1", "--seed", "7", "--remove-on-complete"])
        .args(["--concurrency", "4", "--work-ms", "2"])
        .spawn()
        .wait_for_json("DONE ", Duration::from_secs(120));
    let added = done["added"].as_f64().unwrap();
    let completed = done["completed"].as_f64().unwrap();
    let failed = done["failed"].as_f64().unwrap();
    assert!(completed > 0.0 && failed > 0.0, "{done}");
    assert_eq!(done["counts"]["completed"], 0, "removeOnComplete: {done}");

    let want = [
        before[0] + completed,
        before[1] + failed,
        before[2] + added,
        // Every job that finished was timed: far fewer than 2,048 per poll.
        completed + failed,
    ];
    let now = || {
        [
            &completed_total,
            &failed_total,
            &added_total,
            &processing_count,
        ]
        .map(|q| value(q))
    };
    wait_until("Prometheus to count every job", SETTLE, || now() == want);
    // ...and not one more, several polls and scrapes later.
    wait_for_scrapes(&prometheus, 3.0);
    assert_eq!(now(), want, "completed, failed, added, timed");
    assert_eq!(
        value(bullmq_completed),
        want[0],
        "bullmq_job_completed_total"
    );
    assert_eq!(value(&wait_count), want[3], "jobs timed for wait");
    // Every job falls in a bucket, and the buckets add up to `_count`.
    let inf_bucket = r#"qtop_job_processing_seconds_bucket{queue="jobs",le="+Inf"}"#;
    assert_eq!(value(inf_bucket), want[3]);

    // bullmq_job_count: BullMQ's own name, labels and states, its getJobCounts values.
    let names = queues.join(",");
    let bullmq = spawn_node("prom_export.js", &["--redis", &url, "--queues", &names])
        .wait_for_json("EXPORT ", Duration::from_secs(60));
    for queue in &queues {
        let counts = bullmq[queue]["counts"].as_object().unwrap().clone();
        let theirs: BTreeMap<String, f64> = counts
            .iter()
            .map(|(state, n)| (state.clone(), n.as_f64().unwrap()))
            .collect();
        let promql = format!(r#"bullmq_job_count{{prefix="bull",queue="{queue}"}}"#);
        let ours = || -> BTreeMap<String, f64> {
            prometheus
                .query(&promql)
                .into_iter()
                .map(|(labels, v)| (labels["state"].as_str().unwrap().to_string(), v))
                .collect()
        };
        wait_until(
            &format!("bullmq_job_count of {queue} = getJobCounts"),
            SETTLE,
            || ours() == theirs,
        );
    }
    // The exposition itself, beside BullMQ's `exportPrometheusMetrics`.
    let text = exporter.metrics();
    for queue in &queues {
        let theirs_text = bullmq[queue]["text"].as_str().unwrap();
        let theirs = samples_of(theirs_text, "bullmq_job_count");
        let ours: BTreeMap<Vec<String>, f64> = samples_of(&text, "bullmq_job_count")
            .into_iter()
            .filter(|(labels, _)| labels.contains(&format!("queue={queue}")))
            .collect();
        assert_eq!(
            ours, theirs,
            "{queue}: ours\n{text}\nBullMQ's\n{theirs_text}"
        );
        for header in [
            "# HELP bullmq_job_count ",
            "# TYPE bullmq_job_count ",
            "# TYPE bullmq_job_completed_total ",
            "# TYPE bullmq_job_failed_total ",
        ] {
            let line = |t: &str| {
                t.lines()
                    .find(|l| l.starts_with(header))
                    .map(str::to_string)
            };
            assert_eq!(line(&text), line(theirs_text), "{header}");
        }
    }
    assert!(
        text.contains(
            r#"bullmq_job_count{queue="emails",state="waiting-children",prefix="bull"} 1"#
        ),
        "{text}"
    );

    // promtool's lint: the one thing it says is about BullMQ's own name, kept on purpose
    // so that dashboards built on BullMQ's exporter keep working.
    let lint = promtool_check_metrics(&text);
    assert_eq!(
        lint,
        ["bullmq_job_count non-histogram and non-summary metrics should not have \"_count\" suffix"],
        "{text}"
    );

    // Prometheus asked for OpenMetrics and got it: `info` exists only there.
    let metadata = prometheus.api("metadata", &[("metric", "qtop_build")]);
    assert_eq!(metadata["qtop_build"][0]["type"], "info", "{metadata}");
    let metadata = prometheus.api("metadata", &[("metric", "qtop_jobs_completed")]);
    assert_eq!(
        metadata["qtop_jobs_completed"][0]["type"], "counter",
        "{metadata}"
    );
    assert!(value(&series("qtop_jobs_completed_created")) > 1.7e9);

    // /api/snapshot is `qtop snapshot --json`'s document, from the latest poll.
    let response = exporter.get("/api/snapshot", &[]);
    assert_eq!(response.status, 200, "{}", response.body);
    let served: serde_json::Value = serde_json::from_str(&response.body).unwrap();
    let printed = snapshot_json(&url, &queue_flags(&queues), "1s");
    assert_eq!(keys(&served), keys(&printed), "top-level fields");
    assert_eq!(
        keys(&served["queues"][0]),
        keys(&printed["queues"][0]),
        "queue fields"
    );
    for queue in &queues {
        let ours = common::queue(&served, queue);
        common::assert_counts_match(ours, &bullmq[queue]["counts"], queue);
    }
    let health = exporter.get("/healthz", &[]);
    assert_eq!(health.status, 200, "{}", health.body);

    // The example alerts load and evaluate; the one that can fire now does, where it should.
    wait_until("the alert rules to be evaluated", SETTLE, || {
        let rules = prometheus.api("rules", &[]);
        let rules = rules["groups"][0]["rules"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        rules.len() == 5
            && rules.iter().all(|r| {
                r["health"] == "ok"
                    && r["lastEvaluation"]
                        .as_str()
                        .is_some_and(|t| !t.starts_with("0001"))
            })
    });
    let rules = prometheus.api("rules", &[]);
    let no_workers = rules["groups"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "QueueHasNoWorkers")
        .map(|r| r["query"].as_str().unwrap().to_string())
        .unwrap();
    let alerting: Vec<String> = prometheus
        .query(&no_workers)
        .into_iter()
        .map(|(labels, _)| labels["queue"].as_str().unwrap().to_string())
        .collect();
    // `emails` has jobs waiting and no worker; `paused-q` too, but it is paused; `reports`
    // has its worker; `jobs` has nothing waiting.
    assert!(alerting.contains(&"emails".to_string()), "{alerting:?}");
    for quiet in ["paused-q", "reports", "jobs"] {
        assert!(
            !alerting.contains(&quiet.to_string()),
            "{quiet}: {alerting:?}"
        );
    }

    // Every query of the Grafana dashboard is valid PromQL over metrics that exist.
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dashboard_path()).unwrap()).unwrap();
    let mut checked = 0;
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().unwrap();
            let promql = expr
                .replace("$system", ".*")
                .replace("$prefix", ".*")
                .replace("$queue", ".*")
                .replace("$__rate_interval", "1m");
            let result = prometheus.query(&promql);
            for name in metric_names(expr) {
                assert!(
                    text.lines().any(|l| l.starts_with(&format!("{name}{{"))
                        || l.starts_with(&format!("{name} "))),
                    "{} uses {name}, which the exporter does not export",
                    panel["title"]
                );
            }
            if expr.contains("qtop_jobs_added_total") {
                assert!(!result.is_empty(), "{promql} found nothing");
            }
            checked += 1;
        }
    }
    assert!(checked >= 15, "{checked} dashboard queries");
    scenario.stop(Duration::from_secs(30));
}

#[test]
fn the_exporter_keeps_serving_through_a_redis_restart() {
    ensure_node_modules();
    let mut redis = RedisServer::start();
    let url = redis.url();
    let exporter = Exporter::start(&url, &["--queue", "jobs"]);
    let prometheus = Prometheus::start(&[&exporter.addr], &[]);
    let counter = r#"qtop_jobs_completed_total{queue="jobs"}"#;
    wait_until("Prometheus to scrape the exporter", SETTLE, || {
        prometheus.value(counter) == Some(0.0)
    });
    let run_jobs = |url: &str| {
        let done = load_script(url, "jobs", "40", "1")
            .spawn()
            .wait_for_json("DONE ", Duration::from_secs(120));
        done["completed"].as_f64().unwrap()
    };
    let first = run_jobs(&url);
    wait_until("the first jobs counted", SETTLE, || {
        prometheus.value(counter) == Some(first)
    });

    // Redis goes away: the exporter keeps answering, says why, and keeps its counters.
    redis.stop();
    wait_until("qtop_redis_up 0", SETTLE, || {
        prometheus.value("qtop_redis_up") == Some(0.0)
    });
    let health = exporter.get("/healthz", &[]);
    assert_eq!(health.status, 503, "{}", health.body);
    assert!(health.body.len() > 1, "a reason: {health:?}");
    assert_eq!(exporter.get("/api/snapshot", &[]).status, 503);
    let text = exporter.metrics();
    assert!(
        text.contains(&format!(
            r#"qtop_jobs_completed_total{{system="bullmq",prefix="bull",queue="jobs"}} {first}"#
        )),
        "{text}"
    );
    assert!(
        !text.contains("bullmq_job_count"),
        "no stale counts while Redis is down: {text}"
    );
    wait_for_scrapes(&prometheus, 2.0);
    assert_eq!(
        prometheus.value(counter),
        Some(first),
        "kept while Redis is down"
    );

    // Back, empty (no persistence): the exporter reconnects, and counts on from there.
    redis.start_again();
    wait_until("qtop_redis_up 1", SETTLE, || {
        prometheus.value("qtop_redis_up") == Some(1.0)
    });
    assert_eq!(exporter.get("/healthz", &[]).status, 200);
    let second = run_jobs(&url);
    wait_until("the jobs after the restart counted", SETTLE, || {
        prometheus
            .value(counter)
            .is_some_and(|v| v >= first + second)
    });
    wait_for_scrapes(&prometheus, 3.0);
    // Never back: no reset, every sample at least the one before.
    assert_eq!(
        prometheus.value(&format!("resets({counter}[1h])")),
        Some(0.0)
    );
    let history = prometheus.samples(&format!("{counter}[1h]"));
    assert!(history.len() > 5, "{history:?}");
    assert!(
        history.windows(2).all(|w| w[1].1 >= w[0].1),
        "the counter went back: {history:?}"
    );
    assert_eq!(
        history.last().map(|s| s.1),
        Some(first + second),
        "{history:?}"
    );
    let added = prometheus.value(r#"qtop_jobs_added_total{queue="jobs"}"#);
    assert_eq!(added, Some(first + second), "jobs added");
}

#[test]
fn without_redis_the_exporter_serves_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("unix://{}/nowhere.sock", dir.path().display());
    let exporter = Exporter::start(&missing, &[]);
    wait_until("a failed poll", STARTUP, || {
        exporter.get("/healthz", &[]).status == 503
            && exporter.get("/healthz", &[]).body.contains("nowhere.sock")
    });
    let text = exporter.metrics();
    assert!(text.contains("qtop_redis_up 0"), "{text}");
    assert!(text.contains("qtop_build_info{version="), "{text}");
    let openmetrics = exporter.get("/metrics", &[("Accept", "application/openmetrics-text")]);
    assert_eq!(
        openmetrics.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    assert!(
        openmetrics.body.ends_with("# EOF\n"),
        "{}",
        openmetrics.body
    );
    assert_eq!(exporter.get("/nowhere", &[]).status, 404);
}

#[test]
fn an_address_in_use_is_an_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = run_qtop(
        &[
            "--redis",
            "redis://127.0.0.1:1",
            "exporter",
            "--listen",
            &addr,
        ],
        Duration::from_secs(30),
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
}

#[test]
fn the_alert_rules_and_the_dashboard_load() {
    let output = Command::new("promtool")
        .args(["check", "rules"])
        .arg(alerts_path())
        .output()
        .expect("promtool (Debian's prometheus package)");
    let said = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{said}");
    assert!(said.contains("SUCCESS: 5 rules found"), "{said}");

    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dashboard_path()).unwrap()).unwrap();
    assert_eq!(dashboard["uid"], "qtop-queues");
    let variables: Vec<&str> = dashboard["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert_eq!(variables, ["datasource", "system", "prefix", "queue"]);
    let panels = dashboard["panels"].as_array().unwrap();
    let titles: Vec<&str> = panels.iter().filter_map(|p| p["title"].as_str()).collect();
    // The golden signals: saturation, traffic, errors, latency.
    for wanted in [
        "Backlog",
        "Oldest waiting job",
        "Arrivals vs completions",
        "Error rate",
        "Wait time",
        "Processing time",
        "Workers",
    ] {
        assert!(
            titles.iter().any(|t| t.starts_with(wanted)),
            "{wanted}: {titles:?}"
        );
    }
    let mut ids: Vec<u64> = panels.iter().map(|p| p["id"].as_u64().unwrap()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), panels.len(), "panel ids are unique");
}

/// `promtool check metrics` on `text`: what it says, one problem per line.
fn promtool_check_metrics(text: &str) -> Vec<String> {
    use std::io::Write;
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian's prometheus package)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    said.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

fn keys(value: &serde_json::Value) -> Vec<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// The qtop and BullMQ metric names a PromQL expression uses.
fn metric_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = expr;
    while let Some(at) = rest.find(['q', 'b']) {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        let word = &tail[..end];
        let starts_word =
            at == 0 || !rest[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
        if starts_word && (word.starts_with("qtop_") || word.starts_with("bullmq_")) {
            names.push(word.to_string());
        }
        rest = &tail[end.max(1)..];
    }
    names
}

//! A private, throw-away Prometheus server per test, and a tiny HTTP/1.0 client.
//!
//! `Prometheus::start` runs the real `prometheus` binary (Debian's package; `.ci/run`
//! installs it) on a free loopback port with its data in a temp dir, scraping the given
//! targets every second, and stops it on Drop. Its HTTP API is queried with `http_get`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// A response: status code, header block (lower-cased names) and body.
#[derive(Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: String,
    pub body: String,
    /// The body as it came (`body` is it as UTF-8, lossily).
    pub raw_body: Vec<u8>,
}

impl HttpResponse {
    /// The value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }
}

/// `GET path` on `addr` (`host:port`) with extra headers, HTTP/1.0 so that the body ends
/// with the connection (no chunked encoding to undo). `None` when nothing answers.
pub fn http_get(addr: &str, path: &str, headers: &[(&str, &str)]) -> Option<HttpResponse> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let mut request = format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let raw_body = raw[split + 4..].to_vec();
    let (status_line, headers) = head.split_once("\r\n").unwrap_or((&head, ""));
    let status = status_line.split_whitespace().nth(1)?.parse().ok()?;
    Some(HttpResponse {
        status,
        headers: headers.to_string(),
        body: String::from_utf8_lossy(&raw_body).to_string(),
        raw_body,
    })
}

/// Percent-encoding of a query parameter value (everything but unreserved characters).
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub struct Prometheus {
    child: Option<Child>,
    dir: TempDir,
    addr: String,
}

impl Prometheus {
    /// Prometheus scraping each of `targets` (`host:port`) every second, with `rule_files`
    /// loaded (evaluated every second too).
    pub fn start(targets: &[&str], rule_files: &[&Path]) -> Prometheus {
        let mut last_error = String::new();
        // The port is found by binding :0 and releasing it; another process may take it
        // first, so a failed start is tried again on another port.
        for _ in 0..5 {
            match Self::try_start(targets, rule_files) {
                Ok(prometheus) => return prometheus,
                Err(error) => last_error = error,
            }
        }
        panic!("could not start prometheus after 5 tries: {last_error}");
    }

    fn try_start(targets: &[&str], rule_files: &[&Path]) -> Result<Prometheus, String> {
        let dir = tempfile::Builder::new()
            .prefix("qtop-prometheus-")
            .tempdir()
            .map_err(|e| format!("temp dir: {e}"))?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("bind: {e}"))?
            .port();
        let addr = format!("127.0.0.1:{port}");
        let targets = targets
            .iter()
            .map(|t| format!("'{t}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let rules = rule_files
            .iter()
            .map(|p| format!("  - '{}'\n", p.display()))
            .collect::<String>();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
             rule_files:\n{rules}\
             scrape_configs:\n  - job_name: qtop\n    static_configs:\n      - targets: [{targets}]\n"
        );
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config).map_err(|e| format!("config: {e}"))?;
        let log = std::fs::File::create(dir.path().join("prometheus.log"))
            .map_err(|e| format!("log: {e}"))?;
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .arg("--log.level=warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| format!("log: {e}"))?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot run prometheus (is it installed?): {e}"))?;
        let mut prometheus = Prometheus {
            child: Some(child),
            dir,
            addr,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if http_get(&prometheus.addr, "/-/ready", &[]).is_some_and(|r| r.status == 200) {
                return Ok(prometheus);
            }
            let exited = prometheus
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if exited.is_some() || Instant::now() > deadline {
                let log = prometheus.log();
                prometheus.stop();
                return Err(format!("prometheus did not get ready: {log}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn addr(&self) -> &str {
        &self.addr
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }

    /// `GET /api/v1/<endpoint>?<params>`, the `data` of a successful answer; panics with
    /// Prometheus's error otherwise.
    pub fn api(&self, endpoint: &str, params: &[(&str, &str)]) -> serde_json::Value {
        let query = params
            .iter()
            .map(|(k, v)| format!("{k}={}", url_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let path = format!("/api/v1/{endpoint}?{query}");
        let response = http_get(&self.addr, &path, &[])
            .unwrap_or_else(|| panic!("prometheus did not answer {path}"));
        let doc: serde_json::Value = serde_json::from_str(&response.body)
            .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {}", response.body));
        assert_eq!(doc["status"], "success", "{path}: {}", response.body);
        doc["data"].clone()
    }

    /// An instant query's result vector: `(labels, value)` per series.
    pub fn query(&self, promql: &str) -> Vec<(serde_json::Value, f64)> {
        let data = self.api("query", &[("query", promql)]);
        data["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|series| {
                let value = series["value"][1]
                    .as_str()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(f64::NAN);
                (series["metric"].clone(), value)
            })
            .collect()
    }

    /// The value of a query that selects one series; `None` when it selects none.
    pub fn value(&self, promql: &str) -> Option<f64> {
        let result = self.query(promql);
        assert!(
            result.len() <= 1,
            "{promql} selects several series: {result:?}"
        );
        result.first().map(|(_, value)| *value)
    }

    /// Every sample of `promql` (a range selector) as `(time, value)`, oldest first.
    pub fn samples(&self, promql: &str) -> Vec<(f64, f64)> {
        let data = self.api("query", &[("query", promql)]);
        let series = data["result"].as_array().cloned().unwrap_or_default();
        assert!(series.len() <= 1, "{promql} selects several series");
        series
            .first()
            .and_then(|s| s["values"].as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|pair| {
                let t = pair[0].as_f64()?;
                let v = pair[1].as_str()?.parse().ok()?;
                Some((t, v))
            })
            .collect()
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            super::signal("TERM", child.id());
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.stop();
    }
}

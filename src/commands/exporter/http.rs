//! The exporter's HTTP endpoints. A request never touches Redis: `/metrics` serves the
//! latest poll, encoded once per poll and format however many scrapers ask (`cache.rs`).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::cache::{Encodings, Wanted};
use super::published::{Format, Published};
use super::state::{ExporterState, Health};
use crate::source::SourceEvent;

/// What the poll consumer writes and the handlers read.
pub struct Shared {
    state: Mutex<ExporterState>,
    published: Mutex<Arc<Published>>,
    encodings: Encodings,
    /// The poll interval: a scrape due within it gets the next poll encoded in advance.
    interval: Duration,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panicked holder left consistent data behind (every update is a whole value).
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    pub fn new(state: ExporterState, interval: Duration) -> Self {
        let published = Arc::new(state.publish());
        Self {
            state: Mutex::new(state),
            published: Mutex::new(published),
            encodings: Encodings::default(),
            interval,
        }
    }

    /// Apply one of the poller's events, publish what changed, and encode it now for the
    /// formats whose scrape is due before the next poll.
    pub fn apply(self: &Arc<Self>, event: SourceEvent) {
        let published = {
            let mut state = lock(&self.state);
            if !state.apply(event) {
                return;
            }
            Arc::new(state.publish())
        };
        *lock(&self.published) = Arc::clone(&published);
        for wanted in self.encodings.due(Instant::now(), self.interval) {
            let shared = Arc::clone(self);
            let published = Arc::clone(&published);
            tokio::spawn(async move { shared.encodings.get(published, wanted, None).await });
        }
    }

    fn latest(&self) -> Arc<Published> {
        Arc::clone(&lock(&self.published))
    }

    /// The latest poll's metrics as a scrape wants them.
    pub async fn scrape(&self, wanted: Wanted) -> axum::body::Bytes {
        self.encodings
            .get(self.latest(), wanted, Some(Instant::now()))
            .await
    }

    pub fn health(&self) -> Health {
        lock(&self.state).health.clone()
    }
}

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/metrics", get(metrics))
        .route("/api/snapshot", get(snapshot))
        .route("/healthz", get(healthz))
        .with_state(shared)
}

async fn index() -> &'static str {
    concat!(
        "qtop exporter\n\n",
        "/metrics       Prometheus text format, or OpenMetrics when asked (Accept)\n",
        "/api/snapshot  the JSON of `qtop snapshot --json`, from the latest poll\n",
        "/healthz       200 while the last poll of Redis succeeded, 503 and why otherwise\n",
    )
}

async fn metrics(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let header_text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .unwrap_or("")
    };
    let format = negotiate(header_text(header::ACCEPT));
    let gzip = accepts_gzip(header_text(header::ACCEPT_ENCODING));
    let body = shared.scrape(Wanted { format, gzip }).await;
    if body.is_empty() {
        let error = "the metrics could not be encoded\n";
        return (StatusCode::INTERNAL_SERVER_ERROR, error).into_response();
    }
    let content_type = (
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    let vary = (
        header::VARY,
        HeaderValue::from_static("accept, accept-encoding"),
    );
    if gzip {
        let encoding = (header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        ([content_type, vary, encoding], body).into_response()
    } else {
        ([content_type, vary], body).into_response()
    }
}

async fn snapshot(State(shared): State<Arc<Shared>>) -> Response {
    let doc = {
        let state = lock(&shared.state);
        match state.snapshot() {
            Some(doc) => serde_json::to_vec(&doc),
            None => return unavailable(&state.health),
        }
    };
    match doc {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{error}\n")).into_response(),
    }
}

async fn healthz(State(shared): State<Arc<Shared>>) -> Response {
    match shared.health() {
        Health::Up => (StatusCode::OK, "ok: the last poll of Redis succeeded\n").into_response(),
        other => unavailable(&other),
    }
}

fn unavailable(health: &Health) -> Response {
    let reason = match health {
        Health::Up => "ok",
        Health::Starting(reason) | Health::Down(reason) => reason.as_str(),
    };
    (StatusCode::SERVICE_UNAVAILABLE, format!("{reason}\n")).into_response()
}

/// OpenMetrics when the scraper prefers it (its `q` above the text format's), else the
/// Prometheus text format. Prometheus itself sends
/// `application/openmetrics-text;version=1.0.0,…,text/plain;version=0.0.4;q=0.5,*/*;q=0.1`.
pub fn negotiate(accept: &str) -> Format {
    let mut openmetrics = 0.0f64;
    let mut text = 0.0f64;
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("").to_ascii_lowercase();
        let mut q = 1.0;
        let mut version = None;
        for param in parts {
            let (name, value) = param.split_once('=').unwrap_or((param, ""));
            match name.trim().to_ascii_lowercase().as_str() {
                "q" => q = value.trim().parse().unwrap_or(0.0),
                "version" => version = Some(value.trim().to_string()),
                _ => {}
            }
        }
        match media.as_str() {
            // prometheus-client writes OpenMetrics 1.0.0.
            "application/openmetrics-text" if version.as_deref().is_none_or(|v| v == "1.0.0") => {
                openmetrics = openmetrics.max(q)
            }
            "text/plain" | "text/*" | "*/*" => text = text.max(q),
            _ => {}
        }
    }
    if openmetrics > 0.0 && openmetrics > text {
        Format::OpenMetrics
    } else {
        Format::Prometheus
    }
}

/// Whether `Accept-Encoding` takes gzip (`gzip` or `*`, with a `q` above 0).
pub fn accepts_gzip(accept_encoding: &str) -> bool {
    accept_encoding.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or("").to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.strip_prefix("q="))
            .map_or(1.0, |q| q.trim().parse().unwrap_or(0.0));
        (name == "gzip" || name == "*") && q > 0.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_when_the_scraper_takes_it() {
        for (accept_encoding, want) in [
            ("", false),
            ("gzip", true),
            ("identity", false),
            ("br, gzip;q=0.5", true),
            ("gzip;q=0", false),
            ("*", true),
            ("deflate", false),
        ] {
            assert_eq!(accepts_gzip(accept_encoding), want, "{accept_encoding}");
        }
    }

    const PROMETHEUS_2_ACCEPT: &str = concat!(
        "application/openmetrics-text;version=1.0.0,",
        "application/openmetrics-text;version=0.0.1;q=0.75,",
        "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
    );

    #[test]
    fn the_format_follows_the_accept_header() {
        for (accept, want) in [
            ("", Format::Prometheus),
            ("*/*", Format::Prometheus),
            ("text/plain;version=0.0.4", Format::Prometheus),
            // Prometheus 2.x's scrape header.
            (PROMETHEUS_2_ACCEPT, Format::OpenMetrics),
            ("application/openmetrics-text", Format::OpenMetrics),
            (
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                Format::OpenMetrics,
            ),
            // Only an older OpenMetrics version than prometheus-client writes.
            (
                "application/openmetrics-text;version=0.0.1,text/plain;q=0.5",
                Format::Prometheus,
            ),
            (
                "text/plain;q=0.9,application/openmetrics-text;q=0.5",
                Format::Prometheus,
            ),
            ("application/openmetrics-text;q=0", Format::Prometheus),
        ] {
            assert_eq!(negotiate(accept), want, "{accept}");
        }
    }
}

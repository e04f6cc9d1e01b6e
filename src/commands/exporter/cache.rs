//! Encoded metrics, once per poll and format, ready before the scrape that wants them.
//!
//! Encoding is the exporter's main cost: a thousand queues are ~6 MB of text and tens of
//! milliseconds of CPU. Scrapes share the encoding of the latest poll (ten scrapers cost one
//! encoding), and the exporter learns each format's scrape period so it encodes a poll in
//! advance only when a scrape is due before the next poll: a scrape is answered from memory,
//! and polling every second while Prometheus scrapes every 15 s still costs one encoding per
//! scrape, not one per poll. The text is gzipped, once, for scrapers that accept it
//! (Prometheus does): a thousand queues are then ~0.1 MB on the wire instead of 2 MB.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use tokio::sync::OnceCell;

use super::metrics::encode;
use super::published::{Format, Published};

/// A scraper not heard from for this many of its periods (plus this margin) is gone: its
/// format is no longer encoded in advance.
const GONE_AFTER_PERIODS: u32 = 3;
const GONE_MARGIN: Duration = Duration::from_secs(30);
/// Requests closer together than this are several scrapers at once, not a period.
const SAME_SCRAPE: Duration = Duration::from_millis(100);

/// What a scrape gets: a format, gzipped or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Wanted {
    pub format: Format,
    pub gzip: bool,
}

#[derive(Default)]
pub struct Encodings {
    slots: Mutex<HashMap<Wanted, Slot>>,
}

#[derive(Default)]
struct Slot {
    /// The publication `cell` encodes.
    seq: Option<u64>,
    cell: Arc<OnceCell<Bytes>>,
    last_scrape: Option<Instant>,
    period: Option<Duration>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Encodings {
    /// `published` as `wanted`, encoded by the first caller and shared with the others
    /// (they wait for it). `scrape_at` records a scrape, to learn the scrape period.
    pub async fn get(
        &self,
        published: Arc<Published>,
        wanted: Wanted,
        scrape_at: Option<Instant>,
    ) -> Bytes {
        let cell = {
            let mut slots = lock(&self.slots);
            let slot = slots.entry(wanted).or_default();
            if slot.seq != Some(published.seq) {
                slot.seq = Some(published.seq);
                slot.cell = Arc::new(OnceCell::new());
            }
            if let Some(now) = scrape_at {
                slot.record_scrape(now);
            }
            Arc::clone(&slot.cell)
        };
        cell.get_or_init(|| async move {
            let encoding = tokio::task::spawn_blocking(move || {
                let text = encode(published, wanted.format).ok()?;
                if wanted.gzip {
                    gzip(text.as_bytes()).map(Bytes::from)
                } else {
                    Some(Bytes::from(text))
                }
            })
            .await;
            // Writing to a String or a Vec cannot fail, and the encoder does not panic.
            encoding.ok().flatten().unwrap_or_default()
        })
        .await
        .clone()
    }

    /// What scrapes want whose next scrape is due before the poll after this one
    /// (`interval` away).
    pub fn due(&self, now: Instant, interval: Duration) -> Vec<Wanted> {
        lock(&self.slots)
            .iter()
            .filter(|(_, slot)| {
                slot.last_scrape
                    .is_some_and(|last| scrape_due(last, slot.period, now, interval))
            })
            .map(|(wanted, _)| *wanted)
            .collect()
    }
}

/// gzip at the fastest level: the text is repetitive (label sets), so even that makes it
/// about twenty times smaller, for a few milliseconds per megabyte.
fn gzip(text: &[u8]) -> Option<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(text.len() / 10),
        flate2::Compression::fast(),
    );
    encoder.write_all(text).ok()?;
    encoder.finish().ok()
}

impl Slot {
    fn record_scrape(&mut self, now: Instant) {
        if let Some(last) = self.last_scrape {
            let gap = now.saturating_duration_since(last);
            if gap < SAME_SCRAPE {
                return;
            }
            self.period = Some(gap);
        }
        self.last_scrape = Some(now);
    }
}

/// Whether a scrape last seen at `last`, every `period`, is expected before `now +
/// interval` (the poll after this one) while its scraper is still around. With one scrape
/// seen the period is unknown: encode every poll until the second.
pub fn scrape_due(
    last: Instant,
    period: Option<Duration>,
    now: Instant,
    interval: Duration,
) -> bool {
    let since = now.saturating_duration_since(last);
    let Some(period) = period else {
        return since <= GONE_MARGIN;
    };
    if since > period * GONE_AFTER_PERIODS + GONE_MARGIN {
        return false;
    }
    // Half an interval of slack for a scrape that comes a little early.
    last + period <= now + interval + interval / 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scrape_is_prepared_for_only_when_it_is_due() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let ms = Duration::from_millis;
        // (since the last scrape, scrape period, poll interval, encode now?)
        for (since, period, interval, want) in [
            // Prometheus every 15 s, polls every second: only the poll before the scrape.
            (s(5), Some(s(15)), s(1), false),
            (s(13), Some(s(15)), s(1), false),
            (ms(13_600), Some(s(15)), s(1), true),
            (s(14), Some(s(15)), s(1), true),
            // Late: keep it ready until it comes.
            (s(20), Some(s(15)), s(1), true),
            // Gone.
            (s(80), Some(s(15)), s(1), false),
            // Scrapes as often as polls: every poll.
            (ms(100), Some(s(1)), s(1), true),
            (ms(100), Some(ms(500)), s(1), true),
            // One scrape seen: every poll for a while.
            (s(2), None, s(1), true),
            (s(31), None, s(1), false),
        ] {
            let now = t0 + since;
            assert_eq!(
                scrape_due(t0, period, now, interval),
                want,
                "{since:?} after a scrape every {period:?}, polling every {interval:?}"
            );
        }
    }

    #[test]
    fn simultaneous_scrapes_do_not_make_a_period() {
        let t0 = Instant::now();
        let mut slot = Slot::default();
        slot.record_scrape(t0);
        slot.record_scrape(t0 + Duration::from_millis(5));
        assert_eq!(slot.period, None);
        slot.record_scrape(t0 + Duration::from_secs(15));
        assert_eq!(slot.period, Some(Duration::from_secs(15)));
    }
}

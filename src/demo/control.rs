//! What each [`DemoHandle`](super::DemoHandle) command does to the running engine: producer
//! settings (through the producer's `watch`), bursts, and the worker pool.

use super::api::{Command, DemoEventKind};
use super::engine::Engine;
use super::job::WorkDist;
use super::producer::ProducerSettings;

impl Engine {
    pub(super) async fn apply(&mut self, command: Command) {
        match command {
            Command::SpawnWorker => {
                if let Err(error) = self.spawn_worker().await {
                    self.emit(DemoEventKind::Error {
                        message: format!("{error:#}"),
                    });
                }
            }
            Command::StopWorker => {
                if let Some(worker) = self.pool.stop_one() {
                    self.emit(DemoEventKind::WorkerStopped { name: worker.name });
                }
            }
            Command::KillWorker => {
                if let Some(worker) = self.pool.kill_one() {
                    self.emit(DemoEventKind::WorkerKilled {
                        name: worker.name,
                        pid: worker.pid,
                    });
                }
            }
            Command::SetRate(rate) => self.set_rate(rate),
            Command::ScaleRate(factor) => {
                let rate = scaled_rate(self.settings.borrow().rate_per_s, factor);
                self.set_rate(rate);
            }
            Command::Burst(n) => {
                let _ = self.bursts.send(n);
                self.emit(DemoEventKind::Burst { n });
            }
            Command::SetWorkMs(ms) => {
                let ms = if ms.is_finite() { ms.max(0.0) } else { 0.0 };
                self.change(format!("work {ms:.0} ms per job"), |s| {
                    s.work_ms_mean = Some(ms)
                });
            }
            Command::ToggleWorkDist => {
                let dist = self
                    .settings
                    .borrow()
                    .work_dist
                    .unwrap_or_default()
                    .toggled();
                let words = match dist {
                    WorkDist::Fixed => "work times fixed",
                    WorkDist::Exp => "work times exponential",
                };
                self.change(words.to_string(), |s| s.work_dist = Some(dist));
            }
            Command::SetFailRate(p) => {
                let p = if p.is_finite() {
                    p.clamp(0.0, 1.0)
                } else {
                    0.0
                };
                self.change(format!("failure rate {:.0}%", p * 100.0), |s| {
                    s.fail_rate = Some(p)
                });
            }
            Command::TogglePoison => {
                let on = !self.settings.borrow().poison;
                let words = if on {
                    "poison jobs on"
                } else {
                    "poison jobs off"
                };
                self.change(words.to_string(), |s| s.poison = on);
            }
            Command::SetConcurrency(n) => {
                self.pool.set_concurrency(n);
                let n = self.pool.concurrency();
                self.change(format!("concurrency {n} for new workers"), |_| {});
            }
            Command::Shutdown(_) => {}
        }
    }

    fn set_rate(&mut self, rate: f64) {
        let rate = if rate.is_finite() { rate.max(0.0) } else { 0.0 };
        self.settings.send_modify(|s| s.rate_per_s = rate);
        self.emit(DemoEventKind::RateChanged { rate });
    }

    fn change(&mut self, change: String, edit: impl FnOnce(&mut ProducerSettings)) {
        self.settings.send_modify(edit);
        let settings = self.settings.borrow().clone();
        let concurrency = self.pool.concurrency();
        self.emit(DemoEventKind::SettingsChanged {
            settings,
            concurrency,
            change,
        });
    }
}

/// One `rate_up`/`rate_down` step: ×factor, from 0 up to 1 job/s, below 1 job/s down to 0;
/// rounded to 0.1 so repeated steps read well.
pub fn scaled_rate(rate: f64, factor: f64) -> f64 {
    let next = if rate <= 0.0 && factor > 1.0 {
        1.0
    } else {
        rate * factor
    };
    if next < 1.0 && factor < 1.0 {
        0.0
    } else {
        (next * 10.0).round() / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_steps() {
        assert_eq!(scaled_rate(0.0, 1.5), 1.0);
        assert_eq!(scaled_rate(1.0, 1.5), 1.5);
        assert_eq!(scaled_rate(40.0, 1.5), 60.0);
        assert_eq!(scaled_rate(60.0, 1.0 / 1.5), 40.0);
        assert_eq!(scaled_rate(1.2, 1.0 / 1.5), 0.0);
        assert_eq!(scaled_rate(0.0, 1.0 / 1.5), 0.0);
    }
}

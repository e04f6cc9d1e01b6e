//! A mixed Redis (BullMQ, Sidekiq, RQ) in the queues table, key → state: `s` cycles through
//! the columns the table has, and only those.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixtures_mixed::mixed_app_after;
use super::rows::Column;
use super::*;
use crate::model::System;

fn sort_cycle(app: &mut App) -> Vec<Column> {
    let start = app.sort.column;
    let mut seen = Vec::new();
    loop {
        app.update(Action::Key(KeyEvent::new(
            KeyCode::Char('s'),
            KeyModifiers::NONE,
        )));
        if app.sort.column == start {
            return seen;
        }
        seen.push(app.sort.column);
    }
}

#[test]
fn s_cycles_through_the_columns_the_table_has() {
    let mut mixed = mixed_app_after(5, false);
    let cycle = sort_cycle(&mut mixed);
    assert!(cycle.contains(&Column::System), "{cycle:?}");
    assert!(cycle.contains(&Column::Retry), "{cycle:?}");
    assert!(!cycle.contains(&Column::Reserved), "{cycle:?}");
    assert!(!cycle.contains(&Column::Node), "{cycle:?}");
    let mut with_celery = mixed_app_after(5, true);
    assert!(sort_cycle(&mut with_celery).contains(&Column::Reserved));
    let mut bullmq = fixtures::app_after(5);
    let cycle = sort_cycle(&mut bullmq);
    for absent in [
        Column::System,
        Column::Retry,
        Column::Reserved,
        Column::Node,
    ] {
        assert!(!cycle.contains(&absent), "{absent:?} in {cycle:?}");
    }
    assert_eq!(cycle.len(), Column::ALL.len() - 5);
}

#[test]
fn sorting_by_system_groups_the_queues_by_system() {
    let mut app = mixed_app_after(5, false);
    while app.sort.column != Column::System {
        app.update(Action::Key(KeyEvent::new(
            KeyCode::Char('s'),
            KeyModifiers::NONE,
        )));
    }
    let systems: Vec<_> = app
        .visible
        .iter()
        .map(|&i| app.view.rows[i].key().system)
        .collect();
    let mut sorted = systems.clone();
    sorted.sort();
    assert_eq!(systems, sorted);
}

/// A quiet Sidekiq process (or a suspended RQ worker) is listed and counted (as JSON counts
/// it) but takes no job: a queue left with only such workers says so.
#[test]
fn quiet_workers_are_listed_but_do_not_consume() {
    use super::fixtures::T0_MS;
    use super::fixtures_mixed::mixed_report;
    use crate::model::{QueueKey, System};
    let default = QueueKey::new(System::Sidekiq, "", "default");
    let mut app = mixed_app_after(3, false);
    let row = |app: &App| {
        app.view
            .rows
            .iter()
            .find(|r| *r.key() == default)
            .cloned()
            .unwrap_or_default()
    };
    // app-1 (busy) and app-2 (quiet) both serve default.
    assert_eq!(row(&app).workers, Some(2));
    assert_eq!(row(&app).resting_workers, 1);
    assert_eq!(row(&app).consumer_warning(), None);
    // app-1 leaves: only the quiet one is left.
    let mut report = mixed_report(3, false);
    report.workers.retain(|w| !w.name.starts_with("app-1:"));
    app.update(Action::Tick(T0_MS + 3_000));
    app.update(Action::Source(crate::source::SourceEvent::Report(
        Box::new(report),
    )));
    let now = row(&app);
    assert_eq!((now.workers, now.resting_workers), (Some(1), 1));
    assert_eq!(
        now.consumer_warning().as_deref(),
        Some("42 jobs waiting; its only worker is quiet: it takes no new jobs")
    );
    // Still listed in the workers pane, as quiet.
    assert!(app
        .view
        .workers
        .rows
        .iter()
        .any(|w| w.name.starts_with("app-2:") && w.state.as_deref() == Some("quiet")));
}

/// A report that leaves unchanged BullMQ readings out: a BullMQ queue missing from it stays
/// (recorded again, as it was), one listed gone leaves, and any other system's queue
/// missing from it is gone as before (those readers always send every queue).
#[test]
fn a_report_without_unchanged_readings_keeps_them_and_drops_the_gone() {
    use super::fixtures_mixed::mixed_report;
    let mut app = mixed_app_after(5, false);
    let before = app.view.rows.clone();
    let bull: Vec<QueueKey> = before
        .iter()
        .filter(|r| r.key().system == System::Bullmq)
        .map(|r| r.key().clone())
        .collect();
    assert!(bull.len() >= 2, "{bull:?}");
    let mut report = mixed_report(5, false);
    report.taken_at_ms = fixtures::T0_MS + 5_000;
    report.unchanged_omitted = true;
    // Every BullMQ reading left out, the first BullMQ queue gone, one Sidekiq queue gone.
    report.queues.retain(|q| q.key.system != System::Bullmq);
    report.gone = vec![bull[0].clone()];
    let dropped_sidekiq = report
        .queues
        .iter()
        .position(|q| q.key.system == System::Sidekiq)
        .map(|i| report.queues.remove(i).key)
        .unwrap();
    app.update(Action::Source(SourceEvent::Report(Box::new(report))));
    let keys: Vec<&QueueKey> = app.view.rows.iter().map(|r| r.key()).collect();
    assert!(!keys.contains(&&bull[0]), "gone: {keys:?}");
    assert!(!keys.contains(&&dropped_sidekiq), "gone: {keys:?}");
    for kept in &bull[1..] {
        let row = app.view.rows.iter().find(|r| r.key() == kept).unwrap();
        let was = before.iter().find(|r| r.key() == kept).unwrap();
        assert_eq!(row.counts(), was.counts(), "{kept}");
        assert_eq!(row.paused, was.paused, "{kept}");
    }
}

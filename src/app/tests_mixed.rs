//! A mixed Redis (BullMQ, Sidekiq, RQ) in the queues table, key → state: `s` cycles through
//! the columns the table has, and only those.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixtures_mixed::mixed_app_after;
use super::rows::Column;
use super::*;

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
        .map(|&i| app.view.rows[i].key.system)
        .collect();
    let mut sorted = systems.clone();
    sorted.sort();
    assert_eq!(systems, sorted);
}

//! The dead-letter pane, key → action → state, without a terminal or Redis: what it asks
//! the reader for, paging, marks, the confirm flow and read-only refusals.

use crossterm::event::KeyCode;

use super::dlq_fixtures::{dead_letters_app, press, press_served, serve, FAILED_TOTAL};
use super::*;
use crate::actions::dead_letters::Outcome;
use crate::actions::dlq_op::{DlqDone, DlqOp, DlqRequest, DlqResult, DlqScope};
use crate::model::QueueKey;
use crate::source::dead_letters::DlqSet;

fn billing() -> QueueKey {
    QueueKey::bullmq("bull", "billing")
}

fn dl(app: &App) -> &dlq::DeadLetters {
    app.dead_letters.as_ref().expect("the pane is open")
}

fn wants(effects: &[Effect]) -> Vec<&DlqWant> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::WantDeadLetters(w) => Some(w),
            _ => None,
        })
        .collect()
}

fn actions(effects: &[Effect]) -> Vec<&DlqRequest> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::DeadLetterAction(r) => Some(r),
            _ => None,
        })
        .collect()
}

#[test]
fn d_opens_the_selected_queue_and_asks_for_the_visible_page() {
    let mut app = fixtures::app_after(5);
    app.update(Action::Resize(80, 24));
    app.selected = Some(fixtures::key("billing"));
    let effects = press(&mut app, KeyCode::Char('d'));
    assert_eq!(app.mode, Mode::DeadLetters);
    let page_size = super::layout::dlq_list_rows(app.dlq_screen()) as u64;
    assert_eq!(page_size, 18);
    assert_eq!(
        wants(&effects),
        vec![&DlqWant {
            seq: 1,
            queue: Some(billing()),
            offset: 0,
            limit: page_size,
            detail: None,
            groups: false,
            set: DlqSet::Dead,
        }]
    );
    // Esc goes back where it came from.
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Dashboard);
    assert!(app.dead_letters.is_none());
}

#[test]
fn paging_moves_the_offset_and_stale_answers_are_dropped() {
    let mut app = dead_letters_app(80, 24);
    assert_eq!(dl(&app).shown().len(), 18);
    let effects = press(&mut app, KeyCode::PageDown);
    let want = wants(&effects)[0].clone();
    assert_eq!((want.offset, want.limit), (18, 18));
    // Until the page arrives nothing stale is shown.
    assert!(dl(&app).shown().is_empty());
    // An answer to an older want is ignored.
    let old = super::dlq_fixtures::answers(
        &DlqWant {
            seq: want.seq - 1,
            ..want.clone()
        },
        FAILED_TOTAL,
        app.now_ms,
    );
    for answer in old {
        app.update(Action::DeadLetters(answer));
    }
    assert!(dl(&app).shown().is_empty());
    serve(&mut app, effects, FAILED_TOTAL);
    assert_eq!(dl(&app).shown()[0].id, "1039");
    // Down past the last row reads the next page; Up past the first goes back, to its end.
    for _ in 0..18 {
        press_served(&mut app, KeyCode::Down);
    }
    assert_eq!((dl(&app).offset, dl(&app).row), (36, 0));
    press_served(&mut app, KeyCode::Up);
    assert_eq!((dl(&app).offset, dl(&app).row), (18, 17));
    press_served(&mut app, KeyCode::End);
    assert_eq!(dl(&app).offset, FAILED_TOTAL - 18);
    assert_eq!(dl(&app).selected_job().map(|j| j.id.as_str()), Some("1001"));
    press_served(&mut app, KeyCode::PageDown);
    assert_eq!(dl(&app).offset, FAILED_TOTAL - 18, "no page after the last");
    press_served(&mut app, KeyCode::Home);
    assert_eq!((dl(&app).offset, dl(&app).row), (0, 0));
}

#[test]
fn the_filter_narrows_the_loaded_page_only() {
    let mut app = dead_letters_app(80, 24);
    press(&mut app, KeyCode::Char('/'));
    assert_eq!(app.mode, Mode::Filter);
    for c in "timeout".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::DeadLetters);
    let shown = dl(&app).shown();
    assert_eq!(shown.len(), 6);
    assert!(shown.iter().all(|j| j.failed_reason.contains("timeout")));
    assert!(app.filter.is_empty(), "the queues filter is untouched");
    // Esc clears the filter first, then leaves.
    press(&mut app, KeyCode::Esc);
    assert_eq!((app.mode, dl(&app).shown().len()), (Mode::DeadLetters, 18));
}

#[test]
fn enter_opens_the_detail_and_esc_returns_to_the_list() {
    let mut app = dead_letters_app(80, 24);
    press_served(&mut app, KeyCode::Down);
    let effects = press(&mut app, KeyCode::Enter);
    assert_eq!(app.mode, Mode::DeadLetterDetail);
    assert_eq!(wants(&effects)[0].detail.as_deref(), Some("1056"));
    serve(&mut app, effects, FAILED_TOTAL);
    let detail = dl(&app).detail.as_ref().and_then(|d| d.answer.clone());
    assert_eq!(detail.flatten().map(|d| d.stacktrace.len()), Some(3));
    press(&mut app, KeyCode::PageDown);
    assert!(dl(&app).detail.as_ref().is_some_and(|d| d.scroll > 0));
    let effects = press(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::DeadLetters);
    assert_eq!(wants(&effects)[0].detail, None);
}

#[test]
fn marks_collect_across_pages_and_retry_asks_with_the_count() {
    let mut app = dead_letters_app(80, 24);
    press_served(&mut app, KeyCode::Char(' '));
    press_served(&mut app, KeyCode::Char(' '));
    press_served(&mut app, KeyCode::PageDown);
    press_served(&mut app, KeyCode::Char(' '));
    assert_eq!(dl(&app).marks.len(), 3);
    // Space on a marked job unmarks it.
    press_served(&mut app, KeyCode::Up);
    press_served(&mut app, KeyCode::Char(' '));
    assert_eq!(dl(&app).marks.len(), 2);
    press_served(&mut app, KeyCode::Char(' '));
    let effects = press(&mut app, KeyCode::Char('r'));
    assert!(effects.is_empty(), "asks first");
    assert_eq!(app.mode, Mode::Confirm);
    let question = app.confirm.as_ref().map(|c| c.question.clone());
    assert_eq!(
        question.as_deref(),
        Some("Retry 3 failed jobs of bull:billing (marked)")
    );
    let effects = press(&mut app, KeyCode::Char('y'));
    assert_eq!(app.mode, Mode::DeadLetters);
    let requests = actions(&effects);
    assert_eq!(requests.len(), 1);
    let DlqOp::Retry(DlqScope::Jobs(ids)) = &requests[0].op else {
        panic!("{:?}", requests[0]);
    };
    assert_eq!(ids.len(), 3);
    assert_eq!(
        dl(&app).notice.as_ref().map(|n| n.text.as_str()),
        Some("retrying …")
    );
}

#[test]
fn one_retry_runs_at_once_and_its_outcome_is_shown_and_reread() {
    let mut app = dead_letters_app(80, 24);
    let effects = press(&mut app, KeyCode::Char('r'));
    let request = actions(&effects)[0].clone();
    assert_eq!(
        request.op,
        DlqOp::Retry(DlqScope::Jobs(vec!["1057".into()]))
    );
    // A second action waits for the first.
    press(&mut app, KeyCode::Char('e'));
    assert!(dl(&app).notice.as_ref().is_some_and(|n| n.error));
    let seq = dl(&app).seq;
    let effects = app.update(Action::ActionDone(DlqDone {
        request,
        result: Ok(DlqResult::Changed(Outcome {
            requested: 1,
            done: 1,
            skipped: Vec::new(),
        })),
    }));
    assert_eq!(
        dl(&app).notice.as_ref().map(|n| n.text.as_str()),
        Some("retried 1 of 1")
    );
    assert_eq!(wants(&effects)[0].seq, seq + 1, "re-read");
}

#[test]
fn bulk_and_destructive_actions_confirm_and_n_or_esc_cancel() {
    let mut app = dead_letters_app(80, 24);
    press(&mut app, KeyCode::Char('X'));
    assert_eq!(app.mode, Mode::Confirm);
    assert_eq!(
        app.confirm.as_ref().map(|c| c.question.as_str()),
        Some("Delete all 57 failed jobs of bull:billing")
    );
    assert!(press(&mut app, KeyCode::Char('n')).is_empty());
    assert_eq!((app.mode, app.confirm.is_none()), (Mode::DeadLetters, true));
    press(&mut app, KeyCode::Char('x'));
    assert_eq!(
        app.confirm.as_ref().map(|c| c.question.as_str()),
        Some("Delete failed job 1057 of bull:billing")
    );
    // Other keys do nothing; Esc cancels.
    assert!(press(&mut app, KeyCode::Char('q')).is_empty());
    assert_eq!(app.mode, Mode::Confirm);
    assert!(press(&mut app, KeyCode::Esc).is_empty());
    assert_eq!(app.mode, Mode::DeadLetters);
    press(&mut app, KeyCode::Char('R'));
    let effects = press(&mut app, KeyCode::Char('y'));
    assert_eq!(
        actions(&effects),
        vec![&DlqRequest {
            queue: billing(),
            op: DlqOp::Retry(DlqScope::All),
            set: DlqSet::Dead,
        }]
    );
}

#[test]
fn groups_view_acts_on_the_selected_group() {
    let mut app = dead_letters_app(80, 24);
    let effects = press(&mut app, KeyCode::Char('g'));
    assert_eq!(app.mode, Mode::DeadLetterGroups);
    assert!(wants(&effects)[0].groups);
    serve(&mut app, effects, FAILED_TOTAL);
    let groups = dl(&app)
        .groups
        .as_ref()
        .map(|g| g.groups.clone())
        .unwrap_or_default();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0].reason, "card declined for order <n>");
    press(&mut app, KeyCode::Char('r'));
    assert_eq!(
        app.confirm.as_ref().map(|c| c.question.as_str()),
        Some("Retry 38 failed jobs of bull:billing (group: card declined for order <n>)")
    );
    let effects = press(&mut app, KeyCode::Char('y'));
    assert_eq!(
        actions(&effects)[0].op,
        DlqOp::Retry(DlqScope::Group {
            id: groups[0].id.clone()
        })
    );
    press_served(&mut app, KeyCode::Char('g'));
    assert_eq!(app.mode, Mode::DeadLetters);
}

#[test]
fn read_only_refuses_writes_with_a_message_and_no_effect() {
    let mut app = dead_letters_app(80, 24);
    app.read_only = true;
    for key in ['r', 'R', 'x', 'X'] {
        let effects = press(&mut app, KeyCode::Char(key));
        assert!(effects.is_empty(), "{key}");
        assert_eq!(app.mode, Mode::DeadLetters, "{key}: no confirm");
        let notice = dl(&app).notice.clone().expect("a notice");
        assert!(
            notice.error && notice.text.starts_with("read-only:"),
            "{notice:?}"
        );
    }
    press(&mut app, KeyCode::Delete);
    assert!(app.confirm.is_none());
    // Reading and exporting still work.
    let effects = press(&mut app, KeyCode::Char('e'));
    let DlqOp::Export { file } = &actions(&effects)[0].op else {
        panic!("{effects:?}");
    };
    assert_eq!(
        file.to_string_lossy(),
        "qtop-dlq-billing-20261128T090159Z.jsonl"
    );
    assert_eq!(app.unavailable(Command::Retry), Some("read-only"));
    assert_eq!(app.unavailable(Command::Export), None);
}

#[test]
fn a_deleted_detail_closes_and_an_emptied_page_moves_back() {
    let mut app = dead_letters_app(80, 24);
    press_served(&mut app, KeyCode::End);
    press_served(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('x'));
    let effects = press(&mut app, KeyCode::Char('y'));
    let request = actions(&effects)[0].clone();
    let effects = app.update(Action::ActionDone(DlqDone {
        request,
        result: Ok(DlqResult::Changed(Outcome {
            requested: 1,
            done: 1,
            skipped: Vec::new(),
        })),
    }));
    assert_eq!(app.mode, Mode::DeadLetters);
    // The set shrank under the page: the pane goes to the new last page.
    serve(&mut app, effects, 10);
    assert_eq!(dl(&app).offset, 0);
    assert_eq!(dl(&app).shown().len(), 10);
}

#[test]
fn a_moved_failed_count_rereads_once_and_the_wheel_moves() {
    let mut app = dead_letters_app(80, 24);
    // The fixture's poller says billing has 4 failed jobs; the pane read 57.
    let report = |n| {
        Action::Source(crate::source::SourceEvent::Report(Box::new(
            fixtures::report(n),
        )))
    };
    let effects = app.update(report(121));
    assert_eq!(wants(&effects).len(), 1, "re-read");
    assert!(
        app.update(report(122)).is_empty(),
        "asked once for this count"
    );
    serve(&mut app, effects, 4);
    assert!(app.update(report(123)).is_empty(), "in step");
    assert_eq!(dl(&app).shown().len(), 4);
    let wheel = |kind| {
        Action::Mouse(crossterm::event::MouseEvent {
            kind,
            column: 10,
            row: 5,
            modifiers: crossterm::event::KeyModifiers::NONE,
        })
    };
    app.update(wheel(crossterm::event::MouseEventKind::ScrollDown));
    app.update(wheel(crossterm::event::MouseEventKind::ScrollDown));
    assert_eq!(dl(&app).row, 2);
    app.update(wheel(crossterm::event::MouseEventKind::ScrollUp));
    assert_eq!(dl(&app).row, 1);
}

/// Sidekiq's dead-letter pane: `v` shows its retry set (failed attempts that will run
/// again) from the top, and actions there act on that set.
#[test]
fn v_shows_a_sidekiq_queue_s_retry_set_and_acts_on_it() {
    let mut app = super::fixtures_mixed::mixed_app_after(10, false);
    app.zone = crate::model::clock::Zone::Utc;
    app.update(Action::Resize(120, 30));
    let sidekiq = QueueKey::new(crate::model::System::Sidekiq, "", "default");
    app.selected = Some(sidekiq.clone());
    press_served(&mut app, KeyCode::Char('d'));
    assert_eq!(dl(&app).set_name(), "dead letters");
    assert_eq!(app.unavailable(Command::ToggleRetrySet), None);
    press_served(&mut app, KeyCode::PageDown);
    let effects = press(&mut app, KeyCode::Char('v'));
    let want = wants(&effects)[0].clone();
    assert_eq!((want.set, want.offset), (DlqSet::Retry, 0));
    assert_eq!(want.queue.as_ref(), Some(&sidekiq));
    serve(&mut app, effects, FAILED_TOTAL);
    assert_eq!(dl(&app).set_name(), "retry set");
    press(&mut app, KeyCode::Char('R'));
    assert!(app
        .confirm
        .as_ref()
        .is_some_and(|c| c.question.ends_with("in its retry set")));
    let effects = press(&mut app, KeyCode::Char('y'));
    assert_eq!(
        actions(&effects),
        vec![&DlqRequest {
            queue: sidekiq,
            op: DlqOp::Retry(DlqScope::All),
            set: DlqSet::Retry,
        }]
    );
    // And back to the dead set.
    let effects = press(&mut app, KeyCode::Char('v'));
    assert_eq!(wants(&effects)[0].set, DlqSet::Dead);
}

#[test]
fn v_on_a_queue_without_a_retry_set_says_so() {
    let mut app = dead_letters_app(80, 24);
    assert_eq!(
        app.unavailable(Command::ToggleRetrySet),
        Some("Sidekiq only")
    );
    let effects = press(&mut app, KeyCode::Char('v'));
    assert!(wants(&effects).is_empty());
    assert_eq!(dl(&app).set, DlqSet::Dead);
    assert!(dl(&app)
        .notice
        .as_ref()
        .is_some_and(|n| n.text == "bullmq keeps no retry set: failed jobs are its dead letters"));
}

//! Tables with CJK and emoji names line up by display width: every row's cells start in the
//! same terminal column as their title, whatever the names are made of.

use ratatui::buffer::Buffer;

use crate::app::fixtures::{report, T0_MS};
use crate::app::{Action, App};
use crate::model::PollReport;
use crate::source::SourceEvent;

/// The fixture system with `orders` renamed to a CJK and emoji name, on its queue and its
/// workers alike.
fn renamed(n: u64, name: &str) -> PollReport {
    let mut r = report(n);
    for q in &mut r.queues {
        if q.key.name == "orders" {
            q.key.name = name.into();
        }
    }
    for w in r.workers.iter_mut().filter(|w| w.queue == "orders") {
        w.queue = name.to_string();
        w.name = format!("{name}-{}", w.name);
    }
    for (key, _) in &mut r.heartbeats {
        if key.name == "orders" {
            key.name = name.into();
        }
    }
    r
}

fn app(name: &str) -> App {
    let mut app = App::new(
        "redis://cache.internal:6379",
        std::time::Duration::from_secs(1),
        T0_MS,
    );
    app.update(Action::Source(SourceEvent::Connected {
        redis_version: "7.2.4".into(),
    }));
    for n in 0..5 {
        app.update(Action::Tick(T0_MS + n as i64 * 1000));
        app.update(Action::Source(SourceEvent::Report(Box::new(renamed(
            n, name,
        )))));
    }
    app
}

fn buffer(app: &App, width: u16, height: u16) -> Buffer {
    let backend = ratatui::backend::TestBackend::new(width, height);
    let Ok(mut terminal) = ratatui::Terminal::new(backend);
    let _ = terminal.draw(|frame| super::render(frame, app));
    terminal.backend().buffer().clone()
}

/// The line `y` as cells, one per terminal column (a wide character's second is blank).
fn cells(buf: &Buffer, y: u16) -> Vec<String> {
    (0..buf.area.width)
        .map(|x| buf[(x, y)].symbol().to_string())
        .collect()
}

/// The column where `word` starts on line `y`, counting terminal columns.
fn column_of(buf: &Buffer, y: u16, word: &str) -> Option<usize> {
    let line = cells(buf, y);
    let first = word.chars().next()?.to_string();
    (0..line.len()).find(|&x| {
        line[x] == first
            && word
                .chars()
                .enumerate()
                .all(|(i, c)| line.get(x + i).is_some_and(|s| *s == c.to_string()))
    })
}

/// The line `y` as text: the cell a wide character covers is left out.
fn line_text(buf: &Buffer, y: u16) -> String {
    let line = cells(buf, y);
    let mut text = String::new();
    let mut x = 0;
    while x < line.len() {
        text.push_str(&line[x]);
        x += crate::text::width(&line[x]).max(1);
    }
    text
}

#[test]
fn the_queues_table_lines_up_cjk_and_emoji_names() {
    for name in ["队列-📦", "📦📦📦", "очередь"] {
        let app = app(name);
        let buf = buffer(&app, 120, 40);
        let header = (0..40)
            .find(|&y| line_text(&buf, y).contains("QUEUE") && line_text(&buf, y).contains("WAIT"))
            .unwrap_or_else(|| panic!("no table header"));
        let wait = column_of(&buf, header, "WAIT").unwrap_or_else(|| panic!("no WAIT"));
        let rows: Vec<u16> = (header + 1..header + 6).collect();
        assert!(
            rows.iter().any(|&y| line_text(&buf, y).contains(name)),
            "{name} not listed:\n{}",
            (0..40)
                .map(|y| line_text(&buf, y))
                .collect::<Vec<_>>()
                .join("\n")
        );
        for y in rows {
            let line = cells(&buf, y);
            // The waiting count starts under its title, after a blank gap.
            assert_eq!(line[wait - 1], " ", "row {y}: {}", line_text(&buf, y));
            assert!(
                line[wait].chars().all(|c| c.is_ascii_digit()),
                "{name}: row {y} is not aligned: {}",
                line_text(&buf, y)
            );
        }
    }
}

#[test]
fn the_workers_pane_lines_up_cjk_and_emoji_names() {
    let mut app = app("队列-📦");
    app.update(Action::Resize(200, 50));
    let buf = buffer(&app, 200, 50);
    let header = (0..50)
        .find(|&y| line_text(&buf, y).contains("NAME") && line_text(&buf, y).contains("STATE"))
        .unwrap_or_else(|| panic!("no workers header"));
    let state = column_of(&buf, header, "STATE").unwrap_or_else(|| panic!("no STATE"));
    let mut seen = 0;
    for y in header + 1..header + 8 {
        let line = cells(&buf, y);
        if !line_text(&buf, y).contains("队列-📦") {
            continue;
        }
        seen += 1;
        assert_eq!(line[state - 1], " ", "{}", line_text(&buf, y));
        assert!(
            ["ok", "stale", "gone"]
                .iter()
                .any(|s| line[state..].concat().starts_with(s)),
            "row {y} is not aligned: {}",
            line_text(&buf, y)
        );
    }
    assert!(seen >= 2, "the renamed workers are listed");
}

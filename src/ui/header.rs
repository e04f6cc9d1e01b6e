//! The top line: which context, where, what, how often, and whether it works (and, for a
//! few seconds, what was just copied). Parts drop out, least
//! important first, when the terminal is narrow.

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::format;
use super::theme::Theme;
use crate::app::{App, Connection};
use crate::model::ClusterReading;

fn interval(app: &App) -> String {
    let ms = app.interval.as_millis() as i64;
    if ms >= 1000 && ms % 1000 == 0 {
        format::window(ms)
    } else {
        format::millis(ms as f64)
    }
}

/// The header's parts with their rank (1 = kept longest).
fn parts(app: &App, theme: Theme) -> Vec<(u8, Span<'static>)> {
    let mut parts = vec![(6, Span::styled("qtop", theme.title()))];
    // The context in force (the config file's): the first thing to know before acting.
    if let Some(name) = &app.context {
        let text = if app.read_only {
            format!("context {name} (read-only)")
        } else {
            format!("context {name}")
        };
        parts.push((1, Span::styled(text, theme.title())));
    }
    // `target` is RedisTarget::display(): the password is never in it.
    parts.push((2, Span::raw(app.target.clone())));
    if let Some(version) = &app.redis_version {
        parts.push((4, Span::raw(format!("redis {version}"))));
    }
    if let Some(cluster) = &app.cluster {
        parts.push((2, cluster_part(cluster, theme)));
    }
    parts.push((5, Span::raw(format!("every {}", interval(app)))));
    parts.push((
        1,
        match &app.connection {
            Connection::Connected => Span::styled("● connected", theme.good()),
            Connection::Connecting { attempt } if *attempt > 1 => {
                Span::styled(format!("◌ connecting (try {attempt})"), theme.warn())
            }
            Connection::Connecting { .. } => Span::styled("◌ connecting", theme.warn()),
            Connection::Disconnected { .. } => Span::styled("✖ disconnected", theme.bad()),
        },
    ));
    if let Some(poll) = &app.last_poll {
        parts.push((
            3,
            Span::raw(format!(
                "poll {} rt {}",
                poll.round_trips,
                format::millis(poll.duration_ms)
            )),
        ));
    }
    if let Some(note) = app.flash() {
        parts.push((1, Span::styled(note.to_string(), theme.good())));
    }
    if app.frozen_at_ms.is_some() {
        parts.push((
            1,
            Span::styled(
                " FROZEN ",
                theme
                    .warn()
                    .add_modifier(Modifier::REVERSED | Modifier::BOLD),
            ),
        ));
    }
    parts
}

/// `cluster 3/3 masters up · 3 replicas · 1 down`: red while a master that serves slots is
/// down (its queues cannot be read until a replica takes over), yellow while any node is.
fn cluster_part(cluster: &ClusterReading, theme: Theme) -> Span<'static> {
    let serving = || cluster.masters().filter(|n| n.slots > 0);
    let masters = serving().count();
    let masters_up = serving().filter(|n| n.up).count();
    let replicas = cluster.nodes.iter().filter(|n| n.role != "master").count();
    let down = cluster.nodes.iter().filter(|n| !n.up).count();
    let mut text = format!("cluster {masters_up}/{masters} masters up");
    if replicas > 0 {
        text.push_str(&format!(" · {replicas} replicas"));
    }
    if down > 0 {
        let mut names: Vec<&str> = cluster
            .nodes
            .iter()
            .filter(|n| !n.up)
            .map(|n| n.addr.as_str())
            .take(2)
            .collect();
        if down > names.len() {
            names.push("…");
        }
        text.push_str(&format!(" · {down} down: {}", names.join(", ")));
    }
    if cluster.uncovered_slots > 0 {
        text.push_str(&format!(" · {} slots unserved", cluster.uncovered_slots));
    }
    let style = if cluster.uncovered_slots > 0 || masters_up < masters {
        theme.bad()
    } else if down > 0 {
        theme.warn()
    } else {
        theme.good()
    };
    Span::styled(text, style)
}

pub fn line(app: &App, theme: Theme, width: u16) -> Line<'static> {
    let mut parts = parts(app, theme);
    let sep = " │ ";
    let total = |parts: &[(u8, Span)]| {
        parts.iter().map(|(_, s)| s.width()).sum::<usize>()
            + parts.len().saturating_sub(1) * sep.chars().count()
    };
    while total(&parts) > width as usize && parts.len() > 1 {
        let Some(worst) = parts
            .iter()
            .enumerate()
            .max_by_key(|(i, (rank, _))| (*rank, *i))
            .map(|(i, _)| i)
        else {
            break;
        };
        parts.remove(worst);
    }
    let mut spans = Vec::new();
    for (i, (_, span)) in parts.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(sep, theme.dim()));
        }
        spans.push(span);
    }
    Line::from(spans)
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    frame.render_widget(Paragraph::new(line(app, theme, area.width)), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ClusterNodeReading;

    fn node(addr: &str, role: &str, up: bool, slots: usize) -> ClusterNodeReading {
        ClusterNodeReading {
            addr: addr.into(),
            role: role.into(),
            up,
            slots,
            replica_of: None,
        }
    }

    #[test]
    fn the_cluster_part_counts_masters_up_and_flags_losses() {
        let theme = Theme { color: true };
        let healthy = ClusterReading {
            nodes: vec![
                node("a:1", "master", true, 5461),
                node("a:2", "master", true, 5462),
                node("a:3", "master", true, 5461),
                node("a:4", "replica", true, 0),
                node("a:5", "replica", true, 0),
                node("a:6", "replica", true, 0),
            ],
            uncovered_slots: 0,
        };
        let span = cluster_part(&healthy, theme);
        assert_eq!(span.content, "cluster 3/3 masters up · 3 replicas");
        assert_eq!(span.style, theme.good());

        // A master died and its replica has not taken over yet.
        let mut failing = healthy.clone();
        failing.nodes[0].up = false;
        let span = cluster_part(&failing, theme);
        assert_eq!(
            span.content,
            "cluster 2/3 masters up · 3 replicas · 1 down: a:1"
        );
        assert_eq!(span.style, theme.bad());

        // After the failover: the old master is a failed node without slots.
        let mut recovered = healthy;
        recovered.nodes[0] = node("a:1", "master", false, 0);
        recovered.nodes[3] = node("a:4", "master", true, 5461);
        let span = cluster_part(&recovered, theme);
        assert_eq!(
            span.content,
            "cluster 3/3 masters up · 2 replicas · 1 down: a:1"
        );
        assert_eq!(span.style, theme.warn());

        let mut lost = recovered.clone();
        lost.uncovered_slots = 100;
        assert_eq!(cluster_part(&lost, theme).style, theme.bad());
    }
}

//! One column-width calculator for every table (queues, workers, dead letters, failure
//! groups), in terminal columns (`crate::text`), never `char`s.
//!
//! Each column wants its content's width (title included) within a minimum and a maximum.
//! By priority, each takes what it wants if that fits, else all that is left if that is at
//! least its minimum (then it is cut), else it is left out: the least important go first,
//! and none is cut to make room for a less important one. A value wider than its column is
//! cut with an ellipsis: from the end, after a whole word (prose), or in the middle (names
//! whose end tells them apart). Spare width stays on the right. Pure, so the layout can size
//! a pane from what its table needs.

use std::borrow::Borrow;

use crate::text;

/// Columns between two cells.
pub const GAP: u16 = 1;

/// Where a value too long for its column loses its characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    /// `long-reas…`: the start says what it is.
    End,
    /// `qtop-…-21515`: names and addresses whose end tells them apart.
    Middle,
    /// `card declined for…`: prose, cut after its last whole word.
    Words,
}

/// How a column is sized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sizing {
    /// Narrower than this the column is left out.
    pub min: u16,
    /// Never wider than this (`u16::MAX`: as wide as its content).
    pub max: u16,
    /// 0 is placed first; the highest numbers are left out first when space runs short.
    pub priority: u8,
    pub cut: Cut,
    /// Numbers right-aligned.
    pub right: bool,
}

impl Sizing {
    pub const fn new(min: u16, max: u16, priority: u8, cut: Cut) -> Self {
        Self {
            min,
            max,
            priority,
            cut,
            right: false,
        }
    }

    pub const fn right(mut self) -> Self {
        self.right = true;
        self
    }

    /// `text` cut and padded to `width` as this column shows it.
    pub fn cell(&self, value: &str, width: u16) -> String {
        let width = width as usize;
        let fitted = match self.cut {
            Cut::End => text::fit(value, width),
            Cut::Middle => text::fit_middle(value, width),
            Cut::Words => text::fit_words(value, width),
        };
        if self.right {
            text::pad_left(&fitted, width)
        } else {
            fitted
        }
    }
}

/// The width of each column in `available` columns (`None`: left out), given the width its
/// content wants. By priority, each column takes what it wants if that fits; else all that
/// is left if that is at least its minimum (it is cut, and takes the rest: a column is never
/// cut to make room for a less important one); else it is left out and the next is tried.
/// The first by priority always shows.
pub fn widths(sizings: &[Sizing], wanted: &[u16], available: u16) -> Vec<Option<u16>> {
    let mut order: Vec<usize> = (0..sizings.len()).collect();
    order.sort_by_key(|&i| (sizings[i].priority, i));
    let mut out = vec![None; sizings.len()];
    let mut used: Option<u16> = None;
    for i in order {
        let sizing = &sizings[i];
        let want = wanted
            .get(i)
            .copied()
            .unwrap_or(0)
            .clamp(sizing.min.min(sizing.max), sizing.max);
        let left = match used {
            None => available,
            Some(u) => available.saturating_sub(u + GAP),
        };
        let width = if want <= left {
            want
        } else if sizing.min <= left || used.is_none() {
            left
        } else {
            continue;
        };
        if width == 0 {
            continue;
        }
        used = Some(used.map_or(width, |u| u + GAP + width));
        out[i] = Some(width);
    }
    out
}

/// A table column: its title, sizing and how a row shows in it (`C`: what the text needs
/// besides the row, such as the time). Adding a column to a table is one line.
pub struct Column<R, C> {
    pub title: &'static str,
    pub sizing: Sizing,
    pub text: fn(&R, &C) -> String,
}

// By hand: a derive would ask `R: Clone` and `C: Clone`, which a column never copies.
impl<R, C> Clone for Column<R, C> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R, C> Copy for Column<R, C> {}

impl<R, C> Column<R, C> {
    pub const fn new(title: &'static str, sizing: Sizing, text: fn(&R, &C) -> String) -> Self {
        Self {
            title,
            sizing,
            text,
        }
    }
}

/// A table laid out: which columns show, how wide, and every cell already cut to fit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fitted {
    /// `(index in the column list, width)` of the shown columns, in display order.
    pub columns: Vec<(usize, u16)>,
    pub titles: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// What each column wants: its title or its widest value, whichever is wider.
fn wanted(titles: &[&str], texts: &[Vec<String>]) -> Vec<u16> {
    titles
        .iter()
        .enumerate()
        .map(|(c, title)| {
            let widest = texts
                .iter()
                .filter_map(|row| row.get(c))
                .map(|t| text::width(t));
            text::width(title).max(widest.max().unwrap_or(0)) as u16
        })
        .collect()
}

fn texts<R, C>(columns: &[Column<R, C>], rows: &[impl Borrow<R>], context: &C) -> Vec<Vec<String>> {
    rows.iter()
        .map(|row| {
            let row = row.borrow();
            columns.iter().map(|c| (c.text)(row, context)).collect()
        })
        .collect()
}

/// Lay out a table given as text: one title and sizing per column, one text per cell.
pub fn fit_texts(
    titles: &[&str],
    sizings: &[Sizing],
    texts: &[Vec<String>],
    available: u16,
) -> Fitted {
    let shown: Vec<(usize, u16)> = widths(sizings, &wanted(titles, texts), available)
        .into_iter()
        .enumerate()
        .filter_map(|(i, w)| w.map(|w| (i, w)))
        .collect();
    let cell = |row: &Vec<String>, i: usize, w: u16| {
        sizings[i].cell(row.get(i).map_or("", String::as_str), w)
    };
    Fitted {
        titles: shown
            .iter()
            .map(|&(i, w)| text::fit(titles[i], w as usize))
            .collect(),
        rows: texts
            .iter()
            .map(|row| shown.iter().map(|&(i, w)| cell(row, i, w)).collect())
            .collect(),
        columns: shown,
    }
}

/// Lay `rows` out in `available` columns. All rows size the columns (not only the visible
/// ones), so widths hold still while the list scrolls.
pub fn fit<R, C>(
    columns: &[Column<R, C>],
    rows: &[impl Borrow<R>],
    context: &C,
    available: u16,
) -> Fitted {
    let titles: Vec<&str> = columns.iter().map(|c| c.title).collect();
    let sizings: Vec<Sizing> = columns.iter().map(|c| c.sizing).collect();
    fit_texts(&titles, &sizings, &texts(columns, rows, context), available)
}

/// The width the whole table wants: every column at its content's width (capped by its
/// maximum), with the gaps between them. For sizing the pane that holds it.
pub fn wanted_width<R, C>(columns: &[Column<R, C>], rows: &[impl Borrow<R>], context: &C) -> u16 {
    let titles: Vec<&str> = columns.iter().map(|c| c.title).collect();
    let wanted = wanted(&titles, &texts(columns, rows, context));
    let cells: u16 = columns
        .iter()
        .zip(&wanted)
        .map(|(c, &w)| w.clamp(c.sizing.min.min(c.sizing.max), c.sizing.max))
        .sum();
    cells + GAP * (columns.len() as u16).saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: Sizing = Sizing::new(6, 30, 0, Cut::Middle);
    const NUMBER: Sizing = Sizing::new(4, 6, 2, Cut::End);
    const NOTE: Sizing = Sizing::new(8, u16::MAX, 1, Cut::End);

    #[test]
    fn columns_take_their_content_width_and_leave_the_rest() {
        // name 13, note 10, number 4: 13 + 1 + 10 + 1 + 4 = 29 in 40.
        let w = widths(&[NAME, NOTE, NUMBER], &[13, 10, 4], 40);
        assert_eq!(w, vec![Some(13), Some(10), Some(4)]);
    }

    #[test]
    fn the_lowest_priority_goes_first_and_a_cut_column_takes_the_rest() {
        // The note wants 40 and gets the 26 left: the number (less important) goes.
        assert_eq!(
            widths(&[NAME, NOTE, NUMBER], &[13, 40, 4], 40),
            vec![Some(13), Some(26), None]
        );
        // Too narrow for the note's minimum: it goes, the number still fits.
        assert_eq!(
            widths(&[NAME, NOTE, NUMBER], &[13, 40, 4], 20),
            vec![Some(13), None, Some(4)]
        );
        // The first column shows even when cut below its minimum.
        assert_eq!(
            widths(&[NAME, NOTE, NUMBER], &[13, 40, 4], 3),
            vec![Some(3), None, None]
        );
        assert_eq!(widths(&[NAME], &[13], 0), vec![None]);
    }

    #[test]
    fn maxima_cap_and_minima_floor_the_content() {
        assert_eq!(
            widths(&[NAME, NUMBER], &[50, 1], 80),
            vec![Some(30), Some(4)]
        );
    }

    struct Worker {
        name: &'static str,
        jobs: u32,
    }

    const COLUMNS: [Column<Worker, ()>; 2] = [
        Column::new("NAME", NAME, |w, _| w.name.to_string()),
        Column::new("JOBS", NUMBER.right(), |w, _| w.jobs.to_string()),
    ];

    #[test]
    fn wide_names_line_up_by_display_width() {
        let rows = [
            Worker {
                name: "队列-📦",
                jobs: 7,
            },
            Worker {
                name: "emails",
                jobs: 1234,
            },
        ];
        let fitted = fit(&COLUMNS, &rows, &(), 40);
        assert_eq!(fitted.columns, vec![(0, 7), (1, 4)]);
        assert_eq!(fitted.titles, vec!["NAME", "JOBS"]);
        // Both names take seven columns; the numbers line up on the right.
        assert_eq!(fitted.rows[0], vec!["队列-📦", "   7"]);
        assert_eq!(fitted.rows[1], vec!["emails", "1234"]);
        for row in &fitted.rows {
            assert!(text::width(&row[0]) <= 7, "{row:?}");
        }
        assert_eq!(wanted_width(&COLUMNS, &rows, &()), 7 + 1 + 4);
    }

    #[test]
    fn names_cut_in_the_middle_stay_distinguishable() {
        let rows = [
            Worker {
                name: "qtop-vm-21515",
                jobs: 1,
            },
            Worker {
                name: "qtop-vm-21516",
                jobs: 2,
            },
            Worker {
                name: "队列-📦-worker-2",
                jobs: 3,
            },
        ];
        let fitted = fit(&COLUMNS, &rows, &(), 10);
        assert_eq!(fitted.columns, vec![(0, 10)]);
        let names: Vec<&str> = fitted.rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(names, vec!["qtop…21515", "qtop…21516", "队列…ker-2"]);
        // Never a shorter name that reads as another (qtop-vm-2151 is a different pid).
        assert!(names.iter().all(|n| n.contains('…')));
        let room = fit(&COLUMNS, &rows, &(), 40);
        assert_eq!(room.rows[0][0], "qtop-vm-21515");
    }
}

//! Text measured in terminal columns, not `char`s: a CJK character or an emoji takes two
//! columns, a combining mark none. Every cut, pad and wrap in qtop (tables, titles, the
//! dead-letter detail, the CLI's tables) goes through here, so `队列-📦` lines up like
//! `emails`. Depends on nothing else in qtop, so every layer may use it.

use unicode_width::UnicodeWidthChar;

/// Columns `c` takes on a terminal; control characters take none.
pub fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// Columns `text` takes on a terminal.
pub fn width(text: &str) -> usize {
    text.chars().map(char_width).sum()
}

/// The longest start of `text` that fits in `columns`.
fn head(text: &str, columns: usize) -> &str {
    let mut used = 0;
    for (at, c) in text.char_indices() {
        used += char_width(c);
        if used > columns {
            return &text[..at];
        }
    }
    text
}

/// The longest end of `text` that fits in `columns`.
fn tail(text: &str, columns: usize) -> &str {
    let mut used = 0;
    for (at, c) in text.char_indices().rev() {
        used += char_width(c);
        if used > columns {
            return &text[at + c.len_utf8()..];
        }
    }
    text
}

/// `text` cut to `columns`, its end replaced by `…` when it does not fit.
pub fn fit(text: &str, columns: usize) -> String {
    if width(text) <= columns {
        return text.to_string();
    }
    if columns == 0 {
        return String::new();
    }
    format!("{}…", head(text, columns - 1))
}

/// `text` cut to `columns` after its last whole word that fits, then `…`; cut like `fit`
/// when not even its first word fits. For prose, which reads badly cut mid-word.
pub fn fit_words(text: &str, columns: usize) -> String {
    if width(text) <= columns {
        return text.to_string();
    }
    let room = head(text, columns.saturating_sub(1));
    // Only a space inside the room that is followed by more of the text is a word's end.
    let whole = match text[room.len()..].starts_with(' ') {
        true => Some(room.trim_end()),
        false => room.rfind(' ').map(|at| room[..at].trim_end()),
    };
    match whole {
        Some(words) if !words.is_empty() => format!("{words}…"),
        _ => fit(text, columns),
    }
}

/// `text` cut to `columns` in the middle: its start and its end stay, `…` between them.
/// For names whose end tells them apart (`qtop-vm-21515`, `10.0.0.7:51234`): the end
/// gets the odd column.
pub fn fit_middle(text: &str, columns: usize) -> String {
    if width(text) <= columns {
        return text.to_string();
    }
    if columns < 3 {
        return fit(text, columns);
    }
    let keep = columns - 1;
    let start = head(text, keep / 2);
    let end = tail(text, keep - width(start));
    format!("{start}…{end}")
}

/// `text` padded with spaces to `columns` (never cut): for plain-text tables.
pub fn pad(text: &str, columns: usize) -> String {
    let fill = columns.saturating_sub(width(text));
    format!("{text}{}", " ".repeat(fill))
}

/// `text` padded on the left to `columns` (never cut): numbers in plain-text tables.
pub fn pad_left(text: &str, columns: usize) -> String {
    let fill = columns.saturating_sub(width(text));
    format!("{}{text}", " ".repeat(fill))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_take_two_columns() {
        assert_eq!(width("emails"), 6);
        assert_eq!(width("队列-📦"), 7);
        assert_eq!(width("e\u{301}"), 1, "a combining accent takes no column");
        assert_eq!(width(""), 0);
    }

    #[test]
    fn fit_cuts_the_end_by_columns() {
        let cases: &[(&str, usize, &str)] = &[
            ("abcdef", 4, "abc…"),
            ("ab", 4, "ab"),
            ("ab", 0, ""),
            ("abc", 1, "…"),
            // Two columns each: three of them are six columns.
            ("队列队列", 6, "队列…"),
            // A wide character that would straddle the edge is left out, not split.
            ("队列队列", 4, "队…"),
            ("队列-📦-emails", 7, "队列-…"),
        ];
        for &(text, columns, want) in cases {
            let got = fit(text, columns);
            assert_eq!(got, want, "fit({text:?}, {columns})");
            assert!(width(&got) <= columns, "{got:?} wider than {columns}");
        }
    }

    #[test]
    fn fit_words_cuts_between_words() {
        let cases: &[(&str, usize, &str)] = &[
            ("c4 done 857 beat 0s ago", 40, "c4 done 857 beat 0s ago"),
            ("c4 done 857 beat 0s ago", 15, "c4 done 857…"),
            // The space right after the room counts: "beat" ends there.
            ("c4 done 857 beat 0s ago", 17, "c4 done 857 beat…"),
            ("unbreakable", 6, "unbre…"),
            ("队列 满了 请稍后", 9, "队列…"),
            ("队列 满了 请稍后", 11, "队列 满了…"),
        ];
        for &(text, columns, want) in cases {
            let got = fit_words(text, columns);
            assert_eq!(got, want, "fit_words({text:?}, {columns})");
            assert!(width(&got) <= columns, "{got:?} wider than {columns}");
        }
    }

    #[test]
    fn fit_middle_keeps_both_ends() {
        let cases: &[(&str, usize, &str)] = &[
            ("qtop-vm-21515", 13, "qtop-vm-21515"),
            ("qtop-vm-21515", 12, "qtop-…-21515"),
            ("qtop-vm-21515", 10, "qtop…21515"),
            ("127.0.0.1:54321", 11, "127.0…54321"),
            ("abcdef", 2, "a…"),
            ("队列-📦-worker-7", 9, "队列…er-7"),
            ("📦📦📦📦📦📦", 7, "📦…📦📦"),
        ];
        for &(text, columns, want) in cases {
            let got = fit_middle(text, columns);
            assert_eq!(got, want, "fit_middle({text:?}, {columns})");
            assert!(width(&got) <= columns, "{got:?} wider than {columns}");
        }
        // Two workers that differ only in their last digits stay apart at any width ≥ 3.
        for columns in 3..13 {
            let a = fit_middle("qtop-vm-21631", columns);
            let b = fit_middle("qtop-vm-21642", columns);
            assert_ne!(a, b, "at {columns} columns");
        }
    }

    #[test]
    fn pads_count_columns() {
        assert_eq!(pad("队列", 6), "队列  ");
        assert_eq!(pad_left("📦", 4), "  📦");
        assert_eq!(pad("toolong", 3), "toolong");
    }
}

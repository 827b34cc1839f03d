//! Live editing: what the viewer keeps when the file it shows changes. The new captures come
//! from outside (the command line asks the engine); here the old source's positions are carried
//! over to the new source, so each stage's selection stays on the same code where it still
//! exists.

use cpyviz_model::error::PyError;
use similar::{DiffOp, TextDiff};

/// Why the stages shown are not the file as it is now: they are the last good version's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stale {
    /// One line: what happened.
    pub headline: String,
    /// CPython's message (or the reason the file could not be read), line by line.
    pub message: Vec<String>,
}

impl Stale {
    /// The new source does not compile (or the engine cannot show it).
    pub fn error(err: &PyError) -> Stale {
        Stale {
            headline: "the file as saved does not compile: the stages shown are from its last good version".into(),
            message: err.render().lines().map(str::to_string).collect(),
        }
    }

    /// The file could not be read again (deleted, unreadable, undecodable).
    pub fn unreadable(why: &str) -> Stale {
        Stale {
            headline:
                "the file could not be read again: the stages shown are from its last good version"
                    .into(),
            message: why.lines().map(str::to_string).collect(),
        }
    }
}

/// Byte offsets where each line of `text` starts.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// Where `offset` of `old` is in `new`: lines the edit left alone carry their columns over;
/// an offset in a changed line goes to the line that replaced it (its column clamped); in a
/// deleted line, to where the lines were.
pub fn map_offset(old: &str, new: &str, offset: usize) -> usize {
    let offset = offset.min(old.len());
    let old_starts = line_starts(old);
    let line = old_starts
        .partition_point(|&s| s <= offset)
        .saturating_sub(1);
    let col = offset - old_starts[line];
    let new_starts = line_starts(new);
    let at = |new_line: usize, col: usize| -> usize {
        let Some(&start) = new_starts.get(new_line) else {
            return new.len();
        };
        let end = new[start..].find('\n').map_or(new.len(), |i| start + i);
        let mut pos = (start + col).min(end);
        while !new.is_char_boundary(pos) {
            pos -= 1;
        }
        pos
    };
    let diff = TextDiff::from_lines(old, new);
    for op in diff.ops() {
        match *op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } if (old_index..old_index + len).contains(&line) => {
                return at(new_index + line - old_index, col);
            }
            DiffOp::Delete {
                old_index,
                old_len,
                new_index,
            } if (old_index..old_index + old_len).contains(&line) => return at(new_index, 0),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } if (old_index..old_index + old_len).contains(&line) => {
                let within = (line - old_index).min(new_len.saturating_sub(1));
                return at(new_index + within, col);
            }
            _ => {}
        }
    }
    new.len()
}

#[cfg(test)]
mod tests {
    use super::map_offset;

    #[test]
    fn unchanged_lines_keep_their_columns() {
        let old = "a = 1\nb = 2\nc = 3\n";
        let new = "# new\na = 1\nb = 2\nc = 3\n";
        // `b` of line 2 moved down a line.
        assert_eq!(&new[map_offset(old, new, 6)..][..5], "b = 2");
        assert_eq!(map_offset(old, new, 8), new.find("= 2").unwrap());
    }

    #[test]
    fn a_changed_line_maps_to_its_replacement() {
        let old = "x = 1\ny = 2\n";
        let new = "x = 1\nyy = 22222\n";
        assert_eq!(map_offset(old, new, 8), 8);
        let shorter = "x = 1\ny\n";
        assert_eq!(map_offset(old, shorter, 10), 7);
    }

    #[test]
    fn a_deleted_line_maps_to_where_it_was() {
        let old = "a\nb\nc\n";
        let new = "a\nc\n";
        assert_eq!(map_offset(old, new, 2), 2);
        assert_eq!(map_offset(old, "", 3), 0);
        assert_eq!(map_offset(old, new, 100), new.len());
    }
}

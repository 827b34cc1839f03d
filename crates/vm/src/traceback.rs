//! The traceback `python FILE` prints when an exception escapes, laid out as CPython 3.14 and
//! 3.15's `traceback` module lays it out: the outermost frame first, a source line per frame,
//! carets under the failing expression (with `~` and `^` anchors for calls, subscripts and
//! binary operations), and runs of the same line folded into `[Previous line repeated N more
//! times]`. Like `traceback.py`, it parses the source text to place the carets
//! (`cpyviz_compiler::carets`).

use crate::value::TraceEntry;
use cpyviz_model::version::PyVersion;

/// How many times the same frame line is printed before the rest are counted
/// (`_RECURSIVE_CUTOFF`).
const RECURSIVE_CUTOFF: usize = 3;

/// The `Traceback (most recent call last):` block of `entries` (innermost first, as the
/// exception collected them); `source_line(filename, line)` reads a source line.
pub fn format_entries(
    entries: &[TraceEntry],
    source_line: &dyn Fn(&str, u32) -> Option<String>,
    version: PyVersion,
) -> String {
    let mut out = String::from("Traceback (most recent call last):\n");
    let mut last: Option<(&str, Option<u32>, &str)> = None;
    let mut count = 0usize;
    for t in entries.iter().rev() {
        let key = (&*t.filename, t.line, &*t.name);
        if last == Some(key) {
            count += 1;
        } else {
            repeated(&mut out, count);
            last = Some(key);
            count = 1;
        }
        if count > RECURSIVE_CUTOFF {
            continue;
        }
        let line = t.line.map_or("?".to_string(), |l| l.to_string());
        out.push_str(&format!(
            "  File \"{}\", line {line}, in {}\n",
            t.filename, t.name
        ));
        if let Some(text) = t.line.and_then(|l| source_line(&t.filename, l)) {
            let stripped = text.trim();
            if !stripped.is_empty() {
                out.push_str(&format!("    {stripped}\n"));
                if let Some(carets) = carets(&text, t, version) {
                    out.push_str(&carets);
                }
            }
        }
    }
    repeated(&mut out, count);
    out
}

/// `  [Previous line repeated N more times]` for a run of `count` equal lines.
fn repeated(out: &mut String, count: usize) {
    if count > RECURSIVE_CUTOFF {
        let n = count - RECURSIVE_CUTOFF;
        out.push_str(&format!(
            "  [Previous line repeated {n} more time{}]\n",
            if n > 1 { "s" } else { "" }
        ));
    }
}

/// The caret line under `text` (one source line) for entry `t`, if CPython shows one.
fn carets(text: &str, t: &TraceEntry, version: PyVersion) -> Option<String> {
    let p = t.positions?;
    if p.lineno != p.end_lineno || p.lineno != t.line {
        return None;
    }
    let (start, end) = (p.col_offset? as usize, p.end_col_offset? as usize);
    let segment = text.get(start..end)?;
    let indent = text.len() - text.trim_start().len();
    if segment.trim().is_empty() || start < indent {
        return None;
    }
    let anchors = cpyviz_compiler::carets::anchors(segment, version);
    // `_should_show_carets`, on the dedented line.
    let line = text[indent..].trim_end();
    let (s, e) = (start - indent, (end - indent).min(line.len()));
    let show = if cpyviz_compiler::carets::call_is_the_whole_value(line, s, e, version) {
        false
    } else {
        anchors.is_some() || !line[..s].trim().is_empty() || !line[e..].trim().is_empty()
    };
    if !show {
        return None;
    }
    let mut out = String::from("    ");
    out.push_str(&" ".repeat(line[..s].chars().count()));
    for (k, _) in segment.char_indices() {
        let hit = anchors.is_none_or(|(a, b)| (a..b).contains(&k));
        out.push(if hit { '^' } else { '~' });
    }
    out.push('\n');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpyviz_model::bytecode::Positions;
    use std::rc::Rc;

    const V: PyVersion = PyVersion::V3_15;

    fn entry(line: u32, col: u32, end: u32, name: &str) -> TraceEntry {
        TraceEntry {
            filename: Rc::from("t.py"),
            name: Rc::from(name),
            line: Some(line),
            positions: Some(Positions {
                lineno: Some(line),
                end_lineno: Some(line),
                col_offset: Some(col),
                end_col_offset: Some(end),
            }),
        }
    }

    fn caret_line(text: &str, needle: &str) -> Option<String> {
        let col = text.find(needle).unwrap() as u32;
        carets(text, &entry(1, col, col + needle.len() as u32, "f"), V)
    }

    // Each expected line was printed by the reference CPython 3.15 for the same statement.
    #[test]
    fn carets_follow_cpythons_rules() {
        assert_eq!(caret_line("f(0)", "f(0)").as_deref(), Some("    ~^^^\n"));
        assert_eq!(caret_line("    return f(n+1)", "f(n+1)"), None);
        assert_eq!(caret_line("x = g(1, 2)", "g(1, 2)"), None);
        assert_eq!(caret_line("x = a.g(1)", "a.g(1)"), None);
        assert_eq!(caret_line("y = (f(0))", "f(0)"), None);
        assert_eq!(
            caret_line("y: int = f(0)", "f(0)").as_deref(),
            Some("             ~^^^\n")
        );
        assert_eq!(
            caret_line("x = [f(0)]", "f(0)").as_deref(),
            Some("         ~^^^\n")
        );
        assert_eq!(
            caret_line("f(0) + 1", "f(0)").as_deref(),
            Some("    ~^^^\n")
        );
        assert_eq!(caret_line("x == f(0)", "x").as_deref(), Some("    ^\n"));
        assert_eq!(caret_line("s.x = 1", "s.x").as_deref(), Some("    ^^^\n"));
        assert_eq!(
            caret_line("print(1 / 0)", "1 / 0").as_deref(),
            Some("          ~~^~~\n")
        );
        assert_eq!(
            caret_line("y = d['k'] + 1", "d['k']").as_deref(),
            Some("        ~^^^^^\n")
        );
        assert_eq!(
            caret_line("d['k']", "d['k']").as_deref(),
            Some("    ~^^^^^\n")
        );
        assert_eq!(
            caret_line("y = s - -1", "s - -1").as_deref(),
            Some("        ~~^~~~\n")
        );
        assert_eq!(
            caret_line("y = s ** 2 ** 3", "s ** 2 ** 3").as_deref(),
            Some("        ~~^^~~~~~~~\n")
        );
        // A whole line without anchors (`raise …` fails at RAISE_VARARGS): no carets.
        assert_eq!(
            caret_line("raise ValueError('x')", "raise ValueError('x')"),
            None
        );
        // A FOR_ITER fails on the iterable's segment: a call, anchored.
        assert_eq!(
            caret_line("for v in evens(10):", "evens(10)").as_deref(),
            Some("             ~~~~~^^^^\n")
        );
    }

    #[test]
    fn outermost_frame_first_and_recursion_folded() {
        let src = |_: &str, l: u32| {
            Some(["def f(n):", "    return f(n+1)", "f(0)"][l as usize - 1].to_string())
        };
        let mut entries: Vec<TraceEntry> = (0..10).map(|_| entry(2, 11, 17, "f")).collect();
        entries.push(entry(3, 0, 4, "<module>"));
        let tb = format_entries(&entries, &src, V);
        assert_eq!(
            tb,
            "Traceback (most recent call last):\n  File \"t.py\", line 3, in <module>\n    f(0)\n    ~^^^\n  File \"t.py\", line 2, in f\n    return f(n+1)\n  File \"t.py\", line 2, in f\n    return f(n+1)\n  File \"t.py\", line 2, in f\n    return f(n+1)\n  [Previous line repeated 7 more times]\n"
        );
    }
}

//! What CPython's `traceback` module learns by parsing source text to draw a traceback's
//! carets (`traceback.py`: `_extract_caret_anchors_from_line_segment` and
//! `_should_show_carets`), for the built-in VM's tracebacks. Both parse with the built-in
//! parser, as CPython parses with `ast`.

use cpyviz_model::ast::{AstNode, Expr, Stmt};
use cpyviz_model::source::Source;
use cpyviz_model::version::PyVersion;

/// The byte range of `segment` (one line: the source of the failing expression) that CPython
/// marks with `^` while the rest gets `~`: a binary operation's operator, a call's or a
/// subscript's brackets. `None`: no anchors (the whole segment gets `^`).
pub fn anchors(segment: &str, version: PyVersion) -> Option<(usize, usize)> {
    if segment.contains('\n') {
        return None;
    }
    // Parenthesized so that any expression parses; the segment starts after "(\n".
    let text = format!("(\n{segment}\n)");
    let tree = parse(&text, version)?;
    let body = cpyviz_model::ast::Module(&tree).body();
    if body.len() != 1 {
        return None;
    }
    let Some(Stmt::Expr(e)) = Stmt::cast(body.first()?) else {
        return None;
    };
    let at = |n: &AstNode| n.span.map(|s| (s.start as usize - 2, s.end as usize - 2));
    let bytes = segment.as_bytes();
    // The first byte at or after `from` that `stop` accepts.
    let scan =
        |from: usize, stop: &dyn Fn(u8) -> bool| (from..bytes.len()).find(|&k| stop(bytes[k]));
    match Expr::cast(e.value())? {
        Expr::BinOp(b) => {
            let (_, left_end) = at(b.left())?;
            let (right_start, _) = at(b.right())?;
            let op = scan(left_end, &|c| !c.is_ascii_whitespace() && c != b')')?;
            // One or two characters, before the right operand.
            let mut end = op + 1;
            if end < bytes.len()
                && end < right_start
                && !bytes[end].is_ascii_whitespace()
                && !b"\\#".contains(&bytes[end])
            {
                end += 1;
            }
            Some((op, end))
        }
        Expr::Call(c) => {
            let (_, func_end) = at(c.func())?;
            let (_, end) = at(e.value())?;
            Some((scan(func_end, &|c| c == b'(')?, end))
        }
        Expr::Subscript(s) => {
            let (_, value_end) = at(s.value())?;
            let (_, end) = at(e.value())?;
            Some((scan(value_end, &|c| c == b'[')?, end))
        }
        _ => None,
    }
}

/// Whether the segment `line[start..end]` is a call that is the whole value of `return
/// name(…)` or of `target = …(…)` (one name assigned) on `line` (a dedented source line):
/// CPython draws no carets under those.
pub fn call_is_the_whole_value(line: &str, start: usize, end: usize, version: PyVersion) -> bool {
    let Some(tree) = parse(line, version) else {
        return false;
    };
    let Some(stmt) = cpyviz_model::ast::Module(&tree).body().first() else {
        return false;
    };
    let spans = |n: &AstNode| {
        n.span
            .is_some_and(|s| s.start as usize == start && s.end as usize == end)
    };
    match Stmt::cast(stmt) {
        Some(Stmt::Return(r)) => r.value().is_some_and(|v| {
            matches!(Expr::cast(v), Some(Expr::Call(c)) if matches!(Expr::cast(c.func()), Some(Expr::Name(_))))
                && spans(v)
        }),
        Some(Stmt::Assign(a)) => {
            let targets = a.targets();
            targets.len() == 1
                && targets
                    .first()
                    .is_some_and(|t| matches!(Expr::cast(t), Some(Expr::Name(_))))
                && matches!(Expr::cast(a.value()), Some(Expr::Call(_)))
                && spans(a.value())
        }
        _ => false,
    }
}

fn parse(text: &str, version: PyVersion) -> Option<AstNode> {
    cpyviz_syntax::ast::parse(&Source::from_text("<traceback>", text), version).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: PyVersion = PyVersion::V3_15;

    #[test]
    fn anchors_as_cpython_places_them() {
        assert_eq!(anchors("f(0)", V), Some((1, 4)));
        assert_eq!(anchors("a.g(1)", V), Some((3, 6)));
        assert_eq!(anchors("1 / 0", V), Some((2, 3)));
        assert_eq!(anchors("s ** 2 ** 3", V), Some((2, 4)));
        assert_eq!(anchors("s - -1", V), Some((2, 3)));
        assert_eq!(anchors("(a) + b", V), Some((4, 5)));
        assert_eq!(anchors("d['k']", V), Some((1, 6)));
        assert_eq!(anchors("x", V), None);
        assert_eq!(anchors("a < b", V), None);
        assert_eq!(anchors("not valid python (", V), None);
    }

    #[test]
    fn calls_that_are_the_whole_value() {
        assert!(call_is_the_whole_value("return f(n+1)", 7, 13, V));
        assert!(!call_is_the_whole_value("return a.f(n)", 7, 13, V));
        assert!(call_is_the_whole_value("x = a.g(1)", 4, 10, V));
        assert!(call_is_the_whole_value("y = (f(0))", 5, 9, V));
        assert!(!call_is_the_whole_value("y: int = f(0)", 9, 13, V));
        assert!(!call_is_the_whole_value("x = [f(0)]", 5, 9, V));
        assert!(!call_is_the_whole_value("a, b = f(0)", 7, 11, V));
    }
}

//! rustpython-parser's errors → the `SyntaxError`s CPython reports.

use super::convert::TypeComment;
use super::scan::{Comment, Limit, Scan};
use super::{AstNode, AstValue};
use crate::error::{PyError, PyErrorKind};
use crate::source::Source;
use crate::version::PyVersion;
use rustpython_parser::{ParseError, ParseErrorType};

/// 1-based line and 1-based character column of byte `offset`.
fn pos(src: &Source, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.text.len());
    let (line, col) = src.line_col(offset);
    let text = src.line_text(line);
    let ccol = text
        .get(..col.min(text.len()))
        .map_or(col, |t| t.chars().count());
    (line, ccol + 1)
}

fn error_at(src: &Source, kind: PyErrorKind, msg: String, start: usize, end: usize) -> PyError {
    let (line, col) = pos(src, start);
    let (eline, ecol) = pos(src, end.max(start));
    PyError::new(kind, msg, src.path.clone()).at(
        line,
        col,
        Some((eline, ecol)),
        src.line_text(line).to_string(),
    )
}

/// `invalid syntax` with the caret over bytes `start..end`.
pub fn invalid_syntax_at(src: &Source, start: usize, end: usize) -> PyError {
    error_at(
        src,
        PyErrorKind::SyntaxError,
        "invalid syntax".to_string(),
        start,
        end,
    )
}

pub fn limit_error(src: &Source, limit: Limit) -> PyError {
    match limit {
        Limit::Parens(at) => error_at(
            src,
            PyErrorKind::SyntaxError,
            "too many nested parentheses".into(),
            at,
            at + 1,
        ),
        Limit::Indent(at) => {
            let (line, _) = pos(src, at);
            let mut e = PyError::new(
                PyErrorKind::IndentationError,
                "too many levels of indentation",
                src.path.clone(),
            )
            .at(line, 1, Some((line, 0)), src.line_text(line).to_string());
            e.end_offset = Some(0);
            e
        }
    }
}

/// Splits `# type: …` comments (CPython's tokenizer rule: `#`, blanks, `type`, blanks, `:`,
/// blanks) into type comments and `TypeIgnore(lineno, tag)` nodes.
pub fn type_comments(text: &str, comments: &[Comment]) -> (Vec<TypeComment>, Vec<AstValue>) {
    let mut tcs = Vec::new();
    let mut ignores = Vec::new();
    let b = text.as_bytes();
    for c in comments {
        let mut p = c.start + 1;
        let blanks = |mut p: usize| {
            while p < c.end && matches!(b[p], b' ' | b'\t') {
                p += 1;
            }
            p
        };
        p = blanks(p);
        if !b[p..c.end].starts_with(b"type") {
            continue;
        }
        p = blanks(p + 4);
        if p >= c.end || b[p] != b':' {
            continue;
        }
        p = blanks(p + 1);
        let rest = &b[p..c.end];
        let is_ignore = rest.starts_with(b"ignore")
            && rest
                .get(6)
                .is_none_or(|&ch| ch < 0x80 && !ch.is_ascii_alphanumeric());
        if is_ignore {
            let line = 1 + b[..c.start].iter().filter(|&&x| x == b'\n').count();
            let tag = text.get(p + 6..c.end).unwrap_or("").to_string();
            ignores.push(AstValue::Node(Box::new(AstNode {
                kind: "TypeIgnore".into(),
                fields: vec![
                    ("lineno".into(), AstValue::Int(line as i64)),
                    ("tag".into(), AstValue::Str(tag)),
                ],
                span: None,
            })));
        } else {
            tcs.push(TypeComment {
                start: c.start,
                value: (p, c.end),
                claimed: false,
            });
        }
    }
    (tcs, ignores)
}

pub fn from_parse_error(src: &Source, version: PyVersion, sc: &Scan, e: &ParseError) -> PyError {
    let _ = version;
    let off = e.offset.to_usize().min(src.text.len());
    if let Some(u) = sc.unsupported.first() {
        let (uline, _) = pos(src, u.offset);
        let (eline, _) = pos(src, off);
        if uline <= eline {
            return PyError::new(
                PyErrorKind::Unsupported,
                format!(
                    "line {uline}: {} is newer than the built-in parser; try --engine cpython",
                    u.what
                ),
                src.path.clone(),
            );
        }
    }
    let _ = &e.error as &ParseErrorType;
    invalid_syntax_at(src, off, off + 1)
}

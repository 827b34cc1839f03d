//! rustpython-parser's errors → the `SyntaxError`s CPython reports.

use crate::error::{PyError, PyErrorKind};
use crate::source::Source;
use crate::version::PyVersion;
use rustpython_parser::ParseError;

/// Errors found before parsing (limits CPython's tokenizer enforces).
pub fn prescan(src: &Source) -> Option<PyError> {
    let _ = src;
    None
}

pub fn from_parse_error(src: &Source, version: PyVersion, e: &ParseError) -> PyError {
    let _ = version;
    let off = e.offset.to_usize().min(src.text.len());
    let (line, col) = src.line_col(off);
    let text = src.line_text(line).to_string();
    let ccol = text.get(..col).map_or(col, |t| t.chars().count());
    PyError::new(PyErrorKind::SyntaxError, "invalid syntax", src.path.clone()).at(
        line,
        ccol + 1,
        None,
        text,
    )
}

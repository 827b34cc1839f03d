//! Stage 2 — the abstract syntax tree, parsed with rustpython-parser and converted into CPython's
//! `ast` node shapes, printed exactly as `python -m ast` prints it.
//!
//! STUB: the conversion is being written; see the interface below.

use crate::error::{PyError, PyErrorKind};
use crate::source::{Source, Span};
use crate::version::PyVersion;
use serde::{Deserialize, Serialize};

/// A node of CPython's `ast` module: its class name, its `_fields` in CPython's order, and
/// where it stands in the source (absent for nodes without positions, such as `Load()`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AstNode {
    pub kind: String,
    pub fields: Vec<(String, AstValue)>,
    pub span: Option<Span>,
}

/// The value of one field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AstValue {
    Node(Box<AstNode>),
    List(Vec<AstValue>),
    /// An identifier or other `str` field (printed with `repr`).
    Str(String),
    /// An `int` field such as `conversion` or `level`.
    Int(i64),
    /// The `value` of a `Constant`.
    Const(Constant),
    /// `None`.
    None,
}

/// A Python constant value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Constant {
    None,
    Bool(bool),
    Ellipsis,
    /// Decimal digits (arbitrary size), with a leading `-` if negative.
    Int(String),
    Float(f64),
    /// An imaginary literal: `real + imag j`.
    Complex {
        real: f64,
        imag: f64,
    },
    Str(String),
    Bytes(Vec<u8>),
}

/// Parses `src` into CPython's AST shape for `version`.
pub fn parse(src: &Source, version: PyVersion) -> Result<AstNode, PyError> {
    let _ = version;
    Err(PyError::new(
        PyErrorKind::Unsupported,
        "the AST stage is not built yet",
        src.path.clone(),
    ))
}

/// The text `python3.V -m ast FILE` prints for `node`.
pub fn dump(node: &AstNode, version: PyVersion) -> String {
    let _ = (node, version);
    String::new()
}

/// What `python -m ast FILE` prints (the end of its traceback) when the file cannot be decoded.
pub fn render_decode_error(path: &str, err: &crate::source::DecodeError) -> String {
    use crate::source::DecodeError::*;
    match err {
        NullBytes => "SyntaxError: source code string cannot contain null bytes\n".to_string(),
        NonUtf8 { line, byte } => format!(
            "  File \"{path}\", line {line}\nSyntaxError: Non-UTF-8 code starting with '\\x{byte:02x}' on line {line}, but no encoding declared; see https://peps.python.org/pep-0263/ for details\n"
        ),
        UnknownEncoding { name } => format!("SyntaxError: unknown encoding: {name}\n"),
    }
}

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

mod convert;
mod dump;
mod errors;
mod scan;
mod validate;

pub use dump::constant_repr;

/// The stack the parser, the converter and the dumper run on: deep (but legal) nesting must
/// never overflow the caller's stack.
const BIG_STACK: usize = 1 << 30;

/// Runs `f` on a thread with a big stack; a panic becomes `None`.
fn on_big_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    std::thread::Builder::new()
        .name("cpyviz-ast".into())
        .stack_size(BIG_STACK)
        .spawn(f)
        .ok()?
        .join()
        .ok()
}

/// Parses `src` into CPython's AST shape for `version`.
#[allow(clippy::result_large_err)]
pub fn parse(src: &Source, version: PyVersion) -> Result<AstNode, PyError> {
    let text = src.text.clone();
    let path = src.path.clone();
    let result = on_big_stack(move || -> (scan::Scan, Result<AstNode, ParseFailure>) {
        let sc = scan::scan(&text);
        if sc.limit.is_some() {
            return (sc, Err(ParseFailure::Internal));
        }
        let parsed = rustpython_parser::parse(&text, rustpython_parser::Mode::Module, &path);
        let suite = match parsed {
            Ok(s) => s,
            Err(e) => return (sc, Err(ParseFailure::Parse(e))),
        };
        let body = match &suite {
            rustpython_parser::ast::Mod::Module(m) => &m.body,
            _ => return (sc, Err(ParseFailure::Internal)),
        };
        let (type_comments, ignores) = errors::type_comments(&text, &sc.comments);
        let comments = sc.comments.iter().map(|c| (c.start, c.end)).collect();
        let mut conv = convert::Converter::new(version, text.clone(), comments, type_comments);
        let tree = conv.module(body).map_err(ParseFailure::Convert);
        let tree = tree.and_then(|mut t| {
            if let Some(bad) = validate::validate(&t) {
                return Err(ParseFailure::Invalid(bad));
            }
            if let Some(tc) = conv.type_comments.iter().find(|c| !c.claimed) {
                return Err(ParseFailure::StrayTypeComment(tc.value));
            }
            if let Some((_, AstValue::List(items))) =
                t.fields.iter_mut().find(|(k, _)| k == "type_ignores")
            {
                *items = ignores;
            }
            Ok(t)
        });
        (sc, tree)
    });
    let Some((sc, result)) = result else {
        return Err(PyError::new(
            PyErrorKind::Unsupported,
            "the built-in parser failed on this file; try --engine cpython",
            src.path.clone(),
        ));
    };
    if let Some(limit) = sc.limit {
        return Err(errors::limit_error(src, limit));
    }
    match result {
        Ok(tree) => Ok(tree),
        Err(ParseFailure::Parse(e)) => Err(errors::from_parse_error(src, version, &sc, &e)),
        Err(ParseFailure::StrayTypeComment((a, b))) => Err(errors::invalid_syntax_at(src, a, b)),
        Err(ParseFailure::Invalid(bad)) => Err(errors::invalid_target(src, &sc, bad)),
        Err(ParseFailure::Convert(convert::ConvertError::TooDeep(span))) => {
            let (line, _) = src.line_col(span.start as usize);
            Err(PyError::new(
                PyErrorKind::Unsupported,
                format!(
                    "line {line}: the expression nests too deeply: CPython's `ast.dump` raises \
                     RecursionError here; try --engine cpython"
                ),
                src.path.clone(),
            ))
        }
        Err(ParseFailure::Internal) => Err(PyError::new(
            PyErrorKind::Unsupported,
            "the built-in parser failed on this file; try --engine cpython",
            src.path.clone(),
        )),
    }
}

enum ParseFailure {
    Parse(rustpython_parser::ParseError),
    Convert(convert::ConvertError),
    /// A `# type:` comment where CPython's grammar allows none (byte range of its value).
    StrayTypeComment((usize, usize)),
    /// A target CPython's grammar rejects.
    Invalid(validate::Invalid),
    Internal,
}

/// The text `python3.V -m ast FILE` prints for `node`.
pub fn dump(node: &AstNode, version: PyVersion) -> String {
    dump::dump(node, version)
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

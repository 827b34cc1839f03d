//! Stage 1 — tokens, exactly as CPython's `tokenize` module produces them (`python -m tokenize -e`).
//!
//! The scanner itself lives in [`lexer`].

mod lexer;

use crate::error::PyError;
use crate::source::{Source, Span};
use serde::{Deserialize, Serialize};

/// A token type, named as `tokenize -e` names it (exact operator types, not `OP`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, strum::IntoStaticStr)]
#[allow(clippy::upper_case_acronyms, non_camel_case_types)]
pub enum TokenKind {
    ENDMARKER,
    NAME,
    NUMBER,
    STRING,
    NEWLINE,
    INDENT,
    DEDENT,
    LPAR,
    RPAR,
    LSQB,
    RSQB,
    COLON,
    COMMA,
    SEMI,
    PLUS,
    MINUS,
    STAR,
    SLASH,
    VBAR,
    AMPER,
    LESS,
    GREATER,
    EQUAL,
    DOT,
    PERCENT,
    LBRACE,
    RBRACE,
    EQEQUAL,
    NOTEQUAL,
    LESSEQUAL,
    GREATEREQUAL,
    TILDE,
    CIRCUMFLEX,
    LEFTSHIFT,
    RIGHTSHIFT,
    DOUBLESTAR,
    PLUSEQUAL,
    MINEQUAL,
    STAREQUAL,
    SLASHEQUAL,
    PERCENTEQUAL,
    AMPEREQUAL,
    VBAREQUAL,
    CIRCUMFLEXEQUAL,
    LEFTSHIFTEQUAL,
    RIGHTSHIFTEQUAL,
    DOUBLESTAREQUAL,
    DOUBLESLASH,
    DOUBLESLASHEQUAL,
    AT,
    ATEQUAL,
    RARROW,
    ELLIPSIS,
    COLONEQUAL,
    EXCLAMATION,
    OP,
    FSTRING_START,
    FSTRING_MIDDLE,
    FSTRING_END,
    TSTRING_START,
    TSTRING_MIDDLE,
    TSTRING_END,
    COMMENT,
    NL,
    ERRORTOKEN,
    ENCODING,
}

impl TokenKind {
    /// The name `tokenize -e` prints.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// One token. Lines are 1-based, columns 0-based *characters* (as `tokenize` reports them);
/// `span` is the byte range in [`Source::text`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    pub kind: TokenKind,
    pub text: String,
    pub start: (usize, usize),
    pub end: (usize, usize),
    pub span: Span,
}

/// Tokenizes `src` as `tokenize.generate_tokens` with `-e` does, ENCODING first.
///
/// On failure the error carries exactly the line and column `tokenize -e` prints.
#[allow(clippy::result_large_err)] // the signature the other stages and the capture use
pub fn tokenize(src: &Source) -> Result<Vec<Token>, PyError> {
    let mut lexer = lexer::Lexer::new(src);
    lexer.run().map_err(|e| *e)?;
    Ok(lexer.tokens)
}

/// The text `python -m tokenize -e FILE` prints for `tokens`.
pub fn dump(tokens: &[Token]) -> String {
    let mut out = String::new();
    for t in tokens {
        let range = format!("{},{}-{},{}:", t.start.0, t.start.1, t.end.0, t.end.1);
        out.push_str(&format!(
            "{:<20}{:<15}{:<15}\n",
            range,
            t.kind.name(),
            crate::pyrepr::str_repr(&t.text)
        ));
    }
    out
}

/// What `python -m tokenize -e FILE` prints when tokenizing fails
/// (`FILE:LINE:COL: error: MSG`).
pub fn render_error(err: &PyError) -> String {
    match (err.lineno, err.offset) {
        (Some(l), Some(c)) => format!("{}:{}:{}: error: {}\n", err.filename, l, c, err.msg),
        _ => format!("{}: error: {}\n", err.filename, err.msg),
    }
}

/// What `python -m tokenize -e FILE` prints when the file cannot be decoded.
pub fn render_decode_error(path: &str, err: &crate::source::DecodeError) -> String {
    use crate::source::DecodeError::*;
    match err {
        NullBytes => format!("{path}: error: source code cannot contain null bytes\n"),
        NonUtf8 { .. } | UnknownEncoding { .. } => {
            format!("{path}: error: invalid or missing encoding declaration for '{path}'\n")
        }
    }
}

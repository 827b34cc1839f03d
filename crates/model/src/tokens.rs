//! Tokens, as CPython's `tokenize` module reports them.

use crate::source::Span;
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
/// `span` is the byte range in [`Source::text`](crate::source::Source::text).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    pub kind: TokenKind,
    /// The token's text (kept inline when short, as nearly all are: no allocation).
    pub text: compact_str::CompactString,
    pub start: (usize, usize),
    pub end: (usize, usize),
    pub span: Span,
}

//! The scanner behind [`super::tokenize`]: a byte-level state machine that follows the rules of
//! CPython's tokenizer in `tokenize` mode (extra tokens on: comments, NL, exact operators, no
//! checks that only the parser needs).
//!
//! Everything is iterative: brackets, indentation levels and f-string nesting live in explicit
//! stacks bounded by CPython's own limits, so no input can exhaust the call stack.

use super::{Token, TokenKind};
use cpyviz_model::error::{PyError, PyErrorKind};
use cpyviz_model::source::{Source, Span};
use cpyviz_model::version::PyVersion;
use std::borrow::Cow;

/// Columns a tab advances the indentation to (a multiple of).
const TABSIZE: usize = 8;
/// Errors are boxed: they are rare and `PyError` is large.
type LexResult<T> = Result<T, Box<PyError>>;

/// Indentation stack depth CPython refuses to reach.
const MAXINDENT: usize = 100;
/// Bracket nesting CPython refuses to exceed.
const MAXLEVEL: usize = 200;
/// Tokenizer mode stack size (the regular mode plus nested f-/t-strings).
const MAXFSTRINGLEVEL: usize = 150;
/// Replacement fields nested inside format specs, at most.
const MAX_EXPR_NESTING: i32 = 3;

/// One open f-string or t-string.
struct FMode {
    quote: u8,
    quote_size: usize,
    raw: bool,
    tstring: bool,
    /// Byte offset of the literal's first prefix letter.
    start: usize,
    /// The literal is currently inside a replacement field's expression.
    regular: bool,
    curly_depth: i32,
    expr_start_depth: i32,
    in_format_spec: bool,
    /// Lines of the '{' of each replacement field open in this literal (at most
    /// MAX_EXPR_NESTING).
    expr_lines: Vec<usize>,
}

impl FMode {
    fn letter(&self) -> char {
        if self.tstring {
            't'
        } else {
            'f'
        }
    }
    fn in_expr(&self) -> bool {
        self.expr_start_depth >= 0
    }
}

/// What ended a call to the scanner.
enum Step {
    More,
    Done,
}

pub(super) struct Lexer<'a> {
    src: &'a Source,
    version: PyVersion,
    /// The text, with the newline CPython appends to a last line lacking one.
    buf: Cow<'a, [u8]>,
    pos: usize,
    line_starts: Vec<usize>,
    // Position cache: the line index of the last lookup and a known column on it.
    lc_line: usize,
    cc_off: usize,
    cc_col: usize,
    /// Where CPython's line buffer starts (it keeps earlier lines while a token or an
    /// f-string spans them); error offsets are measured from here.
    buf_start: usize,
    atbol: bool,
    indstack: Vec<usize>,
    altindstack: Vec<usize>,
    pendin: i64,
    parens: Vec<u8>,
    comment_newline: bool,
    modes: Vec<FMode>,
    pub(super) tokens: Vec<Token>,
    /// `SyntaxWarning`s CPython's tokenizer issues: (line, brace) for each `\{` or `\}` in a
    /// non-raw f-/t-string.
    pub(super) warnings: Vec<(usize, char)>,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 128
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 128
}

fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

fn one_char(c: u8) -> TokenKind {
    use TokenKind::*;
    match c {
        b'%' => PERCENT,
        b'&' => AMPER,
        b'(' => LPAR,
        b')' => RPAR,
        b'*' => STAR,
        b'+' => PLUS,
        b',' => COMMA,
        b'-' => MINUS,
        b'.' => DOT,
        b'/' => SLASH,
        b':' => COLON,
        b';' => SEMI,
        b'<' => LESS,
        b'=' => EQUAL,
        b'>' => GREATER,
        b'@' => AT,
        b'[' => LSQB,
        b']' => RSQB,
        b'^' => CIRCUMFLEX,
        b'{' => LBRACE,
        b'|' => VBAR,
        b'}' => RBRACE,
        b'~' => TILDE,
        b'!' => EXCLAMATION,
        _ => OP,
    }
}

fn two_chars(c1: u8, c2: u8) -> Option<TokenKind> {
    use TokenKind::*;
    Some(match (c1, c2) {
        (b'!', b'=') => NOTEQUAL,
        (b'%', b'=') => PERCENTEQUAL,
        (b'&', b'=') => AMPEREQUAL,
        (b'*', b'*') => DOUBLESTAR,
        (b'*', b'=') => STAREQUAL,
        (b'+', b'=') => PLUSEQUAL,
        (b'-', b'=') => MINEQUAL,
        (b'-', b'>') => RARROW,
        (b'/', b'/') => DOUBLESLASH,
        (b'/', b'=') => SLASHEQUAL,
        (b':', b'=') => COLONEQUAL,
        (b'<', b'<') => LEFTSHIFT,
        (b'<', b'=') => LESSEQUAL,
        (b'=', b'=') => EQEQUAL,
        (b'>', b'=') => GREATEREQUAL,
        (b'>', b'>') => RIGHTSHIFT,
        (b'@', b'=') => ATEQUAL,
        (b'^', b'=') => CIRCUMFLEXEQUAL,
        (b'|', b'=') => VBAREQUAL,
        _ => return None,
    })
}

fn three_chars(c1: u8, c2: u8, c3: u8) -> Option<TokenKind> {
    use TokenKind::*;
    Some(match (c1, c2, c3) {
        (b'*', b'*', b'=') => DOUBLESTAREQUAL,
        (b'.', b'.', b'.') => ELLIPSIS,
        (b'/', b'/', b'=') => DOUBLESLASHEQUAL,
        (b'<', b'<', b'=') => LEFTSHIFTEQUAL,
        (b'>', b'>', b'=') => RIGHTSHIFTEQUAL,
        _ => return None,
    })
}

impl<'a> Lexer<'a> {
    pub(super) fn new(src: &'a Source, version: PyVersion) -> Lexer<'a> {
        let text = src.text.as_bytes();
        let buf: Cow<'a, [u8]> = if text.is_empty() || text.ends_with(b"\n") {
            Cow::Borrowed(text)
        } else {
            let mut v = Vec::with_capacity(text.len() + 1);
            v.extend_from_slice(text);
            v.push(b'\n');
            Cow::Owned(v)
        };
        let mut line_starts = vec![0];
        for (i, &b) in buf.iter().enumerate() {
            if b == b'\n' {
                line_starts.push(i + 1);
            }
        }
        let mut tokens = Vec::with_capacity(src.text.len() / 4 + 8);
        tokens.push(Token {
            kind: TokenKind::ENCODING,
            // `tokenize` reports a file with a UTF-8 BOM as plain 'utf-8'.
            text: match src.encoding.as_str() {
                "utf-8-sig" => "utf-8".into(),
                other => other.into(),
            },
            start: (0, 0),
            end: (0, 0),
            span: Span::default(),
        });
        Lexer {
            src,
            version,
            buf,
            pos: 0,
            line_starts,
            lc_line: 0,
            cc_off: 0,
            cc_col: 0,
            buf_start: 0,
            atbol: true,
            indstack: vec![0],
            altindstack: vec![0],
            pendin: 0,
            parens: Vec::new(),
            comment_newline: false,
            modes: Vec::new(),
            tokens,
            warnings: Vec::new(),
        }
    }

    pub(super) fn run(&mut self) -> LexResult<()> {
        loop {
            let step = match self.modes.last() {
                Some(m) if !m.regular => self.fstring_mode()?,
                _ => self.normal_mode()?,
            };
            if let Step::Done = step {
                return Ok(());
            }
        }
    }

    // ---------------------------------------------------------------- positions

    #[inline]
    fn peek(&self, i: usize) -> Option<u8> {
        self.buf.get(i).copied()
    }

    #[inline]
    fn cur(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    /// Number of lines the tokenizer reads in all.
    fn last_lineno(&self) -> usize {
        self.line_starts.len() - 1
    }

    fn line_index(&mut self, off: usize) -> usize {
        let ls = &self.line_starts;
        let mut i = self.lc_line;
        if i < ls.len() && ls[i] <= off {
            while i + 1 < ls.len() && ls[i + 1] <= off {
                i += 1;
            }
        } else {
            i = match ls.binary_search(&off) {
                Ok(i) => i,
                Err(i) => i.saturating_sub(1),
            };
        }
        if i != self.lc_line {
            self.lc_line = i;
            self.cc_off = ls[i];
            self.cc_col = 0;
        }
        i
    }

    /// (1-based line, 0-based character column) of byte offset `off`.
    fn loc(&mut self, off: usize) -> (usize, usize) {
        let off = off.min(self.buf.len());
        let i = self.line_index(off);
        let ls = self.line_starts[i];
        let col = if self.cc_off <= off {
            self.cc_col + count_chars(&self.buf[self.cc_off..off])
        } else {
            count_chars(&self.buf[ls..off])
        };
        self.cc_off = off;
        self.cc_col = col;
        (i + 1, col)
    }

    /// Like [`Self::loc`], but an offset just past a newline stays on that newline's line (the
    /// tokenizer has not read the next line yet).
    fn loc_end(&mut self, off: usize) -> (usize, usize) {
        if off > 0 && self.peek(off - 1) == Some(b'\n') {
            let (l, c) = self.loc(off - 1);
            (l, c + 1)
        } else {
            self.loc(off)
        }
    }

    fn slice_text(&self, s: usize, e: usize) -> compact_str::CompactString {
        let text = &self.src.text;
        let n = text.len();
        let (s, e) = (s.min(n), e.min(n));
        match text.get(s..e) {
            Some(t) => t.into(),
            None => String::from_utf8_lossy(&text.as_bytes()[s..e.max(s)]).into(),
        }
    }

    fn push_at(
        &mut self,
        kind: TokenKind,
        s: usize,
        e: usize,
        start: (usize, usize),
        end: (usize, usize),
    ) {
        let n = self.src.text.len();
        let text = self.slice_text(s, e);
        self.tokens.push(Token {
            kind,
            text,
            start,
            end,
            span: Span::new(s.min(n), e.min(n)),
        });
    }

    fn push(&mut self, kind: TokenKind, s: usize, e: usize) {
        let start = self.loc(s);
        let end = self.loc(e);
        self.push_at(kind, s, e, start, end);
    }

    /// A token at the end of the input (ENDMARKER, final DEDENTs): the line after the last.
    fn push_trailing(&mut self, kind: TokenKind) {
        let p = (self.last_lineno() + 1, 0);
        let n = self.buf.len();
        self.push_at(kind, n, n, p, p);
    }

    // ---------------------------------------------------------------- errors

    fn line_text(&self, line: usize) -> String {
        self.src.line_text(line).to_string()
    }

    /// A `SyntaxError` from the tokenizer (reported by `tokenize` as a `TokenError`) at the
    /// line and character column of byte offset `off`.
    fn syntax_error(&mut self, msg: impl Into<String>, off: usize) -> Box<PyError> {
        let (line, col) = self.loc_end(off);
        let text = self.line_text(line);
        Box::new(
            PyError::new(PyErrorKind::TokenError, msg, self.src.path.clone())
                .at(line, col, None, text),
        )
    }

    fn error_at(
        &self,
        kind: PyErrorKind,
        msg: impl Into<String>,
        line: usize,
        offset: usize,
    ) -> Box<PyError> {
        let text = self.line_text(line);
        Box::new(PyError::new(kind, msg, self.src.path.clone()).at(line, offset, None, text))
    }

    /// End of the physical line containing byte `off` (past its newline).
    fn line_end(&self, off: usize) -> usize {
        let i = match self.line_starts.binary_search(&off) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        self.line_starts
            .get(i + 1)
            .copied()
            .unwrap_or(self.buf.len())
    }

    fn line_of(&self, off: usize) -> usize {
        match self.line_starts.binary_search(&off) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// An error located the way `tokenize` locates the tokenizer's state errors: the current
    /// line, and the length in characters of the tokenizer's line buffer.
    fn state_error(&mut self, kind: PyErrorKind, msg: &str, at: usize) -> Box<PyError> {
        let end = self.line_end(at);
        let from = self.buf_start.min(end);
        let offset = count_chars(&self.buf[from..end]);
        let line = self.line_of(at);
        self.error_at(kind, msg, line, offset)
    }

    fn eof_error(&mut self) -> Box<PyError> {
        let n = self.buf.len();
        let offset = n - self.buf_start.min(n);
        let line = self.last_lineno().max(1);
        self.error_at(
            PyErrorKind::TokenError,
            "unexpected EOF in multi-line statement",
            line,
            offset,
        )
    }

    // ---------------------------------------------------------------- regular mode

    /// After a backslash (at `self.pos - 1`): a newline must follow, and more input after it.
    /// `fresh_buffer`: no token has started yet (indentation), so CPython's line buffer
    /// restarts at the next line.
    fn continuation_line(&mut self, fresh_buffer: bool) -> LexResult<()> {
        let mut c = self.cur();
        if c == Some(b'\r') {
            self.pos += 1;
            c = self.cur();
        }
        if c != Some(b'\n') {
            let at = self.pos;
            if c.is_some() {
                self.pos += 1;
            }
            return Err(self.state_error(
                PyErrorKind::TokenError,
                "unexpected character after line continuation character",
                at,
            ));
        }
        self.pos += 1;
        if fresh_buffer && self.modes.is_empty() {
            self.buf_start = self.pos;
        }
        if self.cur().is_none() {
            return Err(self.eof_error());
        }
        Ok(())
    }

    fn indentation(&mut self) -> LexResult<bool> {
        let mut col = 0usize;
        let mut altcol = 0usize;
        let mut cont_line_col = 0usize;
        loop {
            match self.cur() {
                Some(b' ') => {
                    col += 1;
                    altcol += 1;
                }
                Some(b'\t') => {
                    col = (col / TABSIZE + 1) * TABSIZE;
                    altcol += 1;
                }
                Some(0x0c) => {
                    col = 0;
                    altcol = 0;
                }
                Some(b'\\') => {
                    if cont_line_col == 0 {
                        cont_line_col = col;
                    }
                    self.pos += 1;
                    self.continuation_line(true)?;
                    continue;
                }
                _ => break,
            }
            self.pos += 1;
        }
        let blankline = matches!(self.cur(), Some(b'#' | b'\n' | b'\r'));
        if blankline || !self.parens.is_empty() {
            return Ok(blankline);
        }
        if cont_line_col != 0 {
            col = cont_line_col;
            altcol = cont_line_col;
        }
        let top = self.indstack.len() - 1;
        let at = self.pos;
        let tab_error = |lx: &mut Self| {
            lx.state_error(
                PyErrorKind::TabError,
                "inconsistent use of tabs and spaces in indentation",
                at,
            )
        };
        if col == self.indstack[top] {
            if altcol != self.altindstack[top] {
                return Err(tab_error(self));
            }
        } else if col > self.indstack[top] {
            if self.indstack.len() >= MAXINDENT {
                return Err(self.state_error(
                    PyErrorKind::IndentationError,
                    "too many levels of indentation",
                    at,
                ));
            }
            if altcol <= self.altindstack[top] {
                return Err(tab_error(self));
            }
            self.pendin += 1;
            self.indstack.push(col);
            self.altindstack.push(altcol);
        } else {
            while self.indstack.len() > 1 && col < self.indstack[self.indstack.len() - 1] {
                self.pendin -= 1;
                self.indstack.pop();
                self.altindstack.pop();
            }
            let top = self.indstack.len() - 1;
            if col != self.indstack[top] {
                return Err(self.state_error(
                    PyErrorKind::IndentationError,
                    "unindent does not match any outer indentation level",
                    at,
                ));
            }
            if altcol != self.altindstack[top] {
                return Err(tab_error(self));
            }
        }
        Ok(false)
    }

    fn normal_mode(&mut self) -> LexResult<Step> {
        let mut blankline = false;
        if self.atbol {
            self.atbol = false;
            if self.modes.is_empty() {
                self.buf_start = self.pos;
            }
            blankline = self.indentation()?;
        }

        if self.pendin != 0 {
            if self.pendin < 0 {
                self.pendin += 1;
                if self.pos >= self.buf.len() {
                    self.push_trailing(TokenKind::DEDENT);
                } else {
                    self.push(TokenKind::DEDENT, self.pos, self.pos);
                }
            } else {
                self.pendin -= 1;
                let line = self.line_index(self.pos);
                let s = self.line_starts[line];
                self.push(TokenKind::INDENT, s, self.pos);
            }
            return Ok(Step::More);
        }

        loop {
            while matches!(self.cur(), Some(b' ' | b'\t' | 0x0c)) {
                self.pos += 1;
            }
            let start = self.pos;
            let Some(mut c) = self.cur() else {
                if !self.parens.is_empty() {
                    return Err(self.eof_error());
                }
                self.push_trailing(TokenKind::ENDMARKER);
                return Ok(Step::Done);
            };

            if c == b'#' {
                while !matches!(self.cur(), None | Some(b'\n' | b'\r')) {
                    self.pos += 1;
                }
                self.comment_newline = blankline;
                self.push(TokenKind::COMMENT, start, self.pos);
                return Ok(Step::More);
            }

            if is_ident_start(c) {
                return self.name_or_string(start);
            }

            if c == b'\r' {
                self.pos += 1;
                match self.cur() {
                    Some(n) => c = n,
                    None => {
                        // A lone carriage return at the very end.
                        self.push(TokenKind::OP, start, self.pos);
                        return Ok(Step::More);
                    }
                }
            }

            if c == b'\n' {
                self.pos += 1;
                self.atbol = true;
                let is_nl = blankline || !self.parens.is_empty() || self.comment_newline;
                self.comment_newline = false;
                let kind = if is_nl {
                    TokenKind::NL
                } else {
                    TokenKind::NEWLINE
                };
                let s = self.loc(start);
                let e = (s.0, s.1 + count_chars(&self.buf[start..self.pos]));
                self.push_at(kind, start, self.pos, s, e);
                return Ok(Step::More);
            }

            if c == b'.' {
                match (self.peek(self.pos + 1), self.peek(self.pos + 2)) {
                    (Some(d), _) if d.is_ascii_digit() => {
                        self.pos += 1;
                        self.fraction()?;
                        self.exponent_and_imaginary()?;
                        self.push(TokenKind::NUMBER, start, self.pos);
                    }
                    (Some(b'.'), Some(b'.')) => {
                        self.pos += 3;
                        self.push(TokenKind::ELLIPSIS, start, self.pos);
                    }
                    _ => {
                        self.pos += 1;
                        self.push(TokenKind::DOT, start, self.pos);
                    }
                }
                return Ok(Step::More);
            }

            if c.is_ascii_digit() {
                self.number()?;
                self.push(TokenKind::NUMBER, start, self.pos);
                return Ok(Step::More);
            }

            if c == b'"' || c == b'\'' {
                self.string(start)?;
                return Ok(Step::More);
            }

            if c == b'\\' {
                self.pos += 1;
                self.continuation_line(false)?;
                continue;
            }

            return self.operator(start, c);
        }
    }

    fn operator(&mut self, start: usize, c: u8) -> LexResult<Step> {
        // A ':' at the top of a replacement field starts its format spec.
        if c == b':' {
            if let Some(m) = self.modes.last_mut() {
                if m.in_expr() && m.curly_depth - 1 == m.expr_start_depth {
                    m.regular = false;
                    m.in_format_spec = true;
                    self.pos += 1;
                    self.push(TokenKind::COLON, start, self.pos);
                    return Ok(Step::More);
                }
            }
        }
        let c2 = self.peek(self.pos + 1).unwrap_or(0);
        if let Some(k2) = two_chars(c, c2) {
            let c3 = self.peek(self.pos + 2).unwrap_or(0);
            if let Some(k3) = three_chars(c, c2, c3) {
                self.pos += 3;
                self.push(k3, start, self.pos);
            } else {
                self.pos += 2;
                self.push(k2, start, self.pos);
            }
            return Ok(Step::More);
        }
        if c == b'.' && c2 == b'.' && self.peek(self.pos + 2) == Some(b'.') {
            self.pos += 3;
            self.push(TokenKind::ELLIPSIS, start, self.pos);
            return Ok(Step::More);
        }
        self.pos += 1;
        match c {
            b'(' | b'[' | b'{' => {
                if self.parens.len() >= MAXLEVEL {
                    return Err(self.syntax_error("too many nested parentheses", self.pos));
                }
                self.parens.push(c);
                if let Some(m) = self.modes.last_mut() {
                    m.curly_depth += 1;
                }
            }
            b')' | b']' | b'}' => {
                if let Some(m) = self.modes.last() {
                    if m.curly_depth == 0 && c == b'}' {
                        let msg = format!("{}-string: single '}}' is not allowed", m.letter());
                        return Err(self.syntax_error(msg, self.pos));
                    }
                }
                if let Some(opening) = self.parens.pop() {
                    let matched =
                        matches!((opening, c), (b'(', b')') | (b'[', b']') | (b'{', b'}'));
                    if !matched && opening == b'{' {
                        if let Some(m) = self.modes.last() {
                            if m.curly_depth - 1 == m.expr_start_depth {
                                let msg =
                                    format!("{}-string: unmatched '{}'", m.letter(), c as char);
                                return Err(self.syntax_error(msg, self.pos));
                            }
                        }
                    }
                }
                if let Some(m) = self.modes.last_mut() {
                    m.curly_depth -= 1;
                    if m.curly_depth < 0 {
                        let msg = format!("{}-string: unmatched '{}'", m.letter(), c as char);
                        return Err(self.syntax_error(msg, self.pos));
                    }
                    if c == b'}' && m.curly_depth == m.expr_start_depth {
                        m.expr_start_depth -= 1;
                        m.expr_lines.pop();
                        m.regular = false;
                        m.in_format_spec = false;
                    }
                }
            }
            _ => {}
        }
        if c < 0x20 || c == 0x7f {
            let msg = format!("invalid non-printable character U+{:04X}", c);
            return Err(self.syntax_error(msg, self.pos));
        }
        let mut end = self.pos;
        if c >= 0x80 {
            // Only reachable after a stray carriage return: keep whole characters.
            while matches!(self.peek(end), Some(b) if (b & 0xC0) == 0x80) {
                end += 1;
            }
            self.pos = end;
        }
        self.push(one_char(c), start, end);
        Ok(Step::More)
    }

    // ---------------------------------------------------------------- names and prefixes

    fn name_or_string(&mut self, start: usize) -> LexResult<Step> {
        let (mut b, mut r, mut u, mut f, mut t) = (false, false, false, false, false);
        while let Some(c) = self.cur() {
            // Each prefix letter once; a repeated letter makes this an identifier.
            let seen = match c {
                b'b' | b'B' => &mut b,
                b'u' | b'U' => &mut u,
                b'r' | b'R' => &mut r,
                b'f' | b'F' => &mut f,
                b't' | b'T' => &mut t,
                _ => break,
            };
            if *seen {
                break;
            }
            *seen = true;
            self.pos += 1;
            if matches!(self.cur(), Some(b'"' | b'\'')) {
                let clash = [
                    (u && b, "u", "b"),
                    (u && r, "u", "r"),
                    (u && f, "u", "f"),
                    (u && t, "u", "t"),
                    (b && f, "b", "f"),
                    (b && t, "b", "t"),
                    (f && t, "f", "t"),
                ]
                .into_iter()
                .find(|c| c.0);
                if let Some((_, p1, p2)) = clash {
                    let (line, col) = self.loc(start);
                    let msg = format!("'{p1}' and '{p2}' prefixes are incompatible");
                    return Err(self.error_at(PyErrorKind::TokenError, msg, line, col + 1));
                }
                if f || t {
                    self.fstring_start(start, r, t)?;
                } else {
                    self.string(start)?;
                }
                return Ok(Step::More);
            }
        }
        while matches!(self.cur(), Some(c) if is_ident_char(c)) {
            self.pos += 1;
        }
        self.push(TokenKind::NAME, start, self.pos);
        Ok(Step::More)
    }

    // ---------------------------------------------------------------- numbers

    fn digit_at(&self, i: usize) -> bool {
        matches!(self.peek(i), Some(c) if c.is_ascii_digit())
    }

    fn decimal_tail(&mut self) -> LexResult<()> {
        loop {
            while self.digit_at(self.pos) {
                self.pos += 1;
            }
            if self.cur() != Some(b'_') {
                return Ok(());
            }
            self.pos += 1;
            if !self.digit_at(self.pos) {
                return Err(self.syntax_error("invalid decimal literal", self.pos));
            }
        }
    }

    /// Digits of a `0x`/`0o`/`0b` literal; `self.pos` is after the base letter.
    fn radix_digits(&mut self, kind: &str, ok: fn(u8) -> bool, digit_error: bool) -> LexResult<()> {
        loop {
            if self.cur() == Some(b'_') {
                self.pos += 1;
            }
            let c = self.cur().unwrap_or(0);
            if !ok(c) {
                if digit_error && c.is_ascii_digit() {
                    self.pos += 1;
                    let msg = format!("invalid digit '{}' in {kind} literal", c as char);
                    return Err(self.syntax_error(msg, self.pos));
                }
                return Err(self.syntax_error(format!("invalid {kind} literal"), self.pos));
            }
            while matches!(self.cur(), Some(c) if ok(c)) {
                self.pos += 1;
            }
            if self.cur() != Some(b'_') {
                break;
            }
        }
        if digit_error {
            if let Some(c) = self.cur().filter(|c| c.is_ascii_digit()) {
                self.pos += 1;
                let msg = format!("invalid digit '{}' in {kind} literal", c as char);
                return Err(self.syntax_error(msg, self.pos));
            }
        }
        Ok(())
    }

    /// After a '.', the digits of a fraction (if any).
    fn fraction(&mut self) -> LexResult<()> {
        if self.digit_at(self.pos) {
            self.decimal_tail()?;
        }
        Ok(())
    }

    fn exponent_and_imaginary(&mut self) -> LexResult<()> {
        if matches!(self.cur(), Some(b'e' | b'E')) {
            let e = self.pos;
            self.pos += 1;
            if matches!(self.cur(), Some(b'+' | b'-')) {
                self.pos += 1;
                if !self.digit_at(self.pos) {
                    return Err(self.syntax_error("invalid decimal literal", self.pos));
                }
            } else if !self.digit_at(self.pos) {
                self.pos = e;
                return Ok(());
            }
            self.decimal_tail()?;
        }
        if matches!(self.cur(), Some(b'j' | b'J')) {
            self.pos += 1;
        }
        Ok(())
    }

    fn number(&mut self) -> LexResult<()> {
        if self.cur() == Some(b'0') {
            self.pos += 1;
            match self.cur() {
                Some(b'x' | b'X') => {
                    self.pos += 1;
                    return self.radix_digits("hexadecimal", |c| c.is_ascii_hexdigit(), false);
                }
                Some(b'o' | b'O') => {
                    self.pos += 1;
                    return self.radix_digits("octal", |c| (b'0'..b'8').contains(&c), true);
                }
                Some(b'b' | b'B') => {
                    self.pos += 1;
                    return self.radix_digits("binary", |c| c == b'0' || c == b'1', true);
                }
                _ => {}
            }
            loop {
                if self.cur() == Some(b'_') {
                    self.pos += 1;
                    if !self.digit_at(self.pos) {
                        return Err(self.syntax_error("invalid decimal literal", self.pos));
                    }
                }
                if self.cur() != Some(b'0') {
                    break;
                }
                self.pos += 1;
            }
            if self.digit_at(self.pos) {
                self.decimal_tail()?;
            }
            match self.cur() {
                Some(b'.') => {
                    self.pos += 1;
                    self.fraction()?;
                    self.exponent_and_imaginary()
                }
                Some(b'e' | b'E' | b'j' | b'J') => self.exponent_and_imaginary(),
                _ => Ok(()),
            }
        } else {
            self.decimal_tail()?;
            if self.cur() == Some(b'.') {
                self.pos += 1;
                self.fraction()?;
            }
            self.exponent_and_imaginary()
        }
    }

    // ---------------------------------------------------------------- strings

    /// A plain (not f/t) string literal; `start` is its first prefix letter (or quote) and
    /// `self.pos` its opening quote.
    fn string(&mut self, start: usize) -> LexResult<()> {
        let quote = self.cur().unwrap_or(b'"');
        self.pos += 1;
        let mut quote_size = 1;
        let mut end_quote_size = 0;
        if self.cur() == Some(quote) {
            self.pos += 1;
            if self.cur() == Some(quote) {
                self.pos += 1;
                quote_size = 3;
            } else {
                end_quote_size = 1;
            }
        }
        let mut escaped_quote = false;
        while end_quote_size != quote_size {
            let c = self.cur();
            if c.is_none() || (quote_size == 1 && c == Some(b'\n')) {
                let detected = match c {
                    Some(_) => self.line_of(self.pos),
                    None => self.last_lineno(),
                };
                return Err(self.unterminated_string(
                    start,
                    quote,
                    quote_size,
                    escaped_quote,
                    detected,
                ));
            }
            self.pos += 1;
            let c = c.unwrap_or(0);
            if c == quote {
                end_quote_size += 1;
            } else {
                end_quote_size = 0;
                if c == b'\\' {
                    let next = self.cur();
                    if next.is_some() {
                        self.pos += 1;
                    }
                    if next == Some(quote) {
                        escaped_quote = true;
                    }
                    if next == Some(b'\r') && self.cur().is_some() {
                        self.pos += 1;
                    }
                }
            }
        }
        self.push(TokenKind::STRING, start, self.pos);
        Ok(())
    }

    fn unterminated_string(
        &mut self,
        start: usize,
        quote: u8,
        quote_size: usize,
        escaped_quote: bool,
        detected: usize,
    ) -> Box<PyError> {
        let (line, col) = self.loc(start);
        let offset = col + 1;
        let err = |lx: &Self, msg: String| lx.error_at(PyErrorKind::TokenError, msg, line, offset);
        if let Some(m) = self.modes.last() {
            if m.quote == quote && m.quote_size == quote_size {
                let mut msg = format!("{}-string: expecting '}}'", m.letter());
                // 3.15 names the line of the replacement field's '{' when it is elsewhere.
                match m.expr_lines.last() {
                    Some(&brace_line)
                        if self.version.profile().fstring_brace_error_names_line
                            && brace_line != line =>
                    {
                        msg.push_str(&format!(" to close '{{' on line {brace_line}"));
                    }
                    _ => {}
                }
                return err(self, msg);
            }
        }
        if quote_size == 3 {
            // `tokenize` rewords CPython's "unterminated triple-quoted string literal".
            err(self, "EOF in multi-line string".to_string())
        } else if escaped_quote {
            err(
                self,
                format!(
                    "unterminated string literal (detected at line {detected}); perhaps you escaped the end quote?"
                ),
            )
        } else {
            err(
                self,
                format!("unterminated string literal (detected at line {detected})"),
            )
        }
    }

    // ---------------------------------------------------------------- f-strings and t-strings

    fn fstring_start(&mut self, start: usize, raw: bool, tstring: bool) -> LexResult<()> {
        let quote = self.cur().unwrap_or(b'"');
        self.pos += 1;
        let mut quote_size = 1;
        if self.cur() == Some(quote) && self.peek(self.pos + 1) == Some(quote) {
            self.pos += 2;
            quote_size = 3;
        }
        if self.modes.len() + 2 > MAXFSTRINGLEVEL {
            return Err(self.syntax_error("too many nested f-strings or t-strings", self.pos));
        }
        self.modes.push(FMode {
            quote,
            quote_size,
            raw,
            tstring,
            start,
            regular: false,
            curly_depth: 0,
            expr_start_depth: -1,
            in_format_spec: false,
            expr_lines: Vec::new(),
        });
        let kind = if tstring {
            TokenKind::TSTRING_START
        } else {
            TokenKind::FSTRING_START
        };
        self.push(kind, start, self.pos);
        Ok(())
    }

    /// Enters a replacement field whose '{' is at `self.pos`.
    fn enter_expr(&mut self) -> LexResult<()> {
        let line = self.line_of(self.pos);
        let Some(m) = self.modes.last_mut() else {
            return Ok(());
        };
        m.expr_start_depth += 1;
        if m.expr_start_depth >= MAX_EXPR_NESTING {
            let msg = format!("{}-string: expressions nested too deeply", m.letter());
            return Err(self.syntax_error(msg, self.pos));
        }
        m.regular = true;
        m.expr_lines.push(line);
        Ok(())
    }

    fn fstring_mode(&mut self) -> LexResult<Step> {
        let start = self.pos;
        let Some(m) = self.modes.last() else {
            return Ok(Step::More);
        };
        let (quote, qs, raw, tstring) = (m.quote, m.quote_size, m.raw, m.tstring);
        let (middle, end_kind) = if tstring {
            (TokenKind::TSTRING_MIDDLE, TokenKind::TSTRING_END)
        } else {
            (TokenKind::FSTRING_MIDDLE, TokenKind::FSTRING_END)
        };

        if self.cur() == Some(b'{') && self.peek(self.pos + 1) != Some(b'{') {
            self.enter_expr()?;
            return self.normal_mode();
        }

        if (0..qs).all(|i| self.peek(self.pos + i) == Some(quote)) {
            self.pos += qs;
            self.modes.pop();
            self.push(end_kind, start, self.pos);
            return Ok(Step::More);
        }

        let mut end_quote_size = 0;
        let mut unicode_escape = false;
        while end_quote_size != qs {
            let (in_format_spec, curly_depth) = match self.modes.last() {
                Some(m) => (m.in_format_spec && m.in_expr(), m.curly_depth),
                None => (false, 0),
            };
            let c = self.cur();
            if c.is_none() || (qs == 1 && c == Some(b'\n')) {
                if c.is_some() {
                    self.pos += 1;
                }
                let letter = if tstring { 't' } else { 'f' };
                if in_format_spec && c == Some(b'\n') {
                    let msg = format!(
                        "{letter}-string: newlines are not allowed in format specifiers for single quoted {letter}-strings"
                    );
                    return Err(self.syntax_error(msg, self.pos));
                }
                let detected = match c {
                    Some(_) => self.line_of(self.pos - 1),
                    None => self.last_lineno(),
                };
                let fstart = self.modes.last().map_or(start, |m| m.start);
                let (line, col) = self.loc(fstart);
                let msg = if qs == 3 {
                    format!("unterminated triple-quoted {letter}-string literal (detected at line {detected})")
                } else {
                    format!("unterminated {letter}-string literal (detected at line {detected})")
                };
                return Err(self.error_at(PyErrorKind::TokenError, msg, line, col + 1));
            }
            let c = c.unwrap_or(0);
            self.pos += 1;
            if c == quote {
                end_quote_size += 1;
                continue;
            }
            end_quote_size = 0;
            match c {
                b'{' => {
                    if self.cur() != Some(b'{') || in_format_spec {
                        self.pos -= 1;
                        self.enter_expr()?;
                        if let Some(m) = self.modes.last_mut() {
                            m.in_format_spec = false;
                        }
                        self.push(middle, start, self.pos);
                    } else {
                        self.pos += 1;
                        self.push_middle_escaped(middle, start);
                    }
                    return Ok(Step::More);
                }
                b'}' => {
                    if unicode_escape {
                        self.push(middle, start, self.pos);
                        return Ok(Step::More);
                    }
                    if self.cur() == Some(b'}') && !in_format_spec && curly_depth == 0 {
                        self.pos += 1;
                        self.push_middle_escaped(middle, start);
                    } else {
                        self.pos -= 1;
                        if let Some(m) = self.modes.last_mut() {
                            m.regular = true;
                            m.in_format_spec = false;
                        }
                        self.push(middle, start, self.pos);
                    }
                    return Ok(Step::More);
                }
                b'\\' => {
                    let mut p = self.cur();
                    if p.is_some() {
                        self.pos += 1;
                    }
                    if p == Some(b'\r') {
                        p = self.cur();
                        if p.is_some() {
                            self.pos += 1;
                        }
                    }
                    if let Some(brace @ (b'{' | b'}')) = p {
                        self.pos -= 1;
                        if !raw {
                            let line = self.line_of(self.pos);
                            self.warnings.push((line, brace as char));
                        }
                        continue;
                    }
                    if !raw && p == Some(b'N') && self.cur() == Some(b'{') {
                        self.pos += 1;
                        unicode_escape = true;
                    }
                }
                _ => {}
            }
        }
        self.pos -= qs;
        self.push(middle, start, self.pos);
        Ok(Step::More)
    }

    /// A middle ending in an escaped brace pair: the token shows one brace; the next token
    /// starts after the second (`self.pos`).
    fn push_middle_escaped(&mut self, kind: TokenKind, start: usize) {
        self.push(kind, start, self.pos - 1);
    }
}

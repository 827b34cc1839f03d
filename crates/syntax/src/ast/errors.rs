//! rustpython-parser's errors → the `SyntaxError`s CPython reports.

use super::convert::TypeComment;
use super::scan::{Comment, Limit, Scan, TokError};
use super::{make, AstValue, NodeKind};
use cpyviz_model::error::{PyError, PyErrorKind};
use cpyviz_model::source::Source;
use cpyviz_model::version::PyVersion;
use rustpython_parser::{ParseError, ParseErrorType};

/// `text[a..b]`, clamped to the text and to character boundaries (never panics).
fn sub(text: &str, a: usize, b: usize) -> &str {
    let floor = |mut i: usize| {
        i = i.min(text.len());
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let (a, b) = (floor(a), floor(b));
    text.get(a..b.max(a)).unwrap_or("")
}

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
        Limit::FstringSpecs(at) => error_at(
            src,
            PyErrorKind::SyntaxError,
            "f-string: expressions nested too deeply".into(),
            at,
            at,
        ),
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
            let mut tag = text.get(p + 6..c.end).unwrap_or("").to_string();
            // Alone on its line, the comment takes the newline with it.
            let line_start = sub(text, 0, c.start).rfind('\n').map_or(0, |i| i + 1);
            if sub(text, line_start, c.start).trim().is_empty()
                && sub(text, c.end, usize::MAX).starts_with(['\n', '\r'])
            {
                tag.push('\n');
            }
            ignores.push(AstValue::Node(Box::new(make::type_ignore(
                None,
                AstValue::Int(line as i64),
                AstValue::Str(tag),
            ))));
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

/// A target the grammar rejects (tokenizer errors anywhere in the file come first).
pub fn invalid_target(src: &Source, sc: &Scan, bad: super::validate::Invalid) -> PyError {
    if let Some(te) = sc.tok_error {
        return tok_error(src, te);
    }
    let (s, e) = bad
        .span
        .map_or((0, 1), |sp| (sp.start as usize, sp.end as usize));
    error_at(src, PyErrorKind::SyntaxError, bad.msg, s, e)
}

/// The byte range of the token starting at `at` (an approximation of CPython's tokenizer).
pub fn token_at(text: &str, at: usize) -> (usize, usize) {
    let b = text.as_bytes();
    if at >= b.len() {
        return (at, at + 1);
    }
    let c = b[at];
    let ident = |x: u8| x.is_ascii_alphanumeric() || x == b'_' || x >= 0x80;
    let mut j = at;
    if c == b'\'' || c == b'"' || (ident(c) && !c.is_ascii_digit()) {
        while j < b.len() && ident(b[j]) {
            j += 1;
        }
        let prefix = sub(text, at, j);
        if j < b.len()
            && (b[j] == b'\'' || b[j] == b'"')
            && prefix.len() <= 2
            && prefix.chars().all(|ch| "rRbBuUfFtT".contains(ch))
        {
            let q = b[j];
            let triple = b.get(j + 1) == Some(&q) && b.get(j + 2) == Some(&q);
            j += if triple { 3 } else { 1 };
            while j < b.len() {
                if b[j] == b'\\' {
                    j += 2;
                    continue;
                }
                if b[j] == q && (!triple || (b.get(j + 1) == Some(&q) && b.get(j + 2) == Some(&q)))
                {
                    j += if triple { 3 } else { 1 };
                    break;
                }
                if b[j] == b'\n' && !triple {
                    break;
                }
                j += 1;
            }
        }
        return (at, j.min(b.len()).max(at + 1));
    }
    if c.is_ascii_digit() || (c == b'.' && b.get(at + 1).is_some_and(|x| x.is_ascii_digit())) {
        while j < b.len() {
            let x = b[j];
            if ident(x)
                || x == b'.'
                || ((x == b'+' || x == b'-') && matches!(b[j - 1], b'e' | b'E'))
            {
                j += 1;
            } else {
                break;
            }
        }
        return (at, j);
    }
    for op in [
        "**=", "//=", ">>=", "<<=", "...", "!=", "%=", "&=", "**", "*=", "+=", "-=", "->", "//",
        "/=", ":=", "<<", "<=", "==", ">=", ">>", "@=", "^=", "|=",
    ] {
        if sub(text, at, usize::MAX).starts_with(op) {
            return (at, at + op.len());
        }
    }
    let len = sub(text, at, usize::MAX)
        .chars()
        .next()
        .map_or(1, char::len_utf8);
    (at, at + len)
}

/// The first token at or after `at` (skipping blanks).
fn skip_blanks(text: &str, mut at: usize) -> usize {
    let b = text.as_bytes();
    while at < b.len() && matches!(b[at], b' ' | b'\t' | b'\x0c') {
        at += 1;
    }
    at
}

/// The start of the token ending right before `at` (skipping blanks backwards).
fn prev_token_end(text: &str, at: usize) -> usize {
    let b = text.as_bytes();
    let mut j = at.min(b.len());
    while j > 0 && matches!(b[j - 1], b' ' | b'\t' | b'\x0c') {
        j -= 1;
    }
    j
}

/// The block-opening statement whose header ends before `at`: its description in
/// `expected an indented block after …` and its line.
fn block_header(src: &Source, at: usize) -> Option<(String, usize)> {
    let (line, _) = src.line_col(at.min(src.text.len()));
    for l in (1..=line).rev() {
        let t = src.line_text(l).trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if l == line && !t.trim_end().ends_with(':') && l != src.line_count() + 1 {
            // The failing line itself: the header is above unless this line ends with `:`.
            let before = sub(&src.text, src.line_start(l), at.min(src.text.len()));
            if before.trim().is_empty() {
                continue;
            }
        }
        let word: String = t
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let rest = t[word.len()..].trim_start();
        let word = if word == "async" {
            rest.chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        } else {
            word
        };
        let what = match word.as_str() {
            "def" => "function definition".to_string(),
            "class" => "class definition".to_string(),
            "except" if rest.starts_with('*') => "'except*' statement".to_string(),
            "if" | "elif" | "else" | "for" | "while" | "with" | "try" | "except" | "finally"
            | "match" | "case" => format!("'{word}' statement"),
            _ => return None,
        };
        return Some((what, l));
    }
    None
}

fn starts_expression(text: &str, at: usize) -> bool {
    let Some(c) = sub(text, at.min(text.len()), usize::MAX).chars().next() else {
        return false;
    };
    if c.is_alphanumeric() || c == '_' || matches!(c, '\'' | '"' | '(' | '[' | '{' | '.') {
        let (s, e) = token_at(text, at);
        let w = sub(text, s, e);
        return !matches!(
            w,
            "and"
                | "or"
                | "if"
                | "else"
                | "for"
                | "in"
                | "is"
                | "as"
                | "from"
                | "async"
                | "await"
                | "import"
                | "while"
                | "with"
                | "return"
                | "yield"
                | "del"
                | "pass"
                | "break"
                | "continue"
                | "raise"
                | "global"
                | "nonlocal"
                | "assert"
                | "class"
                | "def"
                | "try"
                | "except"
                | "finally"
                | "elif"
        ) && (c != '.' || w.starts_with(|x: char| x == '.' && w.len() > 1));
    }
    false
}

fn ends_expression(text: &str, end: usize) -> Option<usize> {
    // Returns the start of the token that ends at `end`, if it can end an expression.
    let b = text.as_bytes();
    if end == 0 {
        return None;
    }
    let last = b[end - 1];
    if matches!(last, b')' | b']' | b'}') {
        return Some(end - 1);
    }
    if last.is_ascii_alphanumeric() || last == b'_' || last >= 0x80 || last == b'\'' || last == b'"'
    {
        // Walk back to the token start: find a token starting at some j with end == `end`.
        let line_start = sub(text, 0, end).rfind('\n').map_or(0, |i| i + 1);
        let mut j = line_start;
        while j < end {
            j = skip_blanks(text, j);
            let (s, e) = token_at(text, j);
            if e >= end {
                let w = sub(text, s, e.min(text.len()));
                let kw = matches!(
                    w,
                    "and"
                        | "or"
                        | "not"
                        | "if"
                        | "else"
                        | "for"
                        | "in"
                        | "is"
                        | "as"
                        | "from"
                        | "import"
                        | "return"
                        | "yield"
                        | "lambda"
                        | "del"
                        | "assert"
                        | "raise"
                        | "while"
                        | "with"
                        | "def"
                        | "class"
                        | "elif"
                        | "except"
                        | "await"
                );
                return (e == end && !kw).then_some(s);
            }
            j = e.max(j + 1);
        }
    }
    None
}

/// The start of the expression (`disjunction`) ending at the token starting at `tok_start`,
/// scanning back at the same bracket depth.
fn expression_start(text: &str, tok_start: usize, limit: usize) -> usize {
    let b = text.as_bytes();
    let mut j = tok_start;
    let mut depth = 0i32;
    let mut start = tok_start;
    while j > limit {
        let c = b[j - 1];
        match c {
            b')' | b']' | b'}' => depth += 1,
            b'(' | b'[' | b'{' if depth > 0 => depth -= 1,
            b'(' | b'[' | b'{' | b',' | b'=' | b':' | b';' if depth == 0 => break,
            b'\n' if depth == 0 => break,
            _ => {}
        }
        j -= 1;
        if !matches!(c, b' ' | b'\t') {
            start = j;
        }
    }
    start
}

/// The end of the expression starting at `at`, scanning forward at the same bracket depth.
fn expression_end(text: &str, at: usize) -> usize {
    let b = text.as_bytes();
    let mut j = at;
    let mut depth = 0i32;
    let mut end = at;
    while j < b.len() {
        let c = b[j];
        match c {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth > 0 => depth -= 1,
            b')' | b']' | b'}' | b',' | b'=' | b':' | b';' | b'\n' | b'#' if depth == 0 => break,
            b'\'' | b'"' => {
                let (_, e) = token_at(text, j);
                j = e;
                end = e;
                continue;
            }
            _ => {}
        }
        j += 1;
        if !matches!(c, b' ' | b'\t') {
            end = j;
        }
    }
    end
}

/// The string literal that contains `off`.
fn token_around(src: &Source, off: usize) -> Option<(usize, usize)> {
    let text = &src.text;
    // From the start of the line, else of the text (a triple-quoted string may start on an
    // earlier line).
    let from_line = src.line_start(pos(src, off).0);
    let is_string = |&(s, e): &(usize, usize)| {
        sub(text, s, e)
            .trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .starts_with(['\'', '"'])
    };
    [from_line, 0]
        .into_iter()
        .find_map(|j| token_from(text, j, off).filter(is_string))
}

fn token_from(text: &str, mut j: usize, off: usize) -> Option<(usize, usize)> {
    while j < text.len() && j <= off {
        j = skip_blanks(text, j);
        let (s, e) = token_at(text, j);
        if s <= off && off < e {
            return Some((s, e));
        }
        j = e.max(j + 1);
    }
    None
}

/// CPython's error for the first invalid escape of the string literal at `s..e`, as its
/// `unicode_escape` decoder reports it (`'\N{NOPE}'`, `'\x4'`, `b'\x4'`…). `None` for raw
/// strings and f-/t-strings (see [`literal_error`]).
fn escape_error(src: &Source, s: usize, e: usize) -> Option<PyError> {
    let tok = sub(&src.text, s, e);
    let prefix: String = tok
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if prefix.contains(['r', 'f', 't']) {
        return None;
    }
    let rest = &tok[prefix.len()..];
    let quote = ["'''", "\"\"\"", "'", "\""]
        .into_iter()
        .find(|q| rest.starts_with(q))?;
    let body = rest[quote.len()..]
        .strip_suffix(quote)
        .unwrap_or(&rest[quote.len()..]);
    let msg = first_bad_escape(body, prefix.contains('b'))?;
    Some(error_at(src, PyErrorKind::SyntaxError, msg, s, e))
}

/// The `SyntaxError` message for the first escape of literal text `body` that CPython's
/// decoder rejects: `(unicode error) 'unicodeescape' codec …` for str, `(value error) …`
/// for bytes. Positions count the text the way the decoder sees it: a non-ASCII character
/// is ten bytes (CPython first rewrites it as a `\UXXXXXXXX` escape).
fn first_bad_escape(body: &str, bytes: bool) -> Option<String> {
    let width = |c: char| if c.is_ascii() { 1 } else { 10 };
    let total: usize = body.chars().map(width).sum();
    let mut chars = body.chars().peekable();
    let mut p = 0;
    let decode = |start: usize, end: usize, why: &str| {
        format!(
            "(unicode error) 'unicodeescape' codec can't decode bytes in position {start}-{}: {why}",
            end - 1
        )
    };
    while let Some(c) = chars.next() {
        if c != '\\' {
            p += width(c);
            continue;
        }
        let start = p;
        let Some(k) = chars.next() else { break };
        p += 1 + width(k);
        let digits = match k {
            'x' => 2,
            'u' | 'U' if !bytes => {
                if k == 'u' {
                    4
                } else {
                    8
                }
            }
            'N' if !bytes => {
                if chars.peek() != Some(&'{') {
                    return Some(decode(start, p, "malformed \\N character escape"));
                }
                chars.next();
                p += 1;
                let mut name = String::new();
                let mut closed = false;
                for c in chars.by_ref() {
                    p += width(c);
                    if c == '}' {
                        closed = true;
                        break;
                    }
                    name.push(c);
                }
                if !closed || name.is_empty() {
                    let end = if closed { start + 3 } else { total };
                    return Some(decode(start, end, "malformed \\N character escape"));
                }
                if unicode_names2::character(&name.to_uppercase()).is_none() {
                    return Some(decode(start, p, "unknown Unicode character name"));
                }
                continue;
            }
            _ => continue,
        };
        let mut value = 0u32;
        let mut found = 0;
        while found < digits {
            match chars.peek().and_then(|c| c.to_digit(16)) {
                Some(d) => {
                    value = value * 16 + d;
                    found += 1;
                    chars.next();
                    p += 1;
                }
                None => break,
            }
        }
        if found < digits {
            if bytes {
                return Some(format!(
                    "(value error) invalid \\x escape at position {start}"
                ));
            }
            let what = match k {
                'x' => "truncated \\xXX escape",
                'u' => "truncated \\uXXXX escape",
                _ => "truncated \\UXXXXXXXX escape",
            };
            return Some(decode(start, p, what));
        }
        if k == 'U' && value > 0x10FFFF {
            return Some(decode(start, p, "illegal Unicode character"));
        }
    }
    None
}

/// The first error CPython's parser raises while reading string literals, among the tokens
/// that start before `before`: a bad escape or an unparenthesized lambda in an f-string
/// field ([`unparenthesized_lambda`]). Literals are decoded in CPython's order: a plain
/// string and a format spec's text as the parser reads them (the spec's error is a bare
/// `UnicodeDecodeError`, not a `SyntaxError`), an f-string's text when the f-string ends (so
/// an f-string inside a replacement field comes before the text around it). The
/// `SyntaxError` spans the plain string, or the f-string's text token (`FSTRING_MIDDLE`;
/// positions count in it).
pub fn literal_error(src: &Source, version: PyVersion, before: usize) -> Option<PyError> {
    literal_walk(src, version, before, false)
}

/// The replacement fields CPython rejects although the built-in reader of f-strings takes
/// them: `f"{}"`, `f"{=}"`, `f"{!r}"`, `f"{:>3}"` (no expression: read as an empty tuple) and
/// `f"{x for x in y}"` (read as a generator). Called after a successful parse of a file that
/// holds f-strings or t-strings.
pub fn field_error(src: &Source, version: PyVersion) -> Option<PyError> {
    literal_walk(src, version, usize::MAX, true)
}

/// The walk behind [`literal_error`] and, with `fields_only`, [`field_error`].
fn literal_walk(
    src: &Source,
    version: PyVersion,
    before: usize,
    fields_only: bool,
) -> Option<PyError> {
    use cpyviz_model::tokens::TokenKind as K;
    let toks = crate::tokens::tokens_before_error(src, version);
    let range = |i: usize| {
        let sp = toks[i].span;
        (sp.start as usize, sp.end as usize)
    };
    let text_error = |i: usize| {
        let (s, e) = range(i);
        first_bad_escape(sub(&src.text, s, e), false)
            .map(|msg| error_at(src, PyErrorKind::SyntaxError, msg, s, e))
    };
    // The f-strings being read, innermost last: whether raw, their text tokens so far, and
    // where the walk is inside them.
    struct FString {
        raw: bool,
        t: bool,
        texts: Vec<usize>,
        frames: Vec<Frame>,
    }
    let mut open: Vec<FString> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        if t.span.start as usize >= before {
            break;
        }
        // `f-string: …` or `t-string: …`, as the innermost open literal is.
        let letter = if open.last().is_some_and(|f| f.t) {
            't'
        } else {
            'f'
        };
        let fail = |msg: String, s: u32, e: u32| {
            Some(error_at(
                src,
                PyErrorKind::SyntaxError,
                format!("{letter}-string: {msg}"),
                s as usize,
                e as usize,
            ))
        };
        let top = open
            .last_mut()
            .and_then(|f| f.frames.last_mut().map(|fr| (f.raw, fr)));
        match (t.kind, top) {
            (K::STRING, _) if !fields_only => {
                let (s, e) = range(i);
                if let Some(err) = escape_error(src, s, e) {
                    return Some(err);
                }
            }
            (K::FSTRING_START | K::TSTRING_START, _) => open.push(FString {
                t: t.kind == K::TSTRING_START,
                raw: t
                    .text
                    .chars()
                    .take_while(char::is_ascii_alphabetic)
                    .any(|c| c.eq_ignore_ascii_case(&'r')),
                texts: Vec::new(),
                frames: vec![Frame::Text],
            }),
            (K::FSTRING_MIDDLE | K::TSTRING_MIDDLE, Some((false, Frame::Spec))) if !fields_only => {
                let (s, e) = range(i);
                if let Some(msg) = first_bad_escape(sub(&src.text, s, e), false) {
                    let reason = msg.trim_start_matches("(unicode error) ").to_string();
                    return Some(PyError::new(
                        PyErrorKind::UnicodeDecodeError,
                        reason,
                        src.path.clone(),
                    ));
                }
            }
            (K::FSTRING_MIDDLE | K::TSTRING_MIDDLE, Some((false, Frame::Text))) if !fields_only => {
                if let Some(f) = open.last_mut() {
                    f.texts.push(i);
                }
            }
            (K::FSTRING_END | K::TSTRING_END, Some((_, Frame::Text))) => {
                let f = open.pop()?;
                if let Some(err) = f.texts.into_iter().find_map(text_error) {
                    return Some(err);
                }
            }
            (K::LBRACE, Some((_, Frame::Text | Frame::Spec))) => {
                let next = toks[i + 1..].iter().find(|n| n.kind != K::NL);
                if let Some(n) = next
                    .filter(|n| matches!(n.kind, K::RBRACE | K::EQUAL | K::EXCLAMATION | K::COLON))
                {
                    let msg = format!("valid expression required before '{}'", n.text);
                    return fail(msg, n.span.start, n.span.end);
                }
                if let Some(f) = open.last_mut() {
                    f.frames.push(Frame::Field(0, i));
                }
            }
            (K::LBRACE | K::LPAR | K::LSQB, Some((_, Frame::Field(d, _)))) => *d += 1,
            (K::RPAR | K::RSQB, Some((_, Frame::Field(d, _)))) => *d = d.saturating_sub(1),
            (K::RBRACE, Some((_, Frame::Field(d, _)))) if *d > 0 => *d -= 1,
            (K::RBRACE, Some((_, Frame::Field(..) | Frame::Spec))) => {
                if let Some(f) = open.last_mut() {
                    f.frames.pop();
                }
            }
            (K::NAME, Some((_, Frame::Field(0, _)))) if t.text == "for" => {
                // `f"{x for x in y}"`: the expression ends before `for` (or `async for`).
                let at = if i > 0 && toks[i - 1].text == "async" {
                    i - 1
                } else {
                    i
                };
                let msg = "expecting '=', or '!', or ':', or '}'".to_string();
                return fail(msg, toks[at].span.start, toks[at].span.end);
            }
            (K::EXCLAMATION, Some((_, Frame::Field(0, _)))) => {
                // A conversion: its name right after the `!`, then `:` or `}`.
                let Some(name) = toks.get(i + 1).filter(|n| n.kind == K::NAME) else {
                    continue;
                };
                let msg = if name.span.start != t.span.end {
                    Some((
                        "conversion type must come right after the exclamation mark".to_string(),
                        t.span.start,
                        name.span.end,
                    ))
                } else if !matches!(name.text.as_str(), "s" | "r" | "a") {
                    Some((
                        format!(
                            "invalid conversion character '{}': expected 's', 'r', or 'a'",
                            name.text
                        ),
                        name.span.start,
                        name.span.end,
                    ))
                } else {
                    toks[i + 2..]
                        .iter()
                        .find(|n| n.kind != K::NL)
                        .filter(|n| !matches!(n.kind, K::COLON | K::RBRACE))
                        .map(|n| ("expecting ':' or '}'".to_string(), n.span.start, n.span.end))
                };
                if let Some((msg, s, e)) = msg {
                    return fail(msg, s, e);
                }
            }
            (K::COLON, Some((_, fr @ Frame::Field(0, _)))) => {
                let Frame::Field(_, open_at) = *fr else {
                    continue;
                };
                *fr = Frame::Spec;
                if fields_only {
                    continue;
                }
                if let Some(err) = unparenthesized_lambda(src, version, &toks, open_at, i, letter) {
                    return Some(err);
                }
            }
            _ => {}
        }
    }
    None
}

/// Where the walk is inside an f-string: its literal text, a replacement field's expression
/// (at a bracket depth; the index of its `{`), or the field's format spec.
#[derive(Clone, Copy, PartialEq)]
enum Frame {
    Text,
    Field(usize, usize),
    Spec,
}

/// Whether the f-string at `s..e` (an unterminated one, up to where its token ends) ends
/// inside the format spec of a replacement field: `Some(true)` when a nested field has closed
/// in that spec already, `Some(false)` when none has.
fn ends_in_spec(text: &str, s: usize, e: usize) -> Option<bool> {
    let b = &text.as_bytes()[..e.min(text.len())];
    let mut i = s;
    while i < b.len() && b[i].is_ascii_alphabetic() {
        i += 1;
    }
    let &q = b.get(i)?;
    i += if b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q) {
        3
    } else {
        1
    };
    // The frames, each with whether a nested field has closed in it.
    let mut frames = vec![(Frame::Text, false)];
    while i < b.len() {
        let Some((top, _)) = frames.last_mut() else {
            break;
        };
        let c = b[i];
        let next = b.get(i + 1).copied();
        i += match (c, &mut *top) {
            (b'\\', Frame::Text | Frame::Spec) => 2,
            (b'{', Frame::Text) if next == Some(b'{') => 2,
            (b'}', Frame::Text) if next == Some(b'}') => 2,
            (b'{', Frame::Text | Frame::Spec) => {
                frames.push((Frame::Field(0, 0), false));
                1
            }
            (b'}', Frame::Spec) | (b'}', Frame::Field(0, _)) => {
                frames.pop();
                if let Some((_, closed)) = frames.last_mut() {
                    *closed = true;
                }
                1
            }
            (b'\'' | b'"', Frame::Field(..)) => {
                let end = super::newsyntax::string_token(b, i).map_or(b.len(), |t| t.end);
                end.max(i + 1) - i
            }
            (b'(' | b'[' | b'{', Frame::Field(d, _)) => {
                *d += 1;
                1
            }
            (b')' | b']' | b'}', Frame::Field(d, _)) => {
                *d = d.saturating_sub(1);
                1
            }
            (b':', fr @ Frame::Field(0, _)) => {
                *fr = Frame::Spec;
                1
            }
            _ => 1,
        };
    }
    match frames.last() {
        Some(&(Frame::Spec, closed)) => Some(closed),
        _ => None,
    }
}

/// `f"{lambda x: x}"`: the `:` that ends a lambda's parameters starts the format spec instead,
/// and CPython names the mistake, from the `lambda` to that `:`. `open_at` is the field's `{`,
/// `colon` the `:` at its depth 0. The lambda is the last at depth 0 before the colon, where
/// an expression may start (after the `{`, a `,`, `else`, `yield`, `yield from`, or the `=` of
/// a parameter's default), with valid parameters before the colon.
fn unparenthesized_lambda(
    src: &Source,
    version: PyVersion,
    toks: &[cpyviz_model::tokens::Token],
    open_at: usize,
    colon: usize,
    letter: char,
) -> Option<PyError> {
    use cpyviz_model::tokens::TokenKind as K;
    let mut depth = 0usize;
    let mut lambdas = Vec::new();
    for (k, t) in toks.iter().enumerate().take(colon).skip(open_at + 1) {
        match t.kind {
            K::LPAR | K::LSQB | K::LBRACE => depth += 1,
            K::RPAR | K::RSQB | K::RBRACE => depth = depth.saturating_sub(1),
            K::NAME if depth == 0 && t.text == "lambda" => lambdas.push(k),
            _ => {}
        }
    }
    let &at = lambdas.last()?;
    let before = &toks[at - 1];
    let starts_expression = match (before.kind, before.text.as_str()) {
        (K::LBRACE | K::COMMA, _) => true,
        (K::NAME, "else" | "yield") => true,
        (K::NAME, "from") => at >= 2 && toks[at - 2].text == "yield",
        (K::EQUAL, _) => lambdas.len() > 1,
        _ => false,
    };
    if !starts_expression {
        return None;
    }
    let (start, params_from) = (toks[at].span.start as usize, toks[at].span.end as usize);
    let (params_to, end) = (
        toks[colon].span.start as usize,
        toks[colon].span.end as usize,
    );
    let params = src.text.get(params_from..params_to)?;
    let probe = Source::from_text(src.path.clone(), format!("(lambda{params}: 0)\n"));
    super::parse_module(&probe, version, false).0.ok()?;
    Some(error_at(
        src,
        PyErrorKind::SyntaxError,
        format!("{letter}-string: lambda expressions are not allowed without parentheses"),
        start,
        end,
    ))
}

/// `(a.b := 1)`: CPython's `invalid_named_expression`, for a `:=` whose target is not a
/// name, where the grammar takes a named expression: a parenthesized, list, set or subscript
/// element, an `if`/`elif`/`while` condition or a statement of its own (call arguments and
/// the right of `=` only get `invalid syntax`). The target is parsed on its own to name it.
fn walrus_target(src: &Source, version: PyVersion, sc: &Scan, at: usize) -> Option<PyError> {
    let text = &src.text;
    let (line, _) = pos(src, at);
    // The element's start: after its bracket or the last comma at its depth, else the start
    // of the statement (after an `if`, `elif` or `while`).
    let start = match sc.enclosing(at) {
        Some((open, _)) => {
            let before = sub(text, 0, open).trim_end();
            let call = before.ends_with([')', ']', '\'', '"'])
                || before
                    .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .next()
                    .is_some_and(|w| !w.is_empty() && !is_keyword(w));
            if text.as_bytes()[open] == b'(' && call {
                return None;
            }
            let mut j = open + 1;
            let mut start = j;
            let mut depth = 0;
            while j < at {
                j = skip_blanks(text, j);
                let (s, e) = token_at(text, j);
                match sub(text, s, e) {
                    "(" | "[" | "{" => depth += 1,
                    ")" | "]" | "}" => depth -= 1,
                    "," if depth == 0 => start = e,
                    _ => {}
                }
                j = e.max(j + 1);
            }
            start
        }
        None => {
            let ls = src.line_start(line);
            let ls = sub(text, ls, at).rfind(';').map_or(ls, |k| ls + k + 1);
            let stmt = sub(text, ls, at).trim_start();
            let lead = at - stmt.len();
            let kw = ["if ", "elif ", "while "]
                .into_iter()
                .find(|k| stmt.starts_with(k))
                .map_or(0, str::len);
            lead + kw
        }
    };
    let target = sub(text, start, at);
    let trimmed = target.trim();
    if trimmed.is_empty() {
        return None;
    }
    let t_start = start + (target.len() - target.trim_start().len());
    let t_end = t_start + trimmed.len();
    let probe = Source::from_text(src.path.clone(), format!("({trimmed})\n"));
    let tree = super::parse_module(&probe, version, false).0.ok()?;
    let module = super::Module(&tree);
    let [stmt] = module.body().iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let value = super::ExprStmt::cast(stmt)?.value();
    // A name is a valid target; `yield` and a bare generator are not `expression`s there.
    let bare_genexp = value.kind == super::NodeKind::GeneratorExp && !trimmed.starts_with('(');
    if bare_genexp
        || matches!(
            value.kind,
            super::NodeKind::Name | super::NodeKind::Yield | super::NodeKind::YieldFrom
        )
    {
        return None;
    }
    Some(error_at(
        src,
        PyErrorKind::SyntaxError,
        format!(
            "cannot use assignment expressions with {}",
            super::validate::expr_name(value)
        ),
        t_start,
        t_end,
    ))
}

/// `assert a.b := 1` (3.15's `invalid_assert_stmt`): a `:=` right after the test of an
/// `assert` or after its message (`assert x, a := 1`), where the grammar takes an
/// `expression`. The error runs from the target (without its parentheses) to the end of the
/// longest `expression` after the `:=`, as CPython's greedy parse takes it.
fn assert_walrus(src: &Source, version: PyVersion, at: usize) -> Option<PyError> {
    use cpyviz_model::tokens::TokenKind as K;
    if !version.profile().assert_walrus_error {
        return None;
    }
    let toks = crate::tokens::tokens_before_error(src, version);
    let walrus = toks
        .iter()
        .position(|t| t.span.start as usize == at && t.kind == K::COLONEQUAL)?;
    // Back to the statement's `assert`, at bracket depth 0; the commas on the way.
    let mut depth = 0usize;
    let mut commas = Vec::new();
    let mut k = walrus;
    let assert_at = loop {
        k = k.checked_sub(1)?;
        let t = &toks[k];
        match t.kind {
            K::RPAR | K::RSQB | K::RBRACE => depth += 1,
            K::LPAR | K::LSQB | K::LBRACE => depth = depth.checked_sub(1)?,
            K::NEWLINE | K::SEMI | K::INDENT | K::DEDENT if depth == 0 => return None,
            K::COMMA if depth == 0 => commas.push(k),
            K::NAME if depth == 0 && t.text == "assert" => break k,
            _ => {}
        }
    };
    // The test, or the message after the one comma.
    let first = match commas[..] {
        [] => assert_at + 1,
        [comma] => comma + 1,
        _ => return None,
    };
    let target_from = toks.get(first)?.span.start as usize;
    let target_to = toks[walrus - 1].span.end as usize;
    let (kind, t_start, _) = probe_expression(src, version, target_from, target_to)?;
    // `*a` and a bare `yield` are not `expression`s; `(yield)` is.
    let not_expression = |kind: NodeKind, from: usize, start: usize| {
        kind == NodeKind::Starred
            || (matches!(kind, NodeKind::Yield | NodeKind::YieldFrom) && start == from)
    };
    if not_expression(kind, target_from, t_start) {
        return None;
    }
    // The value: the longest run of tokens after `:=` (ending at depth 0, before a `,`, a
    // `:=` or the end of the statement) that is an `expression`.
    let mut ends = Vec::new();
    let mut depth = 0usize;
    for t in &toks[walrus + 1..] {
        match t.kind {
            K::LPAR | K::LSQB | K::LBRACE => depth += 1,
            K::RPAR | K::RSQB | K::RBRACE => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => break,
            },
            K::COMMA | K::COLONEQUAL | K::SEMI | K::NEWLINE | K::ENDMARKER if depth == 0 => break,
            _ => {}
        }
        if depth == 0 && !matches!(t.kind, K::NL | K::COMMENT) {
            ends.push(t.span.end as usize);
        }
    }
    let value_from = toks.get(walrus + 1)?.span.start as usize;
    // Long lines are not worth a probe per token: CPython's answer is among the first ends.
    let v_end = ends.iter().rev().take(256).find_map(|&end| {
        let (kind, s, e) = probe_expression(src, version, value_from, end)?;
        (!not_expression(kind, value_from, s)).then_some(e)
    })?;
    Some(error_at(
        src,
        PyErrorKind::SyntaxError,
        "cannot use named expression without parentheses here".into(),
        t_start,
        v_end,
    ))
}

/// The source text `from..to` parsed as one element of a tuple: its node's kind and where
/// the node is in the source (a parenthesized expression is the expression inside).
fn probe_expression(
    src: &Source,
    version: PyVersion,
    from: usize,
    to: usize,
) -> Option<(NodeKind, usize, usize)> {
    let text = src.text.get(from..to)?;
    let probe = Source::from_text(src.path.clone(), format!("({text},)\n"));
    let tree = super::parse_module(&probe, version, false).0.ok()?;
    let module = super::Module(&tree);
    let [stmt] = module.body().iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let tuple = super::Tuple::cast(super::ExprStmt::cast(stmt)?.value())?;
    let [elt] = tuple.elts().iter().collect::<Vec<_>>()[..] else {
        return None;
    };
    let span = elt.span?;
    // The probe starts with `(`: one byte before the text.
    let at = |o: u32| Some(from + (o as usize).checked_sub(1)?);
    Some((elt.kind, at(span.start)?, at(span.end)?))
}

/// Keywords after which a `(` opens a group, not a call's arguments.
fn is_keyword(w: &str) -> bool {
    matches!(
        w,
        "if" | "elif"
            | "while"
            | "return"
            | "in"
            | "not"
            | "and"
            | "or"
            | "is"
            | "else"
            | "yield"
            | "await"
            | "assert"
            | "del"
            | "for"
            | "lambda"
            | "with"
            | "from"
            | "import"
            | "as"
            | "case"
            | "match"
    )
}

fn tok_error(src: &Source, te: TokError) -> PyError {
    let text = &src.text;
    match te {
        TokError::Unmatched(at) => error_at(
            src,
            PyErrorKind::SyntaxError,
            format!("unmatched '{}'", sub(text, at, at + 1)),
            at,
            at + 1,
        ),
        TokError::Mismatch { open, close } => {
            let (ol, _) = pos(src, open);
            let (cl, _) = pos(src, close);
            let on = if ol != cl {
                format!(" on line {ol}")
            } else {
                String::new()
            };
            error_at(
                src,
                PyErrorKind::SyntaxError,
                format!(
                    "closing parenthesis '{}' does not match opening parenthesis '{}'{on}",
                    sub(text, close, close + 1),
                    sub(text, open, open + 1)
                ),
                close,
                close + 1,
            )
        }
        TokError::Unterminated {
            start,
            triple,
            fstring,
            detected,
        } => {
            let dl = if triple {
                src.line_count().max(1)
            } else {
                pos(src, detected).0
            };
            // A newline in the format spec of a single-quoted f-string (unless a nested field
            // has closed in that spec: CPython's tokenizer then reads on to the line's end).
            if fstring && !triple {
                let nl = sub(text, start, usize::MAX).find('\n').map(|k| start + k);
                if let Some(nl) = nl.filter(|&nl| ends_in_spec(text, start, nl) == Some(false)) {
                    let kind = if sub(text, start, nl)
                        .chars()
                        .take_while(char::is_ascii_alphabetic)
                        .any(|c| c.eq_ignore_ascii_case(&'t'))
                    {
                        "t"
                    } else {
                        "f"
                    };
                    return error_at(
                        src,
                        PyErrorKind::SyntaxError,
                        format!(
                            "{kind}-string: newlines are not allowed in format specifiers for \
                             single quoted {kind}-strings"
                        ),
                        nl,
                        nl,
                    );
                }
            }
            let what = match (triple, fstring) {
                (false, false) => "unterminated string literal",
                (true, false) => "unterminated triple-quoted string literal",
                (false, true) => "unterminated f-string literal",
                (true, true) => "unterminated triple-quoted f-string literal",
            };
            error_at(
                src,
                PyErrorKind::SyntaxError,
                format!("{what} (detected at line {dl})"),
                start,
                start + 1,
            )
        }
        TokError::InvalidChar { at, printable } => {
            let c = sub(text, at, usize::MAX)
                .chars()
                .next()
                .unwrap_or('\u{fffd}');
            let msg = if printable {
                format!("invalid character '{c}' (U+{:04X})", c as u32)
            } else {
                format!("invalid non-printable character U+{:04X}", c as u32)
            };
            error_at(src, PyErrorKind::SyntaxError, msg, at, at + c.len_utf8())
        }
    }
}

fn unsupported(src: &Source, line: usize, what: &str) -> PyError {
    PyError::new(
        PyErrorKind::Unsupported,
        format!("line {line}: {what} is beyond the built-in parser; try --engine cpython"),
        src.path.clone(),
    )
}

pub fn from_parse_error(src: &Source, version: PyVersion, sc: &Scan, e: &ParseError) -> PyError {
    let err = parse_error(src, version, sc, e);
    // CPython then tokenizes the rest of the file: a bracket left open on an earlier line than
    // the error wins.
    if err.kind != PyErrorKind::Unsupported && sc.tok_error.is_none() {
        if let (Some(line), Some(&(open, _))) = (
            err.lineno,
            sc.brackets.iter().rev().find(|&&(_, c)| c == usize::MAX),
        ) {
            if pos(src, open).0 < line {
                if let Some(e) = never_closed(src, sc, src.text.len()) {
                    return e;
                }
            }
        }
    }
    err
}

fn parse_error(src: &Source, version: PyVersion, sc: &Scan, e: &ParseError) -> PyError {
    use rustpython_parser::lexer::LexicalErrorType as L;
    use rustpython_parser::Tok;
    let text = &src.text;
    let mut off = e.offset.to_usize().min(text.len());
    // rustpython reads non-ASCII identifiers behind ASCII placeholders of the same length
    // (`idents`): its offset may fall inside such a name's multi-byte character.
    while !text.is_char_boundary(off) {
        off -= 1;
    }
    let (eline, _) = pos(src, off);
    for u in &sc.unsupported {
        if u.what.starts_with("`lazy import`") && !version.profile().has_lazy_imports {
            continue;
        }
        let (uline, _) = pos(src, u.offset);
        if uline <= eline {
            return unsupported(src, uline, u.what);
        }
        break;
    }
    if let Some(te) = sc.tok_error {
        return tok_error(src, te);
    }
    let syntax = |msg: &str, s: usize, e: usize| {
        error_at(src, PyErrorKind::SyntaxError, msg.to_string(), s, e)
    };
    let at_eof = sub(text, off, usize::MAX).trim().is_empty();
    match &e.error {
        ParseErrorType::Lexical(l) => {
            match l {
                L::IndentationError if at_eof => {
                    if let Some(err) = expected_indented_block(src, off) {
                        return err;
                    }
                    syntax("invalid syntax", off, off + 1)
                }
                L::IndentationError => {
                    let (line, _) = pos(src, off);
                    let end = src.line_start(line) + src.line_text(line).len();
                    error_at(
                        src,
                        PyErrorKind::IndentationError,
                        "unindent does not match any outer indentation level".into(),
                        end,
                        end + 1,
                    )
                }
                L::TabError | L::TabsAfterSpaces => {
                    let (line, _) = pos(src, off);
                    let mut err = PyError::new(
                        PyErrorKind::TabError,
                        "inconsistent use of tabs and spaces in indentation",
                        src.path.clone(),
                    );
                    err.lineno = Some(line);
                    err.offset = Some(1);
                    err.end_lineno = Some(line);
                    err.end_offset = Some(2);
                    err.text = Some(src.line_text(line).to_string());
                    err
                }
                L::DefaultArgumentError => {
                    let (s, e) = token_at(text, off);
                    syntax(
                        "parameter without a default follows parameter with a default",
                        s,
                        e,
                    )
                }
                L::PositionalArgumentError | L::UnpackedArgumentError => {
                    let msg = if matches!(l, L::PositionalArgumentError) {
                        "positional argument follows keyword argument"
                    } else {
                        "iterable argument unpacking follows keyword argument unpacking"
                    };
                    let (open, close) = sc
                        .enclosing(off)
                        .map_or((off, off), |(o, c)| (o, c.min(text.len())));
                    if matches!(l, L::UnpackedArgumentError) {
                        // From the comma before the last `*arg` to its end.
                        let inner = sub(text, open, close);
                        let star = inner.match_indices('*').map(|(i, _)| i).rfind(|&i| {
                            !inner[..i].ends_with('*') && !inner[i + 1..].starts_with('*')
                        });
                        if let Some(st) = star {
                            if let Some(comma) = inner[..st].rfind(',') {
                                let end = open + inner.trim_end().len();
                                return syntax(msg, open + comma, end);
                            }
                        }
                    }
                    syntax(msg, close, close + 1)
                }
                L::DuplicateArgumentError(_) | L::DuplicateKeywordArgumentError(_) => PyError::new(
                    PyErrorKind::Unsupported,
                    format!(
                        "line {eline}: the built-in parser rejects a repeated argument name that \
                     CPython's parser accepts; try --engine cpython"
                    ),
                    src.path.clone(),
                ),
                L::LineContinuationError => syntax(
                    "unexpected character after line continuation character",
                    off,
                    off + 1,
                ),
                L::UnrecognizedToken { tok } => {
                    let at = off.saturating_sub(tok.len_utf8());
                    let at = if text.is_char_boundary(at) { at } else { off };
                    if tok.is_ascii() {
                        syntax("invalid syntax", at, at + 1)
                    } else {
                        syntax(
                            &format!("invalid character '{tok}' (U+{:04X})", *tok as u32),
                            at,
                            at + tok.len_utf8(),
                        )
                    }
                }
                L::OtherError(m) if m == "bytes can only contain ASCII literal characters" => {
                    let (s, e) = token_around(src, off).unwrap_or((off, off + 1));
                    syntax(m, s, e)
                }
                L::UnicodeError | L::StringError => literal_error(src, version, usize::MAX)
                    .or_else(|| token_around(src, off).and_then(|(s, e)| escape_error(src, s, e)))
                    .unwrap_or_else(|| syntax("invalid syntax", off, off + 1)),
                L::OtherError(m) if m == "cannot mix bytes and nonbytes literals" => {
                    let mut j = off;
                    let mut end = off;
                    while j < text.len()
                        && matches!(text.as_bytes()[j], b'\'' | b'"' | b'a'..=b'z' | b'A'..=b'Z')
                    {
                        let (_, e) = token_at(text, j);
                        end = e;
                        j = skip_blanks(text, e);
                    }
                    syntax(m, end, end + 1)
                }
                L::OtherError(m) if m == "named arguments must follow bare *" => {
                    let (s, e) = (off, off + 1);
                    syntax(version.profile().bare_star_error, s, e)
                }
                L::OtherError(m) if m.starts_with("ParseBigIntError") => {
                    // `0b2`, `0o8`: a digit out of range right after the prefix.
                    let b = text.as_bytes();
                    let kind = match b.get(off + 1).map(u8::to_ascii_lowercase) {
                        Some(b'b') => "binary",
                        Some(b'o') => "octal",
                        _ => "hexadecimal",
                    };
                    // CPython points at the first bad digit, else at the last character
                    // it consumed (the base letter, or a trailing `_`).
                    let valid = |c: u8| match kind {
                        "binary" => matches!(c, b'0' | b'1' | b'_'),
                        "octal" => matches!(c, b'0'..=b'7' | b'_'),
                        _ => c.is_ascii_hexdigit() || c == b'_',
                    };
                    let mut d = off + 2;
                    while b.get(d).is_some_and(|&c| valid(c)) {
                        d += 1;
                    }
                    match b.get(d) {
                        Some(c) if c.is_ascii_digit() && kind != "hexadecimal" => syntax(
                            &format!("invalid digit '{}' in {kind} literal", *c as char),
                            d,
                            d + 1,
                        ),
                        _ => syntax(&format!("invalid {kind} literal"), d - 1, d),
                    }
                }
                L::OtherError(m) if m == "Invalid Token" => {
                    // A number such as `012`: find its start.
                    let mut s = off;
                    while s > 0
                        && (text.as_bytes()[s - 1].is_ascii_alphanumeric()
                            || text.as_bytes()[s - 1] == b'_')
                    {
                        s -= 1;
                    }
                    if sub(text, s, usize::MAX).starts_with('0') {
                        syntax(
                        "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers",
                        s,
                        s + 1,
                    )
                    } else {
                        syntax("invalid syntax", s, s + 1)
                    }
                }
                L::FStringError(fe) => fstring_error(src, version, off, fe),
                L::Eof => never_closed(src, sc, off)
                    .unwrap_or_else(|| syntax("invalid syntax", off, off + 1)),
                _ => syntax("invalid syntax", off, off + 1),
            }
        }
        ParseErrorType::UnrecognizedToken(Tok::Indent, _) => {
            let (line, _) = pos(src, off);
            let mut err = PyError::new(
                PyErrorKind::IndentationError,
                "unexpected indent",
                src.path.clone(),
            );
            err.lineno = Some(line);
            err.text = Some(src.line_text(line).to_string());
            err
        }
        ParseErrorType::UnrecognizedToken(tok, expected) => {
            if at_eof {
                if let Some(err) = never_closed(src, sc, off) {
                    return err;
                }
            }
            let (ts, te) = if matches!(tok, Tok::Newline) {
                (off, off + 1)
            } else {
                token_at(text, off)
            };
            if expected.as_deref() == Some("Indent") && at_eof {
                if let Some(err) = expected_indented_block(src, off) {
                    return err;
                }
            }
            if let Some(err) = number_error(src, off) {
                return err;
            }
            if sub(text, ts, te) == ":=" {
                if let Some(err) = assert_walrus(src, version, ts) {
                    return err;
                }
                if let Some(err) = walrus_target(src, version, sc, ts) {
                    return err;
                }
            }
            if let Some(err) =
                grammar_hints(src, version, sc, off, ts, te, matches!(tok, Tok::Newline))
            {
                return err;
            }
            if let Some(err) = missing_except(src, off, ts, te) {
                return err;
            }
            if expected.as_deref() == Some("Indent") {
                if let Some((what, line)) = block_header(src, off) {
                    return error_at(
                        src,
                        PyErrorKind::IndentationError,
                        format!("expected an indented block after {what} on line {line}"),
                        ts,
                        te,
                    );
                }
            }
            if matches!(tok, Tok::Newline) {
                let line_text = src.line_text(eline).trim_start();
                let first: String = line_text
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                // `with x as f()`: CPython's hint needs valid `as` targets.
                let bad_with_target = first == "with"
                    && line_text.rsplit_once(" as ").is_some_and(|(_, t)| {
                        t.contains(['(', '[', '.']) && t.trim_end().ends_with([')', ']'])
                    });
                if bad_with_target {
                    return syntax("invalid syntax", ts, te);
                }
                if expected.as_deref() == Some("\":\"")
                    || matches!(
                        first.as_str(),
                        "if" | "elif"
                            | "else"
                            | "while"
                            | "for"
                            | "def"
                            | "class"
                            | "with"
                            | "try"
                            | "except"
                            | "finally"
                    )
                {
                    return syntax("expected ':'", off, off + 1);
                }
            }
            // `print x`: a Python 2 print statement.
            let pe = prev_token_end(text, off);
            if let Some(ps) = ends_expression(text, pe) {
                let prev = sub(text, ps, pe);
                let stmt_start = sub(text, src.line_start(eline), ps).trim().is_empty();
                if (prev == "print" || prev == "exec") && stmt_start && starts_expression(text, off)
                {
                    let end = expression_end(text, off);
                    return syntax(
                        &format!(
                            "Missing parentheses in call to '{prev}'. Did you mean {prev}(...)?"
                        ),
                        ps,
                        end,
                    );
                }
                // `[1 2]`: a missing comma between two expressions inside brackets.
                let name_then_string = text.as_bytes()[pe - 1].is_ascii_alphanumeric()
                    && matches!(tok, Tok::String { .. });
                if let Some((open, close)) = sc.enclosing(off) {
                    if starts_expression(text, off) && !name_then_string && open < ps {
                        if close == usize::MAX {
                            if let Some(err) = never_closed(src, sc, text.len()) {
                                return err;
                            }
                        }
                        let s = expression_start(text, ps, open + 1);
                        let e = expression_end(text, off);
                        return syntax("invalid syntax. Perhaps you forgot a comma?", s, e);
                    }
                }
                // `if x = 1:`: `=` where an expression continues.
                if matches!(tok, Tok::Equal) {
                    let rhs = skip_blanks(text, te);
                    let in_expr = sc.enclosing(off).is_some() || {
                        let line_start = src.line_start(eline);
                        let first = sub(text, line_start, usize::MAX).trim_start();
                        ["if ", "elif ", "while ", "assert ", "return "]
                            .iter()
                            .any(|k| first.starts_with(k))
                    };
                    if in_expr && starts_expression(text, rhs) {
                        let prev_tok = sub(text, ps, pe);
                        let is_name = prev_tok.chars().all(|c| c.is_alphanumeric() || c == '_')
                            && !prev_tok.starts_with(|c: char| c.is_ascii_digit())
                            && !matches!(prev_tok, "True" | "False" | "None");
                        let limit = sc
                            .enclosing(off)
                            .map_or(src.line_start(eline), |(o, _)| o + 1);
                        let before = sub(text, limit.min(ps), ps).trim_end();
                        let s = if before.is_empty()
                            || before.ends_with([',', '(', '['])
                            || [
                                "if", "elif", "while", "assert", "return", "and", "or", "not",
                            ]
                            .iter()
                            .any(|k| {
                                before.ends_with(k)
                                    && !before[..before.len() - k.len()]
                                        .ends_with(|c: char| c.is_alphanumeric() || c == '_')
                            }) {
                            ps
                        } else {
                            expression_start(text, ps, limit)
                        };
                        if is_name && s == ps {
                            let e = expression_end(text, rhs);
                            return syntax(
                                "invalid syntax. Maybe you meant '==' or ':=' instead of '='?",
                                ps,
                                e,
                            );
                        }
                        let first = sub(text, ps, usize::MAX).chars().next().unwrap_or(' ');
                        if s == ps && (first.is_ascii_digit() || first == '"' || first == '\'') {
                            return syntax(
                                "cannot assign to literal here. Maybe you meant '==' instead of '='?",
                                ps,
                                pe,
                            );
                        }
                    }
                }
            }
            syntax("invalid syntax", ts, te)
        }
        ParseErrorType::Eof => {
            never_closed(src, sc, off).unwrap_or_else(|| syntax("invalid syntax", off, off + 1))
        }
        _ => syntax("invalid syntax", off, off + 1),
    }
}

/// An error inside an f-string, located the way CPython's f-string tokenizer does.
fn fstring_error(
    src: &Source,
    version: PyVersion,
    off: usize,
    fe: &rustpython_parser::FStringErrorType,
) -> PyError {
    use rustpython_parser::FStringErrorType as F;
    let text = &src.text;
    let (line, _) = pos(src, off);
    // The f-string token around `off` (or the last one starting before it on the line).
    let mut j = src.line_start(line);
    let mut tok = None;
    while j < text.len() && j <= off {
        j = skip_blanks(text, j);
        if j >= text.len() || text.as_bytes()[j] == b'\n' {
            break;
        }
        let (s, e) = token_at(text, j);
        let lit = sub(text, s, e.min(text.len()));
        if lit.contains(['\'', '"'])
            && lit[..lit.find(['\'', '"']).unwrap_or(0)].contains(['f', 'F'])
        {
            tok = Some((s, e.min(text.len())));
        }
        j = e.max(j + 1);
    }
    // A literal CPython fails to decode is its error; else this is beyond the built-in parser.
    let unsupported = || {
        literal_error(src, version, usize::MAX).unwrap_or_else(|| {
            PyError::new(
                PyErrorKind::Unsupported,
                format!(
                    "line {line}: this f-string is beyond the built-in parser (it predates PEP \
                     701); try --engine cpython"
                ),
                src.path.clone(),
            )
        })
    };
    let Some((s, e)) = tok else {
        return unsupported();
    };
    // CPython meets an error in this f-string's literals or fields before the one here.
    if let Some(err) = literal_error(src, version, e) {
        return err;
    }
    let body = sub(text, s, e);
    let b = body.as_bytes();
    let syntax =
        |msg: String, at: usize| error_at(src, PyErrorKind::SyntaxError, msg, s + at, s + at + 1);
    match fe {
        F::SingleRbrace => {
            let mut k = 0;
            let mut depth = 0;
            while k < b.len() {
                match b[k] {
                    b'{' if depth == 0 && b.get(k + 1) == Some(&b'{') => k += 1,
                    b'{' => depth += 1,
                    b'}' if depth > 0 => depth -= 1,
                    b'}' if b.get(k + 1) == Some(&b'}') => k += 1,
                    b'}' => return syntax("f-string: single '}' is not allowed".into(), k),
                    _ => {}
                }
                k += 1;
            }
            unsupported()
        }
        F::EmptyExpression => {
            let mut k = 0;
            while k < b.len() {
                if b[k] == b'{' && b.get(k + 1) == Some(&b'{') {
                    k += 2;
                    continue;
                }
                if b[k] == b'{' {
                    let mut m = k + 1;
                    while m < b.len() && b[m] == b' ' {
                        m += 1;
                    }
                    if let Some(&c) = b.get(m) {
                        if matches!(c, b'}' | b'!' | b':' | b'=') {
                            return syntax(
                                format!(
                                    "f-string: valid expression required before '{}'",
                                    c as char
                                ),
                                m,
                            );
                        }
                    }
                }
                k += 1;
            }
            unsupported()
        }
        F::InvalidConversionFlag => {
            let Some(k) = body.find('!').filter(|&k| b.get(k + 1) != Some(&b'=')) else {
                return unsupported();
            };
            match body[k + 1..].chars().next() {
                Some(c) if c == '}' || c == ':' => {
                    syntax("f-string: missing conversion character".into(), k + 1)
                }
                Some(c) => syntax(
                    format!(
                        "f-string: invalid conversion character '{c}': expected 's', 'r', or 'a'"
                    ),
                    k + 1,
                ),
                None => unsupported(),
            }
        }
        F::UnclosedLbrace => {
            // Inside a format spec CPython also expects more of the spec.
            let msg = if ends_in_spec(text, s, e).is_some() {
                "f-string: expecting '}', or format specs"
            } else {
                "f-string: expecting '}'"
            };
            syntax(msg.into(), body.len() - 1)
        }
        _ => unsupported(),
    }
}

/// Messages from CPython's `invalid_*` grammar rules, recognized from the tokens around the
/// failure at `off` (its token is `ts..te`).
fn grammar_hints(
    src: &Source,
    version: PyVersion,
    sc: &Scan,
    off: usize,
    ts: usize,
    te: usize,
    newline: bool,
) -> Option<PyError> {
    let text = &src.text;
    let syntax = |msg: &str, s: usize, e: usize| {
        Some(error_at(
            src,
            PyErrorKind::SyntaxError,
            msg.to_string(),
            s,
            e,
        ))
    };
    let pe = prev_token_end(text, off);
    let (line, _) = pos(src, off);
    let line_start = src.line_start(line);
    let before = sub(text, line_start, pe.max(line_start)).trim();
    // `else if x:`
    if before == "else" || before.ends_with(" else") && before.starts_with("else") {
        return syntax("expected ':'", ts, te);
    }
    // `import` alone.
    if newline && (before == "import" || before.ends_with(" import") && before.starts_with("from"))
    {
        return syntax("Expected one or more names after 'import'", ts, te);
    }
    // `def f(*):`, `lambda *: 0`
    let prev = sub(text, 0, pe).trim_end();
    if prev.ends_with('*') && !prev.ends_with("**") {
        let before_star = sub(text, 0, pe - 1).trim_end();
        let in_params = before.starts_with("def ")
            || before.starts_with("async def ")
            || before.contains("lambda");
        let next = sub(text, ts, te);
        if in_params
            && (before_star.ends_with('(')
                || before_star.ends_with(',')
                || before_star.ends_with("lambda"))
            && matches!(next, ")" | ":" | ",")
        {
            return syntax(version.profile().bare_star_error, ts, te);
        }
    }
    // `{"a": 1, "b" 2}`: a dict key without its `:`.
    if let Some((open, _)) = sc.enclosing(off) {
        if text.as_bytes()[open] == b'{' && pe > open {
            let inner = &text.as_bytes()[open + 1..pe];
            let mut depth = 0;
            let mut item_colon = false;
            let mut any_colon = false;
            let mut i = 0;
            while i < inner.len() {
                match inner[i] {
                    b'\'' | b'"' => {
                        let (_, e) = token_at(text, open + 1 + i);
                        i = e - open - 1;
                        continue;
                    }
                    b'(' | b'[' | b'{' => depth += 1,
                    b')' | b']' | b'}' => depth -= 1,
                    b':' if depth == 0 => {
                        item_colon = true;
                        any_colon = true;
                    }
                    b',' if depth == 0 => item_colon = false,
                    _ => {}
                }
                i += 1;
            }
            let tok = sub(text, ts, te);
            let after_expr = ends_expression(text, pe).is_some();
            let key_done = tok == "}"
                || tok == ","
                || (version.profile().dict_key_colon_error_before_expression
                    && starts_expression(text, off));
            if any_colon && !item_colon && after_expr && key_done {
                return syntax("':' expected after dictionary key", pe - 1, pe);
            }
        }
    }
    // `x = 1 if y`: a conditional expression without `else`.
    if ends_expression(text, pe).is_some() {
        let seg = sub(text, line_start, pe);
        let bytes = seg.as_bytes();
        let mut depth = 0i32;
        let mut found = None;
        let mut k = bytes.len();
        while k > 0 {
            k -= 1;
            match bytes[k] {
                b')' | b']' | b'}' => depth += 1,
                b'(' | b'[' | b'{' => {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1
                }
                b'=' | b',' if depth == 0 => break,
                _ => {}
            }
            if depth == 0 && bytes[k..].starts_with(b"if ") && k > 0 && bytes[k - 1] == b' ' {
                found = Some(k);
                break;
            }
        }
        if let Some(k) = found {
            let if_at = line_start + k;
            let head = sub(text, line_start, if_at).trim_end();
            let starts = head.trim_start();
            let limit = sc.enclosing(off).map_or(line_start, |(o, _)| o + 1);
            let body = expression_start(text, prev_token_end(text, if_at), limit.max(line_start));
            let has_for = sub(text, body, if_at).contains(" for ");
            if !starts.is_empty() && !has_for && !sub(text, if_at, pe).contains(" else ") {
                return syntax("expected 'else' after 'if' expression", body, pe);
            }
        }
    }
    None
}

/// `1a`, `0_`, `1.5j1`: a number running into a name.
fn number_error(src: &Source, off: usize) -> Option<PyError> {
    let text = &src.text;
    let b = text.as_bytes();
    if off == 0 || off >= b.len() {
        return None;
    }
    let c = b[off];
    // Only an ASCII identifier character makes the number invalid: before a non-ASCII one,
    // the number ends and the name after it is a separate token (then `invalid syntax`).
    if !(c.is_ascii_alphanumeric() || c == b'_') {
        return None;
    }
    // The number token just before `off`, with no blank in between.
    let mut s = off;
    while s > 0 && (b[s - 1].is_ascii_alphanumeric() || b[s - 1] == b'_' || b[s - 1] == b'.') {
        s -= 1;
    }
    if s == off || !(b[s].is_ascii_digit() || (b[s] == b'.' && s + 1 < off)) {
        return None;
    }
    if s > 0 && (b[s - 1] >= 0x80) {
        return None;
    }
    let lower = sub(text, s, off).to_ascii_lowercase();
    let kind = if lower.starts_with("0x") {
        "hexadecimal"
    } else if lower.starts_with("0o") {
        "octal"
    } else if lower.starts_with("0b") {
        "binary"
    } else if lower.ends_with('j') {
        "imaginary"
    } else {
        "decimal"
    };
    if matches!(kind, "binary" | "octal") && c.is_ascii_digit() {
        return Some(error_at(
            src,
            PyErrorKind::SyntaxError,
            format!("invalid digit '{}' in {kind} literal", c as char),
            off,
            off + 1,
        ));
    }
    let at = if c == b'_' { off } else { off - 1 };
    Some(error_at(
        src,
        PyErrorKind::SyntaxError,
        format!("invalid {kind} literal"),
        at,
        at + 1,
    ))
}

/// A `try:` block followed by something other than `except` or `finally`.
fn missing_except(src: &Source, off: usize, ts: usize, te: usize) -> Option<PyError> {
    let (line, col) = src.line_col(off.min(src.text.len()));
    let this = src.line_text(line);
    if !this[..col.min(this.len())].trim().is_empty() {
        return None;
    }
    let indent = |t: &str| t.len() - t.trim_start().len();
    let my = indent(this);
    for l in (1..line).rev() {
        let t = src.line_text(l);
        let tt = t.trim();
        if tt.is_empty() || tt.starts_with('#') || indent(t) > my {
            continue;
        }
        if indent(t) < my {
            return None;
        }
        if tt.starts_with("try") && tt[3..].trim_start().starts_with(':') {
            return Some(error_at(
                src,
                PyErrorKind::SyntaxError,
                "expected 'except' or 'finally' block".into(),
                ts,
                te,
            ));
        }
        return None;
    }
    None
}

/// `'(' was never closed` when the failure lies inside a bracket that never closes.
fn never_closed(src: &Source, sc: &Scan, off: usize) -> Option<PyError> {
    let innermost_open = sc.brackets.iter().rev().find(|&&(_, c)| c == usize::MAX)?;
    let (open, _) = *innermost_open;
    if open >= off.max(1) && off < src.text.len() {
        return None;
    }
    let ch = sub(&src.text, open, open + 1);
    Some(error_at(
        src,
        PyErrorKind::SyntaxError,
        format!("'{ch}' was never closed"),
        open,
        open + 1,
    ))
}

/// `expected an indented block after 'if' statement on line N`, when the file ends right after
/// a block header (CPython points just past the header line).
fn expected_indented_block(src: &Source, off: usize) -> Option<PyError> {
    let (what, line) = block_header(src, off)?;
    let end = src.line_start(line) + src.line_text(line).len();
    Some(error_at(
        src,
        PyErrorKind::IndentationError,
        format!("expected an indented block after {what} on line {line}"),
        end,
        end + 1,
    ))
}

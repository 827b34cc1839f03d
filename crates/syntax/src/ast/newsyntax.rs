//! Syntax newer than rustpython-parser 0.4, read here so the built-in engine still gives
//! CPython's tree: PEP 701 f-strings (reused quotes, backslashes, comments and line breaks in
//! replacement fields), PEP 750 t-strings, PEP 758 `except A, B:` and PEP 798 unpacking in
//! comprehensions (3.15).
//!
//! ```text
//! scan ─▶ regions ─placeholders─▶ text for rustpython-parser, each region overwritten byte for
//!                                  byte by `(_   )` or `__`, so every other offset holds
//! convert: a placeholder name ─▶ the region's nodes, built from the original text here; the
//!          expressions inside are parsed by rustpython-parser at their own offsets
//! ```

use super::convert::{ConvertError, Converter, R};
use super::{make, scan, validate, AstNode, AstValue, Constant, NodeKind};
use cpyviz_model::pystr::PyStr;
use cpyviz_model::source::Span;
use rustpython_parser::text_size::TextSize;
use rustpython_parser::Parse;

/// What a region holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    /// A run of adjacent string literals with at least one PEP 701 f-string or a t-string.
    Strings,
    /// A run of plain string literals holding what the parser cannot read (a lone
    /// surrogate). Its placeholder is a string literal, so it reads as one wherever a string
    /// may stand (a pattern, a mapping key).
    PlainStrings,
    /// The exception types of `except A, B:` (PEP 758).
    ExceptTypes,
    /// `*x` as the element of a comprehension (PEP 798).
    Star,
    /// `**x` as the element of a dict comprehension (PEP 798).
    DoubleStar,
    /// `= default` after a type parameter (PEP 696): blanked out, read by the converter.
    TypeParamDefault,
}

/// A byte range of the source that rustpython-parser must not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub start: usize,
    pub end: usize,
    pub kind: RegionKind,
    /// Holds only syntax rustpython-parser reads too (an f-string it knows): when the file
    /// has an error, rustpython reads it instead and names the error as CPython does.
    pub optional: bool,
}

/// `text` with every region overwritten by a placeholder of the same length (line breaks
/// kept), and the offset of each placeholder's name with its region.
pub fn placeholders(text: &str, regions: &[Region]) -> (String, Vec<(usize, Region)>) {
    let mut b = text.as_bytes().to_vec();
    let mut names = Vec::new();
    for r in regions {
        let Some(seg) = b.get_mut(r.start..r.end) else {
            continue;
        };
        let n = seg.len();
        if r.kind == RegionKind::TypeParamDefault {
            for c in seg.iter_mut().filter(|c| !matches!(**c, b'\n' | b'\r')) {
                *c = b' ';
            }
            names.push((r.start, *r));
            continue;
        }
        if r.kind == RegionKind::PlainStrings {
            string_placeholder(seg);
            names.push((r.start, *r));
            continue;
        }
        if n < 3 {
            seg.fill(b'_');
            names.push((r.start, *r));
            continue;
        }
        // `(` name `)`: an atom wherever the region's own atom stood, even with a line break.
        let mut name = None;
        for (i, c) in seg.iter_mut().enumerate() {
            if matches!(*c, b'\n' | b'\r') {
                continue;
            }
            *c = if i == 0 {
                b'('
            } else if i == n - 1 {
                b')'
            } else if name.is_none() {
                name = Some(i);
                b'_'
            } else {
                b' '
            };
        }
        if let Some(i) = name {
            names.push((r.start + i, *r));
        }
    }
    // Only ASCII replaced whole characters, so the text is still UTF-8.
    let text = String::from_utf8(b).unwrap_or_default();
    (text, names)
}

/// Overwrites a run of plain string literals with string literals of the same length, line by
/// line (a line continuation kept): `'xx…'` where a line's part is long enough, blanks else.
fn string_placeholder(seg: &mut [u8]) {
    let mut start = 0;
    while start < seg.len() {
        let end = seg[start..]
            .iter()
            .position(|&c| c == b'\n')
            .map_or(seg.len(), |i| start + i);
        let mut line_end = end;
        if line_end > start && seg[line_end - 1] == b'\r' {
            line_end -= 1;
        }
        if line_end > start && seg[line_end - 1] == b'\\' {
            line_end -= 1;
        }
        let part = &mut seg[start..line_end];
        let n = part.len();
        for (i, c) in part.iter_mut().enumerate() {
            *c = if n < 2 {
                b' '
            } else if i == 0 || i == n - 1 {
                b'\''
            } else {
                b'x'
            };
        }
        start = end + 1;
    }
}

// ---------------------------------------------------------------------------------------------
// The structure of string literals, PEP 701 style.

/// One string literal token of a run.
#[derive(Debug)]
pub(super) struct StrTok {
    start: usize,
    pub(super) end: usize,
    /// The body, between the quotes.
    body: (usize, usize),
    quote: (u8, bool),
    raw: bool,
    bytes: bool,
    f: bool,
    t: bool,
}

/// A part of an f-string or t-string body.
#[derive(Debug)]
enum Piece {
    /// Literal text (escapes and doubled braces still in it).
    Lit(usize, usize),
    Field(Field),
}

/// A replacement field `{expr=!c:spec}`.
#[derive(Debug)]
struct Field {
    /// Offset of `{` and just after `}`.
    open: usize,
    close: usize,
    /// The expression's text.
    expr: (usize, usize),
    /// `{expr = }`: the text CPython repeats before the value.
    debug: Option<(usize, usize)>,
    conversion: Option<u8>,
    /// Offset of `:`, of the closing `}`, and the spec's pieces.
    spec: Option<(usize, usize, Vec<Piece>)>,
}

use super::scan::is_ident;

/// Whitespace or the backslash of a line continuation.
fn is_blank(c: u8) -> bool {
    c.is_ascii_whitespace() || c == b'\\'
}

/// The string token whose prefix starts at `i`.
pub(super) fn string_token(b: &[u8], i: usize) -> Option<StrTok> {
    let mut p = i;
    while p < b.len() && b[p].is_ascii_alphabetic() {
        p += 1;
    }
    let prefix = std::str::from_utf8(&b[i..p]).ok()?.to_ascii_lowercase();
    let q = *b.get(p)?;
    if !(q == b'\'' || q == b'"') || !prefix.chars().all(|c| "rbuft".contains(c)) {
        return None;
    }
    let triple = b.get(p + 1) == Some(&q) && b.get(p + 2) == Some(&q);
    let qlen = if triple { 3 } else { 1 };
    let (f, t, raw) = (
        prefix.contains('f'),
        prefix.contains('t'),
        prefix.contains('r'),
    );
    let body_start = p + qlen;
    let body_end = if f || t {
        body(b, body_start, (q, triple), raw, false)?.1
    } else {
        let mut k = body_start;
        loop {
            match *b.get(k)? {
                b'\\' => k += 2,
                c if c == q
                    && (!triple || (b.get(k + 1) == Some(&q) && b.get(k + 2) == Some(&q))) =>
                {
                    break k
                }
                b'\n' if !triple => return None,
                _ => k += 1,
            }
        }
    };
    Some(StrTok {
        start: i,
        end: body_end + qlen,
        body: (body_start, body_end),
        quote: (q, triple),
        raw,
        bytes: prefix.contains('b'),
        f,
        t,
    })
}

/// The pieces of an f-string body from `i`: up to its closing quote or, in a format spec,
/// up to the `}` closing the field. Returns the pieces and where they stop.
fn body(
    b: &[u8],
    mut i: usize,
    quote: (u8, bool),
    raw: bool,
    spec: bool,
) -> Option<(Vec<Piece>, usize)> {
    let (q, triple) = quote;
    let mut out = Vec::new();
    let mut lit = i;
    // In a format spec, CPython's tokenizer reads `{{` as a field holding a set or dict until
    // a nested field has closed, and as an escaped `{` after (`f"{x:{y}{{z}}}"` is the spec
    // `{y}{z` and then the text `}`).
    let mut field_closed = false;
    loop {
        let c = *b.get(i)?;
        match c {
            b'\\' => match b.get(i + 1) {
                // A backslash does not escape a brace: `\{x}` is a backslash and a field.
                Some(b'{' | b'}') => i += 1,
                Some(b'N') if !raw && b.get(i + 2) == Some(&b'{') => {
                    i += 3;
                    while *b.get(i)? != b'}' {
                        i += 1;
                    }
                    i += 1;
                }
                _ => i += 2,
            },
            b'{' if (!spec || field_closed) && b.get(i + 1) == Some(&b'{') => i += 2,
            b'}' if spec => break,
            b'}' if b.get(i + 1) == Some(&b'}') => i += 2,
            b'}' => return None,
            b'{' => {
                if i > lit {
                    out.push(Piece::Lit(lit, i));
                }
                let f = field(b, i, quote, raw)?;
                i = f.close;
                lit = i;
                out.push(Piece::Field(f));
                field_closed = true;
            }
            b'\n' if !triple => return None,
            c if c == q => {
                if !triple || (b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q)) {
                    if spec {
                        return None;
                    }
                    break;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    if i > lit {
        out.push(Piece::Lit(lit, i));
    }
    Some((out, i))
}

/// The replacement field opening at `b[open] == b'{'`.
fn field(b: &[u8], open: usize, quote: (u8, bool), raw: bool) -> Option<Field> {
    let mut i = open + 1;
    let mut depth = 0usize;
    let mut expr_end = None;
    let mut debug = None;
    let mut conversion = None;
    loop {
        let c = *b.get(i)?;
        match c {
            c if c == b'\'' || c == b'"' || is_ident(c) => i = word_end(b, i)?,
            b'#' => {
                while *b.get(i)? != b'\n' {
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                i += 1;
            }
            b')' | b']' | b'}' if depth > 0 => {
                depth -= 1;
                i += 1;
            }
            b'=' if depth == 0
                && expr_end.is_none()
                && b.get(i + 1) != Some(&b'=')
                && !matches!(b[i - 1], b'=' | b'!' | b'<' | b'>') =>
            {
                let mut k = i + 1;
                while matches!(b.get(k), Some(b' ' | b'\t' | b'\x0c' | b'\n' | b'\r')) {
                    k += 1;
                }
                if !matches!(b.get(k), Some(b'}' | b'!' | b':')) {
                    return None;
                }
                expr_end = Some(i);
                debug = Some((open + 1, k));
                i = k;
            }
            b'!' if depth == 0 && b.get(i + 1) != Some(&b'=') => {
                expr_end.get_or_insert(i);
                let conv = *b.get(i + 1)?;
                if !matches!(conv, b's' | b'r' | b'a') || is_ident(*b.get(i + 2)?) {
                    return None;
                }
                conversion = Some(conv);
                i += 2;
                // `f"{x!r }"`: blanks may follow the conversion.
                while matches!(b.get(i), Some(b' ' | b'\t' | b'\x0c' | b'\n' | b'\r')) {
                    i += 1;
                }
                if !matches!(b.get(i), Some(b':' | b'}')) {
                    return None;
                }
            }
            b':' if depth == 0 => {
                let end = *expr_end.get_or_insert(i);
                let (pieces, close) = body(b, i + 1, quote, raw, true)?;
                return Some(Field {
                    open,
                    close: close + 1,
                    expr: (open + 1, end),
                    debug,
                    conversion,
                    spec: Some((i, close, pieces)),
                });
            }
            b'}' => {
                let end = *expr_end.get_or_insert(i);
                return Some(Field {
                    open,
                    close: i + 1,
                    expr: (open + 1, end),
                    debug,
                    conversion,
                    spec: None,
                });
            }
            _ => i += 1,
        }
    }
}

/// The end of the string literal (prefix included) or the name starting at `b[i]`, a quote
/// or an identifier character; `None` for a string literal without its end.
fn word_end(b: &[u8], i: usize) -> Option<usize> {
    if matches!(b[i], b'\'' | b'"') {
        return Some(string_token(b, i)?.end);
    }
    let mut k = i;
    while k < b.len() && is_ident(b[k]) {
        k += 1;
    }
    let prefix = k - i <= 2 && b[i..k].iter().all(|c| b"rRbBuUfFtT".contains(c));
    if prefix && matches!(b.get(k), Some(b'\'' | b'"')) {
        Some(string_token(b, i)?.end)
    } else {
        Some(k)
    }
}

/// The source text `b[from..to]` of a replacement field without its comments (`#` to the end
/// of the line), as CPython keeps it in an `Interpolation`'s `str` and in the text of `=`.
fn without_comments(b: &[u8], from: usize, to: usize) -> String {
    let mut out = Vec::with_capacity(to - from);
    let mut i = from;
    while i < to {
        let c = b[i];
        let next = if c == b'\'' || c == b'"' || is_ident(c) {
            word_end(b, i).unwrap_or(to)
        } else if c == b'#' {
            while i < to && b[i] != b'\n' {
                i += 1;
            }
            continue;
        } else {
            i + 1
        };
        let next = next.clamp(i + 1, to);
        out.extend_from_slice(&b[i..next]);
        i = next;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The string tokens of the run `b[start..end]` (blanks, continuations and comments between).
fn string_tokens(b: &[u8], start: usize, end: usize) -> Option<Vec<StrTok>> {
    let mut out = Vec::new();
    let mut i = start;
    while i < end {
        match b[i] {
            b' ' | b'\t' | b'\x0c' | b'\n' | b'\r' | b'\\' => i += 1,
            b'#' => {
                while i < end && b[i] != b'\n' {
                    i += 1;
                }
            }
            _ => {
                let tok = string_token(b, i)?;
                i = tok.end;
                out.push(tok);
            }
        }
    }
    (i == end).then_some(out)
}

/// The value of literal text: newlines normalized, `{{`/`}}` undoubled (in an f-string body,
/// not in a format spec), escapes decoded unless `raw` (`\ud800` makes a lone surrogate, as in
/// CPython). `None` for an escape CPython rejects.
fn literal_value(text: &str, raw: bool, fbody: bool) -> Option<PyStr> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let text = if fbody {
        text.replace("{{", "{").replace("}}", "}")
    } else {
        text
    };
    if raw {
        return Some(text.into());
    }
    let mut out: Vec<u32> = Vec::with_capacity(text.len());
    let mut it = text.chars().peekable();
    let push = |out: &mut Vec<u32>, c: char| out.push(c as u32);
    while let Some(c) = it.next() {
        if c != '\\' {
            push(&mut out, c);
            continue;
        }
        let Some(n) = it.next() else {
            push(&mut out, '\\');
            break;
        };
        let hex = |it: &mut std::iter::Peekable<std::str::Chars>, len: usize| -> Option<u32> {
            let mut v = 0u32;
            for _ in 0..len {
                v = v * 16 + it.next()?.to_digit(16)?;
            }
            (v <= 0x10FFFF).then_some(v)
        };
        match n {
            '\n' => {}
            '\\' | '\'' | '"' => push(&mut out, n),
            'a' => push(&mut out, '\x07'),
            'b' => push(&mut out, '\x08'),
            'f' => push(&mut out, '\x0c'),
            'n' => push(&mut out, '\n'),
            'r' => push(&mut out, '\r'),
            't' => push(&mut out, '\t'),
            'v' => push(&mut out, '\x0b'),
            '0'..='7' => {
                let mut v = n.to_digit(8)?;
                for _ in 0..2 {
                    match it.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            v = v * 8 + d;
                            it.next();
                        }
                        None => break,
                    }
                }
                out.push(v);
            }
            'x' => out.push(hex(&mut it, 2)?),
            'u' => out.push(hex(&mut it, 4)?),
            'U' => out.push(hex(&mut it, 8)?),
            'N' => {
                if it.next()? != '{' {
                    return None;
                }
                let name: String = it.by_ref().take_while(|&c| c != '}').collect();
                push(&mut out, unicode_names2::character(&name)?);
            }
            other => {
                push(&mut out, '\\');
                push(&mut out, other);
            }
        }
    }
    Some(PyStr::from_code_points(out))
}

/// The values of a `JoinedStr` or `TemplateStr` as they are built: adjacent literal text
/// merged into one `Constant` spanning it, empty text dropped.
#[derive(Default)]
struct Values {
    out: Vec<AstValue>,
    /// The text so far, where it starts and ends, and whether its first piece was a plain
    /// string with the `u` prefix (the `Constant` then has `kind='u'`).
    pending: Option<(PyStr, usize, usize, bool)>,
}

impl Values {
    fn text(&mut self, value: PyStr, start: usize, end: usize) {
        self.text_from(value, start, end, false);
    }
    fn text_from(&mut self, value: PyStr, start: usize, end: usize, u: bool) {
        match &mut self.pending {
            Some((acc, _, e, _)) => {
                *acc = acc.concat(&value);
                *e = end;
            }
            None => self.pending = Some((value, start, end, u)),
        }
    }
    fn node(&mut self, n: AstNode) {
        self.flush();
        self.out.push(AstValue::Node(Box::new(n)));
    }
    fn flush(&mut self) {
        if let Some((t, s, e, u)) = self.pending.take() {
            if !t.is_empty() {
                let kind = if u {
                    AstValue::Str("u".into())
                } else {
                    AstValue::None
                };
                self.out.push(AstValue::Node(Box::new(make::constant(
                    Some(Span::new(s, e)),
                    AstValue::Const(Constant::Str(t)),
                    kind,
                ))));
            }
        }
    }
    fn finish(mut self) -> AstValue {
        self.flush();
        AstValue::List(self.out)
    }
}

fn unsupported(offset: usize, what: &'static str) -> ConvertError {
    ConvertError::Unsupported { offset, what }
}

/// Where `c` first stands outside brackets and strings in `b`.
fn top_level(b: &[u8], c: u8) -> Option<usize> {
    let mut depth = 0i32;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            b'\'' | b'"' => {
                i = string_token(b, i).map_or(b.len(), |t| t.end);
                continue;
            }
            x if x == c && depth == 0 => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

fn invalid(msg: &str, start: usize, end: usize) -> ConvertError {
    ConvertError::Invalid(validate::Invalid {
        msg: msg.into(),
        span: Some(Span::new(start, end)),
    })
}

impl Converter {
    /// The nodes of region `r`, met as the placeholder name rustpython-parser read there.
    pub(super) fn region(&mut self, r: Region) -> R<AstNode> {
        match r.kind {
            RegionKind::Strings | RegionKind::PlainStrings => self.string_run(r),
            RegionKind::TypeParamDefault => {
                let what = "a type parameter default (PEP 696)";
                let b = self.text.as_bytes();
                let mut s = r.start + 1;
                while s < r.end && b[s].is_ascii_whitespace() {
                    s += 1;
                }
                // `*Ts = *tuple[int, ...]`: a starred default.
                if b.get(s) == Some(&b'*') {
                    let value = self.sub_expr(s + 1, r.end, what)?;
                    return Ok(make::starred(
                        Some(Span::new(s, r.end)),
                        AstValue::Node(Box::new(value)),
                        AstValue::Node(Box::new(make::load())),
                    ));
                }
                self.sub_expr(s, r.end, what)
            }
            RegionKind::ExceptTypes => self.sub_expr(r.start, r.end, "`except` types (PEP 758)"),
            RegionKind::Star | RegionKind::DoubleStar => {
                let double = r.kind == RegionKind::DoubleStar;
                if let Some(e) = self.misplaced_unpacking(r) {
                    return Err(e);
                }
                // `f(a, *x for …)`: 3.14 first finds the generator unparenthesized.
                let after_comma = self.byte_before(r.start) == Some(b',');
                if !self.version.profile().has_comprehension_unpacking && !after_comma {
                    return Err(if double {
                        invalid(
                            "dict unpacking cannot be used in dict comprehension",
                            r.start,
                            r.start + 2,
                        )
                    } else {
                        invalid(
                            "iterable unpacking cannot be used in comprehension",
                            r.start,
                            r.end,
                        )
                    });
                }
                let skip = if double { 2 } else { 1 };
                let what = "unpacking in a comprehension (PEP 798)";
                let value = self.sub_expr(r.start + skip, r.end, what)?;
                if double {
                    // `{**d for …}` (`misplaced_unpacking` refused `**d` elsewhere).
                    return Ok(double_star(
                        Some(Span::new(r.start, r.end)),
                        AstValue::Node(Box::new(value)),
                    ));
                }
                Ok(make::starred(
                    Some(Span::new(r.start, r.end)),
                    AstValue::Node(Box::new(value)),
                    AstValue::Node(Box::new(make::load())),
                ))
            }
        }
    }

    /// CPython's error for `*x` or `**d` where no version takes it: a starred dict key
    /// (`{*x: v for …}`), or `**d` outside braces (`[**d for …]`, `(**d for …)`).
    fn misplaced_unpacking(&self, r: Region) -> Option<ConvertError> {
        let b = self.text.as_bytes();
        let pep798 = self.version.profile().has_comprehension_unpacking;
        let blank = |c: &u8| is_blank(*c);
        let before = |at: usize| self.index_before(at);
        let opener = self.byte_before(r.start);
        if r.kind == RegionKind::Star {
            let colon = top_level(&b[r.start..r.end], b':')? + r.start;
            return Some(if pep798 {
                let key_end = before(colon).map_or(colon, |k| k + 1);
                invalid(
                    "cannot use a starred expression in a dictionary key",
                    r.start,
                    key_end,
                )
            } else {
                invalid("invalid syntax", colon, colon + 1)
            });
        }
        if opener == Some(b'{') {
            return None;
        }
        let for_at = r.end + b[r.end..].iter().position(|c| !blank(c)).unwrap_or(0);
        if opener == Some(b',') {
            // `f(a, **d for …)`: a keyword unpacking, then an unexpected `for`.
            return Some(invalid("invalid syntax", for_at, for_at + 3));
        }
        if pep798 {
            let what = if opener == Some(b'[') {
                "list comprehension"
            } else {
                "generator expression"
            };
            let msg = format!("cannot use dict unpacking in {what}");
            return Some(invalid(&msg, r.start, r.end));
        }
        // 3.14: in a call `**d` is a keyword unpacking and `for` is what fails; elsewhere `**`.
        let call = opener == Some(b'(')
            && before(r.start)
                .and_then(before)
                .is_some_and(|k| is_ident(b[k]) || matches!(b[k], b')' | b']'));
        if call {
            return Some(invalid("invalid syntax", for_at, for_at + 3));
        }
        Some(invalid("invalid syntax", r.start, r.start + 2))
    }

    /// Where the last byte before `at` that is not a blank or a line continuation stands.
    fn index_before(&self, at: usize) -> Option<usize> {
        self.text.as_bytes()[..at]
            .iter()
            .rposition(|&c| !is_blank(c))
    }

    /// That byte.
    fn byte_before(&self, at: usize) -> Option<u8> {
        self.index_before(at).map(|k| self.text.as_bytes()[k])
    }

    /// The expression in `self.text[s..e]`, parsed at its own offsets (newer syntax in it
    /// read here too).
    fn sub_expr(&mut self, s: usize, e: usize, what: &'static str) -> R<AstNode> {
        let sub = self
            .text
            .get(s..e)
            .ok_or_else(|| unsupported(s, what))?
            .to_string();
        let unicode = cpyviz_model::unicode::data(self.version);
        let sc = scan::scan(&sub, unicode);
        if let Some(u) = sc.unsupported.first() {
            return Err(unsupported(s + u.offset, u.what));
        }
        if sc.tok_error.is_some() || sc.limit.is_some() || s == 0 {
            return Err(unsupported(s, what));
        }
        let sub = self
            .hider
            .hide(&sub, &sc.unicode_idents, &self.text, unicode)
            .ok_or_else(|| unsupported(s, what))?;
        let (text, names) = placeholders(&sub, &sc.regions);
        // Parenthesized, as CPython reads a replacement field: line breaks are allowed.
        let wrapped = format!("({text})");
        let offset = TextSize::from((s - 1) as u32);
        let parsed = rustpython_parser::ast::Expr::parse_starts_at(&wrapped, &self.path, offset)
            .map_err(|_| unsupported(s, what))?;
        for (at, r) in names {
            let r = Region {
                start: r.start + s,
                end: r.end + s,
                ..r
            };
            self.regions.insert(at + s, r);
        }
        let mut n = self.expr(&parsed)?;
        // A bare tuple spans its elements and a trailing comma, not the parentheses added
        // here.
        if n.kind == NodeKind::Tuple && n.span == Some(Span::new(s - 1, e + 1)) {
            let spans: Vec<Span> = super::Tuple(&n)
                .elts()
                .iter()
                .filter_map(|x| x.span)
                .collect();
            if let (Some(a), Some(z)) = (spans.first(), spans.last()) {
                let b = self.text.as_bytes();
                let mut end = z.end as usize;
                let mut k = end;
                while k < e && b[k].is_ascii_whitespace() {
                    k += 1;
                }
                if b.get(k) == Some(&b',') {
                    end = k + 1;
                }
                n.span = Some(Span::new(a.start as usize, end));
            }
        }
        Ok(n)
    }

    /// A run of string literals holding a PEP 701 f-string or t-strings.
    fn string_run(&mut self, r: Region) -> R<AstNode> {
        let what = "this string literal";
        let text = std::mem::take(&mut self.text);
        let toks = string_tokens(text.as_bytes(), r.start, r.end);
        self.text = text;
        let toks = toks.ok_or_else(|| unsupported(r.start, what))?;
        let any_t = toks.iter().any(|t| t.t);
        if any_t && !toks.iter().all(|t| t.t) {
            return Err(invalid(
                "cannot mix t-string literals with string or bytes literals",
                r.start,
                r.end,
            ));
        }
        if toks.iter().any(|t| t.bytes) {
            return Err(invalid(
                "cannot mix bytes and nonbytes literals",
                r.start,
                r.end,
            ));
        }
        let mut values = Values::default();
        for tok in &toks {
            let (bs, be) = tok.body;
            if tok.f || tok.t {
                let b = self.text.as_bytes();
                let (pieces, _) = body(b, bs, tok.quote, tok.raw, false)
                    .ok_or_else(|| unsupported(tok.start, what))?;
                self.pieces(&mut values, &pieces, tok.raw, tok.t, false, tok.end)?;
            } else {
                // An empty string counts too: it starts the constant (its position, its kind).
                if !tok.raw && be > bs {
                    self.escape_warnings(bs, be, false, false, tok.start);
                }
                let value = literal_value(&self.text[bs..be], tok.raw, false)
                    .ok_or_else(|| unsupported(tok.start, what))?;
                let u = self.text[tok.start..bs].contains(['u', 'U']);
                values.text_from(value, tok.start, tok.end, u);
            }
        }
        if !toks.iter().any(|t| t.f || t.t) {
            // Only plain strings (read here for a lone surrogate): one Constant, `kind='u'`
            // when the first literal has the u prefix.
            let value = match values.pending.take() {
                Some((v, _, _, _)) => v,
                None => PyStr::default(),
            };
            let prefix = &self.text[toks[0].start..toks[0].body.0];
            let kind = if prefix.contains(['u', 'U']) {
                AstValue::Str("u".into())
            } else {
                AstValue::None
            };
            return Ok(make::constant(
                Some(Span::new(r.start, r.end)),
                AstValue::Const(Constant::Str(value)),
                kind,
            ));
        }
        let sp = Some(Span::new(r.start, r.end));
        Ok(if any_t {
            make::template_str(sp, values.finish())
        } else {
            make::joined_str(sp, values.finish())
        })
    }

    /// Adds the values of `pieces` (of a t-string when `t`, of a format spec when `spec`).
    fn pieces(
        &mut self,
        values: &mut Values,
        pieces: &[Piece],
        raw: bool,
        t: bool,
        spec: bool,
        key: usize,
    ) -> R<()> {
        let what = "this f-string";
        for p in pieces {
            match p {
                Piece::Lit(s, e) => {
                    // A spec's text holds `{{` only as an escape (see `body`), never `}}`.
                    let value = literal_value(&self.text[*s..*e], raw, true)
                        .ok_or_else(|| unsupported(*s, what))?;
                    values.text(value, *s, *e);
                }
                Piece::Field(f) => {
                    if let Some((ds, de)) = f.debug {
                        let debug = without_comments(self.text.as_bytes(), ds, de);
                        values.text(debug.into(), ds, de);
                    }
                    let value =
                        self.sub_expr(f.expr.0, f.expr.1, "an f-string replacement field")?;
                    let conversion = match f.conversion {
                        Some(c) => c as i64,
                        None if f.debug.is_some() && f.spec.is_none() => b'r' as i64,
                        None => -1,
                    };
                    let format_spec = match &f.spec {
                        None => AstValue::None,
                        Some((colon, close, sp)) => {
                            let mut inner = Values::default();
                            self.pieces(&mut inner, sp, raw, false, true, f.close)?;
                            AstValue::Node(Box::new(make::joined_str(
                                Some(Span::new(*colon, *close)),
                                inner.finish(),
                            )))
                        }
                    };
                    let value = AstValue::Node(Box::new(value));
                    let sp = Some(Span::new(f.open, f.close));
                    let n = if t {
                        let text = without_comments(self.text.as_bytes(), f.expr.0, f.expr.1);
                        make::interpolation(
                            sp,
                            value,
                            AstValue::Str(text),
                            AstValue::Int(conversion),
                            format_spec,
                        )
                    } else {
                        make::formatted_value(sp, value, AstValue::Int(conversion), format_spec)
                    };
                    values.node(n);
                }
            }
        }
        // CPython decodes the literal text once the replacement fields are parsed.
        if !raw {
            for p in pieces {
                if let Piece::Lit(s, e) = p {
                    self.escape_warnings(*s, *e, false, !spec, key);
                }
            }
        }
        Ok(())
    }

    /// Records the invalid-escape warnings of literal text `s..e`, issued when CPython's
    /// parser reaches `key` (see [`Converter::warnings`]).
    pub(super) fn escape_warnings(
        &mut self,
        s: usize,
        e: usize,
        bytes: bool,
        fbody: bool,
        key: usize,
    ) {
        for (at, esc) in invalid_escapes(self.text.as_bytes(), s, e, bytes, fbody) {
            let msg = cpyviz_model::error::invalid_escape_message(&esc);
            self.warnings.push((key, at, msg));
        }
    }

    /// The invalid-escape warnings of the plain string literals in `s..e`.
    pub(super) fn plain_string_warnings(&mut self, s: usize, e: usize) {
        let Some(toks) = string_tokens(self.text.as_bytes(), s, e) else {
            return;
        };
        for tok in toks.iter().filter(|t| !t.raw) {
            self.escape_warnings(tok.body.0, tok.body.1, tok.bytes, false, tok.start);
        }
    }
}

/// Where CPython's string decoder finds the first invalid escape of each unit of literal text
/// in `b[s..e]`: the offset of the backslash and what follows it. A unit is a whole literal,
/// or in an f-string (`fbody`) the text between doubled braces.
pub(super) fn invalid_escapes(
    b: &[u8],
    s: usize,
    e: usize,
    bytes: bool,
    fbody: bool,
) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut seen = false;
    let mut i = s;
    while i < e {
        match b[i] {
            b'{' | b'}' if fbody && i + 1 < e && b[i + 1] == b[i] => {
                seen = false;
                i += 2;
                continue;
            }
            b'\\' if i + 1 < e => {}
            // `f"\{x}"`: the text ends in a backslash before a replacement field.
            b'\\' if matches!(b.get(e), Some(b'{' | b'}')) => {
                if !seen {
                    out.push((i, (b[e] as char).to_string()));
                }
                break;
            }
            _ => {
                i += 1;
                continue;
            }
        }
        let c = b[i + 1];
        let mut len = 2;
        let bad = match c {
            b'\n' | b'\r' | b'\\' | b'\'' | b'"' | b'a' | b'b' | b'f' | b'n' | b'r' | b't'
            | b'v' | b'x' => None,
            b'u' | b'U' | b'N' if !bytes => {
                if c == b'N' && b.get(i + 2) == Some(&b'{') {
                    // `\N{NAME}`: its braces are not doubled braces.
                    len = b[i..e]
                        .iter()
                        .position(|&x| x == b'}')
                        .map_or(e - i, |k| k + 1);
                }
                None
            }
            b'0'..=b'7' => {
                let n = b[i + 1..e.min(i + 4)]
                    .iter()
                    .take_while(|c| (b'0'..=b'7').contains(*c))
                    .count();
                len = 1 + n;
                let digits = &b[i + 1..i + 1 + n];
                (n == 3 && digits[0] > b'3').then(|| String::from_utf8_lossy(digits).into_owned())
            }
            // A backslash before a non-ASCII character is kept as a backslash, silently.
            c if c >= 0x80 => None,
            c => Some((c as char).to_string()),
        };
        if let Some(esc) = bad {
            if !seen {
                out.push((i, esc));
            }
            seen = true;
        }
        i += len;
    }
    out
}

/// What a `**x` comprehension element becomes until its `SetComp` turns into a `DictComp`:
/// a `Starred` without a context (never seen outside the converter; a real `Starred` always
/// has one).
fn double_star(span: Option<Span>, value: AstValue) -> AstNode {
    super::make::starred(span, value, AstValue::None)
}

/// Whether `n` is a [`double_star`] element.
pub(super) fn is_double_star(n: &AstNode) -> bool {
    n.kind == NodeKind::Starred && matches!(n.fields[super::Starred::CTX], AstValue::None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_string_runs_become_string_placeholders() {
        let text = "x = ('\\ud800'\n     'ab' \\\n     \"c\")\n";
        let regions = [Region {
            start: 5,
            end: 34,
            kind: RegionKind::PlainStrings,
            optional: false,
        }];
        let (out, names) = placeholders(text, &regions);
        assert_eq!(out.len(), text.len());
        assert_eq!(out, "x = ('xxxxxx'\n'xxxxxxxx'\\\n'xxxxxx')\n");
        assert_eq!(names.iter().map(|n| n.0).collect::<Vec<_>>(), vec![5]);
    }

    #[test]
    fn placeholders_keep_every_offset_and_line_break() {
        let text = "x = f\"{\n  a}\" + t'é'\n";
        let regions = [
            Region {
                start: 4,
                end: 13,
                kind: RegionKind::Strings,
                optional: false,
            },
            Region {
                start: 16,
                end: 21,
                kind: RegionKind::Strings,
                optional: false,
            },
        ];
        let (out, names) = placeholders(text, &regions);
        assert_eq!(out.len(), text.len());
        assert_eq!(out, "x = (_ \n    ) + (_  )\n");
        assert_eq!(names.iter().map(|n| n.0).collect::<Vec<_>>(), vec![5, 17]);
    }

    #[test]
    fn fields_find_their_parts_across_reused_quotes() {
        let src = br#"f"{d["k"]!r:>{w}} {x = }""#;
        let tok = string_token(src, 0).unwrap();
        assert_eq!(tok.end, src.len());
        let (pieces, _) = body(src, tok.body.0, tok.quote, false, false).unwrap();
        let Piece::Field(f) = &pieces[0] else {
            panic!("{pieces:?}")
        };
        assert_eq!(&src[f.expr.0..f.expr.1], br#"d["k"]"#);
        assert_eq!(f.conversion, Some(b'r'));
        assert!(f.spec.is_some());
        let Piece::Field(g) = &pieces[2] else {
            panic!("{pieces:?}")
        };
        assert_eq!(&src[g.debug.unwrap().0..g.debug.unwrap().1], b"x = ");
        assert_eq!(&src[g.expr.0..g.expr.1], b"x ");
    }

    #[test]
    fn the_first_invalid_escape_of_each_unit_is_found() {
        let find = |text: &str, bytes: bool, fbody: bool| {
            invalid_escapes(text.as_bytes(), 0, text.len(), bytes, fbody)
                .into_iter()
                .map(|(at, esc)| format!("{at}:{esc}"))
                .collect::<Vec<_>>()
        };
        // One per unit: the first invalid escape only.
        assert_eq!(find(r"\n\d\e", false, false), ["2:d"]);
        // Octal above \377 warns, \377 and \8 are told apart.
        assert_eq!(find(r"\377\400", false, false), ["4:400"]);
        assert_eq!(find(r"\8", false, false), ["0:8"]);
        // \u and \N are escapes in str, not in bytes.
        assert_eq!(
            find(r"\u00e9\N{DIGIT ONE}", false, false),
            Vec::<String>::new()
        );
        assert_eq!(find(r"\u00", true, false), ["0:u"]);
        // A backslash before a non-ASCII character is silent.
        assert_eq!(find("\\\u{e9}", false, false), Vec::<String>::new());
        // Doubled braces split an f-string's text into units.
        assert_eq!(find(r"\d{{\q", true, true), ["0:d", "4:q"]);
        assert_eq!(find(r"\d{{\q", true, false), ["0:d"]);
    }

    #[test]
    fn literal_text_decodes_like_python() {
        assert_eq!(
            literal_value(r"a\n\x41\101\u00e9\N{DIGIT ONE}\q{{", false, true).unwrap(),
            PyStr::from("a\nAAé1\\q{")
        );
        assert_eq!(
            literal_value(r"a\n{{", true, true).unwrap(),
            PyStr::from("a\\n{")
        );
        assert_eq!(
            literal_value(r"a\ud800", false, false),
            Some(PyStr::CodePoints(vec!['a' as u32, 0xd800]))
        );
        assert_eq!(literal_value(r"\U00110000", false, false), None);
    }
}

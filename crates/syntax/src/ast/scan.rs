//! A light pass over the source that rustpython-parser does not make: comments (for type
//! comments), CPython's nesting limits, and syntax rustpython-parser 0.4 predates (PEP 701
//! f-strings, t-strings, …), so such files are reported as unsupported, never mis-parsed.

/// A comment: byte range of its text from `#` to the end of the line (newline excluded).
#[derive(Debug, Clone, Copy)]
pub struct Comment {
    pub start: usize,
    pub end: usize,
}

/// A construct rustpython-parser cannot parse the way CPython does.
#[derive(Debug, Clone)]
pub struct Unsupported {
    pub offset: usize,
    pub what: &'static str,
    /// Read by [`super::newsyntax`] when it lies inside one of [`Scan::regions`].
    pub in_region: bool,
}

pub use super::newsyntax::{Region, RegionKind};
use cpyviz_model::unicode::UnicodeData;

/// A nesting limit CPython's tokenizer enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// `too many nested parentheses`, at the offending bracket.
    Parens(usize),
    /// `too many levels of indentation`, at the start of the offending line.
    Indent(usize),
    /// `f-string: expressions nested too deeply`: a replacement field inside the third
    /// nested format spec of one f-string, reported at that spec's `:`.
    FstringSpecs(usize),
}

/// An error CPython's tokenizer reports (the first one in the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokError {
    /// A closing bracket with no opening one (its offset).
    Unmatched(usize),
    /// A closing bracket (`close`) that does not match the opening one (`open`).
    Mismatch { open: usize, close: usize },
    /// A string that does not end: offset of its prefix, triple-quoted, an f-string.
    Unterminated {
        start: usize,
        triple: bool,
        fstring: bool,
        /// Where the tokenizer noticed (the newline or the end of the text).
        detected: usize,
    },
    /// A character that cannot be part of a token or an identifier (its offset), and whether
    /// it is printable (CPython names it then).
    InvalidChar { at: usize, printable: bool },
}

#[derive(Debug, Default)]
pub struct Scan {
    pub comments: Vec<Comment>,
    pub unsupported: Vec<Unsupported>,
    pub limit: Option<Limit>,
    pub tok_error: Option<TokError>,
    /// Top-level bracket pairs: (open offset, close offset or `usize::MAX` if never closed).
    pub brackets: Vec<(usize, usize)>,
    /// Offsets of `lazy` in `lazy import …` / `lazy from …` (PEP 810, 3.15).
    pub lazy_imports: Vec<usize>,
    /// Syntax newer than rustpython-parser that [`super::newsyntax`] reads itself (sorted,
    /// none inside another).
    pub regions: Vec<Region>,
    /// The tokenizer's `SyntaxWarning`s: (offset, message), for a number glued to a keyword.
    pub warnings: Vec<(usize, String)>,
    /// Identifiers with non-ASCII characters (byte ranges), all valid: the parser reads them
    /// behind ASCII placeholders, and NFKC-normalizes them (`_PyPegen_new_identifier`).
    pub unicode_idents: Vec<(usize, usize)>,
    /// Whether the source holds an f-string or a t-string.
    pub fstrings: bool,
}

impl Scan {
    /// The innermost bracket pair around `offset`.
    pub fn enclosing(&self, offset: usize) -> Option<(usize, usize)> {
        self.brackets
            .iter()
            .filter(|&&(o, c)| o < offset && offset <= c)
            .max_by_key(|&&(o, _)| o)
            .copied()
    }
}

const MAX_PARENS: usize = 200;
const MAX_INDENT: usize = 100;
/// Deeper f-string nesting is reported as unsupported (CPython limits it too).
const MAX_FSTRING_NESTING: usize = 150;

struct Lexer<'a> {
    unicode: &'static UnicodeData,
    b: &'a [u8],
    i: usize,
    out: Scan,
    /// Quotes of the enclosing f-strings: (quote byte, triple).
    fstack: Vec<(u8, bool)>,
    /// The offsets of the `:` of the format specs open in the innermost f-string.
    specs: Vec<usize>,
    /// Replacement fields currently open.
    nest: usize,
    /// String tokens outside f-strings: (start, end, holds syntax newer than rustpython's,
    /// is an f-string or t-string).
    strings: Vec<(usize, usize, bool, bool)>,
}

/// A byte that can be part of an identifier (any non-ASCII byte counts).
pub(super) fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// Scans `text`; `unicode` (the version's tables) decides which characters identifiers may hold.
pub fn scan(text: &str, unicode: &'static UnicodeData) -> Scan {
    let mut lx = Lexer {
        unicode,
        b: text.as_bytes(),
        i: 0,
        out: Scan::default(),
        fstack: Vec::new(),
        specs: Vec::new(),
        nest: 0,
        strings: Vec::new(),
    };
    lx.code();
    lx.finish()
}

impl Lexer<'_> {
    fn peek(&self, k: usize) -> u8 {
        self.b.get(self.i + k).copied().unwrap_or(0)
    }

    fn tok_error(&mut self, e: TokError) {
        if self.out.tok_error.is_none() {
            self.out.tok_error = Some(e);
        }
    }

    fn unsupported(&mut self, offset: usize, what: &'static str) {
        self.out.unsupported.push(Unsupported {
            offset,
            what,
            in_region: false,
        });
    }

    /// Syntax rustpython-parser predates that [`super::newsyntax`] reads when it lies in a
    /// region.
    fn newer(&mut self, offset: usize, what: &'static str) {
        self.out.unsupported.push(Unsupported {
            offset,
            what,
            in_region: true,
        });
    }

    /// Groups adjacent string tokens into runs (implicit concatenation), makes a region of
    /// each run holding newer syntax, and forgets the newer syntax regions cover.
    fn finish(mut self) -> Scan {
        let b = self.b;
        let mut runs: Vec<(usize, usize, bool, bool)> = Vec::new();
        for &(s, e, newer, ft) in &self.strings {
            match runs.last_mut() {
                Some(last) if self.adjacent(last.1, s) => {
                    last.1 = e;
                    last.2 |= newer;
                    last.3 |= ft;
                }
                _ => runs.push((s, e, newer, ft)),
            }
        }
        self.out.fstrings = runs.iter().any(|r| r.3);
        // Every run with an f-string or t-string is read by newsyntax, which knows CPython's
        // positions; rustpython can still read the runs without newer syntax.
        let strings = runs
            .into_iter()
            .filter(|r| r.2 || r.3)
            .map(|(start, end, newer, ft)| Region {
                start,
                end: end.min(b.len()),
                kind: if ft {
                    RegionKind::Strings
                } else {
                    RegionKind::PlainStrings
                },
                optional: !newer,
            });
        let mut all: Vec<Region> = std::mem::take(&mut self.out.regions);
        all.extend(strings);
        all.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
        let mut regions: Vec<Region> = Vec::new();
        for r in all {
            if regions.last().is_some_and(|l| r.start < l.end) {
                continue;
            }
            regions.push(r);
        }
        self.out.unsupported.retain(|u| {
            !(u.in_region
                && regions
                    .iter()
                    .any(|r| r.start <= u.offset && u.offset < r.end))
        });
        self.out.regions = regions;
        self.out
    }

    /// Whether only blanks, line continuations and (inside brackets) newlines and comments
    /// separate two string tokens.
    fn adjacent(&self, from: usize, to: usize) -> bool {
        let b = self.b;
        let bracketed = self.out.enclosing(to).is_some();
        let mut i = from;
        while i < to {
            match b[i] {
                b' ' | b'\t' | b'\x0c' => i += 1,
                b'\\' if matches!(b.get(i + 1), Some(b'\n' | b'\r')) => {
                    i += 1;
                    if b[i] == b'\r' {
                        i += 1;
                    }
                    if b.get(i) == Some(&b'\n') {
                        i += 1;
                    }
                }
                b'\n' | b'\r' if bracketed => i += 1,
                b'\r' | b'\n' => return false,
                b'#' if bracketed => {
                    while i < to && b[i] != b'\n' {
                        i += 1;
                    }
                }
                _ => return false,
            }
        }
        true
    }

    fn number_starts(&self, c: u8) -> bool {
        c.is_ascii_digit() || (c == b'.' && self.peek(1).is_ascii_digit())
    }

    /// A number literal at `self.i`. Directly followed by a keyword (`1if`, `0x1for`), CPython's
    /// tokenizer reads it but warns; followed by other letters it is an error rustpython
    /// reports.
    fn number(&mut self) {
        let b = self.b;
        let mut i = self.i;
        let run = |i: &mut usize, ok: fn(u8) -> bool| {
            while *i < b.len() && (ok(b[*i]) || b[*i] == b'_') {
                *i += 1;
            }
        };
        let base = if b[i] == b'0' {
            b.get(i + 1).map(|c| c | 0x20)
        } else {
            None
        };
        let kind = match base {
            Some(b'x') => {
                i += 2;
                run(&mut i, |c| c.is_ascii_hexdigit());
                "hexadecimal"
            }
            Some(b'o') => {
                i += 2;
                run(&mut i, |c| (b'0'..=b'7').contains(&c));
                "octal"
            }
            Some(b'b') => {
                i += 2;
                run(&mut i, |c| c == b'0' || c == b'1');
                "binary"
            }
            _ => {
                run(&mut i, |c| c.is_ascii_digit());
                if b.get(i) == Some(&b'.') {
                    i += 1;
                    run(&mut i, |c| c.is_ascii_digit());
                }
                if matches!(b.get(i), Some(b'e' | b'E')) {
                    let mut k = i + 1;
                    if matches!(b.get(k), Some(b'+' | b'-')) {
                        k += 1;
                    }
                    if b.get(k).is_some_and(u8::is_ascii_digit) {
                        i = k;
                        run(&mut i, |c| c.is_ascii_digit());
                    }
                }
                if matches!(b.get(i), Some(b'j' | b'J')) {
                    i += 1;
                    "imaginary"
                } else {
                    "decimal"
                }
            }
        };
        self.i = i;
        let rest = &b[i..];
        // The keyword must end there (`1andy` is an error); `i` + `f`/`n`/`s` is enough.
        let after = |word: &[u8]| {
            rest.get(1..).is_some_and(|r| r.starts_with(word))
                && !rest.get(1 + word.len()).is_some_and(|&c| is_ident(c))
        };
        let keyword = match rest.first() {
            Some(b'a') => after(b"nd"),
            Some(b'e') => after(b"lse"),
            Some(b'f') => after(b"or"),
            Some(b'i') => matches!(rest.get(1), Some(b'f' | b'n' | b's')),
            Some(b'n') => after(b"ot"),
            Some(b'o') => after(b"r"),
            _ => false,
        };
        if keyword {
            self.out
                .warnings
                .push((i, format!("invalid {kind} literal")));
        }
    }

    /// A name token `start..end` (the tokenizer's `verify_identifier`): a non-ASCII one must be
    /// a valid identifier of this version's Unicode, else the first character that cannot be
    /// in it is a tokenizer error.
    fn identifier(&mut self, start: usize, end: usize) {
        let Ok(word) = std::str::from_utf8(&self.b[start..end]) else {
            return;
        };
        if word.is_ascii() {
            return;
        }
        match self.unicode.first_invalid_identifier_char(word) {
            None => self.out.unicode_idents.push((start, end)),
            Some(k) => {
                let (at, c) = word.char_indices().nth(k).unwrap_or((0, '\u{fffd}'));
                let printable = self.unicode.is_printable(c as u32);
                self.tok_error(TokError::InvalidChar {
                    at: start + at,
                    printable,
                });
            }
        }
    }

    fn words_at(&self, at: usize) -> (&str, usize) {
        let mut j = at;
        while j < self.b.len() && is_ident(self.b[j]) {
            j += 1;
        }
        (std::str::from_utf8(&self.b[at..j]).unwrap_or(""), j)
    }

    fn skip_blanks(&self, mut j: usize) -> usize {
        while j < self.b.len() && matches!(self.b[j], b' ' | b'\t' | b'\x0c') {
            j += 1;
        }
        j
    }

    /// Top-level code: lines, indentation, brackets.
    fn code(&mut self) {
        let mut indents: Vec<usize> = vec![0];
        let mut depth = 0usize;
        // Open brackets: (byte, index in `self.out.brackets`).
        let mut stack: Vec<(u8, usize)> = Vec::new();
        let mut at_line_start = true;
        // Statement keywords seen at the start of the current logical line.
        while self.i < self.b.len() {
            if at_line_start && depth == 0 {
                at_line_start = false;
                let line_start = self.i;
                let mut col = 0usize;
                while self.i < self.b.len() {
                    match self.b[self.i] {
                        b' ' => col += 1,
                        b'\t' => col = (col / 8 + 1) * 8,
                        b'\x0c' => col = 0,
                        _ => break,
                    }
                    self.i += 1;
                }
                let c = self.peek(0);
                if !(c == b'#' || c == b'\n' || c == b'\r' || c == b'\\' || c == 0) {
                    if col > *indents.last().unwrap_or(&0) {
                        indents.push(col);
                        if indents.len() > MAX_INDENT && self.out.limit.is_none() {
                            self.out.limit = Some(Limit::Indent(line_start));
                        }
                    } else {
                        while indents.len() > 1 && col < *indents.last().unwrap_or(&0) {
                            indents.pop();
                        }
                    }
                    self.statement_start();
                }
                continue;
            }
            let c = self.b[self.i];
            match c {
                b'#' => self.comment(),
                b'\n' => {
                    self.i += 1;
                    if depth == 0 {
                        at_line_start = true;
                    }
                }
                b'\\' => self.i += 2,
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    if depth > MAX_PARENS && self.out.limit.is_none() {
                        self.out.limit = Some(Limit::Parens(self.i));
                    }
                    stack.push((c, self.out.brackets.len()));
                    self.out.brackets.push((self.i, usize::MAX));
                    self.i += 1;
                    self.star_comprehension();
                }
                b')' | b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    match stack.pop() {
                        None => self.tok_error(TokError::Unmatched(self.i)),
                        Some((open, k)) => {
                            let want = match open {
                                b'(' => b')',
                                b'[' => b']',
                                _ => b'}',
                            };
                            if want != c {
                                let open = self.out.brackets[k].0;
                                self.tok_error(TokError::Mismatch {
                                    open,
                                    close: self.i,
                                });
                            }
                            self.out.brackets[k].1 = self.i;
                        }
                    }
                    self.i += 1;
                }
                c if c >= 0x80 => {
                    let start = self.i;
                    let (_, end) = self.words_at(start);
                    self.identifier(start, end);
                    self.i = end.max(start + 1);
                }
                b'\'' | b'"' => self.string(self.i),
                // `f(a, *x for x in y)`: a starred generator among other call arguments.
                b',' if stack.last().is_some_and(|&(open, _)| open == b'(') => {
                    self.i += 1;
                    self.star_comprehension();
                }
                c if self.number_starts(c) => self.number(),
                c if is_ident(c) => {
                    let start = self.i;
                    let (_, end) = self.words_at(start);
                    self.i = end.max(start + 1);
                    if matches!(self.peek(0), b'\'' | b'"')
                        && end - start <= 2
                        && self.b[start..end].iter().all(|c| b"rRbBuUfFtT".contains(c))
                    {
                        self.string(start);
                    } else {
                        self.identifier(start, end);
                    }
                }
                _ => self.i += 1,
            }
        }
    }

    fn comment(&mut self) {
        let start = self.i;
        while self.i < self.b.len() && self.b[self.i] != b'\n' {
            self.i += 1;
        }
        let mut end = self.i;
        if end > start && self.b[end - 1] == b'\r' {
            end -= 1;
        }
        self.out.comments.push(Comment { start, end });
    }

    /// Checks the statement beginning at `self.i` for syntax newer than rustpython-parser's.
    fn statement_start(&mut self) {
        let at = self.i;
        let (word, end) = self.words_at(at);
        match word {
            "except" => {
                // PEP 758: `except A, B:` without parentheses.
                let mut j = end;
                if self.b.get(self.skip_blanks(j)) == Some(&b'*') {
                    j = self.skip_blanks(j) + 1;
                }
                let start = self.skip_blanks(j);
                let mut depth = 0i32;
                let mut several = false;
                while j < self.b.len() {
                    match self.b[j] {
                        b'(' | b'[' | b'{' => depth += 1,
                        b')' | b']' | b'}' => depth -= 1,
                        b',' if depth == 0 => several = true,
                        b'\\' => j += 1,
                        b'a' if depth == 0
                            && !is_ident(self.b[j - 1])
                            && self.words_at(j).0 == "as" =>
                        {
                            break
                        }
                        b':' | b'\n' | b'\r' | b'#' | b'\'' | b'"' if depth <= 0 => break,
                        _ => {}
                    }
                    j += 1;
                }
                if several {
                    let mut e = j.min(self.b.len());
                    while e > start && matches!(self.b[e - 1], b' ' | b'\t' | b'\x0c' | b'\\') {
                        e -= 1;
                    }
                    self.newer(
                        start,
                        "`except` with several exception types without parentheses (PEP 758)",
                    );
                    self.out.regions.push(Region {
                        start,
                        end: e,
                        kind: RegionKind::ExceptTypes,
                        optional: false,
                    });
                }
            }
            "lazy" => {
                let (next, _) = self.words_at(self.skip_blanks(end));
                if (next == "import" || next == "from") && self.skip_blanks(end) > end {
                    self.out.lazy_imports.push(at);
                }
            }
            "def" | "class" | "type" => {
                // PEP 696: type parameter defaults `[T = int]`.
                let j = self.skip_blanks(end);
                let (_, nend) = self.words_at(j);
                if nend > j && self.b.get(self.skip_blanks(nend)) == Some(&b'[') {
                    // Each `= default` (up to the next `,` or the closing `]`) is a region the
                    // converter reads itself.
                    let mut k = self.skip_blanks(nend) + 1;
                    let mut depth = 1i32;
                    let mut default: Option<usize> = None;
                    let mut defaults = Vec::new();
                    while k < self.b.len() && depth > 0 {
                        let c = self.b[k];
                        match c {
                            b'(' | b'[' | b'{' => depth += 1,
                            b')' | b']' | b'}' => depth -= 1,
                            b'\'' | b'"' => {
                                // Skip the string (its brackets are not the list's).
                                let q = c;
                                k += 1;
                                while k < self.b.len() && self.b[k] != q && self.b[k] != b'\n' {
                                    if self.b[k] == b'\\' {
                                        k += 1;
                                    }
                                    k += 1;
                                }
                            }
                            b'#' => {
                                while k < self.b.len() && self.b[k] != b'\n' {
                                    k += 1;
                                }
                            }
                            _ => {}
                        }
                        let end_of_item = (depth == 0 && c == b']') || (depth == 1 && c == b',');
                        if end_of_item {
                            if let Some(start) = default.take() {
                                defaults.push((start, k));
                            }
                        } else if depth == 1
                            && c == b'='
                            && default.is_none()
                            && !matches!(self.b.get(k + 1), Some(b'='))
                            && !matches!(
                                self.b.get(k.wrapping_sub(1)),
                                Some(b'=' | b'!' | b'<' | b'>' | b':')
                            )
                        {
                            default = Some(k);
                        }
                        k += 1;
                    }
                    for (start, mut end) in defaults {
                        while end > start && self.b[end - 1].is_ascii_whitespace() {
                            end -= 1;
                        }
                        self.out.regions.push(Region {
                            start,
                            end,
                            kind: RegionKind::TypeParamDefault,
                            optional: false,
                        });
                    }
                }
            }
            _ => {}
        }
    }

    /// PEP 798 (3.15): `[*x for x in y]`, `{**d for d in ds}`.
    fn star_comprehension(&mut self) {
        // Inside brackets: line breaks and comments are blanks too.
        let mut j = self.i;
        loop {
            j = self.skip_blanks(j);
            match self.b.get(j) {
                Some(b'\n' | b'\r') => j += 1,
                Some(b'#') => {
                    while j < self.b.len() && self.b[j] != b'\n' {
                        j += 1;
                    }
                }
                _ => break,
            }
        }
        if self.b.get(j) != Some(&b'*') {
            return;
        }
        let mut k = j;
        let mut depth = 0i32;
        while k < self.b.len() {
            match self.b[k] {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1
                }
                b',' | b'#' | b'\'' | b'"' if depth == 0 => return,
                b'f' if depth == 0
                    && k > 0
                    && !is_ident(self.b[k - 1])
                    && self.b[k..].starts_with(b"for")
                    && !is_ident(self.b.get(k + 3).copied().unwrap_or(b'(')) =>
                {
                    let mut e = k;
                    while e > j
                        && matches!(
                            self.b[e - 1],
                            b' ' | b'\t' | b'\x0c' | b'\n' | b'\r' | b'\\'
                        )
                    {
                        e -= 1;
                    }
                    let double = self.b.get(j + 1) == Some(&b'*');
                    self.newer(j, "unpacking in a comprehension (PEP 798)");
                    self.out.regions.push(Region {
                        start: j,
                        end: e,
                        kind: if double {
                            RegionKind::DoubleStar
                        } else {
                            RegionKind::Star
                        },
                        optional: false,
                    });
                    return;
                }
                _ => {}
            }
            k += 1;
        }
    }

    /// A string literal whose prefix starts at `start` and whose quote is at `self.i`.
    fn string(&mut self, start: usize) {
        let prefix = std::str::from_utf8(&self.b[start..self.i])
            .unwrap_or("")
            .to_ascii_lowercase();
        if !prefix.chars().all(|c| "rbuft".contains(c)) {
            // An identifier directly followed by a string: not a prefix (a syntax error).
            self.plain_string(self.i);
            return;
        }
        let top = self.fstack.is_empty();
        let before = self.out.unsupported.len();
        if prefix.contains('t') {
            self.newer(start, "a template string literal t\"…\" (PEP 750)");
        }
        if prefix.contains('f') || prefix.contains('t') {
            self.fstring(start);
        } else {
            self.plain_string(start);
        }
        if top {
            let newer = self.out.unsupported[before..].iter().any(|u| u.in_region);
            let ft = prefix.contains('f') || prefix.contains('t');
            self.strings.push((start, self.i, newer, ft));
        }
    }

    fn quote_at(&self) -> (u8, bool) {
        let q = self.peek(0);
        (q, self.peek(1) == q && self.peek(2) == q)
    }

    /// The quote `(q, triple)` reuses the quote of an enclosing f-string (PEP 701).
    fn check_reuse(&mut self, q: u8, triple: bool) {
        if let Some(&(oq, otriple)) = self.fstack.last() {
            if oq == q && (!otriple || triple) {
                self.newer(self.i, "an f-string reusing its enclosing quotes (PEP 701)");
            }
        }
    }

    /// `\uD800`…`\uDFFF` (or `\U0000D800`…): a lone surrogate, which a Rust string cannot
    /// hold.
    fn surrogate_escape(&mut self) {
        let rest = &self.b[self.i + 1..];
        let hex = match rest.first() {
            Some(b'u') => rest.get(1..5),
            Some(b'U') => rest.get(1..9),
            _ => None,
        };
        if let Some(h) = hex.and_then(|h| std::str::from_utf8(h).ok()) {
            if let Ok(n) = u32::from_str_radix(h, 16) {
                if (0xd800..0xe000).contains(&n) {
                    self.newer(self.i, "a lone surrogate in a string literal");
                }
            }
        }
    }

    fn plain_string(&mut self, start: usize) {
        let plain = !self.b[start..self.i].iter().any(|c| b"rRbB".contains(c));
        let (q, triple) = self.quote_at();
        self.check_reuse(q, triple);
        self.i += if triple { 3 } else { 1 };
        while self.i < self.b.len() {
            let c = self.b[self.i];
            if c == b'\\' {
                if plain {
                    self.surrogate_escape();
                }
                self.i += 2;
                continue;
            }
            if c == q {
                if !triple {
                    self.i += 1;
                    return;
                }
                if self.peek(1) == q && self.peek(2) == q {
                    self.i += 3;
                    return;
                }
            }
            if c == b'\n' && !triple {
                self.unterminated(start, false, false);
                return;
            }
            self.i += 1;
        }
        self.unterminated(start, triple, false);
    }

    fn unterminated(&mut self, start: usize, triple: bool, fstring: bool) {
        let detected = self.i.min(self.b.len());
        self.tok_error(TokError::Unterminated {
            start,
            triple,
            fstring,
            detected,
        });
    }

    fn fstring(&mut self, start: usize) {
        let raw = self.b[start..self.i]
            .iter()
            .any(|c| matches!(c, b'r' | b'R'));
        let (q, triple) = self.quote_at();
        self.check_reuse(q, triple);
        if self.fstack.len() >= MAX_FSTRING_NESTING {
            self.unsupported(self.i, "f-strings nested this deeply");
            self.plain_string(start);
            return;
        }
        self.i += if triple { 3 } else { 1 };
        self.fstack.push((q, triple));
        let outer_specs = std::mem::take(&mut self.specs);
        if !self.fstring_body(q, triple, raw, false) {
            self.unterminated(start, triple, true);
        }
        self.specs = outer_specs;
        self.fstack.pop();
    }

    /// The literal part of an f-string (or of a format spec when `spec`); returns at the
    /// closing quote (consumed) or, for a spec, at the `}` closing the field (not consumed).
    /// False when the string does not end.
    fn fstring_body(&mut self, q: u8, triple: bool, raw: bool, spec: bool) -> bool {
        while self.i < self.b.len() {
            let c = self.b[self.i];
            match c {
                b'\\' if !raw => {
                    self.surrogate_escape();
                    self.i += 2;
                }
                // In a raw f-string a backslash still keeps the next quote (or backslash)
                // from ending the string; a brace after it still opens or closes a field.
                b'\\' if matches!(self.peek(1), b'{' | b'}') => self.i += 1,
                b'\\' => self.i += 2,
                b'{' if self.peek(1) == b'{' && !spec => self.i += 2,
                b'{' => {
                    // CPython's tokenizer allows two levels of fields inside format specs.
                    if self.specs.len() >= 3 && self.out.limit.is_none() {
                        self.out.limit =
                            Some(Limit::FstringSpecs(self.specs[self.specs.len() - 1]));
                    }
                    self.i += 1;
                    self.replacement_field(q, triple);
                }
                b'}' if spec => return true,
                b'}' if self.peek(1) == b'}' => self.i += 2,
                b'\n' if !triple => return false,
                c if c == q => {
                    if !triple {
                        if !spec {
                            self.i += 1;
                        }
                        return true;
                    }
                    if self.peek(1) == q && self.peek(2) == q {
                        if !spec {
                            self.i += 3;
                        }
                        return true;
                    }
                    self.i += 1;
                }
                _ => self.i += 1,
            }
        }
        false
    }

    /// After `{` in an f-string: the expression, `=`, `!conv`, `:spec`, up to `}`.
    fn replacement_field(&mut self, q: u8, triple: bool) {
        self.nest += 1;
        if self.nest > MAX_FSTRING_NESTING {
            self.unsupported(self.i, "f-strings nested this deeply");
            self.i = self.b.len();
        }
        self.field(q, triple);
        self.nest -= 1;
    }

    fn field(&mut self, q: u8, triple: bool) {
        let mut depth = 0usize;
        while self.i < self.b.len() {
            let c = self.b[self.i];
            match c {
                b'#' => {
                    self.newer(self.i, "a comment inside an f-string (PEP 701)");
                    self.comment();
                }
                b'\\' => {
                    self.newer(
                        self.i,
                        "a backslash inside an f-string expression (PEP 701)",
                    );
                    self.i += 2;
                }
                b'\n' => {
                    if !triple {
                        self.newer(
                            self.i,
                            "a line break inside a single-quoted f-string (PEP 701)",
                        );
                    }
                    self.i += 1;
                }
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    self.i += 1;
                }
                b')' | b']' => {
                    depth = depth.saturating_sub(1);
                    self.i += 1;
                }
                b'}' => {
                    self.i += 1;
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                }
                b'!' if depth == 0 && self.peek(1) != b'=' => self.i += 1,
                b':' if depth == 0 => {
                    self.specs.push(self.i);
                    self.i += 1;
                    let _ = self.fstring_body(q, triple, false, true);
                    self.specs.pop();
                    if self.peek(0) == b'}' {
                        self.i += 1;
                    }
                    return;
                }
                b'\'' | b'"' => {
                    // The end of the enclosing f-string (unterminated field) or a nested string.
                    // Under PEP 701 a reused quote starts a nested string (flagged there),
                    // unless no string could end on this line: then the f-string ends here.
                    if c == q && !triple {
                        let rest = &self.b[self.i + 1..];
                        let eol = rest.iter().position(|&x| x == b'\n').unwrap_or(rest.len());
                        if !rest[..eol].contains(&q) {
                            return;
                        }
                    }
                    self.string(self.i);
                }
                c if self.number_starts(c) => self.number(),
                c if is_ident(c) => {
                    let start = self.i;
                    let (_, end) = self.words_at(start);
                    self.i = end.max(start + 1);
                    if matches!(self.peek(0), b'\'' | b'"')
                        && end - start <= 2
                        && self.b[start..end].iter().all(|c| b"rRbBuUfFtT".contains(c))
                    {
                        self.string(start);
                    } else {
                        self.identifier(start, end);
                    }
                }
                _ => self.i += 1,
            }
            if self.out.unsupported.len() > 1000 {
                self.i = self.b.len();
            }
        }
    }
}

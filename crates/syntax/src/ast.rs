//! Stage 2 — the abstract syntax tree, parsed with rustpython-parser and converted into CPython's
//! `ast` node shapes, printed exactly as `python -m ast` prints it.
//!
//! ```text
//! Source ─scan─▶ comments, nesting limits, newer-syntax regions, tokenizer errors (scan.rs)
//!    └─placeholders─▶ rustpython_parser::parse ─▶ rustpython AST ─convert─▶ AstNode (convert.rs)
//!                               regions read from the source text ──┘         (newsyntax.rs)
//!                     │ error                      └─validate─▶ invalid targets   (validate.rs)
//!                     └──────────▶ CPython's SyntaxError message and location     (errors.rs)
//! AstNode ─dump─▶ `python -m ast` text (`-a` too)                                 (dump.rs)
//! ```
//!
//! Parsing, conversion and the checks run on a thread with a 1 GiB (reserved, lazily used)
//! stack, so deep nesting cannot overflow the caller's stack.
//!
//! Syntax newer than rustpython-parser 0.4 — PEP 701 f-strings, PEP 750 t-strings, PEP 758
//! `except A, B:`, PEP 798 unpacking in comprehensions — is found by the scan, hidden from
//! rustpython behind same-length placeholders and read by `newsyntax.rs`. What remains beyond
//! it (type parameter defaults, lone surrogates, f-strings nested very deeply) is reported as
//! `Unsupported`, never as a wrong tree.

use cpyviz_model::error::{PyError, PyErrorKind, SyntaxWarning};
use cpyviz_model::source::Source;
use cpyviz_model::version::PyVersion;

pub use cpyviz_model::ast::*;

mod convert;
mod dump;
mod errors;
mod features;
mod idents;
mod modes;
mod newsyntax;
pub mod preprocess;
mod scan;
mod validate;

pub use dump::{constant_repr, dump_with, dump_with_positions, DumpLayout};

/// The options of `python -m ast` (the defaults are `python -m ast FILE`'s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AstOptions {
    /// `-m`: `exec`, `single`, `eval` or `func_type`.
    pub mode: String,
    /// Not `--no-type-comments`.
    pub type_comments: bool,
    /// `-a`.
    pub include_attributes: bool,
    /// `-i`: the indentation of nodes, in spaces (0 or less: newlines only).
    pub indent: i64,
    /// `--feature-version 3.N`.
    pub feature_version: Option<String>,
    /// `-O`: -1 (the interpreter's level, 0) to 2.
    pub optimize: i64,
    /// `--show-empty`.
    pub show_empty: bool,
}

impl Default for AstOptions {
    fn default() -> AstOptions {
        AstOptions {
            mode: "exec".into(),
            type_comments: true,
            include_attributes: false,
            indent: 3,
            feature_version: None,
            optimize: -1,
            show_empty: false,
        }
    }
}

impl AstOptions {
    /// The command-line arguments of `python -m ast` that give these options.
    pub fn args(&self) -> Vec<String> {
        let d = AstOptions::default();
        let mut a = Vec::new();
        if self.mode != d.mode {
            a.extend(["-m".to_string(), self.mode.clone()]);
        }
        if !self.type_comments {
            a.push("--no-type-comments".into());
        }
        if self.include_attributes {
            a.push("-a".into());
        }
        if self.indent != d.indent {
            a.push(format!("--indent={}", self.indent));
        }
        if let Some(v) = &self.feature_version {
            a.push(format!("--feature-version={v}"));
        }
        if self.optimize != d.optimize {
            a.push(format!("--optimize={}", self.optimize));
        }
        if self.show_empty {
            a.push("--show-empty".into());
        }
        a
    }

    /// Options that change how the file is parsed (not only how the tree is printed).
    pub fn changes_the_parse(&self) -> bool {
        let d = AstOptions::default();
        self.mode != d.mode
            || self.type_comments != d.type_comments
            || self.feature_version.is_some()
            || self.optimize > 0
    }
}

/// The stack the parser, the converter and the dumper run on: deep (but legal) nesting must
/// never overflow the caller's stack.
const BIG_STACK: usize = 1 << 30;

/// Runs `f` on a thread with a big stack; a panic becomes `None`.
pub fn on_big_stack<T: Send>(f: impl FnOnce() -> T + Send) -> Option<T> {
    // Scoped: `f` borrows the caller's data (a big tree) instead of a copy of it.
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("cpyviz-ast".into())
            .stack_size(BIG_STACK)
            .spawn_scoped(scope, f)
            .ok()?
            .join()
            .ok()
    })
}

/// Parses `src` into CPython's AST shape for `version`.
#[allow(clippy::result_large_err)]
pub fn parse(src: &Source, version: PyVersion) -> Result<AstNode, PyError> {
    parse_with_warnings(src, version).0
}

/// [`parse`], with the `SyntaxWarning`s CPython's tokenizer and parser issue for a file that
/// parses (invalid escape sequences, a number glued to a keyword), in CPython's order.
#[allow(clippy::result_large_err)]
pub fn parse_with_warnings(
    src: &Source,
    version: PyVersion,
) -> (Result<AstNode, PyError>, Vec<SyntaxWarning>) {
    parse_with_options(src, version, &ParseOptions::default())
}

/// How to parse: the arguments of `ast.parse` / `compile()` that change the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseOptions {
    /// `mode`: what kind of code the text is.
    pub mode: Mode,
    /// `type_comments=True` (`PyCF_TYPE_COMMENTS`): `# type:` comments become part of the tree,
    /// and one where the grammar allows none is a SyntaxError. `python -m ast` sets it;
    /// `compile()` (and so `python -m dis`) does not.
    pub type_comments: bool,
    /// `feature_version=(3, N)`: syntax newer than 3.N is a SyntaxError.
    pub feature_version: Option<i64>,
    /// `optimize`: above 0 the tree is the optimized one (`PyCF_OPTIMIZED_AST`).
    pub optimize: i64,
}

/// `ast.parse`'s `mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Exec,
    Single,
    Eval,
    FuncType,
}

impl Default for ParseOptions {
    /// `python -m ast FILE`: a module, with type comments.
    fn default() -> ParseOptions {
        ParseOptions {
            mode: Mode::Exec,
            type_comments: true,
            feature_version: None,
            optimize: -1,
        }
    }
}

impl ParseOptions {
    /// What `compile(source, name, "exec")` parses: no type comments.
    pub fn compile() -> ParseOptions {
        ParseOptions {
            type_comments: false,
            ..ParseOptions::default()
        }
    }

    /// The parse `python -m ast` makes with these options, or the message (and exit status)
    /// with which it refuses them before parsing.
    pub fn from_ast_options(
        o: &AstOptions,
        version: PyVersion,
    ) -> Result<ParseOptions, (String, i32)> {
        let _ = version;
        let mode = match o.mode.as_str() {
            "exec" => Mode::Exec,
            "single" => Mode::Single,
            "eval" => Mode::Eval,
            "func_type" => Mode::FuncType,
            other => return Err((format!("cpyviz: unknown mode {other:?}\n"), 2)),
        };
        let feature_version = match &o.feature_version {
            None => None,
            Some(v) if v.is_empty() => None,
            Some(v) => Some(feature_version(v)?),
        };
        if !(-1..=2).contains(&o.optimize) {
            return Err(("ValueError: compile(): invalid optimize value\n".into(), 1));
        }
        Ok(ParseOptions {
            mode,
            type_comments: o.type_comments,
            feature_version,
            optimize: o.optimize,
        })
    }
}

/// `--feature-version 3.N` as `python -m ast` reads it (`major, minor = map(int, s.split('.', 1))`,
/// then `ast.parse` wants major 3): the minor version, or the message and exit status of the
/// refusal.
fn feature_version(text: &str) -> Result<i64, (String, i32)> {
    let invalid = || {
        (
            "cpyviz dump ast: error: Invalid format for --feature-version; expected format 3.x \
             (for example, 3.10)\n"
                .to_string(),
            2,
        )
    };
    let (major, minor) = text.split_once('.').ok_or_else(invalid)?;
    let int = |s: &str| -> Option<i64> {
        // Python's int(): surrounding whitespace and single underscores between digits.
        let t = s.trim();
        if t.is_empty() || t.starts_with('_') || t.ends_with('_') || t.contains("__") {
            return None;
        }
        let digits: String = t.chars().filter(|&c| c != '_').collect();
        let (neg, digits) = match digits.strip_prefix(['-', '+']) {
            Some(rest) => (digits.starts_with('-'), rest.to_string()),
            None => (false, digits),
        };
        let value: String = digits
            .chars()
            .map(|c| c.to_digit(10).and_then(|d| char::from_digit(d, 10)))
            .collect::<Option<String>>()?;
        let n: i64 = value.parse().ok()?;
        Some(if neg { -n } else { n })
    };
    let (Some(major), Some(minor)) = (int(major), int(minor)) else {
        return Err(invalid());
    };
    if major != 3 {
        return Err((
            format!("ValueError: Unsupported major version: {major}\n"),
            1,
        ));
    }
    if i32::try_from(minor).is_err() {
        return Err((
            "OverflowError: Python int too large to convert to C int\n".into(),
            1,
        ));
    }
    Ok(minor)
}

/// [`parse_with_warnings`] with `ast.parse`'s options.
#[allow(clippy::result_large_err)]
pub fn parse_with_options(
    src: &Source,
    version: PyVersion,
    options: &ParseOptions,
) -> (Result<AstNode, PyError>, Vec<SyntaxWarning>) {
    let (result, warnings) = match options.mode {
        Mode::Exec => parse_module(src, version, options.type_comments),
        mode => {
            let warnings = std::cell::RefCell::new(Vec::new());
            let parse = |s: &Source| {
                let (tree, w) = parse_module(s, version, options.type_comments);
                *warnings.borrow_mut() = w;
                tree
            };
            let tree = match mode {
                Mode::Eval => modes::eval(src, version, &parse),
                Mode::Single => modes::single(src, version, &parse),
                _ => modes::func_type(src, version, &parse),
            };
            let warnings = warnings.into_inner();
            (tree, warnings)
        }
    };
    let result = result.and_then(|mut tree| {
        if let Some(feature) = options.feature_version {
            features::check(&tree, src, version, feature)?;
        }
        preprocess::optimize(&mut tree, options.optimize, src);
        Ok(tree)
    });
    (result, warnings)
}

/// The byte range of the name rustpython refused as a repeated parameter or keyword.
fn repeated_name(e: &rustpython_parser::ParseError, text: &str) -> Option<(usize, usize)> {
    use rustpython_parser::lexer::LexicalErrorType as L;
    let rustpython_parser::ParseErrorType::Lexical(
        L::DuplicateArgumentError(name) | L::DuplicateKeywordArgumentError(name),
    ) = &e.error
    else {
        return None;
    };
    let at = e.offset.to_usize();
    (text.get(at..at + name.len()) == Some(name.as_str())).then_some((at, name.len()))
}

/// Parses `src` as a module (`mode='exec'`).
#[allow(clippy::result_large_err)]
fn parse_module(
    src: &Source,
    version: PyVersion,
    use_type_comments: bool,
) -> (Result<AstNode, PyError>, Vec<SyntaxWarning>) {
    let text = src.text.clone();
    let path = src.path.clone();
    type Parsed = (AstNode, Vec<(usize, usize, String)>);
    let result = on_big_stack(move || -> (scan::Scan, Result<Parsed, ParseFailure>) {
        let sc = scan::scan(&text, cpyviz_model::unicode::data(version));
        if sc.limit.is_some() {
            return (sc, Err(ParseFailure::Internal));
        }
        // 3.15's `lazy import`: parse the import without the soft keyword, then mark it.
        let mut lazy = std::collections::HashMap::new();
        let mut text = text;
        if version.profile().has_lazy_imports && !sc.lazy_imports.is_empty() {
            let mut bytes = std::mem::take(&mut text).into_bytes();
            for &at in &sc.lazy_imports {
                // `lazy   import` → `import   ` (the names keep their offsets).
                let mut k = at + 4;
                while k < bytes.len() && matches!(bytes[k], b' ' | b'\t' | b'\x0c') {
                    k += 1;
                }
                let kw: &[u8] = if bytes[k..].starts_with(b"import") {
                    b"import"
                } else {
                    b"from"
                };
                let end = k + kw.len();
                bytes[at..at + kw.len()].copy_from_slice(kw);
                for b in &mut bytes[at + kw.len()..end] {
                    *b = b' ';
                }
                lazy.insert(at, at);
            }
            text = String::from_utf8(bytes).unwrap_or_default();
        }
        // Non-ASCII identifiers are read behind ASCII placeholders (see `idents`).
        let mut hider = idents::Hider::default();
        let unicode = cpyviz_model::unicode::data(version);
        let Some(hidden) = hider.hide(&text, &sc.unicode_idents, &text, unicode) else {
            return (sc, Err(ParseFailure::Internal));
        };
        // Newer syntax is overwritten by placeholders the converter reads from `text`.
        let attempt = |regions: &[scan::Region]| -> Result<Parsed, ParseFailure> {
            let (mut ptext, placeholders) = newsyntax::placeholders(&hidden, regions);
            let mut hider = hider.clone();
            // A repeated parameter or keyword name: `ast.parse` accepts it (the symtable and
            // the compiler refuse it later), rustpython does not; it reads the repetition
            // behind a placeholder.
            let parsed = loop {
                let parsed =
                    rustpython_parser::parse(&ptext, rustpython_parser::Mode::Module, &path);
                let Some((at, len)) = parsed.as_ref().err().and_then(|e| repeated_name(e, &ptext))
                else {
                    break parsed;
                };
                if hider.hide_occurrence(&mut ptext, at, len, &text).is_none() {
                    break parsed;
                }
            };
            let suite = parsed.map_err(ParseFailure::Parse)?;
            let rustpython_parser::ast::Mod::Module(m) = &suite else {
                return Err(ParseFailure::Internal);
            };
            let body = &m.body;
            let (type_comments, ignores) = if use_type_comments {
                errors::type_comments(&text, &sc.comments)
            } else {
                (Vec::new(), Vec::new())
            };
            let comments = sc.comments.iter().map(|c| (c.start, c.end)).collect();
            let mut conv = convert::Converter::new(version, text.clone(), comments, type_comments);
            conv.lazy_imports = lazy.clone();
            conv.path = path.clone();
            conv.hider = hider;
            conv.regions = placeholders.into_iter().collect();
            let mut t = conv.module(body).map_err(ParseFailure::Convert)?;
            conv.hider.restore(&mut t);
            if let Some(gs) = conv.bare_generator {
                return Err(ParseFailure::Invalid(validate::Invalid {
                    msg: "Generator expression must be parenthesized".into(),
                    span: Some(gs),
                }));
            }
            if let Some(bad) = validate::validate(&t) {
                return Err(ParseFailure::Invalid(bad));
            }
            if let Some(tc) = conv.type_comments.iter().find(|c| !c.claimed) {
                return Err(ParseFailure::StrayTypeComment(tc.value));
            }
            t.fields[Module::TYPE_IGNORES] = AstValue::List(ignores);
            if dump::format_depth(&t) >= dump::RECURSION_LIMIT_DEPTH {
                return Err(ParseFailure::Convert(convert::ConvertError::TooDeep(
                    Default::default(),
                )));
            }
            Ok((t, conv.warnings))
        };
        let mut tree = attempt(&sc.regions);
        // A broken f-string rustpython also knows: its error message, as before.
        let retry = matches!(
            tree,
            Err(ParseFailure::Parse(_))
                | Err(ParseFailure::Convert(
                    convert::ConvertError::Unsupported { .. }
                ))
        );
        if retry && sc.regions.iter().any(|r| r.optional) {
            let strict: Vec<scan::Region> =
                sc.regions.iter().filter(|r| !r.optional).copied().collect();
            if let Err(e @ ParseFailure::Parse(_)) = attempt(&strict) {
                tree = Err(e);
            }
        }
        (sc, tree)
    });
    let Some((sc, result)) = result else {
        let e = PyError::new(
            PyErrorKind::Unsupported,
            "the built-in parser failed on this file; try --engine cpython",
            src.path.clone(),
        );
        return (Err(e), Vec::new());
    };
    if let Some(limit) = sc.limit {
        return (Err(errors::limit_error(src, limit)), Vec::new());
    }
    let (result, warnings) = match result {
        Ok((tree, escapes)) => {
            // The tokenizer warns as it reads a number, the parser as it decodes a literal
            // (an f-string's text once its fields are read): `key` orders them so.
            let mut all: Vec<(usize, usize, String)> = sc
                .warnings
                .iter()
                .map(|(at, msg)| (*at, *at, msg.clone()))
                .chain(escapes)
                .collect();
            all.sort_by_key(|w| w.0);
            let warnings = all
                .into_iter()
                .map(|(_, at, msg)| SyntaxWarning {
                    lineno: src.line_col(at.min(src.text.len())).0,
                    msg,
                })
                .collect();
            (Ok(tree), warnings)
        }
        Err(e) => (Err(e), Vec::new()),
    };
    let result = match result {
        // Syntax the built-in parser predates but accepted anyway: its tree cannot be trusted.
        Ok(_) if !sc.unsupported.is_empty() => {
            let u = &sc.unsupported[0];
            let (line, _) = src.line_col(u.offset.min(src.text.len()));
            Err(PyError::new(
                PyErrorKind::Unsupported,
                format!(
                    "line {line}: {} is beyond the built-in parser; try --engine cpython",
                    u.what
                ),
                src.path.clone(),
            ))
        }
        Ok(tree) => Ok(tree),
        Err(ParseFailure::Parse(e)) => Err(errors::from_parse_error(src, version, &sc, &e)),
        Err(ParseFailure::StrayTypeComment((a, b))) => Err(errors::invalid_syntax_at(src, a, b)),
        Err(ParseFailure::Invalid(bad)) => Err(errors::invalid_target(src, &sc, bad)),
        Err(ParseFailure::Convert(convert::ConvertError::Unsupported { offset, what })) => {
            // A string literal that CPython fails to decode is an error, not beyond us.
            let decode = what
                .contains("string")
                .then(|| errors::literal_error(src, version, usize::MAX))
                .flatten();
            Err(decode.unwrap_or_else(|| {
                let (line, _) = src.line_col(offset.min(src.text.len()));
                PyError::new(
                    PyErrorKind::Unsupported,
                    format!(
                        "line {line}: {what} is beyond the built-in parser; try --engine cpython"
                    ),
                    src.path.clone(),
                )
            }))
        }
        Err(ParseFailure::Convert(convert::ConvertError::Invalid(bad))) => {
            Err(errors::invalid_target(src, &sc, bad))
        }
        Err(ParseFailure::Convert(convert::ConvertError::TooDeep(span))) => {
            let _ = span;
            Err(PyError::new(
                PyErrorKind::Unsupported,
                "the tree nests too deeply: CPython's `ast.dump` raises RecursionError \
                 (maximum recursion depth exceeded) or its parser runs out of stack here; \
                 try --engine cpython",
                src.path.clone(),
            ))
        }
        Err(ParseFailure::Internal) => Err(PyError::new(
            PyErrorKind::Unsupported,
            "the built-in parser failed on this file; try --engine cpython",
            src.path.clone(),
        )),
    };
    // Replacement fields the f-string reader takes but CPython rejects (`f"{}"`, a bare
    // generator).
    let result = match result {
        Ok(tree) if sc.fstrings => errors::field_error(src, version).map_or(Ok(tree), Err),
        e => e,
    };
    (result, warnings)
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
pub fn render_decode_error(path: &str, err: &cpyviz_model::source::DecodeError) -> String {
    use cpyviz_model::source::DecodeError::*;
    match err {
        NullBytes { .. } => "SyntaxError: source code string cannot contain null bytes\n".to_string(),
        NonUtf8 {
            line,
            byte,
            text,
            col,
        } => PyError::new(
            PyErrorKind::SyntaxError,
            format!(
                "Non-UTF-8 code starting with '\\x{byte:02x}' on line {line}, but no encoding declared; see https://peps.python.org/pep-0263/ for details"
            ),
            path,
        )
        .at(*line, col + 1, Some((*line, col + 2)), text.clone())
        .render(),
        UnknownEncoding { name } => format!("SyntaxError: unknown encoding: {name}\n"),
        BomMismatch { name, line, text } => {
            let mut e = PyError::new(
                PyErrorKind::SyntaxError,
                format!("encoding problem: {name} with BOM"),
                path,
            );
            e.lineno = Some(*line);
            e.text = Some(text.clone());
            e.render()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(src: &str, version: PyVersion, expected: &str) {
        let source = Source::from_text("t.py", src);
        let tree = parse(&source, version).unwrap_or_else(|e| panic!("{}", e.render()));
        assert_eq!(dump(&tree, version), expected);
    }

    fn check_err(src: &str, expected: &str) {
        for version in PyVersion::ALL {
            let source = Source::from_text("t.py", src);
            let err = parse(&source, version).expect_err("should fail");
            assert_eq!(err.render(), expected);
        }
    }

    fn warnings(src: &str) -> Vec<String> {
        let source = Source::from_text("t.py", src);
        let (tree, warnings) = parse_with_warnings(&source, PyVersion::V3_14);
        tree.unwrap_or_else(|e| panic!("{}", e.render()));
        warnings
            .iter()
            .map(|w| format!("{}: {}", w.lineno, w.msg))
            .collect()
    }

    #[test]
    fn a_number_glued_to_a_keyword_warns() {
        // Checked against python3.14 -m ast.
        assert_eq!(
            warnings("x = [1if a else 2, 0x1for x in y, 0o7or b, 1jif c else 0, 1.5e3in d]\n"),
            [
                "1: invalid decimal literal",
                "1: invalid hexadecimal literal",
                "1: invalid octal literal",
                "1: invalid imaginary literal",
                "1: invalid decimal literal",
            ]
        );
        assert_eq!(
            warnings("x = 1 if a else 2\ny = 1e5\n"),
            Vec::<String>::new()
        );
    }

    #[test]
    fn escape_warnings_come_in_cpythons_order() {
        // An f-string's own text is decoded after the strings in its fields.
        let w = warnings("x = f\"\\w{\"\\d\"}\\y\" \"\\q\"\nb = rb\"\\q\"\n");
        let escapes: Vec<&str> = w.iter().map(|m| &m[4..6]).collect();
        assert_eq!(escapes, [r"\d", r"\w", r"\y", r"\q"], "{w:?}");
    }

    #[test]
    fn misplaced_unpacking_gets_cpythons_error_in_each_version() {
        // (source, 3.14's error, 3.15's error) as `python3.V -m ast` renders them (carets
        // after the 4-space indent of the line).
        let cases = [
            (
                "[**d for d in y]\n",
                " ^^ invalid syntax",
                " ^^^ cannot use dict unpacking in list comprehension",
            ),
            (
                "f(**d for d in y)\n",
                "      ^^^ invalid syntax",
                "  ^^^ cannot use dict unpacking in generator expression",
            ),
            (
                "{*x: 1 for x in y}\n",
                "   ^ invalid syntax",
                " ^^ cannot use a starred expression in a dictionary key",
            ),
            (
                "f(a, **d for d in y)\n",
                "         ^^^ invalid syntax",
                "         ^^^ invalid syntax",
            ),
            (
                "f(a,\n *x for x in y)\n",
                "^^^^^^^^^^^^^ Generator expression must be parenthesized",
                "^^^^^^^^^^^^^ Generator expression must be parenthesized",
            ),
        ];
        for (src, e14, e15) in cases {
            for (version, expected) in [(PyVersion::V3_14, e14), (PyVersion::V3_15, e15)] {
                let source = Source::from_text("t.py", src);
                let err = parse(&source, version).expect_err(src);
                let text = err.render();
                let lines: Vec<&str> = text.lines().collect();
                let caret = lines[lines.len() - 2].strip_prefix("    ").unwrap_or("");
                let msg = lines[lines.len() - 1].trim_start_matches("SyntaxError: ");
                assert_eq!(format!("{caret} {msg}"), expected, "{version:?} {src}");
            }
        }
    }

    #[test]
    fn unsupported_constructs_are_reported_not_misparsed() {
        for src in ["match x:\n    case f'{y}':\n        pass\n"] {
            let source = Source::from_text("t.py", src);
            for version in PyVersion::ALL {
                let err = parse(&source, version).expect_err(src);
                assert_eq!(err.kind, PyErrorKind::Unsupported, "{src}");
                assert!(err.msg.contains("--engine cpython"));
            }
        }
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let deep_add = format!("x = {}\n", vec!["1"; 100_000].join("+"));
        let deep_neg = format!("x = {}1\n", "-".repeat(100_000));
        let deep_fstring = format!("f'{}'\n", "{a:".repeat(50_000));
        // CPython runs out of stack on the first two (RecursionError, MemoryError: "Parser
        // stack overflowed"), which the built-in parser reports as too deep for it.
        for src in [deep_add, deep_neg] {
            let source = Source::from_text("t.py", src);
            for version in PyVersion::ALL {
                let err = parse(&source, version).unwrap_err();
                assert_eq!(err.kind, PyErrorKind::Unsupported);
                assert!(
                    err.msg.starts_with("the tree nests too deeply"),
                    "{}",
                    err.msg
                );
            }
        }
        // The third is CPython's tokenizer error, at the third format spec's `:`.
        let source = Source::from_text("t.py", deep_fstring);
        for version in PyVersion::ALL {
            let err = parse(&source, version).unwrap_err();
            assert_eq!(err.kind, PyErrorKind::SyntaxError);
            assert_eq!(err.msg, "f-string: expressions nested too deeply");
            assert_eq!(
                (err.lineno, err.offset, err.end_offset),
                (Some(1), Some(11), Some(11))
            );
        }
    }

    #[test]
    fn ast_fstring_merge() {
        check(
            "y = f\"a{x!r:>{w}}b\" \"c\"\n",
            PyVersion::V3_14,
            r#"Module(
   body=[
      Assign(
         targets=[
            Name(id='y', ctx=Store())],
         value=JoinedStr(
            values=[
               Constant(value='a'),
               FormattedValue(
                  value=Name(id='x', ctx=Load()),
                  conversion=114,
                  format_spec=JoinedStr(
                     values=[
                        Constant(value='>'),
                        FormattedValue(
                           value=Name(id='w', ctx=Load()),
                           conversion=-1)])),
               Constant(value='bc')]))])
"#,
        );
    }

    #[test]
    fn ast_fstring_merge_315() {
        check(
            "y = f\"a{x!r:>{w}}b\" \"c\"\n",
            PyVersion::V3_15,
            r#"Module(
   body=[
      Assign(
         targets=[
            Name(id='y', ctx=Store())],
         value=JoinedStr(
            values=[
               Constant(value='a'),
               FormattedValue(
                  value=Name(id='x'),
                  conversion=114,
                  format_spec=JoinedStr(
                     values=[
                        Constant(value='>'),
                        FormattedValue(
                           value=Name(id='w'),
                           conversion=-1)])),
               Constant(value='bc')]))])
"#,
        );
    }

    #[test]
    fn ast_fstring_debug() {
        check(
            "f\"{x = }\" f\"{y=:>4}\"\n",
            PyVersion::V3_14,
            r#"Module(
   body=[
      Expr(
         value=JoinedStr(
            values=[
               Constant(value='x = '),
               FormattedValue(
                  value=Name(id='x', ctx=Load()),
                  conversion=114),
               Constant(value='y='),
               FormattedValue(
                  value=Name(id='y', ctx=Load()),
                  conversion=-1,
                  format_spec=JoinedStr(
                     values=[
                        Constant(value='>4')]))]))])
"#,
        );
    }

    #[test]
    fn ast_constants() {
        check("a = (-1, 1.5, 1e16, 1e-05, 0.0001, 1j, 1.5j, 0j, 10**100, 123456789012345678901234567890, 1e999)\nb = (True, False, None, ..., b\"it's\\x00\", u\"u\")\n", PyVersion::V3_14, r#"Module(
   body=[
      Assign(
         targets=[
            Name(id='a', ctx=Store())],
         value=Tuple(
            elts=[
               UnaryOp(
                  op=USub(),
                  operand=Constant(value=1)),
               Constant(value=1.5),
               Constant(value=1e+16),
               Constant(value=1e-05),
               Constant(value=0.0001),
               Constant(value=1j),
               Constant(value=1.5j),
               Constant(value=0j),
               BinOp(
                  left=Constant(value=10),
                  op=Pow(),
                  right=Constant(value=100)),
               Constant(value=123456789012345678901234567890),
               Constant(value=inf)],
            ctx=Load())),
      Assign(
         targets=[
            Name(id='b', ctx=Store())],
         value=Tuple(
            elts=[
               Constant(value=True),
               Constant(value=False),
               Constant(value=None),
               Constant(value=Ellipsis),
               Constant(value=b"it's\x00"),
               Constant(value='u', kind='u')],
            ctx=Load()))])
"#);
    }

    #[test]
    fn ast_imports_315() {
        check(
            "import os\nfrom ..a import b as c\n",
            PyVersion::V3_15,
            r#"Module(
   body=[
      Import(
         names=[
            alias(name='os')],
         is_lazy=0),
      ImportFrom(
         module='a',
         names=[
            alias(name='b', asname='c')],
         level=2,
         is_lazy=0)])
"#,
        );
    }

    #[test]
    fn ast_function() {
        check("async def f(a, /, b=1, *args, c, d=2, **kw) -> int:\n    \"\"\"doc\"\"\"\n    return [x async for x in y if x]\n", PyVersion::V3_14, r#"Module(
   body=[
      AsyncFunctionDef(
         name='f',
         args=arguments(
            posonlyargs=[
               arg(arg='a')],
            args=[
               arg(arg='b')],
            vararg=arg(arg='args'),
            kwonlyargs=[
               arg(arg='c'),
               arg(arg='d')],
            kw_defaults=[
               None,
               Constant(value=2)],
            kwarg=arg(arg='kw'),
            defaults=[
               Constant(value=1)]),
         body=[
            Expr(
               value=Constant(value='doc')),
            Return(
               value=ListComp(
                  elt=Name(id='x', ctx=Load()),
                  generators=[
                     comprehension(
                        target=Name(id='x', ctx=Store()),
                        iter=Name(id='y', ctx=Load()),
                        ifs=[
                           Name(id='x', ctx=Load())],
                        is_async=1)]))],
         returns=Name(id='int', ctx=Load()))])
"#);
    }

    #[test]
    fn ast_lambda_dict_set() {
        check(
            "f = lambda *, a=1: {**a, 1: {2}}\n",
            PyVersion::V3_15,
            r#"Module(
   body=[
      Assign(
         targets=[
            Name(id='f', ctx=Store())],
         value=Lambda(
            args=arguments(
               kwonlyargs=[
                  arg(arg='a')],
               kw_defaults=[
                  Constant(value=1)]),
            body=Dict(
               keys=[
                  None,
                  Constant(value=1)],
               values=[
                  Name(id='a'),
                  Set(
                     elts=[
                        Constant(value=2)])])))])
"#,
        );
    }

    #[test]
    fn ast_match() {
        check("match p:\n    case [1, *r] | {\"k\": v, **kw} if v:\n        pass\n    case Point(x=0) as pt:\n        pass\n    case None:\n        pass\n", PyVersion::V3_14, r#"Module(
   body=[
      Match(
         subject=Name(id='p', ctx=Load()),
         cases=[
            match_case(
               pattern=MatchOr(
                  patterns=[
                     MatchSequence(
                        patterns=[
                           MatchValue(
                              value=Constant(value=1)),
                           MatchStar(name='r')]),
                     MatchMapping(
                        keys=[
                           Constant(value='k')],
                        patterns=[
                           MatchAs(name='v')],
                        rest='kw')]),
               guard=Name(id='v', ctx=Load()),
               body=[
                  Pass()]),
            match_case(
               pattern=MatchAs(
                  pattern=MatchClass(
                     cls=Name(id='Point', ctx=Load()),
                     kwd_attrs=[
                        'x'],
                     kwd_patterns=[
                        MatchValue(
                           value=Constant(value=0))]),
                  name='pt'),
               body=[
                  Pass()]),
            match_case(
               pattern=MatchSingleton(value=None),
               body=[
                  Pass()])])])
"#);
    }

    #[test]
    fn ast_try_star_with() {
        check(
            "try:\n    pass\nexcept* E as e:\n    pass\nwith a as b, c:\n    pass\n",
            PyVersion::V3_15,
            r#"Module(
   body=[
      TryStar(
         body=[
            Pass()],
         handlers=[
            ExceptHandler(
               type=Name(id='E'),
               name='e',
               body=[
                  Pass()])]),
      With(
         items=[
            withitem(
               context_expr=Name(id='a'),
               optional_vars=Name(id='b', ctx=Store())),
            withitem(
               context_expr=Name(id='c'))],
         body=[
            Pass()])])
"#,
        );
    }

    #[test]
    fn ast_annassign() {
        check(
            "x: int = 1\n(y): int\na.b: str\n",
            PyVersion::V3_14,
            r#"Module(
   body=[
      AnnAssign(
         target=Name(id='x', ctx=Store()),
         annotation=Name(id='int', ctx=Load()),
         value=Constant(value=1),
         simple=1),
      AnnAssign(
         target=Name(id='y', ctx=Store()),
         annotation=Name(id='int', ctx=Load()),
         simple=0),
      AnnAssign(
         target=Attribute(
            value=Name(id='a', ctx=Load()),
            attr='b',
            ctx=Store()),
         annotation=Name(id='str', ctx=Load()),
         simple=0)])
"#,
        );
    }

    #[test]
    fn ast_type_comments() {
        check(
            "x = []  # type: list[int]\n# type: ignore[misc]\n",
            PyVersion::V3_14,
            r#"Module(
   body=[
      Assign(
         targets=[
            Name(id='x', ctx=Store())],
         value=List(ctx=Load()),
         type_comment='list[int]')],
   type_ignores=[
      TypeIgnore(lineno=2, tag='[misc]\n')])
"#,
        );
    }

    #[test]
    fn ast_empty() {
        check(
            "",
            PyVersion::V3_14,
            r#"Module()
"#,
        );
    }

    #[test]
    fn ast_only_comments() {
        check(
            "# a\n# b\n",
            PyVersion::V3_15,
            r#"Module()
"#,
        );
    }

    #[test]
    fn ast_star_index() {
        check(
            "a[*b]\n",
            PyVersion::V3_14,
            r#"Module(
   body=[
      Expr(
         value=Subscript(
            value=Name(id='a', ctx=Load()),
            slice=Tuple(
               elts=[
                  Starred(
                     value=Name(id='b', ctx=Load()),
                     ctx=Load())],
               ctx=Load()),
            ctx=Load()))])
"#,
        );
    }

    #[test]
    fn ast_generics() {
        check(
            "def f[T: int, *Ts, **P](x: T) -> T: ...\ntype A[T] = list[T]\n",
            PyVersion::V3_14,
            r#"Module(
   body=[
      FunctionDef(
         name='f',
         args=arguments(
            args=[
               arg(
                  arg='x',
                  annotation=Name(id='T', ctx=Load()))]),
         body=[
            Expr(
               value=Constant(value=Ellipsis))],
         returns=Name(id='T', ctx=Load()),
         type_params=[
            TypeVar(
               name='T',
               bound=Name(id='int', ctx=Load())),
            TypeVarTuple(name='Ts'),
            ParamSpec(name='P')]),
      TypeAlias(
         name=Name(id='A', ctx=Store()),
         type_params=[
            TypeVar(name='T')],
         value=Subscript(
            value=Name(id='list', ctx=Load()),
            slice=Name(id='T', ctx=Load()),
            ctx=Load()))])
"#,
        );
    }

    #[test]
    fn error_never_closed() {
        check_err(
            "x = (1, 2\ny = 3\n",
            r#"  File "t.py", line 1
    x = (1, 2
        ^
SyntaxError: '(' was never closed
"#,
        );
    }

    #[test]
    fn error_unmatched() {
        check_err(
            "x = 1)\n",
            r#"  File "t.py", line 1
    x = 1)
         ^
SyntaxError: unmatched ')'
"#,
        );
    }

    #[test]
    fn error_mismatch() {
        check_err(
            "x = (1,\n2]\n",
            r#"  File "t.py", line 2
    2]
     ^
SyntaxError: closing parenthesis ']' does not match opening parenthesis '(' on line 1
"#,
        );
    }

    #[test]
    fn error_expected_colon() {
        check_err(
            "def f()\n    pass\n",
            r#"  File "t.py", line 1
    def f()
           ^
SyntaxError: expected ':'
"#,
        );
    }

    #[test]
    fn error_unterminated() {
        check_err(
            "x = \"abc\n",
            r#"  File "t.py", line 1
    x = "abc
        ^
SyntaxError: unterminated string literal (detected at line 1)
"#,
        );
    }

    #[test]
    fn error_unterminated_triple() {
        check_err(
            "x = \"\"\"abc\n\ny\n",
            r#"  File "t.py", line 1
    x = """abc
        ^
SyntaxError: unterminated triple-quoted string literal (detected at line 3)
"#,
        );
    }

    #[test]
    fn error_forgot_comma() {
        check_err(
            "print(\"a\" \"b\" x)\n",
            r#"  File "t.py", line 1
    print("a" "b" x)
          ^^^^^^^^^
SyntaxError: invalid syntax. Perhaps you forgot a comma?
"#,
        );
    }

    #[test]
    fn error_indented_block() {
        check_err(
            "if x:\npass\n",
            r#"  File "t.py", line 2
    pass
    ^^^^
IndentationError: expected an indented block after 'if' statement on line 1
"#,
        );
    }

    #[test]
    fn error_indented_block_eof() {
        check_err(
            "class A:\n",
            r#"  File "t.py", line 1
    class A:
            ^
IndentationError: expected an indented block after class definition on line 1
"#,
        );
    }

    #[test]
    fn error_unexpected_indent() {
        check_err(
            "x = 1\n    y = 2\n",
            r#"  File "t.py", line 2
    y = 2
IndentationError: unexpected indent
"#,
        );
    }

    #[test]
    fn error_unindent() {
        check_err(
            "if x:\n        a\n    b\n",
            r#"  File "t.py", line 3
    b
     ^
IndentationError: unindent does not match any outer indentation level
"#,
        );
    }

    #[test]
    fn error_invalid_character() {
        check_err(
            "x = 1 € 2\n",
            r#"  File "t.py", line 1
    x = 1 € 2
          ^
SyntaxError: invalid character '€' (U+20AC)
"#,
        );
    }

    #[test]
    fn error_assign_literal() {
        check_err(
            "1 = x\n",
            r#"  File "t.py", line 1
    1 = x
    ^
SyntaxError: cannot assign to literal here. Maybe you meant '==' instead of '='?
"#,
        );
    }

    #[test]
    fn error_assign_call() {
        check_err(
            "f() = 1\n",
            r#"  File "t.py", line 1
    f() = 1
    ^^^
SyntaxError: cannot assign to function call here. Maybe you meant '==' instead of '='?
"#,
        );
    }

    #[test]
    fn error_augassign_tuple() {
        check_err(
            "a, b += 1\n",
            r#"  File "t.py", line 1
    a, b += 1
    ^^^^
SyntaxError: 'tuple' is an illegal expression for augmented assignment
"#,
        );
    }

    #[test]
    fn error_delete_call() {
        check_err(
            "del f()\n",
            r#"  File "t.py", line 1
    del f()
        ^^^
SyntaxError: cannot delete function call
"#,
        );
    }

    #[test]
    fn error_print_statement() {
        check_err(
            "print \"hello\"\n",
            r#"  File "t.py", line 1
    print "hello"
    ^^^^^^^^^^^^^
SyntaxError: Missing parentheses in call to 'print'. Did you mean print(...)?
"#,
        );
    }

    #[test]
    fn error_missing_except() {
        check_err(
            "try:\n  pass\nx = 1\n",
            r#"  File "t.py", line 3
    x = 1
    ^
SyntaxError: expected 'except' or 'finally' block
"#,
        );
    }

    #[test]
    fn error_walrus_eq() {
        check_err(
            "if x = 1:\n  pass\n",
            r#"  File "t.py", line 1
    if x = 1:
       ^^^^^
SyntaxError: invalid syntax. Maybe you meant '==' or ':=' instead of '='?
"#,
        );
    }

    #[test]
    fn error_invalid_decimal() {
        check_err(
            "x = 12a\n",
            r#"  File "t.py", line 1
    x = 12a
         ^
SyntaxError: invalid decimal literal
"#,
        );
    }

    #[test]
    fn error_leading_zeros() {
        check_err(
            "x = 012\n",
            r#"  File "t.py", line 1
    x = 012
        ^
SyntaxError: leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers
"#,
        );
    }

    #[test]
    fn error_too_many_parens() {
        check_err("x = (((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))\n", r#"  File "t.py", line 1
    x = (((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))
                                                                                                                                                                                                                ^
SyntaxError: too many nested parentheses
"#);
    }

    #[test]
    fn error_too_many_indents() {
        check_err("if x:\n if x:\n  if x:\n   if x:\n    if x:\n     if x:\n      if x:\n       if x:\n        if x:\n         if x:\n          if x:\n           if x:\n            if x:\n             if x:\n              if x:\n               if x:\n                if x:\n                 if x:\n                  if x:\n                   if x:\n                    if x:\n                     if x:\n                      if x:\n                       if x:\n                        if x:\n                         if x:\n                          if x:\n                           if x:\n                            if x:\n                             if x:\n                              if x:\n                               if x:\n                                if x:\n                                 if x:\n                                  if x:\n                                   if x:\n                                    if x:\n                                     if x:\n                                      if x:\n                                       if x:\n                                        if x:\n                                         if x:\n                                          if x:\n                                           if x:\n                                            if x:\n                                             if x:\n                                              if x:\n                                               if x:\n                                                if x:\n                                                 if x:\n                                                  if x:\n                                                   if x:\n                                                    if x:\n                                                     if x:\n                                                      if x:\n                                                       if x:\n                                                        if x:\n                                                         if x:\n                                                          if x:\n                                                           if x:\n                                                            if x:\n                                                             if x:\n                                                              if x:\n                                                               if x:\n                                                                if x:\n                                                                 if x:\n                                                                  if x:\n                                                                   if x:\n                                                                    if x:\n                                                                     if x:\n                                                                      if x:\n                                                                       if x:\n                                                                        if x:\n                                                                         if x:\n                                                                          if x:\n                                                                           if x:\n                                                                            if x:\n                                                                             if x:\n                                                                              if x:\n                                                                               if x:\n                                                                                if x:\n                                                                                 if x:\n                                                                                  if x:\n                                                                                   if x:\n                                                                                    if x:\n                                                                                     if x:\n                                                                                      if x:\n                                                                                       if x:\n                                                                                        if x:\n                                                                                         if x:\n                                                                                          if x:\n                                                                                           if x:\n                                                                                            if x:\n                                                                                             if x:\n                                                                                              if x:\n                                                                                               if x:\n                                                                                                if x:\n                                                                                                 if x:\n                                                                                                  if x:\n                                                                                                   if x:\n                                                                                                    pass\n", r#"  File "t.py", line 101
    pass
IndentationError: too many levels of indentation
"#);
    }

    #[test]
    fn error_tab_error() {
        check_err(
            "if x:\n\tif y:\n        pass\n",
            r#"  File "t.py", line 3
    pass
TabError: inconsistent use of tabs and spaces in indentation
"#,
        );
    }

    #[test]
    fn error_fstring_single_brace() {
        check_err(
            "x = f\"}\"\n",
            r#"  File "t.py", line 1
    x = f"}"
          ^
SyntaxError: f-string: single '}' is not allowed
"#,
        );
    }

    #[test]
    fn error_fstring_conversion() {
        check_err(
            "x = f\"{x!z}\"\n",
            r#"  File "t.py", line 1
    x = f"{x!z}"
             ^
SyntaxError: f-string: invalid conversion character 'z': expected 's', 'r', or 'a'
"#,
        );
    }

    #[test]
    fn error_stray_type_comment() {
        check_err(
            "x=1\n# type: int\n",
            r#"  File "t.py", line 2
    # type: int
            ^^^
SyntaxError: invalid syntax
"#,
        );
    }
    #[test]
    fn error_bare_generator() {
        check_err(
            "f(x for x in y, 1)\n",
            r#"  File "t.py", line 1
    f(x for x in y, 1)
      ^^^^^^^^^^^^
SyntaxError: Generator expression must be parenthesized
"#,
        );
    }

    #[test]
    fn error_expected_else() {
        check_err(
            "x = 1 if y\n",
            r#"  File "t.py", line 1
    x = 1 if y
        ^^^^^^
SyntaxError: expected 'else' after 'if' expression
"#,
        );
    }

    #[test]
    fn error_else_if() {
        check_err(
            "if x:\n    pass\nelse if y:\n    pass\n",
            r#"  File "t.py", line 3
    else if y:
         ^^
SyntaxError: expected ':'
"#,
        );
    }

    #[test]
    fn error_import_alone() {
        check_err(
            "import\n",
            r#"  File "t.py", line 1
    import
          ^
SyntaxError: Expected one or more names after 'import'
"#,
        );
    }

    #[test]
    fn error_dict_key_colon() {
        check_err(
            "x = {1: 2, 3}\n",
            r#"  File "t.py", line 1
    x = {1: 2, 3}
               ^
SyntaxError: ':' expected after dictionary key
"#,
        );
    }

    #[test]
    fn error_invalid_binary_digit() {
        check_err(
            "x = 0b2\n",
            r#"  File "t.py", line 1
    x = 0b2
          ^
SyntaxError: invalid digit '2' in binary literal
"#,
        );
    }

    #[test]
    fn error_unterminated_fstring_field() {
        check_err(
            "x = f\"{x\"\n",
            r#"  File "t.py", line 1
    x = f"{x"
            ^
SyntaxError: f-string: expecting '}'
"#,
        );
    }

    #[test]
    fn error_assign_comparison() {
        check_err(
            "x == 1 = y\n",
            r#"  File "t.py", line 1
    x == 1 = y
    ^^^^^^
SyntaxError: cannot assign to comparison
"#,
        );
    }

    #[test]
    fn ast_lazy_import_315() {
        check(
            "lazy import os\nlazy from . import a\n",
            PyVersion::V3_15,
            r#"Module(
   body=[
      Import(
         names=[
            alias(name='os')],
         is_lazy=1),
      ImportFrom(
         names=[
            alias(name='a')],
         level=1,
         is_lazy=1)])
"#,
        );
    }
}

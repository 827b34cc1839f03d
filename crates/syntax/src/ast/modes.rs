//! `ast.parse`'s other modes: `eval` (an `Expression`), `single` (an `Interactive`) and
//! `func_type` (a `FunctionType`, the grammar of a `# type: (int) -> str` comment).
//!
//! Each is read through the module parser: the text (or its first logical line) is parsed as a
//! module, then the statements are checked against the mode's grammar and reshaped. Tokens
//! locate the errors CPython's grammar gives where the module grammar would accept the text.

use super::{make, AstNode, AstValue, ExprStmt, Module, NodeKind, Stmt, Tuple};
use crate::tokens::{self, Token, TokenKind};
use cpyviz_model::error::{PyError, PyErrorKind};
use cpyviz_model::source::Source;
use cpyviz_model::version::PyVersion;

/// Parses a module; the caller's parser (so the modes share every rule of the exec mode).
pub(super) type ModuleParser<'a> = &'a dyn Fn(&Source) -> Result<AstNode, PyError>;

/// Tokens that are not part of the grammar's statements (comments, blank lines, the encoding).
fn trivia(t: &Token) -> bool {
    matches!(
        t.kind,
        TokenKind::ENCODING | TokenKind::COMMENT | TokenKind::NL
    )
}

/// The tokens of `src`, or `None` when the tokenizer fails (the module parser then reports
/// the error in CPython's words).
fn significant(src: &Source, version: PyVersion) -> Option<Vec<Token>> {
    let toks = tokens::tokenize(src, version).ok()?;
    Some(toks.into_iter().filter(|t| !trivia(t)).collect())
}

fn error_at(src: &Source, msg: &str, start: usize, end: usize) -> PyError {
    let (line, col) = src.line_col(start.min(src.text.len()));
    let (eline, ecol) = src.line_col(end.min(src.text.len()).max(start));
    let text = src.line_text(line);
    let chars = |c: usize| {
        text.get(..c.min(text.len()))
            .map_or(c, |t| t.chars().count())
    };
    let end_chars = if eline == line { chars(ecol) } else { ecol };
    PyError::new(PyErrorKind::SyntaxError, msg, src.path.clone()).at(
        line,
        chars(col) + 1,
        Some((eline, end_chars + 1)),
        text.to_string(),
    )
}

fn invalid_at(src: &Source, t: &Token) -> PyError {
    error_at(
        src,
        "invalid syntax",
        t.span.start as usize,
        t.span.end as usize,
    )
}

/// `invalid syntax` for a text with no statement at all: on the last line, without a caret.
fn nothing_there(src: &Source) -> PyError {
    let text = src.text.trim_end_matches(['\n', '\r']);
    if src.text.is_empty() {
        return PyError::new(PyErrorKind::SyntaxError, "invalid syntax", src.path.clone()).at(
            0,
            0,
            Some((0, 0)),
            "",
        );
    }
    let (line, _) = src.line_col(text.len());
    PyError::new(PyErrorKind::SyntaxError, "invalid syntax", src.path.clone()).at(
        line,
        0,
        Some((line, 0)),
        src.line_text(line).to_string(),
    )
}

/// The tokens of `src`; when the tokenizer fails, the module parser's error (CPython's words).
fn significant_or_error(
    src: &Source,
    version: PyVersion,
    parse: ModuleParser,
) -> Result<Vec<Token>, PyError> {
    match significant(src, version) {
        Some(toks) => Ok(toks),
        None => parse(src).and_then(|_| Err(nothing_there(src))),
    }
}

/// Whether a token ends the text (what may follow a complete `eval` or `func_type` input).
fn is_end(t: &Token) -> bool {
    matches!(
        t.kind,
        TokenKind::NEWLINE | TokenKind::ENDMARKER | TokenKind::DEDENT
    )
}

/// The first token at or after byte `at` that the grammar reads.
fn token_from(toks: &[Token], at: usize) -> Option<&Token> {
    toks.iter()
        .find(|t| t.span.start as usize >= at && t.kind != TokenKind::DEDENT)
}

/// The statements of a module the module parser returned.
fn body(module: &AstNode) -> Vec<AstNode> {
    Module(module).body().iter().cloned().collect()
}

/// The first logical line of `src`: its text up to and including the first NEWLINE token, and
/// the tokens after it that the grammar reads.
fn first_line<'t>(src: &Source, toks: &'t [Token]) -> Option<(Source, &'t [Token], &'t Token)> {
    let nl = toks.iter().position(|t| t.kind == TokenKind::NEWLINE)?;
    let newline = &toks[nl];
    let cut = (newline.span.end as usize).min(src.text.len());
    let mut prefix = Source::from_text(src.path.clone(), &src.text[..cut]);
    prefix.encoding = src.encoding.clone();
    Some((prefix, &toks[nl + 1..], newline))
}

/// `mode='eval'`: one expression, then nothing but line ends.
pub(super) fn eval(
    src: &Source,
    version: PyVersion,
    parse: ModuleParser,
) -> Result<AstNode, PyError> {
    let toks = significant_or_error(src, version, parse)?;
    let first = toks.first().filter(|t| !is_end(t));
    let Some(first) = first else {
        return Err(nothing_there(src));
    };
    if first.kind == TokenKind::INDENT {
        return parse(src);
    }
    let (line, rest, _) = match first_line(src, &toks) {
        Some(x) => x,
        None => return parse(src).and_then(|_| Err(nothing_there(src))),
    };
    let module = parse(&line)?;
    let stmts = body(&module);
    let Some(stmt) = stmts.first() else {
        return Err(nothing_there(src));
    };
    let value = match ExprStmt::cast(stmt) {
        Some(e) if !matches!(e.value().kind, NodeKind::Yield | NodeKind::YieldFrom) => {
            e.value().clone()
        }
        _ => return Err(statement_error(src, &toks, stmt)),
    };
    let end = value.span.map_or(0, |s| s.end as usize);
    // `*a` alone is a starred expression, which `eval`'s `expressions` does not take.
    let starred = |e: &AstNode| e.kind == NodeKind::Starred;
    if starred(&value) || Tuple::cast(&value).is_some_and(|t| t.elts().iter().any(starred)) {
        let at = token_from(&toks, value.span.map_or(0, |s| s.start as usize));
        if let Some(t) = at {
            return Err(invalid_at(src, t));
        }
    }
    if let Some(t) = token_from(&toks, end).filter(|t| !is_end(t)) {
        return Err(invalid_at(src, t));
    }
    if let Some(t) = rest.iter().find(|t| !is_end(t)) {
        if t.kind == TokenKind::INDENT {
            return parse(src).and_then(|_| Err(invalid_at(src, t)));
        }
        return Err(invalid_at(src, t));
    }
    Ok(make::expression(None, AstValue::Node(Box::new(value))))
}

/// Where CPython's `eval` grammar stops reading a statement that is not an expression: the
/// token after an assignment's first target, or the statement's first token.
fn statement_error(src: &Source, toks: &[Token], stmt: &AstNode) -> PyError {
    let target = match Stmt::cast(stmt) {
        Some(Stmt::Assign(x)) => x.targets().first(),
        Some(Stmt::AugAssign(x)) => Some(x.target()),
        Some(Stmt::AnnAssign(x)) => Some(x.target()),
        _ => None,
    };
    let at = match target.and_then(|t| t.span) {
        Some(span) => token_from(toks, span.end as usize),
        None => token_from(toks, stmt.span.map_or(0, |s| s.start as usize)),
    };
    match at {
        Some(t) => invalid_at(src, t),
        None => nothing_there(src),
    }
}

/// Compound statements: in `single` mode nothing may follow one.
const COMPOUND: &[NodeKind] = &[
    NodeKind::If,
    NodeKind::While,
    NodeKind::For,
    NodeKind::AsyncFor,
    NodeKind::With,
    NodeKind::AsyncWith,
    NodeKind::Try,
    NodeKind::TryStar,
    NodeKind::FunctionDef,
    NodeKind::AsyncFunctionDef,
    NodeKind::ClassDef,
    NodeKind::Match,
];

/// `mode='single'`: one statement (a compound one, or simple ones on one line).
pub(super) fn single(
    src: &Source,
    version: PyVersion,
    parse: ModuleParser,
) -> Result<AstNode, PyError> {
    let toks = significant_or_error(src, version, parse)?;
    let Some(first) = toks.first().filter(|t| !is_end(t)) else {
        return Err(nothing_there(src));
    };
    let compound_start = first.kind == TokenKind::AT
        || (first.kind == TokenKind::NAME
            && matches!(
                first.text.as_str(),
                "if" | "while" | "for" | "with" | "try" | "def" | "class" | "async"
            ));
    if first.kind == TokenKind::INDENT {
        return parse(src);
    }
    if !compound_start {
        if let Some((line, rest, newline)) = first_line(src, &toks) {
            // A `match` statement's first line does not parse alone: read it whole below.
            let stmts = match parse(&line) {
                Err(_) if first.text == "match" => Vec::new(),
                other => body(&other?),
            };
            if let Some(stmt) = stmts.first() {
                if COMPOUND.contains(&stmt.kind) {
                    // `match` starts a compound statement too: read it whole below.
                } else if rest.iter().any(|t| !is_end(t)) {
                    let at = newline.span.start as usize;
                    return Err(error_at(
                        src,
                        "multiple statements found while compiling a single statement",
                        at,
                        at + 1,
                    ));
                } else {
                    return Ok(interactive(stmts));
                }
            }
        }
    }
    let module = parse(src)?;
    let stmts = body(&module);
    if stmts.is_empty() {
        return Err(nothing_there(src));
    }
    if stmts.len() > 1 {
        let next = token_from(&toks, stmts[1].span.map_or(0, |s| s.start as usize));
        return Err(match next {
            Some(t) => invalid_at(src, t),
            None => nothing_there(src),
        });
    }
    Ok(interactive(stmts))
}

fn interactive(stmts: Vec<AstNode>) -> AstNode {
    let body = stmts
        .into_iter()
        .map(|s| AstValue::Node(Box::new(s)))
        .collect();
    make::interactive(None, AstValue::List(body))
}

/// `mode='func_type'`: `'(' [type_expressions] ')' '->' expression`. The argument list's `*`
/// and `**` markers are dropped, as CPython drops them.
pub(super) fn func_type(
    src: &Source,
    version: PyVersion,
    parse: ModuleParser,
) -> Result<AstNode, PyError> {
    let toks = significant_or_error(src, version, parse)?;
    let Some(open) = toks.first().filter(|t| !is_end(t)) else {
        return Err(nothing_there(src));
    };
    if open.kind != TokenKind::LPAR {
        return Err(invalid_at(src, open));
    }
    // The matching `)`, and the markers at the argument list's own level.
    let mut depth = 0usize;
    let mut close = None;
    let mut markers: Vec<&Token> = Vec::new();
    let mut starred_seen = false;
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            TokenKind::LPAR | TokenKind::LSQB | TokenKind::LBRACE => depth += 1,
            TokenKind::RPAR | TokenKind::RSQB | TokenKind::RBRACE => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            TokenKind::STAR | TokenKind::DOUBLESTAR if depth == 1 => {
                let prev = &toks[i - 1];
                if matches!(prev.kind, TokenKind::LPAR | TokenKind::COMMA) {
                    markers.push(t);
                    starred_seen = true;
                }
            }
            TokenKind::COMMA if depth == 1 && starred_seen => {
                // After `*x` only `**y` may follow; after `**y` nothing.
                let last = markers.last().map(|m| m.kind);
                let next = toks.get(i + 1).map(|n| n.kind);
                let ok = last == Some(TokenKind::STAR) && next == Some(TokenKind::DOUBLESTAR);
                if !ok && next != Some(TokenKind::RPAR) {
                    return Err(invalid_at(src, t));
                }
            }
            _ => {}
        }
    }
    let Some(close) = close else {
        return parse(src).and_then(|_| Err(nothing_there(src)));
    };
    let arrow = match toks.get(close + 1) {
        Some(t) if t.kind == TokenKind::RARROW => t,
        Some(t) if !is_end(t) => return Err(invalid_at(src, t)),
        _ => {
            let t = &toks[close];
            return Err(invalid_at(src, toks.get(close + 1).unwrap_or(t)));
        }
    };
    // `(a, *b) -> c` is read as the module `(a,  b) ,  c`: a pair of the arguments and the
    // result, every name at its own offset.
    let mut text = src.text.clone().into_bytes();
    for m in &markers {
        for b in &mut text[m.span.start as usize..m.span.end as usize] {
            *b = b' ';
        }
    }
    text[arrow.span.start as usize] = b',';
    text[arrow.span.start as usize + 1] = b' ';
    let Ok(text) = String::from_utf8(text) else {
        return Err(invalid_at(src, open));
    };
    let mut rewritten = Source::from_text(src.path.clone(), text);
    rewritten.encoding = src.encoding.clone();
    let module = parse(&rewritten)?;
    let stmts = body(&module);
    if let Some(second) = stmts.get(1) {
        let at = token_from(&toks, second.span.map_or(0, |s| s.start as usize));
        return Err(at.map_or_else(|| nothing_there(src), |t| invalid_at(src, t)));
    }
    let pair = stmts
        .first()
        .and_then(ExprStmt::cast)
        .and_then(|s| Tuple::cast(s.value()));
    let Some(pair) = pair else {
        return Err(invalid_at(src, open));
    };
    let elts: Vec<&AstNode> = pair.elts().iter().collect();
    if elts.len() != 2 {
        let after = elts
            .get(1)
            .and_then(|e| e.span)
            .map_or(0, |s| s.end as usize);
        let at = token_from(&toks, after).unwrap_or(open);
        return Err(invalid_at(src, at));
    }
    let open_at = open.span.start;
    let args = elts[0];
    let argtypes: Vec<AstValue> = match Tuple::cast(args) {
        Some(t) if args.span.map(|s| s.start) == Some(open_at) => t
            .elts()
            .iter()
            .map(|e| AstValue::Node(Box::new(e.clone())))
            .collect(),
        _ => vec![AstValue::Node(Box::new(args.clone()))],
    };
    Ok(make::function_type(
        None,
        AstValue::List(argtypes),
        AstValue::Node(Box::new(elts[1].clone())),
    ))
}

//! `ast.parse(..., feature_version=(3, N))`: syntax newer than 3.N is a SyntaxError
//! ("X only supported in Python 3.M and greater").
//!
//! CPython checks in the grammar's actions, so the first construct whose action runs wins, and
//! the error points at the last token the parser had fetched then (`p->tokens[p->fill - 1]`):
//! the token after an expression (the parser looked one ahead to see that it ended), the closing
//! token of a statement, or the token after it when the grammar then looks for an optional
//! `else`/`finally`. This module finds the checked constructs in the tree and places each on
//! the token stream of CPython's C tokenizer (no comments or blank lines; a NEWLINE begins at a
//! trailing comment; a DEDENT sits at column -1 of the next line, or just past the end of the
//! last line at the end of the file).

use super::{
    AnnAssign, Arguments, AstNode, AstValue, AsyncFor, AugAssign, BinOp, Comprehension,
    ExceptHandler, MatchCase, NodeKind, Nodes, Operator, Stmt, TryStar, TypeParam,
};
use crate::tokens::{self, Token, TokenKind};
use cpyviz_model::error::{PyError, PyErrorKind};
use cpyviz_model::source::Source;
use cpyviz_model::version::PyVersion;

/// Where a C-tokenizer token stands, as a SyntaxError reports it (1-based offsets).
#[derive(Clone, Copy, Debug)]
struct Loc {
    line: usize,
    offset: usize,
    end_line: usize,
    /// `None` for a DEDENT (CPython's end column -1).
    end_offset: Option<usize>,
}

struct CToken {
    kind: TokenKind,
    /// Byte range in the source (zero width for DEDENT).
    start: usize,
    text: String,
    loc: Loc,
}

/// The token stream CPython's parser reads, built from `tokenize`'s.
fn c_tokens(src: &Source, toks: &[Token]) -> Vec<CToken> {
    let mut out = Vec::new();
    // The last line the tokenizer read (blank and comment lines included): EOF DEDENTs sit
    // just past its end.
    let mut last_content_line = 1;
    for (i, t) in toks.iter().enumerate() {
        let start = t.span.start as usize;
        match t.kind {
            TokenKind::ENCODING => continue,
            TokenKind::NL => {
                last_content_line = t.start.0;
                continue;
            }
            TokenKind::COMMENT => {
                last_content_line = t.end.0;
                continue;
            }
            TokenKind::NEWLINE => {
                let (line, nl_col) = t.start;
                last_content_line = line;
                let mut col = nl_col;
                let mut at = start;
                if let Some(prev) = i.checked_sub(1).map(|p| &toks[p]) {
                    if prev.kind == TokenKind::COMMENT && prev.start.0 == line {
                        col = prev.start.1;
                        at = prev.span.start as usize;
                    }
                }
                out.push(CToken {
                    kind: t.kind,
                    start: at,
                    text: t.text.to_string(),
                    loc: Loc {
                        line,
                        offset: col + 1,
                        end_line: line,
                        end_offset: Some(nl_col + 2),
                    },
                });
            }
            TokenKind::DEDENT => {
                let at_eof = toks[i..]
                    .iter()
                    .find(|n| n.kind != TokenKind::DEDENT)
                    .is_none_or(|n| n.kind == TokenKind::ENDMARKER);
                let loc = if at_eof {
                    let len = src.line_text(last_content_line).chars().count();
                    Loc {
                        line: last_content_line,
                        offset: len + 1,
                        end_line: last_content_line,
                        end_offset: None,
                    }
                } else {
                    Loc {
                        line: t.start.0,
                        offset: 0,
                        end_line: t.start.0,
                        end_offset: None,
                    }
                };
                out.push(CToken {
                    kind: t.kind,
                    start,
                    text: String::new(),
                    loc,
                });
            }
            _ => {
                if t.kind != TokenKind::ENDMARKER && t.kind != TokenKind::INDENT {
                    last_content_line = t.end.0;
                }
                out.push(CToken {
                    kind: t.kind,
                    start,
                    text: t.text.to_string(),
                    loc: Loc {
                        line: t.start.0,
                        offset: t.start.1 + 1,
                        end_line: t.end.0,
                        end_offset: Some(t.end.1 + 1),
                    },
                });
            }
        }
    }
    out
}

/// One checked construct: the token the parser had fetched when its action ran, the order of
/// actions that ran on that token, and the message.
struct Violation {
    fetch: usize,
    order: usize,
    msg: String,
}

struct Finder<'a> {
    src: &'a Source,
    toks: Vec<CToken>,
    feature: i64,
    found: Vec<Violation>,
    order: usize,
}

/// The first construct of `tree` newer than Python 3.`feature`, as CPython's SyntaxError.
pub(super) fn check(
    tree: &AstNode,
    src: &Source,
    version: PyVersion,
    feature: i64,
) -> Result<(), PyError> {
    let Ok(toks) = tokens::tokenize(src, version) else {
        return Ok(());
    };
    let mut f = Finder {
        src,
        toks: c_tokens(src, &toks),
        feature,
        found: Vec::new(),
        order: 0,
    };
    // The tokenizer's check: a NUMBER with underscores, when the parser consumes it.
    if feature < 6 {
        for (i, t) in f.toks.iter().enumerate() {
            if t.kind == TokenKind::NUMBER && t.text.contains('_') {
                f.found.push(Violation {
                    fetch: i,
                    order: usize::MAX,
                    msg: "Underscores in numeric literals are only supported in Python 3.6 and \
                          greater"
                        .into(),
                });
                break;
            }
        }
    }
    f.node(tree);
    let Some(first) = f.found.iter().min_by_key(|v| (v.fetch, v.order)) else {
        return Ok(());
    };
    let t = &f.toks[first.fetch.min(f.toks.len().saturating_sub(1))];
    let mut e = PyError::new(
        PyErrorKind::SyntaxError,
        first.msg.clone(),
        src.path.clone(),
    )
    .at(
        t.loc.line,
        t.loc.offset,
        t.loc.end_offset.map(|o| (t.loc.end_line, o)),
        src.line_text(t.loc.line).to_string(),
    );
    if t.loc.end_offset.is_none() {
        e.end_lineno = Some(t.loc.end_line);
    }
    Err(e)
}

fn span_end(n: &AstNode) -> Option<usize> {
    n.span.map(|s| s.end as usize)
}

fn span_start(n: &AstNode) -> Option<usize> {
    n.span.map(|s| s.start as usize)
}

impl Finder<'_> {
    fn flag(&mut self, fetch: Option<usize>, min: i64, what: &str) {
        if self.feature >= min {
            return;
        }
        if let Some(fetch) = fetch {
            self.found.push(Violation {
                fetch,
                order: self.order,
                msg: format!("{what} only supported in Python 3.{min} and greater"),
            });
        }
    }

    /// The index of the first token that starts at or after byte `at`.
    fn token_at(&self, at: usize) -> Option<usize> {
        let i = self.toks.partition_point(|t| t.start < at);
        (i < self.toks.len()).then_some(i)
    }

    /// The index of the first token after byte `end` (what the parser peeks at to see that an
    /// expression ended there).
    fn after(&self, end: usize) -> Option<usize> {
        let i = self.toks.partition_point(|t| t.start < end);
        (i < self.toks.len()).then_some(i)
    }

    /// From token `i`, the first one that is none of `kinds`.
    fn skip(&self, mut i: usize, kinds: &[TokenKind]) -> usize {
        while i + 1 < self.toks.len() && kinds.contains(&self.toks[i].kind) {
            i += 1;
        }
        i
    }

    /// Whether a block's statements stand on their own indented lines.
    fn indented(&self, block: Nodes<'_>) -> bool {
        let Some(first) = block.first().and_then(span_start) else {
            return false;
        };
        self.token_at(first)
            .and_then(|i| i.checked_sub(1))
            .is_some_and(|i| self.toks[i].kind == TokenKind::INDENT)
    }

    /// How many DEDENTs the end of compound statement (or handler, or case) `s` consumes.
    fn closing(&self, s: &AstNode) -> usize {
        if let Some(h) = ExceptHandler::cast(s) {
            return self.closing_block(h.body());
        }
        if let Some(case) = MatchCase::cast(s) {
            return self.closing_block(case.body());
        }
        let Some(st) = Stmt::cast(s) else {
            return 0;
        };
        match st {
            Stmt::For(x) => self.closing_block(else_or(x.orelse(), x.body())),
            Stmt::AsyncFor(x) => self.closing_block(else_or(x.orelse(), x.body())),
            Stmt::While(x) => self.closing_block(else_or(x.orelse(), x.body())),
            Stmt::If(x) => {
                let orelse = x.orelse();
                let elif = orelse.get(0).filter(|o| {
                    orelse.len() == 1
                        && o.kind == NodeKind::If
                        && span_start(o).is_some_and(|at| self.src.text[at..].starts_with("elif"))
                });
                match elif {
                    Some(elif) => self.closing(elif),
                    None => self.closing_block(else_or(orelse, x.body())),
                }
            }
            Stmt::Try(x) => self.closing_try(x.body(), x.handlers(), x.orelse(), x.finalbody()),
            Stmt::TryStar(x) => self.closing_try(x.body(), x.handlers(), x.orelse(), x.finalbody()),
            Stmt::Match(x) => match x.cases().last() {
                Some(case) => 1 + self.closing(case),
                None => 1,
            },
            Stmt::FunctionDef(x) => self.closing_block(x.body()),
            Stmt::AsyncFunctionDef(x) => self.closing_block(x.body()),
            Stmt::ClassDef(x) => self.closing_block(x.body()),
            Stmt::With(x) => self.closing_block(x.body()),
            Stmt::AsyncWith(x) => self.closing_block(x.body()),
            _ => 0,
        }
    }

    /// How many DEDENTs the end of a `try` statement consumes: those of its last block, or
    /// of its last handler.
    fn closing_try(
        &self,
        body: Nodes<'_>,
        handlers: Nodes<'_>,
        orelse: Nodes<'_>,
        finalbody: Nodes<'_>,
    ) -> usize {
        if !finalbody.is_empty() {
            self.closing_block(finalbody)
        } else if !orelse.is_empty() {
            self.closing_block(orelse)
        } else {
            match handlers.last() {
                Some(h) => self.closing(h),
                None => self.closing_block(body),
            }
        }
    }

    /// How many DEDENTs the end of a statement's last block consumes: its own, if it is
    /// indented, and those of its last statement.
    fn closing_block(&self, block: Nodes<'_>) -> usize {
        let own = usize::from(self.indented(block));
        own + block.last().map_or(0, |last| self.closing(last))
    }

    /// The last token compound statement (or handler, or case) `s` consumes: the NEWLINE
    /// after its last simple statement, then its DEDENTs.
    fn last_consumed(&self, s: &AstNode) -> Option<usize> {
        let end = span_end(s)?;
        let nl = (self.token_at(end)?..self.toks.len())
            .find(|&i| self.toks[i].kind == TokenKind::NEWLINE)?;
        Some(nl + self.closing(s))
    }

    fn node(&mut self, n: &AstNode) {
        for v in &n.fields {
            self.value(v);
        }
        self.order += 1;
        self.checks(n);
    }

    fn value(&mut self, v: &AstValue) {
        match v {
            AstValue::Node(n) => self.node(n),
            AstValue::List(items) => items.iter().for_each(|i| self.value(i)),
            _ => {}
        }
    }

    /// The checks of one node, once its children's checks have run.
    fn checks(&mut self, n: &AstNode) {
        let after_end = span_end(n).and_then(|e| self.after(e));
        match n.kind {
            NodeKind::BinOp if BinOp(n).op() == Operator::MatMult => {
                self.flag(after_end, 5, "The '@' operator is")
            }
            NodeKind::AugAssign if AugAssign(n).op() == Operator::MatMult => {
                let at = span_end(AugAssign(n).target()).and_then(|e| self.after(e));
                self.flag(at, 5, "The '@' operator is")
            }
            NodeKind::Await => self.flag(after_end, 5, "Await expressions are"),
            NodeKind::AsyncFunctionDef => {
                let at = self.last_consumed(n);
                self.flag(at, 5, "Async functions are")
            }
            NodeKind::AsyncWith => {
                let at = self.last_consumed(n);
                self.flag(at, 5, "Async with statements are")
            }
            NodeKind::AsyncFor => {
                let mut at = self.last_consumed(n);
                if AsyncFor(n).orelse().is_empty() {
                    at = at.map(|i| i + 1);
                }
                self.flag(at, 5, "Async for loops are")
            }
            NodeKind::Comprehension if Comprehension(n).is_async() == 1 => {
                let c = Comprehension(n);
                let last = span_end(c.ifs().last().unwrap_or(c.iter())).and_then(|e| self.after(e));
                self.flag(last, 6, "Async comprehensions are")
            }
            NodeKind::AnnAssign => {
                let what = if AnnAssign(n).simple() == 1 {
                    "Variable annotation syntax is"
                } else {
                    "Variable annotations syntax is"
                };
                self.flag(after_end, 6, what)
            }
            NodeKind::Arguments if !Arguments(n).posonlyargs().is_empty() => {
                let a = Arguments(n);
                let ends = [a.posonlyargs(), a.args(), a.defaults(), a.kwonlyargs()]
                    .into_iter()
                    .flatten()
                    .chain(a.kw_defaults().iter().flatten())
                    .chain(a.vararg())
                    .chain(a.kwarg())
                    .filter_map(span_end)
                    .max();
                let at = ends
                    .and_then(|e| self.after(e))
                    .map(|i| self.skip(i, &[TokenKind::COMMA, TokenKind::SLASH]));
                self.flag(at, 8, "Positional-only parameters are")
            }
            NodeKind::NamedExpr => self.flag(after_end, 8, "Assignment expressions are"),
            NodeKind::Match => {
                let at = self.last_consumed(n);
                self.flag(at, 10, "Pattern matching is")
            }
            NodeKind::TryStar => {
                let mut at = self.last_consumed(n);
                if TryStar(n).finalbody().is_empty() {
                    at = at.map(|i| i + 1);
                }
                self.flag(at, 11, "Exception groups are")
            }
            NodeKind::TypeAlias => self.flag(after_end, 12, "Type statement is"),
            NodeKind::TypeVar | NodeKind::ParamSpec | NodeKind::TypeVarTuple => {
                let default = match TypeParam::of(n) {
                    TypeParam::TypeVar(t) => t.default_value(),
                    TypeParam::ParamSpec(t) => t.default_value(),
                    TypeParam::TypeVarTuple(t) => t.default_value(),
                };
                let at = default.and_then(span_end).and_then(|e| self.after(e));
                if at.is_some() {
                    self.flag(at, 13, "Type parameter defaults are")
                }
            }
            NodeKind::ExceptHandler => {
                let bare_tuple = ExceptHandler(n).type_().is_some_and(|t| {
                    t.kind == NodeKind::Tuple
                        && span_start(t).is_some_and(|at| !self.src.text[at..].starts_with('('))
                });
                if bare_tuple {
                    let at = self.last_consumed(n);
                    self.flag(at, 14, "except expressions without parentheses are")
                }
            }
            NodeKind::TemplateStr => {
                let at = span_start(n).and_then(|s| self.token_at(s)).and_then(|i| {
                    (i..self.toks.len()).find(|&j| self.toks[j].kind == TokenKind::TSTRING_END)
                });
                self.flag(at, 14, "t-strings are")
            }
            _ => {}
        }
        // Type parameter lists: the action runs on their closing `]`.
        if let Some(type_params) = type_params(n) {
            if let Some(last) = type_params.last() {
                let at = span_end(last)
                    .and_then(|e| self.after(e))
                    .map(|i| self.skip(i, &[TokenKind::COMMA]));
                self.flag(at, 12, "Type parameter lists are");
            }
        }
    }
}

/// `orelse` if it has statements, else `body`: the block a loop or `if` ends with.
fn else_or<'a>(orelse: Nodes<'a>, body: Nodes<'a>) -> Nodes<'a> {
    if orelse.is_empty() {
        body
    } else {
        orelse
    }
}

/// The type parameter list of a function, class or `type` statement.
fn type_params(n: &AstNode) -> Option<Nodes<'_>> {
    match Stmt::cast(n)? {
        Stmt::FunctionDef(x) => Some(x.type_params()),
        Stmt::AsyncFunctionDef(x) => Some(x.type_params()),
        Stmt::ClassDef(x) => Some(x.type_params()),
        Stmt::TypeAlias(x) => Some(x.type_params()),
        _ => None,
    }
}

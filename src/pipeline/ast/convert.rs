//! rustpython-parser's AST → CPython's `ast` node shapes (names, `_fields` order, defaults).

use super::{AstNode, AstValue, Constant};
use crate::source::Span;
use crate::version::PyVersion;
use rustpython_parser::ast::{self, Ranged};
use rustpython_parser::text_size::TextRange;

/// Why a tree could not be converted.
#[derive(Debug)]
pub enum ConvertError {
    /// The tree nests deeper than CPython's `ast.dump` can recurse.
    TooDeep(Span),
}

/// Deeper trees make CPython's recursive `ast.dump` raise `RecursionError`.
const MAX_DEPTH: usize = 3000;

pub struct Converter {
    version: PyVersion,
    depth: usize,
    text: String,
    /// Every comment (sorted), to step over them.
    comments: Vec<(usize, usize)>,
    /// `# type: …` comments (sorted by start), claimed by the nodes CPython's grammar gives
    /// them to.
    pub type_comments: Vec<TypeComment>,
    /// The first unparenthesized generator among several call arguments (CPython rejects it).
    pub bare_generator: Option<Span>,
    /// `import` offset → `lazy` offset, for 3.15's `lazy import` statements.
    pub lazy_imports: std::collections::HashMap<usize, usize>,
}

/// A `# type: X` comment (not `# type: ignore`).
#[derive(Debug, Clone)]
pub struct TypeComment {
    /// Offset of the `#`.
    pub start: usize,
    /// Byte range of `X`.
    pub value: (usize, usize),
    pub claimed: bool,
}

type R<T> = Result<T, ConvertError>;

fn span(r: TextRange) -> Option<Span> {
    Some(Span::new(r.start().to_usize(), r.end().to_usize()))
}

fn node(kind: &str, span: Option<Span>, fields: Vec<(&str, AstValue)>) -> AstNode {
    AstNode {
        kind: kind.to_string(),
        fields: fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
        span,
    }
}

fn bare(kind: &str) -> AstValue {
    AstValue::Node(Box::new(node(kind, None, Vec::new())))
}

fn v(n: AstNode) -> AstValue {
    AstValue::Node(Box::new(n))
}

fn s(x: &str) -> AstValue {
    AstValue::Str(x.to_string())
}

fn opt_s(x: Option<&ast::Identifier>) -> AstValue {
    match x {
        Some(i) => s(i.as_str()),
        None => AstValue::None,
    }
}

fn strs(xs: &[ast::Identifier]) -> AstValue {
    AstValue::List(xs.iter().map(|i| s(i.as_str())).collect())
}

fn ctx(c: &ast::ExprContext) -> AstValue {
    bare(match c {
        ast::ExprContext::Load => "Load",
        ast::ExprContext::Store => "Store",
        ast::ExprContext::Del => "Del",
    })
}

fn operator(op: &ast::Operator) -> AstValue {
    use ast::Operator::*;
    bare(match op {
        Add => "Add",
        Sub => "Sub",
        Mult => "Mult",
        MatMult => "MatMult",
        Div => "Div",
        Mod => "Mod",
        Pow => "Pow",
        LShift => "LShift",
        RShift => "RShift",
        BitOr => "BitOr",
        BitXor => "BitXor",
        BitAnd => "BitAnd",
        FloorDiv => "FloorDiv",
    })
}

fn cmpop(op: &ast::CmpOp) -> AstValue {
    use ast::CmpOp::*;
    bare(match op {
        Eq => "Eq",
        NotEq => "NotEq",
        Lt => "Lt",
        LtE => "LtE",
        Gt => "Gt",
        GtE => "GtE",
        Is => "Is",
        IsNot => "IsNot",
        In => "In",
        NotIn => "NotIn",
    })
}

pub fn constant(c: &ast::Constant) -> Constant {
    match c {
        ast::Constant::None => Constant::None,
        ast::Constant::Bool(b) => Constant::Bool(*b),
        ast::Constant::Str(x) => Constant::Str(x.clone()),
        ast::Constant::Bytes(b) => Constant::Bytes(b.clone()),
        ast::Constant::Int(i) => Constant::Int(i.to_string()),
        // The parser never produces tuples; show something harmless.
        ast::Constant::Tuple(_) => Constant::Ellipsis,
        ast::Constant::Float(f) => Constant::Float(*f),
        ast::Constant::Complex { real, imag } => Constant::Complex {
            real: *real,
            imag: *imag,
        },
        ast::Constant::Ellipsis => Constant::Ellipsis,
    }
}

impl Converter {
    pub fn new(
        version: PyVersion,
        text: String,
        comments: Vec<(usize, usize)>,
        type_comments: Vec<TypeComment>,
    ) -> Converter {
        Converter {
            version,
            depth: 0,
            text,
            comments,
            type_comments,
            lazy_imports: Default::default(),
            bare_generator: None,
        }
    }

    /// Claims the type comment that follows offset `end` with only blanks and `extra`
    /// characters in between.
    fn claim_after(&mut self, end: usize, extra: &[u8]) -> AstValue {
        if self.type_comments.is_empty() {
            return AstValue::None;
        }
        let i = self.type_comments.partition_point(|c| c.start < end);
        let Some(tc) = self.type_comments.get(i) else {
            return AstValue::None;
        };
        let between = self.text.as_bytes().get(end..tc.start).unwrap_or(b"x");
        if tc.claimed
            || !between
                .iter()
                .all(|b| matches!(b, b' ' | b'\t' | b'\x0c') || extra.contains(b))
        {
            return AstValue::None;
        }
        let (a, b) = tc.value;
        let value = self.text.get(a..b).unwrap_or("").to_string();
        self.type_comments[i].claimed = true;
        AstValue::Str(value)
    }

    /// A function's type comment: after the header's `:`, on that line or alone on the next.
    fn claim_func(&mut self, body: &[ast::Stmt]) -> AstValue {
        if self.type_comments.is_empty() {
            return AstValue::None;
        }
        let Some(first) = body.first() else {
            return AstValue::None;
        };
        let body_start = first.range().start().to_usize();
        let b = self.text.as_bytes();
        let mut j = body_start.min(b.len());
        loop {
            while j > 0 && matches!(b[j - 1], b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') {
                j -= 1;
            }
            let k = self.comments.partition_point(|c| c.1 < j);
            match self.comments.get(k) {
                Some(&(cs, ce)) if ce == j && cs < j => j = cs,
                _ => break,
            }
        }
        if j == 0 || b[j - 1] != b':' {
            return AstValue::None;
        }
        let i = self.type_comments.partition_point(|c| c.start < j);
        match self.type_comments.get(i) {
            Some(tc) if tc.start < body_start && !tc.claimed => {
                let (x, y) = tc.value;
                let value = self.text.get(x..y).unwrap_or("").to_string();
                self.type_comments[i].claimed = true;
                AstValue::Str(value)
            }
            _ => AstValue::None,
        }
    }

    fn enter(&mut self, r: TextRange) -> R<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ConvertError::TooDeep(span(r).unwrap_or_default()));
        }
        Ok(())
    }

    pub fn module(&mut self, body: &[ast::Stmt]) -> R<AstNode> {
        Ok(node(
            "Module",
            None,
            vec![
                ("body", self.stmts(body)?),
                ("type_ignores", AstValue::List(Vec::new())),
            ],
        ))
    }

    fn stmts(&mut self, body: &[ast::Stmt]) -> R<AstValue> {
        let mut out = Vec::with_capacity(body.len());
        for st in body {
            out.push(v(self.stmt(st)?));
        }
        Ok(AstValue::List(out))
    }

    fn exprs(&mut self, xs: &[ast::Expr]) -> R<AstValue> {
        let mut out = Vec::with_capacity(xs.len());
        for x in xs {
            out.push(self.expr_v(x)?);
        }
        Ok(AstValue::List(out))
    }

    fn expr_v(&mut self, x: &ast::Expr) -> R<AstValue> {
        Ok(v(self.expr(x)?))
    }

    fn opt_expr(&mut self, x: Option<&ast::Expr>) -> R<AstValue> {
        match x {
            Some(x) => self.expr_v(x),
            None => Ok(AstValue::None),
        }
    }

    fn stmt(&mut self, st: &ast::Stmt) -> R<AstNode> {
        self.enter(st.range())?;
        let r = self.stmt_inner(st);
        self.depth -= 1;
        r
    }

    fn stmt_inner(&mut self, st: &ast::Stmt) -> R<AstNode> {
        use ast::Stmt as S;
        let sp = span(st.range());
        Ok(match st {
            S::FunctionDef(f) => {
                let args = v(self.function_arguments(&f.args)?);
                let tc = self.claim_func(&f.body);
                node(
                    "FunctionDef",
                    sp,
                    vec![
                        ("name", s(f.name.as_str())),
                        ("args", args),
                        ("body", self.stmts(&f.body)?),
                        ("decorator_list", self.exprs(&f.decorator_list)?),
                        ("returns", self.opt_expr(f.returns.as_deref())?),
                        ("type_comment", tc),
                        ("type_params", self.type_params(&f.type_params)?),
                    ],
                )
            }
            S::AsyncFunctionDef(f) => {
                let args = v(self.function_arguments(&f.args)?);
                let tc = self.claim_func(&f.body);
                node(
                    "AsyncFunctionDef",
                    sp,
                    vec![
                        ("name", s(f.name.as_str())),
                        ("args", args),
                        ("body", self.stmts(&f.body)?),
                        ("decorator_list", self.exprs(&f.decorator_list)?),
                        ("returns", self.opt_expr(f.returns.as_deref())?),
                        ("type_comment", tc),
                        ("type_params", self.type_params(&f.type_params)?),
                    ],
                )
            }
            S::ClassDef(c) => node(
                "ClassDef",
                sp,
                vec![
                    ("name", s(c.name.as_str())),
                    ("bases", self.exprs(&c.bases)?),
                    ("keywords", self.keywords(&c.keywords)?),
                    ("body", self.stmts(&c.body)?),
                    ("decorator_list", self.exprs(&c.decorator_list)?),
                    ("type_params", self.type_params(&c.type_params)?),
                ],
            ),
            S::Return(x) => node(
                "Return",
                sp,
                vec![("value", self.opt_expr(x.value.as_deref())?)],
            ),
            S::Delete(x) => node("Delete", sp, vec![("targets", self.exprs(&x.targets)?)]),
            S::Assign(x) => {
                let tc = self.claim_after(x.range.end().to_usize(), b"");
                // CPython's Assign ends where its type comment ends.
                let sp = match (&tc, sp) {
                    (AstValue::Str(t), Some(mut span)) => {
                        if let Some(c) = self.type_comments.iter().find(|c| {
                            c.claimed
                                && c.start >= span.end as usize
                                && c.value.1 - c.value.0 == t.len()
                        }) {
                            span.end = c.value.1 as u32;
                        }
                        Some(span)
                    }
                    _ => sp,
                };
                node(
                    "Assign",
                    sp,
                    vec![
                        ("targets", self.exprs(&x.targets)?),
                        ("value", self.expr_v(&x.value)?),
                        ("type_comment", tc),
                    ],
                )
            }
            S::TypeAlias(x) => node(
                "TypeAlias",
                sp,
                vec![
                    ("name", self.expr_v(&x.name)?),
                    ("type_params", self.type_params(&x.type_params)?),
                    ("value", self.expr_v(&x.value)?),
                ],
            ),
            S::AugAssign(x) => node(
                "AugAssign",
                sp,
                vec![
                    ("target", self.expr_v(&x.target)?),
                    ("op", operator(&x.op)),
                    ("value", self.expr_v(&x.value)?),
                ],
            ),
            S::AnnAssign(x) => node(
                "AnnAssign",
                sp,
                vec![
                    ("target", self.expr_v(&x.target)?),
                    ("annotation", self.expr_v(&x.annotation)?),
                    ("value", self.opt_expr(x.value.as_deref())?),
                    (
                        "simple",
                        AstValue::Int(
                            (x.simple
                                && x.target.is_name_expr()
                                && self.text.as_bytes().get(x.range.start().to_usize())
                                    != Some(&b'(')) as i64,
                        ),
                    ),
                ],
            ),
            S::For(x) => type_comment_last(node(
                "For",
                sp,
                vec![
                    (
                        "type_comment",
                        self.claim_after(x.iter.range().end().to_usize(), b":"),
                    ),
                    ("target", self.expr_v(&x.target)?),
                    ("iter", self.expr_v(&x.iter)?),
                    ("body", self.stmts(&x.body)?),
                    ("orelse", self.stmts(&x.orelse)?),
                ],
            )),
            S::AsyncFor(x) => type_comment_last(node(
                "AsyncFor",
                sp,
                vec![
                    (
                        "type_comment",
                        self.claim_after(x.iter.range().end().to_usize(), b":"),
                    ),
                    ("target", self.expr_v(&x.target)?),
                    ("iter", self.expr_v(&x.iter)?),
                    ("body", self.stmts(&x.body)?),
                    ("orelse", self.stmts(&x.orelse)?),
                ],
            )),
            S::While(x) => node(
                "While",
                sp,
                vec![
                    ("test", self.expr_v(&x.test)?),
                    ("body", self.stmts(&x.body)?),
                    ("orelse", self.stmts(&x.orelse)?),
                ],
            ),
            S::If(x) => node(
                "If",
                sp,
                vec![
                    ("test", self.expr_v(&x.test)?),
                    ("body", self.stmts(&x.body)?),
                    ("orelse", self.stmts(&x.orelse)?),
                ],
            ),
            S::With(x) => type_comment_last(node(
                "With",
                sp,
                vec![
                    ("type_comment", self.claim_with(&x.items)),
                    ("items", self.withitems(&x.items)?),
                    ("body", self.stmts(&x.body)?),
                ],
            )),
            S::AsyncWith(x) => type_comment_last(node(
                "AsyncWith",
                sp,
                vec![
                    ("type_comment", self.claim_with(&x.items)),
                    ("items", self.withitems(&x.items)?),
                    ("body", self.stmts(&x.body)?),
                ],
            )),
            S::Match(x) => {
                let mut cases = Vec::new();
                for c in &x.cases {
                    cases.push(v(node(
                        "match_case",
                        None,
                        vec![
                            ("pattern", v(self.pattern(&c.pattern)?)),
                            ("guard", self.opt_expr(c.guard.as_deref())?),
                            ("body", self.stmts(&c.body)?),
                        ],
                    )));
                }
                node(
                    "Match",
                    sp,
                    vec![
                        ("subject", self.expr_v(&x.subject)?),
                        ("cases", AstValue::List(cases)),
                    ],
                )
            }
            S::Raise(x) => node(
                "Raise",
                sp,
                vec![
                    ("exc", self.opt_expr(x.exc.as_deref())?),
                    ("cause", self.opt_expr(x.cause.as_deref())?),
                ],
            ),
            S::Try(x) => node(
                "Try",
                sp,
                vec![
                    ("body", self.stmts(&x.body)?),
                    ("handlers", self.handlers(&x.handlers)?),
                    ("orelse", self.stmts(&x.orelse)?),
                    ("finalbody", self.stmts(&x.finalbody)?),
                ],
            ),
            S::TryStar(x) => node(
                "TryStar",
                sp,
                vec![
                    ("body", self.stmts(&x.body)?),
                    ("handlers", self.handlers(&x.handlers)?),
                    ("orelse", self.stmts(&x.orelse)?),
                    ("finalbody", self.stmts(&x.finalbody)?),
                ],
            ),
            S::Assert(x) => node(
                "Assert",
                sp,
                vec![
                    ("test", self.expr_v(&x.test)?),
                    ("msg", self.opt_expr(x.msg.as_deref())?),
                ],
            ),
            S::Import(x) => {
                let mut f = vec![("names", self.aliases(&x.names))];
                let (lazy, sp) = self.lazy(sp);
                if self.version >= PyVersion::V3_15 {
                    f.push(("is_lazy", AstValue::Int(lazy)));
                }
                node("Import", sp, f)
            }
            S::ImportFrom(x) => {
                let mut f = vec![
                    ("module", opt_s(x.module.as_ref())),
                    ("names", self.aliases(&x.names)),
                    (
                        "level",
                        AstValue::Int(x.level.as_ref().map_or(0, |l| l.to_u32()) as i64),
                    ),
                ];
                let (lazy, sp) = self.lazy(sp);
                if self.version >= PyVersion::V3_15 {
                    f.push(("is_lazy", AstValue::Int(lazy)));
                }
                node("ImportFrom", sp, f)
            }
            S::Global(x) => node("Global", sp, vec![("names", strs(&x.names))]),
            S::Nonlocal(x) => node("Nonlocal", sp, vec![("names", strs(&x.names))]),
            S::Expr(x) => node("Expr", sp, vec![("value", self.expr_v(&x.value)?)]),
            S::Pass(_) => node("Pass", sp, vec![]),
            S::Break(_) => node("Break", sp, vec![]),
            S::Continue(_) => node("Continue", sp, vec![]),
        })
    }

    /// Whether the import at `sp` was `lazy`, and its span including the keyword.
    fn lazy(&self, sp: Option<Span>) -> (i64, Option<Span>) {
        match sp.and_then(|s| Some((s, *self.lazy_imports.get(&(s.start as usize))?))) {
            Some((s, at)) => (1, Some(Span::new(at, s.end as usize))),
            None => (0, sp),
        }
    }

    fn aliases(&mut self, xs: &[ast::Alias]) -> AstValue {
        AstValue::List(
            xs.iter()
                .map(|a| {
                    v(node(
                        "alias",
                        span(a.range),
                        vec![
                            ("name", s(a.name.as_str())),
                            ("asname", opt_s(a.asname.as_ref())),
                        ],
                    ))
                })
                .collect(),
        )
    }

    fn handlers(&mut self, hs: &[ast::ExceptHandler]) -> R<AstValue> {
        let mut out = Vec::new();
        for h in hs {
            let ast::ExceptHandler::ExceptHandler(h) = h;
            out.push(v(node(
                "ExceptHandler",
                span(h.range),
                vec![
                    ("type", self.opt_expr(h.type_.as_deref())?),
                    ("name", opt_s(h.name.as_ref())),
                    ("body", self.stmts(&h.body)?),
                ],
            )));
        }
        Ok(AstValue::List(out))
    }

    fn withitems(&mut self, items: &[ast::WithItem]) -> R<AstValue> {
        let mut out = Vec::new();
        for it in items {
            out.push(v(node(
                "withitem",
                None,
                vec![
                    ("context_expr", self.expr_v(&it.context_expr)?),
                    ("optional_vars", self.opt_expr(it.optional_vars.as_deref())?),
                ],
            )));
        }
        Ok(AstValue::List(out))
    }

    fn claim_with(&mut self, items: &[ast::WithItem]) -> AstValue {
        match items.last() {
            Some(it) => {
                let end = match &it.optional_vars {
                    Some(o) => o.range().end(),
                    None => it.context_expr.range().end(),
                };
                self.claim_after(end.to_usize(), b":),")
            }
            None => AstValue::None,
        }
    }

    fn keywords(&mut self, ks: &[ast::Keyword]) -> R<AstValue> {
        let mut out = Vec::new();
        for k in ks {
            out.push(v(node(
                "keyword",
                span(k.range),
                vec![
                    ("arg", opt_s(k.arg.as_ref())),
                    ("value", self.expr_v(&k.value)?),
                ],
            )));
        }
        Ok(AstValue::List(out))
    }

    fn type_params(&mut self, ps: &[ast::TypeParam]) -> R<AstValue> {
        let mut out = Vec::new();
        for p in ps {
            out.push(v(match p {
                ast::TypeParam::TypeVar(t) => node(
                    "TypeVar",
                    span(t.range),
                    vec![
                        ("name", s(t.name.as_str())),
                        ("bound", self.opt_expr(t.bound.as_deref())?),
                    ],
                ),
                ast::TypeParam::ParamSpec(t) => node(
                    "ParamSpec",
                    span(t.range),
                    vec![("name", s(t.name.as_str()))],
                ),
                ast::TypeParam::TypeVarTuple(t) => node(
                    "TypeVarTuple",
                    span(t.range),
                    vec![("name", s(t.name.as_str()))],
                ),
            }));
        }
        Ok(AstValue::List(out))
    }

    fn arg(&mut self, a: &ast::Arg) -> R<AstNode> {
        Ok(node(
            "arg",
            span(a.range),
            vec![
                ("arg", s(a.arg.as_str())),
                ("annotation", self.opt_expr(a.annotation.as_deref())?),
                ("type_comment", AstValue::None),
            ],
        ))
    }

    /// A `def`'s arguments: each parameter may carry a type comment after its comma.
    fn function_arguments(&mut self, a: &ast::Arguments) -> R<AstNode> {
        let mut n = self.arguments(a)?;
        if self.type_comments.is_empty() {
            return Ok(n);
        }
        let ends = |p: &ast::ArgWithDefault| match &p.default {
            Some(d) => d.range().end().to_usize(),
            None => p.def.range.end().to_usize(),
        };
        let mut claims: Vec<(&str, usize, usize)> = Vec::new();
        for (field, list) in [
            ("posonlyargs", &a.posonlyargs),
            ("args", &a.args),
            ("kwonlyargs", &a.kwonlyargs),
        ] {
            for (i, p) in list.iter().enumerate() {
                claims.push((field, i, ends(p)));
            }
        }
        if let Some(x) = &a.vararg {
            claims.push(("vararg", 0, x.range.end().to_usize()));
        }
        if let Some(x) = &a.kwarg {
            claims.push(("kwarg", 0, x.range.end().to_usize()));
        }
        for (field, i, end) in claims {
            let tc = self.claim_after(end, b",");
            if matches!(tc, AstValue::None) {
                continue;
            }
            let slot = n
                .fields
                .iter_mut()
                .find(|(k, _)| k == field)
                .map(|(_, v)| v);
            let target = match slot {
                Some(AstValue::List(items)) => items.get_mut(i),
                Some(other) => Some(other),
                None => None,
            };
            if let Some(AstValue::Node(argn)) = target {
                if let Some((_, v)) = argn.fields.iter_mut().find(|(k, _)| k == "type_comment") {
                    *v = tc;
                }
            }
        }
        Ok(n)
    }

    fn opt_arg(&mut self, a: Option<&ast::Arg>) -> R<AstValue> {
        match a {
            Some(a) => Ok(v(self.arg(a)?)),
            None => Ok(AstValue::None),
        }
    }

    fn arguments(&mut self, a: &ast::Arguments) -> R<AstNode> {
        let mut posonly = Vec::new();
        let mut args = Vec::new();
        let mut defaults = Vec::new();
        for p in &a.posonlyargs {
            posonly.push(v(self.arg(&p.def)?));
            if let Some(d) = &p.default {
                defaults.push(self.expr_v(d)?);
            }
        }
        for p in &a.args {
            args.push(v(self.arg(&p.def)?));
            if let Some(d) = &p.default {
                defaults.push(self.expr_v(d)?);
            }
        }
        let mut kwonly = Vec::new();
        let mut kw_defaults = Vec::new();
        for p in &a.kwonlyargs {
            kwonly.push(v(self.arg(&p.def)?));
            kw_defaults.push(match &p.default {
                Some(d) => self.expr_v(d)?,
                None => AstValue::None,
            });
        }
        Ok(node(
            "arguments",
            None,
            vec![
                ("posonlyargs", AstValue::List(posonly)),
                ("args", AstValue::List(args)),
                ("vararg", self.opt_arg(a.vararg.as_deref())?),
                ("kwonlyargs", AstValue::List(kwonly)),
                ("kw_defaults", AstValue::List(kw_defaults)),
                ("kwarg", self.opt_arg(a.kwarg.as_deref())?),
                ("defaults", AstValue::List(defaults)),
            ],
        ))
    }

    fn comprehensions(&mut self, gs: &[ast::Comprehension]) -> R<AstValue> {
        let mut out = Vec::new();
        for g in gs {
            out.push(v(node(
                "comprehension",
                None,
                vec![
                    ("target", self.expr_v(&g.target)?),
                    ("iter", self.expr_v(&g.iter)?),
                    ("ifs", self.exprs(&g.ifs)?),
                    ("is_async", AstValue::Int(g.is_async as i64)),
                ],
            )));
        }
        Ok(AstValue::List(out))
    }

    fn pattern(&mut self, p: &ast::Pattern) -> R<AstNode> {
        self.enter(p.range())?;
        let r = self.pattern_inner(p);
        self.depth -= 1;
        r
    }

    fn patterns(&mut self, ps: &[ast::Pattern]) -> R<AstValue> {
        let mut out = Vec::new();
        for p in ps {
            out.push(v(self.pattern(p)?));
        }
        Ok(AstValue::List(out))
    }

    fn pattern_inner(&mut self, p: &ast::Pattern) -> R<AstNode> {
        use ast::Pattern as P;
        let sp = span(p.range());
        Ok(match p {
            P::MatchValue(x) => node("MatchValue", sp, vec![("value", self.expr_v(&x.value)?)]),
            P::MatchSingleton(x) => node(
                "MatchSingleton",
                sp,
                vec![("value", AstValue::Const(constant(&x.value)))],
            ),
            P::MatchSequence(x) => node(
                "MatchSequence",
                sp,
                vec![("patterns", self.patterns(&x.patterns)?)],
            ),
            P::MatchMapping(x) => node(
                "MatchMapping",
                sp,
                vec![
                    ("keys", self.exprs(&x.keys)?),
                    ("patterns", self.patterns(&x.patterns)?),
                    ("rest", opt_s(x.rest.as_ref())),
                ],
            ),
            P::MatchClass(x) => node(
                "MatchClass",
                sp,
                vec![
                    ("cls", self.expr_v(&x.cls)?),
                    ("patterns", self.patterns(&x.patterns)?),
                    ("kwd_attrs", strs(&x.kwd_attrs)),
                    ("kwd_patterns", self.patterns(&x.kwd_patterns)?),
                ],
            ),
            P::MatchStar(x) => node("MatchStar", sp, vec![("name", opt_s(x.name.as_ref()))]),
            P::MatchAs(x) => {
                let pat = match &x.pattern {
                    Some(p) => v(self.pattern(p)?),
                    None => AstValue::None,
                };
                node(
                    "MatchAs",
                    sp,
                    vec![("pattern", pat), ("name", opt_s(x.name.as_ref()))],
                )
            }
            P::MatchOr(x) => node(
                "MatchOr",
                sp,
                vec![("patterns", self.patterns(&x.patterns)?)],
            ),
        })
    }

    pub fn expr(&mut self, x: &ast::Expr) -> R<AstNode> {
        self.enter(x.range())?;
        let r = self.expr_inner(x);
        self.depth -= 1;
        r
    }

    fn expr_inner(&mut self, x: &ast::Expr) -> R<AstNode> {
        use ast::Expr as E;
        let sp = span(x.range());
        Ok(match x {
            E::BoolOp(x) => node(
                "BoolOp",
                sp,
                vec![
                    (
                        "op",
                        bare(match x.op {
                            ast::BoolOp::And => "And",
                            ast::BoolOp::Or => "Or",
                        }),
                    ),
                    ("values", self.exprs(&x.values)?),
                ],
            ),
            E::NamedExpr(x) => node(
                "NamedExpr",
                sp,
                vec![
                    ("target", self.expr_v(&x.target)?),
                    ("value", self.expr_v(&x.value)?),
                ],
            ),
            E::BinOp(x) => node(
                "BinOp",
                sp,
                vec![
                    ("left", self.expr_v(&x.left)?),
                    ("op", operator(&x.op)),
                    ("right", self.expr_v(&x.right)?),
                ],
            ),
            E::UnaryOp(x) => node(
                "UnaryOp",
                sp,
                vec![
                    (
                        "op",
                        bare(match x.op {
                            ast::UnaryOp::Invert => "Invert",
                            ast::UnaryOp::Not => "Not",
                            ast::UnaryOp::UAdd => "UAdd",
                            ast::UnaryOp::USub => "USub",
                        }),
                    ),
                    ("operand", self.expr_v(&x.operand)?),
                ],
            ),
            E::Lambda(x) => node(
                "Lambda",
                sp,
                vec![
                    ("args", v(self.arguments(&x.args)?)),
                    ("body", self.expr_v(&x.body)?),
                ],
            ),
            E::IfExp(x) => node(
                "IfExp",
                sp,
                vec![
                    ("test", self.expr_v(&x.test)?),
                    ("body", self.expr_v(&x.body)?),
                    ("orelse", self.expr_v(&x.orelse)?),
                ],
            ),
            E::Dict(x) => {
                let mut keys = Vec::new();
                for k in &x.keys {
                    keys.push(self.opt_expr(k.as_ref())?);
                }
                node(
                    "Dict",
                    sp,
                    vec![
                        ("keys", AstValue::List(keys)),
                        ("values", self.exprs(&x.values)?),
                    ],
                )
            }
            E::Set(x) => node("Set", sp, vec![("elts", self.exprs(&x.elts)?)]),
            E::ListComp(x) => node(
                "ListComp",
                sp,
                vec![
                    ("elt", self.expr_v(&x.elt)?),
                    ("generators", self.comprehensions(&x.generators)?),
                ],
            ),
            E::SetComp(x) => node(
                "SetComp",
                sp,
                vec![
                    ("elt", self.expr_v(&x.elt)?),
                    ("generators", self.comprehensions(&x.generators)?),
                ],
            ),
            E::DictComp(x) => node(
                "DictComp",
                sp,
                vec![
                    ("key", self.expr_v(&x.key)?),
                    ("value", self.expr_v(&x.value)?),
                    ("generators", self.comprehensions(&x.generators)?),
                ],
            ),
            E::GeneratorExp(x) => node(
                "GeneratorExp",
                sp,
                vec![
                    ("elt", self.expr_v(&x.elt)?),
                    ("generators", self.comprehensions(&x.generators)?),
                ],
            ),
            E::Await(x) => node("Await", sp, vec![("value", self.expr_v(&x.value)?)]),
            E::Yield(x) => node(
                "Yield",
                sp,
                vec![("value", self.opt_expr(x.value.as_deref())?)],
            ),
            E::YieldFrom(x) => node("YieldFrom", sp, vec![("value", self.expr_v(&x.value)?)]),
            E::Compare(x) => node(
                "Compare",
                sp,
                vec![
                    ("left", self.expr_v(&x.left)?),
                    ("ops", AstValue::List(x.ops.iter().map(cmpop).collect())),
                    ("comparators", self.exprs(&x.comparators)?),
                ],
            ),
            E::Call(x) => {
                let mut args = self.exprs(&x.args)?;
                if x.args.len() + x.keywords.len() > 1 && self.bare_generator.is_none() {
                    for a in &x.args {
                        if let ast::Expr::GeneratorExp(g) = a {
                            let gs = span(g.range).unwrap_or_default();
                            if !self_parenthesized(&self.text, gs) {
                                self.bare_generator = Some(gs);
                                break;
                            }
                        }
                    }
                }
                // `f(x for x in y)`: CPython's generator spans the call's parentheses.
                if let (AstValue::List(items), true) = (&mut args, x.keywords.is_empty()) {
                    if let [AstValue::Node(g)] = items.as_mut_slice() {
                        if g.kind == "GeneratorExp" {
                            let func_end = x.func.range().end().to_usize();
                            let open = self.text[func_end..].find('(').map(|i| func_end + i);
                            if let (Some(open), Some(gs), Some(cs)) = (open, g.span, sp) {
                                if open <= gs.start as usize && !self_parenthesized(&self.text, gs)
                                {
                                    g.span = Some(Span::new(open, cs.end as usize));
                                }
                            }
                        }
                    }
                }
                node(
                    "Call",
                    sp,
                    vec![
                        ("func", self.expr_v(&x.func)?),
                        ("args", args),
                        ("keywords", self.keywords(&x.keywords)?),
                    ],
                )
            }
            E::FormattedValue(x) => self.formatted_value(x)?,
            E::JoinedStr(x) => {
                let mut j = self.joined_str(&x.values, sp, false)?;
                let r = x.range;
                if let Some(pieces) =
                    fstring_pieces(&self.text, r.start().to_usize(), r.end().to_usize())
                {
                    if let Some((_, AstValue::List(items))) =
                        j.fields.iter_mut().find(|(k, _)| k == "values")
                    {
                        assign_fstring_spans(items, &pieces);
                    }
                }
                j
            }
            E::Constant(x) => node(
                "Constant",
                sp,
                vec![
                    ("value", AstValue::Const(constant(&x.value))),
                    (
                        "kind",
                        match &x.kind {
                            Some(k) => s(k),
                            None => AstValue::None,
                        },
                    ),
                ],
            ),
            E::Attribute(x) => node(
                "Attribute",
                sp,
                vec![
                    ("value", self.expr_v(&x.value)?),
                    ("attr", s(x.attr.as_str())),
                    ("ctx", ctx(&x.ctx)),
                ],
            ),
            E::Subscript(x) => {
                let mut slice = self.expr(&x.slice)?;
                if slice.kind == "Starred" {
                    // `a[*b]` is a one-element tuple in CPython.
                    let sspan = slice.span;
                    slice = node(
                        "Tuple",
                        sspan,
                        vec![
                            ("elts", AstValue::List(vec![v(slice)])),
                            ("ctx", bare("Load")),
                        ],
                    );
                }
                node(
                    "Subscript",
                    sp,
                    vec![
                        ("value", self.expr_v(&x.value)?),
                        ("slice", v(slice)),
                        ("ctx", ctx(&x.ctx)),
                    ],
                )
            }
            E::Starred(x) => node(
                "Starred",
                sp,
                vec![("value", self.expr_v(&x.value)?), ("ctx", ctx(&x.ctx))],
            ),
            E::Name(x) => node(
                "Name",
                sp,
                vec![("id", s(x.id.as_str())), ("ctx", ctx(&x.ctx))],
            ),
            E::List(x) => node(
                "List",
                sp,
                vec![("elts", self.exprs(&x.elts)?), ("ctx", ctx(&x.ctx))],
            ),
            E::Tuple(x) => node(
                "Tuple",
                sp,
                vec![("elts", self.exprs(&x.elts)?), ("ctx", ctx(&x.ctx))],
            ),
            E::Slice(x) => node(
                "Slice",
                sp,
                vec![
                    ("lower", self.opt_expr(x.lower.as_deref())?),
                    ("upper", self.opt_expr(x.upper.as_deref())?),
                    ("step", self.opt_expr(x.step.as_deref())?),
                ],
            ),
        })
    }

    fn formatted_value(&mut self, x: &ast::ExprFormattedValue) -> R<AstNode> {
        let spec = match x.format_spec.as_deref() {
            Some(ast::Expr::JoinedStr(j)) => v(self.joined_str(&j.values, span(j.range), true)?),
            Some(other) => self.expr_v(other)?,
            None => AstValue::None,
        };
        Ok(node(
            "FormattedValue",
            span(x.range),
            vec![
                ("value", self.expr_v(&x.value)?),
                ("conversion", AstValue::Int(x.conversion as i8 as i64)),
                ("format_spec", spec),
            ],
        ))
    }

    /// A `JoinedStr`: adjacent literal parts merged, empty literal parts dropped (as CPython).
    fn joined_str(&mut self, values: &[ast::Expr], sp: Option<Span>, _spec: bool) -> R<AstNode> {
        let mut out: Vec<AstValue> = Vec::new();
        let mut pending: Option<(String, Option<Span>)> = None;
        for val in values {
            match val {
                ast::Expr::Constant(ast::ExprConstant {
                    value: ast::Constant::Str(t),
                    range,
                    ..
                }) => match &mut pending {
                    Some((acc, _)) => acc.push_str(t),
                    None => pending = Some((t.clone(), span(*range))),
                },
                ast::Expr::JoinedStr(j) => {
                    // A nested JoinedStr (should not happen): flatten it.
                    let inner = self.joined_str(&j.values, span(j.range), _spec)?;
                    if let Some((_, AstValue::List(items))) = inner.fields.into_iter().next() {
                        for it in items {
                            flush(&mut pending, &mut out);
                            out.push(it);
                        }
                    }
                }
                other => {
                    flush(&mut pending, &mut out);
                    out.push(self.expr_v(other)?);
                }
            }
        }
        flush(&mut pending, &mut out);
        Ok(node("JoinedStr", sp, vec![("values", AstValue::List(out))]))
    }
}

/// Moves the `type_comment` field (computed first) to its place at the end.
fn type_comment_last(mut n: AstNode) -> AstNode {
    if let Some(i) = n.fields.iter().position(|(k, _)| k == "type_comment") {
        let f = n.fields.remove(i);
        n.fields.push(f);
    }
    n
}

fn flush(pending: &mut Option<(String, Option<Span>)>, out: &mut Vec<AstValue>) {
    if let Some((t, sp)) = pending.take() {
        if !t.is_empty() {
            out.push(v(node(
                "Constant",
                sp,
                vec![("value", AstValue::Const(Constant::Str(t)))],
            )));
        }
    }
}

/// Whether `span` is `( … )` with its own matching parentheses.
fn self_parenthesized(text: &str, span: Span) -> bool {
    let b = text.as_bytes();
    let (s, e) = (span.start as usize, span.end as usize);
    if b.get(s) != Some(&b'(') || e == 0 || b.get(e - 1) != Some(&b')') {
        return false;
    }
    let mut depth = 0;
    let mut i = s;
    while i < e {
        match b[i] {
            b'\'' | b'"' => {
                i = skip_string(b, i);
                continue;
            }
            b'#' => {
                while i < e && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i == e - 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    false
}

/// A part of an f-string's source: a literal run or a `{…}` replacement field.
#[derive(Debug)]
enum Piece {
    /// A literal run (or a whole plain string token); `empty` when it adds no text.
    Lit {
        start: usize,
        end: usize,
        empty: bool,
    },
    /// A replacement field `{…}`; its format spec (`:` up to the closing `}`) and pieces.
    Field {
        start: usize,
        end: usize,
        spec: Option<(usize, usize, Vec<Piece>)>,
    },
}

/// Skips a string token (prefix at `i`); returns its end.
fn skip_string(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_alphabetic() {
        i += 1;
    }
    let Some(&q) = b.get(i) else { return i };
    let triple = b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q);
    i += if triple { 3 } else { 1 };
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == q && (!triple || (b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q))) {
            return i + if triple { 3 } else { 1 };
        }
        i += 1;
    }
    b.len()
}

/// The pieces of the string tokens in `text[start..end]` (an implicit concatenation).
fn fstring_pieces(text: &str, start: usize, end: usize) -> Option<Vec<Piece>> {
    let b = text.as_bytes();
    let end = end.min(b.len());
    let mut i = start;
    let mut out = Vec::new();
    let mut guard = 0;
    while i < end {
        guard += 1;
        if guard > 100_000 {
            return None;
        }
        match b[i] {
            b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'\\' | b'(' | b')' => i += 1,
            b'#' => {
                while i < end && b[i] != b'\n' {
                    i += 1;
                }
            }
            _ => {
                let ts = i;
                let mut p = i;
                while p < end && b[p].is_ascii_alphabetic() {
                    p += 1;
                }
                let prefix = text.get(ts..p)?.to_ascii_lowercase();
                let q = *b.get(p)?;
                if q != b'\'' && q != b'"' {
                    return None;
                }
                let triple = b.get(p + 1) == Some(&q) && b.get(p + 2) == Some(&q);
                let qlen = if triple { 3 } else { 1 };
                let te = skip_string(b, ts);
                if !prefix.contains('f') {
                    out.push(Piece::Lit {
                        start: ts,
                        end: te,
                        empty: te - ts == p - ts + 2 * qlen,
                    });
                } else {
                    let raw = prefix.contains('r');
                    let (pieces, _) = fbody(b, p + qlen, te - qlen, raw, false)?;
                    out.extend(pieces);
                }
                i = te;
            }
        }
    }
    Some(out)
}

/// Pieces of an f-string body `b[i..end]`; in a spec, stops at the `}` closing the field.
fn fbody(b: &[u8], mut i: usize, end: usize, raw: bool, spec: bool) -> Option<(Vec<Piece>, usize)> {
    let mut out = Vec::new();
    let mut lit = i;
    while i < end {
        match b[i] {
            b'\\' if !raw => i += 2,
            b'{' if b.get(i + 1) == Some(&b'{') && !spec => i += 2,
            b'}' if spec => break,
            b'}' if b.get(i + 1) == Some(&b'}') => i += 2,
            b'{' => {
                if i > lit {
                    out.push(Piece::Lit {
                        start: lit,
                        end: i,
                        empty: false,
                    });
                }
                let (field, debug, next) = ffield(b, i, end)?;
                if let Some((ds, de)) = debug {
                    out.push(Piece::Lit {
                        start: ds,
                        end: de,
                        empty: false,
                    });
                }
                out.push(field);
                i = next;
                lit = i;
            }
            _ => i += 1,
        }
    }
    let i = i.min(end);
    if i > lit {
        out.push(Piece::Lit {
            start: lit,
            end: i,
            empty: false,
        });
    }
    Some((out, i))
}

/// The replacement field starting at `b[open] == b'{'`: the piece, the debug text range
/// (`{x = }`) and the offset after the closing `}`.
#[allow(clippy::type_complexity)]
fn ffield(b: &[u8], open: usize, end: usize) -> Option<(Piece, Option<(usize, usize)>, usize)> {
    let mut i = open + 1;
    let mut depth = 0i32;
    let mut debug_end = None;
    while i < end {
        match b[i] {
            b'\'' | b'"' => {
                i = skip_string(b, i);
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' if depth > 0 => depth -= 1,
            b'=' if depth == 0
                && !matches!(b.get(i + 1), Some(b'='))
                && !matches!(b[i - 1], b'=' | b'!' | b'<' | b'>') =>
            {
                let mut k = i + 1;
                while k < end && b[k] == b' ' {
                    k += 1;
                }
                if matches!(b.get(k), Some(b'}' | b'!' | b':')) {
                    debug_end = Some(k);
                }
            }
            b'!' if depth == 0 && b.get(i + 1) != Some(&b'=') => {
                i += 2;
                continue;
            }
            b':' if depth == 0 => {
                let (pieces, close) = fbody(b, i + 1, end, false, true)?;
                let debug = debug_end.map(|d| (open + 1, d.min(i)));
                return Some((
                    Piece::Field {
                        start: open,
                        end: close + 1,
                        spec: Some((i, close, pieces)),
                    },
                    debug,
                    close + 1,
                ));
            }
            b'}' if depth == 0 => {
                let debug = debug_end.map(|d| (open + 1, d.min(i)));
                return Some((
                    Piece::Field {
                        start: open,
                        end: i + 1,
                        spec: None,
                    },
                    debug,
                    i + 1,
                ));
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Gives the values of a `JoinedStr` the spans CPython gives them, from `pieces`.
fn assign_fstring_spans(values: &mut [AstValue], pieces: &[Piece]) {
    // Group consecutive literal pieces the way the values merged them.
    enum G<'a> {
        Lit(usize, usize),
        Field(&'a Piece),
    }
    let mut groups: Vec<G> = Vec::new();
    for p in pieces {
        match p {
            Piece::Lit { empty: true, .. } => {}
            Piece::Lit { start, end, .. } => match groups.last_mut() {
                Some(G::Lit(_, e)) => *e = *end,
                _ => groups.push(G::Lit(*start, *end)),
            },
            f @ Piece::Field { .. } => groups.push(G::Field(f)),
        }
    }
    if groups.len() != values.len() {
        return;
    }
    for (v, g) in values.iter_mut().zip(groups) {
        let AstValue::Node(n) = v else { return };
        match (n.kind.as_str(), g) {
            ("Constant", G::Lit(s, e)) => n.span = Some(Span::new(s, e)),
            (
                "FormattedValue",
                G::Field(Piece::Field {
                    start, end, spec, ..
                }),
            ) => {
                n.span = Some(Span::new(*start, *end));
                if let Some((ss, se, sp)) = spec {
                    if let Some((_, AstValue::Node(j))) =
                        n.fields.iter_mut().find(|(k, _)| k == "format_spec")
                    {
                        j.span = Some(Span::new(*ss, *se));
                        if let Some((_, AstValue::List(items))) =
                            j.fields.iter_mut().find(|(k, _)| k == "values")
                        {
                            assign_fstring_spans(items, sp);
                        }
                    }
                }
            }
            _ => return,
        }
    }
}

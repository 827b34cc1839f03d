//! rustpython-parser's AST → CPython's `ast` node shapes (names, `_fields` order, defaults).

use super::{make, AstNode, AstValue, Constant, NodeKind};
use cpyviz_model::source::Span;
use cpyviz_model::version::PyVersion;
use rustpython_parser::ast::{self, Ranged};
use rustpython_parser::text_size::TextRange;

/// Why a tree could not be converted.
#[derive(Debug)]
pub enum ConvertError {
    /// The tree nests deeper than CPython's `ast.dump` can recurse.
    TooDeep(Span),
    /// Newer syntax (see [`super::newsyntax`]) this converter cannot read after all.
    Unsupported { offset: usize, what: &'static str },
    /// A construct CPython's grammar rejects.
    Invalid(super::validate::Invalid),
}

/// Deeper trees make CPython's recursive `ast.dump` raise `RecursionError`.
const MAX_DEPTH: usize = 3000;

pub struct Converter {
    pub(super) version: PyVersion,
    /// The placeholders of the file's non-ASCII identifiers (f-string fields add theirs).
    pub(super) hider: super::idents::Hider,
    depth: usize,
    pub(super) text: String,
    /// The file name rustpython-parser is told.
    pub(super) path: String,
    /// Placeholder name offset → the newer syntax it stands for (see [`super::newsyntax`]).
    pub(super) regions: std::collections::HashMap<usize, super::newsyntax::Region>,
    /// `SyntaxWarning`s for invalid escapes: (when CPython's parser issues it, as the offset
    /// it has reached; offset of the escape; message).
    pub(super) warnings: Vec<(usize, usize, String)>,
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

pub(super) type R<T> = Result<T, ConvertError>;

fn span(r: TextRange) -> Option<Span> {
    Some(Span::new(r.start().to_usize(), r.end().to_usize()))
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
    v(match c {
        ast::ExprContext::Load => make::load(),
        ast::ExprContext::Store => make::store(),
        ast::ExprContext::Del => make::del(),
    })
}

fn operator(op: &ast::Operator) -> AstValue {
    use ast::Operator::*;
    v(match op {
        Add => make::add(),
        Sub => make::sub(),
        Mult => make::mult(),
        MatMult => make::mat_mult(),
        Div => make::div(),
        Mod => make::mod_(),
        Pow => make::pow(),
        LShift => make::l_shift(),
        RShift => make::r_shift(),
        BitOr => make::bit_or(),
        BitXor => make::bit_xor(),
        BitAnd => make::bit_and(),
        FloorDiv => make::floor_div(),
    })
}

fn cmpop(op: &ast::CmpOp) -> AstValue {
    use ast::CmpOp::*;
    v(match op {
        Eq => make::eq(),
        NotEq => make::not_eq(),
        Lt => make::lt(),
        LtE => make::lt_e(),
        Gt => make::gt(),
        GtE => make::gt_e(),
        Is => make::is(),
        IsNot => make::is_not(),
        In => make::in_(),
        NotIn => make::not_in(),
    })
}

pub fn constant(c: &ast::Constant) -> Constant {
    match c {
        ast::Constant::None => Constant::None,
        ast::Constant::Bool(b) => Constant::Bool(*b),
        ast::Constant::Str(x) => Constant::Str(x.as_str().into()),
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
            path: String::new(),
            regions: Default::default(),
            warnings: Vec::new(),
            hider: Default::default(),
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
        Ok(make::module(
            None,
            self.stmts(body)?,
            AstValue::List(Vec::new()),
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
                make::function_def(
                    sp,
                    s(f.name.as_str()),
                    args,
                    self.stmts(&f.body)?,
                    self.exprs(&f.decorator_list)?,
                    self.opt_expr(f.returns.as_deref())?,
                    tc,
                    self.type_params(&f.type_params)?,
                )
            }
            S::AsyncFunctionDef(f) => {
                let args = v(self.function_arguments(&f.args)?);
                let tc = self.claim_func(&f.body);
                make::async_function_def(
                    sp,
                    s(f.name.as_str()),
                    args,
                    self.stmts(&f.body)?,
                    self.exprs(&f.decorator_list)?,
                    self.opt_expr(f.returns.as_deref())?,
                    tc,
                    self.type_params(&f.type_params)?,
                )
            }
            S::ClassDef(c) => make::class_def(
                sp,
                s(c.name.as_str()),
                self.exprs(&c.bases)?,
                self.keywords(&c.keywords)?,
                self.stmts(&c.body)?,
                self.exprs(&c.decorator_list)?,
                self.type_params(&c.type_params)?,
            ),
            S::Return(x) => make::return_(sp, self.opt_expr(x.value.as_deref())?),
            S::Delete(x) => make::delete(sp, self.exprs(&x.targets)?),
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
                make::assign(sp, self.exprs(&x.targets)?, self.expr_v(&x.value)?, tc)
            }
            S::TypeAlias(x) => make::type_alias(
                sp,
                self.expr_v(&x.name)?,
                self.type_params(&x.type_params)?,
                self.expr_v(&x.value)?,
            ),
            S::AugAssign(x) => make::aug_assign(
                sp,
                self.expr_v(&x.target)?,
                operator(&x.op),
                self.expr_v(&x.value)?,
            ),
            S::AnnAssign(x) => make::ann_assign(
                sp,
                self.expr_v(&x.target)?,
                self.expr_v(&x.annotation)?,
                self.opt_expr(x.value.as_deref())?,
                AstValue::Int(
                    (x.simple
                        && x.target.is_name_expr()
                        && self.text.as_bytes().get(x.range.start().to_usize()) != Some(&b'('))
                        as i64,
                ),
            ),
            S::For(x) => {
                // Claimed before the target and the body are converted.
                let tc = self.claim_after(x.iter.range().end().to_usize(), b":");
                make::for_(
                    sp,
                    self.expr_v(&x.target)?,
                    self.expr_v(&x.iter)?,
                    self.stmts(&x.body)?,
                    self.stmts(&x.orelse)?,
                    tc,
                )
            }
            S::AsyncFor(x) => {
                let tc = self.claim_after(x.iter.range().end().to_usize(), b":");
                make::async_for(
                    sp,
                    self.expr_v(&x.target)?,
                    self.expr_v(&x.iter)?,
                    self.stmts(&x.body)?,
                    self.stmts(&x.orelse)?,
                    tc,
                )
            }
            S::While(x) => make::while_(
                sp,
                self.expr_v(&x.test)?,
                self.stmts(&x.body)?,
                self.stmts(&x.orelse)?,
            ),
            S::If(x) => make::if_(
                sp,
                self.expr_v(&x.test)?,
                self.stmts(&x.body)?,
                self.stmts(&x.orelse)?,
            ),
            S::With(x) => {
                // Claimed before the items and the body are converted.
                let tc = self.claim_with(&x.items);
                make::with(sp, self.withitems(&x.items)?, self.stmts(&x.body)?, tc)
            }
            S::AsyncWith(x) => {
                let tc = self.claim_with(&x.items);
                make::async_with(sp, self.withitems(&x.items)?, self.stmts(&x.body)?, tc)
            }
            S::Match(x) => {
                let mut cases = Vec::new();
                for c in &x.cases {
                    cases.push(v(make::match_case(
                        None,
                        v(self.pattern(&c.pattern)?),
                        self.opt_expr(c.guard.as_deref())?,
                        self.stmts(&c.body)?,
                    )));
                }
                make::match_(sp, self.expr_v(&x.subject)?, AstValue::List(cases))
            }
            S::Raise(x) => make::raise(
                sp,
                self.opt_expr(x.exc.as_deref())?,
                self.opt_expr(x.cause.as_deref())?,
            ),
            S::Try(x) => make::try_(
                sp,
                self.stmts(&x.body)?,
                self.handlers(&x.handlers)?,
                self.stmts(&x.orelse)?,
                self.stmts(&x.finalbody)?,
            ),
            S::TryStar(x) => make::try_star(
                sp,
                self.stmts(&x.body)?,
                self.handlers(&x.handlers)?,
                self.stmts(&x.orelse)?,
                self.stmts(&x.finalbody)?,
            ),
            S::Assert(x) => {
                make::assert(sp, self.expr_v(&x.test)?, self.opt_expr(x.msg.as_deref())?)
            }
            S::Import(x) => {
                let names = self.aliases(&x.names);
                let (lazy, sp) = self.lazy(sp);
                make::import(sp, names, self.is_lazy(lazy))
            }
            S::ImportFrom(x) => {
                let module = opt_s(x.module.as_ref());
                let names = self.aliases(&x.names);
                let level = AstValue::Int(x.level.as_ref().map_or(0, |l| l.to_u32()) as i64);
                let (lazy, sp) = self.lazy(sp);
                make::import_from(sp, module, names, level, self.is_lazy(lazy))
            }
            S::Global(x) => make::global(sp, strs(&x.names)),
            S::Nonlocal(x) => make::nonlocal(sp, strs(&x.names)),
            S::Expr(x) => make::expr(sp, self.expr_v(&x.value)?),
            S::Pass(_) => make::pass(sp),
            S::Break(_) => make::break_(sp),
            S::Continue(_) => make::continue_(sp),
        })
    }

    /// An import's `is_lazy` field: 3.15 has it.
    fn is_lazy(&self, lazy: i64) -> AstValue {
        if self.version.profile().has_lazy_imports {
            AstValue::Int(lazy)
        } else {
            AstValue::None
        }
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
                    v(make::alias(
                        span(a.range),
                        s(a.name.as_str()),
                        opt_s(a.asname.as_ref()),
                    ))
                })
                .collect(),
        )
    }

    fn handlers(&mut self, hs: &[ast::ExceptHandler]) -> R<AstValue> {
        let mut out = Vec::new();
        for h in hs {
            let ast::ExceptHandler::ExceptHandler(h) = h;
            out.push(v(make::except_handler(
                span(h.range),
                self.handler_type(h)?,
                opt_s(h.name.as_ref()),
                self.stmts(&h.body)?,
            )));
        }
        Ok(AstValue::List(out))
    }

    /// An `except` clause's type; PEP 758's unparenthesized types cannot take `as`.
    fn handler_type(&mut self, h: &ast::ExceptHandlerExceptHandler) -> R<AstValue> {
        // Looked up first: converting the type consumes its region.
        let region = h.type_.as_deref().and_then(|t| {
            let at = t.range().start().to_usize() + 1;
            self.regions
                .get(&at)
                .or(self.regions.get(&(at - 1)))
                .copied()
        });
        let ty = self.opt_expr(h.type_.as_deref())?;
        if h.name.is_some() {
            if let Some(r) = region {
                let b = self.text.as_bytes();
                // The span runs to the end of the name after `as`.
                let mut e = r.end;
                while e < b.len() && !super::scan::is_ident(b[e]) {
                    e += 1;
                }
                e += 2;
                while e < b.len() && !super::scan::is_ident(b[e]) {
                    e += 1;
                }
                while e < b.len() && super::scan::is_ident(b[e]) {
                    e += 1;
                }
                return Err(ConvertError::Invalid(super::validate::Invalid {
                    msg: "multiple exception types must be parenthesized when using 'as'".into(),
                    span: Some(Span::new(r.start, e)),
                }));
            }
        }
        Ok(ty)
    }

    fn withitems(&mut self, items: &[ast::WithItem]) -> R<AstValue> {
        let mut out = Vec::new();
        for it in items {
            out.push(v(make::with_item(
                None,
                self.expr_v(&it.context_expr)?,
                self.opt_expr(it.optional_vars.as_deref())?,
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
            out.push(v(make::keyword(
                span(k.range),
                opt_s(k.arg.as_ref()),
                self.expr_v(&k.value)?,
            )));
        }
        Ok(AstValue::List(out))
    }

    fn type_params(&mut self, ps: &[ast::TypeParam]) -> R<AstValue> {
        let mut out = Vec::new();
        for p in ps {
            let (mut n, default_at) = match p {
                ast::TypeParam::TypeVar(t) => (
                    make::type_var(
                        span(t.range),
                        s(t.name.as_str()),
                        self.opt_expr(t.bound.as_deref())?,
                        AstValue::None,
                    ),
                    super::TypeVar::DEFAULT_VALUE,
                ),
                ast::TypeParam::ParamSpec(t) => (
                    make::param_spec(span(t.range), s(t.name.as_str()), AstValue::None),
                    super::ParamSpec::DEFAULT_VALUE,
                ),
                ast::TypeParam::TypeVarTuple(t) => (
                    make::type_var_tuple(span(t.range), s(t.name.as_str()), AstValue::None),
                    super::TypeVarTuple::DEFAULT_VALUE,
                ),
            };
            // PEP 696: a blanked-out `= default` right after the parameter.
            if let Some(end) = n.span.map(|sp| sp.end as usize) {
                let b = self.text.as_bytes();
                let mut k = end;
                while k < b.len() && (b[k].is_ascii_whitespace() || b[k] == b'\\') {
                    k += 1;
                }
                if let Some(r) = self.regions.remove(&k) {
                    let default = self.region(r)?;
                    if let (Some(sp), Some(d)) = (n.span, default.span) {
                        n.span = Some(Span::new(sp.start as usize, d.end as usize));
                    }
                    n.fields[default_at] = v(default);
                }
            }
            out.push(v(n));
        }
        Ok(AstValue::List(out))
    }

    fn arg(&mut self, a: &ast::Arg) -> R<AstNode> {
        Ok(make::arg(
            span(a.range),
            s(a.arg.as_str()),
            self.opt_expr(a.annotation.as_deref())?,
            AstValue::None,
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
        // (the field of `n` that holds the parameter, its index in a list field, its end)
        let mut claims: Vec<(usize, usize, usize)> = Vec::new();
        for (field, list) in [
            (super::Arguments::POSONLYARGS, &a.posonlyargs),
            (super::Arguments::ARGS, &a.args),
            (super::Arguments::KWONLYARGS, &a.kwonlyargs),
        ] {
            for (i, p) in list.iter().enumerate() {
                claims.push((field, i, ends(p)));
            }
        }
        if let Some(x) = &a.vararg {
            claims.push((super::Arguments::VARARG, 0, x.range.end().to_usize()));
        }
        if let Some(x) = &a.kwarg {
            claims.push((super::Arguments::KWARG, 0, x.range.end().to_usize()));
        }
        for (field, i, end) in claims {
            let tc = self.claim_after(end, b",");
            if matches!(tc, AstValue::None) {
                continue;
            }
            let target = match &mut n.fields[field] {
                AstValue::List(items) => items.get_mut(i),
                other => Some(other),
            };
            if let Some(AstValue::Node(argn)) = target {
                argn.fields[super::Arg::TYPE_COMMENT] = tc;
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
        Ok(make::arguments(
            None,
            AstValue::List(posonly),
            AstValue::List(args),
            self.opt_arg(a.vararg.as_deref())?,
            AstValue::List(kwonly),
            AstValue::List(kw_defaults),
            self.opt_arg(a.kwarg.as_deref())?,
            AstValue::List(defaults),
        ))
    }

    fn comprehensions(&mut self, gs: &[ast::Comprehension]) -> R<AstValue> {
        let mut out = Vec::new();
        for g in gs {
            out.push(v(make::comprehension(
                None,
                self.expr_v(&g.target)?,
                self.expr_v(&g.iter)?,
                self.exprs(&g.ifs)?,
                AstValue::Int(g.is_async as i64),
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
            P::MatchValue(x) => make::match_value(sp, self.expr_v(&x.value)?),
            P::MatchSingleton(x) => make::match_singleton(sp, AstValue::Const(constant(&x.value))),
            P::MatchSequence(x) => make::match_sequence(sp, self.patterns(&x.patterns)?),
            P::MatchMapping(x) => make::match_mapping(
                sp,
                self.exprs(&x.keys)?,
                self.patterns(&x.patterns)?,
                opt_s(x.rest.as_ref()),
            ),
            P::MatchClass(x) => make::match_class(
                sp,
                self.expr_v(&x.cls)?,
                self.patterns(&x.patterns)?,
                strs(&x.kwd_attrs),
                self.patterns(&x.kwd_patterns)?,
            ),
            P::MatchStar(x) => make::match_star(sp, opt_s(x.name.as_ref())),
            // A region's placeholder `(_)` reads as a wildcard. Plain strings get a string
            // placeholder instead, so what stands here is an f-string or t-string run, which
            // no pattern may hold.
            P::MatchAs(x)
                if x.pattern.is_none()
                    && x.name.is_none()
                    && self.regions.contains_key(&x.range.start().to_usize()) =>
            {
                return Err(ConvertError::Unsupported {
                    offset: x.range.start().to_usize(),
                    what: "an f-string or t-string in a pattern",
                });
            }
            P::MatchAs(x) => {
                let pat = match &x.pattern {
                    Some(p) => v(self.pattern(p)?),
                    None => AstValue::None,
                };
                make::match_as(sp, pat, opt_s(x.name.as_ref()))
            }
            P::MatchOr(x) => make::match_or(sp, self.patterns(&x.patterns)?),
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
            E::BoolOp(x) => make::bool_op(
                sp,
                v(match x.op {
                    ast::BoolOp::And => make::and(),
                    ast::BoolOp::Or => make::or(),
                }),
                self.exprs(&x.values)?,
            ),
            E::NamedExpr(x) => {
                make::named_expr(sp, self.expr_v(&x.target)?, self.expr_v(&x.value)?)
            }
            E::BinOp(x) => make::bin_op(
                sp,
                self.expr_v(&x.left)?,
                operator(&x.op),
                self.expr_v(&x.right)?,
            ),
            E::UnaryOp(x) => make::unary_op(
                sp,
                v(match x.op {
                    ast::UnaryOp::Invert => make::invert(),
                    ast::UnaryOp::Not => make::not(),
                    ast::UnaryOp::UAdd => make::u_add(),
                    ast::UnaryOp::USub => make::u_sub(),
                }),
                self.expr_v(&x.operand)?,
            ),
            E::Lambda(x) => make::lambda(sp, v(self.arguments(&x.args)?), self.expr_v(&x.body)?),
            E::IfExp(x) => make::if_exp(
                sp,
                self.expr_v(&x.test)?,
                self.expr_v(&x.body)?,
                self.expr_v(&x.orelse)?,
            ),
            E::Dict(x) => {
                let mut keys = Vec::new();
                for k in &x.keys {
                    keys.push(self.opt_expr(k.as_ref())?);
                }
                make::dict(sp, AstValue::List(keys), self.exprs(&x.values)?)
            }
            E::Set(x) => make::set(sp, self.exprs(&x.elts)?),
            E::ListComp(x) => make::list_comp(
                sp,
                self.expr_v(&x.elt)?,
                self.comprehensions(&x.generators)?,
            ),
            E::SetComp(x) => {
                let mut elt = self.expr(&x.elt)?;
                let generators = self.comprehensions(&x.generators)?;
                if super::newsyntax::is_double_star(&elt) {
                    // 3.15's `{**d for d in ds}` (PEP 798).
                    let key =
                        std::mem::replace(&mut elt.fields[super::Starred::VALUE], AstValue::None);
                    make::dict_comp(sp, key, AstValue::None, generators)
                } else {
                    make::set_comp(sp, v(elt), generators)
                }
            }
            E::DictComp(x) => make::dict_comp(
                sp,
                self.expr_v(&x.key)?,
                self.expr_v(&x.value)?,
                self.comprehensions(&x.generators)?,
            ),
            E::GeneratorExp(x) => make::generator_exp(
                sp,
                self.expr_v(&x.elt)?,
                self.comprehensions(&x.generators)?,
            ),
            E::Await(x) => make::await_(sp, self.expr_v(&x.value)?),
            E::Yield(x) => make::yield_(sp, self.opt_expr(x.value.as_deref())?),
            E::YieldFrom(x) => make::yield_from(sp, self.expr_v(&x.value)?),
            E::Compare(x) => make::compare(
                sp,
                self.expr_v(&x.left)?,
                AstValue::List(x.ops.iter().map(cmpop).collect()),
                self.exprs(&x.comparators)?,
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
                        if g.kind == NodeKind::GeneratorExp {
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
                make::call(sp, self.expr_v(&x.func)?, args, self.keywords(&x.keywords)?)
            }
            // The scan gives every f-string and t-string to `newsyntax`; rustpython's
            // own f-string nodes never reach here.
            E::FormattedValue(x) => {
                return Err(ConvertError::Unsupported {
                    offset: x.range.start().to_usize(),
                    what: "this f-string",
                })
            }
            E::JoinedStr(x) => {
                return Err(ConvertError::Unsupported {
                    offset: x.range.start().to_usize(),
                    what: "this f-string",
                })
            }
            // A run of plain strings the parser could not read, read by `newsyntax`.
            E::Constant(x)
                if matches!(x.value, ast::Constant::Str(_))
                    && self.regions.contains_key(&x.range.start().to_usize()) =>
            {
                let at = x.range.start().to_usize();
                match self.regions.remove(&at) {
                    Some(r) => self.region(r)?,
                    None => {
                        return Err(ConvertError::Unsupported {
                            offset: at,
                            what: "this string",
                        })
                    }
                }
            }
            E::Constant(x) => {
                if matches!(x.value, ast::Constant::Str(_) | ast::Constant::Bytes(_)) {
                    if let Some(sp) = sp {
                        self.plain_string_warnings(sp.start as usize, sp.end as usize);
                    }
                }
                let kind = match &x.kind {
                    Some(k) => s(k),
                    None => AstValue::None,
                };
                make::constant(sp, AstValue::Const(constant(&x.value)), kind)
            }
            E::Attribute(x) => {
                make::attribute(sp, self.expr_v(&x.value)?, s(x.attr.as_str()), ctx(&x.ctx))
            }
            E::Subscript(x) => {
                let mut slice = self.expr(&x.slice)?;
                if slice.kind == NodeKind::Starred {
                    // `a[*b]` is a one-element tuple in CPython.
                    let sspan = slice.span;
                    slice = make::tuple(sspan, AstValue::List(vec![v(slice)]), v(make::load()));
                }
                make::subscript(sp, self.expr_v(&x.value)?, v(slice), ctx(&x.ctx))
            }
            E::Starred(x) => make::starred(sp, self.expr_v(&x.value)?, ctx(&x.ctx)),
            // A placeholder stands for its region once; the region's own expression may
            // start at the same offset.
            E::Name(x) => match self.regions.remove(&x.range.start().to_usize()) {
                Some(r) => self.region(r)?,
                None => make::name(sp, s(x.id.as_str()), ctx(&x.ctx)),
            },
            E::List(x) => make::list(sp, self.exprs(&x.elts)?, ctx(&x.ctx)),
            E::Tuple(x) => make::tuple(sp, self.exprs(&x.elts)?, ctx(&x.ctx)),
            E::Slice(x) => make::slice(
                sp,
                self.opt_expr(x.lower.as_deref())?,
                self.opt_expr(x.upper.as_deref())?,
                self.opt_expr(x.step.as_deref())?,
            ),
        })
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
                // From the prefix, so f-strings reusing their quotes are skipped whole.
                let mut p = i;
                while p > s && b[p - 1].is_ascii_alphabetic() {
                    p -= 1;
                }
                let tok = super::newsyntax::string_token(b, p)
                    .or_else(|| super::newsyntax::string_token(b, i));
                i = tok.map_or(e, |t| t.end);
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

//! The first pass (`symtable_visit_*`): open the scopes and record the raw facts about every
//! name, in CPython's visiting order (which fixes the order of `ste_symbols`, `ste_children` and
//! `ste_varnames`).

use super::flags::*;
use super::{
    default_key, mangle, type_params_key, BlockType, ComprehensionType, Loc, Scope, ScopeId,
    SymbolTable,
};
use cpyviz_model::ast::{
    Alias, AnnAssign, AnyFunctionDef, Arg, Arguments, ClassDef, Comprehension, ConstantExpr,
    ExceptHandler, Expr, ExprContext, ExprStmt, ImportFrom, Keyword, MatchCase, Module, Name,
    NodeKind, Nodes, Pattern, Stmt, Strs, TypeAlias, TypeParam, WithItem,
};
use cpyviz_model::error::{PyError, PyErrorKind};
use cpyviz_model::source::Source;
use cpyviz_model::version::PyVersion;
use cpyviz_syntax::ast::{AstNode, Constant};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

type R<T = ()> = Result<T, PyError>;

/// Per-scope state that only matters while visiting.
#[derive(Default, Clone)]
struct Transient {
    comp_iter_target: bool,
    comp_iter_expr: u32,
    in_conditional_block: bool,
    in_unevaluated_annotation: bool,
    /// Shared between a generic class's type-parameter scope and the scopes opened in it.
    mangled_names: Option<Rc<RefCell<HashSet<String>>>>,
    /// What a TypeVariable scope evaluates ("a TypeVar bound", …), for error messages.
    scope_info: Option<&'static str>,
}

struct Builder<'a> {
    src: &'a Source,
    version: PyVersion,
    scopes: Vec<Scope>,
    extra: Vec<Transient>,
    by_node: HashMap<usize, ScopeId>,
    stack: Vec<ScopeId>,
    cur: ScopeId,
    private: Option<String>,
    future_annotations: bool,
    /// Where the leading `from __future__ import …` statements end (`ff_location`).
    future_end: Option<Loc>,
    /// How many `try` statements the visit is in (3.15's lazy imports may not be).
    try_depth: u32,
}

/// Runs the first pass over a `Module` node.
pub(super) fn collect(module: &AstNode, src: &Source, version: PyVersion) -> R<SymbolTable> {
    let mut b = Builder {
        src,
        version,
        scopes: Vec::new(),
        extra: Vec::new(),
        by_node: HashMap::new(),
        stack: Vec::new(),
        cur: 0,
        private: None,
        future_annotations: false,
        future_end: None,
        try_depth: 0,
    };
    let body = Module::cast(module).map_or_else(Nodes::default, |m| m.body());
    b.scan_future(body)?;
    b.enter_block("top", BlockType::Module, addr(module), Loc::default())?;
    if docstring(body) {
        b.scopes[0].has_docstring = true;
    }
    for s in body {
        b.stmt(s)?;
    }
    b.exit_block();
    for (scope, extra) in b.scopes.iter_mut().zip(&b.extra) {
        if let Some(set) = &extra.mangled_names {
            let mut names: Vec<String> = set.borrow().iter().cloned().collect();
            names.sort();
            scope.mangled_names = Some(names);
        }
    }
    Ok(SymbolTable {
        scopes: b.scopes,
        by_node: b.by_node,
    })
}

fn addr(n: &AstNode) -> usize {
    n as *const AstNode as usize
}

/// `_PyAST_GetDocString`: the body starts with a string-constant expression statement.
fn docstring(body: Nodes) -> bool {
    body.first().is_some_and(is_docstring)
}

/// A string-constant expression statement.
fn is_docstring(s: &AstNode) -> bool {
    ExprStmt::cast(s)
        .and_then(|e| ConstantExpr::cast(e.value()))
        .is_some_and(|c| matches!(c.value(), Constant::Str(_)))
}

impl Builder<'_> {
    // ----- locations and errors -------------------------------------------------------------

    fn loc(&self, n: &AstNode) -> Loc {
        match n.span {
            Some(sp) => {
                let (l, c) = self.src.line_col(sp.start as usize);
                let (el, ec) = self.src.line_col(sp.end as usize);
                Loc {
                    lineno: l as u32,
                    col: c as u32,
                    end_lineno: el as u32,
                    end_col: ec as u32,
                }
            }
            None => Loc::default(),
        }
    }

    fn error(&self, msg: impl Into<String>, loc: Loc) -> PyError {
        syntax_error(self.src, msg, loc)
    }

    // ----- future features ------------------------------------------------------------------

    /// `_PyFuture_FromAST`: the `from __future__ import` statements at the top of the module
    /// (after an optional docstring), each feature checked (`future_check_features`).
    fn scan_future(&mut self, body: Nodes) -> R {
        /// The features `Lib/__future__.py` defines (all but `annotations` are no-ops now;
        /// `barry_as_FLUFL` would change the parse, which the built-in parser does not model).
        const FEATURES: [&str; 10] = [
            "nested_scopes",
            "generators",
            "division",
            "absolute_import",
            "with_statement",
            "print_function",
            "unicode_literals",
            "barry_as_FLUFL",
            "generator_stop",
            "annotations",
        ];
        for (i, s) in body.iter().enumerate() {
            if i == 0 && is_docstring(s) {
                continue;
            }
            match ImportFrom::cast(s) {
                Some(f) if f.module() == Some("__future__") && f.level().unwrap_or(0) == 0 => {
                    for a in f.names() {
                        let name = Alias(a).name();
                        if name == "braces" {
                            return Err(self.error("not a chance", self.loc(a)));
                        }
                        if !FEATURES.contains(&name) {
                            let name: String = name.chars().take(100).collect();
                            return Err(self.error(
                                format!("future feature {name} is not defined"),
                                self.loc(a),
                            ));
                        }
                        if name == "annotations" {
                            self.future_annotations = true;
                        }
                    }
                    self.future_end = Some(self.loc(s));
                }
                _ => break,
            }
        }
        Ok(())
    }

    // ----- blocks ---------------------------------------------------------------------------

    /// `ste_new`: a scope opened under the current one, registered under `key`, not yet entered.
    fn new_scope(&mut self, name: &str, kind: BlockType, key: usize, loc: Loc) -> ScopeId {
        let id = self.scopes.len();
        let mut s = Scope::new(name.to_string(), kind, loc);
        if let Some(&cur) = self.stack.last() {
            let c = &self.scopes[cur];
            s.nested = c.nested || c.is_function_like();
            s.method = c.kind == BlockType::Class && kind == BlockType::Function;
            s.parent = Some(cur);
        }
        s.private = self.private.clone();
        s.key = key;
        self.scopes.push(s);
        self.extra.push(Transient::default());
        self.by_node.insert(key, id);
        id
    }

    /// `symtable_enter_existing_block`.
    fn enter_existing(&mut self, id: ScopeId, add_to_children: bool) {
        let prev = self.stack.last().copied();
        self.stack.push(id);
        if let Some(p) = prev {
            self.extra[id].comp_iter_expr = self.extra[p].comp_iter_expr;
            if self.extra[p].mangled_names.is_some() && self.scopes[id].kind != BlockType::Class {
                self.extra[id].mangled_names = self.extra[p].mangled_names.clone();
            }
        }
        self.cur = id;
        if self.future_annotations && self.scopes[id].kind == BlockType::Annotation {
            return;
        }
        if let (Some(p), true) = (prev, add_to_children) {
            self.scopes[p].children.push(id);
        }
    }

    /// `symtable_enter_block`: a new scope, entered; annotation-like scopes get their implicit
    /// `.format` parameter.
    fn enter_block(&mut self, name: &str, kind: BlockType, key: usize, loc: Loc) -> R<ScopeId> {
        let id = self.new_scope(name, kind, key, loc);
        self.enter_existing(id, true);
        if matches!(
            kind,
            BlockType::Annotation | BlockType::TypeVariable | BlockType::TypeAlias
        ) {
            self.add_def(".format", DEF_PARAM, loc)?;
            self.add_def(".format", USE, loc)?;
        }
        Ok(id)
    }

    fn exit_block(&mut self) {
        self.stack.pop();
        if let Some(&top) = self.stack.last() {
            self.cur = top;
        }
    }

    fn cur(&self) -> &Scope {
        &self.scopes[self.cur]
    }
    fn cur_mut(&mut self) -> &mut Scope {
        &mut self.scopes[self.cur]
    }

    // ----- names ----------------------------------------------------------------------------

    /// `_Py_MaybeMangle`: in a generic class's type-parameter scope only the type parameters are
    /// mangled.
    fn maybe_mangle(&self, ste: ScopeId, name: &str) -> String {
        if let Some(set) = &self.extra[ste].mangled_names {
            if !set.borrow().contains(name) {
                return name.to_string();
            }
        }
        mangle(self.private.as_deref(), name)
    }

    fn lookup_in(&self, ste: ScopeId, name: &str) -> u32 {
        self.scopes[ste].flags(&self.maybe_mangle(ste, name))
    }

    fn lookup(&self, name: &str) -> u32 {
        self.lookup_in(self.cur, name)
    }

    fn check_name(&self, name: &str, loc: Loc, ctx: ExprContext) -> R {
        if name == "__debug__" {
            match ctx {
                ExprContext::Store => return Err(self.error("cannot assign to __debug__", loc)),
                ExprContext::Del => return Err(self.error("cannot delete __debug__", loc)),
                ExprContext::Load => {}
            }
        }
        Ok(())
    }

    fn add_def(&mut self, name: &str, flag: u32, loc: Loc) -> R {
        let ctx = if flag == USE {
            ExprContext::Load
        } else {
            ExprContext::Store
        };
        self.add_def_ctx(name, flag, loc, ctx)
    }

    fn add_def_ctx(&mut self, name: &str, flag: u32, loc: Loc, ctx: ExprContext) -> R {
        if flag & (DEF_PARAM | DEF_LOCAL | DEF_IMPORT) != 0 {
            self.check_name(name, loc, ctx)?;
        }
        if flag & DEF_TYPE_PARAM != 0 {
            if let Some(set) = &self.extra[self.cur].mangled_names {
                set.borrow_mut().insert(name.to_string());
            }
        }
        self.add_def_helper(name, flag, self.cur, loc)
    }

    /// `symtable_add_def_helper`: records `flag` for `name` in scope `ste` (mangled as in the
    /// current scope).
    fn add_def_helper(&mut self, name: &str, flag: u32, ste: ScopeId, loc: Loc) -> R {
        let mangled = self.maybe_mangle(self.cur, name);
        let old = self.scopes[ste].symbol(&mangled).map(|s| s.flags);
        let mut val = match old {
            Some(v) => {
                if flag & DEF_PARAM != 0 && v & DEF_PARAM != 0 {
                    return Err(self.error(
                        format!(
                            "{} '{name}' in function definition",
                            self.version.profile().duplicate_param_error
                        ),
                        loc,
                    ));
                }
                if flag & DEF_TYPE_PARAM != 0 && v & DEF_TYPE_PARAM != 0 {
                    return Err(self.error(format!("duplicate type parameter '{name}'"), loc));
                }
                v | flag
            }
            None => flag,
        };
        if self.extra[ste].comp_iter_target {
            if val & (DEF_GLOBAL | DEF_NONLOCAL) != 0 {
                return Err(self.error(
                    format!(
                        "comprehension inner loop cannot rebind assignment expression target '{name}'"
                    ),
                    loc,
                ));
            }
            val |= DEF_COMP_ITER;
        }
        self.scopes[ste].entry(&mangled, 0).flags = val;
        if flag & DEF_PARAM != 0 {
            self.scopes[ste].varnames.push(mangled);
        } else if flag & DEF_GLOBAL != 0 {
            self.scopes[0].entry(&mangled, 0).flags |= flag;
        }
        Ok(())
    }

    fn record_directive(&mut self, name: &str, loc: Loc) {
        let mangled = self.maybe_mangle(self.cur, name);
        self.cur_mut().directives.push((mangled, loc));
    }

    // ----- statements -----------------------------------------------------------------------

    fn stmts<'n>(&mut self, nodes: impl IntoIterator<Item = &'n AstNode>) -> R {
        for s in nodes {
            self.stmt(s)?;
        }
        Ok(())
    }

    fn exprs<'n>(&mut self, nodes: impl IntoIterator<Item = &'n AstNode>) -> R {
        for e in nodes {
            self.expr(e)?;
        }
        Ok(())
    }

    /// Visits an optional expression.
    fn opt_expr(&mut self, e: Option<&AstNode>) -> R {
        match e {
            Some(e) => self.expr(e),
            None => Ok(()),
        }
    }

    /// Visits `body` with `ste_in_conditional_block` set.
    fn conditional(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        let saved = self.extra[self.cur].in_conditional_block;
        let cur = self.cur;
        self.extra[cur].in_conditional_block = true;
        let r = f(self);
        self.extra[cur].in_conditional_block = saved;
        r
    }

    fn stmt(&mut self, s: &AstNode) -> R {
        let loc = self.loc(s);
        match Stmt::of(s) {
            Stmt::FunctionDef(f) => self.function_def(s, f.into(), loc)?,
            Stmt::AsyncFunctionDef(f) => self.function_def(s, f.into(), loc)?,
            Stmt::ClassDef(c) => self.class_def(c, loc)?,
            Stmt::TypeAlias(t) => self.type_alias(t, loc)?,
            Stmt::Return(r) => {
                if let Some(v) = r.value() {
                    self.expr(v)?;
                    self.cur_mut().returns_value = true;
                }
            }
            Stmt::Delete(d) => self.exprs(d.targets())?,
            Stmt::Assign(a) => {
                self.exprs(a.targets())?;
                self.expr(a.value())?;
            }
            Stmt::AugAssign(a) => {
                self.expr(a.target())?;
                self.expr(a.value())?;
            }
            Stmt::AnnAssign(a) => self.ann_assign(a, loc)?,
            Stmt::For(f) => {
                self.expr(f.target())?;
                self.expr(f.iter())?;
                self.conditional_bodies(f.body(), f.orelse())?;
            }
            Stmt::AsyncFor(f) => {
                self.raise_if_not_coroutine("'async for' outside async function", loc)?;
                self.expr(f.target())?;
                self.expr(f.iter())?;
                self.conditional_bodies(f.body(), f.orelse())?;
            }
            Stmt::While(w) => {
                self.expr(w.test())?;
                self.conditional_bodies(w.body(), w.orelse())?;
            }
            Stmt::If(i) => {
                self.expr(i.test())?;
                self.conditional_bodies(i.body(), i.orelse())?;
            }
            Stmt::Match(m) => {
                self.expr(m.subject())?;
                self.conditional(|b| {
                    for case in m.cases().iter().map(MatchCase) {
                        b.pattern(case.pattern())?;
                        b.opt_expr(case.guard())?;
                        b.stmts(case.body())?;
                    }
                    Ok(())
                })?;
            }
            Stmt::Raise(r) => {
                if let Some(exc) = r.exc() {
                    self.expr(exc)?;
                    self.opt_expr(r.cause())?;
                }
            }
            Stmt::Try(t) => self.try_stmt(t.body(), t.handlers(), t.orelse(), t.finalbody())?,
            Stmt::TryStar(t) => self.try_stmt(t.body(), t.handlers(), t.orelse(), t.finalbody())?,
            Stmt::Assert(a) => {
                self.expr(a.test())?;
                self.opt_expr(a.msg())?;
            }
            Stmt::Import(i) => {
                self.check_lazy_import(Stmt::Import(i), loc)?;
                for a in i.names() {
                    self.alias(a)?;
                }
            }
            Stmt::ImportFrom(f) => {
                self.check_lazy_import(Stmt::ImportFrom(f), loc)?;
                for a in f.names() {
                    self.alias(a)?;
                }
                self.check_import_from(f, loc)?;
            }
            Stmt::Global(g) => self.global_or_nonlocal(g.names(), true, loc)?,
            Stmt::Nonlocal(n) => self.global_or_nonlocal(n.names(), false, loc)?,
            Stmt::With(w) => self.with(w.items(), w.body())?,
            Stmt::AsyncWith(w) => {
                self.raise_if_not_coroutine("'async with' outside async function", loc)?;
                self.with(w.items(), w.body())?;
            }
            Stmt::Expr(e) => self.expr(e.value())?,
            Stmt::Pass(_) | Stmt::Break(_) | Stmt::Continue(_) => {}
        }
        Ok(())
    }

    /// The bodies of a loop or an `if`, visited with `ste_in_conditional_block` set.
    fn conditional_bodies(&mut self, body: Nodes, orelse: Nodes) -> R {
        self.conditional(|b| {
            b.stmts(body)?;
            b.stmts(orelse)
        })
    }

    /// A `try` or `try*` statement.
    fn try_stmt(&mut self, body: Nodes, handlers: Nodes, orelse: Nodes, finalbody: Nodes) -> R {
        self.in_try(|b| {
            b.stmts(body)?;
            for h in handlers.iter().map(ExceptHandler) {
                b.opt_expr(h.type_())?;
                if let Some(name) = h.name() {
                    let l = b.loc(h.node());
                    b.add_def(name, DEF_LOCAL, l)?;
                }
                b.stmts(h.body())?;
            }
            b.stmts(orelse)?;
            b.stmts(finalbody)
        })
    }

    /// A `with` or `async with` statement (conditional).
    fn with(&mut self, items: Nodes, body: Nodes) -> R {
        self.conditional(|b| {
            for item in items.iter().map(WithItem) {
                b.expr(item.context_expr())?;
                b.opt_expr(item.optional_vars())?;
            }
            b.stmts(body)
        })
    }

    /// The keyword arguments of a call or a class definition: the names first, then the
    /// values.
    fn keywords(&mut self, keywords: Nodes) -> R {
        for k in keywords {
            if let Some(arg) = Keyword(k).arg() {
                let l = self.loc(k);
                self.check_name(arg, l, ExprContext::Store)?;
            }
        }
        for k in keywords {
            self.expr(Keyword(k).value())?;
        }
        Ok(())
    }

    fn raise_if_not_coroutine(&self, msg: &str, loc: Loc) -> R {
        if !self.cur().coroutine {
            return Err(self.error(msg, loc));
        }
        Ok(())
    }

    fn function_def(&mut self, s: &AstNode, f: AnyFunctionDef, loc: Loc) -> R {
        let name = f.name();
        let args = f.args();
        self.add_def(name, DEF_LOCAL, loc)?;
        self.exprs(args.defaults())?;
        self.exprs(args.kw_defaults().iter().flatten())?;
        self.exprs(f.decorator_list())?;
        let generic = !f.type_params().is_empty();
        if generic {
            let has_kwdefaults = args.kw_defaults().iter().any(|d| d.is_some());
            self.enter_type_param_block(name, s, true, has_kwdefaults, false, loc)?;
            self.type_params(f.type_params())?;
        }
        let func = self.new_scope(name, BlockType::Function, addr(s), loc);
        if docstring(f.body()) {
            self.scopes[func].has_docstring = true;
        }
        self.annotations(args, f.returns(), loc)?;
        self.enter_existing(func, true);
        if f.is_async() {
            self.cur_mut().coroutine = true;
        }
        self.arguments(args)?;
        self.stmts(f.body())?;
        self.exit_block();
        if generic {
            self.exit_block();
        }
        Ok(())
    }

    fn class_def(&mut self, c: ClassDef, loc: Loc) -> R {
        let name = c.name();
        self.add_def(name, DEF_LOCAL, loc)?;
        self.exprs(c.decorator_list())?;
        let saved = self.private.clone();
        let generic = !c.type_params().is_empty();
        if generic {
            self.enter_type_param_block(name, c.node(), false, false, true, loc)?;
            self.private = Some(name.to_string());
            self.scopes[self.cur].private = self.private.clone();
            let set = Rc::new(RefCell::new(HashSet::new()));
            let cur = self.cur;
            self.extra[cur].mangled_names = Some(set);
            self.type_params(c.type_params())?;
        }
        self.exprs(c.bases())?;
        self.keywords(c.keywords())?;
        self.private = Some(name.to_string());
        self.enter_block(name, BlockType::Class, addr(c.node()), loc)?;
        if generic {
            self.add_def("__type_params__", DEF_LOCAL, loc)?;
            self.add_def(".type_params", USE, loc)?;
        }
        if docstring(c.body()) {
            self.cur_mut().has_docstring = true;
        }
        self.stmts(c.body())?;
        self.exit_block();
        if generic {
            self.exit_block();
        }
        self.private = saved;
        Ok(())
    }

    fn type_alias(&mut self, t: TypeAlias, loc: Loc) -> R {
        self.expr(t.name())?;
        let name = Name::cast(t.name()).map_or("", |n| n.id()).to_string();
        let in_class = self.cur().kind == BlockType::Class;
        let generic = !t.type_params().is_empty();
        if generic {
            self.enter_type_param_block(&name, t.node(), false, false, false, loc)?;
            self.type_params(t.type_params())?;
        }
        self.enter_block(&name, BlockType::TypeAlias, addr(t.node()), loc)?;
        self.cur_mut().can_see_class_scope = in_class;
        if in_class {
            let l = self.loc(t.value());
            self.add_def("__classdict__", USE, l)?;
        }
        self.expr(t.value())?;
        self.exit_block();
        if generic {
            self.exit_block();
        }
        Ok(())
    }

    fn ann_assign(&mut self, s: AnnAssign, loc: Loc) -> R {
        self.cur_mut().annotations_used = true;
        let simple = s.simple() != 0;
        let target = s.target();
        match Name::cast(target) {
            Some(t) => {
                let id = t.id();
                let cur = self.lookup(id);
                if cur & (DEF_GLOBAL | DEF_NONLOCAL) != 0 && self.cur != 0 && simple {
                    let msg = if cur & DEF_GLOBAL != 0 {
                        format!("annotated name '{id}' can't be global")
                    } else {
                        format!("annotated name '{id}' can't be nonlocal")
                    };
                    return Err(self.error(msg, loc));
                }
                let tl = self.loc(target);
                if simple {
                    self.add_def(id, DEF_ANNOT | DEF_LOCAL, tl)?;
                } else if s.value().is_some() {
                    self.add_def(id, DEF_LOCAL, tl)?;
                }
            }
            None => self.expr(target)?,
        }
        let key = self.scope_key(self.cur) + 1;
        self.annotation(s.annotation(), key)?;
        self.opt_expr(s.value())
    }

    /// The key a scope was registered under (`ste_id`).
    fn scope_key(&self, id: ScopeId) -> usize {
        self.scopes[id].key
    }

    fn global_or_nonlocal(&mut self, names: Strs, global: bool, loc: Loc) -> R {
        let word = if global { "global" } else { "nonlocal" };
        for name in names {
            let cur = self.lookup(name);
            if cur & (DEF_PARAM | DEF_LOCAL | USE | DEF_ANNOT) != 0 {
                let msg = if cur & DEF_PARAM != 0 {
                    format!("name '{name}' is parameter and {word}")
                } else if cur & USE != 0 {
                    format!("name '{name}' is used prior to {word} declaration")
                } else if cur & DEF_ANNOT != 0 {
                    format!("annotated name '{name}' can't be {word}")
                } else {
                    format!("name '{name}' is assigned to before {word} declaration")
                };
                return Err(self.error(msg, loc));
            }
            self.add_def(name, if global { DEF_GLOBAL } else { DEF_NONLOCAL }, loc)?;
            self.record_directive(name, loc);
        }
        Ok(())
    }

    fn alias(&mut self, node: &AstNode) -> R {
        let a = Alias(node);
        let name = a.asname().unwrap_or(a.name());
        let loc = self.loc(node);
        if name == "*" {
            if self.cur().kind != BlockType::Module {
                return Err(self.error("import * only allowed at module level", loc));
            }
            return Ok(());
        }
        let store = name.split('.').next().unwrap_or(name);
        self.add_def(store, DEF_IMPORT, loc)
    }

    /// 3.15 (PEP 810): where `lazy import` / `lazy from … import` may not stand.
    fn check_lazy_import(&self, s: Stmt, loc: Loc) -> R {
        let (is_lazy, what, star) = match s {
            Stmt::Import(i) => (i.is_lazy(), "lazy import", false),
            Stmt::ImportFrom(f) => (
                f.is_lazy(),
                "lazy from ... import",
                f.names().iter().any(|a| Alias(a).name() == "*"),
            ),
            _ => return Ok(()),
        };
        if !self.version.profile().has_lazy_imports || is_lazy.unwrap_or(0) == 0 {
            return Ok(());
        }
        let place = match self.cur().kind {
            BlockType::Function => Some("functions"),
            BlockType::Class => Some("classes"),
            _ if self.try_depth > 0 => Some("try/except blocks"),
            _ => None,
        };
        if let Some(place) = place {
            return Err(self.error(format!("{what} not allowed inside {place}"), loc));
        }
        if star {
            return Err(self.error("lazy from ... import * is not allowed", loc));
        }
        Ok(())
    }

    /// Visits a `try` statement: conditional, and counted for 3.15's lazy-import check.
    fn in_try(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        self.try_depth += 1;
        let r = self.conditional(f);
        self.try_depth -= 1;
        r
    }

    fn check_import_from(&self, s: ImportFrom, loc: Loc) -> R {
        if s.module() != Some("__future__") || s.level().unwrap_or(0) != 0 {
            return Ok(());
        }
        let late = match self.future_end {
            None => true,
            Some(f) => loc.lineno > f.lineno || (loc.lineno == f.end_lineno && loc.col > f.end_col),
        };
        if late {
            return Err(self.error(
                "from __future__ imports must occur at the beginning of the file",
                loc,
            ));
        }
        Ok(())
    }

    // ----- functions, annotations, type parameters ------------------------------------------

    /// `symtable_visit_arguments`: the parameters, in `co_varnames` order.
    fn arguments(&mut self, a: Arguments) -> R {
        for arg in a.posonlyargs().iter().chain(a.args()).chain(a.kwonlyargs()) {
            let l = self.loc(arg);
            self.add_def(Arg(arg).arg(), DEF_PARAM, l)?;
        }
        if let Some(v) = a.vararg() {
            let l = self.loc(v);
            self.add_def(Arg(v).arg(), DEF_PARAM, l)?;
            self.cur_mut().varargs = true;
        }
        if let Some(k) = a.kwarg() {
            let l = self.loc(k);
            self.add_def(Arg(k).arg(), DEF_PARAM, l)?;
            self.cur_mut().varkeywords = true;
        }
        Ok(())
    }

    /// `symtable_visit_annotations`: the `__annotate__` scope of a function's parameter and
    /// return annotations, opened in the current scope (keyed by the `arguments` node).
    fn annotations(&mut self, a: Arguments, returns: Option<&AstNode>, loc: Loc) -> R<ScopeId> {
        let in_class = self.cur().can_see_class_scope;
        let current = self.cur().kind;
        let id = self.enter_block("__annotate__", BlockType::Annotation, addr(a.node()), loc)?;
        if in_class || current == BlockType::Class {
            self.cur_mut().can_see_class_scope = true;
            self.add_def("__classdict__", USE, loc)?;
        }
        let ann = |b: &mut Self, arg: &AstNode| -> R {
            if let Some(e) = Arg(arg).annotation() {
                b.cur_mut().annotations_used = true;
                b.expr(e)?;
            }
            Ok(())
        };
        for arg in a.posonlyargs().iter().chain(a.args()) {
            ann(self, arg)?;
        }
        if let Some(v) = a.vararg() {
            ann(self, v)?;
        }
        if let Some(k) = a.kwarg() {
            ann(self, k)?;
        }
        for arg in a.kwonlyargs() {
            ann(self, arg)?;
        }
        if let Some(r) = returns {
            self.cur_mut().annotations_used = true;
            self.expr(r)?;
        }
        self.exit_block();
        Ok(id)
    }

    /// `symtable_visit_annotation`: an `AnnAssign`'s annotation, visited in the scope's
    /// `__annotate__` scope (opened at the first annotation).
    fn annotation(&mut self, annotation: &AstNode, key: usize) -> R {
        let aloc = self.loc(annotation);
        let unevaluated = self.cur().kind == BlockType::Function;
        let kind = self.cur().kind;
        if (kind == BlockType::Module
            || (kind == BlockType::Class && self.extra[self.cur].in_conditional_block))
            && !self.cur().has_conditional_annotations
        {
            self.cur_mut().has_conditional_annotations = true;
            self.add_def("__conditional_annotations__", USE, aloc)?;
        }
        let parent = self.cur;
        match self.scopes[parent].annotation_block {
            None => {
                let id = self.enter_block("__annotate__", BlockType::Annotation, key, aloc)?;
                self.scopes[parent].annotation_block = Some(id);
                if kind == BlockType::Class && !self.future_annotations {
                    self.cur_mut().can_see_class_scope = true;
                    self.add_def("__classdict__", USE, aloc)?;
                }
            }
            Some(id) => self.enter_existing(id, false),
        }
        let cur = self.cur;
        if unevaluated {
            self.extra[cur].in_unevaluated_annotation = true;
        }
        let r = self.expr(annotation);
        if unevaluated {
            self.extra[cur].in_unevaluated_annotation = false;
        }
        self.exit_block();
        r
    }

    /// `symtable_enter_type_param_block`.
    fn enter_type_param_block(
        &mut self,
        name: &str,
        owner: &AstNode,
        has_defaults: bool,
        has_kwdefaults: bool,
        is_class: bool,
        loc: Loc,
    ) -> R {
        let current = self.cur().kind;
        let key = type_params_key(owner).unwrap_or(0);
        self.enter_block(name, BlockType::TypeParameters, key, loc)?;
        if current == BlockType::Class {
            self.cur_mut().can_see_class_scope = true;
            self.add_def("__classdict__", USE, loc)?;
        }
        if is_class {
            self.add_def(".type_params", DEF_LOCAL, loc)?;
            self.add_def(".type_params", USE, loc)?;
            self.add_def(".generic_base", DEF_LOCAL, loc)?;
            self.add_def(".generic_base", USE, loc)?;
        }
        if has_defaults {
            self.add_def(".defaults", DEF_PARAM, loc)?;
        }
        if has_kwdefaults {
            self.add_def(".kwdefaults", DEF_PARAM, loc)?;
        }
        Ok(())
    }

    fn type_params(&mut self, type_params: Nodes) -> R {
        for tp in type_params {
            let loc = self.loc(tp);
            // The bound (TypeVar only: `Some(bound)`), the default and what it is.
            let (name, bound, default, what) = match TypeParam::of(tp) {
                TypeParam::TypeVar(v) => (
                    v.name(),
                    Some(v.bound()),
                    v.default_value(),
                    "a TypeVar default",
                ),
                TypeParam::TypeVarTuple(v) => {
                    (v.name(), None, v.default_value(), "a TypeVarTuple default")
                }
                TypeParam::ParamSpec(p) => {
                    (p.name(), None, p.default_value(), "a ParamSpec default")
                }
            };
            self.add_def(name, DEF_TYPE_PARAM | DEF_LOCAL, loc)?;
            if let Some(bound) = bound {
                let info = match bound {
                    Some(b) if b.kind == NodeKind::Tuple => "a TypeVar constraint",
                    _ => "a TypeVar bound",
                };
                self.bound_or_default(bound, name, tp, addr(tp), info)?;
            }
            self.bound_or_default(default, name, tp, default_key(tp), what)?;
        }
        Ok(())
    }

    fn bound_or_default(
        &mut self,
        e: Option<&AstNode>,
        name: &str,
        tp: &AstNode,
        key: usize,
        info: &'static str,
    ) -> R {
        if name == "__classdict__" {
            return Err(self.error(
                format!("reserved name '{name}' cannot be used for type parameter"),
                self.loc(tp),
            ));
        }
        let Some(e) = e else { return Ok(()) };
        let in_class = self.cur().can_see_class_scope;
        let eloc = self.loc(e);
        self.enter_block(name, BlockType::TypeVariable, key, eloc)?;
        self.cur_mut().can_see_class_scope = in_class;
        if in_class {
            self.add_def("__classdict__", USE, eloc)?;
        }
        let cur = self.cur;
        self.extra[cur].scope_info = Some(info);
        self.expr(e)?;
        self.exit_block();
        Ok(())
    }

    // ----- expressions ----------------------------------------------------------------------

    fn expr(&mut self, e: &AstNode) -> R {
        let loc = self.loc(e);
        match Expr::of(e) {
            Expr::BoolOp(b) => self.exprs(b.values())?,
            Expr::NamedExpr(n) => {
                self.raise_if_annotation_block("named expression", loc)?;
                if self.extra[self.cur].comp_iter_expr > 0 {
                    return Err(self.error(
                        "assignment expression cannot be used in a comprehension iterable expression",
                        loc,
                    ));
                }
                if self.cur().comprehension.is_some() {
                    self.extend_namedexpr_scope(n.target())?;
                }
                self.expr(n.value())?;
                self.expr(n.target())?;
            }
            Expr::BinOp(b) => {
                self.expr(b.left())?;
                self.expr(b.right())?;
            }
            Expr::UnaryOp(u) => self.expr(u.operand())?,
            Expr::Lambda(l) => {
                let a = Arguments(l.args());
                self.exprs(a.defaults())?;
                self.exprs(a.kw_defaults().iter().flatten())?;
                let name = self.comp_name("lambda");
                self.enter_block(&name, BlockType::Function, addr(e), loc)?;
                self.arguments(a)?;
                self.expr(l.body())?;
                self.exit_block();
            }
            Expr::IfExp(i) => {
                self.expr(i.test())?;
                self.expr(i.body())?;
                self.expr(i.orelse())?;
            }
            Expr::Dict(d) => {
                self.exprs(d.keys().iter().flatten())?;
                self.exprs(d.values())?;
            }
            Expr::Set(s) => self.exprs(s.elts())?,
            Expr::GeneratorExp(c) => {
                let kind = ComprehensionType::Generator;
                self.comprehension(e, kind, c.generators(), c.elt(), None, loc)?
            }
            Expr::ListComp(c) => {
                let kind = ComprehensionType::List;
                self.comprehension(e, kind, c.generators(), c.elt(), None, loc)?
            }
            Expr::SetComp(c) => {
                let kind = ComprehensionType::Set;
                self.comprehension(e, kind, c.generators(), c.elt(), None, loc)?
            }
            Expr::DictComp(c) => {
                let kind = ComprehensionType::Dict;
                self.comprehension(e, kind, c.generators(), c.key(), c.value(), loc)?
            }
            Expr::Yield(y) => self.yield_expr(y.value(), loc)?,
            Expr::YieldFrom(y) => self.yield_expr(Some(y.value()), loc)?,
            Expr::Await(a) => {
                self.raise_if_annotation_block("await expression", loc)?;
                if !self.cur().is_function_like() {
                    return Err(self.error("'await' outside function", loc));
                }
                let async_def = self.cur().kind == BlockType::Function && self.cur().coroutine;
                if !async_def && self.cur().comprehension.is_none() {
                    return Err(self.error("'await' outside async function", loc));
                }
                self.expr(a.value())?;
                self.cur_mut().coroutine = true;
            }
            Expr::Compare(c) => {
                self.expr(c.left())?;
                self.exprs(c.comparators())?;
            }
            Expr::Call(c) => {
                self.expr(c.func())?;
                self.exprs(c.args())?;
                self.keywords(c.keywords())?;
            }
            Expr::FormattedValue(f) => {
                self.expr(f.value())?;
                self.opt_expr(f.format_spec())?;
            }
            Expr::Interpolation(i) => {
                self.expr(i.value())?;
                self.opt_expr(i.format_spec())?;
            }
            Expr::JoinedStr(j) => self.exprs(j.values())?,
            Expr::TemplateStr(t) => self.exprs(t.values())?,
            Expr::Constant(_) => {}
            Expr::Attribute(a) => {
                self.check_name(a.attr(), loc, a.ctx())?;
                self.expr(a.value())?;
            }
            Expr::Subscript(s) => {
                self.expr(s.value())?;
                self.expr(s.slice())?;
            }
            Expr::Starred(s) => self.expr(s.value())?,
            Expr::Name(n) => {
                if !self.extra[self.cur].in_unevaluated_annotation {
                    let id = n.id();
                    let ctx = n.ctx();
                    let flag = if ctx == ExprContext::Load {
                        USE
                    } else {
                        DEF_LOCAL
                    };
                    self.add_def_ctx(id, flag, loc, ctx)?;
                    if ctx == ExprContext::Load && self.cur().is_function_like() && id == "super" {
                        self.add_def("__class__", USE, loc)?;
                    }
                }
            }
            Expr::List(l) => self.exprs(l.elts())?,
            Expr::Tuple(t) => self.exprs(t.elts())?,
            Expr::Slice(s) => {
                self.opt_expr(s.lower())?;
                self.opt_expr(s.upper())?;
                self.opt_expr(s.step())?;
            }
        }
        Ok(())
    }

    /// A `yield` or `yield from` expression.
    fn yield_expr(&mut self, value: Option<&AstNode>, loc: Loc) -> R {
        self.raise_if_annotation_block("yield expression", loc)?;
        self.opt_expr(value)?;
        self.cur_mut().generator = true;
        if let Some(c) = self.cur().comprehension {
            let msg = match c {
                ComprehensionType::List => "'yield' inside list comprehension",
                ComprehensionType::Set => "'yield' inside set comprehension",
                ComprehensionType::Dict => "'yield' inside dict comprehension",
                ComprehensionType::Generator => "'yield' inside generator expression",
            };
            return Err(self.error(msg, loc));
        }
        Ok(())
    }

    /// The name of a lambda or comprehension scope: `lambda` in 3.14, `<lambda>` in 3.15.
    fn comp_name(&self, base: &str) -> String {
        if self.version.profile().bracketed_scope_names {
            format!("<{base}>")
        } else {
            base.to_string()
        }
    }

    fn raise_if_annotation_block(&self, what: &str, loc: Loc) -> R {
        let msg = match self.cur().kind {
            BlockType::Annotation => format!("{what} cannot be used within an annotation"),
            BlockType::TypeVariable => format!(
                "{what} cannot be used within {}",
                self.extra[self.cur].scope_info.unwrap_or("a TypeVar bound")
            ),
            BlockType::TypeAlias => format!("{what} cannot be used within a type alias"),
            BlockType::TypeParameters => {
                format!("{what} cannot be used within the definition of a generic")
            }
            _ => return Ok(()),
        };
        Err(self.error(msg, loc))
    }

    /// `symtable_extend_namedexpr_scope`: a walrus in a comprehension binds in the nearest
    /// enclosing function (as nonlocal) or module (as global).
    fn extend_namedexpr_scope(&mut self, target: &AstNode) -> R {
        let name = Name::cast(target).map_or("", |n| n.id()).to_string();
        let loc = self.loc(target);
        for i in (0..self.stack.len()).rev() {
            let ste = self.stack[i];
            if self.scopes[ste].comprehension.is_some() {
                let f = self.lookup_in(ste, &name);
                if f & DEF_COMP_ITER != 0 && f & DEF_LOCAL != 0 {
                    return Err(self.error(
                        format!(
                            "assignment expression cannot rebind comprehension iteration variable '{name}'"
                        ),
                        loc,
                    ));
                }
                continue;
            }
            match self.scopes[ste].kind {
                BlockType::Function => {
                    let f = self.lookup_in(ste, &name);
                    if f & DEF_GLOBAL != 0 {
                        self.add_def(&name, DEF_GLOBAL, loc)?;
                    } else {
                        self.add_def(&name, DEF_NONLOCAL, loc)?;
                    }
                    self.record_directive(&name, loc);
                    return self.add_def_helper(&name, DEF_LOCAL, ste, loc);
                }
                BlockType::Module => {
                    self.add_def(&name, DEF_GLOBAL, loc)?;
                    self.record_directive(&name, loc);
                    return self.add_def_helper(&name, DEF_GLOBAL, ste, loc);
                }
                BlockType::Class => {
                    return Err(self.error(
                        "assignment expression within a comprehension cannot be used in a class body",
                        loc,
                    ))
                }
                BlockType::TypeParameters => {
                    return Err(self.error(
                        "assignment expression within a comprehension cannot be used within the definition of a generic",
                        loc,
                    ))
                }
                BlockType::TypeAlias => {
                    return Err(self.error(
                        "assignment expression within a comprehension cannot be used in a type alias",
                        loc,
                    ))
                }
                BlockType::TypeVariable => {
                    return Err(self.error(
                        "assignment expression within a comprehension cannot be used in a TypeVar bound",
                        loc,
                    ))
                }
                BlockType::Annotation => continue,
            }
        }
        Ok(())
    }

    /// `symtable_handle_comprehension`: the outermost iterable is evaluated in the current
    /// scope and passed in as `.0`; the rest runs in the comprehension's own scope. `elt` is
    /// the element (the key of a dict comprehension, whose `value` is visited first).
    fn comprehension(
        &mut self,
        e: &AstNode,
        kind: ComprehensionType,
        generators: Nodes,
        elt: &AstNode,
        value: Option<&AstNode>,
        loc: Loc,
    ) -> R {
        let base = match kind {
            ComprehensionType::List => "listcomp",
            ComprehensionType::Set => "setcomp",
            ComprehensionType::Dict => "dictcomp",
            ComprehensionType::Generator => "genexpr",
        };
        let is_generator = kind == ComprehensionType::Generator;
        let Some(outermost) = generators.first().map(Comprehension) else {
            return Ok(());
        };
        let cur = self.cur;
        self.extra[cur].comp_iter_expr += 1;
        let r = self.expr(outermost.iter());
        self.extra[cur].comp_iter_expr -= 1;
        r?;
        let name = self.comp_name(base);
        let id = self.enter_block(&name, BlockType::Function, addr(e), loc)?;
        self.scopes[id].comprehension = Some(kind);
        if outermost.is_async() != 0 {
            self.scopes[id].coroutine = true;
        }
        let sloc = Loc {
            lineno: self.scopes[id].lineno,
            col: self.scopes[id].col_offset,
            ..loc
        };
        self.add_def(".0", DEF_PARAM, sloc)?;
        self.extra[id].comp_iter_target = true;
        let r = self.expr(outermost.target());
        self.extra[id].comp_iter_target = false;
        r?;
        self.exprs(outermost.ifs())?;
        for g in generators.iter().skip(1).map(Comprehension) {
            self.extra[id].comp_iter_target = true;
            let r = self.expr(g.target());
            self.extra[id].comp_iter_target = false;
            r?;
            self.extra[id].comp_iter_expr += 1;
            let r = self.expr(g.iter());
            self.extra[id].comp_iter_expr -= 1;
            r?;
            self.exprs(g.ifs())?;
            if g.is_async() != 0 {
                self.scopes[id].coroutine = true;
            }
        }
        self.opt_expr(value)?;
        self.expr(elt)?;
        self.scopes[id].generator = is_generator;
        let is_async = self.scopes[id].coroutine && !is_generator;
        self.exit_block();
        let parent = self.cur();
        let async_def = parent.kind == BlockType::Function && parent.coroutine;
        if is_async && !async_def && parent.comprehension.is_none() {
            return Err(self.error(
                "asynchronous comprehension outside of an asynchronous function",
                loc,
            ));
        }
        if is_async {
            self.cur_mut().coroutine = true;
        }
        Ok(())
    }

    // ----- patterns -------------------------------------------------------------------------

    fn patterns(&mut self, patterns: Nodes) -> R {
        for p in patterns {
            self.pattern(p)?;
        }
        Ok(())
    }

    fn pattern(&mut self, p: &AstNode) -> R {
        let loc = self.loc(p);
        match Pattern::of(p) {
            Pattern::MatchValue(v) => self.expr(v.value())?,
            Pattern::MatchSingleton(_) => {}
            Pattern::MatchSequence(s) => self.patterns(s.patterns())?,
            Pattern::MatchOr(o) => self.patterns(o.patterns())?,
            Pattern::MatchStar(s) => {
                if let Some(n) = s.name() {
                    self.add_def(n, DEF_LOCAL, loc)?;
                }
            }
            Pattern::MatchMapping(m) => {
                self.exprs(m.keys())?;
                self.patterns(m.patterns())?;
                if let Some(n) = m.rest() {
                    self.add_def(n, DEF_LOCAL, loc)?;
                }
            }
            Pattern::MatchClass(c) => {
                self.expr(c.cls())?;
                self.patterns(c.patterns())?;
                for (a, q) in c.kwd_attrs().iter().zip(c.kwd_patterns()) {
                    let l = self.loc(q);
                    self.check_name(a, l, ExprContext::Store)?;
                }
                self.patterns(c.kwd_patterns())?;
            }
            Pattern::MatchAs(a) => {
                if let Some(q) = a.pattern() {
                    self.pattern(q)?;
                }
                if let Some(n) = a.name() {
                    self.add_def(n, DEF_LOCAL, loc)?;
                }
            }
        }
        Ok(())
    }
}

/// A `SyntaxError` at `loc` (CPython's `SET_ERROR_LOCATION`: the range of the node). As in
/// CPython, the offsets are the node's UTF-8 byte columns + 1, not character offsets.
pub(super) fn syntax_error(src: &Source, msg: impl Into<String>, loc: Loc) -> PyError {
    let err = PyError::new(PyErrorKind::SyntaxError, msg, src.path.clone());
    let line = loc.lineno as usize;
    if line == 0 || line > src.line_count() {
        return err;
    }
    let text = src.line_text(line).to_string();
    let end = Some((loc.end_lineno as usize, loc.end_col as usize + 1));
    err.at(line, loc.col as usize + 1, end, text)
}

//! The first pass (`symtable_visit_*`): open the scopes and record the raw facts about every
//! name, in CPython's visiting order (which fixes the order of `ste_symbols`, `ste_children` and
//! `ste_varnames`).

use super::flags::*;
use super::{
    default_key, mangle, type_params_key, BlockType, ComprehensionType, Loc, Scope, ScopeId,
    SymbolTable,
};
use cpyviz_model::ast::NodeKind;
use cpyviz_model::ast::{Category, FieldType};
use cpyviz_model::error::{PyError, PyErrorKind};
use cpyviz_model::source::Source;
use cpyviz_model::version::PyVersion;
use cpyviz_syntax::ast::{AstNode, AstValue, Constant};
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
    b.scan_future(module);
    b.enter_block("top", BlockType::Module, addr(module), Loc::default())?;
    let body: Vec<&AstNode> = module.nodes("body").collect();
    if docstring(&body) {
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
fn docstring(body: &[&AstNode]) -> bool {
    body.first().is_some_and(|s| {
        s.kind == NodeKind::Expr
            && s.node("value").is_some_and(|v| {
                v.kind == NodeKind::Constant && matches!(v.constant(), Some(Constant::Str(_)))
            })
    })
}

fn ctx_of(e: &AstNode) -> &str {
    e.node("ctx").map_or("Load", |c| c.kind.name())
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
    /// (after an optional docstring).
    fn scan_future(&mut self, module: &AstNode) {
        for (i, s) in module.nodes("body").enumerate() {
            if i == 0 && docstring(&[s]) {
                continue;
            }
            if s.kind == NodeKind::ImportFrom && s.str("module") == Some("__future__") {
                for a in s.nodes("names") {
                    if a.str("name") == Some("annotations") {
                        self.future_annotations = true;
                    }
                }
                self.future_end = Some(self.loc(s));
            } else {
                break;
            }
        }
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

    fn check_name(&self, name: &str, loc: Loc, ctx: &str) -> R {
        if name == "__debug__" {
            if ctx == "Store" {
                return Err(self.error("cannot assign to __debug__", loc));
            }
            if ctx == "Del" {
                return Err(self.error("cannot delete __debug__", loc));
            }
        }
        Ok(())
    }

    fn add_def(&mut self, name: &str, flag: u32, loc: Loc) -> R {
        let ctx = if flag == USE { "Load" } else { "Store" };
        self.add_def_ctx(name, flag, loc, ctx)
    }

    fn add_def_ctx(&mut self, name: &str, flag: u32, loc: Loc, ctx: &str) -> R {
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
                        format!("duplicate argument '{name}' in function definition"),
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

    fn stmts<'n>(&mut self, nodes: impl Iterator<Item = &'n AstNode>) -> R {
        for s in nodes {
            self.stmt(s)?;
        }
        Ok(())
    }

    fn exprs<'n>(&mut self, nodes: impl Iterator<Item = &'n AstNode>) -> R {
        for e in nodes {
            self.expr(e)?;
        }
        Ok(())
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
        match s.kind.name() {
            "FunctionDef" | "AsyncFunctionDef" => self.function_def(s, loc)?,
            "ClassDef" => self.class_def(s, loc)?,
            "TypeAlias" => self.type_alias(s, loc)?,
            "Return" => {
                if let Some(v) = s.node("value") {
                    self.expr(v)?;
                    self.cur_mut().returns_value = true;
                }
            }
            "AnnAssign" => self.ann_assign(s, loc)?,
            "For" | "AsyncFor" => {
                if s.kind == NodeKind::AsyncFor {
                    self.raise_if_not_coroutine("'async for' outside async function", loc)?;
                }
                self.expr_field(s, "target")?;
                self.expr_field(s, "iter")?;
                self.conditional(|b| {
                    b.stmts(s.nodes("body"))?;
                    b.stmts(s.nodes("orelse"))
                })?;
            }
            "While" | "If" => {
                self.expr_field(s, "test")?;
                self.conditional(|b| {
                    b.stmts(s.nodes("body"))?;
                    b.stmts(s.nodes("orelse"))
                })?;
            }
            "Match" => {
                self.expr_field(s, "subject")?;
                self.conditional(|b| {
                    for case in s.nodes("cases") {
                        b.pattern_field(case, "pattern")?;
                        b.expr_field(case, "guard")?;
                        b.stmts(case.nodes("body"))?;
                    }
                    Ok(())
                })?;
            }
            "Raise" => {
                if let Some(exc) = s.node("exc") {
                    self.expr(exc)?;
                    self.expr_field(s, "cause")?;
                }
            }
            "Try" | "TryStar" => self.in_try(|b| {
                b.stmts(s.nodes("body"))?;
                for h in s.nodes("handlers") {
                    b.expr_field(h, "type")?;
                    if let Some(name) = h.str("name") {
                        let l = b.loc(h);
                        b.add_def(name, DEF_LOCAL, l)?;
                    }
                    b.stmts(h.nodes("body"))?;
                }
                b.stmts(s.nodes("orelse"))?;
                b.stmts(s.nodes("finalbody"))
            })?,
            "Import" => {
                self.check_lazy_import(s, loc)?;
                for a in s.nodes("names") {
                    self.alias(a)?;
                }
            }
            "ImportFrom" => {
                self.check_lazy_import(s, loc)?;
                for a in s.nodes("names") {
                    self.alias(a)?;
                }
                self.check_import_from(s, loc)?;
            }
            "Global" | "Nonlocal" => self.global_or_nonlocal(s, loc)?,
            "With" | "AsyncWith" => {
                if s.kind == NodeKind::AsyncWith {
                    self.raise_if_not_coroutine("'async with' outside async function", loc)?;
                }
                self.conditional(|b| {
                    for item in s.nodes("items") {
                        b.expr_field(item, "context_expr")?;
                        b.expr_field(item, "optional_vars")?;
                    }
                    b.stmts(s.nodes("body"))
                })?;
            }
            // Assign, AugAssign, Delete, Expr, Assert, Pass, Break, Continue: their expressions
            // in field order.
            _ => self.children(s)?,
        }
        Ok(())
    }

    /// Visits every expression child of `n` in field order (for nodes without special rules).
    fn children(&mut self, n: &AstNode) -> R {
        for (field, v) in n.kind.fields().iter().zip(&n.fields) {
            if field.ty == FieldType::Node(Category::ExprContext) {
                continue;
            }
            self.value(v)?;
        }
        Ok(())
    }

    fn value(&mut self, v: &AstValue) -> R {
        match v {
            AstValue::Node(n) => self.expr(n),
            AstValue::List(l) => {
                for x in l {
                    self.value(x)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn expr_field(&mut self, n: &AstNode, field: &str) -> R {
        match n.node(field) {
            Some(e) => self.expr(e),
            None => Ok(()),
        }
    }

    fn raise_if_not_coroutine(&self, msg: &str, loc: Loc) -> R {
        if !self.cur().coroutine {
            return Err(self.error(msg, loc));
        }
        Ok(())
    }

    fn function_def(&mut self, s: &AstNode, loc: Loc) -> R {
        let name = s.str("name").unwrap_or("");
        self.add_def(name, DEF_LOCAL, loc)?;
        let args = s.node("args");
        if let Some(a) = args {
            self.exprs(a.nodes("defaults"))?;
            self.exprs(a.nodes("kw_defaults"))?;
        }
        self.exprs(s.nodes("decorator_list"))?;
        let generic = !s.list("type_params").is_empty();
        if generic {
            let has_kwdefaults = args.is_some_and(|a| a.nodes("kw_defaults").next().is_some());
            self.enter_type_param_block(name, s, true, has_kwdefaults, false, loc)?;
            self.type_params(s)?;
        }
        let func = self.new_scope(name, BlockType::Function, addr(s), loc);
        let body: Vec<&AstNode> = s.nodes("body").collect();
        if docstring(&body) {
            self.scopes[func].has_docstring = true;
        }
        if let Some(a) = args {
            self.annotations(a, s.node("returns"), loc)?;
        }
        self.enter_existing(func, true);
        if s.kind == NodeKind::AsyncFunctionDef {
            self.cur_mut().coroutine = true;
        }
        if let Some(a) = args {
            self.arguments(a)?;
        }
        self.stmts(body.into_iter())?;
        self.exit_block();
        if generic {
            self.exit_block();
        }
        Ok(())
    }

    fn class_def(&mut self, s: &AstNode, loc: Loc) -> R {
        let name = s.str("name").unwrap_or("");
        self.add_def(name, DEF_LOCAL, loc)?;
        self.exprs(s.nodes("decorator_list"))?;
        let saved = self.private.clone();
        let generic = !s.list("type_params").is_empty();
        if generic {
            self.enter_type_param_block(name, s, false, false, true, loc)?;
            self.private = Some(name.to_string());
            self.scopes[self.cur].private = self.private.clone();
            let set = Rc::new(RefCell::new(HashSet::new()));
            let cur = self.cur;
            self.extra[cur].mangled_names = Some(set);
            self.type_params(s)?;
        }
        self.exprs(s.nodes("bases"))?;
        for k in s.nodes("keywords") {
            if let Some(arg) = k.str("arg") {
                let l = self.loc(k);
                self.check_name(arg, l, "Store")?;
            }
        }
        for k in s.nodes("keywords") {
            self.expr_field(k, "value")?;
        }
        self.private = Some(name.to_string());
        self.enter_block(name, BlockType::Class, addr(s), loc)?;
        if generic {
            self.add_def("__type_params__", DEF_LOCAL, loc)?;
            self.add_def(".type_params", USE, loc)?;
        }
        let body: Vec<&AstNode> = s.nodes("body").collect();
        if docstring(&body) {
            self.cur_mut().has_docstring = true;
        }
        self.stmts(body.into_iter())?;
        self.exit_block();
        if generic {
            self.exit_block();
        }
        self.private = saved;
        Ok(())
    }

    fn type_alias(&mut self, s: &AstNode, loc: Loc) -> R {
        self.expr_field(s, "name")?;
        let name = s
            .node("name")
            .and_then(|n| n.str("id"))
            .unwrap_or("")
            .to_string();
        let in_class = self.cur().kind == BlockType::Class;
        let generic = !s.list("type_params").is_empty();
        if generic {
            self.enter_type_param_block(&name, s, false, false, false, loc)?;
            self.type_params(s)?;
        }
        self.enter_block(&name, BlockType::TypeAlias, addr(s), loc)?;
        self.cur_mut().can_see_class_scope = in_class;
        if in_class {
            let l = s.node("value").map_or(loc, |v| self.loc(v));
            self.add_def("__classdict__", USE, l)?;
        }
        self.expr_field(s, "value")?;
        self.exit_block();
        if generic {
            self.exit_block();
        }
        Ok(())
    }

    fn ann_assign(&mut self, s: &AstNode, loc: Loc) -> R {
        self.cur_mut().annotations_used = true;
        let simple = s.int("simple").unwrap_or(0) != 0;
        match s.node("target") {
            Some(t) if t.kind == NodeKind::Name => {
                let id = t.str("id").unwrap_or("");
                let cur = self.lookup(id);
                if cur & (DEF_GLOBAL | DEF_NONLOCAL) != 0 && self.cur != 0 && simple {
                    let msg = if cur & DEF_GLOBAL != 0 {
                        format!("annotated name '{id}' can't be global")
                    } else {
                        format!("annotated name '{id}' can't be nonlocal")
                    };
                    return Err(self.error(msg, loc));
                }
                let tl = self.loc(t);
                if simple {
                    self.add_def(id, DEF_ANNOT | DEF_LOCAL, tl)?;
                } else if s.node("value").is_some() {
                    self.add_def(id, DEF_LOCAL, tl)?;
                }
            }
            Some(t) => self.expr(t)?,
            None => {}
        }
        if let Some(a) = s.node("annotation") {
            let key = self.scope_key(self.cur) + 1;
            self.annotation(a, key)?;
        }
        self.expr_field(s, "value")
    }

    /// The key a scope was registered under (`ste_id`).
    fn scope_key(&self, id: ScopeId) -> usize {
        self.scopes[id].key
    }

    fn global_or_nonlocal(&mut self, s: &AstNode, loc: Loc) -> R {
        let global = s.kind == NodeKind::Global;
        let word = if global { "global" } else { "nonlocal" };
        for v in s.list("names") {
            let AstValue::Str(name) = v else { continue };
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

    fn alias(&mut self, a: &AstNode) -> R {
        let name = a.str("asname").or(a.str("name")).unwrap_or("");
        let loc = self.loc(a);
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
    fn check_lazy_import(&self, s: &AstNode, loc: Loc) -> R {
        if self.version < PyVersion::V3_15 || s.int("is_lazy").unwrap_or(0) == 0 {
            return Ok(());
        }
        let what = if s.kind == NodeKind::Import {
            "lazy import"
        } else {
            "lazy from ... import"
        };
        let place = match self.cur().kind {
            BlockType::Function => Some("functions"),
            BlockType::Class => Some("classes"),
            _ if self.try_depth > 0 => Some("try/except blocks"),
            _ => None,
        };
        if let Some(place) = place {
            return Err(self.error(format!("{what} not allowed inside {place}"), loc));
        }
        if s.kind == NodeKind::ImportFrom && s.nodes("names").any(|a| a.str("name") == Some("*")) {
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

    fn check_import_from(&self, s: &AstNode, loc: Loc) -> R {
        if s.str("module") != Some("__future__") || s.int("level").unwrap_or(0) != 0 {
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
    fn arguments(&mut self, a: &AstNode) -> R {
        for field in ["posonlyargs", "args", "kwonlyargs"] {
            for arg in a.nodes(field) {
                let l = self.loc(arg);
                self.add_def(arg.str("arg").unwrap_or(""), DEF_PARAM, l)?;
            }
        }
        if let Some(v) = a.node("vararg") {
            let l = self.loc(v);
            self.add_def(v.str("arg").unwrap_or(""), DEF_PARAM, l)?;
            self.cur_mut().varargs = true;
        }
        if let Some(k) = a.node("kwarg") {
            let l = self.loc(k);
            self.add_def(k.str("arg").unwrap_or(""), DEF_PARAM, l)?;
            self.cur_mut().varkeywords = true;
        }
        Ok(())
    }

    /// `symtable_visit_annotations`: the `__annotate__` scope of a function's parameter and
    /// return annotations, opened in the current scope (keyed by the `arguments` node).
    fn annotations(&mut self, a: &AstNode, returns: Option<&AstNode>, loc: Loc) -> R<ScopeId> {
        let in_class = self.cur().can_see_class_scope;
        let current = self.cur().kind;
        let id = self.enter_block("__annotate__", BlockType::Annotation, addr(a), loc)?;
        if in_class || current == BlockType::Class {
            self.cur_mut().can_see_class_scope = true;
            self.add_def("__classdict__", USE, loc)?;
        }
        let ann = |b: &mut Self, arg: &AstNode| -> R {
            if let Some(e) = arg.node("annotation") {
                b.cur_mut().annotations_used = true;
                b.expr(e)?;
            }
            Ok(())
        };
        for arg in a.nodes("posonlyargs").chain(a.nodes("args")) {
            ann(self, arg)?;
        }
        if let Some(v) = a.node("vararg") {
            ann(self, v)?;
        }
        if let Some(k) = a.node("kwarg") {
            ann(self, k)?;
        }
        for arg in a.nodes("kwonlyargs") {
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

    fn type_params(&mut self, owner: &AstNode) -> R {
        for tp in owner.nodes("type_params") {
            let loc = self.loc(tp);
            let name = tp.str("name").unwrap_or("");
            self.add_def(name, DEF_TYPE_PARAM | DEF_LOCAL, loc)?;
            match tp.kind.name() {
                "TypeVar" => {
                    let info = match tp.node("bound") {
                        Some(b) if b.kind == NodeKind::Tuple => "a TypeVar constraint",
                        _ => "a TypeVar bound",
                    };
                    self.bound_or_default(tp.node("bound"), name, tp, addr(tp), info)?;
                    self.bound_or_default(
                        tp.node("default_value"),
                        name,
                        tp,
                        default_key(tp),
                        "a TypeVar default",
                    )?;
                }
                "TypeVarTuple" => self.bound_or_default(
                    tp.node("default_value"),
                    name,
                    tp,
                    default_key(tp),
                    "a TypeVarTuple default",
                )?,
                _ => self.bound_or_default(
                    tp.node("default_value"),
                    name,
                    tp,
                    default_key(tp),
                    "a ParamSpec default",
                )?,
            }
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
        match e.kind.name() {
            "NamedExpr" => {
                self.raise_if_annotation_block("named expression", loc)?;
                if self.extra[self.cur].comp_iter_expr > 0 {
                    return Err(self.error(
                        "assignment expression cannot be used in a comprehension iterable expression",
                        loc,
                    ));
                }
                if self.cur().comprehension.is_some() {
                    if let Some(t) = e.node("target") {
                        self.extend_namedexpr_scope(t)?;
                    }
                }
                self.expr_field(e, "value")?;
                self.expr_field(e, "target")?;
            }
            "Lambda" => {
                if let Some(a) = e.node("args") {
                    self.exprs(a.nodes("defaults"))?;
                    self.exprs(a.nodes("kw_defaults"))?;
                }
                let name = self.comp_name("lambda");
                self.enter_block(&name, BlockType::Function, addr(e), loc)?;
                if let Some(a) = e.node("args") {
                    self.arguments(a)?;
                }
                self.expr_field(e, "body")?;
                self.exit_block();
            }
            "GeneratorExp" | "ListComp" | "SetComp" | "DictComp" => self.comprehension(e, loc)?,
            "Yield" | "YieldFrom" => {
                self.raise_if_annotation_block("yield expression", loc)?;
                self.expr_field(e, "value")?;
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
            }
            "Await" => {
                self.raise_if_annotation_block("await expression", loc)?;
                if !self.cur().is_function_like() {
                    return Err(self.error("'await' outside function", loc));
                }
                let async_def = self.cur().kind == BlockType::Function && self.cur().coroutine;
                if !async_def && self.cur().comprehension.is_none() {
                    return Err(self.error("'await' outside async function", loc));
                }
                self.expr_field(e, "value")?;
                self.cur_mut().coroutine = true;
            }
            "Call" => {
                self.expr_field(e, "func")?;
                self.exprs(e.nodes("args"))?;
                for k in e.nodes("keywords") {
                    if let Some(arg) = k.str("arg") {
                        let l = self.loc(k);
                        self.check_name(arg, l, "Store")?;
                    }
                }
                for k in e.nodes("keywords") {
                    self.expr_field(k, "value")?;
                }
            }
            "Attribute" => {
                let attr = e.str("attr").unwrap_or("");
                self.check_name(attr, loc, ctx_of(e))?;
                self.expr_field(e, "value")?;
            }
            "Name" => {
                if !self.extra[self.cur].in_unevaluated_annotation {
                    let id = e.str("id").unwrap_or("");
                    let ctx = ctx_of(e);
                    let flag = if ctx == "Load" { USE } else { DEF_LOCAL };
                    self.add_def_ctx(id, flag, loc, ctx)?;
                    if ctx == "Load" && self.cur().is_function_like() && id == "super" {
                        self.add_def("__class__", USE, loc)?;
                    }
                }
            }
            "Constant" => {}
            _ => self.children(e)?,
        }
        Ok(())
    }

    /// The name of a lambda or comprehension scope: `lambda` in 3.14, `<lambda>` in 3.15.
    fn comp_name(&self, base: &str) -> String {
        if self.version >= PyVersion::V3_15 {
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
        let name = target.str("id").unwrap_or("").to_string();
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
    /// scope and passed in as `.0`; the rest runs in the comprehension's own scope.
    fn comprehension(&mut self, e: &AstNode, loc: Loc) -> R {
        let (base, kind) = match e.kind.name() {
            "ListComp" => ("listcomp", ComprehensionType::List),
            "SetComp" => ("setcomp", ComprehensionType::Set),
            "DictComp" => ("dictcomp", ComprehensionType::Dict),
            _ => ("genexpr", ComprehensionType::Generator),
        };
        let is_generator = kind == ComprehensionType::Generator;
        let gens: Vec<&AstNode> = e.nodes("generators").collect();
        let Some(outermost) = gens.first() else {
            return Ok(());
        };
        let cur = self.cur;
        self.extra[cur].comp_iter_expr += 1;
        let r = self.expr_field(outermost, "iter");
        self.extra[cur].comp_iter_expr -= 1;
        r?;
        let name = self.comp_name(base);
        let id = self.enter_block(&name, BlockType::Function, addr(e), loc)?;
        self.scopes[id].comprehension = Some(kind);
        if outermost.int("is_async").unwrap_or(0) != 0 {
            self.scopes[id].coroutine = true;
        }
        let sloc = Loc {
            lineno: self.scopes[id].lineno,
            col: self.scopes[id].col_offset,
            ..loc
        };
        self.add_def(".0", DEF_PARAM, sloc)?;
        self.extra[id].comp_iter_target = true;
        let r = self.expr_field(outermost, "target");
        self.extra[id].comp_iter_target = false;
        r?;
        self.exprs(outermost.nodes("ifs"))?;
        for g in &gens[1..] {
            self.extra[id].comp_iter_target = true;
            let r = self.expr_field(g, "target");
            self.extra[id].comp_iter_target = false;
            r?;
            self.extra[id].comp_iter_expr += 1;
            let r = self.expr_field(g, "iter");
            self.extra[id].comp_iter_expr -= 1;
            r?;
            self.exprs(g.nodes("ifs"))?;
            if g.int("is_async").unwrap_or(0) != 0 {
                self.scopes[id].coroutine = true;
            }
        }
        if e.kind == NodeKind::DictComp {
            self.expr_field(e, "value")?;
            self.expr_field(e, "key")?;
        } else {
            self.expr_field(e, "elt")?;
        }
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

    fn pattern_field(&mut self, n: &AstNode, field: &str) -> R {
        match n.node(field) {
            Some(p) => self.pattern(p),
            None => Ok(()),
        }
    }

    fn pattern(&mut self, p: &AstNode) -> R {
        let loc = self.loc(p);
        match p.kind.name() {
            "MatchValue" => self.expr_field(p, "value")?,
            "MatchSingleton" => {}
            "MatchSequence" | "MatchOr" => {
                for q in p.nodes("patterns") {
                    self.pattern(q)?;
                }
            }
            "MatchStar" => {
                if let Some(n) = p.str("name") {
                    self.add_def(n, DEF_LOCAL, loc)?;
                }
            }
            "MatchMapping" => {
                self.exprs(p.nodes("keys"))?;
                for q in p.nodes("patterns") {
                    self.pattern(q)?;
                }
                if let Some(n) = p.str("rest") {
                    self.add_def(n, DEF_LOCAL, loc)?;
                }
            }
            "MatchClass" => {
                self.expr_field(p, "cls")?;
                for q in p.nodes("patterns") {
                    self.pattern(q)?;
                }
                let pats: Vec<&AstNode> = p.nodes("kwd_patterns").collect();
                for (i, a) in p.list("kwd_attrs").iter().enumerate() {
                    if let (AstValue::Str(a), Some(q)) = (a, pats.get(i)) {
                        let l = self.loc(q);
                        self.check_name(a, l, "Store")?;
                    }
                }
                for q in pats {
                    self.pattern(q)?;
                }
            }
            "MatchAs" => {
                self.pattern_field(p, "pattern")?;
                if let Some(n) = p.str("name") {
                    self.add_def(n, DEF_LOCAL, loc)?;
                }
            }
            _ => {}
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

//! AST → instruction sequences — `Python/codegen.c` with the unit bookkeeping of `compile.c`.
//!
//! One [`Unit`] per scope being compiled sits on a stack. Emitting goes through a handful of
//! helpers ([`Compiler::emit`], [`Compiler::emit_arg`], [`Compiler::emit_jump`],
//! [`Compiler::load_const`], [`Compiler::emit_name`], [`Compiler::nameop`]) that mirror
//! codegen.c's `ADDOP*` macros. When a unit is finished ([`Compiler::exit_scope`]) it is handed
//! to the assembler, and the code object becomes a constant of its parent — or, in tests, it is
//! kept as a [`CodeUnit`] so it can be compared with CPython's own codegen output.
//!
//! The visitors live by topic: [`stmt`] (simple statements and the statement dispatch),
//! [`expr`] (expressions, calls, f-strings), [`func`] (functions, lambdas, classes, decorators,
//! annotations, imports), [`flow`] (branches, loops, `try`, `with`, `return`, `raise`,
//! `assert`, frame blocks), [`comp`] (comprehensions, generators, `yield`, `await`) and
//! [`pattern`] (`match`). Anything not modelled yet returns an Unsupported error naming the
//! construct and its line.

pub mod comp;
pub mod expr;
pub mod flow;
pub mod func;
pub mod pattern;
pub mod stmt;
#[cfg(test)]
mod tests;
pub mod unparse;

use super::ir::{CodeUnit, ConstCache, ConstKey, ConstValue, InstrSeq, Label, Loc};
use super::op::{Op, OpTable};
use super::symtable::{flags, BlockType, NameScope, Scope, ScopeId, Symbol, SymbolTable};
use cpyviz_model::bytecode::CodeObject;
use cpyviz_model::error::{PyError, PyErrorKind, SyntaxWarning};
use cpyviz_model::source::Source;
use cpyviz_model::tables::CompilingProcess;
use cpyviz_model::version::PyVersion;
use cpyviz_syntax::ast::{AnnAssign, AstNode, Expr, ExprContext, Module};
use num_bigint::BigInt;
use std::collections::{BTreeSet, HashMap};

pub type R<T = ()> = Result<T, PyError>;

/// `COMPILE_SCOPE_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeType {
    Module,
    Class,
    Function,
    AsyncFunction,
    Lambda,
    Comprehension,
    Annotations,
}

/// `_PyCompile_FBlockType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FBlockType {
    WhileLoop,
    ForLoop,
    TryExcept,
    FinallyTry,
    FinallyEnd,
    With,
    AsyncWith,
    HandlerCleanup,
    PopValue,
    ExceptionHandler,
    ExceptionGroupHandler,
    AsyncComprehensionGenerator,
    StopIteration,
    AsyncForLoop,
}

/// What a frame block carries (`fb_datum`): the `finally` body, or the name bound by `except`.
#[derive(Clone, Copy, Debug)]
pub enum FBlockDatum<'a> {
    None,
    /// `FinallyTry`: the statements of the `finally:` clause.
    Body(&'a [cpyviz_syntax::ast::AstValue]),
    /// `HandlerCleanup`: the `as` name of the handler.
    Name(&'a str),
}

/// `fblockinfo`.
#[derive(Clone, Copy, Debug)]
pub struct FBlock<'a> {
    pub kind: FBlockType,
    pub block: Option<Label>,
    pub exit: Option<Label>,
    pub loc: Loc,
    pub datum: FBlockDatum<'a>,
}

/// `expr_context_ty`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ctx {
    Load,
    Store,
    Del,
}

impl Ctx {
    /// The context of an expression node (`ctx=Load()` …; Load for a node without one).
    pub fn of(node: &AstNode) -> Ctx {
        let ctx = match Expr::cast(node) {
            Some(Expr::Attribute(e)) => e.ctx(),
            Some(Expr::Subscript(e)) => e.ctx(),
            Some(Expr::Starred(e)) => e.ctx(),
            Some(Expr::Name(e)) => e.ctx(),
            Some(Expr::List(e)) => e.ctx(),
            Some(Expr::Tuple(e)) => e.ctx(),
            _ => ExprContext::Load,
        };
        match ctx {
            ExprContext::Load => Ctx::Load,
            ExprContext::Store => Ctx::Store,
            ExprContext::Del => Ctx::Del,
        }
    }
}

/// How [`Compiler::emit_name`] encodes a name oparg (codegen.c's `codegen_addop_name`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameOp {
    /// Any `*_NAME`/`*_ATTR`/`*_GLOBAL`-style op whose oparg is the plain index (LOAD_ATTR is
    /// shifted left by one, LOAD_SUPER_ATTR by two with bit 1 set).
    Plain(Op),
    /// `LOAD_ATTR` with the method bit.
    LoadMethod,
    LoadSuperMethod,
    LoadZeroSuperAttr,
    LoadZeroSuperMethod,
}

/// Which dict of the unit a name goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameDict {
    Names,
    Varnames,
    Cellvars,
    Freevars,
}

/// The state of one code unit being compiled (`struct compiler_unit`).
pub struct Unit<'a> {
    pub scope: ScopeId,
    pub scope_type: ScopeType,
    pub code: CodeUnit,
    consts: HashMap<ConstKey, u32>,
    names: HashMap<String, u32>,
    varnames: HashMap<String, u32>,
    cellvars: HashMap<String, u32>,
    freevars: HashMap<String, u32>,
    /// `u_fasthidden`: name → currently hidden-fast (true) / was once (false).
    pub fasthidden: Vec<(String, bool)>,
    pub private: Option<String>,
    /// Class units: attributes assigned through `self.X` in methods.
    pub static_attributes: Option<BTreeSet<String>>,
    /// AnnAssign statements whose annotations go to `__annotate__` (PEP 649).
    pub deferred_annotations: Vec<AnnAssign<'a>>,
    /// Per deferred annotation: its conditional index, or -1.
    pub conditional_annotation_indices: Vec<i64>,
    pub next_conditional_annotation_index: i64,
    /// The module's `__annotate__` code, spliced in at `ANNOTATIONS_PLACEHOLDER`.
    pub annotations_code: Option<InstrSeq>,
    /// The parent sequence while the annotations code is being generated.
    pub stashed_seq: Option<InstrSeq>,
    pub fblocks: Vec<FBlock<'a>>,
    pub in_inlined_comp: u32,
    pub in_conditional_block: u32,
    /// Symbols temporarily replaced while an inlined comprehension is compiled.
    pub symbol_overrides: HashMap<String, Symbol>,
    /// Test mode: the finished child units, in the order they were finished.
    pub finished_children: Vec<FinishedUnit>,
}

/// A finished code unit kept for inspection (tests compare it with CPython's codegen).
#[derive(Clone, Debug)]
pub struct FinishedUnit {
    pub unit: CodeUnit,
    pub children: Vec<FinishedUnit>,
}

/// What to do with a finished unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Optimize and assemble it (the real pipeline).
    Assemble,
    /// Keep the raw unit and put a placeholder code object in the parent's constants.
    Collect,
}

/// The compiler: the symbol table, the stack of units, the version's tables.
pub struct Compiler<'a> {
    pub src: &'a Source,
    pub table: &'a SymbolTable,
    pub version: PyVersion,
    pub ops: &'static OpTable,
    pub mode: Mode,
    pub units: Vec<Unit<'a>>,
    /// Counts code objects, so each gets a distinct constant key and fake address.
    pub code_counter: usize,
    /// The constant key id of the code object [`Compiler::exit_scope`] returned last: code
    /// objects that come out identical (a generator expression compiled twice by the
    /// `all()`/`any()` optimization) share one, as CPython's equal code objects share one
    /// `co_consts` entry.
    pub last_code_id: usize,
    /// Fingerprint of every finished code unit → its constant key id.
    code_ids: HashMap<CodeFingerprint, usize>,
    /// `from __future__ import annotations` (`CO_FUTURE_ANNOTATIONS`): annotations are
    /// stored as strings in `__annotations__` instead of being evaluated by `__annotate__`.
    pub future_annotations: bool,
    /// Line starts of the source, for byte offset → (line, column).
    line_starts: Vec<usize>,
    /// The `SyntaxWarning`s raised so far, in order.
    pub warnings: Vec<SyntaxWarning>,
    /// Constants shared by every code unit of the compilation (CPython's `const_cache`).
    pub const_cache: ConstCache,
}

/// Compiles the module whose symbol table is `table`.
pub fn compile_module(
    module: &AstNode,
    table: &SymbolTable,
    src: &Source,
    version: PyVersion,
) -> Result<CodeObject, PyError> {
    let mut c = Compiler::new(src, table, version, Mode::Assemble);
    c.const_cache = ConstCache::new(version, CompilingProcess::Dis, identifiers(module));
    let unit = c.module_unit(module)?;
    super::assemble::assemble(unit, version, &mut c.const_cache)
}

/// [`compile_module`] in `process`, with the `SyntaxWarning`s codegen raised on the way
/// (CPython prints them on stderr before the result or the error).
pub fn compile_module_with_warnings(
    module: &AstNode,
    table: &SymbolTable,
    src: &Source,
    version: PyVersion,
    process: CompilingProcess,
) -> (Result<CodeObject, PyError>, Vec<SyntaxWarning>) {
    let mut c = Compiler::new(src, table, version, Mode::Assemble);
    c.const_cache = ConstCache::new(version, process, identifiers(module));
    let result = c
        .module_unit(module)
        .and_then(|unit| super::assemble::assemble(unit, version, &mut c.const_cache));
    (result, c.warnings)
}

/// Every identifier of the tree (names, attributes, arguments, imports, …): the parser interns
/// them all before the compiler runs.
fn identifiers(module: &AstNode) -> std::collections::HashSet<String> {
    use cpyviz_model::ast::{AstValue, FieldType};
    let mut out = std::collections::HashSet::new();
    let mut stack: Vec<&AstNode> = vec![module];
    while let Some(n) = stack.pop() {
        for (field, value) in n.kind.fields().iter().zip(&n.fields) {
            // An interpolation's source text counts too (as it always has here); type
            // comments, `TypeIgnore` tags and a constant's `kind` do not.
            let identifier = match field.ty {
                FieldType::Identifier | FieldType::OptIdentifier | FieldType::Identifiers => true,
                FieldType::Str => n.kind == cpyviz_model::ast::NodeKind::Interpolation,
                _ => false,
            };
            let items = match value {
                AstValue::List(items) => items.as_slice(),
                one => std::slice::from_ref(one),
            };
            for item in items {
                match item {
                    AstValue::Str(s) if identifier => {
                        out.insert(s.clone());
                    }
                    AstValue::Node(child) => stack.push(child),
                    _ => {}
                }
            }
        }
    }
    out
}

/// Codegen only: the module unit and its nested units as codegen leaves them (tests).
pub fn codegen_module(
    module: &AstNode,
    table: &SymbolTable,
    src: &Source,
    version: PyVersion,
) -> Result<FinishedUnit, PyError> {
    let mut c = Compiler::new(src, table, version, Mode::Collect);
    let unit = c.module_unit_collect(module)?;
    Ok(unit)
}

impl<'a> Compiler<'a> {
    pub fn new(src: &'a Source, table: &'a SymbolTable, version: PyVersion, mode: Mode) -> Self {
        let mut line_starts = vec![0];
        for (i, b) in src.text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i + 1);
            }
        }
        Compiler {
            src,
            table,
            version,
            ops: OpTable::for_version(version),
            mode,
            units: Vec::new(),
            code_counter: 0,
            last_code_id: 0,
            code_ids: HashMap::new(),
            future_annotations: false,
            line_starts,
            warnings: Vec::new(),
            const_cache: ConstCache::default(),
        }
    }

    // ----- locations -------------------------------------------------------------------------

    /// (1-based line, UTF-8 byte column) of a byte offset.
    fn line_col(&self, offset: usize) -> (i32, i32) {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        (line as i32 + 1, (offset - self.line_starts[line]) as i32)
    }

    /// `LOC(node)`: the node's source range.
    pub fn loc(&self, node: &AstNode) -> Loc {
        match node.span {
            Some(span) => {
                let (l, c) = self.line_col(span.start as usize);
                let (el, ec) = self.line_col(span.end as usize);
                Loc::new(l, el, c, ec)
            }
            None => Loc::NONE,
        }
    }

    /// The 1-based line a node starts on.
    pub fn line(&self, node: &AstNode) -> u32 {
        self.loc(node).lineno.max(1) as u32
    }

    // ----- errors ------------------------------------------------------------------------------

    /// A construct the model does not handle yet.
    pub fn unsupported(&self, what: &str, node: &AstNode) -> PyError {
        super::unsupported(what, self.src, self.line(node))
    }

    /// `_PyCompile_Error`: a `SyntaxError` at `loc`.
    pub fn error(&self, loc: Loc, msg: impl Into<String>) -> PyError {
        let mut err = PyError::new(PyErrorKind::SyntaxError, msg, self.src.path.clone());
        if loc.lineno >= 1 && (loc.lineno as usize) <= self.src.line_count() {
            let line = loc.lineno as usize;
            let text = self.src.line_text(line).trim_end_matches(['\n', '\r']);
            // CPython's compiler errors carry UTF-8 byte offsets + 1, unconverted (so its caret
            // is off on lines with non-ASCII text before it, and so is ours).
            let offset = |col: i32| -> usize { col.max(0) as usize + 1 };
            let end = (loc.end_lineno > 0).then(|| (loc.end_lineno as usize, offset(loc.end_col)));
            err = err.at(line, offset(loc.col), end, text);
        }
        err
    }

    /// `_PyCompile_Warn`: a `SyntaxWarning` at `loc`. The compiler passes no warning registry,
    /// so every occurrence is printed, in the order codegen meets them.
    pub fn warn(&mut self, loc: Loc, msg: &str) {
        self.warnings.push(SyntaxWarning {
            lineno: loc.lineno.max(0) as usize,
            msg: msg.to_string(),
        });
    }

    // ----- units -------------------------------------------------------------------------------

    pub fn u(&self) -> &Unit<'a> {
        self.units.last().expect("a unit is open")
    }

    pub fn um(&mut self) -> &mut Unit<'a> {
        self.units.last_mut().expect("a unit is open")
    }

    pub fn seq(&mut self) -> &mut InstrSeq {
        &mut self.um().code.seq
    }

    /// The symbol-table entry of the current unit.
    pub fn ste(&self) -> &'a Scope {
        self.table.scope(self.u().scope)
    }

    /// The symbol `name` of the current scope, with inlined-comprehension overrides.
    pub fn symbol(&self, name: &str) -> Option<Symbol> {
        let u = self.u();
        if let Some(s) = u.symbol_overrides.get(name) {
            return Some(*s);
        }
        self.ste().symbol(name).copied()
    }

    /// A symbol of the module's scope (`st_top`), with the overrides of a comprehension being
    /// inlined at module level (CPython edits the module's symbols in place meanwhile).
    pub fn top_symbol(&self, name: &str) -> Option<Symbol> {
        let top = self.table.top();
        if let Some(s) = self
            .units
            .first()
            .filter(|u| u.scope == top)
            .and_then(|u| u.symbol_overrides.get(name))
        {
            return Some(*s);
        }
        self.table.scope(top).symbol(name).copied()
    }

    /// `_PyST_GetScope` on the current unit (with overrides).
    pub fn get_scope(&self, name: &str) -> Option<NameScope> {
        self.symbol(name).map(|s| s.scope)
    }

    /// `_Py_MaybeMangle` for the current unit.
    pub fn mangle(&self, name: &str) -> String {
        // A generic class's type-parameter scope mangles only its type parameters
        // (`ste_mangled_names`).
        if let Some(names) = &self.ste().mangled_names {
            if !names.iter().any(|n| n == name) {
                return name.to_string();
            }
        }
        super::symtable::mangle(self.u().private.as_deref(), name)
    }

    /// `_PyCompile_EnterScope` + `codegen_enter_scope`: opens a unit for the scope keyed by
    /// `scope` and emits `RESUME` (and the module's `ANNOTATIONS_PLACEHOLDER`).
    pub fn enter_scope(
        &mut self,
        name: &str,
        scope_type: ScopeType,
        scope: ScopeId,
        lineno: u32,
        private: Option<String>,
        args: (u32, u32, u32),
    ) -> R {
        let ste = self.table.scope(scope);
        let mut code = CodeUnit {
            name: name.to_string(),
            filename: self.src.path.clone(),
            firstlineno: lineno,
            argcount: args.0,
            posonlyargcount: args.1,
            kwonlyargcount: args.2,
            ..Default::default()
        };
        code.varnames = ste.varnames.clone();
        code.nparams = Some(ste.varnames.len() as u32);
        let varnames = index_of(&code.varnames);
        // Cells: sorted names whose scope is CELL or that carry DEF_COMP_CELL.
        let cells = ste.cellvars();
        let mut frees: Vec<String> = ste
            .symbols
            .iter()
            .filter(|(_, s)| s.scope == NameScope::Free || s.flags & flags::DEF_FREE_CLASS != 0)
            .map(|(n, _)| n.clone())
            .collect();
        frees.sort();
        code.cellvars = cells;
        code.freevars = frees;
        let cellvars = index_of(&code.cellvars);
        let freevars: HashMap<String, u32> = code
            .freevars
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), (i + code.cellvars.len()) as u32))
            .collect();
        let private = private.or_else(|| self.units.last().and_then(|u| u.private.clone()));
        let unit = Unit {
            scope,
            scope_type,
            code,
            consts: HashMap::new(),
            names: HashMap::new(),
            varnames,
            cellvars,
            freevars,
            fasthidden: Vec::new(),
            private,
            static_attributes: (scope_type == ScopeType::Class).then(BTreeSet::new),
            deferred_annotations: Vec::new(),
            conditional_annotation_indices: Vec::new(),
            next_conditional_annotation_index: 0,
            annotations_code: None,
            stashed_seq: None,
            fblocks: Vec::new(),
            in_inlined_comp: 0,
            in_conditional_block: 0,
            symbol_overrides: HashMap::new(),
            finished_children: Vec::new(),
        };
        self.units.push(unit);
        if scope_type != ScopeType::Module {
            self.set_qualname();
        } else {
            self.um().code.qualname = name.to_string();
        }
        let mut loc = Loc::new(lineno as i32, lineno as i32, 0, 0);
        if scope_type == ScopeType::Module {
            loc.lineno = 0;
        }
        self.emit_arg(Op::RESUME, 0, loc);
        if scope_type == ScopeType::Module {
            self.emit(Op::ANNOTATIONS_PLACEHOLDER, loc);
        }
        Ok(())
    }

    /// `compiler_set_qualname`.
    fn set_qualname(&mut self) {
        let n = self.units.len();
        let u = &self.units[n - 1];
        let name = u.code.name.clone();
        let mut qualname = name.clone();
        // CPython's `c_stack` holds the enclosing units only (`n - 1` of them); a unit directly
        // inside the module gets its bare name.
        if n > 2 {
            let mut parent_idx = n - 2;
            let mut done = false;
            if self.units[parent_idx].scope_type == ScopeType::Annotations {
                if n == 3 {
                    done = true;
                } else {
                    parent_idx = n - 3;
                }
            }
            if !done {
                let parent = &self.units[parent_idx];
                let mut force_global = false;
                if matches!(
                    u.scope_type,
                    ScopeType::Function | ScopeType::AsyncFunction | ScopeType::Class
                ) {
                    let mangled = super::symtable::mangle(parent.private.as_deref(), &name);
                    let pscope = parent
                        .symbol_overrides
                        .get(&mangled)
                        .map(|s| s.scope)
                        .or_else(|| self.table.scope(parent.scope).get_scope(&mangled));
                    if pscope == Some(NameScope::GlobalExplicit) {
                        force_global = true;
                    }
                }
                if !force_global {
                    let base = if matches!(
                        parent.scope_type,
                        ScopeType::Function | ScopeType::AsyncFunction | ScopeType::Lambda
                    ) {
                        format!("{}.<locals>", parent.code.qualname)
                    } else {
                        parent.code.qualname.clone()
                    };
                    qualname = format!("{base}.{name}");
                }
            }
        }
        self.um().code.qualname = qualname;
    }

    /// `compute_code_flags` for the current unit: the table's bits plus the future flags.
    fn code_flags(&self) -> u32 {
        let mut f = self.ste().code_flags();
        if self.future_annotations {
            f |= CO_FUTURE_ANNOTATIONS;
        }
        f
    }

    /// `_PyCompile_OptimizeAndAssemble` + `_PyCompile_ExitScope`: adds the implicit
    /// `return None` when `add_none`, finishes the unit and returns its code object as a
    /// constant for the parent.
    pub fn exit_scope(&mut self, add_none: bool) -> R<ConstValue> {
        let flags = self.code_flags();
        self.add_return_at_end(add_none);
        let mut unit = self.units.pop().expect("a unit is open");
        unit.code.flags = flags;
        unit.code.fasthidden = unit
            .fasthidden
            .iter()
            .filter(|(_, _)| true)
            .map(|(n, _)| n.clone())
            .collect();
        if let Some(anno) = unit.annotations_code.take() {
            splice_annotations(self.ops, &mut unit.code.seq, anno);
        }
        self.code_counter += 1;
        let fingerprint = code_fingerprint(&unit);
        self.last_code_id = *self
            .code_ids
            .entry(fingerprint)
            .or_insert(self.code_counter);
        match self.mode {
            Mode::Assemble => {
                let code =
                    super::assemble::assemble(unit.code, self.version, &mut self.const_cache)?;
                Ok(ConstValue::Code(Box::new(code)))
            }
            Mode::Collect => {
                let placeholder = CodeObject {
                    name: unit.code.name.clone(),
                    qualname: unit.code.qualname.clone(),
                    firstlineno: unit.code.firstlineno,
                    cellvars: unit.code.cellvars.clone(),
                    freevars: unit.code.freevars.clone(),
                    varnames: unit.code.varnames.clone(),
                    ..Default::default()
                };
                let finished = FinishedUnit {
                    unit: unit.code,
                    children: unit.finished_children,
                };
                if let Some(parent) = self.units.last_mut() {
                    parent.finished_children.push(finished);
                }
                Ok(ConstValue::Code(Box::new(placeholder)))
            }
        }
    }

    /// `_PyCodegen_AddReturnAtEnd`: every path that falls off the end returns (None).
    fn add_return_at_end(&mut self, add_none: bool) {
        if add_none {
            self.load_const(ConstValue::None, Loc::NONE);
        }
        self.emit(Op::RETURN_VALUE, Loc::NONE);
    }

    // ----- emitting ----------------------------------------------------------------------------

    pub fn new_label(&mut self) -> Label {
        self.seq().new_label()
    }

    pub fn use_label(&mut self, label: Label) {
        self.seq().use_label(label);
    }

    /// `ADDOP`.
    pub fn emit(&mut self, op: Op, loc: Loc) {
        self.seq().push(op, 0, loc);
    }

    /// `ADDOP_I`.
    pub fn emit_arg(&mut self, op: Op, arg: u32, loc: Loc) {
        self.seq().push(op, arg, loc);
    }

    /// `ADDOP_JUMP` (also `SETUP_*`).
    pub fn emit_jump(&mut self, op: Op, target: Label, loc: Loc) {
        self.seq().push(op, target.0, loc);
    }

    /// `_PyCompile_AddConst`: the index of `value` in the unit's constants.
    pub fn add_const(&mut self, value: ConstValue) -> u32 {
        self.const_cache.note(&value, false);
        self.add_unit_const(value)
    }

    /// [`Self::add_const`] of a constant made of identifiers (the parser's interned objects).
    pub fn add_ident_const(&mut self, value: ConstValue) -> u32 {
        self.const_cache.note(&value, true);
        self.add_unit_const(value)
    }

    /// `LOAD_CONST` of an identifier (or a tuple of them).
    pub fn load_ident_const(&mut self, value: ConstValue, loc: Loc) {
        let i = self.add_ident_const(value);
        self.emit_arg(Op::LOAD_CONST, i, loc);
    }

    /// `LOAD_CONST` of the identifier `name` as `_Py_MaybeMangle` left it: the parser's
    /// object when unchanged, a new string when mangled.
    pub fn load_name_const(&mut self, name: &str, mangled: String, loc: Loc) {
        if mangled == name {
            self.load_ident_const(ConstValue::Str(mangled.into()), loc);
        } else {
            self.load_const(ConstValue::Str(mangled.into()), loc);
        }
    }

    fn add_unit_const(&mut self, value: ConstValue) -> u32 {
        let id = self.last_code_id;
        let key = value.key(id);
        let u = self.um();
        if let Some(&i) = u.consts.get(&key) {
            return i;
        }
        let i = u.code.consts.len() as u32;
        u.code.consts.push(value);
        u.consts.insert(key, i);
        i
    }

    /// `ADDOP_LOAD_CONST`.
    pub fn load_const(&mut self, value: ConstValue, loc: Loc) {
        let i = self.add_const(value);
        self.emit_arg(Op::LOAD_CONST, i, loc);
    }

    pub fn load_int(&mut self, value: i64, loc: Loc) {
        self.load_const(ConstValue::Int(BigInt::from(value)), loc);
    }

    pub fn load_str(&mut self, value: &str, loc: Loc) {
        self.load_const(ConstValue::Str(value.to_string().into()), loc);
    }

    /// `_PyCompile_DictAddObj` on one of the unit's name dicts.
    pub fn add_to(&mut self, dict: NameDict, name: &str) -> u32 {
        let u = self.um();
        let (map, list) = match dict {
            NameDict::Names => (&mut u.names, &mut u.code.names),
            NameDict::Varnames => (&mut u.varnames, &mut u.code.varnames),
            NameDict::Cellvars => (&mut u.cellvars, &mut u.code.cellvars),
            NameDict::Freevars => {
                if let Some(&i) = u.freevars.get(name) {
                    return i;
                }
                let i = (u.code.cellvars.len() + u.code.freevars.len()) as u32;
                u.code.freevars.push(name.to_string());
                u.freevars.insert(name.to_string(), i);
                return i;
            }
        };
        if let Some(&i) = map.get(name) {
            return i;
        }
        let i = list.len() as u32;
        list.push(name.to_string());
        map.insert(name.to_string(), i);
        i
    }

    /// `ADDOP_N(..., names)` without mangling.
    pub fn emit_raw_name(&mut self, op: Op, dict: NameDict, name: &str, loc: Loc) {
        let i = self.add_to(dict, name);
        self.emit_arg(op, i, loc);
    }

    /// `ADDOP_NAME`: mangles `name`, adds it to `co_names` and encodes the oparg.
    pub fn emit_name(&mut self, op: NameOp, name: &str, loc: Loc) {
        let mangled = self.mangle(name);
        let arg = self.add_to(NameDict::Names, &mangled);
        let (op, arg) = match op {
            NameOp::Plain(Op::LOAD_ATTR) => (Op::LOAD_ATTR, arg << 1),
            NameOp::Plain(Op::LOAD_SUPER_ATTR) => (Op::LOAD_SUPER_ATTR, (arg << 2) | 2),
            NameOp::Plain(op) => (op, arg),
            NameOp::LoadMethod => (Op::LOAD_ATTR, (arg << 1) | 1),
            NameOp::LoadSuperMethod => (Op::LOAD_SUPER_ATTR, (arg << 2) | 3),
            NameOp::LoadZeroSuperAttr => (Op::LOAD_SUPER_ATTR, arg << 2),
            NameOp::LoadZeroSuperMethod => (Op::LOAD_SUPER_ATTR, (arg << 2) | 1),
        };
        self.emit_arg(op, arg, loc);
    }

    /// Whether `name` is currently a hidden fast local (inlined comprehension).
    fn is_fasthidden(&self, name: &str) -> bool {
        self.u()
            .fasthidden
            .iter()
            .any(|(n, hidden)| n == name && *hidden)
    }

    /// `codegen_nameop`: load, store or delete a variable by its resolved scope.
    pub fn nameop(&mut self, name: &str, ctx: Ctx, loc: Loc) -> R {
        if matches!(name, "None" | "True" | "False") && ctx != Ctx::Load {
            return Err(self.error(loc, format!("cannot assign to {name}")));
        }
        let mangled = self.mangle(name);
        let scope = self.get_scope(&mangled);
        let ste = self.ste();
        enum OpType {
            Fast,
            Global,
            Deref,
            Name,
        }
        let optype = match scope {
            Some(NameScope::Free) | Some(NameScope::Cell) => OpType::Deref,
            Some(NameScope::Local) => {
                if ste.is_function_like() || self.is_fasthidden(&mangled) {
                    OpType::Fast
                } else {
                    OpType::Name
                }
            }
            Some(NameScope::GlobalImplicit) => {
                if ste.is_function_like() {
                    OpType::Global
                } else {
                    OpType::Name
                }
            }
            Some(NameScope::GlobalExplicit) => OpType::Global,
            None => OpType::Name,
        };
        match optype {
            OpType::Deref => {
                let dict = if scope == Some(NameScope::Free) {
                    NameDict::Freevars
                } else {
                    NameDict::Cellvars
                };
                let op = match ctx {
                    Ctx::Load => {
                        if ste.kind == BlockType::Class && self.u().in_inlined_comp == 0 {
                            self.emit(Op::LOAD_LOCALS, loc);
                            Op::LOAD_FROM_DICT_OR_DEREF
                        } else if ste.can_see_class_scope {
                            self.emit_raw_name(
                                Op::LOAD_DEREF,
                                NameDict::Freevars,
                                "__classdict__",
                                loc,
                            );
                            Op::LOAD_FROM_DICT_OR_DEREF
                        } else {
                            Op::LOAD_DEREF
                        }
                    }
                    Ctx::Store => Op::STORE_DEREF,
                    Ctx::Del => Op::DELETE_DEREF,
                };
                self.emit_raw_name(op, dict, &mangled, loc);
            }
            OpType::Fast => {
                let op = match ctx {
                    Ctx::Load => Op::LOAD_FAST,
                    Ctx::Store => Op::STORE_FAST,
                    Ctx::Del => Op::DELETE_FAST,
                };
                self.emit_raw_name(op, NameDict::Varnames, &mangled, loc);
            }
            OpType::Global => {
                let op = match ctx {
                    Ctx::Load => {
                        if ste.can_see_class_scope && scope == Some(NameScope::GlobalImplicit) {
                            self.emit_raw_name(
                                Op::LOAD_DEREF,
                                NameDict::Freevars,
                                "__classdict__",
                                loc,
                            );
                            Op::LOAD_FROM_DICT_OR_GLOBALS
                        } else {
                            let i = self.add_to(NameDict::Names, &mangled);
                            self.emit_arg(Op::LOAD_GLOBAL, i << 1, loc);
                            return Ok(());
                        }
                    }
                    Ctx::Store => Op::STORE_GLOBAL,
                    Ctx::Del => Op::DELETE_GLOBAL,
                };
                self.emit_raw_name(op, NameDict::Names, &mangled, loc);
            }
            OpType::Name => {
                let op = match ctx {
                    Ctx::Load => {
                        if ste.can_see_class_scope {
                            self.emit_raw_name(
                                Op::LOAD_DEREF,
                                NameDict::Freevars,
                                "__classdict__",
                                loc,
                            );
                            Op::LOAD_FROM_DICT_OR_GLOBALS
                        } else if ste.kind == BlockType::Class && self.u().in_inlined_comp > 0 {
                            // A comprehension inlined in a class body skips the class
                            // namespace.
                            let i = self.add_to(NameDict::Names, &mangled);
                            self.emit_arg(Op::LOAD_GLOBAL, i << 1, loc);
                            return Ok(());
                        } else {
                            Op::LOAD_NAME
                        }
                    }
                    Ctx::Store => Op::STORE_NAME,
                    Ctx::Del => Op::DELETE_NAME,
                };
                self.emit_raw_name(op, NameDict::Names, &mangled, loc);
            }
        }
        Ok(())
    }

    // ----- frame blocks ------------------------------------------------------------------------

    pub fn push_fblock(
        &mut self,
        loc: Loc,
        kind: FBlockType,
        block: Option<Label>,
        exit: Option<Label>,
        datum: FBlockDatum<'a>,
    ) -> R {
        if self.u().fblocks.len() >= CO_MAXBLOCKS {
            return Err(self.error(loc, "too many statically nested blocks"));
        }
        self.um().fblocks.push(FBlock {
            kind,
            block,
            exit,
            loc,
            datum,
        });
        Ok(())
    }

    pub fn pop_fblock(&mut self, kind: FBlockType) {
        let top = self.um().fblocks.pop();
        debug_assert!(top.is_some_and(|f| f.kind == kind));
    }

    // ----- the module ----------------------------------------------------------------------------

    /// `compiler_codegen` + `_PyCodegen_Module` for `Module` nodes: the finished module unit.
    fn module_body(&mut self, module: &'a AstNode) -> R {
        let scope = self.table.top();
        self.enter_scope("<module>", ScopeType::Module, scope, 1, None, (0, 0, 0))?;
        let body = Module(module).body().as_slice();
        self.future_annotations = stmt::future_annotations(body);
        let loc = match body.first().and_then(|v| v.as_node()) {
            Some(first) => self.loc(first),
            None => Loc::new(1, 1, 0, 0),
        };
        if self.ste().has_conditional_annotations {
            self.emit_arg(Op::BUILD_SET, 0, loc);
            self.emit_raw_name(
                Op::STORE_NAME,
                NameDict::Names,
                "__conditional_annotations__",
                loc,
            );
        }
        self.body(loc, body)
    }

    fn module_unit(&mut self, module: &'a AstNode) -> R<CodeUnit> {
        self.module_body(module)?;
        let flags = self.code_flags();
        self.add_return_at_end(true);
        let mut unit = self.units.pop().expect("module unit");
        unit.code.flags = flags;
        if let Some(anno) = unit.annotations_code.take() {
            splice_annotations(self.ops, &mut unit.code.seq, anno);
        }
        Ok(unit.code)
    }

    fn module_unit_collect(&mut self, module: &'a AstNode) -> R<FinishedUnit> {
        self.module_body(module)?;
        let flags = self.code_flags();
        self.add_return_at_end(true);
        let mut unit = self.units.pop().expect("module unit");
        unit.code.flags = flags;
        Ok(FinishedUnit {
            unit: unit.code,
            children: unit.finished_children,
        })
    }
}

/// Replaces the module's `ANNOTATIONS_PLACEHOLDER` with the `__annotate__` setup code
/// (`_PyInstructionSequence_SetAnnotationsCode` and its use when building the CFG).
pub fn splice_annotations(ops: &OpTable, seq: &mut InstrSeq, anno: InstrSeq) {
    let Some(at) = seq
        .instrs
        .iter()
        .position(|i| i.op == Op::ANNOTATIONS_PLACEHOLDER)
    else {
        return;
    };
    let offset = seq.label_map.len() as u32;
    let grow = anno.instrs.len();
    for slot in seq.label_map.iter_mut().flatten() {
        if *slot > at {
            *slot += grow - 1;
        }
    }
    let moved: Vec<_> = anno
        .instrs
        .iter()
        .map(|i| {
            let mut i = *i;
            if ops.has_jump(i.op)
                || matches!(i.op, Op::SETUP_FINALLY | Op::SETUP_CLEANUP | Op::SETUP_WITH)
            {
                i.arg += offset;
            }
            i
        })
        .collect();
    seq.label_map
        .extend(anno.label_map.iter().map(|l| l.map(|t| t + at)));
    seq.instrs.splice(at..at + 1, moved);
}

/// What makes two finished code units the same code object (two lambdas alike in every field
/// are one constant to CPython): everything but the constants' values, which enter through
/// their keys.
#[derive(PartialEq, Eq, Hash)]
struct CodeFingerprint {
    text: [String; 3],
    numbers: [u32; 5],
    nparams: Option<u32>,
    names: [Vec<String>; 5],
    instrs: Vec<super::ir::Instr>,
    label_map: Vec<Option<usize>>,
    /// The constants by their keys (their values, nested code objects among them, are not
    /// copied).
    keys: Vec<Option<ConstKey>>,
}

fn code_fingerprint(unit: &Unit) -> CodeFingerprint {
    let c = &unit.code;
    let mut keys: Vec<Option<ConstKey>> = vec![None; c.consts.len()];
    for (k, &i) in &unit.consts {
        if let Some(slot) = keys.get_mut(i as usize) {
            *slot = Some(k.clone());
        }
    }
    CodeFingerprint {
        text: [c.name.clone(), c.qualname.clone(), c.filename.clone()],
        numbers: [
            c.firstlineno,
            c.flags,
            c.argcount,
            c.posonlyargcount,
            c.kwonlyargcount,
        ],
        nparams: c.nparams,
        names: [
            c.names.clone(),
            c.varnames.clone(),
            c.cellvars.clone(),
            c.freevars.clone(),
            c.fasthidden.clone(),
        ],
        instrs: c.seq.instrs.clone(),
        label_map: c.seq.label_map.clone(),
        keys,
    }
}

fn index_of(names: &[String]) -> HashMap<String, u32> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.clone(), i as u32))
        .collect()
}

/// `CO_MAXBLOCKS`.
pub const CO_MAXBLOCKS: usize = 21;

pub const CO_OPTIMIZED: u32 = 0x1;
pub const CO_NEWLOCALS: u32 = 0x2;
pub const CO_VARARGS: u32 = 0x4;
pub const CO_VARKEYWORDS: u32 = 0x8;
pub const CO_NESTED: u32 = 0x10;
pub const CO_GENERATOR: u32 = 0x20;
pub const CO_COROUTINE: u32 = 0x80;
pub const CO_ASYNC_GENERATOR: u32 = 0x200;
pub const CO_HAS_DOCSTRING: u32 = 0x4000000;
/// `from __future__ import annotations` (inherited by every code object of the module).
pub const CO_FUTURE_ANNOTATIONS: u32 = 0x1000000;
pub const CO_METHOD: u32 = 0x8000000;

//! Scopes and the scope of every name — CPython's `Python/symtable.c` for one module.
//!
//! [`SymbolTable::build`] makes CPython's two passes:
//!
//! 1. **Collect** (`visit.rs`): walk the AST once, opening a [`Scope`] per module, function,
//!    lambda, class, comprehension, annotation scope (PEP 649) and type-parameter scope
//!    (PEP 695), and record per name the raw facts (`DEF_*` / `USE` [`flags`]) in order of first
//!    appearance, plus `ste_varnames` (the parameters, in `co_varnames` order).
//! 2. **Analyze** (`analyze.rs`): `analyze_block` — resolve every name to a [`NameScope`] (free
//!    variables, cells, explicit and implicit globals, class scopes that see the class namespace
//!    through `__classdict__`), inline PEP 709 comprehensions into their parent, and note the
//!    implicit class cells (`__class__`, `__classdict__`, `__conditional_annotations__`).
//!
//! Compile-time `SyntaxError`s raised by `symtable.c` come back as [`PyError`] with CPython's
//! message and location (e.g. "name 'x' is parameter and global", "no binding for nonlocal 'x'
//! found", "nonlocal declaration not allowed at module level", "'await' outside function",
//! "import * only allowed at module level", "'yield' inside list comprehension", walrus
//! conflicts in comprehensions, duplicate parameters, `__debug__` assignments…).
//!
//! # Finding a scope again: the keys
//!
//! CPython keys `st_blocks` by the address of an AST node (sometimes address + 1); so do we, so
//! the AST must not move between `build` and codegen. The key of each scope:
//!
//! | scope                                   | key (lookup)                                          |
//! |-----------------------------------------|-------------------------------------------------------|
//! | module (`top`)                          | the `Module` node — [`SymbolTable::scope_of`]          |
//! | function, `async def`                   | the `FunctionDef` / `AsyncFunctionDef` node           |
//! | lambda                                  | the `Lambda` node                                     |
//! | class body                              | the `ClassDef` node                                   |
//! | list/set/dict comprehension, genexpr    | the `ListComp` / `SetComp` / `DictComp` / `GeneratorExp` node |
//! | `type X = …` value (TypeAlias block)    | the `TypeAlias` statement node                        |
//! | `__annotate__` of a function (3.14+)    | the function's `arguments` node (field `args`) — [`SymbolTable::function_annotation_scope`] |
//! | `__annotate__` of a module or class     | address of the `Module` / `ClassDef` node + 1 — or simply [`Scope::annotation_block`] |
//! | scope of the `AnnAssign`s in a function | address of the function node + 1 (never compiled: those annotations are not evaluated) |
//! | type parameters (`<generic parameters of X>`) | the owner's `type_params` field value — [`SymbolTable::type_params_scope`] |
//! | TypeVar bound / constraints             | the `TypeVar` node — [`SymbolTable::bound_scope`]        |
//! | TypeVar / TypeVarTuple / ParamSpec default | address of the type-param node + 1 (TypeVar) or the node (the others) — [`SymbolTable::default_scope`] |
//!
//! # Children and inlined comprehensions
//!
//! [`Scope::children`] is CPython's `ste_children` *after* analysis: an inlined comprehension
//! (every list/set/dict comprehension except those inside a class-visible annotation or type
//! scope; generator expressions never) is replaced by its own children, exactly as `symtable`
//! shows it. The inlined scope itself stays in [`SymbolTable::scopes`] (with
//! [`Scope::comp_inlined`] set, found by `scope_of(comp_node)`), and its symbols are merged
//! into the parent: names it binds that the parent lacks are added to the parent, cells of the
//! comprehension get `DEF_COMP_CELL` in the parent, and names free in the comprehension but
//! local in a function parent stay local. A module or class `__annotate__` scope appears once
//! in `children`, where the first annotation opened it. With `from __future__ import
//! annotations` annotation scopes are built but not listed in `children`.
//!
//! Symbols keep CPython's insertion order ([`Scope::symbols`]), except that free names a
//! scope only passes through for its children are appended in sorted order (CPython appends
//! them in set-iteration order, which depends on string hashes).
//!
//! # What codegen derives from a scope
//!
//! * `co_varnames`: start from [`Scope::varnames`] (parameters: positional-only, positional,
//!   keyword-only, `*args`, `**kwargs`; `.0` for a comprehension; `.format` for annotation,
//!   TypeVar-bound and type-alias scopes — codegen names it `format` in `__annotate__` scopes
//!   only; `.defaults` / `.kwdefaults` for type-parameter scopes), then codegen appends every
//!   other fast local the first time it emits a load/store of it.
//! * `co_cellvars` / `co_freevars` (the `u_cellvars` / `u_freevars` dicts of `compile.c`):
//!   [`Scope::cellvars`] and [`Scope::freevars`] — sorted as `dictbytype` sorts, with the
//!   implicit class cells appended. The code object lists the cells that are also parameters
//!   first, in `co_varnames` order, then the other cells in `cellvars()` order.
//! * `co_flags`: [`Scope::code_flags`] (what `compute_code_flags` takes from the table).
//! * The opcode family of a name (FAST / DEREF / GLOBAL / NAME) follows from
//!   [`Scope::get_scope`] and the block type as in `compile.c`'s `compiler_nameop`; look names
//!   up mangled by [`Scope::mangle`] (`_Py_MaybeMangle`).

use cpyviz_model::ast::{AsyncFunctionDef, ClassDef, FunctionDef, NodeKind, Stmt, TypeAlias};
use cpyviz_model::error::PyError;
use cpyviz_model::source::Source;
use cpyviz_model::version::PyVersion;
use cpyviz_syntax::ast::{AstNode, AstValue};
use std::collections::HashMap;

/// Index into [`SymbolTable::scopes`].
pub type ScopeId = usize;

/// `_Py_block_ty`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockType {
    Function,
    Class,
    Module,
    /// PEP 649 `__annotate__` scopes.
    Annotation,
    TypeAlias,
    TypeParameters,
    TypeVariable,
}

/// `_Py_comprehension_ty`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComprehensionType {
    List,
    Set,
    Dict,
    Generator,
}

/// The scope a name resolves to (`LOCAL`, `GLOBAL_EXPLICIT`, ... of `symtable.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameScope {
    Local,
    GlobalExplicit,
    GlobalImplicit,
    Free,
    Cell,
}

/// `DEF_*` / `USE` flags of a symbol (`pycore_symtable.h`; the same values in 3.14 and 3.15).
/// The scope is kept apart in [`Symbol::scope`], not in bits above `SCOPE_OFF` as in CPython.
pub mod flags {
    /// `global` statement (or a walrus in a comprehension at module level).
    pub const DEF_GLOBAL: u32 = 1;
    /// Assigned in the block.
    pub const DEF_LOCAL: u32 = 2;
    /// A formal parameter.
    pub const DEF_PARAM: u32 = 4;
    /// `nonlocal` statement.
    pub const DEF_NONLOCAL: u32 = 8;
    /// Read in the block.
    pub const USE: u32 = 16;
    /// Free in a method, and bound or global in the class (or a class-visible annotation or
    /// type scope).
    pub const DEF_FREE_CLASS: u32 = 64;
    /// Bound by an import.
    pub const DEF_IMPORT: u32 = 128;
    /// Annotated (`x: int`).
    pub const DEF_ANNOT: u32 = 256;
    /// An iteration variable of a comprehension.
    pub const DEF_COMP_ITER: u32 = 512;
    /// A PEP 695 type parameter.
    pub const DEF_TYPE_PARAM: u32 = 1024;
    /// A cell of an inlined comprehension, merged into this scope.
    pub const DEF_COMP_CELL: u32 = 2048;
    pub const DEF_BOUND: u32 = DEF_LOCAL | DEF_PARAM | DEF_IMPORT;
}

/// One symbol of a scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// `DEF_*` / `USE` bits.
    pub flags: u32,
    pub scope: NameScope,
}

/// `PySTEntryObject`: one block of the program.
#[derive(Clone, Debug)]
pub struct Scope {
    /// `ste_name`: the function, class or type-alias name, `top`, `__annotate__`, the
    /// type variable's name for its bound or default; `lambda`, `genexpr`, `listcomp`,
    /// `setcomp`, `dictcomp` in 3.14 and `<lambda>`, `<genexpr>`, … in 3.15.
    pub name: String,
    pub kind: BlockType,
    /// Line of the node that opened the scope (0 for the module).
    pub lineno: u32,
    /// 0-based UTF-8 column of that node.
    pub col_offset: u32,
    /// Symbols in order of first appearance (`ste_symbols` is an insertion-ordered dict).
    pub symbols: Vec<(String, Symbol)>,
    index: HashMap<String, usize>,
    /// `ste_varnames`: the parameters, in `co_varnames` order (see the module doc).
    pub varnames: Vec<String>,
    /// `ste_children` after analysis (inlined comprehensions replaced by their children).
    pub children: Vec<ScopeId>,
    /// The scope this one was opened in (for an inlined comprehension: where it was written).
    pub parent: Option<ScopeId>,
    /// `ste_nested`: inside a function-like scope.
    pub nested: bool,
    pub generator: bool,
    pub coroutine: bool,
    pub comprehension: Option<ComprehensionType>,
    pub varargs: bool,
    pub varkeywords: bool,
    pub returns_value: bool,
    /// A class whose methods use `__class__` / `super()`: codegen adds a `__class__` cell.
    pub needs_class_closure: bool,
    /// A class whose annotation or type scopes read `__classdict__`: a `__classdict__` cell.
    pub needs_classdict: bool,
    /// PEP 709: this comprehension is inlined into its parent.
    pub comp_inlined: bool,
    /// An annotation or type scope directly or indirectly in a class, which looks names up in
    /// the class namespace (`__classdict__`) before the globals.
    pub can_see_class_scope: bool,
    pub has_docstring: bool,
    /// `ste_method`: a function defined directly in a class body (`CO_METHOD`).
    pub method: bool,
    /// 3.14+: the module or class has annotations that codegen must guard with
    /// `__conditional_annotations__` (every annotated module; a class with annotations under
    /// `if`/`for`/`while`/`try`/`with`/`match`); codegen adds that cell.
    pub has_conditional_annotations: bool,
    /// `ste_annotations_used`: on a function's `__annotate__` scope, the function has at least
    /// one parameter or return annotation (so codegen builds `__annotate__`); on any scope, it
    /// contains an `AnnAssign`.
    pub annotations_used: bool,
    /// `ste_annotation_block`: the `__annotate__` scope of a module's or class's annotations
    /// (for a function: the never-compiled scope of the `AnnAssign`s in its body; the scope of
    /// its parameter annotations is [`SymbolTable::function_annotation_scope`]).
    pub annotation_block: Option<ScopeId>,
    /// On the `__annotate__` scope of a class with conditional annotations: codegen gives it
    /// `__conditional_annotations__` as a free variable (included in [`Self::freevars`]).
    pub conditional_annotations_cell: bool,
    /// The class name used for private-name mangling in this scope (`st_private` while the
    /// scope was visited).
    pub private: Option<String>,
    /// Names the type-parameter scope of a generic class mangles (`ste_mangled_names`): only
    /// type parameters are mangled there, other names are not. `None`: mangle every name.
    pub mangled_names: Option<Vec<String>>,
    /// `global` / `nonlocal` statements (and walrus targets in comprehensions): name and
    /// location, for error messages.
    directives: Vec<(String, Loc)>,
    /// The key this scope is registered under (`ste_id`).
    key: usize,
}

/// A source range as CPython's `_Py_SourceLocation`: 1-based lines, 0-based UTF-8 columns.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Loc {
    pub lineno: u32,
    pub col: u32,
    pub end_lineno: u32,
    pub end_col: u32,
}

/// `co_flags` bits the symbol table decides.
pub mod code_flags {
    pub const CO_OPTIMIZED: u32 = 0x1;
    pub const CO_NEWLOCALS: u32 = 0x2;
    pub const CO_VARARGS: u32 = 0x4;
    pub const CO_VARKEYWORDS: u32 = 0x8;
    pub const CO_NESTED: u32 = 0x10;
    pub const CO_GENERATOR: u32 = 0x20;
    pub const CO_COROUTINE: u32 = 0x80;
    pub const CO_ASYNC_GENERATOR: u32 = 0x200;
    pub const CO_HAS_DOCSTRING: u32 = 0x400_0000;
    pub const CO_METHOD: u32 = 0x800_0000;
}

impl Scope {
    fn new(name: String, kind: BlockType, loc: Loc) -> Scope {
        Scope {
            name,
            kind,
            lineno: loc.lineno,
            col_offset: loc.col,
            symbols: Vec::new(),
            index: HashMap::new(),
            varnames: Vec::new(),
            children: Vec::new(),
            parent: None,
            nested: false,
            generator: false,
            coroutine: false,
            comprehension: None,
            varargs: false,
            varkeywords: false,
            returns_value: false,
            needs_class_closure: false,
            needs_classdict: false,
            comp_inlined: false,
            can_see_class_scope: false,
            has_docstring: false,
            method: false,
            has_conditional_annotations: false,
            annotations_used: false,
            annotation_block: None,
            conditional_annotations_cell: false,
            private: None,
            mangled_names: None,
            directives: Vec::new(),
            key: 0,
        }
    }

    pub fn symbol(&self, name: &str) -> Option<&Symbol> {
        self.index.get(name).map(|&i| &self.symbols[i].1)
    }
    fn symbol_mut(&mut self, name: &str) -> Option<&mut Symbol> {
        let i = *self.index.get(name)?;
        Some(&mut self.symbols[i].1)
    }
    /// Adds `name` at the end (or returns the existing entry).
    fn entry(&mut self, name: &str, flags: u32) -> &mut Symbol {
        let i = match self.index.get(name) {
            Some(&i) => i,
            None => {
                self.symbols.push((
                    name.to_string(),
                    Symbol {
                        flags,
                        scope: NameScope::Local,
                    },
                ));
                self.index.insert(name.to_string(), self.symbols.len() - 1);
                self.symbols.len() - 1
            }
        };
        &mut self.symbols[i].1
    }
    fn remove_symbol(&mut self, name: &str) {
        if self.index.remove(name).is_some() {
            self.symbols.retain(|(n, _)| n != name);
            self.index = self
                .symbols
                .iter()
                .enumerate()
                .map(|(i, (n, _))| (n.clone(), i))
                .collect();
        }
    }
    /// `_Py_MaybeMangle`: `name` as this scope stores it — mangled with [`Self::private`],
    /// except in a generic class's type-parameter scopes, where only the type parameters are.
    pub fn mangle(&self, name: &str) -> String {
        if let Some(m) = &self.mangled_names {
            if !m.iter().any(|n| n == name) {
                return name.to_string();
            }
        }
        mangle(self.private.as_deref(), name)
    }
    /// `_PyST_GetScope`: the scope of `name` here (`None` if the name is unknown here).
    pub fn get_scope(&self, name: &str) -> Option<NameScope> {
        self.symbol(name).map(|s| s.scope)
    }
    /// `_PyST_GetSymbol`: the flags of `name` (0 if unknown).
    pub fn flags(&self, name: &str) -> u32 {
        self.symbol(name).map_or(0, |s| s.flags)
    }
    /// `_PyST_IsFunctionLike`.
    pub fn is_function_like(&self) -> bool {
        matches!(
            self.kind,
            BlockType::Function
                | BlockType::Annotation
                | BlockType::TypeVariable
                | BlockType::TypeAlias
                | BlockType::TypeParameters
        )
    }

    /// `u_cellvars` of `compile.c`: the names whose scope is CELL or that carry
    /// `DEF_COMP_CELL`, sorted (`dictbytype`), then the implicit cells codegen cooks up:
    /// `__class__` (if [`Self::needs_class_closure`] and not already there), `__classdict__`,
    /// `__conditional_annotations__`.
    pub fn cellvars(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .symbols
            .iter()
            .filter(|(_, s)| s.scope == NameScope::Cell || s.flags & flags::DEF_COMP_CELL != 0)
            .map(|(n, _)| n.clone())
            .collect();
        out.sort();
        let mut add = |name: &str| {
            if !out.iter().any(|n| n == name) {
                out.push(name.to_string());
            }
        };
        if self.needs_class_closure {
            add("__class__");
        }
        if self.needs_classdict {
            add("__classdict__");
        }
        if self.has_conditional_annotations {
            add("__conditional_annotations__");
        }
        out
    }

    /// `u_freevars` of `compile.c`: the names whose scope is FREE or that carry
    /// `DEF_FREE_CLASS`, sorted (`dictbytype`), then `__conditional_annotations__` for the
    /// `__annotate__` of a class with conditional annotations.
    pub fn freevars(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .symbols
            .iter()
            .filter(|(_, s)| s.scope == NameScope::Free || s.flags & flags::DEF_FREE_CLASS != 0)
            .map(|(n, _)| n.clone())
            .collect();
        out.sort();
        if self.conditional_annotations_cell
            && !out.iter().any(|n| n == "__conditional_annotations__")
        {
            out.push("__conditional_annotations__".to_string());
        }
        out
    }

    /// The `co_flags` bits `compute_code_flags` takes from the table (future-import flags
    /// aside): `CO_OPTIMIZED | CO_NEWLOCALS`, `CO_NESTED`, `CO_GENERATOR`,
    /// `CO_ASYNC_GENERATOR`, `CO_COROUTINE`, `CO_VARARGS`, `CO_VARKEYWORDS`,
    /// `CO_HAS_DOCSTRING`, `CO_METHOD`.
    pub fn code_flags(&self) -> u32 {
        use code_flags::*;
        let mut f = 0;
        if self.is_function_like() {
            f |= CO_OPTIMIZED | CO_NEWLOCALS;
            if self.nested {
                f |= CO_NESTED;
            }
            if self.generator && !self.coroutine {
                f |= CO_GENERATOR;
            }
            if self.generator && self.coroutine {
                f |= CO_ASYNC_GENERATOR;
            }
            if self.varargs {
                f |= CO_VARARGS;
            }
            if self.varkeywords {
                f |= CO_VARKEYWORDS;
            }
            if self.has_docstring {
                f |= CO_HAS_DOCSTRING;
            }
            if self.method {
                f |= CO_METHOD;
            }
        }
        if self.coroutine && !self.generator {
            f |= CO_COROUTINE;
        }
        f
    }
}

/// The symbol table of one module.
#[derive(Clone, Debug)]
pub struct SymbolTable {
    /// Every scope, in the order the first pass opened them (the module first).
    pub scopes: Vec<Scope>,
    by_node: HashMap<usize, ScopeId>,
}

/// The stack the passes run on: deep (but legal) nesting must not overflow the caller's.
const BIG_STACK: usize = 256 << 20;

impl SymbolTable {
    /// Builds and analyzes the table (`_PySymtable_Build`). Errors are CPython's compile-time
    /// `SyntaxError`s (`nonlocal` at module level, names both global and parameter, …).
    pub fn build(
        module: &AstNode,
        src: &Source,
        version: PyVersion,
    ) -> Result<SymbolTable, PyError> {
        let run = || -> Result<SymbolTable, PyError> {
            let mut table = visit::collect(module, src, version)?;
            analyze::analyze(&mut table, src)?;
            Ok(table)
        };
        std::thread::scope(|s| {
            std::thread::Builder::new()
                .name("cpyviz-symtable".into())
                .stack_size(BIG_STACK)
                .spawn_scoped(s, run)
                .ok()
                .and_then(|h| h.join().ok())
                .unwrap_or_else(|| Err(super::unsupported("scopes (symbol table)", src, 1)))
        })
    }

    /// The module's scope.
    pub fn top(&self) -> ScopeId {
        0
    }

    pub fn scope(&self, id: ScopeId) -> &Scope {
        &self.scopes[id]
    }

    /// The scope `node` opened (`_PySymtable_Lookup`): the `Module`, a
    /// FunctionDef/AsyncFunctionDef, Lambda, ClassDef, ListComp/SetComp/DictComp/GeneratorExp,
    /// TypeAlias, a function's `arguments` node (its `__annotate__`) or a TypeVar node (its
    /// bound). See the module doc for every key.
    pub fn scope_of(&self, node: &AstNode) -> Option<ScopeId> {
        self.by_node
            .get(&(node as *const AstNode as usize))
            .copied()
    }

    /// Like [`Self::scope_of`], for keys that are not nodes (CPython keys some scopes by the
    /// address of a node + 1 or by a field: see the module doc).
    pub fn scope_of_key(&self, key: usize) -> Option<ScopeId> {
        self.by_node.get(&key).copied()
    }

    /// The `__annotate__` scope of a function's parameter and return annotations (keyed by its
    /// `arguments` node).
    pub fn function_annotation_scope(&self, func: &AstNode) -> Option<ScopeId> {
        let args = match Stmt::cast(func)? {
            Stmt::FunctionDef(f) => f.args(),
            Stmt::AsyncFunctionDef(f) => f.args(),
            _ => return None,
        };
        self.scope_of(args)
    }

    /// The type-parameter scope (`<generic parameters of X>`) of a generic function, class or
    /// type alias (keyed by its `type_params` field).
    pub fn type_params_scope(&self, owner: &AstNode) -> Option<ScopeId> {
        self.scope_of_key(type_params_key(owner)?)
    }

    /// The scope evaluating a TypeVar's bound or constraints.
    pub fn bound_scope(&self, type_param: &AstNode) -> Option<ScopeId> {
        if type_param.kind != NodeKind::TypeVar {
            return None;
        }
        self.scope_of(type_param)
    }

    /// The scope evaluating a type parameter's default (PEP 696).
    pub fn default_scope(&self, type_param: &AstNode) -> Option<ScopeId> {
        self.scope_of_key(default_key(type_param))
    }
}

/// The key of a type-parameter scope: the address of the owner's `type_params` field value.
fn type_params_key(owner: &AstNode) -> Option<usize> {
    let field = match owner.kind {
        NodeKind::FunctionDef => FunctionDef::TYPE_PARAMS,
        NodeKind::AsyncFunctionDef => AsyncFunctionDef::TYPE_PARAMS,
        NodeKind::ClassDef => ClassDef::TYPE_PARAMS,
        NodeKind::TypeAlias => TypeAlias::TYPE_PARAMS,
        _ => return None,
    };
    owner
        .fields
        .get(field)
        .map(|v| v as *const AstValue as usize)
}

/// The key of a type parameter's default scope: the node for TypeVarTuple / ParamSpec, the
/// node + 1 for TypeVar (whose node keys the bound).
fn default_key(type_param: &AstNode) -> usize {
    let addr = type_param as *const AstNode as usize;
    if type_param.kind == NodeKind::TypeVar {
        addr + 1
    } else {
        addr
    }
}

/// `_Py_Mangle`: `__spam` inside class `Ham` is `_Ham__spam` (not dunder names, not dotted
/// names, not when the class name is all underscores).
pub fn mangle(private: Option<&str>, name: &str) -> String {
    let Some(private) = private else {
        return name.to_string();
    };
    if !name.starts_with("__") || name.ends_with("__") || name.contains('.') {
        return name.to_string();
    }
    let class = private.trim_start_matches('_');
    if class.is_empty() {
        return name.to_string();
    }
    format!("_{class}{name}")
}

mod analyze;
#[cfg(test)]
mod tests;
mod visit;

//! Scopes and the scope of every name — CPython's `Python/symtable.c` for one module.
//!
//! [`SymbolTable::build`] walks the AST once, creating a [`Scope`] per module, function, lambda,
//! class, comprehension, annotation scope (PEP 649) and type-parameter scope (PEP 695), and then
//! resolves every name to a [`NameScope`] the way `analyze_block` does (free variables, cells,
//! implicit globals, inlined comprehensions of PEP 709, class closures `__class__` /
//! `__classdict__` / `__conditional_annotations__`).
//!
//! Scopes are found again by the AST node that opened them ([`SymbolTable::scope_of`]), keyed by
//! the node's address exactly as CPython keys `st_blocks` by node pointer: the AST must not move
//! between `build` and codegen.

use crate::error::PyError;
use crate::pipeline::ast::AstNode;
use crate::source::Source;
use crate::version::PyVersion;
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

/// `DEF_*` / `USE` flags of a symbol (`symtable.h`).
pub mod flags {
    pub const DEF_GLOBAL: u32 = 1;
    pub const DEF_LOCAL: u32 = 2;
    pub const DEF_PARAM: u32 = 4;
    pub const DEF_NONLOCAL: u32 = 8;
    pub const USE: u32 = 16;
    pub const DEF_FREE_CLASS: u32 = 32;
    pub const DEF_IMPORT: u32 = 64;
    pub const DEF_ANNOT: u32 = 128;
    pub const DEF_COMP_ITER: u32 = 256;
    pub const DEF_TYPE_PARAM: u32 = 512;
    pub const DEF_COMP_CELL: u32 = 1024;
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
    pub name: String,
    pub kind: BlockType,
    /// Line of the node that opened the scope.
    pub lineno: u32,
    /// Symbols in order of first appearance (`ste_symbols` is an insertion-ordered dict).
    pub symbols: Vec<(String, Symbol)>,
    index: HashMap<String, usize>,
    /// `ste_varnames`: parameters first, in order, then other locals as they are first bound.
    pub varnames: Vec<String>,
    pub children: Vec<ScopeId>,
    pub parent: Option<ScopeId>,
    /// `ste_nested`: inside a function.
    pub nested: bool,
    pub generator: bool,
    pub coroutine: bool,
    pub comprehension: Option<ComprehensionType>,
    pub varargs: bool,
    pub varkeywords: bool,
    pub returns_value: bool,
    pub needs_class_closure: bool,
    pub needs_classdict: bool,
    /// PEP 709: this comprehension is inlined into its parent.
    pub comp_inlined: bool,
    pub can_see_class_scope: bool,
    pub has_docstring: bool,
    /// 3.14: the class or module has annotations under `if`/`try`/… (needs
    /// `__conditional_annotations__`).
    pub has_conditional_annotations: bool,
    /// 3.14: the scope of the module's or class's `__annotate__` (`ste_annotation_block`).
    pub annotation_block: Option<ScopeId>,
    /// The class name used for private-name mangling here (`ste_mangled_names` aside).
    pub private: Option<String>,
}

impl Scope {
    pub fn symbol(&self, name: &str) -> Option<&Symbol> {
        self.index.get(name).map(|&i| &self.symbols[i].1)
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
}

/// The symbol table of one module.
#[derive(Clone, Debug)]
pub struct SymbolTable {
    pub scopes: Vec<Scope>,
    by_node: HashMap<usize, ScopeId>,
}

impl SymbolTable {
    /// Builds and analyzes the table (`_PySymtable_Build`). Errors are CPython's compile-time
    /// `SyntaxError`s (`nonlocal` at module level, names both global and parameter, …).
    pub fn build(
        module: &AstNode,
        src: &Source,
        version: PyVersion,
    ) -> Result<SymbolTable, PyError> {
        let _ = (module, version);
        Err(super::unsupported("scopes (symbol table)", src, 1))
    }

    /// The module's scope.
    pub fn top(&self) -> ScopeId {
        0
    }

    pub fn scope(&self, id: ScopeId) -> &Scope {
        &self.scopes[id]
    }

    /// The scope `node` opened (`_PySymtable_Lookup`): a FunctionDef/AsyncFunctionDef, Lambda,
    /// ClassDef, ListComp/SetComp/DictComp/GeneratorExp node; for annotation scopes of a
    /// function, its `arguments` node; for type-parameter scopes, the `type_params` owner's
    /// … (see `build` for every key).
    pub fn scope_of(&self, node: &AstNode) -> Option<ScopeId> {
        self.by_node
            .get(&(node as *const AstNode as usize))
            .copied()
    }

    /// Like [`Self::scope_of`], for keys that are not nodes (CPython keys some scopes by the
    /// address of a field).
    pub fn scope_of_key(&self, key: usize) -> Option<ScopeId> {
        self.by_node.get(&key).copied()
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

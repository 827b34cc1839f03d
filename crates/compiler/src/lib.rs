//! Stage 3 of the built-in engine — a model of CPython's compiler: the AST of one module becomes
//! the code objects `python -m dis` shows, instruction for instruction, for one version profile.
//!
//! ```text
//! AstNode ─symtable─▶ scopes and the scope of every name                     (symtable.rs)
//!    └────codegen───▶ CodeUnit: instruction sequence + metadata per scope      (codegen/)
//!                        └─flowgraph─▶ basic blocks, CPython's optimizations    (flowgraph.rs)
//!                                        └─assemble─▶ CodeObject (dis fields)   (assemble.rs)
//! ```
//!
//! Each step follows the CPython file of the same name (`Python/symtable.c`, `codegen.c`,
//! `flowgraph.c`, `assemble.c`): the same passes in the same order, so the output matches
//! byte for byte. Opcode numbers, cache sizes and stack effects come from [`cpyviz_model::tables`]
//! through [`op::OpTable`]. A construct the model does not handle yet is reported as a
//! [`PyErrorKind::Unsupported`] error naming it and its line — never as wrong bytecode.
//!
//! CPython's own codegen output for the samples and the corpus is recorded in
//! `tests/codegen/` (`scripts/record-codegen`); `fixture` (tests only) loads it so each step can be tested
//! alone against the real thing.

// `PyError` is a plain record of CPython's SyntaxError fields; a stage returns at most one.
#![allow(clippy::result_large_err)]

pub mod assemble;
pub mod carets;
pub mod codegen;
#[cfg(test)]
pub mod fixture;
pub mod flowgraph;
pub mod ir;
pub mod op;
pub mod preprocess;
pub mod pyhash;
pub mod symtable;

use cpyviz_model::bytecode::CodeObject;
use cpyviz_model::error::{PyError, PyErrorKind, SyntaxWarning};
use cpyviz_model::source::Source;
use cpyviz_model::tables::CompilingProcess;
use cpyviz_model::version::PyVersion;
use cpyviz_syntax::ast::AstNode;

/// Compiles a parsed module (`mode="exec"`) into its code object and the nested ones, on the
/// calling thread, with the `SyntaxWarning`s CPython's compiler issues on the way, in its
/// order: the AST preprocessing pass's, then codegen's (CPython prints them before the result
/// or the error). [`compile_with_warnings`] runs it on a big stack.
pub fn compile_here(
    module: &AstNode,
    src: &Source,
    version: PyVersion,
) -> (Result<CodeObject, PyError>, Vec<SyntaxWarning>) {
    compile_in(module, src, version, CompilingProcess::Dis)
}

fn compile_in(
    module: &AstNode,
    src: &Source,
    version: PyVersion,
    process: CompilingProcess,
) -> (Result<CodeObject, PyError>, Vec<SyntaxWarning>) {
    let mut warnings = preprocess::finally_warnings(module, src);
    let table = match symtable::SymbolTable::build(module, src, version) {
        Ok(t) => t,
        Err(e) => return (Err(e), warnings),
    };
    let (result, more) =
        codegen::compile_module_with_warnings(module, &table, src, version, process);
    warnings.extend(more);
    (result, warnings)
}

/// Parses and compiles module source text on the calling thread, warnings dropped: what the
/// VM needs for the library modules it writes in Python and for the source text they
/// compile at run time (`dataclasses`).
pub fn compile_source_here(source: &Source, version: PyVersion) -> Result<CodeObject, PyError> {
    let tree = cpyviz_syntax::ast::parse(source, version)?;
    compile_here(&tree, source, version).0
}

/// The error for a construct the built-in compiler does not model yet: it names the construct
/// and its line and points to the live engine (the AST stage's unsupported errors read alike).
pub fn unsupported(what: &str, src: &Source, lineno: u32) -> PyError {
    PyError::new(
        PyErrorKind::Unsupported,
        format!(
            "line {lineno}: {what} is beyond the built-in compiler; try --engine cpython \
             to see CPython's own bytecode"
        ),
        src.path.clone(),
    )
}

/// The *bytecode* stage from the *AST* stage's result, with the compiler's `SyntaxWarning`s.
/// `python -m ast` parses with type comments, `compile()` without: a `# type:` comment where
/// the grammar has no place for one fails only the former, so such a file is parsed again
/// without them.
pub fn bytecode_of(
    ast: &Result<AstNode, cpyviz_model::error::PyError>,
    source: &Source,
    version: PyVersion,
) -> (
    Result<cpyviz_model::bytecode::CodeObject, cpyviz_model::error::PyError>,
    Vec<cpyviz_model::error::SyntaxWarning>,
) {
    let untyped = match ast {
        Err(e)
            if e.kind == cpyviz_model::error::PyErrorKind::SyntaxError
                && source.text.contains("type") =>
        {
            Some(
                cpyviz_syntax::ast::parse_with_options(
                    source,
                    version,
                    &cpyviz_syntax::ast::ParseOptions::compile(),
                )
                .0,
            )
        }
        _ => None,
    };
    match untyped.as_ref().unwrap_or(ast) {
        Ok(tree) => compile_with_warnings(tree, source, version),
        Err(e) => (Err(e.clone()), Vec::new()),
    }
}

/// The *bytecode* stage: compiles `tree` on a thread with a big stack (deep nesting recurses
/// deeply in codegen), so no input can overflow the caller's stack.
pub fn compile(
    tree: &AstNode,
    source: &Source,
    version: PyVersion,
) -> Result<cpyviz_model::bytecode::CodeObject, cpyviz_model::error::PyError> {
    compile_with_warnings(tree, source, version).0
}

/// [`compile`], with the compiler's `SyntaxWarning`s.
pub fn compile_with_warnings(
    tree: &AstNode,
    source: &Source,
    version: PyVersion,
) -> (
    Result<cpyviz_model::bytecode::CodeObject, cpyviz_model::error::PyError>,
    Vec<cpyviz_model::error::SyntaxWarning>,
) {
    cpyviz_syntax::ast::on_big_stack(|| compile_here(tree, source, version)).unwrap_or_else(|| {
        let e = cpyviz_model::error::PyError::new(
            cpyviz_model::error::PyErrorKind::Unsupported,
            "the built-in compiler failed on this file (an internal error); \
                 run with --engine cpython to see CPython's own bytecode",
            source.path.clone(),
        );
        (Err(e), Vec::new())
    })
}

/// The module's code object as the process that runs it compiles it (`stage.py`: compile,
/// then exec). It differs from the bytecode stage's only where the order of a `frozenset`
/// constant depends on the strings that process had interned: `code` (the bytecode stage's)
/// is returned as it is when it holds no `frozenset` constant.
pub fn code_to_run(
    tree: &AstNode,
    code: &CodeObject,
    source: &Source,
    version: PyVersion,
) -> Result<CodeObject, PyError> {
    let has_frozenset = code.walk().iter().any(|c| {
        c.const_values
            .iter()
            .any(|k| matches!(k, cpyviz_model::bytecode::Const::FrozenSet(_)))
    });
    if !has_frozenset {
        return Ok(code.clone());
    }
    cpyviz_syntax::ast::on_big_stack(|| compile_in(tree, source, version, CompilingProcess::Run).0)
        .unwrap_or_else(|| Ok(code.clone()))
}

/// The repository's root, where the recorded fixtures live (`tests/codegen/`, …).
#[cfg(test)]
pub(crate) fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

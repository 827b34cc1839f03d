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
//! byte for byte. Opcode numbers, cache sizes and stack effects come from [`crate::tables`]
//! through [`op::OpTable`]. A construct the model does not handle yet is reported as a
//! [`PyErrorKind::Unsupported`] error naming it and its line — never as wrong bytecode.
//!
//! CPython's own codegen output for the samples and the corpus is recorded in
//! `tests/codegen/` (`scripts/record-codegen`); [`fixture`] loads it so each step can be tested
//! alone against the real thing.

pub mod assemble;
pub mod codegen;
#[cfg(test)]
pub mod fixture;
pub mod flowgraph;
pub mod ir;
pub mod op;
pub mod preprocess;
pub mod symtable;

use crate::bytecode::CodeObject;
use crate::error::{PyError, PyErrorKind, SyntaxWarning};
use crate::pipeline::ast::AstNode;
use crate::source::Source;
use crate::version::PyVersion;

/// Compiles a parsed module (`mode="exec"`) into its code object and the nested ones.
pub fn compile(module: &AstNode, src: &Source, version: PyVersion) -> Result<CodeObject, PyError> {
    compile_with_warnings(module, src, version).0
}

/// [`compile`], with the `SyntaxWarning`s CPython's compiler issues on the way, in its order:
/// the AST preprocessing pass's, then codegen's (CPython prints them before the result or the
/// error).
pub fn compile_with_warnings(
    module: &AstNode,
    src: &Source,
    version: PyVersion,
) -> (Result<CodeObject, PyError>, Vec<SyntaxWarning>) {
    let mut warnings = preprocess::finally_warnings(module, src);
    let table = match symtable::SymbolTable::build(module, src, version) {
        Ok(t) => t,
        Err(e) => return (Err(e), warnings),
    };
    let (result, more) = codegen::compile_module_with_warnings(module, &table, src, version);
    warnings.extend(more);
    (result, warnings)
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

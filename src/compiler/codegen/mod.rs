//! AST → instruction sequences — `Python/codegen.c` (and the unit bookkeeping of `compile.c`).

use super::symtable::SymbolTable;
use crate::bytecode::CodeObject;
use crate::error::PyError;
use crate::pipeline::ast::AstNode;
use crate::source::Source;
use crate::version::PyVersion;

/// Compiles the module whose symbol table is `table`.
pub fn compile_module(
    module: &AstNode,
    table: &SymbolTable,
    src: &Source,
    version: PyVersion,
) -> Result<CodeObject, PyError> {
    let _ = (module, table, version);
    Err(super::unsupported("modules", src, 1))
}

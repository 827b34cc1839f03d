//! Laying out the optimized instructions as a code object — `Python/assemble.c`, plus the
//! fields `dis` derives (argument reprs, labels, line starts, positions, exception table).

use super::ir::CodeUnit;
use crate::bytecode::CodeObject;
use crate::error::PyError;
use crate::version::PyVersion;

/// Optimizes `unit` ([`super::flowgraph`]) and assembles it into a [`CodeObject`] whose
/// instructions carry everything `dis` prints.
pub fn assemble(unit: CodeUnit, version: PyVersion) -> Result<CodeObject, PyError> {
    let _ = (unit, version);
    Err(PyError::new(
        crate::error::PyErrorKind::Unsupported,
        "the built-in assembler is not written yet",
        "",
    ))
}

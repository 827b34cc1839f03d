//! The built-in engine: each stage is a pure function of the source and earlier stages.
//!
//! ```text
//! bytes ──decode──▶ Source ──tokens::tokenize──▶ [Token]
//!                     └──────ast::parse─────────▶ AstNode ──compiler::compile──▶ CodeObject
//! ```
//!
//! The front end is `cpyviz_syntax`, the compiler `cpyviz_compiler` (CPython's code
//! generation, flow-graph optimizer and assembler); they fill the *bytecode* stage. The VM
//! (`cpyviz_vm`) runs the bytecode as `__main__` and fills the *specialized* stage and the
//! program's output; micro-ops and machine code come from the live engine for now.

use cpyviz_model::ast::AstNode;
use cpyviz_model::bytecode::CodeObject;
use cpyviz_model::capture::{Capture, Engine, StageBuilder};
use cpyviz_model::error::{PyError, SyntaxWarning};
use cpyviz_model::execution::{Execution, RunOptions};
use cpyviz_model::source::Source;
use cpyviz_model::tokens::Token;
use cpyviz_model::version::PyVersion;
use cpyviz_syntax::{ast, tokens};
use std::path::Path;
use std::sync::Arc;

/// The built-in engine's stages, as a capture computes them on demand, and how its VM runs.
struct Builtin {
    run: RunOptions,
}

impl StageBuilder for Builtin {
    fn tokens(&self, source: &Source, version: PyVersion) -> Result<Vec<Token>, PyError> {
        tokens::tokenize(source, version)
    }

    fn ast(
        &self,
        source: &Source,
        version: PyVersion,
    ) -> (Result<AstNode, PyError>, Vec<SyntaxWarning>) {
        ast::parse_with_warnings(source, version)
    }

    fn bytecode(
        &self,
        tree: &Result<AstNode, PyError>,
        source: &Source,
        version: PyVersion,
    ) -> (Result<CodeObject, PyError>, Vec<SyntaxWarning>) {
        cpyviz_compiler::bytecode_of(tree, source, version)
    }

    fn execute(
        &self,
        tree: Option<&AstNode>,
        code: &CodeObject,
        source: &Source,
        version: PyVersion,
    ) -> Option<Result<Execution, PyError>> {
        // The run's code is compiled as the process that runs it compiles it.
        let code = match tree.map(|t| cpyviz_compiler::code_to_run(t, code, source, version)) {
            Some(Ok(c)) => c,
            Some(Err(e)) => return Some(Err(e)),
            None => code.clone(),
        };
        Some(Ok(cpyviz_vm::execute(
            &code,
            &source.text,
            version,
            &self.run,
        )))
    }
}

/// The built-in engine's capture of `source` for `version`: its stages are computed when
/// first asked for ([`Capture::tokens`], …) or all at once on another thread
/// ([`Capture::compute_in_background`]).
pub fn capture(source: Source, version: PyVersion) -> Capture {
    capture_with(source, version, &RunOptions::default())
}

/// [`capture`], its VM run with `run` (the JIT on or off, the limits).
pub fn capture_with(source: Source, version: PyVersion, run: &RunOptions) -> Capture {
    let mut capture = Capture::lazy(
        Engine::Builtin,
        version,
        source,
        Arc::new(Builtin { run: *run }),
    );
    crate::jit::attach(&mut capture);
    capture
}

/// The built-in engine's captures of the file at `path`, one per version profile. Errors are
/// messages for the user (the file cannot be read, or its bytes cannot be decoded).
pub fn captures(path: &Path) -> Result<Vec<Capture>, String> {
    captures_with(path, &RunOptions::default())
}

/// [`captures`], their VM runs with `run`.
pub fn captures_with(path: &Path, run: &RunOptions) -> Result<Vec<Capture>, String> {
    let bytes = crate::read_file(path)?;
    captures_of_bytes(&path.to_string_lossy(), &bytes, run)
}

/// The built-in engine's captures of a snippet that is not read from a file (a sample built
/// into the binary), named `name`, one per version profile.
pub fn captures_of_bytes(
    name: &str,
    bytes: &[u8],
    run: &RunOptions,
) -> Result<Vec<Capture>, String> {
    let source = Source::decode(name, bytes).map_err(|e| ast::render_decode_error(name, &e))?;
    Ok(PyVersion::ALL
        .iter()
        .map(|&v| capture_with(source.clone(), v, run))
        .collect())
}

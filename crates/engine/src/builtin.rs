//! The built-in engine: each stage is a pure function of the source and earlier stages.
//!
//! ```text
//! bytes ──decode──▶ Source ──tokens::tokenize──▶ [Token]
//!                     └──────ast::parse─────────▶ AstNode ──compiler::compile──▶ CodeObject
//! ```
//!
//! The front end is `cpyviz_syntax`, the compiler `cpyviz_compiler` (CPython's code
//! generation, flow-graph optimizer and assembler); they fill the *bytecode* stage. Later
//! stages (specialization, micro-ops, machine code) need a run of the snippet and come from the
//! live engine for now.

use cpyviz_model::capture::{Capture, Engine, LaterStages, Warnings, CAPTURE_FORMAT};
use cpyviz_model::source::Source;
use cpyviz_model::version::PyVersion;
use cpyviz_syntax::{ast, tokens};
use std::path::Path;

/// Runs every stage the built-in engine has on `source` for `version`.
pub fn capture(source: Source, version: PyVersion) -> Capture {
    let tokens = tokens::tokenize(&source, version);
    let (ast, parse_warnings) = ast::parse_with_warnings(&source, version);
    let (bytecode, compile_warnings) = cpyviz_compiler::bytecode_of(&ast, &source, version);
    Capture {
        format: CAPTURE_FORMAT,
        engine: Engine::Builtin,
        version,
        source,
        tokens,
        ast,
        warnings: Warnings {
            parse: parse_warnings,
            compile: compile_warnings,
        },
        later: LaterStages {
            bytecode: Some(bytecode),
            ..Default::default()
        },
    }
}

/// The built-in engine's captures of the file at `path`, one per version profile. Errors are
/// messages for the user (the file cannot be read, or its bytes cannot be decoded).
pub fn captures(path: &Path) -> Result<Vec<Capture>, String> {
    let bytes = crate::read_file(path)?;
    let name = path.to_string_lossy().to_string();
    let source = Source::decode(&name, &bytes).map_err(|e| ast::render_decode_error(&name, &e))?;
    Ok(PyVersion::ALL
        .iter()
        .map(|&v| capture(source.clone(), v))
        .collect())
}

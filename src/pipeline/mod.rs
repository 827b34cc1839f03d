//! The built-in engine: each stage is a pure function of the source and earlier stages.
//!
//! ```text
//! bytes ──decode──▶ Source ──tokens::tokenize──▶ [Token]
//!                     └──────ast::parse─────────▶ AstNode ──compiler::compile──▶ CodeObject
//! ```
//!
//! The compiler ([`crate::compiler`]) models CPython's code generation, flow-graph optimizer and
//! assembler; it fills the *bytecode* stage. Later stages (specialization, micro-ops, machine
//! code) need a run of the snippet and come from the live engine for now.

pub mod ast;
pub mod tokens;

use crate::capture::{Capture, Engine, CAPTURE_FORMAT};
use crate::source::Source;
use crate::version::PyVersion;

/// Runs every stage the built-in engine has on `source` for `version`.
pub fn capture(source: Source, version: PyVersion) -> Capture {
    let tokens = tokens::tokenize(&source, version);
    let (ast, parse_warnings) = ast::parse_with_warnings(&source, version);
    let (bytecode, compile_warnings) = bytecode_of(&ast, &source, version);
    Capture {
        format: CAPTURE_FORMAT,
        engine: Engine::Builtin,
        version,
        source,
        tokens,
        ast,
        warnings: crate::capture::Warnings {
            parse: parse_warnings,
            compile: compile_warnings,
        },
        later: crate::capture::LaterStages {
            bytecode: Some(bytecode),
            ..Default::default()
        },
    }
}

/// The *bytecode* stage from the *AST* stage's result, with the compiler's `SyntaxWarning`s.
/// `python -m ast` parses with type comments, `compile()` without: a `# type:` comment where
/// the grammar has no place for one fails only the former, so such a file is parsed again
/// without them.
pub fn bytecode_of(
    ast: &Result<ast::AstNode, crate::error::PyError>,
    source: &Source,
    version: PyVersion,
) -> (
    Result<crate::bytecode::CodeObject, crate::error::PyError>,
    Vec<crate::error::SyntaxWarning>,
) {
    let untyped = match ast {
        Err(e)
            if e.kind == crate::error::PyErrorKind::SyntaxError && source.text.contains("type") =>
        {
            Some(ast::parse_with_options(source, version, &ast::ParseOptions::compile()).0)
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
    tree: &ast::AstNode,
    source: &Source,
    version: PyVersion,
) -> Result<crate::bytecode::CodeObject, crate::error::PyError> {
    compile_with_warnings(tree, source, version).0
}

/// [`compile`], with the compiler's `SyntaxWarning`s.
pub fn compile_with_warnings(
    tree: &ast::AstNode,
    source: &Source,
    version: PyVersion,
) -> (
    Result<crate::bytecode::CodeObject, crate::error::PyError>,
    Vec<crate::error::SyntaxWarning>,
) {
    ast::on_big_stack(|| crate::compiler::compile_with_warnings(tree, source, version))
        .unwrap_or_else(|| {
            let e = crate::error::PyError::new(
                crate::error::PyErrorKind::Unsupported,
                "the built-in compiler failed on this file (an internal error); \
                 run with --engine cpython to see CPython's own bytecode",
                source.path.clone(),
            );
            (Err(e), Vec::new())
        })
}

//! The built-in engine: each stage is a pure function of the source and earlier stages.
//!
//! ```text
//! bytes ──decode──▶ Source ──tokens::tokenize──▶ [Token]
//!                     └──────ast::parse─────────▶ AstNode
//! ```

pub mod ast;
pub mod tokens;

use crate::capture::{Capture, Engine, CAPTURE_FORMAT};
use crate::source::Source;
use crate::version::PyVersion;

/// Runs every stage the built-in engine has on `source` for `version`.
pub fn capture(source: Source, version: PyVersion) -> Capture {
    let tokens = tokens::tokenize(&source, version);
    let ast = ast::parse(&source, version);
    Capture {
        format: CAPTURE_FORMAT,
        engine: Engine::Builtin,
        version,
        source,
        tokens,
        ast,
        later: Default::default(),
    }
}

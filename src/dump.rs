//! `cpyviz dump STAGE FILE`: a stage printed in exactly the format CPython's own tools print it
//! (see `python -m tokenize -e`, `python -m ast`, `python -m dis`).

use crate::capture::{Capture, Stage, StageStatus};
use crate::pipeline;
use crate::source::Source;
use crate::version::PyVersion;

/// What a dump prints and how it exits, like the CPython command it mirrors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpOutput {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl DumpOutput {
    fn ok(stdout: String) -> DumpOutput {
        DumpOutput {
            stdout,
            stderr: String::new(),
            code: 0,
        }
    }
    fn fail(stderr: String) -> DumpOutput {
        DumpOutput {
            stdout: String::new(),
            stderr,
            code: 1,
        }
    }
}

/// Dumps `stage` of the file `path` with contents `bytes` through the built-in engine.
pub fn dump_file(stage: Stage, path: &str, bytes: &[u8], version: PyVersion) -> DumpOutput {
    if stage == Stage::Tokens {
        // `tokenize` decodes by its own rules and prints SyntaxWarnings before the tokens.
        let source = match pipeline::tokens::decode_for_tokenize(path, bytes) {
            Ok(s) => s,
            Err(e) => return DumpOutput::fail(e),
        };
        let (tokens, warnings) = pipeline::tokens::tokenize_with_warnings(&source, version);
        return match tokens {
            Ok(t) => DumpOutput {
                stdout: pipeline::tokens::dump(&t),
                stderr: warnings,
                code: 0,
            },
            Err(e) => DumpOutput::fail(warnings + &pipeline::tokens::render_error(&e)),
        };
    }
    let source = match Source::decode(path, bytes) {
        Ok(s) => s,
        Err(e) => return DumpOutput::fail(pipeline::ast::render_decode_error(path, &e)),
    };
    dump_capture(stage, &pipeline::capture(source, version))
}

/// Dumps `stage` from a capture (any engine).
pub fn dump_capture(stage: Stage, capture: &Capture) -> DumpOutput {
    match (stage, capture.status(stage)) {
        (Stage::Tokens, StageStatus::Ready) => {
            DumpOutput::ok(pipeline::tokens::dump(capture.tokens.as_ref().unwrap()))
        }
        (Stage::Tokens, StageStatus::Failed(e)) => {
            DumpOutput::fail(pipeline::tokens::render_error(e))
        }
        (Stage::Ast, StageStatus::Ready) => DumpOutput::ok(pipeline::ast::dump(
            capture.ast.as_ref().unwrap(),
            capture.version,
        )),
        (_, StageStatus::Failed(e)) => DumpOutput::fail(e.render()),
        (_, StageStatus::NotBuilt | StageStatus::Ready) => DumpOutput {
            stdout: String::new(),
            stderr: format!(
                "cpyviz: the {} stage is not built yet in the {} engine\n",
                stage.title(),
                capture.engine.label()
            ),
            code: 2,
        },
    }
}

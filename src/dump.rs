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

/// Dumps `stage` from a capture (any engine), after the `SyntaxWarning`s CPython's tool prints
/// for it: the parser's for `ast`, the parser's and the compiler's for `bytecode`.
pub fn dump_capture(stage: Stage, capture: &Capture) -> DumpOutput {
    let mut out = dump_stage(stage, capture);
    let warnings =
        crate::error::render_warnings(capture.warnings.for_stage(stage), &capture.source);
    out.stderr.insert_str(0, &warnings);
    out
}

fn dump_stage(stage: Stage, capture: &Capture) -> DumpOutput {
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
        (
            Stage::Bytecode | Stage::Specialized | Stage::Uops | Stage::MachineCode,
            StageStatus::Ready,
        ) => dump_later(stage, capture),
        (Stage::MachineCode, StageStatus::NotBuilt) if capture.later.executors.is_some() => {
            let why = capture
                .later
                .interpreter
                .as_ref()
                .map(|i| match (i.jit_available, &i.jit_note) {
                    (_, Some(note)) => note.clone(),
                    (Some(false), _) => "this CPython was built without the JIT".to_string(),
                    _ => "the JIT was off in this run".to_string(),
                })
                .unwrap_or_else(|| "the JIT was off in this run".to_string());
            DumpOutput {
                stdout: String::new(),
                stderr: format!("cpyviz: no machine code: {why}\n"),
                code: 2,
            }
        }
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

/// The CPython version whose tools' formats a capture's dumps follow: the interpreter's for a
/// live capture, the profile's for the built-in engine.
pub fn python_version(capture: &Capture) -> (u32, u32) {
    match &capture.later.interpreter {
        Some(i) => (i.version_info.0, i.version_info.1),
        None => match capture.version {
            PyVersion::V3_14 => (3, 14),
            PyVersion::V3_15 => (3, 15),
        },
    }
}

/// The stages after the AST. `specialized` and `uops` print what `stage.py` prints: the
/// snippet's own output first (it runs before the snapshot), then the stage; when the run
/// raised, the traceback and its exit status instead of the stage.
fn dump_later(stage: Stage, capture: &Capture) -> DumpOutput {
    let later = &capture.later;
    let py = python_version(capture);
    let body = match stage {
        Stage::Bytecode => match &later.bytecode {
            Some(Ok(code)) => return DumpOutput::ok(crate::dis::dis(code, py)),
            _ => String::new(),
        },
        Stage::Specialized => match &later.specialized {
            Some(Ok(code)) => crate::dis::dis(code, py),
            _ => String::new(),
        },
        Stage::Uops => match &later.executors {
            Some(Ok(ex)) => crate::uops::dump(ex),
            _ => String::new(),
        },
        Stage::MachineCode => match &later.executors {
            Some(Ok(ex)) => return DumpOutput::ok(crate::uops::dump_machine_code(ex)),
            _ => String::new(),
        },
        _ => String::new(),
    };
    match &later.run {
        Some(Ok(run)) => {
            let mut out = DumpOutput {
                stdout: run.stdout.clone(),
                stderr: run.stderr.clone(),
                code: 0,
            };
            match &run.exception {
                Some(exc) => {
                    out.stderr.push_str(&exc.traceback);
                    out.code = run.exit_code;
                }
                None => out.stdout.push_str(&body),
            }
            out
        }
        Some(Err(e)) => DumpOutput::fail(e.render()),
        None => DumpOutput::ok(body),
    }
}

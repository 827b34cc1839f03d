//! `cpyviz dump STAGE FILE`: a stage printed in exactly the format CPython's own tools print it
//! (see `python -m tokenize -e`, `python -m ast`, `python -m dis`).

use cpyviz_model::capture::{Capture, Stage, StageStatus};
use cpyviz_model::execution::RunOptions;
use cpyviz_model::source::Source;
use cpyviz_model::version::PyVersion;
use cpyviz_syntax as syntax;
pub use cpyviz_syntax::ast::AstOptions;

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
    dump_file_with(stage, path, bytes, version, &RunOptions::default())
}

/// [`dump_file`], the snippet run (for the specialized stage) with `run`.
pub fn dump_file_with(
    stage: Stage,
    path: &str,
    bytes: &[u8],
    version: PyVersion,
    run: &RunOptions,
) -> DumpOutput {
    if stage == Stage::Tokens {
        // `tokenize` decodes by its own rules and prints SyntaxWarnings before the tokens.
        let source = match syntax::tokens::decode_for_tokenize(path, bytes, version) {
            Ok(s) => s,
            Err(e) => return DumpOutput::fail(e),
        };
        let (tokens, warnings) = syntax::tokens::tokenize_with_warnings(&source, version);
        return match tokens {
            Ok(t) => DumpOutput {
                stdout: syntax::tokens::dump(&t, version),
                stderr: warnings,
                code: 0,
            },
            Err(e) => DumpOutput::fail(warnings + &syntax::tokens::render_error(&e)),
        };
    }
    let source = match Source::decode(path, bytes) {
        Ok(s) => s,
        Err(e) => return DumpOutput::fail(syntax::ast::render_decode_error(path, &e)),
    };
    // Only the stages the one asked for needs: `dump ast` never runs the compiler, and
    // `dump bytecode` never tokenizes.
    let (ast, parse) = syntax::ast::parse_with_warnings(&source, version);
    let mut warnings = cpyviz_model::capture::Warnings {
        parse,
        compile: Vec::new(),
    };
    let mut out = match stage {
        Stage::Ast => match &ast {
            Ok(tree) => DumpOutput::ok(syntax::ast::dump(tree, version)),
            Err(e) => DumpOutput::fail(e.render()),
        },
        Stage::Bytecode => {
            let (code, compile) = cpyviz_compiler::bytecode_of(&ast, &source, version);
            warnings.compile = compile;
            match code {
                Ok(code) => DumpOutput::ok(cpyviz_model::dis::dis(
                    &code,
                    version.profile().version_info,
                )),
                Err(e) => DumpOutput::fail(e.render()),
            }
        }
        _ => return dump_capture(stage, &crate::builtin::capture_with(source, version, run)),
    };
    let rendered = cpyviz_model::error::render_warnings(warnings.for_stage(stage), &source);
    out.stderr.insert_str(0, &rendered);
    out
}

/// Dumps `stage` from a capture (any engine), after the `SyntaxWarning`s CPython's tool prints
/// for it: the parser's for `ast`, the parser's and the compiler's for `bytecode`,
/// `specialized` and `uops` (which compile the file first).
pub fn dump_capture(stage: Stage, capture: &Capture) -> DumpOutput {
    let mut out = dump_stage(stage, capture);
    let warnings =
        cpyviz_model::error::render_warnings(capture.warnings_for(stage), &capture.source);
    out.stderr.insert_str(0, &warnings);
    out
}

fn dump_stage(stage: Stage, capture: &Capture) -> DumpOutput {
    match (stage, capture.status(stage)) {
        (Stage::Tokens, StageStatus::Ready) => DumpOutput::ok(syntax::tokens::dump(
            capture.tokens().as_ref().unwrap(),
            capture.version,
        )),
        (Stage::Tokens, StageStatus::Failed(e)) => {
            DumpOutput::fail(syntax::tokens::render_error(e))
        }
        (Stage::Ast, StageStatus::Ready) => DumpOutput::ok(syntax::ast::dump(
            capture.ast().as_ref().unwrap(),
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
        (Stage::Uops | Stage::MachineCode | Stage::Trampolines, StageStatus::NotBuilt)
            if capture.engine == cpyviz_model::capture::Engine::Builtin
                && matches!(capture.execution(), Some(Ok(e)) if !e.jit) =>
        {
            DumpOutput {
                stdout: String::new(),
                stderr: "cpyviz: no executors: the built-in VM ran with the JIT off (--jit off), \
                         so tier 2 built none\n"
                    .into(),
                code: 2,
            }
        }
        (_, StageStatus::Failed(e)) => DumpOutput::fail(e.render()),
        // `status` computes the stage first, so nothing is still computing here.
        (_, StageStatus::NotBuilt | StageStatus::Ready | StageStatus::Computing) => DumpOutput {
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

/// The stages after the AST. `specialized` and `uops` print what `stage.py` prints: the
/// snippet's own output first (it runs before the snapshot), then the stage; when the run
/// raised, the traceback and its exit status instead of the stage.
fn dump_later(stage: Stage, capture: &Capture) -> DumpOutput {
    let py = capture.python_version();
    let body = match stage {
        Stage::Bytecode => match capture.bytecode() {
            Some(Ok(code)) => return DumpOutput::ok(cpyviz_model::dis::dis(code, py)),
            _ => String::new(),
        },
        Stage::Specialized => match capture.specialized() {
            Some(Ok(code)) => cpyviz_model::dis::dis(code, py),
            _ => String::new(),
        },
        Stage::Uops => match capture.executors() {
            Some(Ok(ex)) => cpyviz_model::uops::dump(ex),
            _ => String::new(),
        },
        Stage::MachineCode => match capture.executors() {
            Some(Ok(ex)) => return DumpOutput::ok(crate::machine::dump_machine_code(ex)),
            _ => String::new(),
        },
        _ => String::new(),
    };
    match capture.run() {
        Some(Ok(run)) => {
            let mut out = DumpOutput {
                stdout: run.stdout.clone(),
                stderr: run.stderr.clone(),
                code: 0,
            };
            match &run.exception {
                Some(exc) => {
                    // The built-in run emulates `stage.py`, whose frame the traceback shows.
                    let python_exception = !matches!(&*exc.kind, "LimitExceeded" | "SystemExit");
                    if capture.engine == cpyviz_model::capture::Engine::Builtin && python_exception
                    {
                        out.stderr
                            .push_str(&cpyviz_model::execution::with_runner_frame(&exc.traceback));
                    } else {
                        out.stderr.push_str(&exc.traceback);
                    }
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

/// What `cpyviz dump` is asked to print.
#[derive(Debug, Clone)]
pub enum Request {
    /// A stage as its tool prints it by default.
    Plain(Stage),
    /// `python -m ast` with options.
    Ast(AstOptions),
    /// `python -m dis` with options (`-S`: the adaptive code of a compiled, never-run module).
    Bytecode {
        layout: cpyviz_model::dis::DisOptions,
        specialized: bool,
    },
    /// The JIT stages (`dump jit`, `dump trampolines`) with their options.
    Jit {
        options: cpyviz_model::jit::JitOptions,
        trampolines: bool,
    },
}

impl Request {
    /// For the live engine: CPython's own tool and its arguments, when the request needs the
    /// interpreter to parse or compile with options (else the engine's capture serves it).
    pub fn live_tool(&self) -> Option<(&'static str, Vec<String>)> {
        match self {
            Request::Ast(o) if o != &AstOptions::default() => Some(("ast", o.args())),
            Request::Bytecode {
                layout,
                specialized,
            } if layout.any() || *specialized => {
                let mut a = Vec::new();
                for (on, flag) in [
                    (layout.show_caches, "-C"),
                    (layout.show_offsets, "-O"),
                    (layout.show_positions, "-P"),
                    (*specialized, "-S"),
                ] {
                    if on {
                        a.push(flag.to_string());
                    }
                }
                Some(("dis", a))
            }
            _ => None,
        }
    }
}

/// [`dump_file`] for any request, through the built-in engine.
pub fn dump_file_request(
    request: &Request,
    path: &str,
    bytes: &[u8],
    version: PyVersion,
    run: &RunOptions,
) -> DumpOutput {
    match request {
        Request::Plain(stage) => dump_file_with(*stage, path, bytes, version, run),
        Request::Jit { .. } => {
            let source = match Source::decode(path, bytes) {
                Ok(s) => s,
                Err(e) => return DumpOutput::fail(syntax::ast::render_decode_error(path, &e)),
            };
            dump_request(request, &crate::builtin::capture_with(source, version, run))
        }
        Request::Ast(options) => {
            let source = match Source::decode(path, bytes) {
                Ok(s) => s,
                Err(e) => return DumpOutput::fail(syntax::ast::render_decode_error(path, &e)),
            };
            dump_ast(&source, version, options)
        }
        Request::Bytecode {
            specialized: true, ..
        } => DumpOutput {
            stdout: String::new(),
            stderr: "cpyviz: -S (specialized bytecode) needs CPython's own code object, which the \
                     built-in engine does not model yet; run with --engine cpython\n"
                .into(),
            code: 2,
        },
        Request::Bytecode { layout, .. } => {
            let source = match Source::decode(path, bytes) {
                Ok(s) => s,
                Err(e) => return DumpOutput::fail(syntax::ast::render_decode_error(path, &e)),
            };
            dump_bytecode_capture(&crate::builtin::capture(source, version), *layout)
        }
    }
}

/// [`dump_capture`] for any request (a capture recorded earlier, or the live engine's).
pub fn dump_request(request: &Request, capture: &Capture) -> DumpOutput {
    match request {
        Request::Plain(stage) => dump_capture(*stage, capture),
        Request::Jit {
            options,
            trampolines,
        } => dump_jit(capture, options, *trampolines),
        Request::Ast(options) if options.changes_the_parse() => DumpOutput {
            stdout: String::new(),
            stderr: format!(
                "cpyviz: {} change how the file is parsed; a capture holds the default parse \
                 (use the built-in engine, or --engine cpython on the file)\n",
                options.args().join(" ")
            ),
            code: 2,
        },
        Request::Ast(options) => {
            let mut out = dump_capture(Stage::Ast, capture);
            if out.code == 0 {
                if let Ok(tree) = capture.ast() {
                    out.stdout = syntax::ast::dump_with(
                        tree,
                        &capture.source,
                        capture.version,
                        &layout_of(options),
                    );
                }
            }
            out
        }
        Request::Bytecode {
            specialized: true, ..
        } => DumpOutput {
            stdout: String::new(),
            stderr: "cpyviz: -S shows the adaptive code of a module compiled, not run; a capture \
                     holds what the run specialized instead (`cpyviz dump specialized`); run \
                     with --engine cpython on the file for -S\n"
                .into(),
            code: 2,
        },
        Request::Bytecode { layout, .. } => dump_bytecode_capture(capture, *layout),
    }
}

/// `dump jit` / `dump trampolines`: the model region of every executor, or the explainer.
fn dump_jit(
    capture: &Capture,
    options: &cpyviz_model::jit::JitOptions,
    trampolines: bool,
) -> DumpOutput {
    let view = match capture.jit(options) {
        Some(v) => v,
        None => {
            let mut c = capture.clone();
            crate::jit::attach(&mut c);
            match c.jit(options) {
                Some(v) => v,
                None => return DumpOutput::fail("cpyviz: no JIT stages\n".into()),
            }
        }
    };
    if view.executors.is_empty() {
        // Like a stage the engine does not build: status 2, and what the user needs.
        return DumpOutput {
            stdout: String::new(),
            stderr: format!(
                "cpyviz: {}\n",
                view.note.as_deref().unwrap_or("no executors")
            ),
            code: 2,
        };
    }
    let engine = capture.engine.label();
    let text = if trampolines {
        cpyviz_jit::dump::dump_trampolines(&view, &engine)
    } else {
        let executors = match capture.executors() {
            Some(Ok(e)) => e.to_vec(),
            _ => Vec::new(),
        };
        let arch = crate::jit::capture_target(capture).arch();
        cpyviz_jit::dump::dump_jit(&view, &engine, &|i| {
            executors
                .get(i)
                .filter(|e| e.jit_code.is_some())
                .map(|e| crate::machine::dump_machine_code_for(std::slice::from_ref(e), arch))
                .unwrap_or_default()
        })
    };
    let mut out = DumpOutput::ok(text);
    if let Some(Ok(run)) = &capture.later.run {
        out.stdout.insert_str(0, &run.stdout);
        out.stderr.insert_str(0, &run.stderr);
    }
    out
}

fn layout_of(options: &AstOptions) -> syntax::ast::DumpLayout {
    syntax::ast::DumpLayout {
        indent: Some(" ".repeat(options.indent.max(0) as usize)),
        include_attributes: options.include_attributes,
        show_empty: options.show_empty,
    }
}

/// `python -m ast OPTIONS FILE` through the built-in engine.
fn dump_ast(source: &Source, version: PyVersion, options: &AstOptions) -> DumpOutput {
    let parse = match syntax::ast::ParseOptions::from_ast_options(options, version) {
        Ok(p) => p,
        Err((stderr, code)) => {
            return DumpOutput {
                stdout: String::new(),
                stderr,
                code,
            }
        }
    };
    let (tree, warnings) = syntax::ast::parse_with_options(source, version, &parse);
    let mut out = match tree {
        Ok(tree) => DumpOutput::ok(syntax::ast::dump_with(
            &tree,
            source,
            version,
            &layout_of(options),
        )),
        Err(e) => DumpOutput::fail(e.render()),
    };
    out.stderr
        .insert_str(0, &cpyviz_model::error::render_warnings(&warnings, source));
    out
}

/// `python -m dis [-C] [-O] [-P]` of a capture's bytecode.
fn dump_bytecode_capture(capture: &Capture, layout: cpyviz_model::dis::DisOptions) -> DumpOutput {
    let mut out = dump_capture(Stage::Bytecode, capture);
    if out.code == 0 && layout.any() {
        if let Some(Ok(code)) = capture.bytecode() {
            out.stdout = cpyviz_model::dis::dis_with(code, capture.python_version(), layout);
        }
    }
    out
}

//! The data model: a [`Capture`] holds every stage's result for one snippet, whichever engine
//! produced it. The UI and the exporters only ever read a `Capture`.

use crate::ast::AstNode;
use crate::bytecode::CodeObject;
use crate::error::{PyError, SyntaxWarning};
use crate::source::Source;
use crate::tokens::Token;
use crate::uops::{Executor, Listing};
use crate::version::PyVersion;
use serde::{Deserialize, Serialize};

/// The version of the capture file format; bumped on incompatible changes.
pub const CAPTURE_FORMAT: u32 = 1;

/// The stages of CPython's pipeline, in order.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::EnumIter,
    strum::FromRepr,
)]
pub enum Stage {
    Tokens,
    Ast,
    Bytecode,
    Specialized,
    Uops,
    MachineCode,
    Trampolines,
}

impl Stage {
    /// The title on the stage bar.
    pub fn title(self) -> &'static str {
        match self {
            Stage::Tokens => "Tokens",
            Stage::Ast => "AST",
            Stage::Bytecode => "Bytecode",
            Stage::Specialized => "Specialized",
            Stage::Uops => "Micro-ops",
            Stage::MachineCode => "Machine code",
            Stage::Trampolines => "Trampolines",
        }
    }

    /// A short title for narrow stage bars.
    pub fn short_title(self) -> &'static str {
        match self {
            Stage::Tokens => "Tokens",
            Stage::Ast => "AST",
            Stage::Bytecode => "Bytecode",
            Stage::Specialized => "Spec.",
            Stage::Uops => "µops",
            Stage::MachineCode => "Mach.",
            Stage::Trampolines => "Tramp.",
        }
    }

    /// The name used on the command line (`cpyviz dump NAME`, `--stage NAME`).
    pub fn cli_name(self) -> &'static str {
        match self {
            Stage::Tokens => "tokens",
            Stage::Ast => "ast",
            Stage::Bytecode => "bytecode",
            Stage::Specialized => "specialized",
            Stage::Uops => "uops",
            Stage::MachineCode => "jit",
            Stage::Trampolines => "trampolines",
        }
    }

    pub fn all() -> impl Iterator<Item = Stage> {
        <Stage as strum::IntoEnumIterator>::iter()
    }

    pub fn from_cli_name(name: &str) -> Option<Stage> {
        Stage::all().find(|s| s.cli_name() == name)
    }

    pub fn next(self) -> Stage {
        Stage::from_repr(self as usize + 1).unwrap_or(self)
    }

    pub fn prev(self) -> Stage {
        (self as usize)
            .checked_sub(1)
            .and_then(Stage::from_repr)
            .unwrap_or(self)
    }
}

/// Which engine produced a capture.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Engine {
    /// cpyviz's own model of CPython (offline, deterministic).
    Builtin,
    /// A real CPython, run with the probe.
    Cpython {
        executable: String,
        /// `sys.version` of that interpreter.
        version: String,
    },
}

impl Engine {
    /// A short label for status lines: `builtin model` or `CPython 3.14.1 (live)`.
    pub fn label(&self) -> String {
        match self {
            Engine::Builtin => "builtin model".to_string(),
            Engine::Cpython { version, .. } => format!(
                "CPython {} (live)",
                version.split_whitespace().next().unwrap_or(version)
            ),
        }
    }
}

/// What a capture has for one stage.
#[derive(Debug, Clone, Copy)]
pub enum StageStatus<'a> {
    Ready,
    Failed(&'a PyError),
    /// The engine does not build this stage (yet).
    NotBuilt,
}

/// Every stage's result for one snippet.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Capture {
    pub format: u32,
    pub engine: Engine,
    /// The version profile the stages follow.
    pub version: PyVersion,
    pub source: Source,
    pub tokens: Result<Vec<Token>, PyError>,
    pub ast: Result<AstNode, PyError>,
    /// The `SyntaxWarning`s CPython issues for the snippet (none recorded = none issued).
    #[serde(default)]
    pub warnings: Warnings,
    /// The stages after the AST (absent = not built by this engine).
    #[serde(default)]
    pub later: LaterStages,
}

/// The `SyntaxWarning`s of a snippet, by the step of `compile()` that issues them; CPython
/// prints them on stderr before the step's result or error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warnings {
    /// The tokenizer's and the parser's (invalid escape sequences, `1if`): `python -m ast`
    /// prints these.
    #[serde(default)]
    pub parse: Vec<SyntaxWarning>,
    /// The compiler's (`'return' in a 'finally' block`, `"is" with a literal`, …): `python
    /// -m dis` prints these after the parser's.
    #[serde(default)]
    pub compile: Vec<SyntaxWarning>,
}

impl Warnings {
    /// The warnings CPython's tool for `stage` prints: the parser's for `python -m ast`, the
    /// parser's then the compiler's for `python -m dis`, none for the others.
    pub fn for_stage(&self, stage: Stage) -> Vec<&SyntaxWarning> {
        match stage {
            Stage::Ast => self.parse.iter().collect(),
            Stage::Bytecode => self.parse.iter().chain(&self.compile).collect(),
            _ => Vec::new(),
        }
    }
}

/// The stages after the AST, each `None` when the engine does not build it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LaterStages {
    /// The module's code object (nested code objects inside), as `dis` sees it.
    #[serde(default)]
    pub bytecode: Option<Result<CodeObject, PyError>>,
    /// The same code objects after running the snippet, with adaptive (specialized) instructions.
    #[serde(default)]
    pub specialized: Option<Result<CodeObject, PyError>>,
    /// Every executor (micro-op trace, and machine code when the JIT is on) after the run.
    #[serde(default)]
    pub executors: Option<Result<Vec<Executor>, PyError>>,
    /// Each executor's machine code disassembled and annotated, in the order of `executors`
    /// (the *machine code* stage; computed by the engine from the recorded bytes, never
    /// stored in a capture file).
    #[serde(skip)]
    pub machine_code: Option<Vec<Listing>>,
    /// What running the snippet printed and raised (live engine only).
    #[serde(default)]
    pub run: Option<Result<RunRecord, PyError>>,
    /// Facts about the interpreter that made the capture (live engine only).
    #[serde(default)]
    pub interpreter: Option<Interpreter>,
}

/// The outcome of executing the snippet as `__main__`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    pub stdout: String,
    pub stderr: String,
    /// The exception that ended the run, if any.
    pub exception: Option<RunException>,
    /// The exit status `python FILE` would have had.
    pub exit_code: i32,
}

/// An exception raised by the snippet.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunException {
    /// The class name (`ZeroDivisionError`, `SystemExit`, …).
    pub kind: String,
    pub msg: String,
    /// The formatted traceback (the probe's own frame left out; empty for `SystemExit`).
    pub traceback: String,
}

/// The interpreter a live capture was recorded with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interpreter {
    /// `sys.version`.
    pub version: String,
    /// `sys.version_info[:3]`.
    pub version_info: (u32, u32, u32),
    pub releaselevel: String,
    /// `sys.executable`.
    pub executable: String,
    pub platform: String,
    pub jit_available: Option<bool>,
    pub jit_enabled: Option<bool>,
    /// Why JIT facts are missing, if they are.
    pub jit_note: Option<String>,
}

impl Capture {
    /// The CPython version the capture shows, as `3.14`: the live interpreter's own version when
    /// there is one (a 3.12 or 3.13 run is modelled with the nearest profile, but it is still a
    /// 3.12 or 3.13 run), else the profile's.
    pub fn display_version(&self) -> String {
        match &self.later.interpreter {
            Some(i) => format!("{}.{}", i.version_info.0, i.version_info.1),
            None => self.version.label().to_string(),
        }
    }

    /// The CPython version whose tools' formats the capture's dumps follow: the interpreter's
    /// for a live capture, the profile's for the built-in engine.
    pub fn python_version(&self) -> (u32, u32) {
        match &self.later.interpreter {
            Some(i) => (i.version_info.0, i.version_info.1),
            None => self.version.profile().version_info,
        }
    }

    /// Whether cpyviz's per-version tables describe the CPython this capture shows.
    pub fn tables_match(&self) -> bool {
        self.display_version() == self.version.label()
    }

    /// Whether the capture's interpreter ran with the JIT on (live engine).
    pub fn jit_enabled(&self) -> bool {
        self.later
            .interpreter
            .as_ref()
            .and_then(|i| i.jit_enabled)
            .unwrap_or(false)
    }

    pub fn status(&self, stage: Stage) -> StageStatus<'_> {
        fn of<T>(r: &Result<T, PyError>) -> StageStatus<'_> {
            match r {
                Ok(_) => StageStatus::Ready,
                Err(e) => StageStatus::Failed(e),
            }
        }
        match stage {
            Stage::Tokens => of(&self.tokens),
            Stage::Ast => of(&self.ast),
            Stage::Bytecode => self
                .later
                .bytecode
                .as_ref()
                .map_or(StageStatus::NotBuilt, of),
            Stage::Specialized => self
                .later
                .specialized
                .as_ref()
                .map_or(StageStatus::NotBuilt, of),
            Stage::Uops => self
                .later
                .executors
                .as_ref()
                .map_or(StageStatus::NotBuilt, of),
            Stage::MachineCode => match &self.later.executors {
                Some(Err(e)) => StageStatus::Failed(e),
                Some(Ok(_)) if self.jit_enabled() => StageStatus::Ready,
                _ => StageStatus::NotBuilt,
            },
            _ => StageStatus::NotBuilt,
        }
    }
}

//! The data model: a [`Capture`] holds every stage's result for one snippet, whichever engine
//! produced it. The UI and the exporters only ever read a `Capture`.

use crate::error::PyError;
use crate::pipeline::ast::AstNode;
use crate::pipeline::tokens::Token;
use crate::source::Source;
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
}

impl Capture {
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
            _ => StageStatus::NotBuilt,
        }
    }
}

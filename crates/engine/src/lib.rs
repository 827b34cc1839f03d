//! Engines: who fills a [`Capture`].
//!
//! - `builtin` — cpyviz's own model ([`builtin`]): offline, deterministic, both version
//!   profiles.
//! - `cpython` — a real CPython 3.12–3.15 runs the embedded probe ([`cpython`]) on the snippet:
//!   it tokenizes, parses, compiles **and executes** it, then reports what it did.

// `PyError` is a plain record of CPython's SyntaxError fields; a stage returns at most one.
#![allow(clippy::result_large_err)]

pub mod builtin;
pub mod capture_file;
pub mod conformance;
pub mod cpython;
pub mod dump;
pub mod jit;
pub mod lesson;
pub mod machine;

use cpyviz_model::capture::Capture;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Which engine makes the captures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// cpyviz's own model of CPython (offline; never runs the snippet).
    #[default]
    Builtin,
    /// A real CPython (3.12–3.15) that compiles and EXECUTES the snippet.
    Cpython,
}

impl EngineKind {
    /// Every engine, as the command line names them.
    pub const ALL: [EngineKind; 2] = [EngineKind::Builtin, EngineKind::Cpython];

    /// The name on the command line (`--engine NAME`).
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Builtin => "builtin",
            EngineKind::Cpython => "cpython",
        }
    }

    pub fn from_name(name: &str) -> Option<EngineKind> {
        EngineKind::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// How to run the live engine.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// The interpreter (any executable, a wrapper script too); `None` = search `PATH`.
    pub python: Option<PathBuf>,
    /// Give up (and kill the interpreter's process group) after this long.
    pub timeout: Duration,
    /// Run with `PYTHON_JIT=1` when the build has a JIT (`--jit on`, the default), else with
    /// `PYTHON_JIT=0`.
    pub jit: bool,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            python: None,
            timeout: Duration::from_secs(20),
            jit: true,
        }
    }
}

/// The captures of `path` that `engine` makes: one per version profile for the built-in engine,
/// one (the interpreter's version) for the live engine. Errors are messages for the user.
pub fn captures(
    path: &Path,
    engine: EngineKind,
    live: &LiveOptions,
    run: &cpyviz_model::execution::RunOptions,
) -> Result<Vec<Capture>, String> {
    match engine {
        EngineKind::Builtin => crate::builtin::captures_with(path, run),
        EngineKind::Cpython => cpython::capture(path, live).map(|c| vec![c]),
    }
}

/// Reads a snippet file, with the message CPython gives for a file it cannot open.
pub fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| {
        format!(
            "cpyviz: can't open file '{}': {}",
            path.display(),
            io_reason(&e)
        )
    })?;
    if meta.is_dir() {
        return Err(format!(
            "cpyviz: '{}' is a directory, not a Python file",
            path.display()
        ));
    }
    std::fs::read(path).map_err(|e| {
        format!(
            "cpyviz: can't open file '{}': {}",
            path.display(),
            io_reason(&e)
        )
    })
}

/// The reason CPython prints for an I/O error (`[Errno 2] No such file or directory`, …).
pub fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "[Errno 2] No such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "[Errno 13] Permission denied".into(),
        _ => e.to_string(),
    }
}

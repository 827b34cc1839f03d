//! Engines: who fills a [`Capture`].
//!
//! - `builtin` — cpyviz's own model ([`crate::pipeline`]): offline, deterministic, both version
//!   profiles.
//! - `cpython` — a real CPython 3.12–3.15 runs the embedded probe ([`cpython`]) on the snippet:
//!   it tokenizes, parses, compiles **and executes** it, then reports what it did.

pub mod cpython;

use crate::capture::Capture;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Which engine makes the captures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum EngineKind {
    /// cpyviz's own model of CPython (offline; never runs the snippet).
    #[default]
    Builtin,
    /// A real CPython (3.12–3.15) that compiles and EXECUTES the snippet.
    Cpython,
}

/// How to run the live engine.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// The interpreter (any executable, a wrapper script too); `None` = search `PATH`.
    pub python: Option<PathBuf>,
    /// Give up (and kill the interpreter's process group) after this long.
    pub timeout: Duration,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            python: None,
            timeout: Duration::from_secs(20),
        }
    }
}

/// The captures of `path` that `engine` makes: one per version profile for the built-in engine,
/// one (the interpreter's version) for the live engine. Errors are messages for the user.
pub fn captures(
    path: &Path,
    engine: EngineKind,
    live: &LiveOptions,
) -> Result<Vec<Capture>, String> {
    match engine {
        EngineKind::Builtin => crate::cli::builtin_captures(path),
        EngineKind::Cpython => cpython::capture(path, live).map(|c| vec![c]),
    }
}

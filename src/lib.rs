//! # cpyviz — see how CPython runs a piece of Python
//!
//! cpyviz steps one snippet through CPython's pipeline:
//! **tokens → AST → bytecode → specialized instructions → micro-op traces → JIT machine code**,
//! and explains the JIT's trampolines.
//!
//! ## Pipeline
//! 1. [`source`] decodes a file's bytes as CPython does (BOM, coding cookie, UTF-8).
//! 2. [`pipeline`] is the built-in engine: one module per stage, each a pure function of the
//!    earlier ones. Its result is a [`capture::Capture`].
//! 3. [`app`] holds the interactive state and turns keys into actions; [`ui`] renders an
//!    [`app::App`] into a ratatui buffer. The terminal ([`tui`]) and the screenshot exporter
//!    ([`export`]) share that one render path.
//!
//! ## Source code layout
//! - `version.rs` — per-version facts ([`version::Profile`]).
//! - `source.rs`, `error.rs`, `pyrepr.rs` — shared foundations.
//! - `pipeline/` — stages: `tokens.rs`, `ast.rs`.
//! - `capture.rs` — the data model every engine fills.
//! - `app/`, `ui/`, `tui.rs` — the interactive viewer.
//! - `export/` — SVG, PNG, HTML and text screenshots.
//! - `cli.rs` — the command line.

// `PyError` is a plain record of CPython's SyntaxError fields; a stage returns at most one, so
// the size of `Result<_, PyError>` costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

pub mod app;
pub mod bytecode;
pub mod capture;
pub mod capture_file;
pub mod cli;
pub mod compiler;
pub mod conformance;
pub mod dis;
pub mod dump;
pub mod engine;
pub mod error;
pub mod explain;
pub mod export;
pub mod pipeline;
pub mod pyhash;
pub mod pyrepr;
pub mod pystr;
pub mod source;
pub mod tables;
pub mod tui;
pub mod ui;
pub mod unicode;
pub mod uops;
pub mod version;

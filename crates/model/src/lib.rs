//! # cpyviz-model — the data every stage produces and every view reads
//!
//! The bottom of the workspace: it depends on nothing of cpyviz's and on no UI, terminal,
//! command-line or disassembler crate.
//!
//! - [`source`], [`error`] — a snippet's decoded text and spans; CPython's errors as data.
//! - [`version`] — the version profiles (3.14, 3.15) and their named per-version facts.
//! - [`tables`] — opcode, uop and macro-expansion tables generated from each version's
//!   internal headers (`scripts/gen-tables`).
//! - [`tokens`], [`ast`], [`bytecode`], [`uops`] — each stage's result.
//! - [`capture`] — a [`capture::Capture`]: every stage's result for one snippet, whichever
//!   engine made it.
//! - [`dis`], [`pyrepr`], [`pystr`], [`unicode`] — CPython's own text formats for those
//!   results (`dis` listings, `repr`), and the Unicode facts they need.
//! - [`explain`] — the one-line explanations the views and dumps show for a stage's items.

// `PyError` is a plain record of CPython's SyntaxError fields; a stage returns at most one, so
// the size of `Result<_, PyError>` costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

pub mod ast;
pub mod bytecode;
pub mod capture;
pub mod dis;
pub mod error;
pub mod execution;
pub mod explain;
pub mod jit;
pub mod lesson;
pub mod pyrepr;
pub mod pystr;
pub mod source;
pub mod tables;
pub mod tokens;
pub mod unicode;
pub mod uops;
pub mod version;

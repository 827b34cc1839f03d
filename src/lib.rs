//! # cpyviz — see how CPython runs a piece of Python
//!
//! cpyviz steps one snippet through CPython's pipeline:
//! **tokens → AST → bytecode → specialized instructions → micro-op traces → JIT machine code**,
//! and explains the JIT's trampolines.
//!
//! This crate is the `cpyviz` binary: its command line ([`cli`]) ties the workspace together.
//! The pipeline lives in the member crates, lowest first (see `ARCHITECTURE.md`):
//! `cpyviz-model` (data), `cpyviz-syntax` (tokens, AST), `cpyviz-compiler` (bytecode),
//! `cpyviz-engine` (captures: the built-in model and a live CPython), `cpyviz-export`
//! (screenshots) and `cpyviz-tui` (the viewer).

#![allow(clippy::result_large_err)]

pub mod cli;
pub mod embedded;
pub mod watch;

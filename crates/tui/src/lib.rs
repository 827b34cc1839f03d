//! # cpyviz-tui — the interactive viewer
//!
//! [`app`] holds the interactive state and turns keys into actions; [`ui`] renders an
//! [`app::App`] into a ratatui buffer in the app's [`theme`]; [`terminal`] runs it in a real
//! terminal. The terminal
//! and the screenshot exporter (`cpyviz-export`) share that one render path.
//!
//! The viewer only reads [`Capture`](cpyviz_model::capture::Capture)s: it depends on the data
//! model and the exporter, never on a stage or an engine crate, so it cannot compute a stage.

// `PyError` is a plain record of CPython's SyntaxError fields; a stage returns at most one.
#![allow(clippy::result_large_err)]

pub mod app;
pub mod highlight;
pub mod lesson;
pub mod terminal;
pub mod theme;
pub mod ui;

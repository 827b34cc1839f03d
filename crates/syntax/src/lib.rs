//! # cpyviz-syntax — the front end: CPython's tokenizer and `ast` module
//!
//! Stages 1 and 2 of the built-in engine, each a pure function of a [`Source`]:
//!
//! ```text
//! Source ──tokens::tokenize──▶ [Token]            (`python -m tokenize -e`)
//!    └─────ast::parse────────▶ AstNode            (`python -m ast`)
//! ```
//!
//! The results are `cpyviz_model` types; the compiler (`cpyviz-compiler`) reads the tree.
//!
//! [`Source`]: cpyviz_model::source::Source
//! [`Token`]: cpyviz_model::tokens::Token
//! [`AstNode`]: cpyviz_model::ast::AstNode

#![allow(clippy::result_large_err)]

pub mod ast;
pub mod tokens;

//! `match` statements and patterns (PEP 634).

use super::{Compiler, R};
use crate::pipeline::ast::AstNode;

impl<'a> Compiler<'a> {
    pub fn match_stmt(&mut self, s: &'a AstNode) -> R {
        Err(self.unsupported("`match` statements", s))
    }
}

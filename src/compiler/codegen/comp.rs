//! Comprehensions (inlined per PEP 709, generator expressions as nested code), `yield`,
//! `yield from` and `await`.

use super::{Compiler, R};
use crate::pipeline::ast::AstNode;

impl<'a> Compiler<'a> {
    pub fn comprehension(&mut self, e: &'a AstNode) -> R {
        Err(self.unsupported("comprehensions", e))
    }

    pub fn yield_or_await(&mut self, e: &'a AstNode) -> R {
        Err(self.unsupported(&format!("`{}`", e.kind), e))
    }
}

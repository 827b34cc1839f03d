//! Control flow: `if`, `while`, `for`, `break`/`continue`, `return`, `raise`, `assert`,
//! `try`/`except`/`else`/`finally` (and `except*`), `with`/`async with`, `async for`, and the
//! frame-block unwinding they share.

use super::{Compiler, R};
use crate::pipeline::ast::AstNode;

impl<'a> Compiler<'a> {
    pub fn return_stmt(&mut self, s: &'a AstNode) -> R {
        Err(self.unsupported("`return`", s))
    }

    pub fn for_stmt(&mut self, s: &'a AstNode) -> R {
        Err(self.unsupported("`for` loops", s))
    }

    pub fn async_for_stmt(&mut self, s: &'a AstNode) -> R {
        Err(self.unsupported("`async for` loops", s))
    }

    pub fn while_stmt(&mut self, s: &'a AstNode) -> R {
        Err(self.unsupported("`while` loops", s))
    }

    pub fn if_stmt(&mut self, s: &'a AstNode) -> R {
        Err(self.unsupported("`if` statements", s))
    }

    pub fn raise_stmt(&mut self, s: &'a AstNode) -> R {
        Err(self.unsupported("`raise`", s))
    }

    pub fn try_stmt(&mut self, s: &'a AstNode) -> R {
        Err(self.unsupported("`try` statements", s))
    }

    pub fn try_star_stmt(&mut self, s: &'a AstNode) -> R {
        Err(self.unsupported("`try`/`except*` statements", s))
    }

    pub fn assert_stmt(&mut self, s: &'a AstNode) -> R {
        Err(self.unsupported("`assert`", s))
    }

    pub fn break_stmt(&mut self, s: &'a AstNode) -> R {
        Err(self.unsupported("`break`", s))
    }

    pub fn continue_stmt(&mut self, s: &'a AstNode) -> R {
        Err(self.unsupported("`continue`", s))
    }

    pub fn with_stmt(&mut self, s: &'a AstNode, pos: usize) -> R {
        let _ = pos;
        Err(self.unsupported("`with` statements", s))
    }

    pub fn async_with_stmt(&mut self, s: &'a AstNode, pos: usize) -> R {
        let _ = pos;
        Err(self.unsupported("`async with` statements", s))
    }
}

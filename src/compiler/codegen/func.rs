//! Functions, lambdas, classes, decorators, default arguments, closures, annotations (PEP 649
//! `__annotate__`), type parameters and aliases (PEP 695), `return`, imports.

use super::{Compiler, R};
use crate::compiler::ir::Loc;
use crate::pipeline::ast::AstNode;

impl<'a> Compiler<'a> {
    pub fn function_def(&mut self, s: &'a AstNode, is_async: bool) -> R {
        let _ = is_async;
        Err(self.unsupported("function definitions", s))
    }

    pub fn class_def(&mut self, s: &'a AstNode) -> R {
        Err(self.unsupported("class definitions", s))
    }

    pub fn type_alias(&mut self, s: &'a AstNode) -> R {
        Err(self.unsupported("type aliases", s))
    }

    pub fn lambda(&mut self, e: &'a AstNode) -> R {
        Err(self.unsupported("lambdas", e))
    }

    pub fn annassign(&mut self, s: &'a AstNode) -> R {
        Err(self.unsupported("annotated assignments", s))
    }

    /// `codegen_process_deferred_annotations`: the `__annotate__` of a module or class body.
    pub fn process_deferred_annotations(&mut self, loc: Loc) -> R {
        let _ = loc;
        Ok(())
    }

    pub fn import(&mut self, s: &'a AstNode) -> R {
        Err(self.unsupported("imports", s))
    }

    pub fn import_from(&mut self, s: &'a AstNode) -> R {
        Err(self.unsupported("imports", s))
    }
}

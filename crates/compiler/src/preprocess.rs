//! The AST pass CPython runs before the symbol table (`Python/ast_preprocess.c`), for what shows
//! in `dis`: PEP 765's `SyntaxWarning` for `return`, `break` and `continue` that leave a
//! `finally` block. (Its constant folding shows nowhere: `dis` prints what the flow graph
//! folds, which [`super::flowgraph`] models.)

use cpyviz_model::error::SyntaxWarning;
use cpyviz_model::source::Source;
use cpyviz_syntax::ast::{AstNode, ExceptHandler, MatchCase, Module, Nodes, Stmt};

/// Where a statement stands, seen from the innermost `finally`, function or loop around it.
#[derive(Clone, Copy, Default)]
struct Context {
    in_finally: bool,
    in_function: bool,
    in_loop: bool,
}

/// The warnings for control flow leaving a `finally` block, in tree order.
pub fn finally_warnings(module: &AstNode, src: &Source) -> Vec<SyntaxWarning> {
    let mut w = Walk {
        src,
        out: Vec::new(),
    };
    w.body(Module(module).body(), Context::default());
    w.out
}

struct Walk<'s> {
    src: &'s Source,
    out: Vec<SyntaxWarning>,
}

impl Walk<'_> {
    fn body(&mut self, stmts: Nodes, ctx: Context) {
        for s in stmts {
            self.stmt(s, ctx);
        }
    }

    fn warn(&mut self, s: &AstNode, kw: &str) {
        let offset = s.span.map_or(0, |sp| sp.start as usize);
        self.out.push(SyntaxWarning {
            lineno: self.src.line_col(offset).0,
            msg: format!("'{kw}' in a 'finally' block"),
        });
    }

    fn stmt(&mut self, s: &AstNode, ctx: Context) {
        let function = Context {
            in_function: true,
            ..Context::default()
        };
        let looping = Context {
            in_loop: true,
            ..Context::default()
        };
        match Stmt::of(s) {
            Stmt::Return(_) if ctx.in_finally && !ctx.in_function => self.warn(s, "return"),
            Stmt::Break(_) if ctx.in_finally && !ctx.in_loop => self.warn(s, "break"),
            Stmt::Continue(_) if ctx.in_finally && !ctx.in_loop => self.warn(s, "continue"),
            Stmt::FunctionDef(f) => self.body(f.body(), function),
            Stmt::AsyncFunctionDef(f) => self.body(f.body(), function),
            Stmt::For(f) => {
                self.body(f.body(), looping);
                self.body(f.orelse(), ctx);
            }
            Stmt::AsyncFor(f) => {
                self.body(f.body(), looping);
                self.body(f.orelse(), ctx);
            }
            Stmt::While(w) => {
                self.body(w.body(), looping);
                self.body(w.orelse(), ctx);
            }
            Stmt::Try(t) => self.try_(t.body(), t.handlers(), t.orelse(), t.finalbody(), ctx),
            Stmt::TryStar(t) => self.try_(t.body(), t.handlers(), t.orelse(), t.finalbody(), ctx),
            Stmt::Match(m) => {
                for case in m.cases() {
                    self.body(MatchCase(case).body(), ctx);
                }
            }
            // `if`, `with`, `class`: their statements stand where the statement stands.
            Stmt::If(i) => {
                self.body(i.body(), ctx);
                self.body(i.orelse(), ctx);
            }
            Stmt::With(w) => self.body(w.body(), ctx),
            Stmt::AsyncWith(w) => self.body(w.body(), ctx),
            Stmt::ClassDef(c) => self.body(c.body(), ctx),
            _ => {}
        }
    }

    /// A `try` or `try*`: only its `finally:` clause is a `finally` block.
    fn try_(
        &mut self,
        body: Nodes,
        handlers: Nodes,
        orelse: Nodes,
        finalbody: Nodes,
        ctx: Context,
    ) {
        self.body(body, ctx);
        for h in handlers {
            self.body(ExceptHandler(h).body(), ctx);
        }
        self.body(orelse, ctx);
        let finally = Context {
            in_finally: true,
            ..Context::default()
        };
        self.body(finalbody, finally);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpyviz_model::source::Source;
    use cpyviz_model::version::PyVersion;

    fn warnings(src: &str) -> Vec<(usize, String)> {
        let source = Source::from_text("t.py", src);
        let tree = cpyviz_syntax::ast::parse(&source, PyVersion::V3_14).unwrap();
        finally_warnings(&tree, &source)
            .into_iter()
            .map(|w| (w.lineno, w.msg))
            .collect()
    }

    #[test]
    fn only_flow_that_leaves_the_finally_block_warns() {
        // Checked against python3.14 -m dis: lines 8, 12 and 20 warn.
        let src = "while a:\n    try:\n        pass\n    finally:\n        for i in a:\n            pass\n        else:\n            break\n        while b:\n            continue\n        else:\n            continue\n        class C:\n            for j in a:\n                break\n        def f():\n            return 1\n        if a:\n            pass\n        break\n";
        assert_eq!(
            warnings(src),
            vec![
                (8, "'break' in a 'finally' block".to_string()),
                (12, "'continue' in a 'finally' block".to_string()),
                (20, "'break' in a 'finally' block".to_string()),
            ]
        );
        let src =
            "def f():\n    try:\n        pass\n    finally:\n        if x:\n            return 1\n";
        assert_eq!(
            warnings(src),
            vec![(6, "'return' in a 'finally' block".to_string())]
        );
    }
}

//! Statement bodies, the statement dispatch and the simple statements (`Expr`, `Assign`,
//! `AugAssign`, `Delete`, `Pass`, `Global`, `Nonlocal`).

use super::{Compiler, Ctx, R};
use crate::ir::{ConstValue, Loc};
use crate::op::Op;
use cpyviz_model::error::{PyError, PyErrorKind};
use cpyviz_model::pystr::PyStr;
use cpyviz_syntax::ast::{
    Alias, Assign, AstNode, AstValue, Constant, ConstantExpr, ExprStmt, ImportFrom, Stmt,
};

impl<'a> Compiler<'a> {
    /// `codegen_body`: the docstring, the statements, then the deferred annotations.
    pub fn body(&mut self, loc: Loc, stmts: &'a [AstValue]) -> R {
        // With `from __future__ import annotations`, an annotated module or class gets an
        // `__annotations__` dict up front.
        if self.future_annotations && self.ste().annotations_used {
            self.emit(Op::SETUP_ANNOTATIONS, loc);
        }
        if stmts.is_empty() {
            return Ok(());
        }
        let mut first = 0;
        if self.ste().has_docstring {
            if let Some(doc) = docstring(stmts) {
                first = 1;
                let value = stmts[0].as_node().and_then(ExprStmt::cast);
                let vloc = value.map_or(loc, |v| self.loc(v.value()));
                let doc = clean_doc(doc, &self.src.path)?;
                self.load_const(ConstValue::Str(doc), vloc);
                self.nameop("__doc__", Ctx::Store, Loc::NONE)?;
            }
        }
        for stmt in &stmts[first..] {
            if let Some(s) = stmt.as_node() {
                self.visit_stmt(s)?;
            }
        }
        if self.future_annotations {
            return Ok(());
        }
        self.process_deferred_annotations(loc)
    }

    /// A list of statements.
    pub fn visit_stmts(&mut self, stmts: &'a [AstValue]) -> R {
        for stmt in stmts {
            if let Some(s) = stmt.as_node() {
                self.visit_stmt(s)?;
            }
        }
        Ok(())
    }

    /// `codegen_visit_stmt`.
    pub fn visit_stmt(&mut self, s: &'a AstNode) -> R {
        let loc = self.loc(s);
        let Some(stmt) = Stmt::cast(s) else {
            return Err(self.unsupported(&format!("the `{}` statement", s.kind), s));
        };
        match stmt {
            Stmt::FunctionDef(f) => self.function_def(f),
            Stmt::AsyncFunctionDef(f) => self.async_function_def(f),
            Stmt::ClassDef(c) => self.class_def(c),
            Stmt::TypeAlias(t) => self.type_alias(t),
            Stmt::Return(r) => self.codegen_return(r),
            Stmt::Delete(d) => {
                for t in d.targets() {
                    self.visit_expr(t)?;
                }
                Ok(())
            }
            Stmt::Assign(a) => self.assign(a),
            Stmt::AugAssign(_) => self.augassign(s),
            Stmt::AnnAssign(a) => self.annassign(a),
            Stmt::For(x) => self.for_stmt(x),
            Stmt::While(x) => self.while_stmt(x),
            Stmt::If(x) => self.if_stmt(x),
            Stmt::Match(x) => self.match_stmt(x),
            Stmt::Raise(x) => self.raise_stmt(x),
            Stmt::Try(x) => self.try_stmt(x),
            Stmt::TryStar(x) => self.try_star_stmt(x),
            Stmt::Assert(x) => self.assert_stmt(x),
            Stmt::Import(i) => self.import(i),
            Stmt::ImportFrom(i) => self.import_from(i),
            Stmt::Global(_) | Stmt::Nonlocal(_) => Ok(()),
            Stmt::Expr(e) => self.expr_stmt(e),
            Stmt::Pass(_) => {
                self.emit(Op::NOP, loc);
                Ok(())
            }
            Stmt::Break(x) => self.break_stmt(x),
            Stmt::Continue(x) => self.continue_stmt(x),
            Stmt::With(x) => self.with_stmt(x, 0),
            Stmt::AsyncWith(x) => self.async_with_stmt(x, 0),
            Stmt::AsyncFor(x) => self.async_for_stmt(x),
        }
    }

    /// `codegen_stmt_expr`: an expression statement (its value is discarded).
    fn expr_stmt(&mut self, s: ExprStmt<'a>) -> R {
        let loc = self.loc(s.node());
        let value = s.value();
        if super::expr::is_const_expr(value) {
            // A lone constant compiles to a NOP (keeps the line).
            self.emit(Op::NOP, loc);
            return Ok(());
        }
        self.visit_expr(value)?;
        // Artificial: the value's own location stays on the expression.
        self.emit(Op::POP_TOP, Loc::NONE);
        Ok(())
    }

    /// `Assign`: the value once, then a store per target (`COPY 1` before all but the last).
    fn assign(&mut self, s: Assign<'a>) -> R {
        let loc = self.loc(s.node());
        let targets: Vec<&AstNode> = s.targets().iter().collect();
        self.visit_expr(s.value())?;
        for (i, t) in targets.iter().enumerate() {
            if i + 1 < targets.len() {
                self.emit_arg(Op::COPY, 1, loc);
            }
            self.visit_expr(t)?;
        }
        Ok(())
    }
}

/// Whether the module's future statements (the `from __future__ import …` right after the
/// docstring) include `annotations`.
pub fn future_annotations(stmts: &[AstValue]) -> bool {
    let skip = usize::from(docstring(stmts).is_some());
    for stmt in stmts.iter().skip(skip).filter_map(AstValue::as_node) {
        let Some(import) = ImportFrom::cast(stmt).filter(|i| i.module() == Some("__future__"))
        else {
            break;
        };
        if import
            .names()
            .iter()
            .any(|a| Alias(a).name() == "annotations")
        {
            return true;
        }
    }
    false
}

/// `_PyAST_GetDocString`: the first statement, when it is a string constant expression.
pub fn docstring(stmts: &[AstValue]) -> Option<&PyStr> {
    let first = ExprStmt::cast(stmts.first()?.as_node()?)?;
    match ConstantExpr::cast(first.value())?.value() {
        Constant::Str(s) => Some(s),
        _ => None,
    }
}

/// `_PyCompile_CleanDoc`: `inspect.cleandoc` without dropping leading/trailing blank lines
/// (tabs expanded, the common indentation of the lines after the first removed, the first line's
/// leading spaces removed). CPython does it on the UTF-8 bytes: a lone surrogate fails with
/// its `UnicodeEncodeError` (`filename` is the file's, for the error).
pub fn clean_doc(doc: &PyStr, filename: &str) -> Result<PyStr, PyError> {
    if let PyStr::CodePoints(cps) = doc {
        let at = cps
            .iter()
            .position(|c| (0xd800..0xe000).contains(c))
            .unwrap_or(0);
        return Err(PyError::new(
            PyErrorKind::UnicodeEncodeError,
            format!(
                "'utf-8' codec can't encode character '\\u{:04x}' in position {at}: surrogates not allowed",
                cps[at]
            ),
            filename,
        ));
    }
    Ok(clean_doc_text(doc))
}

fn clean_doc_text(doc: &PyStr) -> PyStr {
    const SPACE: u32 = ' ' as u32;
    let doc = expand_tabs(&doc.code_points());
    let mut lines = doc.split(|&c| c == '\n' as u32);
    let first = lines.next().unwrap_or(&[]);
    let rest: Vec<&[u32]> = lines.collect();
    let indent = |l: &[u32]| l.iter().take_while(|&&c| c == SPACE).count();
    let margin = rest
        .iter()
        .filter(|l| l.iter().any(|&c| c != SPACE))
        .map(|l| indent(l))
        .min()
        .unwrap_or(0);
    let mut out = Vec::with_capacity(doc.len());
    out.extend_from_slice(&first[indent(first)..]);
    for l in rest {
        out.push('\n' as u32);
        out.extend_from_slice(&l[margin.min(indent(l))..]);
    }
    PyStr::from_code_points(out)
}

/// `str.expandtabs()` with tab size 8.
fn expand_tabs(s: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(s.len());
    let mut col = 0;
    for &ch in s {
        match char::from_u32(ch) {
            Some('\t') => {
                let n = 8 - col % 8;
                out.extend(std::iter::repeat_n(' ' as u32, n));
                col += n;
            }
            Some('\n' | '\r') => {
                out.push(ch);
                col = 0;
            }
            _ => {
                out.push(ch);
                col += 1;
            }
        }
    }
    out
}

//! Control flow: `if`, `while`, `for`, `break`/`continue`, `raise`, `assert`,
//! `try`/`except`/`else`/`finally` (and `except*`), `with`/`async with`, `async for`, and the
//! frame-block unwinding they share with `return`.

use super::{Compiler, FBlock, FBlockDatum, FBlockType, R};
use crate::ir::{ConstValue, Label, Loc};
use crate::op::Op;
use cpyviz_syntax::ast::{
    Assert, AstNode, AsyncFor, AsyncWith, Break, Continue, ExceptHandler, For, If, Nodes, Raise,
    Try, TryStar, Tuple, While, With, WithItem,
};

/// `RESUME`'s oparg after an `await` (`RESUME_AFTER_AWAIT`).
const RESUME_AFTER_AWAIT: u32 = 3;
/// `RESUME`'s oparg after a `yield from` (`RESUME_AFTER_YIELD_FROM`).
const RESUME_AFTER_YIELD_FROM: u32 = 2;

/// The clauses of a `try` statement (`Try` and `TryStar` have the same fields).
#[derive(Clone, Copy)]
struct TryClauses<'a> {
    node: &'a AstNode,
    body: Nodes<'a>,
    handlers: Nodes<'a>,
    orelse: Nodes<'a>,
    finalbody: Nodes<'a>,
}

impl<'a> From<Try<'a>> for TryClauses<'a> {
    fn from(t: Try<'a>) -> Self {
        TryClauses {
            node: t.node(),
            body: t.body(),
            handlers: t.handlers(),
            orelse: t.orelse(),
            finalbody: t.finalbody(),
        }
    }
}

impl<'a> From<TryStar<'a>> for TryClauses<'a> {
    fn from(t: TryStar<'a>) -> Self {
        TryClauses {
            node: t.node(),
            body: t.body(),
            handlers: t.handlers(),
            orelse: t.orelse(),
            finalbody: t.finalbody(),
        }
    }
}

/// What codegen reads of a `with` or an `async with` (`With` and `AsyncWith` have the same
/// fields).
#[derive(Clone, Copy)]
struct WithParts<'a> {
    node: &'a AstNode,
    is_async: bool,
    items: Nodes<'a>,
    body: Nodes<'a>,
}

impl<'a> From<With<'a>> for WithParts<'a> {
    fn from(w: With<'a>) -> Self {
        WithParts {
            node: w.node(),
            is_async: false,
            items: w.items(),
            body: w.body(),
        }
    }
}

impl<'a> From<AsyncWith<'a>> for WithParts<'a> {
    fn from(w: AsyncWith<'a>) -> Self {
        WithParts {
            node: w.node(),
            is_async: true,
            items: w.items(),
            body: w.body(),
        }
    }
}

impl<'a> Compiler<'a> {
    /// The index of `name` in one of the version's tables (`LOAD_SPECIAL`,
    /// `LOAD_COMMON_CONSTANT`, `CALL_INTRINSIC_2` opargs).
    fn table_index(names: &[&str], name: &str) -> u32 {
        names.iter().position(|n| *n == name).unwrap_or(0) as u32
    }

    /// `LOAD_SPECIAL`'s oparg for `__enter__`, `__exit__`, `__aenter__`, `__aexit__`.
    pub fn special_method(&self, name: &str) -> u32 {
        let t = cpyviz_model::tables::for_version(self.version);
        Self::table_index(t.special_method_names, name)
    }

    /// `LOAD_COMMON_CONSTANT`'s oparg for a name such as `AssertionError`.
    pub fn common_constant(&self, name: &str) -> u32 {
        let t = cpyviz_model::tables::for_version(self.version);
        Self::table_index(t.common_constants, name)
    }

    /// Runs a compound statement inside `_PyCompile_EnterConditionalBlock` /
    /// `_PyCompile_LeaveConditionalBlock`.
    fn conditional<F>(&mut self, f: F) -> R
    where
        F: FnOnce(&mut Self) -> R,
    {
        self.um().in_conditional_block += 1;
        let result = f(self);
        if let Some(u) = self.units.last_mut() {
            u.in_conditional_block = u.in_conditional_block.saturating_sub(1);
        }
        result
    }

    // ----- shared helpers ----------------------------------------------------------------------

    /// `codegen_call_exit_with_nones`: `__exit__(None, None, None)`.
    pub fn call_exit_with_nones(&mut self, loc: Loc) {
        self.load_const(ConstValue::None, loc);
        self.load_const(ConstValue::None, loc);
        self.load_const(ConstValue::None, loc);
        self.emit_arg(Op::CALL, 3, loc);
    }

    /// `codegen_add_yield_from`: the `SEND` loop that drives an awaitable or sub-iterator.
    pub fn add_yield_from(&mut self, loc: Loc, is_await: bool) {
        let send = self.new_label();
        let fail = self.new_label();
        let exit = self.new_label();
        self.use_label(send);
        self.emit_jump(Op::SEND, exit, loc);
        // A virtual try/except for the StopIteration a close() or throw() may raise.
        self.emit_jump(Op::SETUP_FINALLY, fail, loc);
        self.emit_arg(Op::YIELD_VALUE, 1, loc);
        self.emit(Op::POP_BLOCK, Loc::NONE);
        let resume = if is_await {
            RESUME_AFTER_AWAIT
        } else {
            RESUME_AFTER_YIELD_FROM
        };
        self.emit_arg(Op::RESUME, resume, loc);
        self.emit_jump(Op::JUMP_NO_INTERRUPT, send, loc);
        self.use_label(fail);
        self.emit(Op::CLEANUP_THROW, loc);
        self.use_label(exit);
        self.emit(Op::END_SEND, loc);
    }

    /// The tail of an `await` once the awaitable is on the stack: the value sent first (a
    /// `None`, with a `NULL` under it in 3.15) and the `SEND` loop.
    pub fn await_sent_value(&mut self, loc: Loc) {
        if self.version.profile().null_before_send {
            self.emit(Op::PUSH_NULL, loc);
        }
        self.load_const(ConstValue::None, loc);
        self.add_yield_from(loc, true);
    }

    /// `codegen_pop_except_and_reraise`.
    pub fn pop_except_and_reraise(&mut self, loc: Loc) {
        self.emit_arg(Op::COPY, 3, loc);
        self.emit(Op::POP_EXCEPT, loc);
        self.emit_arg(Op::RERAISE, 1, loc);
    }

    // ----- frame-block unwinding -------------------------------------------------------------

    /// `codegen_unwind_fblock`: the code that leaves one frame block early (`break`,
    /// `continue`, `return`). With `preserve_tos`, the value on top of the stack (a return
    /// value) is kept above what is popped. May make `loc` artificial (after a `finally` body or
    /// an `__exit__` call).
    pub fn unwind_fblock(&mut self, loc: &mut Loc, info: &FBlock<'a>, preserve_tos: bool) -> R {
        match info.kind {
            FBlockType::WhileLoop
            | FBlockType::ExceptionHandler
            | FBlockType::ExceptionGroupHandler
            | FBlockType::AsyncComprehensionGenerator
            | FBlockType::StopIteration => {}
            FBlockType::ForLoop => {
                let items = self.version.profile().for_loop_stack_items;
                if preserve_tos {
                    self.emit_arg(Op::SWAP, items + 1, *loc);
                }
                for _ in 0..items {
                    self.emit(Op::POP_TOP, *loc);
                }
            }
            FBlockType::AsyncForLoop => {
                if preserve_tos {
                    self.emit_arg(Op::SWAP, 2, *loc);
                }
                self.emit(Op::POP_TOP, *loc);
            }
            FBlockType::TryExcept => {
                self.emit(Op::POP_BLOCK, *loc);
            }
            FBlockType::FinallyTry => {
                // The POP_BLOCK keeps the line of the statement that unwinds.
                self.emit(Op::POP_BLOCK, *loc);
                if preserve_tos {
                    self.push_fblock(*loc, FBlockType::PopValue, None, None, FBlockDatum::None)?;
                }
                if let FBlockDatum::Body(body) = info.datum {
                    self.visit_stmts(body)?;
                }
                if preserve_tos {
                    self.pop_fblock(FBlockType::PopValue);
                }
                // What follows runs after the `finally` body: no line of its own.
                *loc = Loc::NONE;
            }
            FBlockType::FinallyEnd => {
                if preserve_tos {
                    self.emit_arg(Op::SWAP, 2, *loc);
                }
                self.emit(Op::POP_TOP, *loc);
                if preserve_tos {
                    self.emit_arg(Op::SWAP, 2, *loc);
                }
                self.emit(Op::POP_BLOCK, *loc);
                self.emit(Op::POP_EXCEPT, *loc);
            }
            FBlockType::With | FBlockType::AsyncWith => {
                *loc = info.loc;
                self.emit(Op::POP_BLOCK, *loc);
                if preserve_tos {
                    self.emit_arg(Op::SWAP, 3, *loc);
                    self.emit_arg(Op::SWAP, 2, *loc);
                }
                self.call_exit_with_nones(*loc);
                if info.kind == FBlockType::AsyncWith {
                    self.emit_arg(Op::GET_AWAITABLE, 2, *loc);
                    self.await_sent_value(*loc);
                }
                self.emit(Op::POP_TOP, *loc);
                // What follows runs after `__exit__`: no line of its own.
                *loc = Loc::NONE;
            }
            FBlockType::HandlerCleanup => {
                let name = match info.datum {
                    FBlockDatum::Name(n) => Some(n),
                    _ => None,
                };
                if name.is_some() {
                    self.emit(Op::POP_BLOCK, *loc);
                }
                if preserve_tos {
                    self.emit_arg(Op::SWAP, 2, *loc);
                }
                self.emit(Op::POP_BLOCK, *loc);
                self.emit(Op::POP_EXCEPT, *loc);
                if let Some(name) = name {
                    self.load_const(ConstValue::None, *loc);
                    self.nameop(name, super::Ctx::Store, *loc)?;
                    self.nameop(name, super::Ctx::Del, *loc)?;
                }
            }
            FBlockType::PopValue => {
                if preserve_tos {
                    self.emit_arg(Op::SWAP, 2, *loc);
                }
                self.emit(Op::POP_TOP, *loc);
            }
        }
        Ok(())
    }

    /// `codegen_unwind_fblock_stack`: unwinds the frame blocks from the innermost outwards.
    /// With `stop_at_loop`, stops at the innermost loop and returns it (not unwound); returns
    /// `None` when the stack holds no loop (or `stop_at_loop` is false).
    pub fn unwind_fblock_stack(
        &mut self,
        loc: &mut Loc,
        preserve_tos: bool,
        stop_at_loop: bool,
    ) -> R<Option<FBlock<'a>>> {
        let Some(top) = self.u().fblocks.last().copied() else {
            return Ok(None);
        };
        if top.kind == FBlockType::ExceptionGroupHandler {
            return Err(self.error(
                *loc,
                "'break', 'continue' and 'return' cannot appear in an except* block",
            ));
        }
        if stop_at_loop
            && matches!(
                top.kind,
                FBlockType::WhileLoop | FBlockType::ForLoop | FBlockType::AsyncForLoop
            )
        {
            return Ok(Some(top));
        }
        self.um().fblocks.pop();
        self.unwind_fblock(loc, &top, preserve_tos)?;
        let found = self.unwind_fblock_stack(loc, preserve_tos, stop_at_loop)?;
        self.um().fblocks.push(top);
        Ok(found)
    }

    // ----- statements --------------------------------------------------------------------------

    /// `codegen_if`.
    pub fn if_stmt(&mut self, s: If<'a>) -> R {
        self.conditional(|c| c.if_inner(s))
    }

    fn if_inner(&mut self, s: If<'a>) -> R {
        let end = self.new_label();
        let orelse = s.orelse();
        let next = if orelse.is_empty() {
            end
        } else {
            self.new_label()
        };
        self.jump_if(s.test(), next, false)?;
        self.visit_stmts(s.body().as_slice())?;
        if !orelse.is_empty() {
            self.emit_jump(Op::JUMP_NO_INTERRUPT, end, Loc::NONE);
            self.use_label(next);
            self.visit_stmts(orelse.as_slice())?;
        }
        self.use_label(end);
        Ok(())
    }

    /// `codegen_for`.
    pub fn for_stmt(&mut self, s: For<'a>) -> R {
        self.conditional(|c| c.for_inner(s))
    }

    fn for_inner(&mut self, s: For<'a>) -> R {
        let (iter, target) = (s.iter(), s.target());
        let start = self.new_label();
        let body = self.new_label();
        let cleanup = self.new_label();
        let end = self.new_label();
        let loc = self.loc(s.node());
        self.push_fblock(
            loc,
            FBlockType::ForLoop,
            Some(start),
            Some(end),
            FBlockDatum::None,
        )?;
        self.visit_expr(iter)?;
        let iter_loc = self.loc(iter);
        self.emit(Op::GET_ITER, iter_loc);
        self.use_label(start);
        self.emit_jump(Op::FOR_ITER, cleanup, iter_loc);
        // Keeps the target's line for tracing multi-line `for` headers.
        let target_loc = self.loc(target);
        self.emit(Op::NOP, target_loc);
        self.use_label(body);
        self.visit_expr(target)?;
        self.visit_stmts(s.body().as_slice())?;
        self.emit_jump(Op::JUMP, start, Loc::NONE);
        self.use_label(cleanup);
        // END_FOR first: instrumentation relies on it.
        self.emit(Op::END_FOR, Loc::NONE);
        self.emit(Op::POP_ITER, Loc::NONE);
        self.pop_fblock(FBlockType::ForLoop);
        self.visit_stmts(s.orelse().as_slice())?;
        self.use_label(end);
        Ok(())
    }

    /// `codegen_async_for`.
    pub fn async_for_stmt(&mut self, s: AsyncFor<'a>) -> R {
        self.conditional(|c| c.async_for_inner(s))
    }

    fn async_for_inner(&mut self, s: AsyncFor<'a>) -> R {
        let (iter, target) = (s.iter(), s.target());
        let loc = self.loc(s.node());
        let start = self.new_label();
        let send = self.new_label();
        let except = self.new_label();
        let end = self.new_label();
        self.visit_expr(iter)?;
        let iter_loc = self.loc(iter);
        self.emit(Op::GET_AITER, iter_loc);
        self.use_label(start);
        self.push_fblock(
            loc,
            FBlockType::AsyncForLoop,
            Some(start),
            Some(end),
            FBlockDatum::None,
        )?;
        // Guards the __anext__ call.
        self.emit_jump(Op::SETUP_FINALLY, except, loc);
        self.emit(Op::GET_ANEXT, loc);
        if self.version.profile().null_before_send {
            self.emit(Op::PUSH_NULL, loc);
        }
        self.load_const(ConstValue::None, loc);
        self.use_label(send);
        self.add_yield_from(loc, true);
        self.emit(Op::POP_BLOCK, loc);
        self.emit(Op::NOT_TAKEN, loc);
        self.visit_expr(target)?;
        self.visit_stmts(s.body().as_slice())?;
        self.emit_jump(Op::JUMP, start, Loc::NONE);
        self.pop_fblock(FBlockType::AsyncForLoop);
        self.use_label(except);
        // END_ASYNC_FOR follows the header, not the body: the iterator's line.
        self.emit_jump(Op::END_ASYNC_FOR, send, iter_loc);
        self.visit_stmts(s.orelse().as_slice())?;
        self.use_label(end);
        Ok(())
    }

    /// `codegen_while`.
    pub fn while_stmt(&mut self, s: While<'a>) -> R {
        self.conditional(|c| c.while_inner(s))
    }

    fn while_inner(&mut self, s: While<'a>) -> R {
        let lp = self.new_label();
        let end = self.new_label();
        let anchor = self.new_label();
        self.use_label(lp);
        let loc = self.loc(s.node());
        self.push_fblock(
            loc,
            FBlockType::WhileLoop,
            Some(lp),
            Some(end),
            FBlockDatum::None,
        )?;
        self.jump_if(s.test(), anchor, false)?;
        self.visit_stmts(s.body().as_slice())?;
        self.emit_jump(Op::JUMP, lp, Loc::NONE);
        self.pop_fblock(FBlockType::WhileLoop);
        self.use_label(anchor);
        self.visit_stmts(s.orelse().as_slice())?;
        self.use_label(end);
        Ok(())
    }

    /// `codegen_break`.
    pub fn break_stmt(&mut self, s: Break<'a>) -> R {
        let origin = self.loc(s.node());
        let mut loc = origin;
        self.emit(Op::NOP, loc);
        let Some(lp) = self.unwind_fblock_stack(&mut loc, false, true)? else {
            return Err(self.error(origin, "'break' outside loop"));
        };
        self.unwind_fblock(&mut loc, &lp, false)?;
        if let Some(exit) = lp.exit {
            self.emit_jump(Op::JUMP, exit, loc);
        }
        Ok(())
    }

    /// `codegen_continue`.
    pub fn continue_stmt(&mut self, s: Continue<'a>) -> R {
        let origin = self.loc(s.node());
        let mut loc = origin;
        self.emit(Op::NOP, loc);
        let Some(lp) = self.unwind_fblock_stack(&mut loc, false, true)? else {
            return Err(self.error(origin, "'continue' not properly in loop"));
        };
        if let Some(block) = lp.block {
            self.emit_jump(Op::JUMP, block, loc);
        }
        Ok(())
    }

    /// `raise [exc [from cause]]`.
    pub fn raise_stmt(&mut self, s: Raise<'a>) -> R {
        let mut n = 0;
        if let Some(exc) = s.exc() {
            self.visit_expr(exc)?;
            n += 1;
            if let Some(cause) = s.cause() {
                self.visit_expr(cause)?;
                n += 1;
            }
        }
        let loc = self.loc(s.node());
        self.emit_arg(Op::RAISE_VARARGS, n, loc);
        Ok(())
    }

    /// `codegen_assert`.
    pub fn assert_stmt(&mut self, s: Assert<'a>) -> R {
        let test = s.test();
        let loc = self.loc(s.node());
        if Tuple::cast(test).is_some_and(|t| !t.elts().is_empty()) {
            self.warn(loc, "assertion is always true, perhaps remove parentheses?");
        }
        let end = self.new_label();
        self.jump_if(test, end, true)?;
        let assertion_error = self.common_constant("AssertionError");
        self.emit_arg(Op::LOAD_COMMON_CONSTANT, assertion_error, loc);
        if let Some(msg) = s.msg() {
            self.visit_expr(msg)?;
            self.emit_arg(Op::CALL, 0, loc);
        }
        let test_loc = self.loc(test);
        self.emit_arg(Op::RAISE_VARARGS, 1, test_loc);
        self.use_label(end);
        Ok(())
    }

    /// `codegen_try`: `try` with a `finally:` clause or only handlers.
    pub fn try_stmt(&mut self, s: Try<'a>) -> R {
        let t = TryClauses::from(s);
        self.conditional(|c| {
            if t.finalbody.is_empty() {
                c.try_except(t)
            } else {
                c.try_finally(t, false)
            }
        })
    }

    /// `codegen_try_star`.
    pub fn try_star_stmt(&mut self, s: TryStar<'a>) -> R {
        let t = TryClauses::from(s);
        self.conditional(|c| {
            if t.finalbody.is_empty() {
                c.try_star_except(t)
            } else {
                c.try_finally(t, true)
            }
        })
    }

    /// `codegen_try_finally` / `codegen_try_star_finally` (they differ only in the handlers).
    fn try_finally(&mut self, t: TryClauses<'a>, star: bool) -> R {
        let loc = self.loc(t.node);
        let body = self.new_label();
        let end = self.new_label();
        let exit = self.new_label();
        let cleanup = self.new_label();
        let finalbody = t.finalbody.as_slice();

        // The `try` block.
        self.emit_jump(Op::SETUP_FINALLY, end, loc);
        self.use_label(body);
        self.push_fblock(
            loc,
            FBlockType::FinallyTry,
            Some(body),
            Some(end),
            FBlockDatum::Body(finalbody),
        )?;
        if t.handlers.is_empty() {
            self.visit_stmts(t.body.as_slice())?;
        } else if star {
            self.try_star_except(t)?;
        } else {
            self.try_except(t)?;
        }
        self.emit(Op::POP_BLOCK, Loc::NONE);
        self.pop_fblock(FBlockType::FinallyTry);
        self.visit_stmts(finalbody)?;
        self.emit_jump(Op::JUMP_NO_INTERRUPT, exit, Loc::NONE);

        // The `finally` block, run with an exception pending.
        self.use_label(end);
        self.emit_jump(Op::SETUP_CLEANUP, cleanup, Loc::NONE);
        self.emit(Op::PUSH_EXC_INFO, Loc::NONE);
        self.push_fblock(
            Loc::NONE,
            FBlockType::FinallyEnd,
            Some(end),
            None,
            FBlockDatum::None,
        )?;
        self.visit_stmts(finalbody)?;
        self.pop_fblock(FBlockType::FinallyEnd);
        self.emit_arg(Op::RERAISE, 0, Loc::NONE);
        self.use_label(cleanup);
        self.pop_except_and_reraise(Loc::NONE);
        self.use_label(exit);
        Ok(())
    }

    /// `codegen_try_except`: `try`/`except`/`else`.
    fn try_except(&mut self, t: TryClauses<'a>) -> R {
        let loc = self.loc(t.node);
        let body = self.new_label();
        let mut except = self.new_label();
        let end = self.new_label();
        let cleanup = self.new_label();

        self.emit_jump(Op::SETUP_FINALLY, except, loc);
        self.use_label(body);
        self.push_fblock(
            loc,
            FBlockType::TryExcept,
            Some(body),
            None,
            FBlockDatum::None,
        )?;
        self.visit_stmts(t.body.as_slice())?;
        self.pop_fblock(FBlockType::TryExcept);
        self.emit(Op::POP_BLOCK, Loc::NONE);
        self.visit_stmts(t.orelse.as_slice())?;
        self.emit_jump(Op::JUMP_NO_INTERRUPT, end, Loc::NONE);

        self.use_label(except);
        self.emit_jump(Op::SETUP_CLEANUP, cleanup, Loc::NONE);
        self.emit(Op::PUSH_EXC_INFO, Loc::NONE);
        // The runtime pushes a block for the handler.
        self.push_fblock(
            loc,
            FBlockType::ExceptionHandler,
            None,
            None,
            FBlockDatum::None,
        )?;
        let n = t.handlers.iter().len();
        for (i, handler) in t.handlers.iter().map(ExceptHandler).enumerate() {
            let hloc = self.loc(handler.node());
            let htype = handler.type_();
            if htype.is_none() && i + 1 < n {
                return Err(self.error(hloc, "default 'except:' must be last"));
            }
            except = self.new_label();
            if let Some(htype) = htype {
                self.visit_expr(htype)?;
                self.emit(Op::CHECK_EXC_MATCH, hloc);
                self.emit_jump(Op::POP_JUMP_IF_FALSE, except, hloc);
            }
            if let Some(name) = handler.name() {
                let cleanup_end = self.new_label();
                let cleanup_body = self.new_label();
                self.nameop(name, super::Ctx::Store, hloc)?;
                // The body runs in an inner try/finally that unbinds the name.
                self.emit_jump(Op::SETUP_CLEANUP, cleanup_end, hloc);
                self.use_label(cleanup_body);
                self.push_fblock(
                    hloc,
                    FBlockType::HandlerCleanup,
                    Some(cleanup_body),
                    None,
                    FBlockDatum::Name(name),
                )?;
                self.visit_stmts(handler.body().as_slice())?;
                self.pop_fblock(FBlockType::HandlerCleanup);
                self.emit(Op::POP_BLOCK, Loc::NONE);
                self.emit(Op::POP_BLOCK, Loc::NONE);
                self.emit(Op::POP_EXCEPT, Loc::NONE);
                self.unbind_handler_name(name)?;
                self.emit_jump(Op::JUMP_NO_INTERRUPT, end, Loc::NONE);

                self.use_label(cleanup_end);
                self.unbind_handler_name(name)?;
                self.emit_arg(Op::RERAISE, 1, Loc::NONE);
            } else {
                let cleanup_body = self.new_label();
                self.emit(Op::POP_TOP, hloc);
                self.use_label(cleanup_body);
                self.push_fblock(
                    hloc,
                    FBlockType::HandlerCleanup,
                    Some(cleanup_body),
                    None,
                    FBlockDatum::None,
                )?;
                self.visit_stmts(handler.body().as_slice())?;
                self.pop_fblock(FBlockType::HandlerCleanup);
                self.emit(Op::POP_BLOCK, Loc::NONE);
                self.emit(Op::POP_EXCEPT, Loc::NONE);
                self.emit_jump(Op::JUMP_NO_INTERRUPT, end, Loc::NONE);
            }
            self.use_label(except);
        }
        self.pop_fblock(FBlockType::ExceptionHandler);
        self.emit_arg(Op::RERAISE, 0, Loc::NONE);
        self.use_label(cleanup);
        self.pop_except_and_reraise(Loc::NONE);
        self.use_label(end);
        Ok(())
    }

    /// `name = None; del name` after an `except ... as name:` body (artificial).
    fn unbind_handler_name(&mut self, name: &str) -> R {
        self.load_const(ConstValue::None, Loc::NONE);
        self.nameop(name, super::Ctx::Store, Loc::NONE)?;
        self.nameop(name, super::Ctx::Del, Loc::NONE)
    }

    /// `codegen_try_star_except`: `try`/`except*`/`else`.
    fn try_star_except(&mut self, t: TryClauses<'a>) -> R {
        let loc = self.loc(t.node);
        let body = self.new_label();
        let mut except = self.new_label();
        let orelse = self.new_label();
        let end = self.new_label();
        let cleanup = self.new_label();
        let reraise_star = self.new_label();

        self.emit_jump(Op::SETUP_FINALLY, except, loc);
        self.use_label(body);
        self.push_fblock(
            loc,
            FBlockType::TryExcept,
            Some(body),
            None,
            FBlockDatum::None,
        )?;
        self.visit_stmts(t.body.as_slice())?;
        self.pop_fblock(FBlockType::TryExcept);
        self.emit(Op::POP_BLOCK, Loc::NONE);
        self.emit_jump(Op::JUMP_NO_INTERRUPT, orelse, Loc::NONE);

        self.use_label(except);
        self.emit_jump(Op::SETUP_CLEANUP, cleanup, Loc::NONE);
        self.emit(Op::PUSH_EXC_INFO, Loc::NONE);
        self.push_fblock(
            loc,
            FBlockType::ExceptionGroupHandler,
            None,
            None,
            FBlockDatum::None,
        )?;
        let n = t.handlers.iter().len();
        for (i, handler) in t.handlers.iter().map(ExceptHandler).enumerate() {
            let hloc = self.loc(handler.node());
            except = self.new_label();
            let except_with_error = self.new_label();
            let no_match = self.new_label();
            if i == 0 {
                // [orig] → [orig, [], exc]: the list of raised/re-raised groups, and a copy
                // of the original group.
                self.emit_arg(Op::BUILD_LIST, 0, hloc);
                self.emit_arg(Op::COPY, 2, hloc);
            }
            if let Some(htype) = handler.type_() {
                self.visit_expr(htype)?;
                self.emit(Op::CHECK_EG_MATCH, hloc);
                self.emit_arg(Op::COPY, 1, hloc);
                self.emit_jump(Op::POP_JUMP_IF_NONE, no_match, hloc);
            }
            let cleanup_end = self.new_label();
            let cleanup_body = self.new_label();
            let name = handler.name();
            match name {
                Some(name) => self.nameop(name, super::Ctx::Store, hloc)?,
                None => self.emit(Op::POP_TOP, hloc),
            }
            self.emit_jump(Op::SETUP_CLEANUP, cleanup_end, hloc);
            self.use_label(cleanup_body);
            self.push_fblock(
                hloc,
                FBlockType::HandlerCleanup,
                Some(cleanup_body),
                None,
                name.map_or(FBlockDatum::None, FBlockDatum::Name),
            )?;
            self.visit_stmts(handler.body().as_slice())?;
            self.pop_fblock(FBlockType::HandlerCleanup);
            self.emit(Op::POP_BLOCK, Loc::NONE);
            if let Some(name) = name {
                self.unbind_handler_name(name)?;
            }
            self.emit_jump(Op::JUMP_NO_INTERRUPT, except, Loc::NONE);

            self.use_label(cleanup_end);
            if let Some(name) = name {
                self.unbind_handler_name(name)?;
            }
            // The exception raised in the body joins the list.
            self.emit_arg(Op::LIST_APPEND, 3, Loc::NONE);
            self.emit(Op::POP_TOP, Loc::NONE);
            self.emit_jump(Op::JUMP_NO_INTERRUPT, except_with_error, Loc::NONE);

            self.use_label(except);
            // Holds a propagated location.
            self.emit(Op::NOP, Loc::NONE);
            self.emit_jump(Op::JUMP_NO_INTERRUPT, except_with_error, Loc::NONE);

            self.use_label(no_match);
            self.emit(Op::POP_TOP, hloc);

            self.use_label(except_with_error);
            if i + 1 == n {
                // The unhandled rest of the group (or None) joins the list.
                self.emit_arg(Op::LIST_APPEND, 1, Loc::NONE);
                self.emit_jump(Op::JUMP_NO_INTERRUPT, reraise_star, Loc::NONE);
            }
        }
        self.pop_fblock(FBlockType::ExceptionGroupHandler);
        let reraise = self.new_label();
        self.use_label(reraise_star);
        let tables = cpyviz_model::tables::for_version(self.version);
        let prep = Self::table_index(tables.intrinsic2, "INTRINSIC_PREP_RERAISE_STAR");
        self.emit_arg(Op::CALL_INTRINSIC_2, prep, Loc::NONE);
        self.emit_arg(Op::COPY, 1, Loc::NONE);
        self.emit_jump(Op::POP_JUMP_IF_NOT_NONE, reraise, Loc::NONE);
        // Nothing to re-raise.
        self.emit(Op::POP_TOP, Loc::NONE);
        self.emit(Op::POP_BLOCK, Loc::NONE);
        self.emit(Op::POP_EXCEPT, Loc::NONE);
        self.emit_jump(Op::JUMP_NO_INTERRUPT, end, Loc::NONE);

        self.use_label(reraise);
        self.emit(Op::POP_BLOCK, Loc::NONE);
        self.emit_arg(Op::SWAP, 2, Loc::NONE);
        self.emit(Op::POP_EXCEPT, Loc::NONE);
        self.emit_arg(Op::RERAISE, 0, Loc::NONE);

        self.use_label(cleanup);
        self.pop_except_and_reraise(Loc::NONE);

        self.use_label(orelse);
        self.visit_stmts(t.orelse.as_slice())?;
        self.use_label(end);
        Ok(())
    }

    /// `codegen_with_except_finish`: after `__exit__` ran for an exception, suppress it or
    /// re-raise it.
    fn with_except_finish(&mut self, cleanup: Label) {
        let suppress = self.new_label();
        self.emit(Op::TO_BOOL, Loc::NONE);
        self.emit_jump(Op::POP_JUMP_IF_TRUE, suppress, Loc::NONE);
        self.emit_arg(Op::RERAISE, 2, Loc::NONE);
        self.use_label(suppress);
        self.emit(Op::POP_TOP, Loc::NONE);
        self.emit(Op::POP_BLOCK, Loc::NONE);
        self.emit(Op::POP_EXCEPT, Loc::NONE);
        self.emit(Op::POP_TOP, Loc::NONE);
        self.emit(Op::POP_TOP, Loc::NONE);
        self.emit(Op::POP_TOP, Loc::NONE);
        let exit = self.new_label();
        self.emit_jump(Op::JUMP_NO_INTERRUPT, exit, Loc::NONE);
        self.use_label(cleanup);
        self.pop_except_and_reraise(Loc::NONE);
        self.use_label(exit);
    }

    /// `codegen_with` (the items from `pos` on).
    pub fn with_stmt(&mut self, s: With<'a>, pos: usize) -> R {
        self.conditional(|c| c.with_inner(s.into(), pos))
    }

    /// `codegen_async_with` (the items from `pos` on).
    pub fn async_with_stmt(&mut self, s: AsyncWith<'a>, pos: usize) -> R {
        self.conditional(|c| c.with_inner(s.into(), pos))
    }

    /// `codegen_with_inner` / `codegen_async_with_inner`: one `with` item, then the next ones
    /// (or the body) inside it.
    fn with_inner(&mut self, s: WithParts<'a>, pos: usize) -> R {
        let is_async = s.is_async;
        let Some(item) = s.items.get(pos).map(WithItem) else {
            return Err(self.unsupported("a `with` statement without items", s.node));
        };
        let context = item.context_expr();
        let block = self.new_label();
        let fin = self.new_label();
        let exit = self.new_label();
        let cleanup = self.new_label();

        self.visit_expr(context)?;
        let loc = self.loc(context);
        let (enter, leave) = if is_async {
            ("__aenter__", "__aexit__")
        } else {
            ("__enter__", "__exit__")
        };
        // Bound __exit__ under the manager, then __enter__().
        self.emit_arg(Op::COPY, 1, loc);
        let leave = self.special_method(leave);
        self.emit_arg(Op::LOAD_SPECIAL, leave, loc);
        self.emit_arg(Op::SWAP, 2, loc);
        self.emit_arg(Op::SWAP, 3, loc);
        let enter = self.special_method(enter);
        self.emit_arg(Op::LOAD_SPECIAL, enter, loc);
        self.emit_arg(Op::CALL, 0, loc);
        if is_async {
            self.emit_arg(Op::GET_AWAITABLE, 1, loc);
            self.await_sent_value(loc);
        }
        self.emit_jump(Op::SETUP_WITH, fin, loc);

        self.use_label(block);
        let kind = if is_async {
            FBlockType::AsyncWith
        } else {
            FBlockType::With
        };
        self.push_fblock(loc, kind, Some(block), Some(fin), FBlockDatum::None)?;
        match item.optional_vars() {
            Some(target) => self.visit_expr(target)?,
            // The value of __enter__() is discarded.
            None => self.emit(Op::POP_TOP, loc),
        }
        if pos + 1 == s.items.len() {
            self.visit_stmts(s.body.as_slice())?;
        } else {
            self.with_inner(s, pos + 1)?;
        }
        if is_async {
            self.pop_fblock(kind);
            self.emit(Op::POP_BLOCK, loc);
        } else {
            self.emit(Op::POP_BLOCK, Loc::NONE);
            self.pop_fblock(kind);
        }

        // Normal exit: __exit__(None, None, None).
        self.call_exit_with_nones(loc);
        if is_async {
            self.emit_arg(Op::GET_AWAITABLE, 2, loc);
            self.await_sent_value(loc);
        }
        self.emit(Op::POP_TOP, loc);
        self.emit_jump(Op::JUMP, exit, loc);

        // Exceptional exit.
        self.use_label(fin);
        self.emit_jump(Op::SETUP_CLEANUP, cleanup, loc);
        self.emit(Op::PUSH_EXC_INFO, loc);
        self.emit(Op::WITH_EXCEPT_START, loc);
        if is_async {
            self.emit_arg(Op::GET_AWAITABLE, 2, loc);
            self.await_sent_value(loc);
        }
        self.with_except_finish(cleanup);
        self.use_label(exit);
        Ok(())
    }
}

/// The `SyntaxError`s codegen raises, as CPython reports them.
#[cfg(test)]
pub(crate) mod error_tests {
    use crate::codegen::codegen_module;
    use crate::symtable::SymbolTable;
    use cpyviz_model::error::{PyError, PyErrorKind};
    use cpyviz_model::source::Source;
    use cpyviz_model::version::PyVersion;
    use cpyviz_syntax::ast;

    /// The error compiling `src` gives, or `None` when a stage before codegen cannot handle it
    /// yet (the check is skipped then).
    pub fn compile_error(src: &str, version: PyVersion) -> Option<Result<(), PyError>> {
        let source = Source::decode("f.py", src.as_bytes()).ok()?;
        let tree = match ast::parse(&source, version) {
            Ok(t) => t,
            Err(e) => return Some(Err(e)),
        };
        let table = match SymbolTable::build(&tree, &source, version) {
            Ok(t) => t,
            Err(e) if e.kind == PyErrorKind::Unsupported => return None,
            Err(e) => return Some(Err(e)),
        };
        Some(codegen_module(&tree, &table, &source, version).map(|_| ()))
    }

    /// `(source, message, (line, offset, end line, end offset))`.
    pub type ErrorCase<'s> = (&'s str, &'s str, (usize, usize, usize, usize));

    /// Checks each case in both versions.
    pub fn check(cases: &[ErrorCase]) {
        for version in PyVersion::ALL {
            for (src, msg, (l, o, el, eo)) in cases {
                let Some(result) = compile_error(src, version) else {
                    continue;
                };
                let err = match result {
                    Ok(()) => panic!("{version}: {src:?} compiled, expected {msg:?}"),
                    Err(e) => e,
                };
                if err.kind == PyErrorKind::Unsupported {
                    continue;
                }
                assert_eq!(err.kind, PyErrorKind::SyntaxError, "{version}: {src:?}");
                assert_eq!(err.msg, *msg, "{version}: {src:?}");
                let at = (
                    err.lineno.unwrap_or(0),
                    err.offset.unwrap_or(0),
                    err.end_lineno.unwrap_or(0),
                    err.end_offset.unwrap_or(0),
                );
                assert_eq!(at, (*l, *o, *el, *eo), "{version}: {src:?} ({msg})");
            }
        }
    }

    #[test]
    fn flow_syntax_errors() {
        let except_star = "'break', 'continue' and 'return' cannot appear in an except* block";
        check(&[
            ("break\n", "'break' outside loop", (1, 1, 1, 6)),
            (
                "continue\n",
                "'continue' not properly in loop",
                (1, 1, 1, 9),
            ),
            ("if x:\n    break\n", "'break' outside loop", (2, 5, 2, 10)),
            // Byte offsets, as CPython reports them (not characters).
            ("if \u{e9}:  break\n", "'break' outside loop", (1, 9, 1, 14)),
            (
                "try:\n    pass\nexcept:\n    pass\nexcept E:\n    pass\n",
                "default 'except:' must be last",
                (3, 1, 4, 9),
            ),
            (
                "try:\n    pass\nexcept* E:\n    break\n",
                except_star,
                (4, 5, 4, 10),
            ),
            (
                "for x in y:\n    try:\n        pass\n    except* E:\n        continue\n",
                except_star,
                (5, 9, 5, 17),
            ),
        ]);
    }
}

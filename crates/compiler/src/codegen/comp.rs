//! Comprehensions (inlined per PEP 709, generator expressions as nested code), `yield`,
//! `yield from` and `await`.
//!
//! Follows `codegen_comprehension`, `codegen_sync_comprehension_generator`,
//! `codegen_async_comprehension_generator`, the inlined-comprehension state helpers of
//! `codegen.c` / `compile.c` (`_PyCompile_TweakInlinedComprehensionScopes`), and the `Yield`,
//! `YieldFrom` and `Await` cases of `codegen_visit_expr`.

use super::func::intrinsic1;
use super::{Compiler, FBlockDatum, FBlockType, NameDict, ScopeType, R};
use crate::ir::{ConstValue, Label, Loc};
use crate::op::Op;
use crate::symtable::{flags, NameScope, Scope, Symbol};
use cpyviz_syntax::ast::{AstNode, Comprehension, Expr, NodeKind, Nodes, Starred};

/// `COMP_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CompKind {
    GenExp,
    List,
    Set,
    Dict,
}

/// `RESUME`'s oparg after a `yield`.
const RESUME_AFTER_YIELD: u32 = 1;

/// `_PyCompile_InlinedComprehensionState`.
#[derive(Default)]
struct InlineState {
    /// Names whose outer values were pushed on the stack (`LOAD_FAST_AND_CLEAR`).
    pushed_locals: Vec<String>,
    /// Outer symbols replaced while the comprehension is compiled: name → previous override.
    temp_symbols: Vec<(String, Option<Symbol>)>,
    /// Names made fast locals for the comprehension's duration.
    fast_hidden: Vec<String>,
    cleanup: Option<Label>,
}

impl<'a> Compiler<'a> {
    /// `ListComp`, `SetComp`, `DictComp`, `GeneratorExp`.
    pub fn comprehension(&mut self, e: &'a AstNode) -> R {
        let (kind, name, elt, val, generators) = match Expr::cast(e) {
            Some(Expr::GeneratorExp(g)) => {
                (CompKind::GenExp, "<genexpr>", g.elt(), None, g.generators())
            }
            Some(Expr::ListComp(l)) => {
                (CompKind::List, "<listcomp>", l.elt(), None, l.generators())
            }
            Some(Expr::SetComp(s)) => (CompKind::Set, "<setcomp>", s.elt(), None, s.generators()),
            Some(Expr::DictComp(d)) => (
                CompKind::Dict,
                "<dictcomp>",
                d.key(),
                d.value(),
                d.generators(),
            ),
            _ => {
                let what = format!("the `{}` comprehension", e.kind.name());
                return Err(self.unsupported(&what, e));
            }
        };
        let generators: Vec<Comprehension<'a>> = generators.iter().map(Comprehension).collect();
        if generators.is_empty() {
            return Err(self.unsupported("a comprehension without `for`", e));
        }
        self.codegen_comprehension(e, kind, name, &generators, elt, val)
    }

    /// `codegen_comprehension`.
    fn codegen_comprehension(
        &mut self,
        e: &'a AstNode,
        kind: CompKind,
        name: &str,
        generators: &[Comprehension<'a>],
        elt: &'a AstNode,
        val: Option<&'a AstNode>,
    ) -> R {
        let scope = self.scope_for(e)?;
        let entry: &'a Scope = self.table.scope(scope);
        let is_inlined = entry.comp_inlined;
        let is_async = entry.coroutine;
        let loc = self.loc(e);
        let calls_iter = self.version.profile().comprehension_calls_iter;
        let outermost = generators[0];
        let outer_iter = outermost.iter();
        let outer_async = outermost.is_async() != 0;
        let mut state = InlineState::default();
        if is_inlined {
            self.visit_expr(outer_iter)?;
            if !calls_iter {
                self.comprehension_iter(outer_iter, outer_async);
            }
            self.push_inlined_comprehension_state(loc, entry, &mut state)?;
        } else {
            let lineno = self.line(e);
            self.enter_scope(
                name,
                ScopeType::Comprehension,
                scope,
                lineno,
                None,
                (1, 0, 0),
            )?;
        }
        if kind != CompKind::GenExp {
            let op = match kind {
                CompKind::List => Op::BUILD_LIST,
                CompKind::Set => Op::BUILD_SET,
                _ => Op::BUILD_MAP,
            };
            self.emit_arg(op, 0, loc);
            if is_inlined {
                self.emit_arg(Op::SWAP, 2, loc);
            }
        }
        // 3.15 evaluates a generator expression's outermost `iter()` in its prefix.
        let iter_on_stack = is_inlined || (calls_iter && kind == CompKind::GenExp);
        self.comprehension_generator(loc, generators, 0, 0, elt, val, kind, iter_on_stack)?;
        if is_inlined {
            return self.pop_inlined_comprehension_state(loc, state);
        }
        if kind != CompKind::GenExp {
            self.emit(Op::RETURN_VALUE, loc);
        }
        let genexp_iter = if kind == CompKind::GenExp {
            self.wrap_in_stopiteration_handler();
            Some((self.loc(outer_iter), outer_async))
        } else {
            None
        };
        self.insert_generator_prefix(genexp_iter);
        let co = self.exit_scope(true)?;
        self.make_closure(loc, co, 0)?;
        self.visit_expr(outer_iter)?;
        if !calls_iter {
            self.comprehension_iter(outer_iter, outer_async);
        }
        self.emit_arg(Op::CALL, 0, loc);
        if is_async && kind != CompKind::GenExp {
            self.emit_arg(Op::GET_AWAITABLE, 0, loc);
            self.await_sent_value(loc);
        }
        Ok(())
    }

    /// 3.14 `codegen_comprehension_iter`: `iter()` / `aiter()` of the outermost iterable.
    fn comprehension_iter(&mut self, iter: &AstNode, is_async: bool) {
        let iloc = self.loc(iter);
        if is_async {
            self.emit(Op::GET_AITER, iloc);
        } else {
            self.emit(Op::GET_ITER, iloc);
        }
    }

    /// `codegen_comprehension_generator`.
    #[allow(clippy::too_many_arguments)]
    fn comprehension_generator(
        &mut self,
        loc: Loc,
        generators: &[Comprehension<'a>],
        gen_index: usize,
        depth: u32,
        elt: &'a AstNode,
        val: Option<&'a AstNode>,
        kind: CompKind,
        iter_on_stack: bool,
    ) -> R {
        let gen = generators[gen_index];
        if gen.is_async() != 0 {
            self.async_comprehension_generator(
                loc,
                generators,
                gen_index,
                depth,
                elt,
                val,
                kind,
                iter_on_stack,
            )
        } else {
            self.sync_comprehension_generator(
                loc,
                generators,
                gen_index,
                depth,
                elt,
                val,
                kind,
                iter_on_stack,
            )
        }
    }

    /// `codegen_sync_comprehension_generator`.
    #[allow(clippy::too_many_arguments)]
    fn sync_comprehension_generator(
        &mut self,
        loc: Loc,
        generators: &[Comprehension<'a>],
        gen_index: usize,
        mut depth: u32,
        elt: &'a AstNode,
        val: Option<&'a AstNode>,
        kind: CompKind,
        iter_on_stack: bool,
    ) -> R {
        let profile = self.version.profile();
        let mut start = Some(self.new_label());
        let if_cleanup = self.new_label();
        let anchor = self.new_label();
        let gen = generators[gen_index];
        let iter = gen.iter();
        let iter_loc = self.loc(iter);
        if !iter_on_stack {
            if gen_index == 0 {
                self.emit_arg(Op::LOAD_FAST, 0, loc);
            } else {
                // `for y in [f(x)]`: bind the single element without iterating.
                let elts: Vec<&'a AstNode> = match Expr::of(iter) {
                    Expr::List(l) => l.elts(),
                    Expr::Tuple(t) => t.elts(),
                    _ => Nodes::default(),
                }
                .iter()
                .collect();
                if elts.len() == 1 && elts[0].kind != NodeKind::Starred {
                    self.visit_expr(elts[0])?;
                    start = None;
                }
                if start.is_some() {
                    self.visit_expr(iter)?;
                    if !profile.comprehension_calls_iter {
                        self.emit(Op::GET_ITER, iter_loc);
                    }
                }
            }
        }
        if let Some(start) = start {
            depth += profile.for_loop_stack_items;
            if profile.comprehension_calls_iter {
                let in_prefix = kind == CompKind::GenExp && gen_index == 0;
                if !in_prefix {
                    self.emit_arg(Op::GET_ITER, 0, iter_loc);
                }
            }
            self.use_label(start);
            self.emit_jump(Op::FOR_ITER, anchor, iter_loc);
        }
        self.visit_expr(gen.target())?;
        for cond in gen.ifs() {
            self.jump_if(cond, if_cleanup, false)?;
        }
        let next = gen_index + 1;
        if next < generators.len() {
            self.comprehension_generator(loc, generators, next, depth, elt, val, kind, false)?;
        }
        let mut elt_loc = self.loc(elt);
        if next >= generators.len() {
            elt_loc = self.comprehension_element(elt, val, kind, depth)?;
        }
        self.use_label(if_cleanup);
        if let Some(start) = start {
            self.emit_jump(Op::JUMP, start, elt_loc);
            self.use_label(anchor);
            self.emit(Op::END_FOR, Loc::NONE);
            self.emit(Op::POP_ITER, Loc::NONE);
        }
        Ok(())
    }

    /// The innermost code of a comprehension: yield, append, add or store the element.
    /// Returns the location the loop's back jump takes.
    fn comprehension_element(
        &mut self,
        elt: &'a AstNode,
        val: Option<&'a AstNode>,
        kind: CompKind,
        depth: u32,
    ) -> R<Loc> {
        let mut elt_loc = self.loc(elt);
        // PEP 798 (3.15): `*x` / `**d` as the element unpacks it into the result.
        let starred = Starred::cast(elt).map(|s| s.value());
        match (kind, starred) {
            (CompKind::GenExp, Some(value)) => {
                // `yield from` without the delegation: a loop yielding each item.
                self.visit_expr(value)?;
                self.emit_arg(Op::GET_ITER, 0, elt_loc);
                let start = self.new_label();
                let end = self.new_label();
                self.use_label(start);
                self.emit_jump(Op::FOR_ITER, end, elt_loc);
                self.addop_yield(elt_loc);
                self.emit(Op::POP_TOP, elt_loc);
                self.emit_jump(Op::JUMP, start, elt_loc);
                self.use_label(end);
                self.emit(Op::END_FOR, Loc::NONE);
                self.emit(Op::POP_ITER, Loc::NONE);
            }
            (CompKind::GenExp, None) => {
                self.visit_expr(elt)?;
                self.addop_yield(elt_loc);
                self.emit(Op::POP_TOP, elt_loc);
            }
            (CompKind::List | CompKind::Set, _) => {
                self.visit_expr(starred.unwrap_or(elt))?;
                let op = match (kind, starred.is_some()) {
                    (CompKind::List, false) => Op::LIST_APPEND,
                    (CompKind::List, true) => Op::LIST_EXTEND,
                    (_, false) => Op::SET_ADD,
                    (_, true) => Op::SET_UPDATE,
                };
                self.emit_arg(op, depth + 1, elt_loc);
            }
            (CompKind::Dict, _) => {
                let Some(val) = val else {
                    // `{**d for d in y}`: the key holds the mapping to merge.
                    self.visit_expr(elt)?;
                    self.emit_arg(Op::DICT_UPDATE, depth + 1, elt_loc);
                    return Ok(elt_loc);
                };
                self.visit_expr(elt)?;
                self.visit_expr(val)?;
                let k = self.loc(elt);
                let v = self.loc(val);
                elt_loc = Loc::new(k.lineno, v.end_lineno, k.col, v.end_col);
                self.emit_arg(Op::MAP_ADD, depth + 1, elt_loc);
            }
        }
        Ok(elt_loc)
    }

    /// `codegen_async_comprehension_generator`.
    #[allow(clippy::too_many_arguments)]
    fn async_comprehension_generator(
        &mut self,
        loc: Loc,
        generators: &[Comprehension<'a>],
        gen_index: usize,
        mut depth: u32,
        elt: &'a AstNode,
        val: Option<&'a AstNode>,
        kind: CompKind,
        iter_on_stack: bool,
    ) -> R {
        let profile = self.version.profile();
        let start = self.new_label();
        let send = self.new_label();
        let except = self.new_label();
        let if_cleanup = self.new_label();
        let gen = generators[gen_index];
        let iter = gen.iter();
        let iter_loc = self.loc(iter);
        if !iter_on_stack {
            if gen_index == 0 {
                self.emit_arg(Op::LOAD_FAST, 0, loc);
            } else {
                self.visit_expr(iter)?;
                if !profile.comprehension_calls_iter {
                    self.emit(Op::GET_AITER, iter_loc);
                }
            }
        }
        if profile.comprehension_calls_iter && !(kind == CompKind::GenExp && gen_index == 0) {
            self.emit(Op::GET_AITER, iter_loc);
        }
        self.use_label(start);
        self.push_fblock(
            loc,
            FBlockType::AsyncComprehensionGenerator,
            Some(start),
            None,
            FBlockDatum::None,
        )?;
        self.emit_jump(Op::SETUP_FINALLY, except, loc);
        self.emit(Op::GET_ANEXT, loc);
        if profile.null_before_send {
            self.emit(Op::PUSH_NULL, loc);
        }
        self.load_const(ConstValue::None, loc);
        self.use_label(send);
        self.add_yield_from(loc, true);
        self.emit(Op::POP_BLOCK, loc);
        self.visit_expr(gen.target())?;
        for cond in gen.ifs() {
            self.jump_if(cond, if_cleanup, false)?;
        }
        depth += 1;
        let next = gen_index + 1;
        if next < generators.len() {
            self.comprehension_generator(loc, generators, next, depth, elt, val, kind, false)?;
        }
        let mut elt_loc = self.loc(elt);
        if next >= generators.len() {
            elt_loc = self.comprehension_element(elt, val, kind, depth)?;
        }
        self.use_label(if_cleanup);
        self.emit_jump(Op::JUMP, start, elt_loc);
        self.pop_fblock(FBlockType::AsyncComprehensionGenerator);
        self.use_label(except);
        self.emit_jump(Op::END_ASYNC_FOR, send, loc);
        Ok(())
    }

    /// `push_inlined_comprehension_state`: `_PyCompile_TweakInlinedComprehensionScopes`, then
    /// save the outer values of the names the comprehension binds.
    fn push_inlined_comprehension_state(
        &mut self,
        loc: Loc,
        entry: &'a Scope,
        state: &mut InlineState,
    ) -> R {
        // _PyCompile_TweakInlinedComprehensionScopes
        let ste = self.ste();
        let in_class_block =
            ste.kind == crate::symtable::BlockType::Class && self.u().in_inlined_comp == 0;
        let function_like = ste.is_function_like();
        self.um().in_inlined_comp += 1;
        for (k, sym) in &entry.symbols {
            let outer = self.symbol(k);
            let outsc = outer.map(|s| s.scope);
            let scope = sym.scope;
            let differs = Some(scope) != outsc
                && scope != NameScope::Free
                && !(scope == NameScope::Cell && outsc == Some(NameScope::Free));
            if differs || in_class_block {
                let prev = self.um().symbol_overrides.insert(k.clone(), *sym);
                state.temp_symbols.push((k.clone(), prev));
            }
            let binds = sym.flags & flags::DEF_LOCAL != 0 && sym.flags & flags::DEF_NONLOCAL == 0;
            if (binds || in_class_block) && !function_like {
                let u = self.um();
                match u.fasthidden.iter_mut().find(|(n, _)| n == k) {
                    Some((_, true)) => {}
                    Some(slot) => {
                        slot.1 = true;
                        state.fast_hidden.push(k.clone());
                    }
                    None => {
                        u.fasthidden.push((k.clone(), true));
                        state.fast_hidden.push(k.clone());
                    }
                }
            }
        }
        // codegen_push_inlined_comprehension_locals (the unit is now inside the comprehension,
        // so it never counts as the class block here).
        let in_class_block =
            self.ste().kind == crate::symtable::BlockType::Class && self.u().in_inlined_comp == 0;
        for (k, sym) in &entry.symbols {
            let binds = sym.flags & flags::DEF_LOCAL != 0 && sym.flags & flags::DEF_NONLOCAL == 0;
            if !(binds || in_class_block) {
                continue;
            }
            let outsc = self.symbol(k).map(|s| s.scope);
            let mangled = self.mangle(k);
            let i = self.add_to(NameDict::Varnames, &mangled);
            self.emit_arg(Op::LOAD_FAST_AND_CLEAR, i, loc);
            if sym.scope == NameScope::Cell {
                let dict = if outsc == Some(NameScope::Free) {
                    NameDict::Freevars
                } else {
                    NameDict::Cellvars
                };
                let c = self.add_to(dict, &mangled);
                self.emit_arg(Op::MAKE_CELL, c, loc);
            }
            state.pushed_locals.push(k.clone());
        }
        if !state.pushed_locals.is_empty() {
            self.emit_arg(Op::SWAP, state.pushed_locals.len() as u32 + 1, loc);
            let cleanup = self.new_label();
            state.cleanup = Some(cleanup);
            self.emit_jump(Op::SETUP_FINALLY, cleanup, loc);
        }
        Ok(())
    }

    /// `restore_inlined_comprehension_locals`.
    fn restore_inlined_comprehension_locals(&mut self, loc: Loc, state: &InlineState) {
        let n = state.pushed_locals.len() as u32;
        self.emit_arg(Op::SWAP, n + 1, loc);
        for k in state.pushed_locals.iter().rev() {
            let mangled = self.mangle(k);
            let i = self.add_to(NameDict::Varnames, &mangled);
            self.emit_arg(Op::STORE_FAST_MAYBE_NULL, i, loc);
        }
    }

    /// `pop_inlined_comprehension_state`: restore the saved locals (also on the exception
    /// path), then `_PyCompile_RevertInlinedComprehensionScopes`.
    fn pop_inlined_comprehension_state(&mut self, loc: Loc, state: InlineState) -> R {
        if let Some(cleanup) = state.cleanup {
            self.emit(Op::POP_BLOCK, Loc::NONE);
            let end = self.new_label();
            self.emit_jump(Op::JUMP_NO_INTERRUPT, end, Loc::NONE);
            self.use_label(cleanup);
            self.emit_arg(Op::SWAP, 2, Loc::NONE);
            self.emit(Op::POP_TOP, Loc::NONE);
            self.restore_inlined_comprehension_locals(loc, &state);
            self.emit_arg(Op::RERAISE, 0, Loc::NONE);
            self.use_label(end);
            self.restore_inlined_comprehension_locals(loc, &state);
        }
        let u = self.um();
        u.in_inlined_comp = u.in_inlined_comp.saturating_sub(1);
        for (k, prev) in state.temp_symbols.into_iter().rev() {
            match prev {
                Some(s) => {
                    u.symbol_overrides.insert(k, s);
                }
                None => {
                    u.symbol_overrides.remove(&k);
                }
            }
        }
        for k in state.fast_hidden {
            if let Some(slot) = u.fasthidden.iter_mut().find(|(n, _)| *n == k) {
                slot.1 = false;
            }
        }
        Ok(())
    }

    // ----- yield, yield from, await ------------------------------------------------------------

    /// `Yield`, `YieldFrom`, `Await`.
    pub fn yield_or_await(&mut self, e: &'a AstNode) -> R {
        let loc = self.loc(e);
        match Expr::cast(e) {
            Some(Expr::Yield(y)) => {
                if !self.ste().is_function_like() {
                    return Err(self.error(loc, "'yield' outside function"));
                }
                match y.value() {
                    Some(v) => self.visit_expr(v)?,
                    None => self.load_const(ConstValue::None, loc),
                }
                self.addop_yield(loc);
            }
            Some(Expr::YieldFrom(y)) => {
                if !self.ste().is_function_like() {
                    return Err(self.error(loc, "'yield from' outside function"));
                }
                if self.u().scope_type == ScopeType::AsyncFunction {
                    return Err(self.error(loc, "'yield from' inside async function"));
                }
                self.visit_expr(y.value())?;
                if self.version.profile().yield_from_uses_get_iter {
                    self.emit_arg(Op::GET_ITER, 1, loc);
                } else {
                    self.emit(Op::GET_YIELD_FROM_ITER, loc);
                }
                self.load_const(ConstValue::None, loc);
                self.add_yield_from(loc, false);
            }
            Some(Expr::Await(a)) => {
                if !self.ste().is_function_like() {
                    return Err(self.error(loc, "'await' outside function"));
                }
                if !matches!(
                    self.u().scope_type,
                    ScopeType::AsyncFunction | ScopeType::Comprehension
                ) {
                    return Err(self.error(loc, "'await' outside async function"));
                }
                self.visit_expr(a.value())?;
                self.emit_arg(Op::GET_AWAITABLE, 0, loc);
                self.await_sent_value(loc);
            }
            _ => {
                let what = format!("the `{}` expression", e.kind.name());
                return Err(self.unsupported(&what, e));
            }
        }
        Ok(())
    }

    /// `codegen_addop_yield`.
    pub fn addop_yield(&mut self, loc: Loc) {
        let ste = self.ste();
        if ste.generator && ste.coroutine {
            let wrap = intrinsic1(self.version, "INTRINSIC_ASYNC_GEN_WRAP");
            self.emit_arg(Op::CALL_INTRINSIC_1, wrap, loc);
        }
        self.emit_arg(Op::YIELD_VALUE, 0, loc);
        self.emit_arg(Op::RESUME, RESUME_AFTER_YIELD, loc);
    }
}

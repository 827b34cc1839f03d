//! From an optimized trace to the executor's instructions (the end of `uop_optimize` in
//! CPython 3.15's `optimizer.c`): the oparg-specialized copies (`_LOAD_FAST_3`), the
//! recorders dropped, register allocation (`stack_allocate`: each uop becomes the `_rNM`
//! variant for the number of stack items cached in registers, with `_SPILL_OR_RELOAD`
//! between), then the exit and error stubs (`prepare_for_execution`).

use super::ids::Ids;
use super::{Opnd, TUop};

/// The executor's instructions for `buf` (an optimized trace, or the recorded one when the
/// optimizer is skipped). The uops' `op` are register variants afterwards.
pub fn finish(ids: &Ids, mut buf: Vec<TUop>) -> Vec<TUop> {
    // Fix-up: replicated uops, and the recorders (their values were only for the optimizer).
    for u in buf.iter_mut() {
        let (start, stop) = ids.replication[u.op as usize];
        if (u.oparg as u8 as u32) == u.oparg && u.oparg < stop as u32 && u.oparg >= start as u32 {
            u.op = u.op + u.oparg as u16 + 1 - start as u16;
        } else if ids.uop_has(u.op, ids.f.records_value) {
            u.op = ids.u.NOP;
        }
    }
    let buf = stack_allocate(ids, buf);
    prepare_for_execution(ids, buf)
}

/// `stack_allocate`: the register variant of each uop for the number of cached items, with
/// a spill or reload where the best variant wants another number.
fn stack_allocate(ids: &Ids, buf: Vec<TUop>) -> Vec<TUop> {
    let spills = ids.t.spills_and_reloads.expect("3.15 has spill tables");
    let mut out = Vec::with_capacity(buf.len() + 16);
    let mut depth = 0usize;
    for mut u in buf {
        if u.op == ids.u.NOP {
            continue;
        }
        let Some(c) = ids.caching[u.op as usize] else {
            out.push(u);
            continue;
        };
        let new_depth = c.best[depth] as usize;
        if new_depth != depth {
            let mut s = u.clone();
            s.op = spills[depth][new_depth];
            s.oparg = 0;
            s.target = 0;
            s.jump = None;
            s.operand0 = Opnd::None;
            s.src = u32::MAX;
            out.push(s);
            depth = new_depth;
        }
        match c.entries[depth] {
            Some(e) => {
                u.op = e.uop;
                out.push(u);
                depth = e.output as usize;
            }
            None => out.push(u),
        }
    }
    out
}

/// `get_cached_entries_for_side_exit`: the items cached in registers when `variant` exits.
fn exit_depth(ids: &Ids, base: u16, variant: u16) -> usize {
    ids.caching[base as usize]
        .and_then(|c| {
            c.entries
                .iter()
                .flatten()
                .find(|e| e.uop == variant)
                .map(|e| e.exit as usize)
        })
        .unwrap_or(0)
}

fn base_of(ids: &Ids, op: u16) -> u16 {
    match ids.uncached.get(op as usize) {
        Some(&b) if b != 0 => b,
        _ => op,
    }
}

fn variant_of(ids: &Ids, base: u16, depth: usize) -> u16 {
    ids.caching[base as usize]
        .and_then(|c| c.entries[depth])
        .map_or(base, |e| e.uop)
}

/// `prepare_for_execution`: every uop that can exit gets the stub it jumps to (shared by
/// consecutive exits to the same place from the same register state), every uop that can
/// fail an error stub (shared likewise), and `_JUMP_TO_TOP` jumps back to just after
/// `_START_EXECUTOR`.
fn prepare_for_execution(ids: &Ids, mut buf: Vec<TUop>) -> Vec<TUop> {
    let u = &ids.u;
    let len = buf.len();
    let mut stubs: Vec<TUop> = Vec::new();
    let mut cur_jump: Option<u16> = None;
    let mut cur_jump_target: i64 = -1;
    let mut cur_exit_op: i64 = -1;
    let mut cur_error: Option<u16> = None;
    let mut cur_error_target: i64 = -1;
    let mut cur_popped: i64 = -1;
    for uop in buf.iter_mut() {
        let base = base_of(ids, uop.op);
        let target = uop.target as i64;
        let exit = ids.uop_has(base, ids.f.exit);
        let deopt = ids.uop_has(base, ids.f.deopt);
        let periodic = ids.uop_has(base, ids.f.periodic);
        if exit || deopt || periodic {
            let mut base_exit = u.EXIT_TRACE;
            if deopt {
                base_exit = u.DEOPT;
            } else if periodic {
                base_exit = u.HANDLE_PENDING_AND_DEOPT;
            }
            if ids.is_dynamic_exit_guard(base) {
                base_exit = u.DYNAMIC_EXIT;
            }
            let depth = exit_depth(ids, base, uop.op);
            let exit_op = variant_of(ids, base_exit, depth);
            let control_flow = base == u.GUARD_IS_FALSE_POP
                || base == u.GUARD_IS_TRUE_POP
                || ids.is_for_iter_test(base);
            if target != cur_jump_target || exit_op as i64 != cur_exit_op {
                let mut s = uop.clone();
                s.op = exit_op;
                s.oparg = 0;
                s.operand0 = Opnd::None;
                s.jump = None;
                s.target = target as u32;
                s.operand1 = control_flow as u64;
                s.step = u32::MAX;
                s.src = u32::MAX;
                cur_exit_op = exit_op as i64;
                cur_jump_target = target;
                cur_jump = Some((len + stubs.len()) as u16);
                stubs.push(s);
            }
            uop.jump = Some((cur_jump.expect("set"), 0));
        }
        if ids.uop_has(base, ids.f.error) {
            let popped = if ids.uop_has(base, ids.f.error_no_pop) {
                0
            } else {
                ids.uop_popped(base, uop.oparg) as i64
            };
            if target != cur_error_target || popped != cur_popped {
                cur_popped = popped;
                cur_error = Some((len + stubs.len()) as u16);
                cur_error_target = target;
                let mut s = uop.clone();
                s.op = variant_of(ids, u.ERROR_POP_N, 0);
                s.oparg = 0;
                s.jump = None;
                s.target = 0;
                s.operand0 = Opnd::Num(target as u64);
                s.operand1 = 0;
                s.step = u32::MAX;
                s.src = u32::MAX;
                stubs.push(s);
            }
            let e = cur_error.expect("set");
            uop.jump = Some(match uop.jump {
                Some((j, _)) => (j, e),
                None => (0, e),
            });
        }
        if base == u.JUMP_TO_TOP {
            uop.jump = Some((1, 0));
        }
    }
    buf.extend(stubs);
    buf
}

/// The base uop of an executor instruction (what `get_executor()` names).
pub fn base(ids: &Ids, op: u16) -> u16 {
    base_of(ids, op)
}

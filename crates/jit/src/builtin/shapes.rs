//! The shapes of cpyviz's built-in stencils: what each uop's stencil does, written once for
//! both architectures in the instructions of [`super::ir`].
//!
//! The careful shapes follow the facts of CPython's `Python/bytecodes.c` (which fields are read
//! and written, which guard exits, which call may fail) with the struct offsets of the
//! version's internal headers; everything else calls a model helper named after the uop
//! (`cpyviz_uop__LOAD_ATTR`), which stands for the uop's C body.

use super::ir::{Builder, Callee, Cond, Ctx, Ins, Src, Tgt, Width};
use cpyviz_model::jit::HoleValue;
use cpyviz_model::tables::{flags, OpargKind, Tables, UopInfo};
use std::collections::HashSet;

/// `Py_TAG_REFCNT`: the tag bit of a stack reference that owns no reference.
const TAG: i64 = 1;
/// `PyStackRef_NULL.bits`.
const NULL_BITS: i64 = 1;
/// `_PyLong_IsCompact`: `lv_tag < (2 << _PyLong_NON_SIZE_BITS)`.
const COMPACT_LIMIT: i64 = 2 << 3;
/// `_PY_EVAL_EVENTS_MASK`.
const EVENTS_MASK: i64 = 0xFF;
/// `_PY_EVAL_JIT_INVALIDATE_COLD_BIT`.
const INVALIDATE_COLD_BIT: i64 = 1 << 7;
/// The largest magnitude of a one-digit int (`PyLong_SHIFT` = 30).
const ONE_DIGIT_MAX: i64 = (1 << 30) - 1;

/// One stencil group to write.
pub(crate) struct Spec {
    /// The group's name (3.15: the register variant, `_BINARY_OP_ADD_INT_r23`).
    pub group: String,
    /// The base uop.
    pub base: &'static UopInfo,
    /// Cached items in, out, and at the exits.
    pub n: usize,
    pub m: usize,
    pub e: usize,
}

/// Which base uops read `operand0` / `operand1`: those whose macro-expansion entries take a
/// cache entry as operand (`OPARG_CACHE_*` / `OPERAND1_*`), and every uop the optimizer
/// inserts by itself (in no expansion).
pub(crate) struct OperandUse {
    op0: HashSet<u16>,
    op1: HashSet<u16>,
    expanded: HashSet<u16>,
}

impl OperandUse {
    pub(crate) fn of(tables: &Tables) -> OperandUse {
        let mut u = OperandUse {
            op0: HashSet::new(),
            op1: HashSet::new(),
            expanded: HashSet::new(),
        };
        for op in tables.opcodes {
            for step in op.expansion {
                u.expanded.insert(step.uop);
                match step.kind {
                    OpargKind::Cache1 | OpargKind::Cache2 | OpargKind::Cache4 => {
                        u.op0.insert(step.uop);
                    }
                    OpargKind::Operand1_1 | OpargKind::Operand1_2 | OpargKind::Operand1_4 => {
                        u.op1.insert(step.uop);
                    }
                    _ => {}
                }
            }
        }
        u
    }

    fn operand0(&self, id: u16) -> bool {
        self.op0.contains(&id) || !self.expanded.contains(&id)
    }

    fn operand1(&self, id: u16) -> bool {
        self.op1.contains(&id)
    }
}

/// A written shape.
pub(crate) struct Written {
    pub code: Vec<Ins>,
    pub data: Vec<u8>,
    pub shape: String,
}

/// The model helper a generic stencil calls.
pub(crate) fn helper_name(base: &str) -> String {
    format!("cpyviz_uop_{base}")
}

/// Whether a base uop has a careful shape.
#[cfg(test)]
pub(crate) fn is_careful(base: &str) -> bool {
    careful_kind(base).is_some()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arith {
    Add,
    Sub,
    Mul,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Careful {
    StartExecutor,
    MakeWarm,
    SetIp,
    CheckValidity,
    CheckPeriodic,
    LoadFast { borrow: bool, index: Option<u8> },
    LoadConstInlineBorrow,
    StoreFast { index: Option<u8> },
    SwapFast { index: Option<u8> },
    PopTop,
    PopTopNop,
    PopTopInt,
    GuardInt { depth: usize },
    BinaryInt(Arith),
    BinaryIntInplace(Arith, bool),
    CompareInt,
    GuardIsPop(bool),
    IterCheckRange,
    GuardNotExhaustedRange,
    IterNextRange,
    JumpToTop,
    ExitTrace,
    Deopt,
    ErrorPopN,
    DynamicExit,
    SpillOrReload,
    FatalError,
}

fn numbered(name: &str, prefix: &str) -> Option<Option<u8>> {
    if name == prefix {
        return Some(None);
    }
    let rest = name.strip_prefix(prefix)?.strip_prefix('_')?;
    let k: u8 = rest.parse().ok()?;
    (rest.len() == 1).then_some(Some(k))
}

fn careful_kind(base: &str) -> Option<Careful> {
    use Careful::*;
    if let Some(index) = numbered(base, "_LOAD_FAST_BORROW") {
        return Some(LoadFast {
            borrow: true,
            index,
        });
    }
    if let Some(index) = numbered(base, "_LOAD_FAST") {
        return Some(LoadFast {
            borrow: false,
            index,
        });
    }
    if let Some(index) = numbered(base, "_STORE_FAST") {
        return Some(StoreFast { index });
    }
    if let Some(index) = numbered(base, "_SWAP_FAST") {
        return Some(SwapFast { index });
    }
    Some(match base {
        "_START_EXECUTOR" => StartExecutor,
        "_MAKE_WARM" => MakeWarm,
        "_SET_IP" => SetIp,
        "_CHECK_VALIDITY" => CheckValidity,
        "_CHECK_PERIODIC" => CheckPeriodic,
        "_LOAD_CONST_INLINE_BORROW" => LoadConstInlineBorrow,
        "_POP_TOP" => PopTop,
        "_POP_TOP_NOP" => PopTopNop,
        "_POP_TOP_INT" => PopTopInt,
        "_GUARD_TOS_INT" => GuardInt { depth: 1 },
        "_GUARD_NOS_INT" => GuardInt { depth: 2 },
        "_BINARY_OP_ADD_INT" => BinaryInt(Arith::Add),
        "_BINARY_OP_SUBTRACT_INT" => BinaryInt(Arith::Sub),
        "_BINARY_OP_MULTIPLY_INT" => BinaryInt(Arith::Mul),
        "_BINARY_OP_ADD_INT_INPLACE" => BinaryIntInplace(Arith::Add, false),
        "_BINARY_OP_SUBTRACT_INT_INPLACE" => BinaryIntInplace(Arith::Sub, false),
        "_BINARY_OP_MULTIPLY_INT_INPLACE" => BinaryIntInplace(Arith::Mul, false),
        "_BINARY_OP_ADD_INT_INPLACE_RIGHT" => BinaryIntInplace(Arith::Add, true),
        "_BINARY_OP_SUBTRACT_INT_INPLACE_RIGHT" => BinaryIntInplace(Arith::Sub, true),
        "_BINARY_OP_MULTIPLY_INT_INPLACE_RIGHT" => BinaryIntInplace(Arith::Mul, true),
        "_COMPARE_OP_INT" => CompareInt,
        "_GUARD_IS_TRUE_POP" => GuardIsPop(true),
        "_GUARD_IS_FALSE_POP" => GuardIsPop(false),
        "_ITER_CHECK_RANGE" => IterCheckRange,
        "_GUARD_NOT_EXHAUSTED_RANGE" => GuardNotExhaustedRange,
        "_ITER_NEXT_RANGE" => IterNextRange,
        "_JUMP_TO_TOP" => JumpToTop,
        "_EXIT_TRACE" => ExitTrace,
        "_DEOPT" => Deopt,
        "_ERROR_POP_N" => ErrorPopN,
        "_DYNAMIC_EXIT" => DynamicExit,
        "_SPILL_OR_RELOAD" => SpillOrReload,
        "_FATAL_ERROR" => FatalError,
        _ => return None,
    })
}

/// Writes the stencil of `spec`.
pub(crate) fn write(ctx: &Ctx, spec: &Spec, uses: &OperandUse) -> Result<Written, String> {
    let what = |e: String| format!("{}: {e}", spec.group);
    match careful_kind(spec.base.name) {
        Some(kind) => careful(ctx, spec, kind).map_err(what),
        None => generic(ctx, spec, uses).map_err(what),
    }
}

/// `dst = (PyObject *)(ref & ~Py_TAG_REFCNT)` of a stack reference in `src`.
fn object_of(b: &mut Builder, src: u8, dst: u8) {
    b.def(dst);
    if src != dst {
        b.emit(Ins::Mov(dst, src));
    }
    b.emit(Ins::AndImm(dst, -2));
}

/// A type guard: exit unless the object at `obj` has the type `type_symbol` (its address
/// loaded into `tmp`, compared with `ob_type`).
fn exit_unless_type(b: &mut Builder, obj: u8, tmp: u8, type_symbol: &str) {
    b.sym_addr(tmp, type_symbol);
    let off = b.ctx.off.ob_type;
    b.emit(Ins::CmpMem {
        base: obj,
        off,
        w: Width::B8,
        r: tmp,
    });
    b.exit_if(Some(Cond::Ne));
}

/// `_PyLong_CompactValue` of the int a stack reference in `src` points to:
/// `ob_digit[0] * (1 - (lv_tag & 3))`, into `dst` (`tmp` is clobbered).
fn compact_value(b: &mut Builder, src: u8, dst: u8, tmp: u8) {
    let off = b.ctx.off;
    object_of(b, src, tmp);
    b.def(dst);
    b.emit(Ins::Load {
        dst,
        base: tmp,
        off: off.ob_digit,
        w: Width::B4,
    });
    b.emit(Ins::Load {
        dst: tmp,
        base: tmp,
        off: off.lv_tag,
        w: Width::B8,
    });
    b.emit(Ins::AndImm(tmp, 3));
    b.emit(Ins::Neg(tmp));
    b.emit(Ins::AddImm(tmp, 1));
    b.emit(Ins::MulReg(dst, tmp));
}

/// The address of a symbol plus a small addend (x86-64 3.15: folded into the immediate's
/// hole, as a compiler folds `&_Py_TrueStruct | 1`).
fn sym_plus(b: &mut Builder, dst: u8, symbol: &str, addend: i64) {
    if b.ctx.trace_got && b.ctx.arch == cpyviz_model::jit::Arch::X86_64 {
        b.imm(dst, HoleValue::Zero, Some(symbol), addend);
    } else {
        b.sym_addr(dst, symbol);
        if addend != 0 {
            b.emit(Ins::AddImm(dst, addend));
        }
    }
}

fn careful(ctx: &Ctx, spec: &Spec, kind: Careful) -> Result<Written, String> {
    use Careful::*;
    let off = ctx.off;
    let keep = ctx.shape.int_ops_keep_inputs;
    let (n, m, e) = (spec.n, spec.m, spec.e);
    let tables = ctx.version.profile().tables;
    let iter_items = ctx.version.profile().for_loop_stack_items as usize;
    let new = |i: usize, o: usize| Builder::new(ctx, n, m, e, i, o);
    let (b, shape) = match kind {
        StartExecutor => {
            let mut b = new(0, 0);
            // 3.14 sets `current_executor` only in the tier-2 interpreter (`#ifndef _Py_JIT`):
            // there the JIT's stencil is empty, and the shim calls the next uop.
            if let Some(ex) = ctx.exec {
                b.emit(Ins::Store {
                    src: Some(ex),
                    base: ctx.tstate,
                    off: off.ts_current_executor,
                    w: Width::B8,
                });
                b.emit(Ins::CmpMemImm {
                    base: ex,
                    off: off.ex_valid,
                    w: Width::B1,
                    imm: 0,
                });
                b.exit_if(Some(Cond::Eq));
                if let Some(jit_exit) = off.ts_jit_exit {
                    b.emit(Ins::Store {
                        src: None,
                        base: ctx.tstate,
                        off: jit_exit,
                        w: Width::B8,
                    });
                }
            }
            (b, "careful: 3.15 sets tstate->current_executor and deopts if the executor is no longer valid; 3.14's is empty under the JIT")
        }
        MakeWarm => {
            let mut b = new(0, 0);
            let t = b.t(0);
            let ex = b.executor(t);
            b.emit(Ins::StoreImm8 {
                base: ex,
                off: off.ex_warm_byte,
                imm: off.ex_warm_value,
            });
            if let Some(counter) = off.interp_trace_run_counter {
                let (i, c) = (b.t(1), b.t(2));
                let skip = b.label();
                b.emit(Ins::Load {
                    dst: i,
                    base: ctx.tstate,
                    off: off.ts_interp,
                    w: Width::B8,
                });
                b.emit(Ins::Load {
                    dst: c,
                    base: i,
                    off: counter,
                    w: Width::B8,
                });
                b.emit(Ins::AddImm(c, -1));
                b.emit(Ins::Store {
                    src: Some(c),
                    base: i,
                    off: counter,
                    w: Width::B8,
                });
                b.emit(Ins::CmpImm {
                    r: c,
                    imm: 0,
                    w: Width::B8,
                });
                b.emit(Ins::Jcc(Cond::Ne, Tgt::Local(skip)));
                b.emit(Ins::AtomicOr {
                    base: ctx.tstate,
                    off: off.ts_eval_breaker,
                    imm: INVALIDATE_COLD_BIT,
                });
                b.bind(skip);
            }
            (
                b,
                "careful: mark the executor warm (3.14: count down interp->trace_run_counter)",
            )
        }
        SetIp => {
            let mut b = new(0, 0);
            let t = b.t(0);
            b.imm(t, HoleValue::Operand0, None, 0);
            b.emit(Ins::Store {
                src: Some(t),
                base: ctx.frame,
                off: off.instr_ptr,
                w: Width::B8,
            });
            (b, "careful: frame->instr_ptr = operand0")
        }
        CheckValidity => {
            let mut b = new(0, 0);
            let t = b.t(0);
            let ex = b.executor(t);
            if off.valid_is_bit {
                b.emit(Ins::TestMemImm {
                    base: ex,
                    off: off.ex_valid,
                    w: Width::B1,
                    imm: 1,
                });
            } else {
                b.emit(Ins::CmpMemImm {
                    base: ex,
                    off: off.ex_valid,
                    w: Width::B1,
                    imm: 0,
                });
            }
            b.exit_if(Some(Cond::Eq));
            (b, "careful: deopt unless executor->vm_data.valid")
        }
        CheckPeriodic => {
            let mut b = new(0, 0);
            let t = b.t(0);
            let slow = b.label();
            let back = b.label();
            b.emit(Ins::Load {
                dst: t,
                base: ctx.tstate,
                off: off.ts_eval_breaker,
                w: Width::B8,
            });
            b.emit(Ins::TestImm {
                r: t,
                imm: EVENTS_MASK,
                w: Width::B8,
            });
            b.emit(Ins::Jcc(Cond::Ne, Tgt::Local(slow)));
            b.bind(back);
            b.cold_begin(slow);
            let r = b.t(0);
            b.call(
                Callee::Runtime("_Py_HandlePending"),
                &[Src::Reg(ctx.tstate)],
                true,
                Some(r),
            );
            b.emit(Ins::CmpImm {
                r,
                imm: 0,
                w: Width::B4,
            });
            b.error_if(Some(Cond::Ne));
            b.emit(Ins::Jmp(Tgt::Local(back)));
            b.cold_end();
            (
                b,
                "careful: eval breaker check, _Py_HandlePending on the slow path",
            )
        }
        LoadFast { borrow, index } => {
            let mut b = new(0, 1);
            let t0 = b.ctx.temps[0];
            let d = b.out_reg(0, 1, t0);
            b.def(d);
            match index {
                Some(k) => b.emit(Ins::Load {
                    dst: d,
                    base: ctx.frame,
                    off: off.localsplus + 8 * i32::from(k),
                    w: Width::B8,
                }),
                None => {
                    let i = b.t(1);
                    b.imm(i, HoleValue::Oparg, None, 0);
                    b.emit(Ins::LoadIdx {
                        dst: d,
                        base: ctx.frame,
                        idx: i,
                        off: off.localsplus,
                    });
                }
            }
            if borrow {
                b.emit(Ins::OrImm(d, TAG));
            } else {
                b.incref(d);
            }
            b.push(d);
            (
                b,
                if borrow {
                    "careful: push a borrowed reference to a local (PyStackRef_Borrow)"
                } else {
                    "careful: push a new reference to a local (PyStackRef_DUP)"
                },
            )
        }
        LoadConstInlineBorrow => {
            let mut b = new(0, 1);
            let t0 = b.ctx.temps[0];
            let d = b.out_reg(0, 1, t0);
            b.imm(d, HoleValue::Operand0, None, TAG);
            b.push(d);
            (b, "careful: push operand0 as a borrowed reference")
        }
        StoreFast { index } => {
            let mut b = new(1, 0);
            let t0 = b.ctx.temps[0];
            let v = b.get(b.input(0), t0);
            let old = b.t(1);
            swap_local(&mut b, ctx, &off, index, v, old);
            b.consume(1);
            b.decref(old, "_Py_Dealloc", true);
            (
                b,
                "careful: store into a local, then PyStackRef_XCLOSE the old value",
            )
        }
        SwapFast { index } => {
            // (value -- old): 3.15's STORE_FAST is _SWAP_FAST then _POP_TOP.
            let mut b = new(1, 1);
            let t0 = b.ctx.temps[0];
            let v = b.get(b.input(0), t0);
            b.consume(1);
            let t1 = b.ctx.temps[1];
            // not into the register the value is still in
            let old = Some(b.out_reg(0, 1, t1)).filter(|&r| r != v).unwrap_or(t1);
            b.def(old);
            swap_local(&mut b, ctx, &off, index, v, old);
            b.push(old);
            (
                b,
                "careful: swap the top item with a local (the old value is pushed, for _POP_TOP)",
            )
        }
        PopTop | PopTopInt => {
            let mut b = new(1, 0);
            let t0 = b.ctx.temps[0];
            let v = b.get(b.input(0), t0);
            b.consume(1);
            if kind == PopTop {
                b.decref(v, "_Py_Dealloc", true);
                (b, "careful: PyStackRef_CLOSE (decref, _Py_Dealloc)")
            } else {
                b.decref(v, "_PyLong_ExactDealloc", false);
                (
                    b,
                    "careful: PyStackRef_CLOSE_SPECIALIZED (decref, _PyLong_ExactDealloc)",
                )
            }
        }
        PopTopNop => {
            let mut b = new(1, 0);
            b.consume(1);
            (b, "careful: drop the top item (it owns no reference)")
        }
        GuardInt { depth } => {
            let mut b = new(depth, depth);
            let j = b.input(0);
            b.fetch(j);
            let (p, ty) = (b.t(1), b.t(2));
            b.copy(j, p);
            b.emit(Ins::AndImm(p, -2));
            exit_unless_type(&mut b, p, ty, "PyLong_Type");
            b.emit(Ins::CmpMemImm {
                base: p,
                off: off.lv_tag,
                w: Width::B8,
                imm: COMPACT_LIMIT,
            });
            b.exit_if(Some(Cond::Hs));
            (
                b,
                "careful: int guard (ob_type == &PyLong_Type and compact, else exit)",
            )
        }
        BinaryInt(op) => {
            let fname = ctx.shape.int_helpers[match op {
                Arith::Add => 0,
                Arith::Sub => 1,
                Arith::Mul => 2,
            }];
            let mut b = new(2, if keep { 3 } else { 1 });
            let (l, r) = (b.input(0), b.input(1));
            if keep {
                // (left, right -- res, l, r): exit when the result is not compact.
                let (s0, s1) = (b.s(0), b.s(1));
                b.place(l, s0);
                b.place(r, s1);
                let (a0, a1, res) = (b.t(0), b.t(1), b.t(2));
                object_of(&mut b, s0, a0);
                object_of(&mut b, s1, a1);
                b.call(
                    Callee::Runtime(fname),
                    &[Src::Reg(a0), Src::Reg(a1)],
                    false,
                    Some(res),
                );
                b.emit(Ins::CmpImm {
                    r: res,
                    imm: NULL_BITS,
                    w: Width::B8,
                });
                b.exit_if(Some(Cond::Eq));
                b.consume(2);
                b.push(res);
                b.push(s0);
                b.push(s1);
                (
                    b,
                    "careful: compact int arithmetic through _PyCompactLong_*, exit if not compact",
                )
            } else {
                // (left, right -- res): close both inputs, error on NULL.
                let (a0, a1) = (b.t(0), b.t(1));
                b.copy(l, a0);
                b.emit(Ins::AndImm(a0, -2));
                b.copy(r, a1);
                b.emit(Ins::AndImm(a1, -2));
                let res = b.s(0);
                b.call(
                    Callee::Runtime(fname),
                    &[Src::Reg(a0), Src::Reg(a1)],
                    false,
                    Some(res),
                );
                let v = b.t(1);
                b.copy(r, v);
                b.decref(v, "_PyLong_ExactDealloc", false);
                let v = b.t(1);
                b.copy(l, v);
                b.decref(v, "_PyLong_ExactDealloc", false);
                b.consume(2);
                b.emit(Ins::CmpImm {
                    r: res,
                    imm: 0,
                    w: Width::B8,
                });
                b.error_if(Some(Cond::Eq));
                b.push(res);
                (
                    b,
                    "careful: int arithmetic through _PyLong_*, close the inputs, error on NULL",
                )
            }
        }
        BinaryIntInplace(op, right) => {
            // (left, right -- res, l, r), a model: the result is written into the operand the
            // optimizer found unique, when it fits one digit; else exit.
            let mut b = new(2, 3);
            let (l, r) = (b.input(0), b.input(1));
            let (s0, s1) = (b.s(0), b.s(1));
            b.place(l, s0);
            b.place(r, s1);
            let (va, vb, t2, t3) = (b.t(0), b.t(1), b.t(2), b.t(3));
            compact_value(&mut b, s0, va, t2);
            compact_value(&mut b, s1, vb, t2);
            b.emit(match op {
                Arith::Add => Ins::AddReg(va, vb),
                Arith::Sub => Ins::SubReg(va, vb),
                Arith::Mul => Ins::MulReg(va, vb),
            });
            b.emit(Ins::CmpImm {
                r: va,
                imm: ONE_DIGIT_MAX,
                w: Width::B8,
            });
            b.exit_if(Some(Cond::Gt));
            b.emit(Ins::CmpImm {
                r: va,
                imm: -ONE_DIGIT_MAX,
                w: Width::B8,
            });
            b.exit_if(Some(Cond::Lt));
            let target = if right { s1 } else { s0 };
            object_of(&mut b, target, vb);
            // ob_digit[0] = |v|
            b.emit(Ins::Mov(t2, va));
            b.emit(Ins::Neg(t2));
            b.emit(Ins::CmpImm {
                r: va,
                imm: 0,
                w: Width::B8,
            });
            b.emit(Ins::CSel {
                dst: t2,
                a: t2,
                b: va,
                c: Cond::Lt,
            });
            b.emit(Ins::Store {
                src: Some(t2),
                base: vb,
                off: off.ob_digit,
                w: Width::B4,
            });
            // lv_tag = 1 << 3 | sign (2 when negative), 1 for zero
            b.emit(Ins::CmpImm {
                r: va,
                imm: 0,
                w: Width::B8,
            });
            b.emit(Ins::CSet(t3, Cond::Lt));
            b.emit(Ins::ShlImm(t3, 1));
            b.emit(Ins::OrImm(t3, 8));
            b.emit(Ins::MovImm(t2, 1));
            b.emit(Ins::CmpImm {
                r: va,
                imm: 0,
                w: Width::B8,
            });
            b.emit(Ins::CSel {
                dst: t3,
                a: t2,
                b: t3,
                c: Cond::Eq,
            });
            b.emit(Ins::Store {
                src: Some(t3),
                base: vb,
                off: off.lv_tag,
                w: Width::B8,
            });
            b.incref(target);
            let res = b.t(0);
            b.emit(Ins::Mov(res, target));
            b.consume(2);
            b.push(res);
            b.push(s0);
            b.push(s1);
            (b, "careful (model): in-place compact int arithmetic, exit if the result needs two digits")
        }
        CompareInt => {
            let mut b = new(2, if keep { 3 } else { 1 });
            let (l, r) = (b.input(0), b.input(1));
            let (lr, rr) = if keep {
                let (s0, s1) = (b.s(0), b.s(1));
                b.place(l, s0);
                b.place(r, s1);
                (s0, s1)
            } else {
                let (t0, t1) = (b.t(0), b.t(1));
                b.copy(l, t0);
                b.copy(r, t1);
                (t0, t1)
            };
            if !keep {
                // DEOPT_IF either is not compact.
                let p = b.t(2);
                for x in [lr, rr] {
                    object_of(&mut b, x, p);
                    b.emit(Ins::CmpMemImm {
                        base: p,
                        off: off.lv_tag,
                        w: Width::B8,
                        imm: COMPACT_LIMIT,
                    });
                    b.exit_if(Some(Cond::Hs));
                }
            }
            let (va, vb, bit, k) = if keep {
                (b.t(0), b.t(1), b.t(2), b.t(3))
            } else {
                // the copies in t0/t1 are turned into their values in place
                (b.ctx.temps[0], b.ctx.temps[1], b.t(2), b.t(3))
            };
            compact_value(&mut b, lr, va, bit);
            compact_value(&mut b, rr, vb, bit);
            // COMPARISON_BIT: 2 (less), 4 (greater), 8 (equal).
            b.emit(Ins::MovImm(bit, 2));
            b.emit(Ins::MovImm(k, 4));
            b.emit(Ins::Cmp(va, vb));
            b.emit(Ins::CSel {
                dst: bit,
                a: k,
                b: bit,
                c: Cond::Gt,
            });
            b.emit(Ins::MovImm(k, 8));
            b.emit(Ins::CSel {
                dst: bit,
                a: k,
                b: bit,
                c: Cond::Eq,
            });
            b.imm(k, HoleValue::Oparg, None, 0);
            b.emit(Ins::TestReg(bit, k));
            b.emit(Ins::CSet(bit, Cond::Ne));
            let truth = if keep {
                bit
            } else {
                let s = b.s(0);
                b.emit(Ins::Mov(s, bit));
                let v = b.t(1);
                b.copy(l, v);
                b.decref(v, "_PyLong_ExactDealloc", false);
                let v = b.t(1);
                b.copy(r, v);
                b.decref(v, "_PyLong_ExactDealloc", false);
                s
            };
            b.consume(2);
            let (yes, no) = (b.t(0), b.t(1));
            sym_plus(&mut b, yes, "_Py_TrueStruct", TAG);
            sym_plus(&mut b, no, "_Py_FalseStruct", TAG);
            b.emit(Ins::TestReg(truth, truth));
            b.emit(Ins::CSel {
                dst: yes,
                a: yes,
                b: no,
                c: Cond::Ne,
            });
            b.push(yes);
            if keep {
                let (s0, s1) = (ctx.saved[0], ctx.saved[1]);
                b.push(s0);
                b.push(s1);
            }
            (
                b,
                "careful: compare compact ints, test COMPARISON_BIT & oparg, push True/False",
            )
        }
        GuardIsPop(want) => {
            let mut b = new(1, 0);
            let v = b.t(0);
            b.copy(b.input(0), v);
            b.consume(1);
            b.reconcile_to(m);
            let t = b.t(1);
            sym_plus(
                &mut b,
                t,
                if want {
                    "_Py_TrueStruct"
                } else {
                    "_Py_FalseStruct"
                },
                TAG,
            );
            b.emit(Ins::Cmp(v, t));
            b.exit_if(Some(Cond::Ne));
            (
                b,
                if want {
                    "careful: pop the flag, exit unless it is True"
                } else {
                    "careful: pop the flag, exit unless it is False"
                },
            )
        }
        IterCheckRange | GuardNotExhaustedRange => {
            let mut b = new(iter_items, iter_items);
            let it = b.input(0);
            b.fetch(it);
            let (p, t) = (b.t(1), b.t(2));
            b.copy(it, p);
            b.emit(Ins::AndImm(p, -2));
            if kind == IterCheckRange {
                exit_unless_type(&mut b, p, t, "PyRangeIter_Type");
                (
                    b,
                    "careful: exit unless the iterator is a range iterator (PyRangeIter_Type)",
                )
            } else {
                b.emit(Ins::Load {
                    dst: t,
                    base: p,
                    off: off.range_len,
                    w: Width::B8,
                });
                b.emit(Ins::CmpImm {
                    r: t,
                    imm: 0,
                    w: Width::B8,
                });
                b.exit_if(Some(Cond::Le));
                (
                    b,
                    "careful: exit when the range iterator is exhausted (len <= 0)",
                )
            }
        }
        IterNextRange => {
            let mut b = new(iter_items, iter_items + 1);
            let it = b.input(0);
            let (value, p, t) = (b.t(0), b.t(1), b.t(2));
            b.copy(it, p);
            b.emit(Ins::AndImm(p, -2));
            b.emit(Ins::Load {
                dst: value,
                base: p,
                off: off.range_start,
                w: Width::B8,
            });
            b.emit(Ins::Load {
                dst: t,
                base: p,
                off: off.range_step,
                w: Width::B8,
            });
            b.emit(Ins::AddReg(t, value));
            b.emit(Ins::Store {
                src: Some(t),
                base: p,
                off: off.range_start,
                w: Width::B8,
            });
            b.emit(Ins::Load {
                dst: t,
                base: p,
                off: off.range_len,
                w: Width::B8,
            });
            b.emit(Ins::AddImm(t, -1));
            b.emit(Ins::Store {
                src: Some(t),
                base: p,
                off: off.range_len,
                w: Width::B8,
            });
            let next = b.s(0);
            b.call(
                Callee::Runtime("PyLong_FromLong"),
                &[Src::Reg(value)],
                false,
                Some(next),
            );
            b.emit(Ins::CmpImm {
                r: next,
                imm: 0,
                w: Width::B8,
            });
            b.error_if(Some(Cond::Eq));
            b.push(next);
            (
                b,
                "careful: next value of a range iterator (PyLong_FromLong, error on NULL)",
            )
        }
        JumpToTop => {
            let mut b = new(0, 0);
            b.exit_if(None);
            b.terminate();
            (b, "careful: jump to the top of the trace (JUMP_TARGET)")
        }
        ExitTrace => {
            let mut b = new(0, 0);
            b.reconcile_to(0);
            let x = b.t(0);
            b.imm(x, HoleValue::Operand0, None, 0);
            match (ctx.exec, off.ts_jit_exit, off.ex_side_entry) {
                (Some(ex), Some(jit_exit), _) => {
                    b.emit(Ins::Store {
                        src: Some(x),
                        base: ctx.tstate,
                        off: jit_exit,
                        w: Width::B8,
                    });
                    b.emit(Ins::Load {
                        dst: ex,
                        base: x,
                        off: off.exit_executor,
                        w: Width::B8,
                    });
                    b.emit(Ins::JmpMem {
                        base: ex,
                        off: off.ex_jit_code,
                    });
                }
                (None, _, Some(side)) => {
                    b.emit(Ins::Load {
                        dst: x,
                        base: x,
                        off: off.exit_executor,
                        w: Width::B8,
                    });
                    b.emit(Ins::JmpMem { base: x, off: side });
                }
                _ => return Err("no way to enter the next executor".into()),
            }
            b.terminate();
            (b, "careful: tail call the exit's executor (TIER2_TO_TIER2)")
        }
        Deopt | ErrorPopN => {
            let mut b = new(0, 0);
            b.reconcile_to(0);
            let (code, i) = (b.t(0), b.t(1));
            if kind == ErrorPopN {
                b.imm(i, HoleValue::Oparg, None, 0);
                b.emit(Ins::ShlImm(i, 3));
                b.emit(Ins::SubReg(ctx.sp, i));
            }
            b.emit(Ins::Load {
                dst: code,
                base: ctx.frame,
                off: off.f_executable,
                w: Width::B8,
            });
            b.emit(Ins::AndImm(code, -2));
            let (value, what) = if kind == Deopt {
                (
                    HoleValue::Target,
                    "careful: back to tier 1 at the uop's target (GOTO_TIER_ONE)",
                )
            } else {
                (
                    HoleValue::Operand0,
                    "careful: pop oparg items, set instr_ptr, return NULL (error)",
                )
            };
            b.imm(i, value, None, 0);
            let ret = ctx.ret;
            b.def(ret);
            b.emit(Ins::Lea {
                dst: ret,
                base: code,
                idx: i,
                scale: 2,
                off: off.co_code_adaptive,
            });
            if kind == ErrorPopN {
                b.emit(Ins::Store {
                    src: Some(ret),
                    base: ctx.frame,
                    off: off.instr_ptr,
                    w: Width::B8,
                });
                b.emit(Ins::MovImm(ret, 0));
            }
            b.emit(Ins::Store {
                src: None,
                base: ctx.tstate,
                off: off.ts_current_executor,
                w: Width::B8,
            });
            b.emit(Ins::Store {
                src: Some(ctx.sp),
                base: ctx.frame,
                off: off.stackpointer,
                w: Width::B8,
            });
            b.emit(Ins::Ret);
            b.terminate();
            (b, what)
        }
        DynamicExit => {
            let mut b = new(0, 0);
            b.reconcile_to(0);
            let (ex, jit_exit) = match (ctx.exec, off.ts_jit_exit) {
                (Some(ex), Some(j)) => (ex, j),
                _ => {
                    return Err(
                        "_DYNAMIC_EXIT needs the executor register and tstate->jit_exit".into(),
                    )
                }
            };
            let enter = tables
                .opcode_number("ENTER_EXECUTOR")
                .ok_or("no ENTER_EXECUTOR opcode")?;
            let (x, ip, op, c) = (b.t(0), b.t(1), b.t(2), b.t(3));
            let plain = b.label();
            b.imm(x, HoleValue::Operand0, None, 0);
            b.emit(Ins::Store {
                src: Some(x),
                base: ctx.tstate,
                off: jit_exit,
                w: Width::B8,
            });
            b.emit(Ins::Load {
                dst: ip,
                base: ctx.frame,
                off: off.instr_ptr,
                w: Width::B8,
            });
            b.emit(Ins::Load {
                dst: op,
                base: ip,
                off: 0,
                w: Width::B1,
            });
            b.emit(Ins::CmpImm {
                r: op,
                imm: i64::from(enter),
                w: Width::B4,
            });
            b.emit(Ins::Jcc(Cond::Ne, Tgt::Local(plain)));
            // ENTER_EXECUTOR at the target: code->co_executors->executors[oparg]
            b.emit(Ins::Load {
                dst: op,
                base: ip,
                off: 1,
                w: Width::B1,
            });
            b.emit(Ins::Load {
                dst: c,
                base: ctx.frame,
                off: off.f_executable,
                w: Width::B8,
            });
            b.emit(Ins::AndImm(c, -2));
            b.emit(Ins::Load {
                dst: c,
                base: c,
                off: off.co_executors,
                w: Width::B8,
            });
            b.emit(Ins::LoadIdx {
                dst: ex,
                base: c,
                idx: op,
                off: off.exec_array_items,
            });
            b.emit(Ins::JmpMem {
                base: ex,
                off: off.ex_jit_code,
            });
            b.bind(plain);
            b.emit(Ins::Load {
                dst: ex,
                base: x,
                off: off.exit_executor,
                w: Width::B8,
            });
            b.emit(Ins::JmpMem {
                base: ex,
                off: off.ex_jit_code,
            });
            b.terminate();
            (
                b,
                "careful: exit to the executor at frame->instr_ptr (ENTER_EXECUTOR) or the exit's",
            )
        }
        SpillOrReload => (new(0, 0), "careful: spill / reload cached stack items"),
        FatalError => {
            let mut b = new(0, 0);
            let func = b"_JIT_ENTRY\0";
            b.data.extend_from_slice(func);
            b.data.extend_from_slice(b"Fatal error uop executed.\0");
            let (a0, a1) = (b.t(0), b.t(1));
            b.def(a0);
            b.emit(Ins::DataAddr { dst: a0, off: 0 });
            b.def(a1);
            b.emit(Ins::DataAddr {
                dst: a1,
                off: func.len() as i64,
            });
            b.call(
                Callee::Runtime("_Py_FatalErrorFunc"),
                &[Src::Reg(a0), Src::Reg(a1)],
                false,
                None,
            );
            b.emit(Ins::Trap);
            b.terminate();
            (
                b,
                "careful: _Py_FatalErrorFunc(\"_JIT_ENTRY\", \"Fatal error uop executed.\")",
            )
        }
    };
    let (code, data) = b.finish()?;
    Ok(Written {
        code,
        data,
        shape: shape.to_string(),
    })
}

/// The generic shape: spill the cached items, save the stack pointer, call the uop's model
/// helper with `(frame, stack_pointer, tstate, oparg[, operand0[, operand1]])`, reload the
/// frame and stack pointer it leaves in `tstate->current_frame`, test its result (`< 0` error,
/// `> 0` exit when the uop has both; non-zero for the one it has), reload the output depth.
fn generic(ctx: &Ctx, spec: &Spec, uses: &OperandUse) -> Result<Written, String> {
    let off = ctx.off;
    let base = spec.base;
    let mut b = Builder::new(ctx, spec.n, spec.m, spec.e, 0, 0);
    b.reconcile_to(0);
    b.emit(Ins::Store {
        src: Some(ctx.sp),
        base: ctx.frame,
        off: off.stackpointer,
        w: Width::B8,
    });
    for (i, r) in [ctx.frame, ctx.sp, ctx.tstate].into_iter().enumerate() {
        b.emit(Ins::Mov(ctx.args[i], r));
    }
    b.imm(ctx.args[3], HoleValue::Oparg, None, 0);
    if uses.operand0(base.id) || uses.operand1(base.id) {
        b.imm(ctx.args[4], HoleValue::Operand0, None, 0);
    }
    if uses.operand1(base.id) {
        b.imm(ctx.args[5], HoleValue::Operand1, None, 0);
    }
    b.emit(Ins::CallModel(helper_name(base.name)));
    b.emit(Ins::Load {
        dst: ctx.frame,
        base: ctx.tstate,
        off: off.ts_current_frame,
        w: Width::B8,
    });
    b.emit(Ins::Load {
        dst: ctx.sp,
        base: ctx.frame,
        off: off.stackpointer,
        w: Width::B8,
    });
    let errors = base.flags & flags::HAS_ERROR != 0;
    let exits = base.flags & (flags::HAS_EXIT | flags::HAS_DEOPT) != 0;
    if errors || exits {
        b.emit(Ins::CmpImm {
            r: ctx.ret,
            imm: 0,
            w: Width::B4,
        });
    }
    if errors {
        b.restart_picture(0);
        b.error_if(Some(if exits { Cond::Lt } else { Cond::Ne }));
    }
    if exits {
        b.restart_picture(spec.e);
        b.exit_if(Some(if errors { Cond::Gt } else { Cond::Ne }));
    }
    b.restart_picture(spec.m);
    let (code, data) = b.finish()?;
    let what = match (errors, exits) {
        (true, true) => ", error if < 0, exit if > 0",
        (true, false) => ", error if non-zero",
        (false, true) => ", exit if non-zero",
        (false, false) => "",
    };
    Ok(Written {
        code,
        data,
        shape: format!(
            "generic: call the uop's helper {} (a model){what}",
            helper_name(base.name)
        ),
    })
}

/// The entry group: the 3.14 shim (`_JIT_ENTRY(frame, stack_pointer, tstate)`: into the
/// jitted code's registers, then a call of the uop code right after it) or the 3.15 entry
/// trampoline (`_JIT_ENTRY(executor, frame, stack_pointer, tstate)`: into the registers,
/// zero cached items, call `executor->jit_code`).
pub(crate) fn entry(ctx: &Ctx) -> Written {
    let mut code = vec![Ins::SaveCalleeSaved];
    match ctx.exec {
        Some(ex) => {
            for (i, r) in [ex, ctx.frame, ctx.sp, ctx.tstate].into_iter().enumerate() {
                code.push(Ins::Mov(r, ctx.args[i]));
            }
            for c in ctx.cache {
                code.push(Ins::MovImm(c, 0));
            }
            code.push(Ins::CallMem {
                base: ex,
                off: ctx.off.ex_jit_code,
            });
        }
        None => {
            for (i, r) in [ctx.frame, ctx.sp, ctx.tstate].into_iter().enumerate() {
                code.push(Ins::Mov(r, ctx.args[i]));
            }
            code.push(Ins::CallContinue);
        }
    }
    code.push(Ins::RestoreCalleeSaved);
    code.push(Ins::Ret);
    Written {
        code,
        data: Vec::new(),
        shape: if ctx.exec.is_some() {
            "careful: entry trampoline (save callee-saved registers, call executor->jit_code)"
                .into()
        } else {
            "careful: shim (save callee-saved registers, call the trace right after it)".into()
        },
    }
}

/// `old = frame->localsplus[i]; frame->localsplus[i] = v` for the local `index` names (the
/// `_n` suffix), or the oparg's when it names none.
fn swap_local(
    b: &mut Builder,
    ctx: &Ctx,
    off: &crate::builtin::ir::Offsets,
    index: Option<u8>,
    v: crate::builtin::ir::Reg,
    old: crate::builtin::ir::Reg,
) {
    match index {
        Some(k) => {
            let o = off.localsplus + 8 * i32::from(k);
            b.emit(Ins::Load {
                dst: old,
                base: ctx.frame,
                off: o,
                w: Width::B8,
            });
            b.emit(Ins::Store {
                src: Some(v),
                base: ctx.frame,
                off: o,
                w: Width::B8,
            });
        }
        None => {
            let i = b.t(2);
            b.imm(i, HoleValue::Oparg, None, 0);
            b.emit(Ins::LoadIdx {
                dst: old,
                base: ctx.frame,
                idx: i,
                off: off.localsplus,
            });
            b.emit(Ins::StoreIdx {
                src: v,
                base: ctx.frame,
                idx: i,
                off: off.localsplus,
            });
        }
    }
}

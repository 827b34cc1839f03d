//! CPython's specializing adaptive interpreter (PEP 659), per version profile.
//!
//! Each instruction with an inline cache has a 16-bit backoff counter as its first cache
//! entry. The adaptive (base) form counts down on every execution; when the counter fires,
//! the family's decision ([`decide`]) looks at the operands and rewrites the instruction into a
//! specialized form (counter ← cooldown) or leaves it adaptive (counter ← exponential
//! backoff). A specialized form whose guard fails (a *miss*) runs the adaptive form's code,
//! which counts its counter down again; when it fires, the instruction is decided anew.
//!
//! The guard of a specialized form is modelled as "deciding again gives the same form and the
//! same cached key" (type version, function version, dict keys version), which is what
//! CPython's guards check. Counter layouts and the one-time rewrites on first execution
//! (quickening) are per-version facts in [`Facts`].

use crate::alloc::types;
use crate::code::{CodeRt, Slot};
use crate::frame::Frame;
use crate::types::{self as ty, tdata};
use crate::value::{Data, Layout, MethKind, ObjRef, Value};
use crate::Vm;
use cpyviz_compiler::op::Op;
use cpyviz_model::bytecode::{CacheEntry, CodeObject};
use cpyviz_model::execution::{SpecEvent, SpecEventKind};
use cpyviz_model::version::PyVersion;
use std::rc::Rc;

/// The per-version facts of the adaptive interpreter: the backoff counters (their constants
/// come from the generated tables, `pycore_backoff.h`, `pycore_code.h`) and the rules that
/// changed between the versions.
pub struct Facts {
    /// Bits of the backoff field (the value is above them): `BACKOFF_BITS`.
    pub backoff_bits: u16,
    /// The largest backoff: `MAX_BACKOFF`.
    pub max_backoff: u16,
    /// The backoff that marks a counter that never fires: `UNREACHABLE_BACKOFF`.
    pub unreachable_backoff: u16,
    /// `ADAPTIVE_WARMUP_VALUE` / `_BACKOFF`: the counter of a quickened instruction.
    pub warmup: (u16, u16),
    /// `ADAPTIVE_COOLDOWN_VALUE` / `_BACKOFF`: the counter after a specialization.
    pub cooldown: (u16, u16),
    /// 3.15's table of (value, backoff) after a restart, by the old backoff; `None`: the value
    /// after a restart is `2**(backoff+1) - 1` with the backoff incremented (3.14).
    pub restart_table: Option<&'static [(u16, u16)]>,
    /// `RESUME` becomes `RESUME_CHECK_JIT` when the JIT is on (else `RESUME_CHECK`), except in
    /// generators and coroutines.
    pub resume_check_jit: bool,
    /// `LOAD_CONST` becomes `LOAD_CONST_MORTAL` / `LOAD_CONST_IMMORTAL` on first execution.
    pub load_const_mortality: bool,
    /// `GET_ITER` leaves an exact list, tuple, str or bytes on the stack with an index instead
    /// of making an iterator, and specializes (`GET_ITER_VIRTUAL`, `GET_ITER_SELF`);
    /// `FOR_ITER_LIST`/`_TUPLE` are for such in-place loops, and `FOR_ITER_VIRTUAL` and
    /// `SEND_VIRTUAL` for the other sequences.
    pub virtual_iteration: bool,
    /// `BINARY_OP_ADD_INT`/`_SUBTRACT_INT`/`_MULTIPLY_INT` need compact (one-digit) ints;
    /// 3.14 takes any exact int.
    pub int_ops_compact_only: bool,
    /// `BINARY_OP_EXTEND` also covers the in-place float/int operators (`x += 1` on a float).
    pub extend_inplace_float: bool,
    /// `BINARY_OP_EXTEND` also covers sequence concatenation and repetition (`bytes`, `list`,
    /// `tuple` `+`; `str`, `bytes`, `tuple` `*` an int) and `dict | dict`.
    pub extend_sequences: bool,
    /// `CALL_FUNCTION_EX` specializes: `CALL_EX_PY` for a Python function,
    /// `CALL_EX_NON_PY_GENERAL` for anything else.
    pub call_function_ex_family: bool,
}

/// The rules of each version (the counter constants are filled in from the tables).
const RULES_3_14: Facts = Facts {
    backoff_bits: 0,
    max_backoff: 0,
    unreachable_backoff: 0,
    warmup: (0, 0),
    cooldown: (0, 0),
    restart_table: None,
    resume_check_jit: false,
    load_const_mortality: true,
    virtual_iteration: false,
    int_ops_compact_only: false,
    extend_inplace_float: false,
    extend_sequences: false,
    call_function_ex_family: false,
};

const RULES_3_15: Facts = Facts {
    // `value_and_backoff_next` of 3.15's `pycore_backoff.h`.
    restart_table: Some(&[
        (1, 1),
        (6, 2),
        (30, 3),
        (126, 4),
        (508, 5),
        (2052, 6),
        (8190, 6),
        (8190, 6),
    ]),
    resume_check_jit: true,
    load_const_mortality: false,
    virtual_iteration: true,
    int_ops_compact_only: true,
    extend_inplace_float: true,
    extend_sequences: true,
    call_function_ex_family: true,
    ..RULES_3_14
};

/// The facts of `version`.
pub fn facts(version: PyVersion) -> &'static Facts {
    static FACTS: std::sync::OnceLock<[Facts; 2]> = std::sync::OnceLock::new();
    let all = FACTS.get_or_init(|| {
        [
            (PyVersion::V3_14, RULES_3_14),
            (PyVersion::V3_15, RULES_3_15),
        ]
        .map(|(v, rules)| {
            let t = cpyviz_model::tables::for_version(v);
            let c = |name: &str| {
                t.constant(name)
                    .unwrap_or_else(|| panic!("{name} is in the generated tables"))
                    as u16
            };
            Facts {
                backoff_bits: c("BACKOFF_BITS"),
                max_backoff: c("MAX_BACKOFF"),
                unreachable_backoff: c("UNREACHABLE_BACKOFF"),
                warmup: (c("ADAPTIVE_WARMUP_VALUE"), c("ADAPTIVE_WARMUP_BACKOFF")),
                cooldown: (c("ADAPTIVE_COOLDOWN_VALUE"), c("ADAPTIVE_COOLDOWN_BACKOFF")),
                ..rules
            }
        })
    });
    match version {
        PyVersion::V3_14 => &all[0],
        PyVersion::V3_15 => &all[1],
    }
}

impl Facts {
    pub fn make(&self, value: u16, backoff: u16) -> u16 {
        (value << self.backoff_bits) | backoff
    }

    pub fn triggers(&self, c: u16) -> bool {
        c < self.unreachable_backoff
    }

    pub fn advance(&self, c: u16) -> u16 {
        c.wrapping_sub(1 << self.backoff_bits)
    }

    pub fn restart(&self, c: u16) -> u16 {
        let backoff = c & ((1 << self.backoff_bits) - 1);
        match self.restart_table {
            Some(t) => {
                let (v, b) = t[backoff.min(t.len() as u16 - 1) as usize];
                self.make(v, b)
            }
            None if backoff < self.max_backoff => self.make((1 << (backoff + 1)) - 1, backoff + 1),
            None => self.make((1 << self.max_backoff) - 1, self.max_backoff),
        }
    }

    /// The counter's (value, backoff).
    pub fn split(&self, c: u16) -> (u16, u16) {
        (c >> self.backoff_bits, c & ((1 << self.backoff_bits) - 1))
    }
}

/// The base instructions that have specialized forms in `version`.
fn specializable(op: Op, f: &Facts) -> bool {
    (op == Op::GET_ITER && f.virtual_iteration)
        || (op == Op::CALL_FUNCTION_EX && f.call_function_ex_family)
        || matches!(
            op,
            Op::BINARY_OP
                | Op::COMPARE_OP
                | Op::TO_BOOL
                | Op::CONTAINS_OP
                | Op::LOAD_ATTR
                | Op::STORE_ATTR
                | Op::LOAD_GLOBAL
                | Op::LOAD_SUPER_ATTR
                | Op::STORE_SUBSCR
                | Op::CALL
                | Op::CALL_KW
                | Op::FOR_ITER
                | Op::SEND
                | Op::UNPACK_SEQUENCE
        )
}

/// Updates instruction `i`'s adaptive state before it runs.
pub fn observe(vm: &mut Vm, frame: &Frame, i: usize) {
    let code = &frame.code;
    let ins = &code.instrs[i];
    let step = vm.steps;
    let rewritten = {
        let mut slots = code.slots.borrow_mut();
        let slot = &mut slots[i];
        let h = &mut slot.history;
        h.executions += 1;
        if h.first_step.is_none() {
            h.first_step = Some(step);
        }
        if h.executions.is_power_of_two() {
            h.marks.push((step, h.executions));
        }
        // The form is the table's name of the base instruction until something rewrites it.
        !std::ptr::eq(slot.form, slot.base)
    };
    if vm.tier2.in_executor {
        // An executor runs this instruction for tier 1: its adaptive state stands still.
        return;
    }
    let f = facts(vm.version);
    match ins.op {
        // Rewritten once, on the first execution: nothing more to do.
        Op::RESUME | Op::JUMP_BACKWARD | Op::LOAD_CONST if rewritten => {}
        Op::RESUME => {
            if !code.quickened.get() {
                code.quickened.set(true);
                quicken(vm, code);
            }
            // A generator's frames are not entered through the JIT's function-entry check.
            let to = if f.resume_check_jit && vm.jit && !code.is_generator_like() {
                "RESUME_CHECK_JIT"
            } else {
                "RESUME_CHECK"
            };
            set_form(
                code,
                i,
                step,
                SpecEventKind::Quickened,
                to,
                "first execution",
            );
        }
        Op::JUMP_BACKWARD => {
            let to = if vm.jit {
                "JUMP_BACKWARD_JIT"
            } else {
                "JUMP_BACKWARD_NO_JIT"
            };
            let why = if vm.jit {
                "the JIT is on"
            } else {
                "the JIT is off"
            };
            set_form(code, i, step, SpecEventKind::Quickened, to, why);
        }
        Op::LOAD_CONST if f.load_const_mortality => {
            let immortal = is_immortal(vm, &code.consts[ins.arg as usize]);
            let to = if immortal {
                "LOAD_CONST_IMMORTAL"
            } else {
                "LOAD_CONST_MORTAL"
            };
            let why = if immortal {
                "the constant is immortal"
            } else {
                "the constant is reference-counted"
            };
            set_form(code, i, step, SpecEventKind::Quickened, to, why);
        }
        op if specializable(op, f) => adaptive(vm, frame, code, i, op, f, step),
        _ => {}
    }
}

/// Whether instruction `i`'s specialized form would miss now (what the tier-2 guards copied
/// from it see). Changes nothing.
pub fn guard_fails(vm: &mut Vm, frame: &Frame, i: usize) -> bool {
    let (current, key) = {
        let slots = frame.code.slots.borrow();
        (slots[i].form, slots[i].key)
    };
    form_misses(vm, frame, i, current, key)
}

/// Whether instruction `i` in form `form` with cached key `key` (what a trace copied from it
/// once) would miss now: its operands call for another form or another key. Changes nothing.
pub fn form_misses(vm: &mut Vm, frame: &Frame, i: usize, form: &str, key: u64) -> bool {
    let code = &frame.code;
    let op = code.instrs[i].op;
    let base = code.slots.borrow()[i].base;
    if form == base || !specializable(op, facts(vm.version)) {
        return false;
    }
    if attribute_guard_holds(frame, code, i, form, key) {
        return false;
    }
    !matches!(decide(vm, frame, code, i, op), Ok((f, k)) if f == form && k == key)
}

/// Whether CPython 3.14 treats constant `v` as immortal (see [`is_immortal`]).
pub fn is_immortal_const(vm: &Vm, v: &Value) -> bool {
    is_immortal(vm, v)
}

/// One-time work when a code object first runs: every counter starts at the warm-up value.
fn quicken(_vm: &Vm, code: &Rc<CodeRt>) {
    let f = facts(_vm.version);
    let t = cpyviz_model::tables::for_version(_vm.version);
    let jump = |name: &str| t.constant(name).unwrap_or(0) as u16;
    let jump_counter = f.make(
        jump("JUMP_BACKWARD_INITIAL_VALUE"),
        jump("JUMP_BACKWARD_INITIAL_BACKOFF"),
    );
    let mut slots = code.slots.borrow_mut();
    for (k, ins) in code.instrs.iter().enumerate() {
        match ins.op {
            Op::JUMP_BACKWARD => slots[k].counter = jump_counter,
            // The branch history starts at alternating bits: no direction preferred.
            Op::POP_JUMP_IF_FALSE
            | Op::POP_JUMP_IF_TRUE
            | Op::POP_JUMP_IF_NONE
            | Op::POP_JUMP_IF_NOT_NONE => slots[k].counter = 0x5555,
            op if specializable(op, f) => slots[k].counter = f.make(f.warmup.0, f.warmup.1),
            _ => {}
        }
    }
}

fn set_form(code: &CodeRt, i: usize, step: u64, kind: SpecEventKind, to: &'static str, why: &str) {
    let mut slots = code.slots.borrow_mut();
    let s: &mut Slot = &mut slots[i];
    if s.form == to {
        return;
    }
    s.form = to;
    let execution = s.history.executions;
    s.history.events.push(SpecEvent {
        step,
        execution,
        kind,
        to: to.to_string(),
        why: why.to_string(),
    });
    s.history.marks.push((step, execution));
}

/// Whether CPython 3.14 treats constant `v` as immortal. A `str` constant is: the empty string
/// and one-character Latin-1 strings are static singletons; a name-like one is interned when
/// its code object is made, and is immortal when that text is also the name of a variable,
/// attribute or global in any code object (names are interned immortal), the snippet's own or
/// those the interpreter had loaded before it ran.
fn is_immortal(vm: &Vm, v: &Value) -> bool {
    match v {
        Value::None | Value::Bool(_) | Value::Ellipsis | Value::NotImplemented => true,
        Value::Int(i) => (-5..=256).contains(i),
        Value::Float(_) => false,
        Value::Obj(o) => match &o.data {
            Data::Str(s) => {
                let mut chars = s.chars();
                match (chars.next(), chars.next()) {
                    (None, _) => true,
                    (Some(c), None) => (c as u32) < 256,
                    _ => {
                        crate::immortal_strings::name_like(s)
                            && (vm.code_names.contains(&**s)
                                || crate::immortal_strings::at_startup(s))
                    }
                }
            }
            Data::Tuple(t) => t.is_empty(),
            Data::Bytes(b) => b.len() <= 1,
            Data::Code(_) => false,
            _ => false,
        },
        Value::Null => true,
    }
}

fn adaptive(vm: &mut Vm, frame: &Frame, code: &Rc<CodeRt>, i: usize, op: Op, f: &Facts, step: u64) {
    let (base, current) = {
        let slots = code.slots.borrow();
        (slots[i].base, slots[i].form)
    };
    if current != base {
        // A specialized form: its guard.
        if attribute_guard_holds(frame, code, i, current, code.slots.borrow()[i].key) {
            return;
        }
        match decide(vm, frame, code, i, op) {
            Ok((form, key)) if form == current && key_matches(code, i, key) => return,
            _ => {}
        }
        let mut slots = code.slots.borrow_mut();
        slots[i].history.misses += 1;
    }
    let counter = code.slots.borrow()[i].counter;
    if f.triggers(counter) {
        // A form the version's tables do not have is no specialization (checked here, where
        // the form would change, not on every guard).
        let decision = decide(vm, frame, code, i, op).and_then(|(form, key)| {
            match cpyviz_model::tables::for_version(vm.version).opcode_by_name(form) {
                Some(_) => Ok((form, key)),
                None => Err(format!("{form} does not exist in this version")),
            }
        });
        match decision {
            Ok((form, key)) => {
                {
                    let mut slots = code.slots.borrow_mut();
                    slots[i].counter = f.make(f.cooldown.0, f.cooldown.1);
                    if let Some(c) = slots[i].cache.first_mut() {
                        *c = key as u16;
                    }
                    slots[i].key = key;
                }
                let why = describe(vm, frame, op, code.instrs[i].arg);
                let was_specialized = current != base;
                if was_specialized && form == current {
                    return;
                }
                set_form(code, i, step, SpecEventKind::Specialized, form, &why);
            }
            Err(reason) => {
                let was = current != base;
                {
                    let mut slots = code.slots.borrow_mut();
                    let c = f.restart(counter);
                    // Re-dispatched as the adaptive form, which counts down at once.
                    slots[i].counter = f.advance(c);
                }
                let kind = if was {
                    SpecEventKind::Deopt
                } else {
                    SpecEventKind::Failed
                };
                {
                    let mut slots = code.slots.borrow_mut();
                    slots[i].form = base;
                    let execution = slots[i].history.executions;
                    slots[i].history.events.push(SpecEvent {
                        step,
                        execution,
                        kind,
                        to: base.to_string(),
                        why: reason,
                    });
                }
            }
        }
    } else {
        code.slots.borrow_mut()[i].counter = f.advance(counter);
    }
}

/// The guards of the commonest attribute forms, checked directly: what deciding again would
/// conclude from the same facts (the class unchanged — its version —, the instance's values
/// still inline, the name still in the shared keys). `false` sends the instruction through
/// [`decide`].
fn attribute_guard_holds(frame: &Frame, code: &CodeRt, i: usize, current: &str, key: u64) -> bool {
    let owner = frame.peek(0);
    let Value::Obj(o) = owner else {
        return false;
    };
    let Some(t) = &o.cls else {
        return false;
    };
    if tdata(t).version.get() as u64 != key || matches!(o.data, Data::Type(_) | Data::Module(_)) {
        return false;
    }
    let arg = code.instrs[i].arg;
    let inline_name = |n: &str| {
        ty::dict_layout(t) == ty::DictLayout::Inline
            && o.dict.as_ref().is_some_and(|d| {
                let d = d.borrow();
                d.inline_valid && !d.materialized
            })
            && ty::in_shared_keys(t, n)
    };
    match current {
        "LOAD_ATTR_INSTANCE_VALUE" => arg & 1 == 0 && inline_name(&code.names[(arg >> 1) as usize]),
        "STORE_ATTR_INSTANCE_VALUE" => inline_name(&code.names[arg as usize]),
        "LOAD_ATTR_METHOD_WITH_VALUES" => {
            let n = &code.names[(arg >> 1) as usize];
            arg & 1 == 1 && !ty::in_shared_keys(t, n)
        }
        _ => false,
    }
}

fn key_matches(code: &CodeRt, i: usize, key: u64) -> bool {
    code.slots.borrow()[i].key == key
}

/// What the decision looked at, in words, for the history (the viewer puts it in
/// parentheses): the operand types, the callable, the iterator.
fn describe(vm: &Vm, frame: &Frame, op: Op, arg: u32) -> String {
    let t = |v: &Value| vm.type_name(v).to_string();
    let n = facts(vm.version).virtual_iteration as usize;
    match op {
        Op::BINARY_OP | Op::COMPARE_OP | Op::CONTAINS_OP => {
            format!("{}, {}", t(frame.peek(1)), t(frame.peek(0)))
        }
        Op::CALL | Op::CALL_KW => {
            let extra = (op == Op::CALL_KW) as usize;
            let n = arg as usize;
            let callable = frame.peek(n + 1 + extra);
            format!(
                "calls a {} with {} argument{}",
                t(callable),
                n,
                if n == 1 { "" } else { "s" }
            )
        }
        Op::CALL_FUNCTION_EX => format!("calls a {} with unpacked arguments", t(frame.peek(3))),
        Op::STORE_ATTR => format!("on a {}", t(frame.peek(0))),
        Op::LOAD_GLOBAL => "the name's dict".to_string(),
        Op::FOR_ITER => match frame.peek(0) {
            Value::Int(_) if n == 1 => format!("a {} iterated in place", t(frame.peek(1))),
            _ => format!("a {}", t(frame.peek(n))),
        },
        Op::SEND => match frame.peek(1) {
            Value::Int(_) if n == 1 => format!("a {} iterated in place", t(frame.peek(2))),
            _ => format!("sends to a {}", t(frame.peek(1 + n))),
        },
        _ => t(frame.peek(0)),
    }
}

type Decision = Result<(&'static str, u64), String>;

/// The decision for form `n` (whether the version has it is checked where the form would
/// change, in [`adaptive`]).
fn name(_version: PyVersion, n: &'static str) -> Decision {
    Ok((n, 0))
}

fn keyed(version: PyVersion, n: &'static str, key: u64) -> Decision {
    name(version, n).map(|(n, _)| (n, key))
}

/// Whether `v` is an exact `int` that fits in one 30-bit digit (CPython's "compact" ints).
fn compact_int(v: &Value) -> bool {
    matches!(v, Value::Int(i) if i.unsigned_abs() < (1 << 30))
}

fn exact(v: &Value, t: &crate::value::ObjRef) -> bool {
    types().is_exact(v, t)
}

fn type_version(v: &Value) -> u64 {
    tdata(&types().of(v)).version.get() as u64
}

/// The family's decision for instruction `i` with the operands on the stack.
fn decide(vm: &mut Vm, frame: &Frame, code: &CodeRt, i: usize, op: Op) -> Decision {
    let v = vm.version;
    let arg = code.instrs[i].arg;
    let t = types();
    match op {
        Op::BINARY_OP => {
            let (l, r) = (frame.peek(1), frame.peek(0));
            let nb = arg;
            match nb {
                0 | 13 | 10 | 23 | 5 | 18 => {
                    let base = nb % 13;
                    let int_operand = |x: &Value| {
                        if facts(v).int_ops_compact_only {
                            compact_int(x)
                        } else {
                            matches!(x, Value::Int(_)) || exact(x, &t.int)
                        }
                    };
                    if int_operand(l) && int_operand(r) {
                        return name(
                            v,
                            match base {
                                0 => "BINARY_OP_ADD_INT",
                                10 => "BINARY_OP_SUBTRACT_INT",
                                _ => "BINARY_OP_MULTIPLY_INT",
                            },
                        );
                    }
                    if matches!(l, Value::Float(_)) && matches!(r, Value::Float(_)) {
                        return name(
                            v,
                            match base {
                                0 => "BINARY_OP_ADD_FLOAT",
                                10 => "BINARY_OP_SUBTRACT_FLOAT",
                                _ => "BINARY_OP_MULTIPLY_FLOAT",
                            },
                        );
                    }
                    if base == 0 && exact(l, &t.str_) && exact(r, &t.str_) {
                        if nb == 13 {
                            if let Some(next) = code.instrs.get(i + 1) {
                                if next.op == Op::STORE_FAST
                                    && matches!(&frame.localsplus.get(next.arg as usize), Some(x) if x.is(l))
                                {
                                    return name(v, "BINARY_OP_INPLACE_ADD_UNICODE");
                                }
                            }
                        }
                        return name(v, "BINARY_OP_ADD_UNICODE");
                    }
                }
                26 => {
                    if exact(l, &t.list) {
                        if matches!(r, Value::Int(i) if (0..(1 << 30)).contains(i)) {
                            return name(v, "BINARY_OP_SUBSCR_LIST_INT");
                        }
                        if exact(r, &t.slice) {
                            return name(v, "BINARY_OP_SUBSCR_LIST_SLICE");
                        }
                    }
                    if exact(l, &t.tuple)
                        && matches!(r, Value::Int(i) if (0..(1 << 30)).contains(i))
                    {
                        return name(v, "BINARY_OP_SUBSCR_TUPLE_INT");
                    }
                    if exact(l, &t.str_) && matches!(r, Value::Int(i) if (0..(1 << 30)).contains(i))
                    {
                        return name(v, "BINARY_OP_SUBSCR_STR_INT");
                    }
                    if exact(l, &t.dict) {
                        return name(v, "BINARY_OP_SUBSCR_DICT");
                    }
                    let lt = t.of(l);
                    if !tdata(&lt).builtin {
                        if let Some(g) = ty::lookup(&lt, "__getitem__") {
                            if let Some(Data::Function(f)) = g.data() {
                                if f.code.argcount == 2 && f.code.flags & 0xc == 0 {
                                    return keyed(v, "BINARY_OP_SUBSCR_GETITEM", type_version(l));
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
            if binary_op_extend(facts(v), nb, l, r) {
                return name(v, "BINARY_OP_EXTEND");
            }
            Err("no specialization for these operand types".into())
        }
        Op::COMPARE_OP => {
            let (l, r) = (frame.peek(1), frame.peek(0));
            if matches!(l, Value::Float(_)) && matches!(r, Value::Float(_)) {
                return name(v, "COMPARE_OP_FLOAT");
            }
            if compact_int(l) && compact_int(r) {
                return name(v, "COMPARE_OP_INT");
            }
            let cmp = arg >> 5;
            if exact(l, &t.str_) && exact(r, &t.str_) && (cmp == 2 || cmp == 3) {
                return name(v, "COMPARE_OP_STR");
            }
            Err("no specialization for these operand types".into())
        }
        Op::TO_BOOL => {
            let x = frame.peek(0);
            match x {
                Value::Bool(_) => name(v, "TO_BOOL_BOOL"),
                Value::Int(_) => name(v, "TO_BOOL_INT"),
                Value::None => name(v, "TO_BOOL_NONE"),
                _ if exact(x, &t.int) => name(v, "TO_BOOL_INT"),
                _ if exact(x, &t.list) => name(v, "TO_BOOL_LIST"),
                _ if exact(x, &t.str_) => name(v, "TO_BOOL_STR"),
                _ => {
                    let xt = t.of(x);
                    let td = tdata(&xt);
                    if !td.builtin
                        && ty::lookup(&xt, "__bool__").is_none()
                        && ty::lookup(&xt, "__len__").is_none()
                        && td.layout == Layout::Object
                    {
                        return keyed(v, "TO_BOOL_ALWAYS_TRUE", type_version(x));
                    }
                    Err("no specialization for this type".into())
                }
            }
        }
        Op::CONTAINS_OP => {
            let c = frame.peek(0);
            if exact(c, &t.dict) {
                return name(v, "CONTAINS_OP_DICT");
            }
            if exact(c, &t.set) || exact(c, &t.frozenset) {
                return name(v, "CONTAINS_OP_SET");
            }
            Err("no specialization for this container".into())
        }
        Op::GET_ITER => {
            let it = frame.peek(0);
            if crate::eval::virtual_iterable(it) {
                name(v, "GET_ITER_VIRTUAL")
            } else if crate::ops::self_iterator(it) {
                name(v, "GET_ITER_SELF")
            } else {
                Err("neither a sequence iterated in place nor its own iterator".into())
            }
        }
        Op::FOR_ITER if facts(v).virtual_iteration => {
            let (it, index) = (frame.peek(1), frame.peek(0));
            match index {
                // A sequence iterated in place.
                Value::Int(_) if exact(it, &t.list) => name(v, "FOR_ITER_LIST"),
                Value::Int(_) if exact(it, &t.tuple) => name(v, "FOR_ITER_TUPLE"),
                Value::Int(_) => name(v, "FOR_ITER_VIRTUAL"),
                _ => match &*vm.type_name(it) {
                    "range_iterator" => name(v, "FOR_ITER_RANGE"),
                    "generator" => name(v, "FOR_ITER_GEN"),
                    _ => Err("no specialization for this iterator".into()),
                },
            }
        }
        Op::FOR_ITER => match &*vm.type_name(frame.peek(0)) {
            "list_iterator" => name(v, "FOR_ITER_LIST"),
            "tuple_iterator" => name(v, "FOR_ITER_TUPLE"),
            "range_iterator" => name(v, "FOR_ITER_RANGE"),
            "generator" => name(v, "FOR_ITER_GEN"),
            _ => Err("no specialization for this iterator".into()),
        },
        Op::SEND if matches!(frame.peek(1), Value::Int(_)) => {
            // 3.15: `yield from` a sequence iterated in place.
            if matches!(frame.peek(0), Value::None) {
                name(v, "SEND_VIRTUAL")
            } else {
                Err("a value other than None sent to a sequence".into())
            }
        }
        Op::SEND => {
            let r = match frame.peek(1) {
                Value::Null => frame.peek(2),
                x => x,
            };
            match r.data() {
                Some(Data::Generator(g))
                    if !g.borrow().running
                        && g.borrow().kind != crate::value::GenKind::AsyncGenerator =>
                {
                    name(v, "SEND_GEN")
                }
                _ => Err("the receiver is not a generator or coroutine".into()),
            }
        }
        Op::UNPACK_SEQUENCE => {
            let s = frame.peek(0);
            match s.data() {
                Some(Data::Tuple(items)) if exact(s, &t.tuple) && items.len() == arg as usize => {
                    if arg == 2 {
                        name(v, "UNPACK_SEQUENCE_TWO_TUPLE")
                    } else {
                        name(v, "UNPACK_SEQUENCE_TUPLE")
                    }
                }
                Some(Data::List(items))
                    if exact(s, &t.list) && items.borrow().len() == arg as usize =>
                {
                    name(v, "UNPACK_SEQUENCE_LIST")
                }
                _ => Err("no specialization for this sequence".into()),
            }
        }
        Op::STORE_SUBSCR => {
            let (container, key) = (frame.peek(1), frame.peek(0));
            if exact(container, &t.list)
                && matches!(key, Value::Int(i) if (0..(1 << 30)).contains(i))
            {
                return name(v, "STORE_SUBSCR_LIST_INT");
            }
            if exact(container, &t.dict) {
                return name(v, "STORE_SUBSCR_DICT");
            }
            Err("no specialization for this container".into())
        }
        Op::LOAD_GLOBAL => {
            let n = &code.names[(arg >> 1) as usize];
            let globals = &frame.globals;
            let gd = match &globals.data {
                Data::Dict(d) => d,
                _ => return Err("globals are not a dict".into()),
            };
            let gver = gd.borrow().keys_version as u64;
            if gd.borrow().get_str(n).is_some() {
                return keyed(v, "LOAD_GLOBAL_MODULE", gver);
            }
            let bd = match &vm.builtins.data {
                Data::Dict(d) => d,
                _ => return Err("builtins are not a dict".into()),
            };
            if bd.borrow().get_str(n).is_some() {
                let bver = bd.borrow().keys_version as u64;
                return keyed(v, "LOAD_GLOBAL_BUILTIN", (gver << 32) | bver);
            }
            Err("the name is not defined".into())
        }
        Op::LOAD_ATTR => load_attr(vm, frame, code, i),
        Op::STORE_ATTR => store_attr(vm, frame, code, i),
        Op::LOAD_SUPER_ATTR => {
            let global_super = frame.peek(2);
            let cls = frame.peek(1);
            let is_builtin_super =
                matches!(global_super.obj(), Some(o) if Rc::ptr_eq(o, &t.super_));
            if !is_builtin_super || !matches!(cls.data(), Some(Data::Type(_))) {
                return Err("super is not the builtin super".into());
            }
            if arg & 1 == 1 {
                name(v, "LOAD_SUPER_ATTR_METHOD")
            } else {
                name(v, "LOAD_SUPER_ATTR_ATTR")
            }
        }
        Op::CALL => call(vm, frame, arg as usize, false),
        // [callable, self_or_null, args tuple, kwargs or NULL]
        Op::CALL_FUNCTION_EX => match frame.peek(3).data() {
            Some(Data::Function(_)) => name(v, "CALL_EX_PY"),
            _ => name(v, "CALL_EX_NON_PY_GENERAL"),
        },
        Op::CALL_KW => call(vm, frame, arg as usize, true),
        _ => Err("not specializable".into()),
    }
}

/// `BINARY_OP_EXTEND`'s table (`binaryop_extend_descrs`), as the reference interpreters
/// show it: float with compact int (either side, no NaN, a non-zero divisor) for `+ - * /`,
/// compact ints for `& | ^`; per version, the in-place float forms and the sequence ones.
fn binary_op_extend(f: &Facts, nb: u32, l: &Value, r: &Value) -> bool {
    if nb >= 26 {
        return false;
    }
    let (base, inplace) = (nb % 13, nb >= 13);
    let t = types();
    let float = |x: &Value| matches!(x, Value::Float(x) if !x.is_nan());
    let float_int = (float(l) && compact_int(r)) || (compact_int(l) && float(r));
    let nonzero = |x: &Value| match x {
        Value::Float(x) => *x != 0.0,
        Value::Int(i) => *i != 0,
        _ => false,
    };
    let numeric = match base {
        0 | 10 | 5 => float_int && (!inplace || f.extend_inplace_float),
        11 => float_int && nonzero(r) && (!inplace || f.extend_inplace_float),
        1 | 7 | 12 => compact_int(l) && compact_int(r),
        _ => false,
    };
    let both = |c: &ObjRef| exact(l, c) && exact(r, c);
    let repeated = |c: &ObjRef| (exact(l, c) && compact_int(r)) || (compact_int(l) && exact(r, c));
    let sequence = f.extend_sequences
        && match base {
            0 => both(&t.bytes) || both(&t.list) || both(&t.tuple),
            5 => repeated(&t.str_) || repeated(&t.bytes) || repeated(&t.tuple),
            7 => both(&t.dict),
            _ => false,
        };
    numeric || sequence
}

fn load_attr(vm: &mut Vm, frame: &Frame, code: &CodeRt, i: usize) -> Decision {
    let v = vm.version;
    let arg = code.instrs[i].arg;
    let n = code.names[(arg >> 1) as usize].clone();
    let method = arg & 1 == 1;
    let owner = frame.peek(0).clone();
    let t = types();
    if let Some(Data::Module(_)) = owner.data() {
        if method {
            return Err("a module attribute loaded as a method".into());
        }
        let has = owner
            .obj()
            .and_then(|o| o.dict.as_ref())
            .is_some_and(|d| d.borrow().get_str(&n).is_some());
        return if has {
            keyed(v, "LOAD_ATTR_MODULE", owner.id() as u64)
        } else {
            Err("the module has no such attribute".into())
        };
    }
    if let Some(Data::Type(td)) = owner.data() {
        let cls = owner.obj().cloned().expect("a type");
        let meta = t.of(&owner);
        if let Some(ma) = ty::lookup(&meta, &n) {
            if is_data_descr(&ma) {
                return Err("the metaclass defines a data descriptor".into());
            }
        }
        return match ty::lookup(&cls, &n) {
            Some(a)
                if !matches!(
                    a.data(),
                    Some(Data::ClassMethod(_)) | Some(Data::Property(_))
                ) =>
            {
                if Rc::ptr_eq(&meta, &t.type_) {
                    keyed(v, "LOAD_ATTR_CLASS", td.version.get() as u64)
                } else {
                    keyed(
                        v,
                        "LOAD_ATTR_CLASS_WITH_METACLASS_CHECK",
                        td.version.get() as u64,
                    )
                }
            }
            _ => Err("the class attribute is a descriptor or missing".into()),
        };
    }
    let ot = t.of(&owner);
    let tv = tdata(&ot).version.get() as u64;
    let shadow = instance_has_key(&ot, &n);
    let (kind, descr) = analyze_descriptor(&ot, &n, false);
    let try_instance = || {
        dict_access(
            v,
            &owner,
            &ot,
            &n,
            ("LOAD_ATTR_INSTANCE_VALUE", "LOAD_ATTR_WITH_HINT"),
        )
    };
    match kind {
        DescrKind::Overriding => Err("a data descriptor".into()),
        DescrKind::Method if shadow => try_instance(),
        DescrKind::Method if method => load_class_attr(v, &owner, &ot, true),
        DescrKind::Method => Err("a method loaded as an attribute".into()),
        DescrKind::Property => {
            let fget = match descr.as_ref().and_then(|d| d.data()) {
                Some(Data::Property(p)) => p.fget.clone(),
                _ => Value::None,
            };
            match fget.data() {
                Some(Data::Function(f)) if simple_code(&f.code) && f.code.argcount == 1 => {
                    if method {
                        Err("a property loaded as a method".into())
                    } else {
                        keyed(v, "LOAD_ATTR_PROPERTY", tv)
                    }
                }
                Some(Data::Function(_)) => {
                    Err("the property's getter takes other arguments".into())
                }
                _ => Err("the property's getter is not a Python function".into()),
            }
        }
        DescrKind::ObjectSlot | DescrKind::DunderClass => keyed(v, "LOAD_ATTR_SLOT", tv),
        DescrKind::Mutable => Err("the class attribute is an instance of a mutable class".into()),
        DescrKind::GetsetOverridden => Err("attribute access is overridden".into()),
        DescrKind::GetattributeIsPythonFunction => match descr.as_ref().and_then(|d| d.data()) {
            Some(Data::Function(f)) if simple_code(&f.code) && f.code.argcount == 2 => {
                if method {
                    Err("__getattribute__ is overridden".into())
                } else {
                    keyed(v, "LOAD_ATTR_GETATTRIBUTE_OVERRIDDEN", tv)
                }
            }
            _ => Err("__getattribute__ takes other arguments".into()),
        },
        DescrKind::ClassMethod | DescrKind::NonOverriding if shadow => try_instance(),
        DescrKind::ClassMethod | DescrKind::NonOverriding => {
            Err("a non-data descriptor of the class".into())
        }
        DescrKind::NonDescriptor if shadow => try_instance(),
        DescrKind::NonDescriptor if !method => load_class_attr(v, &owner, &ot, false),
        DescrKind::NonDescriptor => Err("a class attribute loaded as a method".into()),
        DescrKind::Absent if shadow => try_instance(),
        DescrKind::Absent => {
            Err("the attribute is neither in the class nor in its shared keys".into())
        }
    }
}

/// How an attribute name is found on a class (CPython's `DescriptorClassification`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DescrKind {
    /// A data descriptor (has `__set__`/`__delete__`) that is no property or slot.
    Overriding,
    /// A Python function or a builtin method descriptor.
    Method,
    Property,
    /// A `__slots__` member.
    ObjectSlot,
    /// `classmethod` objects, builtin or not.
    ClassMethod,
    /// Another non-data descriptor (`staticmethod`, …).
    NonOverriding,
    /// A plain value (not a descriptor) of an immutable (builtin) type.
    NonDescriptor,
    /// An instance of a class written in Python: it may grow a `__get__` at any time.
    Mutable,
    Absent,
    /// `object.__class__`.
    DunderClass,
    /// `__getattribute__`/`__getattr__` or `__setattr__` is overridden.
    GetsetOverridden,
    /// `__getattribute__` is a Python function (and there is no `__getattr__`).
    GetattributeIsPythonFunction,
}

/// `analyze_descriptor`: how `name` is found on class `t`, for a load or a store (cached per
/// class and name until a class changes: it runs at every guard of an attribute form).
fn analyze_descriptor(t: &ObjRef, name: &str, store: bool) -> (DescrKind, Option<Value>) {
    // Keyed by the class and the name's address (names come from code objects, which live
    // for the run); the name itself is kept to confirm a hit.
    type Key = (usize, usize, usize, bool);
    type Entry = (Rc<str>, DescrKind, Option<Value>);
    thread_local! {
        static CACHE: std::cell::RefCell<(u64, std::collections::HashMap<Key, Entry, foldhash::fast::FixedState>)> =
            std::cell::RefCell::new((0, Default::default()));
    }
    let epoch = ty::epoch();
    let key: Key = (
        Rc::as_ptr(t) as usize,
        name.as_ptr() as usize,
        name.len(),
        store,
    );
    if let Some(hit) = CACHE.with(|c| {
        let c = c.borrow();
        if c.0 != epoch {
            return None;
        }
        c.1.get(&key)
            .filter(|e| &*e.0 == name)
            .map(|e| (e.1, e.2.clone()))
    }) {
        return hit;
    }
    let r = analyze_uncached(t, name, store);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.0 != epoch {
            c.0 = epoch;
            c.1.clear();
        }
        c.1.insert(key, (Rc::from(name), r.0, r.1.clone()));
    });
    r
}

fn analyze_uncached(t: &ObjRef, name: &str, store: bool) -> (DescrKind, Option<Value>) {
    let python_fn =
        |v: &Option<Value>| matches!(v.as_ref().and_then(|v| v.data()), Some(Data::Function(_)));
    let mut has_getattr = false;
    if store {
        if python_fn(&ty::lookup(t, "__setattr__")) {
            return (DescrKind::GetsetOverridden, None);
        }
    } else {
        let getattribute = ty::lookup(t, "__getattribute__");
        has_getattr = ty::lookup(t, "__getattr__").is_some();
        if python_fn(&getattribute) {
            return if has_getattr {
                (DescrKind::GetsetOverridden, None)
            } else {
                (DescrKind::GetattributeIsPythonFunction, getattribute)
            };
        }
    }
    if ty::has_slot(t, name) {
        return (DescrKind::ObjectSlot, None);
    }
    let descr = ty::lookup(t, name);
    if name == "__class__" && descr.is_none() {
        return (DescrKind::DunderClass, None);
    }
    let kind = match descr.as_ref().map(|d| (d, d.data())) {
        None => DescrKind::Absent,
        Some((_, Some(Data::Property(_)))) if has_getattr => DescrKind::GetsetOverridden,
        Some((_, Some(Data::Property(_)))) => DescrKind::Property,
        Some((_, Some(Data::Function(_) | Data::MethodDescr(_)))) => DescrKind::Method,
        Some((_, Some(Data::ClassMethod(_)))) => DescrKind::ClassMethod,
        Some((_, Some(Data::StaticMethod(_)))) => DescrKind::NonOverriding,
        Some((d, _)) => {
            let dt = types().of(d);
            if !tdata(&dt).builtin {
                DescrKind::Mutable
            } else if is_data_descr(d) {
                DescrKind::Overriding
            } else {
                DescrKind::NonDescriptor
            }
        }
    };
    (kind, descr)
}

/// `instance_has_key`: whether instances of `t` likely hold `name` themselves (for classes
/// with inline values — every class with a managed dict here — the class's shared keys say).
fn instance_has_key(t: &ObjRef, name: &str) -> bool {
    ty::dict_layout(t) == ty::DictLayout::Inline && ty::in_shared_keys(t, name)
}

/// `specialize_dict_access`: an instance attribute read or written in its inline values
/// (`values_op`, keyed by the class's shared keys) or in its own dict (`hint_op`).
fn dict_access(
    v: PyVersion,
    owner: &Value,
    t: &ObjRef,
    name: &str,
    (values_op, hint_op): (&'static str, &'static str),
) -> Decision {
    if ty::dict_layout(t) != ty::DictLayout::Inline {
        return Err("the instance's dict is not a managed dict".into());
    }
    let tv = tdata(t).version.get() as u64;
    let Some(d) = owner.obj().and_then(|o| o.dict.as_ref()) else {
        return Err("the instance has no dict".into());
    };
    let d = d.borrow();
    if d.inline_valid && !d.materialized {
        return if ty::in_shared_keys(t, name) {
            keyed(v, values_op, tv)
        } else {
            Err("the name is not in the class's shared keys".into())
        };
    }
    if !d.materialized {
        return Err("the instance has no dict".into());
    }
    if d.inline_valid {
        return Err("the instance's dict shares its inline values (a split dict)".into());
    }
    if d.get_str(name).is_some() {
        keyed(v, hint_op, tv)
    } else {
        Err("the name is not in the instance's dict".into())
    }
}

/// `specialize_attr_loadclassattr`: a method (or a plain class attribute) read through an
/// instance, guarded by how the instance keeps its attributes.
fn load_class_attr(v: PyVersion, owner: &Value, t: &ObjRef, is_method: bool) -> Decision {
    let tv = tdata(t).version.get() as u64;
    match ty::dict_layout(t) {
        ty::DictLayout::Inline => keyed(
            v,
            if is_method {
                "LOAD_ATTR_METHOD_WITH_VALUES"
            } else {
                "LOAD_ATTR_NONDESCRIPTOR_WITH_VALUES"
            },
            tv,
        ),
        ty::DictLayout::NoDict => keyed(
            v,
            if is_method {
                "LOAD_ATTR_METHOD_NO_DICT"
            } else {
                "LOAD_ATTR_NONDESCRIPTOR_NO_DICT"
            },
            tv,
        ),
        ty::DictLayout::VarOffset => Err("the instance's dict is at a negative offset".into()),
        ty::DictLayout::Offset if is_method => {
            let has_dict = owner
                .obj()
                .and_then(|o| o.dict.as_ref())
                .is_some_and(|d| d.borrow().materialized);
            if has_dict {
                Err("the instance has a dict".into())
            } else {
                keyed(v, "LOAD_ATTR_METHOD_LAZY_DICT", tv)
            }
        }
        ty::DictLayout::Offset => Err("a class attribute of an instance with a dict".into()),
    }
}

fn is_data_descr(d: &Value) -> bool {
    match d.data() {
        Some(Data::Property(_)) => true,
        Some(Data::Function(_))
        | Some(Data::MethodDescr(_))
        | Some(Data::ClassMethod(_))
        | Some(Data::StaticMethod(_)) => false,
        _ => {
            let dt = types().of(d);
            !tdata(&dt).builtin
                && (ty::lookup(&dt, "__set__").is_some() || ty::lookup(&dt, "__delete__").is_some())
        }
    }
}

fn store_attr(vm: &mut Vm, frame: &Frame, code: &CodeRt, i: usize) -> Decision {
    let v = vm.version;
    let n = code.names[code.instrs[i].arg as usize].clone();
    let owner = frame.peek(0).clone();
    if matches!(owner.data(), Some(Data::Module(_))) {
        return Err("a module attribute".into());
    }
    let ot = types().of(&owner);
    if matches!(owner.data(), Some(Data::Type(_))) {
        return Err("type.__setattr__ is not the generic one".into());
    }
    match analyze_descriptor(&ot, &n, true).0 {
        DescrKind::ObjectSlot => keyed(v, "STORE_ATTR_SLOT", tdata(&ot).version.get() as u64),
        DescrKind::Absent => dict_access(
            v,
            &owner,
            &ot,
            &n,
            ("STORE_ATTR_INSTANCE_VALUE", "STORE_ATTR_WITH_HINT"),
        ),
        DescrKind::GetsetOverridden => Err("__setattr__ is overridden".into()),
        _ => Err("the class defines the attribute".into()),
    }
}

fn simple_code(c: &CodeRt) -> bool {
    c.flags & (crate::code::flags::VARARGS | crate::code::flags::VARKEYWORDS) == 0
        && c.kwonlyargcount == 0
}

fn call(vm: &mut Vm, frame: &Frame, nargs: usize, kw: bool) -> Decision {
    let v = vm.version;
    let extra = kw as usize;
    let callable = frame.peek(nargs + 1 + extra).clone();
    let self_or_null = frame.peek(nargs + extra).clone();
    let has_self = !matches!(self_or_null, Value::Null);
    let total = nargs + has_self as usize;
    let nkw = if kw {
        match frame.peek(0).data() {
            Some(Data::Tuple(t)) => t.len(),
            _ => 0,
        }
    } else {
        0
    };
    let t = types();
    match callable.data() {
        Some(Data::Function(f)) => {
            let key = f.version.get() as u64;
            if kw {
                return keyed(v, "CALL_KW_PY", key);
            }
            if simple_code(&f.code) && f.code.argcount == total {
                return keyed(v, "CALL_PY_EXACT_ARGS", key);
            }
            keyed(v, "CALL_PY_GENERAL", key)
        }
        Some(Data::Method(func, _)) => match func.data() {
            Some(Data::Function(f)) => {
                let key = f.version.get() as u64;
                if kw {
                    return keyed(v, "CALL_KW_BOUND_METHOD", key);
                }
                if simple_code(&f.code) && f.code.argcount == total + 1 {
                    keyed(v, "CALL_BOUND_METHOD_EXACT_ARGS", key)
                } else {
                    keyed(v, "CALL_BOUND_METHOD_GENERAL", key)
                }
            }
            _ => non_py(v, kw),
        },
        Some(Data::Type(td)) => {
            let cls = callable.obj().cloned().expect("a type");
            if kw {
                return non_py(v, kw);
            }
            if td.builtin {
                if Rc::ptr_eq(&cls, &t.type_) && total == 1 {
                    return name(v, "CALL_TYPE_1");
                }
                if Rc::ptr_eq(&cls, &t.str_) && total == 1 {
                    return name(v, "CALL_STR_1");
                }
                if Rc::ptr_eq(&cls, &t.tuple) && total == 1 {
                    return name(v, "CALL_TUPLE_1");
                }
                if has_vectorcall(&cls) {
                    return keyed(v, "CALL_BUILTIN_CLASS", td.version.get() as u64);
                }
                return non_py(v, kw);
            }
            // A Python class: allocate and run a Python __init__ directly.
            let new_is_object = ty::lookup(&cls, "__new__")
                .is_none_or(|n| matches!(n.data(), Some(Data::Builtin(_))));
            let meta_plain = Rc::ptr_eq(&t.of(&callable), &t.type_);
            if let Some(init) = ty::lookup(&cls, "__init__") {
                if let Some(Data::Function(f)) = init.data() {
                    if new_is_object
                        && meta_plain
                        && td.layout == Layout::Object
                        && simple_code(&f.code)
                        && !has_self
                    {
                        return keyed(v, "CALL_ALLOC_AND_ENTER_INIT", td.version.get() as u64);
                    }
                }
            }
            non_py(v, kw)
        }
        Some(Data::Builtin(b)) => {
            if kw {
                return non_py(v, kw);
            }
            let key = Rc::as_ptr(callable.obj().expect("an object")) as u64;
            if b.name == "len" && total == 1 && b.owner.is_none() {
                return keyed(v, "CALL_LEN", key);
            }
            if b.name == "isinstance" && total == 2 && b.owner.is_none() {
                return keyed(v, "CALL_ISINSTANCE", key);
            }
            match b.kind {
                MethKind::O if total == 1 => keyed(v, "CALL_BUILTIN_O", key),
                MethKind::Fast => keyed(v, "CALL_BUILTIN_FAST", key),
                MethKind::FastKw => keyed(v, "CALL_BUILTIN_FAST_WITH_KEYWORDS", key),
                _ => non_py(v, kw),
            }
        }
        Some(Data::MethodDescr(b)) => {
            if kw {
                return non_py(v, kw);
            }
            let key = Rc::as_ptr(callable.obj().expect("an object")) as u64;
            if b.owner == Some("list") && b.name == "append" && total == 2 && has_self {
                return keyed(v, "CALL_LIST_APPEND", key);
            }
            match b.kind {
                MethKind::NoArgs if total == 1 => keyed(v, "CALL_METHOD_DESCRIPTOR_NOARGS", key),
                MethKind::O if total == 2 => keyed(v, "CALL_METHOD_DESCRIPTOR_O", key),
                MethKind::Fast => keyed(v, "CALL_METHOD_DESCRIPTOR_FAST", key),
                MethKind::FastKw => keyed(v, "CALL_METHOD_DESCRIPTOR_FAST_WITH_KEYWORDS", key),
                _ => non_py(v, kw),
            }
        }
        _ => {
            let _ = nkw;
            non_py(v, kw)
        }
    }
}

/// Whether CPython's builtin type `cls` has a vectorcall constructor (`CALL_BUILTIN_CLASS`).
fn has_vectorcall(cls: &crate::value::ObjRef) -> bool {
    const VECTORCALL: &[&str] = &[
        "bool",
        "int",
        "float",
        "complex",
        "str",
        "bytes",
        "tuple",
        "list",
        "dict",
        "set",
        "frozenset",
        "range",
        "enumerate",
        "zip",
        "map",
        "filter",
        "reversed",
        "type",
        "object",
        "slice",
        "memoryview",
    ];
    VECTORCALL.contains(&&*ty::type_name(cls))
}

fn non_py(v: PyVersion, kw: bool) -> Decision {
    if kw {
        name(v, "CALL_KW_NON_PY")
    } else {
        name(v, "CALL_NON_PY_GENERAL")
    }
}

/// The module's code objects as `dis.dis(code, adaptive=True)` shows them after the run:
/// each instruction's final form, its inline caches' contents.
pub fn specialized_code(code: &CodeObject, rt: &Rc<CodeRt>, version: PyVersion) -> CodeObject {
    let mut out = code.clone();
    fill(&mut out, rt, version);
    out
}

fn fill(out: &mut CodeObject, rt: &CodeRt, version: PyVersion) {
    let tables = cpyviz_model::tables::for_version(version);
    let slots = rt.slots.borrow();
    for (ins, slot) in out.instructions.iter_mut().zip(slots.iter()) {
        if ins.opname != slot.form {
            if let Some(info) = tables.opcode_by_name(slot.form) {
                ins.opname = slot.form.to_string();
                ins.opcode = info.code as u32;
            }
        }
        fill_caches(&mut ins.cache_info, slot);
    }
    drop(slots);
    for (c, r) in out.children.iter_mut().zip(rt.children.iter()) {
        fill(c, r, version);
    }
}

/// The counter into the first cache entry, the cached key into the next ones (little-endian
/// code units).
fn fill_caches(caches: &mut [CacheEntry], slot: &Slot) {
    let mut words = vec![slot.counter];
    words.extend_from_slice(&slot.cache);
    let mut w = words.into_iter();
    for c in caches.iter_mut() {
        let mut data = Vec::with_capacity(c.size as usize * 2);
        for _ in 0..c.size {
            data.extend_from_slice(&w.next().unwrap_or(0).to_le_bytes());
        }
        c.data = data;
    }
}

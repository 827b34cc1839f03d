//! Trace projection, CPython 3.14 (`translate_bytecode_to_trace` in `Python/optimizer.c`).
//!
//! 3.14 builds a trace without running anything: starting at the hot instruction it walks
//! the code's *current* (specialized) instructions, expands each into its micro-ops
//! (`_PyOpcode_macro_expansion`), follows the likelier side of each conditional jump (from the
//! 16-bit branch history: more than 8 taken of the last 16 → "likely"; the trace gives up when
//! its confidence, multiplied by each branch's bias, falls under a third), steps into Python
//! functions the warm `CALL_PY_*` caches name (`_PUSH_FRAME`, up to `TRACE_STACK_SIZE` deep),
//! and stops when it comes back to where it started (`_JUMP_TO_TOP`), meets another executor or
//! something it cannot translate (`_EXIT_TRACE`), or runs out of room.

use super::{Ids, Operand, Uop, Visit};
use crate::code::CodeRt;
use crate::tier2::function_by_version;
use crate::value::{ObjRef, Value};
use crate::Vm;
use cpyviz_model::tables::{flags, OpargKind, Tables};
use std::rc::Rc;

/// A projected trace: its uops (before optimization) and the tier-1 instructions it covers.
pub struct Projection {
    pub uops: Vec<Uop>,
    pub visits: Vec<Visit>,
}

/// Why a projection produced nothing (CPython's optimizer then backs off and retries later).
#[derive(Debug, PartialEq, Eq)]
pub enum NoTrace {
    /// Not even one instruction could be translated.
    TooShort,
    /// A return would leave the frame the trace started in.
    StackUnderflow,
    /// Calls nested deeper than `TRACE_STACK_SIZE`.
    StackOverflow,
    /// A call whose callee the caches do not name (or a generator/property frame).
    UnknownCallee,
}

struct Frame {
    code: Rc<CodeRt>,
    func: Option<ObjRef>,
    /// The instruction to continue at in this frame (the return address).
    at: usize,
}

/// `translate_bytecode_to_trace(frame, instr, …, progress_needed)`.
pub fn project(
    vm: &Vm,
    ids: &Ids,
    code: &Rc<CodeRt>,
    func: Option<ObjRef>,
    start: usize,
    progress_needed: bool,
) -> Result<Projection, NoTrace> {
    let t = cpyviz_model::tables::for_version(vm.version);
    let konst = |name: &str| t.constant(name).unwrap_or(0) as i64;
    let buffer_size = konst("UOP_MAX_TRACE_LENGTH");
    let stack_size = konst("TRACE_STACK_SIZE") as usize;
    let no_save_ip = t.flag("HAS_NO_SAVE_IP_FLAG").unwrap_or(0);

    let mut p = Projector {
        uops: Vec::new(),
        visits: Vec::new(),
        code: code.clone(),
        depth: 0,
    };
    let mut func = func;
    let mut stack: Vec<Frame> = Vec::new();
    let mut first = true;
    let mut max_length = buffer_size - 2;
    let mut confidence: i64 = 1000;
    let mut jump_seen = false;
    let mut i = start;
    let mut target = cu(code, start);
    // The visits of the instructions translated completely (an instruction the trace stops
    // at is run by tier 1, after the final exit).
    let mut completed;

    p.add(ids.start_executor, 0, target, start);
    p.add(ids.make_warm, 0, 0, start);

    'top: loop {
        // One instruction per iteration; `continue 'top` is CPython's `goto top`.
        completed = p.visits.len();
        let Some(ins_arg) = p.code.instrs.get(i).map(|x| x.arg) else {
            break;
        };
        target = cu(&p.code, i);
        max_length -= 1;
        if !first && Rc::ptr_eq(&p.code, code) && i == start {
            if !p.reserve(1 + 3, max_length) {
                break;
            }
            p.add(ids.jump_to_top, 0, 0, i);
            break;
        }
        p.visit(i);
        let mut form = p.code.slots.borrow()[i].form;
        let mut oparg = ins_arg;
        let mut at = i;
        if form == "EXTENDED_ARG" {
            at = i + 1;
            let Some(next) = p.code.instrs.get(at) else {
                break;
            };
            form = p.code.slots.borrow()[at].form;
            oparg = next.arg;
            if form == "EXTENDED_ARG" {
                break;
            }
            p.visit(at);
        }
        if p.code.slots.borrow()[at].executor != 0 {
            // Another executor starts here: stop and let the exit stitch to it.
            p.visits.pop();
            break;
        }
        let Some(mut info) = t.opcode_by_name(form) else {
            break;
        };
        if !p.reserve(2, max_length) {
            break;
        }
        p.add(ids.check_validity, 0, target, at);
        if info.flags & no_save_ip == 0 {
            if !p.reserve(2, max_length) {
                break;
            }
            p.add(ids.set_ip, 0, target, at);
        }
        if first && progress_needed && info.flags & (flags::HAS_EXIT | flags::HAS_DEOPT) != 0 {
            if let Some(base) = t.opcode(info.deopt) {
                info = base;
            }
        }
        if info.flags & flags::HAS_EXIT != 0 {
            if !p.reserve(2, max_length) {
                break;
            }
            max_length -= 1;
        }
        if info.flags & flags::HAS_ERROR != 0 {
            if !p.reserve(2, max_length) {
                break;
            }
            max_length -= 1;
        }
        match info.name {
            "POP_JUMP_IF_FALSE"
            | "POP_JUMP_IF_TRUE"
            | "POP_JUMP_IF_NONE"
            | "POP_JUMP_IF_NOT_NONE" => {
                if !p.reserve(1 + 3, max_length) {
                    break;
                }
                let bits = p.code.slots.borrow()[at].counter;
                let bitcount = bits.count_ones() as i64;
                let likely = bitcount > 8;
                confidence = if likely {
                    confidence * bitcount / 16
                } else {
                    confidence * (16 - bitcount) / 16
                };
                let guard = ids.branch_guard(info.name, likely);
                if confidence < 333 {
                    break;
                }
                let next = at + 1;
                let jumped = p.code.instrs[at].jump;
                if likely {
                    let next_cu = cu(&p.code, next);
                    p.add(guard, 0, next_cu, at);
                    i = jumped;
                    first = false;
                    continue 'top;
                }
                let to = cu(&p.code, jumped);
                p.add(guard, 0, to, at);
            }
            "JUMP_BACKWARD"
            | "JUMP_BACKWARD_JIT"
            | "JUMP_BACKWARD_NO_JIT"
            | "JUMP_BACKWARD_NO_INTERRUPT" => {
                if info.name != "JUMP_BACKWARD_NO_INTERRUPT" {
                    p.add(ids.check_periodic, 0, target, at);
                }
                i = p.code.instrs[at].jump;
                if jump_seen {
                    break;
                }
                jump_seen = true;
                first = false;
                continue 'top;
            }
            "JUMP_FORWARD" => {
                if !p.reserve(3, max_length) {
                    break;
                }
                i = p.code.instrs[at].jump;
                first = false;
                continue 'top;
            }
            "RESUME" => p.add(ids.tier2_resume_check, 0, target, at),
            _ => {
                let expansion = info.expansion;
                if expansion.is_empty() {
                    break;
                }
                let nuops = expansion.len();
                if !p.reserve(nuops as i64 + 1 + 3, max_length) {
                    break;
                }
                let last = expansion[nuops - 1].uop;
                if ids.is_return(last) && stack.is_empty() {
                    return Err(NoTrace::StackUnderflow);
                }
                let mut skip_next = false;
                for step in expansion {
                    let mut uop = step.uop;
                    let mut op_arg = oparg;
                    let mut operand = Operand::None;
                    let offset = step.offset as u32 + 1;
                    match step.kind {
                        OpargKind::Simple => {}
                        OpargKind::Cache1 | OpargKind::Cache2 | OpargKind::Cache4 => {
                            operand = cache_operand(vm, t, ids, &p.code, at, uop);
                        }
                        OpargKind::Top => op_arg = oparg >> 4,
                        OpargKind::Bottom => op_arg = oparg & 0xF,
                        OpargKind::SaveReturnOffset => op_arg = offset,
                        OpargKind::Replaced => match ids.replacement(uop) {
                            Some(r) => uop = r,
                            None => break 'top,
                        },
                        OpargKind::Operand1_1 | OpargKind::Operand1_2 | OpargKind::Operand1_4 => {
                            continue;
                        }
                    }
                    if ids.is_return(uop) {
                        let Some(back) = stack.pop() else {
                            return Err(NoTrace::StackUnderflow);
                        };
                        let to = Operand::frame(back.func.clone(), &back.code);
                        p.add_with(uop, op_arg, target, at, to);
                        p.code = back.code;
                        func = back.func;
                        p.depth -= 1;
                        i = back.at;
                        first = false;
                        continue 'top;
                    }
                    if uop == ids.push_frame {
                        if !matches!(info.deopt_name(t), "CALL" | "CALL_KW")
                            || matches!(
                                info.name,
                                "FOR_ITER_GEN"
                                    | "LOAD_ATTR_PROPERTY"
                                    | "BINARY_OP_SUBSCR_GETITEM"
                                    | "SEND_GEN"
                            )
                        {
                            return Err(NoTrace::UnknownCallee);
                        }
                        let version = p.code.slots.borrow()[at].key as u32;
                        let (new_func, new_code) = function_by_version(vm, version);
                        let Some(new_code) = new_code else {
                            return Err(NoTrace::UnknownCallee);
                        };
                        if Rc::ptr_eq(&new_code, &p.code) || new_code.version != version {
                            // A recursive call, or a function whose code changed.
                            p.add(uop, op_arg, target, at);
                            p.add(ids.exit_trace, 0, 0, at);
                            completed = p.visits.len();
                            break 'top;
                        }
                        if stack.len() >= stack_size {
                            return Err(NoTrace::StackOverflow);
                        }
                        let mut ret = at + 1;
                        if info.name == "CALL_LIST_APPEND" {
                            ret += 1;
                        }
                        stack.push(Frame {
                            code: p.code.clone(),
                            func: func.clone(),
                            at: ret,
                        });
                        let operand = Operand::frame(new_func.clone(), &new_code);
                        p.add_with(uop, op_arg, target, at, operand);
                        p.code = new_code;
                        func = new_func;
                        p.depth += 1;
                        i = 0;
                        first = false;
                        continue 'top;
                    }
                    if uop == ids.binary_op_inplace_add_unicode {
                        if let Some(store) = p.code.instrs.get(at + 1) {
                            operand = Operand::Local(store.arg);
                            skip_next = true;
                        }
                    }
                    p.add_with(uop, op_arg, target, at, operand);
                }
                if skip_next {
                    p.visit(at + 1);
                    i = at + 2;
                    first = false;
                    continue 'top;
                }
            }
        }
        i = at + 1;
        if info.name == "CALL_LIST_APPEND" {
            // The POP_TOP after it is skipped.
            p.visit(i);
            i += 1;
        }
        first = false;
    }
    if first {
        return Err(NoTrace::TooShort);
    }
    p.visits.truncate(completed);
    // Back in the frame the trace started in.
    while let Some(f) = stack.pop() {
        p.code = f.code;
    }
    let last_terminates = p
        .uops
        .last()
        .is_some_and(|u| u.op == ids.exit_trace || u.op == ids.jump_to_top);
    if !last_terminates {
        let origin = p.code.index_at(target * 2);
        let mut u = Uop::new(ids.exit_trace, 0, target, p.code.clone(), origin);
        u.visit = p.visits.len().saturating_sub(1) as u32;
        p.uops.push(u);
    }
    Ok(Projection {
        uops: p.uops,
        visits: p.visits,
    })
}

struct Projector {
    uops: Vec<Uop>,
    visits: Vec<Visit>,
    code: Rc<CodeRt>,
    depth: u32,
}

impl Projector {
    /// `RESERVE_RAW(n)`: whether `n` more uops fit.
    fn reserve(&self, n: i64, max_length: i64) -> bool {
        self.uops.len() as i64 + n <= max_length
    }

    fn visit(&mut self, index: usize) {
        self.visits.push(Visit {
            code: self.code.clone(),
            index,
            depth: self.depth,
        });
    }

    fn add(&mut self, op: u16, oparg: u32, target: u32, origin: usize) {
        self.add_with(op, oparg, target, origin, Operand::None);
    }

    fn add_with(&mut self, op: u16, oparg: u32, target: u32, origin: usize, operand: Operand) {
        let mut u = Uop::new(op, oparg, target, self.code.clone(), origin);
        u.operand = operand;
        u.visit = self.visits.len().saturating_sub(1) as u32;
        self.uops.push(u);
    }
}

/// The code-unit index of instruction `i` (CPython's `INSTR_IP`).
pub fn cu(code: &CodeRt, i: usize) -> u32 {
    code.instrs.get(i).map_or_else(
        || code.instrs.last().map_or(0, |l| l.offset / 2 + 1),
        |ins| ins.offset / 2,
    )
}

/// What a uop reads from the instruction's inline cache, as the model keeps it: the version
/// the specialized guard checks (its `key`).
fn cache_operand(vm: &Vm, t: &Tables, ids: &Ids, code: &CodeRt, i: usize, uop: u16) -> Operand {
    let key = code.slots.borrow()[i].key;
    let _ = (vm, t);
    if uop == ids.guard_globals_version {
        // LOAD_GLOBAL_BUILTIN's key holds both versions: globals above, builtins below.
        return Operand::Version((key >> 32) as u32);
    }
    if uop == ids.load_attr_module {
        return Operand::None;
    }
    Operand::Version(key as u32)
}

trait DeoptName {
    fn deopt_name(&self, t: &Tables) -> &'static str;
}

impl DeoptName for cpyviz_model::tables::OpcodeInfo {
    fn deopt_name(&self, t: &Tables) -> &'static str {
        t.opcode_name(self.deopt).unwrap_or(self.name)
    }
}

impl Operand {
    /// The operand CPython gives `_PUSH_FRAME`/`_RETURN_VALUE`: the function when known, else
    /// the code object (tagged).
    pub fn frame(func: Option<ObjRef>, code: &Rc<CodeRt>) -> Operand {
        match func {
            Some(f) => Operand::Func(Value::Obj(f)),
            None => Operand::Code(code.clone()),
        }
    }
}

//! Trace recording, as CPython 3.15 does it (`_PyJit_TryInitializeTracing`,
//! `_PyJit_translate_single_bytecode_to_trace`, `_PyJit_FinalizeTracing`).
//!
//! While a trace is recorded, tier 1 runs as usual; before each instruction runs, the previous
//! one is translated into uops now that it is known where it went (the branch it took, the
//! frame it called or returned to). Each translation is charged against the trace's *fitness*;
//! the trace stops where the fitness falls below the *exit quality* of the next instruction,
//! when it comes back to where it started (`_JUMP_TO_TOP`), at another executor, or at an
//! instruction it cannot follow (the last `_SET_IP` then becomes a `_DEOPT`).

use super::ids::Ids;
use super::{Loc, Opnd, TUop};
use crate::code::CodeRt;
use crate::value::{Data, Value};
use std::rc::Rc;

/// How a recording was started.
#[derive(Clone)]
pub enum Trigger {
    /// A hot `JUMP_BACKWARD` (its counter is reset when the recording ends).
    JumpBackward(Rc<CodeRt>, usize),
    /// A hot `RESUME`.
    Resume(Rc<CodeRt>, usize),
    /// A hot side exit of an executor.
    Exit(super::ExitRef),
}

/// The instruction recorded last, not translated yet (CPython's `prev_state`).
#[derive(Clone)]
pub struct Prev {
    pub loc: Loc,
    pub oparg: u32,
    /// The frame activation it ran in (its serial number) and the frame depth.
    pub frame: usize,
    pub depth: usize,
    /// Its frame was pushed by its caller in the same evaluation loop (a return goes back
    /// there rather than to C).
    pub inline: bool,
    /// The values the recorders read before it ran (`_PyOpcode_RecordFunctions`).
    pub rec: Recorded,
}

/// What the `_RECORD_*` uops of an instruction can ask for, read from the stack before the
/// instruction runs.
#[derive(Clone, Default)]
pub struct Recorded {
    /// The top four stack items, top first.
    pub top: [Option<Value>; 4],
    /// The callable under `oparg` arguments (`CALL`), and under one more item (`CALL_KW`).
    pub callable: Option<Value>,
    pub callable_kw: Option<Value>,
    /// The functions of the generators second and third from the top, read while they are
    /// suspended (a running generator has lent its frame out).
    pub gen_funcs: [Option<Value>; 2],
}

/// A recording in progress (CPython's `_PyJitTracerState`).
pub struct Recording {
    pub trigger: Trigger,
    pub start: Loc,
    pub close_loop: Loc,
    /// The code object and function the trace starts in.
    pub code: Rc<CodeRt>,
    pub func: Option<Value>,
    /// The globals of the frame the trace starts in.
    pub globals: crate::value::ObjRef,
    pub chain_depth: i32,
    /// The stack depth at the start.
    pub stack_depth: usize,
    pub prev: Prev,
    pub fitness: i32,
    pub frame_depth: i32,
    pub buf: Vec<TUop>,
    /// `trace->end` as an index (capacity reserved for stubs comes off it).
    pub end: i32,
    /// The instructions translated so far, in order (the executor follows them).
    pub steps: Vec<Step>,
    /// The VM frame depth of the frame the trace starts in.
    pub root_depth: usize,
    /// The step the uops being added belong to.
    pub cur_step: u32,
}

/// One translated instruction: where it is and the frame depth (relative to the trace's
/// first frame) it runs at.
#[derive(Clone)]
pub struct Step {
    pub loc: Loc,
    pub depth: i32,
    /// The instruction form it was translated as (its base form when the recording did not
    /// trust the specialization) and the key the form had cached: what the executor's guards
    /// for it check.
    pub opcode: u16,
    pub key: u64,
}

/// What a translation call was told (`stop_tracing_opcode`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    No,
    /// The next instruction cannot be traced (`_DEOPT`: the trace is rewound to the last
    /// `_SET_IP`).
    Deopt,
    /// The next instruction is an executor (`_EXIT_TRACE` to it).
    ExitTrace,
}

/// Where the traced instruction went.
#[derive(Clone)]
pub struct Next {
    pub loc: Loc,
    pub frame: usize,
    pub depth: usize,
    /// The code object of the frame that runs next and its stack depth (for the guards after
    /// a frame change).
    pub code: Option<Rc<CodeRt>>,
    pub stack_len: usize,
}

/// Per-instruction facts of a recording location.
pub struct InstrInfo {
    pub opcode: u16,
    pub oparg: u32,
    /// The first cache entry (counter or branch history).
    pub counter: u16,
    /// The specialized form's cached key (type, function or keys version).
    pub key: u64,
    /// Code units before the instruction, in its code object.
    pub target: u32,
}

impl Loc {
    pub fn info(&self, ids: &Ids) -> InstrInfo {
        match self {
            Loc::Code(c, i) => {
                let ins = &c.instrs[*i];
                let slots = c.slots.borrow();
                let s = &slots[*i];
                InstrInfo {
                    opcode: ids.opcode(s.form),
                    oparg: ins.arg,
                    counter: s.counter,
                    key: s.key,
                    target: ins.offset / 2,
                }
            }
            Loc::Shim(k) => InstrInfo {
                opcode: if *k == 0 {
                    ids.op.EXIT_INIT_CHECK
                } else {
                    ids.op.RETURN_VALUE
                },
                oparg: 0,
                counter: 0,
                key: 0,
                target: *k as u32,
            },
        }
    }

    pub fn code(&self) -> Option<&Rc<CodeRt>> {
        match self {
            Loc::Code(c, _) => Some(c),
            Loc::Shim(_) => None,
        }
    }

    /// The location `n` instructions on (in the same code object).
    pub fn plus(&self, n: usize) -> Loc {
        match self {
            Loc::Code(c, i) => Loc::Code(c.clone(), i + n),
            Loc::Shim(k) => Loc::Shim(k + n as u8),
        }
    }

    /// Code units of the instruction at index `i` of this location's code object.
    pub fn target_of(&self, i: usize) -> u32 {
        match self {
            Loc::Code(c, _) => c.instrs.get(i).map_or_else(
                || c.instrs.last().map_or(0, |x| x.offset / 2 + 1),
                |x| x.offset / 2,
            ),
            Loc::Shim(k) => *k as u32,
        }
    }

    pub fn index(&self) -> usize {
        match self {
            Loc::Code(_, i) => *i,
            Loc::Shim(k) => *k as usize,
        }
    }
}

impl Recorded {
    /// Reads the recorders' inputs from `stack` before an instruction with `oparg` runs.
    pub fn read(stack: &[Value], oparg: u32) -> Recorded {
        let n = stack.len();
        let at = |k: usize| (k < n).then(|| stack[n - 1 - k].clone());
        Recorded {
            top: [at(0), at(1), at(2), at(3)],
            callable: at(oparg as usize + 1),
            callable_kw: at(oparg as usize + 2),
            gen_funcs: [gen_func(&at(1)), gen_func(&at(2))],
        }
    }
}

/// `compute_branch_penalty`: nothing for a fully biased branch, a balanced branch's cost for
/// a balanced (or mostly off-trace) one.
pub fn branch_penalty(ids: &Ids, history: u16) -> i32 {
    let taken = history & 1 == 1;
    let taken_count = history.count_ones() as i32;
    let on_trace = if taken { taken_count } else { 16 - taken_count };
    let off_trace = 16 - on_trace;
    let bal = ids.c.fitness_branch_balanced;
    (off_trace * bal / 8).min(bal)
}

/// `compute_frame_penalty`.
pub fn frame_penalty(ids: &Ids) -> i32 {
    ids.c.fitness_initial / (ids.c.max_abstract_frame_depth - 1) + 1
}

/// The value a `_RECORD_*` uop records, from the values read before the instruction ran.
pub fn recorded_value(name: &str, rec: &Recorded) -> Option<Value> {
    let ty = |v: &Option<Value>| v.as_ref().map(|v| Value::Obj(crate::alloc::types().of(v)));
    match name {
        "_RECORD_TOS" => rec.top[0].clone(),
        "_RECORD_NOS" => rec.top[1].clone(),
        "_RECORD_4OS" => rec.top[3].clone(),
        "_RECORD_TOS_TYPE" => ty(&rec.top[0]),
        "_RECORD_NOS_TYPE" => ty(&rec.top[1]),
        "_RECORD_CALLABLE" => rec.callable.clone(),
        "_RECORD_CALLABLE_KW" => rec.callable_kw.clone(),
        "_RECORD_BOUND_METHOD" => rec
            .callable
            .clone()
            .filter(|c| matches!(c.data(), Some(Data::Method(..)))),
        "_RECORD_NOS_GEN_FUNC" => rec.gen_funcs[0].clone(),
        "_RECORD_3OS_GEN_FUNC" => rec.gen_funcs[1].clone(),
        _ => None,
    }
}

/// The function of a generator (what `_RECORD_*_GEN_FUNC` keep).
fn gen_func(v: &Option<Value>) -> Option<Value> {
    match v.as_ref()?.data()? {
        Data::Generator(g) => g.borrow().frame.as_ref().and_then(|f| f.func.clone()),
        _ => None,
    }
}

/// The outcome of translating one instruction.
pub enum Outcome {
    /// Keep recording.
    Continue,
    /// The trace is complete.
    Done,
}

impl Recording {
    fn push(&mut self, op: u16, oparg: u32, operand0: Opnd, target: u32, code: Option<Rc<CodeRt>>) {
        let step = self.cur_step;
        self.buf.push(TUop {
            op,
            oparg,
            target,
            jump: None,
            operand0,
            operand1: 0,
            code,
            step,
            src: u32::MAX,
        });
    }

    fn len(&self) -> i32 {
        self.buf.len() as i32
    }

    fn remaining(&self) -> i32 {
        self.end - self.len()
    }

    /// Translates the instruction recorded last; `next` is where execution went (`None` when
    /// told to stop).
    pub fn translate(
        &mut self,
        ids: &Ids,
        next: Option<&Next>,
        stop: Stop,
        has_executor: &dyn Fn(&Loc) -> bool,
        executor_opcode: &dyn Fn(&Loc) -> Option<u16>,
    ) -> Outcome {
        let prev = self.prev.clone();
        let info = prev.loc.info(ids);
        self.steps.push(Step {
            loc: prev.loc.clone(),
            depth: prev.depth as i32 - self.root_depth as i32,
            opcode: info.opcode,
            key: info.key,
        });
        self.cur_step = self.steps.len() as u32 - 1;
        let code = prev.loc.code().cloned();
        let mut target = info.target;
        let mut oparg = prev.oparg;
        let mut opcode = info.opcode;
        let mut rewind = oparg;
        while rewind > 255 {
            rewind >>= 8;
            target = target.saturating_sub(1);
        }
        if has_executor(&prev.loc) {
            if let Some(og) = executor_opcode(&prev.loc) {
                opcode = og;
                oparg = (oparg & !255) | (oparg & 255);
            }
        }
        let deopt = |op: u16| ids.op_deopt[op as usize & 0xff];
        let caches = |op: u16| ids.op_caches[op as usize & 0xff];
        if caches(opcode) > 0 {
            let c = info.counter;
            if c != ids.cooldown() && c != 0 && !ids.is_pop_jump(opcode) {
                opcode = deopt(opcode);
            }
        }
        let progress_needed = self.chain_depth % ids.c.max_chain_depth == 0;
        let fallthrough = |loc: &Loc| -> Loc {
            // The instruction after `loc` (our instructions have no cache entries in between).
            loc.plus(1)
        };
        let dynamic_jump = ids.op_has(opcode, ids.f.unpredictable_jump)
            && next.is_some_and(|n| !same_loc(&n.loc, &fallthrough(&prev.loc)));
        if progress_needed
            && self.len() < 5
            && (ids.op_has(opcode, ids.f.exit) || ids.op_has(opcode, ids.f.deopt))
        {
            opcode = deopt(opcode);
        }
        if let Some(s) = self.steps.last_mut() {
            s.opcode = opcode;
        }
        let needs_guard_ip = ids.op_has(opcode, ids.f.needs_guard_ip);
        if dynamic_jump && !needs_guard_ip {
            return self.unsupported(ids, target, code);
        }
        match stop {
            Stop::Deopt => return self.unsupported(ids, target, code),
            Stop::ExitTrace => {
                self.push(ids.u.EXIT_TRACE, 0, Opnd::None, target, code.clone());
                return self.done(ids, target, code);
            }
            Stop::No => {}
        }
        let Some(next) = next else {
            return self.unsupported(ids, target, code);
        };
        if next.frame != prev.frame && !needs_guard_ip {
            return self.unsupported(ids, target, code);
        }
        if oparg > 0xFFFF {
            return self.unsupported(ids, target, code);
        }
        if opcode == ids.op.NOP || opcode == ids.op.JUMP_FORWARD || opcode == ids.op.EXTENDED_ARG {
            return Outcome::Continue;
        }
        let eq = if same_loc(&prev.loc, &self.close_loop) {
            ids.c.exit_quality_close_loop
        } else if has_executor(&prev.loc) {
            ids.c.exit_quality_enter_executor
        } else if [
            ids.op.JUMP_BACKWARD_JIT,
            ids.op.JUMP_BACKWARD,
            ids.op.JUMP_BACKWARD_NO_INTERRUPT,
        ]
        .contains(&opcode)
        {
            ids.c.exit_quality_backward_edge
        } else if caches(opcode) > 0 {
            ids.c.exit_quality_specializable
        } else {
            ids.c.exit_quality_default
        };
        if self.fitness < eq {
            self.push(ids.u.EXIT_TRACE, 0, Opnd::None, target, code.clone());
            return self.done(ids, target, code);
        }
        let remaining_before = self.remaining();
        self.end -= 2;
        for f in [ids.f.exit, ids.f.error, ids.f.deopt] {
            if ids.op_has(opcode, f) {
                self.end -= 1;
            }
        }
        if needs_guard_ip {
            self.end -= 1;
        }
        self.push(ids.u.CHECK_VALIDITY, 0, Opnd::None, target, code.clone());
        if !ids.op_has(opcode, ids.f.no_save_ip) {
            self.push(
                ids.u.SET_IP,
                0,
                Opnd::Num(target as u64),
                target,
                code.clone(),
            );
        }
        let o = &ids.op;
        if ids.is_pop_jump(opcode) {
            let jumped = info.counter & 1 == 1;
            let uop = ids.branch_guard(opcode, jumped);
            let Loc::Code(c, i) = &prev.loc else {
                // Branches live in code objects (the shim has none).
                return self.unsupported(ids, target, code);
            };
            let mut not_jumped = *i + 1;
            if c.instrs
                .get(not_jumped)
                .is_some_and(|x| x.op == cpyviz_compiler::op::Op::NOT_TAKEN)
            {
                not_jumped += 1;
            }
            let other = if jumped {
                not_jumped
            } else {
                c.instrs[*i].jump
            };
            let t = prev.loc.target_of(other);
            self.push(uop, 0, Opnd::None, t, code.clone());
            self.fitness -= branch_penalty(ids, info.counter);
        } else if [o.JUMP_BACKWARD_JIT, o.JUMP_BACKWARD_NO_JIT, o.JUMP_BACKWARD].contains(&opcode) {
            self.push(ids.u.CHECK_PERIODIC, 0, Opnd::None, target, code.clone());
        } else if opcode == o.JUMP_BACKWARD_NO_INTERRUPT {
        } else if [o.RESUME, o.RESUME_CHECK, o.RESUME_CHECK_JIT].contains(&opcode) {
            self.push(
                ids.u.TIER2_RESUME_CHECK,
                0,
                Opnd::None,
                target,
                code.clone(),
            );
        } else {
            let expansion = ids.t.expansion(opcode);
            if expansion.is_empty() {
                return self.unsupported(ids, target, code);
            }
            use cpyviz_model::tables::OpargKind as K;
            let orig_oparg = oparg;
            let orig_target = target;
            for step in expansion {
                let mut oparg = orig_oparg;
                let mut t = orig_target;
                let mut uop = step.uop;
                let mut operand = Opnd::None;
                let offset = step.offset as u32 + 1;
                match step.kind {
                    K::Simple => {}
                    K::Cache1 | K::Cache2 | K::Cache4 => {
                        operand = cache_operand(ids, uop, &info, &prev);
                    }
                    K::Top => oparg = orig_oparg >> 4,
                    K::Bottom => oparg = orig_oparg & 0xF,
                    K::SaveReturnOffset => oparg = offset,
                    K::Replaced => {
                        uop = ids.replacement(uop);
                        if uop == ids.u.TIER2_RESUME_CHECK {
                            t = prev.loc.target_of(prev.loc.index() + 1);
                        } else if ids.is_for_iter_test(uop) {
                            if let Loc::Code(c, i) = &prev.loc {
                                // Past the END_FOR the loop's jump targets.
                                t = prev.loc.target_of(c.instrs[*i].jump + 1);
                            }
                        }
                    }
                    K::Operand1_1 | K::Operand1_2 | K::Operand1_4 => {
                        if let Some(last) = self.buf.last_mut() {
                            last.operand1 = operand1_of(ids, uop, &info, &prev);
                        }
                        continue;
                    }
                }
                if uop == ids.u.BINARY_OP_INPLACE_ADD_UNICODE {
                    if let Loc::Code(c, i) = &prev.loc {
                        operand = Opnd::Num(c.instrs.get(i + 1).map_or(0, |x| x.arg) as u64);
                    }
                } else if uop == ids.u.PUSH_FRAME {
                    self.frame_depth += 1;
                    self.fitness -= frame_penalty(ids);
                } else if [
                    ids.u.RETURN_VALUE,
                    ids.u.RETURN_GENERATOR,
                    ids.u.YIELD_VALUE,
                ]
                .contains(&uop)
                {
                    let p = frame_penalty(ids);
                    if self.frame_depth <= 0 {
                        self.fitness -= p / 4;
                    } else {
                        self.fitness += p;
                        self.frame_depth -= 1;
                    }
                } else if ids.uop_has(uop, ids.f.records_value) {
                    operand = match recorded_value(ids.uop_name(uop), &prev.rec) {
                        Some(v) => Opnd::Obj(v),
                        None => Opnd::None,
                    };
                }
                self.push(uop, oparg, operand, t, code.clone());
            }
        }
        if needs_guard_ip {
            let last = self.buf.last().map_or(0, |u| u.op);
            let Some((guard_ip, guard_version)) = ids.frame_guards(last) else {
                // An instruction that changes frames ended with an unexpected uop.
                return self.unsupported(ids, target, code);
            };
            self.push(
                ids.u.RECORD_CODE,
                0,
                match &next.code {
                    Some(c) => Opnd::Code(c.clone()),
                    None => Opnd::Shim,
                },
                0,
                code.clone(),
            );
            self.push(guard_ip, 0, Opnd::None, 0, code.clone());
            if let Some(c) = &next.code {
                if let Some(l) = self.buf.last_mut() {
                    l.operand1 = next.stack_len as u64;
                }
                self.push(guard_version, 0, Opnd::Code(c.clone()), 0, code.clone());
            } else if let Some(l) = self.buf.last_mut() {
                // The `__init__` shim is a code object too.
                l.operand1 = next.stack_len as u64;
                self.push(guard_version, 0, Opnd::Shim, 0, code.clone());
            }
        }
        let first = same_loc(&next.loc, &self.close_loop) || same_loc(&next.loc, &self.start);
        if first && self.len() > 5 {
            if needs_guard_ip {
                self.push(ids.u.SET_IP, 0, Opnd::None, 0, code.clone());
            }
            self.push(ids.u.JUMP_TO_TOP, 0, Opnd::None, 0, code.clone());
            return self.done(ids, target, code);
        }
        let used = remaining_before - self.remaining();
        self.fitness -= used;
        Outcome::Continue
    }

    /// The `unsupported:` path: back to the last `_SET_IP`, which becomes a `_DEOPT`.
    fn unsupported(&mut self, ids: &Ids, target: u32, code: Option<Rc<CodeRt>>) -> Outcome {
        while self.buf.last().is_some_and(|u| u.op != ids.u.SET_IP) && self.len() > 2 {
            self.buf.pop();
        }
        if let Some(last) = self.buf.last_mut() {
            if last.op == ids.u.SET_IP {
                last.op = ids.u.DEOPT;
            }
        }
        self.done(ids, target, code)
    }

    /// The `done:` path: an `_EXIT_TRACE` always follows (the terminator test looks at
    /// register variants, and the trace holds base uops).
    fn done(&mut self, ids: &Ids, target: u32, code: Option<Rc<CodeRt>>) -> Outcome {
        self.push(ids.u.EXIT_TRACE, 0, Opnd::None, target, code);
        Outcome::Done
    }
}

/// Whether two locations are the same instruction.
pub fn same_loc(a: &Loc, b: &Loc) -> bool {
    match (a, b) {
        (Loc::Code(c1, i1), Loc::Code(c2, i2)) => i1 == i2 && Rc::ptr_eq(c1, c2),
        (Loc::Shim(x), Loc::Shim(y)) => x == y,
        _ => false,
    }
}

/// The operand a uop reads from the instruction's inline cache (the parts the optimizer and
/// the shadow look at: versions and keys).
fn cache_operand(ids: &Ids, uop: u16, info: &InstrInfo, prev: &Prev) -> Opnd {
    let name = ids.uop_name(uop);
    match name {
        "_GUARD_TYPE_VERSION"
        | "_GUARD_TYPE_VERSION_LOCKED"
        | "_CHECK_FUNCTION_VERSION"
        | "_CHECK_FUNCTION_VERSION_KW"
        | "_CHECK_METHOD_VERSION"
        | "_CHECK_METHOD_VERSION_KW"
        | "_CHECK_OBJECT"
        | "_CHECK_ATTR_CLASS" => Opnd::Num(info.key & 0xffff_ffff),
        "_GUARD_GLOBALS_VERSION" => Opnd::Num(info.key >> 32),
        "_LOAD_GLOBAL_BUILTINS" => Opnd::Num(info.key & 0xffff_ffff),
        "_LOAD_GLOBAL_MODULE" => Opnd::Num(info.key),
        // The function the new frame runs (`fget/4`, `getattribute/4`), looked up on the
        // owner's type as it was recorded.
        "_LOAD_ATTR_PROPERTY_FRAME" | "_LOAD_ATTR_GETATTRIBUTE_OVERRIDDEN_FRAME" => {
            let f = prev.rec.top[0].as_ref().and_then(|owner| {
                let cls = crate::alloc::types().of(owner);
                if name == "_LOAD_ATTR_GETATTRIBUTE_OVERRIDDEN_FRAME" {
                    return crate::types::lookup(&cls, "__getattribute__");
                }
                let attr = prev
                    .loc
                    .code()?
                    .names
                    .get(info.oparg as usize >> 1)?
                    .clone();
                match crate::types::lookup(&cls, &attr)?.data()? {
                    Data::Property(p) => Some(p.fget.clone()),
                    _ => None,
                }
            });
            match f {
                Some(f) if matches!(f.data(), Some(Data::Function(_))) => Opnd::Obj(f),
                _ => Opnd::None,
            }
        }
        "_GUARD_BINARY_OP_EXTEND" | "_BINARY_OP_EXTEND" => {
            match super::optimize::extend_descr(info.oparg, &prev.rec) {
                Some(d) => Opnd::Extend(d),
                None => Opnd::None,
            }
        }
        _ => Opnd::Num(info.key),
    }
}

/// `operand1` from the cache (`OPERAND1_*` expansion entries).
fn operand1_of(_ids: &Ids, _uop: u16, info: &InstrInfo, _prev: &Prev) -> u64 {
    info.key
}

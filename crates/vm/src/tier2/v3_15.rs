//! CPython 3.15's tier 2: trace recording, the optimizer, register allocation, and the
//! shadow that follows the tier-1 run through the executors.
//!
//! ```text
//! hot JUMP_BACKWARD / RESUME / side exit ──▶ record::Recording (one instruction at a time)
//!        ──▶ optimize (abstract interpretation) ──▶ finish (stack caching, stubs) ──▶ Exec
//! ```
//!
//! - **Triggers**: `JUMP_BACKWARD_JIT` and `RESUME_CHECK_JIT` count down (from
//!   `JUMP_BACKWARD_INITIAL_VALUE` and `RESUME_INITIAL_VALUE`); a side exit's temperature
//!   from `SIDE_EXIT_INITIAL_VALUE`. When one fires, tier 1 goes on running while the
//!   instructions are *recorded* ([`record`]): each one is translated into uops once the next
//!   one shows where it went. The recording stops on the fitness model, when it comes back to
//!   where it started, at another executor, or at something it cannot follow.
//! - **Building**: the recorded uops go through the optimizer ([`optimize`] over the symbols of
//!   [`sym`], [`sigs`] for the uops without a case of their own), then [`finish`] (replicated
//!   uops, register allocation, exit and error stubs). A chain's first executor is inserted at
//!   the instruction the recording started from (`ENTER_EXECUTOR`); a side trace whose chain
//!   depth is not a multiple of `MAX_CHAIN_DEPTH` hangs off the exit that started it.
//! - **Running**: when tier 1 reaches an instruction with an executor, the tracer follows the
//!   run step by step against the executor's recorded path ([`shadow`]): guards are evaluated
//!   on the real values (a specialized form that would miss now, a branch that went the other
//!   way), until an exit is taken. Side exits warm up and get traces of their own.
//! - **Death**: an executor is invalidated when a dict or class it watches changes, or when it
//!   has not run since the last sweep (every `JIT_CLEANUP_THRESHOLD` executors made).

pub mod finish;
pub mod ids;
pub mod optimize;
pub mod record;
pub mod shadow;
pub mod sigs;
pub mod sym;

use super::{Installed, UopIns, WatchEvent};
use crate::code::CodeRt;
use crate::frame::Frame;
use crate::value::{Data, ObjRef, Value};
use crate::Vm;
use cpyviz_compiler::op::Op;
use ids::Ids;
use record::{Next, Outcome, Prev, Recorded, Recording, Step, Stop, Trigger};
use shadow::{ExitKind, Plan};
use std::rc::Rc;

/// Where an instruction is: a code object and instruction index, or an instruction of the
/// `__init__` shim frame (`_Py_InitCleanup`: `EXIT_INIT_CHECK`, then `RETURN_VALUE`).
#[derive(Clone)]
pub enum Loc {
    Code(Rc<CodeRt>, usize),
    Shim(u8),
}

/// A uop's first operand, as far as the model needs it.
#[derive(Clone)]
pub enum Opnd {
    None,
    Num(u64),
    Obj(Value),
    Code(Rc<CodeRt>),
    /// The `__init__` shim's code object.
    Shim,
    Extend(optimize::ExtendDescr),
}

/// A uop of a trace being built (`_PyUOpInstruction` plus what the model keeps with it).
#[derive(Clone)]
pub struct TUop {
    pub op: u16,
    pub oparg: u32,
    pub target: u32,
    pub jump: Option<(u16, u16)>,
    pub operand0: Opnd,
    pub operand1: u64,
    /// The code object `target` is an instruction of.
    pub code: Option<Rc<CodeRt>>,
    /// The recorded instruction (step) the uop comes from (`u32::MAX`: the trace's head, a
    /// stub).
    pub step: u32,
    /// Its index in the recorded trace (`u32::MAX`: added after the recording).
    pub src: u32,
}

/// What an executor depends on (its bloom filter's entries), by address.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Dep {
    /// A watched dict (globals, builtins).
    Dict(usize),
    /// A watched class.
    Type(usize),
}

/// An exit of an executor: which executor, which exit.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ExitRef {
    pub exec: usize,
    pub exit: usize,
}

/// What the optimizer needs from the run: the builtins dict.
pub struct Env {
    pub builtins: ObjRef,
}

fn dict_of(d: &ObjRef) -> Option<&std::cell::RefCell<crate::dict::Dict>> {
    match &d.data {
        Data::Dict(x) => Some(x),
        _ => None,
    }
}

impl Env {
    /// How many times a watched change of `d` happened.
    pub fn mutations(&self, d: &ObjRef) -> u32 {
        dict_of(d).map_or(0, |x| x.borrow().watch_mutations as u32)
    }

    /// `PyDict_Watch`: the next change of `d` is reported.
    pub fn watch(&mut self, d: &ObjRef) {
        if let Some(x) = dict_of(d) {
            x.borrow_mut().watched = true;
        }
    }

    /// The address the watch events name `d` by.
    pub fn dict_id(d: &ObjRef) -> usize {
        dict_of(d).map_or(0, |x| super::dict_id(&x.borrow()))
    }
}

/// One side exit's data (`_PyExitData`).
#[derive(Clone)]
pub struct ExitData {
    /// The stub's index in the executor's uops.
    pub stub: usize,
    pub temperature: u16,
    /// The executor the exit goes to, once linked.
    pub executor: Option<usize>,
    pub is_control_flow: bool,
}

/// An executor.
pub struct Exec {
    /// Where it is inserted (`ENTER_EXECUTOR`), if it is.
    pub at: Option<(Rc<CodeRt>, usize)>,
    pub valid: bool,
    pub warm: bool,
    pub chain_depth: i32,
    /// The final instructions (register variants) and the recorded trace.
    pub uops: Vec<TUop>,
    pub unoptimized: Vec<TUop>,
    /// The recorded instructions, in order.
    pub steps: Vec<Step>,
    pub plan: Plan,
    pub exits: Vec<ExitData>,
    pub deps: Vec<Dep>,
}

/// Where the shadow is in one C-level evaluation loop.
#[derive(Clone, Copy)]
enum State {
    Tier1,
    /// Running executor `exec`; `pos` is the next step expected; `base` the frame depth the
    /// executor started in.
    Tier2 {
        exec: usize,
        pos: usize,
        base: usize,
    },
}

/// One evaluation loop (a Python function called from C starts another).
#[derive(Clone, Copy)]
struct Level {
    min_depth: usize,
    state: State,
}

/// The 3.15 tracer's state for one run.
pub struct Tracer {
    ids: &'static Ids,
    rec: Option<Recording>,
    execs: Vec<Exec>,
    levels: Vec<Level>,
    /// `interp->executor_creation_counter`.
    executor_creation_counter: i64,
    sweep_pending: bool,
}

impl Default for Tracer {
    fn default() -> Self {
        let ids = Ids::get();
        Tracer {
            ids,
            rec: None,
            execs: Vec::new(),
            levels: vec![Level {
                min_depth: 0,
                state: State::Tier1,
            }],
            executor_creation_counter: ids.t.constant("JIT_CLEANUP_THRESHOLD").unwrap_or(1000),
            sweep_pending: false,
        }
    }
}

/// Whether the frame at VM depth `depth` was pushed by its caller's instruction in the same
/// evaluation loop (rather than entered from C).
fn inline_at(vm: &Vm, depth: usize) -> bool {
    depth >= 1 && vm.tier2.frames_inline.get(depth - 1).is_some_and(|f| f.0)
}

/// The serial number of the frame activation at VM depth `depth` (what tells a frame that
/// left to C and came back from one that ran on).
fn activation_at(vm: &Vm, depth: usize) -> usize {
    depth
        .checked_sub(1)
        .and_then(|d| vm.tier2.frames_inline.get(d))
        .map_or(0, |f| f.1 as usize)
}

impl Tracer {
    /// The valid executor inserted at `loc`, if any.
    fn executor_at(&self, loc: &Loc) -> Option<usize> {
        match loc {
            Loc::Code(c, i) => {
                let id = c.slots.borrow().get(*i)?.executor;
                (id != 0 && self.execs[id as usize - 1].valid).then(|| id as usize - 1)
            }
            Loc::Shim(_) => None,
        }
    }

    fn set_state(&mut self, s: State) {
        if let Some(l) = self.levels.last_mut() {
            l.state = s;
        }
    }

    fn state(&self) -> State {
        self.levels.last().map_or(State::Tier1, |l| l.state)
    }

    /// Called before instruction `i` of `frame` runs (the evaluation loop's hook).
    pub fn before(&mut self, vm: &mut Vm, frame: &Frame, i: usize) {
        self.process_events(vm);
        vm.tier2.in_executor = false;
        if frame.code.instrs[i].op == Op::NOT_TAKEN {
            // Skipped by the conditional jump before it: runs in whatever tier that jump ran.
            vm.tier2.in_executor = matches!(self.state(), State::Tier2 { .. });
            return;
        }
        let depth = vm.frames.len();
        let loc = Loc::Code(frame.code.clone(), i);
        if self.rec.is_some() {
            self.record(vm, frame, &loc, depth);
            if self.rec.is_some() {
                return;
            }
        }
        vm.tier2.in_executor = self.follow(vm, frame, &loc, depth);
    }

    /// Follows the run through the executors: whether an executor runs instruction `loc`.
    fn follow(&mut self, vm: &mut Vm, frame: &Frame, loc: &Loc, depth: usize) -> bool {
        let i = loc.index();
        // A few transitions at most per instruction (exit → side executor → its first step).
        for _ in 0..8 {
            while self.levels.len() > 1 && depth < self.levels.last().map_or(0, |l| l.min_depth) {
                self.levels.pop();
            }
            match self.state() {
                State::Tier1 => {
                    let Some(id) = self.executor_at(loc) else {
                        return false;
                    };
                    if self.sweep_pending {
                        // The eval breaker is set: `ENTER_EXECUTOR` stays in tier 1.
                        return false;
                    }
                    self.set_state(State::Tier2 {
                        exec: id,
                        pos: 0,
                        base: depth,
                    });
                }
                State::Tier2 { exec, pos, base } => {
                    if depth < base {
                        // Unwound out of the executor's frame (an exception).
                        self.set_state(State::Tier1);
                        continue;
                    }
                    let e = &self.execs[exec];
                    if let Some(Step {
                        loc: Loc::Shim(_), ..
                    }) = e.steps.get(pos)
                    {
                        // The `__init__` shim's instructions run in the executor only.
                        let next = if pos + 1 == e.steps.len() && e.plan.closes_loop {
                            0
                        } else {
                            pos + 1
                        };
                        self.set_state(State::Tier2 {
                            exec,
                            pos: next,
                            base,
                        });
                        continue;
                    }
                    let Some(step) = e.steps.get(pos) else {
                        self.set_state(State::Tier1);
                        continue;
                    };
                    let here = depth as i64 == base as i64 + step.depth as i64
                        && record::same_loc(&step.loc, loc);
                    if here {
                        match self.run_step(vm, frame, i, exec, pos) {
                            Some(k) => {
                                if self.take_exit(vm, frame, loc, exec, k) {
                                    return false;
                                }
                                continue;
                            }
                            None => return true,
                        }
                    }
                    if depth as i64 > base as i64 + step.depth as i64 {
                        // A function called from C (not inlined): tier 1 in a loop of its own.
                        self.levels.push(Level {
                            min_depth: depth,
                            state: State::Tier1,
                        });
                        continue;
                    }
                    // Control went elsewhere than the trace: an exit of the previous step.
                    let stub = pos
                        .checked_sub(1)
                        .or_else(|| e.steps.len().checked_sub(1).filter(|_| e.plan.closes_loop))
                        .and_then(|p| self.stub_to(exec, p, loc));
                    match stub {
                        Some(k) => {
                            if self.take_exit(vm, frame, loc, exec, k) {
                                return false;
                            }
                        }
                        None => self.set_state(State::Tier1),
                    }
                }
            }
        }
        self.set_state(State::Tier1);
        false
    }

    /// Runs step `pos` of executor `exec` (tier 1 is at instruction `i` of `frame`): the stub
    /// (or body exit) it leaves through, or `None` when the executor runs the instruction.
    fn run_step(
        &mut self,
        vm: &mut Vm,
        frame: &Frame,
        i: usize,
        exec: usize,
        pos: usize,
    ) -> Option<usize> {
        let ids = self.ids;
        let (mut warm, mut periodic, mut validity, mut terminal) = (pos == 0, false, false, None);
        let e = &self.execs[exec];
        for &k in &e.plan.step_uops[pos] {
            let b = finish::base(ids, e.uops[k].op);
            warm |= b == ids.u.MAKE_WARM;
            periodic |= b == ids.u.CHECK_PERIODIC || b == ids.u.TIER2_RESUME_CHECK;
            validity |= b == ids.u.CHECK_VALIDITY;
            if terminal.is_none() && shadow::exit_kind(ids, e.uops[k].op).is_some() {
                terminal = Some(k);
            }
        }
        if warm {
            self.make_warm(exec);
        }
        if periodic && self.sweep_pending {
            self.sweep();
        }
        let e = &self.execs[exec];
        if validity && !e.valid {
            // `_CHECK_VALIDITY` deopts: tier 1 runs this instruction.
            return e.plan.step_uops[pos]
                .iter()
                .copied()
                .find(|&k| finish::base(ids, e.uops[k].op) == ids.u.CHECK_VALIDITY)
                .and_then(|k| e.uops[k].jump.map(|(j, _)| j as usize));
        }
        if let Some(k) = terminal {
            return Some(k);
        }
        let step = &e.steps[pos];
        if let Some(form) = ids.t.opcode_name(step.opcode) {
            if crate::specialize::form_misses(vm, frame, i, form, step.key) {
                if let Some(k) = self.guard_stub(exec, pos) {
                    return Some(k);
                }
            }
        }
        let e = &self.execs[exec];
        let mut next = pos + 1;
        if next == e.steps.len() && e.plan.closes_loop {
            next = 0;
        }
        if let State::Tier2 { base, .. } = self.state() {
            self.set_state(State::Tier2 {
                exec,
                pos: next,
                base,
            });
        }
        None
    }

    /// The stub of the first guard of step `pos` that checks the instruction's operands.
    fn guard_stub(&self, exec: usize, pos: usize) -> Option<usize> {
        let ids = self.ids;
        let e = &self.execs[exec];
        e.plan.step_uops[pos].iter().find_map(|&k| {
            let u = &e.uops[k];
            let b = finish::base(ids, u.op);
            let skip = [
                ids.u.CHECK_VALIDITY,
                ids.u.CHECK_PERIODIC,
                ids.u.TIER2_RESUME_CHECK,
                ids.u.START_EXECUTOR,
            ];
            if skip.contains(&b) || !ids.uop_has(b, ids.f.exit | ids.f.deopt) {
                return None;
            }
            u.jump.map(|(j, _)| j as usize)
        })
    }

    /// The stub of a guard of step `pos` whose exit goes to `to` (control left the trace
    /// there).
    fn stub_to(&self, exec: usize, pos: usize, to: &Loc) -> Option<usize> {
        let ids = self.ids;
        let Loc::Code(code, i) = to else { return None };
        let e = &self.execs[exec];
        e.plan.step_uops.get(pos)?.iter().find_map(|&k| {
            let u = &e.uops[k];
            let b = finish::base(ids, u.op);
            if !ids.uop_has(b, ids.f.exit | ids.f.deopt) || b == ids.u.CHECK_VALIDITY {
                return None;
            }
            let (j, _) = u.jump?;
            let s = e.uops.get(j as usize)?;
            if shadow::exit_kind(ids, s.op) == Some(ExitKind::Dynamic) {
                return Some(j as usize);
            }
            let same_code = s.code.as_ref().is_some_and(|c| Rc::ptr_eq(c, code));
            (same_code && code.index_at(s.target * 2) == *i).then_some(j as usize)
        })
    }

    /// Leaves executor `exec` through uop `k` (a stub or the body's own exit), tier 1 being at
    /// `loc`. Whether the instruction then runs in tier 1 (`false`: the shadow goes on with
    /// another executor, to be matched again).
    fn take_exit(&mut self, vm: &Vm, frame: &Frame, loc: &Loc, exec: usize, k: usize) -> bool {
        let ids = self.ids;
        let kind = shadow::exit_kind(ids, self.execs[exec].uops[k].op);
        let exit = self.execs[exec].exits.iter().position(|x| x.stub == k);
        let (Some(ExitKind::Side), Some(x)) = (kind, exit) else {
            // A deopt or a dynamic exit: tier 1 from here (`ENTER_EXECUTOR` included).
            self.set_state(State::Tier1);
            return matches!(kind, Some(ExitKind::Deopt)) || self.executor_at(loc).is_none();
        };
        let data = self.execs[exec].exits[x].clone();
        if let Some(side) = data.executor.filter(|&s| self.execs[s].valid) {
            self.enter(vm, side);
            return false;
        }
        // `_COLD_EXIT`: an executor at the target is linked; otherwise the exit warms up.
        if let Some(there) = self.executor_at(loc) {
            self.execs[exec].exits[x].executor = Some(there);
            self.enter(vm, there);
            return false;
        }
        let f = crate::specialize::facts(vm.version);
        if !f.triggers(data.temperature) {
            self.execs[exec].exits[x].temperature = f.advance(data.temperature);
            self.set_state(State::Tier1);
            return true;
        }
        let chain_depth = self.execs[exec].chain_depth + !data.is_control_flow as i32;
        let trigger = Trigger::Exit(ExitRef { exec, exit: x });
        self.start_recording(vm, frame, loc, loc, loc, chain_depth, trigger);
        self.execs[exec].exits[x].temperature = f.restart(data.temperature);
        self.set_state(State::Tier1);
        true
    }

    /// Goes on with executor `id` from its start, at the current frame depth.
    fn enter(&mut self, vm: &Vm, id: usize) {
        self.set_state(State::Tier2 {
            exec: id,
            pos: 0,
            base: vm.frames.len(),
        });
    }

    /// `_MAKE_WARM` (3.15 counts executors made towards the next sweep, not their runs).
    fn make_warm(&mut self, id: usize) {
        self.execs[id].warm = true;
    }

    /// `_Py_Executors_InvalidateCold`: executors that did not run since the last sweep die.
    fn sweep(&mut self) {
        self.sweep_pending = false;
        self.executor_creation_counter =
            self.ids.t.constant("JIT_CLEANUP_THRESHOLD").unwrap_or(1000);
        for id in 0..self.execs.len() {
            if !self.execs[id].valid {
                continue;
            }
            if self.execs[id].warm {
                self.execs[id].warm = false;
            } else {
                self.invalidate(id);
            }
        }
    }

    /// A recording sees instruction `loc`: translates the previous one, then records this one
    /// (or stops).
    fn record(&mut self, vm: &mut Vm, frame: &Frame, loc: &Loc, depth: usize) {
        let ids = self.ids;
        let fid = activation_at(vm, depth);
        let Some(rec) = self.rec.as_ref() else { return };
        let (pdepth, _, pinline) = (rec.prev.depth, rec.prev.frame, rec.prev.inline);
        // Frames run by C code under the traced one are not traced (a nested evaluation loop).
        if depth > pdepth && !(depth == pdepth + 1 && inline_at(vm, depth)) {
            return;
        }
        if depth + 1 == pdepth && pinline && returns_from_init(&rec.prev.loc, loc) {
            // `__init__` returned to the shim frame CPython runs it under (`EXIT_INIT_CHECK`,
            // `RETURN_VALUE`), which the VM has not: its two instructions are recorded here.
            if !self.record_init_shim(vm, pdepth) {
                return;
            }
        }
        let Some(rec) = self.rec.as_ref() else { return };
        let (pdepth, pframe, pinline) = (rec.prev.depth, rec.prev.frame, rec.prev.inline);
        let left_to_c = (depth < pdepth && !pinline)
            || (depth == pdepth && fid != pframe)
            || depth + 1 < pdepth;
        let next = Next {
            loc: loc.clone(),
            frame: fid,
            depth,
            code: Some(frame.code.clone()),
            stack_len: frame.stack.len(),
        };
        let execs = &self.execs;
        let exec_at = |l: &Loc| match l {
            Loc::Code(c, i) => {
                let id = c.slots.borrow().get(*i).map_or(0, |s| s.executor);
                (id != 0 && execs[id as usize - 1].valid).then(|| id as usize - 1)
            }
            Loc::Shim(_) => None,
        };
        let has_exec = |l: &Loc| exec_at(l).is_some();
        let og = |l: &Loc| exec_at(l).map(|_| l.info(ids).opcode);
        let here_exec = exec_at(loc);
        let Some(rec) = self.rec.as_mut() else { return };
        let stop_opcode = {
            let op = loc.info(ids).opcode;
            [
                ids.op.CLEANUP_THROW,
                ids.op.PUSH_EXC_INFO,
                ids.op.WITH_EXCEPT_START,
                ids.op.RERAISE,
            ]
            .contains(&op)
        };
        let outcome = if left_to_c {
            // The traced frame returned or yielded to C: the next instruction is the entry
            // frame's `INTERPRETER_EXIT`.
            rec.translate(ids, None, Stop::Deopt, &has_exec, &og)
        } else if stop_opcode {
            rec.translate(ids, Some(&next), Stop::Deopt, &has_exec, &og)
        } else {
            let o = rec.translate(ids, Some(&next), Stop::No, &has_exec, &og);
            if let Outcome::Continue = o {
                // `TRACE_RECORD` for this instruction.
                let arg = frame.code.instrs[loc.index()].arg;
                rec.prev = Prev {
                    loc: loc.clone(),
                    oparg: arg,
                    frame: fid,
                    depth,
                    inline: inline_at(vm, depth),
                    rec: Recorded::read(&frame.stack, arg),
                };
                match here_exec {
                    Some(_) if loc.info(ids).opcode != ids.op.RESUME_CHECK_JIT => {
                        rec.translate(ids, None, Stop::ExitTrace, &|_| true, &og)
                    }
                    Some(_) => Outcome::Continue,
                    None => {
                        reset_counter(ids, loc);
                        Outcome::Continue
                    }
                }
            } else {
                o
            }
        };
        if let Outcome::Done = outcome {
            self.stop_recording(vm);
        }
    }

    /// Records the `__init__` shim's instructions after `__init__` returned (its frame was at
    /// VM depth `depth`); whether the recording goes on.
    fn record_init_shim(&mut self, vm: &mut Vm, depth: usize) -> bool {
        let ids = self.ids;
        // A frame number no activation has (the shim frame is not a VM frame).
        let shim = usize::MAX - depth;
        for k in 0..2u8 {
            let Some(rec) = self.rec.as_mut() else {
                return false;
            };
            let next = Next {
                loc: Loc::Shim(k),
                frame: shim,
                depth,
                code: None,
                // `self` and `__init__`'s result, then `self` alone.
                stack_len: 2 - k as usize,
            };
            if let Outcome::Done = rec.translate(ids, Some(&next), Stop::No, &|_| false, &|_| None)
            {
                self.stop_recording(vm);
                return false;
            }
            rec.prev = Prev {
                loc: Loc::Shim(k),
                oparg: 0,
                frame: shim,
                depth,
                inline: true,
                rec: Recorded::default(),
            };
        }
        true
    }

    /// Ends the recording: optimizes, builds and installs the executor, resets the counter
    /// that started it (`_PyJit_FinalizeTracing`).
    fn stop_recording(&mut self, vm: &mut Vm) {
        let Some(rec) = self.rec.take() else { return };
        let ids = self.ids;
        let f = crate::specialize::facts(vm.version);
        let made = self.optimize_and_install(vm, &rec);
        match &rec.trigger {
            Trigger::JumpBackward(c, i) | Trigger::Resume(c, i) => {
                let initial = if matches!(rec.trigger, Trigger::JumpBackward(..)) {
                    ids.c.jump_backward_initial
                } else {
                    ids.c.resume_initial
                };
                let mut slots = c.slots.borrow_mut();
                let s = &mut slots[*i];
                s.counter = if made {
                    ids.counter(initial)
                } else {
                    f.restart(s.counter)
                };
            }
            Trigger::Exit(x) => {
                if made && self.execs[x.exec].valid {
                    self.execs[x.exec].exits[x.exit].temperature =
                        ids.counter(ids.c.side_exit_initial);
                }
            }
        }
    }

    /// `uop_optimize` and `_PyOptimizer_Optimize`: whether an executor was made.
    fn optimize_and_install(&mut self, vm: &mut Vm, rec: &Recording) -> bool {
        let ids = self.ids;
        if rec.buf.len() <= 5 {
            return false;
        }
        if let Trigger::Exit(x) = &rec.trigger {
            if !self.execs[x.exec].valid {
                return false;
            }
        }
        let progress_needed = rec.chain_depth % ids.c.max_chain_depth == 0;
        let Loc::Code(code, start) = &rec.start else {
            return false;
        };
        let mut recorded = rec.buf.clone();
        for (k, u) in recorded.iter_mut().enumerate() {
            u.src = k as u32;
        }
        let mut env = Env {
            builtins: vm.builtins.clone(),
        };
        let root = optimize::Root {
            code: &rec.code,
            func: rec.func.as_ref(),
            globals: &rec.globals,
            stack_depth: rec.stack_depth,
        };
        let Some((mut out, deps)) = optimize::optimize_uops(ids, &recorded, &root, &mut env) else {
            return false;
        };
        optimize::remove_unneeded_uops(ids, &mut out);
        if out.is_empty() {
            return false;
        }
        let uops = finish::finish(ids, out);
        let exits: Vec<ExitData> = uops
            .iter()
            .enumerate()
            .filter(|(_, u)| {
                matches!(
                    shadow::exit_kind(ids, u.op),
                    Some(ExitKind::Side | ExitKind::Dynamic)
                )
            })
            .map(|(k, u)| ExitData {
                stub: k,
                temperature: ids.counter(ids.c.side_exit_initial),
                executor: None,
                is_control_flow: u.operand1 == 1,
            })
            .collect();
        let plan = Plan::new(ids, &uops, &rec.steps);
        // Every `JIT_CLEANUP_THRESHOLD` executors made, the cold ones are swept.
        self.executor_creation_counter -= 1;
        if self.executor_creation_counter == 0 {
            self.sweep_pending = true;
        }
        let id = self.execs.len();
        self.execs.push(Exec {
            at: None,
            valid: true,
            warm: true,
            chain_depth: rec.chain_depth % ids.c.max_chain_depth,
            uops,
            unoptimized: recorded,
            steps: rec.steps.clone(),
            plan,
            exits,
            deps,
        });
        if progress_needed {
            let old = code.slots.borrow()[*start].executor;
            if old != 0 {
                self.execs[old as usize - 1].at = None;
            }
            code.slots.borrow_mut()[*start].executor = id as u32 + 1;
            self.execs[id].at = Some((code.clone(), *start));
        }
        if let Trigger::Exit(x) = &rec.trigger {
            self.execs[x.exec].exits[x.exit].executor = Some(id);
        }
        vm.tier2.watching = true;
        true
    }

    /// `_PyJit_TryInitializeTracing`: starts recording at `curr` (the executor will be inserted
    /// at `start`; the trace closes its loop at `close_loop`).
    #[allow(clippy::too_many_arguments)]
    fn start_recording(
        &mut self,
        vm: &Vm,
        frame: &Frame,
        curr: &Loc,
        start: &Loc,
        close_loop: &Loc,
        chain_depth: i32,
        trigger: Trigger,
    ) -> bool {
        if self.rec.is_some() {
            return false;
        }
        let oparg = match curr {
            Loc::Code(c, i) => c.instrs[*i].arg,
            Loc::Shim(_) => 0,
        };
        if oparg > 0xFFFF {
            return false;
        }
        let ids = self.ids;
        let depth = vm.frames.len();
        let start_target = start.info(ids).target;
        let head = |op: u16, target: u32| TUop {
            op,
            oparg: 0,
            target,
            jump: None,
            operand0: Opnd::None,
            operand1: 0,
            code: start.code().cloned(),
            step: u32::MAX,
            src: u32::MAX,
        };
        self.rec = Some(Recording {
            trigger,
            start: start.clone(),
            close_loop: close_loop.clone(),
            code: frame.code.clone(),
            func: frame.func.clone(),
            globals: frame.globals.clone(),
            chain_depth,
            stack_depth: frame.stack.len(),
            prev: Prev {
                loc: curr.clone(),
                oparg,
                frame: activation_at(vm, depth),
                depth,
                inline: inline_at(vm, depth),
                rec: Recorded::read(&frame.stack, oparg),
            },
            fitness: ids.c.fitness_initial,
            frame_depth: 0,
            buf: vec![
                head(ids.u.START_EXECUTOR, start_target),
                head(ids.u.MAKE_WARM, 0),
            ],
            end: ids.c.uop_max_trace_length,
            steps: Vec::new(),
            root_depth: depth,
            cur_step: u32::MAX,
        });
        true
    }

    /// Called when a `JUMP_BACKWARD` (`JUMP_BACKWARD_JIT`) or a `RESUME` runs in tier 1.
    pub fn hot_spot(&mut self, vm: &mut Vm, frame: &Frame, i: usize) {
        self.process_events(vm);
        if vm.tier2.in_executor {
            return;
        }
        if self.sweep_pending {
            self.sweep();
        }
        let ids = self.ids;
        let f = crate::specialize::facts(vm.version);
        let code = frame.code.clone();
        let ins = &code.instrs[i];
        let (form, executions) = {
            let s = &code.slots.borrow()[i];
            (s.form, s.history.executions)
        };
        let is_resume = ins.op == Op::RESUME;
        if is_resume {
            if form != "RESUME_CHECK_JIT" {
                return;
            }
            if executions == 1 {
                code.slots.borrow_mut()[i].counter = ids.counter(ids.c.resume_initial);
            }
        } else if form != "JUMP_BACKWARD_JIT" {
            return;
        }
        let counter = code.slots.borrow()[i].counter;
        let this = Loc::Code(code.clone(), i);
        let next = if is_resume {
            Loc::Code(code.clone(), i + 1)
        } else {
            Loc::Code(code.clone(), ins.jump)
        };
        if !f.triggers(counter) || self.rec.is_some() || self.executor_at(&next).is_some() {
            code.slots.borrow_mut()[i].counter = f.advance(counter);
            return;
        }
        let close = if is_resume { this.clone() } else { next };
        let trigger = if is_resume {
            Trigger::Resume(code.clone(), i)
        } else {
            Trigger::JumpBackward(code.clone(), i)
        };
        if self.start_recording(vm, frame, &this, &this, &close, 0, trigger) {
            vm.tier2.watching = true;
        } else {
            code.slots.borrow_mut()[i].counter = f.restart(counter);
        }
    }

    /// The executors in code at the end of the run.
    pub fn installed(&self) -> Vec<Installed> {
        let ids = self.ids;
        self.execs
            .iter()
            .filter(|e| e.valid)
            .filter_map(|e| {
                let (code, index) = e.at.clone()?;
                Some(Installed {
                    code,
                    index,
                    valid: e.valid,
                    uops: to_ins(ids, &e.uops, &e.steps),
                    unoptimized: to_ins(ids, &e.unoptimized, &e.steps),
                })
            })
            .collect()
    }

    /// Applies the dict and class watchers that fired since the last look.
    fn process_events(&mut self, vm: &Vm) {
        let events = super::take_events();
        if events.is_empty() {
            return;
        }
        let builtins = Env::dict_id(&vm.builtins);
        for ev in events {
            for id in 0..self.execs.len() {
                let hit = match ev {
                    // The builtins watcher invalidates everything (a rare event).
                    WatchEvent::Dict(d) if d == builtins => true,
                    WatchEvent::Dict(d) => self.execs[id].deps.contains(&Dep::Dict(d)),
                    WatchEvent::Type(t) => self.execs[id].deps.contains(&Dep::Type(t)),
                };
                if hit {
                    self.invalidate(id);
                }
            }
        }
    }

    /// `executor_clear`: the executor is no longer valid and leaves its code object.
    fn invalidate(&mut self, k: usize) {
        let e = &mut self.execs[k];
        if !e.valid {
            return;
        }
        e.valid = false;
        for x in e.exits.iter_mut() {
            x.executor = None;
        }
        if let Some((code, i)) = e.at.take() {
            let mut slots = code.slots.borrow_mut();
            if slots[i].executor == k as u32 + 1 {
                slots[i].executor = 0;
            }
        }
    }
}

/// Whether control going from `prev` (a `RETURN_VALUE`) to `next` is `__init__` returning to
/// the `CALL_ALLOC_AND_ENTER_INIT` that called it.
fn returns_from_init(prev: &Loc, next: &Loc) -> bool {
    let (Loc::Code(pc, pi), Loc::Code(nc, ni)) = (prev, next) else {
        return false;
    };
    pc.instrs[*pi].op == Op::RETURN_VALUE
        && ni
            .checked_sub(1)
            .and_then(|k| nc.slots.borrow().get(k).map(|s| s.form))
            == Some("CALL_ALLOC_AND_ENTER_INIT")
}

/// The first cache entry of an instruction about to run while recording: set to "trigger"
/// (so that it specializes now), except the conditional jumps' branch history.
fn reset_counter(ids: &Ids, loc: &Loc) {
    if let Loc::Code(c, i) = loc {
        let op = loc.info(ids).opcode;
        let deopt = ids.op_deopt[op as usize & 0xff];
        if ids.op_caches[deopt as usize & 0xff] > 0 && !ids.is_pop_jump(op) {
            c.slots.borrow_mut()[*i].counter = 0;
        }
    }
}

fn to_ins(ids: &Ids, uops: &[TUop], steps: &[Step]) -> Vec<UopIns> {
    uops.iter()
        .map(|u| {
            let mut x = UopIns::new(finish::base(ids, u.op), u.oparg, u.target, u.code.clone());
            x.jump = u.jump;
            x.operand0 = match &u.operand0 {
                Opnd::Num(n) => *n,
                Opnd::Obj(v) => v.id() as u64,
                Opnd::Code(c) => Rc::as_ptr(c) as u64,
                Opnd::None | Opnd::Shim | Opnd::Extend(_) => 0,
            };
            x.operand1 = u.operand1;
            x.src = u.src;
            if let Some(Step {
                loc: Loc::Code(c, i),
                ..
            }) = steps.get(u.step as usize)
            {
                x.code = Some(c.clone());
                x.origin = *i as u32;
            }
            x
        })
        .collect()
}

//! CPython 3.15's tier 2: trace recording, the optimizer, register allocation, and the
//! shadow that follows the tier-1 run through the executors.
//!
//! ```text
//! hot JUMP_BACKWARD / RESUME / side exit ──▶ record::Recording (one instruction at a time)
//!        ──▶ optimize (abstract interpretation) ──▶ finish (stack caching, stubs) ──▶ Exec
//! ```
//!
//! Executors are inserted at the instruction the recording started from (`ENTER_EXECUTOR`);
//! a side trace whose chain depth is not a multiple of `MAX_CHAIN_DEPTH` hangs off the exit
//! instead. When tier 1 reaches an instruction with an executor, the tracer follows the run
//! step by step against the executor's recorded path, evaluating its guards on the real
//! values, until an exit is taken; exits warm up and get traces of their own.
//!
//! Modules: [`ids`] (opcode and uop numbers and metadata), [`record`] (recording and
//! translation), [`sym`] and [`optimize`] (the optimizer), [`sigs`] (stack signatures for
//! the optimizer's default case), [`finish`] (fix-up, `stack_allocate`,
//! `prepare_for_execution`), [`shadow`] (guards evaluated on the real stack).

pub mod finish;
pub mod ids;
pub mod optimize;
pub mod record;
pub mod shadow;
pub mod sigs;
pub mod sym;

use super::{Installed, UopIns};
use crate::code::CodeRt;
use crate::frame::Frame;
use crate::value::{ObjRef, Value};
use crate::Vm;
use cpyviz_compiler::op::Op;
use ids::Ids;
use record::{Next, Outcome, Prev, Recorded, Recording, Step, Stop, Trigger};
use std::collections::HashMap;
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
    /// The recorded instruction the uop comes from (`u32::MAX`: the trace's head).
    pub step: u32,
}

/// What an executor depends on (its bloom filter's entries).
#[derive(Clone)]
pub enum Dep {
    /// A watched dict (globals, builtins).
    Dict(ObjRef),
    /// A watched type, at the version it had.
    Type(ObjRef, u32),
    Func(Value),
    Code(Rc<CodeRt>),
}

/// An exit of an executor: which executor, which exit.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ExitRef {
    pub exec: usize,
    pub exit: usize,
}

/// What the optimizer needs from the run: the builtins dict and the dict watchers.
pub struct Env {
    pub builtins: ObjRef,
    /// Watched dicts (by address): whether watched now, and how many times the watcher fired.
    pub dicts: HashMap<usize, (bool, u32)>,
    pub builtin_modifications: u32,
}

impl Env {
    pub fn mutations(&self, d: &ObjRef) -> u32 {
        self.dicts.get(&(Rc::as_ptr(d) as usize)).map_or(0, |x| x.1)
    }

    pub fn watch(&mut self, d: &ObjRef) {
        self.dicts.entry(Rc::as_ptr(d) as usize).or_insert((false, 0)).0 = true;
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
    pub is_dynamic: bool,
    pub is_control_flow: bool,
}

/// An executor.
pub struct Exec {
    /// Where it is inserted (`ENTER_EXECUTOR`), if it is.
    pub at: Option<(Rc<CodeRt>, usize)>,
    pub valid: bool,
    pub chain_depth: i32,
    /// The final instructions (register variants) and the recorded trace finished without
    /// the optimizer.
    pub uops: Vec<TUop>,
    pub unoptimized: Vec<TUop>,
    /// The recorded instructions and, per instruction, the checks that can leave.
    pub steps: Vec<Step>,
    pub plan: shadow::Plan,
    pub exits: Vec<ExitData>,
    pub deps: Vec<Dep>,
    /// The instruction the executor replaced (`vm_data.opcode`).
    pub og_opcode: u16,
}

/// An executor being followed: the next recorded instruction expected, and the frame depth
/// of the executor's first frame.
#[derive(Clone)]
struct Active {
    exec: usize,
    pos: usize,
    base_depth: usize,
    /// An exit decided at the previous instruction, taken at the next one.
    pending: Option<shadow::Leave>,
}

/// The 3.15 tracer's state for one run.
pub struct Tracer {
    ids: &'static Ids,
    rec: Option<Recording>,
    pub execs: Vec<Exec>,
    /// Executors in code: (code address, instruction index) → executor.
    enter: HashMap<(usize, usize), usize>,
    shadow: Vec<Active>,
    env: Option<Env>,
    /// The frame of the instruction seen last, per depth (for telling frames apart).
    last_frame: usize,
}

impl Default for Tracer {
    fn default() -> Self {
        Tracer {
            ids: Ids::get(),
            rec: None,
            execs: Vec::new(),
            enter: HashMap::new(),
            shadow: Vec::new(),
            env: None,
            last_frame: 0,
        }
    }
}

fn code_key(c: &Rc<CodeRt>) -> usize {
    Rc::as_ptr(c) as usize
}

/// Whether the frame at VM depth `depth` was pushed by its caller's instruction in the same
/// evaluation loop (rather than entered from C).
fn inline_at(vm: &Vm, depth: usize) -> bool {
    depth >= 1 && vm.tier2.frames_inline.get(depth - 1).copied().unwrap_or(false)
}

impl Tracer {
    fn env(&mut self, vm: &Vm) -> &mut Env {
        self.env.get_or_insert_with(|| Env {
            builtins: vm.builtins.clone(),
            dicts: HashMap::new(),
            builtin_modifications: 0,
        })
    }

    /// The executor at `loc`, if one is inserted there.
    fn executor_at(&self, loc: &Loc) -> Option<usize> {
        match loc {
            Loc::Code(c, i) => self.enter.get(&(code_key(c), *i)).copied(),
            Loc::Shim(_) => None,
        }
    }

    /// Called before instruction `i` of `frame` runs (the evaluation loop's hook).
    pub fn before(&mut self, vm: &mut Vm, frame: &Frame, i: usize) {
        let code = &frame.code;
        let ins = &code.instrs[i];
        if ins.op == Op::NOT_TAKEN {
            // Skipped by the conditional jump before it in 3.15: runs in whatever tier that
            // jump ran in.
            return;
        }
        let depth = vm.frames.len();
        let fid = frame as *const Frame as usize;
        let loc = Loc::Code(code.clone(), i);
        vm.tier2.in_executor = false;
        // 1. An executor being followed.
        if !self.shadow.is_empty() {
            if self.follow(vm, frame, &loc, depth) {
                vm.tier2.in_executor = true;
                self.last_frame = fid;
                return;
            }
        }
        // 2. A recording.
        if self.rec.is_some() {
            self.record(vm, frame, &loc, depth, fid);
        }
        // 3. Entering an executor.
        if self.rec.is_none() {
            if let Some(e) = self.executor_at(&loc) {
                if self.enter_executor(vm, frame, e, &loc, depth) {
                    vm.tier2.in_executor = true;
                }
            }
        }
        self.last_frame = fid;
    }

    /// A recording sees instruction `loc`: translates the previous one, then records this one
    /// (or stops).
    fn record(&mut self, vm: &mut Vm, frame: &Frame, loc: &Loc, depth: usize, fid: usize) {
        let ids = self.ids;
        let (pdepth, pframe, just_started) = {
            let r = self.rec.as_ref().expect("recording");
            (r.prev.depth, r.prev.frame, r.steps.is_empty() && r.buf.len() == 2 && r.prev.frame == usize::MAX)
        };
        let _ = just_started;
        // Frames run by C code under the traced one are not traced (a nested evaluation loop).
        if depth > pdepth && !(depth == pdepth + 1 && inline_at(vm, depth)) {
            return;
        }
        let left_to_c = (depth < pdepth && !inline_at(vm, pdepth))
            || (depth == pdepth && fid != pframe)
            || depth + 1 < pdepth;
        let next = Next {
            loc: loc.clone(),
            frame: fid,
            depth,
            code: Some(frame.code.clone()),
            stack_len: frame.stack.len(),
        };
        let has_exec = |l: &Loc| self.executor_at(l).is_some();
        let og = |l: &Loc| self.executor_at(l).map(|e| self.execs[e].og_opcode);
        let rec = self.rec.as_mut().expect("recording");
        let stop_opcode = {
            let op = loc.info(ids).opcode;
            [ids.op.CLEANUP_THROW, ids.op.PUSH_EXC_INFO, ids.op.WITH_EXCEPT_START, ids.op.RERAISE]
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
                    rec: Recorded::read(&frame.stack, arg),
                };
                if let Some(e) = self.executor_at(loc) {
                    let og = self.execs[e].og_opcode;
                    if og != ids.op.RESUME_CHECK_JIT {
                        let rec = self.rec.as_mut().expect("recording");
                        let o = rec.translate(ids, None, Stop::ExitTrace, &|_| true, &|_| Some(og));
                        self.stop_recording(vm, o);
                        return;
                    }
                } else {
                    reset_counter(ids, loc);
                }
            }
            o
        };
        if let Outcome::Done = outcome {
            self.stop_recording(vm, outcome);
        }
    }

    /// Ends the recording: optimizes, builds and installs the executor, resets the counter
    /// that started it (`_PyJit_FinalizeTracing`).
    fn stop_recording(&mut self, vm: &mut Vm, _o: Outcome) {
        let Some(rec) = self.rec.take() else { return };
        let ids = self.ids;
        let ok = self.optimize_and_install(vm, &rec);
        match &rec.trigger {
            Trigger::JumpBackward(c, i) | Trigger::Resume(c, i) => {
                let mut slots = c.slots.borrow_mut();
                let s = &mut slots[*i];
                if !ok {
                    s.counter = ids.restart(s.counter);
                } else if matches!(rec.trigger, Trigger::JumpBackward(..))
                    && self.executor_at(&Loc::Code(c.clone(), *i)).is_none()
                {
                    s.counter = ids.counter(ids.c.jump_backward_initial);
                } else {
                    s.counter = ids.counter(ids.c.resume_initial);
                }
            }
            Trigger::Exit(x) => {
                if self.execs[x.exec].valid {
                    let e = &mut self.execs[x.exec].exits[x.exit];
                    e.temperature = if ok {
                        ids.counter(ids.c.side_exit_initial)
                    } else {
                        ids.restart(e.temperature)
                    };
                }
            }
        }
    }

    /// `uop_optimize` and `_PyOptimizer_Optimize`: whether an executor was made.
    fn optimize_and_install(&mut self, vm: &mut Vm, rec: &Recording) -> bool {
        let ids = self.ids;
        let length = rec.buf.len();
        if length <= 5 {
            return false;
        }
        if let Trigger::Exit(x) = &rec.trigger {
            if !self.execs[x.exec].valid {
                return false;
            }
        }
        let progress_needed = rec.chain_depth % ids.c.max_chain_depth == 0;
        let start = match &rec.start {
            Loc::Code(c, i) => (c.clone(), *i),
            Loc::Shim(_) => return false,
        };
        let _ = &vm;
        let env = self.env(vm) as *mut Env;
        // SAFETY-free alternative: take the env out while optimizing.
        let _ = env;
        let mut env = self.env.take().expect("env");
        let optimized = optimize::optimize_uops(ids, &rec.buf, rec.func.as_ref(), rec.stack_depth, &mut env);
        self.env = Some(env);
        let Some((mut out, deps)) = optimized else {
            return false;
        };
        optimize::remove_unneeded_uops(ids, &mut out);
        if out.is_empty() {
            return false;
        }
        let uops = finish::finish(ids, out);
        let unoptimized = finish::finish(ids, rec.buf.clone());
        let exits: Vec<ExitData> = uops
            .iter()
            .enumerate()
            .filter(|(_, u)| {
                let b = finish::base(ids, u.op);
                b == ids.u.EXIT_TRACE || b == ids.u.DYNAMIC_EXIT
            })
            .map(|(k, u)| ExitData {
                stub: k,
                temperature: ids.counter(ids.c.side_exit_initial),
                executor: None,
                is_dynamic: finish::base(ids, u.op) == ids.u.DYNAMIC_EXIT,
                is_control_flow: u.operand1 == 1,
            })
            .collect();
        let og_opcode = Loc::Code(start.0.clone(), start.1).info(ids).opcode;
        let plan = shadow::Plan::new(ids, &uops, &rec.steps, &rec.start);
        let id = self.execs.len();
        let existing = self.executor_at(&Loc::Code(start.0.clone(), start.1));
        self.execs.push(Exec {
            at: None,
            valid: true,
            chain_depth: rec.chain_depth % ids.c.max_chain_depth,
            uops,
            unoptimized,
            steps: rec.steps.clone(),
            plan,
            exits,
            deps,
            og_opcode: existing.map_or(og_opcode, |e| self.execs[e].og_opcode),
        });
        if progress_needed {
            if let Some(old) = existing {
                self.execs[old].at = None;
            }
            self.enter.insert((code_key(&start.0), start.1), id);
            self.execs[id].at = Some(start);
        } else if let Trigger::Exit(x) = &rec.trigger {
            self.execs[x.exec].exits[x.exit].executor = Some(id);
        }
        vm.tier2.watching = true;
        true
    }

    /// `_PyJit_TryInitializeTracing`.
    #[allow(clippy::too_many_arguments)]
    fn start_recording(
        &mut self,
        vm: &Vm,
        frame: &Frame,
        curr: Loc,
        start: Loc,
        close_loop: Loc,
        chain_depth: i32,
        trigger: Trigger,
        from_executor: Option<usize>,
    ) -> bool {
        if self.rec.is_some() {
            return false;
        }
        let oparg = match &curr {
            Loc::Code(c, i) => c.instrs[*i].arg,
            Loc::Shim(_) => 0,
        };
        if oparg > 0xFFFF || frame.func.is_none() {
            return false;
        }
        let ids = self.ids;
        let depth = vm.frames.len();
        let code = frame.code.clone();
        let start_target = start.info(ids).target;
        let mut rec = Recording {
            trigger,
            start: start.clone(),
            close_loop,
            code: code.clone(),
            func: frame.func.clone(),
            chain_depth,
            stack_depth: frame.stack.len(),
            prev: Prev {
                loc: curr,
                oparg,
                frame: frame as *const Frame as usize,
                depth,
                rec: Recorded::read(&frame.stack, oparg),
            },
            fitness: ids.c.fitness_initial,
            frame_depth: 0,
            buf: Vec::new(),
            end: ids.c.uop_max_trace_length,
            steps: Vec::new(),
            root_depth: depth,
            from_executor,
            cur_step: u32::MAX,
        };
        rec.buf.push(TUop {
            op: ids.u.START_EXECUTOR,
            oparg: 0,
            target: start_target,
            jump: None,
            operand0: Opnd::None,
            operand1: 0,
            code: start.code().cloned(),
            step: u32::MAX,
        });
        rec.buf.push(TUop {
            op: ids.u.MAKE_WARM,
            oparg: 0,
            target: 0,
            jump: None,
            operand0: Opnd::None,
            operand1: 0,
            code: start.code().cloned(),
            step: u32::MAX,
        });
        self.rec = Some(rec);
        self.env(vm);
        true
    }

    /// Called when a `JUMP_BACKWARD` (`JUMP_BACKWARD_JIT`) or a `RESUME` runs in tier 1.
    pub fn hot_spot(&mut self, vm: &mut Vm, frame: &Frame, i: usize) {
        if vm.tier2.in_executor {
            return;
        }
        let ids = self.ids;
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
        let advance = |code: &CodeRt| {
            let mut s = code.slots.borrow_mut();
            s[i].counter = ids.advance(s[i].counter);
        };
        if !ids.triggers(counter) {
            advance(&code);
            return;
        }
        if self.rec.is_some() {
            advance(&code);
            return;
        }
        let this = Loc::Code(code.clone(), i);
        let next = if is_resume {
            Loc::Code(code.clone(), i + 1)
        } else {
            Loc::Code(code.clone(), ins.jump)
        };
        if self.executor_at(&next).is_some() {
            advance(&code);
            return;
        }
        let close = if is_resume { this.clone() } else { next };
        let trigger = if is_resume {
            Trigger::Resume(code.clone(), i)
        } else {
            Trigger::JumpBackward(code.clone(), i)
        };
        if self.start_recording(vm, frame, this.clone(), this, close, 0, trigger, None) {
            vm.tier2.watching = true;
        } else {
            let mut s = code.slots.borrow_mut();
            s[i].counter = ids.restart(counter);
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
                    uops: to_ins(ids, &e.uops),
                    unoptimized: to_ins(ids, &e.unoptimized),
                })
            })
            .collect()
    }

    /// A watched dict changes (`globals_watcher_callback`): the executors that depend on it
    /// are invalidated, and the dict is no longer watched.
    pub fn dict_modified(&mut self, dict: &ObjRef) {
        let key = Rc::as_ptr(dict) as usize;
        let Some(env) = self.env.as_mut() else { return };
        let Some(w) = env.dicts.get_mut(&key) else { return };
        if !w.0 {
            return;
        }
        w.0 = false;
        w.1 += 1;
        let hit: Vec<usize> = self
            .execs
            .iter()
            .enumerate()
            .filter(|(_, e)| e.valid && e.deps.iter().any(|d| matches!(d, Dep::Dict(x) if Rc::ptr_eq(x, dict))))
            .map(|(k, _)| k)
            .collect();
        for k in hit {
            self.invalidate(k);
        }
    }

    /// `executor_invalidate`: the executor is detached from its code (the instruction goes
    /// back to its base form) and its exits are reset.
    fn invalidate(&mut self, k: usize) {
        let e = &mut self.execs[k];
        if !e.valid {
            return;
        }
        e.valid = false;
        for x in e.exits.iter_mut() {
            x.executor = None;
            x.temperature = 7;
        }
        if let Some((code, i)) = e.at.take() {
            self.enter.remove(&(code_key(&code), i));
            let mut slots = code.slots.borrow_mut();
            let s = &mut slots[i];
            s.form = s.base;
        }
    }

    /// The executors whose watched types changed are invalidated (checked when they run).
    fn check_types(&mut self, k: usize) -> bool {
        let stale = self.execs[k].deps.iter().any(|d| match d {
            Dep::Type(t, v) => sym::version_of(t) != *v,
            _ => false,
        });
        if stale {
            self.invalidate(k);
        }
        !stale
    }
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

fn to_ins(ids: &Ids, uops: &[TUop]) -> Vec<UopIns> {
    uops.iter()
        .map(|u| {
            let mut x = UopIns::new(finish::base(ids, u.op), u.oparg, u.target, u.code.clone());
            x.jump = u.jump;
            x.operand0 = match &u.operand0 {
                Opnd::None => 0,
                Opnd::Num(n) => *n,
                Opnd::Obj(v) => v.id() as u64,
                Opnd::Code(c) => Rc::as_ptr(c) as u64,
                Opnd::Shim => 0,
                Opnd::Extend(_) => 0,
            };
            x.operand1 = u.operand1;
            x
        })
        .collect()
}

//! CPython 3.14's tier 2: projected traces, their optimizer, and the executors' life.
//!
//! - **Trigger**: `JUMP_BACKWARD_JIT` counts down from `JUMP_BACKWARD_INITIAL_VALUE` (4095,
//!   backoff 12); when it reaches zero the optimizer projects a trace starting at the jump
//!   ([`project`]), optimizes it ([`optimize`]) and installs it there (`ENTER_EXECUTOR`). A
//!   failed attempt backs the counter off and retries after as many jumps again.
//! - **Running**: tier 1 keeps executing the instructions in this model; the tracer follows
//!   along the executor's instructions ([`Visit`]s). A guard that fails sends tier 1 back
//!   (`_DEOPT`) or takes a side exit (`_EXIT_TRACE`), whose temperature counts down from
//!   `SIDE_EXIT_INITIAL_VALUE`; a hot exit gets a trace of its own (chained, not inserted in
//!   the code unless the chain is `MAX_CHAIN_DEPTH` long).
//! - **Death**: an executor is invalidated when a dict or class it watches changes, or when it
//!   has not run since the last sweep (every `JIT_CLEANUP_THRESHOLD` trace entries); an
//!   invalidated executor leaves its code object (and `_opcode.get_executor` no longer
//!   finds it).

mod optimize;
mod project;
mod symbols;

use super::{Installed, UopIns, WatchEvent};
use crate::code::CodeRt;
use crate::frame::Frame;
use crate::specialize::facts;
use crate::value::{Data, Value};
use crate::Vm;
use cpyviz_model::tables::{flags, Tables};
use std::rc::Rc;

/// A uop as the 3.14 optimizer handles it: [`UopIns`] plus what its 64-bit operand points to
/// and which of the trace's tier-1 instructions it belongs to.
#[derive(Clone)]
pub struct Uop {
    pub op: u16,
    pub oparg: u32,
    pub target: u32,
    pub jump: Option<(u16, u16)>,
    pub operand: Operand,
    pub code: Rc<CodeRt>,
    pub origin: u32,
    /// The index of the [`Visit`] this uop was emitted for.
    pub visit: u32,
    /// Its index in the projected trace (before the optimizer); `u32::MAX` for stubs.
    pub src: u32,
}

impl Uop {
    pub fn new(op: u16, oparg: u32, target: u32, code: Rc<CodeRt>, origin: usize) -> Uop {
        Uop {
            op,
            oparg,
            target,
            jump: None,
            operand: Operand::None,
            code,
            origin: origin as u32,
            visit: 0,
            src: u32::MAX,
        }
    }

    fn to_ins(&self) -> UopIns {
        let mut u = UopIns::new(self.op, self.oparg, self.target, Some(self.code.clone()));
        u.jump = self.jump;
        u.origin = self.origin;
        u.src = self.src;
        u
    }
}

/// What a uop's operand stands for in the model.
#[derive(Clone, Default)]
pub enum Operand {
    #[default]
    None,
    /// A version read from the inline cache (type, function, dict keys).
    Version(u32),
    /// A function (`_PUSH_FRAME`, `_RETURN_VALUE`).
    Func(Value),
    /// A code object, when the function is not known.
    Code(Rc<CodeRt>),
    /// An object the trace holds (`_LOAD_CONST_INLINE*`).
    Const(Value),
    /// A local variable's index (`_BINARY_OP_INPLACE_ADD_UNICODE`'s store).
    Local(u32),
}

impl Operand {
    /// The code object of a `_PUSH_FRAME`/`_RETURN_VALUE` operand.
    pub fn frame_code(&self) -> Option<Rc<CodeRt>> {
        match self {
            Operand::Func(Value::Obj(o)) => match &o.data {
                Data::Function(f) => Some(f.code.clone()),
                _ => None,
            },
            Operand::Code(c) => Some(c.clone()),
            _ => None,
        }
    }
}

/// One tier-1 instruction a trace covers, in the order the trace runs them.
#[derive(Clone)]
pub struct Visit {
    pub code: Rc<CodeRt>,
    pub index: usize,
    /// Frames above the trace's own (inlined calls).
    pub depth: u32,
}

/// What an executor depends on (its bloom filter): watched dicts and classes.
#[derive(Default, Clone)]
pub struct Deps {
    pub dicts: Vec<usize>,
    pub types: Vec<usize>,
}

/// Whether CPython 3.14 treats `v` as immortal (`_Py_IsImmortal`): the singletons, small ints,
/// interned names, static types.
pub fn is_immortal(vm: &Vm, v: &Value) -> bool {
    match v {
        Value::Obj(o) => match &o.data {
            Data::Type(td) => td.builtin,
            Data::Str(_) | Data::Tuple(_) | Data::Bytes(_) => {
                crate::specialize::is_immortal_const(vm, v)
            }
            _ => false,
        },
        _ => crate::specialize::is_immortal_const(vm, v),
    }
}

/// The uop ids the 3.14 tier 2 refers to by name.
pub struct Ids {
    pub nop: u16,
    pub start_executor: u16,
    pub make_warm: u16,
    pub set_ip: u16,
    pub check_validity: u16,
    pub check_periodic: u16,
    pub jump_to_top: u16,
    pub exit_trace: u16,
    pub deopt: u16,
    pub error_pop_n: u16,
    pub tier2_resume_check: u16,
    pub push_frame: u16,
    pub return_value: u16,
    pub return_generator: u16,
    pub yield_value: u16,
    pub binary_op_inplace_add_unicode: u16,
    pub guard_globals_version: u16,
    pub load_global_module: u16,
    pub load_global_builtins: u16,
    pub load_attr_module: u16,
    pub check_function: u16,
    pub check_function_exact_args: u16,
    pub check_function_version_inline: u16,
    pub check_stack_space_operand: u16,
    pub load_const_inline: u16,
    pub load_const_inline_borrow: u16,
    pub pop_top_load_const_inline: u16,
    pub pop_top_load_const_inline_borrow: u16,
    pub pop_two_load_const_inline_borrow: u16,
    pub pop_top: u16,
    pub push_null: u16,
    pub copy: u16,
    pub load_fast: u16,
    pub load_fast_borrow: u16,
    pub load_small_int: u16,
    guards: [(u16, u16); 4],
    replacements: Vec<(u16, u16)>,
    for_iter_tests: Vec<u16>,
}

impl Ids {
    fn new(t: &Tables) -> Ids {
        let u = |n: &str| super::uop(t, n);
        let pair = |a: &str, b: &str| (u(a), u(b));
        Ids {
            nop: u("_NOP"),
            start_executor: u("_START_EXECUTOR"),
            make_warm: u("_MAKE_WARM"),
            set_ip: u("_SET_IP"),
            check_validity: u("_CHECK_VALIDITY"),
            check_periodic: u("_CHECK_PERIODIC"),
            jump_to_top: u("_JUMP_TO_TOP"),
            exit_trace: u("_EXIT_TRACE"),
            deopt: u("_DEOPT"),
            error_pop_n: u("_ERROR_POP_N"),
            tier2_resume_check: u("_TIER2_RESUME_CHECK"),
            push_frame: u("_PUSH_FRAME"),
            return_value: u("_RETURN_VALUE"),
            return_generator: u("_RETURN_GENERATOR"),
            yield_value: u("_YIELD_VALUE"),
            binary_op_inplace_add_unicode: u("_BINARY_OP_INPLACE_ADD_UNICODE"),
            guard_globals_version: u("_GUARD_GLOBALS_VERSION"),
            load_global_module: u("_LOAD_GLOBAL_MODULE"),
            load_global_builtins: u("_LOAD_GLOBAL_BUILTINS"),
            load_attr_module: u("_LOAD_ATTR_MODULE"),
            check_function: u("_CHECK_FUNCTION"),
            check_function_exact_args: u("_CHECK_FUNCTION_EXACT_ARGS"),
            check_function_version_inline: u("_CHECK_FUNCTION_VERSION_INLINE"),
            check_stack_space_operand: u("_CHECK_STACK_SPACE_OPERAND"),
            load_const_inline: u("_LOAD_CONST_INLINE"),
            load_const_inline_borrow: u("_LOAD_CONST_INLINE_BORROW"),
            pop_top_load_const_inline: u("_POP_TOP_LOAD_CONST_INLINE"),
            pop_top_load_const_inline_borrow: u("_POP_TOP_LOAD_CONST_INLINE_BORROW"),
            pop_two_load_const_inline_borrow: u("_POP_TWO_LOAD_CONST_INLINE_BORROW"),
            pop_top: u("_POP_TOP"),
            push_null: u("_PUSH_NULL"),
            copy: u("_COPY"),
            load_fast: u("_LOAD_FAST"),
            load_fast_borrow: u("_LOAD_FAST_BORROW"),
            load_small_int: u("_LOAD_SMALL_INT"),
            // BRANCH_TO_GUARD: (not likely, likely) per conditional jump.
            guards: [
                pair("_GUARD_IS_TRUE_POP", "_GUARD_IS_FALSE_POP"),
                pair("_GUARD_IS_FALSE_POP", "_GUARD_IS_TRUE_POP"),
                pair("_GUARD_IS_NOT_NONE_POP", "_GUARD_IS_NONE_POP"),
                pair("_GUARD_IS_NONE_POP", "_GUARD_IS_NOT_NONE_POP"),
            ],
            // `_PyUOp_Replacements`.
            replacements: [
                ("_ITER_JUMP_RANGE", "_GUARD_NOT_EXHAUSTED_RANGE"),
                ("_ITER_JUMP_LIST", "_GUARD_NOT_EXHAUSTED_LIST"),
                ("_ITER_JUMP_TUPLE", "_GUARD_NOT_EXHAUSTED_TUPLE"),
                ("_FOR_ITER", "_FOR_ITER_TIER_TWO"),
                ("_ITER_NEXT_LIST", "_ITER_NEXT_LIST_TIER_TWO"),
            ]
            .iter()
            .map(|(a, b)| pair(a, b))
            .collect(),
            for_iter_tests: [
                "_GUARD_NOT_EXHAUSTED_RANGE",
                "_GUARD_NOT_EXHAUSTED_LIST",
                "_GUARD_NOT_EXHAUSTED_TUPLE",
                "_FOR_ITER_TIER_TWO",
            ]
            .iter()
            .map(|n| u(n))
            .collect(),
        }
    }

    pub fn branch_guard(&self, jump: &str, likely: bool) -> u16 {
        let k = match jump {
            "POP_JUMP_IF_FALSE" => 0,
            "POP_JUMP_IF_TRUE" => 1,
            "POP_JUMP_IF_NONE" => 2,
            _ => 3,
        };
        if likely {
            self.guards[k].1
        } else {
            self.guards[k].0
        }
    }

    pub fn replacement(&self, uop: u16) -> Option<u16> {
        self.replacements
            .iter()
            .find(|(a, _)| *a == uop)
            .map(|(_, b)| *b)
    }

    pub fn is_for_iter_test(&self, uop: u16) -> bool {
        self.for_iter_tests.contains(&uop)
    }

    pub fn is_return(&self, uop: u16) -> bool {
        uop == self.return_value || uop == self.return_generator || uop == self.yield_value
    }
}

/// A side exit's state (`_PyExitData`).
#[derive(Clone)]
struct ExitData {
    temperature: u16,
    executor: Option<usize>,
}

/// An executor and its life.
struct Exec {
    code: Rc<CodeRt>,
    start: usize,
    /// Installed in the code (`ENTER_EXECUTOR`): a chain's first executor.
    inserted: bool,
    valid: bool,
    warm: bool,
    chain_depth: u32,
    uops: Vec<Uop>,
    unoptimized: Vec<Uop>,
    visits: Vec<Visit>,
    /// For each visit, the indexes of its uops in `uops`.
    visit_uops: Vec<Vec<usize>>,
    closes_loop: bool,
    /// Exit data, by the index of its `_EXIT_TRACE` stub in `uops`.
    exits: Vec<(usize, ExitData)>,
    /// The `_EXIT_TRACE` that ends a trace that does not loop.
    final_exit: Option<usize>,
    deps: Deps,
}

/// Where the shadow is in one C-level evaluation loop.
#[derive(Clone, Copy)]
enum State {
    Tier1,
    /// Running executor `exec`; `pos` is the next visit expected; `base` the frame depth the
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

/// The 3.14 tracer's state for one run.
pub struct Tracer {
    ids: Option<Ids>,
    execs: Vec<Exec>,
    levels: Vec<Level>,
    /// `interp->trace_run_counter`.
    trace_run_counter: i64,
    sweep_pending: bool,
}

impl Default for Tracer {
    fn default() -> Tracer {
        Tracer {
            ids: None,
            execs: Vec::new(),
            levels: vec![Level {
                min_depth: 0,
                state: State::Tier1,
            }],
            trace_run_counter: i64::MAX,
            sweep_pending: false,
        }
    }
}

fn tables(vm: &Vm) -> &'static Tables {
    cpyviz_model::tables::for_version(vm.version)
}

fn constant(vm: &Vm, name: &str) -> i64 {
    tables(vm).constant(name).unwrap_or(0)
}

impl Tracer {
    fn ids(&mut self, vm: &Vm) -> &Ids {
        if self.ids.is_none() {
            self.ids = Some(Ids::new(tables(vm)));
            self.trace_run_counter = constant(vm, "JIT_CLEANUP_THRESHOLD");
        }
        self.ids.as_ref().unwrap()
    }

    pub fn hot_spot(&mut self, vm: &mut Vm, frame: &Frame, i: usize) {
        self.process_events(vm);
        if vm.tier2.in_executor {
            return;
        }
        let code = &frame.code;
        let (form, counter, installed) = {
            let s = &code.slots.borrow()[i];
            (s.form, s.counter, s.executor)
        };
        if form != "JUMP_BACKWARD_JIT" || installed != 0 {
            return;
        }
        if self.sweep_pending {
            self.sweep(vm);
        }
        let f = facts(vm.version);
        if !f.triggers(counter) {
            code.slots.borrow_mut()[i].counter = f.advance(counter);
            return;
        }
        match self.optimize(vm, frame, i, 0) {
            Some(id) => {
                let initial = f.make(
                    constant(vm, "JUMP_BACKWARD_INITIAL_VALUE") as u16,
                    constant(vm, "JUMP_BACKWARD_INITIAL_BACKOFF") as u16,
                );
                code.slots.borrow_mut()[i].counter = initial;
                // GOTO_TIER_TWO: the executor runs from its start, the jump's own uops again,
                // then the instruction the jump went to.
                self.make_warm(id);
                let base = vm.frames.len();
                let top = self.levels.last_mut().unwrap();
                top.state = State::Tier2 {
                    exec: id,
                    pos: 1,
                    base,
                };
                self.execs[id].warm = true;
                vm.tier2.watching = true;
            }
            None => code.slots.borrow_mut()[i].counter = f.restart(counter),
        }
    }

    /// `_PyOptimizer_Optimize`: projects, optimizes and (for a chain's first executor)
    /// installs a trace starting at instruction `i` of `frame`; the new executor's id.
    fn optimize(&mut self, vm: &Vm, frame: &Frame, i: usize, chain_depth: u32) -> Option<usize> {
        let max_chain = constant(vm, "MAX_CHAIN_DEPTH").max(1) as u32;
        let chain_depth = chain_depth % max_chain;
        let progress_needed = chain_depth == 0;
        self.ids(vm);
        let ids = self.ids.as_ref().unwrap();
        let func = frame.func.as_ref().and_then(|f| f.obj().cloned());
        let mut proj =
            project::project(vm, ids, &frame.code, func.clone(), i, progress_needed).ok()?;
        for (k, u) in proj.uops.iter_mut().enumerate() {
            u.src = k as u32;
        }
        let unoptimized = proj.uops.clone();
        let mut deps = Deps::default();
        let root = optimize::Root {
            code: &frame.code,
            func: func.as_ref(),
            globals: &frame.globals,
            stack_entries: frame.stack.len(),
        };
        let uops = match optimize::optimize(vm, ids, proj.uops, &root, &mut deps) {
            optimize::Optimized::Trace(u) => u,
            optimize::Optimized::NotReady => return None,
        };
        let closes_loop = uops.iter().any(|u| u.op == ids.jump_to_top);
        let mut visit_uops = vec![Vec::new(); proj.visits.len()];
        let mut exits = Vec::new();
        let mut final_exit = None;
        let body_end = uops
            .iter()
            .position(|u| u.op == ids.exit_trace || u.op == ids.jump_to_top)
            .map_or(uops.len(), |k| k + 1);
        for (k, u) in uops.iter().enumerate() {
            if u.op == ids.exit_trace {
                exits.push((k, self.initial_temperature(vm)));
                if k < body_end {
                    final_exit = Some(k);
                }
            }
            if k < body_end {
                if let Some(v) = visit_uops.get_mut(u.visit as usize) {
                    v.push(k);
                }
            }
        }
        let id = self.execs.len();
        self.execs.push(Exec {
            code: frame.code.clone(),
            start: i,
            inserted: progress_needed,
            valid: true,
            warm: true,
            chain_depth,
            uops,
            unoptimized,
            visits: proj.visits,
            visit_uops,
            closes_loop,
            exits,
            final_exit,
            deps,
        });
        if progress_needed {
            frame.code.slots.borrow_mut()[i].executor = id as u32 + 1;
        }
        Some(id)
    }

    fn initial_temperature(&self, vm: &Vm) -> ExitData {
        let f = facts(vm.version);
        ExitData {
            temperature: f.make(
                constant(vm, "SIDE_EXIT_INITIAL_VALUE") as u16,
                constant(vm, "SIDE_EXIT_INITIAL_BACKOFF") as u16,
            ),
            executor: None,
        }
    }

    fn make_warm(&mut self, id: usize) {
        self.execs[id].warm = true;
        self.trace_run_counter -= 1;
        if self.trace_run_counter == 0 {
            self.sweep_pending = true;
        }
    }

    /// `_Py_Executors_InvalidateCold`: executors that did not run since the last sweep die.
    fn sweep(&mut self, vm: &Vm) {
        self.sweep_pending = false;
        self.trace_run_counter = constant(vm, "JIT_CLEANUP_THRESHOLD");
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

    /// `executor_clear`: the executor is no longer valid and leaves its code object.
    fn invalidate(&mut self, id: usize) {
        let e = &mut self.execs[id];
        if !e.valid {
            return;
        }
        e.valid = false;
        for (_, x) in &mut e.exits {
            x.executor = None;
        }
        if e.inserted {
            let mut slots = e.code.slots.borrow_mut();
            if slots[e.start].executor == id as u32 + 1 {
                slots[e.start].executor = 0;
            }
        }
    }

    /// Applies the dict and class watchers that fired since the last look.
    fn process_events(&mut self, vm: &Vm) {
        let events = super::take_events();
        if events.is_empty() {
            return;
        }
        let builtins = match &vm.builtins.data {
            Data::Dict(d) => super::dict_id(&d.borrow()),
            _ => 0,
        };
        for ev in events {
            match ev {
                WatchEvent::Dict(d) if d == builtins => {
                    // The builtins watcher invalidates everything (a rare event).
                    for id in 0..self.execs.len() {
                        self.invalidate(id);
                    }
                }
                WatchEvent::Dict(d) => {
                    for id in 0..self.execs.len() {
                        if self.execs[id].deps.dicts.contains(&d) {
                            self.invalidate(id);
                        }
                    }
                }
                WatchEvent::Type(t) => {
                    for id in 0..self.execs.len() {
                        if self.execs[id].deps.types.contains(&t) {
                            self.invalidate(id);
                        }
                    }
                }
            }
        }
    }

    pub fn before(&mut self, vm: &mut Vm, frame: &Frame, i: usize) {
        self.process_events(vm);
        let depth = vm.frames.len();
        // At most a few transitions per instruction (exit → side executor → match).
        for _ in 0..8 {
            while self.levels.len() > 1 && depth < self.levels.last().unwrap().min_depth {
                self.levels.pop();
            }
            let top = *self.levels.last().unwrap();
            match top.state {
                State::Tier1 => {
                    let installed = frame.code.slots.borrow()[i].executor;
                    if installed != 0 && self.execs[installed as usize - 1].valid {
                        let id = installed as usize - 1;
                        self.set_state(State::Tier2 {
                            exec: id,
                            pos: 0,
                            base: depth,
                        });
                        continue;
                    }
                    vm.tier2.in_executor = false;
                    return;
                }
                State::Tier2 { exec, pos, base } => {
                    if depth < base {
                        // Unwound out of the executor's frame (an exception).
                        self.set_state(State::Tier1);
                        continue;
                    }
                    let e = &self.execs[exec];
                    if pos >= e.visits.len() {
                        // The trace ended; its final exit goes where tier 1 now is.
                        match e.final_exit {
                            Some(k) => self.take_exit(vm, frame, i, exec, k),
                            None => self.set_state(State::Tier1),
                        }
                        continue;
                    }
                    let v = &e.visits[pos];
                    let here = depth == base + v.depth as usize
                        && v.index == i
                        && Rc::ptr_eq(&v.code, &frame.code);
                    if here {
                        if crate::specialize::guard_fails(vm, frame, i) {
                            // A guard of this instruction fails.
                            match self.guard_stub(vm, exec, pos, None) {
                                Some(k) => self.take_exit(vm, frame, i, exec, k),
                                None => self.set_state(State::Tier1),
                            }
                            if matches!(
                                self.levels.last().unwrap().state,
                                State::Tier2 { pos: 0, .. }
                            ) {
                                continue;
                            }
                            vm.tier2.in_executor = false;
                            return;
                        }
                        self.run_visit(vm, exec, pos);
                        vm.tier2.in_executor = true;
                        return;
                    }
                    if depth > base + v.depth as usize {
                        // A function called from C (not inlined): tier 1 in a loop of its own.
                        self.levels.push(Level {
                            min_depth: depth,
                            state: State::Tier1,
                        });
                        continue;
                    }
                    // Control went elsewhere than the trace: an exit of the previous visit.
                    match pos
                        .checked_sub(1)
                        .and_then(|p| self.guard_stub(vm, exec, p, Some((&frame.code, i))))
                    {
                        Some(k) => self.take_exit(vm, frame, i, exec, k),
                        None => self.set_state(State::Tier1),
                    }
                }
            }
        }
        vm.tier2.in_executor = false;
    }

    fn set_state(&mut self, s: State) {
        self.levels.last_mut().unwrap().state = s;
    }

    /// The tier-2 effects of running visit `pos` of executor `exec`, and the next position.
    fn run_visit(&mut self, vm: &Vm, exec: usize, pos: usize) {
        let ids = self.ids.as_ref().unwrap();
        let (mut warm, mut periodic, mut check_validity) = (false, false, false);
        for &k in &self.execs[exec].visit_uops[pos] {
            let op = self.execs[exec].uops[k].op;
            warm |= op == ids.make_warm;
            periodic |= op == ids.check_periodic;
            check_validity |= op == ids.check_validity;
        }
        if pos == 0 {
            warm = true;
        }
        if warm {
            self.make_warm(exec);
        }
        if periodic && self.sweep_pending {
            self.sweep(vm);
        }
        let e = &self.execs[exec];
        if check_validity && !e.valid {
            // `_CHECK_VALIDITY` deopts: tier 1 runs this instruction.
            self.set_state(State::Tier1);
            return;
        }
        let mut next = pos + 1;
        if next == e.visits.len() && e.closes_loop {
            next = 0;
        }
        let base = match self.levels.last().unwrap().state {
            State::Tier2 { base, .. } => base,
            State::Tier1 => 0,
        };
        self.set_state(State::Tier2 {
            exec,
            pos: next,
            base,
        });
    }

    /// The stub a guard of visit `pos` jumps to: the first guard (a failed specialization), or
    /// the one whose exit goes to `to` (control left the trace there).
    fn guard_stub(
        &self,
        vm: &Vm,
        exec: usize,
        pos: usize,
        to: Option<(&Rc<CodeRt>, usize)>,
    ) -> Option<usize> {
        let t = tables(vm);
        let e = &self.execs[exec];
        for &k in e.visit_uops.get(pos)? {
            let u = &e.uops[k];
            let f = t.uop(u.op).map_or(0, |x| x.flags);
            if f & (flags::HAS_EXIT | flags::HAS_DEOPT) == 0 {
                continue;
            }
            let Some((stub, _)) = u.jump else {
                continue;
            };
            let stub = stub as usize;
            match to {
                None => return Some(stub),
                Some((code, i)) => {
                    let s = &e.uops[stub];
                    let at = code.index_at(s.target * 2);
                    if Rc::ptr_eq(&s.code, code) && (at == i || at == i + 1) {
                        return Some(stub);
                    }
                }
            }
        }
        None
    }

    /// Leaves executor `exec` through stub `k`, tier 1 being at instruction `i` of `frame`.
    fn take_exit(&mut self, vm: &Vm, frame: &Frame, i: usize, exec: usize, k: usize) {
        let ids = self.ids.as_ref().unwrap();
        if self.execs[exec].uops[k].op != ids.exit_trace {
            self.set_state(State::Tier1);
            return;
        }
        let Some(x) = self.execs[exec].exits.iter().position(|(s, _)| *s == k) else {
            self.set_state(State::Tier1);
            return;
        };
        let f = facts(vm.version);
        let mut data = self.execs[exec].exits[x].1.clone();
        if let Some(side) = data.executor {
            if !self.execs[side].valid {
                data = self.initial_temperature(vm);
            }
        }
        if data.executor.is_none() {
            if !f.triggers(data.temperature) {
                data.temperature = f.advance(data.temperature);
                self.execs[exec].exits[x].1 = data;
                self.set_state(State::Tier1);
                return;
            }
            let installed = frame.code.slots.borrow()[i].executor;
            let side = if installed != 0 {
                Some(installed as usize - 1)
            } else {
                let depth = self.execs[exec].chain_depth + 1;
                self.optimize(vm, frame, i, depth)
            };
            match side {
                Some(s) => {
                    data.temperature = self.initial_temperature(vm).temperature;
                    data.executor = Some(s);
                }
                None => {
                    data.temperature = f.restart(data.temperature);
                    self.execs[exec].exits[x].1 = data;
                    self.set_state(State::Tier1);
                    return;
                }
            }
        }
        let side = data.executor.unwrap();
        self.execs[exec].exits[x].1 = data;
        self.set_state(State::Tier2 {
            exec: side,
            pos: 0,
            base: vm.frames.len(),
        });
    }

    pub fn installed(&self) -> Vec<Installed> {
        self.execs
            .iter()
            .filter(|e| e.inserted && e.valid)
            .map(|e| Installed {
                code: e.code.clone(),
                index: e.start,
                valid: e.valid,
                uops: e.uops.iter().map(Uop::to_ins).collect(),
                unoptimized: e.unoptimized.iter().map(Uop::to_ins).collect(),
            })
            .collect()
    }
}

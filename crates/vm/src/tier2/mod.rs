//! Tier 2 of the built-in engine — how CPython builds its executors, per version.
//!
//! ```text
//! tier-1 run ──hot JUMP_BACKWARD (or RESUME, 3.15)──▶ trace ──optimizer──▶ executor
//!     ▲                                                                      │
//!     └──────────── exits and deopts (followed by the shadow) ◀──────────────┘
//! ```
//!
//! The VM always executes tier 1 (the instructions themselves); tier 2 is modelled *beside* it.
//! When a backward jump's counter fires, the version's tracer builds the trace CPython would
//! build at that moment (3.14 projects it from the code's warm state; 3.15 records the next
//! iteration), runs the version's optimizer over it and installs the executor at the
//! instruction, as `ENTER_EXECUTOR` would be. From then on the tracer follows the tier-1 run
//! through the executor — a *shadow* of CPython's tier-2 interpreter — to know which exits
//! are taken, when a side exit gets hot enough for a trace of its own, and which tier-1
//! instructions CPython would not have run at all (their backward-jump counters and branch
//! history do not move).
//!
//! The two versions differ in every step, so each has its module ([`v3_14`], [`v3_15`]); what
//! they share is the hook surface below, called by the evaluation loop, and [`UopIns`], the
//! model of CPython's `_PyUOpInstruction`.

use crate::code::CodeRt;
use crate::dict::Dict;
use crate::frame::Frame;
use crate::value::{Data, ObjRef, Value};
use crate::Vm;
use cpyviz_model::tables::Tables;
use cpyviz_model::uops::{Executor, Uop};
use cpyviz_model::version::PyVersion;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

pub mod v3_14;
pub mod v3_15;

/// The tier-2 state of one run.
#[derive(Default)]
pub struct Tier2 {
    /// `_PyFunction_LookupByVersion`'s cache: the last function made with each version, and
    /// the code it was made from (kept when the function dies).
    functions: HashMap<u32, (std::rc::Weak<crate::value::Obj>, Rc<CodeRt>)>,
    /// The tracer wants [`before`] called for every instruction (it is recording a trace or
    /// following an executor). Checked by the evaluation loop before anything else.
    pub watching: bool,
    /// CPython would be running tier-2 code now: the tier-1 instruction about to run is one
    /// an executor runs for it, so tier 1's own bookkeeping (backward-jump counters, branch
    /// history) stands still.
    pub in_executor: bool,
    /// Per Python frame the VM is running (the order of [`Vm::frames`]): whether CPython would
    /// have pushed it from its caller's evaluation loop (an inlined call, a generator resumed
    /// by `FOR_ITER_GEN`…) rather than entered it from C, and the serial number of this
    /// activation (a generator's frame resumed again is another activation). Kept by
    /// [`crate::eval::run_frame`].
    pub frames_inline: Vec<(bool, u64)>,
    /// Frame activations so far (the last serial number given).
    pub activations: u64,
    /// Set by the instruction about to start a frame the way CPython inlines it (see
    /// [`inlines_call`]); taken by the next frame that starts.
    pub inline_call: bool,
    state: State,
}

#[derive(Default)]
enum State {
    /// The JIT is off: no executors.
    #[default]
    Off,
    V3_14(Box<v3_14::Tracer>),
    V3_15(Box<v3_15::Tracer>),
}

impl Tier2 {
    /// The tier-2 state for a run of `version` (`jit`: `PYTHON_JIT`).
    pub fn new(version: PyVersion, jit: bool) -> Tier2 {
        let state = match (jit, version) {
            (false, _) => State::Off,
            (true, PyVersion::V3_14) => State::V3_14(Box::default()),
            (true, PyVersion::V3_15) => State::V3_15(Box::default()),
        };
        Tier2 {
            functions: HashMap::new(),
            watching: false,
            in_executor: false,
            frames_inline: Vec::new(),
            activations: 0,
            inline_call: false,
            state,
        }
    }
}

/// Runs `f` on the version's tracer, with the VM free to borrow.
fn with_tracer(vm: &mut Vm, f: impl FnOnce(&mut Vm, &mut State)) {
    let mut state = std::mem::take(&mut vm.tier2.state);
    f(vm, &mut state);
    vm.tier2.state = state;
}

/// Called before instruction `i` of `frame` runs (before its adaptive update, which an
/// executor running the instruction skips), while [`Tier2::watching`].
pub fn before(vm: &mut Vm, frame: &Frame, i: usize) {
    with_tracer(vm, |vm, state| match state {
        State::Off => {}
        State::V3_14(t) => t.before(vm, frame, i),
        State::V3_15(t) => t.before(vm, frame, i),
    });
}

/// Called when a `JUMP_BACKWARD` (quickened to `JUMP_BACKWARD_JIT`) or a `RESUME` runs with
/// the JIT on: the places where CPython counts towards a trace.
pub fn hot_spot(vm: &mut Vm, frame: &Frame, i: usize) {
    with_tracer(vm, |vm, state| match state {
        State::Off => {}
        State::V3_14(t) => t.hot_spot(vm, frame, i),
        State::V3_15(t) => t.hot_spot(vm, frame, i),
    });
}

/// Whether CPython's instruction `i` of `code` calling `callable` pushes the callee's frame
/// in the same evaluation loop: the generic and Python-specialized `CALL`/`CALL_KW` do for
/// a Python function (or a bound method of one), `CALL_FUNCTION_EX` for a Python function,
/// `CALL_ALLOC_AND_ENTER_INIT` for the class's `__init__`.
pub fn inlines_call(code: &CodeRt, i: usize, callable: &Value) -> bool {
    use crate::value::Data;
    let ins = &code.instrs[i];
    if code.slots.borrow()[i].form == "CALL_ALLOC_AND_ENTER_INIT" {
        return true;
    }
    match callable.data() {
        Some(Data::Function(_)) => true,
        Some(Data::Method(f, _)) => {
            ins.op != cpyviz_compiler::op::Op::CALL_FUNCTION_EX
                && matches!(f.data(), Some(Data::Function(_)))
        }
        _ => false,
    }
}

/// Whether instruction `i`, about to run in its specialized form, pushes a Python frame in
/// the same evaluation loop although it is no call: a property's getter
/// (`LOAD_ATTR_PROPERTY`), an overridden `__getattribute__`, a class's `__getitem__`
/// (`BINARY_OP_SUBSCR_GETITEM`). Their generic forms call from C.
pub fn pushes_frame(vm: &mut Vm, frame: &Frame, i: usize) -> bool {
    if !vm.jit {
        return false;
    }
    let form = frame.code.slots.borrow()[i].form;
    matches!(
        form,
        "LOAD_ATTR_PROPERTY" | "LOAD_ATTR_GETATTRIBUTE_OVERRIDDEN" | "BINARY_OP_SUBSCR_GETITEM"
    ) && !crate::specialize::guard_fails(vm, frame, i)
}

/// Records a conditional jump's outcome in its branch history (its 16-bit cache entry, kept
/// in [`crate::code::Slot::counter`]: shifted left, the newest outcome in bit 0), as tier 1 does — unless an
/// executor runs the jump for tier 1.
pub fn record_branch(vm: &Vm, code: &CodeRt, i: usize, taken: bool) {
    if vm.tier2.in_executor {
        return;
    }
    let mut slots = code.slots.borrow_mut();
    let bits = &mut slots[i].counter;
    *bits = (*bits << 1) | taken as u16;
}

/// Records a function with its (new) version, for [`function_by_version`].
pub fn function_made(vm: &mut Vm, f: &Value) {
    if let Some(o) = f.obj() {
        if let Data::Function(func) = &o.data {
            vm.tier2
                .functions
                .insert(func.version.get(), (Rc::downgrade(o), func.code.clone()));
        }
    }
}

/// `_PyFunction_LookupByVersion`: the live function whose version is `version`, and the code
/// object of that version (which outlives its functions).
pub fn function_by_version(vm: &Vm, version: u32) -> (Option<ObjRef>, Option<Rc<CodeRt>>) {
    let Some((f, code)) = vm.tier2.functions.get(&version) else {
        return (None, None);
    };
    let code = (code.version == version).then(|| code.clone());
    let f = f.upgrade().filter(|o| match &o.data {
        Data::Function(func) => func.version.get() == version,
        _ => false,
    });
    (f, code)
}

/// A change tier 2 asked to be told about (a dict or type watcher firing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchEvent {
    /// A watched dict (by address) changed; it is no longer watched.
    Dict(usize),
    /// A watched class (by address) was modified; it is no longer watched.
    Type(usize),
}

thread_local! {
    static EVENTS: RefCell<Vec<WatchEvent>> = const { RefCell::new(Vec::new()) };
    static WATCHED_TYPES: RefCell<HashSet<usize>> = RefCell::new(HashSet::new());
}

/// The address tier 2 knows a dict by.
pub fn dict_id(d: &Dict) -> usize {
    d as *const Dict as usize
}

/// Called by a watched dict about to change (`PyDict_Watch`'s callback).
pub fn watched_dict_changed(d: &mut Dict) {
    d.watch_mutations = d.watch_mutations.saturating_add(1);
    let id = dict_id(d);
    EVENTS.with(|e| e.borrow_mut().push(WatchEvent::Dict(id)));
}

/// Watches class `t` (`PyType_Watch`): its next modification is reported once.
pub fn watch_type(t: &ObjRef) {
    WATCHED_TYPES.with(|w| w.borrow_mut().insert(Rc::as_ptr(t) as usize));
}

/// Called when class `t` is modified (`PyType_Modified`).
pub fn type_changing(t: &ObjRef) {
    let id = Rc::as_ptr(t) as usize;
    if WATCHED_TYPES.with(|w| w.borrow_mut().remove(&id)) {
        EVENTS.with(|e| e.borrow_mut().push(WatchEvent::Type(id)));
    }
}

/// The watch events since the last call.
pub fn take_events() -> Vec<WatchEvent> {
    EVENTS.with(|e| std::mem::take(&mut *e.borrow_mut()))
}

/// The executors the run left installed, in the order `stage.py uops` lists them: code objects
/// in `dis` (walk) order, offsets ascending.
pub fn executors(vm: &Vm, module: &Rc<CodeRt>) -> Vec<Executor> {
    let walk = module.walk();
    let installed: Vec<Installed> = match &vm.tier2.state {
        State::Off => Vec::new(),
        State::V3_14(t) => t.installed(),
        State::V3_15(t) => t.installed(),
    };
    let mut out: Vec<(usize, u32, Executor)> = installed
        .into_iter()
        .filter_map(|e| {
            let k = walk.iter().position(|c| Rc::ptr_eq(c, &e.code))?;
            let tables = cpyviz_model::tables::for_version(vm.version);
            let ins = &e.code.instrs[e.index];
            let opcode = tables.opcode_by_name(e.code.slots.borrow()[e.index].form);
            let ex = Executor {
                code_index: k as u32,
                qualname: e.code.qualname.to_string(),
                offset: ins.offset,
                valid: Some(e.valid),
                opcode: opcode.map(|o| o.code as u32),
                oparg: Some(ins.arg & 0xff),
                uops: to_model(&e.uops, &walk, tables),
                unoptimized: to_model(&e.unoptimized, &walk, tables),
                ..Default::default()
            };
            Some((k, ins.offset, ex))
        })
        .collect();
    out.sort_by_key(|(k, off, _)| (*k, *off));
    out.into_iter().map(|(_, _, e)| e).collect()
}

fn to_model(uops: &[UopIns], walk: &[Rc<CodeRt>], tables: &Tables) -> Vec<Uop> {
    uops.iter()
        .map(|u| Uop {
            name: tables.uop_name(u.op).unwrap_or("<nil>").to_string(),
            oparg: u.oparg as i64,
            target: u.target_field() as i64,
            operand: u.operand0,
            code_index: u
                .code
                .as_ref()
                .and_then(|c| walk.iter().position(|w| Rc::ptr_eq(w, c)))
                .map(|k| k as u32),
            origin: u
                .code
                .as_ref()
                .filter(|_| u.origin != u32::MAX)
                .and_then(|c| c.instrs.get(u.origin as usize))
                .map(|i| i.offset),
            unoptimized_index: (u.src != u32::MAX).then_some(u.src),
            ..Default::default()
        })
        .collect()
}

/// An executor as a version's tracer reports it.
pub struct Installed {
    /// The code object and instruction index of its `ENTER_EXECUTOR`.
    pub code: Rc<CodeRt>,
    pub index: usize,
    /// `is_valid()` at the end of the run.
    pub valid: bool,
    /// The trace as the optimizer left it (with its exit stubs).
    pub uops: Vec<UopIns>,
    /// The trace before the optimizer.
    pub unoptimized: Vec<UopIns>,
}

/// A `_PyUOpInstruction`: the uop, its oparg, where it goes back to tier 1 (`target`), or —
/// in the jump format — the stub its exit jumps to and the stub its errors jump to.
#[derive(Clone)]
pub struct UopIns {
    /// The uop id in the version's tables.
    pub op: u16,
    pub oparg: u32,
    pub target: u32,
    /// `UOP_FORMAT_JUMP`: `(jump_target, error_target)` instead of `target`.
    pub jump: Option<(u16, u16)>,
    pub operand0: u64,
    pub operand1: u64,
    /// The code object whose instruction `target` is an index of (a trace follows calls
    /// into other code objects).
    pub code: Option<Rc<CodeRt>>,
    /// The index (in `code`'s instructions) of the instruction this uop was emitted for;
    /// `u32::MAX` for exit stubs.
    pub origin: u32,
    /// The index of this uop in the trace before optimization (`u32::MAX`: none).
    pub src: u32,
}

impl UopIns {
    pub fn new(op: u16, oparg: u32, target: u32, code: Option<Rc<CodeRt>>) -> UopIns {
        UopIns {
            op,
            oparg,
            target,
            jump: None,
            operand0: 0,
            operand1: 0,
            code,
            origin: u32::MAX,
            src: u32::MAX,
        }
    }

    /// The 32 bits `get_executor()` reports as the target: `target`, or `jump_target |
    /// error_target << 16` in the jump format.
    pub fn target_field(&self) -> u32 {
        match self.jump {
            Some((j, e)) => j as u32 | (e as u32) << 16,
            None => self.target,
        }
    }
}

/// The uop id called `name` in `tables` (a name from the version's `pycore_uop_ids.h`).
pub fn uop(tables: &Tables, name: &str) -> u16 {
    tables
        .uop_id(name)
        .unwrap_or_else(|| panic!("{name} is a uop of CPython {:?}", tables.version))
}

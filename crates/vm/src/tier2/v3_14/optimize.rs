//! The trace optimizer, CPython 3.14 (`Python/optimizer_analysis.c`, the abstract
//! interpreter of `Python/optimizer_bytecodes.c`, and `uop_optimize`/`prepare_for_execution`
//! in `Python/optimizer.c`).
//!
//! Passes, in order:
//! 1. **globals → constants** (`remove_globals`): a global or builtin the trace loads becomes
//!    `_LOAD_CONST_INLINE[_BORROW]` once the function's identity is checked (`_CHECK_FUNCTION`)
//!    and the dict is watched (a later change of it invalidates the executor);
//! 2. **abstract interpretation** (`optimize_uops`): each uop runs on [`Syms`] instead of
//!    objects, so a guard whose fact is already known becomes `_NOP`, constants propagate,
//!    `_PUSH_NULL_CONDITIONAL` and `_CHECK_PEP_523` resolve, branch guards on known values
//!    disappear, and only the first `_CHECK_STACK_SPACE` of inlined calls stays (as
//!    `_CHECK_STACK_SPACE_OPERAND`). It stops (leaving the rest as is) at a uop it cannot see
//!    past, e.g. a keyword call's frame;
//! 3. **`_SET_IP`/`_CHECK_VALIDITY` elision** (`remove_unneeded_uops`): an instruction pointer
//!    is only needed before a uop that escapes; validity only after one; a value pushed and
//!    popped at once is not pushed at all;
//! 4. oparg **replication** (`_LOAD_FAST_BORROW` 1 → `_LOAD_FAST_BORROW_1`), then
//!    **exit stubs** (`prepare_for_execution`): every guard gets a jump to a shared
//!    `_DEOPT`/`_EXIT_TRACE` stub after the trace, every uop that can fail a jump to an
//!    `_ERROR_POP_N` stub.

use super::symbols::{SymId, Syms};
use super::{Deps, Ids, Operand, Uop};
use crate::alloc::types;
use crate::code::CodeRt;
use crate::tier2::dict_id;
use crate::value::{Data, ObjRef, Value};
use crate::Vm;
use cpyviz_model::tables::{flags, Replication, Tables};
use std::rc::Rc;

/// What optimizing a projection gave.
pub enum Optimized {
    /// The executor's uops, exit stubs included.
    Trace(Vec<Uop>),
    /// Not now (stale dict keys, or a contradiction): retry after backing off.
    NotReady,
}

/// The frame a trace starts in.
pub struct Root<'a> {
    pub code: &'a Rc<CodeRt>,
    pub func: Option<&'a ObjRef>,
    pub globals: &'a ObjRef,
    /// Items on its value stack when the trace starts.
    pub stack_entries: usize,
}

/// `uop_optimize` after projection: the optimizer passes, replication, exit stubs.
pub fn optimize(vm: &Vm, ids: &Ids, mut uops: Vec<Uop>, root: &Root, deps: &mut Deps) -> Optimized {
    let t = cpyviz_model::tables::for_version(vm.version);
    if !remove_globals(vm, ids, &mut uops, root.func, root.globals, deps) {
        return Optimized::NotReady;
    }
    if !optimize_uops(vm, t, ids, &mut uops, root.code, root.stack_entries, deps) {
        return Optimized::NotReady;
    }
    let len = remove_unneeded_uops(t, ids, &mut uops);
    uops.truncate(len);
    replicate(t, ids, &mut uops);
    Optimized::Trace(prepare_for_execution(t, ids, uops))
}

/// The dict behind a globals dict object, or behind a module's attributes.
fn dict_of(o: &ObjRef) -> Option<&std::cell::RefCell<crate::dict::Dict>> {
    match &o.data {
        Data::Dict(d) => Some(d),
        Data::Module(_) => o.dict.as_ref(),
        _ => None,
    }
}

fn function_globals(f: &ObjRef) -> Option<(ObjRef, u32)> {
    match &f.data {
        Data::Function(func) => Some((func.globals.clone(), func.version.get())),
        _ => None,
    }
}

/// Watches a globals dict for the executor being built (`PyDict_Watch` + the bloom filter).
fn watch(d: &ObjRef, deps: &mut Deps, as_dependency: bool) {
    if let Some(dict) = dict_of(d) {
        let mut b = dict.borrow_mut();
        b.watched = true;
        if as_dependency {
            deps.dicts.push(dict_id(&b));
        }
    }
}

fn mutations(d: &ObjRef) -> u8 {
    dict_of(d).map_or(0, |x| x.borrow().watch_mutations)
}

fn keys_version(d: &ObjRef) -> Option<u32> {
    dict_of(d).map(|x| x.borrow().keys_version)
}

/// `convert_global_to_const`: the global the uop loads becomes a constant the trace holds.
fn global_to_const(
    vm: &Vm,
    ids: &Ids,
    u: &mut Uop,
    dict: &ObjRef,
    pop: bool,
    check_version: bool,
) -> Option<Value> {
    let d = dict_of(dict)?;
    if check_version {
        if let Operand::Version(v) = u.operand {
            if d.borrow().keys_version != v {
                return None;
            }
        }
    }
    let name = u.code.names.get((u.oparg >> 1) as usize)?.clone();
    let value = d.borrow().get_str(&name).cloned()?;
    let immortal = super::is_immortal(vm, &value);
    u.op = match (pop, immortal) {
        (false, true) => ids.load_const_inline_borrow,
        (false, false) => ids.load_const_inline,
        (true, true) => ids.pop_top_load_const_inline_borrow,
        (true, false) => ids.pop_top_load_const_inline,
    };
    u.operand = Operand::Const(value.clone());
    Some(value)
}

/// `remove_globals`; `false` when the trace is not suitable yet (a dict's keys changed since
/// the instructions specialized).
fn remove_globals(
    vm: &Vm,
    ids: &Ids,
    uops: &mut [Uop],
    root_func: Option<&ObjRef>,
    root_globals: &ObjRef,
    deps: &mut Deps,
) -> bool {
    let t = cpyviz_model::tables::for_version(vm.version);
    let max_globals = t
        .constant("_Py_MAX_ALLOWED_GLOBALS_MODIFICATIONS")
        .unwrap_or(6) as u8;
    let builtins = vm.builtins.clone();
    let mut globals = root_globals.clone();
    let mut function_version = root_func.and_then(function_globals).map_or(0, |(_, v)| v);
    let (mut function_checked, mut builtins_watched, mut globals_watched) = (0u32, 0u32, 0u32);
    let mut prechecked = 0u32;
    for pc in 0..uops.len() {
        let op = uops[pc].op;
        let version_of = |u: &Uop| match u.operand {
            Operand::Version(v) => v,
            _ => 0,
        };
        if op == ids.guard_globals_version {
            if keys_version(&globals) != Some(version_of(&uops[pc])) {
                return false;
            }
            if mutations(&globals) >= max_globals {
                continue;
            }
            if globals_watched & 1 == 0 {
                watch(&globals, deps, true);
                globals_watched |= 1;
            }
            if function_checked & 1 != 0 {
                uops[pc].op = ids.nop;
            } else {
                uops[pc].op = ids.check_function;
                uops[pc].operand = Operand::Version(function_version);
                function_checked |= 1;
            }
        } else if op == ids.load_global_builtins {
            if keys_version(&builtins) != Some(version_of(&uops[pc])) {
                return false;
            }
            if builtins_watched & 1 == 0 {
                watch(&builtins, deps, false);
                builtins_watched |= 1;
            }
            if function_checked & globals_watched & 1 != 0 {
                global_to_const(vm, ids, &mut uops[pc], &builtins, false, true);
            }
        } else if op == ids.load_global_module {
            if keys_version(&globals) != Some(version_of(&uops[pc])) {
                return false;
            }
            if mutations(&globals) >= max_globals {
                continue;
            }
            if globals_watched & 1 == 0 {
                watch(&globals, deps, true);
                globals_watched |= 1;
            }
            if function_checked & 1 == 0 && pc > 0 && uops[pc - 1].op == ids.nop {
                uops[pc - 1].op = ids.check_function;
                uops[pc - 1].operand = Operand::Version(function_version);
                function_checked |= 1;
            }
            if function_checked & 1 != 0 {
                let g = globals.clone();
                global_to_const(vm, ids, &mut uops[pc], &g, false, true);
            }
        } else if op == ids.push_frame || op == ids.return_value {
            if op == ids.push_frame {
                builtins_watched <<= 1;
                globals_watched <<= 1;
                function_checked <<= 1;
            } else {
                builtins_watched >>= 1;
                globals_watched >>= 1;
                function_checked >>= 1;
            }
            let Operand::Func(Value::Obj(f)) = &uops[pc].operand else {
                return true;
            };
            let Some((g, v)) = function_globals(f) else {
                return true;
            };
            function_version = v;
            if op == ids.push_frame {
                if prechecked == function_version {
                    function_checked |= 1;
                }
                prechecked = 0;
            }
            globals = g;
        } else if op == ids.check_function_exact_args {
            prechecked = version_of(&uops[pc]);
        } else if op == ids.exit_trace || op == ids.jump_to_top {
            return true;
        }
    }
    false
}

/// An abstract frame: the symbols of a code object's locals and value stack.
struct AFrame {
    locals: Vec<SymId>,
    stack: Vec<Slot>,
}

/// A stack item: a symbol, or a frame made by `_INIT_CALL_PY_EXACT_ARGS` for `_PUSH_FRAME`.
enum Slot {
    Sym(SymId),
    Frame(Option<AFrame>),
}

struct Ctx {
    syms: Syms,
    frames: Vec<AFrame>,
}

impl Ctx {
    fn frame(&mut self) -> &mut AFrame {
        self.frames.last_mut().expect("the root frame")
    }

    fn pop(&mut self) -> SymId {
        match self.frame().stack.pop() {
            Some(Slot::Sym(s)) => s,
            _ => self.syms.new_unknown(),
        }
    }

    fn push(&mut self, s: SymId) {
        self.frame().stack.push(Slot::Sym(s));
    }

    /// The symbol `n` below the top (0 = top).
    fn peek(&mut self, n: usize) -> SymId {
        let len = self.frame().stack.len();
        match len
            .checked_sub(n + 1)
            .map(|k| &self.frames.last().unwrap().stack[k])
        {
            Some(Slot::Sym(s)) => *s,
            _ => 0,
        }
    }

    fn set(&mut self, n: usize, s: SymId) {
        let f = self.frame();
        let len = f.stack.len();
        if let Some(k) = len.checked_sub(n + 1) {
            f.stack[k] = Slot::Sym(s);
        }
    }

    fn local(&mut self, i: u32) -> SymId {
        let f = self.frames.last().unwrap();
        match f.locals.get(i as usize) {
            Some(s) => *s,
            None => 0,
        }
    }

    fn set_local(&mut self, i: u32, s: SymId) {
        if let Some(l) = self.frame().locals.get_mut(i as usize) {
            *l = s;
        }
    }

    fn new_frame(&mut self, code: &CodeRt, args: Option<Vec<SymId>>) -> AFrame {
        let n = code.localsplus.len();
        let mut locals = args.unwrap_or_default();
        locals.truncate(n);
        while locals.len() < n {
            let s = self.syms.new_unknown();
            locals.push(s);
        }
        AFrame {
            locals,
            stack: Vec::new(),
        }
    }
}

fn popped(t: &Tables, op: u16, oparg: u32) -> usize {
    t.uop(op)
        .and_then(|u| u.popped.as_ref())
        .map_or(0, |e| e.eval(oparg as i32).max(0) as usize)
}

/// How many `not NULL` results the uops without a case of their own push (the generated
/// default case of `optimizer_cases.c.h`).
fn default_pushes(name: &str, oparg: u32) -> usize {
    match name {
        "_LOAD_SUPER_ATTR_METHOD" | "_CHECK_EG_MATCH" | "_PUSH_EXC_INFO" => 2,
        "_UNPACK_SEQUENCE_LIST" => oparg as usize,
        "_END_SEND"
        | "_UNARY_NEGATIVE"
        | "_UNARY_INVERT"
        | "_BINARY_OP_EXTEND"
        | "_BINARY_SLICE"
        | "_BINARY_OP_SUBSCR_LIST_INT"
        | "_BINARY_OP_SUBSCR_LIST_SLICE"
        | "_BINARY_OP_SUBSCR_DICT"
        | "_BINARY_OP_SUBSCR_CHECK_FUNC"
        | "_CALL_INTRINSIC_1"
        | "_CALL_INTRINSIC_2"
        | "_GET_AITER"
        | "_GET_ANEXT"
        | "_GET_AWAITABLE"
        | "_LOAD_COMMON_CONSTANT"
        | "_LOAD_BUILD_CLASS"
        | "_LOAD_LOCALS"
        | "_LOAD_NAME"
        | "_LOAD_GLOBAL"
        | "_LOAD_GLOBAL_MODULE"
        | "_LOAD_GLOBAL_BUILTINS"
        | "_LOAD_FROM_DICT_OR_DEREF"
        | "_LOAD_DEREF"
        | "_BUILD_INTERPOLATION"
        | "_BUILD_TEMPLATE"
        | "_LOAD_SUPER_ATTR_ATTR"
        | "_LOAD_ATTR_INSTANCE_VALUE"
        | "_LOAD_ATTR_WITH_HINT"
        | "_LOAD_ATTR_SLOT"
        | "_LOAD_ATTR_CLASS"
        | "_LOAD_ATTR_NONDESCRIPTOR_WITH_VALUES"
        | "_LOAD_ATTR_NONDESCRIPTOR_NO_DICT"
        | "_CHECK_EXC_MATCH"
        | "_IMPORT_NAME"
        | "_IMPORT_FROM"
        | "_IS_NONE"
        | "_GET_LEN"
        | "_MATCH_CLASS"
        | "_MATCH_MAPPING"
        | "_MATCH_SEQUENCE"
        | "_MATCH_KEYS"
        | "_GET_ITER"
        | "_GET_YIELD_FROM_ITER"
        | "_FOR_ITER_TIER_TWO"
        | "_ITER_NEXT_LIST_TIER_TWO"
        | "_ITER_NEXT_TUPLE"
        | "_WITH_EXCEPT_START"
        | "_CALL_NON_PY_GENERAL"
        | "_CALL_BUILTIN_CLASS"
        | "_CALL_BUILTIN_O"
        | "_CALL_BUILTIN_FAST"
        | "_CALL_BUILTIN_FAST_WITH_KEYWORDS"
        | "_CALL_ISINSTANCE"
        | "_CALL_METHOD_DESCRIPTOR_O"
        | "_CALL_METHOD_DESCRIPTOR_FAST_WITH_KEYWORDS"
        | "_CALL_METHOD_DESCRIPTOR_NOARGS"
        | "_CALL_METHOD_DESCRIPTOR_FAST"
        | "_CALL_KW_NON_PY"
        | "_MAKE_FUNCTION"
        | "_SET_FUNCTION_ATTRIBUTE"
        | "_CONVERT_VALUE"
        | "_FORMAT_SIMPLE"
        | "_FORMAT_WITH_SPEC"
        | "_POP_TWO_LOAD_CONST_INLINE_BORROW" => 1,
        _ => 0,
    }
}

fn int_const(v: &Value) -> Option<num_bigint::BigInt> {
    match v {
        Value::Int(i) => Some((*i).into()),
        Value::Obj(o) => match &o.data {
            Data::Long(b) => Some(b.clone()),
            _ => None,
        },
        _ => None,
    }
}

fn big_value(b: num_bigint::BigInt) -> Value {
    crate::alloc::big(b)
}

/// `optimize_uops`; `false` when the trace hit a contradiction (unstable types: retry later).
fn optimize_uops(
    vm: &Vm,
    t: &'static Tables,
    ids: &Ids,
    uops: &mut [Uop],
    root: &Rc<CodeRt>,
    stack_entries: usize,
    deps: &mut Deps,
) -> bool {
    let cap = t.constant("UOP_MAX_TRACE_LENGTH").unwrap_or(800) as usize * 5;
    let mut ctx = Ctx {
        syms: Syms::new(cap),
        frames: Vec::new(),
    };
    let mut root_frame = ctx.new_frame(root, None);
    for _ in 0..stack_entries {
        let s = ctx.syms.new_unknown();
        root_frame.stack.push(Slot::Sym(s));
    }
    ctx.frames.push(root_frame);
    let ty = types();
    let mut curr_space: i64 = 0;
    let mut max_space: i64 = 0;
    let mut first_valid_check_stack: Option<usize> = None;
    let mut corresponding_check_stack: Option<usize> = None;
    let len_builtin = dict_of(&vm.builtins).and_then(|d| d.borrow().get_str("len").cloned());
    let mut i = 0;
    while !ctx.syms.done && i < uops.len() {
        let op = uops[i].op;
        let oparg = uops[i].oparg;
        let name = t.uop_name(op).unwrap_or("");
        let replace = |u: &mut Uop, op: u16, oparg: u32| {
            u.op = op;
            u.oparg = oparg;
            u.operand = Operand::None;
        };
        macro_rules! guard_type {
            ($depth:expr, $ty:expr) => {{
                let s = ctx.peek($depth);
                if ctx.syms.matches_type(s, $ty) {
                    replace(&mut uops[i], ids.nop, 0);
                }
                ctx.syms.set_type(s, $ty);
            }};
        }
        match name {
            "_LOAD_FAST_CHECK" => {
                let v = ctx.local(oparg);
                if ctx.syms.is_null(v) {
                    ctx.syms.done = true;
                }
                ctx.push(v);
            }
            "_LOAD_FAST" | "_LOAD_FAST_BORROW" => {
                let v = ctx.local(oparg);
                ctx.push(v);
            }
            "_LOAD_FAST_AND_CLEAR" => {
                let v = ctx.local(oparg);
                let null = ctx.syms.new_null();
                ctx.set_local(oparg, null);
                ctx.push(v);
            }
            "_STORE_FAST" => {
                let v = ctx.pop();
                ctx.set_local(oparg, v);
            }
            "_PUSH_NULL" => {
                let s = ctx.syms.new_null();
                ctx.push(s);
            }
            "_GUARD_TOS_INT" => guard_type!(0, &ty.int),
            "_GUARD_NOS_INT" => guard_type!(1, &ty.int),
            "_GUARD_TOS_FLOAT" => guard_type!(0, &ty.float),
            "_GUARD_NOS_FLOAT" => guard_type!(1, &ty.float),
            "_GUARD_TOS_UNICODE" => guard_type!(0, &ty.str_),
            "_GUARD_NOS_UNICODE" => guard_type!(1, &ty.str_),
            "_GUARD_TOS_LIST" => guard_type!(0, &ty.list),
            "_GUARD_NOS_LIST" => guard_type!(1, &ty.list),
            "_GUARD_TOS_TUPLE" => guard_type!(0, &ty.tuple),
            "_GUARD_NOS_TUPLE" => guard_type!(1, &ty.tuple),
            "_GUARD_TOS_DICT" => guard_type!(0, &ty.dict),
            "_GUARD_NOS_DICT" => guard_type!(1, &ty.dict),
            "_GUARD_TOS_ANY_SET" => {
                let s = ctx.peek(0);
                if ctx.syms.matches_type(s, &ty.set) || ctx.syms.matches_type(s, &ty.frozenset) {
                    replace(&mut uops[i], ids.nop, 0);
                }
            }
            "_GUARD_NOS_NULL" => {
                let s = ctx.peek(1);
                if ctx.syms.is_null(s) {
                    replace(&mut uops[i], ids.nop, 0);
                }
                ctx.syms.set_null(s);
            }
            "_GUARD_TYPE_VERSION" => {
                let owner = ctx.peek(0);
                let version = match uops[i].operand {
                    Operand::Version(v) => v,
                    _ => 0,
                };
                if ctx.syms.matches_type_version(owner, version) {
                    replace(&mut uops[i], ids.nop, 0);
                } else if let Some(cls) = crate::types::by_version(version) {
                    if ctx.syms.set_type_version(owner, version) {
                        crate::tier2::watch_type(&cls);
                        deps.types.push(Rc::as_ptr(&cls) as usize);
                    }
                }
            }
            "_BINARY_OP" => {
                let right = ctx.pop();
                let left = ctx.pop();
                let li = ctx.syms.matches_type(left, &ty.int);
                let ri = ctx.syms.matches_type(right, &ty.int);
                let lf = ctx.syms.matches_type(left, &ty.float);
                let rf = ctx.syms.matches_type(right, &ty.float);
                let nb = t.nb_ops.get(oparg as usize).map_or("", |n| n.0);
                let res = if !((li || lf) && (ri || rf)) {
                    ctx.syms.new_unknown()
                } else if nb == "NB_POWER" || nb == "NB_INPLACE_POWER" {
                    if rf {
                        ctx.syms.new_unknown()
                    } else if lf {
                        ctx.syms.new_type(&ty.float)
                    } else {
                        match ctx.syms.get_const(right).and_then(|v| int_const(&v)) {
                            None => ctx.syms.new_unknown(),
                            Some(b) if b.sign() == num_bigint::Sign::Minus => {
                                ctx.syms.new_type(&ty.float)
                            }
                            Some(_) => ctx.syms.new_type(&ty.int),
                        }
                    }
                } else if nb == "NB_TRUE_DIVIDE" || nb == "NB_INPLACE_TRUE_DIVIDE" {
                    ctx.syms.new_type(&ty.float)
                } else if li && ri {
                    ctx.syms.new_type(&ty.int)
                } else {
                    ctx.syms.new_type(&ty.float)
                };
                ctx.push(res);
            }
            "_BINARY_OP_ADD_INT" | "_BINARY_OP_SUBTRACT_INT" | "_BINARY_OP_MULTIPLY_INT" => {
                let right = ctx.pop();
                let left = ctx.pop();
                let folded = match (ctx.syms.get_const(left), ctx.syms.get_const(right)) {
                    (Some(l), Some(r)) => match (int_const(&l), int_const(&r)) {
                        (Some(l), Some(r)) => Some(big_value(match name {
                            "_BINARY_OP_ADD_INT" => l + r,
                            "_BINARY_OP_SUBTRACT_INT" => l - r,
                            _ => l * r,
                        })),
                        _ => None,
                    },
                    _ => None,
                };
                let res = match folded {
                    Some(v) => ctx.syms.new_const(v),
                    None => ctx.syms.new_type(&ty.int),
                };
                ctx.push(res);
            }
            "_BINARY_OP_ADD_FLOAT" | "_BINARY_OP_SUBTRACT_FLOAT" | "_BINARY_OP_MULTIPLY_FLOAT" => {
                let right = ctx.pop();
                let left = ctx.pop();
                let folded = match (ctx.syms.get_const(left), ctx.syms.get_const(right)) {
                    (Some(Value::Float(l)), Some(Value::Float(r))) => {
                        Some(Value::Float(match name {
                            "_BINARY_OP_ADD_FLOAT" => l + r,
                            "_BINARY_OP_SUBTRACT_FLOAT" => l - r,
                            _ => l * r,
                        }))
                    }
                    _ => None,
                };
                let res = match folded {
                    Some(v) => ctx.syms.new_const(v),
                    None => ctx.syms.new_type(&ty.float),
                };
                ctx.push(res);
            }
            "_BINARY_OP_ADD_UNICODE" | "_BINARY_OP_INPLACE_ADD_UNICODE" => {
                let right = ctx.pop();
                let left = ctx.pop();
                let folded = match (ctx.syms.get_const(left), ctx.syms.get_const(right)) {
                    (Some(l), Some(r)) => match (l.as_str(), r.as_str()) {
                        (Some(a), Some(b)) => Some(crate::alloc::string(format!("{a}{b}"))),
                        _ => None,
                    },
                    _ => None,
                };
                let res = match folded {
                    Some(v) => ctx.syms.new_const(v),
                    None => ctx.syms.new_type(&ty.str_),
                };
                if name == "_BINARY_OP_ADD_UNICODE" {
                    ctx.push(res);
                } else if let Operand::Local(l) = uops[i].operand {
                    ctx.set_local(l, res);
                }
            }
            "_BINARY_OP_SUBSCR_INIT_CALL" => {
                ctx.pop();
                ctx.pop();
                ctx.pop();
                ctx.frame().stack.push(Slot::Frame(None));
                ctx.syms.done = true;
            }
            "_BINARY_OP_SUBSCR_STR_INT" => {
                ctx.pop();
                ctx.pop();
                let s = ctx.syms.new_type(&ty.str_);
                ctx.push(s);
            }
            "_BINARY_OP_SUBSCR_TUPLE_INT" => {
                let sub = ctx.pop();
                let tuple = ctx.pop();
                let res = match ctx.syms.get_const(sub) {
                    Some(Value::Int(k)) if k >= 0 => match ctx.syms.tuple_length(tuple) {
                        Some(n) if (k as usize) < n => ctx.syms.tuple_getitem(tuple, k as usize),
                        _ => ctx.syms.new_not_null(),
                    },
                    _ => ctx.syms.new_not_null(),
                };
                ctx.push(res);
            }
            "_TO_BOOL" | "_TO_BOOL_BOOL" | "_TO_BOOL_INT" | "_TO_BOOL_LIST" | "_TO_BOOL_NONE"
            | "_TO_BOOL_STR" => {
                let value = ctx.pop();
                let res = if ctx.syms.matches_type(value, &ty.bool_) {
                    replace(&mut uops[i], ids.nop, 0);
                    value
                } else {
                    let tr = ctx.syms.truthiness(value);
                    if tr >= 0 {
                        let b = Value::Bool(tr == 1);
                        uops[i].op = ids.pop_top_load_const_inline_borrow;
                        uops[i].oparg = 0;
                        uops[i].operand = Operand::Const(b.clone());
                        ctx.syms.new_const(b)
                    } else {
                        match name {
                            "_TO_BOOL" | "_TO_BOOL_STR" => ctx.syms.new_truthiness(value, true),
                            "_TO_BOOL_BOOL" => {
                                ctx.syms.set_type(value, &ty.bool_);
                                ctx.syms.new_truthiness(value, true)
                            }
                            "_TO_BOOL_INT" => {
                                ctx.syms.set_type(value, &ty.int);
                                ctx.syms.new_truthiness(value, true)
                            }
                            "_TO_BOOL_LIST" => ctx.syms.new_type(&ty.bool_),
                            _ => {
                                ctx.syms.set_const(value, Value::None);
                                ctx.syms.new_const(Value::Bool(false))
                            }
                        }
                    }
                };
                ctx.push(res);
            }
            "_UNARY_NOT" => {
                let value = ctx.pop();
                ctx.syms.set_type(value, &ty.bool_);
                let res = ctx.syms.new_truthiness(value, false);
                ctx.push(res);
            }
            "_COMPARE_OP" => {
                ctx.pop();
                ctx.pop();
                let res = if oparg & 16 != 0 {
                    ctx.syms.new_type(&ty.bool_)
                } else {
                    ctx.syms.new_not_null()
                };
                ctx.push(res);
            }
            "_COMPARE_OP_INT" => {
                let right = ctx.pop();
                let left = ctx.pop();
                let folded = match (ctx.syms.get_const(left), ctx.syms.get_const(right)) {
                    (Some(l), Some(r)) => match (int_const(&l), int_const(&r)) {
                        (Some(l), Some(r)) => Some(match oparg >> 5 {
                            0 => l < r,
                            1 => l <= r,
                            2 => l == r,
                            3 => l != r,
                            4 => l > r,
                            _ => l >= r,
                        }),
                        _ => None,
                    },
                    _ => None,
                };
                let res = match folded {
                    Some(b) => {
                        uops[i].op = ids.pop_two_load_const_inline_borrow;
                        uops[i].oparg = 0;
                        uops[i].operand = Operand::Const(Value::Bool(b));
                        ctx.syms.new_const(Value::Bool(b))
                    }
                    None => ctx.syms.new_type(&ty.bool_),
                };
                ctx.push(res);
            }
            "_COMPARE_OP_FLOAT" | "_COMPARE_OP_STR" | "_IS_OP" | "_CONTAINS_OP"
            | "_CONTAINS_OP_SET" | "_CONTAINS_OP_DICT" => {
                ctx.pop();
                ctx.pop();
                let s = ctx.syms.new_type(&ty.bool_);
                ctx.push(s);
            }
            "_LOAD_CONST" | "_LOAD_CONST_MORTAL" | "_LOAD_CONST_IMMORTAL" => {
                let val = uops[i]
                    .code
                    .consts
                    .get(oparg as usize)
                    .cloned()
                    .unwrap_or(Value::None);
                let borrow = name == "_LOAD_CONST_IMMORTAL" || super::is_immortal(vm, &val);
                uops[i].op = if borrow {
                    ids.load_const_inline_borrow
                } else {
                    ids.load_const_inline
                };
                uops[i].oparg = 0;
                uops[i].operand = Operand::Const(val.clone());
                let s = ctx.syms.new_const(val);
                ctx.push(s);
            }
            "_LOAD_SMALL_INT" => {
                let s = ctx.syms.new_const(Value::Int(oparg as i64));
                ctx.push(s);
            }
            "_LOAD_CONST_INLINE" | "_LOAD_CONST_INLINE_BORROW" => {
                let v = match &uops[i].operand {
                    Operand::Const(v) => v.clone(),
                    _ => Value::None,
                };
                let s = ctx.syms.new_const(v);
                ctx.push(s);
            }
            "_POP_TOP_LOAD_CONST_INLINE" | "_POP_TOP_LOAD_CONST_INLINE_BORROW" => {
                ctx.pop();
                let v = match &uops[i].operand {
                    Operand::Const(v) => v.clone(),
                    _ => Value::None,
                };
                let s = ctx.syms.new_const(v);
                ctx.push(s);
            }
            "_COPY" => {
                let s = ctx.peek(oparg.saturating_sub(1) as usize);
                ctx.push(s);
            }
            "_SWAP" => {
                let top = ctx.peek(0);
                let bottom = ctx.peek(oparg.saturating_sub(1) as usize);
                ctx.set(0, bottom);
                ctx.set(oparg.saturating_sub(1) as usize, top);
            }
            "_LOAD_ATTR_MODULE" => {
                let owner = ctx.pop();
                let mut attr = None;
                if let Some(Value::Obj(m)) = ctx.syms.get_const(owner) {
                    if let Some(md) = module_dict(&m) {
                        let max = t
                            .constant("_Py_MAX_ALLOWED_GLOBALS_MODIFICATIONS")
                            .unwrap_or(6) as u8;
                        if mutations(&md) < max {
                            watch(&md, deps, true);
                            attr = Some(
                                match global_to_const(vm, ids, &mut uops[i], &md, true, false) {
                                    Some(v) => ctx.syms.new_const(v),
                                    None => ctx.syms.new_not_null(),
                                },
                            );
                        }
                    }
                }
                let a = attr.unwrap_or_else(|| ctx.syms.new_not_null());
                ctx.push(a);
            }
            "_PUSH_NULL_CONDITIONAL" => {
                if oparg & 1 != 0 {
                    replace(&mut uops[i], ids.push_null, 0);
                    let s = ctx.syms.new_null();
                    ctx.push(s);
                } else {
                    replace(&mut uops[i], ids.nop, 0);
                }
            }
            "_LOAD_ATTR" => {
                ctx.pop();
                let a = ctx.syms.new_not_null();
                ctx.push(a);
                if oparg & 1 != 0 {
                    let s = ctx.syms.new_unknown();
                    ctx.push(s);
                }
            }
            "_LOAD_ATTR_METHOD_WITH_VALUES"
            | "_LOAD_ATTR_METHOD_NO_DICT"
            | "_LOAD_ATTR_METHOD_LAZY_DICT" => {
                let owner = ctx.pop();
                let a = ctx.syms.new_not_null();
                ctx.push(a);
                ctx.push(owner);
            }
            "_LOAD_ATTR_PROPERTY_FRAME" => {
                ctx.pop();
                ctx.frame().stack.push(Slot::Frame(None));
                ctx.syms.done = true;
            }
            "_INIT_CALL_BOUND_METHOD_EXACT_ARGS" => {
                let a = ctx.syms.new_not_null();
                let b = ctx.syms.new_not_null();
                ctx.set(oparg as usize + 1, a);
                ctx.set(oparg as usize, b);
            }
            "_CHECK_FUNCTION_VERSION" => {
                let callable = ctx.peek(oparg as usize + 1);
                if ctx.syms.is_const(callable) && ctx.syms.matches_type(callable, &ty.function) {
                    let v = uops[i].operand.clone();
                    uops[i].op = ids.check_function_version_inline;
                    uops[i].oparg = 0;
                    uops[i].operand = v;
                }
                ctx.syms.set_type(callable, &ty.function);
            }
            "_CHECK_FUNCTION_EXACT_ARGS" => {
                let self_or_null = ctx.peek(oparg as usize);
                let callable = ctx.peek(oparg as usize + 1);
                if let Some(Value::Obj(f)) = ctx.syms.get_const(callable) {
                    if ctx.syms.is_null(self_or_null) || ctx.syms.is_not_null(self_or_null) {
                        if let Data::Function(func) = &f.data {
                            let extra = !ctx.syms.is_null(self_or_null) as usize;
                            if func.code.argcount == oparg as usize + extra {
                                replace(&mut uops[i], ids.nop, 0);
                            }
                        }
                    }
                }
            }
            "_CHECK_CALL_BOUND_METHOD_EXACT_ARGS" => {
                let null = ctx.peek(oparg as usize);
                let callable = ctx.peek(oparg as usize + 1);
                ctx.syms.set_null(null);
                ctx.syms.set_type(callable, &ty.method);
            }
            "_INIT_CALL_PY_EXACT_ARGS" | "_PY_FRAME_GENERAL" => {
                let code = uops.get(i + 2).and_then(|u| u.operand.frame_code());
                let Some(code) = code else {
                    ctx.syms.done = true;
                    break;
                };
                let n = oparg as usize;
                let mut args: Vec<SymId> = (0..n).rev().map(|k| ctx.peek(k)).collect();
                let self_or_null = ctx.peek(n);
                for _ in 0..n + 2 {
                    ctx.frame().stack.pop();
                }
                let known = ctx.syms.is_null(self_or_null) || ctx.syms.is_not_null(self_or_null);
                let seeded = if name == "_INIT_CALL_PY_EXACT_ARGS" && known {
                    if ctx.syms.is_not_null(self_or_null) {
                        args.insert(0, self_or_null);
                    }
                    Some(args)
                } else {
                    None
                };
                let f = ctx.new_frame(&code, seeded);
                ctx.frame().stack.push(Slot::Frame(Some(f)));
            }
            "_MAYBE_EXPAND_METHOD" => {
                let a = ctx.syms.new_not_null();
                let b = ctx.syms.new_not_null();
                ctx.set(oparg as usize + 1, a);
                ctx.set(oparg as usize, b);
            }
            "_PY_FRAME_KW" => {
                for _ in 0..oparg as usize + 3 {
                    ctx.frame().stack.pop();
                }
                ctx.frame().stack.push(Slot::Frame(None));
                ctx.syms.done = true;
            }
            "_CHECK_AND_ALLOCATE_OBJECT" => {
                let a = ctx.syms.new_not_null();
                let b = ctx.syms.new_not_null();
                ctx.set(oparg as usize + 1, a);
                ctx.set(oparg as usize, b);
            }
            "_CREATE_INIT_FRAME" => {
                for _ in 0..oparg as usize + 2 {
                    ctx.frame().stack.pop();
                }
                ctx.frame().stack.push(Slot::Frame(None));
                ctx.syms.done = true;
            }
            "_RETURN_VALUE" | "_RETURN_GENERATOR" => {
                let retval = if name == "_RETURN_VALUE" {
                    ctx.pop()
                } else {
                    ctx.syms.new_unknown()
                };
                if ctx.frames.len() > 1 {
                    ctx.frames.pop();
                }
                if uops[i].operand.frame_code().is_none() {
                    ctx.syms.done = true;
                }
                ctx.push(retval);
            }
            "_YIELD_VALUE" => {
                ctx.pop();
                let s = ctx.syms.new_unknown();
                ctx.push(s);
            }
            "_FOR_ITER_GEN_FRAME" | "_SEND_GEN_FRAME" => ctx.syms.done = true,
            "_CHECK_STACK_SPACE" => corresponding_check_stack = Some(i),
            "_PUSH_FRAME" => {
                let new_frame = match ctx.frame().stack.pop() {
                    Some(Slot::Frame(f)) => f,
                    _ => None,
                };
                let Some(new_frame) = new_frame else {
                    ctx.syms.done = true;
                    break;
                };
                ctx.frames.push(new_frame);
                let Some(code) = uops[i].operand.frame_code() else {
                    ctx.syms.done = true;
                    break;
                };
                curr_space += framesize(&code);
                max_space = max_space.max(curr_space);
                if first_valid_check_stack.is_none() {
                    first_valid_check_stack = corresponding_check_stack;
                } else if let Some(k) = corresponding_check_stack {
                    uops[k].op = ids.nop;
                }
                corresponding_check_stack = None;
            }
            "_UNPACK_SEQUENCE" => {
                ctx.pop();
                for _ in 0..oparg {
                    let s = ctx.syms.new_unknown();
                    ctx.push(s);
                }
            }
            "_UNPACK_EX" => {
                ctx.pop();
                let total = (oparg & 0xFF) + (oparg >> 8) + 1;
                for _ in 0..total {
                    let s = ctx.syms.new_unknown();
                    ctx.push(s);
                }
            }
            "_ITER_NEXT_RANGE" => {
                let s = ctx.syms.new_type(&ty.int);
                ctx.push(s);
            }
            "_CALL_TYPE_1" => {
                let arg = ctx.pop();
                ctx.pop();
                ctx.pop();
                let res = match ctx.syms.get_type(arg) {
                    Some(tp) => ctx.syms.new_const(Value::Obj(tp)),
                    None => ctx.syms.new_not_null(),
                };
                ctx.push(res);
            }
            "_CALL_STR_1" | "_CALL_TUPLE_1" => {
                let arg = ctx.pop();
                ctx.pop();
                ctx.pop();
                let want = if name == "_CALL_STR_1" {
                    &ty.str_
                } else {
                    &ty.tuple
                };
                let res = if ctx.syms.matches_type(arg, want) {
                    arg
                } else {
                    ctx.syms.new_type(want)
                };
                ctx.push(res);
            }
            "_GUARD_IS_TRUE_POP" | "_GUARD_IS_FALSE_POP" => {
                let flag = ctx.pop();
                let want = name == "_GUARD_IS_TRUE_POP";
                if let Some(v) = ctx.syms.get_const(flag) {
                    let exit = !matches!(v, Value::Bool(b) if b == want);
                    eliminate_pop_guard(ids, uops, i, exit);
                }
                ctx.syms.set_const(flag, Value::Bool(want));
            }
            "_GUARD_IS_NONE_POP" => {
                let flag = ctx.pop();
                if let Some(v) = ctx.syms.get_const(flag) {
                    eliminate_pop_guard(ids, uops, i, !matches!(v, Value::None));
                } else if ctx.syms.has_type(flag) {
                    eliminate_pop_guard(ids, uops, i, true);
                }
                ctx.syms.set_const(flag, Value::None);
            }
            "_GUARD_IS_NOT_NONE_POP" => {
                let flag = ctx.pop();
                if let Some(v) = ctx.syms.get_const(flag) {
                    eliminate_pop_guard(ids, uops, i, matches!(v, Value::None));
                } else if ctx.syms.has_type(flag) {
                    eliminate_pop_guard(ids, uops, i, false);
                }
            }
            "_CHECK_PEP_523" => replace(&mut uops[i], ids.nop, 0),
            "_INSERT_NULL" => {
                let s = ctx.pop();
                let null = ctx.syms.new_null();
                ctx.push(null);
                ctx.push(s);
            }
            "_LOAD_SPECIAL" => {
                let a = ctx.syms.new_not_null();
                let b = ctx.syms.new_unknown();
                ctx.set(1, a);
                ctx.set(0, b);
            }
            "_JUMP_TO_TOP" | "_EXIT_TRACE" => ctx.syms.done = true,
            "_REPLACE_WITH_TRUE" => {
                ctx.pop();
                uops[i].op = ids.pop_top_load_const_inline_borrow;
                uops[i].oparg = 0;
                uops[i].operand = Operand::Const(Value::Bool(true));
                let s = ctx.syms.new_const(Value::Bool(true));
                ctx.push(s);
            }
            "_BUILD_TUPLE" => {
                let n = oparg as usize;
                let items: Vec<SymId> = (0..n).rev().map(|k| ctx.peek(k)).collect();
                for _ in 0..n {
                    ctx.pop();
                }
                let s = ctx.syms.new_tuple(&items);
                ctx.push(s);
            }
            "_BUILD_LIST" | "_BUILD_SLICE" | "_BUILD_STRING" | "_BUILD_SET" | "_BUILD_MAP" => {
                let n = if name == "_BUILD_MAP" {
                    2 * oparg
                } else {
                    oparg
                };
                for _ in 0..n {
                    ctx.pop();
                }
                let tp = match name {
                    "_BUILD_LIST" => &ty.list,
                    "_BUILD_SLICE" => &ty.slice,
                    "_BUILD_STRING" => &ty.str_,
                    "_BUILD_SET" => &ty.set,
                    _ => &ty.dict,
                };
                let s = ctx.syms.new_type(tp);
                ctx.push(s);
            }
            "_UNPACK_SEQUENCE_TWO_TUPLE" => {
                let seq = ctx.pop();
                let v0 = ctx.syms.tuple_getitem(seq, 0);
                let v1 = ctx.syms.tuple_getitem(seq, 1);
                ctx.push(v1);
                ctx.push(v0);
            }
            "_UNPACK_SEQUENCE_TUPLE" => {
                let seq = ctx.pop();
                for k in 0..oparg as usize {
                    let s = ctx.syms.tuple_getitem(seq, oparg as usize - k - 1);
                    ctx.push(s);
                }
            }
            "_GUARD_CALLABLE_TYPE_1"
            | "_GUARD_CALLABLE_TUPLE_1"
            | "_GUARD_CALLABLE_STR_1"
            | "_GUARD_CALLABLE_LEN" => {
                let callable = ctx.peek(2);
                let want: Option<Value> = match name {
                    "_GUARD_CALLABLE_TYPE_1" => Some(Value::Obj(ty.type_.clone())),
                    "_GUARD_CALLABLE_TUPLE_1" => Some(Value::Obj(ty.tuple.clone())),
                    "_GUARD_CALLABLE_STR_1" => Some(Value::Obj(ty.str_.clone())),
                    _ => len_builtin.clone(),
                };
                if let Some(want) = want {
                    if ctx
                        .syms
                        .get_const(callable)
                        .is_some_and(|c| super::symbols::same(&c, &want))
                    {
                        replace(&mut uops[i], ids.nop, 0);
                    }
                    ctx.syms.set_const(callable, want);
                }
            }
            "_CALL_LEN" => {
                ctx.pop();
                ctx.pop();
                ctx.pop();
                let s = ctx.syms.new_type(&ty.int);
                ctx.push(s);
            }
            _ => {
                for _ in 0..popped(t, op, oparg) {
                    ctx.frame().stack.pop();
                }
                for _ in 0..default_pushes(name, oparg) {
                    let s = ctx.syms.new_not_null();
                    ctx.push(s);
                }
            }
        }
        i += 1;
    }
    if ctx.syms.contradiction {
        return false;
    }
    if let Some(k) = first_valid_check_stack {
        if max_space > 0 {
            uops[k].op = ids.check_stack_space_operand;
        }
    }
    true
}

/// The module itself stands for its namespace (see [`dict_of`]).
fn module_dict(m: &ObjRef) -> Option<ObjRef> {
    matches!(m.data, Data::Module(_)).then(|| m.clone())
}

/// `co_framesize`: locals plus stack plus the frame's own fields.
fn framesize(code: &CodeRt) -> i64 {
    (code.localsplus.len() + code.model.stacksize as usize + 10) as i64
}

/// `eliminate_pop_guard`: a branch guard on a known value is a plain pop, followed — when the
/// branch would go the other way — by an unconditional exit.
fn eliminate_pop_guard(ids: &Ids, uops: &mut [Uop], i: usize, exit: bool) {
    uops[i].op = ids.pop_top;
    uops[i].oparg = 0;
    uops[i].operand = Operand::None;
    if exit && i + 1 < uops.len() {
        let target = uops[i].target;
        let next = &mut uops[i + 1];
        next.op = ids.exit_trace;
        next.oparg = 0;
        next.operand = Operand::None;
        next.target = target;
    }
}

/// `remove_unneeded_uops`; the length up to and including the terminator.
fn remove_unneeded_uops(t: &Tables, ids: &Ids, uops: &mut [Uop]) -> usize {
    let mut last_set_ip: Option<usize> = None;
    let mut may_have_escaped = true;
    for pc in 0..uops.len() {
        let mut op = uops[pc].op;
        if op == ids.start_executor {
            may_have_escaped = false;
            continue;
        }
        if op == ids.set_ip {
            uops[pc].op = ids.nop;
            last_set_ip = Some(pc);
            continue;
        }
        if op == ids.check_validity {
            if may_have_escaped {
                may_have_escaped = false;
            } else {
                uops[pc].op = ids.nop;
            }
            continue;
        }
        if op == ids.jump_to_top || op == ids.exit_trace {
            return pc + 1;
        }
        if op == ids.pop_top
            || op == ids.pop_top_load_const_inline
            || op == ids.pop_top_load_const_inline_borrow
            || op == ids.pop_two_load_const_inline_borrow
        {
            // A value pushed only to be popped is not pushed at all.
            while let Some(last) = (0..pc).rev().find(|&k| uops[k].op != ids.nop) {
                let lop = uops[last].op;
                if lop == ids.pop_two_load_const_inline_borrow {
                    uops[last].op = ids.pop_top;
                    break;
                }
                if lop == ids.pop_top_load_const_inline
                    || lop == ids.pop_top_load_const_inline_borrow
                {
                    uops[last].op = ids.nop;
                    continue;
                }
                if lop == ids.copy
                    || lop == ids.load_const_inline
                    || lop == ids.load_const_inline_borrow
                    || lop == ids.load_fast
                    || lop == ids.load_fast_borrow
                    || lop == ids.load_small_int
                {
                    uops[last].op = ids.nop;
                    if op == ids.pop_top {
                        uops[pc].op = ids.nop;
                        op = ids.nop;
                    } else if op == ids.pop_top_load_const_inline {
                        uops[pc].op = ids.load_const_inline;
                        op = ids.load_const_inline;
                    } else if op == ids.pop_top_load_const_inline_borrow {
                        uops[pc].op = ids.load_const_inline_borrow;
                        op = ids.load_const_inline_borrow;
                    } else {
                        uops[pc].op = ids.pop_top_load_const_inline_borrow;
                        op = ids.pop_top_load_const_inline_borrow;
                        continue;
                    }
                }
                break;
            }
        }
        // The default case.
        let flags = t.uop(op).map_or(0, |u| u.flags);
        let mut needs_ip = op == ids.push_frame;
        if flags & flags::HAS_ESCAPES != 0 {
            needs_ip = true;
            may_have_escaped = true;
        }
        if needs_ip {
            if let Some(k) = last_set_ip.take() {
                uops[k].op = ids.set_ip;
            }
        }
    }
    uops.len()
}

/// The oparg-specialized copies (`_PyUop_Replication`), up to the terminator.
fn replicate(t: &Tables, ids: &Ids, uops: &mut [Uop]) {
    for u in uops.iter_mut() {
        let n = match t.uop(u.op).map(|x| x.replication) {
            Some(Replication::Count(n)) => n as u32,
            _ => 0,
        };
        if u.oparg < n {
            if let Some(name) = t.uop_name(u.op) {
                if let Some(id) = t.uop_id(&format!("{name}_{}", u.oparg)) {
                    u.op = id;
                }
            }
        } else if u.op == ids.exit_trace || u.op == ids.jump_to_top {
            break;
        }
    }
}

/// `prepare_for_execution`: drops `_NOP`s and adds the exit and error stubs.
fn prepare_for_execution(t: &Tables, ids: &Ids, uops: Vec<Uop>) -> Vec<Uop> {
    let mut buf: Vec<Uop> = uops.into_iter().filter(|u| u.op != ids.nop).collect();
    let length = buf.len();
    let mut current_jump = 0u16;
    let mut current_jump_target: i64 = -1;
    let mut current_exit_op: i64 = -1;
    let mut current_error = 0u16;
    let mut current_error_target: i64 = -1;
    let mut current_popped: i64 = -1;
    for i in 0..length {
        let op = buf[i].op;
        let target = buf[i].target;
        let f = t.uop(op).map_or(0, |u| u.flags);
        let code = buf[i].code.clone();
        if f & (flags::HAS_EXIT | flags::HAS_DEOPT) != 0 {
            let exit_op = if f & flags::HAS_EXIT != 0 {
                ids.exit_trace
            } else {
                ids.deopt
            };
            let mut jump_target = target;
            if ids.is_for_iter_test(op) {
                // The POP_ITER after the END_FOR: only the iterator stays on the stack.
                let extended = (buf[i].oparg > 255) as u32;
                let next = target + 1 + 1 + extended;
                jump_target = next + buf[i].oparg + 1;
            }
            if jump_target as i64 != current_jump_target || current_exit_op != exit_op as i64 {
                let origin = code.index_at(jump_target * 2);
                buf.push(Uop::new(exit_op, 0, jump_target, code.clone(), origin));
                let stub = buf.len() - 1;
                buf[stub].origin = u32::MAX;
                current_exit_op = exit_op as i64;
                current_jump_target = jump_target as i64;
                current_jump = stub as u16;
            }
            buf[i].jump = Some((current_jump, 0));
        }
        if f & flags::HAS_ERROR != 0 {
            let no_pop = t.flag("HAS_ERROR_NO_POP_FLAG").unwrap_or(0);
            let popped = if f & no_pop != 0 {
                0
            } else {
                popped(t, op, buf[i].oparg) as i64
            };
            if target as i64 != current_error_target || popped != current_popped {
                current_popped = popped;
                let mut stub = Uop::new(ids.error_pop_n, 0, 0, code.clone(), 0);
                stub.origin = u32::MAX;
                stub.operand = Operand::Version(target);
                buf.push(stub);
                current_error = (buf.len() - 1) as u16;
                current_error_target = target as i64;
            }
            let jump = buf[i].jump.map_or(0, |(j, _)| j);
            buf[i].jump = Some((jump, current_error));
        }
        if op == ids.jump_to_top {
            buf[i].jump = Some((1, 0));
        }
    }
    buf
}

//! The evaluation loop: one handler per instruction, as `Python/bytecodes.c` defines the base
//! instructions. Specialized forms are not separate handlers here: before an instruction with
//! an inline cache runs, [`crate::specialize::observe`] updates its adaptive state from the
//! operands on the stack (hit, miss, specialize, back off), then the base semantics run. The
//! result is the same as CPython's fast paths; the forms and counters are CPython's.

use crate::alloc::{self, types};
use crate::code::{flags, CodeRt};
use crate::dict::Dict;
use crate::frame::Frame;
use crate::value::{Data, Function, GenData, GenKind, ObjRef, Value};
use crate::{Flow, PyResult, Vm};
use cpyviz_compiler::op::Op;
use cpyviz_model::execution::LimitKind;
use std::cell::RefCell;
use std::rc::Rc;

/// How a frame stopped running.
pub enum Exit {
    Return(Value),
    Yield(Value),
}

/// Runs the module code `rt` as `__main__`.
pub fn run_main(vm: &mut Vm, rt: &Rc<CodeRt>) -> PyResult<()> {
    let mut globals = Dict::new();
    globals.set_str("__name__", alloc::s("__main__"));
    globals.set_str("__file__", alloc::str_value(rt.filename.clone()));
    globals.set_str("__builtins__", Value::Obj(vm.builtins.clone()));
    globals.set_str("__doc__", Value::None);
    let globals = match alloc::dict(globals) {
        Value::Obj(o) => o,
        _ => unreachable!("alloc::dict makes an object"),
    };
    let mut frame = Frame::new(rt.clone(), globals.clone(), Some(Value::Obj(globals)));
    // Two frames count against the recursion limit: the module's, and the frame that runs
    // it (`stage.py`'s, whose `exec` the reference traceback shows: see `RUNNER_FRAME`).
    vm.depth += 2;
    let r = run_frame(vm, &mut frame);
    vm.depth -= 2;
    r.map(|_| ())
}

fn dict_of(v: &ObjRef) -> &RefCell<Dict> {
    match &v.data {
        Data::Dict(d) => d,
        _ => v.dict.as_ref().expect("a namespace is a dict"),
    }
}

/// The text of `NameError` for a missing name.
fn name_error(vm: &Vm, frame: &Frame, name: &str) -> Flow {
    let e = crate::exc::new(
        "NameError",
        vec![alloc::string(format!("name '{name}' is not defined"))],
    );
    crate::exc::set_attr(&e, "name", alloc::s(name));
    crate::exc::set_suggest(
        &e,
        crate::suggestions::Suggest::Name(Rc::from(name), scope_of(vm, frame)),
    );
    Flow::Exc(e)
}

/// The names `frame` can see (bound locals, globals, builtins, in that order) and its
/// `self`, for a `NameError`'s suggestion.
fn scope_of(vm: &Vm, frame: &Frame) -> crate::suggestions::NameScope {
    let mut names = Vec::new();
    let mut self_value = None;
    match &frame.locals {
        Some(Value::Obj(o)) => {
            if let Data::Dict(d) = &o.data {
                names.extend(d.borrow().str_items().map(|(k, _)| Rc::from(k)));
            }
        }
        _ => {
            for (n, v) in frame.code.localsplus.iter().zip(&frame.localsplus) {
                let v = match v.data() {
                    Some(Data::Cell(c)) => c.borrow().clone().unwrap_or(Value::Null),
                    _ => v.clone(),
                };
                if !matches!(v, Value::Null) {
                    if &**n == "self" {
                        self_value = Some(v.clone());
                    }
                    names.push(n.clone());
                }
            }
        }
    }
    for d in [dict_of(&frame.globals), dict_of(&vm.builtins)] {
        names.extend(d.borrow().str_items().map(|(k, _)| Rc::from(k)));
    }
    crate::suggestions::NameScope { names, self_value }
}

fn unbound_local(vm: &Vm, name: &str) -> Flow {
    vm.exc(
        "UnboundLocalError",
        format!("cannot access local variable '{name}' where it is not associated with a value"),
    )
}

/// Loads a global the way `LOAD_GLOBAL` does: globals, then builtins (a `NameError` in
/// `frame` when neither has it).
pub fn load_global(vm: &Vm, frame: &Frame, globals: &ObjRef, name: &str) -> PyResult {
    if let Some(v) = dict_of(globals).borrow().get_str(name) {
        return Ok(v.clone());
    }
    if let Some(v) = dict_of(&vm.builtins).borrow().get_str(name) {
        return Ok(v.clone());
    }
    Err(name_error(vm, frame, name))
}

/// Whether `v` is exactly a `dict` (one look at the types).
fn is_exact_dict(v: &Value) -> bool {
    let t = types();
    t.is_exact(v, &t.dict)
}

fn locals_get(vm: &mut Vm, locals: &Value, name: &str) -> PyResult<Option<Value>> {
    match locals.data() {
        Some(Data::Dict(d)) if is_exact_dict(locals) => Ok(d.borrow().get_str(name).cloned()),
        _ => {
            let key = alloc::s(name);
            match vm.getitem(locals, &key) {
                Ok(v) => Ok(Some(v)),
                Err(Flow::Exc(e)) if crate::exc::is_instance(&e, "KeyError") => Ok(None),
                Err(e) => Err(e),
            }
        }
    }
}

fn locals_set(vm: &mut Vm, locals: &Value, name: &str, v: Value) -> PyResult<()> {
    match locals.data() {
        Some(Data::Dict(d)) if is_exact_dict(locals) => {
            d.borrow_mut().set_str(name, v);
            Ok(())
        }
        _ => vm.setitem(locals, &alloc::s(name), v),
    }
}

/// Runs `frame` from its instruction pointer until it returns or yields.
pub fn run_frame(vm: &mut Vm, frame: &mut Frame) -> PyResult<Exit> {
    vm.frames.push(crate::frame::FrameRef::of(frame));
    let inline = std::mem::take(&mut vm.tier2.inline_call);
    vm.tier2.activations += 1;
    let serial = vm.tier2.activations;
    vm.tier2.frames_inline.push((inline, serial));
    let r = run_frame_inner(vm, frame);
    vm.tier2.frames_inline.pop();
    vm.frames.pop();
    r
}

fn run_frame_inner(vm: &mut Vm, frame: &mut Frame) -> PyResult<Exit> {
    loop {
        match step_until_error(vm, frame) {
            Ok(exit) => return Ok(exit),
            Err(Flow::Exc(e)) => {
                let i = frame.lasti;
                let code = frame.code.clone();
                if !frame_reraising(frame) {
                    // Raised while another is handled: that one is its `__context__`.
                    crate::exc::set_context(vm, &e);
                    crate::exc::add_traceback(&e, &code, i);
                }
                match code.handler_for(i) {
                    Some(h) => {
                        frame.stack.truncate(h.depth);
                        if h.lasti {
                            frame.push(Value::Int(code.instrs[i].offset as i64 / 2));
                        }
                        frame.push(e);
                        frame.ip = h.target;
                    }
                    None => return Err(Flow::Exc(e)),
                }
            }
            Err(stop) => return Err(stop),
        }
    }
}

/// Whether the error came from `RERAISE` or a bare `raise` (which add no traceback line).
fn frame_reraising(frame: &Frame) -> bool {
    matches!(
        frame.code.instrs.get(frame.lasti).map(|i| (i.op, i.arg)),
        Some((Op::RERAISE | Op::END_ASYNC_FOR | Op::CLEANUP_THROW, _))
            // A bare `raise` re-raises the exception being handled.
            | Some((Op::RAISE_VARARGS, 0))
    )
}

pub(crate) fn stop_steps(vm: &Vm) -> Flow {
    Flow::Stop(
        LimitKind::Steps,
        format!(
            "the snippet ran for more than {} bytecode instructions and was stopped \
             (an endless loop? raise the limit with --max-steps)",
            vm.limits.max_steps
        ),
    )
}

/// Runs instructions until the frame exits or an instruction fails.
fn step_until_error(vm: &mut Vm, frame: &mut Frame) -> PyResult<Exit> {
    let code = frame.code.clone();
    loop {
        let i = frame.ip;
        let Some(ins) = code.instrs.get(i) else {
            return Ok(Exit::Return(Value::None));
        };
        frame.lasti = i;
        frame.ip = i + 1;
        vm.steps += 1;
        if vm.steps > vm.limits.max_steps {
            return Err(stop_steps(vm));
        }
        // Tier 2 first: a trace being recorded sets the counter that makes the instruction
        // specialize now; an instruction an executor runs has no tier-1 adaptive update.
        if vm.tier2.watching {
            crate::tier2::before(vm, frame, i);
        }
        crate::specialize::observe(vm, frame, i);
        let arg = ins.arg;
        match ins.op {
            Op::NOP | Op::CACHE | Op::EXTENDED_ARG | Op::NOT_TAKEN => {}
            Op::RESUME => {
                if vm.jit {
                    crate::tier2::hot_spot(vm, frame, i);
                }
            }
            Op::POP_TOP | Op::END_FOR => {
                frame.pop();
            }
            Op::POP_ITER => {
                for _ in 0..iter_items(vm) {
                    frame.pop();
                }
            }
            Op::PUSH_NULL => frame.push(Value::Null),
            Op::COPY => {
                let v = frame.peek(arg as usize - 1).clone();
                frame.push(v);
            }
            Op::SWAP => {
                let n = frame.stack.len();
                frame.stack.swap(n - 1, n - arg as usize);
            }
            Op::LOAD_CONST => frame.push(code.consts[arg as usize].clone()),
            Op::LOAD_SMALL_INT => frame.push(Value::Int(arg as i64)),
            Op::LOAD_COMMON_CONSTANT => {
                let name =
                    cpyviz_model::tables::for_version(vm.version).common_constants[arg as usize];
                let v = match name {
                    "None" => Value::None,
                    "''" => alloc::s(""),
                    "True" => Value::Bool(true),
                    "False" => Value::Bool(false),
                    "-1" => Value::Int(-1),
                    n => load_global(vm, frame, &vm.builtins.clone(), n)?,
                };
                frame.push(v);
            }
            Op::LOAD_FAST | Op::LOAD_FAST_BORROW | Op::LOAD_FAST_CHECK => {
                let v = frame.localsplus[arg as usize].clone();
                if let Value::Null = v {
                    return Err(unbound_local(vm, &code.localsplus[arg as usize]));
                }
                frame.push(v);
            }
            Op::LOAD_FAST_AND_CLEAR => {
                let v = std::mem::replace(&mut frame.localsplus[arg as usize], Value::Null);
                frame.push(v);
            }
            Op::LOAD_FAST_LOAD_FAST | Op::LOAD_FAST_BORROW_LOAD_FAST_BORROW => {
                for idx in [(arg >> 4) as usize, (arg & 15) as usize] {
                    let v = frame.localsplus[idx].clone();
                    if let Value::Null = v {
                        return Err(unbound_local(vm, &code.localsplus[idx]));
                    }
                    frame.push(v);
                }
            }
            Op::STORE_FAST => {
                let v = frame.pop();
                frame.localsplus[arg as usize] = v;
            }
            Op::STORE_FAST_LOAD_FAST => {
                let v = frame.pop();
                frame.localsplus[(arg >> 4) as usize] = v;
                let v = frame.localsplus[(arg & 15) as usize].clone();
                frame.push(v);
            }
            Op::STORE_FAST_STORE_FAST => {
                let v = frame.pop();
                frame.localsplus[(arg >> 4) as usize] = v;
                let v = frame.pop();
                frame.localsplus[(arg & 15) as usize] = v;
            }
            Op::DELETE_FAST => {
                if let Value::Null = frame.localsplus[arg as usize] {
                    return Err(unbound_local(vm, &code.localsplus[arg as usize]));
                }
                frame.localsplus[arg as usize] = Value::Null;
            }
            Op::MAKE_CELL => {
                let v = std::mem::replace(&mut frame.localsplus[arg as usize], Value::Null);
                let init = match v {
                    Value::Null => None,
                    v => Some(v),
                };
                frame.localsplus[arg as usize] =
                    alloc::obj(&types().cell, Data::Cell(RefCell::new(init)));
            }
            Op::COPY_FREE_VARS => {
                let closure = match frame.func.as_ref().and_then(|f| f.data()) {
                    Some(Data::Function(f)) => f.closure.borrow().clone(),
                    _ => Vec::new(),
                };
                let start = code.localsplus.len() - code.nfree;
                for (k, c) in closure.into_iter().enumerate().take(arg as usize) {
                    frame.localsplus[start + k] = Value::Obj(c);
                }
            }
            Op::LOAD_DEREF => {
                let v = cell_get(&frame.localsplus[arg as usize]);
                match v {
                    Some(v) => frame.push(v),
                    None => return Err(free_error(vm, &code, arg as usize)),
                }
            }
            Op::STORE_DEREF => {
                let v = frame.pop();
                cell_set(&frame.localsplus[arg as usize], Some(v));
            }
            Op::DELETE_DEREF => {
                if cell_get(&frame.localsplus[arg as usize]).is_none() {
                    return Err(free_error(vm, &code, arg as usize));
                }
                cell_set(&frame.localsplus[arg as usize], None);
            }
            Op::LOAD_FROM_DICT_OR_DEREF => {
                let mapping = frame.pop();
                let name = code.localsplus[arg as usize].clone();
                match locals_get(vm, &mapping, &name)? {
                    Some(v) => frame.push(v),
                    None => match cell_get(&frame.localsplus[arg as usize]) {
                        Some(v) => frame.push(v),
                        None => return Err(free_error(vm, &code, arg as usize)),
                    },
                }
            }
            Op::LOAD_LOCALS => match &frame.locals {
                Some(l) => frame.push(l.clone()),
                None => return Err(vm.exc("SystemError", "no locals found")),
            },
            Op::LOAD_NAME => {
                let name = code.names[arg as usize].clone();
                let locals = frame.locals.clone();
                let v = match locals {
                    Some(l) => locals_get(vm, &l, &name)?,
                    None => None,
                };
                let v = match v {
                    Some(v) => v,
                    None => load_global(vm, frame, &frame.globals, &name)?,
                };
                frame.push(v);
            }
            Op::LOAD_FROM_DICT_OR_GLOBALS => {
                let mapping = frame.pop();
                let name = code.names[arg as usize].clone();
                let v = match locals_get(vm, &mapping, &name)? {
                    Some(v) => v,
                    None => load_global(vm, frame, &frame.globals, &name)?,
                };
                frame.push(v);
            }
            Op::STORE_NAME => {
                let v = frame.pop();
                let name = code.names[arg as usize].clone();
                match frame.locals.clone() {
                    Some(l) => locals_set(vm, &l, &name, v)?,
                    None => return Err(vm.exc("SystemError", "no locals found")),
                }
            }
            Op::DELETE_NAME => {
                let name = code.names[arg as usize].clone();
                let removed = match frame.locals.as_ref().and_then(|l| l.obj().cloned()) {
                    Some(o) => dict_of(&o)
                        .borrow_mut()
                        .remove(&crate::dict::Key::Str(name.clone()))
                        .is_some(),
                    None => false,
                };
                if !removed {
                    return Err(name_error(vm, frame, &name));
                }
            }
            Op::LOAD_GLOBAL => {
                let name = code.names[(arg >> 1) as usize].clone();
                let v = load_global(vm, frame, &frame.globals, &name)?;
                frame.push(v);
                if arg & 1 == 1 {
                    frame.push(Value::Null);
                }
            }
            Op::STORE_GLOBAL => {
                let v = frame.pop();
                dict_of(&frame.globals)
                    .borrow_mut()
                    .set_str(&code.names[arg as usize], v);
            }
            Op::DELETE_GLOBAL => {
                let name = code.names[arg as usize].clone();
                let removed = dict_of(&frame.globals)
                    .borrow_mut()
                    .remove(&crate::dict::Key::Str(name.clone()))
                    .is_some();
                if !removed {
                    return Err(name_error(vm, frame, &name));
                }
            }
            Op::LOAD_ATTR => {
                let inline = arg & 1 == 0 && crate::tier2::pushes_frame(vm, frame, i);
                let owner = frame.pop();
                let name = code.names[(arg >> 1) as usize].clone();
                if arg & 1 == 1 {
                    let (m, selfv) = crate::call::load_method(vm, &owner, &name)?;
                    frame.push(m);
                    frame.push(selfv);
                } else {
                    vm.tier2.inline_call = inline;
                    let v = vm.getattr(&owner, &name);
                    vm.tier2.inline_call = false;
                    frame.push(v?);
                }
            }
            Op::STORE_ATTR => {
                let owner = frame.pop();
                let v = frame.pop();
                vm.setattr(&owner, &code.names[arg as usize], v)?;
            }
            Op::DELETE_ATTR => {
                let owner = frame.pop();
                vm.delattr(&owner, &code.names[arg as usize])?;
            }
            Op::LOAD_SUPER_ATTR => {
                let selfv = frame.pop();
                let cls = frame.pop();
                let global_super = frame.pop();
                let name = code.names[(arg >> 2) as usize].clone();
                let sup = if arg & 2 != 0 {
                    vm.call(&global_super, &[cls, selfv.clone()], &[])?
                } else {
                    vm.call(&global_super, &[], &[])?
                };
                if arg & 1 == 1 {
                    let (m, s) = crate::call::load_method(vm, &sup, &name)?;
                    frame.push(m);
                    frame.push(s);
                } else {
                    let v = vm.getattr(&sup, &name)?;
                    frame.push(v);
                }
            }
            Op::LOAD_SPECIAL => {
                let owner = frame.pop();
                let name = cpyviz_model::tables::for_version(vm.version).special_method_names
                    [arg as usize];
                match crate::call::load_special_method(vm, &owner, name) {
                    Some((m, s)) => {
                        frame.push(m);
                        frame.push(s);
                    }
                    None => {
                        return Err(
                            vm.type_error(crate::exc::special_method_missing(vm, &owner, name))
                        )
                    }
                }
            }
            Op::BINARY_OP => {
                let inline = crate::tier2::pushes_frame(vm, frame, i);
                let b = frame.pop();
                let a = frame.pop();
                vm.tier2.inline_call = inline;
                let r = vm.binary_op(&a, &b, arg);
                vm.tier2.inline_call = false;
                frame.push(r?);
            }
            Op::BINARY_SLICE => {
                let stop = frame.pop();
                let start = frame.pop();
                let container = frame.pop();
                let sl = alloc::obj(&types().slice, Data::Slice(start, stop, Value::None));
                let r = vm.getitem(&container, &sl)?;
                frame.push(r);
            }
            Op::STORE_SLICE => {
                let stop = frame.pop();
                let start = frame.pop();
                let container = frame.pop();
                let v = frame.pop();
                let sl = alloc::obj(&types().slice, Data::Slice(start, stop, Value::None));
                vm.setitem(&container, &sl, v)?;
            }
            Op::STORE_SUBSCR => {
                let key = frame.pop();
                let container = frame.pop();
                let v = frame.pop();
                vm.setitem(&container, &key, v)?;
            }
            Op::DELETE_SUBSCR => {
                let key = frame.pop();
                let container = frame.pop();
                vm.delitem(&container, &key)?;
            }
            Op::UNARY_NEGATIVE => {
                let v = frame.pop();
                let r = vm.unary(&v, crate::ops::Unary::Neg)?;
                frame.push(r);
            }
            Op::UNARY_INVERT => {
                let v = frame.pop();
                let r = vm.unary(&v, crate::ops::Unary::Invert)?;
                frame.push(r);
            }
            Op::UNARY_NOT => {
                let v = frame.pop();
                let b = matches!(v, Value::Bool(false));
                frame.push(Value::Bool(b));
            }
            Op::TO_BOOL => {
                let v = frame.pop();
                let b = vm.truthy(&v)?;
                frame.push(Value::Bool(b));
            }
            Op::COMPARE_OP => {
                let b = frame.pop();
                let a = frame.pop();
                let r = vm.compare(&a, &b, arg >> 5)?;
                let r = if arg & 16 != 0 {
                    Value::Bool(vm.truthy(&r)?)
                } else {
                    r
                };
                frame.push(r);
            }
            Op::IS_OP => {
                let b = frame.pop();
                let a = frame.pop();
                frame.push(Value::Bool(a.is(&b) != (arg == 1)));
            }
            Op::CONTAINS_OP => {
                let container = frame.pop();
                let item = frame.pop();
                let r = vm.contains(&container, &item)?;
                frame.push(Value::Bool(r != (arg == 1)));
            }
            Op::POP_JUMP_IF_FALSE | Op::POP_JUMP_IF_TRUE => {
                let v = frame.pop();
                let b = match v {
                    Value::Bool(b) => b,
                    v => vm.truthy(&v)?,
                };
                let taken = b == (ins.op == Op::POP_JUMP_IF_TRUE);
                crate::tier2::record_branch(vm, &code, i, taken);
                if taken {
                    frame.ip = ins.jump;
                }
            }
            Op::POP_JUMP_IF_NONE | Op::POP_JUMP_IF_NOT_NONE => {
                let v = frame.pop();
                let taken = matches!(v, Value::None) == (ins.op == Op::POP_JUMP_IF_NONE);
                crate::tier2::record_branch(vm, &code, i, taken);
                if taken {
                    frame.ip = ins.jump;
                }
            }
            Op::JUMP_FORWARD | Op::JUMP_BACKWARD_NO_INTERRUPT => {
                frame.ip = ins.jump;
            }
            Op::JUMP_BACKWARD => {
                if vm.jit {
                    crate::tier2::hot_spot(vm, frame, i);
                }
                frame.ip = ins.jump;
            }
            Op::GET_ITER => {
                let v = frame.pop();
                if crate::specialize::facts(vm.version).virtual_iteration && virtual_iterable(&v) {
                    // 3.15: an exact list, tuple, str or bytes is iterated in place, by index.
                    frame.push(v);
                    frame.push(Value::Int(0));
                } else {
                    let it = vm.iter(&v)?;
                    frame.push(it);
                    if iter_items(vm) == 2 {
                        frame.push(Value::Null);
                    }
                }
            }
            Op::GET_YIELD_FROM_ITER => {
                let v = frame.pop();
                let it = match v.data() {
                    Some(Data::Generator(_)) => v,
                    _ => vm.iter(&v)?,
                };
                frame.push(it);
            }
            Op::FOR_ITER => {
                let next = match frame.peek(0) {
                    Value::Int(_) => virtual_next(frame),
                    _ => {
                        let it = iter_top(vm, frame).clone();
                        vm.tier2.inline_call =
                            vm.jit && code.slots.borrow()[i].form == "FOR_ITER_GEN";
                        let r = vm.next(&it);
                        vm.tier2.inline_call = false;
                        r?
                    }
                };
                match next {
                    Some(v) => frame.push(v),
                    // Exhausted: past the END_FOR the target names, to POP_ITER.
                    None => frame.ip = ins.jump + 1,
                }
            }
            Op::GET_LEN => {
                let v = frame.peek(0).clone();
                let n = crate::call::len(vm, &v)?;
                frame.push(n);
            }
            Op::BUILD_TUPLE => {
                let items = frame.pop_n(arg as usize);
                frame.push(alloc::tuple(items));
            }
            Op::BUILD_LIST => {
                let items = frame.pop_n(arg as usize);
                frame.push(alloc::list(items));
            }
            Op::BUILD_SET => {
                let items = frame.pop_n(arg as usize);
                let mut s = crate::set::Set::new();
                for v in items {
                    let k = vm.key_of(&v)?;
                    s.insert(k, v);
                }
                frame.push(alloc::set(s));
            }
            Op::BUILD_MAP => {
                let items = frame.pop_n(2 * arg as usize);
                let mut d = Dict::new();
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    let key = vm.key_of(&k)?;
                    d.insert(key, k, v);
                }
                frame.push(alloc::dict(d));
            }
            Op::BUILD_STRING => {
                let items = frame.pop_n(arg as usize);
                let mut s = String::new();
                for v in &items {
                    s.push_str(v.as_str().unwrap_or(""));
                }
                frame.push(alloc::string(s));
            }
            Op::BUILD_SLICE => {
                let mut items = frame.pop_n(arg as usize);
                let step = if arg == 3 {
                    items.pop().unwrap_or(Value::None)
                } else {
                    Value::None
                };
                let stop = items.pop().unwrap_or(Value::None);
                let start = items.pop().unwrap_or(Value::None);
                frame.push(alloc::obj(&types().slice, Data::Slice(start, stop, step)));
            }
            Op::BUILD_INTERPOLATION => {
                let spec = if arg & 1 == 1 {
                    frame.pop()
                } else {
                    alloc::s("")
                };
                let expr = frame.pop();
                let value = frame.pop();
                let conv = match (arg >> 2) & 3 {
                    1 => alloc::s("s"),
                    2 => alloc::s("r"),
                    3 => alloc::s("a"),
                    _ => Value::None,
                };
                frame.push(alloc::obj(
                    &types().interpolation,
                    Data::Interpolation(value, expr, conv, spec),
                ));
            }
            Op::BUILD_TEMPLATE => {
                let interps = frame.pop();
                let strings = frame.pop();
                let strs = match strings.data() {
                    Some(Data::Tuple(t)) => t
                        .iter()
                        .map(|s| Rc::from(s.as_str().unwrap_or("")))
                        .collect(),
                    _ => Vec::new(),
                };
                let vals = match interps.data() {
                    Some(Data::Tuple(t)) => t.clone(),
                    _ => Vec::new(),
                };
                frame.push(alloc::obj(&types().template, Data::Template(strs, vals)));
            }
            Op::LIST_APPEND => {
                let v = frame.pop();
                if let Some(Data::List(l)) = frame.peek(arg as usize - 1).data() {
                    l.borrow_mut().push(v);
                }
            }
            Op::LIST_EXTEND => {
                let v = frame.pop();
                let items = match vm.collect(&v) {
                    Ok(items) => items,
                    Err(Flow::Exc(e)) if crate::exc::is_instance(&e, "TypeError") => {
                        return Err(vm.type_error(format!(
                            "Value after * must be an iterable, not {}",
                            vm.type_name(&v)
                        )))
                    }
                    Err(e) => return Err(e),
                };
                if let Some(Data::List(l)) = frame.peek(arg as usize - 1).data() {
                    l.borrow_mut().extend(items);
                }
            }
            Op::SET_ADD => {
                let v = frame.pop();
                let k = vm.key_of(&v)?;
                if let Some(Data::Set(s)) = frame.peek(arg as usize - 1).data() {
                    s.borrow_mut().insert(k, v);
                }
            }
            Op::SET_UPDATE => {
                let v = frame.pop();
                let items = vm.collect(&v)?;
                let target = frame.peek(arg as usize - 1).clone();
                for item in items {
                    let k = vm.key_of(&item)?;
                    if let Some(Data::Set(s)) = target.data() {
                        s.borrow_mut().insert(k, item);
                    }
                }
            }
            Op::MAP_ADD => {
                let v = frame.pop();
                let k = frame.pop();
                let key = vm.key_of(&k)?;
                if let Some(Data::Dict(d)) = frame.peek(arg as usize - 1).data() {
                    d.borrow_mut().insert(key, k, v);
                }
            }
            Op::DICT_UPDATE | Op::DICT_MERGE => {
                let other = frame.pop();
                let target = frame.peek(arg as usize - 1).clone();
                let func = if ins.op == Op::DICT_MERGE {
                    Some(frame.peek(arg as usize + 1).clone())
                } else {
                    None
                };
                crate::call::dict_update(vm, &target, &other, func.as_ref())?;
            }
            Op::CALL => {
                // [callable, self_or_null, args…]: with a `self`, it and the arguments are
                // already the contiguous argument list; the call reads them in place.
                let n = arg as usize;
                let base = frame.stack.len().saturating_sub(n + 2);
                let callable = frame.peek(n + 1).clone();
                let start = match frame.peek(n) {
                    Value::Null => base + 2,
                    _ => base + 1,
                };
                vm.tier2.inline_call = vm.jit && crate::tier2::inlines_call(&code, i, &callable);
                let r = vm.call(&callable, &frame.stack[start.min(frame.stack.len())..], &[]);
                vm.tier2.inline_call = false;
                frame.stack.truncate(base);
                frame.push(r?);
            }
            Op::CALL_KW => {
                let kwnames = frame.pop();
                let n = arg as usize;
                let mut args = frame.pop_n(n);
                let self_or_null = frame.pop();
                let callable = frame.pop();
                let names: Vec<Rc<str>> = match kwnames.data() {
                    Some(Data::Tuple(t)) => t
                        .iter()
                        .map(|s| Rc::from(s.as_str().unwrap_or("")))
                        .collect(),
                    _ => Vec::new(),
                };
                let kwvals = args.split_off(args.len() - names.len());
                let kwargs: Vec<(Rc<str>, Value)> = names.into_iter().zip(kwvals).collect();
                if !matches!(self_or_null, Value::Null) {
                    args.insert(0, self_or_null);
                }
                vm.tier2.inline_call = vm.jit && crate::tier2::inlines_call(&code, i, &callable);
                let r = vm.call(&callable, &args, &kwargs);
                vm.tier2.inline_call = false;
                frame.push(r?);
            }
            Op::CALL_FUNCTION_EX => {
                let kwargs = frame.pop();
                let callargs = frame.pop();
                let self_or_null = frame.pop();
                let callable = frame.pop();
                let mut args = match callargs.data() {
                    Some(Data::Tuple(t)) => t.clone(),
                    _ => vm.collect(&callargs)?,
                };
                if !matches!(self_or_null, Value::Null) {
                    args.insert(0, self_or_null);
                }
                let kw = crate::call::kwargs_of(vm, &kwargs)?;
                vm.tier2.inline_call = vm.jit && crate::tier2::inlines_call(&code, i, &callable);
                let r = vm.call(&callable, &args, &kw);
                vm.tier2.inline_call = false;
                frame.push(r?);
            }
            Op::CALL_INTRINSIC_1 => {
                let v = frame.pop();
                let r = crate::call::intrinsic1(vm, arg, v, frame)?;
                frame.push(r);
            }
            Op::CALL_INTRINSIC_2 => {
                let v1 = frame.pop();
                let v2 = frame.pop();
                let r = crate::call::intrinsic2(vm, arg, v2, v1)?;
                frame.push(r);
            }
            Op::MAKE_FUNCTION => {
                let c = frame.pop();
                let f = make_function(vm, &c, &frame.globals)?;
                frame.push(f);
            }
            Op::SET_FUNCTION_ATTRIBUTE => {
                let f = frame.pop();
                let attr = frame.pop();
                if let Some(Data::Function(func)) = f.data() {
                    set_function_attribute(func, arg, attr);
                }
                frame.push(f);
            }
            Op::RETURN_VALUE => {
                let v = frame.pop();
                return Ok(Exit::Return(v));
            }
            Op::RETURN_GENERATOR => {
                // The caller wraps the frame into the generator (see `call_function`).
                frame.push(Value::None);
                return Ok(Exit::Yield(Value::Null));
            }
            Op::YIELD_VALUE => {
                let v = frame.pop();
                return Ok(Exit::Yield(v));
            }
            Op::SEND => {
                let v = frame.pop();
                let sent = match frame.peek(0) {
                    Value::Int(_) if matches!(v, Value::None) => match virtual_next(frame) {
                        Some(y) => Sent::Yielded(y),
                        None => Sent::Returned(Value::None),
                    },
                    _ => {
                        let recv = iter_top(vm, frame).clone();
                        vm.tier2.inline_call = vm.jit && code.slots.borrow()[i].form == "SEND_GEN";
                        let r = send(vm, &recv, v);
                        vm.tier2.inline_call = false;
                        r?
                    }
                };
                match sent {
                    Sent::Yielded(y) => frame.push(y),
                    Sent::Returned(r) => {
                        frame.push(r);
                        frame.ip = ins.jump;
                    }
                }
            }
            Op::END_SEND => {
                let v = frame.pop();
                for _ in 0..iter_items(vm) {
                    frame.pop();
                }
                frame.push(v);
            }
            Op::GET_AWAITABLE => {
                let v = frame.pop();
                let a = crate::call::awaitable(vm, &v)?;
                frame.push(a);
            }
            Op::GET_AITER => {
                let v = frame.pop();
                let a = vm.call_method(&v, "__aiter__", &[])?;
                frame.push(a);
            }
            Op::GET_ANEXT => {
                let v = frame.peek(0).clone();
                let a = vm.call_method(&v, "__anext__", &[])?;
                let a = crate::call::awaitable(vm, &a)?;
                frame.push(a);
            }
            Op::END_ASYNC_FOR => {
                let e = frame.pop();
                if crate::exc::is_instance(&e, "StopAsyncIteration") {
                    // The async iterator under the exception ends with the loop.
                    frame.pop();
                } else {
                    return Err(Flow::Exc(e));
                }
            }
            Op::CLEANUP_THROW => {
                let e = frame.pop();
                let _last_sent = frame.pop();
                for _ in 0..iter_items(vm) {
                    frame.pop();
                }
                if crate::exc::is_instance(&e, "StopIteration") {
                    let v = crate::exc::stop_value(&e);
                    for _ in 0..iter_items(vm) {
                        frame.push(Value::None);
                    }
                    frame.push(v);
                } else {
                    return Err(Flow::Exc(e));
                }
            }
            Op::RAISE_VARARGS => {
                let e = match arg {
                    0 => match vm.exc_stack.last() {
                        Some(e) if !matches!(e, Value::None) => e.clone(),
                        _ => return Err(vm.exc("RuntimeError", "No active exception to reraise")),
                    },
                    1 => {
                        let v = frame.pop();
                        crate::exc::instantiate(vm, v)?
                    }
                    _ => {
                        let cause = frame.pop();
                        let v = frame.pop();
                        let e = crate::exc::instantiate(vm, v)?;
                        let cause = match cause {
                            Value::None => None,
                            c => Some(crate::exc::instantiate(vm, c)?),
                        };
                        crate::exc::set_cause(&e, cause);
                        e
                    }
                };
                crate::exc::set_context(vm, &e);
                return Err(Flow::Exc(e));
            }
            Op::RERAISE => {
                // The handler is looked up from the RERAISE itself; the `lasti` below the
                // exception (oparg 1) only restores CPython's `f_lasti`, and the frame's
                // traceback line was already added where the exception was first raised.
                let e = frame.pop();
                return Err(Flow::Exc(e));
            }
            Op::PUSH_EXC_INFO => {
                let e = frame.pop();
                let prev = vm.exc_stack.last().cloned().unwrap_or(Value::None);
                vm.exc_stack.push(e.clone());
                frame.push(prev);
                frame.push(e);
            }
            Op::POP_EXCEPT => {
                frame.pop();
                vm.exc_stack.pop();
            }
            Op::CHECK_EXC_MATCH => {
                let t = frame.pop();
                let e = frame.peek(0).clone();
                let r = crate::exc::matches(vm, &e, &t)?;
                frame.push(Value::Bool(r));
            }
            Op::CHECK_EG_MATCH => {
                let t = frame.pop();
                let e = frame.pop();
                let (rest, matched) = crate::exc::split_group(vm, &e, &t)?;
                frame.push(rest);
                frame.push(matched);
            }
            Op::WITH_EXCEPT_START => {
                let val = frame.peek(0).clone();
                let exit_self = frame.peek(3).clone();
                let exit = frame.peek(4).clone();
                let tp = Value::Obj(types().of(&val));
                let tb = Value::None;
                let r = if let Value::Null = exit_self {
                    vm.call(&exit, &[tp, val, tb], &[])?
                } else {
                    vm.call(&exit, &[exit_self, tp, val, tb], &[])?
                };
                frame.push(r);
            }
            Op::LOAD_BUILD_CLASS => {
                frame.push(crate::call::build_class_builtin());
            }
            Op::IMPORT_NAME => {
                let fromlist = frame.pop();
                let level = frame.pop();
                // 3.15 keeps the lazy-import flags in the oparg's two low bits.
                let at = if vm.minor >= 15 { arg >> 2 } else { arg };
                let name = code.names[at as usize].clone();
                let m = crate::call::import_name(vm, &name, &fromlist, &level)?;
                frame.push(m);
            }
            Op::IMPORT_FROM => {
                let m = frame.peek(0).clone();
                let name = code.names[arg as usize].clone();
                let v = crate::call::import_from(vm, &m, &name)?;
                frame.push(v);
            }
            Op::FORMAT_SIMPLE => {
                let v = frame.pop();
                let r = match v.data() {
                    Some(Data::Str(_)) if types().is_exact(&v, &types().str_) => v,
                    _ => alloc::str_value(vm.format_value(&v, "")?),
                };
                frame.push(r);
            }
            Op::FORMAT_WITH_SPEC => {
                let spec = frame.pop();
                let v = frame.pop();
                let r = vm.format_value(&v, spec.as_str().unwrap_or(""))?;
                frame.push(alloc::str_value(r));
            }
            Op::CONVERT_VALUE => {
                let v = frame.pop();
                let r = match arg {
                    1 => vm.str(&v)?,
                    2 => vm.repr(&v)?,
                    _ => vm.ascii(&v)?,
                };
                frame.push(alloc::str_value(r));
            }
            Op::UNPACK_SEQUENCE => {
                let v = frame.pop();
                let items = unpack(vm, &v, arg as usize)?;
                for item in items.into_iter().rev() {
                    frame.push(item);
                }
            }
            Op::UNPACK_EX => {
                let v = frame.pop();
                let before = (arg & 0xff) as usize;
                let after = (arg >> 8) as usize;
                let items = vm.collect(&v)?;
                if items.len() < before + after {
                    return Err(vm.value_error(format!(
                        "not enough values to unpack (expected at least {}, got {})",
                        before + after,
                        items.len()
                    )));
                }
                let mut items = items;
                let tail = items.split_off(items.len() - after);
                let mid = items.split_off(before);
                for t in tail.into_iter().rev() {
                    frame.push(t);
                }
                frame.push(alloc::list(mid));
                for h in items.into_iter().rev() {
                    frame.push(h);
                }
            }
            Op::MATCH_CLASS => {
                let names = frame.pop();
                let cls = frame.pop();
                let subject = frame.pop();
                let r = crate::call::match_class(vm, &subject, &cls, arg as usize, &names)?;
                frame.push(r);
            }
            Op::MATCH_MAPPING => {
                let r = crate::call::is_mapping(frame.peek(0));
                frame.push(Value::Bool(r));
            }
            Op::MATCH_SEQUENCE => {
                let r = crate::call::is_sequence(frame.peek(0));
                frame.push(Value::Bool(r));
            }
            Op::MATCH_KEYS => {
                let keys = frame.peek(0).clone();
                let subject = frame.peek(1).clone();
                let r = crate::call::match_keys(vm, &subject, &keys)?;
                frame.push(r);
            }
            Op::SETUP_ANNOTATIONS => {
                if let Some(l) = frame.locals.clone() {
                    if locals_get(vm, &l, "__annotations__")?.is_none() {
                        locals_set(vm, &l, "__annotations__", alloc::dict(Dict::new()))?;
                    }
                }
            }
            Op::EXIT_INIT_CHECK => {
                let v = frame.pop();
                if !matches!(v, Value::None) {
                    return Err(vm.type_error(format!(
                        "__init__() should return None, not '{}'",
                        vm.type_name(&v)
                    )));
                }
            }
            other => {
                return Err(vm.exc(
                    "SystemError",
                    format!("the built-in VM does not run {} yet", other.name()),
                ))
            }
        }
    }
}

/// The stack items a `for` loop's iterator takes (the iterator, and 3.15's index slot).
fn iter_items(vm: &Vm) -> usize {
    vm.version.profile().for_loop_stack_items as usize
}

/// Whether 3.15's `GET_ITER` iterates `v` in place (its type has CPython's `_tp_iteritem`):
/// an exact `list`, `tuple`, `str` or `bytes`.
pub fn virtual_iterable(v: &Value) -> bool {
    let t = alloc::types();
    [&t.list, &t.tuple, &t.str_, &t.bytes]
        .iter()
        .any(|c| t.is_exact(v, c))
}

/// One step of 3.15's virtual iteration: the sequence is under the index (a tagged int) on
/// the stack; returns its next item and advances the index, or `None` at the end.
pub fn virtual_next(frame: &mut Frame) -> Option<Value> {
    let Value::Int(i) = *frame.peek(0) else {
        return None;
    };
    let i = i as usize;
    let item = match frame.peek(1).data() {
        Some(Data::List(l)) => l.borrow().get(i).cloned(),
        Some(Data::Tuple(t)) => t.get(i).cloned(),
        Some(Data::Str(s)) if s.is_ascii() => s.get(i..i + 1).map(alloc::s),
        Some(Data::Str(s)) => s
            .chars()
            .nth(i)
            .map(|c| alloc::s(c.encode_utf8(&mut [0; 4]))),
        Some(Data::Bytes(b)) => b.get(i).map(|&x| Value::Int(x as i64)),
        _ => None,
    };
    if item.is_some() {
        let top = frame.stack.len() - 1;
        frame.stack[top] = Value::Int(i as i64 + 1);
    }
    item
}

/// The iterator `FOR_ITER` and `SEND` read (3.15 has the index slot above it).
fn iter_top<'f>(vm: &Vm, frame: &'f Frame) -> &'f Value {
    frame.peek(iter_items(vm) - 1)
}

fn cell_get(cell: &Value) -> Option<Value> {
    match cell.data() {
        Some(Data::Cell(c)) => c.borrow().clone(),
        _ => None,
    }
}

fn cell_set(cell: &Value, v: Option<Value>) {
    if let Some(Data::Cell(c)) = cell.data() {
        *c.borrow_mut() = v;
    }
}

fn free_error(vm: &Vm, code: &CodeRt, idx: usize) -> Flow {
    let name = &code.localsplus[idx];
    if idx >= code.localsplus.len() - code.nfree {
        vm.exc(
            "NameError",
            format!("cannot access free variable '{name}' where it is not associated with a value in enclosing scope"),
        )
    } else {
        unbound_local(vm, name)
    }
}

/// `MAKE_FUNCTION`: a function over code object `c`.
pub fn make_function(vm: &mut Vm, c: &Value, globals: &ObjRef) -> PyResult {
    let Some(Data::Code(code)) = c.data() else {
        return Err(vm.type_error("MAKE_FUNCTION needs a code object"));
    };
    let doc = match (code.flags & flags::HAS_DOCSTRING != 0, code.consts.first()) {
        (true, Some(d)) => d.clone(),
        _ => Value::None,
    };
    let f = Function {
        code: code.clone(),
        globals: globals.clone(),
        name: RefCell::new(code.name.clone()),
        qualname: RefCell::new(code.qualname.clone()),
        defaults: RefCell::new(None),
        kwdefaults: RefCell::new(None),
        closure: RefCell::new(Vec::new()),
        annotations: RefCell::new(None),
        annotate: RefCell::new(None),
        doc: RefCell::new(doc),
        version: std::cell::Cell::new(code.version),
    };
    let f = alloc::obj_with_dict(&types().function, Data::Function(f));
    if vm.jit {
        crate::tier2::function_made(vm, &f);
    }
    Ok(f)
}

fn set_function_attribute(func: &Function, flag: u32, v: Value) {
    match flag {
        1 => {
            if let Some(Data::Tuple(t)) = v.data() {
                *func.defaults.borrow_mut() = Some(t.clone());
            }
        }
        2 => {
            if let Value::Obj(o) = v {
                *func.kwdefaults.borrow_mut() = Some(o);
            }
        }
        4 => *func.annotations.borrow_mut() = Some(v),
        8 => {
            if let Some(Data::Tuple(t)) = v.data() {
                *func.closure.borrow_mut() = t.iter().filter_map(|c| c.obj().cloned()).collect();
            }
        }
        16 => *func.annotate.borrow_mut() = Some(v),
        _ => {}
    }
}

fn unpack(vm: &mut Vm, v: &Value, n: usize) -> PyResult<Vec<Value>> {
    let items = match v.data() {
        Some(Data::Tuple(t)) => t.clone(),
        Some(Data::List(l)) => l.borrow().clone(),
        _ => {
            let it = match vm.iter(v) {
                Ok(it) => it,
                Err(Flow::Exc(e)) if crate::exc::is_instance(&e, "TypeError") => {
                    return Err(vm.type_error(format!(
                        "cannot unpack non-iterable {} object",
                        vm.type_name(v)
                    )))
                }
                Err(e) => return Err(e),
            };
            let mut out = Vec::new();
            while let Some(x) = vm.next(&it)? {
                out.push(x);
                if out.len() > n {
                    return Err(vm.value_error(format!("too many values to unpack (expected {n})")));
                }
            }
            out
        }
    };
    if items.len() < n {
        return Err(vm.value_error(format!(
            "not enough values to unpack (expected {n}, got {})",
            items.len()
        )));
    }
    if items.len() > n {
        let got = match v.data() {
            Some(Data::Tuple(_)) | Some(Data::List(_)) => format!(", got {}", items.len()),
            _ => String::new(),
        };
        return Err(vm.value_error(format!("too many values to unpack (expected {n}{got})")));
    }
    Ok(items)
}

/// What `SEND` got from the receiver.
pub enum Sent {
    Yielded(Value),
    Returned(Value),
}

/// Sends `v` into `recv` (a generator, coroutine or any iterator).
pub fn send(vm: &mut Vm, recv: &Value, v: Value) -> PyResult<Sent> {
    if let Some(Data::Generator(_)) = recv.data() {
        return resume(vm, recv, Resume::Send(v));
    }
    let r = if matches!(v, Value::None) {
        vm.next(recv)
    } else {
        vm.call_method(recv, "send", &[v]).map(Some)
    };
    match r {
        Ok(Some(y)) => Ok(Sent::Yielded(y)),
        Ok(None) => Ok(Sent::Returned(Value::None)),
        Err(Flow::Exc(e)) if crate::exc::is_instance(&e, "StopIteration") => {
            Ok(Sent::Returned(crate::exc::stop_value(&e)))
        }
        Err(e) => Err(e),
    }
}

/// How a generator is resumed.
pub enum Resume {
    Send(Value),
    Throw(Value),
}

/// Resumes generator `g`.
pub fn resume(vm: &mut Vm, g: &Value, how: Resume) -> PyResult<Sent> {
    let Some(Data::Generator(cell)) = g.data() else {
        return Err(vm.type_error("not a generator"));
    };
    let (mut frame, kind) = {
        let mut gd = cell.borrow_mut();
        if gd.running {
            return Err(vm.value_error(format!("{} already executing", kind_word(gd.kind))));
        }
        match gd.frame.take() {
            Some(f) => {
                gd.running = true;
                (f, gd.kind)
            }
            None => {
                return match how {
                    Resume::Throw(e) => Err(Flow::Exc(e)),
                    Resume::Send(_) if gd.kind == GenKind::Coroutine => {
                        Err(vm.exc("RuntimeError", "cannot reuse already awaited coroutine"))
                    }
                    Resume::Send(_) => Ok(Sent::Returned(Value::None)),
                };
            }
        }
    };
    vm.depth += 1;
    if vm.depth > vm.limits.max_depth {
        vm.depth -= 1;
        cell.borrow_mut().running = false;
        cell.borrow_mut().frame = Some(frame);
        return Err(vm.exc("RecursionError", "maximum recursion depth exceeded"));
    }
    let base = vm.exc_stack.len();
    if let Some(e) = frame.saved_exc.take() {
        vm.exc_stack.push(e);
    }
    let r = match how {
        Resume::Send(v) => {
            frame.push(v);
            run_frame(vm, &mut frame)
        }
        Resume::Throw(e) => throw_delegating(vm, &mut frame, e),
    };
    if vm.exc_stack.len() > base {
        frame.saved_exc = vm.exc_stack.get(base).cloned();
    }
    vm.exc_stack.truncate(base);
    vm.depth -= 1;
    let mut gd = cell.borrow_mut();
    gd.running = false;
    match r {
        Ok(Exit::Yield(v)) => {
            gd.frame = Some(frame);
            Ok(Sent::Yielded(v))
        }
        Ok(Exit::Return(v)) => Ok(Sent::Returned(v)),
        Err(Flow::Exc(e)) if crate::exc::is_instance(&e, "StopIteration") => {
            let msg = match kind {
                GenKind::Coroutine => "coroutine raised StopIteration",
                GenKind::AsyncGenerator => "async generator raised StopIteration",
                GenKind::Generator => "generator raised StopIteration",
            };
            drop(gd);
            let re = crate::exc::new("RuntimeError", vec![alloc::s(msg)]);
            crate::exc::set_cause(&re, Some(e));
            Err(Flow::Exc(re))
        }
        Err(e) => Err(e),
    }
}

fn kind_word(k: GenKind) -> &'static str {
    match k {
        GenKind::Generator => "generator",
        GenKind::Coroutine => "coroutine",
        GenKind::AsyncGenerator => "async generator",
    }
}

/// The iterator a frame suspended in `yield from` / `await` delegates to (CPython's
/// `_PyGen_yf`): the receiver of the `SEND` loop whose `YIELD_VALUE 1` it stopped at. A
/// sequence iterated in place (3.15) is no delegate.
fn delegate(vm: &Vm, frame: &Frame) -> Option<Value> {
    let ins = frame.code.instrs.get(frame.lasti)?;
    if ins.op != Op::YIELD_VALUE || ins.arg & 1 == 0 {
        return None;
    }
    let n = iter_items(vm);
    if n == 2 && matches!(frame.peek(0), Value::Int(_)) {
        return None;
    }
    Some(frame.peek(n - 1).clone())
}

/// Ends the `yield from` loop a frame is suspended in, with the delegate's return value `v`:
/// the frame goes on at the loop's `END_SEND` with `v` pushed, as if `SEND` had seen the
/// delegate return.
fn finish_yield_from(frame: &mut Frame, v: Value) {
    let code = frame.code.clone();
    let end_send = code.instrs[frame.lasti..]
        .iter()
        .find(|i| i.op == Op::JUMP_BACKWARD_NO_INTERRUPT)
        .and_then(|j| code.instrs.get(j.jump))
        .filter(|send| send.op == Op::SEND)
        .map(|send| send.jump);
    if let Some(target) = end_send {
        frame.push(v);
        frame.ip = target;
    }
}

/// `gen.throw(e)` on a frame: a frame suspended in `yield from` passes the exception to its
/// delegate first (`GeneratorExit` closes the delegate, then is raised here); what the
/// delegate yields is yielded, its return value ends the loop, and what it raises is raised
/// in this frame.
fn throw_delegating(vm: &mut Vm, frame: &mut Frame, e: Value) -> PyResult<Exit> {
    let Some(yf) = delegate(vm, frame) else {
        return throw_into(vm, frame, e);
    };
    if crate::exc::is_instance(&e, "GeneratorExit") {
        let closed = match yf.data() {
            Some(Data::Generator(_)) => vm.call_method(&yf, "close", &[]).map(|_| ()),
            _ => match vm.getattr_opt(&yf, "close")? {
                Some(close) => vm.call(&close, &[], &[]).map(|_| ()),
                None => Ok(()),
            },
        };
        return match closed {
            Ok(()) => throw_into(vm, frame, e),
            Err(Flow::Exc(e2)) => throw_into(vm, frame, e2),
            Err(stop) => Err(stop),
        };
    }
    let r = match yf.data() {
        Some(Data::Generator(_)) => resume(vm, &yf, Resume::Throw(e)),
        _ => match vm.getattr_opt(&yf, "throw")? {
            None => return throw_into(vm, frame, e),
            Some(throw) => match vm.call(&throw, &[e], &[]) {
                Ok(v) => Ok(Sent::Yielded(v)),
                Err(Flow::Exc(s)) if crate::exc::is_instance(&s, "StopIteration") => {
                    Ok(Sent::Returned(crate::exc::stop_value(&s)))
                }
                Err(x) => Err(x),
            },
        },
    };
    match r {
        Ok(Sent::Yielded(v)) => Ok(Exit::Yield(v)),
        Ok(Sent::Returned(v)) => {
            finish_yield_from(frame, v);
            run_frame(vm, frame)
        }
        Err(Flow::Exc(e2)) => throw_into(vm, frame, e2),
        Err(stop) => Err(stop),
    }
}

/// Whether generator `g` has not run yet (it is still at its start, after
/// `RETURN_GENERATOR`).
pub fn just_started(g: &Value) -> bool {
    match g.data() {
        Some(Data::Generator(c)) => c
            .borrow()
            .frame
            .as_ref()
            .is_some_and(|f| f.ip > 0 && f.code.instrs[f.ip - 1].op == Op::RETURN_GENERATOR),
        _ => false,
    }
}

/// Whether generator `g` is suspended at a `yield` (started and not finished).
pub fn suspended(g: &Value) -> bool {
    match g.data() {
        Some(Data::Generator(c)) => c.borrow().frame.is_some() && !just_started(g),
        _ => false,
    }
}

/// Marks generator `g` finished (`close()` on one that never started).
pub fn finish(g: &Value) {
    if let Some(Data::Generator(c)) = g.data() {
        if !c.borrow().running {
            c.borrow_mut().frame = None;
        }
    }
}

/// "generator", "coroutine" or "async generator", for messages.
pub fn gen_kind_word(g: &Value) -> &'static str {
    match g.data() {
        Some(Data::Generator(c)) => kind_word(c.borrow().kind),
        _ => "generator",
    }
}

/// Raises `e` inside the suspended frame at its `YIELD_VALUE` (what `gen.throw` does).
fn throw_into(vm: &mut Vm, frame: &mut Frame, e: Value) -> PyResult<Exit> {
    let i = frame.lasti;
    let code = frame.code.clone();
    crate::exc::add_traceback(&e, &code, i);
    match code.handler_for(i) {
        Some(h) => {
            frame.stack.truncate(h.depth);
            if h.lasti {
                frame.push(Value::Int(code.instrs[i].offset as i64 / 2));
            }
            frame.push(e);
            frame.ip = h.target;
            run_frame(vm, frame)
        }
        None => Err(Flow::Exc(e)),
    }
}

/// `next(gen)`: the next value, or `None` when the generator returned.
pub fn gen_next(vm: &mut Vm, g: &Value) -> PyResult<Option<Value>> {
    match resume(vm, g, Resume::Send(Value::None))? {
        Sent::Yielded(v) => Ok(Some(v)),
        Sent::Returned(_) => Ok(None),
    }
}

/// Wraps a frame that has just run `RETURN_GENERATOR` into a generator object.
pub fn make_generator(frame: Frame) -> Value {
    let code = frame.code.clone();
    let kind = if code.flags & flags::COROUTINE != 0 {
        GenKind::Coroutine
    } else if code.flags & flags::ASYNC_GENERATOR != 0 {
        GenKind::AsyncGenerator
    } else {
        GenKind::Generator
    };
    let t = match kind {
        GenKind::Generator => &types().generator,
        GenKind::Coroutine => &types().coroutine,
        GenKind::AsyncGenerator => &types().async_generator,
    };
    let mut frame = frame;
    // RETURN_GENERATOR pushed a placeholder for the first sent value; resuming pushes it.
    frame.pop();
    alloc::obj(
        t,
        Data::Generator(RefCell::new(GenData {
            frame: Some(Box::new(frame)),
            running: false,
            name: code.name.clone(),
            qualname: code.qualname.clone(),
            kind,
        })),
    )
}

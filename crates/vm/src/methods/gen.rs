//! The methods of generators and coroutines: `send`, `throw`, `close` (CPython's
//! `Objects/genobject.c`: `send` is `METH_O`, `throw` `METH_FASTCALL`, `close`
//! `METH_NOARGS`). Resuming a frame lives in [`crate::eval`].

use super::{descr_self_error, Entry, Kw};
use crate::alloc::types;
use crate::eval::{resume, Resume, Sent};
use crate::value::{Data, MethKind::*, Value};
use crate::{Flow, PyResult, Vm};

pub(super) fn install(_vm: &mut Vm) {
    let t = types();
    let entries: &[Entry] = &[
        ("send", O, send),
        ("throw", Fast, throw),
        ("close", NoArgs, close),
    ];
    super::add_all(&t.generator, "generator", entries);
    super::add_all(&t.coroutine, "coroutine", entries);
}

/// The generator (or coroutine) a method was called on.
fn this(vm: &Vm, args: &[Value], name: &str) -> PyResult<Value> {
    match args.first() {
        Some(g @ Value::Obj(o)) if matches!(o.data, Data::Generator(_)) => Ok(g.clone()),
        _ => Err(descr_self_error(vm, args, "generator", name)),
    }
}

/// What `send`/`throw` return: the value yielded, or `StopIteration(value)` raised.
fn outcome(r: Sent) -> PyResult {
    match r {
        Sent::Yielded(v) => Ok(v),
        Sent::Returned(v) => Err(stop_iteration(v)),
    }
}

fn stop_iteration(v: Value) -> Flow {
    let args = if matches!(v, Value::None) {
        Vec::new()
    } else {
        vec![v]
    };
    Flow::Exc(crate::exc::new("StopIteration", args))
}

/// `gen.send(value)`: a generator that has not started takes only `None`.
fn send(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let g = this(vm, args, "send")?;
    let v = args.get(1).cloned().unwrap_or(Value::None);
    if !matches!(v, Value::None) && crate::eval::just_started(&g) {
        let what = crate::eval::gen_kind_word(&g);
        return Err(vm.type_error(format!(
            "can't send non-None value to a just-started {what}"
        )));
    }
    outcome(resume(vm, &g, Resume::Send(v))?)
}

/// `gen.throw(exc)` (or the old `throw(type[, value[, traceback]])` form): raises the
/// exception where the generator is suspended.
fn throw(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let g = this(vm, args, "throw")?;
    let rest = &args[1..];
    if rest.is_empty() || rest.len() > 3 {
        return Err(vm.type_error(format!(
            "throw expected at least 1 argument, got {}",
            rest.len()
        )));
    }
    let e = match (&rest[0], rest.get(1)) {
        (t @ Value::Obj(o), Some(val)) if matches!(o.data, Data::Type(_)) => {
            if matches!(val.data(), Some(Data::Exception(_))) {
                val.clone()
            } else {
                let a: Vec<Value> = match val {
                    Value::None => Vec::new(),
                    Value::Obj(v) => match &v.data {
                        Data::Tuple(items) => items.clone(),
                        _ => vec![val.clone()],
                    },
                    _ => vec![val.clone()],
                };
                let e = vm.call(t, &a, &[])?;
                crate::exc::instantiate(vm, e)?
            }
        }
        (e, Some(v)) if !matches!(v, Value::None) => {
            let _ = e;
            return Err(vm.type_error("instance exception may not have a separate value"));
        }
        (e, _) => crate::exc::instantiate(vm, e.clone())?,
    };
    outcome(resume(vm, &g, Resume::Throw(e))?)
}

/// `gen.close()`: raises `GeneratorExit` where the generator is suspended; returns the
/// generator's return value if it returns, `None` if it lets `GeneratorExit` out.
fn close(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let g = this(vm, args, "close")?;
    if !crate::eval::suspended(&g) {
        crate::eval::finish(&g);
        return Ok(Value::None);
    }
    let exit = crate::exc::new("GeneratorExit", Vec::new());
    match resume(vm, &g, Resume::Throw(exit)) {
        Ok(Sent::Yielded(_)) => {
            let what = crate::eval::gen_kind_word(&g);
            Err(vm.exc("RuntimeError", format!("{what} ignored GeneratorExit")))
        }
        Ok(Sent::Returned(v)) => Ok(v),
        Err(Flow::Exc(e))
            if crate::exc::is_instance(&e, "GeneratorExit")
                || crate::exc::is_instance(&e, "StopIteration") =>
        {
            Ok(Value::None)
        }
        Err(e) => Err(e),
    }
}

//! The methods of the builtin types (`list.append`, `str.join`, …) and their constructors.
//!
//! Every method is a method descriptor (`Data::MethodDescr`) in its type's dictionary, with
//! the calling convention CPython declares for it (`METH_O`, `METH_FASTCALL`, …: read from
//! the reference interpreters' `PyMethodDef.ml_flags`), since that decides which
//! `CALL_METHOD_DESCRIPTOR_*` form a call specializes to. Class methods (`dict.fromkeys`,
//! `int.from_bytes`) are `classmethod` objects over a builtin function, static methods
//! (`str.maketrans`) `staticmethod` objects.
//!
//! [`construct`] is `tp_new` (with `tp_init` for the builtin types that have vectorcall) of
//! the builtin and library types: `type.__call__` uses it for every class whose solid base
//! is not `object`.

mod bytes;
mod ctor;
mod dict;
mod exc;
mod gen;
mod list;
mod num;
mod set;
mod text;

pub use ctor::{builtin_base, construct, float_from_dunder, instance, reversed, to_float};
pub use dict::fill as fill_dict;
pub use num::{float_to_int, int_value as num_int_value, parse_int};
pub use text::{encode_str, format_str, is_space as str_is_space, split_str};

use crate::alloc::{self, types};
use crate::value::{Builtin, Data, MethKind, NativeFn, ObjRef, Value};
use crate::{Flow, PyResult, Vm};
use std::rc::Rc;

/// Keyword arguments as C functions receive them.
pub type Kw<'a> = &'a [(Rc<str>, Value)];

/// One method of a table: name, calling convention, implementation.
pub type Entry = (&'static str, MethKind, NativeFn);

/// A method descriptor for `owner.name`.
pub fn descr(owner: &'static str, name: &'static str, kind: MethKind, func: NativeFn) -> Value {
    alloc::obj(
        &types().method_descriptor,
        Data::MethodDescr(Builtin {
            name,
            owner: Some(owner),
            module: None,
            kind,
            func,
        }),
    )
}

/// A builtin function (`len`, `math.sqrt`).
pub fn function(name: &'static str, kind: MethKind, func: NativeFn) -> Value {
    alloc::obj(
        &types().builtin_function,
        Data::Builtin(Builtin {
            name,
            owner: None,
            module: None,
            kind,
            func,
        }),
    )
}

/// A library module's function (`math.sqrt`): a builtin function whose `__module__` is
/// `module`; calls check the argument counts its calling convention implies.
pub fn module_function(
    module: &'static str,
    name: &'static str,
    kind: MethKind,
    func: NativeFn,
) -> Value {
    alloc::obj(
        &types().builtin_function,
        Data::Builtin(Builtin {
            name,
            owner: None,
            module: Some(module),
            kind,
            func,
        }),
    )
}

/// Puts `v` into type `t`'s dictionary under `name`.
pub fn put(t: &ObjRef, name: &str, v: Value) {
    if let Some(d) = &t.dict {
        d.borrow_mut().set_str(name, v);
        crate::types::changed();
    }
}

/// Adds the methods of `entries` to type `t` (named `owner` in messages).
pub fn add_all(t: &ObjRef, owner: &'static str, entries: &[Entry]) {
    for &(name, kind, func) in entries {
        put(t, name, descr(owner, name, kind, func));
    }
}

/// Adds a class method (`dict.fromkeys`): it receives the class as its first argument.
pub fn add_classmethod(t: &ObjRef, name: &'static str, kind: MethKind, func: NativeFn) {
    let f = function(name, kind, func);
    put(
        t,
        name,
        alloc::obj(&types().classmethod, Data::ClassMethod(f)),
    );
}

/// Adds a static method (`str.maketrans`).
pub fn add_static(t: &ObjRef, name: &'static str, kind: MethKind, func: NativeFn) {
    let f = function(name, kind, func);
    put(
        t,
        name,
        alloc::obj(&types().staticmethod, Data::StaticMethod(f)),
    );
}

/// Adds the builtin types' methods to their type dictionaries.
pub fn install(vm: &mut Vm) {
    text::install(vm);
    list::install(vm);
    dict::install(vm);
    set::install(vm);
    num::install(vm);
    bytes::install(vm);
    exc::install(vm);
    gen::install(vm);
    ctor::install(vm);
}

/// The checks CPython's C-call wrappers make before a C function runs, by its calling
/// convention: `METH_NOARGS` takes no arguments, `METH_O` exactly one, and neither (nor
/// `METH_FASTCALL` without `METH_KEYWORDS`) takes keyword arguments. `nargs` counts the
/// positional arguments without `self`; `qual` is `list.append` for methods, `len` for
/// functions.
pub fn check_call(vm: &Vm, kind: MethKind, qual: &str, nargs: usize, nkw: usize) -> PyResult<()> {
    if nkw > 0 && matches!(kind, MethKind::NoArgs | MethKind::O | MethKind::Fast) {
        return Err(vm.type_error(format!("{qual}() takes no keyword arguments")));
    }
    match kind {
        MethKind::NoArgs if nargs != 0 => {
            Err(vm.type_error(format!("{qual}() takes no arguments ({nargs} given)")))
        }
        MethKind::O if nargs != 1 => Err(vm.type_error(format!(
            "{qual}() takes exactly one argument ({nargs} given)"
        ))),
        _ => Ok(()),
    }
}

/// Argument Clinic's positional-count check (`_PyArg_CheckPositional`).
pub fn nargs(vm: &Vm, name: &str, n: usize, min: usize, max: usize) -> PyResult<()> {
    let plural = |k: usize| if k == 1 { "" } else { "s" };
    if n < min {
        let what = if min == max { "" } else { "at least " };
        return Err(vm.type_error(format!(
            "{name} expected {what}{min} argument{}, got {n}",
            plural(min)
        )));
    }
    if n > max {
        let what = if min == max { "" } else { "at most " };
        return Err(vm.type_error(format!(
            "{name} expected {what}{max} argument{}, got {n}",
            plural(max)
        )));
    }
    Ok(())
}

/// Rejects keyword arguments other than `allowed` (`f() got an unexpected keyword argument`).
pub fn kw_only(vm: &Vm, fname: &str, kwargs: Kw, allowed: &[&str]) -> PyResult<()> {
    for (k, _) in kwargs {
        if !allowed.contains(&&**k) {
            return Err(vm.type_error(format!(
                "{fname}() got an unexpected keyword argument '{k}'"
            )));
        }
    }
    Ok(())
}

/// The keyword argument `name`, if given.
pub fn kwarg(kwargs: Kw, name: &str) -> Option<Value> {
    kwargs
        .iter()
        .find(|(k, _)| &**k == name)
        .map(|(_, v)| v.clone())
}

/// Positional argument `i` or keyword `name` (Argument Clinic's positional-or-keyword
/// parameters); a value given both ways is an error.
pub fn param(
    vm: &Vm,
    fname: &str,
    args: &[Value],
    kwargs: Kw,
    i: usize,
    name: &str,
) -> PyResult<Option<Value>> {
    let kw = kwarg(kwargs, name);
    match (args.get(i), kw) {
        (Some(_), Some(_)) => Err(vm.type_error(format!(
            "argument for {fname}() given by name ('{name}') and position ({})",
            i + 1
        ))),
        (Some(v), None) => Ok(Some(v.clone())),
        (None, kw) => Ok(kw),
    }
}

/// Argument `i` (`None` when missing: the call wrappers check the counts).
pub fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).cloned().unwrap_or(Value::None)
}

/// An index-sized integer (`PyNumber_AsSsize_t`): ints, bools and objects with `__index__`.
pub fn index(vm: &mut Vm, v: &Value) -> PyResult<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(*b as i64),
        Value::Obj(o) if matches!(o.data, Data::Long(_)) => Err(vm.exc(
            "OverflowError",
            "Python int too large to convert to C ssize_t",
        )),
        _ => match big_index(vm, v)? {
            Some(b) => num_traits::ToPrimitive::to_i64(&b).ok_or_else(|| {
                vm.exc(
                    "OverflowError",
                    "Python int too large to convert to C ssize_t",
                )
            }),
            None => Err(vm.type_error(format!(
                "'{}' object cannot be interpreted as an integer",
                vm.type_name(v)
            ))),
        },
    }
}

/// The integer value of `v` via `__index__` (`None` when it has none).
pub fn big_index(vm: &mut Vm, v: &Value) -> PyResult<Option<num_bigint::BigInt>> {
    match v {
        Value::Int(i) => Ok(Some((*i).into())),
        Value::Bool(b) => Ok(Some((*b as i64).into())),
        Value::Obj(o) => match &o.data {
            Data::Long(b) => Ok(Some(b.clone())),
            _ => {
                if vm.lookup_special(v, "__index__").is_none() {
                    return Ok(None);
                }
                let r = vm.call_method(v, "__index__", &[])?;
                match (&r, r.data()) {
                    (Value::Int(i), _) => Ok(Some((*i).into())),
                    (Value::Bool(b), _) => Ok(Some((*b as i64).into())),
                    (_, Some(Data::Long(b))) => Ok(Some(b.clone())),
                    _ => Err(vm.type_error(format!(
                        "__index__ returned non-int (type {})",
                        vm.type_name(&r)
                    ))),
                }
            }
        },
        _ => Ok(None),
    }
}

/// `a == b` as a bool.
pub fn eq(vm: &mut Vm, a: &Value, b: &Value) -> PyResult<bool> {
    vm.eq(a, b)
}

/// `a < b` as a bool.
pub fn lt(vm: &mut Vm, a: &Value, b: &Value) -> PyResult<bool> {
    let r = vm.compare(a, b, 0)?;
    vm.truthy(&r)
}

/// Sorts `items` stably by `key` (or the items themselves) with `<` only, as `list.sort`
/// does; an exception raised by a key or a comparison stops the sort.
pub fn sort(vm: &mut Vm, items: &mut Vec<Value>, key: &Value, reverse: bool) -> PyResult<()> {
    let keys: Vec<Value> = if matches!(key, Value::None) {
        items.clone()
    } else {
        let mut ks = Vec::with_capacity(items.len());
        for it in items.iter() {
            ks.push(vm.call(key, std::slice::from_ref(it), &[])?);
        }
        ks
    };
    let mut idx: Vec<usize> = (0..items.len()).collect();
    if reverse {
        // Reversing before and after a stable sort keeps equal items in their order.
        idx.reverse();
    }
    let sorted = merge_sort(vm, idx, &keys)?;
    let mut out: Vec<Value> = sorted.into_iter().map(|i| items[i].clone()).collect();
    if reverse {
        out.reverse();
    }
    *items = out;
    Ok(())
}

fn merge_sort(vm: &mut Vm, mut idx: Vec<usize>, keys: &[Value]) -> PyResult<Vec<usize>> {
    if idx.len() <= 1 {
        return Ok(idx);
    }
    if idx.len() <= 8 {
        // Binary-free insertion sort for short runs: stable, `<` only.
        for i in 1..idx.len() {
            let mut j = i;
            while j > 0 && lt(vm, &keys[idx[j]], &keys[idx[j - 1]])? {
                idx.swap(j, j - 1);
                j -= 1;
            }
        }
        return Ok(idx);
    }
    let right = idx.split_off(idx.len() / 2);
    let left = merge_sort(vm, idx, keys)?;
    let right = merge_sort(vm, right, keys)?;
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if lt(vm, &keys[right[j]], &keys[left[i]])? {
            out.push(right[j]);
            j += 1;
        } else {
            out.push(left[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&left[i..]);
    out.extend_from_slice(&right[j..]);
    Ok(out)
}

/// The `self` of a method call as a string (`str` methods).
pub fn self_str(vm: &Vm, args: &[Value], owner: &str, name: &str) -> PyResult<Rc<str>> {
    match args.first().and_then(|v| v.data()) {
        Some(Data::Str(s)) => Ok(s.clone()),
        _ => Err(descr_self_error(vm, args, owner, name)),
    }
}

/// `descriptor 'x' for 'T' objects doesn't apply to a 'U' object`.
pub fn descr_self_error(vm: &Vm, args: &[Value], owner: &str, name: &str) -> Flow {
    let got = args
        .first()
        .map(|v| vm.type_name(v).to_string())
        .unwrap_or_default();
    vm.type_error(format!(
        "descriptor '{name}' for '{owner}' objects doesn't apply to a '{got}' object"
    ))
}

/// A slice bound: an integer (big ones clamp) or an object with `__index__`.
pub fn slice_index(vm: &mut Vm, v: &Value) -> PyResult<i64> {
    match big_index(vm, v)? {
        Some(b) => Ok(num_traits::ToPrimitive::to_i64(&b).unwrap_or(
            if b.sign() == num_bigint::Sign::Minus {
                i64::MIN / 2
            } else {
                i64::MAX / 2
            },
        )),
        None => {
            Err(vm.type_error("slice indices must be integers or None or have an __index__ method"))
        }
    }
}

/// Normalizes a slice-like `start`/`end` pair of optional indices against `len`
/// (`str.find(sub, start, end)`).
pub fn span(
    vm: &mut Vm,
    start: Option<&Value>,
    end: Option<&Value>,
    len: usize,
) -> PyResult<(usize, usize)> {
    let n = len as i64;
    let fix = |i: i64| -> i64 {
        if i < 0 {
            (i + n).max(0)
        } else {
            i.min(n)
        }
    };
    let s = match start {
        None | Some(Value::None) => 0,
        Some(v) => fix(slice_index(vm, v)?),
    };
    let e = match end {
        None | Some(Value::None) => n,
        Some(v) => fix(slice_index(vm, v)?),
    };
    Ok((s as usize, e as usize))
}

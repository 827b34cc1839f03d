//! The `builtins` module: the builtin types, the exception classes, the constants, and the
//! builtin functions — each a C function (`Data::Builtin`) with the calling convention CPython
//! declares for it (read from the reference interpreters' `PyMethodDef.ml_flags`: `len` is
//! `METH_O`, `isinstance` `METH_FASTCALL`, `print` `METH_FASTCALL|METH_KEYWORDS`, `dir` and
//! `vars` `METH_VARARGS`), since that decides `CALL_BUILTIN_O` / `_FAST` /
//! `_FAST_WITH_KEYWORDS` / `CALL_NON_PY_GENERAL`.
//!
//! The snippet has no files and no console: `open()` raises `OSError`, `input()` sees the end
//! of its (empty) standard input, as under `python FILE </dev/null`.

use crate::alloc::{self, types};
use crate::methods::{arg, big_index, function, index, kw_only, kwarg, nargs, Kw};
use crate::types::{is_subtype, tdata};
use crate::value::{Data, IterState, MethKind, MethKind::*, NativeFn, ObjRef, Value};
use crate::{Flow, PyResult, Vm};
use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive, Zero};
use std::rc::Rc;

/// The builtin functions: name, calling convention, implementation.
const FUNCTIONS: &[(&str, MethKind, NativeFn)] = &[
    ("abs", O, abs),
    ("all", O, all),
    ("any", O, any),
    ("ascii", O, ascii),
    ("bin", O, bin),
    ("callable", O, callable),
    ("chr", O, chr),
    ("delattr", Fast, delattr),
    ("dir", VarArgs, dir),
    ("divmod", Fast, divmod),
    ("format", Fast, format),
    ("getattr", Fast, getattr),
    ("globals", NoArgs, globals),
    ("hasattr", Fast, hasattr),
    ("hash", O, hash),
    ("hex", O, hex),
    ("id", O, id),
    ("input", Fast, input),
    ("isinstance", Fast, isinstance),
    ("issubclass", Fast, issubclass),
    ("iter", Fast, iter),
    ("len", O, len),
    ("max", FastKw, max),
    ("min", FastKw, min),
    ("next", Fast, next),
    ("oct", O, oct),
    ("open", FastKw, open),
    ("ord", O, ord),
    ("pow", FastKw, pow),
    ("print", FastKw, print),
    ("repr", O, repr),
    ("round", FastKw, round),
    ("setattr", Fast, setattr),
    ("sorted", FastKw, sorted),
    ("sum", FastKw, sum),
    ("vars", VarArgs, vars),
];

/// Fills the VM's `builtins` namespace.
pub fn install(vm: &mut Vm) {
    let t = types();
    let Data::Dict(d) = &vm.builtins.data else {
        return;
    };
    let mut d = d.borrow_mut();
    d.set_str("__name__", alloc::s("builtins"));
    d.set_str("__doc__", Value::None);
    d.set_str("__build_class__", crate::call::build_class_builtin());
    for (name, v) in [
        ("None", Value::None),
        ("Ellipsis", Value::Ellipsis),
        ("NotImplemented", Value::NotImplemented),
        ("False", Value::Bool(false)),
        ("True", Value::Bool(true)),
    ] {
        d.set_str(name, v);
    }
    let classes: [(&str, &ObjRef); 25] = [
        ("bool", &t.bool_),
        ("bytearray", &t.bytearray),
        ("bytes", &t.bytes),
        ("classmethod", &t.classmethod),
        ("complex", &t.complex),
        ("dict", &t.dict),
        ("enumerate", &t.other["enumerate"]),
        ("filter", &t.other["filter"]),
        ("float", &t.float),
        ("frozenset", &t.frozenset),
        ("int", &t.int),
        ("list", &t.list),
        ("map", &t.other["map"]),
        ("object", &t.object),
        ("property", &t.property),
        ("range", &t.range),
        ("reversed", &t.other["reversed"]),
        ("set", &t.set),
        ("slice", &t.slice),
        ("staticmethod", &t.staticmethod),
        ("str", &t.str_),
        ("super", &t.super_),
        ("tuple", &t.tuple),
        ("type", &t.type_),
        ("zip", &t.other["zip"]),
    ];
    for (name, c) in classes {
        d.set_str(name, Value::Obj(c.clone()));
    }
    for (name, _) in crate::types::EXCEPTIONS {
        d.set_str(name, Value::Obj(t.exc[name].clone()));
    }
    // `EnvironmentError` and `IOError` are aliases of `OSError`.
    d.set_str("EnvironmentError", Value::Obj(t.exc["OSError"].clone()));
    d.set_str("IOError", Value::Obj(t.exc["OSError"].clone()));
    for &(name, kind, func) in FUNCTIONS {
        d.set_str(name, function(name, kind, func));
    }
    // `exit` and `quit` are `site`'s `Quitter` objects; calling one raises `SystemExit`.
    d.set_str("exit", function("exit", FastKw, exit));
    d.set_str("quit", function("quit", FastKw, exit));
}

fn abs(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let v = arg(args, 0);
    Ok(match &v {
        Value::Int(i) => match i.checked_abs() {
            Some(a) => Value::Int(a),
            None => alloc::big(BigInt::from(*i).abs()),
        },
        Value::Bool(b) => Value::Int(*b as i64),
        Value::Float(f) => Value::Float(f.abs()),
        Value::Obj(o) => match &o.data {
            Data::Long(b) if types().is_exact(&v, &types().int) => alloc::big(b.abs()),
            Data::Complex(re, im) if types().is_exact(&v, &types().complex) => {
                Value::Float(re.hypot(*im))
            }
            _ => {
                if let Some(m) = user_dunder(vm, &v, "__abs__") {
                    return vm.call(&m, std::slice::from_ref(&v), &[]);
                }
                match &o.data {
                    Data::Long(b) => alloc::big(b.abs()),
                    Data::Complex(re, im) => Value::Float(re.hypot(*im)),
                    _ => {
                        return Err(vm.type_error(format!(
                            "bad operand type for abs(): '{}'",
                            vm.type_name(&v)
                        )))
                    }
                }
            }
        },
        _ => {
            return Err(vm.type_error(format!(
                "bad operand type for abs(): '{}'",
                vm.type_name(&v)
            )))
        }
    })
}

/// A special method a class statement or library type defines (not a core builtin's).
fn user_dunder(vm: &Vm, v: &Value, name: &str) -> Option<Value> {
    let t = types().of(v);
    let owner = crate::types::lookup_owner(&t, name)?;
    let td = tdata(&owner);
    if td.builtin && &**td.module.borrow() == "builtins" {
        return None;
    }
    vm.lookup_special(v, name)
}

fn all(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let it = vm.iter(&arg(args, 0))?;
    while let Some(x) = vm.next(&it)? {
        if !vm.truthy(&x)? {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

fn any(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let it = vm.iter(&arg(args, 0))?;
    while let Some(x) = vm.next(&it)? {
        if vm.truthy(&x)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn ascii(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    Ok(alloc::str_value(vm.ascii(&arg(args, 0))?))
}

fn radix(vm: &mut Vm, v: &Value, prefix: &str, base: u32) -> PyResult {
    let Some(b) = big_index(vm, v)? else {
        return Err(vm.type_error(format!(
            "'{}' object cannot be interpreted as an integer",
            vm.type_name(v)
        )));
    };
    let sign = if b.is_negative() { "-" } else { "" };
    Ok(alloc::string(format!(
        "{sign}{prefix}{}",
        b.abs().to_str_radix(base)
    )))
}

fn bin(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    radix(vm, &arg(args, 0), "0b", 2)
}

fn oct(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    radix(vm, &arg(args, 0), "0o", 8)
}

fn hex(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    radix(vm, &arg(args, 0), "0x", 16)
}

/// `callable(v)`.
pub fn is_callable(vm: &Vm, v: &Value) -> bool {
    match v.data() {
        Some(
            Data::Function(_)
            | Data::Method(..)
            | Data::Builtin(_)
            | Data::MethodDescr(_)
            | Data::BoundBuiltin(..)
            | Data::Type(_)
            | Data::StaticMethod(_),
        ) => true,
        Some(Data::Native(n)) => {
            matches!(
                &*n.borrow(),
                crate::value::Native::Partial(..)
                    | crate::value::Native::Lru(..)
                    | crate::value::Native::KeyWrapper(..)
                    | crate::value::Native::ItemGetter(..)
                    | crate::value::Native::AttrGetter(..)
                    | crate::value::Native::MethodCaller(..)
            ) || vm.lookup_special(v, "__call__").is_some()
        }
        _ => vm.lookup_special(v, "__call__").is_some(),
    }
}

fn callable(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    Ok(Value::Bool(is_callable(vm, &arg(args, 0))))
}

fn chr(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let v = arg(args, 0);
    let Some(b) = big_index(vm, &v)? else {
        return Err(vm.type_error(format!(
            "'{}' object cannot be interpreted as an integer",
            vm.type_name(&v)
        )));
    };
    match b.to_u32() {
        Some(n) if n < 0x110000 => {
            let c = crate::surrogates::char_of(n).unwrap_or('\u{fffd}');
            Ok(alloc::string(c.to_string()))
        }
        _ => Err(vm.value_error("chr() arg not in range(0x110000)")),
    }
}

fn ord(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let v = arg(args, 0);
    match v.data() {
        Some(Data::Str(s)) => {
            let mut cs = s.chars();
            match (cs.next(), cs.next()) {
                (Some(c), None) => Ok(Value::Int(crate::surrogates::code_point(c) as i64)),
                _ => Err(vm.type_error(format!(
                    "ord() expected a character, but string of length {} found",
                    s.chars().count()
                ))),
            }
        }
        Some(Data::Bytes(b)) if b.len() == 1 => Ok(Value::Int(b[0] as i64)),
        Some(Data::ByteArray(b)) if b.borrow().len() == 1 => Ok(Value::Int(b.borrow()[0] as i64)),
        Some(Data::Bytes(b)) => Err(vm.type_error(format!(
            "ord() expected a character, but string of length {} found",
            b.len()
        ))),
        _ => Err(vm.type_error(format!(
            "ord() expected string of length 1, but {} found",
            vm.type_name(&v)
        ))),
    }
}

fn attr_name(vm: &Vm, v: &Value) -> PyResult<Rc<str>> {
    match v.data() {
        Some(Data::Str(s)) => Ok(s.clone()),
        _ => Err(vm.type_error(format!(
            "attribute name must be string, not '{}'",
            vm.type_name(v)
        ))),
    }
}

fn getattr(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "getattr", args.len(), 2, 3)?;
    let name = attr_name(vm, &args[1])?;
    match args.get(2) {
        None => vm.getattr(&args[0], &name),
        Some(dflt) => match vm.getattr(&args[0], &name) {
            Err(Flow::Exc(e)) if crate::exc::is_instance(&e, "AttributeError") => Ok(dflt.clone()),
            r => r,
        },
    }
}

fn hasattr(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "hasattr", args.len(), 2, 2)?;
    let name = attr_name(vm, &args[1])?;
    match vm.getattr(&args[0], &name) {
        Ok(_) => Ok(Value::Bool(true)),
        Err(Flow::Exc(e)) if crate::exc::is_instance(&e, "AttributeError") => {
            Ok(Value::Bool(false))
        }
        Err(e) => Err(e),
    }
}

fn setattr(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "setattr", args.len(), 3, 3)?;
    let name = attr_name(vm, &args[1])?;
    vm.setattr(&args[0], &name, args[2].clone())?;
    Ok(Value::None)
}

fn delattr(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "delattr", args.len(), 2, 2)?;
    let name = attr_name(vm, &args[1])?;
    vm.delattr(&args[0], &name)?;
    Ok(Value::None)
}

/// `dir(obj)`: the names of the instance dictionary and of every class along the MRO, sorted.
fn dir(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "dir", args.len(), 0, 1)?;
    let Some(obj) = args.first() else {
        return globals_keys(vm);
    };
    let names = dir_of(vm, obj)?;
    Ok(alloc::list(
        names.into_iter().map(alloc::str_value).collect(),
    ))
}

/// `dir(obj)`'s names, sorted.
pub fn dir_of(vm: &mut Vm, obj: &Value) -> PyResult<Vec<Rc<str>>> {
    let _ = &vm;
    let mut names: Vec<Rc<str>> = Vec::new();
    let mut add = |d: &crate::dict::Dict| {
        for (k, _) in d.str_items() {
            names.push(Rc::from(k));
        }
    };
    match obj.data() {
        Some(Data::Module(_)) => {
            if let Some(d) = obj.obj().and_then(|o| o.dict.as_ref()) {
                add(&d.borrow());
            }
        }
        Some(Data::Type(td)) => {
            for c in td.mro.borrow().iter() {
                if let Some(d) = &c.dict {
                    add(&d.borrow());
                }
            }
        }
        _ => {
            if let Some(d) = obj.obj().and_then(|o| o.dict.as_ref()) {
                add(&d.borrow());
            }
            let t = types().of(obj);
            for c in tdata(&t).mro.borrow().iter() {
                if let Some(d) = &c.dict {
                    add(&d.borrow());
                }
            }
        }
    }
    names.sort();
    names.dedup();
    Ok(names)
}

/// The `__main__` namespace (snippet code runs in `__main__`).
fn main_globals(vm: &Vm) -> Option<Value> {
    let m = vm.modules.get("__main__")?;
    match m.data() {
        Some(Data::Dict(_)) => Some(m.clone()),
        _ => None,
    }
}

/// `globals()`: the globals of the Python frame that called it.
fn globals(vm: &mut Vm, _args: &[Value], _kw: Kw) -> PyResult {
    match vm.frames.last() {
        Some(f) => Ok(Value::Obj(f.globals.clone())),
        None => main_globals(vm).ok_or_else(|| vm.exc("RuntimeError", "no current frame")),
    }
}

fn globals_keys(vm: &mut Vm) -> PyResult {
    let g = globals(vm, &[], &[])?;
    let mut names: Vec<Rc<str>> = match g.data() {
        Some(Data::Dict(d)) => d.borrow().str_items().map(|(k, _)| Rc::from(k)).collect(),
        _ => Vec::new(),
    };
    names.sort();
    Ok(alloc::list(
        names.into_iter().map(alloc::str_value).collect(),
    ))
}

fn vars(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "vars", args.len(), 0, 1)?;
    let Some(obj) = args.first() else {
        return globals(vm, &[], &[]);
    };
    match vm.getattr(obj, "__dict__") {
        Err(Flow::Exc(e)) if crate::exc::is_instance(&e, "AttributeError") => {
            Err(vm.type_error("vars() argument must have __dict__ attribute"))
        }
        r => r,
    }
}

fn divmod(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "divmod", args.len(), 2, 2)?;
    let (a, b) = (&args[0], &args[1]);
    let numeric = |v: &Value| {
        matches!(v, Value::Int(_) | Value::Bool(_) | Value::Float(_))
            || matches!(v.data(), Some(Data::Long(_)))
    };
    if !(numeric(a) && numeric(b)) {
        if let Some(m) = user_dunder(vm, a, "__divmod__") {
            let r = vm.call(&m, &[a.clone(), b.clone()], &[])?;
            if !matches!(r, Value::NotImplemented) {
                return Ok(r);
            }
        }
        if let Some(m) = user_dunder(vm, b, "__rdivmod__") {
            let r = vm.call(&m, &[b.clone(), a.clone()], &[])?;
            if !matches!(r, Value::NotImplemented) {
                return Ok(r);
            }
        }
        return Err(vm.type_error(format!(
            "unsupported operand type(s) for divmod(): '{}' and '{}'",
            vm.type_name(a),
            vm.type_name(b)
        )));
    }
    // NB_FLOOR_DIVIDE = 2, NB_REMAINDER = 6.
    let q = vm.binary_op(a, b, 2)?;
    let r = vm.binary_op(a, b, 6)?;
    Ok(alloc::tuple(vec![q, r]))
}

fn format(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "format", args.len(), 1, 2)?;
    let spec = match args.get(1) {
        None => Rc::from(""),
        Some(s) => match s.data() {
            Some(Data::Str(s)) => s.clone(),
            _ => {
                return Err(vm.type_error(format!(
                    "format() argument 2 must be str, not {}",
                    vm.type_name(s)
                )))
            }
        },
    };
    Ok(alloc::str_value(vm.format_value(&args[0], &spec)?))
}

fn hash(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let k = vm.key_of(&arg(args, 0))?;
    Ok(Value::Int(k.py_hash()))
}

fn id(_vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    Ok(Value::Int(arg(args, 0).id() as i64))
}

/// `input(prompt)`: writes the prompt, then meets the end of the (empty) standard input.
fn input(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "input", args.len(), 0, 1)?;
    if let Some(p) = args.first() {
        let s = vm.str(p)?;
        vm.write_text(false, &s)?;
    }
    Err(vm.exc("EOFError", "EOF when reading a line"))
}

/// `open()`: the snippet has no file access.
fn open(vm: &mut Vm, _args: &[Value], _kw: Kw) -> PyResult {
    Err(vm.exc(
        "OSError",
        "open() is not available: the snippet runs without file access in the built-in VM",
    ))
}

fn exit(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let code = arg(args, 0);
    let e = crate::exc::new(
        "SystemExit",
        if args.is_empty() { vec![] } else { vec![code] },
    );
    let _ = vm;
    Err(Flow::Exc(e))
}

fn class_check(vm: &mut Vm, v: &Value, cls: &Value, fname: &str, depth: u32) -> PyResult<bool> {
    if depth > 200 {
        return Err(vm.exc(
            "RecursionError",
            format!("maximum recursion depth exceeded in __{fname}__"),
        ));
    }
    match cls.data() {
        Some(Data::Type(_)) => {
            let Value::Obj(c) = cls else { return Ok(false) };
            let t = if fname == "instancecheck" {
                types().of(v)
            } else {
                match v {
                    Value::Obj(o) if matches!(o.data, Data::Type(_)) => o.clone(),
                    _ => return Err(vm.type_error("issubclass() arg 1 must be a class")),
                }
            };
            if fname == "instancecheck" && Rc::ptr_eq(&t, c) {
                return Ok(true);
            }
            // A metaclass written in Python may define the check (`ABCMeta`).
            let meta = types().of(cls);
            if !Rc::ptr_eq(&meta, &types().type_) {
                let hook = format!("__{fname}__");
                if let Some(h) = crate::types::lookup(&meta, &hook) {
                    if matches!(h.data(), Some(Data::Function(_))) {
                        let r = vm.call(&h, &[cls.clone(), v.clone()], &[])?;
                        return vm.truthy(&r);
                    }
                }
            }
            Ok(is_subtype(&t, c))
        }
        Some(Data::Tuple(items)) => {
            for c in items.clone() {
                if class_check(vm, v, &c, fname, depth + 1)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        _ => {
            // `int | str` (a `types.UnionType`) keeps its members in `__args__`.
            if let Ok(Some(members)) = vm.getattr_opt(cls, "__args__") {
                if matches!(members.data(), Some(Data::Tuple(_)))
                    && matches!(vm.type_name(cls).as_ref(), "UnionType" | "Union")
                {
                    return class_check(vm, v, &members, fname, depth + 1);
                }
            }
            let which = if fname == "instancecheck" {
                "isinstance"
            } else {
                "issubclass"
            };
            Err(vm.type_error(format!(
                "{which}() arg 2 must be a type, a tuple of types, or a union"
            )))
        }
    }
}

fn isinstance(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "isinstance", args.len(), 2, 2)?;
    Ok(Value::Bool(class_check(
        vm,
        &args[0],
        &args[1],
        "instancecheck",
        0,
    )?))
}

fn issubclass(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "issubclass", args.len(), 2, 2)?;
    if !matches!(args[0].data(), Some(Data::Type(_))) {
        return Err(vm.type_error("issubclass() arg 1 must be a class"));
    }
    Ok(Value::Bool(class_check(
        vm,
        &args[0],
        &args[1],
        "subclasscheck",
        0,
    )?))
}

fn iter(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "iter", args.len(), 1, 2)?;
    match args.get(1) {
        None => vm.iter(&args[0]),
        Some(sentinel) => {
            if !is_callable(vm, &args[0]) {
                return Err(vm.type_error("iter(v, w): v must be callable"));
            }
            Ok(alloc::iter(
                "callable_iterator",
                IterState::Callable(args[0].clone(), sentinel.clone()),
            ))
        }
    }
}

fn len(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    crate::call::len(vm, &arg(args, 0))
}

/// `min`/`max`: one iterable (with `default`) or several arguments; `key` for both.
fn extreme(vm: &mut Vm, args: &[Value], kw: Kw, name: &str, op: u32) -> PyResult {
    if args.is_empty() {
        return Err(vm.type_error(format!("{name} expected at least 1 argument, got 0")));
    }
    for (k, _) in kw {
        if &**k != "key" && &**k != "default" {
            if kw.len() > 2 {
                return Err(vm.type_error(format!(
                    "{name}() takes at most 2 keyword arguments ({} given)",
                    kw.len()
                )));
            }
            return Err(vm.type_error(format!("{name}() got an unexpected keyword argument '{k}'")));
        }
    }
    let key = kwarg(kw, "key").filter(|k| !matches!(k, Value::None));
    let dflt = kwarg(kw, "default");
    let items = if args.len() == 1 {
        vm.iter(&args[0])?
    } else {
        if dflt.is_some() {
            return Err(vm.type_error(format!(
                "Cannot specify a default for {name}() with multiple positional arguments"
            )));
        }
        vm.iter(&alloc::tuple(args.to_vec()))?
    };
    let mut best: Option<(Value, Value)> = None;
    while let Some(x) = vm.next(&items)? {
        let k = match &key {
            Some(f) => vm.call(f, std::slice::from_ref(&x), &[])?,
            None => x.clone(),
        };
        let better = match &best {
            None => true,
            Some((bk, _)) => {
                let r = vm.compare(&k, bk, op)?;
                vm.truthy(&r)?
            }
        };
        if better {
            best = Some((k, x));
        }
    }
    match best {
        Some((_, v)) => Ok(v),
        None => dflt.ok_or_else(|| vm.value_error(format!("{name}() iterable argument is empty"))),
    }
}

fn max(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    extreme(vm, args, kw, "max", 4)
}

fn min(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    extreme(vm, args, kw, "min", 0)
}

fn next(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "next", args.len(), 1, 2)?;
    match vm.next(&args[0])? {
        Some(v) => Ok(v),
        None => match args.get(1) {
            Some(d) => Ok(d.clone()),
            None => Err(Flow::Exc(crate::exc::new("StopIteration", vec![]))),
        },
    }
}

fn pow(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    kw_only(vm, "pow", kw, &["base", "exp", "mod"])?;
    nargs(vm, "pow", args.len(), 0, 3)?;
    let get = |vm: &Vm, i: usize, n: &str| crate::methods::param(vm, "pow", args, kw, i, n);
    let Some(base) = get(vm, 0, "base")? else {
        return Err(vm.type_error("pow() missing required argument 'base' (pos 1)"));
    };
    let Some(exp) = get(vm, 1, "exp")? else {
        return Err(vm.type_error("pow() missing required argument 'exp' (pos 2)"));
    };
    let m = get(vm, 2, "mod")?.unwrap_or(Value::None);
    if matches!(m, Value::None) {
        // NB_POWER = 8.
        return vm.binary_op(&base, &exp, 8);
    }
    let ints = (
        crate::methods::num_int_value(&base),
        crate::methods::num_int_value(&exp),
        crate::methods::num_int_value(&m),
    );
    let (Some(b), Some(e), Some(md)) = ints else {
        if let Some(f) = user_dunder(vm, &base, "__pow__") {
            return vm.call(&f, &[base.clone(), exp, m], &[]);
        }
        return Err(
            vm.type_error("pow() 3rd argument not allowed unless all arguments are integers")
        );
    };
    if md.is_zero() {
        return Err(vm.value_error("pow() 3rd argument cannot be 0"));
    }
    let r = if e.is_negative() {
        let Some(inv) = mod_inverse(&b, &md) else {
            return Err(vm.value_error("base is not invertible for the given modulus"));
        };
        inv.modpow(&(-e), &md.abs())
    } else {
        b.modpow(&e, &md.abs())
    };
    // Python's result takes the sign of the modulus.
    let mut r = ((r % &md) + &md) % &md;
    if md.is_negative() && r.is_positive() {
        r += &md;
    }
    Ok(alloc::big(r))
}

fn mod_inverse(a: &BigInt, m: &BigInt) -> Option<BigInt> {
    let m = m.abs();
    let (mut old_r, mut r) = (((a % &m) + &m) % &m, m.clone());
    let (mut old_s, mut s) = (BigInt::from(1), BigInt::zero());
    while !r.is_zero() {
        let q = &old_r / &r;
        let nr = &old_r - &q * &r;
        old_r = std::mem::replace(&mut r, nr);
        let ns = &old_s - &q * &s;
        old_s = std::mem::replace(&mut s, ns);
    }
    if old_r != BigInt::from(1) {
        return None;
    }
    Some(((old_s % &m) + &m) % &m)
}

/// Where `print` writes: `None`/`sys.stdout` → stdout, `sys.stderr` → stderr, otherwise an
/// object with a `write` method.
enum Sink {
    Out,
    Err,
    Obj(Value),
}

fn print(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    kw_only(vm, "print", kw, &["sep", "end", "file", "flush"])?;
    let text_arg = |vm: &Vm, name: &str, dflt: &str| -> PyResult<String> {
        match kwarg(kw, name) {
            None | Some(Value::None) => Ok(dflt.to_string()),
            Some(v) => match v.as_str() {
                Some(s) => Ok(s.to_string()),
                None => Err(vm.type_error(format!(
                    "{name} must be None or a string, not {}",
                    vm.type_name(&v)
                ))),
            },
        }
    };
    let sep = text_arg(vm, "sep", " ")?;
    let end = text_arg(vm, "end", "\n")?;
    let sink = match kwarg(kw, "file") {
        None | Some(Value::None) => Sink::Out,
        Some(f) => match crate::modules::stream_of(&f) {
            Some(false) => Sink::Out,
            Some(true) => Sink::Err,
            None => Sink::Obj(f),
        },
    };
    // Each piece is written on its own, as `print` writes them (an error in one leaves the
    // ones before it written).
    let mut pieces: Vec<Rc<str>> = Vec::with_capacity(2 * args.len() + 1);
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            pieces.push(Rc::from(sep.as_str()));
        }
        pieces.push(vm.str(a)?);
    }
    pieces.push(Rc::from(end.as_str()));
    match sink {
        Sink::Out | Sink::Err => {
            let to_err = matches!(sink, Sink::Err);
            for p in &pieces {
                vm.write_text(to_err, p)?;
            }
        }
        Sink::Obj(f) => {
            let s: String = pieces.iter().map(|p| &**p).collect();
            vm.charge(s.len() as u64)?;
            vm.call_method(&f, "write", &[alloc::string(s)])?;
        }
    }
    Ok(Value::None)
}

fn repr(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    Ok(alloc::str_value(vm.repr(&arg(args, 0))?))
}

/// `round(x)` for a float: halves to even.
pub fn round_float(f: f64, ndigits: Option<i64>) -> f64 {
    match ndigits {
        None => f.round_ties_even(),
        Some(n) if !f.is_finite() => {
            let _ = n;
            f
        }
        Some(n) if n > 22 => f,
        Some(n) if n >= 0 => {
            // The shortest correctly rounded decimal with `n` digits (exact ties go to even,
            // as CPython's dtoa-based rounding does).
            let s = format!("{:.*}", n as usize, f);
            s.parse().unwrap_or(f)
        }
        Some(n) => {
            let p = 10f64.powi((-n).min(308) as i32);
            if p.is_infinite() {
                return 0.0 * f;
            }
            let r = (f / p).round_ties_even() * p;
            if r.is_infinite() {
                f
            } else {
                r
            }
        }
    }
}

fn round(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    kw_only(vm, "round", kw, &["number", "ndigits"])?;
    nargs(vm, "round", args.len(), 0, 2)?;
    let Some(x) = crate::methods::param(vm, "round", args, kw, 0, "number")? else {
        return Err(vm.type_error("round() missing required argument 'number' (pos 1)"));
    };
    let nd = crate::methods::param(vm, "round", args, kw, 1, "ndigits")?
        .filter(|v| !matches!(v, Value::None));
    // A float subclass's instance rounds as its float (unless the class says otherwise).
    let x = match (x.data(), user_dunder(vm, &x, "__round__")) {
        (Some(Data::Float(f)), None) => Value::Float(*f),
        _ => x,
    };
    match &x {
        Value::Float(f) => match nd {
            None => crate::methods::float_to_int(vm, f.round_ties_even()),
            Some(n) => {
                let n = match big_index(vm, &n)? {
                    Some(b) => {
                        b.to_i64()
                            .unwrap_or(if b.is_negative() { i64::MIN } else { i64::MAX })
                    }
                    None => {
                        return Err(vm.type_error(format!(
                            "'{}' object cannot be interpreted as an integer",
                            vm.type_name(&n)
                        )))
                    }
                };
                Ok(Value::Float(round_float(*f, Some(n))))
            }
        },
        _ if crate::methods::num_int_value(&x).is_some()
            && user_dunder(vm, &x, "__round__").is_none() =>
        {
            let b = crate::methods::num_int_value(&x).unwrap_or_default();
            let Some(n) = nd else {
                return Ok(alloc::big(b));
            };
            let n = index(vm, &n)?;
            if n >= 0 {
                return Ok(alloc::big(b));
            }
            let p = num_traits::pow(BigInt::from(10), (-n).min(4300) as usize);
            let (q, r) = num_integer::Integer::div_mod_floor(&b, &p);
            let twice = &r * 2;
            let up = twice > p || (twice == p && num_integer::Integer::is_odd(&q));
            let q = if up { q + 1 } else { q };
            Ok(alloc::big(q * p))
        }
        _ => match vm.lookup_special(&x, "__round__") {
            Some(m) => {
                let mut a = vec![x.clone()];
                if let Some(n) = nd {
                    a.push(n);
                }
                vm.call(&m, &a, &[])
            }
            None => Err(vm.type_error(format!(
                "type {} doesn't define __round__ method",
                vm.type_name(&x)
            ))),
        },
    }
}

fn sorted(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    nargs(vm, "sorted", args.len(), 1, 1)?;
    kw_only(vm, "sort", kw, &["key", "reverse"])?;
    let mut items = vm.collect(&args[0])?;
    let key = kwarg(kw, "key").unwrap_or(Value::None);
    let rev = match kwarg(kw, "reverse") {
        Some(v) => vm.truthy(&v)?,
        None => false,
    };
    crate::methods::sort(vm, &mut items, &key, rev)?;
    Ok(alloc::list(items))
}

/// `sum(iterable, /, start=0)`: machine ints add exactly, floats with compensated
/// summation (CPython ≥ 3.12), everything else with `+`.
fn sum(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    if args.is_empty() {
        return Err(vm.type_error("sum() takes at least 1 positional argument (0 given)"));
    }
    if args.len() + kw.len() > 2 {
        return Err(vm.type_error(format!(
            "sum() takes at most 2 arguments ({} given)",
            args.len() + kw.len()
        )));
    }
    kw_only(vm, "sum", kw, &["start"])?;
    let start = crate::methods::param(vm, "sum", args, kw, 1, "start")?.unwrap_or(Value::Int(0));
    match start.data() {
        Some(Data::Str(_)) => {
            return Err(vm.type_error("sum() can't sum strings [use ''.join(seq) instead]"))
        }
        Some(Data::Bytes(_)) => {
            return Err(vm.type_error("sum() can't sum bytes [use b''.join(seq) instead]"))
        }
        Some(Data::ByteArray(_)) => {
            return Err(vm.type_error("sum() can't sum bytearray [use b''.join(seq) instead]"))
        }
        _ => {}
    }
    let it = vm.iter(&args[0])?;
    let mut acc = start;
    // Exact machine-int phase.
    if let Value::Int(mut total) = acc {
        loop {
            let Some(x) = vm.next(&it)? else {
                return Ok(Value::Int(total));
            };
            let xi = match x {
                Value::Int(i) => Some(i),
                Value::Bool(b) => Some(b as i64),
                _ => None,
            };
            match xi.and_then(|i| total.checked_add(i)) {
                Some(t) => total = t,
                None => {
                    acc = vm.binary_op(&Value::Int(total), &x, 0)?;
                    break;
                }
            }
        }
    }
    // Compensated float phase.
    if let Value::Float(mut f) = acc {
        let mut c = 0.0f64;
        loop {
            let Some(x) = vm.next(&it)? else {
                if c != 0.0 && c.is_finite() {
                    f += c;
                }
                return Ok(Value::Float(f));
            };
            let xf = match x {
                Value::Float(v) => Some(v),
                Value::Int(i) if i.unsigned_abs() < (1 << 53) => Some(i as f64),
                Value::Bool(b) => Some(b as i64 as f64),
                _ => None,
            };
            match xf {
                Some(v) => {
                    let t = f + v;
                    if t.is_finite() {
                        if f.abs() >= v.abs() {
                            c += (f - t) + v;
                        } else {
                            c += (v - t) + f;
                        }
                    }
                    f = t;
                }
                None => {
                    if c != 0.0 && c.is_finite() {
                        f += c;
                    }
                    acc = vm.binary_op(&Value::Float(f), &x, 0)?;
                    break;
                }
            }
        }
    }
    while let Some(x) = vm.next(&it)? {
        acc = vm.binary_op(&acc, &x, 0)?;
    }
    Ok(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_even() {
        assert_eq!(round_float(2.5, None), 2.0);
        assert_eq!(round_float(3.5, None), 4.0);
        assert_eq!(round_float(2.675, Some(2)), 2.67);
        assert_eq!(round_float(1.23456, Some(2)), 1.23);
        assert_eq!(round_float(1234.5, Some(-2)), 1200.0);
    }

    #[test]
    fn modular_inverse() {
        assert_eq!(
            mod_inverse(&BigInt::from(3), &BigInt::from(7)),
            Some(BigInt::from(5))
        );
        assert_eq!(mod_inverse(&BigInt::from(2), &BigInt::from(4)), None);
    }
}

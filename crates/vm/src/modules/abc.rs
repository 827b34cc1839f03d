//! `_abc`, the C half of `abc`: the registry and caches behind `ABCMeta.register`,
//! `isinstance` and `issubclass` on abstract base classes, and the computation of
//! `__abstractmethods__` that makes instantiating an abstract class fail. `ABCMeta` itself
//! and the ABCs of `collections.abc` are Python (`py/abc.py`, `py/_collections_abc.py`).

use super::{Method, ModBuilder};
use crate::alloc::{self, types};
use crate::methods::{nargs, Kw};
use crate::types::{is_subtype, tdata};
use crate::value::{Data, MethKind::*, Native, ObjRef, Value};
use crate::{PyResult, Vm};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

thread_local! {
    /// `abc_invalidation_counter`: bumped by every `register`, it invalidates negative caches.
    static TOKEN: Cell<u64> = const { Cell::new(0) };
}

/// The `_abc_impl` of an abstract base class.
#[derive(Default)]
pub struct AbcData {
    registry: Vec<ObjRef>,
    cache: Vec<ObjRef>,
    negative: Vec<ObjRef>,
    negative_version: u64,
    /// The classes that were created with this class as a base (`__subclasses__()`).
    subclasses: Vec<ObjRef>,
}

pub fn native_module(_vm: &mut Vm) -> Value {
    let b = ModBuilder::new("_abc");
    let entries: &[Method] = &[
        ("_abc_init", O, abc_init),
        ("_abc_register", Fast, abc_register),
        ("_abc_instancecheck", Fast, abc_instancecheck),
        ("_abc_subclasscheck", Fast, abc_subclasscheck),
        ("_reset_registry", O, reset_registry),
        ("_reset_caches", O, reset_caches),
        ("get_cache_token", NoArgs, get_cache_token),
        ("_type_slot", Fast, type_slot),
    ];
    b.funcs(entries);
    b.module()
}

fn class_arg(vm: &Vm, v: &Value, what: &str) -> PyResult<ObjRef> {
    match v.obj() {
        Some(o) if matches!(o.data, Data::Type(_)) => Ok(o.clone()),
        _ => Err(vm.type_error(what.to_string())),
    }
}

fn own(cls: &ObjRef, name: &str) -> Option<Value> {
    cls.dict.as_ref()?.borrow().get_str(name).cloned()
}

fn with_impl<R>(vm: &Vm, cls: &ObjRef, f: impl FnOnce(&mut AbcData) -> R) -> PyResult<R> {
    let imp = own(cls, "_abc_impl");
    if let Some(Data::Native(n)) = imp.as_ref().and_then(|v| v.data()) {
        if let Native::Abc(d) = &mut *n.borrow_mut() {
            return Ok(f(d));
        }
    }
    Err(vm.type_error("_abc_impl is set to a wrong type"))
}

fn contains(list: &[ObjRef], c: &ObjRef) -> bool {
    list.iter().any(|x| Rc::ptr_eq(x, c))
}

/// Whether `v` is marked abstract (`__isabstractmethod__`), looking through properties,
/// class methods and static methods as their `__isabstractmethod__` does.
fn is_abstract(vm: &mut Vm, v: &Value) -> PyResult<bool> {
    match v.data() {
        Some(Data::Property(p)) => {
            for f in [p.fget.clone(), p.fset.clone(), p.fdel.clone()] {
                if !matches!(f, Value::None) && is_abstract(vm, &f)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Some(Data::ClassMethod(f) | Data::StaticMethod(f)) => {
            let f = f.clone();
            is_abstract(vm, &f)
        }
        Some(Data::Function(_)) => {
            let flag = v
                .obj()
                .and_then(|o| o.dict.as_ref())
                .and_then(|d| d.borrow().get_str("__isabstractmethod__").cloned());
            match flag {
                Some(f) => vm.truthy(&f),
                None => Ok(false),
            }
        }
        Some(Data::Builtin(_) | Data::MethodDescr(_)) | None => Ok(false),
        _ => match vm.getattr_opt(v, "__isabstractmethod__")? {
            Some(f) => vm.truthy(&f),
            None => Ok(false),
        },
    }
}

/// `_abc_init(cls)`: computes `__abstractmethods__` and sets up the registry and caches.
fn abc_init(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let cls = class_arg(vm, &args[0], "_abc_init() argument must be a class")?;
    let mut names: Vec<Value> = Vec::new();
    let items = crate::types::dict_items(&cls);
    for (k, v) in items {
        if is_abstract(vm, &v)? {
            names.push(k);
        }
    }
    let bases = tdata(&cls).bases.borrow().clone();
    for base in &bases {
        let Some(inherited) = own(base, "__abstractmethods__") else {
            continue;
        };
        for name in vm.collect(&inherited)? {
            let Some(n) = name.as_str().map(str::to_string) else {
                continue;
            };
            if names.iter().any(|x| x.as_str() == Some(&n)) {
                continue;
            }
            let v = vm.getattr_opt(&args[0], &n)?;
            if let Some(v) = v {
                if is_abstract(vm, &v)? {
                    names.push(name.clone());
                }
            }
        }
    }
    let mut set = crate::set::Set::new();
    for n in names {
        let k = vm.key_of(&n)?;
        set.insert(k, n);
    }
    crate::methods::put(&cls, "__abstractmethods__", alloc::frozenset(set));
    crate::methods::put(
        &cls,
        "_abc_impl",
        alloc::obj(
            &types().object,
            Data::Native(RefCell::new(Native::Abc(Box::default()))),
        ),
    );
    crate::types::bump_version(&cls);
    for base in &bases {
        if own(base, "_abc_impl").is_some() {
            with_impl(vm, base, |d| d.subclasses.push(cls.clone()))?;
        }
    }
    Ok(Value::None)
}

/// The `TypeError` for instantiating a class whose `__abstractmethods__` is not empty
/// (`object.__new__`'s check).
pub fn check_abstract(vm: &mut Vm, cls: &ObjRef) -> PyResult<()> {
    let Some(set) = own(cls, "__abstractmethods__") else {
        return Ok(());
    };
    let mut names: Vec<String> = match set.data() {
        Some(Data::FrozenSet(s)) => s
            .values()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => vm
            .collect(&set)?
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
    };
    if names.is_empty() {
        return Ok(());
    }
    names.sort();
    let quoted: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    Err(vm.type_error(format!(
        "Can't instantiate abstract class {} without an implementation for abstract method{} {}",
        tdata(cls).name.borrow(),
        if names.len() == 1 { "" } else { "s" },
        quoted.join(", ")
    )))
}

fn issubclass(vm: &mut Vm, sub: &ObjRef, cls: &ObjRef) -> PyResult<bool> {
    let f = super::builtin(vm, "issubclass")?;
    let r = vm.call(&f, &[Value::Obj(sub.clone()), Value::Obj(cls.clone())], &[])?;
    vm.truthy(&r)
}

fn abc_register(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "_abc_register", args.len(), 2, 2)?;
    let cls = class_arg(vm, &args[0], "_abc_register() argument must be a class")?;
    let sub = class_arg(vm, &args[1], "Can only register classes")?;
    if issubclass(vm, &sub, &cls)? {
        return Ok(args[1].clone());
    }
    if issubclass(vm, &cls, &sub)? {
        return Err(vm.exc("RuntimeError", "Refusing to create an inheritance cycle"));
    }
    with_impl(vm, &cls, |d| d.registry.push(sub.clone()))?;
    TOKEN.with(|t| t.set(t.get() + 1));
    Ok(args[1].clone())
}

fn abc_instancecheck(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "_abc_instancecheck", args.len(), 2, 2)?;
    let cls = class_arg(
        vm,
        &args[0],
        "_abc_instancecheck() argument must be a class",
    )?;
    let sub = types().of(&args[1]);
    if with_impl(vm, &cls, |d| contains(&d.cache, &sub))? {
        return Ok(Value::Bool(true));
    }
    let token = TOKEN.with(|t| t.get());
    let negative = with_impl(vm, &cls, |d| {
        d.negative_version == token && contains(&d.negative, &sub)
    })?;
    if negative {
        return Ok(Value::Bool(false));
    }
    vm.call_method(&args[0], "__subclasscheck__", &[Value::Obj(sub)])
}

fn abc_subclasscheck(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "_abc_subclasscheck", args.len(), 2, 2)?;
    let cls = class_arg(
        vm,
        &args[0],
        "_abc_subclasscheck() argument must be a class",
    )?;
    let sub = class_arg(vm, &args[1], "issubclass() arg 1 must be a class")?;
    if with_impl(vm, &cls, |d| contains(&d.cache, &sub))? {
        return Ok(Value::Bool(true));
    }
    let token = TOKEN.with(|t| t.get());
    let negative = with_impl(vm, &cls, |d| {
        if d.negative_version < token {
            d.negative.clear();
            d.negative_version = token;
            false
        } else {
            contains(&d.negative, &sub)
        }
    })?;
    if negative {
        return Ok(Value::Bool(false));
    }
    let found = |vm: &mut Vm, yes: bool| -> PyResult {
        with_impl(vm, &cls, |d| {
            if yes {
                d.cache.push(sub.clone());
            } else {
                d.negative.push(sub.clone());
            }
        })?;
        Ok(Value::Bool(yes))
    };
    if let Some(hook) = vm.getattr_opt(&args[0], "__subclasshook__")? {
        let ok = vm.call(&hook, &[args[1].clone()], &[])?;
        match ok {
            Value::Bool(b) => return found(vm, b),
            Value::NotImplemented => {}
            _ => {
                return Err(vm.exc(
                    "AssertionError",
                    "__subclasshook__ must return either False, True, or NotImplemented",
                ))
            }
        }
    }
    if is_subtype(&sub, &cls) {
        return found(vm, true);
    }
    let (registry, subclasses) =
        with_impl(vm, &cls, |d| (d.registry.clone(), d.subclasses.clone()))?;
    for r in registry.iter().chain(subclasses.iter()) {
        if issubclass(vm, &sub, r)? {
            return found(vm, true);
        }
    }
    found(vm, false)
}

fn reset_registry(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let cls = class_arg(vm, &args[0], "_reset_registry() argument must be a class")?;
    with_impl(vm, &cls, |d| d.registry.clear())?;
    Ok(Value::None)
}

fn reset_caches(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let cls = class_arg(vm, &args[0], "_reset_caches() argument must be a class")?;
    with_impl(vm, &cls, |d| {
        d.cache.clear();
        d.negative.clear();
    })?;
    Ok(Value::None)
}

fn get_cache_token(_vm: &mut Vm, _args: &[Value], _kw: Kw) -> PyResult {
    Ok(Value::Int(TOKEN.with(|t| t.get()) as i64))
}

/// The special methods the C types define through their slots, by type name: what their
/// `__dict__` shows in CPython (the VM's builtin types implement them from the payload).
/// A name prefixed with `!` is set to `None` (`list.__hash__`).
fn c_slots(module: &str, name: &str) -> &'static [&'static str] {
    const ITER: &[&str] = &["__iter__", "__next__"];
    const CALL: &[&str] = &["__call__"];
    match (module, name) {
        ("builtins", "object" | "int" | "bool" | "float" | "complex" | "NoneType" | "slice") => {
            &["__hash__"]
        }
        ("builtins", "str" | "bytes" | "tuple") => &[
            "__iter__",
            "__len__",
            "__contains__",
            "__getitem__",
            "__hash__",
        ],
        ("builtins", "list") => &[
            "__iter__",
            "__len__",
            "__contains__",
            "__getitem__",
            "__setitem__",
            "__delitem__",
            "__reversed__",
            "!__hash__",
        ],
        ("builtins", "bytearray") => &[
            "__iter__",
            "__len__",
            "__contains__",
            "__getitem__",
            "__setitem__",
            "__delitem__",
            "!__hash__",
        ],
        ("builtins", "dict") => &[
            "__iter__",
            "__len__",
            "__contains__",
            "__getitem__",
            "__setitem__",
            "__delitem__",
            "__reversed__",
            "!__hash__",
        ],
        ("builtins", "set") => &["__iter__", "__len__", "__contains__", "!__hash__"],
        ("builtins", "frozenset") => &["__iter__", "__len__", "__contains__", "__hash__"],
        ("builtins", "range") => &[
            "__iter__",
            "__len__",
            "__contains__",
            "__getitem__",
            "__reversed__",
            "__hash__",
        ],
        ("builtins", "dict_keys" | "dict_items") => &[
            "__iter__",
            "__len__",
            "__contains__",
            "__reversed__",
            "!__hash__",
        ],
        ("builtins", "dict_values") => &["__iter__", "__len__", "__reversed__", "__hash__"],
        ("builtins", "mappingproxy") => &[
            "__iter__",
            "__len__",
            "__contains__",
            "__getitem__",
            "!__hash__",
        ],
        ("builtins", "generator") => {
            &["__iter__", "__next__", "send", "throw", "close", "__hash__"]
        }
        ("builtins", "coroutine") => &["__await__", "send", "throw", "close", "__hash__"],
        ("builtins", "async_generator") => &[
            "__aiter__",
            "__anext__",
            "asend",
            "athrow",
            "aclose",
            "__hash__",
        ],
        (
            "builtins",
            "function"
            | "builtin_function_or_method"
            | "method"
            | "method_descriptor"
            | "type"
            | "staticmethod",
        ) => &["__call__", "__hash__"],
        ("builtins", n)
            if n.ends_with("iterator")
                || matches!(n, "enumerate" | "zip" | "map" | "filter" | "reversed") =>
        {
            ITER
        }
        ("collections", "deque") => &[
            "__iter__",
            "__len__",
            "__contains__",
            "__getitem__",
            "__setitem__",
            "__delitem__",
            "__reversed__",
            "!__hash__",
        ],
        ("itertools", _) => ITER,
        ("functools", "partial" | "_lru_cache_wrapper" | "KeyWrapper") => CALL,
        ("operator", _) => CALL,
        _ => &[],
    }
}

/// `_type_slot(cls, name)`: 1 when class `cls` itself defines `name` (in its `__dict__` or,
/// for a C type, through a slot), 2 when it sets it to `None`, 0 otherwise. What
/// `collections.abc`'s `__subclasshook__`s read along an MRO.
fn type_slot(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "_type_slot", args.len(), 2, 2)?;
    let cls = class_arg(vm, &args[0], "_type_slot() argument must be a class")?;
    let Some(name) = args[1].as_str() else {
        return Ok(Value::Int(0));
    };
    if let Some(v) = own(&cls, name) {
        return Ok(Value::Int(if matches!(v, Value::None) { 2 } else { 1 }));
    }
    let td = tdata(&cls);
    if td.builtin {
        let module = td.module.borrow().clone();
        let tname = td.name.borrow().clone();
        for s in c_slots(&module, &tname) {
            if let Some(n) = s.strip_prefix('!') {
                if n == name {
                    return Ok(Value::Int(2));
                }
            } else if *s == name {
                return Ok(Value::Int(1));
            }
        }
    }
    Ok(Value::Int(0))
}

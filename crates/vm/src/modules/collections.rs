//! `_collections`, the C half of `collections`: `deque` (its methods `METH_O` /
//! `METH_NOARGS` / `METH_FASTCALL` as CPython declares them), `OrderedDict` and
//! `defaultdict` (dict subclasses in C), and `_count_elements` (what `Counter` counts with).
//! The Python half (`Counter`, `namedtuple`, `ChainMap`) is `py/collections.py`.

use super::{add_methods, lib_type, Method, ModBuilder};
use crate::alloc::{self, types};
use crate::dict::Dict;
use crate::methods::{kw_only, nargs, param, Kw};
use crate::value::{Data, Layout, MethKind::*, Native, Obj, ObjRef, Value};
use crate::{PyResult, Vm};
use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::{Rc, Weak};

thread_local! {
    /// `defaultdict.default_factory` of each defaultdict (a C struct field in CPython),
    /// by object address, with a weak reference that tells a reused address apart.
    static FACTORIES: RefCell<HashMap<usize, (Weak<Obj>, Value)>> = RefCell::new(HashMap::new());
}

pub fn deque_type() -> ObjRef {
    lib_type(
        "collections",
        "deque",
        &types().object,
        Layout::Other,
        false,
    )
}

pub fn ordered_dict_type() -> ObjRef {
    lib_type(
        "collections",
        "OrderedDict",
        &types().dict,
        Layout::Dict,
        true,
    )
}

pub fn defaultdict_type() -> ObjRef {
    lib_type(
        "collections",
        "defaultdict",
        &types().dict,
        Layout::Dict,
        false,
    )
}

pub fn native_module(_vm: &mut Vm) -> Value {
    let b = ModBuilder::new("_collections");
    let dq = deque_type();
    let methods: &[Method] = &[
        ("append", O, append),
        ("appendleft", O, appendleft),
        ("clear", NoArgs, clear),
        ("copy", NoArgs, copy),
        ("count", O, count),
        ("extend", O, extend),
        ("extendleft", O, extendleft),
        ("index", Fast, index),
        ("insert", Fast, insert),
        ("pop", NoArgs, pop),
        ("popleft", NoArgs, popleft),
        ("remove", O, remove),
        ("reverse", NoArgs, reverse),
        ("rotate", Fast, rotate),
        ("__reversed__", NoArgs, reversed),
        ("__len__", NoArgs, deque_len),
        ("__iadd__", O, iadd),
        ("__init__", FastKw, deque_init),
    ];
    add_methods(&dq, "deque", "collections", methods);
    super::add_getter(&dq, "maxlen", maxlen);
    crate::methods::put(&dq, "__hash__", Value::None);
    b.class(&dq);
    let od = ordered_dict_type();
    add_methods(
        &od,
        "OrderedDict",
        "collections",
        &[
            ("move_to_end", FastKw, move_to_end),
            ("popitem", FastKw, od_popitem),
            ("copy", NoArgs, od_copy),
            ("__repr__", NoArgs, od_repr),
            ("__eq__", O, od_eq),
            ("__reversed__", NoArgs, od_reversed),
        ],
    );
    b.class(&od);
    let dd = defaultdict_type();
    add_methods(
        &dd,
        "defaultdict",
        "collections",
        &[
            ("__missing__", O, missing),
            ("copy", NoArgs, dd_copy),
            ("__repr__", NoArgs, dd_repr),
        ],
    );
    crate::methods::put(
        &dd,
        "default_factory",
        alloc::obj(
            &types().property,
            Data::Property(crate::value::Property {
                fget: crate::methods::module_function(
                    "builtins",
                    "default_factory",
                    O,
                    get_factory,
                ),
                fset: crate::methods::module_function(
                    "builtins",
                    "default_factory",
                    Fast,
                    set_factory,
                ),
                fdel: Value::None,
                doc: Value::None,
            }),
        ),
    );
    b.class(&dd);
    b.func("_count_elements", Fast, count_elements);
    b.module()
}

/// `deque(...)`, `OrderedDict(...)`, `defaultdict(...)` for class `cls`.
pub fn construct(vm: &mut Vm, cls: &ObjRef, name: &str, args: &[Value], kwargs: Kw) -> PyResult {
    let py_init = crate::types::lookup(cls, "__init__")
        .is_some_and(|i| matches!(i.data(), Some(Data::Function(_))));
    match name {
        "deque" => {
            let v = super::native(cls, Native::Deque(VecDeque::new(), None));
            if !py_init {
                let mut a = vec![v.clone()];
                a.extend_from_slice(args);
                deque_init(vm, &a, kwargs)?;
            }
            Ok(v)
        }
        "OrderedDict" | "defaultdict" => {
            let v = dict_instance(cls, Dict::new());
            if name == "defaultdict" {
                let (factory, rest) = match args.first() {
                    Some(f) => (f.clone(), &args[1..]),
                    None => (Value::None, args),
                };
                if !matches!(factory, Value::None) && !crate::builtins::is_callable(vm, &factory) {
                    return Err(vm.type_error("first argument must be callable or None"));
                }
                set_factory_of(&v, factory);
                if !py_init {
                    if let Some(Data::Dict(d)) = v.data() {
                        crate::methods::fill_dict(vm, d, "defaultdict", rest, kwargs)?;
                    }
                }
            } else if !py_init {
                if let Some(Data::Dict(d)) = v.data() {
                    nargs(vm, "OrderedDict", args.len(), 0, 1)?;
                    crate::methods::fill_dict(vm, d, "OrderedDict", args, kwargs)?;
                }
            }
            Ok(v)
        }
        _ => Err(vm.type_error(format!("cannot create 'collections.{name}' instances"))),
    }
}

fn with_deque<R>(
    vm: &Vm,
    v: &Value,
    name: &str,
    f: impl FnOnce(&mut VecDeque<Value>, Option<usize>) -> R,
) -> PyResult<R> {
    if let Some(Data::Native(n)) = v.data() {
        if let Native::Deque(d, max) = &mut *n.borrow_mut() {
            return Ok(f(d, *max));
        }
    }
    Err(crate::methods::descr_self_error(
        vm,
        std::slice::from_ref(v),
        "collections.deque",
        name,
    ))
}

fn deque_init(vm: &mut Vm, args: &[Value], kwargs: Kw) -> PyResult {
    let rest = &args[1..];
    kw_only(vm, "deque", kwargs, &["iterable", "maxlen"])?;
    nargs(vm, "deque", rest.len(), 0, 2)?;
    let iterable = param(vm, "deque", rest, kwargs, 0, "iterable")?;
    let maxlen = match param(vm, "deque", rest, kwargs, 1, "maxlen")? {
        None | Some(Value::None) => None,
        Some(m) => {
            let m = crate::methods::index(vm, &m)?;
            if m < 0 {
                return Err(vm.value_error("maxlen must be non-negative"));
            }
            Some(m as usize)
        }
    };
    let items = match iterable {
        Some(it) => vm.collect(&it)?,
        None => Vec::new(),
    };
    with_deque(vm, &args[0], "__init__", |d, _| d.clear())?;
    if let Some(Data::Native(n)) = args[0].data() {
        if let Native::Deque(d, max) = &mut *n.borrow_mut() {
            *max = maxlen;
            for v in items {
                push_back(d, maxlen, v);
            }
        }
    }
    Ok(Value::None)
}

fn push_back(d: &mut VecDeque<Value>, max: Option<usize>, v: Value) {
    if max == Some(0) {
        return;
    }
    if max.is_some_and(|m| d.len() >= m) {
        d.pop_front();
    }
    d.push_back(v);
}

fn push_front(d: &mut VecDeque<Value>, max: Option<usize>, v: Value) {
    if max == Some(0) {
        return;
    }
    if max.is_some_and(|m| d.len() >= m) {
        d.pop_back();
    }
    d.push_front(v);
}

fn append(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    vm.charge(8)?;
    let v = args[1].clone();
    with_deque(vm, &args[0], "append", |d, m| push_back(d, m, v))?;
    Ok(Value::None)
}

fn appendleft(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    vm.charge(8)?;
    let v = args[1].clone();
    with_deque(vm, &args[0], "appendleft", |d, m| push_front(d, m, v))?;
    Ok(Value::None)
}

fn extend(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let items = vm.collect(&args[1])?;
    with_deque(vm, &args[0], "extend", |d, m| {
        for v in items {
            push_back(d, m, v);
        }
    })?;
    Ok(Value::None)
}

fn iadd(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    extend(vm, args, kw)?;
    Ok(args[0].clone())
}

fn extendleft(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let items = vm.collect(&args[1])?;
    with_deque(vm, &args[0], "extendleft", |d, m| {
        for v in items {
            push_front(d, m, v);
        }
    })?;
    Ok(Value::None)
}

fn clear(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    with_deque(vm, &args[0], "clear", |d, _| d.clear())?;
    Ok(Value::None)
}

fn copy(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (items, max) = with_deque(vm, &args[0], "copy", |d, m| (d.clone(), m))?;
    Ok(super::native(
        &types().of(&args[0]),
        Native::Deque(items, max),
    ))
}

fn pop(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    with_deque(vm, &args[0], "pop", |d, _| d.pop_back())?
        .ok_or_else(|| vm.index_error("pop from an empty deque"))
}

fn popleft(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    with_deque(vm, &args[0], "popleft", |d, _| d.pop_front())?
        .ok_or_else(|| vm.index_error("pop from an empty deque"))
}

fn snapshot(vm: &Vm, v: &Value, name: &str) -> PyResult<Vec<Value>> {
    with_deque(vm, v, name, |d, _| d.iter().cloned().collect())
}

fn count(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let items = snapshot(vm, &args[0], "count")?;
    let mut n = 0;
    for x in &items {
        if x.is(&args[1]) || vm.eq(x, &args[1])? {
            n += 1;
        }
    }
    Ok(Value::Int(n))
}

fn index(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "index", args.len() - 1, 1, 3)?;
    let items = snapshot(vm, &args[0], "index")?;
    let (start, end) = crate::methods::span(vm, args.get(2), args.get(3), items.len())?;
    for (i, x) in items.iter().enumerate().take(end).skip(start) {
        if x.is(&args[1]) || vm.eq(x, &args[1])? {
            return Ok(Value::Int(i as i64));
        }
    }
    Err(vm.value_error("deque.index(x): x not in deque"))
}

fn insert(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "insert", args.len() - 1, 2, 2)?;
    let i = crate::methods::index(vm, &args[1])?;
    let v = args[2].clone();
    let full = with_deque(vm, &args[0], "insert", |d, m| {
        m.is_some_and(|m| d.len() >= m)
    })?;
    if full {
        return Err(vm.index_error("deque already at its maximum size"));
    }
    with_deque(vm, &args[0], "insert", |d, _| {
        let n = d.len() as i64;
        let at = if i < 0 { (i + n).max(0) } else { i.min(n) };
        d.insert(at as usize, v);
    })?;
    Ok(Value::None)
}

fn remove(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let items = snapshot(vm, &args[0], "remove")?;
    for (i, x) in items.iter().enumerate() {
        if x.is(&args[1]) || vm.eq(x, &args[1])? {
            with_deque(vm, &args[0], "remove", |d, _| d.remove(i))?;
            return Ok(Value::None);
        }
    }
    Err(vm.value_error("deque.remove(x): x not in deque"))
}

fn reverse(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    with_deque(vm, &args[0], "reverse", |d, _| {
        let v: Vec<Value> = d.drain(..).rev().collect();
        d.extend(v);
    })?;
    Ok(Value::None)
}

fn rotate(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "rotate", args.len() - 1, 0, 1)?;
    let n = match args.get(1) {
        Some(v) => crate::methods::index(vm, v)?,
        None => 1,
    };
    with_deque(vm, &args[0], "rotate", |d, _| {
        let len = d.len() as i64;
        if len > 0 {
            let k = n.rem_euclid(len) as usize;
            d.rotate_right(k);
        }
    })?;
    Ok(Value::None)
}

fn reversed(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let mut items = snapshot(vm, &args[0], "__reversed__")?;
    items.reverse();
    Ok(alloc::iter(
        "generic_iterator",
        crate::value::IterState::Items(items, 0),
    ))
}

fn deque_len(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let n = with_deque(vm, &args[0], "__len__", |d, _| d.len())?;
    Ok(Value::Int(n as i64))
}

fn maxlen(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let m = with_deque(vm, &args[0], "maxlen", |_, m| m)?;
    Ok(m.map_or(Value::None, |m| Value::Int(m as i64)))
}

fn dict_of<'a>(vm: &Vm, v: &'a Value, owner: &str, name: &str) -> PyResult<&'a RefCell<Dict>> {
    let own = if owner.ends_with("OrderedDict") {
        ordered_dict_type()
    } else {
        defaultdict_type()
    };
    match v.data() {
        Some(Data::Dict(d)) if crate::types::is_subtype(&types().of(v), &own) => Ok(d),
        _ => Err(crate::methods::descr_self_error(
            vm,
            std::slice::from_ref(v),
            owner,
            name,
        )),
    }
}

fn move_to_end(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    kw_only(vm, "move_to_end", kw, &["key", "last"])?;
    let rest = &args[1..];
    let Some(key) = param(vm, "move_to_end", rest, kw, 0, "key")? else {
        return Err(vm.type_error("move_to_end() missing required argument 'key' (pos 1)"));
    };
    let last = match param(vm, "move_to_end", rest, kw, 1, "last")? {
        Some(v) => vm.truthy(&v)?,
        None => true,
    };
    let k = vm.key_of(&key)?;
    let d = dict_of(vm, &args[0], "collections.OrderedDict", "move_to_end")?;
    if !d.borrow_mut().move_to(&k, last) {
        return Err(vm.key_error(key));
    }
    Ok(Value::None)
}

fn od_popitem(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    kw_only(vm, "popitem", kw, &["last"])?;
    let last = match param(vm, "popitem", &args[1..], kw, 0, "last")? {
        Some(v) => vm.truthy(&v)?,
        None => true,
    };
    let d = dict_of(vm, &args[0], "collections.OrderedDict", "popitem")?;
    let item = if last {
        d.borrow_mut().pop_last()
    } else {
        d.borrow_mut().pop_first()
    };
    match item {
        Some((k, v)) => Ok(alloc::tuple(vec![k, v])),
        None => Err(vm.exc("KeyError", "dictionary is empty")),
    }
}

fn od_copy(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let d = dict_of(vm, &args[0], "collections.OrderedDict", "copy")?
        .borrow()
        .clone();
    Ok(dict_instance(&types().of(&args[0]), d))
}

/// An `OrderedDict` or `defaultdict` of class `cls` holding `d`: `OrderedDict`s have an
/// instance `__dict__` in CPython (which decides how method loads specialize),
/// `defaultdict`s do not.
fn dict_instance(cls: &ObjRef, d: Dict) -> Value {
    let data = Data::Dict(RefCell::new(d));
    if crate::types::is_subtype(cls, &ordered_dict_type()) {
        alloc::obj_with_dict(cls, data)
    } else {
        crate::methods::instance(cls, data)
    }
}

/// `Name({...})`, or `Name()` when empty (OrderedDict's repr since 3.12).
fn od_repr(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let d = dict_of(vm, &args[0], "collections.OrderedDict", "__repr__")?
        .borrow()
        .clone();
    let name = super::short_name(&args[0]);
    if d.is_empty() {
        return Ok(alloc::string(format!("{name}()")));
    }
    let body = vm.repr(&alloc::dict(d))?;
    Ok(alloc::string(format!("{name}({body})")))
}

fn od_eq(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let a = dict_of(vm, &args[0], "collections.OrderedDict", "__eq__")?
        .borrow()
        .clone();
    let other = &args[1];
    let Some(Data::Dict(b)) = other.data() else {
        return Ok(Value::NotImplemented);
    };
    let b = b.borrow().clone();
    let ordered = crate::types::is_subtype(&types().of(other), &ordered_dict_type());
    if ordered {
        if a.len() != b.len() {
            return Ok(Value::Bool(false));
        }
        for ((ka, va), (kb, vb)) in a.iter().zip(b.iter()) {
            if !vm.eq(ka, kb)? || !vm.eq(va, vb)? {
                return Ok(Value::Bool(false));
            }
        }
        return Ok(Value::Bool(true));
    }
    let r = vm.eq(&alloc::dict(a), &alloc::dict(b))?;
    Ok(Value::Bool(r))
}

fn od_reversed(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let d = dict_of(vm, &args[0], "collections.OrderedDict", "__reversed__")?;
    let mut keys: Vec<Value> = d.borrow().iter().map(|(k, _)| k.clone()).collect();
    keys.reverse();
    Ok(alloc::iter(
        "generic_iterator",
        crate::value::IterState::Items(keys, 0),
    ))
}

fn set_factory_of(v: &Value, f: Value) {
    if let Value::Obj(o) = v {
        FACTORIES.with(|t| {
            let mut t = t.borrow_mut();
            if t.len() > 64 {
                t.retain(|_, (w, _)| w.strong_count() > 0);
            }
            t.insert(Rc::as_ptr(o) as usize, (Rc::downgrade(o), f));
        });
    }
}

/// The `default_factory` of defaultdict `v`.
pub fn factory_of(v: &Value) -> Value {
    let Value::Obj(o) = v else {
        return Value::None;
    };
    FACTORIES.with(|t| {
        t.borrow()
            .get(&(Rc::as_ptr(o) as usize))
            .filter(|(w, _)| w.upgrade().is_some_and(|x| Rc::ptr_eq(&x, o)))
            .map(|(_, f)| f.clone())
            .unwrap_or(Value::None)
    })
}

fn get_factory(_vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    Ok(factory_of(&args[0]))
}

fn set_factory(_vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let Some(dd) = args.first() else {
        return Ok(Value::None);
    };
    set_factory_of(dd, args.get(1).cloned().unwrap_or(Value::None));
    Ok(Value::None)
}

fn missing(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let f = factory_of(&args[0]);
    if matches!(f, Value::None) {
        return Err(vm.key_error(args[1].clone()));
    }
    let v = vm.call(&f, &[], &[])?;
    vm.setitem(&args[0], &args[1], v.clone())?;
    Ok(v)
}

fn dd_copy(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let d = dict_of(vm, &args[0], "collections.defaultdict", "copy")?
        .borrow()
        .clone();
    let v = dict_instance(&types().of(&args[0]), d);
    set_factory_of(&v, factory_of(&args[0]));
    Ok(v)
}

fn dd_repr(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let d = dict_of(vm, &args[0], "collections.defaultdict", "__repr__")?
        .borrow()
        .clone();
    let f = factory_of(&args[0]);
    let fr = vm.repr(&f)?;
    let body = vm.repr(&alloc::dict(d))?;
    let name = super::short_name(&args[0]);
    Ok(alloc::string(format!("{name}({fr}, {body})")))
}

/// `_count_elements(mapping, iterable)`: `mapping[x] = mapping.get(x, 0) + 1` for each item.
fn count_elements(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "_count_elements", args.len(), 2, 2)?;
    let (m, src) = (&args[0], &args[1]);
    let it = vm.iter(src)?;
    let plain_get = crate::types::lookup(&types().of(m), "get")
        .is_some_and(|g| matches!(g.data(), Some(Data::MethodDescr(_))));
    while let Some(x) = vm.next(&it)? {
        if plain_get {
            if let Some(Data::Dict(d)) = m.data() {
                let k = vm.key_of(&x)?;
                let old = d.borrow().get(&k).cloned().unwrap_or(Value::Int(0));
                let new = vm.binary_op(&old, &Value::Int(1), 0)?;
                vm.setitem(m, &x, new)?;
                continue;
            }
        }
        let old = vm.call_method(m, "get", &[x.clone(), Value::Int(0)])?;
        let new = vm.binary_op(&old, &Value::Int(1), 0)?;
        vm.setitem(m, &x, new)?;
    }
    Ok(Value::None)
}

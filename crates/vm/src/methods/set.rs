//! `set` and `frozenset` methods.

use super::{arg, descr_self_error, Entry, Kw};
use crate::alloc::{self, types};
use crate::dict::Key;
use crate::set::Set;
use crate::value::{Data, MethKind::*, Value};
use crate::{PyResult, Vm};

pub(super) fn install(_vm: &mut Vm) {
    let entries: &[Entry] = &[
        ("__init__", VarArgs, init),
        ("add", O, add),
        ("clear", NoArgs, clear),
        ("copy", NoArgs, copy),
        ("discard", O, discard),
        ("difference", Fast, difference),
        ("difference_update", Fast, difference_update),
        ("intersection", Fast, intersection),
        ("intersection_update", Fast, intersection_update),
        ("isdisjoint", O, isdisjoint),
        ("issubset", O, issubset),
        ("issuperset", O, issuperset),
        ("pop", NoArgs, pop),
        ("remove", O, remove),
        ("symmetric_difference", O, symmetric_difference),
        (
            "symmetric_difference_update",
            O,
            symmetric_difference_update,
        ),
        ("union", Fast, union),
        ("update", Fast, update),
    ];
    super::add_all(&types().set, "set", entries);
    let entries: &[Entry] = &[
        ("copy", NoArgs, copy),
        ("difference", Fast, difference),
        ("intersection", Fast, intersection),
        ("isdisjoint", O, isdisjoint),
        ("issubset", O, issubset),
        ("issuperset", O, issuperset),
        ("symmetric_difference", O, symmetric_difference),
        ("union", Fast, union),
    ];
    super::add_all(&types().frozenset, "frozenset", entries);
}

/// The key of a set element (`cannot use 'list' as a set element (…)`).
pub fn elem_key(vm: &mut Vm, v: &Value) -> PyResult<Key> {
    if let Some(Data::List(_) | Data::Dict(_) | Data::Set(_) | Data::ByteArray(_)) = v.data() {
        let t = vm.type_name(v);
        return Err(vm.type_error(format!(
            "cannot use '{t}' as a set element (unhashable type: '{t}')"
        )));
    }
    vm.key_of(v)
}

/// A set of the items of iterable `v` (sets are copied without rehashing).
pub fn set_of(vm: &mut Vm, v: &Value) -> PyResult<Set> {
    match v.data() {
        Some(Data::Set(s)) => return Ok(s.borrow().clone()),
        Some(Data::FrozenSet(s)) => return Ok(s.clone()),
        _ => {}
    }
    let mut s = Set::new();
    for it in vm.collect(v)? {
        let k = elem_key(vm, &it)?;
        s.insert(k, it);
    }
    Ok(s)
}

/// `self`'s items, and whether `self` is a frozenset.
fn me(vm: &Vm, args: &[Value], name: &str) -> PyResult<(Set, bool)> {
    match args.first().and_then(|v| v.data()) {
        Some(Data::Set(s)) => Ok((s.borrow().clone(), false)),
        Some(Data::FrozenSet(s)) => Ok((s.clone(), true)),
        _ => Err(descr_self_error(vm, args, "set", name)),
    }
}

/// Replaces the items of the mutable set `args[0]`.
fn store(args: &[Value], s: Set) {
    if let Some(Data::Set(cell)) = args.first().and_then(|v| v.data()) {
        *cell.borrow_mut() = s;
    }
}

fn mutable<'a>(vm: &Vm, args: &'a [Value], name: &str) -> PyResult<&'a std::cell::RefCell<Set>> {
    match args.first().and_then(|v| v.data()) {
        Some(Data::Set(s)) => Ok(s),
        _ => Err(descr_self_error(vm, args, "set", name)),
    }
}

fn make(s: Set, frozen: bool) -> Value {
    if frozen {
        alloc::frozenset(s)
    } else {
        alloc::set(s)
    }
}

fn init(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    let cell = mutable(vm, args, "__init__")?;
    if !kw.is_empty() {
        return Err(vm.type_error("set() takes no keyword arguments"));
    }
    super::nargs(vm, "set", args.len() - 1, 0, 1)?;
    let s = match args.get(1) {
        Some(src) => set_of(vm, src)?,
        None => Set::new(),
    };
    *cell.borrow_mut() = s;
    Ok(Value::None)
}

fn add(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let cell = mutable(vm, args, "add")?;
    let v = arg(args, 1);
    let k = elem_key(vm, &v)?;
    cell.borrow_mut().insert(k, v);
    Ok(Value::None)
}

fn clear(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    mutable(vm, args, "clear")?.borrow_mut().clear();
    Ok(Value::None)
}

fn copy(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (s, frozen) = me(vm, args, "copy")?;
    if frozen && types().is_exact(&args[0], &types().frozenset) {
        return Ok(args[0].clone());
    }
    Ok(make(s, frozen))
}

fn discard(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let cell = mutable(vm, args, "discard")?;
    let k = elem_key(vm, &arg(args, 1))?;
    cell.borrow_mut().remove(&k);
    Ok(Value::None)
}

fn remove(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let cell = mutable(vm, args, "remove")?;
    let v = arg(args, 1);
    let k = elem_key(vm, &v)?;
    if !cell.borrow_mut().remove(&k) {
        return Err(vm.key_error(v));
    }
    Ok(Value::None)
}

fn pop(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let cell = mutable(vm, args, "pop")?;
    let r = cell.borrow_mut().pop();
    r.ok_or_else(|| vm.key_error(alloc::s("pop from an empty set")))
}

/// The items of `a` kept (or dropped) by membership in `b`.
fn filter(a: &Set, b: &Set, keep_common: bool) -> Set {
    let mut out = Set::new();
    for (k, v) in a.keys().zip(a.values()) {
        if b.contains(k) == keep_common {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

fn union_of(a: &Set, b: &Set) -> Set {
    let mut out = a.clone();
    for (k, v) in b.keys().zip(b.values()) {
        out.insert(k.clone(), v.clone());
    }
    out
}

/// `a ^ b` as CPython builds it: a copy of `b`, then `a`'s items toggled in.
fn sym(a: &Set, b: &Set) -> Set {
    let mut out = b.clone();
    for (k, v) in a.keys().zip(a.values()) {
        if !out.remove(k) {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// `a & b`: CPython walks the smaller set (`b` on a tie).
fn inter(a: &Set, b: &Set) -> Set {
    if b.len() > a.len() {
        filter(a, b, true)
    } else {
        filter(b, a, true)
    }
}

fn fold(
    vm: &mut Vm,
    args: &[Value],
    name: &str,
    f: fn(&Set, &Set) -> Set,
) -> PyResult<(Set, bool)> {
    let (mut s, frozen) = me(vm, args, name)?;
    for other in &args[1..] {
        let o = set_of(vm, other)?;
        s = f(&s, &o);
    }
    Ok((s, frozen))
}

fn difference(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (s, f) = fold(vm, args, "difference", |a, b| filter(a, b, false))?;
    Ok(make(s, f))
}

fn intersection(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (s, f) = fold(vm, args, "intersection", inter)?;
    Ok(make(s, f))
}

fn union(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (s, f) = fold(vm, args, "union", union_of)?;
    Ok(make(s, f))
}

fn symmetric_difference(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (s, f) = fold(vm, args, "symmetric_difference", sym)?;
    Ok(make(s, f))
}

fn difference_update(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    mutable(vm, args, "difference_update")?;
    let (s, _) = fold(vm, args, "difference_update", |a, b| filter(a, b, false))?;
    store(args, s);
    Ok(Value::None)
}

fn intersection_update(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    mutable(vm, args, "intersection_update")?;
    let (s, _) = fold(vm, args, "intersection_update", inter)?;
    store(args, s);
    Ok(Value::None)
}

fn update(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    mutable(vm, args, "update")?;
    let (s, _) = fold(vm, args, "update", union_of)?;
    store(args, s);
    Ok(Value::None)
}

fn symmetric_difference_update(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    mutable(vm, args, "symmetric_difference_update")?;
    let (s, _) = fold(vm, args, "symmetric_difference_update", sym)?;
    store(args, s);
    Ok(Value::None)
}

fn relation(vm: &mut Vm, args: &[Value], name: &str) -> PyResult<(Set, Set)> {
    let (s, _) = me(vm, args, name)?;
    let o = set_of(vm, &arg(args, 1))?;
    Ok((s, o))
}

fn isdisjoint(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (a, b) = relation(vm, args, "isdisjoint")?;
    let r = !a.keys().any(|k| b.contains(k));
    Ok(Value::Bool(r))
}

fn issubset(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (a, b) = relation(vm, args, "issubset")?;
    let r = a.keys().all(|k| b.contains(k));
    Ok(Value::Bool(r))
}

fn issuperset(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (a, b) = relation(vm, args, "issuperset")?;
    let r = b.keys().all(|k| a.contains(k));
    Ok(Value::Bool(r))
}

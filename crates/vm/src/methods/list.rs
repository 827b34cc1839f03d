//! `list` and `tuple` methods.

use super::{arg, descr_self_error, eq, index, kw_only, kwarg, nargs, span, Entry, Kw};
use crate::alloc::{self, types};
use crate::value::{Data, MethKind::*, Value};
use crate::{PyResult, Vm};
use std::cell::RefCell;

pub(super) fn install(_vm: &mut Vm) {
    let entries: &[Entry] = &[
        ("__init__", VarArgs, init),
        ("__reversed__", NoArgs, reversed),
        ("clear", NoArgs, clear),
        ("copy", NoArgs, copy),
        ("append", O, append),
        ("insert", Fast, insert),
        ("extend", O, extend),
        ("pop", Fast, pop),
        ("remove", O, remove),
        ("index", Fast, index_m),
        ("count", O, count),
        ("reverse", NoArgs, reverse),
        ("sort", FastKw, sort),
    ];
    super::add_all(&types().list, "list", entries);
    let entries: &[Entry] = &[("index", Fast, tuple_index), ("count", O, tuple_count)];
    super::add_all(&types().tuple, "tuple", entries);
}

fn me<'a>(vm: &Vm, args: &'a [Value], name: &str) -> PyResult<&'a RefCell<Vec<Value>>> {
    match args.first().and_then(|v| v.data()) {
        Some(Data::List(l)) => Ok(l),
        _ => Err(descr_self_error(vm, args, "list", name)),
    }
}

/// `list.__init__(self, iterable=())`: clears the list, then extends it.
fn init(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    let l = me(vm, args, "__init__")?;
    if let Some((k, _)) = kw.first() {
        return Err(vm.type_error(format!("list() takes no keyword arguments (got '{k}')")));
    }
    if args.len() > 2 {
        return Err(vm.type_error(format!(
            "list expected at most 1 argument, got {}",
            args.len() - 1
        )));
    }
    l.borrow_mut().clear();
    if let Some(src) = args.get(1) {
        let items = vm.collect(src)?;
        l.borrow_mut().extend(items);
    }
    Ok(Value::None)
}

fn reversed(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let l = me(vm, args, "__reversed__")?;
    let n = l.borrow().len();
    Ok(alloc::iter(
        "list_reverseiterator",
        crate::value::IterState::Reversed(arg(args, 0), n),
    ))
}

fn clear(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    me(vm, args, "clear")?.borrow_mut().clear();
    Ok(Value::None)
}

fn copy(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let items = me(vm, args, "copy")?.borrow().clone();
    Ok(alloc::list(items))
}

fn append(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    me(vm, args, "append")?.borrow_mut().push(arg(args, 1));
    vm.charge(8)?;
    Ok(Value::None)
}

fn insert(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let l = me(vm, args, "insert")?;
    nargs(vm, "insert", args.len().saturating_sub(1), 2, 2)?;
    let i = index(vm, &args[1])?;
    let mut l = l.borrow_mut();
    let n = l.len() as i64;
    let at = if i < 0 { (i + n).max(0) } else { i.min(n) };
    l.insert(at as usize, args[2].clone());
    Ok(Value::None)
}

fn extend(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let l = me(vm, args, "extend")?;
    let items = vm.collect(&arg(args, 1))?;
    vm.charge(8 * items.len() as u64)?;
    l.borrow_mut().extend(items);
    Ok(Value::None)
}

fn pop(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let l = me(vm, args, "pop")?;
    nargs(vm, "pop", args.len().saturating_sub(1), 0, 1)?;
    let i = match args.get(1) {
        Some(v) => index(vm, v)?,
        None => -1,
    };
    let mut l = l.borrow_mut();
    if l.is_empty() {
        return Err(vm.index_error("pop from empty list"));
    }
    let n = l.len() as i64;
    let at = if i < 0 { i + n } else { i };
    if at < 0 || at >= n {
        return Err(vm.index_error("pop index out of range"));
    }
    Ok(l.remove(at as usize))
}

fn remove(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let l = me(vm, args, "remove")?;
    let x = arg(args, 1);
    let items = l.borrow().clone();
    for (i, it) in items.iter().enumerate() {
        if eq(vm, it, &x)? {
            let mut l = l.borrow_mut();
            if i < l.len() {
                l.remove(i);
            }
            return Ok(Value::None);
        }
    }
    Err(vm.value_error("list.remove(x): x not in list"))
}

fn find(vm: &mut Vm, items: &[Value], args: &[Value], name: &str) -> PyResult<Option<usize>> {
    nargs(vm, "index", args.len().saturating_sub(1), 1, 3)?;
    let (a, b) = span(vm, args.get(2), args.get(3), items.len())?;
    let x = arg(args, 1);
    let _ = name;
    for (i, it) in items.iter().enumerate().take(b).skip(a) {
        if eq(vm, it, &x)? {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

fn index_m(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let items = me(vm, args, "index")?.borrow().clone();
    match find(vm, &items, args, "list")? {
        Some(i) => Ok(Value::Int(i as i64)),
        None => Err(vm.value_error("list.index(x): x not in list")),
    }
}

fn count_in(vm: &mut Vm, items: &[Value], x: &Value) -> PyResult {
    let mut n = 0;
    for it in items {
        if eq(vm, it, x)? {
            n += 1;
        }
    }
    Ok(Value::Int(n))
}

fn count(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let items = me(vm, args, "count")?.borrow().clone();
    count_in(vm, &items, &arg(args, 1))
}

fn reverse(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    me(vm, args, "reverse")?.borrow_mut().reverse();
    Ok(Value::None)
}

/// `list.sort(*, key=None, reverse=False)`: sorts a copy, then stores it back (a list
/// changed during the sort is an error in CPython).
fn sort(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    let l = me(vm, args, "sort")?;
    if args.len() > 1 {
        return Err(vm.type_error("sort() takes no positional arguments"));
    }
    kw_only(vm, "sort", kw, &["key", "reverse"])?;
    let key = kwarg(kw, "key").unwrap_or(Value::None);
    let rev = match kwarg(kw, "reverse") {
        Some(v) => vm.truthy(&v)?,
        None => false,
    };
    let mut items = std::mem::take(&mut *l.borrow_mut());
    let r = super::sort(vm, &mut items, &key, rev);
    let changed = !l.borrow().is_empty();
    *l.borrow_mut() = items;
    r?;
    if changed {
        return Err(vm.value_error("list modified during sort"));
    }
    Ok(Value::None)
}

fn tuple_items(vm: &Vm, args: &[Value], name: &str) -> PyResult<Vec<Value>> {
    match args.first().and_then(|v| v.data()) {
        Some(Data::Tuple(t)) => Ok(t.clone()),
        _ => Err(descr_self_error(vm, args, "tuple", name)),
    }
}

fn tuple_index(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let items = tuple_items(vm, args, "index")?;
    match find(vm, &items, args, "tuple")? {
        Some(i) => Ok(Value::Int(i as i64)),
        None => Err(vm.value_error("tuple.index(x): x not in tuple")),
    }
}

fn tuple_count(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let items = tuple_items(vm, args, "count")?;
    count_in(vm, &items, &arg(args, 1))
}

//! `dict` methods.

use super::{arg, descr_self_error, nargs, Entry, Kw};
use crate::alloc::{self, types};
use crate::dict::Dict;
use crate::ops::dict_view;
use crate::value::{Data, DictView, MethKind::*, ObjRef, Value};
use crate::{PyResult, Vm};
use std::cell::RefCell;

pub(super) fn install(_vm: &mut Vm) {
    let entries: &[Entry] = &[
        ("__init__", VarArgs, init),
        ("get", Fast, get),
        ("setdefault", Fast, setdefault),
        ("pop", Fast, pop),
        ("popitem", NoArgs, popitem),
        ("keys", NoArgs, keys),
        ("items", NoArgs, items),
        ("values", NoArgs, values),
        ("update", VarArgs, update),
        ("clear", NoArgs, clear),
        ("copy", NoArgs, copy),
    ];
    super::add_all(&types().dict, "dict", entries);
    super::add_classmethod(&types().dict, "fromkeys", Fast, fromkeys);
}

/// The dict payload of `args[0]` and the object itself.
pub(super) fn me<'a>(
    vm: &Vm,
    args: &'a [Value],
    name: &str,
) -> PyResult<(&'a RefCell<Dict>, &'a ObjRef)> {
    match args.first() {
        Some(Value::Obj(o)) => match &o.data {
            Data::Dict(d) => Ok((d, o)),
            _ => Err(descr_self_error(vm, args, "dict", name)),
        },
        _ => Err(descr_self_error(vm, args, "dict", name)),
    }
}

/// `dict.update(other)`: a dict, a mapping (anything with `keys`), or pairs.
pub fn update_from(vm: &mut Vm, d: &RefCell<Dict>, src: &Value) -> PyResult<()> {
    if let Some(Data::Dict(s)) = src.data() {
        if crate::alloc::types().is_exact(src, &types().dict)
            || vm.lookup_special(src, "keys").is_none()
        {
            let pairs: Vec<(Value, Value)> = s
                .borrow()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            for (k, v) in pairs {
                let key = vm.key_of(&k)?;
                d.borrow_mut().insert(key, k, v);
            }
            return Ok(());
        }
    }
    if vm.lookup_special(src, "keys").is_some() {
        let keys = vm.call_method(src, "keys", &[])?;
        for k in vm.collect(&keys)? {
            let v = vm.getitem(src, &k)?;
            let key = vm.key_of(&k)?;
            d.borrow_mut().insert(key, k, v);
        }
        return Ok(());
    }
    let items = vm.collect(src)?;
    for (i, it) in items.iter().enumerate() {
        let pair = match it.data() {
            Some(Data::Tuple(t)) => t.clone(),
            Some(Data::List(l)) => l.borrow().clone(),
            _ => match vm.collect(it) {
                Ok(p) => p,
                Err(_) => return Err(vm.type_error("object is not iterable")),
            },
        };
        if pair.len() != 2 {
            return Err(vm.value_error(format!(
                "dictionary update sequence element #{i} has length {}; 2 is required",
                pair.len()
            )));
        }
        let key = vm.key_of(&pair[0])?;
        d.borrow_mut().insert(key, pair[0].clone(), pair[1].clone());
    }
    Ok(())
}

/// Fills `d` from `dict(*args, **kw)`'s arguments.
pub fn fill(vm: &mut Vm, d: &RefCell<Dict>, name: &str, args: &[Value], kw: Kw) -> PyResult<()> {
    nargs(vm, name, args.len(), 0, 1)?;
    if let Some(src) = args.first() {
        update_from(vm, d, src)?;
    }
    for (k, v) in kw {
        d.borrow_mut().set_str(k, v.clone());
    }
    Ok(())
}

fn init(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    let (d, _) = me(vm, args, "__init__")?;
    fill(vm, d, "dict", &args[1..], kw)?;
    Ok(Value::None)
}

fn get(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (d, _) = me(vm, args, "get")?;
    nargs(vm, "get", args.len() - 1, 1, 2)?;
    let k = vm.key_of(&args[1])?;
    let v = d.borrow().get(&k).cloned();
    Ok(v.unwrap_or_else(|| arg(args, 2)))
}

fn setdefault(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (d, _) = me(vm, args, "setdefault")?;
    nargs(vm, "setdefault", args.len() - 1, 1, 2)?;
    let k = vm.key_of(&args[1])?;
    if let Some(v) = d.borrow().get(&k) {
        return Ok(v.clone());
    }
    let v = arg(args, 2);
    d.borrow_mut().insert(k, args[1].clone(), v.clone());
    Ok(v)
}

fn pop(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (d, _) = me(vm, args, "pop")?;
    nargs(vm, "pop", args.len() - 1, 1, 2)?;
    let k = vm.key_of(&args[1])?;
    let r = d.borrow_mut().remove(&k);
    match r {
        Some((_, v)) => Ok(v),
        None => match args.get(2) {
            Some(dflt) => Ok(dflt.clone()),
            None => Err(vm.key_error(args[1].clone())),
        },
    }
}

fn popitem(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (d, _) = me(vm, args, "popitem")?;
    let r = d.borrow_mut().pop_last();
    match r {
        Some((k, v)) => Ok(alloc::tuple(vec![k, v])),
        None => Err(vm.key_error(alloc::s("popitem(): dictionary is empty"))),
    }
}

fn keys(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (_, o) = me(vm, args, "keys")?;
    Ok(dict_view(o, DictView::Keys))
}

fn items(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (_, o) = me(vm, args, "items")?;
    Ok(dict_view(o, DictView::Items))
}

fn values(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (_, o) = me(vm, args, "values")?;
    Ok(dict_view(o, DictView::Values))
}

fn update(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    let (d, _) = me(vm, args, "update")?;
    fill(vm, d, "update", &args[1..], kw)?;
    Ok(Value::None)
}

fn clear(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    me(vm, args, "clear")?.0.borrow_mut().clear();
    Ok(Value::None)
}

fn copy(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (d, _) = me(vm, args, "copy")?;
    let c = d.borrow().clone();
    Ok(alloc::dict(c))
}

/// `dict.fromkeys(iterable, value=None)` (a class method: `args[0]` is the class).
fn fromkeys(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "fromkeys", args.len().saturating_sub(1), 1, 2)?;
    let cls = arg(args, 0);
    let value = arg(args, 2);
    let target = match &cls {
        Value::Obj(c) if !std::rc::Rc::ptr_eq(c, &types().dict) => vm.call(&cls, &[], &[])?,
        _ => alloc::dict(Dict::new()),
    };
    let keys = vm.collect(&args[1])?;
    match target.data() {
        Some(Data::Dict(d)) if vm.lookup_special(&target, "__setitem__").is_none() => {
            for k in keys {
                let key = vm.key_of(&k)?;
                d.borrow_mut().insert(key, k, value.clone());
            }
        }
        _ => {
            for k in keys {
                vm.setitem(&target, &k, value.clone())?;
            }
        }
    }
    Ok(target)
}

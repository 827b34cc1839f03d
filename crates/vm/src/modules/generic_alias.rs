//! `list[int]`: `types.GenericAlias`, what subscripting a builtin class gives (CPython's
//! `Objects/genericaliasobject.c`): it keeps `__origin__` and `__args__`, prints as
//! `list[int]`, calls its origin, and stands for its origin as a base class.

use super::{add_methods, lib_type, Method};
use crate::alloc::{self, types};
use crate::methods::Kw;
use crate::value::{Data, Layout, MethKind::*, ObjRef, Value};
use crate::{PyResult, Vm};

fn alias_type() -> ObjRef {
    let t = lib_type(
        "types",
        "GenericAlias",
        &types().object,
        Layout::Other,
        false,
    );
    if t.dict
        .as_ref()
        .is_some_and(|d| d.borrow().get_str("__repr__").is_none())
    {
        let methods: &[Method] = &[
            ("__repr__", NoArgs, repr),
            ("__eq__", O, eq),
            ("__hash__", NoArgs, hash),
            ("__call__", FastKw, call),
            ("__mro_entries__", O, mro_entries),
            ("__or__", O, or),
            ("__ror__", O, ror),
        ];
        add_methods(&t, "GenericAlias", "types", methods);
    }
    t
}

/// `origin[key]` for a builtin class `origin`.
pub fn new(origin: &Value, key: &Value) -> Value {
    let args = match key.data() {
        Some(Data::Tuple(t)) => t.clone(),
        _ => vec![key.clone()],
    };
    let a = alloc::obj_with_dict(&alias_type(), Data::Plain);
    if let Some(d) = a.obj().and_then(|o| o.dict.as_ref()) {
        let mut d = d.borrow_mut();
        d.set_str("__origin__", origin.clone());
        d.set_str("__args__", alloc::tuple(args));
        d.set_str("__parameters__", alloc::tuple(Vec::new()));
    }
    a
}

fn field(v: &Value, name: &str) -> Option<Value> {
    v.obj()?.dict.as_ref()?.borrow().get_str(name).cloned()
}

fn is_alias(v: &Value) -> bool {
    v.obj().is_some_and(|o| {
        o.cls
            .as_ref()
            .is_some_and(|c| super::is_lib(c, "types", "GenericAlias"))
    })
}

/// How an alias prints one of its parts (`ga_repr_item`): classes by their qualified name
/// (builtins without a module), `...` as such, anything else by its `repr`.
fn item_repr(vm: &mut Vm, v: &Value) -> PyResult<String> {
    if matches!(v, Value::Ellipsis) {
        return Ok("...".into());
    }
    if let Some(Data::Type(td)) = v.data() {
        if !is_alias(v) {
            let module = td.module.borrow().clone();
            let q = td.qualname.borrow().clone();
            return Ok(if &*module == "builtins" {
                q.to_string()
            } else {
                format!("{module}.{q}")
            });
        }
    }
    Ok(vm.repr(v)?.to_string())
}

fn repr(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let me = &args[0];
    let origin = field(me, "__origin__").unwrap_or(Value::None);
    let items = match field(me, "__args__").as_ref().and_then(|a| a.data()) {
        Some(Data::Tuple(t)) => t.clone(),
        _ => Vec::new(),
    };
    let mut out = item_repr(vm, &origin)?;
    out.push('[');
    if items.is_empty() {
        out.push_str("()");
    }
    for (k, a) in items.iter().enumerate() {
        if k > 0 {
            out.push_str(", ");
        }
        out.push_str(&item_repr(vm, a)?);
    }
    out.push(']');
    Ok(alloc::string(out))
}

fn eq(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (a, b) = (&args[0], &args[1]);
    if !is_alias(b) {
        return Ok(Value::NotImplemented);
    }
    let (oa, ob) = (field(a, "__origin__"), field(b, "__origin__"));
    let same_origin = matches!((&oa, &ob), (Some(x), Some(y)) if x.is(y));
    if !same_origin {
        return Ok(Value::Bool(false));
    }
    let (aa, ab) = (
        field(a, "__args__").unwrap_or(Value::None),
        field(b, "__args__").unwrap_or(Value::None),
    );
    vm.eq(&aa, &ab).map(Value::Bool)
}

fn hash(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let origin = field(&args[0], "__origin__").unwrap_or(Value::None);
    let a = field(&args[0], "__args__").unwrap_or(Value::None);
    let h = vm.key_of(&origin)?.py_hash() ^ vm.key_of(&a)?.py_hash();
    Ok(Value::Int(h))
}

/// Calling `list[int]()` makes a `list`.
fn call(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    let origin = field(&args[0], "__origin__").unwrap_or(Value::None);
    vm.call(&origin, &args[1..], kw)
}

/// `class C(list[int])` subclasses `list`.
fn mro_entries(_vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let origin = field(&args[0], "__origin__").unwrap_or(Value::None);
    Ok(alloc::tuple(vec![origin]))
}

fn or(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    Ok(super::union::of(vm, &args[0], &args[1])?.unwrap_or(Value::NotImplemented))
}

fn ror(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    Ok(super::union::of(vm, &args[1], &args[0])?.unwrap_or(Value::NotImplemented))
}

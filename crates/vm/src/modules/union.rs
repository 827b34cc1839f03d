//! `int | None`: PEP 604 unions of types, objects of the C type `typing.Union` (3.14
//! merged `types.UnionType` into it), which `isinstance` accepts and annotations print as
//! `int | None`.

use super::{add_methods, lib_type, Method};
use crate::alloc::{self, types};
use crate::methods::Kw;
use crate::value::{Data, Layout, MethKind::*, ObjRef, Value};
use crate::{PyResult, Vm};

fn union_type() -> ObjRef {
    let t = lib_type("typing", "Union", &types().object, Layout::Other, false);
    if t.dict
        .as_ref()
        .is_some_and(|d| d.borrow().get_str("__repr__").is_none())
    {
        let methods: &[Method] = &[
            ("__repr__", NoArgs, repr),
            ("__or__", O, or),
            ("__ror__", O, ror),
            ("__eq__", O, eq),
            ("__hash__", NoArgs, hash),
        ];
        add_methods(&t, "Union", "typing", methods);
    }
    t
}

/// The members of `v` when it can be one side of a type union: a class, `None` (its
/// type), or a union's members.
fn members(v: &Value) -> Option<Vec<Value>> {
    match v {
        Value::None => Some(vec![Value::Obj(types().none.clone())]),
        _ => match v.data() {
            Some(Data::Type(_)) => Some(vec![v.clone()]),
            _ if is_union(v) => args_of(v),
            _ => None,
        },
    }
}

fn is_union(v: &Value) -> bool {
    v.obj().is_some_and(|o| {
        o.cls
            .as_ref()
            .is_some_and(|c| super::is_lib(c, "typing", "Union"))
    })
}

fn args_of(v: &Value) -> Option<Vec<Value>> {
    let d = v.obj()?.dict.as_ref()?;
    match d.borrow().get_str("__args__")?.data() {
        Some(Data::Tuple(t)) => Some(t.clone()),
        _ => None,
    }
}

/// `a | b` when both sides are types, `None` or unions; `None` otherwise.
pub fn of(vm: &mut Vm, a: &Value, b: &Value) -> PyResult<Option<Value>> {
    let (Some(x), Some(y)) = (members(a), members(b)) else {
        return Ok(None);
    };
    let mut all: Vec<Value> = Vec::new();
    for m in x.into_iter().chain(y) {
        if !all.iter().any(|o| o.is(&m)) {
            all.push(m);
        }
    }
    if all.len() == 1 {
        return Ok(all.pop());
    }
    let u = alloc::obj_with_dict(&union_type(), Data::Plain);
    if let Some(d) = u.obj().and_then(|o| o.dict.as_ref()) {
        d.borrow_mut().set_str("__args__", alloc::tuple(all));
    }
    let _ = vm;
    Ok(Some(u))
}

fn repr(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let mut parts = Vec::new();
    for m in args_of(&args[0]).unwrap_or_default() {
        let s = match m.data() {
            Some(Data::Type(td)) => {
                if std::rc::Rc::ptr_eq(m.obj().expect("a type"), &types().none) {
                    "None".to_string()
                } else {
                    let module = td.module.borrow().clone();
                    let q = td.qualname.borrow().clone();
                    if &*module == "builtins" {
                        q.to_string()
                    } else {
                        format!("{module}.{q}")
                    }
                }
            }
            _ => vm.repr(&m)?.to_string(),
        };
        parts.push(s);
    }
    Ok(alloc::string(parts.join(" | ")))
}

fn or(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    Ok(of(vm, &args[0], &args[1])?.unwrap_or(Value::NotImplemented))
}

fn ror(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    Ok(of(vm, &args[1], &args[0])?.unwrap_or(Value::NotImplemented))
}

fn eq(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (Some(a), Some(b)) = (args_of(&args[0]), args_of(&args[1])) else {
        return Ok(Value::NotImplemented);
    };
    let _ = vm;
    Ok(Value::Bool(
        a.len() == b.len() && a.iter().all(|x| b.iter().any(|y| x.is(y))),
    ))
}

fn hash(_vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let mut h: i64 = 0x345678;
    for m in args_of(&args[0]).unwrap_or_default() {
        h ^= m.id() as i64;
    }
    Ok(Value::Int(h))
}

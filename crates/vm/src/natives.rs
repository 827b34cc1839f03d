//! Calling the library objects the VM implements natively (`functools.partial`,
//! `operator.itemgetter`, …), the objects of PEP 695 (`TypeVar`, generic aliases, `type X = …`),
//! and the abstract base classes `match` consults.

use crate::alloc;
use crate::value::{Data, Native, ObjRef, Value};
use crate::{PyResult, Vm};
use std::rc::Rc;

/// Calls a `Data::Native` object (`partial`, a cache wrapper, `itemgetter`, …).
pub fn call_native(
    vm: &mut Vm,
    f: &Value,
    args: &[Value],
    kwargs: &[(Rc<str>, Value)],
) -> PyResult {
    let Some(Data::Native(n)) = f.data() else {
        return Err(vm.type_error("not callable"));
    };
    enum Kind {
        Partial(Value, Vec<Value>, Vec<(Rc<str>, Value)>),
        Lru,
        Key,
        Operator,
        Other,
    }
    let kind = match &*n.borrow() {
        Native::Partial(func, pargs, pkw) => {
            let mut a = pargs.clone();
            a.extend_from_slice(args);
            let mut kw = pkw.clone();
            for (k, v) in kwargs {
                match kw.iter_mut().find(|(n, _)| n == k) {
                    Some(slot) => slot.1 = v.clone(),
                    None => kw.push((k.clone(), v.clone())),
                }
            }
            Kind::Partial(func.clone(), a, kw)
        }
        Native::Lru(_) => Kind::Lru,
        Native::KeyWrapper(..) => Kind::Key,
        Native::ItemGetter(_) | Native::AttrGetter(_) | Native::MethodCaller(..) => Kind::Operator,
        _ => Kind::Other,
    };
    match kind {
        Kind::Partial(func, a, kw) => vm.call(&func, &a, &kw),
        Kind::Lru => crate::modules::functools::call_lru(vm, f, args, kwargs),
        Kind::Key => crate::modules::functools::call_key_wrapper(vm, f, args, kwargs),
        Kind::Operator => crate::modules::operator::call(vm, f, args, kwargs),
        Kind::Other => match vm.lookup_special(f, "__call__") {
            Some(c) => {
                let mut a = vec![f.clone()];
                a.extend_from_slice(args);
                vm.call(&c, &a, kwargs)
            }
            None => Err(vm.type_error(format!("'{}' object is not callable", vm.type_name(f)))),
        },
    }
}

/// Whether `cls` is the abstract base class `collections.abc.<name>` or was registered with it.
pub fn is_abc(cls: &ObjRef, name: &str) -> bool {
    let td = crate::types::tdata(cls);
    &**td.name.borrow() == name && &**td.module.borrow() == "collections.abc"
}

/// Native library types that are sequences for `match` (`collections.deque`).
pub fn is_native_sequence(cls: &ObjRef) -> bool {
    let td = crate::types::tdata(cls);
    &**td.name.borrow() == "deque" && &**td.module.borrow() == "collections"
}

/// `TypeVar`/`ParamSpec`/`TypeVarTuple` of a PEP 695 parameter list, made by the `typing`
/// module (ours, in Python) as CPython's intrinsics make `typing`'s C types: the variance
/// inferred, a bound or constraints (`extra`, a function) evaluated when first asked for.
pub fn type_param(vm: &mut Vm, which: &str, name: Value, extra: Option<Value>) -> PyResult {
    let kind = match which {
        "INTRINSIC_PARAMSPEC" => "ParamSpec",
        "INTRINSIC_TYPEVARTUPLE" => "TypeVarTuple",
        "INTRINSIC_TYPEVAR_WITH_BOUND" => "bound",
        "INTRINSIC_TYPEVAR_WITH_CONSTRAINTS" => "constraints",
        _ => "TypeVar",
    };
    let make = typing_attr(vm, "_type_param")?;
    let mut args = vec![alloc::s(kind), name];
    args.extend(extra);
    vm.call(&make, &args, &[])
}

/// `typing.<name>`.
fn typing_attr(vm: &mut Vm, name: &str) -> PyResult {
    let Some(typing) = crate::modules::import(vm, "typing")? else {
        return Err(vm.exc("ImportError", "the typing module is missing"));
    };
    vm.getattr(&typing, name)
}

/// `Generic[T, …]`, the base PEP 695 adds to a generic class (`typing.Generic`
/// subscripted).
pub fn generic_alias(vm: &mut Vm, params: Value) -> PyResult {
    let generic = typing_attr(vm, "Generic")?;
    vm.getitem(&generic, &params)
}

/// `type X = …`: a `typing.TypeAliasType` whose value is evaluated when first asked for;
/// `args` is (name, type parameters, evaluate function).
pub fn type_alias(vm: &mut Vm, args: Value) -> PyResult {
    let parts = match args.data() {
        Some(Data::Tuple(t)) => t.clone(),
        _ => Vec::new(),
    };
    let [name, params, value] = parts.as_slice() else {
        return Err(vm.type_error("type alias: bad arguments"));
    };
    let make = typing_attr(vm, "TypeAliasType")?;
    let params = match params {
        Value::None => alloc::tuple(Vec::new()),
        p => p.clone(),
    };
    vm.call(
        &make,
        &[name.clone(), value.clone()],
        &[(Rc::from("type_params"), params)],
    )
}

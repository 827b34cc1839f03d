//! Calling the library objects the VM implements natively (`functools.partial`,
//! `operator.itemgetter`, …), the objects of PEP 695 (`TypeVar`, generic aliases, `type X = …`),
//! and the abstract base classes `match` consults.

use crate::alloc::{self, types};
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

/// `TypeVar`/`ParamSpec`/`TypeVarTuple` of a PEP 695 parameter list: an object of a class of
/// that name whose `__name__` is the parameter's (bound or constraints in `__bound__` /
/// `__constraints__`).
pub fn type_param(vm: &mut Vm, which: &str, name: Value, extra: Option<Value>) -> PyResult {
    let cls_name = match which {
        "INTRINSIC_PARAMSPEC" => "ParamSpec",
        "INTRINSIC_TYPEVARTUPLE" => "TypeVarTuple",
        _ => "TypeVar",
    };
    let cls = typing_class(cls_name);
    let v = alloc::obj_with_dict(&cls, Data::Plain);
    if let Some(d) = v.obj().and_then(|o| o.dict.as_ref()) {
        let mut d = d.borrow_mut();
        d.set_str("__name__", name);
        match (which, extra) {
            ("INTRINSIC_TYPEVAR_WITH_BOUND", Some(b)) => d.set_str("__bound__", b),
            ("INTRINSIC_TYPEVAR_WITH_CONSTRAINTS", Some(c)) => d.set_str("__constraints__", c),
            _ => {}
        }
    }
    let _ = vm;
    Ok(v)
}

fn typing_class(name: &str) -> ObjRef {
    thread_local! {
        static CLASSES: std::cell::RefCell<Vec<(String, ObjRef)>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    CLASSES.with(|c| {
        if let Some((_, t)) = c.borrow().iter().find(|(n, _)| n == name) {
            return t.clone();
        }
        let t = crate::types::new_type(
            Some(&types().type_),
            name,
            vec![types().object.clone()],
            crate::value::Layout::Object,
            true,
            true,
        );
        let mut mro = vec![t.clone()];
        mro.extend(
            crate::types::tdata(&types().object)
                .mro
                .borrow()
                .iter()
                .cloned(),
        );
        crate::types::set_mro(&t, mro);
        *crate::types::tdata(&t).module.borrow_mut() = Rc::from("typing");
        c.borrow_mut().push((name.to_string(), t.clone()));
        t
    })
}

/// `Generic[T, …]`, the base PEP 695 adds to a generic class: `object` stands in (the class
/// behaves the same at run time for teaching code).
pub fn generic_alias(vm: &mut Vm, params: Value) -> PyResult {
    let _ = (vm, params);
    Ok(Value::Obj(typing_class("Generic")))
}

/// `type X = …`: a `TypeAliasType` whose `__name__` is the alias's and whose `__value__` is
/// evaluated lazily by CPython (the VM stores the evaluate function).
pub fn type_alias(vm: &mut Vm, args: Value) -> PyResult {
    let cls = typing_class("TypeAliasType");
    let v = alloc::obj_with_dict(&cls, Data::Plain);
    if let (Some(Data::Tuple(t)), Some(d)) = (args.data(), v.obj().and_then(|o| o.dict.as_ref())) {
        let mut d = d.borrow_mut();
        if let Some(n) = t.first() {
            d.set_str("__name__", n.clone());
        }
        if let Some(p) = t.get(1) {
            d.set_str("__type_params__", p.clone());
        }
        if let Some(f) = t.get(2) {
            d.set_str("evaluate_value", f.clone());
        }
    }
    let _ = vm;
    Ok(v)
}

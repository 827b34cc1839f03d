//! Calling the library objects the VM implements natively (`functools.partial`,
//! `operator.itemgetter`, …), the objects of PEP 695 (`TypeVar`, generic aliases, `type X = …`),
//! and the abstract base classes `match` consults.

use crate::alloc::{self, types};
use crate::value::{Data, Native, ObjRef, Value};
use crate::{PyResult, Vm};
use std::rc::Rc;

/// Calls a `Data::Native` object.
pub fn call_native(
    vm: &mut Vm,
    f: &Value,
    args: &[Value],
    kwargs: &[(Rc<str>, Value)],
) -> PyResult {
    let Some(Data::Native(n)) = f.data() else {
        return Err(vm.type_error("not callable"));
    };
    enum Plan {
        Partial(Value, Vec<Value>, Vec<(Rc<str>, Value)>),
        Items(Vec<Value>),
        Attrs(Vec<Rc<str>>),
        Cached(Value, Vec<crate::dict::Key>),
        NotCallable,
    }
    let plan = match &*n.borrow() {
        Native::Partial(func, pargs, pkw) => {
            let mut a = pargs.clone();
            a.extend_from_slice(args);
            let mut kw = pkw.clone();
            kw.extend_from_slice(kwargs);
            Plan::Partial(func.clone(), a, kw)
        }
        Native::ItemGetter(items) => Plan::Items(items.clone()),
        Native::AttrGetter(names) => Plan::Attrs(names.clone()),
        Native::Cache(func, _) => {
            let mut key = Vec::new();
            for a in args {
                match crate::dict::builtin_key(a) {
                    Some(k) => key.push(k),
                    None => {
                        return Err(vm.type_error(format!("unhashable type: '{}'", vm.type_name(a))))
                    }
                }
            }
            Plan::Cached(func.clone(), key)
        }
        _ => Plan::NotCallable,
    };
    match plan {
        Plan::Partial(func, a, kw) => vm.call(&func, &a, &kw),
        Plan::Items(items) => {
            let obj = args.first().cloned().unwrap_or(Value::None);
            let mut out = Vec::new();
            for i in &items {
                out.push(vm.getitem(&obj, i)?);
            }
            Ok(if out.len() == 1 {
                out.remove(0)
            } else {
                alloc::tuple(out)
            })
        }
        Plan::Attrs(names) => {
            let obj = args.first().cloned().unwrap_or(Value::None);
            let mut out = Vec::new();
            for name in &names {
                let mut v = obj.clone();
                for part in name.split('.') {
                    v = vm.getattr(&v, part)?;
                }
                out.push(v);
            }
            Ok(if out.len() == 1 {
                out.remove(0)
            } else {
                alloc::tuple(out)
            })
        }
        Plan::Cached(func, key) => {
            if let Native::Cache(_, memo) = &*n.borrow() {
                if let Some((_, v)) = memo.iter().find(|(k, _)| *k == key) {
                    return Ok(v.clone());
                }
            }
            let v = vm.call(&func, args, kwargs)?;
            if let Native::Cache(_, memo) = &mut *n.borrow_mut() {
                memo.push((key, v.clone()));
            }
            Ok(v)
        }
        Plan::NotCallable => {
            Err(vm.type_error(format!("'{}' object is not callable", vm.type_name(f))))
        }
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

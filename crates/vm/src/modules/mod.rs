//! The library modules snippets may import.
//!
//! Each object is modelled the way CPython implements it, because that decides how the
//! snippet's instructions that use it specialize: what CPython writes in C (`math`,
//! `itertools`, `operator`, `functools.reduce`/`partial`/`_lru_cache_wrapper`, `deque`,
//! `OrderedDict`, `defaultdict`, `_abc`, `sys`, `_json`) is native here, each function with the
//! calling convention (`METH_O`, `METH_FASTCALL`, …) the reference interpreter declares for
//! it; what CPython writes in Python (`functools.wraps`/`lru_cache`/`total_ordering`,
//! `collections.Counter`/`namedtuple`, the ABCs of `collections.abc`, `abc.ABCMeta`, `typing`,
//! `json.dumps`, `string.capwords`) is Python here too: small sources of our own in `py/`,
//! compiled by the built-in compiler when first imported ([`pysrc`]), so their functions
//! are Python functions to the specializer (`CALL_PY_EXACT_ARGS`, `CALL_PY_GENERAL`).
//!
//! [`import`] makes a module object once per run (cached in `vm.modules`). Modules that would
//! reach files, the network, the environment, the clock or randomness (`os`, `io`, `time`,
//! `random`, `socket`, `pathlib`, `subprocess`, …) do not exist here: importing them is
//! `ModuleNotFoundError`, as for any unknown module.
//!
//! Library types (`collections.deque`, `itertools.count`, `functools.partial`) are type
//! objects whose `__module__` is their module's, their methods method descriptors in their
//! dictionaries, so the object protocols and the specializer treat them as CPython's C types;
//! [`construct`] makes their instances.

pub mod abc;
pub mod collections;
pub mod functools;
pub mod generic_alias;
pub mod heapq;
pub mod itertools;
pub mod json;
pub mod math;
pub mod operator;
pub mod pysrc;
pub mod sys;
pub mod union;

use crate::alloc::{self, types};
use crate::methods::{module_function, Kw};
use crate::types::{new_type, set_mro, tdata};
use crate::value::{Builtin, Data, Layout, MethKind, NativeFn, ObjRef, Value};
use crate::{PyResult, Vm};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

thread_local! {
    /// The library types made so far, by `module.name`.
    static LIB: RefCell<HashMap<String, ObjRef>> = RefCell::new(HashMap::new());
}

/// The library type `module.name` over `base` (made on first use; `has_dict` for types
/// whose instances keep attributes).
pub fn lib_type(module: &str, name: &str, base: &ObjRef, layout: Layout, has_dict: bool) -> ObjRef {
    let key = format!("{module}.{name}");
    if let Some(t) = LIB.with(|l| l.borrow().get(&key).cloned()) {
        return t;
    }
    let t = new_type(
        Some(&types().type_),
        name,
        vec![base.clone()],
        layout,
        true,
        has_dict,
    );
    let mut mro = vec![t.clone()];
    mro.extend(tdata(base).mro.borrow().iter().cloned());
    set_mro(&t, mro);
    *tdata(&t).module.borrow_mut() = Rc::from(module);
    LIB.with(|l| l.borrow_mut().insert(key, t.clone()));
    t
}

/// A library type made earlier (`None` before its module was imported).
pub fn find_type(module: &str, name: &str) -> Option<ObjRef> {
    LIB.with(|l| l.borrow().get(&format!("{module}.{name}")).cloned())
}

/// Whether `t` is the library type `module.name`.
pub fn is_lib(t: &ObjRef, module: &str, name: &str) -> bool {
    let td = tdata(t);
    td.builtin && &**td.module.borrow() == module && &**td.name.borrow() == name
}

/// One method of a library type: name, calling convention, implementation.
pub type Method = (&'static str, MethKind, NativeFn);

/// Adds `methods` to the library type `t` (named `owner` in messages) as method
/// descriptors whose calls check their calling convention's argument counts.
pub fn add_methods(t: &ObjRef, owner: &'static str, module: &'static str, methods: &[Method]) {
    for &(name, kind, func) in methods {
        crate::methods::put(
            t,
            name,
            alloc::obj(
                &types().method_descriptor,
                Data::MethodDescr(Builtin {
                    name,
                    owner: Some(owner),
                    module: Some(module),
                    kind,
                    func,
                }),
            ),
        );
    }
}

/// Adds a read-only computed attribute (a C getset descriptor) to library type `t`.
pub fn add_getter(t: &ObjRef, name: &'static str, get: NativeFn) {
    let fget = module_function("builtins", name, MethKind::O, get);
    crate::methods::put(
        t,
        name,
        alloc::obj(
            &types().property,
            Data::Property(crate::value::Property {
                fget,
                fset: Value::None,
                fdel: Value::None,
                doc: Value::None,
            }),
        ),
    );
}

/// A module namespace being filled.
pub struct ModBuilder {
    module: Value,
    name: &'static str,
}

impl ModBuilder {
    pub fn new(name: &'static str) -> ModBuilder {
        let module = alloc::obj_with_dict(&types().module, Data::Module(Rc::from(name)));
        let b = ModBuilder { module, name };
        b.set("__name__", alloc::s(name));
        b.set("__doc__", Value::None);
        b
    }

    /// Binds `name` in the module.
    pub fn set(&self, name: &str, v: Value) {
        if let Some(d) = self.module.obj().and_then(|o| o.dict.as_ref()) {
            d.borrow_mut().set_str(name, v);
        }
    }

    /// Binds a builtin function of this module.
    pub fn func(&self, name: &'static str, kind: MethKind, f: NativeFn) {
        self.set(name, module_function(self.name, name, kind, f));
    }

    /// Binds builtin functions of this module.
    pub fn funcs(&self, entries: &[Method]) {
        for &(name, kind, f) in entries {
            self.func(name, kind, f);
        }
    }

    /// Binds a type.
    pub fn class(&self, t: &ObjRef) {
        self.set(&tdata(t).name.borrow().clone(), Value::Obj(t.clone()));
    }

    /// The module object.
    pub fn module(self) -> Value {
        self.module
    }
}

/// `import name`: the module, or `None` when there is no such module for a snippet.
/// A submodule's parent is imported first and gets the submodule as an attribute.
pub fn import(vm: &mut Vm, name: &str) -> PyResult<Option<Value>> {
    if let Some(m) = vm.modules.get(name) {
        if matches!(m.data(), Some(Data::Module(_))) {
            return Ok(Some(m.clone()));
        }
    }
    let parent = match name.rsplit_once('.') {
        Some((p, child)) => match import(vm, p)? {
            Some(pm) => Some((pm, child)),
            None => return Ok(None),
        },
        None => None,
    };
    let m = match name {
        "string.templatelib" => {
            let b = ModBuilder::new("string.templatelib");
            b.class(&types().template);
            b.class(&types().interpolation);
            b.module()
        }
        "math" => math::module(vm),
        "itertools" => itertools::module(vm),
        "operator" => operator::module(vm, "operator"),
        "_operator" => operator::module(vm, "_operator"),
        "_functools" => functools::native_module(vm),
        "_collections" => collections::native_module(vm),
        "_abc" => abc::native_module(vm),
        "_json" => json::native_module(vm),
        "_heapq" => heapq::heapq_module(vm),
        "_bisect" => heapq::bisect_module(vm),
        "sys" => sys::module(vm),
        "_cpyviz" => {
            let b = ModBuilder::new("_cpyviz");
            b.func("exec_source", MethKind::Fast, pysrc::exec_source);
            b.module()
        }
        "collections.abc" => match import(vm, "_collections_abc")? {
            Some(m) => m,
            None => return Ok(None),
        },
        _ => match pysrc::find(name) {
            Some(src) => pysrc::load(vm, src)?,
            None => return Ok(None),
        },
    };
    vm.modules.insert(name.to_string(), m.clone());
    if let Some((pm, child)) = parent {
        if let Some(d) = pm.obj().and_then(|o| o.dict.as_ref()) {
            d.borrow_mut().set_str(child, m.clone());
        }
    }
    Ok(Some(m))
}

/// Instances of library types (`deque(...)`, `itertools.count(...)`, `OrderedDict(...)`):
/// `cls` is the class called, `base` its library base type.
pub fn construct(
    vm: &mut Vm,
    cls: &ObjRef,
    base: &ObjRef,
    args: &[Value],
    kwargs: Kw,
) -> PyResult<Option<Value>> {
    let td = tdata(base);
    let module = td.module.borrow().clone();
    let name = td.name.borrow().clone();
    match &*module {
        "collections" => collections::construct(vm, cls, &name, args, kwargs),
        "itertools" => itertools::construct(vm, cls, &name, args, kwargs),
        "functools" => functools::construct(vm, cls, &name, args, kwargs),
        "operator" => operator::construct(vm, cls, &name, args, kwargs),
        _ => Err(vm.type_error(format!("cannot create '{module}.{name}' instances"))),
    }
    .map(Some)
}

/// A native object of library type `cls` (a subclass keeps a `__dict__`).
pub fn native(cls: &ObjRef, n: crate::value::Native) -> Value {
    let data = Data::Native(RefCell::new(n));
    if tdata(cls).builtin {
        alloc::obj(cls, data)
    } else {
        crate::methods::instance(cls, data)
    }
}

/// Whether `v` is `sys.stdout` (`Some(false)`) or `sys.stderr` (`Some(true)`).
pub fn stream_of(v: &Value) -> Option<bool> {
    sys::stream_of(v)
}

/// The float value of a real number argument (`math` functions' `PyFloat_AsDouble`):
/// ints, floats, `__float__`, `__index__`; otherwise "must be real number, not str".
pub fn real(vm: &mut Vm, v: &Value) -> PyResult<f64> {
    match v {
        Value::Float(f) => return Ok(*f),
        Value::Int(i) => return Ok(*i as f64),
        Value::Bool(b) => return Ok(*b as i64 as f64),
        _ => {}
    }
    if let Some(Data::Long(b)) = v.data() {
        return big_to_f64(vm, b);
    }
    if let Some(f) = crate::methods::float_from_dunder(vm, v)? {
        return Ok(f);
    }
    if let Some(b) = crate::methods::big_index(vm, v)? {
        return big_to_f64(vm, &b);
    }
    Err(vm.type_error(format!("must be real number, not {}", vm.type_name(v))))
}

/// A big int as a float (`OverflowError` when it does not fit).
pub fn big_to_f64(vm: &Vm, b: &num_bigint::BigInt) -> PyResult<f64> {
    let f = num_traits::ToPrimitive::to_f64(b).unwrap_or(f64::INFINITY);
    if f.is_infinite() {
        return Err(vm.exc("OverflowError", "int too large to convert to float"));
    }
    Ok(f)
}

/// An integer argument (`__index__`) as a big int; `TypeError` for anything else.
pub fn int_arg(vm: &mut Vm, v: &Value) -> PyResult<num_bigint::BigInt> {
    match crate::methods::big_index(vm, v)? {
        Some(b) => Ok(b),
        None => Err(vm.type_error(format!(
            "'{}' object cannot be interpreted as an integer",
            vm.type_name(v)
        ))),
    }
}

/// The `__name__` of `v`'s type (`deque`), where messages use it rather than the C type's
/// dotted name (`collections.deque`).
pub fn short_name(v: &Value) -> Rc<str> {
    crate::types::type_name(&types().of(v))
}

/// The builtin `name` (`abs`, `sorted`, …).
pub fn builtin(vm: &Vm, name: &str) -> PyResult {
    let found = match &vm.builtins.data {
        crate::value::Data::Dict(d) => d.borrow().get_str(name).cloned(),
        _ => None,
    };
    found.ok_or_else(|| vm.exc("NameError", format!("name '{name}' is not defined")))
}

//! The library modules snippets may import, implemented natively.
//!
//! [`import`] makes a module object once per run (cached in `vm.modules`). Modules that would
//! reach files, the network, the environment, the clock or randomness (`os`, `io`, `time`,
//! `random`, `socket`, `pathlib`, `subprocess`, …) do not exist here: importing them is
//! `ModuleNotFoundError`, as for any unknown module.
//!
//! Library types (`collections.deque`, `itertools.count`, `functools.partial`) are type
//! objects whose `__module__` is their module's, so the object protocols call the special
//! methods they define; [`construct`] makes their instances.

use crate::alloc::{self, types};
use crate::methods::{function, Kw};
use crate::types::{new_type, set_mro, tdata};
use crate::value::{Data, Layout, MethKind, NativeFn, ObjRef, Value};
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

/// A module namespace being filled.
pub struct ModBuilder {
    module: Value,
}

impl ModBuilder {
    fn new(name: &str) -> ModBuilder {
        let module = alloc::obj_with_dict(&types().module, Data::Module(Rc::from(name)));
        let b = ModBuilder { module };
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

    /// Binds a builtin function.
    pub fn func(&self, name: &'static str, kind: MethKind, f: NativeFn) {
        self.set(name, function(name, kind, f));
    }

    /// Binds a type.
    pub fn class(&self, t: &ObjRef) {
        self.set(&tdata(t).name.borrow().clone(), Value::Obj(t.clone()));
    }
}

/// `import name`: the module, or `None` when there is no such module for a snippet.
pub fn import(vm: &mut Vm, name: &str) -> PyResult<Option<Value>> {
    if let Some(m) = vm.modules.get(name) {
        if matches!(m.data(), Some(Data::Module(_))) {
            return Ok(Some(m.clone()));
        }
    }
    let b = ModBuilder::new(name);
    // Only the modules written so far exist; the others are ModuleNotFoundError for now
    // (math, itertools, functools, operator, collections, sys, … are still to come).
    match name {
        "string.templatelib" => {
            b.class(&types().template);
            b.class(&types().interpolation);
        }
        _ => return Ok(None),
    }
    vm.modules.insert(name.to_string(), b.module.clone());
    Ok(Some(b.module))
}

/// Instances of library types (`deque(...)`, `itertools.count(...)`, `Counter(...)`): `cls`
/// is the class called, `base` its library base type.
pub fn construct(
    vm: &mut Vm,
    _cls: &ObjRef,
    base: &ObjRef,
    _args: &[Value],
    _kwargs: Kw,
) -> PyResult<Option<Value>> {
    let td = tdata(base);
    let module = td.module.borrow().clone();
    let name = td.name.borrow().clone();
    Err(vm.type_error(format!("cannot create '{module}.{name}' instances")))
}

/// Whether `v` is `sys.stdout` (`Some(false)`) or `sys.stderr` (`Some(true)`); there is no
/// `sys` module yet, so never.
pub fn stream_of(_v: &Value) -> Option<bool> {
    None
}

/// `isinstance`/`issubclass` against `collections.abc.<name>`; `collections.abc` does not
/// exist yet, so no type is registered with it.
pub fn abc_check(_vm: &mut Vm, _t: &ObjRef, _name: &str) -> bool {
    false
}

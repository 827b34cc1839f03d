//! Attribute access: `PyObject_GenericGetAttr` (data descriptors, the instance `__dict__`,
//! non-data descriptors, class attributes, `__getattr__`), `type.__getattribute__`
//! (metaclass attributes, classmethods bound to the class), modules, `super()`, the
//! computed attributes of the builtin payloads, and assignment/deletion.

use super::{dunder, exc_is, type_of};
use crate::alloc::{self, types};
use crate::dict::Dict;
use crate::types::{bump_version, is_subtype, lookup, tdata, type_name};
use crate::value::{Builtin, Data, MethKind, ObjRef, Value};
use crate::{Flow, PyResult, Vm};
use std::cell::RefCell;
use std::rc::Rc;

type Kw<'a> = &'a [(Rc<str>, Value)];

fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).cloned().unwrap_or(Value::None)
}

fn obj_init(_vm: &mut Vm, _a: &[Value], _k: Kw) -> PyResult {
    Ok(Value::None)
}

/// `object.__new__(cls, ...)`, reached through `super().__new__` or `Base.__new__`: the
/// `tp_new` of `cls`'s builtin base (`type.__new__` makes a class, `tuple.__new__` a tuple
/// of `cls`), with `object.__new__`'s abstract-class check.
fn obj_new(vm: &mut Vm, a: &[Value], k: Kw) -> PyResult {
    let c = match a.first().and_then(|c| c.obj()) {
        Some(c) if matches!(c.data, Data::Type(_)) => c.clone(),
        _ => return Err(vm.type_error("object.__new__(X): X is not a type object")),
    };
    if is_subtype(&c, &types().type_) && a.len() == 4 {
        return crate::call::new_class(vm, &c, &a[1], &a[2], &a[3], k);
    }
    if let Some(v) = crate::methods::construct(vm, &c, &a[1..], k)? {
        return Ok(v);
    }
    crate::modules::abc::check_abstract(vm, &c)?;
    Ok(crate::call::new_instance(&c))
}

fn obj_setattr(vm: &mut Vm, a: &[Value], _k: Kw) -> PyResult {
    let name = name_arg(vm, &arg(a, 1))?;
    vm.generic_setattr(&arg(a, 0), &name, arg(a, 2))?;
    Ok(Value::None)
}

fn obj_getattribute(vm: &mut Vm, a: &[Value], _k: Kw) -> PyResult {
    let name = name_arg(vm, &arg(a, 1))?;
    vm.generic_getattr(&arg(a, 0), &name)
}

fn obj_delattr(vm: &mut Vm, a: &[Value], _k: Kw) -> PyResult {
    let name = name_arg(vm, &arg(a, 1))?;
    vm.generic_delattr(&arg(a, 0), &name)?;
    Ok(Value::None)
}

fn obj_repr(_vm: &mut Vm, a: &[Value], _k: Kw) -> PyResult {
    let v = arg(a, 0);
    let t = type_of(&v);
    let td = tdata(&t);
    let module = td.module.borrow().clone();
    let qual = td.qualname.borrow().clone();
    let path = if &*module == "builtins" {
        qual.to_string()
    } else {
        format!("{module}.{qual}")
    };
    Ok(alloc::string(format!("<{path} object at {:#x}>", v.id())))
}

fn obj_str(vm: &mut Vm, a: &[Value], _k: Kw) -> PyResult {
    Ok(alloc::str_value(vm.repr(&arg(a, 0))?))
}

fn obj_eq(_vm: &mut Vm, a: &[Value], _k: Kw) -> PyResult {
    Ok(if arg(a, 0).is(&arg(a, 1)) {
        Value::Bool(true)
    } else {
        Value::NotImplemented
    })
}

fn obj_ne(vm: &mut Vm, a: &[Value], _k: Kw) -> PyResult {
    let r = vm.compare(&arg(a, 0), &arg(a, 1), 2)?;
    Ok(Value::Bool(!vm.truthy(&r)?))
}

fn obj_hash(_vm: &mut Vm, a: &[Value], _k: Kw) -> PyResult {
    Ok(Value::Int((arg(a, 0).id() >> 4) as i64))
}

fn obj_format(vm: &mut Vm, a: &[Value], _k: Kw) -> PyResult {
    let v = arg(a, 0);
    let spec = arg(a, 1);
    if spec.as_str().is_some_and(|s| !s.is_empty()) {
        return Err(vm.type_error(format!(
            "unsupported format string passed to {}.__format__",
            vm.type_name(&v)
        )));
    }
    Ok(alloc::str_value(vm.str(&v)?))
}

fn not_implemented(_vm: &mut Vm, _a: &[Value], _k: Kw) -> PyResult {
    Ok(Value::NotImplemented)
}

/// `object`'s own methods, for when the type dictionaries do not define them.
fn object_method(name: &str) -> Option<Builtin> {
    let (name, kind, func): (&'static str, MethKind, crate::value::NativeFn) = match name {
        "__init__" => ("__init__", MethKind::VarArgs, obj_init),
        "__new__" => ("__new__", MethKind::VarArgs, obj_new),
        "__init_subclass__" => ("__init_subclass__", MethKind::NoArgs, obj_init),
        "__setattr__" => ("__setattr__", MethKind::Fast, obj_setattr),
        "__getattribute__" => ("__getattribute__", MethKind::Fast, obj_getattribute),
        "__delattr__" => ("__delattr__", MethKind::O, obj_delattr),
        "__repr__" => ("__repr__", MethKind::NoArgs, obj_repr),
        "__str__" => ("__str__", MethKind::NoArgs, obj_str),
        "__eq__" => ("__eq__", MethKind::O, obj_eq),
        "__ne__" => ("__ne__", MethKind::O, obj_ne),
        "__hash__" => ("__hash__", MethKind::NoArgs, obj_hash),
        "__format__" => ("__format__", MethKind::O, obj_format),
        "__lt__" => ("__lt__", MethKind::O, not_implemented),
        "__le__" => ("__le__", MethKind::O, not_implemented),
        "__gt__" => ("__gt__", MethKind::O, not_implemented),
        "__ge__" => ("__ge__", MethKind::O, not_implemented),
        _ => return None,
    };
    Some(Builtin {
        name,
        owner: Some("object"),
        module: None,
        kind,
        func,
    })
}

/// `_PyType_Lookup`, with `object`'s methods as the last resort.
fn type_lookup(t: &ObjRef, name: &str) -> Option<Value> {
    lookup(t, name).or_else(|| {
        object_method(name).map(|b| alloc::obj(&types().method_descriptor, Data::MethodDescr(b)))
    })
}

fn name_arg(vm: &Vm, v: &Value) -> PyResult<Rc<str>> {
    match v.as_str() {
        Some(s) => Ok(Rc::from(s)),
        None => Err(vm.type_error(format!(
            "attribute name must be string, not '{}'",
            vm.type_name(v)
        ))),
    }
}

fn method(f: Value, s: Value) -> Value {
    alloc::obj(&types().method, Data::Method(f, s))
}

fn bound_builtin(b: &Builtin, s: Value) -> Value {
    alloc::obj(&types().builtin_function, Data::BoundBuiltin(b.clone(), s))
}

/// Whether `attr` is a data descriptor (defines `__set__` or `__delete__`).
fn is_data_descr(attr: &Value) -> bool {
    if matches!(attr.data(), Some(Data::Property(_))) {
        return true;
    }
    let t = type_of(attr);
    dunder(&t, "__set__").is_some() || dunder(&t, "__delete__").is_some()
}

/// Where a new instance attribute `name` of a `t` goes, as CPython stores it: into the inline
/// values when the class's shared keys have (or can take) the name, else into a dict made for
/// the instance then (and its values stop being inline); other objects get their dict on the
/// first attribute.
fn note_new_attribute(t: &ObjRef, d: &RefCell<crate::dict::Dict>, name: &str) {
    use crate::types::{dict_layout, DictLayout, SHARED_KEYS_MAX};
    let mut d = d.borrow_mut();
    match dict_layout(t) {
        DictLayout::Inline if d.inline_valid => {
            let mut keys = tdata(t).shared_keys.borrow_mut();
            if !keys.iter().any(|k| &**k == name) {
                if keys.len() < SHARED_KEYS_MAX {
                    keys.push(Rc::from(name));
                } else {
                    d.inline_valid = false;
                    d.materialized = true;
                }
            }
        }
        DictLayout::Inline | DictLayout::Offset | DictLayout::VarOffset => d.materialized = true,
        DictLayout::NoDict => {}
    }
}

/// The index of slot `name` in instances of `t`.
fn slot_index(t: &ObjRef, name: &str) -> Option<usize> {
    if tdata(t)
        .mro
        .borrow()
        .iter()
        .all(|c| tdata(c).slots.borrow().is_none())
    {
        return None;
    }
    crate::call::all_slots(t).iter().position(|n| &**n == name)
}

fn dict_copy(d: &RefCell<Dict>) -> Value {
    alloc::dict(d.borrow().clone())
}

fn tuple_of(items: &[ObjRef]) -> Value {
    alloc::tuple(items.iter().map(|c| Value::Obj(c.clone())).collect())
}

fn opt(v: &Option<Value>) -> Value {
    v.clone().unwrap_or(Value::None)
}

impl Vm {
    /// `obj.name`.
    pub fn getattr(&mut self, obj: &Value, name: &str) -> PyResult {
        let t = type_of(obj);
        let r = if let Some(ga) = dunder(&t, "__getattribute__") {
            self.call(&ga, &[obj.clone(), alloc::s(name)], &[])
        } else {
            self.generic_getattr(obj, name)
        };
        match r {
            Err(e) if exc_is(&e, "AttributeError") => {
                if let Some(g) = dunder(&t, "__getattr__") {
                    return self.call(&g, &[obj.clone(), alloc::s(name)], &[]);
                }
                Err(e)
            }
            r => r,
        }
    }

    /// `getattr(obj, name, None)`-like: `None` when the attribute does not exist.
    pub fn getattr_opt(&mut self, obj: &Value, name: &str) -> PyResult<Option<Value>> {
        match self.getattr(obj, name) {
            Ok(v) => Ok(Some(v)),
            Err(e) if exc_is(&e, "AttributeError") => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Binds a class attribute found for `obj` (`None` when looked up on the class itself).
    fn descr_get(&mut self, attr: Value, obj: Option<&Value>, owner: &ObjRef) -> PyResult {
        match attr.data() {
            Some(Data::Function(_)) => Ok(match obj {
                Some(o) => method(attr, o.clone()),
                None => attr,
            }),
            Some(Data::ClassMethod(f)) => Ok(method(f.clone(), Value::Obj(owner.clone()))),
            Some(Data::StaticMethod(f)) => Ok(f.clone()),
            Some(Data::MethodDescr(b)) => Ok(match obj {
                Some(o) => bound_builtin(b, o.clone()),
                None => attr,
            }),
            Some(Data::Property(p)) => match obj {
                Some(o) => {
                    if matches!(p.fget, Value::None) {
                        return Err(self.attr_error(format!(
                            "property of '{}' object has no getter",
                            type_name(&type_of(o))
                        )));
                    }
                    let f = p.fget.clone();
                    self.call(&f, std::slice::from_ref(o), &[])
                }
                None => Ok(attr),
            },
            Some(Data::Native(n))
                if matches!(&*n.borrow(), crate::value::Native::Lru(..)) && obj.is_some() =>
            {
                Ok(method(attr.clone(), obj.cloned().unwrap_or(Value::None)))
            }
            _ => {
                if dunder(&type_of(&attr), "__get__").is_some() {
                    let inst = obj.cloned().unwrap_or(Value::None);
                    return self.call_method(&attr, "__get__", &[inst, Value::Obj(owner.clone())]);
                }
                Ok(attr)
            }
        }
    }

    /// `object.__getattribute__`.
    fn generic_getattr(&mut self, obj: &Value, name: &str) -> PyResult {
        if let Some(Data::Type(_)) = obj.data() {
            if let Some(o) = obj.obj() {
                let o = o.clone();
                return self.type_getattr(&o, name);
            }
        }
        if let Some(Data::Super(cls, inst)) = obj.data() {
            let (cls, inst) = (cls.clone(), inst.clone());
            return self.super_getattr(obj, &cls, &inst, name);
        }
        let t = type_of(obj);
        if name == "__class__" {
            return Ok(Value::Obj(t));
        }
        let attr = lookup(&t, name);
        if let Some(a) = &attr {
            if is_data_descr(a) {
                if let Some(Data::Property(p)) = a.data() {
                    if matches!(p.fget, Value::None) {
                        return Err(self.attr_error(format!(
                            "property '{name}' of '{}' object has no getter",
                            type_name(&t)
                        )));
                    }
                }
                return self.descr_get(a.clone(), Some(obj), &t);
            }
        }
        if let Some(Data::Slots(vals)) = obj.data() {
            if let Some(i) = slot_index(&t, name) {
                let v = vals.borrow().get(i).cloned().flatten();
                return match v {
                    Some(v) => Ok(v),
                    None => Err(self.no_attr(obj, name)),
                };
            }
        }
        if let Some(v) = self.payload_attr(obj, name)? {
            return Ok(v);
        }
        if let Some(o) = obj.obj() {
            if let Some(d) = &o.dict {
                let found = d.borrow().get_str(name).cloned();
                if let Some(v) = found {
                    return Ok(v);
                }
                if name == "__dict__" {
                    d.borrow_mut().materialized = true;
                    return Ok(dict_copy(d));
                }
            }
            if let Data::Module(mname) = &o.data {
                let mname = mname.clone();
                let ga = o
                    .dict
                    .as_ref()
                    .and_then(|d| d.borrow().get_str("__getattr__").cloned());
                if let Some(a) = attr {
                    return self.descr_get(a, Some(obj), &t);
                }
                if let Some(ga) = ga {
                    return self.call(&ga, &[alloc::s(name)], &[]);
                }
                return Err(self.attr_error(format!("module '{mname}' has no attribute '{name}'")));
            }
        }
        if let Some(a) = attr.or_else(|| type_lookup(&t, name)) {
            return self.descr_get(a, Some(obj), &t);
        }
        Err(self.no_attr(obj, name))
    }

    fn no_attr(&self, obj: &Value, name: &str) -> Flow {
        let e = self.attr_error(format!(
            "'{}' object has no attribute '{name}'",
            self.type_name(obj)
        ));
        self.with_attr_context(e, obj, name)
    }

    /// An `AttributeError`'s `name` and `obj`, as CPython sets them, and what its "Did you
    /// mean …?" needs.
    fn with_attr_context(&self, e: Flow, obj: &Value, name: &str) -> Flow {
        if let Flow::Exc(ev) = &e {
            crate::exc::set_attr(ev, "name", alloc::s(name));
            crate::exc::set_attr(ev, "obj", obj.clone());
            let in_method = self.frames.last().is_some_and(|f| {
                f.code.localsplus.first().is_some_and(|n| &**n == "self") && f.first_local.is(obj)
            });
            crate::exc::set_suggest(
                ev,
                crate::suggestions::Suggest::Attribute {
                    obj: obj.clone(),
                    name: Rc::from(name),
                    in_method,
                },
            );
        }
        e
    }

    /// `type.__getattribute__(cls, name)`.
    fn type_getattr(&mut self, cls: &ObjRef, name: &str) -> PyResult {
        let clsv = Value::Obj(cls.clone());
        let meta = type_of(&clsv);
        let meta_attr = if Rc::ptr_eq(&meta, &types().type_) {
            None
        } else {
            lookup(&meta, name)
        };
        if let Some(m) = &meta_attr {
            if is_data_descr(m) {
                return self.descr_get(m.clone(), Some(&clsv), &meta);
            }
        }
        let td = tdata(cls);
        let own = |n: &str| {
            cls.dict
                .as_ref()
                .and_then(|d| d.borrow().get_str(n).cloned())
        };
        match name {
            "__name__" => return Ok(alloc::str_value(td.name.borrow().clone())),
            "__qualname__" => return Ok(alloc::str_value(td.qualname.borrow().clone())),
            "__module__" => {
                return Ok(own("__module__")
                    .unwrap_or_else(|| alloc::str_value(td.module.borrow().clone())))
            }
            "__mro__" => return Ok(tuple_of(&td.mro.borrow())),
            "__bases__" => return Ok(tuple_of(&td.bases.borrow())),
            "__base__" => {
                return Ok(td
                    .bases
                    .borrow()
                    .first()
                    .map(|b| Value::Obj(b.clone()))
                    .unwrap_or(Value::None))
            }
            "__class__" => return Ok(Value::Obj(meta)),
            "__dict__" => {
                let d = cls
                    .dict
                    .as_ref()
                    .map(|d| d.borrow().clone())
                    .unwrap_or_default();
                return Ok(alloc::obj(
                    &types().other["mappingproxy"],
                    Data::Dict(RefCell::new(d)),
                ));
            }
            "__doc__" => return Ok(own("__doc__").unwrap_or(Value::None)),
            // PEP 649: a class's annotations come from its `__annotate__` function, once.
            "__annotations__" if !td.builtin => {
                if let Some(a) = own("__annotations__") {
                    return Ok(a);
                }
                let d = match own("__annotate_func__").or_else(|| own("__annotate__")) {
                    Some(f) if !matches!(f, Value::None) => self.call(&f, &[Value::Int(1)], &[])?,
                    _ => alloc::dict(Dict::new()),
                };
                if let Some(cd) = &cls.dict {
                    cd.borrow_mut().set_str("__annotations__", d.clone());
                    crate::types::changed();
                }
                return Ok(d);
            }
            "__type_params__" => return Ok(own("__type_params__").unwrap_or(alloc::tuple(vec![]))),
            _ => {}
        }
        if let Some(a) = lookup(cls, name) {
            return self.descr_get(a, None, cls);
        }
        if let Some(m) = meta_attr.or_else(|| lookup(&meta, name)) {
            return self.descr_get(m, Some(&clsv), &meta);
        }
        if let Some(a) = type_lookup(cls, name) {
            return self.descr_get(a, None, cls);
        }
        let e = self.attr_error(format!(
            "type object '{}' has no attribute '{name}'",
            td.name.borrow()
        ));
        Err(self.with_attr_context(e, &Value::Obj(cls.clone()), name))
    }

    /// `super(cls, inst).name`: the MRO of `inst`'s type after `cls`.
    fn super_getattr(&mut self, sup: &Value, cls: &ObjRef, inst: &Value, name: &str) -> PyResult {
        if name == "__class__" {
            return Ok(Value::Obj(type_of(sup)));
        }
        let (start, bind_to) = match inst.obj() {
            Some(o) if matches!(o.data, Data::Type(_)) && is_subtype(o, cls) => (o.clone(), None),
            _ => (type_of(inst), Some(inst.clone())),
        };
        let mro = tdata(&start).mro.borrow().clone();
        let after = mro
            .iter()
            .position(|c| Rc::ptr_eq(c, cls))
            .map(|i| i + 1)
            .unwrap_or(mro.len());
        let mut found = None;
        for c in &mro[after..] {
            if let Some(v) = c
                .dict
                .as_ref()
                .and_then(|d| d.borrow().get_str(name).cloned())
            {
                found = Some(v);
                break;
            }
        }
        if found.is_none() && after < mro.len() {
            found = object_method(name)
                .map(|b| alloc::obj(&types().method_descriptor, Data::MethodDescr(b)));
        }
        match found {
            Some(a) => {
                if name == "__new__" {
                    // `__new__` is a static method: never bound.
                    return Ok(match a.data() {
                        Some(Data::StaticMethod(f)) => f.clone(),
                        _ => a,
                    });
                }
                self.descr_get(a, bind_to.as_ref(), &start)
            }
            None => Err(self.attr_error(format!("'super' object has no attribute '{name}'"))),
        }
    }

    /// The attributes the builtin payloads compute (`args`, `__name__`, `real`, …).
    fn payload_attr(&mut self, obj: &Value, name: &str) -> PyResult<Option<Value>> {
        let num = super::num::as_num(obj);
        if let Some(n) = num {
            use super::num::Num;
            let r = match (name, &n) {
                ("real", Num::Complex(re, _)) => Value::Float(*re),
                ("imag", Num::Complex(_, im)) => Value::Float(*im),
                ("real", Num::Float(f)) => Value::Float(*f),
                ("imag", Num::Float(_)) => Value::Float(0.0),
                ("real" | "numerator", Num::Int(i)) => Value::Int(*i),
                ("real" | "numerator", Num::Big(b)) => alloc::big(b.clone()),
                ("imag", Num::Int(_) | Num::Big(_)) => Value::Int(0),
                ("denominator", Num::Int(_) | Num::Big(_)) => Value::Int(1),
                _ => return Ok(None),
            };
            return Ok(Some(r));
        }
        let Some(o) = obj.obj() else {
            return Ok(None);
        };
        Ok(Some(match (&o.data, name) {
            (Data::Function(f), _) => match name {
                "__name__" => alloc::str_value(f.name.borrow().clone()),
                "__qualname__" => alloc::str_value(f.qualname.borrow().clone()),
                "__defaults__" => match &*f.defaults.borrow() {
                    Some(d) if !d.is_empty() => alloc::tuple(d.clone()),
                    _ => Value::None,
                },
                "__kwdefaults__" => match &*f.kwdefaults.borrow() {
                    Some(d) => Value::Obj(d.clone()),
                    None => Value::None,
                },
                "__code__" => alloc::code(&f.code),
                "__globals__" => Value::Obj(f.globals.clone()),
                "__closure__" => {
                    let c = f.closure.borrow();
                    if c.is_empty() {
                        Value::None
                    } else {
                        alloc::tuple(c.iter().map(|x| Value::Obj(x.clone())).collect())
                    }
                }
                "__doc__" => f.doc.borrow().clone(),
                "__module__" => {
                    let m = match &f.globals.data {
                        Data::Dict(d) => d.borrow().get_str("__name__").cloned(),
                        _ => None,
                    };
                    if let Some(v) = o
                        .dict
                        .as_ref()
                        .and_then(|d| d.borrow().get_str(name).cloned())
                    {
                        v
                    } else {
                        m.unwrap_or(Value::None)
                    }
                }
                "__annotations__" => {
                    let known = f.annotations.borrow().clone();
                    match known {
                        Some(a) => a,
                        None => {
                            let ann = f.annotate.borrow().clone();
                            match ann {
                                Some(af) if !matches!(af, Value::None) => {
                                    let d = self.call(&af, &[Value::Int(1)], &[])?;
                                    *f.annotations.borrow_mut() = Some(d.clone());
                                    d
                                }
                                _ => {
                                    let d = alloc::dict(Dict::new());
                                    *f.annotations.borrow_mut() = Some(d.clone());
                                    d
                                }
                            }
                        }
                    }
                }
                "__annotate__" => opt(&f.annotate.borrow()),
                // Set by INTRINSIC_SET_FUNCTION_TYPE_PARAMS for a generic function.
                "__type_params__" => obj
                    .obj()
                    .and_then(|o| o.dict.as_ref())
                    .and_then(|d| d.borrow().get_str("__type_params__").cloned())
                    .unwrap_or_else(|| alloc::tuple(vec![])),
                _ => return Ok(None),
            },
            (Data::Method(f, s), _) => match name {
                "__func__" => f.clone(),
                "__self__" => s.clone(),
                _ => {
                    let f = f.clone();
                    return self
                        .getattr_opt(&f, name)
                        .map(|r| r.filter(|_| name != "__dict__"));
                }
            },
            (Data::Builtin(b), _) => match name {
                "__name__" => alloc::s(b.name),
                "__qualname__" => alloc::string(match b.owner {
                    Some(ow) => format!("{ow}.{}", b.name),
                    None => b.name.to_string(),
                }),
                "__self__" => self
                    .modules
                    .get(b.module.unwrap_or("builtins"))
                    .cloned()
                    .unwrap_or(Value::None),
                "__module__" => alloc::s(b.module.unwrap_or("builtins")),
                "__doc__" => Value::None,
                _ => return Ok(None),
            },
            (Data::MethodDescr(b), _) | (Data::BoundBuiltin(b, _), _) => match name {
                "__name__" => alloc::s(b.name),
                "__qualname__" => {
                    alloc::string(format!("{}.{}", b.owner.unwrap_or("object"), b.name))
                }
                "__self__" => match &o.data {
                    Data::BoundBuiltin(_, s) => s.clone(),
                    _ => return Ok(None),
                },
                "__doc__" => Value::None,
                _ => return Ok(None),
            },
            (Data::Exception(e), _) => {
                let e = e.borrow();
                match name {
                    "args" => alloc::tuple(e.args.clone()),
                    "__cause__" => opt(&e.cause),
                    "__context__" => opt(&e.context),
                    "__suppress_context__" => Value::Bool(e.suppress_context),
                    "__traceback__" => Value::None,
                    "__notes__" if !e.notes.is_empty() => alloc::list(e.notes.clone()),
                    "exceptions" if crate::exc::is_instance(obj, "BaseExceptionGroup") => {
                        alloc::tuple(e.exceptions.clone())
                    }
                    "message" if crate::exc::is_instance(obj, "BaseExceptionGroup") => {
                        e.args.first().cloned().unwrap_or(alloc::s(""))
                    }
                    "value" if crate::exc::is_instance(obj, "StopIteration") => {
                        e.args.first().cloned().unwrap_or(Value::None)
                    }
                    "code" if crate::exc::is_instance(obj, "SystemExit") => match e.args.len() {
                        0 => Value::None,
                        1 => e.args[0].clone(),
                        _ => alloc::tuple(e.args.clone()),
                    },
                    _ => return Ok(None),
                }
            }
            (Data::Generator(g), _) => {
                let g = g.borrow();
                let prefix = match g.kind {
                    crate::value::GenKind::Generator => "gi_",
                    crate::value::GenKind::Coroutine => "cr_",
                    crate::value::GenKind::AsyncGenerator => "ag_",
                };
                match name {
                    "__name__" => alloc::str_value(g.name.clone()),
                    "__qualname__" => alloc::str_value(g.qualname.clone()),
                    _ if name.starts_with(prefix) => match &name[3..] {
                        "running" => Value::Bool(g.running),
                        "suspended" => {
                            Value::Bool(!g.running && g.frame.as_ref().is_some_and(|f| f.lasti > 0))
                        }
                        "frame" | "yieldfrom" | "await" => Value::None,
                        "code" => match &g.frame {
                            Some(f) => alloc::code(&f.code),
                            None => Value::None,
                        },
                        _ => return Ok(None),
                    },
                    _ => return Ok(None),
                }
            }
            (Data::Property(p), _) => match name {
                "fget" => p.fget.clone(),
                "fset" => p.fset.clone(),
                "fdel" => p.fdel.clone(),
                "__doc__" => {
                    if matches!(p.doc, Value::None) && !matches!(p.fget, Value::None) {
                        let g = p.fget.clone();
                        return self.getattr_opt(&g, "__doc__");
                    }
                    p.doc.clone()
                }
                _ => return Ok(None),
            },
            (Data::StaticMethod(f) | Data::ClassMethod(f), "__func__" | "__wrapped__") => f.clone(),
            (Data::Slice(a, b, c), _) => match name {
                "start" => a.clone(),
                "stop" => b.clone(),
                "step" => c.clone(),
                _ => return Ok(None),
            },
            (Data::Range(r), _) => match name {
                "start" => Value::Int(r.start),
                "stop" => Value::Int(r.stop),
                "step" => Value::Int(r.step),
                _ => return Ok(None),
            },
            (Data::Cell(c), "cell_contents") => match &*c.borrow() {
                Some(v) => v.clone(),
                None => return Err(self.value_error("Cell is empty")),
            },
            (Data::Code(c), _) => match name {
                "co_name" => alloc::str_value(c.name.clone()),
                "co_qualname" => alloc::str_value(c.qualname.clone()),
                "co_filename" => alloc::str_value(c.filename.clone()),
                "co_firstlineno" => Value::Int(c.model.firstlineno as i64),
                "co_argcount" => Value::Int(c.argcount as i64),
                "co_posonlyargcount" => Value::Int(c.posonlyargcount as i64),
                "co_kwonlyargcount" => Value::Int(c.kwonlyargcount as i64),
                "co_flags" => Value::Int(c.flags as i64),
                "co_nlocals" => Value::Int(c.nlocals as i64),
                "co_consts" => alloc::tuple(c.consts.clone()),
                "co_names" => alloc::tuple(
                    c.names
                        .iter()
                        .map(|n| alloc::str_value(n.clone()))
                        .collect(),
                ),
                "co_varnames" => alloc::tuple(
                    c.localsplus[..c.nlocals.min(c.localsplus.len())]
                        .iter()
                        .map(|n| alloc::str_value(n.clone()))
                        .collect(),
                ),
                _ => return Ok(None),
            },
            (Data::Template(strings, interps), _) => match name {
                "strings" => alloc::tuple(
                    strings
                        .iter()
                        .map(|s| alloc::str_value(s.clone()))
                        .collect(),
                ),
                "interpolations" => alloc::tuple(interps.clone()),
                "values" => {
                    let mut vals = Vec::new();
                    for i in interps {
                        if let Some(Data::Interpolation(v, ..)) = i.data() {
                            vals.push(v.clone());
                        }
                    }
                    alloc::tuple(vals)
                }
                _ => return Ok(None),
            },
            (Data::Interpolation(v, e, c, s), _) => match name {
                "value" => v.clone(),
                "expression" => e.clone(),
                "conversion" => c.clone(),
                "format_spec" => s.clone(),
                _ => return Ok(None),
            },
            _ => return Ok(None),
        }))
    }

    /// `obj.name = v`.
    pub fn setattr(&mut self, obj: &Value, name: &str, v: Value) -> PyResult<()> {
        let t = type_of(obj);
        if dunder(&t, "__setattr__").is_some() {
            self.call_method(obj, "__setattr__", &[alloc::s(name), v])?;
            return Ok(());
        }
        self.generic_setattr(obj, name, v)
    }

    /// `object.__setattr__`.
    fn generic_setattr(&mut self, obj: &Value, name: &str, v: Value) -> PyResult<()> {
        if let Some(Data::Type(td)) = obj.data() {
            let Some(cls) = obj.obj().cloned() else {
                return Ok(());
            };
            if td.builtin {
                return Err(self.type_error(format!(
                    "cannot set '{name}' attribute of immutable type '{}'",
                    td.name.borrow()
                )));
            }
            let meta = type_of(obj);
            if let Some(m) = lookup(&meta, name).filter(is_data_descr) {
                return self.descr_set(&m, obj, name, Some(v));
            }
            match name {
                "__name__" | "__qualname__" => {
                    let Some(s) = v.as_str() else {
                        return Err(self.type_error(format!(
                            "can only assign string to {}.{name}, not '{}'",
                            td.name.borrow(),
                            self.type_name(&v)
                        )));
                    };
                    let s: Rc<str> = Rc::from(s);
                    if name == "__name__" {
                        *td.name.borrow_mut() = s;
                    } else {
                        *td.qualname.borrow_mut() = s;
                    }
                    bump_version(&cls);
                    return Ok(());
                }
                "__module__" => {
                    if let Some(s) = v.as_str() {
                        *td.module.borrow_mut() = Rc::from(s);
                    }
                }
                _ => {}
            }
            if let Some(d) = &cls.dict {
                d.borrow_mut().set_str(name, v);
            }
            bump_version(&cls);
            return Ok(());
        }
        let t = type_of(obj);
        if name == "__class__" {
            return Err(self.type_error(
                "__class__ assignment only supported for mutable types or ModuleType subclasses",
            ));
        }
        let attr = lookup(&t, name);
        if let Some(a) = attr.as_ref().filter(|a| is_data_descr(a)) {
            let a = a.clone();
            return self.descr_set(&a, obj, name, Some(v));
        }
        if let Some(Data::Slots(vals)) = obj.data() {
            if let Some(i) = slot_index(&t, name) {
                let mut vals = vals.borrow_mut();
                if vals.len() <= i {
                    vals.resize(i + 1, None);
                }
                vals[i] = Some(v);
                return Ok(());
            }
        }
        if self.set_payload_attr(obj, name, &v)? {
            return Ok(());
        }
        let Some(o) = obj.obj() else {
            return Err(self.readonly_or_no_dict(obj, name, attr.is_some()));
        };
        let Some(d) = &o.dict else {
            return Err(self.readonly_or_no_dict(obj, name, attr.is_some()));
        };
        let is_new = d.borrow().get_str(name).is_none();
        d.borrow_mut().set_str(name, v);
        if is_new {
            note_new_attribute(&t, d, name);
        }
        Ok(())
    }

    fn readonly_or_no_dict(&self, obj: &Value, name: &str, exists: bool) -> Flow {
        let tn = self.type_name(obj);
        if exists {
            self.attr_error(format!(
                "attribute '{name}' of '{tn}' objects is not writable"
            ))
        } else {
            self.attr_error(format!(
                "'{tn}' object has no attribute '{name}' and no __dict__ for setting new attributes"
            ))
        }
    }

    /// Calls a data descriptor's setter (`v`) or deleter (`None`).
    fn descr_set(&mut self, d: &Value, obj: &Value, name: &str, v: Option<Value>) -> PyResult<()> {
        if let Some(Data::Property(p)) = d.data() {
            let (f, what) = match &v {
                Some(_) => (p.fset.clone(), "setter"),
                None => (p.fdel.clone(), "deleter"),
            };
            if matches!(f, Value::None) {
                return Err(self.attr_error(format!(
                    "property '{name}' of '{}' object has no {what}",
                    self.type_name(obj)
                )));
            }
            let mut args = vec![obj.clone()];
            args.extend(v);
            self.call(&f, &args, &[])?;
            return Ok(());
        }
        match v {
            Some(v) => {
                if dunder(&type_of(d), "__set__").is_none() {
                    return Err(self.attr_error("__set__".to_string()));
                }
                self.call_method(d, "__set__", &[obj.clone(), v])?;
            }
            None => {
                if dunder(&type_of(d), "__delete__").is_none() {
                    return Err(self.attr_error("__delete__"));
                }
                self.call_method(d, "__delete__", std::slice::from_ref(obj))?;
            }
        }
        Ok(())
    }

    /// Assignments to the writable computed attributes; whether `name` was one.
    fn set_payload_attr(&mut self, obj: &Value, name: &str, v: &Value) -> PyResult<bool> {
        let Some(o) = obj.obj() else {
            return Ok(false);
        };
        match &o.data {
            Data::Function(f) => match name {
                "__name__" | "__qualname__" => {
                    let Some(s) = v.as_str() else {
                        return Err(
                            self.type_error(format!("{name} must be set to a string object"))
                        );
                    };
                    let s: Rc<str> = Rc::from(s);
                    if name == "__name__" {
                        *f.name.borrow_mut() = s;
                    } else {
                        *f.qualname.borrow_mut() = s;
                    }
                    Ok(true)
                }
                "__defaults__" => {
                    let d = match v.data() {
                        Some(Data::Tuple(t)) => Some(t.clone()),
                        _ if matches!(v, Value::None) => None,
                        _ => {
                            return Err(
                                self.type_error("__defaults__ must be set to a tuple object")
                            )
                        }
                    };
                    *f.defaults.borrow_mut() = d;
                    f.version.set(crate::call::next_func_version());
                    crate::tier2::function_made(self, obj);
                    Ok(true)
                }
                "__kwdefaults__" => {
                    *f.kwdefaults.borrow_mut() = v.obj().cloned();
                    f.version.set(crate::call::next_func_version());
                    crate::tier2::function_made(self, obj);
                    Ok(true)
                }
                "__doc__" => {
                    *f.doc.borrow_mut() = v.clone();
                    Ok(true)
                }
                "__annotate__" => {
                    *f.annotate.borrow_mut() = Some(v.clone());
                    Ok(true)
                }
                "__annotations__" => {
                    *f.annotations.borrow_mut() = Some(v.clone());
                    Ok(true)
                }
                _ => Ok(false),
            },
            Data::Exception(e) => {
                let mut e = e.borrow_mut();
                match name {
                    "__cause__" => {
                        e.cause = (!matches!(v, Value::None)).then(|| v.clone());
                        e.suppress_context = true;
                    }
                    "__context__" => e.context = (!matches!(v, Value::None)).then(|| v.clone()),
                    "__suppress_context__" => e.suppress_context = matches!(v, Value::Bool(true)),
                    "__traceback__" => {}
                    "args" => {
                        drop(e);
                        let items = self.collect(v)?;
                        if let Some(Data::Exception(e)) = obj.data() {
                            e.borrow_mut().args = items;
                        }
                    }
                    "__notes__" => {
                        let items = match v.data() {
                            Some(Data::List(l)) => l.borrow().clone(),
                            _ => return Ok(false),
                        };
                        e.notes = items;
                    }
                    _ => return Ok(false),
                }
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// `del obj.name`.
    pub fn delattr(&mut self, obj: &Value, name: &str) -> PyResult<()> {
        let t = type_of(obj);
        if dunder(&t, "__delattr__").is_some() {
            self.call_method(obj, "__delattr__", &[alloc::s(name)])?;
            return Ok(());
        }
        self.generic_delattr(obj, name)
    }

    /// `object.__delattr__`.
    fn generic_delattr(&mut self, obj: &Value, name: &str) -> PyResult<()> {
        if let Some(Data::Type(td)) = obj.data() {
            let Some(cls) = obj.obj().cloned() else {
                return Ok(());
            };
            if td.builtin {
                return Err(self.type_error(format!(
                    "cannot delete '{name}' attribute of immutable type '{}'",
                    td.name.borrow()
                )));
            }
            let removed = cls.dict.as_ref().and_then(|d| {
                d.borrow_mut()
                    .remove(&crate::dict::Key::Str(Rc::from(name)))
            });
            if removed.is_none() {
                return Err(self.attr_error(format!(
                    "type object '{}' has no attribute '{name}'",
                    td.name.borrow()
                )));
            }
            bump_version(&cls);
            return Ok(());
        }
        let t = type_of(obj);
        let attr = lookup(&t, name);
        if let Some(a) = attr.as_ref().filter(|a| is_data_descr(a)) {
            let a = a.clone();
            return self.descr_set(&a, obj, name, None);
        }
        if let Some(Data::Slots(vals)) = obj.data() {
            if let Some(i) = slot_index(&t, name) {
                let old = vals.borrow_mut().get_mut(i).and_then(Option::take);
                return match old {
                    Some(_) => Ok(()),
                    None => Err(self.no_attr(obj, name)),
                };
            }
        }
        let Some(o) = obj.obj() else {
            return Err(self.readonly_or_no_dict(obj, name, attr.is_some()));
        };
        let Some(d) = &o.dict else {
            return Err(self.readonly_or_no_dict(obj, name, attr.is_some()));
        };
        let removed = d
            .borrow_mut()
            .remove(&crate::dict::Key::Str(Rc::from(name)));
        match removed {
            Some(_) => Ok(()),
            None => match &o.data {
                Data::Module(m) => {
                    Err(self.attr_error(format!("module '{m}' has no attribute '{name}'")))
                }
                _ => Err(self.no_attr(obj, name)),
            },
        }
    }
}

//! Calls: binding arguments to a Python function's frame, calling C functions, creating
//! instances (`type.__call__`), classes (`__build_class__`), imports, and the helpers of the
//! instructions that call (`LOAD_ATTR` method loads, intrinsics, `match`).

use crate::alloc::{self, types};
use crate::code::flags;
use crate::dict::{Dict, Key};
use crate::eval::{self, Exit};
use crate::frame::Frame;
use crate::types::{self as ty, tdata};
use crate::value::{Builtin, Data, Layout, MethKind, ObjRef, Value};
use crate::{Flow, PyResult, Vm};
use std::cell::{Cell, RefCell};
use std::rc::Rc;

pub fn next_func_version() -> u32 {
    thread_local! { static V: Cell<u32> = const { Cell::new(1) }; }
    V.with(|v| {
        let n = v.get();
        v.set(n + 1);
        n
    })
}

type Kwargs<'a> = &'a [(Rc<str>, Value)];

impl Vm {
    /// Calls `f` with positional `args` and keyword `kwargs`.
    pub fn call(&mut self, f: &Value, args: &[Value], kwargs: Kwargs) -> PyResult {
        let Value::Obj(o) = f else {
            return Err(self.not_callable(f));
        };
        match &o.data {
            Data::Function(_) => call_function(self, f, args, kwargs),
            Data::Method(func, selfv) => {
                let mut a = Vec::with_capacity(args.len() + 1);
                a.push(selfv.clone());
                a.extend_from_slice(args);
                // A C class method (`METH_CLASS`): its arguments are counted without the class.
                if let Some(Data::Builtin(b)) = func.data() {
                    let owner = b.module.or(b.owner).unwrap_or("");
                    let qual = format!("{owner}.{}", b.name);
                    crate::methods::check_call(self, b.kind, &qual, args.len(), kwargs.len())?;
                    return (b.func)(self, &a, kwargs);
                }
                self.call(func, &a, kwargs)
            }
            Data::Builtin(b) => {
                let qual = match (b.module, b.owner) {
                    (Some(m), _) => format!("{m}.{}", b.name),
                    (None, Some(owner)) => format!("{owner}.{}", b.name),
                    (None, None) => b.name.to_string(),
                };
                crate::methods::check_call(self, b.kind, &qual, args.len(), kwargs.len())?;
                (b.func)(self, args, kwargs)
            }
            Data::MethodDescr(b) => {
                if args.is_empty() {
                    return Err(self.type_error(format!(
                        "unbound method {}.{}() needs an argument",
                        b.owner.unwrap_or("object"),
                        b.name
                    )));
                }
                let qual = format!("{}.{}", b.owner.unwrap_or("object"), b.name);
                crate::methods::check_call(self, b.kind, &qual, args.len() - 1, kwargs.len())?;
                (b.func)(self, args, kwargs)
            }
            Data::BoundBuiltin(b, selfv) => {
                let qual = format!("{}.{}", b.owner.unwrap_or("object"), b.name);
                crate::methods::check_call(self, b.kind, &qual, args.len(), kwargs.len())?;
                let mut a = Vec::with_capacity(args.len() + 1);
                a.push(selfv.clone());
                a.extend_from_slice(args);
                (b.func)(self, &a, kwargs)
            }
            Data::Type(_) => self.call_type(o, args, kwargs),
            Data::StaticMethod(inner) => {
                let inner = inner.clone();
                self.call(&inner, args, kwargs)
            }
            Data::Native(_) => crate::natives::call_native(self, f, args, kwargs),
            _ => match self.lookup_special(f, "__call__") {
                Some(c) => {
                    let mut a = vec![f.clone()];
                    a.extend_from_slice(args);
                    self.call(&c, &a, kwargs)
                }
                None => Err(self.not_callable(f)),
            },
        }
    }

    fn not_callable(&self, f: &Value) -> Flow {
        self.type_error(format!("'{}' object is not callable", self.type_name(f)))
    }

    /// `type(x).name` looked up on the type (not the instance), unbound.
    pub fn lookup_special(&self, obj: &Value, name: &str) -> Option<Value> {
        ty::lookup(&types().of(obj), name)
    }

    /// Calls method `name` of `obj` (looked up like an attribute).
    pub fn call_method(&mut self, obj: &Value, name: &str, args: &[Value]) -> PyResult {
        let (m, selfv) = load_method(self, obj, name)?;
        if let Value::Null = selfv {
            self.call(&m, args, &[])
        } else {
            let mut a = vec![selfv];
            a.extend_from_slice(args);
            self.call(&m, &a, &[])
        }
    }

    /// `cls(*args, **kwargs)`.
    fn call_type(&mut self, cls: &ObjRef, args: &[Value], kwargs: Kwargs) -> PyResult {
        let clsv = Value::Obj(cls.clone());
        if Rc::ptr_eq(cls, &types().type_) {
            if args.len() == 1 && kwargs.is_empty() {
                return Ok(Value::Obj(types().of(&args[0])));
            }
            if args.len() == 3 {
                return new_class(self, &types().type_, &args[0], &args[1], &args[2], kwargs);
            }
            return Err(self.type_error("type() takes 1 or 3 arguments"));
        }
        // A metaclass's __call__.
        if let Some(meta_call) = ty::lookup(&types().of(&clsv), "__call__") {
            if matches!(meta_call.data(), Some(Data::Function(_))) {
                let mut a = vec![clsv.clone()];
                a.extend_from_slice(args);
                return self.call(&meta_call, &a, kwargs);
            }
        }
        self.type_call(cls, args, kwargs)
    }

    /// `type.__call__(cls, …)`: `__new__`, then `__init__` when the result is an instance.
    pub fn type_call(&mut self, cls: &ObjRef, args: &[Value], kwargs: Kwargs) -> PyResult {
        let clsv = Value::Obj(cls.clone());
        let new = ty::lookup(cls, "__new__");
        let obj = match new {
            Some(n)
                if matches!(
                    n.data(),
                    Some(Data::Function(_)) | Some(Data::StaticMethod(_))
                ) =>
            {
                let f = match n.data() {
                    Some(Data::StaticMethod(f)) => f.clone(),
                    _ => n,
                };
                let mut a = vec![clsv.clone()];
                a.extend_from_slice(args);
                self.call(&f, &a, kwargs)?
            }
            _ => match crate::methods::construct(self, cls, args, kwargs)? {
                Some(o) => o,
                None => {
                    crate::modules::abc::check_abstract(self, cls)?;
                    let init = ty::lookup(cls, "__init__");
                    let has_init = init
                        .as_ref()
                        .is_some_and(|i| matches!(i.data(), Some(Data::Function(_))));
                    if !has_init && (!args.is_empty() || !kwargs.is_empty()) {
                        return Err(
                            self.type_error(format!("{}() takes no arguments", ty::type_name(cls)))
                        );
                    }
                    new_instance(cls)
                }
            },
        };
        if !ty::is_subtype(&types().of(&obj), cls) {
            return Ok(obj);
        }
        if let Some(init) = ty::lookup(cls, "__init__") {
            if matches!(init.data(), Some(Data::Function(_))) {
                let mut a = vec![obj.clone()];
                a.extend_from_slice(args);
                let r = self.call(&init, &a, kwargs)?;
                if !matches!(r, Value::None) {
                    return Err(self.type_error(format!(
                        "__init__() should return None, not '{}'",
                        self.type_name(&r)
                    )));
                }
            }
        }
        Ok(obj)
    }
}

/// A new instance of a class whose solid base is `object`.
pub fn new_instance(cls: &ObjRef) -> Value {
    let td = tdata(cls);
    if let Some(slots) = td.slots.borrow().as_ref() {
        let n = all_slots(cls).len().max(slots.len());
        let data = Data::Slots(RefCell::new(vec![None; n]));
        return if class_has_dict(cls) {
            alloc::obj_with_dict(cls, data)
        } else {
            alloc::obj(cls, data)
        };
    }
    let data = match td.layout {
        Layout::Exception => Data::Exception(RefCell::new(crate::exc::empty_data())),
        _ => Data::Plain,
    };
    let obj = alloc::obj_with_dict(cls, data);
    if ty::dict_layout(cls) == ty::DictLayout::Inline {
        if let Some(d) = obj.obj().and_then(|o| o.dict.as_ref()) {
            d.borrow_mut().inline_valid = true;
        }
    }
    obj
}

/// Whether instances of `cls` get a `__dict__` (some class in the MRO has no `__slots__`).
pub fn class_has_dict(cls: &ObjRef) -> bool {
    tdata(cls).mro.borrow().iter().any(|c| {
        let td = tdata(c);
        !td.builtin
            && td
                .slots
                .borrow()
                .as_ref()
                .is_none_or(|s| s.iter().any(|n| &**n == "__dict__"))
    })
}

/// Every slot name along the MRO, base classes first.
pub fn all_slots(cls: &ObjRef) -> Vec<Rc<str>> {
    let mut out = Vec::new();
    for c in tdata(cls).mro.borrow().iter().rev() {
        if let Some(s) = tdata(c).slots.borrow().as_ref() {
            for n in s {
                if &**n != "__dict__" && !out.contains(n) {
                    out.push(n.clone());
                }
            }
        }
    }
    out
}

/// Runs a Python function: binds the arguments into a new frame and evaluates it (or makes
/// the generator / coroutine its code creates).
pub fn call_function(vm: &mut Vm, f: &Value, args: &[Value], kwargs: Kwargs) -> PyResult {
    let Some(Data::Function(func)) = f.data() else {
        return Err(vm.type_error("not a function"));
    };
    let code = func.code.clone();
    let mut frame = Frame::new(code.clone(), func.globals.clone(), None);
    frame.func = Some(f.clone());
    bind_args(vm, func, &mut frame, args, kwargs)?;
    vm.depth += 1;
    if vm.depth > vm.limits.max_depth {
        vm.depth -= 1;
        return Err(vm.exc("RecursionError", "maximum recursion depth exceeded"));
    }
    let r = eval::run_frame(vm, &mut frame);
    vm.depth -= 1;
    match r? {
        Exit::Return(v) => Ok(v),
        Exit::Yield(_) => Ok(eval::make_generator(frame)),
    }
}

fn bind_args(
    vm: &mut Vm,
    func: &crate::value::Function,
    frame: &mut Frame,
    args: &[Value],
    kwargs: Kwargs,
) -> PyResult<()> {
    let code = &func.code;
    let name = func.qualname.borrow().clone();
    let nargs = code.argcount;
    let nkw = code.kwonlyargcount;
    let has_varargs = code.flags & flags::VARARGS != 0;
    let has_varkw = code.flags & flags::VARKEYWORDS != 0;
    let total = nargs + nkw;
    let varargs_idx = total;
    let varkw_idx = total + has_varargs as usize;
    let n = args.len().min(nargs);
    frame.localsplus[..n].clone_from_slice(&args[..n]);
    if has_varargs {
        let extra = if args.len() > nargs {
            args[nargs..].to_vec()
        } else {
            Vec::new()
        };
        frame.localsplus[varargs_idx] = alloc::tuple(extra);
    } else if args.len() > nargs {
        let defaults = func.defaults.borrow().as_ref().map_or(0, |d| d.len());
        let given = args.len();
        let takes = if defaults > 0 {
            format!(
                "from {} to {} positional arguments",
                nargs - defaults,
                nargs
            )
        } else {
            format!(
                "{} positional argument{}",
                nargs,
                if nargs == 1 { "" } else { "s" }
            )
        };
        let kwgiven = kwargs.len();
        let extra = if kwgiven > 0 {
            format!(
                " positional argument{} (and {} keyword-only argument{})",
                if given == 1 { "" } else { "s" },
                kwgiven,
                if kwgiven == 1 { "" } else { "s" }
            )
        } else {
            String::new()
        };
        return Err(vm.type_error(format!(
            "{name}() takes {takes} but {given} {}{extra} given",
            if extra.is_empty() {
                if given == 1 {
                    "was"
                } else {
                    "were"
                }
            } else if given == 1 {
                "was"
            } else {
                "were"
            }
        )));
    }
    let mut extra_kw = Dict::new();
    for (k, v) in kwargs {
        let pos = code.localsplus[code.posonlyargcount..total]
            .iter()
            .position(|n| **n == **k)
            .map(|p| p + code.posonlyargcount);
        match pos {
            Some(p) => {
                if !matches!(frame.localsplus[p], Value::Null) {
                    return Err(
                        vm.type_error(format!("{name}() got multiple values for argument '{k}'"))
                    );
                }
                frame.localsplus[p] = v.clone();
            }
            None if has_varkw => {
                extra_kw.insert(Key::Str(k.clone()), alloc::str_value(k.clone()), v.clone())
            }
            None => {
                if code.localsplus[..code.posonlyargcount]
                    .iter()
                    .any(|n| **n == **k)
                {
                    return Err(vm.type_error(format!(
                        "{name}() got some positional-only arguments passed as keyword arguments: '{k}'"
                    )));
                }
                return Err(
                    vm.type_error(format!("{name}() got an unexpected keyword argument '{k}'"))
                );
            }
        }
    }
    if has_varkw {
        frame.localsplus[varkw_idx] = alloc::dict(extra_kw);
    }
    // Defaults.
    if let Some(defaults) = func.defaults.borrow().as_ref() {
        let first = nargs - defaults.len().min(nargs);
        for (k, d) in defaults.iter().enumerate() {
            let p = first + k;
            if p < nargs && matches!(frame.localsplus[p], Value::Null) {
                frame.localsplus[p] = d.clone();
            }
        }
    }
    let missing: Vec<Rc<str>> = (0..nargs)
        .filter(|&p| matches!(frame.localsplus[p], Value::Null))
        .map(|p| code.localsplus[p].clone())
        .collect();
    if !missing.is_empty() {
        return Err(vm.type_error(format!(
            "{name}() missing {} required positional argument{}: {}",
            missing.len(),
            if missing.len() == 1 { "" } else { "s" },
            name_list(&missing)
        )));
    }
    if nkw > 0 {
        let kwdefaults = func.kwdefaults.borrow().clone();
        let mut missing = Vec::new();
        for p in nargs..total {
            if matches!(frame.localsplus[p], Value::Null) {
                let d = kwdefaults.as_ref().and_then(|kd| match &kd.data {
                    Data::Dict(d) => d.borrow().get_str(&code.localsplus[p]).cloned(),
                    _ => None,
                });
                match d {
                    Some(d) => frame.localsplus[p] = d,
                    None => missing.push(code.localsplus[p].clone()),
                }
            }
        }
        if !missing.is_empty() {
            return Err(vm.type_error(format!(
                "{name}() missing {} required keyword-only argument{}: {}",
                missing.len(),
                if missing.len() == 1 { "" } else { "s" },
                name_list(&missing)
            )));
        }
    }
    Ok(())
}

fn name_list(names: &[Rc<str>]) -> String {
    let q: Vec<String> = names.iter().map(|n| format!("'{n}'")).collect();
    match q.len() {
        1 => q[0].clone(),
        2 => format!("{} and {}", q[0], q[1]),
        _ => format!("{}, and {}", q[..q.len() - 1].join(", "), q[q.len() - 1]),
    }
}

/// `LOAD_ATTR` with the method bit: `(method, self)` when the attribute is a plain method of
/// the type (no bound-method object made), else `(attribute, NULL)`.
pub fn load_method(vm: &mut Vm, obj: &Value, name: &str) -> PyResult<(Value, Value)> {
    let is_type = matches!(obj.data(), Some(Data::Type(_)));
    if !is_type
        && ty::lookup(&types().of(obj), "__getattribute__")
            .is_none_or(|g| !matches!(g.data(), Some(Data::Function(_))))
    {
        if let Some(attr) = ty::lookup(&types().of(obj), name) {
            let is_method = matches!(
                attr.data(),
                Some(Data::Function(_)) | Some(Data::MethodDescr(_))
            );
            let shadowed = obj
                .obj()
                .and_then(|o| o.dict.as_ref())
                .is_some_and(|d| d.borrow().get_str(name).is_some());
            if is_method && !shadowed {
                return Ok((attr, obj.clone()));
            }
        }
    }
    Ok((vm.getattr(obj, name)?, Value::Null))
}

/// `LOAD_SPECIAL`: `(method, self)` for a special method of the type, or `None`.
pub fn load_special_method(vm: &mut Vm, obj: &Value, name: &str) -> Option<(Value, Value)> {
    let attr = vm.lookup_special(obj, name)?;
    match attr.data() {
        Some(Data::Function(_)) | Some(Data::MethodDescr(_)) => Some((attr, obj.clone())),
        Some(Data::StaticMethod(f)) => Some((f.clone(), Value::Null)),
        _ => Some((attr, Value::Null)),
    }
}

/// `len(v)`.
pub fn len(vm: &mut Vm, v: &Value) -> PyResult {
    let n = match v.data() {
        Some(Data::Str(s)) if types().is_exact(v, &types().str_) => s.chars().count(),
        Some(Data::Tuple(t)) if types().is_exact(v, &types().tuple) => t.len(),
        Some(Data::List(l)) if types().is_exact(v, &types().list) => l.borrow().len(),
        Some(Data::Dict(d)) if types().is_exact(v, &types().dict) => d.borrow().len(),
        _ => {
            let Some(m) = vm.lookup_special(v, "__len__") else {
                return match v.data() {
                    Some(Data::Str(s)) => Ok(Value::Int(s.chars().count() as i64)),
                    Some(Data::Tuple(t)) => Ok(Value::Int(t.len() as i64)),
                    Some(Data::List(l)) => Ok(Value::Int(l.borrow().len() as i64)),
                    Some(Data::Dict(d)) => Ok(Value::Int(d.borrow().len() as i64)),
                    Some(Data::Set(s)) => Ok(Value::Int(s.borrow().len() as i64)),
                    Some(Data::FrozenSet(s)) => Ok(Value::Int(s.len() as i64)),
                    Some(Data::Bytes(b)) => Ok(Value::Int(b.len() as i64)),
                    Some(Data::ByteArray(b)) => Ok(Value::Int(b.borrow().len() as i64)),
                    Some(Data::Range(r)) => Ok(Value::Int(r.len())),
                    _ => Err(
                        vm.type_error(format!("object of type '{}' has no len()", vm.type_name(v)))
                    ),
                };
            };
            let r = vm.call(&m, std::slice::from_ref(v), &[])?;
            return match r {
                Value::Int(i) if i >= 0 => Ok(Value::Int(i)),
                Value::Bool(b) => Ok(Value::Int(b as i64)),
                Value::Int(_) => Err(vm.value_error("__len__() should return >= 0")),
                _ => Err(vm.type_error(format!(
                    "'{}' object cannot be interpreted as an integer",
                    vm.type_name(&r)
                ))),
            };
        }
    };
    Ok(Value::Int(n as i64))
}

/// `DICT_UPDATE` / `DICT_MERGE` (`func` given: the callee, for the duplicate-key error).
pub fn dict_update(
    vm: &mut Vm,
    target: &Value,
    other: &Value,
    func: Option<&Value>,
) -> PyResult<()> {
    let pairs: Vec<(Value, Value)> = match other.data() {
        Some(Data::Dict(d)) => d
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => {
            let keys = match vm.call_method(other, "keys", &[]) {
                Ok(k) => k,
                Err(_) => {
                    let msg = match func {
                        Some(f) => format!(
                            "{}() argument after ** must be a mapping, not {}",
                            func_name(vm, f),
                            vm.type_name(other)
                        ),
                        None => format!("'{}' object is not a mapping", vm.type_name(other)),
                    };
                    return Err(vm.type_error(msg));
                }
            };
            let keys = vm.collect(&keys)?;
            let mut out = Vec::new();
            for k in keys {
                let v = vm.getitem(other, &k)?;
                out.push((k, v));
            }
            out
        }
    };
    let Some(Data::Dict(d)) = target.data() else {
        return Ok(());
    };
    for (k, v) in pairs {
        let key = vm.key_of(&k)?;
        if func.is_some() && d.borrow().contains(&key) {
            let f = func.map(|f| func_name(vm, f)).unwrap_or_default();
            let ks = vm.str(&k)?;
            return Err(vm.type_error(format!(
                "{f}() got multiple values for keyword argument '{ks}'"
            )));
        }
        d.borrow_mut().insert(key, k, v);
    }
    Ok(())
}

fn func_name(vm: &mut Vm, f: &Value) -> String {
    match f.data() {
        Some(Data::Function(func)) => func.qualname.borrow().to_string(),
        Some(Data::Builtin(b)) => b.name.to_string(),
        _ => vm.type_name(f).to_string(),
    }
}

/// The keyword arguments of `CALL_FUNCTION_EX` (a dict or `NULL`).
pub fn kwargs_of(vm: &mut Vm, kw: &Value) -> PyResult<Vec<(Rc<str>, Value)>> {
    match kw.data() {
        Some(Data::Dict(d)) => {
            let mut out = Vec::new();
            for (k, v) in d.borrow().iter() {
                match k.as_str() {
                    Some(s) => out.push((Rc::from(s), v.clone())),
                    None => return Err(vm.type_error("keywords must be strings")),
                }
            }
            Ok(out)
        }
        _ => Ok(Vec::new()),
    }
}

/// `CALL_INTRINSIC_1`.
pub fn intrinsic1(vm: &mut Vm, which: u32, v: Value, frame: &mut Frame) -> PyResult {
    let name = cpyviz_model::tables::for_version(vm.version)
        .intrinsic1
        .get(which as usize)
        .copied()
        .unwrap_or("");
    match name {
        "INTRINSIC_PRINT" => {
            if !matches!(v, Value::None) {
                let r = vm.repr(&v)?;
                vm.write_text(false, &format!("{r}\n"))?;
            }
            Ok(Value::None)
        }
        "INTRINSIC_IMPORT_STAR" => {
            if let (Some(l), Some(m)) = (frame.locals.clone(), v.obj()) {
                if let Some(d) = &m.dict {
                    let items: Vec<(Value, Value)> = d
                        .borrow()
                        .iter()
                        .filter(|(k, _)| k.as_str().is_some_and(|s| !s.starts_with('_')))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    for (k, val) in items {
                        vm.setitem(&l, &k, val)?;
                    }
                }
            }
            Ok(Value::None)
        }
        "INTRINSIC_STOPITERATION_ERROR" => {
            if crate::exc::is_instance(&v, "StopIteration") {
                let re = crate::exc::new(
                    "RuntimeError",
                    vec![alloc::s("generator raised StopIteration")],
                );
                crate::exc::set_cause(&re, Some(v));
                Ok(re)
            } else {
                Ok(v)
            }
        }
        "INTRINSIC_ASYNC_GEN_WRAP" => Ok(v),
        "INTRINSIC_UNARY_POSITIVE" => vm.unary(&v, crate::ops::Unary::Pos),
        "INTRINSIC_LIST_TO_TUPLE" => match v.data() {
            Some(Data::List(l)) => Ok(alloc::tuple(l.borrow().clone())),
            _ => Ok(v),
        },
        "INTRINSIC_TYPEVAR" | "INTRINSIC_PARAMSPEC" | "INTRINSIC_TYPEVARTUPLE" => {
            crate::natives::type_param(vm, name, v, None)
        }
        "INTRINSIC_SUBSCRIPT_GENERIC" => crate::natives::generic_alias(vm, v),
        "INTRINSIC_TYPEALIAS" => crate::natives::type_alias(vm, v),
        _ => Err(vm.exc("SystemError", format!("unknown intrinsic {which}"))),
    }
}

/// `CALL_INTRINSIC_2`.
pub fn intrinsic2(vm: &mut Vm, which: u32, v1: Value, v2: Value) -> PyResult {
    let name = cpyviz_model::tables::for_version(vm.version)
        .intrinsic2
        .get(which as usize)
        .copied()
        .unwrap_or("");
    match name {
        "INTRINSIC_PREP_RERAISE_STAR" => crate::exc::prep_reraise_star(vm, v1, v2),
        "INTRINSIC_SET_FUNCTION_TYPE_PARAMS" => {
            if let Some(o) = v1.obj() {
                if let Some(d) = &o.dict {
                    d.borrow_mut().set_str("__type_params__", v2);
                }
            }
            Ok(v1)
        }
        "INTRINSIC_TYPEVAR_WITH_BOUND" | "INTRINSIC_TYPEVAR_WITH_CONSTRAINTS" => {
            crate::natives::type_param(vm, name, v1, Some(v2))
        }
        "INTRINSIC_SET_TYPEPARAM_DEFAULT" => Ok(v1),
        _ => Err(vm.exc("SystemError", format!("unknown intrinsic {which}"))),
    }
}

fn build_class(vm: &mut Vm, args: &[Value], kwargs: Kwargs) -> PyResult {
    if args.len() < 2 {
        return Err(vm.type_error("__build_class__: not enough arguments"));
    }
    let func = args[0].clone();
    let name = args[1].clone();
    // PEP 560: a base that is not a class may stand for others (`Generic[T]`).
    let orig_bases: Vec<Value> = args[2..].to_vec();
    let mut bases: Vec<Value> = Vec::with_capacity(orig_bases.len());
    let mut substituted = false;
    for b in &orig_bases {
        if !matches!(b.data(), Some(Data::Type(_))) {
            if let Some(m) = vm.getattr_opt(b, "__mro_entries__")? {
                let r = vm.call(&m, &[alloc::tuple(orig_bases.clone())], &[])?;
                bases.extend(vm.collect(&r)?);
                substituted = true;
                continue;
            }
        }
        bases.push(b.clone());
    }
    let mut meta: Option<Value> = None;
    let mut kw = Vec::new();
    for (k, v) in kwargs {
        if &**k == "metaclass" {
            meta = Some(v.clone());
        } else {
            kw.push((k.clone(), v.clone()));
        }
    }
    let meta = match meta {
        Some(m) => m,
        None => match bases.first() {
            Some(b) => Value::Obj(types().of(b)),
            None => Value::Obj(types().type_.clone()),
        },
    };
    // The most derived metaclass among the bases'.
    let mut meta = meta;
    for b in &bases {
        let bm = Value::Obj(types().of(b));
        if let (Some(Data::Type(_)), Some(m)) = (bm.data(), meta.obj()) {
            if ty::is_subtype(bm.obj().expect("a type"), m) {
                meta = bm;
            }
        }
    }
    let ns = match vm.getattr_opt(&meta, "__prepare__")? {
        Some(p) if !matches!(p.data(), Some(Data::Builtin(_))) => {
            vm.call(&p, &[name.clone(), alloc::tuple(bases.clone())], &kw)?
        }
        _ => alloc::dict(Dict::new()),
    };
    if substituted {
        vm.setitem(&ns, &alloc::s("__orig_bases__"), alloc::tuple(orig_bases))?;
    }
    let Some(Data::Function(f)) = func.data() else {
        return Err(vm.type_error("__build_class__: func must be a function"));
    };
    let mut frame = Frame::new(f.code.clone(), f.globals.clone(), Some(ns.clone()));
    frame.func = Some(func.clone());
    vm.depth += 1;
    let r = eval::run_frame(vm, &mut frame);
    vm.depth -= 1;
    let cell = match r? {
        Exit::Return(v) => v,
        Exit::Yield(_) => Value::None,
    };
    let bases_t = alloc::tuple(bases);
    let cls = if Rc::ptr_eq(meta.obj().expect("a type"), &types().type_) {
        new_class(vm, &types().type_, &name, &bases_t, &ns, &kw)?
    } else {
        vm.call(&meta, &[name, bases_t, ns], &kw)?
    };
    if let Some(Data::Cell(c)) = cell.data() {
        *c.borrow_mut() = Some(cls.clone());
    }
    Ok(cls)
}

/// The `__build_class__` builtin.
pub fn build_class_builtin() -> Value {
    thread_local! {
        static B: Value = alloc::obj(&types().builtin_function, Data::Builtin(Builtin {
            name: "__build_class__",
            owner: None,
            module: None,
            kind: MethKind::FastKw,
            func: build_class,
        }));
    }
    B.with(|b| b.clone())
}

/// `type.__new__(meta, name, bases, ns)`: a new class.
pub fn new_class(
    vm: &mut Vm,
    meta: &ObjRef,
    name: &Value,
    bases: &Value,
    ns: &Value,
    kwargs: Kwargs,
) -> PyResult {
    let name: Rc<str> = Rc::from(name.as_str().unwrap_or("?"));
    let mut bases: Vec<ObjRef> = match bases.data() {
        Some(Data::Tuple(t)) => t.iter().filter_map(|b| b.obj().cloned()).collect(),
        _ => Vec::new(),
    };
    if bases.is_empty() {
        bases.push(types().object.clone());
    }
    for b in &bases {
        if !matches!(b.data, Data::Type(_)) {
            return Err(vm.type_error("bases must be types"));
        }
        if tdata(b).final_
            || (tdata(b).builtin
                && ["bool", "NoneType", "range", "slice", "function"].contains(&&*ty::type_name(b)))
        {
            return Err(vm.type_error(format!(
                "type '{}' is not an acceptable base type",
                ty::type_name(b)
            )));
        }
    }
    let layout = bases
        .iter()
        .map(|b| tdata(b).layout)
        .find(|l| *l != Layout::Object)
        .unwrap_or(Layout::Object);
    let mut d = Dict::new();
    let mut slots = None;
    let mut qualname = name.clone();
    let mut module: Rc<str> = Rc::from("__main__");
    if let Some(Data::Dict(src)) = ns.data() {
        for (k, v) in src.borrow().iter() {
            if let Some(ks) = k.as_str() {
                match ks {
                    "__qualname__" => {
                        if let Some(q) = v.as_str() {
                            qualname = Rc::from(q);
                        }
                        continue;
                    }
                    "__classcell__" => continue,
                    "__module__" => {
                        if let Some(m) = v.as_str() {
                            module = Rc::from(m);
                        }
                    }
                    "__slots__" => {
                        let names = match v.as_str() {
                            Some(s) => vec![alloc::s(s)],
                            None => vm.collect(v)?,
                        };
                        slots = Some(
                            names
                                .iter()
                                .map(|n| Rc::from(n.as_str().unwrap_or("")))
                                .collect::<Vec<Rc<str>>>(),
                        );
                    }
                    _ => {}
                }
            }
            let key = vm.key_of(k)?;
            d.insert(key, k.clone(), v.clone());
        }
    }
    // Functions become methods; `__init_subclass__` and `__class_getitem__` are implicit
    // class methods, `__new__` an implicit static method.
    for implicit in ["__init_subclass__", "__class_getitem__"] {
        if let Some(f) = d.get_str(implicit).cloned() {
            if matches!(f.data(), Some(Data::Function(_))) {
                d.set_str(
                    implicit,
                    alloc::obj(&types().classmethod, Data::ClassMethod(f)),
                );
            }
        }
    }
    if let Some(f) = d.get_str("__new__").cloned() {
        if matches!(f.data(), Some(Data::Function(_))) {
            d.set_str(
                "__new__",
                alloc::obj(&types().staticmethod, Data::StaticMethod(f)),
            );
        }
    }
    // A class that defines __eq__ but not __hash__ is unhashable.
    if d.get_str("__eq__").is_some() && d.get_str("__hash__").is_none() {
        d.set_str("__hash__", Value::None);
    }
    let has_dict = slots.is_none() || bases.iter().any(|b| !tdata(b).builtin);
    let cls = crate::types::new_type(Some(meta), &name, bases.clone(), layout, false, has_dict);
    {
        let td = tdata(&cls);
        *td.qualname.borrow_mut() = qualname;
        *td.module.borrow_mut() = module;
        *td.slots.borrow_mut() = slots;
    }
    let mro = ty::c3_mro(&cls, &bases).ok_or_else(|| {
        vm.type_error(format!(
            "Cannot create a consistent method resolution order (MRO) for bases {}",
            bases
                .iter()
                .map(|b| ty::type_name(b).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    ty::set_mro(&cls, mro);
    for b in &bases {
        ty::add_subclass(b, &cls);
    }
    // The shared keys of an inline-values class start with the attributes its methods assign
    // (`__static_attributes__`), as `_PyDict_NewKeysForClass` makes them.
    if ty::dict_layout(&cls) == ty::DictLayout::Inline {
        if let Some(Data::Tuple(names)) = d.get_str("__static_attributes__").and_then(|v| v.data())
        {
            let mut keys = tdata(&cls).shared_keys.borrow_mut();
            for n in names.iter().filter_map(|n| n.as_str()) {
                if keys.len() == ty::SHARED_KEYS_MAX {
                    break;
                }
                if !keys.iter().any(|k| &**k == n) {
                    keys.push(Rc::from(n));
                }
            }
        }
    }
    if let Some(cd) = &cls.dict {
        *cd.borrow_mut() = d;
        ty::changed();
    }
    let clsv = Value::Obj(cls.clone());
    // __set_name__ on the namespace's descriptors.
    let items = crate::types::dict_items(&cls);
    for (k, v) in items {
        if let Some(sn) = vm.lookup_special(&v, "__set_name__") {
            if matches!(sn.data(), Some(Data::Function(_))) {
                vm.call(&sn, &[v.clone(), clsv.clone(), k.clone()], &[])?;
            }
        }
    }
    // The parent's __init_subclass__.
    if let Some(parent) = tdata(&cls).mro.borrow().get(1).cloned() {
        if let Some(init_sub) = ty::lookup(&parent, "__init_subclass__") {
            if let Some(Data::ClassMethod(f)) = init_sub.data() {
                let mut a = vec![clsv.clone()];
                a.extend(Vec::<Value>::new());
                vm.call(f, &a, kwargs)?;
            }
        }
    }
    Ok(clsv)
}

/// `IMPORT_NAME`.
pub fn import_name(vm: &mut Vm, name: &str, fromlist: &Value, level: &Value) -> PyResult {
    if matches!(level, Value::Int(l) if *l > 0) {
        return Err(vm.exc(
            "ImportError",
            "attempted relative import with no known parent package",
        ));
    }
    let top = name.split('.').next().unwrap_or(name);
    let m = match crate::modules::import(vm, name)? {
        Some(m) => m,
        None => {
            let e = crate::exc::new(
                "ModuleNotFoundError",
                vec![alloc::string(format!("No module named '{name}'"))],
            );
            return Err(Flow::Exc(e));
        }
    };
    let has_fromlist = !matches!(fromlist, Value::None)
        && !matches!(fromlist.data(), Some(Data::Tuple(t)) if t.is_empty());
    if has_fromlist || top == name {
        Ok(m)
    } else {
        crate::modules::import(vm, top)?.ok_or_else(|| vm.exc("ImportError", "no parent"))
    }
}

/// `IMPORT_FROM`.
pub fn import_from(vm: &mut Vm, m: &Value, name: &str) -> PyResult {
    match vm.getattr_opt(m, name)? {
        Some(v) => Ok(v),
        None => {
            let mname = match m.data() {
                Some(Data::Module(n)) => n.to_string(),
                _ => "?".into(),
            };
            if let Some(sub) = crate::modules::import(vm, &format!("{mname}.{name}"))? {
                return Ok(sub);
            }
            Err(vm.exc(
                "ImportError",
                format!("cannot import name '{name}' from '{mname}' (unknown location)"),
            ))
        }
    }
}

/// `GET_AWAITABLE`: a coroutine, or the iterator of `__await__`.
pub fn awaitable(vm: &mut Vm, v: &Value) -> PyResult {
    match v.data() {
        Some(Data::Generator(g)) if g.borrow().kind == crate::value::GenKind::Coroutine => {
            Ok(v.clone())
        }
        _ => match vm.lookup_special(v, "__await__") {
            Some(a) => vm.call(&a, std::slice::from_ref(v), &[]),
            None => Err(vm.type_error(format!("'{}' object can't be awaited", vm.type_name(v)))),
        },
    }
}

/// `MATCH_CLASS`: the tuple of extracted attributes, or `None`.
pub fn match_class(
    vm: &mut Vm,
    subject: &Value,
    cls: &Value,
    npos: usize,
    names: &Value,
) -> PyResult {
    let Some(c) = cls.obj().filter(|c| matches!(c.data, Data::Type(_))) else {
        return Err(vm.type_error("called match pattern must be a class"));
    };
    if !ty::is_subtype(&types().of(subject), c) {
        return Ok(Value::None);
    }
    let mut out = Vec::new();
    if npos > 0 {
        let match_args = vm.getattr_opt(cls, "__match_args__")?;
        let self_match = tdata(c).builtin
            && matches!(
                tdata(c).layout,
                Layout::Int
                    | Layout::Float
                    | Layout::Str
                    | Layout::Bytes
                    | Layout::Tuple
                    | Layout::List
                    | Layout::Dict
                    | Layout::Set
                    | Layout::FrozenSet
            );
        match match_args {
            Some(ma) => {
                let items = match ma.data() {
                    Some(Data::Tuple(t)) => t.clone(),
                    _ => {
                        return Err(vm.type_error(format!(
                            "{}.__match_args__ must be a tuple (got {})",
                            ty::type_name(c),
                            vm.type_name(&ma)
                        )))
                    }
                };
                if npos > items.len() {
                    return Err(vm.type_error(format!(
                        "{}() accepts {} positional sub-pattern{} ({} given)",
                        ty::type_name(c),
                        items.len(),
                        if items.len() == 1 { "" } else { "s" },
                        npos
                    )));
                }
                for n in &items[..npos] {
                    let n = n.as_str().unwrap_or("").to_string();
                    match vm.getattr_opt(subject, &n)? {
                        Some(v) => out.push(v),
                        None => return Ok(Value::None),
                    }
                }
            }
            None if self_match && npos == 1 => out.push(subject.clone()),
            None => {
                return Err(vm.type_error(format!(
                    "{}() accepts 0 positional sub-patterns ({} given)",
                    ty::type_name(c),
                    npos
                )))
            }
        }
    }
    if let Some(Data::Tuple(kw)) = names.data() {
        for n in kw {
            let n = n.as_str().unwrap_or("").to_string();
            match vm.getattr_opt(subject, &n)? {
                Some(v) => out.push(v),
                None => return Ok(Value::None),
            }
        }
    }
    Ok(alloc::tuple(out))
}

/// `MATCH_MAPPING`: the subject's type is a mapping (`Py_TPFLAGS_MAPPING`).
pub fn is_mapping(v: &Value) -> bool {
    let t = types().of(v);
    let mro = tdata(&t).mro.borrow();
    mro.iter()
        .any(|c| Rc::ptr_eq(c, &types().dict) || crate::natives::is_abc(c, "Mapping"))
}

/// `MATCH_SEQUENCE`: the subject's type is a sequence (`Py_TPFLAGS_SEQUENCE`; not str/bytes).
pub fn is_sequence(v: &Value) -> bool {
    let t = types().of(v);
    let mro = tdata(&t).mro.borrow();
    mro.iter().any(|c| {
        Rc::ptr_eq(c, &types().list)
            || Rc::ptr_eq(c, &types().tuple)
            || Rc::ptr_eq(c, &types().range)
            || crate::natives::is_abc(c, "Sequence")
            || crate::natives::is_native_sequence(c)
    })
}

/// `MATCH_KEYS`: the values of `keys` in the subject, as a tuple, or `None`.
pub fn match_keys(vm: &mut Vm, subject: &Value, keys: &Value) -> PyResult {
    let Some(Data::Tuple(ks)) = keys.data() else {
        return Ok(Value::None);
    };
    let mut out = Vec::new();
    for k in ks {
        match subject.data() {
            Some(Data::Dict(d)) => {
                let key = vm.key_of(k)?;
                let v = d.borrow().get(&key).cloned();
                match v {
                    Some(v) => out.push(v),
                    None => return Ok(Value::None),
                }
            }
            _ => match vm.call_method(subject, "get", &[k.clone(), Value::Null]) {
                Ok(Value::Null) | Err(_) => return Ok(Value::None),
                Ok(v) => out.push(v),
            },
        }
    }
    Ok(alloc::tuple(out))
}

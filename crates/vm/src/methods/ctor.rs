//! Constructors of the builtin types (`tp_new`, with `tp_init` where CPython's vectorcall
//! does both), and the methods of `property`, `slice` and `range`.

use super::num::{float_value, int_value, parse_int, to_int};
use super::{arg, eq, index, kw_only, kwarg, nargs, param, Entry, Kw};
use crate::alloc::{self, types};
use crate::dict::Dict;
use crate::types::{lookup, tdata, type_name};
use crate::value::{
    Data, ExcData, IterState, Layout, MethKind::*, Obj, ObjRef, Property, Range, Value,
};
use crate::{PyResult, Vm};
use num_bigint::BigInt;
use num_traits::ToPrimitive;
use std::cell::RefCell;
use std::rc::Rc;

pub(super) fn install(_vm: &mut Vm) {
    let entries: &[Entry] = &[
        ("getter", O, prop_getter),
        ("setter", O, prop_setter),
        ("deleter", O, prop_deleter),
    ];
    super::add_all(&types().property, "property", entries);
    super::add_all(&types().slice, "slice", &[("indices", O, slice_indices)]);
    super::add_all(
        &types().range,
        "range",
        &[("count", O, range_count), ("index", O, range_index)],
    );
}

/// The builtin type `cls` derives its layout from (`cls` itself for builtin types).
pub fn builtin_base(cls: &ObjRef) -> ObjRef {
    tdata(cls)
        .mro
        .borrow()
        .iter()
        .find(|c| tdata(c).builtin)
        .cloned()
        .unwrap_or_else(|| types().object.clone())
}

/// An instance of `cls` (a subclass of a builtin type) with payload `data`.
pub fn instance(cls: &ObjRef, data: Data) -> Value {
    let dict = if crate::call::class_has_dict(cls) {
        let mut d = Dict::new();
        d.inline_valid = crate::types::dict_layout(cls) == crate::types::DictLayout::Inline;
        Some(RefCell::new(d))
    } else {
        None
    };
    Value::Obj(crate::alloc::new_obj(Obj {
        cls: Some(cls.clone()),
        dict,
        data,
    }))
}

/// Whether `cls` has an `__init__` written in Python (then `type.__call__` runs it, and a
/// mutable builtin base starts out empty, as `tp_new` leaves it).
fn has_py_init(cls: &ObjRef) -> bool {
    lookup(cls, "__init__").is_some_and(|i| matches!(i.data(), Some(Data::Function(_))))
}

/// `type.__call__`'s construction step for classes whose solid base is not `object`:
/// `Some(instance)` — complete for builtin types and for subclasses without a Python
/// `__init__`; `None` for classes over `object` (the caller makes a plain instance).
/// Library types (`collections.deque`, `itertools.count`, …) are made by
/// [`crate::modules::construct`].
pub fn construct(vm: &mut Vm, cls: &ObjRef, args: &[Value], kwargs: Kw) -> PyResult<Option<Value>> {
    let base = builtin_base(cls);
    let exact = Rc::ptr_eq(&base, cls);
    if &**tdata(&base).module.borrow() != "builtins" {
        return crate::modules::construct(vm, cls, &base, args, kwargs);
    }
    let t = types();
    let name = type_name(&base);
    let tname = type_name(cls);
    let mk = |vm: &mut Vm, v: Value, data: fn(&Value) -> Option<Data>| -> PyResult<Option<Value>> {
        if exact {
            return Ok(Some(v));
        }
        match data(&v) {
            Some(d) => Ok(Some(instance(cls, d))),
            None => Err(vm.type_error("cannot make an instance of this subclass")),
        }
    };
    if tdata(&base).layout == Layout::Exception {
        return new_exception(vm, cls, args, kwargs).map(Some);
    }
    match &*name {
        "object" => Ok(None),
        "int" => {
            let v = new_int(vm, args, kwargs)?;
            mk(vm, v, |v| int_value(v).map(Data::Long))
        }
        "bool" => {
            kw_only(vm, "bool", kwargs, &[])?;
            nargs(vm, "bool", args.len(), 0, 1)?;
            let b = match args.first() {
                Some(v) => vm.truthy(v)?,
                None => false,
            };
            Ok(Some(Value::Bool(b)))
        }
        "float" => {
            kw_only(vm, "float", kwargs, &[])?;
            nargs(vm, "float", args.len(), 0, 1)?;
            let f = match args.first() {
                Some(v) => to_float(vm, v)?,
                None => 0.0,
            };
            if exact {
                Ok(Some(Value::Float(f)))
            } else {
                Ok(Some(instance(cls, Data::Float(f))))
            }
        }
        "complex" => {
            let v = new_complex(vm, args, kwargs)?;
            mk(vm, v, |v| match v.data() {
                Some(Data::Complex(a, b)) => Some(Data::Complex(*a, *b)),
                _ => None,
            })
        }
        "str" => {
            let v = new_str(vm, args, kwargs)?;
            mk(vm, v, |v| v.as_str().map(|s| Data::Str(Rc::from(s))))
        }
        "bytes" => {
            let b = bytes_from_args(vm, "bytes", args, kwargs)?;
            if exact {
                Ok(Some(alloc::bytes(b)))
            } else {
                Ok(Some(instance(cls, Data::Bytes(Rc::from(b)))))
            }
        }
        "bytearray" => {
            let b = if !exact && has_py_init(cls) {
                Vec::new()
            } else {
                bytes_from_args(vm, "bytearray", args, kwargs)?
            };
            let c = if exact { &t.bytearray } else { cls };
            Ok(Some(instance(c, Data::ByteArray(RefCell::new(b)))))
        }
        "tuple" => {
            if !kwargs.is_empty() {
                return Err(vm.type_error("tuple() takes no keyword arguments"));
            }
            nargs(vm, "tuple", args.len(), 0, 1)?;
            let items = match args.first() {
                Some(v) => match v.data() {
                    Some(Data::Tuple(_)) if exact && t.is_exact(v, &t.tuple) => {
                        return Ok(Some(v.clone()))
                    }
                    _ => vm.collect(v)?,
                },
                None => Vec::new(),
            };
            if exact {
                Ok(Some(alloc::tuple(items)))
            } else {
                Ok(Some(instance(cls, Data::Tuple(items))))
            }
        }
        "list" => {
            if !exact && has_py_init(cls) {
                return Ok(Some(instance(cls, Data::List(RefCell::new(Vec::new())))));
            }
            if let Some((k, _)) = kwargs.first() {
                return Err(vm.type_error(format!("list() takes no keyword arguments (got '{k}')")));
            }
            nargs(vm, "list", args.len(), 0, 1)?;
            let items = match args.first() {
                Some(v) => vm.collect(v)?,
                None => Vec::new(),
            };
            vm.charge(8 * items.len() as u64)?;
            let c = if exact { &t.list } else { cls };
            Ok(Some(instance_or_plain(
                c,
                exact,
                Data::List(RefCell::new(items)),
            )))
        }
        "dict" => {
            let d = RefCell::new(Dict::new());
            if exact || !has_py_init(cls) {
                super::dict::fill(vm, &d, "dict", args, kwargs)?;
            }
            let c = if exact { &t.dict } else { cls };
            Ok(Some(instance_or_plain(c, exact, Data::Dict(d))))
        }
        "set" | "frozenset" => {
            let frozen = &*name == "frozenset";
            if !kwargs.is_empty() {
                return Err(vm.type_error(format!("{name}() takes no keyword arguments")));
            }
            nargs(vm, &name, args.len(), 0, 1)?;
            let s = if !frozen && !exact && has_py_init(cls) {
                crate::set::Set::new()
            } else {
                match args.first() {
                    Some(v) => super::set::set_of(vm, v)?,
                    None => crate::set::Set::new(),
                }
            };
            if frozen {
                if exact {
                    if let Some(v) = args.first() {
                        if t.is_exact(v, &t.frozenset) {
                            return Ok(Some(v.clone()));
                        }
                    }
                    return Ok(Some(alloc::frozenset(s)));
                }
                return Ok(Some(instance(cls, Data::FrozenSet(s))));
            }
            let c = if exact { &t.set } else { cls };
            Ok(Some(instance_or_plain(
                c,
                exact,
                Data::Set(RefCell::new(s)),
            )))
        }
        "range" => new_range(vm, args, kwargs).map(Some),
        "slice" => {
            if !kwargs.is_empty() {
                return Err(vm.type_error("slice() takes no keyword arguments"));
            }
            nargs(vm, "slice", args.len(), 1, 3)?;
            let (a, b, c) = match args.len() {
                1 => (Value::None, args[0].clone(), Value::None),
                2 => (args[0].clone(), args[1].clone(), Value::None),
                _ => (args[0].clone(), args[1].clone(), args[2].clone()),
            };
            Ok(Some(alloc::obj(&t.slice, Data::Slice(a, b, c))))
        }
        "property" => {
            if args.len() > 4 {
                return Err(vm.type_error(format!(
                    "property() takes at most 4 arguments ({} given)",
                    args.len()
                )));
            }
            kw_only(vm, "property", kwargs, &["fget", "fset", "fdel", "doc"])?;
            let get = |i: usize, n: &str| -> PyResult<Value> {
                Ok(param(vm, "property", args, kwargs, i, n)?.unwrap_or(Value::None))
            };
            let fget = get(0, "fget")?;
            let fset = get(1, "fset")?;
            let fdel = get(2, "fdel")?;
            let mut doc = get(3, "doc")?;
            if matches!(doc, Value::None) && !matches!(fget, Value::None) {
                doc = vm.getattr_opt(&fget, "__doc__")?.unwrap_or(Value::None);
            }
            let p = Data::Property(Property {
                fget,
                fset,
                fdel,
                doc,
            });
            Ok(Some(if exact {
                alloc::obj(&t.property, p)
            } else {
                instance(cls, p)
            }))
        }
        "staticmethod" | "classmethod" => {
            kw_only(vm, &name, kwargs, &[])?;
            nargs(vm, &name, args.len(), 1, 1)?;
            let f = args[0].clone();
            let data = if &*name == "staticmethod" {
                Data::StaticMethod(f)
            } else {
                Data::ClassMethod(f)
            };
            let c = if exact {
                if &*name == "staticmethod" {
                    &t.staticmethod
                } else {
                    &t.classmethod
                }
            } else {
                cls
            };
            Ok(Some(alloc::obj_with_dict(c, data)))
        }
        "enumerate" => {
            kw_only(vm, "enumerate", kwargs, &["iterable", "start"])?;
            nargs(vm, "enumerate", args.len(), 0, 2)?;
            let Some(src) = param(vm, "enumerate", args, kwargs, 0, "iterable")? else {
                return Err(vm.type_error("enumerate() missing required argument 'iterable'"));
            };
            let start = match param(vm, "enumerate", args, kwargs, 1, "start")? {
                Some(v) => match v {
                    Value::Int(i) => i,
                    Value::Bool(b) => b as i64,
                    _ => match super::big_index(vm, &v)? {
                        Some(b) => b.to_i64().ok_or_else(|| {
                            vm.exc("OverflowError", "enumerate start is too large")
                        })?,
                        None => {
                            return Err(vm.type_error(format!(
                                "'{}' object cannot be interpreted as an integer",
                                vm.type_name(&v)
                            )))
                        }
                    },
                },
                None => 0,
            };
            let it = vm.iter(&src)?;
            Ok(Some(iterator(
                cls,
                exact,
                "enumerate",
                IterState::Enumerate(it, start),
            )))
        }
        "zip" => {
            let strict = match kwarg(kwargs, "strict") {
                Some(v) => vm.truthy(&v)?,
                None => false,
            };
            if kwargs.len() > 1 || (kwargs.len() == 1 && &*kwargs[0].0 != "strict") {
                return Err(vm.type_error(if kwargs.len() > 1 {
                    format!(
                        "zip() takes at most 1 keyword argument ({} given)",
                        kwargs.len()
                    )
                } else {
                    format!("zip() got an unexpected keyword argument '{}'", kwargs[0].0)
                }));
            }
            let mut its = Vec::with_capacity(args.len());
            for a in args {
                its.push(vm.iter(a)?);
            }
            Ok(Some(iterator(
                cls,
                exact,
                "zip",
                IterState::Zip(its, strict),
            )))
        }
        "map" => {
            if exact && !kwargs.is_empty() {
                return Err(vm.type_error("map() takes no keyword arguments"));
            }
            if args.len() < 2 {
                return Err(vm.type_error("map() must have at least two arguments."));
            }
            let mut its = Vec::with_capacity(args.len() - 1);
            for a in &args[1..] {
                its.push(vm.iter(a)?);
            }
            Ok(Some(iterator(
                cls,
                exact,
                "map",
                IterState::Map(args[0].clone(), its),
            )))
        }
        "filter" => {
            if exact && !kwargs.is_empty() {
                return Err(vm.type_error("filter() takes no keyword arguments"));
            }
            nargs(vm, "filter", args.len(), 2, 2)?;
            let it = vm.iter(&args[1])?;
            Ok(Some(iterator(
                cls,
                exact,
                "filter",
                IterState::Filter(args[0].clone(), it),
            )))
        }
        "reversed" => {
            if exact && !kwargs.is_empty() {
                return Err(vm.type_error("reversed() takes no keyword arguments"));
            }
            nargs(vm, "reversed", args.len(), 1, 1)?;
            reversed(vm, &args[0]).map(Some)
        }
        "NoneType" => {
            if !args.is_empty() || !kwargs.is_empty() {
                return Err(vm.type_error("NoneType takes no arguments"));
            }
            Ok(Some(Value::None))
        }
        "NotImplementedType" => Ok(Some(Value::NotImplemented)),
        "ellipsis" => Ok(Some(Value::Ellipsis)),
        "super" => new_super(vm, cls, args, kwargs).map(Some),
        // `type(...)` is made by the call machinery itself.
        "type" => Ok(None),
        _ => Err(vm.type_error(format!("cannot create '{tname}' instances"))),
    }
}

fn instance_or_plain(cls: &ObjRef, exact: bool, data: Data) -> Value {
    if exact {
        alloc::obj(cls, data)
    } else {
        instance(cls, data)
    }
}

fn iterator(cls: &ObjRef, exact: bool, name: &str, st: IterState) -> Value {
    if exact {
        alloc::iter(name, st)
    } else {
        instance(cls, Data::Iter(RefCell::new(st)))
    }
}

/// `reversed(seq)`: `__reversed__`, else the sequence protocol.
pub fn reversed(vm: &mut Vm, v: &Value) -> PyResult {
    let t = types();
    match v.data() {
        Some(Data::List(l)) if t.is_exact(v, &t.list) => {
            let n = l.borrow().len();
            return Ok(alloc::iter(
                "list_reverseiterator",
                IterState::Reversed(v.clone(), n),
            ));
        }
        Some(Data::Range(r)) => {
            let n = r.len();
            let (next, step) = if n == 0 {
                (r.start, -r.step)
            } else {
                (r.get(n - 1), -r.step)
            };
            let stop = next.wrapping_add(step.wrapping_mul(n));
            return Ok(alloc::iter(
                "range_iterator",
                IterState::Range { next, stop, step },
            ));
        }
        Some(Data::Dict(d)) if t.is_exact(v, &t.dict) => {
            let keys: std::collections::VecDeque<Value> = {
                let mut ks: Vec<Value> = d.borrow().iter().map(|(k, _)| k.clone()).collect();
                ks.reverse();
                ks.into_iter().collect()
            };
            return Ok(alloc::iter("generic_iterator", IterState::Values(keys)));
        }
        _ => {}
    }
    let is_core = {
        let ty = t.of(v);
        let td = tdata(&ty);
        td.builtin && &**td.module.borrow() == "builtins"
    };
    if !is_core {
        if let Some(m) = vm.lookup_special(v, "__reversed__") {
            if matches!(m, Value::None) {
                return Err(
                    vm.type_error(format!("'{}' object is not reversible", vm.type_name(v)))
                );
            }
            return vm.call(&m, std::slice::from_ref(v), &[]);
        }
    }
    let seq = matches!(
        v.data(),
        Some(Data::Tuple(_) | Data::Str(_) | Data::Bytes(_) | Data::ByteArray(_) | Data::List(_))
    ) || (vm.lookup_special(v, "__getitem__").is_some()
        && vm.lookup_special(v, "__len__").is_some());
    if !seq
        || matches!(
            v.data(),
            Some(Data::Dict(_) | Data::Set(_) | Data::FrozenSet(_))
        )
    {
        return Err(vm.type_error(format!("'{}' object is not reversible", vm.type_name(v))));
    }
    let n = match crate::call::len(vm, v)? {
        Value::Int(n) => n.max(0) as usize,
        _ => 0,
    };
    Ok(alloc::iter("reversed", IterState::Reversed(v.clone(), n)))
}

fn new_int(vm: &mut Vm, args: &[Value], kwargs: Kw) -> PyResult {
    kw_only(vm, "int", kwargs, &["base"])?;
    nargs(vm, "int", args.len(), 0, 2)?;
    let base_v = param(vm, "int", args, kwargs, 1, "base")?;
    let Some(x) = args.first() else {
        if base_v.is_some() {
            return Err(vm.type_error("int() missing string argument"));
        }
        return Ok(Value::Int(0));
    };
    let text: Option<String> = match x.data() {
        Some(Data::Str(s)) => Some(s.to_string()),
        Some(Data::Bytes(b)) => Some(String::from_utf8_lossy(b).into_owned()),
        Some(Data::ByteArray(b)) => Some(String::from_utf8_lossy(&b.borrow()).into_owned()),
        _ => None,
    };
    let Some(text) = text else {
        if base_v.is_some() {
            return Err(vm.type_error("int() can't convert non-string with explicit base"));
        }
        return to_int(vm, x);
    };
    let base = match base_v {
        Some(b) => index(vm, &b)?,
        None => 10,
    };
    if base != 0 && !(2..=36).contains(&base) {
        return Err(vm.value_error("int() base must be >= 2 and <= 36, or 0"));
    }
    match parse_int(&text, base as u32) {
        Some(n) => match digits_over_limit(&text, base as u32) {
            Some(digits) => Err(vm.value_error(format!(
                "Exceeds the limit ({} digits) for integer string conversion: value has \
                 {digits} digits; use sys.set_int_max_str_digits() to increase the limit",
                crate::ops::repr::MAX_STR_DIGITS
            ))),
            None => Ok(alloc::big(n)),
        },
        None => {
            // `%.200R`: at most 200 characters of the repr.
            let shown: String = vm.repr(x)?.chars().take(200).collect();
            Err(vm.value_error(format!(
                "invalid literal for int() with base {base}: {shown}"
            )))
        }
    }
}

/// CPython's limit on `int(text, base)` (`long_from_non_binary_base`), checked once `text` is
/// a valid literal: for a base that is not a power of two it may hold at most
/// [`MAX_STR_DIGITS`](crate::ops::repr::MAX_STR_DIGITS) digits (underscores not counted).
/// Returns how many it holds when that is too many.
fn digits_over_limit(text: &str, base: u32) -> Option<usize> {
    let t = text.trim_matches(crate::methods::str_is_space);
    let prefixed = t
        .trim_start_matches(['-', '+'])
        .get(..2)
        .is_some_and(|h| ["0x", "0o", "0b"].iter().any(|p| h.eq_ignore_ascii_case(p)));
    if (base == 0 && prefixed) || base.is_power_of_two() {
        return None;
    }
    let digits = t.chars().filter(|c| c.is_alphanumeric()).count();
    (digits > crate::ops::repr::MAX_STR_DIGITS).then_some(digits)
}

/// Parses a float literal as `float(str)` accepts it.
pub fn parse_float(text: &str) -> Option<f64> {
    let t = text.trim_matches(super::str_is_space);
    let (neg, body) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let lower = body.to_ascii_lowercase();
    let v = match lower.as_str() {
        "inf" | "infinity" => f64::INFINITY,
        "nan" => f64::NAN,
        _ => {
            if lower.is_empty()
                || lower.contains("__")
                || lower.starts_with('_')
                || lower.ends_with('_')
            {
                return None;
            }
            let bytes = lower.as_bytes();
            for (i, &c) in bytes.iter().enumerate() {
                if c == b'_' {
                    let ok = i > 0
                        && bytes[i - 1].is_ascii_digit()
                        && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
                    if !ok {
                        return None;
                    }
                } else if !(c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'+' | b'-')) {
                    return None;
                }
            }
            lower.replace('_', "").parse::<f64>().ok()?
        }
    };
    Some(if neg { -v } else { v })
}

/// `float(x)`.
pub fn to_float(vm: &mut Vm, v: &Value) -> PyResult<f64> {
    if let Some(f) = float_value(v) {
        return Ok(f);
    }
    if let Some(b) = int_value(v) {
        return big_to_f64(vm, &b);
    }
    let text = match v.data() {
        Some(Data::Str(s)) => Some(s.to_string()),
        Some(Data::Bytes(b)) => Some(String::from_utf8_lossy(b).into_owned()),
        _ => None,
    };
    if let Some(text) = text {
        return parse_float(&text).ok_or_else(|| {
            let shown = vm.repr(v).map(|s| s.to_string()).unwrap_or_default();
            vm.value_error(format!("could not convert string to float: {shown}"))
        });
    }
    if let Some(f) = float_from_dunder(vm, v)? {
        return Ok(f);
    }
    if let Some(b) = super::big_index(vm, v)? {
        return big_to_f64(vm, &b);
    }
    Err(vm.type_error(format!(
        "float() argument must be a string or a real number, not '{}'",
        vm.type_name(v)
    )))
}

/// An int as a float (`OverflowError` past the float range).
pub fn big_to_f64(vm: &Vm, b: &BigInt) -> PyResult<f64> {
    match b.to_f64() {
        Some(f) if f.is_finite() => Ok(f),
        _ => Err(vm.exc("OverflowError", "int too large to convert to float")),
    }
}

fn parse_complex(text: &str) -> Option<(f64, f64)> {
    let t = text.trim();
    let t = t
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or(t)
        .trim();
    if let Some(body) = t.strip_suffix(['j', 'J']) {
        // Split at the last sign that is not part of an exponent.
        let bytes = body.as_bytes();
        let mut split = None;
        for i in (1..bytes.len()).rev() {
            if (bytes[i] == b'+' || bytes[i] == b'-') && !matches!(bytes[i - 1], b'e' | b'E') {
                split = Some(i);
                break;
            }
        }
        let im_of = |s: &str| -> Option<f64> {
            match s {
                "" | "+" => Some(1.0),
                "-" => Some(-1.0),
                _ => parse_float(s),
            }
        };
        return match split {
            Some(i) => Some((parse_float(&body[..i])?, im_of(&body[i..])?)),
            None => Some((0.0, im_of(body)?)),
        };
    }
    Some((parse_float(t)?, 0.0))
}

fn complex_parts(vm: &mut Vm, v: &Value) -> PyResult<(f64, f64)> {
    match v.data() {
        Some(Data::Complex(a, b)) => Ok((*a, *b)),
        _ => {
            if vm.lookup_special(v, "__complex__").is_some() {
                let r = vm.call_method(v, "__complex__", &[])?;
                if let Some(Data::Complex(a, b)) = r.data() {
                    return Ok((*a, *b));
                }
            }
            match to_float(vm, v) {
                Ok(f) => Ok((f, 0.0)),
                Err(_) => Err(vm.type_error(format!(
                    "complex() argument 'real' must be a real number, not {}",
                    vm.type_name(v)
                ))),
            }
        }
    }
}

fn new_complex(vm: &mut Vm, args: &[Value], kwargs: Kw) -> PyResult {
    kw_only(vm, "complex", kwargs, &["real", "imag"])?;
    nargs(vm, "complex", args.len(), 0, 2)?;
    let real = param(vm, "complex", args, kwargs, 0, "real")?;
    let imag = param(vm, "complex", args, kwargs, 1, "imag")?;
    if let Some(s) = real.as_ref().and_then(|r| r.as_str().map(String::from)) {
        if imag.is_some() {
            return Err(vm.type_error("complex() can't take second arg if first is a string"));
        }
        return match parse_complex(&s) {
            Some((a, b)) => Ok(alloc::complex(a, b)),
            None => Err(vm.value_error("complex() arg is a malformed string")),
        };
    }
    let (ar, ai) = match &real {
        Some(r) => complex_parts(vm, r)?,
        None => (0.0, 0.0),
    };
    let (br, bi) = match &imag {
        Some(i) => complex_parts(vm, i)?,
        None => (0.0, 0.0),
    };
    Ok(alloc::complex(ar - bi, ai + br))
}

fn new_str(vm: &mut Vm, args: &[Value], kwargs: Kw) -> PyResult {
    kw_only(vm, "str", kwargs, &["object", "encoding", "errors"])?;
    nargs(vm, "str", args.len(), 0, 3)?;
    let obj = param(vm, "str", args, kwargs, 0, "object")?;
    let enc = param(vm, "str", args, kwargs, 1, "encoding")?;
    let errors = param(vm, "str", args, kwargs, 2, "errors")?;
    let Some(obj) = obj else {
        return Ok(alloc::s(""));
    };
    if enc.is_none() && errors.is_none() {
        if types().is_exact(&obj, &types().str_) {
            return Ok(obj);
        }
        return Ok(alloc::str_value(vm.str(&obj)?));
    }
    let bytes = match obj.data() {
        Some(Data::Bytes(b)) => b.to_vec(),
        Some(Data::ByteArray(b)) => b.borrow().clone(),
        Some(Data::Str(_)) => return Err(vm.type_error("decoding str is not supported")),
        _ => {
            return Err(vm.type_error(format!(
                "decoding to str: need a bytes-like object, {} found",
                vm.type_name(&obj)
            )))
        }
    };
    let enc = enc
        .and_then(|e| e.as_str().map(String::from))
        .unwrap_or_else(|| "utf-8".into());
    let errors = errors
        .and_then(|e| e.as_str().map(String::from))
        .unwrap_or_else(|| "strict".into());
    Ok(alloc::string(super::bytes::decode_bytes(
        vm, &bytes, &enc, &errors,
    )?))
}

/// The contents of `bytes(...)` / `bytearray(...)`.
pub fn bytes_from_args(vm: &mut Vm, name: &str, args: &[Value], kwargs: Kw) -> PyResult<Vec<u8>> {
    kw_only(vm, name, kwargs, &["source", "encoding", "errors"])?;
    nargs(vm, name, args.len(), 0, 3)?;
    let src = param(vm, name, args, kwargs, 0, "source")?;
    let enc = param(vm, name, args, kwargs, 1, "encoding")?;
    let errors = param(vm, name, args, kwargs, 2, "errors")?;
    let Some(src) = src else {
        return Ok(Vec::new());
    };
    if let Some(s) = src.as_str() {
        let Some(enc) = enc else {
            return Err(vm.type_error("string argument without an encoding"));
        };
        let e = enc.as_str().unwrap_or("utf-8").to_string();
        let er = errors
            .as_ref()
            .and_then(|e| e.as_str())
            .unwrap_or("strict")
            .to_string();
        return super::encode_str(vm, s, &e, &er);
    }
    if enc.is_some() {
        return Err(vm.type_error("encoding without a string argument"));
    }
    if let Value::Int(n) = src {
        if n < 0 {
            return Err(vm.value_error("negative count"));
        }
        vm.charge(n as u64)?;
        return Ok(vec![0; n as usize]);
    }
    super::bytes::bytes_like(vm, &src)
}

fn new_range(vm: &mut Vm, args: &[Value], kwargs: Kw) -> PyResult {
    if !kwargs.is_empty() {
        return Err(vm.type_error("range() takes no keyword arguments"));
    }
    nargs(vm, "range", args.len(), 1, 3)?;
    let mut v = Vec::with_capacity(3);
    for a in args {
        v.push(range_arg(vm, a)?);
    }
    let (start, stop, step) = match v.len() {
        1 => (0, v[0], 1),
        2 => (v[0], v[1], 1),
        _ => (v[0], v[1], v[2]),
    };
    if step == 0 {
        return Err(vm.value_error("range() arg 3 must not be zero"));
    }
    Ok(alloc::obj(
        &types().range,
        Data::Range(Range { start, stop, step }),
    ))
}

fn range_arg(vm: &mut Vm, v: &Value) -> PyResult<i64> {
    match super::big_index(vm, v)? {
        Some(b) => b.to_i64().ok_or_else(|| {
            vm.exc(
                "OverflowError",
                "Python int too large to convert to C ssize_t",
            )
        }),
        None => Err(vm.type_error(format!(
            "'{}' object cannot be interpreted as an integer",
            vm.type_name(v)
        ))),
    }
}

/// `BaseException.__new__`: `args` is every positional argument; `ExceptionGroup(msg, excs)`
/// checks its arguments and becomes an `ExceptionGroup` when all members are `Exception`s.
fn new_exception(vm: &mut Vm, cls: &ObjRef, args: &[Value], kwargs: Kw) -> PyResult {
    let t = types();
    let is_group = crate::types::is_subtype(cls, &t.exc["BaseExceptionGroup"]);
    if !kwargs.is_empty() && !has_py_init(cls) {
        return Err(vm.type_error(format!("{}() takes no keyword arguments", type_name(cls))));
    }
    let mut data = crate::exc::empty_data();
    data.args = args.to_vec();
    let mut cls = cls.clone();
    if is_group {
        let name = type_name(&cls);
        nargs(vm, &name, args.len(), 2, 2)?;
        if args[0].as_str().is_none() {
            return Err(vm.type_error(format!(
                "argument 1 must be str, not {}",
                vm.type_name(&args[0])
            )));
        }
        let excs = match args[1].data() {
            Some(Data::List(l)) => l.borrow().clone(),
            Some(Data::Tuple(t)) => t.clone(),
            _ => return Err(vm.type_error("second argument (exceptions) must be a sequence")),
        };
        if excs.is_empty() {
            return Err(vm.value_error("second argument (exceptions) must be a non-empty sequence"));
        }
        let mut all_exc = true;
        for (i, e) in excs.iter().enumerate() {
            let et = t.of(e);
            if !crate::types::is_subtype(&et, &t.exc["BaseException"]) {
                return Err(vm.value_error(format!(
                    "Item {i} of second argument (exceptions) is not an exception"
                )));
            }
            all_exc &= crate::types::is_subtype(&et, &t.exc["Exception"]);
        }
        let is_base = Rc::ptr_eq(&cls, &t.exc["BaseExceptionGroup"]);
        if is_base && all_exc {
            cls = t.exc["ExceptionGroup"].clone();
        } else if !all_exc && crate::types::is_subtype(&cls, &t.exc["Exception"]) {
            return Err(vm.type_error(format!(
                "Cannot nest BaseExceptions in {}",
                if Rc::ptr_eq(&cls, &t.exc["ExceptionGroup"]) {
                    "an ExceptionGroup".to_string()
                } else {
                    format!("'{}'", type_name(&cls))
                }
            )));
        }
        data.args = vec![args[0].clone(), alloc::tuple(excs.clone())];
        data.exceptions = excs;
    }
    Ok(exception_value(&cls, data))
}

/// An exception object of class `cls`.
pub fn exception_value(cls: &ObjRef, data: ExcData) -> Value {
    Value::Obj(crate::alloc::new_obj(Obj {
        cls: Some(cls.clone()),
        dict: Some(RefCell::new(Dict::new())),
        data: Data::Exception(RefCell::new(data)),
    }))
}

fn prop_with(vm: &mut Vm, args: &[Value], which: usize) -> PyResult {
    let Some(Data::Property(p)) = args.first().and_then(|v| v.data()) else {
        return Err(super::descr_self_error(vm, args, "property", "getter"));
    };
    let f = arg(args, 1);
    let mut parts = [p.fget.clone(), p.fset.clone(), p.fdel.clone()];
    parts[which] = f;
    let [fget, fset, fdel] = parts;
    let doc = p.doc.clone();
    let cls = types().of(&args[0]);
    Ok(alloc::obj(
        &cls,
        Data::Property(Property {
            fget,
            fset,
            fdel,
            doc,
        }),
    ))
}

fn prop_getter(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    prop_with(vm, args, 0)
}

fn prop_setter(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    prop_with(vm, args, 1)
}

fn prop_deleter(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    prop_with(vm, args, 2)
}

/// `slice.indices(length)`: `(start, stop, step)` clipped to a sequence of that length.
fn slice_indices(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let Some(Data::Slice(a, b, c)) = args.first().and_then(|v| v.data()) else {
        return Err(super::descr_self_error(vm, args, "slice", "indices"));
    };
    let len = index(vm, &arg(args, 1))?;
    if len < 0 {
        return Err(vm.value_error("length should not be negative"));
    }
    let step = match c {
        Value::None => 1,
        v => super::slice_index(vm, v)?,
    };
    if step == 0 {
        return Err(vm.value_error("slice step cannot be zero"));
    }
    let (lo, hi) = if step < 0 { (-1, len - 1) } else { (0, len) };
    let fix = |vm: &mut Vm, v: &Value, dflt: i64| -> PyResult<i64> {
        match v {
            Value::None => Ok(dflt),
            v => {
                let i = super::slice_index(vm, v)?;
                Ok(if i < 0 { (i + len).max(lo) } else { i.min(hi) })
            }
        }
    };
    let start = fix(vm, a, if step < 0 { hi } else { lo })?;
    let stop = fix(vm, b, if step < 0 { lo } else { hi })?;
    Ok(alloc::tuple(vec![
        Value::Int(start),
        Value::Int(stop),
        Value::Int(step),
    ]))
}

fn range_find(vm: &mut Vm, args: &[Value]) -> PyResult<Option<i64>> {
    let Some(Data::Range(r)) = args.first().and_then(|v| v.data()) else {
        return Err(super::descr_self_error(vm, args, "range", "index"));
    };
    let r = *r;
    let x = arg(args, 1);
    let as_int = match x {
        Value::Int(i) => Some(i),
        Value::Bool(b) => Some(b as i64),
        _ => None,
    };
    if let Some(i) = as_int {
        let off = i as i128 - r.start as i128;
        if off % r.step as i128 == 0 {
            let k = off / r.step as i128;
            if k >= 0 && (k as i64) < r.len() {
                return Ok(Some(k as i64));
            }
        }
        return Ok(None);
    }
    for k in 0..r.len() {
        if eq(vm, &Value::Int(r.get(k)), &x)? {
            return Ok(Some(k));
        }
    }
    Ok(None)
}

fn range_count(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    Ok(Value::Int(range_find(vm, args)?.is_some() as i64))
}

fn range_index(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    match range_find(vm, args)? {
        Some(k) => Ok(Value::Int(k)),
        None => {
            let r = vm.repr(&arg(args, 1))?;
            Err(vm.value_error(format!("{r} is not in range")))
        }
    }
}

/// `super()`, `super(type)`, `super(type, obj)`. Without arguments, the class is the calling
/// function's `__class__` cell and the object its first argument (as CPython's
/// `super_init_without_args` finds them in the caller's frame).
fn new_super(vm: &mut Vm, cls: &ObjRef, args: &[Value], kwargs: Kw) -> PyResult {
    if !kwargs.is_empty() {
        return Err(vm.type_error("super() takes no keyword arguments"));
    }
    if args.len() > 2 {
        return Err(vm.type_error(format!(
            "super() expected at most 2 arguments, got {}",
            args.len()
        )));
    }
    let (start, obj) = match args {
        [] => super_without_args(vm)?,
        [t, rest @ ..] => {
            let Some(t) = t.obj().filter(|o| matches!(o.data, Data::Type(_))) else {
                return Err(vm.type_error(format!(
                    "super() argument 1 must be a type, not {}",
                    vm.type_name(t)
                )));
            };
            (t.clone(), rest.first().cloned().unwrap_or(Value::Null))
        }
    };
    if !matches!(obj, Value::Null) {
        let ok = match obj.obj() {
            Some(o) if matches!(o.data, Data::Type(_)) => crate::types::is_subtype(o, &start),
            _ => false,
        } || crate::types::is_subtype(&types().of(&obj), &start);
        if !ok {
            return Err(vm.type_error(format!(
                "super(type, obj): obj (instance of {}) is not an instance or subtype of type ({}).",
                vm.type_name(&obj),
                type_name(&start)
            )));
        }
    }
    Ok(alloc::obj(cls, Data::Super(start, obj)))
}

fn super_without_args(vm: &mut Vm) -> PyResult<(ObjRef, Value)> {
    let Some(f) = vm.frames.last().cloned() else {
        return Err(vm.exc("RuntimeError", "super(): no current frame"));
    };
    let code = &f.code;
    let takes_args = code.argcount > 0 || code.flags & crate::code::flags::VARARGS != 0;
    if !takes_args {
        return Err(vm.exc("RuntimeError", "super(): no arguments"));
    }
    let mut first = f.first_local.clone();
    if let Some(Data::Cell(c)) = first.data() {
        let inner = c.borrow().clone();
        first = inner.unwrap_or(Value::Null);
    }
    if matches!(first, Value::Null) {
        return Err(vm.exc("RuntimeError", "super(): arg[0] deleted"));
    }
    let nfree = code.nfree;
    let free_names = &code.localsplus[code.localsplus.len() - nfree..];
    let cell = free_names
        .iter()
        .position(|n| &**n == "__class__")
        .and_then(|i| match f.func.as_ref().and_then(|v| v.data()) {
            Some(Data::Function(func)) => func.closure.borrow().get(i).cloned(),
            _ => None,
        });
    let Some(cell) = cell else {
        return Err(vm.exc("RuntimeError", "super(): __class__ cell not found"));
    };
    let class = match &cell.data {
        Data::Cell(c) => c.borrow().clone(),
        _ => None,
    };
    match class {
        Some(Value::Obj(t)) if matches!(t.data, Data::Type(_)) => Ok((t, first)),
        Some(other) => Err(vm.type_error(format!(
            "super(): __class__ is not a type ({})",
            vm.type_name(&other)
        ))),
        None => Err(vm.exc("RuntimeError", "super(): empty __class__ cell")),
    }
}

/// `v.__float__()` when its type has one (its result must be a float), else `None`.
pub fn float_from_dunder(vm: &mut Vm, v: &Value) -> PyResult<Option<f64>> {
    if vm.lookup_special(v, "__float__").is_none() {
        return Ok(None);
    }
    let r = vm.call_method(v, "__float__", &[])?;
    match r {
        Value::Float(f) => Ok(Some(f)),
        _ => Err(vm.type_error(format!(
            "{}.__float__ returned non-float (type {})",
            vm.type_name(v),
            vm.type_name(&r)
        ))),
    }
}

//! The object protocols: repr/str, truth, arithmetic, comparison, hashing, subscripts,
//! containment, iteration and attributes, as CPython's abstract object layer does them.
//!
//! Every protocol first looks for a special method defined in Python (a class statement, or
//! a library type the VM adds outside `builtins`) and calls it; objects of the core builtin
//! types are handled natively from their payload, the way their C slots would.

mod arith;
mod attr;
mod cmp;
mod fmt;
mod iter;
mod num;
pub(crate) mod repr;
mod subscr;

pub use iter::self_iterator;

use crate::alloc::{self, types};
use crate::types::tdata;
use crate::value::{Data, DictView, IterState, ObjRef, Value};
use crate::{Flow, PyResult, Vm};
use std::rc::Rc;

/// A unary operator (`UNARY_NEGATIVE`, `CALL_INTRINSIC_1(UNARY_POSITIVE)`, `UNARY_INVERT`,
/// `UNARY_NOT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unary {
    Neg,
    Pos,
    Invert,
    Not,
}

/// A dict view (`d.keys()`, `d.values()`, `d.items()`): an object of type `dict_keys` /
/// `dict_values` / `dict_items` over the dict object `d`.
pub fn dict_view(d: &ObjRef, kind: DictView) -> Value {
    let name = match kind {
        DictView::Keys => "dict_keys",
        DictView::Values => "dict_values",
        DictView::Items => "dict_items",
    };
    alloc::iter(name, IterState::Dict(d.clone(), 0, kind))
}

/// The dict and kind of a dict view (not of a dict iterator).
fn as_dict_view(v: &Value) -> Option<(ObjRef, DictView)> {
    let Some(Data::Iter(st)) = v.data() else {
        return None;
    };
    let name = type_name_of(v);
    if !matches!(&*name, "dict_keys" | "dict_values" | "dict_items") {
        return None;
    }
    match &*st.borrow() {
        IterState::Dict(d, _, k) => Some((d.clone(), *k)),
        _ => None,
    }
}

fn type_of(v: &Value) -> ObjRef {
    types().of(v)
}

fn type_name_of(v: &Value) -> Rc<str> {
    crate::types::type_name(&type_of(v))
}

/// Whether `t` is one of the types whose behaviour this module implements from the payload
/// (the `builtins` types and the template-string types).
fn is_core(t: &ObjRef) -> bool {
    let td = tdata(t);
    td.builtin
        && (&**td.module.borrow() == "builtins"
            || Rc::ptr_eq(t, &types().template)
            || Rc::ptr_eq(t, &types().interpolation))
}

/// The special method `name` of type `t` when something other than a core builtin type
/// defines it (a class statement or a library type): what must be called instead of the
/// native behaviour.
fn dunder(t: &ObjRef, name: &str) -> Option<Value> {
    // A core builtin type and its bases are core builtins: nothing to find.
    if is_core(t) {
        return None;
    }
    let owner = crate::types::lookup_owner(t, name)?;
    if is_core(&owner) {
        return None;
    }
    let found = owner.dict.as_ref()?.borrow().get_str(name).cloned();
    found
}

/// Whether `flow` is an exception of (a subclass of) the builtin class `kind`.
fn exc_is(flow: &Flow, kind: &str) -> bool {
    matches!(flow, Flow::Exc(e) if crate::exc::is_instance(e, kind))
}

/// An index-sized integer from `v` (ints, bools, `__index__`), as `PyNumber_AsSsize_t` does;
/// `None` when `v` has no `__index__`.
fn index_of(vm: &mut Vm, v: &Value) -> PyResult<Option<i64>> {
    match v {
        Value::Int(i) => return Ok(Some(*i)),
        Value::Bool(b) => return Ok(Some(*b as i64)),
        Value::Obj(o) => {
            if let Data::Long(_) = &o.data {
                return Err(vm.exc("IndexError", "cannot fit 'int' into an index-sized integer"));
            }
        }
        _ => return Ok(None),
    }
    if dunder(&type_of(v), "__index__").is_none() {
        return Ok(None);
    }
    let r = vm.call_method(v, "__index__", &[])?;
    match r {
        Value::Int(i) => Ok(Some(i)),
        Value::Bool(b) => Ok(Some(b as i64)),
        Value::Obj(ref o) if matches!(o.data, Data::Long(_)) => {
            Err(vm.exc("IndexError", "cannot fit 'int' into an index-sized integer"))
        }
        _ => {
            let old = format!("__index__ returned non-int (type {})", vm.type_name(&r));
            Err(bad_result(vm, v, "__index__", "an int", &r, old))
        }
    }
}

/// The TypeError for a special method that returned the wrong type: 3.15 names the method
/// (`C.__repr__() must return a str, not int`), 3.14 has older per-method wording (`old`).
fn bad_result(vm: &Vm, obj: &Value, method: &str, want: &str, got: &Value, old: String) -> Flow {
    if vm.minor >= 15 {
        vm.type_error(format!(
            "{}.{method}() must return {want}, not {}",
            vm.type_name(obj),
            vm.type_name(got)
        ))
    } else {
        vm.type_error(old)
    }
}

/// The result of a `__len__` call as a length.
fn len_result(vm: &Vm, r: &Value) -> PyResult<i64> {
    let n = match r {
        Value::Int(i) => *i,
        Value::Bool(b) => *b as i64,
        Value::Obj(o) if matches!(o.data, Data::Long(_)) => {
            return Err(vm.exc(
                "OverflowError",
                "cannot fit 'int' into an index-sized integer",
            ))
        }
        _ => {
            return Err(vm.type_error(format!(
                "'{}' object cannot be interpreted as an integer",
                vm.type_name(r)
            )))
        }
    };
    if n < 0 {
        return Err(vm.value_error("__len__() should return >= 0"));
    }
    Ok(n)
}

/// The length of a core builtin container, from its payload.
fn native_len(v: &Value) -> Option<usize> {
    Some(match v.data()? {
        Data::Str(s) => s.chars().count(),
        Data::Bytes(b) => b.len(),
        Data::ByteArray(b) => b.borrow().len(),
        Data::Tuple(t) => t.len(),
        Data::List(l) => l.borrow().len(),
        Data::Dict(d) => d.borrow().len(),
        Data::Set(s) => s.borrow().len(),
        Data::FrozenSet(s) => s.len(),
        Data::Range(r) => r.len().max(0) as usize,
        Data::Native(n) => match &*n.borrow() {
            crate::value::Native::Deque(d, _) => d.len(),
            _ => return None,
        },
        Data::Iter(_) => {
            let (d, _) = as_dict_view(v)?;
            match &d.data {
                Data::Dict(d) => d.borrow().len(),
                _ => return None,
            }
        }
        _ => return None,
    })
}

impl Vm {
    /// `bool(v)`: `__bool__`, then `__len__`, then true.
    pub fn truthy(&mut self, v: &Value) -> PyResult<bool> {
        match v {
            Value::None | Value::Null => Ok(false),
            Value::Bool(b) => Ok(*b),
            Value::Int(i) => Ok(*i != 0),
            Value::Float(f) => Ok(*f != 0.0),
            Value::Ellipsis => Ok(true),
            Value::NotImplemented => {
                Err(self.type_error("NotImplemented should not be used in a boolean context"))
            }
            Value::Obj(o) => {
                let t = type_of(v);
                if dunder(&t, "__bool__").is_some() {
                    let r = self.call_method(v, "__bool__", &[])?;
                    return match r {
                        Value::Bool(b) => Ok(b),
                        _ => {
                            let old = format!(
                                "__bool__ should return bool, returned {}",
                                self.type_name(&r)
                            );
                            Err(bad_result(self, v, "__bool__", "a bool", &r, old))
                        }
                    };
                }
                if dunder(&t, "__len__").is_some() {
                    let r = self.call_method(v, "__len__", &[])?;
                    return Ok(len_result(self, &r)? != 0);
                }
                Ok(match &o.data {
                    Data::Long(b) => !num_traits::Zero::is_zero(b),
                    Data::Complex(re, im) => *re != 0.0 || *im != 0.0,
                    _ => native_len(v).is_none_or(|n| n != 0),
                })
            }
        }
    }
}

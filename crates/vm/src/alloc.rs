//! Making values: the constructors every part of the VM uses, so that each object gets its
//! right type and payload.

use crate::code::CodeRt;
use crate::dict::Dict;
use crate::value::{Data, IterState, Obj, ObjRef, Value};
use cpyviz_model::bytecode::Const;
use num_bigint::BigInt;
use num_traits::ToPrimitive;
use std::cell::RefCell;
use std::rc::Rc;

thread_local! {
    static TYPES: &'static crate::types::Types = Box::leak(Box::new(crate::types::Types::new()));
}

/// The builtin types of this thread's VM.
pub fn types() -> &'static crate::types::Types {
    TYPES.with(|t| *t)
}

/// A new object of class `cls` with payload `data` and no `__dict__`.
pub fn obj(cls: &ObjRef, data: Data) -> Value {
    Value::Obj(Rc::new(Obj {
        cls: Some(cls.clone()),
        dict: None,
        data,
    }))
}

/// A new object of class `cls` with payload `data` and an empty `__dict__`.
pub fn obj_with_dict(cls: &ObjRef, data: Data) -> Value {
    Value::Obj(Rc::new(Obj {
        cls: Some(cls.clone()),
        dict: Some(RefCell::new(Dict::new())),
        data,
    }))
}

pub fn str_value(s: Rc<str>) -> Value {
    obj(&types().str_, Data::Str(s))
}

pub fn s(s: &str) -> Value {
    str_value(Rc::from(s))
}

pub fn string(s: String) -> Value {
    str_value(Rc::from(s))
}

pub fn int(i: i64) -> Value {
    Value::Int(i)
}

/// An int from a big integer (a machine int when it fits).
pub fn big(b: BigInt) -> Value {
    match b.to_i64() {
        Some(i) => Value::Int(i),
        None => obj(&types().int, Data::Long(b)),
    }
}

pub fn tuple(items: Vec<Value>) -> Value {
    obj(&types().tuple, Data::Tuple(items))
}

pub fn list(items: Vec<Value>) -> Value {
    obj(&types().list, Data::List(RefCell::new(items)))
}

pub fn dict(d: Dict) -> Value {
    obj(&types().dict, Data::Dict(RefCell::new(d)))
}

pub fn bytes(b: Vec<u8>) -> Value {
    obj(&types().bytes, Data::Bytes(Rc::from(b)))
}

pub fn complex(re: f64, im: f64) -> Value {
    obj(&types().complex, Data::Complex(re, im))
}

pub fn set(s: crate::set::Set) -> Value {
    obj(&types().set, Data::Set(RefCell::new(s)))
}

pub fn frozenset(s: crate::set::Set) -> Value {
    obj(&types().frozenset, Data::FrozenSet(s))
}

/// An iterator object of the CPython type named `type_name` (`list_iterator`, …).
pub fn iter(type_name: &str, state: IterState) -> Value {
    let t = types()
        .other
        .get(type_name)
        .unwrap_or(&types().other["generic_iterator"]);
    obj(t, Data::Iter(RefCell::new(state)))
}

/// A code object as a value.
pub fn code(c: &Rc<CodeRt>) -> Value {
    obj(&types().code, Data::Code(c.clone()))
}

/// The value of a constant (`children` are the enclosing code object's nested code objects).
pub fn const_value(c: &Const, children: &[Rc<CodeRt>]) -> Value {
    match c {
        Const::None => Value::None,
        Const::Bool(b) => Value::Bool(*b),
        Const::Ellipsis => Value::Ellipsis,
        Const::Int(i) => big(i.clone()),
        Const::Float(bits) => Value::Float(f64::from_bits(*bits)),
        Const::Complex(re, im) => complex(f64::from_bits(*re), f64::from_bits(*im)),
        Const::Str(ps) => match ps {
            cpyviz_model::pystr::PyStr::Text(t) => string(t.clone()),
            cpyviz_model::pystr::PyStr::CodePoints(cps) => {
                string(crate::surrogates::from_code_points(cps))
            }
        },
        Const::Bytes(b) => bytes(b.clone()),
        Const::Tuple(items) => tuple(items.iter().map(|i| const_value(i, children)).collect()),
        Const::FrozenSet(items) => {
            let mut set = crate::set::Set::new();
            for i in items {
                let v = const_value(i, children);
                if let Some(k) = crate::dict::builtin_key(&v) {
                    set.insert(k, v);
                }
            }
            frozenset(set)
        }
        Const::Slice(parts) => {
            let [a, b, c] = &**parts;
            obj(
                &types().slice,
                Data::Slice(
                    const_value(a, children),
                    const_value(b, children),
                    const_value(c, children),
                ),
            )
        }
        Const::Code(i) => match children.get(*i) {
            Some(c) => code(c),
            None => Value::None,
        },
    }
}

//! Making values: the constructors every part of the VM uses, so that each object gets its
//! right type and payload.

use crate::code::CodeRt;
use crate::dict::Dict;
use crate::value::{Data, IterState, Native, Obj, ObjRef, Value};
use cpyviz_model::bytecode::Const;
use num_bigint::BigInt;
use num_traits::ToPrimitive;
use std::cell::RefCell;
use std::rc::Rc;

thread_local! {
    static TYPES: Rc<crate::types::Types> = Rc::new(crate::types::Types::new());
    static TRACKED: RefCell<Tracked> = RefCell::new(Tracked::default());
}

/// The builtin types of this thread's VM (each run has its own thread, so its own types).
pub fn types() -> Rc<crate::types::Types> {
    TYPES.with(Rc::clone)
}

/// The objects of this thread's run that can be the mutable link of a reference cycle.
///
/// Objects are reference-counted, so a cycle (a function and the module namespace that holds
/// it, a class and its MRO, `l.append(l)`) would outlive its run. Every cycle passes through
/// an object whose references can change after it is made (a dict, a list, a class…); those
/// objects are tracked here, weakly, and [`release_cycles`] empties them when the run ends.
#[derive(Default)]
struct Tracked {
    objs: Vec<std::rc::Weak<Obj>>,
    /// The length at which dead entries are dropped next (twice the live count after the
    /// last pass), so tracking costs amortized O(1) per object.
    compact_at: usize,
}

/// Whether `o` can hold a reference that changes after it is made.
fn mutable_links(o: &Obj) -> bool {
    o.dict.is_some()
        || matches!(
            o.data,
            Data::Slots(_)
                | Data::List(_)
                | Data::Dict(_)
                | Data::Set(_)
                | Data::Cell(_)
                | Data::Function(_)
                | Data::Type(_)
                | Data::Generator(_)
                | Data::Exception(_)
                | Data::Native(_)
        )
}

/// Every heap object is made here.
pub fn new_obj(o: Obj) -> ObjRef {
    let r = Rc::new(o);
    if mutable_links(&r) {
        TRACKED.with(|t| {
            let mut t = t.borrow_mut();
            if t.objs.len() >= t.compact_at {
                t.objs.retain(|w| w.strong_count() > 0);
                t.compact_at = (2 * t.objs.len()).max(8);
            }
            t.objs.push(Rc::downgrade(&r));
        });
    }
    r
}

/// Ends the run's reference cycles: empties every tracked object that is still alive (its
/// `__dict__`, items, closure, MRO, frame…), then lets go of what they held. Called on the
/// run's thread once its results are taken; the builtin types are emptied too, so the whole
/// heap is freed when the thread ends. Dropping the emptied contents is shallow, so this
/// also avoids a deep recursive drop of long chains of containers.
pub fn release_cycles() {
    let objs = TRACKED.with(|t| std::mem::take(&mut t.borrow_mut().objs));
    let mut grave: Vec<Box<dyn std::any::Any>> = Vec::new();
    for o in objs.iter().filter_map(std::rc::Weak::upgrade) {
        empty(&o, &mut grave);
    }
    drop(grave);
}

/// Moves everything `o` references through a cell into `grave`.
fn empty(o: &Obj, grave: &mut Vec<Box<dyn std::any::Any>>) {
    fn take<T: Default + 'static>(c: &RefCell<T>, grave: &mut Vec<Box<dyn std::any::Any>>) {
        if let Ok(mut v) = c.try_borrow_mut() {
            grave.push(Box::new(std::mem::take(&mut *v)));
        }
    }
    if let Some(d) = &o.dict {
        take(d, grave);
    }
    match &o.data {
        Data::Slots(v) => take(v, grave),
        Data::List(v) => take(v, grave),
        Data::Dict(d) => take(d, grave),
        Data::Set(s) => take(s, grave),
        Data::Cell(c) => take(c, grave),
        Data::Function(f) => {
            take(&f.defaults, grave);
            take(&f.kwdefaults, grave);
            take(&f.closure, grave);
            take(&f.annotations, grave);
            take(&f.annotate, grave);
            if let Ok(mut d) = f.doc.try_borrow_mut() {
                grave.push(Box::new(std::mem::replace(&mut *d, Value::None)));
            }
        }
        Data::Type(t) => {
            take(&t.bases, grave);
            take(&t.mro, grave);
            take(&t.subclasses, grave);
            take(&t.lookup_cache, grave);
        }
        Data::Generator(g) => {
            if let Ok(mut g) = g.try_borrow_mut() {
                grave.push(Box::new(g.frame.take()));
            }
        }
        Data::Exception(e) => {
            if let Ok(mut e) = e.try_borrow_mut() {
                grave.push(Box::new((
                    std::mem::take(&mut e.args),
                    e.cause.take(),
                    e.context.take(),
                    std::mem::take(&mut e.notes),
                    std::mem::take(&mut e.exceptions),
                )));
            }
        }
        Data::Native(n) => {
            if let Ok(mut n) = n.try_borrow_mut() {
                grave.push(Box::new(std::mem::replace(&mut *n, Native::Stream(false))));
            }
        }
        _ => {}
    }
}

/// A new object of class `cls` with payload `data` and no `__dict__`.
pub fn obj(cls: &ObjRef, data: Data) -> Value {
    Value::Obj(new_obj(Obj {
        cls: Some(cls.clone()),
        dict: None,
        data,
    }))
}

/// A new object of class `cls` with payload `data` and an empty `__dict__`.
pub fn obj_with_dict(cls: &ObjRef, data: Data) -> Value {
    Value::Obj(new_obj(Obj {
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
    let t = types();
    let cls = t
        .other
        .get(type_name)
        .unwrap_or(&t.other["generic_iterator"]);
    obj(cls, Data::Iter(RefCell::new(state)))
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

//! Subscripts: `obj[key]`, `obj[key] = v`, `del obj[key]` for the builtin sequences and
//! mappings (indexes, slices with `slice.indices` semantics, extended slices, slice
//! assignment), `__getitem__`/`__setitem__`/`__delitem__`, `__missing__` and
//! `__class_getitem__`.

use super::{dunder, index_of, type_of};
use crate::alloc::{self, types};
use crate::types::{is_subtype, lookup};
use crate::value::{Data, Native, Range, Value};
use crate::{Flow, PyResult, Vm};
use num_traits::{Signed, ToPrimitive};
use std::rc::Rc;

/// A slice resolved against a length: start, stop, step, number of items.
struct Span {
    start: i64,
    step: i64,
    len: usize,
}

impl Span {
    fn indexes(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.len).map(move |i| (self.start + i as i64 * self.step) as usize)
    }
}

/// What a sequence calls its indexes in error messages.
fn seq_label(v: &Value) -> Option<(&'static str, &'static str)> {
    // (the "X indices must be" word, the out-of-range message)
    Some(match v.data()? {
        Data::List(_) => ("list", "list index out of range"),
        Data::Tuple(_) => ("tuple", "tuple index out of range"),
        Data::Str(_) => ("string", "string index out of range"),
        Data::Bytes(_) => ("byte", "index out of range"),
        Data::ByteArray(_) => ("bytearray", "bytearray index out of range"),
        Data::Range(_) => ("range", "range object index out of range"),
        _ => return None,
    })
}

/// A slice bound (`_PyEval_SliceIndex`): ints clamp to the machine range.
fn slice_bound(vm: &mut Vm, v: &Value) -> PyResult<Option<i64>> {
    if matches!(v, Value::None) {
        return Ok(None);
    }
    if let Some(Data::Long(b)) = v.data() {
        return Ok(Some(if b.is_negative() { i64::MIN } else { i64::MAX }));
    }
    match index_of(vm, v)? {
        Some(i) => Ok(Some(i)),
        None => Err(vm.type_error(if vm.minor >= 15 {
            "slice indices must be integers or have an __index__ method"
        } else {
            "slice indices must be integers or None or have an __index__ method"
        })),
    }
}

/// `slice.indices(len)` plus the item count.
fn resolve(vm: &mut Vm, s: &Value, len: usize) -> PyResult<Span> {
    let Some(Data::Slice(a, b, c)) = s.data() else {
        return Err(vm.type_error("expected a slice"));
    };
    let (a, b, c) = (a.clone(), b.clone(), c.clone());
    let step = slice_bound(vm, &c)?.unwrap_or(1);
    if step == 0 {
        return Err(vm.value_error("slice step cannot be zero"));
    }
    let step = step.max(-i64::MAX);
    let len = len as i64;
    let (lower, upper) = if step < 0 { (-1, len - 1) } else { (0, len) };
    let clamp = |v: Option<i64>, default: i64| -> i64 {
        match v {
            None => default,
            Some(i) if i < 0 => (i.saturating_add(len)).max(lower),
            Some(i) => i.min(upper),
        }
    };
    let start = clamp(slice_bound(vm, &a)?, if step < 0 { upper } else { lower });
    let stop = clamp(slice_bound(vm, &b)?, if step < 0 { lower } else { upper });
    let n = if step < 0 {
        if stop < start {
            (start - stop - 1) / (-step) + 1
        } else {
            0
        }
    } else if start < stop {
        (stop - start - 1) / step + 1
    } else {
        0
    };
    Ok(Span {
        start,
        step,
        len: n as usize,
    })
}

fn is_slice(v: &Value) -> bool {
    matches!(v.data(), Some(Data::Slice(..)))
}

/// A normalized index into a sequence of `len` items.
fn norm(i: i64, len: usize) -> Option<usize> {
    let j = if i < 0 { i + len as i64 } else { i };
    (0..len as i64).contains(&j).then_some(j as usize)
}

impl Vm {
    /// `obj[key]`.
    pub fn getitem(&mut self, obj: &Value, key: &Value) -> PyResult {
        let t = type_of(obj);
        if dunder(&t, "__getitem__").is_some() {
            return self.call_method(obj, "__getitem__", std::slice::from_ref(key));
        }
        let Value::Obj(o) = obj else {
            return Err(self.not_subscriptable(obj));
        };
        match &o.data {
            Data::List(_)
            | Data::Tuple(_)
            | Data::Str(_)
            | Data::Bytes(_)
            | Data::ByteArray(_)
            | Data::Range(_) => self.seq_getitem(obj, key),
            Data::Dict(d) => {
                let k = self.dict_key(key)?;
                let found = d.borrow().get(&k).cloned();
                match found {
                    Some(v) => Ok(v),
                    None => {
                        if !Rc::ptr_eq(&t, &types().dict) && dunder(&t, "__missing__").is_some() {
                            return self.call_method(obj, "__missing__", std::slice::from_ref(key));
                        }
                        Err(self.key_error(key.clone()))
                    }
                }
            }
            Data::Native(n) => {
                let items = match &*n.borrow() {
                    Native::Deque(d, _) => Some(d.iter().cloned().collect::<Vec<_>>()),
                    _ => None,
                };
                let Some(items) = items else {
                    return Err(self.not_subscriptable(obj));
                };
                match index_of(self, key)? {
                    Some(i) => match norm(i, items.len()) {
                        Some(j) => Ok(items[j].clone()),
                        None => Err(self.index_error("deque index out of range")),
                    },
                    None => Err(self.type_error(format!(
                        "sequence index must be integer, not '{}'",
                        self.type_name(key)
                    ))),
                }
            }
            Data::Type(_) => {
                if let Some(cg) = lookup(o, "__class_getitem__") {
                    let f = match cg.data() {
                        Some(Data::ClassMethod(f)) => f.clone(),
                        _ => cg,
                    };
                    return self.call(&f, &[obj.clone(), key.clone()], &[]);
                }
                let generic = [
                    &types().list,
                    &types().dict,
                    &types().tuple,
                    &types().set,
                    &types().frozenset,
                    &types().type_,
                ];
                if generic.iter().any(|g| is_subtype(o, g)) {
                    return Ok(crate::modules::generic_alias::new(obj, key));
                }
                Err(self.type_error(format!(
                    "type '{}' is not subscriptable",
                    crate::types::type_name(o)
                )))
            }
            Data::Template(..) | Data::Interpolation(..) => Err(self.not_subscriptable(obj)),
            _ => Err(self.not_subscriptable(obj)),
        }
    }

    fn not_subscriptable(&self, obj: &Value) -> Flow {
        self.type_error(format!(
            "'{}' object is not subscriptable",
            self.type_name(obj)
        ))
    }

    /// The key of a dict subscript, with the dict-key wording of the unhashable error.
    fn dict_key(&mut self, key: &Value) -> PyResult<crate::dict::Key> {
        self.dict_key_for(key, "dict key")
    }

    fn bad_index(&self, obj: &Value, key: &Value) -> Flow {
        let word = seq_label(obj).map(|l| l.0).unwrap_or("sequence");
        let kn = self.type_name(key);
        if word == "string" {
            return self.type_error(format!("string indices must be integers, not '{kn}'"));
        }
        self.type_error(format!(
            "{word} indices must be integers or slices, not {kn}"
        ))
    }

    fn seq_getitem(&mut self, obj: &Value, key: &Value) -> PyResult {
        let Some(data) = obj.data() else {
            return Err(self.not_subscriptable(obj));
        };
        if is_slice(key) {
            return self.seq_slice(obj, key);
        }
        let i = match index_of(self, key) {
            Ok(Some(i)) => i,
            Ok(None) => return Err(self.bad_index(obj, key)),
            Err(e) => return Err(e),
        };
        let oor = |vm: &Vm| vm.index_error(seq_label(obj).map(|l| l.1).unwrap_or(""));
        Ok(match data {
            Data::List(l) => {
                let l = l.borrow();
                match norm(i, l.len()) {
                    Some(j) => l[j].clone(),
                    None => return Err(oor(self)),
                }
            }
            Data::Tuple(t) => match norm(i, t.len()) {
                Some(j) => t[j].clone(),
                None => return Err(oor(self)),
            },
            Data::Str(s) => {
                let n = if s.is_ascii() {
                    s.len()
                } else {
                    s.chars().count()
                };
                match norm(i, n) {
                    Some(j) => {
                        let c = if s.is_ascii() {
                            &s[j..j + 1]
                        } else {
                            let (at, ch) = s.char_indices().nth(j).unwrap_or((0, ' '));
                            &s[at..at + ch.len_utf8()]
                        };
                        alloc::s(c)
                    }
                    None => return Err(oor(self)),
                }
            }
            Data::Bytes(b) => match norm(i, b.len()) {
                Some(j) => Value::Int(b[j] as i64),
                None => return Err(oor(self)),
            },
            Data::ByteArray(b) => {
                let b = b.borrow();
                match norm(i, b.len()) {
                    Some(j) => Value::Int(b[j] as i64),
                    None => return Err(oor(self)),
                }
            }
            Data::Range(r) => match norm(i, r.len().max(0) as usize) {
                Some(j) => Value::Int(r.get(j as i64)),
                None => return Err(oor(self)),
            },
            _ => return Err(self.not_subscriptable(obj)),
        })
    }

    fn seq_slice(&mut self, obj: &Value, key: &Value) -> PyResult {
        let Some(data) = obj.data() else {
            return Err(self.not_subscriptable(obj));
        };
        Ok(match data {
            Data::List(l) => {
                let items = l.borrow().clone();
                let sp = resolve(self, key, items.len())?;
                alloc::list(sp.indexes().map(|i| items[i].clone()).collect())
            }
            Data::Tuple(t) => {
                let sp = resolve(self, key, t.len())?;
                if sp.start == 0
                    && sp.step == 1
                    && sp.len == t.len()
                    && types().is_exact(obj, &types().tuple)
                {
                    return Ok(obj.clone());
                }
                alloc::tuple(sp.indexes().map(|i| t[i].clone()).collect())
            }
            Data::Str(s) => {
                let chars: Vec<char> = s.chars().collect();
                let sp = resolve(self, key, chars.len())?;
                alloc::string(sp.indexes().map(|i| chars[i]).collect())
            }
            Data::Bytes(b) => {
                let sp = resolve(self, key, b.len())?;
                alloc::bytes(sp.indexes().map(|i| b[i]).collect())
            }
            Data::ByteArray(b) => {
                let b = b.borrow().clone();
                let sp = resolve(self, key, b.len())?;
                alloc::obj(
                    &types().bytearray,
                    Data::ByteArray(std::cell::RefCell::new(
                        sp.indexes().map(|i| b[i]).collect(),
                    )),
                )
            }
            Data::Range(r) => {
                let r = *r;
                let sp = resolve(self, key, r.len().max(0) as usize)?;
                let start = r.start as i128 + sp.start as i128 * r.step as i128;
                let step = r.step as i128 * sp.step as i128;
                let stop = start + sp.len as i128 * step;
                match (start.to_i64(), stop.to_i64(), step.to_i64()) {
                    (Some(start), Some(stop), Some(step)) => {
                        alloc::obj(&types().range, Data::Range(Range { start, stop, step }))
                    }
                    _ => {
                        return Err(self.exc(
                            "OverflowError",
                            "Python int too large to convert to C ssize_t",
                        ))
                    }
                }
            }
            _ => return Err(self.not_subscriptable(obj)),
        })
    }

    /// `obj[key] = v`.
    pub fn setitem(&mut self, obj: &Value, key: &Value, v: Value) -> PyResult<()> {
        let t = type_of(obj);
        if dunder(&t, "__setitem__").is_some() {
            self.call_method(obj, "__setitem__", &[key.clone(), v])?;
            return Ok(());
        }
        match obj.data() {
            Some(Data::Dict(d)) => {
                let k = self.dict_key(key)?;
                d.borrow_mut().insert(k, key.clone(), v);
                self.charge(48)?;
                Ok(())
            }
            Some(Data::List(l)) => {
                if is_slice(key) {
                    let items = match v.data() {
                        Some(Data::List(src)) => src.borrow().clone(),
                        Some(Data::Tuple(src)) => src.clone(),
                        _ => match self.collect(&v) {
                            Ok(items) => items,
                            Err(e) if super::exc_is(&e, "TypeError") => {
                                return Err(self.type_error(if self.minor >= 15 {
                                    "must assign iterable to extended slice".to_string()
                                } else {
                                    "can only assign an iterable".to_string()
                                }))
                            }
                            Err(e) => return Err(e),
                        },
                    };
                    let len = l.borrow().len();
                    let sp = resolve(self, key, len)?;
                    if sp.step == 1 {
                        let start = sp.start.clamp(0, len as i64) as usize;
                        let stop = (start + sp.len).min(len);
                        self.charge(8 * items.len() as u64)?;
                        l.borrow_mut().splice(start..stop, items);
                        return Ok(());
                    }
                    if items.len() != sp.len {
                        return Err(self.value_error(format!(
                            "attempt to assign sequence of size {} to extended slice of size {}",
                            items.len(),
                            sp.len
                        )));
                    }
                    let mut lb = l.borrow_mut();
                    for (i, x) in sp.indexes().zip(items) {
                        lb[i] = x;
                    }
                    return Ok(());
                }
                let Some(i) = index_of(self, key)? else {
                    return Err(self.bad_index(obj, key));
                };
                let len = l.borrow().len();
                match norm(i, len) {
                    Some(j) => {
                        l.borrow_mut()[j] = v;
                        Ok(())
                    }
                    None => Err(self.index_error("list assignment index out of range")),
                }
            }
            Some(Data::ByteArray(b)) => {
                let Some(i) = index_of(self, key)? else {
                    return Err(self.bad_index(obj, key));
                };
                let byte = match index_of(self, &v)? {
                    Some(x) if (0..256).contains(&x) => x as u8,
                    Some(_) => return Err(self.value_error("byte must be in range(0, 256)")),
                    None => {
                        return Err(self.type_error(format!(
                            "'{}' object cannot be interpreted as an integer",
                            self.type_name(&v)
                        )))
                    }
                };
                let len = b.borrow().len();
                match norm(i, len) {
                    Some(j) => {
                        b.borrow_mut()[j] = byte;
                        Ok(())
                    }
                    None => Err(self.index_error("bytearray index out of range")),
                }
            }
            Some(Data::Native(n)) if matches!(&*n.borrow(), Native::Deque(..)) => {
                let Some(i) = index_of(self, key)? else {
                    return Err(self.type_error(format!(
                        "sequence index must be integer, not '{}'",
                        self.type_name(key)
                    )));
                };
                let mut nb = n.borrow_mut();
                if let Native::Deque(d, _) = &mut *nb {
                    match norm(i, d.len()) {
                        Some(j) => d[j] = v,
                        None => {
                            drop(nb);
                            return Err(self.index_error("deque index out of range"));
                        }
                    }
                }
                Ok(())
            }
            _ => Err(self.type_error(format!(
                "'{}' object does not support item assignment",
                self.type_name(obj)
            ))),
        }
    }

    /// `del obj[key]`.
    pub fn delitem(&mut self, obj: &Value, key: &Value) -> PyResult<()> {
        let t = type_of(obj);
        if dunder(&t, "__delitem__").is_some() {
            self.call_method(obj, "__delitem__", std::slice::from_ref(key))?;
            return Ok(());
        }
        match obj.data() {
            Some(Data::Dict(d)) => {
                let k = self.dict_key(key)?;
                let removed = d.borrow_mut().remove(&k);
                match removed {
                    Some(_) => Ok(()),
                    None => Err(self.key_error(key.clone())),
                }
            }
            Some(Data::List(l)) => {
                if is_slice(key) {
                    let len = l.borrow().len();
                    let sp = resolve(self, key, len)?;
                    let mut drop_at: Vec<usize> = sp.indexes().collect();
                    drop_at.sort_unstable();
                    let mut lb = l.borrow_mut();
                    let mut k = 0;
                    let mut i = 0;
                    lb.retain(|_| {
                        let keep = !(k < drop_at.len() && drop_at[k] == i);
                        if !keep {
                            k += 1;
                        }
                        i += 1;
                        keep
                    });
                    return Ok(());
                }
                let Some(i) = index_of(self, key)? else {
                    return Err(self.bad_index(obj, key));
                };
                let len = l.borrow().len();
                match norm(i, len) {
                    Some(j) => {
                        l.borrow_mut().remove(j);
                        Ok(())
                    }
                    None => Err(self.index_error("list assignment index out of range")),
                }
            }
            Some(Data::ByteArray(b)) => {
                let Some(i) = index_of(self, key)? else {
                    return Err(self.bad_index(obj, key));
                };
                let len = b.borrow().len();
                match norm(i, len) {
                    Some(j) => {
                        b.borrow_mut().remove(j);
                        Ok(())
                    }
                    None => Err(self.index_error("bytearray index out of range")),
                }
            }
            Some(Data::Native(n)) if matches!(&*n.borrow(), Native::Deque(..)) => {
                let Some(i) = index_of(self, key)? else {
                    return Err(self.type_error(format!(
                        "sequence index must be integer, not '{}'",
                        self.type_name(key)
                    )));
                };
                let mut nb = n.borrow_mut();
                if let Native::Deque(d, _) = &mut *nb {
                    match norm(i, d.len()) {
                        Some(j) => {
                            d.remove(j);
                        }
                        None => {
                            drop(nb);
                            return Err(self.index_error("deque index out of range"));
                        }
                    }
                }
                Ok(())
            }
            _ => Err(self.type_error(format!(
                "'{}' object doesn't support item deletion",
                self.type_name(obj)
            ))),
        }
    }
}

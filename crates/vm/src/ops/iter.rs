//! Iteration (`iter()`, `next()`, unpacking) and containment (`in`).

use super::{as_dict_view, bad_result, dunder, exc_is, index_of, type_of};
use crate::alloc;
use crate::value::{Data, DictView, IterState, Native, Value};
use crate::{Flow, PyResult, Vm};

/// Whether `v` is an iterator the VM implements natively (it is its own iterator).
fn native_iterator(v: &Value) -> bool {
    match v.data() {
        Some(Data::Iter(_)) => as_dict_view(v).is_none(),
        Some(Data::Generator(_)) => true,
        Some(Data::Native(n)) => matches!(&*n.borrow(), Native::Iter(_)),
        _ => false,
    }
}

/// Whether `v`'s type is a builtin iterator type whose `__iter__` returns the object itself
/// (CPython's `tp_iter == PyObject_SelfIter`: generators, the builtin iterators,
/// `enumerate`, `zip`, `map`, the `itertools` objects, …), which 3.15's `GET_ITER_SELF` is for.
/// Classes written in Python are not, even when their `__iter__` returns `self`.
pub fn self_iterator(v: &Value) -> bool {
    let builtin = crate::types::tdata(&type_of(v)).builtin;
    builtin
        && match v.data() {
            Some(Data::Generator(g)) => g.borrow().kind == crate::value::GenKind::Generator,
            _ => native_iterator(v),
        }
}

/// Whether `v` can be passed to `next()`.
fn is_iterator(v: &Value) -> bool {
    native_iterator(v) || dunder(&type_of(v), "__next__").is_some()
}

/// The message of zip(strict=True) when argument `i` (0-based) ran out early / late.
fn zip_msg(i: usize, shorter: bool) -> String {
    let others = if i == 1 {
        "argument 1".to_string()
    } else {
        format!("arguments 1-{i}")
    };
    let how = if shorter { "shorter" } else { "longer" };
    format!("zip() argument {} is {how} than {others}", i + 1)
}

impl Vm {
    /// `iter(v)`.
    pub fn iter(&mut self, v: &Value) -> PyResult {
        let t = type_of(v);
        if let Some(f) = dunder(&t, "__iter__") {
            if matches!(f, Value::None) {
                return Err(self.not_iterable(v));
            }
            let it = self.call_method(v, "__iter__", &[])?;
            if !is_iterator(&it) {
                let old = format!(
                    "iter() returned non-iterator of type '{}'",
                    self.type_name(&it)
                );
                return Err(bad_result(self, v, "__iter__", "an iterator", &it, old));
            }
            return Ok(it);
        }
        if native_iterator(v) {
            return Ok(v.clone());
        }
        let Some(data) = v.data() else {
            return Err(self.not_iterable(v));
        };
        Ok(match data {
            Data::List(_) => alloc::iter("list_iterator", IterState::Seq(v.clone(), 0)),
            Data::Tuple(_) => alloc::iter("tuple_iterator", IterState::Seq(v.clone(), 0)),
            Data::Str(s) => alloc::iter(
                if s.is_ascii() {
                    "str_ascii_iterator"
                } else {
                    "str_iterator"
                },
                IterState::Seq(v.clone(), 0),
            ),
            Data::Bytes(_) => alloc::iter("bytes_iterator", IterState::Seq(v.clone(), 0)),
            Data::ByteArray(_) => alloc::iter("bytearray_iterator", IterState::Seq(v.clone(), 0)),
            Data::Range(r) => alloc::iter(
                "range_iterator",
                IterState::Range {
                    next: r.start,
                    stop: r.stop,
                    step: r.step,
                },
            ),
            Data::Dict(_) => match v.obj() {
                Some(o) => alloc::iter(
                    "dict_keyiterator",
                    IterState::Dict(o.clone(), 0, DictView::Keys),
                ),
                None => return Err(self.not_iterable(v)),
            },
            Data::Set(s) => alloc::iter(
                "set_iterator",
                IterState::Items(s.borrow().values().cloned().collect(), 0),
            ),
            Data::FrozenSet(s) => alloc::iter(
                "set_iterator",
                IterState::Items(s.values().cloned().collect(), 0),
            ),
            Data::Iter(_) => match as_dict_view(v) {
                Some((d, kind)) => {
                    let name = match kind {
                        DictView::Keys => "dict_keyiterator",
                        DictView::Values => "dict_valueiterator",
                        DictView::Items => "dict_itemiterator",
                    };
                    alloc::iter(name, IterState::Dict(d, 0, kind))
                }
                None => v.clone(),
            },
            Data::Template(strings, interps) => {
                let mut items = Vec::new();
                for (i, s) in strings.iter().enumerate() {
                    if !s.is_empty() {
                        items.push(alloc::str_value(s.clone()));
                    }
                    if let Some(x) = interps.get(i) {
                        items.push(x.clone());
                    }
                }
                alloc::iter("generic_iterator", IterState::Items(items, 0))
            }
            Data::Native(n) => match &*n.borrow() {
                Native::Deque(d, _) => alloc::iter(
                    "generic_iterator",
                    IterState::Items(d.iter().cloned().collect(), 0),
                ),
                _ => return Err(self.not_iterable(v)),
            },
            _ => {
                if dunder(&t, "__getitem__").is_some() {
                    return Ok(alloc::iter("iterator", IterState::Seq(v.clone(), 0)));
                }
                return Err(self.not_iterable(v));
            }
        })
    }

    fn not_iterable(&self, v: &Value) -> Flow {
        self.type_error(format!("'{}' object is not iterable", self.type_name(v)))
    }

    /// `next(it)`: the next item, or `None` when the iterator is exhausted.
    pub fn next(&mut self, it: &Value) -> PyResult<Option<Value>> {
        match it.data() {
            Some(Data::Iter(st)) if as_dict_view(it).is_none() => self.next_state(st),
            Some(Data::Generator(_)) => crate::eval::gen_next(self, it),
            Some(Data::Native(_)) if native_iterator(it) => {
                crate::modules::itertools::next(self, it)
            }
            _ => {
                if dunder(&type_of(it), "__next__").is_none() {
                    return Err(self.type_error(format!(
                        "'{}' object is not an iterator",
                        self.type_name(it)
                    )));
                }
                match self.call_method(it, "__next__", &[]) {
                    Ok(v) => Ok(Some(v)),
                    Err(e) if exc_is(&e, "StopIteration") => Ok(None),
                    Err(e) => Err(e),
                }
            }
        }
    }

    fn next_state(&mut self, st: &std::cell::RefCell<IterState>) -> PyResult<Option<Value>> {
        // Work on a copy of what the step needs, so that calls back into Python (a
        // `__getitem__`, a map function) never run while the state is borrowed.
        enum Step {
            Done(Option<Value>),
            Seq(Value, usize),
            Callable(Value, Value),
            Enumerate(Value, i64),
            Zip(Vec<Value>, bool),
            Map(Value, Vec<Value>),
            Filter(Value, Value),
            Reversed(Value, usize),
        }
        let step = {
            let mut s = st.borrow_mut();
            match &mut *s {
                IterState::Exhausted => Step::Done(None),
                IterState::Seq(seq, i) => {
                    // Builtin sequences are read in place.
                    match seq.data() {
                        Some(Data::List(l)) => {
                            let l = l.borrow();
                            let r = l.get(*i).cloned();
                            *i += 1;
                            drop(l);
                            if r.is_none() {
                                *s = IterState::Exhausted;
                            }
                            Step::Done(r)
                        }
                        Some(Data::Tuple(t)) => {
                            let r = t.get(*i).cloned();
                            *i += 1;
                            if r.is_none() {
                                *s = IterState::Exhausted;
                            }
                            Step::Done(r)
                        }
                        Some(Data::Str(text)) => {
                            // The index is a byte offset.
                            let r = text[*i..].chars().next();
                            match r {
                                Some(c) => {
                                    let at = *i;
                                    *i += c.len_utf8();
                                    let v = alloc::s(&text[at..at + c.len_utf8()]);
                                    Step::Done(Some(v))
                                }
                                None => {
                                    *s = IterState::Exhausted;
                                    Step::Done(None)
                                }
                            }
                        }
                        Some(Data::Bytes(b)) => {
                            let r = b.get(*i).map(|&x| Value::Int(x as i64));
                            *i += 1;
                            if r.is_none() {
                                *s = IterState::Exhausted;
                            }
                            Step::Done(r)
                        }
                        Some(Data::ByteArray(b)) => {
                            let r = b.borrow().get(*i).map(|&x| Value::Int(x as i64));
                            *i += 1;
                            if r.is_none() {
                                *s = IterState::Exhausted;
                            }
                            Step::Done(r)
                        }
                        _ => {
                            let r = Step::Seq(seq.clone(), *i);
                            *i += 1;
                            r
                        }
                    }
                }
                IterState::Range { next, stop, step } => {
                    let more = if *step > 0 {
                        *next < *stop
                    } else {
                        *next > *stop
                    };
                    if more {
                        let v = *next;
                        match next.checked_add(*step) {
                            Some(n) => *next = n,
                            None => *next = *stop,
                        }
                        Step::Done(Some(Value::Int(v)))
                    } else {
                        Step::Done(None)
                    }
                }
                IterState::Dict(d, i, kind) => {
                    let r = match &d.data {
                        Data::Dict(dd) => dd.borrow().entry_at(*i).map(|(k, v)| match kind {
                            DictView::Keys => k.clone(),
                            DictView::Values => v.clone(),
                            DictView::Items => alloc::tuple(vec![k.clone(), v.clone()]),
                        }),
                        _ => None,
                    };
                    *i += 1;
                    if r.is_none() {
                        *s = IterState::Exhausted;
                    }
                    Step::Done(r)
                }
                IterState::Items(items, i) => {
                    let r = items.get(*i).cloned();
                    *i += 1;
                    if r.is_none() {
                        *s = IterState::Exhausted;
                    }
                    Step::Done(r)
                }
                IterState::Values(q) => Step::Done(q.pop_front()),
                IterState::Callable(f, sentinel) => Step::Callable(f.clone(), sentinel.clone()),
                IterState::Enumerate(inner, n) => Step::Enumerate(inner.clone(), *n),
                IterState::Zip(its, strict) => Step::Zip(its.clone(), *strict),
                IterState::Map(f, its) => Step::Map(f.clone(), its.clone()),
                IterState::Filter(pred, inner) => Step::Filter(pred.clone(), inner.clone()),
                IterState::Reversed(seq, n) => {
                    if *n == 0 {
                        *s = IterState::Exhausted;
                        Step::Done(None)
                    } else {
                        *n -= 1;
                        Step::Reversed(seq.clone(), *n)
                    }
                }
            }
        };
        let finish = |st: &std::cell::RefCell<IterState>, r: Option<Value>| {
            if r.is_none() {
                *st.borrow_mut() = IterState::Exhausted;
            }
            Ok(r)
        };
        match step {
            Step::Done(r) => Ok(r),
            Step::Seq(seq, i) => match self.getitem(&seq, &Value::Int(i as i64)) {
                Ok(v) => Ok(Some(v)),
                Err(e) if exc_is(&e, "IndexError") || exc_is(&e, "StopIteration") => {
                    finish(st, None)
                }
                Err(e) => Err(e),
            },
            Step::Callable(f, sentinel) => {
                let v = self.call(&f, &[], &[])?;
                if self.eq(&v, &sentinel)? {
                    return finish(st, None);
                }
                Ok(Some(v))
            }
            Step::Enumerate(inner, n) => match self.next(&inner)? {
                Some(v) => {
                    if let IterState::Enumerate(_, c) = &mut *st.borrow_mut() {
                        *c += 1;
                    }
                    Ok(Some(alloc::tuple(vec![Value::Int(n), v])))
                }
                None => finish(st, None),
            },
            Step::Zip(its, strict) => {
                if its.is_empty() {
                    return finish(st, None);
                }
                let mut out = Vec::with_capacity(its.len());
                for (i, it) in its.iter().enumerate() {
                    match self.next(it)? {
                        Some(v) => out.push(v),
                        None => {
                            *st.borrow_mut() = IterState::Exhausted;
                            if strict {
                                if i > 0 {
                                    return Err(self.value_error(zip_msg(i, true)));
                                }
                                for (j, other) in its.iter().enumerate().skip(1) {
                                    if self.next(other)?.is_some() {
                                        return Err(self.value_error(zip_msg(j, false)));
                                    }
                                }
                            }
                            return Ok(None);
                        }
                    }
                }
                Ok(Some(alloc::tuple(out)))
            }
            Step::Map(f, its) => {
                let mut args = Vec::with_capacity(its.len());
                for it in &its {
                    match self.next(it)? {
                        Some(v) => args.push(v),
                        None => return finish(st, None),
                    }
                }
                self.call(&f, &args, &[]).map(Some)
            }
            Step::Filter(pred, inner) => loop {
                let Some(v) = self.next(&inner)? else {
                    return finish(st, None);
                };
                let keep = if matches!(pred, Value::None) {
                    self.truthy(&v)?
                } else {
                    let r = self.call(&pred, std::slice::from_ref(&v), &[])?;
                    self.truthy(&r)?
                };
                if keep {
                    return Ok(Some(v));
                }
            },
            Step::Reversed(seq, i) => {
                let len = super::native_len(&seq);
                if len.is_some_and(|n| i >= n) {
                    return finish(st, None);
                }
                match self.getitem(&seq, &Value::Int(i as i64)) {
                    Ok(v) => Ok(Some(v)),
                    Err(e) if exc_is(&e, "IndexError") || exc_is(&e, "StopIteration") => {
                        finish(st, None)
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// All the items of `iterable` (`list(x)`, unpacking, `*args`).
    pub fn collect(&mut self, iterable: &Value) -> PyResult<Vec<Value>> {
        if dunder(&type_of(iterable), "__iter__").is_none() {
            let fast = match iterable.data() {
                Some(Data::List(l)) => Some(l.borrow().clone()),
                Some(Data::Tuple(t)) => Some(t.clone()),
                Some(Data::Dict(d)) => Some(d.borrow().iter().map(|(k, _)| k.clone()).collect()),
                Some(Data::Set(s)) => Some(s.borrow().values().cloned().collect()),
                Some(Data::FrozenSet(s)) => Some(s.values().cloned().collect()),
                _ => None,
            };
            if let Some(items) = fast {
                self.charge(8 * items.len() as u64)?;
                return Ok(items);
            }
        }
        let it = self.iter(iterable)?;
        let mut out = Vec::new();
        while let Some(v) = self.next(&it)? {
            out.push(v);
            if out.len() % 64 == 0 {
                self.charge(8 * 64)?;
            }
        }
        Ok(out)
    }

    /// `item in container`: `__contains__`, the builtin containers, else iteration.
    pub fn contains(&mut self, container: &Value, item: &Value) -> PyResult<bool> {
        let t = type_of(container);
        if dunder(&t, "__contains__").is_some() {
            let r = self.call_method(container, "__contains__", std::slice::from_ref(item))?;
            return self.truthy(&r);
        }
        match container.data() {
            Some(Data::Str(s)) => {
                return match item.as_str() {
                    Some(sub) => Ok(s.contains(sub)),
                    None => Err(self.type_error(format!(
                        "'in <string>' requires string as left operand, not {}",
                        self.type_name(item)
                    ))),
                }
            }
            Some(Data::Bytes(_) | Data::ByteArray(_)) => {
                let hay: Vec<u8> = match container.data() {
                    Some(Data::Bytes(b)) => b.to_vec(),
                    Some(Data::ByteArray(b)) => b.borrow().clone(),
                    _ => Vec::new(),
                };
                if let Some(i) = index_of(self, item)? {
                    if !(0..256).contains(&i) {
                        return Err(self.value_error("byte must be in range(0, 256)"));
                    }
                    return Ok(hay.contains(&(i as u8)));
                }
                let needle: Vec<u8> = match item.data() {
                    Some(Data::Bytes(b)) => b.to_vec(),
                    Some(Data::ByteArray(b)) => b.borrow().clone(),
                    _ => {
                        return Err(self.type_error(format!(
                            "a bytes-like object is required, not '{}'",
                            self.type_name(item)
                        )))
                    }
                };
                return Ok(needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle));
            }
            Some(Data::Dict(d)) => {
                let k = self.dict_key_for(item, "dict key")?;
                return Ok(d.borrow().contains(&k));
            }
            Some(Data::Set(_) | Data::FrozenSet(_)) => {
                let k = self.dict_key_for(item, "set element")?;
                return Ok(match container.data() {
                    Some(Data::Set(s)) => s.borrow().contains(&k),
                    Some(Data::FrozenSet(s)) => s.contains(&k),
                    _ => false,
                });
            }
            Some(Data::Range(r)) => {
                if let Some(n) =
                    super::num::as_bigint(item).filter(|_| !matches!(item, Value::Float(_)))
                {
                    let r = *r;
                    use num_traits::ToPrimitive;
                    let Some(n) = n.to_i64() else {
                        return Ok(false);
                    };
                    let inside = if r.step > 0 {
                        n >= r.start && n < r.stop
                    } else {
                        n <= r.start && n > r.stop
                    };
                    return Ok(inside && (n as i128 - r.start as i128) % r.step as i128 == 0);
                }
            }
            Some(Data::Iter(_)) => {
                if let Some((d, kind)) = as_dict_view(container) {
                    let Data::Dict(dd) = &d.data else {
                        return Ok(false);
                    };
                    match kind {
                        DictView::Keys => {
                            let k = self.dict_key_for(item, "dict key")?;
                            return Ok(dd.borrow().contains(&k));
                        }
                        DictView::Items => {
                            let Some(Data::Tuple(pair)) = item.data() else {
                                return Ok(false);
                            };
                            if pair.len() != 2 {
                                return Ok(false);
                            }
                            let k = self.key_of(&pair[0])?;
                            let v = dd.borrow().get(&k).cloned();
                            return match v {
                                Some(v) => self.eq(&v, &pair[1]),
                                None => Ok(false),
                            };
                        }
                        DictView::Values => {}
                    }
                }
            }
            _ => {}
        }
        let items: Option<Vec<Value>> = match container.data() {
            Some(Data::List(l)) => Some(l.borrow().clone()),
            Some(Data::Tuple(t)) => Some(t.clone()),
            _ => None,
        };
        if let Some(items) = items {
            for x in &items {
                if self.eq(x, item)? {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
        let it = match self.iter(container) {
            Ok(it) => it,
            Err(e) if exc_is(&e, "TypeError") && dunder(&t, "__iter__").is_none() => {
                return Err(self.type_error(format!(
                    "argument of type '{}' is not a container or iterable",
                    self.type_name(container)
                )))
            }
            Err(e) => return Err(e),
        };
        while let Some(x) = self.next(&it)? {
            if self.eq(&x, item)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The key of `item` for a dict or set lookup: a set is looked up as the equal
    /// frozenset; unhashable items get "cannot use 'list' as a {what} (…)".
    pub(super) fn dict_key_for(&mut self, item: &Value, what: &str) -> PyResult<crate::dict::Key> {
        if let Some(Data::Set(s)) = item.data() {
            if what == "set element" {
                let mut keys: Vec<crate::dict::Key> = s.borrow().keys().cloned().collect();
                keys.sort();
                return Ok(crate::dict::Key::FrozenSet(keys));
            }
        }
        match self.key_of(item) {
            Ok(k) => Ok(k),
            Err(Flow::Exc(e))
                if crate::exc::is_instance(&e, "TypeError")
                    && crate::dict::builtin_key(item).is_none()
                    && dunder(&type_of(item), "__hash__").is_none() =>
            {
                let n = self.type_name(item);
                Err(self.type_error(format!(
                    "cannot use '{n}' as a {what} (unhashable type: '{n}')"
                )))
            }
            Err(e) => Err(e),
        }
    }
}

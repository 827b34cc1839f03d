//! Rich comparison (`COMPARE_OP`, `==` inside containers) and hashing (dict keys and set
//! members).

use super::num::{as_num, cmp_real, num_eq, Num};
use super::{as_dict_view, dunder, type_of};
use crate::dict::{builtin_key, Key};
use crate::types::{is_subtype, lookup_owner, tdata};
use crate::value::{Data, Native, ObjRef, Value};
use crate::{PyResult, Vm};
use std::cmp::Ordering;
use std::rc::Rc;

const LT: u32 = 0;
const LE: u32 = 1;
const EQ: u32 = 2;
const NE: u32 = 3;
const GT: u32 = 4;
const GE: u32 = 5;

const NAMES: [&str; 6] = ["__lt__", "__le__", "__eq__", "__ne__", "__gt__", "__ge__"];
const SYMBOLS: [&str; 6] = ["<", "<=", "==", "!=", ">", ">="];

/// The operator with its operands swapped (`a < b` is `b > a`).
fn swapped(op: u32) -> u32 {
    match op {
        LT => GT,
        LE => GE,
        GT => LT,
        GE => LE,
        o => o,
    }
}

/// Whether an ordering satisfies `op`.
fn holds(o: Ordering, op: u32) -> bool {
    match op {
        LT => o == Ordering::Less,
        LE => o != Ordering::Greater,
        EQ => o == Ordering::Equal,
        NE => o != Ordering::Equal,
        GT => o == Ordering::Greater,
        _ => o != Ordering::Less,
    }
}

/// The items of a sequence compared lexicographically (same kind on both sides).
fn seq_items(v: &Value) -> Option<Vec<Value>> {
    match v.data()? {
        Data::Tuple(t) => Some(t.clone()),
        Data::List(l) => Some(l.borrow().clone()),
        Data::Native(n) => match &*n.borrow() {
            Native::Deque(d, _) => Some(d.iter().cloned().collect()),
            _ => None,
        },
        _ => None,
    }
}

/// The kind of sequence for comparison purposes (lists compare with lists only, …).
fn seq_kind(v: &Value) -> u8 {
    match v.data() {
        Some(Data::Tuple(_)) => 1,
        Some(Data::List(_)) => 2,
        Some(Data::Native(_)) => 3,
        _ => 0,
    }
}

/// The keys of a set, frozenset or set-like dict view.
fn set_keys(vm: &mut Vm, v: &Value) -> PyResult<Option<Vec<Key>>> {
    Ok(match v.data() {
        Some(Data::Set(s)) => Some(s.borrow().keys().cloned().collect()),
        Some(Data::FrozenSet(s)) => Some(s.keys().cloned().collect()),
        Some(Data::Iter(_)) => match as_dict_view(v) {
            Some((d, crate::value::DictView::Keys)) => match &d.data {
                Data::Dict(d) => Some(d.borrow().keys().cloned().collect()),
                _ => None,
            },
            Some((d, crate::value::DictView::Items)) => {
                let Data::Dict(dd) = &d.data else {
                    return Ok(None);
                };
                let pairs: Vec<(Value, Value)> = dd
                    .borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                let mut keys = Vec::new();
                for (k, v) in pairs {
                    match vm.key_of(&crate::alloc::tuple(vec![k, v])) {
                        Ok(key) => keys.push(key),
                        Err(_) => return Ok(None),
                    }
                }
                Some(keys)
            }
            _ => None,
        },
        _ => None,
    })
}

impl Vm {
    /// `COMPARE_OP` with `op` = oparg >> 5 (0 `<`, 1 `<=`, 2 `==`, 3 `!=`, 4 `>`, 5 `>=`):
    /// the rich-comparison protocol.
    pub fn compare(&mut self, a: &Value, b: &Value, op: u32) -> PyResult {
        if op > GE {
            return Err(self.exc("SystemError", format!("bad comparison operator {op}")));
        }
        let (ta, tb) = (type_of(a), type_of(b));
        let same = Rc::ptr_eq(&ta, &tb);
        let rop = swapped(op);
        let mut checked_reverse = false;
        if !same && is_subtype(&tb, &ta) && self.has_user_cmp(&tb, rop) {
            checked_reverse = true;
            let r = self.cmp_slot(b, a, rop)?;
            if !matches!(r, Value::NotImplemented) {
                return Ok(r);
            }
        }
        let r = self.cmp_slot(a, b, op)?;
        if !matches!(r, Value::NotImplemented) {
            return Ok(r);
        }
        if !checked_reverse {
            let r = self.cmp_slot(b, a, rop)?;
            if !matches!(r, Value::NotImplemented) {
                return Ok(r);
            }
        }
        match op {
            EQ => Ok(Value::Bool(a.is(b))),
            NE => Ok(Value::Bool(!a.is(b))),
            _ => Err(self.type_error(format!(
                "'{}' not supported between instances of '{}' and '{}'",
                SYMBOLS[op as usize],
                self.type_name(a),
                self.type_name(b)
            ))),
        }
    }

    fn has_user_cmp(&self, t: &ObjRef, op: u32) -> bool {
        dunder(t, NAMES[op as usize]).is_some() || (op == NE && dunder(t, "__eq__").is_some())
    }

    /// One operand's comparison slot: its Python method, or the builtin behaviour.
    fn cmp_slot(&mut self, a: &Value, b: &Value, op: u32) -> PyResult {
        let t = type_of(a);
        let name = NAMES[op as usize];
        if dunder(&t, name).is_some() {
            return self.call_method(a, name, std::slice::from_ref(b));
        }
        if op == NE && dunder(&t, "__eq__").is_some() {
            // `object.__ne__` inverts `__eq__`.
            let r = self.call_method(a, "__eq__", std::slice::from_ref(b))?;
            if matches!(r, Value::NotImplemented) {
                return Ok(r);
            }
            return Ok(Value::Bool(!self.truthy(&r)?));
        }
        Ok(self.native_cmp(a, b, op)?.unwrap_or(Value::NotImplemented))
    }

    /// The builtin types' comparisons; `None` = NotImplemented.
    fn native_cmp(&mut self, a: &Value, b: &Value, op: u32) -> PyResult<Option<Value>> {
        if let (Some(x), Some(y)) = (as_num(a), as_num(b)) {
            let complex = matches!(x, Num::Complex(..)) || matches!(y, Num::Complex(..));
            if complex {
                return Ok(match op {
                    EQ => Some(Value::Bool(num_eq(&x, &y))),
                    NE => Some(Value::Bool(!num_eq(&x, &y))),
                    _ => None,
                });
            }
            return Ok(Some(Value::Bool(match cmp_real(&x, &y) {
                Some(o) => holds(o, op),
                None => op == NE,
            })));
        }
        match (a.data(), b.data()) {
            (Some(Data::Str(x)), Some(Data::Str(y))) => {
                return Ok(Some(Value::Bool(holds((**x).cmp(&**y), op))))
            }
            (
                Some(Data::Bytes(_) | Data::ByteArray(_)),
                Some(Data::Bytes(_) | Data::ByteArray(_)),
            ) => {
                let x = bytes_of(a);
                let y = bytes_of(b);
                return Ok(Some(Value::Bool(holds(x.cmp(&y), op))));
            }
            (Some(Data::Dict(_)), Some(Data::Dict(_))) => {
                if op != EQ && op != NE {
                    return Ok(None);
                }
                let e = self.dict_eq(a, b)?;
                return Ok(Some(Value::Bool(e == (op == EQ))));
            }
            (Some(Data::Range(x)), Some(Data::Range(y))) => {
                if op != EQ && op != NE {
                    return Ok(None);
                }
                let (lx, ly) = (x.len(), y.len());
                let e =
                    lx == ly && (lx == 0 || (x.start == y.start && (lx == 1 || x.step == y.step)));
                return Ok(Some(Value::Bool(e == (op == EQ))));
            }
            (Some(Data::Slice(a1, a2, a3)), Some(Data::Slice(b1, b2, b3))) => {
                let x = vec![a1.clone(), a2.clone(), a3.clone()];
                let y = vec![b1.clone(), b2.clone(), b3.clone()];
                return self.seq_cmp(&x, &y, op).map(Some);
            }
            _ => {}
        }
        let k = seq_kind(a);
        if k != 0 && k == seq_kind(b) {
            if let (Some(x), Some(y)) = (seq_items(a), seq_items(b)) {
                return self.seq_cmp(&x, &y, op).map(Some);
            }
        }
        if let Some(x) = set_keys(self, a)? {
            if let Some(y) = set_keys(self, b)? {
                let sub = |p: &[Key], q: &[Key]| {
                    let qs: std::collections::HashSet<&Key> = q.iter().collect();
                    p.iter().all(|k| qs.contains(k))
                };
                let r = match op {
                    EQ => x.len() == y.len() && sub(&x, &y),
                    NE => !(x.len() == y.len() && sub(&x, &y)),
                    LT => x.len() < y.len() && sub(&x, &y),
                    LE => x.len() <= y.len() && sub(&x, &y),
                    GT => x.len() > y.len() && sub(&y, &x),
                    _ => x.len() >= y.len() && sub(&y, &x),
                };
                return Ok(Some(Value::Bool(r)));
            }
        }
        Ok(None)
    }

    /// Lexicographic comparison of two sequences' items.
    fn seq_cmp(&mut self, x: &[Value], y: &[Value], op: u32) -> PyResult {
        let n = x.len().min(y.len());
        let mut i = 0;
        while i < n {
            if !self.eq(&x[i], &y[i])? {
                break;
            }
            i += 1;
        }
        if i >= n {
            return Ok(Value::Bool(holds(x.len().cmp(&y.len()), op)));
        }
        match op {
            EQ => Ok(Value::Bool(false)),
            NE => Ok(Value::Bool(true)),
            _ => self.compare(&x[i], &y[i], op),
        }
    }

    fn dict_eq(&mut self, a: &Value, b: &Value) -> PyResult<bool> {
        let (Some(Data::Dict(x)), Some(Data::Dict(y))) = (a.data(), b.data()) else {
            return Ok(false);
        };
        if x.borrow().len() != y.borrow().len() {
            return Ok(false);
        }
        let entries: Vec<(Key, Value)> = {
            let xb = x.borrow();
            xb.keys()
                .cloned()
                .zip(xb.iter().map(|(_, v)| v.clone()))
                .collect()
        };
        for (k, v) in entries {
            let other = y.borrow().get(&k).cloned();
            match other {
                Some(w) => {
                    if !self.eq(&v, &w)? {
                        return Ok(false);
                    }
                }
                None => return Ok(false),
            }
        }
        Ok(true)
    }

    /// `a == b` as a truth value (`PyObject_RichCompareBool`: identity implies equality).
    pub fn eq(&mut self, a: &Value, b: &Value) -> PyResult<bool> {
        if a.is(b) {
            return Ok(true);
        }
        match (a, b) {
            (Value::Int(x), Value::Int(y)) => return Ok(x == y),
            (Value::Obj(x), Value::Obj(y)) => {
                if let (Data::Str(p), Data::Str(q)) = (&x.data, &y.data) {
                    if x.cls
                        .as_ref()
                        .is_some_and(|c| Rc::ptr_eq(c, &crate::alloc::types().str_))
                        && y.cls
                            .as_ref()
                            .is_some_and(|c| Rc::ptr_eq(c, &crate::alloc::types().str_))
                    {
                        return Ok(p == q);
                    }
                }
            }
            _ => {}
        }
        let r = self.compare(a, b, EQ)?;
        match r {
            Value::Bool(b) => Ok(b),
            other => self.truthy(&other),
        }
    }

    /// The dict key / set member form of `v` (its hash and equality class), or TypeError
    /// "unhashable type: 'list'".
    pub fn key_of(&mut self, v: &Value) -> PyResult<Key> {
        if let Value::Obj(o) = v {
            let t = type_of(v);
            if let Some(h) = dunder(&t, "__hash__") {
                if matches!(h, Value::None) {
                    return Err(self.unhashable(v));
                }
                let r = self.call_method(v, "__hash__", &[])?;
                let h = match &r {
                    Value::Int(i) => *i,
                    Value::Bool(b) => *b as i64,
                    _ => match super::num::as_bigint(&r) {
                        Some(b) if !matches!(r, Value::Float(_)) => Key::Big(b).py_hash(),
                        _ => {
                            return Err(self.type_error("__hash__ method should return an integer"))
                        }
                    },
                };
                let h = if h == -1 { -2 } else { h };
                return Ok(Key::Custom(h, Rc::as_ptr(o) as usize));
            }
            if eq_without_hash(&t) {
                return Err(self.unhashable(v));
            }
            if let Data::Tuple(items) = &o.data {
                let mut keys = Vec::with_capacity(items.len());
                for i in items {
                    keys.push(self.key_of(i)?);
                }
                return Ok(Key::Tuple(keys));
            }
        }
        match builtin_key(v) {
            Some(k) => Ok(k),
            None => Err(self.unhashable(v)),
        }
    }

    fn unhashable(&self, v: &Value) -> crate::Flow {
        self.type_error(format!("unhashable type: '{}'", self.type_name(v)))
    }
}

/// Whether a class statement in `t`'s MRO defines `__eq__` without a `__hash__` at least as
/// near (such a class gets `__hash__ = None`).
fn eq_without_hash(t: &ObjRef) -> bool {
    let Some(eq_owner) = lookup_owner(t, "__eq__") else {
        return false;
    };
    if super::is_core(&eq_owner) {
        return false;
    }
    let mro = tdata(t).mro.borrow();
    let pos = |c: &ObjRef| mro.iter().position(|m| Rc::ptr_eq(m, c));
    match lookup_owner(t, "__hash__") {
        None => true,
        Some(h) => pos(&h) > pos(&eq_owner),
    }
}

fn bytes_of(v: &Value) -> Vec<u8> {
    match v.data() {
        Some(Data::Bytes(b)) => b.to_vec(),
        Some(Data::ByteArray(b)) => b.borrow().clone(),
        _ => Vec::new(),
    }
}

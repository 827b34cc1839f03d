//! `BINARY_OP` and the unary operators: the number protocol's binary dispatch
//! (`__add__`, the reflected `__radd__` — first when the right operand's type is a subclass
//! that overrides it —, in-place `__iadd__`), and the builtin types' own slots: numbers,
//! sequence concatenation and repetition, `%` formatting, dict and set operators.

use super::num::{self, as_num, Op};
use super::{dunder, index_of, type_of, Unary};
use crate::alloc::{self, types};
use crate::set::Set;
use crate::types::{is_subtype, lookup};
use crate::value::{Data, Value};
use crate::{PyResult, Vm};
use std::rc::Rc;

/// `NB_SUBSCR`, the oparg of `BINARY_OP` that subscripts (3.14+).
const NB_SUBSCR: u32 = 26;

/// The operators in `BINARY_OP` oparg order: operator, symbol, method, reflected method,
/// in-place method.
const OPS: [(Op, &str, &str, &str, &str); 13] = [
    (Op::Add, "+", "__add__", "__radd__", "__iadd__"),
    (Op::And, "&", "__and__", "__rand__", "__iand__"),
    (
        Op::FloorDiv,
        "//",
        "__floordiv__",
        "__rfloordiv__",
        "__ifloordiv__",
    ),
    (Op::LShift, "<<", "__lshift__", "__rlshift__", "__ilshift__"),
    (Op::MatMul, "@", "__matmul__", "__rmatmul__", "__imatmul__"),
    (Op::Mul, "*", "__mul__", "__rmul__", "__imul__"),
    (Op::Mod, "%", "__mod__", "__rmod__", "__imod__"),
    (Op::Or, "|", "__or__", "__ror__", "__ior__"),
    (Op::Pow, "**", "__pow__", "__rpow__", "__ipow__"),
    (Op::RShift, ">>", "__rshift__", "__rrshift__", "__irshift__"),
    (Op::Sub, "-", "__sub__", "__rsub__", "__isub__"),
    (
        Op::TrueDiv,
        "/",
        "__truediv__",
        "__rtruediv__",
        "__itruediv__",
    ),
    (Op::Xor, "^", "__xor__", "__rxor__", "__ixor__"),
];

fn is_seq(v: &Value) -> bool {
    matches!(
        v.data(),
        Some(Data::Str(_) | Data::Bytes(_) | Data::ByteArray(_) | Data::Tuple(_) | Data::List(_))
    )
}

/// Whether two looked-up attributes are the same object.
fn same_attr(a: &Option<Value>, b: &Option<Value>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => x.is(y),
        (None, None) => true,
        _ => false,
    }
}

impl Vm {
    /// `BINARY_OP` with oparg `op`: `a + b`, …, the in-place forms (13–25) and `a[b]` (26).
    pub fn binary_op(&mut self, a: &Value, b: &Value, op: u32) -> PyResult {
        if op == NB_SUBSCR {
            return self.getitem(a, b);
        }
        let inplace = op >= 13;
        let Some(&(kind, sym, name, rname, iname)) = OPS.get((op % 13) as usize) else {
            return Err(self.exc("SystemError", format!("bad BINARY_OP oparg {op}")));
        };
        if op > 25 {
            return Err(self.exc("SystemError", format!("bad BINARY_OP oparg {op}")));
        }
        if inplace {
            if dunder(&type_of(a), iname).is_some() {
                let r = self.call_method(a, iname, std::slice::from_ref(b))?;
                if !matches!(r, Value::NotImplemented) {
                    return Ok(r);
                }
            } else if let Some(r) = self.native_inplace(a, b, kind)? {
                return Ok(r);
            }
        }
        if let Some(r) = self.binop(a, b, kind, name, rname)? {
            return Ok(r);
        }
        let sym = if inplace {
            format!("{sym}=")
        } else {
            sym.to_string()
        };
        Err(self.binop_error(a, b, kind, &sym))
    }

    /// `a op b` through both operands' methods; `None` when both declined.
    fn binop(
        &mut self,
        a: &Value,
        b: &Value,
        kind: Op,
        name: &str,
        rname: &str,
    ) -> PyResult<Option<Value>> {
        let (ta, tb) = (type_of(a), type_of(b));
        let same = Rc::ptr_eq(&ta, &tb);
        let b_user = !same && dunder(&tb, rname).is_some();
        let reflected_first =
            b_user && is_subtype(&tb, &ta) && !same_attr(&lookup(&ta, rname), &lookup(&tb, rname));
        if reflected_first {
            let r = self.call_method(b, rname, std::slice::from_ref(a))?;
            if !matches!(r, Value::NotImplemented) {
                return Ok(Some(r));
            }
        }
        if dunder(&ta, name).is_some() {
            let r = self.call_method(a, name, std::slice::from_ref(b))?;
            if !matches!(r, Value::NotImplemented) {
                return Ok(Some(r));
            }
        } else if let Some(r) = self.native_binop(a, b, kind)? {
            return Ok(Some(r));
        }
        if same || reflected_first {
            return Ok(None);
        }
        if b_user {
            let r = self.call_method(b, rname, std::slice::from_ref(a))?;
            if !matches!(r, Value::NotImplemented) {
                return Ok(Some(r));
            }
            return Ok(None);
        }
        if dunder(&ta, name).is_some() {
            // The left operand's Python method declined; the right's C slot may still
            // apply (an int subclass's `__add__` returning NotImplemented against an int).
            return self.native_binop(a, b, kind);
        }
        Ok(None)
    }

    /// The TypeError of an operator no operand implements.
    fn binop_error(&mut self, a: &Value, b: &Value, kind: Op, sym: &str) -> crate::Flow {
        let (na, nb) = (self.type_name(a), self.type_name(b));
        if kind == Op::Add && dunder(&type_of(a), "__add__").is_none() {
            match a.data() {
                Some(Data::Str(_)) => {
                    return self
                        .type_error(format!("can only concatenate str (not \"{nb}\") to str"))
                }
                Some(Data::List(_)) => {
                    return self
                        .type_error(format!("can only concatenate list (not \"{nb}\") to list"))
                }
                Some(Data::Tuple(_)) => {
                    return self.type_error(format!(
                        "can only concatenate tuple (not \"{nb}\") to tuple"
                    ))
                }
                Some(Data::Bytes(_)) | Some(Data::ByteArray(_)) => {
                    return self.type_error(format!("can't concat {nb} to {na}"))
                }
                _ => {}
            }
        }
        if kind == Op::Mul {
            if is_seq(a) && dunder(&type_of(a), "__mul__").is_none() {
                return self
                    .type_error(format!("can't multiply sequence by non-int of type '{nb}'"));
            }
            if is_seq(b) && dunder(&type_of(b), "__rmul__").is_none() {
                return self
                    .type_error(format!("can't multiply sequence by non-int of type '{na}'"));
            }
        }
        let sym = if kind == Op::Pow {
            if sym.ends_with('=') {
                "**=".to_string()
            } else {
                "** or pow()".to_string()
            }
        } else {
            sym.to_string()
        };
        self.type_error(format!(
            "unsupported operand type(s) for {sym}: '{na}' and '{nb}'"
        ))
    }

    /// The builtin types' binary slots; `None` = NotImplemented.
    fn native_binop(&mut self, a: &Value, b: &Value, kind: Op) -> PyResult<Option<Value>> {
        if let (Value::Bool(x), Value::Bool(y)) = (a, b) {
            match kind {
                Op::And => return Ok(Some(Value::Bool(*x & *y))),
                Op::Or => return Ok(Some(Value::Bool(*x | *y))),
                Op::Xor => return Ok(Some(Value::Bool(*x ^ *y))),
                _ => {}
            }
        }
        if let (Some(x), Some(y)) = (as_num(a), as_num(b)) {
            return num::binop(self, &x, &y, kind);
        }
        if kind == Op::Or {
            // `int | None`: a `typing.Union` (PEP 604).
            if let Some(u) = crate::modules::union::of(self, a, b)? {
                return Ok(Some(u));
            }
        }
        match kind {
            Op::Add => self.concat(a, b),
            Op::Mul => {
                if is_seq(a) {
                    if let Some(n) = index_of(self, b)? {
                        return self.repeat(a, n).map(Some);
                    }
                } else if is_seq(b) {
                    if let Some(n) = index_of(self, a)? {
                        return self.repeat(b, n).map(Some);
                    }
                }
                Ok(None)
            }
            Op::Mod => match a.data() {
                Some(Data::Str(s)) => {
                    let s = s.clone();
                    self.percent_format(&s, b).map(|r| Some(alloc::string(r)))
                }
                _ => Ok(None),
            },
            Op::Or => match (a.data(), b.data()) {
                (Some(Data::Dict(x)), Some(Data::Dict(y))) => {
                    let mut d = x.borrow().clone();
                    for (k, v) in y.borrow().iter() {
                        let key = self.key_of(k)?;
                        d.insert(key, k.clone(), v.clone());
                    }
                    Ok(Some(alloc::dict(d)))
                }
                _ => self.set_binop(a, b, kind),
            },
            Op::And | Op::Sub | Op::Xor => self.set_binop(a, b, kind),
            _ => Ok(None),
        }
    }

    fn concat(&mut self, a: &Value, b: &Value) -> PyResult<Option<Value>> {
        Ok(Some(match (a.data(), b.data()) {
            (Some(Data::Str(x)), Some(Data::Str(y))) => {
                self.charge((x.len() + y.len()) as u64)?;
                let mut s = String::with_capacity(x.len() + y.len());
                s.push_str(x);
                s.push_str(y);
                alloc::string(s)
            }
            (Some(Data::Tuple(x)), Some(Data::Tuple(y))) => {
                self.charge(8 * (x.len() + y.len()) as u64)?;
                alloc::tuple(x.iter().chain(y.iter()).cloned().collect())
            }
            (Some(Data::List(x)), Some(Data::List(y))) => {
                let mut v = x.borrow().clone();
                v.extend(y.borrow().iter().cloned());
                self.charge(8 * v.len() as u64)?;
                alloc::list(v)
            }
            (Some(Data::Bytes(_) | Data::ByteArray(_)), _) if bytes_like(b).is_some() => {
                let mut v = bytes_like(a).unwrap_or_default();
                v.extend(bytes_like(b).unwrap_or_default());
                self.charge(v.len() as u64)?;
                if matches!(a.data(), Some(Data::ByteArray(_))) {
                    alloc::obj(
                        &types().bytearray,
                        Data::ByteArray(std::cell::RefCell::new(v)),
                    )
                } else {
                    alloc::bytes(v)
                }
            }
            _ => return Ok(None),
        }))
    }

    /// `seq * n`.
    fn repeat(&mut self, seq: &Value, n: i64) -> PyResult {
        let n = n.max(0) as usize;
        let len = match seq.data() {
            Some(Data::Str(s)) => s.len(),
            Some(Data::Bytes(b)) => b.len(),
            Some(Data::ByteArray(b)) => b.borrow().len(),
            Some(Data::Tuple(t)) => 8 * t.len(),
            Some(Data::List(l)) => 8 * l.borrow().len(),
            _ => 0,
        };
        let Some(total) = len.checked_mul(n) else {
            return Err(self.exc("MemoryError", ""));
        };
        self.charge(total as u64)?;
        Ok(match seq.data() {
            Some(Data::Str(s)) => alloc::string(s.repeat(n)),
            Some(Data::Bytes(b)) => alloc::bytes(b.repeat(n)),
            Some(Data::ByteArray(b)) => alloc::obj(
                &types().bytearray,
                Data::ByteArray(std::cell::RefCell::new(b.borrow().repeat(n))),
            ),
            Some(Data::Tuple(t)) => {
                if n == 1 && types().is_exact(seq, &types().tuple) {
                    return Ok(seq.clone());
                }
                alloc::tuple(repeat_vec(t, n))
            }
            Some(Data::List(l)) => alloc::list(repeat_vec(&l.borrow(), n)),
            _ => return Err(self.type_error("can't repeat")),
        })
    }

    /// `set op set` for `| & - ^`; the result has the left operand's kind.
    fn set_binop(&mut self, a: &Value, b: &Value, kind: Op) -> PyResult<Option<Value>> {
        let (Some(x), Some(y)) = (set_items(a), set_items(b)) else {
            return Ok(None);
        };
        let r = match kind {
            Op::Or => {
                let mut r = x.clone();
                for (k, v) in entries(&y) {
                    r.insert(k, v);
                }
                r
            }
            Op::And => {
                let (small, big) = if y.len() > x.len() {
                    (&x, &y)
                } else {
                    (&y, &x)
                };
                let mut r = Set::new();
                for (k, v) in entries(small) {
                    if big.contains(&k) {
                        r.insert(k, v);
                    }
                }
                r
            }
            Op::Sub => {
                if (x.len() >> 2) > y.len() {
                    let mut r = x.clone();
                    for k in y.keys() {
                        r.remove(k);
                    }
                    r
                } else {
                    let mut r = Set::new();
                    for (k, v) in entries(&x) {
                        if !y.contains(&k) {
                            r.insert(k, v);
                        }
                    }
                    r
                }
            }
            Op::Xor => {
                let mut r = y.clone();
                for (k, v) in entries(&x) {
                    if !r.remove(&k) {
                        r.insert(k, v);
                    }
                }
                r
            }
            _ => return Ok(None),
        };
        Ok(Some(if matches!(a.data(), Some(Data::FrozenSet(_))) {
            alloc::frozenset(r)
        } else {
            alloc::set(r)
        }))
    }

    /// The builtin types' in-place slots (`list +=`, `set |=`, `dict |=`, …).
    fn native_inplace(&mut self, a: &Value, b: &Value, kind: Op) -> PyResult<Option<Value>> {
        match (a.data(), kind) {
            (Some(Data::List(l)), Op::Add) => {
                let items = match b.data() {
                    Some(Data::List(o)) => o.borrow().clone(),
                    Some(Data::Tuple(t)) => t.clone(),
                    _ => self.collect(b)?,
                };
                self.charge(8 * items.len() as u64)?;
                l.borrow_mut().extend(items);
                Ok(Some(a.clone()))
            }
            (Some(Data::List(l)), Op::Mul) => {
                let Some(n) = index_of(self, b)? else {
                    return Ok(None);
                };
                let cur = l.borrow().clone();
                self.charge((8 * cur.len() as u64).saturating_mul(n.max(0) as u64))?;
                *l.borrow_mut() = repeat_vec(&cur, n.max(0) as usize);
                Ok(Some(a.clone()))
            }
            (Some(Data::ByteArray(ba)), Op::Add) => {
                let Some(extra) = bytes_like(b) else {
                    return Ok(None);
                };
                ba.borrow_mut().extend(extra);
                Ok(Some(a.clone()))
            }
            (Some(Data::Dict(_)), Op::Or) => {
                crate::call::dict_update(self, a, b, None)?;
                Ok(Some(a.clone()))
            }
            (Some(Data::Set(s)), Op::Or | Op::And | Op::Sub | Op::Xor) => {
                let Some(y) = set_items(b) else {
                    return Ok(None);
                };
                let same = a.is(b);
                let cur = s.borrow().clone();
                let new = match kind {
                    Op::Or => {
                        let mut r = cur;
                        for (k, v) in entries(&y) {
                            r.insert(k, v);
                        }
                        r
                    }
                    Op::Sub if same => Set::new(),
                    Op::Sub => {
                        let mut r = cur;
                        for k in y.keys() {
                            r.remove(k);
                        }
                        r
                    }
                    Op::Xor if same => Set::new(),
                    Op::Xor => {
                        let mut r = cur;
                        for (k, v) in entries(&y) {
                            if !r.remove(&k) {
                                r.insert(k, v);
                            }
                        }
                        r
                    }
                    _ => match self.set_binop(a, b, Op::And)? {
                        Some(Value::Obj(o)) => match &o.data {
                            Data::Set(r) => r.borrow().clone(),
                            _ => cur,
                        },
                        _ => cur,
                    },
                };
                *s.borrow_mut() = new;
                Ok(Some(a.clone()))
            }
            _ => Ok(None),
        }
    }

    /// `-v`, `+v`, `~v`, `not v`.
    pub fn unary(&mut self, v: &Value, op: Unary) -> PyResult {
        let (name, sym) = match op {
            Unary::Not => return Ok(Value::Bool(!self.truthy(v)?)),
            Unary::Neg => ("__neg__", "-"),
            Unary::Pos => ("__pos__", "+"),
            Unary::Invert => ("__invert__", "~"),
        };
        if dunder(&type_of(v), name).is_some() {
            return self.call_method(v, name, &[]);
        }
        if let Some(n) = as_num(v) {
            let r = match op {
                Unary::Neg => Some(num::neg(&n)),
                Unary::Pos => Some(num::pos(&n)),
                _ => num::invert(&n),
            };
            if let Some(r) = r {
                return Ok(r);
            }
        }
        Err(self.type_error(format!(
            "bad operand type for unary {sym}: '{}'",
            self.type_name(v)
        )))
    }
}

fn repeat_vec(items: &[Value], n: usize) -> Vec<Value> {
    let mut out = Vec::with_capacity(items.len() * n);
    for _ in 0..n {
        out.extend(items.iter().cloned());
    }
    out
}

/// The bytes of a bytes-like value (`bytes`, `bytearray`).
fn bytes_like(v: &Value) -> Option<Vec<u8>> {
    match v.data()? {
        Data::Bytes(b) => Some(b.to_vec()),
        Data::ByteArray(b) => Some(b.borrow().clone()),
        _ => None,
    }
}

/// The contents of a set or frozenset (a snapshot).
fn set_items(v: &Value) -> Option<Set> {
    match v.data()? {
        Data::Set(s) => Some(s.borrow().clone()),
        Data::FrozenSet(s) => Some(s.clone()),
        _ => None,
    }
}

fn entries(s: &Set) -> Vec<(crate::dict::Key, Value)> {
    s.keys().cloned().zip(s.values().cloned()).collect()
}

//! The optimizer's abstract values, CPython 3.14 (`Python/optimizer_symbols.c`).
//!
//! Each stack item and local variable of the trace is a *symbol* in an arena. A symbol is a
//! point of a small lattice — unknown, NULL, not NULL, a type version, a known class, a known
//! value, a tuple of symbols, or the truthiness of another symbol — and guards refine it in
//! place, so a fact learnt about a value loaded from a local holds for every other use of it.
//! Learning two incompatible facts gives *bottom*: the trace is contradictory and dropped.

use crate::alloc::types;
use crate::types::tdata;
use crate::value::{ObjRef, Value};
use std::rc::Rc;

/// A symbol's index in the arena.
pub type SymId = usize;

#[derive(Clone)]
pub enum Sym {
    Unknown,
    Null,
    NotNull,
    Bottom,
    TypeVersion(u32),
    KnownClass { ty: ObjRef, version: u32 },
    KnownValue(Value),
    Tuple(Vec<SymId>),
    Truthiness { value: SymId, invert: bool },
}

impl Sym {
    /// CPython's tag order (`JIT_SYM_*_TAG`): some tests compare tags.
    fn tag(&self) -> u8 {
        match self {
            Sym::Unknown => 1,
            Sym::Null => 2,
            Sym::NotNull => 3,
            Sym::Bottom => 4,
            Sym::TypeVersion(_) => 5,
            Sym::KnownClass { .. } => 6,
            Sym::KnownValue(_) => 7,
            Sym::Tuple(_) => 8,
            Sym::Truthiness { .. } => 9,
        }
    }
}

/// The arena, with the flags the abstract interpreter stops on.
pub struct Syms {
    arena: Vec<Sym>,
    cap: usize,
    pub done: bool,
    pub out_of_space: bool,
    pub contradiction: bool,
    /// The symbol handed out when the arena is full.
    no_space: SymId,
}

/// Whether `a` and `b` are the same object (`is`).
pub fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::None, Value::None) => true,
        (Value::Obj(x), Value::Obj(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

fn type_of(v: &Value) -> ObjRef {
    types().of(v)
}

fn version_of(t: &ObjRef) -> u32 {
    tdata(t).version.get()
}

impl Syms {
    pub fn new(cap: usize) -> Syms {
        Syms {
            arena: vec![Sym::Bottom],
            cap,
            done: false,
            out_of_space: false,
            contradiction: false,
            no_space: 0,
        }
    }

    fn alloc(&mut self, sym: Sym) -> SymId {
        if self.arena.len() > self.cap {
            self.done = true;
            self.out_of_space = true;
            return self.no_space;
        }
        self.arena.push(sym);
        self.arena.len() - 1
    }

    fn bottom(&mut self, s: SymId) {
        self.arena[s] = Sym::Bottom;
        self.done = true;
        self.contradiction = true;
    }

    pub fn new_unknown(&mut self) -> SymId {
        self.alloc(Sym::Unknown)
    }

    pub fn new_not_null(&mut self) -> SymId {
        self.alloc(Sym::NotNull)
    }

    pub fn new_null(&mut self) -> SymId {
        let s = self.alloc(Sym::Unknown);
        self.set_null(s);
        s
    }

    pub fn new_type(&mut self, ty: &ObjRef) -> SymId {
        let s = self.alloc(Sym::Unknown);
        self.set_type(s, ty);
        s
    }

    pub fn new_const(&mut self, v: Value) -> SymId {
        let s = self.alloc(Sym::Unknown);
        self.set_const(s, v);
        s
    }

    pub fn new_tuple(&mut self, items: &[SymId]) -> SymId {
        if items.len() > 7 {
            let ty = types().tuple.clone();
            return self.alloc(Sym::KnownClass { ty, version: 0 });
        }
        self.alloc(Sym::Tuple(items.to_vec()))
    }

    pub fn new_truthiness(&mut self, value: SymId, truthy: bool) -> SymId {
        let invert = !truthy;
        if let Sym::Truthiness { invert: i, .. } = self.arena[value] {
            if i == invert {
                return value;
            }
        }
        let s = self.alloc(Sym::Unknown);
        if s == self.no_space {
            return s;
        }
        let t = self.truthiness(value);
        self.arena[s] = if t < 0 {
            Sym::Truthiness { value, invert }
        } else {
            Sym::KnownValue(Value::Bool((t == 1) ^ invert))
        };
        s
    }

    pub fn is_null(&self, s: SymId) -> bool {
        matches!(self.arena[s], Sym::Null)
    }

    pub fn is_not_null(&self, s: SymId) -> bool {
        let t = self.arena[s].tag();
        t == 3 || t > 4
    }

    pub fn is_const(&mut self, s: SymId) -> bool {
        self.get_const(s).is_some()
    }

    pub fn get_const(&mut self, s: SymId) -> Option<Value> {
        match &self.arena[s] {
            Sym::KnownValue(v) => Some(v.clone()),
            Sym::Truthiness { value, invert } => {
                let (value, invert) = (*value, *invert);
                let t = self.truthiness(value);
                if t < 0 {
                    return None;
                }
                let v = Value::Bool((t == 1) ^ invert);
                self.arena[s] = Sym::KnownValue(v.clone());
                Some(v)
            }
            _ => None,
        }
    }

    pub fn get_type(&self, s: SymId) -> Option<ObjRef> {
        match &self.arena[s] {
            Sym::KnownClass { ty, .. } => Some(ty.clone()),
            Sym::KnownValue(v) => Some(type_of(v)),
            Sym::Tuple(_) => Some(types().tuple.clone()),
            Sym::Truthiness { .. } => Some(types().bool_.clone()),
            _ => None,
        }
    }

    pub fn has_type(&self, s: SymId) -> bool {
        self.get_type(s).is_some()
    }

    pub fn matches_type(&self, s: SymId, ty: &ObjRef) -> bool {
        self.get_type(s).is_some_and(|t| Rc::ptr_eq(&t, ty))
    }

    fn type_version(&self, s: SymId) -> u32 {
        match &self.arena[s] {
            Sym::TypeVersion(v) => *v,
            Sym::KnownClass { version, .. } => *version,
            Sym::KnownValue(v) => version_of(&type_of(v)),
            Sym::Tuple(_) => version_of(&types().tuple),
            Sym::Truthiness { .. } => version_of(&types().bool_),
            _ => 0,
        }
    }

    pub fn matches_type_version(&self, s: SymId, version: u32) -> bool {
        self.type_version(s) == version
    }

    pub fn set_type(&mut self, s: SymId, ty: &ObjRef) {
        match self.arena[s].clone() {
            Sym::Null => self.bottom(s),
            Sym::KnownClass { ty: t, .. } => {
                if !Rc::ptr_eq(&t, ty) {
                    self.bottom(s);
                }
            }
            Sym::TypeVersion(v) => {
                if v == version_of(ty) {
                    self.arena[s] = Sym::KnownClass {
                        ty: ty.clone(),
                        version: v,
                    };
                } else {
                    self.bottom(s);
                }
            }
            Sym::KnownValue(v) => {
                if !Rc::ptr_eq(&type_of(&v), ty) {
                    self.bottom(s);
                }
            }
            Sym::Tuple(_) => {
                if !Rc::ptr_eq(&types().tuple, ty) {
                    self.bottom(s);
                }
            }
            Sym::Bottom => {}
            Sym::NotNull | Sym::Unknown => {
                self.arena[s] = Sym::KnownClass {
                    ty: ty.clone(),
                    version: 0,
                }
            }
            Sym::Truthiness { .. } => {
                if !Rc::ptr_eq(&types().bool_, ty) {
                    self.bottom(s);
                }
            }
        }
    }

    /// Whether the version could be recorded (then the class is worth watching).
    pub fn set_type_version(&mut self, s: SymId, version: u32) -> bool {
        match self.arena[s].clone() {
            Sym::Null | Sym::KnownValue(_) | Sym::Tuple(_) => {
                self.bottom(s);
                false
            }
            Sym::KnownClass { ty, .. } => {
                if version_of(&ty) != version {
                    self.bottom(s);
                    false
                } else {
                    self.arena[s] = Sym::KnownClass { ty, version };
                    true
                }
            }
            Sym::TypeVersion(v) => {
                if v == version {
                    true
                } else {
                    self.bottom(s);
                    false
                }
            }
            Sym::Bottom => false,
            Sym::NotNull | Sym::Unknown => {
                self.arena[s] = Sym::TypeVersion(version);
                true
            }
            Sym::Truthiness { .. } => {
                if version != version_of(&types().bool_) {
                    self.bottom(s);
                    false
                } else {
                    true
                }
            }
        }
    }

    pub fn set_const(&mut self, s: SymId, v: Value) {
        match self.arena[s].clone() {
            Sym::Null | Sym::Tuple(_) => self.bottom(s),
            Sym::KnownClass { ty, .. } => {
                if Rc::ptr_eq(&ty, &type_of(&v)) {
                    self.arena[s] = Sym::KnownValue(v);
                } else {
                    self.bottom(s);
                }
            }
            Sym::KnownValue(old) => {
                if !same(&old, &v) {
                    self.bottom(s);
                }
            }
            Sym::TypeVersion(ver) => {
                if ver == version_of(&type_of(&v)) {
                    self.arena[s] = Sym::KnownValue(v);
                } else {
                    self.bottom(s);
                }
            }
            Sym::Bottom => {}
            Sym::NotNull | Sym::Unknown => self.arena[s] = Sym::KnownValue(v),
            Sym::Truthiness { value, invert } => {
                let Value::Bool(b) = v else {
                    self.bottom(s);
                    return;
                };
                if let Some(Value::Bool(c)) = self.get_const(s) {
                    if c != b {
                        self.bottom(s);
                    }
                    return;
                }
                let ty = self.get_type(value);
                let is = |t: &ObjRef| ty.as_ref().is_some_and(|x| Rc::ptr_eq(x, t));
                if b != invert {
                    // The value is truthy: only useful for a bool.
                    if is(&types().bool_) {
                        self.set_const(value, Value::Bool(true));
                    }
                } else if is(&types().bool_) {
                    self.set_const(value, Value::Bool(false));
                } else if is(&types().int) {
                    self.set_const(value, Value::Int(0));
                } else if is(&types().str_) {
                    self.set_const(value, crate::alloc::s(""));
                }
                self.arena[s] = Sym::KnownValue(Value::Bool(b));
            }
        }
    }

    pub fn set_null(&mut self, s: SymId) {
        match self.arena[s] {
            Sym::Unknown => self.arena[s] = Sym::Null,
            Sym::Null => {}
            _ => self.bottom(s),
        }
    }

    /// 1 true, 0 false, -1 unknown.
    pub fn truthiness(&mut self, s: SymId) -> i32 {
        match self.arena[s].clone() {
            Sym::KnownValue(v) => match &v {
                Value::None => 0,
                Value::Bool(b) => *b as i32,
                Value::Int(i) => (*i != 0) as i32,
                Value::Obj(o) => match &o.data {
                    crate::value::Data::Str(t) if Rc::ptr_eq(&type_of(&v), &types().str_) => {
                        !t.is_empty() as i32
                    }
                    crate::value::Data::Long(b) if Rc::ptr_eq(&type_of(&v), &types().int) => {
                        (b.sign() != num_bigint::Sign::NoSign) as i32
                    }
                    _ => -1,
                },
                _ => -1,
            },
            Sym::Tuple(items) => !items.is_empty() as i32,
            Sym::Truthiness { value, invert } => {
                let t = self.truthiness(value);
                if t < 0 {
                    return t;
                }
                let r = (t == 1) ^ invert;
                self.arena[s] = Sym::KnownValue(Value::Bool(r));
                r as i32
            }
            _ => -1,
        }
    }

    pub fn tuple_getitem(&mut self, s: SymId, item: usize) -> SymId {
        match self.arena[s].clone() {
            Sym::KnownValue(v) => {
                if let Some(crate::value::Data::Tuple(t)) = v.data() {
                    if Rc::ptr_eq(&type_of(&v), &types().tuple) && item < t.len() {
                        return self.new_const(t[item].clone());
                    }
                }
            }
            Sym::Tuple(items) if item < items.len() => return items[item],
            _ => {}
        }
        self.new_unknown()
    }

    pub fn tuple_length(&self, s: SymId) -> Option<usize> {
        match &self.arena[s] {
            Sym::KnownValue(v) => match v.data() {
                Some(crate::value::Data::Tuple(t)) => Some(t.len()),
                _ => None,
            },
            Sym::Tuple(items) => Some(items.len()),
            _ => None,
        }
    }
}

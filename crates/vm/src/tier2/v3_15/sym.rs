//! The optimizer's symbols (CPython 3.15's `optimizer_symbols.c`): what the abstract
//! interpreter knows about each stack item and local, on a lattice from "unknown" down to a
//! known constant (or to "bottom", a contradiction). References to symbols carry a tag:
//! borrowed (the item does not own its object), unique (the only reference) or plain.

use crate::alloc::types;
use crate::types::tdata;
use crate::value::{Data, ObjRef, Value};
use std::rc::Rc;

/// A predicate's relation (`JitOptPredicateKind`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Pred {
    Is,
    IsNot,
    Eq,
    Ne,
}

/// One symbol (`JitOptSymbol`).
#[derive(Clone)]
pub enum S {
    Unknown,
    Null,
    NonNull,
    Bottom,
    TypeVersion(u32),
    KnownClass { ty: ObjRef, version: u32 },
    KnownValue(Value),
    Tuple(Vec<u32>),
    Truthiness { invert: bool, value: u32 },
    CompactInt,
    Predicate { kind: Pred, lhs: u32, rhs: u32 },
    RecordedValue { value: Value, known_type: bool },
    RecordedType(ObjRef),
    RecordedGenFunc(Value),
}

/// A reference to a symbol (`JitOptRef`); frames are referred to by their index.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Ref {
    pub id: u32,
    pub tag: Tag,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Tag {
    Plain,
    Borrowed,
    Unique,
    /// Not a symbol: an abstract frame (`PyJitRef_WrapInvalid`), or the `NULL` reference.
    Frame,
}

impl Ref {
    /// `PyJitRef_NULL`.
    pub const NULL: Ref = Ref {
        id: u32::MAX,
        tag: Tag::Borrowed,
    };

    pub fn plain(id: u32) -> Ref {
        Ref {
            id,
            tag: Tag::Plain,
        }
    }

    pub fn frame(f: usize) -> Ref {
        Ref {
            id: f as u32,
            tag: Tag::Frame,
        }
    }

    pub fn is_null_ref(self) -> bool {
        self == Ref::NULL
    }

    pub fn borrow(self) -> Ref {
        Ref {
            id: self.id,
            tag: Tag::Borrowed,
        }
    }

    pub fn unique(self) -> Ref {
        Ref {
            id: self.id,
            tag: Tag::Unique,
        }
    }

    pub fn is_unique(self) -> bool {
        self.tag == Tag::Unique
    }

    pub fn is_borrowed(self) -> bool {
        self.tag == Tag::Borrowed
    }

    /// `PyJitRef_StripReferenceInfo`.
    pub fn strip(self) -> Ref {
        Ref::plain(self.id)
    }

    /// `PyJitRef_StripBorrowInfo`: keeps uniqueness only.
    pub fn strip_borrow(self) -> Ref {
        if self.is_unique() {
            self
        } else {
            Ref::plain(self.id)
        }
    }

    /// `PyJitRef_RemoveUnique`.
    pub fn remove_unique(self) -> Ref {
        if self.is_unique() {
            self.strip()
        } else {
            self
        }
    }
}

/// The symbol arena and the optimizer's contradiction flags.
pub struct Syms {
    pub arena: Vec<S>,
    pub max: usize,
    pub done: bool,
    pub contradiction: bool,
    pub out_of_space: bool,
    /// What a reference outside the arena (`NULL`, or an allocation that failed) reads as.
    bottom: S,
}

/// Identity of objects as the optimizer compares them (`==` on pointers).
pub fn same(a: &Value, b: &Value) -> bool {
    a.is(b)
}

pub fn same_type(a: &ObjRef, b: &ObjRef) -> bool {
    Rc::ptr_eq(a, b)
}

/// The type of a value (`Py_TYPE`).
pub fn type_of(v: &Value) -> ObjRef {
    types().of(v)
}

pub fn version_of(t: &ObjRef) -> u32 {
    tdata(t).version.get()
}

/// `_PyLong_CheckExactAndCompact`: an exact `int` of at most one 30-bit digit.
pub fn is_compact_int(v: &Value) -> bool {
    match v {
        Value::Int(i) => i.unsigned_abs() < (1 << 30),
        _ => false,
    }
}

/// `_Py_IsImmortal` as the 3.15 optimizer sees it: the singletons, small ints, static types
/// and the immortal strings.
pub fn is_immortal(v: &Value) -> bool {
    match v {
        Value::None | Value::Bool(_) | Value::Ellipsis | Value::NotImplemented => true,
        Value::Int(i) => (-5..=256).contains(i),
        Value::Float(_) | Value::Null => false,
        Value::Obj(o) => match &o.data {
            Data::Type(t) => t.builtin,
            Data::Str(s) => {
                let mut c = s.chars();
                match (c.next(), c.next()) {
                    (None, _) => true,
                    (Some(ch), None) => (ch as u32) < 256,
                    _ => false,
                }
            }
            Data::Tuple(t) => t.is_empty(),
            Data::Bytes(b) => b.len() <= 1,
            _ => false,
        },
    }
}

impl Syms {
    pub fn new(max: usize) -> Syms {
        Syms {
            arena: Vec::with_capacity(256),
            max,
            done: false,
            contradiction: false,
            out_of_space: false,
            bottom: S::Bottom,
        }
    }

    pub fn get(&self, r: Ref) -> &S {
        self.arena.get(r.id as usize).unwrap_or(&self.bottom)
    }

    fn set(&mut self, r: Ref, s: S) {
        if let Some(x) = self.arena.get_mut(r.id as usize) {
            *x = s;
        }
    }

    fn bottom(&mut self, r: Ref) {
        self.set(r, S::Bottom);
        self.done = true;
        self.contradiction = true;
    }

    fn alloc(&mut self, s: S) -> Ref {
        if self.arena.len() >= self.max {
            self.done = true;
            self.out_of_space = true;
            return Ref::plain(u32::MAX - 1);
        }
        self.arena.push(s);
        Ref::plain(self.arena.len() as u32 - 1)
    }

    pub fn new_unknown(&mut self) -> Ref {
        self.alloc(S::Unknown)
    }

    pub fn new_not_null(&mut self) -> Ref {
        self.alloc(S::NonNull)
    }

    pub fn new_null(&mut self) -> Ref {
        self.alloc(S::Null)
    }

    pub fn new_type(&mut self, t: &ObjRef) -> Ref {
        let r = self.alloc(S::Unknown);
        self.set_type(r, t);
        r
    }

    pub fn new_const(&mut self, v: &Value) -> Ref {
        let r = self.alloc(S::Unknown);
        self.set_const(r, v);
        r
    }

    pub fn new_compact_int(&mut self) -> Ref {
        self.alloc(S::CompactInt)
    }

    pub fn new_tuple(&mut self, items: &[Ref], max: usize) -> Ref {
        if items.len() > max {
            let t = types().tuple.clone();
            return self.alloc(S::KnownClass { ty: t, version: 0 });
        }
        self.alloc(S::Tuple(items.iter().map(|r| r.id).collect()))
    }

    pub fn new_predicate(&mut self, lhs: Ref, rhs: Ref, kind: Pred) -> Ref {
        self.alloc(S::Predicate {
            kind,
            lhs: lhs.id,
            rhs: rhs.id,
        })
    }

    /// `_Py_uop_sym_new_truthiness`.
    pub fn new_truthiness(&mut self, value: Ref, truthy: bool) -> Ref {
        let invert = !truthy;
        if let S::Truthiness { invert: i, .. } = self.get(value) {
            if *i == invert {
                return value;
            }
        }
        let t = self.truthiness(value);
        if t < 0 {
            self.alloc(S::Truthiness {
                invert,
                value: value.id,
            })
        } else {
            self.alloc(S::KnownValue(Value::Bool((t == 1) ^ invert)))
        }
    }

    pub fn is_null(&self, r: Ref) -> bool {
        matches!(self.get(r), S::Null)
    }

    /// `_Py_uop_sym_is_not_null`: non-null or anything below it on the lattice.
    pub fn is_not_null(&self, r: Ref) -> bool {
        !matches!(self.get(r), S::Unknown | S::Null | S::Bottom)
    }

    pub fn is_const(&mut self, r: Ref) -> bool {
        self.get_const(r).is_some()
    }

    pub fn get_const(&mut self, r: Ref) -> Option<Value> {
        match self.get(r).clone() {
            S::KnownValue(v) => Some(v),
            S::Truthiness { invert, value } => {
                let t = self.truthiness(Ref::plain(value));
                if t < 0 {
                    return None;
                }
                let v = Value::Bool((t == 1) ^ invert);
                self.set(r, S::KnownValue(v.clone()));
                Some(v)
            }
            _ => None,
        }
    }

    /// `_Py_uop_sym_get_type`.
    pub fn get_type(&self, r: Ref) -> Option<ObjRef> {
        let t = types();
        match self.get(r) {
            S::Null | S::Bottom | S::NonNull | S::Unknown | S::RecordedType(_) => None,
            S::RecordedValue { value, known_type } => known_type.then(|| type_of(value)),
            S::KnownClass { ty, .. } => Some(ty.clone()),
            S::KnownValue(v) => Some(type_of(v)),
            S::TypeVersion(v) => type_by_version(*v),
            S::Tuple(_) => Some(t.tuple.clone()),
            S::Predicate { .. } | S::Truthiness { .. } => Some(t.bool_.clone()),
            S::CompactInt => Some(t.int.clone()),
            S::RecordedGenFunc(_) => Some(t.generator.clone()),
        }
    }

    pub fn has_type(&self, r: Ref) -> bool {
        self.get_type(r).is_some()
    }

    pub fn matches_type(&self, r: Ref, t: &ObjRef) -> bool {
        self.get_type(r).is_some_and(|x| same_type(&x, t))
    }

    /// `_Py_uop_sym_get_type_version`.
    pub fn get_type_version(&self, r: Ref) -> u32 {
        let t = types();
        match self.get(r) {
            S::TypeVersion(v) => *v,
            S::KnownClass { version, .. } => *version,
            S::KnownValue(v) => version_of(&type_of(v)),
            S::Tuple(_) => version_of(&t.tuple),
            S::Predicate { .. } | S::Truthiness { .. } => version_of(&t.bool_),
            S::CompactInt => version_of(&t.int),
            S::RecordedGenFunc(_) => version_of(&t.generator),
            _ => 0,
        }
    }

    pub fn matches_type_version(&self, r: Ref, v: u32) -> bool {
        self.get_type_version(r) == v
    }

    /// `_Py_uop_sym_get_probable_value`.
    pub fn get_probable_value(&self, r: Ref) -> Option<Value> {
        match self.get(r) {
            S::RecordedValue { value, .. } => Some(value.clone()),
            S::KnownValue(v) => Some(v.clone()),
            _ => None,
        }
    }

    /// `_Py_uop_sym_get_probable_type`.
    pub fn get_probable_type(&self, r: Ref) -> Option<ObjRef> {
        match self.get(r) {
            S::RecordedType(t) => Some(t.clone()),
            S::RecordedValue { value, .. } => Some(type_of(value)),
            _ => self.get_type(r),
        }
    }

    /// `_Py_uop_sym_get_probable_func_code`.
    pub fn get_probable_func(&self, r: Ref) -> Option<Value> {
        if let S::RecordedGenFunc(f) = self.get(r) {
            return Some(f.clone());
        }
        self.get_probable_value(r)
            .filter(|v| matches!(v.data(), Some(Data::Function(_))))
    }

    pub fn is_compact_int(&self, r: Ref) -> bool {
        match self.get(r) {
            S::KnownValue(v) => is_compact_int(v),
            S::CompactInt => true,
            _ => false,
        }
    }

    /// `_Py_uop_symbol_is_immortal`.
    pub fn is_immortal(&self, r: Ref) -> bool {
        match self.get(r) {
            S::KnownValue(v) => is_immortal(v),
            S::KnownClass { ty, .. } => same_type(ty, &types().bool_),
            _ => false,
        }
    }

    pub fn tuple_length(&self, r: Ref) -> i64 {
        match self.get(r) {
            S::KnownValue(v) => match v.data() {
                Some(Data::Tuple(t)) if types().is_exact(v, &types().tuple) => t.len() as i64,
                _ => -1,
            },
            S::Tuple(items) => items.len() as i64,
            _ => -1,
        }
    }

    pub fn tuple_getitem(&mut self, r: Ref, i: usize) -> Ref {
        match self.get(r).clone() {
            S::KnownValue(v) => {
                if let Some(Data::Tuple(t)) = v.data() {
                    if let Some(x) = t.get(i) {
                        return self.new_const(&x.clone());
                    }
                }
            }
            S::Tuple(items) if i < items.len() => return Ref::plain(items[i]),
            _ => {}
        }
        self.new_not_null()
    }

    /// `_Py_uop_sym_truthiness`: 1, 0, or -1 when unknown.
    pub fn truthiness(&mut self, r: Ref) -> i32 {
        match self.get(r).clone() {
            S::KnownValue(v) => match &v {
                Value::None => 0,
                Value::Bool(b) => *b as i32,
                Value::Int(i) => (*i != 0) as i32,
                Value::Obj(o) => match &o.data {
                    Data::Str(s) if types().is_exact(&v, &types().str_) => !s.is_empty() as i32,
                    Data::Long(_) if types().is_exact(&v, &types().int) => 1,
                    _ => -1,
                },
                _ => -1,
            },
            S::Tuple(items) => (!items.is_empty()) as i32,
            S::Truthiness { invert, value } => {
                let t = self.truthiness(Ref::plain(value));
                if t < 0 {
                    return t;
                }
                let t = t ^ invert as i32;
                self.set(r, S::KnownValue(Value::Bool(t == 1)));
                t
            }
            _ => -1,
        }
    }

    /// `_Py_uop_sym_set_type`.
    pub fn set_type(&mut self, r: Ref, t: &ObjRef) {
        let tt = types();
        match self.get(r).clone() {
            S::Null => self.bottom(r),
            S::KnownClass { ty, .. } => {
                if !same_type(&ty, t) {
                    self.bottom(r)
                }
            }
            S::TypeVersion(v) => {
                if v == version_of(t) {
                    self.set(
                        r,
                        S::KnownClass {
                            ty: t.clone(),
                            version: version_of(t),
                        },
                    )
                } else {
                    self.bottom(r)
                }
            }
            S::KnownValue(v) => {
                if !same_type(&type_of(&v), t) {
                    self.bottom(r)
                }
            }
            S::Tuple(_) => {
                if !same_type(t, &tt.tuple) {
                    self.bottom(r)
                }
            }
            S::RecordedGenFunc(_) => {
                if !same_type(t, &tt.generator) {
                    self.bottom(r)
                }
            }
            S::Bottom => {}
            S::RecordedValue { value, .. } => {
                if same_type(&type_of(&value), t) {
                    self.set(
                        r,
                        S::RecordedValue {
                            value,
                            known_type: true,
                        },
                    )
                } else {
                    self.bottom(r)
                }
            }
            S::RecordedType(rt) => {
                if same_type(&rt, t) {
                    self.set(
                        r,
                        S::KnownClass {
                            ty: t.clone(),
                            version: 0,
                        },
                    )
                } else {
                    self.bottom(r)
                }
            }
            S::NonNull | S::Unknown => self.set(
                r,
                S::KnownClass {
                    ty: t.clone(),
                    version: 0,
                },
            ),
            S::Predicate { .. } | S::Truthiness { .. } => {
                if !same_type(t, &tt.bool_) {
                    self.bottom(r)
                }
            }
            S::CompactInt => {
                if !same_type(t, &tt.int) {
                    self.bottom(r)
                }
            }
        }
    }

    /// `_Py_uop_sym_set_type_version`.
    pub fn set_type_version(&mut self, r: Ref, version: u32) -> bool {
        if let Some(t) = type_by_version(version) {
            self.set_type(r, &t);
        }
        let tt = types();
        match self.get(r).clone() {
            S::Null => {
                self.bottom(r);
                false
            }
            S::KnownClass { ty, .. } => {
                if version_of(&ty) != version {
                    self.bottom(r);
                    false
                } else {
                    self.set(r, S::KnownClass { ty, version });
                    true
                }
            }
            S::KnownValue(v) => {
                if version_of(&type_of(&v)) != version {
                    self.bottom(r);
                    false
                } else {
                    true
                }
            }
            S::Tuple(_) => self.check_version(r, &tt.tuple, version),
            S::RecordedGenFunc(_) => self.check_version(r, &tt.generator, version),
            S::TypeVersion(v) => {
                if v != version {
                    self.bottom(r);
                    false
                } else {
                    true
                }
            }
            S::Bottom => false,
            S::NonNull | S::Unknown => {
                self.set(r, S::TypeVersion(version));
                true
            }
            S::Predicate { .. } | S::Truthiness { .. } => self.check_version(r, &tt.bool_, version),
            S::CompactInt => self.check_version(r, &tt.int, version),
            S::RecordedValue { value, .. } => {
                let ty = type_of(&value);
                if version_of(&ty) == version {
                    self.set(r, S::KnownClass { ty, version });
                    true
                } else {
                    self.bottom(r);
                    false
                }
            }
            S::RecordedType(ty) => {
                if version_of(&ty) == version {
                    self.set(r, S::KnownClass { ty, version });
                    true
                } else {
                    self.bottom(r);
                    false
                }
            }
        }
    }

    fn check_version(&mut self, r: Ref, t: &ObjRef, version: u32) -> bool {
        if version_of(t) != version {
            self.bottom(r);
            false
        } else {
            true
        }
    }

    /// `_Py_uop_sym_set_const`.
    pub fn set_const(&mut self, r: Ref, v: &Value) {
        let tt = types();
        match self.get(r).clone() {
            S::Null | S::RecordedGenFunc(_) => self.bottom(r),
            S::KnownClass { ty, .. } => {
                if !same_type(&ty, &type_of(v)) {
                    self.bottom(r)
                } else {
                    self.set(r, S::KnownValue(v.clone()))
                }
            }
            S::KnownValue(x) => {
                if !same(&x, v) {
                    self.bottom(r)
                }
            }
            S::Tuple(items) => {
                if let Some(Data::Tuple(t)) = v.data() {
                    if t.len() == items.len() && tt.is_exact(v, &tt.tuple) {
                        for (k, it) in items.iter().enumerate() {
                            self.set_const(Ref::plain(*it), &t[k].clone());
                        }
                        self.set(r, S::KnownValue(v.clone()));
                        return;
                    }
                }
                self.bottom(r)
            }
            S::TypeVersion(ver) => {
                if ver != version_of(&type_of(v)) {
                    self.bottom(r)
                } else {
                    self.set(r, S::KnownValue(v.clone()))
                }
            }
            S::Bottom => {}
            S::RecordedValue { .. } | S::RecordedType(_) | S::NonNull | S::Unknown => {
                self.set(r, S::KnownValue(v.clone()))
            }
            S::Predicate { .. } => {
                if !matches!(v, Value::Bool(_)) {
                    self.bottom(r)
                } else {
                    self.set(r, S::KnownValue(v.clone()))
                }
            }
            S::Truthiness { invert, value } => {
                let cur = self.get_const(r);
                if !matches!(v, Value::Bool(_)) || cur.as_ref().is_some_and(|c| !same(c, v)) {
                    self.bottom(r);
                    return;
                }
                let value = Ref::plain(value);
                let ty = self.get_type(value);
                let truthy = matches!(v, Value::Bool(b) if *b != invert);
                match ty {
                    Some(t) if same_type(&t, &tt.bool_) => {
                        self.set_const(value, &Value::Bool(truthy));
                    }
                    Some(t) if !truthy && same_type(&t, &tt.int) => {
                        self.set_const(value, &Value::Int(0));
                    }
                    Some(t) if !truthy && same_type(&t, &tt.str_) => {
                        self.set_const(value, &crate::alloc::s(""));
                    }
                    _ => {}
                }
                self.set(r, S::KnownValue(v.clone()));
            }
            S::CompactInt => {
                if is_compact_int(v) {
                    self.set(r, S::KnownValue(v.clone()))
                } else {
                    self.bottom(r)
                }
            }
        }
    }

    pub fn set_null(&mut self, r: Ref) {
        match self.get(r) {
            S::Unknown => self.set(r, S::Null),
            S::Null | S::Bottom => {}
            _ => self.bottom(r),
        }
    }

    pub fn set_non_null(&mut self, r: Ref) {
        match self.get(r) {
            S::Unknown => self.set(r, S::NonNull),
            S::Null => self.bottom(r),
            _ => {}
        }
    }

    /// `_Py_uop_sym_set_compact_int`.
    pub fn set_compact_int(&mut self, r: Ref) {
        let tt = types();
        match self.get(r).clone() {
            S::Null | S::RecordedGenFunc(_) => self.bottom(r),
            S::KnownClass { ty, .. } => {
                if same_type(&ty, &tt.int) {
                    self.set(r, S::CompactInt)
                } else {
                    self.bottom(r)
                }
            }
            S::TypeVersion(v) => {
                if v == version_of(&tt.int) {
                    self.set(r, S::CompactInt)
                } else {
                    self.bottom(r)
                }
            }
            S::KnownValue(v) => {
                if !is_compact_int(&v) {
                    self.bottom(r)
                }
            }
            S::Tuple(_) | S::Predicate { .. } | S::Truthiness { .. } => self.bottom(r),
            S::Bottom | S::CompactInt => {}
            S::RecordedValue { .. } | S::RecordedType(_) | S::NonNull | S::Unknown => {
                self.set(r, S::CompactInt)
            }
        }
    }

    /// `_Py_uop_sym_apply_predicate_narrowing`.
    pub fn apply_predicate_narrowing(&mut self, r: Ref, branch_true: bool) {
        let S::Predicate { kind, lhs, rhs } = self.get(r).clone() else {
            return;
        };
        let (lhs, rhs) = (Ref::plain(lhs), Ref::plain(rhs));
        let lc = self.is_const(lhs);
        let rc = self.is_const(rhs);
        if !lc && !rc {
            return;
        }
        let narrow = match kind {
            Pred::Eq | Pred::Is => branch_true,
            Pred::Ne | Pred::IsNot => !branch_true,
        };
        if !narrow {
            return;
        }
        let (subject, konst) = if lc { (rhs, lhs) } else { (lhs, rhs) };
        if let Some(v) = self.get_const(konst) {
            self.set_const(subject, &v);
        }
    }

    /// `_Py_uop_sym_set_recorded_value`.
    pub fn set_recorded_value(&mut self, r: Ref, v: Option<&Value>) {
        let Some(v) = v else { return };
        match self.get(r).clone() {
            S::Null => self.bottom(r),
            S::Bottom => {}
            S::NonNull | S::Unknown => self.set(
                r,
                S::RecordedValue {
                    value: v.clone(),
                    known_type: false,
                },
            ),
            S::RecordedValue { value, .. } => {
                if !same(&value, v) {
                    self.bottom(r)
                }
            }
            S::RecordedType(t) => {
                if same_type(&t, &type_of(v)) {
                    self.set(
                        r,
                        S::RecordedValue {
                            value: v.clone(),
                            known_type: false,
                        },
                    )
                } else {
                    self.bottom(r)
                }
            }
            S::KnownClass { ty, .. } => {
                if same_type(&ty, &type_of(v)) {
                    self.set(
                        r,
                        S::RecordedValue {
                            value: v.clone(),
                            known_type: true,
                        },
                    )
                } else {
                    self.bottom(r)
                }
            }
            S::KnownValue(_) => {}
            S::TypeVersion(ver) => {
                if ver == version_of(&type_of(v)) {
                    self.set(
                        r,
                        S::RecordedValue {
                            value: v.clone(),
                            known_type: true,
                        },
                    )
                } else {
                    self.bottom(r)
                }
            }
            S::RecordedGenFunc(_)
            | S::Tuple(_)
            | S::Predicate { .. }
            | S::Truthiness { .. }
            | S::CompactInt => {}
        }
    }

    /// `_Py_uop_sym_set_recorded_type`.
    pub fn set_recorded_type(&mut self, r: Ref, t: Option<&ObjRef>) {
        let Some(t) = t else { return };
        match self.get(r).clone() {
            S::Null => self.bottom(r),
            S::Bottom => {}
            S::NonNull | S::Unknown => self.set(r, S::RecordedType(t.clone())),
            S::RecordedValue { value, .. } => {
                if !same_type(&type_of(&value), t) {
                    self.bottom(r)
                }
            }
            S::RecordedType(x) => {
                if !same_type(&x, t) {
                    self.bottom(r)
                }
            }
            S::KnownClass { .. } | S::KnownValue(_) => {}
            S::TypeVersion(v) => {
                if v == version_of(t) {
                    self.set(
                        r,
                        S::KnownClass {
                            ty: t.clone(),
                            version: 0,
                        },
                    )
                } else {
                    self.bottom(r)
                }
            }
            S::Tuple(_)
            | S::Predicate { .. }
            | S::Truthiness { .. }
            | S::CompactInt
            | S::RecordedGenFunc(_) => {}
        }
    }

    /// `_Py_uop_sym_set_recorded_gen_func`.
    pub fn set_recorded_gen_func(&mut self, r: Ref, f: Option<&Value>) {
        let Some(f) = f else { return };
        let g = types().generator.clone();
        match self.get(r).clone() {
            S::Null
            | S::RecordedValue { .. }
            | S::KnownValue(_)
            | S::Tuple(_)
            | S::Predicate { .. }
            | S::Truthiness { .. }
            | S::CompactInt => self.bottom(r),
            S::Bottom => {}
            S::NonNull | S::Unknown => self.set(r, S::RecordedGenFunc(f.clone())),
            S::RecordedType(t) | S::KnownClass { ty: t, .. } => {
                if same_type(&t, &g) {
                    self.set(r, S::RecordedGenFunc(f.clone()))
                } else {
                    self.bottom(r)
                }
            }
            S::TypeVersion(v) => {
                if v == version_of(&g) {
                    self.set(r, S::RecordedGenFunc(f.clone()))
                } else {
                    self.bottom(r)
                }
            }
            S::RecordedGenFunc(x) => {
                if !same(&x, f) {
                    self.bottom(r)
                }
            }
        }
    }
}

/// `_PyType_LookupByVersion`: the class with `version`, if it still has it.
pub fn type_by_version(version: u32) -> Option<ObjRef> {
    if version == 0 {
        return None;
    }
    crate::types::by_version(version)
}

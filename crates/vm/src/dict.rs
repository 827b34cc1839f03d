//! Dictionaries and hashing: Python's `dict` (insertion-ordered) over [`Key`]s, the hashable
//! form of a value under Python's equality (`1 == 1.0 == True` are one key).

use crate::value::{Data, Value};
use indexmap::IndexMap;
use num_bigint::BigInt;
use num_traits::ToPrimitive;
use std::rc::Rc;

/// A hashable value as Python compares it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Key {
    None,
    Ellipsis,
    NotImplemented,
    /// Any number equal to an integer (`True`, `3`, `3.0`).
    Int(i64),
    Big(BigInt),
    /// A float that is not integral (its bits; `-0.0` is `Int(0)`).
    Float(u64),
    Complex(u64, u64),
    Str(Rc<str>),
    Bytes(Rc<[u8]>),
    Tuple(Vec<Key>),
    /// A frozenset's keys, sorted (equal sets, one key).
    FrozenSet(Vec<Key>),
    /// Objects hashed by identity (functions, classes, instances without `__eq__`).
    Id(usize),
    /// An instance whose class defines `__hash__`: its hash and identity. Two distinct
    /// instances are different keys even when their `__eq__` says otherwise (a limit).
    Custom(i64, usize),
}

/// The hash CPython gives `None` (a constant since 3.12).
const HASH_NONE: i64 = 0xFCA86420;

impl Key {
    /// The key of a float (integral floats equal the int).
    pub fn float(f: f64) -> Key {
        if f.fract() == 0.0 && f.is_finite() {
            if let Some(i) = f.to_i64() {
                return Key::Int(i);
            }
            if let Some(b) = num_bigint::BigInt::from_f64_exact(f) {
                return Key::Big(b);
            }
        }
        Key::Float(f.to_bits())
    }

    /// `hash(key)` as CPython computes it with `PYTHONHASHSEED=0` (identity hashes are
    /// addresses there too, so any value does).
    pub fn py_hash(&self) -> i64 {
        use cpyviz_compiler::pyhash;
        match self {
            Key::None => HASH_NONE,
            Key::Ellipsis => 0x1234_5678,
            Key::NotImplemented => 0x1234_5679,
            Key::Int(i) => pyhash::hash_int(&BigInt::from(*i)),
            Key::Big(b) => pyhash::hash_int(b),
            Key::Float(bits) => pyhash::hash_float(f64::from_bits(*bits)).unwrap_or(0),
            Key::Complex(re, im) => {
                let re = pyhash::hash_float(f64::from_bits(*re)).unwrap_or(0);
                let im = pyhash::hash_float(f64::from_bits(*im)).unwrap_or(0);
                let h = re.wrapping_add(im.wrapping_mul(1_000_003));
                if h == -1 {
                    -2
                } else {
                    h
                }
            }
            Key::Str(s) => {
                let cps: Vec<u32> = s.chars().map(|c| c as u32).collect();
                pyhash::hash_str_code_points(&cps)
            }
            Key::Bytes(b) => {
                let cps: Vec<u32> = b.iter().map(|&c| c as u32).collect();
                pyhash::hash_str_code_points(&cps)
            }
            Key::Tuple(items) => {
                let hs: Vec<i64> = items.iter().map(Key::py_hash).collect();
                crate::num::hash_tuple(&hs)
            }
            Key::FrozenSet(items) => {
                let hs: Vec<i64> = items.iter().map(Key::py_hash).collect();
                crate::num::hash_frozenset(&hs)
            }
            Key::Id(id) => (*id >> 4) as i64,
            Key::Custom(h, _) => *h,
        }
    }
}

trait FromF64Exact: Sized {
    fn from_f64_exact(f: f64) -> Option<Self>;
}

impl FromF64Exact for BigInt {
    fn from_f64_exact(f: f64) -> Option<BigInt> {
        num_traits::FromPrimitive::from_f64(f)
    }
}

/// The key of `v`, or `None` when it is unhashable (a list, a dict, a set, or a class with
/// `__hash__ = None`). Instances whose class defines `__hash__` are handled by the VM
/// ([`crate::Vm::key_of`]); here they hash by identity.
pub fn builtin_key(v: &Value) -> Option<Key> {
    Some(match v {
        Value::None => Key::None,
        Value::Ellipsis => Key::Ellipsis,
        Value::NotImplemented => Key::NotImplemented,
        Value::Null => return None,
        Value::Bool(b) => Key::Int(*b as i64),
        Value::Int(i) => Key::Int(*i),
        Value::Float(f) => Key::float(*f),
        Value::Obj(o) => match &o.data {
            Data::Long(b) => Key::Big(b.clone()),
            Data::Complex(re, im) => {
                if *im == 0.0 {
                    Key::float(*re)
                } else {
                    Key::Complex(re.to_bits(), im.to_bits())
                }
            }
            Data::Str(s) => Key::Str(s.clone()),
            Data::Bytes(b) => Key::Bytes(b.clone()),
            Data::Tuple(items) => {
                Key::Tuple(items.iter().map(builtin_key).collect::<Option<Vec<_>>>()?)
            }
            Data::FrozenSet(s) => {
                let mut keys: Vec<Key> = s.keys().cloned().collect();
                keys.sort();
                Key::FrozenSet(keys)
            }
            Data::List(_) | Data::Dict(_) | Data::Set(_) | Data::ByteArray(_) => return None,
            _ => Key::Id(Rc::as_ptr(o) as usize),
        },
    })
}

/// A `dict`: insertion-ordered entries, each keeping the key object it was stored with.
#[derive(Clone, Default)]
pub struct Dict {
    map: IndexMap<Key, (Value, Value)>,
    /// `ma_version` / the keys version: changes whenever a key is added or removed (what
    /// `LOAD_GLOBAL_*` guards on).
    pub keys_version: u32,
}

impl Dict {
    pub fn new() -> Dict {
        Dict::default()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn get(&self, k: &Key) -> Option<&Value> {
        self.map.get(k).map(|(_, v)| v)
    }

    pub fn get_str(&self, k: &str) -> Option<&Value> {
        self.map.get(&Key::Str(Rc::from(k))).map(|(_, v)| v)
    }

    pub fn contains(&self, k: &Key) -> bool {
        self.map.contains_key(k)
    }

    /// The position of `k` among the entries (CPython's dict index, a `WITH_HINT` hint).
    pub fn index_of(&self, k: &Key) -> Option<usize> {
        self.map.get_index_of(k)
    }

    pub fn insert(&mut self, k: Key, key: Value, v: Value) {
        match self.map.get_mut(&k) {
            Some(slot) => slot.1 = v,
            None => {
                self.map.insert(k, (key, v));
                self.keys_version = self.keys_version.wrapping_add(1);
            }
        }
    }

    pub fn set_str(&mut self, k: &str, v: Value) {
        let s: Rc<str> = Rc::from(k);
        self.insert(Key::Str(s.clone()), crate::alloc::str_value(s), v);
    }

    pub fn remove(&mut self, k: &Key) -> Option<(Value, Value)> {
        let r = self.map.shift_remove(k);
        if r.is_some() {
            self.keys_version = self.keys_version.wrapping_add(1);
        }
        r
    }

    pub fn pop_last(&mut self) -> Option<(Value, Value)> {
        let r = self.map.pop().map(|(_, kv)| kv);
        if r.is_some() {
            self.keys_version = self.keys_version.wrapping_add(1);
        }
        r
    }

    /// Removes and returns the first entry (`OrderedDict.popitem(last=False)`).
    pub fn pop_first(&mut self) -> Option<(Value, Value)> {
        let r = self.map.shift_remove_index(0).map(|(_, kv)| kv);
        if r.is_some() {
            self.keys_version = self.keys_version.wrapping_add(1);
        }
        r
    }

    /// Moves the entry of `k` to the end (`last`) or the front; whether it exists
    /// (`OrderedDict.move_to_end`).
    pub fn move_to(&mut self, k: &Key, last: bool) -> bool {
        let Some(i) = self.map.get_index_of(k) else {
            return false;
        };
        let to = if last { self.map.len() - 1 } else { 0 };
        self.map.move_index(i, to);
        true
    }

    pub fn clear(&mut self) {
        self.map.clear();
        self.keys_version = self.keys_version.wrapping_add(1);
    }

    /// The entry at position `i` (iteration).
    pub fn entry_at(&self, i: usize) -> Option<(&Value, &Value)> {
        self.map.get_index(i).map(|(_, (k, v))| (k, v))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Value, &Value)> {
        self.map.values().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &Key> {
        self.map.keys()
    }

    /// The entries with string keys, as (name, value).
    pub fn str_items(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.map.iter().filter_map(|(k, (_, v))| match k {
            Key::Str(s) => Some((&**s, v)),
            _ => None,
        })
    }
}

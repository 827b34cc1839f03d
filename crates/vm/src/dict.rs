//! Dictionaries and hashing: Python's `dict` (insertion-ordered) over [`Key`]s, the hashable
//! form of a value under Python's equality (`1 == 1.0 == True` are one key).

use crate::value::{Data, Value};
use indexmap::IndexMap;
use num_bigint::BigInt;
use num_traits::ToPrimitive;
use std::rc::Rc;

/// A hashable value as Python compares it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
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

/// Placing keys in the map (not Python's `hash()`, which is [`Key::py_hash`]). Written out so
/// that a string key hashes like [`StrRef`], which looks a name up without making a `Key`.
impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        match self {
            Key::None => h.write_u8(0),
            Key::Ellipsis => h.write_u8(1),
            Key::NotImplemented => h.write_u8(2),
            Key::Int(i) => {
                h.write_u8(3);
                h.write_i64(*i)
            }
            Key::Big(b) => {
                h.write_u8(4);
                b.hash(h)
            }
            Key::Float(f) => {
                h.write_u8(5);
                h.write_u64(*f)
            }
            Key::Complex(a, b) => {
                h.write_u8(6);
                h.write_u64(*a);
                h.write_u64(*b)
            }
            Key::Str(s) => StrRef(s).hash(h),
            Key::Bytes(b) => {
                h.write_u8(8);
                b.hash(h)
            }
            Key::Tuple(t) => {
                h.write_u8(9);
                t.hash(h)
            }
            Key::FrozenSet(t) => {
                h.write_u8(10);
                t.hash(h)
            }
            Key::Id(i) => {
                h.write_u8(11);
                h.write_usize(*i)
            }
            Key::Custom(x, i) => {
                h.write_u8(12);
                h.write_i64(*x);
                h.write_usize(*i)
            }
        }
    }
}

/// A `str` key borrowed: looks an entry up by name without allocating a [`Key`].
#[derive(Clone, Copy)]
pub struct StrRef<'a>(pub &'a str);

impl std::hash::Hash for StrRef<'_> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_u8(7);
        self.0.hash(h)
    }
}

impl indexmap::Equivalent<Key> for StrRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        matches!(key, Key::Str(s) if **s == *self.0)
    }
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
            Key::Str(s) => pyhash::hash_str_code_points(&crate::surrogates::code_points(s)),
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
            Data::Float(f) => Key::float(*f),
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
    /// Keys hashed with a fast fixed hasher (the Python-level hash is `Key::py_hash`; this
    /// one only places entries, and iteration follows insertion order either way).
    map: IndexMap<Key, (Value, Value), foldhash::fast::FixedState>,
    /// `ma_version` / the keys version: changes whenever a key is added or removed (what
    /// `LOAD_GLOBAL_*` guards on).
    pub keys_version: u32,
    /// For an instance's `__dict__`: the dict object exists (CPython makes it only when
    /// `__dict__` is asked for, or when inline values cannot hold an attribute).
    pub materialized: bool,
    /// For an instance of an inline-values class: its values are still inline (keyed by the
    /// class's shared keys); a materialized dict then shares them (a split table).
    pub inline_valid: bool,
    /// Tier 2 watches this dict (a globals or builtins dict whose entries a trace took as
    /// constants): the next change of any entry tells it, once.
    pub watched: bool,
    /// How many times a watched change happened (`_ma_watcher_tag`'s mutation count): tier 2
    /// stops watching a globals dict that changes too often.
    pub watch_mutations: u8,
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
        self.map.get(&StrRef(k)).map(|(_, v)| v)
    }

    pub fn contains(&self, k: &Key) -> bool {
        self.map.contains_key(k)
    }

    /// The position of `k` among the entries (CPython's dict index, a `WITH_HINT` hint).
    pub fn index_of(&self, k: &Key) -> Option<usize> {
        self.map.get_index_of(k)
    }

    /// Tells tier 2, once, that a watched dict changed.
    #[inline]
    fn changing(&mut self) {
        if self.watched {
            self.watched = false;
            crate::tier2::watched_dict_changed(self);
        }
    }

    pub fn insert(&mut self, k: Key, key: Value, v: Value) {
        self.changing();
        match self.map.get_mut(&k) {
            Some(slot) => slot.1 = v,
            None => {
                self.map.insert(k, (key, v));
                self.keys_version = self.keys_version.wrapping_add(1);
            }
        }
    }

    pub fn set_str(&mut self, k: &str, v: Value) {
        // An existing name is updated in place: no key to make.
        if let Some(slot) = self.map.get_mut(&StrRef(k)) {
            slot.1 = v;
            if self.watched {
                self.changing();
            }
            return;
        }
        let s: Rc<str> = Rc::from(k);
        self.insert(Key::Str(s.clone()), crate::alloc::str_value(s), v);
    }

    pub fn remove(&mut self, k: &Key) -> Option<(Value, Value)> {
        self.changing();
        let r = self.map.shift_remove(k);
        if r.is_some() {
            self.keys_version = self.keys_version.wrapping_add(1);
        }
        r
    }

    pub fn pop_last(&mut self) -> Option<(Value, Value)> {
        self.changing();
        let r = self.map.pop().map(|(_, kv)| kv);
        if r.is_some() {
            self.keys_version = self.keys_version.wrapping_add(1);
        }
        r
    }

    /// Removes and returns the first entry (`OrderedDict.popitem(last=False)`).
    pub fn pop_first(&mut self) -> Option<(Value, Value)> {
        self.changing();
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
        self.changing();
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

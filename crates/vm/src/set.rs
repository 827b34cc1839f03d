//! `set` and `frozenset` contents: the keys with the objects they were added as, iterated in
//! the order of CPython's hash table ([`crate::settable`]).

use crate::dict::Key;
use crate::settable::SetTable;
use crate::value::Value;

/// The items of a set.
#[derive(Clone)]
pub struct Set {
    table: SetTable<(Key, Value)>,
}

impl Default for Set {
    fn default() -> Self {
        Set::new()
    }
}

fn same(a: &(Key, Value), b: &(Key, Value)) -> bool {
    a.0 == b.0
}

impl Set {
    pub fn new() -> Set {
        Set {
            table: SetTable::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.len() == 0
    }

    /// Adds `v` (whose key is `k`); whether it was new.
    pub fn insert(&mut self, k: Key, v: Value) -> bool {
        let h = k.py_hash();
        self.table.insert(h, (k, v), &mut same)
    }

    pub fn contains(&self, k: &Key) -> bool {
        let h = k.py_hash();
        self.table.contains(h, &(k.clone(), Value::None), &mut same)
    }

    pub fn remove(&mut self, k: &Key) -> bool {
        let h = k.py_hash();
        self.table
            .remove(h, &(k.clone(), Value::None), &mut same)
            .is_some()
    }

    pub fn pop(&mut self) -> Option<Value> {
        self.table.pop().map(|(_, v)| v)
    }

    pub fn clear(&mut self) {
        self.table.clear();
    }

    /// The items in CPython's iteration order.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.table.iter().map(|(_, v)| v)
    }

    pub fn keys(&self) -> impl Iterator<Item = &Key> {
        self.table.iter().map(|(k, _)| k)
    }
}

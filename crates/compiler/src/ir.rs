//! The compiler's intermediate form: what codegen hands to the flow graph.
//!
//! It mirrors CPython's `instr_sequence` plus `_PyCompile_CodeUnitMetadata`: a flat list of
//! instructions (pseudo instructions included) whose jump and `SETUP_*` opargs are *label ids*,
//! a label map from label id to instruction index, and the code unit's metadata (constants in
//! insertion order, names, variable names, cells, free variables, flags, argument counts).

use super::op::Op;
use num_bigint::BigInt;

/// A source location, as CPython's `location` (`lineno`, `end_lineno`, `col_offset`,
/// `end_col_offset`; columns are UTF-8 byte offsets). `-1` everywhere is "no location"
/// ([`Loc::NONE`]); `lineno == -2` is 3.14's `NEXT_LOCATION`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Loc {
    pub lineno: i32,
    pub end_lineno: i32,
    pub col: i32,
    pub end_col: i32,
}

impl Loc {
    pub const NONE: Loc = Loc {
        lineno: -1,
        end_lineno: -1,
        col: -1,
        end_col: -1,
    };
    pub const NEXT: Loc = Loc {
        lineno: -2,
        end_lineno: -2,
        col: -2,
        end_col: -2,
    };
    pub const fn new(lineno: i32, end_lineno: i32, col: i32, end_col: i32) -> Loc {
        Loc {
            lineno,
            end_lineno,
            col,
            end_col,
        }
    }
    pub fn is_none(&self) -> bool {
        self.lineno == -1
    }
}

/// A label id (`jump_target_label`), allocated by [`InstrSeq::new_label`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(pub u32);

/// One instruction of the sequence. For jumps and `SETUP_*`, `arg` is a [`Label`] id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Instr {
    pub op: Op,
    pub arg: u32,
    pub loc: Loc,
}

/// CPython's `instr_sequence`: instructions and where each label was placed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InstrSeq {
    pub instrs: Vec<Instr>,
    /// `label_map[label id]` = index of the instruction the label precedes (`== instrs.len()`
    /// for a label at the very end); `None` while the label is not placed yet.
    pub label_map: Vec<Option<usize>>,
}

impl InstrSeq {
    pub fn new_label(&mut self) -> Label {
        self.label_map.push(None);
        Label(self.label_map.len() as u32 - 1)
    }
    /// Places `label` before the next instruction added.
    pub fn use_label(&mut self, label: Label) {
        self.label_map[label.0 as usize] = Some(self.instrs.len());
    }
    pub fn push(&mut self, op: Op, arg: u32, loc: Loc) {
        self.instrs.push(Instr { op, arg, loc });
    }
    /// The instruction index `label` stands for.
    pub fn target(&self, label: u32) -> Option<usize> {
        self.label_map.get(label as usize).copied().flatten()
    }
}

/// A constant of `co_consts`.
#[derive(Clone, Debug)]
pub enum ConstValue {
    None,
    Bool(bool),
    Ellipsis,
    Int(BigInt),
    Float(f64),
    Complex {
        re: f64,
        im: f64,
    },
    Str(cpyviz_model::pystr::PyStr),
    Bytes(Vec<u8>),
    Tuple(Vec<ConstValue>),
    FrozenSet(Vec<ConstValue>),
    /// `slice(start, stop, step)` (3.14+ folds constant slices).
    Slice(Box<[ConstValue; 3]>),
    /// A nested code object, already assembled.
    Code(Box<cpyviz_model::bytecode::CodeObject>),
}

/// What identifies a constant in `co_consts` (CPython's `_PyCode_ConstantKey`): the type and the
/// value, with floats compared bit for bit (so `0.0` and `-0.0`, `1` and `1.0` and `True` stay
/// distinct). Code objects are never merged. A frozenset's key holds its items' keys sorted, so
/// equal sets have one key whatever their order.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConstKey {
    None,
    Bool(bool),
    Ellipsis,
    Int(BigInt),
    Float(u64),
    Complex(u64, u64),
    Str(cpyviz_model::pystr::PyStr),
    Bytes(Vec<u8>),
    Tuple(Vec<ConstKey>),
    FrozenSet(Vec<ConstKey>),
    Slice(Box<[ConstKey; 3]>),
    Code(usize),
}

impl ConstValue {
    /// The dedup key; `code_id` distinguishes code objects (pass a unique number per object).
    pub fn key(&self, code_id: usize) -> ConstKey {
        match self {
            ConstValue::None => ConstKey::None,
            ConstValue::Bool(b) => ConstKey::Bool(*b),
            ConstValue::Ellipsis => ConstKey::Ellipsis,
            ConstValue::Int(i) => ConstKey::Int(i.clone()),
            ConstValue::Float(f) => ConstKey::Float(f.to_bits()),
            ConstValue::Complex { re, im } => ConstKey::Complex(re.to_bits(), im.to_bits()),
            ConstValue::Str(s) => ConstKey::Str(s.clone()),
            ConstValue::Bytes(b) => ConstKey::Bytes(b.clone()),
            ConstValue::Tuple(items) => {
                ConstKey::Tuple(items.iter().map(|c| c.key(code_id)).collect())
            }
            ConstValue::FrozenSet(items) => {
                let mut keys: Vec<ConstKey> = items.iter().map(|c| c.key(code_id)).collect();
                keys.sort();
                ConstKey::FrozenSet(keys)
            }
            ConstValue::Slice(parts) => ConstKey::Slice(Box::new([
                parts[0].key(code_id),
                parts[1].key(code_id),
                parts[2].key(code_id),
            ])),
            ConstValue::Code(_) => ConstKey::Code(code_id),
        }
    }
}

/// What one compilation shares between its code units (CPython's `const_cache`): the first
/// `frozenset` constant of each value, whose order every equal set constant after it reuses.
#[derive(Debug, Default)]
pub struct ConstCache {
    frozensets: std::collections::HashMap<ConstKey, Vec<ConstValue>>,
    /// The strings the compiling process had interned before (`None`: only `identifiers`).
    interned: Option<&'static std::collections::HashSet<&'static str>>,
    /// The identifiers of the file: the parser interned them before any code object exists.
    identifiers: std::collections::HashSet<String>,
    /// Each string constant as it first entered the cache: `true` when that object was an
    /// identifier (a class or keyword name, an imported name, an annotation key), which the
    /// parser had interned, so later equal constants are the interned object itself.
    first_seen: std::collections::HashMap<String, bool>,
}

impl ConstCache {
    /// The cache of a compilation of a file with these identifiers for `version`, in
    /// `process`.
    pub fn new(
        version: cpyviz_model::version::PyVersion,
        process: cpyviz_model::tables::CompilingProcess,
        identifiers: std::collections::HashSet<String>,
    ) -> ConstCache {
        ConstCache {
            frozensets: Default::default(),
            interned: Some(cpyviz_model::tables::interned_at_compile(version, process)),
            identifiers,
            first_seen: Default::default(),
        }
    }

    /// Records the strings of a constant entering the cache (`merge_consts_recursive` walks
    /// into tuples and sets); `identifier` says the objects are the parser's identifiers.
    pub fn note(&mut self, value: &ConstValue, identifier: bool) {
        match value {
            ConstValue::Str(s) => {
                if let Some(s) = s.as_str() {
                    if !self.first_seen.contains_key(s) {
                        self.first_seen.insert(s.to_string(), identifier);
                    }
                }
            }
            ConstValue::Tuple(items) | ConstValue::FrozenSet(items) => {
                for item in items {
                    self.note(item, identifier);
                }
            }
            _ => {}
        }
    }

    /// Whether a set element equal to `s` is replaced when its code object interns its
    /// constants: an equal string was interned before (at startup, or as an identifier) by
    /// another object than the one this compilation's constants share.
    fn interned(&self, s: &str) -> bool {
        if self.first_seen.get(s) == Some(&true) {
            return false;
        }
        self.identifiers.contains(s) || self.interned.is_some_and(|t| t.contains(s))
    }

    /// The constant `frozenset(items)` as the compiler makes it: the first set constant equal to
    /// it in this compilation, else a new one in CPython's iteration order (`None` when that
    /// order is not fixed).
    pub fn frozenset(&mut self, items: Vec<ConstValue>) -> Option<ConstValue> {
        let order = crate::pyhash::constant_frozenset_order(items, |s| self.interned(s))?;
        let set = ConstValue::FrozenSet(order);
        let cached = self
            .frozensets
            .entry(set.key(usize::MAX))
            .or_insert_with(|| match &set {
                ConstValue::FrozenSet(items) => items.clone(),
                _ => Vec::new(),
            });
        Some(ConstValue::FrozenSet(cached.clone()))
    }
}

/// One code unit as codegen leaves it: metadata plus the instruction sequence.
#[derive(Clone, Debug, Default)]
pub struct CodeUnit {
    pub name: String,
    pub qualname: String,
    pub filename: String,
    pub firstlineno: u32,
    /// `co_flags` as codegen computed them (the assembler adds what it derives).
    pub flags: u32,
    pub argcount: u32,
    pub posonlyargcount: u32,
    pub kwonlyargcount: u32,
    /// `u_consts` in insertion order (LOAD_CONST opargs index it).
    pub consts: Vec<ConstValue>,
    pub names: Vec<String>,
    pub varnames: Vec<String>,
    pub cellvars: Vec<String>,
    pub freevars: Vec<String>,
    /// `len(ste_varnames)`: how many locals are parameters (never "maybe unbound"). `None`
    /// derives it from the argument counts and flags (units not made by codegen).
    pub nparams: Option<u32>,
    /// `u_fasthidden`: locals of inlined comprehensions hidden from `locals()`.
    pub fasthidden: Vec<String>,
    pub seq: InstrSeq,
}

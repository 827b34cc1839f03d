//! Stage 3/4 data — code objects and their instructions, as `dis` describes them.
//!
//! One model serves both engines: the live engine fills it from `dis.get_instructions` (plain for
//! the *bytecode* stage, `adaptive=True` after running the snippet for the *specialized* stage);
//! a built-in compiler can fill the same fields. [`crate::dis`] prints it like `python -m dis`.

use serde::{Deserialize, Serialize};

/// A code object and, in `co_consts` order, the code objects nested in it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeObject {
    /// `repr(code)`, e.g. `<code object f at 0x7f…, file "t.py", line 1>` (dis prints it).
    pub repr: String,
    pub name: String,
    pub qualname: String,
    pub filename: String,
    pub firstlineno: u32,
    /// `co_flags`.
    pub flags: u32,
    pub argcount: u32,
    pub posonlyargcount: u32,
    pub kwonlyargcount: u32,
    pub nlocals: u32,
    pub stacksize: u32,
    /// `len(co_code)` in bytes (instructions and inline caches).
    pub code_len: u32,
    /// `repr()` of each constant.
    pub consts: Vec<String>,
    /// Each constant's value, in `consts` order, for code that executes the code object (the
    /// built-in VM). Filled by the built-in compiler; empty for recorded code objects (never
    /// stored in capture files).
    #[serde(skip)]
    pub const_values: Vec<Const>,
    pub names: Vec<String>,
    pub varnames: Vec<String>,
    pub cellvars: Vec<String>,
    pub freevars: Vec<String>,
    /// `dis.findlinestarts`: (offset, line) where the line changes; `None` = no line.
    pub linestarts: Vec<(u32, Option<u32>)>,
    pub exception_table: Vec<ExceptionEntry>,
    pub instructions: Vec<Instruction>,
    /// The code objects among `co_consts`, in order (dis recurses into them depth-first).
    pub children: Vec<CodeObject>,
    /// What the engine could not record for this code object.
    #[serde(default)]
    pub notes: Vec<String>,
}

impl CodeObject {
    /// This code object and every nested one, depth-first in `co_consts` order (dis's order).
    pub fn walk(&self) -> Vec<&CodeObject> {
        let mut out = vec![self];
        for c in &self.children {
            out.extend(c.walk());
        }
        out
    }
}

/// A constant of `co_consts` as a value (what `LOAD_CONST` pushes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Const {
    None,
    Bool(bool),
    Ellipsis,
    Int(num_bigint::BigInt),
    /// A float, as the bits of its `f64` (so constants compare bit for bit, like CPython's).
    Float(u64),
    /// A complex number: the bits of its real and imaginary parts.
    Complex(u64, u64),
    Str(crate::pystr::PyStr),
    Bytes(Vec<u8>),
    Tuple(Vec<Const>),
    FrozenSet(Vec<Const>),
    /// `slice(start, stop, step)`.
    Slice(Box<[Const; 3]>),
    /// A nested code object: its index in [`CodeObject::children`].
    Code(usize),
}

/// One instruction, as `dis.Instruction` describes it (inline caches are not listed).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instruction {
    pub offset: u32,
    /// Offset of the first `EXTENDED_ARG` prefix, or `offset`.
    pub start_offset: u32,
    pub opname: String,
    pub opcode: u32,
    pub arg: Option<u32>,
    /// `repr(argval)`.
    pub argval: String,
    /// The human-readable argument dis prints in parentheses (may be empty).
    pub argrepr: String,
    /// Whether a new source line starts here.
    pub starts_line: bool,
    pub line_number: Option<u32>,
    /// `L<n>` label when something jumps here (or an exception-table boundary).
    pub label: Option<u32>,
    pub is_jump_target: bool,
    pub jump_target: Option<u32>,
    /// `(lineno, end_lineno, col_offset, end_col_offset)`; columns are UTF-8 byte offsets.
    pub positions: Option<Positions>,
    /// Inline cache entries: name, size in code units, contents.
    pub cache_info: Vec<CacheEntry>,
}

/// `dis.Positions`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Positions {
    pub lineno: Option<u32>,
    pub end_lineno: Option<u32>,
    pub col_offset: Option<u32>,
    pub end_col_offset: Option<u32>,
}

/// One inline cache entry of an instruction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheEntry {
    pub name: String,
    /// Size in 16-bit code units.
    pub size: u32,
    pub data: Vec<u8>,
}

/// One entry of a code object's exception table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionEntry {
    pub start: u32,
    pub end: u32,
    pub target: u32,
    pub depth: u32,
    pub lasti: bool,
    pub start_label: Option<u32>,
    pub end_label: Option<u32>,
    pub target_label: Option<u32>,
}

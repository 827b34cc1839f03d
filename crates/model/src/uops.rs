//! Stage 5/6 data — tier-2 executors: the micro-op trace the optimizer built from hot bytecode,
//! and the machine code the JIT stitched from stencils for it.

use serde::{Deserialize, Serialize};

/// One executor, attached to a `JUMP_BACKWARD`/`ENTER_EXECUTOR` offset of a code object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Executor {
    /// Index of the code object in depth-first `co_consts` order (0 = the module).
    pub code_index: u32,
    /// `co_qualname` of that code object.
    pub qualname: String,
    /// The bytecode offset the executor is attached to.
    pub offset: u32,
    /// `is_valid()`, when the interpreter tells.
    pub valid: Option<bool>,
    /// The opcode and oparg the executor replaced (`get_opcode()`, `get_oparg()`).
    pub opcode: Option<u32>,
    pub oparg: Option<u32>,
    pub uops: Vec<Uop>,
    /// The machine code (`get_jit_code()`), when the JIT compiled this executor.
    pub jit_code: Option<Vec<u8>>,
    /// Where that machine code lives in the recorded process, when it could be found.
    pub jit_address: Option<u64>,
    /// Why machine code or its address is missing, if it is.
    pub jit_note: Option<String>,
    /// What addresses found in the machine code point to, as the recording process resolved
    /// them (`dladdr`, `id()` of known objects, other executors' regions). Candidates are taken
    /// from the raw bytes; only those an instruction actually references are shown.
    #[serde(default)]
    pub jit_symbols: Vec<JitSymbol>,
    /// Why `jit_symbols` is empty or incomplete, if the probe knows.
    #[serde(default)]
    pub jit_symbols_note: Option<String>,
    /// The executor object's address in the recorded process (`id()`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<u64>,
    /// The trace as it was before the optimizer (the built-in engine keeps it; a recording
    /// cannot: CPython does not).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unoptimized: Vec<Uop>,
}

/// One resolved address of the recorded process.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JitSymbol {
    pub address: u64,
    /// `symbol` (dladdr: `name` or `name+0x10`), `file` (dladdr found only the mapped file),
    /// `object` (a Python object whose `id()` matches) or `executor` (another executor's region).
    pub kind: String,
    pub name: String,
}

/// One micro-op of an executor's trace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uop {
    pub name: String,
    pub oparg: i64,
    pub target: i64,
    /// The 64-bit operand (often an address: differs from run to run).
    pub operand: u64,
    /// The instruction exactly as the executor holds it, read from the recorded process's
    /// memory (`None` when the probe could not read it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<RawUop>,
    /// The code object (index in [`crate::bytecode::CodeObject::walk`] order) whose
    /// instruction `target` names, when the engine knows it (the built-in engine does; a
    /// trace follows calls into other code objects).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_index: Option<u32>,
    /// The byte offset (in that code object) of the instruction this uop was made from, when
    /// the engine knows it (the built-in engine; stubs have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<u32>,
    /// This uop's index in [`Executor::unoptimized`] (the trace before the optimizer), when
    /// the engine kept it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unoptimized_index: Option<u32>,
}

/// A `_PyUOpInstruction` as stored in the executor: the real opcode (3.15: the
/// register-cached variant the JIT picked a stencil by), its format, jump and error targets,
/// and the second operand.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawUop {
    /// The uop id (`opcode:15`).
    pub opcode: u16,
    /// The id's name in the interpreter's version (`_BINARY_OP_ADD_INT_r23`), if known.
    pub name: Option<String>,
    /// `format:1`: 1 when the target field holds `jump_target` / `error_target`.
    pub format: u8,
    pub jump_target: u16,
    pub error_target: u16,
    pub operand1: u64,
}

/// The `uops` dump: for each executor a header and one line per uop (index, name, oparg,
/// target), as `stage.py uops` prints them.
pub fn dump(executors: &[Executor]) -> String {
    let mut out = String::new();
    for ex in executors {
        out.push_str(&format!(
            "Executor for {} at offset {}:\n",
            ex.qualname, ex.offset
        ));
        for (i, u) in ex.uops.iter().enumerate() {
            out.push_str(&format!(
                "  {:3} {:<36} {:>6} {:>6}\n",
                i, u.name, u.oparg, u.target
            ));
        }
    }
    out
}

/// One decoded machine instruction (or, past the code, one data word or the padding).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsmLine {
    pub address: u64,
    /// The instruction's bytes in hex (`4889c7`).
    pub hex: String,
    /// Intel syntax, as iced-x86 formats it.
    pub text: String,
    /// Which part of the executor's region this is in.
    pub section: Section,
    /// What the instruction refers to, when the capture tells (empty otherwise).
    pub note: String,
    /// The uop whose stencil this instruction is part of, when the data proves it: the
    /// instruction holds, as a 64-bit immediate, an operand that exactly one uop has (the JIT
    /// patches a stencil's operand holes with its own uop's operand). `None`: unassigned.
    pub uop: Option<usize>,
}

/// A part of an executor's JIT region.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Section {
    /// Decoded as instructions (the whole region when its layout is unknown).
    #[default]
    Code,
    /// From the lowest region address an instruction loads from (rip-relative) or holds as a
    /// 64-bit immediate, up to the last non-zero 8-byte word.
    Data,
    /// The zero bytes after the data.
    Padding,
}

/// An executor's machine code, split into code / data / padding and annotated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listing {
    pub lines: Vec<AsmLine>,
    /// Offset of the data part in the region, when instructions load from the region.
    pub data_start: Option<usize>,
    /// Offset where the trailing zero bytes start (region length if none).
    pub padding_start: usize,
    pub len: usize,
}

impl Listing {
    /// The label shown before the first line of a section, or `None` when the layout is
    /// unknown (everything is decoded as code then).
    pub fn label(&self, section: Section) -> Option<String> {
        let ds = self.data_start?;
        Some(match section {
            Section::Code => format!("code +0x0..+{ds:#x} · up to the first data address the code uses"),
            Section::Data => format!(
                "data +{ds:#x}..+{:#x} · from the lowest address the code loads (rip-relative) or holds as imm64",
                self.padding_start.max(ds)
            ),
            Section::Padding => format!(
                "padding +{:#x}..+{:#x} · {} zero bytes",
                self.padding_start,
                self.len,
                self.len - self.padding_start
            ),
        })
    }
}

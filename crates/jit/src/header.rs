//! Reading and writing the `jit_stencils-<triple>.h` a CPython JIT build leaves behind
//! (written by CPython's `Tools/jit/_writer.py`).
//!
//! # The format
//!
//! One C function per stencil group, then a footer:
//!
//! ```text
//! void
//! emit__GUARD_TOS_INT_r11(
//!     unsigned char *code, unsigned char *data, _PyExecutorObject *executor,
//!     const _PyUOpInstruction *instruction, jit_state *state)
//! {
//!     // <disassembly of the code>
//!     const unsigned char code_body[27] = {        (full size; trailing zero bytes left out,
//!         0x48, 0x89, 0xf8, ...                      the whole array left out if all zero)
//!     };
//!     // <disassembly of the data>
//!     const unsigned char data_body[16] = { ... };
//!     memcpy(data, data_body, sizeof(data_body));  (only if the data is not all zero)
//!     patch_64(data + 0x8, (uintptr_t)&PyLong_Type);
//!     memcpy(code, code_body, sizeof(code_body));
//!     patch_32r(code + 0x17, state->instruction_starts[instruction->jump_target] + -0x4);
//! }
//!
//! static_assert(SYMBOL_MASK_WORDS >= 1, "SYMBOL_MASK_WORDS too small");
//! typedef struct { ...; symbol_mask trampoline_mask; symbol_mask got_mask; } StencilGroup;
//! static const StencilGroup shim = {emit_shim, 33, 0, {0}};          (3.14; 3.15: trampoline)
//! static const StencilGroup stencil_groups[MAX_UOP_REGS_ID + 1] = {
//!     [_GUARD_TOS_INT_r11] = {emit__GUARD_TOS_INT_r11, 27, 0, {0}, {0}},
//! };
//! static const void * const symbols_map[1] = { [0] = &_PyLong_Add, };
//! ```
//!
//! # Which version a header is
//!
//! The `StencilGroup` struct decides: with a `got_mask` field (5 fields per entry) it is 3.15,
//! without (4 fields) 3.14. The other version marks must agree with it, else the header is
//! rejected: the table's bound (`MAX_UOP_REGS_ID + 1` is 3.15's, `MAX_UOP_ID + 1` 3.14's) and
//! the entry group's name (`trampoline` is 3.15's, `shim` 3.14's). The target comes from the
//! file name (`jit_stencils-<triple>.h`), which is why an imported header must keep the name
//! the build gave it.
//!
//! # How special holes are represented
//!
//! The header has patch calls, not relocations, so some holes are read into a fixed form
//! (the same CPython's build gives them before it prints them):
//!
//! - `patch_aarch64_trampoline(code + 0x20, 0x5, state)` / `patch_x86_64_trampoline`:
//!   `special: Trampoline { ordinal: 5 }`, `value: Zero`, `symbol: None`, `addend: 5`.
//! - `patch_x86_64_32rx(code + 0x1c, got_symbol_address(0x3, state) - 4)`:
//!   `special: GotSlot { ordinal: 3, minus4: true }` (no `- 4` on AArch64), `value: Got`,
//!   `symbol: None`, `addend: 3`.
//! - `patch_got_symbol(state, 0x3)`: a *data* hole at offset 0 with `func: GotSymbol`,
//!   `special: GotFill { ordinal: 3 }`, `value: Got`, `symbol: None`, `addend: 3`.
//! - `patch_aarch64_33rx(code + 0x10, code + 0x14, v)` (3.15): `offset: 0x14` (the `ldr`),
//!   `offset2: Some(0x10)` (the `adrp`); the 2-argument form `patch_aarch64_33rx(code + 0x10,
//!   v)` (3.14): `offset: 0x10`, `offset2: None`. Both forms are read (and written) as they
//!   are, in either version.
//!
//! The writer writes a special hole from its `special` (and `func` / `offset` / `offset2`).
//! Every hole read gets the relocation kind its patch function implies for the target
//! ([`inferred_kind`]) with `kind_inferred: true`.
//!
//! # Disassembly comments
//!
//! `//` lines before `code_body` are the code's disassembly; every other `//` line of the
//! function is the data's. (So the code's comments of a stencil whose code is all zero bytes,
//! which has no `code_body`, would read back as the data's: real headers have none.)
//!
//! `write(parse(h))` is `h` up to the top comment lines (CPython's digest line), and
//! `parse(write(set)) == set` up to `kind`, `kind_inferred`, `shape` and `origin`, for sets in
//! the forms above whose holes are sorted by offset.

use std::collections::HashMap;
use std::fmt;
use std::fmt::Write as _;
use std::path::Path;

use cpyviz_model::jit::{
    jit_facts, Hole, HoleSpecial, HoleValue, PatchFn, Stencil, StencilGroup, StencilOrigin,
    StencilSet, SymbolMask, Target,
};
use cpyviz_model::version::PyVersion;
use sha2::{Digest, Sha256};

/// A problem in a header, on a line of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderError {
    /// The header, as the caller named it.
    pub file: String,
    /// 1-based; 0 when the problem is about the whole file (its name).
    pub line: usize,
    pub message: String,
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

impl std::error::Error for HeaderError {}

/// The largest stencil body accepted (real ones are a few KiB).
const MAX_BODY: usize = 1 << 24;

/// The arguments of every emit function, one line each in the header.
const EMIT_PARAMS: [&str; 2] = [
    "unsigned char *code, unsigned char *data, _PyExecutorObject *executor,",
    "const _PyUOpInstruction *instruction, jit_state *state)",
];

/// Reads a header. `file_name` names it in errors and in the set's origin; its last path
/// component must be `jit_stencils-<triple>.h`, which gives the target.
pub fn parse(text: &str, file_name: &str) -> Result<StencilSet, HeaderError> {
    let target = target_from_file_name(file_name)?;
    parse_as(text, file_name, target)
}

/// Reads a header for a known target (a copy in the store, whose name is its hash).
pub fn parse_as(text: &str, file_name: &str, target: Target) -> Result<StencilSet, HeaderError> {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parser = Parser {
        file: file_name,
        target,
        lines: body.lines(),
        line: 0,
    };
    let raw = parser.document()?;
    let mut set = parser.assemble(raw)?;
    set.origin = StencilOrigin::Imported {
        path: file_name.to_string(),
        sha256: sha256_hex(text.as_bytes()),
    };
    Ok(set)
}

/// The target a header's file name says (`jit_stencils-x86_64-unknown-linux-gnu.h`).
pub fn target_from_file_name(file_name: &str) -> Result<Target, HeaderError> {
    let base = Path::new(file_name)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(file_name);
    let err = |message: String| HeaderError {
        file: file_name.to_string(),
        line: 0,
        message,
    };
    let example = "jit_stencils-x86_64-unknown-linux-gnu.h";
    if base == "jit_stencils.h" {
        return Err(err(format!(
            "this is the build's dispatcher header, which only includes the per-target ones: \
             import the jit_stencils-<triple>.h next to it (e.g. {example})"
        )));
    }
    let Some(triple) = base
        .strip_prefix("jit_stencils-")
        .and_then(|r| r.strip_suffix(".h"))
    else {
        return Err(err(format!(
            "cannot tell the target from the file name '{base}': keep the name the build gave \
             the header, jit_stencils-<triple>.h (e.g. {example})"
        )));
    };
    Target::from_triple(triple).ok_or_else(|| {
        let known: Vec<&str> = Target::ALL.iter().map(|t| t.triple()).collect();
        err(format!(
            "the target '{triple}' is not one cpyviz models (it models {})",
            known.join(", ")
        ))
    })
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The relocation kind a patch function stands for on a target (what CPython's build mapped to
/// it), or `None` when the function is not one of the target's architecture.
pub fn inferred_kind(func: PatchFn, target: Target) -> Option<&'static str> {
    use PatchFn as F;
    Some(match (target, func) {
        (Target::X86_64Linux, F::P64 | F::GotSymbol) => "R_X86_64_64",
        (Target::X86_64Linux, F::P32) => "R_X86_64_32",
        (Target::X86_64Linux, F::P32r | F::X86_64Trampoline) => "R_X86_64_PLT32",
        (Target::X86_64Linux, F::X86_64_32rx) => "R_X86_64_REX_GOTPCRELX",
        (Target::X86_64Darwin, F::P64 | F::P32 | F::GotSymbol) => "X86_64_RELOC_UNSIGNED",
        (Target::X86_64Darwin, F::P32r | F::X86_64Trampoline) => "X86_64_RELOC_BRANCH",
        (Target::X86_64Darwin, F::X86_64_32rx) => "X86_64_RELOC_GOT_LOAD",
        (Target::Aarch64Linux, F::P64 | F::GotSymbol) => "R_AARCH64_ABS64",
        (Target::Aarch64Linux, F::P32) => "R_AARCH64_ABS32",
        (Target::Aarch64Linux, F::P32r) => "R_AARCH64_PREL32",
        (Target::Aarch64Linux, F::Aarch64_26r | F::Aarch64Trampoline) => "R_AARCH64_CALL26",
        (Target::Aarch64Linux, F::Aarch64_19r) => "R_AARCH64_CONDBR19",
        (Target::Aarch64Linux, F::Aarch64_21rx) => "R_AARCH64_ADR_GOT_PAGE",
        (Target::Aarch64Linux, F::Aarch64_12x | F::Aarch64_33rx) => "R_AARCH64_LD64_GOT_LO12_NC",
        (Target::Aarch64Linux, F::Aarch64_21r) => "R_AARCH64_ADR_PREL_PG_HI21",
        (Target::Aarch64Linux, F::Aarch64_12) => "R_AARCH64_ADD_ABS_LO12_NC",
        (Target::Aarch64Linux, F::Aarch64_16a) => "R_AARCH64_MOVW_UABS_G0_NC",
        (Target::Aarch64Linux, F::Aarch64_16b) => "R_AARCH64_MOVW_UABS_G1_NC",
        (Target::Aarch64Linux, F::Aarch64_16c) => "R_AARCH64_MOVW_UABS_G2_NC",
        (Target::Aarch64Linux, F::Aarch64_16d) => "R_AARCH64_MOVW_UABS_G3",
        (Target::Aarch64Darwin, F::P64 | F::P32 | F::GotSymbol) => "ARM64_RELOC_UNSIGNED",
        (Target::Aarch64Darwin, F::Aarch64_26r | F::Aarch64Trampoline) => "ARM64_RELOC_BRANCH26",
        (Target::Aarch64Darwin, F::Aarch64_19r) => "CUSTOM_AARCH64_BRANCH19",
        (Target::Aarch64Darwin, F::Aarch64_21rx) => "ARM64_RELOC_GOT_LOAD_PAGE21",
        (Target::Aarch64Darwin, F::Aarch64_12x | F::Aarch64_33rx) => {
            "ARM64_RELOC_GOT_LOAD_PAGEOFF12"
        }
        (Target::Aarch64Darwin, F::Aarch64_21r) => "ARM64_RELOC_PAGE21",
        (Target::Aarch64Darwin, F::Aarch64_12) => "ARM64_RELOC_PAGEOFF12",
        (Target::Aarch64Darwin, F::Aarch64_16a) => "CUSTOM_AARCH64_CONST16a",
        (Target::Aarch64Darwin, F::Aarch64_16b) => "CUSTOM_AARCH64_CONST16b",
        _ => return None,
    })
}

/// The C expression of a base value (`""` for ZERO, and for GOT, which real headers never
/// print as a base).
fn base_expr(value: HoleValue) -> &'static str {
    match value {
        HoleValue::Code => "(uintptr_t)code",
        HoleValue::Continue => "(uintptr_t)code + sizeof(code_body)",
        HoleValue::Data => "(uintptr_t)data",
        HoleValue::Executor => "(uintptr_t)executor",
        HoleValue::Got | HoleValue::Zero => "",
        HoleValue::Oparg => "instruction->oparg",
        HoleValue::Operand0 => "instruction->operand0",
        HoleValue::Operand0Hi => "(instruction->operand0 >> 32)",
        HoleValue::Operand0Lo => "(instruction->operand0 & UINT32_MAX)",
        HoleValue::Operand1 => "instruction->operand1",
        HoleValue::Operand1Hi => "(instruction->operand1 >> 32)",
        HoleValue::Operand1Lo => "(instruction->operand1 & UINT32_MAX)",
        HoleValue::Target => "instruction->target",
        HoleValue::JumpTarget => "state->instruction_starts[instruction->jump_target]",
        HoleValue::ErrorTarget => "state->instruction_starts[instruction->error_target]",
    }
}

/// The base value a single term of a value expression is (all but CONTINUE, which is two).
fn base_of_term(term: &str) -> Option<HoleValue> {
    Some(match term {
        "(uintptr_t)code" => HoleValue::Code,
        "(uintptr_t)data" => HoleValue::Data,
        "(uintptr_t)executor" => HoleValue::Executor,
        "instruction->oparg" => HoleValue::Oparg,
        "instruction->operand0" => HoleValue::Operand0,
        "(instruction->operand0 >> 32)" => HoleValue::Operand0Hi,
        "(instruction->operand0 & UINT32_MAX)" => HoleValue::Operand0Lo,
        "instruction->operand1" => HoleValue::Operand1,
        "(instruction->operand1 >> 32)" => HoleValue::Operand1Hi,
        "(instruction->operand1 & UINT32_MAX)" => HoleValue::Operand1Lo,
        "instruction->target" => HoleValue::Target,
        "state->instruction_starts[instruction->jump_target]" => HoleValue::JumpTarget,
        "state->instruction_starts[instruction->error_target]" => HoleValue::ErrorTarget,
        _ => return None,
    })
}

// ----- small lexical helpers -----

/// Splits at `sep` outside (), [] and {}.
fn split_top(s: &str, sep: u8) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ if b == sep && depth == 0 => {
                parts.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(s[start..].trim());
    parts
}

/// `0x1f` or `31`.
fn parse_uint(s: &str) -> Option<u64> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if h.is_empty() || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u64::from_str_radix(h, 16).ok()
    } else {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    }
}

/// `0x10`, `-0x4` (a 64-bit value read as signed, as CPython prints addends).
fn parse_int(s: &str) -> Option<i64> {
    match s.strip_prefix('-') {
        Some(r) => parse_uint(r.trim_start()).map(|u| (u as i64).wrapping_neg()),
        None => parse_uint(s).map(|u| u as i64),
    }
}

fn is_c_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
}

/// A line for an error message: trimmed, and shortened when long.
fn shown(line: &str) -> String {
    let t = line.trim();
    if t.chars().count() > 80 {
        let cut: String = t.chars().take(77).collect();
        format!("{cut}...")
    } else {
        t.to_string()
    }
}

fn signed_hex(v: i64) -> String {
    if v < 0 {
        format!("-{:#x}", v.unsigned_abs())
    } else {
        format!("{v:#x}")
    }
}

// ----- reading -----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Code,
    Data,
}

impl Part {
    fn name(self) -> &'static str {
        match self {
            Part::Code => "code",
            Part::Data => "data",
        }
    }
}

struct RawBody {
    bytes: Vec<u8>,
    size: usize,
    line: usize,
}

#[derive(Default)]
struct RawPart {
    body: Option<RawBody>,
    disassembly: Vec<String>,
    /// Each hole with its line.
    holes: Vec<(Hole, usize)>,
}

struct RawFn {
    name: String,
    line: usize,
    code: RawPart,
    data: RawPart,
}

struct RawEntry {
    line: usize,
    name: String,
    code_size: usize,
    data_size: usize,
    trampoline_mask: SymbolMask,
    got_mask: SymbolMask,
}

struct Typedef {
    line: usize,
    got_mask: bool,
}

#[derive(Default)]
struct Raw {
    fns: Vec<RawFn>,
    mask_words: Option<(usize, u64)>,
    typedef: Option<Typedef>,
    entry: Option<RawEntry>,
    /// (line, bound, entries).
    table: Option<(usize, String, Vec<RawEntry>)>,
    /// (line, names by ordinal).
    symbols: Option<(usize, Vec<String>)>,
}

enum Value {
    Plain {
        value: HoleValue,
        symbol: Option<String>,
        addend: i64,
    },
    GotSlot {
        ordinal: u32,
        minus4: bool,
    },
}

struct Parser<'a> {
    file: &'a str,
    target: Target,
    lines: std::str::Lines<'a>,
    /// The number of the line last read (1-based).
    line: usize,
}

impl<'a> Parser<'a> {
    fn next(&mut self) -> Option<&'a str> {
        let l = self.lines.next()?;
        self.line += 1;
        Some(l)
    }

    fn err(&self, line: usize, message: impl Into<String>) -> HeaderError {
        HeaderError {
            file: self.file.to_string(),
            line,
            message: message.into(),
        }
    }

    fn eof(&self, inside: &str) -> HeaderError {
        self.err(
            self.line.max(1),
            format!("the file ends inside {inside}: a truncated header?"),
        )
    }

    fn document(&mut self) -> Result<Raw, HeaderError> {
        let mut raw = Raw::default();
        while let Some(l) = self.next() {
            let ln = self.line;
            let t = l.trim();
            if t.is_empty() || t.starts_with("//") {
                continue;
            }
            if t == "void" {
                let f = self.function(ln)?;
                raw.fns.push(f);
            } else if let Some(r) = t.strip_prefix("static_assert(SYMBOL_MASK_WORDS >=") {
                let n = r
                    .split(',')
                    .next()
                    .and_then(|n| parse_uint(n.trim()))
                    .ok_or_else(|| {
                        self.err(ln, format!("cannot read the static_assert `{}`", shown(t)))
                    })?;
                raw.mask_words = Some((ln, n));
            } else if t == "typedef struct {" {
                raw.typedef = Some(self.typedef(ln)?);
            } else if let Some(r) = t.strip_prefix("static const StencilGroup ") {
                let Some(td) = &raw.typedef else {
                    return Err(self.err(
                        ln,
                        "a StencilGroup before the `typedef struct { ... } StencilGroup;` it needs",
                    ));
                };
                let fields = if td.got_mask { 5 } else { 4 };
                if let Some(b) = r.strip_prefix("stencil_groups[") {
                    let Some(bound) = b.strip_suffix("] = {") else {
                        return Err(self.err(ln, format!("cannot read `{}`", shown(t))));
                    };
                    if raw.table.is_some() {
                        return Err(self.err(ln, "a second stencil_groups table"));
                    }
                    let entries = self.table(fields)?;
                    raw.table = Some((ln, bound.trim().to_string(), entries));
                } else {
                    let Some((name, init)) = r.split_once(" = ") else {
                        return Err(self.err(ln, format!("cannot read `{}`", shown(t))));
                    };
                    let Some(init) = init.strip_suffix(';') else {
                        return Err(self.err(ln, format!("missing `;` in `{}`", shown(t))));
                    };
                    if raw.entry.is_some() {
                        return Err(self.err(ln, "a second entry group (shim / trampoline)"));
                    }
                    raw.entry = Some(self.group_init(ln, name.trim(), init, fields)?);
                }
            } else if let Some(r) = t.strip_prefix("static const void * const symbols_map[") {
                let n = r
                    .strip_suffix("] = {")
                    .and_then(|n| parse_uint(n.trim()))
                    .ok_or_else(|| self.err(ln, format!("cannot read `{}`", shown(t))))?;
                raw.symbols = Some((ln, self.symbols(ln, n)?));
            } else {
                return Err(self.err(
                    ln,
                    format!(
                        "unexpected line `{}` (expected an emit_ function or the footer of a \
                         jit_stencils header)",
                        shown(t)
                    ),
                ));
            }
        }
        Ok(raw)
    }

    fn function(&mut self, void_line: usize) -> Result<RawFn, HeaderError> {
        let Some(l) = self.next() else {
            return Err(self.eof("a function (after `void`)"));
        };
        let ln = self.line;
        let Some(name) = l
            .trim()
            .strip_prefix("emit_")
            .and_then(|r| r.strip_suffix('('))
            .filter(|n| is_c_name(n))
        else {
            return Err(self.err(
                ln,
                format!("expected `emit_NAME(` after `void`, found `{}`", shown(l)),
            ));
        };
        let name = name.to_string();
        let what = format!("emit_{name} (line {void_line})");
        for expected in EMIT_PARAMS {
            let Some(p) = self.next() else {
                return Err(self.eof(&what));
            };
            if p.trim() != expected {
                return Err(self.err(
                    self.line,
                    format!(
                        "emit_{name} has an unexpected parameter line `{}`: cpyviz reads the \
                         headers of CPython 3.14 and 3.15 (code, data, executor, instruction, \
                         state)",
                        shown(p)
                    ),
                ));
            }
        }
        match self.next() {
            Some(b) if b.trim() == "{" => {}
            Some(b) => {
                return Err(self.err(self.line, format!("expected `{{`, found `{}`", shown(b))))
            }
            None => return Err(self.eof(&what)),
        }
        let mut f = RawFn {
            name,
            line: void_line,
            code: RawPart::default(),
            data: RawPart::default(),
        };
        // Comments go to the next body array: `code_body` takes them as the code's disassembly,
        // `data_body` or the end of the function as the data's.
        let mut pending: Vec<String> = Vec::new();
        loop {
            let Some(l) = self.next() else {
                return Err(self.eof(&what));
            };
            let ln = self.line;
            let t = l.trim();
            if t.is_empty() {
                // CPython prints a hole folded into the next one as an empty statement line.
                continue;
            }
            if t == "}" {
                break;
            }
            if let Some(c) = l.trim_start().strip_prefix("//") {
                pending.push(c.strip_prefix(' ').unwrap_or(c).to_string());
                continue;
            }
            if let Some(r) = t.strip_prefix("const unsigned char ") {
                let (part, body) = self.body_array(ln, r, &f.name)?;
                let raw_part = match part {
                    Part::Code => &mut f.code,
                    Part::Data => &mut f.data,
                };
                if raw_part.body.is_some() {
                    return Err(self.err(
                        ln,
                        format!("emit_{} has a second {}_body", f.name, part.name()),
                    ));
                }
                raw_part.body = Some(body);
                raw_part.disassembly.append(&mut pending);
                continue;
            }
            if t.starts_with("memcpy(") {
                let part = match t {
                    "memcpy(code, code_body, sizeof(code_body));" => Part::Code,
                    "memcpy(data, data_body, sizeof(data_body));" => Part::Data,
                    _ => return Err(self.err(ln, format!("unexpected `{}`", shown(t)))),
                };
                let has_body = match part {
                    Part::Code => f.code.body.is_some(),
                    Part::Data => f.data.body.is_some(),
                };
                if !has_body {
                    return Err(self.err(
                        ln,
                        format!(
                            "`{}` but emit_{} has no {}_body before it",
                            shown(t),
                            f.name,
                            part.name()
                        ),
                    ));
                }
                continue;
            }
            if t.starts_with("patch_") {
                let (part, hole) = self.patch(ln, t)?;
                match part {
                    Part::Code => f.code.holes.push((hole, ln)),
                    Part::Data => f.data.holes.push((hole, ln)),
                }
                continue;
            }
            return Err(self.err(
                ln,
                format!("unexpected line in emit_{}: `{}`", f.name, shown(t)),
            ));
        }
        f.data.disassembly.append(&mut pending);
        Ok(f)
    }

    /// `code_body[153] = {` and its rows, up to `};`.
    fn body_array(
        &mut self,
        ln: usize,
        r: &str,
        fname: &str,
    ) -> Result<(Part, RawBody), HeaderError> {
        let (part, rest) = if let Some(rest) = r.strip_prefix("code_body[") {
            (Part::Code, rest)
        } else if let Some(rest) = r.strip_prefix("data_body[") {
            (Part::Data, rest)
        } else {
            return Err(self.err(ln, format!("unexpected array `{}`", shown(r))));
        };
        let size = rest
            .strip_suffix("] = {")
            .and_then(|n| parse_uint(n.trim()))
            .ok_or_else(|| self.err(ln, format!("cannot read the array `{}`", shown(r))))?;
        if size as usize > MAX_BODY || size > usize::MAX as u64 {
            return Err(self.err(
                ln,
                format!("a {size}-byte {}_body is too large", part.name()),
            ));
        }
        let size = size as usize;
        let mut bytes = Vec::with_capacity(size);
        loop {
            let Some(l) = self.next() else {
                return Err(self.eof(&format!("{}_body of emit_{fname} (line {ln})", part.name())));
            };
            let t = l.trim();
            if t == "};" {
                break;
            }
            for tok in t.split(',') {
                let tok = tok.trim();
                if tok.is_empty() {
                    continue;
                }
                let b = tok
                    .strip_prefix("0x")
                    .or_else(|| tok.strip_prefix("0X"))
                    .filter(|h| (1..=2).contains(&h.len()))
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                let Some(b) = b else {
                    return Err(self.err(
                        self.line,
                        format!("bad byte `{tok}` in {}_body of emit_{fname}", part.name()),
                    ));
                };
                if bytes.len() == size {
                    return Err(self.err(
                        self.line,
                        format!(
                            "{}_body of emit_{fname} has more bytes than its declared {size}",
                            part.name()
                        ),
                    ));
                }
                bytes.push(b);
            }
        }
        Ok((
            part,
            RawBody {
                bytes,
                size,
                line: ln,
            },
        ))
    }

    /// `code + 0x1c` → (code, 0x1c).
    fn location(&self, ln: usize, s: &str) -> Result<(Part, usize), HeaderError> {
        let (base, off) = match s.split_once('+') {
            Some((b, o)) => (b.trim(), Some(o.trim())),
            None => (s.trim(), None),
        };
        let part = match base {
            "code" => Part::Code,
            "data" => Part::Data,
            _ => {
                return Err(self.err(
                    ln,
                    format!(
                        "cannot read the location `{s}` (expected `code + 0x..` or `data + 0x..`)"
                    ),
                ))
            }
        };
        let off = match off {
            None => 0,
            Some(o) => parse_uint(o)
                .filter(|&v| v <= MAX_BODY as u64)
                .ok_or_else(|| self.err(ln, format!("cannot read the offset in `{s}`")))?
                as usize,
        };
        Ok((part, off))
    }

    fn ordinal(&self, ln: usize, s: &str) -> Result<u32, HeaderError> {
        parse_uint(s)
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| self.err(ln, format!("cannot read the symbol ordinal `{s}`")))
    }

    fn patch(&self, ln: usize, t: &str) -> Result<(Part, Hole), HeaderError> {
        let Some(open) = t.find('(') else {
            return Err(self.err(ln, format!("cannot read `{}`", shown(t))));
        };
        let fname = &t[..open];
        let Some(inner) = t[open + 1..].strip_suffix(");") else {
            return Err(self.err(ln, format!("expected `);` at the end of `{}`", shown(t))));
        };
        let func = PatchFn::from_name(fname)
            .ok_or_else(|| self.err(ln, format!("unknown patch function `{fname}`")))?;
        let kind = inferred_kind(func, self.target).ok_or_else(|| {
            self.err(
                ln,
                format!("`{fname}` is not a patch function of {}", self.target),
            )
        })?;
        let args = split_top(inner, b',');
        let mut hole = Hole {
            offset: 0,
            kind: kind.to_string(),
            kind_inferred: true,
            func,
            value: HoleValue::Zero,
            symbol: None,
            addend: 0,
            special: None,
            offset2: None,
        };
        let value_expr = match func {
            PatchFn::GotSymbol => {
                if args.len() != 2 || args[0] != "state" {
                    return Err(self.err(
                        ln,
                        format!(
                            "expected `patch_got_symbol(state, ORDINAL);`, found `{}`",
                            shown(t)
                        ),
                    ));
                }
                let ordinal = self.ordinal(ln, args[1])?;
                hole.value = HoleValue::Got;
                hole.addend = i64::from(ordinal);
                hole.special = Some(HoleSpecial::GotFill { ordinal });
                return Ok((Part::Data, hole));
            }
            PatchFn::X86_64Trampoline | PatchFn::Aarch64Trampoline => {
                if args.len() != 3 || args[2] != "state" {
                    return Err(self.err(
                        ln,
                        format!(
                            "expected `{fname}(LOCATION, ORDINAL, state);`, found `{}`",
                            shown(t)
                        ),
                    ));
                }
                let (part, offset) = self.location(ln, args[0])?;
                let ordinal = self.ordinal(ln, args[1])?;
                hole.offset = offset;
                hole.addend = i64::from(ordinal);
                hole.special = Some(HoleSpecial::Trampoline { ordinal });
                return Ok((part, hole));
            }
            PatchFn::Aarch64_33rx if args.len() == 3 => {
                let (part2, offset2) = self.location(ln, args[0])?;
                let (part, offset) = self.location(ln, args[1])?;
                if part != part2 {
                    return Err(self.err(
                        ln,
                        "the two locations of patch_aarch64_33rx are in different bodies",
                    ));
                }
                hole.offset = offset;
                hole.offset2 = Some(offset2);
                (part, args[2])
            }
            _ => {
                if args.len() != 2 {
                    return Err(self.err(
                        ln,
                        format!(
                            "expected `{fname}(LOCATION, VALUE);`, found {} arguments",
                            args.len()
                        ),
                    ));
                }
                let (part, offset) = self.location(ln, args[0])?;
                hole.offset = offset;
                (part, args[1])
            }
        };
        let (part, expr) = value_expr;
        match self.value(ln, expr)? {
            Value::Plain {
                value,
                symbol,
                addend,
            } => {
                hole.value = value;
                hole.symbol = symbol;
                hole.addend = addend;
            }
            Value::GotSlot { ordinal, minus4 } => {
                hole.value = HoleValue::Got;
                hole.addend = i64::from(ordinal);
                hole.special = Some(HoleSpecial::GotSlot { ordinal, minus4 });
            }
        }
        Ok((part, hole))
    }

    /// A value expression: `got_symbol_address(0x3, state) - 4`, or `[base] [+ (uintptr_t)&SYM]
    /// [+ ADDEND]` with at least one of the three.
    fn value(&self, ln: usize, expr: &str) -> Result<Value, HeaderError> {
        let bad = |why: &str| self.err(ln, format!("cannot read the value `{expr}`: {why}"));
        if let Some(rest) = expr.strip_prefix("got_symbol_address(") {
            let Some((inner, after)) = rest.split_once(')') else {
                return Err(bad("no `)`"));
            };
            let Some((ord, st)) = inner.split_once(',') else {
                return Err(bad("expected got_symbol_address(ORDINAL, state)"));
            };
            if st.trim() != "state" {
                return Err(bad("expected got_symbol_address(ORDINAL, state)"));
            }
            let ordinal = self.ordinal(ln, ord.trim())?;
            let minus4 = match after.trim() {
                "" => false,
                "- 4" | "-4" => true,
                _ => return Err(bad("only `- 4` may follow got_symbol_address(...)")),
            };
            return Ok(Value::GotSlot { ordinal, minus4 });
        }
        let terms = split_top(expr, b'+');
        if terms.iter().any(|t| t.is_empty()) {
            return Err(bad("an empty term"));
        }
        let mut i = 0;
        let mut value = HoleValue::Zero;
        if terms[0] == "(uintptr_t)code" && terms.get(1) == Some(&"sizeof(code_body)") {
            value = HoleValue::Continue;
            i = 2;
        } else if let Some(v) = base_of_term(terms[0]) {
            value = v;
            i = 1;
        }
        let mut symbol = None;
        if let Some(s) = terms.get(i).and_then(|t| t.strip_prefix("(uintptr_t)&")) {
            if !is_c_name(s) {
                return Err(bad(&format!("`{s}` is not a symbol name")));
            }
            symbol = Some(s.to_string());
            i += 1;
        }
        let mut addend = 0;
        let mut has_addend = false;
        if let Some(t) = terms.get(i) {
            match parse_int(t) {
                Some(a) => {
                    addend = a;
                    has_addend = true;
                    i += 1;
                }
                None => return Err(bad(&format!("unknown term `{t}`"))),
            }
        }
        if let Some(t) = terms.get(i) {
            return Err(bad(&format!("unexpected term `{t}`")));
        }
        if value == HoleValue::Zero && symbol.is_none() && !has_addend {
            return Err(bad("no value"));
        }
        Ok(Value::Plain {
            value,
            symbol,
            addend,
        })
    }

    fn typedef(&mut self, ln: usize) -> Result<Typedef, HeaderError> {
        const KNOWN: [&str; 7] = [
            "void (*emit)(",
            EMIT_PARAMS[0],
            "const _PyUOpInstruction *instruction, jit_state *state);",
            "size_t code_size;",
            "size_t data_size;",
            "symbol_mask trampoline_mask;",
            "symbol_mask got_mask;",
        ];
        let mut seen = [false; 7];
        loop {
            let Some(l) = self.next() else {
                return Err(self.eof(&format!("the StencilGroup struct (line {ln})")));
            };
            let t = l.trim();
            if t == "} StencilGroup;" {
                break;
            }
            match KNOWN.iter().position(|k| *k == t) {
                Some(i) => seen[i] = true,
                None if t.contains("cold_code") => {
                    return Err(self.err(
                        self.line,
                        "this header splits hot and cold code (a CPython newer than 3.15): \
                         cpyviz reads the headers of 3.14 and 3.15",
                    ))
                }
                None => {
                    return Err(self.err(
                        self.line,
                        format!(
                            "unexpected field `{}` in StencilGroup: cpyviz reads the headers of \
                             CPython 3.14 and 3.15",
                            shown(t)
                        ),
                    ))
                }
            }
        }
        if !seen[..6].iter().all(|s| *s) {
            return Err(self.err(
                ln,
                "the StencilGroup struct lacks fields of the 3.14 / 3.15 form (emit, code_size, \
                 data_size, trampoline_mask)",
            ));
        }
        Ok(Typedef {
            line: ln,
            got_mask: seen[6],
        })
    }

    fn table(&mut self, fields: usize) -> Result<Vec<RawEntry>, HeaderError> {
        let start = self.line;
        let mut entries = Vec::new();
        loop {
            let Some(l) = self.next() else {
                return Err(self.eof(&format!("the stencil_groups table (line {start})")));
            };
            let ln = self.line;
            let t = l.trim();
            if t == "};" {
                break;
            }
            if t.is_empty() {
                continue;
            }
            let parsed = t.strip_prefix('[').and_then(|r| r.split_once("] = "));
            let Some((name, init)) = parsed else {
                return Err(self.err(ln, format!("cannot read the table entry `{}`", shown(t))));
            };
            let init = init.strip_suffix(',').unwrap_or(init);
            entries.push(self.group_init(ln, name.trim(), init, fields)?);
        }
        Ok(entries)
    }

    /// `{emit_NAME, 153, 16, {0}, {0x08}}` (3.15) / `{emit_NAME, 153, 16, {0}}` (3.14).
    fn group_init(
        &self,
        ln: usize,
        name: &str,
        init: &str,
        fields: usize,
    ) -> Result<RawEntry, HeaderError> {
        if !is_c_name(name) {
            return Err(self.err(ln, format!("`{name}` is not a group name")));
        }
        let Some(inner) = init
            .trim()
            .strip_prefix('{')
            .and_then(|r| r.strip_suffix('}'))
        else {
            return Err(self.err(
                ln,
                format!("cannot read the StencilGroup `{}`", shown(init)),
            ));
        };
        let f = split_top(inner, b',');
        if f.len() != fields {
            let form = if fields == 5 {
                "{emit, code size, data size, trampoline mask, got mask} (the struct has got_mask)"
            } else {
                "{emit, code size, data size, trampoline mask} (the struct has no got_mask)"
            };
            return Err(self.err(
                ln,
                format!("`{name}` has {} fields, expected {form}", f.len()),
            ));
        }
        if f[0].strip_prefix("emit_") != Some(name) {
            return Err(self.err(
                ln,
                format!("the entry of `{name}` names `{}`, not emit_{name}", f[0]),
            ));
        }
        let size = |s: &str, what: &str| {
            parse_uint(s)
                .filter(|&v| v <= MAX_BODY as u64)
                .map(|v| v as usize)
                .ok_or_else(|| {
                    self.err(ln, format!("cannot read the {what} size `{s}` of `{name}`"))
                })
        };
        Ok(RawEntry {
            line: ln,
            name: name.to_string(),
            code_size: size(f[1], "code")?,
            data_size: size(f[2], "data")?,
            trampoline_mask: self.mask(ln, f[3], name)?,
            got_mask: if fields == 5 {
                self.mask(ln, f[4], name)?
            } else {
                SymbolMask::default()
            },
        })
    }

    /// `{0}`, `{0x08, 0x1}`: 32-bit words, lowest first.
    fn mask(&self, ln: usize, s: &str, name: &str) -> Result<SymbolMask, HeaderError> {
        let Some(inner) = s.strip_prefix('{').and_then(|r| r.strip_suffix('}')) else {
            return Err(self.err(ln, format!("cannot read the mask `{s}` of `{name}`")));
        };
        let words = split_top(inner, b',');
        if words.len() > 4 {
            return Err(self.err(
                ln,
                format!(
                    "the mask of `{name}` has {} words: cpyviz models SYMBOL_MASK_WORDS = 4 \
                     (128 symbols)",
                    words.len()
                ),
            ));
        }
        let mut mask = SymbolMask::default();
        for (i, w) in words.iter().enumerate() {
            let v = parse_uint(w)
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| {
                    self.err(ln, format!("cannot read the mask word `{w}` of `{name}`"))
                })?;
            mask.0[i] = v;
        }
        Ok(mask)
    }

    fn symbols(&mut self, ln: usize, declared: u64) -> Result<Vec<String>, HeaderError> {
        let mut by_ordinal: Vec<Option<String>> = Vec::new();
        let mut placeholder = false;
        loop {
            let Some(l) = self.next() else {
                return Err(self.eof(&format!("symbols_map (line {ln})")));
            };
            let t = l.trim();
            if t == "};" {
                break;
            }
            if t.is_empty() {
                continue;
            }
            if t == "0" {
                placeholder = true;
                continue;
            }
            let parsed = t
                .strip_prefix('[')
                .and_then(|r| r.split_once("] = &"))
                .and_then(|(o, n)| {
                    Some((
                        parse_uint(o.trim())?,
                        n.strip_suffix(',').unwrap_or(n).trim(),
                    ))
                });
            let Some((ordinal, name)) = parsed.filter(|(_, n)| is_c_name(n)) else {
                return Err(self.err(
                    self.line,
                    format!(
                        "cannot read the symbols_map entry `{}` (expected `[N] = &NAME,`)",
                        shown(t)
                    ),
                ));
            };
            if ordinal >= 128 {
                return Err(self.err(
                    self.line,
                    format!("symbol ordinal {ordinal} is out of range: cpyviz models 128 symbols (SYMBOL_MASK_WORDS = 4)"),
                ));
            }
            let o = ordinal as usize;
            if by_ordinal.len() <= o {
                by_ordinal.resize(o + 1, None);
            }
            if let Some(prev) = &by_ordinal[o] {
                return Err(self.err(
                    self.line,
                    format!("symbols_map gives ordinal {o} twice ({prev} and {name})"),
                ));
            }
            by_ordinal[o] = Some(name.to_string());
        }
        let mut names = Vec::with_capacity(by_ordinal.len());
        for (o, n) in by_ordinal.into_iter().enumerate() {
            match n {
                Some(n) => names.push(n),
                None => {
                    return Err(self.err(ln, format!("symbols_map has no entry for ordinal {o}")))
                }
            }
        }
        if placeholder && !names.is_empty() {
            return Err(self.err(ln, "symbols_map has both a `0` placeholder and entries"));
        }
        let expected = names.len().max(1) as u64;
        if declared != expected {
            return Err(self.err(
                ln,
                format!("symbols_map is declared with {declared} entries but has {expected}"),
            ));
        }
        Ok(names)
    }

    /// Checks the pieces against each other and builds the set.
    fn assemble(&self, raw: Raw) -> Result<StencilSet, HeaderError> {
        let last = self.line.max(1);
        let Some(td) = &raw.typedef else {
            let message = if raw.fns.is_empty() {
                "not a jit_stencils header: no emit_ functions and no StencilGroup footer"
            } else {
                "missing footer: no `typedef struct { ... } StencilGroup;` (a truncated header?)"
            };
            return Err(self.err(last, message));
        };
        let Some((table_line, bound, entries)) = &raw.table else {
            return Err(self.err(
                last,
                "missing footer: no `stencil_groups` table (a truncated header?)",
            ));
        };
        let Some((symbols_line, symbols)) = &raw.symbols else {
            return Err(self.err(
                last,
                "missing footer: no `symbols_map` (a truncated header?)",
            ));
        };
        let version = if td.got_mask {
            PyVersion::V3_15
        } else {
            PyVersion::V3_14
        };
        let struct_form = if td.got_mask {
            "with got_mask"
        } else {
            "without got_mask"
        };
        let bound_version = match bound.as_str() {
            "MAX_UOP_REGS_ID + 1" => PyVersion::V3_15,
            "MAX_UOP_ID + 1" => PyVersion::V3_14,
            other => {
                return Err(self.err(
                    *table_line,
                    format!("unknown stencil_groups bound `{other}` (expected MAX_UOP_REGS_ID + 1 or MAX_UOP_ID + 1)"),
                ))
            }
        };
        if bound_version != version {
            return Err(self.err(
                *table_line,
                format!(
                    "`stencil_groups[{bound}]` is the {bound_version} form, but the StencilGroup \
                     struct (line {}) is {version}'s ({struct_form})",
                    td.line
                ),
            ));
        }
        let facts = jit_facts(version, self.target);
        let entry_name = facts.shim.or(facts.entry_trampoline);
        if let Some(e) = &raw.entry {
            if Some(e.name.as_str()) != entry_name {
                let other = jit_facts(version.toggled(), self.target);
                let message = if Some(e.name.as_str()) == other.shim.or(other.entry_trampoline) {
                    format!(
                        "the entry group `{}` is {}'s, but the StencilGroup struct (line {}) is \
                         {version}'s ({struct_form})",
                        e.name,
                        version.toggled(),
                        td.line
                    )
                } else {
                    format!(
                        "unknown entry group `{}` (a {version} header's is `{}`)",
                        e.name,
                        entry_name.unwrap_or("none")
                    )
                };
                return Err(self.err(e.line, message));
            }
        }
        if let Some((ln, words)) = raw.mask_words {
            if words > 4 {
                return Err(self.err(
                    ln,
                    format!(
                        "the header needs {words} symbol mask words: cpyviz models 4 (128 symbols)"
                    ),
                ));
            }
        }

        let mut by_name: HashMap<String, usize> = HashMap::with_capacity(raw.fns.len());
        for (i, f) in raw.fns.iter().enumerate() {
            if let Some(&j) = by_name.get(f.name.as_str()) {
                return Err(self.err(
                    f.line,
                    format!(
                        "emit_{} is defined twice (first at line {})",
                        f.name, raw.fns[j].line
                    ),
                ));
            }
            by_name.insert(f.name.clone(), i);
        }
        let mut fns: Vec<Option<RawFn>> = raw.fns.into_iter().map(Some).collect();
        let mut take = |e: &RawEntry, what: &str| -> Result<RawFn, HeaderError> {
            by_name
                .remove(e.name.as_str())
                .and_then(|i| fns[i].take())
                .ok_or_else(|| {
                    self.err(
                        e.line,
                        format!(
                            "{what} names `{}` but there is no emit_{} function",
                            e.name, e.name
                        ),
                    )
                })
        };
        let ctx = Ctx {
            version,
            symbols,
            symbols_line: *symbols_line,
        };
        let entry = match &raw.entry {
            Some(e) => {
                let f = take(e, "the entry group")?;
                Some(self.group(&ctx, f, e)?)
            }
            None => None,
        };
        let mut groups = std::collections::BTreeMap::new();
        let mut entry_lines: HashMap<&str, usize> = HashMap::new();
        for e in entries {
            if let Some(prev) = entry_lines.insert(&e.name, e.line) {
                return Err(self.err(
                    e.line,
                    format!(
                        "stencil_groups has `{}` twice (first at line {prev})",
                        e.name
                    ),
                ));
            }
            let f = take(e, "stencil_groups")?;
            groups.insert(e.name.clone(), self.group(&ctx, f, e)?);
        }
        if let Some(f) = fns.iter().flatten().min_by_key(|f| f.line) {
            return Err(self.err(
                f.line,
                format!("emit_{} has no entry in stencil_groups", f.name),
            ));
        }
        Ok(StencilSet {
            version,
            target: self.target,
            origin: StencilOrigin::Builtin,
            groups,
            entry,
            symbols: symbols.clone(),
        })
    }

    fn group(&self, ctx: &Ctx, f: RawFn, e: &RawEntry) -> Result<StencilGroup, HeaderError> {
        for o in e.trampoline_mask.ordinals().chain(e.got_mask.ordinals()) {
            if o as usize >= ctx.symbols.len() {
                return Err(self.err(
                    e.line,
                    format!(
                        "the masks of `{}` have ordinal {o}, but symbols_map (line {}) has {} \
                         entries",
                        e.name,
                        ctx.symbols_line,
                        ctx.symbols.len()
                    ),
                ));
            }
        }
        let code = self.stencil(ctx, f.code, e, Part::Code, e.code_size)?;
        let data = self.stencil(ctx, f.data, e, Part::Data, e.data_size)?;
        Ok(StencilGroup {
            code,
            data,
            trampoline_mask: e.trampoline_mask,
            got_mask: e.got_mask,
            shape: String::new(),
        })
    }

    fn stencil(
        &self,
        ctx: &Ctx,
        raw: RawPart,
        e: &RawEntry,
        part: Part,
        size: usize,
    ) -> Result<Stencil, HeaderError> {
        let p = part.name();
        let mut body = match raw.body {
            Some(b) => {
                if b.size != size {
                    return Err(self.err(
                        e.line,
                        format!(
                            "`{}` has {p} size {size} here, but its {p}_body (line {}) has {}",
                            e.name, b.line, b.size
                        ),
                    ));
                }
                b.bytes
            }
            None => Vec::new(),
        };
        body.resize(size, 0);
        let mut holes = Vec::with_capacity(raw.holes.len());
        for (hole, ln) in raw.holes {
            self.check_hole(ctx, &hole, ln, e, part, size)?;
            holes.push(hole);
        }
        Ok(Stencil {
            body,
            holes,
            disassembly: raw.disassembly,
        })
    }

    fn check_hole(
        &self,
        ctx: &Ctx,
        hole: &Hole,
        ln: usize,
        e: &RawEntry,
        part: Part,
        size: usize,
    ) -> Result<(), HeaderError> {
        let p = part.name();
        if !matches!(hole.special, Some(HoleSpecial::GotFill { .. })) {
            let width = match hole.func {
                PatchFn::P64 => 8,
                PatchFn::Aarch64_33rx if hole.offset2.is_none() => 8,
                _ => 4,
            };
            let mut spans = vec![(hole.offset, width)];
            if let Some(o2) = hole.offset2 {
                spans.push((o2, 4));
            }
            for (at, w) in spans {
                if at + w > size {
                    return Err(self.err(
                        ln,
                        format!(
                            "the hole at {p} + {at:#x} ({w} bytes) is past the end of the \
                             {size}-byte {p} of `{}`",
                            e.name
                        ),
                    ));
                }
            }
        }
        let (ordinal, mask, mask_name) = match hole.special {
            None => return Ok(()),
            Some(HoleSpecial::Trampoline { ordinal }) => {
                (ordinal, e.trampoline_mask, "trampoline_mask")
            }
            Some(HoleSpecial::GotSlot { ordinal, .. } | HoleSpecial::GotFill { ordinal }) => {
                if !jit_facts(ctx.version, self.target).trace_got {
                    return Err(self.err(
                        ln,
                        format!(
                            "`{}` refers to the trace GOT, which a {} header does not have",
                            hole.func.name(),
                            ctx.version
                        ),
                    ));
                }
                (ordinal, e.got_mask, "got_mask")
            }
        };
        if ordinal as usize >= ctx.symbols.len() {
            return Err(self.err(
                ln,
                format!(
                    "symbol ordinal {ordinal} is out of range: symbols_map (line {}) has {} \
                     entries",
                    ctx.symbols_line,
                    ctx.symbols.len()
                ),
            ));
        }
        if !mask.contains(ordinal) {
            return Err(self.err(
                ln,
                format!(
                    "ordinal {ordinal} ({}) is not in the {mask_name} of `{}` (line {})",
                    ctx.symbols[ordinal as usize], e.name, e.line
                ),
            ));
        }
        Ok(())
    }
}

struct Ctx<'a> {
    version: PyVersion,
    symbols: &'a [String],
    symbols_line: usize,
}

// ----- writing -----

/// Writes a set as a header in the format of its version, with each stencil's own
/// disassembly lines (none for a stencil that has none).
pub fn write(set: &StencilSet) -> String {
    write_with(set, |s, _| s.disassembly.clone())
}

/// Writes a set as a header, with the comment lines `disasm(stencil, is_code)` gives for each
/// stencil (code, then data, of each group). Newlines in a line become spaces.
pub fn write_with(set: &StencilSet, disasm: impl Fn(&Stencil, bool) -> Vec<String>) -> String {
    let facts = jit_facts(set.version, set.target);
    let entry_name = facts.shim.or(facts.entry_trampoline);
    let got = facts.trace_got;
    let mut out = String::with_capacity(
        set.groups
            .values()
            .map(|g| g.code.body.len() * 6 + g.data.body.len() * 6 + 512)
            .sum::<usize>()
            + 4096,
    );
    let _ = writeln!(
        out,
        "// Written by cpyviz: stencils for CPython {} on {}, in the form of Tools/jit/_writer.py.",
        set.version, set.target
    );
    out.push('\n');
    let entry = entry_name.zip(set.entry.as_ref());
    if let Some((name, g)) = entry {
        write_function(&mut out, name, g, &disasm);
    }
    for (name, g) in &set.groups {
        write_function(&mut out, name, g, &disasm);
    }
    let words = set.symbols.len().div_ceil(32).max(1);
    let _ = writeln!(
        out,
        "static_assert(SYMBOL_MASK_WORDS >= {words}, \"SYMBOL_MASK_WORDS too small\");"
    );
    out.push('\n');
    out.push_str("typedef struct {\n    void (*emit)(\n");
    let _ = writeln!(out, "        {}", EMIT_PARAMS[0]);
    out.push_str("        const _PyUOpInstruction *instruction, jit_state *state);\n");
    out.push_str(
        "    size_t code_size;\n    size_t data_size;\n    symbol_mask trampoline_mask;\n",
    );
    if got {
        out.push_str("    symbol_mask got_mask;\n");
    }
    out.push_str("} StencilGroup;\n\n");
    if let Some((name, g)) = entry {
        let _ = writeln!(
            out,
            "static const StencilGroup {name} = {};",
            group_init(name, g, got)
        );
        out.push('\n');
    }
    let bound = if facts.register_variants {
        "MAX_UOP_REGS_ID + 1"
    } else {
        "MAX_UOP_ID + 1"
    };
    let _ = writeln!(
        out,
        "static const StencilGroup stencil_groups[{bound}] = {{"
    );
    for (name, g) in &set.groups {
        let _ = writeln!(out, "    [{name}] = {},", group_init(name, g, got));
    }
    out.push_str("};\n\n");
    let _ = writeln!(
        out,
        "static const void * const symbols_map[{}] = {{",
        set.symbols.len().max(1)
    );
    if set.symbols.is_empty() {
        out.push_str("    0\n");
    }
    for (i, s) in set.symbols.iter().enumerate() {
        let _ = writeln!(out, "    [{i}] = &{s},");
    }
    out.push_str("};\n");
    out
}

fn group_init(name: &str, g: &StencilGroup, got: bool) -> String {
    let mut s = format!(
        "{{emit_{name}, {}, {}, {}",
        g.code.body.len(),
        g.data.body.len(),
        mask_c(&g.trampoline_mask)
    );
    if got {
        s.push_str(", ");
        s.push_str(&mask_c(&g.got_mask));
    }
    s.push('}');
    s
}

fn mask_c(m: &SymbolMask) -> String {
    let n = m.0.iter().rposition(|w| *w != 0).map_or(0, |i| i + 1);
    if n == 0 {
        return "{0}".to_string();
    }
    let words: Vec<String> = m.0[..n].iter().map(|w| format!("{w:#04x}")).collect();
    format!("{{{}}}", words.join(", "))
}

fn write_function(
    out: &mut String,
    name: &str,
    g: &StencilGroup,
    disasm: &impl Fn(&Stencil, bool) -> Vec<String>,
) {
    out.push_str("void\n");
    let _ = writeln!(out, "emit_{name}(");
    for p in EMIT_PARAMS {
        let _ = writeln!(out, "    {p}");
    }
    out.push_str("{\n");
    for (part, stencil, is_code) in [(Part::Code, &g.code, true), (Part::Data, &g.data, false)] {
        for line in disasm(stencil, is_code) {
            let clean: String = line
                .chars()
                .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
                .collect();
            let _ = writeln!(out, "    // {clean}");
        }
        let stripped = stripped_len(&stencil.body);
        if stripped > 0 {
            let _ = writeln!(
                out,
                "    const unsigned char {}_body[{}] = {{",
                part.name(),
                stencil.body.len()
            );
            for row in stencil.body[..stripped].chunks(8) {
                out.push_str("       ");
                for b in row {
                    let _ = write!(out, " {b:#04x},");
                }
                out.push('\n');
            }
            out.push_str("    };\n");
        }
    }
    for (part, stencil) in [(Part::Data, &g.data), (Part::Code, &g.code)] {
        let p = part.name();
        if stripped_len(&stencil.body) > 0 {
            let _ = writeln!(out, "    memcpy({p}, {p}_body, sizeof({p}_body));");
        }
        // CPython 3.15 keeps the `adrp` hole a `patch_aarch64_33rx` folded in, and prints it
        // as an empty statement line at its place.
        let mut lines: Vec<(usize, Option<&Hole>)> = Vec::with_capacity(stencil.holes.len());
        for h in &stencil.holes {
            if let Some(o2) = h.offset2 {
                lines.push((o2, None));
            }
            lines.push((h.offset, Some(h)));
        }
        lines.sort_by_key(|(offset, _)| *offset);
        for (_, h) in lines {
            match h {
                Some(h) => {
                    let _ = writeln!(out, "    {}", hole_c(h, p));
                }
                None => out.push_str("    \n"),
            }
        }
    }
    out.push_str("}\n\n");
}

fn stripped_len(body: &[u8]) -> usize {
    body.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1)
}

/// The patch call of a hole, as CPython's build prints it.
pub fn hole_c(h: &Hole, part: &str) -> String {
    let func = h.func.name();
    let loc = format!("{part} + {:#x}", h.offset);
    let value = match h.special {
        Some(HoleSpecial::GotFill { ordinal }) => {
            return format!("{}(state, {ordinal:#x});", PatchFn::GotSymbol.name());
        }
        Some(HoleSpecial::Trampoline { ordinal }) => {
            return format!("{func}({loc}, {ordinal:#x}, state);");
        }
        Some(HoleSpecial::GotSlot { ordinal, minus4 }) => format!(
            "got_symbol_address({ordinal:#x}, state){}",
            if minus4 { " - 4" } else { "" }
        ),
        None => value_c(h),
    };
    match h.offset2 {
        Some(o2) => format!("{func}({part} + {o2:#x}, {loc}, {value});"),
        None => format!("{func}({loc}, {value});"),
    }
}

/// The C expression of a plain hole's value.
pub fn value_c(h: &Hole) -> String {
    let mut v = base_expr(h.value).to_string();
    if let Some(s) = &h.symbol {
        if !v.is_empty() {
            v.push_str(" + ");
        }
        v.push_str("(uintptr_t)&");
        v.push_str(s);
    }
    if h.addend != 0 || v.is_empty() {
        if !v.is_empty() {
            v.push_str(" + ");
        }
        v.push_str(&signed_hex(h.addend));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpyviz_model::jit::Arch;
    use std::collections::BTreeMap;

    const X86_315: &str =
        include_str!("../tests/headers/3.15/jit_stencils-x86_64-unknown-linux-gnu.h");
    const X86_315_NAME: &str = "build/jit_stencils-x86_64-unknown-linux-gnu.h";
    const ARM_315: &str =
        include_str!("../tests/headers/3.15/jit_stencils-aarch64-unknown-linux-gnu.h");
    const ARM_315_NAME: &str = "jit_stencils-aarch64-unknown-linux-gnu.h";
    const X86_314: &str =
        include_str!("../tests/headers/3.14/jit_stencils-x86_64-unknown-linux-gnu.h");

    // ----- helpers -----

    fn hole(
        func: PatchFn,
        offset: usize,
        value: HoleValue,
        symbol: Option<&str>,
        addend: i64,
    ) -> Hole {
        Hole {
            offset,
            kind: String::new(),
            kind_inferred: false,
            func,
            value,
            symbol: symbol.map(str::to_string),
            addend,
            special: None,
            offset2: None,
        }
    }

    fn trampoline(func: PatchFn, offset: usize, ordinal: u32) -> Hole {
        Hole {
            special: Some(HoleSpecial::Trampoline { ordinal }),
            ..hole(func, offset, HoleValue::Zero, None, i64::from(ordinal))
        }
    }

    fn got_slot(func: PatchFn, offset: usize, ordinal: u32, minus4: bool) -> Hole {
        Hole {
            special: Some(HoleSpecial::GotSlot { ordinal, minus4 }),
            ..hole(func, offset, HoleValue::Got, None, i64::from(ordinal))
        }
    }

    fn got_fill(ordinal: u32) -> Hole {
        Hole {
            special: Some(HoleSpecial::GotFill { ordinal }),
            ..hole(
                PatchFn::GotSymbol,
                0,
                HoleValue::Got,
                None,
                i64::from(ordinal),
            )
        }
    }

    fn stencil(body: Vec<u8>, holes: Vec<Hole>, disassembly: &[&str]) -> Stencil {
        Stencil {
            body,
            holes,
            disassembly: disassembly.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// What the header cannot carry, cleared.
    fn normalized(mut set: StencilSet) -> StencilSet {
        set.origin = StencilOrigin::Builtin;
        let fix = |g: &mut StencilGroup| {
            g.shape.clear();
            for h in g.code.holes.iter_mut().chain(g.data.holes.iter_mut()) {
                h.kind.clear();
                h.kind_inferred = false;
            }
        };
        set.groups.values_mut().for_each(fix);
        if let Some(e) = set.entry.as_mut() {
            fix(e);
        }
        set
    }

    fn file_name(target: Target) -> String {
        format!("jit_stencils-{}.h", target.triple())
    }

    fn assert_round_trip(set: &StencilSet) {
        let text = write(set);
        let back = parse(&text, &file_name(set.target)).unwrap_or_else(|e| panic!("{e}\n{text}"));
        for g in back.groups.values().chain(back.entry.iter()) {
            for h in g.code.holes.iter().chain(&g.data.holes) {
                assert!(h.kind_inferred);
                assert_eq!(Some(h.kind.as_str()), inferred_kind(h.func, set.target));
            }
        }
        assert_eq!(normalized(back), normalized(set.clone()), "\n{text}");
    }

    fn err(text: &str, name: &str) -> HeaderError {
        match parse(text, name) {
            Ok(_) => panic!("parsed, but an error was expected"),
            Err(e) => e,
        }
    }

    /// Replaces `from` by `to` on the first line containing `from`; returns the text and that
    /// line's number.
    fn edit(text: &str, from: &str, to: &str) -> (String, usize) {
        let mut found = None;
        let lines: Vec<String> = text
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if found.is_none() && l.contains(from) {
                    found = Some(i + 1);
                    l.replacen(from, to, 1)
                } else {
                    l.to_string()
                }
            })
            .collect();
        let line = found.unwrap_or_else(|| panic!("`{from}` is not in the text"));
        (lines.join("\n") + "\n", line)
    }

    fn line_of(text: &str, needle: &str) -> usize {
        text.lines().position(|l| l.contains(needle)).expect(needle) + 1
    }

    fn assert_err(text: &str, name: &str, line: usize, part: &str) {
        let e = err(text, name);
        assert_eq!(e.line, line, "{e}");
        assert!(
            e.message.contains(part),
            "`{}` does not say `{part}`",
            e.message
        );
        assert!(
            e.to_string().starts_with(&format!("{name}:{line}: ")),
            "{e}"
        );
    }

    // ----- exact strings -----

    #[test]
    fn header_hole_forms_print_as_cpython_prints_them() {
        let cases: Vec<(Hole, &str, &str)> = vec![
            (
                hole(PatchFn::P64, 2, HoleValue::Oparg, None, 0),
                "code",
                "patch_64(code + 0x2, instruction->oparg);",
            ),
            (
                hole(PatchFn::P64, 8, HoleValue::Zero, Some("PyLong_Type"), 0),
                "data",
                "patch_64(data + 0x8, (uintptr_t)&PyLong_Type);",
            ),
            (
                hole(PatchFn::P32r, 0xf, HoleValue::JumpTarget, None, -4),
                "code",
                "patch_32r(code + 0xf, state->instruction_starts[instruction->jump_target] + -0x4);",
            ),
            (
                got_slot(PatchFn::X86_64_32rx, 0x1c, 3, true),
                "code",
                "patch_x86_64_32rx(code + 0x1c, got_symbol_address(0x3, state) - 4);",
            ),
            (got_fill(3), "data", "patch_got_symbol(state, 0x3);"),
            (
                trampoline(PatchFn::Aarch64Trampoline, 0x20, 5),
                "code",
                "patch_aarch64_trampoline(code + 0x20, 0x5, state);",
            ),
            (
                Hole {
                    offset2: Some(0x10),
                    ..hole(PatchFn::Aarch64_33rx, 0x14, HoleValue::Data, None, 8)
                },
                "code",
                "patch_aarch64_33rx(code + 0x10, code + 0x14, (uintptr_t)data + 0x8);",
            ),
            (
                hole(PatchFn::Aarch64_33rx, 0x10, HoleValue::Data, None, 8),
                "code",
                "patch_aarch64_33rx(code + 0x10, (uintptr_t)data + 0x8);",
            ),
            (
                hole(PatchFn::P32r, 0x15, HoleValue::Continue, None, -4),
                "code",
                "patch_32r(code + 0x15, (uintptr_t)code + sizeof(code_body) + -0x4);",
            ),
            (
                hole(PatchFn::P64, 0, HoleValue::Executor, None, 0),
                "code",
                "patch_64(code + 0x0, (uintptr_t)executor);",
            ),
            (hole(PatchFn::P64, 0, HoleValue::Zero, None, 0), "code", "patch_64(code + 0x0, 0x0);"),
            (
                hole(PatchFn::P64, 0, HoleValue::Operand1Hi, Some("x"), 0x10),
                "code",
                "patch_64(code + 0x0, (instruction->operand1 >> 32) + (uintptr_t)&x + 0x10);",
            ),
            (
                hole(PatchFn::P64, 0, HoleValue::Zero, None, i64::MIN),
                "code",
                "patch_64(code + 0x0, -0x8000000000000000);",
            ),
        ];
        for (h, part, expected) in cases {
            assert_eq!(hole_c(&h, part), expected);
        }
        let mut m = SymbolMask::default();
        assert_eq!(mask_c(&m), "{0}");
        m.insert(3);
        assert_eq!(mask_c(&m), "{0x08}");
        m.insert(32);
        m.insert(44);
        assert_eq!(mask_c(&m), "{0x08, 0x1001}");
        let mut only_high = SymbolMask::default();
        only_high.insert(64);
        assert_eq!(mask_c(&only_high), "{0x00, 0x00, 0x01}");
    }

    // ----- the realistic headers -----

    #[test]
    fn header_fixture_x86_64_linux_3_15() {
        let set = parse(X86_315, X86_315_NAME).unwrap();
        assert_eq!(set.version, PyVersion::V3_15);
        assert_eq!(set.target, Target::X86_64Linux);
        assert_eq!(set.entry, None);
        assert_eq!(set.symbols, ["_PyCompactLong_Add", "Py_FatalError"]);
        assert_eq!(
            set.origin,
            StencilOrigin::Imported {
                path: X86_315_NAME.to_string(),
                sha256: sha256_hex(X86_315.as_bytes()),
            }
        );
        let names: Vec<&str> = set.groups.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "_BINARY_OP_ADD_INT_r23",
                "_FATAL_ERROR_r00",
                "_GUARD_TOS_INT_r11",
                "_LOAD_CONST_INLINE_BORROW_r01",
                "_LOAD_FAST_r01",
                "_NOP_r00",
                "_SET_IP_r00",
                "_START_EXECUTOR_r00",
            ]
        );
        let kinded = |mut h: Hole, kind: &str| {
            h.kind = kind.to_string();
            h.kind_inferred = true;
            h
        };

        let add = &set.groups["_BINARY_OP_ADD_INT_r23"];
        assert_eq!(add.code.body.len(), 20);
        assert_eq!(&add.code.body[..3], &[0x50, 0xff, 0x15]);
        assert_eq!(
            add.code.holes,
            [
                kinded(
                    got_slot(PatchFn::X86_64_32rx, 3, 0, true),
                    "R_X86_64_REX_GOTPCRELX"
                ),
                kinded(
                    hole(PatchFn::P32r, 0xc, HoleValue::ErrorTarget, None, -4),
                    "R_X86_64_PLT32"
                ),
            ]
        );
        assert_eq!(add.data.holes, [kinded(got_fill(0), "R_X86_64_64")]);
        assert!(add.data.body.is_empty());
        assert_eq!(add.got_mask.ordinals().collect::<Vec<_>>(), [0]);
        assert!(add.trampoline_mask.is_empty());
        assert_eq!(add.code.disassembly.len(), 8);
        assert_eq!(
            add.code.disassembly[2],
            "0000000000000003:  R_X86_64_GOTPCRELX   _PyCompactLong_Add-0x4"
        );
        assert!(add.data.disassembly.is_empty());

        let fatal = &set.groups["_FATAL_ERROR_r00"];
        // 13 bytes written, 4 trailing zeros restored.
        assert_eq!(fatal.code.body.len(), 17);
        assert_eq!(&fatal.code.body[11..], &[0xff, 0x15, 0, 0, 0, 0]);
        let mut data = b"Fatal error uop executed.".to_vec();
        data.resize(32, 0);
        assert_eq!(fatal.data.body, data);
        assert_eq!(
            fatal.data.disassembly,
            [
                "0: 'Fatal error uop executed.\\x00'",
                "1a: 00 00 00 00 00 00"
            ]
        );
        assert_eq!(
            fatal.code.holes,
            [
                kinded(
                    hole(PatchFn::P64, 3, HoleValue::Data, None, 0),
                    "R_X86_64_64"
                ),
                kinded(
                    got_slot(PatchFn::X86_64_32rx, 0xd, 1, true),
                    "R_X86_64_REX_GOTPCRELX"
                ),
            ]
        );
        assert_eq!(fatal.data.holes, [kinded(got_fill(1), "R_X86_64_64")]);

        let guard = &set.groups["_GUARD_TOS_INT_r11"];
        assert_eq!(guard.code.body.len(), 27);
        assert_eq!(
            guard.code.holes,
            [
                kinded(
                    hole(PatchFn::P64, 9, HoleValue::Zero, Some("PyLong_Type"), 0),
                    "R_X86_64_64"
                ),
                kinded(
                    hole(PatchFn::P32r, 0x17, HoleValue::JumpTarget, None, -4),
                    "R_X86_64_PLT32"
                ),
            ]
        );
        assert!(guard.got_mask.is_empty());

        let value_of = |g: &str| set.groups[g].code.holes[0].value;
        assert_eq!(
            value_of("_LOAD_CONST_INLINE_BORROW_r01"),
            HoleValue::Operand0
        );
        assert_eq!(value_of("_LOAD_FAST_r01"), HoleValue::Oparg);
        assert_eq!(value_of("_SET_IP_r00"), HoleValue::Operand0);
        assert_eq!(
            set.groups["_LOAD_CONST_INLINE_BORROW_r01"].code.body,
            [0x48, 0xbf, 0, 0, 0, 0, 0, 0, 0, 0]
        );
        assert_eq!(
            set.groups["_START_EXECUTOR_r00"].code.body,
            [0x4d, 0x89, 0xa7, 0x30, 0x01, 0, 0]
        );
        assert!(set.groups["_START_EXECUTOR_r00"].code.holes.is_empty());
        assert_eq!(set.groups["_NOP_r00"], StencilGroup::default());
    }

    #[test]
    fn header_fixture_aarch64_linux_3_15() {
        let set = parse(ARM_315, ARM_315_NAME).unwrap();
        assert_eq!(
            (set.version, set.target),
            (PyVersion::V3_15, Target::Aarch64Linux)
        );
        assert_eq!(
            set.symbols,
            ["_PyCompactLong_Add", "Py_FatalError", "PyLong_Type"]
        );
        let add = &set.groups["_BINARY_OP_ADD_INT_r23"];
        assert_eq!(
            add.code.holes[0].special,
            Some(HoleSpecial::Trampoline { ordinal: 0 })
        );
        assert_eq!(add.code.holes[0].kind, "R_AARCH64_CALL26");
        assert_eq!(add.code.holes[1].func, PatchFn::Aarch64_19r);
        assert_eq!(add.code.holes[1].value, HoleValue::ErrorTarget);
        assert_eq!(add.trampoline_mask.ordinals().collect::<Vec<_>>(), [0]);
        let guard = &set.groups["_GUARD_TOS_INT_r11"];
        // The folded adrp hole's empty line is not a hole.
        assert_eq!(guard.code.holes.len(), 2);
        let pair = &guard.code.holes[0];
        assert_eq!(
            (pair.func, pair.offset, pair.offset2),
            (PatchFn::Aarch64_33rx, 4, Some(0))
        );
        assert_eq!(
            pair.special,
            Some(HoleSpecial::GotSlot {
                ordinal: 2,
                minus4: false
            })
        );
        assert_eq!(
            guard.data.holes,
            [Hole {
                kind: "R_AARCH64_ABS64".into(),
                kind_inferred: true,
                ..got_fill(2)
            }]
        );
        assert_eq!(guard.got_mask.ordinals().collect::<Vec<_>>(), [2]);
        let konst = &set.groups["_LOAD_CONST_INLINE_BORROW_r01"];
        assert_eq!(konst.code.holes[0].value, HoleValue::Data);
        assert_eq!(konst.code.holes[0].offset2, Some(0));
        assert_eq!(konst.data.body, [0; 8]);
        assert_eq!(konst.data.disassembly, ["0: OPERAND0"]);
        assert_eq!(konst.data.holes[0].value, HoleValue::Operand0);
        let fatal = &set.groups["_FATAL_ERROR_r00"];
        let funcs: Vec<PatchFn> = fatal.code.holes.iter().map(|h| h.func).collect();
        assert_eq!(
            funcs,
            [
                PatchFn::Aarch64_21r,
                PatchFn::Aarch64_12,
                PatchFn::Aarch64Trampoline
            ]
        );
        assert_eq!(fatal.code.holes[1].kind, "R_AARCH64_ADD_ABS_LO12_NC");
        assert_eq!(
            set.groups["_LOAD_FAST_r01"].code.holes[0].func,
            PatchFn::Aarch64_16a
        );
    }

    #[test]
    fn header_fixture_x86_64_linux_3_14() {
        let name = "jit_stencils-x86_64-unknown-linux-gnu.h";
        let set = parse(X86_314, name).unwrap();
        assert_eq!(set.version, PyVersion::V3_14);
        assert!(set.symbols.is_empty());
        let shim = set.entry.as_ref().expect("the shim");
        assert_eq!(shim.code.body.len(), 40);
        assert_eq!(shim.code.holes[0].value, HoleValue::Continue);
        assert_eq!(shim.code.holes[0].addend, -4);
        let add = &set.groups["_BINARY_OP_ADD_INT"];
        assert_eq!(add.data.body, [0; 8]);
        assert_eq!(add.data.disassembly, ["0: &_PyCompactLong_Add+0x0"]);
        assert_eq!(
            add.data.holes[0].symbol.as_deref(),
            Some("_PyCompactLong_Add")
        );
        let rx = &add.code.holes[0];
        assert_eq!(
            (rx.func, rx.value, rx.addend, rx.special),
            (PatchFn::X86_64_32rx, HoleValue::Data, -4, None)
        );
        assert_eq!(
            set.groups["_START_EXECUTOR"].code.holes[0].value,
            HoleValue::Executor
        );
    }

    #[test]
    fn header_writes_the_fixtures_back_line_for_line() {
        for (text, name) in [
            (X86_315, X86_315_NAME),
            (ARM_315, ARM_315_NAME),
            (X86_314, "jit_stencils-x86_64-unknown-linux-gnu.h"),
        ] {
            let written = write(&parse(text, name).unwrap());
            // Only the first line differs: CPython's digest, cpyviz's note.
            let skip_first = |t: &str| {
                t.lines()
                    .skip(1)
                    .map(|l| format!("{l}\n"))
                    .collect::<String>()
            };
            assert_eq!(skip_first(&written), skip_first(text), "{name}");
        }
    }

    #[test]
    fn header_write_with_uses_the_given_disassembly() {
        let mut set = parse(X86_315, X86_315_NAME).unwrap();
        for g in set.groups.values_mut() {
            g.code.disassembly.clear();
            g.data.disassembly.clear();
        }
        let plain = write(&set);
        assert!(!plain
            .lines()
            .any(|l| l.trim_start().starts_with("//") && l.starts_with("    ")));
        let text = write_with(&set, |s, is_code| {
            vec![format!(
                "{} bytes of {}",
                s.body.len(),
                if is_code { "code" } else { "data" }
            )]
        });
        let back = parse(&text, X86_315_NAME).unwrap();
        let fatal = &back.groups["_FATAL_ERROR_r00"];
        assert_eq!(fatal.code.disassembly, ["17 bytes of code"]);
        assert_eq!(fatal.data.disassembly, ["32 bytes of data"]);
        // A stencil with no code_body: its comment reads back as the data's (documented).
        assert_eq!(
            back.groups["_NOP_r00"].data.disassembly,
            ["0 bytes of code", "0 bytes of data"]
        );
    }

    // ----- round trips -----

    fn symbols(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("sym_{i}")).collect()
    }

    fn pattern(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) | 1)
            .collect()
    }

    /// A set with every hole form the version and target can have.
    fn full_set(version: PyVersion, target: Target) -> StencilSet {
        let facts = jit_facts(version, target);
        let mut groups = BTreeMap::new();
        let mut values = Vec::new();
        for (i, v) in HoleValue::ALL
            .into_iter()
            .filter(|v| *v != HoleValue::Got)
            .enumerate()
        {
            let (symbol, addend) = match i % 4 {
                0 => (None, 0),
                1 => (Some("PyLong_Type"), 0),
                2 => (None, -0x4),
                _ => (Some("_Py_NoneStruct"), 0x18),
            };
            values.push(hole(PatchFn::P64, i * 8, v, symbol, addend));
        }
        values.push(hole(PatchFn::P64, 0x100, HoleValue::Zero, None, 0));
        values.push(hole(
            PatchFn::P64,
            0x108,
            HoleValue::Zero,
            None,
            0x7fff_ffff_ffff_ffff,
        ));
        groups.insert(
            "_ALL_VALUES".to_string(),
            StencilGroup {
                code: stencil(pattern(0x110, 3), values, &["0: all the values"]),
                ..Default::default()
            },
        );

        let mut code = Vec::new();
        let mut data = Vec::new();
        let mut tmask = SymbolMask::default();
        let mut gmask = SymbolMask::default();
        match target.arch() {
            Arch::X86_64 => {
                code.push(hole(PatchFn::P32r, 0x0, HoleValue::JumpTarget, None, -4));
                code.push(hole(PatchFn::P32r, 0x4, HoleValue::ErrorTarget, None, -4));
                code.push(hole(PatchFn::P32, 0x8, HoleValue::Oparg, None, 0));
                code.push(hole(PatchFn::X86_64_32rx, 0xc, HoleValue::Data, None, 0x14));
                code.push(hole(
                    PatchFn::P32r,
                    0x10,
                    HoleValue::Zero,
                    Some("PyObject_Free"),
                    -4,
                ));
                if facts.trace_got {
                    code.push(got_slot(PatchFn::X86_64_32rx, 0x14, 33, true));
                    gmask.insert(33);
                    data.push(got_fill(33));
                }
                if facts.trampolined_calls {
                    code.push(trampoline(PatchFn::X86_64Trampoline, 0x18, 35));
                    tmask.insert(35);
                }
            }
            Arch::Aarch64 => {
                code.push(hole(
                    PatchFn::Aarch64_26r,
                    0x0,
                    HoleValue::JumpTarget,
                    None,
                    0,
                ));
                code.push(hole(
                    PatchFn::Aarch64_19r,
                    0x4,
                    HoleValue::ErrorTarget,
                    None,
                    0,
                ));
                code.push(hole(PatchFn::Aarch64_21r, 0x8, HoleValue::Data, None, 0x10));
                code.push(hole(PatchFn::Aarch64_12, 0xc, HoleValue::Data, None, 0x10));
                code.push(hole(PatchFn::Aarch64_21rx, 0x10, HoleValue::Data, None, 0));
                code.push(hole(PatchFn::Aarch64_12x, 0x14, HoleValue::Data, None, 0));
                code.push(hole(
                    PatchFn::Aarch64_16a,
                    0x18,
                    HoleValue::Operand0,
                    None,
                    0,
                ));
                code.push(hole(
                    PatchFn::Aarch64_16b,
                    0x1c,
                    HoleValue::Operand0,
                    None,
                    0,
                ));
                if !target.is_darwin() {
                    code.push(hole(
                        PatchFn::Aarch64_16c,
                        0x20,
                        HoleValue::Operand0,
                        None,
                        0,
                    ));
                    code.push(hole(
                        PatchFn::Aarch64_16d,
                        0x24,
                        HoleValue::Operand0,
                        None,
                        0,
                    ));
                }
                code.push(hole(PatchFn::Aarch64_33rx, 0x28, HoleValue::Data, None, 8));
                code.push(Hole {
                    offset2: Some(0x30),
                    ..hole(PatchFn::Aarch64_33rx, 0x34, HoleValue::Operand1, None, 0)
                });
                code.push(trampoline(PatchFn::Aarch64Trampoline, 0x38, 35));
                tmask.insert(35);
                code.push(trampoline(PatchFn::Aarch64Trampoline, 0x3c, 1));
                tmask.insert(1);
                if facts.trace_got {
                    code.push(Hole {
                        offset2: Some(0x40),
                        ..got_slot(PatchFn::Aarch64_33rx, 0x44, 33, false)
                    });
                    code.push(got_slot(PatchFn::Aarch64_21rx, 0x48, 2, false));
                    code.push(got_slot(PatchFn::Aarch64_12x, 0x4c, 2, false));
                    gmask.insert(33);
                    gmask.insert(2);
                    data.push(got_fill(33));
                    data.push(got_fill(2));
                }
            }
        }
        data.push(hole(
            PatchFn::P64,
            0x8,
            HoleValue::Zero,
            Some("PyLong_Type"),
            0,
        ));
        data.push(hole(PatchFn::P64, 0x10, HoleValue::Code, None, 0x20));
        groups.insert(
            "_ARCH".to_string(),
            StencilGroup {
                code: stencil(
                    pattern(0x60, 7),
                    code,
                    &[
                        "",
                        " leading space",
                        "trailing space ",
                        "has // inside",
                        "tab\there",
                    ],
                ),
                data: stencil(
                    vec![
                        1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                    ],
                    data,
                    &["0: b'\\x01\\x02\\x03'"],
                ),
                trampoline_mask: tmask,
                got_mask: gmask,
                shape: "careful".to_string(),
            },
        );
        groups.insert("_EMPTY".to_string(), StencilGroup::default());
        groups.insert(
            "_ZERO_DATA".to_string(),
            StencilGroup {
                code: stencil(vec![0xc3, 0, 0, 0, 0], vec![], &[]),
                data: stencil(
                    vec![0; 16],
                    vec![hole(PatchFn::P64, 8, HoleValue::Operand0, None, 0)],
                    &["0: 00 00 00 00 00 00 00 00", "8: OPERAND0"],
                ),
                ..Default::default()
            },
        );
        groups.insert(
            "_DATA_ONLY_DISASM".to_string(),
            StencilGroup {
                code: stencil(vec![0x90], vec![], &[]),
                data: stencil(vec![0; 8], vec![], &["0: only data comments"]),
                ..Default::default()
            },
        );
        let entry_value = if version == PyVersion::V3_14 {
            HoleValue::Continue
        } else {
            HoleValue::Code
        };
        let entry = StencilGroup {
            code: stencil(
                pattern(12, 1),
                vec![hole(PatchFn::P64, 4, entry_value, None, -4)],
                &["0: entry"],
            ),
            ..Default::default()
        };
        StencilSet {
            version,
            target,
            origin: StencilOrigin::Builtin,
            groups,
            entry: Some(entry),
            symbols: symbols(40),
        }
    }

    #[test]
    fn header_round_trips_every_form_for_both_versions_and_all_targets() {
        for version in PyVersion::ALL {
            for target in Target::ALL {
                let set = full_set(version, target);
                assert_round_trip(&set);
                let text = write(&set);
                let facts = jit_facts(version, target);
                assert_eq!(text.contains("symbol_mask got_mask;"), facts.trace_got);
                assert_eq!(
                    text.contains("[MAX_UOP_REGS_ID + 1]"),
                    version == PyVersion::V3_15
                );
                assert_eq!(
                    text.contains("[MAX_UOP_ID + 1]"),
                    version == PyVersion::V3_14
                );
                let entry = if version == PyVersion::V3_14 {
                    "shim"
                } else {
                    "trampoline"
                };
                assert!(text.contains(&format!(
                    "static const StencilGroup {entry} = {{emit_{entry}, 12, 0, "
                )));
                assert!(text.contains("static_assert(SYMBOL_MASK_WORDS >= 2, "));
                // The entry's function comes first.
                assert!(text.find(&format!("emit_{entry}(")) < text.find("emit__ALL_VALUES("));
                if target.arch() == Arch::Aarch64 {
                    assert!(
                        text.contains("patch_aarch64_33rx(code + 0x28, (uintptr_t)data + 0x8);")
                    );
                    assert!(text.contains(
                        "patch_aarch64_33rx(code + 0x30, code + 0x34, instruction->operand1);"
                    ));
                    assert!(text.contains("patch_aarch64_trampoline(code + 0x38, 0x23, state);"));
                }
                if version == PyVersion::V3_15 && target.arch() == Arch::X86_64 {
                    assert!(text.contains(
                        "patch_x86_64_32rx(code + 0x14, got_symbol_address(0x21, state) - 4);"
                    ));
                    assert!(text.contains("    patch_got_symbol(state, 0x21);"));
                }
            }
        }
    }

    #[test]
    fn header_round_trips_sets_with_no_symbols_and_no_entry() {
        for version in PyVersion::ALL {
            let mut set = full_set(version, Target::X86_64Linux);
            set.entry = None;
            set.symbols.clear();
            for g in set.groups.values_mut() {
                g.trampoline_mask = SymbolMask::default();
                g.got_mask = SymbolMask::default();
                g.code.holes.retain(|h| h.special.is_none());
                g.data.holes.retain(|h| h.special.is_none());
            }
            let text = write(&set);
            assert!(text.contains("symbols_map[1] = {\n    0\n};"));
            assert!(!text.contains("static const StencilGroup shim"));
            assert_round_trip(&set);
        }
    }

    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n.max(1)
        }
        fn chance(&mut self, percent: u64) -> bool {
            self.below(100) < percent
        }
    }

    fn random_stencil(rng: &mut XorShift, is_code: bool) -> Stencil {
        let len = rng.below(80) as usize;
        let mut body: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if rng.chance(40) {
            body.extend(std::iter::repeat_n(0, rng.below(12) as usize));
        }
        if rng.chance(10) {
            body = vec![0; body.len()];
        }
        let nonzero = body.iter().any(|b| *b != 0);
        let mut disassembly = Vec::new();
        if !is_code || nonzero {
            for _ in 0..rng.below(4) {
                let n = rng.below(30) as usize;
                disassembly.push(
                    (0..n)
                        .map(|_| (b' ' + rng.below(95) as u8) as char)
                        .collect(),
                );
            }
        }
        Stencil {
            body,
            holes: Vec::new(),
            disassembly,
        }
    }

    fn random_set(rng: &mut XorShift) -> StencilSet {
        let version = PyVersion::ALL[rng.below(2) as usize];
        let target = Target::ALL[rng.below(4) as usize];
        let facts = jit_facts(version, target);
        let nsym = rng.below(70) as usize;
        let values: Vec<HoleValue> = HoleValue::ALL
            .into_iter()
            .filter(|v| *v != HoleValue::Got)
            .collect();
        let x86 = [
            PatchFn::P64,
            PatchFn::P32,
            PatchFn::P32r,
            PatchFn::X86_64_32rx,
        ];
        let mut arm = vec![
            PatchFn::P64,
            PatchFn::Aarch64_12,
            PatchFn::Aarch64_12x,
            PatchFn::Aarch64_16a,
            PatchFn::Aarch64_16b,
            PatchFn::Aarch64_19r,
            PatchFn::Aarch64_21r,
            PatchFn::Aarch64_21rx,
            PatchFn::Aarch64_26r,
            PatchFn::Aarch64_33rx,
        ];
        if !target.is_darwin() {
            arm.extend([PatchFn::Aarch64_16c, PatchFn::Aarch64_16d]);
        }
        let funcs: &[PatchFn] = if target.arch() == Arch::X86_64 {
            &x86
        } else {
            &arm
        };
        let new_group = |rng: &mut XorShift| {
            let mut g = StencilGroup {
                code: random_stencil(rng, true),
                data: random_stencil(rng, false),
                ..Default::default()
            };
            for (is_code, st) in [(true, &mut g.code), (false, &mut g.data)] {
                let len = st.body.len();
                if len >= 8 {
                    for _ in 0..rng.below(6) {
                        let func = funcs[rng.below(funcs.len() as u64) as usize];
                        let offset = rng.below((len - 8) as u64 + 1) as usize;
                        let special_kind = rng.below(4);
                        let h = if special_kind == 0
                            && nsym > 0
                            && is_code
                            && facts.trampolined_calls
                        {
                            let o = rng.below(nsym as u64) as u32;
                            g.trampoline_mask.insert(o);
                            let f = if target.arch() == Arch::X86_64 {
                                PatchFn::X86_64Trampoline
                            } else {
                                PatchFn::Aarch64Trampoline
                            };
                            trampoline(f, offset, o)
                        } else if special_kind == 1
                            && nsym > 0
                            && facts.trace_got
                            && func != PatchFn::P64
                        {
                            let o = rng.below(nsym as u64) as u32;
                            g.got_mask.insert(o);
                            got_slot(func, offset, o, target.arch() == Arch::X86_64)
                        } else {
                            let v = values[rng.below(values.len() as u64) as usize];
                            let symbol = rng.chance(30).then(|| format!("ext_{}", rng.below(9)));
                            let addend = match rng.below(4) {
                                0 => 0,
                                1 => -(rng.below(64) as i64),
                                2 => rng.next() as i64,
                                _ => rng.below(0x1000) as i64,
                            };
                            hole(func, offset, v, symbol.as_deref(), addend)
                        };
                        let mut h = h;
                        if h.func == PatchFn::Aarch64_33rx
                            && rng.chance(50)
                            && offset + 4 <= len - 4
                        {
                            h.offset2 = Some(offset);
                            h.offset = offset + 4;
                        }
                        st.holes.push(h);
                    }
                }
            }
            if facts.trace_got && nsym > 0 && rng.chance(30) {
                let o = rng.below(nsym as u64) as u32;
                g.got_mask.insert(o);
                g.data.holes.push(got_fill(o));
            }
            if nsym > 0 && rng.chance(20) {
                g.trampoline_mask.insert(rng.below(nsym as u64) as u32);
            }
            g.code.holes.sort_by_key(|h| h.offset);
            g.data.holes.sort_by_key(|h| h.offset);
            g
        };
        let mut groups = BTreeMap::new();
        for i in 0..rng.below(6) {
            let name = format!("_UOP_{}_r{}", rng.below(1000), i);
            groups.insert(name, new_group(rng));
        }
        let entry = rng.chance(60).then(|| new_group(rng));
        StencilSet {
            version,
            target,
            origin: StencilOrigin::Builtin,
            groups,
            entry,
            symbols: symbols(nsym),
        }
    }

    #[test]
    fn header_round_trips_random_sets() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..400 {
            let set = random_set(&mut rng);
            assert_round_trip(&set);
        }
    }

    #[test]
    fn header_large_headers_parse_quickly() {
        let mut rng = XorShift(42);
        let mut groups = BTreeMap::new();
        let nsym = 100;
        for i in 0..1700 {
            let mut code = pattern(600 + (i % 7) * 100, i as u8);
            code.extend([0; 5]);
            let holes: Vec<Hole> = (0..9)
                .map(|k| hole(PatchFn::P64, k * 64, HoleValue::Operand0, None, k as i64))
                .collect();
            let disassembly: Vec<String> = (0..60)
                .map(|k| {
                    format!(
                        "{:x}: 48 89 f8                      movq    %rdi, %rax ; {}",
                        k * 3,
                        rng.next()
                    )
                })
                .collect();
            let mut got_mask = SymbolMask::default();
            let mut data_holes = Vec::new();
            let o = (i % nsym) as u32;
            got_mask.insert(o);
            data_holes.push(got_fill(o));
            let mut code_holes = holes;
            code_holes.push(got_slot(PatchFn::X86_64_32rx, 590, o, true));
            groups.insert(
                format!("_UOP_{i:04}_r00"),
                StencilGroup {
                    code: Stencil {
                        body: code,
                        holes: code_holes,
                        disassembly,
                    },
                    data: Stencil {
                        body: pattern(64, 9),
                        holes: data_holes,
                        disassembly: vec!["0: data".into()],
                    },
                    got_mask,
                    ..Default::default()
                },
            );
        }
        let set = StencilSet {
            version: PyVersion::V3_15,
            target: Target::X86_64Linux,
            origin: StencilOrigin::Builtin,
            groups,
            entry: None,
            symbols: symbols(nsym),
        };
        let text = write(&set);
        assert!(text.len() > 10_000_000, "{} bytes", text.len());
        let back = parse(&text, &file_name(Target::X86_64Linux)).unwrap();
        assert_eq!(back.groups.len(), 1700);
        assert_eq!(normalized(back), normalized(set));
    }

    // ----- errors -----

    #[test]
    fn header_file_names_must_say_the_target() {
        for (name, part) in [
            ("stencils.h", "keep the name the build gave"),
            ("out/jit_stencils.h", "dispatcher header"),
            (
                "jit_stencils-x86_64-pc-windows-msvc.h",
                "'x86_64-pc-windows-msvc' is not one cpyviz models",
            ),
        ] {
            let e = err(X86_315, name);
            assert_eq!(e.line, 0);
            assert!(e.message.contains(part), "{e}");
            assert!(e.to_string().starts_with(&format!("{name}: ")));
        }
        assert_eq!(
            target_from_file_name("/a/b/jit_stencils-aarch64-apple-darwin.h").unwrap(),
            Target::Aarch64Darwin
        );
    }

    #[test]
    fn header_errors_name_the_line() {
        let n = X86_315_NAME;
        let (t, l) = edit(X86_315, "0x50, 0xff, 0x15,", "0x50, 0xzz, 0x15,");
        assert_err(
            &t,
            n,
            l,
            "bad byte `0xzz` in code_body of emit__BINARY_OP_ADD_INT_r23",
        );
        let (t, l) = edit(X86_315, "0x50, 0xff, 0x15,", "0x50, 0x1ff, 0x15,");
        assert_err(&t, n, l, "bad byte `0x1ff`");
        let (t, l) = edit(X86_315, "patch_64(code + 0x9,", "patch_65(code + 0x9,");
        assert_err(&t, n, l, "unknown patch function `patch_65`");
        let (t, l) = edit(
            X86_315,
            "patch_32r(code + 0x17,",
            "patch_aarch64_26r(code + 0x17,",
        );
        assert_err(
            &t,
            n,
            l,
            "`patch_aarch64_26r` is not a patch function of x86_64-unknown-linux-gnu",
        );
        let (t, l) = edit(
            X86_315,
            "instruction->operand0);",
            "instruction->operandX);",
        );
        assert_err(&t, n, l, "cannot read the value `instruction->operandX`");
        let (t, l) = edit(
            X86_315,
            "(uintptr_t)&PyLong_Type);",
            "(uintptr_t)&PyLong_Type + 0x8 + 0x8);",
        );
        assert_err(&t, n, l, "unexpected term `0x8`");
        let (t, l) = edit(
            X86_315,
            "got_symbol_address(0x0, state) - 4",
            "got_symbol_address(0x0, state) - 8",
        );
        assert_err(&t, n, l, "only `- 4`");
        let (t, l) = edit(X86_315, "patch_64(code + 0x9,", "patch_64(code + 0x9");
        assert_err(&t, n, l, "expected `patch_64(LOCATION, VALUE);`");
        let (t, l) = edit(X86_315, "patch_64(code + 0x9,", "patch_64(stack + 0x9,");
        assert_err(&t, n, l, "cannot read the location `stack + 0x9`");
        let (t, l) = edit(X86_315, "patch_64(code + 0x9,", "patch_64(code + 0x19,");
        assert_err(
            &t,
            n,
            l,
            "the hole at code + 0x19 (8 bytes) is past the end of the 27-byte code",
        );
        let (t, l) = edit(
            X86_315,
            "{emit__GUARD_TOS_INT_r11, 27,",
            "{emit__GUARD_TOS_INT_r11, 28,",
        );
        let body_line = line_of(&t, "const unsigned char code_body[27]");
        assert_err(
            &t,
            n,
            l,
            &format!("has code size 28 here, but its code_body (line {body_line}) has 27"),
        );
        let (t, l) = edit(
            X86_315,
            "got_symbol_address(0x1, state)",
            "got_symbol_address(0x5, state)",
        );
        assert_err(&t, n, l, "symbol ordinal 5 is out of range: symbols_map");
        let (t, _) = edit(
            X86_315,
            "{emit__FATAL_ERROR_r00, 17, 32, {0}, {0x02}}",
            "{emit__FATAL_ERROR_r00, 17, 32, {0}, {0x01}}",
        );
        let l = line_of(&t, "got_symbol_address(0x1, state)");
        assert_err(
            &t,
            n,
            l,
            "ordinal 1 (Py_FatalError) is not in the got_mask of `_FATAL_ERROR_r00`",
        );
        let (t, l) = edit(
            X86_315,
            "{emit__NOP_r00, 0, 0, {0}, {0}}",
            "{emit__NOP_r00, 0, 0, {0}, {0x04}}",
        );
        assert_err(&t, n, l, "have ordinal 2, but symbols_map");
        let (t, l) = edit(
            X86_315,
            "{emit__NOP_r00, 0, 0, {0}, {0}}",
            "{emit__NOP_r00, 0, 0, {0}}",
        );
        assert_err(&t, n, l, "`_NOP_r00` has 4 fields, expected {emit, code size, data size, trampoline mask, got mask}");
        let (t, l) = edit(
            X86_315,
            "{emit__NOP_r00, 0, 0, {0}, {0}}",
            "{emit__NOP_r00, 0, 0, {0}, {0, 0, 0, 0, 1}}",
        );
        assert_err(&t, n, l, "has 5 words");
        let (t, l) = edit(
            X86_315,
            "[_NOP_r00] = {emit__NOP_r00,",
            "[_NOP_r00] = {emit__SET_IP_r00,",
        );
        assert_err(&t, n, l, "the entry of `_NOP_r00` names `emit__SET_IP_r00`");
        let (t, l) = edit(
            X86_315,
            "const unsigned char code_body[20]",
            "const unsigned char code_body[3]",
        );
        assert_err(&t, n, l + 1, "has more bytes than its declared 3");
        let (t, l) = edit(
            X86_315,
            "    [1] = &Py_FatalError,",
            "    [2] = &Py_FatalError,",
        );
        let _ = l;
        assert_err(
            &t,
            n,
            line_of(&t, "symbols_map["),
            "symbols_map has no entry for ordinal 1",
        );
        let (t, l) = edit(
            X86_315,
            "    [1] = &Py_FatalError,",
            "    [1] = Py_FatalError,",
        );
        assert_err(&t, n, l, "cannot read the symbols_map entry");
        let (t, l) = edit(X86_315, "symbols_map[2]", "symbols_map[3]");
        assert_err(&t, n, l, "declared with 3 entries but has 2");
        let (t, l) = edit(X86_315, "MAX_UOP_REGS_ID + 1", "MAX_UOP_ID + 1");
        assert_err(&t, n, l, "is the 3.14 form, but the StencilGroup struct");
        let (t, l) = edit(X86_315, "MAX_UOP_REGS_ID + 1", "MAX_UOPS");
        assert_err(&t, n, l, "unknown stencil_groups bound `MAX_UOPS`");
        let (t, l) = edit(
            X86_315,
            "    size_t data_size;",
            "    size_t data_size;\n    size_t cold_code_size;",
        );
        assert_err(&t, n, l + 1, "splits hot and cold code");
        let (t, l) = edit(
            X86_315,
            "    size_t data_size;",
            "    size_t data_size;\n    int spam;",
        );
        assert_err(&t, n, l + 1, "unexpected field `int spam;`");
        let (t, l) = edit(
            X86_315,
            "    patch_64(code + 0x9,",
            "    memcpy(data, data_body, sizeof(data_body));\n    patch_64(code + 0x9,",
        );
        assert_err(&t, n, l, "no data_body before it");
        let (t, l) = edit(
            X86_315,
            "    patch_64(code + 0x9,",
            "    x = 1;\n    patch_64(code + 0x9,",
        );
        assert_err(
            &t,
            n,
            l,
            "unexpected line in emit__GUARD_TOS_INT_r11: `x = 1;`",
        );
        let (t, l) = edit(X86_315, "static_assert(", "int x;\nstatic_assert(");
        assert_err(&t, n, l, "unexpected line `int x;`");
        let (t, l) = edit(X86_315, "emit__SET_IP_r00(", "emit__SET_IP_r00 (");
        assert_err(&t, n, l, "expected `emit_NAME(` after `void`");
        let (t, l) = edit(
            X86_315,
            "    const _PyUOpInstruction *instruction, jit_state *state)",
            "    int cold)",
        );
        assert_err(&t, n, l, "unexpected parameter line `int cold)`");
        // Groups and functions that do not match.
        let (t, l) = edit(
            X86_315,
            "    [_START_EXECUTOR_r00] =",
            "    [_EXTRA_r00] = {emit__EXTRA_r00, 0, 0, {0}, {0}},\n    [_START_EXECUTOR_r00] =",
        );
        assert_err(
            &t,
            n,
            l,
            "stencil_groups names `_EXTRA_r00` but there is no emit__EXTRA_r00 function",
        );
        let (t, _) = edit(
            X86_315,
            "    [_NOP_r00] = {emit__NOP_r00, 0, 0, {0}, {0}},",
            "",
        );
        let void_line = line_of(&t, "emit__NOP_r00(") - 1;
        assert_err(
            &t,
            n,
            void_line,
            "emit__NOP_r00 has no entry in stencil_groups",
        );
        let (t, l) = edit(
            X86_315,
            "    [_SET_IP_r00] =",
            "    [_NOP_r00] = {emit__NOP_r00, 0, 0, {0}, {0}},\n    [_SET_IP_r00] =",
        );
        assert_err(&t, n, l, "stencil_groups has `_NOP_r00` twice");
        let nop = "void\nemit__NOP_r00(\n    unsigned char *code, unsigned char *data, _PyExecutorObject *executor,\n    const _PyUOpInstruction *instruction, jit_state *state)\n{\n}\n";
        let (t, l) = edit(X86_315, "static_assert(", &format!("{nop}static_assert("));
        assert_err(&t, n, l, "emit__NOP_r00 is defined twice");
    }

    #[test]
    fn header_errors_for_truncated_and_missing_parts() {
        let n = X86_315_NAME;
        let lines: Vec<&str> = X86_315.lines().collect();
        // Cut inside a function, inside a body array, inside the table, before the footer.
        for (needle, part) in [
            (
                "patch_64(code + 0x9,",
                "the file ends inside emit__GUARD_TOS_INT_r11",
            ),
            (
                "0x85, 0xc0, 0x0f,",
                "the file ends inside code_body of emit__BINARY_OP_ADD_INT_r23",
            ),
            (
                "[_LOAD_FAST_r01] =",
                "the file ends inside the stencil_groups table",
            ),
            (
                "} StencilGroup;",
                "the file ends inside the StencilGroup struct",
            ),
            (
                "    [0] = &_PyCompactLong_Add,",
                "the file ends inside symbols_map",
            ),
        ] {
            let keep = lines.iter().position(|l| l.contains(needle)).unwrap();
            let t = lines[..keep].join("\n") + "\n";
            assert_err(&t, n, keep, part);
        }
        // Cut in the middle of a line.
        let cut = X86_315.find("0x85, 0xc0").unwrap() + 3;
        let t = &X86_315[..cut];
        assert_err(t, n, t.lines().count(), "truncated header?");
        let keep = line_of(X86_315, "static_assert(") - 1;
        let t = lines[..keep].join("\n") + "\n";
        assert_err(&t, n, keep, "missing footer: no `typedef struct");
        let keep = line_of(X86_315, "static const void * const symbols_map") - 1;
        let t = lines[..keep].join("\n") + "\n";
        assert_err(&t, n, keep, "missing footer: no `symbols_map`");
        assert_err("", n, 1, "not a jit_stencils header");
        assert_err("// just a comment\n", n, 1, "not a jit_stencils header");
        assert_err("hello\n", n, 1, "unexpected line `hello`");
    }

    #[test]
    fn header_errors_for_version_marks_that_disagree() {
        let n = "jit_stencils-x86_64-unknown-linux-gnu.h";
        let (t, l) = edit(
            X86_314,
            "static const StencilGroup shim = {emit_shim,",
            "static const StencilGroup trampoline = {emit_trampoline,",
        );
        assert_err(
            &t,
            n,
            l,
            "the entry group `trampoline` is 3.15's, but the StencilGroup struct",
        );
        let (t, l) = edit(
            X86_314,
            "static const StencilGroup shim = {emit_shim,",
            "static const StencilGroup spam = {emit_spam,",
        );
        assert_err(
            &t,
            n,
            l,
            "unknown entry group `spam` (a 3.14 header's is `shim`)",
        );
        let (t, l) = edit(
            X86_314,
            "{emit_shim, 40, 0, {0}}",
            "{emit_shim, 40, 0, {0}, {0}}",
        );
        assert_err(
            &t,
            n,
            l,
            "`shim` has 5 fields, expected {emit, code size, data size, trampoline mask}",
        );
        // A trace-GOT call in a 3.14 header.
        let (t, l) = edit(
            X86_314,
            "patch_x86_64_32rx(code + 0xa, (uintptr_t)data + -0x4);",
            "patch_x86_64_32rx(code + 0xa, got_symbol_address(0x0, state) - 4);",
        );
        let t = t.replace("= {\n    0\n};", "= {\n    [0] = &_PyCompactLong_Add,\n};");
        assert_err(
            &t,
            n,
            l,
            "refers to the trace GOT, which a 3.14 header does not have",
        );
        // Accepted: CRLF line ends and a byte order mark.
        let crlf = format!("\u{feff}{}", X86_314.replace('\n', "\r\n"));
        let set = parse(&crlf, n).unwrap();
        assert_eq!(normalized(set), normalized(parse(X86_314, n).unwrap()));
    }

    #[test]
    fn header_never_panics_on_mangled_input() {
        let mut rng = XorShift(7);
        let base: Vec<&str> = ARM_315.lines().collect();
        for _ in 0..1500 {
            let mut lines: Vec<String> = base.iter().map(|l| l.to_string()).collect();
            for _ in 0..1 + rng.below(3) {
                let i = rng.below(lines.len() as u64) as usize;
                match rng.below(6) {
                    0 => {
                        lines.remove(i);
                    }
                    1 => {
                        let dup = lines[i].clone();
                        lines.insert(i, dup);
                    }
                    2 => lines.truncate(i),
                    3 => {
                        let l = &mut lines[i];
                        if !l.is_empty() {
                            let at = rng.below(l.len() as u64) as usize;
                            if l.is_char_boundary(at) {
                                l.truncate(at);
                            }
                        }
                    }
                    4 => {
                        let l = &mut lines[i];
                        let garbage = [
                            "0x",
                            "(",
                            ")",
                            ",",
                            "+",
                            "-",
                            "{",
                            "}",
                            "[",
                            "]",
                            "999999999999999999999",
                            "é",
                        ];
                        l.push_str(garbage[rng.below(garbage.len() as u64) as usize]);
                    }
                    _ => {
                        let l = &mut lines[i];
                        *l = l.replace("0x", "0x1").replace("code", "data");
                    }
                }
                if lines.is_empty() {
                    break;
                }
            }
            let text = lines.join("\n");
            if let Err(e) = parse(&text, ARM_315_NAME) {
                assert!(e.line >= 1 && e.line <= text.lines().count().max(1), "{e}");
            }
        }
    }
}

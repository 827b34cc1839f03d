//! Stage 6/7 data — the copy-and-patch JIT: stencils (the machine code CPython's build compiles
//! for each micro-op, with *holes* to patch), the per-version and per-target facts of
//! `Python/jit.c`, the memory model a region is compiled against, and the result of compiling a
//! trace: a region split per uop, every hole patched, the trampolines and the GOT.
//!
//! These are plain data: the `cpyviz-jit` crate fills them (assembling built-in stencils,
//! reading real `jit_stencils-<triple>.h` headers, copying and patching), the viewer reads them.

use crate::version::PyVersion;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::ops::Range;

/// A target CPython's JIT builds stencils for (the triples cpyviz models).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Target {
    #[serde(rename = "x86_64-unknown-linux-gnu")]
    X86_64Linux,
    #[serde(rename = "x86_64-apple-darwin")]
    X86_64Darwin,
    #[serde(rename = "aarch64-unknown-linux-gnu")]
    Aarch64Linux,
    #[serde(rename = "aarch64-apple-darwin")]
    Aarch64Darwin,
}

/// An instruction set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    Aarch64,
}

impl Target {
    pub const ALL: [Target; 4] = [
        Target::X86_64Linux,
        Target::X86_64Darwin,
        Target::Aarch64Linux,
        Target::Aarch64Darwin,
    ];

    /// The LLVM triple, as in `jit_stencils-<triple>.h`.
    pub fn triple(self) -> &'static str {
        match self {
            Target::X86_64Linux => "x86_64-unknown-linux-gnu",
            Target::X86_64Darwin => "x86_64-apple-darwin",
            Target::Aarch64Linux => "aarch64-unknown-linux-gnu",
            Target::Aarch64Darwin => "aarch64-apple-darwin",
        }
    }

    pub fn from_triple(triple: &str) -> Option<Target> {
        Target::ALL.into_iter().find(|t| t.triple() == triple)
    }

    pub fn arch(self) -> Arch {
        match self {
            Target::X86_64Linux | Target::X86_64Darwin => Arch::X86_64,
            Target::Aarch64Linux | Target::Aarch64Darwin => Arch::Aarch64,
        }
    }

    /// Mach-O (relocation names `X86_64_RELOC_*`, `ARM64_RELOC_*`) rather than ELF (`R_*`).
    pub fn is_darwin(self) -> bool {
        matches!(self, Target::X86_64Darwin | Target::Aarch64Darwin)
    }

    /// The target of a live interpreter: `platform.machine()` and `sys.platform`.
    pub fn of_platform(machine: &str, platform: &str) -> Option<Target> {
        let arm = matches!(machine, "aarch64" | "arm64" | "ARM64");
        let x86 = matches!(machine, "x86_64" | "AMD64" | "amd64");
        match (x86, arm, platform) {
            (true, _, p) if p.starts_with("linux") => Some(Target::X86_64Linux),
            (true, _, "darwin") => Some(Target::X86_64Darwin),
            (_, true, p) if p.starts_with("linux") => Some(Target::Aarch64Linux),
            (_, true, "darwin") => Some(Target::Aarch64Darwin),
            _ => None,
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.triple())
    }
}

/// What `Python/jit.c` does differently per version and target: the named facts the
/// copy-and-patch engine and the explainer read (never a version comparison in code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JitFacts {
    /// `TRAMPOLINE_SIZE`: bytes per trampoline slot (0: this target has no trampolines).
    pub trampoline_size: usize,
    /// `DATA_ALIGN`: the data part starts at a multiple of this after `code_padding`
    /// (`None`: the version has no code padding, data follows the trampolines directly).
    pub data_align: Option<usize>,
    /// The group compiled in front of every trace (`shim` in 3.14), if any.
    pub shim: Option<&'static str>,
    /// The group compiled once per process as the entry point (`trampoline` in 3.15), if any.
    pub entry_trampoline: Option<&'static str>,
    /// The trace gets one deduplicated GOT after its data (3.15, gh-142316); before, each
    /// stencil's data carried its own GOT entries.
    pub trace_got: bool,
    /// The stencil table is indexed by register-cached variants (`_…_rNM`, `MAX_UOP_REGS_ID`).
    pub register_variants: bool,
    /// A call to an external symbol through `X86_64_RELOC_BRANCH` / `R_AARCH64_CALL26` becomes
    /// `patch_x86_64_trampoline` / `patch_aarch64_trampoline` (a trampoline if out of range).
    pub trampolined_calls: bool,
    /// `±2^bits` is the reach of a direct call or branch (31 on x86-64, 27 on AArch64).
    pub branch_range_bits: u32,
    /// `SYMBOL_MASK_WORDS`.
    pub symbol_mask_words: usize,
}

/// The facts of one (version, target).
pub fn jit_facts(version: PyVersion, target: Target) -> JitFacts {
    let p = version.profile();
    let arm = target.arch() == Arch::Aarch64;
    let tramp = arm || (p.jit_x86_darwin_trampolines && target == Target::X86_64Darwin);
    JitFacts {
        trampoline_size: if tramp { 16 } else { 0 },
        data_align: p.jit_code_padding.then_some(if tramp { 8 } else { 1 }),
        shim: p.jit_shim_group,
        entry_trampoline: p.jit_entry_trampoline_group,
        trace_got: p.jit_trace_got,
        register_variants: p.jit_register_variants,
        trampolined_calls: tramp,
        branch_range_bits: if arm { 27 } else { 31 },
        symbol_mask_words: 4,
    }
}

/// `SYMBOL_MASK_WORDS` 32-bit words, bit `ordinal % 32` of word `ordinal / 32` per symbol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SymbolMask(pub [u32; 4]);

impl SymbolMask {
    pub fn contains(&self, ordinal: u32) -> bool {
        (ordinal as usize) < 128 && self.0[ordinal as usize / 32] & (1 << (ordinal % 32)) != 0
    }
    pub fn insert(&mut self, ordinal: u32) {
        self.0[ordinal as usize / 32] |= 1 << (ordinal % 32);
    }
    pub fn union(&mut self, other: &SymbolMask) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
    }
    pub fn count(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }
    /// The set ordinals, ascending.
    pub fn ordinals(&self) -> impl Iterator<Item = u32> + '_ {
        (0..128u32).filter(|&o| self.contains(o))
    }
}

/// The base value a hole is patched with (`HoleValue` in CPython's `Tools/jit/_stencils.py`),
/// before the symbol's address and the addend are added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HoleValue {
    /// The address of this uop's code (`(uintptr_t)code`).
    Code,
    /// 3.14: the end of this uop's code, where the next uop starts.
    Continue,
    /// The address of this uop's data (`(uintptr_t)data`).
    Data,
    /// 3.14: the executor object (`(uintptr_t)executor`).
    Executor,
    /// A GOT entry (only in stencils before relocation processing).
    Got,
    Oparg,
    Operand0,
    Operand0Hi,
    Operand0Lo,
    Operand1,
    Operand1Hi,
    Operand1Lo,
    /// `instruction->target`.
    Target,
    /// `state->instruction_starts[instruction->jump_target]`.
    JumpTarget,
    /// `state->instruction_starts[instruction->error_target]`.
    ErrorTarget,
    /// Zero: the value is the symbol's address (plus the addend) alone.
    Zero,
}

impl HoleValue {
    pub const ALL: [HoleValue; 16] = [
        HoleValue::Code,
        HoleValue::Continue,
        HoleValue::Data,
        HoleValue::Executor,
        HoleValue::Got,
        HoleValue::Oparg,
        HoleValue::Operand0,
        HoleValue::Operand0Hi,
        HoleValue::Operand0Lo,
        HoleValue::Operand1,
        HoleValue::Operand1Hi,
        HoleValue::Operand1Lo,
        HoleValue::Target,
        HoleValue::JumpTarget,
        HoleValue::ErrorTarget,
        HoleValue::Zero,
    ];

    /// CPython's name (`OPARG`, `JUMP_TARGET`, …).
    pub fn name(self) -> &'static str {
        match self {
            HoleValue::Code => "CODE",
            HoleValue::Continue => "CONTINUE",
            HoleValue::Data => "DATA",
            HoleValue::Executor => "EXECUTOR",
            HoleValue::Got => "GOT",
            HoleValue::Oparg => "OPARG",
            HoleValue::Operand0 => "OPERAND0",
            HoleValue::Operand0Hi => "OPERAND0_HI",
            HoleValue::Operand0Lo => "OPERAND0_LO",
            HoleValue::Operand1 => "OPERAND1",
            HoleValue::Operand1Hi => "OPERAND1_HI",
            HoleValue::Operand1Lo => "OPERAND1_LO",
            HoleValue::Target => "TARGET",
            HoleValue::JumpTarget => "JUMP_TARGET",
            HoleValue::ErrorTarget => "ERROR_TARGET",
            HoleValue::Zero => "ZERO",
        }
    }

    pub fn from_name(name: &str) -> Option<HoleValue> {
        HoleValue::ALL.into_iter().find(|v| v.name() == name)
    }
}

/// The patch function `jit.c` applies to a hole (`patch_64`, `patch_x86_64_32rx`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PatchFn {
    P32,
    P32r,
    P64,
    X86_64_32rx,
    Aarch64_12,
    Aarch64_12x,
    Aarch64_16a,
    Aarch64_16b,
    Aarch64_16c,
    Aarch64_16d,
    Aarch64_19r,
    Aarch64_21r,
    Aarch64_21rx,
    Aarch64_26r,
    Aarch64_33rx,
    /// `patch_x86_64_trampoline(location, ordinal, state)` (3.15).
    X86_64Trampoline,
    /// `patch_aarch64_trampoline(location, ordinal, state)`.
    Aarch64Trampoline,
    /// `patch_got_symbol(state, ordinal)`: fills the trace's GOT slot of a symbol (3.15).
    GotSymbol,
}

impl PatchFn {
    pub const ALL: [PatchFn; 18] = [
        PatchFn::P32,
        PatchFn::P32r,
        PatchFn::P64,
        PatchFn::X86_64_32rx,
        PatchFn::Aarch64_12,
        PatchFn::Aarch64_12x,
        PatchFn::Aarch64_16a,
        PatchFn::Aarch64_16b,
        PatchFn::Aarch64_16c,
        PatchFn::Aarch64_16d,
        PatchFn::Aarch64_19r,
        PatchFn::Aarch64_21r,
        PatchFn::Aarch64_21rx,
        PatchFn::Aarch64_26r,
        PatchFn::Aarch64_33rx,
        PatchFn::X86_64Trampoline,
        PatchFn::Aarch64Trampoline,
        PatchFn::GotSymbol,
    ];

    /// The C function's name.
    pub fn name(self) -> &'static str {
        match self {
            PatchFn::P32 => "patch_32",
            PatchFn::P32r => "patch_32r",
            PatchFn::P64 => "patch_64",
            PatchFn::X86_64_32rx => "patch_x86_64_32rx",
            PatchFn::Aarch64_12 => "patch_aarch64_12",
            PatchFn::Aarch64_12x => "patch_aarch64_12x",
            PatchFn::Aarch64_16a => "patch_aarch64_16a",
            PatchFn::Aarch64_16b => "patch_aarch64_16b",
            PatchFn::Aarch64_16c => "patch_aarch64_16c",
            PatchFn::Aarch64_16d => "patch_aarch64_16d",
            PatchFn::Aarch64_19r => "patch_aarch64_19r",
            PatchFn::Aarch64_21r => "patch_aarch64_21r",
            PatchFn::Aarch64_21rx => "patch_aarch64_21rx",
            PatchFn::Aarch64_26r => "patch_aarch64_26r",
            PatchFn::Aarch64_33rx => "patch_aarch64_33rx",
            PatchFn::X86_64Trampoline => "patch_x86_64_trampoline",
            PatchFn::Aarch64Trampoline => "patch_aarch64_trampoline",
            PatchFn::GotSymbol => "patch_got_symbol",
        }
    }

    pub fn from_name(name: &str) -> Option<PatchFn> {
        PatchFn::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The patch function CPython's build maps a relocation kind to (`_PATCH_FUNCS`).
    pub fn for_relocation(kind: &str) -> Option<PatchFn> {
        Some(match kind {
            "R_X86_64_64"
            | "X86_64_RELOC_UNSIGNED"
            | "R_AARCH64_ABS64"
            | "ARM64_RELOC_UNSIGNED" => PatchFn::P64,
            "R_X86_64_PLT32" | "X86_64_RELOC_BRANCH" | "X86_64_RELOC_SIGNED" => PatchFn::P32r,
            "R_X86_64_GOTPCRELX"
            | "R_X86_64_REX_GOTPCRELX"
            | "X86_64_RELOC_GOT"
            | "X86_64_RELOC_GOT_LOAD" => PatchFn::X86_64_32rx,
            "R_AARCH64_CALL26" | "R_AARCH64_JUMP26" | "ARM64_RELOC_BRANCH26" => {
                PatchFn::Aarch64_26r
            }
            "R_AARCH64_CONDBR19" | "CUSTOM_AARCH64_BRANCH19" => PatchFn::Aarch64_19r,
            "R_AARCH64_ADR_GOT_PAGE" | "ARM64_RELOC_GOT_LOAD_PAGE21" => PatchFn::Aarch64_21rx,
            "R_AARCH64_LD64_GOT_LO12_NC" | "ARM64_RELOC_GOT_LOAD_PAGEOFF12" => PatchFn::Aarch64_12x,
            "R_AARCH64_ADR_PREL_PG_HI21" | "ARM64_RELOC_PAGE21" => PatchFn::Aarch64_21r,
            "R_AARCH64_ADD_ABS_LO12_NC" | "ARM64_RELOC_PAGEOFF12" => PatchFn::Aarch64_12,
            "R_AARCH64_MOVW_UABS_G0_NC" | "CUSTOM_AARCH64_CONST16a" => PatchFn::Aarch64_16a,
            "R_AARCH64_MOVW_UABS_G1_NC" | "CUSTOM_AARCH64_CONST16b" => PatchFn::Aarch64_16b,
            "R_AARCH64_MOVW_UABS_G2_NC" => PatchFn::Aarch64_16c,
            "R_AARCH64_MOVW_UABS_G3" => PatchFn::Aarch64_16d,
            _ => return None,
        })
    }
}

/// What a hole's value is made of beyond `value + &symbol + addend`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HoleSpecial {
    /// `patch_*_trampoline(location, ordinal, state)`: a call to `symbols_map[ordinal]`,
    /// through a trampoline slot when out of range.
    Trampoline { ordinal: u32 },
    /// `got_symbol_address(ordinal, state)` (minus 4 on x86-64): the trace GOT's slot of
    /// `symbols_map[ordinal]` (3.15).
    GotSlot { ordinal: u32, minus4: bool },
    /// `patch_got_symbol(state, ordinal)`: writes `symbols_map[ordinal]` into its GOT slot.
    GotFill { ordinal: u32 },
}

/// One hole of a stencil: where it is, how it is patched and with what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hole {
    /// Offset in the stencil's body.
    pub offset: usize,
    /// The relocation kind as CPython names it (`R_X86_64_64`, `X86_64_RELOC_BRANCH`,
    /// `R_AARCH64_CALL26`, …). Imported headers do not name it: then it is the kind the patch
    /// function implies for the target (see [`Hole::kind_inferred`]).
    pub kind: String,
    /// `kind` was inferred from the patch function, not read.
    #[serde(default)]
    pub kind_inferred: bool,
    pub func: PatchFn,
    pub value: HoleValue,
    /// An external symbol whose address is added (`PyLong_Type`, `_PyLong_Add`).
    pub symbol: Option<String>,
    pub addend: i64,
    pub special: Option<HoleSpecial>,
    /// `patch_aarch64_33rx`: the offset of the first instruction of the pair (the `adrp`).
    pub offset2: Option<usize>,
}

/// A block of machine code or data to copy and patch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stencil {
    /// The body, its full length (the header strips trailing zeros; they are restored).
    pub body: Vec<u8>,
    /// Sorted by offset.
    pub holes: Vec<Hole>,
    /// The disassembly comments CPython's build writes (empty for built-in stencils, which are
    /// disassembled when shown).
    pub disassembly: Vec<String>,
}

/// The code and data of one uop (or of the shim / entry trampoline / `_FATAL_ERROR`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StencilGroup {
    pub code: Stencil,
    pub data: Stencil,
    pub trampoline_mask: SymbolMask,
    /// 3.15: the trace-GOT entries this group needs.
    pub got_mask: SymbolMask,
    /// For built-in stencils: how this stencil was written (`careful` shape name, or
    /// `generic helper call`), shown next to it. Empty for imported stencils.
    #[serde(default)]
    pub shape: String,
}

/// Where a stencil set comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StencilOrigin {
    /// Assembled by cpyviz from its own sources: a model of CPython's stencils.
    Builtin,
    /// Read from a `jit_stencils-<triple>.h` that a CPython JIT build left behind.
    Imported {
        /// Where the header was imported from.
        path: String,
        /// SHA-256 of the header, hex.
        sha256: String,
    },
}

/// Every stencil of one CPython version and target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StencilSet {
    pub version: PyVersion,
    pub target: Target,
    pub origin: StencilOrigin,
    /// By uop name (3.15: the register-cached variant's name, `_BINARY_OP_ADD_INT_r23`).
    pub groups: BTreeMap<String, StencilGroup>,
    /// `shim` (3.14) or `trampoline` (3.15), when the set has it.
    pub entry: Option<StencilGroup>,
    /// `symbols_map`: the external symbols trampolines and GOT slots refer to, by ordinal.
    pub symbols: Vec<String>,
}

impl StencilSet {
    /// "model" or "imported from PATH", for labels.
    pub fn label(&self) -> String {
        match &self.origin {
            StencilOrigin::Builtin => format!(
                "cpyviz's built-in stencils (a model, not CPython's) for {} {}",
                self.version.label(),
                self.target
            ),
            StencilOrigin::Imported { path, sha256 } => format!(
                "CPython's real stencils for {} {} imported from {path} (sha256 {})",
                self.version.label(),
                self.target,
                &sha256[..sha256.len().min(12)]
            ),
        }
    }

    pub fn is_model(&self) -> bool {
        self.origin == StencilOrigin::Builtin
    }
}

/// Where things are in the process a region is compiled for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryModel {
    /// What this model is (`recorded from the live process`, a preset's description).
    pub name: String,
    /// The region's address (page aligned).
    pub region: u64,
    pub page_size: u64,
    /// The executor object's address (3.14's EXECUTOR holes).
    pub executor: u64,
    /// Each external symbol's address. A symbol missing here lies at `default_symbols +
    /// 0x40 * its ordinal`.
    pub symbols: BTreeMap<String, u64>,
    pub default_symbols: u64,
    /// The addresses came from a real process (not a model).
    pub recorded: bool,
}

impl MemoryModel {
    pub fn symbol_address(&self, name: &str, ordinal: Option<u32>) -> u64 {
        if let Some(a) = self.symbols.get(name) {
            return *a;
        }
        let n = ordinal.map_or_else(|| name_hash(name) & 0xfff, u64::from);
        self.default_symbols + 0x40 * n
    }
}

fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// Where each part of a region is (offsets from its start).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// 3.14: the shim, in front of the uops.
    pub shim: Range<usize>,
    /// The uops' code and `_FATAL_ERROR`'s.
    pub code: Range<usize>,
    pub trampolines: Range<usize>,
    /// 3.15: zero bytes up to `DATA_ALIGN` (always at least one).
    pub code_padding: Range<usize>,
    /// The uops' data.
    pub data: Range<usize>,
    /// 3.15: the trace GOT, 8 bytes per symbol.
    pub got: Range<usize>,
    /// Zero bytes to the end of the last page (always at least one).
    pub padding: Range<usize>,
    pub page_size: u64,
}

/// Where a patched value leads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Destination {
    /// The start of uop `index` of the trace (a jump, an exit or an error stub).
    Uop(usize),
    /// Inside uop `index`'s code, `offset` bytes in.
    InUop { index: usize, offset: usize },
    /// Uop `index`'s data, `offset` bytes in.
    UopData { index: usize, offset: usize },
    /// A trampoline slot (index into [`Region::trampolines`]).
    Trampoline(usize),
    /// A trace GOT slot (index into [`Region::got`]).
    Got(usize),
    /// An external symbol, plus an offset.
    Symbol { name: String, offset: i64 },
    /// The executor object.
    Executor,
    /// A value that is not an address (an oparg, an operand, a target).
    Value,
    /// Somewhere else in the region (the shim, `_FATAL_ERROR`, padding) or outside.
    Other,
}

/// How a patch reached its destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Via {
    /// The value was written as is (absolute, or relative in range).
    Direct,
    /// A relaxing patch rewrote the instruction (GOT load → `lea`/direct call, `adrp+ldr` →
    /// `movz`/`movk`/literal `ldr`).
    Relaxed,
    /// Out of direct range: the call goes through a trampoline.
    Trampoline,
    /// In range: the trampoline-capable call was patched directly.
    InRange,
}

/// One hole as the engine patched it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchedHole {
    pub hole: Hole,
    /// `code` or `data`.
    pub in_data: bool,
    /// Offset of the patched location in the region.
    pub at: usize,
    /// The value handed to the patch function (`value + symbol + addend`).
    pub value: u64,
    /// The C expression of that value, as CPython's header writes it.
    pub expr: String,
    /// The bytes the patch changed (the instruction or word), before and after, and where
    /// they start in the region.
    pub span: Range<usize>,
    pub before: Vec<u8>,
    pub after: Vec<u8>,
    pub destination: Destination,
    pub via: Via,
    /// One line: which hole, which value, which symbol, and why it went this way.
    pub note: String,
}

/// One uop's (or the shim's / `_FATAL_ERROR`'s) piece of a region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacedGroup {
    /// Index in the trace, `None` for the shim and `_FATAL_ERROR`.
    pub index: Option<usize>,
    /// The uop as the trace names it (`_BINARY_OP_ADD_INT`).
    pub uop: String,
    /// The stencil used (3.15: the register-cached variant, `_BINARY_OP_ADD_INT_r23`).
    pub stencil: String,
    /// Built-in stencils: how the stencil was written.
    pub shape: String,
    pub code: Range<usize>,
    pub data: Range<usize>,
    /// The stencil's bytes before patching (code then data).
    pub code_stencil: Vec<u8>,
    pub data_stencil: Vec<u8>,
    pub holes: Vec<PatchedHole>,
}

/// One trampoline slot (`get_trampoline_slot`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrampolineSlot {
    pub ordinal: u32,
    pub symbol: String,
    /// Slot index: the set bits of the mask below the symbol's.
    pub index: usize,
    pub address: u64,
    /// The symbol's address the slot jumps to.
    pub target: u64,
    /// Whether any call site actually went through it (a slot is reserved for every symbol
    /// in the mask, but only out-of-range calls write it).
    pub used: bool,
}

/// One trace-GOT slot (3.15).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GotSlot {
    pub ordinal: u32,
    pub symbol: String,
    pub address: u64,
    pub value: u64,
}

/// The result of copy-and-patch for one trace.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub version: PyVersion,
    pub target: Target,
    pub base: u64,
    pub bytes: Vec<u8>,
    pub layout: Layout,
    pub shim: Option<PlacedGroup>,
    /// One per trace uop, in order.
    pub uops: Vec<PlacedGroup>,
    pub fatal_error: PlacedGroup,
    /// The union of the groups' trampoline masks.
    pub trampoline_mask: SymbolMask,
    pub trampolines: Vec<TrampolineSlot>,
    pub got_mask: SymbolMask,
    pub got: Vec<GotSlot>,
    /// `symbols_map` of the stencil set (ordinal → name).
    pub symbols: Vec<String>,
    /// The stencil set's label, and whether it is a model.
    pub stencils: String,
    pub stencils_are_model: bool,
    pub memory: MemoryModel,
}

/// A byte count in B / KiB / MiB / GiB (`40.0 GiB`).
pub fn human_bytes(n: u128) -> String {
    const K: u128 = 1024;
    let f = n as f64;
    if n >= K * K * K {
        format!("{:.1} GiB", f / (K * K * K) as f64)
    } else if n >= K * K {
        format!("{:.1} MiB", f / (K * K) as f64)
    } else if n >= K {
        format!("{:.1} KiB", f / K as f64)
    } else {
        format!("{n} B")
    }
}

/// The direct reach of a target's calls in words: `±128.0 MiB (±2^27)`.
pub fn reach_text(bits: u32) -> String {
    format!("±{} (±2^{bits})", human_bytes(1u128 << bits))
}

/// Bytes as spaced hex (`e8 00 00 00 00`), `-` for none.
pub fn hex_spaced(b: &[u8]) -> String {
    if b.is_empty() {
        return "-".into();
    }
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

impl Region {
    /// Why this region has no trampolines in use: the target has none (`TRAMPOLINE_SIZE` 0),
    /// no stencil calls an external symbol directly, or every call is in reach. The one wording
    /// of the dumps and the viewer; each adds how to see trampolines in its own terms.
    pub fn no_trampolines_reason(&self) -> String {
        let facts = jit_facts(self.version, self.target);
        if facts.trampoline_size == 0 {
            return format!(
                "TRAMPOLINE_SIZE is 0 for CPython {} on {}: calls to external symbols go through the {}, and an indirect call reaches any address.",
                self.version.label(),
                self.target,
                if facts.trace_got {
                    "trace GOT"
                } else {
                    "GOT words in each stencil's data"
                }
            );
        }
        if self.trampoline_mask.is_empty() {
            return "no stencil of this trace calls an external symbol directly, so the trampoline mask is empty.".into();
        }
        format!(
            "every call reaches its symbol directly: all are within {} of their call site in this memory model.",
            reach_text(facts.branch_range_bits)
        )
    }

    /// Where a destination is, in words (`uop 22 _EXIT_TRACE`, `trampoline slot 1 →
    /// _PyLong_Add`, …): the one wording of the dumps and the viewer.
    pub fn describe(&self, d: &Destination) -> String {
        let uop = |i: usize| self.uops.get(i).map_or("?", |u| u.uop.as_str());
        match d {
            Destination::Uop(i) => format!("uop {i} {}", uop(*i)),
            Destination::InUop { index, offset } => {
                format!("uop {index} {} +{offset:#x}", uop(*index))
            }
            Destination::UopData { index, offset } => {
                format!("the data of uop {index} {} +{offset:#x}", uop(*index))
            }
            Destination::Trampoline(i) => match self.trampolines.get(*i) {
                Some(t) => format!("trampoline slot {} → {}", t.index, t.symbol),
                None => format!("trampoline slot {i}"),
            },
            Destination::Got(i) => match self.got.get(*i) {
                Some(g) => format!("GOT slot {i} → {}", g.symbol),
                None => format!("GOT slot {i}"),
            },
            Destination::Symbol { name, offset: 0 } => name.clone(),
            Destination::Symbol { name, offset } => format!("{name}{offset:+#x}"),
            Destination::Executor => "the executor object".into(),
            Destination::Value => "a value, not an address".into(),
            Destination::Other => "elsewhere in the region".into(),
        }
    }
}

/// One step of finding a trampoline slot, for the explainer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotSteps {
    /// The whole trampoline mask the slot is found in.
    #[serde(default)]
    pub mask: SymbolMask,
    pub ordinal: u32,
    /// `ordinal / 32`.
    pub word: usize,
    /// `ordinal % 32`.
    pub bit: u32,
    /// `1 << bit`.
    pub symbol_mask: u32,
    /// `mask[word]`.
    pub mask_word: u32,
    /// The symbol's bit is set (else there is no slot).
    pub present: bool,
    /// `mask[word] & (symbol_mask - 1)`.
    pub below: u32,
    /// `popcount(below)`.
    pub below_count: u32,
    /// `popcount(mask[i])` for each earlier word.
    pub earlier_counts: Vec<u32>,
    /// The slot index: `below_count + sum(earlier_counts)`.
    pub index: usize,
    /// `mem + index * TRAMPOLINE_SIZE`.
    pub address: u64,
    pub mem: u64,
    pub slot_size: usize,
}

/// The result of checking a compiled model region against the region a real CPython made.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveCheck {
    /// One line per prediction: what was predicted, what was found, and whether they agree.
    pub findings: Vec<Finding>,
    /// When the stencils are those of the running CPython: bytes that match, of all bytes.
    pub byte_match: Option<(usize, usize)>,
    /// Per uop: (trace index, bytes matching, bytes) under the same condition.
    pub per_uop: Vec<(usize, usize, usize)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub what: String,
    pub predicted: String,
    pub found: String,
    pub agrees: bool,
    /// Region offset the finding is about, when it is about bytes.
    pub at: Option<usize>,
}

// ----- the stage as the viewer reads it -----------------------------------------------------

/// Which stencils to compile with.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StencilChoice {
    /// cpyviz's own (a model).
    Builtin,
    /// The most recently imported set for the version and target (`cpyviz stencils import`).
    Imported,
    /// A `jit_stencils-<triple>.h` given by path.
    Path(String),
}

/// Which memory model to compile against.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MemoryChoice {
    /// The recorded process's addresses (region, symbols, executor), where recorded; else the
    /// first preset.
    Recorded,
    /// A preset by name (`near`, `far`).
    Preset(String),
}

/// The options of the JIT stages.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct JitOptions {
    pub stencils: StencilChoice,
    pub memory: MemoryChoice,
    /// `None`: the recorded interpreter's target, else x86-64 Linux.
    pub target: Option<Target>,
}

impl Default for JitOptions {
    fn default() -> Self {
        JitOptions {
            stencils: StencilChoice::Builtin,
            memory: MemoryChoice::Recorded,
            target: None,
        }
    }
}

/// One disassembled instruction (or data word) of a region, as text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AsmText {
    /// Offset in the region.
    pub offset: usize,
    pub len: usize,
    pub hex: String,
    pub text: String,
    /// Indices into the group's `holes` that touch these bytes.
    pub holes: Vec<usize>,
    /// Where a branch, call or rip-relative operand leads.
    pub destination: Option<Destination>,
}

/// One placed group's code, disassembled before and after patching.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupAsm {
    pub before: Vec<AsmText>,
    pub after: Vec<AsmText>,
}

/// The JIT stages of one executor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutorJit {
    pub qualname: String,
    pub offset: u32,
    /// Where the trace's variants and second operands came from (`recorded` / `modelled`).
    pub trace_source: String,
    /// The compiled model region, or why there is none.
    pub region: Result<Region, String>,
    /// Per placed group, in `Region::shim, uops…, fatal_error` order.
    pub asm: Vec<GroupAsm>,
    /// The trampoline slots, disassembled.
    pub trampoline_asm: Vec<AsmText>,
    /// `get_trampoline_slot` for each symbol of the trampoline mask.
    pub slot_steps: Vec<SlotSteps>,
    /// The model checked against the real region, when one was recorded.
    pub check: Option<LiveCheck>,
}

/// The JIT stages of a capture, for one set of options.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JitView {
    pub options: JitOptions,
    pub version: PyVersion,
    pub target: Target,
    /// The stencil set's label (says "model" for built-in stencils).
    pub stencils: String,
    pub stencils_are_model: bool,
    /// The memory model's name.
    pub memory: String,
    /// The memory presets the user can switch to.
    pub memory_choices: Vec<String>,
    /// Why there is nothing to show (no executors, the JIT off, no stencils), in the words a
    /// user needs (what to turn on, what to install).
    pub note: Option<String>,
    pub executors: Vec<ExecutorJit>,
    /// The explainer's worked example: symbols 3, 7, 15, 37 and 42 need trampolines; where
    /// does symbol 37's go? (slot index 3).
    pub example: SlotSteps,
}

/// Computes the JIT stages of a capture (the engine's part; the viewer only asks).
pub trait JitBuilder: Send + Sync {
    fn build(&self, capture: &crate::capture::Capture, options: &JitOptions) -> JitView;
}

/// The computed views of a [`JitCell`], by options.
type JitCache = std::sync::Arc<std::sync::Mutex<Vec<(JitOptions, std::sync::Arc<JitView>)>>>;

/// A capture's JIT stages: computed by its engine's [`JitBuilder`] when first asked for, once
/// per set of options. A clone shares the builder but not the computed views (a cloned capture
/// may be changed, and its views must follow).
#[derive(Default)]
pub struct JitCell {
    builder: Option<std::sync::Arc<dyn JitBuilder>>,
    cache: JitCache,
}

impl JitCell {
    pub fn new(builder: std::sync::Arc<dyn JitBuilder>) -> JitCell {
        JitCell {
            builder: Some(builder),
            cache: Default::default(),
        }
    }

    pub fn has_builder(&self) -> bool {
        self.builder.is_some()
    }

    /// The stages for `options`, computing them if needed (`None`: the engine builds none).
    pub fn get(
        &self,
        capture: &crate::capture::Capture,
        options: &JitOptions,
    ) -> Option<std::sync::Arc<JitView>> {
        let builder = self.builder.as_ref()?;
        if let Some(hit) = self.peek(options) {
            return Some(hit);
        }
        let view = std::sync::Arc::new(builder.build(capture, options));
        if let Ok(mut cache) = self.cache.lock() {
            cache.push((options.clone(), view.clone()));
        }
        Some(view)
    }

    /// The stages for `options` if already computed.
    pub fn peek(&self, options: &JitOptions) -> Option<std::sync::Arc<JitView>> {
        let cache = self.cache.lock().ok()?;
        cache
            .iter()
            .find(|(o, _)| o == options)
            .map(|(_, v)| v.clone())
    }
}

impl Clone for JitCell {
    fn clone(&self) -> JitCell {
        JitCell {
            builder: self.builder.clone(),
            cache: Default::default(),
        }
    }
}

impl std::fmt::Debug for JitCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.builder.is_some() {
            "JitCell(engine)"
        } else {
            "JitCell(none)"
        })
    }
}

impl PartialEq for JitCell {
    /// A computed cache is not part of a capture's value.
    fn eq(&self, _: &JitCell) -> bool {
        true
    }
}

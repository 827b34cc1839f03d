//! cpyviz's built-in stencils: a model of the stencils CPython's JIT build makes, assembled
//! here from our own sources — iced-x86's code assembler for x86-64, dynasm for AArch64 — for
//! the four targets and both versions. No machine code is typed in as bytes.
//!
//! [`stencils`] gives the set of a (version, target), built on first use (a few milliseconds in
//! a release build) and kept for the process.
//!
//! What they are shaped like (the facts of CPython's `Tools/jit` and `Python/jit.c`):
//! - The calling convention of jitted code: frame, stack pointer, tstate (and in 3.15 the
//!   executor) live in the same callee-saved registers in every stencil (x86-64 3.15: r12 =
//!   executor, r13 = frame, r14 = stack pointer, r15 = tstate; 3.14: r12 = frame, r13 = stack
//!   pointer, r14 = tstate; AArch64 from x20 on); 3.15's cached stack items are in rdi/rsi/rdx
//!   (x0/x1/x2): a `_rNM` variant takes N of them and leaves M, and its spills and reloads are
//!   worked out from those numbers (see `ir.rs`).
//! - Guards compare and branch to the uop's exit stub (`JUMP_TARGET`), errors to
//!   `ERROR_TARGET`; the next uop follows the stencil's end (a 3.14 `CONTINUE` jump at the end
//!   is zero-length and removed; one from the middle stays a hole; 3.15 has only a label).
//! - Runtime functions are called through holes: x86-64 Linux `call [rip + X]` through the
//!   trace GOT (3.15, `got_mask`) or the stencil's own GOT words in its data (3.14);
//!   x86_64-apple-darwin 3.15 `call rel32` via `patch_x86_64_trampoline`; AArch64 `bl` via
//!   `patch_aarch64_trampoline` (`trampoline_mask`). Data symbols: x86-64 3.15 `mov r64, imm64`,
//!   3.14 a GOT load; AArch64 an `adrp`/`ldr` GOT pair (3.15: two holes on the trace GOT slot;
//!   3.14: one folded `patch_aarch64_33rx` on the stencil's GOT word). Opargs and operands are
//!   64-bit immediates (`mov r64, imm64`; `movz` + 3 × `movk`).
//! - Ordinals (`symbols_map`) are assigned in order of first use, the entry group first and
//!   then the groups sorted by name, as CPython's build does; only trampolines and GOT slots
//!   take one. The model helpers of generic stencils are called through an absolute address
//!   (a 64-bit immediate hole with the symbol), so they take none: 128 ordinals
//!   (`SYMBOL_MASK_WORDS = 4`) would not be enough for one per uop.
//!
//! Careful shapes (real semantics after CPython's `bytecodes.c`, offsets from the version's
//! internal headers) exist for the uops a simple loop runs: `_START_EXECUTOR`, `_MAKE_WARM`,
//! `_SET_IP`, `_CHECK_VALIDITY`, `_CHECK_PERIODIC`, `_LOAD_FAST(_BORROW)(_n)`,
//! `_LOAD_CONST_INLINE_BORROW`, `_STORE_FAST(_n)`, `_POP_TOP(_NOP/_INT)`, the int guards and
//! arithmetic (including the 3.15 `_INPLACE` forms, as a model), `_COMPARE_OP_INT`, the bool
//! guards, the range iterator uops, `_JUMP_TO_TOP`, `_EXIT_TRACE`, `_DEOPT`, `_ERROR_POP_N`,
//! `_DYNAMIC_EXIT`, `_SPILL_OR_RELOAD` and `_FATAL_ERROR`; every other uop gets the generic
//! shape that calls `cpyviz_uop_<NAME>` (see [`helper_symbol`]). Each group's `shape` says
//! which.

mod aarch64;
mod ir;
mod shapes;
mod x86_64;

use cpyviz_model::jit::{
    Arch, Hole, HoleSpecial, HoleValue, PatchFn, Stencil, StencilGroup, StencilOrigin, StencilSet,
    SymbolMask, Target,
};
use cpyviz_model::version::PyVersion;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::OnceLock;

/// The built-in stencil set of `version` for `target`.
///
/// # Panics
/// If the built-in stencils cannot be assembled, which is a bug in cpyviz (every set is built
/// by the tests); use [`try_stencils`] to get the message instead.
pub fn stencils(version: PyVersion, target: Target) -> &'static StencilSet {
    match try_stencils(version, target) {
        Ok(set) => set,
        Err(e) => panic!("cpyviz's built-in stencils for {version} {target} do not assemble: {e}"),
    }
}

/// [`stencils`], or why the set could not be assembled.
pub fn try_stencils(version: PyVersion, target: Target) -> Result<&'static StencilSet, String> {
    static SETS: [[OnceLock<Result<StencilSet, String>>; 4]; 2] =
        [const { [const { OnceLock::new() }; 4] }; 2];
    let t = Target::ALL.iter().position(|&x| x == target).unwrap_or(0);
    SETS[version.index()][t]
        .get_or_init(|| build(version, target))
        .as_ref()
        .map_err(Clone::clone)
}

/// The model helper a generic stencil of `uop` (a base uop name) calls: `cpyviz_uop__LOAD_ATTR`.
pub fn helper_symbol(uop: &str) -> String {
    shapes::helper_name(uop)
}

/// Whether `symbol` is one of the model helpers (not a CPython symbol).
pub fn is_model_helper(symbol: &str) -> bool {
    symbol.starts_with("cpyviz_uop_")
}

/// Assembles the set (uncached).
pub fn build(version: PyVersion, target: Target) -> Result<StencilSet, String> {
    let ctx = ir::Ctx::new(version, target);
    let tables = version.profile().tables;
    let uses = shapes::OperandUse::of(tables);
    let mut syms = Symbols::default();
    let entry = shapes::entry(&ctx);
    let entry = assemble(&ctx, entry, &mut syms).map_err(|e| format!("entry: {e}"))?;
    let mut groups = BTreeMap::new();
    for spec in group_specs(version)? {
        let written = shapes::write(&ctx, &spec, &uses)?;
        let group =
            assemble(&ctx, written, &mut syms).map_err(|e| format!("{}: {e}", spec.group))?;
        groups.insert(spec.group, group);
    }
    Ok(StencilSet {
        version,
        target,
        origin: StencilOrigin::Builtin,
        groups,
        entry: Some(entry),
        symbols: syms.names,
    })
}

/// The groups a trace of `version` can use, sorted by name: 3.14 every uop of the name table;
/// 3.15 every register variant and every named uop without variants; `_FATAL_ERROR` in both.
fn group_specs(version: PyVersion) -> Result<Vec<shapes::Spec>, String> {
    let t = version.profile().tables;
    let mut specs: BTreeMap<String, shapes::Spec> = BTreeMap::new();
    let plain = |u: &'static cpyviz_model::tables::UopInfo| shapes::Spec {
        group: u.name.to_string(),
        base: u,
        n: 0,
        m: 0,
        e: 0,
    };
    if version.profile().jit_register_variants {
        let with_variants: HashSet<u16> = t.uops.iter().filter_map(|u| u.uncached).collect();
        for u in t.uops {
            if let Some(b) = u.uncached {
                let base = t
                    .uop(b)
                    .ok_or_else(|| format!("{}: no base uop {b}", u.name))?;
                let (n, m) = depths(u.name)?;
                let entry = base.caching.and_then(|c| {
                    c.entries
                        .iter()
                        .flatten()
                        .find(|en| en.uop == u.id)
                        .copied()
                });
                let e = match entry {
                    Some(en) => {
                        if en.output as usize != m {
                            return Err(format!(
                                "{}: the name says {m} cached items out, _PyUop_Caching says {}",
                                u.name, en.output
                            ));
                        }
                        en.exit.max(0) as usize
                    }
                    None => n,
                };
                specs.insert(
                    u.name.to_string(),
                    shapes::Spec {
                        group: u.name.to_string(),
                        base,
                        n,
                        m,
                        e,
                    },
                );
            } else if u.in_name_table && u.caching.is_none() && !with_variants.contains(&u.id) {
                specs.insert(u.name.to_string(), plain(u));
            }
        }
    } else {
        for u in t.uops.iter().filter(|u| u.in_name_table) {
            specs.insert(u.name.to_string(), plain(u));
        }
    }
    let fatal = t.uop_by_name("_FATAL_ERROR").ok_or("no _FATAL_ERROR uop")?;
    specs
        .entry(fatal.name.to_string())
        .or_insert_with(|| plain(fatal));
    Ok(specs.into_values().collect())
}

/// `(N, M)` of a `_NAME_rNM` variant.
fn depths(name: &str) -> Result<(usize, usize), String> {
    let bad = || format!("{name}: not a _rNM register variant name");
    let i = name.rfind("_r").ok_or_else(bad)?;
    let d = &name.as_bytes()[i + 2..];
    if d.len() != 2 || !d.iter().all(u8::is_ascii_digit) {
        return Err(bad());
    }
    Ok((usize::from(d[0] - b'0'), usize::from(d[1] - b'0')))
}

fn assemble(ctx: &ir::Ctx, w: shapes::Written, syms: &mut Symbols) -> Result<StencilGroup, String> {
    let lowered = match ctx.arch {
        Arch::X86_64 => x86_64::lower(&w.code, w.data, ctx, syms)?,
        Arch::Aarch64 => aarch64::lower(&w.code, w.data, ctx, syms)?,
    };
    let (data, mut data_holes) = lowered.data.finish();
    for (ordinal, symbol) in lowered.got_fills {
        data_holes.push(Hole {
            offset: 0,
            kind: "R_X86_64_64".into(),
            kind_inferred: false,
            func: PatchFn::GotSymbol,
            value: HoleValue::Got,
            symbol: Some(symbol),
            addend: 0,
            special: Some(HoleSpecial::GotFill { ordinal }),
            offset2: None,
        });
    }
    // Stable: the GOT fills (offset 0) stay after any other hole at 0, as CPython sorts.
    data_holes.sort_by_key(|h| h.offset);
    Ok(StencilGroup {
        code: Stencil {
            body: lowered.code,
            holes: lowered.code_holes,
            disassembly: Vec::new(),
        },
        data: Stencil {
            body: data,
            holes: data_holes,
            disassembly: Vec::new(),
        },
        trampoline_mask: lowered.trampolines,
        got_mask: lowered.got,
        shape: w.shape,
    })
}

/// `symbols_map`: ordinals in order of first use.
#[derive(Default)]
pub(crate) struct Symbols {
    names: Vec<String>,
    index: HashMap<String, u32>,
}

impl Symbols {
    pub(crate) fn ordinal(&mut self, name: &str) -> Result<u32, String> {
        if let Some(&o) = self.index.get(name) {
            return Ok(o);
        }
        let o = self.names.len() as u32;
        if o >= 128 {
            return Err(format!(
                "more than 128 symbols (SYMBOL_MASK_WORDS = 4): {name}"
            ));
        }
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), o);
        Ok(o)
    }
}

/// A stencil's data: the shape's bytes padded to 8, then (3.14) one GOT word per symbol the
/// code loads or calls through it.
pub(crate) struct DataWords {
    body: Vec<u8>,
    base: usize,
    /// Each word's value: base value, symbol, addend.
    words: Vec<(HoleValue, Option<String>, i64)>,
}

impl DataWords {
    pub(crate) fn new(mut body: Vec<u8>) -> DataWords {
        body.resize(body.len().div_ceil(8) * 8, 0);
        let base = body.len();
        DataWords {
            body,
            base,
            words: Vec::new(),
        }
    }

    /// The offset of the GOT word of `symbol`.
    pub(crate) fn word(&mut self, symbol: &str) -> usize {
        self.word_for(HoleValue::Zero, Some(symbol), 0)
    }

    /// The offset of a data word holding `value + &symbol + addend` (a literal the code loads:
    /// Mach-O AArch64 has no MOVW relocations for 64-bit immediates).
    pub(crate) fn word_for(
        &mut self,
        value: HoleValue,
        symbol: Option<&str>,
        addend: i64,
    ) -> usize {
        let key = (value, symbol.map(str::to_string), addend);
        let i = match self.words.iter().position(|w| *w == key) {
            Some(i) => i,
            None => {
                self.words.push(key);
                self.words.len() - 1
            }
        };
        self.base + 8 * i
    }

    fn finish(self) -> (Vec<u8>, Vec<Hole>) {
        let mut body = self.body;
        let mut holes = Vec::new();
        for (i, (value, symbol, addend)) in self.words.into_iter().enumerate() {
            // CPython's build writes these words' holes as R_X86_64_64 on every target.
            let mut h = hole(
                "R_X86_64_64",
                PatchFn::P64,
                value,
                symbol.as_deref(),
                addend,
                None,
            );
            h.offset = self.base + 8 * i;
            holes.push(h);
            body.extend_from_slice(&[0; 8]);
        }
        (body, holes)
    }
}

/// One stencil's code and data as lowered.
pub(crate) struct Lowered {
    pub code: Vec<u8>,
    pub code_holes: Vec<Hole>,
    pub data: DataWords,
    pub trampolines: SymbolMask,
    pub got: SymbolMask,
    /// The trace-GOT slots this stencil uses, in order of first use.
    pub got_fills: Vec<(u32, String)>,
}

/// A hole (its offset is set when its place is known).
pub(crate) fn hole(
    kind: &str,
    func: PatchFn,
    value: HoleValue,
    symbol: Option<&str>,
    addend: i64,
    special: Option<HoleSpecial>,
) -> Hole {
    Hole {
        offset: 0,
        kind: kind.to_string(),
        kind_inferred: false,
        func,
        value,
        symbol: symbol.map(str::to_string),
        addend,
        special,
        offset2: None,
    }
}

#[cfg(test)]
mod tests;

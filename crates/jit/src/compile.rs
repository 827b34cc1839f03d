//! Copy-and-patch: `_PyJIT_Compile` of CPython's `Python/jit.c`, per version.
//!
//! [`compile`] sizes the trace (instruction starts, the union of the groups' trampoline and GOT
//! masks), lays the region out as the version does (the facts of
//! [`cpyviz_model::jit::jit_facts`]), then emits each group in CPython's order —
//! its data first (memcpy, data holes, 3.15's `patch_got_symbol`), then its code (memcpy, code
//! holes) — and records every hole: its value and C expression, the bytes before and after,
//! where the patched instruction leads, and why it went that way.
//!
//! Symbols resolve through the [`MemoryModel`]: a symbol of `symbols_map` by its ordinal, any
//! other symbol a stencil names by an ordinal after them (see [`symbol_ordinals`]).

use crate::disasm::{self, DisLine};
use crate::explain::slot_steps;
use crate::patch::{self, signed_hex, Buf, Patched};
use crate::trace::TraceUop;
use cpyviz_model::jit::{
    jit_facts, Arch, Destination, GotSlot, Hole, HoleSpecial, HoleValue, JitFacts, Layout,
    MemoryModel, PatchFn, PatchedHole, PlacedGroup, Region, StencilGroup, StencilSet, SymbolMask,
    TrampolineSlot, Via,
};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;

/// Bytes per trace-GOT slot (3.15).
pub const GOT_SLOT_SIZE: usize = 8;

/// Compiles `trace` with the stencils of `set` into a region at `memory.region`.
///
/// Each [`PlacedGroup`]'s holes are in emission order: the data holes (3.15's GOT fills last),
/// then the code holes, each by offset. Everything `jit.c` would assert on (a displacement out
/// of range, an instruction of the wrong shape, a stencil missing from the set, a target past
/// the trace) is an `Err` naming the uop and the hole.
pub fn compile(
    trace: &[TraceUop],
    set: &StencilSet,
    memory: &MemoryModel,
) -> Result<Region, String> {
    if trace.is_empty() {
        return Err("an empty trace: CPython never compiles one".into());
    }
    let facts = jit_facts(set.version, set.target);
    let page = memory.page_size;
    if !page.is_power_of_two() {
        return Err(format!(
            "the memory model's page size {page} is not a power of two"
        ));
    }
    if !memory.region.is_multiple_of(page) {
        return Err(format!(
            "the memory model's region {:#x} is not page aligned ({page:#x})",
            memory.region
        ));
    }

    // ----- which group each piece of the region copies -----
    let mut pieces: Vec<Piece> = Vec::new();
    if let Some(name) = facts.shim {
        let g = set
            .entry
            .as_ref()
            .or_else(|| set.groups.get(name))
            .ok_or_else(|| format!("no stencil for the {name} in {}", set.label()))?;
        pieces.push(Piece::new(None, name, name, g, None));
    }
    for (i, u) in trace.iter().enumerate() {
        let name = if u.stencil.is_empty() {
            &u.name
        } else {
            &u.stencil
        };
        let g = set
            .groups
            .get(name.as_str())
            .ok_or_else(|| format!("no stencil for {name} in {}", set.label()))?;
        pieces.push(Piece::new(Some(i), &u.name, name, g, Some(u)));
    }
    let fatal_names: &[&str] = if facts.register_variants {
        &["_FATAL_ERROR_r00", "_FATAL_ERROR"]
    } else {
        &["_FATAL_ERROR"]
    };
    let (fatal_name, fatal) = fatal_names
        .iter()
        .find_map(|n| set.groups.get(*n).map(|g| (*n, g)))
        .ok_or_else(|| format!("no stencil for _FATAL_ERROR in {}", set.label()))?;
    pieces.push(Piece::new(None, "_FATAL_ERROR", fatal_name, fatal, None));

    // ----- sizing -----
    let mut code_size = 0;
    let mut data_size = 0;
    let mut tmask = SymbolMask::default();
    let mut gmask = SymbolMask::default();
    let mut starts = Vec::with_capacity(trace.len());
    for p in &mut pieces {
        p.code_off = code_size;
        p.data_off = data_size;
        if p.index.is_some() {
            starts.push(code_size);
        }
        code_size += p.group.code.body.len();
        data_size += p.group.data.body.len();
        tmask.union(&p.group.trampoline_mask);
        if facts.trace_got {
            gmask.union(&p.group.got_mask);
        }
    }
    let tramp_size = tmask.count() as usize * facts.trampoline_size;
    let got_size = gmask.count() as usize * GOT_SLOT_SIZE;
    let code_padding = match facts.data_align {
        Some(a) => a - ((code_size + tramp_size) & (a - 1)),
        None => 0,
    };
    let used = code_size + tramp_size + code_padding + data_size + got_size;
    let pg = page as usize;
    let padding = pg - (used & (pg - 1));
    let total = used + padding;
    let shim_size = if facts.shim.is_some() {
        pieces[0].group.code.body.len()
    } else {
        0
    };
    let tramp_at = code_size;
    let data_at = code_size + tramp_size + code_padding;
    let got_at = data_at + data_size;
    let layout = Layout {
        shim: 0..shim_size,
        code: shim_size..code_size,
        trampolines: tramp_at..tramp_at + tramp_size,
        code_padding: tramp_at + tramp_size..data_at,
        data: data_at..got_at,
        got: got_at..got_at + got_size,
        padding: used..total,
        page_size: page,
    };
    let base = memory.region;
    if base.checked_add(total as u64).is_none() {
        return Err(format!(
            "a region of {total:#x} bytes at {base:#x} passes the end of the address space"
        ));
    }
    let starts_abs: Vec<u64> = starts.iter().map(|&s| base + s as u64).collect();

    // ----- symbols, trampoline and GOT slots -----
    let ordinals = symbol_ordinals(set);
    let sym_addr = |name: &str| memory.symbol_address(name, ordinals.get(name).copied());
    let map_symbol = |ordinal: u32, what: &str| -> Result<(String, u64), String> {
        let name = set.symbols.get(ordinal as usize).ok_or_else(|| {
            format!(
                "{what} names ordinal {ordinal}, but symbols_map has {} entries",
                set.symbols.len()
            )
        })?;
        Ok((name.clone(), sym_addr(name)))
    };
    let mut trampolines = Vec::new();
    if facts.trampoline_size > 0 {
        for (index, ordinal) in tmask.ordinals().enumerate() {
            let (symbol, target) = map_symbol(ordinal, "the trampoline mask")?;
            trampolines.push(TrampolineSlot {
                ordinal,
                symbol,
                index,
                address: base + (tramp_at + index * facts.trampoline_size) as u64,
                target,
                used: false,
            });
        }
    }
    let mut got = Vec::new();
    for (index, ordinal) in gmask.ordinals().enumerate() {
        let (symbol, value) = map_symbol(ordinal, "the GOT mask")?;
        got.push(GotSlot {
            ordinal,
            symbol,
            address: base + (got_at + index * GOT_SLOT_SIZE) as u64,
            value,
        });
    }

    let ctx = Ctx {
        set,
        facts,
        memory,
        base,
        total,
        layout: &layout,
        starts: &starts_abs,
        tmask,
        gmask,
        trampolines: &trampolines,
        got: &got,
        trace,
        pieces: &pieces,
        data_at,
        ordinals: &ordinals,
    };

    // ----- emit -----
    let mut bytes = vec![0u8; total];
    let mut filled: HashMap<u64, Filler> = HashMap::new();
    let mut used_slots: BTreeSet<u32> = BTreeSet::new();
    let mut placed = Vec::with_capacity(pieces.len());
    for p in &pieces {
        placed.push(ctx.emit(p, &mut bytes, &mut filled, &mut used_slots)?);
    }
    for t in &mut trampolines {
        t.used = used_slots.contains(&t.ordinal);
    }
    for g in &mut got {
        let o = (g.address - base) as usize;
        g.value = u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap_or([0; 8]));
    }
    let fatal_error = placed.pop().ok_or("no _FATAL_ERROR placed")?;
    let shim = if facts.shim.is_some() && !placed.is_empty() {
        Some(placed.remove(0))
    } else {
        None
    };
    Ok(Region {
        version: set.version,
        target: set.target,
        base,
        bytes,
        layout,
        shim,
        uops: placed,
        fatal_error,
        trampoline_mask: tmask,
        trampolines,
        got_mask: gmask,
        got,
        symbols: set.symbols.clone(),
        stencils: set.label(),
        stencils_are_model: set.is_model(),
        memory: memory.clone(),
    })
}

/// The ordinal each symbol a set names resolves with: `symbols_map`'s own, then the other
/// symbols the holes name (sorted by name) after them.
pub fn symbol_ordinals(set: &StencilSet) -> BTreeMap<String, u32> {
    let mut out: BTreeMap<String, u32> = BTreeMap::new();
    for (i, s) in set.symbols.iter().enumerate() {
        out.entry(s.clone()).or_insert(i as u32);
    }
    let mut others = BTreeSet::new();
    for g in set.groups.values().chain(set.entry.iter()) {
        for h in g.code.holes.iter().chain(&g.data.holes) {
            if let Some(s) = &h.symbol {
                if !out.contains_key(s) {
                    others.insert(s.clone());
                }
            }
        }
    }
    let n = set.symbols.len() as u32;
    for (i, s) in others.into_iter().enumerate() {
        out.insert(s, n + i as u32);
    }
    out
}

/// The C expression of a hole's value, as CPython's header writes it (a trampoline's or a
/// GOT fill's value is the `symbols_map` entry the call or the slot gets).
pub fn value_expr(hole: &Hole) -> String {
    match hole.special {
        Some(HoleSpecial::Trampoline { ordinal }) | Some(HoleSpecial::GotFill { ordinal }) => {
            format!("symbols_map[{ordinal:#x}]")
        }
        Some(HoleSpecial::GotSlot { ordinal, minus4 }) => {
            let m = if minus4 { " - 4" } else { "" };
            format!("got_symbol_address({ordinal:#x}, state){m}")
        }
        None => crate::header::value_c(hole),
    }
}

/// The whole C statement of a hole, as the header's emitter writes it
/// (`patch_32r(code + 0xf, state->instruction_starts[instruction->jump_target] + -0x4);`).
pub fn hole_call(hole: &Hole, in_data: bool) -> String {
    crate::header::hole_c(hole, if in_data { "data" } else { "code" })
}

// ----- the engine -----

struct Piece<'a> {
    index: Option<usize>,
    uop: String,
    stencil: String,
    group: &'a StencilGroup,
    instr: Option<&'a TraceUop>,
    code_off: usize,
    data_off: usize,
}

impl<'a> Piece<'a> {
    fn new(
        index: Option<usize>,
        uop: &str,
        stencil: &str,
        group: &'a StencilGroup,
        instr: Option<&'a TraceUop>,
    ) -> Piece<'a> {
        Piece {
            index,
            uop: uop.to_string(),
            stencil: stencil.to_string(),
            group,
            instr,
            code_off: 0,
            data_off: 0,
        }
    }

    fn label(&self) -> String {
        match self.index {
            Some(i) => format!("uop {i} {}", self.uop),
            None => self.uop.clone(),
        }
    }
}

/// What a data word (or GOT slot) was filled with, for reading relaxed loads back.
#[derive(Clone)]
struct Filler {
    value: HoleValue,
    symbol: Option<String>,
}

struct Ctx<'a> {
    set: &'a StencilSet,
    facts: JitFacts,
    memory: &'a MemoryModel,
    base: u64,
    total: usize,
    layout: &'a Layout,
    starts: &'a [u64],
    tmask: SymbolMask,
    gmask: SymbolMask,
    trampolines: &'a [TrampolineSlot],
    got: &'a [GotSlot],
    trace: &'a [TraceUop],
    pieces: &'a [Piece<'a>],
    data_at: usize,
    ordinals: &'a BTreeMap<String, u32>,
}

/// One hole after its patch, before its destination is known.
struct Done {
    hole: Hole,
    in_data: bool,
    at: usize,
    value: u64,
    patched: Patched,
    before: Vec<u8>,
    /// What a relaxed load now yields directly (the word it no longer reads).
    relaxed_to: Option<(u64, Option<Filler>)>,
}

impl Ctx<'_> {
    fn arch(&self) -> Arch {
        self.set.target.arch()
    }

    fn symbol_address(&self, name: &str) -> u64 {
        self.memory
            .symbol_address(name, self.ordinals.get(name).copied())
    }

    fn emit(
        &self,
        p: &Piece,
        bytes: &mut [u8],
        filled: &mut HashMap<u64, Filler>,
        used_slots: &mut BTreeSet<u32>,
    ) -> Result<PlacedGroup, String> {
        let code = p.code_off..p.code_off + p.group.code.body.len();
        let data_start = self.data_at + p.data_off;
        let data = data_start..data_start + p.group.data.body.len();
        let mut done = Vec::new();

        // Data first: its words (and 3.15's GOT) are what the code's loads read.
        bytes[data.clone()].copy_from_slice(&p.group.data.body);
        for h in sorted(&p.group.data.holes) {
            done.push(self.patch_hole(p, h, true, &code, &data, bytes, filled, used_slots)?);
        }
        bytes[code.clone()].copy_from_slice(&p.group.code.body);
        let original = if self.arch() == Arch::X86_64 {
            disasm::disassemble(
                Arch::X86_64,
                &p.group.code.body,
                self.base + code.start as u64,
            )
        } else {
            Vec::new()
        };
        for h in sorted(&p.group.code.holes) {
            done.push(self.patch_hole(p, h, false, &code, &data, bytes, filled, used_slots)?);
        }
        let patched_code = disasm::disassemble(
            self.arch(),
            &bytes[code.clone()],
            self.base + code.start as u64,
        );

        let holes = done
            .into_iter()
            .map(|d| self.finish(p, d, &original, &patched_code, &code, bytes))
            .collect();
        Ok(PlacedGroup {
            index: p.index,
            uop: p.uop.clone(),
            stencil: p.stencil.clone(),
            shape: p.group.shape.clone(),
            code,
            data,
            code_stencil: p.group.code.body.clone(),
            data_stencil: p.group.data.body.clone(),
            holes,
        })
    }

    /// `value + symbol + addend`, from the instruction (`None` for the shim / _FATAL_ERROR).
    fn plain_value(
        &self,
        p: &Piece,
        h: &Hole,
        code: &Range<usize>,
        data: &Range<usize>,
    ) -> Result<u64, String> {
        let need = |what: &str| -> Result<&TraceUop, String> {
            p.instr.ok_or_else(|| {
                format!(
                    "{} has a {what} hole at +{:#x}, but it is emitted without an instruction",
                    p.stencil, h.offset
                )
            })
        };
        let start = |idx: u16, what: &str| -> Result<u64, String> {
            self.starts.get(usize::from(idx)).copied().ok_or_else(|| {
                format!(
                    "{}: {what} {idx} is past the end of the {}-uop trace",
                    p.label(),
                    self.trace.len()
                )
            })
        };
        let v = match h.value {
            HoleValue::Code => self.base + code.start as u64,
            HoleValue::Continue => self.base + code.end as u64,
            HoleValue::Data => self.base + data.start as u64,
            HoleValue::Executor => self.memory.executor,
            HoleValue::Got => {
                return Err(format!(
                    "{} has an unresolved GOT hole at +{:#x} (a stencil before CPython's build \
                     processed its relocations)",
                    p.stencil, h.offset
                ))
            }
            HoleValue::Oparg => u64::from(need("OPARG")?.oparg),
            HoleValue::Operand0 => need("OPERAND0")?.operand0,
            HoleValue::Operand0Hi => need("OPERAND0_HI")?.operand0 >> 32,
            HoleValue::Operand0Lo => need("OPERAND0_LO")?.operand0 & 0xFFFF_FFFF,
            HoleValue::Operand1 => need("OPERAND1")?.operand1,
            HoleValue::Operand1Hi => need("OPERAND1_HI")?.operand1 >> 32,
            HoleValue::Operand1Lo => need("OPERAND1_LO")?.operand1 & 0xFFFF_FFFF,
            HoleValue::Target => u64::from(need("TARGET")?.target),
            HoleValue::JumpTarget => start(need("JUMP_TARGET")?.jump_target, "jump_target")?,
            HoleValue::ErrorTarget => start(need("ERROR_TARGET")?.error_target, "error_target")?,
            HoleValue::Zero => 0,
        };
        let s = h.symbol.as_deref().map_or(0, |s| self.symbol_address(s));
        Ok(v.wrapping_add(s).wrapping_add(h.addend as u64))
    }

    fn got_slot(&self, ordinal: u32, what: &str) -> Result<u64, String> {
        if !self.facts.trace_got {
            return Err(format!(
                "{what}: {} has no trace GOT",
                self.set.version.label()
            ));
        }
        let steps = slot_steps(
            &self.gmask,
            ordinal,
            self.base + self.layout.got.start as u64,
            GOT_SLOT_SIZE,
        );
        if !steps.present {
            return Err(format!(
                "{what}: ordinal {ordinal} is not in the trace's GOT mask (no group's got_mask \
                 has it)"
            ));
        }
        Ok(steps.address)
    }

    #[allow(clippy::too_many_arguments)]
    fn patch_hole(
        &self,
        p: &Piece,
        h: &Hole,
        in_data: bool,
        code: &Range<usize>,
        data: &Range<usize>,
        bytes: &mut [u8],
        filled: &mut HashMap<u64, Filler>,
        used_slots: &mut BTreeSet<u32>,
    ) -> Result<Done, String> {
        let part = if in_data { data } else { code };
        let where_ = format!(
            "{} {} + {:#x}",
            p.label(),
            if in_data { "data" } else { "code" },
            h.offset
        );
        let err = |e: String| format!("{where_} ({}): {e}", hole_call(h, in_data));
        let loc_off = part.start + h.offset;
        let loc = self.base + loc_off as u64;
        let width = match h.func {
            PatchFn::P64 => 8,
            PatchFn::GotSymbol => 0,
            _ => 4,
        };
        if h.func == PatchFn::X86_64_32rx && h.offset < 2 {
            return Err(format!(
                "{where_}: patch_x86_64_32rx needs the two opcode bytes before the displacement, \
                 but the hole is at +{:#x}",
                h.offset
            ));
        }
        if h.func != PatchFn::GotSymbol && h.offset + width > part.len() {
            return Err(format!(
                "{where_}: the hole's {width} bytes pass the end of the {:#x}-byte body",
                part.len()
            ));
        }
        let snapshot_range = if h.func == PatchFn::GotSymbol {
            self.layout.got.clone()
        } else {
            part.clone()
        };
        let snapshot = bytes[snapshot_range.clone()].to_vec();
        let mut buf = Buf::new(&mut bytes[..self.total], self.base);
        let ordinal_of = |want: &str| -> Result<u32, String> {
            match h.special {
                Some(HoleSpecial::Trampoline { ordinal })
                | Some(HoleSpecial::GotFill { ordinal }) => Ok(ordinal),
                _ => Err(format!("{where_}: {want} without its ordinal")),
            }
        };
        let value;
        let mut relaxed_to = None;
        let mut at = loc_off;
        let patched = match h.func {
            PatchFn::X86_64Trampoline | PatchFn::Aarch64Trampoline => {
                let ordinal = ordinal_of(h.func.name())?;
                let name =
                    self.set.symbols.get(ordinal as usize).ok_or_else(|| {
                        format!("{where_}: ordinal {ordinal} is not in symbols_map")
                    })?;
                value = self.symbol_address(name);
                let slot = (self.facts.trampoline_size > 0)
                    .then(|| {
                        slot_steps(
                            &self.tmask,
                            ordinal,
                            self.base + self.layout.trampolines.start as u64,
                            self.facts.trampoline_size,
                        )
                    })
                    .filter(|s| s.present)
                    .map(|s| s.address);
                let r = if h.func == PatchFn::X86_64Trampoline {
                    patch::patch_x86_64_trampoline(&mut buf, loc, value, slot)
                } else {
                    patch::patch_aarch64_trampoline(&mut buf, loc, value, slot)
                }
                .map_err(err)?;
                if r.via == Via::Trampoline {
                    used_slots.insert(ordinal);
                }
                r
            }
            PatchFn::GotSymbol => {
                let ordinal = ordinal_of("patch_got_symbol")?;
                let name =
                    self.set.symbols.get(ordinal as usize).ok_or_else(|| {
                        format!("{where_}: ordinal {ordinal} is not in symbols_map")
                    })?;
                value = self.symbol_address(name);
                let slot = self.got_slot(ordinal, &where_)?;
                at = (slot - self.base) as usize;
                filled.insert(
                    slot,
                    Filler {
                        value: HoleValue::Zero,
                        symbol: Some(name.clone()),
                    },
                );
                patch::patch_got_symbol(&mut buf, slot, value).map_err(err)?
            }
            f => {
                value = match h.special {
                    Some(HoleSpecial::GotSlot { ordinal, minus4 }) => self
                        .got_slot(ordinal, &where_)?
                        .wrapping_sub(if minus4 { 4 } else { 0 }),
                    _ => self.plain_value(p, h, code, data)?,
                };
                let r = match f {
                    PatchFn::P32 => patch::patch_32(&mut buf, loc, value),
                    PatchFn::P32r => patch::patch_32r(&mut buf, loc, value),
                    PatchFn::P64 => patch::patch_64(&mut buf, loc, value),
                    PatchFn::X86_64_32rx => patch::patch_x86_64_32rx(&mut buf, loc, value),
                    PatchFn::Aarch64_12 => patch::patch_aarch64_12(&mut buf, loc, value),
                    PatchFn::Aarch64_12x => patch::patch_aarch64_12x(&mut buf, loc, value),
                    PatchFn::Aarch64_16a => patch::patch_aarch64_16a(&mut buf, loc, value),
                    PatchFn::Aarch64_16b => patch::patch_aarch64_16b(&mut buf, loc, value),
                    PatchFn::Aarch64_16c => patch::patch_aarch64_16c(&mut buf, loc, value),
                    PatchFn::Aarch64_16d => patch::patch_aarch64_16d(&mut buf, loc, value),
                    PatchFn::Aarch64_19r => patch::patch_aarch64_19r(&mut buf, loc, value),
                    PatchFn::Aarch64_21r => patch::patch_aarch64_21r(&mut buf, loc, value),
                    PatchFn::Aarch64_21rx => patch::patch_aarch64_21rx(&mut buf, loc, value),
                    PatchFn::Aarch64_26r => patch::patch_aarch64_26r(&mut buf, loc, value),
                    PatchFn::Aarch64_33rx => {
                        let (adrp, ldr) = match h.offset2 {
                            Some(a) => (a, h.offset),
                            None => (h.offset, h.offset + 4),
                        };
                        if adrp.max(ldr) + 4 > part.len() {
                            return Err(format!(
                                "{where_}: the adrp/ldr pair passes the end of the {:#x}-byte body",
                                part.len()
                            ));
                        }
                        at = part.start + adrp;
                        let adrp_loc = self.base + (part.start + adrp) as u64;
                        let ldr_loc = self.base + (part.start + ldr) as u64;
                        patch::patch_aarch64_33rx(&mut buf, adrp_loc, ldr_loc, value)
                    }
                    PatchFn::X86_64Trampoline | PatchFn::Aarch64Trampoline | PatchFn::GotSymbol => {
                        Err(format!("{} takes an ordinal, not a value", f.name()))
                    }
                }
                .map_err(err)?;
                if in_data && f == PatchFn::P64 {
                    filled.insert(
                        loc,
                        Filler {
                            value: h.value,
                            symbol: h.symbol.clone(),
                        },
                    );
                }
                if r.via == Via::Relaxed {
                    // The word the load no longer reads: x86-64 `value + 4`, AArch64 `value`.
                    let entry = if f == PatchFn::X86_64_32rx {
                        value.wrapping_add(4)
                    } else {
                        value
                    };
                    let held = Buf::new(&mut bytes[..self.total], self.base)
                        .read_u64(entry)
                        .unwrap_or(0);
                    relaxed_to = Some((held, filled.get(&entry).cloned()));
                }
                r
            }
        };
        let before_of = |span: &Range<usize>| -> Vec<u8> {
            if span.start >= snapshot_range.start && span.end <= snapshot_range.end {
                snapshot[span.start - snapshot_range.start..span.end - snapshot_range.start]
                    .to_vec()
            } else {
                Vec::new()
            }
        };
        let before = before_of(&patched.span);
        Ok(Done {
            hole: h.clone(),
            in_data,
            at,
            value,
            patched,
            before,
            relaxed_to,
        })
    }

    fn finish(
        &self,
        p: &Piece,
        d: Done,
        original: &[DisLine],
        patched_code: &[DisLine],
        code: &Range<usize>,
        bytes: &[u8],
    ) -> PatchedHole {
        let mut span = d.patched.span.clone();
        let mut before = d.before.clone();
        // x86-64: the whole instruction the hole is in.
        if !d.in_data && self.arch() == Arch::X86_64 {
            let rel = span.start.saturating_sub(code.start);
            if let Some(ins) = original
                .iter()
                .find(|l| l.offset <= rel && rel < l.offset + l.len)
            {
                let s = code.start + ins.offset;
                let e = (s + ins.len).max(span.end);
                let s = s.min(span.start);
                if s >= code.start && e <= code.end {
                    before = p.group.code.body[s - code.start..e - code.start].to_vec();
                    span = s..e;
                }
            }
        }
        let after = bytes[span.clone()].to_vec();
        let ins = (!d.in_data)
            .then(|| {
                let rel = d.at - code.start;
                patched_code
                    .iter()
                    .find(|l| l.offset <= rel && rel < l.offset + l.len)
            })
            .flatten();
        let (destination, reached) = self.destination(p, &d, ins);
        let note = self.note(&d, &destination, reached);
        PatchedHole {
            expr: value_expr(&d.hole),
            hole: d.hole,
            in_data: d.in_data,
            at: d.at,
            value: d.value,
            span,
            before,
            after,
            destination,
            via: d.patched.via,
            note,
        }
    }

    /// Where the patched instruction (or word) leads, and the address it reaches.
    fn destination(
        &self,
        p: &Piece,
        d: &Done,
        ins: Option<&DisLine>,
    ) -> (Destination, Option<u64>) {
        let h = &d.hole;
        let jump = p.instr.map(|u| match h.value {
            HoleValue::ErrorTarget => usize::from(u.error_target),
            _ => usize::from(u.jump_target),
        });
        let hint_sym = h.symbol.clone();
        match h.func {
            PatchFn::GotSymbol => {
                let name = match h.special {
                    Some(HoleSpecial::GotFill { ordinal }) => {
                        self.set.symbols.get(ordinal as usize).cloned()
                    }
                    _ => None,
                };
                return match name {
                    Some(name) => (Destination::Symbol { name, offset: 0 }, Some(d.value)),
                    None => (Destination::Other, Some(d.value)),
                };
            }
            PatchFn::X86_64Trampoline | PatchFn::Aarch64Trampoline => {
                let reached = ins.and_then(|l| l.branch_target).unwrap_or(d.value);
                let name = match h.special {
                    Some(HoleSpecial::Trampoline { ordinal }) => {
                        self.set.symbols.get(ordinal as usize).cloned()
                    }
                    _ => None,
                };
                return (self.classify(reached, name, h.value, jump), Some(reached));
            }
            _ => {}
        }
        if matches!(h.value, HoleValue::Executor) && h.symbol.is_none() && !is_relative(h.func) {
            return (Destination::Executor, Some(d.value));
        }
        if is_operand(h.value) && h.symbol.is_none() && !is_relative(h.func) {
            return (Destination::Value, None);
        }
        if let Some((held, filler)) = &d.relaxed_to {
            // A relaxed load: the instruction now yields what the entry held.
            let is_literal = h.func == PatchFn::Aarch64_33rx && d.patched.how.contains("literal");
            if !is_literal {
                let (sym, val) = match filler {
                    Some(f) => (f.symbol.clone(), f.value),
                    None => (None, HoleValue::Zero),
                };
                if is_operand(val) && sym.is_none() {
                    return (Destination::Value, Some(*held));
                }
                let reached = if h.func == PatchFn::X86_64_32rx {
                    ins.and_then(|l| l.branch_target.or(l.mem_target))
                        .unwrap_or(*held)
                } else {
                    *held
                };
                return (self.classify(reached, sym, val, jump), Some(reached));
            }
        }
        let reached = match h.func {
            PatchFn::P32r | PatchFn::X86_64_32rx => ins
                .and_then(|l| l.branch_target.or(l.mem_target))
                .unwrap_or(d.value.wrapping_add(4)),
            PatchFn::Aarch64_26r | PatchFn::Aarch64_19r => {
                ins.and_then(|l| l.branch_target).unwrap_or(d.value)
            }
            _ => d.value,
        };
        (
            self.classify(reached, hint_sym, h.value, jump),
            Some(reached),
        )
    }

    fn classify(
        &self,
        a: u64,
        sym: Option<String>,
        value: HoleValue,
        jump: Option<usize>,
    ) -> Destination {
        let end = self.base + self.total as u64;
        if a >= self.base && a < end {
            let off = (a - self.base) as usize;
            let l = self.layout;
            if l.code.contains(&off) || l.shim.contains(&off) {
                if let Some(k) = jump.filter(|&k| self.starts.get(k) == Some(&a)) {
                    if self
                        .pieces
                        .iter()
                        .any(|p| p.index == Some(k) && !p.group.code.body.is_empty())
                    {
                        return Destination::Uop(k);
                    }
                }
                for p in self.pieces {
                    let r = p.code_off..p.code_off + p.group.code.body.len();
                    if r.contains(&off) {
                        return match p.index {
                            Some(k) if off == r.start => Destination::Uop(k),
                            Some(k) => Destination::InUop {
                                index: k,
                                offset: off - r.start,
                            },
                            None => Destination::Other,
                        };
                    }
                }
                return Destination::Other;
            }
            if l.trampolines.contains(&off) && self.facts.trampoline_size > 0 {
                return Destination::Trampoline(
                    (off - l.trampolines.start) / self.facts.trampoline_size,
                );
            }
            if l.got.contains(&off) {
                return Destination::Got((off - l.got.start) / GOT_SLOT_SIZE);
            }
            if l.data.contains(&off) {
                for p in self.pieces {
                    let s = self.data_at + p.data_off;
                    let r = s..s + p.group.data.body.len();
                    if r.contains(&off) {
                        return match p.index {
                            Some(k) => Destination::UopData {
                                index: k,
                                offset: off - s,
                            },
                            None => Destination::Other,
                        };
                    }
                }
            }
            return Destination::Other;
        }
        if a == self.memory.executor && value == HoleValue::Executor {
            return Destination::Executor;
        }
        if let Some(name) = sym {
            let s = self.symbol_address(&name);
            return Destination::Symbol {
                offset: a.wrapping_sub(s) as i64,
                name,
            };
        }
        if let Some(name) = self
            .set
            .symbols
            .iter()
            .find(|n| self.symbol_address(n) == a)
            .or_else(|| {
                self.memory
                    .symbols
                    .iter()
                    .find(|(_, &v)| v == a)
                    .map(|(n, _)| n)
            })
        {
            return Destination::Symbol {
                name: name.clone(),
                offset: 0,
            };
        }
        if a == self.memory.executor {
            return Destination::Executor;
        }
        if is_operand(value) {
            return Destination::Value;
        }
        Destination::Other
    }

    /// "uop 22 _EXIT_TRACE", "trampoline slot 1 (→ _PyLong_Add)", …
    fn dest_text(&self, dest: &Destination) -> String {
        match dest {
            Destination::Uop(k) => match self.trace.get(*k) {
                Some(u) => format!("uop {k} {}", u.name),
                None => format!("uop {k}"),
            },
            Destination::InUop { index, offset } => {
                let name = self.trace.get(*index).map_or("", |u| u.name.as_str());
                format!("uop {index} {name} +{offset:#x}")
            }
            Destination::UopData { index, offset } => {
                let name = self.trace.get(*index).map_or("", |u| u.name.as_str());
                format!("uop {index} {name}'s data +{offset:#x}")
            }
            Destination::Trampoline(i) => match self.trampolines.get(*i) {
                Some(t) => format!("trampoline slot {i} (→ {})", t.symbol),
                None => format!("trampoline slot {i}"),
            },
            Destination::Got(i) => match self.got.get(*i) {
                Some(g) => format!("GOT slot {i} ({})", g.symbol),
                None => format!("GOT slot {i}"),
            },
            Destination::Symbol { name, offset } if *offset == 0 => name.clone(),
            Destination::Symbol { name, offset } => format!("{name}{}", signed_hex(*offset)),
            Destination::Executor => "the executor".into(),
            Destination::Value => "a value".into(),
            Destination::Other => "elsewhere".into(),
        }
    }

    fn note(&self, d: &Done, dest: &Destination, reached: Option<u64>) -> String {
        let h = &d.hole;
        let how = &d.patched.how;
        let to = self.dest_text(dest);
        match h.func {
            PatchFn::X86_64Trampoline | PatchFn::Aarch64Trampoline => {
                let name = match h.special {
                    Some(HoleSpecial::Trampoline { ordinal }) => self
                        .set
                        .symbols
                        .get(ordinal as usize)
                        .cloned()
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                let loc = self.base + d.at as u64;
                let dist = human_distance(loc.abs_diff(d.value));
                let reach = if h.func == PatchFn::X86_64Trampoline {
                    "±2 GiB"
                } else {
                    "±128 MiB"
                };
                match (d.patched.via, dest) {
                    (Via::Trampoline, Destination::Trampoline(i)) => {
                        format!(
                            "call {name}: {:#x} is {dist} away → trampoline slot {i} ({how})",
                            d.value
                        )
                    }
                    (Via::Trampoline, _) => {
                        format!(
                            "call {name}: {:#x} is {dist} away → a trampoline ({how})",
                            d.value
                        )
                    }
                    _ => format!(
                        "call {name} at {:#x}: {dist} away, within {reach} → direct ({how})",
                        d.value
                    ),
                }
            }
            PatchFn::GotSymbol => {
                let slot = match self.classify(self.base + d.at as u64, None, HoleValue::Zero, None)
                {
                    Destination::Got(i) => format!("GOT slot {i}"),
                    _ => format!("the GOT slot at {:#x}", self.base + d.at as u64),
                };
                format!("{slot} ← &{to} = {:#x}", d.value)
            }
            f => {
                let what = match h.special {
                    Some(HoleSpecial::GotSlot { ordinal, .. }) => {
                        let name = self
                            .set
                            .symbols
                            .get(ordinal as usize)
                            .cloned()
                            .unwrap_or_default();
                        format!("GOT load of {name}")
                    }
                    _ if matches!(f, PatchFn::X86_64_32rx | PatchFn::Aarch64_33rx) => {
                        let entry = if f == PatchFn::X86_64_32rx {
                            d.value.wrapping_add(4)
                        } else {
                            d.value
                        };
                        let e = self.classify(entry, h.symbol.clone(), h.value, None);
                        if d.relaxed_to.is_none() || how.contains("literal") {
                            return format!("load of {} at {entry:#x} ({how})", self.dest_text(&e));
                        }
                        format!("load of {}", self.dest_text(&e))
                    }
                    _ => match (&h.symbol, h.value) {
                        (Some(sym), HoleValue::Zero) => format!("&{sym}"),
                        (Some(sym), v) => format!("{} + &{sym}", v.name()),
                        (None, v) => v.name().to_string(),
                    },
                };
                let relaxed_load = d.relaxed_to.as_ref().filter(|_| !how.contains("literal"));
                if let Some((held, filler)) = relaxed_load {
                    let yields = match filler {
                        Some(Filler {
                            symbol: Some(s), ..
                        }) => format!("&{s}"),
                        Some(Filler { value, .. }) => value.name().to_string(),
                        None => "the entry".to_string(),
                    };
                    return match dest {
                        Destination::Value => {
                            format!("{what} relaxed: {yields} = {held:#x} ({how})")
                        }
                        _ => format!("{what} relaxed: {yields} = {held:#x} → {to} ({how})"),
                    };
                }
                let same_symbol = matches!(dest, Destination::Symbol { name, .. } if h.symbol.as_ref() == Some(name));
                if !is_relative(f) {
                    return match dest {
                        Destination::Value => format!("{what} = {:#x} ({})", d.value, f.name()),
                        _ if same_symbol => format!("{what} = {:#x} ({})", d.value, f.name()),
                        _ => format!("{what} = {:#x} → {to} ({})", d.value, f.name()),
                    };
                }
                let at = reached.map_or(String::new(), |a| format!(" at {a:#x}"));
                format!("{what} → {to}{at} ({how})")
            }
        }
    }
}

fn sorted(holes: &[Hole]) -> Vec<&Hole> {
    let mut v: Vec<&Hole> = holes.iter().collect();
    v.sort_by_key(|h| (h.func == PatchFn::GotSymbol, h.offset));
    v
}

fn is_relative(f: PatchFn) -> bool {
    matches!(
        f,
        PatchFn::P32r
            | PatchFn::X86_64_32rx
            | PatchFn::Aarch64_19r
            | PatchFn::Aarch64_21r
            | PatchFn::Aarch64_21rx
            | PatchFn::Aarch64_26r
            | PatchFn::Aarch64_33rx
    )
}

fn is_operand(v: HoleValue) -> bool {
    matches!(
        v,
        HoleValue::Oparg
            | HoleValue::Operand0
            | HoleValue::Operand0Hi
            | HoleValue::Operand0Lo
            | HoleValue::Operand1
            | HoleValue::Operand1Hi
            | HoleValue::Operand1Lo
            | HoleValue::Target
    )
}

/// `3.2 GiB`, `64.0 MiB`, `12.5 KiB`, `0x40 bytes`.
pub fn human_distance(d: u64) -> String {
    if d < 1 << 10 {
        return format!("{d:#x} bytes");
    }
    cpyviz_model::jit::human_bytes(u128::from(d))
}

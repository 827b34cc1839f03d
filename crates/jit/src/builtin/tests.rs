use super::*;
use iced_x86::{Code, Decoder, DecoderOptions, Formatter, Instruction, IntelFormatter, OpKind};
use yaxpeax_arch::{Decoder as _, U8Reader};

fn all_sets() -> Vec<&'static StencilSet> {
    let mut v = Vec::new();
    for version in PyVersion::ALL {
        for target in Target::ALL {
            v.push(stencils(version, target));
        }
    }
    v
}

/// Every group of a set, the entry first (as `<entry>`).
fn groups(set: &StencilSet) -> Vec<(&str, &StencilGroup)> {
    let mut v: Vec<(&str, &StencilGroup)> = set.entry.iter().map(|e| ("<entry>", e)).collect();
    v.extend(set.groups.iter().map(|(k, g)| (k.as_str(), g)));
    v
}

fn x86_decode(body: &[u8]) -> Vec<(usize, Instruction, iced_x86::ConstantOffsets)> {
    let mut d = Decoder::with_ip(64, body, 0, DecoderOptions::NONE);
    let mut out = Vec::new();
    while d.can_decode() {
        let start = d.position();
        let i = d.decode();
        let co = d.get_constant_offsets(&i);
        out.push((start, i, co));
    }
    out
}

fn a64_words(body: &[u8]) -> Vec<u32> {
    body.chunks(4)
        .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

/// A disassembly, for failure messages.
fn listing(set: &StencilSet, g: &StencilGroup) -> String {
    let mut out = String::new();
    match set.target.arch() {
        Arch::X86_64 => {
            let mut f = IntelFormatter::new();
            for (start, ins, _) in x86_decode(&g.code.body) {
                let mut s = String::new();
                f.format(&ins, &mut s);
                out += &format!("{start:4x}: {s}\n");
            }
        }
        Arch::Aarch64 => {
            let dec = yaxpeax_arm::armv8::a64::InstDecoder::default();
            for (i, w) in g.code.body.chunks(4).enumerate() {
                match dec.decode(&mut U8Reader::new(w)) {
                    Ok(ins) => out += &format!("{:4x}: {ins}\n", i * 4),
                    Err(e) => out += &format!("{:4x}: <{e}>\n", i * 4),
                }
            }
        }
    }
    for h in g.code.holes.iter().chain(&g.data.holes) {
        out += &format!(
            "  hole {:#x} {} {} {:?} {:?}\n",
            h.offset,
            h.kind,
            h.func.name(),
            h.value,
            h.symbol
        );
    }
    out
}

fn symbols_of(g: &StencilGroup) -> HashSet<String> {
    g.code
        .holes
        .iter()
        .chain(&g.data.holes)
        .filter_map(|h| h.symbol.clone())
        .collect()
}

/// The values a group patches in, in its code or in its data (Mach-O AArch64 loads 64-bit
/// immediates from data words).
fn values_of(g: &StencilGroup) -> HashSet<HoleValue> {
    g.code
        .holes
        .iter()
        .chain(&g.data.holes)
        .map(|h| h.value)
        .collect()
}

#[test]
fn every_set_is_builtin_with_an_entry_and_a_label() {
    for set in all_sets() {
        assert_eq!(set.origin, StencilOrigin::Builtin);
        assert!(set.is_model());
        assert!(set.label().contains("model"), "{}", set.label());
        let entry = set.entry.as_ref().expect("an entry group");
        assert!(!entry.code.body.is_empty());
        assert!(
            set.groups.len() > 250,
            "{} {}: {} groups",
            set.version,
            set.target,
            set.groups.len()
        );
        // Cached: the same object each time.
        assert!(std::ptr::eq(set, stencils(set.version, set.target)));
    }
}

#[test]
fn every_traceable_uop_has_a_group() {
    let t = PyVersion::V3_14.profile().tables;
    for target in Target::ALL {
        let set = stencils(PyVersion::V3_14, target);
        for u in t.uops.iter().filter(|u| u.in_name_table) {
            assert!(
                set.groups.contains_key(u.name),
                "3.14 {target}: no group for {}",
                u.name
            );
        }
        assert!(set.groups.contains_key("_FATAL_ERROR"));
        assert!(!set
            .groups
            .keys()
            .any(|k| k.contains("_r0") || k.ends_with("_r11")));
    }
    let t = PyVersion::V3_15.profile().tables;
    let with_variants: HashSet<u16> = t.uops.iter().filter_map(|u| u.uncached).collect();
    for target in Target::ALL {
        let set = stencils(PyVersion::V3_15, target);
        let mut variants = 0;
        for u in t.uops {
            if u.uncached.is_some() {
                variants += 1;
                assert!(
                    set.groups.contains_key(u.name),
                    "3.15 {target}: no group for {}",
                    u.name
                );
            } else if u.in_name_table && !with_variants.contains(&u.id) {
                assert!(
                    set.groups.contains_key(u.name),
                    "3.15 {target}: no group for {}",
                    u.name
                );
            }
        }
        assert!(variants > 900);
        for name in [
            "_FATAL_ERROR",
            "_FATAL_ERROR_r00",
            "_FATAL_ERROR_r33",
            "_SPILL_OR_RELOAD_r13",
            "_RECORD_TOS",
        ] {
            assert!(set.groups.contains_key(name), "3.15 {target}: {name}");
        }
        // A base uop with variants has no group of its own (except _FATAL_ERROR).
        assert!(!set.groups.contains_key("_BINARY_OP_ADD_INT"));
        assert!(!set.groups.contains_key("_SPILL_OR_RELOAD"));
    }
}

#[test]
fn x86_64_bodies_decode_fully_and_holes_sit_on_their_instructions() {
    for set in all_sets()
        .into_iter()
        .filter(|s| s.target.arch() == Arch::X86_64)
    {
        for (name, g) in groups(set) {
            let body = &g.code.body;
            let insns = x86_decode(body);
            let ctx = || {
                format!(
                    "{} {} {name}:\n{}",
                    set.version,
                    set.target,
                    listing(set, g)
                )
            };
            let mut end = 0;
            for (start, i, _) in &insns {
                assert!(
                    !i.is_invalid(),
                    "invalid instruction at {start:#x} in {}",
                    ctx()
                );
                assert_eq!(*start, end);
                end += i.len();
            }
            assert_eq!(end, body.len(), "{}", ctx());
            for h in &g.code.holes {
                let (start, i, co) = insns
                    .iter()
                    .find(|(s, i, _)| (*s..*s + i.len()).contains(&h.offset))
                    .unwrap_or_else(|| {
                        panic!("hole {:#x} outside the code of {}", h.offset, ctx())
                    });
                let (start, len) = (*start, i.len());
                let size = match h.func {
                    PatchFn::P64 => {
                        assert_eq!(i.code(), Code::Mov_r64_imm64, "{:#x}: {}", h.offset, ctx());
                        assert_eq!(
                            (co.immediate_offset(), co.immediate_size()),
                            (h.offset - start, 8)
                        );
                        8
                    }
                    PatchFn::P32r | PatchFn::X86_64Trampoline => {
                        assert_eq!(
                            i.op0_kind(),
                            OpKind::NearBranch64,
                            "{:#x}: {}",
                            h.offset,
                            ctx()
                        );
                        assert_eq!(h.offset, start + len - 4, "{}", ctx());
                        assert!(len >= 5, "a rel32 branch: {}", ctx());
                        assert_eq!(h.addend, if h.func == PatchFn::P32r { -4 } else { 0 });
                        if h.func == PatchFn::X86_64Trampoline {
                            assert_eq!(i.code(), Code::Call_rel32_64);
                        }
                        4
                    }
                    PatchFn::X86_64_32rx => {
                        assert!(i.is_ip_rel_memory_operand(), "{:#x}: {}", h.offset, ctx());
                        assert_eq!(
                            (co.displacement_offset(), co.displacement_size()),
                            (h.offset - start, 4)
                        );
                        let op = &body[h.offset - 2..h.offset];
                        assert!(
                            op[0] == 0x8B || op == [0xFF, 0x15] || op == [0xFF, 0x25],
                            "{op:x?} {}",
                            ctx()
                        );
                        4
                    }
                    f => panic!("{f:?} in x86-64 code: {}", ctx()),
                };
                assert!(
                    body[h.offset..h.offset + size].iter().all(|&b| b == 0),
                    "hole bytes: {}",
                    ctx()
                );
            }
        }
    }
}

#[test]
fn aarch64_bodies_decode_fully_and_holes_sit_on_their_instructions() {
    let dec = yaxpeax_arm::armv8::a64::InstDecoder::default();
    for set in all_sets()
        .into_iter()
        .filter(|s| s.target.arch() == Arch::Aarch64)
    {
        let v15 = set.version.profile().jit_register_variants;
        for (name, g) in groups(set) {
            let ctx = || {
                format!(
                    "{} {} {name}:\n{}",
                    set.version,
                    set.target,
                    listing(set, g)
                )
            };
            let body = &g.code.body;
            assert_eq!(body.len() % 4, 0, "{}", ctx());
            for (k, w) in body.chunks(4).enumerate() {
                assert!(
                    dec.decode(&mut U8Reader::new(w)).is_ok(),
                    "word {k} of {}",
                    ctx()
                );
            }
            let words = a64_words(body);
            for h in &g.code.holes {
                assert_eq!(h.offset % 4, 0, "{}", ctx());
                let w = *words
                    .get(h.offset / 4)
                    .unwrap_or_else(|| panic!("outside: {}", ctx()));
                let bad = || {
                    format!(
                        "{} on {w:#010x} at {:#x}: {}",
                        h.func.name(),
                        h.offset,
                        ctx()
                    )
                };
                match h.func {
                    PatchFn::Aarch64_26r | PatchFn::Aarch64Trampoline => {
                        assert_eq!(w & 0x7C00_0000, 0x1400_0000, "{}", bad());
                        assert_eq!(w & 0x03FF_FFFF, 0, "{}", bad());
                        if h.func == PatchFn::Aarch64Trampoline {
                            assert_eq!(w >> 31, 1, "a bl: {}", bad());
                        }
                    }
                    PatchFn::Aarch64_19r => {
                        assert!(v15, "3.14's jit.c has no patch_aarch64_19r: {}", bad());
                        assert_eq!(w & 0xFF00_0010, 0x5400_0000, "{}", bad());
                        assert_eq!((w >> 5) & 0x7FFFF, 0, "{}", bad());
                    }
                    PatchFn::Aarch64_16a
                    | PatchFn::Aarch64_16b
                    | PatchFn::Aarch64_16c
                    | PatchFn::Aarch64_16d => {
                        let hw = match h.func {
                            PatchFn::Aarch64_16a => 0,
                            PatchFn::Aarch64_16b => 1,
                            PatchFn::Aarch64_16c => 2,
                            _ => 3,
                        };
                        let want = if hw == 0 { 0xD280_0000 } else { 0xF280_0000 };
                        assert_eq!(w & 0xFF80_0000, want, "movz/movk x: {}", bad());
                        assert_eq!((w >> 21) & 3, hw, "{}", bad());
                        assert_eq!((w >> 5) & 0xFFFF, 0, "{}", bad());
                    }
                    PatchFn::Aarch64_21r | PatchFn::Aarch64_21rx => {
                        assert_eq!(w & 0x9F00_0000, 0x9000_0000, "adrp: {}", bad());
                        assert_eq!(w & 0x60FF_FFE0, 0, "{}", bad());
                    }
                    PatchFn::Aarch64_12 => {
                        // `add x, x, #imm` or (a data literal) `ldr x, [x, #imm]`
                        assert!(
                            matches!(w & 0xFFC0_0000, 0x9100_0000 | 0xF940_0000),
                            "add/ldr x, x, #imm: {}",
                            bad()
                        );
                        assert_eq!((w >> 10) & 0xFFF, 0, "{}", bad());
                    }
                    PatchFn::Aarch64_12x => {
                        assert_eq!(w & 0xFFC0_0000, 0xF940_0000, "ldr x, [x, #imm]: {}", bad());
                        assert_eq!((w >> 10) & 0xFFF, 0, "{}", bad());
                        // its adrp is the word before, on the same register and GOT slot
                        let adrp = words[h.offset / 4 - 1];
                        assert_eq!(adrp & 0x9F00_0000, 0x9000_0000, "{}", bad());
                        assert_eq!(adrp & 0x1F, w & 0x1F);
                        assert_eq!((w >> 5) & 0x1F, w & 0x1F);
                    }
                    PatchFn::Aarch64_33rx => {
                        assert!(!v15 && h.offset2.is_none(), "{}", bad());
                        assert_eq!(w & 0x9F00_0000, 0x9000_0000, "adrp: {}", bad());
                        let ldr = words[h.offset / 4 + 1];
                        assert_eq!(ldr & 0xFFC0_0000, 0xF940_0000, "then ldr: {}", bad());
                        assert_eq!(ldr & 0x1F, w & 0x1F);
                        assert_eq!((ldr >> 5) & 0x1F, w & 0x1F);
                    }
                    f => panic!("{f:?} in AArch64 code: {}", ctx()),
                }
            }
        }
    }
}

#[test]
fn holes_are_sorted_inside_their_bodies_and_kinds_match_patch_functions() {
    for set in all_sets() {
        for (name, g) in groups(set) {
            let what = format!("{} {} {name}", set.version, set.target);
            for st in [&g.code, &g.data] {
                assert!(
                    st.holes.windows(2).all(|w| w[0].offset <= w[1].offset),
                    "{what}: unsorted"
                );
            }
            for h in &g.code.holes {
                assert!(h.offset + 4 <= g.code.body.len(), "{what}");
                assert!(!h.kind_inferred);
                let expected = match h.func {
                    PatchFn::Aarch64Trampoline => PatchFn::Aarch64_26r,
                    PatchFn::X86_64Trampoline => PatchFn::P32r,
                    PatchFn::Aarch64_33rx => PatchFn::Aarch64_21rx,
                    f => f,
                };
                assert_eq!(
                    PatchFn::for_relocation(&h.kind),
                    Some(expected),
                    "{what}: {} for {}",
                    h.kind,
                    h.func.name()
                );
                assert_eq!(
                    h.kind.starts_with("R_"),
                    !set.target.is_darwin() || h.kind.starts_with("R_AARCH64_MOVW"),
                    "{what}: {}",
                    h.kind
                );
            }
            for h in &g.data.holes {
                if h.func == PatchFn::GotSymbol {
                    assert_eq!(h.offset, 0);
                    assert!(matches!(h.special, Some(HoleSpecial::GotFill { .. })));
                } else {
                    assert_eq!(h.func, PatchFn::P64, "{what}");
                    assert_eq!(h.offset % 8, 0, "{what}");
                    assert!(h.offset + 8 <= g.data.body.len(), "{what}");
                }
            }
            assert_eq!(g.data.body.len() % 8, 0, "{what}: data padded to 8");
            assert!(!g.shape.is_empty());
        }
    }
}

#[test]
fn masks_are_the_ordinals_the_holes_use() {
    for set in all_sets() {
        assert!(set.symbols.len() <= 128);
        for (name, g) in groups(set) {
            let what = format!("{} {} {name}", set.version, set.target);
            let mut tramp = SymbolMask::default();
            let mut got = SymbolMask::default();
            let mut fills = SymbolMask::default();
            for h in g.code.holes.iter().chain(&g.data.holes) {
                let (ord, mask) = match h.special {
                    Some(HoleSpecial::Trampoline { ordinal }) => (ordinal, &mut tramp),
                    Some(HoleSpecial::GotSlot { ordinal, minus4 }) => {
                        assert_eq!(minus4, set.target.arch() == Arch::X86_64, "{what}");
                        (ordinal, &mut got)
                    }
                    Some(HoleSpecial::GotFill { ordinal }) => (ordinal, &mut fills),
                    None => continue,
                };
                mask.insert(ord);
                assert_eq!(
                    h.symbol.as_deref(),
                    Some(set.symbols[ord as usize].as_str()),
                    "{what}"
                );
            }
            assert_eq!(g.trampoline_mask, tramp, "{what}");
            assert_eq!(g.got_mask, got, "{what}");
            assert_eq!(
                g.got_mask, fills,
                "{what}: one patch_got_symbol per GOT slot"
            );
            assert_eq!(
                g.data
                    .holes
                    .iter()
                    .filter(|h| h.func == PatchFn::GotSymbol)
                    .count() as u32,
                got.count(),
                "{what}"
            );
        }
        let facts = cpyviz_model::jit::jit_facts(set.version, set.target);
        let any_tramp = set.groups.values().any(|g| !g.trampoline_mask.is_empty());
        assert_eq!(
            any_tramp, facts.trampolined_calls,
            "{} {}",
            set.version, set.target
        );
        let any_got = set.groups.values().any(|g| !g.got_mask.is_empty());
        assert_eq!(
            any_got,
            facts.trace_got && set.target != Target::X86_64Darwin,
            "{} {}",
            set.version,
            set.target
        );
    }
}

#[test]
fn ordinals_follow_first_use_and_only_cpython_symbols_take_one() {
    for set in all_sets() {
        let mut seen: Vec<String> = Vec::new();
        for (_, g) in groups(set) {
            for h in &g.code.holes {
                if matches!(
                    h.special,
                    Some(HoleSpecial::Trampoline { .. } | HoleSpecial::GotSlot { .. })
                ) {
                    let s = h.symbol.clone().unwrap();
                    if !seen.contains(&s) {
                        seen.push(s);
                    }
                }
            }
        }
        assert_eq!(seen, set.symbols, "{} {}", set.version, set.target);
        assert!(set.symbols.iter().all(|s| !is_model_helper(s)));
        // x86-64 3.14 has neither trampolines nor a trace GOT: no symbols_map entries.
        if set.target.arch() == Arch::X86_64 && set.version == PyVersion::V3_14 {
            assert!(set.symbols.is_empty());
        } else {
            assert!(
                set.symbols.iter().any(|s| s == "_Py_Dealloc"),
                "{:?}",
                set.symbols
            );
        }
    }
}

#[test]
fn version_differences_show_in_the_holes() {
    for set in all_sets() {
        let v15 = set.version == PyVersion::V3_15;
        for (name, g) in groups(set) {
            let what = format!("{} {} {name}", set.version, set.target);
            for h in g.code.holes.iter().chain(&g.data.holes) {
                if v15 {
                    assert!(
                        !matches!(h.value, HoleValue::Continue | HoleValue::Executor),
                        "{what}"
                    );
                } else {
                    assert_ne!(h.value, HoleValue::Got, "{what}");
                    assert!(
                        h.special.is_none() || set.target.arch() == Arch::Aarch64,
                        "{what}"
                    );
                }
            }
            // 3.14: a CONTINUE jump at the very end would be zero-length and removed.
            if !v15 {
                for h in &g.code.holes {
                    if h.value == HoleValue::Continue && h.func == PatchFn::P32r {
                        let jmp_end = h.offset + 4 == g.code.body.len();
                        let call = g.code.body[h.offset - 1] == 0xE8;
                        assert!(!jmp_end || call, "{what}: a CONTINUE jump at the end");
                    }
                }
            }
        }
        let validity = &set.groups[if v15 {
            "_CHECK_VALIDITY_r00"
        } else {
            "_CHECK_VALIDITY"
        }];
        assert_eq!(values_of(validity).contains(&HoleValue::Executor), !v15);
    }
}

fn group<'a>(set: &'a StencilSet, base: &str) -> Vec<(&'a str, &'a StencilGroup)> {
    set.groups
        .iter()
        .filter(|(k, _)| {
            *k == base
                || (k.starts_with(base)
                    && k.len() == base.len() + 4
                    && k[base.len()..].starts_with("_r"))
        })
        .map(|(k, g)| (k.as_str(), g))
        .collect()
}

#[test]
fn careful_shapes_have_their_parts() {
    use HoleValue::*;
    struct Want {
        base: &'static str,
        symbols: &'static [&'static str],
        values: &'static [HoleValue],
    }
    let common = [
        Want {
            base: "_GUARD_TOS_INT",
            symbols: &["PyLong_Type"],
            values: &[JumpTarget],
        },
        Want {
            base: "_GUARD_NOS_INT",
            symbols: &["PyLong_Type"],
            values: &[JumpTarget],
        },
        Want {
            base: "_SET_IP",
            symbols: &[],
            values: &[Operand0],
        },
        Want {
            base: "_CHECK_VALIDITY",
            symbols: &[],
            values: &[JumpTarget],
        },
        Want {
            base: "_CHECK_PERIODIC",
            symbols: &["_Py_HandlePending"],
            values: &[ErrorTarget],
        },
        Want {
            base: "_LOAD_FAST",
            symbols: &[],
            values: &[Oparg],
        },
        Want {
            base: "_POP_TOP",
            symbols: &["_Py_Dealloc"],
            values: &[],
        },
        Want {
            base: "_LOAD_CONST_INLINE_BORROW",
            symbols: &[],
            values: &[Operand0],
        },
        Want {
            base: "_COMPARE_OP_INT",
            symbols: &["_Py_TrueStruct", "_Py_FalseStruct"],
            values: &[Oparg],
        },
        Want {
            base: "_GUARD_IS_TRUE_POP",
            symbols: &["_Py_TrueStruct"],
            values: &[JumpTarget],
        },
        Want {
            base: "_GUARD_IS_FALSE_POP",
            symbols: &["_Py_FalseStruct"],
            values: &[JumpTarget],
        },
        Want {
            base: "_ITER_CHECK_RANGE",
            symbols: &["PyRangeIter_Type"],
            values: &[JumpTarget],
        },
        Want {
            base: "_GUARD_NOT_EXHAUSTED_RANGE",
            symbols: &[],
            values: &[JumpTarget],
        },
        Want {
            base: "_ITER_NEXT_RANGE",
            symbols: &["PyLong_FromLong"],
            values: &[ErrorTarget],
        },
        Want {
            base: "_JUMP_TO_TOP",
            symbols: &[],
            values: &[JumpTarget],
        },
        Want {
            base: "_EXIT_TRACE",
            symbols: &[],
            values: &[Operand0],
        },
        Want {
            base: "_DEOPT",
            symbols: &[],
            values: &[Target],
        },
        Want {
            base: "_ERROR_POP_N",
            symbols: &[],
            values: &[Oparg, Operand0],
        },
        Want {
            base: "_FATAL_ERROR",
            symbols: &["_Py_FatalErrorFunc"],
            values: &[],
        },
        Want {
            base: "_START_EXECUTOR",
            symbols: &[],
            values: &[],
        },
        Want {
            base: "_MAKE_WARM",
            symbols: &[],
            values: &[],
        },
    ];
    let v14 = [
        Want {
            base: "_BINARY_OP_ADD_INT",
            symbols: &["_PyLong_Add", "_PyLong_ExactDealloc"],
            values: &[ErrorTarget],
        },
        Want {
            base: "_BINARY_OP_SUBTRACT_INT",
            symbols: &["_PyLong_Subtract"],
            values: &[ErrorTarget],
        },
        Want {
            base: "_BINARY_OP_MULTIPLY_INT",
            symbols: &["_PyLong_Multiply"],
            values: &[ErrorTarget],
        },
        Want {
            base: "_COMPARE_OP_INT",
            symbols: &["_PyLong_ExactDealloc"],
            values: &[JumpTarget],
        },
        // 3.14's is empty under the JIT (`current_executor` is set only by the tier-2
        // interpreter).
        Want {
            base: "_START_EXECUTOR",
            symbols: &[],
            values: &[],
        },
        Want {
            base: "_STORE_FAST",
            symbols: &["_Py_Dealloc"],
            values: &[Oparg],
        },
        Want {
            base: "_STORE_FAST_3",
            symbols: &["_Py_Dealloc"],
            values: &[],
        },
        Want {
            base: "_MAKE_WARM",
            symbols: &[],
            values: &[Executor],
        },
    ];
    let v15 = [
        Want {
            base: "_BINARY_OP_ADD_INT",
            symbols: &["_PyCompactLong_Add"],
            values: &[JumpTarget],
        },
        Want {
            base: "_BINARY_OP_SUBTRACT_INT",
            symbols: &["_PyCompactLong_Subtract"],
            values: &[JumpTarget],
        },
        Want {
            base: "_BINARY_OP_MULTIPLY_INT",
            symbols: &["_PyCompactLong_Multiply"],
            values: &[JumpTarget],
        },
        Want {
            base: "_BINARY_OP_ADD_INT_INPLACE",
            symbols: &[],
            values: &[JumpTarget],
        },
        Want {
            base: "_BINARY_OP_SUBTRACT_INT_INPLACE_RIGHT",
            symbols: &[],
            values: &[JumpTarget],
        },
        Want {
            base: "_POP_TOP_INT",
            symbols: &["_PyLong_ExactDealloc"],
            values: &[],
        },
        Want {
            base: "_START_EXECUTOR",
            symbols: &[],
            values: &[JumpTarget],
        },
        Want {
            base: "_DYNAMIC_EXIT",
            symbols: &[],
            values: &[Operand0],
        },
        Want {
            base: "_SPILL_OR_RELOAD",
            symbols: &[],
            values: &[],
        },
        Want {
            base: "_SWAP_FAST",
            symbols: &[],
            values: &[Oparg],
        },
        Want {
            base: "_SWAP_FAST_2",
            symbols: &[],
            values: &[],
        },
        Want {
            base: "_POP_TOP_NOP",
            symbols: &[],
            values: &[],
        },
    ];
    for set in all_sets() {
        let extra: &[Want] = if set.version == PyVersion::V3_15 {
            &v15
        } else {
            &v14
        };
        for want in common.iter().chain(extra) {
            let gs = group(set, want.base);
            assert!(
                !gs.is_empty(),
                "{} {}: no {}",
                set.version,
                set.target,
                want.base
            );
            for (name, g) in gs {
                let what = || {
                    format!(
                        "{} {} {name}:\n{}",
                        set.version,
                        set.target,
                        listing(set, g)
                    )
                };
                assert!(g.shape.starts_with("careful"), "{}: {}", what(), g.shape);
                let syms = symbols_of(g);
                for s in want.symbols {
                    assert!(syms.contains(*s), "{}: no {s}", what());
                }
                let vals = values_of(g);
                for v in want.values {
                    assert!(vals.contains(v), "{}: no {v:?} hole", what());
                }
            }
        }
        // _FATAL_ERROR is emitted with instruction NULL: only CODE/DATA/symbol holes.
        for (name, g) in group(set, "_FATAL_ERROR") {
            assert!(
                g.code
                    .holes
                    .iter()
                    .all(|h| matches!(h.value, HoleValue::Data | HoleValue::Zero | HoleValue::Got)),
                "{name}"
            );
            let text = String::from_utf8_lossy(&g.data.body);
            assert!(text.contains("Fatal error uop executed."), "{name}: {text}");
        }
    }
}

#[test]
fn generic_groups_call_their_model_helper() {
    for set in all_sets() {
        let mut generic = 0;
        for (name, g) in &set.groups {
            let base = set
                .version
                .profile()
                .tables
                .uop_by_name(name)
                .and_then(|u| {
                    u.uncached
                        .and_then(|b| set.version.profile().tables.uop(b))
                        .or(Some(u))
                })
                .unwrap();
            if g.shape.starts_with("generic") {
                generic += 1;
                assert!(!shapes::is_careful(base.name), "{name}");
                let helper = helper_symbol(base.name);
                let h = g
                    .code
                    .holes
                    .iter()
                    .chain(&g.data.holes)
                    .find(|h| h.symbol.as_deref() == Some(helper.as_str()))
                    .unwrap_or_else(|| panic!("{name}: no call of {helper}"));
                assert!(
                    h.special.is_none(),
                    "{name}: a model helper takes no ordinal"
                );
                assert!(matches!(h.func, PatchFn::P64 | PatchFn::Aarch64_16a));
                let vals = values_of(g);
                assert!(vals.contains(&HoleValue::Oparg), "{name}");
                assert_eq!(
                    vals.contains(&HoleValue::ErrorTarget),
                    base.flags & cpyviz_model::tables::flags::HAS_ERROR != 0,
                    "{name}"
                );
                let exits = base.flags
                    & (cpyviz_model::tables::flags::HAS_EXIT
                        | cpyviz_model::tables::flags::HAS_DEOPT)
                    != 0;
                assert_eq!(vals.contains(&HoleValue::JumpTarget), exits, "{name}");
            } else {
                assert!(shapes::is_careful(base.name), "{name}: {}", g.shape);
            }
        }
        assert!(generic > 200, "{} {}", set.version, set.target);
        assert_eq!(helper_symbol("_LOAD_ATTR"), "cpyviz_uop__LOAD_ATTR");
    }
}

/// The x86-64 instructions of a group, formatted.
fn x86_text(g: &StencilGroup) -> Vec<String> {
    let mut f = IntelFormatter::new();
    x86_decode(&g.code.body)
        .into_iter()
        .map(|(_, i, _)| {
            let mut s = String::new();
            f.format(&i, &mut s);
            s
        })
        .collect()
}

#[test]
fn x86_64_3_15_uses_cpythons_registers() {
    let set = stencils(PyVersion::V3_15, Target::X86_64Linux);
    let text = |name: &str| x86_text(&set.groups[name]);
    // tstate->current_executor = executor (r15 = tstate, r12 = executor)
    assert_eq!(text("_START_EXECUTOR_r00")[0], "mov [r15+130h],r12");
    // a guard compares ob_type with PyLong_Type (a 64-bit immediate) and exits
    let guard = text("_GUARD_TOS_INT_r11");
    assert!(
        guard
            .iter()
            .any(|l| l.starts_with("cmp [") && l.contains("+8],")),
        "{guard:?}"
    );
    assert!(guard.iter().any(|l| l.starts_with("jne ")), "{guard:?}");
    // _SET_IP: operand0 into frame->instr_ptr (r13 = frame)
    assert!(text("_SET_IP_r00").contains(&"mov [r13+38h],rax".to_string()));
    // the cached item of _LOAD_FAST_BORROW_0_r01 goes to rdi, tagged
    let load = text("_LOAD_FAST_BORROW_0_r01");
    assert_eq!(load, ["mov rdi,[r13+50h]", "or rdi,1"]);
    let load = text("_LOAD_FAST_BORROW_0_r12");
    assert_eq!(load, ["mov rsi,[r13+50h]", "or rsi,1"]);
    // reloading two items under a cached one: rdx <- rdi, then the two loads, r14 -= 16
    let reload = text("_SPILL_OR_RELOAD_r13");
    let at = |l: &str| {
        reload
            .iter()
            .position(|x| x == l)
            .unwrap_or_else(|| panic!("{l}: {reload:?}"))
    };
    assert!(at("mov rdx,rdi") < at("mov rdi,[r14-10h]"));
    assert!(reload.contains(&"mov rdi,[r14-10h]".to_string()));
    assert!(reload.contains(&"mov rsi,[r14-8]".to_string()));
    assert!(reload.last().unwrap().starts_with("add r14,"));
    // spilling two: stores at [r14] and [r14+8], r14 += 16
    assert_eq!(
        text("_SWAP_FAST_1_r01"),
        [
            "mov rax,[r14-8]",
            "mov rdi,[r13+58h]",
            "mov [r13+58h],rax",
            "add r14,0FFFFFFFFFFFFFFF8h"
        ]
    );
    assert_eq!(
        text("_SPILL_OR_RELOAD_r20"),
        ["mov [r14],rdi", "mov [r14+8],rsi", "add r14,10h"]
    );
    // 3.15's STORE_FAST half: the old local replaces the top item, in the same register
    assert_eq!(
        text("_SWAP_FAST_1_r11"),
        ["mov r10,[r13+58h]", "mov [r13+58h],rdi", "mov rdi,r10"]
    );
    // a generic uop saves the stack pointer in frame->stackpointer first
    let generic = text("_LOAD_ATTR_r10");
    assert_eq!(generic[0], "mov [r14],rdi");
    assert!(
        generic.contains(&"mov [r13+40h],r14".to_string()),
        "{generic:?}"
    );
    assert!(generic.contains(&"call rax".to_string()), "{generic:?}");
    // the entry trampoline calls executor->jit_code
    let entry = x86_text(set.entry.as_ref().unwrap());
    assert!(
        entry.contains(&"call qword ptr [r12+58h]".to_string()),
        "{entry:?}"
    );
    assert_eq!(entry.last().unwrap(), "ret");
    // runtime calls go through the trace GOT
    let add = &set.groups["_BINARY_OP_ADD_INT_r23"];
    assert!(x86_text(add)
        .iter()
        .any(|l| l.starts_with("call qword ptr [")));
    assert!(!add.got_mask.is_empty());
}

#[test]
fn x86_64_3_14_uses_its_registers_and_stencil_got() {
    let set = stencils(PyVersion::V3_14, Target::X86_64Linux);
    let g = &set.groups["_GUARD_TOS_INT"];
    let text = x86_text(g);
    assert_eq!(text[0], "mov r10,[r13-8]", "{text:?}");
    // PyLong_Type through the stencil's own GOT word: a data hole with the symbol and a
    // code hole at DATA + offset - 4.
    let data = g
        .data
        .holes
        .iter()
        .find(|h| h.symbol.as_deref() == Some("PyLong_Type"))
        .unwrap();
    let code = g
        .code
        .holes
        .iter()
        .find(|h| h.func == PatchFn::X86_64_32rx)
        .unwrap();
    assert_eq!(code.value, HoleValue::Data);
    assert_eq!(code.addend, data.offset as i64 - 4);
    assert_eq!(code.kind, "R_X86_64_REX_GOTPCRELX");
    // the shim moves the native arguments into r12..r14 and calls the uop code after it
    let shim = x86_text(set.entry.as_ref().unwrap());
    for l in ["mov r12,rdi", "mov r13,rsi", "mov r14,rdx"] {
        assert!(shim.contains(&l.to_string()), "{shim:?}");
    }
    let cont = set
        .entry
        .as_ref()
        .unwrap()
        .code
        .holes
        .iter()
        .find(|h| h.value == HoleValue::Continue)
        .unwrap();
    assert_eq!(cont.func, PatchFn::P32r);
    let darwin = stencils(PyVersion::V3_14, Target::X86_64Darwin);
    let g = &darwin.groups["_POP_TOP"];
    assert!(g.code.holes.iter().any(|h| h.kind == "X86_64_RELOC_GOT"));
    assert!(darwin.groups["_GUARD_TOS_INT"]
        .code
        .holes
        .iter()
        .any(|h| h.kind == "X86_64_RELOC_GOT_LOAD"));
}

#[test]
fn x86_64_darwin_3_15_calls_through_trampolines() {
    let set = stencils(PyVersion::V3_15, Target::X86_64Darwin);
    let g = &set.groups["_BINARY_OP_ADD_INT_r23"];
    let h = g
        .code
        .holes
        .iter()
        .find(|h| h.func == PatchFn::X86_64Trampoline)
        .unwrap();
    assert_eq!(h.kind, "X86_64_RELOC_BRANCH");
    let Some(HoleSpecial::Trampoline { ordinal }) = h.special else {
        panic!()
    };
    assert_eq!(set.symbols[ordinal as usize], "_PyCompactLong_Add");
    assert!(g.trampoline_mask.contains(ordinal));
    assert!(g.got_mask.is_empty());
    assert_eq!(g.code.body[h.offset - 1], 0xE8, "call rel32");
}

#[test]
fn aarch64_holes_are_cpythons_kinds() {
    let s15 = stencils(PyVersion::V3_15, Target::Aarch64Linux);
    let g = &s15.groups["_GUARD_TOS_INT_r11"];
    let kinds: Vec<&str> = g.code.holes.iter().map(|h| h.kind.as_str()).collect();
    assert!(
        kinds.contains(&"R_AARCH64_ADR_GOT_PAGE") && kinds.contains(&"R_AARCH64_LD64_GOT_LO12_NC"),
        "{kinds:?}"
    );
    assert!(kinds.contains(&"R_AARCH64_CONDBR19"), "{kinds:?}");
    assert!(!g.got_mask.is_empty());
    let g = &s15.groups["_SET_IP_r00"];
    let funcs: Vec<PatchFn> = g.code.holes.iter().map(|h| h.func).collect();
    assert_eq!(
        funcs,
        [
            PatchFn::Aarch64_16a,
            PatchFn::Aarch64_16b,
            PatchFn::Aarch64_16c,
            PatchFn::Aarch64_16d
        ]
    );
    assert!(g.code.holes.iter().all(|h| h.value == HoleValue::Operand0));
    let call = s15.groups["_ITER_NEXT_RANGE_r03"]
        .code
        .holes
        .iter()
        .find(|h| h.func == PatchFn::Aarch64Trampoline)
        .unwrap();
    assert_eq!(call.kind, "R_AARCH64_CALL26");

    let s14 = stencils(PyVersion::V3_14, Target::Aarch64Darwin);
    let g = &s14.groups["_GUARD_TOS_INT"];
    let rx = g
        .code
        .holes
        .iter()
        .find(|h| h.func == PatchFn::Aarch64_33rx)
        .unwrap();
    assert_eq!(
        (rx.kind.as_str(), rx.value),
        ("ARM64_RELOC_GOT_LOAD_PAGE21", HoleValue::Data)
    );
    let word = g
        .data
        .holes
        .iter()
        .find(|h| h.symbol.as_deref() == Some("PyLong_Type"))
        .unwrap();
    assert_eq!(rx.addend, word.offset as i64);
    // 3.14 conditional exits hop over a `b` (26r, no 19r in 3.14's jit.c)
    assert!(g.code.holes.iter().any(|h| h.func == PatchFn::Aarch64_26r
        && h.value == HoleValue::JumpTarget
        && h.kind == "ARM64_RELOC_BRANCH26"));
    let fatal = &s14.groups["_FATAL_ERROR"];
    let f: Vec<PatchFn> = fatal.code.holes.iter().map(|h| h.func).collect();
    assert!(
        f.contains(&PatchFn::Aarch64_21r)
            && f.contains(&PatchFn::Aarch64_12)
            && f.contains(&PatchFn::Aarch64Trampoline),
        "{f:?}"
    );
}

#[test]
fn building_again_gives_the_same_set() {
    for (v, t) in [
        (PyVersion::V3_15, Target::Aarch64Darwin),
        (PyVersion::V3_14, Target::X86_64Linux),
    ] {
        assert_eq!(&build(v, t).unwrap(), stencils(v, t));
    }
}

#[test]
fn variant_depths_come_from_the_name() {
    assert_eq!(depths("_BINARY_OP_ADD_INT_r23"), Ok((2, 3)));
    assert_eq!(depths("_LOAD_FAST_BORROW_0_r01"), Ok((0, 1)));
    assert!(depths("_LOAD_FAST").is_err());
    assert!(depths("_X_r2").is_err());
    assert!(depths("_X_rab").is_err());
}

#[test]
fn symbols_beyond_the_mask_are_refused() {
    let mut s = Symbols::default();
    for i in 0..128 {
        assert_eq!(s.ordinal(&format!("sym{i}")), Ok(i));
    }
    assert_eq!(s.ordinal("sym5"), Ok(5));
    assert!(s.ordinal("one_too_many").unwrap_err().contains("128"));
}

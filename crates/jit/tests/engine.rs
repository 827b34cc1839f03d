//! The copy-and-patch engine against small stencil sets built here: x86-64 stencils assembled
//! with iced-x86's code assembler, AArch64 stencils from the word encoders below. Every patched
//! branch and load is checked by disassembling the result and comparing its target.

use cpyviz_jit::compile::{compile, hole_call, value_expr};
use cpyviz_jit::disasm::{disassemble, DisLine};
use cpyviz_jit::memory::{preset, with_region};
use cpyviz_jit::patch::{self, Buf};
use cpyviz_jit::trace::TraceUop;
use cpyviz_model::jit::*;
use cpyviz_model::version::PyVersion;
use iced_x86::code_asm::*;
use iced_x86::BlockEncoderOptions;
use std::collections::BTreeMap;

// ----- building stencils -----

fn hole(func: PatchFn, value: HoleValue) -> Hole {
    Hole {
        offset: 0,
        kind: String::new(),
        kind_inferred: false,
        func,
        value,
        symbol: None,
        addend: 0,
        special: None,
        offset2: None,
    }
}

fn with_sym(mut h: Hole, s: &str) -> Hole {
    h.symbol = Some(s.to_string());
    h
}

fn with_addend(mut h: Hole, a: i64) -> Hole {
    h.addend = a;
    h
}

fn special(mut h: Hole, s: HoleSpecial) -> Hole {
    h.special = Some(s);
    h
}

fn got_fill(ordinal: u32) -> Hole {
    special(
        hole(PatchFn::GotSymbol, HoleValue::Zero),
        HoleSpecial::GotFill { ordinal },
    )
}

/// Where a hole is in the instruction it is marked on.
enum At {
    /// The last 4 bytes (a rel32 branch/call, or a rip-relative operand with no immediate).
    End4,
    /// The immediate.
    Imm,
}

/// An x86-64 stencil: instructions assembled by iced-x86, holes marked on the instruction
/// emitted next.
struct X86 {
    a: CodeAssembler,
    marks: Vec<(usize, At, Hole)>,
}

impl X86 {
    fn new() -> X86 {
        let mut a = CodeAssembler::new(64).unwrap();
        a.set_prefer_short_branch(false);
        X86 {
            a,
            marks: Vec::new(),
        }
    }

    /// Marks a hole on the next instruction.
    fn mark(&mut self, at: At, h: Hole) {
        let i = self.a.instructions().len();
        self.marks.push((i, at, h));
    }

    /// A label on the next instruction, for rip-relative operands and branches whose
    /// displacement is 0 before patching (like CPython's stencils, whose holes are zero).
    fn label_after(&mut self) -> CodeLabel {
        self.a.create_label()
    }

    fn finish(mut self) -> Stencil {
        let r = self
            .a
            .assemble_options(
                0,
                BlockEncoderOptions::RETURN_NEW_INSTRUCTION_OFFSETS
                    | BlockEncoderOptions::RETURN_CONSTANT_OFFSETS
                    // Keep rel32 branches rel32 (the encoder would shorten them).
                    | BlockEncoderOptions::DONT_FIX_BRANCHES,
            )
            .unwrap();
        let body = r.inner.code_buffer;
        let offs = r.inner.new_instruction_offsets;
        let consts = r.inner.constant_offsets;
        let mut holes: Vec<Hole> = self
            .marks
            .into_iter()
            .map(|(i, at, mut h)| {
                let start = offs[i] as usize;
                let end = offs.get(i + 1).map_or(body.len(), |&o| o as usize);
                h.offset = match at {
                    At::End4 => end - 4,
                    At::Imm => start + consts[i].immediate_offset(),
                };
                h
            })
            .collect();
        holes.sort_by_key(|h| h.offset);
        Stencil {
            body,
            holes,
            disassembly: Vec::new(),
        }
    }
}

// AArch64 encodings (ARM A64), every immediate zero, as in an unpatched stencil.
/// `b #0`: `000101 imm26`.
const A_B: u32 = 0x1400_0000;
/// `bl #0`: `100101 imm26`.
const A_BL: u32 = 0x9400_0000;
/// `ret` (x30).
const A_RET: u32 = 0xD65F_03C0;
/// `brk #0`.
const A_BRK: u32 = 0xD420_0000;
/// `nop`.
const A_NOP: u32 = 0xD503_201F;
/// `b.<cond> #0`: `0101010 0 imm19 0 cond` (cond 1 = ne).
fn a_bcond(cond: u32) -> u32 {
    0x5400_0000 | cond
}
/// `cbz xT, #0`: `1 011010 0 imm19 Rt`.
fn a_cbz(rt: u32) -> u32 {
    0xB400_0000 | rt
}
/// `adrp xD, #0`: `1 immlo 10000 immhi Rd`.
fn a_adrp(rd: u32) -> u32 {
    0x9000_0000 | rd
}
/// `ldr xT, [xN, #0]` (64-bit, unsigned offset): `11 111 0 01 01 imm12 Rn Rt`.
fn a_ldr(rt: u32, rn: u32) -> u32 {
    0xF940_0000 | (rn << 5) | rt
}
/// `add xD, xN, #0`: `1 0 0 100010 0 imm12 Rn Rd`.
fn a_add(rd: u32, rn: u32) -> u32 {
    0x9100_0000 | (rn << 5) | rd
}
/// `movz xD, #0, lsl #(16 * hw)`: `1 10 100101 hw imm16 Rd`.
fn a_movz(rd: u32, hw: u32) -> u32 {
    0xD280_0000 | (hw << 21) | rd
}
/// `movk xD, #0, lsl #(16 * hw)`: `1 11 100101 hw imm16 Rd`.
fn a_movk(rd: u32, hw: u32) -> u32 {
    0xF280_0000 | (hw << 21) | rd
}

/// An AArch64 stencil: words, and holes at word indexes.
fn a64(words: &[u32], holes: Vec<(usize, Hole)>) -> Stencil {
    let body = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let mut holes: Vec<Hole> = holes
        .into_iter()
        .map(|(i, mut h)| {
            h.offset = 4 * i;
            h
        })
        .collect();
    holes.sort_by_key(|h| h.offset);
    Stencil {
        body,
        holes,
        disassembly: Vec::new(),
    }
}

fn data(body: Vec<u8>, holes: Vec<Hole>) -> Stencil {
    Stencil {
        body,
        holes,
        disassembly: Vec::new(),
    }
}

fn group(code: Stencil, data: Stencil) -> StencilGroup {
    StencilGroup {
        code,
        data,
        ..Default::default()
    }
}

fn mask(ords: &[u32]) -> SymbolMask {
    let mut m = SymbolMask::default();
    for &o in ords {
        m.insert(o);
    }
    m
}

fn set(
    version: PyVersion,
    target: Target,
    groups: Vec<(&str, StencilGroup)>,
    entry: Option<StencilGroup>,
    symbols: &[&str],
) -> StencilSet {
    StencilSet {
        version,
        target,
        origin: StencilOrigin::Builtin,
        groups: groups
            .into_iter()
            .map(|(n, g)| (n.to_string(), g))
            .collect::<BTreeMap<_, _>>(),
        entry,
        symbols: symbols.iter().map(|s| s.to_string()).collect(),
    }
}

fn uop(name: &str) -> TraceUop {
    TraceUop {
        name: name.into(),
        stencil: name.into(),
        ..Default::default()
    }
}

/// 3.15 names: `uop("_X_r00")` has stencil `_X_r00`, base name `_X`.
fn uop15(stencil: &str) -> TraceUop {
    let base = stencil.rsplit_once("_r").map_or(stencil, |(b, _)| b);
    TraceUop {
        name: base.into(),
        stencil: stencil.into(),
        ..Default::default()
    }
}

fn x86_fatal() -> StencilGroup {
    let mut s = X86::new();
    s.a.ud2().unwrap();
    group(s.finish(), Stencil::default())
}

fn a64_fatal() -> StencilGroup {
    group(a64(&[A_BRK], vec![]), Stencil::default())
}

fn code_of<'r>(r: &'r Region, g: &PlacedGroup) -> &'r [u8] {
    &r.bytes[g.code.clone()]
}

fn dis(r: &Region, g: &PlacedGroup) -> Vec<DisLine> {
    disassemble(r.target.arch(), code_of(r, g), r.base + g.code.start as u64)
}

fn line_at(lines: &[DisLine], offset: usize) -> &DisLine {
    lines
        .iter()
        .find(|l| l.offset <= offset && offset < l.offset + l.len)
        .unwrap_or_else(|| panic!("no instruction at +{offset:#x} in {lines:#?}"))
}

fn read_u64(r: &Region, addr: u64) -> u64 {
    let o = (addr - r.base) as usize;
    u64::from_le_bytes(r.bytes[o..o + 8].try_into().unwrap())
}

fn mem_with(base: &MemoryModel, symbols: &[(&str, u64)]) -> MemoryModel {
    let mut m = base.clone();
    for (n, a) in symbols {
        m.symbols.insert(n.to_string(), *a);
    }
    m
}

// ----- x86-64, 3.15: GOT loads, relaxation, jumps -----

fn x86_315_set(target: Target) -> StencilSet {
    let start = {
        let mut s = X86::new();
        s.a.mov(qword_ptr(r15 + 0x130), r12).unwrap();
        group(s.finish(), Stencil::default())
    };
    let guard = {
        let mut s = X86::new();
        s.mark(
            At::Imm,
            with_sym(hole(PatchFn::P64, HoleValue::Zero), "PyLong_Type"),
        );
        s.a.add_instruction(
            iced_x86::Instruction::with2(
                iced_x86::Code::Mov_r64_imm64,
                iced_x86::Register::RCX,
                0u64,
            )
            .unwrap(),
        )
        .unwrap();
        s.a.cmp(qword_ptr(rax + 8), rcx).unwrap();
        let mut l = s.label_after();
        s.mark(
            At::End4,
            with_addend(hole(PatchFn::P32r, HoleValue::JumpTarget), -4),
        );
        s.a.jne(l).unwrap();
        s.a.set_label(&mut l).unwrap();
        s.a.nop().unwrap();
        group(s.finish(), Stencil::default())
    };
    let call = {
        let mut s = X86::new();
        let mut l = s.label_after();
        s.mark(
            At::End4,
            special(
                hole(PatchFn::X86_64_32rx, HoleValue::Zero),
                HoleSpecial::GotSlot {
                    ordinal: 0,
                    minus4: true,
                },
            ),
        );
        s.a.call(qword_ptr(l)).unwrap();
        s.a.set_label(&mut l).unwrap();
        s.a.mov(rdi, rax).unwrap();
        let mut g = group(s.finish(), data(vec![], vec![got_fill(0)]));
        g.got_mask = mask(&[0]);
        g
    };
    let load = {
        let mut s = X86::new();
        let mut l = s.label_after();
        s.mark(
            At::End4,
            special(
                hole(PatchFn::X86_64_32rx, HoleValue::Zero),
                HoleSpecial::GotSlot {
                    ordinal: 1,
                    minus4: true,
                },
            ),
        );
        s.a.mov(rax, qword_ptr(l)).unwrap();
        s.a.set_label(&mut l).unwrap();
        s.a.mov(rsi, rax).unwrap();
        let mut g = group(s.finish(), data(vec![], vec![got_fill(1)]));
        g.got_mask = mask(&[1]);
        g
    };
    let operand = {
        let mut s = X86::new();
        s.mark(At::Imm, hole(PatchFn::P64, HoleValue::Operand0));
        s.a.add_instruction(
            iced_x86::Instruction::with2(
                iced_x86::Code::Mov_r64_imm64,
                iced_x86::Register::RAX,
                0u64,
            )
            .unwrap(),
        )
        .unwrap();
        s.mark(At::Imm, hole(PatchFn::P32, HoleValue::Oparg));
        s.a.mov(esi, 0x7fff_ffffu32).unwrap();
        group(s.finish(), Stencil::default())
    };
    let exit = {
        let mut s = X86::new();
        s.a.ret().unwrap();
        group(s.finish(), Stencil::default())
    };
    set(
        PyVersion::V3_15,
        target,
        vec![
            ("_START_EXECUTOR_r00", start),
            ("_GUARD_TYPE_r11", guard),
            ("_CALL_ADD_r21", call),
            ("_LOAD_TYPE_r01", load),
            ("_LOAD_OPERAND_r01", operand),
            ("_EXIT_TRACE_r00", exit),
            ("_FATAL_ERROR_r00", x86_fatal()),
        ],
        None,
        &["_PyLong_Add", "PyLong_Type"],
    )
}

fn x86_315_trace() -> Vec<TraceUop> {
    let mut guard = uop15("_GUARD_TYPE_r11");
    guard.jump_target = 5;
    let mut operand = uop15("_LOAD_OPERAND_r01");
    operand.oparg = 7;
    operand.operand0 = 0x7f12_3456_7890;
    vec![
        uop15("_START_EXECUTOR_r00"),
        guard,
        uop15("_CALL_ADD_r21"),
        uop15("_LOAD_TYPE_r01"),
        operand,
        uop15("_EXIT_TRACE_r00"),
    ]
}

#[test]
fn x86_315_near_relaxes_got_loads_and_jumps_land() {
    let set = x86_315_set(Target::X86_64Linux);
    let mem = preset(PyVersion::V3_15, Target::X86_64Linux, "near").unwrap();
    let r = compile(&x86_315_trace(), &set, &mem).unwrap();
    assert_eq!(r.uops.len(), 6);
    assert!(r.shim.is_none());
    assert!(r.trampolines.is_empty());
    let add = mem.symbol_address("_PyLong_Add", Some(0));
    let ty = mem.symbol_address("PyLong_Type", Some(1));

    // GOT: two slots right after the data, in ordinal order, holding the addresses.
    assert_eq!(r.got.len(), 2);
    assert_eq!(r.layout.got.start, r.layout.data.end);
    for (i, g) in r.got.iter().enumerate() {
        assert_eq!(g.ordinal, i as u32);
        assert_eq!(g.address, r.base + (r.layout.got.start + 8 * i) as u64);
        assert_eq!(read_u64(&r, g.address), g.value);
    }
    assert_eq!(r.got[0].value, add);
    assert_eq!(r.got[1].value, ty);

    // The guard: `mov rcx, &PyLong_Type`, `jne` → uop 5.
    let g = &r.uops[1];
    let lines = dis(&r, g);
    let mov = &g.holes[0];
    assert_eq!(
        mov.destination,
        Destination::Symbol {
            name: "PyLong_Type".into(),
            offset: 0
        }
    );
    assert_eq!(mov.expr, "(uintptr_t)&PyLong_Type");
    assert!(line_at(&lines, mov.at - g.code.start)
        .text
        .starts_with("mov rcx, 0x"));
    assert_eq!(mov.after[2..10], ty.to_le_bytes());
    let jne = &g.holes[1];
    assert_eq!(
        jne.expr,
        "state->instruction_starts[instruction->jump_target] + -0x4"
    );
    let l = line_at(&lines, jne.at - g.code.start);
    assert!(l.text.starts_with("jne "), "{}", l.text);
    assert_eq!(l.branch_target, Some(r.base + r.uops[5].code.start as u64));
    assert_eq!(jne.destination, Destination::Uop(5));
    assert!(jne.note.contains("uop 5 _EXIT_TRACE"), "{}", jne.note);
    assert_eq!(jne.before, vec![0x0F, 0x85, 0, 0, 0, 0]);

    // call [rip+GOT] → nop; call _PyLong_Add.
    let c = &r.uops[2];
    let h = &c.holes.iter().find(|h| !h.in_data).unwrap();
    assert_eq!(h.via, Via::Relaxed);
    assert_eq!(h.expr, "got_symbol_address(0x0, state) - 4");
    assert_eq!(&h.before[..2], &[0xFF, 0x15]);
    assert_eq!(&h.after[..2], &[0x90, 0xE8]);
    let lines = dis(&r, c);
    assert_eq!(lines[0].text, "nop");
    assert!(lines[1].text.starts_with("call 0x"));
    assert_eq!(lines[1].branch_target, Some(add));
    assert_eq!(
        h.destination,
        Destination::Symbol {
            name: "_PyLong_Add".into(),
            offset: 0
        }
    );
    // Its data "hole": patch_got_symbol into slot 0.
    let fill = c.holes.iter().find(|h| h.in_data).unwrap();
    assert_eq!(fill.at, r.layout.got.start);
    assert_eq!(fill.after, add.to_le_bytes());
    assert_eq!(fill.before, vec![0; 8]);
    assert_eq!(hole_call(&fill.hole, true), "patch_got_symbol(state, 0x0);");

    // mov rax, [rip+GOT] → lea rax, [rip+X] = &PyLong_Type.
    let ld = &r.uops[3];
    let lines = dis(&r, ld);
    assert!(
        lines[0].text.starts_with("lea rax, [rip"),
        "{}",
        lines[0].text
    );
    assert_eq!(lines[0].mem_target, Some(ty));

    // Operands: values, not addresses.
    let op = &r.uops[4];
    let lines = dis(&r, op);
    assert_eq!(lines[0].text, "mov rax, 0x7f1234567890");
    assert_eq!(lines[1].text, "mov esi, 7");
    assert!(op.holes.iter().all(|h| h.destination == Destination::Value));
    assert_eq!(op.holes[1].expr, "instruction->oparg");
}

#[test]
fn x86_315_far_keeps_got_loads() {
    let set = x86_315_set(Target::X86_64Linux);
    let mem = preset(PyVersion::V3_15, Target::X86_64Linux, "far").unwrap();
    let r = compile(&x86_315_trace(), &set, &mem).unwrap();
    let c = &r.uops[2];
    let h = c.holes.iter().find(|h| !h.in_data).unwrap();
    assert_eq!(h.via, Via::Direct);
    let lines = dis(&r, c);
    assert!(
        lines[0].text.starts_with("call qword ptr [rip"),
        "{}",
        lines[0].text
    );
    assert_eq!(lines[0].mem_target, Some(r.got[0].address));
    assert_eq!(h.destination, Destination::Got(0));
    let ld = &r.uops[3];
    let lines = dis(&r, ld);
    assert!(
        lines[0].text.starts_with("mov rax, [rip"),
        "{}",
        lines[0].text
    );
    assert_eq!(lines[0].mem_target, Some(r.got[1].address));
    // The jump is local to the region: unaffected.
    let g = &r.uops[1];
    let jne = &g.holes[1];
    assert_eq!(
        line_at(&dis(&r, g), jne.at - g.code.start).branch_target,
        Some(r.base + r.uops[5].code.start as u64)
    );
}

// ----- trampolines at the range ends -----

/// A 3.15 set whose `_CALL_r00` calls `symbols_map[1]` through a trampoline patch, and
/// `_CALL0_r00` `symbols_map[0]`.
fn tramp_set(target: Target) -> StencilSet {
    let arm = target.arch() == Arch::Aarch64;
    let call = |ordinal: u32| -> StencilGroup {
        let h = special(
            hole(
                if arm {
                    PatchFn::Aarch64Trampoline
                } else {
                    PatchFn::X86_64Trampoline
                },
                HoleValue::Zero,
            ),
            HoleSpecial::Trampoline { ordinal },
        );
        let code = if arm {
            a64(&[A_NOP, A_BL, A_RET], vec![(1, h)])
        } else {
            let mut s = X86::new();
            s.a.nop().unwrap();
            let mut l = s.label_after();
            s.mark(At::End4, h);
            s.a.call(l).unwrap();
            s.a.set_label(&mut l).unwrap();
            s.a.ret().unwrap();
            s.finish()
        };
        let mut g = group(code, Stencil::default());
        g.trampoline_mask = mask(&[ordinal]);
        g
    };
    let fatal = if arm { a64_fatal() } else { x86_fatal() };
    set(
        PyVersion::V3_15,
        target,
        vec![
            ("_CALL0_r00", call(0)),
            ("_CALL_r00", call(1)),
            ("_FATAL_ERROR_r00", fatal),
        ],
        None,
        &["_PyFirst", "_PyTarget"],
    )
}

fn check_trampolines(target: Target, cases: &[(i64, bool)], extra: i64) {
    let set = tramp_set(target);
    let trace = vec![uop15("_CALL0_r00"), uop15("_CALL_r00")];
    let base = preset(PyVersion::V3_15, target, "near").unwrap();
    let probe = compile(&trace, &set, &base).unwrap();
    let call = &probe.uops[1];
    let loc = probe.base + call.holes[0].at as u64;
    for &(d, direct) in cases {
        // `d` is what jit.c compares: value - loc (AArch64), value - 4 - loc (x86-64).
        let value = (loc as i64 + d + extra) as u64;
        let mem = mem_with(&base, &[("_PyTarget", value)]);
        let r = compile(&trace, &set, &mem).unwrap();
        let g = &r.uops[1];
        let h = &g.holes[0];
        assert_eq!(r.base + h.at as u64, loc);
        // Both symbols have slots (ordinal 0 → index 0, ordinal 1 → index 1).
        assert_eq!(r.trampolines.len(), 2);
        let slot = &r.trampolines[1];
        assert_eq!((slot.ordinal, slot.index), (1, 1));
        assert_eq!(
            slot.address,
            r.base + r.layout.trampolines.start as u64 + 16
        );
        assert_eq!(r.layout.trampolines.start, r.layout.code.end);
        assert_eq!(slot.target, value);
        assert!(!r.trampolines[0].used, "{target}: _PyFirst is near");
        let lines = dis(&r, g);
        let l = line_at(&lines, h.at - g.code.start);
        let so = (slot.address - r.base) as usize;
        if direct {
            assert_eq!(h.via, Via::InRange, "{target} d={d:#x}");
            assert_eq!(l.branch_target, Some(value), "{target} d={d:#x}");
            assert!(!slot.used);
            assert!(r.bytes[so..so + 16].iter().all(|&b| b == 0));
            assert_eq!(
                h.destination,
                Destination::Symbol {
                    name: "_PyTarget".into(),
                    offset: 0
                }
            );
        } else {
            assert_eq!(h.via, Via::Trampoline, "{target} d={d:#x}");
            assert_eq!(l.branch_target, Some(slot.address), "{target} d={d:#x}");
            assert!(slot.used);
            assert_eq!(h.destination, Destination::Trampoline(1));
            assert!(h.note.contains("trampoline slot 1"), "{}", h.note);
            let slot_lines = disassemble(target.arch(), &r.bytes[so..so + 16], slot.address);
            if target.arch() == Arch::X86_64 {
                assert_eq!(&r.bytes[so..so + 6], &[0xFF, 0x25, 0, 0, 0, 0]);
                assert_eq!(r.bytes[so + 6..so + 14], value.to_le_bytes());
                assert_eq!(slot_lines[0].text, "jmp qword ptr [rip]");
                assert_eq!(slot_lines[0].mem_target, Some(slot.address + 6));
            } else {
                let w = |i: usize| {
                    u32::from_le_bytes(r.bytes[so + 4 * i..so + 4 * i + 4].try_into().unwrap())
                };
                assert_eq!(
                    [w(0), w(1), w(2), w(3)],
                    [0x5800_0048, 0xD61F_0100, value as u32, (value >> 32) as u32]
                );
                assert!(
                    slot_lines[0].text.starts_with("ldr x8, "),
                    "{}",
                    slot_lines[0].text
                );
                assert_eq!(slot_lines[0].mem_target, Some(slot.address + 8));
                assert_eq!(slot_lines[1].text, "br x8");
            }
            assert_eq!(
                read_u64(
                    &r,
                    slot.address + if target.arch() == Arch::X86_64 { 6 } else { 8 }
                ),
                value
            );
        }
    }
}

#[test]
fn x86_trampoline_exactly_when_out_of_rel32() {
    let two31 = 1i64 << 31;
    check_trampolines(
        Target::X86_64Darwin,
        &[
            (-two31, true),
            (two31 - 1, true),
            (two31, false),
            (-two31 - 1, false),
            (1 << 24, true),
        ],
        4,
    );
}

#[test]
fn aarch64_trampoline_exactly_when_out_of_rel26() {
    let two27 = 1i64 << 27;
    let cases = [
        (-two27, true),
        (two27 - 4, true),
        (two27, false),
        (-two27 - 4, false),
        (-(1 << 24), true),
    ];
    check_trampolines(Target::Aarch64Linux, &cases, 0);
    check_trampolines(Target::Aarch64Darwin, &cases, 0);
}

#[test]
fn x86_linux_315_has_no_trampolines_and_rejects_far_direct_calls() {
    // x86-64 Linux has TRAMPOLINE_SIZE 0: an out-of-range trampoline call cannot be placed.
    let set = tramp_set(Target::X86_64Linux);
    let trace = vec![uop15("_CALL0_r00")];
    let near = preset(PyVersion::V3_15, Target::X86_64Linux, "near").unwrap();
    let r = compile(&trace, &set, &near).unwrap();
    assert!(r.trampolines.is_empty());
    assert!(r.layout.trampolines.is_empty());
    assert_eq!(r.uops[0].holes[0].via, Via::InRange);
    let far = preset(PyVersion::V3_15, Target::X86_64Linux, "far").unwrap();
    let e = compile(&trace, &set, &far).unwrap_err();
    assert!(e.contains("no trampoline slot"), "{e}");
}

// ----- AArch64 branches to uops -----

#[test]
fn aarch64_branches_land_on_uop_starts() {
    let guard = group(
        a64(
            &[a_bcond(1), a_cbz(0), A_B],
            vec![
                (0, hole(PatchFn::Aarch64_19r, HoleValue::JumpTarget)),
                (1, hole(PatchFn::Aarch64_19r, HoleValue::ErrorTarget)),
                (2, hole(PatchFn::Aarch64_26r, HoleValue::JumpTarget)),
            ],
        ),
        Stencil::default(),
    );
    let plain = || group(a64(&[A_NOP, A_NOP], vec![]), Stencil::default());
    let s = set(
        PyVersion::V3_15,
        Target::Aarch64Linux,
        vec![
            ("_GUARD_r11", guard),
            ("_A_r00", plain()),
            ("_B_r00", plain()),
            ("_FATAL_ERROR_r00", a64_fatal()),
        ],
        None,
        &[],
    );
    let mut g = uop15("_GUARD_r11");
    g.jump_target = 3;
    g.error_target = 2;
    let trace = vec![uop15("_A_r00"), g, uop15("_B_r00"), uop15("_A_r00")];
    let mem = preset(PyVersion::V3_15, Target::Aarch64Linux, "near").unwrap();
    let r = compile(&trace, &s, &mem).unwrap();
    let pg = &r.uops[1];
    let lines = dis(&r, pg);
    let start = |k: usize| r.base + r.uops[k].code.start as u64;
    assert!(lines[0].text.starts_with("b.ne"), "{}", lines[0].text);
    assert_eq!(lines[0].branch_target, Some(start(3)));
    assert!(lines[1].text.starts_with("cbz x0"), "{}", lines[1].text);
    assert_eq!(lines[1].branch_target, Some(start(2)));
    assert_eq!(lines[2].branch_target, Some(start(3)));
    assert_eq!(pg.holes[0].destination, Destination::Uop(3));
    assert_eq!(pg.holes[1].destination, Destination::Uop(2));
    assert_eq!(pg.holes[2].destination, Destination::Uop(3));
    assert_eq!(
        pg.holes[1].expr,
        "state->instruction_starts[instruction->error_target]"
    );

    // A conditional branch past ±1 MiB is an error, not a wrong branch.
    let big = group(
        a64(&vec![A_NOP; (1 << 20) / 4 + 16], vec![]),
        Stencil::default(),
    );
    let mut s2 = s.clone();
    s2.groups.insert("_BIG_r00".into(), big);
    let mut g = uop15("_GUARD_r11");
    g.jump_target = 2;
    g.error_target = 2;
    let e = compile(&[g, uop15("_BIG_r00"), uop15("_A_r00")], &s2, &mem).unwrap_err();
    assert!(
        e.contains("±1 MiB") && e.contains("patch_aarch64_19r"),
        "{e}"
    );
}

// ----- 33rx -----

/// 3.14 AArch64: `adrp xR; ldr xR, [xR]` reading the stencil's own data word at +0, which a
/// data hole fills.
fn a64_314_load(reg: u32, fill: Hole) -> StencilGroup {
    group(
        a64(
            &[a_adrp(reg), a_ldr(reg, reg), A_RET],
            vec![(0, hole(PatchFn::Aarch64_33rx, HoleValue::Data))],
        ),
        data(vec![0; 8], vec![fill]),
    )
}

fn set_314_a64() -> StencilSet {
    set(
        PyVersion::V3_14,
        Target::Aarch64Linux,
        vec![
            (
                "_LOAD_OPARG",
                a64_314_load(8, hole(PatchFn::P64, HoleValue::Oparg)),
            ),
            (
                "_LOAD_TYPE",
                a64_314_load(
                    9,
                    with_sym(hole(PatchFn::P64, HoleValue::Zero), "PyLong_Type"),
                ),
            ),
            ("_FATAL_ERROR", a64_fatal()),
        ],
        Some(group(a64(&[A_NOP], vec![]), Stencil::default())),
        &[],
    )
}

fn word(r: &Region, g: &PlacedGroup, i: usize) -> u32 {
    let o = g.code.start + 4 * i;
    u32::from_le_bytes(r.bytes[o..o + 4].try_into().unwrap())
}

#[test]
fn aarch64_33rx_movz_nop_for_a_small_value() {
    let s = set_314_a64();
    let mut u = uop("_LOAD_OPARG");
    u.oparg = 0x1234;
    let mem = preset(PyVersion::V3_14, Target::Aarch64Linux, "near").unwrap();
    let r = compile(&[u], &s, &mem).unwrap();
    let g = &r.uops[0];
    let lines = dis(&r, g);
    assert_eq!(lines[0].text, "mov x8, #0x1234");
    assert_eq!(lines[1].text, "nop");
    let h = g.holes.iter().find(|h| !h.in_data).unwrap();
    assert_eq!(h.via, Via::Relaxed);
    assert_eq!(h.destination, Destination::Value);
    assert_eq!(h.span, g.code.start..g.code.start + 8);
    assert_eq!(h.expr, "(uintptr_t)data");
    assert_eq!(
        hole_call(&h.hole, false),
        "patch_aarch64_33rx(code + 0x0, (uintptr_t)data);"
    );
}

#[test]
fn aarch64_33rx_movz_movk_below_4_gib() {
    let s = set_314_a64();
    let mem = preset(PyVersion::V3_14, Target::Aarch64Linux, "low").unwrap();
    let r = compile(&[uop("_LOAD_TYPE")], &s, &mem).unwrap();
    let ty = r.uops[0].holes.iter().find(|h| h.in_data).unwrap().value;
    assert!((1 << 16..1 << 32).contains(&ty));
    let g = &r.uops[0];
    let lines = dis(&r, g);
    assert!(lines[0].text.starts_with("mov x9, #"), "{}", lines[0].text);
    assert!(
        lines[1].text.starts_with("movk x9, #") && lines[1].text.ends_with("lsl #16"),
        "{}",
        lines[1].text
    );
    let imm = |w: u32| u64::from((w >> 5) & 0xFFFF);
    assert_eq!(imm(word(&r, g, 0)) | (imm(word(&r, g, 1)) << 16), ty);
    let h = g.holes.iter().find(|h| !h.in_data).unwrap();
    assert_eq!(
        h.destination,
        Destination::Symbol {
            name: "PyLong_Type".into(),
            offset: 0
        }
    );
}

#[test]
fn aarch64_33rx_ldr_literal_when_the_entry_is_near() {
    let s = set_314_a64();
    let mem = preset(PyVersion::V3_14, Target::Aarch64Linux, "near").unwrap();
    let r = compile(&[uop("_LOAD_TYPE")], &s, &mem).unwrap();
    let g = &r.uops[0];
    let lines = dis(&r, g);
    assert!(lines[0].text.starts_with("ldr x9, "), "{}", lines[0].text);
    assert_eq!(lines[0].mem_target, Some(r.base + g.data.start as u64));
    assert_eq!(lines[1].text, "nop");
    let h = g.holes.iter().find(|h| !h.in_data).unwrap();
    assert_eq!(
        h.destination,
        Destination::UopData {
            index: 0,
            offset: 0
        }
    );
    assert_eq!(
        read_u64(&r, r.base + g.data.start as u64),
        mem.symbol_address("PyLong_Type", Some(0))
    );
}

#[test]
fn aarch64_33rx_falls_back_to_adrp_ldr() {
    // The entry 1 MiB + 8 past the adrp (beyond ±2^19), holding an address above 4 GiB.
    let base = 0x7f00_0000_0000u64;
    let mut bytes = vec![0u8; (1 << 20) + 16];
    bytes[..4].copy_from_slice(&a_adrp(8).to_le_bytes());
    bytes[4..8].copy_from_slice(&a_ldr(8, 8).to_le_bytes());
    let entry = base + (1 << 20) + 8;
    bytes[(1 << 20) + 8..].copy_from_slice(&0x7fff_1234_5678u64.to_le_bytes());
    let p =
        patch::patch_aarch64_33rx(&mut Buf::new(&mut bytes, base), base, base + 4, entry).unwrap();
    assert_eq!(p.via, Via::Direct);
    let lines = disassemble(Arch::Aarch64, &bytes[..8], base);
    assert!(lines[0].text.starts_with("adrp x8"), "{}", lines[0].text);
    assert_eq!(lines[0].mem_target, Some(entry & !0xFFF));
    let ldr = u32::from_le_bytes(bytes[4..8].try_into().unwrap());
    assert_eq!(((ldr >> 10) & 0xFFF) << 3, (entry & 0xFFF) as u32);
    assert_eq!(ldr & !(0xFFF << 10), a_ldr(8, 8));
    // Just inside ±2^19: a literal.
    let mut bytes = vec![0u8; 1 << 19];
    bytes[..4].copy_from_slice(&a_adrp(3).to_le_bytes());
    bytes[4..8].copy_from_slice(&a_ldr(3, 3).to_le_bytes());
    let entry = base + (1 << 19) - 8;
    bytes[(1 << 19) - 8..].copy_from_slice(&0x7fff_1234_5678u64.to_le_bytes());
    let p =
        patch::patch_aarch64_33rx(&mut Buf::new(&mut bytes, base), base, base + 4, entry).unwrap();
    assert_eq!(p.via, Via::Relaxed);
    let lines = disassemble(Arch::Aarch64, &bytes[..8], base);
    assert_eq!(lines[0].mem_target, Some(entry));
    assert_eq!(lines[1].text, "nop");
}

#[test]
fn aarch64_315_split_33rx_through_the_trace_got() {
    // adrp x8 at +0, an unrelated add at +4, ldr x8 at +8 (3.15's two-location form).
    let h = {
        let mut h = special(
            hole(PatchFn::Aarch64_33rx, HoleValue::Zero),
            HoleSpecial::GotSlot {
                ordinal: 0,
                minus4: false,
            },
        );
        h.offset2 = Some(0);
        h
    };
    let mut g = group(
        a64(&[a_adrp(8), a_add(0, 0), a_ldr(8, 8), A_RET], vec![(2, h)]),
        data(vec![], vec![got_fill(0)]),
    );
    g.got_mask = mask(&[0]);
    let s = set(
        PyVersion::V3_15,
        Target::Aarch64Linux,
        vec![("_LOAD_r01", g), ("_FATAL_ERROR_r00", a64_fatal())],
        None,
        &["PyLong_Type"],
    );
    let near = preset(PyVersion::V3_15, Target::Aarch64Linux, "near").unwrap();
    let r = compile(&[uop15("_LOAD_r01")], &s, &near).unwrap();
    let pg = &r.uops[0];
    let h = pg.holes.iter().find(|h| !h.in_data).unwrap();
    assert_eq!(
        hole_call(&h.hole, false),
        "patch_aarch64_33rx(code + 0x0, code + 0x8, got_symbol_address(0x0, state));"
    );
    let lines = dis(&r, pg);
    assert!(lines[0].text.starts_with("ldr x8, "), "{}", lines[0].text);
    assert_eq!(lines[0].mem_target, Some(r.got[0].address));
    assert_eq!(word(&r, pg, 1), a_add(0, 0));
    assert_eq!(lines[2].text, "nop");
    assert_eq!(h.destination, Destination::Got(0));
    assert_eq!(h.span, pg.code.start..pg.code.start + 12);

    let low = preset(PyVersion::V3_15, Target::Aarch64Linux, "low").unwrap();
    let r = compile(&[uop15("_LOAD_r01")], &s, &low).unwrap();
    let pg = &r.uops[0];
    let lines = dis(&r, pg);
    assert!(lines[0].text.starts_with("mov x8, #"), "{}", lines[0].text);
    assert!(lines[2].text.starts_with("movk x8, #"), "{}", lines[2].text);
    let imm = |w: u32| u64::from((w >> 5) & 0xFFFF);
    assert_eq!(
        imm(word(&r, pg, 0)) | (imm(word(&r, pg, 2)) << 16),
        r.got[0].value
    );
    assert_eq!(
        pg.holes.iter().find(|h| !h.in_data).unwrap().destination,
        Destination::Symbol {
            name: "PyLong_Type".into(),
            offset: 0
        }
    );
}

#[test]
fn aarch64_movz_movk_holes_build_an_address() {
    let s = set(
        PyVersion::V3_15,
        Target::Aarch64Darwin,
        vec![
            (
                "_LOAD_r01",
                group(
                    a64(
                        &[
                            a_movz(0, 0),
                            a_movk(0, 1),
                            a_movk(0, 2),
                            a_movk(0, 3),
                            A_RET,
                        ],
                        vec![
                            (0, hole(PatchFn::Aarch64_16a, HoleValue::Operand0)),
                            (1, hole(PatchFn::Aarch64_16b, HoleValue::Operand0)),
                            (2, hole(PatchFn::Aarch64_16c, HoleValue::Operand0)),
                            (3, hole(PatchFn::Aarch64_16d, HoleValue::Operand0)),
                        ],
                    ),
                    Stencil::default(),
                ),
            ),
            ("_FATAL_ERROR_r00", a64_fatal()),
        ],
        None,
        &[],
    );
    let mut u = uop15("_LOAD_r01");
    u.operand0 = 0x1122_3344_5566_7788;
    let mem = preset(PyVersion::V3_15, Target::Aarch64Darwin, "near").unwrap();
    let r = compile(&[u], &s, &mem).unwrap();
    let g = &r.uops[0];
    let v: u64 = (0..4)
        .map(|i| u64::from((word(&r, g, i) >> 5) & 0xFFFF) << (16 * i))
        .sum();
    assert_eq!(v, 0x1122_3344_5566_7788);
    assert!(g.holes.iter().all(|h| h.destination == Destination::Value));
    // Apple silicon pages: 16 KiB.
    assert_eq!(r.layout.page_size, 16384);
    assert_eq!(r.bytes.len() % 16384, 0);
}

// ----- layout -----

fn sized(code: usize, data_len: usize) -> StencilGroup {
    group(
        Stencil {
            body: vec![0x90; code],
            holes: vec![],
            disassembly: vec![],
        },
        Stencil {
            body: vec![0xAA; data_len],
            holes: vec![],
            disassembly: vec![],
        },
    )
}

#[test]
fn layout_314_shim_first_and_page_padding() {
    let make = |uop_code: usize, uop_data: usize| {
        set(
            PyVersion::V3_14,
            Target::X86_64Linux,
            vec![
                ("_A", sized(uop_code, uop_data)),
                ("_FATAL_ERROR", sized(4, 0)),
            ],
            Some(sized(16, 8)),
            &[],
        )
    };
    let mem = preset(PyVersion::V3_14, Target::X86_64Linux, "near").unwrap();
    let r = compile(&[uop("_A"), uop("_A")], &make(100, 24), &mem).unwrap();
    let l = &r.layout;
    assert_eq!(l.shim, 0..16);
    assert_eq!(l.code, 16..220);
    assert_eq!(r.shim.as_ref().unwrap().code, 0..16);
    assert_eq!(r.uops[0].code, 16..116);
    assert_eq!(r.uops[1].code, 116..216);
    assert_eq!(r.fatal_error.code, 216..220);
    assert!(l.trampolines.is_empty() && l.code_padding.is_empty() && l.got.is_empty());
    assert_eq!(l.data, 220..220 + 8 + 48);
    assert_eq!(r.shim.as_ref().unwrap().data, 220..228);
    assert_eq!(r.uops[0].data, 228..252);
    assert_eq!(l.padding, 276..4096);
    assert_eq!(r.bytes.len(), 4096);
    // Exactly a page of code and data: padding is a whole page.
    // 16 + 2 * c + 4 + 8 + 2 * d = 4096 with d = 24: c = 2010.
    let r = compile(&[uop("_A"), uop("_A")], &make(2010, 24), &mem).unwrap();
    assert_eq!(r.layout.padding, 4096..8192);
    assert_eq!(r.bytes.len(), 8192);
}

#[test]
fn layout_315_code_padding_data_got() {
    let mut a = sized(100, 24);
    a.got_mask = mask(&[0, 2]);
    let make = |a: StencilGroup| {
        set(
            PyVersion::V3_15,
            Target::X86_64Linux,
            vec![("_A_r00", a), ("_FATAL_ERROR_r00", sized(4, 0))],
            Some(sized(40, 0)),
            &["a", "b", "c"],
        )
    };
    let mem = preset(PyVersion::V3_15, Target::X86_64Linux, "near").unwrap();
    let r = compile(&[uop15("_A_r00")], &make(a.clone()), &mem).unwrap();
    let l = &r.layout;
    // No shim in 3.15 (the entry trampoline is compiled once, not per trace).
    assert!(r.shim.is_none());
    assert_eq!(l.shim, 0..0);
    assert_eq!(l.code, 0..104);
    assert_eq!(l.trampolines, 104..104);
    assert_eq!(l.code_padding, 104..105, "DATA_ALIGN 1: always one byte");
    assert_eq!(l.data, 105..129);
    assert_eq!(l.got, 129..145);
    assert_eq!(
        r.got
            .iter()
            .map(|g| (g.ordinal, g.address - r.base))
            .collect::<Vec<_>>(),
        vec![(0, 129), (2, 137)]
    );
    assert_eq!(l.padding, 145..4096);
    // code + 1 + data + got = 4096: a whole page of padding. 104 + 1 + d + 16 = 4096.
    let mut big = sized(100, 4096 - 121);
    big.got_mask = mask(&[0, 2]);
    let r = compile(&[uop15("_A_r00")], &make(big), &mem).unwrap();
    assert_eq!(r.layout.got, 4080..4096);
    assert_eq!(r.layout.padding, 4096..8192);
}

#[test]
fn layout_aarch64_trampolines_and_data_align() {
    let mut a = sized(100, 8);
    a.trampoline_mask = mask(&[1]);
    let mem = preset(PyVersion::V3_15, Target::Aarch64Linux, "near").unwrap();
    for (code, pad) in [(100usize, 8usize), (104, 4)] {
        let mut g = a.clone();
        g.code.body = vec![0; code];
        let s = set(
            PyVersion::V3_15,
            Target::Aarch64Linux,
            vec![("_A_r00", g), ("_FATAL_ERROR_r00", sized(4, 0))],
            None,
            &["x", "y"],
        );
        let r = compile(&[uop15("_A_r00")], &s, &mem).unwrap();
        let l = &r.layout;
        let c = code + 4;
        assert_eq!(l.trampolines, c..c + 16);
        assert_eq!(l.code_padding, c + 16..c + 16 + pad, "code {code}");
        assert_eq!(l.data.start % 8, 0);
        assert_eq!(r.trampolines[0].address, r.base + c as u64);
    }
    // 3.14: no code padding, data right after the trampolines.
    let s = set(
        PyVersion::V3_14,
        Target::Aarch64Linux,
        vec![("_A", a), ("_FATAL_ERROR", sized(4, 0))],
        Some(sized(8, 0)),
        &["x", "y"],
    );
    let mem = preset(PyVersion::V3_14, Target::Aarch64Linux, "near").unwrap();
    let r = compile(&[uop("_A")], &s, &mem).unwrap();
    assert_eq!(r.layout.trampolines, 112..128);
    assert!(r.layout.code_padding.is_empty());
    assert_eq!(r.layout.data.start, 128);
}

// ----- 3.14 x86-64: shim offset, CONTINUE, EXECUTOR, data GOT entries -----

#[test]
fn x86_314_continue_executor_and_data_got() {
    let a = {
        let mut s = X86::new();
        s.mark(At::Imm, hole(PatchFn::P64, HoleValue::Executor));
        s.a.add_instruction(
            iced_x86::Instruction::with2(
                iced_x86::Code::Mov_r64_imm64,
                iced_x86::Register::RAX,
                0u64,
            )
            .unwrap(),
        )
        .unwrap();
        // mov rax, [rip+X] → data + 8 (the stencil's own GOT entry for PyLong_Type).
        let mut l = s.label_after();
        s.mark(
            At::End4,
            with_addend(hole(PatchFn::X86_64_32rx, HoleValue::Data), 8 - 4),
        );
        s.a.mov(rax, qword_ptr(l)).unwrap();
        s.a.set_label(&mut l).unwrap();
        let mut l2 = s.label_after();
        s.mark(
            At::End4,
            with_addend(hole(PatchFn::P32r, HoleValue::Continue), -4),
        );
        s.a.jmp(l2).unwrap();
        s.a.set_label(&mut l2).unwrap();
        s.a.nop().unwrap();
        let code = s.finish();
        group(
            code,
            data(
                vec![0; 16],
                vec![{
                    let mut h = with_sym(hole(PatchFn::P64, HoleValue::Zero), "PyLong_Type");
                    h.offset = 8;
                    h
                }],
            ),
        )
    };
    let shim = {
        let mut s = X86::new();
        s.a.push(rbp).unwrap();
        s.a.mov(r12, rdi).unwrap();
        group(s.finish(), Stencil::default())
    };
    let s = set(
        PyVersion::V3_14,
        Target::X86_64Linux,
        vec![("_A", a), ("_FATAL_ERROR", x86_fatal())],
        Some(shim),
        &[],
    );
    let near = preset(PyVersion::V3_14, Target::X86_64Linux, "near").unwrap();
    let r = compile(&[uop("_A"), uop("_A")], &s, &near).unwrap();
    let shim_len = r.layout.shim.len();
    assert!(shim_len > 0);
    assert_eq!(r.uops[0].code.start, shim_len);
    let g = &r.uops[0];
    let lines = dis(&r, g);
    // Data holes come first (CPython emits the data before the code).
    assert!(g.holes[0].in_data);
    assert_eq!(
        g.holes[0].destination,
        Destination::Symbol {
            name: "PyLong_Type".into(),
            offset: 0
        }
    );
    let ex = &g.holes[1];
    assert_eq!(ex.destination, Destination::Executor);
    assert_eq!(ex.value, near.executor);
    assert_eq!(ex.expr, "(uintptr_t)executor");
    // Relaxed to lea of PyLong_Type (its address read from data + 8).
    let ty = near.symbol_address("PyLong_Type", Some(0));
    assert!(
        lines[1].text.starts_with("lea rax, [rip"),
        "{}",
        lines[1].text
    );
    assert_eq!(lines[1].mem_target, Some(ty));
    let h = g
        .holes
        .iter()
        .find(|h| h.hole.func == PatchFn::X86_64_32rx)
        .unwrap();
    assert_eq!(h.expr, "(uintptr_t)data + 0x4");
    assert_eq!(
        h.destination,
        Destination::Symbol {
            name: "PyLong_Type".into(),
            offset: 0
        }
    );
    // CONTINUE: the next uop.
    let j = g
        .holes
        .iter()
        .find(|h| h.hole.value == HoleValue::Continue)
        .unwrap();
    assert_eq!(
        line_at(&lines, j.at - g.code.start).branch_target,
        Some(r.base + r.uops[1].code.start as u64)
    );
    assert_eq!(j.destination, Destination::Uop(1));
    assert_eq!(j.expr, "(uintptr_t)code + sizeof(code_body) + -0x4");
    // The last uop continues into _FATAL_ERROR (not a uop).
    let j = r.uops[1]
        .holes
        .iter()
        .find(|h| h.hole.value == HoleValue::Continue)
        .unwrap();
    assert_eq!(j.destination, Destination::Other);

    // Far: no relaxation, the load reads uop 0's data + 8.
    let far = preset(PyVersion::V3_14, Target::X86_64Linux, "far").unwrap();
    let r = compile(&[uop("_A"), uop("_A")], &s, &far).unwrap();
    let g = &r.uops[0];
    let lines = dis(&r, g);
    assert!(
        lines[1].text.starts_with("mov rax, [rip"),
        "{}",
        lines[1].text
    );
    assert_eq!(lines[1].mem_target, Some(r.base + g.data.start as u64 + 8));
    let h = g
        .holes
        .iter()
        .find(|h| h.hole.func == PatchFn::X86_64_32rx)
        .unwrap();
    assert_eq!(
        h.destination,
        Destination::UopData {
            index: 0,
            offset: 8
        }
    );
}

// ----- errors -----

#[test]
fn errors_are_errors() {
    let s = set_314_a64();
    let mem = preset(PyVersion::V3_14, Target::Aarch64Linux, "near").unwrap();
    let e = compile(&[uop("_NOPE")], &s, &mem).unwrap_err();
    assert!(e.starts_with("no stencil for _NOPE in "), "{e}");
    assert!(compile(&[], &s, &mem).unwrap_err().contains("empty trace"));
    let bad = with_region(&mem, mem.region);
    let mut bad = bad;
    bad.region += 0x10;
    assert!(compile(&[uop("_LOAD_OPARG")], &s, &bad)
        .unwrap_err()
        .contains("page aligned"));

    // A direct rel32 call to a symbol 40 GiB away cannot be patched (jit.c asserts).
    let call = {
        let mut x = X86::new();
        let mut l = x.label_after();
        x.mark(
            At::End4,
            with_addend(with_sym(hole(PatchFn::P32r, HoleValue::Zero), "_PyFar"), -4),
        );
        x.a.call(l).unwrap();
        x.a.set_label(&mut l).unwrap();
        x.a.ret().unwrap();
        group(x.finish(), Stencil::default())
    };
    let s = set(
        PyVersion::V3_14,
        Target::X86_64Linux,
        vec![("_C", call), ("_FATAL_ERROR", x86_fatal())],
        Some(x86_fatal()),
        &[],
    );
    let far = preset(PyVersion::V3_14, Target::X86_64Linux, "far").unwrap();
    let e = compile(&[uop("_C")], &s, &far).unwrap_err();
    assert!(e.contains("patch_32r") && e.contains("32-bit"), "{e}");
    let near = preset(PyVersion::V3_14, Target::X86_64Linux, "near").unwrap();
    let r = compile(&[uop("_C")], &s, &near).unwrap();
    let h = &r.uops[0].holes[0];
    assert_eq!(h.expr, "(uintptr_t)&_PyFar + -0x4");
    assert_eq!(dis(&r, &r.uops[0])[0].branch_target, Some(h.value + 4));

    // A hole past the body; an OPARG hole in _FATAL_ERROR; a jump target past the trace.
    let mut broken = sized(4, 0);
    broken.code.holes.push({
        let mut h = hole(PatchFn::P64, HoleValue::Zero);
        h.offset = 2;
        h
    });
    let s = set(
        PyVersion::V3_14,
        Target::X86_64Linux,
        vec![("_B", broken), ("_FATAL_ERROR", x86_fatal())],
        Some(x86_fatal()),
        &[],
    );
    assert!(compile(&[uop("_B")], &s, &near)
        .unwrap_err()
        .contains("pass the end"));
    let mut fatal = sized(8, 0);
    fatal.code.holes.push(hole(PatchFn::P32, HoleValue::Oparg));
    let s = set(
        PyVersion::V3_14,
        Target::X86_64Linux,
        vec![("_B", sized(4, 0)), ("_FATAL_ERROR", fatal)],
        Some(x86_fatal()),
        &[],
    );
    assert!(compile(&[uop("_B")], &s, &near)
        .unwrap_err()
        .contains("without an instruction"));
    let mut j = sized(8, 0);
    j.code
        .holes
        .push(with_addend(hole(PatchFn::P32r, HoleValue::JumpTarget), -4));
    let s = set(
        PyVersion::V3_14,
        Target::X86_64Linux,
        vec![("_J", j), ("_FATAL_ERROR", x86_fatal())],
        Some(x86_fatal()),
        &[],
    );
    let mut u = uop("_J");
    u.jump_target = 9;
    assert!(compile(&[u], &s, &near)
        .unwrap_err()
        .contains("past the end of the 1-uop trace"));
}

// ----- expressions -----

#[test]
fn value_expressions_as_the_header_writes_them() {
    assert_eq!(value_expr(&hole(PatchFn::P64, HoleValue::Zero)), "0x0");
    assert_eq!(
        value_expr(&with_addend(hole(PatchFn::P64, HoleValue::Zero), 0x10)),
        "0x10"
    );
    assert_eq!(
        value_expr(&with_sym(
            hole(PatchFn::P64, HoleValue::Zero),
            "PyLong_Type"
        )),
        "(uintptr_t)&PyLong_Type"
    );
    assert_eq!(
        value_expr(&with_addend(
            with_sym(hole(PatchFn::P64, HoleValue::Data), "X"),
            -0x4
        )),
        "(uintptr_t)data + (uintptr_t)&X + -0x4"
    );
    assert_eq!(
        value_expr(&hole(PatchFn::P64, HoleValue::Operand0Hi)),
        "(instruction->operand0 >> 32)"
    );
    assert_eq!(
        value_expr(&hole(PatchFn::P32, HoleValue::Operand1Lo)),
        "(instruction->operand1 & UINT32_MAX)"
    );
    let mut h = with_addend(hole(PatchFn::P32r, HoleValue::JumpTarget), -4);
    h.offset = 0xf;
    assert_eq!(
        hole_call(&h, false),
        "patch_32r(code + 0xf, state->instruction_starts[instruction->jump_target] + -0x4);"
    );
    let mut t = special(
        hole(PatchFn::Aarch64Trampoline, HoleValue::Zero),
        HoleSpecial::Trampoline { ordinal: 5 },
    );
    t.offset = 0x20;
    assert_eq!(
        hole_call(&t, false),
        "patch_aarch64_trampoline(code + 0x20, 0x5, state);"
    );
    let mut g = special(
        hole(PatchFn::X86_64_32rx, HoleValue::Zero),
        HoleSpecial::GotSlot {
            ordinal: 3,
            minus4: true,
        },
    );
    g.offset = 0x1c;
    assert_eq!(
        hole_call(&g, false),
        "patch_x86_64_32rx(code + 0x1c, got_symbol_address(0x3, state) - 4);"
    );
}

#[test]
fn got_slots_follow_the_mask_order() {
    // Ordinals 2, 5 and 40 in the GOT: ordinal 40 is slot 2.
    let load = |ordinal: u32| {
        let mut s = X86::new();
        let mut l = s.label_after();
        s.mark(
            At::End4,
            special(
                hole(PatchFn::X86_64_32rx, HoleValue::Zero),
                HoleSpecial::GotSlot {
                    ordinal,
                    minus4: true,
                },
            ),
        );
        s.a.mov(rax, qword_ptr(l)).unwrap();
        s.a.set_label(&mut l).unwrap();
        s.a.ret().unwrap();
        let mut g = group(s.finish(), data(vec![], vec![got_fill(ordinal)]));
        g.got_mask = mask(&[ordinal]);
        g
    };
    let names: Vec<String> = (0..41).map(|i| format!("sym{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let s = set(
        PyVersion::V3_15,
        Target::X86_64Linux,
        vec![
            ("_L40_r01", load(40)),
            ("_L2_r01", load(2)),
            ("_L5_r01", load(5)),
            ("_FATAL_ERROR_r00", x86_fatal()),
        ],
        None,
        &refs,
    );
    let far = preset(PyVersion::V3_15, Target::X86_64Linux, "far").unwrap();
    let r = compile(
        &[uop15("_L40_r01"), uop15("_L2_r01"), uop15("_L5_r01")],
        &s,
        &far,
    )
    .unwrap();
    assert_eq!(
        r.got.iter().map(|g| g.ordinal).collect::<Vec<_>>(),
        vec![2, 5, 40]
    );
    let slot40 = r.base + r.layout.got.start as u64 + 16;
    assert_eq!(r.got[2].address, slot40);
    let lines = dis(&r, &r.uops[0]);
    assert_eq!(lines[0].mem_target, Some(slot40));
    assert_eq!(read_u64(&r, slot40), far.symbol_address("sym40", Some(40)));
    assert_eq!(
        r.uops[0]
            .holes
            .iter()
            .find(|h| !h.in_data)
            .unwrap()
            .destination,
        Destination::Got(2)
    );
}

// ----- stencil sets read from headers -----

/// Every group of an imported header in one trace (the entry uop first, then by name), each
/// jump and error target the last uop: compiled near and far, every branch to a uop lands on
/// its start, and every hole's note and destination are filled.
fn compile_header(file: &str, text: &str) {
    let mut set = cpyviz_jit::header::parse(text, file).unwrap_or_else(|e| panic!("{e}"));
    let facts = jit_facts(set.version, set.target);
    // The small 3.14 test header has no _FATAL_ERROR (every real one has).
    if !set.groups.keys().any(|n| n.starts_with("_FATAL_ERROR")) {
        set.groups.insert("_FATAL_ERROR".into(), x86_fatal());
    }
    let mut names: Vec<&String> = set
        .groups
        .keys()
        .filter(|n| !n.starts_with("_FATAL_ERROR"))
        .collect();
    names.sort_by_key(|n| (!n.starts_with("_START_EXECUTOR"), n.as_str()));
    let last = names.len() as u16 - 1;
    let trace: Vec<TraceUop> = names
        .iter()
        .map(|n| {
            let mut u = if facts.register_variants {
                uop15(n)
            } else {
                uop(n)
            };
            u.jump_target = last;
            u.error_target = last;
            u.oparg = 3;
            u
        })
        .collect();
    for key in ["near", "far"] {
        let mem = preset(set.version, set.target, key).unwrap();
        let r = compile(&trace, &set, &mem).unwrap_or_else(|e| panic!("{file} {key}: {e}"));
        let last_start = r.base + r.uops[last as usize].code.start as u64;
        let mut jumps = 0;
        for g in &r.uops {
            let lines = dis(&r, g);
            for h in &g.holes {
                assert!(!h.note.is_empty() && !h.expr.is_empty());
                assert_eq!(h.after, r.bytes[h.span.clone()].to_vec());
                if !h.in_data
                    && matches!(h.hole.value, HoleValue::JumpTarget | HoleValue::ErrorTarget)
                {
                    let l = line_at(&lines, h.at - g.code.start);
                    assert_eq!(
                        l.branch_target,
                        Some(last_start),
                        "{file} {key} {}: {}",
                        g.stencil,
                        l.text
                    );
                    assert_eq!(h.destination, Destination::Uop(last as usize));
                    jumps += 1;
                }
            }
        }
        assert!(jumps > 0, "{file}: no jump holes");
        for s in &r.got {
            assert_eq!(
                read_u64(&r, s.address),
                mem.symbol_address(&s.symbol, Some(s.ordinal))
            );
        }
        // Far on AArch64: every reserved slot whose symbol is called is used.
        if key == "far" && facts.trampoline_size > 0 {
            assert!(
                r.trampolines.iter().any(|t| t.used),
                "{file}: no trampoline used far away"
            );
        }
        if key == "near" {
            assert!(
                r.trampolines.iter().all(|t| !t.used),
                "{file}: a trampoline used near"
            );
        }
    }
}

#[test]
fn headers_compile_and_their_jumps_land() {
    compile_header(
        "jit_stencils-x86_64-unknown-linux-gnu.h",
        include_str!("headers/3.15/jit_stencils-x86_64-unknown-linux-gnu.h"),
    );
    compile_header(
        "jit_stencils-aarch64-unknown-linux-gnu.h",
        include_str!("headers/3.15/jit_stencils-aarch64-unknown-linux-gnu.h"),
    );
    compile_header(
        "jit_stencils-x86_64-unknown-linux-gnu.h",
        include_str!("headers/3.14/jit_stencils-x86_64-unknown-linux-gnu.h"),
    );
}

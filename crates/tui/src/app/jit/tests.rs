//! The JIT panes driven by keys on a capture whose engine is a stand-in [`JitBuilder`]: a
//! small hand-made region (x86-64 with a guard, a jump to an exit stub and a GOT call; AArch64
//! with a call through a trampoline in the far memory model), so the viewer's own logic is
//! tested apart from the engine's.

use super::*;
use crate::app::{Action, App};
use crate::theme::DARK as THEME;
use crate::ui::render_to_buffer;
use cpyviz_model::capture::{Engine, LaterStages};
use cpyviz_model::error::{PyError, PyErrorKind};
use cpyviz_model::jit::{
    GotSlot, GroupAsm, Hole, HoleValue, JitBuilder, JitCell, Layout, MemoryModel, SymbolMask,
    TrampolineSlot,
};
use cpyviz_model::source::Source;
use cpyviz_model::uops::{Executor, Uop};
use cpyviz_model::version::PyVersion;
use ratatui::buffer::Buffer;
use std::collections::BTreeMap;

const BASE: u64 = 0x7f00_0000_0000;
const SYM: u64 = 0x5555_5570_0000;

fn hole(
    func: PatchFn,
    value: HoleValue,
    offset: usize,
    symbol: Option<&str>,
    special: Option<HoleSpecial>,
) -> Hole {
    Hole {
        offset,
        kind: "R_TEST".into(),
        kind_inferred: false,
        func,
        value,
        symbol: symbol.map(str::to_string),
        addend: 0,
        special,
        offset2: None,
    }
}

#[allow(clippy::too_many_arguments)]
fn patched(
    h: Hole,
    at: usize,
    len: usize,
    value: u64,
    expr: &str,
    before: Vec<u8>,
    after: Vec<u8>,
    destination: Destination,
    via: Via,
    note: &str,
) -> PatchedHole {
    PatchedHole {
        hole: h,
        in_data: false,
        at,
        value,
        expr: expr.into(),
        span: at..at + len,
        before,
        after,
        destination,
        via,
        note: note.into(),
    }
}

fn asm(
    offset: usize,
    bytes: &[u8],
    text: &str,
    holes: &[usize],
    d: Option<Destination>,
) -> AsmText {
    AsmText {
        offset,
        len: bytes.len(),
        hex: bytes.iter().map(|b| format!("{b:02x}")).collect(),
        text: text.into(),
        holes: holes.to_vec(),
        destination: d,
    }
}

fn group(
    index: Option<usize>,
    uop: &str,
    stencil: &str,
    code: Range<usize>,
    stencil_bytes: Vec<u8>,
    holes: Vec<PatchedHole>,
) -> PlacedGroup {
    PlacedGroup {
        index,
        uop: uop.into(),
        stencil: stencil.into(),
        shape: if uop == "_GUARD_TOS_INT" {
            "careful: int guard".into()
        } else {
            String::new()
        },
        code,
        data: 0..0,
        code_stencil: stencil_bytes,
        data_stencil: Vec::new(),
        holes,
    }
}

fn memory(name: &str) -> MemoryModel {
    MemoryModel {
        name: name.into(),
        region: BASE,
        page_size: 4096,
        executor: 0x5555_5600_1a50,
        symbols: BTreeMap::new(),
        default_symbols: SYM,
        recorded: false,
    }
}

/// 3.15 on x86-64 Linux: `[0] _START_EXECUTOR`, `[1] _GUARD_TOS_INT` (PyLong_Type in a
/// `mov rcx, imm64`, a `jne` to the exit stub), `[2] _EXIT_TRACE` (a call through the GOT).
fn x86_executor(target: Target) -> ExecutorJit {
    let ty = SYM + 0x40;
    let start = vec![0x4d, 0x89, 0xa7, 0x30, 0x01, 0x00, 0x00, 0x90];
    let guard_stencil = vec![
        0x48, 0xb9, 0, 0, 0, 0, 0, 0, 0, 0, // mov rcx, imm64
        0x48, 0x39, 0x48, 0x08, // cmp [rax+8], rcx
        0x0f, 0x85, 0, 0, 0, 0, // jne rel32
        0x90,
    ];
    let mut guard = guard_stencil.clone();
    guard[2..10].copy_from_slice(&ty.to_le_bytes());
    // jne at region 0x16, its rel32 at 0x18, to 0x1d: 0x1d - 0x1c = 1.
    guard[16..20].copy_from_slice(&1u32.to_le_bytes());
    let exit_stencil = vec![0xff, 0x15, 0, 0, 0, 0];
    let mut exit = exit_stencil.clone();
    // call [rip+X] at 0x1d..0x23 to the GOT slot at 0x25: 0x25 - 0x23 = 2.
    exit[2..6].copy_from_slice(&2u32.to_le_bytes());
    let fatal = vec![0xcc];
    let mut bytes = Vec::new();
    for part in [&start, &guard, &exit, &fatal] {
        bytes.extend_from_slice(part);
    }
    bytes.push(0); // code padding
    bytes.extend_from_slice(&ty.to_le_bytes()); // the GOT
    bytes.resize(4096, 0);
    let holes_guard = vec![
        patched(
            hole(PatchFn::P64, HoleValue::Zero, 2, Some("PyLong_Type"), None),
            0xa,
            8,
            ty,
            "(uintptr_t)&PyLong_Type",
            vec![0; 8],
            ty.to_le_bytes().to_vec(),
            Destination::Symbol {
                name: "PyLong_Type".into(),
                offset: 0,
            },
            Via::Direct,
            "hole 0 ← &PyLong_Type (the type the guard compares with)",
        ),
        patched(
            hole(PatchFn::P32r, HoleValue::JumpTarget, 0x10, None, None),
            0x18,
            4,
            BASE + 0x1d - 4,
            "state->instruction_starts[instruction->jump_target] + -0x4",
            vec![0; 4],
            1u32.to_le_bytes().to_vec(),
            Destination::Uop(2),
            Via::Direct,
            "jump target: uop 2 _EXIT_TRACE",
        ),
    ];
    let holes_exit = vec![patched(
        hole(
            PatchFn::X86_64_32rx,
            HoleValue::Zero,
            2,
            None,
            Some(HoleSpecial::GotSlot {
                ordinal: 1,
                minus4: true,
            }),
        ),
        0x1f,
        4,
        BASE + 0x25 - 4,
        "got_symbol_address(0x1, state) - 4",
        vec![0; 4],
        2u32.to_le_bytes().to_vec(),
        Destination::Got(0),
        Via::Direct,
        "GOT slot of PyLong_Type (not relaxed: far)",
    )];
    let g0 = group(
        Some(0),
        "_START_EXECUTOR",
        "_START_EXECUTOR_r00",
        0..8,
        start.clone(),
        vec![],
    );
    let g1 = group(
        Some(1),
        "_GUARD_TOS_INT",
        "_GUARD_TOS_INT_r11",
        8..0x1d,
        guard_stencil,
        holes_guard,
    );
    let g2 = group(
        Some(2),
        "_EXIT_TRACE",
        "_EXIT_TRACE_r00",
        0x1d..0x23,
        exit_stencil,
        holes_exit,
    );
    let gf = group(
        None,
        "_FATAL_ERROR",
        "_FATAL_ERROR",
        0x23..0x24,
        fatal,
        vec![],
    );
    let a0 = vec![
        asm(0, &start[..7], "mov [r15+130h],r12", &[], None),
        asm(7, &start[7..], "nop", &[], None),
    ];
    let a1 = |b: &[u8], patched: bool| {
        vec![
            asm(
                8,
                &b[..10],
                if patched {
                    "mov rcx,555555700040h"
                } else {
                    "mov rcx,0"
                },
                &[0],
                None,
            ),
            asm(0x12, &b[10..14], "cmp [rax+8],rcx", &[], None),
            asm(
                0x16,
                &b[14..20],
                if patched {
                    "jne 00007F000000001Dh"
                } else {
                    "jne 00007F000000001Ch"
                },
                &[1],
                patched.then_some(Destination::Uop(2)),
            ),
            asm(0x1c, &b[20..], "nop", &[], None),
        ]
    };
    let a2 = |b: &[u8]| vec![asm(0x1d, b, "call qword ptr [7F0000000025h]", &[0], None)];
    let region = Region {
        version: PyVersion::V3_15,
        target,
        base: BASE,
        bytes: bytes.clone(),
        layout: Layout {
            shim: 0..0,
            code: 0..0x24,
            trampolines: 0x24..0x24,
            code_padding: 0x24..0x25,
            data: 0x25..0x25,
            got: 0x25..0x2d,
            padding: 0x2d..4096,
            page_size: 4096,
        },
        shim: None,
        uops: vec![g0.clone(), g1.clone(), g2.clone()],
        fatal_error: gf.clone(),
        trampoline_mask: SymbolMask::default(),
        trampolines: vec![],
        got_mask: SymbolMask([0b10, 0, 0, 0]),
        got: vec![GotSlot {
            ordinal: 1,
            symbol: "PyLong_Type".into(),
            address: BASE + 0x25,
            value: ty,
        }],
        symbols: vec!["_PyLong_Add".into(), "PyLong_Type".into()],
        stencils: "cpyviz's built-in stencils (a model, not CPython's)".into(),
        stencils_are_model: true,
        memory: memory("model \"near\" (test)"),
    };
    ExecutorJit {
        qualname: "<module>".into(),
        offset: 76,
        trace_source: "recorded from the executor's memory".into(),
        asm: vec![
            GroupAsm {
                before: a0.clone(),
                after: a0,
            },
            GroupAsm {
                before: a1(&g1.code_stencil, false),
                after: a1(&bytes[8..0x1d], true),
            },
            GroupAsm {
                before: a2(&g2.code_stencil),
                after: a2(&bytes[0x1d..0x23]),
            },
            GroupAsm {
                before: vec![asm(0x23, &[0xcc], "int3", &[], None)],
                after: vec![asm(0x23, &[0xcc], "int3", &[], None)],
            },
        ],
        region: Ok(region),
        trampoline_asm: vec![],
        slot_steps: vec![],
        check: Some(cpyviz_model::jit::LiveCheck {
            findings: vec![cpyviz_model::jit::Finding {
                what: "region size".into(),
                predicted: "a whole number of 4096-byte pages".into(),
                found: "8192 bytes = 2 pages".into(),
                agrees: true,
                at: None,
            }],
            byte_match: None,
            per_uop: vec![],
        }),
    }
}

/// 3.15 on aarch64-apple-darwin, far: `[1]` calls `_PyLong_Add` (ordinal 5) with `bl`, out
/// of range: through trampoline slot 0.
fn arm_executor() -> ExecutorJit {
    let mut ex = x86_executor(Target::Aarch64Darwin);
    let Ok(r) = &mut ex.region else {
        unreachable!()
    };
    let slot_at = 0x24;
    let call = patched(
        hole(
            PatchFn::Aarch64Trampoline,
            HoleValue::Zero,
            0x14,
            None,
            Some(HoleSpecial::Trampoline { ordinal: 5 }),
        ),
        0x1c,
        4,
        SYM + 0x140,
        "",
        vec![0, 0, 0, 0x94],
        vec![0x02, 0, 0, 0x94],
        Destination::Trampoline(0),
        Via::Trampoline,
        "call _PyLong_Add: 40.0 GiB away, out of range: through trampoline slot 0",
    );
    r.uops[1].holes.push(call);
    r.trampoline_mask = SymbolMask([1 << 5, 0, 0, 0]);
    r.layout.trampolines = slot_at..slot_at + 16;
    r.trampolines = vec![TrampolineSlot {
        ordinal: 5,
        symbol: "_PyLong_Add".into(),
        index: 0,
        address: BASE + slot_at as u64,
        target: SYM + 0x140,
        used: true,
    }];
    r.memory = memory("model \"far\" (test)");
    while r.symbols.len() < 6 {
        r.symbols.push(format!("sym{}", r.symbols.len()));
    }
    r.symbols[5] = "_PyLong_Add".into();
    ex.asm[1].after[3] = asm(
        0x1c,
        &[0x02, 0, 0, 0x94],
        "bl 0x7f0000000024",
        &[2],
        Some(Destination::Trampoline(0)),
    );
    ex.asm[1].before[3] = asm(0x1c, &[0, 0, 0, 0x94], "bl 0x7f000000001c", &[2], None);
    ex.trampoline_asm = vec![
        asm(slot_at, &[0x48, 0, 0, 0x58], "ldr x8, #8", &[], None),
        asm(slot_at + 4, &[0x00, 0x01, 0x1f, 0xd6], "br x8", &[], None),
        asm(
            slot_at + 8,
            &(SYM + 0x140).to_le_bytes(),
            "ldr x8, #8",
            &[],
            Some(Destination::Symbol {
                name: "_PyLong_Add".into(),
                offset: 0,
            }),
        ),
    ];
    ex.slot_steps = vec![steps(&r.trampoline_mask, 5, BASE + slot_at as u64)];
    ex
}

fn steps(mask: &SymbolMask, ordinal: u32, mem: u64) -> SlotSteps {
    let word = ordinal as usize / 32;
    let bit = ordinal % 32;
    let below = mask.0[word] & ((1 << bit) - 1);
    let earlier: Vec<u32> = mask.0[..word].iter().map(|w| w.count_ones()).collect();
    let index = below.count_ones() as usize + earlier.iter().sum::<u32>() as usize;
    SlotSteps {
        mask: *mask,
        ordinal,
        word,
        bit,
        symbol_mask: 1 << bit,
        mask_word: mask.0[word],
        present: mask.contains(ordinal),
        below,
        below_count: below.count_ones(),
        earlier_counts: earlier,
        index,
        address: mem + 16 * index as u64,
        mem,
        slot_size: 16,
    }
}

struct Stand;

impl JitBuilder for Stand {
    fn build(&self, capture: &Capture, options: &JitOptions) -> JitView {
        let target = options.target.unwrap_or(Target::X86_64Linux);
        let far = options.memory == MemoryChoice::Preset("far".into());
        let mut example_mask = SymbolMask::default();
        for o in [3, 7, 15, 37, 42] {
            example_mask.insert(o);
        }
        let (note, executors) = match (&capture.engine, &options.stencils) {
            (Engine::Builtin, _) => (Some("the built-in engine has no traces yet".into()), vec![]),
            (_, StencilChoice::Imported) => (Some("no imported stencils for 3.15".into()), vec![]),
            _ if target == Target::Aarch64Darwin && far => (None, vec![arm_executor()]),
            _ => (None, vec![x86_executor(target)]),
        };
        JitView {
            options: options.clone(),
            version: PyVersion::V3_15,
            target,
            stencils: "cpyviz's built-in stencils (a model, not CPython's)".into(),
            stencils_are_model: true,
            memory: "model \"near\" (test)".into(),
            memory_choices: vec!["recorded".into(), "near".into(), "far".into()],
            note,
            executors,
            example: steps(&example_mask, 37, 0x7f00_0000_1000),
        }
    }
}

fn capture(engine: Engine) -> Capture {
    let source = Source::from_text("t.py", "for i in range(9):\n    i + 1\n");
    let err = || PyError::new(PyErrorKind::Unsupported, "not in this test", "t.py");
    let executors = match engine {
        Engine::Builtin => None,
        _ => Some(Ok(vec![Executor {
            qualname: "<module>".into(),
            offset: 76,
            uops: ["_START_EXECUTOR", "_GUARD_TOS_INT", "_EXIT_TRACE"]
                .into_iter()
                .map(|n| Uop {
                    name: n.into(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }])),
    };
    let later = LaterStages {
        executors,
        jit: JitCell::new(Arc::new(Stand)),
        ..Default::default()
    };
    Capture::complete(
        engine,
        PyVersion::V3_15,
        source,
        Ok(vec![]),
        (Err(err()), vec![]),
        (None, vec![]),
        later,
    )
}

fn live() -> Capture {
    capture(Engine::Cpython {
        executable: "python3.15".into(),
        version: "3.15.2 (test)".into(),
    })
}

fn app_on(cap: Capture, stage: Stage) -> App {
    let mut app = App::new(vec![cap], PyVersion::V3_15, stage);
    app.settle();
    app
}

fn act(app: &mut App, actions: &[Action]) {
    for &a in actions {
        app.update(a);
        app.settle();
    }
}

fn screen(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// The text of the cells drawn in `style`'s background.
fn cells_in(buf: &Buffer, style: ratatui::style::Style) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            if buf[(x, y)].bg == style.bg.unwrap() {
                out.push_str(buf[(x, y)].symbol());
            }
        }
    }
    out
}

fn selected_line(buf: &Buffer) -> String {
    screen(buf)
        .lines()
        .find(|l| l.contains('▶'))
        .unwrap_or("")
        .to_string()
}

#[test]
fn the_pane_lists_uops_holes_and_patched_operands_with_the_model_label() {
    let mut app = app_on(live(), Stage::MachineCode);
    let buf = render_to_buffer(&mut app, 200, 40);
    let s = screen(&buf);
    assert!(
        s.contains("Machine code · CPython 3.15.2 (live) · CPython 3.15"),
        "{s}"
    );
    assert!(s.contains("built-in stencils: a model"), "{s}");
    assert!(
        s.contains("[1] _GUARD_TOS_INT → stencil _GUARD_TOS_INT_r11 · code +0x8..+0x1d · careful: int guard"),
        "{s}"
    );
    assert!(s.contains("hole 0: code +0x2 R_TEST patch_64 = 0x555555700040 · direct → PyLong_Type · (uintptr_t)&PyLong_Type"), "{s}");
    assert!(s.contains("; hole 0: hole 0 ← &PyLong_Type"), "{s}");
    assert!(s.contains("Trace GOT"), "{s}");
    assert!(s.contains("✓ region size"), "{s}");
    let s = screen(&render_to_buffer(&mut app, 200, 40));
    assert!(s.contains("built-in stencils: a model s · memory recorded → near (no addresses recorded) m · x86_64-unknown-linux-gnu"), "{s}");
    let s = screen(&render_to_buffer(&mut app, 120, 36));
    assert!(
        s.contains(
            "model stencils s · memory near (none recorded) m · x86_64-linux-gnu t · patched"
        ),
        "{s}"
    );
}

#[test]
fn stepping_holes_moves_the_highlight_and_toggling_changes_the_bytes() {
    let mut app = app_on(live(), Stage::MachineCode);
    act(&mut app, &[Action::NextHole]);
    assert_eq!(
        app.jit().hole,
        Some(HoleRef {
            exec: 0,
            group: 1,
            hole: 0
        })
    );
    let buf = render_to_buffer(&mut app, 140, 40);
    // The 8 bytes of PyLong_Type's address, patched.
    assert_eq!(
        cells_in(&buf, THEME.hole_selected).trim_start_matches("hole 0"),
        "4000705555550000"
    );
    assert!(screen(&buf).contains("bytes: 00 00 00 00 00 00 00 00 → 40 00 70 55 55 55 00 00"));
    act(&mut app, &[Action::TogglePatched]);
    let buf = render_to_buffer(&mut app, 140, 40);
    assert!(!app.jit().patched);
    assert_eq!(
        cells_in(&buf, THEME.hole_selected).trim_start_matches("hole 0"),
        "0000000000000000"
    );
    assert!(
        selected_line(&buf).contains("mov rcx,0"),
        "{}",
        screen(&buf)
    );
    act(&mut app, &[Action::TogglePatched, Action::NextHole]);
    let buf = render_to_buffer(&mut app, 140, 40);
    assert!(selected_line(&buf).contains("jne"), "{}", screen(&buf));
    assert_eq!(
        cells_in(&buf, THEME.hole_selected).trim_start_matches("hole 1"),
        "01000000"
    );
    act(&mut app, &[Action::NextHole, Action::NextHole]);
    assert!(app.status.as_deref().unwrap_or("").contains("last hole"));
    act(&mut app, &[Action::PrevHole]);
    assert_eq!(app.jit().hole.map(|h| h.hole), Some(1));
}

#[test]
fn following_a_jump_lands_on_the_stub_and_back_returns() {
    let mut app = app_on(live(), Stage::MachineCode);
    act(&mut app, &[Action::NextHole, Action::NextHole]);
    let from = app.selected_row();
    act(&mut app, &[Action::ToggleFold]);
    let buf = render_to_buffer(&mut app, 140, 40);
    assert!(
        selected_line(&buf).contains("[2] _EXIT_TRACE"),
        "{}",
        screen(&buf)
    );
    act(&mut app, &[Action::Back]);
    assert_eq!(app.selected_row(), from);
    // A symbol: the Explain pane says where it is.
    act(&mut app, &[Action::PrevHole, Action::ToggleFold]);
    let s = screen(&render_to_buffer(&mut app, 140, 40));
    assert!(
        s.contains("Followed: PyLong_Type is at 0x555555700040"),
        "{s}"
    );
    // The GOT call goes to the GOT slot row.
    act(
        &mut app,
        &[Action::NextHole, Action::NextHole, Action::ToggleFold],
    );
    let buf = render_to_buffer(&mut app, 140, 40);
    assert!(
        selected_line(&buf).contains("ordinal   1 PyLong_Type"),
        "{}",
        screen(&buf)
    );
}

#[test]
fn a_far_aarch64_call_follows_to_the_trampoline_explainer() {
    let mut app = app_on(live(), Stage::Trampolines);
    let s = screen(&render_to_buffer(&mut app, 140, 40));
    assert!(s.contains("TRAMPOLINE_SIZE is 0"), "{s}");
    assert!(s.contains("Press t for aarch64-apple-darwin"), "{s}");
    act(&mut app, &[Action::GoToStage(5)]);
    // x86-64 Linux → x86-64 Darwin → aarch64 Linux → aarch64 Darwin, then near → far.
    act(
        &mut app,
        &[
            Action::CycleTarget,
            Action::CycleTarget,
            Action::CycleTarget,
        ],
    );
    assert_eq!(app.jit().options.target, Some(Target::Aarch64Darwin));
    act(&mut app, &[Action::CycleMemory, Action::CycleMemory]);
    assert_eq!(app.jit().options.memory, MemoryChoice::Preset("far".into()));
    let s = screen(&render_to_buffer(&mut app, 140, 40));
    assert!(s.contains("aarch64-apple-darwin"), "{s}");
    act(
        &mut app,
        &[Action::NextHole, Action::NextHole, Action::NextHole],
    );
    let buf = render_to_buffer(&mut app, 140, 40);
    assert!(
        selected_line(&buf).contains("bl 0x7f0000000024"),
        "{}",
        screen(&buf)
    );
    act(&mut app, &[Action::ToggleFold]);
    assert_eq!(app.stage, Stage::Trampolines);
    let buf = render_to_buffer(&mut app, 140, 60);
    let line = selected_line(&buf);
    assert!(
        line.contains("5 _PyLong_Add") && line.contains("out of range → slot 0"),
        "{line}"
    );
    let s = screen(&buf);
    assert!(s.contains("get_trampoline_slot(5) for _PyLong_Add"), "{s}");
    assert!(s.contains("index = 0\n") || s.contains("index = 0 "), "{s}");
    assert!(s.contains("after:  02 00 00 94"), "{s}");
    act(&mut app, &[Action::Back]);
    assert_eq!(app.stage, Stage::MachineCode);
    // Back to the recorded target: t cycles round.
    act(&mut app, &[Action::CycleTarget]);
    assert_eq!(app.jit().options.target, None);
}

#[test]
fn the_worked_example_puts_symbol_37_in_slot_3() {
    let mut app = app_on(live(), Stage::Trampolines);
    act(&mut app, &[Action::ToggleExample]);
    let buf = render_to_buffer(&mut app, 140, 40);
    let s = screen(&buf);
    assert!(s.contains("symbol 37 lands in slot index 3"), "{s}");
    assert!(s.contains("index = 0 + 3 = 3"), "{s}");
    // 37 is bit 5 of mask[1]: the selected bit; 42 is set above it.
    assert!(s.contains("mask[1] = 0x00000420"), "{s}");
    assert_eq!(cells_in(&buf, THEME.bit_selected), "1");
}

#[test]
fn notes_are_shown_plainly() {
    let mut app = app_on(capture(Engine::Builtin), Stage::MachineCode);
    let s = screen(&render_to_buffer(&mut app, 120, 36));
    assert!(s.contains("the built-in engine has no traces yet"), "{s}");
    assert!(s.contains("is not built yet in the builtin model"), "{s}");
    let mut app = app_on(live(), Stage::MachineCode);
    act(&mut app, &[Action::CycleStencils]);
    let s = screen(&render_to_buffer(&mut app, 120, 36));
    assert!(s.contains("no imported stencils for 3.15"), "{s}");
    assert!(s.contains("imported stencils"), "{s}");
}

#[test]
fn jit_keys_elsewhere_say_where_they_belong() {
    let mut app = app_on(live(), Stage::Uops);
    act(&mut app, &[Action::TogglePatched]);
    assert!(app.status.as_deref().unwrap_or("").contains("Machine code"));
    act(&mut app, &[Action::ToggleExample]);
    assert!(app.status.as_deref().unwrap_or("").contains("Trampolines"));
}

#[test]
fn clicks_select_rows_and_narrow_terminals_draw() {
    let mut app = app_on(live(), Stage::MachineCode);
    let _ = render_to_buffer(&mut app, 120, 36);
    let areas = crate::ui::layout(&app);
    // The options bar is row 0 of the pane; the third list row is two below the first.
    let y = areas.stage_inner.y + 3;
    app.update(Action::Click(crate::ui::hit(
        &app,
        areas.stage_inner.x + 4,
        y,
    )));
    assert_eq!(app.selected_row(), 2);
    for (w, h) in [(60, 16), (70, 20), (200, 60)] {
        for stage in [Stage::MachineCode, Stage::Trampolines] {
            app.update(Action::GoToStage(stage as usize));
            app.settle();
            for _ in 0..30 {
                app.update(Action::Down);
                let _ = render_to_buffer(&mut app, w, h);
            }
        }
    }
}

//! The later-stage panes (bytecode, specialized, micro-ops, machine code, trampolines) on
//! captures recorded from the reference CPythons (`tests/captures/`), so these tests run
//! without Python. The JIT panes show the engine's JIT stages of those captures (built-in
//! stencils, a model) and the recorded machine code.

mod common;
use common::{highlighted_source, press, settled, text};

use cpyviz_engine::builtin::captures as builtin_captures;
use cpyviz_engine::capture_file;
use cpyviz_model::capture::Stage;
use cpyviz_model::jit::{Destination, HoleSpecial, HoleValue, MemoryChoice, Target, Via};
use cpyviz_model::version::PyVersion;
use cpyviz_tui::app::jit::{groups, HoleRef, JitRow, Section, TrampRow};
use cpyviz_tui::app::App;
use cpyviz_tui::theme::DARK as THEME;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Style;
use ratatui::Terminal;
use std::path::Path;

fn open(version: &str, stage: Stage) -> App {
    let path = format!("tests/captures/abs-{version}.capture.json");
    let captures = capture_file::read(Path::new(&path)).expect("committed capture reads");
    let v = captures[0].version;
    settled(App::new(captures, v, stage))
}

fn draw(app: &mut App, width: u16, height: u16) -> Buffer {
    app.size = (width, height);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| frame.render_widget(&*app, frame.area()))
        .unwrap();
    terminal.backend().buffer().clone()
}

/// Moves the stage selection down until `pred` holds for the screen (at most `max` rows).
fn select_row_showing(app: &mut App, needle: &str) -> Buffer {
    for _ in 0..400 {
        let buf = draw(app, 140, 40);
        let screen = text(&buf);
        if screen
            .lines()
            .any(|l| l.contains('▶') && l.contains(needle))
        {
            return buf;
        }
        press(app, "<Down>");
    }
    panic!("no row shows {needle}");
}

/// The selected row of the stage pane, as text.
fn selected_line(buf: &Buffer) -> String {
    text(buf)
        .lines()
        .find(|l| l.contains('▶'))
        .unwrap_or("")
        .to_string()
}

/// Presses `key` until `done` holds (at most `max` times); whether it came to hold.
fn press_until(app: &mut App, key: &str, max: usize, done: impl Fn(&App) -> bool) -> bool {
    for _ in 0..max {
        if done(app) {
            return true;
        }
        press(app, key);
    }
    done(app)
}

/// Selects the header of the real machine code's listing (after the model rows).
fn go_to_real_listing(app: &mut App) {
    let found = press_until(app, "]", 3000, |app| {
        matches!(
            app.jit().machine.get(app.selected_row()),
            Some(JitRow::Section {
                section: Section::Real,
                ..
            })
        )
    });
    assert!(found, "no real listing");
}

/// The stage pane's cells drawn in `style`'s background: (x, y, symbol), row by row.
fn cells_in(buf: &Buffer, style: Style) -> Vec<(u16, u16, String)> {
    let bg = style.bg.unwrap();
    let mut out = Vec::new();
    for y in 3..buf.area.height.saturating_sub(9) {
        for x in buf.area.width * 3 / 10..buf.area.width {
            if buf[(x, y)].bg == bg {
                out.push((x, y, buf[(x, y)].symbol().to_string()));
            }
        }
    }
    out
}

fn symbols(cells: &[(u16, u16, String)]) -> String {
    cells.iter().map(|c| c.2.as_str()).collect()
}

#[test]
fn bytecode_pane_shows_instructions_by_line_with_labels() {
    for v in ["3.14", "3.15"] {
        let mut app = open(v, Stage::Bytecode);
        let buf = draw(&mut app, 140, 46);
        let screen = text(&buf);
        assert!(screen.contains(&format!("CPython {v}")), "{screen}");
        assert!(screen.contains("(live)"), "{screen}");
        assert!(
            screen.contains("Disassembly of <code object <module>"),
            "{screen}"
        );
        assert!(screen.contains("L1: FOR_ITER"), "{screen}");
        assert!(screen.contains("(to L1)"), "{screen}");
        assert!(
            screen
                .lines()
                .any(|l| l.contains("  10 ") && l.contains("LOAD_NAME")),
            "{screen}"
        );
        // The function's code object follows, with its header; COMPARE_OP is in it.
        // `a > b` in abs (`__annotate__` has a COMPARE_OP too, on `format > 2`).
        let buf = select_row_showing(&mut app, "bool(>)");
        let line = selected_line(&buf);
        assert!(line.contains("COMPARE_OP"), "{line}");
        assert_eq!(highlighted_source(&buf), "a > b");
        let screen = text(&buf);
        assert!(
            screen.contains("Disassembly of <code object abs"),
            "{screen}"
        );
        assert!(
            screen.contains("COMPARE_OP — 1 cache entry; pops 2, pushes 1"),
            "{screen}"
        );
        assert!(screen.contains("selects `>`"), "{screen}");
    }
}

#[test]
fn specialized_pane_shows_specialized_forms_distinctly() {
    let mut app = open("3.15", Stage::Specialized);
    let buf = select_row_showing(&mut app, "BINARY_OP_SUBTRACT_INT");
    let screen = text(&buf);
    assert!(
        screen.contains(
            "BINARY_OP_SUBTRACT_INT — specialized form of BINARY_OP (5 cache entries); pops 2, pushes 1"
        ),
        "{screen}"
    );
    assert!(screen.contains("operator NB_SUBTRACT"), "{screen}");
    assert_eq!(highlighted_source(&buf), "a - b");
    // The specialized name is coloured differently from a base instruction's.
    let y = (0..buf.area.height)
        .find(|&y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
                .contains("▶")
        })
        .unwrap();
    let x = (buf.area.width / 2..buf.area.width)
        .find(|&x| buf[(x, y)].symbol() == "B")
        .unwrap();
    assert_eq!(buf[(x, y)].fg, THEME.specialized.fg.unwrap());
    assert!(screen.contains("COMPARE_OP_INT"), "{screen}");
}

#[test]
fn moving_in_the_source_selects_the_instruction_there() {
    let mut app = open("3.15", Stage::Specialized);
    press(&mut app, "f");
    // Line 4 is `        return a - b`: put the cursor on the minus sign.
    press(&mut app, "<Down><Down><Down>");
    for _ in 0.."        return a ".len() {
        press(&mut app, "<Right>");
    }
    let buf = draw(&mut app, 140, 40);
    let line = selected_line(&buf);
    assert!(line.contains("BINARY_OP_SUBTRACT_INT"), "{line}");
}

#[test]
fn code_objects_fold_and_unfold() {
    let mut app = open("3.15", Stage::Bytecode);
    let rows = app.row_count();
    press(&mut app, "<Enter>");
    // The module's 36 instructions are hidden under its header.
    assert_eq!(app.row_count(), rows - 36);
    let buf = draw(&mut app, 140, 40);
    assert!(
        selected_line(&buf).contains("▸ Disassembly of"),
        "{}",
        text(&buf)
    );
    assert!(text(&buf).contains("36 instructions"), "{}", text(&buf));
    press(&mut app, "<Enter>");
    assert_eq!(app.row_count(), rows);
}

#[test]
fn uops_pane_lists_executors_and_highlights_determined_targets() {
    let mut app = open("3.15", Stage::Uops);
    let buf = draw(&mut app, 140, 40);
    let screen = text(&buf);
    assert!(
        screen.contains("Executor for <module> at offset 80 · 81 uops · valid"),
        "{screen}"
    );
    assert!(screen.contains("_START_EXECUTOR"), "{screen}");
    // `_POP_TOP_INT` after the call returned targets BINARY_OP_ADD_INT at offset 66.
    let buf = select_row_showing(&mut app, "_POP_TOP_INT");
    assert!(
        selected_line(&buf).contains("← 66 BINARY_OP_ADD"),
        "{}",
        selected_line(&buf)
    );
    assert_eq!(highlighted_source(&buf), "total += abs(i, 10_000)");
    // Inside the inlined call the capture does not say which code object runs: nothing.
    let mut app = open("3.15", Stage::Uops);
    let buf = select_row_showing(&mut app, "_COMPARE_OP_INT");
    assert!(
        !selected_line(&buf).contains('→'),
        "{}",
        selected_line(&buf)
    );
    assert_eq!(highlighted_source(&buf), "");
    assert!(
        text(&buf).contains("cannot be told from the capture"),
        "{}",
        text(&buf)
    );
}

#[test]
fn machine_code_tied_to_a_uop_only_where_its_operand_proves_it() {
    let mut app = open("3.15", Stage::MachineCode);
    go_to_real_listing(&mut app);
    let buf = select_row_showing(&mut app, "operand of #2 _SET");
    let screen = text(&buf);
    assert!(
        screen.contains("Part of the stencil of uop #2 _SET_IP"),
        "{screen}"
    );
    // the uop's target instruction, as the Micro-ops pane shows it for that uop
    assert!(!highlighted_source(&buf).is_empty());
    let buf = select_row_showing(&mut app, "mov [r13+38h],rax");
    assert!(text(&buf).contains("Uop: unassigned"), "{}", text(&buf));
    assert_eq!(highlighted_source(&buf), "");
}

#[test]
fn machine_code_pane_shows_disassembly() {
    for v in ["3.14", "3.15"] {
        let mut app = open(v, Stage::MachineCode);
        // After the model: the real machine code, as recorded.
        go_to_real_listing(&mut app);
        let buf = draw(&mut app, 140, 40);
        let screen = text(&buf);
        assert!(
            selected_line(&buf).contains("Real machine code, as recorded · "),
            "{screen}"
        );
        assert!(screen.contains("bytes at 0x"), "{screen}");
        assert!(screen.contains(" mov "), "{screen}");
        // the next row labels the code part of the region; then the finding about the start
        // of the region (the code part decodes), next to those bytes; then the first
        // instruction
        assert!(screen.contains("code +0x0..+0x"), "{screen}");
        press(&mut app, "<Down>");
        press(&mut app, "<Down>");
        let buf = draw(&mut app, 140, 40);
        assert!(
            selected_line(&buf).contains("✓ code part"),
            "{}",
            text(&buf)
        );
        press(&mut app, "<Down>");
        let buf = draw(&mut app, 140, 40);
        assert!(
            text(&buf).contains("decoded with iced-x86"),
            "{}",
            text(&buf)
        );
        // a call through the data part, annotated with what the recording process resolved
        let buf = select_row_showing(&mut app, "; data+0x");
        let screen = text(&buf);
        assert!(
            screen.contains("→ _Py") && screen.contains("as the recording process resolved it"),
            "{screen}"
        );
    }
}

#[test]
fn the_builtin_engine_fills_every_stage() {
    let captures = builtin_captures(Path::new("samples/abs.py")).unwrap();
    let mut app = settled(App::new(captures, PyVersion::V3_14, Stage::Bytecode));
    // The VM's run (4), its tier 2's executors (5), their machine code with the built-in
    // stencils (6) and the trampoline explainer (7).
    let expect = [
        ("4", " of "),
        ("5", "Executor for <module> at offset 76"),
        ("6", "trace from the built-in tier 2"),
        ("7", "trampoline"),
    ];
    for (key, what) in expect {
        press(&mut app, key);
        let screen = text(&draw(&mut app, 120, 36));
        assert!(screen.contains(what), "stage {key}: {screen}");
        assert!(
            !screen.contains("is not built yet"),
            "stage {key}: {screen}"
        );
    }
}

#[test]
fn with_the_jit_off_the_builtin_engine_builds_no_executors() {
    let run = cpyviz_model::execution::RunOptions {
        jit: false,
        ..Default::default()
    };
    let captures =
        cpyviz_engine::builtin::captures_with(Path::new("samples/abs.py"), &run).unwrap();
    let mut app = settled(App::new(captures, PyVersion::V3_14, Stage::Uops));
    let screen = text(&draw(&mut app, 120, 36));
    assert!(
        screen.contains("is not built yet in the builtin model"),
        "{screen}"
    );
}

#[test]
fn the_builtin_engines_jit_note_is_shown() {
    // No loop of this file runs hot: the JIT stages say why they have nothing to show.
    let captures = builtin_captures(Path::new("tests/corpus/01_functions.py")).unwrap();
    let mut app = settled(App::new(captures, PyVersion::V3_15, Stage::MachineCode));
    let note = app
        .jit()
        .view()
        .and_then(|v| v.note.clone())
        .expect("the built-in engine's JIT stages carry a note");
    for stage in ["6", "7"] {
        press(&mut app, stage);
        let screen = text(&draw(&mut app, 160, 40)).replace('│', " ");
        let flat = screen.split_whitespace().collect::<Vec<_>>().join(" ");
        let words = note.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(&words), "{note:?} not on\n{screen}");
        assert!(screen.contains("built-in stencils: a model"), "{screen}");
    }
}

#[test]
fn machine_code_without_the_jit_says_not_recorded() {
    let mut captures =
        capture_file::read(Path::new("tests/captures/abs-3.14.capture.json")).unwrap();
    if let Some(i) = &mut captures[0].later.interpreter {
        i.jit_enabled = Some(false);
        i.jit_note = None;
    }
    // A run without the JIT records traces but no machine code.
    if let Some(Ok(exs)) = &mut captures[0].later.executors {
        for ex in exs {
            ex.jit_code = None;
            ex.jit_address = None;
        }
    }
    captures[0].later.machine_code = None;
    let mut app = settled(App::new(captures, PyVersion::V3_14, Stage::MachineCode));
    // cpyviz's model of what the JIT would make of the traces is still there…
    let screen = text(&draw(&mut app, 140, 40));
    assert!(screen.contains("built-in stencils: a model"), "{screen}");
    assert!(screen.contains("model region"), "{screen}");
    // …but nothing real: the section says so, and has no instruction.
    go_to_real_listing(&mut app);
    let screen = text(&draw(&mut app, 140, 40));
    assert!(screen.contains("Not recorded"), "{screen}");
    assert!(screen.contains("ran without the JIT"), "{screen}");
    assert!(
        !app.jit().machine.iter().any(|r| matches!(
            r,
            JitRow::Real(cpyviz_tui::app::stages::MachineRow::Asm { .. })
        )),
        "no recorded instruction"
    );
}

#[test]
fn odd_captures_do_not_panic() {
    let mut captures =
        capture_file::read(Path::new("tests/captures/abs-3.15.capture.json")).unwrap();
    let cap = &mut captures[0];
    // Positions missing or out of range, an executor with no code and no uops, a bogus index.
    if let Some(Ok(code)) = &mut cap.later.specialized {
        for (k, i) in code.children[1].instructions.iter_mut().enumerate() {
            if k % 2 == 0 {
                i.positions = None;
            } else if let Some(p) = &mut i.positions {
                p.lineno = Some(999);
                p.end_lineno = Some(999);
            }
        }
    }
    if let Some(Ok(exs)) = &mut cap.later.executors {
        exs.push(cpyviz_model::uops::Executor {
            code_index: 77,
            ..Default::default()
        });
        exs[0].uops.truncate(3);
    }
    let mut app = settled(App::new(
        captures.clone(),
        PyVersion::V3_15,
        Stage::Bytecode,
    ));
    for s in ["3", "4", "5", "6"] {
        press(&mut app, s);
        for _ in 0..120 {
            press(&mut app, "<Down>");
            draw(&mut app, 100, 24);
        }
        press(&mut app, "<End>");
        draw(&mut app, 60, 16);
    }
    // No executors at all. (Clones of a capture share its computed JIT stages: a changed
    // capture gets its own.)
    if let Some(Ok(exs)) = &mut captures[0].later.executors {
        exs.clear();
    }
    cpyviz_engine::jit::attach(&mut captures[0]);
    let mut app = settled(App::new(captures, PyVersion::V3_15, Stage::Uops));
    let screen = text(&draw(&mut app, 120, 36));
    assert!(screen.contains("No executor"), "{screen}");
    // The JIT stages say why there is nothing to compile, in the engine's words.
    for stage in ["6<Down>", "7<Down>"] {
        press(&mut app, stage);
        let screen = text(&draw(&mut app, 120, 36));
        assert!(screen.contains("no executors:"), "{screen}");
    }
}

#[test]
fn snapshots_per_stage() {
    for (stage, name, keys) in [
        (Stage::Bytecode, "abs315_bytecode", ""),
        (Stage::Specialized, "abs315_specialized", ""),
        (Stage::Uops, "abs315_uops", ""),
    ] {
        let mut app = open("3.15", stage);
        press(&mut app, keys);
        let screen = text(&draw(&mut app, 120, 36));
        insta::assert_snapshot!(name, screen);
    }
    // The function's code object, an instruction selected.
    let mut app = open("3.15", Stage::Specialized);
    select_row_showing(&mut app, "BINARY_OP_SUBTRACT_INT");
    let screen = text(&draw(&mut app, 120, 36));
    insta::assert_snapshot!("abs315_specialized_abs", screen);
}

#[test]
fn output_overlay_shows_what_the_live_run_printed() {
    let mut app = open("3.15", Stage::Bytecode);
    let printed = match app.capture().ready_run() {
        Some(Ok(run)) => run.stdout.trim().to_string(),
        other => panic!("the committed capture has a run: {other:?}"),
    };
    assert!(!printed.is_empty());
    press(&mut app, "o");
    let screen = text(&draw(&mut app, 100, 30));
    assert!(screen.contains("Output · CPython 3.15"), "{screen}");
    assert!(screen.contains(&printed), "{screen}");
    press(&mut app, "o");
    assert!(!app.show_output);
    // Without a VM the builtin model does not run the snippet, and says so; with one, it
    // shows what its run printed.
    let mut builtin = settled(App::new(
        builtin_captures(Path::new("samples/abs.py")).unwrap(),
        PyVersion::V3_14,
        Stage::Tokens,
    ));
    press(&mut builtin, "o");
    let screen = text(&draw(&mut builtin, 100, 30));
    match builtin.capture().ready_run() {
        None => assert!(screen.contains("does not run the snippet"), "{screen}"),
        Some(_) => assert!(screen.contains("Output · builtin model"), "{screen}"),
    }
}

#[test]
fn jumps_are_drawn_as_arrows_from_instruction_to_target() {
    let mut app = open("3.14", Stage::Bytecode);
    let buf = draw(&mut app, 140, 46);
    let screen = text(&buf);
    let row = |needle: &str| -> String {
        screen
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle} row:\n{screen}"))
            .to_string()
    };
    // The loop: JUMP_BACKWARD leaves from its row (╰) and arrives at FOR_ITER (►); FOR_ITER's
    // exit jump arrives at END_FOR.
    assert!(row("L1: FOR_ITER").contains('►'), "{screen}");
    assert!(row("JUMP_BACKWARD").contains('╰'), "{screen}");
    assert!(row("L2: END_FOR").contains("╰─►"), "{screen}");
    // The rows between carry the lanes.
    assert!(row("STORE_NAME                4").contains('│'), "{screen}");
}

#[test]
fn inline_caches_show_on_demand() {
    let mut app = open("3.15", Stage::Bytecode);
    let before = text(&draw(&mut app, 140, 40));
    assert!(!before.contains("CACHE"), "{before}");
    press(&mut app, "c");
    let buf = draw(&mut app, 140, 40);
    let screen = text(&buf);
    // CALL has a counter and a function version in 3.15.
    assert!(screen.contains("CACHE"), "{screen}");
    assert!(screen.contains("counter: 0 (1 code unit)"), "{screen}");
    assert!(screen.contains("showing inline cache entries"), "{screen}");
    let buf = select_row_showing(&mut app, "CACHE");
    let screen = text(&buf);
    assert!(
        screen.contains("Inline caches follow their instruction"),
        "{screen}"
    );
    press(&mut app, "c");
    let after = text(&draw(&mut app, 140, 40));
    assert!(!after.contains("CACHE "), "{after}");
}

#[test]
fn versions_compare_side_by_side() {
    let mut captures = Vec::new();
    for v in ["3.14", "3.15"] {
        let path = format!("tests/captures/abs-{v}.capture.json");
        captures.extend(capture_file::read(Path::new(&path)).unwrap());
    }
    let mut app = settled(App::new(captures, PyVersion::V3_14, Stage::Bytecode));
    press(&mut app, "d");
    let buf = draw(&mut app, 160, 40);
    let screen = text(&buf);
    assert!(screen.contains("CPython 3.14 ↔ 3.15"), "{screen}");
    assert!(screen.contains("lines differ"), "{screen}");
    // The module's final `return None`: LOAD_CONST in 3.14, LOAD_COMMON_CONSTANT in 3.15,
    // on the same row.
    let row = screen
        .lines()
        .find(|l| l.contains("LOAD_COMMON_CONSTANT"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(row.contains("LOAD_CONST") && row.contains('│'), "{row}");
    // Changed lines are colored; equal ones are not.
    let y = screen.lines().position(|l| l == row).unwrap() as u16;
    let x = row.find("LOAD_CONST").unwrap() as u16;
    assert_eq!(buf[(x, y)].bg, THEME.diff_old.bg.unwrap());
    press(&mut app, "<Down><Down>d");
    assert!(app.diff.is_none());
    // With one version only, the key explains why nothing opens.
    let mut single = open("3.15", Stage::Bytecode);
    press(&mut single, "d");
    assert!(single.diff.is_none());
    assert!(single
        .status
        .as_deref()
        .unwrap_or("")
        .contains("no CPython 3.14 capture"));
}

#[test]
fn builtin_bytecode_is_navigable_by_code_object_and_explained() {
    let captures = builtin_captures(Path::new("samples/abs.py")).unwrap();
    let mut app = settled(App::new(captures, PyVersion::V3_15, Stage::Bytecode));
    let screen = text(&draw(&mut app, 140, 40));
    assert!(
        screen.contains("Bytecode · builtin model · CPython 3.15"),
        "{screen}"
    );
    // `]` goes from one code object header to the next: <module>, __annotate__, abs.
    press(&mut app, "]");
    let screen = text(&draw(&mut app, 140, 40));
    assert!(
        selected_line(&draw(&mut app, 140, 40)).contains("__annotate__"),
        "{screen}"
    );
    press(&mut app, "]");
    let buf = draw(&mut app, 140, 40);
    assert!(
        selected_line(&buf).contains("code object abs"),
        "{}",
        text(&buf)
    );
    press(&mut app, "]");
    assert!(app
        .status
        .as_deref()
        .unwrap_or("")
        .contains("last code object"));
    press(&mut app, "[");
    assert!(selected_line(&draw(&mut app, 140, 40)).contains("__annotate__"));
    // The fused local load explains how its oparg packs two indexes.
    let buf = select_row_showing(&mut app, "(b, a)");
    let screen = text(&buf);
    assert!(
        screen.contains("LOAD_FAST_BORROW_LOAD_FAST_BORROW"),
        "{screen}"
    );
    assert!(screen.contains("16 >> 4 = 1 and 16 & 15 = 0"), "{screen}");
    // A superinstruction keeps the position of its first half.
    assert_eq!(highlighted_source(&buf), "b");
}

fn hexes(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The stage-pane cells of the selected row drawn in `style`'s background, as text.
fn selected_cells(buf: &Buffer, style: Style) -> String {
    let y = (0..buf.area.height)
        .find(|&y| (buf.area.width * 3 / 10..buf.area.width).any(|x| buf[(x, y)].symbol() == "▶"));
    let cells = cells_in(buf, style);
    symbols(
        &cells
            .into_iter()
            .filter(|c| Some(c.1) == y)
            .collect::<Vec<_>>(),
    )
}

/// The first code hole of executor 0's model region for which `pick` holds.
fn find_hole(app: &App, pick: impl Fn(&cpyviz_model::jit::PatchedHole) -> bool) -> Option<HoleRef> {
    let r = app.jit().region(0)?;
    groups(r).iter().enumerate().find_map(|(group, g)| {
        g.holes
            .iter()
            .position(|h| !h.in_data && pick(h))
            .map(|hole| HoleRef {
                exec: 0,
                group,
                hole,
            })
    })
}

/// Steps with `n` to `want`.
fn step_to(app: &mut App, want: HoleRef) {
    let total: usize = app
        .jit()
        .region(0)
        .map_or(0, |r| groups(r).iter().map(|g| g.holes.len()).sum());
    assert!(
        press_until(app, "n", total + 1, |app| app.jit().hole == Some(want)),
        "n never reached {want:?}"
    );
}

#[test]
fn jit_snapshots() {
    for v in ["3.14", "3.15"] {
        let short = v.replace('.', "");
        // The first hole of the first _GUARD_NOS_INT selected: a uop, its holes, a patched
        // operand (PyLong_Type), the hole explained.
        let mut app = open(v, Stage::MachineCode);
        let guard = app.jit().region(0).and_then(|r| {
            groups(r)
                .iter()
                .position(|g| g.uop == "_GUARD_NOS_INT" && !g.holes.is_empty())
        });
        let group = guard.expect("the trace guards an int");
        step_to(
            &mut app,
            HoleRef {
                exec: 0,
                group,
                hole: 0,
            },
        );
        let screen = text(&draw(&mut app, 120, 36));
        insta::assert_snapshot!(format!("abs{short}_machine_code"), screen);
        for (stage, name, keys) in [
            (Stage::Trampolines, "trampolines", ""),
            (Stage::Trampolines, "trampolines_example", "w"),
            // aarch64-apple-darwin, far memory: calls through trampolines; the third symbol
            // selected (under the facts, the mask title, 4 mask words and the symbols title).
            (
                Stage::Trampolines,
                "trampolines_far_aarch64",
                "tttmm<Down><Down><Down><Down><Down><Down><Down><Down><Down><Down>",
            ),
        ] {
            let mut app = open(v, stage);
            press(&mut app, keys);
            let screen = text(&draw(&mut app, 120, 36));
            insta::assert_snapshot!(format!("abs{short}_{name}"), screen);
        }
    }
}

#[test]
fn the_jit_panes_name_engine_version_and_model() {
    for v in ["3.14", "3.15"] {
        for stage in [Stage::MachineCode, Stage::Trampolines] {
            let mut app = open(v, stage);
            let screen = text(&draw(&mut app, 120, 36));
            assert!(
                screen.contains(&format!(
                    "(live) · CPython {v} · built-in stencils: a model"
                )),
                "{screen}"
            );
            let view = app.jit().view().expect("the engine builds the JIT stages");
            assert!(view.stencils_are_model);
            assert!(view.stencils.contains("a model"), "{}", view.stencils);
        }
    }
}

#[test]
fn toggling_patched_and_stencil_changes_a_holes_bytes() {
    for v in ["3.14", "3.15"] {
        let mut app = open(v, Stage::MachineCode);
        let want = find_hole(&app, |h| h.before != h.after).expect("a hole the patch changes");
        step_to(&mut app, want);
        let buf = draw(&mut app, 140, 40);
        let patched = selected_cells(&buf, THEME.hole_selected);
        let (_, _, h) = app.jit().patched_hole(want).unwrap();
        let (before, after) = (hexes(&h.before), hexes(&h.after));
        assert!(!patched.is_empty(), "{}", text(&buf));
        assert!(
            after.contains(&patched) || patched.contains(&after),
            "{patched} vs {after}\n{}",
            text(&buf)
        );
        // The Explain pane shows the bytes before → after.
        assert!(text(&buf).contains(" → "), "{}", text(&buf));
        press(&mut app, "p");
        assert!(!app.jit().patched);
        let buf = draw(&mut app, 140, 40);
        let stencil = selected_cells(&buf, THEME.hole_selected);
        assert!(!stencil.is_empty(), "{}", text(&buf));
        assert_ne!(patched, stencil, "{}", text(&buf));
        assert!(
            before.contains(&stencil) || stencil.contains(&before),
            "{stencil} vs {before}"
        );
        assert!(
            text(&buf).contains("stencils before patching"),
            "{}",
            text(&buf)
        );
        press(&mut app, "p");
        let buf = draw(&mut app, 140, 40);
        assert_eq!(selected_cells(&buf, THEME.hole_selected), patched);
    }
}

#[test]
fn stepping_holes_moves_the_highlight() {
    let mut app = open("3.15", Stage::MachineCode);
    press(&mut app, "n");
    let first = app.jit().hole.expect("n selects a hole");
    let a = cells_in(&draw(&mut app, 140, 40), THEME.hole_selected);
    press(&mut app, "n");
    let second = app.jit().hole.expect("n selects the next hole");
    let buf = draw(&mut app, 140, 40);
    let b = cells_in(&buf, THEME.hole_selected);
    assert_ne!(first, second);
    assert!(!a.is_empty() && !b.is_empty());
    let at = |c: &[(u16, u16, String)]| c.iter().map(|c| (c.0, c.1)).collect::<Vec<_>>();
    assert_ne!(at(&a), at(&b), "the highlight moved");
    assert!(
        text(&buf).contains(&format!("hole {} of", second.hole)),
        "{}",
        text(&buf)
    );
    press(&mut app, "N");
    assert_eq!(app.jit().hole, Some(first));
}

#[test]
fn following_a_jump_target_lands_on_the_exit_stub() {
    for v in ["3.14", "3.15"] {
        let mut app = open(v, Stage::MachineCode);
        let want = find_hole(&app, |h| {
            h.hole.value == HoleValue::JumpTarget && matches!(h.destination, Destination::Uop(_))
        })
        .expect("a guard's jump to its exit stub");
        let (_, _, h) = app.jit().patched_hole(want).unwrap();
        let Destination::Uop(stub) = h.destination else {
            unreachable!()
        };
        let name = app.jit().region(0).unwrap().uops[stub].uop.clone();
        step_to(&mut app, want);
        let from = app.selected_row();
        press(&mut app, "<Enter>");
        let line = selected_line(&draw(&mut app, 140, 40));
        assert!(line.contains(&format!("[{stub}] {name}")), "{line}");
        assert!(
            ["_EXIT_TRACE", "_DEOPT", "_ERROR_POP_N", "_SIDE_EXIT"]
                .iter()
                .any(|s| name.starts_with(s)),
            "{name} is a stub"
        );
        press(&mut app, "b");
        assert_eq!(app.selected_row(), from);
    }
}

#[test]
fn a_far_call_on_aarch64_follows_to_the_trampoline_explainer() {
    let mut app = open("3.15", Stage::MachineCode);
    assert!(press_until(&mut app, "t", 4, |app| {
        app.jit().view().map(|v| v.target) == Some(Target::Aarch64Darwin)
    }));
    assert!(press_until(&mut app, "m", 4, |app| {
        app.jit().options.memory == MemoryChoice::Preset("far".into())
    }));
    let want = find_hole(&app, |h| {
        h.via == Via::Trampoline && matches!(h.hole.special, Some(HoleSpecial::Trampoline { .. }))
    })
    .expect("a call through a trampoline in the far memory model");
    let (r, _, h) = app.jit().patched_hole(want).unwrap();
    let Some(HoleSpecial::Trampoline { ordinal }) = h.hole.special else {
        unreachable!()
    };
    let symbol = r.symbols[ordinal as usize].clone();
    step_to(&mut app, want);
    press(&mut app, "<Enter>");
    assert_eq!(app.stage, Stage::Trampolines);
    assert_eq!(
        app.jit().tramp.get(app.selected_row()),
        Some(&TrampRow::Symbol { exec: 0, ordinal })
    );
    let buf = draw(&mut app, 140, 40);
    let line = selected_line(&buf);
    assert!(
        line.contains(&symbol) && line.contains("out of range"),
        "{line}"
    );
    let screen = text(&buf);
    assert!(
        screen.contains(&format!("get_trampoline_slot({ordinal}) for {symbol}")),
        "{screen}"
    );
    assert!(
        screen.contains("slot = mem + index * TRAMPOLINE_SIZE"),
        "{screen}"
    );
    // The symbol's own bit stands out in the mask (its row's marker has the same colour).
    let bits: Vec<_> = cells_in(&buf, THEME.bit_selected)
        .into_iter()
        .filter(|c| c.2 == "0" || c.2 == "1")
        .collect();
    assert_eq!(symbols(&bits), "1");
    press(&mut app, "b");
    assert_eq!(app.stage, Stage::MachineCode);
}

#[test]
fn the_worked_example_puts_symbol_37_in_slot_3() {
    let mut app = open("3.15", Stage::Trampolines);
    press(&mut app, "w");
    let screen = text(&draw(&mut app, 140, 40));
    assert!(
        screen.contains("symbol 37 lands in slot index 3"),
        "{screen}"
    );
    assert!(screen.contains("index = 0 + 3 = 3"), "{screen}");
    assert!(
        screen.contains("word = ordinal / 32 = 37 / 32 = 1"),
        "{screen}"
    );
    press(&mut app, "w");
    let screen = text(&draw(&mut app, 140, 40));
    assert!(!screen.contains("lands in slot index"), "{screen}");
}

#[test]
fn x86_64_linux_has_no_trampolines_and_says_why() {
    for v in ["3.14", "3.15"] {
        let mut app = open(v, Stage::Trampolines);
        let screen = text(&draw(&mut app, 140, 40));
        assert!(screen.contains("TRAMPOLINE_SIZE is 0"), "{screen}");
        assert!(
            screen.contains("Press t for aarch64-apple-darwin"),
            "{screen}"
        );
        assert!(screen.contains("x86_64-unknown-linux-gnu"), "{screen}");
    }
}

#[test]
fn clicks_select_jit_rows_and_small_terminals_stay_readable() {
    let mut app = open("3.15", Stage::MachineCode);
    draw(&mut app, 120, 36);
    let areas = cpyviz_tui::ui::layout(&app);
    // Under the options bar, the fourth row of the list.
    let (x, y) = (areas.stage_inner.x + 5, areas.stage_inner.y + 4);
    app.update(cpyviz_tui::app::Action::Click(cpyviz_tui::ui::hit(
        &app, x, y,
    )));
    assert_eq!(app.selected_row(), 3);
    for stage in ["6", "7"] {
        press(&mut app, stage);
        let screen = text(&draw(&mut app, 60, 16));
        assert!(screen.contains("model"), "{screen}");
        assert!(!screen.contains("cpyviz needs a terminal"), "{screen}");
        let screen = text(&draw(&mut app, 59, 16));
        assert!(screen.contains("cpyviz needs a terminal"), "{screen}");
    }
}

// ----- the specialized stage: a run of the built-in VM, scrubbed through -----

use cpyviz_model::ast::AstNode;
use cpyviz_model::bytecode::CodeObject;
use cpyviz_model::capture::{Capture, Engine, StageBuilder};
use cpyviz_model::error::{PyError, SyntaxWarning};
use cpyviz_model::execution::{
    CodeHistory, Execution, InstrHistory, LimitKind, SpecEvent, SpecEventKind,
};
use cpyviz_model::source::Source;
use cpyviz_model::tokens::Token;
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};

const WARM: &str = "def sub(a, b):
    return a - b


t = 0
for i in range(3):
    t += sub(i, 1)
print(t)
";

/// The built-in front end and compiler, and a run the test writes by hand (`script` makes it
/// from the compiled code), held back until `gate` (if any) lets it go.
struct Scripted {
    script: fn(&CodeObject) -> Execution,
    gate: Option<Mutex<Receiver<()>>>,
}

impl StageBuilder for Scripted {
    fn tokens(&self, source: &Source, version: PyVersion) -> Result<Vec<Token>, PyError> {
        cpyviz_syntax::tokens::tokenize(source, version)
    }

    fn ast(
        &self,
        source: &Source,
        version: PyVersion,
    ) -> (Result<AstNode, PyError>, Vec<SyntaxWarning>) {
        cpyviz_syntax::ast::parse_with_warnings(source, version)
    }

    fn bytecode(
        &self,
        tree: &Result<AstNode, PyError>,
        source: &Source,
        version: PyVersion,
    ) -> (Result<CodeObject, PyError>, Vec<SyntaxWarning>) {
        cpyviz_compiler::bytecode_of(tree, source, version)
    }

    fn execute(
        &self,
        _tree: Option<&AstNode>,
        code: &CodeObject,
        _source: &Source,
        _version: PyVersion,
    ) -> Option<Result<Execution, PyError>> {
        if let Some(gate) = &self.gate {
            let _ = gate.lock().map(|g| g.recv());
        }
        Some(Ok((self.script)(code)))
    }
}

/// (code object, base name, which of that name) → (the steps it ran at, its events as
/// (step, kind, to, why)).
type Plan = (
    usize,
    &'static str,
    usize,
    &'static [u64],
    &'static [(u64, SpecEventKind, &'static str, &'static str)],
);

const STEPS: u64 = 45;
/// A made-up warm-up of `WARM` (the numbers need not be CPython's; the viewer only shows them).
const PLAN: &[Plan] = &[
    (
        0,
        "RESUME",
        0,
        &[1],
        &[(1, SpecEventKind::Quickened, "RESUME_CHECK", "")],
    ),
    (
        0,
        "CALL",
        1,
        &[9, 21, 33],
        &[
            (
                9,
                SpecEventKind::Failed,
                "CALL",
                "the callee is not a function yet",
            ),
            (
                21,
                SpecEventKind::Specialized,
                "CALL_PY_EXACT_ARGS",
                "a Python function, 2 arguments",
            ),
        ],
    ),
    (
        1,
        "RESUME",
        0,
        &[10, 22, 34],
        &[(10, SpecEventKind::Quickened, "RESUME_CHECK", "")],
    ),
    (
        1,
        "BINARY_OP",
        0,
        &[12, 24, 36],
        &[(
            24,
            SpecEventKind::Specialized,
            "BINARY_OP_SUBTRACT_INT",
            "int, int",
        )],
    ),
    (
        0,
        "BINARY_OP",
        0,
        &[14, 26, 38],
        &[
            (
                14,
                SpecEventKind::Specialized,
                "BINARY_OP_ADD_INT",
                "int, int",
            ),
            (
                38,
                SpecEventKind::Deopt,
                "BINARY_OP",
                "an operand was not an int",
            ),
        ],
    ),
    (
        0,
        "JUMP_BACKWARD",
        0,
        &[17, 29, 41],
        &[(
            17,
            SpecEventKind::Specialized,
            "JUMP_BACKWARD_NO_JIT",
            "the JIT is off",
        )],
    ),
];

/// The steps at which an instruction changes form in [`PLAN`] (not 9: a failed attempt).
const CHANGES: &[u64] = &[1, 10, 14, 17, 21, 24, 38];

fn history_of(
    base: &str,
    offset: u32,
    runs: &[u64],
    events: &[(u64, SpecEventKind, &str, &str)],
) -> InstrHistory {
    let count_at = |step: u64| runs.iter().filter(|&&r| r <= step).count() as u64;
    let mut marks: Vec<(u64, u64)> = runs
        .iter()
        .enumerate()
        .filter(|(k, _)| (k + 1).is_power_of_two())
        .map(|(k, &s)| (s, k as u64 + 1))
        .chain(events.iter().map(|e| (e.0, count_at(e.0))))
        .collect();
    marks.sort_unstable();
    marks.dedup();
    InstrHistory {
        offset,
        base: base.into(),
        executions: runs.len() as u64,
        misses: 0,
        first_step: runs.first().copied(),
        events: events
            .iter()
            .map(|&(step, kind, to, why)| SpecEvent {
                step,
                execution: count_at(step),
                kind,
                to: to.into(),
                why: why.into(),
            })
            .collect(),
        marks,
    }
}

/// The run of [`PLAN`] over the compiled code: histories, the final names, the subtraction's
/// counter as 3.15's specializer leaves it (value 52, backoff 0: `0x01a0` with 3 backoff bits).
fn scripted_run(code: &CodeObject) -> Execution {
    let mut specialized = code.clone();
    let mut history = Vec::new();
    for (ci, c) in code.walk().into_iter().enumerate() {
        let mut seen: std::collections::HashMap<&str, usize> = Default::default();
        let instrs = c
            .instructions
            .iter()
            .map(|ins| {
                let nth = seen.entry(ins.opname.as_str()).or_insert(0);
                let plan = PLAN
                    .iter()
                    .find(|p| p.0 == ci && p.1 == ins.opname && p.2 == *nth);
                *nth += 1;
                match plan {
                    Some(p) => history_of(&ins.opname, ins.offset, p.3, p.4),
                    None => history_of(&ins.opname, ins.offset, &[], &[]),
                }
            })
            .collect();
        history.push(CodeHistory {
            qualname: c.qualname.clone(),
            instrs,
        });
    }
    fn rename(c: &mut CodeObject, hist: &[CodeHistory], index: &mut usize) {
        let h = &hist[*index];
        *index += 1;
        for (ins, h) in c.instructions.iter_mut().zip(&h.instrs) {
            ins.opname = h.name_at(u64::MAX).to_string();
            if ins.opname == "BINARY_OP_SUBTRACT_INT" {
                if let Some(counter) = ins.cache_info.first_mut() {
                    counter.data = vec![0xa0, 0x01];
                }
            }
        }
        for child in &mut c.children {
            rename(child, hist, index);
        }
    }
    rename(&mut specialized, &history, &mut 0);
    Execution {
        jit: false,
        run: cpyviz_model::capture::RunRecord {
            stdout: "0\n".into(),
            ..Default::default()
        },
        specialized,
        history,
        executors: Vec::new(),
        steps: STEPS,
        limit: None,
    }
}

fn scripted_capture(script: fn(&CodeObject) -> Execution, gate: Option<Receiver<()>>) -> Capture {
    Capture::lazy(
        Engine::Builtin,
        PyVersion::V3_15,
        Source::from_text("warm.py", WARM),
        Arc::new(Scripted {
            script,
            gate: gate.map(Mutex::new),
        }),
    )
}

fn warm_app() -> App {
    settled(App::new(
        vec![scripted_capture(scripted_run, None)],
        PyVersion::V3_15,
        Stage::Specialized,
    ))
}

#[test]
fn the_scrubber_steps_through_the_changes_of_form() {
    let mut app = warm_app();
    assert_eq!(
        app.scrub_step(),
        Some(STEPS),
        "the scrubber starts at the end"
    );
    assert_eq!(app.warmup().changes, CHANGES);
    press(&mut app, "0");
    assert_eq!(app.scrub_step(), Some(0));
    let mut visited = Vec::new();
    for _ in CHANGES {
        press(&mut app, ".");
        visited.push(app.scrub_step().unwrap());
    }
    assert_eq!(visited, CHANGES);
    press(&mut app, ".");
    assert_eq!(app.scrub_step(), Some(38));
    assert!(
        app.status
            .as_deref()
            .unwrap_or("")
            .contains("no instruction changes form after step 38"),
        "{:?}",
        app.status
    );
    let mut back = Vec::new();
    for _ in CHANGES {
        press(&mut app, ",");
        back.push(app.scrub_step().unwrap());
    }
    assert_eq!(back, [24, 21, 17, 14, 10, 1, 0]);
    press(&mut app, ",");
    assert!(app
        .status
        .as_deref()
        .unwrap_or("")
        .contains("start of the run"));
    // Doubling and halving; the ends.
    press(&mut app, ">");
    assert_eq!(app.scrub_step(), Some(1));
    press(&mut app, ">>>");
    assert_eq!(app.scrub_step(), Some(8));
    press(&mut app, "<");
    assert_eq!(app.scrub_step(), Some(4));
    press(&mut app, ">>>>");
    assert_eq!(app.scrub_step(), Some(STEPS), "clamped to the run");
    press(&mut app, "0$");
    assert_eq!(app.scrub_step(), Some(STEPS));
    // The scrubber keys belong to stage 4.
    press(&mut app, "3.");
    assert!(app
        .status
        .as_deref()
        .unwrap_or("")
        .contains("Specialized stage"));
}

/// Whether an instruction row shows `generic` and then `current` (`None`: no change, the
/// generic name twice, no arrow), whatever the column widths.
fn shows_forms(line: &str, generic: &str, current: Option<&str>) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    words.windows(3).any(|w| match current {
        Some(c) => w[0] == generic && w[1] == "→" && w[2] == c,
        None => w[0] == generic && w[1] == generic,
    }) || (current.is_none() && words.windows(2).any(|w| w[0] == generic && w[1] == generic))
}

/// The offset of the `n`th `opname` in code object `code` of the compiled `WARM`.
fn warm_offset(code: usize, opname: &str, n: usize) -> u32 {
    let src = Source::from_text("warm.py", WARM);
    let (tree, _) = cpyviz_syntax::ast::parse_with_warnings(&src, PyVersion::V3_15);
    let (co, _) = cpyviz_compiler::bytecode_of(&tree, &src, PyVersion::V3_15);
    let co = co.unwrap();
    co.walk()[code]
        .instructions
        .iter()
        .filter(|i| i.opname == opname)
        .nth(n)
        .unwrap()
        .offset
}

#[test]
fn rows_show_the_form_and_count_at_the_step() {
    let mut app = warm_app();
    // At the start, nothing has run: every instruction row shows its generic name twice and
    // no count.
    press(&mut app, "0");
    let buf = select_row_showing_at(&mut app, "BINARY_OP", 44);
    let line = selected_line(&buf);
    assert!(shows_forms(&line, "BINARY_OP", None), "{line}");
    assert!(!line.contains('×'), "{line}");
    // Step 24: the subtraction in `sub` has run twice and just specialized.
    press(&mut app, "0......");
    assert_eq!(app.scrub_step(), Some(24));
    press(&mut app, "<Home>");
    let mut sub_rows = 0;
    for _ in 0..app.row_count() {
        let buf = draw(&mut app, 140, 44);
        let line = selected_line(&buf);
        if shows_forms(&line, "BINARY_OP", Some("BINARY_OP_SUBTRACT_INT")) {
            assert!(line.contains("×2"), "{line}");
            sub_rows += 1;
        }
        if shows_forms(&line, "BINARY_OP", Some("BINARY_OP_ADD_INT")) {
            assert!(
                line.contains("×1"),
                "the module's += ran at 14 only: {line}"
            );
        }
        press(&mut app, "<Down>");
    }
    assert_eq!(sub_rows, 1);
    // Step 38: the module's += deoptimized back to BINARY_OP; three runs.
    press(&mut app, "0.......<Home>");
    assert_eq!(app.scrub_step(), Some(38));
    let buf = select_row_showing_at(&mut app, "(+=)", 44);
    let line = selected_line(&buf);
    assert!(
        shows_forms(&line, "BINARY_OP", None),
        "deoptimized at 38: {line}"
    );
    assert!(line.contains("×3"), "{line}");
    // The end: the final forms, with every count.
    press(&mut app, "$<Home>");
    let buf = select_row_showing_at(&mut app, "CALL_PY_EXACT_ARGS", 44);
    let line = selected_line(&buf);
    assert!(
        shows_forms(&line, "CALL", Some("CALL_PY_EXACT_ARGS")),
        "{line}"
    );
    assert!(line.contains("×3"), "{line}");
}

#[test]
fn the_gauge_names_the_event_at_the_step() {
    let mut app = warm_app();
    press(&mut app, "0......");
    assert_eq!(app.scrub_step(), Some(24));
    let screen = text(&draw(&mut app, 140, 44));
    assert!(screen.contains("step 24 of 45"), "{screen}");
    let at = warm_offset(1, "BINARY_OP", 0);
    let event = format!("step 24: BINARY_OP @ sub+{at} → BINARY_OP_SUBTRACT_INT (int, int)");
    assert!(screen.contains(&event), "{event} not in {screen}");
    // Between events: the last one before.
    press(&mut app, "0>>>");
    assert_eq!(app.scrub_step(), Some(4));
    let screen = text(&draw(&mut app, 140, 44));
    assert!(
        screen
            .contains("no change at this step · last: step 1: RESUME @ <module>+0 → RESUME_CHECK"),
        "{screen}"
    );
    // The stage names its engine, version profile and JIT setting.
    assert!(
        screen.contains("Specialized · builtin model · CPython 3.15 · JIT off"),
        "{screen}"
    );
}

/// The colour of the current-name column of the selected row (the name is the word after
/// the generic name and the arrow, or the second word when there is no arrow).
fn selected_current_colour(buf: &Buffer, generic: &str) -> (String, ratatui::style::Color) {
    let screen = text(buf);
    for (y, line) in screen.lines().enumerate() {
        if !line.contains('▶') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(k) = words.iter().position(|w| *w == generic) else {
            continue;
        };
        let current = if words.get(k + 1) == Some(&"→") {
            words[k + 2]
        } else {
            words[k + 1]
        };
        let after = line.find(generic).unwrap() + generic.len();
        let at = after + line[after..].find(current).unwrap();
        let x = line[..at].chars().count() as u16;
        return (current.to_string(), buf[(x, y as u16)].fg);
    }
    panic!("no selected row shows {generic}");
}

#[test]
fn forms_have_their_own_colours() {
    use cpyviz_tui::theme::DARK as THEME;
    let fg = |s: Style| s.fg.unwrap();
    let mut app = warm_app();
    // Step 38: both RESUMEs quickened, the CALL and the subtraction specialized, the
    // module's += just deoptimized.
    press(&mut app, "0.......");
    assert_eq!(app.scrub_step(), Some(38));
    let buf = select_row_showing_at(&mut app, "RESUME_CHECK", 44);
    assert_eq!(
        selected_current_colour(&buf, "RESUME"),
        ("RESUME_CHECK".into(), fg(THEME.quickened))
    );
    let buf = select_row_showing_at(&mut app, "CALL_PY_EXACT_ARGS", 44);
    assert_eq!(
        selected_current_colour(&buf, "CALL"),
        ("CALL_PY_EXACT_ARGS".into(), fg(THEME.specialized))
    );
    let buf = select_row_showing_at(&mut app, "(+=)", 44);
    assert_eq!(
        selected_current_colour(&buf, "BINARY_OP"),
        ("BINARY_OP".into(), fg(THEME.deoptimized))
    );
    // An instruction that never changed is dim.
    let buf = select_row_showing_at(&mut app, "STORE_NAME", 44);
    assert_eq!(
        selected_current_colour(&buf, "STORE_NAME"),
        ("STORE_NAME".into(), fg(dim_style()))
    );
    let colours = [
        THEME.quickened,
        THEME.specialized,
        THEME.deoptimized,
        dim_style(),
    ]
    .map(fg);
    for (i, a) in colours.iter().enumerate() {
        assert!(
            !colours[i + 1..].contains(a),
            "colours must differ: {colours:?}"
        );
    }
}

/// The viewer's dim style (generic, unchanged names).
fn dim_style() -> Style {
    Style::new().fg(cpyviz_tui::theme::DARK.dim)
}

#[test]
fn the_detail_panel_explains_the_selected_instruction() {
    let mut app = warm_app();
    press(&mut app, "0......");
    let buf = select_row_showing_at(&mut app, "BINARY_OP_SUBTRACT_INT", 44);
    let screen = text(&buf);
    let at = warm_offset(1, "BINARY_OP", 0);
    assert!(
        screen.contains(&format!("BINARY_OP → BINARY_OP_SUBTRACT_INT  · sub+{at}")),
        "{screen}"
    );
    assert!(screen.contains("ran 3 times (by step 24: 2)"), "{screen}");
    assert!(
        screen.contains("step 24 · #2 · specialized → BINARY_OP_SUBTRACT_INT  (int, int)"),
        "{screen}"
    );
    // The counter, decoded with 3.15's 3 backoff bits.
    assert!(screen.contains("0x01a0: value 52, backoff 0"), "{screen}");
}

#[test]
fn the_stage_says_when_the_run_is_still_computing() {
    let (go, gate) = std::sync::mpsc::channel();
    let mut app = App::new(
        vec![scripted_capture(scripted_run, Some(gate))],
        PyVersion::V3_15,
        Stage::Specialized,
    );
    for _ in 0..50 {
        app.tick();
        if app.capture().ready_bytecode().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let screen = text(&draw(&mut app, 120, 36));
    assert!(
        screen.contains("Computing the Specialized stage"),
        "{screen}"
    );
    assert_eq!(app.scrub_step(), None);
    go.send(()).unwrap();
    let mut app = settled(app);
    assert_eq!(app.scrub_step(), Some(STEPS));
    let screen = text(&draw(&mut app, 120, 36));
    assert!(screen.contains("step 45 of 45"), "{screen}");
}

/// Like [`select_row_showing`], on a screen `height` rows high.
fn select_row_showing_at(app: &mut App, needle: &str, height: u16) -> Buffer {
    for _ in 0..400 {
        let buf = draw(app, 140, height);
        if text(&buf)
            .lines()
            .any(|l| l.contains('▶') && l.contains(needle))
        {
            return buf;
        }
        press(app, "<Down>");
    }
    panic!("no row shows {needle}");
}

#[test]
fn the_run_output_and_its_limit_are_shown() {
    let mut app = warm_app();
    press(&mut app, "o");
    let screen = text(&draw(&mut app, 120, 36));
    assert!(
        screen.contains("Output · builtin model · CPython 3.15"),
        "{screen}"
    );
    assert!(screen.contains("stdout"), "{screen}");
    assert!(!screen.contains("stopped early"), "{screen}");
    fn limited(code: &CodeObject) -> Execution {
        let mut e = scripted_run(code);
        e.run.stderr = "Traceback (most recent call last):\n  File \"warm.py\", line 7\nRecursionError: too deep\n".into();
        e.limit = Some((LimitKind::Steps, "the run took more than 45 steps".into()));
        e
    }
    let mut app = settled(App::new(
        vec![scripted_capture(limited, None)],
        PyVersion::V3_15,
        Stage::Specialized,
    ));
    let screen = text(&draw(&mut app, 120, 36));
    assert!(screen.contains("stopped early (o)"), "{screen}");
    press(&mut app, "o");
    let screen = text(&draw(&mut app, 120, 36));
    assert!(screen.contains("RecursionError: too deep"), "{screen}");
    assert!(
        screen.contains("The run stopped early: the run took more than 45 steps"),
        "{screen}"
    );
}

#[test]
fn live_captures_show_both_names_without_a_scrubber() {
    let mut app = open("3.15", Stage::Specialized);
    let buf = select_row_showing_at(&mut app, "BINARY_OP_SUBTRACT_INT", 40);
    let screen = text(&buf);
    assert!(
        screen.contains("records only the state after the run: no warm-up to scrub through"),
        "{screen}"
    );
    assert!(screen.contains("· JIT on"), "{screen}");
    assert!(
        shows_forms(
            &selected_line(&buf),
            "BINARY_OP",
            Some("BINARY_OP_SUBTRACT_INT")
        ),
        "{}",
        selected_line(&buf)
    );
    assert!(screen.contains("Selected instruction"), "{screen}");
    press(&mut app, ".");
    assert!(
        app.status
            .as_deref()
            .unwrap_or("")
            .contains("no warm-up to scrub through"),
        "{:?}",
        app.status
    );
    assert_eq!(app.scrub_step(), None);
}

// ----- the micro-ops stage on the built-in engine's executors -----

/// The abs sample on the built-in engine, CPython 3.14, on the micro-ops stage.
fn abs_uops() -> App {
    let captures = builtin_captures(Path::new("samples/abs.py")).unwrap();
    settled(App::new(captures, PyVersion::V3_14, Stage::Uops))
}

/// Presses `key` until the selected row (drawn at 150×45) contains `what`; the screen then.
fn select_row_with(app: &mut App, key: &str, what: &str) -> String {
    for _ in 0..400 {
        let screen = text(&draw(app, 150, 45));
        if screen.lines().any(|l| l.contains('▶') && l.contains(what)) {
            return screen;
        }
        press(app, key);
    }
    panic!("no row with {what}");
}

/// Selects the first uop row whose line contains `what`.
fn select_uop(app: &mut App, what: &str) -> String {
    select_row_with(app, "j", what)
}

#[test]
fn every_uop_names_the_instruction_it_comes_from() {
    let mut app = abs_uops();
    let screen = text(&draw(&mut app, 150, 45));
    // Guards and actions alike point back at their bytecode instruction.
    assert!(screen.contains("_CHECK_FUNCTION_VERSION"), "{screen}");
    assert!(
        screen
            .lines()
            .any(|l| l.contains("_CHECK_FUNCTION_VERSION") && l.contains("← 54 CALL_PY_EXACT_ARGS")),
        "{screen}"
    );
    let screen = select_uop(&mut app, "_GUARD_IS_FALSE_POP");
    let flat = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("A guard: it checks that the condition is False"),
        "{flat}"
    );
    assert!(
        flat.contains("_EXIT_TRACE: a side exit to offset 12"),
        "{flat}"
    );
    assert!(
        flat.contains("From offset 8 POP_JUMP_IF_FALSE of abs, line 3"),
        "{flat}"
    );
}

#[test]
fn u_shows_the_trace_before_the_optimizer() {
    let mut app = abs_uops();
    press(&mut app, "u");
    let screen = text(&draw(&mut app, 150, 45));
    assert!(
        screen.contains("before the optimizer: 74 uops"),
        "{:?}\n{screen}",
        app.status
    );
    // The optimizer's work, line by line: a redundant validity check removed, the mortal
    // constant turned into one the trace holds.
    assert!(
        screen
            .lines()
            .any(|l| l.contains("- _CHECK_VALIDITY") && l.contains("removed")),
        "{screen}"
    );
    assert!(
        screen.contains("~ _LOAD_CONST_MORTAL") && screen.contains("→ _LOAD_CONST_INLINE"),
        "{screen}"
    );
    press(&mut app, "u");
    let screen = text(&draw(&mut app, 150, 45));
    assert!(
        !screen.contains("before the optimizer: 74 uops"),
        "{screen}"
    );
}

#[test]
fn enter_follows_a_uop_to_its_instruction_and_b_comes_back() {
    let mut app = abs_uops();
    select_uop(&mut app, "_BINARY_OP_SUBTRACT_INT");
    let row = app.selected_row();
    press(&mut app, "<Enter>");
    assert_eq!(app.stage, Stage::Specialized);
    let screen = text(&draw(&mut app, 150, 45));
    assert!(
        screen
            .lines()
            .any(|l| l.contains('▶') && l.contains("BINARY_OP_SUBTRACT_INT")),
        "{screen}"
    );
    press(&mut app, "b");
    assert_eq!((app.stage, app.selected_row()), (Stage::Uops, row));
}

#[test]
fn the_specialized_stage_marks_where_an_executor_is_attached() {
    let captures = builtin_captures(Path::new("samples/abs.py")).unwrap();
    let mut app = settled(App::new(captures, PyVersion::V3_14, Stage::Specialized));
    let screen = select_row_with(&mut app, "j", "◆");
    assert!(screen.contains("JUMP_BACKWARD"), "{screen}");
    assert!(screen.contains("ENTER_EXECUTOR"), "{screen}");
    press(&mut app, "<Enter>");
    assert_eq!(app.stage, Stage::Uops);
    let screen = text(&draw(&mut app, 150, 45));
    assert!(
        screen
            .lines()
            .any(|l| l.contains('▶') && l.contains("Executor for <module> at offset 76")),
        "{screen}"
    );
}

#[test]
fn d_compares_the_executors_of_both_versions() {
    let mut app = abs_uops();
    // The comparison waits a quarter of a second for the other version at most; compute it
    // first so a loaded machine cannot make the test see "press d again".
    for c in app.captures() {
        c.compute_all();
    }
    press(&mut app, "d");
    let screen = text(&draw(&mut app, 150, 45));
    assert!(screen.contains("CPython 3.14 ↔ 3.15"), "{screen}");
    assert!(
        screen.contains("Executor for <module> at offset 76:"),
        "{screen}"
    );
}

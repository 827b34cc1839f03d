//! The later-stage panes (bytecode, specialized, micro-ops, machine code) on captures recorded
//! from the reference CPythons (`tests/captures/`), so these tests run without Python.

mod common;
use common::{highlighted_source, press, settled, text};

use cpyviz_engine::builtin::captures as builtin_captures;
use cpyviz_engine::capture_file;
use cpyviz_model::capture::Stage;
use cpyviz_model::version::PyVersion;
use cpyviz_tui::app::App;
use cpyviz_tui::ui::theme::THEME;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
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

#[test]
fn bytecode_pane_shows_instructions_by_line_with_labels() {
    for v in ["3.14", "3.15"] {
        let mut app = open(v, Stage::Bytecode);
        let buf = draw(&mut app, 140, 40);
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
    // The module's 34 instructions are hidden under its header.
    assert_eq!(app.row_count(), rows - 34);
    let buf = draw(&mut app, 140, 40);
    assert!(
        selected_line(&buf).contains("▸ Disassembly of"),
        "{}",
        text(&buf)
    );
    assert!(text(&buf).contains("34 instructions"), "{}", text(&buf));
    press(&mut app, "<Enter>");
    assert_eq!(app.row_count(), rows);
}

#[test]
fn uops_pane_lists_executors_and_highlights_determined_targets() {
    let mut app = open("3.15", Stage::Uops);
    let buf = draw(&mut app, 140, 40);
    let screen = text(&buf);
    assert!(
        screen.contains("Executor for <module> at offset 76 · 81 uops · valid"),
        "{screen}"
    );
    assert!(screen.contains("_START_EXECUTOR"), "{screen}");
    // `_POP_TOP_INT` after the call returned targets BINARY_OP_ADD_INT at offset 62.
    let buf = select_row_showing(&mut app, "_POP_TOP_INT");
    assert!(
        selected_line(&buf).contains("→ 62 BINARY_OP_ADD"),
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
        let buf = draw(&mut app, 140, 40);
        let screen = text(&buf);
        assert!(screen.contains("bytes at 0x"), "{screen}");
        assert!(screen.contains(" mov "), "{screen}");
        // row 1 labels the code part of the region; row 2 is the first instruction
        assert!(screen.contains("code +0x0..+0x"), "{screen}");
        press(&mut app, "<Down>");
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
fn stages_without_data_say_not_built() {
    let captures = builtin_captures(Path::new("samples/abs.py")).unwrap();
    let mut app = settled(App::new(captures, PyVersion::V3_14, Stage::Bytecode));
    // The built-in engine compiles (stage 3) but does not run the snippet.
    for s in ["4", "5", "6"] {
        press(&mut app, s);
        let screen = text(&draw(&mut app, 120, 36));
        assert!(
            screen.contains("is not built yet in the builtin model"),
            "{screen}"
        );
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
    let mut app = settled(App::new(captures, PyVersion::V3_14, Stage::MachineCode));
    let screen = text(&draw(&mut app, 120, 36));
    assert!(screen.contains("Not recorded"), "{screen}");
    assert!(screen.contains("ran without the JIT"), "{screen}");
    assert!(!screen.contains("mov "), "{screen}");
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
    // No executors at all.
    if let Some(Ok(exs)) = &mut captures[0].later.executors {
        exs.clear();
    }
    let mut app = settled(App::new(captures, PyVersion::V3_15, Stage::Uops));
    let screen = text(&draw(&mut app, 120, 36));
    assert!(screen.contains("No executor"), "{screen}");
    press(&mut app, "6<Down>");
    let screen = text(&draw(&mut app, 120, 36));
    assert!(screen.contains("No executor"), "{screen}");
}

#[test]
fn snapshots_per_stage() {
    for (stage, name, keys) in [
        (Stage::Bytecode, "abs315_bytecode", ""),
        (Stage::Specialized, "abs315_specialized", ""),
        (Stage::Uops, "abs315_uops", ""),
        (Stage::MachineCode, "abs315_machine_code", ""),
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
    let printed = match &app.capture().later.run {
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
    // The builtin model never runs the snippet, and says so.
    let mut builtin = settled(App::new(
        builtin_captures(Path::new("samples/abs.py")).unwrap(),
        PyVersion::V3_14,
        Stage::Tokens,
    ));
    press(&mut builtin, "o");
    let screen = text(&draw(&mut builtin, 100, 30));
    assert!(screen.contains("does not run the snippet"), "{screen}");
}

#[test]
fn jumps_are_drawn_as_arrows_from_instruction_to_target() {
    let mut app = open("3.14", Stage::Bytecode);
    let buf = draw(&mut app, 140, 40);
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
    assert!(row("STORE_NAME                3").contains('│'), "{screen}");
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

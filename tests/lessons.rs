//! Every shipped lesson loads, and every step of it renders: its selection is found in its
//! stage, its narration fits the presenter layout at 80×24, and the screen names the engine
//! and version. Then the guided mode's keys, driven like a presenter would.

mod common;
use common::{keys, text};

use cpyviz_engine::lesson::load;
use cpyviz_model::execution::RunOptions;
use cpyviz_tui::lesson::{LessonApp, Mode, Overlay};
use cpyviz_tui::ui::lesson::render_to_buffer;
use std::path::{Path, PathBuf};

fn lesson_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("lessons")
        .expect("lessons/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

fn open(path: &Path) -> LessonApp {
    let l = load(path, &RunOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let mut app = LessonApp::new(l.lesson, l.captures, l.capture_of);
    app.settle();
    app
}

fn press(l: &mut LessonApp, k: &str) {
    for key in keys(k) {
        l.handle_key(key);
        l.settle();
    }
}

#[test]
fn the_seven_lessons_are_shipped_in_order() {
    let names: Vec<String> = lesson_files()
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().to_string())
        .collect();
    assert_eq!(names.len(), 7, "{names:?}");
    for (i, n) in names.iter().enumerate() {
        assert!(n.starts_with(&format!("{:02}-", i + 1)), "{names:?}");
    }
}

#[test]
fn every_step_of_every_lesson_renders_with_its_selection() {
    let mut failures = Vec::new();
    for file in lesson_files() {
        let mut l = open(&file);
        for i in 0..l.step_count() {
            l.go_to(i);
            l.settle();
            let step = l.lesson.steps[i].clone();
            let at = format!("{} step {} ({})", file.display(), i + 1, step.title);
            if let Some(p) = &l.problem {
                failures.push(format!("{at}: {p}"));
                continue;
            }
            assert_eq!(l.app.stage, step.stage, "{at}");
            assert_eq!(l.app.capture().version, step.version, "{at}");
            for (w, h) in [(80, 24), (120, 36)] {
                let screen = text(&render_to_buffer(&mut l, w, h));
                let first_words: String = step
                    .narration
                    .split_whitespace()
                    .take(2)
                    .collect::<Vec<_>>()
                    .join(" ")
                    .replace('`', "");
                if !screen.contains(&first_words) {
                    failures.push(format!("{at} at {w}x{h}: narration missing\n{screen}"));
                }
                if !screen.contains(&format!("Step {}/{}", i + 1, l.step_count())) {
                    failures.push(format!("{at} at {w}x{h}: no step title\n{screen}"));
                }
                if screen.contains("more ↓") {
                    failures.push(format!("{at} at {w}x{h}: narration cut\n{screen}"));
                }
                if screen.contains('⚠') {
                    failures.push(format!("{at} at {w}x{h}: a warning\n{screen}"));
                }
                let engine = l.app.capture().engine.label();
                if !screen.contains(&engine) || !screen.contains("CPython 3.1") {
                    failures.push(format!("{at}: engine or version not on screen\n{screen}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn lesson_one_in_the_presenter_layout() {
    let mut l = open(Path::new("lessons/01-how-your-code-runs.toml"));
    let screen = text(&render_to_buffer(&mut l, 80, 24));
    insta::assert_snapshot!("lesson1_step1_80x24", screen);
    l.go_to(4);
    l.settle();
    let screen = text(&render_to_buffer(&mut l, 80, 24));
    assert!(
        screen.contains("▶"),
        "the step's instruction is selected\n{screen}"
    );
    assert!(screen.contains("COMPARE_OP"), "{screen}");
    insta::assert_snapshot!("lesson1_step5_80x24", screen);
}

#[test]
fn a_presenter_walks_lesson_one_from_the_keyboard() {
    let mut l = open(Path::new("lessons/01-how-your-code-runs.toml"));
    let n = l.step_count();
    // Clicker keys forward and back; Esc steps back instead of quitting.
    press(&mut l, "<PageDown>");
    assert_eq!(l.step, 1);
    press(&mut l, ". ");
    assert_eq!(l.step, 3);
    press(&mut l, "<Right>");
    assert_eq!(l.step, 4);
    press(&mut l, "b<PageUp><Left>");
    assert_eq!(l.step, 1);
    press(&mut l, "<Esc>");
    assert_eq!(l.step, 0);
    assert!(!l.quit, "Esc never quits a lesson");
    press(&mut l, "<Esc>");
    assert_eq!(l.step, 0);
    assert!(!l.quit);
    // Jump by number, by the step list, to the ends.
    press(&mut l, "5<Enter>");
    assert_eq!(l.step, 4);
    press(&mut l, "g<Down><Down><Enter>");
    assert_eq!(l.step, 6);
    press(&mut l, "<Home>");
    assert_eq!(l.step, 0);
    press(&mut l, "<End>");
    assert_eq!(l.step, n - 1);
    press(&mut l, "<PageDown>");
    assert_eq!(l.step, n - 1, "past the last step nothing moves");
    let screen = text(&render_to_buffer(&mut l, 80, 24));
    assert!(screen.contains("the last step"), "{screen}");
    // Free exploration with the viewer's own keys, and back.
    press(&mut l, "<Home>x");
    assert_eq!(l.mode, Mode::Explore);
    let screen = text(&render_to_buffer(&mut l, 100, 30));
    assert!(screen.contains("x returns"), "{screen}");
    let small = text(&render_to_buffer(&mut l, 80, 24));
    assert!(
        small.lines().next().unwrap().contains("CPython 3.14") && small.contains("x returns"),
        "the header keeps the version while exploring\n{small}"
    );
    assert!(screen.contains("Source"), "the full viewer: {screen}");
    press(&mut l, "3");
    assert_eq!(l.app.stage, cpyviz_model::capture::Stage::Bytecode);
    press(&mut l, "<Esc>");
    assert_eq!(l.mode, Mode::Guided);
    assert_eq!(l.app.stage, cpyviz_model::capture::Stage::Tokens);
    // Notes and help overlays; quitting asks first.
    press(&mut l, "s");
    assert_eq!(l.overlay, Some(Overlay::Notes));
    let screen = text(&render_to_buffer(&mut l, 80, 24));
    assert!(screen.contains("Speaker notes"), "{screen}");
    press(&mut l, "?");
    assert_eq!(l.overlay, None);
    press(&mut l, "q");
    assert_eq!(l.overlay, Some(Overlay::ConfirmQuit));
    press(&mut l, "n");
    assert!(!l.quit);
    press(&mut l, "qy");
    assert!(l.quit);
}

#[test]
fn search_finds_names_in_every_stage() {
    let mut l = open(Path::new("lessons/01-how-your-code-runs.toml"));
    // From the tokens stage, a specialized instruction's name is found where it is.
    press(&mut l, "/BINARY_OP_ADD<Enter>");
    assert_eq!(l.app.stage, cpyviz_model::capture::Stage::Specialized);
    assert!(l
        .app
        .row_text(l.app.selected_row())
        .contains("BINARY_OP_ADD_INT"));
    let screen = text(&render_to_buffer(&mut l, 100, 30));
    assert!(screen.contains("match 1 of"), "{screen}");
    // Nothing found says so, and the stage stays.
    press(&mut l, "<Esc>/no_such_name_anywhere<Enter>");
    assert_eq!(l.app.stage, cpyviz_model::capture::Stage::Specialized);
    let screen = text(&render_to_buffer(&mut l, 100, 30));
    assert!(screen.contains("not found in any stage"), "{screen}");
    // `line N` finds the rows of a source line (line 3: `if a > b:`).
    press(&mut l, "<Esc>/line 3<Enter>");
    assert_eq!(l.app.stage, cpyviz_model::capture::Stage::Specialized);
    let row = l.app.row_text(l.app.selected_row());
    assert!(row.contains("LOAD_FAST_BORROW_LOAD_FAST_BORROW"), "{row}");
    assert_eq!(
        l.app
            .selected_span()
            .map(|s| l.app.capture().source.line_col(s.start as usize).0),
        Some(3)
    );
}

/// A step's selection is made in the rows of its stage, even when the stage was computed on
/// another thread after the viewer last built its rows (the step must not select in the
/// rows of before; `cpyviz shot --lesson` once did, depending on timing).
#[test]
fn a_step_selects_in_a_stage_that_finished_since_the_rows_were_built() {
    let l = load(
        Path::new("lessons/01-how-your-code-runs.toml"),
        &RunOptions::default(),
    )
    .unwrap();
    let captures = l.captures.clone();
    let mut app = LessonApp::new(l.lesson, l.captures, l.capture_of);
    // Every stage is done before the step is shown, and the viewer has not ticked since.
    for c in &captures {
        c.compute_all();
    }
    app.go_to(4);
    app.settle();
    assert_eq!(app.problem, None);
    let row = app.app.row_text(app.app.selected_row());
    assert!(row.contains("COMPARE_OP"), "{row}");
    let first = (0..app.app.selected_row())
        .filter(|&i| app.app.row_text(i).contains("COMPARE_OP"))
        .count();
    assert_eq!(first, 1, "the second COMPARE_OP is selected");
}

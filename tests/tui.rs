//! Drives the real viewer with key events on an in-memory terminal and checks what it shows.

mod common;
use common::{highlighted_source, press, settled, text};

use cpyviz_engine::builtin::captures as builtin_captures;
use cpyviz_model::capture::Stage;
use cpyviz_model::version::PyVersion;
use cpyviz_tui::app::App;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::path::Path;

fn open(path: &str, stage: Stage) -> App {
    let captures = builtin_captures(Path::new(path)).expect("sample opens");
    settled(App::new(captures, PyVersion::V3_14, stage))
}

fn draw(app: &mut App, width: u16, height: u16) -> Terminal<TestBackend> {
    app.size = (width, height);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal
        .draw(|frame| frame.render_widget(&*app, frame.area()))
        .unwrap();
    terminal
}

#[test]
fn opens_on_tokens_with_engine_and_version_on_screen() {
    let mut app = open("samples/abs.py", Stage::Tokens);
    let terminal = draw(&mut app, 100, 30);
    let screen = text(terminal.backend().buffer());
    assert!(screen.contains("builtin model"), "{screen}");
    assert!(screen.contains("CPython 3.14"), "{screen}");
    assert!(screen.contains("ENCODING"), "{screen}");
    insta::assert_snapshot!("abs_tokens", screen);
}

#[test]
fn selecting_a_token_highlights_its_source_span() {
    let mut app = open("samples/abs.py", Stage::Tokens);
    // Find the token row of the `abs` name and select it with the arrow keys.
    let index = app
        .capture()
        .tokens()
        .as_ref()
        .unwrap()
        .iter()
        .position(|t| t.text == "abs")
        .expect("abs.py has an `abs` token");
    for _ in 0..index {
        press(&mut app, "<Down>");
    }
    let terminal = draw(&mut app, 100, 30);
    assert_eq!(highlighted_source(terminal.backend().buffer()), "abs");
    let screen = text(terminal.backend().buffer());
    assert!(screen.contains("NAME 'abs'"), "{screen}");
}

#[test]
fn moving_in_the_source_selects_the_token_under_the_cursor() {
    let mut app = open("samples/abs.py", Stage::Tokens);
    press(&mut app, "f");
    // Walk the cursor to the first `def` keyword's line, then right onto the name.
    let src = &app.capture().source;
    let def_line = (1..=src.line_count())
        .find(|&l| src.line_text(l).starts_with("def abs"))
        .expect("abs.py defines abs");
    for _ in 1..def_line {
        press(&mut app, "<Down>");
    }
    press(&mut app, "<Right><Right><Right><Right><Right>");
    let tokens = app.capture().tokens().as_ref().unwrap();
    assert_eq!(tokens[app.token_sel].text, "abs");
}

#[test]
fn stage_and_version_keys_switch_what_is_shown() {
    let mut app = open("samples/abs.py", Stage::Tokens);
    press(&mut app, "<Tab>");
    assert_eq!(app.stage, Stage::Ast);
    let screen = text(draw(&mut app, 100, 30).backend().buffer());
    assert!(screen.contains("FunctionDef"), "{screen}");
    insta::assert_snapshot!("abs_ast", screen);
    press(&mut app, "v");
    assert_eq!(app.capture().version, PyVersion::V3_15);
    let screen = text(draw(&mut app, 100, 30).backend().buffer());
    assert!(screen.contains("CPython 3.15"), "{screen}");
    press(&mut app, "3");
    assert_eq!(app.stage, Stage::Bytecode);
    let screen = text(draw(&mut app, 100, 30).backend().buffer());
    assert!(
        screen.contains("Bytecode · builtin model · CPython 3.15"),
        "{screen}"
    );
    // 3.15's GET_ITER takes an oparg; 3.14's does not.
    assert!(screen.contains("GET_ITER                  0"), "{screen}");
    // The built-in engine's tier 2 traced the loop: its executor is on the micro-ops stage.
    press(&mut app, "v");
    press(&mut app, "5");
    let screen = text(draw(&mut app, 100, 30).backend().buffer());
    assert!(screen.contains("CPython 3.14"), "{screen}");
    assert!(
        screen.contains("Executor for <module> at offset 72"),
        "{screen}"
    );
}

#[test]
fn ast_nodes_fold_and_unfold() {
    let mut app = open("samples/abs.py", Stage::Ast);
    let all = app.ast_rows().len();
    press(&mut app, "<Down>"); // the first statement
    press(&mut app, "<Enter>");
    let folded = app.ast_rows().len();
    assert!(folded < all, "folding hides rows ({folded} < {all})");
    press(&mut app, "<Enter>");
    assert_eq!(app.ast_rows().len(), all);
}

#[test]
fn help_overlay_opens_and_closes() {
    let mut app = open("samples/abs.py", Stage::Tokens);
    press(&mut app, "?");
    let screen = text(draw(&mut app, 100, 30).backend().buffer());
    assert!(
        screen.contains("switch CPython version profile"),
        "{screen}"
    );
    insta::assert_snapshot!("help", screen);
    // Taller than the screen, it scrolls to the last keys.
    assert!(screen.contains("more below"), "{screen}");
    press(&mut app, "<PageDown><PageDown>");
    let screen = text(draw(&mut app, 100, 30).backend().buffer());
    assert!(
        screen.contains("Ctrl-C") && screen.contains("more above"),
        "{screen}"
    );
    press(&mut app, "<Esc>");
    assert!(!app.quit && !app.show_help);
    press(&mut app, "q");
    assert!(app.quit);
}

#[test]
fn a_tiny_terminal_gets_a_message() {
    let mut app = open("samples/abs.py", Stage::Tokens);
    let screen = text(draw(&mut app, 40, 10).backend().buffer());
    assert!(
        screen.contains("at least") && screen.contains("60×16"),
        "{screen}"
    );
}

#[test]
fn clicking_the_source_selects_the_token_there() {
    use cpyviz_tui::app::Action;
    use cpyviz_tui::ui;
    let mut app = open("samples/abs.py", Stage::Tokens);
    let terminal = draw(&mut app, 100, 30);
    // Find where `return` of line 4 is drawn, and click on it.
    let buffer = terminal.backend().buffer();
    let screen = text(buffer);
    let (row, line) = screen
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("   4 │"))
        .expect("line 4 is on screen");
    let column = line.find("return").expect("line 4 has return");
    let column = line[..column].chars().count() as u16;
    app.update(Action::Click(ui::hit(&app, column, row as u16)));
    let tokens = app.capture().tokens().as_ref().unwrap();
    assert_eq!(tokens[app.token_sel].text, "return");
    assert_eq!(tokens[app.token_sel].start.0, 4);
    // A click on the stage bar switches stage.
    let bar = text(draw(&mut app, 100, 30).backend().buffer());
    let bar_line = bar.lines().nth(1).unwrap();
    let at = bar_line[..bar_line.find("AST").unwrap()].chars().count() as u16;
    app.update(Action::Click(ui::hit(&app, at, 1)));
    assert_eq!(app.stage, Stage::Ast);
}

#[test]
fn syntax_warnings_show_in_the_explain_pane() {
    let mut app = open("tests/corpus/77_syntax_warnings.py", Stage::Ast);
    let screen = text(draw(&mut app, 120, 40).backend().buffer());
    assert!(
        screen.contains("16 SyntaxWarnings · line 4: \"\\d\" is an invalid escape sequence"),
        "{screen}"
    );
    assert!(
        screen.contains("more (cpyviz dump ast prints them)"),
        "{screen}"
    );
    press(&mut app, "3");
    let screen = text(draw(&mut app, 120, 40).backend().buffer());
    // `python -m dis` adds the compiler's four.
    assert!(screen.contains("20 SyntaxWarnings · line 4"), "{screen}");
    // Tokens: `python -m tokenize` prints none of these.
    press(&mut app, "1");
    let screen = text(draw(&mut app, 120, 40).backend().buffer());
    assert!(!screen.contains("SyntaxWarnings ·"), "{screen}");
}

/// A front end that waits for the test to let it go, to catch the viewer waiting for stages.
struct Gated {
    gate: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
}

impl cpyviz_model::capture::StageBuilder for Gated {
    fn tokens(
        &self,
        source: &cpyviz_model::source::Source,
        version: PyVersion,
    ) -> Result<Vec<cpyviz_model::tokens::Token>, cpyviz_model::error::PyError> {
        self.gate.lock().unwrap().recv().ok();
        cpyviz_syntax::tokens::tokenize(source, version)
    }
    fn ast(
        &self,
        source: &cpyviz_model::source::Source,
        version: PyVersion,
    ) -> (
        Result<cpyviz_model::ast::AstNode, cpyviz_model::error::PyError>,
        Vec<cpyviz_model::error::SyntaxWarning>,
    ) {
        cpyviz_syntax::ast::parse_with_warnings(source, version)
    }
    fn bytecode(
        &self,
        tree: &Result<cpyviz_model::ast::AstNode, cpyviz_model::error::PyError>,
        source: &cpyviz_model::source::Source,
        version: PyVersion,
    ) -> (
        Result<cpyviz_model::bytecode::CodeObject, cpyviz_model::error::PyError>,
        Vec<cpyviz_model::error::SyntaxWarning>,
    ) {
        cpyviz_compiler::bytecode_of(tree, source, version)
    }
}

#[test]
fn the_viewer_opens_before_its_stages_are_computed_and_shows_them_when_they_are() {
    let (release, gate) = std::sync::mpsc::channel();
    let text = std::fs::read_to_string("samples/abs.py").unwrap();
    let capture = cpyviz_model::capture::Capture::lazy(
        cpyviz_model::capture::Engine::Builtin,
        PyVersion::V3_14,
        cpyviz_model::source::Source::from_text("samples/abs.py", text),
        std::sync::Arc::new(Gated {
            gate: std::sync::Mutex::new(gate),
        }),
    );
    // Opening and drawing return although the tokenizer is held back.
    let mut app = App::new(vec![capture], PyVersion::V3_14, Stage::Tokens);
    let screen = text_of(&mut app);
    assert!(
        screen.contains("Computing the Tokens stage"),
        "the pane says it is computing:\n{screen}"
    );
    assert!(app.computing());
    app.highlight.wait();
    app.tick(); // the source's colours
    assert!(!app.tick(), "nothing new while the tokenizer waits");
    assert!(app.computing());
    release.send(()).unwrap();
    let start = std::time::Instant::now();
    while app.computing() && start.elapsed() < std::time::Duration::from_secs(60) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    app.tick();
    let screen = text_of(&mut app);
    assert!(!screen.contains("Computing"), "{screen}");
    assert!(screen.contains("NAME"), "the tokens are shown:\n{screen}");
    press(&mut app, "3");
    assert!(text_of(&mut app).contains("RESUME"), "and the bytecode");
}

fn text_of(app: &mut App) -> String {
    text(draw(app, 100, 30).backend().buffer())
}

//! The viewer's state and its update function. [`App::update`] is the only way state changes;
//! it never computes a stage: it asks the [`Capture`]s, which compute theirs on another thread
//! ([`Capture::compute_in_background`]), and [`App::tick`] takes in each stage once it is there.

pub mod action;
pub mod ast_view;
pub mod diff;
pub mod find;
pub mod jit;
pub mod reload;
pub mod stages;
pub mod warmup;

pub use action::{action_for_key, Action, Hit};
pub use find::Search;
pub use reload::Stale;

use crate::theme::{Theme, ThemeName};
use ast_view::AstRow;
use cpyviz_model::capture::{Capture, Stage, StageStatus};
use cpyviz_model::source::Span;
use cpyviz_model::version::PyVersion;
use jit::{is_jit, Follow, JitState, Place};
use stages::{CodeRow, LaterRows, UopRow};
use std::collections::HashSet;

/// Which pane the arrow keys move in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Source,
    Stage,
}

/// The whole state of the viewer.
pub struct App {
    captures: Vec<Capture>,
    current: usize,
    pub stage: Stage,
    pub focus: Focus,
    pub show_help: bool,
    /// The first line of the help overlay shown (when it is taller than the screen).
    pub help_scroll: usize,
    /// The overlay with the snippet's own output (live captures).
    pub show_output: bool,
    /// The 3.14 ↔ 3.15 side-by-side view of the bytecode / specialized stage, and its first row.
    pub diff: Option<(Stage, Vec<diff::DiffRow>)>,
    pub diff_scroll: usize,
    pub quit: bool,
    /// Selected row of the token table.
    pub token_sel: usize,
    /// Selected row of the visible AST rows.
    pub ast_sel: usize,
    folded: HashSet<Vec<u32>>,
    ast_rows: Vec<AstRow>,
    /// The AST rows being made on another thread (big trees only).
    ast_job: Option<std::sync::mpsc::Receiver<Vec<AstRow>>>,
    /// Rows and selections of the bytecode, specialized, micro-ops and machine-code panes.
    later: LaterRows,
    /// The JIT stages: their options, the view the capture gave, the panes' rows.
    jit: JitState,
    /// The specialized stage's warm-up scrubber.
    warmup: warmup::Warmup,
    /// Where each follow (Enter) between the code and micro-ops stages started, for `b`.
    back: Vec<(Stage, usize)>,
    /// Which stages of the current capture the rows were built from (see [`App::tick`]).
    built: Vec<bool>,
    /// Whether the source was drawn with its colours (see [`App::tick`]).
    coloured: bool,
    /// The source cursor: a byte offset into the source text.
    pub cursor: usize,
    /// A one-line message for the status bar (e.g. why a key did nothing).
    pub status: Option<String>,
    /// The terminal size the last frame was drawn at (for mouse hit-testing and paging).
    pub size: (u16, u16),
    pub highlight: crate::highlight::Highlighted,
    /// Live editing: the captures of the file as just saved, computing; they replace the
    /// shown ones once their tokens, AST and bytecode are there (see [`App::reload`]).
    pending: Option<Vec<Capture>>,
    /// Why the stages shown are not the file as it is now (it does not compile, or it could
    /// not be read): they stay, marked stale.
    stale: Option<Stale>,
    /// The source range each stage's selection goes back to once that stage of the new
    /// captures is there (after a reload).
    anchors: Vec<(Stage, Span)>,
    /// `e` was pressed: the terminal opens the editor (see [`App::take_edit_request`]).
    edit_requested: bool,
    /// The `/` search: its prompt, then its matches (`n` / `N` step them).
    pub search: Option<Search>,
    /// The presenter layout (a lesson's guided mode): one stage pane, no source pane, and
    /// this many rows at the bottom left for the lesson's narration.
    pub presenter: Option<u16>,
    /// The colours everything is drawn in (the render code reads [`App::theme`]).
    theme: ThemeName,
}

/// The stages whose selection follows the source across a reload.
const ANCHORED: [Stage; 5] = [
    Stage::Tokens,
    Stage::Ast,
    Stage::Bytecode,
    Stage::Specialized,
    Stage::Uops,
];

/// More lines than the help overlay can have (its scroll offset stays below this).
const KEYMAP_LINES: usize = 2 * action::KEYMAP.len() + 8;

/// Sources shorter than this (in bytes) get their AST rows made on the UI thread, at once.
const ROWS_ON_THE_UI_THREAD: usize = 256 * 1024;

impl App {
    /// A viewer over one or more captures of the same source (e.g. one per version profile).
    /// Panics if `captures` is empty.
    pub fn new(captures: Vec<Capture>, version: PyVersion, stage: Stage) -> App {
        assert!(!captures.is_empty(), "App needs at least one capture");
        let current = captures
            .iter()
            .position(|c| c.version == version)
            .unwrap_or(0);
        let theme = ThemeName::default();
        let highlight = crate::highlight::Highlighted::start(
            &captures[current].source.text,
            &theme.theme().syntax,
        );
        let mut app = App {
            captures,
            current,
            stage,
            focus: Focus::Stage,
            show_help: false,
            help_scroll: 0,
            show_output: false,
            diff: None,
            diff_scroll: 0,
            quit: false,
            token_sel: 0,
            ast_sel: 0,
            folded: HashSet::new(),
            ast_rows: Vec::new(),
            ast_job: None,
            later: LaterRows::default(),
            jit: JitState::default(),
            warmup: warmup::Warmup::default(),
            back: Vec::new(),
            built: Vec::new(),
            coloured: false,
            cursor: 0,
            status: None,
            size: (120, 36),
            highlight,
            pending: None,
            stale: None,
            anchors: Vec::new(),
            edit_requested: false,
            search: None,
            presenter: None,
            theme,
        };
        app.captures[app.current].compute_in_background();
        app.rebuild_rows();
        app.want_jit();
        app
    }

    /// Rebuilds every pane's rows from the stages of the current capture computed so far.
    fn rebuild_rows(&mut self) {
        self.built = Stage::all().map(|s| self.capture().is_ready(s)).collect();
        self.rebuild_ast_rows();
        self.later.rebuild(&self.captures[self.current]);
        self.warmup
            .rebuild(stages::execution_of(&self.captures[self.current]));
        self.jit
            .rebuild(&self.captures[self.current], &self.later.machine);
    }

    /// On a JIT stage, asks the capture for the JIT stages under the current options (they
    /// are computed on another thread the first time; [`App::tick`] takes them in).
    fn want_jit(&mut self) {
        if is_jit(self.stage) && self.jit.request(&self.captures, self.current) {
            self.jit
                .rebuild(&self.captures[self.current], &self.later.machine);
        }
    }

    /// The JIT stages' state (options, view, rows).
    pub fn jit(&self) -> &JitState {
        &self.jit
    }

    /// The warm-up scrubber's state.
    pub fn warmup(&self) -> &warmup::Warmup {
        &self.warmup
    }

    /// The warm-up scrubber's position (`None`: the current capture has no run of the
    /// built-in VM, or it is not computed yet).
    pub fn scrub_step(&self) -> Option<u64> {
        stages::execution_of(self.capture()).map(|e| self.warmup.step(e))
    }

    /// Sets the JIT stages' options (stencils, memory model, target), as `s`, `m`, `t` do, and
    /// asks the capture for them (`cpyviz shot --target … --memory …`).
    /// The theme the view is drawn in.
    pub fn theme(&self) -> &'static Theme {
        self.theme.theme()
    }

    pub fn theme_name(&self) -> ThemeName {
        self.theme
    }

    /// Draws in another theme from now on; the source's colours are made again for it (on
    /// another thread, like the first ones: [`App::tick`] takes them in).
    pub fn set_theme(&mut self, theme: ThemeName) {
        if theme == self.theme {
            return;
        }
        self.theme = theme;
        self.highlight = crate::highlight::Highlighted::start(
            &self.capture().source.text,
            &theme.theme().syntax,
        );
        self.coloured = false;
    }

    pub fn set_jit_options(&mut self, options: cpyviz_model::jit::JitOptions) {
        self.jit.options = options;
        self.jit.back.clear();
        self.jit.hole = None;
        self.want_jit();
    }

    /// Takes in the stages that have been computed since the rows were last built; returns
    /// whether anything changed (the view should be drawn again).
    pub fn tick(&mut self) -> bool {
        if self.take_pending() {
            return true;
        }
        if self.take_ast_rows(false) {
            self.apply_anchors();
            return true;
        }
        if self.jit.poll(false) {
            self.jit
                .rebuild(&self.captures[self.current], &self.later.machine);
            return true;
        }
        let cap = self.capture();
        if Stage::all()
            .map(|s| cap.is_ready(s))
            .eq(self.built.iter().copied())
        {
            // The source's colours arriving is news too.
            let coloured = self.highlight.is_ready();
            let news = coloured != self.coloured;
            self.coloured = coloured;
            return news;
        }
        self.rebuild_rows();
        self.apply_anchors();
        true
    }

    /// Whether stages of the current capture are still being computed.
    pub fn computing(&self) -> bool {
        self.pending.is_some()
            || !self.capture().is_complete()
            || !self.highlight.is_ready()
            || self.ast_job.is_some()
            || self.jit.computing()
    }

    /// Waits until every stage of the current capture is computed and takes them in (for a
    /// screenshot or a test; the terminal never waits).
    pub fn settle(&mut self) {
        if let Some(pending) = &self.pending {
            pending[self.pending_index(pending)].compute_all();
            self.take_pending();
        }
        self.capture().compute_all();
        self.highlight.wait();
        // `tick` takes in one piece of news per call (the AST's rows, a JIT result, the other
        // stages' rows): tick until nothing is left, so no stage computed meanwhile is missed.
        loop {
            if self.ast_job.is_some() {
                if !self.take_ast_rows(true) {
                    // The rows' thread died without sending them: stop waiting.
                    self.ast_job = None;
                }
                self.apply_anchors();
                continue;
            }
            if !self.tick() {
                break;
            }
        }
        self.want_jit();
        if self.jit.poll(true) {
            self.jit
                .rebuild(&self.captures[self.current], &self.later.machine);
        }
    }

    pub fn capture(&self) -> &Capture {
        &self.captures[self.current]
    }

    pub fn versions(&self) -> Vec<PyVersion> {
        self.captures.iter().map(|c| c.version).collect()
    }

    pub fn ast_rows(&self) -> &[AstRow] {
        &self.ast_rows
    }

    /// Rows of the bytecode, specialized, micro-ops and machine-code panes.
    pub fn later_rows(&self) -> &LaterRows {
        &self.later
    }

    fn rebuild_ast_rows(&mut self) {
        self.ast_job = None;
        let cap = self.capture();
        if !matches!(cap.ready_ast(), Some(Ok(_))) {
            self.ast_rows = Vec::new();
        } else if cap.source.text.len() < ROWS_ON_THE_UI_THREAD {
            if let Some(Ok(root)) = cap.ready_ast() {
                self.ast_rows = ast_view::rows(root, &self.folded, cap.version);
            }
        } else {
            // A big tree's rows take a while (about 0.4 s for 100,000 lines): they are made
            // on another thread, and `tick` puts them in.
            let (cap, folded) = (cap.clone(), self.folded.clone());
            let (send, receive) = std::sync::mpsc::channel();
            let job = move || {
                if let Some(Ok(root)) = cap.ready_ast() {
                    let _ = send.send(ast_view::rows(root, &folded, cap.version));
                }
            };
            match std::thread::Builder::new()
                .name("cpyviz-rows".into())
                .spawn(job)
            {
                Ok(_) => self.ast_job = Some(receive),
                Err(_) => {
                    if let Some(Ok(root)) = self.capture().ready_ast() {
                        self.ast_rows = ast_view::rows(root, &self.folded, self.capture().version);
                    }
                }
            }
        }
        self.ast_sel = self.ast_sel.min(self.ast_rows.len().saturating_sub(1));
    }

    /// Puts in the AST rows made on another thread, if they are done (or, with `wait`, when).
    fn take_ast_rows(&mut self, wait: bool) -> bool {
        let Some(job) = &self.ast_job else {
            return false;
        };
        let rows = if wait {
            job.recv().ok()
        } else {
            job.try_recv().ok()
        };
        match rows {
            Some(rows) => {
                self.ast_rows = rows;
                self.ast_job = None;
                self.ast_sel = self.ast_sel.min(self.ast_rows.len().saturating_sub(1));
                true
            }
            None => false,
        }
    }

    /// Whether `stage`'s rows were built from its result (it can be ready in the capture,
    /// computed on another thread, before [`App::tick`] takes it in).
    pub fn rows_built(&self, stage: Stage) -> bool {
        Stage::all()
            .zip(&self.built)
            .any(|(s, &built)| s == stage && built)
    }

    /// Whether the AST's rows are being made on another thread.
    pub fn preparing_rows(&self) -> bool {
        self.ast_job.is_some()
    }

    /// Number of rows in the current stage's list (0 for stages without one).
    pub fn row_count(&self) -> usize {
        match (self.stage, self.capture().status_now(self.stage)) {
            (Stage::Tokens, StageStatus::Ready) => self
                .capture()
                .ready_tokens()
                .and_then(|t| t.as_ref().ok())
                .map_or(0, |t| t.len()),
            (Stage::Ast, StageStatus::Ready) => self.ast_rows.len(),
            (s, _) if is_jit(s) && self.jit.has_builder() => self.jit.len(s),
            (_, StageStatus::Ready) => self.later.len(self.stage),
            _ => 0,
        }
    }

    /// The selected row of the current stage.
    pub fn selected_row(&self) -> usize {
        match self.stage {
            Stage::Ast => self.ast_sel,
            Stage::Tokens => self.token_sel,
            s if is_jit(s) && self.jit.has_builder() => self.jit.selected(s),
            _ => self.later.selected(self.stage),
        }
    }

    /// Selects a row of the current stage's list (clamped) and moves the cursor to it.
    pub fn set_selected_row(&mut self, row: usize) {
        let n = self.row_count();
        if n == 0 {
            return;
        }
        let row = row.min(n - 1);
        match self.stage {
            Stage::Tokens => self.token_sel = row,
            Stage::Ast => self.ast_sel = row,
            s if is_jit(s) && self.jit.has_builder() => {
                if !self.jit.select(s, row) {
                    return;
                }
            }
            _ => {
                if !self.later.select(self.stage, row) {
                    return;
                }
            }
        }
        if let Some(span) = self.selected_span() {
            self.cursor = span.start as usize;
        }
    }

    /// The source range of the current selection, to highlight in the source pane.
    pub fn selected_span(&self) -> Option<Span> {
        self.selection_span(self.stage)
    }

    /// The source range of `stage`'s selection.
    fn selection_span(&self, stage: Stage) -> Option<Span> {
        let cap = self.capture();
        match (stage, cap.status_now(stage)) {
            (Stage::Tokens, StageStatus::Ready) => cap
                .ready_tokens()
                .and_then(|t| t.as_ref().ok())
                .and_then(|t| t.get(self.token_sel))
                .map(|t| t.span),
            (Stage::Ast, StageStatus::Ready) => {
                self.ast_rows.get(self.ast_sel).and_then(|r| r.span)
            }
            (s, _) if is_jit(s) && self.jit.has_builder() => {
                self.jit.span_of(s, self.jit.selected(s))
            }
            (_, StageStatus::Ready) => self.later.selected_span(stage),
            (_, StageStatus::Failed(e)) => {
                let line = e.lineno?;
                if line == 0 || line > cap.source.line_count() + 1 {
                    return None;
                }
                let col = e.offset.unwrap_or(1).saturating_sub(1);
                let start = cap.source.offset_of_char_col(line, col);
                let end = match (e.end_lineno, e.end_offset) {
                    (Some(el), Some(eo)) if el >= line && eo > 0 => {
                        cap.source.offset_of_char_col(el, eo - 1)
                    }
                    _ => start,
                };
                Some(Span::new(start, end.max(start)))
            }
            _ => None,
        }
    }

    /// Selects the stage row that best matches the source cursor.
    fn select_from_cursor(&mut self) {
        let cursor = self.cursor;
        match self.stage {
            Stage::Tokens => {
                if let Some(Ok(tokens)) = self.capture().ready_tokens() {
                    let containing = tokens.iter().position(|t| {
                        t.span.contains(cursor)
                            && t.kind != cpyviz_model::tokens::TokenKind::ENCODING
                    });
                    let fallback = || {
                        tokens
                            .iter()
                            .rposition(|t| (t.span.start as usize) <= cursor && !t.span.is_empty())
                    };
                    if let Some(i) = containing.or_else(fallback) {
                        self.token_sel = i;
                    }
                }
            }
            Stage::Ast => {
                let best = self
                    .ast_rows
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| r.span.is_some_and(|s| s.contains(cursor)))
                    .min_by_key(|(i, r)| (r.span.map_or(usize::MAX, |s| s.len()), usize::MAX - i))
                    .map(|(i, _)| i);
                if let Some(i) = best {
                    self.ast_sel = i;
                }
            }
            stage => self.later.select_at(stage, cursor),
        }
    }

    fn page(&self) -> usize {
        (self.size.1 as usize).saturating_sub(14).max(1)
    }

    /// Applies one action.
    /// A key press: typed into the search prompt while it is open, else the keymap's action.
    /// Esc ends a search before it means anything else.
    pub fn handle_key(&mut self, key: ratatui::crossterm::event::KeyEvent) {
        use ratatui::crossterm::event::KeyCode;
        if self.search.as_ref().is_some_and(|s| s.editing) {
            self.search_key(key);
            return;
        }
        if key.code == KeyCode::Esc && self.search.is_some() && !self.show_help {
            self.search = None;
            return;
        }
        if let Some(action) = action_for_key(key) {
            self.update(action);
        }
    }

    /// Shows `stage` (as its digit key does).
    pub fn show_stage(&mut self, stage: Stage) {
        if self.stage != stage {
            self.set_stage(stage);
        }
    }

    /// The captures the viewer holds.
    pub fn captures(&self) -> &[Capture] {
        &self.captures
    }

    /// Shows capture `index` of [`App::captures`] (as the version toggle does between two).
    pub fn show_capture(&mut self, index: usize) {
        if index == self.current || index >= self.captures.len() {
            return;
        }
        self.current = index;
        self.warmup.to_end();
        self.captures[index].compute_in_background();
        self.back.clear();
        self.jit.back.clear();
        self.jit.hole = None;
        self.search = None;
        self.rebuild_rows();
        self.want_jit();
        self.select_from_cursor();
    }

    pub fn update(&mut self, action: Action) {
        self.status = None;
        if self.show_help {
            match action {
                Action::Quit | Action::ToggleHelp | Action::Click(_) => self.show_help = false,
                Action::Up | Action::ScrollUp(_) => {
                    self.help_scroll = self.help_scroll.saturating_sub(1)
                }
                Action::Down | Action::ScrollDown(_) => self.help_scroll += 1,
                Action::PageUp | Action::Home => self.help_scroll = 0,
                Action::PageDown | Action::End => self.help_scroll += self.page(),
                _ => {}
            }
            // The overlay clamps what it shows; keep the offset within reach of the end.
            self.help_scroll = self.help_scroll.min(KEYMAP_LINES);
            return;
        }
        if self.show_output {
            match action {
                Action::Quit | Action::ToggleOutput | Action::Click(_) => self.show_output = false,
                Action::ToggleHelp => self.open_help(),
                _ => {}
            }
            return;
        }
        if self.diff.is_some() {
            let page = self.page();
            let n = self.diff.as_ref().map_or(0, |(_, rows)| rows.len());
            let max = n.saturating_sub(1);
            match action {
                Action::Quit | Action::ToggleDiff => self.diff = None,
                Action::ToggleHelp => self.open_help(),
                Action::Up | Action::ScrollUp(_) => {
                    self.diff_scroll = self.diff_scroll.saturating_sub(1)
                }
                Action::Down | Action::ScrollDown(_) => {
                    self.diff_scroll = (self.diff_scroll + 1).min(max)
                }
                Action::PageUp => self.diff_scroll = self.diff_scroll.saturating_sub(page),
                Action::PageDown => self.diff_scroll = (self.diff_scroll + page).min(max),
                Action::Home => self.diff_scroll = 0,
                Action::End => self.diff_scroll = max,
                _ => {
                    self.status = Some("d or Esc closes the version comparison".into());
                }
            }
            return;
        }
        match action {
            Action::Quit => self.quit = true,
            Action::Edit => {
                self.edit_requested = true;
                self.status = Some("opening the editor…".into());
            }
            Action::ToggleHelp => self.open_help(),
            Action::ToggleOutput => self.show_output = true,
            Action::ToggleCaches => self.toggle_caches(),
            Action::NextCode => self.jump_code(true),
            Action::PrevCode => self.jump_code(false),
            Action::ToggleDiff => self.open_diff(),
            Action::ToggleUnoptimized => self.toggle_unoptimized(),
            Action::TogglePatched => self.toggle_patched(),
            Action::NextHole if self.searching() => self.step_match(true),
            Action::PrevHole if self.searching() => self.step_match(false),
            Action::NextHole => self.step_hole(true),
            Action::PrevHole => self.step_hole(false),
            Action::Search => self.start_search(),
            Action::Back => self.go_back(),
            Action::CycleStencils => self.change_options(JitState::cycle_stencils),
            Action::CycleMemory => self.change_options(JitState::cycle_memory),
            Action::CycleTarget => self.change_options(JitState::cycle_target),
            Action::ToggleExample => self.toggle_example(),
            Action::NextChange
            | Action::PrevChange
            | Action::ScrubForward
            | Action::ScrubBack
            | Action::ScrubStart
            | Action::ScrubEnd => self.scrub(action),
            Action::NextStage => self.set_stage(self.stage.next()),
            Action::PrevStage => self.set_stage(self.stage.prev()),
            Action::GoToStage(i) => {
                if let Some(s) = Stage::from_repr(i) {
                    self.set_stage(s)
                }
            }
            Action::ToggleVersion => self.toggle_version(),
            Action::CycleTheme => {
                self.set_theme(self.theme.next());
                self.status = Some(format!("theme: {}", self.theme.name()));
            }
            Action::SwitchFocus => {
                self.focus = match self.focus {
                    Focus::Source => Focus::Stage,
                    Focus::Stage => Focus::Source,
                }
            }
            Action::Up => self.move_vertical(-1),
            Action::Down => self.move_vertical(1),
            Action::PageUp => self.move_vertical(-(self.page() as isize)),
            Action::PageDown => self.move_vertical(self.page() as isize),
            Action::Home => match self.focus {
                Focus::Stage => self.set_selected_row(0),
                Focus::Source => self.set_cursor(0),
            },
            Action::End => match self.focus {
                Focus::Stage => self.set_selected_row(usize::MAX),
                Focus::Source => {
                    let end = self.capture().source.text.len();
                    self.set_cursor(end)
                }
            },
            Action::Left => match (self.focus, self.stage) {
                (Focus::Source, _) => self.move_cursor_chars(-1),
                (Focus::Stage, Stage::Ast) => self.fold_selected(Some(true)),
                (Focus::Stage, stage) => self.fold_code(stage, Some(true)),
            },
            Action::Right => match (self.focus, self.stage) {
                (Focus::Source, _) => self.move_cursor_chars(1),
                (Focus::Stage, Stage::Ast) => self.fold_selected(Some(false)),
                (Focus::Stage, stage) => self.fold_code(stage, Some(false)),
            },
            Action::ToggleFold => {
                if self.stage == Stage::Ast {
                    self.fold_selected(None)
                } else if is_jit(self.stage) {
                    self.follow()
                } else if self.stage == Stage::Uops {
                    self.follow_uop()
                } else if !self.follow_instruction() {
                    self.fold_code(self.stage, None)
                }
            }
            Action::Click(hit) => self.click(hit),
            Action::ScrollUp(hit) => self.scroll(hit, -3),
            Action::ScrollDown(hit) => self.scroll(hit, 3),
        }
    }

    /// Shows or hides the inline cache entries of the bytecode and specialized panes.
    fn toggle_caches(&mut self) {
        if !matches!(self.stage, Stage::Bytecode | Stage::Specialized) {
            self.status =
                Some("inline caches belong to the bytecode and specialized stages".into());
            return;
        }
        // Keep the selection on the same instruction.
        let sel = self
            .later
            .code_rows(self.stage)
            .get(self.selected_row())
            .cloned();
        self.later.show_caches = !self.later.show_caches;
        self.later.rebuild(&self.captures[self.current]);
        if let Some(row) = sel {
            let (code, instr) = match row {
                CodeRow::Instr { code, instr, .. } | CodeRow::Cache { code, instr, .. } => {
                    (code, Some(instr))
                }
                CodeRow::Header { code, .. } => (code, None),
            };
            let at = self
                .later
                .code_rows(self.stage)
                .iter()
                .position(|r| match (r, instr) {
                    (
                        CodeRow::Instr {
                            code: c, instr: i, ..
                        },
                        Some(want),
                    ) => *c == code && *i == want,
                    (CodeRow::Header { code: c, .. }, None) => *c == code,
                    _ => false,
                });
            if let Some(at) = at {
                self.later.select(self.stage, at);
            }
        }
        self.status = Some(if self.later.show_caches {
            "showing inline cache entries (c hides them)".into()
        } else {
            "inline cache entries hidden".into()
        });
    }

    /// Selects the header of the next (or previous) code object of the bytecode pane (the
    /// next uop or section of the JIT panes).
    fn jump_code(&mut self, forward: bool) {
        if is_jit(self.stage) {
            match self.jit.header_row(self.stage, forward) {
                Some(row) => {
                    self.focus = Focus::Stage;
                    self.set_selected_row(row);
                }
                None => {
                    self.status = Some(if forward {
                        "this is the last part".into()
                    } else {
                        "this is the first part".into()
                    })
                }
            }
            return;
        }
        if !matches!(self.stage, Stage::Bytecode | Stage::Specialized) {
            self.status =
                Some("[ and ] move between code objects (bytecode) and uops (machine code)".into());
            return;
        }
        let rows = self.later.code_rows(self.stage);
        let cur = self.selected_row();
        let is_header = |r: &CodeRow| matches!(r, CodeRow::Header { .. });
        let target = if forward {
            (cur + 1..rows.len()).find(|&i| is_header(&rows[i]))
        } else {
            (0..cur).rev().find(|&i| is_header(&rows[i]))
        };
        match target {
            Some(row) => {
                self.focus = Focus::Stage;
                self.set_selected_row(row);
            }
            None => {
                self.status = Some(if forward {
                    "this is the last code object".into()
                } else {
                    "this is the first code object".into()
                })
            }
        }
    }

    /// Opens the side-by-side comparison of this stage under both version profiles.
    fn open_diff(&mut self) {
        if !matches!(
            self.stage,
            Stage::Bytecode | Stage::Specialized | Stage::Uops
        ) {
            self.status = Some(
                "the version comparison shows the bytecode, specialized and micro-ops stages"
                    .into(),
            );
            return;
        }
        let stage = self.stage;
        let other = self.capture().version.toggled();
        let Some(right) = self.captures.iter().find(|c| c.version == other) else {
            self.status = Some(format!(
                "no CPython {other} capture here to compare with (the live engine ran one interpreter)"
            ));
            return;
        };
        let ready =
            |app: &App, right: &Capture| app.capture().is_ready(stage) && right.is_ready(stage);
        if !ready(self, right) {
            // The other version's stages are computed when first needed: start them, give
            // them a quarter of a second (a small snippet is done by then), and otherwise let
            // the user ask again — the viewer never waits longer.
            right.compute_in_background();
            self.capture().compute_in_background();
            let start = std::time::Instant::now();
            while !ready(self, right) && start.elapsed() < std::time::Duration::from_millis(250) {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
        if !ready(self, right) {
            self.status = Some(format!(
                "computing CPython {other}'s {} stage to compare with: press d again in a moment",
                stage.title()
            ));
            return;
        }
        match diff::rows(self.capture(), right, self.stage) {
            Some(rows) => {
                // Start at the first difference.
                self.diff_scroll = rows
                    .iter()
                    .position(|r| r.kind != diff::DiffKind::Same)
                    .unwrap_or(0)
                    .saturating_sub(3);
                self.diff = Some((self.stage, rows));
            }
            None => {
                self.status = Some(format!(
                    "the {} stage is not available for both CPython {} and {other}",
                    self.stage.title(),
                    self.capture().version
                ))
            }
        }
    }

    /// The capture the version comparison shows on the right.
    pub fn other_capture(&self) -> Option<&Capture> {
        let other = self.capture().version.toggled();
        self.captures.iter().find(|c| c.version == other)
    }

    fn set_stage(&mut self, stage: Stage) {
        self.stage = stage;
        self.want_jit();
        self.select_from_cursor();
    }

    fn toggle_version(&mut self) {
        let want = self.capture().version.toggled();
        match self.captures.iter().position(|c| c.version == want) {
            Some(i) => self.show_capture(i),
            None => {
                self.status = Some(format!(
                    "no CPython {want} capture here: this view only has {}",
                    self.capture().version
                ))
            }
        }
    }

    /// The warm-up scrubber's keys: moves the position in the built-in VM's run.
    fn scrub(&mut self, action: Action) {
        if self.stage != Stage::Specialized {
            self.status = Some("the warm-up scrubber belongs to the Specialized stage (4)".into());
            return;
        }
        let cap = &self.captures[self.current];
        let Some(exec) = stages::execution_of(cap) else {
            self.status = Some(match cap.status_now(Stage::Specialized) {
                StageStatus::Computing => "the run is still being computed".into(),
                StageStatus::Ready => format!(
                    "the {} records only the state after the run: there is no warm-up to scrub through",
                    cap.engine.label()
                ),
                _ => format!(
                    "the {} did not run the snippet: there is no warm-up to scrub through",
                    cap.engine.label()
                ),
            });
            return;
        };
        let now = self.warmup.step(exec);
        let changes = &self.warmup.changes;
        let target = match action {
            Action::NextChange => warmup::next_change(changes, now)
                .ok_or_else(|| format!("no instruction changes form after step {now}")),
            Action::PrevChange if now == 0 => Err("this is the start of the run".to_string()),
            Action::PrevChange => Ok(warmup::prev_change(changes, now).unwrap_or(0)),
            Action::ScrubForward => Ok(now.saturating_mul(2).max(now + 1)),
            Action::ScrubBack => Ok(now / 2),
            Action::ScrubStart => Ok(0),
            _ => Ok(exec.steps),
        };
        match target {
            Ok(step) => self.warmup.set(exec, step),
            Err(why) => self.status = Some(why),
        }
    }

    /// Says why a JIT key does nothing on this stage (`None`: it is a JIT stage with data).
    fn jit_only(&mut self, what: &str, stages: &[Stage]) -> bool {
        if !stages.contains(&self.stage) {
            self.status = Some(format!("{what} belongs to the {} stage", {
                let names: Vec<&str> = stages.iter().map(|s| s.title()).collect();
                names.join(" and ")
            }));
            return false;
        }
        if !self.jit.has_builder() {
            self.status = Some(format!(
                "the {} builds no JIT stages for this capture",
                self.capture().engine.label()
            ));
            return false;
        }
        true
    }

    fn toggle_patched(&mut self) {
        if !self.jit_only("p (patched / stencil)", &[Stage::MachineCode]) {
            return;
        }
        self.jit.patched = !self.jit.patched;
        self.jit
            .rebuild(&self.captures[self.current], &self.later.machine);
        self.status = Some(if self.jit.patched {
            "showing the machine code after patching (p: the stencils before)".into()
        } else {
            "showing the stencils before patching: holes still hold the stencil's bytes (p: after)"
                .into()
        });
    }

    fn step_hole(&mut self, forward: bool) {
        if !self.jit_only("n / N (holes)", &[Stage::MachineCode]) {
            return;
        }
        self.focus = Focus::Stage;
        if let Err(why) = self.jit.step_hole(forward) {
            self.status = Some(why);
        }
    }

    fn toggle_example(&mut self) {
        if !self.jit_only("w (the worked example)", &[Stage::Trampolines]) {
            return;
        }
        self.jit.example = !self.jit.example;
        self.jit
            .rebuild(&self.captures[self.current], &self.later.machine);
        if self.jit.example {
            self.jit.select(Stage::Trampolines, 0);
            let first = self
                .jit
                .tramp
                .iter()
                .position(|r| *r == jit::TrampRow::ExampleTitle);
            if let Some(row) = first {
                self.jit.select(Stage::Trampolines, row);
            }
        }
    }

    /// `s`, `m`, `t`: changes the JIT options and asks the capture again.
    fn change_options(&mut self, change: fn(&mut JitState)) {
        if !self.jit_only(
            "switching stencils, memory or target",
            &[Stage::MachineCode, Stage::Trampolines],
        ) {
            return;
        }
        change(&mut self.jit);
        self.jit.back.clear();
        self.jit.hole = None;
        self.want_jit();
        self.status = Some(self.jit.options_text());
    }

    /// Enter on a JIT pane: moves to where the selected jump, call or symbol leads.
    fn follow(&mut self) {
        if !self.jit.has_builder() {
            return;
        }
        let from = Place {
            stage: self.stage,
            row: self.selected_row(),
            hole: self.jit.hole,
        };
        match self.jit.follow(self.stage) {
            Follow::Row(stage, row) => {
                self.jit.back.push(from);
                self.stage = stage;
                self.focus = Focus::Stage;
                self.set_selected_row(row);
                self.status = Some("followed (b goes back)".into());
            }
            Follow::Info(_) => {}
            Follow::Nothing(why) => self.status = Some(why),
        }
    }

    fn open_help(&mut self) {
        self.show_help = true;
        self.help_scroll = 0;
    }

    /// `u`: the micro-ops pane shows the traces before the optimizer, or the executors.
    fn toggle_unoptimized(&mut self) {
        if self.stage != Stage::Uops {
            self.status = Some("u (before the optimizer) belongs to the Micro-ops stage".into());
            return;
        }
        let exs = stages::executors(self.capture()).unwrap_or(&[]);
        if !exs.iter().any(|e| !e.unoptimized.is_empty()) {
            self.status = Some(format!(
                "the {} keeps no trace from before the optimizer (CPython does not: only the built-in engine shows it)",
                self.capture().engine.label()
            ));
            return;
        }
        // Stay on the same executor.
        let exec = match self.later.uops.get(self.selected_row()) {
            Some(UopRow::Header { exec, .. })
            | Some(UopRow::Uop { exec, .. })
            | Some(UopRow::Unopt { exec, .. }) => *exec,
            None => 0,
        };
        self.later.show_unoptimized = !self.later.show_unoptimized;
        self.later.rebuild(&self.captures[self.current]);
        if let Some(row) = self
            .later
            .uops
            .iter()
            .position(|r| matches!(r, UopRow::Header { exec: e, .. } if *e == exec))
        {
            self.set_selected_row(row);
        }
        self.status = Some(if self.later.show_unoptimized {
            "before the optimizer: ~ replaced, - removed (u: back to the executors)".into()
        } else {
            "the executors as built (u: the traces before the optimizer)".into()
        });
    }

    /// Enter on a uop: the instruction it comes from, in the Specialized stage (else Bytecode).
    fn follow_uop(&mut self) {
        let target = match self.later.uops.get(self.selected_row()) {
            Some(UopRow::Uop { target, .. }) | Some(UopRow::Unopt { target, .. }) => *target,
            Some(UopRow::Header { exec, .. }) => {
                // The instruction the executor is attached to.
                let exs = stages::executors(self.capture()).unwrap_or(&[]);
                exs.get(*exec).and_then(|ex| {
                    let root = stages::code_of(self.capture(), Stage::Specialized)?;
                    let c = *root.walk().get(ex.code_index as usize)?;
                    let instr = c.instructions.iter().position(|i| i.offset == ex.offset)?;
                    Some(stages::TargetInstr {
                        code: ex.code_index as usize,
                        instr,
                        span: None,
                    })
                })
            }
            None => None,
        };
        let Some(t) = target else {
            self.status = Some("this uop names no instruction to follow".into());
            return;
        };
        let stage = if stages::code_of(self.capture(), Stage::Specialized).is_some() {
            Stage::Specialized
        } else {
            Stage::Bytecode
        };
        let Some(row) = self.later.code_rows(stage).iter().position(|r| {
            matches!(r, CodeRow::Instr { code, instr, .. } if *code == t.code && *instr == t.instr)
        }) else {
            self.status = Some("that instruction is folded away or not shown".into());
            return;
        };
        self.back.push((self.stage, self.selected_row()));
        self.stage = stage;
        self.focus = Focus::Stage;
        self.set_selected_row(row);
        self.status = Some("followed to the instruction (b goes back)".into());
    }

    /// Enter on an instruction of the code stages: the executor attached there, else the
    /// first uop made from it. False when there is none (Enter then folds, as on headers).
    fn follow_instruction(&mut self) -> bool {
        let Some(CodeRow::Instr { code, instr, .. }) = self
            .later
            .code_rows(self.stage)
            .get(self.selected_row())
            .cloned()
        else {
            return false;
        };
        let cap = self.capture();
        let offset = stages::code_of(cap, self.stage)
            .and_then(|r| r.walk().get(code).and_then(|c| c.instructions.get(instr)))
            .map(|i| i.offset);
        let attached = offset.and_then(|o| stages::executor_at(cap, code, o));
        let row = match attached {
            Some(exec) => self
                .later
                .uops
                .iter()
                .position(|r| matches!(r, UopRow::Header { exec: e, .. } if *e == exec)),
            None => self.later.uops.iter().position(|r| {
                matches!(r, UopRow::Uop { target: Some(t), .. } | UopRow::Unopt { target: Some(t), .. }
                    if t.code == code && t.instr == instr)
            }),
        };
        let Some(row) = row else {
            return false;
        };
        self.back.push((self.stage, self.selected_row()));
        self.stage = Stage::Uops;
        self.focus = Focus::Stage;
        self.set_selected_row(row);
        self.status = Some(match attached {
            Some(_) => "the executor attached here (b goes back)".into(),
            None => "the first micro-op made from this instruction (b goes back)".into(),
        });
        true
    }

    fn go_back(&mut self) {
        if !is_jit(self.stage) {
            match self.back.pop() {
                Some((stage, row)) => {
                    self.stage = stage;
                    self.focus = Focus::Stage;
                    self.set_selected_row(row);
                }
                None => self.status = Some("nothing to go back to".into()),
            }
            return;
        }
        if !self.jit_only("b (back)", &[Stage::MachineCode, Stage::Trampolines]) {
            return;
        }
        match self.jit.back.pop() {
            Some(p) => {
                self.stage = p.stage;
                self.set_selected_row(p.row);
                self.jit.hole = p.hole;
            }
            None => self.status = Some("nothing to go back to".into()),
        }
    }

    fn move_vertical(&mut self, delta: isize) {
        match self.focus {
            Focus::Stage => {
                let row = self.selected_row().saturating_add_signed(delta);
                self.set_selected_row(row);
            }
            Focus::Source => {
                let src = &self.capture().source;
                let (line, _) = src.line_col(self.cursor.min(src.text.len()));
                let col = src.text[src.line_start(line)..self.cursor].chars().count();
                let max_line = src.line_count().max(1);
                let new_line = line.saturating_add_signed(delta).clamp(1, max_line);
                let line_len = src.line_text(new_line).chars().count();
                let offset = src.offset_of_char_col(new_line, col.min(line_len));
                self.set_cursor(offset);
            }
        }
    }

    fn move_cursor_chars(&mut self, delta: isize) {
        let text = &self.capture().source.text;
        let mut pos = self.cursor.min(text.len());
        if delta < 0 {
            if let Some((i, _)) = text[..pos].char_indices().next_back() {
                pos = i;
            }
        } else if let Some(c) = text[pos..].chars().next() {
            pos += c.len_utf8();
        }
        self.set_cursor(pos);
    }

    /// Moves the source cursor and selects what lies under it.
    pub fn set_cursor(&mut self, offset: usize) {
        let text = &self.capture().source.text;
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        self.cursor = offset;
        self.select_from_cursor();
    }

    /// `Some(true)` folds, `Some(false)` unfolds, `None` toggles the selected AST node.
    fn fold_selected(&mut self, fold: Option<bool>) {
        let Some(row) = self.ast_rows.get(self.ast_sel) else {
            return;
        };
        if !row.has_children {
            if fold == Some(true) {
                // Fold goes to the parent, as in file trees.
                let parent = row.path[..row.path.len().saturating_sub(1)].to_vec();
                if let Some(i) = self.ast_rows.iter().position(|r| r.path == parent) {
                    self.ast_sel = i;
                }
            }
            return;
        }
        let path = row.path.clone();
        let now_folded = self.folded.contains(&path);
        let want = fold.unwrap_or(!now_folded);
        if want {
            self.folded.insert(path);
        } else {
            self.folded.remove(&path);
        }
        self.rebuild_ast_rows();
    }

    /// Folds or unfolds the code object of the selected bytecode / specialized row.
    fn fold_code(&mut self, stage: Stage, fold: Option<bool>) {
        if self.later.fold(stage, fold) {
            self.later.rebuild(&self.captures[self.current]);
        }
    }

    fn click(&mut self, hit: Hit) {
        match hit {
            Hit::Source(offset) => {
                self.focus = Focus::Source;
                if let Some(offset) = offset {
                    self.set_cursor(offset);
                }
            }
            Hit::StageRow(target) => {
                self.focus = Focus::Stage;
                if target < self.row_count() {
                    self.set_selected_row(target);
                }
            }
            Hit::StageTab(stage) => self.set_stage(stage),
            Hit::Nothing => {}
        }
    }

    fn scroll(&mut self, hit: Hit, delta: isize) {
        match hit {
            Hit::Source(_) => self.focus = Focus::Source,
            Hit::StageRow(_) => self.focus = Focus::Stage,
            Hit::StageTab(_) | Hit::Nothing => {}
        }
        self.move_vertical(delta);
    }
}

/// Live editing: new captures of the same file replace the shown ones (see [`reload`]).
impl App {
    /// Shows new captures of the file (it was saved again). They are computed on another
    /// thread; once their tokens, AST and bytecode are there, [`App::tick`] puts them in, each
    /// stage's selection back on the same source position. If the new source does not compile,
    /// the stages shown stay, marked stale, with CPython's message.
    pub fn reload(&mut self, captures: Vec<Capture>) {
        if captures.is_empty() {
            self.reload_failed("cpyviz: nothing to show");
            return;
        }
        captures[self.pending_index(&captures)].compute_in_background();
        self.pending = Some(captures);
    }

    /// The file could not be read again (e.g. it was deleted): the stages shown stay, marked
    /// stale, with the reason.
    pub fn reload_failed(&mut self, why: &str) {
        self.pending = None;
        self.stale = Some(Stale::unreadable(why));
    }

    /// Why the stages shown are not the file as it is now (`None`: they are).
    pub fn stale(&self) -> Option<&Stale> {
        self.stale.as_ref()
    }

    /// Whether `e` asked for the editor since the last call (the terminal opens it).
    pub fn take_edit_request(&mut self) -> bool {
        std::mem::take(&mut self.edit_requested)
    }

    /// The capture of `captures` for the version shown now.
    fn pending_index(&self, captures: &[Capture]) -> usize {
        let version = self.capture().version;
        captures
            .iter()
            .position(|c| c.version == version)
            .unwrap_or(0)
    }

    /// Puts the pending captures in once their front stages are there, or marks the view stale
    /// when they fail. Returns whether anything changed.
    fn take_pending(&mut self) -> bool {
        let Some(pending) = &self.pending else {
            return false;
        };
        let cap = &pending[self.pending_index(pending)];
        let front = [Stage::Ast, Stage::Bytecode, Stage::Tokens];
        let failed = front.iter().find_map(|&s| match cap.status_now(s) {
            StageStatus::Failed(e) => Some(e),
            _ => None,
        });
        if let Some(err) = failed {
            self.stale = Some(Stale::error(err));
            self.pending = None;
            return true;
        }
        if !front.iter().all(|&s| cap.is_ready(s)) {
            return false;
        }
        let captures = self.pending.take().unwrap_or_default();
        self.swap_in(captures);
        true
    }

    /// Replaces the captures with `captures` (of the edited source), keeping the view's
    /// settings, and maps each stage's selection to the new source.
    fn swap_in(&mut self, captures: Vec<Capture>) {
        let old = self.capture().source.text.clone();
        let index = self.pending_index(&captures);
        let new = captures[index].source.text.clone();
        let anchors: Vec<(Stage, Span)> = ANCHORED
            .iter()
            .filter_map(|&s| {
                let span = self.selection_span(s)?;
                let start = reload::map_offset(&old, &new, span.start as usize);
                let end = reload::map_offset(&old, &new, span.end as usize);
                Some((s, Span::new(start, end.max(start))))
            })
            .collect();
        let cursor = reload::map_offset(&old, &new, self.cursor);
        let version = captures[index].version;
        let mut fresh = App::new(captures, version, self.stage);
        fresh.set_theme(self.theme);
        fresh.presenter = self.presenter;
        fresh.focus = self.focus;
        fresh.size = self.size;
        fresh.folded = std::mem::take(&mut self.folded);
        fresh.later.show_caches = self.later.show_caches;
        fresh.later.show_unoptimized = self.later.show_unoptimized;
        fresh.jit.patched = self.jit.patched;
        fresh.jit.example = self.jit.example;
        fresh.set_jit_options(self.jit.options.clone());
        fresh.status = self.status.take();
        fresh.cursor = cursor;
        fresh.anchors = anchors;
        if !fresh.folded.is_empty() {
            fresh.rebuild_ast_rows();
        }
        *self = fresh;
        self.apply_anchors();
    }

    /// Selects, in each stage whose rows are there, the row of that stage's anchor: the row
    /// with the same source range, else the one the range's start falls in.
    fn apply_anchors(&mut self) {
        if self.anchors.is_empty() {
            return;
        }
        let (here, cursor) = (self.stage, self.cursor);
        let anchors = std::mem::take(&mut self.anchors);
        for (stage, span) in anchors {
            let ready =
                self.capture().is_ready(stage) && (stage != Stage::Ast || self.ast_job.is_none());
            if !ready {
                self.anchors.push((stage, span));
                continue;
            }
            self.stage = stage;
            match (0..self.row_count()).find(|&r| self.span_of_row(stage, r) == Some(span)) {
                Some(row) => self.set_selected_row(row),
                None => {
                    self.cursor = span.start as usize;
                    self.select_from_cursor();
                }
            }
        }
        self.stage = here;
        self.cursor = cursor;
    }

    /// The source range of row `row` of `stage`'s list (tokens, AST, the code stages).
    fn span_of_row(&self, stage: Stage, row: usize) -> Option<Span> {
        match stage {
            Stage::Tokens => self
                .capture()
                .ready_tokens()
                .and_then(|t| t.as_ref().ok())
                .and_then(|t| t.get(row))
                .map(|t| t.span),
            Stage::Ast => self.ast_rows.get(row).and_then(|r| r.span),
            s if is_jit(s) => None,
            s => self.later.span_of(s, row),
        }
    }
}

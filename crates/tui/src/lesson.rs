//! Guided mode: a [`Lesson`] presented over the viewer. [`LessonApp`] holds an [`App`] and
//! moves it from step to step — each step shows one stage of one capture, selects what the
//! step names and puts its narration under the stage pane (the presenter layout). `x` hands
//! the keyboard to the viewer itself (free exploration) until `x` or Esc brings the lesson
//! back. Like `App`, it changes only through its key handler and never computes a stage.

use crate::app::{Action, App};
use cpyviz_model::capture::{Capture, Stage, StageStatus};
use cpyviz_model::lesson::Lesson;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Guided (the lesson leads) or free exploration (the viewer's own keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Guided,
    Explore,
}

/// An overlay over the lesson.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Overlay {
    /// The list of steps (`g`), with the highlighted one.
    Steps(usize),
    /// The step's speaker notes (`s`).
    Notes,
    /// The lesson's keys (`?`).
    Help,
    /// "Quit the lesson?" (`q`).
    ConfirmQuit,
}

/// The keys of guided mode, for the help overlay: (keys, what they do).
pub const LESSON_KEYS: &[(&str, &str)] = &[
    (
        "PgDn  →  Space  .",
        "next step (a presentation clicker's keys)",
    ),
    ("PgUp  ←  b  Esc", "previous step"),
    ("Home  End", "first / last step"),
    ("1 … 9 then Enter", "go to step N"),
    ("g", "list the steps and jump to one"),
    ("↑ ↓  k j", "move the selection in the stage pane"),
    (
        "Enter",
        "follow the selection (a jump, a uop's instruction, a call)",
    ),
    (
        "/",
        "search every stage: a name, or line N (then n / N: next / previous match)",
    ),
    (
        "x",
        "explore freely with the viewer's keys; x or Esc comes back to the lesson",
    ),
    ("s", "show or hide the speaker notes"),
    ("?", "show or hide these keys"),
    ("q", "quit (asks first)  ·  Ctrl-C quits at once"),
];

/// A lesson being presented.
pub struct LessonApp {
    pub app: App,
    pub lesson: Lesson,
    /// The index in `app.captures()` of each step's capture.
    capture_of: Vec<usize>,
    /// The current step (0-based).
    pub step: usize,
    pub mode: Mode,
    pub overlay: Option<Overlay>,
    /// Digits typed toward a step number.
    pub digits: String,
    /// Why the step's selection could not be made (shown in the narration panel).
    pub problem: Option<String>,
    /// The step's selection is made once its stage is ready (see [`LessonApp::tick`]).
    pending: bool,
    pub quit: bool,
}

impl LessonApp {
    /// A lesson over `captures`; `capture_of[i]` is the index of step `i`'s capture.
    /// Panics if the lengths disagree or an index is out of range (a bug of the caller).
    pub fn new(lesson: Lesson, captures: Vec<Capture>, capture_of: Vec<usize>) -> LessonApp {
        assert_eq!(lesson.steps.len(), capture_of.len(), "one capture per step");
        assert!(capture_of.iter().all(|&i| i < captures.len()));
        let first = &lesson.steps[0];
        let version = captures[capture_of[0]].version;
        let mut app = App::new(captures, version, first.stage);
        // The presenter's default: high contrast reads best on a projector.
        app.set_theme(crate::theme::ThemeName::HighContrast);
        let mut me = LessonApp {
            app,
            lesson,
            capture_of,
            step: 0,
            mode: Mode::Guided,
            overlay: None,
            digits: String::new(),
            problem: None,
            pending: false,
            quit: false,
        };
        me.go_to(0);
        me
    }

    pub fn step_count(&self) -> usize {
        self.lesson.steps.len()
    }

    /// Shows step `step` (clamped): its capture, its stage, then its selection once ready.
    pub fn go_to(&mut self, step: usize) {
        let step = step.min(self.step_count() - 1);
        self.step = step;
        self.mode = Mode::Guided;
        self.digits.clear();
        self.problem = None;
        let s = &self.lesson.steps[step];
        let stage = s.stage;
        let options = s.jit_options();
        self.app.show_capture(self.capture_of[step]);
        self.app.set_jit_options(options);
        self.app.show_stage(stage);
        self.app.search = None;
        self.app.status = None;
        self.app.show_help = false;
        self.app.diff = None;
        self.app.show_output = false;
        self.pending = true;
        self.try_select();
    }

    /// Whether the step's stage (and, for the JIT stages, the JIT view) is ready to select in.
    fn stage_ready(&self) -> bool {
        let stage = self.app.stage;
        let ready = matches!(self.app.capture().status_now(stage), StageStatus::Ready);
        match stage {
            Stage::MachineCode | Stage::Trampolines if self.app.jit().has_builder() => {
                !self.app.jit().computing() && self.app.jit().view().is_some()
            }
            _ => ready && self.app.rows_built(stage) && !self.app.preparing_rows(),
        }
    }

    /// Makes the step's selection if its stage is ready; notes a problem if it cannot be made.
    fn try_select(&mut self) {
        if !self.pending {
            return;
        }
        if matches!(
            self.app.capture().status_now(self.app.stage),
            StageStatus::Failed(_) | StageStatus::NotBuilt
        ) {
            self.pending = false;
            self.problem = Some(format!(
                "the {} stage is not available in the {}",
                self.app.stage.title(),
                self.app.capture().engine.label()
            ));
            return;
        }
        if !self.stage_ready() {
            return;
        }
        self.pending = false;
        if let Some(sel) = self.lesson.steps[self.step].select.clone() {
            if let Err(e) = self.app.select(&sel) {
                self.problem = Some(e);
            }
        }
    }

    /// Takes in what finished computing; returns whether anything changed.
    pub fn tick(&mut self) -> bool {
        let changed = self.app.tick();
        if self.pending {
            self.try_select();
            return true;
        }
        changed
    }

    /// Computes the current step's stages and makes its selection (shots and tests).
    pub fn settle(&mut self) {
        self.app.settle();
        self.try_select();
    }

    /// Whether stages are still being computed.
    pub fn computing(&self) -> bool {
        self.app.computing() || self.pending
    }

    /// Sets the screen size; in guided mode the narration panel takes the rows it needs.
    pub fn set_size(&mut self, width: u16, height: u16) {
        self.app.size = (width, height);
        self.app.presenter = match self.mode {
            Mode::Guided => Some(crate::ui::lesson::narration_height(self, width, height)),
            Mode::Explore => None,
        };
    }

    /// The problems of every step, found by showing each (the lessons' tests use it).
    pub fn problems(&mut self) -> Vec<(usize, String)> {
        let keep = self.step;
        let mut out = Vec::new();
        for i in 0..self.step_count() {
            self.go_to(i);
            self.settle();
            if let Some(p) = &self.problem {
                out.push((i + 1, p.clone()));
            }
        }
        self.go_to(keep);
        self.settle();
        out
    }

    /// A key press.
    pub fn handle_key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('q')) {
            self.quit = true;
            return;
        }
        if let Some(overlay) = self.overlay {
            self.overlay_key(overlay, key);
            return;
        }
        // The search prompt takes every key while it is open.
        if self.app.search.as_ref().is_some_and(|s| s.editing) {
            self.app.handle_key(key);
            return;
        }
        match self.mode {
            Mode::Explore => self.explore_key(key),
            Mode::Guided => self.guided_key(key),
        }
    }

    fn overlay_key(&mut self, overlay: Overlay, key: KeyEvent) {
        match overlay {
            Overlay::ConfirmQuit => {
                self.overlay = None;
                if matches!(key.code, KeyCode::Char('y' | 'Y' | 'q') | KeyCode::Enter) {
                    self.quit = true;
                }
            }
            Overlay::Steps(i) => match key.code {
                KeyCode::Up | KeyCode::Char('k') => {
                    self.overlay = Some(Overlay::Steps(i.saturating_sub(1)))
                }
                KeyCode::Down | KeyCode::Char('j') => {
                    self.overlay = Some(Overlay::Steps((i + 1).min(self.step_count() - 1)))
                }
                KeyCode::Home => self.overlay = Some(Overlay::Steps(0)),
                KeyCode::End => self.overlay = Some(Overlay::Steps(self.step_count() - 1)),
                KeyCode::Enter => {
                    self.overlay = None;
                    self.go_to(i);
                }
                _ => self.overlay = None,
            },
            Overlay::Notes | Overlay::Help => self.overlay = None,
        }
    }

    fn explore_key(&mut self, key: KeyEvent) {
        let app = &self.app;
        let overlay_open = app.show_help || app.show_output || app.diff.is_some();
        match key.code {
            KeyCode::Char('x') if !overlay_open => self.go_to(self.step),
            KeyCode::Esc if !overlay_open && app.search.is_none() => self.go_to(self.step),
            KeyCode::Char('q') if !overlay_open => self.overlay = Some(Overlay::ConfirmQuit),
            _ => self.app.handle_key(key),
        }
    }

    fn guided_key(&mut self, key: KeyEvent) {
        let last = self.step_count() - 1;
        match key.code {
            KeyCode::PageDown | KeyCode::Right | KeyCode::Char(' ' | '.') => {
                if self.step < last {
                    self.go_to(self.step + 1)
                } else {
                    self.app.status = Some("the last step: q ends the lesson".into());
                }
            }
            KeyCode::Esc if self.app.search.is_some() => self.app.search = None,
            KeyCode::PageUp
            | KeyCode::Left
            | KeyCode::Backspace
            | KeyCode::Char('b')
            | KeyCode::Esc => {
                if !self.digits.is_empty() && key.code == KeyCode::Backspace {
                    self.digits.pop();
                } else if self.step > 0 {
                    self.go_to(self.step - 1)
                } else {
                    self.app.status = Some("the first step: q ends the lesson".into());
                }
            }
            KeyCode::Home => self.go_to(0),
            KeyCode::End => self.go_to(last),
            KeyCode::Char(c @ '0'..='9') => {
                if self.digits.len() < 3 {
                    self.digits.push(c);
                }
            }
            KeyCode::Enter if !self.digits.is_empty() => {
                let n: usize = self.digits.parse().unwrap_or(0);
                if (1..=self.step_count()).contains(&n) {
                    self.go_to(n - 1);
                } else {
                    self.app.status = Some(format!(
                        "no step {n}: this lesson has {} steps",
                        self.step_count()
                    ));
                    self.digits.clear();
                }
            }
            KeyCode::Char('g') => self.overlay = Some(Overlay::Steps(self.step)),
            KeyCode::Char('s') => self.overlay = Some(Overlay::Notes),
            KeyCode::Char('?') => self.overlay = Some(Overlay::Help),
            KeyCode::Char('q') => self.overlay = Some(Overlay::ConfirmQuit),
            KeyCode::Char('x') => {
                self.mode = Mode::Explore;
                self.app.presenter = None;
                self.app.status =
                    Some("exploring: the viewer's keys work (? lists them); x or Esc returns to the lesson".into());
            }
            KeyCode::Char('/') => self.app.update(Action::Search),
            KeyCode::Char('n') if self.app.searching() => self.app.update(Action::NextHole),
            KeyCode::Char('N') if self.app.searching() => self.app.update(Action::PrevHole),
            KeyCode::Up | KeyCode::Char('k') => self.app.update(Action::Up),
            KeyCode::Down | KeyCode::Char('j') => self.app.update(Action::Down),
            KeyCode::Enter => self.app.update(Action::ToggleFold),
            _ => {
                self.app.status = Some("PgDn next · PgUp back · x explore · ? keys".into());
            }
        }
    }
}

//! Finding rows: the searchable text of each row of the current stage (`/`), and the row a
//! lesson step's selection names. Both read only what the panes already show (the capture's
//! ready stages and the cached rows); nothing is computed here.

use super::jit::{asm_lines, groups, JitRow, TrampRow};
use super::stages::{code_of, CodeRow, MachineRow, UopRow};
use super::App;
use cpyviz_model::capture::{Stage, StageStatus};
use cpyviz_model::lesson::{Select, Selection};
use cpyviz_model::source::Span;

/// One row's identity for a lesson selection: what kind of thing it is and its name.
enum Named<'a> {
    Token,
    Node(&'a str),
    Instruction(&'a str),
    Uop(&'a str),
    Hole(Option<&'a str>),
    Symbol(&'a str),
    Other,
}

impl App {
    /// The text of row `i` of the current stage, as a search sees it: a token's type and
    /// text, a node's field and class, an instruction's name and argument, a uop's name, a
    /// hole's symbol, a line of machine code.
    pub fn row_text(&self, i: usize) -> String {
        let cap = self.capture();
        match self.stage {
            Stage::Tokens => cap
                .ready_tokens()
                .and_then(|t| t.as_ref().ok())
                .and_then(|t| t.get(i))
                .map(|t| format!("{} {}", t.kind.name(), t.text))
                .unwrap_or_default(),
            Stage::Ast => self
                .ast_rows
                .get(i)
                .map(|r| format!("{} {} {}", r.field, r.kind.name(), r.detail))
                .unwrap_or_default(),
            Stage::Bytecode | Stage::Specialized => {
                let Some(root) = code_of(cap, self.stage) else {
                    return String::new();
                };
                match self.later.code_rows(self.stage).get(i) {
                    Some(CodeRow::Header { code, .. }) => root
                        .walk()
                        .into_iter()
                        .nth(*code)
                        .map(|c| format!("Disassembly of {}", c.qualname))
                        .unwrap_or_default(),
                    Some(CodeRow::Instr { code, instr, .. }) => root
                        .walk()
                        .into_iter()
                        .nth(*code)
                        .and_then(|c| c.instructions.get(*instr))
                        .map(|ins| format!("{} {} {}", ins.offset, ins.opname, ins.argrepr))
                        .unwrap_or_default(),
                    Some(CodeRow::Cache { .. }) => "CACHE".to_string(),
                    None => String::new(),
                }
            }
            Stage::Uops => {
                let Some(Ok(execs)) = cap.executors() else {
                    return String::new();
                };
                match self.later.uops.get(i) {
                    Some(UopRow::Header { exec, .. }) => execs
                        .get(*exec)
                        .map(|x| format!("Executor {} at offset {}", x.qualname, x.offset))
                        .unwrap_or_default(),
                    Some(UopRow::Uop { exec, uop, .. } | UopRow::Unopt { exec, uop, .. }) => {
                        let list = match self.later.uops.get(i) {
                            Some(UopRow::Unopt { .. }) => execs.get(*exec).map(|x| &x.unoptimized),
                            _ => execs.get(*exec).map(|x| &x.uops),
                        };
                        list.and_then(|l| l.get(*uop))
                            .map(|u| format!("{} {}", u.name, u.oparg))
                            .unwrap_or_default()
                    }
                    None => String::new(),
                }
            }
            Stage::MachineCode | Stage::Trampolines if !self.jit.has_builder() => {
                match self.later.machine.get(i) {
                    Some(MachineRow::Asm { line, .. }) => format!("{} {}", line.text, line.note),
                    Some(MachineRow::Note { text, .. }) => text.clone(),
                    _ => String::new(),
                }
            }
            Stage::MachineCode => self.jit_row_text(i),
            Stage::Trampolines => match self.jit.tramp.get(i) {
                Some(TrampRow::Symbol { exec, ordinal }) => self
                    .jit
                    .region(*exec)
                    .and_then(|r| r.symbols.get(*ordinal as usize))
                    .cloned()
                    .unwrap_or_default(),
                Some(TrampRow::Note { text, .. } | TrampRow::Why { text, .. }) => text.clone(),
                _ => String::new(),
            },
        }
    }

    fn jit_row_text(&self, i: usize) -> String {
        let j = &self.jit;
        match j.machine.get(i) {
            Some(JitRow::Group { exec, group }) => j
                .region(*exec)
                .and_then(|r| groups(r).get(*group).copied())
                .map(|g| format!("{} {}", g.uop, g.stencil))
                .unwrap_or_default(),
            Some(JitRow::Hole { exec, group, hole }) => j
                .region(*exec)
                .and_then(|r| groups(r).get(*group).copied())
                .and_then(|g| g.holes.get(*hole))
                .map(|h| {
                    format!(
                        "{} {} {}",
                        h.hole.symbol.as_deref().unwrap_or(""),
                        h.hole.kind,
                        h.note
                    )
                })
                .unwrap_or_default(),
            Some(JitRow::Asm { exec, group, line }) => j
                .executor(*exec)
                .and_then(|ex| asm_lines(ex, *group, j.patched).get(*line))
                .map(|a| a.text.clone())
                .unwrap_or_default(),
            Some(JitRow::Note { text, .. } | JitRow::Text { text, .. }) => text.clone(),
            Some(JitRow::Real(MachineRow::Asm { line, .. })) => {
                format!("{} {}", line.text, line.note)
            }
            _ => String::new(),
        }
    }

    /// What row `i` of the current stage is, for a lesson's selection.
    fn row_named(&self, i: usize) -> Named<'_> {
        let cap = self.capture();
        match self.stage {
            Stage::Tokens => Named::Token,
            Stage::Ast => self
                .ast_rows
                .get(i)
                .map_or(Named::Other, |r| Named::Node(r.kind.name())),
            Stage::Bytecode | Stage::Specialized => match self.later.code_rows(self.stage).get(i) {
                Some(CodeRow::Instr { code, instr, .. }) => code_of(cap, self.stage)
                    .and_then(|root| root.walk().into_iter().nth(*code))
                    .and_then(|c| c.instructions.get(*instr))
                    .map_or(Named::Other, |ins| Named::Instruction(ins.opname.as_str())),
                _ => Named::Other,
            },
            Stage::Uops => match (self.later.uops.get(i), cap.executors()) {
                (Some(UopRow::Uop { exec, uop, .. }), Some(Ok(execs))) => execs
                    .get(*exec)
                    .and_then(|x| x.uops.get(*uop))
                    .map_or(Named::Other, |u| Named::Uop(u.name.as_str())),
                (Some(UopRow::Unopt { exec, uop, .. }), Some(Ok(execs))) => execs
                    .get(*exec)
                    .and_then(|x| x.unoptimized.get(*uop))
                    .map_or(Named::Other, |u| Named::Uop(u.name.as_str())),
                _ => Named::Other,
            },
            Stage::MachineCode => match self.jit.machine.get(i) {
                Some(JitRow::Group { exec, group }) => self
                    .jit
                    .region(*exec)
                    .and_then(|r| groups(r).get(*group).copied())
                    .map_or(Named::Other, |g| Named::Uop(g.uop.as_str())),
                Some(JitRow::Hole { exec, group, hole }) => self
                    .jit
                    .region(*exec)
                    .and_then(|r| groups(r).get(*group).copied())
                    .and_then(|g| g.holes.get(*hole))
                    .map_or(Named::Other, |h| Named::Hole(h.hole.symbol.as_deref())),
                _ => Named::Other,
            },
            Stage::Trampolines => match self.jit.tramp.get(i) {
                Some(TrampRow::Symbol { exec, ordinal }) => self
                    .jit
                    .region(*exec)
                    .and_then(|r| r.symbols.get(*ordinal as usize))
                    .map_or(Named::Other, |s| Named::Symbol(s.as_str())),
                _ => Named::Other,
            },
        }
    }

    /// Where CPython's source defines the selected row's token type, node, instruction, uop
    /// or symbol (`explain::defined_in`).
    pub fn defined_in(&self) -> Option<String> {
        use cpyviz_model::explain::defined_in;
        let i = self.selected_row();
        match self.row_named(i) {
            Named::Token => {
                let cap = self.capture();
                let t = cap.ready_tokens()?.as_ref().ok()?.get(i)?;
                defined_in(Stage::Tokens, t.kind.name(), None)
            }
            Named::Node(n) => defined_in(Stage::Ast, n, None),
            Named::Instruction(n) => {
                let tables = cpyviz_model::tables::for_version(self.capture().version);
                let family = tables
                    .opcode_number(n)
                    .and_then(|op| tables.deopt(op))
                    .and_then(|base| tables.opcode_name(base));
                defined_in(self.stage, n, family)
            }
            Named::Uop(n) => defined_in(self.stage, n, None),
            Named::Hole(Some(sym)) => Some(format!(
                "Python/jit.c patches this hole with {sym}'s address (its patch_* functions); the stencil is built from Tools/jit/template.c"
            )),
            Named::Hole(None) => Some(
                "Python/jit.c patches this hole (its patch_* functions); the stencil is built from Tools/jit/template.c".to_string(),
            ),
            Named::Symbol(n) => defined_in(Stage::Trampolines, n, None),
            Named::Other => None,
        }
    }

    /// The source span of row `i` of the current stage (for `line` selections).
    fn row_span(&mut self, i: usize) -> Option<Span> {
        let keep = self.selected_row();
        self.set_selected_row(i);
        let span = self.selected_span();
        self.set_selected_row(keep);
        span
    }

    /// Rows of the current stage whose text contains `query`, ignoring case; `line N` (or
    /// `:N`) finds the rows of source line N.
    pub fn find_rows(&mut self, query: &str) -> Vec<usize> {
        let q = query.trim().to_lowercase();
        if q.is_empty() {
            return Vec::new();
        }
        let line = q
            .strip_prefix("line")
            .or_else(|| q.strip_prefix(':'))
            .and_then(|n| n.trim().parse::<u32>().ok());
        if let Some(line) = line {
            return self.rows_on_line(line);
        }
        (0..self.row_count())
            .filter(|&i| self.row_text(i).to_lowercase().contains(&q))
            .collect()
    }

    /// The rows of the current stage whose source starts on `line`.
    fn rows_on_line(&mut self, line: u32) -> Vec<usize> {
        let src = &self.capture().source;
        if line == 0 || line as usize > src.line_count() {
            return Vec::new();
        }
        let start = src.line_start(line as usize);
        let end = start + src.line_text(line as usize).len();
        (0..self.row_count())
            .filter(|&i| {
                self.row_span(i)
                    .is_some_and(|s| (s.start as usize) >= start && (s.start as usize) <= end)
            })
            .collect()
    }

    /// Selects the row a lesson step names in the current stage. `Err` says why none could
    /// be selected (the stage is not ready, or nothing matches).
    pub fn select(&mut self, sel: &Selection) -> Result<(), String> {
        let status = self.capture().status_now(self.stage);
        if !matches!(status, StageStatus::Ready) && !super::is_jit(self.stage) {
            return Err(format!(
                "the {} stage is not ready in the {}",
                self.stage.title(),
                self.capture().engine.label()
            ));
        }
        let n = self.row_count();
        let matches: Vec<usize> = match &sel.what {
            Select::Row(r) => (*r < n).then_some(*r).into_iter().collect(),
            Select::Token(t) => (self.stage == Stage::Tokens && *t < n)
                .then_some(*t)
                .into_iter()
                .collect(),
            Select::Line(line) => self.rows_on_line(*line),
            Select::Hole(h) => (0..n)
                .filter(|&i| matches!(self.row_named(i), Named::Hole(_)))
                .nth(*h)
                .into_iter()
                .collect(),
            what => (0..n)
                .filter(|&i| match (what, self.row_named(i)) {
                    (Select::Node(want), Named::Node(got))
                    | (Select::Instruction(want), Named::Instruction(got))
                    | (Select::Symbol(want), Named::Symbol(got))
                    | (Select::Symbol(want), Named::Hole(Some(got))) => got == want,
                    (Select::Uop(want), Named::Uop(got)) => uop_matches(got, want),
                    _ => false,
                })
                .collect(),
        };
        let nth = if matches!(
            sel.what,
            Select::Hole(_) | Select::Row(_) | Select::Token(_)
        ) {
            1
        } else {
            sel.nth
        };
        match matches.get(nth - 1) {
            Some(&row) => {
                self.set_selected_row(row);
                Ok(())
            }
            None if matches.is_empty() => Err(format!(
                "no {} in the {} stage ({} · CPython {})",
                sel.what.describe(),
                self.stage.title(),
                self.capture().engine.label(),
                self.capture().display_version()
            )),
            None => Err(format!(
                "{} {} only {} times in the {} stage, not {}",
                sel.what.describe(),
                "appears",
                matches.len(),
                self.stage.title(),
                nth
            )),
        }
    }
}

/// The `/` search: the query being typed, then its matches in one stage.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Search {
    pub query: String,
    /// Still typing the query (Enter runs it, Esc cancels).
    pub editing: bool,
    /// The stage the matches are rows of, and the rows.
    pub stage: Option<Stage>,
    pub matches: Vec<usize>,
    /// Which match is selected.
    pub at: usize,
}

impl Search {
    /// The footer's line for the search.
    pub fn prompt(&self) -> String {
        if self.editing {
            return format!(
                "/{}▏  (Enter: find in every stage · Esc: cancel)",
                self.query
            );
        }
        match (self.stage, self.matches.len()) {
            (_, 0) => format!("/{}: not found in any stage", self.query),
            (Some(s), n) => format!(
                "/{}: match {} of {n} in {} · n / N: next / previous · Esc: done",
                self.query,
                self.at + 1,
                s.title()
            ),
            (None, _) => String::new(),
        }
    }
}

impl App {
    /// Opens the search prompt.
    pub fn start_search(&mut self) {
        self.search = Some(Search {
            editing: true,
            ..Search::default()
        });
    }

    /// Whether a search's matches are being stepped through (`n` / `N` step them).
    pub fn searching(&self) -> bool {
        self.search
            .as_ref()
            .is_some_and(|s| !s.editing && s.stage == Some(self.stage) && !s.matches.is_empty())
    }

    /// A key while the prompt is open: edits it, runs it (Enter) or cancels it (Esc).
    pub(super) fn search_key(&mut self, key: ratatui::crossterm::event::KeyEvent) {
        use ratatui::crossterm::event::{KeyCode, KeyModifiers};
        let Some(search) = self.search.as_mut() else {
            return;
        };
        match key.code {
            KeyCode::Esc => self.search = None,
            KeyCode::Enter => {
                let query = search.query.trim().to_string();
                if query.is_empty() {
                    self.search = None;
                } else {
                    self.run_search(query);
                }
            }
            KeyCode::Backspace => {
                search.query.pop();
            }
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.search = None
            }
            KeyCode::Char(c)
                if !key.modifiers.contains(KeyModifiers::CONTROL)
                    && search.query.chars().count() < 80 =>
            {
                search.query.push(c)
            }
            _ => {}
        }
    }

    /// Finds `query` in the current stage, else in the next stage that has it (wrapping).
    pub fn run_search(&mut self, query: String) {
        let start = self.stage;
        let all: Vec<Stage> = Stage::all().collect();
        let at = start as usize;
        let order: Vec<Stage> = all[at..].iter().chain(&all[..at]).copied().collect();
        for stage in order {
            if stage != self.stage {
                self.set_stage(stage);
            }
            let matches = self.find_rows(&query);
            if let Some(&first) = matches.first() {
                // Start at the first match at or after the selection in the starting stage.
                let sel = self.selected_row();
                let at = if stage == start {
                    matches.iter().position(|&r| r >= sel).unwrap_or(0)
                } else {
                    0
                };
                self.set_selected_row(matches.get(at).copied().unwrap_or(first));
                self.search = Some(Search {
                    query,
                    editing: false,
                    stage: Some(stage),
                    matches,
                    at,
                });
                return;
            }
        }
        if self.stage != start {
            self.set_stage(start);
        }
        self.search = Some(Search {
            query,
            editing: false,
            stage: None,
            matches: Vec::new(),
            at: 0,
        });
    }

    /// Selects the next (or previous) match of the search.
    pub(super) fn step_match(&mut self, forward: bool) {
        let Some(s) = self.search.as_mut() else {
            return;
        };
        let n = s.matches.len();
        if n == 0 {
            return;
        }
        s.at = if forward {
            (s.at + 1) % n
        } else {
            (s.at + n - 1) % n
        };
        let row = s.matches[s.at];
        self.set_selected_row(row);
    }
}

/// Whether uop `got` is `want`, or a 3.15 register variant of it (`_GUARD_NOS_INT_r22`).
fn uop_matches(got: &str, want: &str) -> bool {
    got == want
        || got.strip_prefix(want).is_some_and(|rest| {
            rest.len() == 4
                && rest.starts_with("_r")
                && rest[2..].bytes().all(|b| b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::uop_matches;

    #[test]
    fn register_variants_match_their_uop() {
        assert!(uop_matches("_GUARD_NOS_INT", "_GUARD_NOS_INT"));
        assert!(uop_matches("_GUARD_NOS_INT_r22", "_GUARD_NOS_INT"));
        assert!(!uop_matches("_GUARD_NOS_INT_r2", "_GUARD_NOS_INT"));
        assert!(!uop_matches("_GUARD_NOS_INTX", "_GUARD_NOS_INT"));
        assert!(!uop_matches("_GUARD_NOS", "_GUARD_NOS_INT"));
    }
}

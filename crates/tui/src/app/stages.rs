//! Presentation-only rows of the later stages (bytecode, specialized, micro-ops, machine code),
//! flattened from a ready [`Capture`] and cached in `App`. Nothing here computes a stage: rows
//! only point into the capture (the machine code's listing too: the engine disassembled it).

use cpyviz_model::bytecode::{CodeObject, Instruction, Positions};
use cpyviz_model::capture::{Capture, Stage};
use cpyviz_model::execution::Execution;
use cpyviz_model::source::{Source, Span};
use cpyviz_model::tables::{flags, for_version};
use cpyviz_model::uops::{AsmLine, Executor};
use cpyviz_model::version::PyVersion;
use std::collections::HashSet;

/// One row of the bytecode / specialized panes.
#[derive(Clone, Debug, PartialEq)]
pub enum CodeRow {
    /// `Disassembly of <code object …>`: the code object at `code` in depth-first order.
    Header {
        code: usize,
        depth: usize,
        folded: bool,
    },
    /// Instruction `instr` of code object `code`, with its positions as a source span.
    Instr {
        code: usize,
        instr: usize,
        span: Option<Span>,
    },
    /// Inline cache entry `entry` of instruction `instr` (shown on demand, like
    /// `dis --show-caches`); it shares its instruction's span.
    Cache {
        code: usize,
        instr: usize,
        entry: usize,
        span: Option<Span>,
    },
}

impl CodeRow {
    /// The code object (depth-first index) the row belongs to.
    pub fn code(&self) -> usize {
        match self {
            CodeRow::Header { code, .. }
            | CodeRow::Instr { code, .. }
            | CodeRow::Cache { code, .. } => *code,
        }
    }
}

/// One row of the micro-ops pane.
#[derive(Clone, Debug, PartialEq)]
pub enum UopRow {
    /// Executor `exec`; its span is the instruction it is attached to, when that is known.
    Header { exec: usize, span: Option<Span> },
    /// Uop `uop` of executor `exec`, and the instruction its target points at when that can
    /// be determined from the capture.
    Uop {
        exec: usize,
        uop: usize,
        target: Option<TargetInstr>,
    },
    /// Uop `uop` of executor `exec`'s trace *before* the optimizer (`Executor::unoptimized`),
    /// with what the optimizer made of it.
    Unopt {
        exec: usize,
        uop: usize,
        fate: Fate,
        target: Option<TargetInstr>,
    },
}

/// What the optimizer did with one uop of the projected trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Still there, unchanged, as uop `.0` of the executor.
    Kept(usize),
    /// Replaced by uop `.0` of the executor (another name).
    Replaced(usize),
    /// Removed (a guard proven redundant, a value never used, a bookkeeping uop not needed).
    Removed,
}

/// The instruction a uop's target designates: code object (depth-first index), instruction index.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TargetInstr {
    pub code: usize,
    pub instr: usize,
    pub span: Option<Span>,
}

/// One row of the machine-code pane.
#[derive(Clone, Debug, PartialEq)]
pub enum MachineRow {
    Header {
        exec: usize,
        span: Option<Span>,
    },
    /// Why an executor has no machine code.
    Note {
        exec: usize,
        text: String,
    },
    Asm {
        exec: usize,
        line: AsmLine,
        /// The source of the instruction the uop it is tied to (`AsmLine::uop`) targets, when
        /// both are determined.
        span: Option<Span>,
    },
}

/// The cached rows and selections of the four later stages.
#[derive(Debug, Default)]
pub struct LaterRows {
    pub bytecode: Vec<CodeRow>,
    pub specialized: Vec<CodeRow>,
    pub uops: Vec<UopRow>,
    pub machine: Vec<MachineRow>,
    /// Selected row per stage: bytecode, specialized, uops, machine code.
    sel: [usize; 4],
    folded: [HashSet<usize>; 2],
    /// Show each instruction's inline cache entries as rows of their own.
    pub show_caches: bool,
    /// Micro-ops: show each trace as it was before the optimizer (where the engine kept it).
    pub show_unoptimized: bool,
    /// The jump-arrow gutter of each bytecode and specialized row ([`jump_gutter`]).
    pub gutters: [Vec<String>; 2],
}

fn slot(stage: Stage) -> Option<usize> {
    match stage {
        Stage::Bytecode => Some(0),
        Stage::Specialized => Some(1),
        Stage::Uops => Some(2),
        Stage::MachineCode => Some(3),
        _ => None,
    }
}

/// The code object of a later stage (`None` when not built or failed).
pub fn code_of(cap: &Capture, stage: Stage) -> Option<&CodeObject> {
    match stage {
        Stage::Bytecode => cap.ready_bytecode().flatten().and_then(|r| r.as_ref().ok()),
        Stage::Specialized => cap.ready_specialized().and_then(|r| r.ok()),
        _ => None,
    }
}

/// The built-in VM's run of the capture, if it is computed and succeeded (never waits).
pub fn execution_of(cap: &Capture) -> Option<&Execution> {
    cap.ready_execution()
        .flatten()
        .and_then(|r| r.as_ref().ok())
        .map(|e| &**e)
}

/// The executors of a capture: recorded, or built by the built-in VM's run (`None` when not
/// built, not computed yet, or failed; never waits).
pub fn executors(cap: &Capture) -> Option<&[Executor]> {
    cap.ready_executors().and_then(|r| r.ok())
}

/// The code objects depth-first in `co_consts` order (as executors' `code_index` counts them),
/// with their nesting depth.
pub fn walk_with_depth(root: &CodeObject) -> Vec<(&CodeObject, usize)> {
    let mut out = Vec::new();
    let mut stack = vec![(root, 0)];
    while let Some((c, d)) = stack.pop() {
        out.push((c, d));
        for ch in c.children.iter().rev() {
            stack.push((ch, d + 1));
        }
    }
    out
}

/// An instruction's positions as a byte span of the source; `None` when a position is missing
/// or lies outside the source.
pub fn positions_span(src: &Source, p: &Positions) -> Option<Span> {
    let (l1, l2, c1, c2) = (p.lineno?, p.end_lineno?, p.col_offset?, p.end_col_offset?);
    let (l1, l2) = (l1 as usize, l2 as usize);
    let lines = src.line_count();
    if l1 == 0 || l2 < l1 || l2 > lines {
        return None;
    }
    let at = |line: usize, col: u32| {
        let text = src.line_text(line);
        let mut c = (col as usize).min(text.len());
        while !text.is_char_boundary(c) {
            c -= 1;
        }
        src.line_start(line) + c
    };
    let (start, end) = (at(l1, c1), at(l2, c2));
    (end >= start).then(|| Span::new(start, end))
}

fn instr_span(src: &Source, i: &Instruction) -> Option<Span> {
    i.positions.as_ref().and_then(|p| positions_span(src, p))
}

fn code_rows(
    root: &CodeObject,
    src: &Source,
    folded: &HashSet<usize>,
    show_caches: bool,
) -> Vec<CodeRow> {
    let mut out = Vec::new();
    for (code, (c, depth)) in walk_with_depth(root).into_iter().enumerate() {
        let is_folded = folded.contains(&code);
        out.push(CodeRow::Header {
            code,
            depth,
            folded: is_folded,
        });
        if !is_folded {
            for (instr, i) in c.instructions.iter().enumerate() {
                let span = instr_span(src, i);
                out.push(CodeRow::Instr { code, instr, span });
                if show_caches {
                    for entry in 0..i.cache_info.len() {
                        out.push(CodeRow::Cache {
                            code,
                            instr,
                            entry,
                            span,
                        });
                    }
                }
            }
        }
    }
    out
}

/// Lanes of the jump-arrow gutter; a jump that finds no free lane is left out.
pub const JUMP_LANES: usize = 3;

/// The jump-arrow gutter of each row: `JUMP_LANES + 1` characters drawing every jump of a code
/// object from its instruction to its target (`╭`/`╰` corners, `│` lanes, `►` at the target),
/// shorter jumps on inner lanes. Rows outside instructions stay blank.
pub fn jump_gutter(root: &CodeObject, rows: &[CodeRow]) -> Vec<String> {
    let width = JUMP_LANES + 1;
    let mut grid = vec![vec![' '; width]; rows.len()];
    let codes = root.walk();
    // (code, instr) → row of the instruction.
    let mut row_of: std::collections::HashMap<(usize, usize), usize> = Default::default();
    for (r, row) in rows.iter().enumerate() {
        if let CodeRow::Instr { code, instr, .. } = row {
            row_of.insert((*code, *instr), r);
        }
    }
    // Jumps as (from row, to row), per code object.
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let CodeRow::Instr { code, instr, .. } = row else {
            continue;
        };
        let Some(c) = codes.get(*code) else { continue };
        let Some(target) = c.instructions.get(*instr).and_then(|i| i.jump_target) else {
            continue;
        };
        let Some(t) = c.instructions.iter().position(|i| i.offset == target) else {
            continue;
        };
        if let Some(&tr) = row_of.get(&(*code, t)) {
            edges.push((r, tr));
        }
    }
    edges.sort_by_key(|&(a, b)| a.abs_diff(b));
    let mut busy: Vec<Vec<(usize, usize)>> = vec![Vec::new(); JUMP_LANES];
    for (from, to) in edges {
        let (lo, hi) = (from.min(to), from.max(to));
        let Some(lane) = (0..JUMP_LANES).find(|&k| busy[k].iter().all(|&(a, b)| hi < a || lo > b))
        else {
            continue;
        };
        busy[lane].push((lo, hi));
        let col = JUMP_LANES - 1 - lane;
        for cells in grid.iter_mut().take(hi).skip(lo + 1) {
            cells[col] = match cells[col] {
                '─' => '┼',
                _ => '│',
            };
        }
        for (r, top) in [(lo, true), (hi, false)] {
            let cells = &mut grid[r];
            cells[col] = match (cells[col], top) {
                (' ' | '─', true) => '╭',
                (' ' | '─', false) => '╰',
                _ => '├',
            };
            for cell in cells.iter_mut().take(width - 1).skip(col + 1) {
                if *cell == ' ' {
                    *cell = '─';
                } else if *cell == '│' {
                    *cell = '┼';
                }
            }
            if r == to {
                cells[width - 1] = '►';
            } else if cells[width - 1] == ' ' {
                cells[width - 1] = '─';
            }
        }
    }
    grid.into_iter().map(|c| c.into_iter().collect()).collect()
}

/// Uops that never carry an instruction target in their `target` field.
const NO_TARGET: &[&str] = &[
    "_START_EXECUTOR",
    "_MAKE_WARM",
    "_SPILL_OR_RELOAD",
    "_ERROR_POP_N",
    "_HANDLE_PENDING_AND_DEOPT",
    "_JUMP_TO_TOP",
    "_FATAL_ERROR",
];
/// Uops after which the trace runs in another frame.
const PUSHES_FRAME: &[&str] = &["_PUSH_FRAME"];
const POPS_FRAME: &[&str] = &["_RETURN_VALUE", "_RETURN_GENERATOR", "_YIELD_VALUE"];

/// For each uop of `ex`, the instruction its target designates, when the capture determines it:
///
/// - uops with an exit, deopt or error flag hold jump/error targets (indices of stub uops), not
///   instruction targets; the stubs they jump to inherit the jumping uop's code object;
/// - the trace starts in the executor's code object; after a `_PUSH_FRAME` it runs in a callee
///   the capture does not name, and after returning out of its first frame in a caller it does
///   not name either: those uops get nothing;
/// - a target must be the offset of an instruction of that code object (target × 2 bytes).
pub fn uop_targets(
    ex: &Executor,
    code: Option<&CodeObject>,
    src: &Source,
    version: PyVersion,
) -> Vec<Option<TargetInstr>> {
    let n = ex.uops.len();
    let mut out = vec![None; n];
    let Some(root) = code else {
        return out;
    };
    let codes = root.walk();
    if ex.uops.iter().any(|u| u.code_index.is_some()) {
        // The engine says where each uop comes from: the instruction it was made from, or —
        // for an exit stub — the instruction it exits to.
        return ex
            .uops
            .iter()
            .map(|u| uop_instr(u, &codes, src, version))
            .collect();
    }
    let tables = for_version(version);
    // 3.15 register variants carry no flags of their own: use their base uop's.
    let uop_flags = |name: &str| {
        let u = tables.uop_by_name(name)?;
        match u.uncached {
            Some(base) => tables.uop(base).map(|b| b.flags),
            None => Some(u.flags),
        }
    };
    let jumps = flags::HAS_EXIT | flags::HAS_DEOPT | flags::HAS_ERROR;
    // The code object each uop runs in: Some(index) known, None unknown.
    let mut frame: Vec<Option<usize>> = vec![None; n];
    // Stub uops: index → code object of the uops that jump to them (None if they disagree).
    let mut stub: Vec<Option<Option<usize>>> = vec![None; n];
    let mut depth: Option<usize> = Some(0);
    for (i, u) in ex.uops.iter().enumerate() {
        if let Some(code_here) = stub[i] {
            frame[i] = code_here;
            continue;
        }
        let here = match depth {
            Some(0) => Some(ex.code_index as usize),
            _ => None,
        };
        frame[i] = here;
        match uop_flags(&u.name) {
            Some(f) if f & jumps != 0 => {
                let t = u.target as u64;
                for j in [t & 0xffff, (t >> 16) & 0xffff] {
                    let j = j as usize;
                    if j > i && j < n {
                        stub[j] = Some(match stub[j] {
                            None => here,
                            Some(prev) if prev == here => here,
                            Some(_) => None,
                        });
                    }
                }
            }
            Some(_) => {}
            None => frame[i] = None,
        }
        if PUSHES_FRAME.contains(&u.name.as_str()) {
            depth = depth.map(|d| d + 1);
        } else if POPS_FRAME.contains(&u.name.as_str()) {
            depth = match depth {
                Some(d) if d > 0 => Some(d - 1),
                _ => None,
            };
        }
    }
    for (i, u) in ex.uops.iter().enumerate() {
        if NO_TARGET.contains(&u.name.as_str()) || u.target < 0 {
            continue;
        }
        let is_stub = stub[i].is_some();
        let has_jump_flags = uop_flags(&u.name).is_some_and(|f| f & jumps != 0);
        if has_jump_flags && !is_stub {
            continue;
        }
        let Some(ci) = frame[i] else { continue };
        let Some(c) = codes.get(ci) else { continue };
        let offset = u.target as u64 * 2;
        if let Some(ii) = c
            .instructions
            .iter()
            .position(|ins| ins.offset as u64 == offset)
        {
            out[i] = Some(TargetInstr {
                code: ci,
                instr: ii,
                span: instr_span(src, &c.instructions[ii]),
            });
        }
    }
    out
}

/// The instruction a uop the engine annotated comes from (its `origin`), or for a stub the
/// instruction its target names.
pub fn uop_instr(
    u: &cpyviz_model::uops::Uop,
    codes: &[&CodeObject],
    src: &Source,
    version: PyVersion,
) -> Option<TargetInstr> {
    let ci = u.code_index? as usize;
    let c = codes.get(ci)?;
    let offset = match u.origin {
        Some(o) => o,
        None if NO_TARGET.contains(&u.name.as_str()) || u.target < 0 => return None,
        None => {
            let tables = for_version(version);
            let f = tables.uop_by_name(&u.name).map_or(0, |x| x.flags);
            if f & (flags::HAS_EXIT | flags::HAS_DEOPT | flags::HAS_ERROR) != 0 {
                return None;
            }
            u.target as u32 * 2
        }
    };
    let ii = c.instructions.iter().position(|i| i.offset == offset)?;
    Some(TargetInstr {
        code: ci,
        instr: ii,
        span: instr_span(src, &c.instructions[ii]),
    })
}

/// What the optimizer made of each uop of `ex.unoptimized` (the engine keeps each final uop's
/// index in it).
pub fn fates(ex: &Executor) -> Vec<Fate> {
    let mut out = vec![Fate::Removed; ex.unoptimized.len()];
    for (k, u) in ex.uops.iter().enumerate() {
        let Some(src) = u.unoptimized_index else {
            continue;
        };
        if let Some(slot) = out.get_mut(src as usize) {
            let same = ex
                .unoptimized
                .get(src as usize)
                .is_some_and(|o| o.name == u.name);
            *slot = if same {
                Fate::Kept(k)
            } else {
                Fate::Replaced(k)
            };
        }
    }
    out
}

/// The executor attached at `offset` of code object `code` (its `ENTER_EXECUTOR`), if any.
pub fn executor_at(cap: &Capture, code: usize, offset: u32) -> Option<usize> {
    executors(cap)?
        .iter()
        .position(|e| e.code_index as usize == code && e.offset == offset)
}

/// The span of the instruction executor `ex` is attached to, when it is known.
fn attach_span(ex: &Executor, code: Option<&CodeObject>, src: &Source) -> Option<Span> {
    let c = *code?.walk().get(ex.code_index as usize)?;
    let i = c.instructions.iter().find(|i| i.offset == ex.offset)?;
    instr_span(src, i)
}

impl LaterRows {
    /// Rebuilds every stage's rows from `cap` (selections are clamped).
    pub fn rebuild(&mut self, cap: &Capture) {
        let src = &cap.source;
        let caches = self.show_caches;
        self.bytecode = code_of(cap, Stage::Bytecode)
            .map(|c| code_rows(c, src, &self.folded[0], caches))
            .unwrap_or_default();
        self.specialized = code_of(cap, Stage::Specialized)
            .map(|c| code_rows(c, src, &self.folded[1], caches))
            .unwrap_or_default();
        self.gutters = [
            code_of(cap, Stage::Bytecode)
                .map(|c| jump_gutter(c, &self.bytecode))
                .unwrap_or_default(),
            code_of(cap, Stage::Specialized)
                .map(|c| jump_gutter(c, &self.specialized))
                .unwrap_or_default(),
        ];
        let code = code_of(cap, Stage::Specialized).or(code_of(cap, Stage::Bytecode));
        self.uops.clear();
        self.machine.clear();
        for (e, ex) in executors(cap).unwrap_or(&[]).iter().enumerate() {
            let span = attach_span(ex, code, src);
            self.uops.push(UopRow::Header { exec: e, span });
            let targets = uop_targets(ex, code, src, cap.version);
            let uop_spans: Vec<Option<Span>> =
                targets.iter().map(|t| t.and_then(|t| t.span)).collect();
            if self.show_unoptimized && !ex.unoptimized.is_empty() {
                let codes = code.map(|c| c.walk()).unwrap_or_default();
                for (u, fate) in fates(ex).into_iter().enumerate() {
                    let target = uop_instr(&ex.unoptimized[u], &codes, src, cap.version);
                    self.uops.push(UopRow::Unopt {
                        exec: e,
                        uop: u,
                        fate,
                        target,
                    });
                }
            } else {
                for (u, target) in targets.into_iter().enumerate() {
                    self.uops.push(UopRow::Uop {
                        exec: e,
                        uop: u,
                        target,
                    });
                }
            }
            self.machine.push(MachineRow::Header { exec: e, span });
            let listing = cap.later.machine_code.as_ref().and_then(|l| l.get(e));
            match (&ex.jit_code, listing) {
                (Some(_), Some(listing)) => {
                    let mut section = None;
                    for line in listing.lines.iter().cloned() {
                        if section != Some(line.section) {
                            section = Some(line.section);
                            if let Some(text) = listing.label(line.section) {
                                self.machine.push(MachineRow::Note { exec: e, text });
                            }
                        }
                        let span = line.uop.and_then(|u| uop_spans.get(u).copied().flatten());
                        self.machine.push(MachineRow::Asm {
                            exec: e,
                            line,
                            span,
                        });
                    }
                }
                (Some(_), None) => self.machine.push(MachineRow::Note {
                    exec: e,
                    text: "machine code recorded but not disassembled by the engine".into(),
                }),
                (None, _) => self.machine.push(MachineRow::Note {
                    exec: e,
                    text: format!(
                        "no machine code ({})",
                        ex.jit_note.as_deref().unwrap_or("none recorded")
                    ),
                }),
            }
        }
        for s in [
            Stage::Bytecode,
            Stage::Specialized,
            Stage::Uops,
            Stage::MachineCode,
        ] {
            let n = self.len(s);
            if let Some(k) = slot(s) {
                self.sel[k] = self.sel[k].min(n.saturating_sub(1));
            }
        }
    }

    pub fn len(&self, stage: Stage) -> usize {
        match stage {
            Stage::Bytecode => self.bytecode.len(),
            Stage::Specialized => self.specialized.len(),
            Stage::Uops => self.uops.len(),
            Stage::MachineCode => self.machine.len(),
            _ => 0,
        }
    }

    /// The jump-arrow gutter of row `row` of the bytecode or specialized pane.
    pub fn gutter(&self, stage: Stage, row: usize) -> &str {
        let k = match stage {
            Stage::Bytecode => 0,
            Stage::Specialized => 1,
            _ => return "",
        };
        self.gutters[k].get(row).map_or("", |s| s.as_str())
    }

    /// The rows of the bytecode or specialized pane.
    pub fn code_rows(&self, stage: Stage) -> &[CodeRow] {
        match stage {
            Stage::Specialized => &self.specialized,
            Stage::Bytecode => &self.bytecode,
            _ => &[],
        }
    }

    pub fn selected(&self, stage: Stage) -> usize {
        slot(stage).map_or(0, |k| self.sel[k])
    }

    /// Selects `row` (clamped); false for stages without rows here.
    pub fn select(&mut self, stage: Stage, row: usize) -> bool {
        let n = self.len(stage);
        match slot(stage) {
            Some(k) if n > 0 => {
                self.sel[k] = row.min(n - 1);
                true
            }
            _ => false,
        }
    }

    /// The source span of row `row` of `stage`.
    pub fn span_of(&self, stage: Stage, row: usize) -> Option<Span> {
        match stage {
            Stage::Bytecode | Stage::Specialized => match self.code_rows(stage).get(row)? {
                CodeRow::Instr { span, .. } | CodeRow::Cache { span, .. } => *span,
                CodeRow::Header { .. } => None,
            },
            Stage::Uops => match self.uops.get(row)? {
                UopRow::Header { span, .. } => *span,
                UopRow::Uop { target, .. } | UopRow::Unopt { target, .. } => {
                    target.and_then(|t| t.span)
                }
            },
            Stage::MachineCode => match self.machine.get(row)? {
                MachineRow::Header { span, .. } | MachineRow::Asm { span, .. } => *span,
                MachineRow::Note { .. } => None,
            },
            _ => None,
        }
    }

    /// The source span of the selected row.
    pub fn selected_span(&self, stage: Stage) -> Option<Span> {
        self.span_of(stage, self.selected(stage))
    }

    /// Selects the row whose span is the narrowest around `cursor` (keeping the current row
    /// when it is one of the narrowest). Machine code rows have no source: nothing changes.
    pub fn select_at(&mut self, stage: Stage, cursor: usize) {
        if stage == Stage::MachineCode {
            return;
        }
        let n = self.len(stage);
        let best = (0..n)
            .filter_map(|r| {
                let s = self.span_of(stage, r)?;
                s.contains(cursor).then_some((r, s.len()))
            })
            .min_by_key(|&(_, len)| len);
        let Some((first, len)) = best else {
            return;
        };
        let cur = self.selected(stage);
        let keep = self
            .span_of(stage, cur)
            .is_some_and(|s| s.contains(cursor) && s.len() == len);
        if !keep {
            self.select(stage, first);
        }
    }

    /// Folds (`Some(true)`), unfolds (`Some(false)`) or toggles (`None`) the code object of the
    /// selected row (its header row). Returns true when something changed (rows need a rebuild).
    pub fn fold(&mut self, stage: Stage, fold: Option<bool>) -> bool {
        let k = match stage {
            Stage::Bytecode => 0,
            Stage::Specialized => 1,
            _ => return false,
        };
        let sel = self.selected(stage);
        let Some(row) = self.code_rows(stage).get(sel) else {
            return false;
        };
        let code = row.code();
        let now = self.folded[k].contains(&code);
        let want = fold.unwrap_or(!now);
        if want == now {
            return false;
        }
        if want {
            self.folded[k].insert(code);
        } else {
            self.folded[k].remove(&code);
        }
        // Keep the selection on the (now folded or unfolded) header.
        let header = self
            .code_rows(stage)
            .iter()
            .position(|r| matches!(r, CodeRow::Header { code: c, .. } if *c == code));
        if let Some(h) = header {
            self.sel[k] = h;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpyviz_model::uops::Uop;

    #[test]
    fn positions_outside_the_source_give_no_span() {
        let src = Source::from_text("t.py", "x = 1\n");
        let p = |l, el, c, ec| Positions {
            lineno: Some(l),
            end_lineno: Some(el),
            col_offset: Some(c),
            end_col_offset: Some(ec),
        };
        assert_eq!(positions_span(&src, &p(1, 1, 0, 1)), Some(Span::new(0, 1)));
        assert_eq!(positions_span(&src, &p(1, 1, 4, 99)), Some(Span::new(4, 5)));
        assert_eq!(positions_span(&src, &p(0, 1, 0, 1)), None);
        assert_eq!(positions_span(&src, &p(1, 7, 0, 1)), None);
        assert_eq!(positions_span(&src, &Positions::default()), None);
    }

    #[test]
    fn jump_gutter_draws_forward_and_backward_jumps() {
        let ins = |offset: u32, target: Option<u32>| Instruction {
            offset,
            jump_target: target,
            ..Default::default()
        };
        // 0: jump forward to 6; 2; 4: jump back to 2; 6.
        let code = CodeObject {
            instructions: vec![ins(0, Some(6)), ins(2, None), ins(4, Some(2)), ins(6, None)],
            ..Default::default()
        };
        let rows = code_rows(
            &code,
            &Source::from_text("t.py", ""),
            &HashSet::new(),
            false,
        );
        let g = jump_gutter(&code, &rows);
        assert_eq!(g.len(), 5);
        assert_eq!(g[0], "    ", "the header row has no arrows");
        // The shorter backward jump (rows 2..3) takes the inner lane, the forward one the next.
        assert_eq!(g[1], " ╭──");
        assert_eq!(g[2], " │╭►");
        assert_eq!(g[3], " │╰─");
        assert_eq!(g[4], " ╰─►");
    }

    #[test]
    fn uop_targets_never_guess() {
        let src = Source::from_text("t.py", "x = 1\n");
        let ex = Executor {
            uops: vec![
                Uop {
                    name: "_NOT_A_UOP".into(),
                    target: 0,
                    ..Default::default()
                },
                Uop {
                    name: "_START_EXECUTOR".into(),
                    target: 0,
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let code = CodeObject {
            instructions: vec![Instruction::default()],
            ..Default::default()
        };
        let t = uop_targets(&ex, Some(&code), &src, PyVersion::V3_15);
        assert_eq!(t, vec![None, None]);
        assert_eq!(
            uop_targets(&Executor::default(), None, &src, PyVersion::V3_14),
            vec![]
        );
    }
}

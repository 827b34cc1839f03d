//! The JIT stages' state: the options the capture is asked with, the [`JitView`] it returned
//! (computed by the engine, on another thread, the first time a set of options is asked for),
//! and the presentation-only rows of the machine-code pane (stage 6) and of the trampoline
//! explainer (stage 7), with their selections, the hole being stepped through and the places a
//! follow started from. Nothing here computes a stage: every figure is the engine's; this module
//! only lays the view out in rows and finds where a destination is among them.

use super::stages::{executors, uop_targets, MachineRow};
use cpyviz_model::capture::{Capture, Stage};
use cpyviz_model::jit::{
    jit_facts, AsmText, Destination, ExecutorJit, HoleSpecial, JitOptions, JitView, MemoryChoice,
    PatchFn, PatchedHole, PlacedGroup, Region, SlotSteps, StencilChoice, Target, Via,
};
use cpyviz_model::source::Span;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::mpsc::Receiver;
use std::sync::Arc;

/// A part of an executor's machine-code rows after its uops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    Trampolines,
    Got,
    Check,
    /// The machine code the real CPython made, as recorded.
    Real,
}

/// One row of the machine-code pane.
#[derive(Clone, Debug, PartialEq)]
pub enum JitRow {
    /// Why there is nothing (or less) to show, or that the stages are being computed.
    Note {
        text: String,
        computing: bool,
    },
    Executor {
        exec: usize,
    },
    /// The model region's layout, or why there is none.
    Region {
        exec: usize,
    },
    /// A placed group's header: `group` counts the shim, the uops, then `_FATAL_ERROR`.
    Group {
        exec: usize,
        group: usize,
    },
    Hole {
        exec: usize,
        group: usize,
        hole: usize,
    },
    /// Line `line` of the group's disassembly (after patching or before, as `patched` was).
    Asm {
        exec: usize,
        group: usize,
        line: usize,
    },
    Section {
        exec: usize,
        section: Section,
    },
    /// A line of text in a section (why there are no trampolines, …).
    Text {
        exec: usize,
        text: String,
    },
    /// Line `line` of the trampoline slots' disassembly.
    Trampoline {
        exec: usize,
        line: usize,
    },
    Got {
        exec: usize,
        slot: usize,
    },
    Finding {
        exec: usize,
        index: usize,
    },
    ByteMatch {
        exec: usize,
    },
    /// A row of the recorded machine code's listing.
    Real(MachineRow),
}

/// One row of the trampoline explainer.
#[derive(Clone, Debug, PartialEq)]
pub enum TrampRow {
    Note {
        text: String,
        computing: bool,
    },
    /// The worked example (`w`): its title, its mask word, its steps, where the symbol lands.
    ExampleTitle,
    /// One word of the worked example's mask (every word up to the symbol's).
    ExampleMask {
        word: usize,
    },
    ExampleStep {
        text: String,
    },
    ExampleResult,
    Executor {
        exec: usize,
    },
    /// Why an executor has no model region.
    Text {
        exec: usize,
        text: String,
    },
    /// TRAMPOLINE_SIZE, the direct reach, where the slots are.
    Facts {
        exec: usize,
    },
    MaskTitle {
        exec: usize,
    },
    Mask {
        exec: usize,
        word: usize,
    },
    /// Why the region needs no trampolines, and what would need them.
    Why {
        exec: usize,
        text: String,
    },
    Offer {
        exec: usize,
        text: String,
    },
    SymbolsTitle {
        exec: usize,
    },
    Symbol {
        exec: usize,
        ordinal: u32,
    },
    /// `get_trampoline_slot(ordinal)`, step by step, for the selected symbol.
    StepsTitle {
        exec: usize,
        ordinal: u32,
    },
    Step {
        exec: usize,
        ordinal: u32,
        text: String,
    },
    /// The range check of one call site (`group`, `hole`) of the selected symbol.
    Range {
        exec: usize,
        group: usize,
        hole: usize,
    },
    /// The selected symbol's slot (index into `Region::trampolines`) and its decoded bytes.
    SlotTitle {
        exec: usize,
        slot: usize,
    },
    SlotAsm {
        exec: usize,
        line: usize,
    },
    /// A call site of the selected symbol, before or after it is patched.
    CallSite {
        exec: usize,
        group: usize,
        hole: usize,
        after: bool,
    },
}

/// A hole of a placed group: executor, group (shim, uops, `_FATAL_ERROR`), hole index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HoleRef {
    pub exec: usize,
    pub group: usize,
    pub hole: usize,
}

/// A place in the JIT panes to go back to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Place {
    pub stage: Stage,
    pub row: usize,
    pub hole: Option<HoleRef>,
}

/// What a follow does.
#[derive(Clone, Debug, PartialEq)]
pub enum Follow {
    /// Move the selection to this row of this stage.
    Row(Stage, usize),
    /// Nothing to move to; say this in the Explain pane.
    Info(String),
    /// Nothing to follow here (a status line says why).
    Nothing(String),
}

struct Job {
    capture: usize,
    options: JitOptions,
    result: Receiver<Option<Arc<JitView>>>,
}

/// The JIT stages' state in the viewer.
pub struct JitState {
    /// The options the capture is asked with (`s`, `m`, `t` change them).
    pub options: JitOptions,
    /// The stages under `options` for capture `of.0` (`None`: not computed yet, or the
    /// engine builds none).
    view: Option<Arc<JitView>>,
    of: Option<(usize, JitOptions)>,
    /// The capture's engine builds the JIT stages.
    has_builder: bool,
    job: Option<Job>,
    /// Machine code: the bytes after patching (else the stencils before).
    pub patched: bool,
    /// Trampolines: the worked example is shown.
    pub example: bool,
    /// The hole being stepped through (`n` / `N`).
    pub hole: Option<HoleRef>,
    /// Where each follow started, the latest last.
    pub back: Vec<Place>,
    /// What the last follow that did not move found (a symbol's address, the executor).
    pub followed: Option<String>,
    /// The selected symbol (ordinal) of each executor's explainer.
    symbol: HashMap<usize, u32>,
    /// The target the capture was recorded on (the view's, when no target was asked for).
    recorded_target: Option<Target>,
    pub machine: Vec<JitRow>,
    pub tramp: Vec<TrampRow>,
    sel: [usize; 2],
    /// The rows selected when the view went away (options changed): selected again when the
    /// new view's rows are there.
    anchor: Option<(Option<JitRow>, Option<TrampRow>)>,
    /// Per executor, per uop: the source of the instruction the uop targets (when known).
    spans: Vec<Vec<Option<Span>>>,
}

impl Default for JitState {
    fn default() -> Self {
        JitState {
            options: JitOptions::default(),
            view: None,
            of: None,
            has_builder: false,
            job: None,
            patched: true,
            example: false,
            hole: None,
            back: Vec::new(),
            followed: None,
            symbol: HashMap::new(),
            recorded_target: None,
            machine: Vec::new(),
            tramp: Vec::new(),
            sel: [0; 2],
            anchor: None,
            spans: Vec::new(),
        }
    }
}

/// Whether a stage is one of the JIT's.
pub fn is_jit(stage: Stage) -> bool {
    matches!(stage, Stage::MachineCode | Stage::Trampolines)
}

fn slot(stage: Stage) -> usize {
    match stage {
        Stage::Trampolines => 1,
        _ => 0,
    }
}

/// Every placed group of a region in the order of `ExecutorJit::asm`: the shim, the uops,
/// `_FATAL_ERROR`.
pub fn groups(r: &Region) -> Vec<&PlacedGroup> {
    r.shim
        .iter()
        .chain(&r.uops)
        .chain(std::iter::once(&r.fatal_error))
        .collect()
}

/// The group index (in [`groups`] order) of trace uop `uop`.
pub fn group_of_uop(r: &Region, uop: usize) -> usize {
    uop + usize::from(r.shim.is_some())
}

/// The disassembly of group `group`, after patching or before.
pub fn asm_lines(ex: &ExecutorJit, group: usize, patched: bool) -> &[AsmText] {
    match ex.asm.get(group) {
        Some(a) if patched => &a.after,
        Some(a) => &a.before,
        None => &[],
    }
}

/// The region bytes a hole patches: its own field (8 bytes for `patch_64`, 4 for the others,
/// both instructions of an AArch64 pair) and whatever else the patch rewrote.
pub fn hole_bytes(g: &PlacedGroup, h: &PatchedHole) -> Vec<Range<usize>> {
    let width = match h.hole.func {
        PatchFn::P64 => 8,
        PatchFn::GotSymbol => 0,
        _ => 4,
    };
    let mut out = Vec::with_capacity(3);
    out.push(h.at..h.at + width);
    if let (PatchFn::Aarch64_33rx, Some(o2), false) = (h.hole.func, h.hole.offset2, h.in_data) {
        let first = g.code.start + o2;
        out.push(first..first + 4);
    }
    if !h.span.is_empty() {
        out.push(h.span.clone());
    }
    out
}

/// The holes a disassembled line shows: those of `AsmText::holes` whose patched bytes
/// ([`hole_bytes`]) meet the line's own bytes.
pub fn line_holes(g: &PlacedGroup, a: &AsmText) -> Vec<usize> {
    let line = a.offset..a.offset + a.len.max(1);
    a.holes
        .iter()
        .copied()
        .filter(|&i| {
            g.holes.get(i).is_some_and(|h| {
                hole_bytes(g, h)
                    .iter()
                    .any(|r| r.start < line.end && line.start < r.end)
            })
        })
        .collect()
}

/// Where a disassembled line leads: `AsmText::destination`, unless it is the destination of
/// a hole the line only seems to touch (see [`line_holes`]).
pub fn line_destination(g: Option<&PlacedGroup>, a: &AsmText) -> Option<Destination> {
    let d = a.destination.clone()?;
    let Some(g) = g else { return Some(d) };
    let real = line_holes(g, a);
    let from = |i: &usize| g.holes.get(*i).is_some_and(|h| h.destination == d);
    let borrowed = a.holes.iter().any(|i| !real.contains(i) && from(i));
    (!borrowed || real.iter().any(from)).then_some(d)
}

/// Where Enter on a disassembled line goes: where the line leads, else where its first hole
/// that holds an address leads.
pub fn line_target(g: &PlacedGroup, a: &AsmText) -> Option<Destination> {
    line_destination(Some(g), a)
        .filter(|d| *d != Destination::Value)
        .or_else(|| {
            line_holes(g, a)
                .into_iter()
                .filter_map(|i| g.holes.get(i))
                .map(|h| h.destination.clone())
                .find(|d| *d != Destination::Value)
        })
}

/// Where a destination is, in words ([`Region::describe`]).
pub fn destination_text(r: &Region, d: &Destination) -> String {
    r.describe(d)
}

/// A symbol's address in the region's memory model.
pub fn symbol_address(r: &Region, name: &str) -> u64 {
    let ordinal = r.symbols.iter().position(|s| s == name).map(|o| o as u32);
    r.memory.symbol_address(name, ordinal)
}

pub use cpyviz_model::jit::human_bytes as human;

/// A signed distance, `+40.0 GiB` / `-12 B`.
pub fn signed_human(d: i128) -> String {
    format!(
        "{}{}",
        if d < 0 { "-" } else { "+" },
        human(d.unsigned_abs())
    )
}

pub use cpyviz_model::jit::reach_text;

/// The holes that call `ordinal` through `patch_*_trampoline`: (group, hole).
pub fn call_sites(r: &Region, ordinal: u32) -> Vec<(usize, usize)> {
    groups(r)
        .iter()
        .enumerate()
        .flat_map(|(gi, g)| {
            g.holes
                .iter()
                .enumerate()
                .filter(move |(_, h)| h.hole.special == Some(HoleSpecial::Trampoline { ordinal }))
                .map(move |(hi, _)| (gi, hi))
        })
        .collect()
}

/// `get_trampoline_slot` step by step, one line each.
pub fn steps_lines(s: &SlotSteps) -> Vec<String> {
    let mut out = vec![
        format!("word = ordinal / 32 = {} / 32 = {}", s.ordinal, s.word),
        format!("bit = ordinal % 32 = {} % 32 = {}", s.ordinal, s.bit),
        format!(
            "symbol_mask = 1 << bit = 1 << {} = {:#010x}",
            s.bit, s.symbol_mask
        ),
        format!("mask[{}] = {:#010x}", s.word, s.mask_word),
    ];
    if !s.present {
        out.push(format!(
            "mask[{}] & symbol_mask = 0: ordinal {} has no slot (jit.c asserts it never asks)",
            s.word, s.ordinal
        ));
    }
    out.push(format!(
        "mask[{}] & (symbol_mask - 1) = {:#010x} & {:#010x} = {:#010x}",
        s.word,
        s.mask_word,
        s.symbol_mask.wrapping_sub(1),
        s.below
    ));
    out.push(format!(
        "popcount({:#010x}) = {}: the set bits below the symbol's",
        s.below, s.below_count
    ));
    if s.earlier_counts.is_empty() {
        out.push("no earlier words to count (the symbol is in mask[0])".into());
    } else {
        let counts: Vec<String> = s
            .earlier_counts
            .iter()
            .enumerate()
            .map(|(i, c)| format!("popcount(mask[{i}]) = {c}"))
            .collect();
        out.push(format!("earlier words: {}", counts.join(", ")));
    }
    if s.earlier_counts.is_empty() {
        out.push(format!("index = {}", s.index));
    } else {
        let mut terms = vec![s.below_count.to_string()];
        terms.extend(s.earlier_counts.iter().map(u32::to_string));
        out.push(format!("index = {} = {}", terms.join(" + "), s.index));
    }
    out.push("slot = mem + index * TRAMPOLINE_SIZE".into());
    out.push(format!(
        "     = {:#x} + {} * {} = {:#x}",
        s.mem, s.index, s.slot_size, s.address
    ));
    out
}

/// Which keys would show trampolines in use, when a region has none.
pub fn trampolines_offer(r: &Region) -> Option<String> {
    let facts = jit_facts(r.version, r.target);
    if facts.trampoline_size == 0 {
        let x86_darwin = jit_facts(r.version, Target::X86_64Darwin).trampoline_size > 0;
        return Some(format!(
            "Press t for aarch64-apple-darwin (or aarch64-unknown-linux-gnu{}: targets with trampolines), then m for the far memory model.",
            if x86_darwin {
                ", x86_64-apple-darwin"
            } else {
                ""
            }
        ));
    }
    if r.trampoline_mask.is_empty() {
        return None;
    }
    let through_a_slot = groups(r).iter().flat_map(|g| &g.holes).any(|h| {
        matches!(h.hole.special, Some(HoleSpecial::Trampoline { .. })) && h.via == Via::Trampoline
    });
    (!through_a_slot).then(|| {
        "Press m for the far memory model: there the symbols lie out of direct reach.".into()
    })
}

/// Rows are one line each: long explanations are cut into lines of at most this many
/// characters (a JIT pane is about 80 columns wide in a 120-column terminal).
pub const TEXT_WIDTH: usize = 74;

/// `text` in lines of at most `width` characters, cut between words.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

/// The short name of a memory choice (`recorded`, `near`, `far`).
pub fn memory_key(choice: &MemoryChoice) -> &str {
    match choice {
        MemoryChoice::Recorded => "recorded",
        MemoryChoice::Preset(p) => p,
    }
}

impl JitState {
    /// The stages the panes show (`None`: not computed yet, or not built).
    pub fn view(&self) -> Option<&JitView> {
        self.view.as_deref()
    }

    /// Whether the capture's engine builds the JIT stages.
    pub fn has_builder(&self) -> bool {
        self.has_builder
    }

    /// Whether the stages are being computed.
    pub fn computing(&self) -> bool {
        self.job.is_some()
    }

    /// Makes sure the view for capture `current` and the options is there or being computed.
    /// Returns whether the view changed (the rows need a rebuild).
    pub fn request(&mut self, caps: &[Capture], current: usize) -> bool {
        let cap = &caps[current];
        self.has_builder = cap.later.jit.has_builder();
        let key = (current, self.options.clone());
        if self.of.as_ref() == Some(&key) && self.view.is_some() {
            return false;
        }
        if !self.has_builder {
            let changed = self.view.is_some() || self.of.is_some();
            self.view = None;
            self.of = None;
            self.job = None;
            return changed;
        }
        if let Some(v) = cap.later.jit.peek(&self.options) {
            self.set_view(key, v);
            self.job = None;
            return true;
        }
        let changed = self.view.is_some();
        self.view = None;
        self.of = Some(key.clone());
        let pending = self
            .job
            .as_ref()
            .is_some_and(|j| j.capture == key.0 && j.options == key.1);
        if !pending {
            let (send, result) = std::sync::mpsc::channel();
            let (job_cap, options) = (cap.clone(), self.options.clone());
            let work = move || {
                let _ = send.send(job_cap.jit(&options));
            };
            match std::thread::Builder::new()
                .name("cpyviz-jit".into())
                .spawn(work)
            {
                Ok(_) => {
                    self.job = Some(Job {
                        capture: key.0,
                        options: key.1,
                        result,
                    })
                }
                // No thread: compute here (the view is still the engine's).
                Err(_) => {
                    if let Some(v) = cap.jit(&self.options) {
                        self.set_view(key, v);
                    }
                    return true;
                }
            }
        }
        changed
    }

    fn set_view(&mut self, key: (usize, JitOptions), v: Arc<JitView>) {
        if key.1.target.is_none() {
            self.recorded_target = Some(v.target);
        }
        self.view = Some(v);
        self.of = Some(key);
    }

    /// Takes in the computed view if it is done (with `wait`, when it is). Returns whether it
    /// arrived.
    pub fn poll(&mut self, wait: bool) -> bool {
        let Some(job) = &self.job else {
            return false;
        };
        let got = if wait {
            job.result.recv().ok()
        } else {
            match job.result.try_recv() {
                Ok(v) => Some(v),
                Err(std::sync::mpsc::TryRecvError::Empty) => return false,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => None,
            }
        };
        let job = self.job.take();
        match (got.flatten(), job) {
            (Some(v), Some(job))
                if self.of.as_ref() == Some(&(job.capture, job.options.clone())) =>
            {
                self.set_view((job.capture, job.options), v);
                true
            }
            _ => true,
        }
    }

    // ----- rows ---------------------------------------------------------------------------

    /// Rebuilds both panes' rows from the view and the capture's recorded listing
    /// (`real`: the machine-code rows of [`super::stages::LaterRows`]), keeping the
    /// selections where they were.
    pub fn rebuild(&mut self, cap: &Capture, real: &[MachineRow]) {
        let mut keep_machine = self.machine.get(self.sel[0]).cloned();
        let mut keep_tramp = self.tramp.get(self.sel[1]).cloned();
        if self.view.is_none() {
            // Computing: remember where the selection was for when the view is there.
            if self.anchor.is_none() && self.of.is_some() {
                self.anchor = Some((keep_machine.clone(), keep_tramp.clone()));
            }
        } else if let Some((m, t)) = self.anchor.take() {
            keep_machine = m.or(keep_machine);
            keep_tramp = t.or(keep_tramp);
        }
        self.spans = self.uop_spans(cap);
        self.machine = self.machine_rows(cap, real);
        self.tramp = self.tramp_rows();
        if let Some(row) = keep_machine {
            self.sel[0] = self.find_machine(&row).unwrap_or(self.sel[0]);
        }
        if let Some(row) = keep_tramp {
            self.sel[1] = self
                .tramp
                .iter()
                .position(|r| *r == row)
                .unwrap_or(self.sel[1]);
        }
        self.sel[0] = self.sel[0].min(self.machine.len().saturating_sub(1));
        self.sel[1] = self.sel[1].min(self.tramp.len().saturating_sub(1));
    }

    fn uop_spans(&self, cap: &Capture) -> Vec<Vec<Option<Span>>> {
        let code = super::stages::code_of(cap, Stage::Specialized)
            .or(super::stages::code_of(cap, Stage::Bytecode));
        executors(cap)
            .unwrap_or(&[])
            .iter()
            .map(|ex| {
                uop_targets(ex, code, &cap.source, cap.version)
                    .into_iter()
                    .map(|t| t.and_then(|t| t.span))
                    .collect()
            })
            .collect()
    }

    fn note_row(&self) -> Option<(String, bool)> {
        match &self.view {
            _ if !self.has_builder => None,
            None => Some((
                "Compiling the traces with cpyviz's copy-and-patch model…".into(),
                true,
            )),
            Some(v) => v.note.clone().map(|n| (n, false)),
        }
    }

    /// The row of `row`'s place in the current rows: the same row, else the disassembly line
    /// at the same offset of the same group, else the group's header.
    fn find_machine(&self, row: &JitRow) -> Option<usize> {
        if let Some(i) = self.machine.iter().position(|r| r == row) {
            return Some(i);
        }
        let JitRow::Asm { exec, group, line } = row else {
            return None;
        };
        let view = self.view.as_ref()?;
        let ex = view.executors.get(*exec)?;
        // The offset the row was at, in the other listing.
        let old = asm_lines(ex, *group, !self.patched).get(*line)?;
        let new = asm_lines(ex, *group, self.patched);
        let at = new
            .iter()
            .position(|a| a.offset <= old.offset && old.offset < a.offset + a.len.max(1))?;
        self.machine.iter().position(|r| {
            *r == JitRow::Asm {
                exec: *exec,
                group: *group,
                line: at,
            }
        })
    }

    fn machine_rows(&self, cap: &Capture, real: &[MachineRow]) -> Vec<JitRow> {
        let mut rows = Vec::new();
        if let Some((text, computing)) = self.note_row() {
            rows.push(JitRow::Note { text, computing });
        }
        let recorded = executors(cap).map_or(0, |e| e.len());
        let modelled = self.view.as_ref().map_or(0, |v| v.executors.len());
        for exec in 0..recorded.max(modelled) {
            rows.push(JitRow::Executor { exec });
            if let Some(ex) = self.view.as_ref().and_then(|v| v.executors.get(exec)) {
                rows.push(JitRow::Region { exec });
                if let Ok(r) = &ex.region {
                    self.model_rows(&mut rows, exec, ex, r);
                }
            }
            let recorded_rows: Vec<&MachineRow> = real
                .iter()
                .filter(|m| match m {
                    MachineRow::Header { .. } => false,
                    MachineRow::Note { exec: e, .. } | MachineRow::Asm { exec: e, .. } => {
                        *e == exec
                    }
                })
                .collect();
            let jit_off = cap
                .later
                .interpreter
                .as_ref()
                .filter(|_| !cap.jit_enabled());
            if !recorded_rows.is_empty() || jit_off.is_some() {
                rows.push(JitRow::Section {
                    exec,
                    section: Section::Real,
                });
            }
            if let Some(i) = jit_off {
                let why = i.jit_note.as_deref().unwrap_or(match i.jit_available {
                    Some(false) => "this build has no JIT",
                    _ => "JIT off",
                });
                let text = format!(
                    "Not recorded: {} ran without the JIT ({why}), so no real machine code exists; the rows above are cpyviz's model only.",
                    cap.engine.label()
                );
                rows.extend(
                    wrap(&text, TEXT_WIDTH)
                        .into_iter()
                        .map(|text| JitRow::Text { exec, text }),
                );
            }
            // Each finding about a place in the real region stands again next to those bytes.
            let base = executors(cap)
                .and_then(|e| e.get(exec))
                .and_then(|e| e.jit_address);
            let findings: Vec<(usize, usize)> = self
                .view
                .as_ref()
                .and_then(|v| v.executors.get(exec))
                .and_then(|e| e.check.as_ref())
                .map(|c| {
                    c.findings
                        .iter()
                        .enumerate()
                        .filter_map(|(i, f)| Some((f.at?, i)))
                        .collect()
                })
                .unwrap_or_default();
            for m in recorded_rows.into_iter().cloned() {
                if let (MachineRow::Asm { line, .. }, Some(base)) = (&m, base) {
                    let off = line.address.wrapping_sub(base) as usize;
                    for &(_, index) in findings.iter().filter(|(at, _)| *at == off) {
                        rows.push(JitRow::Finding { exec, index });
                    }
                }
                rows.push(JitRow::Real(m));
            }
        }
        rows
    }

    fn model_rows(&self, rows: &mut Vec<JitRow>, exec: usize, ex: &ExecutorJit, r: &Region) {
        for (group, g) in groups(r).iter().enumerate() {
            rows.push(JitRow::Group { exec, group });
            rows.extend((0..g.holes.len()).map(|hole| JitRow::Hole { exec, group, hole }));
            let n = asm_lines(ex, group, self.patched).len();
            rows.extend((0..n).map(|line| JitRow::Asm { exec, group, line }));
        }
        rows.push(JitRow::Section {
            exec,
            section: Section::Trampolines,
        });
        if r.trampolines.is_empty() {
            let text = format!("none: {}", r.no_trampolines_reason());
            rows.extend(
                wrap(&text, TEXT_WIDTH)
                    .into_iter()
                    .map(|text| JitRow::Text { exec, text }),
            );
        } else {
            rows.extend((0..ex.trampoline_asm.len()).map(|line| JitRow::Trampoline { exec, line }));
        }
        rows.push(JitRow::Section {
            exec,
            section: Section::Got,
        });
        if r.got.is_empty() {
            let facts = jit_facts(r.version, r.target);
            let text = if facts.trace_got {
                "empty: no stencil of this trace loads a symbol through the GOT".to_string()
            } else {
                format!(
                    "none in CPython {}: each stencil keeps its GOT words in its own data (its data holes)",
                    r.version.label()
                )
            };
            rows.extend(
                wrap(&text, TEXT_WIDTH)
                    .into_iter()
                    .map(|text| JitRow::Text { exec, text }),
            );
        } else {
            rows.extend((0..r.got.len()).map(|slot| JitRow::Got { exec, slot }));
        }
        rows.push(JitRow::Section {
            exec,
            section: Section::Check,
        });
        match &ex.check {
            Some(c) => {
                rows.extend((0..c.findings.len()).map(|index| JitRow::Finding { exec, index }));
                if c.byte_match.is_some() {
                    rows.push(JitRow::ByteMatch { exec });
                }
            }
            None => rows.extend(
                wrap(
                    "nothing to check: no real region was recorded for this executor on this target",
                    TEXT_WIDTH,
                )
                .into_iter()
                .map(|text| JitRow::Text { exec, text }),
            ),
        }
    }

    /// The selected symbol of executor `exec`'s explainer (the first of its mask by default).
    pub fn selected_symbol(&self, exec: usize) -> Option<u32> {
        let r = self.region(exec)?;
        let first = r.trampoline_mask.ordinals().next();
        match self.symbol.get(&exec) {
            Some(&o) if r.trampoline_mask.contains(o) => Some(o),
            _ => first,
        }
    }

    /// Executor `exec`'s model region.
    pub fn region(&self, exec: usize) -> Option<&Region> {
        self.executor(exec)?.region.as_ref().ok()
    }

    pub fn executor(&self, exec: usize) -> Option<&ExecutorJit> {
        self.view.as_ref()?.executors.get(exec)
    }

    fn tramp_rows(&self) -> Vec<TrampRow> {
        let mut rows = Vec::new();
        if let Some((text, computing)) = self.note_row() {
            rows.push(TrampRow::Note { text, computing });
        }
        let Some(view) = &self.view else {
            return rows;
        };
        if self.example {
            rows.push(TrampRow::ExampleTitle);
            let e = &view.example;
            let in_word: Vec<String> = (0..32u32)
                .filter(|b| e.mask_word & (1 << b) != 0)
                .map(|b| (e.word as u32 * 32 + b).to_string())
                .collect();
            let earlier: u32 = e.earlier_counts.iter().sum();
            let text = format!(
                "The mask holds {earlier} symbol(s) in the words before mask[{}] and ordinals {} in it.",
                e.word,
                in_word.join(", ")
            );
            rows.extend(
                wrap(&text, TEXT_WIDTH)
                    .into_iter()
                    .map(|text| TrampRow::ExampleStep { text }),
            );
            rows.extend((0..=view.example.word).map(|word| TrampRow::ExampleMask { word }));
            rows.extend(
                steps_lines(&view.example)
                    .into_iter()
                    .map(|text| TrampRow::ExampleStep { text }),
            );
            rows.push(TrampRow::ExampleResult);
        }
        for (exec, ex) in view.executors.iter().enumerate() {
            rows.push(TrampRow::Executor { exec });
            let r = match &ex.region {
                Ok(r) => r,
                Err(e) => {
                    rows.push(TrampRow::Text {
                        exec,
                        text: format!("no model region: {e}"),
                    });
                    continue;
                }
            };
            rows.push(TrampRow::Facts { exec });
            rows.push(TrampRow::MaskTitle { exec });
            let words = jit_facts(r.version, r.target)
                .symbol_mask_words
                .min(r.trampoline_mask.0.len());
            rows.extend((0..words).map(|word| TrampRow::Mask { exec, word }));
            if r.trampolines.is_empty() || r.trampoline_mask.is_empty() {
                let why = format!("No trampolines: {}", r.no_trampolines_reason());
                rows.extend(
                    wrap(&why, TEXT_WIDTH)
                        .into_iter()
                        .map(|text| TrampRow::Why { exec, text }),
                );
            }
            if let Some(offer) = trampolines_offer(r) {
                rows.extend(
                    wrap(&offer, TEXT_WIDTH)
                        .into_iter()
                        .map(|text| TrampRow::Offer { exec, text }),
                );
            }
            if r.trampoline_mask.is_empty() {
                continue;
            }
            rows.push(TrampRow::SymbolsTitle { exec });
            rows.extend(
                r.trampoline_mask
                    .ordinals()
                    .map(|ordinal| TrampRow::Symbol { exec, ordinal }),
            );
            let Some(ordinal) = self.selected_symbol(exec) else {
                continue;
            };
            rows.push(TrampRow::StepsTitle { exec, ordinal });
            if let Some(steps) = ex.slot_steps.iter().find(|s| s.ordinal == ordinal) {
                rows.extend(steps_lines(steps).into_iter().map(|text| TrampRow::Step {
                    exec,
                    ordinal,
                    text,
                }));
            }
            let sites = call_sites(r, ordinal);
            rows.extend(
                sites
                    .iter()
                    .map(|&(group, hole)| TrampRow::Range { exec, group, hole }),
            );
            if let Some(slot) = r.trampolines.iter().position(|t| t.ordinal == ordinal) {
                rows.push(TrampRow::SlotTitle { exec, slot });
                let size = jit_facts(r.version, r.target).trampoline_size.max(1);
                let start = r.layout.trampolines.start + r.trampolines[slot].index * size;
                rows.extend(
                    ex.trampoline_asm
                        .iter()
                        .enumerate()
                        .filter(|(_, a)| (start..start + size).contains(&a.offset))
                        .map(|(line, _)| TrampRow::SlotAsm { exec, line }),
                );
            }
            for &(group, hole) in &sites {
                for after in [false, true] {
                    rows.push(TrampRow::CallSite {
                        exec,
                        group,
                        hole,
                        after,
                    });
                }
            }
        }
        rows
    }

    // ----- selection ----------------------------------------------------------------------

    pub fn len(&self, stage: Stage) -> usize {
        match stage {
            Stage::Trampolines => self.tramp.len(),
            _ => self.machine.len(),
        }
    }

    pub fn selected(&self, stage: Stage) -> usize {
        self.sel[slot(stage)]
    }

    /// Selects `row` (clamped). On the explainer, a symbol row selects that symbol (its steps
    /// follow it); on the machine code, a hole row or a line with holes selects its hole.
    pub fn select(&mut self, stage: Stage, row: usize) -> bool {
        let n = self.len(stage);
        if n == 0 {
            return false;
        }
        let row = row.min(n - 1);
        self.sel[slot(stage)] = row;
        self.followed = None;
        match stage {
            Stage::Trampolines => {
                if let Some(TrampRow::Symbol { exec, ordinal }) = self.tramp.get(row).cloned() {
                    if self.selected_symbol(exec) != Some(ordinal) {
                        self.symbol.insert(exec, ordinal);
                        self.tramp = self.tramp_rows();
                    }
                }
            }
            _ => {
                let here = self.holes_at(row);
                if !here.is_empty() && !self.hole.is_some_and(|h| here.contains(&h)) {
                    self.hole = Some(here[0]);
                }
            }
        }
        true
    }

    /// The holes a machine-code row shows: a hole row's, or those a disassembly line touches.
    pub fn holes_at(&self, row: usize) -> Vec<HoleRef> {
        match self.machine.get(row) {
            Some(&JitRow::Hole { exec, group, hole }) => vec![HoleRef { exec, group, hole }],
            Some(&JitRow::Asm { exec, group, line }) => self
                .executor(exec)
                .and_then(|ex| {
                    let a = asm_lines(ex, group, self.patched).get(line)?;
                    let g = *groups(ex.region.as_ref().ok()?).get(group)?;
                    Some(
                        line_holes(g, a)
                            .into_iter()
                            .map(|hole| HoleRef { exec, group, hole })
                            .collect(),
                    )
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// The hole the Explain pane shows: the stepped one if the selected row shows it.
    pub fn hole_at_selection(&self) -> Option<HoleRef> {
        let here = self.holes_at(self.sel[0]);
        match self.hole {
            Some(h) if here.contains(&h) => Some(h),
            _ => here.first().copied(),
        }
    }

    pub fn patched_hole(&self, h: HoleRef) -> Option<(&Region, &PlacedGroup, &PatchedHole)> {
        let r = self.region(h.exec)?;
        let g = *groups(r).get(h.group)?;
        Some((r, g, g.holes.get(h.hole)?))
    }

    /// The source of a row of `stage` (the instruction its uop targets).
    pub fn span_of(&self, stage: Stage, row: usize) -> Option<Span> {
        let uop_span = |exec: usize, group: usize| -> Option<Span> {
            let r = self.region(exec)?;
            let uop = groups(r).get(group)?.index?;
            self.spans.get(exec)?.get(uop).copied().flatten()
        };
        match stage {
            Stage::Trampolines => match self.tramp.get(row)? {
                TrampRow::Range { exec, group, .. } | TrampRow::CallSite { exec, group, .. } => {
                    uop_span(*exec, *group)
                }
                _ => None,
            },
            _ => match self.machine.get(row)? {
                JitRow::Group { exec, group }
                | JitRow::Hole { exec, group, .. }
                | JitRow::Asm { exec, group, .. } => uop_span(*exec, *group),
                JitRow::Real(MachineRow::Asm { span, .. }) => *span,
                _ => None,
            },
        }
    }

    /// The row of the next (`forward`) or previous header: an executor, a uop, a section.
    pub fn header_row(&self, stage: Stage, forward: bool) -> Option<usize> {
        let is_header = |i: usize| match stage {
            Stage::Trampolines => matches!(
                self.tramp[i],
                TrampRow::Executor { .. }
                    | TrampRow::ExampleTitle
                    | TrampRow::SymbolsTitle { .. }
                    | TrampRow::StepsTitle { .. }
                    | TrampRow::SlotTitle { .. }
            ),
            _ => matches!(
                self.machine[i],
                JitRow::Executor { .. } | JitRow::Group { .. } | JitRow::Section { .. }
            ),
        };
        let cur = self.selected(stage);
        if forward {
            (cur + 1..self.len(stage)).find(|&i| is_header(i))
        } else {
            (0..cur).rev().find(|&i| is_header(i))
        }
    }

    // ----- holes ----------------------------------------------------------------------------

    /// Every hole of the machine code in order (executor, group, hole), each with the row that
    /// shows it best: the first disassembly line it touches, else its hole row.
    fn hole_stops(&self) -> Vec<(usize, HoleRef)> {
        let mut first_line: HashMap<HoleRef, usize> = HashMap::new();
        let mut hole_row: Vec<(usize, HoleRef)> = Vec::new();
        for (i, row) in self.machine.iter().enumerate() {
            match row {
                &JitRow::Hole { exec, group, hole } => {
                    hole_row.push((i, HoleRef { exec, group, hole }))
                }
                JitRow::Asm { .. } => {
                    for h in self.holes_at(i) {
                        first_line.entry(h).or_insert(i);
                    }
                }
                _ => {}
            }
        }
        hole_row
            .into_iter()
            .map(|(i, h)| (first_line.get(&h).copied().unwrap_or(i), h))
            .collect()
    }

    /// Steps to the next (or previous) hole; returns why not when there is none.
    pub fn step_hole(&mut self, forward: bool) -> Result<(), String> {
        let stops = self.hole_stops();
        if stops.is_empty() {
            return Err("no holes to step through here".into());
        }
        let sel = self.sel[0];
        let current = self.hole_at_selection();
        let at = current.and_then(|h| stops.iter().position(|(_, s)| *s == h));
        let next = match (at, forward) {
            (Some(i), true) => (i + 1 < stops.len()).then_some(i + 1),
            (Some(i), false) => i.checked_sub(1),
            (None, true) => stops.iter().position(|(row, _)| *row > sel),
            (None, false) => stops.iter().rposition(|(row, _)| *row < sel),
        };
        let Some(next) = next else {
            return Err(if forward {
                "this is the last hole".into()
            } else {
                "this is the first hole".into()
            });
        };
        let (row, h) = stops[next];
        self.sel[0] = row;
        self.hole = Some(h);
        self.followed = None;
        Ok(())
    }

    // ----- options --------------------------------------------------------------------------

    /// Switches the stencils between the built-in model and the imported set.
    pub fn cycle_stencils(&mut self) {
        self.options.stencils = match self.options.stencils {
            StencilChoice::Builtin => StencilChoice::Imported,
            _ => StencilChoice::Builtin,
        };
    }

    /// The next memory model of the view's choices.
    pub fn cycle_memory(&mut self) {
        let choices: Vec<String> = self
            .view
            .as_ref()
            .map(|v| v.memory_choices.clone())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| vec!["recorded".into(), "near".into(), "far".into()]);
        let now = memory_key(&self.options.memory).to_string();
        let i = choices.iter().position(|c| *c == now);
        let next = &choices[i.map_or(0, |i| (i + 1) % choices.len())];
        self.options.memory = if next == "recorded" {
            MemoryChoice::Recorded
        } else {
            MemoryChoice::Preset(next.clone())
        };
    }

    /// The next target of [`Target::ALL`] (back to the recorded one: no target asked for).
    pub fn cycle_target(&mut self) {
        let now = self
            .options
            .target
            .or(self.view.as_ref().map(|v| v.target))
            .or(self.recorded_target)
            .unwrap_or(Target::X86_64Linux);
        let i = Target::ALL.iter().position(|t| *t == now).unwrap_or(0);
        let next = Target::ALL[(i + 1) % Target::ALL.len()];
        self.options.target = if Some(next) == self.recorded_target {
            None
        } else {
            Some(next)
        };
    }

    /// The options in one line, for the status bar.
    pub fn options_text(&self) -> String {
        let stencils = match &self.options.stencils {
            StencilChoice::Builtin => "built-in (a model)".to_string(),
            StencilChoice::Imported => "imported".to_string(),
            StencilChoice::Path(p) => format!("from {p}"),
        };
        let target = self
            .options
            .target
            .or(self.recorded_target)
            .map_or("the recorded target".to_string(), |t| t.to_string());
        format!(
            "stencils: {stencils} · memory: {} · target: {target}",
            memory_key(&self.options.memory)
        )
    }

    // ----- following ------------------------------------------------------------------------

    /// Where the selected row of `stage` leads.
    pub fn follow(&mut self, stage: Stage) -> Follow {
        let sel = self.selected(stage);
        let (exec, dest) = match stage {
            Stage::Trampolines => match self.tramp.get(sel).cloned() {
                Some(TrampRow::Symbol { exec, ordinal }) => {
                    let Some(r) = self.region(exec) else {
                        return Follow::Nothing("no model region".into());
                    };
                    return match call_sites(r, ordinal).first() {
                        Some(&(group, hole)) => self.follow_hole(HoleRef { exec, group, hole }),
                        None => Follow::Nothing("no call site of this symbol in the trace".into()),
                    };
                }
                Some(
                    TrampRow::Range { exec, group, hole }
                    | TrampRow::CallSite {
                        exec, group, hole, ..
                    },
                ) => return self.follow_hole(HoleRef { exec, group, hole }),
                Some(TrampRow::SlotAsm { exec, line }) => (
                    exec,
                    self.executor(exec)
                        .and_then(|e| e.trampoline_asm.get(line))
                        .and_then(|a| a.destination.clone()),
                ),
                _ => return Follow::Nothing("nothing to follow on this row".into()),
            },
            _ => match self.machine.get(sel).cloned() {
                Some(JitRow::Asm { exec, group, line }) => {
                    let dest = self.executor(exec).and_then(|ex| {
                        let a = asm_lines(ex, group, self.patched).get(line)?;
                        let g = *groups(ex.region.as_ref().ok()?).get(group)?;
                        line_target(g, a)
                    });
                    (exec, dest)
                }
                Some(JitRow::Hole { exec, .. }) => (
                    exec,
                    self.hole_at_selection()
                        .and_then(|h| self.patched_hole(h))
                        .map(|(_, _, h)| h.destination.clone()),
                ),
                Some(JitRow::Trampoline { exec, line }) => (
                    exec,
                    self.executor(exec)
                        .and_then(|e| e.trampoline_asm.get(line))
                        .and_then(|a| a.destination.clone()),
                ),
                Some(JitRow::Got { exec, slot }) => (
                    exec,
                    self.region(exec)
                        .and_then(|r| r.got.get(slot))
                        .map(|g| Destination::Symbol {
                            name: g.symbol.clone(),
                            offset: 0,
                        }),
                ),
                _ => return Follow::Nothing("nothing to follow on this row".into()),
            },
        };
        match dest {
            Some(d) => self.follow_destination(exec, &d),
            None => Follow::Nothing("this line does not jump, call or point anywhere".into()),
        }
    }

    fn follow_hole(&self, h: HoleRef) -> Follow {
        match self.hole_stops().into_iter().find(|(_, s)| *s == h) {
            Some((row, _)) => Follow::Row(Stage::MachineCode, row),
            None => Follow::Nothing("that call site is not among the rows".into()),
        }
    }

    fn machine_row(&self, want: &JitRow) -> Option<usize> {
        self.machine.iter().position(|r| r == want)
    }

    fn follow_destination(&mut self, exec: usize, d: &Destination) -> Follow {
        let Some(r) = self.region(exec) else {
            return Follow::Nothing("no model region".into());
        };
        let header = |group: usize| JitRow::Group { exec, group };
        match d {
            Destination::Uop(i) => match self.machine_row(&header(group_of_uop(r, *i))) {
                Some(row) => Follow::Row(Stage::MachineCode, row),
                None => Follow::Nothing(format!("uop {i} is not in the trace")),
            },
            Destination::InUop { index, offset } => {
                let group = group_of_uop(r, *index);
                let Some(u) = r.uops.get(*index) else {
                    return Follow::Nothing(format!("uop {index} is not in the trace"));
                };
                let at = u.code.start + offset;
                let line = self.executor(exec).and_then(|ex| {
                    asm_lines(ex, group, self.patched)
                        .iter()
                        .position(|a| a.offset <= at && at < a.offset + a.len.max(1))
                });
                let row = line
                    .and_then(|line| self.machine_row(&JitRow::Asm { exec, group, line }))
                    .or_else(|| self.machine_row(&header(group)));
                row.map_or_else(
                    || Follow::Nothing("not among the rows".into()),
                    |row| Follow::Row(Stage::MachineCode, row),
                )
            }
            Destination::UopData { index, offset } => {
                let group = group_of_uop(r, *index);
                let hole = groups(r).get(group).and_then(|g| {
                    g.holes
                        .iter()
                        .position(|h| h.in_data && h.hole.offset == *offset)
                });
                let row = hole
                    .and_then(|hole| self.machine_row(&JitRow::Hole { exec, group, hole }))
                    .or_else(|| self.machine_row(&header(group)));
                self.followed = Some(format!(
                    "{}: the data part is copied before the code; its patched words are the data holes listed under the uop.",
                    destination_text(r, d)
                ));
                row.map_or_else(
                    || Follow::Nothing("not among the rows".into()),
                    |row| Follow::Row(Stage::MachineCode, row),
                )
            }
            Destination::Trampoline(i) => {
                let Some(ordinal) = r.trampolines.get(*i).map(|t| t.ordinal) else {
                    return Follow::Nothing(format!("no trampoline slot {i}"));
                };
                self.symbol.insert(exec, ordinal);
                self.tramp = self.tramp_rows();
                match self
                    .tramp
                    .iter()
                    .position(|t| *t == TrampRow::Symbol { exec, ordinal })
                {
                    Some(row) => Follow::Row(Stage::Trampolines, row),
                    None => Follow::Nothing("that symbol is not in the trampoline mask".into()),
                }
            }
            Destination::Got(i) => match self.machine_row(&JitRow::Got { exec, slot: *i }) {
                Some(row) => Follow::Row(Stage::MachineCode, row),
                None => Follow::Nothing(format!("no GOT slot {i}")),
            },
            Destination::Symbol { name, offset } => {
                let base = symbol_address(r, name);
                let addr = base.wrapping_add_signed(*offset);
                let ordinal = r
                    .symbols
                    .iter()
                    .position(|s| s == name)
                    .map_or(String::new(), |o| format!(", ordinal {o} of symbols_map"));
                let text = format!(
                    "{} is at {addr:#x}{ordinal} — outside the region, in the interpreter ({}).",
                    destination_text(r, d),
                    r.memory.name
                );
                self.followed = Some(text.clone());
                Follow::Info(text)
            }
            Destination::Executor => {
                let text = format!(
                    "The executor object is at {:#x} ({}).",
                    r.memory.executor, r.memory.name
                );
                self.followed = Some(text.clone());
                Follow::Info(text)
            }
            Destination::Value => Follow::Nothing(
                "this hole holds a value (an oparg, an operand), not an address".into(),
            ),
            Destination::Other => Follow::Nothing(
                "it leads elsewhere in the region (the shim, _FATAL_ERROR or the padding)".into(),
            ),
        }
    }
}

#[cfg(test)]
mod tests;

//! Stage 4 data — a run of the snippet by the built-in VM, and what the specializing adaptive
//! interpreter (PEP 659) did to each instruction on the way.
//!
//! The live engine records the *result* of CPython's run (the adaptive code after it, the
//! program's output) in [`crate::capture::LaterStages`]; the built-in VM also records the *way
//! there*: every instruction's history of quickening, specialization, misses and
//! deoptimization, stamped with the global step at which it happened, so the viewer can scrub
//! through the run and show each instruction as it was at any step.

use crate::bytecode::CodeObject;
use crate::capture::RunRecord;
use serde::{Deserialize, Serialize};

/// What a run of the built-in VM may use, and how it is set up (the command line's `--jit`,
/// `--max-steps`, `--max-depth`, `--max-memory`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RunOptions {
    /// Mirrors `PYTHON_JIT`: on, `JUMP_BACKWARD` specializes to `JUMP_BACKWARD_JIT` (and hot
    /// loops get executors); off, to `JUMP_BACKWARD_NO_JIT`.
    pub jit: bool,
    pub limits: Limits,
}

impl Default for RunOptions {
    /// The JIT on, like the live engine; the default limits.
    fn default() -> Self {
        RunOptions {
            jit: true,
            limits: Limits::default(),
        }
    }
}

/// The limits that end a run with a message instead of a hang or an exhausted machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Limits {
    /// Bytecode instructions executed (all frames together).
    pub max_steps: u64,
    /// Python frames on the stack at once (CPython's own default recursion limit is 1000).
    pub max_depth: u32,
    /// An estimate of the bytes the snippet's objects hold.
    pub max_memory: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_steps: 50_000_000,
            max_depth: 1000,
            max_memory: 512 * 1024 * 1024,
        }
    }
}

/// The reference harness's own frame (`stage.py specialized|uops` runs the snippet with
/// `exec(code, ns)` on its line 26): the first entry of the traceback of every exception that
/// escapes the snippet there, its path as the goldens record it (`scripts/record-goldens`
/// writes it as `stage.py`). The built-in VM counts this frame against the recursion limit
/// too.
pub const RUNNER_FRAME: &str =
    "  File \"stage.py\", line 26, in <module>\n    exec(code, ns)\n    ~~~~^^^^^^^^^^\n";

/// `traceback` (a run's) with [`RUNNER_FRAME`] as the first entry of its last block: the
/// exception that escaped passed through the harness; the ones chained before it (its cause,
/// its context) were caught inside the snippet.
pub fn with_runner_frame(traceback: &str) -> String {
    const HEAD: &str = "Traceback (most recent call last):\n";
    match traceback.rfind(HEAD) {
        Some(at) => {
            let split = at + HEAD.len();
            format!(
                "{}{RUNNER_FRAME}{}",
                &traceback[..split],
                &traceback[split..]
            )
        }
        None => traceback.to_string(),
    }
}

/// Which limit ended a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LimitKind {
    Steps,
    Memory,
}

/// A run of the snippet as `__main__` by the built-in VM.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Execution {
    /// The options it ran with.
    pub jit: bool,
    /// What it printed, and the exception that ended it, as `python FILE` reports them.
    pub run: RunRecord,
    /// The module's code objects after the run, as `dis.dis(code, adaptive=True)` shows them:
    /// the same tree as the bytecode stage, each instruction's name its adaptive form at the
    /// end, its `cache_info` the inline caches' final contents.
    pub specialized: CodeObject,
    /// One history per code object, in [`CodeObject::walk`] order.
    pub history: Vec<CodeHistory>,
    /// The executors tier 2 built during the run (with the JIT on), in the order `stage.py
    /// uops` lists them: code objects in [`CodeObject::walk`] order, offsets ascending.
    #[serde(default)]
    pub executors: Vec<crate::uops::Executor>,
    /// Instructions executed in all.
    pub steps: u64,
    /// The limit that stopped the run early, with its message (also the run's exception).
    pub limit: Option<(LimitKind, String)>,
}

/// What happened to the instructions of one code object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeHistory {
    pub qualname: String,
    /// One entry per entry of the code object's `instructions`, in order.
    pub instrs: Vec<InstrHistory>,
}

/// The life of one instruction during the run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstrHistory {
    pub offset: u32,
    /// The instruction as compiled (`LOAD_ATTR`, `RESUME`, …).
    pub base: String,
    /// How often it ran (hits and misses of its specialized forms included).
    pub executions: u64,
    /// How often a specialized form's guard failed.
    pub misses: u64,
    /// The global step of its first execution.
    pub first_step: Option<u64>,
    /// Changes of form and failed attempts, in order.
    pub events: Vec<SpecEvent>,
    /// (global step, executions so far) at its 1st, 2nd, 4th, 8th, … execution and at each
    /// event: what the scrubber reads to show execution counts at any step.
    pub marks: Vec<(u64, u64)>,
}

impl InstrHistory {
    /// The instruction's name at global step `step` (its base name before any event).
    pub fn name_at(&self, step: u64) -> &str {
        self.events
            .iter()
            .rev()
            .find(|e| e.step <= step)
            .map_or(self.base.as_str(), |e| e.to.as_str())
    }

    /// How often it had run by global step `step`: exact at a mark, else the last mark's count
    /// (a lower bound).
    pub fn executions_at(&self, step: u64) -> u64 {
        self.marks
            .iter()
            .rev()
            .find(|(s, _)| *s <= step)
            .map_or(0, |(_, n)| *n)
    }
}

/// One event in an instruction's life.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecEvent {
    /// The global step (instructions executed by the whole VM before this one, plus one).
    pub step: u64,
    /// The instruction's own execution count at the event.
    pub execution: u64,
    pub kind: SpecEventKind,
    /// The instruction's name after the event.
    pub to: String,
    /// Why, in words: the observed types that decided it, or the reason specialization failed.
    pub why: String,
}

/// What an event did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SpecEventKind {
    /// A one-time rewrite on first execution (`RESUME` → `RESUME_CHECK`, `LOAD_CONST` →
    /// `LOAD_CONST_IMMORTAL` on 3.14, …).
    Quickened,
    /// The counter fired and the instruction became a specialized form.
    Specialized,
    /// The counter fired but no specialized form fits; the counter backs off.
    Failed,
    /// A specialized form went back to the adaptive one (its miss counter ran out, or its
    /// guard deoptimizes for good).
    Deopt,
}

impl SpecEventKind {
    pub fn label(self) -> &'static str {
        match self {
            SpecEventKind::Quickened => "quickened",
            SpecEventKind::Specialized => "specialized",
            SpecEventKind::Failed => "failed to specialize",
            SpecEventKind::Deopt => "deoptimized",
        }
    }
}

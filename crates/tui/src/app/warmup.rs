//! The warm-up scrubber of the specialized stage: a position in the built-in VM's run (a global
//! step, `0..=steps`) and what each instruction was at that step, read from the run's
//! [`Execution`] history. Presentation only: the history is the engine's; nothing here runs code.

use cpyviz_model::execution::{Execution, InstrHistory, SpecEvent, SpecEventKind};

/// The scrubber's position, and the steps it can jump to.
#[derive(Debug, Default)]
pub struct Warmup {
    /// The position: a global step (`None`: the end of the run, where the specialized code is).
    at: Option<u64>,
    /// The steps at which some instruction's form changes, ascending, each once.
    pub changes: Vec<u64>,
}

/// How an instruction looks at a step: what its last event was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// As compiled: no event yet.
    Generic,
    Quickened,
    Specialized,
    /// Back to the adaptive form.
    Deoptimized,
    /// The counter fired but no specialized form fitted (it stays adaptive and backs off).
    Failed,
}

impl Form {
    fn of(kind: SpecEventKind) -> Form {
        match kind {
            SpecEventKind::Quickened => Form::Quickened,
            SpecEventKind::Specialized => Form::Specialized,
            SpecEventKind::Failed => Form::Failed,
            SpecEventKind::Deopt => Form::Deoptimized,
        }
    }
}

/// One event of the run, with the instruction it happened to.
#[derive(Clone, Copy, Debug)]
pub struct EventAt<'a> {
    /// The code object's qualified name, and the instruction's offset in it.
    pub qualname: &'a str,
    pub offset: u32,
    /// The instruction's name before the event.
    pub from: &'a str,
    pub event: &'a SpecEvent,
}

impl EventAt<'_> {
    /// `step 37: BINARY_OP @ abs+12 → BINARY_OP_SUBTRACT_INT (int, int)`.
    pub fn describe(&self) -> String {
        let e = self.event;
        let why = if e.why.is_empty() {
            String::new()
        } else {
            format!(" ({})", e.why)
        };
        let what = match e.kind {
            SpecEventKind::Failed => format!("failed to specialize{why}"),
            _ => format!("→ {}{why}", e.to),
        };
        format!(
            "step {}: {} @ {}+{} {what}",
            e.step, self.from, self.qualname, self.offset
        )
    }
}

/// The history of instruction `instr` (at `offset`) of code object `code` (in walk order).
pub fn history(exec: &Execution, code: usize, instr: usize, offset: u32) -> Option<&InstrHistory> {
    let instrs = &exec.history.get(code)?.instrs;
    match instrs.get(instr) {
        Some(h) if h.offset == offset => Some(h),
        _ => instrs.iter().find(|h| h.offset == offset),
    }
}

/// The instruction's name before its event `k`.
pub fn name_before(h: &InstrHistory, k: usize) -> &str {
    match k.checked_sub(1).and_then(|p| h.events.get(p)) {
        Some(prev) => &prev.to,
        None => &h.base,
    }
}

/// What the instruction's last event up to `step` made it.
pub fn form_at(h: &InstrHistory, step: u64) -> Form {
    h.events
        .iter()
        .rev()
        .find(|e| e.step <= step)
        .map_or(Form::Generic, |e| Form::of(e.kind))
}

/// How often the instruction had run by `step` (exact at the end of the run).
pub fn executions_at(exec: &Execution, h: &InstrHistory, step: u64) -> u64 {
    if step >= exec.steps {
        h.executions
    } else {
        h.executions_at(step)
    }
}

/// Every event of the run with its instruction, for which `keep` holds.
fn events(exec: &Execution, keep: impl Fn(&SpecEvent) -> bool) -> Vec<EventAt<'_>> {
    let mut out = Vec::new();
    for c in &exec.history {
        for h in &c.instrs {
            for (k, e) in h.events.iter().enumerate() {
                if keep(e) {
                    out.push(EventAt {
                        qualname: &c.qualname,
                        offset: h.offset,
                        from: name_before(h, k),
                        event: e,
                    });
                }
            }
        }
    }
    out
}

/// The events at exactly `step` (one instruction runs per step: at most a few).
pub fn events_at(exec: &Execution, step: u64) -> Vec<EventAt<'_>> {
    events(exec, |e| e.step == step)
}

/// The last event at or before `step`.
pub fn last_event_by(exec: &Execution, step: u64) -> Option<EventAt<'_>> {
    events(exec, |e| e.step <= step)
        .into_iter()
        .max_by_key(|e| e.event.step)
}

/// The steps at which some instruction's name changes, ascending and distinct.
pub fn change_steps(exec: &Execution) -> Vec<u64> {
    let mut out: Vec<u64> = exec
        .history
        .iter()
        .flat_map(|c| &c.instrs)
        .flat_map(|h| {
            h.events
                .iter()
                .enumerate()
                .filter(|(k, e)| e.to != name_before(h, *k))
                .map(|(_, e)| e.step)
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The change after `step`, if any.
pub fn next_change(changes: &[u64], step: u64) -> Option<u64> {
    changes.iter().copied().find(|&c| c > step)
}

/// The change before `step`, if any.
pub fn prev_change(changes: &[u64], step: u64) -> Option<u64> {
    changes.iter().rev().copied().find(|&c| c < step)
}

impl Warmup {
    /// Takes in the current capture's run (or none); the position stays where it was.
    pub fn rebuild(&mut self, exec: Option<&Execution>) {
        self.changes = exec.map(change_steps).unwrap_or_default();
    }

    /// Moves the position to the end of the run (another capture is shown).
    pub fn to_end(&mut self) {
        self.at = None;
    }

    /// The position in `exec`'s run.
    pub fn step(&self, exec: &Execution) -> u64 {
        self.at.unwrap_or(exec.steps).min(exec.steps)
    }

    /// Moves to `step` (clamped to the run; its end is remembered as "the end").
    pub fn set(&mut self, exec: &Execution, step: u64) {
        self.at = (step < exec.steps).then_some(step);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpyviz_model::execution::CodeHistory;

    fn event(step: u64, kind: SpecEventKind, to: &str) -> SpecEvent {
        SpecEvent {
            step,
            execution: 1,
            kind,
            to: to.into(),
            why: String::new(),
        }
    }

    #[test]
    fn only_changes_of_form_are_stops_and_forms_follow_the_last_event() {
        let h = InstrHistory {
            offset: 4,
            base: "LOAD_ATTR".into(),
            events: vec![
                event(5, SpecEventKind::Failed, "LOAD_ATTR"),
                event(9, SpecEventKind::Specialized, "LOAD_ATTR_INSTANCE_VALUE"),
                event(20, SpecEventKind::Deopt, "LOAD_ATTR"),
            ],
            ..Default::default()
        };
        let exec = Execution {
            steps: 30,
            history: vec![CodeHistory {
                qualname: "f".into(),
                instrs: vec![h.clone()],
            }],
            ..Default::default()
        };
        let changes = change_steps(&exec);
        assert_eq!(changes, vec![9, 20], "a failed attempt changes no form");
        assert_eq!(next_change(&changes, 0), Some(9));
        assert_eq!(next_change(&changes, 9), Some(20));
        assert_eq!(next_change(&changes, 20), None);
        assert_eq!(prev_change(&changes, 20), Some(9));
        assert_eq!(prev_change(&changes, 9), None);
        assert_eq!(form_at(&h, 4), Form::Generic);
        assert_eq!(form_at(&h, 5), Form::Failed);
        assert_eq!(form_at(&h, 19), Form::Specialized);
        assert_eq!(form_at(&h, 25), Form::Deoptimized);
        assert_eq!(name_before(&h, 2), "LOAD_ATTR_INSTANCE_VALUE");
        let at = events_at(&exec, 9);
        assert_eq!(at.len(), 1);
        assert_eq!(
            at[0].describe(),
            "step 9: LOAD_ATTR @ f+4 → LOAD_ATTR_INSTANCE_VALUE"
        );
        assert_eq!(last_event_by(&exec, 8).map(|e| e.event.step), Some(5));
        assert!(last_event_by(&exec, 4).is_none());
        // The history is found by offset when the index does not match.
        assert!(history(&exec, 0, 3, 4).is_some());
        assert!(history(&exec, 0, 0, 6).is_none());
        let mut w = Warmup::default();
        assert_eq!(w.step(&exec), 30, "the scrubber starts at the end");
        w.set(&exec, 99);
        assert_eq!(w.step(&exec), 30);
        w.set(&exec, 7);
        assert_eq!(w.step(&exec), 7);
        w.to_end();
        assert_eq!(w.step(&exec), 30);
    }
}

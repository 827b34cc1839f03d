//! What the shadow needs to know of an executor to follow the tier-1 run through it: for each
//! recorded instruction (a [`Step`]), the executor's uops that came from it, and whether the
//! trace loops (`_JUMP_TO_TOP`) or leaves at its end.
//!
//! The VM keeps running the instructions; the shadow matches each one against the step the
//! executor is at. A step whose uops end the trace (`_EXIT_TRACE`, `_DEOPT`) sends tier 1 on
//! at that instruction; a step whose specialized form would miss now leaves through its first
//! guard's stub; control arriving somewhere other than the next step leaves through the stub
//! of the previous step that goes there (a branch guard, an exhausted iterator, a frame guard).

use super::ids::Ids;
use super::record::Step;
use super::TUop;

/// Per executor: its uops grouped by the recorded instruction they run for.
pub struct Plan {
    /// For each step, the indexes (in the executor's uops) of the body uops of that step.
    pub step_uops: Vec<Vec<usize>>,
    /// The body ends with `_JUMP_TO_TOP`: after the last step comes the first again.
    pub closes_loop: bool,
}

/// Which way a uop leaves the executor.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ExitKind {
    /// `_EXIT_TRACE`: a side exit with a temperature, which may get a trace of its own.
    Side,
    /// `_DYNAMIC_EXIT`: back to tier 1 wherever the frame is.
    Dynamic,
    /// `_DEOPT` (and `_HANDLE_PENDING_AND_DEOPT`): tier 1 runs the instruction again.
    Deopt,
}

/// The kind of exit a uop (a body terminator or a stub) is, if it is one.
pub fn exit_kind(ids: &Ids, op: u16) -> Option<ExitKind> {
    let b = super::finish::base(ids, op);
    let u = &ids.u;
    if b == u.EXIT_TRACE {
        Some(ExitKind::Side)
    } else if b == u.DYNAMIC_EXIT {
        Some(ExitKind::Dynamic)
    } else if b == u.DEOPT || b == u.HANDLE_PENDING_AND_DEOPT {
        Some(ExitKind::Deopt)
    } else {
        None
    }
}

/// The index of the uop that ends the executor's body (its first terminator).
pub fn body_end(ids: &Ids, uops: &[TUop]) -> usize {
    uops.iter()
        .position(|u| {
            let b = super::finish::base(ids, u.op);
            b == ids.u.JUMP_TO_TOP || exit_kind(ids, u.op).is_some()
        })
        .unwrap_or(uops.len().saturating_sub(1))
}

impl Plan {
    pub fn new(ids: &Ids, uops: &[TUop], steps: &[Step]) -> Plan {
        let end = body_end(ids, uops);
        let mut step_uops = vec![Vec::new(); steps.len()];
        for (k, u) in uops.iter().enumerate().take(end + 1) {
            if let Some(v) = step_uops.get_mut(u.step as usize) {
                v.push(k);
            }
        }
        let closes_loop = uops
            .get(end)
            .is_some_and(|u| super::finish::base(ids, u.op) == ids.u.JUMP_TO_TOP);
        Plan {
            step_uops,
            closes_loop,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tier2::v3_15::{Loc, Opnd};

    fn uop(ids: &Ids, name: &str, step: u32) -> TUop {
        TUop {
            op: ids.uop(name),
            oparg: 0,
            target: 0,
            jump: None,
            operand0: Opnd::None,
            operand1: 0,
            code: None,
            step,
            src: u32::MAX,
        }
    }

    /// Uops are grouped by step up to the first terminator; stubs after it belong to none.
    #[test]
    fn plan_groups_the_body() {
        let ids = Ids::get();
        let step = |k: u8| Step {
            loc: Loc::Shim(k),
            depth: 0,
            opcode: 0,
            key: 0,
        };
        let uops = vec![
            uop(ids, "_START_EXECUTOR", u32::MAX),
            uop(ids, "_CHECK_VALIDITY", 0),
            uop(ids, "_NOP", 1),
            uop(ids, "_JUMP_TO_TOP", 1),
            uop(ids, "_DEOPT", 0),
        ];
        let p = Plan::new(ids, &uops, &[step(0), step(1)]);
        assert!(p.closes_loop);
        assert_eq!(p.step_uops, vec![vec![1], vec![2, 3]]);
        assert_eq!(exit_kind(ids, uops[4].op), Some(ExitKind::Deopt));
        assert_eq!(body_end(ids, &uops), 3);
    }
}

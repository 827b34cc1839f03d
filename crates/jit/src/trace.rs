//! The trace a region is compiled from: one [`TraceUop`] per micro-op of a recorded executor.
//!
//! An executor reports each uop as `(name, oparg, target, operand0)`, with the base name. The
//! JIT needs more: the format of the 32-bit target field (a `target`, or a `jump_target` /
//! `error_target` pair), `operand1`, and in 3.15 the register-cached variant (`_…_rNM`) whose
//! stencil it copies. The live probe reads these from the executor's memory ([`RawUop`]); for a
//! capture without them, [`trace_of`] works them out as CPython's optimizer does and says so.
//!
//! [`RawUop`]: cpyviz_model::uops::RawUop

use cpyviz_model::tables::{flags, Tables};
use cpyviz_model::uops::Executor;
use cpyviz_model::version::PyVersion;

/// One `_PyUOpInstruction` as the JIT reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceUop {
    /// The base uop name, as the executor reports it (`_BINARY_OP_ADD_INT`).
    pub name: String,
    /// The stencil group to use (3.15: the register-cached variant `_BINARY_OP_ADD_INT_r23`;
    /// 3.14: the same as `name`).
    pub stencil: String,
    pub oparg: u16,
    pub target: u32,
    /// Index into the trace.
    pub jump_target: u16,
    /// Index into the trace.
    pub error_target: u16,
    pub operand0: u64,
    pub operand1: u64,
}

/// Where a trace's formats, second operands and register variants came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceSource {
    /// Read from the executor's memory in the recorded process.
    Recorded,
    /// Worked out by cpyviz from the uop tables (a capture without the raw instructions):
    /// `operand1` is unknown (0) and 3.15's variants are cpyviz's choice.
    Modeled,
}

/// A trace ready for the copy-and-patch engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    pub uops: Vec<TraceUop>,
    pub source: TraceSource,
}

/// The trace of a recorded executor, for `version`'s JIT.
pub fn trace_of(ex: &Executor, version: PyVersion) -> Result<Trace, String> {
    let tables = version.profile().tables;
    if ex.uops.is_empty() {
        return Err("the executor has no uops".into());
    }
    let recorded = ex.uops.iter().all(|u| u.raw.is_some());
    let mut uops = Vec::with_capacity(ex.uops.len());
    for (i, u) in ex.uops.iter().enumerate() {
        let info = tables
            .uop_by_name(&u.name)
            .ok_or_else(|| format!("uop #{i} {} is not a {} uop", u.name, version.label()))?;
        let target = u32::try_from(u.target)
            .map_err(|_| format!("uop #{i} {}: target {} out of range", u.name, u.target))?;
        let oparg = u16::try_from(u.oparg)
            .map_err(|_| format!("uop #{i} {}: oparg {} out of range", u.name, u.oparg))?;
        let (jumps, operand1, stencil) = match (&u.raw, recorded) {
            (Some(raw), true) => {
                let stencil = raw.name.clone().ok_or_else(|| {
                    format!(
                        "uop #{i} {}: opcode {} is unknown to {}",
                        u.name,
                        raw.opcode,
                        version.label()
                    )
                })?;
                (raw.format == 1, raw.operand1, stencil)
            }
            _ => (
                info.flags & (flags::HAS_EXIT | flags::HAS_DEOPT | flags::HAS_ERROR) != 0,
                0,
                u.name.clone(),
            ),
        };
        uops.push(TraceUop {
            name: u.name.clone(),
            stencil,
            oparg,
            target,
            jump_target: if jumps { (target & 0xffff) as u16 } else { 0 },
            error_target: if jumps { (target >> 16) as u16 } else { 0 },
            operand0: u.operand,
            operand1,
        });
    }
    if !recorded && version.profile().jit_register_variants {
        choose_variants(&mut uops, tables)?;
    }
    Ok(Trace {
        uops,
        source: if recorded {
            TraceSource::Recorded
        } else {
            TraceSource::Modeled
        },
    })
}

/// 3.15's register allocation of the top of the stack, replayed: walking the trace with the
/// number of stack items held in registers (0 at the start), each uop takes the variant of
/// `_PyUop_Caching[uop].entries[depth]` and leaves `output` items cached; a
/// `_SPILL_OR_RELOAD` moves to the depth the next uop is best at (`best[depth]`). Exit and error
/// stubs after the trace start at the exit depth of the uop that jumps to them (errors: 0).
fn choose_variants(uops: &mut [TraceUop], tables: &Tables) -> Result<(), String> {
    let spills = tables
        .spills_and_reloads
        .ok_or("the tables have no _PyUop_SpillsAndReloads")?;
    let mut depth = 0usize;
    let mut entry_depth: Vec<Option<usize>> = vec![None; uops.len()];
    entry_depth[0] = Some(0);
    for i in 0..uops.len() {
        if let Some(d) = entry_depth[i] {
            depth = d;
        }
        let name = uops[i].name.clone();
        let info = tables
            .uop_by_name(&name)
            .ok_or_else(|| format!("unknown uop {name}"))?;
        if name == "_SPILL_OR_RELOAD" {
            let next = uops
                .get(i + 1)
                .and_then(|n| tables.uop_by_name(&n.name))
                .and_then(|n| n.caching)
                .ok_or_else(|| {
                    format!("uop #{i} _SPILL_OR_RELOAD is not followed by a cached uop")
                })?;
            let to = next.best[depth] as usize;
            let id = spills[depth][to];
            uops[i].stencil = tables
                .uop_name(id)
                .ok_or_else(|| format!("no _SPILL_OR_RELOAD variant from {depth} to {to}"))?
                .to_string();
            depth = to;
            continue;
        }
        let Some(caching) = info.caching else {
            continue;
        };
        let entry = caching.entries[depth]
            .or_else(|| caching.entries[caching.best[depth] as usize])
            .ok_or_else(|| format!("uop #{i} {name} has no variant for {depth} cached items"))?;
        uops[i].stencil = tables
            .uop_name(entry.uop)
            .ok_or_else(|| format!("uop #{i} {name}: unknown variant {}", entry.uop))?
            .to_string();
        let flags_of = info.flags;
        let exits = flags_of & (flags::HAS_EXIT | flags::HAS_DEOPT) != 0;
        let errors = flags_of & flags::HAS_ERROR != 0;
        let (jt, et) = (uops[i].jump_target as usize, uops[i].error_target as usize);
        if exits && jt > i && jt < uops.len() && entry_depth[jt].is_none() {
            entry_depth[jt] = Some(entry.exit.max(0) as usize);
        }
        if errors && et > i && et < uops.len() && entry_depth[et].is_none() {
            entry_depth[et] = Some(0);
        }
        depth = entry.output.max(0) as usize;
        if matches!(name.as_str(), "_EXIT_TRACE" | "_JUMP_TO_TOP" | "_DEOPT") {
            depth = 0;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpyviz_model::error::PyError;

    fn executors(file: &str) -> Vec<Executor> {
        let path = format!("{}/../../tests/captures/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        let executors: Result<Vec<Executor>, PyError> =
            serde_json::from_value(json["captures"][0]["later"]["executors"].clone()).unwrap();
        executors.unwrap()
    }

    #[test]
    fn the_modelled_register_variants_match_the_recorded_ones() {
        for ex in executors("abs-3.15.capture.json") {
            let recorded = trace_of(&ex, PyVersion::V3_15).unwrap();
            assert_eq!(recorded.source, TraceSource::Recorded, "{}", ex.qualname);
            let mut bare = ex.clone();
            for u in &mut bare.uops {
                u.raw = None;
            }
            let modeled = trace_of(&bare, PyVersion::V3_15).unwrap();
            assert_eq!(modeled.source, TraceSource::Modeled);
            let want: Vec<_> = recorded.uops.iter().map(|u| u.stencil.as_str()).collect();
            let got: Vec<_> = modeled.uops.iter().map(|u| u.stencil.as_str()).collect();
            assert_eq!(got, want, "{}", ex.qualname);
            for u in &recorded.uops {
                assert!(u.stencil.starts_with(&u.name), "{} / {}", u.name, u.stencil);
            }
        }
    }

    #[test]
    fn a_3_14_trace_uses_the_base_names() {
        for ex in executors("abs-3.14.capture.json") {
            let t = trace_of(&ex, PyVersion::V3_14).unwrap();
            for u in &t.uops {
                assert_eq!(u.name, u.stencil);
            }
            assert_eq!(t.uops[0].name, "_START_EXECUTOR");
        }
    }

    #[test]
    fn an_unknown_uop_is_an_error() {
        let mut ex = Executor::default();
        ex.uops.push(cpyviz_model::uops::Uop {
            name: "_NOT_A_UOP".into(),
            ..Default::default()
        });
        assert!(trace_of(&ex, PyVersion::V3_15)
            .unwrap_err()
            .contains("_NOT_A_UOP"));
        assert!(trace_of(&Executor::default(), PyVersion::V3_14).is_err());
    }
}

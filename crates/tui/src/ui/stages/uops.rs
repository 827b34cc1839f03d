//! The micro-ops pane: each executor (code object, offset, validity) and its uops (index, name,
//! oparg, target), each uop beside the bytecode instruction it comes from; or — `u` — the trace
//! as it was before the optimizer, each uop marked with what the optimizer made of it.
//! The Explain panel tells, for the selected uop: the instruction and source line it comes
//! from, that instruction's expansion into uops, what a guard checks and where its exit goes.

use super::{dim, render_empty, render_rows};
use crate::app::stages::{code_of, executors, Fate, TargetInstr, UopRow};
use crate::app::App;
use crate::ui::theme::THEME;
use crate::ui::Areas;
use cpyviz_model::capture::{Capture, Stage};
use cpyviz_model::explain;
use cpyviz_model::tables::{flags, for_version, Tables};
use cpyviz_model::uops::{Executor, Uop};
use ratatui::buffer::Buffer;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

/// `valid`, `invalid` or `validity unknown`.
pub(super) fn validity(ex: &Executor) -> &'static str {
    match ex.valid {
        Some(true) => "valid",
        Some(false) => "invalidated",
        None => "validity unknown",
    }
}

/// The name of the instruction at `code`/`instr` in the specialized (else plain) bytecode.
fn instr_name(cap: &Capture, code: usize, instr: usize) -> Option<(String, u32)> {
    let root = code_of(cap, Stage::Specialized).or(code_of(cap, Stage::Bytecode))?;
    let c = root.walk().into_iter().nth(code)?;
    let i = c.instructions.get(instr)?;
    Some((i.opname.clone(), i.offset))
}

pub(super) fn no_executors(app: &App) -> Vec<Line<'static>> {
    let cap = app.capture();
    vec![
        Line::styled(
            format!(
                "No executor: {} built no micro-op trace for this run.",
                cap.engine.label()
            ),
            THEME.emphasis,
        ),
        Line::raw(""),
        Line::styled(
            "Traces are built only for code that gets hot (a loop running thousands of times) on an interpreter with tier 2 (a JIT build, or PYTHON_JIT / the uop interpreter enabled).",
            THEME.text,
        ),
    ]
}

/// A uop's flags (3.15 register variants take their base uop's).
fn uop_flags(tables: &Tables, name: &str) -> Option<u32> {
    let info = tables.uop_by_name(name)?;
    Some(match info.uncached.and_then(|b| tables.uop(b)) {
        Some(base) => base.flags,
        None => info.flags,
    })
}

/// The `→ offset NAME` column of a uop row.
fn instr_span(cap: &Capture, target: Option<TargetInstr>) -> Option<Span<'static>> {
    let (name, offset) = target.and_then(|t| instr_name(cap, t.code, t.instr))?;
    Some(Span::styled(format!("  ← {offset} {name}"), THEME.detail))
}

pub(super) fn render(app: &App, areas: &Areas, buf: &mut Buffer) {
    let cap = app.capture();
    let exs = executors(cap).unwrap_or(&[]);
    let rows = &app.later_rows().uops;
    if rows.is_empty() {
        render_empty(areas, buf, no_executors(app));
        return;
    }
    let before = app.later_rows().show_unoptimized;
    render_rows(app, areas, buf, |i, selected| {
        let marker = Span::styled(if selected { "▶" } else { " " }, THEME.key);
        match &rows[i] {
            UopRow::Header { exec, .. } => {
                let Some(ex) = exs.get(*exec) else {
                    return Line::raw("");
                };
                let what = if before && !ex.unoptimized.is_empty() {
                    format!(
                        " · before the optimizer: {} uops ({} after, with exit stubs)",
                        ex.unoptimized.len(),
                        ex.uops.len()
                    )
                } else {
                    format!(" · {} uops · {}", ex.uops.len(), validity(ex))
                };
                Line::from(vec![
                    marker,
                    Span::styled(
                        format!(" Executor for {} at offset {}", ex.qualname, ex.offset),
                        THEME.node,
                    ),
                    Span::styled(what, dim()),
                ])
            }
            UopRow::Uop { exec, uop, target } => {
                let Some(u) = exs.get(*exec).and_then(|e| e.uops.get(*uop)) else {
                    return Line::raw("");
                };
                let mut spans = vec![
                    marker,
                    Span::styled(format!("{uop:>4} "), THEME.gutter),
                    Span::styled(format!("{:<27}", u.name), THEME.opname),
                    Span::styled(format!(" {:>4}", u.oparg), THEME.token_number),
                    Span::styled(format!(" {:>8}", u.target), dim()),
                ];
                spans.extend(instr_span(cap, *target));
                Line::from(spans)
            }
            UopRow::Unopt {
                exec,
                uop,
                fate,
                target,
            } => {
                let Some(ex) = exs.get(*exec) else {
                    return Line::raw("");
                };
                let Some(u) = ex.unoptimized.get(*uop) else {
                    return Line::raw("");
                };
                let (mark, name_style, note) = match fate {
                    Fate::Kept(_) => ("  ", THEME.opname, String::new()),
                    Fate::Replaced(k) => (
                        "~ ",
                        THEME.specialized,
                        format!(" → {}", ex.uops.get(*k).map_or("?", |n| n.name.as_str())),
                    ),
                    Fate::Removed => (
                        "- ",
                        dim().add_modifier(Modifier::CROSSED_OUT),
                        "  removed".into(),
                    ),
                };
                let mut spans = vec![
                    marker,
                    Span::styled(format!("{uop:>4} "), THEME.gutter),
                    Span::styled(mark, THEME.key),
                    Span::styled(format!("{:<27}", u.name), name_style),
                    Span::styled(format!(" {:>4}", u.oparg), THEME.token_number),
                    Span::styled(note, THEME.specialized),
                ];
                spans.extend(instr_span(cap, *target));
                Line::from(spans)
            }
        }
    });
}

/// Where the exit stub at `stub` of `ex` goes, and what taking it means.
fn exit_lines(cap: &Capture, ex: &Executor, stub: usize, what: &str) -> Vec<Line<'static>> {
    let Some(s) = ex.uops.get(stub) else {
        return vec![];
    };
    let root = code_of(cap, Stage::Specialized).or(code_of(cap, Stage::Bytecode));
    let codes = root.map(|r| r.walk()).unwrap_or_default();
    let code = s.code_index.map_or(ex.code_index as usize, |c| c as usize);
    let place = codes
        .get(code)
        .and_then(|c| {
            let offset = s.target as u32 * 2;
            c.instructions
                .iter()
                .find(|i| i.offset == offset)
                .map(|i| format!("offset {offset} ({}) of {}", i.opname, c.qualname))
        })
        .unwrap_or_else(|| format!("target {}", s.target));
    let meaning = match s.name.as_str() {
        "_DEOPT" => format!(
            "If {what} fails it jumps to stub #{stub} _DEOPT: back to tier 1 at {place}, which runs that instruction again (and may re-specialize it)."
        ),
        "_EXIT_TRACE" => format!(
            "If {what} fails it jumps to stub #{stub} _EXIT_TRACE: a side exit to {place}. The exit counts how often it is taken; once hot, a trace of its own starts there and the exit jumps straight into it."
        ),
        "_ERROR_POP_N" => format!(
            "If it raises, it jumps to stub #{stub} _ERROR_POP_N: tier 1 unwinds the exception."
        ),
        other => format!("It jumps to stub #{stub} {other}."),
    };
    vec![Line::styled(meaning, THEME.text)]
}

/// The lines about where uop `u` comes from: its instruction, source line and expansion.
fn origin_lines(cap: &Capture, target: Option<TargetInstr>, stub: bool) -> Vec<Line<'static>> {
    let tables = for_version(cap.version);
    let Some(t) = target else {
        return vec![Line::styled(
            "Which instruction this uop comes from cannot be told from the capture (a recording gives only targets): nothing is highlighted.",
            dim(),
        )];
    };
    let root = code_of(cap, Stage::Specialized).or(code_of(cap, Stage::Bytecode));
    let Some(c) = root.and_then(|r| r.walk().into_iter().nth(t.code)) else {
        return vec![];
    };
    let Some(ins) = c.instructions.get(t.instr) else {
        return vec![];
    };
    let line = ins
        .line_number
        .map_or(String::new(), |l| format!(", line {l}"));
    let mut out = vec![Line::styled(
        if stub {
            format!(
                "It exits to offset {} {} of {}{line} (highlighted in the source).",
                ins.offset, ins.opname, c.qualname
            )
        } else {
            format!(
                "From offset {} {} of {}{line} (highlighted in the source; Enter shows it in the Specialized stage).",
                ins.offset, ins.opname, c.qualname
            )
        },
        THEME.text,
    )];
    if !stub {
        if let Some(info) = tables.opcode_by_name(&ins.opname) {
            let parts: Vec<&str> = info
                .expansion
                .iter()
                .filter(|s| {
                    !matches!(
                        s.kind,
                        cpyviz_model::tables::OpargKind::Operand1_1
                            | cpyviz_model::tables::OpargKind::Operand1_2
                            | cpyviz_model::tables::OpargKind::Operand1_4
                    )
                })
                .filter_map(|s| tables.uop_name(s.uop))
                .collect();
            if !parts.is_empty() {
                out.push(Line::from(vec![
                    Span::styled(format!("{} = ", ins.opname), THEME.opname),
                    Span::styled(parts.join(" + "), THEME.detail),
                ]));
            }
        }
    }
    out
}

pub(super) fn selection_lines(app: &App) -> Vec<Line<'static>> {
    let cap = app.capture();
    let exs = executors(cap).unwrap_or(&[]);
    let tables = for_version(cap.version);
    match app.later_rows().uops.get(app.selected_row()) {
        Some(UopRow::Header { exec, .. }) => {
            let Some(ex) = exs.get(*exec) else {
                return vec![];
            };
            let replaced = match (ex.opcode.and_then(|o| u16::try_from(o).ok()), ex.oparg) {
                (Some(op), arg) => format!(
                    " It replaced {} {} there.",
                    tables.opcode_name(op).unwrap_or("an unknown opcode"),
                    arg.map_or(String::new(), |a| a.to_string())
                ),
                _ => String::new(),
            };
            let mut lines = vec![
                Line::from(vec![
                    Span::styled(format!("Executor for {}", ex.qualname), THEME.node),
                    Span::styled(
                        format!(
                            "  · code object #{} · offset {} · {} uops · {}",
                            ex.code_index,
                            ex.offset,
                            ex.uops.len(),
                            validity(ex)
                        ),
                        dim(),
                    ),
                ]),
                Line::styled(
                    format!(
                        "A tier-2 trace attached to offset {} of {}: ENTER_EXECUTOR runs it instead of the bytecode (dis still shows the original instruction).{replaced}",
                        ex.offset, ex.qualname
                    ),
                    THEME.text,
                ),
            ];
            if !ex.unoptimized.is_empty() {
                let removed = crate::app::stages::fates(ex)
                    .iter()
                    .filter(|f| **f == Fate::Removed)
                    .count();
                lines.push(Line::styled(
                    format!(
                        "The optimizer took the projected {} uops to {} (before the exit stubs were added): {removed} removed. Press u to see the trace before the optimizer.",
                        ex.unoptimized.len(),
                        ex.uops.iter().filter(|u| u.origin.is_some()).count(),
                    ),
                    THEME.text,
                ));
            }
            lines
        }
        Some(UopRow::Uop { exec, uop, target }) => {
            let Some(ex) = exs.get(*exec) else {
                return vec![];
            };
            let Some(u) = ex.uops.get(*uop) else {
                return vec![];
            };
            uop_lines(cap, tables, ex, *uop, u, *target)
        }
        Some(UopRow::Unopt {
            exec,
            uop,
            fate,
            target,
        }) => {
            let Some(ex) = exs.get(*exec) else {
                return vec![];
            };
            let Some(u) = ex.unoptimized.get(*uop) else {
                return vec![];
            };
            let fate = match fate {
                Fate::Kept(k) => format!("The optimizer kept it (uop #{k} of the executor)."),
                Fate::Replaced(k) => format!(
                    "The optimizer replaced it by {} (uop #{k} of the executor).",
                    ex.uops.get(*k).map_or("?", |n| n.name.as_str())
                ),
                Fate::Removed => removal_reason(&u.name).into(),
            };
            let mut lines = vec![
                Line::from(vec![
                    Span::styled(u.name.clone(), THEME.opname.add_modifier(Modifier::BOLD)),
                    Span::styled(
                        format!("  · before the optimizer, #{uop} · oparg {}", u.oparg),
                        dim(),
                    ),
                ]),
                Line::styled(fate, THEME.text),
            ];
            lines.extend(origin_lines(cap, *target, false));
            lines
        }
        None => vec![],
    }
}

/// Why the optimizer drops a uop of this kind.
fn removal_reason(name: &str) -> &'static str {
    match name {
        "_SET_IP" => "Removed: no uop after it, up to the next _SET_IP, needs the instruction pointer (none escapes or calls).",
        "_CHECK_VALIDITY" => "Removed: nothing since the last validity check could have run arbitrary code (invalidated the executor).",
        "_CHECK_PEP_523" => "Removed: no custom frame evaluator is installed, and installing one invalidates every executor.",
        "_PUSH_NULL_CONDITIONAL" => "Removed: this instruction pushes no NULL (its oparg's low bit is 0).",
        n if n.starts_with("_GUARD") || n.starts_with("_CHECK") => {
            "Removed: the abstract interpreter already knows the fact this guard checks (an earlier guard or operation established it)."
        }
        "_LOAD_FAST" | "_LOAD_FAST_BORROW" | "_LOAD_SMALL_INT" | "_LOAD_CONST_INLINE" | "_LOAD_CONST_INLINE_BORROW" | "_COPY" => {
            "Removed: the value it pushes is popped at once without being used."
        }
        "_NOP" => "Removed: it does nothing.",
        _ => "Removed by the optimizer.",
    }
}

fn uop_lines(
    cap: &Capture,
    tables: &Tables,
    ex: &Executor,
    index: usize,
    u: &Uop,
    target: Option<TargetInstr>,
) -> Vec<Line<'static>> {
    let info = tables.uop_by_name(&u.name);
    let f = uop_flags(tables, &u.name);
    let is_stub = u.code_index.is_some() && u.origin.is_none();
    let mut lines = vec![Line::from(vec![
        Span::styled(u.name.clone(), THEME.opname.add_modifier(Modifier::BOLD)),
        Span::styled(
            format!(
                "  · #{index} · oparg {} · target {} · operand {:#x}",
                u.oparg, u.target, u.operand
            ),
            dim(),
        ),
    ])];
    if info.is_none() {
        lines.push(Line::styled(
            format!(
                "{} is not in cpyviz's uop tables for CPython {}.",
                u.name,
                cap.display_version()
            ),
            dim(),
        ));
    }
    if let Some(note) = explain::uop(&u.name) {
        lines.push(Line::styled(note, THEME.text));
    }
    let jumps = f.is_some_and(|f| f & (flags::HAS_DEOPT | flags::HAS_EXIT | flags::HAS_ERROR) != 0);
    if let Some(check) = explain::uop_check(&u.name) {
        lines.push(Line::styled(
            format!("A guard: it checks that {check}."),
            THEME.text,
        ));
    } else if let Some(f) = f {
        let mut kinds = Vec::new();
        if f & flags::HAS_DEOPT != 0 {
            kinds.push("can deoptimize (a guard)");
        }
        if f & flags::HAS_EXIT != 0 {
            kinds.push("can exit the trace");
        }
        if f & flags::HAS_ERROR != 0 {
            kinds.push("can raise");
        }
        if f & flags::HAS_ESCAPES != 0 {
            kinds.push("can run arbitrary code");
        }
        if !kinds.is_empty() {
            lines.push(Line::styled(
                format!("This uop {}.", kinds.join(", ")),
                THEME.text,
            ));
        }
    }
    // Uops that can exit, deoptimize or raise hold two stub indices in `target`.
    if jumps && !is_stub && u.target >= 0 {
        let t = u.target as u64;
        let (jump, error) = ((t & 0xffff) as usize, ((t >> 16) & 0xffff) as usize);
        let guard = f.is_some_and(|f| f & (flags::HAS_DEOPT | flags::HAS_EXIT) != 0);
        if guard {
            lines.extend(exit_lines(cap, ex, jump, "the check"));
        }
        if f.is_some_and(|f| f & flags::HAS_ERROR != 0) && error > 0 {
            lines.extend(exit_lines(cap, ex, error, "it"));
        }
    }
    let known = target.is_some() || u.code_index.is_some();
    if known || !jumps {
        lines.extend(origin_lines(cap, target, is_stub));
    } else {
        lines.push(Line::styled(
            "Its target field holds stub uops (jump target, error target), not an instruction: which instruction it comes from cannot be told from a recording.",
            dim(),
        ));
    }
    if let Some(k) = u.unoptimized_index {
        if let Some(o) = ex.unoptimized.get(k as usize) {
            if o.name != u.name {
                let how = if u.name.starts_with(&format!("{}_", o.name)) {
                    format!(
                        "It is {}'s copy specialized for oparg {} (one stencil per oparg value).",
                        o.name, u.oparg
                    )
                } else {
                    format!(
                        "The optimizer made it from {} (press u to compare).",
                        o.name
                    )
                };
                lines.push(Line::styled(how, dim()));
            }
        }
    }
    lines
}

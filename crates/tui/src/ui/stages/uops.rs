//! The micro-ops pane: each executor (code object, offset, validity) and its uops (index, name,
//! oparg, target), with the instruction a target points at when the capture determines it.

use super::{dim, render_empty, render_rows};
use crate::app::stages::{code_of, executors, UopRow};
use crate::app::App;
use crate::ui::theme::THEME;
use crate::ui::Areas;
use cpyviz_model::capture::{Capture, Stage};
use cpyviz_model::tables::{flags, for_version};
use cpyviz_model::uops::Executor;
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

pub(super) fn render(app: &App, areas: &Areas, buf: &mut Buffer) {
    let cap = app.capture();
    let exs = executors(cap).unwrap_or(&[]);
    let rows = &app.later_rows().uops;
    if rows.is_empty() {
        render_empty(areas, buf, no_executors(app));
        return;
    }
    render_rows(app, areas, buf, |i, selected| {
        let marker = Span::styled(if selected { "▶" } else { " " }, THEME.key);
        match &rows[i] {
            UopRow::Header { exec, .. } => {
                let Some(ex) = exs.get(*exec) else {
                    return Line::raw("");
                };
                Line::from(vec![
                    marker,
                    Span::styled(
                        format!(" Executor for {} at offset {}", ex.qualname, ex.offset),
                        THEME.node,
                    ),
                    Span::styled(
                        format!(" · {} uops · {}", ex.uops.len(), validity(ex)),
                        dim(),
                    ),
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
                if let Some((name, offset)) = target.and_then(|t| instr_name(cap, t.code, t.instr))
                {
                    spans.push(Span::styled(format!("  → {offset} {name}"), THEME.detail));
                }
                Line::from(spans)
            }
        }
    });
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
            vec![
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
                        "A tier-2 trace attached to offset {} of {}: ENTER_EXECUTOR runs it instead of the bytecode.{replaced}",
                        ex.offset, ex.qualname
                    ),
                    THEME.text,
                ),
            ]
        }
        Some(UopRow::Uop { exec, uop, target }) => {
            let Some(u) = exs.get(*exec).and_then(|e| e.uops.get(*uop)) else {
                return vec![];
            };
            let info = tables.uop_by_name(&u.name);
            let f = info.map(|i| match i.uncached.and_then(|b| tables.uop(b)) {
                Some(base) => base.flags,
                None => i.flags,
            });
            let mut kinds = Vec::new();
            if let Some(f) = f {
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
            }
            let mut lines = vec![Line::from(vec![
                Span::styled(u.name.clone(), THEME.opname.add_modifier(Modifier::BOLD)),
                Span::styled(
                    format!(
                        "  · #{uop} · oparg {} · target {} · operand {:#x}",
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
            } else if !kinds.is_empty() {
                lines.push(Line::styled(
                    format!("This uop {}.", kinds.join(", ")),
                    THEME.text,
                ));
            }
            // Uops that can exit, deoptimize or raise hold two stub indices in `target`.
            if f.is_some_and(|f| f & (flags::HAS_DEOPT | flags::HAS_EXIT | flags::HAS_ERROR) != 0)
                && target.is_none()
                && u.target >= 0
            {
                let t = u.target as u64;
                lines.push(Line::styled(
                    format!(
                        "Its target field holds stub uops instead of an instruction: jump target #{}, error target #{}.",
                        t & 0xffff,
                        (t >> 16) & 0xffff
                    ),
                    THEME.text,
                ));
            }
            match target.and_then(|t| instr_name(cap, t.code, t.instr)) {
                Some((name, offset)) => lines.push(Line::styled(
                    format!(
                        "Target {} is the instruction at offset {offset} ({name}); its source is highlighted.",
                        u.target
                    ),
                    THEME.text,
                )),
                None => lines.push(Line::styled(
                    "Which instruction this uop comes from cannot be told from the capture (a jump or error target, another frame, or no target): nothing is highlighted.",
                    dim(),
                )),
            }
            lines
        }
        None => vec![],
    }
}

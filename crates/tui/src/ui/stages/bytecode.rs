//! The bytecode and specialized panes: instructions grouped by source line, with line numbers,
//! jump labels, opargs and argreprs, and a header row per code object.

use super::{dim, render_rows};
use crate::app::stages::{code_of, walk_with_depth, CodeRow};
use crate::app::App;
use crate::ui::theme::THEME;
use crate::ui::Areas;
use cpyviz_model::bytecode::{CodeObject, Instruction};
use cpyviz_model::capture::Stage;
use cpyviz_model::explain;
use cpyviz_model::tables::{for_version, Tables};
use ratatui::buffer::Buffer;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

const OPNAME_WIDTH: usize = 22;
/// Width of the jump-arrow gutter (one space before it).
const JUMP_W: usize = crate::app::stages::JUMP_LANES + 2;

/// A cache entry's value: its code units as a little-endian number (they are 16-bit words).
pub(super) fn cache_value(data: &[u8]) -> String {
    if data.len() > 8 {
        return data.iter().map(|b| format!("{b:02x}")).collect();
    }
    let mut v: u64 = 0;
    for (i, b) in data.iter().enumerate() {
        v |= (*b as u64) << (8 * i);
    }
    v.to_string()
}

pub(super) fn render(app: &App, areas: &Areas, buf: &mut Buffer) {
    let cap = app.capture();
    let Some(root) = code_of(cap, app.stage) else {
        return;
    };
    let codes: Vec<(&CodeObject, usize)> = walk_with_depth(root);
    let rows = app.later_rows().code_rows(app.stage);
    let tables = for_version(cap.version);
    let sel_span = app.selected_span();
    let specialized = app.stage == Stage::Specialized;
    render_rows(app, areas, buf, |i, selected| {
        let marker = Span::styled(if selected { "▶" } else { " " }, THEME.key);
        match &rows[i] {
            CodeRow::Header {
                code,
                depth,
                folded,
            } => {
                let Some((c, _)) = codes.get(*code) else {
                    return Line::raw("");
                };
                let fold = if *folded { "▸ " } else { "▾ " };
                let mut spans = vec![
                    marker,
                    Span::raw("  ".repeat(*depth)),
                    Span::styled(fold, THEME.field),
                    Span::styled(
                        format!("Disassembly of {}", short_repr(&c.repr)),
                        THEME.node,
                    ),
                ];
                if *folded {
                    spans.push(Span::styled(
                        format!("  ({} instructions)", c.instructions.len()),
                        dim(),
                    ));
                }
                Line::from(spans)
            }
            CodeRow::Cache {
                code, instr, entry, ..
            } => {
                let Some(cache) = codes
                    .get(*code)
                    .and_then(|(c, _)| c.instructions.get(*instr))
                    .and_then(|i| i.cache_info.get(*entry))
                else {
                    return Line::raw("");
                };
                let value = cache_value(&cache.data);
                Line::from(vec![
                    marker,
                    Span::raw(" "),
                    Span::raw("    "),
                    Span::styled(
                        format!("{:<JUMP_W$}", app.later_rows().gutter(app.stage, i)),
                        THEME.label,
                    ),
                    Span::raw("       "),
                    Span::styled(format!("{:<OPNAME_WIDTH$}", "CACHE"), dim()),
                    Span::styled(
                        format!(
                            " {}: {value} ({} code unit{})",
                            cache.name,
                            cache.size,
                            if cache.size == 1 { "" } else { "s" }
                        ),
                        dim(),
                    ),
                ])
            }
            CodeRow::Instr { code, instr, span } => {
                let Some(ins) = codes
                    .get(*code)
                    .and_then(|(c, _)| c.instructions.get(*instr))
                else {
                    return Line::raw("");
                };
                // Other instructions of the selected instruction's source range.
                let same = !selected && span.is_some() && *span == sel_span;
                let line = match (ins.starts_line, ins.line_number) {
                    (true, Some(l)) => format!("{l:>4}"),
                    (true, None) => "  --".to_string(),
                    _ => "    ".to_string(),
                };
                let label = ins.label.map_or(String::new(), |l| format!("L{l}:"));
                let op_style = if specialized && is_specialized(tables, ins) {
                    THEME.specialized
                } else {
                    THEME.opname
                };
                let mut spans = vec![
                    marker,
                    Span::styled(if same { "•" } else { " " }, THEME.key),
                    Span::styled(line, THEME.gutter),
                    Span::styled(
                        format!("{:<JUMP_W$}", app.later_rows().gutter(app.stage, i)),
                        THEME.label,
                    ),
                    Span::styled(format!("{label:>5} "), THEME.label),
                    Span::styled(format!("{:<OPNAME_WIDTH$}", ins.opname), op_style),
                ];
                if let Some(arg) = ins.arg {
                    spans.push(Span::styled(format!(" {arg:>4}"), THEME.token_number));
                    if !ins.argrepr.is_empty() {
                        spans.push(Span::styled(format!("  ({})", ins.argrepr), THEME.detail));
                    }
                }
                Line::from(spans)
            }
        }
    });
}

/// `repr(code)` without its file name (every code object of a capture has the same one; the
/// explain panel shows the whole repr).
pub(super) fn short_repr(repr: &str) -> String {
    if let Some(start) = repr.find(", file \"") {
        if let Some(end) = repr[start..].find("\", line ") {
            return format!("{}{}", &repr[..start], &repr[start + end + 1..]);
        }
    }
    repr.to_string()
}

/// The opcode number of an instruction in `tables` (by name, which both engines record).
fn opcode(tables: &Tables, ins: &Instruction) -> Option<u16> {
    tables.opcode_number(&ins.opname).or_else(|| {
        u16::try_from(ins.opcode)
            .ok()
            .filter(|&o| tables.opcode(o).is_some())
    })
}

/// The base instruction of a specialized form (`None` when `ins` is a base instruction).
pub(super) fn base_name(tables: &Tables, ins: &Instruction) -> Option<&'static str> {
    let op = opcode(tables, ins)?;
    let base = tables.deopt(op)?;
    (base != op).then(|| tables.opcode_name(base)).flatten()
}

pub(super) fn is_specialized(tables: &Tables, ins: &Instruction) -> bool {
    base_name(tables, ins).is_some()
}

/// The selected instruction of the pane, if a row with one is selected.
fn selected_instr(app: &App) -> Option<(&CodeObject, &Instruction)> {
    let root = code_of(app.capture(), app.stage)?;
    let row = app
        .later_rows()
        .code_rows(app.stage)
        .get(app.selected_row())?;
    let CodeRow::Instr { code, instr, .. } = row else {
        return None;
    };
    let c = root.walk().into_iter().nth(*code)?;
    Some((c, c.instructions.get(*instr)?))
}

pub(super) fn selection_lines(app: &App) -> Vec<Line<'static>> {
    let cap = app.capture();
    let tables = for_version(cap.version);
    if let Some(CodeRow::Header { code, .. }) = app
        .later_rows()
        .code_rows(app.stage)
        .get(app.selected_row())
    {
        let Some(c) = code_of(cap, app.stage).and_then(|r| r.walk().into_iter().nth(*code)) else {
            return vec![];
        };
        return vec![
            Line::from(vec![
                Span::styled(c.qualname.clone(), THEME.node),
                Span::styled(
                    format!(
                        "  · line {} · {} instructions · {} bytes of code · stack size {} · {} locals",
                        c.firstlineno,
                        c.instructions.len(),
                        c.code_len,
                        c.stacksize,
                        c.nlocals
                    ),
                    dim(),
                ),
            ]),
            Line::styled(c.repr.clone(), dim()),
            Line::styled(
                "A code object: bytecode plus its constants, names, line table and exception table. Enter folds or unfolds it.",
                THEME.text,
            ),
        ];
    }
    if let Some(CodeRow::Cache {
        code, instr, entry, ..
    }) = app
        .later_rows()
        .code_rows(app.stage)
        .get(app.selected_row())
    {
        let c = code_of(cap, app.stage).and_then(|r| r.walk().into_iter().nth(*code));
        let Some(ins) = c.and_then(|c| c.instructions.get(*instr)) else {
            return vec![];
        };
        let Some(cache) = ins.cache_info.get(*entry) else {
            return vec![];
        };
        return vec![
            Line::from(vec![
                Span::styled("CACHE", THEME.opname.add_modifier(Modifier::BOLD)),
                Span::styled(
                    format!(
                        " — `{}` of {} ({} code unit{}, value {})",
                        cache.name,
                        ins.opname,
                        cache.size,
                        if cache.size == 1 { "" } else { "s" },
                        cache_value(&cache.data)
                    ),
                    THEME.text,
                ),
            ]),
            Line::styled(
                if app.stage == Stage::Bytecode {
                    "Inline caches follow their instruction in co_code. The adaptive interpreter keeps a warm-up counter and, once the instruction is specialized, the facts its guards check (type versions, dict keys versions, indexes) here. This is the freshly compiled code object: its caches are all zero.".to_string()
                } else {
                    let bits = cpyviz_model::tables::for_version(cap.version)
                        .constant("BACKOFF_BITS")
                        .unwrap_or(4);
                    format!(
                        "Inline caches follow their instruction in co_code: here, as the run left them. A counter holds a {}-bit value and a {bits}-bit backoff exponent: the instruction tries to specialize when the value reaches 0; once specialized, the facts its guards check (type versions, dict keys versions, indexes) are kept here.",
                        16 - bits
                    )
                },
                THEME.text,
            ),
        ];
    }
    let Some((_, ins)) = selected_instr(app) else {
        return vec![];
    };
    let base = base_name(tables, ins);
    let base_op = base.unwrap_or(ins.opname.as_str()).to_string();
    let op = opcode(tables, ins);
    let mut head = vec![Span::styled(
        ins.opname.clone(),
        if base.is_some() {
            THEME.specialized
        } else {
            THEME.opname.add_modifier(Modifier::BOLD)
        },
    )];
    let caches = op.map_or(0, |o| tables.cache_entries(o));
    let cache_text = match caches {
        0 => "no cache entries".to_string(),
        1 => "1 cache entry".to_string(),
        n => format!("{n} cache entries"),
    };
    match base {
        Some(b) => head.push(Span::styled(
            format!(" — specialized form of {b} ({cache_text})"),
            THEME.text,
        )),
        None => head.push(Span::styled(format!(" — {cache_text}"), THEME.text)),
    }
    if let Some((pops, pushes)) =
        op.and_then(|o| tables.stack_effect(o, ins.arg.map_or(0, |a| a as i32)))
    {
        head.push(Span::styled(
            format!("; pops {pops}, pushes {pushes}"),
            THEME.text,
        ));
    }
    let at = match ins.line_number {
        Some(l) => format!("  · offset {} · line {l}", ins.offset),
        None => format!("  · offset {}", ins.offset),
    };
    head.push(Span::styled(at, dim()));
    let mut lines = vec![Line::from(head)];
    if let Some(m) = explain::oparg(tables, &base_op, ins) {
        lines.push(Line::styled(m, Style::new().fg(THEME.fg)));
    }
    match explain::opcode(&base_op) {
        Some(text) => lines.push(Line::styled(text, THEME.text)),
        None if op.is_none() => lines.push(Line::styled(
            format!(
                "{} is not in cpyviz's opcode tables for CPython {}.",
                ins.opname,
                cap.display_version()
            ),
            dim(),
        )),
        None => {}
    }
    if app.stage == Stage::Specialized {
        lines.extend(executor_lines(app, ins));
    }
    lines
}

/// Tier 2's part in the selected instruction: the executor attached there (`ENTER_EXECUTOR`),
/// or the executors' uops made from it.
fn executor_lines(app: &App, ins: &cpyviz_model::bytecode::Instruction) -> Vec<Line<'static>> {
    use crate::app::stages::{executor_at, UopRow};
    let cap = app.capture();
    let Some(CodeRow::Instr { code, instr, .. }) = app
        .later_rows()
        .code_rows(app.stage)
        .get(app.selected_row())
        .cloned()
    else {
        return vec![];
    };
    if let Some(e) = executor_at(cap, code, ins.offset) {
        return vec![Line::styled(
            format!(
                "◆ ENTER_EXECUTOR: tier 2 installed executor #{e} here; the interpreter runs its trace instead of this instruction (dis shows the instruction it replaced). Enter opens it."
            ),
            THEME.key,
        )];
    }
    let n = app
        .later_rows()
        .uops
        .iter()
        .filter(|r| matches!(r, UopRow::Uop { target: Some(t), .. } if t.code == code && t.instr == instr))
        .count();
    if n == 0 {
        return vec![];
    }
    vec![Line::styled(
        format!(
            "In a trace: {n} micro-op{} of the executors come from this instruction. Enter shows the first.",
            if n == 1 { "" } else { "s" }
        ),
        THEME.text,
    )]
}

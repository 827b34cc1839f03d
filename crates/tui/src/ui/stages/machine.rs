//! The recorded machine code: each executor's real JIT code, disassembled (Intel syntax) once
//! when the capture is loaded, with addresses and bytes. The JIT pane ([`super::jit`]) shows it
//! after the model region; this pane alone is for captures whose engine builds no JIT stages.

use super::{dim, render_empty, render_rows};
use crate::app::stages::{executors, MachineRow};
use crate::app::App;
use crate::theme::Theme;
use crate::ui::Areas;
use ratatui::buffer::Buffer;
use ratatui::text::{Line, Span};

const HEX_WIDTH: usize = 22;
/// Where annotations start, counted from the mnemonic.
const NOTE_COLUMN: usize = 26;

pub(super) fn render(app: &App, areas: &Areas, buf: &mut Buffer) {
    let exs = executors(app.capture()).unwrap_or(&[]);
    let rows = &app.later_rows().machine;
    if rows.is_empty() {
        render_empty(areas, buf, super::uops::no_executors(app));
        return;
    }
    // A narrow pane drops the bytes column (the Explain pane shows them) so that the
    // annotations stay visible.
    let show_hex = areas.stage_inner.width >= 100;
    let th = app.theme();
    render_rows(app, areas, buf, |i, selected| {
        real_line(th, exs, &rows[i], selected, show_hex)
    });
}

/// A row of the recorded listing: an executor's header, a note, an instruction.
pub(super) fn real_line(
    th: &Theme,
    exs: &[cpyviz_model::uops::Executor],
    row: &MachineRow,
    selected: bool,
    show_hex: bool,
) -> Line<'static> {
    let marker = Span::styled(if selected { "▶" } else { " " }, th.key);
    match row {
        MachineRow::Header { exec, .. } => {
            let Some(ex) = exs.get(*exec) else {
                return Line::raw("");
            };
            let size = match (&ex.jit_code, ex.jit_address) {
                (Some(c), Some(a)) => format!(" · {} bytes at {a:#x}", c.len()),
                (Some(c), None) => format!(" · {} bytes (address unknown)", c.len()),
                (None, _) => String::new(),
            };
            Line::from(vec![
                marker,
                Span::styled(
                    format!(" Executor for {} at offset {}", ex.qualname, ex.offset),
                    th.node,
                ),
                Span::styled(format!(" · {} uops{size}", ex.uops.len()), dim(th)),
            ])
        }
        MachineRow::Note { text, .. } => {
            Line::from(vec![marker, Span::styled(format!("  {text}"), dim(th))])
        }
        MachineRow::Asm { line, .. } => {
            let hex = if line.hex.len() > HEX_WIDTH {
                format!("{}…", &line.hex[..HEX_WIDTH - 1])
            } else {
                line.hex.clone()
            };
            let (mnemonic, operands) = line
                .text
                .split_once(' ')
                .unwrap_or((line.text.as_str(), ""));
            let mut spans = vec![
                marker,
                Span::styled(format!(" {:012x} ", line.address), th.gutter),
                Span::styled(
                    if show_hex {
                        format!("{hex:<HEX_WIDTH$} ")
                    } else {
                        String::new()
                    },
                    dim(th),
                ),
                Span::styled(format!("{mnemonic} "), th.opname),
            ];
            if line.note.is_empty() {
                spans.push(Span::styled(operands.to_string(), th.text));
            } else {
                let width = NOTE_COLUMN.saturating_sub(mnemonic.chars().count() + 1);
                spans.push(Span::styled(format!("{operands:<width$}"), th.text));
                spans.push(Span::styled(format!(" ; {}", line.note), dim(th)));
            }
            Line::from(spans)
        }
    }
}

pub(super) fn selection_lines(app: &App) -> Vec<Line<'static>> {
    real_selection_lines(app, app.later_rows().machine.get(app.selected_row()))
}

/// What a row of the recorded listing means.
pub(super) fn real_selection_lines(app: &App, row: Option<&MachineRow>) -> Vec<Line<'static>> {
    let th = app.theme();
    let exs = executors(app.capture()).unwrap_or(&[]);
    match row {
        Some(MachineRow::Header { exec, .. }) | Some(MachineRow::Note { exec, .. }) => {
            let Some(ex) = exs.get(*exec) else {
                return vec![];
            };
            let what = match (&ex.jit_code, ex.jit_address) {
                (Some(c), Some(a)) => format!("{} bytes of machine code at {a:#x}", c.len()),
                (Some(c), None) => format!(
                    "{} bytes of machine code; its address was not recorded ({}), so addresses count from 0",
                    c.len(),
                    ex.jit_note.as_deref().unwrap_or("no reason given")
                ),
                (None, _) => format!(
                    "no machine code ({})",
                    ex.jit_note.as_deref().unwrap_or("none recorded")
                ),
            };
            vec![
                Line::from(vec![
                    Span::styled(format!("Executor for {}", ex.qualname), th.node),
                    Span::styled(
                        format!(
                            "  · offset {} · {} uops · {}",
                            ex.offset,
                            ex.uops.len(),
                            super::uops::validity(ex)
                        ),
                        dim(th),
                    ),
                ]),
                Line::styled(
                    format!("The JIT stitched this trace's stencils into {what}."),
                    th.text,
                ),
            ]
        }
        Some(MachineRow::Asm { exec, line, .. }) => {
            let owner = exs
                .get(*exec)
                .map_or(String::new(), |e| format!(" · executor for {}", e.qualname));
            let mut lines = vec![
                Line::from(vec![
                    Span::styled(line.text.clone(), th.opname),
                    Span::styled(
                        format!(
                            "  · {:#x} · {} bytes: {}{owner}",
                            line.address,
                            line.hex.len() / 2,
                            line.hex
                        ),
                        dim(th),
                    ),
                ]),
                Line::styled(
                    "x86-64 machine code in Intel syntax (decoded with iced-x86).",
                    th.text,
                ),
                match line.uop.and_then(|u| Some((u, exs.get(*exec)?.uops.get(u)?))) {
                    Some((u, uop)) => Line::styled(
                        format!(
                            "Part of the stencil of uop #{u} {}: the JIT patched that uop's operand into this instruction.",
                            uop.name
                        ),
                        th.text,
                    ),
                    None => Line::styled(
                        "Uop: unassigned (only an instruction holding an operand unique to one uop can be tied to it; stencil boundaries are not recorded).",
                        dim(th),
                    ),
                },
            ];
            if !line.note.is_empty() {
                lines.insert(
                    1,
                    Line::styled(
                        format!("; {} (as the recording process resolved it)", line.note),
                        dim(th),
                    ),
                );
            }
            lines
        }
        None => vec![],
    }
}

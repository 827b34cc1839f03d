//! The machine-code pane on the JIT stages of the capture's engine: for each executor, the
//! model region uop by uop (the stencil used, its holes, its disassembly after patching or
//! before, the bytes of holes highlighted, each patched operand annotated), the trampolines,
//! the trace GOT, the checks against the real region, then the real machine code as recorded.

use super::machine::{real_line, real_selection_lines};
use super::{dim, render_rows};
use crate::app::jit::{
    asm_lines, destination_text, groups, hole_bytes, line_destination, line_holes, line_target,
    memory_key, HoleRef, JitRow, JitState, Section,
};
use crate::app::stages::executors;
use crate::app::App;
use crate::ui::theme::THEME;
use crate::ui::Areas;
use cpyviz_model::capture::{Stage, StageStatus};
use cpyviz_model::explain;
use cpyviz_model::jit::{
    jit_facts, AsmText, Destination, ExecutorJit, PatchedHole, PlacedGroup, Region, Via,
};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget, Wrap};

/// Bytes shown in the hex column (a longer instruction ends in `…`).
const HEX_BYTES: usize = 10;
/// Where annotations start, counted from the mnemonic.
const NOTE_COLUMN: usize = 30;

/// "built-in stencils: a model" or "imported stencils", once the view is there.
pub(super) fn stencils_label(app: &App) -> Option<&'static str> {
    let v = app.jit().view()?;
    Some(if v.stencils_are_model {
        "built-in stencils: a model"
    } else {
        "imported stencils"
    })
}

/// The first line of both JIT panes: the stencils, the memory model, the target (and, on the
/// machine code, whether the bytes are patched; on the trampolines, the worked example).
pub(super) fn options_bar(app: &App, areas: &Areas, buf: &mut Buffer) {
    let inner = areas.stage_inner;
    if inner.height == 0 {
        return;
    }
    let rect = Rect::new(inner.x, inner.y, inner.width, 1);
    buf.set_style(rect, THEME.options);
    let j = app.jit();
    let stencils = match (j.view(), &j.options.stencils) {
        (Some(v), _) if v.stencils_are_model => "built-in stencils: a model".to_string(),
        (Some(_), _) => "imported stencils".to_string(),
        (None, cpyviz_model::jit::StencilChoice::Builtin) => "built-in stencils: a model".into(),
        (None, _) => "imported stencils".into(),
    };
    let chosen = memory_key(&j.options.memory).to_string();
    // "recorded" falls back to a preset when the capture recorded no addresses.
    let used = j
        .view()
        .and_then(|v| v.memory.strip_prefix("model \""))
        .and_then(|p| p.split('"').next())
        .filter(|used| *used != chosen)
        .map(str::to_string);
    let memory = |long: bool| match (&used, long) {
        (Some(u), true) => format!("memory {chosen} → {u} (no addresses recorded)"),
        (Some(u), false) => format!("memory {u} (none recorded)"),
        (None, _) => format!("memory {chosen}"),
    };
    let target = |full: bool| {
        j.view().map_or_else(
            || "…".to_string(),
            |v| {
                let t = v.target.to_string();
                if full {
                    t
                } else {
                    t.replace("-unknown", "")
                }
            },
        )
    };
    let mode = match app.stage {
        Stage::Trampolines if j.example => "example",
        Stage::Trampolines => "w example",
        _ if j.patched => "patched",
        _ => "stencils before patching",
    };
    let key = THEME.options.fg(THEME.key.fg.unwrap_or(THEME.fg));
    let text = THEME.options;
    let short_stencils = |level: usize| match (level, stencils.as_str()) {
        (0 | 1, s) => s.to_string(),
        (2, "built-in stencils: a model") => "model stencils".into(),
        (_, "built-in stencils: a model") => "model".into(),
        (2, _) => "imported stencils".into(),
        _ => "imported".into(),
    };
    // The longest form that fits.
    let bar = |level: usize| {
        let memory = match level {
            0 => memory(true),
            1 | 2 => memory(false),
            _ => format!("memory {}", used.as_deref().unwrap_or(&chosen)),
        };
        Line::from(vec![
            Span::styled(
                format!(" {}", short_stencils(level)),
                text.add_modifier(Modifier::BOLD),
            ),
            Span::styled(" s", key),
            Span::styled(format!(" · {memory}"), text),
            Span::styled(" m", key),
            Span::styled(format!(" · {}", target(level < 2)), text),
            Span::styled(" t", key),
            Span::styled(format!(" · {mode}"), text),
        ])
    };
    let line = (0..3)
        .map(bar)
        .find(|l| l.width() <= rect.width as usize)
        .unwrap_or_else(|| bar(3));
    line.render(rect, buf);
}

pub(super) fn render(app: &App, areas: &Areas, buf: &mut Buffer) {
    options_bar(app, areas, buf);
    let j = app.jit();
    let rows = &j.machine;
    let only_note = rows.iter().all(|r| matches!(r, JitRow::Note { .. }));
    if only_note {
        render_note(app, areas, buf);
        return;
    }
    let show_hex = areas.stage_inner.width >= 60;
    let exs = executors(app.capture()).unwrap_or(&[]);
    render_rows(app, areas, buf, |i, selected| {
        let marker = Span::styled(if selected { "▶" } else { " " }, THEME.key);
        match &rows[i] {
            JitRow::Real(row) => real_line(exs, row, selected, show_hex),
            row => {
                let mut spans = vec![marker];
                spans.extend(row_spans(app, j, row, show_hex));
                Line::from(spans)
            }
        }
    });
}

/// The pane when there is nothing but the view's note (or nothing yet): the note, plainly.
pub(super) fn render_note(app: &App, areas: &Areas, buf: &mut Buffer) {
    let inner = areas.stage_inner;
    let rect = Rect::new(
        inner.x,
        inner.y + 1.min(inner.height),
        inner.width,
        inner.height.saturating_sub(1),
    );
    let cap = app.capture();
    let j = app.jit();
    let mut lines = Vec::new();
    if matches!(cap.status_now(app.stage), StageStatus::NotBuilt) {
        lines.push(Line::styled(
            format!(
                "{} is not built yet in the {}:",
                app.stage.title(),
                cap.engine.label()
            ),
            THEME.emphasis,
        ));
    }
    match (j.view(), j.computing()) {
        (_, true) | (None, _) => lines.push(Line::styled(
            "Compiling the traces with cpyviz's copy-and-patch model…",
            THEME.emphasis,
        )),
        (Some(v), _) => {
            let note = v
                .note
                .clone()
                .unwrap_or_else(|| "No executor: there is no trace to compile.".into());
            lines.push(Line::styled(note, THEME.text));
            lines.push(Line::raw(""));
            lines.push(Line::styled(
                format!("Stencils: {}.", stencils_or_choice(v)),
                dim(),
            ));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(explain::stage(app.stage), THEME.text));
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        "Nothing is shown here rather than something made up.",
        dim(),
    ));
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render(rect, buf);
}

/// The view's stencil label, or the choice when no set could be loaded.
fn stencils_or_choice(v: &cpyviz_model::jit::JitView) -> String {
    if !v.stencils.is_empty() {
        return v.stencils.clone();
    }
    match v.options.stencils {
        cpyviz_model::jit::StencilChoice::Builtin => "built-in (a model)".into(),
        _ => "imported (none available)".into(),
    }
}

fn group_title(g: &PlacedGroup) -> String {
    match g.index {
        Some(i) => format!("[{i}] {}", g.uop),
        None => g.uop.clone(),
    }
}

/// `[4] _GUARD_TOS_INT → stencil _GUARD_TOS_INT_r22 · code +0x4a..+0x70 · careful: int guard`
pub(super) fn group_header(g: &PlacedGroup) -> String {
    let mut s = group_title(g);
    if g.stencil != g.uop {
        s.push_str(&format!(" → stencil {}", g.stencil));
    }
    s.push_str(&format!(" · code +{:#x}..+{:#x}", g.code.start, g.code.end));
    if !g.data.is_empty() {
        s.push_str(&format!(" · data +{:#x}..+{:#x}", g.data.start, g.data.end));
    }
    if !g.shape.is_empty() {
        s.push_str(&format!(" · {}", g.shape));
    }
    s
}

pub(super) fn via_text(v: Via) -> &'static str {
    match v {
        Via::Direct => "direct",
        Via::Relaxed => "relaxed",
        Via::Trampoline => "through a trampoline",
        Via::InRange => "in range: direct",
    }
}

/// `hole 0: code +0x2 R_X86_64_64 patch_64 = 0x1f · direct → a value · instruction->oparg`
/// (the expression last: it can be long). An inferred kind has a `*`.
pub(super) fn hole_text(r: &Region, i: usize, h: &PatchedHole) -> String {
    format!(
        "hole {i}: {} +{:#x} {}{} {} = {:#x} · {} → {} · {}",
        if h.in_data { "data" } else { "code" },
        h.hole.offset,
        h.hole.kind,
        if h.hole.kind_inferred { "*" } else { "" },
        h.hole.func.name(),
        h.value,
        via_text(h.via),
        destination_text(r, &h.destination),
        if h.expr.is_empty() {
            "(no value expression)"
        } else {
            &h.expr
        }
    )
}

/// The bytes of a line, as the listing shows them (the region's after patching, the
/// stencil's before).
fn line_bytes(r: &Region, g: Option<&PlacedGroup>, a: &AsmText, patched: bool) -> Vec<u8> {
    let from_region = || r.bytes.get(a.offset..a.offset + a.len).map(<[u8]>::to_vec);
    let from_stencil = || {
        let g = g?;
        let start = a.offset.checked_sub(g.code.start)?;
        g.code_stencil.get(start..start + a.len).map(<[u8]>::to_vec)
    };
    let found = if patched || g.is_none() {
        from_region()
    } else {
        from_stencil()
    };
    found.unwrap_or_else(|| {
        let hex: String = a.hex.chars().filter(|c| c.is_ascii_hexdigit()).collect();
        (0..hex.len() / 2)
            .filter_map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok())
            .collect()
    })
}

/// The hex column, each byte of a hole highlighted (the stepped hole's brighter).
pub(super) fn hex_spans(
    r: &Region,
    g: Option<&PlacedGroup>,
    a: &AsmText,
    patched: bool,
    stepped: Option<usize>,
) -> Vec<Span<'static>> {
    let bytes = line_bytes(r, g, a, patched);
    let holes = g.map_or_else(Vec::new, |g| line_holes(g, a));
    let mut spans = Vec::new();
    let shown = if bytes.len() > HEX_BYTES {
        HEX_BYTES - 1
    } else {
        bytes.len()
    };
    for (k, b) in bytes.iter().take(shown).enumerate() {
        let at = a.offset + k;
        let hole = g.and_then(|g| {
            holes.iter().copied().find(|&hi| {
                g.holes
                    .get(hi)
                    .is_some_and(|h| hole_bytes(g, h).iter().any(|range| range.contains(&at)))
            })
        });
        let style = match hole {
            Some(hi) if Some(hi) == stepped => THEME.hole_selected,
            Some(_) => THEME.hole,
            None => dim(),
        };
        spans.push(Span::styled(format!("{b:02x}"), style));
    }
    let mut width = shown * 2;
    if bytes.len() > shown {
        spans.push(Span::styled("…", dim()));
        width += 1;
    }
    spans.push(Span::raw(
        " ".repeat(HEX_BYTES * 2 + 1 - width.min(HEX_BYTES * 2)),
    ));
    spans
}

/// One disassembled line: offset, bytes, instruction, and what its holes were patched with
/// (or where it leads).
pub(super) fn asm_spans(
    r: &Region,
    g: Option<&PlacedGroup>,
    a: &AsmText,
    patched: bool,
    show_hex: bool,
    stepped: Option<usize>,
) -> Vec<Span<'static>> {
    let mut spans = vec![Span::styled(format!(" +{:05x} ", a.offset), THEME.gutter)];
    if show_hex {
        spans.extend(hex_spans(r, g, a, patched, stepped));
    }
    let (mnemonic, operands) = a.text.split_once(' ').unwrap_or((a.text.as_str(), ""));
    spans.push(Span::styled(format!("{mnemonic} "), THEME.opname));
    let holes = g.map_or_else(Vec::new, |g| line_holes(g, a));
    let notes: Vec<String> = match g {
        Some(g) => holes
            .iter()
            .filter_map(|&i| Some((i, g.holes.get(i)?)))
            .map(|(i, h)| {
                if patched {
                    format!("hole {i}: {}", h.note)
                } else {
                    format!(
                        "hole {i}: {}({}), not patched yet",
                        h.hole.func.name(),
                        h.expr
                    )
                }
            })
            .collect(),
        None => Vec::new(),
    };
    let note = if !notes.is_empty() {
        notes.join("; ")
    } else {
        match line_destination(g, a) {
            Some(Destination::Value) | None => String::new(),
            Some(d) => format!("→ {}", destination_text(r, &d)),
        }
    };
    if note.is_empty() {
        spans.push(Span::styled(operands.to_string(), THEME.text));
    } else {
        let width = NOTE_COLUMN.saturating_sub(mnemonic.chars().count() + 1);
        spans.push(Span::styled(format!("{operands:<width$}"), THEME.text));
        let style = if stepped.is_some_and(|s| holes.contains(&s)) {
            THEME.label
        } else {
            dim()
        };
        spans.push(Span::styled(format!(" ; {note}"), style));
    }
    spans
}

fn layout_text(r: &Region) -> String {
    let l = &r.layout;
    let mut parts = vec![format!("{} bytes at {:#x}", r.bytes.len(), r.base)];
    for (name, range) in [
        ("shim", &l.shim),
        ("code", &l.code),
        ("trampolines", &l.trampolines),
        ("code padding", &l.code_padding),
        ("data", &l.data),
        ("GOT", &l.got),
        ("padding", &l.padding),
    ] {
        if !range.is_empty() {
            parts.push(format!("{name} +{:#x}..+{:#x}", range.start, range.end));
        }
    }
    parts.join(" · ")
}

fn row_spans(app: &App, j: &JitState, row: &JitRow, show_hex: bool) -> Vec<Span<'static>> {
    let exs = executors(app.capture()).unwrap_or(&[]);
    let stepped = j.hole;
    match row {
        JitRow::Note { text, computing } => vec![Span::styled(
            format!(" {text}"),
            if *computing {
                THEME.emphasis
            } else {
                THEME.key
            },
        )],
        JitRow::Executor { exec } => {
            let ex = j.executor(*exec);
            let recorded = exs.get(*exec);
            let (name, offset) = match (ex, recorded) {
                (Some(e), _) => (e.qualname.clone(), e.offset),
                (None, Some(e)) => (e.qualname.clone(), e.offset),
                _ => (String::new(), 0),
            };
            let mut s = vec![Span::styled(
                format!(" Executor for {name} at offset {offset}"),
                THEME.node,
            )];
            if let Some(e) = recorded {
                s.push(Span::styled(format!(" · {} uops", e.uops.len()), dim()));
            }
            if let Some(e) = ex {
                let trace = if e.trace_source.starts_with("recorded") {
                    "trace recorded"
                } else if e.trace_source.starts_with("the built-in tier 2") {
                    "trace from the built-in tier 2 (a model)"
                } else {
                    "trace worked out by cpyviz"
                };
                s.push(Span::styled(format!(" · {trace}"), dim()));
            }
            s
        }
        JitRow::Region { exec } => match j.executor(*exec).map(|e| &e.region) {
            Some(Ok(r)) => vec![
                Span::styled(
                    format!(
                        "  model region ({}): ",
                        if r.stencils_are_model {
                            "built-in stencils: a model"
                        } else {
                            "imported stencils"
                        }
                    ),
                    THEME.emphasis,
                ),
                Span::styled(layout_text(r), dim()),
            ],
            Some(Err(e)) => vec![Span::styled(format!("  no model region: {e}"), THEME.error)],
            None => vec![],
        },
        JitRow::Group { exec, group } => {
            let Some(g) = j.region(*exec).and_then(|r| groups(r).get(*group).copied()) else {
                return vec![];
            };
            let holes = if g.holes.is_empty() {
                String::new()
            } else {
                format!(
                    " · {} hole{}",
                    g.holes.len(),
                    if g.holes.len() == 1 { "" } else { "s" }
                )
            };
            vec![
                Span::styled(
                    format!(" {}", group_header(g)),
                    THEME.opname.add_modifier(Modifier::BOLD),
                ),
                Span::styled(holes, dim()),
            ]
        }
        JitRow::Hole { exec, group, hole } => {
            let Some((r, _, h)) = j.patched_hole(HoleRef {
                exec: *exec,
                group: *group,
                hole: *hole,
            }) else {
                return vec![];
            };
            let me = HoleRef {
                exec: *exec,
                group: *group,
                hole: *hole,
            };
            let label_style = if stepped == Some(me) {
                THEME.hole_selected
            } else {
                THEME.label
            };
            let text = hole_text(r, *hole, h);
            let (label, rest) = text.split_once(':').unwrap_or((&text, ""));
            vec![
                Span::raw("    "),
                Span::styled(label.to_string(), label_style),
                Span::styled(format!(":{rest}"), THEME.detail),
            ]
        }
        JitRow::Asm { exec, group, line } => {
            let Some(ex) = j.executor(*exec) else {
                return vec![];
            };
            let Ok(r) = &ex.region else { return vec![] };
            let g = groups(r).get(*group).copied();
            let Some(a) = asm_lines(ex, *group, j.patched).get(*line) else {
                return vec![];
            };
            let stepped = stepped
                .filter(|h| h.exec == *exec && h.group == *group)
                .map(|h| h.hole);
            asm_spans(r, g, a, j.patched, show_hex, stepped)
        }
        JitRow::Section { exec, section } => {
            let text = match section {
                Section::Trampolines => match j.region(*exec) {
                    Some(r) if !r.trampolines.is_empty() => format!(
                        " Trampolines · {} slot(s) of {} bytes at +{:#x} (the explainer: key 7)",
                        r.trampolines.len(),
                        jit_facts(r.version, r.target).trampoline_size,
                        r.layout.trampolines.start
                    ),
                    _ => " Trampolines".into(),
                },
                Section::Got => match j.region(*exec) {
                    Some(r) if !r.got.is_empty() => format!(
                        " Trace GOT · {} slot(s) of 8 bytes at +{:#x}",
                        r.got.len(),
                        r.layout.got.start
                    ),
                    _ => " Trace GOT".into(),
                },
                Section::Check => " Checked against the real region".into(),
                Section::Real => match exs.get(*exec) {
                    Some(e) => match (&e.jit_code, e.jit_address) {
                        (Some(c), Some(a)) => format!(
                            " Real machine code, as recorded · {} bytes at {a:#x}",
                            c.len()
                        ),
                        _ => " Real machine code, as recorded".into(),
                    },
                    None => " Real machine code, as recorded".into(),
                },
            };
            vec![Span::styled(text, THEME.node)]
        }
        JitRow::Text { text, .. } => vec![Span::styled(format!("    {text}"), dim())],
        JitRow::Trampoline { exec, line } => {
            let Some(ex) = j.executor(*exec) else {
                return vec![];
            };
            let (Ok(r), Some(a)) = (&ex.region, ex.trampoline_asm.get(*line)) else {
                return vec![];
            };
            let mut s = vec![Span::raw("  ")];
            s.extend(asm_spans(r, None, a, true, show_hex, None));
            s
        }
        JitRow::Got { exec, slot } => {
            let Some(g) = j.region(*exec).and_then(|r| r.got.get(*slot)) else {
                return vec![];
            };
            vec![Span::styled(
                format!(
                    "    ordinal {:>3} {:<32} slot {:#x} = {:#x}",
                    g.ordinal, g.symbol, g.address, g.value
                ),
                THEME.text,
            )]
        }
        JitRow::Finding { exec, index } => {
            let Some(f) = j
                .executor(*exec)
                .and_then(|e| e.check.as_ref())
                .and_then(|c| c.findings.get(*index))
            else {
                return vec![];
            };
            vec![
                Span::styled(
                    format!("    {} ", if f.agrees { "✓" } else { "✗" }),
                    if f.agrees { THEME.ok } else { THEME.bad },
                ),
                Span::styled(format!("{}: ", f.what), THEME.emphasis),
                Span::styled(
                    format!("predicted {}; found {}", f.predicted, f.found),
                    THEME.text,
                ),
            ]
        }
        JitRow::ByteMatch { exec } => match j.executor(*exec).and_then(|e| e.check.as_ref()) {
            Some(c) => vec![Span::styled(
                format!("    {}", byte_match_text(c)),
                THEME.text,
            )],
            None => vec![],
        },
        JitRow::Real(_) => vec![],
    }
}

fn byte_match_text(c: &cpyviz_model::jit::LiveCheck) -> String {
    let Some((same, total)) = c.byte_match else {
        return String::new();
    };
    let exact = c.per_uop.iter().filter(|(_, a, b)| a == b).count();
    format!(
        "byte for byte: {same} of {total} bytes match ({:.1}%) · uops reproduced exactly: {exact} of {}",
        100.0 * same as f64 / total.max(1) as f64,
        c.per_uop.len()
    )
}

use cpyviz_model::jit::hex_spaced as hex;

/// The Explain pane's lines on a hole: where, how, with what, the bytes before → after.
pub(super) fn hole_lines(
    r: &Region,
    g: &PlacedGroup,
    i: usize,
    h: &PatchedHole,
) -> Vec<Line<'static>> {
    let part = if h.in_data { "data" } else { "code" };
    let kind = if h.hole.kind_inferred {
        format!(
            "{} (inferred from the patch function: headers do not name it)",
            h.hole.kind
        )
    } else {
        h.hole.kind.clone()
    };
    vec![
        Line::from(vec![
            Span::styled(format!("hole {i} of {}", group_title(g)), THEME.key),
            Span::styled(
                format!(
                    "  · {part} +{:#x} · region +{:#x} ({:#x}) · {kind}",
                    h.hole.offset,
                    h.at,
                    r.base + h.at as u64
                ),
                dim(),
            ),
        ]),
        Line::from(vec![
            Span::styled(format!("{}({})", h.hole.func.name(), h.expr), THEME.opname),
            Span::styled(format!(" = {:#x}", h.value), THEME.token_number),
            Span::styled(
                format!(
                    " · {} → {}",
                    via_text(h.via),
                    destination_text(r, &h.destination)
                ),
                THEME.text,
            ),
        ]),
        Line::from(vec![
            Span::styled("bytes: ", dim()),
            Span::styled(hex(&h.before), THEME.diff_old),
            Span::styled(" → ", dim()),
            Span::styled(hex(&h.after), THEME.diff_new),
            Span::styled(
                format!(" (region +{:#x}..+{:#x})", h.span.start, h.span.end),
                dim(),
            ),
        ]),
        Line::styled(h.note.clone(), THEME.text),
    ]
}

fn executor_lines(app: &App, exec: usize, ex: Option<&ExecutorJit>) -> Vec<Line<'static>> {
    let j = app.jit();
    let mut lines = Vec::new();
    if let Some(v) = j.view() {
        lines.push(Line::styled(
            format!("Stencils: {}.", v.stencils),
            THEME.text,
        ));
        if !v.memory.is_empty() {
            lines.push(Line::styled(format!("Memory: {}.", v.memory), dim()));
        }
    }
    if let Some(ex) = ex {
        lines.insert(
            0,
            Line::from(vec![
                Span::styled(format!("Executor for {}", ex.qualname), THEME.node),
                Span::styled(
                    format!(
                        "  · offset {} · trace: {} · target {}",
                        ex.offset,
                        ex.trace_source,
                        j.view().map_or(String::new(), |v| v.target.to_string())
                    ),
                    dim(),
                ),
            ]),
        );
        if let Ok(r) = &ex.region {
            lines.push(Line::styled(
                format!("Model region: {}.", layout_text(r)),
                dim(),
            ));
        }
    } else if let Some(e) = executors(app.capture()).and_then(|e| e.get(exec)) {
        lines.insert(
            0,
            Line::styled(
                format!("Executor for {} (no model)", e.qualname),
                THEME.node,
            ),
        );
    }
    lines
}

pub(super) fn selection_lines(app: &App) -> Vec<Line<'static>> {
    let j = app.jit();
    let mut lines = Vec::new();
    if let Some(f) = &j.followed {
        lines.push(Line::from(vec![
            Span::styled("Followed: ", THEME.key),
            Span::styled(f.clone(), THEME.text),
        ]));
    }
    let row = j.machine.get(j.selected(Stage::MachineCode));
    match row {
        None => {}
        Some(JitRow::Note { text, .. }) => lines.push(Line::styled(text.clone(), THEME.text)),
        Some(JitRow::Executor { exec }) | Some(JitRow::Region { exec }) => {
            lines.extend(executor_lines(app, *exec, j.executor(*exec)))
        }
        Some(JitRow::Group { exec, group }) => {
            if let Some(r) = j.region(*exec) {
                if let Some(g) = groups(r).get(*group) {
                    lines.push(Line::styled(group_header(g), THEME.opname.add_modifier(Modifier::BOLD)));
                    lines.push(Line::styled(
                        format!(
                            "The JIT copied this stencil's {} code bytes to {:#x} and its {} data bytes to {:#x}, then patched its {} hole(s){}.",
                            g.code.len(),
                            r.base + g.code.start as u64,
                            g.data.len(),
                            r.base + g.data.start as u64,
                            g.holes.len(),
                            if g.holes.is_empty() { "" } else { ": n steps through them" }
                        ),
                        THEME.text,
                    ));
                }
            }
        }
        Some(JitRow::Hole { .. }) | Some(JitRow::Asm { .. }) => {
            let hole = j.hole_at_selection();
            if let Some(JitRow::Asm { exec, group, line }) = row {
                if let Some(ex) = j.executor(*exec) {
                    if let (Ok(r), Some(a)) = (&ex.region, asm_lines(ex, *group, j.patched).get(*line))
                    {
                        let dest = groups(r)
                            .get(*group)
                            .and_then(|g| line_target(g, a))
                            .map_or(String::new(), |d| {
                                format!(" · Enter follows to {}", destination_text(r, &d))
                            });
                        lines.push(Line::from(vec![
                            Span::styled(a.text.clone(), THEME.opname),
                            Span::styled(
                                format!(
                                    "  · {:#x} · {} bytes{}{dest}",
                                    r.base + a.offset as u64,
                                    a.len,
                                    if j.patched { "" } else { " of the stencil, before patching" }
                                ),
                                dim(),
                            ),
                        ]));
                    }
                }
            }
            if let Some(h) = hole {
                if let Some((r, g, ph)) = j.patched_hole(h) {
                    lines.extend(hole_lines(r, g, h.hole, ph));
                }
            }
        }
        Some(JitRow::Section { section, .. }) => lines.push(Line::styled(
            match section {
                Section::Trampolines => "Trampolines: where calls that cannot reach their symbol directly go (key 7 explains the bitmask).".to_string(),
                Section::Got => "The trace GOT (3.15): one 8-byte slot per symbol the trace loads, filled by patch_got_symbol; code reaches it rip-relative.".to_string(),
                Section::Check => "What the model predicts about the region a real CPython made, against what its bytes show.".to_string(),
                Section::Real => format!(
                    "The bytes the real CPython's JIT made for this executor, as recorded by {} (not the model).",
                    app.capture().engine.label()
                ),
            },
            THEME.text,
        )),
        Some(JitRow::Text { text, .. }) => lines.push(Line::styled(text.clone(), THEME.text)),
        Some(JitRow::Trampoline { exec, line }) => {
            if let Some(a) = j.executor(*exec).and_then(|e| e.trampoline_asm.get(*line)) {
                lines.push(Line::styled(
                    format!("{} · trampoline slot bytes at region +{:#x}", a.text, a.offset),
                    THEME.text,
                ));
            }
        }
        Some(JitRow::Got { exec, slot }) => {
            if let Some(g) = j.region(*exec).and_then(|r| r.got.get(*slot)) {
                lines.push(Line::styled(
                    format!(
                        "GOT slot {slot}: ordinal {} {} — the word at {:#x} holds its address {:#x}. Enter shows the symbol.",
                        g.ordinal, g.symbol, g.address, g.value
                    ),
                    THEME.text,
                ));
            }
        }
        Some(JitRow::Finding { exec, index }) => {
            if let Some(f) = j
                .executor(*exec)
                .and_then(|e| e.check.as_ref())
                .and_then(|c| c.findings.get(*index))
            {
                lines.push(Line::styled(
                    format!("{} {}", if f.agrees { "✓ agrees:" } else { "✗ differs:" }, f.what),
                    if f.agrees { THEME.ok } else { THEME.bad },
                ));
                lines.push(Line::styled(format!("predicted: {}", f.predicted), THEME.text));
                lines.push(Line::styled(format!("found: {}", f.found), THEME.text));
            }
        }
        Some(JitRow::ByteMatch { exec }) => {
            if let Some(c) = j.executor(*exec).and_then(|e| e.check.as_ref()) {
                lines.push(Line::styled(byte_match_text(c), THEME.text));
                lines.push(Line::styled(
                    "The stencils are the running CPython's own, so the model's bytes are compared with the real ones.",
                    dim(),
                ));
            }
        }
        Some(JitRow::Real(row)) => lines.extend(real_selection_lines(app, Some(row))),
    }
    lines
}

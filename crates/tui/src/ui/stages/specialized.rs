//! The specialized pane: each instruction as compiled (the bytecode stage's name) beside its
//! adaptive form — at the warm-up scrubber's step when the built-in VM ran the snippet, after
//! the run when a live CPython did — and the detail panel of the selected instruction.

use super::bytecode::{base_name, cache_value, is_specialized, short_repr};
use super::{dim, render_rows};
use crate::app::stages::{code_of, execution_of, walk_with_depth, CodeRow};
use crate::app::warmup::{self, Form};
use crate::app::App;
use crate::ui::theme::THEME;
use crate::ui::{pane_block, Areas};
use cpyviz_model::bytecode::{CacheEntry, CodeObject, Instruction};
use cpyviz_model::capture::Stage;
use cpyviz_model::execution::{Execution, InstrHistory};
use cpyviz_model::tables::{for_version, Tables};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

/// The name columns: as wide as the longest name of the code shown, between these bounds
/// (a longer name is cut with `…`; the Explain pane names it in full).
const GENERIC_W: (usize, usize) = (14, 22);
const CURRENT_W: (usize, usize) = (18, 28);

/// `name` padded or cut to `w` columns.
fn fit(name: &str, w: usize) -> String {
    if name.chars().count() <= w {
        format!("{name:<w$}")
    } else {
        let cut: String = name.chars().take(w - 1).collect();
        format!("{cut}…")
    }
}
const JUMP_W: usize = crate::app::stages::JUMP_LANES + 2;

/// The rows above the instructions: the scrubber (2 rows) or the live engine's note (1 row).
pub(crate) fn header_rows(app: &App) -> usize {
    let cap = app.capture();
    match (code_of(cap, Stage::Specialized), execution_of(cap)) {
        (None, _) => 0,
        (Some(_), Some(_)) => 2,
        (Some(_), None) => 1,
    }
}

/// `JIT on` / `JIT off`: the VM's run options, or the live interpreter's (`None`: unknown).
pub(crate) fn jit_label(app: &App) -> Option<&'static str> {
    let cap = app.capture();
    let on = match execution_of(cap) {
        Some(e) => e.jit,
        None if cap.later.interpreter.is_some() => cap.jit_enabled(),
        None => return None,
    };
    Some(if on { "JIT on" } else { "JIT off" })
}

/// The instruction at `offset` of code object `code` of the bytecode stage.
fn generic<'a>(codes: &[&'a CodeObject], code: usize, offset: u32) -> Option<&'a Instruction> {
    codes
        .get(code)?
        .instructions
        .iter()
        .find(|i| i.offset == offset)
}

/// What a row shows of one instruction at a step: the name as compiled, the name then, how it
/// got there, how often it had run.
struct Shown<'a> {
    generic: &'a str,
    current: &'a str,
    form: Option<Form>,
    executions: Option<u64>,
}

fn shown<'a>(
    app: &'a App,
    bytecode: &[&'a CodeObject],
    exec: Option<(&'a Execution, u64)>,
    code: usize,
    instr: usize,
    ins: &'a Instruction,
) -> Shown<'a> {
    let tables = for_version(app.capture().version);
    let h = exec.and_then(|(e, _)| warmup::history(e, code, instr, ins.offset));
    let generic = generic(bytecode, code, ins.offset)
        .map(|i| i.opname.as_str())
        .or(h.map(|h| h.base.as_str()))
        .or(base_name(tables, ins))
        .unwrap_or(ins.opname.as_str());
    match (exec, h) {
        (Some((e, step)), Some(h)) => Shown {
            generic,
            current: h.name_at(step),
            form: Some(warmup::form_at(h, step)),
            executions: Some(warmup::executions_at(e, h, step)),
        },
        _ => Shown {
            generic,
            current: &ins.opname,
            form: None,
            executions: None,
        },
    }
}

/// The colour of a form: a history's last event decides; without one, a changed name is a
/// specialized one.
fn form_style(s: &Shown<'_>, changed_is_specialized: bool) -> Style {
    match s.form {
        Some(Form::Quickened) => THEME.quickened,
        Some(Form::Specialized) => THEME.specialized,
        Some(Form::Deoptimized) => THEME.deoptimized,
        Some(Form::Failed) => THEME.spec_failed,
        Some(Form::Generic) => dim(),
        None if s.current != s.generic || changed_is_specialized => THEME.specialized,
        None => dim(),
    }
}

/// `counter 0x0034: value 3, backoff 4` for a backoff counter (its layout from the version's
/// `BACKOFF_BITS` / `UNREACHABLE_BACKOFF`); else the entry's value.
fn cache_text(tables: &Tables, c: &CacheEntry) -> String {
    if c.name == "counter" && c.data.len() == 2 {
        let v = u16::from_le_bytes([c.data[0], c.data[1]]);
        let bits = tables.constant("BACKOFF_BITS").unwrap_or(4) as u16;
        let unreachable = tables.constant("UNREACHABLE_BACKOFF").unwrap_or(15) as u16;
        let (value, backoff) = (v >> bits, v & ((1 << bits) - 1));
        let note = if backoff == unreachable && value == 0 {
            " (never fires)"
        } else if value == 0 {
            " (fires at the next execution)"
        } else {
            ""
        };
        return format!("0x{v:04x}: value {value}, backoff {backoff}{note}");
    }
    cache_value(&c.data)
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn render(app: &App, areas: &Areas, buf: &mut Buffer) {
    let cap = app.capture();
    let Some(root) = code_of(cap, Stage::Specialized) else {
        return;
    };
    let codes = walk_with_depth(root);
    let bytecode: Vec<&CodeObject> = code_of(cap, Stage::Bytecode)
        .map(|c| c.walk())
        .unwrap_or_default();
    let exec = execution_of(cap).map(|e| (e, app.warmup().step(e)));
    let inner = areas.stage_inner;
    let tables = for_version(cap.version);
    let head = match exec {
        Some((e, step)) => scrubber_lines(e, step, inner.width as usize),
        None => vec![Line::styled(
            format!(
                "The {} records only the state after the run: no warm-up to scrub through.",
                cap.engine.label()
            ),
            dim(),
        )],
    };
    for (k, l) in head.into_iter().enumerate().take(inner.height as usize) {
        l.render(Rect::new(inner.x, inner.y + k as u16, inner.width, 1), buf);
    }
    let rows = app.later_rows().code_rows(Stage::Specialized);
    let sel_span = app.selected_span();
    // Column widths: the longest generic name, and the longest name any instruction takes.
    let generic_w = bytecode
        .iter()
        .flat_map(|c| &c.instructions)
        .map(|i| i.opname.len())
        .max()
        .unwrap_or(0);
    let current_w = codes
        .iter()
        .flat_map(|(c, _)| &c.instructions)
        .map(|i| i.opname.len())
        .chain(exec.iter().flat_map(|(e, _)| {
            e.history
                .iter()
                .flat_map(|c| &c.instrs)
                .flat_map(|h| &h.events)
                .map(|ev| ev.to.len())
        }))
        .max()
        .unwrap_or(0);
    // What the pane leaves for the two names once the gutter, count and oparg columns are
    // drawn: shared about evenly, never below the minimums.
    let budget = (inner.width as usize).saturating_sub(34);
    let generic_w = generic_w.clamp(
        GENERIC_W.0,
        GENERIC_W.1.min((budget * 45 / 100).max(GENERIC_W.0)),
    );
    let current_w = current_w.clamp(
        CURRENT_W.0,
        CURRENT_W
            .1
            .min(budget.saturating_sub(generic_w).max(CURRENT_W.0)),
    );
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
                let mut spans = vec![
                    marker,
                    Span::raw("  ".repeat(*depth)),
                    Span::styled(if *folded { "▸ " } else { "▾ " }, THEME.field),
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
                Line::from(vec![
                    marker,
                    Span::raw("     "),
                    Span::styled(
                        format!(
                            "{:<JUMP_W$}",
                            app.later_rows().gutter(Stage::Specialized, i)
                        ),
                        THEME.label,
                    ),
                    Span::raw("       "),
                    Span::styled(fit("CACHE", generic_w), dim()),
                    Span::styled(
                        format!(
                            "   {} ({}): {}",
                            cache.name,
                            cache.size,
                            cache_text(tables, cache)
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
                let same = !selected && span.is_some() && *span == sel_span;
                let line = match (ins.starts_line, ins.line_number) {
                    (true, Some(l)) => format!("{l:>4}"),
                    (true, None) => "  --".to_string(),
                    _ => "    ".to_string(),
                };
                let label = ins.label.map_or(String::new(), |l| format!("L{l}:"));
                let s = shown(app, &bytecode, exec, *code, *instr, ins);
                let changed = s.current != s.generic;
                let style = form_style(&s, exec.is_none() && is_specialized(tables, ins));
                let mut spans = vec![
                    marker,
                    Span::styled(if same { "•" } else { " " }, THEME.key),
                    Span::styled(line, THEME.gutter),
                    Span::styled(
                        format!(
                            "{:<JUMP_W$}",
                            app.later_rows().gutter(Stage::Specialized, i)
                        ),
                        THEME.label,
                    ),
                    Span::styled(format!("{label:>5} "), THEME.label),
                    Span::styled(fit(s.generic, generic_w), THEME.opname),
                    Span::styled(if changed { " → " } else { "   " }, dim()),
                    Span::styled(fit(s.current, current_w), style),
                ];
                // ENTER_EXECUTOR: tier 2 installed an executor at this instruction.
                let attached = crate::app::stages::executor_at(cap, *code, ins.offset).is_some();
                spans.push(Span::styled(if attached { "◆" } else { " " }, THEME.key));
                if let Some(n) = s.executions {
                    let count = if n == 0 {
                        String::new()
                    } else {
                        format!("×{n}")
                    };
                    spans.push(Span::styled(format!("{count:>8}"), dim()));
                }
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

/// The scrubber: `step N of M` with a gauge, and the event at the step (or the last before).
fn scrubber_lines(exec: &Execution, step: u64, width: usize) -> Vec<Line<'static>> {
    let label = format!("step {step} of {} ", exec.steps);
    let pct = step
        .saturating_mul(100)
        .checked_div(exec.steps)
        .unwrap_or(100);
    let tail = match &exec.limit {
        Some(_) => format!(" {pct:>3}% · stopped early (o)"),
        None => format!(" {pct:>3}%"),
    };
    let bar = width.saturating_sub(label.chars().count() + tail.chars().count());
    let done = if exec.steps == 0 {
        bar
    } else {
        (bar as u128 * step as u128 / exec.steps as u128) as usize
    };
    let gauge = vec![
        Span::styled(label, THEME.emphasis),
        Span::styled("━".repeat(done), THEME.gauge_done),
        Span::styled("─".repeat(bar - done), THEME.gauge_rest),
        Span::styled(tail, dim()),
    ];
    let at = warmup::events_at(exec, step);
    let event = match at.first() {
        Some(e) => {
            let more = match at.len() {
                1 => String::new(),
                n => format!("  (+{} more)", n - 1),
            };
            Line::from(vec![
                Span::styled(e.describe(), THEME.key),
                Span::styled(more, dim()),
            ])
        }
        None => match warmup::last_event_by(exec, step) {
            Some(e) => Line::from(vec![
                Span::styled("no change at this step · last: ", dim()),
                Span::styled(e.describe(), THEME.text),
            ]),
            None if step == 0 => Line::styled(
                "nothing has run yet: every instruction is as compiled (. goes to the first change)",
                dim(),
            ),
            None => Line::styled("no instruction has changed form yet", dim()),
        },
    };
    vec![Line::from(gauge), event]
}

/// The detail panel: the selected instruction's names, counts, events and inline caches.
pub(crate) fn render_detail(app: &App, area: Rect, buf: &mut Buffer) {
    let cap = app.capture();
    let Some(root) = code_of(cap, Stage::Specialized) else {
        return;
    };
    let block = pane_block("Selected instruction".into(), false);
    let inner = block.inner(area);
    block.render(area, buf);
    let codes = root.walk();
    let bytecode: Vec<&CodeObject> = code_of(cap, Stage::Bytecode)
        .map(|c| c.walk())
        .unwrap_or_default();
    let exec = execution_of(cap).map(|e| (e, app.warmup().step(e)));
    let rows = app.later_rows().code_rows(Stage::Specialized);
    let (code, instr) = match rows.get(app.selected_row()) {
        Some(CodeRow::Instr { code, instr, .. } | CodeRow::Cache { code, instr, .. }) => {
            (*code, *instr)
        }
        Some(CodeRow::Header { code, .. }) => {
            if let Some(c) = codes.get(*code) {
                let lines = code_summary(c, bytecode.get(*code).copied(), *code, exec);
                Paragraph::new(lines).render(inner, buf);
            }
            return;
        }
        None => return,
    };
    let Some(c) = codes.get(code) else { return };
    let Some(ins) = c.instructions.get(instr) else {
        return;
    };
    let s = shown(app, &bytecode, exec, code, instr, ins);
    let h = exec.and_then(|(e, _)| warmup::history(e, code, instr, ins.offset));
    let tables = for_version(cap.version);
    let style = form_style(&s, exec.is_none() && is_specialized(tables, ins));
    let (arrow, current) = if s.current == s.generic {
        ("", String::new())
    } else {
        (" → ", s.current.to_string())
    };
    let mut left = vec![Line::from(vec![
        Span::styled(s.generic.to_string(), THEME.opname),
        Span::styled(arrow, dim()),
        Span::styled(current, style),
        Span::styled(
            format!(
                "  · {}+{}{}",
                c.qualname,
                ins.offset,
                ins.line_number
                    .map_or(String::new(), |l| format!(" · line {l}"))
            ),
            dim(),
        ),
    ])];
    match (exec, h) {
        (Some((e, step)), Some(h)) => {
            let first = h.first_step.map_or("never ran".to_string(), |f| {
                format!("first ran at step {f}")
            });
            left.push(Line::styled(
                format!(
                    "ran {} times (by step {step}: {}) · {} misses · {first}",
                    h.executions,
                    warmup::executions_at(e, h, step),
                    h.misses
                ),
                THEME.text,
            ));
            if ins.opname != s.current {
                left.push(Line::styled(
                    format!("after the run: {}", ins.opname),
                    dim(),
                ));
            }
        }
        (Some(_), None) => left.push(Line::styled("the run recorded no history for it", dim())),
        (None, _) => left.push(Line::styled(
            format!(
                "as the {} left it after the run (it records no history)",
                cap.engine.label()
            ),
            dim(),
        )),
    }
    if ins.cache_info.is_empty() {
        left.push(Line::styled("no inline cache", dim()));
    } else {
        left.push(Line::styled("inline caches after the run:", dim()));
        for cache in &ins.cache_info {
            left.push(Line::from(vec![
                Span::styled(format!("  {} ", cache.name), THEME.field),
                Span::styled(
                    format!("({}) {}", cache.size, hex(&cache.data)),
                    THEME.token_number,
                ),
                Span::styled(
                    if cache.name == "counter" && cache.data.len() == 2 {
                        format!(" = {}", cache_text(tables, cache))
                    } else {
                        String::new()
                    },
                    THEME.text,
                ),
            ]));
        }
    }
    let right = h.map(|h| events_lines(h, exec.map_or(u64::MAX, |(_, s)| s), inner.height));
    let (lrect, rrect) = match right {
        Some(_) if inner.width >= 80 => {
            let half = inner.width / 2;
            (
                Rect::new(inner.x, inner.y, half - 1, inner.height),
                Some(Rect::new(
                    inner.x + half + 1,
                    inner.y,
                    inner.width - half - 1,
                    inner.height,
                )),
            )
        }
        _ => (inner, None),
    };
    match (right, rrect) {
        (Some(lines), Some(r)) => {
            Paragraph::new(lines).render(r, buf);
        }
        (Some(lines), None) => left.extend(lines),
        _ => {}
    }
    Paragraph::new(left)
        .wrap(ratatui::widgets::Wrap { trim: false })
        .render(lrect, buf);
}

/// The events of an instruction, the one at or before `step` kept in view; later ones dim.
fn events_lines(h: &InstrHistory, step: u64, height: u16) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(
        match h.events.len() {
            0 => "no events: it never changed form".to_string(),
            1 => "1 event:".to_string(),
            n => format!("{n} events:"),
        },
        dim(),
    )];
    let room = (height as usize).saturating_sub(1).max(1);
    let last = h.events.iter().rposition(|e| e.step <= step);
    let first = last.map_or(0, |l| (l + 1).saturating_sub(room));
    for (k, e) in h.events.iter().enumerate().skip(first).take(room) {
        let past = e.step <= step;
        let style = if past {
            match e.kind {
                cpyviz_model::execution::SpecEventKind::Quickened => THEME.quickened,
                cpyviz_model::execution::SpecEventKind::Specialized => THEME.specialized,
                cpyviz_model::execution::SpecEventKind::Deopt => THEME.deoptimized,
                cpyviz_model::execution::SpecEventKind::Failed => THEME.spec_failed,
            }
        } else {
            dim()
        };
        let why = if e.why.is_empty() {
            String::new()
        } else {
            format!("  ({})", e.why)
        };
        let to = if e.to != warmup::name_before(h, k) {
            format!(" → {}", e.to)
        } else {
            String::new()
        };
        lines.push(Line::from(vec![
            Span::styled(if Some(k) == last { "▸ " } else { "  " }, THEME.key),
            Span::styled(
                format!("step {} · #{} · ", e.step, e.execution),
                if past { THEME.text } else { dim() },
            ),
            Span::styled(format!("{}{to}", e.kind.label()), style),
            Span::styled(why, dim()),
        ]));
    }
    lines
}

/// A code object's header row selected: how many of its instructions have changed form.
fn code_summary(
    c: &CodeObject,
    compiled: Option<&CodeObject>,
    code: usize,
    exec: Option<(&Execution, u64)>,
) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled(c.qualname.clone(), THEME.node)];
    let text = match exec.and_then(|(e, s)| Some((e.history.get(code)?, s))) {
        Some((hist, step)) => {
            let changed = hist
                .instrs
                .iter()
                .filter(|h| h.name_at(step) != h.base)
                .count();
            let ran = hist
                .instrs
                .iter()
                .filter(|h| h.first_step.is_some_and(|f| f <= step))
                .count();
            format!(
                "by step {step}: {ran} of {} instructions {} run, {changed} {} in another form",
                hist.instrs.len(),
                if ran == 1 { "has" } else { "have" },
                if changed == 1 { "is" } else { "are" }
            )
        }
        None => {
            let changed = c
                .instructions
                .iter()
                .filter(|i| {
                    compiled
                        .and_then(|g| g.instructions.iter().find(|j| j.offset == i.offset))
                        .is_some_and(|j| j.opname != i.opname)
                })
                .count();
            format!(
                "after the run: {changed} of {} instructions {} in another form",
                c.instructions.len(),
                if changed == 1 { "is" } else { "are" }
            )
        }
    };
    lines.push(Line::styled(text, THEME.text));
    lines
}

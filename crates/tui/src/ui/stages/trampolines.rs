//! The trampolines pane: the bitmask explainer. For each executor's model region: the target's
//! facts, the trampoline mask as 32-bit words (set bits highlighted), the symbols of the mask
//! (address, distance from the call site, in range or not), and for the selected symbol
//! `get_trampoline_slot` step by step, the range check, the slot's bytes decoded and the call
//! site before and after it is patched. `w` adds the worked example.

use super::jit::{asm_spans, group_header, options_bar, render_note};
use super::{dim, render_rows};
use crate::app::jit::{
    asm_lines, call_sites, groups, reach_text, signed_human, symbol_address, JitState, TrampRow,
};
use crate::app::App;
use crate::theme::Theme;
use crate::ui::Areas;
use cpyviz_model::capture::Stage;
use cpyviz_model::jit::{jit_facts, PatchedHole, Region, SlotSteps, Via};
use ratatui::buffer::Buffer;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

pub(super) fn render(app: &App, areas: &Areas, buf: &mut Buffer) {
    let th = app.theme();
    options_bar(app, areas, buf);
    let j = app.jit();
    let rows = &j.tramp;
    if rows.iter().all(|r| matches!(r, TrampRow::Note { .. })) {
        render_note(app, areas, buf);
        return;
    }
    let show_hex = areas.stage_inner.width >= 60;
    render_rows(app, areas, buf, |i, selected| {
        let mut spans = vec![Span::styled(if selected { "▶" } else { " " }, th.key)];
        spans.extend(row_spans(th, j, &rows[i], show_hex));
        Line::from(spans)
    });
}

/// A mask word as 32 bits, bit 31 first, in bytes: set bits highlighted; with the steps of a
/// selected symbol, the bits counted below it and its own bit stand out.
pub(super) fn mask_spans(
    th: &Theme,
    word: usize,
    value: u32,
    steps: Option<&SlotSteps>,
) -> Vec<Span<'static>> {
    let mut spans = vec![Span::styled(
        format!("  mask[{word}] = {value:#010x}  "),
        th.text,
    )];
    for bit in (0..32u32).rev() {
        let set = value & (1 << bit) != 0;
        let ordinal = word as u32 * 32 + bit;
        let style = match steps {
            Some(s) if set && ordinal == s.ordinal => th.bit_selected,
            Some(s) if set && (word < s.word || (word == s.word && bit < s.bit)) => th.bit_counted,
            _ if set => th.bit_set,
            _ => th.bit_clear,
        };
        spans.push(Span::styled(if set { "1" } else { "0" }, style));
        if bit % 8 == 0 && bit > 0 {
            spans.push(Span::raw(" "));
        }
    }
    let ordinals: Vec<String> = (0..32u32)
        .filter(|b| value & (1 << b) != 0)
        .map(|b| (word as u32 * 32 + b).to_string())
        .collect();
    if !ordinals.is_empty() {
        spans.push(Span::styled(
            format!("  ordinals {}", ordinals.join(", ")),
            dim(th),
        ));
    }
    spans
}

fn site_text(r: &Region, group: usize, h: &PatchedHole) -> String {
    let g = groups(r).get(group).map_or(String::new(), |g| {
        g.index
            .map_or(g.uop.clone(), |i| format!("[{i}] {}", g.uop))
    });
    format!("+{:#x} in {g}", h.at)
}

/// The range check of one call site, in words.
pub(super) fn range_text(r: &Region, group: usize, h: &PatchedHole, name: &str) -> String {
    let facts = jit_facts(r.version, r.target);
    let addr = symbol_address(r, name);
    let dist = i128::from(addr) - i128::from(r.base + h.at as u64);
    let verdict = match h.via {
        Via::Trampoline => {
            let slot = r
                .trampolines
                .iter()
                .find(|t| t.symbol == name)
                .map_or(String::new(), |t| {
                    format!(" {} at {:#x}", t.index, t.address)
                });
            format!("out of range: the call goes through slot{slot}")
        }
        _ => "in range: patched to call the symbol directly (the slot stays unused)".into(),
    };
    format!(
        "range: the call at {} is {} from {name}; direct reach {} → {verdict}",
        site_text(r, group, h),
        signed_human(dist),
        reach_text(facts.branch_range_bits)
    )
}

fn symbol_name(r: &Region, ordinal: u32) -> String {
    r.symbols
        .get(ordinal as usize)
        .cloned()
        .unwrap_or_else(|| format!("symbol #{ordinal}"))
}

fn steps_of(j: &JitState, exec: usize) -> Option<&SlotSteps> {
    let ordinal = j.selected_symbol(exec)?;
    j.executor(exec)?
        .slot_steps
        .iter()
        .find(|s| s.ordinal == ordinal)
}

/// Bytes as spaced hex (never empty here: slots and call sites have bytes).
use cpyviz_model::jit::hex_spaced as hex;

fn row_spans(th: &Theme, j: &JitState, row: &TrampRow, show_hex: bool) -> Vec<Span<'static>> {
    let Some(view) = j.view() else {
        return match row {
            TrampRow::Note { text, .. } => vec![Span::styled(format!(" {text}"), th.emphasis)],
            _ => vec![],
        };
    };
    let ex = &view.example;
    match row {
        TrampRow::Note { text, computing } => vec![Span::styled(
            format!(" {text}"),
            if *computing { th.emphasis } else { th.key },
        )],
        TrampRow::ExampleTitle => vec![Span::styled(
            format!(
                " Worked example (w): get_trampoline_slot({}) in a mask of {} symbols",
                ex.ordinal,
                ex.earlier_counts.iter().sum::<u32>() + ex.mask_word.count_ones()
            ),
            th.node,
        )],
        TrampRow::ExampleMask { word } => mask_spans(
            th,
            *word,
            ex.mask.0.get(*word).copied().unwrap_or(0),
            Some(ex),
        ),
        TrampRow::ExampleStep { text } | TrampRow::Step { text, .. } => {
            vec![Span::styled(format!("    {text}"), th.text)]
        }
        TrampRow::ExampleResult => vec![Span::styled(
            format!(
                "  → symbol {} lands in slot index {}, at {:#x}",
                ex.ordinal, ex.index, ex.address
            ),
            th.key,
        )],
        TrampRow::Executor { exec } => {
            let Some(e) = j.executor(*exec) else {
                return vec![];
            };
            vec![
                Span::styled(
                    format!(" Executor for {} at offset {}", e.qualname, e.offset),
                    th.node,
                ),
                Span::styled(format!(" · {} · {}", view.target, view.memory), dim(th)),
            ]
        }
        TrampRow::Text { text, .. } => vec![Span::styled(format!("  {text}"), th.error)],
        TrampRow::Facts { exec } => {
            let Some(r) = j.region(*exec) else {
                return vec![];
            };
            let facts = jit_facts(r.version, r.target);
            let slots = if r.trampolines.is_empty() {
                "no slots".to_string()
            } else {
                format!(
                    "{} slot(s) at {:#x} (+{:#x})",
                    r.trampolines.len(),
                    r.base + r.layout.trampolines.start as u64,
                    r.layout.trampolines.start
                )
            };
            vec![Span::styled(
                format!(
                    "  TRAMPOLINE_SIZE {} · direct reach {} · {slots}",
                    facts.trampoline_size,
                    reach_text(facts.branch_range_bits)
                ),
                th.text,
            )]
        }
        TrampRow::MaskTitle { .. } => vec![Span::styled(
            "  the trampoline mask (the union of the trace's stencils' masks), bit 31 first:",
            dim(th),
        )],
        TrampRow::Mask { exec, word } => {
            let Some(r) = j.region(*exec) else {
                return vec![];
            };
            let value = r.trampoline_mask.0.get(*word).copied().unwrap_or(0);
            mask_spans(th, *word, value, steps_of(j, *exec))
        }
        TrampRow::Why { text, .. } => vec![Span::styled(format!("  {text}"), th.emphasis)],
        TrampRow::Offer { text, .. } => vec![Span::styled(format!("  {text}"), th.key)],
        TrampRow::SymbolsTitle { .. } => vec![Span::styled(
            "  symbols of the mask: ordinal, name, address, reach, distance from the call",
            dim(th).add_modifier(Modifier::UNDERLINED),
        )],
        TrampRow::Symbol { exec, ordinal } => {
            let Some(r) = j.region(*exec) else {
                return vec![];
            };
            let name = symbol_name(r, *ordinal);
            let addr = r.memory.symbol_address(&name, Some(*ordinal));
            let chosen = j.selected_symbol(*exec) == Some(*ordinal);
            let sites = call_sites(r, *ordinal);
            let first = sites
                .first()
                .and_then(|&(g, h)| Some((g, groups(r).get(g)?.holes.get(h)?)));
            let mut spans = vec![
                Span::styled(
                    format!("  {} {ordinal:>3} ", if chosen { "▸" } else { " " }),
                    if chosen { th.bit_selected } else { th.key },
                ),
                Span::styled(format!("{name:<24} "), th.opname),
                Span::styled(format!("{addr:#x}  "), th.token_number),
            ];
            match first {
                Some((_, h)) => {
                    let dist = i128::from(addr) - i128::from(r.base + h.at as u64);
                    let more = if sites.len() > 1 {
                        format!(" (+{} more)", sites.len() - 1)
                    } else {
                        String::new()
                    };
                    let (text, style) = match h.via {
                        Via::Trampoline => {
                            let slot = r
                                .trampolines
                                .iter()
                                .find(|t| t.ordinal == *ordinal)
                                .map_or(String::new(), |t| format!(" → slot {}", t.index));
                            (format!("out of range{slot}"), th.bad)
                        }
                        _ => ("in range".to_string(), th.ok),
                    };
                    spans.push(Span::styled(text, style));
                    spans.push(Span::styled(
                        format!("  {} from +{:#x}{more}", signed_human(dist), h.at),
                        th.text,
                    ));
                }
                None => spans.push(Span::styled("no call site", dim(th))),
            }
            spans
        }
        TrampRow::StepsTitle { exec, ordinal } => {
            let Some(r) = j.region(*exec) else {
                return vec![];
            };
            vec![Span::styled(
                format!(
                    "  get_trampoline_slot({ordinal}) for {}, step by step:",
                    symbol_name(r, *ordinal)
                ),
                th.emphasis,
            )]
        }
        TrampRow::Range { exec, group, hole } => {
            let Some(r) = j.region(*exec) else {
                return vec![];
            };
            let Some(h) = groups(r).get(*group).and_then(|g| g.holes.get(*hole)) else {
                return vec![];
            };
            let name = match h.hole.special {
                Some(cpyviz_model::jit::HoleSpecial::Trampoline { ordinal }) => {
                    symbol_name(r, ordinal)
                }
                _ => String::new(),
            };
            let style = if h.via == Via::Trampoline {
                th.bad
            } else {
                th.ok
            };
            vec![Span::styled(
                format!("  {}", range_text(r, *group, h, &name)),
                style,
            )]
        }
        TrampRow::SlotTitle { exec, slot } => {
            let Some(t) = j.region(*exec).and_then(|r| r.trampolines.get(*slot)) else {
                return vec![];
            };
            vec![Span::styled(
                format!(
                    "  slot {} at {:#x} → {} ({:#x}){}:",
                    t.index,
                    t.address,
                    t.symbol,
                    t.target,
                    if t.used {
                        ""
                    } else {
                        " · reserved but unused: every call reached directly"
                    }
                ),
                th.emphasis,
            )]
        }
        TrampRow::SlotAsm { exec, line } => {
            let Some(e) = j.executor(*exec) else {
                return vec![];
            };
            let (Ok(r), Some(a)) = (&e.region, e.trampoline_asm.get(*line)) else {
                return vec![];
            };
            let mut s = vec![Span::raw("   ")];
            s.extend(asm_spans(th, r, None, a, true, show_hex, None));
            s
        }
        TrampRow::CallSite {
            exec,
            group,
            hole,
            after,
        } => {
            let Some(e) = j.executor(*exec) else {
                return vec![];
            };
            let Ok(r) = &e.region else { return vec![] };
            let Some(h) = groups(r).get(*group).and_then(|g| g.holes.get(*hole)) else {
                return vec![];
            };
            let text = asm_lines(e, *group, *after)
                .iter()
                .find(|a| a.offset <= h.at && h.at < a.offset + a.len.max(1))
                .map_or(String::new(), |a| a.text.clone());
            let (label, bytes, style) = if *after {
                ("after: ".to_string(), &h.after, th.diff_new)
            } else {
                (
                    format!("call site {} · before:", site_text(r, *group, h)),
                    &h.before,
                    th.diff_old,
                )
            };
            vec![
                Span::styled(format!("    {label} "), dim(th)),
                Span::styled(hex(bytes), style),
                Span::styled(format!("  {text}"), th.opname),
            ]
        }
    }
}

pub(super) fn selection_lines(app: &App) -> Vec<Line<'static>> {
    let th = app.theme();
    let j = app.jit();
    let mut lines = Vec::new();
    if let Some(f) = &j.followed {
        lines.push(Line::from(vec![
            Span::styled("Followed: ", th.key),
            Span::styled(f.clone(), th.text),
        ]));
    }
    let Some(view) = j.view() else {
        return lines;
    };
    let text = |s: String| Line::styled(s, th.text);
    match j.tramp.get(j.selected(Stage::Trampolines)) {
        None => {}
        Some(TrampRow::Note { text: t, .. }) => lines.push(text(t.clone())),
        Some(
            TrampRow::ExampleTitle
            | TrampRow::ExampleMask { .. }
            | TrampRow::ExampleStep { .. }
            | TrampRow::ExampleResult,
        ) => {
            let e = &view.example;
            lines.push(Line::styled(
                format!(
                    "Worked example: ordinal {} is bit {} of mask[{}]; {} set bit(s) below it there and {} in the earlier words make slot index {}.",
                    e.ordinal,
                    e.bit,
                    e.word,
                    e.below_count,
                    e.earlier_counts.iter().sum::<u32>(),
                    e.index
                ),
                th.emphasis,
            ));
            lines.push(text(
                "A slot is reserved for every symbol of the mask, in ordinal order: a symbol's index is the number of set bits below its own, so no slot is wasted and none is looked up at run time.".into(),
            ));
        }
        Some(
            TrampRow::Executor { exec } | TrampRow::Facts { exec } | TrampRow::MaskTitle { exec },
        ) => {
            if let Some(r) = j.region(*exec) {
                let facts = jit_facts(r.version, r.target);
                lines.push(text(format!(
                    "CPython {} on {}: TRAMPOLINE_SIZE {} bytes; a direct call or branch reaches {} of its own address.",
                    r.version.label(),
                    r.target,
                    facts.trampoline_size,
                    reach_text(facts.branch_range_bits)
                )));
                lines.push(Line::styled(format!("Memory: {}.", r.memory.name), dim(th)));
                lines.push(Line::styled(format!("Stencils: {}.", r.stencils), dim(th)));
            }
        }
        Some(TrampRow::Text { text: t, .. }) => lines.push(Line::styled(t.clone(), th.error)),
        Some(TrampRow::Mask { exec, word }) => {
            if let Some(r) = j.region(*exec) {
                let value = r.trampoline_mask.0.get(*word).copied().unwrap_or(0);
                lines.push(text(format!(
                    "mask[{word}] = {value:#010x}: bit b stands for ordinal {} + b of symbols_map; a bit is set when a stencil of the trace calls that symbol with patch_*_trampoline ({} set).",
                    word * 32,
                    value.count_ones()
                )));
                lines.push(Line::from(vec![
                    Span::styled("1", th.bit_selected),
                    Span::styled(" the selected symbol · ", dim(th)),
                    Span::styled("1", th.bit_counted),
                    Span::styled(" the set bits counted below it · ", dim(th)),
                    Span::styled("1", th.bit_set),
                    Span::styled(" other symbols", dim(th)),
                ]));
            }
        }
        Some(TrampRow::Why { exec, .. } | TrampRow::Offer { exec, .. }) => {
            if let Some(r) = j.region(*exec) {
                lines.push(text(format!(
                    "No trampolines: {}",
                    r.no_trampolines_reason()
                )));
                if let Some(offer) = crate::app::jit::trampolines_offer(r) {
                    lines.push(Line::styled(offer, th.key));
                }
            }
        }
        Some(TrampRow::SymbolsTitle { .. }) => lines.push(text(
            "Each symbol some stencil calls directly. Select one to see where its slot goes; Enter goes to its first call site in the machine code.".into(),
        )),
        Some(TrampRow::Symbol { exec, ordinal }) => {
            if let Some(r) = j.region(*exec) {
                let name = symbol_name(r, *ordinal);
                let addr = r.memory.symbol_address(&name, Some(*ordinal));
                let sites = call_sites(r, *ordinal);
                lines.push(Line::from(vec![
                    Span::styled(name.clone(), th.opname.add_modifier(Modifier::BOLD)),
                    Span::styled(
                        format!(
                            "  · ordinal {ordinal} · at {addr:#x} · {} call site(s)",
                            sites.len()
                        ),
                        dim(th),
                    ),
                ]));
                if let Some(s) = steps_of(j, *exec) {
                    lines.push(text(format!(
                        "Its slot: index {} at {:#x} (bit {} of mask[{}]). Enter goes to its first call site.",
                        s.index, s.address, s.bit, s.word
                    )));
                }
                for &(g, h) in sites.iter().take(2) {
                    if let Some(h) = groups(r).get(g).and_then(|gr| gr.holes.get(h)) {
                        lines.push(Line::styled(range_text(r, g, h, &name), dim(th)));
                    }
                }
            }
        }
        Some(TrampRow::StepsTitle { .. } | TrampRow::Step { .. }) => lines.push(text(
            "get_trampoline_slot(ordinal): word = ordinal / 32, bit = ordinal % 32; the slot index is the popcount of the set bits below the symbol's in its word plus the popcounts of the earlier words; the slot is at mem + index * TRAMPOLINE_SIZE.".into(),
        )),
        Some(TrampRow::Range {
            exec, group, hole, ..
        }) => {
            if let Some(r) = j.region(*exec) {
                if let Some((g, h)) = groups(r)
                    .get(*group)
                    .and_then(|g| Some((*g, g.holes.get(*hole)?)))
                {
                    lines.push(text(group_header(g)));
                    lines.push(text(h.note.clone()));
                }
            }
        }
        Some(TrampRow::SlotTitle { exec, slot }) => {
            if let Some(t) = j.region(*exec).and_then(|r| r.trampolines.get(*slot)) {
                lines.push(text(format!(
                    "Slot {} of the trampolines: a jump through the 64-bit address stored after it, {} ({:#x}). {}",
                    t.index,
                    t.symbol,
                    t.target,
                    if t.used {
                        "A call out of direct reach goes here."
                    } else {
                        "Reserved for the symbol of the mask, but no call needed it."
                    }
                )));
            }
        }
        Some(TrampRow::SlotAsm { exec, line }) => {
            if let Some(a) = j.executor(*exec).and_then(|e| e.trampoline_asm.get(*line)) {
                lines.push(text(format!(
                    "{} · {} bytes at region +{:#x}: {}",
                    a.text, a.len, a.offset, a.hex
                )));
            }
        }
        Some(TrampRow::CallSite {
            exec, group, hole, ..
        }) => {
            if let Some(r) = j.region(*exec) {
                if let Some(h) = groups(r).get(*group).and_then(|g| g.holes.get(*hole)) {
                    lines.push(text(format!(
                        "{}({}) = {:#x}",
                        h.hole.func.name(),
                        h.expr,
                        h.value
                    )));
                    lines.push(text(h.note.clone()));
                    lines.push(Line::styled(
                        format!(
                            "{} bytes at region +{:#x}: {} → {} · Enter shows it in the machine code.",
                            h.after.len(),
                            h.span.start,
                            hex(&h.before),
                            hex(&h.after)
                        ),
                        dim(th),
                    ));
                }
            }
        }
    }
    lines
}

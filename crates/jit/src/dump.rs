//! The text listings of `cpyviz dump jit` (every executor: its model region per uop — stencil,
//! holes, patched bytes, disassembly — its trampolines, GOT and the checks against the real
//! region) and `cpyviz dump trampolines` (the bitmask explainer).

use crate::explain::steps_text;
use cpyviz_model::jit::{
    hex_spaced, human_bytes, jit_facts, AsmText, ExecutorJit, JitView, PlacedGroup, Region, Via,
};
use std::fmt::Write;

fn header(view: &JitView, engine: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# JIT · {engine} · profile {} · target {}",
        view.version.label(),
        view.target
    );
    let _ = writeln!(out, "# stencils: {}", view.stencils);
    if !view.memory.is_empty() {
        let _ = writeln!(out, "# memory: {}", view.memory);
    }
    out
}

fn asm_line(out: &mut String, r: &Region, a: &AsmText, notes: &[String]) {
    let hex = if a.hex.len() > 24 {
        format!("{}…", &a.hex[..23])
    } else {
        a.hex.clone()
    };
    let mut line = format!(
        "      {:016x}  {:<24} {}",
        r.base + a.offset as u64,
        hex,
        a.text
    );
    let mut extra: Vec<String> = a
        .holes
        .iter()
        .filter_map(|&i| notes.get(i).cloned())
        .collect();
    if extra.is_empty() {
        if let Some(d) = &a.destination {
            extra.push(format!("→ {}", r.describe(d)));
        }
    }
    if !extra.is_empty() {
        line = format!("{line:<78} ; {}", extra.join("; "));
    }
    let _ = writeln!(out, "{line}");
}

fn group(out: &mut String, r: &Region, g: &PlacedGroup, asm: Option<&cpyviz_model::jit::GroupAsm>) {
    let title = match g.index {
        Some(i) => format!("[{i}] {}", g.uop),
        None => g.uop.clone(),
    };
    let variant = if g.stencil != g.uop {
        format!(" → stencil {}", g.stencil)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "  {title}{variant}  code +{:#x}..+{:#x} ({} bytes), data {} bytes{}",
        g.code.start,
        g.code.end,
        g.code.len(),
        g.data.len(),
        if g.shape.is_empty() {
            String::new()
        } else {
            format!("  [{}]", g.shape)
        }
    );
    let notes: Vec<String> = g
        .holes
        .iter()
        .enumerate()
        .map(|(i, h)| format!("hole {i}: {}", h.note))
        .collect();
    for (i, h) in g.holes.iter().enumerate() {
        let _ = writeln!(
            out,
            "    hole {i}: {} +{:#x} {} {}({}) = {:#x}{}  {} → {}",
            if h.in_data { "data" } else { "code" },
            h.hole.offset,
            h.hole.kind,
            h.hole.func.name(),
            h.expr,
            h.value,
            match h.via {
                Via::Direct => "",
                Via::Relaxed => " (relaxed)",
                Via::Trampoline => " (through a trampoline)",
                Via::InRange => " (in range: direct)",
            },
            hex_spaced(&h.before),
            hex_spaced(&h.after),
        );
    }
    if let Some(asm) = asm {
        for a in &asm.after {
            asm_line(out, r, a, &notes);
        }
    }
}

/// Region layout in one line.
pub fn layout_text(r: &Region) -> String {
    let l = &r.layout;
    let mut parts = Vec::new();
    let mut part = |name: &str, range: &std::ops::Range<usize>| {
        if !range.is_empty() {
            parts.push(format!("{name} +{:#x}..+{:#x}", range.start, range.end));
        }
    };
    part("shim", &l.shim);
    part("code", &l.code);
    part("trampolines", &l.trampolines);
    part("code_padding", &l.code_padding);
    part("data", &l.data);
    part("GOT", &l.got);
    part("padding", &l.padding);
    format!(
        "{} bytes at {:#x} ({} page(s) of {}): {}",
        r.bytes.len(),
        r.base,
        r.bytes.len() as u64 / l.page_size.max(1),
        l.page_size,
        parts.join(" | ")
    )
}

/// `cpyviz dump jit`: every executor's model region. `real(i)` is the recorded listing of
/// executor `i`'s real machine code (empty when none).
pub fn dump_jit(view: &JitView, engine: &str, real: &dyn Fn(usize) -> String) -> String {
    let mut out = header(view, engine);
    if let Some(note) = &view.note {
        let _ = writeln!(out, "{note}");
    }
    for (i, ex) in view.executors.iter().enumerate() {
        executor(&mut out, ex);
        let real = real(i);
        if !real.is_empty() {
            let _ = writeln!(out, "  real machine code, as recorded:");
            out.push_str(&real);
        }
        out.push('\n');
    }
    out
}

fn executor(out: &mut String, ex: &ExecutorJit) {
    let _ = writeln!(
        out,
        "Executor for {} at offset {} (trace: {})",
        ex.qualname, ex.offset, ex.trace_source
    );
    let r = match &ex.region {
        Ok(r) => r,
        Err(e) => {
            let _ = writeln!(out, "  no model region: {e}");
            return;
        }
    };
    let _ = writeln!(
        out,
        "  model region ({}): {}",
        if r.stencils_are_model {
            "built-in stencils: a model"
        } else {
            "imported stencils"
        },
        layout_text(r)
    );
    let all: Vec<&PlacedGroup> = r
        .shim
        .iter()
        .chain(&r.uops)
        .chain(std::iter::once(&r.fatal_error))
        .collect();
    for (gi, g) in all.iter().enumerate() {
        group(out, r, g, ex.asm.get(gi));
    }
    trampolines_summary(out, r);
    if !r.got.is_empty() {
        let _ = writeln!(out, "  trace GOT ({} slots):", r.got.len());
        for g in &r.got {
            let _ = writeln!(
                out,
                "    ordinal {:3} {:<36} slot {:#x} = {:#x}",
                g.ordinal, g.symbol, g.address, g.value
            );
        }
    }
    if let Some(check) = &ex.check {
        let _ = writeln!(out, "  checked against the real region:");
        for f in &check.findings {
            let _ = writeln!(
                out,
                "    {} {}: predicted {}; found {}",
                if f.agrees { "✓" } else { "✗" },
                f.what,
                f.predicted,
                f.found
            );
        }
        if let Some((same, total)) = check.byte_match {
            let _ = writeln!(
                out,
                "    byte for byte: {same} of {total} bytes match ({:.1}%)",
                100.0 * same as f64 / total.max(1) as f64
            );
            let exact = check.per_uop.iter().filter(|(_, a, b)| a == b).count();
            let _ = writeln!(
                out,
                "    uops reproduced exactly: {exact} of {}",
                check.per_uop.len()
            );
        }
    }
}

fn trampolines_summary(out: &mut String, r: &Region) {
    let facts = jit_facts(r.version, r.target);
    if r.trampolines.is_empty() {
        let _ = writeln!(out, "  trampolines: none — {}", no_trampoline_reason(r));
        return;
    }
    let _ = writeln!(
        out,
        "  trampolines: {} slot(s) of {} bytes at +{:#x}",
        r.trampolines.len(),
        facts.trampoline_size,
        r.layout.trampolines.start
    );
    for t in &r.trampolines {
        let _ = writeln!(
            out,
            "    slot {} {:#x}: ordinal {} {} → {:#x}{}",
            t.index,
            t.address,
            t.ordinal,
            t.symbol,
            t.target,
            if t.used {
                ""
            } else {
                " (reserved, unused: every call was in range)"
            }
        );
    }
}

/// Why a region has no trampolines, and which options would show some.
pub fn no_trampoline_reason(r: &Region) -> String {
    let facts = jit_facts(r.version, r.target);
    let hint = if facts.trampoline_size == 0 {
        format!(
            " Try --target aarch64-apple-darwin{} with --memory far.",
            if r.version.profile().jit_x86_darwin_trampolines {
                " or x86_64-apple-darwin"
            } else {
                ""
            }
        )
    } else if r.trampoline_mask.is_empty() {
        String::new()
    } else {
        format!(" ({}; try --memory far)", r.memory.name)
    };
    format!("{}{hint}", r.no_trampolines_reason())
}

/// `cpyviz dump trampolines`: the bitmask explainer for every executor, then the worked
/// example.
pub fn dump_trampolines(view: &JitView, engine: &str) -> String {
    let mut out = header(view, engine);
    if let Some(note) = &view.note {
        let _ = writeln!(out, "{note}");
    }
    executors_trampolines(&mut out, view);
    let e = &view.example;
    let _ = writeln!(
        out,
        "Worked example: symbols {} need trampolines; which slot is symbol {}'s?",
        e.mask
            .ordinals()
            .map(|o| o.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        e.ordinal
    );
    for (w, word) in e.mask.0.iter().enumerate() {
        let _ = writeln!(out, "    mask[{w}] = {word:#010x} = {}", bits(*word));
    }
    for line in steps_text(e) {
        let _ = writeln!(out, "    {line}");
    }
    out
}

fn executors_trampolines(out: &mut String, view: &JitView) {
    for ex in &view.executors {
        let _ = writeln!(out, "Executor for {} at offset {}", ex.qualname, ex.offset);
        let r = match &ex.region {
            Ok(r) => r,
            Err(e) => {
                let _ = writeln!(out, "  no model region: {e}\n");
                continue;
            }
        };
        let facts = jit_facts(r.version, r.target);
        let _ = writeln!(
            out,
            "  TRAMPOLINE_SIZE {} · direct reach ±2^{} bytes · trampolines at {:#x} (+{:#x})",
            facts.trampoline_size,
            facts.branch_range_bits,
            r.base + r.layout.trampolines.start as u64,
            r.layout.trampolines.start
        );
        let _ = writeln!(out, "  trampoline mask (union of the trace's stencils):");
        for (w, word) in r.trampoline_mask.0.iter().enumerate() {
            let _ = writeln!(out, "    mask[{w}] = {word:#010x} = {}", bits(*word));
        }
        if r.trampoline_mask.is_empty() {
            let _ = writeln!(out, "  no trampolines: {}\n", no_trampoline_reason(r));
            continue;
        }
        let _ = writeln!(out, "  symbols that may need a trampoline:");
        for o in r.trampoline_mask.ordinals() {
            let name = r.symbols.get(o as usize).map_or("?", String::as_str);
            let addr = r.memory.symbol_address(name, Some(o));
            let sites: Vec<String> = call_sites(r, o)
                .iter()
                .map(|(at, via)| {
                    let dist = addr as i128 - (r.base as i128 + *at as i128);
                    format!(
                        "+{at:#x} ({}{}, {})",
                        if dist < 0 { "-" } else { "+" },
                        human_bytes(dist.unsigned_abs()),
                        if *via == Via::Trampoline {
                            "out of range"
                        } else {
                            "in range"
                        }
                    )
                })
                .collect();
            let _ = writeln!(
                out,
                "    ordinal {o:3} {name:<32} at {addr:#x}; call sites: {}",
                if sites.is_empty() {
                    "-".into()
                } else {
                    sites.join(", ")
                }
            );
        }
        for steps in &ex.slot_steps {
            let name = r
                .symbols
                .get(steps.ordinal as usize)
                .map_or("?", String::as_str);
            let _ = writeln!(out, "  get_trampoline_slot({}) for {name}:", steps.ordinal);
            for line in steps_text(steps) {
                let _ = writeln!(out, "    {line}");
            }
        }
        let _ = writeln!(out, "  slots:");
        for a in &ex.trampoline_asm {
            asm_line(out, r, a, &[]);
        }
        let _ = writeln!(out, "  call sites, before → after patching:");
        for g in r.uops.iter().chain(std::iter::once(&r.fatal_error)) {
            for h in &g.holes {
                if let cpyviz_model::jit::HoleSpecial::Trampoline { ordinal } = h
                    .hole
                    .special
                    .unwrap_or(cpyviz_model::jit::HoleSpecial::GotFill { ordinal: u32::MAX })
                {
                    let _ = writeln!(
                        out,
                        "    {} +{:#x} ordinal {ordinal}: {} → {}  ({})",
                        g.uop,
                        h.at,
                        hex_spaced(&h.before),
                        hex_spaced(&h.after),
                        h.note
                    );
                }
            }
        }
        out.push('\n');
    }
}

fn call_sites(r: &Region, ordinal: u32) -> Vec<(usize, Via)> {
    r.uops
        .iter()
        .chain(std::iter::once(&r.fatal_error))
        .flat_map(|g| &g.holes)
        .filter(|h| h.hole.special == Some(cpyviz_model::jit::HoleSpecial::Trampoline { ordinal }))
        .map(|h| (h.at, h.via))
        .collect()
}

/// A word as 32 bits, most significant first, set bits as `1`.
pub fn bits(word: u32) -> String {
    let s = format!("{word:032b}");
    s.as_bytes()
        .chunks(8)
        .map(|c| std::str::from_utf8(c).unwrap_or(""))
        .collect::<Vec<_>>()
        .join("_")
}

//! The model checked against the real JIT: what `Python/jit.c`'s rules predict about a region
//! a real CPython made, without its stencils, next to what the recorded bytes show — and, when
//! the stencils are the running CPython's own, the region reproduced byte for byte.

use crate::disasm::{disassemble, DisLine};
use cpyviz_model::jit::{jit_facts, Finding, LiveCheck, Region};
use cpyviz_model::uops::Executor;
use std::collections::{BTreeMap, BTreeSet};

/// What the recorded region shows, read from its bytes alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RealLayout {
    /// Offset of the data: the lowest region address an instruction loads from (rip-relative)
    /// past the instruction itself, or holds as a 64-bit immediate.
    pub data_start: Option<usize>,
    /// Offset of the trailing zero bytes (rounded up to a whole 8-byte word).
    pub padding_start: usize,
    /// The GOT as found: the 8-byte words between the first word the code calls or loads
    /// through and the padding, with the symbol each names (if the capture resolved it).
    pub got: Vec<(usize, u64, Option<String>)>,
    pub lines: Vec<DisLine>,
}

/// Reads the layout of a recorded region.
pub fn real_layout(ex: &Executor, arch: cpyviz_model::jit::Arch) -> Option<RealLayout> {
    let code = ex.jit_code.as_deref()?;
    let base = ex.jit_address?;
    let lines = disassemble(arch, code, base);
    let in_region = |a: u64| a >= base && a - base < code.len() as u64;
    let mut data_start: Option<usize> = None;
    let mut first_got: Option<usize> = None;
    for l in &lines {
        if data_start.is_some_and(|d| l.offset >= d) {
            break;
        }
        // A `mov r64, imm64` (REX.W B8+r) whose immediate is a region address counts too:
        // stencils load their data's address that way.
        let imm64 = (arch == cpyviz_model::jit::Arch::X86_64 && l.len == 10)
            .then(|| &code[l.offset..l.offset + 10])
            .filter(|b| b[0] & 0xF8 == 0x48 && (0xB8..=0xBF).contains(&b[1]))
            .map(|b| u64::from_le_bytes(b[2..10].try_into().unwrap_or([0; 8])));
        let target = l.mem_target.or(imm64);
        if let Some(t) = target.filter(|&t| in_region(t) && t > base + l.offset as u64) {
            let off = (t - base) as usize;
            data_start = Some(data_start.map_or(off, |d| d.min(off)));
            if l.text.starts_with("call") || l.text.starts_with("jmp") {
                first_got = Some(first_got.map_or(off, |g| g.min(off)));
            }
        }
    }
    let last_nonzero = code.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let padding_start = match data_start {
        Some(ds) => ds + (last_nonzero.saturating_sub(ds)).div_ceil(8) * 8,
        None => last_nonzero,
    }
    .min(code.len());
    let names: BTreeMap<u64, &str> = ex
        .jit_symbols
        .iter()
        .map(|s| (s.address, s.name.as_str()))
        .collect();
    let mut got = Vec::new();
    if let Some(g) = first_got {
        // The GOT is the run of 8-byte words ending at the padding; walk back from the first
        // word a call goes through to the start of the run of resolved symbols.
        let mut start = g;
        while start >= 8 + data_start.unwrap_or(0) {
            let w = word(code, start - 8);
            if w.is_some_and(|w| names.contains_key(&w)) {
                start -= 8;
            } else {
                break;
            }
        }
        let mut at = start;
        while at + 8 <= padding_start {
            let w = word(code, at).unwrap_or(0);
            got.push((at, w, names.get(&w).map(|s| clean(s))));
            at += 8;
        }
    }
    Some(RealLayout {
        data_start,
        padding_start,
        got,
        lines,
    })
}

fn clean(name: &str) -> String {
    name.split(" (").next().unwrap_or(name).to_string()
}

fn word(code: &[u8], at: usize) -> Option<u64> {
    code.get(at..at + 8)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
}

/// Checks the model region `model` (compiled from `ex`'s trace) against `ex`'s real region.
/// `same_stencils`: the model was compiled from the running CPython's own stencils, so the
/// bytes themselves are compared.
pub fn check(
    ex: &Executor,
    model: &Region,
    page_size: Option<u64>,
    same_stencils: bool,
) -> LiveCheck {
    let mut out = LiveCheck::default();
    let Some(real) = ex.jit_code.as_deref() else {
        return out;
    };
    let facts = jit_facts(model.version, model.target);
    let mut find =
        |what: &str, predicted: String, found: String, agrees: bool, at: Option<usize>| {
            out.findings.push(Finding {
                what: what.to_string(),
                predicted,
                found,
                agrees,
                at,
            })
        };
    // 1. Region and page sizes.
    if let Some(page) = page_size.filter(|&p| p > 0) {
        find(
            "region size",
            format!("a whole number of {page}-byte pages (jit_alloc rounds up, padding ≥ 1 byte)"),
            format!(
                "{} bytes = {} pages",
                real.len(),
                real.len() as f64 / page as f64
            ),
            (real.len() as u64).is_multiple_of(page) && !real.is_empty(),
            None,
        );
    }
    let Some(layout) = real_layout(ex, model.target.arch()) else {
        find(
            "layout",
            "code, trampolines, data, padding".into(),
            "the region's address was not recorded: addresses inside it cannot be followed".into(),
            false,
            None,
        );
        return out;
    };
    // 2. Where code ends and data begins.
    if let Some(ds) = layout.data_start {
        match facts.data_align {
            Some(align) if facts.trampoline_size == 0 => {
                let pad_ok = ds >= 1 && real[ds - 1] == 0 && ds.is_multiple_of(align);
                find(
                    "code → data",
                    format!(
                        "code_padding = DATA_ALIGN ({align}) - ((code + trampolines) & {}) = {} zero byte(s) before the data",
                        align - 1,
                        if align == 1 { "1".to_string() } else { "1…8".to_string() }
                    ),
                    format!("data at +{ds:#x}, the byte before it is {:#04x}", real[ds.saturating_sub(1)]),
                    pad_ok,
                    Some(ds),
                );
            }
            Some(align) => find(
                "code → data",
                format!("the data starts at a multiple of DATA_ALIGN ({align})"),
                format!("data at +{ds:#x}"),
                ds.is_multiple_of(align),
                Some(ds),
            ),
            None => find(
                "code → data",
                "the data follows the code and trampolines directly (no code_padding in this version)".into(),
                format!("data at +{ds:#x}"),
                true,
                Some(ds),
            ),
        }
        let code_lines = layout.lines.iter().filter(|l| l.offset < ds).count();
        // (the zero bytes of code_padding right before the data do not decode)
        let bad = layout
            .lines
            .iter()
            .take_while(|l| l.offset < ds)
            .filter(|l| {
                !real[l.offset..(l.offset + l.len).min(real.len())]
                    .iter()
                    .all(|&b| b == 0)
            })
            .find(|l| l.text.starts_with("(bad)") || l.text.starts_with(".byte"));
        find(
            "code part",
            "machine code up to the data, decodable to its end".into(),
            match bad {
                None => format!("{code_lines} instructions in +0x0..+{ds:#x}"),
                Some(l) => format!(
                    "{code_lines} lines in +0x0..+{ds:#x}, undecodable at +{:#x}: {}",
                    l.offset, l.text
                ),
            },
            bad.is_none(),
            Some(0),
        );
    }
    find(
        "padding",
        "zero bytes from the end of the data to the end of the last page, at least one".into(),
        format!(
            "{} zero bytes from +{:#x}",
            real.len() - layout.padding_start,
            layout.padding_start
        ),
        layout.padding_start < real.len() && real[layout.padding_start..].iter().all(|&b| b == 0),
        Some(layout.padding_start),
    );
    // 3. The GOT: which symbols, in what order.
    if facts.trace_got {
        let got_names: Vec<String> = layout.got.iter().filter_map(|g| g.2.clone()).collect();
        find(
            "trace GOT",
            "one 8-byte slot per external symbol the trace calls or loads, right after the data, up to the padding".into(),
            format!(
                "{} slots at +{:#x}..+{:#x}: {}",
                layout.got.len(),
                layout.got.first().map_or(0, |g| g.0),
                layout.padding_start,
                got_names.join(", ")
            ),
            !layout.got.is_empty()
                && layout.got.iter().all(|g| g.2.is_some())
                && layout.got.last().is_some_and(|g| g.0 + 8 == layout.padding_start),
            layout.got.first().map(|g| g.0),
        );
        let calls: BTreeSet<u64> = layout
            .lines
            .iter()
            .filter(|l| layout.data_start.is_none_or(|d| l.offset < d))
            .filter_map(|l| l.mem_target)
            .collect();
        let got_addrs: BTreeSet<u64> = layout
            .got
            .iter()
            .map(|g| ex.jit_address.unwrap_or(0) + g.0 as u64)
            .collect();
        let unreferenced = got_addrs.difference(&calls).count();
        find(
            "GOT use",
            "every slot is referenced by the code (deduplicated: one slot per symbol)".into(),
            format!(
                "{} of {} slots referenced; {} distinct symbols",
                got_addrs.len() - unreferenced,
                got_addrs.len(),
                got_names.iter().collect::<BTreeSet<_>>().len()
            ),
            unreferenced == 0 && got_names.iter().collect::<BTreeSet<_>>().len() == got_names.len(),
            None,
        );
        let model_syms: BTreeSet<&str> = model.got.iter().map(|g| g.symbol.as_str()).collect();
        let real_syms: BTreeSet<&str> = got_names.iter().map(String::as_str).collect();
        let predicted: Vec<&str> = real_syms.intersection(&model_syms).copied().collect();
        let wrong: Vec<&str> = model_syms.difference(&real_syms).copied().collect();
        find(
            "GOT symbols",
            format!(
                "the model's stencils for this trace load {} external symbols through the GOT, each of them in the real GOT",
                model_syms.len()
            ),
            format!(
                "{} of the {} real GOT symbols are among them{}{}",
                predicted.len(),
                real_syms.len(),
                if predicted.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", predicted.join(", "))
                },
                if wrong.is_empty() {
                    String::new()
                } else {
                    format!("; not in the real GOT: {}", wrong.join(", "))
                }
            ),
            wrong.is_empty(),
            None,
        );
    }
    // 4. Operand values: each uop whose stencil patches its operand0 in puts that value in
    // the region, as an immediate in the code or as a word of its data (where a stencil loads
    // it from), never changed.
    let code_end = layout.data_start.unwrap_or(real.len());
    let mut predicted = 0;
    let (mut in_code, mut in_data) = (0, 0);
    let mut missing = Vec::new();
    for (i, g) in model.uops.iter().enumerate() {
        let Some(u) = ex.uops.get(i) else { continue };
        let patches_operand = g.holes.iter().any(|h| {
            h.hole.value == cpyviz_model::jit::HoleValue::Operand0 && h.hole.symbol.is_none()
        });
        if !patches_operand || u.operand == 0 {
            continue;
        }
        predicted += 1;
        // Exactly, or plus a small addend: a stencil that reads a field of the object the
        // operand points to gets `OPERAND0 + offset` patched in.
        let near =
            |v: u64| v.wrapping_sub(u.operand).wrapping_add(OPERAND_ADDEND) <= 2 * OPERAND_ADDEND;
        let found_in = |part: &[u8]| match model.target.arch() {
            cpyviz_model::jit::Arch::X86_64 => part
                .windows(8)
                .any(|w| near(u64::from_le_bytes(w.try_into().unwrap_or([0; 8])))),
            cpyviz_model::jit::Arch::Aarch64 => {
                movw_values(part).iter().any(|&v| near(v))
                    || part
                        .windows(8)
                        .any(|w| near(u64::from_le_bytes(w.try_into().unwrap_or([0; 8]))))
            }
        };
        if found_in(&real[..code_end]) {
            in_code += 1;
        } else if found_in(&real[code_end..]) {
            in_data += 1;
        } else {
            missing.push(format!("#{i} {}", u.name));
        }
    }
    if predicted > 0 {
        find(
            "operands",
            format!(
                "{predicted} uops' operand0 patched into the region (plus at most a field offset)"
            ),
            format!(
                "{} of {predicted}: {in_code} as code immediates, {in_data} as data words{}",
                in_code + in_data,
                if missing.is_empty() {
                    String::new()
                } else {
                    format!(" (missing: {})", missing.join(", "))
                }
            ),
            missing.is_empty(),
            None,
        );
    }
    // 5. Byte for byte, with the running CPython's own stencils: only those lay the region out
    // exactly as it is (the same size, the data at the same offset).
    if same_stencils {
        let same_layout = real.len() == model.bytes.len()
            && layout
                .data_start
                .is_none_or(|d| d == model.layout.data.start);
        find(
            "imported stencils",
            "the running CPython's own stencils lay the region out exactly as recorded".into(),
            format!(
                "model: {} bytes, data at +{:#x}; real: {} bytes, data at {}",
                model.bytes.len(),
                model.layout.data.start,
                real.len(),
                layout
                    .data_start
                    .map_or("an unknown offset".to_string(), |d| format!("+{d:#x}"))
            ),
            same_layout,
            None,
        );
        if same_layout {
            let n = real.len().min(model.bytes.len());
            let same = (0..n).filter(|&i| real[i] == model.bytes[i]).count();
            out.byte_match = Some((same, real.len().max(model.bytes.len())));
            for (i, g) in model.uops.iter().enumerate() {
                let r = g.code.clone();
                let total = r.len();
                let ok = r
                    .filter(|&o| {
                        o < real.len() && o < model.bytes.len() && real[o] == model.bytes[o]
                    })
                    .count();
                out.per_uop.push((i, ok, total));
            }
        }
    }
    out
}

/// How far from an operand a patched value may be and still count as that operand plus an
/// addend (a field offset).
const OPERAND_ADDEND: u64 = 0x100;

/// The 64-bit values built by `movz`/`movk` sequences (AArch64): for each register, the value
/// after each instruction of a run.
fn movw_values(code: &[u8]) -> BTreeSet<u64> {
    let mut regs = [0u64; 32];
    let mut out = BTreeSet::new();
    for w in code.chunks_exact(4) {
        let insn = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        let rd = (insn & 31) as usize;
        let imm = u64::from((insn >> 5) & 0xffff);
        let hw = (insn >> 21) & 3;
        if insn & 0xFF80_0000 == 0xD280_0000 {
            regs[rd] = imm << (16 * hw);
        } else if insn & 0xFF80_0000 == 0xF280_0000 {
            regs[rd] = (regs[rd] & !(0xffff << (16 * hw))) | (imm << (16 * hw));
        } else {
            continue;
        }
        out.insert(regs[rd]);
    }
    out
}

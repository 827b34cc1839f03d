//! The machine-code stage: an executor's JIT region disassembled with iced-x86, split into
//! code, data and padding, and annotated with what its instructions refer to.

use cpyviz_model::capture::Capture;
use cpyviz_model::uops::{AsmLine, Executor, JitSymbol, Listing, Section};

/// Fills the capture's *machine code* stage from its executors' recorded bytes (an executor
/// without machine code gets an empty listing).
pub fn annotate_capture(capture: &mut Capture) {
    let arch = crate::jit::capture_target(capture).arch();
    capture.later.machine_code = match &capture.later.executors {
        Some(Ok(executors)) => Some(executors.iter().map(|e| annotate_for(e, arch)).collect()),
        _ => None,
    };
}

/// [`annotate`] for the recording interpreter's instruction set: x86-64 with iced-x86, AArch64
/// (Apple Silicon, aarch64 Linux) with yaxpeax-arm.
pub fn annotate_for(ex: &Executor, arch: cpyviz_model::jit::Arch) -> Listing {
    match arch {
        cpyviz_model::jit::Arch::X86_64 => annotate(ex),
        cpyviz_model::jit::Arch::Aarch64 => annotate_a64(ex),
    }
}

/// An AArch64 region: the code up to the lowest region address a literal load (`ldr x, label`)
/// or `adr` designates past itself (`adrp` names only a page), then the data words and the
/// padding, annotated as on x86-64.
fn annotate_a64(ex: &Executor) -> Listing {
    use cpyviz_jit::disasm::disassemble;
    let Some(code) = ex.jit_code.as_deref() else {
        return Listing::default();
    };
    let base = ex.jit_address.unwrap_or(0);
    let len = code.len();
    let in_region = |a: u64| a >= base && a - base < len as u64;
    let symbols: std::collections::HashMap<u64, &JitSymbol> = if ex.jit_address.is_some() {
        ex.jit_symbols.iter().map(|s| (s.address, s)).collect()
    } else {
        Default::default()
    };
    let mut decoded = disassemble(cpyviz_model::jit::Arch::Aarch64, code, base);
    // `adrp xN, page` then `ldr xN, [xN, #off]`: the load's address is page + off.
    let mut pages: [Option<u64>; 32] = [None; 32];
    for l in &mut decoded {
        let Ok(insn) = u32::from_str_radix(l.hex.trim(), 16) else {
            continue;
        };
        let (rd, rn) = ((insn & 31) as usize, ((insn >> 5) & 31) as usize);
        if insn & 0x9F00_0000 == 0x9000_0000 {
            pages[rd] = l.mem_target;
            continue;
        }
        // `ldr xN, [xM, #off]` (scaled by 8) or `add xN, xM, #off` (an address in the page).
        let scale = match insn & 0xFFC0_0000 {
            0xF940_0000 => Some(8),
            0x9100_0000 => Some(1),
            _ => None,
        };
        if let (Some(scale), Some(page)) = (scale, pages[rn]) {
            l.mem_target = Some(page + u64::from((insn >> 10) & 0xFFF) * scale);
        }
        pages[rd] = None;
    }
    // A trampoline slot is `ldr x8, #8; br x8` and the address: its literal load is not data.
    let slot_at = |i: usize| {
        decoded[i].text.starts_with("ldr")
            && decoded
                .get(i + 1)
                .is_some_and(|n| n.text.starts_with("br "))
            && decoded[i].mem_target == Some(base + decoded[i].offset as u64 + 8)
    };
    let slots: std::collections::HashSet<usize> = (0..decoded.len())
        .filter(|&i| slot_at(i))
        .map(|i| decoded[i].offset + 8)
        .collect();
    let data_start = decoded
        .iter()
        .enumerate()
        .filter(|(i, l)| {
            !slot_at(*i)
                && (l.text.starts_with("ldr")
                    || l.text.starts_with("adr ")
                    || l.text.starts_with("add "))
        })
        .filter_map(|(_, l)| {
            l.mem_target
                .filter(|&t| in_region(t) && t > base + l.offset as u64)
        })
        .map(|t| (t - base) as usize)
        .min();
    let code_end = data_start.unwrap_or(len);
    let last = code.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    let padding_start = match data_start {
        Some(ds) => (ds + last.saturating_sub(ds).div_ceil(8) * 8).min(len),
        None => len,
    };
    let word = |off: usize| -> Option<u64> {
        code.get(off..off.checked_add(8)?)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
    };
    let name = |v: u64| symbols.get(&v).map(|s| s.name.clone());
    let mut lines = Vec::new();
    let mut skip_to = 0;
    for l in decoded.iter().take_while(|l| l.offset < code_end) {
        if l.offset < skip_to {
            continue;
        }
        if slots.contains(&l.offset) {
            // The slot's 64-bit target address.
            let v = word(l.offset).unwrap_or(0);
            lines.push(AsmLine {
                address: base + l.offset as u64,
                hex: code[l.offset..(l.offset + 8).min(len)]
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect(),
                text: format!(".quad {v:#x}"),
                section: Section::Code,
                note: name(v).map_or("trampoline target".into(), |n| format!("trampoline → {n}")),
                uop: None,
            });
            skip_to = l.offset + 8;
            continue;
        }
        let mut notes = Vec::new();
        if let Some(t) = l.branch_target.filter(|&t| !in_region(t)) {
            if let Some(n) = name(t) {
                notes.push(format!("→ {n}"));
            }
        }
        if let Some(t) = l.mem_target.filter(|&t| in_region(t)) {
            let off = (t - base) as usize;
            if let Some(ds) = data_start.filter(|&ds| off >= ds) {
                let slot = format!("data+{:#x}", off - ds);
                match word(off).and_then(name) {
                    Some(n) => notes.push(format!("{slot} → {n}")),
                    None => notes.push(slot),
                }
            }
        }
        lines.push(AsmLine {
            address: base + l.offset as u64,
            hex: l.hex.replace(' ', ""),
            text: l.text.clone(),
            section: Section::Code,
            note: notes.join("; "),
            uop: None,
        });
    }
    if let Some(ds) = data_start {
        data_lines(&mut lines, code, base, ds, padding_start, &|v| {
            name(v).map(|n| format!("→ {n}"))
        });
    }
    Listing {
        lines,
        data_start,
        padding_start,
        len,
    }
}

/// The recorded machine code of each executor as hex and disassembly (x86-64: Intel syntax).
pub fn dump_machine_code(executors: &[Executor]) -> String {
    dump_machine_code_for(executors, cpyviz_model::jit::Arch::X86_64)
}

/// [`dump_machine_code`] for an instruction set.
pub fn dump_machine_code_for(executors: &[Executor], arch: cpyviz_model::jit::Arch) -> String {
    let mut out = String::new();
    for ex in executors {
        out.push_str(&format!(
            "Executor for {} at offset {}: {} uops",
            ex.qualname,
            ex.offset,
            ex.uops.len()
        ));
        let Some(code) = &ex.jit_code else {
            out.push_str(&format!(
                ", no machine code ({})\n\n",
                ex.jit_note.as_deref().unwrap_or("unknown reason")
            ));
            continue;
        };
        match ex.jit_address {
            Some(a) => out.push_str(&format!(
                ", {} bytes of machine code at {a:#x}\n",
                code.len()
            )),
            None => out.push_str(&format!(
                ", {} bytes of machine code (address unknown: {}; offsets from 0)\n",
                code.len(),
                ex.jit_note.as_deref().unwrap_or("not recorded")
            )),
        }
        let listing = annotate_for(ex, arch);
        let mut section = None;
        for l in &listing.lines {
            if section != Some(l.section) {
                section = Some(l.section);
                if let Some(label) = listing.label(l.section) {
                    out.push_str(&format!("  ; {label}\n"));
                }
            }
            let hex = if l.hex.len() > 30 {
                format!("{}…", &l.hex[..29])
            } else {
                l.hex.clone()
            };
            let line = format!("  {:016x}  {:<30} {}", l.address, hex, l.text);
            if l.note.is_empty() {
                out.push_str(&format!("{line}\n"));
            } else {
                out.push_str(&format!("{line:<80} ; {}\n", l.note));
            }
        }
        out.push('\n');
    }
    out
}

/// Disassembles an executor's machine code once, splitting it into code, data and padding and
/// annotating what instructions refer to through `jit_symbols` and the uops' opargs/operands.
/// Nothing is guessed: a value that resolves to nothing recorded gets no annotation.
pub fn annotate(ex: &Executor) -> Listing {
    use iced_x86::{Code, Decoder, DecoderOptions, Formatter, Instruction, IntelFormatter, OpKind};
    use std::collections::HashMap;
    let Some(code) = ex.jit_code.as_deref() else {
        return Listing::default();
    };
    let base = ex.jit_address.unwrap_or(0);
    let len = code.len();
    let in_region = |a: u64| a >= base && a - base < len as u64;
    let symbols: HashMap<u64, &JitSymbol> = if ex.jit_address.is_some() {
        ex.jit_symbols.iter().map(|s| (s.address, s)).collect()
    } else {
        HashMap::new() // addresses counted from 0 cannot be compared with the process's
    };
    let word = |off: usize| -> Option<u64> {
        code.get(off..off.checked_add(8)?)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
    };
    // A value as the capture knows it: a resolved address, else which uops carry it.
    let describe = |v: u64, with_uops: bool| -> Option<String> {
        if let Some(s) = symbols.get(&v) {
            return Some(s.name.clone());
        }
        if ex.jit_address.is_some() && in_region(v) {
            return Some(format!("this executor +{:#x}", v - base));
        }
        if !with_uops {
            return None;
        }
        let mut hits = Vec::new();
        for (i, u) in ex.uops.iter().enumerate() {
            if u.operand == v && v != 0 {
                hits.push(format!("operand of #{i} {}", u.name));
            } else if u64::try_from(u.oparg).ok() == Some(v) && v != 0 {
                hits.push(format!("oparg of #{i} {}", u.name));
            }
        }
        match hits.len() {
            0 => None,
            1 | 2 => Some(hits.join(", ")),
            n => Some(format!("{}, {} (+{} more uops)", hits[0], hits[1], n - 2)),
        }
    };

    let mut decoder = Decoder::with_ip(64, code, base, DecoderOptions::NONE);
    let mut formatter = IntelFormatter::new();
    let mut instr = Instruction::default();
    let mut lines = Vec::new();
    // Data starts at the lowest region address seen so far that an instruction loads from
    // (rip-relative, not `lea`) or holds as a 64-bit immediate, past that instruction (the code
    // precedes its data); decoding stops there.
    let mut data_start: Option<usize> = None;
    let mut decoded = Vec::new();
    while decoder.can_decode() {
        let off = decoder.ip().wrapping_sub(base) as usize;
        if data_start.is_some_and(|d| off >= d) {
            break;
        }
        decoder.decode_out(&mut instr);
        let target = if instr.is_ip_rel_memory_operand() && instr.code() != Code::Lea_r64_m {
            Some(instr.ip_rel_memory_address())
        } else if instr.code() == Code::Mov_r64_imm64 && ex.jit_address.is_some() {
            Some(instr.immediate64())
        } else {
            None
        };
        if let Some(t) = target {
            if in_region(t) && t > instr.ip() {
                let t = (t - base) as usize;
                data_start = Some(data_start.map_or(t, |d| d.min(t)));
            }
        }
        decoded.push(instr);
    }
    let code_end = data_start.unwrap_or(len);
    // Trailing zeros: after the last non-zero byte, rounded up to a whole 8-byte data word.
    let mut padding_start = len;
    if let Some(ds) = data_start {
        let last = code[ds..]
            .iter()
            .rposition(|&b| b != 0)
            .map_or(ds, |i| ds + i + 1);
        padding_start = (ds + (last - ds).div_ceil(8) * 8).min(len);
    }
    for instr in &decoded {
        let start = instr.ip().wrapping_sub(base) as usize;
        if start >= code_end {
            break;
        }
        let end = (start + instr.len()).min(len);
        if end > code_end {
            // Decoded across the start of the data: only its first bytes are code (or padding).
            let bytes = code.get(start..code_end).unwrap_or(&[]);
            lines.push(AsmLine {
                address: instr.ip(),
                hex: bytes.iter().map(|b| format!("{b:02x}")).collect(),
                text: format!(".byte ({} bytes before the data)", bytes.len()),
                section: Section::Code,
                note: String::new(),
                uop: None,
            });
            break;
        }
        let mut text = String::new();
        formatter.format(instr, &mut text);
        let bytes = code.get(start..end).unwrap_or(&[]);
        let mut notes = Vec::new();
        if matches!(instr.op0_kind(), OpKind::NearBranch64) && instr.op_count() == 1 {
            let t = instr.near_branch_target();
            if !in_region(t) {
                if let Some(d) = describe(t, false) {
                    notes.push(format!("→ {d}"));
                }
            }
        }
        if instr.is_ip_rel_memory_operand() {
            let t = instr.ip_rel_memory_address();
            if in_region(t) {
                let off = (t - base) as usize;
                match data_start {
                    Some(ds) if off >= ds && instr.code() != Code::Lea_r64_m => {
                        let slot = format!("data+{:#x}", off - ds);
                        match word(off).and_then(|v| describe(v, true)) {
                            Some(d) => notes.push(format!("{slot} → {d}")),
                            None => notes.push(slot),
                        }
                    }
                    _ => {}
                }
            } else if let Some(d) = describe(t, false) {
                notes.push(format!("→ {d}"));
            }
        }
        if instr.code() == Code::Mov_r64_imm64 {
            if let Some(d) = describe(instr.immediate64(), true) {
                notes.push(d);
            }
        }
        lines.push(AsmLine {
            address: instr.ip(),
            hex: bytes.iter().map(|b| format!("{b:02x}")).collect(),
            text,
            section: Section::Code,
            note: notes.join("; "),
            uop: None,
        });
    }
    if let Some(ds) = data_start {
        data_lines(&mut lines, code, base, ds, padding_start, &|v| {
            describe(v, true).map(|d| format!("→ {d}"))
        });
    }
    assign_uops(ex, &decoded, &mut lines, &symbols);
    Listing {
        lines,
        data_start,
        padding_start,
        len,
    }
}

/// The data part of a region as 8-byte words (text shown as `.ascii`, a word the capture
/// resolves annotated by `note`), then one line for the zero padding.
fn data_lines(
    lines: &mut Vec<AsmLine>,
    code: &[u8],
    base: u64,
    ds: usize,
    padding_start: usize,
    note: &dyn Fn(u64) -> Option<String>,
) {
    let len = code.len();
    let mut off = ds;
    while off < padding_start {
        let end = (off + 8).min(padding_start);
        let bytes = &code[off..end];
        let v = (end - off == 8).then(|| u64::from_le_bytes(bytes.try_into().unwrap_or([0; 8])));
        let n = v.and_then(note).unwrap_or_default();
        let text = match v {
            _ if n.is_empty() && is_text(bytes) => format!(".ascii \"{}\"", ascii(bytes)),
            Some(v) => format!(".quad {v:#x}"),
            None => format!(".byte ({} bytes)", bytes.len()),
        };
        lines.push(AsmLine {
            address: base.wrapping_add(off as u64),
            hex: bytes.iter().map(|b| format!("{b:02x}")).collect(),
            text,
            section: Section::Data,
            note: format!("data+{:#x} {n}", off - ds).trim_end().to_string(),
            uop: None,
        });
        off = end;
    }
    if padding_start < len {
        lines.push(AsmLine {
            address: base.wrapping_add(padding_start as u64),
            hex: "00".repeat((len - padding_start).min(8)),
            text: format!("({} zero bytes)", len - padding_start),
            section: Section::Padding,
            note: String::new(),
            uop: None,
        });
    }
}

/// Ties instructions to uops where the data proves it (see `AsmLine::uop`): a `mov r64, imm64`
/// whose value is the operand of exactly one uop, at least 0x10000 (small values recur by
/// chance) and not an address the recording process resolved (a symbol can be hard-coded in
/// other stencils too). Stencils are laid out in trace order, so these anchors must come in
/// non-decreasing uop order; if they do not, none is kept.
fn assign_uops(
    ex: &Executor,
    decoded: &[iced_x86::Instruction],
    lines: &mut [AsmLine],
    symbols: &std::collections::HashMap<u64, &JitSymbol>,
) {
    let mut anchors = Vec::new();
    for instr in decoded {
        if instr.code() != iced_x86::Code::Mov_r64_imm64 {
            continue;
        }
        let v = instr.immediate64();
        if v < 0x10000 || symbols.contains_key(&v) {
            continue;
        }
        let mut owners = ex.uops.iter().enumerate().filter(|(_, u)| u.operand == v);
        if let (Some((i, _)), None) = (owners.next(), owners.next()) {
            anchors.push((instr.ip(), i));
        }
    }
    if anchors.windows(2).any(|w| w[1].1 < w[0].1) {
        return;
    }
    for (ip, u) in anchors {
        if let Some(l) = lines
            .iter_mut()
            .find(|l| l.address == ip && l.section == Section::Code)
        {
            l.uop = Some(u);
        }
    }
}

/// Whether a data word reads as C string text: printable ASCII or NUL, at least 4 printable.
fn is_text(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| b == 0 || (0x20..0x7f).contains(&b))
        && bytes.iter().filter(|&&b| b != 0).count() >= 4
}

fn ascii(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0 => "\\0".to_string(),
            b'"' => "\\\"".to_string(),
            b'\\' => "\\\\".to_string(),
            b => (b as char).to_string(),
        })
        .collect()
}

/// Disassembles x86-64 machine code loaded at `base` (Intel syntax). Never fails: bytes that do
/// not decode come out as iced-x86's `(bad)` instructions.
pub fn disassemble(code: &[u8], base: u64) -> Vec<AsmLine> {
    use iced_x86::{Decoder, DecoderOptions, Formatter, Instruction, IntelFormatter};
    let mut decoder = Decoder::with_ip(64, code, base, DecoderOptions::NONE);
    let mut formatter = IntelFormatter::new();
    let mut instr = Instruction::default();
    let mut out = Vec::new();
    while decoder.can_decode() {
        decoder.decode_out(&mut instr);
        let mut text = String::new();
        formatter.format(&instr, &mut text);
        let start = instr.ip().wrapping_sub(base) as usize;
        let end = (start + instr.len()).min(code.len());
        let bytes = code.get(start..end).unwrap_or(&[]);
        out.push(AsmLine {
            address: instr.ip(),
            hex: bytes.iter().map(|b| format!("{b:02x}")).collect(),
            text,
            section: Section::Code,
            note: String::new(),
            uop: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpyviz_model::uops::Uop;

    fn sym(address: u64, name: &str) -> JitSymbol {
        JitSymbol {
            address,
            kind: "symbol".into(),
            name: name.into(),
        }
    }

    /// call [rip→data+0], mov rax imm64 (a uop's operand), call to a known and to an unknown
    /// function, ret, nops; data: a known and an unknown address; zero padding.
    fn synthetic() -> Executor {
        let mut code = vec![0xff, 0x15];
        code.extend(0x1a_i32.to_le_bytes()); // 0x00: call [rip+0x1a] → +0x20
        code.extend([0x48, 0xb8]);
        code.extend(0x7777_u64.to_le_bytes()); // 0x06: mov rax, 0x7777
        code.push(0xe8);
        code.extend((0x5000_i32 - 0x1015).to_le_bytes()); // 0x10: call 0x5000
        code.push(0xe8);
        code.extend((0x6000_i32 - 0x101a).to_le_bytes()); // 0x15: call 0x6000 (unknown)
        code.push(0xc3); // 0x1a: ret
        code.extend([0x90; 5]); // 0x1b..0x20
        code.extend(0xdead_0000_u64.to_le_bytes()); // data+0x0
        code.extend(0xbeef_u64.to_le_bytes()); // data+0x8
        code.extend([0; 8]);
        Executor {
            qualname: "f".into(),
            uops: vec![Uop {
                name: "_LOAD_CONST_INLINE".into(),
                operand: 0x7777,
                ..Default::default()
            }],
            jit_code: Some(code),
            jit_address: Some(0x1000),
            jit_symbols: vec![
                sym(0xdead_0000, "PyLong_Type"),
                sym(0x5000, "_PyLong_Add"),
                sym(0x12345, "_Decoy"),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn annotations_appear_where_resolved_and_nowhere_else() {
        let l = annotate(&synthetic());
        assert_eq!(l.data_start, Some(0x20));
        assert_eq!(l.padding_start, 0x30);
        let note = |addr: u64| {
            l.lines
                .iter()
                .find(|x| x.address == addr)
                .map(|x| x.note.as_str())
                .unwrap()
        };
        assert_eq!(note(0x1000), "data+0x0 → PyLong_Type");
        assert_eq!(note(0x1006), "operand of #0 _LOAD_CONST_INLINE");
        let uop = |addr: u64| l.lines.iter().find(|x| x.address == addr).unwrap().uop;
        assert_eq!(uop(0x1006), None); // 0x7777 < 0x10000: too small to prove anything
        assert_eq!(uop(0x1000), None);
        assert_eq!(note(0x1010), "→ _PyLong_Add");
        assert_eq!(note(0x1015), ""); // call to an address nobody resolved
        assert_eq!(note(0x101a), "");
        assert_eq!(note(0x1020), "data+0x0 → PyLong_Type");
        assert_eq!(note(0x1028), "data+0x8"); // 0xbeef: not a known value
        let sections: Vec<Section> = l.lines.iter().map(|x| x.section).collect();
        assert_eq!(sections.iter().filter(|s| **s == Section::Data).count(), 2);
        assert_eq!(sections.last(), Some(&Section::Padding));
        assert!(l.lines.iter().all(|x| !x.note.contains("_Decoy")));
        let dump = dump_machine_code(&[synthetic()]);
        assert!(dump.contains("; → _PyLong_Add"), "{dump}");
        assert!(dump.contains("; data +0x20..+0x30"), "{dump}");
    }

    #[test]
    fn without_an_address_symbols_are_not_used() {
        let mut ex = synthetic();
        ex.jit_address = None;
        ex.jit_symbols = vec![sym(0xdead_0000, "PyLong_Type"), sym(0x4000, "_X")];
        let l = annotate(&ex);
        assert!(l.lines.iter().all(|x| !x.note.contains("PyLong_Type")));
        assert!(l.lines.iter().all(|x| !x.note.contains("_X")));
        // the uop operand still matches: it does not depend on the address
        assert!(l.lines.iter().any(|x| x.note.contains("operand of #0")));
    }

    #[test]
    fn instructions_are_tied_to_uops_only_by_unique_operands_in_order() {
        let mov = |v: u64| {
            let mut b = vec![0x48, 0xb8];
            b.extend(v.to_le_bytes());
            b
        };
        let uop = |name: &str, operand: u64| Uop {
            name: name.into(),
            operand,
            ..Default::default()
        };
        let mut code = mov(0x5555_0000);
        code.extend(mov(0x6666_0000));
        code.extend(mov(0x7777_0000)); // operand of two uops: proves nothing
        let mut ex = Executor {
            uops: vec![
                uop("_SET_IP", 0x5555_0000),
                uop("_SET_IP", 0x6666_0000),
                uop("_A", 0x7777_0000),
                uop("_B", 0x7777_0000),
            ],
            jit_code: Some(code),
            jit_address: Some(0x1000),
            ..Default::default()
        };
        let got: Vec<_> = annotate(&ex).lines.iter().map(|l| l.uop).collect();
        assert_eq!(got, vec![Some(0), Some(1), None]);
        // out of trace order: the assumption fails, so nothing is assigned
        ex.uops.swap(0, 1);
        let got: Vec<_> = annotate(&ex).lines.iter().map(|l| l.uop).collect();
        assert_eq!(got, vec![None, None, None]);
    }

    #[test]
    fn odd_regions_do_not_panic() {
        for code in [
            vec![],
            vec![0xff, 0x15, 0, 0, 0, 0],
            vec![0x48, 0xb8, 1],
            vec![0; 3],
        ] {
            let ex = Executor {
                jit_code: Some(code),
                jit_address: Some(u64::MAX - 2),
                jit_symbols: vec![sym(0, "zero")],
                ..Default::default()
            };
            let _ = annotate(&ex);
            let _ = dump_machine_code(&[ex]);
        }
    }

    #[test]
    fn machine_code_dump_survives_any_bytes() {
        let ex = Executor {
            qualname: "<module>".into(),
            jit_code: Some(vec![0x0f, 0xff, 0xff, 0x48]),
            ..Default::default()
        };
        let text = dump_machine_code(&[ex, Executor::default()]);
        assert!(text.contains("4 bytes of machine code"));
        assert!(text.contains("no machine code"));
    }
}

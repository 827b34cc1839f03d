//! Disassembly of stencils and regions: x86-64 with iced-x86 (Intel syntax), AArch64 with
//! yaxpeax-arm, with the absolute targets of branches and PC-relative memory operands.

use cpyviz_model::jit::Arch;
use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter, OpKind};
use yaxpeax_arch::{Decoder as _, U8Reader};

/// One instruction (or undecodable word/bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisLine {
    /// Offset from the start of the bytes disassembled.
    pub offset: usize,
    pub len: usize,
    /// The bytes, `48 89 f8` (x86-64) or the 32-bit word `d503201f` (AArch64).
    pub hex: String,
    pub text: String,
    /// Where a direct branch or call goes.
    pub branch_target: Option<u64>,
    /// The address a PC-relative memory operand (or `adr`/`adrp`) designates.
    pub mem_target: Option<u64>,
}

/// Disassembles `bytes`, the first of which is at `address`.
pub fn disassemble(arch: Arch, bytes: &[u8], address: u64) -> Vec<DisLine> {
    match arch {
        Arch::X86_64 => x86_64(bytes, address),
        Arch::Aarch64 => aarch64(bytes, address),
    }
}

fn hex_bytes(b: &[u8]) -> String {
    b.iter()
        .map(|x| format!("{x:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn x86_64(bytes: &[u8], address: u64) -> Vec<DisLine> {
    let mut out = Vec::new();
    let mut fmt = IntelFormatter::new();
    let o = fmt.options_mut();
    o.set_rip_relative_addresses(true);
    o.set_space_after_operand_separator(true);
    o.set_hex_prefix("0x");
    o.set_hex_suffix("");
    o.set_uppercase_hex(false);
    o.set_branch_leading_zeros(false);
    let mut offset = 0;
    while offset < bytes.len() {
        let ip = address.wrapping_add(offset as u64);
        let mut dec = Decoder::with_ip(64, &bytes[offset..], ip, DecoderOptions::NONE);
        let ins = dec.decode();
        if ins.is_invalid() {
            out.push(DisLine {
                offset,
                len: 1,
                hex: hex_bytes(&bytes[offset..offset + 1]),
                text: format!(".byte {:#04x}", bytes[offset]),
                branch_target: None,
                mem_target: None,
            });
            offset += 1;
            continue;
        }
        let len = ins.len().max(1);
        let mut text = String::new();
        fmt.format(&ins, &mut text);
        let branch_target = (0..ins.op_count())
            .any(|i| {
                matches!(
                    ins.op_kind(i),
                    OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64
                )
            })
            .then(|| ins.near_branch_target());
        let mem_target = ins
            .is_ip_rel_memory_operand()
            .then(|| ins.ip_rel_memory_address());
        out.push(DisLine {
            offset,
            len,
            hex: hex_bytes(&bytes[offset..offset + len]),
            text,
            branch_target,
            mem_target,
        });
        offset += len;
    }
    out
}

fn sign_extend(v: u32, bits: u32) -> i64 {
    let shift = 64 - bits;
    (i64::from(v) << shift) >> shift
}

/// The branch target and PC-relative address of an A64 instruction at `pc`, from its
/// encoding: `b`/`bl` (imm26), `b.cond`/`cbz`/`cbnz` (imm19), `tbz`/`tbnz` (imm14), `adr`,
/// `adrp` (imm21, pages) and `ldr` literal (imm19).
pub fn a64_targets(w: u32, pc: u64) -> (Option<u64>, Option<u64>) {
    let rel = |imm: i64| pc.wrapping_add(imm as u64);
    if w & 0x7C00_0000 == 0x1400_0000 {
        return (Some(rel(sign_extend(w & 0x03FF_FFFF, 26) << 2)), None);
    }
    let imm19 = sign_extend((w >> 5) & 0x7FFFF, 19) << 2;
    if w & 0xFF00_0010 == 0x5400_0000 || w & 0x7E00_0000 == 0x3400_0000 {
        return (Some(rel(imm19)), None);
    }
    if w & 0x7E00_0000 == 0x3600_0000 {
        return (Some(rel(sign_extend((w >> 5) & 0x3FFF, 14) << 2)), None);
    }
    let imm21 = sign_extend((((w >> 5) & 0x7FFFF) << 2) | ((w >> 29) & 3), 21);
    if w & 0x9F00_0000 == 0x1000_0000 {
        return (None, Some(rel(imm21)));
    }
    if w & 0x9F00_0000 == 0x9000_0000 {
        return (None, Some((pc & !0xFFF).wrapping_add((imm21 << 12) as u64)));
    }
    if w & 0x3B00_0000 == 0x1800_0000 {
        return (None, Some(rel(imm19)));
    }
    (None, None)
}

fn aarch64(bytes: &[u8], address: u64) -> Vec<DisLine> {
    let dec = yaxpeax_arm::armv8::a64::InstDecoder::default();
    let mut out = Vec::new();
    let mut offset = 0;
    while offset + 4 <= bytes.len() {
        let b: [u8; 4] = [
            bytes[offset],
            bytes[offset + 1],
            bytes[offset + 2],
            bytes[offset + 3],
        ];
        let w = u32::from_le_bytes(b);
        let pc = address.wrapping_add(offset as u64);
        let mut reader = U8Reader::new(&b);
        let text = match dec.decode(&mut reader) {
            Ok(ins) => ins.to_string(),
            Err(_) => format!(".word {w:#010x}"),
        };
        let (branch_target, mem_target) = a64_targets(w, pc);
        out.push(DisLine {
            offset,
            len: 4,
            hex: format!("{w:08x}"),
            text,
            branch_target,
            mem_target,
        });
        offset += 4;
    }
    for (i, &x) in bytes[offset..].iter().enumerate() {
        out.push(DisLine {
            offset: offset + i,
            len: 1,
            hex: format!("{x:02x}"),
            text: format!(".byte {x:#04x}"),
            branch_target: None,
            mem_target: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x86_targets_and_text() {
        // jmp qword ptr [rip]; call rel32 +0x10; mov rax, [rip+0x10]; garbage byte
        let bytes = [
            0xFF, 0x25, 0, 0, 0, 0, 0xE8, 0x10, 0, 0, 0, 0x48, 0x8B, 0x05, 0x10, 0, 0, 0, 0x06,
        ];
        let l = disassemble(Arch::X86_64, &bytes, 0x1000);
        assert_eq!(l[0].text, "jmp qword ptr [rip]");
        assert_eq!(l[0].mem_target, Some(0x1006));
        assert_eq!(l[0].branch_target, None);
        assert_eq!(l[1].hex, "e8 10 00 00 00");
        assert_eq!(l[1].branch_target, Some(0x100b + 0x10));
        assert_eq!(l[2].text, "mov rax, [rip+0x10]");
        assert_eq!(l[2].mem_target, Some(0x1012 + 0x10));
        assert_eq!(l[3].text, ".byte 0x06");
        assert_eq!(l.iter().map(|d| d.len).sum::<usize>(), bytes.len());
    }

    #[test]
    fn a64_targets_from_encodings() {
        let pc = 0x10_0000u64;
        // b -4 (imm26 = -1)
        assert_eq!(a64_targets(0x17FF_FFFF, pc).0, Some(pc - 4));
        // bl +0x40
        assert_eq!(a64_targets(0x9400_0010, pc).0, Some(pc + 0x40));
        // b.ne +8
        assert_eq!(a64_targets(0x5400_0041, pc).0, Some(pc + 8));
        // cbz x0, +0xc
        assert_eq!(a64_targets(0xB400_0060, pc).0, Some(pc + 0xc));
        // tbnz w1, #3, +0x20: 0x37180101
        assert_eq!(a64_targets(0x3718_0101, pc).0, Some(pc + 0x20));
        // adr x0, +0x10
        assert_eq!(a64_targets(0x1000_0080, pc).1, Some(pc + 0x10));
        // adrp x8, +2 pages (immlo = 2)
        assert_eq!(a64_targets(0xD000_0008, pc + 0x123).1, Some(pc + 0x2000));
        // ldr x8, #8
        assert_eq!(a64_targets(0x5800_0048, pc).1, Some(pc + 8));
        // nop
        assert_eq!(a64_targets(0xD503_201F, pc), (None, None));
    }

    #[test]
    fn a64_text_and_bad_words() {
        let mut bytes = Vec::new();
        for w in [0x5800_0048u32, 0xD61F_0100, 0xFFFF_FFFF] {
            bytes.extend_from_slice(&w.to_le_bytes());
        }
        bytes.push(0xAB);
        let l = disassemble(Arch::Aarch64, &bytes, 0x4000);
        assert!(l[0].text.starts_with("ldr x8, "), "{}", l[0].text);
        assert_eq!(l[0].mem_target, Some(0x4008));
        assert_eq!(l[1].text, "br x8");
        assert_eq!(l[2].text, ".word 0xffffffff");
        assert_eq!(l[3].text, ".byte 0xab");
        assert_eq!(l[3].offset, 12);
    }
}

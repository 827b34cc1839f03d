//! The patch functions of CPython's `Python/jit.c`, as pure functions on a byte buffer.
//!
//! Each function takes the buffer (a [`Buf`]: bytes and the address of its first byte), the
//! address of the location to patch, and the value, exactly as `jit.c`'s function of the same
//! name does; where `jit.c` asserts (a displacement out of range, an instruction of the wrong
//! shape, a misaligned offset), these return an `Err` saying what did not hold. On success they
//! return a [`Patched`]: how the value got there ([`Via`]) and which bytes changed.
//!
//! The rules (ranges, bit fields, relaxations) are the facts of `jit.c` for 3.14 and 3.15, which
//! agree on every function here; `patch_aarch64_33rx` takes the `adrp`'s and the `ldr`'s
//! locations separately (3.15's form; for 3.14 the `ldr` is the word after the `adrp`).

use cpyviz_model::jit::Via;
use std::ops::Range;

/// Bytes of memory and the address of the first one.
pub struct Buf<'a> {
    pub bytes: &'a mut [u8],
    pub base: u64,
}

/// What a patch did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patched {
    pub via: Via,
    /// The bytes it changed (the word, or the instruction bytes it rewrote), as offsets into
    /// the buffer. For a trampoline patch: the call site only (see [`Patched::slot`]).
    pub span: Range<usize>,
    /// A trampoline slot it wrote, as offsets into the buffer.
    pub slot: Option<Range<usize>>,
    /// A few words on what was written (`rel32 +0x4b2`, `mov → lea, rel32 +0x1c`, …).
    pub how: String,
}

impl Patched {
    fn new(via: Via, span: Range<usize>, how: String) -> Patched {
        Patched {
            via,
            span,
            slot: None,
            how,
        }
    }
}

/// `+0x4b2` / `-0x10`.
pub fn signed_hex(v: impl Into<i128>) -> String {
    let v: i128 = v.into();
    if v < 0 {
        format!("-{:#x}", v.unsigned_abs())
    } else {
        format!("+{v:#x}")
    }
}

impl<'a> Buf<'a> {
    pub fn new(bytes: &'a mut [u8], base: u64) -> Buf<'a> {
        Buf { bytes, base }
    }

    /// The offset of `len` bytes at `addr`, if they are all inside the buffer.
    pub fn offset(&self, addr: u64, len: usize) -> Result<usize, String> {
        let end = self.base.wrapping_add(self.bytes.len() as u64);
        let inside = addr >= self.base && addr.checked_add(len as u64).is_some_and(|e| e <= end);
        if inside {
            Ok((addr - self.base) as usize)
        } else {
            Err(format!(
                "{len} bytes at {addr:#x} are outside the buffer {:#x}..{end:#x}",
                self.base
            ))
        }
    }

    pub fn read_u32(&self, addr: u64) -> Result<u32, String> {
        let o = self.offset(addr, 4)?;
        let mut b = [0u8; 4];
        b.copy_from_slice(&self.bytes[o..o + 4]);
        Ok(u32::from_le_bytes(b))
    }

    pub fn write_u32(&mut self, addr: u64, v: u32) -> Result<usize, String> {
        let o = self.offset(addr, 4)?;
        self.bytes[o..o + 4].copy_from_slice(&v.to_le_bytes());
        Ok(o)
    }

    pub fn read_u64(&self, addr: u64) -> Result<u64, String> {
        let o = self.offset(addr, 8)?;
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.bytes[o..o + 8]);
        Ok(u64::from_le_bytes(b))
    }

    pub fn write_u64(&mut self, addr: u64, v: u64) -> Result<usize, String> {
        let o = self.offset(addr, 8)?;
        self.bytes[o..o + 8].copy_from_slice(&v.to_le_bytes());
        Ok(o)
    }

    fn read_u8(&self, addr: u64) -> Result<u8, String> {
        let o = self.offset(addr, 1)?;
        Ok(self.bytes[o])
    }
}

/// `(to - from)` as a signed 128-bit number (no overflow for any pair of addresses).
fn delta(from: u64, to: u64) -> i128 {
    i128::from(to) - i128::from(from)
}

/// `-2^(bits-1) <= v < 2^(bits-1)`.
fn fits_signed(v: i128, bits: u32) -> bool {
    let lim = 1i128 << (bits - 1);
    v >= -lim && v < lim
}

/// Clears `width` bits at `start` of `word` and puts `field` there.
fn set_field(word: u32, start: u32, width: u32, field: u64) -> u32 {
    let m = ((1u64 << width) - 1) as u32;
    (word & !(m << start)) | ((field as u32 & m) << start)
}

// ----- instruction shapes (ARM A64 encodings, as jit.c checks them) -----

fn is_add_or_sub_imm(i: u32) -> bool {
    i & 0x11C0_0000 == 0x1100_0000
}
fn is_adrp(i: u32) -> bool {
    i & 0x9F00_0000 == 0x9000_0000
}
fn is_branch(i: u32) -> bool {
    i & 0x7C00_0000 == 0x1400_0000
}
/// `b.cond` (jit.c's test, `i & 0x7C000000 == 0x54000000`, also matches system
/// instructions such as `nop`; this one is the exact encoding).
fn is_branch_cond(i: u32) -> bool {
    i & 0xFF00_0010 == 0x5400_0000
}
fn is_compare_and_branch(i: u32) -> bool {
    i & 0x7E00_0000 == 0x3400_0000
}
fn is_ldr_or_str_imm(i: u32) -> bool {
    i & 0x3B00_0000 == 0x3900_0000
}
fn is_move_wide(i: u32) -> bool {
    i & 0x9F80_0000 == 0x9280_0000
}

/// `movz xN, #imm16` (64-bit, no shift).
const MOVZ_X: u32 = 0xD280_0000;
/// `movk xN, #imm16, lsl #16`.
const MOVK_X_16: u32 = 0xF2A0_0000;
/// `ldr xN, <literal>`.
const LDR_X_LITERAL: u32 = 0x5800_0000;
const NOP: u32 = 0xD503_201F;
/// The AArch64 trampoline: `ldr x8, #8` and `br x8`, then the address.
pub const AARCH64_TRAMPOLINE_LDR: u32 = 0x5800_0048;
pub const AARCH64_TRAMPOLINE_BR: u32 = 0xD61F_0100;

// ----- x86-64 and shared -----

/// `patch_32`: a 32-bit absolute value (`value < 2^32`).
pub fn patch_32(buf: &mut Buf, loc: u64, value: u64) -> Result<Patched, String> {
    if value >= 1 << 32 {
        return Err(format!(
            "patch_32 at {loc:#x}: {value:#x} does not fit in 32 unsigned bits"
        ));
    }
    let o = buf.write_u32(loc, value as u32)?;
    Ok(Patched::new(
        Via::Direct,
        o..o + 4,
        format!("u32 {value:#x}"),
    ))
}

/// `patch_32r`: a 32-bit displacement `value - loc` (signed 32 bits).
pub fn patch_32r(buf: &mut Buf, loc: u64, value: u64) -> Result<Patched, String> {
    let rel = delta(loc, value);
    if !fits_signed(rel, 32) {
        return Err(format!(
            "patch_32r at {loc:#x}: {value:#x} - {loc:#x} = {} does not fit in a signed 32-bit \
             displacement (±2 GiB)",
            signed_hex(rel)
        ));
    }
    let o = buf.write_u32(loc, rel as i32 as u32)?;
    Ok(Patched::new(
        Via::Direct,
        o..o + 4,
        format!("rel32 {}", signed_hex(rel)),
    ))
}

/// `patch_64`: a 64-bit absolute value.
pub fn patch_64(buf: &mut Buf, loc: u64, value: u64) -> Result<Patched, String> {
    let o = buf.write_u64(loc, value)?;
    Ok(Patched::new(
        Via::Direct,
        o..o + 8,
        format!("u64 {value:#x}"),
    ))
}

/// `patch_x86_64_32rx`: a relaxable GOT load. `value + 4` is the address of the GOT entry (or
/// data word) the instruction reads; when what it holds is within reach of a 32-bit
/// displacement, `mov r, [rip+X]` becomes `lea r, [rip+Y]`, `call [rip+X]` becomes `nop; call Y`
/// and `jmp [rip+X]` becomes `nop; jmp Y`, so the entry is no longer read.
pub fn patch_x86_64_32rx(buf: &mut Buf, loc: u64, value: u64) -> Result<Patched, String> {
    let entry = value.wrapping_add(4);
    let held = buf.read_u64(entry).map_err(|e| {
        format!("patch_x86_64_32rx at {loc:#x}: reads the GOT entry at {entry:#x}: {e}")
    })?;
    let relaxed = held.wrapping_sub(4);
    let rel = delta(loc, relaxed);
    let reachable = rel >= -(1i128 << 31) && rel + 1 < (1i128 << 31);
    let (op1, op2) = match loc.checked_sub(2) {
        Some(a) if buf.offset(a, 2).is_ok() => (buf.read_u8(a)?, buf.read_u8(a + 1)?),
        _ => {
            return Err(format!(
                "patch_x86_64_32rx at {loc:#x}: the instruction's opcode bytes before the \
                 displacement are outside the buffer"
            ))
        }
    };
    let o2 = (loc - 2 - buf.base) as usize;
    let rewrite = if !reachable {
        None
    } else if op1 == 0x8B {
        buf.bytes[o2] = 0x8D;
        Some("mov → lea")
    } else if op1 == 0xFF && op2 == 0x15 {
        buf.bytes[o2] = 0x90;
        buf.bytes[o2 + 1] = 0xE8;
        Some("call [rip+GOT] → nop; call")
    } else if op1 == 0xFF && op2 == 0x25 {
        buf.bytes[o2] = 0x90;
        buf.bytes[o2 + 1] = 0xE9;
        Some("jmp [rip+GOT] → nop; jmp")
    } else {
        None
    };
    match rewrite {
        Some(what) => {
            let p = patch_32r(buf, loc, relaxed)?;
            Ok(Patched::new(
                Via::Relaxed,
                o2..p.span.end,
                format!("{what}, {}", p.how),
            ))
        }
        None => {
            let p = patch_32r(buf, loc, value)?;
            let why = if reachable {
                "not a mov/call/jmp through the GOT".to_string()
            } else {
                format!("{held:#x} is out of rel32 reach")
            };
            Ok(Patched::new(
                Via::Direct,
                p.span,
                format!(
                    "{} to the GOT entry at {entry:#x}; not relaxed: {why}",
                    p.how
                ),
            ))
        }
    }
}

/// `patch_x86_64_trampoline` (3.15): a call to `target`; when `target - 4 - loc` does not fit
/// in 32 signed bits, through the trampoline `slot` (`jmp qword ptr [rip]` + the address).
pub fn patch_x86_64_trampoline(
    buf: &mut Buf,
    loc: u64,
    target: u64,
    slot: Option<u64>,
) -> Result<Patched, String> {
    let range = delta(loc, target) - 4;
    if fits_signed(range, 32) {
        let mut p = patch_32r(buf, loc, target.wrapping_sub(4))?;
        p.via = Via::InRange;
        return Ok(p);
    }
    let slot = slot.ok_or_else(|| {
        format!(
            "patch_x86_64_trampoline at {loc:#x}: {target:#x} is out of rel32 range and the \
             symbol has no trampoline slot (not in the trampoline mask)"
        )
    })?;
    let so = buf.offset(slot, 14)?;
    buf.bytes[so..so + 6].copy_from_slice(&[0xFF, 0x25, 0, 0, 0, 0]);
    buf.bytes[so + 6..so + 14].copy_from_slice(&target.to_le_bytes());
    let mut p = patch_32r(buf, loc, slot.wrapping_sub(4))?;
    p.via = Via::Trampoline;
    p.slot = Some(so..so + 14);
    p.how = format!("{} to the trampoline at {slot:#x}", p.how);
    Ok(p)
}

/// `patch_got_symbol` (3.15): writes the symbol's address into its trace-GOT slot.
pub fn patch_got_symbol(buf: &mut Buf, slot: u64, value: u64) -> Result<Patched, String> {
    let o = buf.write_u64(slot, value)?;
    Ok(Patched::new(
        Via::Direct,
        o..o + 8,
        format!("GOT entry {value:#x}"),
    ))
}

// ----- AArch64 -----

fn word_at(buf: &Buf, loc: u64, func: &str) -> Result<(usize, u32), String> {
    if !loc.is_multiple_of(4) {
        return Err(format!(
            "{func} at {loc:#x}: the location is not 4-byte aligned"
        ));
    }
    let o = buf.offset(loc, 4).map_err(|e| format!("{func}: {e}"))?;
    Ok((o, buf.read_u32(loc)?))
}

fn put_word(buf: &mut Buf, o: usize, w: u32) {
    buf.bytes[o..o + 4].copy_from_slice(&w.to_le_bytes());
}

/// `patch_aarch64_12`: the low 12 bits of `value` in an `add`/`sub` immediate or (scaled by
/// the access size) an `ldr`/`str` unsigned offset.
pub fn patch_aarch64_12(buf: &mut Buf, loc: u64, value: u64) -> Result<Patched, String> {
    patch_12_named(buf, loc, value, "patch_aarch64_12")
}

fn patch_12_named(buf: &mut Buf, loc: u64, value: u64, func: &str) -> Result<Patched, String> {
    let (o, w) = word_at(buf, loc, func)?;
    let ldst = is_ldr_or_str_imm(w);
    if !ldst && !is_add_or_sub_imm(w) {
        return Err(format!(
            "{func} at {loc:#x}: {w:#010x} is neither an ldr/str (unsigned offset) nor an \
             add/sub (immediate)"
        ));
    }
    let mut shift = 0;
    if ldst {
        shift = w >> 30;
        if (w >> 23) & 1 != 0 && (w >> 26) & 1 != 0 {
            return Err(format!(
                "{func} at {loc:#x}: {w:#010x} is a 128-bit vector load/store (a shift of 4 \
                 jit.c does not handle)"
            ));
        }
    }
    let lo12 = value & 0xFFF;
    if lo12 & ((1 << shift) - 1) != 0 {
        return Err(format!(
            "{func} at {loc:#x}: the low 12 bits {lo12:#x} of {value:#x} are not a multiple of \
             the {}-byte access",
            1u32 << shift
        ));
    }
    put_word(buf, o, set_field(w, 10, 12, lo12 >> shift));
    let how = if shift > 0 {
        format!("lo12 {lo12:#x} (>> {shift})")
    } else {
        format!("lo12 {lo12:#x}")
    };
    Ok(Patched::new(Via::Direct, o..o + 4, how))
}

/// `patch_aarch64_12x`: as [`patch_aarch64_12`] (relaxed only as half of `33rx`).
pub fn patch_aarch64_12x(buf: &mut Buf, loc: u64, value: u64) -> Result<Patched, String> {
    patch_12_named(buf, loc, value, "patch_aarch64_12x")
}

fn patch_16(buf: &mut Buf, loc: u64, value: u64, part: u32) -> Result<Patched, String> {
    let func = [
        "patch_aarch64_16a",
        "patch_aarch64_16b",
        "patch_aarch64_16c",
        "patch_aarch64_16d",
    ][part as usize];
    let (o, w) = word_at(buf, loc, func)?;
    if !is_move_wide(w) {
        return Err(format!(
            "{func} at {loc:#x}: {w:#010x} is not a 64-bit movz/movk/movn"
        ));
    }
    let hw = (w >> 21) & 3;
    if hw != part {
        return Err(format!(
            "{func} at {loc:#x}: the instruction shifts by {} (hw = {hw}), the patch fills bits \
             {}..{}",
            hw * 16,
            part * 16,
            part * 16 + 15
        ));
    }
    let imm = (value >> (16 * part)) & 0xFFFF;
    put_word(buf, o, set_field(w, 5, 16, imm));
    Ok(Patched::new(
        Via::Direct,
        o..o + 4,
        format!("imm16 {imm:#x} (bits {}..{})", part * 16, part * 16 + 15),
    ))
}

/// `patch_aarch64_16a`: bits 0..15 of `value` into a `movz`/`movk` with no shift.
pub fn patch_aarch64_16a(buf: &mut Buf, loc: u64, value: u64) -> Result<Patched, String> {
    patch_16(buf, loc, value, 0)
}
/// `patch_aarch64_16b`: bits 16..31 into a `movk …, lsl #16`.
pub fn patch_aarch64_16b(buf: &mut Buf, loc: u64, value: u64) -> Result<Patched, String> {
    patch_16(buf, loc, value, 1)
}
/// `patch_aarch64_16c`: bits 32..47 into a `movk …, lsl #32`.
pub fn patch_aarch64_16c(buf: &mut Buf, loc: u64, value: u64) -> Result<Patched, String> {
    patch_16(buf, loc, value, 2)
}
/// `patch_aarch64_16d`: bits 48..63 into a `movk …, lsl #48`.
pub fn patch_aarch64_16d(buf: &mut Buf, loc: u64, value: u64) -> Result<Patched, String> {
    patch_16(buf, loc, value, 3)
}

/// `patch_aarch64_19r`: a conditional branch (`b.cond`, `cbz`, `cbnz`) to `value`
/// (±1 MiB, 4-byte aligned).
pub fn patch_aarch64_19r(buf: &mut Buf, loc: u64, value: u64) -> Result<Patched, String> {
    let (o, w) = word_at(buf, loc, "patch_aarch64_19r")?;
    if !is_branch_cond(w) && !is_compare_and_branch(w) {
        return Err(format!(
            "patch_aarch64_19r at {loc:#x}: {w:#010x} is not a b.cond/cbz/cbnz"
        ));
    }
    let rel = delta(loc, value);
    if !fits_signed(rel, 21) {
        return Err(format!(
            "patch_aarch64_19r at {loc:#x}: {value:#x} - {loc:#x} = {} is out of the ±1 MiB \
             reach of a conditional branch",
            signed_hex(rel)
        ));
    }
    if rel & 3 != 0 {
        return Err(format!(
            "patch_aarch64_19r at {loc:#x}: the displacement {} is not a multiple of 4",
            signed_hex(rel)
        ));
    }
    put_word(buf, o, set_field(w, 5, 19, (rel >> 2) as u64));
    Ok(Patched::new(
        Via::Direct,
        o..o + 4,
        format!("rel19 {}", signed_hex(rel)),
    ))
}

fn patch_21_named(buf: &mut Buf, loc: u64, value: u64, func: &str) -> Result<Patched, String> {
    let (o, w) = word_at(buf, loc, func)?;
    if !is_adrp(w) {
        return Err(format!("{func} at {loc:#x}: {w:#010x} is not an adrp"));
    }
    let pages = i128::from(value >> 12) - i128::from(loc >> 12);
    if !fits_signed(pages, 21) {
        return Err(format!(
            "{func} at {loc:#x}: {value:#x} is {} pages away, out of adrp's ±2^20 pages (±4 GiB)",
            signed_hex(pages)
        ));
    }
    let p = pages as i64 as u64;
    let w = set_field(w, 29, 2, p & 3);
    let w = set_field(w, 5, 19, p >> 2);
    put_word(buf, o, w);
    Ok(Patched::new(
        Via::Direct,
        o..o + 4,
        format!("page {} ({:#x})", signed_hex(pages), value & !0xFFF),
    ))
}

/// `patch_aarch64_21r`: the page of `value`, relative to the page of `loc`, into an `adrp`.
pub fn patch_aarch64_21r(buf: &mut Buf, loc: u64, value: u64) -> Result<Patched, String> {
    patch_21_named(buf, loc, value, "patch_aarch64_21r")
}

/// `patch_aarch64_21rx`: as [`patch_aarch64_21r`] (relaxed only as half of `33rx`).
pub fn patch_aarch64_21rx(buf: &mut Buf, loc: u64, value: u64) -> Result<Patched, String> {
    patch_21_named(buf, loc, value, "patch_aarch64_21rx")
}

/// `patch_aarch64_26r`: a `b`/`bl` to `value` (±128 MiB, 4-byte aligned).
pub fn patch_aarch64_26r(buf: &mut Buf, loc: u64, value: u64) -> Result<Patched, String> {
    let (o, w) = word_at(buf, loc, "patch_aarch64_26r")?;
    if !is_branch(w) {
        return Err(format!(
            "patch_aarch64_26r at {loc:#x}: {w:#010x} is not a b/bl"
        ));
    }
    let rel = delta(loc, value);
    if !fits_signed(rel, 28) {
        return Err(format!(
            "patch_aarch64_26r at {loc:#x}: {value:#x} - {loc:#x} = {} is out of the ±128 MiB \
             reach of b/bl",
            signed_hex(rel)
        ));
    }
    if rel & 3 != 0 {
        return Err(format!(
            "patch_aarch64_26r at {loc:#x}: the displacement {} is not a multiple of 4",
            signed_hex(rel)
        ));
    }
    put_word(buf, o, set_field(w, 0, 26, (rel >> 2) as u64));
    Ok(Patched::new(
        Via::Direct,
        o..o + 4,
        format!("rel26 {}", signed_hex(rel)),
    ))
}

/// `patch_aarch64_33rx`: an `adrp reg, GOT page` / `ldr reg, [reg, GOT offset]` pair loading
/// the GOT entry at `value`. Relaxed when the entry holds a value below 2^16 (`movz; nop`),
/// below 2^32 (`movz; movk`), or when the entry is within ±2^19 bytes of the `adrp` (`ldr reg,
/// literal; nop`); else both instructions are patched as they are.
pub fn patch_aarch64_33rx(
    buf: &mut Buf,
    adrp_loc: u64,
    ldr_loc: u64,
    value: u64,
) -> Result<Patched, String> {
    let (oa, adrp) = word_at(buf, adrp_loc, "patch_aarch64_33rx")?;
    let (ol, ldr) = word_at(buf, ldr_loc, "patch_aarch64_33rx")?;
    if !is_adrp(adrp) {
        return Err(format!(
            "patch_aarch64_33rx at {adrp_loc:#x}: {adrp:#010x} is not an adrp"
        ));
    }
    if !is_ldr_or_str_imm(ldr) {
        return Err(format!(
            "patch_aarch64_33rx at {ldr_loc:#x}: {ldr:#010x} is not an ldr (unsigned offset)"
        ));
    }
    let reg = adrp & 0x1F;
    if ldr & 0x1F != reg || (ldr >> 5) & 0x1F != reg {
        return Err(format!(
            "patch_aarch64_33rx at {adrp_loc:#x}: the adrp writes x{reg} but the ldr is \
             ldr x{}, [x{}]: the pair must use one register",
            ldr & 0x1F,
            (ldr >> 5) & 0x1F
        ));
    }
    let held = buf.read_u64(value).map_err(|e| {
        format!("patch_aarch64_33rx at {adrp_loc:#x}: reads the GOT entry at {value:#x}: {e}")
    })?;
    let span = oa.min(ol)..oa.max(ol) + 4;
    if held < 1 << 16 {
        put_word(buf, oa, MOVZ_X | ((held as u32) << 5) | reg);
        put_word(buf, ol, NOP);
        return Ok(Patched::new(
            Via::Relaxed,
            span,
            format!("adrp+ldr → movz x{reg}, #{held:#x}; nop"),
        ));
    }
    if held < 1 << 32 {
        put_word(buf, oa, MOVZ_X | (((held & 0xFFFF) as u32) << 5) | reg);
        put_word(buf, ol, MOVK_X_16 | (((held >> 16) as u32) << 5) | reg);
        return Ok(Patched::new(
            Via::Relaxed,
            span,
            format!(
                "adrp+ldr → movz x{reg}, #{:#x}; movk x{reg}, #{:#x}, lsl #16",
                held & 0xFFFF,
                held >> 16
            ),
        ));
    }
    let rel = delta(adrp_loc, value);
    if rel & 3 == 0 && fits_signed(rel, 20) {
        let imm19 = ((rel >> 2) as u32) & 0x7FFFF;
        put_word(buf, oa, LDR_X_LITERAL | (imm19 << 5) | reg);
        put_word(buf, ol, NOP);
        return Ok(Patched::new(
            Via::Relaxed,
            span,
            format!("adrp+ldr → ldr x{reg}, literal {}; nop", signed_hex(rel)),
        ));
    }
    let a = patch_aarch64_21rx(buf, adrp_loc, value)?;
    let b = patch_aarch64_12x(buf, ldr_loc, value)?;
    Ok(Patched::new(
        Via::Direct,
        span,
        format!(
            "not relaxed ({held:#x} ≥ 2^32, entry {} away): adrp {}, ldr {}",
            signed_hex(rel),
            a.how,
            b.how
        ),
    ))
}

/// `patch_aarch64_trampoline`: a `b`/`bl` to `target`; when `target - loc` is out of
/// `[-2^27, 2^27)`, through the trampoline `slot` (`ldr x8, #8; br x8` + the address).
pub fn patch_aarch64_trampoline(
    buf: &mut Buf,
    loc: u64,
    target: u64,
    slot: Option<u64>,
) -> Result<Patched, String> {
    let range = delta(loc, target);
    if fits_signed(range, 28) {
        let mut p = patch_aarch64_26r(buf, loc, target)?;
        p.via = Via::InRange;
        return Ok(p);
    }
    let slot = slot.ok_or_else(|| {
        format!(
            "patch_aarch64_trampoline at {loc:#x}: {target:#x} is out of the ±128 MiB reach of \
             b/bl and the symbol has no trampoline slot (not in the trampoline mask)"
        )
    })?;
    let so = buf.offset(slot, 16)?;
    for (i, w) in [
        AARCH64_TRAMPOLINE_LDR,
        AARCH64_TRAMPOLINE_BR,
        target as u32,
        (target >> 32) as u32,
    ]
    .into_iter()
    .enumerate()
    {
        put_word(buf, so + 4 * i, w);
    }
    let mut p = patch_aarch64_26r(buf, loc, slot)?;
    p.via = Via::Trampoline;
    p.slot = Some(so..so + 16);
    p.how = format!("{} to the trampoline at {slot:#x}", p.how);
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: u64 = 0x7f00_0000_0000;

    fn buf(bytes: &mut [u8]) -> Buf<'_> {
        Buf::new(bytes, BASE)
    }

    #[test]
    fn patch_32r_range_ends() {
        let mut b = vec![0u8; 8];
        let loc = BASE + 4;
        let top = loc + (1 << 31) - 1;
        let p = patch_32r(&mut buf(&mut b), loc, top).unwrap();
        assert_eq!(p.span, 4..8);
        assert_eq!(&b[4..8], &0x7FFF_FFFFu32.to_le_bytes());
        assert!(patch_32r(&mut buf(&mut b), loc, top + 1)
            .unwrap_err()
            .contains("32-bit"));
        let bottom = loc - (1 << 31);
        patch_32r(&mut buf(&mut b), loc, bottom).unwrap();
        assert_eq!(&b[4..8], &0x8000_0000u32.to_le_bytes());
        assert!(patch_32r(&mut buf(&mut b), loc, bottom - 1).is_err());
    }

    #[test]
    fn patch_32_and_64() {
        let mut b = vec![0u8; 12];
        patch_32(&mut buf(&mut b), BASE, 0xDEAD_BEEF).unwrap();
        assert_eq!(&b[..4], &[0xEF, 0xBE, 0xAD, 0xDE]);
        assert!(patch_32(&mut buf(&mut b), BASE, 1 << 32).is_err());
        let p = patch_64(&mut buf(&mut b), BASE + 4, 0x0102_0304_0506_0708).unwrap();
        assert_eq!(p.span, 4..12);
        assert_eq!(&b[4..12], &[8, 7, 6, 5, 4, 3, 2, 1]);
        // Past the end: an error, not a panic.
        assert!(patch_64(&mut buf(&mut b), BASE + 5, 0).is_err());
        assert!(patch_32(&mut buf(&mut b), BASE - 1, 0).is_err());
    }

    #[test]
    fn x86_32rx_relaxes_mov_to_lea_only_in_reach() {
        // mov rax, [rip+0] at 0; GOT entry at 16.
        let mut b = vec![0u8; 24];
        b[..3].copy_from_slice(&[0x48, 0x8B, 0x05]);
        let loc = BASE + 3;
        let entry = BASE + 16;
        let near = BASE + 0x1000;
        b[16..24].copy_from_slice(&near.to_le_bytes());
        let p = patch_x86_64_32rx(&mut buf(&mut b), loc, entry - 4).unwrap();
        assert_eq!(p.via, Via::Relaxed);
        assert_eq!(b[1], 0x8D);
        assert_eq!(p.span, 1..7);
        let disp = i32::from_le_bytes(b[3..7].try_into().unwrap());
        assert_eq!(loc as i64 + 4 + i64::from(disp), near as i64);
        // Far: stays a load from the entry.
        let mut b2 = vec![0u8; 24];
        b2[..3].copy_from_slice(&[0x48, 0x8B, 0x05]);
        b2[16..24].copy_from_slice(&(BASE + (1 << 33)).to_le_bytes());
        let p = patch_x86_64_32rx(&mut buf(&mut b2), loc, entry - 4).unwrap();
        assert_eq!(p.via, Via::Direct);
        assert_eq!(b2[1], 0x8B);
        let disp = i32::from_le_bytes(b2[3..7].try_into().unwrap());
        assert_eq!(loc as i64 + 4 + i64::from(disp), entry as i64);
    }

    #[test]
    fn x86_32rx_relax_boundary_uses_the_plus_one_rule() {
        // relaxed - loc = 2^31 - 2 relaxes; 2^31 - 1 does not (rel + 1 < 2^31).
        for (extra, relaxes) in [(-2i64, true), (-1, false)] {
            let mut b = vec![0u8; 24];
            b[..2].copy_from_slice(&[0xFF, 0x15]);
            let loc = BASE + 2;
            let relaxed = (loc as i64 + (1i64 << 31) + extra) as u64;
            b[16..24].copy_from_slice(&(relaxed + 4).to_le_bytes());
            let p = patch_x86_64_32rx(&mut buf(&mut b), loc, BASE + 12).unwrap();
            assert_eq!(p.via == Via::Relaxed, relaxes, "extra {extra}");
            assert_eq!(b[..2] == [0x90, 0xE8], relaxes);
        }
    }

    #[test]
    fn x86_32rx_entry_outside_is_an_error() {
        let mut b = vec![0xFF, 0x15, 0, 0, 0, 0];
        let e = patch_x86_64_32rx(&mut buf(&mut b), BASE + 2, BASE + 0x1000).unwrap_err();
        assert!(e.contains("GOT entry"), "{e}");
        let mut b = vec![0u8; 16];
        assert!(patch_x86_64_32rx(&mut buf(&mut b), BASE + 1, BASE).is_err());
    }

    #[test]
    fn aarch64_shapes_are_checked() {
        let mut b = NOP.to_le_bytes().to_vec();
        assert!(patch_aarch64_26r(&mut buf(&mut b), BASE, BASE + 8)
            .unwrap_err()
            .contains("b/bl"));
        assert!(patch_aarch64_19r(&mut buf(&mut b), BASE, BASE + 8).is_err());
        assert!(patch_aarch64_16a(&mut buf(&mut b), BASE, 1).is_err());
        assert!(patch_aarch64_21r(&mut buf(&mut b), BASE, BASE).is_err());
        // ret is neither an ldr/str nor an add/sub (jit.c's loose add/sub test takes a nop).
        let mut b = 0xD65F_03C0u32.to_le_bytes().to_vec();
        assert!(patch_aarch64_12(&mut buf(&mut b), BASE, BASE + 8)
            .unwrap_err()
            .contains("add/sub"));
        // Misaligned location.
        let mut b = vec![0u8; 8];
        assert!(patch_aarch64_26r(&mut buf(&mut b), BASE + 2, BASE)
            .unwrap_err()
            .contains("aligned"));
    }

    #[test]
    fn aarch64_16_checks_the_shift() {
        // movk x1, #0, lsl #32 = 0xF2C00001
        let mut b = 0xF2C0_0001u32.to_le_bytes().to_vec();
        assert!(patch_aarch64_16b(&mut buf(&mut b), BASE, 0).is_err());
        patch_aarch64_16c(&mut buf(&mut b), BASE, 0x1234_5678_9ABC_DEF0).unwrap();
        let w = u32::from_le_bytes(b[..4].try_into().unwrap());
        assert_eq!((w >> 5) & 0xFFFF, 0x5678);
        assert_eq!(w & !(0xFFFF << 5), 0xF2C0_0001);
    }

    #[test]
    fn aarch64_12_scales_loads_and_checks_alignment() {
        // ldr x8, [x8] = 0xF9400108 (size 3: offset / 8)
        let mut b = 0xF940_0108u32.to_le_bytes().to_vec();
        patch_aarch64_12(&mut buf(&mut b), BASE, 0x1234_5FF8).unwrap();
        let w = u32::from_le_bytes(b[..4].try_into().unwrap());
        assert_eq!((w >> 10) & 0xFFF, 0xFF8 >> 3);
        let mut b = 0xF940_0108u32.to_le_bytes().to_vec();
        assert!(patch_aarch64_12(&mut buf(&mut b), BASE, 0x1234_5FF4)
            .unwrap_err()
            .contains("multiple"));
        // add x0, x0, #0 = 0x91000000: no scaling.
        let mut b = 0x9100_0000u32.to_le_bytes().to_vec();
        patch_aarch64_12(&mut buf(&mut b), BASE, 0xABC).unwrap();
        let w = u32::from_le_bytes(b[..4].try_into().unwrap());
        assert_eq!((w >> 10) & 0xFFF, 0xABC);
    }

    #[test]
    fn aarch64_21r_pages() {
        // adrp x8, 0 = 0x90000008
        let mut b = 0x9000_0008u32.to_le_bytes().to_vec();
        let target = BASE + 0x5123 + (7 << 12);
        patch_aarch64_21r(&mut buf(&mut b), BASE, target).unwrap();
        let w = u32::from_le_bytes(b[..4].try_into().unwrap());
        let pages = ((w >> 29) & 3) | (((w >> 5) & 0x7FFFF) << 2);
        assert_eq!(pages, 12);
        let mut b = 0x9000_0008u32.to_le_bytes().to_vec();
        assert!(patch_aarch64_21r(&mut buf(&mut b), BASE, BASE + (1 << 32)).is_err());
        let mut b = 0x9000_0008u32.to_le_bytes().to_vec();
        assert!(patch_aarch64_21r(&mut buf(&mut b), BASE, BASE + (1 << 32) - 0x1000).is_ok());
    }

    #[test]
    fn aarch64_33rx_register_must_match() {
        // adrp x8; ldr x9, [x8]
        let mut b = Vec::new();
        b.extend_from_slice(&0x9000_0008u32.to_le_bytes());
        b.extend_from_slice(&0xF940_0109u32.to_le_bytes());
        b.extend_from_slice(&[0u8; 8]);
        let e = patch_aarch64_33rx(&mut buf(&mut b), BASE, BASE + 4, BASE + 8).unwrap_err();
        assert!(e.contains("one register"), "{e}");
    }
}

//! Lowering of the shape instructions to AArch64 with dynasm.
//!
//! How holes are found: every instruction has one 4-byte word, and `ops.offset()` just before
//! emitting an instruction that carries a hole is the hole's offset. Branches and `adrp`s that
//! are holes target a label defined at the instruction itself, so their immediate fields
//! assemble to zero, as in an object file before relocation; `movz`/`movk`, `ldr` and `add`
//! holes are assembled with a zero immediate. x15, x16 and x17 are this lowering's scratch
//! registers (the intra-procedure-call registers and one more); the shapes never use them.

use super::ir::{Cond, Ctx, Ins, Reg, Tgt, Width};
use super::{hole, DataWords, Lowered, Symbols};
use cpyviz_model::jit::{Hole, HoleSpecial, HoleValue, PatchFn, SymbolMask, Target};
use dynasmrt::aarch64::{
    encode_logical_immediate_32bit, encode_logical_immediate_64bit, Aarch64Relocation,
};
use dynasmrt::{dynasm, DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler};
use std::collections::HashMap;

const X15: u32 = 15;
const X16: u32 = 16;
const X17: u32 = 17;

macro_rules! a64 {
    ($ops:expr; $($t:tt)*) => {
        dynasm!($ops ; .arch aarch64 ; $($t)*)
    };
}

/// The relocation kinds of the target's object format. Mach-O has no MOVW relocations: its
/// 64-bit immediates are loaded from the stencil's data.
struct Kinds {
    call26: &'static str,
    jump26: &'static str,
    condbr19: &'static str,
    got_page: &'static str,
    got_lo12: &'static str,
    page: &'static str,
    lo12: &'static str,
    /// `None` on Mach-O, which has no MOVW relocations: 64-bit immediates are data words.
    movw: Option<[&'static str; 4]>,
}

fn kinds(target: Target) -> Kinds {
    let movw = [
        "R_AARCH64_MOVW_UABS_G0_NC",
        "R_AARCH64_MOVW_UABS_G1_NC",
        "R_AARCH64_MOVW_UABS_G2_NC",
        "R_AARCH64_MOVW_UABS_G3",
    ];
    if target.is_darwin() {
        Kinds {
            call26: "ARM64_RELOC_BRANCH26",
            jump26: "ARM64_RELOC_BRANCH26",
            condbr19: "CUSTOM_AARCH64_BRANCH19",
            got_page: "ARM64_RELOC_GOT_LOAD_PAGE21",
            got_lo12: "ARM64_RELOC_GOT_LOAD_PAGEOFF12",
            page: "ARM64_RELOC_PAGE21",
            lo12: "ARM64_RELOC_PAGEOFF12",
            movw: None,
        }
    } else {
        Kinds {
            call26: "R_AARCH64_CALL26",
            jump26: "R_AARCH64_JUMP26",
            condbr19: "R_AARCH64_CONDBR19",
            got_page: "R_AARCH64_ADR_GOT_PAGE",
            got_lo12: "R_AARCH64_LD64_GOT_LO12_NC",
            page: "R_AARCH64_ADR_PREL_PG_HI21",
            lo12: "R_AARCH64_ADD_ABS_LO12_NC",
            movw: Some(movw),
        }
    }
}

fn x(r: Reg) -> Result<u32, String> {
    if r <= 30 && !matches!(u32::from(r), X15 | X16 | X17) {
        Ok(u32::from(r))
    } else {
        Err(format!("register x{r} is not available to shapes"))
    }
}

struct A64<'a> {
    ops: VecAssembler<Aarch64Relocation>,
    ctx: &'a Ctx,
    kinds: Kinds,
    syms: &'a mut Symbols,
    data: DataWords,
    labels: HashMap<u32, DynamicLabel>,
    end: DynamicLabel,
    end_used: bool,
    holes: Vec<Hole>,
    trampolines: SymbolMask,
    got: SymbolMask,
    got_fills: Vec<(u32, String)>,
}

impl A64<'_> {
    fn here(&self) -> usize {
        self.ops.offset().0
    }

    fn label(&mut self, l: u32) -> DynamicLabel {
        let ops = &mut self.ops;
        *self
            .labels
            .entry(l)
            .or_insert_with(|| ops.new_dynamic_label())
    }

    fn push_hole(&mut self, offset: usize, mut h: Hole) {
        h.offset = offset;
        self.holes.push(h);
    }

    /// A constant into `d` with `movz`/`movn`/`movk`.
    fn mov_imm(&mut self, d: u32, v: i64) {
        let u = v as u64;
        if u <= 0xFFFF {
            let imm = u as u32;
            a64!(self.ops ; movz X(d), #imm);
            return;
        }
        if (!u) <= 0xFFFF {
            let imm = (!u) as u32;
            a64!(self.ops ; movn X(d), #imm);
            return;
        }
        let mut first = true;
        for k in 0..4u32 {
            let part = ((u >> (16 * k)) & 0xFFFF) as u32;
            if part == 0 {
                continue;
            }
            match (first, k) {
                (true, 0) => a64!(self.ops ; movz X(d), #part),
                (true, 1) => a64!(self.ops ; movz X(d), #part, lsl #16),
                (true, 2) => a64!(self.ops ; movz X(d), #part, lsl #32),
                (true, _) => a64!(self.ops ; movz X(d), #part, lsl #48),
                (false, 1) => a64!(self.ops ; movk X(d), #part, lsl #16),
                (false, 2) => a64!(self.ops ; movk X(d), #part, lsl #32),
                (false, _) => a64!(self.ops ; movk X(d), #part, lsl #48),
            }
            first = false;
        }
    }

    /// `r += v`.
    fn add_imm(&mut self, r: u32, v: i64) {
        if v == 0 {
            return;
        }
        let m = v.unsigned_abs();
        if m <= 4095 {
            let imm = m as u32;
            if v > 0 {
                a64!(self.ops ; add XSP(r), XSP(r), #imm);
            } else {
                a64!(self.ops ; sub XSP(r), XSP(r), #imm);
            }
        } else if m.is_multiple_of(4096) && m / 4096 <= 4095 {
            let imm = (m / 4096) as u32;
            if v > 0 {
                a64!(self.ops ; add XSP(r), XSP(r), #imm, lsl #12);
            } else {
                a64!(self.ops ; sub XSP(r), XSP(r), #imm, lsl #12);
            }
        } else {
            self.mov_imm(X17, v);
            a64!(self.ops ; add X(r), X(r), X(X17));
        }
    }

    /// A load or store of `rt` (31: the zero register, for stores) at `[base + off]`.
    fn ldst(&mut self, load: bool, w: Width, rt: u32, base: u32, off: i32) {
        let size: i32 = match w {
            Width::B1 => 1,
            Width::B4 => 4,
            Width::B8 => 8,
        };
        let (base, off) = if off >= 0 && off % size == 0 && off / size <= 4095 {
            (base, off)
        } else if (-256..=255).contains(&off) {
            let o = off;
            match (load, w) {
                (true, Width::B8) => a64!(self.ops ; ldur X(rt), [X(base), #o]),
                (true, Width::B4) => a64!(self.ops ; ldur W(rt), [X(base), #o]),
                (true, Width::B1) => a64!(self.ops ; ldurb W(rt), [X(base), #o]),
                (false, Width::B8) => a64!(self.ops ; stur X(rt), [X(base), #o]),
                (false, Width::B4) => a64!(self.ops ; stur W(rt), [X(base), #o]),
                (false, Width::B1) => a64!(self.ops ; sturb W(rt), [X(base), #o]),
            }
            return;
        } else {
            self.mov_imm(X17, i64::from(off));
            a64!(self.ops ; add X(X17), X(base), X(X17));
            (X17, 0)
        };
        let o = off as u32;
        match (load, w) {
            (true, Width::B8) => a64!(self.ops ; ldr X(rt), [X(base), #o]),
            (true, Width::B4) => a64!(self.ops ; ldr W(rt), [X(base), #o]),
            (true, Width::B1) => a64!(self.ops ; ldrb W(rt), [X(base), #o]),
            (false, Width::B8) => a64!(self.ops ; str X(rt), [X(base), #o]),
            (false, Width::B4) => a64!(self.ops ; str W(rt), [X(base), #o]),
            (false, Width::B1) => a64!(self.ops ; strb W(rt), [X(base), #o]),
        }
    }

    fn cmp_imm(&mut self, r: u32, imm: i64, w: Width) {
        let wide = w == Width::B8;
        let v = if wide {
            imm
        } else {
            i64::from(imm as u32 as i32)
        };
        if (0..=4095).contains(&v) {
            let i = v as u32;
            if wide {
                a64!(self.ops ; cmp XSP(r), #i);
            } else {
                a64!(self.ops ; cmp WSP(r), #i);
            }
        } else if (-4095..0).contains(&v) {
            let i = (-v) as u32;
            if wide {
                a64!(self.ops ; cmn XSP(r), #i);
            } else {
                a64!(self.ops ; cmn WSP(r), #i);
            }
        } else {
            self.mov_imm(X17, if wide { imm } else { i64::from(imm as u32) });
            if wide {
                a64!(self.ops ; cmp X(r), X(X17));
            } else {
                a64!(self.ops ; cmp W(r), W(X17));
            }
        }
    }

    fn test_imm(&mut self, r: u32, imm: i64, w: Width) {
        if w == Width::B8 {
            let u = imm as u64;
            if encode_logical_immediate_64bit(u).is_some() {
                a64!(self.ops ; tst X(r), #u);
            } else {
                self.mov_imm(X17, imm);
                a64!(self.ops ; tst X(r), X(X17));
            }
        } else {
            let u = imm as u32;
            if encode_logical_immediate_32bit(u).is_some() {
                a64!(self.ops ; tst W(r), #u);
            } else {
                self.mov_imm(X17, i64::from(u));
                a64!(self.ops ; tst W(r), W(X17));
            }
        }
    }

    fn bcond(&mut self, c: Cond, l: DynamicLabel) {
        match c {
            Cond::Eq => a64!(self.ops ; b.eq =>l),
            Cond::Ne => a64!(self.ops ; b.ne =>l),
            Cond::Lt => a64!(self.ops ; b.lt =>l),
            Cond::Ge => a64!(self.ops ; b.ge =>l),
            Cond::Le => a64!(self.ops ; b.le =>l),
            Cond::Gt => a64!(self.ops ; b.gt =>l),
            Cond::Lo => a64!(self.ops ; b.lo =>l),
            Cond::Hs => a64!(self.ops ; b.hs =>l),
            Cond::Ls => a64!(self.ops ; b.ls =>l),
            Cond::Hi => a64!(self.ops ; b.hi =>l),
        }
    }

    /// A branch whose target is a hole: `b` (26r) or, in 3.15, `b.cond` (19r).
    fn branch_hole(&mut self, c: Option<Cond>, value: HoleValue) {
        let me = self.ops.new_dynamic_label();
        match c {
            Some(c) if self.ctx.shape.conditional_branch_holes => {
                let at = self.here();
                a64!(self.ops ; =>me);
                self.bcond(c, me);
                let h = hole(
                    self.kinds.condbr19,
                    PatchFn::Aarch64_19r,
                    value,
                    None,
                    0,
                    None,
                );
                self.push_hole(at, h);
            }
            Some(c) => {
                // 3.14's jit.c has no 19-bit branch patch: hop over an unconditional `b`.
                let skip = self.ops.new_dynamic_label();
                self.bcond(c.invert(), skip);
                let at = self.here();
                a64!(self.ops ; =>me ; b =>me ; =>skip);
                let h = hole(
                    self.kinds.jump26,
                    PatchFn::Aarch64_26r,
                    value,
                    None,
                    0,
                    None,
                );
                self.push_hole(at, h);
            }
            None => {
                let at = self.here();
                a64!(self.ops ; =>me ; b =>me);
                let h = hole(
                    self.kinds.jump26,
                    PatchFn::Aarch64_26r,
                    value,
                    None,
                    0,
                    None,
                );
                self.push_hole(at, h);
            }
        }
    }

    fn branch(&mut self, c: Option<Cond>, t: Tgt) {
        let local = match t {
            Tgt::Local(l) => self.label(l),
            Tgt::Continue if self.ctx.shape.continue_is_label => {
                self.end_used = true;
                self.end
            }
            Tgt::Continue => return self.branch_hole(c, HoleValue::Continue),
            Tgt::Hole(v) => return self.branch_hole(c, v),
        };
        match c {
            Some(c) => self.bcond(c, local),
            None => a64!(self.ops ; b =>local),
        }
    }

    fn imm64(&mut self, d: u32, value: HoleValue, symbol: Option<&str>, addend: i64) {
        let Some(movw) = self.kinds.movw else {
            // Mach-O: `adrp` + `ldr` of a word of this stencil's data that holds the value.
            let off = self.data.word_for(value, symbol, addend) as i64;
            let me = self.ops.new_dynamic_label();
            let at = self.here();
            a64!(self.ops ; =>me ; adrp X(d), =>me ; ldr X(d), [X(d), #0]);
            let h = hole(
                self.kinds.page,
                PatchFn::Aarch64_21r,
                HoleValue::Data,
                None,
                off,
                None,
            );
            self.push_hole(at, h);
            let h = hole(
                self.kinds.lo12,
                PatchFn::Aarch64_12,
                HoleValue::Data,
                None,
                off,
                None,
            );
            self.push_hole(at + 4, h);
            return;
        };
        let at = self.here();
        a64!(self.ops
            ; movz X(d), #0
            ; movk X(d), #0, lsl #16
            ; movk X(d), #0, lsl #32
            ; movk X(d), #0, lsl #48
        );
        let funcs = [
            PatchFn::Aarch64_16a,
            PatchFn::Aarch64_16b,
            PatchFn::Aarch64_16c,
            PatchFn::Aarch64_16d,
        ];
        for (k, func) in funcs.into_iter().enumerate() {
            let h = hole(movw[k], func, value, symbol, addend, None);
            self.push_hole(at + 4 * k, h);
        }
    }

    fn cset(&mut self, d: u32, c: Cond) {
        match c {
            Cond::Eq => a64!(self.ops ; cset X(d), eq),
            Cond::Ne => a64!(self.ops ; cset X(d), ne),
            Cond::Lt => a64!(self.ops ; cset X(d), lt),
            Cond::Ge => a64!(self.ops ; cset X(d), ge),
            Cond::Le => a64!(self.ops ; cset X(d), le),
            Cond::Gt => a64!(self.ops ; cset X(d), gt),
            Cond::Lo => a64!(self.ops ; cset X(d), lo),
            Cond::Hs => a64!(self.ops ; cset X(d), hs),
            Cond::Ls => a64!(self.ops ; cset X(d), ls),
            Cond::Hi => a64!(self.ops ; cset X(d), hi),
        }
    }

    fn csel(&mut self, d: u32, a: u32, b: u32, c: Cond) {
        match c {
            Cond::Eq => a64!(self.ops ; csel X(d), X(a), X(b), eq),
            Cond::Ne => a64!(self.ops ; csel X(d), X(a), X(b), ne),
            Cond::Lt => a64!(self.ops ; csel X(d), X(a), X(b), lt),
            Cond::Ge => a64!(self.ops ; csel X(d), X(a), X(b), ge),
            Cond::Le => a64!(self.ops ; csel X(d), X(a), X(b), le),
            Cond::Gt => a64!(self.ops ; csel X(d), X(a), X(b), gt),
            Cond::Lo => a64!(self.ops ; csel X(d), X(a), X(b), lo),
            Cond::Hs => a64!(self.ops ; csel X(d), X(a), X(b), hs),
            Cond::Ls => a64!(self.ops ; csel X(d), X(a), X(b), ls),
            Cond::Hi => a64!(self.ops ; csel X(d), X(a), X(b), hi),
        }
    }

    fn one(&mut self, ins: &Ins) -> Result<(), String> {
        use Ins::*;
        match ins {
            Label(l) => {
                let l = self.label(*l);
                a64!(self.ops ; =>l);
            }
            Mov(d, s) => {
                if d != s {
                    let (d, s) = (x(*d)?, x(*s)?);
                    a64!(self.ops ; mov X(d), X(s));
                }
            }
            MovImm(d, v) => self.mov_imm(x(*d)?, *v),
            Load { dst, base, off, w } => self.ldst(true, *w, x(*dst)?, x(*base)?, *off),
            Store { src, base, off, w } => {
                let rt = match src {
                    Some(s) => x(*s)?,
                    None => 31,
                };
                self.ldst(false, *w, rt, x(*base)?, *off);
            }
            StoreImm8 { base, off, imm } => {
                let base = x(*base)?;
                let v = u32::from(*imm);
                a64!(self.ops ; movz W(X16), #v);
                self.ldst(false, Width::B1, X16, base, *off);
            }
            LoadIdx {
                dst,
                base,
                idx,
                off,
            } => {
                let (b, i) = (x(*base)?, x(*idx)?);
                a64!(self.ops ; add X(X16), X(b), X(i), lsl #3);
                self.ldst(true, Width::B8, x(*dst)?, X16, *off);
            }
            StoreIdx {
                src,
                base,
                idx,
                off,
            } => {
                let (b, i) = (x(*base)?, x(*idx)?);
                a64!(self.ops ; add X(X16), X(b), X(i), lsl #3);
                self.ldst(false, Width::B8, x(*src)?, X16, *off);
            }
            Lea {
                dst,
                base,
                idx,
                scale,
                off,
            } => {
                let (d, b, i) = (x(*dst)?, x(*base)?, x(*idx)?);
                match scale {
                    1 => a64!(self.ops ; add X(d), X(b), X(i)),
                    2 => a64!(self.ops ; add X(d), X(b), X(i), lsl #1),
                    4 => a64!(self.ops ; add X(d), X(b), X(i), lsl #2),
                    8 => a64!(self.ops ; add X(d), X(b), X(i), lsl #3),
                    s => return Err(format!("no scale {s}")),
                }
                self.add_imm(d, i64::from(*off));
            }
            AddImm(r, v) => self.add_imm(x(*r)?, *v),
            AddReg(a, b) => {
                let (a, b) = (x(*a)?, x(*b)?);
                a64!(self.ops ; add X(a), X(a), X(b));
            }
            SubReg(a, b) => {
                let (a, b) = (x(*a)?, x(*b)?);
                a64!(self.ops ; sub X(a), X(a), X(b));
            }
            MulReg(a, b) => {
                let (a, b) = (x(*a)?, x(*b)?);
                a64!(self.ops ; mul X(a), X(a), X(b));
            }
            AndImm(r, v) | OrImm(r, v) => {
                let r = x(*r)?;
                let u = *v as u64;
                let and = matches!(ins, AndImm(..));
                if encode_logical_immediate_64bit(u).is_some() {
                    if and {
                        a64!(self.ops ; and XSP(r), X(r), #u);
                    } else {
                        a64!(self.ops ; orr XSP(r), X(r), #u);
                    }
                } else {
                    self.mov_imm(X17, *v);
                    if and {
                        a64!(self.ops ; and X(r), X(r), X(X17));
                    } else {
                        a64!(self.ops ; orr X(r), X(r), X(X17));
                    }
                }
            }
            ShlImm(r, n) => {
                let r = x(*r)?;
                let n = u32::from(*n);
                if n > 63 {
                    return Err(format!("shift by {n}"));
                }
                a64!(self.ops ; lsl X(r), X(r), #n);
            }
            Neg(r) => {
                let r = x(*r)?;
                a64!(self.ops ; neg X(r), X(r));
            }
            Cmp(a, b) => {
                let (a, b) = (x(*a)?, x(*b)?);
                a64!(self.ops ; cmp X(a), X(b));
            }
            CmpImm { r, imm, w } => self.cmp_imm(x(*r)?, *imm, *w),
            CmpMem { base, off, w, r } => {
                let r = x(*r)?;
                self.ldst(true, *w, X16, x(*base)?, *off);
                if *w == Width::B8 {
                    a64!(self.ops ; cmp X(X16), X(r));
                } else {
                    a64!(self.ops ; cmp W(X16), W(r));
                }
            }
            CmpMemImm { base, off, w, imm } => {
                self.ldst(true, *w, X16, x(*base)?, *off);
                self.cmp_imm(X16, *imm, *w);
            }
            TestImm { r, imm, w } => self.test_imm(x(*r)?, *imm, *w),
            TestReg(a, b) => {
                let (a, b) = (x(*a)?, x(*b)?);
                a64!(self.ops ; tst X(a), X(b));
            }
            TestMemImm { base, off, w, imm } => {
                self.ldst(true, *w, X16, x(*base)?, *off);
                self.test_imm(X16, *imm, *w);
            }
            Jcc(c, t) => self.branch(Some(*c), *t),
            Jmp(t) => self.branch(None, *t),
            JmpMem { base, off } => {
                self.ldst(true, Width::B8, X16, x(*base)?, *off);
                a64!(self.ops ; br X(X16));
            }
            CallMem { base, off } => {
                self.ldst(true, Width::B8, X16, x(*base)?, *off);
                a64!(self.ops ; blr X(X16));
            }
            Ret => a64!(self.ops ; ret),
            Trap => a64!(self.ops ; brk #1),
            CSet(d, c) => self.cset(x(*d)?, *c),
            CSel { dst, a, b, c } => self.csel(x(*dst)?, x(*a)?, x(*b)?, *c),
            Imm64 {
                dst,
                value,
                symbol,
                addend,
            } => self.imm64(x(*dst)?, *value, symbol.as_deref(), *addend),
            SymAddr { dst, symbol } => self.sym_addr(x(*dst)?, symbol)?,
            CallSym(symbol) => {
                let ord = self.syms.ordinal(symbol)?;
                self.trampolines.insert(ord);
                let me = self.ops.new_dynamic_label();
                let at = self.here();
                a64!(self.ops ; =>me ; bl =>me);
                let h = hole(
                    self.kinds.call26,
                    PatchFn::Aarch64Trampoline,
                    HoleValue::Zero,
                    Some(symbol),
                    0,
                    Some(HoleSpecial::Trampoline { ordinal: ord }),
                );
                self.push_hole(at, h);
            }
            CallModel(symbol) => {
                self.imm64(X16, HoleValue::Zero, Some(symbol), 0);
                a64!(self.ops ; blr X(X16));
            }
            DataAddr { dst, off } => {
                let d = x(*dst)?;
                let me = self.ops.new_dynamic_label();
                let at = self.here();
                a64!(self.ops ; =>me ; adrp X(d), =>me ; add XSP(d), XSP(d), #0);
                let h = hole(
                    self.kinds.page,
                    PatchFn::Aarch64_21r,
                    HoleValue::Data,
                    None,
                    *off,
                    None,
                );
                self.push_hole(at, h);
                let h = hole(
                    self.kinds.lo12,
                    PatchFn::Aarch64_12,
                    HoleValue::Data,
                    None,
                    *off,
                    None,
                );
                self.push_hole(at + 4, h);
            }
            CallContinue => {
                let me = self.ops.new_dynamic_label();
                let at = self.here();
                a64!(self.ops ; =>me ; bl =>me);
                let h = hole(
                    self.kinds.call26,
                    PatchFn::Aarch64_26r,
                    HoleValue::Continue,
                    None,
                    0,
                    None,
                );
                self.push_hole(at, h);
            }
            AtomicOr { base, off, imm } => {
                let b = x(*base)?;
                a64!(self.ops ; mov X(X16), X(b));
                self.add_imm(X16, i64::from(*off));
                let u = *imm as u64;
                if encode_logical_immediate_64bit(u).is_none() {
                    return Err(format!("{u:#x} is not a logical immediate"));
                }
                let again = self.ops.new_dynamic_label();
                a64!(self.ops
                    ; =>again
                    ; ldxr X(X17), [X(X16)]
                    ; orr XSP(X17), X(X17), #u
                    ; stxr W(X15), X(X17), [X(X16)]
                    ; cbnz W(X15), =>again
                );
            }
            SaveCalleeSaved => a64!(self.ops
                ; stp x29, x30, [sp, #-96]!
                ; mov x29, sp
                ; stp x19, x20, [sp, #16]
                ; stp x21, x22, [sp, #32]
                ; stp x23, x24, [sp, #48]
                ; stp x25, x26, [sp, #64]
                ; stp x27, x28, [sp, #80]
            ),
            RestoreCalleeSaved => a64!(self.ops
                ; ldp x27, x28, [sp, #80]
                ; ldp x25, x26, [sp, #64]
                ; ldp x23, x24, [sp, #48]
                ; ldp x21, x22, [sp, #32]
                ; ldp x19, x20, [sp, #16]
                ; ldp x29, x30, [sp], #96
            ),
        }
        Ok(())
    }

    /// `adrp` + `ldr` of a symbol's GOT entry: 3.15 the trace GOT (two holes, its slot),
    /// 3.14 a word in this stencil's data (one folded `33rx` hole at the `adrp`).
    fn sym_addr(&mut self, d: u32, symbol: &str) -> Result<(), String> {
        let me = self.ops.new_dynamic_label();
        let at = self.here();
        a64!(self.ops ; =>me ; adrp X(d), =>me ; ldr X(d), [X(d), #0]);
        if self.ctx.trace_got {
            let ord = self.syms.ordinal(symbol)?;
            if !self.got.contains(ord) {
                self.got.insert(ord);
                self.got_fills.push((ord, symbol.to_string()));
            }
            let special = Some(HoleSpecial::GotSlot {
                ordinal: ord,
                minus4: false,
            });
            let h = hole(
                self.kinds.got_page,
                PatchFn::Aarch64_21rx,
                HoleValue::Got,
                Some(symbol),
                0,
                special,
            );
            self.push_hole(at, h);
            let h = hole(
                self.kinds.got_lo12,
                PatchFn::Aarch64_12x,
                HoleValue::Got,
                Some(symbol),
                0,
                special,
            );
            self.push_hole(at + 4, h);
        } else {
            let word = self.data.word(symbol);
            let h = hole(
                self.kinds.got_page,
                PatchFn::Aarch64_33rx,
                HoleValue::Data,
                None,
                word as i64,
                None,
            );
            self.push_hole(at, h);
        }
        Ok(())
    }
}

/// Assembles `code` (and the stencil's `data`) for AArch64.
pub(crate) fn lower(
    code: &[Ins],
    data: Vec<u8>,
    ctx: &Ctx,
    syms: &mut Symbols,
) -> Result<Lowered, String> {
    let mut ops = VecAssembler::<Aarch64Relocation>::new(0);
    let end = ops.new_dynamic_label();
    let mut a = A64 {
        ops,
        ctx,
        kinds: kinds(ctx.target),
        syms,
        data: DataWords::new(data),
        labels: HashMap::new(),
        end,
        end_used: false,
        holes: Vec::new(),
        trampolines: SymbolMask::default(),
        got: SymbolMask::default(),
        got_fills: Vec::new(),
    };
    for ins in code {
        a.one(ins)?;
    }
    if a.end_used {
        let end = a.end;
        a64!(a.ops ; =>end);
    }
    let body = a
        .ops
        .finalize()
        .map_err(|e| format!("AArch64 assembler: {e}"))?;
    let mut holes = a.holes;
    holes.sort_by_key(|h| h.offset);
    Ok(Lowered {
        code: body,
        code_holes: holes,
        data: a.data,
        trampolines: a.trampolines,
        got: a.got,
        got_fills: a.got_fills,
    })
}

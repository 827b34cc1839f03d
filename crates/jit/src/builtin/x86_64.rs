//! Lowering of the shape instructions to x86-64 with iced-x86's code assembler.
//!
//! How holes are found: every instruction that carries a hole is added with a placeholder
//! operand that forces its long form (a branch or call target `0x4000_0000` bytes away: rel32;
//! a 64-bit immediate with the top bits set: `mov r64, imm64`; a RIP-relative operand:
//! disp32), and its index in the assembler's instruction list is recorded. The block is
//! assembled with `RETURN_NEW_INSTRUCTION_OFFSETS | RETURN_CONSTANT_OFFSETS`: the first gives
//! where each instruction starts, the second where its immediate / displacement bytes are and
//! how many there are. The hole's offset is their sum, its size is checked against what the
//! patch function writes (4 or 8 bytes), and the placeholder bytes are zeroed, as in an object
//! file's relocation site. Nothing is searched for in the bytes.

use super::ir::{Cond, Ctx, Ins, Reg, Tgt, Width};
use super::{hole, DataWords, Lowered, Symbols};
use cpyviz_model::jit::{HoleSpecial, HoleValue, PatchFn, SymbolMask, Target};
use iced_x86::code_asm::*;
use iced_x86::{BlockEncoderOptions, Code, Instruction, MemoryOperand, Register};

const R64: [AsmRegister64; 16] = [
    rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15,
];
const R32: [AsmRegister32; 16] = [
    eax, ecx, edx, ebx, esp, ebp, esi, edi, r8d, r9d, r10d, r11d, r12d, r13d, r14d, r15d,
];
const R8: [AsmRegister8; 16] = [
    al, cl, dl, bl, spl, bpl, sil, dil, r8b, r9b, r10b, r11b, r12b, r13b, r14b, r15b,
];
const REG: [Register; 16] = [
    Register::RAX,
    Register::RCX,
    Register::RDX,
    Register::RBX,
    Register::RSP,
    Register::RBP,
    Register::RSI,
    Register::RDI,
    Register::R8,
    Register::R9,
    Register::R10,
    Register::R11,
    Register::R12,
    Register::R13,
    Register::R14,
    Register::R15,
];

/// A branch or call target far enough away to need rel32.
const FAR: u64 = 0x4000_0000;
/// A 64-bit immediate that does not fit 32 bits.
const WIDE: u64 = 0x7FFF_0000_0000_0000;

/// The relocation kinds of the target's object format.
struct Kinds {
    abs: &'static str,
    branch: &'static str,
    got_call: &'static str,
    got_load: &'static str,
}

fn kinds(target: Target) -> Kinds {
    if target.is_darwin() {
        Kinds {
            abs: "X86_64_RELOC_UNSIGNED",
            branch: "X86_64_RELOC_BRANCH",
            got_call: "X86_64_RELOC_GOT",
            got_load: "X86_64_RELOC_GOT_LOAD",
        }
    } else {
        Kinds {
            abs: "R_X86_64_64",
            branch: "R_X86_64_PLT32",
            got_call: "R_X86_64_GOTPCRELX",
            got_load: "R_X86_64_REX_GOTPCRELX",
        }
    }
}

/// Which constant of an instruction a hole is.
#[derive(Clone, Copy)]
enum Field {
    Imm(usize),
    Disp(usize),
}

fn ie(e: IcedError) -> String {
    format!("x86-64 assembler: {e}")
}

fn reg(r: Reg) -> Result<usize, String> {
    let i = usize::from(r);
    if i < 16 {
        Ok(i)
    } else {
        Err(format!("no x86-64 register {r}"))
    }
}

fn imm32(v: i64) -> Result<i32, String> {
    i32::try_from(v).map_err(|_| format!("{v:#x} does not fit a 32-bit immediate"))
}

/// The immediate of a 32-bit operation (an unsigned or signed 32-bit value, as its bits).
fn imm32_bits(v: i64) -> Result<i32, String> {
    if (0..=i64::from(u32::MAX)).contains(&v) {
        Ok(v as u32 as i32)
    } else {
        imm32(v)
    }
}

struct X86<'a> {
    a: CodeAssembler,
    ctx: &'a Ctx,
    kinds: Kinds,
    syms: &'a mut Symbols,
    data: DataWords,
    labels: std::collections::HashMap<u32, CodeLabel>,
    end: CodeLabel,
    end_used: bool,
    pending: Vec<(usize, Field, cpyviz_model::jit::Hole)>,
    trampolines: SymbolMask,
    got: SymbolMask,
    got_fills: Vec<(u32, String)>,
}

impl X86<'_> {
    fn mem(&self, base: Reg, off: i32) -> Result<AsmMemoryOperand, String> {
        Ok(R64[reg(base)?] + off)
    }

    fn ptr(&self, w: Width, base: Reg, off: i32) -> Result<AsmMemoryOperand, String> {
        let m = self.mem(base, off)?;
        Ok(match w {
            Width::B1 => byte_ptr(m),
            Width::B4 => dword_ptr(m),
            Width::B8 => qword_ptr(m),
        })
    }

    fn label(&mut self, l: u32) -> CodeLabel {
        let a = &mut self.a;
        *self.labels.entry(l).or_insert_with(|| a.create_label())
    }

    fn next(&self) -> usize {
        self.a.instructions().len()
    }

    fn add_hole(&mut self, idx: usize, field: Field, h: cpyviz_model::jit::Hole) {
        self.pending.push((idx, field, h));
    }

    fn jcc_to(&mut self, c: Cond, t: JumpTo) -> Result<(), String> {
        macro_rules! j {
            ($m:ident) => {
                match t {
                    JumpTo::Label(l) => self.a.$m(l),
                    JumpTo::Far => self.a.$m(FAR),
                }
            };
        }
        match c {
            Cond::Eq => j!(je),
            Cond::Ne => j!(jne),
            Cond::Lt => j!(jl),
            Cond::Ge => j!(jge),
            Cond::Le => j!(jle),
            Cond::Gt => j!(jg),
            Cond::Lo => j!(jb),
            Cond::Hs => j!(jae),
            Cond::Ls => j!(jbe),
            Cond::Hi => j!(ja),
        }
        .map_err(ie)
    }

    fn cmov(&mut self, c: Cond, d: Reg, s: Reg) -> Result<(), String> {
        let (d, s) = (R64[reg(d)?], R64[reg(s)?]);
        match c {
            Cond::Eq => self.a.cmove(d, s),
            Cond::Ne => self.a.cmovne(d, s),
            Cond::Lt => self.a.cmovl(d, s),
            Cond::Ge => self.a.cmovge(d, s),
            Cond::Le => self.a.cmovle(d, s),
            Cond::Gt => self.a.cmovg(d, s),
            Cond::Lo => self.a.cmovb(d, s),
            Cond::Hs => self.a.cmovae(d, s),
            Cond::Ls => self.a.cmovbe(d, s),
            Cond::Hi => self.a.cmova(d, s),
        }
        .map_err(ie)
    }

    fn setcc(&mut self, c: Cond, d: Reg) -> Result<(), String> {
        let d = R8[reg(d)?];
        match c {
            Cond::Eq => self.a.sete(d),
            Cond::Ne => self.a.setne(d),
            Cond::Lt => self.a.setl(d),
            Cond::Ge => self.a.setge(d),
            Cond::Le => self.a.setle(d),
            Cond::Gt => self.a.setg(d),
            Cond::Lo => self.a.setb(d),
            Cond::Hs => self.a.setae(d),
            Cond::Ls => self.a.setbe(d),
            Cond::Hi => self.a.seta(d),
        }
        .map_err(ie)
    }

    /// A branch (conditional or not) to a target of the shape.
    fn branch(&mut self, c: Option<Cond>, t: Tgt) -> Result<(), String> {
        let hole_value = match t {
            Tgt::Local(l) => {
                let l = self.label(l);
                return match c {
                    Some(c) => self.jcc_to(c, JumpTo::Label(l)),
                    None => self.a.jmp(l).map_err(ie),
                };
            }
            Tgt::Continue if self.ctx.shape.continue_is_label => {
                self.end_used = true;
                let l = self.end;
                return match c {
                    Some(c) => self.jcc_to(c, JumpTo::Label(l)),
                    None => self.a.jmp(l).map_err(ie),
                };
            }
            Tgt::Continue => HoleValue::Continue,
            Tgt::Hole(v) => v,
        };
        let idx = self.next();
        match c {
            Some(c) => self.jcc_to(c, JumpTo::Far)?,
            None => self.a.jmp(FAR).map_err(ie)?,
        }
        let h = hole(self.kinds.branch, PatchFn::P32r, hole_value, None, -4, None);
        self.add_hole(idx, Field::Imm(4), h);
        Ok(())
    }

    fn imm64(
        &mut self,
        d: Reg,
        value: HoleValue,
        symbol: Option<&str>,
        addend: i64,
    ) -> Result<(), String> {
        let idx = self.next();
        self.a.mov(R64[reg(d)?], WIDE).map_err(ie)?;
        let h = hole(self.kinds.abs, PatchFn::P64, value, symbol, addend, None);
        self.add_hole(idx, Field::Imm(8), h);
        Ok(())
    }

    /// `op [rip + X]` with X a 32-bit displacement hole.
    fn rip(
        &mut self,
        ins: Result<Instruction, IcedError>,
        h: cpyviz_model::jit::Hole,
    ) -> Result<(), String> {
        let idx = self.next();
        self.a.add_instruction(ins.map_err(ie)?).map_err(ie)?;
        self.add_hole(idx, Field::Disp(4), h);
        Ok(())
    }

    fn rip_operand() -> MemoryOperand {
        MemoryOperand::with_base_displ(Register::RIP, FAR as i64)
    }

    fn one(&mut self, ins: &Ins) -> Result<(), String> {
        use Ins::*;
        match ins {
            Label(l) => {
                let mut lab = self.label(*l);
                self.a.set_label(&mut lab).map_err(ie)?;
                self.labels.insert(*l, lab);
                self.a.zero_bytes().map_err(ie)?;
            }
            Mov(d, s) => {
                if d != s {
                    self.a.mov(R64[reg(*d)?], R64[reg(*s)?]).map_err(ie)?;
                }
            }
            MovImm(d, v) => {
                let d = reg(*d)?;
                if (0..=i64::from(u32::MAX)).contains(v) {
                    self.a.mov(R32[d], *v as u32).map_err(ie)?;
                } else {
                    self.a.mov(R64[d], *v).map_err(ie)?;
                }
            }
            Load { dst, base, off, w } => {
                let d = reg(*dst)?;
                let m = self.ptr(*w, *base, *off)?;
                match w {
                    Width::B8 => self.a.mov(R64[d], m),
                    Width::B4 => self.a.mov(R32[d], m),
                    Width::B1 => self.a.movzx(R32[d], m),
                }
                .map_err(ie)?;
            }
            Store { src, base, off, w } => {
                let m = self.ptr(*w, *base, *off)?;
                match (src, w) {
                    (Some(s), Width::B8) => self.a.mov(m, R64[reg(*s)?]),
                    (Some(s), Width::B4) => self.a.mov(m, R32[reg(*s)?]),
                    (Some(s), Width::B1) => self.a.mov(m, R8[reg(*s)?]),
                    (None, _) => self.a.mov(m, 0),
                }
                .map_err(ie)?;
            }
            StoreImm8 { base, off, imm } => {
                let m = self.ptr(Width::B1, *base, *off)?;
                self.a.mov(m, i32::from(*imm)).map_err(ie)?;
            }
            LoadIdx {
                dst,
                base,
                idx,
                off,
            } => {
                let m = qword_ptr(R64[reg(*base)?] + R64[reg(*idx)?] * 8 + *off);
                self.a.mov(R64[reg(*dst)?], m).map_err(ie)?;
            }
            StoreIdx {
                src,
                base,
                idx,
                off,
            } => {
                let m = qword_ptr(R64[reg(*base)?] + R64[reg(*idx)?] * 8 + *off);
                self.a.mov(m, R64[reg(*src)?]).map_err(ie)?;
            }
            Lea {
                dst,
                base,
                idx,
                scale,
                off,
            } => {
                let m = qword_ptr(R64[reg(*base)?] + R64[reg(*idx)?] * u32::from(*scale) + *off);
                self.a.lea(R64[reg(*dst)?], m).map_err(ie)?;
            }
            AddImm(r, v) => {
                if *v != 0 {
                    self.a.add(R64[reg(*r)?], imm32(*v)?).map_err(ie)?;
                }
            }
            AddReg(a, b) => self.a.add(R64[reg(*a)?], R64[reg(*b)?]).map_err(ie)?,
            SubReg(a, b) => self.a.sub(R64[reg(*a)?], R64[reg(*b)?]).map_err(ie)?,
            MulReg(a, b) => self.a.imul_2(R64[reg(*a)?], R64[reg(*b)?]).map_err(ie)?,
            AndImm(r, v) => self.a.and(R64[reg(*r)?], imm32(*v)?).map_err(ie)?,
            OrImm(r, v) => self.a.or(R64[reg(*r)?], imm32(*v)?).map_err(ie)?,
            ShlImm(r, n) => self.a.shl(R64[reg(*r)?], u32::from(*n)).map_err(ie)?,
            Neg(r) => self.a.neg(R64[reg(*r)?]).map_err(ie)?,
            Cmp(a, b) => self.a.cmp(R64[reg(*a)?], R64[reg(*b)?]).map_err(ie)?,
            CmpImm { r, imm, w } => {
                let r = reg(*r)?;
                match w {
                    Width::B8 => self.a.cmp(R64[r], imm32(*imm)?),
                    Width::B4 => self.a.cmp(R32[r], imm32_bits(*imm)?),
                    Width::B1 => self.a.cmp(R8[r], imm32(*imm)?),
                }
                .map_err(ie)?;
            }
            CmpMem { base, off, w, r } => {
                let m = self.ptr(*w, *base, *off)?;
                let r = reg(*r)?;
                match w {
                    Width::B8 => self.a.cmp(m, R64[r]),
                    Width::B4 => self.a.cmp(m, R32[r]),
                    Width::B1 => self.a.cmp(m, R8[r]),
                }
                .map_err(ie)?;
            }
            CmpMemImm { base, off, w, imm } => {
                let m = self.ptr(*w, *base, *off)?;
                let v = if *w == Width::B4 {
                    imm32_bits(*imm)?
                } else {
                    imm32(*imm)?
                };
                self.a.cmp(m, v).map_err(ie)?;
            }
            TestImm { r, imm, w } => {
                let r = reg(*r)?;
                match w {
                    Width::B8 => self.a.test(R64[r], imm32(*imm)?),
                    Width::B4 => self.a.test(R32[r], imm32_bits(*imm)?),
                    Width::B1 => self.a.test(R8[r], imm32(*imm)?),
                }
                .map_err(ie)?;
            }
            TestReg(a, b) => self.a.test(R64[reg(*a)?], R64[reg(*b)?]).map_err(ie)?,
            TestMemImm { base, off, w, imm } => {
                let m = self.ptr(*w, *base, *off)?;
                let v = if *w == Width::B4 {
                    imm32_bits(*imm)?
                } else {
                    imm32(*imm)?
                };
                self.a.test(m, v).map_err(ie)?;
            }
            Jcc(c, t) => self.branch(Some(*c), *t)?,
            Jmp(t) => self.branch(None, *t)?,
            JmpMem { base, off } => {
                let m = self.ptr(Width::B8, *base, *off)?;
                self.a.jmp(m).map_err(ie)?;
            }
            CallMem { base, off } => {
                let m = self.ptr(Width::B8, *base, *off)?;
                self.a.call(m).map_err(ie)?;
            }
            Ret => self.a.ret().map_err(ie)?,
            Trap => self.a.ud2().map_err(ie)?,
            CSet(d, c) => {
                self.setcc(*c, *d)?;
                let d = reg(*d)?;
                self.a.movzx(R32[d], R8[d]).map_err(ie)?;
            }
            CSel { dst, a, b, c } => {
                if dst == b {
                    self.cmov(*c, *dst, *a)?;
                } else if dst == a {
                    self.cmov(c.invert(), *dst, *b)?;
                } else {
                    self.a.mov(R64[reg(*dst)?], R64[reg(*b)?]).map_err(ie)?;
                    self.cmov(*c, *dst, *a)?;
                }
            }
            Imm64 {
                dst,
                value,
                symbol,
                addend,
            } => {
                self.imm64(*dst, *value, symbol.as_deref(), *addend)?;
            }
            SymAddr { dst, symbol } => {
                if self.ctx.trace_got {
                    // 3.15: the address itself, as a 64-bit immediate.
                    self.imm64(*dst, HoleValue::Zero, Some(symbol), 0)?;
                } else {
                    // 3.14: a load from this stencil's own GOT word, in its data.
                    let word = self.data.word(symbol);
                    let ins = Instruction::with2(
                        Code::Mov_r64_rm64,
                        REG[reg(*dst)?],
                        Self::rip_operand(),
                    );
                    let h = hole(
                        self.kinds.got_load,
                        PatchFn::X86_64_32rx,
                        HoleValue::Data,
                        None,
                        word as i64 - 4,
                        None,
                    );
                    self.rip(ins, h)?;
                }
            }
            CallSym(symbol) => self.call_sym(symbol)?,
            CallModel(symbol) => {
                self.imm64(0, HoleValue::Zero, Some(symbol), 0)?;
                self.a.call(rax).map_err(ie)?;
            }
            DataAddr { dst, off } => self.imm64(*dst, HoleValue::Data, None, *off)?,
            CallContinue => {
                let idx = self.next();
                self.a.call(FAR).map_err(ie)?;
                let h = hole(
                    self.kinds.branch,
                    PatchFn::P32r,
                    HoleValue::Continue,
                    None,
                    -4,
                    None,
                );
                self.add_hole(idx, Field::Imm(4), h);
            }
            AtomicOr { base, off, imm } => {
                let m = self.ptr(Width::B8, *base, *off)?;
                self.a.lock().or(m, imm32(*imm)?).map_err(ie)?;
            }
            SaveCalleeSaved => {
                for r in [rbp, rbx, r12, r13, r14, r15] {
                    self.a.push(r).map_err(ie)?;
                }
                // Six pushes and the return address: realign to 16 for the call.
                self.a.sub(rsp, 8).map_err(ie)?;
            }
            RestoreCalleeSaved => {
                self.a.add(rsp, 8).map_err(ie)?;
                for r in [r15, r14, r13, r12, rbx, rbp] {
                    self.a.pop(r).map_err(ie)?;
                }
            }
        }
        Ok(())
    }

    fn call_sym(&mut self, symbol: &str) -> Result<(), String> {
        if self.ctx.trampolined_calls {
            // x86_64-apple-darwin, 3.15: `call rel32`, through a trampoline when out of reach.
            let ord = self.syms.ordinal(symbol)?;
            self.trampolines.insert(ord);
            let idx = self.next();
            self.a.call(FAR).map_err(ie)?;
            let h = hole(
                self.kinds.branch,
                PatchFn::X86_64Trampoline,
                HoleValue::Zero,
                Some(symbol),
                0,
                Some(HoleSpecial::Trampoline { ordinal: ord }),
            );
            self.add_hole(idx, Field::Imm(4), h);
        } else if self.ctx.trace_got {
            // 3.15: `call [rip + X]` through the trace's GOT slot of the symbol.
            let ord = self.syms.ordinal(symbol)?;
            if !self.got.contains(ord) {
                self.got.insert(ord);
                self.got_fills.push((ord, symbol.to_string()));
            }
            let ins = Instruction::with1(Code::Call_rm64, Self::rip_operand());
            let h = hole(
                self.kinds.got_call,
                PatchFn::X86_64_32rx,
                HoleValue::Got,
                Some(symbol),
                0,
                Some(HoleSpecial::GotSlot {
                    ordinal: ord,
                    minus4: true,
                }),
            );
            self.rip(ins, h)?;
        } else {
            // 3.14: `call [rip + X]` through this stencil's GOT word.
            let word = self.data.word(symbol);
            let ins = Instruction::with1(Code::Call_rm64, Self::rip_operand());
            let h = hole(
                self.kinds.got_call,
                PatchFn::X86_64_32rx,
                HoleValue::Data,
                None,
                word as i64 - 4,
                None,
            );
            self.rip(ins, h)?;
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum JumpTo {
    Label(CodeLabel),
    Far,
}

/// Assembles `code` (and the stencil's `data`) for x86-64.
pub(crate) fn lower(
    code: &[Ins],
    data: Vec<u8>,
    ctx: &Ctx,
    syms: &mut Symbols,
) -> Result<Lowered, String> {
    let mut a = CodeAssembler::new(64).map_err(ie)?;
    let end = a.create_label();
    let mut x = X86 {
        a,
        ctx,
        kinds: kinds(ctx.target),
        syms,
        data: DataWords::new(data),
        labels: Default::default(),
        end,
        end_used: false,
        pending: Vec::new(),
        trampolines: SymbolMask::default(),
        got: SymbolMask::default(),
        got_fills: Vec::new(),
    };
    for ins in code {
        x.one(ins)?;
    }
    if x.end_used {
        let mut end = x.end;
        x.a.set_label(&mut end).map_err(ie)?;
        x.a.zero_bytes().map_err(ie)?;
    }
    let result =
        x.a.assemble_options(
            0,
            BlockEncoderOptions::RETURN_NEW_INSTRUCTION_OFFSETS
                | BlockEncoderOptions::RETURN_CONSTANT_OFFSETS,
        )
        .map_err(ie)?;
    let inner = result.inner;
    let mut body = inner.code_buffer;
    let mut holes = Vec::with_capacity(x.pending.len());
    for (idx, field, mut h) in x.pending {
        let start = *inner
            .new_instruction_offsets
            .get(idx)
            .filter(|&&o| o != u32::MAX)
            .ok_or_else(|| format!("instruction #{idx} (a hole) was rewritten by the encoder"))?
            as usize;
        let co = inner
            .constant_offsets
            .get(idx)
            .ok_or_else(|| format!("no constant offsets for instruction #{idx}"))?;
        let (at, size, want) = match field {
            Field::Imm(n) => (co.immediate_offset(), co.immediate_size(), n),
            Field::Disp(n) => (co.displacement_offset(), co.displacement_size(), n),
        };
        if size != want {
            return Err(format!(
                "instruction #{idx} at {start:#x}: the hole is {size} bytes, {} writes {want}",
                h.func.name()
            ));
        }
        let offset = start + at;
        body.get_mut(offset..offset + size)
            .ok_or_else(|| format!("hole at {offset:#x} past the end of the code"))?
            .fill(0);
        h.offset = offset;
        holes.push(h);
    }
    holes.sort_by_key(|h| h.offset);
    Ok(Lowered {
        code: body,
        code_holes: holes,
        data: x.data,
        trampolines: x.trampolines,
        got: x.got,
        got_fills: x.got_fills,
    })
}

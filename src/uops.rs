//! Stage 5/6 data — tier-2 executors: the micro-op trace the optimizer built from hot bytecode,
//! and the machine code the JIT stitched from stencils for it.

use serde::{Deserialize, Serialize};

/// One executor, attached to a `JUMP_BACKWARD`/`ENTER_EXECUTOR` offset of a code object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Executor {
    /// Index of the code object in depth-first `co_consts` order (0 = the module).
    pub code_index: u32,
    /// `co_qualname` of that code object.
    pub qualname: String,
    /// The bytecode offset the executor is attached to.
    pub offset: u32,
    /// `is_valid()`, when the interpreter tells.
    pub valid: Option<bool>,
    /// The opcode and oparg the executor replaced (`get_opcode()`, `get_oparg()`).
    pub opcode: Option<u32>,
    pub oparg: Option<u32>,
    pub uops: Vec<Uop>,
    /// The machine code (`get_jit_code()`), when the JIT compiled this executor.
    pub jit_code: Option<Vec<u8>>,
    /// Where that machine code lives in the recorded process, when it could be found.
    pub jit_address: Option<u64>,
    /// Why machine code or its address is missing, if it is.
    pub jit_note: Option<String>,
}

/// One micro-op of an executor's trace.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uop {
    pub name: String,
    pub oparg: i64,
    pub target: i64,
    /// The 64-bit operand (often an address: differs from run to run).
    pub operand: u64,
}

/// The `uops` dump: for each executor a header and one line per uop (index, name, oparg,
/// target), as `stage.py uops` prints them.
pub fn dump(executors: &[Executor]) -> String {
    let mut out = String::new();
    for ex in executors {
        out.push_str(&format!(
            "Executor for {} at offset {}:\n",
            ex.qualname, ex.offset
        ));
        for (i, u) in ex.uops.iter().enumerate() {
            out.push_str(&format!(
                "  {:3} {:<36} {:>6} {:>6}\n",
                i, u.name, u.oparg, u.target
            ));
        }
    }
    out
}

/// The `jit` dump: each executor's machine code as hex and Intel-syntax disassembly.
pub fn dump_machine_code(executors: &[Executor]) -> String {
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
        let base = ex.jit_address.unwrap_or(0);
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
        for l in disassemble(code, base) {
            out.push_str(&format!("  {:016x}  {:<30} {}\n", l.address, l.hex, l.text));
        }
        out.push('\n');
    }
    out
}

/// One decoded machine instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsmLine {
    pub address: u64,
    /// The instruction's bytes in hex (`4889c7`).
    pub hex: String,
    /// Intel syntax, as iced-x86 formats it.
    pub text: String,
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
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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

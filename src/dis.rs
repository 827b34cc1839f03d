//! `python -m dis` output, computed from the [`CodeObject`] model.
//!
//! The layout follows `dis.Formatter` (CPython 3.13+: `L<n>:` labels, no offsets): a line-number
//! column as wide as the largest line (at least 3), a label column `4 + digits(labels)` wide, the
//! opname left-aligned in 20 columns, the argument right-aligned in 5 (an opname longer than 20
//! eats into it), the argrepr in parentheses; a blank line before each new source line; the
//! exception table; then each nested code object after `Disassembly of <repr>:`.

use crate::bytecode::{CodeObject, Instruction};

/// `repr(code)` addresses differ between any two compilations: ` at 0x7f…` becomes
/// ` at 0x{with}` (the goldens use `ADDR`).
pub fn mask_addresses(text: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(" at 0x") {
        out.push_str(&rest[..i + 6]);
        rest = &rest[i + 6..];
        let hex = rest.bytes().take_while(|b| b.is_ascii_hexdigit()).count();
        out.push_str(with);
        rest = &rest[hex..];
    }
    out.push_str(rest);
    out
}

const OPNAME_WIDTH: usize = 20;
const OPARG_WIDTH: usize = 5;
const NO_LINENO: &str = "  --";

/// `python -m dis` for a module's code object (recursively), for CPython `major.minor`.
///
/// CPython 3.13 and later share one layout; 3.12 prints offsets and `>>` jump-target markers
/// instead of labels ([`disassemble_3_12`]).
pub fn dis(code: &CodeObject, python: (u32, u32)) -> String {
    let mut out = String::new();
    disassemble_recursive(code, python < (3, 13), &mut out);
    out
}

fn disassemble_recursive(code: &CodeObject, legacy: bool, out: &mut String) {
    if legacy {
        disassemble_3_12(code, &code.instructions, out);
    } else {
        disassemble(code, &code.instructions, out);
    }
    for child in &code.children {
        out.push('\n');
        out.push_str(&format!("Disassembly of {}:\n", child.repr));
        disassemble_recursive(child, legacy, out);
    }
}

/// CPython 3.12's `dis` layout: line number (3 wide, wider from line 1000), a 3-column
/// current-instruction marker, `>>` on jump targets, the byte offset (4 wide, wider past 9998),
/// then opname, argument and argrepr as in later versions; the exception table in offsets with an
/// inclusive end.
pub fn disassemble_3_12(code: &CodeObject, instructions: &[Instruction], out: &mut String) {
    let max_line = code.linestarts.iter().filter_map(|&(_, l)| l).max();
    let lineno_width = match max_line {
        None => 0,
        Some(m) if m >= 1000 => m.to_string().len(),
        Some(_) => 3,
    };
    let max_offset = code.code_len.saturating_sub(2);
    let offset_width = if max_offset >= 10000 {
        max_offset.to_string().len()
    } else {
        4
    };
    for instr in instructions {
        if lineno_width > 0 && instr.starts_line && instr.offset > 0 {
            out.push('\n');
        }
        let mut fields: Vec<String> = Vec::new();
        if lineno_width > 0 {
            match (instr.starts_line, instr.line_number) {
                (true, Some(l)) => fields.push(format!("{l:>lineno_width$}")),
                _ => fields.push(" ".repeat(lineno_width)),
            }
        }
        fields.push("   ".to_string());
        fields.push(if instr.is_jump_target { ">>" } else { "  " }.to_string());
        fields.push(format!("{:>offset_width$}", instr.offset));
        fields.push(format!("{:<OPNAME_WIDTH$}", instr.opname));
        if let Some(arg) = instr.arg {
            fields.push(format!("{arg:>OPARG_WIDTH$}"));
            if !instr.argrepr.is_empty() {
                fields.push(format!("({})", instr.argrepr));
            }
        }
        out.push_str(fields.join(" ").trim_end());
        out.push('\n');
    }
    if !code.exception_table.is_empty() {
        out.push_str("ExceptionTable:\n");
        for e in &code.exception_table {
            out.push_str(&format!(
                "  {} to {} -> {} [{}]{}\n",
                e.start,
                e.end.saturating_sub(2),
                e.target,
                e.depth,
                if e.lasti { " lasti" } else { "" }
            ));
        }
    }
}

/// The lines `dis.disassemble(co)` prints for one code object, with `instructions` (plain or
/// adaptive) standing for its bytecode.
pub fn disassemble(code: &CodeObject, instructions: &[Instruction], out: &mut String) {
    let lineno_width = lineno_width(code);
    let labels = instructions
        .iter()
        .filter_map(|i| i.label)
        .chain(
            code.exception_table
                .iter()
                .flat_map(|e| [e.start_label, e.end_label, e.target_label])
                .flatten(),
        )
        .max()
        .unwrap_or(0);
    let label_width = 4 + labels.to_string().len();
    for instr in instructions {
        print_instruction(instr, lineno_width, label_width, out);
    }
    if !code.exception_table.is_empty() {
        out.push_str("ExceptionTable:\n");
        for e in &code.exception_table {
            let lbl = |l: Option<u32>, off: u32| match l {
                Some(l) => format!("L{l}"),
                None => off.to_string(),
            };
            out.push_str(&format!(
                "  {} to {} -> {} [{}]{}\n",
                lbl(e.start_label, e.start),
                lbl(e.end_label, e.end),
                lbl(e.target_label, e.target),
                e.depth,
                if e.lasti { " lasti" } else { "" }
            ));
        }
    }
}

/// `dis._get_lineno_width`.
fn lineno_width(code: &CodeObject) -> usize {
    // `max(filter(None, …))`: lines `None` and 0 do not count.
    let max = code
        .linestarts
        .iter()
        .filter_map(|&(_, l)| l.filter(|&l| l != 0))
        .max();
    let Some(max) = max else {
        return 0;
    };
    let mut w = 3.max(max.to_string().len());
    if w < NO_LINENO.len() && code.linestarts.iter().any(|&(_, l)| l.is_none()) {
        w = NO_LINENO.len();
    }
    w
}

fn print_instruction(
    instr: &Instruction,
    lineno_width: usize,
    label_width: usize,
    out: &mut String,
) {
    if lineno_width > 0 && instr.starts_line && instr.offset > 0 {
        out.push('\n');
    }
    let mut fields: Vec<String> = Vec::new();
    if lineno_width > 0 {
        if instr.starts_line {
            match instr.line_number {
                Some(l) => fields.push(format!("{l:>lineno_width$}")),
                None => fields.push(format!("{NO_LINENO:>lineno_width$}")),
            }
        } else {
            fields.push(" ".repeat(lineno_width));
        }
    }
    match instr.label {
        Some(l) => fields.push(format!("{:>label_width$}", format!("L{l}:"))),
        None => fields.push(" ".repeat(label_width)),
    }
    fields.push("   ".to_string());
    fields.push(format!("{:<OPNAME_WIDTH$}", instr.opname));
    if let Some(arg) = instr.arg {
        let excess = instr.opname.chars().count().saturating_sub(OPNAME_WIDTH);
        let width = OPARG_WIDTH.saturating_sub(excess);
        fields.push(format!("{arg:>width$}"));
        if !instr.argrepr.is_empty() {
            fields.push(format!("({})", instr.argrepr));
        }
    }
    let line = fields.join(" ");
    out.push_str(line.trim_end());
    out.push('\n');
}

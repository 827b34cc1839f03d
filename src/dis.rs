//! `python -m dis` output, computed from the [`CodeObject`] model.
//!
//! The layout follows `dis.Formatter` (CPython 3.13+: `L<n>:` labels, no offsets): a line-number
//! column as wide as the largest line (at least 3), a label column `4 + digits(labels)` wide, the
//! opname left-aligned in 20 columns, the argument right-aligned in 5 (an opname longer than 20
//! eats into it), the argrepr in parentheses; a blank line before each new source line; the
//! exception table; then each nested code object after `Disassembly of <repr>:`.

use crate::bytecode::{CodeObject, Instruction};

const OPNAME_WIDTH: usize = 20;
const OPARG_WIDTH: usize = 5;
const NO_LINENO: &str = "  --";

/// `python -m dis` for a module's code object (recursively), for CPython `major.minor`.
///
/// CPython 3.13 and later share this layout; 3.12 printed offsets and `>>` markers instead of
/// labels, which this formatter does not reproduce (it prints the 3.13 layout).
pub fn dis(code: &CodeObject, python: (u32, u32)) -> String {
    // Every version the live engine accepts past 3.12 shares one layout.
    let _ = python;
    let mut out = String::new();
    disassemble_recursive(code, &mut out);
    out
}

fn disassemble_recursive(code: &CodeObject, out: &mut String) {
    disassemble(code, &code.instructions, out);
    for child in &code.children {
        out.push('\n');
        out.push_str(&format!("Disassembly of {}:\n", child.repr));
        disassemble_recursive(child, out);
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

//! `python -m dis` output, computed from the [`CodeObject`] model.
//!
//! The layout follows `dis.Formatter` (CPython 3.13+: `L<n>:` labels, no offsets): a line-number
//! column as wide as the largest line (at least 3), a label column `4 + digits(labels)` wide, the
//! opname left-aligned in 20 columns, the argument right-aligned in 5 (an opname longer than 20
//! eats into it), the argrepr in parentheses; a blank line before each new source line; the
//! exception table; then each nested code object after `Disassembly of <repr>:`.

use crate::bytecode::{CodeObject, Instruction, Positions};

/// `repr(code)` addresses differ between any two compilations: ` at 0x7f…` becomes
/// ` at 0x{with}` (the goldens use `ADDR`). The one masking function of the project; text
/// already masked (no lowercase hex digits after `0x`) is left as it is.
pub fn mask_addresses(text: &str, with: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(" at 0x") {
        out.push_str(&rest[..i + 6]);
        rest = &rest[i + 6..];
        let hex = rest
            .bytes()
            .take_while(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
            .count();
        if hex > 0 {
            out.push_str(with);
            rest = &rest[hex..];
        }
    }
    out.push_str(rest);
    out
}

const OPNAME_WIDTH: usize = 20;
const OPARG_WIDTH: usize = 5;
const NO_LINENO: &str = "  --";

/// The options of `python -m dis` that change its layout (`-C`, `-O`, `-P`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DisOptions {
    /// `-C`: a `CACHE` line for every inline cache entry.
    pub show_caches: bool,
    /// `-O`: each instruction's byte offset.
    pub show_offsets: bool,
    /// `-P`: full positions (`line:col-endline:endcol`) instead of line numbers.
    pub show_positions: bool,
}

impl DisOptions {
    pub fn any(&self) -> bool {
        self.show_caches || self.show_offsets || self.show_positions
    }
}

/// `python -m dis` for a module's code object (recursively), for CPython `major.minor`.
///
/// CPython 3.13 and later share one layout; 3.12 prints offsets and `>>` jump-target markers
/// instead of labels ([`disassemble_3_12`]).
pub fn dis(code: &CodeObject, python: (u32, u32)) -> String {
    dis_with(code, python, DisOptions::default())
}

/// [`dis`] with `python -m dis`'s layout options (3.13 and later).
pub fn dis_with(code: &CodeObject, python: (u32, u32), options: DisOptions) -> String {
    let mut out = String::new();
    disassemble_recursive(code, dis_has_3_12_layout(python), options, &mut out);
    out
}

/// Whether `python -m dis` of CPython `major.minor` (a live interpreter's version, not a
/// profile's) prints 3.12's layout: byte offsets and `>>` jump-target markers instead of labels.
pub fn dis_has_3_12_layout(python: (u32, u32)) -> bool {
    python < (3, 13)
}

fn disassemble_recursive(code: &CodeObject, legacy: bool, options: DisOptions, out: &mut String) {
    if legacy {
        disassemble_3_12(code, &code.instructions, out);
    } else {
        disassemble_with(code, &code.instructions, options, out);
    }
    for child in &code.children {
        out.push('\n');
        out.push_str(&format!("Disassembly of {}:\n", child.repr));
        disassemble_recursive(child, legacy, options, out);
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
    disassemble_with(code, instructions, DisOptions::default(), out)
}

/// [`disassemble`] with `python -m dis`'s layout options.
pub fn disassemble_with(
    code: &CodeObject,
    instructions: &[Instruction],
    options: DisOptions,
    out: &mut String,
) {
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
    let layout = Layout {
        lineno_width: if options.show_positions {
            positions_width(instructions)
        } else {
            lineno_width(code)
        },
        label_width: 4 + labels.to_string().len(),
        // `len(str(max(len(co.co_code) - 2, 9999)))`
        offset_width: if options.show_offsets {
            code.code_len.saturating_sub(2).max(9999).to_string().len()
        } else {
            0
        },
        show_positions: options.show_positions,
    };
    for instr in instructions {
        print_instruction(instr, &layout, out);
        if options.show_caches {
            print_caches(instr, &layout, out);
        }
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

/// The column widths of `dis.Formatter`.
struct Layout {
    lineno_width: usize,
    label_width: usize,
    offset_width: usize,
    show_positions: bool,
}

/// `dis._get_positions_width`: every code unit's positions (an instruction's inline caches
/// share its positions) as `LINE:COL-ENDLINE:ENDCOL`, a missing value counting one column
/// (`?`); 0 when no code unit has any position.
fn positions_width(instructions: &[Instruction]) -> usize {
    let mut has_value = false;
    let mut values_width = 0;
    for instr in instructions {
        let p = instr.positions.unwrap_or_default();
        let parts = [p.lineno, p.end_lineno, p.col_offset, p.end_col_offset];
        has_value |= parts.iter().any(Option::is_some);
        let width: usize = parts
            .iter()
            .map(|v| v.map_or(1, |v| v.to_string().len()))
            .sum();
        values_width = values_width.max(width);
    }
    if has_value {
        1 + NO_LINENO.len().max(3 + values_width)
    } else {
        0
    }
}

/// `LINE:COL-ENDLINE:ENDCOL` (`?` for a missing value), or `  --` when all are missing.
fn positions_text(p: Option<Positions>) -> String {
    let p = p.unwrap_or_default();
    if [p.lineno, p.end_lineno, p.col_offset, p.end_col_offset]
        .iter()
        .all(Option::is_none)
    {
        return NO_LINENO.to_string();
    }
    let s = |v: Option<u32>| v.map_or("?".to_string(), |v| v.to_string());
    format!(
        "{}:{}-{}:{}",
        s(p.lineno),
        s(p.col_offset),
        s(p.end_lineno),
        s(p.end_col_offset)
    )
}

/// `Formatter.print_instruction`'s cache lines: one `CACHE` per code unit, the field's name and
/// value (little-endian) on its first unit.
fn print_caches(instr: &Instruction, layout: &Layout, out: &mut String) {
    let mut offset = instr.offset;
    for entry in &instr.cache_info {
        for i in 0..entry.size {
            offset += 2;
            let argrepr = if i == 0 {
                let value = entry
                    .data
                    .iter()
                    .rev()
                    .fold(num_bigint::BigUint::default(), |acc, &b| {
                        (acc << 8u32) + num_bigint::BigUint::from(b)
                    });
                format!("{}: {value}", entry.name)
            } else {
                String::new()
            };
            let cache = Instruction {
                offset,
                start_offset: offset,
                opname: "CACHE".to_string(),
                arg: Some(0),
                argrepr,
                positions: instr.positions,
                ..Instruction::default()
            };
            print_instruction(&cache, layout, out);
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

fn print_instruction(instr: &Instruction, layout: &Layout, out: &mut String) {
    let lineno_width = layout.lineno_width;
    if lineno_width > 0 && instr.starts_line && instr.offset > 0 {
        out.push('\n');
    }
    let mut fields: Vec<String> = Vec::new();
    if lineno_width > 0 {
        if layout.show_positions {
            fields.push(format!(
                "{:<lineno_width$}",
                positions_text(instr.positions)
            ));
        } else if instr.starts_line {
            match instr.line_number {
                Some(l) => fields.push(format!("{l:>lineno_width$}")),
                None => fields.push(format!("{NO_LINENO:>lineno_width$}")),
            }
        } else {
            fields.push(" ".repeat(lineno_width));
        }
    }
    let label_width = layout.label_width;
    match instr.label {
        Some(l) => fields.push(format!("{:>label_width$}", format!("L{l}:"))),
        None => fields.push(" ".repeat(label_width)),
    }
    if layout.offset_width > 0 {
        fields.push(format!("{:>w$}  ", instr.offset, w = layout.offset_width));
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

#[cfg(test)]
mod tests {
    use super::mask_addresses;

    #[test]
    fn masking_replaces_addresses_once() {
        let text = "<code object f at 0x7f3a2c1d90b0, file \"t.py\", line 1>";
        let masked = mask_addresses(text, "ADDR");
        assert_eq!(masked, "<code object f at 0xADDR, file \"t.py\", line 1>");
        assert_eq!(mask_addresses(&masked, "ADDR"), masked);
        assert_eq!(mask_addresses("x at 0x", "X"), "x at 0x");
    }
}

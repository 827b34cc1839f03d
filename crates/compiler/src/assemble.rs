//! Laying out the optimized instructions as a code object — `Python/assemble.c`, plus the
//! fields `dis` derives (argument reprs, labels, line starts, positions, exception table).
//!
//! The steps: unconditional jump pseudo-ops get their direction, jump opargs become relative
//! offsets in code units (re-run until the `EXTENDED_ARG` prefixes stop changing), then every
//! code unit is listed with its location. The line table is not encoded: `co_lines` and
//! `co_positions` are computed directly from the locations, with the precision the encoding
//! keeps, and `dis`'s view (`Lib/dis.py`) is derived from them.

use super::flowgraph::{self, fold, OutInstr};
use super::ir::{CodeUnit, ConstCache, ConstValue, Loc};
use super::op::{Op, OpTable};
use cpyviz_model::bytecode::{
    CacheEntry, CodeObject, Const, ExceptionEntry, Instruction, Positions,
};
use cpyviz_model::error::{PyError, PyErrorKind};
use cpyviz_model::pyrepr;
use cpyviz_model::version::PyVersion;
use std::collections::{BTreeSet, HashMap};

/// Code units between a `SEND` and its `END_SEND` (`SEND`, `YIELD_VALUE`, `RESUME`,
/// `JUMP_BACKWARD_NO_INTERRUPT` with their caches); `END_ASYNC_FOR`'s oparg points at the latter.
fn end_send_offset(t: &OpTable) -> i64 {
    [
        Op::SEND,
        Op::YIELD_VALUE,
        Op::RESUME,
        Op::JUMP_BACKWARD_NO_INTERRUPT,
    ]
    .iter()
    .map(|&op| 1 + t.caches(op) as i64)
    .sum()
}

/// `dis.FUNCTION_ATTR_FLAGS`: the bits of `SET_FUNCTION_ATTRIBUTE`'s oparg.
const FUNCTION_ATTR_FLAGS: [&str; 5] = [
    "defaults",
    "kwdefaults",
    "annotations",
    "closure",
    "annotate",
];

fn err(msg: String) -> PyError {
    PyError::new(PyErrorKind::Unsupported, msg, "")
}

/// Optimizes `unit` ([`super::flowgraph`]) and assembles it into a [`CodeObject`] whose
/// instructions carry everything `dis` prints.
pub fn assemble(
    mut unit: CodeUnit,
    version: PyVersion,
    const_cache: &mut ConstCache,
) -> Result<CodeObject, PyError> {
    let t = OpTable::for_version(version);
    let opt = flowgraph::optimize(&mut unit, version, const_cache)?;
    let mut instrs = opt.instrs;
    resolve_unconditional_jumps(&mut instrs);
    let targets: Vec<Option<usize>> = instrs
        .iter()
        .map(|i| t.has_jump(i.op).then_some(i.arg as usize))
        .collect();
    let offsets = resolve_jump_offsets(t, &mut instrs, &targets);
    let code_units: u32 = instrs.iter().map(|i| instr_size(t, i.op, i.arg)).sum();

    // Exception table (offsets in code units).
    let mut exc: Vec<(u32, u32, u32, u32, bool)> = Vec::new();
    let mut cur: Option<flowgraph::Handler> = None;
    let mut start = 0u32;
    for (i, ins) in instrs.iter().enumerate() {
        let key = ins.handler.map(|h| h.target);
        if key != cur.map(|h| h.target) {
            if let Some(h) = cur {
                exc.push(entry(&offsets, &instrs, t, start, offsets[i], h));
            }
            start = offsets[i];
            cur = ins.handler;
        }
    }
    if let Some(h) = cur {
        exc.push(entry(&offsets, &instrs, t, start, code_units, h));
    }

    // Names `dis` resolves local opargs with (`co._varname_from_oparg`).
    let mut localsplus: Vec<String> = unit.varnames.clone();
    for c in &unit.cellvars {
        if !unit.varnames.contains(c) {
            localsplus.push(c.clone());
        }
    }
    localsplus.extend(unit.freevars.iter().cloned());
    let mut cellvars: Vec<String> = unit
        .varnames
        .iter()
        .filter(|v| unit.cellvars.contains(v))
        .cloned()
        .collect();
    cellvars.extend(
        unit.cellvars
            .iter()
            .filter(|c| !unit.varnames.contains(c))
            .cloned(),
    );

    let consts = opt.consts;
    let filename = unit.filename.clone();
    let ctx = ArgCtx {
        t,
        consts: &consts,
        names: &unit.names,
        localsplus: &localsplus,
        filename: &filename,
        version,
    };

    // Every code unit but the caches: (offset in units, op, shown arg, loc, jump target).
    struct Unit {
        offset: u32,
        start_offset: u32,
        op: Op,
        arg: Option<u32>,
        loc: Loc,
        target_offset: Option<u32>,
    }
    let mut units: Vec<Unit> = Vec::new();
    let mut linetable: Vec<(u32, u32, Loc)> = Vec::new();
    for (i, ins) in instrs.iter().enumerate() {
        let has_arg = t.has_arg(ins.op) || t.has_jump(ins.op);
        let n_ext = ext_count(ins.arg);
        let base = offsets[i];
        let mut shown: u32 = 0;
        for k in 0..n_ext {
            let byte = (ins.arg >> (8 * (n_ext - k))) & 0xff;
            shown = (shown << 8) | byte;
            units.push(Unit {
                offset: base + k,
                start_offset: base + k,
                op: Op::EXTENDED_ARG,
                arg: Some(shown),
                loc: ins.loc,
                target_offset: None,
            });
        }
        let off = base + n_ext;
        let target_offset = targets[i].map(|_| {
            let after = off as i64 + 1 + t.caches(ins.op) as i64;
            let rel = ins.arg as i64;
            let backward = matches!(
                ins.op,
                Op::JUMP_BACKWARD | Op::JUMP_BACKWARD_NO_INTERRUPT | Op::END_ASYNC_FOR
            );
            (if backward { after - rel } else { after + rel }).max(0) as u32
        });
        units.push(Unit {
            offset: off,
            start_offset: base,
            op: ins.op,
            arg: has_arg.then_some(ins.arg),
            loc: ins.loc,
            target_offset,
        });
        linetable.push((base, base + instr_size(t, ins.op, ins.arg), ins.loc));
    }

    // co_lines → dis.findlinestarts.
    let mut linestarts: Vec<(u32, Option<u32>)> = Vec::new();
    let mut last_line: Option<Option<u32>> = None;
    for &(s, _e, loc) in &linetable {
        let line = (loc.lineno >= 0).then_some(loc.lineno as u32);
        if last_line != Some(line) {
            linestarts.push((s * 2, line));
            last_line = Some(line);
        }
    }
    let linestart_map: HashMap<u32, Option<u32>> = linestarts.iter().copied().collect();

    // Labels: jump targets and exception-table boundaries, numbered in offset order.
    let mut label_offsets: BTreeSet<u32> = BTreeSet::new();
    for u in &units {
        if let Some(to) = u.target_offset {
            label_offsets.insert(to * 2);
        }
    }
    for &(s, e, tg, _, _) in &exc {
        label_offsets.insert(s * 2);
        label_offsets.insert(e * 2);
        label_offsets.insert(tg * 2);
    }
    let labels: HashMap<u32, u32> = label_offsets
        .iter()
        .enumerate()
        .map(|(i, &o)| (o, i as u32 + 1))
        .collect();

    let mut out_instrs = Vec::with_capacity(units.len());
    let mut line_number: Option<u32> = None;
    for u in &units {
        let offset = u.offset * 2;
        let starts_line = linestart_map.contains_key(&offset);
        if let Some(&l) = linestart_map.get(&offset) {
            line_number = l;
        }
        let opcode = t
            .number(u.op)
            .ok_or_else(|| err(format!("{} has no number in {version}", u.op.name())))?;
        if opcode >= 256 {
            return Err(err(format!(
                "pseudo instruction {} left after assembly",
                u.op.name()
            )));
        }
        let (argval, argrepr) = match u.arg {
            None => ("None".to_string(), String::new()),
            Some(arg) => ctx.describe(u.op, arg, u.target_offset.map(|o| o * 2), &labels),
        };
        let cache_info = cache_info(t, u.op);
        out_instrs.push(Instruction {
            offset,
            start_offset: u.start_offset * 2,
            opname: u.op.name().to_string(),
            opcode: opcode as u32,
            arg: u.arg,
            argval,
            argrepr,
            starts_line,
            line_number,
            label: labels.get(&offset).copied(),
            is_jump_target: labels.contains_key(&offset),
            jump_target: u.target_offset.map(|o| o * 2),
            positions: Some(positions(u.loc)),
            cache_info,
        });
    }

    let exception_table = exc
        .iter()
        .map(|&(s, e, tg, depth, lasti)| ExceptionEntry {
            start: s * 2,
            end: e * 2,
            target: tg * 2,
            depth,
            lasti,
            start_label: labels.get(&(s * 2)).copied(),
            end_label: labels.get(&(e * 2)).copied(),
            target_label: labels.get(&(tg * 2)).copied(),
        })
        .collect();

    let const_reprs = consts
        .iter()
        .map(|c| fold::const_repr(c, &filename, version))
        .collect();
    let mut n_code = 0;
    let const_values = consts.iter().map(|c| const_value(c, &mut n_code)).collect();
    // The nested code objects move into `children` (no copy: they can be big).
    let children: Vec<CodeObject> = consts
        .into_iter()
        .filter_map(|c| match c {
            ConstValue::Code(code) => {
                let mut code = *code;
                if code.repr.is_empty() {
                    code.repr = fold::code_repr(&code.name, &filename, code.firstlineno);
                }
                Some(code)
            }
            _ => None,
        })
        .collect();

    Ok(CodeObject {
        repr: fold::code_repr(&unit.name, &filename, unit.firstlineno),
        name: unit.name.clone(),
        qualname: unit.qualname.clone(),
        filename: filename.clone(),
        firstlineno: unit.firstlineno,
        flags: unit.flags,
        argcount: unit.argcount,
        posonlyargcount: unit.posonlyargcount,
        kwonlyargcount: unit.kwonlyargcount,
        nlocals: unit.varnames.len() as u32,
        stacksize: opt.stackdepth,
        code_len: code_units * 2,
        consts: const_reprs,
        const_values,
        names: unit.names.clone(),
        varnames: unit.varnames.clone(),
        cellvars,
        freevars: unit.freevars.clone(),
        linestarts,
        exception_table,
        instructions: out_instrs,
        children,
        notes: Vec::new(),
    })
}

/// A constant as the model's executable [`Const`]; `n_code` counts the code objects seen so
/// far (their index among `children`).
fn const_value(c: &ConstValue, n_code: &mut usize) -> Const {
    match c {
        ConstValue::None => Const::None,
        ConstValue::Bool(b) => Const::Bool(*b),
        ConstValue::Ellipsis => Const::Ellipsis,
        ConstValue::Int(i) => Const::Int(i.clone()),
        ConstValue::Float(f) => Const::Float(f.to_bits()),
        ConstValue::Complex { re, im } => Const::Complex(re.to_bits(), im.to_bits()),
        ConstValue::Str(s) => Const::Str(s.clone()),
        ConstValue::Bytes(b) => Const::Bytes(b.clone()),
        ConstValue::Tuple(items) => {
            Const::Tuple(items.iter().map(|i| const_value(i, n_code)).collect())
        }
        ConstValue::FrozenSet(items) => {
            Const::FrozenSet(items.iter().map(|i| const_value(i, n_code)).collect())
        }
        ConstValue::Slice(parts) => Const::Slice(Box::new([
            const_value(&parts[0], n_code),
            const_value(&parts[1], n_code),
            const_value(&parts[2], n_code),
        ])),
        ConstValue::Code(_) => {
            *n_code += 1;
            Const::Code(*n_code - 1)
        }
    }
}

fn entry(
    offsets: &[u32],
    _instrs: &[OutInstr],
    _t: &OpTable,
    start: u32,
    end: u32,
    h: flowgraph::Handler,
) -> (u32, u32, u32, u32, bool) {
    let mut depth = h.startdepth - 1;
    if h.preserve_lasti {
        depth -= 1;
    }
    let target = offsets.get(h.target).copied().unwrap_or(0);
    (start, end, target, depth.max(0) as u32, h.preserve_lasti)
}

fn ext_count(arg: u32) -> u32 {
    (arg > 0xFF) as u32 + (arg > 0xFFFF) as u32 + (arg > 0xFF_FFFF) as u32
}

/// `_PyCompile_InstrSize`: prefixes, the instruction and its inline caches, in code units.
fn instr_size(t: &OpTable, op: Op, arg: u32) -> u32 {
    ext_count(arg) + 1 + t.caches(op) as u32
}

/// `JUMP`/`JUMP_NO_INTERRUPT` become forward or backward jumps by where their target is.
fn resolve_unconditional_jumps(instrs: &mut [OutInstr]) {
    for (i, ins) in instrs.iter_mut().enumerate() {
        let forward = ins.arg as usize > i;
        match ins.op {
            Op::JUMP => {
                ins.op = if forward {
                    Op::JUMP_FORWARD
                } else {
                    Op::JUMP_BACKWARD
                }
            }
            Op::JUMP_NO_INTERRUPT => {
                ins.op = if forward {
                    Op::JUMP_FORWARD
                } else {
                    Op::JUMP_BACKWARD_NO_INTERRUPT
                }
            }
            _ => {}
        }
    }
}

/// Turns jump opargs (target instruction indices) into relative offsets; returns each
/// instruction's offset in code units (its first `EXTENDED_ARG` included).
fn resolve_jump_offsets(
    t: &OpTable,
    instrs: &mut [OutInstr],
    targets: &[Option<usize>],
) -> Vec<u32> {
    let mut offsets = vec![0u32; instrs.len()];
    loop {
        let mut total = 0;
        for (i, ins) in instrs.iter().enumerate() {
            offsets[i] = total;
            total += instr_size(t, ins.op, ins.arg);
        }
        let mut recompile = false;
        let mut offset: i64 = 0;
        for i in 0..instrs.len() {
            let size = instr_size(t, instrs[i].op, instrs[i].arg);
            offset += size as i64;
            if let Some(target) = targets[i] {
                let target_off = offsets.get(target).copied().unwrap_or(total) as i64;
                let arg = if instrs[i].op == Op::END_ASYNC_FOR {
                    offset - target_off - end_send_offset(t)
                } else if target_off < offset {
                    offset - target_off
                } else {
                    target_off - offset
                };
                instrs[i].arg = arg.max(0) as u32;
                if instr_size(t, instrs[i].op, instrs[i].arg) != size {
                    recompile = true;
                }
            }
        }
        if !recompile {
            return offsets;
        }
    }
}

/// `co_positions()` for a location, as the line table keeps it.
fn positions(loc: Loc) -> Positions {
    let some = |v: i32| (v >= 0).then_some(v as u32);
    if loc.lineno < 0 {
        return Positions::default();
    }
    let line = Some(loc.lineno as u32);
    if loc.col < 0 || loc.end_col < 0 {
        if loc.end_lineno == loc.lineno || loc.end_lineno < 0 {
            return Positions {
                lineno: line,
                end_lineno: line,
                col_offset: None,
                end_col_offset: None,
            };
        }
        return Positions {
            lineno: line,
            end_lineno: some(loc.end_lineno),
            col_offset: some(loc.col),
            end_col_offset: some(loc.end_col),
        };
    }
    Positions {
        lineno: line,
        end_lineno: some(loc.end_lineno),
        col_offset: some(loc.col),
        end_col_offset: some(loc.end_col),
    }
}

fn cache_info(t: &OpTable, op: Op) -> Vec<CacheEntry> {
    if t.caches(op) == 0 {
        return Vec::new();
    }
    t.tables
        .cache_format(op.name())
        .map(|f| {
            f.iter()
                .map(|&(name, size)| CacheEntry {
                    name: name.to_string(),
                    size: size as u32,
                    data: vec![0; size as usize * 2],
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What `dis.ArgResolver` needs to describe an argument.
struct ArgCtx<'a> {
    t: &'a OpTable,
    consts: &'a [ConstValue],
    names: &'a [String],
    localsplus: &'a [String],
    filename: &'a str,
    version: PyVersion,
}

impl ArgCtx<'_> {
    fn name(&self, i: u32) -> (String, String) {
        match self.names.get(i as usize) {
            Some(n) => (pyrepr::str_repr(n, self.version), n.clone()),
            None => (i.to_string(), String::new()),
        }
    }
    fn local(&self, i: u32) -> (String, String) {
        match self.localsplus.get(i as usize) {
            Some(n) => (pyrepr::str_repr(n, self.version), n.clone()),
            None => (i.to_string(), String::new()),
        }
    }

    /// `(repr(argval), argrepr)` as `dis` computes them.
    fn describe(
        &self,
        op: Op,
        arg: u32,
        target: Option<u32>,
        labels: &HashMap<u32, u32>,
    ) -> (String, String) {
        let info = self.t.info(op);
        let has = |f: u32| info.is_some_and(|i| i.has(f));
        use cpyviz_model::tables::flags;
        if has(flags::HAS_CONST) {
            return match self.consts.get(arg as usize) {
                Some(c) => {
                    let r = fold::const_repr(c, self.filename, self.version);
                    (r.clone(), r)
                }
                None => (arg.to_string(), String::new()),
            };
        }
        if has(flags::HAS_NAME) {
            return match op {
                Op::LOAD_GLOBAL => {
                    let (v, mut r) = self.name(arg / 2);
                    if arg & 1 != 0 && !r.is_empty() {
                        r = format!("{r} + NULL");
                    }
                    (v, r)
                }
                Op::LOAD_ATTR => {
                    let (v, mut r) = self.name(arg / 2);
                    if arg & 1 != 0 && !r.is_empty() {
                        r = format!("{r} + NULL|self");
                    }
                    (v, r)
                }
                Op::LOAD_SUPER_ATTR => {
                    let (v, mut r) = self.name(arg / 4);
                    if arg & 1 != 0 && !r.is_empty() {
                        r = format!("{r} + NULL|self");
                    }
                    (v, r)
                }
                Op::IMPORT_NAME if self.t.tables.version.profile().import_name_has_lazy_flags => {
                    // 3.15 keeps the lazy/eager import flags in the two low bits.
                    let (v, mut r) = self.name(arg / 4);
                    if arg & 1 != 0 && !r.is_empty() {
                        r = format!("{r} + lazy");
                    } else if arg & 2 != 0 && !r.is_empty() {
                        r = format!("{r} + eager");
                    }
                    (v, r)
                }
                _ => self.name(arg),
            };
        }
        if has(flags::HAS_JUMP) {
            let to = target.unwrap_or(0);
            let prep = if op == Op::END_ASYNC_FOR {
                "from"
            } else {
                "to"
            };
            let lbl = labels.get(&to).copied().unwrap_or(0);
            return (to.to_string(), format!("{prep} L{lbl}"));
        }
        match op {
            Op::LOAD_FAST_LOAD_FAST
            | Op::LOAD_FAST_BORROW_LOAD_FAST_BORROW
            | Op::STORE_FAST_LOAD_FAST
            | Op::STORE_FAST_STORE_FAST => {
                let (v1, r1) = self.local(arg >> 4);
                let (v2, r2) = self.local(arg & 15);
                return (format!("({v1}, {v2})"), format!("{r1}, {r2}"));
            }
            _ => {}
        }
        if has(flags::HAS_LOCAL) || has(flags::HAS_FREE) {
            return self.local(arg);
        }
        let plain = arg.to_string();
        match op {
            Op::COMPARE_OP => {
                let s = self
                    .t
                    .tables
                    .cmp_op
                    .get((arg >> 5) as usize)
                    .copied()
                    .unwrap_or("?");
                let r = if arg & 16 != 0 {
                    format!("bool({s})")
                } else {
                    s.to_string()
                };
                (pyrepr::str_repr(s, self.version), r)
            }
            Op::CONVERT_VALUE => {
                let (v, r) = match arg {
                    1 => ("<class 'str'>", "str"),
                    2 => ("<built-in function repr>", "repr"),
                    3 => ("<built-in function ascii>", "ascii"),
                    _ => ("None", ""),
                };
                (v.to_string(), r.to_string())
            }
            Op::SET_FUNCTION_ATTRIBUTE => {
                let r: Vec<&str> = FUNCTION_ATTR_FLAGS
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| arg & (1 << i) != 0)
                    .map(|(_, s)| *s)
                    .collect();
                (plain, r.join(", "))
            }
            Op::BINARY_OP => {
                let r = self
                    .t
                    .tables
                    .nb_ops
                    .get(arg as usize)
                    .map_or("", |(_, s)| *s);
                (plain, r.to_string())
            }
            Op::CALL_INTRINSIC_1 => {
                let r = self.t.tables.intrinsic1.get(arg as usize).copied();
                (plain, r.unwrap_or("").to_string())
            }
            Op::CALL_INTRINSIC_2 => {
                let r = self.t.tables.intrinsic2.get(arg as usize).copied();
                (plain, r.unwrap_or("").to_string())
            }
            Op::LOAD_COMMON_CONSTANT => {
                let name = self
                    .t
                    .tables
                    .common_constants
                    .get(arg as usize)
                    .copied()
                    .unwrap_or("");
                let r = match name {
                    "all" | "any" => format!("<built-in function {name}>"),
                    other => other.to_string(),
                };
                (plain, r)
            }
            Op::LOAD_SPECIAL => {
                let r = self
                    .t
                    .tables
                    .special_method_names
                    .get(arg as usize)
                    .copied();
                (plain, r.unwrap_or("").to_string())
            }
            Op::IS_OP => (plain, if arg != 0 { "is not" } else { "is" }.to_string()),
            Op::CONTAINS_OP => (plain, if arg != 0 { "not in" } else { "in" }.to_string()),
            _ => (plain, String::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture;

    /// The source path a fixture name stands for (`corpus__06_closures` →
    /// `tests/corpus/06_closures.py`).
    fn source_path(name: &str) -> String {
        let (dir, file) = name.split_once("__").unwrap_or(("", name));
        match dir {
            "samples" => format!("samples/{file}.py"),
            d => format!("tests/{d}/{file}.py"),
        }
    }

    fn mask(s: &str) -> String {
        cpyviz_model::dis::mask_addresses(s, "ADDR")
    }

    fn module_part(s: &str) -> &str {
        match s.find("\nDisassembly of") {
            Some(p) => &s[..p + 1],
            None => s,
        }
    }

    /// Assembles every fixture's module unit and compares its `dis` with the golden; returns
    /// (matches, total, names of the files that differ).
    fn compare_version(version: PyVersion) -> (usize, usize, Vec<String>) {
        let (major, minor) = version.profile().version_info;
        let golden_dir = crate::repo_root().join(format!("tests/golden/{version}/bytecode"));
        let mut ok = 0;
        let mut total = 0;
        let mut bad = Vec::new();
        for (name, unit) in fixture::all(version) {
            let Ok(golden) = std::fs::read_to_string(golden_dir.join(format!("{name}.txt"))) else {
                continue;
            };
            let golden = golden.split_once('\n').map_or("", |(_, r)| r);
            total += 1;
            let code = unit.to_code_unit(version, &source_path(&name));
            let ours = match assemble(code, version, &mut ConstCache::default()) {
                Ok(co) => cpyviz_model::dis::dis(&co, (major, minor)),
                Err(e) => format!("error: {}", e.msg),
            };
            let ours = mask(module_part(&ours));
            let want = mask(module_part(golden));
            if ours == want {
                ok += 1;
            } else {
                if std::env::var("FLOWGRAPH_DIFF").is_ok_and(|v| v == name) {
                    eprintln!("--- ours\n{ours}\n--- golden\n{want}");
                }
                bad.push(name);
            }
        }
        (ok, total, bad)
    }

    /// Nested units carry no codegen constants; their final `co_consts` stand in (right as
    /// long as codegen's list only differs by entries the optimizer drops at the end or
    /// leaves unreferenced). Compares each nested code object's own `dis` section.
    fn compare_nested(version: PyVersion) -> (usize, usize, Vec<String>) {
        let golden_dir = crate::repo_root().join(format!("tests/golden/{version}/bytecode"));
        let (mut ok, mut total, mut bad) = (0, 0, Vec::new());
        for (name, module) in fixture::all(version) {
            let Ok(golden) = std::fs::read_to_string(golden_dir.join(format!("{name}.txt"))) else {
                continue;
            };
            let golden = mask(&golden);
            let mut sections: Vec<(String, String, bool)> = golden
                .split("\nDisassembly of ")
                .skip(1)
                .filter_map(|sec| {
                    let (head, body) = sec.split_once(":\n")?;
                    Some((head.to_string(), body.trim_end().to_string(), false))
                })
                .collect();
            let path = source_path(&name);
            let mut stack: Vec<&fixture::FixtureUnit> = module.nested.iter().collect();
            while let Some(unit) = stack.pop() {
                stack.extend(unit.nested.iter());
                let mut code = unit.to_code_unit(version, &path);
                code.consts = unit.code["consts"]
                    .as_array()
                    .map(|cs| cs.iter().map(fixture::parse_const).collect())
                    .unwrap_or_default();
                let head = mask(&fold::code_repr(&unit.name, &path, unit.firstlineno));
                let Some(sec) = sections.iter_mut().find(|s| s.0 == head && !s.2) else {
                    continue;
                };
                sec.2 = true;
                total += 1;
                let ours = match assemble(code, version, &mut ConstCache::default()) {
                    Ok(co) => {
                        let mut out = String::new();
                        cpyviz_model::dis::disassemble(&co, &co.instructions, &mut out);
                        mask(&out)
                    }
                    Err(e) => format!("error: {}", e.msg),
                };
                if ours.trim_end() == sec.1 {
                    ok += 1;
                } else {
                    if let Ok(dir) = std::env::var("FLOWGRAPH_DUMP") {
                        let f = format!("{dir}/{version}_{name}_{}", unit.qualname);
                        let _ = std::fs::write(format!("{f}.ours"), &ours);
                        let _ = std::fs::write(format!("{f}.golden"), &sec.1);
                    }
                    bad.push(format!("{name}:{}", unit.qualname));
                }
            }
        }
        (ok, total, bad)
    }

    /// The units `tests/codegen/assemble-known-differences.txt` lists for `version` and `kind`.
    fn known_differences(version: PyVersion, kind: &str) -> Vec<String> {
        let path = crate::repo_root().join("tests/codegen/assemble-known-differences.txt");
        let text = std::fs::read_to_string(&path).unwrap();
        let mut names: Vec<String> = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let mut parts = l.splitn(3, ' ');
                let (v, k, name) = (parts.next()?, parts.next()?, parts.next()?);
                (v == version.label() && k == kind).then(|| name.to_string())
            })
            .collect();
        names.sort();
        names
    }

    /// Exactly the listed units differ: a regression fails, and so does a unit that now
    /// matches but is still listed.
    fn assert_known(version: PyVersion, kind: &str, ok: usize, total: usize, mut bad: Vec<String>) {
        bad.sort();
        let known = known_differences(version, kind);
        let new: Vec<&String> = bad.iter().filter(|b| !known.contains(b)).collect();
        let fixed: Vec<&String> = known.iter().filter(|k| !bad.contains(k)).collect();
        assert!(
            new.is_empty() && fixed.is_empty(),
            "{version} {kind}: {ok}/{total} match; differ but not listed: {new:?}; listed but \
             now match (remove them from tests/codegen/assemble-known-differences.txt): {fixed:?}"
        );
        assert_eq!(ok + bad.len(), total);
    }

    #[test]
    fn nested_units_match_cpython_dis() {
        for version in PyVersion::ALL {
            let (ok, total, bad) = compare_nested(version);
            assert!(total > 200, "{version}: only {total} nested units found");
            assert_known(version, "nested", ok, total, bad);
        }
    }

    #[test]
    fn module_units_match_cpython_dis() {
        for version in PyVersion::ALL {
            let (ok, total, bad) = compare_version(version);
            assert!(total > 80, "{version}: only {total} module units found");
            assert_known(version, "module", ok, total, bad);
        }
    }

    use crate::ir::{InstrSeq, Label};

    fn int(i: i64) -> ConstValue {
        ConstValue::Int(i.into())
    }

    /// A code unit from `(op, arg, line, col, end_col)` rows; jump args are label ids placed
    /// with `Op::NOP` rows whose arg is `u32::MAX - label` (stripped).
    fn build(rows: &[(Op, u32, i32, i32, i32)], labels: usize) -> InstrSeq {
        let mut seq = InstrSeq::default();
        let ls: Vec<Label> = (0..labels).map(|_| seq.new_label()).collect();
        for &(op, arg, line, col, end) in rows {
            if op == Op::NOP && arg >= u32::MAX - 100 {
                seq.use_label(ls[(u32::MAX - arg) as usize]);
                continue;
            }
            let loc = if line < 0 {
                Loc::NONE
            } else {
                Loc::new(line, line, col, end)
            };
            seq.push(op, arg, loc);
        }
        seq
    }

    fn listing(co: &CodeObject) -> String {
        let mut out = String::new();
        cpyviz_model::dis::disassemble(co, &co.instructions, &mut out);
        out
    }

    /// `x = 1 + 2` / `y = ("a" * 3, -5)`: binop, unary and tuple folding in the CFG, small
    /// ints, and the unused constants dropped (index 0 kept) — as CPython 3.14 prints it.
    #[test]
    fn folds_constants_like_cpython() {
        use Op::*;
        let seq = build(
            &[
                (RESUME, 0, 0, 0, 0),
                (LOAD_CONST, 0, 1, 4, 5),
                (LOAD_CONST, 1, 1, 8, 9),
                (BINARY_OP, 0, 1, 4, 9),
                (STORE_NAME, 0, 1, 0, 1),
                (LOAD_CONST, 2, 2, 5, 8),
                (LOAD_CONST, 3, 2, 11, 12),
                (BINARY_OP, 5, 2, 5, 12),
                (LOAD_CONST, 4, 2, 15, 16),
                (UNARY_NEGATIVE, 0, 2, 14, 16),
                (BUILD_TUPLE, 2, 2, 4, 17),
                (STORE_NAME, 1, 2, 0, 1),
                (LOAD_CONST, 5, -1, 0, 0),
                (RETURN_VALUE, 0, -1, 0, 0),
            ],
            0,
        );
        let unit = CodeUnit {
            name: "<module>".into(),
            qualname: "<module>".into(),
            filename: "f1.py".into(),
            firstlineno: 1,
            consts: vec![
                int(1),
                int(2),
                ConstValue::Str("a".into()),
                int(3),
                int(5),
                ConstValue::None,
            ],
            names: vec!["x".into(), "y".into()],
            seq,
            ..Default::default()
        };
        let co = assemble(unit, PyVersion::V3_14, &mut ConstCache::default()).unwrap();
        let want = "  0           RESUME                   0

  1           LOAD_SMALL_INT           3
              STORE_NAME               0 (x)

  2           LOAD_CONST               2 (('aaa', -5))
              STORE_NAME               1 (y)
              LOAD_CONST               1 (None)
              RETURN_VALUE
";
        assert_eq!(listing(&co), want);
        assert_eq!(co.consts, ["1", "None", "('aaa', -5)"]);
    }

    /// `def f(a): if a: b = 1` / `return b + a`: a local that may be unbound gets
    /// LOAD_FAST_CHECK, the others LOAD_FAST_BORROW; the conditional jump gets NOT_TAKEN.
    #[test]
    fn function_locals_checks_and_borrows() {
        use Op::*;
        let seq = build(
            &[
                (RESUME, 0, 1, 0, 0),
                (LOAD_FAST, 0, 2, 7, 8),
                (TO_BOOL, 0, 2, 7, 8),
                (POP_JUMP_IF_FALSE, 0, 2, 7, 8),
                (LOAD_CONST, 0, 3, 12, 13),
                (STORE_FAST, 1, 3, 8, 9),
                (NOP, u32::MAX, 0, 0, 0),
                (LOAD_FAST, 1, 4, 11, 12),
                (LOAD_FAST, 0, 4, 15, 16),
                (BINARY_OP, 0, 4, 11, 16),
                (RETURN_VALUE, 0, 4, 4, 16),
            ],
            1,
        );
        let unit = CodeUnit {
            name: "f".into(),
            qualname: "f".into(),
            filename: "f2.py".into(),
            firstlineno: 1,
            flags: 3,
            argcount: 1,
            consts: vec![int(1)],
            varnames: vec!["a".into(), "b".into()],
            seq,
            ..Default::default()
        };
        let co = assemble(unit, PyVersion::V3_14, &mut ConstCache::default()).unwrap();
        let want = "  1           RESUME                   0

  2           LOAD_FAST_BORROW         0 (a)
              TO_BOOL
              POP_JUMP_IF_FALSE        3 (to L1)
              NOT_TAKEN

  3           LOAD_SMALL_INT           1
              STORE_FAST               1 (b)

  4   L1:     LOAD_FAST_CHECK          1 (b)
              LOAD_FAST_BORROW         0 (a)
              BINARY_OP                0 (+)
              RETURN_VALUE
";
        assert_eq!(listing(&co), want);
        assert_eq!(co.nlocals, 2);
    }

    /// A forward jump over more than 255 code units needs an EXTENDED_ARG prefix; the offsets
    /// and the jump target stay consistent.
    #[test]
    fn long_jumps_get_extended_args() {
        use Op::*;
        let mut rows = vec![
            (RESUME, 0, 1, 0, 0),
            (LOAD_NAME, 0, 1, 3, 4),
            (TO_BOOL, 0, 1, 3, 4),
            (POP_JUMP_IF_FALSE, 0, 1, 3, 4),
        ];
        for _ in 0..200 {
            rows.push((LOAD_NAME, 1, 2, 4, 5));
            rows.push((STORE_NAME, 2, 2, 0, 1));
        }
        rows.push((NOP, u32::MAX, 0, 0, 0));
        rows.push((LOAD_CONST, 0, -1, 0, 0));
        rows.push((RETURN_VALUE, 0, -1, 0, 0));
        let unit = CodeUnit {
            name: "<module>".into(),
            qualname: "<module>".into(),
            filename: "t.py".into(),
            firstlineno: 1,
            consts: vec![ConstValue::None],
            names: vec!["a".into(), "b".into(), "c".into()],
            seq: build(&rows, 1),
            ..Default::default()
        };
        let co = assemble(unit, PyVersion::V3_14, &mut ConstCache::default()).unwrap();
        let ext = co
            .instructions
            .iter()
            .position(|i| i.opname == "EXTENDED_ARG")
            .expect("an EXTENDED_ARG");
        let jump = &co.instructions[ext + 1];
        assert_eq!(jump.opname, "POP_JUMP_IF_FALSE");
        assert_eq!(jump.start_offset, co.instructions[ext].offset);
        let arg = jump.arg.unwrap();
        assert!(arg > 255);
        assert_eq!(co.instructions[ext].arg, Some(arg >> 8));
        let target = jump.jump_target.unwrap();
        assert_eq!(target, jump.offset + 2 + 2 * (arg + 1));
        let landing = co.instructions.iter().find(|i| i.offset == target).unwrap();
        assert_eq!(landing.opname, "LOAD_CONST");
        assert_eq!(landing.label, Some(1));
        assert_eq!(jump.argrepr, "to L1");
    }
}

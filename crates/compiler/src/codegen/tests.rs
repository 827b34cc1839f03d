//! Codegen compared with CPython's own codegen output (`tests/codegen/`), unit by unit and
//! instruction by instruction: opcode, oparg (jump targets as instruction indices) and location.

use super::{codegen_module, FinishedUnit};
use crate::fixture::{self, FixtureUnit};
use crate::op::{Op, OpTable};
use crate::symtable::SymbolTable;
use cpyviz_model::source::Source;
use cpyviz_model::version::PyVersion;
use cpyviz_syntax::ast;

/// `samples__abs` → `samples/abs.py`, `corpus__06_closures` → `tests/corpus/06_closures.py`.
pub fn source_path(name: &str) -> String {
    let (dir, file) = name.split_once("__").unwrap_or(("", name));
    match dir {
        "samples" => format!("samples/{file}.py"),
        other => format!("tests/{other}/{file}.py"),
    }
}

/// Our codegen for one fixture file: `Ok(None)` when it matches, `Ok(Some(diff))` when it
/// differs, `Err(msg)` when our pipeline refused the file.
pub fn compare_file(
    name: &str,
    expected: &FixtureUnit,
    version: PyVersion,
) -> Result<Option<String>, String> {
    let path = source_path(name);
    let root = crate::repo_root();
    let bytes = std::fs::read(root.join(&path)).map_err(|e| format!("{path}: {e}"))?;
    let src = Source::decode(path.clone(), &bytes).map_err(|e| format!("{e:?}"))?;
    let tree = ast::parse(&src, version).map_err(|e| e.render())?;
    let table = SymbolTable::build(&tree, &src, version).map_err(|e| e.render())?;
    let ours = codegen_module(&tree, &table, &src, version).map_err(|e| e.render())?;
    let ops = OpTable::for_version(version);
    Ok(compare_unit(ops, &ours, expected, "<module>"))
}

fn compare_unit(
    ops: &OpTable,
    ours: &FinishedUnit,
    expected: &FixtureUnit,
    path: &str,
) -> Option<String> {
    let seq = &ours.unit.seq;
    let mine: Vec<(Op, Option<u32>, [i32; 4])> = seq
        .instrs
        .iter()
        .map(|i| {
            let is_target = ops.has_jump(i.op)
                || matches!(i.op, Op::SETUP_FINALLY | Op::SETUP_CLEANUP | Op::SETUP_WITH);
            let arg = if is_target {
                seq.target(i.arg).map(|t| t as u32)
            } else {
                Some(i.arg)
            };
            (
                i.op,
                arg,
                [i.loc.lineno, i.loc.end_lineno, i.loc.col, i.loc.end_col],
            )
        })
        .collect();
    let theirs: Vec<(Op, Option<u32>, [i32; 4])> = expected
        .instrs
        .iter()
        .map(|(op, arg, l)| (*op, *arg, [l.lineno, l.end_lineno, l.col, l.end_col]))
        .collect();
    let n = mine.len().max(theirs.len());
    for k in 0..n {
        let a = mine.get(k);
        let b = theirs.get(k);
        let same = match (a, b) {
            (Some(a), Some(b)) => a.0 == b.0 && (b.1.is_none() || a.1 == b.1) && a.2 == b.2,
            _ => false,
        };
        if !same {
            let show = |x: Option<&(Op, Option<u32>, [i32; 4])>| match x {
                Some((op, arg, l)) => format!("{} {:?} {:?}", op.name(), arg, l),
                None => "(end)".to_string(),
            };
            let ctx: Vec<String> = (k.saturating_sub(3)..k)
                .filter_map(|j| theirs.get(j))
                .map(|x| format!("      {}", show(Some(x))))
                .collect();
            return Some(format!(
                "{path} ({}) instruction {k}:\n{}\n    ours:    {}\n    CPython: {}",
                ours.unit.qualname,
                ctx.join("\n"),
                show(a),
                show(b)
            ));
        }
    }
    if ours.children.len() != expected.nested.len() {
        return Some(format!(
            "{path}: {} nested code units, CPython has {}",
            ours.children.len(),
            expected.nested.len()
        ));
    }
    for (i, (a, b)) in ours.children.iter().zip(&expected.nested).enumerate() {
        if let Some(d) = compare_unit(ops, a, b, &format!("{path}/{i}")) {
            return Some(d);
        }
    }
    None
}

/// Runs every fixture of `version`; returns (matching names, report lines).
pub fn run_all(version: PyVersion) -> (Vec<String>, Vec<String>) {
    let only = std::env::var("CODEGEN_FILE").ok();
    let mut ok = Vec::new();
    let mut report = Vec::new();
    for (name, unit) in fixture::all(version) {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        match compare_file(&name, &unit, version) {
            Ok(None) => ok.push(name),
            Ok(Some(diff)) => report.push(format!("DIFF {name}: {diff}")),
            Err(e) => report.push(format!(
                "REFUSED {name}: {}",
                e.lines().last().unwrap_or("")
            )),
        }
    }
    (ok, report)
}

#[test]
fn codegen_matches_cpython_on_the_corpus() {
    for version in PyVersion::ALL {
        let total = fixture::all(version).len();
        let (ok, report) = run_all(version);
        assert!(
            total >= 120,
            "{version}: only {total} codegen fixtures found"
        );
        assert!(
            report.is_empty() && ok.len() == total,
            "{version}: {} of {total} fixtures match CPython's codegen:\n{}",
            ok.len(),
            report.join("\n")
        );
    }
}

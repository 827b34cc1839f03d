//! Test support: CPython's own codegen output (`tests/codegen/<version>/<name>.json`, recorded by
//! `scripts/record-codegen`) loaded as [`CodeUnit`]s.
//!
//! The sequences hold jump and `SETUP_*` opargs as *instruction indices* (CPython applies its
//! label map before exposing them); [`FixtureUnit::to_code_unit`] turns them back into labels
//! so the flow graph sees the same form codegen produces.

use super::ir::{CodeUnit, ConstValue, InstrSeq, Loc};
use super::op::{Op, OpTable};
use cpyviz_model::version::PyVersion;
use num_bigint::BigInt;
use serde_json::Value;
use std::path::PathBuf;

/// One code unit of a fixture.
#[derive(Clone, Debug)]
pub struct FixtureUnit {
    pub name: String,
    pub qualname: String,
    pub firstlineno: u32,
    /// `(op, oparg, loc)`; jump opargs are instruction indices.
    pub instrs: Vec<(Op, Option<u32>, Loc)>,
    /// Codegen's constants: known for the module only.
    pub consts: Option<Vec<ConstValue>>,
    /// The final code object's fields (`flags`, `names`, `varnames`, ...), as JSON.
    pub code: Value,
    pub nested: Vec<FixtureUnit>,
}

/// The repository's `tests/codegen` directory.
pub fn dir() -> PathBuf {
    crate::repo_root().join("tests/codegen")
}

/// Every fixture of `version`: (name, module unit), sorted by name.
pub fn all(version: PyVersion) -> Vec<(String, FixtureUnit)> {
    let dir = dir().join(version.to_string());
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path).unwrap();
        let json: Value = serde_json::from_str(&text).unwrap();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        out.push((name, parse_unit(&json["module"])));
    }
    out
}

fn parse_unit(v: &Value) -> FixtureUnit {
    let instrs = v["instrs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let name = i[0].as_str().unwrap();
            let op = Op::from_name(name).unwrap_or_else(|| panic!("unknown op {name}"));
            let int = |k: usize| i[k].as_i64().unwrap() as i32;
            (
                op,
                i[1].as_u64().map(|a| a as u32),
                Loc::new(int(2), int(3), int(4), int(5)),
            )
        })
        .collect();
    FixtureUnit {
        name: v["name"].as_str().unwrap_or("").to_string(),
        qualname: v["qualname"].as_str().unwrap_or("").to_string(),
        firstlineno: v["firstlineno"].as_u64().unwrap_or(0) as u32,
        instrs,
        consts: v["consts"]
            .as_array()
            .map(|cs| cs.iter().map(parse_const).collect()),
        code: v["code"].clone(),
        nested: v["nested"]
            .as_array()
            .map(|n| n.iter().map(parse_unit).collect())
            .unwrap_or_default(),
    }
}

/// A constant of the fixture format (see `scripts/codegen_probe.py`). Code objects become
/// empty placeholders named after the original.
pub fn parse_const(v: &Value) -> ConstValue {
    let float = |s: &Value| -> f64 {
        let s = s.as_str().unwrap();
        s.parse().unwrap_or_else(|_| panic!("bad float {s}"))
    };
    let list =
        |v: &Value| -> Vec<ConstValue> { v.as_array().unwrap().iter().map(parse_const).collect() };
    match v["t"].as_str().unwrap() {
        "none" => ConstValue::None,
        "ellipsis" => ConstValue::Ellipsis,
        "bool" => ConstValue::Bool(v["v"].as_bool().unwrap()),
        "int" => ConstValue::Int(v["v"].as_str().unwrap().parse::<BigInt>().unwrap()),
        "float" => ConstValue::Float(float(&v["v"])),
        "complex" => ConstValue::Complex {
            re: float(&v["re"]),
            im: float(&v["im"]),
        },
        "str" => ConstValue::Str(v["v"].as_str().unwrap().into()),
        "bytes" => ConstValue::Bytes(
            v["v"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b.as_u64().unwrap() as u8)
                .collect(),
        ),
        "tuple" => ConstValue::Tuple(list(&v["v"])),
        "frozenset" => ConstValue::FrozenSet(list(&v["v"])),
        "slice" => {
            let parts = list(&v["v"]);
            ConstValue::Slice(Box::new([
                parts[0].clone(),
                parts[1].clone(),
                parts[2].clone(),
            ]))
        }
        "code" => ConstValue::Code(Box::new(cpyviz_model::bytecode::CodeObject {
            name: v["name"].as_str().unwrap_or("").to_string(),
            firstlineno: v["firstlineno"].as_u64().unwrap_or(0) as u32,
            ..Default::default()
        })),
        other => panic!("unknown constant type {other}"),
    }
}

impl FixtureUnit {
    /// The unit as codegen would hand it over: jump opargs turned back into label ids (one
    /// label per distinct target, numbered in order of first appearance), metadata from the
    /// final code object, constants from the fixture (or `consts` if the fixture has none).
    pub fn to_code_unit(&self, version: PyVersion, filename: &str) -> CodeUnit {
        let table = OpTable::for_version(version);
        let mut seq = InstrSeq::default();
        let mut label_of: std::collections::HashMap<u32, u32> = Default::default();
        let mut instrs = Vec::new();
        for &(op, arg, loc) in &self.instrs {
            let is_target = table.has_jump(op)
                || matches!(op, Op::SETUP_FINALLY | Op::SETUP_CLEANUP | Op::SETUP_WITH);
            let arg = match (arg, is_target) {
                (Some(index), true) => *label_of.entry(index).or_insert_with(|| {
                    let l = seq.new_label();
                    seq.label_map[l.0 as usize] = Some(index as usize);
                    l.0
                }),
                (a, _) => a.unwrap_or(0),
            };
            instrs.push(super::ir::Instr { op, arg, loc });
        }
        seq.instrs = instrs;
        let strs = |k: &str| -> Vec<String> {
            self.code[k]
                .as_array()
                .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
                .unwrap_or_default()
        };
        let num = |k: &str| self.code[k].as_u64().unwrap_or(0) as u32;
        CodeUnit {
            name: self.name.clone(),
            qualname: self.qualname.clone(),
            filename: filename.to_string(),
            firstlineno: self.firstlineno,
            flags: num("flags"),
            argcount: num("argcount"),
            posonlyargcount: num("posonlyargcount"),
            kwonlyargcount: num("kwonlyargcount"),
            consts: self.consts.clone().unwrap_or_default(),
            names: strs("names"),
            varnames: strs("varnames"),
            cellvars: strs("cellvars"),
            freevars: strs("freevars"),
            nparams: None,
            fasthidden: Vec::new(),
            seq,
        }
    }
}

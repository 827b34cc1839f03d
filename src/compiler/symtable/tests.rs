//! The built-in symbol table against CPython's (`tests/symtable/<version>/*.json`, recorded by
//! `scripts/record-symtable` from the `symtable` module and the compiled code objects).

use super::*;
use crate::pipeline::ast;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// `samples__abs` → `samples/abs.py`, `corpus__01_x` → `tests/corpus/01_x.py`.
fn source_of(name: &str) -> PathBuf {
    let rel = name.replace("__", "/");
    let rel = if rel.starts_with("samples/") {
        rel
    } else {
        format!("tests/{rel}")
    };
    root().join(format!("{rel}.py"))
}

fn type_code(k: BlockType) -> i64 {
    match k {
        BlockType::Function => 0,
        BlockType::Class => 1,
        BlockType::Module => 2,
        BlockType::Annotation => 3,
        BlockType::TypeAlias => 4,
        BlockType::TypeParameters => 5,
        BlockType::TypeVariable => 6,
    }
}

fn scope_code(s: NameScope) -> u64 {
    match s {
        NameScope::Local => 1,
        NameScope::GlobalExplicit => 2,
        NameScope::GlobalImplicit => 3,
        NameScope::Free => 4,
        NameScope::Cell => 5,
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|s| s.as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The `co_flags` bits the table decides.
const FLAG_MASK: u64 = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20 | 0x80 | 0x200 | 0x400_0000 | 0x800_0000;

/// Compares scope `id` with the fixture table `t`; differences go to `diffs`.
fn compare(table: &SymbolTable, id: ScopeId, t: &Value, path: &str, diffs: &mut Vec<String>) {
    let s = table.scope(id);
    let here = format!("{path}/{}", s.name);
    let mut check = |what: &str, ours: String, theirs: String| {
        if ours != theirs {
            diffs.push(format!("{here}: {what}: ours {ours}, CPython {theirs}"));
        }
    };
    check(
        "name",
        s.name.clone(),
        t["name"].as_str().unwrap_or("").into(),
    );
    check("type", type_code(s.kind).to_string(), t["type"].to_string());
    check("lineno", s.lineno.to_string(), t["lineno"].to_string());
    check(
        "nested",
        (s.nested as u8).to_string(),
        t["nested"].to_string(),
    );
    check(
        "varnames",
        format!("{:?}", s.varnames),
        format!("{:?}", strings(&t["varnames"])),
    );
    let mut ours: Vec<(String, u64)> = s
        .symbols
        .iter()
        .map(|(n, sym)| (n.clone(), sym.flags as u64 | scope_code(sym.scope) << 12))
        .collect();
    let mut theirs: Vec<(String, u64)> = t["symbols"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap_or("").to_string(),
                        p[1].as_u64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    ours.sort();
    theirs.sort();
    check("symbols", format!("{ours:?}"), format!("{theirs:?}"));

    let co = &t["code"];
    if co.is_object() {
        let rename = |n: &String| {
            if n == ".format" && s.kind == BlockType::Annotation {
                "format".to_string()
            } else {
                n.clone()
            }
        };
        let varnames: Vec<String> = s.varnames.iter().map(rename).collect();
        let co_varnames = strings(&co["varnames"]);
        let prefix: Vec<String> = co_varnames.iter().take(varnames.len()).cloned().collect();
        check(
            "co_varnames prefix",
            format!("{varnames:?}"),
            format!("{prefix:?}"),
        );
        let cells = s.cellvars();
        let mut co_cells: Vec<String> = s
            .varnames
            .iter()
            .filter(|v| cells.contains(v))
            .cloned()
            .collect();
        co_cells.extend(cells.iter().filter(|c| !s.varnames.contains(c)).cloned());
        check(
            "co_cellvars",
            format!("{co_cells:?}"),
            format!("{:?}", strings(&co["cellvars"])),
        );
        check(
            "co_freevars",
            format!("{:?}", s.freevars()),
            format!("{:?}", strings(&co["freevars"])),
        );
        check(
            "co_flags",
            format!("{:#x}", s.code_flags()),
            format!("{:#x}", co["flags"].as_u64().unwrap_or(0) & FLAG_MASK),
        );
    }

    let kids = t["children"].as_array().cloned().unwrap_or_default();
    if kids.len() != s.children.len() {
        let ours: Vec<&str> = s
            .children
            .iter()
            .map(|&c| table.scope(c).name.as_str())
            .collect();
        let theirs: Vec<&str> = kids
            .iter()
            .map(|k| k["name"].as_str().unwrap_or(""))
            .collect();
        diffs.push(format!(
            "{here}: children: ours {ours:?}, CPython {theirs:?}"
        ));
        return;
    }
    for (&c, k) in s.children.iter().zip(&kids) {
        compare(table, c, k, &here, diffs);
    }
}

fn check_version(version: PyVersion) {
    let dir = root().join("tests/symtable").join(version.to_string());
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    entries.sort();
    assert!(entries.len() > 50, "too few fixtures in {}", dir.display());
    let mut failed = Vec::new();
    for path in &entries {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let json: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let src_path = source_of(&name);
        let bytes =
            std::fs::read(&src_path).unwrap_or_else(|e| panic!("{}: {e}", src_path.display()));
        let rel = src_path
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let src = Source::decode(rel, &bytes).unwrap();
        let module = ast::parse(&src, version).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let mut diffs = Vec::new();
        match SymbolTable::build(&module, &src, version) {
            Ok(table) => compare(&table, table.top(), &json["table"], "", &mut diffs),
            Err(e) => diffs.push(format!("error {}", e.render())),
        }
        if !diffs.is_empty() {
            failed.push(format!("{name}:\n  {}", diffs.join("\n  ")));
        }
    }
    let ok = entries.len() - failed.len();
    eprintln!("symtable {version}: {ok}/{} fixtures match", entries.len());
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn matches_cpython_3_14() {
    check_version(PyVersion::V3_14);
}

#[test]
fn matches_cpython_3_15() {
    check_version(PyVersion::V3_15);
}

#[test]
fn mangling() {
    assert_eq!(mangle(Some("Ham"), "__spam"), "_Ham__spam");
    assert_eq!(mangle(Some("_Ham"), "__spam"), "_Ham__spam");
    assert_eq!(mangle(Some("Ham"), "__spam__"), "__spam__");
    assert_eq!(mangle(Some("___"), "__spam"), "__spam");
    assert_eq!(mangle(Some("Ham"), "__a.b"), "__a.b");
    assert_eq!(mangle(None, "__spam"), "__spam");
}

#[test]
#[ignore]
fn debug_dump() {
    let text = std::env::var("SYMTABLE_SRC").unwrap_or_default();
    let src = Source::from_text("<dbg>", text);
    let module = ast::parse(&src, PyVersion::V3_14).unwrap();
    let t = SymbolTable::build(&module, &src, PyVersion::V3_14).unwrap();
    for (i, s) in t.scopes.iter().enumerate() {
        eprintln!(
            "{i} {} {:?} inl={} kids={:?} {:?}",
            s.name, s.kind, s.comp_inlined, s.children, s.symbols
        );
    }
}

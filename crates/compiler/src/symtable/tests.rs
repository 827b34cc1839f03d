//! The built-in symbol table against CPython's (`tests/symtable/<version>/*.json`, recorded by
//! `scripts/record-symtable` from the `symtable` module and the compiled code objects).

use super::*;
use cpyviz_model::error::PyErrorKind;
use cpyviz_syntax::ast;
use serde_json::Value;
use std::path::PathBuf;

fn root() -> PathBuf {
    crate::repo_root().to_path_buf()
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
        let built = SymbolTable::build(&module, &src, version);
        match (&built, json.get("error")) {
            (Ok(table), None) => compare(table, table.top(), &json["table"], "", &mut diffs),
            (Err(e), None) => diffs.push(format!("error {}", e.render())),
            (Ok(_), Some(want)) => diffs.push(format!("no error; CPython: {want}")),
            (Err(e), Some(want)) => {
                let ours = serde_json::json!({
                    "msg": e.msg,
                    "lineno": e.lineno,
                    "offset": e.offset,
                    "end_lineno": e.end_lineno,
                    "end_offset": e.end_offset,
                });
                if e.kind != PyErrorKind::SyntaxError || &ours != want {
                    diffs.push(format!("error: ours {ours}, CPython {want}"));
                }
            }
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

/// Private names are stored mangled; a generic class's type-parameter scope mangles only its
/// type parameters (`__Mangled[__T]` in tests/symtable/cases/tricky.py).
#[test]
fn scope_mangling() {
    let src = Source::from_text(
        "<t>",
        "class __K[__T]:\n    def __m(self, __a: __T): return __b\n",
    );
    let module = ast::parse(&src, PyVersion::V3_14).unwrap();
    let t = SymbolTable::build(&module, &src, PyVersion::V3_14).unwrap();
    let class_def = ast::Module::cast(&module).unwrap().body().first().unwrap();
    let tp = t.scope(t.type_params_scope(class_def).unwrap());
    assert_eq!(tp.mangled_names.as_deref(), Some(&["__T".to_string()][..]));
    assert_eq!(tp.mangle("__T"), "_K__T");
    assert_eq!(tp.mangle("__other"), "__other");
    let class = t.scope(t.scope_of(class_def).unwrap());
    assert!(class.symbol("_K__m").is_some());
    let method = t.scope(class.children[class.children.len() - 1]);
    assert_eq!(method.varnames, ["self", "_K__a"]);
    assert_eq!(method.get_scope("_K__b"), Some(NameScope::GlobalImplicit));
    assert_eq!(method.mangle("__b"), "_K__b");
}

/// The keys codegen looks scopes up by (see the module doc).
#[test]
fn scope_keys() {
    let text = "\
x: int = 1
def f(a: int, d=lambda: 0) -> int:
    return [i for i in a], (j for j in a)
class C[T: int]:
    y: T
type A[U] = U
";
    let src = Source::from_text("<t>", text);
    let module = ast::parse(&src, PyVersion::V3_14).unwrap();
    let t = SymbolTable::build(&module, &src, PyVersion::V3_14).unwrap();
    let body: Vec<&AstNode> = ast::Module::cast(&module).unwrap().body().iter().collect();
    let name = |id: Option<ScopeId>| id.map(|i| t.scope(i).name.clone());
    assert_eq!(t.scope_of(&module), Some(t.top()));
    let top = t.scope(t.top());
    assert_eq!(name(top.annotation_block), Some("__annotate__".into()));
    assert_eq!(
        t.scope_of_key(&module as *const AstNode as usize + 1),
        top.annotation_block
    );
    assert!(top.has_conditional_annotations);
    assert_eq!(top.cellvars(), ["__conditional_annotations__"]);

    let f = body[1];
    assert_eq!(name(t.scope_of(f)), Some("f".into()));
    let ann = t.function_annotation_scope(f).unwrap();
    assert_eq!(t.scope(ann).kind, BlockType::Annotation);
    assert!(t.scope(ann).annotations_used);
    let f_def = ast::FunctionDef::cast(f).unwrap();
    let lambda = ast::Arguments(f_def.args()).defaults().first().unwrap();
    assert_eq!(name(t.scope_of(lambda)), Some("lambda".into()));
    let ret = ast::Return::cast(f_def.body().first().unwrap()).unwrap();
    let ret = ast::Tuple::cast(ret.value().unwrap()).unwrap();
    let elts: Vec<&AstNode> = ret.elts().iter().collect();
    let lc = t.scope(t.scope_of(elts[0]).unwrap());
    assert!(lc.comp_inlined && lc.comprehension == Some(ComprehensionType::List));
    let ge = t.scope(t.scope_of(elts[1]).unwrap());
    assert!(!ge.comp_inlined && ge.generator);
    assert_eq!(ge.varnames, [".0"]);

    let c = body[2];
    let tp = t.type_params_scope(c).unwrap();
    assert_eq!(t.scope(tp).kind, BlockType::TypeParameters);
    let tv = ast::ClassDef::cast(c)
        .unwrap()
        .type_params()
        .first()
        .unwrap();
    assert_eq!(
        t.scope(t.bound_scope(tv).unwrap()).kind,
        BlockType::TypeVariable
    );
    assert_eq!(t.default_scope(tv), None);
    let class = t.scope(t.scope_of(c).unwrap());
    assert_eq!(class.kind, BlockType::Class);
    assert!(class.needs_classdict);
    assert_eq!(class.cellvars(), ["__classdict__"]);

    let alias = body[3];
    assert_eq!(
        t.scope(t.scope_of(alias).unwrap()).kind,
        BlockType::TypeAlias
    );
    assert_eq!(
        t.scope(t.type_params_scope(alias).unwrap()).kind,
        BlockType::TypeParameters
    );
}

/// `future_check_features`: an unknown feature and `braces` are SyntaxErrors at the name (CPython
/// 3.14's messages and columns); the known ones compile.
#[test]
fn future_features_are_checked() {
    let cases = [
        ("from __future__ import braces\n", "not a chance", (1, 24)),
        (
            "\"\"\"doc\"\"\"\nfrom __future__ import annotations, nope\n",
            "future feature nope is not defined",
            (2, 37),
        ),
        (
            "from __future__ import (annotations,\n   braces)\n",
            "not a chance",
            (2, 4),
        ),
    ];
    for (text, msg, (line, col)) in cases {
        let src = Source::from_text("<t>", text);
        let module = ast::parse(&src, PyVersion::V3_14).unwrap();
        let err = SymbolTable::build(&module, &src, PyVersion::V3_14)
            .err()
            .unwrap_or_else(|| panic!("{text:?} compiled"));
        assert_eq!(err.kind, PyErrorKind::SyntaxError, "{text:?}");
        assert_eq!(err.msg, msg, "{text:?}");
        assert_eq!(
            (err.lineno, err.offset),
            (Some(line), Some(col)),
            "{text:?}"
        );
    }
    let src = Source::from_text(
        "<t>",
        "from __future__ import annotations, generator_stop, division\nx = 1\n",
    );
    let module = ast::parse(&src, PyVersion::V3_14).unwrap();
    assert!(SymbolTable::build(&module, &src, PyVersion::V3_14).is_ok());
}

//! `cpyviz conformance` logic, offline: the built-in model against committed live captures.

use cpyviz_engine::conformance::{compare, report, Verdict};
use cpyviz_model::capture::Stage;
use std::path::Path;

#[test]
fn builtin_tokens_ast_and_bytecode_match_a_recorded_cpython() {
    for version in ["3.14", "3.15"] {
        let file = format!("tests/captures/abs-{version}.capture.json");
        let live = cpyviz_engine::capture_file::read(Path::new(&file))
            .unwrap()
            .remove(0);
        let bytes = std::fs::read("samples/abs.py").unwrap();
        let verdicts = compare("samples/abs.py", &bytes, &live);
        assert_eq!(verdicts[0], (Stage::Tokens, Verdict::Match), "{version}");
        assert_eq!(verdicts[1], (Stage::Ast, Verdict::Match), "{version}");
        assert_eq!(verdicts[2], (Stage::Bytecode, Verdict::Match), "{version}");
        let table = report(
            &live.engine.label(),
            &[("samples/abs.py".into(), Ok(verdicts))],
        );
        assert!(
            table.contains("tokens 1/1 match; ast 1/1 match; bytecode 1/1 match"),
            "{table}"
        );
    }
}

#[test]
fn a_different_source_is_reported_with_its_first_differing_line() {
    let live = cpyviz_engine::capture_file::read(Path::new("tests/captures/abs-3.15.capture.json"))
        .unwrap()
        .remove(0);
    let edited = std::fs::read_to_string("samples/abs.py")
        .unwrap()
        .replace("return a - b", "return a + b");
    let verdicts = compare("samples/abs.py", edited.as_bytes(), &live);
    let Verdict::Differ {
        line,
        builtin,
        live,
    } = &verdicts[1].1
    else {
        panic!("the AST should differ: {verdicts:?}");
    };
    assert!(
        builtin.contains("Add()") && live.contains("Sub()"),
        "line {line}: {builtin} / {live}"
    );
    let table = report("x", &[("samples/abs.py".into(), Ok(verdicts.clone()))]);
    assert!(table.contains("first differences:"), "{table}");
}

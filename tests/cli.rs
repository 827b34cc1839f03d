//! The `cpyviz` binary on good and bad input: clear messages and exit codes, never a panic.

use std::process::{Command, Output};

fn cpyviz(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cpyviz"))
        .args(args)
        .output()
        .expect("cpyviz runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn temp_file(name: &str, contents: &[u8]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cpyviz-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn assert_no_panic(out: &Output) {
    let err = stderr(out);
    assert!(!err.contains("panicked"), "cpyviz panicked:\n{err}");
}

#[test]
fn dump_of_a_missing_file_says_so() {
    let out = cpyviz(&["dump", "tokens", "no/such/file.py"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("can't open file 'no/such/file.py'"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn dump_of_a_directory_says_so() {
    let out = cpyviz(&["dump", "ast", "samples"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is a directory"), "{}", stderr(&out));
}

#[test]
fn unknown_stage_and_version_are_rejected_with_the_choices() {
    let out = cpyviz(&["dump", "bogus", "samples/abs.py"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("stages: tokens, ast"),
        "{}",
        stderr(&out)
    );
    let out = cpyviz(&["dump", "ast", "samples/abs.py", "--python-version", "2.7"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("3.14 and 3.15"), "{}", stderr(&out));
}

#[test]
fn a_syntax_error_is_reported_in_cpythons_words() {
    let path = temp_file("bad.py", b"def f(:\n    pass\n");
    let out = cpyviz(&["dump", "ast", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("SyntaxError: invalid syntax"), "{err}");
    assert!(err.contains("    def f(:\n          ^\n"), "{err}");
}

#[test]
fn a_huge_file_is_handled() {
    let mut text = String::new();
    while text.len() < 10_000_000 {
        text.push_str("value = compute(alpha, beta) + 12345  # a comment\n");
    }
    let path = temp_file("huge.py", text.as_bytes());
    let out = cpyviz(&["dump", "tokens", path.to_str().unwrap()]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.len() > 10_000_000);
    let out = cpyviz(&["dump", "ast", path.to_str().unwrap()]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn deep_nesting_is_refused_like_cpython() {
    let parens = format!("x = {}1{}\n", "(".repeat(1000), ")".repeat(1000));
    let path = temp_file("deep.py", parens.as_bytes());
    for stage in ["tokens", "ast"] {
        let out = cpyviz(&["dump", stage, path.to_str().unwrap()]);
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out).contains("too many nested parentheses"),
            "{}",
            stderr(&out)
        );
    }
    let mut ifs = String::new();
    for depth in 0..1000 {
        ifs.push_str(&format!("{}if x:\n", "    ".repeat(depth)));
    }
    ifs.push_str(&format!("{}pass\n", "    ".repeat(1000)));
    let path = temp_file("deep_if.py", ifs.as_bytes());
    let out = cpyviz(&["dump", "ast", path.to_str().unwrap()]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("IndentationError: too many levels of indentation"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn long_operator_chains_do_not_crash() {
    for text in [
        format!("x = {}1\n", "-".repeat(5000)),
        format!("x = {}1\n", "not ".repeat(5000)),
        format!("x = {}1\n", "1 + ".repeat(50_000)),
        format!("x = a{}\n", ".b".repeat(50_000)),
    ] {
        let path = temp_file("chain.py", text.as_bytes());
        for stage in ["tokens", "ast"] {
            let out = cpyviz(&["dump", stage, path.to_str().unwrap()]);
            assert_no_panic(&out);
            assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
        }
    }
}

#[test]
fn invalid_utf8_and_nul_bytes_get_cpythons_messages() {
    let path = temp_file("latin.py", b"x = '\xe9'\n");
    let out = cpyviz(&["dump", "ast", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("SyntaxError: Non-UTF-8 code starting with '\\xe9' on line 1"));
    let path = temp_file("nul.py", b"x = 1\0\n");
    let out = cpyviz(&["dump", "tokens", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("source code cannot contain null bytes"));
}

#[test]
fn the_viewer_needs_a_terminal() {
    let out = cpyviz(&["samples/abs.py"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("needs a terminal"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn shot_writes_each_format_and_rejects_bad_arguments() {
    let dir = std::env::temp_dir().join(format!("cpyviz-shot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for ext in ["svg", "png", "html", "txt"] {
        let out_path = dir.join(format!("abs.{ext}"));
        let out = cpyviz(&[
            "shot",
            "samples/abs.py",
            "--stage",
            "ast",
            "--size",
            "80x24",
            "-o",
            out_path.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let bytes = std::fs::read(&out_path).unwrap();
        assert!(bytes.len() > 100, "{ext} output is too small");
    }
    let txt = std::fs::read_to_string(dir.join("abs.txt")).unwrap();
    assert!(
        txt.contains("FunctionDef") && txt.contains("builtin model"),
        "{txt}"
    );
    let bad = cpyviz(&["shot", "samples/abs.py", "-o", "out.jpg"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains(".svg"), "{}", stderr(&bad));
    let bad = cpyviz(&[
        "shot",
        "samples/abs.py",
        "--select",
        "100000",
        "-o",
        "x.txt",
    ]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("out of range"), "{}", stderr(&bad));
    let bad = cpyviz(&["shot", "samples/abs.py", "--size", "10x5", "-o", "x.txt"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn shot_renders_a_recorded_live_capture() {
    let out_path =
        std::env::temp_dir().join(format!("cpyviz-shot-capture-{}.txt", std::process::id()));
    let out = cpyviz(&[
        "shot",
        "--capture",
        "tests/captures/abs-3.15.capture.json",
        "--stage",
        "specialized",
        "--python-version",
        "3.15",
        "-o",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let txt = std::fs::read_to_string(&out_path).unwrap();
    assert!(
        txt.contains("(live)") && txt.contains("RESUME_CHECK_JIT"),
        "{txt}"
    );
}

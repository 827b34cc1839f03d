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

// ----- the JIT stages -----

fn cpyviz_with_store(store: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cpyviz"))
        .args(args)
        .env("CPYVIZ_STENCILS_DIR", store)
        .output()
        .expect("cpyviz runs")
}

#[test]
fn dump_jit_on_the_builtin_engine_compiles_its_own_traces() {
    let out = cpyviz(&["dump", "jit", "samples/abs.py", "--python-version", "3.14"]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("# JIT · builtin model · profile 3.14"),
        "{text}"
    );
    assert!(
        text.contains("Executor for <module> at offset 72 (trace: the built-in tier 2's"),
        "{text}"
    );
    assert!(text.contains("_BINARY_OP_SUBTRACT_INT"), "{text}");
}

#[test]
fn dump_jit_with_the_jit_off_says_there_are_no_executors() {
    let out = cpyviz(&[
        "dump",
        "jit",
        "samples/abs.py",
        "--python-version",
        "3.14",
        "--jit",
        "off",
    ]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("--jit off"), "{err}");
}

#[test]
fn dump_jit_and_trampolines_from_a_capture_label_the_model() {
    let out = cpyviz(&[
        "dump",
        "jit",
        "--capture",
        "tests/captures/int_loop-3.15.capture.json",
    ]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("# stencils: cpyviz's built-in stencils (a model"),
        "{text}"
    );
    assert!(text.contains("checked against the real region"), "{text}");
    assert!(text.contains("real machine code, as recorded"), "{text}");
    assert!(text.contains("hole 0:"), "{text}");
    let out = cpyviz(&[
        "dump",
        "trampolines",
        "--capture",
        "tests/captures/int_loop-3.15.capture.json",
        "--target",
        "aarch64-unknown-linux-gnu",
        "--memory",
        "far",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("get_trampoline_slot("), "{text}");
    assert!(text.contains("ldr x8"), "{text}");
    assert!(text.contains("index = 0 + 3 = 3"), "{text}");
    let out = cpyviz(&[
        "dump",
        "jit",
        "--capture",
        "tests/captures/int_loop-3.15.capture.json",
        "--memory",
        "nowhere",
    ]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("no memory model 'nowhere'"),
        "{}",
        stderr(&out)
    );
    let out = cpyviz(&["dump", "jit", "--capture", "x.json", "--target", "pdp11"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown target 'pdp11'"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn stencils_export_import_and_use_round_trip() {
    let dir = std::env::temp_dir().join(format!("cpyviz-cli-stencils-{}", std::process::id()));
    let store = dir.join("store");
    std::fs::create_dir_all(&dir).unwrap();
    let header = dir.join("jit_stencils-x86_64-unknown-linux-gnu.h");
    let h = header.to_str().unwrap();
    let out = cpyviz_with_store(&store, &["stencils", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("no imported stencils"));
    let out = cpyviz_with_store(
        &store,
        &["stencils", "export", "--python-version", "3.15", "-o", h],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = cpyviz_with_store(&store, &["stencils", "import", h]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("imported CPython 3.15 x86_64-unknown-linux-gnu"));
    let out = cpyviz_with_store(&store, &["stencils", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("3.15  x86_64-unknown-linux-gnu"));
    let out = cpyviz_with_store(
        &store,
        &[
            "dump",
            "jit",
            "--capture",
            "tests/captures/abs-3.15.capture.json",
            "--stencils",
            "imported",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("# stencils: CPython's real stencils for 3.15"),
        "{text}"
    );
    // A 3.14 capture has no imported 3.14 set: the user is told how to get one.
    let out = cpyviz_with_store(
        &store,
        &[
            "dump",
            "jit",
            "--capture",
            "tests/captures/abs-3.14.capture.json",
            "--stencils",
            "imported",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cpyviz stencils import"),
        "{}",
        stderr(&out)
    );
    // Malformed headers: the line is named.
    let text = std::fs::read_to_string(&header).unwrap();
    let broken = text.replacen("0x", "0xZZ", 40);
    let bad = dir
        .join("bad")
        .join("jit_stencils-x86_64-unknown-linux-gnu.h");
    std::fs::create_dir_all(bad.parent().unwrap()).unwrap();
    std::fs::write(&bad, broken).unwrap();
    let out = cpyviz_with_store(&store, &["stencils", "import", bad.to_str().unwrap()]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("jit_stencils-x86_64-unknown-linux-gnu.h:"),
        "{err}"
    );
    let line: usize = err
        .split("jit_stencils-x86_64-unknown-linux-gnu.h:")
        .nth(1)
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no line number in {err}"));
    assert!(line > 1, "{err}");
    for (name, contents) in [
        ("notes.txt", &b"hello"[..]),
        (
            "jit_stencils-x86_64-unknown-linux-gnu.h",
            &[0xff, 0xfe, 0x00][..],
        ),
    ] {
        let p = dir.join("other").join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, contents).unwrap();
        let out = cpyviz_with_store(&store, &["stencils", "import", p.to_str().unwrap()]);
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(2), "{name}");
    }
    let out = cpyviz_with_store(&store, &["stencils", "import", dir.to_str().unwrap()]);
    assert!(stderr(&out).contains("is a directory"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dump_jit_with_the_jit_off_says_what_to_turn_on() {
    // Recorded from the reference CPython 3.15 run with -E (which ignores PYTHON_JIT).
    for stage in ["jit", "trampolines"] {
        let out = cpyviz(&[
            "dump",
            stage,
            "--capture",
            "tests/captures/jit-off/abs-3.15.capture.json",
        ]);
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(
            err.contains("the JIT was off") && err.contains("PYTHON_JIT=1"),
            "{err}"
        );
    }
}

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
fn shot_themes_footer_and_animation_formats() {
    let dir = std::env::temp_dir().join(format!("cpyviz-shot-themes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out_in = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let shot = |args: &[&str]| {
        let mut all = vec!["shot", "samples/abs.py"];
        if !args.contains(&"--size") {
            all.extend_from_slice(&["--size", "80x24"]);
        }
        all.extend_from_slice(args);
        let out = cpyviz(&all);
        assert_no_panic(&out);
        out
    };
    // --theme light: a PNG in the light theme's colours (a white canvas).
    for theme in ["light", "high-contrast", "dark"] {
        let path = out_in(&format!("{theme}.png"));
        let out = shot(&["--theme", theme, "--scale", "1", "-o", &path]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        assert_eq!(&std::fs::read(&path).unwrap()[1..4], b"PNG");
    }
    assert_ne!(
        std::fs::read(out_in("light.png")).unwrap(),
        std::fs::read(out_in("dark.png")).unwrap()
    );
    let svg = out_in("light.svg");
    assert_eq!(
        shot(&["--theme", "light", "-o", &svg]).status.code(),
        Some(0)
    );
    assert!(std::fs::read_to_string(&svg).unwrap().contains("#ffffff"));
    // An unknown theme: clap's error names the themes.
    let bad = shot(&["--theme", "solarized", "-o", &out_in("x.png")]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad).contains("dark, light, high-contrast"),
        "{}",
        stderr(&bad)
    );
    // --footer: one more line, with cpyviz's version and the engine ("model").
    let txt = out_in("footer.txt");
    assert_eq!(shot(&["--footer", "-o", &txt]).status.code(), Some(0));
    let text = std::fs::read_to_string(&txt).unwrap();
    assert_eq!(text.lines().count(), 25);
    let last = text.lines().last().unwrap();
    assert_eq!(
        last,
        format!(
            " cpyviz {} · builtin model of CPython 3.14",
            env!("CARGO_PKG_VERSION")
        )
    );
    let plain = out_in("plain.txt");
    assert_eq!(shot(&["-o", &plain]).status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&plain).unwrap().lines().count(), 24);
    // On a JIT stage the footer names the target and the stencils.
    let jit = out_in("jit.txt");
    let out = shot(&["--stage", "jit", "--size", "160x30", "--footer", "-o", &jit]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = std::fs::read_to_string(&jit).unwrap();
    let last = text.lines().last().unwrap();
    assert!(
        last.contains("· JIT x86_64-unknown-linux-gnu · built-in stencils (a model)"),
        "{last}"
    );
    // One-frame .cast and .gif.
    let cast = out_in("abs.cast");
    assert_eq!(shot(&["--footer", "-o", &cast]).status.code(), Some(0));
    let cast = std::fs::read_to_string(&cast).unwrap();
    assert!(
        cast.starts_with("{\"version\": 2, \"width\": 80, \"height\": 25"),
        "{cast}"
    );
    assert_eq!(cast.lines().count(), 3);
    let gif = out_in("abs.gif");
    assert_eq!(shot(&["--scale", "0.5", "-o", &gif]).status.code(), Some(0));
    assert_eq!(&std::fs::read(&gif).unwrap()[..6], b"GIF89a");
    // An output that cannot be written: a clear message, no panic.
    let out = shot(&["-o", "/nonexistent-dir/x.gif"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("can't write"), "{}", stderr(&out));
}

#[test]
fn a_builtin_shot_always_says_model() {
    // A path too long for the header: it loses its start, the engine label stays.
    let long = format!("{}.py", "a_very_long_file_name_".repeat(6));
    let path = temp_file(&long, b"x = 1\n");
    let out_path = std::env::temp_dir().join(format!("cpyviz-model-{}.txt", std::process::id()));
    let out = cpyviz(&[
        "shot",
        path.to_str().unwrap(),
        "--size",
        "60x16",
        "-o",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let txt = std::fs::read_to_string(&out_path).unwrap();
    let header = txt.lines().next().unwrap();
    assert!(header.contains("builtin model"), "{header}");
    assert!(header.contains('…'), "{header}");
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
        text.contains("Executor for <module> at offset 76 (trace: the built-in tier 2's"),
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

/// A fresh empty folder under the system's temporary folder (not the checkout).
fn empty_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cpyviz-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn cpyviz_in(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cpyviz"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("cpyviz runs")
}

#[test]
fn the_samples_are_built_in_and_work_outside_a_checkout() {
    let dir = empty_dir("samples");
    // `cpyviz samples` lists every sample with what it teaches.
    let out = cpyviz_in(&dir, &["samples"]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut count = 0;
    for entry in std::fs::read_dir("samples").unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let first = text.lines().next().unwrap();
        let doc = first.trim_matches('"');
        assert!(
            first.starts_with("\"\"\"") && first.ends_with("\"\"\"") && !doc.is_empty(),
            "{name} opens with a one-line docstring"
        );
        assert!(
            listing
                .lines()
                .any(|l| l.starts_with(&name) && l.ends_with(doc)),
            "{name}: {listing}"
        );
        count += 1;
    }
    assert!(count >= 12, "{listing}");
    assert_eq!(listing.lines().count(), count, "{listing}");
    // The checkout's first command works from anywhere: the built-in copy, named as typed, dumps
    // exactly as CPython does on the file.
    let out = cpyviz_in(&dir, &["dump", "bytecode", "samples/abs.py"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let golden = std::fs::read_to_string("tests/golden/3.14/bytecode/samples__abs.txt").unwrap();
    let expected = golden.strip_prefix("# exit 0\n").unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let masked: String = stdout
        .split(" at 0x")
        .enumerate()
        .map(|(i, part)| match i {
            0 => part.to_string(),
            _ => format!(
                " at 0xADDR{}",
                part.trim_start_matches(|c: char| c.is_ascii_hexdigit())
            ),
        })
        .collect();
    assert_eq!(masked, expected);
    // NAME prints a sample; --extract writes them out; a later run reads the file there.
    let out = cpyviz_in(&dir, &["samples", "closures"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("nonlocal count"));
    let out = cpyviz_in(&dir, &["samples", "--extract", "samples"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_dir(dir.join("samples")).unwrap().count(),
        count
    );
    std::fs::write(dir.join("samples/abs.py"), "x = 1\n").unwrap();
    let out = cpyviz_in(&dir, &["dump", "bytecode", "samples/abs.py"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Absolute"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_missing_sample_name_or_a_bundled_sample_for_cpython_is_explained() {
    let dir = empty_dir("nosample");
    let out = cpyviz_in(&dir, &["samples", "nope"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no sample named 'nope'"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("abs, "), "{}", stderr(&out));
    // Not a sample's name: the usual message.
    let out = cpyviz_in(&dir, &["dump", "tokens", "samples/nothere.py"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("can't open file"), "{}", stderr(&out));
    // The live engine runs files: it says how to get one.
    let out = cpyviz_in(&dir, &["dump", "bytecode", "abs.py", "--engine", "cpython"]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--extract"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn help_tells_of_the_built_in_samples_and_watch() {
    let out = cpyviz(&["--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--watch"), "{help}");
    assert!(help.contains("samples"), "{help}");
    assert!(help.contains("copy built into cpyviz"), "{help}");
}

#[test]
fn the_watch_reload_follows_the_file() {
    use cpyviz::watch::{FileWatch, Snippet};
    use cpyviz_model::capture::{Stage, StageStatus};
    use cpyviz_tui::terminal::Watcher;
    let path = temp_file("watched.py", b"x = 1\n");
    let mut watch = FileWatch::new(
        Snippet::resolve(&path),
        cpyviz_engine::EngineKind::Builtin,
        Default::default(),
        Default::default(),
        true,
    );
    assert!(watch.watching());
    let captures = watch.reload().unwrap();
    assert_eq!(captures.len(), 2);
    assert_eq!(captures[0].source.text, "x = 1\n");
    assert!(!watch.changed(), "nothing changed since the load");
    std::fs::write(&path, "x = 1\nprint(x + 41)\n").unwrap();
    assert!(watch.changed());
    let captures = watch.reload().unwrap();
    assert!(!watch.changed());
    assert!(captures[0].source.text.contains("41"));
    assert!(matches!(
        captures[0].status(Stage::Bytecode),
        StageStatus::Ready
    ));
    // A syntax error is the stages' business: the reload still makes captures.
    std::fs::write(&path, "x = (\n").unwrap();
    assert!(watch.changed());
    let captures = watch.reload().unwrap();
    assert!(matches!(
        captures[0].status(Stage::Ast),
        StageStatus::Failed(_)
    ));
    // A deleted file: a message, no panic.
    std::fs::remove_file(&path).unwrap();
    assert!(watch.changed());
    let err = watch.reload().unwrap_err();
    assert!(err.contains("No such file"), "{err}");
    // A bundled sample is not a file: `e` edits a copy, followed from then on.
    let mut watch = FileWatch::new(
        Snippet::resolve(std::path::Path::new("nowhere/../abs.py")),
        cpyviz_engine::EngineKind::Builtin,
        Default::default(),
        Default::default(),
        false,
    );
    assert!(
        watch.reload().is_err(),
        "not a sample's name: a missing file"
    );
    let mut watch = FileWatch::new(
        Snippet::Embedded {
            name: "samples/abs.py".into(),
            sample: cpyviz::embedded::sample("abs").unwrap(),
        },
        cpyviz_engine::EngineKind::Builtin,
        Default::default(),
        Default::default(),
        true,
    );
    assert!(watch.reload().unwrap()[0].source.text.contains("def abs"));
    assert!(!watch.changed());
    let copy = watch.editable().unwrap();
    assert!(copy.starts_with(std::env::temp_dir()), "{}", copy.display());
    assert!(watch.changed(), "the copy is new");
    assert!(watch.reload().unwrap()[0].source.path.ends_with("abs.py"));
    let _ = std::fs::remove_file(&copy);
    let _ = std::fs::remove_dir(copy.parent().unwrap());
}

/// The live engine runs CPython for a reload; the viewer's thread only starts it and later
/// takes the captures, so the viewer answers keys meanwhile.
#[cfg(unix)]
#[test]
fn a_live_reload_runs_off_the_viewers_thread() {
    use cpyviz::watch::{FileWatch, Snippet};
    use cpyviz_tui::terminal::Watcher;
    use std::os::unix::fs::PermissionsExt;
    // An interpreter that answers only once the test opens the gate (then fails).
    let gate = temp_file("reload-gate", b"");
    std::fs::remove_file(&gate).unwrap();
    let python = temp_file(
        "gated-python",
        format!(
            "#!/bin/sh\nwhile [ ! -e '{}' ]; do sleep 0.05; done\necho broken >&2\nexit 3\n",
            gate.display()
        )
        .as_bytes(),
    );
    std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = temp_file("live-watched.py", b"x = 1\n");
    let mut watch = FileWatch::new(
        Snippet::resolve(&path),
        cpyviz_engine::EngineKind::Cpython,
        cpyviz_engine::LiveOptions {
            python: Some(python),
            ..Default::default()
        },
        Default::default(),
        true,
    );
    watch.start_reload();
    assert!(watch.reloading());
    assert!(
        watch.reloaded().is_none(),
        "the interpreter is still waiting"
    );
    std::fs::write(&gate, b"").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let result = loop {
        if let Some(r) = watch.reloaded() {
            break r;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the reload never ended"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(!watch.reloading());
    let err = result.unwrap_err();
    assert!(err.contains("broken") || err.contains("exit"), "{err}");
    let _ = std::fs::remove_file(&gate);
}

#[test]
fn lessons_are_listed_and_a_bad_lesson_names_its_step_and_field() {
    let out = cpyviz(&["lessons"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let listing = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(listing.matches(" steps)").count(), 7, "{listing}");
    assert!(listing.contains("01-how-your-code-runs.toml"), "{listing}");

    let bad = temp_file(
        "bad-lesson.toml",
        b"title = \"t\"\nsnippet = \"x.py\"\n\n[[step]]\ntitle = \"a\"\nstage = \"bytcode\"\nnarration = \"n\"\n",
    );
    for args in [
        vec!["lesson", bad.to_str().unwrap()],
        vec![
            "shot",
            "--lesson",
            bad.to_str().unwrap(),
            "-o",
            "/tmp/x.svg",
        ],
    ] {
        let out = cpyviz(&args);
        assert_no_panic(&out);
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(
            err.contains("step 1, field stage: unknown stage 'bytcode'"),
            "{err}"
        );
    }
    let broken = temp_file("broken-lesson.toml", b"title = \"t\"\n[[step]]\nstage = \n");
    let out = cpyviz(&["lesson", broken.to_str().unwrap()]);
    assert_no_panic(&out);
    let err = stderr(&out);
    assert!(err.contains("broken-lesson.toml:3: step 1:"), "{err}");
}

#[test]
fn lesson_steps_export_one_by_one_and_all_at_once() {
    let lesson = "lessons/05-trampolines.toml";
    let out = cpyviz(&[
        "shot",
        "--lesson",
        lesson,
        "--step",
        "9",
        "-o",
        "/tmp/x.txt",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("--step 9 is out of range"),
        "{}",
        stderr(&out)
    );

    let dir = std::env::temp_dir().join(format!("cpyviz-shots-{}", std::process::id()));
    let out = cpyviz(&[
        "shots",
        lesson,
        "-o",
        dir.to_str().unwrap(),
        "--format",
        "txt",
        "--size",
        "80x24",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    files.sort();
    assert_eq!(
        files,
        (1..=5)
            .map(|i| format!("05-trampolines-step{i:02}.txt"))
            .collect::<Vec<_>>()
    );
    let third = std::fs::read_to_string(dir.join("05-trampolines-step03.txt")).unwrap();
    assert!(third.contains("Step 3/5 · The trampoline mask"), "{third}");
    assert!(third.contains("_PyLong_Subtract"), "{third}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_lessons_are_built_in_and_work_outside_a_checkout() {
    let dir = empty_dir("lessons");
    let out = cpyviz_in(&dir, &["lessons"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(listing.matches(" steps)").count(), 7, "{listing}");
    // A lesson by its number: its snippet (a sample) and its capture come from the binary.
    let out = cpyviz_in(
        &dir,
        &[
            "shot", "--lesson", "7", "--step", "5", "--size", "80x24", "-o", "s.txt",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let screen = std::fs::read_to_string(dir.join("s.txt")).unwrap();
    assert!(screen.contains("Step 5/6"), "{screen}");
    assert!(screen.contains("_SPILL_OR_RELOAD"), "{screen}");
    assert!(!screen.contains('⚠'), "{screen}");
    let out = cpyviz_in(&dir, &["lesson", "99"]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no lesson '99'"), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
}

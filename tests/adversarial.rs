//! Adversarial input through the real binary: every kind of error CPython reports for bad
//! source (with its message), odd bytes and line endings, huge and deep files, snippets that
//! loop, recurse, allocate or print without bound, and broken interpreters for the live
//! engine. Never a panic; a clear message and the right exit status. (`tests/cli.rs` covers
//! missing files, 10 MB of lines, 1,000-deep nesting, invalid UTF-8 and NUL bytes.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs cpyviz, killed after `limit` (a hang guard, generous: never a timing assertion).
fn cpyviz_within(args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cpyviz"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cpyviz runs");
    let (out_tx, out_rx) = std::sync::mpsc::channel();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let t1 = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut b).ok();
        b
    });
    let t2 = std::thread::spawn(move || {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut b).ok();
        b
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("cpyviz {args:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    out_tx.send(()).ok();
    drop(out_rx);
    Output {
        status,
        stdout: t1.join().unwrap(),
        stderr: t2.join().unwrap(),
    }
}

fn cpyviz(args: &[&str]) -> Output {
    cpyviz_within(args, Duration::from_secs(600))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("cpyviz-adversarial-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    let path = dir().join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn assert_no_panic(out: &Output) {
    let err = stderr(out);
    assert!(!err.contains("panicked"), "cpyviz panicked:\n{err}");
}

/// Every kind of SyntaxError, IndentationError and TabError CPython reports, each with the
/// message CPython 3.14's `compile()` gives (`dump bytecode`: the parser and the compiler).
#[test]
fn each_kind_of_syntax_error_has_cpythons_message() {
    let cases: &[(&str, &[u8], &str)] = &[
        ("invalid", b"x = = 1\n", "SyntaxError: invalid syntax"),
        ("never_closed", b"x = (1,\ny = 2\n", "SyntaxError: '(' was never closed"),
        ("unmatched", b"x = 1)\n", "SyntaxError: unmatched ')'"),
        ("mismatch", b"x = (1]\n", "SyntaxError: closing parenthesis ']' does not match opening parenthesis '('"),
        ("colon", b"if x\n    pass\n", "SyntaxError: expected ':'"),
        ("indent", b"x = 1\n    y = 2\n", "IndentationError: unexpected indent"),
        ("unindent", b"if x:\n        a = 1\n    b = 2\n", "IndentationError: unindent does not match any outer indentation level"),
        ("block", b"if x:\npass\n", "IndentationError: expected an indented block after 'if' statement on line 1"),
        ("string", b"x = 'abc\n", "SyntaxError: unterminated string literal (detected at line 1)"),
        ("triple", b"x = '''abc\n\n", "SyntaxError: unterminated triple-quoted string literal (detected at line 2)"),
        ("char", "x = 1 \u{20ac} 2\n".as_bytes(), "SyntaxError: invalid character '\u{20ac}' (U+20AC)"),
        ("nonprintable", "x = 1\u{a0}+ 2\n".as_bytes(), "SyntaxError: invalid non-printable character U+00A0"),
        ("decimal", b"x = 1abc\n", "SyntaxError: invalid decimal literal"),
        ("zeros", b"x = 0123\n", "SyntaxError: leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers"),
        ("print", b"print 'hi'\n", "SyntaxError: Missing parentheses in call to 'print'. Did you mean print(...)?"),
        ("literal", b"1 = x\n", "SyntaxError: cannot assign to literal here. Maybe you meant '==' instead of '='?"),
        ("tabs", b"if x:\n\tif y:\n        pass\n", "TabError: inconsistent use of tabs and spaces in indentation"),
        ("return", b"return 1\n", "SyntaxError: 'return' outside function"),
        ("break", b"break\n", "SyntaxError: 'break' outside loop"),
        ("continue", b"continue\n", "SyntaxError: 'continue' not properly in loop"),
        ("yield", b"yield 1\n", "SyntaxError: 'yield' outside function"),
        ("await", b"await x\n", "SyntaxError: 'await' outside function"),
        ("nonlocal", b"nonlocal x\n", "SyntaxError: nonlocal declaration not allowed at module level"),
        ("global", b"def f(a):\n    global a\n", "SyntaxError: name 'a' is parameter and global"),
        ("positional", b"f(a=1, 2)\n", "SyntaxError: positional argument follows keyword argument"),
        ("continuation", b"x = 1 \\ 2\n", "SyntaxError: unexpected character after line continuation character"),
        ("fstring", b"x = f'{'\n", "SyntaxError: f-string: expecting '}'"),
        ("bytes", "x = b'\u{e9}'\n".as_bytes(), "SyntaxError: bytes can only contain ASCII literal characters"),
        ("delete", b"del f()\n", "SyntaxError: cannot delete function call"),
        ("starred", b"*a = 1\n", "SyntaxError: starred assignment target must be in a list or tuple"),
        ("eof", b"x = [1,\n2,\n", "SyntaxError: '[' was never closed"),
        ("default", b"lambda a=1, b: 0\n", "SyntaxError: parameter without a default follows parameter with a default"),
        ("star_import", b"def f():\n    from math import *\n", "SyntaxError: import * only allowed at module level"),
        ("braces", b"from __future__ import braces\n", "SyntaxError: not a chance"),
        ("future", b"from __future__ import nope\n", "SyntaxError: future feature nope is not defined"),
        ("late_future", b"x = 1\nfrom __future__ import annotations\n", "SyntaxError: from __future__ imports must occur at the beginning of the file"),
        ("lone_cr", b"x = 1\ry = (\r", "SyntaxError: '(' was never closed"),
        ("bom_cookie", b"\xef\xbb\xbf# -*- coding: latin-1 -*-\nx = 1\n", "SyntaxError: encoding problem: iso-8859-1 with BOM"),
        ("duplicate_param", b"def f(a, a):\n    pass\n", "SyntaxError: duplicate argument 'a' in function definition"),
        ("repeated_keyword", b"f(a=1, a=2)\n", "SyntaxError: keyword argument repeated: a"),
        ("unicode_name", b"x = '\\N{NOPE}'\n", "SyntaxError: (unicode error) 'unicodeescape' codec can't decode bytes in position 0-7: unknown Unicode character name"),
        ("truncated_escape", b"x = 'ab\\x4'\n", "SyntaxError: (unicode error) 'unicodeescape' codec can't decode bytes in position 2-4: truncated \\xXX escape"),
        ("bytes_escape", b"x = b'\\x4'\n", "SyntaxError: (value error) invalid \\x escape at position 0"),
        ("walrus_attribute", b"(a.b := 1)\n", "SyntaxError: cannot use assignment expressions with attribute"),
    ];
    let mut wrong = Vec::new();
    for (name, src, want) in cases {
        let path = temp_file(&format!("err_{name}.py"), src);
        let out = cpyviz(&["dump", "bytecode", path.to_str().unwrap()]);
        assert_no_panic(&out);
        let err = stderr(&out);
        let last = err.lines().last().unwrap_or("");
        if out.status.code() != Some(1) || last != *want {
            wrong.push(format!(
                "{name}: want {want:?}, got {:?} ({last})",
                out.status
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Whole tracebacks (line, caret and message) as CPython prints them, where the caret or the
/// version matters.
#[test]
fn front_end_errors_point_where_cpython_points() {
    let cases: &[(&str, &str, &[u8], &str)] = &[
        (
            "3.14",
            "dup14",
            b"lambda a, *, a: 1\n",
            "    lambda a, *, a: 1\n                 ^\nSyntaxError: duplicate argument 'a' in function definition\n",
        ),
        (
            "3.15",
            "dup15",
            b"def f(a, a: int):\n    pass\n",
            "    def f(a, a: int):\n             ^^^^^^\nSyntaxError: duplicate parameter 'a' in function definition\n",
        ),
        (
            "3.15",
            "kw15",
            b"class C(metaclass=1, metaclass=2): pass\n",
            "    class C(metaclass=1, metaclass=2): pass\n                         ^^^^^^^^^^^\nSyntaxError: keyword argument repeated: metaclass\n",
        ),
        (
            "3.14",
            "esc14",
            "s = '\u{e9}\\N{NOPE}'\n".as_bytes(),
            "    s = '\u{e9}\\N{NOPE}'\n        ^^^^^^^^^^^\nSyntaxError: (unicode error) 'unicodeescape' codec can't decode bytes in position 10-17: unknown Unicode character name\n",
        ),
        (
            "3.15",
            "walrus15",
            b"if x < y := 1:\n    pass\n",
            "    if x < y := 1:\n       ^^^^^\nSyntaxError: cannot use assignment expressions with comparison\n",
        ),
        (
            "3.15",
            "walrus_call15",
            b"print(a.b := 1)\n",
            "    print(a.b := 1)\n              ^^\nSyntaxError: invalid syntax\n",
        ),
        (
            "3.15",
            "bom_utf8",
            b"\xef\xbb\xbf\n# coding: utf8\n",
            "    # coding: utf8\nSyntaxError: encoding problem: utf8 with BOM\n",
        ),
    ];
    for (version, name, src, want) in cases {
        let path = temp_file(&format!("{name}.py"), src);
        let out = cpyviz(&[
            "dump",
            "bytecode",
            path.to_str().unwrap(),
            "--python-version",
            version,
        ]);
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert!(
            stderr(&out).ends_with(want),
            "{name}: want the end\n{want}\ngot\n{}",
            stderr(&out)
        );
    }
    // `ast.parse` accepts repeated parameters and keywords: the AST stage prints the tree.
    let path = temp_file("dup_ast.py", b"def f(a, a): f(b=1, b=2)\n");
    let out = cpyviz(&["dump", "ast", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let tree = String::from_utf8_lossy(&out.stdout);
    assert_eq!(tree.matches("arg='a'").count(), 2, "{tree}");
    assert_eq!(tree.matches("arg='b'").count(), 2, "{tree}");
}

#[test]
fn a_bom_crlf_and_mixed_line_endings_are_python_source() {
    for (name, src) in [
        ("bom.py", &b"\xef\xbb\xbfx = 1\nprint(x)\n"[..]),
        ("crlf.py", b"x = 1\r\nif x:\r\n    print(x)\r\n"),
        ("mixed.py", b"x = 1\r\ny = 2\nz = 3\r\n"),
        ("tabs.py", b"if 1:\n\tx = 1\n\tif x:\n\t\ty = 2\n"),
    ] {
        let path = temp_file(name, src);
        for stage in ["tokens", "ast", "bytecode", "specialized"] {
            let out = cpyviz(&["dump", stage, path.to_str().unwrap()]);
            assert_no_panic(&out);
            assert_eq!(
                out.status.code(),
                Some(0),
                "{name} {stage}: {}",
                stderr(&out)
            );
        }
    }
}

#[test]
fn nul_bytes_and_invalid_utf8_fail_every_stage_cleanly() {
    for (name, src, want) in [
        (
            "nul.py",
            &b"x = 1\n\0y = 2\n"[..],
            "cannot contain null bytes",
        ),
        (
            "bad.py",
            b"x = 1\ny = '\xff\xfe'\n",
            "Non-UTF-8 code starting with '\\xff' on line 2",
        ),
    ] {
        let path = temp_file(name, src);
        for stage in ["bytecode", "specialized", "uops", "jit"] {
            let out = cpyviz(&["dump", stage, path.to_str().unwrap()]);
            assert_no_panic(&out);
            assert_ne!(out.status.code(), Some(0), "{name} {stage}");
            assert!(
                stderr(&out).contains(want),
                "{name} {stage}: {}",
                stderr(&out)
            );
        }
    }
}

#[test]
fn a_100000_line_file_goes_through_every_stage() {
    let mut text = String::new();
    for i in 0..100_000 {
        text.push_str(&format!("v{} = {} * 2 + {}\n", i % 50, i, i % 7));
    }
    let path = temp_file("lines.py", text.as_bytes());
    for stage in [
        "tokens",
        "ast",
        "bytecode",
        "specialized",
        "uops",
        "jit",
        "trampolines",
    ] {
        let out = cpyviz_within(
            &["dump", stage, path.to_str().unwrap()],
            Duration::from_secs(900),
        );
        assert_no_panic(&out);
        // No loop, so no executors: the JIT stages say so with exit status 2.
        let ok = match stage {
            "jit" | "trampolines" => out.status.code() == Some(2),
            _ => out.status.code() == Some(0),
        };
        assert!(ok, "{stage}: {:?} {}", out.status, stderr(&out));
    }
}

#[test]
fn a_10_mb_string_literal_is_handled() {
    let mut text = b"s = '".to_vec();
    text.extend(std::iter::repeat_n(b'a', 10_000_000));
    text.extend(b"'\nprint(len(s))\n");
    let path = temp_file("bigstr.py", &text);
    for stage in ["tokens", "ast", "bytecode"] {
        let out = cpyviz(&["dump", stage, path.to_str().unwrap()]);
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(0), "{stage}: {}", stderr(&out));
        assert!(
            out.stdout.len() > 10_000_000 || stage == "bytecode",
            "{stage}"
        );
    }
    let out = cpyviz(&["dump", "specialized", path.to_str().unwrap()]);
    assert_no_panic(&out);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("10000000\n"));
}

#[test]
fn an_endless_loop_stops_at_the_step_limit() {
    let path = temp_file("loop.py", b"while True:\n    pass\n");
    let out = cpyviz(&[
        "dump",
        "specialized",
        path.to_str().unwrap(),
        "--max-steps",
        "100000",
    ]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out)
            .contains("the snippet ran for more than 100000 bytecode instructions and was stopped"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unbounded_recursion_is_cpythons_recursion_error() {
    let path = temp_file("rec.py", b"def f(n):\n    return f(n + 1)\nf(0)\n");
    let out = cpyviz(&["dump", "specialized", path.to_str().unwrap()]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("  [Previous line repeated 995 more times]\n"),
        "{err}"
    );
    assert!(
        err.ends_with("RecursionError: maximum recursion depth exceeded\n"),
        "{err}"
    );
}

#[test]
fn huge_integers_hit_cpythons_digit_limit() {
    for (src, want) in [
        (&b"print(10 ** 5000)\n"[..], "ValueError: Exceeds the limit (4300 digits) for integer string conversion; use sys.set_int_max_str_digits() to increase the limit\n"),
        (b"x = int('9' * 5000)\n", "ValueError: Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits; use sys.set_int_max_str_digits() to increase the limit\n"),
    ] {
        let path = temp_file("bigint.py", src);
        let out = cpyviz(&["dump", "specialized", path.to_str().unwrap()]);
        assert_no_panic(&out);
        assert_eq!(out.status.code(), Some(1));
        assert!(stderr(&out).ends_with(want), "{}", stderr(&out));
    }
}

#[test]
fn a_snippet_printing_megabytes_is_printed_whole() {
    let path = temp_file(
        "print.py",
        b"for i in range(100000):\n    print('x' * 50)\n",
    );
    let out = cpyviz(&["dump", "specialized", path.to_str().unwrap()]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(out.stdout.starts_with(&[b'x'; 50]));
    assert!(out.stdout.len() > 100_000 * 51);
}

#[test]
fn unbounded_allocation_stops_at_the_memory_limit() {
    let path = temp_file(
        "alloc.py",
        b"x = []\ni = 0\nwhile True:\n    x.append(str(i) * 1000)\n    i += 1\n",
    );
    let out = cpyviz(&[
        "dump",
        "specialized",
        path.to_str().unwrap(),
        "--max-memory",
        "32M",
    ]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("the snippet used more than 32.0 MiB of memory (--max-memory)"),
        "{}",
        stderr(&out)
    );
}

/// A fake interpreter: a shell script in the test's directory.
#[cfg(unix)]
fn fake_python(name: &str, script: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = temp_file(name, format!("#!/bin/sh\n{script}\n").as_bytes());
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[cfg(unix)]
fn live(python: &Path, extra: &[&str]) -> Output {
    let snippet = temp_file("live.py", b"print(1)\n");
    let mut args = vec![
        "dump",
        "bytecode",
        snippet.to_str().unwrap(),
        "--python",
        python.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    cpyviz_within(&args, Duration::from_secs(120))
}

/// Whether a process with `marker` in its command line is running.
#[cfg(target_os = "linux")]
fn running(marker: &str) -> bool {
    std::fs::read_dir("/proc").is_ok_and(|d| {
        d.filter_map(Result::ok).any(|e| {
            std::fs::read(e.path().join("cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(marker))
        })
    })
}

/// As root, whom `RLIMIT_NPROC` does not bind, the live interpreter runs in a pids cgroup of
/// its own where a pids controller is mounted writable: at most 64 processes, and every
/// process of the run is killed when it ends, even one that left the process group. Without
/// one (not root, or no cgroup), a child that calls `setsid` survives, as the README says.
#[cfg(target_os = "linux")]
#[test]
fn the_live_engine_contains_a_run_in_a_pids_cgroup_as_root() {
    // SAFETY: geteuid(2) cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let probe = Path::new("/sys/fs/cgroup/pids").join(format!("probe-{}", std::process::id()));
    let cgroups = root && std::fs::create_dir(&probe).is_ok();
    let _ = std::fs::remove_dir(&probe);
    let marker = format!("1000.{}", std::process::id());
    let python = fake_python(
        "cgroup-python",
        &format!(
            "setsid sleep {marker} < /dev/null > /dev/null 2>&1 &\n\
             grep :pids: /proc/self/cgroup >&2\n\
             echo \"pids.max=$(cat /sys/fs/cgroup/pids$(grep :pids: /proc/self/cgroup | cut -d: -f3)/pids.max)\" >&2\n\
             exit 3"
        ),
    );
    let out = live(&python, &[]);
    assert_no_panic(&out);
    let err = stderr(&out);
    std::thread::sleep(Duration::from_millis(300));
    let survived = running(&marker);
    if survived {
        let _ = Command::new("pkill").args(["-f", &marker]).status();
    }
    if cgroups {
        assert!(err.contains(":pids:/cpyviz-"), "{err}");
        assert!(err.contains("pids.max=64"), "{err}");
        assert!(!survived, "a process of the run outlived it");
        let cgroup = err
            .lines()
            .find_map(|l| l.split(":pids:").nth(1))
            .expect("the cgroup line");
        assert!(
            !Path::new("/sys/fs/cgroup/pids")
                .join(cgroup.trim_start_matches('/'))
                .exists(),
            "the run's cgroup {cgroup} was not removed"
        );
    } else {
        assert!(!err.contains(":pids:/cpyviz-"), "{err}");
        assert!(survived, "without a cgroup a setsid child is not contained");
    }
}

#[cfg(unix)]
#[test]
fn the_live_engine_explains_broken_interpreters() {
    let missing = dir().join("no-such-python");
    let out = live(&missing, &[]);
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no such file"), "{}", stderr(&out));

    let old = fake_python("python-old", "printf '3 8 0'");
    let out = live(&old, &[]);
    assert_no_panic(&out);
    assert!(
        stderr(&out).contains("is Python 3.8; the live engine needs CPython 3.12–3.15"),
        "{}",
        stderr(&out)
    );

    // Answers the version check, then dies of a signal when asked to run the probe.
    let crashing = fake_python(
        "python-crash",
        "case \"$1\" in -c) printf '3 14 0'; exit 0;; esac\necho 'Fatal Python error: Segmentation fault' >&2\nkill -SEGV $$",
    );
    let out = live(&crashing, &[]);
    assert_no_panic(&out);
    assert_ne!(out.status.code(), Some(0));
    let err = stderr(&out);
    assert!(err.contains("ended without a report"), "{err}");
    assert!(
        err.contains("Fatal Python error: Segmentation fault"),
        "{err}"
    );

    let hanging = fake_python(
        "python-hang",
        "case \"$1\" in -c) printf '3 14 0'; exit 0;; esac\nsleep 600",
    );
    let out = live(&hanging, &["--timeout", "1"]);
    assert_no_panic(&out);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("did not finish within 1 s")
            && stderr(&out).contains("it was killed"),
        "{}",
        stderr(&out)
    );

    // The limits: the interpreter runs with its address space bounded.
    let limits = fake_python(
        "python-limits",
        "case \"$1\" in -c) printf '3 14 0'; exit 0;; esac\necho \"AS=$(ulimit -v)\" >&2\nexit 3",
    );
    let out = live(&limits, &[]);
    assert!(stderr(&out).contains("AS=4194304"), "{}", stderr(&out));
}

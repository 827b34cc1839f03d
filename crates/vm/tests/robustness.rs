//! Adversarial snippets in the built-in VM: CPython's limits and messages, and the VM's own
//! limits (steps, depth, memory) ending a run with a message instead of hanging or growing.
//! Regression tests for what fuzzing found live here too.

use cpyviz_model::execution::{Execution, LimitKind, Limits, RunOptions};
use cpyviz_model::source::Source;
use cpyviz_model::version::PyVersion;

fn run(src: &str, limits: Limits) -> Execution {
    let source = Source::from_text("snippet.py", src);
    let code = cpyviz_compiler::compile_source_here(&source, PyVersion::V3_14)
        .expect("the snippet compiles");
    cpyviz_vm::execute(
        &code,
        src,
        PyVersion::V3_14,
        &RunOptions { jit: true, limits },
    )
}

/// The exception line (`Kind: message`) the snippet ends with.
fn error(src: &str) -> String {
    let e = run(src, Limits::default());
    let x = e.run.exception.expect("the snippet raises");
    format!("{}: {}", x.kind, x.msg)
}

#[test]
fn int_from_a_long_string_has_cpythons_digit_limit() {
    // Messages as CPython 3.14 prints them.
    assert_eq!(
        error("int('9' * 5000)"),
        "ValueError: Exceeds the limit (4300 digits) for integer string conversion: value has \
         5000 digits; use sys.set_int_max_str_digits() to increase the limit"
    );
    assert_eq!(
        error("int('-' + '1_0' * 2200)"),
        "ValueError: Exceeds the limit (4300 digits) for integer string conversion: value has \
         4400 digits; use sys.set_int_max_str_digits() to increase the limit"
    );
    // Invalid literals are reported first, their repr cut at 200 characters.
    let msg = error("int('9' * 5000 + 'z')");
    assert_eq!(
        msg,
        format!(
            "ValueError: invalid literal for int() with base 10: '{}",
            "9".repeat(199)
        )
    );
    // Powers of two are not limited; 4300 digits are allowed.
    let e = run(
        "a = int('9' * 4300)\nb = int('f' * 5000, 16)\nc = int('0x' + 'f' * 5000, 0)\n",
        Limits::default(),
    );
    assert!(e.run.exception.is_none(), "{:?}", e.run.exception);
}

#[test]
fn str_of_a_huge_int_is_refused_without_converting_it() {
    let limit = "ValueError: Exceeds the limit (4300 digits) for integer string conversion; \
                 use sys.set_int_max_str_digits() to increase the limit";
    assert_eq!(error("str(10 ** 4300)"), limit);
    // Millions of digits: refused from the size alone (converting would take minutes).
    assert_eq!(error("str(1 << 10_000_000)"), limit);
    let e = run("print(len(str(10 ** 4299)))", Limits::default());
    assert_eq!(e.run.stdout, "4300\n");
}

#[test]
fn an_endless_loop_is_stopped_by_the_step_limit() {
    let e = run(
        "while True:\n    pass\n",
        Limits {
            max_steps: 10_000,
            ..Limits::default()
        },
    );
    let (kind, msg) = e.limit.expect("a limit was hit");
    assert_eq!(kind, LimitKind::Steps);
    assert!(
        msg.contains("ran for more than 10000 bytecode instructions"),
        "{msg}"
    );
}

#[test]
fn unbounded_allocation_is_stopped_by_the_memory_limit() {
    let e = run(
        "x = []\ni = 0\nwhile True:\n    x.append(str(i) * 1000)\n    i += 1\n",
        Limits {
            max_memory: 4 << 20,
            ..Limits::default()
        },
    );
    let (kind, msg) = e.limit.expect("a limit was hit");
    assert_eq!(kind, LimitKind::Memory);
    assert!(msg.contains("used more than 4.0 MiB of memory"), "{msg}");
}

#[test]
fn unbounded_recursion_is_a_recursion_error() {
    let e = run("def f(n):\n    return f(n + 1)\nf(0)\n", Limits::default());
    let x = e.run.exception.expect("the snippet raises");
    assert_eq!(
        format!("{}: {}", x.kind, x.msg),
        "RecursionError: maximum recursion depth exceeded"
    );
}

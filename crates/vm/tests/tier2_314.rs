//! The built-in tier 2 of CPython 3.14 on small cases, each checked against what the reference
//! 3.14 builds for the same file (`PYTHON_JIT=1 stage.py uops`): when a loop gets an executor,
//! what the optimizer does to a global, and when an executor dies.

use cpyviz_model::execution::{Execution, RunOptions};
use cpyviz_model::source::Source;
use cpyviz_model::uops::Executor;
use cpyviz_model::version::PyVersion;

fn run(src: &str, jit: bool) -> Execution {
    let source = Source::from_text("t.py", src);
    let version = PyVersion::V3_14;
    let code =
        cpyviz_compiler::compile_source_here(&source, version).expect("the snippet compiles");
    let run = RunOptions {
        jit,
        ..Default::default()
    };
    let e = cpyviz_vm::execute(&code, src, version, &run);
    assert!(
        e.run.exception.is_none(),
        "{:?}",
        e.run.exception.map(|x| x.traceback)
    );
    e
}

fn names(ex: &Executor) -> Vec<&str> {
    ex.uops.iter().map(|u| u.name.as_str()).collect()
}

#[test]
fn the_4096th_backward_jump_builds_an_executor() {
    let e = run("for i in range(4095):\n    pass\n", true);
    assert!(e.executors.is_empty(), "4095 jumps are not enough");
    let e = run("for i in range(4096):\n    pass\n", true);
    assert_eq!(e.executors.len(), 1);
    let ex = &e.executors[0];
    assert_eq!((ex.qualname.as_str(), ex.offset), ("<module>", 24));
    let n = names(ex);
    assert_eq!(&n[..3], ["_START_EXECUTOR", "_MAKE_WARM", "_SET_IP"]);
    // The loop closes: the trace jumps back to its top; exit stubs follow.
    let end = n
        .iter()
        .position(|u| *u == "_JUMP_TO_TOP")
        .expect("a closed loop");
    assert!(n[end + 1..]
        .iter()
        .all(|u| matches!(*u, "_DEOPT" | "_EXIT_TRACE" | "_ERROR_POP_N")));
}

#[test]
fn with_the_jit_off_there_are_no_executors() {
    let e = run("for i in range(5000):\n    pass\n", false);
    assert!(e.executors.is_empty());
}

const GLOBAL_LOOP: &str = "K = 3\ndef f(n):\n    t = 0\n    for i in range(n):\n        t += K\n    return t\nprint(f(5000))\n";

#[test]
fn a_global_becomes_a_constant_once_the_function_is_checked() {
    let e = run(GLOBAL_LOOP, true);
    assert_eq!(e.executors.len(), 1);
    let ex = &e.executors[0];
    assert_eq!((ex.qualname.as_str(), ex.offset), ("f", 60));
    let n = names(ex);
    let k = n
        .iter()
        .position(|u| *u == "_LOAD_CONST_INLINE_BORROW")
        .expect("K loaded as a constant");
    assert_eq!(n[k - 1], "_CHECK_FUNCTION");
    assert!(!n.contains(&"_LOAD_GLOBAL_MODULE"), "{n:?}");
    // K is a known int now: only the other operand of `+` is guarded.
    assert!(
        n.contains(&"_GUARD_NOS_INT") && !n.contains(&"_GUARD_TOS_INT"),
        "{n:?}"
    );
}

#[test]
fn changing_a_global_the_trace_took_as_a_constant_invalidates_it() {
    let src = format!("{GLOBAL_LOOP}K = 4\nprint(f(10))\n");
    let e = run(&src, true);
    assert_eq!(e.run.stdout, "15000\n40\n");
    assert!(e.executors.is_empty(), "the executor left its code object");
}

#[test]
fn the_trace_before_the_optimizer_is_kept() {
    let e = run(GLOBAL_LOOP, true);
    let ex = &e.executors[0];
    assert!(ex.unoptimized.len() > ex.uops.iter().filter(|u| u.origin.is_some()).count());
    assert!(ex
        .unoptimized
        .iter()
        .any(|u| u.name == "_LOAD_GLOBAL_MODULE"));
    // Every uop of the trace proper says where it came from; the stubs do not.
    for u in &ex.uops {
        let stub = matches!(u.name.as_str(), "_DEOPT" | "_EXIT_TRACE" | "_ERROR_POP_N")
            && u.origin.is_none();
        assert_eq!(u.unoptimized_index.is_none(), stub, "{}", u.name);
    }
}

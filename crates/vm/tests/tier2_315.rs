//! The built-in tier 2 of CPython 3.15 on small cases, each checked against what the reference
//! 3.15 builds for the same file (`PYTHON_JIT=1 stage.py uops`): when a loop or a function
//! gets an executor, what the recording follows (inlined calls, `__init__`'s shim frame), what
//! the optimizer and the register allocator do, side exits that get executors of their own,
//! and when an executor dies.

use cpyviz_model::execution::{Execution, RunOptions};
use cpyviz_model::source::Source;
use cpyviz_model::uops::Executor;
use cpyviz_model::version::PyVersion;

fn run(src: &str, jit: bool) -> Execution {
    let source = Source::from_text("t.py", src);
    let version = PyVersion::V3_15;
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

fn loop_of(n: u32) -> String {
    format!("for i in range({n}):\n    pass\n")
}

const STUBS: [&str; 5] = [
    "_DEOPT",
    "_EXIT_TRACE",
    "_ERROR_POP_N",
    "_DYNAMIC_EXIT",
    "_HANDLE_PENDING_AND_DEOPT",
];

#[test]
fn a_loop_of_4002_iterations_records_a_trace() {
    // 3.15 counts fewer backward jumps than 3.14 before recording the next iteration.
    assert!(run(&loop_of(4001), true).executors.is_empty());
    let e = run(&loop_of(4002), true);
    assert_eq!(e.executors.len(), 1);
    let ex = &e.executors[0];
    assert_eq!((ex.qualname.as_str(), ex.offset), ("<module>", 28));
    let n = names(ex);
    assert_eq!(
        &n[..4],
        [
            "_START_EXECUTOR",
            "_MAKE_WARM",
            "_SET_IP",
            "_CHECK_PERIODIC"
        ]
    );
    // The recorded iteration closes the loop; exit and error stubs follow.
    let end = n
        .iter()
        .position(|u| *u == "_JUMP_TO_TOP")
        .expect("a closed loop");
    assert_eq!(ex.uops[end].target, 1, "back to just after _START_EXECUTOR");
    assert!(n[end + 1..].iter().all(|u| STUBS.contains(u)), "{n:?}");
    // The register allocator spills the cached top of stack before `_STORE_NAME`.
    let store = n
        .iter()
        .position(|u| *u == "_STORE_NAME")
        .expect("the loop variable");
    assert_eq!(n[store - 1], "_SPILL_OR_RELOAD");
}

#[test]
fn with_the_jit_off_there_are_no_executors() {
    assert!(run(&loop_of(5000), false).executors.is_empty());
}

const CALL_LOOP: &str = "def f(x):\n    return x + 1\n\ndef g(n):\n    t = 0\n    for i in range(n):\n        t = f(t)\n    return t\n\nprint(g(20000))\n";

#[test]
fn a_call_is_followed_into_the_callee() {
    let e = run(CALL_LOOP, true);
    assert_eq!(e.run.stdout, "20000\n");
    assert_eq!(e.executors.len(), 1);
    let ex = &e.executors[0];
    assert_eq!((ex.qualname.as_str(), ex.offset), ("g", 60));
    let n = names(ex);
    let push = n
        .iter()
        .position(|u| *u == "_PUSH_FRAME")
        .expect("f is inlined");
    let ret = n
        .iter()
        .position(|u| *u == "_RETURN_VALUE")
        .expect("and returns");
    assert!(push < ret);
    // The function is a known constant: the frame guards after the call and the return
    // are gone, and `f`'s `x + 1` only guards `x`.
    assert!(!n.iter().any(|u| u.starts_with("_GUARD_IP")), "{n:?}");
    assert!(n[push..ret].contains(&"_GUARD_NOS_INT") && !n[push..ret].contains(&"_GUARD_TOS_INT"));
    // `f`'s uops name their own code object and instruction.
    assert!(ex.uops[push + 1..ret]
        .iter()
        .all(|u| u.code_index == Some(1)));
    assert!(ex.uops[..push]
        .iter()
        .filter(|u| u.origin.is_some())
        .all(|u| u.code_index == Some(2)));
}

#[test]
fn a_function_called_often_gets_an_executor_at_its_resume() {
    let src = "class Countdown:\n    def __init__(self, n):\n        self.n = n\n\n    def __iter__(self):\n        return self\n\n    def __next__(self):\n        if self.n <= 0:\n            raise StopIteration\n        self.n -= 1\n        return self.n\n\n\nprint(sum(Countdown(20000)))\n";
    let e = run(src, true);
    assert_eq!(e.run.stdout, "199990000\n");
    assert_eq!(e.executors.len(), 1);
    let ex = &e.executors[0];
    assert_eq!((ex.qualname.as_str(), ex.offset), ("Countdown.__next__", 0));
    let n = names(ex);
    assert_eq!(
        &n[..3],
        ["_START_EXECUTOR", "_MAKE_WARM", "_TIER2_RESUME_CHECK"]
    );
    // `__next__` returns to `sum`, in C: the recording cannot follow and deopts there.
    let end = n
        .iter()
        .position(|u| *u == "_DEOPT")
        .expect("the trace's end");
    assert_eq!(n[end - 1], "_LOAD_FAST_BORROW_0");
}

#[test]
fn init_returns_through_its_shim_frame() {
    let src = "class P:\n    def __init__(self, x):\n        self.x = x\n\nt = 0\nfor i in range(5000):\n    t += P(i).x\nprint(t)\n";
    let e = run(src, true);
    assert_eq!(e.run.stdout, "12497500\n");
    assert_eq!(e.executors.len(), 1);
    let n = names(&e.executors[0]);
    let k = n
        .iter()
        .position(|u| *u == "_EXIT_INIT_CHECK")
        .expect("the shim's check");
    assert_eq!(
        &n[k + 1..k + 6],
        [
            "_CHECK_VALIDITY",
            "_SET_IP",
            "_MAKE_HEAP_SAFE",
            "_RETURN_VALUE",
            "_GUARD_IP_RETURN_VALUE"
        ]
    );
}

#[test]
fn a_hot_branch_exit_gets_an_executor_of_its_own() {
    let src = "def abs(a, b):\n    if a > b:\n        return a - b\n    return b - a\n\n\ntotal = 0\nfor i in range(20_000):\n    total += abs(i, 10_000)\nprint(total)\n";
    let e = run(src, true);
    assert_eq!(e.run.stdout, "100000000\n");
    let at: Vec<(&str, u32)> = e
        .executors
        .iter()
        .map(|x| (x.qualname.as_str(), x.offset))
        .collect();
    // When the branch turns, its guard's exit warms up and records the other path, which
    // starts a chain of its own (a branch does not count towards the chain's depth).
    assert_eq!(at, [("<module>", 70), ("abs", 16)]);
    let n = names(&e.executors[1]);
    assert_eq!(
        &n[..3],
        ["_START_EXECUTOR", "_MAKE_WARM", "_LOAD_FAST_BORROW_0"]
    );
}

const GLOBAL_LOOP: &str = "K = 3\ndef f(n):\n    t = 0\n    for i in range(n):\n        t += K\n    return t\nprint(f(5000))\n";

#[test]
fn a_global_becomes_a_constant_behind_a_globals_version_guard() {
    let e = run(GLOBAL_LOOP, true);
    assert_eq!(e.executors.len(), 1);
    let ex = &e.executors[0];
    assert_eq!((ex.qualname.as_str(), ex.offset), ("f", 64));
    let n = names(ex);
    let k = n
        .iter()
        .position(|u| *u == "_LOAD_CONST_INLINE_BORROW")
        .expect("K as a constant");
    assert_eq!(n[k - 1], "_GUARD_GLOBALS_VERSION");
    assert!(!n.contains(&"_LOAD_GLOBAL_MODULE"), "{n:?}");
    assert!(
        n.contains(&"_GUARD_NOS_INT") && !n.contains(&"_GUARD_TOS_INT"),
        "{n:?}"
    );
}

#[test]
fn changing_a_global_the_trace_took_as_a_constant_invalidates_it() {
    let e = run(&format!("{GLOBAL_LOOP}K = 4\nprint(f(10))\n"), true);
    assert_eq!(e.run.stdout, "15000\n40\n");
    assert!(e.executors.is_empty(), "the executor left its code object");
}

#[test]
fn the_recorded_trace_is_kept() {
    let e = run(GLOBAL_LOOP, true);
    let ex = &e.executors[0];
    assert!(ex
        .unoptimized
        .iter()
        .any(|u| u.name == "_LOAD_GLOBAL_MODULE"));
    assert!(ex.unoptimized.iter().all(|u| !u.name.ends_with("_r01")));
    for u in &ex.uops {
        let stub = STUBS.contains(&u.name.as_str()) && u.origin.is_none();
        let added = stub || u.name == "_SPILL_OR_RELOAD";
        assert_eq!(u.unoptimized_index.is_none(), added, "{}", u.name);
        if let Some(k) = u.unoptimized_index {
            assert!((k as usize) < ex.unoptimized.len());
        }
        // Only the trace's head and the stubs have no instruction of their own.
        if u.origin.is_none() {
            assert!(
                stub || matches!(
                    u.name.as_str(),
                    "_START_EXECUTOR" | "_MAKE_WARM" | "_JUMP_TO_TOP"
                ),
                "{}",
                u.name
            );
        }
    }
}

#[test]
fn an_executor_that_stops_running_stays_while_few_executors_are_made() {
    // 3.15 sweeps cold executors every JIT_CLEANUP_THRESHOLD executors *made* (3.14: runs).
    let src = "t = 0\nfor i in range(5000):\n    t += i\nprint(t)\nu = 0\nfor j in range(200000):\n    u += j\nprint(u)\n";
    let e = run(src, true);
    let at: Vec<u32> = e.executors.iter().map(|x| x.offset).collect();
    assert_eq!(at, [50, 120]);
}

#[test]
fn a_builtin_becomes_a_constant_behind_a_canonical_builtins_guard() {
    // `abs` is a builtin: 3.15 keeps the globals guard (the global could shadow it), checks
    // that the frame's builtins are the interpreter's, and loads the constant with oparg 0.
    let src = "def f(n):\n    t = 0\n    for i in range(n):\n        t += abs(i)\n    return t\nprint(f(5000))\n";
    let e = run(src, true);
    assert_eq!(e.executors.len(), 1);
    let ex = &e.executors[0];
    let n = names(ex);
    let g = n
        .iter()
        .position(|u| *u == "_GUARD_BUILTINS_IS_CANONICAL")
        .expect("the builtins guard");
    assert_eq!(n[g - 1], "_GUARD_GLOBALS_VERSION");
    assert_eq!(
        ex.uops[g - 1].oparg,
        3,
        "LOAD_GLOBAL's oparg (abs: name 1, with NULL)"
    );
    assert_eq!(n[g + 1], "_LOAD_CONST_INLINE");
    assert_eq!((ex.uops[g].oparg, ex.uops[g + 1].oparg), (0, 0));
    assert_eq!(ex.uops[g].target, ex.uops[g - 1].target, "the same exit");
    assert!(!n.contains(&"_LOAD_GLOBAL_BUILTINS"), "{n:?}");
}

#[test]
fn a_property_getter_is_recorded_inline_and_its_frame_knows_self() {
    // `LOAD_ATTR_PROPERTY` pushes the getter's frame in the same evaluation loop: the trace
    // follows it, and the getter's `self` is the owner whose type version the caller guarded.
    let src = "class B:\n    def __init__(self, x):\n        self._x = x\n    @property\n    def x(self):\n        return self._x\ndef f(b, n):\n    t = 0\n    for _ in range(n):\n        t += b.x\n    return t\nprint(f(B(3), 20000))\n";
    let e = run(src, true);
    assert_eq!(e.run.stdout, "60000\n");
    assert_eq!(e.executors.len(), 1, "no executor of the getter's own");
    let ex = &e.executors[0];
    assert_eq!(ex.qualname, "f");
    let n = names(ex);
    let p = n
        .iter()
        .position(|u| *u == "_LOAD_ATTR_PROPERTY_FRAME")
        .expect("the property's frame");
    let r = p + n[p..]
        .iter()
        .position(|u| *u == "_TIER2_RESUME_CHECK")
        .expect("the getter's resume");
    assert_eq!(
        &n[r..r + 6],
        [
            "_TIER2_RESUME_CHECK",
            "_LOAD_FAST_BORROW_0",
            "_CHECK_MANAGED_OBJECT_HAS_VALUES",
            "_LOAD_ATTR_INSTANCE_VALUE",
            "_POP_TOP_NOP",
            "_SET_IP"
        ],
        "{n:?}"
    );
    assert_eq!(
        n.iter().filter(|u| **u == "_GUARD_TYPE_VERSION").count(),
        1,
        "the getter's guard on self is known to hold"
    );
    assert!(!n.contains(&"_GUARD_IP_RETURN_VALUE"), "{n:?}");
}

#[test]
fn a_generator_resumed_by_for_gets_a_frame_the_optimizer_follows() {
    // `FOR_ITER_GEN` records the generator's function while it is suspended; the optimizer
    // makes the generator's frame with `None` (what `for` sends) on its stack, and goes on
    // optimizing inside it.
    let src = "def countdown(n):\n    while n > 0:\n        yield n\n        n -= 1\nt = 0\nfor v in countdown(5000):\n    t += v\nprint(t)\n";
    let e = run(src, true);
    let ex = e
        .executors
        .iter()
        .find(|x| x.qualname == "<module>")
        .expect("the loop's executor");
    let n = names(ex);
    let f = n
        .iter()
        .position(|u| *u == "_FOR_ITER_GEN_FRAME")
        .expect("the generator's frame");
    let r = f + n[f..]
        .iter()
        .position(|u| *u == "_TIER2_RESUME_CHECK")
        .expect("the generator resumes");
    assert_eq!(n[r + 1], "_POP_TOP_NOP", "the sent None: {n:?}");
    assert!(!n.contains(&"_LOAD_SMALL_INT_1"), "constants inside: {n:?}");
    assert!(n.contains(&"_YIELD_VALUE"), "{n:?}");
    assert!(!n.contains(&"_GUARD_IP_YIELD_VALUE"), "{n:?}");
}

#[test]
fn the_isinstance_guard_knows_its_callable_and_the_optimizer_goes_on() {
    // `_GUARD_CALLABLE_ISINSTANCE` makes the callable the builtin `isinstance` (its own case:
    // the optimizer does not stop there), so the `bool` result needs no `_TO_BOOL_BOOL` and
    // the constant after it is inlined.
    let src =
        "t = 0\nfor i in range(5000):\n    if isinstance(i, int):\n        t += 1\nprint(t)\n";
    let e = run(src, true);
    assert_eq!(e.run.stdout, "5000\n");
    let ex = &e.executors[0];
    let n = names(ex);
    let c = n
        .iter()
        .position(|u| *u == "_CALL_ISINSTANCE")
        .expect("the call");
    assert_eq!(n[c - 1], "_GUARD_CALLABLE_ISINSTANCE", "{n:?}");
    assert!(!n.contains(&"_TO_BOOL_BOOL"), "{n:?}");
    assert!(!n[c..].contains(&"_LOAD_SMALL_INT_1"), "{n:?}");
}

//! The specializer's decisions on small cases, each checked against what the reference
//! CPythons do with the same code (run there with `dis.get_instructions(f, adaptive=True)`
//! after the same calls; the expected forms below are what they printed).

use cpyviz_model::bytecode::CodeObject;
use cpyviz_model::execution::RunOptions;
use cpyviz_model::source::Source;
use cpyviz_model::version::PyVersion;

/// Runs `src` and returns the forms of the instructions of function `f` whose names start
/// with `prefix`, in order.
fn forms(src: &str, version: PyVersion, f: &str, prefix: &str) -> Vec<String> {
    let source = Source::from_text("t.py", src);
    let code =
        cpyviz_compiler::compile_source_here(&source, version).expect("the snippet compiles");
    let run = RunOptions {
        jit: false,
        ..Default::default()
    };
    let e = cpyviz_vm::execute(&code, src, version, &run);
    assert!(
        e.run.exception.is_none(),
        "{:?}",
        e.run.exception.map(|x| x.traceback)
    );
    fn find<'a>(c: &'a CodeObject, name: &str) -> Option<&'a CodeObject> {
        if c.name == name {
            return Some(c);
        }
        c.children.iter().find_map(|k| find(k, name))
    }
    find(&e.specialized, f)
        .expect("the function")
        .instructions
        .iter()
        .filter(|i| i.opname.starts_with(prefix))
        .map(|i| i.opname.clone())
        .collect()
}

const BOTH: [PyVersion; 2] = [PyVersion::V3_14, PyVersion::V3_15];

#[test]
fn attribute_stores_follow_inline_values_and_shared_keys() {
    // `__init__`'s store specializes only once the class's shared keys hold the name: an
    // Animal's `name` is there from the start (its `__static_attributes__`), a Dog's only
    // after the first Dog. The second call (a Dog) fails, and the backoff outlasts the rest.
    let src = "class Animal:\n    def __init__(self, name):\n        self.name = name\nclass Dog(Animal):\n    pass\nclass Puppy(Dog):\n    pass\nfor c, n in [(Animal, 'a'), (Dog, 'b'), (Puppy, 'c'), (Puppy, 'd')]:\n    c(n)\n";
    for v in BOTH {
        assert_eq!(forms(src, v, "__init__", "STORE_ATTR"), ["STORE_ATTR"]);
    }
}

#[test]
fn a_materialized_dict_stops_inline_specialization() {
    let src = "class A:\n    def __init__(self):\n        self.x = 1\ndef st(o):\n    o.x = 2\ndef ld(o):\n    return o.x\na = A()\na.__dict__\nfor _ in range(10):\n    st(a)\n    ld(a)\nclass B:\n    pass\ndef st2(o):\n    o.y = 2\ndef ld2(o):\n    return o.y\nb = B()\nb.y = 0\nfor _ in range(10):\n    st2(b)\n    ld2(b)\n";
    for v in BOTH {
        assert_eq!(forms(src, v, "st", "STORE_ATTR"), ["STORE_ATTR"]);
        assert_eq!(forms(src, v, "ld", "LOAD_ATTR"), ["LOAD_ATTR"]);
        assert_eq!(
            forms(src, v, "st2", "STORE_ATTR"),
            ["STORE_ATTR_INSTANCE_VALUE"]
        );
        assert_eq!(
            forms(src, v, "ld2", "LOAD_ATTR"),
            ["LOAD_ATTR_INSTANCE_VALUE"]
        );
    }
}

#[test]
fn instances_of_variable_size_bases_and_exceptions_keep_generic_attribute_access() {
    for (base, store) in [
        ("int", "STORE_ATTR"),
        ("tuple", "STORE_ATTR"),
        ("Exception", "STORE_ATTR"),
        ("list", "STORE_ATTR_INSTANCE_VALUE"),
        ("float", "STORE_ATTR_INSTANCE_VALUE"),
        ("frozenset", "STORE_ATTR_INSTANCE_VALUE"),
    ] {
        let src = format!(
            "class C({base}):\n    pass\ndef st(o):\n    o.y = 2\no = C()\no.y = 0\nfor _ in range(10):\n    st(o)\n"
        );
        for v in BOTH {
            assert_eq!(forms(&src, v, "st", "STORE_ATTR"), [store], "{base} {v:?}");
        }
    }
}

#[test]
fn binary_op_extend_per_version() {
    // `x += 1` on a float: 3.14 has no in-place float/int entry, 3.15 does.
    let src =
        "def f(a, b):\n    x = a\n    x += b\n    return x\nfor _ in range(3):\n    f(1.5, 2)\n";
    assert_eq!(
        forms(src, PyVersion::V3_14, "f", "BINARY_OP"),
        ["BINARY_OP"]
    );
    assert_eq!(
        forms(src, PyVersion::V3_15, "f", "BINARY_OP"),
        ["BINARY_OP_EXTEND"]
    );
    // A big int is an int to 3.14's BINARY_OP_ADD_INT, not to 3.15's (compact only).
    let big = "def f(a, b):\n    return a + b\nfor _ in range(3):\n    f(1 << 40, 2)\n";
    assert_eq!(
        forms(big, PyVersion::V3_14, "f", "BINARY_OP"),
        ["BINARY_OP_ADD_INT"]
    );
    assert_eq!(
        forms(big, PyVersion::V3_15, "f", "BINARY_OP"),
        ["BINARY_OP"]
    );
    // Sequences: only 3.15.
    let seq = "def f(a, b):\n    return a * b\nfor _ in range(3):\n    f('ab', 3)\n";
    assert_eq!(
        forms(seq, PyVersion::V3_14, "f", "BINARY_OP"),
        ["BINARY_OP"]
    );
    assert_eq!(
        forms(seq, PyVersion::V3_15, "f", "BINARY_OP"),
        ["BINARY_OP_EXTEND"]
    );
}

#[test]
fn iteration_in_place_in_315() {
    let src = "def f(x):\n    for i in x:\n        pass\nf([1, 2, 3, 4])\n";
    assert_eq!(
        forms(src, PyVersion::V3_15, "f", "FOR_ITER"),
        ["FOR_ITER_LIST"],
        "one generic GET_ITER leaves the list in place"
    );
    let it = "def f(x):\n    for i in x:\n        pass\nfor _ in range(5):\n    f(iter([1, 2]))\n";
    assert_eq!(
        forms(it, PyVersion::V3_15, "f", "GET_ITER"),
        ["GET_ITER_SELF"]
    );
    assert_eq!(forms(it, PyVersion::V3_15, "f", "FOR_ITER"), ["FOR_ITER"]);
    assert_eq!(
        forms(it, PyVersion::V3_14, "f", "FOR_ITER"),
        ["FOR_ITER_LIST"]
    );
    let s = "def f(x):\n    for i in x:\n        pass\nfor _ in range(5):\n    f('abc')\n";
    assert_eq!(
        forms(s, PyVersion::V3_15, "f", "GET_ITER"),
        ["GET_ITER_VIRTUAL"]
    );
    assert_eq!(
        forms(s, PyVersion::V3_15, "f", "FOR_ITER"),
        ["FOR_ITER_VIRTUAL"]
    );
}

#[test]
fn call_function_ex_specializes_in_315() {
    let src = "def pf(*a, **k):\n    return 1\ndef call(f, a, k):\n    return f(*a, **k)\nfor _ in range(5):\n    call(pf, (1,), {})\n";
    assert_eq!(forms(src, PyVersion::V3_15, "call", "CALL"), ["CALL_EX_PY"]);
    assert_eq!(
        forms(src, PyVersion::V3_14, "call", "CALL"),
        ["CALL_FUNCTION_EX"]
    );
    let b = src
        .replace("call(pf,", "call(max,")
        .replace("(1,)", "(1, 2)");
    assert_eq!(
        forms(&b, PyVersion::V3_15, "call", "CALL"),
        ["CALL_EX_NON_PY_GENERAL"]
    );
}

#[test]
fn load_const_mortality_in_314() {
    // A name-like string constant is immortal when it is also a name somewhere (here the
    // class name), or was immortal before the snippet ran ('abc': a module name).
    let src = "class Point:\n    pass\ndef f():\n    return ('Point', 'Zq9k', 'abc', 'utf-8', 'x')\nf()\n";
    assert_eq!(
        forms(src, PyVersion::V3_14, "f", "LOAD_CONST"),
        ["LOAD_CONST_MORTAL"],
        "the tuple constant is one LOAD_CONST"
    );
    let each = "class Point:\n    pass\ndef f():\n    a = 'Point'\n    b = 'Zq9k'\n    c = 'abc'\n    d = 'utf-8'\n    e = 'x'\nf()\n";
    assert_eq!(
        forms(each, PyVersion::V3_14, "f", "LOAD_CONST"),
        [
            "LOAD_CONST_IMMORTAL",
            "LOAD_CONST_MORTAL",
            "LOAD_CONST_IMMORTAL",
            "LOAD_CONST_MORTAL",
            "LOAD_CONST_IMMORTAL",
            // The implicit `return None`.
            "LOAD_CONST_IMMORTAL"
        ]
    );
}

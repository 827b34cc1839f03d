//! The library modules: what snippets get from them (checked against what the reference
//! CPythons print), and how calls to them specialize (C functions vs Python functions).

use cpyviz_model::bytecode::CodeObject;
use cpyviz_model::execution::{Execution, RunOptions};
use cpyviz_model::source::Source;
use cpyviz_model::version::PyVersion;

fn run_version(src: &str, version: PyVersion) -> Execution {
    let source = Source::from_text("snippet.py", src);
    let code =
        cpyviz_compiler::compile_source_here(&source, version).expect("the snippet compiles");
    cpyviz_vm::execute(&code, src, version, &RunOptions::default())
}

/// The snippet's stdout under both profiles (which must agree), failing on a traceback.
fn out(src: &str) -> String {
    let mut outs = Vec::new();
    for v in PyVersion::ALL {
        let e = run_version(src, v);
        assert!(
            e.run.exception.is_none(),
            "{v:?}: {}",
            e.run.exception.map(|x| x.traceback).unwrap_or_default()
        );
        outs.push(e.run.stdout);
    }
    assert_eq!(outs[0], outs[1], "3.14 and 3.15 differ");
    outs.remove(0)
}

/// The exception line (`Kind: message`) the snippet ends with.
fn error(src: &str) -> String {
    let e = run_version(src, PyVersion::V3_15);
    let x = e.run.exception.expect("the snippet raises");
    format!("{}: {}", x.kind, x.msg)
}

fn find<'a>(code: &'a CodeObject, name: &str) -> Option<&'a CodeObject> {
    if code.name == name {
        return Some(code);
    }
    code.children.iter().find_map(|c| find(c, name))
}

/// The specialized `CALL*` forms in function `f` after the snippet ran.
fn calls(src: &str, f: &str) -> Vec<String> {
    let e = run_version(src, PyVersion::V3_15);
    assert!(
        e.run.exception.is_none(),
        "{:?}",
        e.run.exception.map(|x| x.traceback)
    );
    let code = find(&e.specialized, f).expect("the function's code object");
    code.instructions
        .iter()
        .filter(|i| i.opname.starts_with("CALL") && i.opname != "CALL_INTRINSIC_1")
        .map(|i| i.opname.clone())
        .collect()
}

#[test]
fn itertools_results() {
    let src = r#"
import itertools as it
print(list(it.product("ab", repeat=2)))
print(list(it.permutations(range(3), 2)))
print(list(it.combinations_with_replacement("xy", 2)))
print([(k, len(list(g))) for k, g in it.groupby("aaabccdd")])
print(list(it.islice(it.count(10, 5), 3)), list(it.islice("abcdefg", 1, None, 3)))
print(list(it.accumulate([1, 2, 3], initial=100)), list(it.zip_longest("ab", "x", fillvalue="-")))
print(list(it.batched(range(5), 2)), list(it.pairwise([1, 2, 3])), list(it.chain.from_iterable(["ab", [1]])))
a, b = it.tee(iter([1, 2, 3]))
print(next(a), list(b), list(a), repr(it.count(3)), repr(it.repeat("x", 2)))
"#;
    assert_eq!(
        out(src),
        "[('a', 'a'), ('a', 'b'), ('b', 'a'), ('b', 'b')]\n\
         [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1)]\n\
         [('x', 'x'), ('x', 'y'), ('y', 'y')]\n\
         [('a', 3), ('b', 1), ('c', 2), ('d', 2)]\n\
         [10, 15, 20] ['b', 'e']\n\
         [100, 101, 103, 106] [('a', 'x'), ('b', '-')]\n\
         [(0, 1), (2, 3), (4,)] [(1, 2), (2, 3)] ['a', 'b', 1]\n\
         1 [1, 2, 3] [2, 3] count(3) repeat('x', 2)\n"
    );
}

#[test]
fn counter_and_friends() {
    let src = r#"
from collections import Counter, deque, OrderedDict, defaultdict, namedtuple
c = Counter("mississippi")
print(c.most_common(2), c.most_common()[-1], c)
q = deque([1, 2, 3], maxlen=3)
q.append(4)
q.appendleft(0)
print(q, len(q), q.pop(), q.maxlen)
od = OrderedDict(a=1, b=2)
od.move_to_end("a")
print(od, od == OrderedDict(b=2, a=1), od == OrderedDict(a=1, b=2))
d = defaultdict(list)
d["k"].append(1)
print(d)
P = namedtuple("P", "x y", defaults=[0])
print(P(1), P(1, 2)._asdict(), P._fields)
"#;
    assert_eq!(
        out(src),
        "[('i', 4), ('s', 4)] ('m', 1) Counter({'i': 4, 's': 4, 'p': 2, 'm': 1})\n\
         deque([0, 2], maxlen=3) 3 3 3\n\
         OrderedDict({'b': 2, 'a': 1}) True False\n\
         defaultdict(<class 'list'>, {'k': [1]})\n\
         P(x=1, y=0) {'x': 1, 'y': 2} ('x', 'y')\n"
    );
}

#[test]
fn json_formatting() {
    let src = r#"
import json
print(json.dumps({"b": [1, 2.5, None], "a": True}))
print(json.dumps({"b": 1, "a": {"c": []}}, indent=2, sort_keys=True))
print(json.dumps([1, "é"], separators=(",", ":")), json.dumps("é", ensure_ascii=False))
print(json.loads('{"x": [1, -2.5e3, "\\u00e9", false]}'))
try:
    json.loads("[1, 2")
except json.JSONDecodeError as e:
    print(e)
"#;
    assert_eq!(
        out(src),
        "{\"b\": [1, 2.5, null], \"a\": true}\n\
         {\n  \"a\": {\n    \"c\": []\n  },\n  \"b\": 1\n}\n\
         [1,\"\\u00e9\"] \"é\"\n\
         {'x': [1, -2500.0, 'é', False]}\n\
         Expecting ',' delimiter: line 1 column 6 (char 5)\n"
    );
}

#[test]
fn math_values_and_errors() {
    assert_eq!(
        out("import math\nprint(math.sqrt(16), math.isqrt(17), math.factorial(20), math.gcd(12, 18, 8), math.hypot(3, 4), math.fsum([0.1] * 10), math.comb(10, 3), math.floor(-2.5), math.log(8, 2))\n"),
        "4.0 4 2432902008176640000 2 5.0 1.0 120 -3 3.0\n"
    );
    assert_eq!(
        error("import math\nmath.sqrt(-1)\n"),
        "ValueError: expected a nonnegative input, got -1.0"
    );
    assert_eq!(
        error("import math\nmath.pow(0, -1)\n"),
        "ValueError: math domain error"
    );
    assert_eq!(
        error("import math\nmath.sqrt(1, 2)\n"),
        "TypeError: math.sqrt() takes exactly one argument (2 given)"
    );
    assert_eq!(
        error("import functools\nfunctools.reduce(max, [])\n"),
        "TypeError: reduce() of empty iterable with no initial value"
    );
}

#[test]
fn abstract_classes() {
    let src = r#"
from abc import ABC, abstractmethod
from collections.abc import Sequence, Mapping, Iterable, Hashable
class Shape(ABC):
    @abstractmethod
    def area(self): ...
class Bag:
    def __iter__(self): return iter([])
print(isinstance([], Sequence), isinstance({}, Sequence), isinstance({}, Mapping))
print(isinstance(Bag(), Iterable), isinstance([], Hashable), issubclass(str, Hashable))
"#;
    assert_eq!(out(src), "True False True\nTrue False True\n");
    assert_eq!(
        error("from abc import ABC, abstractmethod\nclass S(ABC):\n    @abstractmethod\n    def b(self): ...\n    @abstractmethod\n    def a(self): ...\nS()\n"),
        "TypeError: Can't instantiate abstract class S without an implementation for abstract methods 'a', 'b'"
    );
}

#[test]
fn decorators_keep_names() {
    let src = r#"
from functools import wraps, lru_cache, partial
def deco(f):
    @wraps(f)
    def wrapper(*a):
        return f(*a)
    return wrapper
@deco
def hello():
    "doc"
@lru_cache(maxsize=None)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)
print(hello.__name__, hello.__doc__, hello.__wrapped__.__qualname__, fib(30), fib.__name__)
print(fib.cache_info(), partial(max, 1))
"#;
    assert_eq!(
        out(src),
        "hello doc hello 832040 fib\n\
         CacheInfo(hits=28, misses=31, maxsize=None, currsize=31) functools.partial(<built-in function max>, 1)\n"
    );
}

#[test]
fn sys_and_refused_modules() {
    assert_eq!(
        out("import sys\nsys.stdout.write('hi\\n')\nprint(sys.maxsize, sys.argv, sys.version_info[0])\n"),
        "hi\n9223372036854775807 ['snippet.py'] 3\n"
    );
    for m in [
        "os",
        "io",
        "time",
        "random",
        "socket",
        "subprocess",
        "pathlib",
    ] {
        assert_eq!(
            error(&format!("import {m}\n")),
            format!("ModuleNotFoundError: No module named '{m}'")
        );
    }
}

/// What decides specialization: C functions are `CALL_BUILTIN_*` / method descriptors,
/// Python functions `CALL_PY_*`, C objects called through `CALL_NON_PY_GENERAL`.
#[test]
fn calls_specialize_by_implementation() {
    let src = r#"
import math, operator, functools, string, itertools
from collections import Counter, deque
def f():
    c = Counter("abc")
    d = deque()
    p = functools.partial(operator.add, 1)
    for i in range(40):
        math.sqrt(i)
        operator.mul(i, 2)
        functools.reduce(operator.add, [i, 1])
        string.capwords("a b")
        c.most_common(1)
        d.append(i)
        p(i)
f()
"#;
    assert_eq!(
        calls(src, "f"),
        [
            // Run once: not specialized.
            "CALL",
            "CALL",
            "CALL",
            "CALL",
            "CALL_BUILTIN_O",
            "CALL_BUILTIN_FAST",
            "CALL_BUILTIN_FAST_WITH_KEYWORDS",
            "CALL_PY_GENERAL",
            "CALL_PY_EXACT_ARGS",
            "CALL_METHOD_DESCRIPTOR_O",
            "CALL_NON_PY_GENERAL",
        ]
    );
}

#[test]
fn dataclasses_generate_real_methods() {
    let src = r#"
from dataclasses import dataclass, field, asdict
@dataclass(order=True)
class P:
    x: int
    y: int = 0
    tags: list = field(default_factory=list)
print(P(1), P(1) == P(1), P(1) < P(2), asdict(P(1, 2)), P.__init__.__qualname__)
"#;
    assert_eq!(
        out(src),
        "P(x=1, y=0, tags=[]) True True {'x': 1, 'y': 2, 'tags': []} P.__init__\n"
    );
    // The generated __init__ takes the fields as parameters, as CPython's does.
    let src = r#"
from dataclasses import dataclass
@dataclass
class P:
    x: int
    y: int = 0
def f():
    for i in range(40):
        P(i, i)
f()
"#;
    assert_eq!(calls(src, "f"), ["CALL", "CALL_ALLOC_AND_ENTER_INIT"]);
}

#[test]
fn enums_heaps_and_copies() {
    let src = r#"
from enum import Enum, IntEnum, auto
import heapq, bisect, copy
class Color(Enum):
    RED = 1
    GREEN = auto()
class Num(IntEnum):
    ONE = 1
print(Color.RED, repr(Color.GREEN), Color(1).name, list(Color), Color["GREEN"].value, Color, Num.ONE + 1, str(Num.ONE))
h = []
for x in [5, 1, 8, 3, 9, 2]:
    heapq.heappush(h, x)
print(h, heapq.heappop(h), heapq.nlargest(2, h), bisect.bisect_left([1, 2, 4], 3))
a = {"k": [1]}
b = copy.deepcopy(a)
a["k"].append(2)
print(b)
"#;
    assert_eq!(
        out(src),
        "Color.RED <Color.GREEN: 2> RED [<Color.RED: 1>, <Color.GREEN: 2>] 2 <enum 'Color'> 2 1\n\
         [2, 3, 8, 5, 9] 1 [9, 8] 2\n\
         {'k': [1]}\n"
    );
}

/// The Python functions have CPython's signatures (what `CALL_PY_EXACT_ARGS` checks):
/// argument counts and `*args`/`**kwargs` flags, as the reference interpreters report them.
#[test]
fn python_functions_have_cpythons_signatures() {
    let src = r#"
import functools, collections, string, json, abc
def sig(f):
    c = f.__code__
    return (c.co_argcount, c.co_posonlyargcount, c.co_kwonlyargcount, c.co_flags & 0xc)
for f in [functools.wraps, functools.update_wrapper, functools.lru_cache, functools.cache,
          functools.total_ordering, collections.namedtuple, collections.Counter.most_common,
          collections.Counter.__init__, collections.Counter.update, string.capwords,
          json.dumps, abc.abstractmethod, abc.ABCMeta.__new__]:
    print(f.__qualname__, sig(f))
"#;
    assert_eq!(
        out(src),
        "wraps (3, 0, 0, 0)\n\
         update_wrapper (4, 0, 0, 0)\n\
         lru_cache (2, 0, 0, 0)\n\
         cache (1, 1, 0, 0)\n\
         total_ordering (1, 0, 0, 0)\n\
         namedtuple (2, 0, 3, 0)\n\
         Counter.most_common (2, 0, 0, 0)\n\
         Counter.__init__ (2, 2, 0, 8)\n\
         Counter.update (2, 2, 0, 8)\n\
         capwords (2, 0, 0, 0)\n\
         dumps (1, 0, 9, 8)\n\
         abstractmethod (1, 0, 0, 0)\n\
         ABCMeta.__new__ (4, 4, 0, 8)\n"
    );
}

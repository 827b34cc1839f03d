//! A run's heap is freed when the run ends, reference cycles included: a viewer session
//! that recomputes a snippet hundreds of times (`--watch`, the warm-up scrubber) must not
//! grow. This binary counts every byte the process allocates and frees.

use cpyviz_model::execution::{Limits, RunOptions};
use cpyviz_model::source::Source;
use cpyviz_model::version::PyVersion;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

/// The system allocator, counting the bytes in use.
struct Counting;

static IN_USE: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        IN_USE.fetch_add(layout.size() as isize, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        IN_USE.fetch_sub(layout.size() as isize, Ordering::SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Snippets whose objects reference each other in cycles.
const CYCLES: &[&str] = &[
    // A function and the module namespace that holds it.
    "def f():\n    return 1\nf()\n",
    // A class (its MRO holds it), a method, an instance pointing at itself.
    "class A:\n    def m(self):\n        self.me = self\n        return self\nA().m()\n",
    // A list and a dict that contain themselves.
    "l = []\nl.append(l)\nd = {}\nd['d'] = d\n",
    // A closure cell holding its own function.
    "def outer():\n    def inner():\n        return inner\n    return inner\nouter()()\n",
    // A generator sent itself; an exception whose traceback's frame holds it.
    "def g():\n    x = yield\n    yield x\nit = g()\nnext(it)\nit.send(it)\n\
     try:\n    1/0\nexcept ZeroDivisionError as e:\n    err = e\n",
    // A run that ends in an uncaught exception.
    "class B:\n    pass\nB.b = B\nraise ValueError(B)\n",
];

fn bytes_kept_by(src: &str, version: PyVersion, runs: usize) -> isize {
    let source = Source::from_text("snippet.py", src);
    let code = cpyviz_compiler::compile_source_here(&source, version).expect("compiles");
    let opts = RunOptions {
        jit: true,
        limits: Limits::default(),
    };
    // The first run fills the process's lazily built tables (opcode tables and the like).
    drop(cpyviz_vm::execute(&code, src, version, &opts));
    let before = IN_USE.load(Ordering::SeqCst);
    for _ in 0..runs {
        drop(cpyviz_vm::execute(&code, src, version, &opts));
    }
    IN_USE.load(Ordering::SeqCst) - before
}

#[test]
fn runs_free_their_whole_heap_cycles_included() {
    for version in [PyVersion::V3_14, PyVersion::V3_15] {
        for src in CYCLES {
            let kept = bytes_kept_by(src, version, 5);
            assert!(
                kept <= 0,
                "{version:?}: five runs of {src:?} kept {kept} bytes allocated"
            );
        }
    }
}

//! Stage 4 of the built-in engine — a model of CPython's tier-1 interpreter.
//!
//! ```text
//! CodeObject ──code::CodeRt::new──▶ instructions + adaptive slots ──eval──▶ run (stdout, exception)
//!                                                         └──specialize──▶ forms, counters, history
//! ```
//!
//! [`execute`] runs the built-in compiler's module code object as `__main__` with Python's
//! semantics (objects in [`value`], made by [`alloc`], typed by [`types`]) and, at every
//! execution of an instruction that has an inline cache, lets [`specialize`] play CPython's
//! specializing adaptive interpreter (PEP 659) for the version profile: backoff counters,
//! the specialization decision of each family, misses and deoptimization. What it returns is
//! the model's [`Execution`]: the program's output as `python FILE` prints it, the code
//! objects as `dis.dis(code, adaptive=True)` shows them afterwards, and each instruction's
//! history for the viewer's scrubber.
//!
//! The snippet has no access to files, the network, the environment or the clock: `open`,
//! `input` and the modules that would reach them do not exist here. Runs are bounded by
//! [`Limits`] (steps, recursion depth, memory).

pub mod alloc;
pub mod builtins;
pub mod call;
pub mod code;
pub mod dict;
pub mod eval;
pub mod exc;
pub mod frame;
pub mod immortal_strings;
pub mod methods;
pub mod modules;
pub mod natives;
pub mod num;
pub mod ops;
pub mod set;
pub mod settable;
pub mod specialize;
pub mod suggestions;
pub mod surrogates;
pub mod tier2;
pub mod traceback;
pub mod types;
pub mod value;

use code::CodeRt;
use cpyviz_model::bytecode::CodeObject;
use cpyviz_model::execution::{Execution, LimitKind, Limits, RunOptions};
use cpyviz_model::version::PyVersion;
use std::collections::HashMap;
use std::rc::Rc;
use value::{ObjRef, Value};

/// Why evaluation stopped early: a Python exception (catchable), or a limit (not catchable).
#[derive(Clone)]
pub enum Flow {
    Exc(Value),
    Stop(LimitKind, String),
}

/// The result of every VM operation.
pub type PyResult<T = Value> = Result<T, Flow>;

/// The interpreter state of one run.
pub struct Vm {
    pub version: PyVersion,
    /// The minor version (14, 15): for the few behaviours that are not data.
    pub minor: u32,
    pub jit: bool,
    pub limits: Limits,
    /// What the snippet printed to `sys.stdout` / `sys.stderr`.
    pub out: String,
    pub err: String,
    /// Instructions executed so far.
    pub steps: u64,
    /// Python frames on the stack.
    pub depth: u32,
    /// The `builtins` module's namespace.
    pub builtins: ObjRef,
    /// `sys.modules`.
    pub modules: HashMap<String, Value>,
    /// The exceptions being handled (`sys.exc_info()` is the last).
    pub exc_stack: Vec<Value>,
    /// An estimate of the bytes allocated by big containers (the memory limit).
    pub memory: u64,
    /// The snippet's source (traceback lines).
    pub source_text: Rc<str>,
    /// Every name of the snippet's code objects (`co_names`, `co_localsplusnames`): CPython
    /// interns them immortal when it makes the code objects.
    pub code_names: std::collections::HashSet<Rc<str>>,
    /// What C functions may ask of the Python frames being run, innermost last (the
    /// thread state's frame chain: `globals()`, `super()`).
    pub frames: Vec<frame::FrameRef>,
    /// The snippet's file name (`sys.argv[0]`).
    pub source_file: Rc<str>,
    /// Tier 2: traces, executors and the shadow of their execution (JIT on).
    pub tier2: tier2::Tier2,
}

impl Vm {
    /// A VM with the builtins installed.
    pub fn new(version: PyVersion, options: &RunOptions) -> Vm {
        let minor = version.profile().version_info.1;
        let mut vm = Vm {
            version,
            minor,
            jit: options.jit,
            limits: options.limits,
            out: String::new(),
            err: String::new(),
            steps: 0,
            depth: 0,
            builtins: match alloc::dict(dict::Dict::new()) {
                Value::Obj(o) => o,
                _ => unreachable!("alloc::dict makes an object"),
            },
            modules: HashMap::new(),
            exc_stack: Vec::new(),
            memory: 0,
            source_text: Rc::from(""),
            code_names: Default::default(),
            frames: Vec::new(),
            source_file: Rc::from(""),
            tier2: tier2::Tier2::new(version, options.jit),
        };
        builtins::install(&mut vm);
        methods::install(&mut vm);
        vm
    }

    /// A new exception of the builtin class `kind` with one message argument.
    pub fn exc(&self, kind: &str, msg: impl Into<String>) -> Flow {
        Flow::Exc(exc::new(kind, vec![alloc::string(msg.into())]))
    }

    pub fn type_error(&self, msg: impl Into<String>) -> Flow {
        self.exc("TypeError", msg)
    }

    pub fn value_error(&self, msg: impl Into<String>) -> Flow {
        self.exc("ValueError", msg)
    }

    pub fn attr_error(&self, msg: impl Into<String>) -> Flow {
        self.exc("AttributeError", msg)
    }

    pub fn index_error(&self, msg: impl Into<String>) -> Flow {
        self.exc("IndexError", msg)
    }

    /// `KeyError(key)`.
    pub fn key_error(&self, key: Value) -> Flow {
        Flow::Exc(exc::new("KeyError", vec![key]))
    }

    /// The name of `v`'s type, as error messages print it (`tp_name`: a library type's is
    /// dotted, `collections.deque`).
    pub fn type_name(&self, v: &Value) -> Rc<str> {
        let t = alloc::types().of(v);
        let td = types::tdata(&t);
        let module = td.module.borrow().clone();
        if td.builtin && !matches!(&*module, "builtins" | "string.templatelib") {
            return Rc::from(format!("{module}.{}", td.name.borrow()));
        }
        types::type_name(&t)
    }

    /// Counts `n` steps of work done natively (an `itertools` item, a big product) against
    /// the step limit, so loops that never return to the interpreter stay bounded.
    pub fn tick(&mut self, n: u64) -> PyResult<()> {
        self.steps = self.steps.saturating_add(n);
        if self.steps > self.limits.max_steps {
            return Err(eval::stop_steps(self));
        }
        Ok(())
    }

    /// Writes `text` to the snippet's `sys.stdout` (or `sys.stderr`), as their UTF-8 text
    /// streams encode it: a lone surrogate is an error on stdout (`strict`) and an escape on
    /// stderr (`backslashreplace`).
    pub fn write_text(&mut self, to_err: bool, text: &str) -> PyResult<()> {
        self.charge(text.len() as u64)?;
        if !surrogates::has_surrogates(text) {
            if to_err {
                self.err.push_str(text);
            } else {
                self.out.push_str(text);
            }
            return Ok(());
        }
        let errors = if to_err { "backslashreplace" } else { "strict" };
        let bytes = methods::encode_str(self, text, "utf-8", errors)?;
        let s = String::from_utf8_lossy(&bytes).into_owned();
        if to_err {
            self.err.push_str(&s);
        } else {
            self.out.push_str(&s);
        }
        Ok(())
    }

    /// Counts allocated bytes against the memory limit.
    pub fn charge(&mut self, bytes: u64) -> PyResult<()> {
        self.memory += bytes;
        if self.memory > self.limits.max_memory {
            return Err(Flow::Stop(
                LimitKind::Memory,
                format!(
                    "the snippet used more than {} of memory (--max-memory)",
                    cpyviz_model::jit::human_bytes(self.limits.max_memory as u128)
                ),
            ));
        }
        Ok(())
    }
}

/// Runs `code` (a module's code object from the built-in compiler) as `__main__` and records
/// what the adaptive interpreter did. Runs on a thread of its own with a big stack, so deep
/// Python recursion cannot overflow the caller's.
pub fn execute(
    code: &CodeObject,
    source: &str,
    version: PyVersion,
    options: &RunOptions,
) -> Execution {
    let code = code.clone();
    let source = source.to_string();
    let options = *options;
    let handle = std::thread::Builder::new()
        .name("cpyviz-vm".into())
        .stack_size(1 << 30)
        .spawn(move || run_module(&code, &source, version, &options));
    match handle.map(|h| h.join()) {
        Ok(Ok(e)) => e,
        _ => Execution {
            jit: options.jit,
            run: cpyviz_model::capture::RunRecord {
                stderr: "cpyviz: the built-in VM failed on this snippet (an internal error); \
                         try --engine cpython\n"
                    .into(),
                exit_code: 1,
                ..Default::default()
            },
            ..Default::default()
        },
    }
}

fn run_module(
    code: &CodeObject,
    source: &str,
    version: PyVersion,
    options: &RunOptions,
) -> Execution {
    let mut vm = Vm::new(version, options);
    vm.source_text = Rc::from(source);
    vm.source_file = Rc::from(&*code.filename);
    let rt = CodeRt::new(code, version);
    for c in rt.walk() {
        vm.code_names
            .extend(c.names.iter().chain(&c.localsplus).cloned());
    }
    let result = eval::run_main(&mut vm, &rt);
    let (run, limit) = exc::run_record(&mut vm, result);
    let execution = Execution {
        jit: options.jit,
        run,
        specialized: specialize::specialized_code(code, &rt, version),
        history: rt
            .walk()
            .iter()
            .map(|c| cpyviz_model::execution::CodeHistory {
                qualname: c.qualname.to_string(),
                instrs: c.slots.borrow().iter().map(|s| s.history.clone()).collect(),
            })
            .collect(),
        executors: tier2::executors(&vm, &rt),
        steps: vm.steps,
        limit,
    };
    drop(vm);
    drop(rt);
    alloc::release_cycles();
    execution
}

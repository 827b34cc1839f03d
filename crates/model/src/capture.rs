//! The data model: a [`Capture`] holds every stage's result for one snippet, whichever engine
//! produced it. The UI and the exporters only ever read a `Capture`.

use crate::ast::AstNode;
use crate::bytecode::CodeObject;
use crate::error::{PyError, SyntaxWarning};
use crate::source::Source;
use crate::tokens::Token;
use crate::uops::{Executor, Listing};
use crate::version::PyVersion;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// The version of the capture file format; bumped on incompatible changes.
pub const CAPTURE_FORMAT: u32 = 1;

/// The stages of CPython's pipeline, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, strum::FromRepr)]
pub enum Stage {
    Tokens,
    Ast,
    Bytecode,
    Specialized,
    Uops,
    MachineCode,
    Trampolines,
}

/// What the rest of cpyviz needs to know of one stage: every list of stages (the stage bar,
/// `--stage`, `cpyviz dump NAME`, the keys 1…7, the explanations) reads [`STAGES`].
#[derive(Debug)]
pub struct StageInfo {
    pub stage: Stage,
    /// The title on the stage bar.
    pub title: &'static str,
    /// A short title for narrow stage bars.
    pub short_title: &'static str,
    /// The name used on the command line (`cpyviz dump NAME`, `--stage NAME`).
    pub cli_name: &'static str,
    /// What the stage is, in two or three sentences (the explanation panel).
    pub explanation: &'static str,
}

/// Every stage, in pipeline order (the order of [`Stage`]).
pub const STAGES: [StageInfo; 7] = [
    StageInfo {
        stage: Stage::Tokens,
        title: "Tokens",
        short_title: "Tokens",
        cli_name: "tokens",
        explanation: "The tokenizer reads the source text and cuts it into tokens: names, numbers, strings, operators, and the invisible NEWLINE, INDENT and DEDENT tokens that give Python its block structure. This is the stream `python -m tokenize -e` prints.",
    },
    StageInfo {
        stage: Stage::Ast,
        title: "AST",
        short_title: "AST",
        cli_name: "ast",
        explanation: "The parser turns tokens into an abstract syntax tree: one node per statement and expression, with positions back into the source. Comments, parentheses and layout are gone. This is what `python -m ast` prints.",
    },
    StageInfo {
        stage: Stage::Bytecode,
        title: "Bytecode",
        short_title: "Bytecode",
        cli_name: "bytecode",
        explanation: "The compiler walks the AST and emits bytecode for a stack machine: one code object per function, class body and comprehension scope, each with its constants, names, line table and exception table (`python -m dis`).",
    },
    StageInfo {
        stage: Stage::Specialized,
        title: "Specialized",
        short_title: "Spec.",
        cli_name: "specialized",
        explanation: "While the code runs, the adaptive interpreter rewrites hot instructions into specialized forms (BINARY_OP → BINARY_OP_ADD_INT, LOAD_ATTR → LOAD_ATTR_INSTANCE_VALUE, …) guarded by cheap type checks, using each instruction's inline cache.",
    },
    StageInfo {
        stage: Stage::Uops,
        title: "Micro-ops",
        short_title: "µops",
        cli_name: "uops",
        explanation: "Hot loops are translated into traces of micro-ops (tier 2): each specialized instruction expands into guards and small actions, which the optimizer then trims. An ENTER_EXECUTOR instruction hands control to the trace.",
    },
    StageInfo {
        stage: Stage::MachineCode,
        title: "Machine code",
        short_title: "Mach.",
        cli_name: "jit",
        explanation: "The copy-and-patch JIT turns each micro-op of a trace into machine code by copying a precompiled stencil and patching its holes: opargs, operands, jump targets and addresses of runtime functions.",
    },
    StageInfo {
        stage: Stage::Trampolines,
        title: "Trampolines",
        short_title: "Tramp.",
        cli_name: "trampolines",
        explanation: "When a patched call cannot reach its target directly, the JIT routes it through a trampoline. A bitmask records which symbols need one; the slot of a symbol is the number of set bits below it.",
    },
];

impl Stage {
    /// This stage's entry of [`STAGES`].
    pub fn info(self) -> &'static StageInfo {
        &STAGES[self as usize]
    }

    /// The title on the stage bar.
    pub fn title(self) -> &'static str {
        self.info().title
    }

    /// A short title for narrow stage bars.
    pub fn short_title(self) -> &'static str {
        self.info().short_title
    }

    /// The name used on the command line (`cpyviz dump NAME`, `--stage NAME`).
    pub fn cli_name(self) -> &'static str {
        self.info().cli_name
    }

    pub fn all() -> impl Iterator<Item = Stage> {
        STAGES.iter().map(|s| s.stage)
    }

    pub fn from_cli_name(name: &str) -> Option<Stage> {
        Stage::all().find(|s| s.cli_name() == name)
    }

    pub fn next(self) -> Stage {
        Stage::from_repr(self as usize + 1).unwrap_or(self)
    }

    pub fn prev(self) -> Stage {
        (self as usize)
            .checked_sub(1)
            .and_then(Stage::from_repr)
            .unwrap_or(self)
    }
}

/// Which engine produced a capture.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Engine {
    /// cpyviz's own model of CPython (offline, deterministic).
    Builtin,
    /// A real CPython, run with the probe.
    Cpython {
        executable: String,
        /// `sys.version` of that interpreter.
        version: String,
    },
}

impl Engine {
    /// A short label for status lines: `builtin model` or `CPython 3.14.1 (live)`.
    pub fn label(&self) -> String {
        match self {
            Engine::Builtin => "builtin model".to_string(),
            Engine::Cpython { version, .. } => format!(
                "CPython {} (live)",
                version.split_whitespace().next().unwrap_or(version)
            ),
        }
    }
}

/// What a capture has for one stage.
#[derive(Debug, Clone, Copy)]
pub enum StageStatus<'a> {
    Ready,
    Failed(&'a PyError),
    /// The engine does not build this stage (yet).
    NotBuilt,
    /// The stage is being computed (on another thread); ask again later.
    Computing,
}

/// How an engine computes the stages of a capture that it leaves to be computed on demand
/// (the built-in engine's front end). Each is a pure function of the source and the earlier
/// stages; the capture calls each at most once and keeps the result.
pub trait StageBuilder: Send + Sync {
    fn tokens(&self, source: &Source, version: PyVersion) -> Result<Vec<Token>, PyError>;
    /// The tree, with the tokenizer's and the parser's `SyntaxWarning`s.
    fn ast(
        &self,
        source: &Source,
        version: PyVersion,
    ) -> (Result<AstNode, PyError>, Vec<SyntaxWarning>);
    /// The module's code object from the tree, with the compiler's `SyntaxWarning`s.
    fn bytecode(
        &self,
        ast: &Result<AstNode, PyError>,
        source: &Source,
        version: PyVersion,
    ) -> (Result<CodeObject, PyError>, Vec<SyntaxWarning>);
    /// Runs the module (the bytecode stage's code object, and the tree when the AST stage has
    /// one) as `__main__` (the *specialized* stage and the program's output); `None` when the
    /// engine has no VM (the default).
    fn execute(
        &self,
        _tree: Option<&AstNode>,
        _code: &CodeObject,
        _source: &Source,
        _version: PyVersion,
    ) -> Option<Result<crate::execution::Execution, PyError>> {
        None
    }
}

type Parsed = (Result<AstNode, PyError>, Vec<SyntaxWarning>);
type Compiled = (Option<Result<CodeObject, PyError>>, Vec<SyntaxWarning>);

/// The front-end stages (tokens, AST, bytecode): computed when first asked for, once, by the
/// engine's [`StageBuilder`] — or given whole by an engine that records them.
struct FrontEnd {
    builder: Option<Arc<dyn StageBuilder>>,
    tokens: OnceLock<Result<Vec<Token>, PyError>>,
    ast: OnceLock<Parsed>,
    bytecode: OnceLock<Compiled>,
    /// The built-in VM's run (`None` inside: the engine has no VM, or the bytecode failed).
    execution: OnceLock<Option<Result<Arc<crate::execution::Execution>, PyError>>>,
    /// Whether a thread computing every stage has been started.
    background: AtomicBool,
}

/// Every stage's result for one snippet. Clones share the stages (computed once for all).
///
/// The tokens, AST and bytecode of a built-in capture are computed when first asked for:
/// [`Capture::tokens`] and its siblings compute (and wait); [`Capture::status_now`] and the
/// `ready_*` getters never wait, and [`Capture::compute_in_background`] computes everything
/// on another thread, for a viewer that must not block.
#[derive(Clone)]
pub struct Capture {
    pub format: u32,
    pub engine: Engine,
    /// The version profile the stages follow.
    pub version: PyVersion,
    pub source: Source,
    front: Arc<FrontEnd>,
    /// The stages after the bytecode (absent = not built by this engine).
    pub later: LaterStages,
}

/// The front end as a capture file stores it (the format of [`CAPTURE_FORMAT`] 1).
#[derive(Serialize, Deserialize)]
struct Record {
    format: u32,
    engine: Engine,
    version: PyVersion,
    source: Source,
    tokens: Result<Vec<Token>, PyError>,
    ast: Result<AstNode, PyError>,
    #[serde(default)]
    warnings: Warnings,
    #[serde(default)]
    later: RecordLater,
}

#[derive(Serialize, Deserialize, Default)]
struct RecordLater {
    #[serde(default)]
    bytecode: Option<Result<CodeObject, PyError>>,
    #[serde(flatten)]
    rest: LaterStages,
}

impl Serialize for Capture {
    /// Computes every stage first.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Record {
            format: self.format,
            engine: self.engine.clone(),
            version: self.version,
            source: self.source.clone(),
            tokens: self.tokens().clone(),
            ast: self.ast().clone(),
            warnings: Warnings {
                parse: self.parse_warnings().to_vec(),
                compile: self.compile_warnings().to_vec(),
            },
            later: RecordLater {
                bytecode: self.bytecode().cloned(),
                rest: self.later.clone(),
            },
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Capture {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let r = Record::deserialize(deserializer)?;
        let mut c = Capture::complete(
            r.engine,
            r.version,
            r.source,
            r.tokens,
            (r.ast, r.warnings.parse),
            (r.later.bytecode, r.warnings.compile),
            r.later.rest,
        );
        c.format = r.format;
        Ok(c)
    }
}

impl PartialEq for Capture {
    /// Equal stages (every stage is computed first).
    fn eq(&self, other: &Capture) -> bool {
        self.format == other.format
            && self.engine == other.engine
            && self.version == other.version
            && self.source == other.source
            && self.tokens() == other.tokens()
            && self.ast() == other.ast()
            && self.parse_warnings() == other.parse_warnings()
            && self.bytecode() == other.bytecode()
            && self.compile_warnings() == other.compile_warnings()
            && self.later == other.later
    }
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture")
            .field("engine", &self.engine)
            .field("version", &self.version)
            .field("source", &self.source.path)
            .field(
                "tokens",
                &self.front.tokens.get().map(|t| t.as_ref().map(Vec::len)),
            )
            .field("ast", &self.front.ast.get().map(|a| a.0.is_ok()))
            .finish_non_exhaustive()
    }
}

/// The `SyntaxWarning`s of a snippet, by the step of `compile()` that issues them; CPython
/// prints them on stderr before the step's result or error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warnings {
    /// The tokenizer's and the parser's (invalid escape sequences, `1if`): `python -m ast`
    /// prints these.
    #[serde(default)]
    pub parse: Vec<SyntaxWarning>,
    /// The compiler's (`'return' in a 'finally' block`, `"is" with a literal`, …): `python
    /// -m dis` prints these after the parser's.
    #[serde(default)]
    pub compile: Vec<SyntaxWarning>,
}

impl Warnings {
    /// The warnings CPython's tool for `stage` prints: the parser's for `python -m ast`, the
    /// parser's then the compiler's for `python -m dis`, none for the others.
    pub fn for_stage(&self, stage: Stage) -> Vec<&SyntaxWarning> {
        for_stage(&self.parse, &self.compile, stage)
    }
}

fn for_stage<'a>(
    parse: &'a [SyntaxWarning],
    compile: &'a [SyntaxWarning],
    stage: Stage,
) -> Vec<&'a SyntaxWarning> {
    match stage {
        Stage::Ast => parse.iter().collect(),
        // `stage.py specialized`/`uops` compile the file before running it, so CPython prints
        // every warning first, as `python -m dis` does.
        Stage::Bytecode | Stage::Specialized | Stage::Uops => parse.iter().chain(compile).collect(),
        _ => Vec::new(),
    }
}

/// The stages after the bytecode, each `None` when the engine does not build it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LaterStages {
    /// The same code objects after running the snippet, with adaptive (specialized) instructions.
    #[serde(default)]
    pub specialized: Option<Result<CodeObject, PyError>>,
    /// Every executor (micro-op trace, and machine code when the JIT is on) after the run.
    #[serde(default)]
    pub executors: Option<Result<Vec<Executor>, PyError>>,
    /// Each executor's machine code disassembled and annotated, in the order of `executors`
    /// (the *machine code* stage; computed by the engine from the recorded bytes, never
    /// stored in a capture file).
    #[serde(skip)]
    pub machine_code: Option<Vec<Listing>>,
    /// The JIT stages (stencils, copy-and-patch, trampolines), computed by the engine's builder
    /// per set of options when first asked for ([`Capture::jit`]); never stored.
    #[serde(skip)]
    pub jit: crate::jit::JitCell,
    /// What running the snippet printed and raised (live engine only).
    #[serde(default)]
    pub run: Option<Result<RunRecord, PyError>>,
    /// Facts about the interpreter that made the capture (live engine only).
    #[serde(default)]
    pub interpreter: Option<Interpreter>,
}

/// The outcome of executing the snippet as `__main__`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    pub stdout: String,
    pub stderr: String,
    /// The exception that ended the run, if any.
    pub exception: Option<RunException>,
    /// The exit status `python FILE` would have had.
    pub exit_code: i32,
}

/// An exception raised by the snippet.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunException {
    /// The class name (`ZeroDivisionError`, `SystemExit`, …).
    pub kind: String,
    pub msg: String,
    /// The formatted traceback (the probe's own frame left out; empty for `SystemExit`).
    pub traceback: String,
}

/// The interpreter a live capture was recorded with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interpreter {
    /// `sys.version`.
    pub version: String,
    /// `sys.version_info[:3]`.
    pub version_info: (u32, u32, u32),
    pub releaselevel: String,
    /// `sys.executable`.
    pub executable: String,
    pub platform: String,
    pub jit_available: Option<bool>,
    pub jit_enabled: Option<bool>,
    /// Why JIT facts are missing, if they are.
    pub jit_note: Option<String>,
    /// `platform.machine()`.
    #[serde(default)]
    pub machine: Option<String>,
    /// The page size JIT regions are rounded to (`mmap.PAGESIZE`).
    #[serde(default)]
    pub page_size: Option<u64>,
    /// The addresses of the external symbols stencils refer to, as `dlsym` found them in the
    /// recorded process (the names cpyviz asked for; a name missing here was not found).
    #[serde(default)]
    pub symbol_addresses: std::collections::BTreeMap<String, u64>,
}

impl Capture {
    /// The JIT stages for `options` (`None`: this capture's engine builds none).
    pub fn jit(&self, options: &crate::jit::JitOptions) -> Option<Arc<crate::jit::JitView>> {
        self.later.jit.get(self, options)
    }

    /// A capture whose front-end stages `builder` computes when they are first asked for.
    pub fn lazy(
        engine: Engine,
        version: PyVersion,
        source: Source,
        builder: Arc<dyn StageBuilder>,
    ) -> Capture {
        Capture {
            format: CAPTURE_FORMAT,
            engine,
            version,
            source,
            front: Arc::new(FrontEnd {
                builder: Some(builder),
                tokens: OnceLock::new(),
                ast: OnceLock::new(),
                bytecode: OnceLock::new(),
                execution: OnceLock::new(),
                background: AtomicBool::new(false),
            }),
            later: LaterStages::default(),
        }
    }

    /// A capture of stages an engine recorded whole (a live run, a capture file). `bytecode`
    /// is `None` when the engine did not build that stage.
    pub fn complete(
        engine: Engine,
        version: PyVersion,
        source: Source,
        tokens: Result<Vec<Token>, PyError>,
        ast: (Result<AstNode, PyError>, Vec<SyntaxWarning>),
        bytecode: (Option<Result<CodeObject, PyError>>, Vec<SyntaxWarning>),
        later: LaterStages,
    ) -> Capture {
        Capture {
            format: CAPTURE_FORMAT,
            engine,
            version,
            source,
            front: Arc::new(FrontEnd {
                builder: None,
                tokens: OnceLock::from(tokens),
                ast: OnceLock::from(ast),
                bytecode: OnceLock::from(bytecode),
                execution: OnceLock::from(None),
                background: AtomicBool::new(true),
            }),
            later,
        }
    }

    /// The *tokens* stage (computed now if it has not been).
    pub fn tokens(&self) -> &Result<Vec<Token>, PyError> {
        self.front.tokens.get_or_init(|| match &self.front.builder {
            Some(b) => b.tokens(&self.source, self.version),
            None => Err(not_recorded("tokens")),
        })
    }

    fn parsed(&self) -> &Parsed {
        self.front.ast.get_or_init(|| match &self.front.builder {
            Some(b) => b.ast(&self.source, self.version),
            None => (Err(not_recorded("AST")), Vec::new()),
        })
    }

    fn compiled(&self) -> &Compiled {
        self.front
            .bytecode
            .get_or_init(|| match &self.front.builder {
                Some(b) => {
                    let (code, warnings) = b.bytecode(&self.parsed().0, &self.source, self.version);
                    (Some(code), warnings)
                }
                None => (None, Vec::new()),
            })
    }

    /// The *AST* stage (computed now if it has not been).
    pub fn ast(&self) -> &Result<AstNode, PyError> {
        &self.parsed().0
    }

    /// The tokenizer's and the parser's `SyntaxWarning`s (`python -m ast` prints these).
    pub fn parse_warnings(&self) -> &[SyntaxWarning] {
        &self.parsed().1
    }

    /// The *bytecode* stage, `None` when the engine does not build it (computed now if it has
    /// not been).
    pub fn bytecode(&self) -> Option<&Result<CodeObject, PyError>> {
        self.compiled().0.as_ref()
    }

    /// The compiler's `SyntaxWarning`s (`python -m dis` prints these after the parser's).
    pub fn compile_warnings(&self) -> &[SyntaxWarning] {
        &self.compiled().1
    }

    /// The built-in VM's run of the snippet (computed now if it has not been; `None`: the engine
    /// has no VM, or there is no bytecode to run).
    pub fn execution(&self) -> Option<&Result<Arc<crate::execution::Execution>, PyError>> {
        self.front
            .execution
            .get_or_init(|| {
                let b = self.front.builder.as_ref()?;
                match self.bytecode()? {
                    Ok(code) => b
                        .execute(self.ast().as_ref().ok(), code, &self.source, self.version)
                        .map(|r| r.map(Arc::new)),
                    Err(e) => Some(Err(e.clone())),
                }
            })
            .as_ref()
    }

    /// The VM's run, if it is computed (never waits; `Some(None)`: there is none).
    pub fn ready_execution(
        &self,
    ) -> Option<Option<&Result<Arc<crate::execution::Execution>, PyError>>> {
        self.front.execution.get().map(|e| e.as_ref())
    }

    /// The *specialized* stage: recorded by the live engine, or the built-in VM's (computing
    /// it now if needed).
    pub fn specialized(&self) -> Option<Result<&CodeObject, &PyError>> {
        if let Some(s) = &self.later.specialized {
            return Some(s.as_ref());
        }
        match self.execution()? {
            Ok(e) => Some(Ok(&e.specialized)),
            Err(e) => Some(Err(e)),
        }
    }

    /// [`Capture::specialized`] if it is computed (never waits; `None`: not yet or none).
    pub fn ready_specialized(&self) -> Option<Result<&CodeObject, &PyError>> {
        if let Some(s) = &self.later.specialized {
            return Some(s.as_ref());
        }
        match self.ready_execution()?? {
            Ok(e) => Some(Ok(&e.specialized)),
            Err(e) => Some(Err(e)),
        }
    }

    /// The tier-2 executors: recorded by the live engine, or built by the built-in VM's run
    /// with the JIT on (computing it now if needed; `None`: not built — the JIT was off, or
    /// the engine builds none).
    pub fn executors(&self) -> Option<Result<&[Executor], &PyError>> {
        if let Some(x) = &self.later.executors {
            return Some(x.as_ref().map(Vec::as_slice));
        }
        match self.execution()? {
            Ok(e) if e.jit => Some(Ok(&e.executors)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// [`Capture::executors`] if it is computed (never waits).
    pub fn ready_executors(&self) -> Option<Result<&[Executor], &PyError>> {
        if let Some(x) = &self.later.executors {
            return Some(x.as_ref().map(Vec::as_slice));
        }
        match self.ready_execution()?? {
            Ok(e) if e.jit => Some(Ok(&e.executors)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// What running the snippet printed and raised: recorded by the live engine, or the
    /// built-in VM's run (computing it now if needed).
    pub fn run(&self) -> Option<Result<&RunRecord, &PyError>> {
        if let Some(r) = &self.later.run {
            return Some(r.as_ref());
        }
        match self.execution()? {
            Ok(e) => Some(Ok(&e.run)),
            Err(e) => Some(Err(e)),
        }
    }

    /// [`Capture::run`] if it is computed (never waits).
    pub fn ready_run(&self) -> Option<Result<&RunRecord, &PyError>> {
        if let Some(r) = &self.later.run {
            return Some(r.as_ref());
        }
        match self.ready_execution()?? {
            Ok(e) => Some(Ok(&e.run)),
            Err(e) => Some(Err(e)),
        }
    }

    /// The tokens, if they are computed (never waits).
    pub fn ready_tokens(&self) -> Option<&Result<Vec<Token>, PyError>> {
        self.front.tokens.get()
    }

    /// The AST, if it is computed (never waits).
    pub fn ready_ast(&self) -> Option<&Result<AstNode, PyError>> {
        self.front.ast.get().map(|p| &p.0)
    }

    /// The bytecode, if it is computed (never waits; `Some(None)`: the engine does not build it).
    pub fn ready_bytecode(&self) -> Option<Option<&Result<CodeObject, PyError>>> {
        self.front.bytecode.get().map(|c| c.0.as_ref())
    }

    /// [`Capture::warnings_for`], of the stages computed so far (never waits).
    pub fn ready_warnings_for(&self, stage: Stage) -> Vec<&SyntaxWarning> {
        let parse = self.front.ast.get().map_or(&[][..], |p| &p.1);
        let compile = self.front.bytecode.get().map_or(&[][..], |c| &c.1);
        for_stage(parse, compile, stage)
    }

    /// Whether `stage` is computed (the stages after the bytecode are once the VM has run,
    /// or always when the engine records them).
    pub fn is_ready(&self, stage: Stage) -> bool {
        match stage {
            Stage::Tokens => self.front.tokens.get().is_some(),
            Stage::Ast => self.front.ast.get().is_some(),
            Stage::Bytecode => self.front.bytecode.get().is_some(),
            _ => self.front.builder.is_none() || self.front.execution.get().is_some(),
        }
    }

    /// Whether every stage is computed.
    pub fn is_complete(&self) -> bool {
        Stage::all().all(|s| self.is_ready(s))
    }

    /// Computes every stage not computed yet on another thread (once per capture; later calls
    /// do nothing). The `ready_*` getters and [`Capture::status_now`] tell when each is done.
    pub fn compute_in_background(&self) {
        if self.is_complete() || self.front.background.swap(true, Ordering::SeqCst) {
            return;
        }
        let me = self.clone();
        let spawned = std::thread::Builder::new()
            .name("cpyviz-stages".into())
            .spawn(move || me.compute_all());
        if spawned.is_err() {
            // No thread to be had: the stages are computed when first asked for instead.
            self.front.background.store(false, Ordering::SeqCst);
        }
    }

    /// Computes every stage now (and waits).
    pub fn compute_all(&self) {
        self.tokens();
        self.compiled();
        self.execution();
    }

    /// The `SyntaxWarning`s CPython's tool for `stage` prints: the parser's for `python -m
    /// ast`, the parser's then the compiler's for `python -m dis`, none for the others.
    pub fn warnings_for(&self, stage: Stage) -> Vec<&SyntaxWarning> {
        for_stage(self.parse_warnings(), self.compile_warnings(), stage)
    }

    /// The CPython version the capture shows, as `3.14`: the live interpreter's own version when
    /// there is one (a 3.12 or 3.13 run is modelled with the nearest profile, but it is still a
    /// 3.12 or 3.13 run), else the profile's.
    pub fn display_version(&self) -> String {
        match &self.later.interpreter {
            Some(i) => format!("{}.{}", i.version_info.0, i.version_info.1),
            None => self.version.label().to_string(),
        }
    }

    /// The CPython version whose tools' formats the capture's dumps follow: the interpreter's
    /// for a live capture, the profile's for the built-in engine.
    pub fn python_version(&self) -> (u32, u32) {
        match &self.later.interpreter {
            Some(i) => (i.version_info.0, i.version_info.1),
            None => self.version.profile().version_info,
        }
    }

    /// Whether cpyviz's per-version tables describe the CPython this capture shows.
    pub fn tables_match(&self) -> bool {
        self.display_version() == self.version.label()
    }

    /// Whether the capture's interpreter ran with the JIT on (the live engine's interpreter,
    /// or the built-in VM's run).
    pub fn jit_enabled(&self) -> bool {
        match &self.later.interpreter {
            Some(i) => i.jit_enabled.unwrap_or(false),
            None => matches!(self.ready_execution(), Some(Some(Ok(e))) if e.jit),
        }
    }

    /// What the capture has for `stage`, computing it first if needed.
    pub fn status(&self, stage: Stage) -> StageStatus<'_> {
        match stage {
            Stage::Tokens => of(self.tokens()),
            Stage::Ast => of(self.ast()),
            Stage::Bytecode => self.bytecode().map_or(StageStatus::NotBuilt, of),
            _ => {
                self.execution();
                self.later_status(stage)
            }
        }
    }

    /// What the capture has for `stage` now: [`StageStatus::Computing`] for a stage not
    /// computed yet (never waits).
    pub fn status_now(&self, stage: Stage) -> StageStatus<'_> {
        match stage {
            Stage::Tokens => self.ready_tokens().map_or(StageStatus::Computing, of),
            Stage::Ast => self.ready_ast().map_or(StageStatus::Computing, of),
            Stage::Bytecode => match self.ready_bytecode() {
                None => StageStatus::Computing,
                Some(None) => StageStatus::NotBuilt,
                Some(Some(r)) => of(r),
            },
            _ if !self.is_ready(stage) => StageStatus::Computing,
            _ => self.later_status(stage),
        }
    }

    fn later_status(&self, stage: Stage) -> StageStatus<'_> {
        match stage {
            Stage::Specialized => match self.ready_specialized() {
                None => StageStatus::NotBuilt,
                Some(Ok(_)) => StageStatus::Ready,
                Some(Err(e)) => StageStatus::Failed(e),
            },
            Stage::Uops => match self.ready_executors() {
                None => StageStatus::NotBuilt,
                Some(Ok(_)) => StageStatus::Ready,
                Some(Err(e)) => StageStatus::Failed(e),
            },
            Stage::MachineCode | Stage::Trampolines => match self.ready_executors() {
                Some(Err(e)) => StageStatus::Failed(e),
                Some(Ok(_)) if self.later.jit.has_builder() || self.jit_enabled() => {
                    StageStatus::Ready
                }
                _ => StageStatus::NotBuilt,
            },
            _ => StageStatus::NotBuilt,
        }
    }
}

fn of<T>(r: &Result<T, PyError>) -> StageStatus<'_> {
    match r {
        Ok(_) => StageStatus::Ready,
        Err(e) => StageStatus::Failed(e),
    }
}

/// The error of a recorded capture that lacks a front-end stage (never written by cpyviz).
fn not_recorded(stage: &str) -> PyError {
    PyError::new(
        crate::error::PyErrorKind::Unsupported,
        format!("the capture does not record the {stage} stage"),
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stage_table_is_in_pipeline_order_with_unique_names() {
        for (i, info) in STAGES.iter().enumerate() {
            assert_eq!(info.stage as usize, i, "{info:?} is out of order");
            assert_eq!(Stage::from_cli_name(info.cli_name), Some(info.stage));
        }
        assert_eq!(
            Stage::from_repr(STAGES.len()),
            None,
            "a stage is missing from STAGES"
        );
    }
}

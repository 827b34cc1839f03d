//! The command line: `cpyviz FILE` opens the viewer; `dump`, `shot` print or export one stage.

use crate::embedded;
use crate::watch::{FileWatch, Snippet};
use clap::{Args, Parser, Subcommand};
use cpyviz_engine::dump;
use cpyviz_engine::{EngineKind, LiveOptions};
use cpyviz_model::capture::{Capture, Stage};
use cpyviz_model::execution::{Limits, RunOptions};
use cpyviz_model::jit::Target;
use cpyviz_model::version::PyVersion;
use cpyviz_tui::terminal::Watcher;
use cpyviz_tui::theme::ThemeName;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Step a Python snippet through CPython's pipeline: tokens, AST, bytecode, specialized
/// instructions, micro-op traces, JIT machine code and trampolines.
///
/// Two engines: `builtin` (default) is cpyviz's own model and never runs your code;
/// `cpython` (`--engine cpython`, `--python PATH`, `cpyviz record`) runs a real CPython
/// 3.12–3.15 that EXECUTES the snippet (as `python FILE` would: it can read and write files,
/// use the network, …) and reports what it really did. Only use it on code you trust.
#[derive(Parser, Debug)]
#[command(name = "cpyviz", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub open: OpenArgs,
}

/// Options for opening the interactive viewer.
#[derive(Args, Debug)]
pub struct OpenArgs {
    /// The Python file to show (try samples/abs.py). When no such file exists here, a sample's
    /// name (abs.py or samples/abs.py) opens the copy built into cpyviz (`cpyviz samples`).
    pub file: Option<PathBuf>,
    /// Follow the file: the stages are made again whenever it is saved (a version that does not
    /// compile shows CPython's message, the last good stages stay, marked stale). In the viewer,
    /// `e` edits the file in $VISUAL or $EDITOR (with or without --watch).
    #[arg(long)]
    pub watch: bool,
    /// The CPython version profile to model.
    #[arg(long = "python-version", default_value = "3.14", value_parser = parse_version)]
    pub python_version: PyVersion,
    /// The stage to open on.
    #[arg(long, default_value = "tokens", value_parser = parse_stage)]
    pub stage: Stage,
    /// The colours: dark, light (blog posts, print) or high-contrast (projectors); T switches.
    #[arg(long, default_value = "dark", value_parser = theme_parser())]
    pub theme: ThemeName,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// Which engine makes the stages (shared by the viewer and `dump`).
#[derive(Args, Debug, Clone)]
pub struct EngineArgs {
    /// builtin: cpyviz's own model (never runs the snippet). cpython: a real CPython 3.12–3.15
    /// that compiles and EXECUTES the snippet, then reports tokens, AST, bytecode, specialized
    /// instructions, micro-ops and JIT code. Default: cpython when --python is given, else builtin.
    #[arg(long, value_parser = engine_parser())]
    pub engine: Option<EngineKind>,
    /// The CPython to run for the live engine: any executable (a wrapper script too).
    /// Default: the first of python3.15, python3.14, python3 on PATH.
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// Stop the live interpreter (killing its whole process group) after SECS seconds. It also
    /// runs with at most 4 GiB of address space (a snippet that allocates without bound gets
    /// MemoryError) and, on Linux, 64 processes more than you run already (as root, whom that
    /// limit does not bind: 64 processes in a pids cgroup of its own, where one can be made).
    #[arg(long, value_name = "SECS", default_value = "20", value_parser = parse_timeout)]
    pub timeout: Duration,
    #[command(flatten)]
    pub run: RunArgs,
}

/// How the snippet runs: the JIT switch both engines honour, and the built-in VM's limits.
#[derive(Args, Debug, Clone, Copy)]
pub struct RunArgs {
    /// Run with the JIT on or off, like PYTHON_JIT=1/0: it decides JUMP_BACKWARD_JIT vs
    /// JUMP_BACKWARD_NO_JIT (and, live, whether executors exist).
    #[arg(long, value_name = "on|off", default_value = "on", value_parser = parse_on_off, action = clap::ArgAction::Set)]
    pub jit: bool,
    /// The built-in VM stops the snippet after N bytecode instructions (an endless loop ends
    /// with a message).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_steps)]
    pub max_steps: u64,
    /// The built-in VM's recursion limit (Python frames at once; CPython's default is 1000).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_depth)]
    pub max_depth: u32,
    /// The built-in VM stops a snippet whose objects grow beyond SIZE (e.g. 512M, 2G).
    #[arg(long, value_name = "SIZE", default_value = "512M", value_parser = parse_bytes)]
    pub max_memory: u64,
}

impl RunArgs {
    pub fn options(&self) -> RunOptions {
        RunOptions {
            jit: self.jit,
            limits: Limits {
                max_steps: self.max_steps,
                max_depth: self.max_depth,
                max_memory: self.max_memory,
            },
        }
    }
}

fn parse_on_off(s: &str) -> Result<bool, String> {
    match s {
        "on" | "1" => Ok(true),
        "off" | "0" => Ok(false),
        _ => Err(format!("'{s}' is not on or off")),
    }
}

fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => {
            let unit = t[i..].to_ascii_uppercase();
            let mult: u64 = match unit.trim_end_matches(['B', 'I']) {
                "" => 1,
                "K" => 1 << 10,
                "M" => 1 << 20,
                "G" => 1 << 30,
                _ => return Err(format!("'{s}' is not a size (like 512M or 2G)")),
            };
            (&t[..i], mult)
        }
        None => (t, 1),
    };
    match num.trim().parse::<u64>() {
        Ok(n) if n > 0 => n
            .checked_mul(mult)
            .ok_or_else(|| format!("'{s}' is too large")),
        _ => Err(format!("'{s}' is not a size (like 512M or 2G)")),
    }
}

/// `--theme`: the themes' names, listed in `--help` and in the error for a wrong one.
fn theme_parser() -> impl clap::builder::TypedValueParser<Value = ThemeName> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(ThemeName::ALL.map(ThemeName::name))
        .map(|name: String| ThemeName::from_name(&name).unwrap_or_default())
}

/// `--engine`: the engines' own names, listed in `--help` and in the error for a wrong one.
fn engine_parser() -> impl clap::builder::TypedValueParser<Value = EngineKind> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(EngineKind::ALL.map(EngineKind::name))
        .map(|name: String| EngineKind::from_name(&name).unwrap_or_default())
}

impl EngineArgs {
    /// The engine asked for (`--python` alone means the live engine).
    pub fn kind(&self) -> EngineKind {
        self.engine.unwrap_or(if self.python.is_some() {
            EngineKind::Cpython
        } else {
            EngineKind::Builtin
        })
    }

    pub fn live(&self) -> LiveOptions {
        LiveOptions {
            python: self.python.clone(),
            timeout: self.timeout,
            jit: self.run.jit,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Measure the builtin model against a live CPython: run both engines on each file and print,
    /// per stage, whether their dumps match (and the first differing line). This EXECUTES the
    /// files with the live interpreter.
    Conformance {
        /// Python files (default: every samples/*.py).
        files: Vec<PathBuf>,
        /// The CPython to compare with (default: python3.V for --python-version V, else the first
        /// of python3.15, python3.14, python3 on PATH).
        #[arg(long, value_name = "PATH")]
        python: Option<PathBuf>,
        /// Which CPython to look for on PATH when --python is not given.
        #[arg(long = "python-version", value_parser = parse_version)]
        python_version: Option<PyVersion>,
        /// Per-file time limit for the live interpreter.
        #[arg(long, value_name = "SECS", default_value = "20", value_parser = parse_timeout)]
        timeout: Duration,
    },
    /// Render the viewer headless into an image or text file (same view as the terminal).
    Shot(Shot),
    /// Print one stage exactly as CPython's own tool prints it
    /// (tokens: `python -m tokenize -e`; ast: `python -m ast`; bytecode: `python -m dis`;
    /// specialized, uops: shared/refpy/stage.py; jit: cpyviz's copy-and-patch of each executor
    /// and the real machine code; trampolines: the bitmask explainer).
    /// `ast` and `bytecode` take the options of `python -m ast` and `python -m dis`.
    ///
    /// With `--engine cpython` the stages come from a real CPython, which EXECUTES the snippet;
    /// `specialized` and `uops` then print the snippet's own output first (it runs before the
    /// snapshot), like `stage.py` does.
    Dump {
        #[command(subcommand)]
        stage: DumpStage,
    },
    /// Run FILE with a real CPython (it EXECUTES the snippet) and save every stage it reports
    /// to a capture file, to replay later without Python.
    Record {
        file: PathBuf,
        /// Where to write the capture (NAME.capture.json).
        #[arg(short, long, value_name = "NAME.capture.json")]
        output: PathBuf,
        /// The CPython to run: any executable (a wrapper script too).
        /// Default: the first of python3.15, python3.14, python3 on PATH.
        #[arg(long, value_name = "PATH")]
        python: Option<PathBuf>,
        /// Stop the interpreter (killing its whole process group) after SECS seconds.
        #[arg(long, value_name = "SECS", default_value = "20", value_parser = parse_timeout)]
        timeout: Duration,
    },
    /// Manage the JIT stencil sets: import a CPython build's jit_stencils header, list them,
    /// export the built-in ones.
    Stencils {
        #[command(subcommand)]
        command: StencilsCommand,
    },
    /// The teaching samples built into cpyviz: list them with what each teaches, print one
    /// (`cpyviz samples abs`), or write them all into a folder (`--extract DIR`). `cpyviz
    /// NAME.py`, `cpyviz samples/NAME.py` and `cpyviz dump STAGE samples/NAME.py` use the
    /// built-in copy when there is no such file here.
    Samples {
        /// The sample to print (abs, abs.py or samples/abs.py).
        name: Option<String>,
        /// Write every sample into DIR (made if missing; existing files are left alone).
        #[arg(long, value_name = "DIR", conflicts_with = "name")]
        extract: Option<PathBuf>,
    },
    /// Present a lesson (lessons/NN-name.toml): each step shows one stage with its narration
    /// under it. PgDn / PgUp (or a clicker) move between steps, x explores freely, ? lists
    /// the keys. The presenter layout works from 80x24: enlarge the terminal's font for a room.
    Lesson {
        /// The lesson file, or a built-in lesson's name or number (see `cpyviz lessons`).
        lesson: PathBuf,
        /// The step to start at (from 1).
        #[arg(long, value_name = "N")]
        step: Option<usize>,
        /// The colours (T cycles them while presenting).
        #[arg(long, default_value = "high-contrast", value_parser = theme_parser())]
        theme: ThemeName,
        #[command(flatten)]
        run: RunArgs,
    },
    /// List the lessons: their files, titles and what each teaches (the built-in ones, or a
    /// folder's). `cpyviz lesson 1` presents the first built-in one from any folder.
    Lessons {
        /// A folder of lessons to list instead of the built-in ones.
        dir: Option<PathBuf>,
    },
    /// Export every step of a lesson: one image per step into a folder (OUT/…-step01.svg, …).
    Shots(Shots),
    /// Open the viewer on a capture file made by `cpyviz record` (no Python needed).
    Replay {
        capture: PathBuf,
        /// The stage to open on.
        #[arg(long, default_value = "tokens", value_parser = parse_stage)]
        stage: Stage,
        /// The colours: dark, light or high-contrast (T switches).
        #[arg(long, default_value = "dark", value_parser = theme_parser())]
        theme: ThemeName,
    },
}

/// The stage `cpyviz dump` prints, with the options of CPython's tool for it.
#[derive(Subcommand, Debug)]
pub enum DumpStage {
    /// `python -m tokenize -e FILE`.
    Tokens(DumpSource),
    /// `python -m ast [OPTIONS] FILE`.
    Ast {
        #[command(flatten)]
        source: DumpSource,
        #[command(flatten)]
        options: AstArgs,
    },
    /// `python -m dis [OPTIONS] FILE`.
    Bytecode {
        #[command(flatten)]
        source: DumpSource,
        #[command(flatten)]
        options: DisArgs,
    },
    /// Run the file as `__main__`, then `dis.dis(code, adaptive=True)` (shared/refpy/stage.py).
    Specialized(DumpSource),
    /// Run the file with the JIT on, then print every executor's micro-ops.
    Uops(DumpSource),
    /// Every executor compiled by cpyviz's copy-and-patch engine: per uop its stencil, holes,
    /// patched bytes and disassembly; the trampolines, the trace GOT, the checks against the
    /// real region; then the real machine code as recorded.
    Jit(JitArgs),
    /// The trampoline bitmask explainer: the symbols, the mask words, get_trampoline_slot step
    /// by step, the slots and the call sites before and after patching.
    Trampolines(JitArgs),
}

/// `dump jit` / `dump trampolines`: where the trace comes from and what to compile it with.
#[derive(Args, Debug)]
pub struct JitArgs {
    #[command(flatten)]
    pub source: DumpSource,
    /// The target to compile for (default: the recorded interpreter's, else x86_64-unknown-linux-gnu).
    #[arg(long, value_name = "TRIPLE", value_parser = parse_target)]
    pub target: Option<Target>,
    /// builtin: cpyviz's own stencils (a model); imported: the set `cpyviz stencils import` stored
    /// for the version and target; or the path of a jit_stencils-TRIPLE.h.
    #[arg(long, default_value = "builtin", value_name = "builtin|imported|PATH")]
    pub stencils: String,
    /// recorded: the live process's addresses (where recorded); near / far / low: memory models
    /// (far puts every symbol gigabytes away, as in a macOS debug build: trampolines appear; low
    /// is a non-PIE binary below 4 GiB, not on macOS).
    #[arg(long, default_value = "recorded", value_name = "recorded|near|far|low")]
    pub memory: String,
}

impl JitArgs {
    fn options(&self) -> cpyviz_model::jit::JitOptions {
        jit_options(&self.stencils, &self.memory, self.target)
    }
}

/// The JIT stages' options from `--stencils`, `--memory`, `--target`.
fn jit_options(
    stencils: &str,
    memory: &str,
    target: Option<Target>,
) -> cpyviz_model::jit::JitOptions {
    use cpyviz_model::jit::{JitOptions, MemoryChoice, StencilChoice};
    JitOptions {
        stencils: match stencils {
            "builtin" => StencilChoice::Builtin,
            "imported" => StencilChoice::Imported,
            path => StencilChoice::Path(path.to_string()),
        },
        memory: match memory {
            "recorded" => MemoryChoice::Recorded,
            name => MemoryChoice::Preset(name.to_string()),
        },
        target,
    }
}

fn parse_target(s: &str) -> Result<Target, String> {
    Target::from_triple(s).ok_or_else(|| {
        let names: Vec<_> = Target::ALL.iter().map(|t| t.triple()).collect();
        format!("unknown target '{s}' (targets: {})", names.join(", "))
    })
}

/// `cpyviz stencils …`: the stencil sets the JIT stages compile with.
#[derive(Subcommand, Debug)]
pub enum StencilsCommand {
    /// Import the jit_stencils-TRIPLE.h a CPython JIT build left in its build folder, so the
    /// JIT stages can show that CPython's exact stencils (`--stencils imported`).
    Import { header: PathBuf },
    /// List the imported stencil sets.
    List,
    /// Write cpyviz's built-in stencils (a model) as a jit_stencils-TRIPLE.h, in the format
    /// CPython's build writes.
    Export {
        #[arg(long = "python-version", default_value = "3.15", value_parser = parse_version)]
        python_version: PyVersion,
        #[arg(long, default_value = "x86_64-unknown-linux-gnu", value_parser = parse_target)]
        target: Target,
        /// The header to write (name it jit_stencils-TRIPLE.h to import it back).
        #[arg(short, long)]
        output: PathBuf,
    },
}

/// Where a dumped stage comes from: a Python file and an engine, or a capture file.
#[derive(Args, Debug)]
pub struct DumpSource {
    /// The Python file (not needed with --capture).
    #[arg(required_unless_present = "capture")]
    pub file: Option<PathBuf>,
    /// The version profile of the built-in engine (the live engine uses the interpreter's).
    #[arg(long = "python-version", default_value = "3.14", value_parser = parse_version)]
    pub python_version: PyVersion,
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Dump from a capture file made by `cpyviz record` instead of a Python file.
    #[arg(long, value_name = "NAME.capture.json", conflicts_with_all = ["file", "engine", "python"])]
    pub capture: Option<PathBuf>,
}

/// The options of `python -m ast`, with its defaults.
#[derive(Args, Debug, Clone)]
pub struct AstArgs {
    /// Specify what kind of code must be parsed.
    #[arg(short = 'm', long, default_value = "exec", value_parser = ["exec", "single", "eval", "func_type"])]
    pub mode: String,
    /// Don't add information about type comments.
    #[arg(long)]
    pub no_type_comments: bool,
    /// Include attributes such as line numbers and column offsets.
    #[arg(short = 'a', long)]
    pub include_attributes: bool,
    /// Indentation of nodes (number of spaces).
    #[arg(short = 'i', long, default_value_t = 3, allow_negative_numbers = true)]
    pub indent: i64,
    /// Python version in the format 3.x (for example, 3.10).
    #[arg(long, value_name = "VERSION")]
    pub feature_version: Option<String>,
    /// Optimization level for parser (-1 to 2).
    #[arg(short = 'O', long, value_name = "LEVEL", default_value_t = -1, allow_negative_numbers = true)]
    pub optimize: i64,
    /// Show empty lists and fields in dump output.
    #[arg(long)]
    pub show_empty: bool,
}

/// The options of `python -m dis`.
#[derive(Args, Debug, Clone, Copy)]
pub struct DisArgs {
    /// Show inline caches.
    #[arg(short = 'C', long)]
    pub show_caches: bool,
    /// Show instruction offsets.
    #[arg(short = 'O', long)]
    pub show_offsets: bool,
    /// Show instruction positions.
    #[arg(short = 'P', long)]
    pub show_positions: bool,
    /// Show specialized bytecode: needs the snippet's code object as CPython made it, so only
    /// the live engine (`--engine cpython`) gives it.
    #[arg(short = 'S', long)]
    pub specialized: bool,
}

impl DisArgs {
    pub fn layout(&self) -> cpyviz_model::dis::DisOptions {
        cpyviz_model::dis::DisOptions {
            show_caches: self.show_caches,
            show_offsets: self.show_offsets,
            show_positions: self.show_positions,
        }
    }
}

impl DumpStage {
    fn parts(&self) -> (Stage, &DumpSource) {
        match self {
            DumpStage::Tokens(s) => (Stage::Tokens, s),
            DumpStage::Ast { source, .. } => (Stage::Ast, source),
            DumpStage::Bytecode { source, .. } => (Stage::Bytecode, source),
            DumpStage::Specialized(s) => (Stage::Specialized, s),
            DumpStage::Uops(s) => (Stage::Uops, s),
            DumpStage::Jit(a) => (Stage::MachineCode, &a.source),
            DumpStage::Trampolines(a) => (Stage::Trampolines, &a.source),
        }
    }

    /// The dump options of this stage.
    fn request(&self) -> dump::Request {
        match self {
            DumpStage::Ast { options, .. } => dump::Request::Ast(dump::AstOptions {
                mode: options.mode.clone(),
                type_comments: !options.no_type_comments,
                include_attributes: options.include_attributes,
                indent: options.indent,
                feature_version: options.feature_version.clone(),
                optimize: options.optimize,
                show_empty: options.show_empty,
            }),
            DumpStage::Bytecode { options, .. } => dump::Request::Bytecode {
                layout: options.layout(),
                specialized: options.specialized,
            },
            DumpStage::Jit(a) => dump::Request::Jit {
                options: a.options(),
                trampolines: false,
            },
            DumpStage::Trampolines(a) => dump::Request::Jit {
                options: a.options(),
                trampolines: true,
            },
            other => dump::Request::Plain(other.parts().0),
        }
    }
}

fn parse_timeout(s: &str) -> Result<Duration, String> {
    match s.parse::<f64>() {
        Ok(t) if t > 0.0 && t.is_finite() && t < 1e9 => Ok(Duration::from_secs_f64(t)),
        _ => Err(format!("'{s}' is not a positive number of seconds")),
    }
}

fn parse_version(s: &str) -> Result<PyVersion, String> {
    s.parse()
}

fn parse_size(s: &str) -> Result<(u16, u16), String> {
    let err = || format!("size '{s}' should look like 120x36");
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(err)?;
    let w: u16 = w.trim().parse().map_err(|_| err())?;
    let h: u16 = h.trim().parse().map_err(|_| err())?;
    let (min_w, min_h) = cpyviz_tui::ui::MIN_SIZE;
    if w < min_w || h < min_h || w > 1000 || h > 1000 {
        return Err(format!(
            "size {w}x{h} is out of range: from {min_w}x{min_h} to 1000x1000"
        ));
    }
    Ok((w, h))
}

fn parse_stage(s: &str) -> Result<Stage, String> {
    Stage::from_cli_name(s).ok_or_else(|| {
        let names: Vec<_> = Stage::all().map(Stage::cli_name).collect();
        format!("unknown stage '{s}' (stages: {})", names.join(", "))
    })
}

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // `cpyviz dump bogus`: name the stages there are.
            if e.kind() == clap::error::ErrorKind::InvalidSubcommand
                && std::env::args().nth(1).as_deref() == Some("dump")
            {
                let _ = e.print();
                eprintln!("\nstages: tokens, ast, bytecode, specialized, uops, jit, trampolines");
                return ExitCode::from(2);
            }
            e.exit()
        }
    };
    match cli.command {
        Some(Command::Dump { stage }) => {
            let (_, source) = stage.parts();
            let request = stage.request();
            let out = match (&source.capture, &source.file) {
                (Some(path), _) => match cpyviz_engine::capture_file::read(path) {
                    Ok(captures) => {
                        dump::dump_request(&request, pick(&captures, source.python_version))
                    }
                    Err(msg) => return fail(msg, 2),
                },
                (None, Some(file)) => {
                    let snippet = Snippet::resolve(file);
                    match source.engine.kind() {
                        EngineKind::Builtin => {
                            let bytes = match snippet.bytes() {
                                Ok(b) => b,
                                Err(msg) => return fail(msg, 2),
                            };
                            dump::dump_file_request(
                                &request,
                                &snippet.name(),
                                &bytes,
                                source.python_version,
                                &source.engine.run.options(),
                            )
                        }
                        EngineKind::Cpython => {
                            let live = snippet.needs_file().and_then(|file| {
                                cpyviz_engine::cpython::capture(file, &source.engine.live())
                            });
                            match live {
                                Ok(c) => dump::dump_request(&request, &c),
                                Err(msg) => return fail(msg, 2),
                            }
                        }
                    }
                }
                (None, None) => return fail("cpyviz: give a FILE or --capture".into(), 2),
            };
            let _ = std::io::stdout().write_all(out.stdout.as_bytes());
            let _ = std::io::stderr().write_all(out.stderr.as_bytes());
            ExitCode::from(out.code.clamp(0, 255) as u8)
        }
        Some(Command::Shot(shot)) => match shot.render().and_then(|bytes| shot.write(&bytes)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(msg) => {
                eprint!("{}", if msg.ends_with('\n') { msg } else { msg + "\n" });
                ExitCode::from(1)
            }
        },
        Some(Command::Conformance {
            files,
            python,
            python_version,
            timeout,
        }) => run_conformance(files, python, python_version, timeout),
        Some(Command::Record {
            file,
            output,
            python,
            timeout,
        }) => {
            let opts = LiveOptions {
                python,
                timeout,
                ..Default::default()
            };
            let capture = match cpyviz_engine::cpython::capture(&file, &opts) {
                Ok(c) => c,
                Err(msg) => return fail(msg, 2),
            };
            if let Err(msg) =
                cpyviz_engine::capture_file::write(&output, std::slice::from_ref(&capture))
            {
                return fail(msg, 1);
            }
            eprintln!(
                "cpyviz: recorded {} with {} into {}",
                file.display(),
                capture.engine.label(),
                output.display()
            );
            ExitCode::SUCCESS
        }
        Some(Command::Stencils { command }) => run_stencils(command),
        Some(Command::Samples { name, extract }) => run_samples(name, extract),
        Some(Command::Lesson {
            lesson,
            step,
            theme,
            run,
        }) => run_lesson(&lesson, step, theme, &run),
        Some(Command::Lessons { dir }) => list_lessons(dir.as_deref()),
        Some(Command::Shots(shots)) => match shots.run() {
            Ok(written) => {
                for w in written {
                    println!("{w}");
                }
                ExitCode::SUCCESS
            }
            Err(msg) => fail(msg, 1),
        },
        Some(Command::Replay {
            capture,
            stage,
            theme,
        }) => match cpyviz_engine::capture_file::read(&capture) {
            Ok(captures) => {
                let version = captures[0].version;
                run_viewer(captures, version, stage, theme)
            }
            Err(msg) => fail(msg, 2),
        },
        None => open_viewer(cli.open),
    }
}

fn run_stencils(command: StencilsCommand) -> ExitCode {
    use cpyviz_jit::store;
    match command {
        StencilsCommand::Import { header } => match store::import(&header) {
            Ok(i) => {
                println!(
                    "cpyviz: imported CPython {} {} stencils ({} groups, {} symbols, sha256 {}) from {}",
                    i.version.label(),
                    i.target,
                    i.groups,
                    i.symbols,
                    &i.sha256[..12],
                    header.display()
                );
                println!("        use them with --stencils imported (dump jit, the viewer's Machine code stage)");
                ExitCode::SUCCESS
            }
            Err(msg) => fail(msg, 2),
        },
        StencilsCommand::List => match store::list() {
            Ok(sets) if sets.is_empty() => {
                println!("cpyviz: no imported stencils (cpyviz stencils import PATH/jit_stencils-<triple>.h)");
                ExitCode::SUCCESS
            }
            Ok(sets) => {
                for s in sets {
                    println!(
                        "{}  {:<26} sha256 {}  from {}",
                        s.version.label(),
                        s.target.triple(),
                        &s.sha256[..12],
                        s.original_path
                    );
                }
                ExitCode::SUCCESS
            }
            Err(msg) => fail(msg, 1),
        },
        StencilsCommand::Export {
            python_version,
            target,
            output,
        } => {
            let set = cpyviz_jit::builtin::stencils(python_version, target);
            let text = cpyviz_jit::header::write(set);
            match std::fs::write(&output, text) {
                Ok(()) => {
                    eprintln!(
                        "cpyviz: wrote cpyviz's built-in {} {} stencils (a model) to {}",
                        python_version.label(),
                        target,
                        output.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => fail(format!("cpyviz: can't write {}: {e}", output.display()), 1),
            }
        }
    }
}

/// `cpyviz samples [NAME] [--extract DIR]`.
fn run_samples(name: Option<String>, extract: Option<PathBuf>) -> ExitCode {
    if let Some(dir) = extract {
        return match embedded::extract(&dir) {
            Ok(lines) => {
                for line in lines {
                    println!("{line}");
                }
                ExitCode::SUCCESS
            }
            Err(msg) => fail(msg, 1),
        };
    }
    match name {
        None => {
            print!("{}", embedded::listing());
            ExitCode::SUCCESS
        }
        Some(name) => match embedded::sample(&name) {
            Some(sample) => {
                print!("{}", sample.text);
                ExitCode::SUCCESS
            }
            None => {
                let names: Vec<&str> = embedded::SAMPLES.iter().map(|s| s.stem()).collect();
                fail(
                    format!(
                        "cpyviz: no sample named '{name}' (samples: {})",
                        names.join(", ")
                    ),
                    2,
                )
            }
        },
    }
}

fn fail(msg: String, code: u8) -> ExitCode {
    eprint!("{}", if msg.ends_with('\n') { msg } else { msg + "\n" });
    ExitCode::from(code)
}

/// The capture of `version` among `captures`, else the first.
fn pick(captures: &[Capture], version: PyVersion) -> &Capture {
    captures
        .iter()
        .find(|c| c.version == version)
        .unwrap_or(&captures[0])
}

fn open_viewer(args: OpenArgs) -> ExitCode {
    let Some(file) = args.file else {
        eprintln!("cpyviz: give a Python file to open, e.g. `cpyviz samples/abs.py` (see --help)");
        return ExitCode::from(2);
    };
    let mut watch = FileWatch::new(
        Snippet::resolve(&file),
        args.engine.kind(),
        args.engine.live(),
        args.engine.run.options(),
        args.watch,
    );
    let captures = match watch.reload() {
        Ok(c) => c,
        Err(msg) => return fail(msg, 1),
    };
    run_viewer_with(
        captures,
        args.python_version,
        args.stage,
        args.theme,
        Some(Box::new(watch)),
    )
}

/// Opens the interactive viewer on ready captures (the CLI's one entry point to the TUI).
pub fn run_viewer(
    captures: Vec<Capture>,
    version: PyVersion,
    stage: Stage,
    theme: ThemeName,
) -> ExitCode {
    run_viewer_with(captures, version, stage, theme, None)
}

/// [`run_viewer`], following a file for live editing (`--watch`, `e`).
pub fn run_viewer_with(
    captures: Vec<Capture>,
    version: PyVersion,
    stage: Stage,
    theme: ThemeName,
    watcher: Option<Box<dyn Watcher>>,
) -> ExitCode {
    use std::io::IsTerminal;
    if captures.is_empty() {
        return fail("cpyviz: nothing to show".into(), 1);
    }
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        eprintln!(
            "cpyviz: the viewer needs a terminal; use `cpyviz dump` or `cpyviz shot` to write a stage to a file or pipe"
        );
        return ExitCode::from(2);
    }
    let mut app = cpyviz_tui::app::App::new(captures, version, stage);
    app.set_theme(theme);
    match cpyviz_tui::terminal::run_with(app, watcher) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cpyviz: terminal error: {e}");
            ExitCode::from(1)
        }
    }
}

/// `cpyviz shot`: the viewer rendered headless and exported.
#[derive(Args, Debug, Clone)]
pub struct Shot {
    /// The Python file to show (builtin engine; not needed with --capture or --lesson).
    #[arg(required_unless_present_any = ["capture", "lesson"])]
    pub file: Option<PathBuf>,
    /// Render from a capture file made by `cpyviz record` (e.g. a live CPython's JIT code).
    #[arg(long, value_name = "NAME.capture.json", conflicts_with = "file")]
    pub capture: Option<PathBuf>,
    /// Render a step of a lesson in the presenter layout (with --step).
    #[arg(long, value_name = "LESSON.toml", conflicts_with_all = ["file", "capture"])]
    pub lesson: Option<PathBuf>,
    /// The lesson's step to render (from 1).
    #[arg(long, value_name = "N", requires = "lesson", default_value_t = 1)]
    pub step: usize,
    /// The stage to show.
    #[arg(long, default_value = "tokens", value_parser = parse_stage)]
    pub stage: Stage,
    /// Select row N of the stage pane (0-based: token N, AST row N).
    #[arg(long)]
    pub select: Option<usize>,
    /// Screen size in cells, WIDTHxHEIGHT.
    #[arg(long, default_value = "120x36", value_parser = parse_size)]
    pub size: (u16, u16),
    /// The CPython version profile to model.
    #[arg(long = "python-version", default_value = "3.14", value_parser = parse_version)]
    pub python_version: PyVersion,
    /// Output file: .svg, .png, .html, .txt, .cast (asciinema) or .gif (a one-frame
    /// animation).
    #[arg(short, long)]
    pub output: PathBuf,
    /// PNG and GIF pixel scale (2 for high-DPI screens).
    #[arg(long, default_value_t = 2.0)]
    pub scale: f32,
    /// The colours: dark, light (blog posts, print) or high-contrast (projectors). Default:
    /// dark; a lesson's step: high-contrast, as the presenter shows it.
    #[arg(long, value_parser = theme_parser())]
    pub theme: Option<ThemeName>,
    /// Add a line under the image: cpyviz's version, the engine and the exact CPython build,
    /// and on the JIT stages the target and the stencils.
    #[arg(long)]
    pub footer: bool,
    /// The JIT stages' target (default: the recorded interpreter's, else x86_64-unknown-linux-gnu).
    #[arg(long, value_name = "TRIPLE", value_parser = parse_target)]
    pub target: Option<Target>,
    /// The JIT stages' stencils: builtin, imported, or the path of a jit_stencils-TRIPLE.h.
    #[arg(long, default_value = "builtin", value_name = "builtin|imported|PATH")]
    pub stencils: String,
    /// The JIT stages' memory model: recorded, near, far or low.
    #[arg(long, default_value = "recorded", value_name = "recorded|near|far|low")]
    pub memory: String,
    #[command(flatten)]
    pub run: RunArgs,
}

impl Shot {
    /// The shot a `cpyviz shot …` command line asks for.
    pub fn from_args<I, T>(args: I) -> Result<Shot, String>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        match Cli::try_parse_from(args)
            .map_err(|e| e.to_string())?
            .command
        {
            Some(Command::Shot(shot)) => Ok(shot),
            _ => Err("not a `cpyviz shot` command line".to_string()),
        }
    }

    /// The exported file's bytes.
    pub fn render(&self) -> Result<Vec<u8>, String> {
        let format = cpyviz_export::Format::from_path(&self.output)?;
        if !(0.25..=8.0).contains(&self.scale) {
            return Err(format!(
                "cpyviz: --scale {} is out of range (0.25 to 8)",
                self.scale
            ));
        }
        if let Some(lesson) = &self.lesson {
            let loaded = load_lesson(lesson, &self.run.options())?;
            // A step names its own JIT options (target, memory model).
            let mut l = lesson_app(loaded, self.step)?;
            if let Some(theme) = self.theme {
                l.app.set_theme(theme);
            }
            l.settle();
            return export_lesson(&mut l, self.size, format, self.scale, self.footer);
        }
        let captures = match (&self.capture, &self.file) {
            (Some(path), _) => cpyviz_engine::capture_file::read(path)?,
            (None, Some(file)) => Snippet::resolve(file).captures(
                EngineKind::Builtin,
                &LiveOptions::default(),
                &self.run.options(),
            )?,
            (None, None) => return Err("cpyviz: give a FILE or --capture".into()),
        };
        let mut app = cpyviz_tui::app::App::new(captures, self.python_version, self.stage);
        app.set_theme(self.theme.unwrap_or(ThemeName::Dark));
        app.set_jit_options(jit_options(&self.stencils, &self.memory, self.target));
        app.settle();
        if let Some(row) = self.select {
            let rows = app.row_count();
            if row >= rows {
                return Err(format!(
                    "cpyviz: --select {row} is out of range: the {} pane has {rows} rows",
                    self.stage.title()
                ));
            }
            app.set_selected_row(row);
        }
        let frame = cpyviz_tui::ui::export_frame(
            &mut app,
            self.size.0,
            self.size.1,
            self.footer,
            cpyviz_export::STILL_SECONDS,
        );
        match format.animation() {
            Some(anim) => cpyviz_export::animate(&[frame], anim, self.scale),
            None => cpyviz_export::export_scaled(&frame.buffer, &frame.options, format, self.scale),
        }
    }

    /// Writes the exported bytes to the output file.
    pub fn write(&self, bytes: &[u8]) -> Result<(), String> {
        std::fs::write(&self.output, bytes).map_err(|e| {
            format!(
                "cpyviz: can't write '{}': {}",
                self.output.display(),
                cpyviz_engine::io_reason(&e)
            )
        })
    }
}

fn run_conformance(
    mut files: Vec<PathBuf>,
    python: Option<PathBuf>,
    version: Option<PyVersion>,
    timeout: Duration,
) -> ExitCode {
    if files.is_empty() {
        let mut samples: Vec<PathBuf> = std::fs::read_dir("samples")
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "py"))
                    .collect()
            })
            .unwrap_or_default();
        samples.sort();
        if samples.is_empty() {
            return fail(
                "cpyviz: give the Python files to compare (no samples/*.py here)".into(),
                2,
            );
        }
        files = samples;
    }
    let python = python.or_else(|| version.map(|v| PathBuf::from(format!("python{v}"))));
    let opts = LiveOptions {
        python,
        timeout,
        ..Default::default()
    };
    let mut label = String::new();
    let mut rows = Vec::new();
    for file in &files {
        let name = file.to_string_lossy().to_string();
        let result = cpyviz_engine::read_file(file).and_then(|bytes| {
            let live = cpyviz_engine::cpython::capture(file, &opts)?;
            if label.is_empty() {
                label = live.engine.label();
            }
            Ok(cpyviz_engine::conformance::compare(&name, &bytes, &live))
        });
        if let Err(msg) = &result {
            // A missing or unusable interpreter fails every file the same way: stop at once.
            if msg.contains("not found") || msg.contains("needs CPython") {
                return fail(msg.clone(), 2);
            }
        }
        rows.push((name, result));
    }
    print!("{}", cpyviz_engine::conformance::report(&label, &rows));
    ExitCode::SUCCESS
}

/// Loads the lesson a command line names (a file, else a built-in lesson; the files it names
/// are read from disk, else from the built-in copies).
fn load_lesson(
    arg: &std::path::Path,
    run: &RunOptions,
) -> Result<cpyviz_engine::lesson::Loaded, String> {
    let path = crate::embedded::lesson_path(arg);
    if crate::embedded::read_for_lesson(&path).is_err() && !path.exists() {
        return Err(format!(
            "cpyviz: no lesson '{}': no such file, nor a built-in lesson (`cpyviz lessons` lists them)",
            arg.display()
        ));
    }
    cpyviz_engine::lesson::load_with(&path, &crate::embedded::read_for_lesson, run)
}

/// A lesson's viewer at `step` (from 1), or why there is no such step.
fn lesson_app(
    loaded: cpyviz_engine::lesson::Loaded,
    step: usize,
) -> Result<cpyviz_tui::lesson::LessonApp, String> {
    let n = loaded.lesson.steps.len();
    if step == 0 || step > n {
        return Err(format!(
            "cpyviz: --step {step} is out of range: {} has steps 1 to {n}",
            loaded.name
        ));
    }
    let mut l =
        cpyviz_tui::lesson::LessonApp::new(loaded.lesson, loaded.captures, loaded.capture_of);
    l.go_to(step - 1);
    Ok(l)
}

/// A settled lesson step, rendered and exported (a one-frame animation for .cast and .gif).
fn export_lesson(
    l: &mut cpyviz_tui::lesson::LessonApp,
    (w, h): (u16, u16),
    format: cpyviz_export::Format,
    scale: f32,
    footer: bool,
) -> Result<Vec<u8>, String> {
    let frame = cpyviz_tui::ui::lesson::export_frame(l, w, h, footer);
    match format.animation() {
        Some(anim) => cpyviz_export::animate(&[frame], anim, scale),
        None => cpyviz_export::export_scaled(&frame.buffer, &frame.options, format, scale),
    }
}

fn run_lesson(
    path: &std::path::Path,
    step: Option<usize>,
    theme: ThemeName,
    run: &RunArgs,
) -> ExitCode {
    use std::io::IsTerminal;
    let loaded = match load_lesson(path, &run.options()) {
        Ok(l) => l,
        Err(msg) => return fail(msg, 2),
    };
    let mut l = match lesson_app(loaded, step.unwrap_or(1)) {
        Ok(l) => l,
        Err(msg) => return fail(msg, 2),
    };
    l.app.set_theme(theme);
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        eprintln!(
            "cpyviz: a lesson needs a terminal; use `cpyviz shots` to export its steps as images"
        );
        return ExitCode::from(2);
    }
    match cpyviz_tui::terminal::run(l) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(format!("cpyviz: terminal error: {e}"), 1),
    }
}

/// The lesson files of a folder, sorted by name.
fn lesson_files(dir: &std::path::Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        format!(
            "cpyviz: can't list '{}': {}",
            dir.display(),
            cpyviz_engine::io_reason(&e)
        )
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

fn list_lessons(dir: Option<&std::path::Path>) -> ExitCode {
    // (how to name it, its text): a folder's lessons, else the built-in ones.
    let files: Vec<(String, Result<String, String>)> = match dir {
        Some(dir) => match lesson_files(dir) {
            Ok(f) if f.is_empty() => {
                return fail(
                    format!("cpyviz: no lessons (*.toml) in '{}'", dir.display()),
                    2,
                )
            }
            Ok(f) => f
                .into_iter()
                .map(|p| {
                    let text = cpyviz_engine::read_file(&p)
                        .map(|b| String::from_utf8_lossy(&b).to_string());
                    (p.display().to_string(), text)
                })
                .collect(),
            Err(msg) => return fail(msg, 2),
        },
        None => crate::embedded::lesson_files()
            .into_iter()
            .map(|l| (format!("lessons/{}", l.path), Ok(l.text.to_string())))
            .collect(),
    };
    let mut bad = false;
    for (name, text) in files {
        let parsed = text.and_then(|text| {
            cpyviz_model::lesson::Lesson::parse(&text).map_err(|e| e.render(&name))
        });
        match parsed {
            Ok(l) => {
                println!("{name}  {} ({} steps)", l.title, l.steps.len());
                if !l.summary.is_empty() {
                    println!("    {}", l.summary);
                }
            }
            Err(msg) => {
                bad = true;
                eprintln!("{msg}");
            }
        }
    }
    println!("\npresent one: cpyviz lesson FILE · export its steps: cpyviz shots FILE -o DIR");
    if bad {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// `cpyviz shots`: every step of a lesson exported.
#[derive(Args, Debug, Clone)]
pub struct Shots {
    /// The lesson file.
    pub lesson: PathBuf,
    /// A folder to write one image per step into (created if missing), or one animation of
    /// every step: NAME.gif or NAME.cast (asciinema), each step shown for its duration.
    #[arg(short, long)]
    pub output: PathBuf,
    /// The colours: dark, light or high-contrast (the presenter's, the default).
    #[arg(long, default_value = "high-contrast", value_parser = theme_parser())]
    pub theme: ThemeName,
    /// Add a line under each image: cpyviz's version, the engine and the exact CPython build,
    /// and on the JIT stages the target and the stencils.
    #[arg(long)]
    pub footer: bool,
    /// The image format: svg, png, html or txt.
    #[arg(long, default_value = "svg", value_parser = ["svg", "png", "html", "txt"])]
    pub format: String,
    /// Screen size in cells, WIDTHxHEIGHT.
    #[arg(long, default_value = "100x30", value_parser = parse_size)]
    pub size: (u16, u16),
    /// PNG pixel scale (2 for high-DPI screens).
    #[arg(long, default_value_t = 2.0)]
    pub scale: f32,
    #[command(flatten)]
    pub run: RunArgs,
}

impl Shots {
    /// Writes one file per step; returns their paths.
    pub fn run(&self) -> Result<Vec<String>, String> {
        if !(0.25..=8.0).contains(&self.scale) {
            return Err(format!(
                "cpyviz: --scale {} is out of range (0.25 to 8)",
                self.scale
            ));
        }
        let loaded = load_lesson(&self.lesson, &self.run.options())?;
        let stem = self
            .lesson
            .file_stem()
            .map_or("lesson".into(), |s| s.to_string_lossy().to_string());
        let n = loaded.lesson.steps.len();
        let mut l = lesson_app(loaded, 1)?;
        l.app.set_theme(self.theme);
        let animation = cpyviz_export::Format::from_path(&self.output)
            .ok()
            .and_then(|f| f.animation());
        if let Some(anim) = animation {
            let mut frames = Vec::with_capacity(n);
            for i in 0..n {
                l.go_to(i);
                l.settle();
                frames.push(cpyviz_tui::ui::lesson::export_frame(
                    &mut l,
                    self.size.0,
                    self.size.1,
                    self.footer,
                ));
            }
            // The animation's title is the lesson's.
            if let Some(first) = frames.first_mut() {
                first.options.title = Some(format!("cpyviz · {}", l.lesson.title));
            }
            let bytes = cpyviz_export::animate(&frames, anim, self.scale)?;
            std::fs::write(&self.output, bytes).map_err(|e| {
                format!(
                    "cpyviz: can't write '{}': {}",
                    self.output.display(),
                    cpyviz_engine::io_reason(&e)
                )
            })?;
            return Ok(vec![self.output.display().to_string()]);
        }
        std::fs::create_dir_all(&self.output).map_err(|e| {
            format!(
                "cpyviz: can't create '{}': {}",
                self.output.display(),
                cpyviz_engine::io_reason(&e)
            )
        })?;
        let name = format!("x.{}", self.format);
        let format = cpyviz_export::Format::from_path(std::path::Path::new(&name))?;
        let mut written = Vec::new();
        for i in 0..n {
            l.go_to(i);
            l.settle();
            let bytes = export_lesson(&mut l, self.size, format, self.scale, self.footer)?;
            let out = self
                .output
                .join(format!("{stem}-step{:02}.{}", i + 1, self.format));
            std::fs::write(&out, bytes).map_err(|e| {
                format!(
                    "cpyviz: can't write '{}': {}",
                    out.display(),
                    cpyviz_engine::io_reason(&e)
                )
            })?;
            written.push(out.display().to_string());
        }
        Ok(written)
    }
}

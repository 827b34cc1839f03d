//! Benchmarks (run with `cargo bench`):
//!
//! 1. tokens + AST of a generated 10,000-line module, against reference CPython 3.15's
//!    `tokenize` + `ast.parse` of the same text timed inside that interpreter; prints the ratio
//!    (target ≤ 1.0: cpyviz at most as slow as CPython).
//! 2. source → bytecode (tokens are not needed: parse + compile) of the same module, against
//!    CPython 3.15's `compile(src, path, "exec")` timed inside that interpreter; prints the ratio
//!    (target ≤ 1.0).
//! 3. rendering one viewer frame at 200×60 (target ≤ 2 ms).
//! 4. real code: every module of reference CPython 3.15's standard library through tokens, AST
//!    and bytecode in process, against that CPython's `compile()` of the same files timed inside
//!    it; and whole-process `cpyviz dump bytecode` against `python -m dis` on the five largest
//!    modules (median wall time of each).
//! 5. scaling: generated modules of 10k, 40k and 100k lines through tokens, AST and bytecode
//!    in process (cost per line), and whole-process `dump ast` / `dump bytecode` against
//!    `python -m ast` / `python -m dis` on the same files.
//!
//! `cargo bench --bench pipeline -- --short` runs only the scaling check in process, at 10k
//! and 100k lines, and exits non-zero when the cost per line at 100k is more than twice the
//! cost at 10k (a ratio within one run, so it holds on any machine); CI runs it.
//!
//! 6. the JIT stages: assembling each built-in stencil set, writing and reading it back as a
//!    `jit_stencils-<triple>.h` (the size of a real CPython header), and copy-and-patch of the
//!    committed captures' traces (absolute times: CPython publishes no such figure).
//!
//! 7. the built-in VM: running each bundled sample (`samples/*.py`, compiled beforehand)
//!    against reference CPython 3.15 with the JIT off (`PYTHON_JIT=0`) running the same code
//!    object (`exec`, stdout captured), median of several runs each, in the same benchmark run;
//!    prints the ratios (target ≤ 10×; the long-term goal is ≤ 2×).
//!
//! 8. live editing (`cpyviz --watch`): one refresh of each bundled sample with the built-in
//!    engine — the file saved again, the watch's look and reload (new captures), the viewer
//!    taking them in and settling every stage (tokens … micro-ops, and the machine code of the
//!    JIT stage it is on) — median of 5 per sample (goal: well under 100 ms).
//!
//! `cargo bench --bench pipeline -- --scaling` runs only benchmark 5, `-- --jit` only 6,
//! `-- --vm` only 7, `-- --refresh` only 8.
//!
//! The reference CPython is found as `$CPYVIZ_REFPY` (a command such as
//! `../shared/refpy/python 3.15`), else `../shared/refpy/python 3.15` if it exists. Without one the
//! ratio is reported as not measured.

use cpyviz_compiler as compiler;
use cpyviz_engine::builtin;
use cpyviz_model::capture::Stage;
use cpyviz_model::source::Source;
use cpyviz_model::version::PyVersion;
use cpyviz_syntax as syntax;
use cpyviz_tui::app::App;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// A module of about `lines` lines of typical code: functions, classes, loops, f-strings,
/// comprehensions, dicts and comments.
fn generate_module(lines: usize) -> String {
    let mut out = String::from("\"\"\"A generated module for benchmarking.\"\"\"\nimport math\n\n");
    let mut i = 0;
    while out.lines().count() < lines {
        out.push_str(&format!(
            r#"
# Block {i}: a function, a class and a loop.
def compute_{i}(a: int, b: int = {i}, *args, scale=1.5, **kwargs) -> float:
    """Return a value computed from a and b."""
    total = 0
    for k in range(a, b + {i}):
        if k % 3 == 0 and k > 2:
            total += k * scale
        elif k in (1, 2, 5):
            total -= math.sqrt(k) / 2
        else:
            total = total ** 0.5 if total > 0 else -total
    squares = [x * x for x in range(10) if x % 2]
    table = {{"key_{i}": squares, 'other': {{k: v for k, v in kwargs.items()}}}}
    return f"{{total:>{{a}}.2f}} {{table['key_{i}']!r}} {{b=}}"


class Point{i}(object):
    scale = {i}.25e-3

    def __init__(self, x, y):
        self.x, self.y = x, y

    def norm(self):
        return (self.x ** 2 + self.y ** 2) ** 0.5 * self.scale

    @property
    def pair(self):
        return [self.x, self.y][::-1]


value_{i} = compute_{i}(1, 2, 3, 4, scale=0.5, extra=0x{i:x}) if {i} else None
"#
        ));
        i += 1;
    }
    out
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<F: FnMut()>(runs: usize, mut f: F) -> Duration {
    f(); // warm up
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

/// The fastest of `runs` runs of `f` (after one warm-up run).
fn fastest<F: FnMut()>(runs: usize, mut f: F) -> Duration {
    f();
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn reference_command() -> Option<Vec<String>> {
    if let Ok(cmd) = std::env::var("CPYVIZ_REFPY") {
        return Some(cmd.split_whitespace().map(String::from).collect());
    }
    let default = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/refpy/python");
    let root = std::env::var("REFPY_ROOT").unwrap_or_else(|_| "/opt/cpython-ref".into());
    (std::path::Path::new(default).exists()
        && std::path::Path::new(&format!("{root}/usr/bin/python3.15")).exists())
    .then(|| vec![default.to_string(), "3.15".to_string()])
}

/// Median seconds CPython takes to run `work` (Python statements using `src`, the text of
/// `path`), timed in-process.
fn reference_seconds(
    cmd: &[String],
    path: &std::path::Path,
    runs: usize,
    work: &str,
) -> Result<f64, String> {
    let script = format!(
        r#"
import ast, io, time, tokenize
src = open({path:?}, encoding="utf-8").read()
def once():
{work}
once()
times = []
for _ in range({runs}):
    t = time.perf_counter(); once(); times.append(time.perf_counter() - t)
times.sort()
print(times[len(times) // 2])
"#,
        path = path.display().to_string(),
        work = work
            .lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    );
    let out = std::process::Command::new(&cmd[0])
        .args(&cmd[1..])
        .arg("-c")
        .arg(script)
        .output()
        .map_err(|e| format!("could not run {}: {e}", cmd[0]))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .map_err(|e| format!("unexpected output from the reference CPython: {e}"))
}

fn bench_tokens_ast() {
    let text = generate_module(10_000);
    let lines = text.lines().count();
    let source = Source::from_text("bench_module.py", text.clone());
    let runs = 7;
    let ours = time(runs, || {
        let tokens = syntax::tokens::tokenize(black_box(&source), PyVersion::V3_15);
        let ast = syntax::ast::parse(black_box(&source), PyVersion::V3_15);
        let _ = black_box((tokens, ast));
    });
    let check = builtin::capture(source.clone(), PyVersion::V3_15);
    let ok = check.tokens().is_ok() && check.ast().is_ok();
    println!(
        "tokens+ast  {lines} lines: cpyviz {:.1} ms{}",
        ours.as_secs_f64() * 1e3,
        if ok {
            ""
        } else {
            "  (WARNING: a stage failed on the generated module)"
        }
    );
    match reference_command() {
        None => println!(
            "tokens+ast  reference CPython 3.15 not found (set CPYVIZ_REFPY or run ../shared/refpy/install): ratio not measured"
        ),
        Some(cmd) => {
            let path = std::env::temp_dir().join("cpyviz_bench_module.py");
            if let Err(e) = std::fs::write(&path, &text) {
                println!("tokens+ast  could not write {}: {e}", path.display());
                return;
            }
            let work = "list(tokenize.generate_tokens(io.StringIO(src).readline))\nast.parse(src)";
            match reference_seconds(&cmd, &path, runs, work) {
                Ok(secs) => println!(
                    "tokens+ast  CPython 3.15 tokenize+ast.parse {:.1} ms  ratio cpyviz/CPython = {:.2} (target <= 1.0)",
                    secs * 1e3,
                    ours.as_secs_f64() / secs
                ),
                Err(e) => println!("tokens+ast  reference CPython failed: {e}"),
            }
        }
    }
}

fn bench_bytecode() {
    let text = generate_module(10_000);
    let lines = text.lines().count();
    let source = Source::from_text("bench_module.py", text.clone());
    let runs = 7;
    #[allow(clippy::result_large_err)]
    let compile = || {
        let ast = syntax::ast::parse(black_box(&source), PyVersion::V3_15)?;
        compiler::compile(&ast, &source, PyVersion::V3_15)
    };
    let status = match compile() {
        Ok(_) => String::new(),
        Err(e) => format!("  (WARNING: the compiler refused the module: {})", e.msg),
    };
    let ours = time(runs, || {
        let _ = black_box(compile());
    });
    println!(
        "bytecode    {lines} lines: cpyviz parse+compile {:.1} ms{status}",
        ours.as_secs_f64() * 1e3
    );
    let Some(cmd) = reference_command() else {
        println!("bytecode    reference CPython 3.15 not found: ratio not measured");
        return;
    };
    let path = std::env::temp_dir().join("cpyviz_bench_module.py");
    if let Err(e) = std::fs::write(&path, &text) {
        println!("bytecode    could not write {}: {e}", path.display());
        return;
    }
    match reference_seconds(&cmd, &path, runs, "compile(src, 'bench_module.py', 'exec')") {
        Ok(secs) => println!(
            "bytecode    CPython 3.15 compile() {:.1} ms  ratio cpyviz/CPython = {:.2} (target <= 1.0)",
            secs * 1e3,
            ours.as_secs_f64() / secs
        ),
        Err(e) => println!("bytecode    reference CPython failed: {e}"),
    }
}

fn bench_frame() {
    let text = include_str!("../samples/abs.py");
    let source = Source::from_text("samples/abs.py", text);
    let captures: Vec<_> = PyVersion::ALL
        .iter()
        .map(|&v| builtin::capture(source.clone(), v))
        .collect();
    for stage in [Stage::Tokens, Stage::Ast] {
        let mut app = App::new(captures.clone(), PyVersion::V3_14, stage);
        app.update(cpyviz_tui::app::Action::Down);
        let t = time(200, || {
            black_box(cpyviz_tui::ui::render_to_buffer(&mut app, 200, 60));
        });
        println!(
            "frame       200x60 {:<6} {:.3} ms (target <= 2 ms)",
            stage.cli_name(),
            t.as_secs_f64() * 1e3
        );
    }
}

/// Median wall time of `runs` runs of a whole process (its output discarded).
fn wall(runs: usize, program: &str, args: &[&str]) -> Duration {
    time(runs, || {
        let _ = std::process::Command::new(program)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status();
    })
}

/// The `.py` files of reference CPython 3.15's standard library, as the sweep lists them.
fn stdlib_files() -> Vec<std::path::PathBuf> {
    let root = std::env::var("REFPY_ROOT").unwrap_or_else(|_| "/opt/cpython-ref".into());
    let lib = std::path::PathBuf::from(format!("{root}/usr/lib/python3.15"));
    let mut found = Vec::new();
    let mut dirs = vec![lib];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            let name = e.file_name().to_string_lossy().to_string();
            if path.is_dir() {
                if !matches!(
                    name.as_str(),
                    "__pycache__" | "site-packages" | "dist-packages"
                ) {
                    dirs.push(path);
                }
            } else if name.ends_with(".py") && path.is_file() {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

fn bench_stdlib() {
    let Some(cmd) = reference_command() else {
        println!("stdlib      reference CPython 3.15 not found: not measured");
        return;
    };
    // The files both compile: CPython's own verdict first.
    let files = stdlib_files();
    let list = std::env::temp_dir().join("cpyviz_bench_stdlib.txt");
    let names: String = files.iter().map(|p| format!("{}\n", p.display())).collect();
    if std::fs::write(&list, names).is_err() {
        println!("stdlib      could not write {}", list.display());
        return;
    }
    let script = format!(
        r#"
import time
paths = open({list:?}).read().split("\n")[:-1]
srcs = []
for p in paths:
    b = open(p, "rb").read()
    try:
        compile(b, p, "exec")
    except (SyntaxError, ValueError):
        continue
    srcs.append((p, b))
print(len(srcs))
for p, b in srcs:
    print(p)
times = []
for _ in range(3):
    t = time.perf_counter()
    for p, b in srcs:
        compile(b, p, "exec")
    times.append(time.perf_counter() - t)
times.sort()
print(times[1])
"#,
        list = list.display().to_string()
    );
    let out = match std::process::Command::new(&cmd[0])
        .args(&cmd[1..])
        .arg("-c")
        .arg(script)
        .output()
    {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        Ok(o) => {
            println!(
                "stdlib      reference CPython failed: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            return;
        }
        Err(e) => {
            println!("stdlib      could not run {}: {e}", cmd[0]);
            return;
        }
    };
    let lines: Vec<&str> = out.lines().collect();
    let n: usize = lines.first().and_then(|l| l.parse().ok()).unwrap_or(0);
    let paths: Vec<&str> = lines.iter().skip(1).take(n).copied().collect();
    let cpython: f64 = lines
        .get(n + 1)
        .and_then(|l| l.parse().ok())
        .unwrap_or(f64::NAN);
    let sources: Vec<Source> = paths
        .iter()
        .filter_map(|p| Source::decode(*p, &std::fs::read(p).ok()?).ok())
        .collect();
    let total_lines: usize = sources.iter().map(|s| s.text.lines().count()).sum();
    let mut failed = 0;
    let ours = time(3, || {
        failed = 0;
        for source in &sources {
            let tokens = syntax::tokens::tokenize(source, PyVersion::V3_15);
            let code = match syntax::ast::parse(source, PyVersion::V3_15) {
                Ok(ast) => compiler::compile(&ast, source, PyVersion::V3_15).is_ok(),
                Err(_) => false,
            };
            if tokens.is_err() || !code {
                failed += 1;
            }
            let _ = black_box(tokens);
        }
    });
    println!(
        "stdlib      {} files, {total_lines} lines: cpyviz tokens+ast+bytecode {:.0} ms, CPython 3.15 compile() {:.0} ms  ratio cpyviz/CPython = {:.2}{}",
        sources.len(),
        ours.as_secs_f64() * 1e3,
        cpython * 1e3,
        ours.as_secs_f64() / cpython,
        if failed > 0 { format!("  (WARNING: {failed} files failed in cpyviz)") } else { String::new() }
    );
    // Whole process on the largest modules.
    let mut by_size: Vec<(u64, &str)> = paths
        .iter()
        .filter_map(|p| Some((std::fs::metadata(p).ok()?.len(), *p)))
        .collect();
    by_size.sort();
    for (_, path) in by_size.iter().rev().take(5) {
        let wall = |program: &str, args: &[&str]| wall(3, program, args);
        let ours = wall(
            env!("CARGO_BIN_EXE_cpyviz"),
            &["dump", "bytecode", path, "--python-version", "3.15"],
        );
        let mut args: Vec<&str> = cmd[1..].iter().map(String::as_str).collect();
        args.extend(["-m", "dis", path]);
        let theirs = wall(&cmd[0], &args);
        let name = std::path::Path::new(path)
            .strip_prefix(
                std::path::Path::new(path)
                    .ancestors()
                    .nth(2)
                    .unwrap_or("/".as_ref()),
            )
            .unwrap_or(std::path::Path::new(path))
            .display()
            .to_string();
        println!(
            "dis         {name:<28} cpyviz dump bytecode {:.0} ms, python3.15 -m dis {:.0} ms  ratio = {:.2}",
            ours.as_secs_f64() * 1e3,
            theirs.as_secs_f64() * 1e3,
            ours.as_secs_f64() / theirs.as_secs_f64()
        );
    }
}

/// A module of `lines` lines of the shape that made the front end quadratic once: every line
/// a new name and new constants.
fn constants_module(lines: usize) -> String {
    (0..lines)
        .map(|n| format!("v{n} = {n} * 2 + {n}\n"))
        .collect()
}

/// Seconds per line of tokens, AST and bytecode (each stage alone) for `text`: the fastest of
/// `runs` runs, the statistic least disturbed by whatever else the machine is doing.
fn in_process_per_line(text: &str, runs: usize) -> [f64; 3] {
    let lines = text.lines().count() as f64;
    let source = Source::from_text("scaling.py", text.to_string());
    let tokens = fastest(runs, || {
        let _ = black_box(syntax::tokens::tokenize(&source, PyVersion::V3_15));
    });
    let ast = fastest(runs, || {
        let _ = black_box(syntax::ast::parse(&source, PyVersion::V3_15));
    });
    let tree = syntax::ast::parse(&source, PyVersion::V3_15).ok();
    let bytecode = fastest(runs, || {
        if let Some(tree) = &tree {
            let _ = black_box(compiler::compile(tree, &source, PyVersion::V3_15).is_ok());
        }
    });
    [tokens, ast, bytecode].map(|d| d.as_secs_f64() / lines)
}

/// Keeps memory glibc's malloc frees inside the process instead of returning it to the
/// kernel after each run. Otherwise every run of a 100k-line module faults in tens of MiB of
/// fresh pages (about 520,000 page faults in one `--short` run), and on a virtual machine that
/// cost per page grows with the amount: the tokenizer measured 0.56 µs/line at 100k against
/// 0.23 at 10k (ratio 2.4) with the default thresholds, 0.25 against 0.23 (ratio 1.08) with
/// these. The guard is about the algorithms scaling linearly, so it measures them this way.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes malloc's tuning parameters; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
    }
}

/// The CI guard: cost per line at 100k lines within twice that at 10k, for every stage.
fn scaling_short() -> bool {
    let small = in_process_per_line(&constants_module(10_000), 7);
    let large = in_process_per_line(&constants_module(100_000), 3);
    let mut ok = true;
    for (i, stage) in ["tokens", "ast", "bytecode"].iter().enumerate() {
        let ratio = large[i] / small[i];
        let verdict = if ratio <= 2.0 {
            "ok"
        } else {
            "TOO SLOW: not linear"
        };
        println!(
            "scaling     {stage:<9} {:.2} µs/line at 10k, {:.2} µs/line at 100k: ratio {ratio:.2} (limit 2.0) {verdict}",
            small[i] * 1e6,
            large[i] * 1e6
        );
        ok &= ratio <= 2.0;
    }
    ok
}

/// The scaling table: in process per line, and whole process against the reference CPython.
fn bench_scaling() {
    let cmd = reference_command();
    println!("scaling     lines   tokens µs/line  ast µs/line  bytecode µs/line | dump ast / -m ast  dump bytecode / -m dis | parse+compile / compile()");
    for lines in [10_000, 40_000, 100_000] {
        let text = constants_module(lines);
        let per = in_process_per_line(&text, if lines > 50_000 { 3 } else { 7 });
        let path = std::env::temp_dir().join(format!("cpyviz_scaling_{lines}.py"));
        let whole = if std::fs::write(&path, &text).is_ok() {
            let path = path.display().to_string();
            let wall = |program: &str, args: &[&str]| wall(1, program, args).as_secs_f64();
            let bin = env!("CARGO_BIN_EXE_cpyviz");
            let ours_ast = wall(bin, &["dump", "ast", &path, "--python-version", "3.15"]);
            let ours_dis = wall(
                bin,
                &["dump", "bytecode", &path, "--python-version", "3.15"],
            );
            match &cmd {
                Some(cmd) => {
                    let with = |m: &str| -> Vec<String> {
                        let mut a: Vec<String> = cmd[1..].to_vec();
                        a.extend(["-m".to_string(), m.to_string(), path.clone()]);
                        a
                    };
                    let run = |m: &str| {
                        let a = with(m);
                        wall(&cmd[0], &a.iter().map(String::as_str).collect::<Vec<_>>())
                    };
                    let (theirs_ast, theirs_dis) = (run("ast"), run("dis"));
                    let ours_compile = (per[1] + per[2]) * lines as f64;
                    let in_process = match reference_seconds(
                        cmd,
                        std::path::Path::new(&path),
                        if lines > 50_000 { 1 } else { 3 },
                        "compile(src, 'scaling.py', 'exec')",
                    ) {
                        Ok(theirs) => format!(
                            "{ours_compile:.2} s / {theirs:.2} s = {:.2}",
                            ours_compile / theirs
                        ),
                        Err(e) => format!("reference failed: {e}"),
                    };
                    format!(
                        "{:.2} s / {:.2} s = {:.2}   {:.2} s / {:.2} s = {:.2}   | {in_process}",
                        ours_ast,
                        theirs_ast,
                        ours_ast / theirs_ast,
                        ours_dis,
                        theirs_dis,
                        ours_dis / theirs_dis
                    )
                }
                None => format!("{ours_ast:.2} s (no reference)   {ours_dis:.2} s (no reference)"),
            }
        } else {
            "could not write the file".to_string()
        };
        println!(
            "scaling     {lines:>7} {:>10.2} {:>12.2} {:>16.2}     | {whole}",
            per[0] * 1e6,
            per[1] * 1e6,
            per[2] * 1e6
        );
    }
}

/// Benchmark 6: the JIT stages.
fn bench_jit() {
    use cpyviz_model::jit::{JitOptions, Target};
    use cpyviz_model::version::PyVersion;
    println!("6. JIT stages (fastest of 5 runs)");
    let fastest = |f: &mut dyn FnMut()| {
        (0..5)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .min()
            .unwrap_or_default()
    };
    for v in PyVersion::ALL {
        for t in Target::ALL {
            let build = fastest(&mut || {
                let _ = cpyviz_jit::builtin::build(v, t);
            });
            let set = cpyviz_jit::builtin::stencils(v, t);
            let text = cpyviz_jit::header::write(set);
            let name = format!("jit_stencils-{}.h", t.triple());
            if let Err(e) = cpyviz_jit::header::parse(&text, &name) {
                println!(
                    "   {} {}: the header does not read back: {e}",
                    v.label(),
                    t.triple()
                );
                continue;
            }
            let parse = fastest(&mut || {
                let _ = cpyviz_jit::header::parse(&text, &name);
            });
            println!(
                "   {} {:<26} assemble {:>4} groups {:>7.1} ms · header {:>5.1} MB parsed in {:>6.1} ms",
                v.label(),
                t.triple(),
                set.groups.len(),
                build.as_secs_f64() * 1e3,
                text.len() as f64 / 1e6,
                parse.as_secs_f64() * 1e3
            );
        }
    }
    for name in ["abs-3.15.capture.json", "kwargs_calls-3.15.capture.json"] {
        let path = std::path::Path::new("tests/captures").join(name);
        let Ok(captures) = cpyviz_engine::capture_file::read(&path) else {
            println!("   {name}: not found");
            continue;
        };
        let c = &captures[0];
        let mut uops = 0;
        let time = fastest(&mut || {
            let mut cc = c.clone();
            cpyviz_engine::jit::attach(&mut cc);
            let view = cc.jit(&JitOptions::default());
            uops = view.map_or(0, |v| {
                v.executors
                    .iter()
                    .filter_map(|e| e.region.as_ref().ok())
                    .map(|r| r.uops.len())
                    .sum()
            });
        });
        println!(
            "   {name}: the whole JIT view ({uops} uops: compile, disassemble, explain, check) in {:.1} ms",
            time.as_secs_f64() * 1e3
        );
    }
}

/// Benchmark 7: the built-in VM against CPython 3.15 (JIT off) on every sample.
fn bench_vm() {
    use cpyviz_model::execution::RunOptions;
    println!("7. built-in VM vs CPython 3.15 (JIT off), median of 5 runs, each sample");
    let cmd = reference_command();
    let mut paths: Vec<_> = std::fs::read_dir("samples")
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.retain(|p: &std::path::PathBuf| p.extension().is_some_and(|x| x == "py"));
    paths.sort();
    let run = RunOptions {
        jit: false,
        ..Default::default()
    };
    let mut ratios = Vec::new();
    for path in &paths {
        let name = path.display().to_string();
        let Ok(bytes) = std::fs::read(path) else {
            continue;
        };
        let Ok(source) = Source::decode(&name, &bytes) else {
            continue;
        };
        let v = PyVersion::V3_15;
        let Ok(code) = compiler::bytecode_of(&syntax::ast::parse(&source, v), &source, v).0 else {
            println!("   {name}: does not compile");
            continue;
        };
        let mut times: Vec<Duration> = (0..5)
            .map(|_| {
                let t = Instant::now();
                black_box(cpyviz_vm::execute(&code, &source.text, v, &run));
                t.elapsed()
            })
            .collect();
        times.sort();
        let ours = times[2].as_secs_f64();
        let theirs = cmd.as_ref().map(|c| {
            // The environment variable must be set before the interpreter starts.
            let mut c = c.clone();
            c.insert(0, "PYTHON_JIT=0".into());
            c.insert(0, "env".into());
            reference_seconds(
                &c,
                path,
                5,
                "import contextlib\ncode = compile(src, PATH, 'exec')\nwith contextlib.redirect_stdout(io.StringIO()):\n    exec(code, {'__name__': '__main__'})"
                    .replace("PATH", &format!("{name:?}"))
                    .as_str(),
            )
        });
        match theirs {
            Some(Ok(t)) => {
                ratios.push(ours / t);
                println!(
                    "   {name:<28} VM {:>8.2} ms · CPython {:>7.2} ms · ratio {:>6.1}×",
                    ours * 1e3,
                    t * 1e3,
                    ours / t
                );
            }
            Some(Err(e)) => println!("   {name}: the reference CPython failed: {e}"),
            None => println!(
                "   {name:<28} VM {:>8.2} ms · reference CPython 3.15 not found: ratio not measured",
                ours * 1e3
            ),
        }
    }
    if !ratios.is_empty() {
        let geo = (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp();
        let worst = ratios.iter().cloned().fold(0.0, f64::max);
        println!("   geometric mean {geo:.1}×, worst {worst:.1}× (target ≤ 10×)");
    }
}

fn bench_refresh() {
    use cpyviz::watch::{FileWatch, Snippet};
    use cpyviz_tui::terminal::Watcher;
    println!("8. live editing: one refresh (save → reload → every stage settled), median of 5, each sample");
    let dir = std::env::temp_dir().join(format!("cpyviz-bench-refresh-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let mut paths: Vec<_> = std::fs::read_dir("samples")
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.retain(|p: &std::path::PathBuf| p.extension().is_some_and(|x| x == "py"));
    paths.sort();
    let mut medians = Vec::new();
    for path in &paths {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        let file = dir.join(path.file_name().unwrap());
        if std::fs::write(&file, &text).is_err() {
            continue;
        }
        let mut watch = FileWatch::new(
            Snippet::File(file.clone()),
            cpyviz_engine::EngineKind::Builtin,
            Default::default(),
            Default::default(),
            true,
        );
        let Ok(captures) = watch.reload() else {
            continue;
        };
        let mut app = App::new(captures, PyVersion::V3_14, Stage::MachineCode);
        app.settle();
        let mut times: Vec<Duration> = (0..5)
            .map(|i| {
                // An edit: a comment line more each time (the size changes, so the look sees it).
                let edited = format!("{text}{}", "#\n".repeat(i + 1));
                std::fs::write(&file, edited).unwrap();
                let t = Instant::now();
                assert!(watch.changed());
                match watch.reload() {
                    Ok(c) => app.reload(c),
                    Err(why) => app.reload_failed(&why),
                }
                app.settle();
                black_box(app.row_count());
                t.elapsed()
            })
            .collect();
        times.sort();
        let median = times[2];
        medians.push(median.as_secs_f64());
        println!(
            "   {:<28} {:>7.1} ms per refresh",
            path.display().to_string(),
            median.as_secs_f64() * 1e3
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    if let Some(worst) = medians.iter().cloned().reduce(f64::max) {
        let mean = medians.iter().sum::<f64>() / medians.len() as f64;
        println!(
            "   mean {:.1} ms, worst {:.1} ms per refresh (goal: well under 100 ms)",
            mean * 1e3,
            worst * 1e3
        );
    }
}

fn main() {
    // `cargo test --benches` runs bench targets with --test-ish args; only measure under `cargo bench`.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    if std::env::args().any(|a| a == "--short") {
        keep_freed_memory();
        if !scaling_short() {
            std::process::exit(1);
        }
        return;
    }
    if std::env::args().any(|a| a == "--scaling") {
        bench_scaling();
        return;
    }
    if std::env::args().any(|a| a == "--jit") {
        bench_jit();
        return;
    }
    if std::env::args().any(|a| a == "--vm") {
        bench_vm();
        return;
    }
    if std::env::args().any(|a| a == "--refresh") {
        bench_refresh();
        return;
    }
    bench_tokens_ast();
    bench_bytecode();
    bench_frame();
    bench_stdlib();
    bench_scaling();
    bench_jit();
    bench_vm();
    bench_refresh();
}

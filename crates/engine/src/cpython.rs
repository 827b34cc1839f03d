//! The live engine: run a real CPython with the embedded probe (`probe.py`) and turn its JSON
//! report into a [`Capture`].
//!
//! The probe runs as `PYTHON -s -P -c BOOT NAME ABS_PATH PROBE` (never through a shell) with
//! `PYTHONHASHSEED=0`, `PYTHON_JIT=1` when the build has a JIT, stdin from `/dev/null`, in the
//! user's working directory (like `python FILE`, so relative paths in the snippet work; `-P` keeps
//! that directory and the snippet's off `sys.path`), in its own process group that is killed when
//! the probe ends or times out. `-I`/`-E` are not used: they would make CPython ignore
//! `PYTHON_JIT`.
//!
//! Every interpreter cpyviz starts runs under resource limits (unix): an address space of
//! [`MAX_ADDRESS_SPACE`] (`RLIMIT_AS`: a snippet that allocates without bound gets
//! `MemoryError`) and, on Linux, at most [`MAX_NEW_PROCESSES`] processes more than the user
//! runs already (`RLIMIT_NPROC`: a fork bomb gets `BlockingIOError`). `RLIMIT_NPROC` does not
//! bind root: as root, on Linux, the interpreter runs in a pids cgroup of its own where the
//! pids controller is mounted writable ([`PidsCgroup`]: at most [`MAX_NEW_PROCESSES`]
//! processes), and every process left in it when the run ends is killed, even one that left
//! the process group.

#![allow(clippy::result_large_err)] // `PyError` is the shared error-as-data type.

use crate::LiveOptions;
use cpyviz_model::bytecode::{CacheEntry, CodeObject, ExceptionEntry, Instruction, Positions};
use cpyviz_model::capture::{Capture, Engine, Interpreter, LaterStages, RunException, RunRecord};
use cpyviz_model::error::{PyError, PyErrorKind};
use cpyviz_model::source::{Source, Span};
use cpyviz_model::uops::{Executor, RawUop, Uop};
use cpyviz_model::version::PyVersion;
use cpyviz_syntax::ast::{AstNode, AstValue, Constant};
use cpyviz_syntax::tokens::{Token, TokenKind};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The probe's first stage (run with `-c`): compiles and runs the snippet.
pub const BOOT: &str = include_str!("boot.py");
/// The probe's analysis stage, handed to the boot script as an argument.
pub const PROBE: &str = include_str!("probe.py");

/// The probe's report format this cpyviz reads.
const PROBE_FORMAT: u64 = 1;

/// Oldest and newest CPython minor versions the live engine accepts.
pub const MIN_MINOR: u32 = 12;
pub const MAX_MINOR: u32 = 15;

/// Whether the live engine runs a CPython `major.minor` (a live interpreter's version):
/// 3.[`MIN_MINOR`] to 3.[`MAX_MINOR`].
fn live_engine_supports(major: u32, minor: u32) -> bool {
    major == 3 && (MIN_MINOR..=MAX_MINOR).contains(&minor)
}

/// The profile a live CPython `major.minor` run is modelled with: its own where cpyviz has one,
/// else (3.12, 3.13) the oldest profile's; `None` where the live engine does not run it.
fn modelling_profile(major: u32, minor: u32) -> Option<PyVersion> {
    if !live_engine_supports(major, minor) {
        return None;
    }
    let own = PyVersion::ALL
        .into_iter()
        .find(|v| v.profile().version_info == (major, minor));
    Some(own.unwrap_or(PyVersion::ALL[0]))
}

/// The live interpreter's address-space limit (`RLIMIT_AS`).
pub const MAX_ADDRESS_SPACE: u64 = 4 << 30;
/// How many processes more than the user already runs the live interpreter may start
/// (`RLIMIT_NPROC`, Linux); as root, the processes its [`PidsCgroup`] may hold.
pub const MAX_NEW_PROCESSES: u64 = 64;

/// Interpreter names tried on `PATH` when `--python` is not given, in order.
pub const DEFAULT_NAMES: [&str; 3] = ["python3.15", "python3.14", "python3"];

/// Records `path` with a real CPython.
pub fn capture(path: &Path, opts: &LiveOptions) -> Result<Capture, String> {
    let bytes = crate::read_file(path)?;
    let display = path.to_string_lossy().to_string();
    let abs = std::path::absolute(path)
        .map_err(|e| format!("cpyviz: can't resolve '{}': {e}", path.display()))?;
    let python = find_python(opts.python.as_deref())?;
    let (minor, jit_available) = check_version(&python, opts.timeout)?;
    let mut cmd = Command::new(&python);
    cmd.arg("-s")
        .arg("-P")
        .arg("-c")
        .arg(BOOT)
        .arg(&display)
        .arg(&abs)
        .arg(PROBE)
        .env("PYTHONHASHSEED", "0")
        .env(
            "CPYVIZ_PROBE_SYMBOLS",
            crate::jit::probe_symbols(modelling_profile(3, minor)).join(","),
        );
    if jit_available {
        cmd.env("PYTHON_JIT", if opts.jit { "1" } else { "0" });
    } else {
        cmd.env_remove("PYTHON_JIT");
    }
    let out = run(&mut cmd, opts.timeout).map_err(|e| describe(&python, e))?;
    let doc: Value = match serde_json::from_slice(&out.stdout) {
        Ok(v) => v,
        Err(_) => {
            return Err(format!(
                "cpyviz: {} ended without a report ({}): the snippet crashed the interpreter or left it with os._exit(){}{}",
                python.display(),
                out.status,
                stderr_tail(&out.stderr),
                limit_hit(&out.stderr)
            ))
        }
    };
    from_report(doc, &python, &display, &bytes)
}

/// Runs CPython's own tool on `path`, as `python -m MODULE ARGS PATH` (e.g. `-m ast -a`,
/// `-m dis -S`): what the live engine prints for options that change how CPython parses or
/// what it shows. These tools compile the file; they never run it. Returns stdout, stderr and the
/// exit status.
pub fn run_tool(
    path: &Path,
    module: &str,
    args: &[String],
    opts: &LiveOptions,
) -> Result<(String, String, i32), String> {
    crate::read_file(path)?;
    let python = find_python(opts.python.as_deref())?;
    check_version(&python, opts.timeout)?;
    let mut cmd = Command::new(&python);
    cmd.arg("-s")
        .arg("-m")
        .arg(module)
        .args(args)
        .arg(path)
        .env("PYTHONHASHSEED", "0")
        .env("PYTHON_COLORS", "0")
        .env_remove("PYTHON_JIT");
    let out = run(&mut cmd, opts.timeout).map_err(|e| describe(&python, e))?;
    Ok((
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(1),
    ))
}

/// The interpreter to run: `explicit` if given (any executable file, a script too), else the
/// first of [`DEFAULT_NAMES`] on `PATH`.
pub fn find_python(explicit: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = explicit {
        let has_sep = p.components().count() > 1;
        if has_sep || p.is_file() {
            if !p.exists() {
                return Err(format!("cpyviz: --python {}: no such file", p.display()));
            }
            if !is_executable(p) {
                return Err(format!(
                    "cpyviz: --python {}: not an executable file",
                    p.display()
                ));
            }
            // Absolute: the version check runs in another directory.
            return Ok(std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()));
        }
        return search_path(&p.to_string_lossy())
            .ok_or_else(|| format!("cpyviz: --python {}: not found on PATH", p.display()));
    }
    DEFAULT_NAMES
        .iter()
        .find_map(|n| search_path(n))
        .ok_or_else(|| {
            format!(
                "cpyviz: the live engine needs CPython 3.{MIN_MINOR}–3.{MAX_MINOR}, but none of {} is on PATH; give one with --python PATH",
                DEFAULT_NAMES.join(", ")
            )
        })
}

fn search_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file() && is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

/// Asks the interpreter its version (and whether it has a JIT) with a one-liner any Python can
/// run; rejects versions outside 3.12–3.15 with a clear message.
fn check_version(python: &Path, timeout: Duration) -> Result<(u32, bool), String> {
    const CHECK: &str = "import sys; j = getattr(sys, '_jit', None); sys.stdout.write('%d %d %d' % (sys.version_info[0], sys.version_info[1], int(bool(j is not None and j.is_available()))))";
    let mut cmd = Command::new(python);
    cmd.arg("-c").arg(CHECK).current_dir(std::env::temp_dir());
    let out = run(&mut cmd, timeout).map_err(|e| describe(python, e))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let nums: Vec<u32> = text
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect();
    let [major, minor, jit] = nums[..] else {
        return Err(format!(
            "cpyviz: {} does not look like CPython (it printed {:?} when asked its version; {}){}",
            python.display(),
            text.trim(),
            out.status,
            stderr_tail(&out.stderr)
        ));
    };
    if !live_engine_supports(major, minor) {
        return Err(format!(
            "cpyviz: {} is Python {major}.{minor}; the live engine needs CPython 3.{MIN_MINOR}–3.{MAX_MINOR}",
            python.display()
        ));
    }
    Ok((minor, jit == 1))
}

/// Why running the interpreter failed.
#[derive(Debug)]
pub enum RunError {
    Spawn(std::io::Error),
    Timeout(Duration),
}

fn describe(python: &Path, e: RunError) -> String {
    match e {
        RunError::Spawn(e) => format!("cpyviz: can't run {}: {e}", python.display()),
        RunError::Timeout(t) => format!(
            "cpyviz: {} did not finish within {} s (the snippet may loop forever; raise --timeout); it was killed",
            python.display(),
            t.as_secs_f64()
        ),
    }
}

/// Which of the interpreter's resource limits its stderr shows it ran into, as a sentence.
fn limit_hit(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    if text.contains("MemoryError") {
        format!(
            "\ncpyviz: the interpreter hit the live engine's memory limit ({} of address space)",
            cpyviz_model::jit::human_bytes(u128::from(MAX_ADDRESS_SPACE))
        )
    } else if text.contains("Resource temporarily unavailable") {
        format!(
            "\ncpyviz: the interpreter hit the live engine's process limit ({MAX_NEW_PROCESSES} new processes)"
        )
    } else {
        String::new()
    }
}

fn stderr_tail(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return String::new();
    }
    let tail = &lines[lines.len().saturating_sub(12)..];
    format!(":\n{}", tail.join("\n"))
}

/// Runs `cmd` with stdin from /dev/null and captured stdout/stderr, in a process group of its
/// own that is killed when the command ends or after `timeout`; nothing is left running.
pub fn run(cmd: &mut Command, timeout: Duration) -> Result<std::process::Output, RunError> {
    // Dropped (every process in it killed, then removed) when the run is over.
    #[cfg(unix)]
    let cgroup = PidsCgroup::create(MAX_NEW_PROCESSES);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
        let procs = user_processes().map(|n| n + MAX_NEW_PROCESSES);
        let join = cgroup.as_ref().map(|c| c.procs_file.clone());
        // SAFETY: the closure runs in the child between fork and exec and only calls
        // open(2)/write(2)/close(2) on a path made before the fork, and setrlimit(2), all
        // async-signal-safe; it allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                if let Some(procs_file) = &join {
                    PidsCgroup::join(procs_file)?;
                }
                limit_resources(procs)
            });
        }
    }
    let mut child = cmd.spawn().map_err(RunError::Spawn)?;
    let (tx, rx) = mpsc::channel::<(usize, Vec<u8>)>();
    let pipes: Vec<Box<dyn Read + Send>> = vec![
        Box::new(child.stdout.take().expect("piped stdout")),
        Box::new(child.stderr.take().expect("piped stderr")),
    ];
    for (i, mut pipe) in pipes.into_iter().enumerate() {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            let _ = tx.send((i, buf));
        });
    }
    drop(tx);
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => break None,
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            Err(_) => break None,
        }
    };
    kill_group(&mut child);
    let status = match status {
        Some(s) => s,
        None => {
            let _ = child.wait();
            return Err(RunError::Timeout(timeout));
        }
    };
    let mut outs = [Vec::new(), Vec::new()];
    let grace = Instant::now() + Duration::from_secs(2);
    for _ in 0..2 {
        let left = grace.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok((i, buf)) => outs[i] = buf,
            Err(_) => break,
        }
    }
    let [stdout, stderr] = outs;
    Ok(std::process::Output {
        status,
        stdout,
        stderr,
    })
}

/// Lowers the child's limits (never raises them): the address space and, when given, the
/// number of processes its user may have.
#[cfg(unix)]
fn limit_resources(procs: Option<u64>) -> std::io::Result<()> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    type Resource = libc::__rlimit_resource_t;
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    type Resource = libc::c_int;
    fn lower(resource: Resource, to: u64) -> std::io::Result<()> {
        let mut cur = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit/setrlimit read and write the one struct passed.
        unsafe {
            if libc::getrlimit(resource, &mut cur) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            let to = to as libc::rlim_t;
            let new = libc::rlimit {
                rlim_cur: cur.rlim_cur.min(to),
                rlim_max: cur.rlim_max.min(to),
            };
            if libc::setrlimit(resource, &new) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    }
    lower(libc::RLIMIT_AS, MAX_ADDRESS_SPACE)?;
    if let Some(n) = procs {
        lower(libc::RLIMIT_NPROC, n)?;
    }
    Ok(())
}

/// A pids cgroup for one run of the interpreter, made when cpyviz runs as root (whom
/// `RLIMIT_NPROC` does not bind) and a pids controller is mounted writable: cgroup v1's
/// `/sys/fs/cgroup/pids`, or a v2 hierarchy whose `pids.max` can be set. Its `pids.max`
/// bounds the run's processes; dropping it kills every process still in it (a child that
/// called `setsid` too) and removes it.
#[cfg(unix)]
pub struct PidsCgroup {
    dir: PathBuf,
    /// `cgroup.procs`, as the C string the child writes to between fork and exec.
    procs_file: std::ffi::CString,
}

#[cfg(unix)]
impl PidsCgroup {
    /// A new cgroup allowing `max` processes, or `None` (not root, or no writable pids
    /// controller).
    pub fn create(max: u64) -> Option<PidsCgroup> {
        use std::os::unix::ffi::OsStrExt;
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        // SAFETY: geteuid(2) cannot fail.
        if cfg!(not(target_os = "linux")) || unsafe { libc::geteuid() } != 0 {
            return None;
        }
        let own = std::fs::read_to_string("/proc/self/cgroup").ok()?;
        fn path_of(line: Option<&str>) -> Option<&str> {
            line.and_then(|l| l.splitn(3, ':').nth(2))
        }
        let v1 = path_of(own.lines().find(|l| l.split(':').nth(1) == Some("pids")));
        let v2 = path_of(own.lines().find(|l| l.starts_with("0::")));
        let mut bases = Vec::new();
        if let Some(rel) = v1 {
            bases.push(Path::new("/sys/fs/cgroup/pids").join(rel.trim_start_matches('/')));
        }
        if let Some(rel) = v2 {
            for root in ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"] {
                bases.push(Path::new(root).join(rel.trim_start_matches('/')));
            }
        }
        let name = format!(
            "cpyviz-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        for base in bases {
            let dir = base.join(&name);
            if std::fs::create_dir(&dir).is_err() {
                continue;
            }
            // Without the pids controller there is no `pids.max` to write.
            if std::fs::write(dir.join("pids.max"), max.to_string()).is_err() {
                let _ = std::fs::remove_dir(&dir);
                continue;
            }
            let procs = dir.join("cgroup.procs");
            let Ok(procs_file) = std::ffi::CString::new(procs.as_os_str().as_bytes()) else {
                let _ = std::fs::remove_dir(&dir);
                continue;
            };
            return Some(PidsCgroup { dir, procs_file });
        }
        None
    }

    /// The cgroup's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Moves the calling process into the cgroup whose `cgroup.procs` is `procs_file`. Runs
    /// in the child between fork and exec: open(2), write(2) and close(2) only.
    fn join(procs_file: &std::ffi::CStr) -> std::io::Result<()> {
        // SAFETY: `procs_file` is a valid C string; the buffer written is a static one.
        unsafe {
            let fd = libc::open(procs_file.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            // "0": the writing process itself.
            let written = libc::write(fd, b"0".as_ptr().cast(), 1);
            let err = std::io::Error::last_os_error();
            libc::close(fd);
            if written != 1 {
                return Err(err);
            }
        }
        Ok(())
    }
}

#[cfg(unix)]
impl Drop for PidsCgroup {
    fn drop(&mut self) {
        let procs = self.dir.join("cgroup.procs");
        for _ in 0..200 {
            let pids: Vec<i32> = std::fs::read_to_string(&procs)
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect();
            if pids.is_empty() && std::fs::remove_dir(&self.dir).is_ok() {
                return;
            }
            for pid in pids {
                // SAFETY: kill(2) signals a process of this run's cgroup; it touches no memory.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// How many processes the current user runs (Linux: `/proc`), for `RLIMIT_NPROC`.
#[cfg(unix)]
fn user_processes() -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: getuid(2) cannot fail.
    let uid = unsafe { libc::getuid() };
    let entries = std::fs::read_dir("/proc").ok()?;
    let n = entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|e| e.metadata().is_ok_and(|m| m.uid() == uid))
        .count();
    (n > 0).then_some(n as u64)
}

/// Kills the child's whole process group (the interpreter, a wrapper script, anything the
/// snippet started), then reaps the child.
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        if let Ok(pid) = i32::try_from(child.id()) {
            // SAFETY: kill(2) with a negative pid signals the process group we created for the
            // child; it touches no memory.
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = child.kill();
    }
    let _ = child.wait();
}

// ---- the probe's report -------------------------------------------------------------------------

#[derive(Deserialize)]
struct Facts {
    version: String,
    version_info: (u32, u32, u32, String, u32),
    executable: String,
    platform: String,
    jit: JitFacts,
    #[serde(default)]
    machine: Option<String>,
    #[serde(default)]
    page_size: Option<u64>,
    #[serde(default)]
    symbol_addresses: std::collections::BTreeMap<String, u64>,
}

#[derive(Deserialize)]
struct JitFacts {
    available: Option<bool>,
    enabled: Option<bool>,
    note: Option<String>,
}

#[derive(Deserialize)]
struct ProbeError {
    #[serde(rename = "type")]
    kind: Option<String>,
    msg: Option<String>,
    filename: Option<String>,
    lineno: Option<i64>,
    offset: Option<i64>,
    end_lineno: Option<i64>,
    end_offset: Option<i64>,
    text: Option<String>,
}

#[derive(Deserialize)]
struct ProbeToken {
    #[serde(rename = "type")]
    kind: String,
    string: String,
    start: (usize, usize),
    end: (usize, usize),
}

#[derive(Deserialize)]
struct ProbeCode {
    repr: String,
    name: String,
    qualname: String,
    filename: String,
    firstlineno: u32,
    flags: u32,
    argcount: u32,
    posonlyargcount: u32,
    kwonlyargcount: u32,
    nlocals: u32,
    stacksize: u32,
    code_len: u32,
    consts: Vec<String>,
    names: Vec<String>,
    varnames: Vec<String>,
    cellvars: Vec<String>,
    freevars: Vec<String>,
    linestarts: Vec<(u32, Option<u32>)>,
    exception_table: Vec<ExceptionEntry>,
    instructions: Vec<ProbeInstr>,
    children: Vec<ProbeCode>,
    #[serde(default)]
    notes: Vec<String>,
}

#[derive(Deserialize)]
struct ProbeInstr {
    offset: u32,
    start_offset: u32,
    opname: String,
    opcode: u32,
    arg: Option<u32>,
    argval: String,
    argrepr: String,
    starts_line: bool,
    line_number: Option<u32>,
    label: Option<u32>,
    is_jump_target: bool,
    jump_target: Option<u32>,
    positions: Option<[Option<u32>; 4]>,
    cache_info: Option<Vec<(String, u32, String)>>,
}

#[derive(Deserialize)]
struct ProbeExecutor {
    code_index: u32,
    qualname: String,
    offset: u32,
    valid: Option<bool>,
    opcode: Option<u32>,
    oparg: Option<u32>,
    uops: Vec<ProbeUop>,
    jit_code: Option<String>,
    jit_address: Option<u64>,
    jit_note: Option<String>,
    #[serde(default)]
    jit_symbols: Vec<cpyviz_model::uops::JitSymbol>,
    #[serde(default)]
    jit_symbols_note: Option<String>,
    #[serde(default)]
    address: Option<u64>,
    #[serde(default)]
    raw: Option<Vec<ProbeRawUop>>,
}

#[derive(Deserialize)]
struct ProbeRawUop {
    opcode: u16,
    format: u8,
    operand1: u64,
}

#[derive(Deserialize)]
struct ProbeUop {
    name: String,
    oparg: Option<i64>,
    target: Option<i64>,
    operand: Option<u64>,
}

#[derive(Deserialize)]
struct ProbeRun {
    stdout: String,
    stderr: String,
    exception: Option<ProbeRunException>,
    exit_code: i32,
}

#[derive(Deserialize)]
struct ProbeRunException {
    #[serde(rename = "type")]
    kind: String,
    msg: String,
    traceback: String,
}

fn bad(what: &str, e: impl std::fmt::Display) -> String {
    format!("cpyviz: the live engine's report is malformed ({what}: {e})")
}

/// One stage of the report: `{"ok": …}`, `{"error": {…}}` or `{"unavailable": "why"}`.
fn stage<T: DeserializeOwned>(
    doc: &Value,
    key: &str,
    display: &str,
) -> Result<Option<Result<T, PyError>>, String> {
    let Some(v) = doc.get(key) else {
        return Ok(None);
    };
    if v.is_null() {
        return Ok(None);
    }
    if let Some(ok) = v.get("ok") {
        return T::deserialize(ok)
            .map(|t| Some(Ok(t)))
            .map_err(|e| bad(key, e));
    }
    if let Some(err) = v.get("error") {
        let e = ProbeError::deserialize(err).map_err(|e| bad(key, e))?;
        return Ok(Some(Err(py_error(e, display))));
    }
    if let Some(why) = v.get("unavailable").and_then(Value::as_str) {
        return Ok(Some(Err(PyError::new(
            PyErrorKind::Unsupported,
            why,
            display,
        ))));
    }
    Err(bad(key, "neither ok, error nor unavailable"))
}

fn py_error(e: ProbeError, display: &str) -> PyError {
    let kind = match e.kind.as_deref() {
        Some("IndentationError") => PyErrorKind::IndentationError,
        Some("TabError") => PyErrorKind::TabError,
        Some("TokenError") => PyErrorKind::TokenError,
        _ => PyErrorKind::SyntaxError,
    };
    let pos = |v: Option<i64>| v.and_then(|n| usize::try_from(n).ok());
    PyError {
        kind,
        msg: e.msg.unwrap_or_default(),
        filename: e.filename.unwrap_or_else(|| display.to_string()),
        lineno: pos(e.lineno),
        offset: pos(e.offset),
        end_lineno: pos(e.end_lineno),
        end_offset: pos(e.end_offset),
        text: e.text.map(|t| t.trim_end_matches(['\n', '\r']).to_string()),
    }
}

fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn code_object(p: ProbeCode) -> CodeObject {
    CodeObject {
        repr: p.repr,
        name: p.name,
        qualname: p.qualname,
        filename: p.filename,
        firstlineno: p.firstlineno,
        flags: p.flags,
        argcount: p.argcount,
        posonlyargcount: p.posonlyargcount,
        kwonlyargcount: p.kwonlyargcount,
        nlocals: p.nlocals,
        stacksize: p.stacksize,
        code_len: p.code_len,
        consts: p.consts,
        // The probe records constants as reprs only; nothing runs a live capture's code.
        const_values: Vec::new(),
        names: p.names,
        varnames: p.varnames,
        cellvars: p.cellvars,
        freevars: p.freevars,
        linestarts: p.linestarts,
        exception_table: p.exception_table,
        instructions: p
            .instructions
            .into_iter()
            .map(|i| Instruction {
                offset: i.offset,
                start_offset: i.start_offset,
                opname: i.opname,
                opcode: i.opcode,
                arg: i.arg,
                argval: i.argval,
                argrepr: i.argrepr,
                starts_line: i.starts_line,
                line_number: i.line_number,
                label: i.label,
                is_jump_target: i.is_jump_target,
                jump_target: i.jump_target,
                positions: i.positions.map(|[a, b, c, d]| Positions {
                    lineno: a,
                    end_lineno: b,
                    col_offset: c,
                    end_col_offset: d,
                }),
                cache_info: i
                    .cache_info
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(name, size, data)| CacheEntry {
                        name,
                        size,
                        data: hex_bytes(&data).unwrap_or_default(),
                    })
                    .collect(),
            })
            .collect(),
        children: p.children.into_iter().map(code_object).collect(),
        notes: p.notes,
    }
}

fn executor(p: ProbeExecutor, version: PyVersion) -> Executor {
    let jit_code = p.jit_code.as_deref().and_then(hex_bytes);
    let tables = version.profile().tables;
    let raw: Vec<Option<RawUop>> = match p.raw {
        Some(raw) if raw.len() == p.uops.len() => raw
            .into_iter()
            .zip(&p.uops)
            .map(|(r, u)| {
                let target = u.target.unwrap_or(0) as u32;
                Some(RawUop {
                    opcode: r.opcode,
                    name: tables.uop_name(r.opcode).map(str::to_string),
                    format: r.format,
                    jump_target: (target & 0xffff) as u16,
                    error_target: (target >> 16) as u16,
                    operand1: r.operand1,
                })
            })
            .collect(),
        _ => vec![None; p.uops.len()],
    };
    Executor {
        code_index: p.code_index,
        qualname: p.qualname,
        offset: p.offset,
        valid: p.valid,
        opcode: p.opcode,
        oparg: p.oparg,
        uops: p
            .uops
            .into_iter()
            .zip(raw)
            .map(|(u, raw)| Uop {
                name: u.name,
                oparg: u.oparg.unwrap_or(0),
                target: u.target.unwrap_or(0),
                operand: u.operand.unwrap_or(0),
                raw,
                ..Default::default()
            })
            .collect(),
        jit_code,
        jit_address: p.jit_address,
        jit_note: p.jit_note,
        jit_symbols: p.jit_symbols,
        jit_symbols_note: p.jit_symbols_note,
        address: p.address,
        unoptimized: Vec::new(),
    }
}

fn tokens(toks: Vec<ProbeToken>, src: &Source) -> Result<Vec<Token>, PyError> {
    toks.into_iter()
        .map(|t| {
            let kind: TokenKind =
                serde_json::from_value(Value::String(t.kind.clone())).map_err(|_| {
                    PyError::new(
                        PyErrorKind::Unsupported,
                        format!("cpyviz does not know the token type {}", t.kind),
                        src.path.clone(),
                    )
                })?;
            let start = src.offset_of_char_col(t.start.0, t.start.1);
            let end = src.offset_of_char_col(t.end.0, t.end.1).max(start);
            Ok(Token {
                kind,
                text: t.string.into(),
                start: t.start,
                end: t.end,
                span: Span::new(start, end),
            })
        })
        .collect()
}

fn ast_node(v: &Value, src: &Source, src_matches: bool) -> Result<AstNode, String> {
    let kind = v
        .get("k")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("ast", "node without a kind"))?;
    let mut fields = Vec::new();
    for f in v
        .get("f")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("ast", "node without fields"))?
    {
        let name = f
            .get(0)
            .and_then(Value::as_str)
            .ok_or_else(|| bad("ast", "field without a name"))?;
        fields.push((
            name.to_string(),
            ast_value(f.get(1).unwrap_or(&Value::Null), src, src_matches)?,
        ));
    }
    // The probe's absolute byte span when its text is ours, else from line/column.
    let probe_span = v.get("s").and_then(Value::as_array).and_then(|s| {
        let start = usize::try_from(s.first()?.as_u64()?).ok()?;
        let end = usize::try_from(s.get(1)?.as_u64()?).ok()?;
        (src_matches && end <= src.text.len() && start <= end).then(|| Span::new(start, end))
    });
    let span = match v.get("p").and_then(Value::as_array) {
        _ if probe_span.is_some() => probe_span,
        Some(p) => {
            let n = |i: usize| p.get(i).and_then(Value::as_u64).map(|n| n as usize);
            match (n(0), n(1)) {
                (Some(l), Some(c)) => {
                    let start = src.offset_of_byte_col(l, c);
                    let end = match (n(2), n(3)) {
                        (Some(el), Some(ec)) => src.offset_of_byte_col(el, ec).max(start),
                        _ => start,
                    };
                    Some(Span::new(start, end))
                }
                _ => None,
            }
        }
        None => None,
    };
    AstNode::from_named_fields(kind, span, fields).map_err(|e| bad("ast", &e))
}

fn ast_value(v: &Value, src: &Source, src_matches: bool) -> Result<AstValue, String> {
    if v.is_null() {
        return Ok(AstValue::None);
    }
    if v.get("k").is_some() {
        return Ok(AstValue::Node(Box::new(ast_node(v, src, src_matches)?)));
    }
    if let Some(items) = v.get("l").and_then(Value::as_array) {
        return items
            .iter()
            .map(|x| ast_value(x, src, src_matches))
            .collect::<Result<_, _>>()
            .map(AstValue::List);
    }
    if let Some(s) = v.get("s").and_then(Value::as_str) {
        return Ok(AstValue::Str(s.to_string()));
    }
    if let Some(i) = v.get("i") {
        return i
            .as_i64()
            .map(AstValue::Int)
            .ok_or_else(|| bad("ast", "int field out of range"));
    }
    if let Some(tag) = v.get("c").and_then(Value::as_str) {
        let val = v.get("v").unwrap_or(&Value::Null);
        let float = |x: &Value| -> Result<f64, String> {
            let s = x.as_str().unwrap_or("");
            py_float(s).ok_or_else(|| bad("ast", format!("bad float {s:?}")))
        };
        let c = match tag {
            "none" => Constant::None,
            "ellipsis" => Constant::Ellipsis,
            "bool" => Constant::Bool(val.as_bool().unwrap_or(false)),
            "int" => Constant::Int(val.as_str().unwrap_or("0").to_string()),
            "float" => Constant::Float(float(val)?),
            "complex" => Constant::Complex {
                real: float(val.get(0).unwrap_or(&Value::Null))?,
                imag: float(val.get(1).unwrap_or(&Value::Null))?,
            },
            "str" => Constant::Str(val.as_str().unwrap_or("").to_string().into()),
            "bytes" => Constant::Bytes(hex_bytes(val.as_str().unwrap_or("")).unwrap_or_default()),
            other => return Err(bad("ast", format!("unknown constant kind {other}"))),
        };
        return Ok(AstValue::Const(c));
    }
    Err(bad("ast", format!("unknown value {v}")))
}

/// Parses Python's `repr(float)`.
fn py_float(s: &str) -> Option<f64> {
    match s {
        "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" | "-nan" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

/// Builds the capture from the probe's JSON report.
pub fn from_report(
    doc: Value,
    python: &Path,
    display: &str,
    bytes: &[u8],
) -> Result<Capture, String> {
    let format = doc.get("probe").and_then(Value::as_u64);
    if format != Some(PROBE_FORMAT) {
        return Err(bad("probe", format!("unknown report format {format:?}")));
    }
    let facts = Facts::deserialize(doc.get("python").unwrap_or(&Value::Null))
        .map_err(|e| bad("python", e))?;
    if let Some(fatal) = doc.get("fatal").and_then(Value::as_str) {
        return Err(format!("cpyviz: {fatal}"));
    }
    let (major, minor, micro, level, _) = facts.version_info.clone();
    let Some(version) = modelling_profile(major, minor) else {
        return Err(format!(
            "cpyviz: {} is Python {major}.{minor}; the live engine needs CPython 3.{MIN_MINOR}–3.{MAX_MINOR}",
            python.display()
        ));
    };
    // The source as cpyviz decodes it; if cpyviz cannot (an encoding it lacks), as CPython did.
    let source = match Source::decode(display, bytes) {
        Ok(s) => s,
        Err(_) => {
            let text = doc
                .pointer("/source/text")
                .and_then(Value::as_str)
                .unwrap_or("");
            let mut s = Source::from_text(display, text);
            if let Some(enc) = doc.pointer("/source/encoding").and_then(Value::as_str) {
                s.encoding = enc.to_string();
            }
            s
        }
    };
    let toks = stage::<Vec<ProbeToken>>(&doc, "tokens", display)?
        .ok_or_else(|| bad("tokens", "missing"))?;
    let tokens = match toks {
        Ok(t) => tokens(t, &source),
        Err(e) => Err(e),
    };
    let ast = match doc.get("ast").and_then(|a| a.get("ok")) {
        Some(node) => {
            let same_text =
                doc.pointer("/source/text").and_then(Value::as_str) == Some(source.text.as_str());
            Ok(ast_node(node, &source, same_text)?)
        }
        None => match stage::<Value>(&doc, "ast", display)? {
            Some(Err(e)) => Err(e),
            _ => return Err(bad("ast", "missing")),
        },
    };
    let bytecode = stage::<ProbeCode>(&doc, "bytecode", display)?.map(|r| r.map(code_object));
    let specialized = stage::<ProbeCode>(&doc, "specialized", display)?.map(|r| r.map(code_object));
    let executors = stage::<Vec<ProbeExecutor>>(&doc, "executors", display)?
        .map(|r| r.map(|v| v.into_iter().map(|e| executor(e, version)).collect()));
    let run = stage::<ProbeRun>(&doc, "run", display)?.map(|r| {
        r.map(|p| RunRecord {
            stdout: p.stdout,
            stderr: p.stderr,
            exception: p.exception.map(|e| RunException {
                kind: e.kind,
                msg: e.msg,
                traceback: e.traceback,
            }),
            exit_code: p.exit_code,
        })
    });
    let interpreter = Interpreter {
        version: facts.version.clone(),
        version_info: (major, minor, micro),
        releaselevel: level,
        executable: facts.executable,
        platform: facts.platform,
        jit_available: facts.jit.available,
        jit_enabled: facts.jit.enabled,
        jit_note: facts.jit.note,
        machine: facts.machine,
        page_size: facts.page_size,
        symbol_addresses: facts.symbol_addresses,
    };
    let warnings = probe_warnings(&doc);
    let mut capture = Capture::complete(
        Engine::Cpython {
            executable: python.display().to_string(),
            version: facts.version,
        },
        version,
        source,
        tokens,
        (ast, warnings.parse),
        (bytecode, warnings.compile),
        LaterStages {
            specialized,
            executors,
            run,
            interpreter: Some(interpreter),
            machine_code: None,
            jit: Default::default(),
        },
    );
    crate::machine::annotate_capture(&mut capture);
    crate::jit::attach(&mut capture);
    Ok(capture)
}

/// The SyntaxWarnings the probe recorded (none from an older probe).
fn probe_warnings(doc: &Value) -> cpyviz_model::capture::Warnings {
    #[derive(Deserialize, Default)]
    struct Probe {
        #[serde(default)]
        parse: Vec<(usize, String)>,
        #[serde(default)]
        compile: Vec<(usize, String)>,
    }
    let p = doc
        .get("warnings")
        .and_then(|v| Probe::deserialize(v).ok())
        .unwrap_or_default();
    let list = |v: Vec<(usize, String)>| {
        v.into_iter()
            .map(|(lineno, msg)| cpyviz_model::error::SyntaxWarning { lineno, msg })
            .collect()
    };
    cpyviz_model::capture::Warnings {
        parse: list(p.parse),
        compile: list(p.compile),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_reports_are_errors_not_panics() {
        let py = Path::new("python3");
        for doc in [
            serde_json::json!(null),
            serde_json::json!({}),
            serde_json::json!({"probe": 99}),
            serde_json::json!({"probe": 1}),
            serde_json::json!({"probe": 1, "python": {"version": "3.14", "version_info": [3, 14, 0, "final", 0], "executable": "", "platform": "linux", "jit": {}}}),
            serde_json::json!({"probe": 1, "python": {"version": "3.9", "version_info": [3, 9, 0, "final", 0], "executable": "", "platform": "linux", "jit": {}}, "tokens": {"ok": []}}),
        ] {
            assert!(from_report(doc, py, "t.py", b"x = 1\n").is_err());
        }
    }

    #[test]
    fn hex_and_floats_parse_like_python_prints_them() {
        assert_eq!(hex_bytes("00ff10"), Some(vec![0, 255, 16]));
        assert_eq!(hex_bytes("0"), None);
        assert_eq!(hex_bytes("zz"), None);
        assert_eq!(py_float("inf"), Some(f64::INFINITY));
        assert_eq!(py_float("-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(py_float("1e+300"), Some(1e300));
        assert!(py_float("nan").is_some_and(f64::is_nan));
    }
}

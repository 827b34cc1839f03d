//! Conformance: `cpyviz dump STAGE FILE` against the outputs recorded from the reference CPythons
//! (`tests/golden/<version>/<stage>/<name>.txt`, format in `tests/golden/README.md`). Runs offline.
//!
//! Every golden file must match, except the files listed in `tests/golden/known-gaps.txt`: for
//! those the built-in engine must refuse clearly (a `cpyviz: unsupported` message naming the
//! construct) rather than print something wrong.

use cpyviz_engine::dump::{dump_file, dump_file_request, AstOptions, DumpOutput, Request};
use cpyviz_model::capture::Stage;
use cpyviz_model::version::PyVersion;
use std::path::{Path, PathBuf};

/// `samples__abs` → `samples/abs.py`; `corpus__01_functions` → `tests/corpus/01_functions.py`.
fn source_for(golden_name: &str) -> PathBuf {
    let rel = golden_name.replace("__", "/");
    if rel.starts_with("samples/") {
        PathBuf::from(format!("{rel}.py"))
    } else {
        PathBuf::from(format!("tests/{rel}.py"))
    }
}

/// The golden file text for a dump: `# exit N`, stdout, then `# stderr` and stderr if any.
fn as_golden(out: &DumpOutput) -> String {
    let mut text = format!("# exit {}\n{}", out.code, out.stdout);
    if out.code != 0 || !out.stderr.is_empty() {
        text.push_str("# stderr\n");
        text.push_str(&out.stderr);
    }
    text
}

/// Code-object addresses differ between any two compilations; the goldens hold `0xADDR`.
fn mask_addresses(text: &str) -> String {
    cpyviz_model::dis::mask_addresses(text, "ADDR")
}

fn known_gaps() -> Vec<String> {
    std::fs::read_to_string("tests/golden/known-gaps.txt")
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

fn first_difference(expected: &str, actual: &str) -> String {
    for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
        if e != a {
            return format!("line {}:\n    expected: {e:?}\n    actual:   {a:?}", i + 1);
        }
    }
    format!(
        "lengths differ: expected {} lines, got {}",
        expected.lines().count(),
        actual.lines().count()
    )
}

fn check(stage: Stage, version: PyVersion) {
    check_dir(stage.cli_name(), version, 40, |source, bytes| {
        dump_file(stage, source, bytes, version)
    });
}

/// `python -m ast -a` and `python -m dis -C -O -P`: every position and offset.
fn check_request(dir: &str, request: Request, version: PyVersion) {
    check_dir(dir, version, 40, |source, bytes| {
        dump_file_request(&request, source, bytes, version, &Default::default())
    });
}

/// `tests/options/`: `cpyviz dump ast OPTIONS FILE`, as a user runs it, with the options
/// the file's first line gives (`# ast-options: …`).
fn check_ast_options(version: PyVersion) {
    check_dir("ast-options", version, 20, |source, bytes| {
        let text = String::from_utf8_lossy(bytes);
        let options = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# ast-options: "))
            .unwrap_or_else(|| panic!("{source}: no `# ast-options:` line"));
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cpyviz"))
            .args(["dump", "ast"])
            .args(options.split_whitespace())
            .args([source, "--python-version", version.label()])
            .output()
            .unwrap();
        DumpOutput {
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
            code: out.status.code().unwrap_or(-1),
        }
    });
}

fn check_dir(
    stage_dir: &str,
    version: PyVersion,
    at_least: usize,
    dump: impl Fn(&str, &[u8]) -> DumpOutput,
) {
    let dir = Path::new("tests/golden")
        .join(version.label())
        .join(stage_dir);
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    entries.sort();
    assert!(
        entries.len() >= at_least,
        "{}: too few goldens",
        dir.display()
    );
    let gaps = known_gaps();
    let (mut matched, mut refused) = (0, 0);
    let mut failures = Vec::new();
    for golden in &entries {
        let name = golden.file_stem().unwrap().to_string_lossy().to_string();
        let source = source_for(&name);
        let bytes = std::fs::read(&source)
            .unwrap_or_else(|e| panic!("{}: {e} (golden {})", source.display(), golden.display()));
        let expected = std::fs::read_to_string(golden).unwrap();
        let out = dump(&source.to_string_lossy(), &bytes);
        let actual = mask_addresses(&as_golden(&out));
        let gap_key = format!("{} {} {}", version.label(), stage_dir, source.display());
        if actual == expected {
            matched += 1;
        } else if gaps.contains(&gap_key) {
            if out.stderr.contains("cpyviz: unsupported") || out.stderr.contains("--engine cpython")
            {
                refused += 1;
            } else {
                failures.push(format!(
                    "{} is a known gap but was not refused clearly:\n{}",
                    source.display(),
                    out.stderr
                ));
            }
        } else {
            failures.push(format!(
                "{}: {}",
                source.display(),
                first_difference(&expected, &actual)
            ));
        }
    }
    println!(
        "conformance {} {}: {matched}/{} match, {refused} refused as known gaps",
        version.label(),
        stage_dir,
        entries.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} {} {} goldens differ:\n{}",
        failures.len(),
        entries.len(),
        version.label(),
        stage_dir,
        failures.join("\n")
    );
}

#[test]
fn tokens_3_14() {
    check(Stage::Tokens, PyVersion::V3_14);
}

#[test]
fn tokens_3_15() {
    check(Stage::Tokens, PyVersion::V3_15);
}

#[test]
fn ast_3_14() {
    check(Stage::Ast, PyVersion::V3_14);
}

#[test]
fn ast_3_15() {
    check(Stage::Ast, PyVersion::V3_15);
}

#[test]
fn bytecode_3_14() {
    check(Stage::Bytecode, PyVersion::V3_14);
}

#[test]
fn bytecode_3_15() {
    check(Stage::Bytecode, PyVersion::V3_15);
}

fn with_attributes() -> Request {
    Request::Ast(AstOptions {
        include_attributes: true,
        ..AstOptions::default()
    })
}

fn caches_offsets_positions() -> Request {
    Request::Bytecode {
        layout: cpyviz_model::dis::DisOptions {
            show_caches: true,
            show_offsets: true,
            show_positions: true,
        },
        specialized: false,
    }
}

#[test]
fn ast_attributes_3_14() {
    check_request("ast-a", with_attributes(), PyVersion::V3_14);
}

#[test]
fn ast_attributes_3_15() {
    check_request("ast-a", with_attributes(), PyVersion::V3_15);
}

#[test]
fn bytecode_caches_offsets_positions_3_14() {
    check_request("bytecode-cop", caches_offsets_positions(), PyVersion::V3_14);
}

#[test]
fn bytecode_caches_offsets_positions_3_15() {
    check_request("bytecode-cop", caches_offsets_positions(), PyVersion::V3_15);
}

#[test]
fn ast_options_3_14() {
    check_ast_options(PyVersion::V3_14);
}

#[test]
fn ast_options_3_15() {
    check_ast_options(PyVersion::V3_15);
}

/// The committed captures (recorded with the JIT on) replay CPython's own JIT-on views exactly:
/// `dump specialized --capture` against `PYTHON_JIT=1 stage.py specialized`
/// (`tests/golden/<v>/specialized-jit/`), and `dump uops --capture` against `stage.py uops`.
/// These goldens are also the target of the built-in interpreter's specialization.
fn check_captures_against_jit_goldens(version: PyVersion) {
    let mut checked = 0;
    for stage in [Stage::Specialized, Stage::Uops] {
        let dir = match stage {
            Stage::Specialized => "specialized-jit",
            _ => "uops",
        };
        let golden_dir = format!("tests/golden/{}/{dir}", version.label());
        for entry in std::fs::read_dir(&golden_dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            let Some(sample) = name.strip_prefix("samples__") else {
                continue;
            };
            let capture = format!("tests/captures/{sample}-{}.capture.json", version.label());
            let captures = cpyviz_engine::capture_file::read(Path::new(&capture))
                .unwrap_or_else(|e| panic!("{capture}: {e} (scripts/record-captures)"));
            let out = cpyviz_engine::dump::dump_request(&Request::Plain(stage), &captures[0]);
            let expected = std::fs::read_to_string(&path).unwrap();
            let actual = mask_addresses(&as_golden(&out));
            assert!(
                expected == actual,
                "{capture} {dir}: {}",
                first_difference(&expected, &actual)
            );
            checked += 1;
        }
    }
    assert!(checked >= 12, "only {checked} JIT-on goldens checked");
}

#[test]
fn captures_replay_the_jit_on_goldens_3_14() {
    check_captures_against_jit_goldens(PyVersion::V3_14);
}

#[test]
fn captures_replay_the_jit_on_goldens_3_15() {
    check_captures_against_jit_goldens(PyVersion::V3_15);
}

/// The specialized files the built-in VM does not reproduce yet (`tests/golden/vm-gaps.txt`).
fn vm_gaps() -> Vec<String> {
    std::fs::read_to_string("tests/golden/vm-gaps.txt")
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

/// The built-in VM against `stage.py specialized`: the snippet's output, then the adaptive
/// code after the run, for every file that runs on the reference CPython — with the JIT off
/// (`specialized/`, PYTHON_JIT unset) and on (`specialized-jit/`). A file listed in
/// `tests/golden/vm-gaps.txt` must still differ (fixing one means removing it from the list);
/// every other file must match exactly.
fn check_specialized(version: PyVersion, jit: bool) {
    let dir = if jit {
        "specialized-jit"
    } else {
        "specialized"
    };
    check_vm(version, Stage::Specialized, dir, jit);
}

/// The built-in VM's stage `stage` (run with the JIT `jit`) against the goldens of `dir`.
fn check_vm(version: PyVersion, stage: Stage, dir: &str, jit: bool) {
    let golden_dir = Path::new("tests/golden").join(version.label()).join(dir);
    let mut entries: Vec<_> = std::fs::read_dir(&golden_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    assert!(
        entries.len() >= 90,
        "{}: too few goldens",
        golden_dir.display()
    );
    let gaps = vm_gaps();
    let run = cpyviz_model::execution::RunOptions {
        jit,
        ..Default::default()
    };
    let (mut matched, mut failures, mut fixed) = (0, Vec::new(), Vec::new());
    for golden in &entries {
        let name = golden.file_stem().unwrap().to_string_lossy().to_string();
        let source = source_for(&name);
        let bytes = std::fs::read(&source).unwrap();
        let expected = std::fs::read_to_string(golden).unwrap();
        let out = cpyviz_engine::dump::dump_file_with(
            stage,
            &source.to_string_lossy(),
            &bytes,
            version,
            &run,
        );
        let actual = mask_addresses(&as_golden(&out));
        let key = format!("{} {dir} {}", version.label(), source.display());
        match (actual == expected, gaps.contains(&key)) {
            (true, false) => matched += 1,
            (true, true) => fixed.push(key),
            (false, true) => {}
            (false, false) => failures.push(format!(
                "{}: {}",
                source.display(),
                first_difference(&expected, &actual)
            )),
        }
    }
    println!(
        "conformance {} {dir}: {matched}/{} match exactly",
        version.label(),
        entries.len()
    );
    assert!(
        fixed.is_empty(),
        "these now match: remove them from tests/golden/vm-gaps.txt:\n{}",
        fixed.join("\n")
    );
    assert!(
        failures.is_empty(),
        "{} {} {dir} goldens differ (and are not listed in vm-gaps.txt):\n{}",
        failures.len(),
        version.label(),
        failures.join("\n")
    );
}

#[test]
fn specialized_3_14() {
    check_specialized(PyVersion::V3_14, false);
}

#[test]
fn specialized_3_15() {
    check_specialized(PyVersion::V3_15, false);
}

#[test]
fn specialized_jit_3_14() {
    check_specialized(PyVersion::V3_14, true);
}

#[test]
fn specialized_jit_3_15() {
    check_specialized(PyVersion::V3_15, true);
}

/// The built-in tier 2 against `PYTHON_JIT=1 stage.py uops`: every executor's micro-ops.
#[test]
fn uops_3_14() {
    check_vm(PyVersion::V3_14, Stage::Uops, "uops", true);
}

#[test]
fn uops_3_15() {
    check_vm(PyVersion::V3_15, Stage::Uops, "uops", true);
}

//! `cpyviz conformance`: the built-in model measured against a live CPython, stage by stage.
//!
//! For each file the live engine records what the interpreter really does; the built-in engine
//! dumps the same stages for the same version profile; the two texts (stdout, stderr and exit
//! status, in `cpyviz dump`'s formats) are compared.

use crate::dump::{dump_capture, dump_file, DumpOutput};
use cpyviz_model::capture::{Capture, Stage, StageStatus};
use cpyviz_model::version::PyVersion;

/// The stages `conformance` compares (those both engines can print).
pub const STAGES: [Stage; 5] = [
    Stage::Tokens,
    Stage::Ast,
    Stage::Bytecode,
    Stage::Specialized,
    Stage::Uops,
];

/// How one stage of one file compares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Match,
    /// The first line (1-based) where the two outputs differ, and that line on each side.
    Differ {
        line: usize,
        builtin: String,
        live: String,
    },
    /// The built-in engine does not build this stage yet.
    NotBuilt,
    /// The live interpreter's version has no built-in profile (3.12, 3.13).
    NoProfile,
}

impl Verdict {
    pub fn short(&self) -> &'static str {
        match self {
            Verdict::Match => "match",
            Verdict::Differ { .. } => "differ",
            Verdict::NotBuilt => "not built",
            Verdict::NoProfile => "no profile",
        }
    }
}

/// The dump as compared: code-object addresses masked (they differ between any two runs).
fn as_text(out: &DumpOutput) -> String {
    let text = format!("{}{}# exit {}\n", out.stdout, out.stderr, out.code);
    cpyviz_model::dis::mask_addresses(&text, "ADDR")
}

/// Compares the built-in engine's dumps of `path` (contents `bytes`) with a live capture of it.
pub fn compare(path: &str, bytes: &[u8], live: &Capture) -> Vec<(Stage, Verdict)> {
    let (major, minor) = live.python_version();
    let version: Option<PyVersion> = format!("{major}.{minor}").parse().ok();
    let builtin = version.and_then(|v| {
        cpyviz_model::source::Source::decode(path, bytes)
            .ok()
            .map(|s| crate::builtin::capture(s, v))
    });
    STAGES
        .iter()
        .map(|&stage| {
            let Some(version) = version else {
                return (stage, Verdict::NoProfile);
            };
            if let Some(b) = &builtin {
                if matches!(b.status(stage), StageStatus::NotBuilt) {
                    return (stage, Verdict::NotBuilt);
                }
            }
            let ours = as_text(&dump_file(stage, path, bytes, version));
            let theirs = as_text(&dump_capture(stage, live));
            if ours == theirs {
                return (stage, Verdict::Match);
            }
            let mut a = ours.lines();
            let mut b = theirs.lines();
            let mut line = 1;
            loop {
                match (a.next(), b.next()) {
                    (Some(x), Some(y)) if x == y => line += 1,
                    (x, y) => {
                        return (
                            stage,
                            Verdict::Differ {
                                line,
                                builtin: x.unwrap_or("<end>").to_string(),
                                live: y.unwrap_or("<end>").to_string(),
                            },
                        )
                    }
                }
            }
        })
        .collect()
}

/// One file's verdicts per stage, or why the live engine could not record it.
pub type FileResult = Result<Vec<(Stage, Verdict)>, String>;

/// The table `cpyviz conformance` prints for `(file, verdicts)` rows.
pub fn report(engine_label: &str, rows: &[(String, FileResult)]) -> String {
    let width = rows.iter().map(|(f, _)| f.len()).max().unwrap_or(4).max(4) + 2;
    let mut out = format!("conformance: builtin model vs {engine_label}\n\n");
    out.push_str(&format!("{:<width$}", "FILE"));
    for s in STAGES {
        out.push_str(&format!("{:<13}", s.cli_name()));
    }
    let trimmed = out.trim_end_matches(' ').len();
    out.truncate(trimmed);
    out.push('\n');
    let mut details = Vec::new();
    let mut counts = [(0usize, 0usize); STAGES.len()];
    for (file, result) in rows {
        out.push_str(&format!("{file:<width$}"));
        match result {
            Err(msg) => {
                out.push_str(&format!(
                    "live engine failed: {}\n",
                    msg.lines().next().unwrap_or("")
                ));
            }
            Ok(verdicts) => {
                for (i, (stage, v)) in verdicts.iter().enumerate() {
                    out.push_str(&format!("{:<13}", v.short()));
                    if matches!(v, Verdict::Match | Verdict::Differ { .. }) {
                        counts[i].1 += 1;
                        if *v == Verdict::Match {
                            counts[i].0 += 1;
                        }
                    }
                    if let Verdict::Differ {
                        line,
                        builtin,
                        live,
                    } = v
                    {
                        details.push(format!(
                            "  {file} {} line {line}:\n    builtin: {builtin:?}\n    live:    {live:?}",
                            stage.cli_name()
                        ));
                    }
                }
                let trimmed = out.trim_end_matches(' ').len();
                out.truncate(trimmed);
                out.push('\n');
            }
        }
    }
    out.push_str("\nsummary:");
    for (i, s) in STAGES.iter().enumerate() {
        let (m, n) = counts[i];
        if n == 0 {
            out.push_str(&format!(" {} not built;", s.cli_name()));
        } else {
            out.push_str(&format!(" {} {m}/{n} match;", s.cli_name()));
        }
    }
    out.pop();
    out.push('\n');
    if !details.is_empty() {
        out.push_str("\nfirst differences:\n");
        out.push_str(&details.join("\n"));
        out.push('\n');
    }
    out
}

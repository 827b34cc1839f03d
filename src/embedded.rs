//! The folders built into the binary (`build.rs`): the teaching samples and the lessons. An
//! installed cpyviz has them wherever it runs; `cpyviz samples` lists and extracts the samples,
//! and `cpyviz NAME.py` / `cpyviz samples/NAME.py` open the embedded copy when no such file
//! exists.

use std::path::{Path, PathBuf};

/// One embedded file: its path inside its folder (`abs.py`) and its text.
#[derive(Debug, Clone, Copy)]
pub struct Embedded {
    pub path: &'static str,
    pub text: &'static str,
}

include!(concat!(env!("OUT_DIR"), "/embedded.rs"));

impl Embedded {
    /// The sample's name without `.py` (`abs`).
    pub fn stem(&self) -> &'static str {
        self.path.strip_suffix(".py").unwrap_or(self.path)
    }

    /// What the sample teaches: its first line's one-line docstring (`"""…"""`), else its
    /// first comment.
    pub fn summary(&self) -> &'static str {
        let first = self.text.lines().next().unwrap_or("").trim();
        for quote in ["\"\"\"", "'''"] {
            if let Some(rest) = first.strip_prefix(quote) {
                return rest.strip_suffix(quote).unwrap_or(rest).trim();
            }
        }
        first.strip_prefix('#').unwrap_or("").trim()
    }
}

/// The embedded sample `name` names: `abs`, `abs.py`, `samples/abs.py` or `./samples/abs.py`.
pub fn sample(name: &str) -> Option<&'static Embedded> {
    let name = name.trim_start_matches("./");
    let name = name.strip_prefix("samples/").unwrap_or(name);
    SAMPLES.iter().find(|s| s.path == name || s.stem() == name)
}

/// The embedded sample a command-line FILE stands for: only when no such file exists here, and
/// the path is a sample's name (`abs.py`) or its place in a checkout (`samples/abs.py`).
pub fn fallback(path: &Path) -> Option<&'static Embedded> {
    if path.exists() || path.extension().is_none_or(|e| e != "py") {
        return None;
    }
    let text = path.to_str()?;
    let text = text.trim_start_matches("./");
    let bare = !text.contains('/');
    let in_samples = text
        .strip_prefix("samples/")
        .is_some_and(|r| !r.contains('/'));
    if bare || in_samples {
        sample(text)
    } else {
        None
    }
}

/// Writes every embedded sample into `dir` (made if missing). Existing files are left as they
/// are. Returns one line per sample: what was done.
pub fn extract(dir: &Path) -> Result<Vec<String>, String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cpyviz: can't make the folder '{}': {e}", dir.display()))?;
    let mut done = Vec::new();
    for s in SAMPLES {
        let dest: PathBuf = dir.join(s.path);
        if dest.exists() {
            done.push(format!("{} exists: left as it is", dest.display()));
            continue;
        }
        std::fs::write(&dest, s.text)
            .map_err(|e| format!("cpyviz: can't write '{}': {e}", dest.display()))?;
        done.push(format!("wrote {}", dest.display()));
    }
    Ok(done)
}

/// `cpyviz samples`: each sample's file name and what it teaches, aligned.
pub fn listing() -> String {
    let width = SAMPLES.iter().map(|s| s.path.len()).max().unwrap_or(0);
    let mut out = String::new();
    for s in SAMPLES {
        out.push_str(&format!("{:<width$}  {}\n", s.path, s.summary()));
    }
    out
}

/// The bytes of `path` for a lesson: the file when it exists, else the built-in copy of a lesson
/// file (`lessons/…`) or a sample (`samples/NAME.py`) the path names.
pub fn read_for_lesson(path: &Path) -> Result<Vec<u8>, String> {
    if path.exists() {
        return read_file(path);
    }
    let text = path.to_string_lossy().replace('\\', "/");
    let text = text.trim_start_matches("./");
    if let Some(rel) = text.strip_prefix("lessons/") {
        if let Some(l) = LESSONS.iter().find(|l| l.path == rel) {
            return Ok(l.text.as_bytes().to_vec());
        }
    }
    if let Some(s) = text.strip_prefix("samples/").and_then(sample) {
        return Ok(s.text.as_bytes().to_vec());
    }
    read_file(path)
}

fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cpyviz: can't open file '{}': {e}", path.display()))
}

/// The lesson a command line names: a file that exists, else a built-in lesson by its file
/// name, with or without `lessons/` and `.toml`, or by its number (`1`, `01`).
pub fn lesson_path(arg: &Path) -> PathBuf {
    if arg.exists() {
        return arg.to_path_buf();
    }
    let text = arg.to_string_lossy();
    let text = text.trim_start_matches("./");
    let name = text.strip_prefix("lessons/").unwrap_or(text);
    let name = name.strip_suffix(".toml").unwrap_or(name);
    let number = name.parse::<u32>().ok().map(|n| format!("{n:02}-"));
    let found = lesson_files().into_iter().find(|l| {
        let stem = l.path.strip_suffix(".toml").unwrap_or(l.path);
        stem == name || number.as_deref().is_some_and(|n| stem.starts_with(n))
    });
    match found {
        Some(l) => Path::new("lessons").join(l.path),
        None => arg.to_path_buf(),
    }
}

/// The built-in lesson files (`NN-name.toml` at the top of `lessons/`), sorted.
pub fn lesson_files() -> Vec<&'static Embedded> {
    let mut out: Vec<_> = LESSONS
        .iter()
        .filter(|l| l.path.ends_with(".toml") && !l.path.contains('/'))
        .collect();
    out.sort_by_key(|l| l.path);
    out
}

//! Loading a lesson: its file read and validated ([`Lesson::parse`]), its snippet and capture
//! files found next to it, and one capture per engine and version its steps use. Lessons are
//! data: nothing in one is executed (the built-in engine runs the snippet in its own VM, as
//! for any file; a capture is a recording).

use crate::builtin;
use crate::capture_file;
use cpyviz_model::capture::Capture;
use cpyviz_model::execution::RunOptions;
use cpyviz_model::lesson::{Lesson, Snippet, StepEngine};
use cpyviz_model::source::Source;
use std::path::{Component, Path, PathBuf};

/// A lesson ready to present: its captures, and which one each step shows.
pub struct Loaded {
    pub lesson: Lesson,
    /// How the lesson file was named (for messages).
    pub name: String,
    pub captures: Vec<Capture>,
    /// `captures[capture_of[i]]` is step `i`'s capture.
    pub capture_of: Vec<usize>,
}

/// Reads the files a lesson names: `read(path)` gets the bytes of a path relative to the
/// current folder (a file on disk, or one the binary carries).
pub type Reader<'a> = &'a dyn Fn(&Path) -> Result<Vec<u8>, String>;

/// `a/b/../c` → `a/c`, without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Loads the lesson at `path` from disk.
pub fn load(path: &Path, run: &RunOptions) -> Result<Loaded, String> {
    load_with(path, &|p: &Path| crate::read_file(p), run)
}

/// Loads the lesson at `path`, reading it and the files it names with `read`.
pub fn load_with(path: &Path, read: Reader<'_>, run: &RunOptions) -> Result<Loaded, String> {
    let name = path.display().to_string();
    let bytes = read(path)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| format!("{name}: a lesson file is UTF-8 text (TOML), and this is not"))?;
    let lesson = Lesson::parse(&text).map_err(|e| e.render(&name))?;
    let dir = path.parent().unwrap_or(Path::new(""));
    let source = match &lesson.snippet {
        Snippet::File(rel) => {
            let file = normalize(&dir.join(rel));
            let bytes =
                read(&file).map_err(|e| format!("{name}: field snippet: {}", e.trim_end()))?;
            let label = file.display().to_string();
            Source::decode(&label, &bytes)
                .map_err(|e| cpyviz_syntax::ast::render_decode_error(&label, &e))?
        }
        Snippet::Inline(code) => {
            let label = format!("{name} (inline snippet)");
            Source::decode(&label, code.as_bytes())
                .map_err(|e| cpyviz_syntax::ast::render_decode_error(&label, &e))?
        }
    };
    let mut captures: Vec<Capture> = Vec::new();
    let mut keys = Vec::new();
    for (engine, version) in lesson.sources() {
        let capture = match &engine {
            StepEngine::Builtin => builtin::capture_with(source.clone(), version, run),
            StepEngine::Capture(rel) => {
                let file = normalize(&dir.join(rel));
                let bytes =
                    read(&file).map_err(|e| format!("{name}: field capture: {}", e.trim_end()))?;
                let label = file.display().to_string();
                let text = String::from_utf8(bytes)
                    .map_err(|_| format!("{label}: not a capture file (not UTF-8)"))?;
                let all = capture_file::from_json(&label, &text)?;
                all.into_iter()
                    .find(|c| c.version == version)
                    .ok_or_else(|| format!("{name}: {label} has no capture of CPython {version}"))?
            }
        };
        keys.push((engine, version));
        captures.push(capture);
    }
    let capture_of = lesson
        .steps
        .iter()
        .map(|s| {
            keys.iter()
                .position(|(e, v)| *e == s.engine && *v == s.version)
                .unwrap_or(0)
        })
        .collect();
    Ok(Loaded {
        lesson,
        name,
        captures,
        capture_of,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized_lexically() {
        assert_eq!(
            normalize(Path::new("lessons/../samples/abs.py")),
            PathBuf::from("samples/abs.py")
        );
        assert_eq!(
            normalize(Path::new("../x/./y.py")),
            PathBuf::from("../x/y.py")
        );
    }

    #[test]
    fn a_lesson_gets_one_capture_per_engine_and_version() {
        let files = |p: &Path| -> Result<Vec<u8>, String> {
            match p.to_str() {
                Some("l/one.toml") => Ok(br#"
title = "t"
snippet = "../s/a.py"
[[step]]
title = "a"
stage = "tokens"
narration = "n"
[[step]]
title = "b"
stage = "bytecode"
version = "3.15"
narration = "n"
[[step]]
title = "c"
stage = "ast"
narration = "n"
"#
                .to_vec()),
                Some("s/a.py") => Ok(b"x = 1\n".to_vec()),
                other => Err(format!("cpyviz: no such file {other:?}")),
            }
        };
        let l = load_with(Path::new("l/one.toml"), &files, &RunOptions::default()).unwrap();
        assert_eq!(l.captures.len(), 2);
        assert_eq!(l.capture_of, vec![0, 1, 0]);
        assert_eq!(
            l.captures[1].version,
            cpyviz_model::version::PyVersion::V3_15
        );
        assert_eq!(l.captures[0].source.path, "s/a.py");
    }

    #[test]
    fn a_missing_snippet_names_the_lesson_and_field() {
        let files = |p: &Path| -> Result<Vec<u8>, String> {
            match p.to_str() {
                Some("l.toml") => Ok(b"title = \"t\"\nsnippet = \"nope.py\"\n[[step]]\ntitle = \"a\"\nstage = \"ast\"\nnarration = \"n\"\n".to_vec()),
                _ => Err("cpyviz: can't open file 'nope.py': No such file or directory".into()),
            }
        };
        let e = load_with(Path::new("l.toml"), &files, &RunOptions::default())
            .err()
            .unwrap();
        assert!(
            e.starts_with("l.toml: field snippet: cpyviz: can't open"),
            "{e}"
        );
    }
}

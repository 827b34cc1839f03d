//! Lessons: a snippet and a sequence of steps, each showing one stage with one thing selected
//! and a short narration. A lesson is data (a TOML file, `lessons/README.md` documents the
//! format); it is never executed. [`Lesson::parse`] validates everything it can without a
//! capture and names the step and field of any mistake; a selection that matches nothing in
//! its stage is reported when the step is shown (the viewer says so in the narration panel,
//! and the lessons' tests fail on it).

use crate::capture::Stage;
use crate::jit::{JitOptions, MemoryChoice, Target};
use crate::version::PyVersion;
use serde::Deserialize;

/// A lesson, validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    pub title: String,
    /// One paragraph saying what the lesson teaches (`cpyviz lessons` lists it).
    pub summary: String,
    pub snippet: Snippet,
    pub steps: Vec<Step>,
}

/// Where the lesson's Python comes from.
#[derive(Clone, Debug, PartialEq)]
pub enum Snippet {
    /// A file: a bundled sample (`samples/abs.py`) or a path relative to the lesson's folder.
    File(String),
    /// The code itself, written in the lesson.
    Inline(String),
}

/// Which engine a step shows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum StepEngine {
    /// cpyviz's own model (offline).
    Builtin,
    /// A capture file recorded from a real CPython (`cpyviz record`), relative to the lesson's
    /// folder: for stages the built-in engine cannot show yet.
    Capture(String),
}

/// One step: a stage, what to select in it, the version and engine, what to say.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub title: String,
    pub stage: Stage,
    pub select: Option<Selection>,
    pub version: PyVersion,
    pub engine: StepEngine,
    /// Paragraphs separated by blank lines; `code` in backticks is shown as code.
    pub narration: String,
    /// Speaker notes: shown in the presenter's notes overlay (`n`), never in exports.
    pub notes: String,
    /// Source text to highlight (each the first occurrence in the snippet).
    pub highlight: Vec<String>,
    /// Seconds this step stays on screen in an animated export.
    pub duration: f32,
    /// The JIT stages' target and memory model for this step (`None`: the defaults).
    pub target: Option<Target>,
    pub memory: Option<String>,
}

impl Step {
    /// The JIT stages' options this step asks for (built-in stencils).
    pub fn jit_options(&self) -> JitOptions {
        JitOptions {
            memory: match &self.memory {
                Some(m) => MemoryChoice::Preset(m.clone()),
                None => MemoryChoice::Recorded,
            },
            target: self.target,
            ..JitOptions::default()
        }
    }
}

/// What a step selects in its stage's list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub what: Select,
    /// Which match to take, from 1 (the first).
    pub nth: usize,
}

/// The kinds of thing a step can select.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Select {
    /// Row N of the stage's list (0-based), whatever it is.
    Row(usize),
    /// The first row of the stage on this source line.
    Line(u32),
    /// Token N (0-based) of the token table.
    Token(usize),
    /// An AST node of this class (`Compare`).
    Node(String),
    /// An instruction by name (`COMPARE_OP`, `BINARY_OP_SUBTRACT_INT`).
    Instruction(String),
    /// A micro-op by name (`_GUARD_BOTH_INT`; a 3.15 register variant's base name matches too).
    Uop(String),
    /// The Nth hole of the machine-code pane (0-based).
    Hole(usize),
    /// A symbol of the trampoline explainer (`_Py_Dealloc`), or of a hole in machine code.
    Symbol(String),
}

impl Select {
    /// The field name as the lesson file writes it.
    pub fn kind(&self) -> &'static str {
        match self {
            Select::Row(_) => "row",
            Select::Line(_) => "line",
            Select::Token(_) => "token",
            Select::Node(_) => "node",
            Select::Instruction(_) => "instruction",
            Select::Uop(_) => "uop",
            Select::Hole(_) => "hole",
            Select::Symbol(_) => "symbol",
        }
    }

    /// The stages where this kind of selection means something.
    pub fn stages(&self) -> &'static [Stage] {
        use Stage::*;
        match self {
            Select::Row(_) | Select::Line(_) => &[
                Tokens,
                Ast,
                Bytecode,
                Specialized,
                Uops,
                MachineCode,
                Trampolines,
            ],
            Select::Token(_) => &[Tokens],
            Select::Node(_) => &[Ast],
            Select::Instruction(_) => &[Bytecode, Specialized],
            Select::Uop(_) => &[Uops, MachineCode],
            Select::Hole(_) => &[MachineCode],
            Select::Symbol(_) => &[MachineCode, Trampolines],
        }
    }

    /// `instruction COMPARE_OP`, for messages.
    pub fn describe(&self) -> String {
        match self {
            Select::Row(n) | Select::Token(n) | Select::Hole(n) => format!("{} {n}", self.kind()),
            Select::Line(n) => format!("line {n}"),
            Select::Node(s) | Select::Instruction(s) | Select::Uop(s) | Select::Symbol(s) => {
                format!("{} {s}", self.kind())
            }
        }
    }
}

/// The default seconds per step in animated exports.
pub const DEFAULT_DURATION: f32 = 6.0;

// The file as written: every field optional where the format allows, unknown fields refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLesson {
    title: Option<String>,
    #[serde(default)]
    summary: String,
    snippet: Option<String>,
    code: Option<String>,
    version: Option<String>,
    engine: Option<String>,
    capture: Option<String>,
    duration: Option<f32>,
    #[serde(default)]
    step: Vec<RawStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    title: Option<String>,
    stage: Option<String>,
    select: Option<RawSelect>,
    version: Option<String>,
    engine: Option<String>,
    capture: Option<String>,
    narration: Option<String>,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    highlight: Vec<String>,
    duration: Option<f32>,
    target: Option<String>,
    memory: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSelect {
    row: Option<usize>,
    line: Option<u32>,
    token: Option<usize>,
    node: Option<String>,
    instruction: Option<String>,
    uop: Option<String>,
    hole: Option<usize>,
    symbol: Option<String>,
    nth: Option<usize>,
}

/// A mistake in a lesson file, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonError {
    /// The step (1-based) the mistake is in; `None`: the lesson's own fields, or the file.
    pub step: Option<usize>,
    /// The field (`stage`, `select.instruction`), when one is to blame.
    pub field: Option<String>,
    /// The line of the file, when the TOML reader knows it.
    pub line: Option<usize>,
    pub message: String,
}

impl LessonError {
    fn at(step: Option<usize>, field: &str, message: impl Into<String>) -> LessonError {
        LessonError {
            step,
            field: Some(field.to_string()),
            line: None,
            message: message.into(),
        }
    }

    /// `lessons/01-abs.toml:12: step 3, field stage: unknown stage 'bytcode' (…)`.
    pub fn render(&self, path: &str) -> String {
        let mut out = path.to_string();
        if let Some(line) = self.line {
            out.push_str(&format!(":{line}"));
        }
        out.push_str(": ");
        match (&self.step, &self.field) {
            (Some(s), Some(f)) => out.push_str(&format!("step {s}, field {f}: ")),
            (Some(s), None) => out.push_str(&format!("step {s}: ")),
            (None, Some(f)) => out.push_str(&format!("field {f}: ")),
            (None, None) => {}
        }
        out.push_str(&self.message);
        out
    }
}

impl std::fmt::Display for LessonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.render("lesson"))
    }
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    1 + text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// Which `[[step]]` (1-based) a byte offset of the file falls in, if any.
fn step_at(text: &str, offset: usize) -> Option<usize> {
    let mut step = None;
    let mut count = 0;
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if pos > offset {
            break;
        }
        if line.trim_start().starts_with("[[step]]") {
            count += 1;
            step = Some(count);
        }
        pos += line.len();
    }
    step
}

fn parse_version(text: Option<&str>, default: PyVersion) -> Result<PyVersion, String> {
    match text {
        None => Ok(default),
        Some(t) => t.parse(),
    }
}

fn parse_engine(
    name: Option<&str>,
    capture: Option<&str>,
    default: &StepEngine,
) -> Result<StepEngine, (&'static str, String)> {
    match (name, capture) {
        (None, None) => Ok(default.clone()),
        (None | Some("capture"), Some(path)) if !path.trim().is_empty() => {
            Ok(StepEngine::Capture(path.to_string()))
        }
        (Some("builtin"), None) => Ok(StepEngine::Builtin),
        (Some("builtin"), Some(_)) => Err((
            "capture",
            "a capture is only read with engine = \"capture\"".into(),
        )),
        (Some("capture"), _) => Err((
            "capture",
            "engine = \"capture\" needs capture = \"FILE.capture.json\"".into(),
        )),
        (None, Some(_)) => Err(("capture", "the capture file's path is empty".into())),
        (Some(other), _) => Err((
            "engine",
            format!("unknown engine '{other}' (engines: builtin, capture)"),
        )),
    }
}

fn selection(raw: RawSelect, stage: Stage) -> Result<Selection, (String, String)> {
    let mut kinds = Vec::new();
    let mut push = |k: Select| kinds.push(k);
    if let Some(n) = raw.row {
        push(Select::Row(n));
    }
    if let Some(n) = raw.line {
        push(Select::Line(n));
    }
    if let Some(n) = raw.token {
        push(Select::Token(n));
    }
    if let Some(s) = raw.node {
        push(Select::Node(s));
    }
    if let Some(s) = raw.instruction {
        push(Select::Instruction(s));
    }
    if let Some(s) = raw.uop {
        push(Select::Uop(s));
    }
    if let Some(n) = raw.hole {
        push(Select::Hole(n));
    }
    if let Some(s) = raw.symbol {
        push(Select::Symbol(s));
    }
    let what =
        match kinds.len() {
            1 => kinds.remove(0),
            0 => return Err((
                "select".into(),
                "say what to select: one of row, line, token, node, instruction, uop, hole, symbol"
                    .into(),
            )),
            _ => {
                let names: Vec<_> = kinds.iter().map(Select::kind).collect();
                return Err((
                    "select".into(),
                    format!("select one thing, not {}", names.join(" and ")),
                ));
            }
        };
    let field = format!("select.{}", what.kind());
    if let Select::Line(0) = what {
        return Err((field, "lines count from 1".into()));
    }
    match &what {
        Select::Node(s) | Select::Instruction(s) | Select::Uop(s) | Select::Symbol(s)
            if s.trim().is_empty() =>
        {
            return Err((field, "the name is empty".into()))
        }
        _ => {}
    }
    if !what.stages().contains(&stage) {
        let names: Vec<_> = what.stages().iter().map(|s| s.cli_name()).collect();
        return Err((
            field,
            format!(
                "a {} selection means nothing on the {} stage (stages: {})",
                what.kind(),
                stage.cli_name(),
                names.join(", ")
            ),
        ));
    }
    let nth = raw.nth.unwrap_or(1);
    if nth == 0 {
        return Err(("select.nth".into(), "nth counts from 1".into()));
    }
    Ok(Selection { what, nth })
}

fn duration(d: Option<f32>, default: f32) -> Result<f32, String> {
    match d {
        None => Ok(default),
        Some(d) if d.is_finite() && (0.5..=600.0).contains(&d) => Ok(d),
        Some(d) => Err(format!("{d} is not a duration from 0.5 to 600 seconds")),
    }
}

impl Lesson {
    /// Reads a lesson file's text. Every mistake names its step and field.
    pub fn parse(text: &str) -> Result<Lesson, LessonError> {
        let raw: RawLesson = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start);
            LessonError {
                step: offset.and_then(|o| step_at(text, o)),
                field: None,
                line: offset.map(|o| line_of(text, o)),
                message: e.message().trim().to_string(),
            }
        })?;
        let title = match raw.title {
            Some(t) if !t.trim().is_empty() => t.trim().to_string(),
            _ => return Err(LessonError::at(None, "title", "a lesson needs a title")),
        };
        let snippet = match (raw.snippet, raw.code) {
            (Some(s), None) if !s.trim().is_empty() => Snippet::File(s),
            (None, Some(c)) if !c.trim().is_empty() => Snippet::Inline(c),
            (Some(_), Some(_)) => {
                return Err(LessonError::at(
                    None,
                    "code",
                    "give the snippet as a file (snippet) or inline (code), not both",
                ))
            }
            _ => return Err(LessonError::at(
                None,
                "snippet",
                "a lesson needs a snippet: snippet = \"samples/abs.py\" or code = \"\"\"…\"\"\"",
            )),
        };
        let version = parse_version(raw.version.as_deref(), PyVersion::V3_14)
            .map_err(|m| LessonError::at(None, "version", m))?;
        let engine = parse_engine(
            raw.engine.as_deref(),
            raw.capture.as_deref(),
            &StepEngine::Builtin,
        )
        .map_err(|(f, m)| LessonError::at(None, f, m))?;
        let default_duration = duration(raw.duration, DEFAULT_DURATION)
            .map_err(|m| LessonError::at(None, "duration", m))?;
        if raw.step.is_empty() {
            return Err(LessonError::at(
                None,
                "step",
                "a lesson needs at least one [[step]]",
            ));
        }
        let mut steps = Vec::with_capacity(raw.step.len());
        for (i, s) in raw.step.into_iter().enumerate() {
            let n = Some(i + 1);
            let title = match s.title {
                Some(t) if !t.trim().is_empty() => t.trim().to_string(),
                _ => return Err(LessonError::at(n, "title", "every step needs a title")),
            };
            let stage = match s.stage.as_deref() {
                Some(name) => Stage::from_cli_name(name).ok_or_else(|| {
                    let names: Vec<_> = Stage::all().map(Stage::cli_name).collect();
                    LessonError::at(
                        n,
                        "stage",
                        format!("unknown stage '{name}' (stages: {})", names.join(", ")),
                    )
                })?,
                None => return Err(LessonError::at(n, "stage", "every step names its stage")),
            };
            let select = s
                .select
                .map(|raw| selection(raw, stage))
                .transpose()
                .map_err(|(f, m)| LessonError::at(n, &f, m))?;
            let step_version = parse_version(s.version.as_deref(), version)
                .map_err(|m| LessonError::at(n, "version", m))?;
            let step_engine = parse_engine(s.engine.as_deref(), s.capture.as_deref(), &engine)
                .map_err(|(f, m)| LessonError::at(n, f, m))?;
            let narration = match s.narration {
                Some(t) if !t.trim().is_empty() => t.trim().to_string(),
                _ => {
                    return Err(LessonError::at(
                        n,
                        "narration",
                        "every step needs a narration",
                    ))
                }
            };
            if let Some(h) = s.highlight.iter().find(|h| h.is_empty()) {
                return Err(LessonError::at(
                    n,
                    "highlight",
                    format!("an empty highlight ({h:?})"),
                ));
            }
            let duration = duration(s.duration, default_duration)
                .map_err(|m| LessonError::at(n, "duration", m))?;
            let target = s
                .target
                .as_deref()
                .map(|t| {
                    Target::from_triple(t).ok_or_else(|| {
                        let names: Vec<_> = Target::ALL.iter().map(|t| t.triple()).collect();
                        LessonError::at(
                            n,
                            "target",
                            format!("unknown target '{t}' (targets: {})", names.join(", ")),
                        )
                    })
                })
                .transpose()?;
            if let Some(m) = s.memory.as_deref() {
                if !["near", "far", "low"].contains(&m) {
                    return Err(LessonError::at(
                        n,
                        "memory",
                        format!("unknown memory model '{m}' (memory models: near, far, low)"),
                    ));
                }
            }
            steps.push(Step {
                title,
                stage,
                select,
                version: step_version,
                engine: step_engine,
                narration,
                notes: s.notes.trim().to_string(),
                highlight: s.highlight,
                duration,
                target,
                memory: s.memory,
            });
        }
        Ok(Lesson {
            title,
            summary: raw.summary.trim().to_string(),
            snippet,
            steps,
        })
    }

    /// The engines and versions the steps use, each once, in the order of first use.
    pub fn sources(&self) -> Vec<(StepEngine, PyVersion)> {
        let mut out: Vec<(StepEngine, PyVersion)> = Vec::new();
        for s in &self.steps {
            let key = (s.engine.clone(), s.version);
            if !out.contains(&key) {
                out.push(key);
            }
        }
        out
    }
}

/// Narration text split into paragraphs, each a list of (text, is_code) runs: backticks mark
/// code. A paragraph's lines are joined with spaces; a line starting with `- ` starts a new
/// bullet paragraph.
pub fn paragraphs(narration: &str) -> Vec<Vec<(String, bool)>> {
    let mut paras: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in narration.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with("- ") {
            if !current.is_empty() {
                paras.push(std::mem::take(&mut current));
            }
            if t.is_empty() {
                continue;
            }
            current.push_str("• ");
            current.push_str(&t[2..]);
            continue;
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(t);
    }
    if !current.is_empty() {
        paras.push(current);
    }
    paras
        .into_iter()
        .map(|p| {
            p.split('`')
                .enumerate()
                .filter(|(_, s)| !s.is_empty())
                .map(|(i, s)| (s.to_string(), i % 2 == 1))
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
title = "A lesson"
summary = "What it teaches."
snippet = "samples/abs.py"

[[step]]
title = "Tokens"
stage = "tokens"
select = { token = 3 }
narration = "The tokenizer reads `def`."

[[step]]
title = "Specialized"
stage = "specialized"
version = "3.15"
select = { instruction = "COMPARE_OP_INT", nth = 2 }
narration = """
First paragraph.

Second with `code`.
"""
notes = "say this"
highlight = ["a > b"]
duration = 3
"#;

    #[test]
    fn a_good_lesson_reads_with_its_defaults() {
        let l = Lesson::parse(GOOD).unwrap();
        assert_eq!(l.title, "A lesson");
        assert_eq!(l.snippet, Snippet::File("samples/abs.py".into()));
        assert_eq!(l.steps.len(), 2);
        assert_eq!(l.steps[0].version, PyVersion::V3_14);
        assert_eq!(l.steps[0].engine, StepEngine::Builtin);
        assert_eq!(l.steps[0].duration, DEFAULT_DURATION);
        assert_eq!(
            l.steps[1].select,
            Some(Selection {
                what: Select::Instruction("COMPARE_OP_INT".into()),
                nth: 2
            })
        );
        assert_eq!(l.steps[1].version, PyVersion::V3_15);
        assert_eq!(l.steps[1].duration, 3.0);
        assert_eq!(l.steps[1].notes, "say this");
        assert_eq!(
            l.sources(),
            vec![
                (StepEngine::Builtin, PyVersion::V3_14),
                (StepEngine::Builtin, PyVersion::V3_15)
            ]
        );
    }

    fn error(text: &str) -> LessonError {
        Lesson::parse(text).unwrap_err()
    }

    #[test]
    fn mistakes_name_their_step_and_field() {
        let e = error(&GOOD.replace("stage = \"specialized\"", "stage = \"specialised\""));
        assert_eq!((e.step, e.field.as_deref()), (Some(2), Some("stage")));
        assert!(e.message.contains("unknown stage 'specialised'"), "{e}");

        let e = error(&GOOD.replace("token = 3", "instruction = \"RESUME\""));
        assert_eq!(
            (e.step, e.field.as_deref()),
            (Some(1), Some("select.instruction"))
        );
        assert!(
            e.message.contains("means nothing on the tokens stage"),
            "{e}"
        );

        let e = error(&GOOD.replace("version = \"3.15\"", "version = \"3.9\""));
        assert_eq!((e.step, e.field.as_deref()), (Some(2), Some("version")));

        let e = error(&GOOD.replace("nth = 2", "nth = 0"));
        assert_eq!(e.field.as_deref(), Some("select.nth"));

        let e = error(&GOOD.replace("{ token = 3 }", "{ token = 3, line = 2 }"));
        assert!(e.message.contains("line and token"), "{e}");

        let e = error(&GOOD.replace("duration = 3", "duration = -1"));
        assert_eq!((e.step, e.field.as_deref()), (Some(2), Some("duration")));

        let e = error(&GOOD.replace("narration = \"The tokenizer reads `def`.\"", ""));
        assert_eq!((e.step, e.field.as_deref()), (Some(1), Some("narration")));

        let e = error(&GOOD.replace("snippet = \"samples/abs.py\"", ""));
        assert_eq!((e.step, e.field.as_deref()), (None, Some("snippet")));
    }

    #[test]
    fn toml_mistakes_name_the_line_and_step() {
        let e = error(&GOOD.replace("notes = \"say this\"", "notez = \"say this\""));
        assert_eq!(e.step, Some(2));
        assert!(e.line.is_some());
        assert!(e.message.contains("notez"), "{e}");
        let rendered = e.render("lessons/x.toml");
        assert!(
            rendered.starts_with(&format!("lessons/x.toml:{}: step 2", e.line.unwrap())),
            "{rendered}"
        );

        let e = error("title = \"x\"\nsnippet = [");
        assert_eq!(e.step, None);
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn a_capture_step_needs_its_file() {
        let e = error(&GOOD.replace(
            "version = \"3.15\"",
            "version = \"3.15\"\nengine = \"capture\"",
        ));
        assert_eq!((e.step, e.field.as_deref()), (Some(2), Some("capture")));
        let l = Lesson::parse(&GOOD.replace(
            "version = \"3.15\"",
            "version = \"3.15\"\ncapture = \"abs.capture.json\"",
        ))
        .unwrap();
        assert_eq!(
            l.steps[1].engine,
            StepEngine::Capture("abs.capture.json".into())
        );
    }

    #[test]
    fn narration_paragraphs_and_code_runs() {
        let p = paragraphs("One `a > b`\nline two.\n\n- a bullet\n- `x` two");
        assert_eq!(p.len(), 3);
        assert_eq!(
            p[0],
            vec![
                ("One ".to_string(), false),
                ("a > b".to_string(), true),
                (" line two.".to_string(), false)
            ]
        );
        assert_eq!(p[1], vec![("• a bullet".to_string(), false)]);
        assert_eq!(
            p[2],
            vec![
                ("• ".to_string(), false),
                ("x".to_string(), true),
                (" two".to_string(), false)
            ]
        );
    }
}

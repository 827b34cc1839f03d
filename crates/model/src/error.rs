//! Errors are data: a stage that fails yields a [`PyError`] carrying what CPython would report,
//! and the CLI and the TUI decide how to show it.

use serde::{Deserialize, Serialize};

/// The exception class CPython raises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PyErrorKind {
    SyntaxError,
    IndentationError,
    TabError,
    /// Raised by `tokenize` only (a token stream that ends inside a bracket, …).
    TokenError,
    /// Something cpyviz's model cannot handle yet (never a wrong answer instead).
    Unsupported,
    /// `compile()` encoding a docstring that holds a lone surrogate.
    UnicodeEncodeError,
    /// `compile()` decoding an f-string's format spec that holds a bad escape (`f"{x:\x4}"`):
    /// CPython's parser lets the codec's error through.
    UnicodeDecodeError,
}

impl PyErrorKind {
    pub fn name(self) -> &'static str {
        match self {
            PyErrorKind::SyntaxError => "SyntaxError",
            PyErrorKind::IndentationError => "IndentationError",
            PyErrorKind::TabError => "TabError",
            PyErrorKind::TokenError => "TokenError",
            PyErrorKind::Unsupported => "cpyviz: unsupported",
            PyErrorKind::UnicodeEncodeError => "UnicodeEncodeError",
            PyErrorKind::UnicodeDecodeError => "UnicodeDecodeError",
        }
    }
}

/// An error in CPython's terms: the fields of a `SyntaxError` instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PyError {
    pub kind: PyErrorKind,
    pub msg: String,
    pub filename: String,
    /// 1-based line, if known.
    pub lineno: Option<usize>,
    /// 1-based character offset in `text` of the first caret, if known.
    pub offset: Option<usize>,
    pub end_lineno: Option<usize>,
    /// 1-based character offset one past the last caret, if known.
    pub end_offset: Option<usize>,
    /// The offending line, without its newline.
    pub text: Option<String>,
}

impl PyError {
    /// An error with a message only.
    pub fn new(kind: PyErrorKind, msg: impl Into<String>, filename: impl Into<String>) -> PyError {
        PyError {
            kind,
            msg: msg.into(),
            filename: filename.into(),
            lineno: None,
            offset: None,
            end_lineno: None,
            end_offset: None,
            text: None,
        }
    }

    /// Sets the location: 1-based line, 1-based character offsets of the caret range, and the line.
    pub fn at(
        mut self,
        lineno: usize,
        offset: usize,
        end: Option<(usize, usize)>,
        text: impl Into<String>,
    ) -> PyError {
        self.lineno = Some(lineno);
        self.offset = Some(offset);
        if let Some((l, o)) = end {
            self.end_lineno = Some(l);
            self.end_offset = Some(o);
        }
        self.text = Some(text.into());
        self
    }

    /// The last lines of CPython's traceback for this error: `File "…", line N`, the offending
    /// line, the caret line and `SyntaxError: msg` (the rules of `traceback`'s
    /// `_format_syntax_error`).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut suffix = String::new();
        if let Some(lineno) = self.lineno {
            out.push_str(&format!("  File \"{}\", line {}\n", self.filename, lineno));
        } else if !matches!(
            self.kind,
            PyErrorKind::Unsupported
                | PyErrorKind::UnicodeEncodeError
                | PyErrorKind::UnicodeDecodeError
        ) {
            suffix = format!(" ({})", self.filename);
        }
        if let Some(text) = &self.text {
            // `text` is stored without its newline; CPython's has one.
            let rtext = text.trim_end_matches('\n');
            let ltext = rtext.trim_start_matches([' ', '\n', '\x0c']);
            let rlen = rtext.chars().count() as i64;
            let tlen = rlen + 1;
            let spaces = rlen - ltext.chars().count() as i64;
            match self.offset {
                None => out.push_str(&format!("    {ltext}\n")),
                Some(offset) => {
                    let mut offset = offset as i64;
                    let mut end_offset = if self.lineno == self.end_lineno {
                        match self.end_offset {
                            Some(e) if e != 0 => e as i64,
                            _ => offset,
                        }
                    } else {
                        rlen + 1
                    };
                    if offset > tlen {
                        offset = rlen + 1;
                    }
                    if end_offset > tlen {
                        end_offset = rlen + 1;
                    }
                    if offset >= end_offset || end_offset < 0 {
                        end_offset = offset + 1;
                    }
                    let colno = offset - 1 - spaces;
                    let end_colno = end_offset - 1 - spaces;
                    out.push_str(&format!("    {ltext}\n"));
                    if colno >= 0 {
                        let caretspace: String = ltext
                            .chars()
                            .take(colno as usize)
                            .map(|c| if c.is_whitespace() { c } else { ' ' })
                            .collect();
                        out.push_str(&format!(
                            "    {caretspace}{}\n",
                            "^".repeat((end_colno - colno).max(0) as usize)
                        ));
                    }
                }
            }
        }
        let msg = if self.msg.is_empty() {
            "<no detail available>"
        } else {
            &self.msg
        };
        out.push_str(&format!("{}: {}{}\n", self.kind.name(), msg, suffix));
        out
    }
}

impl std::fmt::Display for PyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.lineno {
            Some(l) => write!(
                f,
                "{}: {} ({}, line {})",
                self.kind.name(),
                self.msg,
                self.filename,
                l
            ),
            None => write!(f, "{}: {}", self.kind.name(), self.msg),
        }
    }
}

impl std::error::Error for PyError {}

/// A `SyntaxWarning` CPython issues while parsing or compiling (an invalid escape sequence, a
/// keyword glued to a number, `"is"` with a literal, …). Warnings are data like errors: the
/// stages collect them in the order CPython issues them, the front ends render them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyntaxWarning {
    /// 1-based line CPython reports.
    pub lineno: usize,
    pub msg: String,
}

impl SyntaxWarning {
    /// As the `warnings` module prints it on stderr: `FILE:LINE: SyntaxWarning: MSG` and the
    /// stripped source line (left out when blank).
    pub fn render(&self, src: &crate::source::Source) -> String {
        let mut w = format!(
            "{}:{}: SyntaxWarning: {}\n",
            src.path, self.lineno, self.msg
        );
        if self.lineno >= 1 && self.lineno <= src.line_count() {
            let text = src.line_text(self.lineno).trim();
            if !text.is_empty() {
                w.push_str(&format!("  {text}\n"));
            }
        }
        w
    }
}

/// All of `warnings`, rendered in order.
pub fn render_warnings<'a>(
    warnings: impl IntoIterator<Item = &'a SyntaxWarning>,
    src: &crate::source::Source,
) -> String {
    warnings.into_iter().map(|w| w.render(src)).collect()
}

/// CPython's warning for an invalid escape sequence in a string or bytes literal; `escape` is
/// what follows the backslash (one character, or three octal digits above `\377`).
pub fn invalid_escape_message(escape: &str) -> String {
    let octal = escape.len() == 3 && escape.bytes().all(|c| (b'0'..=b'7').contains(&c));
    format!(
        "\"\\{escape}\" is an invalid {}escape sequence. Such sequences will not work in the \
         future. Did you mean \"\\\\{escape}\"? A raw string is also an option.",
        if octal { "octal " } else { "" }
    )
}

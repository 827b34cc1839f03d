//! Source text: decoding a file's bytes the way CPython does, and mapping between byte offsets,
//! lines and columns.

use serde::{Deserialize, Serialize};

/// A byte range `start..end` in [`Source::text`].
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }
    pub fn contains(&self, offset: usize) -> bool {
        (self.start as usize) <= offset && offset < (self.end as usize)
    }
    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// Why a file's bytes could not be read as Python source (before any tokenizing).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DecodeError {
    /// The bytes contain a NUL byte, first on 1-based `line`.
    NullBytes { line: usize },
    /// The bytes are not valid UTF-8 and no other encoding was declared.
    /// `line` is 1-based, `byte` the first offending byte, `text` that line decoded with
    /// replacement characters and `col` the 0-based character column of the offending byte.
    NonUtf8 {
        line: usize,
        byte: u8,
        text: String,
        col: usize,
    },
    /// A coding cookie names an encoding cpyviz cannot decode.
    UnknownEncoding { name: String },
    /// A UTF-8 BOM, then a cookie naming another encoding (`name` as CPython's tokenizer
    /// normalizes it) on 1-based `line`, whose text is `text`.
    BomMismatch {
        name: String,
        line: usize,
        text: String,
    },
}

/// A decoded Python source file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The file name as the user gave it (shown in messages, like CPython does).
    pub path: String,
    /// The decoded text (a UTF-8 BOM removed).
    pub text: String,
    /// The encoding the ENCODING token reports (`utf-8`, `utf-8-sig`, …).
    pub encoding: String,
    #[serde(skip)]
    line_starts: Vec<usize>,
}

impl Source {
    /// Source from text that is already decoded (tests, the TUI's samples).
    pub fn from_text(path: impl Into<String>, text: impl Into<String>) -> Source {
        let text = text.into();
        Source {
            path: path.into(),
            line_starts: line_starts(&text),
            text,
            encoding: "utf-8".into(),
        }
    }

    /// Decodes a file's bytes the way CPython's tokenizer does: a UTF-8 BOM, a PEP 263 coding
    /// cookie on line 1 or 2 (UTF-8 and Latin-1 are supported), else UTF-8.
    pub fn decode(path: impl Into<String>, bytes: &[u8]) -> Result<Source, DecodeError> {
        let path = path.into();
        let (body, bom) = match bytes.strip_prefix(b"\xef\xbb\xbf") {
            Some(rest) => (rest, true),
            None => (bytes, false),
        };
        let declared = coding_cookie(body).map(|(name, _)| name);
        if let (true, Some((name, line))) = (bom, coding_cookie(body)) {
            let name = tokenizer_normal_name(&name);
            if name != "utf-8" {
                let text = body
                    .split(|&b| b == b'\n')
                    .nth(line - 1)
                    .unwrap_or_default();
                return Err(DecodeError::BomMismatch {
                    name,
                    line,
                    text: String::from_utf8_lossy(text).trim_end().to_string(),
                });
            }
        }
        let (text, encoding) = match declared.as_deref().map(normalize_encoding) {
            None | Some("utf-8") => {
                let text = decode_utf8(body)?;
                let enc = if bom {
                    "utf-8-sig".to_string()
                } else {
                    "utf-8".to_string()
                };
                (text, enc)
            }
            Some("iso-8859-1") => (
                body.iter().map(|&b| b as char).collect::<String>(),
                "iso-8859-1".to_string(),
            ),
            Some(_) => {
                return Err(DecodeError::UnknownEncoding {
                    name: declared.unwrap_or_default(),
                })
            }
        };
        if let Some(at) = text.find('\0') {
            let line = 1 + text[..at].matches('\n').count();
            return Err(DecodeError::NullBytes { line });
        }
        Ok(Source {
            path,
            line_starts: line_starts(&text),
            text,
            encoding,
        })
    }

    /// Rebuilds the line index (after deserializing).
    pub fn reindex(&mut self) {
        self.line_starts = line_starts(&self.text);
    }

    /// Number of lines (a final line without a newline counts).
    pub fn line_count(&self) -> usize {
        let n = self.line_starts.len();
        if self.text.ends_with('\n') || self.text.is_empty() {
            n - 1
        } else {
            n
        }
    }

    /// Byte offset where 1-based `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(self.text.len())
    }

    /// The text of 1-based `line`, without its line ending.
    pub fn line_text(&self, line: usize) -> &str {
        let start = self.line_start(line);
        let end = self.line_start(line + 1).min(self.text.len());
        self.text[start..end.max(start)].trim_end_matches(['\n', '\r'])
    }

    /// 1-based line and 0-based byte column of `offset`.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        (line + 1, offset - self.line_starts[line])
    }

    /// Byte offset of 1-based `line` and 0-based *character* column `col`.
    pub fn offset_of_char_col(&self, line: usize, col: usize) -> usize {
        let start = self.line_start(line);
        let rest = &self.text[start..];
        rest.char_indices()
            .nth(col)
            .map(|(i, _)| start + i)
            .unwrap_or(self.text.len())
    }

    /// Byte offset of 1-based `line` and 0-based *byte* column `col` (clamped to the text).
    pub fn offset_of_byte_col(&self, line: usize, col: usize) -> usize {
        (self.line_start(line) + col).min(self.text.len())
    }
}

fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            starts.push(i + 1);
        }
    }
    starts
}

fn decode_utf8(body: &[u8]) -> Result<String, DecodeError> {
    match std::str::from_utf8(body) {
        Ok(s) => Ok(s.to_string()),
        Err(e) => {
            let at = e.valid_up_to();
            if let Some(nul) = body[..at].iter().position(|&b| b == 0) {
                let line = 1 + body[..nul].iter().filter(|&&b| b == b'\n').count();
                return Err(DecodeError::NullBytes { line });
            }
            let line = 1 + body[..at].iter().filter(|&&b| b == b'\n').count();
            let start = body[..at]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let end = body[at..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(body.len(), |i| at + i);
            let text = String::from_utf8_lossy(&body[start..end])
                .trim_end_matches('\r')
                .to_string();
            let col = String::from_utf8_lossy(&body[start..at]).chars().count();
            Err(DecodeError::NonUtf8 {
                line,
                byte: body[at],
                text,
                col,
            })
        }
    }
}

/// The name CPython's tokenizer compares with the BOM's `utf-8` (its `get_normal_name`):
/// UTF-8 and Latin-1 spellings made canonical, any other name as written.
fn tokenizer_normal_name(name: &str) -> String {
    let lower: String = name
        .chars()
        .take(12)
        .map(|c| {
            if c == '_' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    let is = |canon: &str| lower == canon || lower.starts_with(&format!("{canon}-"));
    if is("utf-8") {
        "utf-8".into()
    } else if is("latin-1") || is("iso-8859-1") || is("iso-latin-1") {
        "iso-8859-1".into()
    } else {
        name.to_string()
    }
}

/// The encoding named by a PEP 263 cookie on one of the first two lines, if any, and that
/// line (1-based).
fn coding_cookie(body: &[u8]) -> Option<(String, usize)> {
    for (i, line) in body.split(|&b| b == b'\n').take(2).enumerate() {
        let line = String::from_utf8_lossy(line);
        let trimmed = line.trim_start_matches([' ', '\t', '\x0c']);
        if !trimmed.starts_with('#') {
            // Line 2 only counts when line 1 is blank or a comment.
            if i == 0 && !trimmed.trim().is_empty() {
                return None;
            }
            continue;
        }
        if let Some(pos) = trimmed.find("coding") {
            let rest = &trimmed[pos + 6..];
            if let Some(rest) = rest.strip_prefix([':', '=']) {
                let name: String = rest
                    .trim_start_matches([' ', '\t'])
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    .collect();
                if !name.is_empty() {
                    return Some((name, i + 1));
                }
            }
        }
    }
    None
}

fn normalize_encoding(name: &str) -> &'static str {
    let lower = name.to_ascii_lowercase().replace('_', "-");
    if lower == "utf-8" || lower == "utf8" || lower.starts_with("utf-8-") {
        "utf-8"
    } else if matches!(
        lower.as_str(),
        "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "l1" | "iso-latin-1"
    ) || lower.starts_with("latin-1-")
        || lower.starts_with("iso-8859-1-")
        || lower.starts_with("iso-latin-1-")
    {
        "iso-8859-1"
    } else {
        "unknown"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_round_trip() {
        let s = Source::from_text("t.py", "ab\ncdé\n\nx");
        assert_eq!(s.line_count(), 4);
        assert_eq!(s.line_col(0), (1, 0));
        assert_eq!(s.line_col(3), (2, 0));
        assert_eq!(s.line_col(5), (2, 2));
        assert_eq!(s.line_text(2), "cdé");
        assert_eq!(s.offset_of_char_col(2, 3), 7);
    }

    #[test]
    fn decode_reports_cpython_failures() {
        assert_eq!(
            Source::decode("t.py", b"x = 1\n\xff\n"),
            Err(DecodeError::NonUtf8 {
                line: 2,
                byte: 0xff,
                text: "\u{fffd}".into(),
                col: 0
            })
        );
        assert_eq!(
            Source::decode("t.py", b"x = 1\0\n"),
            Err(DecodeError::NullBytes { line: 1 })
        );
        let bom = Source::decode("t.py", b"\xef\xbb\xbfx = 1\n").unwrap();
        assert_eq!(bom.encoding, "utf-8-sig");
        assert_eq!(bom.text, "x = 1\n");
        let latin = Source::decode("t.py", b"# -*- coding: latin-1 -*-\nx = '\xe9'\n").unwrap();
        assert_eq!(latin.text, "# -*- coding: latin-1 -*-\nx = '\u{e9}'\n");
    }
}

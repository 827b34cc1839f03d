//! Capture files (`NAME.capture.json`): captures saved by `cpyviz record` and opened again by
//! `cpyviz replay` / `cpyviz dump --capture`. The format is described in
//! `docs/capture-format.md`; [`CAPTURE_FORMAT`] is its version.

use crate::capture::{Capture, CAPTURE_FORMAT};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// What identifies a capture file's JSON.
pub const MAGIC: &str = "cpyviz-capture";

/// The whole file: an envelope around one or more captures.
#[derive(Debug, Serialize, Deserialize)]
struct CaptureFile {
    /// Always [`MAGIC`].
    kind: String,
    /// [`CAPTURE_FORMAT`] when written.
    format: u32,
    /// The cpyviz that wrote the file (informational).
    generator: String,
    captures: Vec<Capture>,
}

/// The JSON text of a capture file holding `captures`.
pub fn to_json(captures: &[Capture]) -> String {
    let file = CaptureFile {
        kind: MAGIC.to_string(),
        format: CAPTURE_FORMAT,
        generator: format!("cpyviz {}", env!("CARGO_PKG_VERSION")),
        captures: captures.to_vec(),
    };
    serde_json::to_string_pretty(&file).unwrap_or_else(|e| {
        // Only non-string map keys can fail here, and the model has none.
        format!("{{\"error\": \"{e}\"}}")
    })
}

/// Reads captures back from a capture file's text; `name` is used in messages.
pub fn from_json(name: &str, text: &str) -> Result<Vec<Capture>, String> {
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("cpyviz: {name} is not a capture file (not JSON: {e})"))?;
    if value.get("kind").and_then(|k| k.as_str()) != Some(MAGIC) {
        return Err(format!(
            "cpyviz: {name} is not a cpyviz capture file (no \"kind\": \"{MAGIC}\")"
        ));
    }
    let format = value
        .get("format")
        .and_then(|f| f.as_u64())
        .ok_or_else(|| format!("cpyviz: {name}: the capture file has no format version"))?;
    if format > CAPTURE_FORMAT as u64 {
        return Err(format!(
            "cpyviz: {name} uses capture format {format}, but this cpyviz reads formats up to {CAPTURE_FORMAT}; upgrade cpyviz"
        ));
    }
    let file: CaptureFile = serde_json::from_value(value)
        .map_err(|e| format!("cpyviz: {name}: malformed capture file: {e}"))?;
    if file.captures.is_empty() {
        return Err(format!("cpyviz: {name}: the capture file holds no capture"));
    }
    let mut captures = file.captures;
    for c in &mut captures {
        c.source.reindex();
    }
    Ok(captures)
}

/// Writes a capture file.
pub fn write(path: &Path, captures: &[Capture]) -> Result<(), String> {
    std::fs::write(path, to_json(captures))
        .map_err(|e| format!("cpyviz: can't write '{}': {e}", path.display()))
}

/// Reads a capture file.
pub fn read(path: &Path) -> Result<Vec<Capture>, String> {
    let bytes = crate::cli::read_file(path)?;
    let text = String::from_utf8(bytes).map_err(|_| {
        format!(
            "cpyviz: {} is not a capture file (not UTF-8)",
            path.display()
        )
    })?;
    from_json(&path.display().to_string(), &text)
}

//! Capture files (`NAME.capture.json`): captures saved by `cpyviz record` and opened again by
//! `cpyviz replay` / `cpyviz dump --capture`. The format is described in
//! `docs/capture-format.md`; [`CAPTURE_FORMAT`] is its version.

use cpyviz_model::capture::{Capture, CAPTURE_FORMAT};
use cpyviz_model::error::{PyError, PyErrorKind};
use cpyviz_syntax::ast::{AstNode, AstValue, Constant};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::path::Path;

/// What identifies a capture file's JSON.
pub const MAGIC: &str = "cpyviz-capture";

/// The whole file: an envelope around one or more captures (each a JSON object in the shape
/// serde derives for [`Capture`], except `ast`, see [`ast_to_json`]).
#[derive(Debug, Serialize, Deserialize)]
struct CaptureFile {
    /// Always [`MAGIC`].
    kind: String,
    /// [`CAPTURE_FORMAT`] when written.
    format: u32,
    /// The cpyviz that wrote the file (informational).
    generator: String,
    captures: Vec<serde_json::Value>,
}

/// The JSON text of a capture file holding `captures`.
pub fn to_json(captures: &[Capture]) -> String {
    let file = CaptureFile {
        kind: MAGIC.to_string(),
        format: CAPTURE_FORMAT,
        generator: format!("cpyviz {}", env!("CARGO_PKG_VERSION")),
        captures: captures.iter().map(capture_to_json).collect(),
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
    file.captures
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            capture_from_json(v)
                .map_err(|e| format!("cpyviz: {name}: malformed capture #{}: {e}", i + 1))
        })
        .collect()
}

/// Writes a capture file.
pub fn write(path: &Path, captures: &[Capture]) -> Result<(), String> {
    std::fs::write(path, to_json(captures))
        .map_err(|e| format!("cpyviz: can't write '{}': {e}", path.display()))
}

/// Reads a capture file.
pub fn read(path: &Path) -> Result<Vec<Capture>, String> {
    let bytes = crate::read_file(path)?;
    let text = String::from_utf8(bytes).map_err(|_| {
        format!(
            "cpyviz: {} is not a capture file (not UTF-8)",
            path.display()
        )
    })?;
    from_json(&path.display().to_string(), &text)
}

fn capture_to_json(c: &Capture) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
    if let (Ok(ast), Some(obj)) = (c.ast(), v.as_object_mut()) {
        obj.insert("ast".into(), json!({ "Ok": ast_to_json(ast) }));
    }
    v
}

fn capture_from_json(mut v: Value) -> Result<Capture, String> {
    let obj = v.as_object_mut().ok_or("not an object")?;
    let ast = match obj.get("ast").and_then(|a| a.get("Ok")) {
        Some(node) => {
            let node = ast_from_json(node)?;
            // A placeholder the derived deserializer accepts; replaced below.
            let placeholder = PyError::new(PyErrorKind::Unsupported, "", "");
            obj.insert(
                "ast".into(),
                json!({ "Err": serde_json::to_value(placeholder).map_err(|e| e.to_string())? }),
            );
            Some(node)
        }
        None => None,
    };
    let read: Capture = serde_json::from_value(v).map_err(|e| e.to_string())?;
    let mut source = read.source.clone();
    source.reindex();
    let mut capture = Capture::complete(
        read.engine.clone(),
        read.version,
        source,
        read.tokens().clone(),
        (
            ast.map_or_else(|| read.ast().clone(), Ok),
            read.parse_warnings().to_vec(),
        ),
        (read.bytecode().cloned(), read.compile_warnings().to_vec()),
        read.later.clone(),
    );
    capture.format = read.format;
    crate::machine::annotate_capture(&mut capture);
    crate::jit::attach(&mut capture);
    Ok(capture)
}

/// The AST in a capture file: `{"kind", "fields": [[name, value]…], "span"}` with values
/// `null`, `{"node"}`, `{"list"}`, `{"str"}`, `{"int"}` or `{"const"}`. Floats are written as
/// strings (`"1e300"`, `"inf"`) because JSON numbers cannot hold infinities.
fn ast_to_json(node: &AstNode) -> Value {
    json!({
        "kind": node.kind,
        "fields": node
            .all_fields()
            .filter(|(_, v)| !matches!(v, AstValue::None))
            .map(|(f, v)| json!([f.name, ast_value_to_json(v)]))
            .collect::<Vec<_>>(),
        "span": node.span,
    })
}

fn ast_value_to_json(v: &AstValue) -> Value {
    match v {
        AstValue::None => Value::Null,
        AstValue::Node(n) => json!({ "node": ast_to_json(n) }),
        AstValue::List(items) => {
            json!({ "list": items.iter().map(ast_value_to_json).collect::<Vec<_>>() })
        }
        AstValue::Str(s) => json!({ "str": s }),
        AstValue::Int(i) => json!({ "int": i }),
        AstValue::Const(c) => json!({ "const": match c {
            Constant::None => json!("None"),
            Constant::Bool(b) => json!({ "Bool": b }),
            Constant::Ellipsis => json!("Ellipsis"),
            Constant::Int(s) => json!({ "Int": s }),
            Constant::Float(f) => json!({ "Float": format!("{f:?}") }),
            Constant::Complex { real, imag } => {
                json!({ "Complex": [format!("{real:?}"), format!("{imag:?}")] })
            }
            Constant::Str(s) => json!({ "Str": s }),
            Constant::Bytes(b) => json!({ "Bytes": b }),
        }}),
    }
}

fn ast_from_json(v: &Value) -> Result<AstNode, String> {
    let kind = v["kind"].as_str().ok_or("AST node without a kind")?;
    let fields = v["fields"]
        .as_array()
        .ok_or("AST node without fields")?
        .iter()
        .map(|f| {
            let name = f[0].as_str().ok_or("AST field without a name")?;
            Ok((name.to_string(), ast_value_from_json(&f[1])?))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let span = serde_json::from_value(v["span"].clone()).map_err(|e| e.to_string())?;
    AstNode::from_named_fields(kind, span, fields)
}

fn ast_value_from_json(v: &Value) -> Result<AstValue, String> {
    if v.is_null() {
        return Ok(AstValue::None);
    }
    if let Some(n) = v.get("node") {
        return Ok(AstValue::Node(Box::new(ast_from_json(n)?)));
    }
    if let Some(items) = v.get("list").and_then(Value::as_array) {
        return items
            .iter()
            .map(ast_value_from_json)
            .collect::<Result<_, _>>()
            .map(AstValue::List);
    }
    if let Some(s) = v.get("str").and_then(Value::as_str) {
        return Ok(AstValue::Str(s.to_string()));
    }
    if let Some(i) = v.get("int").and_then(Value::as_i64) {
        return Ok(AstValue::Int(i));
    }
    let c = v
        .get("const")
        .ok_or_else(|| format!("unknown AST value {v}"))?;
    let float = |x: &Value| -> Result<f64, String> {
        x.as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("bad float {x}"))
    };
    let constant = match c {
        Value::String(s) if s == "None" => Constant::None,
        Value::String(s) if s == "Ellipsis" => Constant::Ellipsis,
        _ if c.get("Float").is_some() => Constant::Float(float(&c["Float"])?),
        _ if c.get("Complex").is_some() => Constant::Complex {
            real: float(&c["Complex"][0])?,
            imag: float(&c["Complex"][1])?,
        },
        _ => serde_json::from_value(c.clone()).map_err(|e| e.to_string())?,
    };
    Ok(AstValue::Const(constant))
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpyviz_model::capture::Engine;
    use cpyviz_model::source::{Source, Span};
    use cpyviz_model::version::PyVersion;

    fn capture_with_float(f: f64) -> Capture {
        let node = cpyviz_model::ast::make::constant(
            Some(Span::new(0, 5)),
            AstValue::Const(Constant::Float(f)),
            AstValue::None,
        );
        Capture::complete(
            Engine::Builtin,
            PyVersion::V3_15,
            Source::from_text("t.py", "1e999\n"),
            Ok(vec![]),
            (Ok(node), Vec::new()),
            (None, Vec::new()),
            Default::default(),
        )
    }

    #[test]
    fn infinite_floats_survive_a_round_trip() {
        for f in [f64::INFINITY, f64::NEG_INFINITY, 1e300, 0.1, -0.0] {
            let c = capture_with_float(f);
            let back = from_json("t", &to_json(std::slice::from_ref(&c))).unwrap();
            assert_eq!(back, vec![c]);
        }
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        let newer = to_json(&[capture_with_float(1.0)]).replacen(
            &format!("\"format\": {CAPTURE_FORMAT}"),
            &format!("\"format\": {}", CAPTURE_FORMAT + 1),
            1,
        );
        assert!(from_json("x", &newer)
            .unwrap_err()
            .contains("upgrade cpyviz"));
        assert!(from_json("x", "[1, 2").unwrap_err().contains("not JSON"));
        assert!(from_json("x", "{}")
            .unwrap_err()
            .contains("not a cpyviz capture"));
        let empty =
            "{\"kind\": \"cpyviz-capture\", \"format\": 1, \"generator\": \"\", \"captures\": []}";
        assert!(from_json("x", empty).unwrap_err().contains("no capture"));
        let broken = "{\"kind\": \"cpyviz-capture\", \"format\": 1, \"generator\": \"\", \"captures\": [{\"ast\": 3}]}";
        assert!(from_json("x", broken).unwrap_err().contains("malformed"));
    }
}

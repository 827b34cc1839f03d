//! `ast.dump(tree, indent=3)` as `python -m ast` prints it.

use super::{AstNode, AstValue, Constant};
use crate::pyrepr::{bytes_repr, complex_repr, float_repr, str_repr};
use crate::version::PyVersion;

const INDENT: &str = "   ";

pub fn dump(node: &AstNode, version: PyVersion) -> String {
    let omit_load = version.profile().ast_dump_omits_default_ctx;
    let mut out = format_node(node, 0, omit_load).0;
    out.push('\n');
    out
}

/// `repr()` of a constant value.
pub fn constant_repr(c: &Constant) -> String {
    match c {
        Constant::None => "None".to_string(),
        Constant::Bool(true) => "True".to_string(),
        Constant::Bool(false) => "False".to_string(),
        Constant::Ellipsis => "Ellipsis".to_string(),
        Constant::Int(digits) => digits.clone(),
        Constant::Float(f) => float_repr(*f),
        Constant::Complex { real, imag } => complex_repr(*real, *imag),
        Constant::Str(s) => str_repr(s),
        Constant::Bytes(b) => bytes_repr(b),
    }
}

/// Whether `ast.dump` leaves the field out (None, `[]`, and in 3.15 `ctx=Load()`).
fn omitted(name: &str, value: &AstValue, omit_load: bool) -> bool {
    match value {
        AstValue::None => true,
        AstValue::List(items) => items.is_empty(),
        AstValue::Node(n) => omit_load && name == "ctx" && n.kind == "Load",
        _ => false,
    }
}

fn format_node(node: &AstNode, level: usize, omit_load: bool) -> (String, bool) {
    let level = level + 1;
    let mut args = Vec::new();
    let mut allsimple = true;
    for (name, value) in &node.fields {
        if omitted(name, value, omit_load) {
            continue;
        }
        let (text, simple) = format_value(value, level, omit_load);
        allsimple &= simple;
        args.push(format!("{name}={text}"));
    }
    if allsimple && args.len() <= 3 {
        let empty = args.is_empty();
        return (format!("{}({})", node.kind, args.join(", ")), empty);
    }
    let pad = INDENT.repeat(level);
    (
        format!("{}(\n{pad}{})", node.kind, args.join(&format!(",\n{pad}"))),
        false,
    )
}

fn format_value(value: &AstValue, level: usize, omit_load: bool) -> (String, bool) {
    match value {
        AstValue::Node(n) => format_node(n, level, omit_load),
        AstValue::List(items) => {
            if items.is_empty() {
                return ("[]".to_string(), true);
            }
            let level = level + 1;
            let pad = INDENT.repeat(level);
            let parts: Vec<String> = items
                .iter()
                .map(|x| format_value(x, level, omit_load).0)
                .collect();
            (
                format!("[\n{pad}{}]", parts.join(&format!(",\n{pad}"))),
                false,
            )
        }
        AstValue::Str(s) => (str_repr(s), true),
        AstValue::Int(i) => (i.to_string(), true),
        AstValue::Const(c) => (constant_repr(c), true),
        AstValue::None => ("None".to_string(), true),
    }
}

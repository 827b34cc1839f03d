//! `ast.dump(tree, indent=3)` as `python -m ast` prints it.

use super::{AstNode, AstValue, Constant};
use crate::pyrepr::{bytes_repr, complex_repr, float_repr, str_repr};
use crate::source::Source;
use crate::version::PyVersion;

const INDENT: &str = "   ";

pub fn dump(node: &AstNode, version: PyVersion) -> String {
    let cx = Cx {
        omit_load: version.profile().ast_dump_omits_default_ctx,
        src: None,
    };
    let mut out = String::new();
    write_node(&mut out, node, 0, &cx);
    out.push('\n');
    out
}

/// `python -m ast -a FILE`: the dump with each node's `lineno`, `col_offset`, `end_lineno`
/// and `end_col_offset` (from its span; columns in UTF-8 bytes, as CPython counts them).
pub fn dump_with_positions(node: &AstNode, src: &Source, version: PyVersion) -> String {
    let cx = Cx {
        omit_load: version.profile().ast_dump_omits_default_ctx,
        src: Some(src),
    };
    let mut out = String::new();
    write_node(&mut out, node, 0, &cx);
    out.push('\n');
    out
}

struct Cx<'a> {
    omit_load: bool,
    src: Option<&'a Source>,
}

/// How deep `ast.dump`'s recursive `_format` goes for `root` (one level per node, list and
/// scalar on the deepest path), computed without recursion.
pub fn format_depth(root: &AstNode) -> usize {
    let mut max = 0;
    let mut stack: Vec<(&AstValue, usize)> = Vec::new();
    max = max.max(1);
    for (_, v) in &root.fields {
        stack.push((v, 2));
    }
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        match v {
            AstValue::Node(n) => {
                for (_, f) in &n.fields {
                    stack.push((f, d + 1));
                }
            }
            AstValue::List(items) => {
                for it in items {
                    stack.push((it, d + 1));
                }
            }
            _ => {}
        }
    }
    max
}

/// `_format` depths from this one on make CPython's `ast.dump` raise `RecursionError` (the
/// default recursion limit, 1000, less the frames `python -m ast` already uses).
pub const RECURSION_LIMIT_DEPTH: usize = 995;

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

/// Whether `_format` calls a value "simple": a scalar, `[]`, or a node that prints no fields.
fn is_simple(value: &AstValue, omit_load: bool) -> bool {
    match value {
        AstValue::Node(n) => n.fields.iter().all(|(name, v)| omitted(name, v, omit_load)),
        AstValue::List(items) => items.is_empty(),
        _ => true,
    }
}

/// Writes `node` as `_format(node, level)` returns it (`level` is the caller's level).
fn write_node(out: &mut String, node: &AstNode, level: usize, cx: &Cx) {
    let omit_load = cx.omit_load;
    let level = level + 1;
    let mut shown: Vec<(&str, &AstValue)> = node
        .fields
        .iter()
        .filter(|(name, v)| !omitted(name, v, omit_load))
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let attrs: Vec<(&str, AstValue)> = match (cx.src, node.span) {
        (Some(src), Some(span)) => {
            let (l, c) = src.line_col((span.start as usize).min(src.text.len()));
            let (el, ec) = src.line_col((span.end as usize).min(src.text.len()));
            vec![
                ("lineno", AstValue::Int(l as i64)),
                ("col_offset", AstValue::Int(c as i64)),
                ("end_lineno", AstValue::Int(el as i64)),
                ("end_col_offset", AstValue::Int(ec as i64)),
            ]
        }
        _ => Vec::new(),
    };
    shown.extend(attrs.iter().map(|(k, v)| (*k, v)));
    let one_line = shown.len() <= 3 && shown.iter().all(|(_, v)| is_simple(v, omit_load));
    out.push_str(&node.kind);
    out.push('(');
    for (i, (name, value)) in shown.iter().enumerate() {
        if one_line {
            if i > 0 {
                out.push_str(", ");
            }
        } else {
            out.push_str(if i > 0 { ",\n" } else { "\n" });
            push_indent(out, level);
        }
        out.push_str(name);
        out.push('=');
        write_value(out, value, level, cx);
    }
    out.push(')');
}

fn push_indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str(INDENT);
    }
}

fn write_value(out: &mut String, value: &AstValue, level: usize, cx: &Cx) {
    match value {
        AstValue::Node(n) => write_node(out, n, level, cx),
        AstValue::List(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            let level = level + 1;
            out.push('[');
            for (i, it) in items.iter().enumerate() {
                out.push_str(if i > 0 { ",\n" } else { "\n" });
                push_indent(out, level);
                write_value(out, it, level, cx);
            }
            out.push(']');
        }
        AstValue::Str(s) => out.push_str(&str_repr(s)),
        AstValue::Int(i) => out.push_str(&i.to_string()),
        AstValue::Const(c) => out.push_str(&constant_repr(c)),
        AstValue::None => out.push_str("None"),
    }
}

//! `ast.dump(tree, indent=3)` as `python -m ast` prints it.

use super::{AstNode, AstValue, Category, Constant, Field, FieldType, NodeKind};
use cpyviz_model::pyrepr::{bytes_repr, complex_repr, float_repr, pystr_repr, str_repr};
use cpyviz_model::source::Source;
use cpyviz_model::version::PyVersion;

/// How `ast.dump` lays a tree out: `python -m ast`'s `-i`, `-a` and `--show-empty`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DumpLayout {
    /// The indentation of one level (`None`: everything on one line).
    pub indent: Option<String>,
    /// `-a`: each node's `lineno`, `col_offset`, `end_lineno`, `end_col_offset`.
    pub include_attributes: bool,
    /// `--show-empty`: empty lists (and in 3.15 `ctx=Load()`) are printed too.
    pub show_empty: bool,
}

impl Default for DumpLayout {
    /// `python -m ast FILE`: three spaces per level.
    fn default() -> DumpLayout {
        DumpLayout {
            indent: Some("   ".into()),
            include_attributes: false,
            show_empty: false,
        }
    }
}

/// `python -m ast FILE`.
pub fn dump(node: &AstNode, version: PyVersion) -> String {
    let cx = Cx {
        version,
        omit_load: version.profile().ast_dump_omits_default_ctx,
        src: None,
        layout: &DumpLayout::default(),
    };
    let mut out = String::new();
    write_node(&mut out, node, 0, &cx);
    out.push('\n');
    out
}

/// `python -m ast -a FILE`: the dump with each node's `lineno`, `col_offset`, `end_lineno`
/// and `end_col_offset` (from its span; columns in UTF-8 bytes, as CPython counts them).
pub fn dump_with_positions(node: &AstNode, src: &Source, version: PyVersion) -> String {
    let layout = DumpLayout {
        include_attributes: true,
        ..DumpLayout::default()
    };
    dump_with(node, src, version, &layout)
}

/// `ast.dump(tree, include_attributes, indent, show_empty)` as `python -m ast` prints it.
pub fn dump_with(node: &AstNode, src: &Source, version: PyVersion, layout: &DumpLayout) -> String {
    let cx = Cx {
        version,
        omit_load: version.profile().ast_dump_omits_default_ctx && !layout.show_empty,
        src: layout.include_attributes.then_some(src),
        layout,
    };
    let mut out = String::new();
    write_node(&mut out, node, 0, &cx);
    out.push('\n');
    out
}

struct Cx<'a> {
    version: PyVersion,
    omit_load: bool,
    src: Option<&'a Source>,
    layout: &'a DumpLayout,
}

impl Cx<'_> {
    /// The minor version whose `_fields` the dump prints.
    fn minor(&self) -> u8 {
        self.version.profile().version_info.1 as u8
    }
}

/// How deep `ast.dump`'s recursive `_format` goes for `root` (one level per node, list and
/// scalar on the deepest path), computed without recursion.
pub fn format_depth(root: &AstNode) -> usize {
    let mut max = 0;
    let mut stack: Vec<(&AstValue, usize)> = Vec::new();
    max = max.max(1);
    for v in &root.fields {
        stack.push((v, 2));
    }
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        match v {
            AstValue::Node(n) => {
                for f in &n.fields {
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

/// `repr()` of a constant value, as CPython `version` prints it.
pub fn constant_repr(c: &Constant, version: PyVersion) -> String {
    match c {
        Constant::None => "None".to_string(),
        Constant::Bool(true) => "True".to_string(),
        Constant::Bool(false) => "False".to_string(),
        Constant::Ellipsis => "Ellipsis".to_string(),
        Constant::Int(digits) => digits.clone(),
        Constant::Float(f) => float_repr(*f),
        Constant::Complex { real, imag } => complex_repr(*real, *imag),
        Constant::Str(s) => pystr_repr(s, version),
        Constant::Bytes(b) => bytes_repr(b),
    }
}

/// Whether `ast.dump` leaves the field out: an optional field that is `None`, an empty list
/// (unless `--show-empty`), and in 3.15 `ctx=Load()` (unless `--show-empty`).
fn omitted(field: &Field, value: &AstValue, cx: &Cx) -> bool {
    match value {
        AstValue::None => true,
        AstValue::List(items) => items.is_empty() && !cx.layout.show_empty,
        AstValue::Node(n) => {
            cx.omit_load
                && field.ty == FieldType::Node(Category::ExprContext)
                && n.kind == NodeKind::Load
        }
        _ => false,
    }
}

/// The `lineno`, `col_offset`, `end_lineno`, `end_col_offset` of a node, when `-a` asks for them.
fn attributes(node: &AstNode, cx: &Cx) -> Vec<(&'static str, AstValue)> {
    if let (Some(_), Some([l, c, el, ec])) = (cx.src, node.pos) {
        return vec![
            ("lineno", AstValue::Int(l)),
            ("col_offset", AstValue::Int(c)),
            ("end_lineno", AstValue::Int(el)),
            ("end_col_offset", AstValue::Int(ec)),
        ];
    }
    match (cx.src, node.span) {
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
    }
}

/// Whether `_format` calls a value "simple": a scalar, `[]`, or a node that prints nothing
/// between its parentheses.
fn is_simple(value: &AstValue, cx: &Cx) -> bool {
    match value {
        AstValue::Node(n) => {
            n.named_fields(cx.minor()).all(|(f, v)| omitted(f, v, cx))
                && attributes(n, cx).is_empty()
        }
        AstValue::List(items) => items.is_empty(),
        _ => true,
    }
}

/// Writes `node` as `_format(node, level)` returns it (`level` is the caller's level).
fn write_node(out: &mut String, node: &AstNode, level: usize, cx: &Cx) {
    let level = level + 1;
    let mut shown: Vec<(&str, &AstValue)> = node
        .named_fields(cx.minor())
        .filter(|(f, v)| !omitted(f, v, cx))
        .map(|(f, v)| (f.name, v))
        .collect();
    let attrs = attributes(node, cx);
    shown.extend(attrs.iter().map(|(k, v)| (*k, v)));
    let one_line = shown.len() <= 3 && shown.iter().all(|(_, v)| is_simple(v, cx));
    out.push_str(node.kind.name());
    out.push('(');
    for (i, (name, value)) in shown.iter().enumerate() {
        separator(out, i, level, one_line, cx);
        out.push_str(name);
        out.push('=');
        write_value(out, value, level, cx);
    }
    out.push(')');
}

/// What `_format` puts before item `i` of a node or list: `prefix` before the first and `sep`
/// between items when indenting, `, ` between items on one line.
fn separator(out: &mut String, i: usize, level: usize, one_line: bool, cx: &Cx) {
    match &cx.layout.indent {
        Some(indent) if !one_line => {
            out.push_str(if i > 0 { ",\n" } else { "\n" });
            for _ in 0..level {
                out.push_str(indent);
            }
        }
        _ => {
            if i > 0 {
                out.push_str(", ");
            }
        }
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
                separator(out, i, level, false, cx);
                write_value(out, it, level, cx);
            }
            out.push(']');
        }
        AstValue::Str(s) => out.push_str(&str_repr(s, cx.version)),
        AstValue::Int(i) => out.push_str(&i.to_string()),
        AstValue::Const(c) => out.push_str(&constant_repr(c, cx.version)),
        AstValue::None => out.push_str("None"),
    }
}

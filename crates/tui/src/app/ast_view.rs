//! The AST as a foldable list of rows: one row per node that has a position (statements,
//! expressions, arguments, …); nodes without one (`Load()`, `Add()`) and scalar fields are shown
//! inline on their parent's row.

use cpyviz_model::ast::{AstNode, AstValue, Constant, NodeKind};
use cpyviz_model::pyrepr::{pystr_repr, str_repr};
use cpyviz_model::source::Span;
use cpyviz_model::version::PyVersion;
use std::collections::HashSet;

/// One visible row of the tree.
#[derive(Clone, Debug, PartialEq)]
pub struct AstRow {
    pub depth: usize,
    /// The field this node sits in on its parent (`body[0]`, `test`, …); empty for the root.
    pub field: String,
    pub kind: NodeKind,
    /// Scalar fields and position-less child nodes, in CPython's field order.
    pub detail: String,
    pub span: Option<Span>,
    /// The path of child indices from the root: a stable identity for folding.
    pub path: Vec<u32>,
    pub has_children: bool,
    pub folded: bool,
}

/// Flattens `root` into visible rows, skipping the children of folded nodes.
pub fn rows(root: &AstNode, folded: &HashSet<Vec<u32>>, version: PyVersion) -> Vec<AstRow> {
    let mut out = Vec::new();
    let mut stack: Vec<(&AstNode, String, usize, Vec<u32>)> =
        vec![(root, String::new(), 0, Vec::new())];
    while let Some((node, field, depth, path)) = stack.pop() {
        let children = child_nodes(node, version);
        let is_folded = folded.contains(&path);
        out.push(AstRow {
            depth,
            field,
            kind: node.kind,
            detail: inline_detail(node, version),
            span: node.span,
            has_children: !children.is_empty(),
            folded: is_folded && !children.is_empty(),
            path: path.clone(),
        });
        if !is_folded {
            for (i, (label, child)) in children.into_iter().enumerate().rev() {
                let mut p = path.clone();
                p.push(i as u32);
                stack.push((child, label, depth + 1, p));
            }
        }
    }
    out
}

/// The node a path leads to.
pub fn node_at<'a>(root: &'a AstNode, path: &[u32], version: PyVersion) -> Option<&'a AstNode> {
    let mut node = root;
    for &i in path {
        node = child_nodes(node, version).into_iter().nth(i as usize)?.1;
    }
    Some(node)
}

/// Whether a node gets a row of its own (it has a source position).
fn is_row_node(node: &AstNode) -> bool {
    node.span.is_some() || !node.fields.is_empty()
}

/// The children that get rows, labelled with their field (and index in a list).
fn child_nodes(node: &AstNode, version: PyVersion) -> Vec<(String, &AstNode)> {
    let mut out = Vec::new();
    for (field, value) in node.named_fields(minor(version)) {
        let name = field.name;
        match value {
            AstValue::Node(n) if is_row_node(n) => out.push((name.to_string(), n.as_ref())),
            AstValue::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if let AstValue::Node(n) = item {
                        if is_row_node(n) {
                            out.push((format!("{name}[{i}]"), n.as_ref()));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn inline_detail(node: &AstNode, version: PyVersion) -> String {
    let mut parts = Vec::new();
    for (field, value) in node.named_fields(minor(version)) {
        let name = field.name;
        let text = match value {
            AstValue::Node(n) if !is_row_node(n) => Some(n.kind.name().to_string()),
            AstValue::Node(_) | AstValue::None => None,
            AstValue::List(items) => {
                let scalars: Vec<String> = items
                    .iter()
                    .filter_map(|v| match v {
                        AstValue::Node(n) if !is_row_node(n) => Some(n.kind.name().to_string()),
                        AstValue::Node(_) => None,
                        other => scalar_text(other, version),
                    })
                    .collect();
                (!scalars.is_empty()).then(|| format!("[{}]", scalars.join(", ")))
            }
            other => scalar_text(other, version),
        };
        if let Some(text) = text {
            parts.push(format!("{name}={text}"));
        }
    }
    parts.join(" ")
}

/// The minor version whose `_fields` the tree shows.
fn minor(version: PyVersion) -> u8 {
    version.profile().version_info.1 as u8
}

fn scalar_text(value: &AstValue, version: PyVersion) -> Option<String> {
    Some(match value {
        AstValue::Str(s) => str_repr(s, version),
        AstValue::Int(i) => i.to_string(),
        AstValue::Const(c) => constant_text(c, version),
        _ => return None,
    })
}

/// A short rendering of a constant for the tree (full reprs are in the dump).
pub fn constant_text(c: &Constant, version: PyVersion) -> String {
    match c {
        Constant::None => "None".into(),
        Constant::Bool(true) => "True".into(),
        Constant::Bool(false) => "False".into(),
        Constant::Ellipsis => "Ellipsis".into(),
        Constant::Int(s) => s.clone(),
        Constant::Float(f) => format!("{f:?}"),
        Constant::Complex { imag, .. } => format!("{imag:?}j"),
        Constant::Str(s) => {
            let r = pystr_repr(s, version);
            if r.chars().count() > 40 {
                format!("{}…", r.chars().take(39).collect::<String>())
            } else {
                r
            }
        }
        Constant::Bytes(b) => format!("b<{} bytes>", b.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpyviz_model::ast::make;

    fn sp(a: usize, b: usize) -> Option<Span> {
        Some(Span::new(a, b))
    }

    fn v(n: AstNode) -> AstValue {
        AstValue::Node(Box::new(n))
    }

    fn sample() -> AstNode {
        // x = a + 1
        let name_a = make::name(sp(4, 5), AstValue::Str("a".into()), v(make::load()));
        let one = make::constant(
            sp(8, 9),
            AstValue::Const(Constant::Int("1".into())),
            AstValue::None,
        );
        let binop = make::bin_op(sp(4, 9), v(name_a), v(make::add()), v(one));
        let target = make::name(sp(0, 1), AstValue::Str("x".into()), v(make::store()));
        let assign = make::assign(
            sp(0, 9),
            AstValue::List(vec![v(target)]),
            v(binop),
            AstValue::None,
        );
        make::module(
            None,
            AstValue::List(vec![v(assign)]),
            AstValue::List(vec![]),
        )
    }

    #[test]
    fn rows_inline_position_less_nodes_and_fold() {
        let root = sample();
        let all = rows(&root, &HashSet::new(), PyVersion::V3_14);
        let shown: Vec<_> = all
            .iter()
            .map(|r| format!("{}{} {} {}", " ".repeat(r.depth), r.field, r.kind, r.detail))
            .collect();
        assert_eq!(
            shown,
            vec![
                " Module ",
                " body[0] Assign ",
                "  targets[0] Name id='x' ctx=Store",
                "  value BinOp op=Add",
                "   left Name id='a' ctx=Load",
                "   right Constant value=1",
            ]
        );
        let folded: HashSet<Vec<u32>> = [vec![0, 1]].into_iter().collect();
        let some = rows(&root, &folded, PyVersion::V3_14);
        assert_eq!(some.len(), 4);
        assert!(some[3].folded);
        assert_eq!(
            node_at(&root, &[0, 1, 1], PyVersion::V3_14).unwrap().kind,
            NodeKind::Constant
        );
    }
}

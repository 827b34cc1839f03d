//! Checks CPython's grammar makes that rustpython-parser 0.4 does not: assignment, deletion and
//! augmented-assignment targets. Returns CPython's message and the offending node's span.

use super::{AstNode, AstValue, Constant, NodeKind};
use cpyviz_model::source::Span;

/// What `_PyPegen_get_expr_name` calls an expression in messages.
fn expr_name(n: &AstNode) -> &'static str {
    match n.kind.name() {
        "Attribute" => "attribute",
        "Subscript" => "subscript",
        "Starred" => "starred",
        "Name" => "name",
        "List" => "list",
        "Tuple" => "tuple",
        "Lambda" => "lambda",
        "Call" => "function call",
        "BoolOp" | "BinOp" | "UnaryOp" => "expression",
        "GeneratorExp" => "generator expression",
        "Yield" | "YieldFrom" => "yield expression",
        "Await" => "await expression",
        "ListComp" => "list comprehension",
        "SetComp" => "set comprehension",
        "DictComp" => "dict comprehension",
        "Dict" => "dict literal",
        "Set" => "set display",
        "JoinedStr" | "FormattedValue" => "f-string expression",
        "Compare" => "comparison",
        "IfExp" => "conditional expression",
        "NamedExpr" => "named expression",
        "Constant" => match field(n, "value") {
            Some(AstValue::Const(Constant::None)) => "None",
            Some(AstValue::Const(Constant::Bool(true))) => "True",
            Some(AstValue::Const(Constant::Bool(false))) => "False",
            Some(AstValue::Const(Constant::Ellipsis)) => "ellipsis",
            _ => "literal",
        },
        _ => "expression",
    }
}

fn field<'a>(n: &'a AstNode, name: &str) -> Option<&'a AstValue> {
    n.field(name)
}

fn node_field<'a>(n: &'a AstNode, name: &str) -> Option<&'a AstNode> {
    match field(n, name) {
        Some(AstValue::Node(x)) => Some(x),
        _ => None,
    }
}

fn list_nodes<'a>(n: &'a AstNode, name: &str) -> Vec<&'a AstNode> {
    match field(n, name) {
        Some(AstValue::List(items)) => items
            .iter()
            .filter_map(|v| match v {
                AstValue::Node(x) => Some(&**x),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The first sub-expression of an assignment target that cannot be assigned to.
fn invalid_store(t: &AstNode) -> Option<&AstNode> {
    match t.kind.name() {
        "Name" | "Attribute" | "Subscript" => None,
        "Starred" => node_field(t, "value").and_then(invalid_store),
        "List" | "Tuple" => list_nodes(t, "elts").into_iter().find_map(invalid_store),
        _ => Some(t),
    }
}

fn invalid_del(t: &AstNode) -> Option<&AstNode> {
    match t.kind.name() {
        "Name" | "Attribute" | "Subscript" => None,
        "List" | "Tuple" => list_nodes(t, "elts").into_iter().find_map(invalid_del),
        _ => Some(t),
    }
}

#[derive(Debug)]
pub struct Invalid {
    pub msg: String,
    pub span: Option<Span>,
}

fn bad(msg: String, n: &AstNode) -> Option<Invalid> {
    Some(Invalid { msg, span: n.span })
}

/// Walks the tree (explicit stack) and returns the first invalid target in source order.
pub fn validate(root: &AstNode) -> Option<Invalid> {
    let mut found: Vec<Invalid> = Vec::new();
    let mut stack: Vec<&AstNode> = vec![root];
    while let Some(n) = stack.pop() {
        if let Some(e) = check(n) {
            found.push(e);
        }
        for v in &n.fields {
            push_value(v, &mut stack);
        }
    }
    found
        .into_iter()
        .min_by_key(|e| e.span.map_or(0, |s| s.start))
}

fn push_value<'a>(v: &'a AstValue, stack: &mut Vec<&'a AstNode>) {
    match v {
        AstValue::Node(x) => stack.push(x),
        AstValue::List(items) => {
            for it in items {
                match it {
                    AstValue::Node(x) => stack.push(x),
                    AstValue::List(_) => push_value(it, stack),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

fn check(n: &AstNode) -> Option<Invalid> {
    match n.kind.name() {
        "Assign" => {
            let targets = list_nodes(n, "targets");
            let last = targets.len().saturating_sub(1);
            for (i, t) in targets.iter().enumerate() {
                if let Some(e) = invalid_store(t) {
                    let top = std::ptr::eq(e, *t);
                    let name = expr_name(e);
                    let here = top
                        && i == last
                        && !matches!(name, "True" | "False" | "None")
                        && !matches!(
                            t.kind.name(),
                            "GeneratorExp"
                                | "Compare"
                                | "BoolOp"
                                | "IfExp"
                                | "Lambda"
                                | "NamedExpr"
                        )
                        && !(t.kind == NodeKind::UnaryOp
                            && matches!(node_field(t, "op"), Some(op) if op.kind == NodeKind::Not));
                    let msg = if here {
                        format!(
                            "cannot assign to {name} here. Maybe you meant '==' instead of '='?"
                        )
                    } else {
                        format!("cannot assign to {name}")
                    };
                    return bad(msg, e);
                }
            }
            None
        }
        "For" | "AsyncFor" | "comprehension" => {
            let t = node_field(n, "target")?;
            invalid_store(t).and_then(|e| bad(format!("cannot assign to {}", expr_name(e)), e))
        }
        "withitem" => {
            let t = node_field(n, "optional_vars")?;
            invalid_store(t).and_then(|e| bad(format!("cannot assign to {}", expr_name(e)), e))
        }
        "AugAssign" => {
            let t = node_field(n, "target")?;
            match t.kind.name() {
                "Name" | "Attribute" | "Subscript" => None,
                _ => bad(
                    format!(
                        "'{}' is an illegal expression for augmented assignment",
                        expr_name(t)
                    ),
                    t,
                ),
            }
        }
        "AnnAssign" => {
            let t = node_field(n, "target")?;
            match t.kind.name() {
                "Name" | "Attribute" | "Subscript" => None,
                "Tuple" => bad("only single target (not tuple) can be annotated".into(), t),
                "List" => bad("only single target (not list) can be annotated".into(), t),
                _ => bad("illegal target for annotation".into(), t),
            }
        }
        "Delete" => list_nodes(n, "targets")
            .into_iter()
            .find_map(invalid_del)
            .and_then(|e| bad(format!("cannot delete {}", expr_name(e)), e)),
        "NamedExpr" => {
            let t = node_field(n, "target")?;
            if t.kind == NodeKind::Name {
                None
            } else {
                bad(
                    format!("cannot use assignment expressions with {}", expr_name(t)),
                    t,
                )
            }
        }
        _ => None,
    }
}

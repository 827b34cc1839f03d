//! Checks CPython's grammar makes that rustpython-parser 0.4 does not: assignment, deletion and
//! augmented-assignment targets. Returns CPython's message and the offending node's span.

use super::{
    AnnAssign, Assign, AstNode, AstValue, AsyncFor, AugAssign, Comprehension, Constant,
    ConstantExpr, Delete, Expr, For, NamedExpr, NodeKind, UnaryOp, UnaryOperator, WithItem,
};
use cpyviz_model::source::Span;

/// What `_PyPegen_get_expr_name` calls an expression in messages.
pub(super) fn expr_name(n: &AstNode) -> &'static str {
    match n.kind {
        NodeKind::Attribute => "attribute",
        NodeKind::Subscript => "subscript",
        NodeKind::Starred => "starred",
        NodeKind::Name => "name",
        NodeKind::List => "list",
        NodeKind::Tuple => "tuple",
        NodeKind::Lambda => "lambda",
        NodeKind::Call => "function call",
        NodeKind::BoolOp | NodeKind::BinOp | NodeKind::UnaryOp => "expression",
        NodeKind::GeneratorExp => "generator expression",
        NodeKind::Yield | NodeKind::YieldFrom => "yield expression",
        NodeKind::Await => "await expression",
        NodeKind::ListComp => "list comprehension",
        NodeKind::SetComp => "set comprehension",
        NodeKind::DictComp => "dict comprehension",
        NodeKind::Dict => "dict literal",
        NodeKind::Set => "set display",
        NodeKind::JoinedStr | NodeKind::FormattedValue => "f-string expression",
        NodeKind::Compare => "comparison",
        NodeKind::IfExp => "conditional expression",
        NodeKind::NamedExpr => "named expression",
        NodeKind::Constant => match ConstantExpr(n).value() {
            Constant::None => "None",
            Constant::Bool(true) => "True",
            Constant::Bool(false) => "False",
            Constant::Ellipsis => "ellipsis",
            _ => "literal",
        },
        _ => "expression",
    }
}

/// The first sub-expression of an assignment target that cannot be assigned to.
fn invalid_store(t: &AstNode) -> Option<&AstNode> {
    match Expr::cast(t) {
        Some(Expr::Name(_) | Expr::Attribute(_) | Expr::Subscript(_)) => None,
        Some(Expr::Starred(s)) => invalid_store(s.value()),
        Some(Expr::List(l)) => l.elts().iter().find_map(invalid_store),
        Some(Expr::Tuple(x)) => x.elts().iter().find_map(invalid_store),
        _ => Some(t),
    }
}

fn invalid_del(t: &AstNode) -> Option<&AstNode> {
    match Expr::cast(t) {
        Some(Expr::Name(_) | Expr::Attribute(_) | Expr::Subscript(_)) => None,
        Some(Expr::List(l)) => l.elts().iter().find_map(invalid_del),
        Some(Expr::Tuple(x)) => x.elts().iter().find_map(invalid_del),
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
    let cannot_assign = |t: &AstNode| {
        invalid_store(t).and_then(|e| bad(format!("cannot assign to {}", expr_name(e)), e))
    };
    match n.kind {
        NodeKind::Assign => {
            let targets = Assign(n).targets();
            let last = targets.len().saturating_sub(1);
            for (i, t) in targets.iter().enumerate() {
                if let Some(e) = invalid_store(t) {
                    let top = std::ptr::eq(e, t);
                    let name = expr_name(e);
                    let here = top
                        && i == last
                        && !matches!(name, "True" | "False" | "None")
                        && !matches!(
                            t.kind,
                            NodeKind::GeneratorExp
                                | NodeKind::Compare
                                | NodeKind::BoolOp
                                | NodeKind::IfExp
                                | NodeKind::Lambda
                                | NodeKind::NamedExpr
                        )
                        && !UnaryOp::cast(t).is_some_and(|u| u.op() == UnaryOperator::Not);
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
        NodeKind::For => cannot_assign(For(n).target()),
        NodeKind::AsyncFor => cannot_assign(AsyncFor(n).target()),
        NodeKind::Comprehension => cannot_assign(Comprehension(n).target()),
        NodeKind::WithItem => cannot_assign(WithItem(n).optional_vars()?),
        NodeKind::AugAssign => {
            let t = AugAssign(n).target();
            match t.kind {
                NodeKind::Name | NodeKind::Attribute | NodeKind::Subscript => None,
                _ => bad(
                    format!(
                        "'{}' is an illegal expression for augmented assignment",
                        expr_name(t)
                    ),
                    t,
                ),
            }
        }
        NodeKind::AnnAssign => {
            let t = AnnAssign(n).target();
            match t.kind {
                NodeKind::Name | NodeKind::Attribute | NodeKind::Subscript => None,
                NodeKind::Tuple => bad("only single target (not tuple) can be annotated".into(), t),
                NodeKind::List => bad("only single target (not list) can be annotated".into(), t),
                _ => bad("illegal target for annotation".into(), t),
            }
        }
        NodeKind::Delete => Delete(n)
            .targets()
            .iter()
            .find_map(invalid_del)
            .and_then(|e| bad(format!("cannot delete {}", expr_name(e)), e)),
        NodeKind::NamedExpr => {
            let t = NamedExpr(n).target();
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

//! Tests of the generated typed AST layer (`generated.rs`, written by `scripts/gen-ast`).
//! Include from `ast.rs` with `#[cfg(test)] mod generated_tests;`.

use super::*;
use crate::source::Span;

fn node(n: AstNode) -> AstValue {
    AstValue::Node(Box::new(n))
}

fn s(text: &str) -> AstValue {
    AstValue::Str(text.to_string())
}

fn list(values: Vec<AstValue>) -> AstValue {
    AstValue::List(values)
}

fn sp(start: u32, end: u32) -> Option<Span> {
    Some(Span { start, end })
}

fn name(id: &str, ctx: AstNode) -> AstNode {
    make::name(None, s(id), node(ctx))
}

fn names(kind: NodeKind) -> Vec<&'static str> {
    kind.fields().iter().map(|f| f.name).collect()
}

#[test]
fn fields_are_cpython_3_15s() {
    // What `ast.X._fields` prints in 3.15.
    assert_eq!(names(NodeKind::BinOp), ["left", "op", "right"]);
    assert_eq!(
        names(NodeKind::FunctionDef),
        [
            "name",
            "args",
            "body",
            "decorator_list",
            "returns",
            "type_comment",
            "type_params"
        ]
    );
    assert_eq!(
        names(NodeKind::ImportFrom),
        ["module", "names", "level", "is_lazy"]
    );
    assert_eq!(
        names(NodeKind::Interpolation),
        ["value", "str", "conversion", "format_spec"]
    );
    assert_eq!(
        names(NodeKind::Arguments),
        [
            "posonlyargs",
            "args",
            "vararg",
            "kwonlyargs",
            "kw_defaults",
            "kwarg",
            "defaults"
        ]
    );
    assert_eq!(names(NodeKind::TypeVar), ["name", "bound", "default_value"]);
    assert!(NodeKind::Pass.fields().is_empty() && NodeKind::Add.fields().is_empty());
    assert_eq!(NodeKind::BinOp.field_index("right"), Some(2));
    assert_eq!(NodeKind::BinOp.field_index("nope"), None);

    let ty = |k: NodeKind, f: &str| k.fields()[k.field_index(f).unwrap()].ty;
    assert_eq!(
        ty(NodeKind::Dict, "keys"),
        FieldType::OptNodes(Category::Expr)
    );
    assert_eq!(
        ty(NodeKind::Arguments, "kw_defaults"),
        FieldType::OptNodes(Category::Expr)
    );
    assert_eq!(
        ty(NodeKind::Compare, "ops"),
        FieldType::Nodes(Category::CmpOp)
    );
    assert_eq!(ty(NodeKind::Constant, "value"), FieldType::Constant);
    assert_eq!(ty(NodeKind::Constant, "kind"), FieldType::OptStr);
    assert_eq!(ty(NodeKind::Global, "names"), FieldType::Identifiers);
    assert_eq!(
        ty(NodeKind::ExceptHandler, "name"),
        FieldType::OptIdentifier
    );
    assert_eq!(ty(NodeKind::TypeIgnore, "lineno"), FieldType::Int);
    assert_eq!(ty(NodeKind::TypeIgnore, "tag"), FieldType::Str);
    assert_eq!(ty(NodeKind::Interpolation, "str"), FieldType::Str);

    assert!(NodeKind::BinOp.has_position() && NodeKind::Keyword.has_position());
    assert!(!NodeKind::Load.has_position() && !NodeKind::Arguments.has_position());
    assert!(!NodeKind::TypeIgnore.has_position() && !NodeKind::Module.has_position());
    assert_eq!(NodeKind::Expr.category(), Category::Stmt);
    assert_eq!(NodeKind::Comprehension.category(), Category::Comprehension);
    assert_eq!(NodeKind::Comprehension.name(), "comprehension");
    assert_eq!(Category::ExprContext.name(), "expr_context");
}

#[test]
fn names_round_trip() {
    assert_eq!(NodeKind::ALL.len(), 113);
    for &k in NodeKind::ALL {
        assert_eq!(NodeKind::from_name(k.name()), Some(k), "{k:?}");
    }
    let mut seen = std::collections::HashSet::new();
    assert!(NodeKind::ALL.iter().all(|k| seen.insert(*k)));
    // Deprecated aliases and abstract categories are no node kinds.
    for n in [
        "Num",
        "Str",
        "Bytes",
        "NameConstant",
        "Ellipsis",
        "Index",
        "ExtSlice",
        "Suite",
    ] {
        assert_eq!(NodeKind::from_name(n), None, "{n}");
    }
    for n in [
        "AugLoad", "AugStore", "Param", "slice", "expr", "stmt", "AST", "binop",
    ] {
        assert_eq!(NodeKind::from_name(n), None, "{n}");
    }
}

#[test]
fn versions() {
    let field = |k: NodeKind, f: &str| k.fields()[k.field_index(f).unwrap()];
    let dv = field(NodeKind::TypeVar, "default_value");
    assert_eq!((dv.since, dv.until), (13, None));
    assert!(!dv.in_version(12) && dv.in_version(13) && dv.in_version(15));
    assert!(field(NodeKind::TypeVar, "bound").in_version(12));
    assert!(!field(NodeKind::ParamSpec, "default_value").in_version(12));
    assert!(!field(NodeKind::Import, "is_lazy").in_version(14));
    assert!(field(NodeKind::ImportFrom, "is_lazy").in_version(15));
    assert_eq!(
        field(NodeKind::DictComp, "value").ty,
        FieldType::OptNode(Category::Expr)
    );
    assert_eq!(NodeKind::TemplateStr.since(), 14);
    assert!(!NodeKind::Interpolation.in_version(13) && NodeKind::Interpolation.in_version(14));
    assert_eq!(NodeKind::BinOp.since(), 12);
    assert_eq!(NodeKind::BinOp.until(), None);
    let late: Vec<_> = NodeKind::ALL.iter().filter(|k| k.since() > 12).collect();
    assert_eq!(late, [&NodeKind::Interpolation, &NodeKind::TemplateStr]);
}

#[test]
fn bin_op_read_back() {
    let one = make::constant(
        sp(4, 5),
        AstValue::Const(Constant::Int("1".into())),
        AstValue::None,
    );
    let e = make::bin_op(
        sp(0, 5),
        node(name("x", make::load())),
        node(make::add()),
        node(one),
    );
    let b = BinOp::cast(&e).expect("a BinOp");
    assert_eq!(b.span(), sp(0, 5));
    assert!(std::ptr::eq(b.node(), &e));
    assert_eq!(b.op(), Operator::Add);
    let x = Name::cast(b.left()).unwrap();
    assert_eq!(x.id(), "x");
    assert_eq!(x.ctx(), ExprContext::Load);
    let c = ConstantExpr::cast(b.right()).unwrap();
    assert_eq!(c.value(), &Constant::Int("1".into()));
    assert_eq!(c.kind(), None);
    assert_eq!(c.span(), sp(4, 5));
    assert!(matches!(Expr::of(&e), Expr::BinOp(_)));
    assert!(matches!(e.as_expr(), Some(Expr::BinOp(v)) if std::ptr::eq(v.0, &e)));
    assert!(e.as_stmt().is_none() && Name::cast(&e).is_none());
    assert!(std::ptr::eq(Expr::of(&e).node(), &e));
    assert_eq!(make::add().kind, NodeKind::Add);
    assert_eq!(make::load().span, None);
}

#[test]
fn statements_and_lists() {
    let call = make::call(
        None,
        node(name("f", make::load())),
        list(vec![]),
        list(vec![]),
    );
    let st = make::expr(sp(0, 3), node(call));
    match Stmt::of(&st) {
        Stmt::Expr(v) => assert_eq!(v.value().kind, NodeKind::Call),
        other => panic!("{other:?}"),
    }
    let g = make::global(None, list(vec![s("a"), s("b")]));
    let n = Global(&g).names();
    assert_eq!(
        (n.len(), n.get(1), n.iter().collect::<Vec<_>>()),
        (2, Some("b"), vec!["a", "b"])
    );

    let cmp = make::compare(
        None,
        node(name("a", make::load())),
        list(vec![node(make::lt()), node(make::lt_e())]),
        list(vec![
            node(name("b", make::load())),
            node(name("c", make::load())),
        ]),
    );
    let c = Compare(&cmp);
    assert_eq!(c.ops().len(), 2);
    assert_eq!(
        c.ops().collect::<Vec<_>>(),
        [CmpOperator::Lt, CmpOperator::LtE]
    );
    assert_eq!(c.ops().next_back(), Some(CmpOperator::LtE));
    assert_eq!(c.comparators().iter().len(), 2);

    // {"a": 1, **d}: a None key.
    let d = make::dict(
        None,
        list(vec![node(name("a", make::load())), AstValue::None]),
        list(vec![
            node(name("b", make::load())),
            node(name("d", make::load())),
        ]),
    );
    let keys = Dict(&d).keys();
    assert_eq!(keys.len(), 2);
    assert_eq!(
        keys.iter().map(|k| k.is_some()).collect::<Vec<_>>(),
        [true, false]
    );
    assert_eq!(keys.get(1), Some(None));
    assert_eq!(keys.get(2), None);

    // Nodes skips None entries.
    let raw = [
        node(make::pass(None)),
        AstValue::None,
        node(make::break_(None)),
    ];
    let nodes = Nodes::new(&raw);
    assert_eq!((nodes.len(), nodes.iter().len()), (3, 2));
    assert!(nodes.get(1).is_none());
    assert_eq!(nodes.first().map(|n| n.kind), Some(NodeKind::Pass));
    assert_eq!(nodes.last().map(|n| n.kind), Some(NodeKind::Break));
    assert_eq!(
        nodes.iter().rev().map(|n| n.kind).collect::<Vec<_>>(),
        [NodeKind::Break, NodeKind::Pass]
    );
    assert_eq!(nodes.into_iter().count(), 2);
    assert!(Nodes::default().is_empty() && Nodes::default().first().is_none());

    let h = make::except_handler(None, AstValue::None, s("e"), list(vec![]));
    let h = ExceptHandler(&h);
    assert!(h.type_().is_none() && h.body().is_empty());
    assert_eq!(h.name(), Some("e"));
}

#[test]
fn named_fields_and_missing_storage() {
    // A 3.12 TypeVar built without the default_value slot.
    let tv = AstNode {
        kind: NodeKind::TypeVar,
        fields: vec![s("T"), AstValue::None],
        span: None,
        pos: None,
    };
    let fs = |n: &AstNode, v: u8| n.named_fields(v).map(|(f, _)| f.name).collect::<Vec<_>>();
    assert_eq!(fs(&tv, 12), ["name", "bound"]);
    assert_eq!(fs(&tv, 13), ["name", "bound"]); // the missing trailing slot is skipped
    assert_eq!(TypeVar(&tv).default_value(), None);
    assert_eq!(TypeVar(&tv).name(), "T");
    let tv13 = make::type_var(
        None,
        s("T"),
        AstValue::None,
        node(name("int", make::load())),
    );
    assert_eq!(fs(&tv13, 12), ["name", "bound"]);
    assert_eq!(fs(&tv13, 13), ["name", "bound", "default_value"]);
    assert_eq!(
        TypeVar(&tv13).default_value().map(|n| n.kind),
        Some(NodeKind::Name)
    );

    let imp = make::import(None, list(vec![]), AstValue::Int(1));
    assert_eq!(fs(&imp, 14), ["names"]);
    assert_eq!(fs(&imp, 15), ["names", "is_lazy"]);
    assert_eq!(Import(&imp).is_lazy(), Some(1));
    let old = AstNode {
        kind: NodeKind::Import,
        fields: vec![list(vec![])],
        span: None,
        pos: None,
    };
    assert_eq!(Import(&old).is_lazy(), None);
}

#[test]
fn nullary_enums() {
    for &k in NodeKind::ALL {
        if let Some(op) = Operator::from_kind(k) {
            assert_eq!(op.kind(), k);
            assert_eq!(k.category(), Category::Operator);
        }
        if let Some(c) = ExprContext::from_kind(k) {
            assert_eq!(c.kind(), k);
        }
        if let Some(c) = CmpOperator::from_kind(k) {
            assert_eq!(c.kind(), k);
        }
        if let Some(c) = BoolOperator::from_kind(k) {
            assert_eq!(c.kind(), k);
        }
        if let Some(c) = UnaryOperator::from_kind(k) {
            assert_eq!(c.kind(), k);
        }
    }
    assert_eq!(UnaryOperator::of(&make::u_sub()), UnaryOperator::USub);
    assert_eq!(BoolOperator::from_kind(NodeKind::BoolOp), None);
}

#[test]
#[should_panic(expected = "expected an `operator` node, found `Name`")]
fn nullary_of_panics_naming_the_kind() {
    Operator::of(&name("x", make::load()));
}

#[test]
#[should_panic(expected = "BinOp.left: expected a node, found an int")]
fn accessor_panics_naming_the_field() {
    let e = make::bin_op(None, AstValue::Int(1), node(make::add()), AstValue::None);
    BinOp(&e).left();
}

#[test]
#[should_panic(expected = "expected a `stmt` node, found `Name`")]
fn category_of_panics_naming_the_kind() {
    Stmt::of(&name("x", make::load()));
}

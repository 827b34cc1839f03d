//! The syntax tree's data: CPython's `ast` node shapes, as the front end builds them and a
//! capture stores them.

use crate::source::Span;
use serde::{Deserialize, Serialize};

mod generated;
#[cfg(test)]
mod generated_tests;

pub use generated::*;

/// A node of CPython's `ast` module: its class, its fields in the order of
/// [`NodeKind::fields`] (CPython's `_fields`, over every version the engines accept), and where
/// it stands in the source (absent for nodes without positions, such as `Load()`).
///
/// The storage is uniform, so one generic walk ([`AstNode::named_fields`]) serves the dumps
/// and the viewer; code that needs a particular field reads it through the generated typed
/// views ([`BinOp`], [`Expr`], …), which index the field by its position.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AstNode {
    pub kind: NodeKind,
    pub fields: Vec<AstValue>,
    pub span: Option<Span>,
    /// `lineno`, `col_offset`, `end_lineno`, `end_col_offset` when they are not those of a
    /// source span: the nodes the AST preprocessor makes (-1 for "no position", or a `Pass`
    /// four columns wide).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pos: Option<[i64; 4]>,
}

impl AstNode {
    /// A node of `kind` with every field `None` (or an empty list): for generated conversion
    /// code, which then fills the fields by position.
    pub fn empty(kind: NodeKind, span: Option<Span>) -> AstNode {
        let fields = kind
            .fields()
            .iter()
            .map(|f| match f.ty {
                FieldType::Nodes(_) | FieldType::OptNodes(_) | FieldType::Identifiers => {
                    AstValue::List(Vec::new())
                }
                _ => AstValue::None,
            })
            .collect();
        AstNode {
            kind,
            fields,
            span,
            pos: None,
        }
    }
}

impl AstNode {
    /// A node from outside data that names its class and fields (a capture file, the live
    /// engine's probe): the names are looked up in the generated schema, and an unknown class
    /// or field is an error naming it. Fields not given are `None` (or an empty list).
    pub fn from_named_fields(
        kind: &str,
        span: Option<Span>,
        fields: impl IntoIterator<Item = (String, AstValue)>,
    ) -> Result<AstNode, String> {
        let kind =
            NodeKind::from_name(kind).ok_or_else(|| format!("unknown AST class {kind:?}"))?;
        let mut node = AstNode::empty(kind, span);
        for (name, value) in fields {
            let i = kind
                .field_index(&name)
                .ok_or_else(|| format!("ast.{kind} has no field {name:?}"))?;
            node.fields[i] = value;
        }
        Ok(node)
    }

    /// Every field with its schema entry, whatever the version (for writers of outside data).
    pub fn all_fields(&self) -> impl Iterator<Item = (&'static Field, &AstValue)> + '_ {
        self.kind.fields().iter().zip(&self.fields)
    }
}

/// A `def` or an `async def`: the two classes have the same fields, and the compiler and the
/// symbol table treat them alike but for `is_async`.
#[derive(Clone, Copy, Debug)]
pub struct AnyFunctionDef<'a>(pub &'a AstNode);

impl<'a> AnyFunctionDef<'a> {
    /// The view of `n`, if it is a `FunctionDef` or an `AsyncFunctionDef`.
    pub fn cast(n: &'a AstNode) -> Option<Self> {
        matches!(n.kind, NodeKind::FunctionDef | NodeKind::AsyncFunctionDef).then_some(Self(n))
    }
    pub fn node(self) -> &'a AstNode {
        self.0
    }
    pub fn is_async(self) -> bool {
        self.0.kind == NodeKind::AsyncFunctionDef
    }
    pub fn name(self) -> &'a str {
        self.either(FunctionDef::name, AsyncFunctionDef::name)
    }
    pub fn args(self) -> Arguments<'a> {
        Arguments(self.either(FunctionDef::args, AsyncFunctionDef::args))
    }
    pub fn body(self) -> Nodes<'a> {
        self.either(FunctionDef::body, AsyncFunctionDef::body)
    }
    pub fn decorator_list(self) -> Nodes<'a> {
        self.either(
            FunctionDef::decorator_list,
            AsyncFunctionDef::decorator_list,
        )
    }
    pub fn returns(self) -> Option<&'a AstNode> {
        self.either(FunctionDef::returns, AsyncFunctionDef::returns)
    }
    pub fn type_params(self) -> Nodes<'a> {
        self.either(FunctionDef::type_params, AsyncFunctionDef::type_params)
    }

    fn either<T>(
        self,
        def: fn(FunctionDef<'a>) -> T,
        async_def: fn(AsyncFunctionDef<'a>) -> T,
    ) -> T {
        if self.is_async() {
            async_def(AsyncFunctionDef(self.0))
        } else {
            def(FunctionDef(self.0))
        }
    }
}

impl<'a> From<FunctionDef<'a>> for AnyFunctionDef<'a> {
    fn from(f: FunctionDef<'a>) -> Self {
        AnyFunctionDef(f.node())
    }
}

impl<'a> From<AsyncFunctionDef<'a>> for AnyFunctionDef<'a> {
    fn from(f: AsyncFunctionDef<'a>) -> Self {
        AnyFunctionDef(f.node())
    }
}

impl std::fmt::Display for NodeKind {
    /// CPython's class name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl AstValue {
    pub fn as_node(&self) -> Option<&AstNode> {
        match self {
            AstValue::Node(n) => Some(n),
            _ => None,
        }
    }
}

/// The value of one field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AstValue {
    Node(Box<AstNode>),
    List(Vec<AstValue>),
    /// An identifier or other `str` field (printed with `repr`).
    Str(String),
    /// An `int` field such as `conversion` or `level`.
    Int(i64),
    /// The `value` of a `Constant`.
    Const(Constant),
    /// `None`.
    None,
}

/// A Python constant value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Constant {
    None,
    Bool(bool),
    Ellipsis,
    /// Decimal digits (arbitrary size), with a leading `-` if negative.
    Int(String),
    Float(f64),
    /// An imaginary literal: `real + imag j`.
    Complex {
        real: f64,
        imag: f64,
    },
    Str(crate::pystr::PyStr),
    Bytes(Vec<u8>),
}

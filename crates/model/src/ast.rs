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

// By-name access, kept only while the callers move to the typed views.
impl AstNode {
    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&AstValue> {
        self.fields.get(self.kind.field_index(name)?)
    }
    /// The field called `name`, to change it.
    pub fn field_mut(&mut self, name: &str) -> Option<&mut AstValue> {
        let i = self.kind.field_index(name)?;
        self.fields.get_mut(i)
    }
    /// A node of class `kind` from its fields by name (fields not given are `None`).
    pub fn build(kind: &str, span: Option<Span>, fields: Vec<(&str, AstValue)>) -> AstNode {
        let kind = NodeKind::from_name(kind).unwrap_or_else(|| panic!("no ast class {kind}"));
        let mut node = AstNode::empty(kind, span);
        for (name, value) in fields {
            let i = kind
                .field_index(name)
                .unwrap_or_else(|| panic!("ast.{} has no field {name}", kind.name()));
            node.fields[i] = value;
        }
        node
    }
    /// The node in field `name` (`None` if absent or `None`).
    pub fn node(&self, name: &str) -> Option<&AstNode> {
        match self.field(name) {
            Some(AstValue::Node(n)) => Some(n),
            _ => None,
        }
    }
    /// The list in field `name` (empty if absent).
    pub fn list(&self, name: &str) -> &[AstValue] {
        match self.field(name) {
            Some(AstValue::List(l)) => l,
            _ => &[],
        }
    }
    /// The nodes of the list in field `name` (`None` entries, as in `Dict.keys`, are skipped;
    /// use [`AstNode::list`] to see them).
    pub fn nodes<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a AstNode> + 'a {
        self.list(name).iter().filter_map(|v| match v {
            AstValue::Node(n) => Some(&**n),
            _ => None,
        })
    }
    /// The string in field `name` (identifiers, `Constant.kind`, ...).
    pub fn str(&self, name: &str) -> Option<&str> {
        match self.field(name) {
            Some(AstValue::Str(s)) => Some(s),
            _ => None,
        }
    }
    /// The integer in field `name` (`conversion`, `level`, `is_async`, ...).
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.field(name) {
            Some(AstValue::Int(i)) => Some(*i),
            _ => None,
        }
    }
    /// The value of a `Constant` node.
    pub fn constant(&self) -> Option<&Constant> {
        match self.field("value") {
            Some(AstValue::Const(c)) => Some(c),
            _ => None,
        }
    }
    pub fn is(&self, kind: &str) -> bool {
        self.kind.name() == kind
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

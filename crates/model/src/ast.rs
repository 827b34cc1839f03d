//! The syntax tree's data: CPython's `ast` node shapes, as the front end builds them and a
//! capture stores them.

use crate::source::Span;
use serde::{Deserialize, Serialize};

/// A node of CPython's `ast` module: its class name, its `_fields` in CPython's order, and
/// where it stands in the source (absent for nodes without positions, such as `Load()`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AstNode {
    pub kind: String,
    pub fields: Vec<(String, AstValue)>,
    pub span: Option<Span>,
    /// `lineno`, `col_offset`, `end_lineno`, `end_col_offset` when they are not those of a
    /// source span: the nodes the AST preprocessor makes (-1 for "no position", or a `Pass`
    /// four columns wide).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pos: Option<[i64; 4]>,
}

impl AstNode {
    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&AstValue> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
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
        self.kind == kind
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

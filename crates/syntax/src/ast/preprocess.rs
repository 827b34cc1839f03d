//! The AST preprocessor (`Python/ast_preprocess.c`): the folds CPython applies to the tree
//! before code generation, and to the tree `ast.parse(..., optimize=1 or 2)` returns.
//!
//! - `'…' % (a, b)` with simple `%s`/`%r`/`%a` units becomes an f-string ([`percent_format`]);
//! - a load of `__debug__` becomes the constant `not optimize`;
//! - negative numbers and `a ± bj` in `case` value patterns and mapping keys become one constant
//!   ([`folded_constant`]);
//! - at level 2, docstrings are removed.
//!
//! Codegen uses the first three on the fly ([`percent_format`], [`folded_constant`]); `python -m
//! ast -O` ([`optimize`]) rewrites the tree.

use super::{
    make, Alias, AnnAssign, Arg, AstNode, AstValue, AsyncFunctionDef, BinOp, ClassDef, Constant,
    ConstantExpr, Expr, ExprContext, ExprStmt, FunctionDef, ImportFrom, MatchMapping, MatchValue,
    Mod, Module, Name, NodeKind, Operator, Tuple, UnaryOperator,
};
use cpyviz_model::pystr::PyStr;
use num_bigint::BigInt;

/// One piece of the f-string a `'…' % (…)` becomes: literal text, or a `%s`/`%r`/`%a` unit with
/// its argument, conversion (`s`, `r`, `a`) and format spec.
pub enum FormatPart<'a> {
    Literal(PyStr),
    Format {
        arg: &'a AstNode,
        conversion: u8,
        spec: Option<String>,
    },
}

/// The AST preprocessor's `optimize_format`: `'…' % (a, b)` whose format units are all simple
/// `%s`/`%r`/`%a` (with optional flags, width < 100 and precision < 100) and match the tuple
/// one for one, as the parts of an f-string. `None` when the expression stays a `%`.
pub fn percent_format(e: &AstNode) -> Option<Vec<FormatPart<'_>>> {
    let e = BinOp::cast(e)?;
    if e.op() != Operator::Mod {
        return None;
    }
    let Constant::Str(fmt) = ConstantExpr::cast(e.left())?.value() else {
        return None;
    };
    let elts: Vec<&AstNode> = Tuple::cast(e.right())?.elts().iter().collect();
    if elts.iter().any(|x| x.kind == NodeKind::Starred) {
        return None;
    }
    // The format's code points (a lone surrogate is literal text: it matches no format unit).
    let cps = fmt.code_points();
    let chars: Vec<char> = cps
        .iter()
        .map(|&c| char::from_u32(c).unwrap_or('\u{fffd}'))
        .collect();
    let mut pos = 0;
    let mut used = 0;
    let mut parts = Vec::new();
    loop {
        // A literal run, `%%` standing for `%`.
        let start = pos;
        let mut lit: Vec<u32> = Vec::new();
        while pos < chars.len() {
            if chars[pos] != '%' {
                lit.push(cps[pos]);
                pos += 1;
            } else if pos + 1 < chars.len() && chars[pos + 1] == '%' {
                lit.push('%' as u32);
                pos += 2;
            } else {
                break;
            }
        }
        if pos > start {
            parts.push(FormatPart::Literal(PyStr::from_code_points(lit)));
        }
        if pos >= chars.len() {
            break;
        }
        let arg = *elts.get(used)?;
        pos += 1;
        let (conversion, spec) = parse_format_unit(&chars, &mut pos)?;
        used += 1;
        parts.push(FormatPart::Format {
            arg,
            conversion,
            spec,
        });
    }
    (used == elts.len()).then_some(parts)
}

/// `simple_format_arg_parse` + `parse_format`: one `%` unit after the `%`: flags, width and
/// precision of at most two digits each, then `s`, `r` or `a`. Returns the conversion and the
/// f-string format spec.
const MAXDIGITS: usize = 3;

fn parse_format_unit(chars: &[char], pos: &mut usize) -> Option<(u8, Option<String>)> {
    let mut p = *pos;
    let mut next = || -> Option<char> {
        let c = *chars.get(p)?;
        p += 1;
        Some(c)
    };
    let mut ljust = false;
    let mut ch;
    loop {
        ch = next()?;
        match ch {
            '-' => ljust = true,
            '+' | ' ' | '#' | '0' => {}
            _ => break,
        }
    }
    // A run of at most two digits starting at `ch` (0 when there is none); `None` for three.
    fn number(ch: &mut char, next: &mut impl FnMut() -> Option<char>) -> Option<i32> {
        let mut value = 0;
        let mut digits = 0;
        while ch.is_ascii_digit() {
            value = value * 10 + (*ch as i32 - '0' as i32);
            *ch = next()?;
            digits += 1;
            if digits >= MAXDIGITS {
                return None;
            }
        }
        Some(value)
    }
    let mut width: i32 = -1;
    if ch.is_ascii_digit() {
        width = number(&mut ch, &mut next)?;
    }
    let mut prec: i32 = -1;
    if ch == '.' {
        ch = next()?;
        prec = number(&mut ch, &mut next)?;
    }
    let conversion = match ch {
        's' => b's',
        'r' => b'r',
        'a' => b'a',
        _ => return None,
    };
    *pos = p;
    let mut spec = String::new();
    if !ljust && width > 0 {
        spec.push('>');
    }
    if width >= 0 {
        spec.push_str(&width.to_string());
    }
    if prec >= 0 {
        spec.push_str(&format!(".{prec}"));
    }
    Some((conversion, (!spec.is_empty()).then_some(spec)))
}

/// The constant the AST preprocessor makes of a value pattern or mapping key: a literal, or a
/// negated literal, or `real ± imaginary` (`fold_const_match_patterns`). `None` for anything
/// else (an attribute lookup, or an expression patterns may not use).
pub fn folded_constant(e: &AstNode) -> Option<Constant> {
    match Expr::cast(e)? {
        Expr::Constant(c) => Some(c.value().clone()),
        Expr::UnaryOp(u) if u.op() == UnaryOperator::USub => {
            negate(ConstantExpr::cast(u.operand())?.value())
        }
        Expr::BinOp(b) => {
            let add = match b.op() {
                Operator::Add => true,
                Operator::Sub => false,
                _ => return None,
            };
            let right = ConstantExpr::cast(b.right())?;
            let left = folded_constant(b.left())?;
            add_sub(&left, right.value(), add)
        }
        _ => None,
    }
}

fn negate(c: &Constant) -> Option<Constant> {
    Some(match c {
        Constant::Int(digits) => {
            let v: BigInt = digits.parse().ok()?;
            Constant::Int((-v).to_string())
        }
        Constant::Float(f) => Constant::Float(-f),
        Constant::Complex { real, imag } => Constant::Complex {
            real: -real,
            imag: -imag,
        },
        _ => return None,
    })
}

/// A real number as a float, the way Python converts it for mixed arithmetic.
fn as_real(c: &Constant) -> Option<f64> {
    match c {
        Constant::Int(digits) => digits.parse::<f64>().ok(),
        Constant::Float(f) => Some(*f),
        _ => None,
    }
}

/// `left ± right` for the shapes a pattern can fold (a real or complex left operand, an
/// imaginary right one), with 3.14's mixed real/complex rules (the real operand has no
/// imaginary part of its own).
fn add_sub(left: &Constant, right: &Constant, add: bool) -> Option<Constant> {
    let sign = if add { 1.0 } else { -1.0 };
    match (left, right) {
        (Constant::Complex { real: a, imag: b }, Constant::Complex { real: c, imag: d }) => {
            Some(Constant::Complex {
                real: if add { a + c } else { a - c },
                imag: if add { b + d } else { b - d },
            })
        }
        (l, Constant::Complex { real: c, imag: d }) => {
            let x = as_real(l)?;
            Some(Constant::Complex {
                real: if add { x + c } else { x - c },
                imag: sign * d,
            })
        }
        _ => None,
    }
}

/// The tree `ast.parse(..., optimize=level)` returns for `level` ≥ 1 (`PyCF_OPTIMIZED_AST`):
/// the preprocessor's folds applied in place, and at level 2 docstrings removed.
/// `src` is the text the tree was parsed from (a `pass` standing for a removed docstring is
/// placed by line and column).
pub fn optimize(tree: &mut AstNode, level: i64, src: &cpyviz_model::source::Source) {
    if level < 1 {
        return;
    }
    let cx = Optimizer {
        src,
        level,
        future_annotations: has_future_annotations(tree),
    };
    cx.node(tree);
}

struct Optimizer<'a> {
    src: &'a cpyviz_model::source::Source,
    level: i64,
    /// `from __future__ import annotations`: annotations stay as written (they become strings).
    future_annotations: bool,
}

/// Whether the module's leading imports include `from __future__ import annotations`.
fn has_future_annotations(module: &AstNode) -> bool {
    let body = match Mod::cast(module) {
        Some(Mod::Module(m)) => m.body(),
        Some(Mod::Interactive(i)) => i.body(),
        _ => return false,
    };
    body.iter().filter_map(ImportFrom::cast).any(|st| {
        st.module() == Some("__future__")
            && st
                .names()
                .iter()
                .any(|alias| Alias(alias).name() == "annotations")
    })
}

/// A `Constant` the preprocessor makes without a source position (lineno … = -1).
fn unplaced_str(value: PyStr) -> AstNode {
    let mut n = make::constant(None, AstValue::Const(Constant::Str(value)), AstValue::None);
    n.pos = Some([-1; 4]);
    n
}

fn is_docstring(st: &AstNode) -> bool {
    ExprStmt::cast(st).is_some_and(|st| {
        ConstantExpr::cast(st.value()).is_some_and(|c| matches!(c.value(), Constant::Str(_)))
    })
}

/// Where the body of a node that may start with a docstring is (a module, function or class).
fn docstring_body(kind: NodeKind) -> Option<usize> {
    match kind {
        NodeKind::Module => Some(Module::BODY),
        NodeKind::FunctionDef => Some(FunctionDef::BODY),
        NodeKind::AsyncFunctionDef => Some(AsyncFunctionDef::BODY),
        NodeKind::ClassDef => Some(ClassDef::BODY),
        _ => None,
    }
}

/// Whether field `i` of a `kind` node is an annotation (a return annotation too).
fn is_annotation(kind: NodeKind, i: usize) -> bool {
    match kind {
        NodeKind::AnnAssign => i == AnnAssign::ANNOTATION,
        NodeKind::Arg => i == Arg::ANNOTATION,
        NodeKind::FunctionDef => i == FunctionDef::RETURNS,
        NodeKind::AsyncFunctionDef => i == AsyncFunctionDef::RETURNS,
        _ => false,
    }
}

impl Optimizer<'_> {
    fn node(&self, n: &mut AstNode) {
        let body = docstring_body(n.kind);
        let mut had_docstring = false;
        if let Some(body) = body {
            had_docstring = self.remove_docstring(&mut n.fields[body]);
        }
        let annotations = self.future_annotations;
        let kind = n.kind;
        for (i, value) in n.fields.iter_mut().enumerate() {
            if !(annotations && is_annotation(kind, i)) {
                self.value(value);
            }
        }
        if let (Some(body), false) = (body, had_docstring) {
            Self::protect_new_docstring(&mut n.fields[body]);
        }
        self.fold(n);
    }

    fn value(&self, v: &mut AstValue) {
        match v {
            AstValue::Node(n) => self.node(n),
            AstValue::List(items) => items.iter_mut().for_each(|i| self.value(i)),
            _ => {}
        }
    }

    /// At level 2, drops a leading docstring (a body left empty gets a `pass` where the
    /// docstring began). Returns whether the body kept its docstring.
    fn remove_docstring(&self, body: &mut AstValue) -> bool {
        let AstValue::List(body) = body else {
            return false;
        };
        let first = match body.first() {
            Some(AstValue::Node(st)) if is_docstring(st) => st.clone(),
            _ => return false,
        };
        if self.level < 2 {
            return true;
        }
        body.remove(0);
        if body.is_empty() {
            let mut pass = make::pass(None);
            pass.pos = first.span.map(|sp| {
                let (line, col) = self
                    .src
                    .line_col((sp.start as usize).min(self.src.text.len()));
                [line as i64, col as i64, line as i64, col as i64 + 4]
            });
            body.push(AstValue::Node(Box::new(pass)));
        }
        false
    }

    /// A body whose first statement became a string expression (its docstring removed) keeps
    /// that string from turning into a docstring: it is wrapped in an f-string.
    fn protect_new_docstring(body: &mut AstValue) {
        let AstValue::List(body) = body else {
            return;
        };
        let Some(AstValue::Node(st)) = body.first_mut() else {
            return;
        };
        if !is_docstring(st) {
            return;
        }
        let slot = &mut st.fields[ExprStmt::VALUE];
        if let AstValue::Node(constant) = std::mem::replace(slot, AstValue::None) {
            let span = constant.span;
            *slot = AstValue::Node(Box::new(make::joined_str(
                span,
                AstValue::List(vec![AstValue::Node(constant)]),
            )));
        }
    }

    /// The folds of one node, once its children are folded.
    fn fold(&self, n: &mut AstNode) {
        match n.kind {
            NodeKind::Name if Name(n).id() == "__debug__" && Name(n).ctx() == ExprContext::Load => {
                *n = make::constant(
                    n.span,
                    AstValue::Const(Constant::Bool(self.level < 1)),
                    AstValue::None,
                );
            }
            NodeKind::BinOp => {
                let Some(parts) = percent_format(n) else {
                    return;
                };
                let values: Vec<AstValue> = parts
                    .into_iter()
                    .map(|part| {
                        AstValue::Node(Box::new(match part {
                            FormatPart::Literal(text) => unplaced_str(text),
                            FormatPart::Format {
                                arg,
                                conversion,
                                spec,
                            } => make::formatted_value(
                                arg.span,
                                AstValue::Node(Box::new(arg.clone())),
                                AstValue::Int(conversion as i64),
                                match spec {
                                    Some(spec) => {
                                        AstValue::Node(Box::new(unplaced_str(PyStr::from(spec))))
                                    }
                                    None => AstValue::None,
                                },
                            ),
                        }))
                    })
                    .collect();
                *n = make::joined_str(n.span, AstValue::List(values));
            }
            NodeKind::MatchValue => {
                if let AstValue::Node(value) = &mut n.fields[MatchValue::VALUE] {
                    fold_pattern_constant(value);
                }
            }
            NodeKind::MatchMapping => {
                if let AstValue::List(keys) = &mut n.fields[MatchMapping::KEYS] {
                    for key in keys {
                        if let AstValue::Node(key) = key {
                            fold_pattern_constant(key);
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// A value pattern or mapping key such as `-1` or `1+2j` as one constant, spanning the
/// expression.
fn fold_pattern_constant(e: &mut AstNode) {
    if e.kind == NodeKind::Constant {
        return;
    }
    if let Some(c) = folded_constant(e) {
        *e = make::constant(e.span, AstValue::Const(c), AstValue::None);
    }
}

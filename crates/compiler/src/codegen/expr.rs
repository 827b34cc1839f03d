//! Expressions: names, constants, operators, comparisons and short-circuit jumps, containers,
//! attribute/subscript/slice access, calls, f-strings and t-strings, conditional and named
//! expressions, assignment targets, and the `AugAssign` statement.
//!
//! Two rewrites of CPython's AST preprocessor (`Python/ast_preprocess.c`) that change what
//! codegen sees are applied here, on the fly, because our AST is never rewritten: a load of
//! `__debug__` is the constant `True` ([`folded_const`]), and `'literal %s' % (a, b)` with
//! simple `%s`/`%r`/`%a` units is compiled as the equivalent f-string (`preprocess::percent_format`).

use super::{Compiler, Ctx, NameOp, ScopeType, R};
use crate::ir::{ConstValue, Label, Loc};
use crate::op::Op;
use crate::symtable::NameScope;
use cpyviz_model::pystr::PyStr;
use cpyviz_syntax::ast::{
    preprocess, AstNode, AstValue, Attribute, AugAssign, BinOp, BoolOp, BoolOperator, Call,
    CmpOperator, Compare, Constant, Dict, Expr, FormattedValue, IfExp, Interpolation, JoinedStr,
    Keyword, Name, NodeKind, Nodes, Operator, Slice, Starred, Subscript, TemplateStr, Tuple,
    UnaryOp, UnaryOperator,
};
use num_bigint::BigInt;

/// `_PY_STACK_USE_GUIDELINE`: displays and calls with more items than this are built
/// incrementally.
pub const STACK_USE_GUIDELINE: usize = 30;

/// `FVC_STR` / `FVC_REPR` / `FVC_ASCII` (`CONVERT_VALUE`'s oparg) for a conversion character.
fn conversion_oparg(conversion: i64) -> Option<u32> {
    match u8::try_from(conversion).ok()? {
        b's' => Some(1),
        b'r' => Some(2),
        b'a' => Some(3),
        _ => None,
    }
}

/// What `maybe_optimize_function_call` does for one builtin called on a generator expression.
#[derive(Clone, Copy, PartialEq, Eq)]
enum BuiltinFold {
    /// `all`/`any`: stop at the first item whose truth is `!continue_if`.
    Truth { continue_if: bool },
    /// `tuple`/`list`: append to a list (then convert, for `tuple`).
    List { to_tuple: bool },
    /// `set`: add to a set.
    Set,
}

/// What each builtin a version may inline `f(genexp)` for does (which of them a version
/// inlines is its profile's `inlined_genexp_builtins`).
const BUILTIN_FOLDS: [(&str, BuiltinFold); 5] = [
    ("all", BuiltinFold::Truth { continue_if: true }),
    ("any", BuiltinFold::Truth { continue_if: false }),
    ("tuple", BuiltinFold::List { to_tuple: true }),
    ("list", BuiltinFold::List { to_tuple: false }),
    ("set", BuiltinFold::Set),
];

/// The `BUILD_*` / add / extend instructions of one kind of display
/// (`starunpack_helper`'s arguments).
#[derive(Clone, Copy)]
struct Display {
    build: Op,
    add: Op,
    extend: Op,
    tuple: bool,
}

const LIST: Display = Display {
    build: Op::BUILD_LIST,
    add: Op::LIST_APPEND,
    extend: Op::LIST_EXTEND,
    tuple: false,
};
const TUPLE: Display = Display {
    tuple: true,
    ..LIST
};
const SET: Display = Display {
    build: Op::BUILD_SET,
    add: Op::SET_ADD,
    extend: Op::SET_UPDATE,
    tuple: false,
};

impl<'a> Compiler<'a> {
    // ----- table look-ups ----------------------------------------------------------------------

    /// An internal inconsistency (a name missing from the version's tables).
    fn table_error(&self, what: &str) -> cpyviz_model::error::PyError {
        crate::unsupported(what, self.src, 0)
    }

    /// `BINARY_OP`'s oparg for `NB_*` name `name` in this version.
    pub fn nb_oparg(&self, name: &str) -> R<u32> {
        self.ops
            .tables
            .nb_ops
            .iter()
            .position(|(n, _)| *n == name)
            .map(|i| i as u32)
            .ok_or_else(|| self.table_error(&format!("the binary operator {name}")))
    }

    /// `CALL_INTRINSIC_1`'s oparg for `INTRINSIC_*` name `name`.
    pub fn intrinsic1_oparg(&self, name: &str) -> R<u32> {
        self.ops
            .tables
            .intrinsic1
            .iter()
            .position(|n| *n == name)
            .map(|i| i as u32)
            .ok_or_else(|| self.table_error(&format!("the intrinsic {name}")))
    }

    /// `LOAD_COMMON_CONSTANT`'s oparg for the constant named `name` (`AssertionError`, ...).
    pub fn common_const_oparg(&self, name: &str) -> R<u32> {
        self.ops
            .tables
            .common_constants
            .iter()
            .position(|n| *n == name)
            .map(|i| i as u32)
            .ok_or_else(|| self.table_error(&format!("the common constant {name}")))
    }

    // ----- the dispatch ------------------------------------------------------------------------

    /// `codegen_visit_expr`.
    pub fn visit_expr(&mut self, e: &'a AstNode) -> R {
        let loc = self.loc(e);
        let Some(expr) = Expr::cast(e) else {
            return Err(self.unsupported(&format!("the `{}` expression", e.kind.name()), e));
        };
        match expr {
            Expr::NamedExpr(n) => {
                self.visit_expr(n.value())?;
                self.emit_arg(Op::COPY, 1, loc);
                self.visit_expr(n.target())
            }
            Expr::BoolOp(b) => self.boolop(b),
            Expr::BinOp(b) => self.binop(b),
            Expr::UnaryOp(u) => self.unaryop(u),
            Expr::Lambda(_) => self.lambda(e),
            Expr::IfExp(i) => self.ifexp(i),
            Expr::Dict(d) => self.dict(d),
            Expr::Set(s) => self.starunpack(loc, s.elts(), None, 0, SET),
            Expr::ListComp(_) | Expr::SetComp(_) | Expr::DictComp(_) | Expr::GeneratorExp(_) => {
                self.comprehension(e)
            }
            Expr::Yield(_) | Expr::YieldFrom(_) | Expr::Await(_) => self.yield_or_await(e),
            Expr::Compare(c) => self.compare(c),
            Expr::Call(c) => self.call(c),
            Expr::Constant(c) => {
                self.load_const(const_value(c.value()), loc);
                Ok(())
            }
            Expr::JoinedStr(j) => self.joined_str(j),
            Expr::TemplateStr(t) => self.template_str(t),
            Expr::FormattedValue(f) => self.formatted_value(f),
            Expr::Interpolation(i) => self.interpolation(i),
            Expr::Attribute(a) => self.attribute(a),
            Expr::Subscript(s) => self.subscript(s),
            Expr::Starred(_) => {
                if Ctx::of(e) == Ctx::Store {
                    Err(self.error(loc, "starred assignment target must be in a list or tuple"))
                } else {
                    Err(self.error(loc, "can't use starred expression here"))
                }
            }
            Expr::Slice(s) => self.slice(s),
            Expr::Name(n) => {
                let id = n.id();
                let ctx = Ctx::of(e);
                if ctx == Ctx::Load && id == "__debug__" {
                    self.load_const(ConstValue::Bool(true), loc);
                    return Ok(());
                }
                self.nameop(id, ctx, loc)
            }
            Expr::List(l) => self.list_or_tuple(e, l.elts(), LIST),
            Expr::Tuple(t) => self.list_or_tuple(e, t.elts(), TUPLE),
        }
    }

    /// `VISIT_SEQ(expr)`.
    pub fn visit_exprs(&mut self, nodes: impl IntoIterator<Item = &'a AstNode>) -> R {
        for n in nodes {
            self.visit_expr(n)?;
        }
        Ok(())
    }

    // ----- operators ---------------------------------------------------------------------------

    /// `addop_binary`: `BINARY_OP` with the `NB_*` (or `NB_INPLACE_*`) oparg of operator `op`.
    pub fn add_binary(&mut self, op: Operator, inplace: bool, loc: Loc) -> R {
        let base = match op {
            Operator::Add => "ADD",
            Operator::Sub => "SUBTRACT",
            Operator::Mult => "MULTIPLY",
            Operator::MatMult => "MATRIX_MULTIPLY",
            Operator::Div => "TRUE_DIVIDE",
            Operator::Mod => "REMAINDER",
            Operator::Pow => "POWER",
            Operator::LShift => "LSHIFT",
            Operator::RShift => "RSHIFT",
            Operator::BitOr => "OR",
            Operator::BitXor => "XOR",
            Operator::BitAnd => "AND",
            Operator::FloorDiv => "FLOOR_DIVIDE",
        };
        let name = if inplace {
            format!("NB_INPLACE_{base}")
        } else {
            format!("NB_{base}")
        };
        let arg = self.nb_oparg(&name)?;
        self.emit_arg(Op::BINARY_OP, arg, loc);
        Ok(())
    }

    fn binop(&mut self, b: BinOp<'a>) -> R {
        let loc = self.loc(b.0);
        if let Some(parts) = preprocess::percent_format(b.0) {
            let parts: Vec<Part<'a>> = parts.into_iter().map(Part::from).collect();
            return self.joined_parts(loc, &parts);
        }
        self.visit_expr(b.left())?;
        self.visit_expr(b.right())?;
        self.add_binary(b.op(), false, loc)
    }

    fn unaryop(&mut self, u: UnaryOp<'a>) -> R {
        let loc = self.loc(u.0);
        self.visit_expr(u.operand())?;
        match u.op() {
            UnaryOperator::UAdd => {
                let arg = self.intrinsic1_oparg("INTRINSIC_UNARY_POSITIVE")?;
                self.emit_arg(Op::CALL_INTRINSIC_1, arg, loc);
            }
            UnaryOperator::Not => {
                self.emit(Op::TO_BOOL, loc);
                self.emit(Op::UNARY_NOT, loc);
            }
            UnaryOperator::Invert => self.emit(Op::UNARY_INVERT, loc),
            UnaryOperator::USub => self.emit(Op::UNARY_NEGATIVE, loc),
        }
        Ok(())
    }

    /// `codegen_boolop`: `and`/`or` keeping the deciding value (`JUMP_IF_FALSE`/`TRUE`).
    fn boolop(&mut self, b: BoolOp<'a>) -> R {
        let loc = self.loc(b.0);
        let jump = match b.op() {
            BoolOperator::And => Op::JUMP_IF_FALSE,
            BoolOperator::Or => Op::JUMP_IF_TRUE,
        };
        let end = self.new_label();
        let values: Vec<&'a AstNode> = b.values().iter().collect();
        let Some((last, rest)) = values.split_last() else {
            return Err(self.unsupported("an empty boolean operation", b.0));
        };
        for v in rest {
            self.visit_expr(v)?;
            self.emit_jump(jump, end, loc);
            self.emit(Op::POP_TOP, loc);
        }
        self.visit_expr(last)?;
        self.use_label(end);
        Ok(())
    }

    // ----- comparisons and conditional jumps ---------------------------------------------------

    /// `codegen_compare`: a comparison, chained ones keeping the middle operand.
    fn compare(&mut self, c: Compare<'a>) -> R {
        let loc = self.loc(c.0);
        let ops: Vec<CmpOperator> = c.ops().collect();
        let comparators: Vec<&'a AstNode> = c.comparators().iter().collect();
        if ops.is_empty() || ops.len() != comparators.len() {
            return Err(self.unsupported("this comparison", c.0));
        }
        self.check_compare(c);
        self.visit_expr(c.left())?;
        let n = ops.len() - 1;
        if n == 0 {
            self.visit_expr(comparators[0])?;
            return self.add_compare(ops[0], loc);
        }
        let cleanup = self.new_label();
        for i in 0..n {
            self.visit_expr(comparators[i])?;
            self.emit_arg(Op::SWAP, 2, loc);
            self.emit_arg(Op::COPY, 2, loc);
            self.add_compare(ops[i], loc)?;
            self.emit_arg(Op::COPY, 1, loc);
            self.emit(Op::TO_BOOL, loc);
            self.emit_jump(Op::POP_JUMP_IF_FALSE, cleanup, loc);
            self.emit(Op::POP_TOP, loc);
        }
        self.visit_expr(comparators[n])?;
        self.add_compare(ops[n], loc)?;
        let end = self.new_label();
        self.emit_jump(Op::JUMP_NO_INTERRUPT, end, Loc::NONE);
        self.use_label(cleanup);
        self.emit_arg(Op::SWAP, 2, loc);
        self.emit(Op::POP_TOP, loc);
        self.use_label(end);
        Ok(())
    }

    /// `codegen_jump_if`: evaluates `e` for its truth and jumps to `label` when it is `cond`,
    /// short-circuiting `not`, `and`/`or`, conditional expressions and chained comparisons.
    pub fn jump_if(&mut self, e: &'a AstNode, label: Label, cond: bool) -> R {
        match Expr::cast(e) {
            Some(Expr::UnaryOp(u)) if u.op() == UnaryOperator::Not => {
                return self.jump_if(u.operand(), label, !cond);
            }
            Some(Expr::BoolOp(b)) => {
                let values: Vec<&'a AstNode> = b.values().iter().collect();
                if let Some((last, rest)) = values.split_last() {
                    let is_or = b.op() == BoolOperator::Or;
                    let next2 = if is_or != cond {
                        self.new_label()
                    } else {
                        label
                    };
                    for v in rest {
                        self.jump_if(v, next2, is_or)?;
                    }
                    self.jump_if(last, label, cond)?;
                    if next2 != label {
                        self.use_label(next2);
                    }
                    return Ok(());
                }
            }
            Some(Expr::IfExp(i)) => {
                let end = self.new_label();
                let next2 = self.new_label();
                self.jump_if(i.test(), next2, false)?;
                self.jump_if(i.body(), label, cond)?;
                self.emit_jump(Op::JUMP_NO_INTERRUPT, end, Loc::NONE);
                self.use_label(next2);
                self.jump_if(i.orelse(), label, cond)?;
                self.use_label(end);
                return Ok(());
            }
            Some(Expr::Compare(c)) => {
                let ops: Vec<CmpOperator> = c.ops().collect();
                let comparators: Vec<&'a AstNode> = c.comparators().iter().collect();
                if ops.len() > 1 && ops.len() == comparators.len() {
                    self.check_compare(c);
                    let loc = self.loc(e);
                    let n = ops.len() - 1;
                    let cleanup = self.new_label();
                    self.visit_expr(c.left())?;
                    for i in 0..n {
                        self.visit_expr(comparators[i])?;
                        self.emit_arg(Op::SWAP, 2, loc);
                        self.emit_arg(Op::COPY, 2, loc);
                        self.add_compare(ops[i], loc)?;
                        self.emit(Op::TO_BOOL, loc);
                        self.emit_jump(Op::POP_JUMP_IF_FALSE, cleanup, loc);
                    }
                    self.visit_expr(comparators[n])?;
                    self.add_compare(ops[n], loc)?;
                    self.emit(Op::TO_BOOL, loc);
                    let jump = if cond {
                        Op::POP_JUMP_IF_TRUE
                    } else {
                        Op::POP_JUMP_IF_FALSE
                    };
                    self.emit_jump(jump, label, loc);
                    let end = self.new_label();
                    self.emit_jump(Op::JUMP_NO_INTERRUPT, end, Loc::NONE);
                    self.use_label(cleanup);
                    self.emit(Op::POP_TOP, loc);
                    if !cond {
                        self.emit_jump(Op::JUMP_NO_INTERRUPT, label, Loc::NONE);
                    }
                    self.use_label(end);
                    return Ok(());
                }
            }
            _ => {}
        }
        // The general case: the value, its truth, a conditional jump.
        let loc = self.loc(e);
        self.visit_expr(e)?;
        self.emit(Op::TO_BOOL, loc);
        let jump = if cond {
            Op::POP_JUMP_IF_TRUE
        } else {
            Op::POP_JUMP_IF_FALSE
        };
        self.emit_jump(jump, label, loc);
        Ok(())
    }

    /// `codegen_addcompare`: one comparison operator (`COMPARE_OP` with the comparison in the
    /// top bits and its mask in the low four, `IS_OP`, `CONTAINS_OP`).
    pub fn add_compare(&mut self, op: CmpOperator, loc: Loc) -> R {
        // Rich comparison numbers (Py_LT..Py_GE) and the masks of `pycore_code.h`.
        const LT: u32 = 0;
        const LE: u32 = 1;
        const EQ: u32 = 2;
        const NE: u32 = 3;
        const GT: u32 = 4;
        const GE: u32 = 5;
        const MASK_LT: u32 = 2;
        const MASK_GT: u32 = 4;
        const MASK_EQ: u32 = 8;
        const MASK_UNORDERED: u32 = 1;
        const MASK_NE: u32 = MASK_UNORDERED | MASK_LT | MASK_GT;
        let (cmp, mask) = match op {
            CmpOperator::Eq => (EQ, MASK_EQ),
            CmpOperator::NotEq => (NE, MASK_NE),
            CmpOperator::Lt => (LT, MASK_LT),
            CmpOperator::LtE => (LE, MASK_LT | MASK_EQ),
            CmpOperator::Gt => (GT, MASK_GT),
            CmpOperator::GtE => (GE, MASK_GT | MASK_EQ),
            CmpOperator::Is | CmpOperator::IsNot => {
                self.emit_arg(Op::IS_OP, u32::from(op == CmpOperator::IsNot), loc);
                return Ok(());
            }
            CmpOperator::In | CmpOperator::NotIn => {
                self.emit_arg(Op::CONTAINS_OP, u32::from(op == CmpOperator::NotIn), loc);
                return Ok(());
            }
        };
        self.emit_arg(Op::COMPARE_OP, (cmp << 5) | mask, loc);
        Ok(())
    }

    /// `codegen_ifexp`.
    fn ifexp(&mut self, i: IfExp<'a>) -> R {
        let end = self.new_label();
        let next = self.new_label();
        self.jump_if(i.test(), next, false)?;
        self.visit_expr(i.body())?;
        self.emit_jump(Op::JUMP_NO_INTERRUPT, end, Loc::NONE);
        self.use_label(next);
        self.visit_expr(i.orelse())?;
        self.use_label(end);
        Ok(())
    }

    // ----- displays and unpacking --------------------------------------------------------------

    /// `starunpack_helper_impl`: builds a list, tuple or set from `elts` (some maybe starred),
    /// on top of `pushed` values already on the stack, plus the variable `injected` at the end.
    fn starunpack(
        &mut self,
        loc: Loc,
        elts: Nodes<'a>,
        injected: Option<&str>,
        pushed: u32,
        d: Display,
    ) -> R {
        let elts: Vec<&'a AstNode> = elts.iter().collect();
        let n = elts.len();
        let big = n + pushed as usize + usize::from(injected.is_some()) > STACK_USE_GUIDELINE;
        let seen_star = elts.iter().any(|e| e.kind == NodeKind::Starred);
        if !seen_star && !big {
            for elt in &elts {
                self.visit_expr(elt)?;
            }
            let mut count = n as u32;
            if let Some(name) = injected {
                self.nameop(name, Ctx::Load, loc)?;
                count += 1;
            }
            let build = if d.tuple { Op::BUILD_TUPLE } else { d.build };
            self.emit_arg(build, count + pushed, loc);
            return Ok(());
        }
        let mut built = false;
        if big {
            self.emit_arg(d.build, pushed, loc);
            built = true;
        }
        for (i, elt) in elts.iter().enumerate() {
            if let Some(starred) = Starred::cast(elt) {
                if !built {
                    self.emit_arg(d.build, i as u32 + pushed, loc);
                    built = true;
                }
                self.visit_expr(starred.value())?;
                self.emit_arg(d.extend, 1, loc);
            } else {
                self.visit_expr(elt)?;
                if built {
                    self.emit_arg(d.add, 1, loc);
                }
            }
        }
        if let Some(name) = injected {
            self.nameop(name, Ctx::Load, loc)?;
            self.emit_arg(d.add, 1, loc);
        }
        if d.tuple {
            let arg = self.intrinsic1_oparg("INTRINSIC_LIST_TO_TUPLE")?;
            self.emit_arg(Op::CALL_INTRINSIC_1, arg, loc);
        }
        Ok(())
    }

    /// `unpack_helper`: `UNPACK_SEQUENCE n`, or `UNPACK_EX` around the one starred target.
    fn unpack(&mut self, loc: Loc, elts: &[&'a AstNode]) -> R {
        let n = elts.len();
        let mut seen_star = false;
        for (i, elt) in elts.iter().enumerate() {
            if elt.kind == NodeKind::Starred {
                if seen_star {
                    return Err(self.error(loc, "multiple starred expressions in assignment"));
                }
                if i >= (1 << 8) || n - i > (i32::MAX >> 8) as usize {
                    return Err(
                        self.error(loc, "too many expressions in star-unpacking assignment")
                    );
                }
                self.emit_arg(Op::UNPACK_EX, (i + ((n - i - 1) << 8)) as u32, loc);
                seen_star = true;
            }
        }
        if !seen_star {
            self.emit_arg(Op::UNPACK_SEQUENCE, n as u32, loc);
        }
        Ok(())
    }

    /// `assignment_helper`: unpacks the value on the stack into the targets `elts`.
    fn assign_unpacked(&mut self, loc: Loc, elts: Nodes<'a>) -> R {
        let elts: Vec<&'a AstNode> = elts.iter().collect();
        self.unpack(loc, &elts)?;
        for elt in elts {
            let target = Starred::cast(elt).map_or(elt, |s| s.value());
            self.visit_expr(target)?;
        }
        Ok(())
    }

    /// `codegen_list` / `codegen_tuple`: the `List` or `Tuple` `e`, whose elements are `elts`.
    fn list_or_tuple(&mut self, e: &'a AstNode, elts: Nodes<'a>, d: Display) -> R {
        let loc = self.loc(e);
        match Ctx::of(e) {
            Ctx::Store => self.assign_unpacked(loc, elts),
            Ctx::Load => self.starunpack(loc, elts, None, 0, d),
            Ctx::Del => self.visit_exprs(elts),
        }
    }

    /// `codegen_subdict`: `BUILD_MAP` of the key/value pairs `begin..end` (one by one with
    /// `MAP_ADD` when there are many).
    fn subdict(&mut self, e: Dict<'a>, begin: usize, end: usize) -> R {
        let loc = self.loc(e.0);
        let (keys, values) = (e.keys(), e.values());
        let n = end - begin;
        let big = n * 2 > STACK_USE_GUIDELINE;
        if big {
            self.emit_arg(Op::BUILD_MAP, 0, loc);
        }
        for i in begin..end {
            let (Some(k), Some(v)) = (keys.get(i).flatten(), values.get(i)) else {
                return Err(self.unsupported("this dictionary display", e.0));
            };
            self.visit_expr(k)?;
            self.visit_expr(v)?;
            if big {
                self.emit_arg(Op::MAP_ADD, 1, loc);
            }
        }
        if !big {
            self.emit_arg(Op::BUILD_MAP, n as u32, loc);
        }
        Ok(())
    }

    /// `codegen_dict`: runs of `key: value` pairs as maps, merged with `**` items by
    /// `DICT_UPDATE`.
    fn dict(&mut self, e: Dict<'a>) -> R {
        let loc = self.loc(e.0);
        let keys = e.keys();
        let values = e.values();
        let n = values.len();
        let mut have_dict = false;
        let mut elements = 0usize;
        for (i, value) in values.iter().enumerate() {
            let is_unpacking = keys.get(i).flatten().is_none();
            if is_unpacking {
                if elements > 0 {
                    self.subdict(e, i - elements, i)?;
                    if have_dict {
                        self.emit_arg(Op::DICT_UPDATE, 1, loc);
                    }
                    have_dict = true;
                    elements = 0;
                }
                if !have_dict {
                    self.emit_arg(Op::BUILD_MAP, 0, loc);
                    have_dict = true;
                }
                self.visit_expr(value)?;
                self.emit_arg(Op::DICT_UPDATE, 1, loc);
            } else if elements * 2 > STACK_USE_GUIDELINE {
                self.subdict(e, i - elements, i + 1)?;
                if have_dict {
                    self.emit_arg(Op::DICT_UPDATE, 1, loc);
                }
                have_dict = true;
                elements = 0;
            } else {
                elements += 1;
            }
        }
        if elements > 0 {
            self.subdict(e, n - elements, n)?;
            if have_dict {
                self.emit_arg(Op::DICT_UPDATE, 1, loc);
            }
            have_dict = true;
        }
        if !have_dict {
            self.emit_arg(Op::BUILD_MAP, 0, loc);
        }
        Ok(())
    }

    // ----- attributes --------------------------------------------------------------------------

    /// `update_start_location_to_match_attr`: when an attribute access spans lines, its
    /// instructions start at the attribute name.
    fn attr_loc(&self, mut loc: Loc, attr: Attribute<'_>) -> Loc {
        let aloc = self.loc(attr.0);
        if loc.lineno != aloc.end_lineno {
            loc.lineno = aloc.end_lineno;
            let len = attr.attr().chars().count() as i32;
            if len <= aloc.end_col {
                loc.col = aloc.end_col - len;
            } else {
                loc.col = -1;
                loc.end_col = -1;
            }
            loc.end_lineno = loc.lineno.max(loc.end_lineno);
            if loc.lineno == loc.end_lineno {
                loc.end_col = loc.col.max(loc.end_col);
            }
        }
        loc
    }

    /// `_PyCompile_MaybeAddStaticAttributeToClass`: `self.X = …` records `X` in the nearest
    /// enclosing class unit (the current unit itself is not searched).
    fn note_static_attribute(&mut self, e: Attribute<'_>) {
        let is_self = Name::cast(e.value()).is_some_and(|n| n.id() == "self");
        if !is_self || Ctx::of(e.0) != Ctx::Store {
            return;
        }
        let attr = e.attr();
        let n = self.units.len();
        for u in self.units[..n.saturating_sub(1)].iter_mut().rev() {
            if u.scope_type == ScopeType::Class {
                if let Some(set) = u.static_attributes.as_mut() {
                    set.insert(attr.to_string());
                }
                break;
            }
        }
    }

    /// `_PyCompile_GetRefType`: the scope of a name, `__class__`-like names being cells of a
    /// class body.
    fn ref_type(&self, name: &str) -> Option<NameScope> {
        if self.u().scope_type == ScopeType::Class
            && matches!(
                name,
                "__class__" | "__classdict__" | "__conditional_annotations__"
            )
        {
            return Some(NameScope::Cell);
        }
        self.get_scope(name)
    }

    /// `can_optimize_super_call`: `super().x` / `super(A, b).x` compile to `LOAD_SUPER_ATTR`
    /// when `super` is the builtin and its implicit arguments are at hand. Returns the
    /// `super(…)` call when it does.
    fn super_call(&self, attr: Attribute<'a>) -> Option<Call<'a>> {
        let call = Call::cast(attr.value())?;
        let calls_super = Name::cast(call.func()).is_some_and(|f| f.id() == "super");
        if !calls_super || attr.attr() == "__class__" || !call.keywords().is_empty() {
            return None;
        }
        if self.get_scope("super") != Some(NameScope::GlobalImplicit) {
            return None;
        }
        if self.top_symbol("super").is_some() {
            return None;
        }
        let args: Vec<&AstNode> = call.args().iter().collect();
        if args.len() == 2 {
            return (!args.iter().any(|a| a.kind == NodeKind::Starred)).then_some(call);
        }
        if !args.is_empty() {
            return None;
        }
        let code = &self.u().code;
        if code.argcount == 0 && code.posonlyargcount == 0 {
            return None;
        }
        (self.ref_type("__class__") == Some(NameScope::Free)).then_some(call)
    }

    /// `load_args_for_super`: `super`, then its two arguments (explicit, or `__class__` and the
    /// first parameter).
    fn load_args_for_super(&mut self, call: Call<'a>) -> R {
        let loc = self.loc(call.0);
        let func = call.func();
        let floc = self.loc(func);
        self.nameop(
            Name::cast(func).map_or("super", |n| n.id()),
            Ctx::Load,
            floc,
        )?;
        let args: Vec<&'a AstNode> = call.args().iter().collect();
        if args.len() == 2 {
            self.visit_expr(args[0])?;
            self.visit_expr(args[1])?;
            return Ok(());
        }
        self.nameop("__class__", Ctx::Load, loc)?;
        let Some(first) = self.u().code.varnames.first().cloned() else {
            return Err(self.unsupported("`super()` without arguments here", call.0));
        };
        self.nameop(&first, Ctx::Load, loc)
    }

    /// The `Attribute` expression: load (maybe through `super`), store or delete.
    fn attribute(&mut self, e: Attribute<'a>) -> R {
        let loc = self.loc(e.0);
        let (value, attr) = (e.value(), e.attr());
        let ctx = Ctx::of(e.0);
        let super_call = if ctx == Ctx::Load {
            self.super_call(e)
        } else {
            None
        };
        if let Some(call) = super_call {
            self.load_args_for_super(call)?;
            let op = if call.args().is_empty() {
                NameOp::LoadZeroSuperAttr
            } else {
                NameOp::Plain(Op::LOAD_SUPER_ATTR)
            };
            self.emit_name(op, attr, loc);
            let loc = self.attr_loc(loc, e);
            self.emit(Op::NOP, loc);
            return Ok(());
        }
        self.note_static_attribute(e);
        self.visit_expr(value)?;
        let loc = self.attr_loc(loc, e);
        let op = match ctx {
            Ctx::Load => Op::LOAD_ATTR,
            Ctx::Store => Op::STORE_ATTR,
            Ctx::Del => Op::DELETE_ATTR,
        };
        self.emit_name(NameOp::Plain(op), attr, loc);
        Ok(())
    }

    // ----- subscripts and slices ---------------------------------------------------------------

    /// `codegen_subscript`.
    fn subscript(&mut self, e: Subscript<'a>) -> R {
        let loc = self.loc(e.0);
        let ctx = Ctx::of(e.0);
        let (value, slice) = (e.value(), e.slice());
        if ctx == Ctx::Load {
            self.check_subscripter(value);
            self.check_index(value, slice);
        }
        self.visit_expr(value)?;
        match two_part_slice(slice) {
            Some(slice) if ctx != Ctx::Del => {
                self.slice_two_parts(slice)?;
                let op = if ctx == Ctx::Load {
                    Op::BINARY_SLICE
                } else {
                    Op::STORE_SLICE
                };
                self.emit(op, loc);
            }
            _ => {
                self.visit_expr(slice)?;
                match ctx {
                    Ctx::Load => {
                        let arg = self.nb_oparg("NB_SUBSCR")?;
                        self.emit_arg(Op::BINARY_OP, arg, loc);
                    }
                    Ctx::Store => self.emit(Op::STORE_SUBSCR, loc),
                    Ctx::Del => self.emit(Op::DELETE_SUBSCR, loc),
                }
            }
        }
        Ok(())
    }

    /// `codegen_slice_two_parts`: start and stop (`None` when absent).
    fn slice_two_parts(&mut self, s: Slice<'a>) -> R {
        let loc = self.loc(s.0);
        for part in [s.lower(), s.upper()] {
            match part {
                Some(p) => self.visit_expr(p)?,
                None => self.load_const(ConstValue::None, loc),
            }
        }
        Ok(())
    }

    /// `codegen_slice`: a constant `slice` object when every part is constant, else
    /// `BUILD_SLICE`.
    fn slice(&mut self, s: Slice<'a>) -> R {
        let loc = self.loc(s.0);
        if let Some(parts) = constant_slice(s) {
            self.load_const(ConstValue::Slice(Box::new(parts)), loc);
            return Ok(());
        }
        self.slice_two_parts(s)?;
        let mut n = 2;
        if let Some(step) = s.step() {
            n += 1;
            self.visit_expr(step)?;
        }
        self.emit_arg(Op::BUILD_SLICE, n, loc);
        Ok(())
    }

    // ----- calls -------------------------------------------------------------------------------

    /// `codegen_validate_keywords`: no keyword may be passed twice.
    fn validate_keywords(&self, keywords: Nodes<'a>) -> R {
        let kws: Vec<Keyword<'a>> = keywords.iter().map(Keyword).collect();
        for (i, k) in kws.iter().enumerate() {
            let Some(name) = k.arg() else {
                continue;
            };
            for other in &kws[i + 1..] {
                if other.arg() == Some(name) {
                    return Err(self.error(
                        self.loc(other.0),
                        format!("keyword argument repeated: {name}"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// `is_import_originated`: `e` is a name the module binds by `import`.
    fn is_import_originated(&self, e: &AstNode) -> bool {
        let Some(name) = Name::cast(e) else {
            return false;
        };
        self.top_symbol(name.id())
            .is_some_and(|s| s.flags & crate::symtable::flags::DEF_IMPORT != 0)
    }

    /// `codegen_call`.
    fn call(&mut self, e: Call<'a>) -> R {
        let keywords = e.keywords();
        self.validate_keywords(keywords)?;
        if self.maybe_optimize_method_call(e)? {
            return Ok(());
        }
        let func = e.func();
        let skip_normal_call = self.new_label();
        self.check_caller(func);
        self.visit_expr(func)?;
        self.maybe_optimize_function_call(e, skip_normal_call)?;
        let floc = self.loc(func);
        self.emit(Op::PUSH_NULL, floc);
        let loc = self.loc(e.0);
        self.call_helper(loc, 0, e.args().as_slice(), None, keywords.as_slice())?;
        self.use_label(skip_normal_call);
        Ok(())
    }

    /// `maybe_optimize_method_call`: `obj.meth(args)` as `LOAD_ATTR` (method form) + `CALL`
    /// when no argument is unpacked. Returns whether it did.
    fn maybe_optimize_method_call(&mut self, e: Call<'a>) -> R<bool> {
        let Some(meth) = Attribute::cast(e.func()) else {
            return Ok(false);
        };
        if Ctx::of(meth.0) != Ctx::Load {
            return Ok(false);
        }
        let (value, attr) = (meth.value(), meth.attr());
        if self.is_import_originated(value) {
            return Ok(false);
        }
        let args: Vec<&'a AstNode> = e.args().iter().collect();
        let kws: Vec<Keyword<'a>> = e.keywords().iter().map(Keyword).collect();
        let (argsl, kwdsl) = (args.len(), kws.len());
        if argsl + kwdsl + usize::from(kwdsl != 0) >= STACK_USE_GUIDELINE {
            return Ok(false);
        }
        if args.iter().any(|a| a.kind == NodeKind::Starred) || kws.iter().any(|k| k.arg().is_none())
        {
            return Ok(false);
        }
        let mut loc = self.loc(meth.0);
        if let Some(call) = self.super_call(meth) {
            self.load_args_for_super(call)?;
            let op = if call.args().is_empty() {
                NameOp::LoadZeroSuperMethod
            } else {
                NameOp::LoadSuperMethod
            };
            self.emit_name(op, attr, loc);
            loc = self.attr_loc(loc, meth);
            self.emit(Op::NOP, loc);
        } else {
            self.visit_expr(value)?;
            loc = self.attr_loc(loc, meth);
            self.emit_name(NameOp::LoadMethod, attr, loc);
        }
        self.visit_exprs(args)?;
        let eloc = self.loc(e.0);
        if kwdsl > 0 {
            self.visit_keyword_values(&kws)?;
            self.kwnames(loc, &kws);
            let loc = self.attr_loc(eloc, meth);
            self.emit_arg(Op::CALL_KW, (argsl + kwdsl) as u32, loc);
        } else {
            let loc = self.attr_loc(eloc, meth);
            self.emit_arg(Op::CALL, argsl as u32, loc);
        }
        Ok(true)
    }

    /// `maybe_optimize_function_call`: `all(genexp)`, `any(genexp)`, `tuple(genexp)` (and, in
    /// 3.15, `list`/`set`) run the generator inline when the name is still the builtin, jumping
    /// to `end`; otherwise the normal call follows.
    fn maybe_optimize_function_call(&mut self, e: Call<'a>, end: Label) -> R<bool> {
        let Some(func) = Name::cast(e.func()) else {
            return Ok(false);
        };
        let args: Vec<&'a AstNode> = e.args().iter().collect();
        if args.len() != 1 || !e.keywords().is_empty() || args[0].kind != NodeKind::GeneratorExp {
            return Ok(false);
        }
        let profile = self.version.profile();
        if !profile.inlined_genexp_builtins.contains(&func.id()) {
            return Ok(false);
        }
        let Some(&(name, fold)) = BUILTIN_FOLDS.iter().find(|(n, _)| *n == func.id()) else {
            return Ok(false);
        };
        let loc = self.loc(func.0);
        let skip = self.new_label();
        let constant = self.common_const_oparg(name)?;
        self.emit_arg(Op::COPY, 1, loc);
        self.emit_arg(Op::LOAD_COMMON_CONSTANT, constant, loc);
        self.emit_arg(Op::IS_OP, 0, loc);
        self.emit_jump(Op::POP_JUMP_IF_FALSE, skip, loc);
        self.emit(Op::POP_TOP, loc);
        match fold {
            BuiltinFold::List { .. } => self.emit_arg(Op::BUILD_LIST, 0, loc),
            BuiltinFold::Set => self.emit_arg(Op::BUILD_SET, 0, loc),
            BuiltinFold::Truth { .. } => {}
        }
        self.visit_expr(args[0])?;
        let lp = self.new_label();
        let cleanup = self.new_label();
        // The generator is the iterator: `NULL`s fill the loop's other slots under it.
        for _ in 1..profile.for_loop_stack_items {
            self.emit(Op::PUSH_NULL, loc);
        }
        self.use_label(lp);
        self.emit_jump(Op::FOR_ITER, cleanup, loc);
        let depth = profile.for_loop_stack_items + 1;
        match fold {
            BuiltinFold::List { .. } => {
                self.emit_arg(Op::LIST_APPEND, depth, loc);
                self.emit_jump(Op::JUMP, lp, loc);
            }
            BuiltinFold::Set => {
                self.emit_arg(Op::SET_ADD, depth, loc);
                self.emit_jump(Op::JUMP, lp, loc);
            }
            BuiltinFold::Truth { continue_if } => {
                self.emit(Op::TO_BOOL, loc);
                let jump = if continue_if {
                    Op::POP_JUMP_IF_TRUE
                } else {
                    Op::POP_JUMP_IF_FALSE
                };
                self.emit_jump(jump, lp, loc);
            }
        }
        self.emit(Op::POP_ITER, Loc::NONE);
        if let BuiltinFold::Truth { continue_if } = fold {
            self.load_const(ConstValue::Bool(!continue_if), loc);
        }
        self.emit_jump(Op::JUMP, end, loc);
        self.use_label(cleanup);
        self.emit(Op::END_FOR, Loc::NONE);
        self.emit(Op::POP_ITER, Loc::NONE);
        match fold {
            BuiltinFold::List { to_tuple: true } => {
                let arg = self.intrinsic1_oparg("INTRINSIC_LIST_TO_TUPLE")?;
                self.emit_arg(Op::CALL_INTRINSIC_1, arg, loc);
            }
            BuiltinFold::Truth { continue_if } => {
                self.load_const(ConstValue::Bool(continue_if), loc);
            }
            _ => {}
        }
        self.emit_jump(Op::JUMP, end, loc);
        self.use_label(skip);
        Ok(true)
    }

    /// `VISIT_SEQ(keyword)`: the keyword arguments' values.
    fn visit_keyword_values(&mut self, kws: &[Keyword<'a>]) -> R {
        for k in kws {
            self.visit_expr(k.value())?;
        }
        Ok(())
    }

    /// `codegen_call_simple_kw_helper`: the tuple of keyword names for `CALL_KW`.
    fn kwnames(&mut self, loc: Loc, kws: &[Keyword<'a>]) {
        let names = kws
            .iter()
            .map(|k| ConstValue::Str(k.arg().unwrap_or("").to_string().into()))
            .collect();
        self.load_ident_const(ConstValue::Tuple(names), loc);
    }

    /// `codegen_subkwargs`: a dict of the keyword arguments `begin..end`.
    fn subkwargs(&mut self, loc: Loc, kws: &[Keyword<'a>], begin: usize, end: usize) -> R {
        let n = end - begin;
        let big = n * 2 > STACK_USE_GUIDELINE;
        if big {
            self.emit_arg(Op::BUILD_MAP, 0, Loc::NONE);
        }
        for k in &kws[begin..end] {
            let name = k.arg().unwrap_or("").to_string();
            self.load_ident_const(ConstValue::Str(name.into()), loc);
            self.visit_expr(k.value())?;
            if big {
                self.emit_arg(Op::MAP_ADD, 1, Loc::NONE);
            }
        }
        if !big {
            self.emit_arg(Op::BUILD_MAP, n as u32, loc);
        }
        Ok(())
    }

    /// `codegen_call_helper_impl`: the arguments and the call, for a callable (and its NULL or
    /// self) already pushed with `n` arguments; `injected` is a variable passed last (class
    /// definitions with type parameters pass `.generic_base`). Used by calls and class
    /// definitions. `args` and `keywords` are the raw lists (`Call.args`/`ClassDef.bases`,
    /// `….keywords`: `Nodes::as_slice`).
    pub fn call_helper(
        &mut self,
        loc: Loc,
        n: u32,
        args: &'a [AstValue],
        injected: Option<&str>,
        keywords: &'a [AstValue],
    ) -> R {
        let (args, keywords) = (Nodes::new(args), Nodes::new(keywords));
        self.validate_keywords(keywords)?;
        let elts: Vec<&'a AstNode> = args.iter().collect();
        let kws: Vec<Keyword<'a>> = keywords.iter().map(Keyword).collect();
        let nelts = elts.len();
        let nkwelts = kws.len();
        let simple = nelts + nkwelts * 2 <= STACK_USE_GUIDELINE
            && !elts.iter().any(|a| a.kind == NodeKind::Starred)
            && !kws.iter().any(|k| k.arg().is_none());
        if simple {
            self.visit_exprs(elts.iter().copied())?;
            let mut count = nelts as u32;
            if let Some(name) = injected {
                self.nameop(name, Ctx::Load, loc)?;
                count += 1;
            }
            if nkwelts > 0 {
                self.visit_keyword_values(&kws)?;
                self.kwnames(loc, &kws);
                self.emit_arg(Op::CALL_KW, n + count + nkwelts as u32, loc);
            } else {
                self.emit_arg(Op::CALL, n + count, loc);
            }
            return Ok(());
        }
        // CALL_FUNCTION_EX: the positional arguments as one tuple ...
        let single_starred = if n == 0 && nelts == 1 {
            Starred::cast(elts[0])
        } else {
            None
        };
        if let Some(starred) = single_starred {
            self.visit_expr(starred.value())?;
        } else {
            self.starunpack(loc, args, injected, n, TUPLE)?;
        }
        // ... and the keyword arguments as one dict.
        if nkwelts > 0 {
            let mut have_dict = false;
            let mut nseen = 0;
            for (i, k) in kws.iter().enumerate() {
                if k.arg().is_none() {
                    if nseen > 0 {
                        self.subkwargs(loc, &kws, i - nseen, i)?;
                        if have_dict {
                            self.emit_arg(Op::DICT_MERGE, 1, loc);
                        }
                        have_dict = true;
                        nseen = 0;
                    }
                    if !have_dict {
                        self.emit_arg(Op::BUILD_MAP, 0, loc);
                        have_dict = true;
                    }
                    self.visit_expr(k.value())?;
                    self.emit_arg(Op::DICT_MERGE, 1, loc);
                } else {
                    nseen += 1;
                }
            }
            if nseen > 0 {
                self.subkwargs(loc, &kws, nkwelts - nseen, nkwelts)?;
                if have_dict {
                    self.emit_arg(Op::DICT_MERGE, 1, loc);
                }
            }
        } else {
            self.emit(Op::PUSH_NULL, loc);
        }
        self.emit(Op::CALL_FUNCTION_EX, loc);
        Ok(())
    }

    // ----- f-strings and t-strings -------------------------------------------------------------

    /// `codegen_joined_str`.
    fn joined_str(&mut self, e: JoinedStr<'a>) -> R {
        let loc = self.loc(e.0);
        let values: Vec<Part<'a>> = e.values().iter().map(Part::Node).collect();
        self.joined_parts(loc, &values)
    }

    /// The body of `codegen_joined_str` over parts that are AST nodes or pieces of a
    /// `'…' % (…)` rewritten as an f-string.
    fn joined_parts(&mut self, loc: Loc, parts: &[Part<'a>]) -> R {
        let count = parts.len();
        if count > STACK_USE_GUIDELINE {
            self.load_str("", loc);
            self.emit_name(NameOp::LoadMethod, "join", loc);
            self.emit_arg(Op::BUILD_LIST, 0, loc);
            for p in parts {
                self.visit_part(p)?;
                self.emit_arg(Op::LIST_APPEND, 1, loc);
            }
            self.emit_arg(Op::CALL, 1, loc);
        } else {
            for p in parts {
                self.visit_part(p)?;
            }
            if count > 1 {
                self.emit_arg(Op::BUILD_STRING, count as u32, loc);
            } else if count == 0 {
                self.load_str("", loc);
            }
        }
        Ok(())
    }

    fn visit_part(&mut self, p: &Part<'a>) -> R {
        match p {
            Part::Node(n) => self.visit_expr(n),
            Part::Literal(s) => {
                self.load_const(ConstValue::Str(s.clone()), Loc::NONE);
                Ok(())
            }
            Part::Format {
                arg,
                conversion,
                spec,
            } => {
                self.visit_expr(arg)?;
                let loc = self.loc(arg);
                if let Some(c) = conversion_oparg(i64::from(*conversion)) {
                    self.emit_arg(Op::CONVERT_VALUE, c, loc);
                }
                match spec {
                    Some(spec) => {
                        self.load_str(spec, Loc::NONE);
                        self.emit(Op::FORMAT_WITH_SPEC, loc);
                    }
                    None => self.emit(Op::FORMAT_SIMPLE, loc),
                }
                Ok(())
            }
        }
    }

    /// `codegen_formatted_value`: one `{…}` of an f-string.
    fn formatted_value(&mut self, e: FormattedValue<'a>) -> R {
        self.visit_expr(e.value())?;
        let loc = self.loc(e.0);
        let conversion = e.conversion();
        if conversion != -1 {
            let Some(c) = conversion_oparg(conversion) else {
                return Err(self.unsupported("this f-string conversion", e.0));
            };
            self.emit_arg(Op::CONVERT_VALUE, c, loc);
        }
        match e.format_spec() {
            Some(spec) => {
                self.visit_expr(spec)?;
                self.emit(Op::FORMAT_WITH_SPEC, loc);
            }
            None => self.emit(Op::FORMAT_SIMPLE, loc),
        }
        Ok(())
    }

    /// `codegen_template_str`: the strings as one tuple, the interpolations as another.
    fn template_str(&mut self, e: TemplateStr<'a>) -> R {
        let loc = self.loc(e.0);
        let values: Vec<&'a AstNode> = e.values().iter().collect();
        let mut last_was_interpolation = true;
        let mut strings = 0;
        for v in &values {
            if v.kind == NodeKind::Interpolation {
                if last_was_interpolation {
                    self.load_str("", loc);
                    strings += 1;
                }
                last_was_interpolation = true;
            } else {
                self.visit_expr(v)?;
                strings += 1;
                last_was_interpolation = false;
            }
        }
        if last_was_interpolation {
            self.load_str("", loc);
            strings += 1;
        }
        self.emit_arg(Op::BUILD_TUPLE, strings, loc);
        let mut interpolations = 0;
        for v in &values {
            if v.kind == NodeKind::Interpolation {
                self.visit_expr(v)?;
                interpolations += 1;
            }
        }
        self.emit_arg(Op::BUILD_TUPLE, interpolations, loc);
        self.emit(Op::BUILD_TEMPLATE, loc);
        Ok(())
    }

    /// `codegen_interpolation`: value, source text, format spec → `BUILD_INTERPOLATION`.
    fn interpolation(&mut self, e: Interpolation<'a>) -> R {
        let loc = self.loc(e.0);
        self.visit_expr(e.value())?;
        // The source text is a `str` field, or a `Constant`'s string from outside data.
        let text = match &e.0.fields[Interpolation::STR] {
            AstValue::Str(s) => s.as_str().into(),
            AstValue::Const(Constant::Str(s)) => s.clone(),
            _ => return Err(self.unsupported("this t-string field", e.0)),
        };
        self.load_const(ConstValue::Str(text), loc);
        let mut oparg = 2;
        if let Some(spec) = e.format_spec() {
            oparg += 1;
            self.visit_expr(spec)?;
        }
        let conversion = e.conversion();
        if conversion != -1 {
            let Some(c) = conversion_oparg(conversion) else {
                return Err(self.unsupported("this t-string conversion", e.0));
            };
            oparg |= c << 2;
        }
        self.emit_arg(Op::BUILD_INTERPOLATION, oparg, loc);
        Ok(())
    }

    // ----- compile-time warnings ---------------------------------------------------------------

    /// `codegen_check_compare`: `is`/`is not` with a literal operand (other than `None`, `True`,
    /// `False`, `...`) warns, once per comparison.
    fn check_compare(&mut self, e: Compare<'_>) {
        let mut left_expr = e.left();
        let mut left = check_is_arg(left_expr);
        for (op, right_expr) in e.ops().zip(e.comparators()) {
            let right = check_is_arg(right_expr);
            if matches!(op, CmpOperator::Is | CmpOperator::IsNot) && (!right || !left) {
                let literal = if left { right_expr } else { left_expr };
                let ty = infer_type(literal).unwrap_or("object");
                let msg = if op == CmpOperator::Is {
                    format!("\"is\" with '{ty}' literal. Did you mean \"==\"?")
                } else {
                    format!("\"is not\" with '{ty}' literal. Did you mean \"!=\"?")
                };
                let loc = self.loc(e.0);
                self.warn(loc, &msg);
                return;
            }
            left = right;
            left_expr = right_expr;
        }
    }

    /// `check_caller`: calling a literal or a display warns.
    fn check_caller(&mut self, func: &AstNode) {
        let callable_literal = matches!(
            folded_kind(func),
            NodeKind::Constant
                | NodeKind::Tuple
                | NodeKind::List
                | NodeKind::ListComp
                | NodeKind::Dict
                | NodeKind::DictComp
                | NodeKind::Set
                | NodeKind::SetComp
                | NodeKind::GeneratorExp
                | NodeKind::JoinedStr
                | NodeKind::TemplateStr
                | NodeKind::FormattedValue
                | NodeKind::Interpolation
        );
        if let (true, Some(ty)) = (callable_literal, infer_type(func)) {
            let loc = self.loc(func);
            self.warn(
                loc,
                &format!("'{ty}' object is not callable; perhaps you missed a comma?"),
            );
        }
    }

    /// `check_subscripter`: subscripting a number, `None`, `...`, a set or a function literal
    /// warns.
    fn check_subscripter(&mut self, value: &AstNode) {
        let warns = match folded_kind(value) {
            NodeKind::Constant => matches!(
                folded_const(value),
                Some(
                    ConstValue::None
                        | ConstValue::Ellipsis
                        | ConstValue::Bool(_)
                        | ConstValue::Int(_)
                        | ConstValue::Float(_)
                        | ConstValue::Complex { .. }
                        | ConstValue::FrozenSet(_)
                )
            ),
            NodeKind::Set
            | NodeKind::SetComp
            | NodeKind::GeneratorExp
            | NodeKind::TemplateStr
            | NodeKind::Interpolation
            | NodeKind::Lambda => true,
            _ => false,
        };
        if let (true, Some(ty)) = (warns, infer_type(value)) {
            let loc = self.loc(value);
            self.warn(
                loc,
                &format!("'{ty}' object is not subscriptable; perhaps you missed a comma?"),
            );
        }
    }

    /// `check_index`: indexing a string, bytes, tuple or list literal with a literal that is no
    /// integer or slice warns.
    fn check_index(&mut self, value: &AstNode, slice: &AstNode) {
        let Some(index_type) = infer_type(slice) else {
            return;
        };
        if matches!(index_type, "int" | "bool" | "slice") {
            return;
        }
        let warns = match folded_kind(value) {
            NodeKind::Constant => matches!(
                folded_const(value),
                Some(ConstValue::Str(_) | ConstValue::Bytes(_) | ConstValue::Tuple(_))
            ),
            NodeKind::Tuple
            | NodeKind::List
            | NodeKind::ListComp
            | NodeKind::JoinedStr
            | NodeKind::FormattedValue => true,
            _ => false,
        };
        if let (true, Some(ty)) = (warns, infer_type(value)) {
            let loc = self.loc(value);
            self.warn(
                loc,
                &format!(
                    "{ty} indices must be integers or slices, not {index_type}; \
                     perhaps you missed a comma?"
                ),
            );
        }
    }

    // ----- augmented assignment ----------------------------------------------------------------

    /// `codegen_augassign`: `target op= value` for a name, attribute or subscript target.
    pub fn augassign(&mut self, s: &'a AstNode) -> R {
        let aug = AugAssign(s);
        let e = aug.target();
        let loc = self.loc(e);
        // The target's value (and key), then its current value.
        match Expr::of(e) {
            Expr::Attribute(a) => {
                self.visit_expr(a.value())?;
                self.emit_arg(Op::COPY, 1, loc);
                let aloc = self.attr_loc(loc, a);
                self.emit_name(NameOp::Plain(Op::LOAD_ATTR), a.attr(), aloc);
            }
            Expr::Subscript(sub) => {
                self.visit_expr(sub.value())?;
                let slice = sub.slice();
                if let Some(slice) = two_part_slice(slice) {
                    self.slice_two_parts(slice)?;
                    for _ in 0..3 {
                        self.emit_arg(Op::COPY, 3, loc);
                    }
                    self.emit(Op::BINARY_SLICE, loc);
                } else {
                    self.visit_expr(slice)?;
                    self.emit_arg(Op::COPY, 2, loc);
                    self.emit_arg(Op::COPY, 2, loc);
                    let arg = self.nb_oparg("NB_SUBSCR")?;
                    self.emit_arg(Op::BINARY_OP, arg, loc);
                }
            }
            Expr::Name(n) => self.nameop(n.id(), Ctx::Load, loc)?,
            _ => return Err(self.unsupported("this augmented assignment target", e)),
        }
        let sloc = self.loc(s);
        self.visit_expr(aug.value())?;
        self.add_binary(aug.op(), true, sloc)?;
        // The store (the target is one of the kinds above).
        match Expr::of(e) {
            Expr::Attribute(a) => {
                let aloc = self.attr_loc(loc, a);
                self.emit_arg(Op::SWAP, 2, aloc);
                self.emit_name(NameOp::Plain(Op::STORE_ATTR), a.attr(), aloc);
            }
            Expr::Subscript(sub) => {
                if two_part_slice(sub.slice()).is_some() {
                    self.emit_arg(Op::SWAP, 4, loc);
                    self.emit_arg(Op::SWAP, 3, loc);
                    self.emit_arg(Op::SWAP, 2, loc);
                    self.emit(Op::STORE_SLICE, loc);
                } else {
                    self.emit_arg(Op::SWAP, 3, loc);
                    self.emit_arg(Op::SWAP, 2, loc);
                    self.emit(Op::STORE_SUBSCR, loc);
                }
            }
            Expr::Name(n) => self.nameop(n.id(), Ctx::Store, loc)?,
            _ => return Err(self.unsupported("this augmented assignment target", e)),
        }
        Ok(())
    }
}

/// One piece of an f-string being compiled: an AST node, or a piece of a `'…' % (…)` rewritten
/// by the AST preprocessor (a literal, or a `%s`/`%r`/`%a` unit with its argument).
enum Part<'a> {
    Node(&'a AstNode),
    Literal(PyStr),
    Format {
        arg: &'a AstNode,
        conversion: u8,
        spec: Option<String>,
    },
}

impl<'a> From<preprocess::FormatPart<'a>> for Part<'a> {
    fn from(p: preprocess::FormatPart<'a>) -> Part<'a> {
        match p {
            preprocess::FormatPart::Literal(s) => Part::Literal(s),
            preprocess::FormatPart::Format {
                arg,
                conversion,
                spec,
            } => Part::Format {
                arg,
                conversion,
                spec,
            },
        }
    }
}

/// The value a node has after the AST preprocessor: a `Constant`'s value, or `True` for a load
/// of `__debug__`. Codegen's "is this a constant" tests see exactly these.
pub fn folded_const(e: &AstNode) -> Option<ConstValue> {
    match Expr::cast(e)? {
        Expr::Constant(c) => Some(const_value(c.value())),
        Expr::Name(n) if n.id() == "__debug__" && Ctx::of(e) == Ctx::Load => {
            Some(ConstValue::Bool(true))
        }
        _ => None,
    }
}

/// Whether codegen sees `e` as a `Constant` node (see [`folded_const`]).
pub fn is_const_expr(e: &AstNode) -> bool {
    folded_const(e).is_some()
}

/// The node's kind as codegen sees it after the AST preprocessor (`__debug__` is a `Constant`).
fn folded_kind(e: &AstNode) -> NodeKind {
    if e.kind == NodeKind::Name && is_const_expr(e) {
        NodeKind::Constant
    } else {
        e.kind
    }
}

/// `infer_type`: the name of the type an expression certainly has, when its kind tells.
fn infer_type(e: &AstNode) -> Option<&'static str> {
    Some(match e.kind {
        NodeKind::Tuple => "tuple",
        NodeKind::List | NodeKind::ListComp => "list",
        NodeKind::Dict | NodeKind::DictComp => "dict",
        NodeKind::Set | NodeKind::SetComp => "set",
        NodeKind::GeneratorExp => "generator",
        NodeKind::Lambda => "function",
        NodeKind::TemplateStr | NodeKind::Interpolation => "string.templatelib.Template",
        NodeKind::JoinedStr | NodeKind::FormattedValue => "str",
        _ => match folded_const(e)? {
            ConstValue::None => "NoneType",
            ConstValue::Bool(_) => "bool",
            ConstValue::Ellipsis => "ellipsis",
            ConstValue::Int(_) => "int",
            ConstValue::Float(_) => "float",
            ConstValue::Complex { .. } => "complex",
            ConstValue::Str(_) => "str",
            ConstValue::Bytes(_) => "bytes",
            ConstValue::Tuple(_) => "tuple",
            ConstValue::FrozenSet(_) => "frozenset",
            ConstValue::Slice(_) => "slice",
            ConstValue::Code(_) => "code",
        },
    })
}

/// `check_is_arg`: false for a literal other than the named singletons (a tuple of constants
/// counts as a literal).
fn check_is_arg(e: &AstNode) -> bool {
    if let Some(t) = Tuple::cast(e) {
        return !t.elts().iter().all(is_const_expr);
    }
    match folded_const(e) {
        None => true,
        Some(c) => matches!(
            c,
            ConstValue::None | ConstValue::Bool(_) | ConstValue::Ellipsis
        ),
    }
}

/// `is_constant_slice` → the `(start, stop, step)` of a slice whose parts are all constant.
fn constant_slice(s: Slice<'_>) -> Option<[ConstValue; 3]> {
    let part = |p: Option<&AstNode>| -> Option<ConstValue> {
        match p {
            None => Some(ConstValue::None),
            Some(p) => folded_const(p),
        }
    };
    Some([part(s.lower())?, part(s.upper())?, part(s.step())?])
}

/// `should_apply_two_element_slice_optimization`: `a[x:y]` (not constant, no step) uses
/// `BINARY_SLICE`/`STORE_SLICE`. Returns the slice when it applies.
fn two_part_slice(s: &AstNode) -> Option<Slice<'_>> {
    Slice::cast(s).filter(|&s| constant_slice(s).is_none() && s.step().is_none())
}

/// The constant of a `Constant` node.
pub fn const_value(c: &Constant) -> ConstValue {
    match c {
        Constant::None => ConstValue::None,
        Constant::Bool(b) => ConstValue::Bool(*b),
        Constant::Ellipsis => ConstValue::Ellipsis,
        Constant::Int(digits) => ConstValue::Int(digits.parse::<BigInt>().unwrap_or_default()),
        Constant::Float(f) => ConstValue::Float(*f),
        Constant::Complex { real, imag } => ConstValue::Complex {
            re: *real,
            im: *imag,
        },
        Constant::Str(s) => ConstValue::Str(s.clone()),
        Constant::Bytes(b) => ConstValue::Bytes(b.clone()),
    }
}

#[cfg(test)]
mod tests {
    /// Development aid: `CGX_DIS=FILE[,FILE…] cargo test --lib codegen::expr::tests::dis --
    /// --ignored --nocapture` prints the built-in engine's `dis` of each file (3.14 and 3.15),
    /// to compare with `python3.X -m dis FILE`.
    /// The SyntaxWarnings of `tests/codegen-expr/warnings.py` are the ones `python3.14 -m dis`
    /// and `python3.15 -m dis` print (recorded in `warnings.stderr`).
    #[test]
    fn syntax_warnings_match_cpython() {
        let root = crate::repo_root();
        let path = "tests/codegen-expr/warnings.py";
        let bytes = std::fs::read(root.join(path)).expect("warnings.py");
        let expected = std::fs::read_to_string(root.join("tests/codegen-expr/warnings.stderr"))
            .expect("warnings.stderr");
        for v in [
            cpyviz_model::version::PyVersion::V3_14,
            cpyviz_model::version::PyVersion::V3_15,
        ] {
            assert_eq!(warnings(path, &bytes, v), expected, "{v}");
        }
    }

    /// The compile-time warnings of a file, as `python -m dis` prints them.
    fn warnings(path: &str, bytes: &[u8], v: cpyviz_model::version::PyVersion) -> String {
        let Ok(src) = cpyviz_model::source::Source::decode(path, bytes) else {
            return String::new();
        };
        let Ok(tree) = cpyviz_syntax::ast::parse(&src, v) else {
            return String::new();
        };
        let Ok(table) = crate::symtable::SymbolTable::build(&tree, &src, v) else {
            return String::new();
        };
        let warnings = super::super::compile_module_with_warnings(
            &tree,
            &table,
            &src,
            v,
            cpyviz_model::tables::CompilingProcess::Dis,
        )
        .1;
        cpyviz_model::error::render_warnings(&warnings, &src)
    }
}

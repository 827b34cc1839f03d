//! Expressions: names, constants, operators, comparisons and short-circuit jumps, containers,
//! attribute/subscript/slice access, calls, f-strings and t-strings, conditional and named
//! expressions, assignment targets, and the `AugAssign` statement.
//!
//! Two rewrites of CPython's AST preprocessor (`Python/ast_preprocess.c`) that change what
//! codegen sees are applied here, on the fly, because our AST is never rewritten: a load of
//! `__debug__` is the constant `True` ([`folded_const`]), and `'literal %s' % (a, b)` with
//! simple `%s`/`%r`/`%a` units is compiled as the equivalent f-string ([`percent_format`]).

use super::{Compiler, Ctx, NameOp, ScopeType, R};
use crate::ir::{ConstValue, Label, Loc};
use crate::op::Op;
use crate::symtable::NameScope;
use cpyviz_model::pystr::PyStr;
use cpyviz_model::version::PyVersion;
use cpyviz_syntax::ast::{preprocess, AstNode, AstValue, Constant};
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

/// Per version: the builtins `f(genexp)` is inlined for, and whether the loop keeps a NULL
/// under the iterator (3.15), which moves the accumulator one slot deeper.
struct CallFolds {
    builtins: &'static [(&'static str, BuiltinFold)],
    null_under_iter: bool,
}

const CALL_FOLDS_314: CallFolds = CallFolds {
    builtins: &[
        ("all", BuiltinFold::Truth { continue_if: true }),
        ("any", BuiltinFold::Truth { continue_if: false }),
        ("tuple", BuiltinFold::List { to_tuple: true }),
    ],
    null_under_iter: false,
};

const CALL_FOLDS_315: CallFolds = CallFolds {
    builtins: &[
        ("all", BuiltinFold::Truth { continue_if: true }),
        ("any", BuiltinFold::Truth { continue_if: false }),
        ("tuple", BuiltinFold::List { to_tuple: true }),
        ("list", BuiltinFold::List { to_tuple: false }),
        ("set", BuiltinFold::Set),
    ],
    null_under_iter: true,
};

fn call_folds(version: PyVersion) -> &'static CallFolds {
    match version {
        PyVersion::V3_14 => &CALL_FOLDS_314,
        PyVersion::V3_15 => &CALL_FOLDS_315,
    }
}

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
        match e.kind.name() {
            "NamedExpr" => {
                let (Some(target), Some(value)) = (e.node("target"), e.node("value")) else {
                    return Err(self.unsupported("this assignment expression", e));
                };
                self.visit_expr(value)?;
                self.emit_arg(Op::COPY, 1, loc);
                self.visit_expr(target)
            }
            "BoolOp" => self.boolop(e),
            "BinOp" => self.binop(e),
            "UnaryOp" => self.unaryop(e),
            "Lambda" => self.lambda(e),
            "IfExp" => self.ifexp(e),
            "Dict" => self.dict(e),
            "Set" => self.starunpack(loc, e.list("elts"), None, 0, SET),
            "ListComp" | "SetComp" | "DictComp" | "GeneratorExp" => self.comprehension(e),
            "Yield" | "YieldFrom" | "Await" => self.yield_or_await(e),
            "Compare" => self.compare(e),
            "Call" => self.call(e),
            "Constant" => {
                let value = e.constant().map(const_value).unwrap_or(ConstValue::None);
                self.load_const(value, loc);
                Ok(())
            }
            "JoinedStr" => self.joined_str(e),
            "TemplateStr" => self.template_str(e),
            "FormattedValue" => self.formatted_value(e),
            "Interpolation" => self.interpolation(e),
            "Attribute" => self.attribute(e),
            "Subscript" => self.subscript(e),
            "Starred" => {
                if Ctx::of(e) == Ctx::Store {
                    Err(self.error(loc, "starred assignment target must be in a list or tuple"))
                } else {
                    Err(self.error(loc, "can't use starred expression here"))
                }
            }
            "Slice" => self.slice(e),
            "Name" => {
                let id = e.str("id").unwrap_or("");
                let ctx = Ctx::of(e);
                if ctx == Ctx::Load && id == "__debug__" {
                    self.load_const(ConstValue::Bool(true), loc);
                    return Ok(());
                }
                self.nameop(id, ctx, loc)
            }
            "List" => self.list_or_tuple(e, LIST),
            "Tuple" => self.list_or_tuple(e, TUPLE),
            other => Err(self.unsupported(&format!("the `{other}` expression"), e)),
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
    pub fn add_binary(&mut self, op: &AstNode, inplace: bool, loc: Loc) -> R {
        let base = match op.kind.name() {
            "Add" => "ADD",
            "Sub" => "SUBTRACT",
            "Mult" => "MULTIPLY",
            "MatMult" => "MATRIX_MULTIPLY",
            "Div" => "TRUE_DIVIDE",
            "Mod" => "REMAINDER",
            "Pow" => "POWER",
            "LShift" => "LSHIFT",
            "RShift" => "RSHIFT",
            "BitOr" => "OR",
            "BitXor" => "XOR",
            "BitAnd" => "AND",
            "FloorDiv" => "FLOOR_DIVIDE",
            other => return Err(self.unsupported(&format!("the `{other}` operator"), op)),
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

    fn binop(&mut self, e: &'a AstNode) -> R {
        let (Some(left), Some(right), Some(op)) = (e.node("left"), e.node("right"), e.node("op"))
        else {
            return Err(self.unsupported("this binary operation", e));
        };
        if let Some(parts) = preprocess::percent_format(e) {
            let parts: Vec<Part<'a>> = parts.into_iter().map(Part::from).collect();
            return self.joined_parts(self.loc(e), &parts);
        }
        let loc = self.loc(e);
        self.visit_expr(left)?;
        self.visit_expr(right)?;
        self.add_binary(op, false, loc)
    }

    fn unaryop(&mut self, e: &'a AstNode) -> R {
        let (Some(operand), Some(op)) = (e.node("operand"), e.node("op")) else {
            return Err(self.unsupported("this unary operation", e));
        };
        let loc = self.loc(e);
        self.visit_expr(operand)?;
        match op.kind.name() {
            "UAdd" => {
                let arg = self.intrinsic1_oparg("INTRINSIC_UNARY_POSITIVE")?;
                self.emit_arg(Op::CALL_INTRINSIC_1, arg, loc);
            }
            "Not" => {
                self.emit(Op::TO_BOOL, loc);
                self.emit(Op::UNARY_NOT, loc);
            }
            "Invert" => self.emit(Op::UNARY_INVERT, loc),
            "USub" => self.emit(Op::UNARY_NEGATIVE, loc),
            other => return Err(self.unsupported(&format!("the `{other}` operator"), op)),
        }
        Ok(())
    }

    /// `codegen_boolop`: `and`/`or` keeping the deciding value (`JUMP_IF_FALSE`/`TRUE`).
    fn boolop(&mut self, e: &'a AstNode) -> R {
        let loc = self.loc(e);
        let jump = if e.node("op").is_some_and(|o| o.is("And")) {
            Op::JUMP_IF_FALSE
        } else {
            Op::JUMP_IF_TRUE
        };
        let end = self.new_label();
        let values: Vec<&'a AstNode> = e.nodes("values").collect();
        let Some((last, rest)) = values.split_last() else {
            return Err(self.unsupported("an empty boolean operation", e));
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
    fn compare(&mut self, e: &'a AstNode) -> R {
        let loc = self.loc(e);
        let ops: Vec<&'a AstNode> = e.nodes("ops").collect();
        let comparators: Vec<&'a AstNode> = e.nodes("comparators").collect();
        let Some(left) = e.node("left") else {
            return Err(self.unsupported("this comparison", e));
        };
        if ops.is_empty() || ops.len() != comparators.len() {
            return Err(self.unsupported("this comparison", e));
        }
        self.check_compare(e);
        self.visit_expr(left)?;
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
        match e.kind.name() {
            "UnaryOp" if e.node("op").is_some_and(|o| o.is("Not")) => {
                if let Some(operand) = e.node("operand") {
                    return self.jump_if(operand, label, !cond);
                }
            }
            "BoolOp" => {
                let values: Vec<&'a AstNode> = e.nodes("values").collect();
                if let Some((last, rest)) = values.split_last() {
                    let is_or = e.node("op").is_some_and(|o| o.is("Or"));
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
            "IfExp" => {
                if let (Some(test), Some(body), Some(orelse)) =
                    (e.node("test"), e.node("body"), e.node("orelse"))
                {
                    let end = self.new_label();
                    let next2 = self.new_label();
                    self.jump_if(test, next2, false)?;
                    self.jump_if(body, label, cond)?;
                    self.emit_jump(Op::JUMP_NO_INTERRUPT, end, Loc::NONE);
                    self.use_label(next2);
                    self.jump_if(orelse, label, cond)?;
                    self.use_label(end);
                    return Ok(());
                }
            }
            "Compare" => {
                let ops: Vec<&'a AstNode> = e.nodes("ops").collect();
                let comparators: Vec<&'a AstNode> = e.nodes("comparators").collect();
                if ops.len() > 1 && ops.len() == comparators.len() {
                    self.check_compare(e);
                    let loc = self.loc(e);
                    let n = ops.len() - 1;
                    let cleanup = self.new_label();
                    if let Some(left) = e.node("left") {
                        self.visit_expr(left)?;
                    }
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
    pub fn add_compare(&mut self, op: &AstNode, loc: Loc) -> R {
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
        let (cmp, mask) = match op.kind.name() {
            "Eq" => (EQ, MASK_EQ),
            "NotEq" => (NE, MASK_NE),
            "Lt" => (LT, MASK_LT),
            "LtE" => (LE, MASK_LT | MASK_EQ),
            "Gt" => (GT, MASK_GT),
            "GtE" => (GE, MASK_GT | MASK_EQ),
            "Is" | "IsNot" => {
                self.emit_arg(Op::IS_OP, u32::from(op.is("IsNot")), loc);
                return Ok(());
            }
            "In" | "NotIn" => {
                self.emit_arg(Op::CONTAINS_OP, u32::from(op.is("NotIn")), loc);
                return Ok(());
            }
            other => return Err(self.unsupported(&format!("the `{other}` comparison"), op)),
        };
        self.emit_arg(Op::COMPARE_OP, (cmp << 5) | mask, loc);
        Ok(())
    }

    /// `codegen_ifexp`.
    fn ifexp(&mut self, e: &'a AstNode) -> R {
        let (Some(test), Some(body), Some(orelse)) =
            (e.node("test"), e.node("body"), e.node("orelse"))
        else {
            return Err(self.unsupported("this conditional expression", e));
        };
        let end = self.new_label();
        let next = self.new_label();
        self.jump_if(test, next, false)?;
        self.visit_expr(body)?;
        self.emit_jump(Op::JUMP_NO_INTERRUPT, end, Loc::NONE);
        self.use_label(next);
        self.visit_expr(orelse)?;
        self.use_label(end);
        Ok(())
    }

    // ----- displays and unpacking --------------------------------------------------------------

    /// `starunpack_helper_impl`: builds a list, tuple or set from `elts` (some maybe starred),
    /// on top of `pushed` values already on the stack, plus the variable `injected` at the end.
    fn starunpack(
        &mut self,
        loc: Loc,
        elts: &'a [AstValue],
        injected: Option<&str>,
        pushed: u32,
        d: Display,
    ) -> R {
        let elts: Vec<&'a AstNode> = elts.iter().filter_map(AstValue::as_node).collect();
        let n = elts.len();
        let big = n + pushed as usize + usize::from(injected.is_some()) > STACK_USE_GUIDELINE;
        let seen_star = elts.iter().any(|e| e.is("Starred"));
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
            if elt.is("Starred") {
                if !built {
                    self.emit_arg(d.build, i as u32 + pushed, loc);
                    built = true;
                }
                let Some(value) = elt.node("value") else {
                    return Err(self.unsupported("this starred expression", elt));
                };
                self.visit_expr(value)?;
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
            if elt.is("Starred") {
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
    fn assign_unpacked(&mut self, loc: Loc, elts: &'a [AstValue]) -> R {
        let elts: Vec<&'a AstNode> = elts.iter().filter_map(AstValue::as_node).collect();
        self.unpack(loc, &elts)?;
        for elt in elts {
            let target = if elt.is("Starred") {
                match elt.node("value") {
                    Some(v) => v,
                    None => return Err(self.unsupported("this starred target", elt)),
                }
            } else {
                elt
            };
            self.visit_expr(target)?;
        }
        Ok(())
    }

    /// `codegen_list` / `codegen_tuple`.
    fn list_or_tuple(&mut self, e: &'a AstNode, d: Display) -> R {
        let loc = self.loc(e);
        let elts = e.list("elts");
        match Ctx::of(e) {
            Ctx::Store => self.assign_unpacked(loc, elts),
            Ctx::Load => self.starunpack(loc, elts, None, 0, d),
            Ctx::Del => self.visit_exprs(elts.iter().filter_map(AstValue::as_node)),
        }
    }

    /// `codegen_subdict`: `BUILD_MAP` of the key/value pairs `begin..end` (one by one with
    /// `MAP_ADD` when there are many).
    fn subdict(&mut self, e: &'a AstNode, begin: usize, end: usize) -> R {
        let loc = self.loc(e);
        let keys = e.list("keys");
        let values = e.list("values");
        let n = end - begin;
        let big = n * 2 > STACK_USE_GUIDELINE;
        if big {
            self.emit_arg(Op::BUILD_MAP, 0, loc);
        }
        for i in begin..end {
            let (Some(k), Some(v)) = (
                keys.get(i).and_then(AstValue::as_node),
                values.get(i).and_then(AstValue::as_node),
            ) else {
                return Err(self.unsupported("this dictionary display", e));
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
    fn dict(&mut self, e: &'a AstNode) -> R {
        let loc = self.loc(e);
        let keys = e.list("keys");
        let values = e.list("values");
        let n = values.len();
        let mut have_dict = false;
        let mut elements = 0usize;
        for (i, value) in values.iter().enumerate() {
            let is_unpacking = keys.get(i).and_then(AstValue::as_node).is_none();
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
                let Some(v) = value.as_node() else {
                    return Err(self.unsupported("this dictionary display", e));
                };
                self.visit_expr(v)?;
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
    fn attr_loc(&self, mut loc: Loc, attr: &AstNode) -> Loc {
        let aloc = self.loc(attr);
        if loc.lineno != aloc.end_lineno {
            loc.lineno = aloc.end_lineno;
            let len = attr.str("attr").map_or(0, |s| s.chars().count()) as i32;
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
    fn note_static_attribute(&mut self, e: &AstNode) {
        let Some(value) = e.node("value") else {
            return;
        };
        if !value.is("Name") || Ctx::of(e) != Ctx::Store || value.str("id") != Some("self") {
            return;
        }
        let Some(attr) = e.str("attr") else {
            return;
        };
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
    /// when `super` is the builtin and its implicit arguments are at hand.
    fn can_optimize_super_call(&self, attr: &AstNode) -> bool {
        let Some(call) = attr.node("value") else {
            return false;
        };
        if !call.is("Call") {
            return false;
        }
        let Some(func) = call.node("func") else {
            return false;
        };
        if !func.is("Name")
            || func.str("id") != Some("super")
            || attr.str("attr") == Some("__class__")
            || !call.list("keywords").is_empty()
        {
            return false;
        }
        if self.get_scope("super") != Some(NameScope::GlobalImplicit) {
            return false;
        }
        if self.top_symbol("super").is_some() {
            return false;
        }
        let args: Vec<&AstNode> = call.nodes("args").collect();
        if args.len() == 2 {
            return !args.iter().any(|a| a.is("Starred"));
        }
        if !args.is_empty() {
            return false;
        }
        let code = &self.u().code;
        if code.argcount == 0 && code.posonlyargcount == 0 {
            return false;
        }
        self.ref_type("__class__") == Some(NameScope::Free)
    }

    /// `load_args_for_super`: `super`, then its two arguments (explicit, or `__class__` and the
    /// first parameter).
    fn load_args_for_super(&mut self, call: &'a AstNode) -> R {
        let loc = self.loc(call);
        let Some(func) = call.node("func") else {
            return Err(self.unsupported("this `super()` call", call));
        };
        let floc = self.loc(func);
        self.nameop(func.str("id").unwrap_or("super"), Ctx::Load, floc)?;
        let args: Vec<&'a AstNode> = call.nodes("args").collect();
        if args.len() == 2 {
            self.visit_expr(args[0])?;
            self.visit_expr(args[1])?;
            return Ok(());
        }
        self.nameop("__class__", Ctx::Load, loc)?;
        let Some(first) = self.u().code.varnames.first().cloned() else {
            return Err(self.unsupported("`super()` without arguments here", call));
        };
        self.nameop(&first, Ctx::Load, loc)
    }

    /// The `Attribute` expression: load (maybe through `super`), store or delete.
    fn attribute(&mut self, e: &'a AstNode) -> R {
        let loc = self.loc(e);
        let (Some(value), Some(attr)) = (e.node("value"), e.str("attr")) else {
            return Err(self.unsupported("this attribute", e));
        };
        let ctx = Ctx::of(e);
        if ctx == Ctx::Load && self.can_optimize_super_call(e) {
            self.load_args_for_super(value)?;
            let op = if value.list("args").is_empty() {
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
    fn subscript(&mut self, e: &'a AstNode) -> R {
        let loc = self.loc(e);
        let ctx = Ctx::of(e);
        let (Some(value), Some(slice)) = (e.node("value"), e.node("slice")) else {
            return Err(self.unsupported("this subscript", e));
        };
        if ctx == Ctx::Load {
            self.check_subscripter(value);
            self.check_index(value, slice);
        }
        self.visit_expr(value)?;
        if two_part_slice(slice) && ctx != Ctx::Del {
            self.slice_two_parts(slice)?;
            let op = if ctx == Ctx::Load {
                Op::BINARY_SLICE
            } else {
                Op::STORE_SLICE
            };
            self.emit(op, loc);
        } else {
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
        Ok(())
    }

    /// `codegen_slice_two_parts`: start and stop (`None` when absent).
    fn slice_two_parts(&mut self, s: &'a AstNode) -> R {
        let loc = self.loc(s);
        for part in ["lower", "upper"] {
            match s.node(part) {
                Some(p) => self.visit_expr(p)?,
                None => self.load_const(ConstValue::None, loc),
            }
        }
        Ok(())
    }

    /// `codegen_slice`: a constant `slice` object when every part is constant, else
    /// `BUILD_SLICE`.
    fn slice(&mut self, s: &'a AstNode) -> R {
        let loc = self.loc(s);
        if let Some(parts) = constant_slice(s) {
            self.load_const(ConstValue::Slice(Box::new(parts)), loc);
            return Ok(());
        }
        self.slice_two_parts(s)?;
        let mut n = 2;
        if let Some(step) = s.node("step") {
            n += 1;
            self.visit_expr(step)?;
        }
        self.emit_arg(Op::BUILD_SLICE, n, loc);
        Ok(())
    }

    // ----- calls -------------------------------------------------------------------------------

    /// `codegen_validate_keywords`: no keyword may be passed twice.
    fn validate_keywords(&self, keywords: &'a [AstValue]) -> R {
        let kws: Vec<&AstNode> = keywords.iter().filter_map(AstValue::as_node).collect();
        for (i, k) in kws.iter().enumerate() {
            let Some(name) = k.str("arg") else {
                continue;
            };
            for other in &kws[i + 1..] {
                if other.str("arg") == Some(name) {
                    return Err(self.error(
                        self.loc(other),
                        format!("keyword argument repeated: {name}"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// `is_import_originated`: `e` is a name the module binds by `import`.
    fn is_import_originated(&self, e: &AstNode) -> bool {
        if !e.is("Name") {
            return false;
        }
        let Some(id) = e.str("id") else {
            return false;
        };
        self.top_symbol(id)
            .is_some_and(|s| s.flags & crate::symtable::flags::DEF_IMPORT != 0)
    }

    /// `codegen_call`.
    fn call(&mut self, e: &'a AstNode) -> R {
        let keywords = e.list("keywords");
        self.validate_keywords(keywords)?;
        if self.maybe_optimize_method_call(e)? {
            return Ok(());
        }
        let Some(func) = e.node("func") else {
            return Err(self.unsupported("this call", e));
        };
        let skip_normal_call = self.new_label();
        self.check_caller(func);
        self.visit_expr(func)?;
        self.maybe_optimize_function_call(e, skip_normal_call)?;
        let floc = self.loc(func);
        self.emit(Op::PUSH_NULL, floc);
        let loc = self.loc(e);
        self.call_helper(loc, 0, e.list("args"), None, keywords)?;
        self.use_label(skip_normal_call);
        Ok(())
    }

    /// `maybe_optimize_method_call`: `obj.meth(args)` as `LOAD_ATTR` (method form) + `CALL`
    /// when no argument is unpacked. Returns whether it did.
    fn maybe_optimize_method_call(&mut self, e: &'a AstNode) -> R<bool> {
        let Some(meth) = e.node("func") else {
            return Ok(false);
        };
        if !meth.is("Attribute") || Ctx::of(meth) != Ctx::Load {
            return Ok(false);
        }
        let (Some(value), Some(attr)) = (meth.node("value"), meth.str("attr")) else {
            return Ok(false);
        };
        if self.is_import_originated(value) {
            return Ok(false);
        }
        let args: Vec<&'a AstNode> = e.nodes("args").collect();
        let keywords = e.list("keywords");
        let kws: Vec<&'a AstNode> = keywords.iter().filter_map(AstValue::as_node).collect();
        let (argsl, kwdsl) = (args.len(), kws.len());
        if argsl + kwdsl + usize::from(kwdsl != 0) >= STACK_USE_GUIDELINE {
            return Ok(false);
        }
        if args.iter().any(|a| a.is("Starred")) || kws.iter().any(|k| k.str("arg").is_none()) {
            return Ok(false);
        }
        let mut loc = self.loc(meth);
        if self.can_optimize_super_call(meth) {
            self.load_args_for_super(value)?;
            let op = if value.list("args").is_empty() {
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
        let eloc = self.loc(e);
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
    fn maybe_optimize_function_call(&mut self, e: &'a AstNode, end: Label) -> R<bool> {
        let Some(func) = e.node("func") else {
            return Ok(false);
        };
        let args: Vec<&'a AstNode> = e.nodes("args").collect();
        if !func.is("Name")
            || args.len() != 1
            || !e.list("keywords").is_empty()
            || !args[0].is("GeneratorExp")
        {
            return Ok(false);
        }
        let folds = call_folds(self.version);
        let Some(&(name, fold)) = folds
            .builtins
            .iter()
            .find(|(n, _)| Some(*n) == func.str("id"))
        else {
            return Ok(false);
        };
        let loc = self.loc(func);
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
        if folds.null_under_iter {
            self.emit(Op::PUSH_NULL, loc);
        }
        self.use_label(lp);
        self.emit_jump(Op::FOR_ITER, cleanup, loc);
        let depth = if folds.null_under_iter { 3 } else { 2 };
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
    fn visit_keyword_values(&mut self, kws: &[&'a AstNode]) -> R {
        for k in kws {
            let Some(value) = k.node("value") else {
                return Err(self.unsupported("this keyword argument", k));
            };
            self.visit_expr(value)?;
        }
        Ok(())
    }

    /// `codegen_call_simple_kw_helper`: the tuple of keyword names for `CALL_KW`.
    fn kwnames(&mut self, loc: Loc, kws: &[&'a AstNode]) {
        let names = kws
            .iter()
            .map(|k| ConstValue::Str(k.str("arg").unwrap_or("").to_string().into()))
            .collect();
        self.load_ident_const(ConstValue::Tuple(names), loc);
    }

    /// `codegen_subkwargs`: a dict of the keyword arguments `begin..end`.
    fn subkwargs(&mut self, loc: Loc, kws: &[&'a AstNode], begin: usize, end: usize) -> R {
        let n = end - begin;
        let big = n * 2 > STACK_USE_GUIDELINE;
        if big {
            self.emit_arg(Op::BUILD_MAP, 0, Loc::NONE);
        }
        for k in &kws[begin..end] {
            let name = k.str("arg").unwrap_or("").to_string();
            self.load_ident_const(ConstValue::Str(name.into()), loc);
            let Some(value) = k.node("value") else {
                return Err(self.unsupported("this keyword argument", k));
            };
            self.visit_expr(value)?;
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
    /// definitions.
    pub fn call_helper(
        &mut self,
        loc: Loc,
        n: u32,
        args: &'a [AstValue],
        injected: Option<&str>,
        keywords: &'a [AstValue],
    ) -> R {
        self.validate_keywords(keywords)?;
        let elts: Vec<&'a AstNode> = args.iter().filter_map(AstValue::as_node).collect();
        let kws: Vec<&'a AstNode> = keywords.iter().filter_map(AstValue::as_node).collect();
        let nelts = elts.len();
        let nkwelts = kws.len();
        let simple = nelts + nkwelts * 2 <= STACK_USE_GUIDELINE
            && !elts.iter().any(|a| a.is("Starred"))
            && !kws.iter().any(|k| k.str("arg").is_none());
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
        if n == 0 && nelts == 1 && elts[0].is("Starred") {
            let Some(value) = elts[0].node("value") else {
                return Err(self.unsupported("this starred argument", elts[0]));
            };
            self.visit_expr(value)?;
        } else {
            self.starunpack(loc, args, injected, n, TUPLE)?;
        }
        // ... and the keyword arguments as one dict.
        if nkwelts > 0 {
            let mut have_dict = false;
            let mut nseen = 0;
            for (i, k) in kws.iter().enumerate() {
                if k.str("arg").is_none() {
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
                    let Some(value) = k.node("value") else {
                        return Err(self.unsupported("this keyword argument", k));
                    };
                    self.visit_expr(value)?;
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
    fn joined_str(&mut self, e: &'a AstNode) -> R {
        let loc = self.loc(e);
        let values: Vec<Part<'a>> = e.nodes("values").map(Part::Node).collect();
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
    fn formatted_value(&mut self, e: &'a AstNode) -> R {
        let Some(value) = e.node("value") else {
            return Err(self.unsupported("this f-string field", e));
        };
        self.visit_expr(value)?;
        let loc = self.loc(e);
        let conversion = e.int("conversion").unwrap_or(-1);
        if conversion != -1 {
            let Some(c) = conversion_oparg(conversion) else {
                return Err(self.unsupported("this f-string conversion", e));
            };
            self.emit_arg(Op::CONVERT_VALUE, c, loc);
        }
        match e.node("format_spec") {
            Some(spec) => {
                self.visit_expr(spec)?;
                self.emit(Op::FORMAT_WITH_SPEC, loc);
            }
            None => self.emit(Op::FORMAT_SIMPLE, loc),
        }
        Ok(())
    }

    /// `codegen_template_str`: the strings as one tuple, the interpolations as another.
    fn template_str(&mut self, e: &'a AstNode) -> R {
        let loc = self.loc(e);
        let values: Vec<&'a AstNode> = e.nodes("values").collect();
        let mut last_was_interpolation = true;
        let mut strings = 0;
        for v in &values {
            if v.is("Interpolation") {
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
            if v.is("Interpolation") {
                self.visit_expr(v)?;
                interpolations += 1;
            }
        }
        self.emit_arg(Op::BUILD_TUPLE, interpolations, loc);
        self.emit(Op::BUILD_TEMPLATE, loc);
        Ok(())
    }

    /// `codegen_interpolation`: value, source text, format spec → `BUILD_INTERPOLATION`.
    fn interpolation(&mut self, e: &'a AstNode) -> R {
        let loc = self.loc(e);
        let Some(value) = e.node("value") else {
            return Err(self.unsupported("this t-string field", e));
        };
        self.visit_expr(value)?;
        let text = match e.field("str") {
            Some(AstValue::Str(s)) => s.as_str().into(),
            Some(AstValue::Const(Constant::Str(s))) => s.clone(),
            _ => return Err(self.unsupported("this t-string field", e)),
        };
        self.load_const(ConstValue::Str(text), loc);
        let mut oparg = 2;
        if let Some(spec) = e.node("format_spec") {
            oparg += 1;
            self.visit_expr(spec)?;
        }
        let conversion = e.int("conversion").unwrap_or(-1);
        if conversion != -1 {
            let Some(c) = conversion_oparg(conversion) else {
                return Err(self.unsupported("this t-string conversion", e));
            };
            oparg |= c << 2;
        }
        self.emit_arg(Op::BUILD_INTERPOLATION, oparg, loc);
        Ok(())
    }

    // ----- compile-time warnings ---------------------------------------------------------------

    /// `codegen_check_compare`: `is`/`is not` with a literal operand (other than `None`, `True`,
    /// `False`, `...`) warns, once per comparison.
    fn check_compare(&mut self, e: &AstNode) {
        let Some(mut left_expr) = e.node("left") else {
            return;
        };
        let mut left = check_is_arg(left_expr);
        for (op, right_expr) in e.nodes("ops").zip(e.nodes("comparators")) {
            let right = check_is_arg(right_expr);
            if (op.is("Is") || op.is("IsNot")) && (!right || !left) {
                let literal = if left { right_expr } else { left_expr };
                let ty = infer_type(literal).unwrap_or("object");
                let msg = if op.is("Is") {
                    format!("\"is\" with '{ty}' literal. Did you mean \"==\"?")
                } else {
                    format!("\"is not\" with '{ty}' literal. Did you mean \"!=\"?")
                };
                let loc = self.loc(e);
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
            "Constant"
                | "Tuple"
                | "List"
                | "ListComp"
                | "Dict"
                | "DictComp"
                | "Set"
                | "SetComp"
                | "GeneratorExp"
                | "JoinedStr"
                | "TemplateStr"
                | "FormattedValue"
                | "Interpolation"
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
            "Constant" => matches!(
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
            "Set" | "SetComp" | "GeneratorExp" | "TemplateStr" | "Interpolation" | "Lambda" => true,
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
            "Constant" => matches!(
                folded_const(value),
                Some(ConstValue::Str(_) | ConstValue::Bytes(_) | ConstValue::Tuple(_))
            ),
            "Tuple" | "List" | "ListComp" | "JoinedStr" | "FormattedValue" => true,
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
        let (Some(e), Some(value), Some(op)) = (s.node("target"), s.node("value"), s.node("op"))
        else {
            return Err(self.unsupported("this augmented assignment", s));
        };
        let loc = self.loc(e);
        match e.kind.name() {
            "Attribute" => {
                let (Some(obj), Some(attr)) = (e.node("value"), e.str("attr")) else {
                    return Err(self.unsupported("this augmented assignment", s));
                };
                self.visit_expr(obj)?;
                self.emit_arg(Op::COPY, 1, loc);
                let aloc = self.attr_loc(loc, e);
                self.emit_name(NameOp::Plain(Op::LOAD_ATTR), attr, aloc);
            }
            "Subscript" => {
                let (Some(obj), Some(slice)) = (e.node("value"), e.node("slice")) else {
                    return Err(self.unsupported("this augmented assignment", s));
                };
                self.visit_expr(obj)?;
                if two_part_slice(slice) {
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
            "Name" => {
                let id = e.str("id").unwrap_or("");
                self.nameop(id, Ctx::Load, loc)?;
            }
            _ => return Err(self.unsupported("this augmented assignment target", e)),
        }
        let sloc = self.loc(s);
        self.visit_expr(value)?;
        self.add_binary(op, true, sloc)?;
        match e.kind.name() {
            "Attribute" => {
                let aloc = self.attr_loc(loc, e);
                self.emit_arg(Op::SWAP, 2, aloc);
                self.emit_name(
                    NameOp::Plain(Op::STORE_ATTR),
                    e.str("attr").unwrap_or(""),
                    aloc,
                );
            }
            "Subscript" => {
                if e.node("slice").is_some_and(two_part_slice) {
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
            _ => {
                let id = e.str("id").unwrap_or("");
                self.nameop(id, Ctx::Store, loc)?;
            }
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
    match e.kind.name() {
        "Constant" => Some(e.constant().map(const_value).unwrap_or(ConstValue::None)),
        "Name" if e.str("id") == Some("__debug__") && Ctx::of(e) == Ctx::Load => {
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
fn folded_kind(e: &AstNode) -> &str {
    if e.is("Name") && is_const_expr(e) {
        "Constant"
    } else {
        e.kind.name()
    }
}

/// `infer_type`: the name of the type an expression certainly has, when its kind tells.
fn infer_type(e: &AstNode) -> Option<&'static str> {
    Some(match e.kind.name() {
        "Tuple" => "tuple",
        "List" | "ListComp" => "list",
        "Dict" | "DictComp" => "dict",
        "Set" | "SetComp" => "set",
        "GeneratorExp" => "generator",
        "Lambda" => "function",
        "TemplateStr" | "Interpolation" => "string.templatelib.Template",
        "JoinedStr" | "FormattedValue" => "str",
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
    if e.is("Tuple") {
        return !e.nodes("elts").all(is_const_expr);
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
fn constant_slice(s: &AstNode) -> Option<[ConstValue; 3]> {
    if !s.is("Slice") {
        return None;
    }
    let part = |name: &str| -> Option<ConstValue> {
        match s.node(name) {
            None => Some(ConstValue::None),
            Some(p) => folded_const(p),
        }
    };
    Some([part("lower")?, part("upper")?, part("step")?])
}

/// `should_apply_two_element_slice_optimization`: `a[x:y]` (not constant, no step) uses
/// `BINARY_SLICE`/`STORE_SLICE`.
fn two_part_slice(s: &AstNode) -> bool {
    s.is("Slice") && constant_slice(s).is_none() && s.node("step").is_none()
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
        let warnings = super::super::compile_module_with_warnings(&tree, &table, &src, v).1;
        cpyviz_model::error::render_warnings(&warnings, &src)
    }
}

//! Expressions: names, constants, operators, comparisons and short-circuit jumps, containers,
//! attribute/subscript/slice access, calls, f-strings, conditional and named expressions.

use super::{Compiler, Ctx, R};
use crate::compiler::ir::{ConstValue, Label, Loc};
use crate::compiler::op::Op;

use crate::pipeline::ast::{AstNode, Constant};
use num_bigint::BigInt;

impl<'a> Compiler<'a> {
    /// `codegen_visit_expr`.
    pub fn visit_expr(&mut self, e: &'a AstNode) -> R {
        let loc = self.loc(e);
        match e.kind.as_str() {
            "Name" => {
                let id = e.str("id").unwrap_or("");
                self.nameop(id, Ctx::of(e), loc)
            }
            "Constant" => {
                let value = e.constant().map(const_value).unwrap_or(ConstValue::None);
                self.load_const(value, loc);
                Ok(())
            }
            "Lambda" => self.lambda(e),
            "ListComp" | "SetComp" | "DictComp" | "GeneratorExp" => self.comprehension(e),
            "Yield" | "YieldFrom" | "Await" => self.yield_or_await(e),
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

    /// Placeholder kept so the location helper is used by every module.
    pub fn expr_loc(&self, e: &AstNode) -> Loc {
        self.loc(e)
    }

    /// `codegen_jump_if`: evaluates `e` for its truth and jumps to `label` when it is `cond`,
    /// short-circuiting `not`, `and`/`or`, conditional expressions and chained comparisons.
    pub fn jump_if(&mut self, e: &'a AstNode, label: Label, cond: bool) -> R {
        match e.kind.as_str() {
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
        let (cmp, mask) = match op.kind.as_str() {
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

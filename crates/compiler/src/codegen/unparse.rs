//! `_PyAST_ExprAsUnicode` (`Python/ast_unparse.c`): the source text CPython stores for an
//! annotation under `from __future__ import annotations` — a canonical spelling rebuilt from
//! the AST (operators spaced, minimal parentheses by precedence, constants by `repr`).

use cpyviz_model::version::PyVersion;
use cpyviz_syntax::ast::{
    constant_repr, Arg, Arguments, AstNode, BoolOperator, CmpOperator, Comprehension, Constant,
    ConstantExpr, Expr, FormattedValue, JoinedStr, Keyword, Nodes, Operator, UnaryOperator,
};

/// The text being built, and the version whose `repr` rules constants follow.
struct Out {
    text: String,
    version: PyVersion,
}

impl std::ops::Deref for Out {
    type Target = String;
    fn deref(&self) -> &String {
        &self.text
    }
}

impl std::ops::DerefMut for Out {
    fn deref_mut(&mut self) -> &mut String {
        &mut self.text
    }
}

/// Precedence levels, lowest first.
const PR_TUPLE: u8 = 0;
/// `if`-`else`, `lambda`.
const PR_TEST: u8 = 1;
const PR_OR: u8 = 2;
const PR_AND: u8 = 3;
const PR_NOT: u8 = 4;
const PR_CMP: u8 = 5;
const PR_EXPR: u8 = 6;
const PR_BOR: u8 = PR_EXPR;
const PR_BXOR: u8 = 7;
const PR_BAND: u8 = 8;
const PR_SHIFT: u8 = 9;
const PR_ARITH: u8 = 10;
const PR_TERM: u8 = 11;
const PR_FACTOR: u8 = 12;
const PR_POWER: u8 = 13;
const PR_AWAIT: u8 = 14;
const PR_ATOM: u8 = 15;

/// The text of `e` as an annotation string, as CPython `version` spells it; `None` for a
/// malformed tree.
pub fn unparse(e: &AstNode, version: PyVersion, out: &mut String) -> Option<()> {
    let mut o = Out {
        text: std::mem::take(out),
        version,
    };
    let r = expr(e, PR_TEST, &mut o);
    *out = o.text;
    r
}

fn open(level: u8, pr: u8, out: &mut Out) {
    if level > pr {
        out.push('(');
    }
}

fn close(level: u8, pr: u8, out: &mut Out) {
    if level > pr {
        out.push(')');
    }
}

/// `repr()` of a constant, with infinities spelled `1e309` so the text parses back.
fn constant(c: &Constant, out: &mut Out) {
    let text = constant_repr(c, out.version);
    match c {
        Constant::Float(f) if f.is_infinite() => out.push_str(&text.replace("inf", "1e309")),
        Constant::Complex { .. } => out.push_str(&text.replace("inf", "1e309")),
        _ => out.push_str(&text),
    }
}

fn seq(nodes: Nodes<'_>, level: u8, out: &mut Out) -> Option<()> {
    for (i, n) in nodes.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        expr(n, level, out)?;
    }
    Some(())
}

fn expr(e: &AstNode, level: u8, out: &mut Out) -> Option<()> {
    match Expr::cast(e)? {
        Expr::BoolOp(b) => {
            let (op, pr) = match b.op() {
                BoolOperator::And => (" and ", PR_AND),
                BoolOperator::Or => (" or ", PR_OR),
            };
            open(level, pr, out);
            for (i, v) in b.values().iter().enumerate() {
                if i > 0 {
                    out.push_str(op);
                }
                expr(v, pr + 1, out)?;
            }
            close(level, pr, out);
        }
        Expr::BinOp(b) => {
            let (op, pr, rassoc) = match b.op() {
                Operator::Add => (" + ", PR_ARITH, false),
                Operator::Sub => (" - ", PR_ARITH, false),
                Operator::Mult => (" * ", PR_TERM, false),
                Operator::MatMult => (" @ ", PR_TERM, false),
                Operator::Div => (" / ", PR_TERM, false),
                Operator::Mod => (" % ", PR_TERM, false),
                Operator::LShift => (" << ", PR_SHIFT, false),
                Operator::RShift => (" >> ", PR_SHIFT, false),
                Operator::BitOr => (" | ", PR_BOR, false),
                Operator::BitXor => (" ^ ", PR_BXOR, false),
                Operator::BitAnd => (" & ", PR_BAND, false),
                Operator::FloorDiv => (" // ", PR_TERM, false),
                Operator::Pow => (" ** ", PR_POWER, true),
            };
            open(level, pr, out);
            expr(b.left(), pr + u8::from(rassoc), out)?;
            out.push_str(op);
            expr(b.right(), pr + u8::from(!rassoc), out)?;
            close(level, pr, out);
        }
        Expr::UnaryOp(u) => {
            let (op, pr) = match u.op() {
                UnaryOperator::Invert => ("~", PR_FACTOR),
                UnaryOperator::Not => ("not ", PR_NOT),
                UnaryOperator::UAdd => ("+", PR_FACTOR),
                UnaryOperator::USub => ("-", PR_FACTOR),
            };
            open(level, pr, out);
            out.push_str(op);
            expr(u.operand(), pr, out)?;
            close(level, pr, out);
        }
        Expr::Lambda(l) => {
            let args = Arguments(l.args());
            open(level, PR_TEST, out);
            let positional = args.args().len() + args.posonlyargs().len();
            out.push_str(if positional > 0 { "lambda " } else { "lambda" });
            arguments(args, out)?;
            out.push_str(": ");
            expr(l.body(), PR_TEST, out)?;
            close(level, PR_TEST, out);
        }
        Expr::IfExp(x) => {
            open(level, PR_TEST, out);
            expr(x.body(), PR_TEST + 1, out)?;
            out.push_str(" if ");
            expr(x.test(), PR_TEST + 1, out)?;
            out.push_str(" else ");
            expr(x.orelse(), PR_TEST, out)?;
            close(level, PR_TEST, out);
        }
        Expr::Dict(d) => {
            out.push('{');
            let keys = d.keys();
            for (i, v) in d.values().iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match keys.get(i).flatten() {
                    Some(k) => {
                        expr(k, PR_TEST, out)?;
                        out.push_str(": ");
                        expr(v, PR_TEST, out)?;
                    }
                    None => {
                        out.push_str("**");
                        expr(v, PR_EXPR, out)?;
                    }
                }
            }
            out.push('}');
        }
        Expr::Set(s) => {
            out.push('{');
            seq(s.elts(), PR_TEST, out)?;
            out.push('}');
        }
        Expr::GeneratorExp(g) => genexp(g.elt(), g.generators(), out)?,
        Expr::ListComp(c) => {
            out.push('[');
            expr(c.elt(), PR_TEST, out)?;
            comprehensions(c.generators(), out)?;
            out.push(']');
        }
        Expr::SetComp(c) => {
            out.push('{');
            expr(c.elt(), PR_TEST, out)?;
            comprehensions(c.generators(), out)?;
            out.push('}');
        }
        Expr::DictComp(c) => {
            out.push('{');
            expr(c.key(), PR_TEST, out)?;
            out.push_str(": ");
            // 3.15's `{**d for d in ds}` has no value: not modelled (refused by the caller).
            expr(c.value()?, PR_TEST, out)?;
            comprehensions(c.generators(), out)?;
            out.push('}');
        }
        Expr::Yield(y) => match y.value() {
            None => out.push_str("(yield)"),
            Some(v) => {
                out.push_str("(yield ");
                expr(v, PR_TEST, out)?;
                out.push(')');
            }
        },
        Expr::YieldFrom(y) => {
            out.push_str("(yield from ");
            expr(y.value(), PR_TEST, out)?;
            out.push(')');
        }
        Expr::Await(a) => {
            open(level, PR_AWAIT, out);
            out.push_str("await ");
            expr(a.value(), PR_ATOM, out)?;
            close(level, PR_AWAIT, out);
        }
        Expr::Compare(c) => {
            open(level, PR_CMP, out);
            expr(c.left(), PR_CMP + 1, out)?;
            let comparators = c.comparators();
            for (i, op) in c.ops().enumerate() {
                out.push_str(match op {
                    CmpOperator::Eq => " == ",
                    CmpOperator::NotEq => " != ",
                    CmpOperator::Lt => " < ",
                    CmpOperator::LtE => " <= ",
                    CmpOperator::Gt => " > ",
                    CmpOperator::GtE => " >= ",
                    CmpOperator::Is => " is ",
                    CmpOperator::IsNot => " is not ",
                    CmpOperator::In => " in ",
                    CmpOperator::NotIn => " not in ",
                });
                expr(comparators.get(i)?, PR_CMP + 1, out)?;
            }
            close(level, PR_CMP, out);
        }
        Expr::Call(c) => {
            expr(c.func(), PR_ATOM, out)?;
            let args = c.args();
            let keywords = c.keywords();
            if args.len() == 1 && keywords.is_empty() {
                if let Some(Expr::GeneratorExp(g)) = args.get(0).and_then(Expr::cast) {
                    // `f(x for x in y)`: the generator's parentheses are the call's.
                    return genexp(g.elt(), g.generators(), out);
                }
            }
            out.push('(');
            let mut first = true;
            for a in args {
                if !first {
                    out.push_str(", ");
                }
                first = false;
                expr(a, PR_TEST, out)?;
            }
            for k in keywords.iter().map(Keyword) {
                if !first {
                    out.push_str(", ");
                }
                first = false;
                match k.arg() {
                    Some(name) => {
                        out.push_str(name);
                        out.push('=');
                    }
                    None => out.push_str("**"),
                }
                expr(k.value(), PR_TEST, out)?;
            }
            out.push(')');
        }
        Expr::Constant(c) => {
            let value = c.value();
            if matches!(value, Constant::Ellipsis) {
                out.push_str("...");
                return Some(());
            }
            if let Some(kind) = c.kind() {
                out.push_str(kind);
            }
            constant(value, out);
        }
        Expr::JoinedStr(j) => {
            let version = out.version;
            let body = fstring_body(j, version)?;
            out.push('f');
            out.push_str(&constant_repr(&Constant::Str(body.into()), version));
        }
        Expr::FormattedValue(f) => formatted_value(f, out)?,
        Expr::Attribute(a) => {
            let value = a.value();
            expr(value, PR_ATOM, out)?;
            // An integer needs a space before the dot.
            if ConstantExpr::cast(value).is_some_and(|c| matches!(c.value(), Constant::Int(_))) {
                out.push(' ');
            }
            out.push('.');
            out.push_str(a.attr());
        }
        Expr::Subscript(s) => {
            expr(s.value(), PR_ATOM, out)?;
            out.push('[');
            expr(s.slice(), PR_TUPLE, out)?;
            out.push(']');
        }
        Expr::Starred(s) => {
            out.push('*');
            expr(s.value(), PR_EXPR, out)?;
        }
        Expr::Slice(s) => {
            if let Some(lower) = s.lower() {
                expr(lower, PR_TEST, out)?;
            }
            out.push(':');
            if let Some(upper) = s.upper() {
                expr(upper, PR_TEST, out)?;
            }
            if let Some(step) = s.step() {
                out.push(':');
                expr(step, PR_TEST, out)?;
            }
        }
        Expr::Name(n) => out.push_str(n.id()),
        Expr::List(l) => {
            out.push('[');
            seq(l.elts(), PR_TEST, out)?;
            out.push(']');
        }
        Expr::Tuple(t) => {
            let elts = t.elts();
            if elts.is_empty() {
                out.push_str("()");
                return Some(());
            }
            open(level, PR_TUPLE, out);
            seq(elts, PR_TEST, out)?;
            if elts.len() == 1 {
                out.push(',');
            }
            close(level, PR_TUPLE, out);
        }
        Expr::NamedExpr(n) => {
            open(level, PR_TUPLE, out);
            expr(n.target(), PR_ATOM, out)?;
            out.push_str(" := ");
            expr(n.value(), PR_ATOM, out)?;
            close(level, PR_TUPLE, out);
        }
        // Template strings: not modelled (refused by the caller).
        Expr::TemplateStr(_) | Expr::Interpolation(_) => return None,
    }
    Some(())
}

/// A generator expression, in its parentheses.
fn genexp(elt: &AstNode, generators: Nodes<'_>, out: &mut Out) -> Option<()> {
    out.push('(');
    expr(elt, PR_TEST, out)?;
    comprehensions(generators, out)?;
    out.push(')');
    Some(())
}

fn comprehensions(generators: Nodes<'_>, out: &mut Out) -> Option<()> {
    for gen in generators.iter().map(Comprehension) {
        let is_async = gen.is_async() != 0;
        out.push_str(if is_async { " async for " } else { " for " });
        expr(gen.target(), PR_TUPLE, out)?;
        out.push_str(" in ");
        expr(gen.iter(), PR_TEST + 1, out)?;
        for cond in gen.ifs() {
            out.push_str(" if ");
            expr(cond, PR_TEST + 1, out)?;
        }
    }
    Some(())
}

/// `append_ast_args`: a lambda's parameters.
fn arguments(args: Arguments<'_>, out: &mut Out) -> Option<()> {
    let mut first = true;
    let mut sep = |out: &mut Out| {
        if !first {
            out.push_str(", ");
        }
        first = false;
    };
    let posonly: Vec<&AstNode> = args.posonlyargs().iter().collect();
    let plain: Vec<&AstNode> = args.args().iter().collect();
    let defaults = args.defaults();
    let total = posonly.len() + plain.len();
    for (i, a) in posonly.iter().chain(plain.iter()).enumerate() {
        sep(out);
        arg(a, out)?;
        let di = i as isize - total as isize + defaults.len() as isize;
        if di >= 0 {
            out.push('=');
            expr(defaults.get(di as usize)?, PR_TEST, out)?;
        }
        if !posonly.is_empty() && i + 1 == posonly.len() {
            out.push_str(", /");
        }
    }
    let kwonly: Vec<&AstNode> = args.kwonlyargs().iter().collect();
    let vararg = args.vararg();
    if vararg.is_some() || !kwonly.is_empty() {
        sep(out);
        out.push('*');
        if let Some(v) = vararg {
            arg(v, out)?;
        }
    }
    let kw_defaults = args.kw_defaults();
    for (i, a) in kwonly.iter().enumerate() {
        sep(out);
        arg(a, out)?;
        let di = i as isize - kwonly.len() as isize + kw_defaults.len() as isize;
        if di >= 0 {
            if let Some(d) = kw_defaults.get(di as usize).flatten() {
                out.push('=');
                expr(d, PR_TEST, out)?;
            }
        }
    }
    if let Some(k) = args.kwarg() {
        sep(out);
        out.push_str("**");
        arg(k, out)?;
    }
    Some(())
}

fn arg(a: &AstNode, out: &mut Out) -> Option<()> {
    let a = Arg(a);
    out.push_str(a.arg());
    if let Some(annotation) = a.annotation() {
        out.push_str(": ");
        expr(annotation, PR_TEST, out)?;
    }
    Some(())
}

/// The text inside an f-string's quotes (literal braces doubled).
fn fstring_body(e: JoinedStr<'_>, version: PyVersion) -> Option<String> {
    let mut body = Out {
        text: String::new(),
        version,
    };
    for v in e.values() {
        fstring_element(v, false, &mut body)?;
    }
    Some(body.text)
}

fn fstring_element(e: &AstNode, is_format_spec: bool, out: &mut Out) -> Option<()> {
    match Expr::cast(e)? {
        Expr::Constant(c) => match c.value() {
            // A lone surrogate in an f-string annotation: not modelled (refused by the caller).
            Constant::Str(s) => out.push_str(&s.as_str()?.replace('{', "{{").replace('}', "}}")),
            _ => return None,
        },
        Expr::JoinedStr(j) => {
            let version = out.version;
            let body = fstring_body(j, version)?;
            if is_format_spec {
                out.push_str(&body);
            } else {
                out.push('f');
                out.push_str(&constant_repr(&Constant::Str(body.into()), version));
            }
        }
        Expr::FormattedValue(f) => formatted_value(f, out)?,
        _ => return None,
    }
    Some(())
}

/// `append_formattedvalue`: `{value!r:spec}`.
fn formatted_value(e: FormattedValue<'_>, out: &mut Out) -> Option<()> {
    let mut value = Out {
        text: String::new(),
        version: out.version,
    };
    expr(e.value(), PR_TEST + 1, &mut value)?;
    let value = value.text;
    out.push_str(if value.starts_with('{') { "{ " } else { "{" });
    out.push_str(&value);
    match e.conversion() {
        -1 | 0 => {}
        c => {
            out.push('!');
            out.push(char::from_u32(c as u32)?);
        }
    }
    if let Some(spec) = e.format_spec() {
        out.push(':');
        fstring_element(spec, true, out)?;
    }
    out.push('}');
    Some(())
}

//! `_PyAST_ExprAsUnicode` (`Python/ast_unparse.c`): the source text CPython stores for an
//! annotation under `from __future__ import annotations` — a canonical spelling rebuilt from
//! the AST (operators spaced, minimal parentheses by precedence, constants by `repr`).

use cpyviz_model::version::PyVersion;
use cpyviz_syntax::ast::{constant_repr, AstNode, AstValue, Constant};

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

fn seq(nodes: &[AstValue], level: u8, out: &mut Out) -> Option<()> {
    for (i, n) in nodes.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        expr(n.as_node()?, level, out)?;
    }
    Some(())
}

fn expr(e: &AstNode, level: u8, out: &mut Out) -> Option<()> {
    match e.kind.name() {
        "BoolOp" => {
            let and = e.node("op")?.is("And");
            let (op, pr) = if and {
                (" and ", PR_AND)
            } else {
                (" or ", PR_OR)
            };
            open(level, pr, out);
            for (i, v) in e.nodes("values").enumerate() {
                if i > 0 {
                    out.push_str(op);
                }
                expr(v, pr + 1, out)?;
            }
            close(level, pr, out);
        }
        "BinOp" => {
            let (op, pr, rassoc) = match e.node("op")?.kind.name() {
                "Add" => (" + ", PR_ARITH, false),
                "Sub" => (" - ", PR_ARITH, false),
                "Mult" => (" * ", PR_TERM, false),
                "MatMult" => (" @ ", PR_TERM, false),
                "Div" => (" / ", PR_TERM, false),
                "Mod" => (" % ", PR_TERM, false),
                "LShift" => (" << ", PR_SHIFT, false),
                "RShift" => (" >> ", PR_SHIFT, false),
                "BitOr" => (" | ", PR_BOR, false),
                "BitXor" => (" ^ ", PR_BXOR, false),
                "BitAnd" => (" & ", PR_BAND, false),
                "FloorDiv" => (" // ", PR_TERM, false),
                "Pow" => (" ** ", PR_POWER, true),
                _ => return None,
            };
            open(level, pr, out);
            expr(e.node("left")?, pr + u8::from(rassoc), out)?;
            out.push_str(op);
            expr(e.node("right")?, pr + u8::from(!rassoc), out)?;
            close(level, pr, out);
        }
        "UnaryOp" => {
            let (op, pr) = match e.node("op")?.kind.name() {
                "Invert" => ("~", PR_FACTOR),
                "Not" => ("not ", PR_NOT),
                "UAdd" => ("+", PR_FACTOR),
                "USub" => ("-", PR_FACTOR),
                _ => return None,
            };
            open(level, pr, out);
            out.push_str(op);
            expr(e.node("operand")?, pr, out)?;
            close(level, pr, out);
        }
        "Lambda" => {
            let args = e.node("args")?;
            open(level, PR_TEST, out);
            let positional = args.list("args").len() + args.list("posonlyargs").len();
            out.push_str(if positional > 0 { "lambda " } else { "lambda" });
            arguments(args, out)?;
            out.push_str(": ");
            expr(e.node("body")?, PR_TEST, out)?;
            close(level, PR_TEST, out);
        }
        "IfExp" => {
            open(level, PR_TEST, out);
            expr(e.node("body")?, PR_TEST + 1, out)?;
            out.push_str(" if ");
            expr(e.node("test")?, PR_TEST + 1, out)?;
            out.push_str(" else ");
            expr(e.node("orelse")?, PR_TEST, out)?;
            close(level, PR_TEST, out);
        }
        "Dict" => {
            out.push('{');
            let keys = e.list("keys");
            for (i, v) in e.nodes("values").enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match keys.get(i).and_then(AstValue::as_node) {
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
        "Set" => {
            out.push('{');
            seq(e.list("elts"), PR_TEST, out)?;
            out.push('}');
        }
        "GeneratorExp" => genexp(e, out)?,
        "ListComp" => {
            out.push('[');
            expr(e.node("elt")?, PR_TEST, out)?;
            comprehensions(e, out)?;
            out.push(']');
        }
        "SetComp" => {
            out.push('{');
            expr(e.node("elt")?, PR_TEST, out)?;
            comprehensions(e, out)?;
            out.push('}');
        }
        "DictComp" => {
            out.push('{');
            expr(e.node("key")?, PR_TEST, out)?;
            out.push_str(": ");
            expr(e.node("value")?, PR_TEST, out)?;
            comprehensions(e, out)?;
            out.push('}');
        }
        "Yield" => match e.node("value") {
            None => out.push_str("(yield)"),
            Some(v) => {
                out.push_str("(yield ");
                expr(v, PR_TEST, out)?;
                out.push(')');
            }
        },
        "YieldFrom" => {
            out.push_str("(yield from ");
            expr(e.node("value")?, PR_TEST, out)?;
            out.push(')');
        }
        "Await" => {
            open(level, PR_AWAIT, out);
            out.push_str("await ");
            expr(e.node("value")?, PR_ATOM, out)?;
            close(level, PR_AWAIT, out);
        }
        "Compare" => {
            open(level, PR_CMP, out);
            expr(e.node("left")?, PR_CMP + 1, out)?;
            let comparators = e.list("comparators");
            for (i, op) in e.nodes("ops").enumerate() {
                out.push_str(match op.kind.name() {
                    "Eq" => " == ",
                    "NotEq" => " != ",
                    "Lt" => " < ",
                    "LtE" => " <= ",
                    "Gt" => " > ",
                    "GtE" => " >= ",
                    "Is" => " is ",
                    "IsNot" => " is not ",
                    "In" => " in ",
                    "NotIn" => " not in ",
                    _ => return None,
                });
                expr(comparators.get(i)?.as_node()?, PR_CMP + 1, out)?;
            }
            close(level, PR_CMP, out);
        }
        "Call" => {
            expr(e.node("func")?, PR_ATOM, out)?;
            let args = e.list("args");
            let keywords = e.list("keywords");
            if args.len() == 1 && keywords.is_empty() {
                if let Some(g) = args[0].as_node().filter(|g| g.is("GeneratorExp")) {
                    // `f(x for x in y)`: the generator's parentheses are the call's.
                    return genexp(g, out);
                }
            }
            out.push('(');
            let mut first = true;
            for a in args {
                if !first {
                    out.push_str(", ");
                }
                first = false;
                expr(a.as_node()?, PR_TEST, out)?;
            }
            for k in keywords.iter().filter_map(AstValue::as_node) {
                if !first {
                    out.push_str(", ");
                }
                first = false;
                match k.str("arg") {
                    Some(name) => {
                        out.push_str(name);
                        out.push('=');
                    }
                    None => out.push_str("**"),
                }
                expr(k.node("value")?, PR_TEST, out)?;
            }
            out.push(')');
        }
        "Constant" => {
            let c = e.constant()?;
            if matches!(c, Constant::Ellipsis) {
                out.push_str("...");
                return Some(());
            }
            if let Some(kind) = e.str("kind") {
                out.push_str(kind);
            }
            constant(c, out);
        }
        "JoinedStr" => {
            let version = out.version;
            let body = fstring_body(e, version)?;
            out.push('f');
            out.push_str(&constant_repr(&Constant::Str(body.into()), version));
        }
        "FormattedValue" => formatted_value(e, out)?,
        "Attribute" => {
            let value = e.node("value")?;
            expr(value, PR_ATOM, out)?;
            // An integer needs a space before the dot.
            if value.is("Constant") && matches!(value.constant(), Some(Constant::Int(_))) {
                out.push(' ');
            }
            out.push('.');
            out.push_str(e.str("attr")?);
        }
        "Subscript" => {
            expr(e.node("value")?, PR_ATOM, out)?;
            out.push('[');
            expr(e.node("slice")?, PR_TUPLE, out)?;
            out.push(']');
        }
        "Starred" => {
            out.push('*');
            expr(e.node("value")?, PR_EXPR, out)?;
        }
        "Slice" => {
            if let Some(lower) = e.node("lower") {
                expr(lower, PR_TEST, out)?;
            }
            out.push(':');
            if let Some(upper) = e.node("upper") {
                expr(upper, PR_TEST, out)?;
            }
            if let Some(step) = e.node("step") {
                out.push(':');
                expr(step, PR_TEST, out)?;
            }
        }
        "Name" => out.push_str(e.str("id")?),
        "List" => {
            out.push('[');
            seq(e.list("elts"), PR_TEST, out)?;
            out.push(']');
        }
        "Tuple" => {
            let elts = e.list("elts");
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
        "NamedExpr" => {
            open(level, PR_TUPLE, out);
            expr(e.node("target")?, PR_ATOM, out)?;
            out.push_str(" := ");
            expr(e.node("value")?, PR_ATOM, out)?;
            close(level, PR_TUPLE, out);
        }
        _ => return None,
    }
    Some(())
}

fn genexp(e: &AstNode, out: &mut Out) -> Option<()> {
    out.push('(');
    expr(e.node("elt")?, PR_TEST, out)?;
    comprehensions(e, out)?;
    out.push(')');
    Some(())
}

fn comprehensions(e: &AstNode, out: &mut Out) -> Option<()> {
    for gen in e.nodes("generators") {
        let is_async = gen.int("is_async").unwrap_or(0) != 0;
        out.push_str(if is_async { " async for " } else { " for " });
        expr(gen.node("target")?, PR_TUPLE, out)?;
        out.push_str(" in ");
        expr(gen.node("iter")?, PR_TEST + 1, out)?;
        for cond in gen.nodes("ifs") {
            out.push_str(" if ");
            expr(cond, PR_TEST + 1, out)?;
        }
    }
    Some(())
}

/// `append_ast_args`: a lambda's parameters.
fn arguments(args: &AstNode, out: &mut Out) -> Option<()> {
    let mut first = true;
    let mut sep = |out: &mut Out| {
        if !first {
            out.push_str(", ");
        }
        first = false;
    };
    let posonly: Vec<&AstNode> = args.nodes("posonlyargs").collect();
    let plain: Vec<&AstNode> = args.nodes("args").collect();
    let defaults = args.list("defaults");
    let total = posonly.len() + plain.len();
    for (i, a) in posonly.iter().chain(plain.iter()).enumerate() {
        sep(out);
        arg(a, out)?;
        let di = i as isize - total as isize + defaults.len() as isize;
        if di >= 0 {
            out.push('=');
            expr(defaults.get(di as usize)?.as_node()?, PR_TEST, out)?;
        }
        if !posonly.is_empty() && i + 1 == posonly.len() {
            out.push_str(", /");
        }
    }
    let kwonly: Vec<&AstNode> = args.nodes("kwonlyargs").collect();
    let vararg = args.node("vararg");
    if vararg.is_some() || !kwonly.is_empty() {
        sep(out);
        out.push('*');
        if let Some(v) = vararg {
            arg(v, out)?;
        }
    }
    let kw_defaults = args.list("kw_defaults");
    for (i, a) in kwonly.iter().enumerate() {
        sep(out);
        arg(a, out)?;
        let di = i as isize - kwonly.len() as isize + kw_defaults.len() as isize;
        if di >= 0 {
            if let Some(d) = kw_defaults.get(di as usize).and_then(AstValue::as_node) {
                out.push('=');
                expr(d, PR_TEST, out)?;
            }
        }
    }
    if let Some(k) = args.node("kwarg") {
        sep(out);
        out.push_str("**");
        arg(k, out)?;
    }
    Some(())
}

fn arg(a: &AstNode, out: &mut Out) -> Option<()> {
    out.push_str(a.str("arg")?);
    if let Some(annotation) = a.node("annotation") {
        out.push_str(": ");
        expr(annotation, PR_TEST, out)?;
    }
    Some(())
}

/// The text inside an f-string's quotes (literal braces doubled).
fn fstring_body(e: &AstNode, version: PyVersion) -> Option<String> {
    let mut body = Out {
        text: String::new(),
        version,
    };
    for v in e.nodes("values") {
        fstring_element(v, false, &mut body)?;
    }
    Some(body.text)
}

fn fstring_element(e: &AstNode, is_format_spec: bool, out: &mut Out) -> Option<()> {
    match e.kind.name() {
        "Constant" => match e.constant()? {
            // A lone surrogate in an f-string annotation: not modelled (refused by the caller).
            Constant::Str(s) => out.push_str(&s.as_str()?.replace('{', "{{").replace('}', "}}")),
            _ => return None,
        },
        "JoinedStr" => {
            let version = out.version;
            let body = fstring_body(e, version)?;
            if is_format_spec {
                out.push_str(&body);
            } else {
                out.push('f');
                out.push_str(&constant_repr(&Constant::Str(body.into()), version));
            }
        }
        "FormattedValue" => formatted_value(e, out)?,
        _ => return None,
    }
    Some(())
}

/// `append_formattedvalue`: `{value!r:spec}`.
fn formatted_value(e: &AstNode, out: &mut Out) -> Option<()> {
    let mut value = Out {
        text: String::new(),
        version: out.version,
    };
    expr(e.node("value")?, PR_TEST + 1, &mut value)?;
    let value = value.text;
    out.push_str(if value.starts_with('{') { "{ " } else { "{" });
    out.push_str(&value);
    match e.int("conversion").unwrap_or(-1) {
        -1 | 0 => {}
        c => {
            out.push('!');
            out.push(char::from_u32(c as u32)?);
        }
    }
    if let Some(spec) = e.node("format_spec") {
        out.push(':');
        fstring_element(spec, true, out)?;
    }
    out.push('}');
    Some(())
}

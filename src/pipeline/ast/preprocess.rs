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

use super::{AstNode, Constant};
use crate::pystr::PyStr;
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
    if !e.node("op")?.is("Mod") {
        return None;
    }
    let left = e.node("left")?;
    if !left.is("Constant") {
        return None;
    }
    let Some(Constant::Str(fmt)) = left.constant() else {
        return None;
    };
    let right = e.node("right")?;
    if !right.is("Tuple") {
        return None;
    }
    let elts: Vec<&AstNode> = right.nodes("elts").collect();
    if elts.iter().any(|x| x.is("Starred")) {
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
fn parse_format_unit(chars: &[char], pos: &mut usize) -> Option<(u8, Option<String>)> {
    const MAXDIGITS: usize = 3;
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
    let mut width: i32 = -1;
    if ch.is_ascii_digit() {
        width = 0;
        let mut digits = 0;
        while ch.is_ascii_digit() {
            width = width * 10 + (ch as i32 - '0' as i32);
            ch = next()?;
            digits += 1;
            if digits >= MAXDIGITS {
                return None;
            }
        }
    }
    let mut prec: i32 = -1;
    if ch == '.' {
        ch = next()?;
        prec = 0;
        if ch.is_ascii_digit() {
            let mut digits = 0;
            while ch.is_ascii_digit() {
                prec = prec * 10 + (ch as i32 - '0' as i32);
                ch = next()?;
                digits += 1;
                if digits >= MAXDIGITS {
                    return None;
                }
            }
        }
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
    match e.kind.as_str() {
        "Constant" => e.constant().cloned(),
        "UnaryOp" if e.node("op").is_some_and(|o| o.is("USub")) => {
            let operand = e.node("operand")?;
            if !operand.is("Constant") {
                return None;
            }
            negate(operand.constant()?)
        }
        "BinOp" => {
            let op = e.node("op")?;
            let add = op.is("Add");
            if !add && !op.is("Sub") {
                return None;
            }
            let right = e.node("right")?;
            if !right.is("Constant") {
                return None;
            }
            let left = folded_constant(e.node("left")?)?;
            add_sub(&left, right.constant()?, add)
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

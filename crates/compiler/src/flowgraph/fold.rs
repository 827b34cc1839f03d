//! Evaluating constant expressions the way the flow graph folds them (`BINARY_OP`, unary
//! operators, truth values), with CPython's size limits, plus `repr()` of constants.
//!
//! Only what can be computed exactly is folded; anything else returns `None` and the
//! instruction stays, which is also what CPython does when the operation raises.

use crate::ir::ConstValue;
use cpyviz_model::pyrepr;
use cpyviz_model::pystr::PyStr;
use cpyviz_model::version::PyVersion;
use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive, Zero};

/// Largest integer result (in bits) the folder builds.
const MAX_INT_SIZE: u64 = 128;
/// Largest tuple a multiplication may build.
const MAX_COLLECTION_SIZE: i64 = 256;
/// Largest `str`/`bytes` a multiplication may build.
const MAX_STR_SIZE: i64 = 4096;
/// Largest number of items, nested ones included, of a folded tuple.
const MAX_TOTAL_ITEMS: i64 = 1024;

/// `bool(value)`; `None` when Python would call user code (never for constants).
pub fn truthy(v: &ConstValue) -> Option<bool> {
    Some(match v {
        ConstValue::None => false,
        ConstValue::Bool(b) => *b,
        ConstValue::Ellipsis => true,
        ConstValue::Int(i) => !i.is_zero(),
        ConstValue::Float(f) => *f != 0.0,
        ConstValue::Complex { re, im } => *re != 0.0 || *im != 0.0,
        ConstValue::Str(s) => !s.is_empty(),
        ConstValue::Bytes(b) => !b.is_empty(),
        ConstValue::Tuple(t) | ConstValue::FrozenSet(t) => !t.is_empty(),
        ConstValue::Slice(_) | ConstValue::Code(_) => true,
    })
}

/// A number as the arithmetic sees it (`bool` is an `int`).
#[derive(Clone, Debug)]
enum Num {
    Int(BigInt),
    Float(f64),
    Complex(f64, f64),
}

fn num(v: &ConstValue) -> Option<Num> {
    match v {
        ConstValue::Bool(b) => Some(Num::Int(BigInt::from(*b as u8))),
        ConstValue::Int(i) => Some(Num::Int(i.clone())),
        ConstValue::Float(f) => Some(Num::Float(*f)),
        ConstValue::Complex { re, im } => Some(Num::Complex(*re, *im)),
        _ => None,
    }
}

fn as_int(v: &ConstValue) -> Option<BigInt> {
    match v {
        ConstValue::Bool(b) => Some(BigInt::from(*b as u8)),
        ConstValue::Int(i) => Some(i.clone()),
        _ => None,
    }
}

fn from_num(n: Num) -> ConstValue {
    match n {
        Num::Int(i) => ConstValue::Int(i),
        Num::Float(f) => ConstValue::Float(f),
        Num::Complex(re, im) => ConstValue::Complex { re, im },
    }
}

fn to_f64(i: &BigInt) -> Option<f64> {
    let f = i.to_f64()?;
    f.is_finite().then_some(f)
}

fn num_bits(i: &BigInt) -> u64 {
    i.bits()
}

/// Floor division and modulo of integers (Python semantics); `None` on division by zero.
fn int_divmod(a: &BigInt, b: &BigInt) -> Option<(BigInt, BigInt)> {
    if b.is_zero() {
        return None;
    }
    let mut q = a / b;
    let mut r = a % b;
    if !r.is_zero() && (r.is_negative() != b.is_negative()) {
        q -= 1;
        r += b;
    }
    Some((q, r))
}

fn float_mod(vx: f64, wx: f64) -> Option<f64> {
    if wx == 0.0 {
        return None;
    }
    let mut m = vx % wx;
    if m != 0.0 {
        if (wx < 0.0) != (m < 0.0) {
            m += wx;
        }
    } else {
        m = 0.0f64.copysign(wx);
    }
    Some(m)
}

fn float_floordiv(vx: f64, wx: f64) -> Option<f64> {
    if wx == 0.0 {
        return None;
    }
    let mut m = vx % wx;
    let mut div = (vx - m) / wx;
    if m != 0.0 && ((wx < 0.0) != (m < 0.0)) {
        m += wx;
        div -= 1.0;
    }
    let _ = m;
    if div != 0.0 {
        let mut fl = div.floor();
        if div - fl > 0.5 {
            fl += 1.0;
        }
        Some(fl)
    } else {
        Some(0.0f64.copysign(vx / wx))
    }
}

/// Promotes two numbers to a common kind: 0 int, 1 float, 2 complex.
fn rank(n: &Num) -> u8 {
    match n {
        Num::Int(_) => 0,
        Num::Float(_) => 1,
        Num::Complex(..) => 2,
    }
}

fn real(n: &Num) -> Option<f64> {
    match n {
        Num::Int(i) => to_f64(i),
        Num::Float(f) => Some(*f),
        Num::Complex(..) => None,
    }
}

fn arith(op: &str, a: Num, b: Num) -> Option<Num> {
    let r = rank(&a).max(rank(&b));
    if r == 0 {
        let (Num::Int(x), Num::Int(y)) = (&a, &b) else {
            return None;
        };
        return Some(match op {
            "+" => Num::Int(x + y),
            "-" => Num::Int(x - y),
            "*" => Num::Int(x * y),
            "//" => Num::Int(int_divmod(x, y)?.0),
            "%" => Num::Int(int_divmod(x, y)?.1),
            "/" => {
                if y.is_zero() {
                    return None;
                }
                Num::Float(to_f64(x)? / to_f64(y)?)
            }
            _ => return None,
        });
    }
    if r == 1 {
        let (x, y) = (real(&a)?, real(&b)?);
        let v = match op {
            "+" => x + y,
            "-" => x - y,
            "*" => x * y,
            "/" => {
                if y == 0.0 {
                    return None;
                }
                x / y
            }
            "//" => float_floordiv(x, y)?,
            "%" => float_mod(x, y)?,
            _ => return None,
        };
        return Some(Num::Float(v));
    }
    // Complex, with 3.14's mixed-mode rules (a real operand has no imaginary part).
    let split = |n: &Num| -> Option<(f64, Option<f64>)> {
        match n {
            Num::Complex(re, im) => Some((*re, Some(*im))),
            other => Some((real(other)?, None)),
        }
    };
    let (ar, ai) = split(&a)?;
    let (br, bi) = split(&b)?;
    let (re, im) = match op {
        "+" => (ar + br, ai.unwrap_or(0.0) + bi.unwrap_or(0.0)),
        "-" => match (ai, bi) {
            (Some(ai), Some(bi)) => (ar - br, ai - bi),
            (Some(ai), None) => (ar - br, ai),
            (None, Some(bi)) => (ar - br, -bi),
            (None, None) => return None,
        },
        "*" => match (ai, bi) {
            (Some(ai), Some(bi)) => (ar * br - ai * bi, ar * bi + ai * br),
            (Some(ai), None) => (ar * br, ai * br),
            (None, Some(bi)) => (ar * br, ar * bi),
            (None, None) => return None,
        },
        "/" => match (ai, bi) {
            (Some(ai), None) if br != 0.0 => (ar / br, ai / br),
            _ => return None,
        },
        _ => return None,
    };
    Some(Num::Complex(re, im))
}

fn repeat_count(n: &BigInt) -> Option<i64> {
    n.to_i64()
}

fn tuple_complexity(items: &[ConstValue], mut limit: i64) -> i64 {
    limit -= items.len() as i64;
    for item in items {
        if limit < 0 {
            break;
        }
        if let ConstValue::Tuple(inner) = item {
            limit = tuple_complexity(inner, limit);
            if limit < 0 {
                return limit;
            }
        }
    }
    limit
}

fn safe_multiply(v: &ConstValue, w: &ConstValue) -> Option<ConstValue> {
    if let (Some(a), Some(b)) = (as_int(v), as_int(w)) {
        if !a.is_zero() && !b.is_zero() && num_bits(&a) + num_bits(&b) > MAX_INT_SIZE {
            return None;
        }
        return Some(ConstValue::Int(a * b));
    }
    if let Some(n) = as_int(v) {
        match w {
            ConstValue::Tuple(items) => {
                let size = items.len() as i64;
                if size == 0 {
                    return Some(ConstValue::Tuple(Vec::new()));
                }
                let n = repeat_count(&n)?;
                if n < 0 || n > MAX_COLLECTION_SIZE / size {
                    return None;
                }
                if n != 0 && tuple_complexity(items, MAX_TOTAL_ITEMS / n) < 0 {
                    return None;
                }
                let mut out = Vec::new();
                for _ in 0..n {
                    out.extend(items.iter().cloned());
                }
                return Some(ConstValue::Tuple(out));
            }
            ConstValue::Str(s) => {
                let size = s.char_len() as i64;
                if size == 0 {
                    return Some(ConstValue::Str(PyStr::default()));
                }
                let n = repeat_count(&n)?;
                if n < 0 || n > MAX_STR_SIZE / size {
                    return None;
                }
                return Some(ConstValue::Str(s.repeat(n as usize)));
            }
            ConstValue::Bytes(b) => {
                let size = b.len() as i64;
                if size == 0 {
                    return Some(ConstValue::Bytes(Vec::new()));
                }
                let n = repeat_count(&n)?;
                if n < 0 || n > MAX_STR_SIZE / size {
                    return None;
                }
                return Some(ConstValue::Bytes(b.repeat(n as usize)));
            }
            _ => {}
        }
    }
    if as_int(w).is_some()
        && matches!(
            v,
            ConstValue::Tuple(_) | ConstValue::Str(_) | ConstValue::Bytes(_)
        )
    {
        return safe_multiply(w, v);
    }
    arith("*", num(v)?, num(w)?).map(from_num)
}

fn safe_power(v: &ConstValue, w: &ConstValue) -> Option<ConstValue> {
    if let (Some(a), Some(b)) = (as_int(v), as_int(w)) {
        if b.is_negative() {
            if a.is_zero() {
                return None;
            }
            let e = b.to_i32()?;
            return Some(ConstValue::Float(to_f64(&a)?.powi(e)));
        }
        if !a.is_zero() && b.is_positive() {
            let wbits = b.to_u64()?;
            if num_bits(&a) > MAX_INT_SIZE / wbits {
                return None;
            }
        }
        let e = b.to_u32()?;
        return Some(ConstValue::Int(a.pow(e)));
    }
    let (Some(x), Some(y)) = (
        num(v).as_ref().and_then(real),
        num(w).as_ref().and_then(real),
    ) else {
        return None;
    };
    if x < 0.0 && y.fract() != 0.0 {
        return None;
    }
    if x == 0.0 && y < 0.0 {
        return None;
    }
    let r = x.powf(y);
    r.is_finite().then_some(ConstValue::Float(r))
}

fn bitop(op: &str, v: &ConstValue, w: &ConstValue) -> Option<ConstValue> {
    if let (ConstValue::Bool(a), ConstValue::Bool(b)) = (v, w) {
        return Some(ConstValue::Bool(match op {
            "&" => a & b,
            "|" => a | b,
            _ => a ^ b,
        }));
    }
    let (a, b) = (as_int(v)?, as_int(w)?);
    Some(ConstValue::Int(match op {
        "&" => a & b,
        "|" => a | b,
        _ => a ^ b,
    }))
}

fn shift(left: bool, v: &ConstValue, w: &ConstValue) -> Option<ConstValue> {
    let (a, b) = (as_int(v)?, as_int(w)?);
    if b.is_negative() {
        return None;
    }
    if left {
        if !a.is_zero() && !b.is_zero() {
            let wbits = b.to_u64()?;
            if wbits > MAX_INT_SIZE || num_bits(&a) > MAX_INT_SIZE - wbits {
                return None;
            }
        }
        let s = b.to_usize()?;
        Some(ConstValue::Int(a << s))
    } else {
        let s = b.to_u64().unwrap_or(u64::MAX);
        if s > num_bits(&a) {
            return Some(ConstValue::Int(if a.is_negative() {
                BigInt::from(-1)
            } else {
                BigInt::zero()
            }));
        }
        // Arithmetic shift: floor division by 2**s.
        let d = BigInt::from(1) << (s as usize);
        Some(ConstValue::Int(int_divmod(&a, &d)?.0))
    }
}

/// Python's `slice.indices(len)` and the selected positions.
fn slice_positions(parts: &[ConstValue; 3], len: i64) -> Option<Vec<usize>> {
    let get = |v: &ConstValue| -> Option<Option<i64>> {
        match v {
            ConstValue::None => Some(None),
            other => as_int(other)?.to_i64().map(Some),
        }
    };
    let step = get(&parts[2])?.unwrap_or(1);
    if step == 0 {
        return None;
    }
    let (lower, upper) = if step < 0 { (-1, len - 1) } else { (0, len) };
    let norm = |v: Option<i64>, default: i64| -> i64 {
        match v {
            None => default,
            Some(x) if x < 0 => (x + len).max(lower),
            Some(x) => x.min(upper),
        }
    };
    let start = norm(get(&parts[0])?, if step < 0 { upper } else { lower });
    let stop = norm(get(&parts[1])?, if step < 0 { lower } else { upper });
    let mut out = Vec::new();
    let mut i = start;
    while (step > 0 && i < stop) || (step < 0 && i > stop) {
        out.push(i as usize);
        i += step;
    }
    Some(out)
}

fn subscript(v: &ConstValue, w: &ConstValue) -> Option<ConstValue> {
    let index = |len: usize| -> Option<usize> {
        let i = as_int(w)?.to_i64()?;
        let i = if i < 0 { i + len as i64 } else { i };
        (0..len as i64).contains(&i).then_some(i as usize)
    };
    match (v, w) {
        (ConstValue::Str(s), ConstValue::Slice(parts)) => {
            let chars = s.code_points();
            let pos = slice_positions(parts, chars.len() as i64)?;
            Some(ConstValue::Str(PyStr::from_code_points(
                pos.into_iter().map(|i| chars[i]).collect(),
            )))
        }
        (ConstValue::Bytes(b), ConstValue::Slice(parts)) => {
            let pos = slice_positions(parts, b.len() as i64)?;
            Some(ConstValue::Bytes(pos.into_iter().map(|i| b[i]).collect()))
        }
        (ConstValue::Tuple(t), ConstValue::Slice(parts)) => {
            let pos = slice_positions(parts, t.len() as i64)?;
            Some(ConstValue::Tuple(
                pos.into_iter().map(|i| t[i].clone()).collect(),
            ))
        }
        (ConstValue::Str(s), _) => {
            let chars = s.code_points();
            Some(ConstValue::Str(PyStr::from_code_points(vec![
                chars[index(chars.len())?],
            ])))
        }
        (ConstValue::Bytes(b), _) => Some(ConstValue::Int(BigInt::from(b[index(b.len())?]))),
        (ConstValue::Tuple(t), _) => Some(t[index(t.len())?].clone()),
        _ => None,
    }
}

fn concat(v: &ConstValue, w: &ConstValue) -> Option<ConstValue> {
    match (v, w) {
        (ConstValue::Str(a), ConstValue::Str(b)) => Some(ConstValue::Str(a.concat(b))),
        (ConstValue::Bytes(a), ConstValue::Bytes(b)) => {
            Some(ConstValue::Bytes([a.as_slice(), b.as_slice()].concat()))
        }
        (ConstValue::Tuple(a), ConstValue::Tuple(b)) => {
            Some(ConstValue::Tuple(a.iter().chain(b).cloned().collect()))
        }
        _ => arith("+", num(v)?, num(w)?).map(from_num),
    }
}

/// `left <op> right` for `BINARY_OP`'s oparg `nb` (named by `nb_name`, e.g. `"NB_ADD"`).
pub fn binop(left: &ConstValue, nb_name: &str, right: &ConstValue) -> Option<ConstValue> {
    match nb_name {
        "NB_ADD" => concat(left, right),
        "NB_SUBTRACT" => arith("-", num(left)?, num(right)?).map(from_num),
        "NB_MULTIPLY" => safe_multiply(left, right),
        "NB_TRUE_DIVIDE" => arith("/", num(left)?, num(right)?).map(from_num),
        "NB_FLOOR_DIVIDE" => arith("//", num(left)?, num(right)?).map(from_num),
        "NB_REMAINDER" => {
            if matches!(left, ConstValue::Str(_) | ConstValue::Bytes(_)) {
                return None;
            }
            arith("%", num(left)?, num(right)?).map(from_num)
        }
        "NB_POWER" => safe_power(left, right),
        "NB_LSHIFT" => shift(true, left, right),
        "NB_RSHIFT" => shift(false, left, right),
        "NB_OR" => bitop("|", left, right),
        "NB_XOR" => bitop("^", left, right),
        "NB_AND" => bitop("&", left, right),
        "NB_SUBSCR" => subscript(left, right),
        _ => None,
    }
}

/// The unary operators the folder evaluates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unary {
    Negative,
    Invert,
    Not,
    Positive,
}

pub fn unaryop(op: Unary, v: &ConstValue) -> Option<ConstValue> {
    match op {
        Unary::Not => Some(ConstValue::Bool(!truthy(v)?)),
        Unary::Negative => Some(match num(v)? {
            Num::Int(i) => ConstValue::Int(-i),
            Num::Float(f) => ConstValue::Float(-f),
            Num::Complex(re, im) => ConstValue::Complex { re: -re, im: -im },
        }),
        Unary::Positive => Some(from_num(num(v)?)),
        Unary::Invert => match v {
            ConstValue::Int(i) => Some(ConstValue::Int(-(i + BigInt::from(1)))),
            _ => None,
        },
    }
}

/// `repr()` of a constant; code objects use their `repr` (or a placeholder built from
/// `filename` when they have none).
pub fn const_repr(v: &ConstValue, filename: &str, version: PyVersion) -> String {
    match v {
        ConstValue::None => "None".into(),
        ConstValue::Bool(true) => "True".into(),
        ConstValue::Bool(false) => "False".into(),
        ConstValue::Ellipsis => "Ellipsis".into(),
        ConstValue::Int(i) => i.to_string(),
        ConstValue::Float(f) => pyrepr::float_repr(*f),
        ConstValue::Complex { re, im } => pyrepr::complex_repr(*re, *im),
        ConstValue::Str(s) => pyrepr::pystr_repr(s, version),
        ConstValue::Bytes(b) => pyrepr::bytes_repr(b),
        ConstValue::Tuple(items) => {
            let parts: Vec<String> = items
                .iter()
                .map(|c| const_repr(c, filename, version))
                .collect();
            if parts.len() == 1 {
                format!("({},)", parts[0])
            } else {
                format!("({})", parts.join(", "))
            }
        }
        ConstValue::FrozenSet(items) => {
            if items.is_empty() {
                "frozenset()".into()
            } else {
                let parts: Vec<String> = items
                    .iter()
                    .map(|c| const_repr(c, filename, version))
                    .collect();
                format!("frozenset({{{}}})", parts.join(", "))
            }
        }
        ConstValue::Slice(p) => format!(
            "slice({}, {}, {})",
            const_repr(&p[0], filename, version),
            const_repr(&p[1], filename, version),
            const_repr(&p[2], filename, version)
        ),
        ConstValue::Code(code) => {
            if code.repr.is_empty() {
                code_repr(&code.name, filename, code.firstlineno)
            } else {
                code.repr.clone()
            }
        }
    }
}

/// `repr(code)` with a deterministic fake address derived from the code object's identity.
pub fn code_repr(name: &str, filename: &str, firstlineno: u32) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in name
        .bytes()
        .chain(filename.bytes())
        .chain(firstlineno.to_le_bytes())
    {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    let addr = 0x7f00_0000_0000u64 | (h & 0xff_ffff_fff0);
    format!("<code object {name} at {addr:#x}, file \"{filename}\", line {firstlineno}>")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(i: i64) -> ConstValue {
        ConstValue::Int(BigInt::from(i))
    }

    #[test]
    fn arithmetic_follows_python() {
        let r = |v: Option<ConstValue>| const_repr(&v.unwrap(), "f", PyVersion::V3_14);
        assert_eq!(r(binop(&int(7), "NB_FLOOR_DIVIDE", &int(-2))), "-4");
        assert_eq!(r(binop(&int(7), "NB_REMAINDER", &int(-2))), "-1");
        assert_eq!(r(binop(&int(1), "NB_TRUE_DIVIDE", &int(4))), "0.25");
        assert_eq!(r(binop(&int(2), "NB_POWER", &int(10))), "1024");
        assert!(binop(&int(2), "NB_POWER", &int(200)).is_none());
        assert_eq!(
            r(binop(&ConstValue::Str("ab".into()), "NB_MULTIPLY", &int(2))),
            "'abab'"
        );
        assert!(binop(&ConstValue::Str("%s".into()), "NB_REMAINDER", &int(2)).is_none());
        assert_eq!(r(binop(&int(-7), "NB_RSHIFT", &int(1))), "-4");
        assert_eq!(r(unaryop(Unary::Invert, &int(5))), "-6");
        assert_eq!(
            r(binop(
                &ConstValue::Float(7.5),
                "NB_FLOOR_DIVIDE",
                &ConstValue::Float(2.0)
            )),
            "3.0"
        );
        assert_eq!(r(Some(ConstValue::Tuple(vec![int(1)]))), "(1,)".to_string());
    }
}

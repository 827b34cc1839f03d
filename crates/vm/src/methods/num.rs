//! `int`, `float` and `complex` methods.

use super::{arg, big_index, index, kw_only, nargs, param, Entry, Kw};
use crate::alloc::{self, types};
use crate::value::{Data, MethKind::*, Value};
use crate::{PyResult, Vm};
use num_bigint::{BigInt, Sign};
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};

pub(super) fn install(_vm: &mut Vm) {
    let entries: &[Entry] = &[
        ("conjugate", NoArgs, int_self),
        ("bit_length", NoArgs, bit_length),
        ("bit_count", NoArgs, bit_count),
        ("to_bytes", FastKw, to_bytes),
        ("as_integer_ratio", NoArgs, int_ratio),
        ("__trunc__", NoArgs, int_self),
        ("__floor__", NoArgs, int_self),
        ("__ceil__", NoArgs, int_self),
        ("is_integer", NoArgs, int_is_integer),
    ];
    super::add_all(&types().int, "int", entries);
    super::add_classmethod(&types().int, "from_bytes", FastKw, from_bytes);
    let entries: &[Entry] = &[
        ("conjugate", NoArgs, float_self),
        ("__trunc__", NoArgs, float_trunc),
        ("__floor__", NoArgs, float_floor),
        ("__ceil__", NoArgs, float_ceil),
        ("as_integer_ratio", NoArgs, float_ratio),
        ("hex", NoArgs, float_hex),
        ("is_integer", NoArgs, float_is_integer),
    ];
    super::add_all(&types().float, "float", entries);
    super::add_classmethod(&types().float, "fromhex", O, float_fromhex);
    let entries: &[Entry] = &[("conjugate", NoArgs, complex_conjugate)];
    super::add_all(&types().complex, "complex", entries);
}

/// The integer value of an `int` (or `bool`) object.
pub fn int_value(v: &Value) -> Option<BigInt> {
    match v {
        Value::Int(i) => Some((*i).into()),
        Value::Bool(b) => Some((*b as i64).into()),
        Value::Obj(o) => match &o.data {
            Data::Long(b) => Some(b.clone()),
            _ => None,
        },
        _ => None,
    }
}

/// The value of a `float` (or float subclass instance: the VM keeps those as `Float`).
pub fn float_value(v: &Value) -> Option<f64> {
    match v {
        Value::Float(f) => Some(*f),
        _ => match v.data() {
            Some(Data::Float(f)) => Some(*f),
            _ => None,
        },
    }
}

fn me(vm: &Vm, args: &[Value], name: &str) -> PyResult<BigInt> {
    int_value(&arg(args, 0)).ok_or_else(|| super::descr_self_error(vm, args, "int", name))
}

fn int_self(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    Ok(alloc::big(me(vm, args, "conjugate")?))
}

fn bit_length(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    Ok(Value::Int(me(vm, args, "bit_length")?.bits() as i64))
}

fn bit_count(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let b = me(vm, args, "bit_count")?;
    let n: u64 = b
        .abs()
        .to_u64_digits()
        .1
        .iter()
        .map(|d| d.count_ones() as u64)
        .sum();
    Ok(Value::Int(n as i64))
}

fn int_ratio(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let b = me(vm, args, "as_integer_ratio")?;
    Ok(alloc::tuple(vec![alloc::big(b), Value::Int(1)]))
}

fn int_is_integer(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    me(vm, args, "is_integer")?;
    Ok(Value::Bool(true))
}

fn byteorder(vm: &mut Vm, v: Option<Value>, fname: &str) -> PyResult<bool> {
    match v {
        None => Ok(false),
        Some(v) => match v.as_str() {
            Some("big") => Ok(false),
            Some("little") => Ok(true),
            Some(_) => Err(vm.value_error("byteorder must be either 'little' or 'big'")),
            None => Err(vm.type_error(format!(
                "{fname}() argument 'byteorder' must be str, not {}",
                vm.type_name(&v)
            ))),
        },
    }
}

/// `int.to_bytes(length=1, byteorder='big', *, signed=False)`.
fn to_bytes(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    let b = me(vm, args, "to_bytes")?;
    kw_only(vm, "to_bytes", kw, &["length", "byteorder", "signed"])?;
    let rest = &args[1..];
    nargs(vm, "to_bytes", rest.len(), 0, 2)?;
    let length = match param(vm, "to_bytes", rest, kw, 0, "length")? {
        Some(v) => index(vm, &v)?,
        None => 1,
    };
    if length < 0 {
        return Err(vm.value_error("length argument must be non-negative"));
    }
    let little = byteorder(
        vm,
        param(vm, "to_bytes", rest, kw, 1, "byteorder")?,
        "to_bytes",
    )?;
    let signed = match super::kwarg(kw, "signed") {
        Some(v) => vm.truthy(&v)?,
        None => false,
    };
    if b.is_negative() && !signed {
        return Err(vm.exc("OverflowError", "can't convert negative int to unsigned"));
    }
    let mut bytes = if signed {
        b.to_signed_bytes_le()
    } else {
        b.to_bytes_le().1
    };
    if b.is_zero() {
        bytes.clear();
    }
    let len = length as usize;
    if bytes.len() > len {
        // A positive value whose top bit is set needs one more byte when signed.
        return Err(vm.exc("OverflowError", "int too big to convert"));
    }
    let fill = if signed && b.is_negative() { 0xff } else { 0 };
    bytes.resize(len, fill);
    if !little {
        bytes.reverse();
    }
    Ok(alloc::bytes(bytes))
}

/// `int.from_bytes(bytes, byteorder='big', *, signed=False)` (a class method).
fn from_bytes(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    kw_only(vm, "from_bytes", kw, &["bytes", "byteorder", "signed"])?;
    let rest = &args[1.min(args.len())..];
    nargs(vm, "from_bytes", rest.len(), 0, 2)?;
    let Some(src) = param(vm, "from_bytes", rest, kw, 0, "bytes")? else {
        return Err(vm.type_error("from_bytes() missing required argument 'bytes' (pos 1)"));
    };
    let little = byteorder(
        vm,
        param(vm, "from_bytes", rest, kw, 1, "byteorder")?,
        "from_bytes",
    )?;
    let signed = match super::kwarg(kw, "signed") {
        Some(v) => vm.truthy(&v)?,
        None => false,
    };
    let mut data = super::bytes::bytes_like(vm, &src)?;
    if !little {
        data.reverse();
    }
    let n = if signed {
        BigInt::from_signed_bytes_le(&data)
    } else {
        BigInt::from_bytes_le(Sign::Plus, &data)
    };
    Ok(alloc::big(n))
}

fn fme(vm: &Vm, args: &[Value], name: &str) -> PyResult<f64> {
    float_value(&arg(args, 0)).ok_or_else(|| super::descr_self_error(vm, args, "float", name))
}

fn float_self(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    Ok(Value::Float(fme(vm, args, "conjugate")?))
}

/// An int from a float, with CPython's errors for infinities and NaN.
pub fn float_to_int(vm: &Vm, f: f64) -> PyResult {
    if f.is_nan() {
        return Err(vm.value_error("cannot convert float NaN to integer"));
    }
    if f.is_infinite() {
        return Err(vm.exc("OverflowError", "cannot convert float infinity to integer"));
    }
    match num_traits::FromPrimitive::from_f64(f.trunc()) {
        Some(b) => Ok(alloc::big(b)),
        None => Err(vm.value_error("cannot convert float to integer")),
    }
}

fn float_trunc(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let f = fme(vm, args, "__trunc__")?;
    float_to_int(vm, f)
}

fn float_floor(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let f = fme(vm, args, "__floor__")?;
    float_to_int(vm, f.floor())
}

fn float_ceil(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let f = fme(vm, args, "__ceil__")?;
    float_to_int(vm, f.ceil())
}

fn float_is_integer(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let f = fme(vm, args, "is_integer")?;
    Ok(Value::Bool(f.is_finite() && f.fract() == 0.0))
}

/// The exact ratio of a finite float.
pub fn ratio(f: f64) -> (BigInt, BigInt) {
    let bits = f.to_bits();
    let sign = if bits >> 63 == 1 { -1 } else { 1 };
    let exp = ((bits >> 52) & 0x7ff) as i64;
    let mant = if exp == 0 {
        (bits & ((1 << 52) - 1)) << 1
    } else {
        (bits & ((1 << 52) - 1)) | (1 << 52)
    };
    let e = if exp == 0 { -1074 } else { exp - 1075 };
    let mut num: BigInt = BigInt::from(mant) * sign;
    let mut den = BigInt::one();
    if e > 0 {
        num <<= e as usize;
    } else {
        den <<= (-e) as usize;
    }
    let g = num.gcd(&den);
    if !g.is_zero() {
        num /= &g;
        den /= &g;
    }
    (num, den)
}

fn float_ratio(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let f = fme(vm, args, "as_integer_ratio")?;
    if f.is_nan() {
        return Err(vm.value_error("cannot convert NaN to integer ratio"));
    }
    if f.is_infinite() {
        return Err(vm.exc("OverflowError", "cannot convert Infinity to integer ratio"));
    }
    let (n, d) = ratio(f);
    Ok(alloc::tuple(vec![alloc::big(n), alloc::big(d)]))
}

/// `float.hex()`: `[-]0x1.<13 hex digits>p<exp>`, trailing zeros dropped.
pub fn float_hex_str(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if f == 0.0 {
        return format!("{sign}0x0.0p+0");
    }
    let bits = f.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i64;
    let mant = bits & ((1 << 52) - 1);
    let (lead, e) = if exp == 0 {
        (0, -1022)
    } else {
        (1, exp - 1023)
    };
    // CPython always prints the 13 hex digits of the 52-bit fraction.
    let digits = format!("{mant:013x}");
    let es = if e >= 0 {
        format!("+{e}")
    } else {
        e.to_string()
    };
    format!("{sign}0x{lead}.{digits}p{es}")
}

fn float_hex(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let f = fme(vm, args, "hex")?;
    Ok(alloc::string(float_hex_str(f)))
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let t = s.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let lower = t.to_ascii_lowercase();
    let v = match lower.as_str() {
        "inf" | "infinity" => f64::INFINITY,
        "nan" => f64::NAN,
        _ => {
            let body = lower.strip_prefix("0x").unwrap_or(&lower);
            let (mant, exp) = match body.split_once('p') {
                Some((m, e)) => (m, e.parse::<i64>().ok()?),
                None => (body, 0),
            };
            let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
            if int.is_empty() && frac.is_empty() {
                return None;
            }
            let mut n = BigInt::zero();
            for c in int.chars().chain(frac.chars()) {
                n = n * 16 + c.to_digit(16)?;
            }
            let e = exp - 4 * frac.len() as i64;
            let base = n.to_f64()?;
            base * 2f64.powi(e.clamp(-2000, 2000) as i32)
        }
    };
    Some(if neg { -v } else { v })
}

fn float_fromhex(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let s = arg(args, 1);
    let Some(text) = s.as_str() else {
        return Err(vm.type_error(format!(
            "fromhex() argument must be str, not {}",
            vm.type_name(&s)
        )));
    };
    match parse_hex_float(text) {
        Some(f) => {
            let cls = arg(args, 0);
            if matches!(&cls, Value::Obj(c) if std::rc::Rc::ptr_eq(c, &types().float)) {
                Ok(Value::Float(f))
            } else {
                vm.call(&cls, &[Value::Float(f)], &[])
            }
        }
        None => Err(vm.value_error("invalid hexadecimal floating-point string")),
    }
}

fn complex_conjugate(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    match arg(args, 0).data() {
        Some(Data::Complex(re, im)) => Ok(alloc::complex(*re, -im)),
        _ => Err(super::descr_self_error(vm, args, "complex", "conjugate")),
    }
}

/// `int(x)` for a value that is not a string: ints, floats, `__int__`, `__index__`,
/// `__trunc__`.
pub fn to_int(vm: &mut Vm, v: &Value) -> PyResult {
    if let Some(b) = int_value(v) {
        return Ok(alloc::big(b));
    }
    if let Some(f) = float_value(v) {
        return float_to_int(vm, f);
    }
    if vm.lookup_special(v, "__int__").is_some() {
        let r = vm.call_method(v, "__int__", &[])?;
        return match int_value(&r) {
            Some(b) => Ok(alloc::big(b)),
            None => Err(vm.type_error(format!(
                "__int__ returned non-int (type {})",
                vm.type_name(&r)
            ))),
        };
    }
    if let Some(b) = big_index(vm, v)? {
        return Ok(alloc::big(b));
    }
    if vm.lookup_special(v, "__trunc__").is_some() {
        return vm.call_method(v, "__trunc__", &[]);
    }
    Err(vm.type_error(format!(
        "int() argument must be a string, a bytes-like object or a real number, not '{}'",
        vm.type_name(v)
    )))
}

/// `int(text, base)`: Python's integer literal syntax for strings (underscores between
/// digits, whitespace around, a sign, a `0x`/`0o`/`0b` prefix for base 0 or its own base).
pub fn parse_int(text: &str, base: u32) -> Option<BigInt> {
    let t = text.trim_matches(crate::methods::str_is_space);
    let (neg, t) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let lower = t.to_ascii_lowercase();
    let (base, digits) = {
        let pre = |p: &str| {
            lower
                .strip_prefix(p)
                .map(|r| r.strip_prefix('_').unwrap_or(r))
        };
        match base {
            0 => {
                if let Some(r) = pre("0x") {
                    (16, r.to_string())
                } else if let Some(r) = pre("0o") {
                    (8, r.to_string())
                } else if let Some(r) = pre("0b") {
                    (2, r.to_string())
                } else {
                    if lower.len() > 1
                        && lower.starts_with('0')
                        && lower.chars().any(|c| c != '0' && c != '_')
                    {
                        return None;
                    }
                    (10, lower.clone())
                }
            }
            16 => (16, pre("0x").map(String::from).unwrap_or(lower.clone())),
            8 => (8, pre("0o").map(String::from).unwrap_or(lower.clone())),
            2 => (2, pre("0b").map(String::from).unwrap_or(lower.clone())),
            b => (b, lower.clone()),
        }
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let mut n = BigInt::zero();
    for c in digits.chars() {
        if c == '_' {
            continue;
        }
        let d = c.to_digit(36).or_else(|| c.to_digit(10))?;
        if d >= base {
            return None;
        }
        n = n * base + d;
    }
    Some(if neg { -n } else { n })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_int_literals() {
        assert_eq!(parse_int("ff", 16), Some(BigInt::from(255)));
        assert_eq!(parse_int(" -1_000 ", 10), Some(BigInt::from(-1000)));
        assert_eq!(parse_int("0x1f", 0), Some(BigInt::from(31)));
        assert_eq!(parse_int("012", 0), None);
        assert_eq!(parse_int("1__0", 10), None);
        assert_eq!(parse_int("z", 36), Some(BigInt::from(35)));
    }

    #[test]
    fn float_hex_round_trips() {
        assert_eq!(float_hex_str(1.0), "0x1.0000000000000p+0");
        assert_eq!(float_hex_str(0.5), "0x1.0000000000000p-1");
        assert_eq!(float_hex_str(0.0), "0x0.0p+0");
        assert_eq!(float_hex_str(5e-324), "0x0.0000000000001p-1022");
        assert_eq!(float_hex_str(2.5), "0x1.4000000000000p+1");
        assert_eq!(parse_hex_float("0x1.4000000000000p+1"), Some(2.5));
        assert_eq!(ratio(0.75), (BigInt::from(3), BigInt::from(4)));
    }
}

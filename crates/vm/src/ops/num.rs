//! Arithmetic on `int` (machine and big), `float` and `complex`, with CPython's rules:
//! floor division and modulo rounding toward negative infinity, correctly rounded true
//! division of ints, int-to-float conversion errors, `**` producing floats and complexes,
//! and the exact error messages.

use crate::value::{Data, Value};
use crate::{alloc, PyResult, Vm};
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{Signed, ToPrimitive, Zero};

/// A number operand.
#[derive(Clone)]
pub(super) enum Num {
    Int(i64),
    Big(BigInt),
    Float(f64),
    Complex(f64, f64),
}

/// A binary arithmetic operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Op {
    Add,
    And,
    FloorDiv,
    LShift,
    MatMul,
    Mul,
    Mod,
    Or,
    Pow,
    RShift,
    Sub,
    TrueDiv,
    Xor,
}

/// The number in `v` (bools are ints), from the payload (so subclasses count).
pub(super) fn as_num(v: &Value) -> Option<Num> {
    match v {
        Value::Bool(b) => Some(Num::Int(*b as i64)),
        Value::Int(i) => Some(Num::Int(*i)),
        Value::Float(f) => Some(Num::Float(*f)),
        Value::Obj(o) => match &o.data {
            Data::Long(b) => Some(match b.to_i64() {
                Some(i) => Num::Int(i),
                None => Num::Big(b.clone()),
            }),
            Data::Complex(re, im) => Some(Num::Complex(*re, *im)),
            Data::Float(f) => Some(Num::Float(*f)),
            _ => None,
        },
        _ => None,
    }
}

/// The int in `v`, as a big integer (bools are ints).
pub(super) fn as_bigint(v: &Value) -> Option<BigInt> {
    match as_num(v)? {
        Num::Int(i) => Some(BigInt::from(i)),
        Num::Big(b) => Some(b),
        _ => None,
    }
}

fn big(n: &Num) -> BigInt {
    match n {
        Num::Int(i) => BigInt::from(*i),
        Num::Big(b) => b.clone(),
        _ => BigInt::zero(),
    }
}

/// An int as a float, or OverflowError.
pub(super) fn int_to_f64(vm: &Vm, b: &BigInt) -> PyResult<f64> {
    match b.to_f64() {
        Some(f) if f.is_finite() => Ok(f),
        _ => Err(vm.exc("OverflowError", "int too large to convert to float")),
    }
}

fn to_f64(vm: &Vm, n: &Num) -> PyResult<f64> {
    match n {
        Num::Int(i) => Ok(*i as f64),
        Num::Big(b) => int_to_f64(vm, b),
        Num::Float(f) => Ok(*f),
        Num::Complex(re, _) => Ok(*re),
    }
}

fn zero_div(vm: &Vm) -> crate::Flow {
    vm.exc("ZeroDivisionError", "division by zero")
}

fn float_overflow(vm: &Vm) -> crate::Flow {
    vm.exc("OverflowError", "(34, 'Numerical result out of range')")
}

/// `a op b` for two numbers; `None` when the operator does not apply (NotImplemented).
pub(super) fn binop(vm: &mut Vm, a: &Num, b: &Num, op: Op) -> PyResult<Option<Value>> {
    let rank = |n: &Num| match n {
        Num::Int(_) | Num::Big(_) => 0,
        Num::Float(_) => 1,
        Num::Complex(..) => 2,
    };
    match rank(a).max(rank(b)) {
        0 => int_op(vm, a, b, op),
        1 => {
            if matches!(
                op,
                Op::And | Op::Or | Op::Xor | Op::LShift | Op::RShift | Op::MatMul
            ) {
                return Ok(None);
            }
            let (x, y) = (to_f64(vm, a)?, to_f64(vm, b)?);
            float_op(vm, x, y, op)
        }
        _ => complex_op(vm, a, b, op),
    }
}

fn int_op(vm: &mut Vm, a: &Num, b: &Num, op: Op) -> PyResult<Option<Value>> {
    if let (Num::Int(x), Num::Int(y)) = (a, b) {
        let (x, y) = (*x, *y);
        let fast = match op {
            Op::Add => x.checked_add(y),
            Op::Sub => x.checked_sub(y),
            Op::Mul => x.checked_mul(y),
            Op::And => Some(x & y),
            Op::Or => Some(x | y),
            Op::Xor => Some(x ^ y),
            Op::FloorDiv if y != 0 && !(x == i64::MIN && y == -1) => {
                Some(Integer::div_floor(&x, &y))
            }
            Op::Mod if y != 0 && y != -1 => Some(Integer::mod_floor(&x, &y)),
            Op::Mod if y == -1 => Some(0),
            Op::RShift if y >= 0 => Some(x >> y.min(63)),
            Op::LShift if (0..63).contains(&y) => {
                x.checked_mul(1i64 << y).filter(|r| (r >> y) == x)
            }
            _ => None,
        };
        if let Some(r) = fast {
            return Ok(Some(Value::Int(r)));
        }
        if op == Op::TrueDiv {
            if y == 0 {
                return Err(zero_div(vm));
            }
            const EXACT: i64 = 1 << 53;
            if x.abs() <= EXACT && y.abs() <= EXACT {
                return Ok(Some(Value::Float(x as f64 / y as f64)));
            }
        }
    }
    let (x, y) = (big(a), big(b));
    let r = match op {
        Op::Add => x + y,
        Op::Sub => x - y,
        Op::Mul => {
            vm.charge((x.bits() + y.bits()) / 8)?;
            x * y
        }
        Op::And => x & y,
        Op::Or => x | y,
        Op::Xor => x ^ y,
        Op::FloorDiv => {
            if y.is_zero() {
                return Err(zero_div(vm));
            }
            x.div_floor(&y)
        }
        Op::Mod => {
            if y.is_zero() {
                return Err(zero_div(vm));
            }
            x.mod_floor(&y)
        }
        Op::TrueDiv => return int_true_div(vm, &x, &y).map(|f| Some(Value::Float(f))),
        Op::Pow => return int_pow(vm, &x, &y).map(Some),
        Op::LShift => {
            if y.is_negative() {
                return Err(vm.value_error("negative shift count"));
            }
            if x.is_zero() {
                return Ok(Some(Value::Int(0)));
            }
            let Some(n) = y.to_u64().filter(|n| *n < (1u64 << 40)) else {
                return Err(vm.exc("OverflowError", "too many digits in integer"));
            };
            vm.charge((x.bits() + n) / 8)?;
            x << n
        }
        Op::RShift => {
            if y.is_negative() {
                return Err(vm.value_error("negative shift count"));
            }
            match y.to_u64() {
                Some(n) if n < x.bits() + 1 => floor_shr(&x, n),
                _ => {
                    if x.is_negative() {
                        BigInt::from(-1)
                    } else {
                        BigInt::zero()
                    }
                }
            }
        }
        Op::MatMul => return Ok(None),
    };
    Ok(Some(alloc::big(r)))
}

/// `x >> n` rounding toward negative infinity.
fn floor_shr(x: &BigInt, n: u64) -> BigInt {
    if x.is_negative() {
        let m: BigInt = -x - 1;
        -(m >> n) - 1
    } else {
        x >> n
    }
}

/// `x / y` for ints, correctly rounded.
fn int_true_div(vm: &Vm, x: &BigInt, y: &BigInt) -> PyResult<f64> {
    if y.is_zero() {
        return Err(zero_div(vm));
    }
    if x.is_zero() {
        let neg = y.is_negative();
        return Ok(if neg { -0.0 } else { 0.0 });
    }
    let neg = x.is_negative() != y.is_negative();
    let (a, b) = (x.abs(), y.abs());
    // Scale so the quotient has at least 55 significant bits, keep a sticky bit for the
    // remainder, and let the (correctly rounding) conversion do the rest.
    let shift = 55i64 - (a.bits() as i64 - b.bits() as i64);
    let (num, den) = if shift >= 0 {
        (a << shift as u64, b)
    } else {
        (a, b << (-shift) as u64)
    };
    let (mut q, r) = num.div_rem(&den);
    if !r.is_zero() {
        q = (q << 1u32) | BigInt::from(1);
    } else {
        q <<= 1u32;
    }
    let qf = q.to_f64().unwrap_or(f64::INFINITY);
    let exp = -(shift + 1);
    let mut f = qf;
    // Apply 2**exp in steps that cannot overflow or underflow prematurely.
    let mut e = exp;
    while e > 0 {
        let step = e.min(1000);
        f *= 2f64.powi(step as i32);
        e -= step;
    }
    while e < 0 {
        let step = (-e).min(1000);
        f /= 2f64.powi(step as i32);
        e += step;
    }
    if !f.is_finite() {
        return Err(vm.exc(
            "OverflowError",
            "integer division result too large for a float",
        ));
    }
    Ok(if neg { -f } else { f })
}

fn int_pow(vm: &mut Vm, x: &BigInt, y: &BigInt) -> PyResult<Value> {
    if y.is_negative() {
        if x.is_zero() {
            return Err(vm.exc("ZeroDivisionError", "zero to a negative power"));
        }
        let xf = int_to_f64(vm, x)?;
        let yf = y.to_f64().unwrap_or(f64::NEG_INFINITY);
        return float_pow(vm, xf, yf);
    }
    if x.is_zero() || x.abs() == BigInt::from(1) {
        let odd = y.is_odd();
        return Ok(if x.is_zero() {
            Value::Int(if y.is_zero() { 1 } else { 0 })
        } else if x.is_negative() && odd {
            Value::Int(-1)
        } else {
            Value::Int(1)
        });
    }
    let Some(n) = y.to_u64().filter(|n| *n < (1u64 << 40)) else {
        return Err(vm.exc("MemoryError", ""));
    };
    vm.charge(x.bits().saturating_mul(n) / 8)?;
    Ok(alloc::big(num_traits::Pow::pow(x, n)))
}

fn float_op(vm: &Vm, x: f64, y: f64, op: Op) -> PyResult<Option<Value>> {
    Ok(Some(Value::Float(match op {
        Op::Add => x + y,
        Op::Sub => x - y,
        Op::Mul => x * y,
        Op::TrueDiv => {
            if y == 0.0 {
                return Err(zero_div(vm));
            }
            x / y
        }
        Op::FloorDiv => {
            if y == 0.0 {
                return Err(zero_div(vm));
            }
            float_divmod(x, y).0
        }
        Op::Mod => {
            if y == 0.0 {
                return Err(zero_div(vm));
            }
            float_divmod(x, y).1
        }
        Op::Pow => return float_pow(vm, x, y).map(Some),
        _ => return Ok(None),
    })))
}

/// `divmod(x, y)` for floats (`y != 0`).
pub(super) fn float_divmod(x: f64, y: f64) -> (f64, f64) {
    let mut m = x % y;
    let mut div = (x - m) / y;
    if m != 0.0 {
        if (y < 0.0) != (m < 0.0) {
            m += y;
            div -= 1.0;
        }
    } else {
        m = 0f64.copysign(y);
    }
    let floordiv = if div != 0.0 {
        let mut f = div.floor();
        if div - f > 0.5 {
            f += 1.0;
        }
        f
    } else {
        0f64.copysign(x / y)
    };
    (floordiv, m)
}

fn float_pow(vm: &Vm, x: f64, y: f64) -> PyResult<Value> {
    if y == 0.0 {
        return Ok(Value::Float(1.0));
    }
    if x == 0.0 && y < 0.0 && y.is_finite() {
        return Err(vm.exc("ZeroDivisionError", "zero to a negative power"));
    }
    if x < 0.0 && x.is_finite() && y.is_finite() && y.fract() != 0.0 {
        let (re, im) = complex_pow(vm, (x, 0.0), (y, 0.0))?;
        return Ok(alloc::complex(re, im));
    }
    let r = x.powf(y);
    if r.is_infinite() && x.is_finite() && y.is_finite() {
        return Err(float_overflow(vm));
    }
    Ok(Value::Float(r))
}

fn complex_parts(vm: &Vm, n: &Num) -> PyResult<(f64, f64, bool)> {
    Ok(match n {
        Num::Complex(re, im) => (*re, *im, false),
        other => (to_f64(vm, other)?, 0.0, true),
    })
}

fn complex_op(vm: &Vm, a: &Num, b: &Num, op: Op) -> PyResult<Option<Value>> {
    let (ar, ai, a_real) = complex_parts(vm, a)?;
    let (br, bi, b_real) = complex_parts(vm, b)?;
    let (re, im) = match op {
        // 3.14's mixed-mode rules: a real operand only meets the real part.
        Op::Add if a_real => (ar + br, bi),
        Op::Add if b_real => (ar + br, ai),
        Op::Add => (ar + br, ai + bi),
        Op::Sub if a_real => (ar - br, -bi),
        Op::Sub if b_real => (ar - br, ai),
        Op::Sub => (ar - br, ai - bi),
        Op::Mul if a_real => (ar * br, ar * bi),
        Op::Mul if b_real => (ar * br, ai * br),
        Op::Mul => (ar * br - ai * bi, ar * bi + ai * br),
        Op::TrueDiv => {
            if br == 0.0 && bi == 0.0 {
                return Err(zero_div(vm));
            }
            if b_real {
                (ar / br, ai / br)
            } else {
                complex_div((ar, ai), (br, bi))
            }
        }
        Op::Pow => {
            let (re, im) = complex_pow(vm, (ar, ai), (br, bi))?;
            if !(re.is_finite() && im.is_finite())
                && ar.is_finite()
                && ai.is_finite()
                && br.is_finite()
                && bi.is_finite()
            {
                return Err(vm.exc("OverflowError", "complex exponentiation"));
            }
            (re, im)
        }
        _ => return Ok(None),
    };
    Ok(Some(alloc::complex(re, im)))
}

/// Smith's algorithm for `a / b` (`b != 0`).
fn complex_div(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    let (ar, ai) = a;
    let (br, bi) = b;
    let (abs_br, abs_bi) = (br.abs(), bi.abs());
    if abs_br >= abs_bi {
        let ratio = bi / br;
        let denom = br + bi * ratio;
        ((ar + ai * ratio) / denom, (ai - ar * ratio) / denom)
    } else if abs_bi >= abs_br {
        let ratio = br / bi;
        let denom = br * ratio + bi;
        ((ar * ratio + ai) / denom, (ai * ratio - ar) / denom)
    } else {
        (f64::NAN, f64::NAN)
    }
}

fn cmul(a: (f64, f64), b: (f64, f64)) -> (f64, f64) {
    (a.0 * b.0 - a.1 * b.1, a.0 * b.1 + a.1 * b.0)
}

fn complex_pow(vm: &Vm, a: (f64, f64), b: (f64, f64)) -> PyResult<(f64, f64)> {
    if b == (0.0, 0.0) {
        return Ok((1.0, 0.0));
    }
    if a == (0.0, 0.0) {
        if b.1 != 0.0 || b.0 < 0.0 {
            return Err(vm.exc("ZeroDivisionError", "zero to a negative or complex power"));
        }
        return Ok((0.0, 0.0));
    }
    // Small integral exponents multiply (CPython's c_powi).
    if b.1 == 0.0 && b.0.fract() == 0.0 && b.0.abs() <= 100.0 {
        let n = b.0 as i64;
        let mut base = a;
        let mut r = (1.0, 0.0);
        let mut k = n.unsigned_abs();
        while k > 0 {
            if k & 1 == 1 {
                r = cmul(r, base);
            }
            base = cmul(base, base);
            k >>= 1;
        }
        return Ok(if n < 0 { complex_div((1.0, 0.0), r) } else { r });
    }
    let vabs = a.0.hypot(a.1);
    let mut len = vabs.powf(b.0);
    let at = a.1.atan2(a.0);
    let mut phase = at * b.0;
    if b.1 != 0.0 {
        len /= (at * b.1).exp();
        phase += b.1 * vabs.ln();
    }
    Ok((len * phase.cos(), len * phase.sin()))
}

/// `-n`, `+n`, `~n`, `abs(n)`-style unary operations on numbers.
pub(super) fn neg(n: &Num) -> Value {
    match n {
        Num::Int(i) => match i.checked_neg() {
            Some(r) => Value::Int(r),
            None => alloc::big(-BigInt::from(*i)),
        },
        Num::Big(b) => alloc::big(-b),
        Num::Float(f) => Value::Float(-f),
        Num::Complex(re, im) => alloc::complex(-re, -im),
    }
}

pub(super) fn pos(n: &Num) -> Value {
    match n {
        Num::Int(i) => Value::Int(*i),
        Num::Big(b) => alloc::big(b.clone()),
        Num::Float(f) => Value::Float(*f),
        Num::Complex(re, im) => alloc::complex(*re, *im),
    }
}

pub(super) fn invert(n: &Num) -> Option<Value> {
    match n {
        Num::Int(i) => Some(Value::Int(!i)),
        Num::Big(b) => Some(alloc::big(-b - 1)),
        _ => None,
    }
}

/// Compares two real numbers exactly (ints against floats without rounding); `None` when a
/// NaN is involved.
pub(super) fn cmp_real(a: &Num, b: &Num) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering;
    match (a, b) {
        (Num::Int(x), Num::Int(y)) => Some(x.cmp(y)),
        (Num::Float(x), Num::Float(y)) => x.partial_cmp(y),
        (Num::Float(x), other) => cmp_float_int(*x, &big(other)),
        (other, Num::Float(y)) => cmp_float_int(*y, &big(other)).map(Ordering::reverse),
        _ => Some(big(a).cmp(&big(b))),
    }
}

fn cmp_float_int(f: f64, i: &BigInt) -> Option<std::cmp::Ordering> {
    use std::cmp::Ordering;
    if f.is_nan() {
        return None;
    }
    if f.is_infinite() {
        return Some(if f > 0.0 {
            Ordering::Greater
        } else {
            Ordering::Less
        });
    }
    let fl = f.floor();
    let fi = BigInt::from_f64_floor(fl);
    match fi.cmp(i) {
        Ordering::Equal if f > fl => Some(Ordering::Greater),
        o => Some(o),
    }
}

trait FromF64Floor {
    fn from_f64_floor(f: f64) -> BigInt;
}

impl FromF64Floor for BigInt {
    fn from_f64_floor(f: f64) -> BigInt {
        num_traits::FromPrimitive::from_f64(f).unwrap_or_default()
    }
}

/// Equality of two numbers (complex against real compares both parts).
pub(super) fn num_eq(a: &Num, b: &Num) -> bool {
    match (a, b) {
        (Num::Complex(ar, ai), Num::Complex(br, bi)) => ar == br && ai == bi,
        (Num::Complex(re, im), other) | (other, Num::Complex(re, im)) => {
            *im == 0.0 && cmp_real(&Num::Float(*re), other) == Some(std::cmp::Ordering::Equal)
        }
        _ => cmp_real(a, b) == Some(std::cmp::Ordering::Equal),
    }
}

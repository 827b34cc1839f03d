//! `math`: a C module in CPython. Every function has the calling convention the reference
//! interpreters declare (`sqrt` is `METH_O`, `gcd` `METH_FASTCALL`, `isclose`
//! `METH_FASTCALL|METH_KEYWORDS`), and CPython's error messages (`math domain error`,
//! `expected a nonnegative input, got -1.0`).

use super::{int_arg, real, Method, ModBuilder};
use crate::alloc;
use crate::methods::{kw_only, kwarg, nargs, Kw};
use crate::value::{Data, MethKind::*, Value};
use crate::{Flow, PyResult, Vm};
use cpyviz_model::pyrepr::float_repr;
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};

pub fn module(vm: &mut Vm) -> Value {
    let b = ModBuilder::new("math");
    let mut entries: Vec<Method> = vec![
        ("acos", O, acos),
        ("acosh", O, acosh),
        ("asin", O, asin),
        ("asinh", O, asinh),
        ("atan", O, atan),
        ("atan2", Fast, atan2),
        ("atanh", O, atanh),
        ("cbrt", O, cbrt),
        ("ceil", O, ceil),
        ("comb", Fast, comb),
        ("copysign", Fast, copysign),
        ("cos", O, cos),
        ("cosh", O, cosh),
        ("degrees", O, degrees),
        ("dist", Fast, dist),
        ("erf", O, erf),
        ("erfc", O, erfc),
        ("exp", O, exp),
        ("exp2", O, exp2),
        ("expm1", O, expm1),
        ("fabs", O, fabs),
        ("factorial", O, factorial),
        ("floor", O, floor),
        ("fma", Fast, fma),
        ("fmod", Fast, fmod),
        ("frexp", O, frexp),
        ("fsum", O, fsum),
        ("gamma", O, gamma),
        ("gcd", Fast, gcd),
        ("hypot", Fast, hypot),
        ("isclose", FastKw, isclose),
        ("isfinite", O, isfinite),
        ("isinf", O, isinf),
        ("isnan", O, isnan),
        ("isqrt", O, isqrt),
        ("lcm", Fast, lcm),
        ("ldexp", Fast, ldexp),
        ("lgamma", O, lgamma),
        ("log", Fast, log),
        ("log10", O, log10),
        ("log1p", O, log1p),
        ("log2", O, log2),
        ("modf", O, modf),
        ("nextafter", FastKw, nextafter),
        ("perm", Fast, perm),
        ("pow", Fast, pow),
        ("prod", FastKw, prod),
        ("radians", O, radians),
        ("remainder", Fast, remainder),
        ("sin", O, sin),
        ("sinh", O, sinh),
        ("sqrt", O, sqrt),
        ("sumprod", Fast, sumprod),
        ("tan", O, tan),
        ("tanh", O, tanh),
        ("trunc", O, trunc),
        ("ulp", O, ulp),
    ];
    if vm.minor >= 15 {
        let more: [Method; 5] = [
            ("fmax", Fast, fmax),
            ("fmin", Fast, fmin),
            ("isnormal", O, isnormal),
            ("issubnormal", O, issubnormal),
            ("signbit", O, signbit),
        ];
        entries.extend_from_slice(&more);
    }
    b.funcs(&entries);
    b.set("e", Value::Float(std::f64::consts::E));
    b.set("pi", Value::Float(std::f64::consts::PI));
    b.set("tau", Value::Float(std::f64::consts::TAU));
    b.set("inf", Value::Float(f64::INFINITY));
    b.set("nan", Value::Float(f64::NAN));
    b.module()
}

fn arg(args: &[Value], i: usize) -> Value {
    args.get(i).cloned().unwrap_or(Value::None)
}

fn domain(vm: &Vm) -> Flow {
    vm.value_error("math domain error")
}

fn range(vm: &Vm) -> Flow {
    vm.exc("OverflowError", "math range error")
}

/// `math_1`: a one-argument float function; a NaN from a non-NaN is a domain error (with
/// the function's own message, `{}` replaced by the input), an infinity from a finite input
/// a range error when the function can overflow, else a domain error.
fn math_1(
    vm: &mut Vm,
    args: &[Value],
    f: fn(f64) -> f64,
    can_overflow: bool,
    msg: Option<&str>,
) -> PyResult {
    let x = real(vm, &arg(args, 0))?;
    let r = f(x);
    let dom = |vm: &Vm| match msg {
        Some(m) => vm.value_error(m.replace("{}", &float_repr(x))),
        None => domain(vm),
    };
    if r.is_nan() && !x.is_nan() {
        return Err(dom(vm));
    }
    if r.is_infinite() && x.is_finite() {
        return Err(if can_overflow { range(vm) } else { dom(vm) });
    }
    Ok(Value::Float(r))
}

macro_rules! unary {
    ($name:ident, $f:expr, $ovf:expr, $msg:expr) => {
        fn $name(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
            math_1(vm, args, $f, $ovf, $msg)
        }
    };
}

const RANGE_1: Option<&str> = Some("expected a number in range from -1 up to 1, got {}");
const FINITE: Option<&str> = Some("expected a finite input, got {}");
const GAMMA: Option<&str> = Some("expected a noninteger or positive integer, got {}");

unary!(acos, f64::acos, false, RANGE_1);
unary!(
    acosh,
    f64::acosh,
    false,
    Some("expected argument value not less than 1, got {}")
);
unary!(asin, f64::asin, false, RANGE_1);
unary!(asinh, f64::asinh, false, None);
unary!(atan, f64::atan, false, None);
unary!(
    atanh,
    |x: f64| if x.abs() >= 1.0 { f64::NAN } else { x.atanh() },
    false,
    Some("expected a number between -1 and 1, got {}")
);
unary!(cbrt, f64::cbrt, false, None);
unary!(cos, f64::cos, false, FINITE);
unary!(cosh, f64::cosh, true, None);
unary!(erf, libm::erf, false, None);
unary!(erfc, libm::erfc, false, None);
unary!(exp, f64::exp, true, None);
unary!(exp2, f64::exp2, true, None);
unary!(expm1, f64::exp_m1, true, None);
unary!(fabs, f64::abs, false, None);
unary!(
    log1p,
    |x: f64| if x <= -1.0 { f64::NAN } else { x.ln_1p() },
    false,
    Some("expected argument value > -1, got {}")
);
unary!(sin, f64::sin, false, FINITE);
unary!(sinh, f64::sinh, true, None);
unary!(
    sqrt,
    |x: f64| if x < 0.0 { f64::NAN } else { x.sqrt() },
    false,
    Some("expected a nonnegative input, got {}")
);
unary!(tan, f64::tan, false, FINITE);
unary!(tanh, f64::tanh, false, None);
unary!(
    degrees,
    |x: f64| x * (180.0 / std::f64::consts::PI),
    true,
    None
);
unary!(
    radians,
    |x: f64| x * (std::f64::consts::PI / 180.0),
    false,
    None
);

/// Whether `x` is a pole of Γ (zero or a negative integer).
fn gamma_pole(x: f64) -> bool {
    x.is_finite() && x <= 0.0 && x == x.floor()
}

fn gamma(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let x = real(vm, &arg(args, 0))?;
    if gamma_pole(x) || x == f64::NEG_INFINITY {
        return Err(vm.value_error(GAMMA.unwrap_or("").replace("{}", &float_repr(x))));
    }
    math_1(vm, args, libm::tgamma, true, GAMMA)
}

fn lgamma(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let x = real(vm, &arg(args, 0))?;
    if gamma_pole(x) {
        return Err(vm.value_error(GAMMA.unwrap_or("").replace("{}", &float_repr(x))));
    }
    math_1(vm, args, libm::lgamma, true, GAMMA)
}

fn bool_of(vm: &mut Vm, args: &[Value], f: fn(f64) -> bool) -> PyResult {
    let x = real(vm, &arg(args, 0))?;
    Ok(Value::Bool(f(x)))
}

fn isfinite(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    bool_of(vm, args, f64::is_finite)
}

fn isinf(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    bool_of(vm, args, f64::is_infinite)
}

fn isnan(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    bool_of(vm, args, f64::is_nan)
}

fn isnormal(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    bool_of(vm, args, f64::is_normal)
}

fn issubnormal(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    bool_of(vm, args, f64::is_subnormal)
}

fn signbit(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    bool_of(vm, args, f64::is_sign_negative)
}

/// The two float arguments of a `METH_FASTCALL` function taking exactly two.
fn two(vm: &mut Vm, name: &str, args: &[Value]) -> PyResult<(f64, f64)> {
    nargs(vm, name, args.len(), 2, 2)?;
    Ok((real(vm, &args[0])?, real(vm, &args[1])?))
}

/// `math_2`: a two-argument float function with the same error rules as [`math_1`].
fn math_2(vm: &mut Vm, name: &str, args: &[Value], f: fn(f64, f64) -> f64) -> PyResult {
    let (x, y) = two(vm, name, args)?;
    let r = f(x, y);
    if r.is_nan() && !x.is_nan() && !y.is_nan() {
        return Err(domain(vm));
    }
    if r.is_infinite() && x.is_finite() && y.is_finite() {
        return Err(range(vm));
    }
    Ok(Value::Float(r))
}

fn atan2(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    math_2(vm, "atan2", args, f64::atan2)
}

fn copysign(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    math_2(vm, "copysign", args, f64::copysign)
}

fn fmod(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (x, y) = two(vm, "fmod", args)?;
    if y.is_infinite() && x.is_finite() {
        return Ok(Value::Float(x));
    }
    math_2(vm, "fmod", args, |x, y| x % y)
}

fn remainder(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    math_2(vm, "remainder", args, libm::remainder)
}

fn fmax(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (x, y) = two(vm, "fmax", args)?;
    Ok(Value::Float(x.max(y)))
}

fn fmin(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (x, y) = two(vm, "fmin", args)?;
    Ok(Value::Float(x.min(y)))
}

fn fma(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "fma", args.len(), 3, 3)?;
    let (x, y, z) = (
        real(vm, &args[0])?,
        real(vm, &args[1])?,
        real(vm, &args[2])?,
    );
    let r = x.mul_add(y, z);
    if r.is_finite() {
        return Ok(Value::Float(r));
    }
    if r.is_nan() {
        if !x.is_nan() && !y.is_nan() && !z.is_nan() {
            return Err(vm.value_error("invalid operation in fma"));
        }
    } else if x.is_finite() && y.is_finite() && z.is_finite() {
        return Err(vm.exc("OverflowError", "overflow in fma"));
    }
    Ok(Value::Float(r))
}

fn pow(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (x, y) = two(vm, "pow", args)?;
    // C99 pow's special cases, as CPython's math.pow applies them itself.
    let r = if !x.is_finite() || !y.is_finite() {
        if x.is_nan() {
            if y == 0.0 {
                1.0
            } else {
                x
            }
        } else if y.is_nan() {
            if x == 1.0 {
                1.0
            } else {
                y
            }
        } else {
            x.powf(y)
        }
    } else {
        let r = x.powf(y);
        if r.is_nan() {
            return Err(domain(vm));
        }
        if r.is_infinite() {
            return Err(if x == 0.0 { domain(vm) } else { range(vm) });
        }
        r
    };
    Ok(Value::Float(r))
}

fn ldexp(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "ldexp", args.len(), 2, 2)?;
    let x = real(vm, &args[0])?;
    let Some(i) = crate::methods::big_index(vm, &args[1])? else {
        return Err(vm.type_error("Expected an int as second argument to ldexp."));
    };
    if x == 0.0 || !x.is_finite() {
        return Ok(Value::Float(x));
    }
    let e = i
        .to_i64()
        .unwrap_or(if i.is_negative() { i64::MIN } else { i64::MAX });
    let e = e.clamp(-10_000, 10_000) as i32;
    let r = libm::ldexp(x, e);
    if r.is_infinite() {
        return Err(range(vm));
    }
    Ok(Value::Float(r))
}

fn frexp(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let x = real(vm, &arg(args, 0))?;
    let (m, e) = if x == 0.0 || !x.is_finite() {
        (x, 0)
    } else {
        libm::frexp(x)
    };
    Ok(alloc::tuple(vec![Value::Float(m), Value::Int(e as i64)]))
}

fn modf(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let x = real(vm, &arg(args, 0))?;
    let (f, i) = if x.is_infinite() {
        (0.0f64.copysign(x), x)
    } else {
        (x.fract(), x.trunc())
    };
    Ok(alloc::tuple(vec![Value::Float(f), Value::Float(i)]))
}

fn ulp(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let x = real(vm, &arg(args, 0))?;
    if x.is_nan() {
        return Ok(Value::Float(x));
    }
    let x = x.abs();
    if x.is_infinite() {
        return Ok(Value::Float(x));
    }
    let next = libm::nextafter(x, f64::INFINITY);
    if next.is_infinite() {
        let prev = libm::nextafter(x, 0.0);
        return Ok(Value::Float(x - prev));
    }
    Ok(Value::Float(next - x))
}

fn nextafter(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    kw_only(vm, "nextafter", kw, &["steps"])?;
    nargs(vm, "nextafter", args.len(), 2, 2)?;
    let (x, y) = (real(vm, &args[0])?, real(vm, &args[1])?);
    let steps = match kwarg(kw, "steps") {
        None | Some(Value::None) => 1,
        Some(s) => {
            let n = int_arg(vm, &s)?;
            if n.is_negative() {
                return Err(vm.value_error("steps must be a non-negative integer"));
            }
            n.to_u64().unwrap_or(u64::MAX)
        }
    };
    let mut r = x;
    for _ in 0..steps.min(1 << 12) {
        let n = libm::nextafter(r, y);
        if n == r {
            break;
        }
        r = n;
    }
    Ok(Value::Float(r))
}

/// The integral value of `x` via `__floor__`/`__ceil__`/`__trunc__`, or of the float.
fn rounding(vm: &mut Vm, args: &[Value], dunder: &str, f: fn(f64) -> f64) -> PyResult {
    let x = arg(args, 0);
    match &x {
        Value::Int(_) => return Ok(x),
        Value::Bool(b) => return Ok(Value::Int(*b as i64)),
        Value::Float(v) => return crate::methods::float_to_int(vm, f(*v)),
        _ => {}
    }
    if let Some(Data::Long(_)) = x.data() {
        if crate::alloc::types().is_exact(&x, &crate::alloc::types().int) {
            return Ok(x);
        }
    }
    if vm.lookup_special(&x, dunder).is_some() {
        return vm.call_method(&x, dunder, &[]);
    }
    if dunder == "__trunc__" {
        return Err(vm.type_error(format!(
            "type {} doesn't define __trunc__ method",
            vm.type_name(&x)
        )));
    }
    let v = real(vm, &x)?;
    crate::methods::float_to_int(vm, f(v))
}

fn floor(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    rounding(vm, args, "__floor__", f64::floor)
}

fn ceil(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    rounding(vm, args, "__ceil__", f64::ceil)
}

fn trunc(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    rounding(vm, args, "__trunc__", f64::trunc)
}

/// `log(x)` of an int or float argument: ints keep their exactness (big ones too).
fn ln_of(vm: &mut Vm, x: &Value, f: fn(f64) -> f64) -> PyResult<f64> {
    let big = match x {
        Value::Int(i) => Some(BigInt::from(*i)),
        Value::Bool(b) => Some(BigInt::from(*b as i64)),
        Value::Obj(o) => match &o.data {
            Data::Long(b) => Some(b.clone()),
            _ => None,
        },
        _ => None,
    };
    if let Some(b) = big {
        if !b.is_positive() {
            return Err(vm.value_error("expected a positive input"));
        }
        return Ok(match b.to_f64().filter(|f| f.is_finite()) {
            Some(v) => f(v),
            None => {
                // x = m * 2**e with m in [0.5, 1): log(x) = log(m) + e*log(2).
                let bits = b.bits();
                let shift = bits.saturating_sub(60);
                let m = (&b >> shift).to_f64().unwrap_or(1.0);
                let e = shift as f64;
                f(m) + e * f(2.0)
            }
        });
    }
    let v = real(vm, x)?;
    if v.is_nan() {
        return Ok(v);
    }
    if v <= 0.0 {
        return Err(vm.value_error(format!("expected a positive input, got {}", float_repr(v))));
    }
    if v.is_infinite() {
        return Ok(v);
    }
    Ok(f(v))
}

fn log(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "log", args.len(), 1, 2)?;
    let num = ln_of(vm, &args[0], f64::ln)?;
    if args.len() == 1 {
        return Ok(Value::Float(num));
    }
    let den = ln_of(vm, &args[1], f64::ln)?;
    if den == 0.0 {
        return Err(vm.exc("ZeroDivisionError", "division by zero"));
    }
    Ok(Value::Float(num / den))
}

fn log2(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let x = arg(args, 0);
    // Exact powers of two stay exact for big ints.
    if let Some(Data::Long(b)) = x.data() {
        if b.is_positive() && b.to_f64().is_none_or(f64::is_infinite) {
            return Ok(Value::Float(
                ln_of(vm, &x, f64::ln)? / std::f64::consts::LN_2,
            ));
        }
    }
    ln_of(vm, &x, f64::log2).map(Value::Float)
}

fn log10(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let x = arg(args, 0);
    if let Some(Data::Long(b)) = x.data() {
        if b.is_positive() && b.to_f64().is_none_or(f64::is_infinite) {
            return Ok(Value::Float(
                ln_of(vm, &x, f64::ln)? / std::f64::consts::LN_10,
            ));
        }
    }
    ln_of(vm, &x, f64::log10).map(Value::Float)
}

/// `x * x` exactly, as a (high, low) pair.
fn two_prod(x: f64) -> (f64, f64) {
    let p = x * x;
    (p, x.mul_add(x, -p))
}

/// `a + b` exactly, as a (sum, error) pair.
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// The Euclidean norm of `v` (`hypot`, `dist`): inf wins over NaN; otherwise the squares
/// are summed in double-double arithmetic after scaling by the largest magnitude, so the
/// result is correctly rounded but for rare ties.
fn vector_norm(v: &[f64]) -> f64 {
    let mut max = 0.0f64;
    let mut nan = false;
    for &x in v {
        let a = x.abs();
        if a.is_infinite() {
            return f64::INFINITY;
        }
        if a.is_nan() {
            nan = true;
        } else if a > max {
            max = a;
        }
    }
    if nan {
        return f64::NAN;
    }
    if max == 0.0 || v.len() <= 1 {
        return max;
    }
    let (_, e) = libm::frexp(max);
    let scale = |x: f64| libm::ldexp(x, -e);
    let (mut hi, mut lo) = (0.0f64, 0.0f64);
    for &x in v {
        let (p, pe) = two_prod(scale(x.abs()));
        let (s, se) = two_sum(hi, p);
        hi = s;
        lo += se + pe;
    }
    let (s, se) = two_sum(hi, lo);
    let (hi, lo) = (s, se);
    let mut h = hi.sqrt();
    // One Newton step on the double-double square: h += (hi + lo - h*h) / (2h).
    let r = (-h).mul_add(h, hi) + lo;
    h += r / (2.0 * h);
    libm::ldexp(h, e)
}

fn hypot(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let mut v = Vec::with_capacity(args.len());
    for a in args {
        v.push(real(vm, a)?);
    }
    Ok(Value::Float(vector_norm(&v)))
}

fn dist(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "dist", args.len(), 2, 2)?;
    let p = point(vm, &args[0])?;
    let q = point(vm, &args[1])?;
    if p.len() != q.len() {
        return Err(vm.value_error("both points must have the same number of dimensions"));
    }
    let mut d = Vec::with_capacity(p.len());
    for (a, b) in p.iter().zip(&q) {
        let (x, y) = (real(vm, a)?, real(vm, b)?);
        d.push(x - y);
    }
    Ok(Value::Float(vector_norm(&d)))
}

/// A point of `dist`: a tuple, or any iterable made one (`PySequence_Tuple`).
fn point(vm: &mut Vm, v: &Value) -> PyResult<Vec<Value>> {
    match v.data() {
        Some(Data::Tuple(t)) => Ok(t.clone()),
        _ => vm.collect(v),
    }
}

/// `fsum`: Shewchuk's exact summation of floats with a correctly rounded result.
fn fsum(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let it = vm.iter(&arg(args, 0))?;
    let mut partials: Vec<f64> = Vec::new();
    let mut special = 0.0f64;
    let mut inf_sum = 0.0f64;
    while let Some(v) = vm.next(&it)? {
        let mut x = real(vm, &v)?;
        let xsave = x;
        let mut i = 0;
        for j in 0..partials.len() {
            let mut y = partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            let lo = y - (hi - x);
            if lo != 0.0 {
                partials[i] = lo;
                i += 1;
            }
            x = hi;
        }
        partials.truncate(i);
        if x != 0.0 {
            if !x.is_finite() {
                // A non-finite partial: an infinite or NaN input, or an overflow.
                if xsave.is_finite() {
                    return Err(vm.exc("OverflowError", "intermediate overflow in fsum"));
                }
                if xsave.is_infinite() {
                    inf_sum += xsave;
                }
                special += xsave;
                partials.clear();
            } else {
                partials.push(x);
            }
        }
        if partials.len() > 4096 {
            vm.charge(8 * 64)?;
        }
    }
    if special != 0.0 {
        if inf_sum.is_nan() {
            return Err(vm.value_error("-inf + inf in fsum"));
        }
        return Ok(Value::Float(special));
    }
    let mut hi = 0.0f64;
    if let Some(mut n) = partials.len().checked_sub(0).filter(|n| *n > 0) {
        n -= 1;
        hi = partials[n];
        let mut lo = 0.0;
        while n > 0 {
            let x = hi;
            n -= 1;
            let y = partials[n];
            hi = x + y;
            let yr = hi - x;
            lo = y - yr;
            if lo != 0.0 {
                break;
            }
        }
        // Round half-even correctly when the rest of the partials push the same way.
        if n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0)) {
            let y = lo * 2.0;
            let x = hi + y;
            let yr = x - hi;
            if y == yr {
                hi = x;
            }
        }
    }
    Ok(Value::Float(hi))
}

fn isclose(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    kw_only(vm, "isclose", kw, &["a", "b", "rel_tol", "abs_tol"])?;
    let a = crate::methods::param(vm, "isclose", args, kw, 0, "a")?;
    let b = crate::methods::param(vm, "isclose", args, kw, 1, "b")?;
    if args.len() > 2 {
        return Err(vm.type_error(format!(
            "isclose() takes exactly 2 positional arguments ({} given)",
            args.len()
        )));
    }
    let (Some(a), Some(b)) = (a, b) else {
        let which = if args.is_empty() && kwarg(kw, "a").is_none() {
            "'a' (pos 1)"
        } else {
            "'b' (pos 2)"
        };
        return Err(vm.type_error(format!("isclose() missing required argument {which}")));
    };
    let (a, b) = (real(vm, &a)?, real(vm, &b)?);
    let rel = match kwarg(kw, "rel_tol") {
        Some(v) => real(vm, &v)?,
        None => 1e-9,
    };
    let abs = match kwarg(kw, "abs_tol") {
        Some(v) => real(vm, &v)?,
        None => 0.0,
    };
    if rel < 0.0 || abs < 0.0 {
        return Err(vm.value_error("tolerances must be non-negative"));
    }
    if a == b {
        return Ok(Value::Bool(true));
    }
    if a.is_infinite() || b.is_infinite() {
        return Ok(Value::Bool(false));
    }
    let diff = (b - a).abs();
    Ok(Value::Bool(
        (diff <= (rel * b).abs()) || (diff <= (rel * a).abs()) || diff <= abs,
    ))
}

fn gcd(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let mut g = BigInt::zero();
    for a in args {
        let n = int_arg(vm, a)?;
        g = g.gcd(&n);
    }
    Ok(alloc::big(g))
}

fn lcm(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let mut l = BigInt::one();
    for a in args {
        let n = int_arg(vm, a)?;
        if n.is_zero() || l.is_zero() {
            l = BigInt::zero();
            continue;
        }
        l = l.lcm(&n);
        vm.charge(l.bits() / 8)?;
    }
    Ok(alloc::big(l.abs()))
}

fn isqrt(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let n = int_arg(vm, &arg(args, 0))?;
    if n.is_negative() {
        return Err(vm.value_error("isqrt() argument must be nonnegative"));
    }
    Ok(alloc::big(n.sqrt()))
}

/// The product of `lo..hi` (empty: 1) by binary splitting, so big products multiply numbers
/// of similar sizes.
fn range_product(lo: u64, hi: u64) -> BigInt {
    if hi <= lo {
        return BigInt::one();
    }
    if hi - lo <= 16 {
        let mut p = BigInt::one();
        for i in lo..hi {
            p *= i;
        }
        return p;
    }
    let mid = lo + (hi - lo) / 2;
    range_product(lo, mid) * range_product(mid, hi)
}

/// Counts the memory a big integer result of about `bits` bits needs, and the work of
/// computing it (its limbs times the splitting depth) as steps, before computing it.
fn charge_bits(vm: &mut Vm, bits: f64) -> PyResult<()> {
    vm.charge((bits / 8.0).min(1e18) as u64)?;
    let limbs = bits / 64.0;
    vm.tick((limbs * 4.0 * bits.max(2.0).log2()).min(1e18) as u64)
}

fn factorial(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let x = arg(args, 0);
    if let Value::Float(_) = x {
        return Err(vm.type_error("'float' object cannot be interpreted as an integer"));
    }
    let n = int_arg(vm, &x)?;
    if n.is_negative() {
        return Err(vm.value_error("factorial() not defined for negative values"));
    }
    let Some(n) = n.to_u64().filter(|n| *n <= i64::MAX as u64) else {
        return Err(vm.exc(
            "OverflowError",
            "factorial() argument should not exceed 9223372036854775807",
        ));
    };
    let nf = n as f64;
    charge_bits(vm, nf * (nf.max(2.0)).log2())?;
    Ok(alloc::big(range_product(1, n + 1)))
}

fn nonneg(vm: &mut Vm, v: &Value, what: &str) -> PyResult<BigInt> {
    let n = int_arg(vm, v)?;
    if n.is_negative() {
        return Err(vm.value_error(format!("{what} must be a non-negative integer")));
    }
    Ok(n)
}

fn perm(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "perm", args.len(), 1, 2)?;
    if args.get(1).is_none_or(|k| matches!(k, Value::None)) {
        // perm(n) is factorial(n).
        return factorial(vm, &args[..1], &[]);
    }
    let n = nonneg(vm, &args[0], "n")?;
    let k = match args.get(1) {
        None | Some(Value::None) => n.clone(),
        Some(k) => nonneg(vm, k, "k")?,
    };
    if k > n {
        return Ok(Value::Int(0));
    }
    let (Some(nu), Some(ku)) = (n.to_u64(), k.to_u64()) else {
        return Err(vm.exc("OverflowError", "n must not exceed 9223372036854775807"));
    };
    charge_bits(vm, ku as f64 * (nu as f64).max(2.0).log2())?;
    Ok(alloc::big(range_product(nu - ku + 1, nu + 1)))
}

fn comb(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "comb", args.len(), 2, 2)?;
    let n = nonneg(vm, &args[0], "n")?;
    let k = nonneg(vm, &args[1], "k")?;
    if k > n {
        return Ok(Value::Int(0));
    }
    let k = std::cmp::min(k.clone(), &n - &k);
    let (Some(nu), Some(ku)) = (n.to_u64(), k.to_u64()) else {
        return Err(vm.exc(
            "OverflowError",
            "min(n - k, k) must not exceed 9223372036854775807",
        ));
    };
    charge_bits(vm, ku as f64 * (nu as f64).max(2.0).log2())?;
    let num = range_product(nu - ku + 1, nu + 1);
    let den = range_product(1, ku + 1);
    Ok(alloc::big(num / den))
}

fn prod(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    kw_only(vm, "prod", kw, &["start"])?;
    nargs(vm, "prod", args.len(), 1, 1)?;
    let mut acc = kwarg(kw, "start").unwrap_or(Value::Int(1));
    let it = vm.iter(&args[0])?;
    while let Some(v) = vm.next(&it)? {
        acc = vm.binary_op(&acc, &v, 5)?;
    }
    Ok(acc)
}

fn sumprod(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "sumprod", args.len(), 2, 2)?;
    let p = vm.iter(&args[0])?;
    let q = vm.iter(&args[1])?;
    let mut acc = Value::Int(0);
    let mut floats: Vec<f64> = Vec::new();
    let mut all_float = true;
    loop {
        let (a, b) = (vm.next(&p)?, vm.next(&q)?);
        match (a, b) {
            (None, None) => break,
            (Some(a), Some(b)) => {
                if let (Value::Float(x), Value::Float(y)) = (&a, &b) {
                    floats.push(x * y);
                    floats.push(x.mul_add(*y, -(x * y)));
                } else {
                    all_float = false;
                }
                let m = vm.binary_op(&a, &b, 5)?;
                acc = vm.binary_op(&acc, &m, 0)?;
            }
            _ => return Err(vm.value_error("Inputs are not the same length")),
        }
    }
    if all_float && !floats.is_empty() {
        // Exact products summed exactly: the correctly rounded dot product.
        let list = alloc::list(floats.into_iter().map(Value::Float).collect());
        return fsum(vm, &[list], &[]);
    }
    Ok(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norms_are_exact_on_pythagorean_triples() {
        assert_eq!(vector_norm(&[3.0, 4.0]), 5.0);
        assert_eq!(vector_norm(&[5.0, 12.0]), 13.0);
        assert_eq!(vector_norm(&[1e308, 1e308]), 1.4142135623730951e308);
        assert!(vector_norm(&[f64::NAN, f64::INFINITY]).is_infinite());
    }

    #[test]
    fn products_split_evenly() {
        assert_eq!(range_product(1, 21), BigInt::from(2432902008176640000u64));
        assert_eq!(range_product(5, 5), BigInt::one());
    }
}

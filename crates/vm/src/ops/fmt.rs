//! The builtin formatting `format()` and `%` need: the format-spec mini-language for `int`,
//! `float` and `str`, and printf-style `str % args`.

use super::num::{as_bigint, as_num, int_to_f64, Num};
use super::{dunder, index_of, type_of};
use crate::value::{Data, Value};
use crate::{PyResult, Vm};
use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive};
use std::rc::Rc;

/// A parsed format spec: `[[fill]align][sign]['z']['#']['0'][width][grouping]['.' precision][type]`.
#[derive(Default)]
struct Spec {
    fill: Option<char>,
    align: Option<char>,
    sign: Option<char>,
    z: bool,
    alt: bool,
    zero: bool,
    width: usize,
    grouping: Option<char>,
    precision: Option<usize>,
    ty: Option<char>,
}

fn parse_spec(s: &str) -> Option<Spec> {
    let c: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut sp = Spec::default();
    let is_align = |ch: char| matches!(ch, '<' | '>' | '^' | '=');
    if c.len() >= 2 && is_align(c[1]) {
        sp.fill = Some(c[0]);
        sp.align = Some(c[1]);
        i = 2;
    } else if !c.is_empty() && is_align(c[0]) {
        sp.align = Some(c[0]);
        i = 1;
    }
    if i < c.len() && matches!(c[i], '+' | '-' | ' ') {
        sp.sign = Some(c[i]);
        i += 1;
    }
    if i < c.len() && c[i] == 'z' {
        sp.z = true;
        i += 1;
    }
    if i < c.len() && c[i] == '#' {
        sp.alt = true;
        i += 1;
    }
    if i < c.len() && c[i] == '0' {
        sp.zero = true;
        i += 1;
    }
    let start = i;
    while i < c.len() && c[i].is_ascii_digit() {
        i += 1;
    }
    if i > start {
        sp.width = c[start..i].iter().collect::<String>().parse().ok()?;
    }
    if i < c.len() && matches!(c[i], ',' | '_') {
        sp.grouping = Some(c[i]);
        i += 1;
    }
    if i < c.len() && c[i] == '.' {
        i += 1;
        let start = i;
        while i < c.len() && c[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return None;
        }
        sp.precision = Some(c[start..i].iter().collect::<String>().parse().ok()?);
    }
    if i < c.len() {
        sp.ty = Some(c[i]);
        i += 1;
    }
    (i == c.len()).then_some(sp)
}

/// Inserts `sep` every `every` digits from the right of `digits`.
fn group(digits: &str, sep: char, every: usize) -> String {
    let n = digits.len();
    let mut out = String::with_capacity(n + n / every);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(every) {
            out.push(sep);
        }
        out.push(ch);
    }
    out
}

/// Pads `sign` + `body` to the spec's width.
fn pad(sp: &Spec, sign: &str, body: &str, default_align: char) -> String {
    let fill = sp.fill.unwrap_or(if sp.zero && sp.align.is_none() {
        '0'
    } else {
        ' '
    });
    let align = sp
        .align
        .unwrap_or(if sp.zero { '=' } else { default_align });
    let len = sign.chars().count() + body.chars().count();
    if len >= sp.width {
        return format!("{sign}{body}");
    }
    let n = sp.width - len;
    let f = |k: usize| fill.to_string().repeat(k);
    match align {
        '<' => format!("{sign}{body}{}", f(n)),
        '^' => format!("{}{sign}{body}{}", f(n / 2), f(n - n / 2)),
        '=' => format!("{sign}{}{body}", f(n)),
        _ => format!("{}{sign}{body}", f(n)),
    }
}

fn sign_str(neg: bool, sign: Option<char>) -> &'static str {
    match (neg, sign) {
        (true, _) => "-",
        (false, Some('+')) => "+",
        (false, Some(' ')) => " ",
        _ => "",
    }
}

/// `repr`-style exponent: `e+05`.
fn exp_suffix(e: i32, upper: bool) -> String {
    let ch = if upper { 'E' } else { 'e' };
    let sign = if e < 0 { '-' } else { '+' };
    format!("{ch}{sign}{:02}", e.abs())
}

/// `x` (finite, non-negative) with `p` digits after the point in exponent notation.
fn fmt_exp(x: f64, p: usize, upper: bool, alt: bool) -> String {
    let s = format!("{x:.p$e}");
    let (mant, e) = s.split_once('e').unwrap_or((&s, "0"));
    let e: i32 = e.parse().unwrap_or(0);
    let mant = if alt && p == 0 {
        format!("{mant}.")
    } else {
        mant.to_string()
    };
    format!("{mant}{}", exp_suffix(e, upper))
}

/// The `g` format of finite non-negative `x` with `p` significant digits.
fn fmt_general(x: f64, p: usize, upper: bool, alt: bool, no_type: bool) -> String {
    let p = p.max(1);
    let s = format!("{x:.prec$e}", prec = p - 1);
    let e: i32 = s
        .split_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    let strip = |t: String| -> String {
        if alt || !t.contains('.') {
            t
        } else {
            t.trim_end_matches('0').trim_end_matches('.').to_string()
        }
    };
    if -4 <= e && (e as i64) < p as i64 {
        let decimals = (p as i64 - 1 - e as i64).max(0) as usize;
        let mut t = strip(format!("{x:.decimals$}"));
        if no_type && !t.contains('.') {
            t.push_str(".0");
        }
        t
    } else {
        let t = format!("{x:.prec$e}", prec = p - 1);
        let (mant, _) = t.split_once('e').unwrap_or((&t, ""));
        let mant = strip(mant.to_string());
        format!("{mant}{}", exp_suffix(e, upper))
    }
}

/// A float's digits (no sign) for presentation type `ty`.
fn float_body(x: f64, ty: Option<char>, precision: Option<usize>, alt: bool) -> String {
    let upper = matches!(ty, Some('E' | 'F' | 'G'));
    if x.is_infinite() || x.is_nan() {
        let s = if x.is_nan() { "nan" } else { "inf" };
        let s = if upper {
            s.to_uppercase()
        } else {
            s.to_string()
        };
        return if ty == Some('%') { format!("{s}%") } else { s };
    }
    match ty {
        Some('e' | 'E') => fmt_exp(x, precision.unwrap_or(6), upper, alt),
        Some('f' | 'F') => {
            let p = precision.unwrap_or(6);
            let s = format!("{x:.p$}");
            if alt && p == 0 {
                format!("{s}.")
            } else {
                s
            }
        }
        Some('%') => {
            let p = precision.unwrap_or(6);
            format!("{:.p$}%", x * 100.0)
        }
        Some('g' | 'G' | 'n') => fmt_general(x, precision.unwrap_or(6), upper, alt, false),
        _ => match precision {
            Some(p) => fmt_general(x, p, false, alt, true),
            None => cpyviz_model::pyrepr::float_repr(x),
        },
    }
}

/// Groups the integer part of a float body.
fn group_float(body: &str, sep: Option<char>) -> String {
    let Some(sep) = sep else {
        return body.to_string();
    };
    let end = body
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(body.len());
    format!("{}{}", group(&body[..end], sep, 3), &body[end..])
}

impl Vm {
    /// `format(v, spec)` for ints, floats and strs; `None` for other types.
    pub(super) fn builtin_format(&mut self, v: &Value, spec: &str) -> PyResult<Option<Rc<str>>> {
        let tname = self.type_name(v);
        let Some(sp) = parse_spec(spec) else {
            return Err(self.value_error(format!(
                "Invalid format specifier '{spec}' for object of type '{tname}'"
            )));
        };
        let unknown = |vm: &Vm, c: char| {
            vm.value_error(format!(
                "Unknown format code '{c}' for object of type '{tname}'"
            ))
        };
        if let Some(s) = v.as_str() {
            if let Some(c) = sp.ty.filter(|&c| c != 's') {
                return Err(unknown(self, c));
            }
            if sp.sign.is_some() {
                return Err(self.value_error("Sign not allowed in string format specifier"));
            }
            if sp.align == Some('=') {
                return Err(
                    self.value_error("'=' alignment not allowed in string format specifier")
                );
            }
            let body: String = match sp.precision {
                Some(p) => s.chars().take(p).collect(),
                None => s.to_string(),
            };
            return Ok(Some(Rc::from(pad(&sp, "", &body, '<'))));
        }
        let Some(n) = as_num(v) else {
            return Ok(None);
        };
        match n {
            Num::Int(_) | Num::Big(_) => {
                let b = as_bigint(v).unwrap_or_default();
                match sp.ty {
                    None | Some('d' | 'n' | 'b' | 'o' | 'x' | 'X' | 'c') => {
                        if sp.precision.is_some() {
                            return Err(self
                                .value_error("Precision not allowed in integer format specifier"));
                        }
                        if sp.ty == Some('c') {
                            let ch = b.to_u32().and_then(char::from_u32);
                            let Some(ch) = ch else {
                                return Err(
                                    self.exc("OverflowError", "%c arg not in range(0x110000)")
                                );
                            };
                            return Ok(Some(Rc::from(pad(&sp, "", &ch.to_string(), '>'))));
                        }
                        let (radix, prefix) = match sp.ty {
                            Some('b') => (2, "0b"),
                            Some('o') => (8, "0o"),
                            Some('x') => (16, "0x"),
                            Some('X') => (16, "0X"),
                            _ => (10, ""),
                        };
                        let mut digits = b.abs().to_str_radix(radix);
                        if sp.ty == Some('X') {
                            digits = digits.to_uppercase();
                        }
                        if let Some(g) = sp.grouping {
                            digits = group(&digits, g, if radix == 10 { 3 } else { 4 });
                        }
                        let sign = format!(
                            "{}{}",
                            sign_str(b.is_negative(), sp.sign),
                            if sp.alt { prefix } else { "" }
                        );
                        Ok(Some(Rc::from(pad(&sp, &sign, &digits, '>'))))
                    }
                    Some('e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%') => {
                        let f = int_to_f64(self, &b)?;
                        self.format_float(f, &sp).map(Some)
                    }
                    Some(c) => Err(unknown(self, c)),
                }
            }
            Num::Float(f) => match sp.ty {
                None | Some('e' | 'E' | 'f' | 'F' | 'g' | 'G' | 'n' | '%') => {
                    self.format_float(f, &sp).map(Some)
                }
                Some(c) => Err(unknown(self, c)),
            },
            Num::Complex(..) => Ok(None),
        }
    }

    fn format_float(&mut self, f: f64, sp: &Spec) -> PyResult<Rc<str>> {
        let neg = f.is_sign_negative() && !f.is_nan();
        let body = float_body(f.abs(), sp.ty, sp.precision, sp.alt);
        let neg = neg && !(sp.z && body.chars().all(|c| matches!(c, '0' | '.' | '%')));
        let body = group_float(&body, sp.grouping);
        Ok(Rc::from(pad(sp, sign_str(neg, sp.sign), &body, '>')))
    }

    /// `fmt % args` for a `str`.
    pub(super) fn percent_format(&mut self, fmt: &str, args: &Value) -> PyResult<String> {
        let (items, mapping): (Vec<Value>, Option<Value>) = match args.data() {
            Some(Data::Tuple(t)) => (t.clone(), None),
            Some(Data::Dict(_)) => (vec![args.clone()], Some(args.clone())),
            _ if dunder(&type_of(args), "__getitem__").is_some() && args.as_str().is_none() => {
                (vec![args.clone()], Some(args.clone()))
            }
            _ => (vec![args.clone()], None),
        };
        let mut next = 0usize;

        let chars: Vec<char> = fmt.chars().collect();
        let mut out = String::with_capacity(fmt.len() + 16);
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            i += 1;
            if c != '%' {
                out.push(c);
                continue;
            }
            let mut key: Option<String> = None;
            if i < chars.len() && chars[i] == '(' {
                let mut depth = 1;
                let start = i + 1;
                i += 1;
                while i < chars.len() && depth > 0 {
                    match chars[i] {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    i += 1;
                }
                if depth > 0 {
                    return Err(self.value_error("incomplete format key"));
                }
                key = Some(chars[start..i - 1].iter().collect());
            }
            let mut sp = Spec::default();
            let mut left = false;
            while i < chars.len() && matches!(chars[i], '-' | '+' | ' ' | '#' | '0') {
                match chars[i] {
                    '-' => left = true,
                    '+' => sp.sign = Some('+'),
                    ' ' => {
                        if sp.sign.is_none() {
                            sp.sign = Some(' ')
                        }
                    }
                    '#' => sp.alt = true,
                    _ => sp.zero = true,
                }
                i += 1;
            }
            let take_arg = |vm: &mut Vm, next: &mut usize| -> PyResult<Value> {
                match items.get(*next) {
                    Some(v) => {
                        *next += 1;
                        Ok(v.clone())
                    }
                    None => Err(vm.type_error("not enough arguments for format string")),
                }
            };
            if i < chars.len() && chars[i] == '*' {
                i += 1;
                let w = take_arg(self, &mut next)?;
                let Some(w) = index_of(self, &w)? else {
                    return Err(self.type_error("* wants int"));
                };
                if w < 0 {
                    left = true;
                }
                sp.width = w.unsigned_abs() as usize;
            } else {
                let start = i;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                if i > start {
                    sp.width = chars[start..i]
                        .iter()
                        .collect::<String>()
                        .parse()
                        .unwrap_or(0);
                }
            }
            if i < chars.len() && chars[i] == '.' {
                i += 1;
                if i < chars.len() && chars[i] == '*' {
                    i += 1;
                    let p = take_arg(self, &mut next)?;
                    let Some(p) = index_of(self, &p)? else {
                        return Err(self.type_error("* wants int"));
                    };
                    sp.precision = Some(p.max(0) as usize);
                } else {
                    let start = i;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                    sp.precision = Some(
                        chars[start..i]
                            .iter()
                            .collect::<String>()
                            .parse()
                            .unwrap_or(0),
                    );
                }
            }
            while i < chars.len() && matches!(chars[i], 'h' | 'l' | 'L') {
                i += 1;
            }
            let Some(&conv) = chars.get(i) else {
                return Err(self.value_error("incomplete format"));
            };
            i += 1;
            if conv == '%' {
                out.push('%');
                continue;
            }
            let v = match &key {
                Some(k) => {
                    let Some(m) = &mapping else {
                        return Err(self.type_error("format requires a mapping"));
                    };
                    let m = m.clone();
                    self.getitem(&m, &crate::alloc::s(k))?
                }
                None => take_arg(self, &mut next)?,
            };
            if left {
                sp.align = Some('<');
                sp.zero = false;
            } else {
                sp.align = Some(if sp.zero { '=' } else { '>' });
                if sp.zero {
                    sp.fill = Some('0');
                }
            }
            let piece = self.percent_one(&v, conv, &mut sp)?;
            out.push_str(&piece);
        }
        if mapping.is_none() && next < items.len() {
            return Err(self.type_error("not all arguments converted during string formatting"));
        }
        Ok(out)
    }

    fn percent_one(&mut self, v: &Value, conv: char, sp: &mut Spec) -> PyResult<String> {
        let text = |s: Rc<str>, sp: &Spec| {
            let body: String = match sp.precision {
                Some(p) => s.chars().take(p).collect(),
                None => s.to_string(),
            };
            let sp2 = Spec {
                fill: Some(' '),
                align: sp.align.filter(|&a| a == '<').or(Some('>')),
                width: sp.width,
                ..Spec::default()
            };
            pad(&sp2, "", &body, '>')
        };
        match conv {
            's' => {
                let s = self.str(v)?;
                Ok(text(s, sp))
            }
            'r' => {
                let s = self.repr(v)?;
                Ok(text(s, sp))
            }
            'a' => {
                let s = self.ascii(v)?;
                Ok(text(s, sp))
            }
            'c' => {
                let ch = match (v.as_str(), as_bigint(v)) {
                    (Some(s), _) if s.chars().count() == 1 => s.to_string(),
                    (_, Some(b)) if !matches!(v, Value::Float(_)) => {
                        match b.to_u32().and_then(char::from_u32) {
                            Some(c) => c.to_string(),
                            None => {
                                return Err(
                                    self.exc("OverflowError", "%c arg not in range(0x110000)")
                                )
                            }
                        }
                    }
                    _ => {
                        return Err(self.type_error(format!(
                            "%c requires an int or a unicode character, not {}",
                            self.type_name(v)
                        )))
                    }
                };
                sp.precision = None;
                Ok(text(Rc::from(ch), sp))
            }
            'd' | 'i' | 'u' | 'x' | 'X' | 'o' => {
                let b: BigInt = match as_num(v) {
                    Some(Num::Float(f)) if matches!(conv, 'd' | 'i' | 'u') => {
                        if !f.is_finite() {
                            return Err(self
                                .exc("OverflowError", "cannot convert float infinity to integer"));
                        }
                        num_traits::FromPrimitive::from_f64(f.trunc()).unwrap_or_default()
                    }
                    Some(Num::Int(i)) => BigInt::from(i),
                    Some(Num::Big(b)) => b,
                    _ => match index_of(self, v)? {
                        Some(i) => BigInt::from(i),
                        None => {
                            let what = if matches!(conv, 'd' | 'i' | 'u') {
                                "a real number"
                            } else {
                                "an integer"
                            };
                            return Err(self.type_error(format!(
                                "%{conv} format: {what} is required, not {}",
                                self.type_name(v)
                            )));
                        }
                    },
                };
                let (radix, prefix) = match conv {
                    'x' => (16, "0x"),
                    'X' => (16, "0X"),
                    'o' => (8, "0o"),
                    _ => (10, ""),
                };
                let mut digits = b.abs().to_str_radix(radix);
                if conv == 'X' {
                    digits = digits.to_uppercase();
                }
                if let Some(p) = sp.precision {
                    if digits.len() < p {
                        digits = format!("{}{digits}", "0".repeat(p - digits.len()));
                    }
                }
                let sign = format!(
                    "{}{}",
                    sign_str(b.is_negative(), sp.sign),
                    if sp.alt { prefix } else { "" }
                );
                Ok(pad(sp, &sign, &digits, '>'))
            }
            'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
                let f = match as_num(v) {
                    Some(Num::Float(f)) => f,
                    Some(Num::Int(i)) => i as f64,
                    Some(Num::Big(b)) => int_to_f64(self, &b)?,
                    _ => {
                        if dunder(&type_of(v), "__float__").is_some() {
                            match self.call_method(v, "__float__", &[])? {
                                Value::Float(f) => f,
                                _ => 0.0,
                            }
                        } else {
                            return Err(self.type_error(format!(
                                "must be real number, not {}",
                                self.type_name(v)
                            )));
                        }
                    }
                };
                let neg = f.is_sign_negative() && !f.is_nan();
                let p = sp.precision.unwrap_or(6);
                let body = float_body(f.abs(), Some(conv), Some(p), sp.alt);
                Ok(pad(sp, sign_str(neg, sp.sign), &body, '>'))
            }
            other => Err(self.value_error(format!(
                "unsupported format character '{other}' ({:#x}) at index {}",
                other as u32, 0
            ))),
        }
    }
}

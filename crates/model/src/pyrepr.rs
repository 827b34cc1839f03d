//! Python's `repr()` of the values the stages print (strings, bytes, numbers), so dumps match
//! CPython byte for byte.

use crate::pystr::PyStr;
use crate::version::PyVersion;

/// `repr(s)` of a Python `str`, with `version`'s idea of which characters are printable.
pub fn str_repr(s: &str, version: PyVersion) -> String {
    code_points_repr(
        s.chars().map(|c| c as u32),
        s.contains('\''),
        s.contains('"'),
        version,
    )
}

/// `repr(s)` of a Python `str` that may hold lone surrogates.
pub fn pystr_repr(s: &PyStr, version: PyVersion) -> String {
    match s {
        PyStr::Text(t) => str_repr(t, version),
        PyStr::CodePoints(cps) => code_points_repr(
            cps.iter().copied(),
            cps.contains(&('\'' as u32)),
            cps.contains(&('"' as u32)),
            version,
        ),
    }
}

fn code_points_repr(
    cps: impl Iterator<Item = u32>,
    has_single: bool,
    has_double: bool,
    version: PyVersion,
) -> String {
    let unicode = crate::unicode::data(version);
    let quote = if has_single && !has_double { '"' } else { '\'' };
    let mut out = String::new();
    out.push(quote);
    for n in cps {
        match char::from_u32(n) {
            Some('\\') => out.push_str("\\\\"),
            Some('\n') => out.push_str("\\n"),
            Some('\r') => out.push_str("\\r"),
            Some('\t') => out.push_str("\\t"),
            Some(c) if c == quote => {
                out.push('\\');
                out.push(c);
            }
            Some(c) if unicode.is_printable(n) => out.push(c),
            _ => {
                if n < 0x100 {
                    out.push_str(&format!("\\x{n:02x}"));
                } else if n < 0x10000 {
                    out.push_str(&format!("\\u{n:04x}"));
                } else {
                    out.push_str(&format!("\\U{n:08x}"));
                }
            }
        }
    }
    out.push(quote);
    out
}

/// `repr(b)` of a Python `bytes`.
pub fn bytes_repr(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::with_capacity(b.len() + 3);
    out.push('b');
    out.push(quote as char);
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c as char);
            }
            0x20..=0x7e => out.push(c as char),
            c => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push(quote as char);
    out
}

/// The shortest round-trip digits and decimal exponent of a finite, non-negative `f`:
/// `f == 0.d1d2d3… × 10^(exp+1)`, i.e. `d1.d2d3… × 10^exp`.
fn shortest_digits(f: f64) -> (String, i32) {
    let sci = format!("{f:e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    (digits, exp.parse().unwrap_or(0))
}

/// Python's `float.__repr__` core (format code `'r'`), with or without a forced `.0`.
fn float_repr_impl(f: f64, add_dot_zero: bool) -> String {
    if f.is_nan() {
        return "nan".to_string();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    let a = f.abs();
    if a == 0.0 {
        return format!("{sign}{}", if add_dot_zero { "0.0" } else { "0" });
    }
    let (digits, exp) = shortest_digits(a);
    let body = if (-4..16).contains(&exp) {
        if exp < 0 {
            format!("0.{}{}", "0".repeat((-exp - 1) as usize), digits)
        } else {
            let point = exp as usize + 1;
            if digits.len() > point {
                format!("{}.{}", &digits[..point], &digits[point..])
            } else {
                let int = format!("{digits}{}", "0".repeat(point - digits.len()));
                if add_dot_zero {
                    format!("{int}.0")
                } else {
                    int
                }
            }
        }
    } else {
        let mant = if digits.len() > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits.clone()
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{esign}{:02}", exp.abs())
    };
    format!("{sign}{body}")
}

/// `repr(f)` of a Python `float`.
pub fn float_repr(f: f64) -> String {
    float_repr_impl(f, true)
}

/// `repr(complex(real, imag))` of a Python `complex`.
pub fn complex_repr(real: f64, imag: f64) -> String {
    if real == 0.0 && real.is_sign_positive() {
        return format!("{}j", float_repr_impl(imag, false));
    }
    let re = float_repr_impl(real, false);
    let im = float_repr_impl(imag, false);
    let im = if im.starts_with('-') || imag.is_nan() {
        im
    } else {
        format!("+{im}")
    };
    format!("({re}{im}j)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn str_repr_matches_python() {
        for v in PyVersion::ALL {
            let r = |s: &str| str_repr(s, v);
            assert_eq!(r("abc"), "'abc'");
            assert_eq!(r("it's"), "\"it's\"");
            assert_eq!(r("'\""), "'\\'\"'");
            assert_eq!(r("a\nb\t\\"), "'a\\nb\\t\\\\'");
            assert_eq!(r("\x00\x7f é"), "'\\x00\\x7f é'");
            assert_eq!(r("\u{a0}\u{200b}"), "'\\xa0\\u200b'");
            // Unassigned code points and private use are escaped too.
            assert_eq!(r("\u{378}\u{e000}\u{1f600}"), "'\\u0378\\ue000\u{1f600}'");
        }
        // U+A7CE is unassigned in Unicode 16.0 (3.14) and a letter in 17.0 (3.15).
        assert_eq!(str_repr("\u{a7ce}", PyVersion::V3_14), "'\\ua7ce'");
        assert_eq!(str_repr("\u{a7ce}", PyVersion::V3_15), "'\u{a7ce}'");
    }

    #[test]
    fn lone_surrogates_are_escaped() {
        // repr('a\ud800"') in both versions.
        let s = PyStr::from_code_points(vec!['a' as u32, 0xd800, '"' as u32]);
        assert_eq!(pystr_repr(&s, PyVersion::V3_14), "'a\\ud800\"'");
        assert_eq!(
            PyStr::from_code_points(vec!['a' as u32]),
            PyStr::Text("a".into())
        );
    }

    #[test]
    fn number_and_bytes_reprs_match_python() {
        assert_eq!(float_repr(1.0), "1.0");
        assert_eq!(float_repr(1e16), "1e+16");
        assert_eq!(float_repr(1e15), "1000000000000000.0");
        assert_eq!(float_repr(1e-5), "1e-05");
        assert_eq!(float_repr(0.0001), "0.0001");
        assert_eq!(float_repr(0.1), "0.1");
        assert_eq!(float_repr(1.5e300), "1.5e+300");
        assert_eq!(float_repr(123.456), "123.456");
        assert_eq!(float_repr(f64::INFINITY), "inf");
        assert_eq!(float_repr(0.0), "0.0");
        assert_eq!(complex_repr(0.0, 1.0), "1j");
        assert_eq!(complex_repr(0.0, 1.5), "1.5j");
        assert_eq!(complex_repr(0.0, 0.0), "0j");
        assert_eq!(complex_repr(0.0, 1e16), "1e+16j");
        assert_eq!(complex_repr(1.0, 2.0), "(1+2j)");
        assert_eq!(bytes_repr(b"ab'c"), "b\"ab'c\"");
        assert_eq!(bytes_repr(b"\x00\xff\n\\'\""), "b'\\x00\\xff\\n\\\\\\'\"'");
    }
}

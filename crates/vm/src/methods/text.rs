//! `str` methods. Positions are counted in code points, as Python does.

use super::{arg, index, kw_only, nargs, param, self_str, span, Entry, Kw};
use crate::alloc::{self, types};
use crate::value::{Data, MethKind::*, Value};
use crate::{Flow, PyResult, Vm};
use std::rc::Rc;

pub(super) fn install(vm: &mut Vm) {
    let _ = vm;
    let t = &types().str_;
    let entries: &[Entry] = &[
        ("encode", FastKw, encode),
        ("replace", FastKw, replace),
        ("split", FastKw, split),
        ("rsplit", FastKw, rsplit),
        ("join", O, join),
        ("capitalize", NoArgs, capitalize),
        ("casefold", NoArgs, casefold),
        ("title", NoArgs, title),
        ("center", Fast, center),
        ("count", Fast, count),
        ("expandtabs", FastKw, expandtabs),
        ("find", Fast, find),
        ("partition", O, partition),
        ("index", Fast, index_m),
        ("ljust", Fast, ljust),
        ("lower", NoArgs, lower),
        ("lstrip", Fast, lstrip),
        ("rfind", Fast, rfind),
        ("rindex", Fast, rindex),
        ("rjust", Fast, rjust),
        ("rpartition", O, rpartition),
        ("rstrip", Fast, rstrip),
        ("splitlines", FastKw, splitlines),
        ("strip", Fast, strip),
        ("swapcase", NoArgs, swapcase),
        ("translate", O, translate),
        ("upper", NoArgs, upper),
        ("startswith", Fast, startswith),
        ("endswith", Fast, endswith),
        ("removeprefix", O, removeprefix),
        ("removesuffix", O, removesuffix),
        ("isascii", NoArgs, isascii),
        ("islower", NoArgs, islower),
        ("isupper", NoArgs, isupper),
        ("istitle", NoArgs, istitle),
        ("isspace", NoArgs, isspace),
        ("isdecimal", NoArgs, isdecimal),
        ("isdigit", NoArgs, isdigit),
        ("isnumeric", NoArgs, isnumeric),
        ("isalpha", NoArgs, isalpha),
        ("isalnum", NoArgs, isalnum),
        ("isidentifier", NoArgs, isidentifier),
        ("isprintable", NoArgs, isprintable),
        ("zfill", O, zfill),
        ("format", VarArgs, format),
        ("format_map", O, format_map),
    ];
    super::add_all(t, "str", entries);
    super::add_static(t, "maketrans", Fast, maketrans);
}

fn me(vm: &Vm, args: &[Value], name: &str) -> PyResult<Rc<str>> {
    self_str(vm, args, "str", name)
}

fn out(s: String) -> PyResult {
    Ok(alloc::string(s))
}

/// A `str` argument (`must be str, not int`).
fn str_arg(vm: &Vm, v: &Value, what: &str) -> PyResult<Rc<str>> {
    match v.data() {
        Some(Data::Str(s)) => Ok(s.clone()),
        _ => Err(vm.type_error(format!("{what}must be str, not {}", vm.type_name(v)))),
    }
}

/// Python's whitespace (`str.isspace`): Unicode White_Space plus the ASCII separators.
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

fn is_cased(c: char) -> bool {
    c.is_uppercase() || c.is_lowercase()
}

fn encode(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    let s = me(vm, args, "encode")?;
    kw_only(vm, "encode", kw, &["encoding", "errors"])?;
    let rest = &args[1.min(args.len())..];
    nargs(vm, "encode", rest.len(), 0, 2)?;
    let enc = match param(vm, "encode", rest, kw, 0, "encoding")? {
        Some(v) => str_arg(vm, &v, "encode() argument 'encoding' ")?.to_lowercase(),
        None => "utf-8".into(),
    };
    let errors = match param(vm, "encode", rest, kw, 1, "errors")? {
        Some(v) => str_arg(vm, &v, "encode() argument 'errors' ")?.to_string(),
        None => "strict".into(),
    };
    encode_str(vm, &s, &enc, &errors).map(alloc::bytes)
}

/// Encodes `s` with one of the codecs teaching code uses (UTF-8, ASCII, Latin-1).
pub fn encode_str(vm: &Vm, s: &str, enc: &str, errors: &str) -> PyResult<Vec<u8>> {
    use crate::surrogates::{code_point, is_surrogate};
    let norm = enc.to_lowercase().replace('_', "-");
    let (name, limit) = match norm.as_str() {
        "utf-8" | "utf8" => {
            if !crate::surrogates::has_surrogates(s) {
                return Ok(s.as_bytes().to_vec());
            }
            ("utf-8", 0x11_0000)
        }
        "ascii" | "us-ascii" => ("ascii", 0x80),
        "latin-1" | "latin1" | "iso-8859-1" => ("latin-1", 0x100),
        _ => return Err(vm.exc("LookupError", format!("unknown encoding: {enc}"))),
    };
    let mut out = Vec::with_capacity(s.len());
    for (i, c) in s.chars().enumerate() {
        let n = code_point(c);
        let surrogate = is_surrogate(c);
        if n < limit && !surrogate {
            if limit == 0x11_0000 {
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            } else {
                out.push(n as u8);
            }
            continue;
        }
        match errors {
            "ignore" => {}
            "replace" => out.push(b'?'),
            "backslashreplace" => out.extend_from_slice(escape_code_point(n).as_bytes()),
            "xmlcharrefreplace" => out.extend_from_slice(format!("&#{n};").as_bytes()),
            // A surrogate in UTF-8's three-byte form.
            "surrogatepass" if surrogate && name == "utf-8" => out.extend_from_slice(&[
                0xE0 | (n >> 12) as u8,
                0x80 | ((n >> 6) & 0x3F) as u8,
                0x80 | (n & 0x3F) as u8,
            ]),
            // The bytes `surrogateescape` decoding turned into U+DC80–U+DCFF.
            "surrogateescape" if (0xDC80..=0xDCFF).contains(&n) => out.push((n - 0xDC00) as u8),
            _ => {
                let why = if name == "utf-8" {
                    "surrogates not allowed".to_string()
                } else {
                    format!("ordinal not in range({limit})")
                };
                return Err(vm.exc(
                    "UnicodeEncodeError",
                    format!(
                        "'{name}' codec can't encode character '{}' in position {i}: {why}",
                        escape_code_point(n)
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// `\xNN`, `\uNNNN` or `\UNNNNNNNN`: a code point as Python escapes it.
fn escape_code_point(n: u32) -> String {
    if n < 0x100 {
        format!("\\x{n:02x}")
    } else if n < 0x10000 {
        format!("\\u{n:04x}")
    } else {
        format!("\\U{n:08x}")
    }
}

fn replace(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    let s = me(vm, args, "replace")?;
    kw_only(vm, "replace", kw, &["count"])?;
    let rest = &args[1.min(args.len())..];
    if rest.len() < 2 {
        return Err(vm.type_error(format!(
            "replace() takes at least 2 positional arguments ({} given)",
            rest.len()
        )));
    }
    nargs(vm, "replace", rest.len(), 2, 3)?;
    let old = str_arg(vm, &rest[0], "replace() argument 1 ")?;
    let new = str_arg(vm, &rest[1], "replace() argument 2 ")?;
    let count = match param(vm, "replace", rest, kw, 2, "count")? {
        Some(v) => index(vm, &v)?,
        None => -1,
    };
    let limit = if count < 0 {
        usize::MAX
    } else {
        count as usize
    };
    if old.is_empty() {
        let mut r = String::new();
        let mut n = 0;
        for c in s.chars() {
            if n < limit {
                r.push_str(&new);
                n += 1;
            }
            r.push(c);
        }
        if n < limit {
            r.push_str(&new);
        }
        return out(r);
    }
    out(s.replacen(&*old, &new, limit))
}

fn split_args(
    vm: &mut Vm,
    name: &str,
    args: &[Value],
    kw: Kw,
) -> PyResult<(Rc<str>, Option<Rc<str>>, i64)> {
    let s = me(vm, args, name)?;
    kw_only(vm, name, kw, &["sep", "maxsplit"])?;
    let rest = &args[1.min(args.len())..];
    nargs(vm, name, rest.len(), 0, 2)?;
    let sep = match param(vm, name, rest, kw, 0, "sep")? {
        None | Some(Value::None) => None,
        Some(v) => {
            let sep = str_arg(vm, &v, "")?;
            if sep.is_empty() {
                return Err(vm.value_error("empty separator"));
            }
            Some(sep)
        }
    };
    let max = match param(vm, name, rest, kw, 1, "maxsplit")? {
        Some(v) => index(vm, &v)?,
        None => -1,
    };
    Ok((s, sep, max))
}

/// `str.split` (also used by `bytes.split` through text).
pub fn split_str(s: &str, sep: Option<&str>, max: i64) -> Vec<String> {
    let limit = if max < 0 { usize::MAX } else { max as usize };
    match sep {
        Some(sep) => {
            if limit == usize::MAX {
                s.split(sep).map(String::from).collect()
            } else {
                s.splitn(limit.saturating_add(1), sep)
                    .map(String::from)
                    .collect()
            }
        }
        None => {
            let mut out = Vec::new();
            let mut rest = s.trim_start_matches(is_space);
            while !rest.is_empty() {
                if out.len() == limit {
                    out.push(rest.to_string());
                    break;
                }
                let end = rest.find(is_space).unwrap_or(rest.len());
                out.push(rest[..end].to_string());
                rest = rest[end..].trim_start_matches(is_space);
            }
            out
        }
    }
}

fn rsplit_str(s: &str, sep: Option<&str>, max: i64) -> Vec<String> {
    let limit = if max < 0 { usize::MAX } else { max as usize };
    let mut out: Vec<String> = match sep {
        Some(sep) => {
            if limit == usize::MAX {
                s.rsplit(sep).map(String::from).collect()
            } else {
                s.rsplitn(limit.saturating_add(1), sep)
                    .map(String::from)
                    .collect()
            }
        }
        None => {
            let mut out = Vec::new();
            let mut rest = s.trim_end_matches(is_space);
            while !rest.is_empty() {
                if out.len() == limit {
                    out.push(rest.to_string());
                    break;
                }
                let start = rest
                    .rfind(is_space)
                    .map(|i| i + rest[i..].chars().next().map_or(1, char::len_utf8))
                    .unwrap_or(0);
                out.push(rest[start..].to_string());
                rest = rest[..start].trim_end_matches(is_space);
            }
            out
        }
    };
    out.reverse();
    out
}

fn str_list(v: Vec<String>) -> Value {
    alloc::list(v.into_iter().map(alloc::string).collect())
}

fn split(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    let (s, sep, max) = split_args(vm, "split", args, kw)?;
    Ok(str_list(split_str(&s, sep.as_deref(), max)))
}

fn rsplit(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    let (s, sep, max) = split_args(vm, "rsplit", args, kw)?;
    Ok(str_list(rsplit_str(&s, sep.as_deref(), max)))
}

fn join(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let s = me(vm, args, "join")?;
    let items = vm.collect(&arg(args, 1))?;
    let mut r = String::new();
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            r.push_str(&s);
        }
        match it.data() {
            Some(Data::Str(x)) => r.push_str(x),
            _ => {
                return Err(vm.type_error(format!(
                    "sequence item {i}: expected str instance, {} found",
                    vm.type_name(it)
                )))
            }
        }
    }
    out(r)
}

fn capitalize(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let s = me(vm, args, "capitalize")?;
    let mut r = String::new();
    let mut cs = s.chars();
    if let Some(c) = cs.next() {
        r.extend(c.to_uppercase());
    }
    for c in cs {
        r.extend(c.to_lowercase());
    }
    out(r)
}

fn casefold(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let s = me(vm, args, "casefold")?;
    out(s.to_lowercase().replace('ß', "ss"))
}

fn title(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let s = me(vm, args, "title")?;
    let mut r = String::new();
    let mut prev_cased = false;
    for c in s.chars() {
        if prev_cased {
            r.extend(c.to_lowercase());
        } else {
            r.extend(c.to_uppercase());
        }
        prev_cased = is_cased(c);
    }
    out(r)
}

fn fill_char(vm: &Vm, args: &[Value], i: usize, name: &str) -> PyResult<char> {
    match args.get(i) {
        None => Ok(' '),
        Some(v) => match v.data() {
            Some(Data::Str(f)) if f.chars().count() == 1 => Ok(f.chars().next().unwrap_or(' ')),
            Some(Data::Str(_)) => {
                Err(vm.type_error("The fill character must be exactly one character long"))
            }
            _ => Err(vm.type_error(format!(
                "{name}() argument 2 must be a unicode character, not {}",
                vm.type_name(v)
            ))),
        },
    }
}

fn pad(s: &str, left: usize, right: usize, fill: char) -> String {
    let mut r = String::with_capacity(s.len() + left + right);
    r.extend(std::iter::repeat_n(fill, left));
    r.push_str(s);
    r.extend(std::iter::repeat_n(fill, right));
    r
}

fn justify(vm: &mut Vm, args: &[Value], name: &str) -> PyResult<(Rc<str>, usize, char, usize)> {
    let s = me(vm, args, name)?;
    nargs(vm, name, args.len().saturating_sub(1), 1, 2)?;
    let width = index(vm, &arg(args, 1))?;
    let fill = fill_char(vm, args, 2, name)?;
    let n = s.chars().count();
    Ok((s, width.max(0) as usize, fill, n))
}

fn center(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (s, width, fill, n) = justify(vm, args, "center")?;
    if n >= width {
        return Ok(alloc::str_value(s));
    }
    let marg = width - n;
    let left = marg / 2 + (marg & width & 1);
    out(pad(&s, left, marg - left, fill))
}

fn ljust(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (s, width, fill, n) = justify(vm, args, "ljust")?;
    out(pad(&s, 0, width.saturating_sub(n), fill))
}

fn rjust(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (s, width, fill, n) = justify(vm, args, "rjust")?;
    out(pad(&s, width.saturating_sub(n), 0, fill))
}

fn zfill(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let s = me(vm, args, "zfill")?;
    let width = index(vm, &arg(args, 1))?.max(0) as usize;
    let n = s.chars().count();
    if n >= width {
        return Ok(alloc::str_value(s));
    }
    let (sign, rest) = match s.chars().next() {
        Some(c @ ('+' | '-')) => (Some(c), &s[1..]),
        _ => (None, &s[..]),
    };
    let mut r = String::new();
    if let Some(c) = sign {
        r.push(c);
    }
    r.extend(std::iter::repeat_n('0', width - n));
    r.push_str(rest);
    out(r)
}

/// The arguments of `find`/`count`/…: the string's code points, the needle's, the span.
fn search_args(
    vm: &mut Vm,
    args: &[Value],
    name: &str,
) -> PyResult<(Vec<char>, Vec<char>, usize, usize)> {
    let s = me(vm, args, name)?;
    nargs(vm, name, args.len().saturating_sub(1), 1, 3)?;
    let sub = str_arg(vm, &arg(args, 1), &format!("{name}() argument 1 "))?;
    let hay: Vec<char> = s.chars().collect();
    let (a, b) = span(vm, args.get(2), args.get(3), hay.len())?;
    Ok((hay, sub.chars().collect(), a, b))
}

fn find_in(hay: &[char], sub: &[char], a: usize, b: usize, rev: bool) -> Option<usize> {
    if a > b || b - a < sub.len() {
        return if sub.is_empty() && a <= b {
            Some(if rev { b } else { a })
        } else {
            None
        };
    }
    let last = b - sub.len();
    if rev {
        (a..=last).rev().find(|&i| hay[i..i + sub.len()] == *sub)
    } else {
        (a..=last).find(|&i| hay[i..i + sub.len()] == *sub)
    }
}

fn find(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (h, s, a, b) = search_args(vm, args, "find")?;
    Ok(Value::Int(
        find_in(&h, &s, a, b, false).map_or(-1, |i| i as i64),
    ))
}

fn rfind(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (h, s, a, b) = search_args(vm, args, "rfind")?;
    Ok(Value::Int(
        find_in(&h, &s, a, b, true).map_or(-1, |i| i as i64),
    ))
}

fn index_m(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (h, s, a, b) = search_args(vm, args, "index")?;
    match find_in(&h, &s, a, b, false) {
        Some(i) => Ok(Value::Int(i as i64)),
        None => Err(vm.value_error("substring not found")),
    }
}

fn rindex(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (h, s, a, b) = search_args(vm, args, "rindex")?;
    match find_in(&h, &s, a, b, true) {
        Some(i) => Ok(Value::Int(i as i64)),
        None => Err(vm.value_error("substring not found")),
    }
}

fn count(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (h, s, a, b) = search_args(vm, args, "count")?;
    if a > b {
        return Ok(Value::Int(0));
    }
    if s.is_empty() {
        return Ok(Value::Int((b - a + 1) as i64));
    }
    let mut n = 0;
    let mut i = a;
    while i + s.len() <= b {
        if h[i..i + s.len()] == *s {
            n += 1;
            i += s.len();
        } else {
            i += 1;
        }
    }
    Ok(Value::Int(n))
}

fn part(vm: &mut Vm, args: &[Value], rev: bool) -> PyResult {
    let name = if rev { "rpartition" } else { "partition" };
    let s = me(vm, args, name)?;
    let sep = str_arg(vm, &arg(args, 1), "")?;
    if sep.is_empty() {
        return Err(vm.value_error("empty separator"));
    }
    let at = if rev { s.rfind(&*sep) } else { s.find(&*sep) };
    let t = |a: &str, b: &str, c: &str| alloc::tuple(vec![alloc::s(a), alloc::s(b), alloc::s(c)]);
    Ok(match at {
        Some(i) => t(&s[..i], &sep, &s[i + sep.len()..]),
        None if rev => t("", "", &s),
        None => t(&s, "", ""),
    })
}

fn partition(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    part(vm, args, false)
}

fn rpartition(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    part(vm, args, true)
}

fn strip_impl(vm: &mut Vm, args: &[Value], name: &str, left: bool, right: bool) -> PyResult {
    let s = me(vm, args, name)?;
    nargs(vm, name, args.len().saturating_sub(1), 0, 1)?;
    let chars: Option<Vec<char>> = match args.get(1) {
        None | Some(Value::None) => None,
        Some(v) => match v.data() {
            Some(Data::Str(c)) => Some(c.chars().collect()),
            _ => return Err(vm.type_error(format!("{name} arg must be None or str"))),
        },
    };
    let pred = |c: char| match &chars {
        Some(cs) => cs.contains(&c),
        None => is_space(c),
    };
    let mut r: &str = &s;
    if left {
        r = r.trim_start_matches(pred);
    }
    if right {
        r = r.trim_end_matches(pred);
    }
    out(r.to_string())
}

fn strip(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    strip_impl(vm, args, "strip", true, true)
}

fn lstrip(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    strip_impl(vm, args, "lstrip", true, false)
}

fn rstrip(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    strip_impl(vm, args, "rstrip", false, true)
}

fn lower(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    out(me(vm, args, "lower")?.to_lowercase())
}

fn upper(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    out(me(vm, args, "upper")?.to_uppercase())
}

fn swapcase(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let s = me(vm, args, "swapcase")?;
    let mut r = String::new();
    for c in s.chars() {
        if c.is_uppercase() {
            r.extend(c.to_lowercase());
        } else if c.is_lowercase() {
            r.extend(c.to_uppercase());
        } else {
            r.push(c);
        }
    }
    out(r)
}

fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\x0b'
            | '\x0c'
            | '\x1c'
            | '\x1d'
            | '\x1e'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

fn splitlines(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    let s = me(vm, args, "splitlines")?;
    kw_only(vm, "splitlines", kw, &["keepends"])?;
    let rest = &args[1.min(args.len())..];
    nargs(vm, "splitlines", rest.len(), 0, 1)?;
    let keep = match param(vm, "splitlines", rest, kw, 0, "keepends")? {
        Some(v) => vm.truthy(&v)?,
        None => false,
    };
    let chars: Vec<char> = s.chars().collect();
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < chars.len() {
        if is_line_break(chars[i]) {
            let mut end = i + 1;
            if chars[i] == '\r' && chars.get(i + 1) == Some(&'\n') {
                end += 1;
            }
            let stop = if keep { end } else { i };
            lines.push(chars[start..stop].iter().collect::<String>());
            start = end;
            i = end;
        } else {
            i += 1;
        }
    }
    if start < chars.len() {
        lines.push(chars[start..].iter().collect());
    }
    Ok(str_list(lines))
}

fn affix(vm: &mut Vm, args: &[Value], name: &str, end: bool) -> PyResult {
    let s = me(vm, args, name)?;
    nargs(vm, name, args.len().saturating_sub(1), 1, 3)?;
    let hay: Vec<char> = s.chars().collect();
    let (a, b) = span(vm, args.get(2), args.get(3), hay.len())?;
    let test = |p: &str| -> bool {
        let p: Vec<char> = p.chars().collect();
        if a > b || b - a < p.len() {
            return false;
        }
        if end {
            hay[b - p.len()..b] == *p
        } else {
            hay[a..a + p.len()] == *p
        }
    };
    let what = arg(args, 1);
    match what.data() {
        Some(Data::Str(p)) => Ok(Value::Bool(test(p))),
        Some(Data::Tuple(items)) => {
            for it in items {
                match it.data() {
                    Some(Data::Str(p)) => {
                        if test(p) {
                            return Ok(Value::Bool(true));
                        }
                    }
                    _ => {
                        return Err(vm.type_error(format!(
                            "tuple for {name} must only contain str, not {}",
                            vm.type_name(it)
                        )))
                    }
                }
            }
            Ok(Value::Bool(false))
        }
        _ => Err(vm.type_error(format!(
            "{name} first arg must be str or a tuple of str, not {}",
            vm.type_name(&what)
        ))),
    }
}

fn startswith(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    affix(vm, args, "startswith", false)
}

fn endswith(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    affix(vm, args, "endswith", true)
}

fn removeprefix(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let s = me(vm, args, "removeprefix")?;
    let p = str_arg(vm, &arg(args, 1), "removeprefix() argument ")?;
    out(s.strip_prefix(&*p).unwrap_or(&s).to_string())
}

fn removesuffix(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let s = me(vm, args, "removesuffix")?;
    let p = str_arg(vm, &arg(args, 1), "removesuffix() argument ")?;
    out(s.strip_suffix(&*p).unwrap_or(&s).to_string())
}

fn expandtabs(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    let s = me(vm, args, "expandtabs")?;
    kw_only(vm, "expandtabs", kw, &["tabsize"])?;
    let rest = &args[1.min(args.len())..];
    let size = match param(vm, "expandtabs", rest, kw, 0, "tabsize")? {
        Some(v) => index(vm, &v)?,
        None => 8,
    };
    let mut r = String::new();
    let mut col = 0i64;
    for c in s.chars() {
        match c {
            '\t' => {
                if size > 0 {
                    let n = size - col % size;
                    r.extend(std::iter::repeat_n(' ', n as usize));
                    col += n;
                }
            }
            '\n' | '\r' => {
                r.push(c);
                col = 0;
            }
            _ => {
                r.push(c);
                col += 1;
            }
        }
    }
    out(r)
}

fn pred(vm: &Vm, args: &[Value], name: &str, empty: bool, f: impl Fn(char) -> bool) -> PyResult {
    let s = me(vm, args, name)?;
    Ok(Value::Bool(if s.is_empty() {
        empty
    } else {
        s.chars().all(f)
    }))
}

fn isascii(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    pred(vm, args, "isascii", true, |c| c.is_ascii())
}

fn isspace(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    pred(vm, args, "isspace", false, is_space)
}

fn isdecimal(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    pred(vm, args, "isdecimal", false, |c| c.is_ascii_digit())
}

fn isdigit(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    pred(vm, args, "isdigit", false, |c| {
        c.is_ascii_digit() || matches!(c, '²' | '³' | '¹') || ('①'..='⑨').contains(&c)
    })
}

fn isnumeric(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    pred(vm, args, "isnumeric", false, char::is_numeric)
}

fn isalpha(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    pred(vm, args, "isalpha", false, char::is_alphabetic)
}

fn isalnum(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    pred(vm, args, "isalnum", false, char::is_alphanumeric)
}

fn isprintable(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    pred(vm, args, "isprintable", true, |c| {
        !(c.is_control()
            || (is_space(c) && c != ' ')
            || matches!(c, '\u{ad}' | '\u{2028}' | '\u{2029}'))
    })
}

fn isidentifier(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let s = me(vm, args, "isidentifier")?;
    let mut cs = s.chars();
    let ok = match cs.next() {
        Some(c) if c == '_' || c.is_alphabetic() => cs.all(|c| c == '_' || c.is_alphanumeric()),
        _ => false,
    };
    Ok(Value::Bool(ok))
}

fn islower(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let s = me(vm, args, "islower")?;
    let any = s.chars().any(is_cased);
    Ok(Value::Bool(any && !s.chars().any(char::is_uppercase)))
}

fn isupper(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let s = me(vm, args, "isupper")?;
    let any = s.chars().any(is_cased);
    Ok(Value::Bool(any && !s.chars().any(char::is_lowercase)))
}

fn istitle(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let s = me(vm, args, "istitle")?;
    let mut prev_cased = false;
    let mut any = false;
    for c in s.chars() {
        if c.is_uppercase() {
            if prev_cased {
                return Ok(Value::Bool(false));
            }
            prev_cased = true;
            any = true;
        } else if c.is_lowercase() {
            if !prev_cased {
                return Ok(Value::Bool(false));
            }
            prev_cased = true;
            any = true;
        } else {
            prev_cased = false;
        }
    }
    Ok(Value::Bool(any))
}

fn translate(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let s = me(vm, args, "translate")?;
    let table = arg(args, 1);
    let mut r = String::new();
    for c in s.chars() {
        match vm.getitem(&table, &Value::Int(c as i64)) {
            Ok(Value::None) => {}
            Ok(Value::Int(n)) => match u32::try_from(n).ok().and_then(char::from_u32) {
                Some(ch) => r.push(ch),
                None => return Err(vm.value_error("character mapping must be in range(0x110000)")),
            },
            Ok(v) => match v.data() {
                Some(Data::Str(x)) => r.push_str(x),
                _ => {
                    return Err(vm.type_error("character mapping must return integer, None or str"))
                }
            },
            Err(Flow::Exc(e)) if crate::exc::is_instance(&e, "LookupError") => r.push(c),
            Err(e) => return Err(e),
        }
    }
    out(r)
}

fn maketrans(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "maketrans", args.len(), 1, 3)?;
    let mut d = crate::dict::Dict::new();
    let mut put = |k: i64, v: Value| {
        d.insert(crate::dict::Key::Int(k), Value::Int(k), v);
    };
    if args.len() == 1 {
        let Some(Data::Dict(src)) = args[0].data() else {
            return Err(
                vm.type_error("if you give only one argument to maketrans it must be a dict")
            );
        };
        let pairs: Vec<(Value, Value)> = src
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (k, v) in pairs {
            let code = match (&k, k.data()) {
                (_, Some(Data::Str(s))) if s.chars().count() == 1 => {
                    s.chars().next().map_or(0, |c| c as i64)
                }
                (Value::Int(i), _) => *i,
                _ => {
                    return Err(vm.value_error("string keys in translate table must be of length 1"))
                }
            };
            put(code, v);
        }
    } else {
        let x = str_arg(vm, &args[0], "maketrans() argument 1 ")?;
        let y = str_arg(vm, &args[1], "maketrans() argument 2 ")?;
        if x.chars().count() != y.chars().count() {
            return Err(vm.value_error("the first two maketrans arguments must have equal length"));
        }
        for (a, b) in x.chars().zip(y.chars()) {
            put(a as i64, Value::Int(b as i64));
        }
        if let Some(z) = args.get(2) {
            let z = str_arg(vm, z, "maketrans() argument 3 ")?;
            for c in z.chars() {
                put(c as i64, Value::None);
            }
        }
    }
    Ok(alloc::dict(d))
}

fn format(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    let s = me(vm, args, "format")?;
    let mut kwd = crate::dict::Dict::new();
    for (k, v) in kw {
        kwd.set_str(k, v.clone());
    }
    let kwv = alloc::dict(kwd);
    let r = format_str(vm, &s, &args[1.min(args.len())..], &kwv)?;
    out(r)
}

fn format_map(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let s = me(vm, args, "format_map")?;
    let r = format_str(vm, &s, &[], &arg(args, 1))?;
    out(r)
}

/// `str.format`: replacement fields `{name!conv:spec}`, with attribute and index lookups in
/// the field name and nested fields in the spec.
pub fn format_str(vm: &mut Vm, s: &str, pos: &[Value], kw: &Value) -> PyResult<String> {
    let mut auto = 0usize;
    let mut mode = 0u8; // 1 automatic, 2 manual
    format_rec(vm, s, pos, kw, &mut auto, &mut mode, 2)
}

fn format_rec(
    vm: &mut Vm,
    s: &str,
    pos: &[Value],
    kw: &Value,
    auto: &mut usize,
    mode: &mut u8,
    depth: u32,
) -> PyResult<String> {
    if depth == 0 {
        return Err(vm.value_error("Max string recursion exceeded"));
    }
    let chars: Vec<char> = s.chars().collect();
    let mut r = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '}' {
            if chars.get(i + 1) == Some(&'}') {
                r.push('}');
                i += 2;
                continue;
            }
            return Err(vm.value_error("Single '}' encountered in format string"));
        }
        if c != '{' {
            r.push(c);
            i += 1;
            continue;
        }
        if chars.get(i + 1) == Some(&'{') {
            r.push('{');
            i += 2;
            continue;
        }
        // Find the matching '}' (nested braces count, for the spec's fields).
        let mut j = i + 1;
        let mut level = 1;
        while j < chars.len() {
            match chars[j] {
                '{' => level += 1,
                '}' => {
                    level -= 1;
                    if level == 0 {
                        break;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        if j >= chars.len() {
            return Err(
                vm.value_error(if level > 1 || chars[i + 1..].contains(&'{') {
                    "expected '}' before end of string"
                } else {
                    "Single '{' encountered in format string"
                }),
            );
        }
        let field: String = chars[i + 1..j].iter().collect();
        i = j + 1;
        // Split field into name, conversion, spec (the name ends at the first '!' or ':'
        // outside brackets).
        let mut name_end = field.len();
        let mut in_br = false;
        for (k, ch) in field.char_indices() {
            match ch {
                '[' => in_br = true,
                ']' => in_br = false,
                '!' | ':' if !in_br => {
                    name_end = k;
                    break;
                }
                _ => {}
            }
        }
        let name = &field[..name_end];
        let mut rest = &field[name_end..];
        let mut conv = None;
        if let Some(x) = rest.strip_prefix('!') {
            let mut cs = x.chars();
            conv = cs.next();
            let after = cs.as_str();
            if !(after.is_empty() || after.starts_with(':')) {
                return Err(vm.value_error("expected ':' after conversion specifier"));
            }
            rest = after;
        }
        let spec_raw = rest.strip_prefix(':').unwrap_or("");
        let value = field_value(vm, name, pos, kw, auto, mode)?;
        let value = match conv {
            None => value,
            Some('r') => alloc::str_value(vm.repr(&value)?),
            Some('s') => alloc::str_value(vm.str(&value)?),
            Some('a') => alloc::str_value(vm.ascii(&value)?),
            Some(c) => return Err(vm.value_error(format!("Unknown conversion specifier {c}"))),
        };
        let spec = if spec_raw.contains('{') {
            format_rec(vm, spec_raw, pos, kw, auto, mode, depth - 1)?
        } else {
            spec_raw.to_string()
        };
        r.push_str(&vm.format_value(&value, &spec)?);
    }
    Ok(r)
}

fn field_value(
    vm: &mut Vm,
    name: &str,
    pos: &[Value],
    kw: &Value,
    auto: &mut usize,
    mode: &mut u8,
) -> PyResult {
    let first_end = name.find(['.', '[']).unwrap_or(name.len());
    let first = &name[..first_end];
    let mut v = if first.is_empty() {
        if *mode == 2 {
            return Err(vm.value_error(
                "cannot switch from manual field specification to automatic field numbering",
            ));
        }
        *mode = 1;
        let n = *auto;
        *auto += 1;
        pos.get(n).cloned().ok_or_else(|| {
            vm.index_error(format!(
                "Replacement index {n} out of range for positional args tuple"
            ))
        })?
    } else if let Ok(n) = first.parse::<usize>() {
        if *mode == 1 {
            return Err(vm.value_error(
                "cannot switch from automatic field numbering to manual field specification",
            ));
        }
        *mode = 2;
        pos.get(n).cloned().ok_or_else(|| {
            vm.index_error(format!(
                "Replacement index {n} out of range for positional args tuple"
            ))
        })?
    } else {
        vm.getitem(kw, &alloc::s(first))?
    };
    let mut rest = &name[first_end..];
    while !rest.is_empty() {
        if let Some(x) = rest.strip_prefix('.') {
            let end = x.find(['.', '[']).unwrap_or(x.len());
            v = vm.getattr(&v, &x[..end])?;
            rest = &x[end..];
        } else if let Some(x) = rest.strip_prefix('[') {
            let Some(end) = x.find(']') else {
                return Err(vm.value_error("Missing ']' in format string"));
            };
            let key = &x[..end];
            let k = match key.parse::<i64>() {
                Ok(n) => Value::Int(n),
                Err(_) => alloc::s(key),
            };
            v = vm.getitem(&v, &k)?;
            rest = &x[end + 1..];
        } else {
            return Err(vm.value_error("Only '.' or '[' may follow ']' in format field specifier"));
        }
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_split_and_maxsplit() {
        assert_eq!(split_str("  a b  c ", None, -1), ["a", "b", "c"]);
        assert_eq!(split_str("a b c", None, 1), ["a", "b c"]);
        assert_eq!(split_str("a,b,,c", Some(","), -1), ["a", "b", "", "c"]);
        assert_eq!(rsplit_str("a b c", Some(" "), 1), ["a b", "c"]);
        assert_eq!(rsplit_str("  a b c ", None, 1), ["  a b", "c"]);
    }

    #[test]
    fn find_with_spans() {
        let h: Vec<char> = "hello".chars().collect();
        let l: Vec<char> = "l".chars().collect();
        assert_eq!(find_in(&h, &l, 0, 5, false), Some(2));
        assert_eq!(find_in(&h, &l, 0, 5, true), Some(3));
        assert_eq!(find_in(&h, &l, 4, 5, false), None);
        assert_eq!(find_in(&h, &[], 5, 5, false), Some(5));
    }
}

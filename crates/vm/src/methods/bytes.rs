//! `bytes` and `bytearray` methods (the ones teaching code uses).

use super::{arg, descr_self_error, index, kw_only, nargs, param, span, Entry, Kw};
use crate::alloc::{self, types};
use crate::value::{Data, MethKind::*, Value};
use crate::{PyResult, Vm};

pub(super) fn install(vm: &mut Vm) {
    // `bytes.replace` takes `count` by keyword since 3.15.
    let replace_kind = if vm.minor >= 15 { FastKw } else { Fast };
    let common: &[Entry] = &[
        ("decode", FastKw, decode),
        ("hex", FastKw, hex),
        ("join", O, join),
        ("split", FastKw, split),
        ("startswith", Fast, startswith),
        ("endswith", Fast, endswith),
        ("find", Fast, find),
        ("count", Fast, count),
        ("strip", Fast, strip),
        ("lower", NoArgs, lower),
        ("upper", NoArgs, upper),
        ("isdigit", NoArgs, isdigit),
        ("isalpha", NoArgs, isalpha),
        ("isspace", NoArgs, isspace),
    ];
    for (t, owner) in [(&types().bytes, "bytes"), (&types().bytearray, "bytearray")] {
        super::add_all(t, owner, common);
        super::put(
            t,
            "replace",
            super::descr(owner, "replace", replace_kind, replace),
        );
        super::add_classmethod(t, "fromhex", O, fromhex);
    }
    let entries: &[Entry] = &[
        ("__init__", VarArgs, ba_init),
        ("append", O, ba_append),
        ("extend", O, ba_extend),
        ("pop", Fast, ba_pop),
        ("clear", NoArgs, ba_clear),
        ("copy", NoArgs, ba_copy),
    ];
    super::add_all(&types().bytearray, "bytearray", entries);
}

/// The bytes of a bytes-like object (`bytes`, `bytearray`), or an iterable of ints.
pub fn bytes_like(vm: &mut Vm, v: &Value) -> PyResult<Vec<u8>> {
    match v.data() {
        Some(Data::Bytes(b)) => Ok(b.to_vec()),
        Some(Data::ByteArray(b)) => Ok(b.borrow().clone()),
        Some(Data::Str(_)) => Err(vm.type_error("cannot convert 'str' object to bytes")),
        _ => {
            let items = vm.collect(v)?;
            let mut out = Vec::with_capacity(items.len());
            for it in items {
                let n = match &it {
                    Value::Int(i) => *i,
                    Value::Bool(b) => *b as i64,
                    _ => {
                        if vm.lookup_special(&it, "__index__").is_none() {
                            return Err(vm.type_error(format!(
                                "'{}' object cannot be interpreted as an integer",
                                vm.type_name(&it)
                            )));
                        }
                        index(vm, &it)?
                    }
                };
                if !(0..256).contains(&n) {
                    return Err(vm.value_error("bytes must be in range(0, 256)"));
                }
                out.push(n as u8);
            }
            Ok(out)
        }
    }
}

fn me(vm: &Vm, args: &[Value], name: &str) -> PyResult<(Vec<u8>, bool)> {
    match args.first().and_then(|v| v.data()) {
        Some(Data::Bytes(b)) => Ok((b.to_vec(), false)),
        Some(Data::ByteArray(b)) => Ok((b.borrow().clone(), true)),
        _ => Err(descr_self_error(vm, args, "bytes", name)),
    }
}

fn make(b: Vec<u8>, array: bool) -> Value {
    if array {
        alloc::obj(
            &types().bytearray,
            Data::ByteArray(std::cell::RefCell::new(b)),
        )
    } else {
        alloc::bytes(b)
    }
}

/// A bytes-like argument (`a bytes-like object is required, not 'str'`).
fn buf_arg(vm: &Vm, v: &Value) -> PyResult<Vec<u8>> {
    match v.data() {
        Some(Data::Bytes(b)) => Ok(b.to_vec()),
        Some(Data::ByteArray(b)) => Ok(b.borrow().clone()),
        _ => Err(vm.type_error(format!(
            "a bytes-like object is required, not '{}'",
            vm.type_name(v)
        ))),
    }
}

/// Decodes UTF-8 / ASCII / Latin-1 bytes.
/// UTF-8 decoding with Python's error handlers (`strict`, `replace`, `ignore`,
/// `backslashreplace`, `surrogateescape`); each maximal invalid subsequence is one error, as
/// CPython counts them.
fn decode_utf8(vm: &Vm, b: &[u8], errors: &str) -> PyResult<String> {
    if let Ok(s) = std::str::from_utf8(b) {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(b.len());
    let mut at = 0;
    for chunk in b.utf8_chunks() {
        out.push_str(chunk.valid());
        at += chunk.valid().len();
        let bad = chunk.invalid();
        if bad.is_empty() {
            continue;
        }
        match errors {
            "ignore" => {}
            "replace" => out.push('\u{fffd}'),
            "backslashreplace" => {
                for &x in bad {
                    out.push_str(&format!("\\x{x:02x}"));
                }
            }
            "surrogateescape" => {
                for &x in bad {
                    out.extend(crate::surrogates::char_of(0xDC00 + x as u32));
                }
            }
            _ => {
                let lead = bad[0];
                let truncated = at + bad.len() == b.len() && (0xC2..=0xF4).contains(&lead);
                let (what, why) = if !(0xC2..=0xF4).contains(&lead) {
                    (
                        format!("byte 0x{lead:02x} in position {at}"),
                        "invalid start byte",
                    )
                } else if truncated && bad.len() > 1 {
                    (
                        format!("bytes in position {at}-{}", at + bad.len() - 1),
                        "unexpected end of data",
                    )
                } else if truncated {
                    (
                        format!("byte 0x{lead:02x} in position {at}"),
                        "unexpected end of data",
                    )
                } else {
                    (
                        format!("byte 0x{lead:02x} in position {at}"),
                        "invalid continuation byte",
                    )
                };
                return Err(vm.exc(
                    "UnicodeDecodeError",
                    format!("'utf-8' codec can't decode {what}: {why}"),
                ));
            }
        }
        at += bad.len();
    }
    Ok(out)
}

pub fn decode_bytes(vm: &Vm, b: &[u8], enc: &str, errors: &str) -> PyResult<String> {
    match enc.to_lowercase().replace('_', "-").as_str() {
        "utf-8" | "utf8" => decode_utf8(vm, b, errors),
        "ascii" | "us-ascii" => {
            if let Some(at) = b.iter().position(|&c| c >= 0x80) {
                if errors == "strict" {
                    return Err(vm.exc(
                        "UnicodeDecodeError",
                        format!(
                            "'ascii' codec can't decode byte 0x{:02x} in position {at}: ordinal not in range(128)",
                            b[at]
                        ),
                    ));
                }
            }
            Ok(b.iter()
                .map(|&c| if c < 0x80 { c as char } else { '\u{fffd}' })
                .collect())
        }
        "latin-1" | "latin1" | "iso-8859-1" => Ok(b.iter().map(|&c| c as char).collect()),
        _ => Err(vm.exc("LookupError", format!("unknown encoding: {enc}"))),
    }
}

fn decode(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    let (b, _) = me(vm, args, "decode")?;
    kw_only(vm, "decode", kw, &["encoding", "errors"])?;
    let rest = &args[1..];
    nargs(vm, "decode", rest.len(), 0, 2)?;
    let enc = param(vm, "decode", rest, kw, 0, "encoding")?
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_else(|| "utf-8".into());
    let errors = param(vm, "decode", rest, kw, 1, "errors")?
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_else(|| "strict".into());
    Ok(alloc::string(decode_bytes(vm, &b, &enc, &errors)?))
}

fn hex(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (b, _) = me(vm, args, "hex")?;
    let s: String = b.iter().map(|c| format!("{c:02x}")).collect();
    Ok(alloc::string(s))
}

fn fromhex(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let s = arg(args, 1);
    let Some(text) = s.as_str() else {
        return Err(vm.type_error(format!(
            "fromhex() argument must be str, not {}",
            vm.type_name(&s)
        )));
    };
    let digits: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    let mut out = Vec::new();
    for (i, pair) in digits.chunks(2).enumerate() {
        let hi = pair[0].to_digit(16);
        let lo = pair.get(1).and_then(|c| c.to_digit(16));
        match (hi, lo) {
            (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
            _ => {
                return Err(vm.value_error(format!(
                    "non-hexadecimal number found in fromhex() arg at position {}",
                    i * 2 + usize::from(hi.is_some())
                )))
            }
        }
    }
    let array =
        matches!(&arg(args, 0), Value::Obj(c) if std::rc::Rc::ptr_eq(c, &types().bytearray));
    Ok(make(out, array))
}

fn join(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (sep, array) = me(vm, args, "join")?;
    let items = vm.collect(&arg(args, 1))?;
    let mut out = Vec::new();
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(&sep);
        }
        match it.data() {
            Some(Data::Bytes(b)) => out.extend_from_slice(b),
            Some(Data::ByteArray(b)) => out.extend_from_slice(&b.borrow()),
            _ => {
                return Err(vm.type_error(format!(
                    "sequence item {i}: expected a bytes-like object, {} found",
                    vm.type_name(it)
                )))
            }
        }
    }
    Ok(make(out, array))
}

fn split(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    let (b, array) = me(vm, args, "split")?;
    kw_only(vm, "split", kw, &["sep", "maxsplit"])?;
    let rest = &args[1..];
    let sep = match param(vm, "split", rest, kw, 0, "sep")? {
        None | Some(Value::None) => None,
        Some(v) => Some(buf_arg(vm, &v)?),
    };
    let max = match param(vm, "split", rest, kw, 1, "maxsplit")? {
        Some(v) => index(vm, &v)?,
        None => -1,
    };
    let limit = if max < 0 { usize::MAX } else { max as usize };
    let mut parts: Vec<Vec<u8>> = Vec::new();
    match sep {
        Some(sep) => {
            if sep.is_empty() {
                return Err(vm.value_error("empty separator"));
            }
            let mut start = 0;
            let mut i = 0;
            while i + sep.len() <= b.len() && parts.len() < limit {
                if b[i..i + sep.len()] == sep[..] {
                    parts.push(b[start..i].to_vec());
                    i += sep.len();
                    start = i;
                } else {
                    i += 1;
                }
            }
            parts.push(b[start..].to_vec());
        }
        None => {
            let mut i = 0;
            while i < b.len() {
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                if i >= b.len() {
                    break;
                }
                if parts.len() == limit {
                    let mut end = b.len();
                    while end > i && b[end - 1].is_ascii_whitespace() {
                        end -= 1;
                    }
                    parts.push(b[i..end].to_vec());
                    break;
                }
                let start = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                parts.push(b[start..i].to_vec());
            }
        }
    }
    Ok(alloc::list(
        parts.into_iter().map(|p| make(p, array)).collect(),
    ))
}

fn affix(vm: &mut Vm, args: &[Value], name: &str, end: bool) -> PyResult {
    let (b, _) = me(vm, args, name)?;
    nargs(vm, name, args.len() - 1, 1, 3)?;
    let (a, e) = span(vm, args.get(2), args.get(3), b.len())?;
    let test = |p: &[u8]| {
        if a > e || e - a < p.len() {
            return false;
        }
        if end {
            &b[e - p.len()..e] == p
        } else {
            &b[a..a + p.len()] == p
        }
    };
    let what = arg(args, 1);
    match what.data() {
        Some(Data::Tuple(items)) => {
            for it in items {
                if test(&buf_arg(vm, it)?) {
                    return Ok(Value::Bool(true));
                }
            }
            Ok(Value::Bool(false))
        }
        Some(Data::Bytes(_) | Data::ByteArray(_)) => Ok(Value::Bool(test(&buf_arg(vm, &what)?))),
        _ => Err(vm.type_error(format!(
            "{name} first arg must be bytes or a tuple of bytes, not {}",
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

fn needle(vm: &mut Vm, v: &Value) -> PyResult<Vec<u8>> {
    match v {
        Value::Int(i) if (0..256).contains(i) => Ok(vec![*i as u8]),
        Value::Int(_) => Err(vm.value_error("byte must be in range(0, 256)")),
        _ => buf_arg(vm, v),
    }
}

fn find(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (b, _) = me(vm, args, "find")?;
    nargs(vm, "find", args.len() - 1, 1, 3)?;
    let sub = needle(vm, &args[1])?;
    let (a, e) = span(vm, args.get(2), args.get(3), b.len())?;
    if a <= e && e - a >= sub.len() {
        for i in a..=e - sub.len() {
            if b[i..i + sub.len()] == sub[..] {
                return Ok(Value::Int(i as i64));
            }
        }
    }
    Ok(Value::Int(-1))
}

fn count(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (b, _) = me(vm, args, "count")?;
    nargs(vm, "count", args.len() - 1, 1, 3)?;
    let sub = needle(vm, &args[1])?;
    let (a, e) = span(vm, args.get(2), args.get(3), b.len())?;
    if a > e {
        return Ok(Value::Int(0));
    }
    if sub.is_empty() {
        return Ok(Value::Int((e - a + 1) as i64));
    }
    let (mut n, mut i) = (0, a);
    while i + sub.len() <= e {
        if b[i..i + sub.len()] == sub[..] {
            n += 1;
            i += sub.len();
        } else {
            i += 1;
        }
    }
    Ok(Value::Int(n))
}

fn replace(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    let (b, array) = me(vm, args, "replace")?;
    kw_only(vm, "replace", kw, &["count"])?;
    let rest = &args[1..];
    nargs(vm, "replace", rest.len(), 2, 3)?;
    let old = buf_arg(vm, &rest[0])?;
    let new = buf_arg(vm, &rest[1])?;
    let count = match param(vm, "replace", rest, kw, 2, "count")? {
        Some(v) => index(vm, &v)?,
        None => -1,
    };
    let limit = if count < 0 {
        usize::MAX
    } else {
        count as usize
    };
    let mut out = Vec::new();
    let mut n = 0;
    let mut i = 0;
    if old.is_empty() {
        for &c in &b {
            if n < limit {
                out.extend_from_slice(&new);
                n += 1;
            }
            out.push(c);
        }
        if n < limit {
            out.extend_from_slice(&new);
        }
        return Ok(make(out, array));
    }
    while i < b.len() {
        if n < limit && b[i..].starts_with(&old) {
            out.extend_from_slice(&new);
            i += old.len();
            n += 1;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(make(out, array))
}

fn strip(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (b, array) = me(vm, args, "strip")?;
    let chars = match args.get(1) {
        None | Some(Value::None) => None,
        Some(v) => Some(buf_arg(vm, v)?),
    };
    let keep = |c: &u8| match &chars {
        Some(cs) => !cs.contains(c),
        None => !c.is_ascii_whitespace(),
    };
    let start = b.iter().position(keep).unwrap_or(b.len());
    let end = b.iter().rposition(keep).map_or(start, |i| i + 1);
    Ok(make(b[start..end.max(start)].to_vec(), array))
}

fn lower(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (b, array) = me(vm, args, "lower")?;
    Ok(make(b.to_ascii_lowercase(), array))
}

fn upper(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let (b, array) = me(vm, args, "upper")?;
    Ok(make(b.to_ascii_uppercase(), array))
}

fn all_of(vm: &Vm, args: &[Value], name: &str, f: fn(&u8) -> bool) -> PyResult {
    let (b, _) = me(vm, args, name)?;
    Ok(Value::Bool(!b.is_empty() && b.iter().all(f)))
}

fn isdigit(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    all_of(vm, args, "isdigit", u8::is_ascii_digit)
}

fn isalpha(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    all_of(vm, args, "isalpha", u8::is_ascii_alphabetic)
}

fn isspace(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    all_of(vm, args, "isspace", |c| {
        c.is_ascii_whitespace() || *c == 0x0b
    })
}

fn ba<'a>(vm: &Vm, args: &'a [Value], name: &str) -> PyResult<&'a std::cell::RefCell<Vec<u8>>> {
    match args.first().and_then(|v| v.data()) {
        Some(Data::ByteArray(b)) => Ok(b),
        _ => Err(descr_self_error(vm, args, "bytearray", name)),
    }
}

fn ba_init(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    let cell = ba(vm, args, "__init__")?;
    let v = super::ctor::bytes_from_args(vm, "bytearray", &args[1..], kw)?;
    *cell.borrow_mut() = v;
    Ok(Value::None)
}

fn byte_value(vm: &mut Vm, v: &Value) -> PyResult<u8> {
    let n = index(vm, v)?;
    if !(0..256).contains(&n) {
        return Err(vm.value_error("byte must be in range(0, 256)"));
    }
    Ok(n as u8)
}

fn ba_append(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let cell = ba(vm, args, "append")?;
    let b = byte_value(vm, &arg(args, 1))?;
    cell.borrow_mut().push(b);
    Ok(Value::None)
}

fn ba_extend(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let cell = ba(vm, args, "extend")?;
    let b = bytes_like(vm, &arg(args, 1))?;
    cell.borrow_mut().extend(b);
    Ok(Value::None)
}

fn ba_pop(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let cell = ba(vm, args, "pop")?;
    nargs(vm, "pop", args.len() - 1, 0, 1)?;
    let i = match args.get(1) {
        Some(v) => index(vm, v)?,
        None => -1,
    };
    let mut b = cell.borrow_mut();
    if b.is_empty() {
        return Err(vm.index_error("pop from empty bytearray"));
    }
    let n = b.len() as i64;
    let at = if i < 0 { i + n } else { i };
    if at < 0 || at >= n {
        return Err(vm.index_error("pop index out of range"));
    }
    Ok(Value::Int(b.remove(at as usize) as i64))
}

fn ba_clear(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    ba(vm, args, "clear")?.borrow_mut().clear();
    Ok(Value::None)
}

fn ba_copy(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let b = ba(vm, args, "copy")?.borrow().clone();
    Ok(make(b, true))
}

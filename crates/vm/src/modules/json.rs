//! `_json`, the C accelerator of `json`: encoding a Python object to JSON text (CPython's
//! `c_make_encoder`, here also with `indent`) and scanning JSON text (`c_make_scanner`).
//! `json.dumps`/`json.loads`, `JSONEncoder` and `JSONDecodeError` are Python
//! (`py/json.py`), as in CPython.

use super::ModBuilder;
use crate::alloc;
use crate::dict::Dict;
use crate::methods::{nargs, Kw};
use crate::value::{Data, MethKind::*, Value};
use crate::{PyResult, Vm};
use cpyviz_model::pyrepr::float_repr;
use std::fmt::Write;

pub fn native_module(_vm: &mut Vm) -> Value {
    let b = ModBuilder::new("_json");
    b.func("encode", Fast, encode);
    b.func("scan", O, scan);
    b.func("encode_basestring_ascii", O, encode_basestring_ascii);
    b.func("encode_basestring", O, encode_basestring);
    b.module()
}

struct Enc {
    skipkeys: bool,
    ensure_ascii: bool,
    check_circular: bool,
    allow_nan: bool,
    sort_keys: bool,
    indent: Option<String>,
    item_sep: String,
    key_sep: String,
    default: Value,
    stack: Vec<usize>,
    /// Containers and `default` results being encoded (bounds the recursion).
    depth: usize,
}

fn quote(s: &str, ascii: bool, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (ascii && (c as u32) > 0x7e) => {
                let mut buf = [0u16; 2];
                for u in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{:04x}", u);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn encode_basestring_ascii(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let Some(s) = args[0].as_str() else {
        return Err(vm.type_error(format!(
            "first argument must be a string, not {}",
            vm.type_name(&args[0])
        )));
    };
    let mut out = String::new();
    quote(s, true, &mut out);
    Ok(alloc::string(out))
}

fn encode_basestring(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let Some(s) = args[0].as_str() else {
        return Err(vm.type_error(format!(
            "first argument must be a string, not {}",
            vm.type_name(&args[0])
        )));
    };
    let mut out = String::new();
    quote(s, false, &mut out);
    Ok(alloc::string(out))
}

impl Enc {
    fn float(&self, vm: &Vm, f: f64) -> PyResult<String> {
        if f.is_finite() {
            return Ok(float_repr(f));
        }
        if !self.allow_nan {
            return Err(vm.value_error(format!(
                "Out of range float values are not JSON compliant: {}",
                float_repr(f)
            )));
        }
        Ok(if f.is_nan() {
            "NaN"
        } else if f > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .to_string())
    }

    fn newline(&self, out: &mut String, level: usize) {
        if let Some(ind) = &self.indent {
            out.push('\n');
            for _ in 0..level {
                out.push_str(ind);
            }
        }
    }

    fn enter(&mut self, vm: &Vm, v: &Value) -> PyResult<()> {
        self.depth += 1;
        if self.depth > 900 {
            return Err(vm.exc(
                "RecursionError",
                "maximum recursion depth exceeded while encoding a JSON object",
            ));
        }
        if self.check_circular {
            let id = v.id();
            if self.stack.contains(&id) {
                return Err(vm.value_error("Circular reference detected"));
            }
            self.stack.push(id);
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
        if self.check_circular {
            self.stack.pop();
        }
    }

    /// The JSON text of a dict key, or `None` to skip it.
    fn key(&self, vm: &mut Vm, k: &Value) -> PyResult<Option<String>> {
        Ok(Some(match k {
            Value::Bool(true) => "true".into(),
            Value::Bool(false) => "false".into(),
            Value::None => "null".into(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => self.float(vm, *f)?,
            _ => match k.data() {
                Some(Data::Str(s)) => s.to_string(),
                Some(Data::Long(b)) => b.to_string(),
                _ => {
                    if self.skipkeys {
                        return Ok(None);
                    }
                    return Err(vm.type_error(format!(
                        "keys must be str, int, float, bool or None, not {}",
                        vm.type_name(k)
                    )));
                }
            },
        }))
    }

    fn encode(&mut self, vm: &mut Vm, v: &Value, level: usize, out: &mut String) -> PyResult<()> {
        if out.len() > 1 << 16 {
            vm.charge(out.len() as u64)?;
        }
        match v {
            Value::None => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(out, "{i}");
            }
            Value::Float(f) => out.push_str(&self.float(vm, *f)?),
            _ => match v.data() {
                Some(Data::Str(s)) => quote(s, self.ensure_ascii, out),
                Some(Data::Long(b)) => {
                    let _ = write!(out, "{b}");
                }
                Some(Data::List(_) | Data::Tuple(_)) => {
                    let items = vm.collect(v)?;
                    if items.is_empty() {
                        out.push_str("[]");
                        return Ok(());
                    }
                    self.enter(vm, v)?;
                    out.push('[');
                    self.newline(out, level + 1);
                    for (i, x) in items.iter().enumerate() {
                        if i > 0 {
                            out.push_str(&self.item_sep);
                            self.newline(out, level + 1);
                        }
                        self.encode(vm, x, level + 1, out)?;
                    }
                    self.newline(out, level);
                    out.push(']');
                    self.leave();
                }
                Some(Data::Dict(d)) => {
                    let mut items: Vec<(Value, Value)> = d
                        .borrow()
                        .iter()
                        .map(|(k, x)| (k.clone(), x.clone()))
                        .collect();
                    if items.is_empty() {
                        out.push_str("{}");
                        return Ok(());
                    }
                    if self.sort_keys {
                        let mut keys: Vec<Value> = items.iter().map(|(k, _)| k.clone()).collect();
                        crate::methods::sort(vm, &mut keys, &Value::None, false)?;
                        let mut sorted = Vec::with_capacity(items.len());
                        for k in keys {
                            if let Some(i) = items.iter().position(|(x, _)| x.is(&k)) {
                                sorted.push(items.swap_remove(i));
                            }
                        }
                        items = sorted;
                    }
                    self.enter(vm, v)?;
                    out.push('{');
                    self.newline(out, level + 1);
                    let mut first = true;
                    for (k, x) in &items {
                        let Some(ks) = self.key(vm, k)? else {
                            continue;
                        };
                        if !first {
                            out.push_str(&self.item_sep);
                            self.newline(out, level + 1);
                        }
                        first = false;
                        quote(&ks, self.ensure_ascii, out);
                        out.push_str(&self.key_sep);
                        self.encode(vm, x, level + 1, out)?;
                    }
                    self.newline(out, level);
                    out.push('}');
                    self.leave();
                }
                _ => {
                    if matches!(self.default, Value::None) {
                        return Err(vm.type_error(format!(
                            "Object of type {} is not JSON serializable",
                            super::short_name(v)
                        )));
                    }
                    self.enter(vm, v)?;
                    let d = self.default.clone();
                    let r = vm.call(&d, std::slice::from_ref(v), &[])?;
                    self.encode(vm, &r, level, out)?;
                    self.leave();
                }
            },
        }
        Ok(())
    }
}

/// `encode(obj, skipkeys, ensure_ascii, check_circular, allow_nan, sort_keys, indent,
/// item_separator, key_separator, default)`: the JSON text of `obj`.
fn encode(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "encode", args.len(), 10, 10)?;
    let indent = match &args[6] {
        Value::None => None,
        v => match v.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                let n = crate::methods::index(vm, v)?;
                Some(" ".repeat(n.clamp(0, 1 << 12) as usize))
            }
        },
    };
    let sep = |vm: &Vm, v: &Value| -> PyResult<String> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| vm.type_error("separators must be strings"))
    };
    let mut enc = Enc {
        skipkeys: vm.truthy(&args[1])?,
        ensure_ascii: vm.truthy(&args[2])?,
        check_circular: vm.truthy(&args[3])?,
        allow_nan: vm.truthy(&args[4])?,
        sort_keys: vm.truthy(&args[5])?,
        indent,
        item_sep: sep(vm, &args[7])?,
        key_sep: sep(vm, &args[8])?,
        default: args[9].clone(),
        stack: Vec::new(),
        depth: 0,
    };
    let mut out = String::new();
    enc.encode(vm, &args[0], 0, &mut out)?;
    vm.charge(out.len() as u64)?;
    Ok(alloc::string(out))
}

/// A JSON parse error: message and character position.
type ScanErr = (&'static str, usize);

struct Scanner<'a> {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
    _src: &'a str,
}

impl Scanner<'_> {
    fn ws(&mut self) {
        while self
            .chars
            .get(self.pos)
            .is_some_and(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
        {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn starts(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(i, c)| self.chars.get(self.pos + i) == Some(&c))
    }

    fn value(&mut self, vm: &mut Vm) -> Result<Value, ScanErr> {
        if self.depth > 900 {
            return Err(("Nesting too deep", self.pos));
        }
        let start = self.pos;
        match self.peek() {
            Some('"') => {
                self.pos += 1;
                self.string(start).map(alloc::string)
            }
            Some('{') => {
                self.pos += 1;
                self.depth += 1;
                let r = self.object(vm);
                self.depth -= 1;
                r
            }
            Some('[') => {
                self.pos += 1;
                self.depth += 1;
                let r = self.array(vm);
                self.depth -= 1;
                r
            }
            Some('n') if self.starts("null") => {
                self.pos += 4;
                Ok(Value::None)
            }
            Some('t') if self.starts("true") => {
                self.pos += 4;
                Ok(Value::Bool(true))
            }
            Some('f') if self.starts("false") => {
                self.pos += 5;
                Ok(Value::Bool(false))
            }
            Some('N') if self.starts("NaN") => {
                self.pos += 3;
                Ok(Value::Float(f64::NAN))
            }
            Some('I') if self.starts("Infinity") => {
                self.pos += 8;
                Ok(Value::Float(f64::INFINITY))
            }
            Some('-') if self.starts("-Infinity") => {
                self.pos += 9;
                Ok(Value::Float(f64::NEG_INFINITY))
            }
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            _ => Err(("Expecting value", start)),
        }
    }

    fn number(&mut self) -> Result<Value, ScanErr> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        match self.peek() {
            Some('0') => self.pos += 1,
            Some(c) if c.is_ascii_digit() => {
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
            }
            _ => return Err(("Expecting value", start)),
        }
        let mut float = false;
        if self.peek() == Some('.')
            && self
                .chars
                .get(self.pos + 1)
                .is_some_and(|c| c.is_ascii_digit())
        {
            float = true;
            self.pos += 1;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let save = self.pos;
            self.pos += 1;
            if matches!(self.peek(), Some('+' | '-')) {
                self.pos += 1;
            }
            if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                float = true;
                while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.pos += 1;
                }
            } else {
                self.pos = save;
            }
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        if float {
            return Ok(Value::Float(text.parse().unwrap_or(f64::NAN)));
        }
        match text.parse::<num_bigint::BigInt>() {
            Ok(b) => Ok(alloc::big(b)),
            Err(_) => Err(("Expecting value", start)),
        }
    }

    fn string(&mut self, start: usize) -> Result<String, ScanErr> {
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(("Unterminated string starting at", start));
            };
            self.pos += 1;
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let Some(e) = self.peek() else {
                        return Err(("Unterminated string starting at", start));
                    };
                    let at = self.pos - 1;
                    self.pos += 1;
                    match e {
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        '/' => out.push('/'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => {
                            let hex = |s: &Self, from: usize| -> Option<u32> {
                                let h: String = s.chars.get(from..from + 4)?.iter().collect();
                                if h.len() != 4 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
                                    return None;
                                }
                                u32::from_str_radix(&h, 16).ok()
                            };
                            let Some(u) = hex(self, self.pos) else {
                                return Err(("Invalid \\uXXXX escape", at));
                            };
                            self.pos += 4;
                            let mut cp = u;
                            if (0xd800..0xdc00).contains(&u) && self.starts("\\u") {
                                if let Some(lo) = hex(self, self.pos + 2) {
                                    if (0xdc00..0xe000).contains(&lo) {
                                        cp = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                                        self.pos += 6;
                                    }
                                }
                            }
                            out.push(char::from_u32(cp).unwrap_or('\u{fffd}'));
                        }
                        _ => return Err(("Invalid \\escape", at)),
                    }
                }
                c if (c as u32) < 0x20 => {
                    return Err(("Invalid control character at", self.pos - 1))
                }
                c => out.push(c),
            }
        }
    }

    fn object(&mut self, vm: &mut Vm) -> Result<Value, ScanErr> {
        let mut d = Dict::new();
        self.ws();
        if self.peek() == Some('}') {
            self.pos += 1;
            return Ok(alloc::dict(d));
        }
        loop {
            self.ws();
            if self.peek() != Some('"') {
                return Err((
                    "Expecting property name enclosed in double quotes",
                    self.pos,
                ));
            }
            let start = self.pos;
            self.pos += 1;
            let k = self.string(start)?;
            self.ws();
            if self.peek() != Some(':') {
                return Err(("Expecting ':' delimiter", self.pos));
            }
            self.pos += 1;
            self.ws();
            let v = self.value(vm)?;
            d.set_str(&k, v);
            self.ws();
            match self.peek() {
                Some(',') => {
                    self.pos += 1;
                    self.ws();
                    if self.peek() == Some('}') {
                        return Err(("Illegal trailing comma before end of object", self.pos - 1));
                    }
                }
                Some('}') => {
                    self.pos += 1;
                    return Ok(alloc::dict(d));
                }
                _ => return Err(("Expecting ',' delimiter", self.pos)),
            }
        }
    }

    fn array(&mut self, vm: &mut Vm) -> Result<Value, ScanErr> {
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(']') {
            self.pos += 1;
            return Ok(alloc::list(items));
        }
        loop {
            self.ws();
            items.push(self.value(vm)?);
            self.ws();
            match self.peek() {
                Some(',') => {
                    self.pos += 1;
                    self.ws();
                    if self.peek() == Some(']') {
                        return Err(("Illegal trailing comma before end of array", self.pos - 1));
                    }
                }
                Some(']') => {
                    self.pos += 1;
                    return Ok(alloc::list(items));
                }
                _ => return Err(("Expecting ',' delimiter", self.pos)),
            }
        }
    }
}

/// `scan(s)`: `(value, None)`, or `(None, (message, position))` for the Python layer to
/// raise `JSONDecodeError` with.
fn scan(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let Some(s) = args[0].as_str() else {
        return Err(vm.type_error(format!(
            "the JSON object must be str, bytes or bytearray, not {}",
            vm.type_name(&args[0])
        )));
    };
    let s = s.to_string();
    vm.charge(4 * s.len() as u64)?;
    let mut sc = Scanner {
        chars: s.chars().collect(),
        pos: 0,
        depth: 0,
        _src: &s,
    };
    sc.ws();
    let r = sc.value(vm).and_then(|v| {
        sc.ws();
        if sc.pos < sc.chars.len() {
            Err(("Extra data", sc.pos))
        } else {
            Ok(v)
        }
    });
    Ok(match r {
        Ok(v) => alloc::tuple(vec![v, Value::None]),
        Err((msg, pos)) => alloc::tuple(vec![
            Value::None,
            alloc::tuple(vec![alloc::s(msg), Value::Int(pos as i64)]),
        ]),
    })
}

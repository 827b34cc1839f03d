//! `repr()`, `str()`, `ascii()` and `format()`.

use super::{as_dict_view, bad_result, dunder, type_of};
use crate::types::tdata;
use crate::value::{Data, DictView, Native, ObjRef, Value};
use crate::{PyResult, Vm};
use cpyviz_model::pyrepr;
use std::cell::RefCell;
use std::fmt::Write;
use std::rc::Rc;

/// CPython's limit on the digits of an int converted to a string (`sys.int_info`).
pub(crate) const MAX_STR_DIGITS: usize = 4300;

thread_local! {
    /// The containers whose repr is being built (`Py_ReprEnter`): a second visit prints `...`.
    static IN_REPR: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Marks `id` as being repr'd; false when it already is (a recursive container).
fn repr_enter(id: usize) -> bool {
    IN_REPR.with(|r| {
        let mut r = r.borrow_mut();
        if r.contains(&id) {
            false
        } else {
            r.push(id);
            true
        }
    })
}

fn repr_leave(id: usize) {
    IN_REPR.with(|r| {
        let mut r = r.borrow_mut();
        if let Some(p) = r.iter().rposition(|&x| x == id) {
            r.remove(p);
        }
    })
}

/// `<module.Qualname` as object reprs print a type (`builtins` omitted).
fn type_path(t: &ObjRef) -> String {
    let td = tdata(t);
    let module = td.module.borrow();
    let qual = td.qualname.borrow();
    if &**module == "builtins" {
        qual.to_string()
    } else {
        format!("{module}.{qual}")
    }
}

/// `<T object at 0x…>`.
fn default_repr(v: &Value) -> String {
    format!("<{} object at {:#x}>", type_path(&type_of(v)), v.id())
}

/// An int's decimal digits, with CPython's 4300-digit limit.
pub(super) fn int_str(vm: &Vm, b: &num_bigint::BigInt) -> PyResult<String> {
    // Like CPython, refuse a value that is certainly too long before converting it (the
    // conversion is quadratic): 2^14286 > 10^4300 already has more than 4300 digits.
    let too_long = b.bits() > 14_286;
    let s = if too_long {
        String::new()
    } else {
        b.to_string()
    };
    let digits = s.trim_start_matches('-').len();
    if too_long || digits > MAX_STR_DIGITS {
        return Err(vm.value_error(format!(
            "Exceeds the limit ({MAX_STR_DIGITS} digits) for integer string conversion; \
             use sys.set_int_max_str_digits() to increase the limit"
        )));
    }
    Ok(s)
}

/// The name of an object's `__qualname__`-like label for function reprs.
fn func_qualname(vm: &mut Vm, f: &Value) -> PyResult<String> {
    Ok(match f.data() {
        Some(Data::Function(func)) => func.qualname.borrow().to_string(),
        Some(Data::Builtin(b)) | Some(Data::MethodDescr(b)) | Some(Data::BoundBuiltin(b, _)) => {
            match b.owner {
                Some(o) => format!("{o}.{}", b.name),
                None => b.name.to_string(),
            }
        }
        _ => match vm.getattr_opt(f, "__qualname__")? {
            Some(q) => vm.str(&q)?.to_string(),
            None => match vm.getattr_opt(f, "__name__")? {
                Some(n) => vm.str(&n)?.to_string(),
                None => "?".to_string(),
            },
        },
    })
}

impl Vm {
    /// `repr(v)`.
    pub fn repr(&mut self, v: &Value) -> PyResult<Rc<str>> {
        let o = match v {
            Value::None => return Ok(Rc::from("None")),
            Value::Bool(true) => return Ok(Rc::from("True")),
            Value::Bool(false) => return Ok(Rc::from("False")),
            Value::Int(i) => return Ok(Rc::from(i.to_string())),
            Value::Float(f) => return Ok(Rc::from(pyrepr::float_repr(*f))),
            Value::Ellipsis => return Ok(Rc::from("Ellipsis")),
            Value::NotImplemented => return Ok(Rc::from("NotImplemented")),
            Value::Null => return Ok(Rc::from("<NULL>")),
            Value::Obj(o) => o,
        };
        if dunder(&type_of(v), "__repr__").is_some() {
            let r = self.call_special(v, "__repr__", &[])?;
            return match r.as_str() {
                Some(s) => Ok(Rc::from(s)),
                None => {
                    let old = format!("__repr__ returned non-string (type {})", self.type_name(&r));
                    Err(bad_result(self, v, "__repr__", "a str", &r, old))
                }
            };
        }
        let s = self.native_repr(v, o)?;
        Ok(Rc::from(s))
    }

    fn native_repr(&mut self, v: &Value, o: &ObjRef) -> PyResult<String> {
        let version = self.version;
        Ok(match &o.data {
            Data::Plain | Data::Slots(_) => default_repr(v),
            Data::Long(b) => int_str(self, b)?,
            Data::Complex(re, im) => pyrepr::complex_repr(*re, *im),
            Data::Float(f) => pyrepr::float_repr(*f),
            Data::Str(s) if crate::surrogates::has_surrogates(s) => {
                pyrepr::pystr_repr(&crate::surrogates::to_pystr(s), version)
            }
            Data::Str(s) => pyrepr::str_repr(s, version),
            Data::Bytes(b) => pyrepr::bytes_repr(b),
            Data::ByteArray(b) => {
                let b = b.borrow().clone();
                format!(
                    "{}({})",
                    tdata(&type_of(v)).name.borrow(),
                    pyrepr::bytes_repr(&b)
                )
            }
            Data::Tuple(items) => {
                let mut s = String::from("(");
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        s.push_str(", ");
                    }
                    s.push_str(&self.repr(x)?);
                }
                if items.len() == 1 {
                    s.push(',');
                }
                s.push(')');
                s
            }
            Data::List(l) => {
                let items = l.borrow().clone();
                self.guarded(v.id(), "[...]", |vm| vm.seq_repr("[", &items, "]"))?
            }
            Data::Dict(_) => self.guarded(v.id(), "{...}", |vm| vm.dict_repr(o))?,
            Data::Set(s) => {
                let items: Vec<Value> = s.borrow().values().cloned().collect();
                let exact = Rc::ptr_eq(&type_of(v), &crate::alloc::types().set);
                let name = tdata(&type_of(v)).name.borrow().clone();
                self.guarded(v.id(), &format!("{name}(...)"), |vm| {
                    vm.set_repr(&name, exact, &items)
                })?
            }
            Data::FrozenSet(s) => {
                let items: Vec<Value> = s.values().cloned().collect();
                let name = tdata(&type_of(v)).name.borrow().clone();
                self.guarded(v.id(), &format!("{name}(...)"), |vm| {
                    vm.set_repr(&name, false, &items)
                })?
            }
            Data::Range(r) => {
                if r.step == 1 {
                    format!("range({}, {})", r.start, r.stop)
                } else {
                    format!("range({}, {}, {})", r.start, r.stop, r.step)
                }
            }
            Data::Slice(a, b, c) => format!(
                "slice({}, {}, {})",
                self.repr(a)?,
                self.repr(b)?,
                self.repr(c)?
            ),
            Data::Cell(c) => {
                let inner = c.borrow().clone();
                match inner {
                    Some(x) => format!(
                        "<cell at {:#x}: {} object at {:#x}>",
                        v.id(),
                        type_path(&type_of(&x)),
                        x.id()
                    ),
                    None => format!("<cell at {:#x}: empty>", v.id()),
                }
            }
            Data::Function(f) => format!("<function {} at {:#x}>", f.qualname.borrow(), v.id()),
            Data::Method(f, s) => {
                let q = func_qualname(self, f)?;
                format!("<bound method {q} of {}>", self.repr(s)?)
            }
            Data::Builtin(b) => format!("<built-in function {}>", b.name),
            Data::MethodDescr(b) => {
                format!(
                    "<method '{}' of '{}' objects>",
                    b.name,
                    b.owner.unwrap_or("object")
                )
            }
            Data::BoundBuiltin(b, s) => match s.data() {
                Some(Data::Module(_)) => format!("<built-in function {}>", b.name),
                _ => format!(
                    "<built-in method {} of {} object at {:#x}>",
                    b.name,
                    type_path(&type_of(s)),
                    s.id()
                ),
            },
            Data::Type(_) => format!("<class '{}'>", type_path(o)),
            Data::Module(name) => {
                let file = o
                    .dict
                    .as_ref()
                    .and_then(|d| d.borrow().get_str("__file__").cloned());
                match file.as_ref().and_then(|f| f.as_str().map(str::to_string)) {
                    Some(f) => format!("<module '{name}' from '{f}'>"),
                    None => format!("<module '{name}' (built-in)>"),
                }
            }
            Data::Property(_) => format!("<property object at {:#x}>", v.id()),
            Data::StaticMethod(f) => format!("<staticmethod({})>", self.repr(f)?),
            Data::ClassMethod(f) => format!("<classmethod({})>", self.repr(f)?),
            // `super_repr` prints the types' `tp_name`s (no module for classes).
            Data::Super(cls, obj) => {
                let name = |t: &ObjRef| tdata(t).name.borrow().clone();
                match obj {
                    Value::None | Value::Null => format!("<super: <class '{}'>, NULL>", name(cls)),
                    _ => {
                        let obj_type = match obj.obj() {
                            Some(o) if matches!(o.data, Data::Type(_)) => o.clone(),
                            _ => type_of(obj),
                        };
                        format!(
                            "<super: <class '{}'>, <{} object>>",
                            name(cls),
                            name(&obj_type)
                        )
                    }
                }
            }
            Data::Generator(g) => {
                let q = g.borrow().qualname.clone();
                format!("<{} object {q} at {:#x}>", type_path(&type_of(v)), v.id())
            }
            Data::Iter(_) => match as_dict_view(v) {
                Some((d, kind)) => {
                    let name = type_path(&type_of(v));
                    self.guarded(v.id(), "...", |vm| vm.view_repr(&name, &d, kind))?
                }
                None => default_repr(v),
            },
            Data::Exception(e) => {
                let args = e.borrow().args.clone();
                let name = tdata(&type_of(v)).name.borrow().clone();
                if args.len() == 1 {
                    format!("{name}({})", self.repr(&args[0])?)
                } else {
                    let t = crate::alloc::tuple(args);
                    format!("{name}{}", self.repr(&t)?)
                }
            }
            Data::Code(c) => format!(
                "<code object {} at {:#x}, file \"{}\", line {}>",
                c.name,
                v.id(),
                c.filename,
                c.model.firstlineno
            ),
            Data::Template(strings, interps) => {
                let strs: Vec<Value> = strings
                    .iter()
                    .map(|s| crate::alloc::str_value(s.clone()))
                    .collect();
                let st = self.repr(&crate::alloc::tuple(strs))?;
                let it = self.repr(&crate::alloc::tuple(interps.clone()))?;
                format!("Template(strings={st}, interpolations={it})")
            }
            Data::Interpolation(value, expr, conv, spec) => format!(
                "Interpolation({}, {}, {}, {})",
                self.repr(value)?,
                self.repr(expr)?,
                self.repr(conv)?,
                self.repr(spec)?
            ),
            Data::Native(n) => self.native_obj_repr(v, n)?,
        })
    }

    fn native_obj_repr(&mut self, v: &Value, n: &RefCell<Native>) -> PyResult<String> {
        let snapshot = match &*n.borrow() {
            Native::Deque(d, max) => Some((d.iter().cloned().collect::<Vec<_>>(), *max)),
            _ => None,
        };
        if let Some((items, max)) = snapshot {
            let name = tdata(&type_of(v)).name.borrow().clone();
            return self.guarded(v.id(), "[...]", |vm| {
                let body = vm.seq_repr("[", &items, "]")?;
                Ok(match max {
                    Some(m) => format!("{name}({body}, maxlen={m})"),
                    None => format!("{name}({body})"),
                })
            });
        }
        let parts = match &*n.borrow() {
            Native::Partial(f, args, kw) => Some((f.clone(), args.clone(), kw.clone())),
            _ => None,
        };
        if let Some((f, args, kw)) = parts {
            return self.guarded(v.id(), "...", |vm| {
                let mut s = format!("{}({}", type_path(&type_of(v)), vm.repr(&f)?);
                for a in &args {
                    let _ = write!(s, ", {}", vm.repr(a)?);
                }
                for (k, a) in &kw {
                    let _ = write!(s, ", {k}={}", vm.repr(a)?);
                }
                s.push(')');
                Ok(s)
            });
        }
        let path = type_path(&type_of(v));
        // Take the parts out first: the reprs of the arguments may run Python code.
        let simple = match &*n.borrow() {
            Native::Iter(crate::modules::itertools::It::Count(a, b)) => {
                Some(crate::modules::itertools::It::Count(a.clone(), b.clone()))
            }
            Native::Iter(crate::modules::itertools::It::Repeat(a, t)) => {
                Some(crate::modules::itertools::It::Repeat(a.clone(), *t))
            }
            _ => None,
        };
        if let Some(state) = simple {
            // `count(3)`: the type's own name, without its module.
            let name = tdata(&type_of(v)).name.borrow().clone();
            if let Some(s) = crate::modules::itertools::repr(self, &state, &name)? {
                return Ok(s);
            }
        }
        let op = match &*n.borrow() {
            Native::ItemGetter(a) => Some(Native::ItemGetter(a.clone())),
            Native::AttrGetter(a) => Some(Native::AttrGetter(a.clone())),
            Native::MethodCaller(m, a, k) => {
                Some(Native::MethodCaller(m.clone(), a.clone(), k.clone()))
            }
            _ => None,
        };
        if let Some(op) = op {
            if let Some(s) = crate::modules::operator::repr(self, &op, &path)? {
                return Ok(s);
            }
        }
        Ok(default_repr(v))
    }

    /// Runs `f` unless object `id` is already being repr'd (then `again`).
    fn guarded(
        &mut self,
        id: usize,
        again: &str,
        f: impl FnOnce(&mut Vm) -> PyResult<String>,
    ) -> PyResult<String> {
        if !repr_enter(id) {
            return Ok(again.to_string());
        }
        let r = f(self);
        repr_leave(id);
        r
    }

    fn seq_repr(&mut self, open: &str, items: &[Value], close: &str) -> PyResult<String> {
        let mut s = String::from(open);
        for (i, x) in items.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            s.push_str(&self.repr(x)?);
        }
        s.push_str(close);
        Ok(s)
    }

    fn dict_repr(&mut self, o: &ObjRef) -> PyResult<String> {
        let Data::Dict(d) = &o.data else {
            return Ok(String::new());
        };
        let entries: Vec<(Value, Value)> = d
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut s = String::from("{");
        for (i, (k, v)) in entries.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            s.push_str(&self.repr(k)?);
            s.push_str(": ");
            s.push_str(&self.repr(v)?);
        }
        s.push('}');
        Ok(s)
    }

    fn set_repr(&mut self, name: &str, exact_set: bool, items: &[Value]) -> PyResult<String> {
        if items.is_empty() {
            return Ok(format!("{name}()"));
        }
        let body = self.seq_repr("{", items, "}")?;
        Ok(if exact_set {
            body
        } else {
            format!("{name}({body})")
        })
    }

    fn view_repr(&mut self, name: &str, d: &ObjRef, kind: DictView) -> PyResult<String> {
        let Data::Dict(dd) = &d.data else {
            return Ok(String::new());
        };
        let items: Vec<Value> = dd
            .borrow()
            .iter()
            .map(|(k, v)| match kind {
                DictView::Keys => k.clone(),
                DictView::Values => v.clone(),
                DictView::Items => crate::alloc::tuple(vec![k.clone(), v.clone()]),
            })
            .collect();
        let body = self.seq_repr("[", &items, "]")?;
        Ok(format!("{name}({body})"))
    }

    /// Calls special method `name` of `v`'s type: for a class, its metaclass's (an enum
    /// class's `repr` is `EnumType.__repr__`, not the one its members use).
    fn call_special(&mut self, v: &Value, name: &str, args: &[Value]) -> PyResult {
        if matches!(v.data(), Some(Data::Type(_))) {
            if let Some(f) = crate::types::lookup(&type_of(v), name) {
                let mut a = vec![v.clone()];
                a.extend_from_slice(args);
                return self.call(&f, &a, &[]);
            }
        }
        self.call_method(v, name, args)
    }

    /// `str(v)`: `__str__`, the text of strings, exceptions' messages, else `repr(v)`.
    pub fn str(&mut self, v: &Value) -> PyResult<Rc<str>> {
        let Value::Obj(o) = v else {
            return self.repr(v);
        };
        if dunder(&type_of(v), "__str__").is_some() {
            let r = self.call_special(v, "__str__", &[])?;
            return match r.as_str() {
                Some(s) => Ok(Rc::from(s)),
                None => {
                    let old = format!("__str__ returned non-string (type {})", self.type_name(&r));
                    Err(bad_result(self, v, "__str__", "a str", &r, old))
                }
            };
        }
        match &o.data {
            Data::Str(s) => Ok(s.clone()),
            Data::Exception(e) => {
                let args = e.borrow().args.clone();
                match args.len() {
                    0 => Ok(Rc::from("")),
                    1 if crate::exc::is_instance(v, "KeyError") => self.repr(&args[0]),
                    1 => self.str(&args[0]),
                    _ => self.repr(&crate::alloc::tuple(args)),
                }
            }
            _ => self.repr(v),
        }
    }

    /// `ascii(v)`: `repr(v)` with non-ASCII characters escaped.
    pub fn ascii(&mut self, v: &Value) -> PyResult<Rc<str>> {
        let r = self.repr(v)?;
        if r.is_ascii() {
            return Ok(r);
        }
        let mut s = String::with_capacity(r.len() + 8);
        for c in r.chars() {
            let n = c as u32;
            if n < 0x80 {
                s.push(c);
            } else if n < 0x100 {
                let _ = write!(s, "\\x{n:02x}");
            } else if n < 0x10000 {
                let _ = write!(s, "\\u{n:04x}");
            } else {
                let _ = write!(s, "\\U{n:08x}");
            }
        }
        Ok(Rc::from(s))
    }

    /// `format(v, spec)` (and f-string replacement fields): `__format__`, the builtin
    /// formatting of numbers and strings, else `str(v)` for an empty spec.
    pub fn format_value(&mut self, v: &Value, spec: &str) -> PyResult<Rc<str>> {
        let t = type_of(v);
        if dunder(&t, "__format__").is_some() {
            let r = self.call_special(v, "__format__", &[crate::alloc::s(spec)])?;
            return match r.as_str() {
                Some(s) => Ok(Rc::from(s)),
                None => {
                    let old = format!("__format__ must return a str, not {}", self.type_name(&r));
                    Err(bad_result(self, v, "__format__", "a str", &r, old))
                }
            };
        }
        if spec.is_empty() {
            return self.str(v);
        }
        if let Some(s) = self.builtin_format(v, spec)? {
            return Ok(s);
        }
        Err(self.type_error(format!(
            "unsupported format string passed to {}.__format__",
            crate::types::type_name(&t)
        )))
    }
}

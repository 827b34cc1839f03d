//! The builtin types, the exception hierarchy, and class machinery (MRO, lookup).

use crate::dict::Dict;
use crate::value::{Data, Layout, Obj, ObjRef, TypeData, Value};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

/// Every builtin type the VM knows, by role.
pub struct Types {
    pub type_: ObjRef,
    pub object: ObjRef,
    pub int: ObjRef,
    pub bool_: ObjRef,
    pub float: ObjRef,
    pub complex: ObjRef,
    pub str_: ObjRef,
    pub bytes: ObjRef,
    pub bytearray: ObjRef,
    pub tuple: ObjRef,
    pub list: ObjRef,
    pub dict: ObjRef,
    pub set: ObjRef,
    pub frozenset: ObjRef,
    pub range: ObjRef,
    pub slice: ObjRef,
    pub none: ObjRef,
    pub notimplemented: ObjRef,
    pub ellipsis: ObjRef,
    pub function: ObjRef,
    pub method: ObjRef,
    pub builtin_function: ObjRef,
    pub method_descriptor: ObjRef,
    pub cell: ObjRef,
    pub module: ObjRef,
    pub property: ObjRef,
    pub staticmethod: ObjRef,
    pub classmethod: ObjRef,
    pub super_: ObjRef,
    pub generator: ObjRef,
    pub coroutine: ObjRef,
    pub async_generator: ObjRef,
    pub code: ObjRef,
    pub template: ObjRef,
    pub interpolation: ObjRef,
    /// Iterator and view types, by their CPython names (`list_iterator`, `dict_keys`, …).
    pub other: HashMap<&'static str, ObjRef>,
    /// Exception classes by name.
    pub exc: HashMap<&'static str, ObjRef>,
}

/// Makes a type object (its own type is patched to `type` once that exists).
pub fn new_type(
    meta: Option<&ObjRef>,
    name: &str,
    bases: Vec<ObjRef>,
    layout: Layout,
    builtin: bool,
    has_dict: bool,
) -> ObjRef {
    let data = TypeData {
        name: RefCell::new(Rc::from(name)),
        qualname: RefCell::new(Rc::from(name)),
        module: RefCell::new(Rc::from("builtins")),
        bases: RefCell::new(bases),
        mro: RefCell::new(Vec::new()),
        builtin,
        layout,
        slots: RefCell::new(None),
        version: Cell::new(next_version()),
        shared_keys: RefCell::new(Vec::new()),
        has_dict,
        metaclass: false,
        final_: false,
        subclasses: RefCell::new(Vec::new()),
        lookup_cache: RefCell::new(Default::default()),
    };
    let t = crate::alloc::new_obj(Obj {
        cls: meta.cloned(),
        dict: Some(RefCell::new(Dict::new())),
        data: Data::Type(data),
    });
    remember_version(&t);
    t
}

thread_local! {
    /// The type cache by version (`_PyType_LookupByVersion`): each version's class, while it
    /// lives and keeps that version.
    static BY_VERSION: RefCell<HashMap<u32, std::rc::Weak<Obj>>> = RefCell::new(HashMap::new());
}

fn remember_version(t: &ObjRef) {
    let v = tdata(t).version.get();
    BY_VERSION.with(|m| m.borrow_mut().insert(v, Rc::downgrade(t)));
}

/// The class whose current `tp_version_tag` is `version`, if it still exists.
pub fn by_version(version: u32) -> Option<ObjRef> {
    let t = BY_VERSION.with(|m| m.borrow().get(&version).and_then(std::rc::Weak::upgrade))?;
    (tdata(&t).version.get() == version).then_some(t)
}

fn next_version() -> u32 {
    thread_local! { static V: Cell<u32> = const { Cell::new(1) }; }
    V.with(|v| {
        let n = v.get();
        v.set(n + 1);
        n
    })
}

/// A fresh `tp_version_tag` for a modified class.
pub fn bump_version(t: &ObjRef) {
    changed();
    if let Data::Type(td) = &t.data {
        crate::tier2::type_changing(t);
        td.version.set(next_version());
        remember_version(t);
        let subs: Vec<ObjRef> = td
            .subclasses
            .borrow()
            .iter()
            .filter_map(std::rc::Weak::upgrade)
            .collect();
        for sub in &subs {
            bump_version(sub);
        }
    }
}

thread_local! {
    /// Counts changes to any class's dictionary or MRO: the lookup caches' validity.
    static EPOCH: Cell<u64> = const { Cell::new(0) };
}

/// The count of class changes so far (a cache made at this epoch is valid while it lasts).
pub fn epoch() -> u64 {
    EPOCH.with(Cell::get)
}

/// Invalidates every class's lookup cache (a class dictionary or MRO changed).
pub fn changed() {
    EPOCH.with(|e| e.set(e.get() + 1));
}

/// Records that `sub` was made with `base` among its bases.
pub fn add_subclass(base: &ObjRef, sub: &ObjRef) {
    if let Data::Type(td) = &base.data {
        let mut subs = td.subclasses.borrow_mut();
        subs.retain(|w| w.strong_count() > 0);
        subs.push(Rc::downgrade(sub));
    }
}

pub fn tdata(t: &ObjRef) -> &TypeData {
    match &t.data {
        Data::Type(td) => td,
        _ => panic!("not a type"),
    }
}

/// C3 linearization of `cls`'s bases; `None` when no consistent order exists.
pub fn c3_mro(cls: &ObjRef, bases: &[ObjRef]) -> Option<Vec<ObjRef>> {
    let mut seqs: Vec<Vec<ObjRef>> = bases
        .iter()
        .map(|b| tdata(b).mro.borrow().clone())
        .collect();
    seqs.push(bases.to_vec());
    let mut out = vec![cls.clone()];
    loop {
        seqs.retain(|s| !s.is_empty());
        if seqs.is_empty() {
            return Some(out);
        }
        let mut found = None;
        for s in &seqs {
            let cand = &s[0];
            if !seqs
                .iter()
                .any(|t| t[1..].iter().any(|x| Rc::ptr_eq(x, cand)))
            {
                found = Some(cand.clone());
                break;
            }
        }
        let c = found?;
        out.push(c.clone());
        for s in seqs.iter_mut() {
            if Rc::ptr_eq(&s[0], &c) {
                s.remove(0);
            }
        }
    }
}

/// Looks `name` up along the MRO of type `t` (`_PyType_Lookup`).
pub fn lookup(t: &ObjRef, name: &str) -> Option<Value> {
    lookup_entry(t, name).map(|(_, v)| v)
}

/// The class in `t`'s MRO that defines `name`.
pub fn lookup_owner(t: &ObjRef, name: &str) -> Option<ObjRef> {
    lookup_entry(t, name).map(|(owner, _)| owner)
}

/// The class along `t`'s MRO that defines `name`, and the value; cached per class until any
/// class changes.
fn lookup_entry(t: &ObjRef, name: &str) -> Option<(ObjRef, Value)> {
    let td = tdata(t);
    let epoch = EPOCH.with(Cell::get);
    if let Some((e, found)) = td.lookup_cache.borrow().get(name) {
        if *e == epoch {
            return found.clone();
        }
    }
    let mut found = None;
    for c in td.mro.borrow().iter() {
        if let Some(d) = &c.dict {
            if let Some(v) = d.borrow().get_str(name) {
                found = Some((c.clone(), v.clone()));
                break;
            }
        }
    }
    td.lookup_cache
        .borrow_mut()
        .insert(Rc::from(name), (epoch, found.clone()));
    found
}

pub fn is_subtype(t: &ObjRef, base: &ObjRef) -> bool {
    tdata(t).mro.borrow().iter().any(|c| Rc::ptr_eq(c, base))
}

pub fn type_name(t: &ObjRef) -> Rc<str> {
    tdata(t).name.borrow().clone()
}

/// The exception hierarchy: (name, base).
pub const EXCEPTIONS: &[(&str, &str)] = &[
    ("BaseException", ""),
    ("BaseExceptionGroup", "BaseException"),
    ("GeneratorExit", "BaseException"),
    ("KeyboardInterrupt", "BaseException"),
    ("SystemExit", "BaseException"),
    ("Exception", "BaseException"),
    ("ArithmeticError", "Exception"),
    ("FloatingPointError", "ArithmeticError"),
    ("OverflowError", "ArithmeticError"),
    ("ZeroDivisionError", "ArithmeticError"),
    ("AssertionError", "Exception"),
    ("AttributeError", "Exception"),
    ("BufferError", "Exception"),
    ("EOFError", "Exception"),
    ("ExceptionGroup", "BaseExceptionGroup"),
    ("ImportError", "Exception"),
    ("ModuleNotFoundError", "ImportError"),
    ("LookupError", "Exception"),
    ("IndexError", "LookupError"),
    ("KeyError", "LookupError"),
    ("MemoryError", "Exception"),
    ("NameError", "Exception"),
    ("UnboundLocalError", "NameError"),
    ("OSError", "Exception"),
    ("FileNotFoundError", "OSError"),
    ("PermissionError", "OSError"),
    ("ReferenceError", "Exception"),
    ("RuntimeError", "Exception"),
    ("NotImplementedError", "RuntimeError"),
    ("RecursionError", "RuntimeError"),
    ("PythonFinalizationError", "RuntimeError"),
    ("StopAsyncIteration", "Exception"),
    ("StopIteration", "Exception"),
    ("SyntaxError", "Exception"),
    ("IndentationError", "SyntaxError"),
    ("TabError", "IndentationError"),
    ("SystemError", "Exception"),
    ("TypeError", "Exception"),
    ("ValueError", "Exception"),
    ("UnicodeError", "ValueError"),
    ("UnicodeDecodeError", "UnicodeError"),
    ("UnicodeEncodeError", "UnicodeError"),
    ("Warning", "Exception"),
    ("DeprecationWarning", "Warning"),
    ("UserWarning", "Warning"),
    ("RuntimeWarning", "Warning"),
    ("SyntaxWarning", "Warning"),
];

impl Types {
    pub fn new() -> Types {
        // `type` is its own type: its `cls` is `None` ([`Types::of`] knows).
        let type_ = new_type(None, "type", vec![], Layout::Type, true, true);
        let object = new_type(Some(&type_), "object", vec![], Layout::Object, true, false);
        set_mro(&object, vec![object.clone()]);
        *tdata(&type_).bases.borrow_mut() = vec![object.clone()];
        set_mro(&type_, vec![type_.clone(), object.clone()]);
        let mk = |name: &str, base: &ObjRef, layout: Layout| {
            let t = new_type(Some(&type_), name, vec![base.clone()], layout, true, false);
            let mut mro = vec![t.clone()];
            mro.extend(tdata(base).mro.borrow().iter().cloned());
            set_mro(&t, mro);
            t
        };
        let int = mk("int", &object, Layout::Int);
        let bool_ = mk("bool", &int, Layout::Int);
        let float = mk("float", &object, Layout::Float);
        let complex = mk("complex", &object, Layout::Complex);
        let str_ = mk("str", &object, Layout::Str);
        let bytes = mk("bytes", &object, Layout::Bytes);
        let bytearray = mk("bytearray", &object, Layout::ByteArray);
        let tuple = mk("tuple", &object, Layout::Tuple);
        let list = mk("list", &object, Layout::List);
        let dict = mk("dict", &object, Layout::Dict);
        let set = mk("set", &object, Layout::Set);
        let frozenset = mk("frozenset", &object, Layout::FrozenSet);
        let o = |n: &str| mk(n, &object, Layout::Other);
        let range = o("range");
        let slice = o("slice");
        let none = o("NoneType");
        let notimplemented = o("NotImplementedType");
        let ellipsis = o("ellipsis");
        let function = o("function");
        let method = o("method");
        let builtin_function = o("builtin_function_or_method");
        let method_descriptor = o("method_descriptor");
        let cell = o("cell");
        let module = o("module");
        let property = o("property");
        let staticmethod = o("staticmethod");
        let classmethod = o("classmethod");
        let super_ = o("super");
        let generator = o("generator");
        let coroutine = o("coroutine");
        let async_generator = o("async_generator");
        let code = o("code");
        let template = o("Template");
        let interpolation = o("Interpolation");
        for (t, m) in [
            (&template, "string.templatelib"),
            (&interpolation, "string.templatelib"),
        ] {
            *tdata(t).module.borrow_mut() = Rc::from(m);
        }
        let mut other = HashMap::new();
        for n in [
            "list_iterator",
            "list_reverseiterator",
            "tuple_iterator",
            "range_iterator",
            "str_ascii_iterator",
            "str_iterator",
            "bytes_iterator",
            "dict_keyiterator",
            "dict_valueiterator",
            "dict_itemiterator",
            "set_iterator",
            "callable_iterator",
            "iterator",
            "enumerate",
            "zip",
            "map",
            "filter",
            "reversed",
            "dict_keys",
            "dict_values",
            "dict_items",
            "mappingproxy",
            "generic_iterator",
        ] {
            other.insert(n, o(n));
        }
        let mut exc: HashMap<&'static str, ObjRef> = HashMap::new();
        for (name, base) in EXCEPTIONS {
            let b = if base.is_empty() {
                object.clone()
            } else {
                exc[base].clone()
            };
            let t = new_type(
                Some(&type_),
                name,
                vec![b.clone()],
                Layout::Exception,
                true,
                true,
            );
            let mut mro = vec![t.clone()];
            mro.extend(tdata(&b).mro.borrow().iter().cloned());
            set_mro(&t, mro);
            exc.insert(name, t);
        }
        Types {
            type_,
            object,
            int,
            bool_,
            float,
            complex,
            str_,
            bytes,
            bytearray,
            tuple,
            list,
            dict,
            set,
            frozenset,
            range,
            slice,
            none,
            notimplemented,
            ellipsis,
            function,
            method,
            builtin_function,
            method_descriptor,
            cell,
            module,
            property,
            staticmethod,
            classmethod,
            super_,
            generator,
            coroutine,
            async_generator,
            code,
            template,
            interpolation,
            other,
            exc,
        }
    }

    /// The type of `v`.
    pub fn of(&self, v: &Value) -> ObjRef {
        match v {
            Value::None | Value::Null => self.none.clone(),
            Value::NotImplemented => self.notimplemented.clone(),
            Value::Ellipsis => self.ellipsis.clone(),
            Value::Bool(_) => self.bool_.clone(),
            Value::Int(_) => self.int.clone(),
            Value::Float(_) => self.float.clone(),
            Value::Obj(o) => o.cls.clone().unwrap_or_else(|| self.type_.clone()),
        }
    }

    /// Whether `v`'s type is exactly `t`.
    pub fn is_exact(&self, v: &Value, t: &ObjRef) -> bool {
        match v {
            Value::Obj(o) => o.cls.as_ref().is_some_and(|c| Rc::ptr_eq(c, t)),
            _ => Rc::ptr_eq(&self.of(v), t),
        }
    }
}

impl Default for Types {
    fn default() -> Self {
        Types::new()
    }
}

pub fn set_mro(t: &ObjRef, mro: Vec<ObjRef>) {
    changed();
    *tdata(t).mro.borrow_mut() = mro;
}

/// Where instances of a class keep their attributes, as CPython lays them out; the
/// `LOAD_ATTR_*`/`STORE_ATTR_*` specializations depend on it (checked against the reference
/// interpreters: every class with a dict over a fixed-size base has inline values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DictLayout {
    /// No `__dict__` (builtin types, classes with only `__slots__`).
    NoDict,
    /// A dict at a fixed offset (`tp_dictoffset > 0`): functions, modules, exceptions.
    Offset,
    /// A dict at the end of a variable-size object (`tp_dictoffset < 0`): subclasses of `int`,
    /// `str`, `tuple`, `bytes`.
    VarOffset,
    /// Inline values keyed by the class's shared keys (`Py_TPFLAGS_INLINE_VALUES`), and a
    /// managed dict made only when needed: every other class with a dict.
    Inline,
}

/// The most attribute names a class's shared keys hold (`SHARED_KEYS_MAX_SIZE`).
pub const SHARED_KEYS_MAX: usize = 30;

pub fn dict_layout(t: &ObjRef) -> DictLayout {
    let td = tdata(t);
    if td.builtin {
        return if td.has_dict {
            DictLayout::Offset
        } else {
            DictLayout::NoDict
        };
    }
    if !crate::call::class_has_dict(t) {
        return DictLayout::NoDict;
    }
    match td.layout {
        Layout::Int | Layout::Str | Layout::Bytes | Layout::Tuple => DictLayout::VarOffset,
        Layout::Exception | Layout::Type | Layout::Other => DictLayout::Offset,
        _ => DictLayout::Inline,
    }
}

/// Whether `name` is a `__slots__` member of `t` or a base (without collecting them).
pub fn has_slot(t: &ObjRef, name: &str) -> bool {
    name != "__dict__"
        && tdata(t).mro.borrow().iter().any(|c| {
            tdata(c)
                .slots
                .borrow()
                .as_ref()
                .is_some_and(|s| s.iter().any(|n| &**n == name))
        })
}

/// Whether `name` is among `t`'s shared keys (the inline values' names).
pub fn in_shared_keys(t: &ObjRef, name: &str) -> bool {
    tdata(t)
        .shared_keys
        .borrow()
        .iter()
        .any(|k| std::ptr::eq(k.as_ptr(), name.as_ptr()) || &**k == name)
}

/// A snapshot of the entries of class `t`'s dictionary (to call back into Python over them).
pub fn dict_items(t: &ObjRef) -> Vec<(Value, Value)> {
    t.dict
        .as_ref()
        .map(|d| {
            d.borrow()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

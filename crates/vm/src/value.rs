//! Python objects as the VM holds them.
//!
//! A [`Value`] is an immediate (`None`, `bool`, a machine-sized `int`, `float`) or a reference
//! to a heap [`Obj`]. Every heap object has a type (`cls`, itself an `Obj` holding a
//! [`TypeData`]) and a payload ([`Data`]) that says how CPython implements it — in C (a list,
//! a builtin function, a method descriptor) or in Python (a function, an instance of a
//! class). That split is what decides specialization (`CALL_BUILTIN_O` vs `CALL_PY_EXACT_ARGS`,
//! `LOAD_ATTR_INSTANCE_VALUE` vs `LOAD_ATTR_SLOT`), so it is kept explicit.

use crate::code::CodeRt;
use crate::dict::Dict;
use crate::frame::Frame;
use num_bigint::BigInt;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// A reference to a heap object.
pub type ObjRef = Rc<Obj>;

/// A Python value.
#[derive(Clone)]
pub enum Value {
    None,
    NotImplemented,
    Ellipsis,
    Bool(bool),
    /// An `int` that fits in 64 bits (larger ones are `Data::Long` objects).
    Int(i64),
    Float(f64),
    Obj(ObjRef),
    /// The value stack's `NULL` (`PUSH_NULL`, the empty `self` slot of a call); never seen by
    /// Python code.
    Null,
}

impl Value {
    pub fn obj(&self) -> Option<&ObjRef> {
        match self {
            Value::Obj(o) => Some(o),
            _ => None,
        }
    }

    pub fn data(&self) -> Option<&Data> {
        self.obj().map(|o| &o.data)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self.data() {
            Some(Data::Str(s)) => Some(s),
            _ => None,
        }
    }

    /// Identity (`is`).
    pub fn is(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::None, Value::None)
            | (Value::NotImplemented, Value::NotImplemented)
            | (Value::Ellipsis, Value::Ellipsis) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            // CPython caches small ints; equal machine ints are reported as identical.
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a.to_bits() == b.to_bits(),
            (Value::Obj(a), Value::Obj(b)) => Rc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// A stable identity number (`id()`).
    pub fn id(&self) -> usize {
        match self {
            Value::Obj(o) => Rc::as_ptr(o) as usize,
            Value::None => 0x1000,
            Value::NotImplemented => 0x1010,
            Value::Ellipsis => 0x1020,
            Value::Bool(b) => 0x1030 + *b as usize,
            Value::Int(i) => 0x2000 + (*i as usize).wrapping_mul(32),
            Value::Float(f) => f.to_bits() as usize,
            Value::Null => 0,
        }
    }
}

/// A heap object: its type, its `__dict__` if it has one, its payload.
pub struct Obj {
    /// The object's type; `None` only for `type` itself (whose type is `type`).
    pub cls: Option<ObjRef>,
    /// The instance dictionary of objects that have one (instances of classes, functions,
    /// modules, types).
    pub dict: Option<RefCell<Dict>>,
    pub data: Data,
}

/// How an object is implemented.
pub enum Data {
    /// An instance of a class with nothing built in below it (`object`'s layout).
    Plain,
    /// An instance whose class declares `__slots__`: one value per slot.
    Slots(RefCell<Vec<Option<Value>>>),
    Long(BigInt),
    /// A boxed `float`: an instance of a `float` subclass (exact floats are `Value::Float`).
    Float(f64),
    Complex(f64, f64),
    Str(Rc<str>),
    Bytes(Rc<[u8]>),
    ByteArray(RefCell<Vec<u8>>),
    Tuple(Vec<Value>),
    List(RefCell<Vec<Value>>),
    Dict(RefCell<Dict>),
    Set(RefCell<crate::set::Set>),
    FrozenSet(crate::set::Set),
    Range(Range),
    Slice(Value, Value, Value),
    Cell(RefCell<Option<Value>>),
    Function(Function),
    /// A Python function (or any callable) bound to `self`.
    Method(Value, Value),
    /// A function or method implemented in C.
    Builtin(Builtin),
    /// A C method of a type, unbound (`list.append`): a method descriptor.
    MethodDescr(Builtin),
    /// A C method bound to its `self` (`[].append`).
    BoundBuiltin(Builtin, Value),
    Type(TypeData),
    Module(Rc<str>),
    Property(Property),
    StaticMethod(Value),
    ClassMethod(Value),
    Super(ObjRef, Value),
    Generator(RefCell<GenData>),
    Iter(RefCell<IterState>),
    Exception(RefCell<ExcData>),
    Code(Rc<CodeRt>),
    /// A `string.templatelib.Template`.
    Template(Vec<Rc<str>>, Vec<Value>),
    /// A `string.templatelib.Interpolation`: value, expression, conversion, format spec.
    Interpolation(Value, Value, Value, Value),
    /// Objects of library types the VM implements natively (deque, partial, …).
    Native(RefCell<Native>),
}

/// A `range` with machine-sized bounds (larger ranges raise OverflowError at construction).
#[derive(Clone, Copy)]
pub struct Range {
    pub start: i64,
    pub stop: i64,
    pub step: i64,
}

impl Range {
    pub fn len(&self) -> i64 {
        let (lo, hi, step) = (self.start as i128, self.stop as i128, self.step as i128);
        let n = if step > 0 && lo < hi {
            (hi - lo - 1) / step + 1
        } else if step < 0 && lo > hi {
            (lo - hi - 1) / (-step) + 1
        } else {
            0
        };
        n as i64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: i64) -> i64 {
        self.start + i * self.step
    }
}

/// A function written in Python.
pub struct Function {
    pub code: Rc<CodeRt>,
    pub globals: ObjRef,
    pub name: RefCell<Rc<str>>,
    pub qualname: RefCell<Rc<str>>,
    pub defaults: RefCell<Option<Vec<Value>>>,
    pub kwdefaults: RefCell<Option<ObjRef>>,
    pub closure: RefCell<Vec<ObjRef>>,
    pub annotations: RefCell<Option<Value>>,
    pub annotate: RefCell<Option<Value>>,
    pub doc: RefCell<Value>,
    /// `func_version`: bumped when defaults or code change (the CALL_PY_* guards check it).
    pub version: Cell<u32>,
}

/// The calling convention of a C function: what `CALL_BUILTIN_*` and
/// `CALL_METHOD_DESCRIPTOR_*` specialize on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethKind {
    /// `METH_NOARGS`
    NoArgs,
    /// `METH_O`
    O,
    /// `METH_FASTCALL`
    Fast,
    /// `METH_FASTCALL | METH_KEYWORDS`
    FastKw,
    /// `METH_VARARGS | METH_KEYWORDS` (no vectorcall).
    VarArgs,
}

/// The signature of every C function: positional arguments, then keyword arguments.
pub type NativeFn = fn(&mut crate::Vm, &[Value], &[(Rc<str>, Value)]) -> crate::PyResult;

/// A function implemented in C.
#[derive(Clone)]
pub struct Builtin {
    pub name: &'static str,
    /// The type a method belongs to (`list` for `list.append`), for `__qualname__`.
    pub owner: Option<&'static str>,
    /// The module of a library function (`math` for `math.sqrt`); `None` for `builtins`.
    pub module: Option<&'static str>,
    pub kind: MethKind,
    pub func: NativeFn,
}

/// A class's `_PyType_Lookup` cache: name → (the epoch it was made at, the class that
/// defines the name and its value).
pub type LookupCache =
    std::collections::HashMap<Rc<str>, (u64, Option<(ObjRef, Value)>), foldhash::fast::FixedState>;

/// A class.
pub struct TypeData {
    pub name: RefCell<Rc<str>>,
    pub qualname: RefCell<Rc<str>>,
    pub module: RefCell<Rc<str>>,
    pub bases: RefCell<Vec<ObjRef>>,
    pub mro: RefCell<Vec<ObjRef>>,
    /// Implemented in C (a builtin type) rather than by a `class` statement.
    pub builtin: bool,
    /// The payload instances get (`Plain` for classes over `object`).
    pub layout: Layout,
    /// `__slots__` names, when the class declares them.
    pub slots: RefCell<Option<Vec<Rc<str>>>>,
    /// `tp_version_tag`: changed whenever the class or a base is modified.
    pub version: Cell<u32>,
    /// The attribute names instances share (CPython's cached keys, up to 30): an instance
    /// attribute in them is stored inline (`LOAD_ATTR_INSTANCE_VALUE`).
    pub shared_keys: RefCell<Vec<Rc<str>>>,
    /// Whether instances may get new attributes (false for builtin types without `__dict__`).
    pub has_dict: bool,
    /// The class was created with a metaclass other than `type`.
    pub metaclass: bool,
    /// Subclasses may not be created (`bool`, `NoneType`, …).
    pub final_: bool,
    /// The classes made with this one as a base (`tp_subclasses`): a change to this class
    /// changes their versions too.
    pub subclasses: RefCell<Vec<std::rc::Weak<Obj>>>,
    /// `_PyType_Lookup`'s cache (CPython's method cache): name → the class along the MRO
    /// that defines it and the value, valid while no class has changed since (the epoch).
    pub lookup_cache: RefCell<LookupCache>,
}

/// Which C layout a class's instances have (the "solid base").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    Object,
    Int,
    Float,
    Complex,
    Str,
    Bytes,
    ByteArray,
    Tuple,
    List,
    Dict,
    Set,
    FrozenSet,
    Exception,
    Type,
    /// Types whose instances the VM makes itself only (functions, ranges, iterators, …).
    Other,
}

/// `property(fget, fset, fdel, doc)`.
pub struct Property {
    pub fget: Value,
    pub fset: Value,
    pub fdel: Value,
    pub doc: Value,
}

/// A generator, coroutine or async generator.
pub struct GenData {
    /// The suspended frame (`None` once finished).
    pub frame: Option<Box<Frame>>,
    pub running: bool,
    pub name: Rc<str>,
    pub qualname: Rc<str>,
    pub kind: GenKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenKind {
    Generator,
    Coroutine,
    AsyncGenerator,
}

/// The state of the iterators the VM implements in C's place.
pub enum IterState {
    /// `list_iterator`, `tuple_iterator`, `str_ascii_iterator`…: a sequence and an index.
    Seq(Value, usize),
    Range {
        next: i64,
        stop: i64,
        step: i64,
    },
    /// `dict_keyiterator` / `dict_valueiterator` / `dict_itemiterator` over a dict.
    Dict(ObjRef, usize, DictView),
    /// `set_iterator`: the items at the time the iteration began.
    Items(Vec<Value>, usize),
    /// `callable_iterator` (`iter(f, sentinel)`).
    Callable(Value, Value),
    /// `enumerate`.
    Enumerate(Value, i64),
    /// `zip` (strict or not).
    Zip(Vec<Value>, bool),
    /// `map`.
    Map(Value, Vec<Value>),
    /// `filter` (`None` predicate: truthiness).
    Filter(Value, Value),
    /// `reversed` over a sequence.
    Reversed(Value, usize),
    /// Generic Rust-side iterator over precomputed values (itertools results, …).
    Values(std::collections::VecDeque<Value>),
    Exhausted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DictView {
    Keys,
    Values,
    Items,
}

/// The fields of a `BaseException`.
pub struct ExcData {
    pub args: Vec<Value>,
    pub traceback: Vec<TraceEntry>,
    pub cause: Option<Value>,
    pub context: Option<Value>,
    pub suppress_context: bool,
    pub notes: Vec<Value>,
    /// `ExceptionGroup` members.
    pub exceptions: Vec<Value>,
    /// What the traceback needs for a "Did you mean …?" suggestion.
    pub suggest: Option<Rc<crate::suggestions::Suggest>>,
}

/// One line of a traceback: where a frame was when the exception passed through it.
#[derive(Clone)]
pub struct TraceEntry {
    pub filename: Rc<str>,
    pub name: Rc<str>,
    pub line: Option<u32>,
    pub positions: Option<cpyviz_model::bytecode::Positions>,
}

/// Objects of library types implemented natively (their behaviour lives in `modules/`).
pub enum Native {
    /// `collections.deque`: items and `maxlen`.
    Deque(std::collections::VecDeque<Value>, Option<usize>),
    /// `functools.partial`: function, positional and keyword arguments.
    Partial(Value, Vec<Value>, Vec<(Rc<str>, Value)>),
    /// `functools._lru_cache_wrapper`.
    Lru(Box<crate::modules::functools::Lru>),
    /// `functools.cmp_to_key`'s `KeyWrapper`: the comparison function and, once called with
    /// one, the object it wraps.
    KeyWrapper(Value, Option<Value>),
    /// `operator.itemgetter` / `attrgetter` / `methodcaller`.
    ItemGetter(Vec<Value>),
    AttrGetter(Vec<Rc<str>>),
    MethodCaller(Rc<str>, Vec<Value>, Vec<(Rc<str>, Value)>),
    /// An `itertools` iterator.
    Iter(crate::modules::itertools::It),
    /// `sys.stdout` (`false`) / `sys.stderr` (`true`).
    Stream(bool),
    /// The `_abc_impl` data of an abstract base class.
    Abc(Box<crate::modules::abc::AbcData>),
}

//! `_functools`, the C half of `functools`: `reduce` (`METH_FASTCALL|METH_KEYWORDS`),
//! `partial` (a type whose instances are called through `CALL_NON_PY_GENERAL`),
//! `_lru_cache_wrapper` (what `lru_cache` and `cache` wrap functions in) and `cmp_to_key`.
//! The Python half (`wraps`, `update_wrapper`, `lru_cache`, `cache`, `total_ordering`,
//! `cached_property`) is `py/functools.py`.

use super::{add_methods, lib_type, ModBuilder};
use crate::alloc::{self, types};
use crate::dict::Key;
use crate::methods::{nargs, Kw};
use crate::value::{Data, Layout, MethKind::*, Native, ObjRef, Value};
use crate::{PyResult, Vm};
use indexmap::IndexMap;
use std::rc::Rc;

/// The state of an `_lru_cache_wrapper`.
pub struct Lru {
    pub func: Value,
    /// `None`: unbounded (`cache`, `lru_cache(maxsize=None)`).
    pub maxsize: Option<usize>,
    pub typed: bool,
    pub memo: IndexMap<Key, Value>,
    pub hits: u64,
    pub misses: u64,
    /// The `_CacheInfo` named tuple type `cache_info()` returns.
    pub info: Value,
}

fn ty(name: &str) -> ObjRef {
    lib_type("functools", name, &types().object, Layout::Other, true)
}

pub fn native_module(_vm: &mut Vm) -> Value {
    let b = ModBuilder::new("_functools");
    b.func("reduce", FastKw, reduce);
    b.func("cmp_to_key", FastKw, cmp_to_key);
    let partial = ty("partial");
    super::add_getter(&partial, "func", partial_func);
    super::add_getter(&partial, "args", partial_args);
    super::add_getter(&partial, "keywords", partial_keywords);
    b.class(&partial);
    let lru = ty("_lru_cache_wrapper");
    add_methods(
        &lru,
        "_lru_cache_wrapper",
        "functools",
        &[
            ("cache_info", NoArgs, cache_info),
            ("cache_clear", NoArgs, cache_clear),
        ],
    );
    b.class(&lru);
    let kw = lib_type(
        "functools",
        "KeyWrapper",
        &types().object,
        Layout::Other,
        false,
    );
    add_methods(
        &kw,
        "KeyWrapper",
        "functools",
        &[
            ("__lt__", O, kw_lt),
            ("__le__", O, kw_le),
            ("__gt__", O, kw_gt),
            ("__ge__", O, kw_ge),
            ("__eq__", O, kw_eq),
            ("__ne__", O, kw_ne),
        ],
    );
    crate::methods::put(&kw, "__hash__", Value::None);
    b.module()
}

fn reduce(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    crate::methods::kw_only(vm, "reduce", kw, &["initial"])?;
    let given = args.len() + kw.len();
    if given < 2 {
        return Err(vm.type_error(format!(
            "reduce() takes at least 2 positional arguments ({given} given)"
        )));
    }
    nargs(vm, "reduce", given, 2, 3)?;
    let f = args[0].clone();
    let it = match vm.iter(&args[1]) {
        Ok(it) => it,
        Err(crate::Flow::Exc(e)) if crate::exc::is_instance(&e, "TypeError") => {
            return Err(vm.type_error("reduce() arg 2 must support iteration"))
        }
        Err(e) => return Err(e),
    };
    let mut acc = args
        .get(2)
        .cloned()
        .or_else(|| crate::methods::kwarg(kw, "initial"));
    while let Some(v) = vm.next(&it)? {
        acc = Some(match acc {
            None => v,
            Some(a) => vm.call(&f, &[a, v], &[])?,
        });
    }
    acc.ok_or_else(|| vm.type_error("reduce() of empty iterable with no initial value"))
}

/// `partial(func, /, *args, **keywords)` for class `cls`.
pub fn new_partial(vm: &mut Vm, cls: &ObjRef, args: &[Value], kwargs: Kw) -> PyResult {
    let Some(func) = args.first() else {
        return Err(vm.type_error("type 'partial' takes at least one argument"));
    };
    if !crate::builtins::is_callable(vm, func) {
        return Err(vm.type_error("the first argument must be callable"));
    }
    let mut func = func.clone();
    let mut pargs = Vec::new();
    let mut pkw: Vec<(Rc<str>, Value)> = Vec::new();
    // A partial of an exact partial flattens.
    if let Some(Data::Native(n)) = func.data() {
        let inner = match &*n.borrow() {
            Native::Partial(f, a, k) if types().is_exact(&func, &ty("partial")) => {
                Some((f.clone(), a.clone(), k.clone()))
            }
            _ => None,
        };
        if let Some((f, a, k)) = inner {
            func = f;
            pargs = a;
            pkw = k;
        }
    }
    pargs.extend_from_slice(&args[1..]);
    for (k, v) in kwargs {
        match pkw.iter_mut().find(|(n, _)| n == k) {
            Some(slot) => slot.1 = v.clone(),
            None => pkw.push((k.clone(), v.clone())),
        }
    }
    Ok(alloc_native(cls, Native::Partial(func, pargs, pkw)))
}

/// A native object with a `__dict__` (partial and the cache wrapper keep attributes).
fn alloc_native(cls: &ObjRef, n: Native) -> Value {
    alloc::obj_with_dict(cls, Data::Native(std::cell::RefCell::new(n)))
}

/// A partial's function, positional arguments and keyword arguments.
type Parts = (Value, Vec<Value>, Vec<(Rc<str>, Value)>);

fn partial_parts(v: &Value) -> Option<Parts> {
    match v.data() {
        Some(Data::Native(n)) => match &*n.borrow() {
            Native::Partial(f, a, k) => Some((f.clone(), a.clone(), k.clone())),
            _ => None,
        },
        _ => None,
    }
}

fn partial_func(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let p = partial_parts(&args[0]).ok_or_else(|| vm.type_error("not a partial"))?;
    Ok(p.0)
}

fn partial_args(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let p = partial_parts(&args[0]).ok_or_else(|| vm.type_error("not a partial"))?;
    Ok(alloc::tuple(p.1))
}

fn partial_keywords(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let p = partial_parts(&args[0]).ok_or_else(|| vm.type_error("not a partial"))?;
    let mut d = crate::dict::Dict::new();
    for (k, v) in p.2 {
        d.set_str(&k, v);
    }
    Ok(alloc::dict(d))
}

/// `functools.<name>(...)`.
pub fn construct(vm: &mut Vm, cls: &ObjRef, name: &str, args: &[Value], kwargs: Kw) -> PyResult {
    match name {
        "partial" => new_partial(vm, cls, args, kwargs),
        "_lru_cache_wrapper" => {
            nargs(vm, "_lru_cache_wrapper", args.len(), 4, 4)?;
            if !crate::builtins::is_callable(vm, &args[0]) {
                return Err(vm.type_error("the first argument must be callable"));
            }
            let maxsize = match &args[1] {
                Value::None => None,
                v => Some(crate::methods::index(vm, v)?.max(0) as usize),
            };
            let typed = vm.truthy(&args[2])?;
            Ok(alloc_native(
                cls,
                Native::Lru(Box::new(Lru {
                    func: args[0].clone(),
                    maxsize,
                    typed,
                    memo: IndexMap::new(),
                    hits: 0,
                    misses: 0,
                    info: args[3].clone(),
                })),
            ))
        }
        _ => Err(vm.type_error(format!("cannot create 'functools.{name}' instances"))),
    }
}

/// The cache key of a call (`_make_key`): a lone int or str argument is its own key.
fn make_key(vm: &mut Vm, args: &[Value], kwargs: Kw, typed: bool) -> PyResult<Key> {
    if kwargs.is_empty() && !typed && args.len() == 1 {
        let a = &args[0];
        if types().is_exact(a, &types().int) || types().is_exact(a, &types().str_) {
            return vm.key_of(a);
        }
    }
    let mut parts = Vec::with_capacity(args.len() + 2 * kwargs.len() + 1);
    for a in args {
        parts.push(vm.key_of(a)?);
    }
    if !kwargs.is_empty() {
        // A marker no argument can equal (no object lives at address 0).
        parts.push(Key::Id(0));
        for (k, v) in kwargs {
            parts.push(Key::Str(k.clone()));
            parts.push(vm.key_of(v)?);
        }
    }
    if typed {
        for a in args.iter().chain(kwargs.iter().map(|(_, v)| v)) {
            parts.push(Key::Id(Rc::as_ptr(&types().of(a)) as usize));
        }
    }
    Ok(Key::Tuple(parts))
}

fn with_lru<R>(v: &Value, f: impl FnOnce(&mut Lru) -> R) -> Option<R> {
    match v.data() {
        Some(Data::Native(n)) => match &mut *n.borrow_mut() {
            Native::Lru(l) => Some(f(l)),
            _ => None,
        },
        _ => None,
    }
}

/// Calls an `_lru_cache_wrapper`.
pub fn call_lru(vm: &mut Vm, w: &Value, args: &[Value], kwargs: Kw) -> PyResult {
    let Some((func, maxsize, typed)) = with_lru(w, |l| (l.func.clone(), l.maxsize, l.typed)) else {
        return Err(vm.type_error("not a cache wrapper"));
    };
    if maxsize == Some(0) {
        with_lru(w, |l| l.misses += 1);
        return vm.call(&func, args, kwargs);
    }
    let key = make_key(vm, args, kwargs, typed)?;
    let hit = with_lru(w, |l| {
        let found = l.memo.get_index_of(&key);
        found.map(|i| {
            l.hits += 1;
            let last = l.memo.len() - 1;
            l.memo.move_index(i, last);
            l.memo[last].clone()
        })
    })
    .flatten();
    if let Some(v) = hit {
        return Ok(v);
    }
    with_lru(w, |l| l.misses += 1);
    let r = vm.call(&func, args, kwargs)?;
    vm.charge(32)?;
    with_lru(w, |l| {
        if !l.memo.contains_key(&key) {
            if let Some(m) = l.maxsize {
                while l.memo.len() >= m {
                    l.memo.shift_remove_index(0);
                }
            }
            l.memo.insert(key, r.clone());
        }
    });
    Ok(r)
}

fn cache_info(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let Some((info, parts)) = with_lru(&args[0], |l| {
        (
            l.info.clone(),
            vec![
                Value::Int(l.hits as i64),
                Value::Int(l.misses as i64),
                l.maxsize.map_or(Value::None, |m| Value::Int(m as i64)),
                Value::Int(l.memo.len() as i64),
            ],
        )
    }) else {
        return Err(vm.type_error("not a cache wrapper"));
    };
    vm.call(&info, &parts, &[])
}

fn cache_clear(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    with_lru(&args[0], |l| {
        l.memo.clear();
        l.hits = 0;
        l.misses = 0;
    })
    .ok_or_else(|| vm.type_error("not a cache wrapper"))?;
    Ok(Value::None)
}

fn cmp_to_key(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    crate::methods::kw_only(vm, "cmp_to_key", kw, &["mycmp"])?;
    let Some(f) = crate::methods::param(vm, "cmp_to_key", args, kw, 0, "mycmp")? else {
        return Err(vm.type_error("cmp_to_key() missing required argument 'mycmp' (pos 1)"));
    };
    let t = lib_type(
        "functools",
        "KeyWrapper",
        &types().object,
        Layout::Other,
        false,
    );
    Ok(alloc::obj(
        &t,
        Data::Native(std::cell::RefCell::new(Native::KeyWrapper(f, None))),
    ))
}

/// Calls a `KeyWrapper`: `K(obj)` wraps `obj`.
pub fn call_key_wrapper(vm: &mut Vm, w: &Value, args: &[Value], kwargs: Kw) -> PyResult {
    let cmp = match w.data() {
        Some(Data::Native(n)) => match &*n.borrow() {
            Native::KeyWrapper(c, _) => c.clone(),
            _ => Value::None,
        },
        _ => Value::None,
    };
    crate::methods::kw_only(vm, "K", kwargs, &["obj"])?;
    let obj = match (args.first(), crate::methods::kwarg(kwargs, "obj")) {
        (Some(o), _) => o.clone(),
        (None, Some(o)) => o,
        _ => return Err(vm.type_error("K() missing required argument 'obj' (pos 1)")),
    };
    Ok(alloc::obj(
        &types().of(w),
        Data::Native(std::cell::RefCell::new(Native::KeyWrapper(cmp, Some(obj)))),
    ))
}

fn wrapped(v: &Value) -> Option<(Value, Value)> {
    match v.data() {
        Some(Data::Native(n)) => match &*n.borrow() {
            Native::KeyWrapper(c, Some(o)) => Some((c.clone(), o.clone())),
            _ => None,
        },
        _ => None,
    }
}

fn kw_cmp(vm: &mut Vm, args: &[Value], op: u32) -> PyResult {
    let (Some((cmp, a)), Some((_, b))) = (wrapped(&args[0]), args.get(1).and_then(wrapped)) else {
        return Err(vm.type_error("other argument must be K instance"));
    };
    let r = vm.call(&cmp, &[a, b], &[])?;
    vm.compare(&r, &Value::Int(0), op)
}

fn kw_lt(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    kw_cmp(vm, args, 0)
}

fn kw_le(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    kw_cmp(vm, args, 1)
}

fn kw_eq(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    kw_cmp(vm, args, 2)
}

fn kw_ne(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    kw_cmp(vm, args, 3)
}

fn kw_gt(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    kw_cmp(vm, args, 4)
}

fn kw_ge(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    kw_cmp(vm, args, 5)
}

//! `itertools`: a C module in CPython. Its iterators are objects of library types whose
//! constructors are not vectorcall (calls to them specialize to `CALL_NON_PY_GENERAL`);
//! `tee` is a `METH_FASTCALL` function, `chain.from_iterable` a `METH_O` class method.
//! The combinatoric iterators materialize their pools (charged to the memory limit) and step
//! through index vectors lazily.

use super::{add_methods, lib_type, native, ModBuilder};
use crate::alloc::{self, types};
use crate::methods::{kw_only, kwarg, nargs, Kw};
use crate::value::{Data, Layout, MethKind::*, Native, ObjRef, Value};
use crate::{PyResult, Vm};
use std::cell::RefCell;
use std::rc::Rc;

/// The state of an `itertools` iterator.
pub enum It {
    Count(Value, Value),
    /// Saved items, position, the source (until exhausted).
    Cycle(Vec<Value>, usize, Option<Value>),
    Repeat(Value, Option<i64>),
    /// The current iterator, and the iterator of the remaining iterables.
    Chain(Option<Value>, Value),
    /// Source, index of the next item to yield, stop, step, items consumed so far.
    ISlice(Value, i64, Option<i64>, i64, i64),
    TakeWhile(Value, Value, bool),
    DropWhile(Value, Value, bool),
    /// Source, function, running total, `initial` still to yield.
    Accumulate(Value, Value, Option<Value>, Option<Value>),
    Compress(Value, Value),
    FilterFalse(Value, Value),
    StarMap(Value, Value),
    Pairwise(Value, Option<Value>),
    /// The sources (`None` once exhausted), the fill value.
    ZipLongest(Vec<Option<Value>>, Value),
    Batched(Value, usize, bool),
    GroupBy(Rc<RefCell<Group>>),
    /// A group of a `groupby`: its state, its key, its number.
    Grouper(Rc<RefCell<Group>>, Value, u64),
    /// A `tee` iterator: the shared buffer and this iterator's position in it.
    Tee(Rc<RefCell<TeeData>>, usize),
    Combo(Box<Combo>),
    Done,
}

/// The shared state of a `groupby` and its groups.
pub struct Group {
    it: Value,
    key: Value,
    tgtkey: Option<Value>,
    currkey: Option<Value>,
    currvalue: Option<Value>,
    /// The number of the newest group (older groups are exhausted).
    current: u64,
}

/// The items a `tee`'s source produced so far.
pub struct TeeData {
    it: Value,
    items: Vec<Value>,
    done: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ComboKind {
    Product,
    Permutations,
    Combinations,
    WithReplacement,
}

/// `product`, `permutations`, `combinations`, `combinations_with_replacement`.
pub struct Combo {
    kind: ComboKind,
    pools: Vec<Rc<Vec<Value>>>,
    indices: Vec<usize>,
    cycles: Vec<usize>,
    r: usize,
    first: bool,
    done: bool,
}

const NAMES: &[&str] = &[
    "accumulate",
    "batched",
    "chain",
    "combinations",
    "combinations_with_replacement",
    "compress",
    "count",
    "cycle",
    "dropwhile",
    "filterfalse",
    "groupby",
    "islice",
    "pairwise",
    "permutations",
    "product",
    "repeat",
    "starmap",
    "takewhile",
    "zip_longest",
    "_grouper",
    "_tee",
];

fn ty(name: &str) -> ObjRef {
    lib_type("itertools", name, &types().object, Layout::Other, false)
}

pub fn module(_vm: &mut Vm) -> Value {
    let b = ModBuilder::new("itertools");
    for n in NAMES {
        let t = ty(n);
        if !n.starts_with('_') {
            b.class(&t);
        }
    }
    crate::methods::add_classmethod(&ty("chain"), "from_iterable", O, chain_from_iterable);
    add_methods(
        &ty("repeat"),
        "repeat",
        "itertools",
        &[("__length_hint__", NoArgs, repeat_len)],
    );
    b.func("tee", Fast, tee);
    b.module()
}

fn it(cls: &ObjRef, state: It) -> Value {
    native(cls, Native::Iter(state))
}

fn no_kw(vm: &Vm, name: &str, kwargs: Kw) -> PyResult<()> {
    if !kwargs.is_empty() {
        return Err(vm.type_error(format!("{name}() takes no keyword arguments")));
    }
    Ok(())
}

/// A non-negative `islice` index (`None` allowed).
fn islice_index(vm: &mut Vm, v: &Value, what: &str) -> PyResult<Option<i64>> {
    if matches!(v, Value::None) {
        return Ok(None);
    }
    let msg =
        format!("{what} argument for islice() must be None or an integer: 0 <= x <= sys.maxsize.");
    match crate::methods::big_index(vm, v)? {
        Some(b) => match num_traits::ToPrimitive::to_i64(&b) {
            Some(i) if i >= 0 => Ok(Some(i)),
            _ => Err(vm.value_error(msg)),
        },
        None => Err(vm.value_error(msg)),
    }
}

/// `itertools.<name>(...)` for class `cls`.
pub fn construct(vm: &mut Vm, cls: &ObjRef, name: &str, args: &[Value], kwargs: Kw) -> PyResult {
    let a = |i: usize| args.get(i).cloned().unwrap_or(Value::None);
    match name {
        "count" => {
            kw_only(vm, "count", kwargs, &["start", "step"])?;
            nargs(vm, "count", args.len(), 0, 2)?;
            let start = crate::methods::param(vm, "count", args, kwargs, 0, "start")?
                .unwrap_or(Value::Int(0));
            let step = crate::methods::param(vm, "count", args, kwargs, 1, "step")?
                .unwrap_or(Value::Int(1));
            for v in [&start, &step] {
                let numeric = matches!(v, Value::Int(_) | Value::Bool(_) | Value::Float(_))
                    || matches!(v.data(), Some(Data::Long(_) | Data::Complex(..)))
                    || vm.lookup_special(v, "__add__").is_some();
                if !numeric {
                    return Err(vm.type_error("a number is required"));
                }
            }
            Ok(it(cls, It::Count(start, step)))
        }
        "cycle" => {
            no_kw(vm, "cycle", kwargs)?;
            nargs(vm, "cycle", args.len(), 1, 1)?;
            let src = vm.iter(&args[0])?;
            Ok(it(cls, It::Cycle(Vec::new(), 0, Some(src))))
        }
        "repeat" => {
            kw_only(vm, "repeat", kwargs, &["object", "times"])?;
            nargs(vm, "repeat", args.len(), 0, 2)?;
            let Some(obj) = crate::methods::param(vm, "repeat", args, kwargs, 0, "object")? else {
                return Err(vm.type_error("repeat() missing required argument 'object' (pos 1)"));
            };
            let times = match crate::methods::param(vm, "repeat", args, kwargs, 1, "times")? {
                None => None,
                Some(t) => Some(crate::methods::index(vm, &t)?.max(0)),
            };
            Ok(it(cls, It::Repeat(obj, times)))
        }
        "chain" => {
            no_kw(vm, "chain", kwargs)?;
            let sources = vm.iter(&alloc::tuple(args.to_vec()))?;
            Ok(it(cls, It::Chain(None, sources)))
        }
        "islice" => {
            no_kw(vm, "islice", kwargs)?;
            nargs(vm, "islice", args.len(), 2, 4)?;
            let src = vm.iter(&args[0])?;
            let (start, stop, step) = if args.len() == 2 {
                (0, islice_index(vm, &args[1], "Stop")?, 1)
            } else {
                let start = islice_index(vm, &args[1], "Indices")?.unwrap_or(0);
                let stop = islice_index(vm, &args[2], "Stop")?;
                let step = match args.get(3) {
                    None | Some(Value::None) => 1,
                    Some(s) => match crate::methods::big_index(vm, s)?
                        .and_then(|b| num_traits::ToPrimitive::to_i64(&b))
                    {
                        Some(i) if i >= 1 => i,
                        _ => {
                            return Err(vm.value_error(
                                "Step for islice() must be a positive integer or None.",
                            ))
                        }
                    },
                };
                (start, stop, step)
            };
            Ok(it(cls, It::ISlice(src, start, stop, step, 0)))
        }
        "takewhile" | "dropwhile" | "filterfalse" | "starmap" | "compress" => {
            no_kw(vm, name, kwargs)?;
            nargs(vm, name, args.len(), 2, 2)?;
            Ok(it(
                cls,
                match name {
                    "takewhile" => It::TakeWhile(a(0), vm.iter(&args[1])?, false),
                    "dropwhile" => It::DropWhile(a(0), vm.iter(&args[1])?, false),
                    "filterfalse" => It::FilterFalse(a(0), vm.iter(&args[1])?),
                    "starmap" => It::StarMap(a(0), vm.iter(&args[1])?),
                    _ => It::Compress(vm.iter(&args[0])?, vm.iter(&args[1])?),
                },
            ))
        }
        "accumulate" => {
            kw_only(vm, "accumulate", kwargs, &["iterable", "func", "initial"])?;
            nargs(vm, "accumulate", args.len(), 1, 2)?;
            let src = vm.iter(&args[0])?;
            let func = crate::methods::param(vm, "accumulate", args, kwargs, 1, "func")?
                .unwrap_or(Value::None);
            let initial = kwarg(kwargs, "initial").filter(|v| !matches!(v, Value::None));
            Ok(it(cls, It::Accumulate(src, func, initial.clone(), initial)))
        }
        "pairwise" => {
            no_kw(vm, "pairwise", kwargs)?;
            nargs(vm, "pairwise", args.len(), 1, 1)?;
            Ok(it(cls, It::Pairwise(vm.iter(&args[0])?, None)))
        }
        "zip_longest" => {
            kw_only(vm, "zip_longest", kwargs, &["fillvalue"])?;
            let mut its = Vec::with_capacity(args.len());
            for a in args {
                its.push(Some(vm.iter(a)?));
            }
            let fill = kwarg(kwargs, "fillvalue").unwrap_or(Value::None);
            Ok(it(cls, It::ZipLongest(its, fill)))
        }
        "batched" => {
            kw_only(vm, "batched", kwargs, &["iterable", "n", "strict"])?;
            nargs(vm, "batched", args.len(), 0, 2)?;
            let (Some(src), Some(n)) = (
                crate::methods::param(vm, "batched", args, kwargs, 0, "iterable")?,
                crate::methods::param(vm, "batched", args, kwargs, 1, "n")?,
            ) else {
                return Err(vm.type_error("batched() missing required argument 'n' (pos 2)"));
            };
            let n = crate::methods::index(vm, &n)?;
            if n < 1 {
                return Err(vm.value_error("n must be at least one"));
            }
            let strict = match kwarg(kwargs, "strict") {
                Some(v) => vm.truthy(&v)?,
                None => false,
            };
            let src = vm.iter(&src)?;
            Ok(it(cls, It::Batched(src, n as usize, strict)))
        }
        "groupby" => {
            kw_only(vm, "groupby", kwargs, &["iterable", "key"])?;
            nargs(vm, "groupby", args.len(), 0, 2)?;
            let Some(src) = crate::methods::param(vm, "groupby", args, kwargs, 0, "iterable")?
            else {
                return Err(vm.type_error("groupby() missing required argument 'iterable' (pos 1)"));
            };
            let key = crate::methods::param(vm, "groupby", args, kwargs, 1, "key")?
                .unwrap_or(Value::None);
            let src = vm.iter(&src)?;
            Ok(it(
                cls,
                It::GroupBy(Rc::new(RefCell::new(Group {
                    it: src,
                    key,
                    tgtkey: None,
                    currkey: None,
                    currvalue: None,
                    current: 0,
                }))),
            ))
        }
        "product" => {
            kw_only(vm, "product", kwargs, &["repeat"])?;
            let repeat = match kwarg(kwargs, "repeat") {
                Some(r) => crate::methods::index(vm, &r)?,
                None => 1,
            };
            if repeat < 0 {
                return Err(vm.value_error("repeat argument cannot be negative"));
            }
            let mut pools = Vec::with_capacity(args.len());
            for a in args {
                let items = vm.collect(a)?;
                pools.push(Rc::new(items));
            }
            let mut all = Vec::new();
            for _ in 0..repeat {
                all.extend(pools.iter().cloned());
                vm.charge(8 * pools.len() as u64)?;
            }
            let done = all.iter().any(|p| p.is_empty());
            let n = all.len();
            Ok(it(
                cls,
                It::Combo(Box::new(Combo {
                    kind: ComboKind::Product,
                    pools: all,
                    indices: vec![0; n],
                    cycles: Vec::new(),
                    r: n,
                    first: true,
                    done,
                })),
            ))
        }
        "permutations" | "combinations" | "combinations_with_replacement" => {
            let perm = name == "permutations";
            kw_only(vm, name, kwargs, &["iterable", "r"])?;
            nargs(vm, name, args.len(), 0, 2)?;
            let Some(src) = crate::methods::param(vm, name, args, kwargs, 0, "iterable")? else {
                return Err(vm.type_error(format!(
                    "{name}() missing required argument 'iterable' (pos 1)"
                )));
            };
            let pool = vm.collect(&src)?;
            let n = pool.len();
            let r = match crate::methods::param(vm, name, args, kwargs, 1, "r")? {
                Some(Value::None) if perm => n as i64,
                None if perm => n as i64,
                None => {
                    return Err(
                        vm.type_error(format!("{name}() missing required argument 'r' (pos 2)"))
                    )
                }
                Some(r) => crate::methods::index(vm, &r)?,
            };
            if r < 0 {
                // 3.15 words it differently for the two that require `r`.
                return Err(vm.value_error(if vm.minor >= 15 && !perm {
                    "r cannot be negative"
                } else {
                    "r must be non-negative"
                }));
            }
            let r = r as usize;
            let kind = match name {
                "permutations" => ComboKind::Permutations,
                "combinations" => ComboKind::Combinations,
                _ => ComboKind::WithReplacement,
            };
            let done = match kind {
                ComboKind::WithReplacement => n == 0 && r > 0,
                _ => r > n,
            };
            let (indices, cycles) = match kind {
                ComboKind::Permutations => (
                    (0..n).collect(),
                    (n.saturating_sub(r) + 1..=n).rev().collect(),
                ),
                ComboKind::Combinations => ((0..r).collect(), Vec::new()),
                _ => (vec![0; r], Vec::new()),
            };
            vm.charge(8 * (n + r) as u64)?;
            Ok(it(
                cls,
                It::Combo(Box::new(Combo {
                    kind,
                    pools: vec![Rc::new(pool)],
                    indices,
                    cycles,
                    r,
                    first: true,
                    done,
                })),
            ))
        }
        _ => Err(vm.type_error(format!("cannot create 'itertools.{name}' instances"))),
    }
}

fn chain_from_iterable(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let cls = match args.first().and_then(|c| c.obj()) {
        Some(c) if matches!(c.data, Data::Type(_)) => c.clone(),
        _ => ty("chain"),
    };
    let sources = vm.iter(&args.get(1).cloned().unwrap_or(Value::None))?;
    Ok(it(&cls, It::Chain(None, sources)))
}

fn repeat_len(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    if let Some(Data::Native(n)) = args.first().and_then(|v| v.data()) {
        if let Native::Iter(It::Repeat(_, Some(t))) = &*n.borrow() {
            return Ok(Value::Int(*t));
        }
    }
    Err(vm.type_error("len() of unsized object"))
}

fn tee(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "tee", args.len(), 1, 2)?;
    let n = match args.get(1) {
        Some(v) => crate::methods::index(vm, v)?,
        None => 2,
    };
    if n < 0 {
        return Err(vm.value_error(if vm.minor >= 15 {
            "n cannot be negative"
        } else {
            "n must be >= 0"
        }));
    }
    let src = vm.iter(&args[0])?;
    let data = Rc::new(RefCell::new(TeeData {
        it: src,
        items: Vec::new(),
        done: false,
    }));
    let t = ty("_tee");
    let out = (0..n.min(1 << 16))
        .map(|_| it(&t, It::Tee(data.clone(), 0)))
        .collect();
    Ok(alloc::tuple(out))
}

/// The `repr` of `count` and `repeat` (the others use the default).
pub fn repr(vm: &mut Vm, state: &It, type_path: &str) -> PyResult<Option<String>> {
    let (first, extra) = match state {
        It::Count(a, b) => {
            let hide = matches!(b, Value::Int(1));
            (a.clone(), if hide { None } else { Some(b.clone()) })
        }
        It::Repeat(a, times) => (a.clone(), times.map(Value::Int)),
        _ => return Ok(None),
    };
    let mut s = format!("{type_path}({}", vm.repr(&first)?);
    if let Some(e) = extra {
        s.push_str(", ");
        s.push_str(&vm.repr(&e)?);
    }
    s.push(')');
    Ok(Some(s))
}

/// What one `next()` needs, taken out of the state so that calls back into Python never
/// run while it is borrowed.
enum Step {
    Done(Option<Value>),
    Count(Value, Value),
    Cycle(Value),
    Chain(Option<Value>, Value),
    ISlice(Value, i64, Option<i64>, i64, i64),
    Take(Value, Value),
    Drop(Value, Value, bool),
    Acc(Value, Value, Option<Value>),
    Compress(Value, Value),
    FilterFalse(Value, Value),
    StarMap(Value, Value),
    Pairwise(Value, Option<Value>),
    ZipLongest(Vec<Option<Value>>, Value),
    Batched(Value, usize, bool),
    GroupBy(Rc<RefCell<Group>>),
    Grouper(Rc<RefCell<Group>>, Value, u64),
    Tee(Rc<RefCell<TeeData>>, usize),
}

fn state_of(it: &Value) -> Option<&RefCell<Native>> {
    match it.data() {
        Some(Data::Native(n)) => Some(n),
        _ => None,
    }
}

fn with_state<R>(it: &Value, f: impl FnOnce(&mut It) -> R) -> Option<R> {
    let n = state_of(it)?;
    let mut b = n.borrow_mut();
    match &mut *b {
        Native::Iter(s) => Some(f(s)),
        _ => None,
    }
}

fn finish(it: &Value) -> PyResult<Option<Value>> {
    with_state(it, |s| *s = It::Done);
    Ok(None)
}

/// `next()` of an `itertools` iterator.
pub fn next(vm: &mut Vm, it: &Value) -> PyResult<Option<Value>> {
    vm.tick(1)?;
    let Some(step) = with_state(it, |s| match s {
        It::Done => Step::Done(None),
        It::Count(cur, by) => Step::Count(cur.clone(), by.clone()),
        It::Repeat(v, times) => match times {
            None => Step::Done(Some(v.clone())),
            Some(0) => Step::Done(None),
            Some(k) => {
                *k -= 1;
                Step::Done(Some(v.clone()))
            }
        },
        It::Cycle(saved, pos, src) => match src {
            Some(s) => Step::Cycle(s.clone()),
            None if saved.is_empty() => Step::Done(None),
            None => {
                let v = saved[*pos % saved.len()].clone();
                *pos = (*pos + 1) % saved.len();
                Step::Done(Some(v))
            }
        },
        It::Chain(cur, sources) => Step::Chain(cur.clone(), sources.clone()),
        It::ISlice(src, next, stop, step, pos) => {
            Step::ISlice(src.clone(), *next, *stop, *step, *pos)
        }
        It::TakeWhile(pred, src, done) => {
            if *done {
                Step::Done(None)
            } else {
                Step::Take(pred.clone(), src.clone())
            }
        }
        It::DropWhile(pred, src, done) => Step::Drop(pred.clone(), src.clone(), *done),
        It::Accumulate(src, f, total, initial) => match initial.take() {
            Some(v) => Step::Done(Some(v)),
            None => Step::Acc(src.clone(), f.clone(), total.clone()),
        },
        It::Compress(data, sel) => Step::Compress(data.clone(), sel.clone()),
        It::FilterFalse(pred, src) => Step::FilterFalse(pred.clone(), src.clone()),
        It::StarMap(f, src) => Step::StarMap(f.clone(), src.clone()),
        It::Pairwise(src, old) => Step::Pairwise(src.clone(), old.clone()),
        It::ZipLongest(its, fill) => Step::ZipLongest(its.clone(), fill.clone()),
        It::Batched(src, n, strict) => Step::Batched(src.clone(), *n, *strict),
        It::GroupBy(g) => Step::GroupBy(g.clone()),
        It::Grouper(g, key, id) => Step::Grouper(g.clone(), key.clone(), *id),
        It::Tee(d, i) => Step::Tee(d.clone(), *i),
        It::Combo(c) => Step::Done(combo_next(c)),
    }) else {
        return Ok(None);
    };
    match step {
        Step::Done(r) => {
            if r.is_none() {
                finish(it)?;
            }
            Ok(r)
        }
        Step::Count(cur, by) => {
            let nxt = vm.binary_op(&cur, &by, 0)?;
            with_state(it, |s| {
                if let It::Count(c, _) = s {
                    *c = nxt;
                }
            });
            Ok(Some(cur))
        }
        Step::Cycle(src) => {
            if let Some(v) = vm.next(&src)? {
                vm.charge(8)?;
                with_state(it, |s| {
                    if let It::Cycle(saved, _, _) = s {
                        saved.push(v.clone());
                    }
                });
                return Ok(Some(v));
            }
            with_state(it, |s| {
                if let It::Cycle(_, _, src) = s {
                    *src = None;
                }
            });
            next(vm, it)
        }
        Step::Chain(mut cur, sources) => loop {
            if let Some(c) = &cur {
                if let Some(v) = vm.next(c)? {
                    return Ok(Some(v));
                }
            }
            match vm.next(&sources)? {
                Some(iterable) => {
                    let c = vm.iter(&iterable)?;
                    with_state(it, |s| {
                        if let It::Chain(slot, _) = s {
                            *slot = Some(c.clone());
                        }
                    });
                    cur = Some(c);
                }
                None => return finish(it),
            }
        },
        // `pos` items of the source consumed so far; the next to yield is item `next`.
        Step::ISlice(src, nx, stop, step, mut pos) => {
            if stop.is_some_and(|s| nx >= s) {
                return finish(it);
            }
            while pos < nx {
                if vm.next(&src)?.is_none() {
                    return finish(it);
                }
                pos += 1;
            }
            let r = vm.next(&src)?;
            if r.is_none() {
                return finish(it);
            }
            with_state(it, |s| {
                if let It::ISlice(_, n, _, _, p) = s {
                    *n = nx.saturating_add(step);
                    *p = pos + 1;
                }
            });
            Ok(r)
        }
        Step::Take(pred, src) => {
            let Some(v) = vm.next(&src)? else {
                return finish(it);
            };
            let r = vm.call(&pred, std::slice::from_ref(&v), &[])?;
            if vm.truthy(&r)? {
                return Ok(Some(v));
            }
            with_state(it, |s| {
                if let It::TakeWhile(_, _, done) = s {
                    *done = true;
                }
            });
            Ok(None)
        }
        Step::Drop(pred, src, done) => loop {
            let Some(v) = vm.next(&src)? else {
                return finish(it);
            };
            if !done {
                let r = vm.call(&pred, std::slice::from_ref(&v), &[])?;
                if vm.truthy(&r)? {
                    continue;
                }
                with_state(it, |s| {
                    if let It::DropWhile(_, _, d) = s {
                        *d = true;
                    }
                });
            }
            return Ok(Some(v));
        },
        Step::Acc(src, f, total) => {
            let Some(v) = vm.next(&src)? else {
                return finish(it);
            };
            let t = match total {
                None => v,
                Some(t) if matches!(f, Value::None) => vm.binary_op(&t, &v, 0)?,
                Some(t) => vm.call(&f, &[t, v], &[])?,
            };
            with_state(it, |s| {
                if let It::Accumulate(_, _, slot, _) = s {
                    *slot = Some(t.clone());
                }
            });
            Ok(Some(t))
        }
        Step::Compress(data, sel) => loop {
            let (Some(d), Some(s)) = (vm.next(&data)?, vm.next(&sel)?) else {
                return finish(it);
            };
            if vm.truthy(&s)? {
                return Ok(Some(d));
            }
        },
        Step::FilterFalse(pred, src) => loop {
            let Some(v) = vm.next(&src)? else {
                return finish(it);
            };
            let keep = if matches!(pred, Value::None) {
                vm.truthy(&v)?
            } else {
                let r = vm.call(&pred, std::slice::from_ref(&v), &[])?;
                vm.truthy(&r)?
            };
            if !keep {
                return Ok(Some(v));
            }
        },
        Step::StarMap(f, src) => {
            let Some(v) = vm.next(&src)? else {
                return finish(it);
            };
            let a = vm.collect(&v)?;
            vm.call(&f, &a, &[]).map(Some)
        }
        Step::Pairwise(src, old) => {
            let old = match old {
                Some(o) => o,
                None => match vm.next(&src)? {
                    Some(o) => o,
                    None => return finish(it),
                },
            };
            let Some(new) = vm.next(&src)? else {
                return finish(it);
            };
            with_state(it, |s| {
                if let It::Pairwise(_, o) = s {
                    *o = Some(new.clone());
                }
            });
            Ok(Some(alloc::tuple(vec![old, new])))
        }
        Step::ZipLongest(mut its, fill) => {
            if its.iter().all(Option::is_none) {
                return finish(it);
            }
            let mut out = Vec::with_capacity(its.len());
            for slot in its.iter_mut() {
                match slot {
                    Some(s) => match vm.next(s)? {
                        Some(v) => out.push(v),
                        None => {
                            *slot = None;
                            out.push(fill.clone());
                        }
                    },
                    None => out.push(fill.clone()),
                }
            }
            if its.iter().all(Option::is_none) {
                return finish(it);
            }
            with_state(it, |s| {
                if let It::ZipLongest(slots, _) = s {
                    *slots = its;
                }
            });
            Ok(Some(alloc::tuple(out)))
        }
        Step::Batched(src, n, strict) => {
            let mut out = Vec::new();
            while out.len() < n {
                match vm.next(&src)? {
                    Some(v) => {
                        out.push(v);
                        if out.len() % 64 == 0 {
                            vm.charge(8 * 64)?;
                        }
                    }
                    None => break,
                }
            }
            if out.is_empty() {
                return finish(it);
            }
            if strict && out.len() < n {
                finish(it)?;
                return Err(vm.value_error("batched(): incomplete batch"));
            }
            Ok(Some(alloc::tuple(out)))
        }
        Step::GroupBy(g) => groupby_next(vm, it, &g),
        Step::Grouper(g, key, id) => grouper_next(vm, &g, &key, id),
        Step::Tee(d, i) => {
            let have = d.borrow().items.get(i).cloned();
            let v = match have {
                Some(v) => v,
                None => {
                    if d.borrow().done {
                        return Ok(None);
                    }
                    let src = d.borrow().it.clone();
                    match vm.next(&src)? {
                        Some(v) => {
                            vm.charge(8)?;
                            d.borrow_mut().items.push(v.clone());
                            v
                        }
                        None => {
                            d.borrow_mut().done = true;
                            return Ok(None);
                        }
                    }
                }
            };
            with_state(it, |s| {
                if let It::Tee(_, p) = s {
                    *p = i + 1;
                }
            });
            Ok(Some(v))
        }
    }
}

/// Reads the next item of a `groupby`'s source into `currkey`/`currvalue`; `false` at the end.
fn group_step(vm: &mut Vm, g: &Rc<RefCell<Group>>) -> PyResult<bool> {
    let (src, keyf) = {
        let g = g.borrow();
        (g.it.clone(), g.key.clone())
    };
    let Some(v) = vm.next(&src)? else {
        return Ok(false);
    };
    let k = if matches!(keyf, Value::None) {
        v.clone()
    } else {
        vm.call(&keyf, std::slice::from_ref(&v), &[])?
    };
    let mut gb = g.borrow_mut();
    gb.currvalue = Some(v);
    gb.currkey = Some(k);
    Ok(true)
}

fn groupby_next(vm: &mut Vm, it: &Value, g: &Rc<RefCell<Group>>) -> PyResult<Option<Value>> {
    // Skip to the next key.
    loop {
        let (curr, tgt) = {
            let gb = g.borrow();
            (gb.currkey.clone(), gb.tgtkey.clone())
        };
        match curr {
            None => {
                if !group_step(vm, g)? {
                    return finish(it);
                }
            }
            Some(c) => match tgt {
                None => break,
                Some(t) => {
                    if !vm.eq(&t, &c)? {
                        break;
                    }
                    if !group_step(vm, g)? {
                        return finish(it);
                    }
                }
            },
        }
    }
    let (key, id) = {
        let mut gb = g.borrow_mut();
        gb.tgtkey = gb.currkey.clone();
        gb.current += 1;
        (gb.currkey.clone().unwrap_or(Value::None), gb.current)
    };
    let grouper = self::it(&ty("_grouper"), It::Grouper(g.clone(), key.clone(), id));
    Ok(Some(alloc::tuple(vec![key, grouper])))
}

fn grouper_next(
    vm: &mut Vm,
    g: &Rc<RefCell<Group>>,
    key: &Value,
    id: u64,
) -> PyResult<Option<Value>> {
    if g.borrow().current != id {
        return Ok(None);
    }
    if g.borrow().currvalue.is_none() && !group_step(vm, g)? {
        return Ok(None);
    }
    let curr = g.borrow().currkey.clone().unwrap_or(Value::None);
    if !vm.eq(key, &curr)? {
        return Ok(None);
    }
    let v = g.borrow_mut().currvalue.take();
    Ok(v)
}

/// The next tuple of a combinatoric iterator.
fn combo_next(c: &mut Combo) -> Option<Value> {
    if c.done {
        return None;
    }
    let n = c.pools.first().map_or(0, |p| p.len());
    if c.first {
        c.first = false;
    } else {
        let advanced = match c.kind {
            ComboKind::Product => {
                let mut i = c.indices.len();
                loop {
                    if i == 0 {
                        break false;
                    }
                    i -= 1;
                    c.indices[i] += 1;
                    if c.indices[i] < c.pools[i].len() {
                        break true;
                    }
                    c.indices[i] = 0;
                }
            }
            ComboKind::Combinations => {
                let r = c.r;
                match (0..r).rev().find(|&i| c.indices[i] != i + n - r) {
                    None => false,
                    Some(i) => {
                        c.indices[i] += 1;
                        for j in i + 1..r {
                            c.indices[j] = c.indices[j - 1] + 1;
                        }
                        true
                    }
                }
            }
            ComboKind::WithReplacement => match (0..c.r).rev().find(|&i| c.indices[i] != n - 1) {
                None => false,
                Some(i) => {
                    let v = c.indices[i] + 1;
                    for j in i..c.r {
                        c.indices[j] = v;
                    }
                    true
                }
            },
            ComboKind::Permutations => {
                let r = c.r;
                let mut found = false;
                for i in (0..r).rev() {
                    c.cycles[i] -= 1;
                    if c.cycles[i] == 0 {
                        let x = c.indices.remove(i);
                        c.indices.push(x);
                        c.cycles[i] = n - i;
                    } else {
                        let j = c.cycles[i];
                        let len = c.indices.len();
                        c.indices.swap(i, len - j);
                        found = true;
                        break;
                    }
                }
                found
            }
        };
        if !advanced {
            c.done = true;
            return None;
        }
    }
    let items = match c.kind {
        ComboKind::Product => c
            .indices
            .iter()
            .enumerate()
            .map(|(p, &i)| c.pools[p][i].clone())
            .collect(),
        _ => c.indices[..c.r]
            .iter()
            .map(|&i| c.pools[0][i].clone())
            .collect(),
    };
    Some(alloc::tuple(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(v: &Value) -> Vec<i64> {
        match v.data() {
            Some(Data::Tuple(t)) => t
                .iter()
                .map(|x| match x {
                    Value::Int(i) => *i,
                    _ => -1,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    fn combo(kind: ComboKind, n: usize, r: usize) -> Vec<Vec<i64>> {
        let pool: Vec<Value> = (0..n as i64).map(Value::Int).collect();
        let (indices, cycles) = match kind {
            ComboKind::Permutations => (
                (0..n).collect(),
                (n.saturating_sub(r) + 1..=n).rev().collect(),
            ),
            ComboKind::Combinations => ((0..r).collect(), Vec::new()),
            _ => (vec![0; r], Vec::new()),
        };
        let done = match kind {
            ComboKind::WithReplacement => n == 0 && r > 0,
            _ => r > n,
        };
        let mut c = Combo {
            kind,
            pools: vec![Rc::new(pool)],
            indices,
            cycles,
            r,
            first: true,
            done,
        };
        let mut out = Vec::new();
        while let Some(t) = combo_next(&mut c) {
            out.push(ints(&t));
        }
        out
    }

    #[test]
    fn combinatorics_follow_cpythons_order() {
        assert_eq!(
            combo(ComboKind::Combinations, 4, 2),
            vec![
                vec![0, 1],
                vec![0, 2],
                vec![0, 3],
                vec![1, 2],
                vec![1, 3],
                vec![2, 3]
            ]
        );
        assert_eq!(
            combo(ComboKind::Permutations, 3, 2),
            vec![
                vec![0, 1],
                vec![0, 2],
                vec![1, 0],
                vec![1, 2],
                vec![2, 0],
                vec![2, 1]
            ]
        );
        assert_eq!(
            combo(ComboKind::WithReplacement, 2, 2),
            vec![vec![0, 0], vec![0, 1], vec![1, 1]]
        );
        assert!(combo(ComboKind::Combinations, 2, 3).is_empty());
        assert_eq!(
            combo(ComboKind::Permutations, 0, 0),
            vec![Vec::<i64>::new()]
        );
    }
}

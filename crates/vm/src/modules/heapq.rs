//! `_heapq` and `_bisect`: C in CPython (`heappush` is `METH_FASTCALL`, `heappop` `METH_O`,
//! `bisect_left` `METH_FASTCALL|METH_KEYWORDS`). The heap functions sift exactly as
//! CPython's do, so lists end up in the same order; `nlargest`, `merge` and the `bisect`
//! aliases are Python (`py/heapq.py`, `py/bisect.py`).

use super::{Method, ModBuilder};
use crate::methods::{kw_only, kwarg, nargs, param, Kw};
use crate::value::{Data, MethKind::*, Value};
use crate::{PyResult, Vm};

pub fn heapq_module(_vm: &mut Vm) -> Value {
    let b = ModBuilder::new("_heapq");
    let entries: &[Method] = &[
        ("heapify", O, heapify),
        ("heappop", O, heappop),
        ("heappush", Fast, heappush),
        ("heappushpop", Fast, heappushpop),
        ("heapreplace", Fast, heapreplace),
        ("heapify_max", O, heapify_max),
        ("heappop_max", O, heappop_max),
        ("heappush_max", Fast, heappush_max),
        ("heappushpop_max", Fast, heappushpop_max),
        ("heapreplace_max", Fast, heapreplace_max),
    ];
    b.funcs(entries);
    b.module()
}

pub fn bisect_module(_vm: &mut Vm) -> Value {
    let b = ModBuilder::new("_bisect");
    let entries: &[Method] = &[
        ("bisect_left", FastKw, bisect_left),
        ("bisect_right", FastKw, bisect_right),
        ("insort_left", FastKw, insort_left),
        ("insort_right", FastKw, insort_right),
    ];
    b.funcs(entries);
    b.module()
}

/// The items of the heap argument (a list), worked on as a copy and written back, so a
/// comparison running Python code never sees the list borrowed.
fn items(vm: &Vm, v: &Value) -> PyResult<Vec<Value>> {
    match v.data() {
        Some(Data::List(l)) => Ok(l.borrow().clone()),
        _ => Err(vm.type_error("heap argument must be a list")),
    }
}

fn store(v: &Value, items: Vec<Value>) {
    if let Some(Data::List(l)) = v.data() {
        *l.borrow_mut() = items;
    }
}

/// `a < b` (a max-heap compares the other way round).
fn less(vm: &mut Vm, a: &Value, b: &Value, max: bool) -> PyResult<bool> {
    if max {
        crate::methods::lt(vm, b, a)
    } else {
        crate::methods::lt(vm, a, b)
    }
}

/// Moves the item at `pos` up towards `start` while it is smaller than its parent.
fn sift_down(
    vm: &mut Vm,
    h: &mut [Value],
    start: usize,
    mut pos: usize,
    max: bool,
) -> PyResult<()> {
    let item = h[pos].clone();
    while pos > start {
        let parent = (pos - 1) >> 1;
        if less(vm, &item, &h[parent], max)? {
            h[pos] = h[parent].clone();
            pos = parent;
            continue;
        }
        break;
    }
    h[pos] = item;
    Ok(())
}

/// Moves the smaller child up until a leaf is reached, then sifts the item down from there.
fn sift_up(vm: &mut Vm, h: &mut [Value], mut pos: usize, max: bool) -> PyResult<()> {
    let end = h.len();
    let start = pos;
    let item = h[pos].clone();
    let mut child = 2 * pos + 1;
    while child < end {
        let right = child + 1;
        if right < end && !less(vm, &h[child], &h[right], max)? {
            child = right;
        }
        h[pos] = h[child].clone();
        pos = child;
        child = 2 * pos + 1;
    }
    h[pos] = item;
    sift_down(vm, h, start, pos, max)
}

fn push(vm: &mut Vm, args: &[Value], name: &str, max: bool) -> PyResult {
    nargs(vm, name, args.len(), 2, 2)?;
    let mut h = items(vm, &args[0])?;
    vm.charge(8)?;
    h.push(args[1].clone());
    let n = h.len() - 1;
    sift_down(vm, &mut h, 0, n, max)?;
    store(&args[0], h);
    Ok(Value::None)
}

fn pop(vm: &mut Vm, args: &[Value], max: bool) -> PyResult {
    let mut h = items(vm, &args[0])?;
    let Some(last) = h.pop() else {
        return Err(vm.index_error("index out of range"));
    };
    if h.is_empty() {
        store(&args[0], h);
        return Ok(last);
    }
    let top = std::mem::replace(&mut h[0], last);
    sift_up(vm, &mut h, 0, max)?;
    store(&args[0], h);
    Ok(top)
}

fn replace(vm: &mut Vm, args: &[Value], name: &str, max: bool) -> PyResult {
    nargs(vm, name, args.len(), 2, 2)?;
    let mut h = items(vm, &args[0])?;
    if h.is_empty() {
        return Err(vm.index_error("index out of range"));
    }
    let top = std::mem::replace(&mut h[0], args[1].clone());
    sift_up(vm, &mut h, 0, max)?;
    store(&args[0], h);
    Ok(top)
}

fn pushpop(vm: &mut Vm, args: &[Value], name: &str, max: bool) -> PyResult {
    nargs(vm, name, args.len(), 2, 2)?;
    let mut h = items(vm, &args[0])?;
    let item = args[1].clone();
    if h.is_empty() || !less(vm, &h[0], &item, max)? {
        return Ok(item);
    }
    let top = std::mem::replace(&mut h[0], item);
    sift_up(vm, &mut h, 0, max)?;
    store(&args[0], h);
    Ok(top)
}

fn heapify_impl(vm: &mut Vm, args: &[Value], max: bool) -> PyResult {
    let mut h = items(vm, &args[0])?;
    for i in (0..h.len() / 2).rev() {
        sift_up(vm, &mut h, i, max)?;
    }
    store(&args[0], h);
    Ok(Value::None)
}

fn heapify(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    heapify_impl(vm, args, false)
}

fn heapify_max(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    heapify_impl(vm, args, true)
}

fn heappop(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    pop(vm, args, false)
}

fn heappop_max(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    pop(vm, args, true)
}

fn heappush(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    push(vm, args, "heappush", false)
}

fn heappush_max(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    push(vm, args, "heappush_max", true)
}

fn heapreplace(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    replace(vm, args, "heapreplace", false)
}

fn heapreplace_max(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    replace(vm, args, "heapreplace_max", true)
}

fn heappushpop(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    pushpop(vm, args, "heappushpop", false)
}

fn heappushpop_max(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    pushpop(vm, args, "heappushpop_max", true)
}

/// The insertion point of `x` in sorted `a[lo:hi]` (`right`: after equal items).
fn bisect(
    vm: &mut Vm,
    name: &str,
    args: &[Value],
    kw: Kw,
    right: bool,
) -> PyResult<(Value, usize)> {
    kw_only(vm, name, kw, &["a", "x", "lo", "hi", "key"])?;
    nargs(vm, name, args.len(), 0, 4)?;
    let (Some(a), Some(x)) = (
        param(vm, name, args, kw, 0, "a")?,
        param(vm, name, args, kw, 1, "x")?,
    ) else {
        return Err(vm.type_error(format!("{name}() missing required argument 'x' (pos 2)")));
    };
    let lo = match param(vm, name, args, kw, 2, "lo")? {
        Some(v) => crate::methods::index(vm, &v)?,
        None => 0,
    };
    if lo < 0 {
        return Err(vm.value_error("lo must be non-negative"));
    }
    let hi = match param(vm, name, args, kw, 3, "hi")? {
        None | Some(Value::None) => match crate::call::len(vm, &a)? {
            Value::Int(n) => n,
            _ => 0,
        },
        Some(v) => crate::methods::index(vm, &v)?,
    };
    let key = kwarg(kw, "key").unwrap_or(Value::None);
    let (mut lo, mut hi) = (lo, hi);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let mut item = vm.getitem(&a, &Value::Int(mid))?;
        if !matches!(key, Value::None) {
            item = vm.call(&key, &[item], &[])?;
        }
        let go_left = if right {
            crate::methods::lt(vm, &x, &item)?
        } else {
            !crate::methods::lt(vm, &item, &x)?
        };
        if go_left {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Ok((a, lo.max(0) as usize))
}

fn bisect_left(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    bisect(vm, "bisect_left", args, kw, false).map(|(_, i)| Value::Int(i as i64))
}

fn bisect_right(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    bisect(vm, "bisect_right", args, kw, true).map(|(_, i)| Value::Int(i as i64))
}

fn insort(vm: &mut Vm, name: &str, args: &[Value], kw: Kw, right: bool) -> PyResult {
    // insort compares the key of x (bisect compares x itself).
    let key = kwarg(kw, "key").unwrap_or(Value::None);
    let x = param(vm, name, args, kw, 1, "x")?.unwrap_or(Value::None);
    let mut call_args = args.to_vec();
    let mut call_kw = kw.to_vec();
    if !matches!(key, Value::None) {
        let kx = vm.call(&key, std::slice::from_ref(&x), &[])?;
        if call_args.len() > 1 {
            call_args[1] = kx;
        } else if let Some(slot) = call_kw.iter_mut().find(|(k, _)| &**k == "x") {
            slot.1 = kx;
        }
    }
    let (a, i) = bisect(vm, name, &call_args, &call_kw, right)?;
    vm.call_method(&a, "insert", &[Value::Int(i as i64), x])?;
    Ok(Value::None)
}

fn insort_left(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    insort(vm, "insort_left", args, kw, false)
}

fn insort_right(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    insort(vm, "insort_right", args, kw, true)
}

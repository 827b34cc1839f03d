//! `operator`: C functions in CPython (`_operator`): the binary operators are
//! `METH_FASTCALL` (`operator.mul` calls specialize to `CALL_BUILTIN_FAST`), the unary ones
//! `METH_O`; `itemgetter`, `attrgetter` and `methodcaller` are types whose instances are
//! called through `CALL_NON_PY_GENERAL`.

use super::{lib_type, native, Method, ModBuilder};
use crate::alloc::{self, types};
use crate::methods::{nargs, Kw};
use crate::ops::Unary;
use crate::value::{Data, Layout, MethKind::*, Native, ObjRef, Value};
use crate::{PyResult, Vm};
use std::rc::Rc;

fn ty(name: &str) -> ObjRef {
    lib_type("operator", name, &types().object, Layout::Other, false)
}

macro_rules! binops {
    ($($name:ident = $op:expr),* $(,)?) => {
        $(
            fn $name(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
                let name = match stringify!($name) {
                    "mod_" => "mod",
                    n => n,
                };
                nargs(vm, name, args.len(), 2, 2)?;
                vm.binary_op(&args[0], &args[1], $op)
            }
        )*
    };
}

binops!(
    add = 0,
    and_ = 1,
    floordiv = 2,
    lshift = 3,
    matmul = 4,
    mul = 5,
    mod_ = 6,
    or_ = 7,
    pow = 8,
    rshift = 9,
    sub = 10,
    truediv = 11,
    xor = 12,
    iadd = 13,
    iand = 14,
    ifloordiv = 15,
    ilshift = 16,
    imatmul = 17,
    imul = 18,
    imod = 19,
    ior = 20,
    ipow = 21,
    irshift = 22,
    isub = 23,
    itruediv = 24,
    ixor = 25,
);

macro_rules! cmpops {
    ($($name:ident = $op:expr),* $(,)?) => {
        $(
            fn $name(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
                nargs(vm, stringify!($name), args.len(), 2, 2)?;
                vm.compare(&args[0], &args[1], $op)
            }
        )*
    };
}

cmpops!(lt = 0, le = 1, eq = 2, ne = 3, gt = 4, ge = 5);

fn neg(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    vm.unary(&args[0], Unary::Neg)
}

fn pos(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    vm.unary(&args[0], Unary::Pos)
}

fn invert(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    vm.unary(&args[0], Unary::Invert)
}

fn not_(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    Ok(Value::Bool(!vm.truthy(&args[0])?))
}

fn truth(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    Ok(Value::Bool(vm.truthy(&args[0])?))
}

fn abs(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let f = super::builtin(vm, "abs")?;
    vm.call(&f, &args[..1], &[])
}

fn index(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    match crate::methods::big_index(vm, &args[0])? {
        Some(b) => Ok(alloc::big(b)),
        None => Err(vm.type_error(format!(
            "'{}' object cannot be interpreted as an integer",
            vm.type_name(&args[0])
        ))),
    }
}

fn is_none(_vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    Ok(Value::Bool(matches!(args[0], Value::None)))
}

fn is_not_none(_vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    Ok(Value::Bool(!matches!(args[0], Value::None)))
}

fn is_(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "is_", args.len(), 2, 2)?;
    Ok(Value::Bool(args[0].is(&args[1])))
}

fn is_not(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "is_not", args.len(), 2, 2)?;
    Ok(Value::Bool(!args[0].is(&args[1])))
}

fn contains(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "contains", args.len(), 2, 2)?;
    Ok(Value::Bool(vm.contains(&args[0], &args[1])?))
}

fn count_of(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "countOf", args.len(), 2, 2)?;
    let it = vm.iter(&args[0])?;
    let mut n = 0;
    while let Some(v) = vm.next(&it)? {
        if v.is(&args[1]) || vm.eq(&v, &args[1])? {
            n += 1;
        }
    }
    Ok(Value::Int(n))
}

fn index_of(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "indexOf", args.len(), 2, 2)?;
    let it = vm.iter(&args[0])?;
    let mut n = 0;
    while let Some(v) = vm.next(&it)? {
        if v.is(&args[1]) || vm.eq(&v, &args[1])? {
            return Ok(Value::Int(n));
        }
        n += 1;
    }
    Err(vm.value_error("sequence.index(x): x not in sequence"))
}

fn getitem(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "getitem", args.len(), 2, 2)?;
    vm.getitem(&args[0], &args[1])
}

fn setitem(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "setitem", args.len(), 3, 3)?;
    vm.setitem(&args[0], &args[1], args[2].clone())?;
    Ok(Value::None)
}

fn delitem(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "delitem", args.len(), 2, 2)?;
    vm.delitem(&args[0], &args[1])?;
    Ok(Value::None)
}

fn concat(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "concat", args.len(), 2, 2)?;
    let seq = |v: &Value| {
        matches!(
            v.data(),
            Some(
                Data::Str(_) | Data::Bytes(_) | Data::ByteArray(_) | Data::Tuple(_) | Data::List(_)
            )
        ) || vm.lookup_special(v, "__getitem__").is_some()
    };
    if !seq(&args[0]) {
        return Err(vm.type_error(format!(
            "'{}' object can't be concatenated",
            vm.type_name(&args[0])
        )));
    }
    vm.binary_op(&args[0], &args[1], 0)
}

fn iconcat(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "iconcat", args.len(), 2, 2)?;
    vm.binary_op(&args[0], &args[1], 13)
}

fn length_hint(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "length_hint", args.len(), 1, 2)?;
    match crate::call::len(vm, &args[0]) {
        Ok(n) => Ok(n),
        Err(_) => {
            if vm.lookup_special(&args[0], "__length_hint__").is_some() {
                return vm.call_method(&args[0], "__length_hint__", &[]);
            }
            Ok(args.get(1).cloned().unwrap_or(Value::Int(0)))
        }
    }
}

fn op_call(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    let Some(f) = args.first() else {
        return Err(vm.type_error("call() missing required argument 'obj'"));
    };
    vm.call(f, &args[1..], kw)
}

pub fn module(_vm: &mut Vm, name: &'static str) -> Value {
    let b = ModBuilder::new(name);
    let entries: &[Method] = &[
        ("abs", O, abs),
        ("add", Fast, add),
        ("and_", Fast, and_),
        ("call", FastKw, op_call),
        ("concat", Fast, concat),
        ("contains", Fast, contains),
        ("countOf", Fast, count_of),
        ("delitem", Fast, delitem),
        ("eq", Fast, eq),
        ("floordiv", Fast, floordiv),
        ("ge", Fast, ge),
        ("getitem", Fast, getitem),
        ("gt", Fast, gt),
        ("iadd", Fast, iadd),
        ("iand", Fast, iand),
        ("iconcat", Fast, iconcat),
        ("ifloordiv", Fast, ifloordiv),
        ("ilshift", Fast, ilshift),
        ("imatmul", Fast, imatmul),
        ("imod", Fast, imod),
        ("imul", Fast, imul),
        ("index", O, index),
        ("indexOf", Fast, index_of),
        ("inv", O, invert),
        ("invert", O, invert),
        ("ior", Fast, ior),
        ("ipow", Fast, ipow),
        ("irshift", Fast, irshift),
        ("is_", Fast, is_),
        ("is_none", O, is_none),
        ("is_not", Fast, is_not),
        ("is_not_none", O, is_not_none),
        ("isub", Fast, isub),
        ("itruediv", Fast, itruediv),
        ("ixor", Fast, ixor),
        ("le", Fast, le),
        ("length_hint", Fast, length_hint),
        ("lshift", Fast, lshift),
        ("lt", Fast, lt),
        ("matmul", Fast, matmul),
        ("mod", Fast, mod_),
        ("mul", Fast, mul),
        ("ne", Fast, ne),
        ("neg", O, neg),
        ("not_", O, not_),
        ("or_", Fast, or_),
        ("pos", O, pos),
        ("pow", Fast, pow),
        ("rshift", Fast, rshift),
        ("setitem", Fast, setitem),
        ("sub", Fast, sub),
        ("truediv", Fast, truediv),
        ("truth", O, truth),
        ("xor", Fast, xor),
    ];
    // The functions are `_operator`'s in CPython too (`operator.add.__module__`).
    for &(n, kind, f) in entries {
        b.set(n, crate::methods::module_function("_operator", n, kind, f));
    }
    for (alias, n) in [
        ("__add__", "add"),
        ("__mul__", "mul"),
        ("__sub__", "sub"),
        ("__getitem__", "getitem"),
        ("__lt__", "lt"),
        ("__eq__", "eq"),
    ] {
        if let Some(v) = b
            .module
            .obj()
            .and_then(|o| o.dict.as_ref())
            .and_then(|d| d.borrow().get_str(n).cloned())
        {
            b.set(alias, v);
        }
    }
    for t in ["itemgetter", "attrgetter", "methodcaller"] {
        b.class(&ty(t));
    }
    b.module()
}

/// `operator.<name>(...)`.
pub fn construct(vm: &mut Vm, cls: &ObjRef, name: &str, args: &[Value], kwargs: Kw) -> PyResult {
    match name {
        "itemgetter" => {
            if !kwargs.is_empty() {
                return Err(vm.type_error("itemgetter() takes no keyword arguments"));
            }
            if args.is_empty() {
                return Err(vm.type_error("itemgetter expected 1 argument, got 0"));
            }
            Ok(native(cls, Native::ItemGetter(args.to_vec())))
        }
        "attrgetter" => {
            if !kwargs.is_empty() {
                return Err(vm.type_error("attrgetter() takes no keyword arguments"));
            }
            if args.is_empty() {
                return Err(vm.type_error("attrgetter expected 1 argument, got 0"));
            }
            let mut names = Vec::with_capacity(args.len());
            for a in args {
                match a.as_str() {
                    Some(s) => names.push(Rc::from(s)),
                    None => return Err(vm.type_error("attribute name must be a string")),
                }
            }
            Ok(native(cls, Native::AttrGetter(names)))
        }
        "methodcaller" => {
            let Some(n) = args.first() else {
                return Err(
                    vm.type_error("methodcaller needs at least one argument, the method name")
                );
            };
            let Some(s) = n.as_str() else {
                return Err(vm.type_error("method name must be a string"));
            };
            Ok(native(
                cls,
                Native::MethodCaller(Rc::from(s), args[1..].to_vec(), kwargs.to_vec()),
            ))
        }
        _ => Err(vm.type_error(format!("cannot create 'operator.{name}' instances"))),
    }
}

/// Calls an `itemgetter`, `attrgetter` or `methodcaller`.
pub fn call(vm: &mut Vm, f: &Value, args: &[Value], kwargs: Kw) -> PyResult {
    let which = match f.data() {
        Some(Data::Native(n)) => match &*n.borrow() {
            Native::ItemGetter(items) => (0, items.clone(), Vec::new(), None, Vec::new()),
            Native::AttrGetter(names) => (1, Vec::new(), names.clone(), None, Vec::new()),
            Native::MethodCaller(name, a, k) => {
                (2, a.clone(), Vec::new(), Some(name.clone()), k.clone())
            }
            _ => return Err(vm.type_error("not an operator object")),
        },
        _ => return Err(vm.type_error("not an operator object")),
    };
    let tn = super::short_name(f);
    if !kwargs.is_empty() {
        return Err(vm.type_error(format!("{tn}() takes no keyword arguments")));
    }
    if args.len() != 1 {
        return Err(vm.type_error(format!("{tn} expected 1 argument, got {}", args.len())));
    }
    let obj = &args[0];
    match which {
        (0, items, ..) => {
            let mut out = Vec::with_capacity(items.len());
            for i in &items {
                out.push(vm.getitem(obj, i)?);
            }
            Ok(if items.len() == 1 {
                out.remove(0)
            } else {
                alloc::tuple(out)
            })
        }
        (1, _, names, ..) => {
            let mut out = Vec::with_capacity(names.len());
            for name in &names {
                let mut v = obj.clone();
                for part in name.split('.') {
                    v = vm.getattr(&v, part)?;
                }
                out.push(v);
            }
            Ok(if names.len() == 1 {
                out.remove(0)
            } else {
                alloc::tuple(out)
            })
        }
        (_, a, _, name, k) => {
            let m = vm.getattr(obj, name.as_deref().unwrap_or(""))?;
            vm.call(&m, &a, &k)
        }
    }
}

/// The `repr` of the operator objects (`operator.itemgetter(1)`).
pub fn repr(vm: &mut Vm, n: &Native, type_path: &str) -> PyResult<Option<String>> {
    let parts: Vec<String> = match n {
        Native::ItemGetter(items) => {
            let mut v = Vec::new();
            for i in items {
                v.push(vm.repr(i)?.to_string());
            }
            v
        }
        Native::AttrGetter(names) => names.iter().map(|s| format!("'{s}'")).collect(),
        Native::MethodCaller(name, a, k) => {
            let mut v = vec![vm.repr(&alloc::str_value(name.clone()))?.to_string()];
            for x in a {
                v.push(vm.repr(x)?.to_string());
            }
            for (kk, x) in k {
                v.push(format!("{kk}={}", vm.repr(x)?));
            }
            v
        }
        _ => return Ok(None),
    };
    Ok(Some(format!("{type_path}({})", parts.join(", "))))
}

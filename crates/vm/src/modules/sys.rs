//! `sys`: the parts a snippet can use without reaching the machine: `stdout`/`stderr`
//! (whose `write` goes to the run's output), `argv` (the file), `maxsize`, `version_info`
//! and `version` of the profile's reference interpreter, the recursion limit, `intern`,
//! `exit`, `exc_info`/`exception`.

use super::{add_methods, lib_type, Method, ModBuilder};
use crate::alloc::{self, types};
use crate::methods::{nargs, Kw};
use crate::value::{Data, Layout, MethKind::*, Native, Value};
use crate::{Flow, PyResult, Vm};
use std::cell::RefCell;

/// The micro version of the reference interpreter of each profile.
fn micro(minor: u32) -> i64 {
    match minor {
        14 => 10,
        _ => 2,
    }
}

pub fn module(vm: &mut Vm) -> Value {
    let b = ModBuilder::new("sys");
    let stream = lib_type(
        "_io",
        "TextIOWrapper",
        &types().object,
        Layout::Other,
        false,
    );
    let methods: &[Method] = &[
        ("write", O, write),
        ("flush", NoArgs, flush),
        ("writelines", O, writelines),
        ("isatty", NoArgs, isatty),
        ("__repr__", NoArgs, stream_repr),
    ];
    add_methods(&stream, "TextIOWrapper", "_io", methods);
    for (name, err) in [("stdout", false), ("stderr", true)] {
        let s = alloc::obj(&stream, Data::Native(RefCell::new(Native::Stream(err))));
        b.set(name, s.clone());
        b.set(&format!("__{name}__"), s);
    }
    let filename = vm.source_file.clone();
    b.set("argv", alloc::list(vec![alloc::str_value(filename)]));
    b.set("maxsize", Value::Int(i64::MAX));
    b.set("byteorder", alloc::s("little"));
    b.set("platform", alloc::s("linux"));
    b.set(
        "hexversion",
        Value::Int(0x030000f0 | ((vm.minor as i64) << 16) | (micro(vm.minor) << 8)),
    );
    b.set(
        "version",
        alloc::string(format!(
            "3.{}.{} (main) [cpyviz]",
            vm.minor,
            micro(vm.minor)
        )),
    );
    b.set("version_info", version_info(vm));
    b.set("builtin_module_names", alloc::tuple(vec![]));
    let funcs: &[Method] = &[
        ("exit", Fast, exit),
        ("getrecursionlimit", NoArgs, getrecursionlimit),
        ("setrecursionlimit", O, setrecursionlimit),
        ("intern", O, intern),
        ("exc_info", NoArgs, exc_info),
        ("exception", NoArgs, exception),
        ("getdefaultencoding", NoArgs, getdefaultencoding),
    ];
    b.funcs(funcs);
    b.module()
}

/// `sys.version_info`: a tuple of type `sys.version_info` with named fields.
fn version_info(vm: &Vm) -> Value {
    let t = lib_type("sys", "version_info", &types().tuple, Layout::Tuple, false);
    add_methods(&t, "version_info", "sys", &[("__repr__", NoArgs, vi_repr)]);
    for (i, field) in ["major", "minor", "micro", "releaselevel", "serial"]
        .iter()
        .enumerate()
    {
        let getter = super::native(
            &super::find_type("operator", "itemgetter").unwrap_or_else(|| {
                lib_type(
                    "operator",
                    "itemgetter",
                    &types().object,
                    Layout::Other,
                    false,
                )
            }),
            Native::ItemGetter(vec![Value::Int(i as i64)]),
        );
        crate::methods::put(
            &t,
            field,
            alloc::obj(
                &types().property,
                Data::Property(crate::value::Property {
                    fget: getter,
                    fset: Value::None,
                    fdel: Value::None,
                    doc: Value::None,
                }),
            ),
        );
    }
    alloc::obj(
        &t,
        Data::Tuple(vec![
            Value::Int(3),
            Value::Int(vm.minor as i64),
            Value::Int(micro(vm.minor)),
            alloc::s("final"),
            Value::Int(0),
        ]),
    )
}

fn vi_repr(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let Some(Data::Tuple(t)) = args[0].data() else {
        return Err(vm.type_error("not a version_info"));
    };
    let t = t.clone();
    let mut parts = Vec::new();
    for (name, v) in ["major", "minor", "micro", "releaselevel", "serial"]
        .iter()
        .zip(&t)
    {
        parts.push(format!("{name}={}", vm.repr(v)?));
    }
    Ok(alloc::string(format!(
        "sys.version_info({})",
        parts.join(", ")
    )))
}

/// Whether `v` is `sys.stdout` (`Some(false)`) or `sys.stderr` (`Some(true)`).
pub fn stream_of(v: &Value) -> Option<bool> {
    match v.data() {
        Some(Data::Native(n)) => match &*n.borrow() {
            Native::Stream(err) => Some(*err),
            _ => None,
        },
        _ => None,
    }
}

fn write(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let Some(err) = stream_of(&args[0]) else {
        return Err(vm.type_error("not a stream"));
    };
    let Some(s) = args[1].as_str() else {
        return Err(vm.type_error(format!(
            "write() argument must be str, not {}",
            vm.type_name(&args[1])
        )));
    };
    let s = s.to_string();
    let n = s.chars().count() as i64;
    vm.write_text(err, &s)?;
    Ok(Value::Int(n))
}

fn writelines(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    for line in vm.collect(&args[1])? {
        write(vm, &[args[0].clone(), line], &[])?;
    }
    Ok(Value::None)
}

fn flush(_vm: &mut Vm, _args: &[Value], _kw: Kw) -> PyResult {
    Ok(Value::None)
}

fn isatty(_vm: &mut Vm, _args: &[Value], _kw: Kw) -> PyResult {
    Ok(Value::Bool(false))
}

fn stream_repr(_vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let name = if stream_of(&args[0]) == Some(true) {
        "<stderr>"
    } else {
        "<stdout>"
    };
    Ok(alloc::string(format!(
        "<_io.TextIOWrapper name='{name}' mode='w' encoding='utf-8'>"
    )))
}

fn exit(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    nargs(vm, "exit", args.len(), 0, 1)?;
    Err(Flow::Exc(crate::exc::new("SystemExit", args.to_vec())))
}

fn getrecursionlimit(vm: &mut Vm, _args: &[Value], _kw: Kw) -> PyResult {
    Ok(Value::Int(vm.limits.max_depth as i64))
}

fn setrecursionlimit(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let n = crate::methods::index(vm, &args[0])?;
    if n < 1 {
        return Err(vm.value_error("recursion limit must be greater or equal than 1"));
    }
    // The run's own depth limit stays in force: a snippet may lower it, not raise it.
    let cap = cpyviz_model::execution::Limits::default().max_depth as i64;
    vm.limits.max_depth = n.min(cap.max(vm.limits.max_depth as i64)) as u32;
    Ok(Value::None)
}

fn intern(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    if !types().is_exact(&args[0], &types().str_) {
        return Err(vm.type_error(format!(
            "intern() argument must be str, not {}",
            vm.type_name(&args[0])
        )));
    }
    Ok(args[0].clone())
}

fn exc_info(vm: &mut Vm, _args: &[Value], _kw: Kw) -> PyResult {
    match vm.exc_stack.last().cloned() {
        Some(e) if !matches!(e, Value::None) => Ok(alloc::tuple(vec![
            Value::Obj(types().of(&e)),
            e,
            Value::None,
        ])),
        _ => Ok(alloc::tuple(vec![Value::None, Value::None, Value::None])),
    }
}

fn exception(vm: &mut Vm, _args: &[Value], _kw: Kw) -> PyResult {
    Ok(vm.exc_stack.last().cloned().unwrap_or(Value::None))
}

fn getdefaultencoding(_vm: &mut Vm, _args: &[Value], _kw: Kw) -> PyResult {
    Ok(alloc::s("utf-8"))
}

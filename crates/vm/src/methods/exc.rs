//! `BaseException` methods (`object`'s own are [`crate::ops`]'s fallback).

use super::{arg, descr_self_error, Entry, Kw};
use crate::alloc::types;
use crate::value::{Data, MethKind::*, Value};
use crate::{PyResult, Vm};

pub(super) fn install(_vm: &mut Vm) {
    let base = &types().exc["BaseException"];
    let entries: &[Entry] = &[
        ("__init__", VarArgs, init),
        ("with_traceback", O, with_traceback),
        ("add_note", O, add_note),
    ];
    super::add_all(base, "BaseException", entries);
}

/// `BaseException.__init__(self, *args)`: stores `args` (keywords are refused).
fn init(vm: &mut Vm, args: &[Value], kw: Kw) -> PyResult {
    let Some(Data::Exception(e)) = args.first().and_then(|v| v.data()) else {
        return Err(descr_self_error(vm, args, "BaseException", "__init__"));
    };
    if !kw.is_empty() {
        let name = vm.type_name(&args[0]);
        return Err(vm.type_error(format!("{name}() takes no keyword arguments")));
    }
    e.borrow_mut().args = args[1..].to_vec();
    Ok(Value::None)
}

/// `with_traceback(tb)`: the VM keeps tracebacks as entries; `None` clears them.
fn with_traceback(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let Some(Data::Exception(e)) = args.first().and_then(|v| v.data()) else {
        return Err(descr_self_error(
            vm,
            args,
            "BaseException",
            "with_traceback",
        ));
    };
    if matches!(arg(args, 1), Value::None) {
        e.borrow_mut().traceback.clear();
    }
    Ok(args[0].clone())
}

fn add_note(vm: &mut Vm, args: &[Value], _kw: Kw) -> PyResult {
    let Some(Data::Exception(e)) = args.first().and_then(|v| v.data()) else {
        return Err(descr_self_error(vm, args, "BaseException", "add_note"));
    };
    let note = arg(args, 1);
    if note.as_str().is_none() {
        return Err(vm.type_error(format!(
            "add_note() argument must be str, not {}",
            vm.type_name(&note)
        )));
    }
    e.borrow_mut().notes.push(note);
    Ok(Value::None)
}

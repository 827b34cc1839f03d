//! Exceptions: making them, matching them in `except`, chaining (`__cause__`, `__context__`),
//! exception groups, and the traceback `python FILE` prints when one escapes.

use crate::alloc::{self, types};
use crate::code::CodeRt;
use crate::types as ty;
use crate::value::{Data, ExcData, TraceEntry, Value};
use crate::{Flow, PyResult, Vm};
use cpyviz_model::capture::{RunException, RunRecord};
use cpyviz_model::execution::LimitKind;
use std::cell::RefCell;
use std::rc::Rc;

pub fn empty_data() -> ExcData {
    ExcData {
        args: Vec::new(),
        traceback: Vec::new(),
        cause: None,
        context: None,
        suppress_context: false,
        notes: Vec::new(),
        exceptions: Vec::new(),
        suggest: None,
    }
}

/// A new exception of the builtin class `kind`.
pub fn new(kind: &str, args: Vec<Value>) -> Value {
    let cls = types()
        .exc
        .get(kind)
        .unwrap_or(&types().exc["Exception"])
        .clone();
    let mut data = empty_data();
    data.args = args;
    alloc::obj_with_dict(&cls, Data::Exception(RefCell::new(data)))
}

/// Sets an attribute in an exception's `__dict__` (`name` of NameError, …).
pub fn set_attr(e: &Value, name: &str, v: Value) {
    if let Some(d) = e.obj().and_then(|o| o.dict.as_ref()) {
        d.borrow_mut().set_str(name, v);
    }
}

fn data(e: &Value) -> Option<&RefCell<ExcData>> {
    match e.data() {
        Some(Data::Exception(d)) => Some(d),
        _ => None,
    }
}

/// Whether `e` is an instance of the builtin exception class `kind`.
pub fn is_instance(e: &Value, kind: &str) -> bool {
    match types().exc.get(kind) {
        Some(k) => ty::is_subtype(&types().of(e), k),
        None => false,
    }
}

/// Records that `e` passed through instruction `i` of `code`.
pub fn add_traceback(e: &Value, code: &Rc<CodeRt>, i: usize) {
    if let Some(d) = data(e) {
        let ins = &code.instrs[i];
        d.borrow_mut().traceback.push(TraceEntry {
            filename: code.filename.clone(),
            name: code.name.clone(),
            line: ins.line,
            positions: ins.positions,
        });
    }
}

/// The value a `StopIteration` carries.
pub fn stop_value(e: &Value) -> Value {
    data(e)
        .and_then(|d| d.borrow().args.first().cloned())
        .unwrap_or(Value::None)
}

/// `raise X`: an exception class is instantiated; anything else must be an exception.
pub fn instantiate(vm: &mut Vm, v: Value) -> PyResult {
    match v.data() {
        Some(Data::Type(_)) => {
            let t = v.obj().cloned().expect("a type");
            if !ty::is_subtype(&t, &types().exc["BaseException"]) {
                return Err(vm.type_error("exceptions must derive from BaseException"));
            }
            let e = vm.call(&v, &[], &[])?;
            Ok(e)
        }
        Some(Data::Exception(_)) => Ok(v),
        _ => Err(vm.type_error("exceptions must derive from BaseException")),
    }
}

pub fn set_cause(e: &Value, cause: Option<Value>) {
    if let Some(d) = data(e) {
        let mut d = d.borrow_mut();
        d.cause = cause;
        d.suppress_context = true;
    }
}

/// Sets `__context__` to the exception being handled, if any.
pub fn set_context(vm: &Vm, e: &Value) {
    if let Some(cur) = vm.exc_stack.last() {
        if matches!(cur, Value::None) || cur.is(e) {
            return;
        }
        if let Some(d) = data(e) {
            if d.borrow().context.is_none() {
                d.borrow_mut().context = Some(cur.clone());
            }
        }
    }
}

/// `except T:` — whether `e` matches `t` (a class or a tuple of classes).
pub fn matches(vm: &mut Vm, e: &Value, t: &Value) -> PyResult<bool> {
    match t.data() {
        Some(Data::Tuple(items)) => {
            for i in items {
                if matches(vm, e, i)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        Some(Data::Type(_)) => {
            let t = t.obj().expect("a type");
            if !ty::is_subtype(t, &types().exc["BaseException"]) {
                return Err(vm.type_error(
                    "catching classes that do not inherit from BaseException is not allowed",
                ));
            }
            Ok(ty::is_subtype(&types().of(e), t))
        }
        _ => Err(
            vm.type_error("catching classes that do not inherit from BaseException is not allowed")
        ),
    }
}

/// `except* T:` — splits group `e` into (rest, matched); `None` for an empty part.
pub fn split_group(vm: &mut Vm, e: &Value, t: &Value) -> PyResult<(Value, Value)> {
    let members = data(e)
        .map(|d| d.borrow().exceptions.clone())
        .unwrap_or_default();
    let is_group = is_instance(e, "BaseExceptionGroup");
    if !is_group {
        return if matches(vm, e, t)? {
            let g = new(
                "ExceptionGroup",
                vec![alloc::s(""), alloc::tuple(vec![e.clone()])],
            );
            if let Some(d) = data(&g) {
                d.borrow_mut().exceptions = vec![e.clone()];
            }
            Ok((Value::None, g))
        } else {
            Ok((e.clone(), Value::None))
        };
    }
    let (mut hit, mut miss) = (Vec::new(), Vec::new());
    for m in members {
        if matches(vm, &m, t)? {
            hit.push(m);
        } else {
            miss.push(m);
        }
    }
    let msg = data(e)
        .and_then(|d| d.borrow().args.first().cloned())
        .unwrap_or_else(|| alloc::s(""));
    let make = |items: Vec<Value>| {
        if items.is_empty() {
            return Value::None;
        }
        let g = new(
            "ExceptionGroup",
            vec![msg.clone(), alloc::list(items.clone())],
        );
        if let Some(d) = data(&g) {
            d.borrow_mut().exceptions = items;
        }
        g
    };
    Ok((make(miss), make(hit)))
}

/// `INTRINSIC_PREP_RERAISE_STAR`: what an `except*` block re-raises.
pub fn prep_reraise_star(_vm: &mut Vm, orig: Value, excs: Value) -> PyResult {
    let raised: Vec<Value> = match excs.data() {
        Some(Data::List(l)) => l
            .borrow()
            .iter()
            .filter(|v| !matches!(v, Value::None))
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    if raised.is_empty() {
        return Ok(Value::None);
    }
    if raised.len() == 1 && !is_instance(&raised[0], "BaseExceptionGroup") {
        return Ok(raised[0].clone());
    }
    let _ = orig;
    Ok(raised[0].clone())
}

/// The message of `LOAD_SPECIAL` when the method is missing.
pub fn special_method_missing(vm: &Vm, owner: &Value, name: &str) -> String {
    let t = vm.type_name(owner);
    let proto = match name {
        "__enter__" | "__exit__" => "context manager protocol",
        _ => "asynchronous context manager protocol",
    };
    format!("'{t}' object does not support the {proto}")
}

/// `str(e)` without running Python code: enough for the traceback's last line when `__str__`
/// is the builtin one.
fn message(vm: &mut Vm, e: &Value) -> String {
    match vm.str(e) {
        Ok(s) => s.to_string(),
        Err(_) => "<exception str() failed>".into(),
    }
}

fn qualified_name(e: &Value) -> String {
    let t = types().of(e);
    let td = ty::tdata(&t);
    let module = td.module.borrow().clone();
    let name = td.qualname.borrow().clone();
    if &*module == "builtins" || &*module == "__main__" {
        name.to_string()
    } else {
        format!("{module}.{name}")
    }
}

/// The traceback CPython prints for `e` (chained exceptions first).
pub fn format_traceback(
    vm: &mut Vm,
    e: &Value,
    source_lines: &dyn Fn(&str, u32) -> Option<String>,
) -> String {
    let mut out = String::new();
    let (cause, context, suppress) = match data(e) {
        Some(d) => {
            let d = d.borrow();
            (d.cause.clone(), d.context.clone(), d.suppress_context)
        }
        None => (None, None, false),
    };
    if let Some(c) = cause {
        out.push_str(&format_traceback(vm, &c, source_lines));
        out.push_str("\nThe above exception was the direct cause of the following exception:\n\n");
    } else if let (Some(c), false) = (context, suppress) {
        out.push_str(&format_traceback(vm, &c, source_lines));
        out.push_str("\nDuring handling of the above exception, another exception occurred:\n\n");
    }
    let entries = data(e)
        .map(|d| d.borrow().traceback.clone())
        .unwrap_or_default();
    if !entries.is_empty() {
        out.push_str(&crate::traceback::format_entries(
            &entries,
            source_lines,
            vm.version,
        ));
    }
    let name = qualified_name(e);
    let mut msg = message(vm, e);
    let suggest = data(e).and_then(|d| d.borrow().suggest.clone());
    if let Some(s) = suggest {
        msg.push_str(&crate::suggestions::suffix(vm, &s));
    }
    if msg.is_empty() {
        out.push_str(&format!("{name}\n"));
    } else {
        out.push_str(&format!("{name}: {msg}\n"));
    }
    if let Some(d) = data(e) {
        for n in d.borrow().notes.clone() {
            out.push_str(n.as_str().unwrap_or(""));
            out.push('\n');
        }
    }
    out
}

/// The `^^^^` line under the failing expression, when it does not span the whole line.
/// The run's record from the evaluation result: stdout, the traceback on stderr, the exit
/// status, and the limit that stopped it.
pub fn run_record(vm: &mut Vm, result: PyResult<()>) -> (RunRecord, Option<(LimitKind, String)>) {
    let mut rec = RunRecord {
        stdout: std::mem::take(&mut vm.out),
        stderr: std::mem::take(&mut vm.err),
        exception: None,
        exit_code: 0,
    };
    let mut limit = None;
    match result {
        Ok(()) => {}
        Err(Flow::Stop(kind, msg)) => {
            rec.exit_code = 1;
            rec.exception = Some(RunException {
                kind: "LimitExceeded".into(),
                msg: msg.clone(),
                traceback: format!("cpyviz: {msg}\n"),
            });
            limit = Some((kind, msg));
        }
        Err(Flow::Exc(e)) => {
            if is_instance(&e, "SystemExit") {
                let code = stop_value(&e);
                rec.exit_code = match code {
                    Value::None => 0,
                    Value::Int(i) => i as i32,
                    other => {
                        let s = vm.str(&other).map(|s| s.to_string()).unwrap_or_default();
                        rec.stderr.push_str(&s);
                        rec.stderr.push('\n');
                        1
                    }
                };
                rec.exception = Some(RunException {
                    kind: "SystemExit".into(),
                    msg: String::new(),
                    traceback: String::new(),
                });
            } else {
                let src = vm.source_text.clone();
                let tb = format_traceback(vm, &e, &|file, line| {
                    let text = crate::modules::pysrc::library_source(file).unwrap_or(&src);
                    text.lines().nth(line as usize - 1).map(str::to_string)
                });
                rec.stdout.push_str(&std::mem::take(&mut vm.out));
                rec.exception = Some(RunException {
                    kind: qualified_name(&e),
                    msg: message(vm, &e),
                    traceback: tb,
                });
                rec.exit_code = 1;
            }
        }
    }
    rec.stdout.push_str(&std::mem::take(&mut vm.out));
    (rec, limit)
}

/// Keeps what a "Did you mean …?" suggestion for `e` will need.
pub fn set_suggest(e: &Value, s: crate::suggestions::Suggest) {
    if let Some(d) = data(e) {
        d.borrow_mut().suggest = Some(Rc::new(s));
    }
}
